#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# pool.py: --children N with real processes.  Legacy sessions spread over
# the copies and stay on theirs (a copy's `received` knob shows which
# calls it read); /metrics shows each copy's load; a copy that crashes
# ends its own sessions only, the others' go on under the same session id,
# and only it restarts; SIGHUP logs each copy's load; a 2026-07-28 request's input_required retry is
# answered by the copy that asked, whichever is least busy; the drain
# stops every copy.
# Exit 0 pass, 1 fail, 77 skip.
import importlib.util
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from mcptest.run import check, main, run_each  # noqa: E402
from mcptest.wire import metrics  # noqa: E402
from faultlib import Bridge, Session, call  # noqa: E402

# The 2026-07-28 request helpers of http-modern.py.
_spec = importlib.util.spec_from_file_location(
    "http_modern", os.path.join(here, "http-modern.py"))
modern = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(modern)

N = 3
SESSIONS = 6


def wait_children(b, n, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        kids = b.children()
        # /readyz answers once one copy is ready; a session is placed
        # only on a ready copy, so wait for all of them.
        if len(kids) == n:
            b.wait_ready()
            m = metrics(b)
            if all(pool_gauge(m, "ready", c) == 1 for c in range(1, n + 1)):
                return kids
        time.sleep(0.02)
    check(False, "%d children, not %d" % (len(b.children()), n))


def seen(s):
    """The markers the session's copy has read (its `received` knob)."""
    status, ans = s.post(call(900, "received", count=100))
    check(status == 200 and "result" in ans, "received: %d %r" %
          (status, ans))
    found = set()
    for item in ans["result"]["content"]:
        found.update(re.findall(r"mark-\d+-\d+", item["text"]))
    return found


def echo(s, text):
    status, ans = s.post(call(1, "echo", message=text))
    check(status == 200 and "result" in ans and
          ans["result"]["content"][0]["text"] == text,
          "echo %s: %d %r" % (text, status, ans))


def pool_gauge(m, name, child):
    return m.get('mcpbridge_pool_child_%s{child="%d"}' % (name, child))


def groups_of(sessions):
    """Session index -> the set of markers its copy read; sessions on one
    copy see the same set."""
    return [frozenset(seen(s)) for s in sessions]


def test_pool(b):
    wait_children(b, N)
    sessions = [Session(b) for _ in range(SESSIONS)]
    for i, s in enumerate(sessions):
        echo(s, "mark-%d-1" % i)
    sets = groups_of(sessions)
    copies = set(sets)
    check(len(copies) == N, "%d copies saw calls, not %d: %r" %
          (len(copies), N, sets))
    for i, g in enumerate(sets):
        check("mark-%d-1" % i in g, "session %d's copy did not read its "
              "call: %r" % (i, g))
        check(sum(1 for h in sets if h == g) == SESSIONS // N,
              "uneven spread: %r" % sets)
    # Pinned: later calls reach the copy that read the first.
    for i, s in enumerate(sessions):
        echo(s, "mark-%d-2" % i)
    later = groups_of(sessions)
    for i, g in enumerate(later):
        mates = [j for j in range(SESSIONS) if sets[j] == sets[i]]
        want = {"mark-%d-%d" % (j, k) for j in mates for k in (1, 2)}
        check(g == want, "session %d's copy read %r, not %r" %
              (i, sorted(g), sorted(want)))

    m = metrics(b)
    for c in range(1, N + 1):
        check(pool_gauge(m, "sessions", c) == SESSIONS // N,
              "child %d: %r sessions" % (c, pool_gauge(m, "sessions", c)))
        check(pool_gauge(m, "requests_total", c) >= 2 * SESSIONS // N,
              "child %d: requests %r" % (c, pool_gauge(m, "requests_total",
                                                        c)))
        check(pool_gauge(m, "up", c) == 1, "child %d not up" % c)
    check(m.get("mcpbridge_child_up") == N, "child_up %r" %
          m.get("mcpbridge_child_up"))

    # SIGHUP: the log shows each copy's load.
    os.kill(b.pid, signal.SIGHUP)
    end = time.time() + 10
    lines = []
    while time.time() < end and len(lines) < N:
        lines = re.findall(r"child (\d): ready, (\d+) sessions, (\d+) "
                           r"requests in flight, (\d+) forwarded, (\d+) "
                           r"restarts", b.stderr())
        time.sleep(0.02)
    check(sorted(int(x[0]) for x in lines) == list(range(1, N + 1)) and
          all(int(x[1]) == SESSIONS // N and int(x[2]) == 0 and
              int(x[3]) >= 2 * SESSIONS // N and int(x[4]) == 0
              for x in lines), "SIGHUP's load lines: %r" % lines)

    # One copy crashes: its sessions end, the others never notice.
    victim = sets[0]
    mates = [j for j in range(SESSIONS) if sets[j] == victim]
    others = [j for j in range(SESSIONS) if sets[j] != victim]
    kids = b.children()
    status, ans = sessions[mates[0]].post(call(2, "crash"))
    check(status in (200, 404), "crash: %d" % status)
    end = time.time() + 20
    while time.time() < end and "restarting" not in b.stderr():
        time.sleep(0.02)
    for j in mates:
        status, _ = sessions[j].post(call(3, "echo", message="after"))
        check(status == 404, "session %d of the crashed copy: %d, not 404"
              % (j, status))
    for j in others:
        echo(sessions[j], "mark-%d-3" % j)
    log = b.stderr()
    found = re.findall(r"child (\d) killed by signal 11 \(SIGSEGV\); "
                       r"restarting in \d+ ms \((\d+) sessions?", log)
    check(len(found) == 1 and int(found[0][1]) == len(mates),
          "the crash is not logged with its copy and load: %r" % found)
    crashed = int(found[0][0])
    # Only it restarts; the copies that serve on keep their processes.
    end = time.time() + 20
    while time.time() < end and len(b.children()) < N:
        time.sleep(0.02)
    now = b.children()
    check(len(now) == N and len(set(kids) & set(now)) == N - 1,
          "one copy replaced: %r then %r" % (kids, now))
    m = metrics(b)
    for c in range(1, N + 1):
        check(pool_gauge(m, "restarts_total", c) ==
              (1 if c == crashed else 0), "child %d restarts %r" %
              (c, pool_gauge(m, "restarts_total", c)))
    # One line per event: the crash (with its cause, its delay and its
    # load), then the copy's start (with its pid and restart count).
    end = time.time() + 10
    while time.time() < end and "(restart 1)" not in b.stderr():
        time.sleep(0.02)
    log = b.stderr()
    died = [l for l in log.splitlines()
            if re.search(r"child %d:? killed by signal 11" % crashed, l)]
    check(len(died) == 1, "the crash is logged %d times: %r" %
          (len(died), died))
    began = [l for l in log.splitlines()
             if re.search(r"child %d:? (started|restarting)" % crashed, l)]
    check(len(began) == 2 and re.search(r"child %d started \(pid \d+\); "
                                        r"initializing it \(restart 1\)$"
                                        % crashed, began[1]),
          "the copy's two starts are logged as %r" % began)
    for j in others:
        echo(sessions[j], "mark-%d-4" % j)
    for s in sessions:
        s.close()


def test_retry(b):
    # 2026-07-28 requests that ask spread over the copies; each retry
    # must reach the copy that asked (the others know nothing of it).
    wait_children(b, N)
    states = []
    for i in range(N):
        body, _ = modern.call(b, i + 1,
                              "test_input_required_result_elicitation")
        res = body["result"]
        check(res["resultType"] == "input_required", "asked: %r" % res)
        states.append(res["requestState"])
    m = metrics(b)
    check(all(pool_gauge(m, "requests_total", c) == 1
              for c in range(1, N + 1)),
          "the asking calls did not spread: %r" % m)
    # Retried last first: a copy other than the asker's is next in turn.
    for i, state in reversed(list(enumerate(states))):
        body, _ = modern.call(b, 10 + i,
                              "test_input_required_result_elicitation",
                              extra={"requestState": state,
                                     "inputResponses": {"user_name": {
                                         "action": "accept",
                                         "content": {"name": "Al%d" % i}}}})
        check(body.get("id") == 10 + i and
              modern.text(body) == "Hello, Al%d!" % i,
              "retry %d: %r" % (i, body))


def test_drain(b):
    wait_children(b, N)
    kids = b.children()
    check(b.stop() == 0, "exit status")
    check("stopped" in b.stderr(), "not stopped")
    gone = [p for p in kids if os.path.exists("/proc/%d" % p)]
    check(not gone, "copies left running: %r" % gone)


TESTS = {
    "pool": test_pool,
    "retry": test_retry,
    "drain": test_drain,
}

if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(TESTS[sys.argv[1]], "--children", str(N), timeout=120,
             bridge=Bridge)
    run_each(list(TESTS))
