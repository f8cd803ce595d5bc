#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fault-slowloris.py: 500 connections that send their request headers a
# line at a time, slowly, never finishing (and come back when cut), while
# 50 live clients work.  The live clients see no error and no stall; the
# bridge cuts the slow ones at --read-timeout; when the attack stops,
# nothing of it is left.
# Exit 0 pass, 1 fail, 77 skip.
import os
import select
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.run import check  # noqa: E402
from mcptest.wire import metrics  # noqa: E402
from faultlib import Session, call, echo_ok, gauge, main  # noqa: E402

SLOW = 500
LIVE = 50
CALLS = 60              # per live client
READ_TIMEOUT = 2        # seconds, --read-timeout


class Slowloris(threading.Thread):
    def __init__(self, b):
        super().__init__()
        self.b, self.stop = b, threading.Event()
        self.socks, self.opened, self.cut, self.failed = {}, 0, 0, 0

    def open_one(self):
        try:
            s = socket.create_connection((self.b.host, self.b.port), 5)
        except OSError:
            self.failed += 1
            return
        s.setblocking(False)
        try:
            s.send(("POST %s/mcp HTTP/1.1\r\nHost: %s\r\n" %
                    (self.b.base, self.b.hostport)).encode())
        except OSError:
            pass
        self.socks[s.fileno()] = s
        self.opened += 1

    def run(self):
        while len(self.socks) < SLOW and not self.stop.is_set():
            self.open_one()
        n = 0
        while not self.stop.is_set():
            # One more header line each, a few times a second.
            for s in list(self.socks.values()):
                try:
                    s.send(b"X-Slow-%d: ." % n)
                except OSError:
                    pass
            n += 1
            end = time.time() + 0.3
            while time.time() < end and not self.stop.is_set():
                r, _, _ = select.select(list(self.socks.values()), [], [],
                                        0.05)
                for s in r:
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if data and not data.startswith(b"HTTP/1.1 408"):
                        continue
                    # Cut (with a 408, or just closed): come back.
                    del self.socks[s.fileno()]
                    s.close()
                    self.cut += 1
                    self.open_one()

    def close_all(self):
        for s in self.socks.values():
            s.close()
        self.socks = {}


def live(b, k, errors, worst):
    s = Session(b)
    try:
        for i in range(CALLS):
            t = time.time()
            status, ans = s.post(call(i, "echo", message="%d-%d" % (k, i)))
            took = time.time() - t
            worst[k] = max(worst[k], took)
            if status != 200 or \
                    ans["result"]["content"][0]["text"] != "%d-%d" % (k, i):
                errors.append((k, i, status, ans))
            time.sleep(0.1)
        check(s.delete() == 200, "DELETE")
    finally:
        s.close()


def test(b):
    b.wait_ready()
    attack = Slowloris(b)
    attack.start()
    try:
        attack_and_work(b, attack)
    finally:
        # A failed check must not leave the attacker running (the script
        # would then hang until faultlib's alarm).
        attack.stop.set()
        attack.join(10)
        attack.close_all()


def attack_and_work(b, attack):
    while attack.opened < SLOW:
        time.sleep(0.05)
        check(attack.is_alive(), "attacker died")
    # On a loaded machine opening 500 connections can take longer than
    # --read-timeout, and the first are cut before the last are open; the
    # attacker opens one again for each cut, so the count climbs back.
    # What matters is that the bridge holds (nearly) all of them at once.
    conns, deadline = 0, time.time() + 3 * READ_TIMEOUT
    while conns < SLOW * 0.9 and time.time() < deadline:
        conns = max(conns, gauge(metrics(b), "mcpbridge_http_connections"))
        time.sleep(0.1)
    print("%d slow connections open at the bridge" % conns)
    check(conns >= SLOW * 0.9, "only %d connections open" % conns)

    errors, worst, threads = [], [0.0] * LIVE, []
    t = time.time()
    for k in range(LIVE):
        th = threading.Thread(target=lambda k=k: live(b, k, errors, worst))
        th.start()
        threads.append(th)
    for th in threads:
        th.join(120)
    took = time.time() - t
    attack.stop.set()
    attack.join(10)
    print("live: %d calls in %.1f s, slowest %.3f s; slow connections: "
          "%d opened, %d cut by the bridge" % (LIVE * CALLS, took,
                                               max(worst), attack.opened,
                                               attack.cut))
    check(not errors, "%d live errors, first %r" % (len(errors), errors[:3]))
    check(max(worst) < 5.0, "a live call took %.2f s" % max(worst))
    check(attack.cut >= SLOW, "the bridge cut only %d slow connections"
          % attack.cut)
    check(attack.failed == 0, "%d slow connections refused" % attack.failed)

    attack.close_all()
    deadline = time.time() + 10
    while gauge(metrics(b), "mcpbridge_http_connections") > 1:
        check(time.time() < deadline, "slow connections left behind")
        time.sleep(0.1)
    check(gauge(metrics(b), "mcpbridge_sessions") == 0, "sessions left")
    echo_ok(b)


if __name__ == "__main__":
    main(test, "--read-timeout", "%ds" % READ_TIMEOUT, timeout=180)
