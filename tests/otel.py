#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# otel.py: OpenTelemetry traces from `mcpbridge serve` (issue 23), as a
# collector gets them (tests/mcptest/otlp.py): the official SDK client
# calls tools with and without a traceparent in _meta; the SERVER span,
# the CLIENT span of the child round trip and their links and attributes;
# the traceparent the child received (the fixture's trace_meta tool)
# shares the trace; a sampling request through the shared child is a span
# of the same trace.  The HTTP traceparent header as the parent, a
# malformed one ignored; no arguments without --otel-capture-content; a
# collector that is down or slow costs requests nothing and its failures
# are counted; SIGTERM sends the last spans.  serve --config: a named
# server's spans say its name (mcpbridge.server.name); one server's child
# restart is an event of its own requests only.  With VERBOSE set,
# the sampling trace is printed.  "joined": the child exports too (the
# fixture is an instrumented server when OTEL_EXPORTER_OTLP_ENDPOINT is
# in its environment), so its spans join the bridge's in one trace, the
# closing note of issue 23.  Exit 0 pass, 1 fail, 77 skip.
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import SERVER as FIXTURE  # noqa: E402
from mcptest.bridge import Bridge, free_port, wait_ready  # noqa: E402
from mcptest.otlp import Receiver, assert_attrs  # noqa: E402
from mcptest.run import Failure, check, run_all  # noqa: E402
from mcptest.wire import (Endpoint, call, exchange, initialize,  # noqa: E402,E501
                          metric, note, post, rpc, text_of)

SERVER, CLIENT = 2, 3
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER_TP = "00-%s-%s-01" % (CALLER_TRACE, CALLER_SPAN)
HEADER_TRACE = "0af7651916cd43dd8448eb211c80319c"
HEADER_SPAN = "b7ad6b7169203331"
HEADER_TP = "00-%s-%s-01" % (HEADER_TRACE, HEADER_SPAN)
TOKEN = "otel-token-6c1f0e2d9b"
HEADER_SECRET = "otel-header-secret-51ad"
ENV_SECRET = "otel-env-secret-9e03b"
CLIENT_SECRET = "otel-client-hdr-7d21c"
# Requests timed with export on and off, and the slack allowed: the
# median with export failing within LATENCY_RATIO times the one with
# export off plus LATENCY_SLACK_MS.  Medians on a loaded box (or under
# ASan) differ by several ms either way; a request that waits for an
# export (a 3 s collector, --otel-timeout 300ms, a batch every 20 ms)
# costs hundreds.
LATENCY_N = 40
LATENCY_RATIO = 1.5
LATENCY_SLACK_MS = 20.0

RECEIVER = Receiver()
DEAD_PORT = free_port()
OTEL = ["--otel-endpoint", RECEIVER.endpoint(), "--otel-batch-delay",
        "20ms"]


def parse_tp(tp):
    check(tp is not None and len(tp) == 55, "no traceparent: %r" % tp)
    _, trace, span, flags = tp.split("-")
    return trace, span, flags


def only(spans, what):
    check(len(spans) == 1, "%s: %d spans: %r" % (what, len(spans),
                                                 [s["name"] for s in spans]))
    return spans[0]


def round_trip(server, what):
    """The CLIENT span under a SERVER span: the child round trip."""
    kids = [s for s in RECEIVER.spans(trace_id=server["traceId"],
                                      kind=CLIENT)
            if s.get("parentSpanId") == server["spanId"]]
    return only(kids, what + ": round trip")


