#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-limits.py: every limit from a raw client, each with its status, its
# log line and its metric: body size (413), header size and count (431),
# time to send a request (408), sessions (503 + Retry-After), requests a
# second (429 + Retry-After), requests in flight per session (429), the
# child's answer time (--request-timeout: an error, and the child is told
# to cancel), idle sessions reaped (--session-timeout), and cancelled
# requests giving their in-flight slot back.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import select
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import check, run_all  # noqa: E402
from mcptest.wire import (ACCEPT_BOTH, Response, call, exchange,  # noqa: E402
                          initialize, metric, note, post, rpc)


# ---- the tests ----


def raw(b, data, timeout=10):
    """Sends bytes on a new connection; returns what comes back until the
    server closes (or timeout)."""
    s = socket.create_connection((b.host, b.port), timeout=timeout)
    s.sendall(data)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    s.close()
    return got


def rejected(b, code):
    return metric(b, 'mcpbridge_http_rejections_total{code="%d"}' % code) \
        or 0


def test_sizes(b):
    wait_ready(b)
    # Body over --max-body.
    body = json.dumps(rpc(1, "ping", {"pad": "x" * 3000}))
    r = post(b, body)
    check(r.status == 413, "large body: %d" % r.status)
    r.close()
    # Too many header lines, and too many header bytes.
    extra = {"X-Pad-%d" % i: "v" for i in range(120)}
    status, _, data = exchange(b, "GET", "/healthz", extra)
    check(status == 431, "120 headers: %d" % status)
    check("error" in json.loads(data), "431 body %r" % data)
    status, _, _ = exchange(b, "GET", "/healthz", {"X-Pad": "v" * 20000})
    check(status == 431, "20K of headers: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz", {"X-Pad": "v" * 2000})
    check(status == 200, "2K of headers: %d" % status)
    check(rejected(b, 413) >= 1 and rejected(b, 431) >= 2,
          "413 and 431 not counted")
    # Access log lines are written within a tenth of a second.
    check(b.wait_log("too many headers", 5) and
          b.wait_log("headers too large", 5) and b.wait_log(" 413 ", 5),
          "limits not logged:\n" + b.stderr())


