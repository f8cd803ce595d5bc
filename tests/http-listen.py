#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-listen.py: listening: the printed URL, IPv6, and running out of file
# descriptors (accepting pauses and resumes; nothing breaks).
# Exit 0 pass, 1 fail, 77 skip.
import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import check, main, run_each  # noqa: E402
from mcptest.wire import Response, initialize, post, rpc  # noqa: E402


# ---- the tests ----


def healthz(b):
    r = Response(b, "GET", "/healthz")
    ok = r.status == 200 and r.body() == b"ok\n"
    r.close()
    return ok


def test_emfile(b):
    check(re.fullmatch(r"http://127\.0\.0\.1:\d+", b.url) is not None,
          "URL %r" % b.url)
    wait_ready(b)
    sid, version = initialize(b, strict=True)
    # Open connections until the bridge runs out of descriptors (it has
    # 64; the listen backlog takes what it does not accept).
    held = []
    for _ in range(100):
        s = socket.create_connection((b.host, b.port), timeout=5)
        held.append(s)
    deadline = time.monotonic() + 10
    # The warning itself: a bare "accept" would also match any line
    # that merely has the word in it.
    emfile = "warn: accept: Too many open files"
    while emfile not in b.stderr() and time.monotonic() < deadline:
        time.sleep(0.1)
    check(emfile in b.stderr(), "EMFILE not logged")
    for s in held:
        s.close()
    # Accepting resumes (the backoff is a second); the session survived.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if healthz(b):
                break
        except OSError:
            pass
        time.sleep(0.2)
    check(healthz(b), "healthz after EMFILE")
    r = post(b, rpc(2, "tools/list"), sid, version)
    check(r.status == 200, "session after EMFILE: %d" % r.status)
    r.json()
    r.close()
    check("accepting connections again" in b.stderr(), "resume not logged")


def test_ipv6(b):
    check(re.fullmatch(r"http://\[::1\]:\d+/pre", b.url) is not None,
          "URL %r" % b.url)
    wait_ready(b)
    check(healthz(b), "healthz over IPv6")
    sid, version = initialize(b, strict=True)
    r = post(b, rpc(2, "ping"), sid, version)
    check(r.status == 200 and r.json()["id"] == 2, "ping over IPv6")
    r.close()


def ipv6_ok():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    if sys.argv[1:] == ["ipv6"]:
        if not ipv6_ok():
            print("SKIP: no IPv6 loopback")
            sys.exit(77)
        main(test_ipv6, "--host", "::1", "--base-path", "/pre")
    elif sys.argv[1:] == ["emfile"]:
        main(test_emfile, nofile=64)
    else:
        # Both, each with its own bridge; 77 only if both skip.
        run_each(("emfile", "ipv6"))
