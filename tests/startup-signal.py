#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# startup-signal.py: a SIGTERM that reaches the bridge while it is still
# starting, after its child runs but before it serves, stops it as one
# at any other time would: "SIGTERM: shutting down", the child stopped,
# exit 0, every --log-format json line JSON.  No timing: the bridge is held
# in that window by its own stdout, a pipe filled to the brim before it
# starts (--print-url writes the URL there after starting the child), and
# let go only once the child has said it runs and the signal was sent.
# Exit 0 pass, 1 fail, 77 skip.
import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import BRIDGE  # noqa: E402
from mcptest.run import need_built  # noqa: E402

WAIT = 20.0     # seconds for any one step

CHILD = """#!/bin/sh
# Says it runs (atomically: the test reads the file), then outlives a
# bridge that dies without stopping it.
echo $$ >"$1/child.pid.tmp" && mv "$1/child.pid.tmp" "$1/child.pid"
exec sleep 60
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno != errno.ESRCH
    return True


def full_pipe():
    """A pipe whose buffer is full: a blocking write to w waits for r."""
    r, w = os.pipe()
    fl = fcntl.fcntl(w, fcntl.F_GETFL)
    fcntl.fcntl(w, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    try:
        while True:
            os.write(w, b"x")
    except BlockingIOError:
        pass
    # The flag is the open file's, which the bridge shares: clear it.
    fcntl.fcntl(w, fcntl.F_SETFL, fl)
    return r, w


def run(tmp):
    fails = []
    child = os.path.join(tmp, "child.sh")
    with open(child, "w") as f:
        f.write(CHILD)
    os.chmod(child, 0o755)
    log = os.path.join(tmp, "log")
    r, w = full_pipe()
    with open(log, "wb") as err:
        p = subprocess.Popen([BRIDGE, "serve", "--port", "0", "--print-url",
                              "--kill-timeout", "1", "--log-format", "json",
                              "--", child, tmp],
                             stdin=subprocess.DEVNULL, stdout=w, stderr=err)
    os.close(w)
    pidfile = os.path.join(tmp, "child.pid")
    child_pid = None
    try:
        deadline = time.monotonic() + WAIT
        while not os.path.exists(pidfile) and p.poll() is None and \
                time.monotonic() < deadline:
            time.sleep(0.01)
        if not os.path.exists(pidfile):
            fails.append("the child never ran (bridge status %r)" %
                         p.poll())
            return fails
        with open(pidfile) as f:
            child_pid = int(f.read())
        # The bridge is now blocked on its stdout or on its way there:
        # it cannot reach its event loop before r is read.
        p.send_signal(signal.SIGTERM)
        out = b""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            b = os.read(r, 65536)
            if not b:
                break
            out += b
        try:
            status = p.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            p.kill()
            status = p.wait()
            fails.append("the bridge did not stop within %d s" % WAIT)
        if status != 0:
            fails.append("the bridge exited %d, not 0" % status)
        if b"http://127.0.0.1:" not in out:
            fails.append("the URL never reached stdout")
        deadline = time.monotonic() + WAIT
        while alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        if alive(child_pid):
            fails.append("the child (pid %d) outlived the bridge" %
                         child_pid)
        with open(log, "rb") as f:
            text = f.read()
        msgs = []
        for line in text.splitlines():
            try:
                msgs.append(json.loads(line.decode("utf-8")))
            except ValueError:
                fails.append("not a JSON line: %r" % line)
        said = [m.get("msg") for m in msgs if isinstance(m, dict)]
        if "SIGTERM: shutting down" not in said:
            fails.append("no 'SIGTERM: shutting down' in the log")
        if fails:
            fails.append("log:\n" + text.decode("utf-8", "replace"))
        return fails
    finally:
        os.close(r)
        if p.poll() is None:
            p.kill()
            p.wait()
        if child_pid is not None and alive(child_pid):
            try:
                os.killpg(child_pid, signal.SIGKILL)
            except OSError:
                pass


def main():
    need_built(BRIDGE)
    tmp = tempfile.mkdtemp()
    try:
        fails = run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in fails:
        print("FAIL: %s" % f)
    if fails:
        sys.exit(1)
    print("PASS")
    sys.exit(0)


if __name__ == "__main__":
    main()