def test_read_timeout(b):
    wait_ready(b)
    t = time.monotonic()
    got = raw(b, b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    took = time.monotonic() - t
    check(got.startswith(b"HTTP/1.1 408 "), "slow headers: %r" % got[:60])
    check(0.8 < took < 5, "408 after %.1fs" % took)
    check(b"Connection: close" in got and b'"error"' in got, "408: %r" % got)
    # A body that stops coming.
    got = raw(b, b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: 100\r\n"
              b"\r\n{\"jsonrpc\":")
    check(got.startswith(b"HTTP/1.1 408 "), "slow body: %r" % got[:60])
    # Headers dribbled a byte at a time still have one deadline.
    s = socket.create_connection((b.host, b.port), timeout=10)
    t = time.monotonic()
    got = b""
    for c in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + \
            b"a" * 100:
        try:
            s.sendall(bytes([c]))
        except OSError:
            break
        time.sleep(0.05)
        r, _, _ = select.select([s], [], [], 0)
        if r:
            got = s.recv(4096)
            break
    s.close()
    check(got.startswith(b"HTTP/1.1 408 "), "dribbled headers: %r" % got[:60])
    check(time.monotonic() - t < 4, "dribbled headers lasted too long")
    # "100 Continue" to an Expect does not end the deadline: a body
    # dribbled after it is cut as any other.
    s = socket.create_connection((b.host, b.port), timeout=10)
    t = time.monotonic()
    s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: 100\r\n"
              b"Expect: 100-continue\r\n\r\n")
    got = s.recv(4096)
    check(got.startswith(b"HTTP/1.1 100 "), "no 100 Continue: %r" % got[:60])
    got = b""
    for c in b" " * 100:
        try:
            s.sendall(bytes([c]))
        except OSError:
            break
        time.sleep(0.05)
        r, _, _ = select.select([s], [], [], 0)
        if r:
            got = s.recv(4096)
            break
    s.close()
    check(got.startswith(b"HTTP/1.1 408 "), "dribbled body after 100: %r"
          % got[:60])
    check(time.monotonic() - t < 4, "dribbled body lasted too long")
    check("refused by the HTTP parser" not in b.stderr(),
          "100 Continue taken for a refusal")
    # A connection that says nothing is closed without an answer.
    got = raw(b, b"")
    check(got == b"", "idle connection answered %r" % got[:60])
    # Keep-alive: a quick request, then silence: closed quietly.
    got = raw(b, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    check(got.startswith(b"HTTP/1.1 200 ") and b" 408 " not in got,
          "keep-alive then idle: %r" % got)
    check(metric(b, "mcpbridge_read_timeouts_total") == 4,
          "read timeouts not counted")
    check(b.stderr().count("(read timeout)") == 4, "408 not logged")


def test_sessions(b):
    wait_ready(b)
    sid1, version = initialize(b)
    sid2, _ = initialize(b)
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "third", "version": "1"}}))
    check(r.status == 503, "third session: %d" % r.status)
    check(r.headers.get("retry-after", "").isdigit(),
          "no Retry-After: %r" % r.headers)
    body = r.json()
    check("error" in body and body.get("id") == 1, "503 body %r" % body)
    r.close()
    status, hdrs, _ = exchange(b, "GET", "/sse",
                               {"Accept": "text/event-stream"})
    check(status == 503 and "retry-after" in hdrs,
          "legacy session over the limit: %d" % status)
    # A 2026-07-28 request is a session for as long as it runs: it waits
    # for room as well.
    r = Response(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "server/discover"},
        rpc(3, "server/discover", {"_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}}}))
    check(r.status == 503 and r.headers.get("retry-after", "").isdigit(),
          "2026-07-28 request over the limit: %d" % r.status)
    r.close()
    # The sessions there still work, and ending one makes room.
    r = post(b, rpc(2, "ping"), sid1, version)
    check(r.status == 200, "ping: %d" % r.status)
    r.close()
    status, _, _ = exchange(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid2})
    check(status == 200, "DELETE: %d" % status)
    initialize(b)
    check(rejected(b, 503) >= 3, "503 not counted")
    check(b.stderr().count("(too many sessions)") == 3, "503 not logged")


# --max-children's documented default (CLI_DEFAULT_MAX_CHILDREN).
DEFAULT_MAX_CHILDREN = 32


def children_of(pid):
    """The live processes whose parent is pid."""
    kids = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(d))
    return kids


