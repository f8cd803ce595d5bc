#!/usr/bin/env python3
# http-ops.py: running it: GET /metrics (and --metrics-listen), the access
# log in text and JSON (session, method, status, latency for each
# request), and shutting down: SIGTERM turns /readyz 503 at once, refuses
# new sessions, lets requests in flight finish (up to --drain-timeout),
# closes the streams and exits 0; a second signal exits at once.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

TOP = os.environ.get("top_builddir", ".")
BRIDGE = os.path.join(TOP, "src", "mcpbridge")
SERVER = os.path.join(TOP, "src", "mcpbridge-example-server")
ACCEPT_BOTH = "application/json, text/event-stream"


# ---- helpers (the same in every tests/http-*.py) ----

class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Bridge:
    def __init__(self, *args, env=None):
        self.log = tempfile.TemporaryFile()
        full = dict(os.environ)
        full.update(env or {})
        self.proc = subprocess.Popen(
            [BRIDGE, "serve", "--port", "0", "--print-url"] + list(args) +
            ["--", SERVER], stdout=subprocess.PIPE, stderr=self.log,
            env=full)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("http"):
            self.stop()
            raise Failure("no URL printed: %r\n%s" % (line, self.stderr()))
        self.url = line.strip()
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port, self.base = u.hostname, u.port, u.path
        self.hostport = u.netloc
        self.headers = {}       # sent with every request

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def stderr(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


class Response:
    """One HTTP exchange on its own connection, body read incrementally
    (chunked or not), with SSE parsing on top."""

    def __init__(self, bridge, method, path, headers=None, body=None,
                 timeout=10):
        self.sock = socket.create_connection((bridge.host, bridge.port),
                                             timeout=timeout)
        hdrs = {"Host": bridge.hostport}
        hdrs.update(bridge.headers)
        hdrs.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        req = "%s %s HTTP/1.1\r\n" % (method, bridge.base + path)
        req += "".join("%s: %s\r\n" % kv for kv in hdrs.items()
                       if kv[1] is not None) + "\r\n"
        self.sock.sendall(req.encode() + (body or b""))
        self.f = self.sock.makefile("rb")
        status = self.f.readline().decode()
        check(status.startswith("HTTP/1."), "bad status line %r" % status)
        self.status = int(status.split()[1])
        self.headers = {}
        while True:
            line = self.f.readline().decode()
            if line in ("\r\n", "\n", ""):
                break
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "")
        self.left = int(self.headers.get("content-length", "-1"))
        if self.status in (204, 304) or method == "HEAD":
            self.left = 0
        self.pending = b""
        self.eof = False
        self.comments = []

    def _fill(self):
        if self.eof:
            return False
        if self.chunked:
            size = int(self.f.readline().split(b";")[0], 16)
            if size == 0:
                self.f.readline()
                self.eof = True
                return False
            self.pending += self.f.read(size)
            self.f.readline()
            return True
        if self.left == 0:
            self.eof = True
            return False
        data = self.f.read1(65536 if self.left < 0 else min(self.left, 65536))
        if not data:
            self.eof = True
            return False
        if self.left > 0:
            self.left -= len(data)
        self.pending += data
        return True

    def body(self):
        while self._fill():
            pass
        data, self.pending = self.pending, b""
        return data

    def json(self):
        return json.loads(self.body())

    def line(self):
        while b"\n" not in self.pending:
            if not self._fill():
                return None
        line, self.pending = self.pending.split(b"\n", 1)
        return line.rstrip(b"\r").decode()

    def event(self):
        """The next event as a dict (event, id, data, retry), or None at
        the end of the stream.  Comments are collected."""
        ev = {}
        data = None
        while True:
            line = self.line()
            if line is None:
                return None
            if line == "":
                if data is not None or "id" in ev:
                    ev["data"] = data if data is not None else ""
                    return ev
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            if k == "data":
                data = v if data is None else data + "\n" + v
            else:
                ev[k] = v

    def message(self):
        """The next event carrying JSON, parsed, or None at the end."""
        while True:
            ev = self.event()
            if ev is None:
                return None
            if ev["data"] != "":
                ev["msg"] = json.loads(ev["data"])
                return ev

    def answer(self):
        """The final JSON answer, whether it came as JSON or as SSE."""
        if self.headers.get("content-type", "").startswith(
                "text/event-stream"):
            while True:
                ev = self.message()
                check(ev is not None, "stream ended without an answer")
                if "id" in ev["msg"] and "method" not in ev["msg"]:
                    return ev["msg"]
        return self.json()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.f.close()
        self.sock.close()


