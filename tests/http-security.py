#!/usr/bin/env python3
# http-security.py: who may connect, on both transports and on every
# request: Host and Origin (DNS rebinding; 403), bearer tokens (401 with
# WWW-Authenticate, probes open, a session bound to its token: 404 for
# another), tokens never reaching the child (its `received` tool shows
# the raw lines it read) nor the log, and CORS (preflight, exposed
# headers; nothing without --cors).
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
    def __init__(self, *args, env=None):
        self.log = tempfile.TemporaryFile()
        full = dict(os.environ)
        full.update(env or {})
        self.proc = subprocess.Popen(
            [BRIDGE, "serve", "--port", "0", "--print-url"] + list(args) +
            ["--", SERVER], stdout=subprocess.PIPE, stderr=self.log,
            env=full)
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


def initialize(b, version="2025-06-18", extra=None):
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": version, "capabilities": {},
        "clientInfo": {"name": "http-test", "version": "1"}}), extra=extra)
    check(r.status == 200, "initialize: %d" % r.status)
    sid = r.headers.get("mcp-session-id")
    check(sid is not None, "initialize: no Mcp-Session-Id")
    body = r.answer()
    r.close()
    check(body.get("id") == 1 and "result" in body, "initialize: %r" % body)
    r = post(b, note("notifications/initialized"), sid, version, extra=extra)
    check(r.status == 202, "initialized: %d" % r.status)
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