def node_script(name):
    """(node, script path) of tests/node/NAME with the npm peers, or skip
    (77) without them unless MCPBRIDGE_REQUIRE_NODE."""
    src = os.environ.get("top_srcdir", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    deps = os.environ.get("MCPBRIDGE_NODE_DEPS",
                          os.path.join(src, "tests", "node"))
    if not os.path.isdir(os.path.join(deps, "node_modules",
                                      "@modelcontextprotocol", "sdk")):
        if os.environ.get("MCPBRIDGE_REQUIRE_NODE"):
            raise Failure("no npm peers in %s" % deps)
        print("SKIP: no npm peers (MCPBRIDGE_NODE_DEPS)")
        sys.exit(77)
    node = os.path.join(deps, "node_modules", ".bin", "node")
    if not os.access(node, os.X_OK):
        node = "node"
    tmp = tempfile.mkdtemp(prefix="otel-node.")
    shutil.copy(os.path.join(src, "tests", "node", name), tmp)
    os.symlink(os.path.join(deps, "node_modules"),
               os.path.join(tmp, "node_modules"))
    return node, os.path.join(tmp, name)


# ---- the tests ----


def test_sdk(b):
    """The SDK's calls: spans, links, attributes, what the child got, and
    a sampling request through the shared child."""
    node, script = node_script("otel.mjs")
    out = subprocess.run([node, script, b.url], capture_output=True,
                         timeout=60, text=True)
    check(out.returncode == 0, "otel.mjs: %s%s" % (out.stdout, out.stderr))
    steps = {}
    for line in out.stdout.splitlines():
        m = json.loads(line)
        steps[m["step"]] = m

    # No context from the caller: the bridge's SERVER span is a root,
    # its round trip the child's parent.
    got = json.loads(steps["plain"]["text"])
    trace, span, flags = parse_tp(got["traceparent"])
    check(int(flags, 16) & 1, "the child's context is not sampled")
    RECEIVER.wait_for(lambda r: len(r.spans(trace_id=trace)) >= 2,
                      what="the plain call's two spans")
    srv = only(RECEIVER.spans("tools/call trace_meta", trace, SERVER),
               "plain SERVER")
    check(not srv.get("parentSpanId"), "a root has a parent: %r" % srv)
    rt = round_trip(srv, "plain")
    check(rt["spanId"] == span, "the child got span %s, not the round "
          "trip's %s" % (span, rt["spanId"]))
    assert_attrs(srv, {"mcp.method.name": "tools/call",
                       "gen_ai.tool.name": "trace_meta",
                       "gen_ai.operation.name": "execute_tool",
                       "network.transport": "tcp",
                       "network.protocol.name": "http",
                       "mcp.protocol.version": "2025-11-25",
                       "client.address": "127.0.0.1"})
    check("jsonrpc.request.id" in srv.attrs, "no jsonrpc.request.id")
    sid = srv.attrs.get("mcp.session.id", "")
    check(len(sid) == 16 and all(c in "0123456789abcdef" for c in sid),
          "mcp.session.id is not a hash: %r" % sid)
    check("gen_ai.tool.call.arguments" not in srv.attrs,
          "arguments without --otel-capture-content")
    check(srv.get("status", {}).get("code", 0) != 2, "an error: %r" % srv)
    assert_attrs(rt, {"mcp.method.name": "tools/call",
                      "network.transport": "pipe"})
    check(srv["_resource"].get("service.name") == "mcpbridge",
          "resource: %r" % srv["_resource"])
    check(int(rt["startTimeUnixNano"]) >= int(srv["startTimeUnixNano"]) and
          int(rt["endTimeUnixNano"]) <= int(srv["endTimeUnixNano"]),
          "the round trip is not within its request")

    # The caller's context: its trace, its span the parent; tracestate
    # and baggage reach the child.
    got = json.loads(steps["caller"]["text"])
    trace, span, _ = parse_tp(got["traceparent"])
    check(trace == CALLER_TRACE, "the caller's trace is lost: %s" % trace)
    check(got["tracestate"] == "caller=1", "tracestate: %r" % got)
    check(got["baggage"] == "user=otel-test", "baggage: %r" % got)
    RECEIVER.wait_for(lambda r: len(r.spans(trace_id=trace)) >= 2,
                      what="the caller's call's two spans")
    srv = only(RECEIVER.spans("tools/call trace_meta", trace, SERVER),
               "caller SERVER")
    check(srv.get("parentSpanId") == CALLER_SPAN, "parent: %r" %
          srv.get("parentSpanId"))
    check(round_trip(srv, "caller")["spanId"] == span,
          "the child's parent is not the round trip")

    # Sampling through the shared child: the sampling request is a span
    # of the tool call's trace, under its round trip, and the client got
    # its context.
    check("LLM response" in steps["sample"]["text"] or
          "hello" in steps["sample"]["text"], "sample: %r" % steps["sample"])
    srv = RECEIVER.wait_span("tools/call sample")
    trace = srv["traceId"]
    RECEIVER.wait_for(lambda r: r.spans("sampling/createMessage", trace),
                      what="the sampling span")
    rt = round_trip(srv, "sample")
    smp = only(RECEIVER.spans("sampling/createMessage", trace),
               "sampling span")
    check(smp["kind"] == CLIENT, "sampling span kind %r" % smp["kind"])
    check(smp.get("parentSpanId") == rt["spanId"],
          "the sampling span's parent is not the round trip")
    meta = steps["sample"]["sampling_meta"] or {}
    strace, sspan, _ = parse_tp(meta.get("traceparent"))
    check(strace == trace and sspan == smp["spanId"],
          "the client got %r, not the sampling span's context" % meta)
    if os.environ.get("VERBOSE"):
        print("trace %s, as the collector got it:" % trace)
        print(RECEIVER.tree(trace))


def test_http(b):
    """The traceparent header, _meta over it, malformed ones ignored."""
    wait_ready(b)
    sid, ver = initialize(b)
    st, ans = call(b, sid, ver, 2, "trace_meta",
                   extra={"traceparent": HEADER_TP, "tracestate": "h=1"})
    check(st == 200, "status %d" % st)
    trace, span, _ = parse_tp(json.loads(text_of(ans))["traceparent"])
    check(trace == HEADER_TRACE, "the header's trace is lost: %s" % trace)
    srv = RECEIVER.wait_span("tools/call trace_meta", trace)
    check(srv.get("parentSpanId") == HEADER_SPAN, "parent %r" %
          srv.get("parentSpanId"))

    # Several tracestate lines are one list (W3C); two traceparent lines
    # are no parent, as when folded into one.
    import socket
    body = json.dumps(rpc(30, "tools/call", {"name": "trace_meta",
                                             "arguments": {}}))

    def raw(lines):
        s = socket.create_connection(("127.0.0.1", b.port), timeout=10)
        s.sendall(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "Content-Type: application/json\r\n"
                   "Accept: application/json, text/event-stream\r\n"
                   "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: %s\r\n"
                   "%sContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                   % (b.port, sid, ver, "".join(x + "\r\n" for x in lines),
                      len(body), body)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        text = data.decode()
        i = text.index('{"jsonrpc"', text.index("\r\n\r\n"))
        return json.loads(text_of(json.JSONDecoder().raw_decode(
            text[i:])[0]))
    got = raw(["traceparent: " + HEADER_TP, "tracestate: a=1",
               "tracestate: b=2,c=3"])
    check(got.get("tracestate") == "a=1,b=2,c=3",
          "tracestate lines not joined: %r" % got)
    got = raw(["traceparent: " + HEADER_TP, "traceparent: " + CALLER_TP])
    check(parse_tp(got["traceparent"])[0] not in (HEADER_TRACE,
                                                  CALLER_TRACE),
          "one of two traceparent lines was taken: %r" % got)

    # _meta wins over the header.
    r = post(b, rpc(3, "tools/call", {"name": "trace_meta", "arguments": {},
                                      "_meta": {"traceparent": CALLER_TP}}),
             sid, ver, extra={"traceparent": HEADER_TP})
    ans = r.answer()
    r.close()
    trace, _, _ = parse_tp(json.loads(text_of(ans))["traceparent"])
    check(trace == CALLER_TRACE, "_meta did not win: %s" % trace)

    # A caller that does not sample: no span (parentbased), but the
    # child still gets a context of the trace, not sampled.
    unsampled = "00-%s-%s-00" % ("ab" * 16, HEADER_SPAN)
    r = post(b, rpc(4, "tools/call", {"name": "trace_meta", "arguments": {},
                                      "_meta": {"traceparent": unsampled}}),
             sid, ver)
    ans = r.answer()
    r.close()
    trace, _, flags = parse_tp(json.loads(text_of(ans))["traceparent"])
    check(trace == "ab" * 16 and not int(flags, 16) & 1,
          "unsampled: the child got %s-%s" % (trace, flags))
    st, ans = call(b, sid, ver, 5, "trace_meta")     # a barrier
    after, _, _ = parse_tp(json.loads(text_of(ans))["traceparent"])
    RECEIVER.wait_span("tools/call trace_meta", after)
    check(not RECEIVER.spans(trace_id="ab" * 16), "an unsampled span "
          "was exported")

    # Malformed: ignored, a new trace, the request answered.
    bad = ["00-%s-%s-01" % ("0" * 32, HEADER_SPAN),
           "00-%s-%s-01" % (HEADER_TRACE.upper(), HEADER_SPAN),
           "ff-%s-%s-01" % (HEADER_TRACE, HEADER_SPAN), "junk", 42]
    for i, tp in enumerate(bad):
        r = post(b, rpc(10 + i, "tools/call", {
            "name": "trace_meta", "arguments": {},
            "_meta": {"traceparent": tp}}), sid, ver,
            extra={"traceparent": str(tp)})
        check(r.status == 200, "malformed %r: status %d" % (tp, r.status))
        ans = r.answer()
        r.close()
        got = json.loads(text_of(ans))["traceparent"]
        trace, _, _ = parse_tp(got)
        check(trace not in (HEADER_TRACE, HEADER_TRACE.upper(), "0" * 32),
              "malformed %r was taken: %s" % (tp, got))
        srv = RECEIVER.wait_span("tools/call trace_meta", trace)
        check(not srv.get("parentSpanId"), "malformed %r gave a parent" %
              (tp,))

    # An error is an error span with its code.
    st, ans = call(b, sid, ver, 20, "no_such_tool")
    srv = RECEIVER.wait_span("tools/call no_such_tool")
    check(srv.get("status", {}).get("code") == 2, "no error status: %r" %
          srv.get("status"))
    etype = srv.attrs.get("error.type")
    check(etype not in (None, ""), "no error.type")

    # A tool's own failure (a result with isError) is one too, though
    # the child's result passes through the bridge unparsed.
    st, ans = call(b, sid, ver, 22, "test_error_handling")
    check(st == 200 and ans.get("result", {}).get("isError") is True,
          "test_error_handling: %r" % (ans,))
    srv = RECEIVER.wait_span("tools/call test_error_handling")
    check(srv.attrs.get("error.type") == "tool_error",
          "a tool error's error.type: %r" % srv.attrs.get("error.type"))

    # A client's name is cut in the span's name, as any attribute.
    long = "L" * 5000
    call(b, sid, ver, 21, long)
    srv = RECEIVER.wait_for(lambda r: [x for x in r.spans(kind=SERVER)
                                       if x["name"].startswith(
                                           "tools/call LLL")],
                            what="the long name's span")[0]
    check(len(srv["name"]) <= 256, "a name of %d bytes" % len(srv["name"]))
    check(len(srv.attrs.get("gen_ai.tool.name", "")) <= 1024,
          "a tool name of %d bytes" % len(srv.attrs["gen_ai.tool.name"]))

    # The conventions' histogram: a tool tools/list named is a label, a
    # made-up one is not.
    r = post(b, rpc(30, "tools/list"), sid, ver)
    r.answer()
    r.close()
    st, ans = call(b, sid, ver, 31, "trace_meta")
    op = "mcp_server_operation_duration_seconds_count"
    n = metric(b, op + '{mcp_method_name="tools/call",'
               'gen_ai_tool_name="trace_meta",error_type=""}')
    check(n == 1, "trace_meta's series: %r" % n)
    # no_such_tool and the long name: neither is a label of its own.
    n = metric(b, op + '{mcp_method_name="tools/call",'
               'gen_ai_tool_name="_OTHER",error_type="%s"}' % etype)
    check(n == 2, "unknown tools' series (error %s): %r" % (etype, n))
    # test_error_handling was called before tools/list named it.
    n = metric(b, op + '{mcp_method_name="tools/call",'
               'gen_ai_tool_name="_OTHER",error_type="tool_error"}')
    check(n == 1, "the tool error's series: %r" % n)
    n = metric(b, op + '{mcp_method_name="tools/list",'
               'gen_ai_tool_name="",error_type=""}')
    check(n == 1, "tools/list's series: %r" % n)
    check(metric(b, "mcp_server_session_duration_seconds_count") == 0,
          "a session ended already")
    status, _, _ = exchange(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid,
                                                  "MCP-Protocol-Version":
                                                  ver})
    check(status in (200, 204), "DELETE: %d" % status)
    check(metric(b, "mcp_server_session_duration_seconds_count") == 1,
          "the session's end is not counted")


