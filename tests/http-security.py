#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-security.py: who may connect, on both transports and on every
# request: Host and Origin (DNS rebinding; 403), bearer tokens (401 with
# WWW-Authenticate, probes open, a session bound to its token: 404 for
# another), tokens never reaching the child (its `received` tool shows
# the raw lines it read) nor the log, and CORS (preflight, exposed
# headers; nothing without --cors), the shared child's log lines
# reaching only the session whose request caused them, never another
# token's streams, and request framing (one Content-Length of digits only,
# not with Transfer-Encoding nor on HTTP/1.0, a Host on HTTP/1.1 with a
# numeric port, one Origin, no space in a header name, no control byte in
# a value: 400; a Transfer-Encoding other than chunked: 501; the
# connection closed either way, so nothing smuggled is served).
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import Failure, check, run_all  # noqa: E402
from mcptest.wire import (ACCEPT_BOTH, Response, call, exchange,  # noqa: E402
                          initialize, metric, note, post, rpc, text_of)


# ---- the tests ----

TOKEN_A = "tok-A-4f9c2e7d1b8a6f3e"
TOKEN_B = "tok-B-9d8c7b6a5f4e3d2c"
BEARER_A = {"Authorization": "Bearer " + TOKEN_A}
BEARER_B = {"Authorization": "Bearer " + TOKEN_B}
CHILD_VALUE = "child-value-1c2e3a4b"


def forbidden(status, data, what):
    check(status == 403, "%s: %d" % (what, status))
    body = json.loads(data)
    check(body.get("jsonrpc") == "2.0" and "error" in body,
          "%s: body %r" % (what, body))


def test_hosts(b):
    wait_ready(b)
    port = b.port
    for host in ("localhost:%d" % port, "127.0.0.1:%d" % port, "localhost",
                 "[::1]:%d" % port):
        status, _, _ = exchange(b, "GET", "/healthz", {"Host": host})
        check(status == 200, "Host %s: %d" % (host, status))
    # Every route and both transports, not only session creation.
    for method, path in (("GET", "/healthz"), ("POST", "/mcp"),
                         ("GET", "/mcp"), ("GET", "/sse"),
                         ("POST", "/message?sessionId=x")):
        status, _, data = exchange(b, method, path,
                                   {"Host": "evil.example.com"}, body="{}")
        forbidden(status, data, "Host evil on %s %s" % (method, path))
        status, _, data = exchange(b, method, path, {
            "Origin": "http://evil.example.com"}, body="{}")
        forbidden(status, data, "Origin evil on %s %s" % (method, path))
    for origin in ("null", "http://localhost.evil.example.com",
                   "file://", "http://127.0.0.1.evil.example.com:80"):
        status, _, data = exchange(b, "GET", "/healthz", {"Origin": origin})
        forbidden(status, data, "Origin %s" % origin)
    for origin in ("http://localhost:3000", "https://127.0.0.1",
                   "http://[::1]:8080"):
        status, _, _ = exchange(b, "GET", "/healthz", {"Origin": origin})
        check(status == 200, "Origin %s: %d" % (origin, status))
    # A session made from a local page, then a request from a bad one.
    sid, version = initialize(b, extra={"Origin": "http://localhost:5173"})
    r = post(b, rpc(2, "ping"), sid, version,
             extra={"Origin": "http://attacker.example"})
    check(r.status == 403, "ping from a bad origin: %d" % r.status)
    r.close()
    check(b.wait_log("Host or Origin not allowed"), "refusals not logged")


def test_allow(b):
    wait_ready(b)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Host": "mcp.example.com"})
    check(status == 200, "--allow-host: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Host": "mcp.example.com:8443"})
    check(status == 200, "--allow-host with a port: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Host": "other.example.com"})
    check(status == 403, "another host: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Origin": "https://app.example.com"})
    check(status == 200, "--allow-origin: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Origin": "https://app.example.com:444"})
    check(status == 403, "--allow-origin is exact: %d" % status)
    # Allowing an origin is not CORS.
    status, hdrs, _ = exchange(b, "GET", "/healthz",
                               {"Origin": "https://app.example.com"})
    check(not any(k.startswith("access-control-") for k in hdrs),
          "CORS headers without --cors: %r" % hdrs)