def exchange(b, method, path, headers=None, body=None):
    """One request, answered and closed: (status, headers, body bytes)."""
    r = Response(b, method, path, headers, body)
    data = r.body()
    r.close()
    return r.status, r.headers, data


def rpc(id, method, params=None):
    m = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        m["params"] = params
    return m


def note(method, params=None):
    m = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        m["params"] = params
    return m


def post(b, body, sid=None, version=None, accept=ACCEPT_BOTH,
         ctype="application/json", extra=None):
    h = {"Content-Type": ctype}
    if accept is not None:
        h["Accept"] = accept
    if sid is not None:
        h["Mcp-Session-Id"] = sid
    if version is not None:
        h["MCP-Protocol-Version"] = version
    h.update(extra or {})
    return Response(b, "POST", "/mcp", h, body)


def initialize(b, version="2025-06-18", extra=None):
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": version, "capabilities": {},
        "clientInfo": {"name": "http-test", "version": "1"}}), extra=extra)
    check(r.status == 200, "initialize: %d" % r.status)
    sid = r.headers.get("mcp-session-id")
    check(sid is not None, "initialize: no Mcp-Session-Id")
    body = r.answer()
    r.close()
    check(body.get("id") == 1 and "result" in body, "initialize: %r" % body)
    r = post(b, note("notifications/initialized"), sid, version, extra=extra)
    check(r.status == 202, "initialized: %d" % r.status)
    r.close()
    return sid, body["result"]["protocolVersion"]


def call(b, sid, version, id, name, args=None, extra=None):
    """tools/call on a session: (status, answer or None)."""
    r = post(b, rpc(id, "tools/call", {"name": name,
                                       "arguments": args or {}}),
             sid, version, extra=extra)
    status = r.status
    body = r.answer() if status == 200 else None
    r.close()
    return status, body


def text_of(answer):
    return "".join(c.get("text", "") for c in
                   answer["result"].get("content", []))


def wait_ready(b):
    for _ in range(100):
        r = Response(b, "GET", "/readyz")
        status = r.status
        r.body()
        r.close()
        if status == 200:
            return
        time.sleep(0.05)
    raise Failure("never ready")


