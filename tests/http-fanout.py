#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-fanout.py: one message for every session.  A big notification the
# child sends to 150 idle sessions is held once, not once per session: the
# bridge's resident memory grows by a few times the message, not by 150
# times; every session still gets it, on a GET stream opened later.  A
# client whose stream reads nothing still loses it at --max-queue, shared
# messages or not, and nobody else is slowed.
# Exit 0 pass, 1 fail, 77 skip.
import os
import socket
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import check, main  # noqa: E402
from mcptest.wire import Response, call, initialize  # noqa: E402

SESSIONS = 150
PAD = 900 * 1024        # the size of the 900 KB log line of issue 16
FLOOD = 12              # broadcasts for a stream that reads nothing: well
                        # past --max-queue and what the kernel buffers


def rss(b):
    """The bridge's resident set, in bytes."""
    with open("/proc/%d/status" % b.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmRSS for %d" % b.proc.pid)


def sanitized(b):
    """Built with AddressSanitizer: its quarantine keeps what was freed,
    so the resident set says little."""
    with open("/proc/%d/maps" % b.proc.pid) as f:
        return "libasan" in f.read()


def notice(b, sid, version):
    """The next message on a new GET stream of the session."""
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid,
                                    "MCP-Protocol-Version": version})
    check(g.status == 200, "GET: %d" % g.status)
    ev = g.message()
    g.close()
    check(ev is not None, "GET: stream ended")
    return ev["msg"]


def test(b):
    if not os.path.exists("/proc/%d/status" % b.proc.pid):
        print("SKIP: no /proc")
        sys.exit(77)
    wait_ready(b)
    sessions = [initialize(b, "2025-06-18", strict=True)
                for _ in range(SESSIONS)]
    sid, version = sessions[0]
    # A small broadcast first, so that what every session needs for one
    # waiting message is there before the measure.
    status, body = call(b, sid, version, 2, "notify_list_changed",
                        {"list": "tools"})
    check(status == 200 and "result" in body, "small: %r" % body)
    for s, v in (sessions[0], sessions[-1]):
        msg = notice(b, s, v)
        check(msg.get("method") == "notifications/tools/list_changed",
              "small: %r" % msg)

    before = rss(b)
    status, body = call(b, sid, version, 3, "notify_list_changed",
                        {"list": "resources", "pad": PAD})
    check(status == 200 and "result" in body, "big: %r" % body)
    after = rss(b)
    # Every session has it waiting (the first and the last show it).
    for s, v in (sessions[0], sessions[-1]):
        msg = notice(b, s, v)
        check(msg.get("method") == "notifications/resources/list_changed" and
              len(msg["params"]["_meta"]["pad"]) == PAD,
              "big: %r" % str(msg)[:200])
    growth = after - before
    print("%d sessions, a %d KB broadcast: RSS %d KB -> %d KB (%+d KB, "
          "%.1f times the message)" % (SESSIONS, PAD // 1024, before // 1024,
                                      after // 1024, growth // 1024,
                                      growth / PAD))
    if sanitized(b):
        print("AddressSanitizer build: RSS not checked")
    else:
        check(growth < 5 * PAD, "RSS grew by %d KB for a %d KB message to "
              "%d sessions" % (growth // 1024, PAD // 1024, SESSIONS))

    # A stream that reads nothing, another that reads everything.
    slow, sversion = sessions[1]
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": slow,
                                    "MCP-Protocol-Version": sversion})
    g.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    check(g.status == 200, "slow GET: %d" % g.status)
    fast, fversion = sessions[2]
    r = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": fast,
                                    "MCP-Protocol-Version": fversion})
    check(r.status == 200, "fast GET: %d" % r.status)
    got = 0
    for n in range(FLOOD):
        status, body = call(b, sid, version, 10 + n, "notify_list_changed",
                            {"list": "tools", "pad": PAD})
        check(status == 200 and "result" in body, "flood: %r" % body)
        while True:
            ev = r.message()
            check(ev is not None, "fast stream ended")
            # (The small one of before is still waiting.)
            if ev["msg"].get("method") == \
                    "notifications/tools/list_changed" and \
                    "params" in ev["msg"]:
                break
        check(len(ev["msg"]["params"]["_meta"]["pad"]) == PAD,
              "fast: message %d cut" % n)
        got += 1
    r.close()
    g.close()
    check(got == FLOOD, "fast reader got %d of %d" % (got, FLOOD))
    check("dropping its connections" in b.stderr(),
          "the stream that reads nothing was not dropped")


if __name__ == "__main__":
    main(test, "--max-queue", "1M")