def test_eras(b):
    """The legacy HTTP+SSE transport, and 2026-07-28 requests: two at
    once with the same id are two traces, each with its round trip."""
    import threading
    from mcptest.wire import ACCEPT_BOTH, Response, note
    wait_ready(b)
    s = Response(b, "GET", "/sse", {"Accept": "text/event-stream"})
    ep = s.event()["data"][len(b.base):]

    def send(msg):
        r = Response(b, "POST", ep, {"Content-Type": "application/json"},
                     msg)
        check(r.status == 202, "legacy POST: %d" % r.status)
        r.close()
    send(rpc(1, "initialize", {"protocolVersion": "2024-11-05",
                               "capabilities": {},
                               "clientInfo": {"name": "t", "version": "1"}}))
    s.message()
    send(note("notifications/initialized"))
    send(rpc(2, "tools/call", {"name": "trace_meta", "arguments": {},
                               "_meta": {"traceparent": CALLER_TP}}))
    ev = s.message()
    trace, span, _ = parse_tp(json.loads(text_of(ev["msg"]))["traceparent"])
    s.close()
    check(trace == CALLER_TRACE, "legacy: the caller's trace is lost")
    srv = RECEIVER.wait_span("tools/call trace_meta", trace)
    check(srv.get("parentSpanId") == CALLER_SPAN, "legacy parent")
    check("mcp.session.id" in srv.attrs, "legacy: no session id")
    check(srv.attrs.get("mcp.protocol.version") == "2024-11-05",
          "legacy: version %r" % srv.attrs)
    check(round_trip(srv, "legacy")["spanId"] == span, "legacy round trip")

    v = "2026-07-28"
    meta = {"io.modelcontextprotocol/protocolVersion": v,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "t",
                                                   "version": "1"}}
    got = {}

    def modern(tag, ms):
        params = {"name": "delay", "arguments": {"ms": ms,
                                                  "message": tag},
                  "_meta": dict(meta)}
        r = Response(b, "POST", "/mcp", {
            "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
            "MCP-Protocol-Version": v, "Mcp-Method": "tools/call",
            "Mcp-Name": "delay"}, rpc(1, "tools/call", params))
        got[tag] = (r.status, r.answer())
        r.close()
    ts = [threading.Thread(target=modern, args=(t, 300)) for t in "ab"]
    for t in ts:
        t.start()
    for t in ts:
        t.join(20)
    for tag in "ab":
        check(got.get(tag, (0,))[0] == 200, "modern %s: %r" %
              (tag, got.get(tag)))
    RECEIVER.wait_for(lambda r: len(r.spans("tools/call delay",
                                            kind=SERVER)) == 2 and
                      len(r.spans("tools/call delay", kind=CLIENT)) == 2,
                      what="two modern calls' spans")
    srvs = RECEIVER.spans("tools/call delay", kind=SERVER)
    check(srvs[0]["traceId"] != srvs[1]["traceId"], "one trace for two")
    for srv in srvs:
        check("mcp.session.id" not in srv.attrs, "a stateless request "
              "has a session id: %r" % srv.attrs)
        check(srv.attrs.get("error.type") is None, "modern: %r" % srv.attrs)
        check(srv.attrs.get("mcp.protocol.version") == v, "version: %r" %
              srv.attrs)
        rt = round_trip(srv, "modern")
        check(int(srv["endTimeUnixNano"]) - int(srv["startTimeUnixNano"])
              >= 250e6, "the span ended before the answer")
        check(rt is not None, "no round trip")

    # An input_required round: the question is an event of the call's
    # span, the answers one of the retry's.
    def mcall(id, name, extra=None):
        params = {"name": name, "arguments": {},
                  "_meta": dict(meta, **{
                      "io.modelcontextprotocol/clientCapabilities":
                      {"elicitation": {}}})}
        params.update(extra or {})
        r = Response(b, "POST", "/mcp", {
            "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
            "MCP-Protocol-Version": v, "Mcp-Method": "tools/call",
            "Mcp-Name": name}, rpc(id, "tools/call", params))
        check(r.status == 200, "%s: %d" % (name, r.status))
        body = r.answer()
        r.close()
        return body
    name = "test_input_required_result_elicitation"
    body = mcall(5, name)
    res = body["result"]
    check(res.get("resultType") == "input_required", "round: %r" % res)
    srv = RECEIVER.wait_span("tools/call " + name)
    evs = {e["name"]: e for e in srv.get("events", [])}
    check("mcp.input_required" in evs, "no input_required event: %r" % srv)
    attrs = {a["key"]: a["value"] for a in
             evs["mcp.input_required"].get("attributes", [])}
    check(attrs.get("mcp.input_required.methods") ==
          {"stringValue": "elicitation/create"}, "methods: %r" % attrs)
    body = mcall(6, name, {"requestState": res["requestState"],
                           "inputResponses": {"user_name": {
                               "action": "accept",
                               "content": {"name": "Al"}}}})
    check(text_of(body) == "Hello, Al!", "retry: %r" % body)
    RECEIVER.wait_for(lambda r: len(r.spans("tools/call " + name)) >= 4,
                      what="the retry's spans")
    retry = [s for s in RECEIVER.spans("tools/call " + name, kind=SERVER)
             if s.attrs.get("jsonrpc.request.id") == "6"]
    retry = only(retry, "the retry's span")
    check(any(e["name"] == "mcp.input_responses"
              for e in retry.get("events", [])), "no input_responses event")
    # Each round at the child is a round trip: the first goes on while
    # the client answers (the child waits), the retry has its own.
    rt1 = round_trip(srv, "the first round")
    check(int(rt1["endTimeUnixNano"]) >= int(retry["startTimeUnixNano"]),
          "the first round trip ended with the input_required answer")
    rt2 = round_trip(retry, "the retry")
    check(rt2.get("status", {}).get("code", 0) != 2, "retry: %r" % rt2)


