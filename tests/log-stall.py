#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# log-stall.py: a log reader that stops reading (stderr a pipe nobody
# drains, as `| logger` or a stuck journald, or --log-file a FIFO) never
# stops the bridge: /healthz and MCP calls are answered promptly while the
# reader sleeps, and once it reads again the log goes on with whole lines
# and a warning saying how many were dropped.  Before the fix the bridge
# blocked in write(2) once the pipe and its 64 KiB buffer were full.
# One scenario per argument (stderr-text, stderr-json, fifo, socket: stderr
# a stream socket as systemd's journal gives); none: all.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import BRIDGE, SERVER  # noqa: E402
from mcptest.run import Failure, check, need_built, run_each  # noqa: E402
from mcptest.wire import Conn, Endpoint, call, initialize, metric  # noqa: E402,E501

# More access lines than the pipe (64 KiB) and the bridge's buffer (64
# KiB) hold together: about 80 bytes each.
REQUESTS = 4000
# Seconds a request may take while the reader sleeps: the slowest of
# 4000 on a loaded box under ASan.  A bridge blocked in write(2) does not
# answer at all until the reader wakes (the socket's 5 * PROMPT timeout).
PROMPT = 3.0
WAIT = 10.0         # seconds for any other step
WARNING = re.compile(r"^(\d+) log lines were dropped: the log reader did "
                     r"not keep up$")
TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z mcpbridge\[\d+\]: "
                  r"(error|warn|info|debug): (.*)$")


def parse(data, fmt):
    """The log's lines as (level, message, is_access); Failure on a line
    that is not whole or not one of the bridge's."""
    check(data.endswith(b"\n"), "the log ends in a cut line: %r" % data[-200:])
    out = []
    for raw in data.decode("utf-8").split("\n")[:-1]:
        if fmt == "json":
            try:
                m = json.loads(raw)
            except ValueError:
                raise Failure("a line that is not JSON: %r" % raw[:300])
            out.append((m.get("level"), m.get("msg"), m.get("msg") ==
                        "request"))
        else:
            t = TEXT.match(raw)
            check(t is not None, "a line that is not whole: %r" % raw[:300])
            out.append((t.group(1), t.group(2),
                        t.group(2).startswith("127.0.0.1 ")))
    return out


class Reader:
    """The read end of the bridge's log: asleep until resume(), then
    reading everything to EOF in a thread."""

    def __init__(self, fd):
        self.fd, self.data, self.lock = fd, b"", threading.Lock()
        self.started = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def resume(self):
        if not self.started:
            self.started = True
            self.thread.start()

    def run(self):
        while True:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if not r:
                continue
            try:
                b = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            if not b:
                return
            with self.lock:
                self.data += b

    def text(self):
        with self.lock:
            return self.data


def start(args, stderr, tmp):
    p = subprocess.Popen([BRIDGE, "serve", "--port", "0", "--print-url"] +
                         args + ["--", SERVER], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=stderr)
    ready, _, _ = select.select([p.stdout], [], [], WAIT)
    line = p.stdout.readline().decode() if ready else ""
    if not line.startswith("http://"):
        p.kill()
        p.wait()
        raise Failure("no URL printed: %r" % line)
    port = int(line.strip().rsplit(":", 1)[1].split("/")[0])
    return p, Endpoint(port)


