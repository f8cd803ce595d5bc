# SPDX-License-Identifier: ISC
# otlp.py: a small OpenTelemetry collector for the tests: OTLP/HTTP with
# JSON bodies on POST /v1/traces, on a free loopback port in a thread of
# the test.  It keeps every span it is sent, flattened with its resource
# and scope, and misbehaves on cue (mode): "ok" (200 {}), "down" (the
# listener closed: connection refused), "slow" (answers after delay
# seconds), "status" (answers status), "partial" (200 with
# partialSuccess.rejectedSpans = the batch's size).
import json
import threading
import time

from mcptest.mock import MockHandler, MockServer
from mcptest.run import Failure


def _value(v):
    """An OTLP AnyValue as Python."""
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return int(v["intValue"])
    return v


def _attrs(lst):
    return {a["key"]: _value(a["value"]) for a in lst or []}


class Span(dict):
    """A span as sent, plus attrs (a dict), resource (a dict) and scope."""

    @property
    def attrs(self):
        return self["_attrs"]


class ReceiverState:
    def __init__(self):
        # Reentrant: wait_for's predicate reads under the lock it holds.
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.spans = []
        self.posts = 0
        self.headers = []       # each POST's headers, as a dict
        self.mode = "ok"
        self.delay = 0
        self.status = 503


class ReceiverHandler(MockHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        st = self.st
        with st.lock:
            mode, delay, status = st.mode, st.delay, st.status
            st.posts += 1
            st.headers.append({k.lower(): v for k, v in self.headers.items()})
        if self.path != "/v1/traces" or \
                self.headers.get("Content-Type") != "application/json":
            self.send_json(400, {})
            return
        if mode == "slow":
            time.sleep(delay)
        if mode == "status":
            self.send_json(status, {})
            return
        req = json.loads(body)
        got = []
        for rs in req.get("resourceSpans", []):
            res = _attrs(rs.get("resource", {}).get("attributes"))
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    s = Span(sp)
                    s["_attrs"] = _attrs(sp.get("attributes"))
                    s["_resource"] = res
                    s["_scope"] = ss.get("scope", {})
                    got.append(s)
        if mode == "partial":
            self.send_json(200, {"partialSuccess":
                                 {"rejectedSpans": str(len(got))}})
            return
        with st.cond:
            st.spans.extend(got)
            st.cond.notify_all()
        self.send_json(200, {})


class Receiver(MockServer):
    handler = ReceiverHandler
    state = ReceiverState

    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def set(self, mode, delay=0, status=503):
        with self.st.lock:
            self.st.mode, self.st.delay, self.st.status = mode, delay, status

    def spans(self, name=None, trace_id=None, kind=None):
        with self.st.lock:
            return [s for s in self.st.spans
                    if (name is None or s["name"] == name) and
                    (trace_id is None or s["traceId"] == trace_id) and
                    (kind is None or s["kind"] == kind)]

    def wait_for(self, pred, timeout=10, what="spans"):
        """Until pred(self) is true (its value returned), within timeout
        seconds."""
        end = time.time() + timeout
        with self.st.cond:
            while True:
                v = pred(self)
                if v:
                    return v
                left = end - time.time()
                if left <= 0:
                    raise Failure("the collector never got %s; it has %s" %
                                  (what, [s["name"] for s in self.st.spans]))
                self.st.cond.wait(left)

    def wait_span(self, name, trace_id=None, timeout=10):
        return self.wait_for(
            lambda r: (r.spans(name, trace_id) or [None])[-1], timeout,
            "a span %r" % name)

    def by_id(self):
        with self.st.lock:
            return {s["spanId"]: s for s in self.st.spans}

    def tree(self, trace_id):
        """The trace as lines, children indented under their parents."""
        spans = self.spans(trace_id=trace_id)
        ids = {s["spanId"] for s in spans}
        kids = {}
        for s in spans:
            p = s.get("parentSpanId", "")
            kids.setdefault(p if p in ids else None, []).append(s)
        lines = []

        def walk(s, depth):
            ms = (int(s["endTimeUnixNano"]) -
                  int(s["startTimeUnixNano"])) / 1e6
            kind = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT"}.get(s["kind"],
                                                                  "?")
            lines.append("%s%s %s span=%s parent=%s %.1fms %s" % (
                "  " * depth, kind, s["name"], s["spanId"],
                s.get("parentSpanId", "-") or "-", ms,
                json.dumps(s.attrs, sort_keys=True)))
            for ev in s.get("events", []):
                lines.append("%s  event %s %s" % ("  " * depth, ev["name"],
                             json.dumps(_attrs(ev.get("attributes")))))
            for k in sorted(kids.get(s["spanId"], []),
                            key=lambda x: int(x["startTimeUnixNano"])):
                walk(k, depth + 1)
        for s in sorted(kids.get(None, []),
                        key=lambda x: int(x["startTimeUnixNano"])):
            walk(s, 0)
        return "\n".join(lines)


def assert_attrs(span, want):
    for k, v in want.items():
        got = span.attrs.get(k)
        if got != v:
            raise Failure("span %r: %s is %r, not %r (has %s)" %
                          (span["name"], k, got, v, span.attrs))