def metric(b, name, path="/metrics"):
    """The value of one sample of /metrics (name with its labels)."""
    status, _, data = exchange(b, "GET", path)
    check(status == 200, "metrics: %d" % status)
    for line in data.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def main(test, *args, env=None):
    if not (os.access(BRIDGE, os.X_OK) and os.access(SERVER, os.X_OK)):
        print("SKIP: %s or %s not built" % (BRIDGE, SERVER))
        sys.exit(77)
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        Failure("timed out")))
    signal.alarm(90)
    b = Bridge(*args, env=env)
    try:
        test(b)
    except (Failure, OSError, ValueError, KeyError, TypeError) as e:
        b.stop()
        print("FAIL: %s: %s" % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
        print("---- bridge stderr ----")
        print(b.stderr())
        sys.exit(1)
    finally:
        b.stop()
    err = b.stderr()
    if re.search(r"Sanitizer|runtime error:", err) or \
            b.proc.returncode != 0:
        print("FAIL: exit status %d or sanitizer report" %
              b.proc.returncode)
        print(err)
        sys.exit(1)
    print("PASS")
    sys.exit(0)


def run_all(names, table):
    """With an argument, run that one test; without, each in its own
    process."""
    if len(sys.argv) > 1:
        fn, args, env = table[sys.argv[1]]
        main(fn, *args, env=env)
    me = os.path.abspath(__file__)
    rcs = [subprocess.call([sys.executable, me, w]) for w in names]
    if any(rc not in (0, 77) for rc in rcs):
        sys.exit(1)
    sys.exit(77 if all(rc == 77 for rc in rcs) else 0)

# ---- the tests ----


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


METRICS_PORT = free_port()


def test_metrics(b):
    wait_ready(b)
    sid, version = initialize(b)
    status, answer = call(b, sid, version, 2, "echo", {"message": "m"})
    check(status == 200, "echo: %d" % status)
    status, answer = call(b, sid, version, 3, "no_such_tool")
    g = Response(b, "GET", "/sse", {"Accept": "text/event-stream"})
    g.event()
    status, hdrs, data = exchange(b, "GET", "/metrics")
    check(status == 200 and hdrs["content-type"].startswith("text/plain"),
          "metrics: %d %r" % (status, hdrs))
    text = data.decode()
    for want in ('mcpbridge_sessions{transport="streamable"} 1',
                 'mcpbridge_sessions{transport="sse"} 1',
                 'mcpbridge_requests_total{method="tools/call",outcome="ok"} 1',
                 'mcpbridge_requests_total{method="initialize",outcome="ok"} 1',
                 "mcpbridge_requests_in_flight 0",
                 "mcpbridge_child_up 1",
                 "mcpbridge_child_restarts_total 0",
                 "mcpbridge_ready 1",
                 "# TYPE mcpbridge_request_duration_seconds histogram",
                 'mcpbridge_request_duration_seconds_bucket{le="+Inf"} ',
                 "mcpbridge_http_received_bytes_total ",
                 "mcpbridge_http_sent_bytes_total ",
                 "mcpbridge_slow_clients_dropped_total 0",
                 "mcpbridge_http_connections "):
        check(want in text, "%r not in:\n%s" % (want, text))
    # Every sample line parses as NAME{LABELS} VALUE.
    for line in text.splitlines():
        if not line.startswith("#"):
            check(re.match(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*'
                           r'\})? [0-9.]+$', line), "bad line %r" % line)
    check(metric(b, "mcpbridge_http_received_bytes_total") > 500,
          "bytes in")
    g.close()

    # The separate listener serves /metrics only, without a token.
    mb = type("M", (), {})()
    mb.host, mb.port, mb.base, mb.hostport, mb.headers = \
        "127.0.0.1", METRICS_PORT, "", "127.0.0.1:%d" % METRICS_PORT, {}
    status, _, data = exchange(mb, "GET", "/metrics")
    check(status == 200 and b"mcpbridge_sessions" in data,
          "--metrics-listen: %d" % status)
    status, _, _ = exchange(mb, "GET", "/mcp")
    check(status == 404, "--metrics-listen serves /mcp: %d" % status)


def test_metrics_auth(b):
    wait_ready(b)
    status, hdrs, _ = exchange(b, "GET", "/metrics")
    check(status == 401, "/metrics without a token: %d" % status)
    b.headers["Authorization"] = "Bearer ops-token-0123456789"
    check(metric(b, 'mcpbridge_http_rejections_total{code="401"}') == 1,
          "401 not counted")
    check(metric(b, "mcpbridge_auth_failures_total") == 1,
          "auth failure not counted")


def test_log_json(b):
    wait_ready(b)
    sid, version = initialize(b)
    call(b, sid, version, 2, "echo", {"message": "j"})
    time.sleep(0.2)
    lines = [json.loads(l) for l in b.stderr().splitlines() if l.strip()]
    reqs = [l for l in lines if l.get("msg") == "request"]
    calls = [l for l in reqs if l.get("method") == "tools/call"]
    check(calls, "no request line for tools/call: %r" % reqs)
    c = calls[0]
    check(c["status"] == 200 and c["session"] == sid[:8] and
          c["http_method"] == "POST" and c["path"] == "/mcp" and
          isinstance(c["latency_ms"], int) and c["peer"] == "127.0.0.1",
          "request line %r" % c)
    check(all("time" in l and "level" in l for l in lines), "bad lines")


def test_log_text(b):
    wait_ready(b)
    sid, version = initialize(b)
    call(b, sid, version, 2, "echo", {"message": "t"})
    time.sleep(0.2)
    check(re.search(r"info: 127\.0\.0\.1 POST /mcp 200 \d+ms session %s "
                    r"tools/call" % sid[:8], b.stderr()),
          "no readable request line")


def test_drain(b):
    wait_ready(b)
    sid, version = initialize(b)
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid,
                                    "MCP-Protocol-Version": version})
    check(g.status == 200, "GET stream: %d" % g.status)
    result = {}

    def slow():
        result["slow"] = call(b, sid, version, 2, "delay",
                              {"ms": 1500, "message": "finished"})
    t = threading.Thread(target=slow)
    t.start()
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 1:
        check(time.monotonic() < deadline, "call not in flight")
        time.sleep(0.05)
    start = time.monotonic()
    b.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    status, _, _ = exchange(b, "GET", "/readyz")
    check(status == 503, "readyz while draining: %d" % status)
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "late", "version": "1"}}))
    check(r.status == 503, "new session while draining: %d" % r.status)
    r.close()
    r = post(b, rpc(3, "ping"), sid, version)
    check(r.status == 503, "new request while draining: %d" % r.status)
    r.close()
    t.join()
    status, answer = result["slow"]
    check(status == 200 and text_of(answer) == "finished",
          "the call in flight did not finish: %r" % (answer,))
    check(g.event() is None, "the GET stream was not closed")
    g.close()
    b.proc.wait(5)
    check(b.proc.returncode == 0, "exit status %d" % b.proc.returncode)
    check(time.monotonic() - start < 4, "draining took too long")
    check("no request in flight" in b.stderr(), "drain not logged")