def test_children(b):
    # --isolation=session without --max-children: a client cannot make
    # the bridge start children without end.
    wait_ready(b)
    sids = [initialize(b)[0] for _ in range(DEFAULT_MAX_CHILDREN)]
    r = post(b, rpc(7, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "one-too-many", "version": "1"}}))
    status, headers = r.status, r.headers
    body = r.json() if status == 503 else None
    r.close()
    check(status == 503, "session %d of %d: %d" % (
        DEFAULT_MAX_CHILDREN + 1, DEFAULT_MAX_CHILDREN, status))
    check(headers.get("retry-after", "").isdigit(),
          "no Retry-After: %r" % headers)
    check(body.get("id") == 7 and "--max-children" in
          body.get("error", {}).get("message", ""), "503 body %r" % body)
    kids = children_of(b.proc.pid)
    check(len(kids) == DEFAULT_MAX_CHILDREN, "%d children" % len(kids))
    # Ending a session makes room.
    status, _, _ = exchange(b, "DELETE", "/mcp", {"Mcp-Session-Id": sids[0]})
    check(status == 200, "DELETE: %d" % status)
    for _ in range(100):
        r = post(b, rpc(8, "initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "after", "version": "1"}}))
        status = r.status
        r.close()
        if status == 200:
            break
        time.sleep(0.05)
    check(status == 200, "a session after one ended: %d" % status)


def test_rate(b):
    wait_ready(b)
    statuses = []
    retry = None
    for i in range(30):
        status, hdrs, _ = exchange(b, "POST", "/mcp", {
            "Content-Type": "application/json", "Accept": ACCEPT_BOTH},
            rpc(i, "ping"))
        statuses.append(status)
        if status == 429:
            retry = hdrs.get("retry-after")
    check(statuses.count(429) >= 15, "rate limit: %r" % statuses)
    check(statuses[0] != 429, "the first request limited")
    check(retry is not None and retry.isdigit() and int(retry) >= 1,
          "Retry-After %r" % retry)
    # Probes are not limited, and the bucket fills again.
    status, _, _ = exchange(b, "GET", "/healthz")
    check(status == 200, "healthz limited: %d" % status)
    time.sleep(1.2)
    status, _, _ = exchange(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH},
        rpc(99, "ping"))
    check(status != 429, "still limited after a second: %d" % status)
    check(metric(b, "mcpbridge_rate_limited_total") >= 15, "429 not counted")
    check(b.wait_log("(rate limited)"), "429 not logged")


def test_in_flight(b):
    wait_ready(b)
    sid, version = initialize(b)
    # Two slow calls, each on its own connection and thread (their
    # answers are held until the child answers).
    answers = {}

    def slow_call(i):
        answers[i] = call(b, sid, version, 10 + i, "delay",
                          {"ms": 1500, "message": "s"})
    slow = [threading.Thread(target=slow_call, args=(i,)) for i in range(2)]
    for t in slow:
        t.start()
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 2:
        check(time.monotonic() < deadline, "slow calls not in flight")
        time.sleep(0.05)
    r = post(b, rpc(20, "tools/call", {"name": "echo",
                                       "arguments": {"message": "x"}}),
             sid, version)
    check(r.status == 429, "third request in flight: %d" % r.status)
    check(r.headers.get("retry-after", "").isdigit(), "no Retry-After")
    body = r.json()
    # The refusal names the request it refuses (attack20 F14: id null).
    check("error" in body and body.get("id") == 20, "429 body %r" % body)
    r.close()
    # Notifications (a cancellation, say) still pass.
    r = post(b, note("notifications/message_seen"), sid, version)
    check(r.status == 202, "notification while full: %d" % r.status)
    r.close()
    for t in slow:
        t.join()
    for i in range(2):
        status, answer = answers[i]
        check(status == 200 and answer.get("id") == 10 + i and
              "result" in answer, "slow call %d: %r" % (i, answer))
    status, answer = call(b, sid, version, 21, "echo", {"message": "y"})
    check(status == 200 and "result" in answer, "after: %d" % status)

    # Legacy: the same limit, counted until the answers come on the stream.
    g = Response(b, "GET", "/sse", {"Accept": "text/event-stream"})
    ev = g.event()
    endpoint = ev["data"][len(b.base):]
    hdr = {"Content-Type": "application/json"}

    def legacy(msg):
        return exchange(b, "POST", endpoint, hdr, msg)[0]
    check(legacy(rpc(1, "initialize", {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}})) == 202, "legacy init")
    check(g.message()["msg"]["id"] == 1, "legacy init answer")
    check(legacy(note("notifications/initialized")) == 202, "initialized")
    for i in range(2):
        check(legacy(rpc(2 + i, "tools/call", {
            "name": "delay", "arguments": {"ms": 1000, "message": "s"}}))
            == 202, "legacy slow call")
    check(legacy(rpc(9, "ping")) == 429, "legacy third in flight")
    got = sorted(g.message()["msg"]["id"] for _ in range(2))
    check(got == [2, 3], "legacy slow answers %r" % got)
    check(legacy(rpc(10, "ping")) == 202, "legacy after the answers")
    check(g.message()["msg"]["id"] == 10, "legacy ping answer")
    g.close()
    check(b.stderr().count("(too many requests in flight)") == 2,
          "in-flight 429 not logged")


def test_request_timeout(b):
    wait_ready(b)
    sid, version = initialize(b)
    t = time.monotonic()
    status, answer = call(b, sid, version, 2, "delay",
                          {"ms": 4000, "message": "late"})
    check(time.monotonic() - t < 3, "the timeout did not apply")
    check(status == 200 and "error" in answer and
          "timed out" in answer["error"]["message"],
          "timed out call: %r" % answer)
    status, answer = call(b, sid, version, 3, "received", {"count": 10})
    lines = [json.loads(c["text"]) for c in answer["result"]["content"]]
    check(any(m.get("method") == "notifications/cancelled"
              for m in lines), "the child was not told: %r" % lines)
    check(metric(b, 'mcpbridge_requests_total{method="tools/call",'
                 'outcome="error"}') == 1, "timeout not counted")


