#!/usr/bin/env python3
# http-disconnect.py: clients that leave mid-stream, in every state, and a
# client too slow for --max-queue: they go, the others are not disturbed.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

TOP = os.environ.get("top_builddir", ".")
BRIDGE = os.path.join(TOP, "src", "mcpbridge")
SERVER = os.path.join(TOP, "src", "mcpbridge-example-server")
ACCEPT_BOTH = "application/json, text/event-stream"


# ---- helpers (the same in every tests/http-*.py) ----

class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Bridge:
    def __init__(self, *args):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [BRIDGE, "serve", "--port", "0", "--print-url"] + list(args) +
            ["--", SERVER], stdout=subprocess.PIPE, stderr=self.log)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("http://"):
            self.stop()
            raise Failure("no URL printed: %r\n%s" % (line, self.stderr()))
        self.url = line.strip()
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port, self.base = u.hostname, u.port, u.path
        self.hostport = u.netloc

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def stderr(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


class Response:
    """One HTTP exchange on its own connection, body read incrementally
    (chunked or not), with SSE parsing on top."""

    def __init__(self, bridge, method, path, headers=None, body=None,
                 timeout=10):
        self.sock = socket.create_connection((bridge.host, bridge.port),
                                             timeout=timeout)
        hdrs = {"Host": bridge.hostport}
        hdrs.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        req = "%s %s HTTP/1.1\r\n" % (method, bridge.base + path)
        req += "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
        self.sock.sendall(req.encode() + (body or b""))
        self.f = self.sock.makefile("rb")
        status = self.f.readline().decode()
        check(status.startswith("HTTP/1."), "bad status line %r" % status)
        self.status = int(status.split()[1])
        self.headers = {}
        while True:
            line = self.f.readline().decode()
            if line in ("\r\n", "\n", ""):
                break
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "")
        self.left = int(self.headers.get("content-length", "-1"))
        self.pending = b""
        self.eof = False
        self.comments = []

    def _fill(self):
        if self.eof:
            return False
        if self.chunked:
            size = int(self.f.readline().split(b";")[0], 16)
            if size == 0:
                self.f.readline()
                self.eof = True
                return False
            self.pending += self.f.read(size)
            self.f.readline()
            return True
        if self.left == 0:
            self.eof = True
            return False
        data = self.f.read1(65536 if self.left < 0 else min(self.left, 65536))
        if not data:
            self.eof = True
            return False
        if self.left > 0:
            self.left -= len(data)
        self.pending += data
        return True

    def body(self):
        while self._fill():
            pass
        data, self.pending = self.pending, b""
        return data

    def json(self):
        return json.loads(self.body())

    def line(self):
        while b"\n" not in self.pending:
            if not self._fill():
                return None
        line, self.pending = self.pending.split(b"\n", 1)
        return line.rstrip(b"\r").decode()

    def event(self):
        """The next event as a dict (event, id, data, retry), or None at
        the end of the stream.  Comments are collected."""
        ev = {}
        data = None
        while True:
            line = self.line()
            if line is None:
                return None
            if line == "":
                if data is not None or "id" in ev:
                    ev["data"] = data if data is not None else ""
                    return ev
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            if k == "data":
                data = v if data is None else data + "\n" + v
            else:
                ev[k] = v

    def message(self):
        """The next event carrying JSON, parsed, or None at the end."""
        while True:
            ev = self.event()
            if ev is None:
                return None
            if ev["data"] != "":
                ev["msg"] = json.loads(ev["data"])
                return ev

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.f.close()
        self.sock.close()


def rpc(id, method, params=None):
    m = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        m["params"] = params
    return m


def note(method, params=None):
    m = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        m["params"] = params
    return m


def post(b, body, sid=None, version=None, accept=ACCEPT_BOTH,
         ctype="application/json", extra=None):
    h = {"Content-Type": ctype}
    if accept is not None:
        h["Accept"] = accept
    if sid is not None:
        h["Mcp-Session-Id"] = sid
    if version is not None:
        h["MCP-Protocol-Version"] = version
    h.update(extra or {})
    return Response(b, "POST", "/mcp", h, body)


def initialize(b, version="2025-06-18"):
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": version, "capabilities": {},
        "clientInfo": {"name": "http-test", "version": "1"}}))
    if r.status != 200:
        raise Failure("initialize: %d %r" % (r.status, r.body()))
    sid = r.headers.get("mcp-session-id")
    check(sid is not None, "initialize: no Mcp-Session-Id")
    body = r.json()
    r.close()
    check(body.get("id") == 1 and "result" in body, "initialize: %r" % body)
    r = post(b, note("notifications/initialized"), sid, version)
    check(r.status == 202, "initialized: %d" % r.status)
    check(r.body() == b"", "202 with a body")
    r.close()
    return sid, body["result"]["protocolVersion"]


def wait_ready(b):
    for _ in range(100):
        r = Response(b, "GET", "/readyz")
        status = r.status
        r.body()
        r.close()
        if status == 200:
            return
        time.sleep(0.05)
    raise Failure("never ready")