def test_drain_timeout(b):
    wait_ready(b)
    sid, version = initialize(b)
    result = {}

    def slow():
        result["slow"] = call(b, sid, version, 2, "delay",
                              {"ms": 20000, "message": "never"})
    t = threading.Thread(target=slow)
    t.start()
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 1:
        check(time.monotonic() < deadline, "call not in flight")
        time.sleep(0.05)
    start = time.monotonic()
    b.proc.send_signal(signal.SIGTERM)
    t.join()
    check(result["slow"][0] == 503, "held call: %r" % (result["slow"],))
    b.proc.wait(10)
    check(b.proc.returncode == 0, "exit status %d" % b.proc.returncode)
    check(time.monotonic() - start < 8, "took %.1fs" %
          (time.monotonic() - start))
    check("still in flight after --drain-timeout" in b.stderr(),
          "timeout not logged")


def test_second_signal(b):
    wait_ready(b)
    sid, version = initialize(b)
    # A call the child will not answer for long, sent without waiting.
    s = socket.create_connection((b.host, b.port))
    body = json.dumps(rpc(2, "tools/call", {"name": "delay", "arguments": {
        "ms": 20000, "message": "never"}})).encode()
    s.sendall(("POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: "
               "application/json\r\nAccept: %s\r\nMcp-Session-Id: %s\r\n"
               "MCP-Protocol-Version: %s\r\nContent-Length: %d\r\n\r\n" %
               (b.hostport, ACCEPT_BOTH, sid, version, len(body))).encode()
              + body)
    time.sleep(0.3)
    start = time.monotonic()
    b.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    check(b.proc.poll() is None, "exited with a request in flight")
    b.proc.send_signal(signal.SIGINT)
    b.proc.wait(5)
    check(time.monotonic() - start < 2, "the second signal was not obeyed")
    check("second signal" in b.stderr(), "not logged")
    s.close()


TESTS = {
    "metrics": (test_metrics, ["--metrics-listen",
                               "127.0.0.1:%d" % METRICS_PORT], None),
    "metrics-auth": (test_metrics_auth, ["--auth-token-env", "OPS_TOKEN"],
                     {"OPS_TOKEN": "ops-token-0123456789"}),
    "log-json": (test_log_json, ["--log-format", "json"], None),
    "log-text": (test_log_text, [], None),
    "drain": (test_drain, [], None),
    "drain-timeout": (test_drain_timeout, ["--drain-timeout", "500ms",
                                           "--kill-timeout", "1s"], None),
    "second-signal": (test_second_signal, [], None),
}

if __name__ == "__main__":
    run_all(list(TESTS), TESTS)