def test_idle(b):
    wait_ready(b)
    idle, version = initialize(b)
    busy, _ = initialize(b)
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": busy,
                                    "MCP-Protocol-Version": version})
    check(g.status == 200, "GET stream: %d" % g.status)
    time.sleep(3.5)
    r = post(b, rpc(2, "ping"), idle, version)
    check(r.status == 404, "idle session still there: %d" % r.status)
    r.close()
    r = post(b, rpc(3, "ping"), busy, version)
    check(r.status == 200, "session with a stream reaped: %d" % r.status)
    r.close()
    g.close()
    check(metric(b, "mcpbridge_sessions_expired_total") == 1,
          "expiry not counted")
    check("idle for --session-timeout" in b.stderr(), "expiry not logged")


def test_cancel(b):
    """--max-in-flight 2: five requests cancelled in a row each end their
    POST without an answer and give their slot back; the session is not
    busy for the idle sweep or the drain."""
    wait_ready(b)
    sid, version = initialize(b)
    for i in range(5):
        done = {}

        def slow_call(i=i):
            r = post(b, rpc(100 + i, "tools/call", {
                "name": "delay", "arguments": {"ms": 30000}}), sid, version)
            done["status"] = r.status
            done["type"] = r.headers.get("content-type", "")
            done["body"] = r.body()
            r.close()
        t = threading.Thread(target=slow_call)
        t.start()
        deadline = time.monotonic() + 5
        while metric(b, "mcpbridge_requests_in_flight") != 1:
            check(time.monotonic() < deadline, "call %d not in flight" % i)
            time.sleep(0.05)
        r = post(b, note("notifications/cancelled", {
            "requestId": 100 + i, "reason": "test"}), sid, version)
        check(r.status == 202, "cancel %d: %d" % (i, r.status))
        r.close()
        t.join(5)
        check(not t.is_alive(), "cancelled POST %d never ended" % i)
        # No answer for a cancelled request: an event stream with none.
        check(done["status"] == 200 and
              done["type"].startswith("text/event-stream") and
              b'"id":%d' % (100 + i) not in done["body"],
              "cancelled POST %d: %r" % (i, done))
    # Cancelled once its event stream is open: the stream ends after the
    # events it had, with no answer.
    r = post(b, rpc(150, "tools/call", {
        "name": "progress", "arguments": {"steps": 100, "ms": 100},
        "_meta": {"progressToken": "p"}}), sid, version)
    check(r.status == 200 and
          r.headers.get("content-type", "").startswith("text/event-stream"),
          "progress call: %d %r" % (r.status, r.headers))
    ev = r.message()
    check(ev["msg"].get("method") == "notifications/progress",
          "first event %r" % ev)
    c = post(b, note("notifications/cancelled", {"requestId": 150}), sid,
             version)
    check(c.status == 202, "cancel of the progress call: %d" % c.status)
    c.close()
    while True:
        ev = r.message()
        if ev is None:
            break
        check("id" not in ev["msg"], "cancelled call answered: %r" % ev)
    r.close()
    status, answer = call(b, sid, version, 200, "echo", {"message": "y"})
    check(status == 200 and "result" in answer,
          "after six cancels: %d %r" % (status, answer))

    # Legacy: the slot comes back too.
    g = Response(b, "GET", "/sse", {"Accept": "text/event-stream"})
    endpoint = g.event()["data"][len(b.base):]
    hdr = {"Content-Type": "application/json"}

    def legacy(msg):
        return exchange(b, "POST", endpoint, hdr, msg)[0]
    check(legacy(rpc(1, "initialize", {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}})) == 202, "legacy init")
    check(g.message()["msg"]["id"] == 1, "legacy init answer")
    check(legacy(note("notifications/initialized")) == 202, "initialized")
    for i in range(3):
        check(legacy(rpc(10 + i, "tools/call", {
            "name": "delay", "arguments": {"ms": 30000}})) == 202,
            "legacy slow call %d" % i)
        check(legacy(note("notifications/cancelled", {"requestId": 10 + i}))
              == 202, "legacy cancel %d" % i)
    check(legacy(rpc(20, "ping")) == 202, "legacy ping after the cancels")
    check(g.message()["msg"]["id"] == 20, "legacy ping answer")

    # Nothing is in flight: SIGTERM does not wait for --drain-timeout
    # (10 s by default; the bound leaves ASan's exit room on a loaded box).
    t = time.monotonic()
    b.proc.terminate()
    b.proc.wait(15)
    check(time.monotonic() - t < 8, "drain took %.1fs" %
          (time.monotonic() - t))
    g.close()
    check("draining: no request in flight" in b.stderr(),
          "drain waited for cancelled requests")


