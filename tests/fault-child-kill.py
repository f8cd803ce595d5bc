#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fault-child-kill.py: the child dies 60 times under load (kill -9 from
# here, the test server's crash and exit knobs from a client).  Every
# request in flight is answered (a result, or a JSON-RPC error: never
# silence), the bridge stays up and serves each restarted child, and its
# descriptors and memory come back to where they were.
# Exit 0 pass, 1 fail, 77 skip.
import os
import random
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.run import Failure, check  # noqa: E402
from faultlib import (Legacy, Session, call, echo_ok, main,  # noqa: E402
                      settle_rss)

KILLS = 60
STREAM_WORKERS = 6
LEGACY_WORKERS = 2
SLOW_ANSWER = 10.0      # seconds: an answer later than this is "silence"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.failures = []

    def add(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def fail(self, what):
        with self.lock:
            self.failures.append(what)


def pick_call(rng, id):
    n = rng.randrange(4)
    if n == 0:
        return call(id, "echo", message="m%d" % id)
    if n == 1:
        return call(id, "progress", progress="p%d" % id, steps=3, ms=15)
    return call(id, "delay", ms=rng.randrange(5, 80), message="d%d" % id)


def judge(stats, id, status, ans, took, where):
    """One answer: a result or a JSON-RPC error for this id, in time."""
    if took > SLOW_ANSWER:
        stats.fail("%s: id %d answered after %.1f s" % (where, id, took))
    if status == 404:
        stats.add("404")        # the session ended with its child
        return False
    if status != 200 or not isinstance(ans, dict) or ans.get("id") != id:
        stats.fail("%s: id %d: status %d, answer %r" % (where, id, status,
                                                        ans))
        return False
    if "result" in ans:
        stats.add("result")
    elif "error" in ans and isinstance(ans["error"].get("code"), int):
        stats.add("error")
    else:
        stats.fail("%s: id %d: neither result nor error: %r" %
                   (where, id, ans))
    return True


def stream_worker(b, stats, stop, seed):
    rng = random.Random(seed)
    s, id = None, 0
    while not stop.is_set():
        try:
            if s is None:
                s = Session(b)
            id += 1
            t = time.time()
            status, ans = s.post(pick_call(rng, id))
            if not judge(stats, id, status, ans, time.time() - t,
                         "stream %d" % seed):
                s.close()
                s = None
        except Failure as e:
            # initialize refused while the child restarts: try again.
            if "initialize" in str(e):
                stats.add("init refused")
                time.sleep(0.02)
                if s is not None:
                    s.close()
                s = None
                continue
            stats.fail("stream %d: %s" % (seed, e))
            s = None
        except OSError as e:
            stats.fail("stream %d: id %d: %s" % (seed, id, e))
            s = None
    if s is not None:
        s.close()


def legacy_worker(b, stats, stop, seed):
    rng = random.Random(seed)
    lg, id = None, 1000000 * seed
    while not stop.is_set():
        try:
            if lg is None:
                lg = Legacy(b)
                lg.initialize()
            id += 1
            t = time.time()
            status = lg.post(pick_call(rng, id))
            if status == 404:
                stats.add("404")
                lg.close()
                lg = None
                continue
            check(status == 202, "legacy POST: %d" % status)
            while True:
                m = lg.stream.message()
                if m is None:
                    stats.fail("legacy %d: stream ended, id %d unanswered"
                               % (seed, id))
                    break
                if m.get("id") == id:
                    judge(stats, id, 200, m, time.time() - t,
                          "legacy %d" % seed)
                    break
            if m is None:
                lg.close()
                lg = None
        except Failure as e:
            if "initialize" in str(e):
                stats.add("init refused")
                time.sleep(0.02)
            else:
                stats.fail("legacy %d: %s" % (seed, e))
            if lg is not None:
                lg.close()
            lg = None
        except OSError as e:
            stats.fail("legacy %d: id %d: %s" % (seed, id, e))
            lg = None
    if lg is not None:
        lg.close()


def test(b):
    rng = random.Random(7)
    child = b.wait_child()
    echo_ok(b)
    fds0 = b.fds()
    stats, stop = Stats(), threading.Event()
    workers = [threading.Thread(target=stream_worker, args=(b, stats, stop,
                                                             i + 1))
               for i in range(STREAM_WORKERS)]
    workers += [threading.Thread(target=legacy_worker, args=(b, stats, stop,
                                                              i + 1))
                for i in range(LEGACY_WORKERS)]
    for w in workers:
        w.start()

    rss0 = None
    killer = None
    try:
        for i in range(KILLS):
            time.sleep(rng.uniform(0.05, 0.2))
            how = i % 3
            if how == 0:
                os.kill(child, signal.SIGKILL)
            else:
                # A client's own request kills it: that one is in flight
                # too and must be answered.
                if killer is None:
                    killer = Session(b)
                status, ans = killer.post(
                    call(i, "crash") if how == 1 else call(i, "exit", code=3))
                check(status in (200, 404), "crash call: %d" % status)
                if status == 200:
                    check(ans.get("id") == i and "error" in ans,
                          "crash call answered %r" % ans)
                killer.close()
                killer = None
            child = b.wait_child(old=child)
            if i == 9:
                rss0 = b.rss_kb()
    finally:
        stop.set()
        for w in workers:
            w.join(30)
    check(not any(w.is_alive() for w in workers), "a worker hangs")
    check(not stats.failures, "%d failures, first: %s" %
          (len(stats.failures), stats.failures[:5]))
    print("answers: %r" % stats.counts)
    check(stats.counts.get("result", 0) > 100, "too few results")
    check(stats.counts.get("error", 0) > 0,
          "no request was caught in flight by a kill")

    # Still serving, and what the kills took came back.
    check(b.alive(), "the bridge died")
    b.wait_ready()
    echo_ok(b)
    time.sleep(0.5)
    fds1 = b.fds()
    print("descriptors: %d before, %d after" % (fds0, fds1))
    check(fds1 <= fds0 + 2, "descriptors leaked: %d -> %d" % (fds0, fds1))
    rss1 = settle_rss(b)
    print("VmRSS: %d kB after 10 kills, %d kB after %d" % (rss0, rss1, KILLS))
    if not b.sanitized():
        check(rss1 <= rss0 + max(4096, rss0 // 4),
              "memory did not come back: %d kB -> %d kB" % (rss0, rss1))
    restarts = b.stderr().count("started (pid")
    check(restarts >= KILLS + 1, "only %d child starts logged" % restarts)


if __name__ == "__main__":
    main(test, "--restart", "always", "--request-timeout", "20s",
         env={"MCPBRIDGE_RESTART_BACKOFF_MAX_MS": "200"}, timeout=240)
