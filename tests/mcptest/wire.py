# SPDX-License-Identifier: ISC
# wire.py: raw HTTP/1.1 to a bridge (or anything in front of one), so a
# test sees every byte: one exchange per connection (Response(target, ...))
# or several on a keep-alive one (Conn), the body read as it comes, chunked
# or not, with event streams parsed on top; and the JSON-RPC messages of
# the Streamable HTTP tests.
#
# A target is anything with host, port, hostport (the Host header), base
# (the base path) and optionally headers (sent with every request): a
# bridge.Bridge, or an Endpoint.
import json
import socket
import time

from mcptest.run import Failure, check

ACCEPT_BOTH = "application/json, text/event-stream"


class Endpoint:
    """A target at a loopback port that is not a bridge we started (a
    balancer in front of some)."""

    def __init__(self, port, host="127.0.0.1"):
        self.host, self.port, self.base = host, port, ""
        self.hostport = "%s:%d" % (host, port)
        self.headers = {}


class Conn:
    """A keep-alive HTTP/1.1 connection to a target."""

    def __init__(self, target, timeout=30):
        self.target = target
        self.sock = socket.create_connection((target.host, target.port),
                                             timeout=timeout)
        self.f = self.sock.makefile("rb")

    def send(self, method, path, headers=None, body=None):
        """The request, with the target's headers; a header whose value is
        None is left out."""
        hdrs = {"Host": self.target.hostport}
        hdrs.update(getattr(self.target, "headers", None) or {})
        hdrs.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        req = "%s %s HTTP/1.1\r\n" % (method, self.target.base + path)
        req += "".join("%s: %s\r\n" % kv for kv in hdrs.items()
                       if kv[1] is not None) + "\r\n"
        self.sock.sendall(req.encode() + (body or b""))

    def request(self, method, path, headers=None, body=None):
        self.send(method, path, headers, body)
        return self.response(method)

    def response(self, method="GET"):
        """The next response on the connection (to a request of method)."""
        return Response.read(self, method)

    def close(self, reset=False):
        """reset: an RST (SO_LINGER 0) rather than a FIN."""
        try:
            if reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\1\0\0\0\0\0\0\0")
            else:
                self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.f.close()
        self.sock.close()


class Response:
    """One HTTP response read incrementally off a connection: body(),
    json(), or an event stream one event at a time.

    Response(target, method, path, ...) sends the request on a connection
    of its own, which close() closes; Conn.request() reads one off a
    keep-alive connection.  A chunked body cut short raises Failure, unless
    cut_ends: then it is the end of the body (as a client behind a
    balancer sees an instance that died)."""

    def __init__(self, target, method, path, headers=None, body=None,
                 timeout=10, cut_ends=False):
        conn = Conn(target, timeout)
        try:
            conn.send(method, path, headers, body)
            self._head(conn, method)
        except (OSError, Failure):
            conn.close()
            raise
        self.cut_ends = cut_ends

    @classmethod
    def read(cls, conn, method="GET"):
        r = cls.__new__(cls)
        r._head(conn, method)
        return r

    def _head(self, conn, method):
        self.conn, self.sock, self.f = conn, conn.sock, conn.f
        self.cut_ends = False
        line = self.f.readline().decode(errors="replace")
        if line == "":
            raise Failure("connection closed without a response")
        check(line.startswith("HTTP/1."), "bad status line %r" % line)
        self.status = int(line.split()[1])
        self.headers = {}
        while True:
            line = self.f.readline().decode(errors="replace")
            if line in ("\r\n", "\n", ""):
                break
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "")
        # -1: to the end of the connection.
        self.left = -1 if self.chunked else \
            int(self.headers.get("content-length", "-1"))
        if self.status in (204, 304) or method == "HEAD":
            self.left = 0
        self.pending = b""
        self.eof = False
        self.comments = []      # the stream's comment lines, as they came

    def _fill(self):
        if self.eof:
            return False
        if self.chunked:
            line = self.f.readline()
            if not line and self.cut_ends:
                line = b"0"
            if not line:
                raise Failure("connection closed inside a chunked body")
            size = int(line.split(b";")[0], 16)
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
        """The next event carrying JSON, with it parsed as ev["msg"], or
        None at the end."""
        while True:
            ev = self.event()
            if ev is None:
                return None
            if ev["data"] != "":
                ev["msg"] = json.loads(ev["data"])
                return ev

    def next_json(self):
        """The JSON of the next event of type message, or None at the
        end."""
        while True:
            ev = self.event()
            if ev is None:
                return None
            if ev["data"] != "" and ev.get("event", "message") == "message":
                return json.loads(ev["data"])

    def answer(self):
        """The JSON-RPC answer, whether it came as JSON or as the first
        answer on an event stream (which must have one)."""
        if self.headers.get("content-type", "").startswith(
                "text/event-stream"):
            while True:
                ev = self.message()
                check(ev is not None, "stream ended without an answer")
                if "id" in ev["msg"] and "method" not in ev["msg"]:
                    return ev["msg"]
        return self.json()

    def final(self):
        """The JSON-RPC answer of a POST, the stream read to its end: the
        JSON body, or the last response on the stream (not progress or
        requests; a batch's array counts), or None if there was none."""
        if "event-stream" not in self.headers.get("content-type", ""):
            return self.json()
        last = None
        while True:
            m = self.next_json()
            if m is None:
                return last
            if "result" in m or "error" in m or isinstance(m, list):
                last = m

    def close(self):
        self.conn.close()