def legacy_session(b, caps):
    """A legacy HTTP+SSE session declaring caps: (stream, send)."""
    from mcptest.wire import Response
    s = Response(b, "GET", "/sse", {"Accept": "text/event-stream"})
    ep = s.event()["data"][len(b.base):]

    def send(msg):
        r = Response(b, "POST", ep, {"Content-Type": "application/json"},
                     msg)
        check(r.status == 202, "legacy POST: %d" % r.status)
        r.close()
    send(rpc(1, "initialize", {"protocolVersion": "2024-11-05",
                               "capabilities": caps,
                               "clientInfo": {"name": "t", "version": "1"}}))
    s.message()
    send(note("notifications/initialized"))
    return s, send


def test_related(b):
    """A sampling request the child sends for its older call, while a
    newer call of the same session is at the child too: the span is the
    older call's round trip's child, as the request names it."""
    wait_ready(b)
    s, send = legacy_session(b, {"sampling": {}})
    send(rpc(2, "tools/call", {"name": "sample",
                               "arguments": {"wait_ms": 400}}))
    send(rpc(3, "tools/call", {"name": "delay",
                               "arguments": {"ms": 1500}}))
    asked = None
    for _ in range(10):
        m = s.message()["msg"]
        if m.get("method") == "sampling/createMessage":
            asked = m
            break
    check(asked is not None, "no sampling request came")
    send({"jsonrpc": "2.0", "id": asked["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "hi"},
        "model": "m"}})
    done = set()
    for _ in range(10):
        m = s.message()["msg"]
        if m.get("id") in (2, 3) and "result" in m:
            done.add(m["id"])
        if done == {2, 3}:
            break
    s.close()
    check(done == {2, 3}, "answers: %r" % done)
    RECEIVER.wait_for(lambda r: r.spans("sampling/createMessage") and
                      len(r.spans("tools/call delay", kind=SERVER)) == 1,
                      what="the sampling and delay spans")
    srv = only(RECEIVER.spans("tools/call sample", kind=SERVER),
               "the sampling call")
    rt = round_trip(srv, "the sampling call")
    q = only(RECEIVER.spans("sampling/createMessage"), "the question")
    check(q["traceId"] == srv["traceId"] and
          q.get("parentSpanId") == rt["spanId"],
          "the question's parent is %s/%s, not the asking call's round "
          "trip %s/%s" % (q["traceId"], q.get("parentSpanId"),
                          srv["traceId"], rt["spanId"]))


def test_secrets(b):
    """Tokens on: no token, no session id, no argument in any span; the
    exporter's header value not in the child's environment."""
    wait_ready(b)
    b.headers["Authorization"] = "Bearer " + TOKEN
    sid, ver = initialize(b)
    st, ans = call(b, sid, ver, 2, "echo", {"message": "arg-" + TOKEN})
    check(st == 200, "echo: %d" % st)
    # A known secret a client uses as an id, a tool name, in a URI, as a
    # method: never in a span's name or attributes.
    st, _ = call(b, sid, ver, TOKEN, "echo", {"message": "x"})
    check(st == 200, "echo by a token id: %d" % st)
    # The exporter's header value, written by a client into a message
    # (the child echoes it): the --trace=body log shows neither.
    st, _ = call(b, sid, ver, 29, "echo", {"message": "k " + HEADER_SECRET})
    check(st == 200, "echo of the header value: %d" % st)
    for i, name in ((30, TOKEN), (31, "x-" + ENV_SECRET)):
        st, _ = call(b, sid, ver, i, name)
        check(st == 200, "tools/call %s: %d" % (name, st))
    for i, (method, params) in enumerate((
            ("resources/read", {"uri": "test://x?token=" + TOKEN}),
            ("prompts/get", {"name": ENV_SECRET}),
            (TOKEN, {}))):
        r = post(b, rpc(40 + i, method, params), sid, ver)
        check(r.status == 200, "%s: %d" % (method, r.status))
        r.answer()
        r.close()
    st, ans = call(b, sid, ver, 3, "report_env",
                   {"name": "OTEL_EXPORTER_OTLP_HEADERS"})
    check(st == 200, "report_env: %d" % st)
    check(HEADER_SECRET not in json.dumps(ans), "the child got the "
          "exporter's header: %r" % ans)
    RECEIVER.wait_span("tools/call report_env")
    with RECEIVER.st.lock:
        sent = json.dumps(RECEIVER.st.spans)
        hdrs = RECEIVER.st.headers[-1]
    for what, v in (("the token", TOKEN), ("the session id", sid),
                    ("an argument", "arg-"), ("an --env value",
                                              ENV_SECRET)):
        check(v not in sent, "%s is in a span: %s" % (what, [
            (x["name"], x.attrs) for x in RECEIVER.spans()
            if v in json.dumps(x)][:2]))
    check(RECEIVER.spans("tools/call [redacted]"), "no redacted name")
    srv = RECEIVER.wait_span("tools/call echo")
    check(srv.attrs.get("enduser.id") == "token:1", "enduser.id: %r" %
          srv.attrs.get("enduser.id"))
    check(hdrs.get("x-otel-key") == HEADER_SECRET,
          "the collector did not get the header: %r" % hdrs)
    log = b.stderr()
    check(HEADER_SECRET not in log, "the header value is logged: %s" %
          [x for x in log.splitlines() if HEADER_SECRET in x][:1])
    # The trace lines' heads too (id=, the method).  (The access log
    # names a request's method as the client wrote it: not checked.)
    check(not [x for x in log.splitlines() if " trace: " in x and
               TOKEN in x], "the token is in the trace: %s" %
          [x for x in log.splitlines() if TOKEN in x][:1])


def test_client(b):
    """mcpbridge client in front, in each era: its CLIENT span under the
    local client's context, the serving bridge's SERVER span under it, the
    child in the same trace, an error on the span of a call that failed;
    the last spans sent as it exits."""
    from mcptest.bridge import BRIDGE
    wait_ready(b)
    lines = [rpc(1, "initialize", {"protocolVersion": "2025-06-18",
                                   "capabilities": {},
                                   "clientInfo": {"name": "t",
                                                  "version": "1"}}),
             note("notifications/initialized"),
             rpc(2, "tools/call", {"name": "trace_meta", "arguments": {},
                                   "_meta": {"traceparent": CALLER_TP}}),
             rpc(3, "tools/call", {"name": "no_such_tool"})]
    for era in ("auto", "legacy"):
        me = "the-client-" + era
        out = subprocess.run(
            [BRIDGE, "client", b.url + "/mcp", "--era", era,
             "--otel-endpoint", RECEIVER.endpoint(), "--otel-batch-delay",
             "60s", "--otel-service-name", me],
            input="".join(json.dumps(m) + "\n" for m in lines),
            capture_output=True, text=True, timeout=30)
        check(out.returncode == 0, "client %s: %d %s" %
              (era, out.returncode, out.stderr))
        answers = {m.get("id"): m for m in map(json.loads,
                                               out.stdout.splitlines())}
        got = json.loads(text_of(answers[2]))
        trace, span, _ = parse_tp(got["traceparent"])
        check(trace == CALLER_TRACE, "%s: the local client's trace is "
              "lost" % era)
        # Sent before it exited, whatever the 60 s delay.
        cli = [s for s in RECEIVER.spans("tools/call trace_meta", trace,
                                         CLIENT)
               if s["_resource"].get("service.name") == me]
        cli = only(cli, "%s: client mode's span" % era)
        check(cli.get("parentSpanId") == CALLER_SPAN, "%s: client span "
              "parent %r" % (era, cli.get("parentSpanId")))
        assert_attrs(cli, {"mcp.method.name": "tools/call",
                           "gen_ai.tool.name": "trace_meta",
                           "server.address": "127.0.0.1",
                           "server.port": b.port,
                           "jsonrpc.request.id": "2",
                           "network.transport": "tcp"})
        if era == "legacy":
            sid = cli.attrs.get("mcp.session.id", "")
            check(len(sid) == 16, "legacy: no hashed session id: %r" %
                  cli.attrs)
            check(cli.attrs.get("mcp.protocol.version") == "2025-06-18",
                  "legacy: version %r" % cli.attrs)
        else:
            check(cli.attrs.get("mcp.protocol.version") == "2026-07-28",
                  "auto: version %r" % cli.attrs)
        err = [s for s in RECEIVER.spans("tools/call no_such_tool",
                                         kind=CLIENT)
               if s["_resource"].get("service.name") == me]
        err = only(err, "%s: client mode's failed call" % era)
        check(err.get("status", {}).get("code") == 2 and
              err.attrs.get("error.type") not in (None, ""),
              "%s: the error is not on the span: %r" % (era, err))

        def under(r):
            return [s for s in r.spans("tools/call trace_meta", trace,
                                       SERVER)
                    if s.get("parentSpanId") == cli["spanId"]]
        srv = only(RECEIVER.wait_for(under, what="serve's span"),
                   "%s: serve's span" % era)
        check(round_trip(srv, "client")["spanId"] == span,
              "%s: the child's parent is not serve's round trip" % era)