def main(test, *args, env=None):
    if not (os.access(BRIDGE, os.X_OK) and os.access(SERVER, os.X_OK)):
        print("SKIP: %s or %s not built" % (BRIDGE, SERVER))
        sys.exit(77)
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        Failure("timed out")))
    signal.alarm(90)
    b = Bridge(*args, env=env)
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
    process."""
    if len(sys.argv) > 1:
        fn, args, env = table[sys.argv[1]]
        main(fn, *args, env=env)
    me = os.path.abspath(__file__)
    rcs = [subprocess.call([sys.executable, me, w]) for w in names]
    if any(rc not in (0, 77) for rc in rcs):
        sys.exit(1)
    sys.exit(77 if all(rc == 77 for rc in rcs) else 0)

# ---- the tests ----

TOKEN_A = "tok-A-4f9c2e7d1b8a6f3e"
TOKEN_B = "tok-B-9d8c7b6a5f4e3d2c"
BEARER_A = {"Authorization": "Bearer " + TOKEN_A}
BEARER_B = {"Authorization": "Bearer " + TOKEN_B}


def forbidden(status, data, what):
    check(status == 403, "%s: %d" % (what, status))
    body = json.loads(data)
    check(body.get("jsonrpc") == "2.0" and "error" in body,
          "%s: body %r" % (what, body))


def test_hosts(b):
    wait_ready(b)
    port = b.port
    for host in ("localhost:%d" % port, "127.0.0.1:%d" % port, "localhost",
                 "[::1]:%d" % port):
        status, _, _ = exchange(b, "GET", "/healthz", {"Host": host})
        check(status == 200, "Host %s: %d" % (host, status))
    # Every route and both transports, not only session creation.
    for method, path in (("GET", "/healthz"), ("POST", "/mcp"),
                         ("GET", "/mcp"), ("GET", "/sse"),
                         ("POST", "/message?sessionId=x")):
        status, _, data = exchange(b, method, path,
                                   {"Host": "evil.example.com"}, body="{}")
        forbidden(status, data, "Host evil on %s %s" % (method, path))
        status, _, data = exchange(b, method, path, {
            "Origin": "http://evil.example.com"}, body="{}")
        forbidden(status, data, "Origin evil on %s %s" % (method, path))
    for origin in ("null", "http://localhost.evil.example.com",
                   "file://", "http://127.0.0.1.evil.example.com:80"):
        status, _, data = exchange(b, "GET", "/healthz", {"Origin": origin})
        forbidden(status, data, "Origin %s" % origin)
    for origin in ("http://localhost:3000", "https://127.0.0.1",
                   "http://[::1]:8080"):
        status, _, _ = exchange(b, "GET", "/healthz", {"Origin": origin})
        check(status == 200, "Origin %s: %d" % (origin, status))
    # A session made from a local page, then a request from a bad one.
    sid, version = initialize(b, extra={"Origin": "http://localhost:5173"})
    r = post(b, rpc(2, "ping"), sid, version,
             extra={"Origin": "http://attacker.example"})
    check(r.status == 403, "ping from a bad origin: %d" % r.status)
    r.close()
    check("Host or Origin not allowed" in b.stderr(), "refusals not logged")


def test_allow(b):
    wait_ready(b)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Host": "mcp.example.com"})
    check(status == 200, "--allow-host: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Host": "mcp.example.com:8443"})
    check(status == 200, "--allow-host with a port: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Host": "other.example.com"})
    check(status == 403, "another host: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Origin": "https://app.example.com"})
    check(status == 200, "--allow-origin: %d" % status)
    status, _, _ = exchange(b, "GET", "/healthz",
                            {"Origin": "https://app.example.com:444"})
    check(status == 403, "--allow-origin is exact: %d" % status)
    # Allowing an origin is not CORS.
    status, hdrs, _ = exchange(b, "GET", "/healthz",
                               {"Origin": "https://app.example.com"})
    check(not any(k.startswith("access-control-") for k in hdrs),
          "CORS headers without --cors: %r" % hdrs)


def unauthorized(b, method, path, headers=None, body=None, invalid=False):
    status, hdrs, data = exchange(b, method, path, headers, body)
    check(status == 401, "%s %s: %d" % (method, path, status))
    want = 'Bearer error="invalid_token"' if invalid else "Bearer"
    check(hdrs.get("www-authenticate") == want,
          "%s %s: WWW-Authenticate %r" % (method, path,
                                          hdrs.get("www-authenticate")))
    body = json.loads(data)
    check("error" in body, "401 body %r" % body)


def test_auth(b):
    # Probes need no token.
    wait_ready(b)
    status, _, _ = exchange(b, "GET", "/healthz")
    check(status == 200, "healthz: %d" % status)
    for method, path in (("POST", "/mcp"), ("GET", "/mcp"),
                         ("DELETE", "/mcp"), ("GET", "/sse"),
                         ("POST", "/message?sessionId=x"),
                         ("GET", "/metrics")):
        unauthorized(b, method, path, body="{}")
        unauthorized(b, method, path, {"Authorization": "Bearer nope"},
                     body="{}", invalid=True)
        unauthorized(b, method, path, {"Authorization": "Basic " +
                                       TOKEN_A}, body="{}", invalid=True)
        unauthorized(b, method, path, {"Authorization": "Bearer " +
                                       TOKEN_A[:-1]}, body="{}",
                     invalid=True)
        unauthorized(b, method, path, {"Authorization": "Bearer " +
                                       TOKEN_A + "x"}, body="{}",
                     invalid=True)

    # Streamable HTTP: the session belongs to token A.
    sid, version = initialize(b, extra=BEARER_A)
    status, answer = call(b, sid, version, 2, "echo",
                          {"message": "hi"}, extra=BEARER_A)
    check(status == 200 and "result" in answer, "echo with A: %d" % status)
    # Every request is checked, not only the first.
    r = post(b, rpc(3, "ping"), sid, version)
    check(r.status == 401, "ping without a token: %d" % r.status)
    r.close()
    r = post(b, rpc(4, "ping"), sid, version, extra=BEARER_B)
    check(r.status == 404, "A's session with B: %d" % r.status)
    r.close()
    status, _, _ = exchange(b, "GET", "/mcp", dict(BEARER_B, **{
        "Accept": "text/event-stream", "Mcp-Session-Id": sid}))
    check(status == 404, "GET of A's session with B: %d" % status)
    status, _, _ = exchange(b, "DELETE", "/mcp", dict(BEARER_B, **{
        "Mcp-Session-Id": sid}))
    check(status == 404, "DELETE of A's session with B: %d" % status)
    sid_b, _ = initialize(b, extra=BEARER_B)
    r = post(b, rpc(5, "ping"), sid_b, version, extra=BEARER_A)
    check(r.status == 404, "B's session with A: %d" % r.status)
    r.close()

    # The child never saw a token: it read only JSON-RPC lines.
    status, answer = call(b, sid, version, 6, "received", {"count": 100},
                          extra=BEARER_A)
    check(status == 200, "received: %d" % status)
    lines = [c["text"] for c in answer["result"]["content"]]
    check(lines, "received nothing")
    for line in lines:
        check(TOKEN_A not in line and TOKEN_B not in line and
              "Bearer" not in line and "uthorization" not in line,
              "the child saw %r" % line)
        json.loads(line)

    # Legacy HTTP+SSE: the same rules.
    g = Response(b, "GET", "/sse", dict(BEARER_A, Accept="text/event-stream"))
    check(g.status == 200, "GET /sse with A: %d" % g.status)
    ev = g.event()
    check(ev.get("event") == "endpoint", "endpoint event: %r" % ev)
    endpoint = ev["data"][len(b.base):] if ev["data"].startswith(b.base) \
        else ev["data"]
    hdr = {"Content-Type": "application/json"}
    body = rpc(1, "initialize", {"protocolVersion": "2024-11-05",
                                 "capabilities": {},
                                 "clientInfo": {"name": "t", "version": "1"}})
    unauthorized(b, "POST", endpoint, hdr, body)
    status, _, _ = exchange(b, "POST", endpoint, dict(hdr, **BEARER_B), body)
    check(status == 404, "A's legacy session with B: %d" % status)
    status, _, _ = exchange(b, "POST", endpoint, dict(hdr, **BEARER_A), body)
    check(status == 202, "A's legacy session with A: %d" % status)
    ev = g.message()
    check(ev["msg"].get("id") == 1 and "result" in ev["msg"],
          "legacy initialize: %r" % ev)
    g.close()

    err = b.stderr()
    check(TOKEN_A not in err and TOKEN_B not in err, "a token in the log")
    check("session of another token" in err, "404s not logged")
    check("(no token)" in err and "(invalid token)" in err,
          "401s not logged")


def test_auth_env(b):
    wait_ready(b)
    for bearer in (BEARER_A, BEARER_B):
        sid, version = initialize(b, extra=bearer)
        status, _ = call(b, sid, version, 2, "echo", {"message": "x"},
                         extra=bearer)
        check(status == 200, "token from the environment: %d" % status)
    unauthorized(b, "POST", "/mcp", body="{}")


def test_cors(b):
    wait_ready(b)
    page = "http://localhost:9999"
    status, hdrs, _ = exchange(b, "OPTIONS", "/mcp", {
        "Origin": page, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers":
        "content-type, mcp-session-id, mcp-protocol-version"})
    check(status == 204, "preflight: %d" % status)
    check(hdrs.get("access-control-allow-origin") == page,
          "preflight allow-origin %r" % hdrs)
    allowed = hdrs.get("access-control-allow-headers", "").lower()
    for h in ("mcp-session-id", "mcp-protocol-version", "last-event-id",
              "mcp-method", "mcp-name", "authorization", "content-type"):
        check(h in allowed, "preflight does not allow %s: %r" % (h, allowed))
    check("POST" in hdrs.get("access-control-allow-methods", ""),
          "preflight methods %r" % hdrs)
    r = post(b, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "cors", "version": "1"}}),
        extra={"Origin": page})
    check(r.status == 200, "initialize from the page: %d" % r.status)
    check(r.headers.get("access-control-allow-origin") == page,
          "no allow-origin on POST: %r" % r.headers)
    check("mcp-session-id" in r.headers.get(
        "access-control-expose-headers", "").lower(),
        "Mcp-Session-Id not exposed: %r" % r.headers)
    r.close()
    # A --cors origin is an allowed origin, even a remote one.
    status, hdrs, _ = exchange(b, "GET", "/healthz",
                               {"Origin": "https://app.example.com"})
    check(status == 200 and hdrs.get("access-control-allow-origin") ==
          "https://app.example.com", "second --cors origin: %d" % status)
    # Another local origin may connect, but gets no CORS headers.
    status, hdrs, _ = exchange(b, "OPTIONS", "/mcp", {
        "Origin": "http://localhost:1234",
        "Access-Control-Request-Method": "POST"})
    check("access-control-allow-origin" not in hdrs,
          "CORS for an origin not listed: %r" % hdrs)


def test_no_cors(b):
    wait_ready(b)
    for method in ("OPTIONS", "POST", "GET"):
        status, hdrs, _ = exchange(b, method, "/mcp", {
            "Origin": "http://localhost:9999",
            "Access-Control-Request-Method": "POST",
            "Content-Type": "application/json", "Accept": ACCEPT_BOTH},
            body="{}" if method == "POST" else None)
        check(not any(k.startswith("access-control-") for k in hdrs),
              "%s: CORS headers without --cors: %r" % (method, hdrs))


def token_file():
    fd, path = tempfile.mkstemp()
    os.write(fd, ("# tokens\n%s\n\n  %s  \n" % (TOKEN_A, TOKEN_B)).encode())
    os.close(fd)
    os.chmod(path, 0o600)
    return path


TESTS = {
    "hosts": (test_hosts, [], None),
    "allow": (test_allow, ["--allow-host", "mcp.example.com",
                           "--allow-origin", "https://app.example.com"],
              None),
    "auth": (test_auth, ["--auth-token-file", token_file()], None),
    "auth-env": (test_auth_env, ["--auth-token-env", "MCPBRIDGE_TEST_TOKENS"],
                 {"MCPBRIDGE_TEST_TOKENS": TOKEN_A + "," + TOKEN_B}),
    "cors": (test_cors, ["--cors", "http://localhost:9999", "--cors",
                         "https://app.example.com"], None),
    "no-cors": (test_no_cors, [], None),
}

if __name__ == "__main__":
    run_all(list(TESTS), TESTS)