def scenario(name, tmp):
    fmt = "json" if name.endswith("json") else "text"
    args = ["--log-format", fmt]
    if name == "fifo":
        fifo = os.path.join(tmp, "log.fifo")
        os.mkfifo(fifo)
        # The reader holds it open and reads nothing (yet).
        rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        with open(os.path.join(tmp, "stderr"), "wb") as err:
            p, b = start(args + ["--log-file", fifo], err, tmp)
    elif name == "socket":
        # systemd's journal stream: stderr a stream socket, small buffers.
        rs, ws = socket.socketpair()
        ws.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        rs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        rfd, wfd = os.dup(rs.fileno()), os.dup(ws.fileno())
        rs.close()
        ws.close()
        p, b = start(args, wfd, tmp)
        os.close(wfd)
    else:
        rfd, wfd = os.pipe()
        p, b = start(args, wfd, tmp)
        os.close(wfd)
    reader = Reader(rfd)
    made = 0
    counted = None
    try:
        # The reader sleeps; the bridge fills the pipe and its buffer.
        conn = Conn(b, timeout=PROMPT * 5)
        slowest = 0.0
        for i in range(REQUESTS):
            t0 = time.monotonic()
            try:
                r = conn.request("GET", "/healthz")
                r.body()
            except (socket.timeout, OSError) as e:
                raise Failure("GET /healthz %d of %d with the log reader "
                              "asleep: no answer (%s)" % (i + 1, REQUESTS,
                                                          e))
            made += 1
            check(r.status == 200, "GET /healthz: %d" % r.status)
            slowest = max(slowest, time.monotonic() - t0)
        check(slowest < PROMPT, "a /healthz took %.2f s with the log "
              "reader asleep" % slowest)
        conn.close()
        # The flush timer has come round a few times meanwhile: still so.
        time.sleep(0.3)
        t0 = time.monotonic()
        sid, version = initialize(b)
        status, answer = call(b, sid, version, 2, "echo", {"message": "m"})
        made += 3       # initialize, initialized, tools/call
        check(status == 200 and answer is not None and "result" in answer,
              "tools/call echo with the log reader asleep: %r %r" %
              (status, answer))
        check(time.monotonic() - t0 < 3 * PROMPT, "MCP calls took %.2f s "
              "with the log reader asleep" % (time.monotonic() - t0))
        # The reader wakes up; the log goes on, the warning first.
        reader.resume()
        deadline = time.monotonic() + WAIT
        while b"log lines were dropped" not in reader.text():
            check(time.monotonic() < deadline, "no warning of dropped "
                  "lines %.0f s after the reader woke" % WAIT)
            time.sleep(0.05)
        conn = Conn(b, timeout=WAIT)
        for i in range(5):
            r = conn.request("GET", "/healthz")
            r.body()
            made += 1
        conn.close()
        deadline = time.monotonic() + WAIT
        while reader.text().count(b"/healthz") < 1 or \
                reader.text().rstrip(b"\n").rsplit(b"\n", 1)[-1].find(
                    b"/healthz") < 0:
            check(time.monotonic() < deadline, "the lines after the "
                  "warning never came")
            time.sleep(0.05)
        counted = metric(b, "mcpbridge_log_lines_dropped_total")
        made += 1
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        reader.resume()     # after a failure above: let it exit
        try:
            status = p.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            p.kill()
            status = p.wait()
            raise Failure("the bridge did not stop on SIGTERM")
        finally:
            if reader.thread.is_alive():
                reader.thread.join(WAIT)
            os.close(rfd)
    check(status == 0, "the bridge exited %d" % status)
    if name == "fifo":
        with open(os.path.join(tmp, "stderr"), "rb") as f:
            err = f.read()
        check(not re.search(rb"Sanitizer|runtime error:", err),
              "a sanitizer report: %r" % err[-2000:])
    lines = parse(reader.text(), fmt)
    warnings = [(i, int(WARNING.match(m).group(1)))
                for i, (lvl, m, _) in enumerate(lines)
                if lvl == "warn" and m is not None and WARNING.match(m)]
    check(len(warnings) >= 1, "no warning line")
    dropped = sum(n for _, n in warnings)
    access = sum(1 for _, _, a in lines if a)
    check(dropped > 0, "a warning of 0 lines dropped")
    # Each access line was logged or counted: none lost in silence, none
    # counted twice.
    check(access + dropped >= made and access < made and
          access + dropped <= made + 10,
          "%d requests, %d access lines logged and %d counted dropped" %
          (made, access, dropped))
    check(counted == dropped, "mcpbridge_log_lines_dropped_total %r, the "
          "warnings say %d" % (counted, dropped))
    check(warnings[-1][0] < len(lines) - 1, "nothing logged after the "
          "warning")
    check(b"SIGTERM" in reader.text(), "the last lines (SIGTERM) lost")
    print("ok - %s: %d requests, %d lines logged, %d dropped" %
          (name, made, access, dropped))


def main():
    need_built(BRIDGE, SERVER)
    if len(sys.argv) < 2:
        run_each(["stderr-text", "stderr-json", "fifo", "socket"])
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(
        Failure("timed out")))
    signal.alarm(90)
    tmp = tempfile.mkdtemp()
    try:
        scenario(sys.argv[1], tmp)
    except (Failure, OSError, ValueError) as e:
        print("FAIL: %s: %s" % (sys.argv[1], e))
        sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    sys.exit(0)


if __name__ == "__main__":
    main()