def exchange(target, method, path, headers=None, body=None):
    """One request, answered and closed: (status, headers, body bytes)."""
    r = Response(target, method, path, headers, body)
    data = r.body()
    r.close()
    return r.status, r.headers, data


def request(target, method, path, headers=None, body=None, timeout=30):
    """One request on its own connection: the Response, its body read into
    .data and the connection closed."""
    c = Conn(target, timeout)
    try:
        r = c.request(method, path, headers, body)
        r.data = r.body()
    finally:
        c.close()
    return r


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


def text_of(answer):
    """The text of a tools/call result, its text contents joined."""
    return "".join(c.get("text", "") for c in
                   answer["result"].get("content", []))


def post(b, body, sid=None, version=None, accept=ACCEPT_BOTH,
         ctype="application/json", extra=None, path="/mcp"):
    """A POST to path (/mcp) on its own connection: the Response."""
    h = {"Content-Type": ctype}
    if accept is not None:
        h["Accept"] = accept
    if sid is not None:
        h["Mcp-Session-Id"] = sid
    if version is not None:
        h["MCP-Protocol-Version"] = version
    h.update(extra or {})
    return Response(b, "POST", path, h, body)


def named_post(b, name, body, sid=None, version=None):
    """A POST to the Streamable HTTP route of server name (serve
    --config): the Response."""
    return post(b, body, sid, version, path="/servers/%s/mcp" % name)


def named_rpc(b, name, sid, version, id, method, params=None):
    """A request on server name's route: (status, answer or None)."""
    r = named_post(b, name, rpc(id, method, params), sid, version)
    status = r.status
    answer = r.answer() if status == 200 else None
    r.close()
    return status, answer


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
    if status != 200:
        r.close()
        return status, None
    return status, polled_answer(b, r, sid, version)


def polled_answer(b, r, sid, version, timeout=10):
    """The answer to a POST of session sid as a 2025-11-25 client gets
    it: the JSON body, or the answer on the event stream, or, when the
    bridge primed the stream and closed it before the answer came (it does
    so when an answer takes longer than its poll time, SEP-1699), from GET
    streams resumed with Last-Event-ID after the retry time.  r is closed."""
    if not r.headers.get("content-type", "").startswith("text/event-stream"):
        body = r.json()
        r.close()
        return body
    last, retry = None, 0
    deadline = time.monotonic() + timeout
    while True:
        while True:
            ev = r.event()
            if ev is None:
                break
            last = ev.get("id", last)
            retry = int(ev.get("retry", retry))
            if ev["data"] == "":
                continue
            m = json.loads(ev["data"])
            if "id" in m and "method" not in m:
                r.close()
                return m
        r.close()
        check(last is not None, "the stream ended without an answer or "
              "an event id to resume from")
        check(time.monotonic() < deadline, "no answer after %ds of "
              "polling" % timeout)
        time.sleep(retry / 1000.0)
        r = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                        "Mcp-Session-Id": sid,
                                        "MCP-Protocol-Version": version,
                                        "Last-Event-ID": last})
        check(r.status == 200, "resuming at %s: %d" % (last, r.status))


def metric(b, name, path="/metrics"):
    """The value of one sample of /metrics (name with its labels)."""
    status, _, data = exchange(b, "GET", path)
    check(status == 200, "metrics: %d" % status)
    for line in data.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def metrics(target):
    """GET /metrics as {"name{labels}": value}."""
    r = request(target, "GET", "/metrics")
    check(r.status == 200, "/metrics: %d" % r.status)
    out = {}
    for line in r.data.decode().splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            out[k] = float(v)
    return out