def unauthorized(b, method, path, headers=None, body=None, invalid=False):
    status, hdrs, data = exchange(b, method, path, headers, body)
    check(status == 401, "%s %s: %d" % (method, path, status))
    want = 'Bearer error="invalid_token"' if invalid else "Bearer"
    check(hdrs.get("www-authenticate") == want,
          "%s %s: WWW-Authenticate %r" % (method, path,
                                          hdrs.get("www-authenticate")))
    body = json.loads(data)
    check("error" in body, "401 body %r" % body)


def test_auth(b):
    # Probes need no token.
    wait_ready(b)
    status, _, _ = exchange(b, "GET", "/healthz")
    check(status == 200, "healthz: %d" % status)
    for method, path in (("POST", "/mcp"), ("GET", "/mcp"),
                         ("DELETE", "/mcp"), ("GET", "/sse"),
                         ("POST", "/message?sessionId=x"),
                         ("GET", "/metrics")):
        unauthorized(b, method, path, body="{}")
        unauthorized(b, method, path, {"Authorization": "Bearer nope"},
                     body="{}", invalid=True)
        unauthorized(b, method, path, {"Authorization": "Basic " +
                                       TOKEN_A}, body="{}", invalid=True)
        unauthorized(b, method, path, {"Authorization": "Bearer " +
                                       TOKEN_A[:-1]}, body="{}",
                     invalid=True)
        unauthorized(b, method, path, {"Authorization": "Bearer " +
                                       TOKEN_A + "x"}, body="{}",
                     invalid=True)

    # Streamable HTTP: the session belongs to token A.
    sid, version = initialize(b, extra=BEARER_A)
    status, answer = call(b, sid, version, 2, "echo",
                          {"message": "hi"}, extra=BEARER_A)
    check(status == 200 and "result" in answer, "echo with A: %d" % status)
    # Every request is checked, not only the first.
    r = post(b, rpc(3, "ping"), sid, version)
    check(r.status == 401, "ping without a token: %d" % r.status)
    r.close()
    r = post(b, rpc(4, "ping"), sid, version, extra=BEARER_B)
    check(r.status == 404, "A's session with B: %d" % r.status)
    r.close()
    status, _, _ = exchange(b, "GET", "/mcp", dict(BEARER_B, **{
        "Accept": "text/event-stream", "Mcp-Session-Id": sid}))
    check(status == 404, "GET of A's session with B: %d" % status)
    status, _, _ = exchange(b, "DELETE", "/mcp", dict(BEARER_B, **{
        "Mcp-Session-Id": sid}))
    check(status == 404, "DELETE of A's session with B: %d" % status)
    sid_b, _ = initialize(b, extra=BEARER_B)
    r = post(b, rpc(5, "ping"), sid_b, version, extra=BEARER_A)
    check(r.status == 404, "B's session with A: %d" % r.status)
    r.close()

    # The child never saw a token: it read only JSON-RPC lines.
    status, answer = call(b, sid, version, 6, "received", {"count": 100},
                          extra=BEARER_A)
    check(status == 200, "received: %d" % status)
    lines = [c["text"] for c in answer["result"]["content"]]
    check(lines, "received nothing")
    for line in lines:
        check(TOKEN_A not in line and TOKEN_B not in line and
              "Bearer" not in line and "uthorization" not in line,
              "the child saw %r" % line)
        json.loads(line)

    # Legacy HTTP+SSE: the same rules.
    g = Response(b, "GET", "/sse", dict(BEARER_A, Accept="text/event-stream"))
    check(g.status == 200, "GET /sse with A: %d" % g.status)
    ev = g.event()
    check(ev.get("event") == "endpoint", "endpoint event: %r" % ev)
    endpoint = ev["data"][len(b.base):] if ev["data"].startswith(b.base) \
        else ev["data"]
    hdr = {"Content-Type": "application/json"}
    body = rpc(1, "initialize", {"protocolVersion": "2024-11-05",
                                 "capabilities": {},
                                 "clientInfo": {"name": "t", "version": "1"}})
    unauthorized(b, "POST", endpoint, hdr, body)
    status, _, _ = exchange(b, "POST", endpoint, dict(hdr, **BEARER_B), body)
    check(status == 404, "A's legacy session with B: %d" % status)
    status, _, _ = exchange(b, "POST", endpoint, dict(hdr, **BEARER_A), body)
    check(status == 202, "A's legacy session with A: %d" % status)
    ev = g.message()
    check(ev["msg"].get("id") == 1 and "result" in ev["msg"],
          "legacy initialize: %r" % ev)
    g.close()

    err = b.stderr()
    check(TOKEN_A not in err and TOKEN_B not in err, "a token in the log")
    check("session of another token" in err, "404s not logged")
    check("(no token)" in err and "(invalid token)" in err,
          "401s not logged")


