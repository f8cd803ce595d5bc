# httptest.py: the helpers shared by tests/http-*.py (not a test itself):
# a bridge under test, one raw HTTP exchange per connection with SSE
# parsing on top, JSON-RPC messages, and the harness (main, run_all).
# A test imports it from its own directory:
#   sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
#   from httptest import ...
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


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Bridge:
    """mcpbridge serve on a free port in front of the example server.
    env: variables added to the bridge's environment; nofile: its
    RLIMIT_NOFILE."""

    def __init__(self, *args, env=None, nofile=None):
        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.log = tempfile.TemporaryFile()
        full = None
        if env is not None:
            full = dict(os.environ)
            full.update(env)
        self.proc = subprocess.Popen(
            [BRIDGE, "serve", "--port", "0", "--print-url"] + list(args) +
            ["--", SERVER], stdout=subprocess.PIPE, stderr=self.log,
            env=full, preexec_fn=limit if nofile is not None else None)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("http"):
            self.stop()
            raise Failure("no URL printed: %r\n%s" % (line, self.stderr()))
        self.url = line.strip()
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port, self.base = u.hostname, u.port, u.path
        self.hostport = u.netloc
        self.headers = {}       # sent with every request

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
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
        hdrs.update(bridge.headers)
        hdrs.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        req = "%s %s HTTP/1.1\r\n" % (method, bridge.base + path)
        req += "".join("%s: %s\r\n" % kv for kv in hdrs.items()
                       if kv[1] is not None) + "\r\n"
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
        if self.status in (204, 304) or method == "HEAD":
            self.left = 0
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

    def answer(self):
        """The final JSON answer, whether it came as JSON or as SSE."""
        if self.headers.get("content-type", "").startswith(
                "text/event-stream"):
            while True:
                ev = self.message()
                check(ev is not None, "stream ended without an answer")
                if "id" in ev["msg"] and "method" not in ev["msg"]:
                    return ev["msg"]
        return self.json()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.f.close()
        self.sock.close()


def exchange(b, method, path, headers=None, body=None):
    """One request, answered and closed: (status, headers, body bytes)."""
    r = Response(b, method, path, headers, body)
    data = r.body()
    r.close()
    return r.status, r.headers, data


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


def initialize(b, version="2025-06-18", extra=None, strict=False):
    """A session: (session id, negotiated version).  strict: the answer
    must be plain JSON (not SSE) and the 202 must have no body."""
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": version, "capabilities": {},
        "clientInfo": {"name": "http-test", "version": "1"}}), extra=extra)
    if strict and r.status != 200:
        raise Failure("initialize: %d %r" % (r.status, r.body()))
    check(r.status == 200, "initialize: %d" % r.status)
    sid = r.headers.get("mcp-session-id")
    check(sid is not None, "initialize: no Mcp-Session-Id")
    body = r.json() if strict else r.answer()
    r.close()
    check(body.get("id") == 1 and "result" in body, "initialize: %r" % body)
    r = post(b, note("notifications/initialized"), sid, version, extra=extra)
    check(r.status == 202, "initialized: %d" % r.status)
    if strict:
        check(r.body() == b"", "202 with a body")
    r.close()
    return sid, body["result"]["protocolVersion"]


def call(b, sid, version, id, name, args=None, extra=None):
    """tools/call on a session: (status, answer or None)."""
    r = post(b, rpc(id, "tools/call", {"name": name,
                                       "arguments": args or {}}),
             sid, version, extra=extra)
    status = r.status
    body = r.answer() if status == 200 else None
    r.close()
    return status, body


def text_of(answer):
    return "".join(c.get("text", "") for c in
                   answer["result"].get("content", []))


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


def metric(b, name, path="/metrics"):
    """The value of one sample of /metrics (name with its labels)."""
    status, _, data = exchange(b, "GET", path)
    check(status == 200, "metrics: %d" % status)
    for line in data.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def main(test, *args, **kw):
    """Run test(bridge) on a Bridge(*args, **kw); exit 0 pass, 1 fail,
    77 skip."""
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


def run_all(names, table):
    """With an argument, run that one test; without, each in its own
    process.  table: name -> (function, bridge arguments, env)."""
    if len(sys.argv) > 1:
        fn, args, env = table[sys.argv[1]]
        main(fn, *args, env=env)
    me = os.path.abspath(sys.modules["__main__"].__file__)
    rcs = [subprocess.call([sys.executable, me, w]) for w in names]
    if any(rc not in (0, 77) for rc in rcs):
        sys.exit(1)
    sys.exit(77 if all(rc == 77 for rc in rcs) else 0)