def test_client_sampling(b):
    """The whole chain, mcpbridge client in front of mcpbridge serve: the
    local client's tool call asks for sampling through the shared child.
    client mode's CLIENT span > serve's SERVER span > serve's round trip >
    serve's sampling/createMessage span > client mode's SERVER span, whose
    context the local client gets."""
    from mcptest.bridge import Client
    wait_ready(b)
    c = Client(b.url + "/mcp", "--era", "legacy", "--otel-endpoint",
               RECEIVER.endpoint(), "--otel-batch-delay", "20ms",
               "--otel-service-name", "the-client", debug=False)
    c.send(rpc(1, "initialize", {"protocolVersion": "2025-06-18",
                                 "capabilities": {"sampling": {}},
                                 "clientInfo": {"name": "t",
                                                "version": "1"}}))
    check("result" in c.recv(), "initialize")
    c.send(note("notifications/initialized"))
    c.send(rpc(2, "tools/call", {"name": "sample",
                                 "arguments": {"prompt": "Say hello."}}))
    ask = c.recv()
    check(ask.get("method") == "sampling/createMessage", "asked %r" % ask)
    _, asked_span, _ = parse_tp(ask["params"]["_meta"]["traceparent"])
    c.send({"jsonrpc": "2.0", "id": ask["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "hi"},
        "model": "m"}})
    ans = c.recv()
    check(ans.get("id") == 2 and "result" in ans, "answer %r" % ans)
    status, _ = c.finish()
    check(status == 0, "client exit %r" % status)

    cli = RECEIVER.wait_span("tools/call sample")
    trace = cli["traceId"]

    def chain(r):
        mine = r.spans(trace_id=trace)
        return len(mine) >= 5 and mine
    RECEIVER.wait_for(chain, what="the five spans of the chain")
    spans = RECEIVER.spans(trace_id=trace)
    by = {(s["_resource"].get("service.name"), s["kind"], s["name"]): s
          for s in spans}
    top = by[("the-client", CLIENT, "tools/call sample")]
    srv = by[("mcpbridge", SERVER, "tools/call sample")]
    rt = by[("mcpbridge", CLIENT, "tools/call sample")]
    smp = by[("mcpbridge", CLIENT, "sampling/createMessage")]
    got = by[("the-client", SERVER, "sampling/createMessage")]
    check(not top.get("parentSpanId"), "the top has a parent")
    for child, parent, what in ((srv, top, "serve under client"),
                                (rt, srv, "round trip under serve"),
                                (smp, rt, "sampling under round trip"),
                                (got, smp, "client's sampling span")):
        check(child.get("parentSpanId") == parent["spanId"], what)
    check(asked_span == got["spanId"], "the local client did not get the "
          "sampling span's context")
    if os.environ.get("VERBOSE"):
        print("trace %s, as the collector got it:" % trace)
        print(RECEIVER.tree(trace))


def print_tree(trace):
    """The trace as the collector got it: service, kind, name, span id,
    parent and duration, children indented under their parents."""
    spans = RECEIVER.spans(trace_id=trace)
    ids = {s["spanId"] for s in spans}
    kids = {}
    for s in spans:
        p = s.get("parentSpanId") or ""
        kids.setdefault(p if p in ids else None, []).append(s)

    def walk(s, depth):
        print("%s%s %s %s span=%s parent=%s %.1fms" % (
            "  " * depth, s["_resource"].get("service.name"),
            {SERVER: "SERVER", CLIENT: "CLIENT"}.get(s["kind"], "?"),
            s["name"], s["spanId"], s.get("parentSpanId") or "-",
            (int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])) /
            1e6))
        for k in sorted(kids.get(s["spanId"], []),
                        key=lambda x: int(x["startTimeUnixNano"])):
            walk(k, depth + 1)
    print("trace %s, as the collector got it:" % trace)
    for s in sorted(kids.get(None, []),
                    key=lambda x: int(x["startTimeUnixNano"])):
        walk(s, 0)