def child_env(b, sid, version, name, bearer):
    """What the child (the test server's report_env tool) finds in its
    environment under name."""
    status, answer = call(b, sid, version, 7, "report_env", {"name": name},
                          extra=bearer)
    check(status == 200 and "result" in answer,
          "report_env: %d %r" % (status, answer))
    return text_of(answer)


def test_auth_env(b):
    wait_ready(b)
    sids = []
    for bearer in (BEARER_A, BEARER_B):
        sid, version = initialize(b, extra=bearer)
        status, _ = call(b, sid, version, 2, "echo", {"message": "x"},
                         extra=bearer)
        check(status == 200, "token from the environment: %d" % status)
        sids.append((sid, version, bearer))
    unauthorized(b, "POST", "/mcp", body="{}")

    # The tokens are nobody's but the bridge's: the variable is gone from
    # the child's environment (each session's own one too), and from the
    # bridge's (/proc/PID/environ, which a child of the same user reads).
    # What --env gives the child reaches it, and never the log.
    for sid, version, bearer in sids:
        text = child_env(b, sid, version, "MCPBRIDGE_TEST_TOKENS", bearer)
        check(text == "MCPBRIDGE_TEST_TOKENS is not set",
              "the child sees the tokens: %r" % text)
        text = child_env(b, sid, version, "MCPBRIDGE_TEST_CHILD", bearer)
        check(text == CHILD_VALUE, "--env did not reach the child: %r" % text)
    with open("/proc/%d/environ" % b.proc.pid, "rb") as f:
        environ = f.read()
    check(TOKEN_A.encode() not in environ and
          TOKEN_B.encode() not in environ,
          "the tokens are still in the bridge's environment")
    # A child started later (a restart) does not get them back either.
    sid, version, bearer = sids[0]
    status, _ = call(b, sid, version, 8, "crash", {}, extra=bearer)
    for _ in range(100):
        try:
            sid, version = initialize(b, extra=BEARER_A)
            break
        except Failure:
            time.sleep(0.05)
    text = child_env(b, sid, version, "MCPBRIDGE_TEST_TOKENS", BEARER_A)
    check(text == "MCPBRIDGE_TEST_TOKENS is not set",
          "the restarted child sees the tokens: %r" % text)
    err = b.stderr()
    check(TOKEN_A not in err and TOKEN_B not in err, "a token in the log")
    check(CHILD_VALUE not in err, "an --env value in the log")


def logs_of(r):
    """The log lines on a POST's answer stream, and its answer."""
    lines = []
    if not r.headers.get("content-type", "").startswith("text/event-stream"):
        return lines, r.json()
    while True:
        ev = r.message()
        check(ev is not None, "stream ended without an answer")
        if ev["msg"].get("method") == "notifications/message":
            lines.append(ev["msg"]["params"]["data"])
        elif "id" in ev["msg"] and "method" not in ev["msg"]:
            return lines, ev["msg"]


