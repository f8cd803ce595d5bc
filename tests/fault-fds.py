#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fault-fds.py: descriptor exhaustion.  The bridge runs under a limit of
# 64 open files (soft and hard: it cannot raise it).  Clients open far
# more connections than that; the bridge stops accepting (it keeps a
# reserve, backs off, says so in its log) instead of failing, the clients
# already connected keep working throughout, and once the flood goes away
# new connections are accepted again.
# Exit 0 pass, 1 fail, 77 skip.
import os
import socket
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.run import check  # noqa: E402
from mcptest.wire import request  # noqa: E402
from faultlib import Legacy, Session, call, echo_ok, main  # noqa: E402

LIMIT = 64
FLOOD = 200


def echo(s, id, text):
    status, ans = s.post(call(id, "echo", message=text))
    check(status == 200 and ans["result"]["content"][0]["text"] == text,
          "echo %d: %d %r" % (id, status, ans))


def test(b):
    b.wait_ready()
    # The clients already in: two sessions on kept-alive connections and
    # a legacy event stream.
    s1, s2 = Session(b), Session(b)
    lg = Legacy(b)
    lg.initialize()
    echo(s1, 1, "before")

    flood, refused = [], 0
    for i in range(FLOOD):
        try:
            c = socket.create_connection((b.host, b.port), timeout=0.3)
            c.sendall(("GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n" %
                       b.hostport).encode())
            flood.append(c)
        except OSError:
            refused += 1
        if i % 20 == 19:
            # The connected clients work all along.
            echo(s1, 100 + i, "during %d" % i)
            echo(s2, 100 + i, "during %d" % i)
    print("flood: %d connected, %d refused; bridge holds %d descriptors" %
          (len(flood), refused, b.fds()))
    check(b.fds() <= LIMIT, "over the limit?")
    time.sleep(1.5)
    check(b.alive(), "the bridge died")
    log = b.stderr()
    check("accept" in log and ("Too many open files" in log or
                               "accepting connections again" in log),
          "no sign of descriptor exhaustion in the log")
    for i in range(5):
        echo(s1, 300 + i, "still %d" % i)
        echo(s2, 300 + i, "still %d" % i)
    check(lg.post(call(400, "echo", message="legacy")) == 202, "legacy post")
    m = lg.stream.message()
    check(m is not None and m.get("id") == 400, "legacy answer %r" % m)

    # The flood goes: new connections are accepted again.
    for c in flood:
        c.close()
    deadline = time.time() + 10
    while True:
        try:
            r = request(b, "GET", "/healthz", timeout=2)
            if r.status == 200:
                break
        except OSError:
            pass
        check(time.time() < deadline, "not accepting again")
        time.sleep(0.2)
    echo_ok(b)
    echo(s1, 500, "after")
    s1.delete()
    s2.delete()
    s1.close()
    s2.close()
    lg.close()
    print("recovered; %d descriptors" % b.fds())


if __name__ == "__main__":
    # Idle kept-alive connections must outlive the test: --read-timeout.
    main(test, "--read-timeout", "60s", nofile=LIMIT, timeout=120)
