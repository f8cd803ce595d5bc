#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-ops.py: running it: GET /metrics (and --metrics-listen), the access
# log in text and JSON (session, method, status, latency for each
# request), and shutting down: SIGTERM turns /readyz 503 at once, refuses
# new sessions, lets requests in flight finish (up to --drain-timeout),
# closes the streams and exits 0; a second signal exits at once.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import re
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import free_port, wait_ready  # noqa: E402
from mcptest.run import check, run_all  # noqa: E402
from mcptest.wire import (ACCEPT_BOTH, Response, call, exchange,  # noqa: E402
                          initialize, metric, post, rpc, text_of)


# ---- the tests ----


METRICS_PORT = free_port()
METRICS_ANY_PORT = free_port()


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
                 "mcpbridge_child_log_lines_dropped_total 0",
                 "mcpbridge_child_answers_unreadable_total 0",
                 "mcpbridge_client_progress_dropped_total 0",
                 "mcpbridge_child_guesses_withheld_total 0",
                 "mcpbridge_child_requests_refused_total 0",
                 "mcpbridge_calls_waiting 0",
                 "mcpbridge_call_waits_total 0",
                 "mcpbridge_call_wait_seconds_total 0.000",
                 "mcpbridge_calls_wait_refused_total 0",
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
    # Its answers are JSON like the main listener's, whatever is asked.
    for method, path, body in (("POST", "/mcp", rpc(1, "ping")),
                               ("DELETE", "/mcp", None),
                               ("POST", "/metrics", "{}")):
        status, hdrs, data = exchange(mb, method, path, {
            "Content-Type": "application/json"}, body)
        check(status == (405 if path == "/metrics" else 404),
              "--metrics-listen %s %s: %d" % (method, path, status))
        check(hdrs.get("content-type") == "application/json" and
              "error" in json.loads(data),
              "--metrics-listen %s %s: %r %r" % (method, path, hdrs, data))
    # The same Host check: a loopback scraper port is no DNS rebinding
    # target either.
    status, _, data = exchange(mb, "GET", "/metrics",
                               {"Host": "evil.example.com"})
    check(status == 403 and "error" in json.loads(data),
          "--metrics-listen Host evil: %d %r" % (status, data[:100]))
    status, _, _ = exchange(mb, "GET", "/metrics", {"Host": "localhost"})
    check(status == 200, "--metrics-listen Host localhost: %d" % status)


def metrics_listener(port):
    mb = type("M", (), {})()
    mb.host, mb.port, mb.base, mb.hostport, mb.headers = \
        "127.0.0.1", port, "", "127.0.0.1:%d" % port, {}
    return mb


def test_metrics_allow_host(b):
    """--allow-host names the MCP endpoint's public name; a scraper on a
    metrics listener bound to every address comes by IP (a pod's, a
    node's) and is not turned away.  Bound to 0.0.0.0, the listener is
    not loopback whatever address the connection comes in on."""
    wait_ready(b)
    mb = metrics_listener(METRICS_ANY_PORT)
    for host in ("10.1.2.3:%d" % METRICS_ANY_PORT, "node-7.internal",
                 "mcp.example.com"):
        status, _, data = exchange(mb, "GET", "/metrics", {"Host": host})
        check(status == 200 and b"mcpbridge_sessions" in data,
              "--metrics-listen 0.0.0.0, Host %s: %d %r" %
              (host, status, data[:100]))
    # Non-GET is refused as the comment says, on both listeners.
    for lb in (mb, b):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            status, hdrs, data = exchange(lb, method, "/metrics", {
                "Content-Type": "application/json"}, "{}")
            check(status == 405 and hdrs.get("allow") == "GET" and
                  hdrs.get("content-type") == "application/json" and
                  "error" in json.loads(data),
                  "%s /metrics on %d: %d %r %r" %
                  (method, lb.port, status, hdrs, data[:100]))
    # The main listener still holds to --allow-host.
    status, _, _ = exchange(b, "GET", "/healthz", {"Host": "10.1.2.3"})
    check(status == 403, "main listener, Host 10.1.2.3: %d" % status)


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
    check(b.wait_log('"method":"tools/call"', 5), "no request line")
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
    check(b.wait_log(" tools/call", 5), "no request line")
    check(re.search(r"info: 127\.0\.0\.1 POST /mcp 200 \d+ms session %s "
                    r"tools/call" % sid[:8], b.stderr()),
          "no readable request line")
    # A method with a NUL in it is logged whole, the NUL shown as
    # U+FFFD (attack20 F5: it was cut at the NUL).
    exchange(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "Mcp-Session-Id": sid, "MCP-Protocol-Version": version},
        json.dumps({"jsonrpc": "2.0", "id": 3,
                    "method": "nul\u0000after"}).encode())
    check(b.wait_log("nul\ufffdafter", 5),
          "method cut at its NUL: %r" % [l for l in b.stderr().splitlines()
                                          if "nul" in l])


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
                              {"ms": 3000, "message": "finished"})
    t = threading.Thread(target=slow)
    t.start()
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 1:
        check(time.monotonic() < deadline, "call not in flight")
        time.sleep(0.05)
    start = time.monotonic()
    b.proc.send_signal(signal.SIGTERM)
    # The call lasts 3 s: the drain's window, while /readyz is polled
    # for its 503 and the new requests below are refused.
    deadline = time.monotonic() + 2
    while True:
        status, _, _ = exchange(b, "GET", "/readyz")
        if status == 503:
            break
        check(time.monotonic() < deadline,
              "readyz while draining: %d" % status)
        time.sleep(0.02)
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
    # Over the 3 s call, not the default --drain-timeout (10 s).
    check(time.monotonic() - start < 8, "draining took too long")
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
    deadline = time.monotonic() + 5
    while metric(b, "mcpbridge_requests_in_flight") != 1:
        check(time.monotonic() < deadline, "call not in flight")
        time.sleep(0.05)
    start = time.monotonic()
    b.proc.send_signal(signal.SIGTERM)
    # The SIGINT below must be the second signal the bridge handles.
    check(b.wait_log("SIGTERM: shutting down", 5), "SIGTERM not logged")
    time.sleep(0.3)
    check(b.proc.poll() is None, "exited with a request in flight")
    b.proc.send_signal(signal.SIGINT)
    b.proc.wait(8)
    # Well before the default --drain-timeout (10 s) the first signal
    # would wait for.
    check(time.monotonic() - start < 6, "the second signal was not obeyed")
    check("second signal" in b.stderr(), "not logged")
    s.close()


TESTS = {
    "metrics": (test_metrics, ["--metrics-listen",
                               "127.0.0.1:%d" % METRICS_PORT], None),
    "metrics-allow-host": (test_metrics_allow_host, [
        "--allow-host", "mcp.example.com",
        "--metrics-listen", "0.0.0.0:%d" % METRICS_ANY_PORT], None),
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