def test_batch_in_flight(b):
    """--max-in-flight 3: a batch counts as the requests it holds."""
    wait_ready(b)
    sid, version = initialize(b, "2025-03-26")
    echo = [rpc(30 + i, "tools/call", {"name": "echo",
                                       "arguments": {"message": "b"}})
            for i in range(4)]
    # More requests than may ever be in flight: never, so no Retry-After.
    r = post(b, echo, sid, version)
    check(r.status == 400, "batch of 4 over a limit of 3: %d" % r.status)
    check("retry-after" not in r.headers, "Retry-After on a hopeless batch")
    check("error" in r.json(), "400 body")
    r.close()
    # Two slow calls in flight: a batch of two does not fit now.
    answers = {}

    def slow_call(i):
        answers[i] = call(b, sid, version, 10 + i, "delay",
                          {"ms": 1500, "message": "s"})
    slow = [threading.Thread(target=slow_call, args=(i,)) for i in range(2)]
    for t in slow:
        t.start()
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 2:
        check(time.monotonic() < deadline, "slow calls not in flight")
        time.sleep(0.05)
    r = post(b, echo[:2], sid, version)
    check(r.status == 429, "batch of 2 with 2 of 3 in flight: %d" %
          r.status)
    check(r.headers.get("retry-after", "").isdigit(), "no Retry-After")
    r.close()
    r = post(b, echo[:1], sid, version)
    check(r.status == 200 and len(r.answer()) == 1,
          "batch of 1 with 2 of 3 in flight: %d" % r.status)
    r.close()
    for t in slow:
        t.join()
    r = post(b, echo[:3], sid, version)
    check(r.status == 200, "batch of 3 once free: %d" % r.status)
    got = sorted(a["id"] for a in r.answer())
    check(got == [30, 31, 32], "batch answers %r" % got)
    r.close()
    # A batch that cancels its own request ends at once, unanswered, and
    # gives its slots back.
    r = post(b, [rpc(40, "tools/call", {"name": "delay",
                                        "arguments": {"ms": 30000}}),
                 note("notifications/cancelled", {"requestId": 40})],
             sid, version)
    check(r.status == 200 and r.body() == b"", "self-cancelling batch: "
          "%d %r" % (r.status, r.headers))
    r.close()
    r = post(b, echo[:3], sid, version)
    check(r.status == 200, "batch of 3 after the cancel: %d" % r.status)
    r.close()
    # Legacy: the same count.
    g = Response(b, "GET", "/sse", {"Accept": "text/event-stream"})
    endpoint = g.event()["data"][len(b.base):]
    hdr = {"Content-Type": "application/json"}
    status, _, _ = exchange(b, "POST", endpoint, hdr, rpc(1, "initialize", {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}))
    check(status == 202 and g.message()["msg"]["id"] == 1, "legacy init")
    status, _, _ = exchange(b, "POST", endpoint, hdr, echo)
    check(status == 400, "legacy batch of 4: %d" % status)
    g.close()


TESTS = {
    "sizes": (test_sizes, ["--max-body", "2K"], None),
    "read-timeout": (test_read_timeout, ["--read-timeout", "1s"], None),
    "sessions": (test_sessions, ["--max-sessions", "2"], None),
    "children": (test_children, ["--isolation", "session"], None),
    "rate": (test_rate, ["--rate-limit", "5"], None),
    "in-flight": (test_in_flight, ["--max-in-flight", "2"], None),
    "cancel": (test_cancel, ["--max-in-flight", "2"], None),
    "batch-in-flight": (test_batch_in_flight, ["--max-in-flight", "3"],
                        None),
    "request-timeout": (test_request_timeout, ["--request-timeout", "1s"],
                        None),
    "idle": (test_idle, ["--session-timeout", "1s", "--keepalive", "500ms"],
             None),
}

if __name__ == "__main__":
    run_all(list(TESTS), TESTS)