def test_log_routing(b):
    wait_ready(b)
    b.headers = dict(BEARER_A)      # for /metrics
    sid_a, version = initialize(b, extra=BEARER_A)
    sid_b, _ = initialize(b, extra=BEARER_B)
    g = Response(b, "GET", "/mcp", dict(BEARER_B, **{
        "Accept": "text/event-stream", "Mcp-Session-Id": sid_b,
        "MCP-Protocol-Version": version}))
    check(g.status == 200, "B's GET stream: %d" % g.status)
    # B has a legacy HTTP+SSE session too.
    sse = Response(b, "GET", "/sse", dict(BEARER_B,
                                          Accept="text/event-stream"))
    check(sse.status == 200, "B's /sse: %d" % sse.status)
    ev = sse.event()
    check(ev.get("event") == "endpoint", "endpoint event: %r" % ev)
    endpoint = ev["data"][len(b.base):] if ev["data"].startswith(b.base) \
        else ev["data"]
    hdr = dict(BEARER_B, **{"Content-Type": "application/json"})
    status, _, _ = exchange(b, "POST", endpoint, hdr, rpc(
        1, "initialize", {"protocolVersion": "2024-11-05",
                          "capabilities": {},
                          "clientInfo": {"name": "t", "version": "1"}}))
    check(status == 202, "legacy initialize: %d" % status)
    check(sse.message()["msg"].get("id") == 1, "legacy initialize answer")
    status, _, _ = exchange(b, "POST", endpoint, hdr,
                            {"jsonrpc": "2.0",
                             "method": "notifications/initialized"})
    check(status == 202, "legacy initialized: %d" % status)

    # A's tool logs: A sees the line with its answer, B nothing.
    r = post(b, rpc(2, "tools/call", {"name": "log", "arguments": {
        "level": "error", "message": "A's secret"}}), sid_a, version,
        extra=BEARER_A)
    lines, answer = logs_of(r)
    r.close()
    check(text_of(answer) == "sent", "log tool: %r" % answer)
    check(lines == ["A's secret"], "A's log lines: %r" % lines)
    # Something B's stream does get, after anything it could have got.
    status, answer = call(b, sid_b, version, 3, "notify_list_changed",
                          {"list": "tools"}, extra=BEARER_B)
    check(status == 200, "notify_list_changed: %d" % status)
    for name, stream in (("GET", g), ("/sse", sse)):
        seen = []
        while True:
            ev = stream.message()
            check(ev is not None, "B's %s stream ended: %r" % (name, seen))
            seen.append(ev["msg"].get("method"))
            if seen[-1] == "notifications/tools/list_changed":
                break
        check("notifications/message" not in seen,
              "A's log line on B's %s stream: %r" % (name, seen))
        stream.close()
    check(metric(b, "mcpbridge_child_log_lines_dropped_total") == 0,
          "a line counted as dropped")

    # delay is known not to ask first: its first call would hold the
    # child against B's call (an exclusive turn, up to a second).
    status, answer = call(b, sid_a, version, 40, "delay",
                          {"ms": 0, "message": "known"}, extra=BEARER_A)
    check(status == 200 and text_of(answer) == "known",
          "delay: %d %r" % (status, answer))

    # Both wait for the child: a line could be either's, so nobody's.
    result = {}

    def slow():
        r = post(b, rpc(4, "tools/call", {"name": "delay", "arguments": {
            "ms": 1000, "message": "done"}}), sid_a, version,
            extra=BEARER_A)
        result["a"] = logs_of(r)
        r.close()
    t = threading.Thread(target=slow)
    t.start()
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 1:
        check(time.monotonic() < deadline, "A's call not in flight")
        time.sleep(0.02)
    r = post(b, rpc(5, "tools/call", {"name": "log", "arguments": {
        "level": "error", "message": "B's secret"}}), sid_b, version,
        extra=BEARER_B)
    lines, answer = logs_of(r)
    r.close()
    t.join(10)
    check(not t.is_alive() and "a" in result, "A's call did not end")
    check(text_of(answer) == "sent" and lines == [],
          "B's log lines with A waiting: %r" % lines)
    check(result["a"][0] == [], "A got B's line: %r" % (result["a"][0],))
    check(metric(b, "mcpbridge_child_log_lines_dropped_total") == 1,
          "the dropped line not counted")

    # A cancels a call the child goes on with (stubborn: it logs and
    # answers anyway); B alone waits when the child logs about A's call:
    # that line is A's, so nobody's.
    def stubborn():
        r = post(b, rpc(6, "tools/call", {"name": "delay", "arguments": {
            "ms": 1500, "log": "A's secret: still running",
            "stubborn": True, "message": "late"}}), sid_a, version,
            extra=BEARER_A)
        seen = []
        while True:
            ev = r.message()
            if ev is None:
                break
            seen.append(ev["msg"])
        r.close()
        result["a6"] = seen
    t = threading.Thread(target=stubborn)
    t.start()
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 1:
        check(time.monotonic() < deadline, "A's call 6 not in flight")
        time.sleep(0.02)
    r = post(b, note("notifications/cancelled", {"requestId": 6}), sid_a,
             version, extra=BEARER_A)
    check(r.status == 202, "A's cancel: %d" % r.status)
    r.close()
    t.join(10)
    check(not t.is_alive() and result.get("a6") == [],
          "A's cancelled call: %r" % (result.get("a6"),))
    r = post(b, rpc(7, "tools/call", {"name": "delay", "arguments": {
        "ms": 3000, "message": "B done"}}), sid_b, version, extra=BEARER_B)
    lines, answer = logs_of(r)
    r.close()
    check(text_of(answer) == "B done", "B's call: %r" % answer)
    check(lines == [], "A's line after A's cancel on B's stream: %r" % lines)
    check(metric(b, "mcpbridge_child_log_lines_dropped_total") == 2,
          "A's line not counted as dropped")
    check(metric(b, "mcpbridge_child_guesses_withheld_total") == 1,
          "A's line after A's cancel not counted as withheld")

    # B waits on a slow call; A's call is answered and the child logs
    # about it 0.1 s later, with B alone in flight: B's token must not
    # see A's line, so nobody's.
    def slow_b():
        r = post(b, rpc(8, "tools/call", {"name": "delay", "arguments": {
            "ms": 1500, "message": "B slow"}}), sid_b, version,
            extra=BEARER_B)
        result["b8"] = logs_of(r)
        r.close()
    t = threading.Thread(target=slow_b)
    t.start()
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 1:
        check(time.monotonic() < deadline, "B's call 8 not in flight")
        time.sleep(0.02)
    status, answer = call(b, sid_a, version, 9, "delay", {
        "ms": 0, "message": "A quick", "after_log": "afteranswer-A-private",
        "after_ms": 100}, extra=BEARER_A)
    check(status == 200 and text_of(answer) == "A quick",
          "A's quick call: %d %r" % (status, answer))
    t.join(10)
    check(not t.is_alive() and "b8" in result, "B's call 8 did not end")
    lines, answer = result["b8"]
    check(text_of(answer) == "B slow", "B's call 8: %r" % answer)
    check(lines == [], "A's line after A's answer on B's stream: %r" % lines)
    check(metric(b, "mcpbridge_child_log_lines_dropped_total") == 3,
          "A's line after its answer not counted as dropped")
    check(metric(b, "mcpbridge_child_guesses_withheld_total") == 2,
          "A's line after its answer not counted as withheld")


