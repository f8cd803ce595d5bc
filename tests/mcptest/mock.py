# SPDX-License-Identifier: ISC
# mock.py: MCP servers written here for client mode to talk to, each on
# a free loopback port in a thread of the test, with a state object (st)
# the test reads and sets to steer it:
#   Server         a 2025 server (Streamable HTTP, or the legacy HTTP+SSE
#                  transport) that misbehaves on cue: forgets sessions,
#                  cuts streams, is busy, answers junk (client-faults.py,
#                  client-modern.py, client-oauth.py's era neighbours);
#   ModernServer   a scripted 2026-07-28 server (client-modern.py);
#   OAuthServer    an authorization server with its protected MCP endpoint
#                  (client-oauth.py).
import base64
import hashlib
import http.server
import io
import json
import queue
import secrets
import socket
import ssl
import threading
import time
import urllib.parse

from mcptest.bridge import VERSION


class MockHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, quiet, and its connection known to the server
    (MockServer.stop cuts it)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        with self.server.live_lock:
            self.server.live.add(self.connection)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        with self.server.live_lock:
            self.server.live.discard(self.connection)

    @property
    def st(self):
        return self.server.st

    def send_json(self, code, obj=None, extra=None):
        """obj as JSON (None: no body, no Content-Type), extra headers."""
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class MockServer:
    """A threaded HTTP server on 127.0.0.1:port (0: a free one) with its
    handler class and its state (st; a new state() by default); tls:
    (cert, key) to serve HTTPS."""
    handler = MockHandler
    state = None

    def __init__(self, port=0, st=None, tls=None, handler=None):
        self.st = st or self.state()
        self.tls = tls
        if handler is not None:
            self.handler = handler
        self.start(port)

    def start(self, port):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                     self.handler)
        self.httpd.daemon_threads = True
        self.httpd.st = self.st
        self.httpd.mock = self
        self.httpd.live = set()
        self.httpd.live_lock = threading.Lock()
        if self.tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                                server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        """Like a killed process: the listener and every connection go."""
        self.httpd.shutdown()
        self.httpd.server_close()
        with self.httpd.live_lock:
            live = list(self.httpd.live)
        for conn in live:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def url(self, path="/mcp"):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http",
                                        self.port, path)


# ---------------------------------------------------------------- 2025

