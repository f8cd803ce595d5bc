#!/usr/bin/env python3
"""Client mode against `mcpbridge serve` in front of the example server, over
both transports: the handshake, answers, progress, a server-to-client
request answered by the local client, subscriptions, a pipeline with
--oneshot, and the server killed and started again mid-session.
Python standard library only; bounded timeouts; 77 if a binary is missing.
"""
import importlib.util
import os
import signal
import subprocess
import sys
import time

BUILD = os.environ.get("top_builddir", ".")
SRCDIR = os.environ.get("top_srcdir", os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SERVER = os.path.join(BUILD, "src", "mcpbridge-example-server")
if not os.access(SERVER, os.X_OK):
    print("mcpbridge-example-server is not built: skipping")
    sys.exit(77)

# The stdio driver lives with the fault tests.
_spec = importlib.util.spec_from_file_location(
    "client_faults", os.path.join(SRCDIR, "tests", "client-faults.py"))
lib = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lib)
Bridge, call, BIN = lib.Bridge, lib.call, lib.BIN


class Serve:
    def __init__(self, port=0):
        self.p = subprocess.Popen(
            [BIN, "serve", "--port", str(port), "--print-url", "--",
             SERVER], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.p.stdout.readline().decode().strip()
        if not line.startswith("http://"):
            raise AssertionError("serve did not print its URL")
        self.base = line
        self.port = int(line.rsplit(":", 1)[1])

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def text_of(r):
    assert "result" in r, r
    return r["result"]["content"][0]["text"]


def session(url, *args):
    b = Bridge(url, *args)
    b.handshake()
    b.send(call(1, "echo", text="hello"))
    assert text_of(b.recv()) == "hello"

    # Progress notifications, then the answer.
    b.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "progress", "arguments": {"steps": 3, "ms": 10},
        "_meta": {"progressToken": "p2"}}})
    seen = []
    while True:
        r = b.recv()
        if r.get("id") == 2:
            break
        seen.append(r)
    assert [m["method"] for m in seen] == ["notifications/progress"] * 3, seen
    assert all(m["params"]["progressToken"] == "p2" for m in seen)

    # A request from the server, answered by the local client.
    b.send(call(3, "sample", prompt="hi", force=True))
    req = b.recv()
    assert req["method"] == "sampling/createMessage", req
    b.send({"jsonrpc": "2.0", "id": req["id"], "result": {
        "role": "assistant", "model": "m",
        "content": {"type": "text", "text": "sampled!"}}})
    r = b.recv()
    assert r["id"] == 3 and "sampled!" in text_of(r), r

    # Several requests in flight at once; each answered once.
    for i in range(10, 20):
        b.send(call(i, "delay", ms=(20 - i) * 10, message=str(i)))
    got = sorted(b.recv()["id"] for _ in range(10))
    assert got == list(range(10, 20)), got
    return b


def scenario_streamable(srv):
    b = session(srv.base + "/mcp")
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)


def scenario_legacy(srv):
    b = session(srv.base + "/sse", "--transport", "sse")
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)


def scenario_auto_fallback(srv):
    b = Bridge(srv.base + "/sse")
    b.handshake()
    b.send(call(1, "echo", text="via fallback"))
    assert text_of(b.recv()) == "via fallback"
    status, rest = b.finish()
    assert status == 0 and rest == []
    assert "trying the HTTP+SSE transport" in b.stderr()


def scenario_oneshot(srv):
    p = subprocess.run(
        [BIN, "client", "--oneshot", srv.base + "/mcp"],
        input=b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n',
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert len(lines) == 1 and '"echo"' in lines[0], lines


def scenario_restart(srv, transport):
    path = "/mcp" if transport == "streamable" else "/sse"
    b = Bridge(srv.base + path, "--transport", transport)
    b.handshake()
    b.send(call(1, "echo", text="before"))
    assert text_of(b.recv()) == "before"
    port = srv.port
    # One request in flight when the server dies, one sent while it is
    # down: both answered once the new server is up.
    b.send(call(2, "delay", ms=3000, message="in flight"))
    time.sleep(0.3)
    srv.stop()
    b.send(call(3, "echo", text="after"))
    time.sleep(0.3)
    srv2 = Serve(port)
    try:
        got = {}
        for _ in range(2):
            r = b.recv(timeout=25)
            got[r["id"]] = text_of(r)
        assert got == {2: "in flight", 3: "after"}, got
        assert b.nothing_more(), "no error, nothing doubled"
        status, rest = b.finish()
        assert status == 0 and rest == [], (status, rest)
    finally:
        srv.p = srv2.p
    return srv2


def main():
    signal.alarm(240)
    failed = 0
    srv = Serve()
    scenarios = [
        ("streamable", lambda: scenario_streamable(srv)),
        ("legacy", lambda: scenario_legacy(srv)),
        ("auto-fallback", lambda: scenario_auto_fallback(srv)),
        ("oneshot", lambda: scenario_oneshot(srv)),
        ("restart-streamable", lambda: scenario_restart(srv, "streamable")),
        ("restart-sse", lambda: scenario_restart(srv, "sse")),
    ]
    only = sys.argv[1:]
    try:
        for name, fn in scenarios:
            if only and name not in only:
                continue
            del lib.BRIDGES[:]
            try:
                fn()
                print("ok - %s" % name)
            except Exception as e:
                failed += 1
                print("not ok - %s: %r" % (name, e))
                import traceback
                traceback.print_exc()
                for b in lib.BRIDGES:
                    print("---- mcpbridge client's log:")
                    print(b.stderr()[-4000:])
                    if b.p.poll() is None:
                        b.p.kill()
            if srv.p.poll() is not None:
                srv = Serve(srv.port)
    finally:
        srv.stop()
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