def test_cors(b):
    wait_ready(b)
    page = "http://localhost:9999"
    status, hdrs, _ = exchange(b, "OPTIONS", "/mcp", {
        "Origin": page, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers":
        "content-type, mcp-session-id, mcp-protocol-version"})
    check(status == 204, "preflight: %d" % status)
    check(hdrs.get("access-control-allow-origin") == page,
          "preflight allow-origin %r" % hdrs)
    allowed = hdrs.get("access-control-allow-headers", "").lower()
    for h in ("mcp-session-id", "mcp-protocol-version", "last-event-id",
              "mcp-method", "mcp-name", "authorization", "content-type"):
        check(h in allowed, "preflight does not allow %s: %r" % (h, allowed))
    check("POST" in hdrs.get("access-control-allow-methods", ""),
          "preflight methods %r" % hdrs)
    # 2026-07-28: the Mcp-Param-* headers a tool's arguments ask for are
    # allowed by name (a preflight lists no wildcard for them), others not.
    status, hdrs, _ = exchange(b, "OPTIONS", "/mcp", {
        "Origin": page, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers":
        "mcp-method,mcp-name, Mcp-Param-Region ,mcp-param-,x-other"})
    allowed = [h.strip().lower() for h in
               hdrs.get("access-control-allow-headers", "").split(",")]
    check(status == 204 and "mcp-param-region" in allowed and
          "mcp-param-" not in allowed and "x-other" not in allowed,
          "preflight for Mcp-Param-*: %d %r" % (status, allowed))
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "cors", "version": "1"}}),
        extra={"Origin": page})
    check(r.status == 200, "initialize from the page: %d" % r.status)
    check(r.headers.get("access-control-allow-origin") == page,
          "no allow-origin on POST: %r" % r.headers)
    check("mcp-session-id" in r.headers.get(
        "access-control-expose-headers", "").lower(),
        "Mcp-Session-Id not exposed: %r" % r.headers)
    r.close()
    # A --cors origin is an allowed origin, even a remote one.
    status, hdrs, _ = exchange(b, "GET", "/healthz",
                               {"Origin": "https://app.example.com"})
    check(status == 200 and hdrs.get("access-control-allow-origin") ==
          "https://app.example.com", "second --cors origin: %d" % status)
    # Another local origin may connect, but gets no CORS headers.
    status, hdrs, _ = exchange(b, "OPTIONS", "/mcp", {
        "Origin": "http://localhost:1234",
        "Access-Control-Request-Method": "POST"})
    check("access-control-allow-origin" not in hdrs,
          "CORS for an origin not listed: %r" % hdrs)