def main(test, *args):
    if not (os.access(BRIDGE, os.X_OK) and os.access(SERVER, os.X_OK)):
        print("SKIP: %s or %s not built" % (BRIDGE, SERVER))
        sys.exit(77)
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        Failure("timed out")))
    signal.alarm(90)
    b = Bridge(*args)
    try:
        test(b)
    except (Failure, OSError, ValueError, KeyError, TypeError) as e:
        b.stop()
        print("FAIL: %s: %s" % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
        print("---- bridge stderr ----")
        print(b.stderr())
        sys.exit(1)
    finally:
        b.stop()
    err = b.stderr()
    if re.search(r"Sanitizer|runtime error:", err) or \
            b.proc.returncode != 0:
        print("FAIL: exit status %d or sanitizer report" %
              b.proc.returncode)
        print(err)
        sys.exit(1)
    print("PASS")
    sys.exit(0)

# ---- the tests ----


def stream_session(b, version="2025-06-18"):
    sid, version = initialize(b, version)
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid})
    check(g.status == 200, "GET: %d" % g.status)
    return sid, version, g


def legacy_session(b):
    s = Response(b, "GET", "/sse")
    check(s.status == 200, "GET /sse: %d" % s.status)
    ev = s.event()
    ep = ev["data"][len(b.base):]
    r = Response(b, "POST", ep, {"Content-Type": "application/json"},
                 rpc(1, "initialize", {"protocolVersion": "2024-11-05",
                                       "capabilities": {},
                                       "clientInfo": {"name": "t",
                                                      "version": "1"}}))
    check(r.status == 202, "legacy initialize: %d" % r.status)
    r.close()
    check(s.message()["msg"]["id"] == 1, "legacy initialize answer")
    return s, ep


def fire(b, body, sid, version):
    """POST and leave before the answer: the request is held then."""
    data = json.dumps(body).encode()
    s = socket.create_connection((b.host, b.port), timeout=5)
    s.sendall(("POST %s/mcp HTTP/1.1\r\nHost: %s\r\n"
               "Content-Type: application/json\r\nAccept: %s\r\n"
               "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: %s\r\n"
               "Content-Length: %d\r\n\r\n" %
               (b.base, b.hostport, ACCEPT_BOTH, sid, version,
                len(data))).encode() + data)
    time.sleep(0.02)
    s.close()


def alive(b, sid, version, n):
    r = post(b, rpc(n, "tools/call", {"name": "echo",
                                      "arguments": {"message": str(n)}}),
             sid, version)
    check(r.status == 200, "echo %d: %d" % (n, r.status))
    body = r.json()
    r.close()
    check(body["result"]["content"][0]["text"] == str(n), "echo %d" % n)


def test(b):
    wait_ready(b)
    sid, version, g = stream_session(b)

    # Clients that leave mid-stream, in every state: a legacy stream, a
    # GET stream, a POST event stream, a held POST.
    for i in range(20):
        s, ep = legacy_session(b)
        s.close()
        sid2, v2, g2 = stream_session(b)
        g2.close()
        r = post(b, rpc(2, "tools/call", {
            "name": "progress", "arguments": {"steps": 5, "ms": 30},
            "_meta": {"progressToken": 1}}), sid2, v2)
        r.message()
        r.close()
        fire(b, rpc(3, "tools/call", {"name": "delay",
                                      "arguments": {"ms": 100}}), sid2, v2)
        r = Response(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid2})
        r.close()
    # Held POSTs of a 2025-11-25 session left before and after priming.
    sid3, v3 = initialize(b, "2025-11-25")
    for i in range(10):
        fire(b, rpc(40 + i, "tools/call", {"name": "delay", "arguments":
                                           {"ms": 50 * i}}), sid3, v3)
    time.sleep(0.8)
    alive(b, sid3, v3, 99)
    time.sleep(0.3)
    alive(b, sid, version, 100)

    # The survivor's GET stream still works.
    r = post(b, rpc(101, "tools/call", {"name": "notify_list_changed",
                                        "arguments": {"list": "tools"}}),
             sid, version)
    r.body()
    r.close()
    ev = g.message()
    check(ev is not None and ev["msg"].get("method") ==
          "notifications/tools/list_changed", "survivor GET stream %r" % ev)

    # A legacy client that stops reading is dropped once it is over
    # --max-queue; the others go on.
    s, ep = legacy_session(b)
    s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    dropped = False
    for i in range(400):
        r = Response(b, "POST", ep, {"Content-Type": "application/json"},
                     rpc(10 + i, "tools/call", {
                         "name": "long_line",
                         "arguments": {"bytes": 200000}}))
        status = r.status
        r.close()
        if status == 404:
            dropped = True
            break
        check(status == 202, "long_line: %d" % status)
        if i % 10 == 9:
            alive(b, sid, version, 1000 + i)
    check(dropped, "slow client never dropped")
    s.close()
    alive(b, sid, version, 2000)
    check("over the limit" in b.stderr(), "drop not logged")
    g.close()


if __name__ == "__main__":
    main(test, "--max-queue", "1M")
