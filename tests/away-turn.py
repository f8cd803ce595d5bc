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


def session(b, caps, version=VERSION):
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": version, "capabilities": caps,
        "clientInfo": {"name": "away", "version": "1"}}))
    check(r.status == 200, "initialize: %d" % r.status)
    sid = r.headers.get("mcp-session-id")
    r.answer()
    r.close()
    r = post(b, note("notifications/initialized"), sid, version)
    r.close()
    return sid


def ask(b, a, version, args):
    """a's call of the asking tool (it may wait for the turn: a call
    cancelled before holds it back while the child may work on it)."""
    r = Response(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "Mcp-Session-Id": a, "MCP-Protocol-Version": version},
        rpc(2, "tools/call", {"name": "sample", "arguments": args}),
        timeout=40)
    check(r.status == 200, "a's call: %d" % r.status)
    return r


def other_waits(b, other, id):
    """The other session's echo, waiting for the turn: how long it took."""
    start = time.monotonic()
    r = Response(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "Mcp-Session-Id": other, "MCP-Protocol-Version": VERSION},
        rpc(id, "tools/call", {"name": "echo", "arguments": {"text": "x"}}),
        timeout=40)
    answer = r.answer()
    r.close()
    took = time.monotonic() - start
    check(r.status == 200 and answer is not None and "result" in answer,
          "the other session's call: %d %r" % (r.status, answer))
    check(took < 25, "the other session waited %.1f s" % took)


def test(b):
    wait_ready(b)
    other = session(b, {})

    # a's call takes the turn; the child asks a, on a's POST stream; a
    # leaves: its connection closes, no answer, no cancel.
    a = session(b, {"sampling": {}})
    r = ask(b, a, VERSION, {})
    ev = r.message()
    check(ev is not None and
          ev["msg"].get("method") == "sampling/createMessage",
          "a's question: %r" % ev)
    r.close()
    other_waits(b, other, 3)
    check(b.wait_log("a client away for 10 s held the server's turn", 5),
          "the cancel not logged")

    # The same, but a sends a notification a second after it left, then
    # nothing: that request keeps the turn 10 s more, no longer.
    a = session(b, {"sampling": {}})
    r = ask(b, a, VERSION, {})
    r.message()
    r.close()
    time.sleep(1)
    n = post(b, note("notifications/roots/list_changed"), a, VERSION)
    check(n.status == 202, "a's notification: %d" % n.status)
    n.close()
    other_waits(b, other, 4)

    # A 2025-11-25 session whose POST the bridge ends itself (it primes
    # the stream and closes it, for the client to poll) and which never
    # polls: away all the same.
    a = session(b, {"sampling": {}}, "2025-11-25")
    r = ask(b, a, "2025-11-25", {"wait_ms": 1000})
    while r.event() is not None:
        pass
    r.close()
    other_waits(b, other, 5)


if __name__ == "__main__":
    main(test, "--asking-tools", "sample", timeout=120)