def test_no_cors(b):
    wait_ready(b)
    for method in ("OPTIONS", "POST", "GET"):
        status, hdrs, _ = exchange(b, method, "/mcp", {
            "Origin": "http://localhost:9999",
            "Access-Control-Request-Method": "POST",
            "Content-Type": "application/json", "Accept": ACCEPT_BOTH},
            body="{}" if method == "POST" else None)
        check(not any(k.startswith("access-control-") for k in hdrs),
              "%s: CORS headers without --cors: %r" % (method, hdrs))


def raw(b, data, timeout=5):
    """Sends bytes on a new connection: what came back until the server
    closed it, and whether it did within timeout."""
    s = socket.create_connection((b.host, b.port), timeout=timeout)
    s.sendall(data)
    got, closed = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            got += chunk
    except socket.timeout:
        pass
    s.close()
    return got, closed


def test_framing(b):
    wait_ready(b)
    host = "Host: %s\r\n" % b.hostport
    smuggled = ("GET %s/healthz HTTP/1.1\r\n%s\r\n" %
                (b.base, host)).encode()
    # A well-formed pipelined pair: both answered (the check can see two).
    got, _ = raw(b, smuggled + smuggled.replace(b"HTTP/1.1\r\n",
                                                b"HTTP/1.1\r\n"
                                                b"Connection: close\r\n"))
    check(got.count(b"HTTP/1.1 200 ") == 2, "pipelined pair: %r" % got)
    cases = {
        "two Content-Length": "Content-Length: 0\r\nContent-Length: %d\r\n",
        "two equal Content-Length": "Content-Length: 0\r\n"
                                    "Content-Length: 0\r\n",
        "Content-Length and Transfer-Encoding":
            "Content-Length: %d\r\nTransfer-Encoding: chunked\r\n",
        "space before the colon": "Content-Length : %d\r\n",
        "space in a name": "X Forwarded: 1\r\n",
        "two Host": "Host: localhost\r\n",
    }
    for what, extra in cases.items():
        if "%d" in extra:
            extra = extra % len(smuggled)
        req = ("POST %s/healthz HTTP/1.1\r\n%s%s\r\n" %
               (b.base, host, extra)).encode()
        if "Transfer-Encoding" in extra:
            req += b"0\r\n\r\n"
        got, closed = raw(b, req + smuggled)
        check(got.startswith(b"HTTP/1.1 400 "), "%s: %r" % (what, got[:200]))
        check(got.count(b"HTTP/1.1 ") == 1, "%s: the rest served: %r" %
              (what, got))
        check(closed, "%s: connection left open" % what)
    # HTTP/1.1 needs a Host; "Host :" is no Host either.
    for what, req in (("no Host", "GET %s/healthz HTTP/1.1\r\n\r\n"),
                      ("Host :", "GET %s/healthz HTTP/1.1\r\n"
                       "Host : " + b.hostport + "\r\n\r\n")):
        got, closed = raw(b, (req % b.base).encode() + smuggled)
        check(got.startswith(b"HTTP/1.1 400 "), "%s: %r" % (what, got[:200]))
        check(got.count(b"HTTP/1.1 ") == 1 and closed,
              "%s: the rest served: %r" % (what, got))
    # HTTP/1.0 may leave Host out.
    got, _ = raw(b, ("GET %s/healthz HTTP/1.0\r\n\r\n" % b.base).encode())
    check(b" 200 " in got.split(b"\r\n")[0], "HTTP/1.0: %r" % got[:200])
    # A coding evhttp does not know would leave the body to be read as
    # the next request: 501, closed (RFC 9112 6.1).  Only "chunked",
    # alone, in any case, is read.
    # (evhttp reads a list ending in chunked as chunked: a body that is.)
    for te in ("xchunked", "gzip, chunked"):
        req = ("POST %s/healthz HTTP/1.1\r\n%sTransfer-Encoding: %s\r\n"
               "\r\n%s" % (b.base, host, te,
                            "" if te == "xchunked" else "0\r\n\r\n")).encode()
        got, closed = raw(b, req + smuggled)
        check(got.startswith(b"HTTP/1.1 501 "), "TE %s: %r" % (te, got[:200]))
        check(got.count(b"HTTP/1.1 ") == 1 and closed,
              "TE %s: the rest served: %r" % (te, got))
        check(b'"error"' in got, "TE %s: no JSON-RPC error: %r" % (te, got))
    req = ("POST %s/healthz HTTP/1.1\r\n%sTransfer-Encoding: Chunked\r\n"
           "\r\n0\r\n\r\n" % (b.base, host)).encode()
    got, _ = raw(b, req + smuggled.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\n"
                                           b"Connection: close\r\n"))
    check(got.count(b"HTTP/1.1 200 ") == 1, "TE Chunked: %r" % got)
    # Header checks that see every copy, and every byte of a value.
    strict = {
        "Transfer-Encoding on HTTP/1.0":
            "POST %s/healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
            "\r\n0\r\n\r\n",
        "Content-Length with a sign":
            "POST %s/healthz HTTP/1.1\r\nH\r\nContent-Length: +0\r\n\r\n",
        "two Origin":
            "GET %s/healthz HTTP/1.1\r\nH\r\nOrigin: http://localhost\r\n"
            "Origin: http://evil.example.com\r\n\r\n",
        "two Authorization":
            "GET %s/healthz HTTP/1.1\r\nH\r\nAuthorization: Bearer a\r\n"
            "Authorization: Bearer b\r\n\r\n",
        "control character in a value":
            "GET %s/healthz HTTP/1.1\r\nH\r\nX-Note: a\x01b\r\n\r\n",
        "DEL in a value":
            "GET %s/healthz HTTP/1.1\r\nH\r\nX-Note: a\x7fb\r\n\r\n",
        "port not a number":
            "GET %s/healthz HTTP/1.1\r\nHost: 127.0.0.1:abc\r\n\r\n",
        "port out of range":
            "GET %s/healthz HTTP/1.1\r\nHost: localhost:65536\r\n\r\n",
        "IPv6 port not a number":
            "GET %s/healthz HTTP/1.1\r\nHost: [::1]:8x\r\n\r\n",
    }
    for what, req in strict.items():
        req = (req % b.base).replace("H\r\n", host)
        got, closed = raw(b, req.encode() + smuggled)
        first = got.split(b"\r\n")[0]
        check(b" 400 " in first, "%s: %r" % (what, got[:200]))
        check(got.count(b"HTTP/1.1 200") == 0 and closed,
              "%s: the rest served: %r" % (what, got))
    # A tab in a value is no control character to refuse.
    got, _ = raw(b, ("GET %s/healthz HTTP/1.1\r\n%sX-Note: a\tb\r\n"
                     "Connection: close\r\n\r\n" % (b.base, host)).encode())
    check(got.startswith(b"HTTP/1.1 200 "), "tab in a value: %r" % got[:200])
    check(b.wait_log("(bad request framing)"), "400 not logged")
    # An absolute-form target names the host: RFC 9112 3.2.2 has the
    # server use it and ignore Host, so the Host check is the target's.
    good = "http://%s" % b.hostport
    for target, hosthdr, want in (
            ("http://evil.example.com%s/healthz" % b.base, host, b" 403 "),
            ("%s%s/healthz" % (good, b.base), "Host: evil.example.com\r\n",
             b" 200 "),
            ("ftp://x%s/healthz" % b.base, host, b" 400 ")):
        got, _ = raw(b, ("GET %s HTTP/1.1\r\n%sConnection: close\r\n\r\n"
                         % (target, hosthdr)).encode())
        check(want in got.split(b"\r\n")[0],
              "absolute-form %s with %r: %r" % (target, hosthdr, got[:200]))


