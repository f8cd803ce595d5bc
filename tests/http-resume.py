#!/usr/bin/env python3
# http-resume.py: Streamable HTTP event streams over time: the late choice
# between JSON and SSE, keep-alive comments, SEP-1699 polling for
# 2025-11-25 sessions (priming event, retry, resumption with GET and
# Last-Event-ID) and replay of a POST stream whose client went away.
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


def call(n, name, args=None, meta=None):
    params = {"name": name, "arguments": args or {}}
    if meta:
        params["_meta"] = meta
    return rpc(n, "tools/call", params)


def resume(b, sid, version, last):
    return Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                       "Mcp-Session-Id": sid,
                                       "MCP-Protocol-Version": version,
                                       "Last-Event-ID": last})


def test(b):
    wait_ready(b)

    # Before 2025-11-25: a slow call opens SSE after the keep-alive time
    # (300 ms here) with a comment, then the result ends the stream.
    sid, version = initialize(b, "2025-06-18")
    t0 = time.monotonic()
    r = post(b, call(2, "delay", {"ms": 900}), sid, version)
    check(r.status == 200, "slow call: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "slow call: content type %r" % r.headers.get("content-type"))
    check(time.monotonic() - t0 < 0.8, "headers held too long")
    ev = r.message()
    check(ev is not None and ev["msg"].get("id") == 2, "slow call: %r" % ev)
    check(len(r.comments) >= 1, "no keep-alive comment")
    check(r.event() is None, "slow call: stream not ended")
    r.close()

    # A fast call is still JSON.
    r = post(b, call(3, "delay", {"ms": 0}), sid, version)
    check(r.headers.get("content-type", "").startswith("application/json"),
          "fast call: %r" % r.headers.get("content-type"))
    r.json()
    r.close()

    # A GET stream gets keep-alive comments.
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid})
    check(g.status == 200, "GET: %d" % g.status)
    g.sock.settimeout(0.3 * 4)
    line = g.line()
    check(line is not None and line.startswith(":"),
          "GET: keep-alive %r" % line)
    g.close()

    # A POST stream whose client leaves: the rest is replayed on GET with
    # the last event id it saw.
    r = post(b, call(4, "progress", {"steps": 4, "ms": 150},
                     {"progressToken": 7}), sid, version)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "progress: SSE")
    ev = r.message()
    check(ev["msg"].get("method") == "notifications/progress", "progress 1")
    last = ev["id"]
    r.close()
    time.sleep(0.9)
    g = resume(b, sid, version, last)
    check(g.status == 200, "resume POST stream: %d" % g.status)
    got = []
    while True:
        ev = g.message()
        check(ev is not None, "resumed stream ended without the result")
        got.append(ev["msg"])
        if "id" in ev["msg"]:
            break
    check([m["params"]["progress"] for m in got[:-1]] == [2, 3, 4],
          "resumed progress %r" % got)
    check(got[-1]["id"] == 4 and "result" in got[-1], "resumed result")
    check(g.event() is None, "resumed stream not ended after the result")
    g.close()
    # Resuming a finished stream again replays what is left, then ends.
    g = resume(b, sid, version, last)
    check(g.status == 200, "resume finished stream: %d" % g.status)
    n = 0
    while g.message() is not None:
        n += 1
    check(n == 4, "replay of a finished stream: %d messages" % n)
    g.close()

    # 2025-11-25: SEP-1699 polling.  A slow call is primed (id, empty
    # data, retry) and closed; the client resumes with GET.
    sid, version = initialize(b, "2025-11-25")
    check(version == "2025-11-25", "negotiated %r" % version)
    r = post(b, call(5, "test_reconnection", {"ms": 800}), sid, version)
    check(r.status == 200, "test_reconnection: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "test_reconnection: content type")
    ev = r.event()
    check(ev is not None and ev["data"] == "" and "id" in ev,
          "priming event %r" % ev)
    check(ev.get("retry", "").isdigit(), "no retry field: %r" % ev)
    last = ev["id"]
    check(r.event() is None, "POST stream not closed after priming")
    r.close()
    time.sleep(int(ev["retry"]) / 1000.0)
    g = resume(b, sid, version, last)
    check(g.status == 200, "poll: %d" % g.status)
    ev = g.event()
    check(ev is not None and ev["data"] == "" and "id" in ev,
          "poll: priming event %r" % ev)
    ev = g.message()
    check(ev is not None and ev["msg"].get("id") == 5 and
          "result" in ev["msg"], "poll: result %r" % ev)
    check(g.event() is None, "poll: stream not ended after the result")
    g.close()

    # Fast calls stay JSON in 2025-11-25 sessions too.
    r = post(b, call(6, "echo", {"message": "x"}), sid, version)
    check(r.headers.get("content-type", "").startswith("application/json"),
          "2025-11-25 fast call")
    r.json()
    r.close()

    # 2025-11-25 SSE streams start with a priming event.
    r = post(b, call(7, "progress", {"steps": 2, "ms": 10},
                     {"progressToken": "p"}), sid, version)
    ev = r.event()
    check(ev is not None and ev["data"] == "" and "retry" in ev,
          "priming first %r" % ev)
    ms = []
    while True:
        ev = r.message()
        check(ev is not None, "2025-11-25 progress: ended early")
        ms.append(ev["msg"])
        if "id" in ev["msg"]:
            break
    check(len(ms) == 3, "2025-11-25 progress: %r" % ms)
    r.close()


if __name__ == "__main__":
    main(test, "--keepalive", "300ms")
