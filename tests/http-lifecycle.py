#!/usr/bin/env python3
# http-lifecycle.py: sessions and the child's life: /readyz before the
# child is ready, an initialize held until then (its event stream carries
# the session id), and a session whose own child dies (--isolation=session):
# its streams end and its id answers 404; a failed initialize.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import re
import resource
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
    def __init__(self, *args, nofile=None):
        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [BRIDGE, "serve", "--port", "0", "--print-url"] + list(args) +
            ["--", SERVER], stdout=subprocess.PIPE, stderr=self.log,
            preexec_fn=limit)
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
    check(r.status == 200, "initialize: %d" % r.status)
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


def main(test, *args, **kw):
    if not (os.access(BRIDGE, os.X_OK) and os.access(SERVER, os.X_OK)):
        print("SKIP: %s or %s not built" % (BRIDGE, SERVER))
        sys.exit(77)
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        Failure("timed out")))
    signal.alarm(90)
    b = Bridge(*args, **kw)
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


def test_startup(b):
    r = Response(b, "GET", "/readyz")
    check(r.status == 503, "readyz before the child is ready: %d" % r.status)
    r.close()
    r = Response(b, "GET", "/healthz")
    check(r.status == 200, "healthz: %d" % r.status)
    r.close()
    # Held past the keep-alive time: the answer comes as an event stream,
    # with the session id on it.
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "early", "version": "1"}}))
    check(r.status == 200, "early initialize: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "early initialize: %r" % r.headers.get("content-type"))
    sid = r.headers.get("mcp-session-id")
    check(sid is not None, "early initialize: no session id")
    ev = r.message()
    check(ev["msg"].get("id") == 1 and "result" in ev["msg"],
          "early initialize: %r" % ev)
    check(r.comments, "early initialize: no comment while waiting")
    r.close()
    r = post(b, rpc(2, "ping"), sid, "2025-06-18")
    check(r.status == 200 and r.json()["id"] == 2, "ping after early init")
    r.close()
    wait_ready(b)



def test_session_end(b):
    wait_ready(b)
    # An initialize that fails (here the session's own child says no)
    # leaves no session behind.
    r = post(b, rpc(1, "initialize", {}))
    body = r.json()
    check("error" in body, "bad initialize answered %r" % body)
    check("mcp-session-id" not in r.headers, "session id on a failure")
    r.close()
    deadline = time.monotonic() + 5
    while "initialize failed" not in b.stderr():
        check(time.monotonic() < deadline, "failed session not ended")
        time.sleep(0.05)
    sid, version = initialize(b)
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid})
    check(g.status == 200, "GET: %d" % g.status)
    other, v2 = initialize(b)
    r = post(b, rpc(2, "tools/call", {"name": "exit",
                                      "arguments": {"code": 3}}),
             sid, version)
    check(r.status == 200 and "error" in r.json(), "exit call answered")
    r.close()
    check(g.event() is None, "GET stream not ended with the session")
    g.close()
    r = post(b, rpc(3, "ping"), sid, version)
    check(r.status == 404, "ended session: %d" % r.status)
    r.close()
    r = post(b, rpc(4, "ping"), other, v2)
    check(r.status == 200, "other session: %d" % r.status)
    r.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["startup"]:
        main(test_startup, "--keepalive", "300ms", "--env",
             "EXAMPLE_SERVER_STARTUP_DELAY_MS=1500")
    elif sys.argv[1:] == ["end"]:
        main(test_session_end, "--isolation", "session")
    else:
        me = os.path.abspath(__file__)
        rcs = [subprocess.call([sys.executable, me, w])
               for w in ("startup", "end")]
        if any(rc not in (0, 77) for rc in rcs):
            sys.exit(1)
        sys.exit(77 if all(rc == 77 for rc in rcs) else 0)
