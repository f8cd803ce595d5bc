# SPDX-License-Identifier: ISC
# run.py: how a script test runs and says how it went.  The exit status is
# what automake's test driver reads: 0 pass, 1 fail, 77 skip.
import os
import re
import signal
import subprocess
import sys
import traceback


class Failure(Exception):
    """A check that did not hold (bridge.py and wire.py raise it too; they
    import it from here, and this module imports them where it runs)."""


def check(cond, what):
    if not cond:
        raise Failure(what)


def need_built(*paths):
    """Skip (77) unless the bridge and the test server, or the given
    programs, are built."""
    from mcptest.bridge import BRIDGE, SERVER
    paths = paths or (BRIDGE, SERVER)
    if not all(os.access(p, os.X_OK) for p in paths):
        print("SKIP: %s not built" % " or ".join(paths))
        sys.exit(77)


def main(test, *args, timeout=90, bridge=None, **kw):
    """Runs test(b) on b = bridge(*args, **kw), a fresh `serve` (a
    bridge.Bridge by default); exit 0 pass, 1 fail, 77 skip.  The bridge
    must also stop with status 0 and no sanitizer report.  The test is
    bounded by timeout seconds, the bridge's stop by 30 more."""
    from mcptest.bridge import Bridge
    need_built()
    bridge = bridge or Bridge

    def alarm(*_):
        raise Failure("timed out after %d s" % timeout)
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout)
    b = bridge(*args, **kw)
    try:
        test(b)
        signal.alarm(30)
        status = b.stop()
    except (Failure, OSError, ValueError, KeyError, TypeError) as e:
        b.stop()
        print("FAIL: %s: %s" % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
        print("---- bridge stderr (tail) ----")
        print(b.stderr()[-20000:])
        sys.exit(1)
    finally:
        b.stop()
    err = b.stderr()
    if re.search(r"Sanitizer|runtime error:", err) or status != 0:
        print("FAIL: exit status %s or sanitizer report" % status)
        print(err[-20000:])
        sys.exit(1)
    print("PASS")
    sys.exit(0)


def run_each(names):
    """Runs this script once per name, with the name as its argument, each
    in its own process (and so with its own bridge): exit 1 if any failed,
    77 if all skipped, 0 otherwise."""
    me = os.path.abspath(sys.modules["__main__"].__file__)
    rcs = [subprocess.call([sys.executable, me, n]) for n in names]
    if any(rc not in (0, 77) for rc in rcs):
        sys.exit(1)
    sys.exit(77 if all(rc == 77 for rc in rcs) else 0)


def run_all(names, table, **kw):
    """With an argument, runs that one test; without, each in its own
    process.  table: name -> (function, bridge arguments, environment)."""
    if len(sys.argv) > 1:
        fn, args, env = table[sys.argv[1]]
        main(fn, *args, env=env, **kw)
    run_each(names)


def scenario_names(fns):
    """(name, function) for functions called scenario_NAME."""
    return [(fn.__name__[len("scenario_"):], fn) for fn in fns]


def scenarios(items, alarm=240, after=None):
    """Runs each (name, function) of items, or those named on the command
    line, printing "ok - NAME" or "not ok - NAME: why" and going on after a
    failure, then "N failed".  A failure prints the log of every client the
    scenario started (bridge.CLIENTS) and kills those still running.
    after(): called after each scenario.  The whole run is bounded by alarm
    seconds (SIGALRM ends the process).  Returns the exit status."""
    from mcptest import bridge
    signal.alarm(alarm)
    only = sys.argv[1:]
    failed = 0
    for name, fn in items:
        if only and name not in only:
            continue
        del bridge.CLIENTS[:]
        try:
            fn()
            print("ok - %s" % name)
        except Exception as e:          # report and go on
            failed += 1
            print("not ok - %s: %r" % (name, e))
            traceback.print_exc()
            for b in bridge.CLIENTS:
                print("---- mcpbridge's log:")
                print(b.stderr()[-4000:])
                if b.p.poll() is None:
                    b.p.kill()
        if after is not None:
            after()
    print("%d failed" % failed)
    return 1 if failed else 0