class State:
    """What the server remembers; survives a "restart" only where a real
    server would not (the counters are for the test's eyes)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = {}          # sid -> dict
        self.streams = {}           # stream id -> list of (event id, data)
        self.received = []          # every message POSTed, in order
        self.headers = []           # every request's headers
        self.post_headers = []      # the headers of each of received
        self.deletes = 0
        self.gets = 0
        self.sse_busy = 0           # legacy GETs to refuse: 503, 1 s
        self.amnesia = False        # forget the session at each call
        self.init_times = []
        self.sse_times = []         # when each legacy GET came
        self.last_event_ids = []
        self.over = set()           # event ids whose stream is over: 204
        self.get_enabled = False
        self.expired_status = 404
        self.next = 0
        self.legacy_streams = {}    # sid -> queue of events for the SSE stream
        # Refusing tools/call as unavailable until busy_until: the status,
        # and a function giving the Retry-After value (None: no header).
        self.busy_until = 0
        self.busy_status = 503
        self.busy_retry_after = None
        self.call_times = []        # when each tools/call came
        # Methods answered 200 text/html, as a login page or a captive
        # portal would ("*": all of them).
        self.html = set()
        # Methods answered 200 application/json with a body that is no
        # answer to them ("*": all of them): method -> a kind of JUNK.
        self.junk = {}
        # Methods answered 200 application/json with a JSON-RPC error
        # whose id is null, as JSON-RPC has it for an Invalid Request.
        self.null_error = set()
        # Legacy POSTs acknowledged 200 application/json rather than 202
        # (the answer still comes on the stream).
        self.legacy_ack = False

    def new_id(self, prefix):
        with self.lock:
            self.next += 1
            return "%s%d" % (prefix, self.next)

    def methods(self, name):
        return [m for m in self.received if m.get("method") == name]


def sse(event_id, data, event=None, retry=None):
    out = ""
    if retry is not None:
        out += "retry: %d\n" % retry
    if event_id is not None:
        out += "id: %s\n" % event_id
    if event is not None:
        out += "event: %s\n" % event
    out += "data: %s\n\n" % data
    return out.encode()


# Bodies a server may send as application/json to a request, none of them
# its answer (what "not_json" sends is in Handler.send_junk).
JUNK = {
    "empty": lambda msg: {},
    "wrong_id": lambda msg: {"jsonrpc": "2.0", "id": "x%s" % msg["id"],
                             "result": {}},
    "request": lambda msg: {"jsonrpc": "2.0", "id": "srv-1",
                            "method": "ping"},
    "array": lambda msg: [1, {"a": 2}],
    "not_json": None,
}
JUNK_SEEN = {
    "empty": '200 with application/json, not MCP: "{}"',
    "wrong_id": '200 with application/json, not MCP: "{"jsonrpc": "2.0", '
                '"id": "x',
    "request": '200 with application/json, not MCP: "{"jsonrpc": "2.0", '
               '"id": "srv-1", "method": "ping"}"',
    "array": '200 with application/json, not MCP: "[1, {"a": 2}]"',
    "not_json": '200 with application/json, not MCP: '
                '"<html><body>?Oops</body></html>"',
}

NULL_ERROR = {"jsonrpc": "2.0", "id": None,
              "error": {"code": -32600, "message": "Invalid Request: nope"}}


def result(msg, res):
    return {"jsonrpc": "2.0", "id": msg["id"], "result": res}


def text(msg, t):
    return result(msg, {"content": [{"type": "text", "text": t}]})


class Handler(MockHandler):
    def send_html(self):
        body = (b"<!DOCTYPE html>\x07<html lang=en><head><title>Sign in"
                b"</title></head>\n<body>Please sign in</body></html>\n")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_junk(self, kind, msg):
        """200 application/json, and a body that is not the answer."""
        if kind == "not_json":
            body = b"<html><body>\x1bOops</body></html>\n<p>more</p>\n"
        else:
            body = json.dumps(JUNK[kind](msg)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def session(self):
        sid = self.headers.get("Mcp-Session-Id")
        with self.st.lock:
            return self.st.sessions.get(sid)

    def do_POST(self):
        st = self.st
        n = int(self.headers.get("Content-Length", "0"))
        msg = json.loads(self.rfile.read(n))
        with st.lock:
            st.received.append(msg)
            st.headers.append(dict(self.headers))
            st.post_headers.append(dict(self.headers))
        path = urllib.parse.urlparse(self.path)
        if "*" in st.html or msg.get("method") in st.html:
            return self.send_html()
        kind = st.junk.get(msg.get("method"))
        if kind is None and "id" in msg:
            kind = st.junk.get("*")
        if kind is not None:
            return self.send_junk(kind, msg)
        if msg.get("method") in st.null_error:
            return self.send_json(200, NULL_ERROR)
        if msg.get("method") == "tools/call":
            with st.lock:
                st.call_times.append(time.time())
            if time.time() < st.busy_until:
                ra = st.busy_retry_after
                extra = {"Retry-After": ra()} if ra is not None else {}
                self.send_json(st.busy_status, {"jsonrpc": "2.0", "id": None,
                               "error": {"code": -32000,
                                         "message": "draining"}}, extra)
                return
        if self.server.mock.legacy:
            return self.legacy_post(msg, path)
        if msg.get("method") == "initialize":
            with st.lock:
                st.init_times.append(time.monotonic())
            sid = st.new_id("sess-")
            with st.lock:
                st.sessions[sid] = {"responses": {}, "get": queue.Queue()}
            self.send_json(200, result(msg, {
                "protocolVersion": VERSION, "capabilities": {"tools": {}},
                "serverInfo": {"name": "faulty", "version": "1"}}),
                {"Mcp-Session-Id": sid})
            return
        sess = self.session()
        if sess is None and st.expired_status == 400:
            # As some servers do: 400 and a message, not 404.
            self.send_json(400, {"jsonrpc": "2.0", "id": None, "error": {
                "code": -32000,
                "message": "Bad Request: No valid session ID provided"}})
            return
        if sess is None:
            self.send_json(404, {"jsonrpc": "2.0", "id": None, "error": {
                "code": -32001, "message": "Session not found"}})
            return
        if "method" not in msg:
            sess["responses"][msg["id"]] = msg
            self.send_json(202, None)
            return
        if "id" not in msg:
            self.send_json(202, None)
            return
        if st.amnesia and msg.get("method") == "tools/call":
            # A balancer without affinity: another instance, no session.
            with st.lock:
                st.sessions.clear()
            self.send_json(404, {"jsonrpc": "2.0", "id": None, "error": {
                "code": -32001, "message": "Session not found"}})
            return
        self.answer(msg, sess)

    def answer(self, msg, sess):
        st = self.st
        m = msg["method"]
        if m in ("resources/subscribe", "logging/setLevel", "ping"):
            self.send_json(200, result(msg, {}))
        elif m == "tools/list":
            self.send_json(200, result(msg, {"tools": []}))
        elif m == "tools/call":
            name = msg["params"]["name"]
            args = msg["params"].get("arguments", {})
            if name == "echo":
                self.send_json(200, text(msg, args.get("text", "")))
            elif name == "nan_sse":
                # Not JSON (json-c takes it), then the answer.
                self.start_sse()
                self.wfile.write(sse(st.new_id("e"), '{"jsonrpc":"2.0",'
                                     '"method":"notifications/message",'
                                     '"params":{"level":"info",'
                                     '"data":NaN}}'))
                self.wfile.write(sse(st.new_id("e"), json.dumps(
                    text(msg, "after"))))
            elif name == "nan_body":
                body = ('{"jsonrpc":"2.0","id":%s,"result":{"content":[],'
                        '"v":-Infinity}}' % json.dumps(msg["id"])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif name == "echo_sse":
                self.start_sse()
                self.wfile.write(sse(st.new_id("e"), json.dumps(
                    text(msg, args.get("text", "")))))
            elif name == "flood":
                # Many large notifications on the answer stream.
                self.start_sse()
                blob = "x" * args.get("bytes", 1 << 20)
                try:
                    for i in range(args.get("count", 10)):
                        note = {"jsonrpc": "2.0",
                                "method": "notifications/message",
                                "params": {"level": "info", "data": blob,
                                           "logger": str(i)}}
                        self.wfile.write(sse(None, json.dumps(note)))
                    self.wfile.write(sse(None, json.dumps(text(msg, "done"))))
                except OSError:
                    pass
            elif name == "slow":
                time.sleep(args.get("seconds", 3))
                try:
                    self.send_json(200, text(msg, "late"))
                except OSError:
                    pass
            elif name == "cut_noid":
                # A stream without event ids that a proxy cuts midway:
                # it cannot be resumed.
                note = {"jsonrpc": "2.0", "method": "notifications/message",
                        "params": {"level": "info", "data": "working"}}
                self.start_sse()
                self.wfile.write(sse(None, json.dumps(note)))
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            elif name == "primed":
                # A priming event with an id, then events without one:
                # they carry the id over (the SSE rules), but are new.
                note = {"jsonrpc": "2.0", "method": "notifications/message",
                        "params": {"level": "info", "data": "unnumbered"}}
                self.start_sse()
                self.wfile.write(sse(st.new_id("prime"), ""))
                self.wfile.write(sse(None, json.dumps(note)))
                self.wfile.write(sse(None, json.dumps(text(msg, "primed"))))
            elif name == "ticking":
                # Progress every `every` seconds for `seconds` (when the
                # call asked for it), then the answer, on one stream.
                token = msg["params"].get("_meta", {}).get("progressToken")
                self.start_sse()
                end = time.time() + args.get("seconds", 2)
                n = 0
                try:
                    while time.time() < end:
                        n += 1
                        if token is not None:
                            note = {"jsonrpc": "2.0",
                                    "method": "notifications/progress",
                                    "params": {"progressToken": token,
                                               "progress": n}}
                            self.wfile.write(sse(st.new_id("e"),
                                                 json.dumps(note)))
                            self.wfile.flush()
                        time.sleep(args.get("every", 0.2))
                    self.wfile.write(sse(st.new_id("e"), json.dumps(
                        text(msg, "ticked %d" % n))))
                except OSError:
                    pass
            elif name == "cut":
                # Priming event, a progress notification, then the
                # connection drops; the answer waits for a GET with
                # Last-Event-ID.
                sid = st.new_id("stream")
                e1, e2, e3 = sid + "-1", sid + "-2", sid + "-3"
                note = {"jsonrpc": "2.0", "method": "notifications/message",
                        "params": {"level": "info", "data": "working"}}
                with st.lock:
                    st.streams[e2] = [(e3, json.dumps(text(msg, "resumed")))]
                self.start_sse()
                self.wfile.write(sse(e1, "", retry=150))
                self.wfile.write(sse(e2, json.dumps(note)))
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            elif name == "cut_over":
                # As "cut", but the answer is gone by the time the client
                # resumes (a replay log that dropped it): that GET gets
                # 204, "this stream is over, do not reconnect".
                sid = st.new_id("stream")
                e1, e2 = sid + "-1", sid + "-2"
                note = {"jsonrpc": "2.0", "method": "notifications/message",
                        "params": {"level": "info", "data": "working"}}
                with st.lock:
                    st.over.add(e2)
                self.start_sse()
                self.wfile.write(sse(e1, "", retry=150))
                self.wfile.write(sse(e2, json.dumps(note)))
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            elif name == "sample":
                # A server-to-client request on the answer stream; the
                # answer comes back as a POST.
                self.start_sse()
                req = {"jsonrpc": "2.0", "id": "s1",
                       "method": "sampling/createMessage",
                       "params": {"messages": [], "maxTokens": 5}}
                self.wfile.write(sse(st.new_id("e"), json.dumps(req)))
                self.wfile.flush()
                deadline = time.time() + 5
                while "s1" not in sess["responses"] and time.time() < deadline:
                    time.sleep(0.02)
                got = sess["responses"].get("s1", {})
                self.wfile.write(sse(st.new_id("e"), json.dumps(text(
                    msg, "sampled: " + json.dumps(got.get("result"))))))
            else:
                self.send_json(200, {"jsonrpc": "2.0", "id": msg["id"],
                                     "error": {"code": -32602,
                                               "message": "no such tool"}})
        else:
            self.send_json(200, {"jsonrpc": "2.0", "id": msg["id"], "error": {
                "code": -32601, "message": "Method not found"}})

    def do_GET(self):
        st = self.st
        with st.lock:
            st.gets += 1
            st.headers.append(dict(self.headers))
        if self.server.mock.legacy:
            return self.legacy_get()
        sess = self.session()
        if sess is None:
            self.send_json(404, None)
            return
        last = self.headers.get("Last-Event-ID")
        if last is not None:
            with st.lock:
                st.last_event_ids.append(last)
                events = st.streams.pop(last, None)
            if events is not None:
                self.start_sse()
                for eid, data in events:
                    self.wfile.write(sse(eid, data))
                return
            if last in st.over:
                self.send_response(204)
                self.end_headers()
                return
            # Not an answer stream: the GET stream goes on.
        if not st.get_enabled:
            self.send_json(405, None, {"Allow": "POST, DELETE"})
            return
        self.start_sse()
        try:
            while True:
                try:
                    item = sess["get"].get(timeout=0.2)
                except queue.Empty:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    continue
                if item is None:
                    return
                self.wfile.write(sse(st.new_id("g"), json.dumps(item)))
                self.wfile.flush()
        except OSError:
            pass

    def do_DELETE(self):
        st = self.st
        with st.lock:
            st.deletes += 1
            st.sessions.pop(self.headers.get("Mcp-Session-Id"), None)
        self.send_json(200, None)

    # The 2024-11-05 transport: GET /sse gives the endpoint, POSTs go to
    # /messages?session=..., answers come on the stream.
    def legacy_get(self):
        st = self.st
        if urllib.parse.urlparse(self.path).path != "/sse":
            self.send_json(404, None)
            return
        with st.lock:
            st.sse_times.append(time.monotonic())
            busy = st.sse_busy > 0
            if busy:
                st.sse_busy -= 1
        if busy:
            self.send_json(503, None, {"Retry-After": "1"})
            return
        sid = st.new_id("legacy-")
        q = queue.Queue()
        with st.lock:
            st.legacy_streams[sid] = q
        self.start_sse()
        try:
            self.wfile.write(sse(None, "/messages?session=" + sid,
                                 event="endpoint"))
            self.wfile.flush()
            while True:
                try:
                    item = q.get(timeout=0.2)
                except queue.Empty:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    continue
                if item is None:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(sse(None, json.dumps(item), event="message"))
                self.wfile.flush()
        except OSError:
            pass
        finally:
            with st.lock:
                st.legacy_streams.pop(sid, None)

    def legacy_post(self, msg, path):
        st = self.st
        if path.path != "/messages":
            self.send_json(405, None, {"Allow": "GET"})
            return
        sid = urllib.parse.parse_qs(path.query).get("session", [""])[0]
        with st.lock:
            q = st.legacy_streams.get(sid)
        if q is None:
            self.send_json(404, None)
            return
        if st.legacy_ack:
            self.send_json(200, {"status": "accepted"})
        else:
            self.send_json(202, None)
        if "id" not in msg or "method" not in msg:
            return
        if msg["method"] == "initialize":
            q.put(result(msg, {"protocolVersion": "2024-11-05",
                               "capabilities": {"tools": {}},
                               "serverInfo": {"name": "legacy",
                                              "version": "1"}}))
        elif msg["method"] == "tools/call":
            args = msg["params"].get("arguments", {})
            if msg["params"]["name"] == "slow":
                def later():
                    time.sleep(args.get("seconds", 1))
                    q.put(text(msg, "late"))
                threading.Thread(target=later, daemon=True).start()
            else:
                q.put(text(msg, args.get("text", "")))
        else:
            q.put(result(msg, {}))


class Server(MockServer):
    """The 2025 server; legacy: it speaks HTTP+SSE (GET /sse, POST
    /messages), not Streamable HTTP."""
    handler = Handler
    state = State

    def __init__(self, legacy=False, port=0, st=None, tls=None,
                 handler=None):
        self.legacy = legacy
        MockServer.__init__(self, port, st, tls, handler)


class HoldingHandler(Handler):
    """A legacy server that holds server/discover open and silent."""

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if json.loads(body).get("method") == "server/discover":
            self.start_sse()
            self.wfile.flush()
            time.sleep(5)
            return
        self.rfile = io.BufferedReader(io.BytesIO(body))
        super().do_POST()

# ---------------------------------------------------------------- 2026-07-28

V = "2026-07-28"
TOOLS = [
    {"name": "region", "inputSchema": {"type": "object", "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "n": {"type": "object", "properties": {
            "deep": {"type": "integer", "x-mcp-header": "Deep"}}}}}},
    {"name": "bad", "inputSchema": {"type": "object", "properties": {
        "score": {"type": "number", "x-mcp-header": "Score"}}}},
    {"name": "ask", "inputSchema": {"type": "object"}},
]


def decode(v):
    if v is not None and v.startswith("=?base64?") and v.endswith("?="):
        return base64.b64decode(v[9:-2]).decode()
    return v


class ModernState:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []      # (method, headers, body) of every request
        self.cut = 0
        self.problems = []
        self.listen = False     # offer subscriptions/listen
        self.listens = []       # the filter of each
        self.break_listen = 0   # listen streams to cut after the ack
        self.busy_listen = 0    # listens to refuse: 503, Retry-After: 1
        self.refuse_listen = False  # answer listens with an error event
        self.silent_listen = False  # never acknowledge a listen
        self.cancel_listen = False  # listen_ok: cancel it after the ack
        self.cut_listen = 0     # listen_ok: streams to cut after the ack
        self.listen_times = []
        self.listen_ok = False  # serve subscriptions/listen, held open
        self.closed = []        # (what, wire id) of streams the bridge left

    def methods(self):
        return [b.get("method") for m, h, b in self.requests if m == "POST"]

    def bodies(self, method):
        return [b for m, h, b in self.requests
                if m == "POST" and b.get("method") == method]


class ModernHandler(MockHandler):
    def hold_open(self, what):
        """Keeps an event stream open until the bridge closes it."""
        self.close_connection = True
        deadline = time.time() + 20
        try:
            while time.time() < deadline:
                time.sleep(0.1)
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            with self.st.lock:
                self.st.closed.append(what)

    def events(self, *msgs):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for m in msgs:
            self.wfile.write(b"data: " + json.dumps(m).encode() + b"\n\n")
        self.wfile.flush()

    def do_GET(self):
        with self.st.lock:
            self.st.requests.append(("GET", dict(self.headers), {}))
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_DELETE = do_GET

    def problem(self, what):
        with self.st.lock:
            self.st.problems.append(what)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        msg = json.loads(self.rfile.read(n))
        h = self.headers
        with self.st.lock:
            self.st.requests.append(("POST", dict(h), msg))
        meta = msg.get("params", {}).get("_meta", {})
        rid = msg.get("id")
        if "Mcp-Session-Id" in h or "Last-Event-ID" in h:
            self.problem("legacy header on %s" % msg.get("method"))
        if (h.get("MCP-Protocol-Version") != V or
                meta.get("io.modelcontextprotocol/protocolVersion") != V or
                "io.modelcontextprotocol/clientCapabilities" not in meta or
                h.get("Mcp-Method") != msg.get("method")):
            return self.send_json(400, {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32020, "message": "Header mismatch"}})
        m = msg["method"]
        p = msg["params"]
        if m == "server/discover":
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                "resultType": "complete", "supportedVersions": [V],
                "capabilities": {"tools": {}, "resources": {
                    "subscribe": True}},
                "_meta": {"io.modelcontextprotocol/serverInfo": {
                    "name": "scripted", "version": "1"}}}})
        if m == "tools/list":
            # Two pages, to see the bridge follow nextCursor.
            page = TOOLS[:1] if "cursor" not in p else TOOLS[1:]
            res = {"resultType": "complete", "tools": page}
            if "cursor" not in p:
                res["nextCursor"] = "page2"
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                    "result": res})
        if m == "subscriptions/listen" and self.st.listen_ok:
            tag = {"io.modelcontextprotocol/subscriptionId": rid}
            self.events({"jsonrpc": "2.0", "method":
                         "notifications/subscriptions/acknowledged",
                         "params": {"notifications": p["notifications"],
                                    "_meta": tag}},
                        {"jsonrpc": "2.0", "method":
                         "notifications/tools/list_changed",
                         "params": {"_meta": tag}})
            with self.st.lock:
                cut = self.st.cut_listen > 0
                if cut:
                    self.st.cut_listen -= 1
            if cut:
                time.sleep(0.1)
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.st.cancel_listen:
                # The server's teardown, by the listen's id.
                self.wfile.write(b"data: " + json.dumps({
                    "jsonrpc": "2.0", "method": "notifications/cancelled",
                    "params": {"requestId": rid}}).encode() + b"\n\n")
                self.wfile.flush()
                return
            return self.hold_open(("listen", rid))
        if m == "subscriptions/listen" and self.st.listen:
            return self.listen(rid, p.get("notifications", {}))
        if m == "subscriptions/listen":
            return self.send_json(404, {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32601, "message": "Method not found"}})
        if m == "resources/list":
            # Not a request that may ask for input.
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                "resultType": "input_required", "requestState": "x"}})
        if m != "tools/call":
            return self.send_json(404, {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32601, "message": "Method not found"}})
        if h.get("Mcp-Name") != p["name"]:
            return self.send_json(400, {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32020, "message": "Mcp-Name"}})
        args = p.get("arguments", {})
        if p["name"] == "region":
            got = (decode(h.get("Mcp-Param-Region")), h.get("Mcp-Param-Deep"))
            want = (args.get("region"),
                    str(args["n"]["deep"]) if "n" in args else None)
            if got != want:
                return self.send_json(400, {"jsonrpc": "2.0", "id": rid,
                                        "error": {"code": -32020,
                                                  "message": "Mcp-Param"}})
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                "content": [{"type": "text", "text": "region=%s" %
                             args.get("region")}]}})
        if p["name"] == "ask":
            resp, state = p.get("inputResponses"), p.get("requestState")
            if state is None:
                if resp is not None:
                    self.problem("inputResponses without a round")
                return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                    "resultType": "input_required", "requestState": "s/1 +",
                    "inputRequests": {"who": {
                        "method": "elicitation/create", "params": {
                            "message": "Name?", "requestedSchema": {
                                "type": "object", "properties": {
                                    "name": {"type": "string"}}}}}}}})
            if state == "s/1 +":
                name = resp["who"]["content"]["name"]
                return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                    "resultType": "input_required",
                    "requestState": "s/2:" + name,
                    "inputRequests": {"llm": {
                        "method": "sampling/createMessage", "params": {
                            "messages": [], "maxTokens": 5}}}}})
            if state.startswith("s/2:") and set(resp) == {"llm"}:
                return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                    "resultType": "complete", "content": [{
                        "type": "text", "text": "%s/%s" % (
                            state[4:],
                            resp["llm"]["content"]["text"])}]}})
            return self.send_json(400, {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32602, "message": "bad round %r %r" % (state,
                                                                resp)}})
        if p["name"] == "cut":
            with self.st.lock:
                self.st.cut += 1
                first = self.st.cut == 1
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            prog = {"jsonrpc": "2.0", "method": "notifications/progress",
                    "params": {"progressToken": "t", "progress": 1}}
            self.wfile.write(b"id: e1\ndata: " + json.dumps(prog).encode() +
                             b"\n\n")
            if first:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            ans = {"jsonrpc": "2.0", "id": rid, "result": {
                "resultType": "complete",
                "content": [{"type": "text", "text": "whole"}]}}
            self.wfile.write(b"id: e2\ndata: " + json.dumps(ans).encode() +
                             b"\n\n")
            self.close_connection = True
            return
        if p["name"] == "slow":
            self.events({"jsonrpc": "2.0", "method": "notifications/progress",
                         "params": {"progressToken":
                                    meta.get("progressToken"),
                                    "progress": 1}})
            return self.hold_open(("slow", rid))
        if p["name"] == "nul":
            # A requestState with a NUL in it comes back exactly.
            state = p.get("requestState")
            if state is None:
                return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                    "resultType": "input_required",
                    "requestState": "a\u0000b\u00e9"}})
            if state == "a\u0000b\u00e9":
                return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                    "resultType": "complete",
                    "content": [{"type": "text", "text": "exact"}]}})
            return self.send_json(400, {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32602, "message": "requestState %r" % state}})
        if p["name"] == "spoof":
            # First an "answer" under the local client's id 5, which
            # the server never saw, then its own.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i in (5, rid):
                ans = {"jsonrpc": "2.0", "id": i, "result": {
                    "resultType": "complete",
                    "content": [{"type": "text", "text": "spoof"}]}}
                self.wfile.write(b"data: " + json.dumps(ans).encode() +
                                 b"\n\n")
            self.close_connection = True
            return
        if p["name"] == "wrongid":
            return self.send_json(200, {"jsonrpc": "2.0", "id": "not-yours",
                                    "result": {"resultType": "complete",
                                               "content": []}})
        if p["name"] == "weird":
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid,
                                        "result": {
                "resultType": "task", "taskId": "1"}})
        return self.send_json(200, {"jsonrpc": "2.0", "id": rid, "error": {
            "code": -32602, "message": "no such tool"}})


    def listen(self, rid, flt):
        with self.st.lock:
            self.st.listen_times.append(time.monotonic())
            busy = self.st.busy_listen > 0
            if busy:
                self.st.busy_listen -= 1
        if busy:
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with self.st.lock:
            self.st.listens.append(flt)
            cut = self.st.break_listen > 0
            if cut:
                self.st.break_listen -= 1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.close_connection = True

        def event(obj):
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()
        if self.st.silent_listen:
            return self.hold_open(("silent", rid))
        if self.st.refuse_listen:
            return event({"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32603, "message": "listening is broken"}})
        if "bad://x" in flt.get("resourceSubscriptions", []):
            return event({"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32602, "message": "no such resource bad://x"}})
        event({"jsonrpc": "2.0",
               "method": "notifications/subscriptions/acknowledged",
               "params": {"_meta": {
                   "io.modelcontextprotocol/subscriptionId": rid}}})
        if cut:
            time.sleep(0.2)
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            for _ in range(100):
                time.sleep(0.1)
                self.wfile.write(b": ping\n\n")
                self.wfile.flush()
        except OSError:
            pass


class ModernServer(MockServer):
    handler = ModernHandler
    state = ModernState


# ---------------------------------------------------------------- OAuth

class OAuthState:
    def __init__(self):
        self.lock = threading.Lock()
        self.base = None
        self.auth_endpoint = None       # metadata override (hostile)
        self.refuse_refresh = False
        self.refresh_down = 0       # refreshes to answer 503
        self.expires_in = 3600
        self.used = []                  # the token of each /mcp POST
        self.access = set()             # valid access tokens
        self.refresh = set()            # valid refresh tokens
        self.codes = {}
        self.count = {"authorize": 0, "register": 0, "code": 0,
                      "refresh": 0, "prm": 0, "401": 0}
        self.seen = []                  # (path, Authorization header)
        self.issued = []                # every token and code, for logs

    def new(self, prefix):
        t = prefix + secrets.token_urlsafe(16)
        self.issued.append(t)
        return t

    def tokens(self):
        at, rt = self.new("at-"), self.new("rt-")
        self.access.add(at)
        self.refresh.add(rt)
        return {"access_token": at, "token_type": "Bearer",
                "expires_in": self.expires_in, "refresh_token": rt}


class OAuthHandler(MockHandler):
    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def note(self):
        u = urllib.parse.urlsplit(self.path)
        with self.st.lock:
            self.st.seen.append((u.path, self.headers.get("Authorization")))
        return u

    def do_GET(self):
        st, u = self.st, self.note()
        base = st.base
        if u.path == "/.well-known/oauth-protected-resource/mcp":
            st.count["prm"] += 1
            return self.send_json(200, {"resource": base + "/mcp",
                                    "authorization_servers": [base]})
        if u.path == "/.well-known/oauth-authorization-server":
            return self.send_json(200, {
                "issuer": base,
                "authorization_endpoint": st.auth_endpoint or
                base + "/authorize",
                "token_endpoint": base + "/token",
                "registration_endpoint": base + "/register",
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "response_types_supported": ["code"],
                "authorization_response_iss_parameter_supported": True})
        if u.path == "/authorize":
            q = dict(urllib.parse.parse_qsl(u.query))
            with st.lock:
                st.count["authorize"] += 1
                assert q["response_type"] == "code"
                assert q["code_challenge_method"] == "S256"
                assert q["resource"] == base + "/mcp", q
                code = st.new("code-")
                st.codes[code] = q
            loc = "%s?%s" % (q["redirect_uri"], urllib.parse.urlencode(
                {"code": code, "state": q["state"], "iss": base}))
            return self.send_json(302, extra={"Location": loc})
        self.send_json(405 if u.path == "/mcp" else 404)

    def do_POST(self):
        st, u = self.st, self.note()
        data = self.body()
        if u.path == "/register":
            reg = json.loads(data)
            assert reg["redirect_uris"][0].startswith("http://127.0.0.1:")
            with st.lock:
                st.count["register"] += 1
                cid = "client-%d" % st.count["register"]
            return self.send_json(201, {"client_id": cid,
                                    "redirect_uris": reg["redirect_uris"]})
        if u.path == "/token":
            f = dict(urllib.parse.parse_qsl(data.decode()))
            with st.lock:
                if f.get("grant_type") == "authorization_code":
                    q = st.codes.pop(f.get("code"), None)
                    ch = base64.urlsafe_b64encode(hashlib.sha256(
                        f.get("code_verifier", "").encode()).digest())
                    if (q is None or ch.decode().rstrip("=") !=
                            q["code_challenge"] or
                            f.get("redirect_uri") != q["redirect_uri"] or
                            f.get("resource") != st.base + "/mcp"):
                        return self.send_json(400, {"error": "invalid_grant"})
                    st.count["code"] += 1
                    return self.send_json(200, st.tokens())
                if f.get("grant_type") == "refresh_token":
                    st.count["refresh"] += 1
                    rt = f.get("refresh_token")
                    if st.refresh_down > 0:
                        st.refresh_down -= 1
                        return self.send_json(503, {"error": "unavailable"})
                    if st.refuse_refresh or rt not in st.refresh:
                        return self.send_json(400, {"error": "invalid_grant"})
                    st.refresh.discard(rt)      # rotation: spent
                    return self.send_json(200, st.tokens())
            return self.send_json(400, {"error": "unsupported_grant_type"})
        if u.path != "/mcp":
            return self.send_json(404)
        auth = self.headers.get("Authorization", "")
        with st.lock:
            ok = auth.startswith("Bearer ") and auth[7:] in st.access
            st.used.append(auth[7:])
            if not ok:
                st.count["401"] += 1
        if not ok:
            return self.send_json(401, {"error": "invalid_token"}, {
                "WWW-Authenticate": 'Bearer resource_metadata="%s/.well-'
                'known/oauth-protected-resource/mcp"' % st.base})
        msg = json.loads(data)
        if "id" not in msg:
            return self.send_json(202)
        if msg["method"] == "initialize":
            res = {"protocolVersion": VERSION, "capabilities":
                   {"tools": {}}, "serverInfo": {"name": "t", "version": "1"}}
        elif msg["method"] == "tools/list":
            res = {"tools": [{"name": "t", "inputSchema": {"type":
                                                           "object"}}]}
        else:
            res = {}
        self.send_json(200, {"jsonrpc": "2.0", "id": msg["id"], "result": res})

    def do_DELETE(self):
        self.note()
        self.send_json(405)


class OAuthServer(MockServer):
    """st.base: its base URL, the issuer and the resource's prefix."""
    handler = OAuthHandler
    state = OAuthState

    def __init__(self):
        MockServer.__init__(self)
        self.st.base = "http://127.0.0.1:%d" % self.port
