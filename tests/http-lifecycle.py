#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-lifecycle.py: sessions and the child's life: /readyz before the
# child is ready, an initialize held until then (its event stream carries
# the session id), and a session whose own child dies (--isolation=session):
# its streams end and its id answers 404; a failed initialize.
# Exit 0 pass, 1 fail, 77 skip.
import os
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import check, main, run_each  # noqa: E402
from mcptest.wire import Response, initialize, post, rpc  # noqa: E402


# ---- the tests ----


def test_startup(b):
    r = Response(b, "GET", "/readyz")
    check(r.status == 503, "readyz before the child is ready: %d" % r.status)
    r.close()
    r = Response(b, "GET", "/healthz")
    check(r.status == 200, "healthz: %d" % r.status)
    r.close()
    # Held past the keep-alive time: the answer comes as an event stream,
    # with the session id on it.
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "early", "version": "1"}}))
    check(r.status == 200, "early initialize: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "early initialize: %r" % r.headers.get("content-type"))
    sid = r.headers.get("mcp-session-id")
    check(sid is not None, "early initialize: no session id")
    ev = r.message()
    check(ev["msg"].get("id") == 1 and "result" in ev["msg"],
          "early initialize: %r" % ev)
    check(r.comments, "early initialize: no comment while waiting")
    r.close()
    r = post(b, rpc(2, "ping"), sid, "2025-06-18")
    check(r.status == 200 and r.json()["id"] == 2, "ping after early init")
    r.close()
    wait_ready(b)


def test_session_end(b):
    wait_ready(b)
    # An initialize that fails (here the session's own child says no)
    # leaves no session behind.
    r = post(b, rpc(1, "initialize", {}))
    body = r.json()
    check("error" in body, "bad initialize answered %r" % body)
    check("mcp-session-id" not in r.headers, "session id on a failure")
    r.close()
    deadline = time.monotonic() + 5
    while "initialize failed" not in b.stderr():
        check(time.monotonic() < deadline, "failed session not ended")
        time.sleep(0.05)
    sid, version = initialize(b, strict=True)
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid})
    check(g.status == 200, "GET: %d" % g.status)
    other, v2 = initialize(b, strict=True)
    r = post(b, rpc(2, "tools/call", {"name": "exit",
                                      "arguments": {"code": 3}}),
             sid, version)
    check(r.status == 200 and "error" in r.json(), "exit call answered")
    r.close()
    check(g.event() is None, "GET stream not ended with the session")
    g.close()
    r = post(b, rpc(3, "ping"), sid, version)
    check(r.status == 404, "ended session: %d" % r.status)
    r.close()
    r = post(b, rpc(4, "ping"), other, v2)
    check(r.status == 200, "other session: %d" % r.status)
    r.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["startup"]:
        main(test_startup, "--keepalive", "300ms", "--env",
             "TEST_SERVER_STARTUP_DELAY_MS=1500")
    elif sys.argv[1:] == ["end"]:
        main(test_session_end, "--isolation", "session")
    else:
        run_each(("startup", "end"))