def test_auth_rate(b):
    """--rate-limit 5 with tokens: failed authentications count per
    address; past the limit even a good token waits (429), so guessing
    goes no faster."""
    wait_ready(b)
    bad = {"Authorization": "Bearer nope"}
    for i in range(5):
        unauthorized(b, "POST", "/mcp", bad, body="{}", invalid=True)
    status, hdrs, data = exchange(b, "POST", "/mcp", bad, "{}")
    check(status == 429, "sixth wrong token: %d" % status)
    check(hdrs.get("retry-after", "").isdigit(), "no Retry-After: %r" % hdrs)
    check("error" in json.loads(data), "429 body %r" % data)
    status, _, _ = exchange(b, "POST", "/mcp", dict(BEARER_A, **{
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH}),
        rpc(1, "ping"))
    check(status == 429, "good token from a blocked address: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz")
    check(status == 200, "healthz limited: %d" % status)
    # The failures drain at the rate: a good token passes again.
    deadline = time.monotonic() + 3
    while True:
        r = post(b, rpc(1, "initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}), extra=BEARER_A)
        status = r.status
        r.close()
        if status != 429:
            break
        check(time.monotonic() < deadline, "still blocked after 3s")
        time.sleep(0.1)
    check(status == 200, "good token after the block: %d" % status)
    check(b.wait_log("(too many failed authentications)", 5),
          "429 not logged")


def token_file():
    fd, path = tempfile.mkstemp()
    os.write(fd, ("# tokens\n%s\n\n  %s  \n" % (TOKEN_A, TOKEN_B)).encode())
    os.close(fd)
    os.chmod(path, 0o600)
    return path


TESTS = {
    "hosts": (test_hosts, [], None),
    "allow": (test_allow, ["--allow-host", "mcp.example.com",
                           "--allow-origin", "https://app.example.com"],
              None),
    "auth": (test_auth, ["--auth-token-file", token_file()], None),
    "auth-env": (test_auth_env, ["--auth-token-env", "MCPBRIDGE_TEST_TOKENS",
                                 "--log-level", "debug", "--env",
                                 "MCPBRIDGE_TEST_CHILD=" + CHILD_VALUE],
                 {"MCPBRIDGE_TEST_TOKENS": TOKEN_A + "," + TOKEN_B}),
    "auth-env-session": (test_auth_env, [
        "--auth-token-env", "MCPBRIDGE_TEST_TOKENS", "--isolation", "session",
        "--log-level", "debug", "--env", "MCPBRIDGE_TEST_CHILD=" +
        CHILD_VALUE], {"MCPBRIDGE_TEST_TOKENS": TOKEN_A + "," + TOKEN_B}),
    "log-routing": (test_log_routing, ["--auth-token-file", token_file()],
                    None),
    "cors": (test_cors, ["--cors", "http://localhost:9999", "--cors",
                         "https://app.example.com"], None),
    "no-cors": (test_no_cors, [], None),
    "framing": (test_framing, [], None),
    "auth-rate": (test_auth_rate, ["--auth-token-file", token_file(),
                                   "--rate-limit", "5"], None),
}

if __name__ == "__main__":
    run_all(list(TESTS), TESTS)
