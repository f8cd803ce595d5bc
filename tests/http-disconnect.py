#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-disconnect.py: clients that leave mid-stream, in every state, and a
# client too slow for --max-queue: they go, the others are not disturbed.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import check, main  # noqa: E402
from mcptest.wire import (ACCEPT_BOTH, Response, initialize,  # noqa: E402
                          polled_answer, post, rpc)


# ---- the tests ----


def stream_session(b, version="2025-06-18"):
    sid, version = initialize(b, version, strict=True)
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid})
    check(g.status == 200, "GET: %d" % g.status)
    return sid, version, g


def legacy_session(b):
    s = Response(b, "GET", "/sse")
    check(s.status == 200, "GET /sse: %d" % s.status)
    ev = s.event()
    ep = ev["data"][len(b.base):]
    r = Response(b, "POST", ep, {"Content-Type": "application/json"},
                 rpc(1, "initialize", {"protocolVersion": "2024-11-05",
                                       "capabilities": {},
                                       "clientInfo": {"name": "t",
                                                      "version": "1"}}))
    check(r.status == 202, "legacy initialize: %d" % r.status)
    r.close()
    check(s.message()["msg"]["id"] == 1, "legacy initialize answer")
    return s, ep


def fire(b, body, sid, version):
    """POST and leave before the answer: the request is held then."""
    data = json.dumps(body).encode()
    s = socket.create_connection((b.host, b.port), timeout=5)
    s.sendall(("POST %s/mcp HTTP/1.1\r\nHost: %s\r\n"
               "Content-Type: application/json\r\nAccept: %s\r\n"
               "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: %s\r\n"
               "Content-Length: %d\r\n\r\n" %
               (b.base, b.hostport, ACCEPT_BOTH, sid, version,
                len(data))).encode() + data)
    time.sleep(0.02)
    s.close()


def alive(b, sid, version, n):
    r = post(b, rpc(n, "tools/call", {"name": "echo",
                                      "arguments": {"message": str(n)}}),
             sid, version)
    check(r.status == 200, "echo %d: %d" % (n, r.status))
    # Slower than the bridge's poll time (a loaded machine), a 2025-11-25
    # session's answer comes by polling: follow it as a client does.
    body = polled_answer(b, r, sid, version)
    check(body["result"]["content"][0]["text"] == str(n), "echo %d" % n)


def test(b):
    wait_ready(b)
    sid, version, g = stream_session(b)

    # Clients that leave mid-stream, in every state: a legacy stream, a
    # GET stream, a POST event stream, a held POST.
    for i in range(20):
        s, ep = legacy_session(b)
        s.close()
        sid2, v2, g2 = stream_session(b)
        g2.close()
        r = post(b, rpc(2, "tools/call", {
            "name": "progress", "arguments": {"steps": 5, "ms": 30},
            "_meta": {"progressToken": 1}}), sid2, v2)
        r.message()
        r.close()
        fire(b, rpc(3, "tools/call", {"name": "delay",
                                      "arguments": {"ms": 100}}), sid2, v2)
        r = Response(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid2})
        r.close()
    # Held POSTs of a 2025-11-25 session left before and after priming.
    sid3, v3 = initialize(b, "2025-11-25", strict=True)
    for i in range(10):
        fire(b, rpc(40 + i, "tools/call", {"name": "delay", "arguments":
                                           {"ms": 50 * i}}), sid3, v3)
    time.sleep(0.8)
    alive(b, sid3, v3, 99)
    # What alive() relies on when the machine is slow: an answer later
    # than the poll time comes by polling.
    r = post(b, rpc(98, "tools/call", {"name": "delay",
                                       "arguments": {"ms": 600}}), sid3, v3)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "a slow answer opens a stream: %r" % r.headers)
    body = polled_answer(b, r, sid3, v3)
    check(body.get("id") == 98 and "result" in body, "polled: %r" % body)
    time.sleep(0.3)
    alive(b, sid, version, 100)

    # The survivor's GET stream still works.
    r = post(b, rpc(101, "tools/call", {"name": "notify_list_changed",
                                        "arguments": {"list": "tools"}}),
             sid, version)
    r.body()
    r.close()
    ev = g.message()
    check(ev is not None and ev["msg"].get("method") ==
          "notifications/tools/list_changed", "survivor GET stream %r" % ev)

    # A legacy client that stops reading is dropped once it is over
    # --max-queue; the others go on.
    s, ep = legacy_session(b)
    s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    dropped = False
    for i in range(400):
        r = Response(b, "POST", ep, {"Content-Type": "application/json"},
                     rpc(10 + i, "tools/call", {
                         "name": "long_line",
                         "arguments": {"bytes": 200000}}))
        status = r.status
        r.close()
        if status == 404:
            dropped = True
            break
        check(status == 202, "long_line: %d" % status)
        if i % 10 == 9:
            alive(b, sid, version, 1000 + i)
    check(dropped, "slow client never dropped")
    s.close()
    alive(b, sid, version, 2000)
    check("over the limit" in b.stderr(), "drop not logged")
    g.close()


if __name__ == "__main__":
    main(test, "--max-queue", "1M")
