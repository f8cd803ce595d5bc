#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fault-child-restart.py: how the shared child comes back, at the default
# backoff.  A child that completed its handshake and then dies is restarted
# after the shortest delay however often that happens (the backoff is for
# children that die before they work); a child that exits 0 under the
# default --restart on-failure is restarted too (clients still need it),
# while --restart no still ends the bridge; and what the log and the
# client are told about the end reads well.
# Exit 0 pass, 1 fail, 77 skip.
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.run import check, need_built, run_each  # noqa: E402
from faultlib import Bridge, Session, call, echo_ok, main  # noqa: E402

KILLS = 9
# seconds: back in service after a kill, at most.  Room for a loaded box
# under ASan (exec, sanitizer start, handshake, /readyz, an echo); a
# doubling backoff still fails it by the seventh kill (6.4 s), and the
# logged delays below are checked to be the shortest each time.
QUICK = 5.0
# upstream.h: UPSTREAM_BACKOFF_MIN_MS
BACKOFF_MIN_MS = 100


def test_healthy_kills(b):
    # Kill the child again and again once it serves: each time it is back
    # within QUICK.  With the backoff doubling from 100 ms the seventh
    # restart alone would wait 6.4 s, the ninth 25.6 s.
    child = b.wait_child()
    echo_ok(b)
    for i in range(KILLS):
        t = time.time()
        os.kill(child, signal.SIGKILL)
        child = b.wait_child(old=child, timeout=40)
        echo_ok(b)
        took = time.time() - t
        check(took < QUICK, "kill %d: serving again after %.1f s" %
              (i + 1, took))
    delays = [int(d) for d in re.findall(r"child killed by signal 9 \(SIGKILL\); "
                                         r"restarting in (\d+) ms",
                                         b.stderr())]
    check(len(delays) == KILLS, "restarts logged: %r" % delays)
    check(all(d == BACKOFF_MIN_MS for d in delays),
          "a child that served was restarted after %r ms" % delays)
    check(b.stderr().count("child killed by signal 9 (SIGKILL); "
                           "restarting") == KILLS,
          "the kills are not logged as 'child killed by signal 9 (SIGKILL)'")


def test_exit_zero(b):
    # --restart on-failure (the default): a shared child that exits 0
    # while clients are there is restarted, not the end of the bridge.
    child = b.wait_child()
    for i in range(2):
        s = Session(b)
        status, ans = s.post(call(1, "exit", code=0))
        s.close()
        check(status in (200, 404), "exit call: %d" % status)
        child = b.wait_child(old=child)
        check(b.alive(), "the bridge exited with %r" % b.proc.returncode)
        echo_ok(b)
    check("child exited with status 0; restarting" in b.stderr(),
          "the restart is not logged")


def test_crash_message(b):
    # The log line and the in-flight request's error say what happened.
    child = b.wait_child()
    s = Session(b)
    status, ans = s.post(call(1, "crash"))
    s.close()
    check(status == 200 and "error" in ans, "crash call: %d %r" %
          (status, ans))
    message = ans["error"]["message"]
    check(message == "Server not available: child killed by signal 11 "
          "(SIGSEGV)", "the client is told %r" % message)
    b.wait_child(old=child)
    check("child killed by signal 11 (SIGSEGV); restarting" in b.stderr(),
          "log: %s" % b.stderr()[-2000:])


def test_restart_no():
    # --restart no: a child that exits 0 ends the bridge (69), as before.
    b = Bridge("--restart", "no")
    try:
        b.wait_child()
        s = Session(b)
        s.post(call(1, "exit", code=0))
        s.close()
        b.proc.wait(20)
        check(b.proc.returncode == 69, "--restart no, child exited 0: the "
              "bridge exited %r" % b.proc.returncode)
        check("child will not be restarted; exiting" in b.stderr(),
              "log: %s" % b.stderr()[-2000:])
    finally:
        b.stop()


TESTS = {
    "healthy-kills": (test_healthy_kills, []),
    "exit-zero": (test_exit_zero, []),
    "crash-message": (test_crash_message, []),
}

if __name__ == "__main__":
    need_built()
    if len(sys.argv) > 1 and sys.argv[1] == "restart-no":
        signal.alarm(60)
        try:
            test_restart_no()
        except Exception as e:
            print("FAIL: %s" % e)
            sys.exit(1)
        print("PASS")
        sys.exit(0)
    if len(sys.argv) > 1:
        fn, args = TESTS[sys.argv[1]]
        main(fn, *args, timeout=120)
    run_each(list(TESTS) + ["restart-no"])