def test_joined(b):
    """The child exports to the same collector: a tool call that asks for
    sampling through the shared child is one trace, the child's spans
    joined.  serve's SERVER span > its round trip > the child's SERVER
    span > the child's sampling/createMessage span > serve's span of that
    request to the client, whose context the client gets.  The exporter's
    header is not in the child's environment."""
    wait_ready(b)
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {"sampling": {}},
        "clientInfo": {"name": "joined", "version": "1"}}))
    check(r.status == 200, "initialize: %d" % r.status)
    sid = r.headers.get("mcp-session-id")
    ver = r.answer()["result"]["protocolVersion"]
    r.close()
    r = post(b, note("notifications/initialized"), sid, ver)
    check(r.status == 202, "initialized: %d" % r.status)
    r.close()

    r = post(b, rpc(2, "tools/call", {"name": "sample", "arguments": {
        "prompt": "Say hello."}}), sid, ver)
    check(r.status == 200, "tools/call: %d" % r.status)
    ask = r.next_json()
    check(ask is not None and ask.get("method") ==
          "sampling/createMessage", "asked %r" % ask)
    asked = ask["params"].get("_meta", {}).get("traceparent")
    a = post(b, {"jsonrpc": "2.0", "id": ask["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "hello"},
        "model": "joined-model"}}, sid, ver)
    check(a.status in (200, 202), "the sampling answer: %d" % a.status)
    a.close()
    ans = r.answer()
    r.close()
    check(ans.get("id") == 2 and "hello" in text_of(ans), "answer %r" % ans)
    st, env = call(b, sid, ver, 3, "report_env",
                   {"name": "OTEL_EXPORTER_OTLP_HEADERS"})
    check(st == 200 and HEADER_SECRET not in json.dumps(env),
          "the child got the exporter's header: %r" % env)

    srv = RECEIVER.wait_span("tools/call sample")
    trace = srv["traceId"]
    RECEIVER.wait_for(lambda r: len(r.spans(trace_id=trace)) >= 5,
                      what="the five spans of the joined trace")
    spans = RECEIVER.spans(trace_id=trace)
    check(len(spans) == 5, "%d spans: %r" % (len(spans), [
        (s["_resource"].get("service.name"), s["name"]) for s in spans]))
    by = {(s["_resource"].get("service.name"), s["kind"], s["name"]): s
          for s in spans}
    me, child = "mcpbridge", "mcpbridge-test-server"
    want = [(me, SERVER, "tools/call sample"),
            (me, CLIENT, "tools/call sample"),
            (child, SERVER, "tools/call sample"),
            (child, CLIENT, "sampling/createMessage"),
            (me, CLIENT, "sampling/createMessage")]
    check(sorted(by) == sorted(want), "spans: %r" % sorted(by))
    top, rt, csrv, cask, smp = (by[k] for k in want)
    check(not top.get("parentSpanId"), "the top has a parent: %r" % top)
    for kid, parent in zip(want[1:], want):
        check(by[kid].get("parentSpanId") == by[parent]["spanId"],
              "%r is not under %r" % (kid, parent))
    assert_attrs(csrv, {"mcp.method.name": "tools/call",
                        "gen_ai.tool.name": "sample",
                        "network.transport": "pipe"})
    assert_attrs(cask, {"mcp.method.name": "sampling/createMessage"})
    _, aspan, _ = parse_tp(asked)
    check(aspan == smp["spanId"], "the client got %r, not serve's "
          "sampling span's context" % asked)
    for inner, outer in ((rt, top), (csrv, rt), (cask, csrv)):
        check(int(inner["startTimeUnixNano"]) >=
              int(outer["startTimeUnixNano"]) and
              int(inner["endTimeUnixNano"]) <=
              int(outer["endTimeUnixNano"]),
              "%s is not within %s" % (inner["name"], outer["name"]))
    with RECEIVER.st.lock:
        keys = [h.get("x-otel-key") for h in RECEIVER.st.headers]
    check(HEADER_SECRET in keys and None in keys, "serve's posts carry the "
          "header, the child's do not: %r" % keys)
    if os.environ.get("VERBOSE"):
        print_tree(trace)


def test_isolated(b):
    """--isolation=session: a session's own child gets the round trip's
    context as the shared one does."""
    wait_ready(b)
    for i in range(2):
        sid, ver = initialize(b)
        st, ans = call(b, sid, ver, 2, "trace_meta")
        check(st == 200, "status %d" % st)
        trace, span, _ = parse_tp(json.loads(text_of(ans))["traceparent"])
        srv = RECEIVER.wait_span("tools/call trace_meta", trace)
        check(round_trip(srv, "isolated")["spanId"] == span,
              "session %d: the child's parent is not the round trip" % i)


def test_isolated_tools(b):
    """--isolation=session: a tool a session's own child listed is a
    label of the histogram, in that session and in later ones."""
    wait_ready(b)
    op = ('mcp_server_operation_duration_seconds_count{mcp_method_name='
          '"tools/call",gen_ai_tool_name="%s",error_type=""}')
    sid, ver = initialize(b)
    r = post(b, rpc(2, "tools/list"), sid, ver)
    r.answer()
    r.close()
    st, _ = call(b, sid, ver, 3, "echo", {"message": "x"})
    check(st == 200, "echo: %d" % st)
    sid, ver = initialize(b)
    st, _ = call(b, sid, ver, 2, "echo", {"message": "y"})
    check(st == 200, "echo: %d" % st)
    check(metric(b, op % "echo") == 2, "echo's series: %r, _OTHER's %r" %
          (metric(b, op % "echo"), metric(b, op % "_OTHER")))


def test_pool_restart(b):
    """--children 2: a child's restart is an event of its own requests'
    spans only."""
    import threading
    end = time.time() + 20
    while len(b.children()) < 2 and time.time() < end:
        time.sleep(0.02)
    check(len(b.children()) == 2, "children: %r" % b.children())
    wait_ready(b)
    # /readyz answers once one copy is ready; sessions go to ready copies
    # only, so both must be for a and b to get one each.
    while time.time() < end and any(
            metric(b, 'mcpbridge_pool_child_ready{child="%d"}' % c) != 1
            for c in (1, 2)):
        time.sleep(0.02)
    sa, va = initialize(b)
    sb, vb = initialize(b)
    got = {}

    def slow(tag, sid, ver):
        got[tag] = call(b, sid, ver, 2, "delay", {"ms": 1500,
                                                  "message": tag})
    ts = [threading.Thread(target=slow, args=a)
          for a in (("a", sa, va), ("b", sb, vb))]
    for t in ts:
        t.start()
    # Both calls at their children before b's exits (nothing else runs).
    end = time.time() + 10
    while metric(b, "mcpbridge_requests_in_flight") != 2:
        check(time.time() < end, "the calls never reached the children")
        time.sleep(0.02)
    call(b, sb, vb, 3, "exit", {"code": 1})
    for t in ts:
        t.join(20)
    check(got.get("a", (0,))[0] == 200 and "result" in got["a"][1],
          "a: %r" % (got.get("a"),))
    RECEIVER.wait_for(lambda r: len(r.spans("tools/call delay",
                                            kind=SERVER)) == 2,
                      what="the two calls' spans")
    for srv in RECEIVER.spans("tools/call delay", kind=SERVER):
        mine = srv.get("status", {}).get("code", 0) == 2
        events = [e["name"] for e in srv.get("events", [])]
        check(("mcp.child.restart" in events) == mine,
              "%s call: events %r" % ("the lost" if mine else "the other",
                                      events))
        # The round trip that failed says so too.
        rt = round_trip(srv, "delay")
        rt_events = [e["name"] for e in rt.get("events", [])]
        check((rt.get("status", {}).get("code", 0) == 2) == mine and
              ("error.type" in rt.attrs) == mine and
              ("mcp.child.restart" in rt_events) == mine,
              "%s call's round trip: %r %r %r" % (
                  "the lost" if mine else "the other", rt.get("status"),
                  rt.attrs.get("error.type"), rt_events))


