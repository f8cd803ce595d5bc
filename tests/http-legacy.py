#!/usr/bin/env python3
# http-legacy.py: the legacy HTTP+SSE transport (2024-11-05): endpoint event,
# round trips on the event stream, status codes, session end on close;
# under --base-path.
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


def open_sse(b):
    s = Response(b, "GET", "/sse", {"Accept": "text/event-stream"})
    check(s.status == 200, "GET /sse: %d" % s.status)
    check(s.headers.get("content-type", "").startswith("text/event-stream"),
          "GET /sse content type")
    check(s.headers.get("cache-control") == "no-cache", "no Cache-Control")
    check(s.headers.get("x-accel-buffering") == "no", "no X-Accel-Buffering")
    ev = s.event()
    check(ev is not None and ev.get("event") == "endpoint",
          "first event %r" % ev)
    endpoint = ev["data"]
    check(endpoint.startswith(b.base + "/message?sessionId="),
          "endpoint %r" % endpoint)
    sid = endpoint.split("sessionId=", 1)[1]
    check(re.fullmatch(r"[0-9a-f]{32,}", sid) is not None, "session id")
    return s, endpoint[len(b.base):]


def send(b, endpoint, body, ctype="application/json", method="POST"):
    return Response(b, method, endpoint, {"Content-Type": ctype}, body)


def test(b):
    wait_ready(b)
    s, ep = open_sse(b)

    # Round trip: the answer travels on the event stream.
    r = send(b, ep, rpc(1, "initialize", {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "legacy-test", "version": "1"}}))
    check(r.status == 202 and r.body() == b"Accepted",
          "POST initialize: %d" % r.status)
    r.close()
    ev = s.message()
    check(ev is not None and ev.get("event") == "message",
          "answer event %r" % ev)
    check(ev["msg"].get("id") == 1 and "result" in ev["msg"],
          "initialize answer %r" % ev["msg"])
    r = send(b, ep, note("notifications/initialized"))
    check(r.status == 202, "initialized: %d" % r.status)
    r.close()

    # Pretty-printed JSON is accepted.
    r = send(b, ep, json.dumps(rpc(2, "tools/call", {
        "name": "echo", "arguments": {"message": "two\nlines"}}), indent=4))
    check(r.status == 202, "pretty POST: %d" % r.status)
    r.close()
    ev = s.message()
    check(ev["msg"].get("id") == 2 and
          ev["msg"]["result"]["content"][0]["text"] == "two\nlines",
          "echo answer %r" % ev["msg"])

    # Progress and the answer, in order, on the one stream.
    r = send(b, ep, rpc(3, "tools/call", {
        "name": "progress", "arguments": {"steps": 2, "ms": 10},
        "_meta": {"progressToken": 1}}))
    check(r.status == 202, "progress POST: %d" % r.status)
    r.close()
    kinds = []
    while True:
        ev = s.message()
        check(ev is not None, "stream ended")
        m = ev["msg"]
        kinds.append(m.get("method", "answer"))
        if m.get("id") == 3:
            break
    check(kinds == ["notifications/progress"] * 2 + ["answer"],
          "progress order %r" % kinds)

    # Errors.
    r = send(b, ep, "{broken")
    check(r.status == 400, "bad JSON: %d" % r.status)
    body = r.json()
    check(body.get("error", {}).get("code") == -32700 and
          "id" in body and body["id"] is None, "parse error body %r" % body)
    r.close()
    r = send(b, ep, rpc(4, "ping"), ctype="text/plain")
    check(r.status == 415, "text/plain: %d" % r.status)
    r.close()
    r = send(b, ep, rpc(4, "ping"), method="GET")
    check(r.status == 405 and "POST" in r.headers.get("allow", ""),
          "GET /message: %d %r" % (r.status, r.headers.get("allow")))
    r.close()
    r = send(b, "/message?sessionId=" + "f" * 32, rpc(4, "ping"))
    check(r.status == 404, "unknown session: %d" % r.status)
    r.close()
    r = send(b, "/message", rpc(4, "ping"))
    check(r.status == 400, "no sessionId: %d" % r.status)
    r.close()
    r = Response(b, "POST", "/sse", {"Content-Type": "application/json"}, "{}")
    check(r.status == 405 and "GET" in r.headers.get("allow", ""),
          "POST /sse: %d" % r.status)
    r.close()
    r = send(b, ep, {"jsonrpc": "2.0", "id": 5})
    check(r.status == 400, "invalid message: %d" % r.status)
    r.close()
    # The stream goes on.
    r = send(b, ep, rpc(6, "ping"))
    check(r.status == 202, "ping: %d" % r.status)
    r.close()
    ev = s.message()
    check(ev["msg"].get("id") == 6, "ping answer %r" % ev["msg"])

    # Two sessions never see each other's traffic.
    s2, ep2 = open_sse(b)
    check(ep2 != ep, "same endpoint twice")
    r = send(b, ep2, rpc(1, "initialize", {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "second", "version": "1"}}))
    r.close()
    ev = s2.message()
    check(ev["msg"].get("id") == 1, "second session answer")
    r = send(b, ep2, rpc(7, "ping"))
    r.close()
    ev = s2.message()
    check(ev["msg"].get("id") == 7, "second session ping")
    r = send(b, ep, rpc(8, "ping"))
    r.close()
    ev = s.message()
    check(ev["msg"].get("id") == 8, "first session ping after the second")

    # The session ends with its stream.
    s.close()
    for _ in range(50):
        r = send(b, ep, rpc(9, "ping"))
        status = r.status
        r.close()
        if status == 404:
            break
        time.sleep(0.05)
    check(status == 404, "session alive after its stream closed: %d" % status)
    s2.close()


if __name__ == "__main__":
    main(test, "--base-path", "/base")
