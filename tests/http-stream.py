#!/usr/bin/env python3
# http-stream.py: Streamable HTTP on /mcp, end to end: the real bridge in
# front of the example server, spoken to in raw HTTP.  Exit 0 pass, 1 fail,
# 77 skip.
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


def error_code(body):
    return body.get("error", {}).get("code")


def test(b):
    # Probes.
    r = Response(b, "GET", "/healthz")
    check(r.status == 200 and r.body() == b"ok\n", "healthz")
    r.close()
    wait_ready(b)

    sid, version = initialize(b)
    check(re.fullmatch(r"[\x21-\x7e]+", sid) is not None,
          "session id not visible ASCII: %r" % sid)
    check(re.fullmatch(r"[0-9a-f]{32,}", sid) is not None,
          "session id shorter than 128 bits of hex: %r" % sid)

    # A simple call answers as JSON.
    r = post(b, rpc(2, "tools/call", {"name": "echo",
                                      "arguments": {"message": "hi"}}),
             sid, version)
    check(r.status == 200, "echo: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("application/json"),
          "echo: content type %r" % r.headers.get("content-type"))
    body = r.json()
    r.close()
    check(body["id"] == 2 and
          body["result"]["content"][0]["text"] == "hi", "echo: %r" % body)

    # Pretty-printed JSON is fine.
    r = post(b, json.dumps(rpc(3, "tools/list"), indent=2), sid, version)
    check(r.status == 200 and r.json()["id"] == 3, "pretty-printed JSON")
    r.close()

    # A call with progress answers as SSE: progress, then the result.
    r = post(b, rpc(4, "tools/call", {
        "name": "progress", "arguments": {"steps": 3, "ms": 20},
        "_meta": {"progressToken": "tok"}}), sid, version)
    check(r.status == 200, "progress: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "progress: content type %r" % r.headers.get("content-type"))
    check(r.headers.get("cache-control") == "no-cache", "no Cache-Control")
    check(r.headers.get("x-accel-buffering") == "no",
          "no X-Accel-Buffering")
    seen = []
    while True:
        ev = r.message()
        check(ev is not None, "progress: stream ended before the result")
        check(ev.get("event", "message") == "message", "event type")
        check(re.fullmatch(r"\d+-\d+", ev.get("id", "")) is not None,
              "event id %r" % ev.get("id"))
        m = ev["msg"]
        if m.get("method") == "notifications/progress":
            check(m["params"]["progressToken"] == "tok", "progress token")
            seen.append(m["params"]["progress"])
            continue
        check(m.get("id") == 4 and "result" in m, "progress result %r" % m)
        break
    check(seen == [1, 2, 3], "progress notifications %r" % seen)
    check(r.event() is None, "stream not ended after the result")
    r.close()

    # Status codes.
    r = post(b, rpc(5, "tools/list"), sid, version, accept="application/json")
    check(r.status == 406, "Accept without SSE: %d" % r.status)
    r.close()
    r = post(b, rpc(5, "tools/list"), sid, version, accept="text/*, application/*")
    check(r.status == 200, "Accept wildcards: %d" % r.status)
    r.close()
    r = post(b, rpc(5, "tools/list"), sid, version, accept="*/*")
    check(r.status == 200, "Accept */*: %d" % r.status)
    r.close()
    r = post(b, rpc(6, "tools/list"), sid, version, ctype="text/plain")
    check(r.status == 415, "text/plain body: %d" % r.status)
    r.close()
    r = post(b, "{not json", sid, version)
    check(r.status == 400 and error_code(r.json()) == -32700,
          "bad JSON: %d" % r.status)
    r.close()
    r = post(b, rpc(7, "tools/list"))
    check(r.status == 400, "no session: %d" % r.status)
    r.close()
    r = post(b, rpc(8, "tools/list"), "0" * 32, version)
    check(r.status == 404 and error_code(r.json()) == -32001,
          "unknown session: %d" % r.status)
    r.close()
    r = post(b, rpc(9, "tools/list"), sid, "1999-01-01")
    check(r.status == 400, "bad MCP-Protocol-Version: %d" % r.status)
    r.close()
    r = post(b, rpc(9, "tools/list"), sid, None)
    check(r.status == 200, "no MCP-Protocol-Version: %d" % r.status)
    r.close()
    r = Response(b, "PUT", "/mcp", {"Mcp-Session-Id": sid}, "{}")
    check(r.status == 405 and "POST" in r.headers.get("allow", ""),
          "PUT: %d %r" % (r.status, r.headers))
    r.close()
    r = Response(b, "GET", "/nowhere")
    check(r.status == 404, "unknown path: %d" % r.status)
    r.close()
    r = post(b, rpc(10, "tools/list"), sid, version,
             extra={"Host": "evil.example.com"})
    check(r.status == 403, "foreign Host: %d" % r.status)
    r.close()
    r = post(b, rpc(10, "tools/list"), sid, version,
             extra={"Origin": "http://evil.example.com"})
    check(r.status == 403, "foreign Origin: %d" % r.status)
    r.close()
    r = post(b, rpc(10, "tools/list"), sid, version,
             extra={"Origin": "http://localhost:1234"})
    check(r.status == 200, "local Origin: %d" % r.status)
    r.close()
    r = post(b, "x" * 3000, sid, version)
    check(r.status == 413, "large body: %d" % r.status)
    r.close()

    # A 2026-07-28 request (no session, no initialize) is served
    # statelessly (tests/http-modern.py has the rest); without its
    # MCP-Protocol-Version header it gets a modern error, so a dual-era
    # client stays modern.
    modern = rpc(11, "tools/list", {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}})
    r = post(b, modern, None, "2026-07-28", extra={"Mcp-Method": "tools/list"})
    check(r.status == 200, "2026-07-28 request: %d" % r.status)
    check(r.json().get("result", {}).get("resultType") == "complete",
          "2026-07-28 request: resultType")
    r.close()
    r = post(b, modern, None, None)
    check(r.status == 400, "2026-07-28 request without header: %d" % r.status)
    code = error_code(r.json())
    check(code == -32020, "2026-07-28 request without header: %r" % code)
    r.close()

    # The GET stream: one at a time; list_changed arrives on it.
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid,
                                    "MCP-Protocol-Version": version})
    check(g.status == 200, "GET: %d" % g.status)
    check(g.headers.get("content-type", "").startswith("text/event-stream"),
          "GET content type")
    check(g.headers.get("cache-control") == "no-cache", "GET Cache-Control")
    g2 = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                     "Mcp-Session-Id": sid})
    check(g2.status == 409, "second GET: %d" % g2.status)
    g2.close()
    r = Response(b, "GET", "/mcp", {"Accept": "application/json",
                                    "Mcp-Session-Id": sid})
    check(r.status == 406, "GET without SSE in Accept: %d" % r.status)
    r.close()

    r = post(b, rpc(12, "tools/call", {"name": "notify_list_changed",
                                       "arguments": {"list": "tools"}}),
             sid, version)
    check(r.status == 200, "notify_list_changed: %d" % r.status)
    r.body()
    r.close()
    ev = g.message()
    check(ev is not None and
          ev["msg"].get("method") == "notifications/tools/list_changed",
          "GET stream: %r" % ev)
    check(ev["id"].startswith("0-"), "GET stream event id %r" % ev["id"])
    first_id = ev["id"]
    g.close()
    time.sleep(0.2)

    # Missed while no GET stream was open: replayed after Last-Event-ID.
    for n in (13, 14):
        r = post(b, rpc(n, "tools/call", {"name": "notify_list_changed",
                                          "arguments": {"list": "prompts"}}),
                 sid, version)
        check(r.status == 200, "notify_list_changed: %d" % r.status)
        r.body()
        r.close()
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid,
                                    "Last-Event-ID": first_id})
    check(g.status == 200, "GET Last-Event-ID: %d" % g.status)
    ids = []
    for _ in range(2):
        ev = g.message()
        check(ev is not None and ev["msg"].get("method") ==
              "notifications/prompts/list_changed", "replay: %r" % ev)
        ids.append(ev["id"])
    check(ids[0] > first_id or len(ids[0]) > len(first_id),
          "replay ids %r after %r" % (ids, first_id))
    check(ids[0] != ids[1], "replayed ids not unique")
    # The resumed stream carries on live.
    r = post(b, rpc(15, "tools/call", {"name": "notify_list_changed",
                                       "arguments": {"list": "resources"}}),
             sid, version)
    r.body()
    r.close()
    ev = g.message()
    check(ev is not None and ev["msg"].get("method") ==
          "notifications/resources/list_changed", "live after replay")
    g.close()

    r = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid,
                                    "Last-Event-ID": "nonsense"})
    check(r.status == 400, "bad Last-Event-ID: %d" % r.status)
    r.close()

    # 2025-03-26 batches: one array back.
    sid2, v2 = initialize(b, "2025-03-26")
    check(v2 == "2025-03-26", "2025-03-26 negotiated %r" % v2)
    r = post(b, [rpc(20, "ping"), rpc(21, "tools/call", {
        "name": "echo", "arguments": {"message": "b"}})], sid2, v2)
    check(r.status == 200, "batch: %d" % r.status)
    body = r.json()
    r.close()
    check(isinstance(body, list) and sorted(m["id"] for m in body) ==
          [20, 21], "batch answer %r" % body)

    # DELETE ends the session; then 404.
    r = Response(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid})
    check(r.status == 200, "DELETE: %d" % r.status)
    r.close()
    r = post(b, rpc(30, "tools/list"), sid, version)
    check(r.status == 404, "after DELETE: %d" % r.status)
    r.close()
    r = Response(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid})
    check(r.status == 404, "DELETE again: %d" % r.status)
    r.close()
    r = Response(b, "DELETE", "/mcp")
    check(r.status == 400, "DELETE without session: %d" % r.status)
    r.close()

    # Draining: readyz turns 503 is covered by the lead's serve tests;
    # here readyz is still 200.
    r = Response(b, "GET", "/readyz")
    check(r.status == 200, "readyz: %d" % r.status)
    r.close()


if __name__ == "__main__":
    main(test, "--max-body", "2K", "--keepalive", "5s")