def test_capture(b):
    """--otel-capture-content: arguments and result in the span."""
    wait_ready(b)
    b.headers["Authorization"] = "Bearer " + TOKEN
    sid, ver = initialize(b)
    st, ans = call(b, sid, ver, 2, "echo", {"message": "captured-text"})
    check(st == 200, "status %d" % st)
    srv = RECEIVER.wait_span("tools/call echo")
    check(json.loads(srv.attrs.get("gen_ai.tool.call.arguments", "{}")) ==
          {"message": "captured-text"}, "arguments: %r" % srv.attrs)
    check("captured-text" in srv.attrs.get("gen_ai.tool.call.result", ""),
          "result: %r" % srv.attrs)
    # Known secrets are redacted from what is captured, as the message
    # trace does: an --env value the child reports, a static token a
    # client writes into an argument.
    st, ans = call(b, sid, ver, 3, "report_env", {"name": "OTEL_ENV_KEY"})
    check(st == 200 and ENV_SECRET in json.dumps(ans),
          "report_env: %d %r" % (st, ans))
    st, _ = call(b, sid, ver, 4, "echo", {"message": "tok " + TOKEN})
    check(st == 200, "echo: %d" % st)
    RECEIVER.wait_span("tools/call report_env")
    RECEIVER.wait_for(lambda r: len(r.spans("tools/call echo",
                                            kind=SERVER)) == 2,
                      what="the second echo")
    with RECEIVER.st.lock:
        sent = json.dumps(RECEIVER.st.spans)
    check(ENV_SECRET not in sent, "an --env value is in a span")
    check(TOKEN not in sent, "a token is in a span")
    check("[redacted]" in sent, "nothing redacted")

    # Client mode: a --header value the local client writes into an
    # argument (and the server echoes back) is not in its spans either.
    from mcptest.bridge import BRIDGE
    lines = [rpc(1, "initialize", {"protocolVersion": "2025-06-18",
                                   "capabilities": {},
                                   "clientInfo": {"name": "t",
                                                  "version": "1"}}),
             note("notifications/initialized"),
             rpc(2, "tools/call", {"name": "echo", "arguments": {
                 "message": "hdr " + CLIENT_SECRET}})]
    out = subprocess.run(
        [BRIDGE, "client", b.url + "/mcp", "--otel-endpoint",
         RECEIVER.endpoint(), "--otel-capture-content",
         "--otel-service-name", "capture-client",
         "--header", "Authorization: Bearer " + TOKEN,
         "--header", "X-Extra: " + CLIENT_SECRET],
        input="".join(json.dumps(m) + "\n" for m in lines),
        capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and CLIENT_SECRET in out.stdout,
          "client: %d %s" % (out.returncode, out.stderr))
    cli = RECEIVER.wait_for(lambda r: [
        x for x in r.spans("tools/call echo", kind=CLIENT)
        if x["_resource"].get("service.name") == "capture-client"],
        what="client mode's echo span")[0]
    check("gen_ai.tool.call.result" in cli.attrs, "client: no result")
    check(CLIENT_SECRET not in json.dumps(cli), "client mode: a --header "
          "value is in a span: %r" % cli.attrs)


def test_session_end(b):
    """A session deleted with calls still at the child: their spans end
    at once with error.type session_end and the mcp.session.end event,
    and none stays open (mcpbridge_otel_spans_open back to 0)."""
    import threading
    from mcptest.wire import exchange as ex
    wait_ready(b)
    # Where spans go is logged (without credentials).
    b.wait_log("exporting traces over OTLP/HTTP (JSON) to %s/v1/traces" %
               RECEIVER.endpoint())
    for round_ in range(3):
        sid, ver = initialize(b)
        ids = ["gone-%d-%d" % (round_, i) for i in range(3)]

        def slow(i):
            try:
                r = post(b, rpc(i, "tools/call", {
                    "name": "delay", "arguments": {"ms": 3000}}), sid, ver)
                r.body()
                r.close()
            except Exception:       # the session went under it
                pass
        ts = [threading.Thread(target=slow, args=(i,)) for i in ids]
        for t in ts:
            t.start()
        end = time.time() + 10
        while (metric(b, "mcpbridge_requests_in_flight") or 0) < 3:
            check(time.time() < end, "the calls never reached the child")
            time.sleep(0.02)
        st, _, _ = ex(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid,
                                            "MCP-Protocol-Version": ver})
        check(st in (200, 204), "DELETE: %d" % st)
        # Well before the child would have answered (3 s).
        for i in ids:
            srv = RECEIVER.wait_for(lambda r: [
                x for x in r.spans("tools/call delay", kind=SERVER)
                if x.attrs.get("jsonrpc.request.id") == i], timeout=2,
                what="the span of %s" % i)[0]
            check(srv.attrs.get("error.type") == "session_end",
                  "%s: error.type %r" % (i, srv.attrs.get("error.type")))
            check("mcp.session.end" in [e["name"] for e in
                                        srv.get("events", [])],
                  "%s: no mcp.session.end event" % i)
            round_trip(srv, i)
        for t in ts:
            t.join(10)
    end = time.time() + 10
    while True:
        n = metric(b, "mcpbridge_otel_spans_open")
        check(n is not None, "no mcpbridge_otel_spans_open in /metrics")
        if n == 0:
            break
        check(time.time() < end, "%r spans still open" % n)
        time.sleep(0.05)


def test_nul(b):
    """A NUL in a tool name cuts nothing: "echo\\u0000 x" is not recorded
    as a call of echo, in spans or in the metrics' labels."""
    from mcptest.wire import metrics
    wait_ready(b)
    sid, ver = initialize(b)
    r = post(b, rpc(2, "tools/list", {}), sid, ver)
    check(r.status == 200, "tools/list: %d" % r.status)
    r.answer()
    r.close()

    def echo_series():
        return {k: v for k, v in metrics(b).items()
                if 'gen_ai_tool_name="echo"' in k and "_count" in k}
    before = echo_series()
    st, _ = call(b, sid, ver, 3, "echo\u0000 totally harmless")
    check(st == 200, "status %d" % st)
    name = "echo\ufffd totally harmless"
    srv = RECEIVER.wait_span("tools/call " + name)
    check(srv.attrs.get("gen_ai.tool.name") == name,
          "gen_ai.tool.name %r" % srv.attrs.get("gen_ai.tool.name"))
    round_trip(srv, "the NUL call")
    check(not RECEIVER.spans("tools/call echo"), "recorded as echo")
    check(echo_series() == before, "counted as echo: %r -> %r" %
          (before, echo_series()))


