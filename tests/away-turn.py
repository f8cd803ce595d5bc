#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# away-turn.py: a client that leaves while its call holds the child's
# asking turn (attack20 F18: it read the child's question, closed its
# connection, never answered nor cancelled) holds the other sessions back
# for MUX_AWAY_TURN_MS (10 s), not for --request-timeout (5 min).
# Exit 0 pass, 1 fail, 77 skip.
import os
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import check, main  # noqa: E402
from mcptest.wire import (ACCEPT_BOTH, Response, note, post,  # noqa: E402
                          rpc)

VERSION = "2025-06-18"


def session(b, caps):
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": VERSION, "capabilities": caps,
        "clientInfo": {"name": "away", "version": "1"}}))
    check(r.status == 200, "initialize: %d" % r.status)
    sid = r.headers.get("mcp-session-id")
    r.answer()
    r.close()
    r = post(b, note("notifications/initialized"), sid, VERSION)
    r.close()
    return sid


def test(b):
    wait_ready(b)
    a = session(b, {"sampling": {}})
    other = session(b, {})
    # a's call takes the turn; the child asks a, on a's POST stream.
    r = post(b, rpc(2, "tools/call", {"name": "sample", "arguments": {}}),
             a, VERSION)
    check(r.status == 200, "a's call: %d" % r.status)
    ev = r.message()
    check(ev is not None and
          ev["msg"].get("method") == "sampling/createMessage",
          "a's question: %r" % ev)
    # a leaves: its connection closes, no answer, no cancel.
    r.close()
    start = time.monotonic()
    r = Response(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "Mcp-Session-Id": other, "MCP-Protocol-Version": VERSION},
        rpc(3, "tools/call", {"name": "echo", "arguments": {"text": "x"}}),
        timeout=40)
    answer = r.answer()
    r.close()
    took = time.monotonic() - start
    check(r.status == 200 and answer is not None and "result" in answer,
          "the other session's call: %d %r" % (r.status, answer))
    check(took < 25, "the other session waited %.1f s" % took)
    check(b.wait_log("a client away for 10 s held the server's turn", 5),
          "the cancel not logged")


if __name__ == "__main__":
    main(test, "--asking-tools", "sample", timeout=60)
