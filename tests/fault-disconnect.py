#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fault-disconnect.py: 1000 clients leave mid-stream, in every state a
# connection can be in: a legacy event stream (idle, or with a call in
# flight), a Streamable HTTP GET stream, a POST's event stream after its
# first progress event, a POST held for its answer, a POST cut short, a
# slow reader of a large answer; by FIN or by reset.  Afterwards nothing is
# left behind: no session past --session-timeout, no connection, no
# request in flight, no descriptor, and memory where it was after a first
# round of 1000 (which takes the allocator to its working size); the
# bridge serves as before.  `make check` runs it in the sanitizer build
# too, where ASan sees any use after free and LeakSanitizer any leak.
# Exit 0 pass, 1 fail, 77 skip.
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.run import check  # noqa: E402
from mcptest.wire import ACCEPT_BOTH, Conn, metrics  # noqa: E402
from faultlib import (Legacy, Session, call, echo_ok, gauge,  # noqa: E402
                      main, mcp_headers, settle_rss)

CLIENTS = 1000
WARMUP = 1000          # a first round: the allocator reaches its working size
THREADS = 16
MODES = 8


def leave(b, n):
    """Client n: gets into a state, then goes."""
    mode, reset = n % MODES, (n // MODES) % 2 == 1
    if mode == 0:                   # legacy stream, idle
        lg = Legacy(b)
        lg.close(reset)
    elif mode == 1:                 # legacy stream, a call in flight
        lg = Legacy(b)
        lg.initialize()
        lg.post(call(1, "delay", ms=30))
        lg.close(reset)
    elif mode == 2:                 # Streamable GET stream
        s = Session(b)
        g = Conn(b)
        r = g.request("GET", "/mcp", {"Accept": "text/event-stream",
                                      "Mcp-Session-Id": s.sid})
        check(r.status == 200, "GET stream: %d" % r.status)
        g.close(reset)
        if n % 3 == 0:
            s.delete()
        s.close(reset)
    elif mode == 3:                 # a POST's event stream, mid-way
        s = Session(b)
        s.conn.send("POST", "/mcp", mcp_headers(s.sid),
                    call(2, "progress", progress=1, steps=5, ms=20))
        r = s.conn.response()
        check(r.status == 200, "progress POST: %d" % r.status)
        check(r.next_json() is not None, "no progress event")
        s.close(reset)
    elif mode == 4:                 # a POST held for its answer
        s = Session(b)
        s.conn.send("POST", "/mcp", mcp_headers(s.sid),
                    call(3, "delay", ms=40))
        time.sleep(0.005)
        s.close(reset)
    elif mode == 5:                 # a POST cut in its body
        s = Session(b)
        c = Conn(b)
        c.sock.sendall(("POST %s/mcp HTTP/1.1\r\nHost: %s\r\n"
                        "Content-Type: application/json\r\nAccept: %s\r\n"
                        "Mcp-Session-Id: %s\r\nContent-Length: 500\r\n\r\n"
                        "{\"jsonrpc\":\"2.0\",\"id\":" %
                        (b.base, b.hostport, ACCEPT_BOTH, s.sid)).encode())
        c.close(reset)
        s.delete()
        s.close(reset)
    elif mode == 6:                 # a slow reader of a large answer
        s = Session(b)
        s.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.conn.send("POST", "/mcp", mcp_headers(s.sid),
                    call(4, "long_line", bytes=300000))
        s.conn.sock.recv(100)
        s.close(reset)
    else:                           # a GET stream resumed, then left
        s = Session(b)
        s.post(call(5, "echo", message="x"))
        g = Conn(b)
        r = g.request("GET", "/mcp", {"Accept": "text/event-stream",
                                      "Mcp-Session-Id": s.sid,
                                      "Last-Event-ID": "1-0"})
        # 204: the stream is over and its events were all read.
        check(r.status in (200, 204, 400), "resume: %d" % r.status)
        g.close(reset)
        s.close(reset)


def run(b, first, count):
    """Clients first .. first + count - 1, THREADS at a time; errors."""
    errors, next_n, lock = [], [first], threading.Lock()

    def worker():
        while True:
            with lock:
                n = next_n[0]
                next_n[0] += 1
            if n >= first + count or errors:
                return
            try:
                leave(b, n)
            except Exception as e:          # noqa: BLE001
                with lock:
                    errors.append("client %d (mode %d): %s: %s" %
                                  (n, n % MODES, type(e).__name__, e))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    return errors


def settled(b):
    """Once the idle sessions have expired, nothing is left."""
    deadline = time.time() + 15
    while True:
        m = metrics(b)
        left = (gauge(m, "mcpbridge_sessions"),
                gauge(m, "mcpbridge_http_connections"),
                gauge(m, "mcpbridge_requests_in_flight"))
        if left[0] == 0 and left[1] <= 1 and left[2] == 0:
            return
        check(time.time() < deadline, "left behind: %d sessions, %d "
              "connections, %d requests in flight" % left)
        time.sleep(0.2)


def test(b):
    b.wait_ready()
    echo_ok(b)
    fds0 = b.fds()
    check(not run(b, 0, WARMUP), "errors in the warm-up")
    settled(b)
    rss0 = settle_rss(b, 0.2)
    t = time.time()
    errors = run(b, WARMUP, CLIENTS)
    check(not errors, "%d errors, first: %s" % (len(errors), errors[:3]))
    print("%d clients left in %.1f s" % (CLIENTS, time.time() - t))
    check(b.alive(), "the bridge died")

    settled(b)
    echo_ok(b)
    fds1 = b.fds()
    print("descriptors: %d before, %d after" % (fds0, fds1))
    check(fds1 <= fds0 + 2, "descriptors leaked: %d -> %d" % (fds0, fds1))
    rss1 = settle_rss(b)
    print("VmRSS: %d kB after %d clients, %d kB after %d more" %
          (rss0, WARMUP, rss1, CLIENTS))
    if not b.sanitized():
        check(rss1 <= rss0 + max(2048, rss0 // 8),
              "memory did not come back: %d kB -> %d kB" % (rss0, rss1))


if __name__ == "__main__":
    main(test, "--session-timeout", "2s", "--max-queue", "256K",
         timeout=240)