def latencies_ms(pairs, n):
    """The median time of n echo calls on each (bridge, sid, version) of
    pairs, in milliseconds, the bridges taking turns call by call so that
    the machine's load falls on both alike."""
    times = [[] for _ in pairs]
    for i in range(n):
        for k, (b, sid, ver) in enumerate(pairs):
            t = time.monotonic()
            st, _ = call(b, sid, ver, 100 + i, "echo", {"message": "x"})
            times[k].append((time.monotonic() - t) * 1000)
            check(st == 200, "echo: %d" % st)
    return [sorted(t)[len(t) // 2] for t in times]


def collector_trouble(b, counter):
    """Requests cost the same with export failing as with export off;
    the failures are counted in /metrics."""
    from mcptest.bridge import Bridge
    wait_ready(b)
    off = Bridge("--no-otel")
    try:
        wait_ready(off)
        pairs = [(b,) + initialize(b), (off,) + initialize(off)]
        latencies_ms(pairs, 5)                  # warm up both
        t_on, t_off = latencies_ms(pairs, LATENCY_N)
    finally:
        off.stop()
    print("median echo: %.2f ms with the collector in trouble, %.2f ms "
          "with export off" % (t_on, t_off))
    check(t_on < LATENCY_RATIO * t_off + LATENCY_SLACK_MS,
          "export costs requests: %.2f ms vs %.2f ms" % (t_on, t_off))
    end = time.time() + 15
    while time.time() < end:
        v = metric(b, counter) or 0
        if v > 0:
            return
        time.sleep(0.1)
    raise Failure("%s never rose" % counter)


def test_down(b):
    collector_trouble(b, "mcpbridge_otel_spans_failed_total")


def test_slow(b):
    RECEIVER.set("slow", delay=3)
    collector_trouble(b, "mcpbridge_otel_spans_failed_total")


def test_sigterm(b):
    """A long batch delay: only the drain's flush sends the last span."""
    wait_ready(b)
    sid, ver = initialize(b)
    st, _ = call(b, sid, ver, 2, "echo", {"message": "last"})
    check(st == 200, "status %d" % st)
    time.sleep(0.2)
    check(not RECEIVER.spans("tools/call echo"), "sent before the delay")
    b.proc.send_signal(signal.SIGTERM)
    b.proc.wait(10)
    check(b.proc.returncode == 0, "exit %r" % b.proc.returncode)
    check(RECEIVER.spans("tools/call echo"), "the last span was lost")


def test_named(_):
    """serve --config with two servers: each one's request spans, and
    their child round trips, carry its name; the child of each gets its
    own round trip's context (the servers number child requests alike)."""
    tmp = tempfile.mkdtemp(prefix="otel-named.")
    path = os.path.join(tmp, "mcp.json")
    with open(path, "w") as f:
        json.dump({"mcpServers": {
            "fx": {"command": FIXTURE},
            "other": {"command": FIXTURE,
                      "mcpbridge": {"isolation": "session"}}}}, f)
    b = Bridge(*OTEL, config=path)
    try:
        b.wait_ready()
        for name in ("fx", "other"):
            route = Endpoint(b.port)
            route.base = "/servers/" + name
            sid, ver = initialize(route)
            st, ans = call(route, sid, ver, 2, "trace_meta")
            check(st == 200, "%s: status %d" % (name, st))
            trace, span, _ = parse_tp(json.loads(text_of(ans))["traceparent"])
            srv = RECEIVER.wait_span("tools/call trace_meta", trace)
            check(srv.attrs.get("mcpbridge.server.name") == name,
                  "%s: SERVER span %r" % (name, srv.attrs))
            rt = round_trip(srv, name)
            check(rt["spanId"] == span, "%s: the child's parent is not its "
                  "round trip" % name)
            check(rt.attrs.get("mcpbridge.server.name") == name,
                  "%s: CLIENT span %r" % (name, rt.attrs))
        # The aggregated /mcp: a SERVER span of the client's request (by
        # the name it called; no one server's), the round trip at the
        # server under it, named after that server, the child's parent;
        # the caller's traceparent header its parent; a session's id on
        # it.  Part ids of the agg's never end a client's span: the
        # call's id is 1, as the agg's first part at fx is.
        sid, ver = initialize(b)
        st, ans = call(b, sid, ver, 1, "fx__trace_meta",
                       extra={"traceparent": HEADER_TP})
        check(st == 200 and "result" in ans, "/mcp: %d %r" % (st, ans))
        trace, span, _ = parse_tp(json.loads(text_of(ans))["traceparent"])
        check(trace == HEADER_TRACE, "/mcp: the child's trace %s" % trace)
        srv = RECEIVER.wait_span("tools/call fx__trace_meta", trace)
        check(srv["kind"] == SERVER and
              srv.get("parentSpanId") == HEADER_SPAN and
              "mcpbridge.server.name" not in srv.attrs and
              srv.attrs.get("jsonrpc.request.id") == "1" and
              "mcp.session.id" in srv.attrs,
              "/mcp: SERVER span %r" % srv)
        rt = round_trip(srv, "/mcp")
        check(rt["spanId"] == span, "/mcp: the child's parent is not its "
              "round trip")
        check(rt.attrs.get("mcpbridge.server.name") == "fx",
              "/mcp: CLIENT span %r" % rt.attrs)
        status = b.stop()
        check(status == 0, "exit status %s" % status)
    finally:
        b.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_named_restart(_):
    """serve --config with two servers, one child each (both their pool's
    child 1): when one server's child exits, the restart is an event of
    that server's request only, not of the other's request at its own
    child 1."""
    import threading
    tmp = tempfile.mkdtemp(prefix="otel-named-restart.")
    path = os.path.join(tmp, "mcp.json")
    with open(path, "w") as f:
        json.dump({"mcpServers": {"ra": {"command": FIXTURE},
                                  "rb": {"command": FIXTURE}}}, f)
    b = Bridge(*OTEL, config=path)
    try:
        b.wait_ready()
        routes = {}
        for name in ("ra", "rb"):
            routes[name] = Endpoint(b.port)
            routes[name].base = "/servers/" + name
            routes[name].sv = initialize(routes[name])
        got = {}

        def slow(name):
            sid, ver = routes[name].sv
            got[name] = call(routes[name], sid, ver, 2, "delay",
                             {"ms": 1500, "message": name})
        ts = [threading.Thread(target=slow, args=(n,)) for n in routes]
        for t in ts:
            t.start()
        # Both calls at their children before rb's exits (nothing else
        # runs).
        end = time.time() + 10
        while metric(b, "mcpbridge_requests_in_flight") != 2:
            check(time.time() < end, "the calls never reached the children")
            time.sleep(0.02)
        sid, ver = routes["rb"].sv
        call(routes["rb"], sid, ver, 3, "exit", {"code": 1})
        for t in ts:
            t.join(20)
        check(got.get("ra", (0,))[0] == 200 and "result" in got["ra"][1],
              "ra: %r" % (got.get("ra"),))

        def mine(r):
            return [s for s in r.spans("tools/call delay", kind=SERVER)
                    if s.attrs.get("mcpbridge.server.name") in routes]
        RECEIVER.wait_for(lambda r: len(mine(r)) == 2,
                          what="the two servers' calls' spans")
        for srv in mine(RECEIVER):
            name = srv.attrs.get("mcpbridge.server.name")
            events = [e["name"] for e in srv.get("events", [])]
            check(("mcp.child.restart" in events) == (name == "rb"),
                  "%s's call: events %r" % (name, events))
        status = b.stop()
        check(status == 0, "exit status %s" % status)
    finally:
        b.stop()
        shutil.rmtree(tmp, ignore_errors=True)


TESTS = {
    "sdk": (test_sdk, OTEL, None),
    "http": (test_http, OTEL, None),
    "eras": (test_eras, OTEL, None),
    "related": (test_related, OTEL, None),
    "secrets": (test_secrets, OTEL + ["--auth-token-env", "OTEL_TEST_TOKEN",
                                      "--trace=body", "--env",
                                      "OTEL_ENV_KEY=" + ENV_SECRET],
                {"OTEL_TEST_TOKEN": TOKEN,
                 "OTEL_EXPORTER_OTLP_HEADERS": "x-otel-key=" +
                 HEADER_SECRET}),
    "isolated": (test_isolated, OTEL + ["--isolation", "session"], None),
    "client": (test_client, OTEL, None),
    "client-sampling": (test_client_sampling, OTEL, None),
    "isolated-tools": (test_isolated_tools, OTEL + ["--isolation",
                                                   "session"], None),
    "pool-restart": (test_pool_restart, OTEL + ["--children", "2"], None),
    "capture": (test_capture, OTEL + [
        "--otel-capture-content", "--env", "OTEL_ENV_KEY=" + ENV_SECRET,
        "--auth-token-env", "OTEL_TEST_TOKEN"], {"OTEL_TEST_TOKEN": TOKEN}),
    "joined": (test_joined, OTEL, {"OTEL_EXPORTER_OTLP_ENDPOINT":
                                   RECEIVER.endpoint(),
                                   "OTEL_BSP_SCHEDULE_DELAY": "20",
                                   "OTEL_EXPORTER_OTLP_HEADERS":
                                   "x-otel-key=" + HEADER_SECRET}),
    "session-end": (test_session_end, OTEL, None),
    "nul": (test_nul, OTEL, None),
    "down": (test_down, ["--otel-endpoint", "http://127.0.0.1:%d" %
                         DEAD_PORT, "--otel-batch-delay", "10ms"], None),
    "slow": (test_slow, OTEL + ["--otel-timeout", "300ms"], None),
    "sigterm": (test_sigterm, ["--otel-endpoint", RECEIVER.endpoint(),
                               "--otel-batch-delay", "60s"], None),
    "named": (test_named, [], None),
    "named-restart": (test_named_restart, [], None),
}

if __name__ == "__main__":
    run_all(list(TESTS), TESTS)
