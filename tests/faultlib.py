# faultlib.py: what the fault tests (tests/fault-*.py) and scripts/soak
# share: the bridge as a process (its URL, its child, its memory), a small
# HTTP/1.1 client that reads event streams as they come, and the MCP calls.
# Python 3 standard library only; loopback only.
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
VERSION = "2025-06-18"


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def raise_nofile(want=4096):
    """Lets this process hold many sockets (the tests open hundreds)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


class Bridge:
    """mcpbridge serve on a free loopback port, in front of the example
    server (or command).  nofile: the descriptor limit it runs under (it
    cannot raise it: soft and hard are both set)."""

    def __init__(self, *args, env=None, nofile=None, command=None,
                 wrapper=None, timeout=20):
        environ = dict(os.environ)
        environ.update(env or {})
        self.log = tempfile.TemporaryFile()
        pre = None
        if nofile is not None:
            def pre():
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        argv = (wrapper or []) + [BRIDGE, "serve", "--port", "0",
                                  "--print-url", "--drain-timeout", "1s"]
        argv += list(args) + ["--"] + (command or [SERVER])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=self.log, env=environ,
                                     preexec_fn=pre)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("http://"):
            self.stop()
            raise Failure("no URL printed: %r\n%s" % (line, self.stderr()))
        self.url = line.strip()
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port, self.base = u.hostname, u.port, u.path
        self.hostport = u.netloc

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def stderr(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def status(self, key):
        """A field of /proc/PID/status, in kB for the memory ones."""
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None

    def rss_kb(self):
        return self.status("VmRSS")

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def sanitized(self):
        """Built with AddressSanitizer: its RSS says little (quarantine),
        LeakSanitizer at exit says more."""
        try:
            with open("/proc/%d/maps" % self.pid) as f:
                return "libasan" in f.read()
        except OSError:
            return False

    def children(self):
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
            except OSError:
                continue
            # pid (comm) state ppid ...; comm may hold spaces.
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == self.pid and fields[0] != "Z":
                pids.append(int(d))
        return pids

    def wait_ready(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                r = request(self, "GET", "/readyz", timeout=5)
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise Failure("never ready")

    def wait_child(self, old=None, timeout=20):
        """The child's pid, once there is one (other than old) and the
        bridge is ready."""
        end = time.time() + timeout
        while time.time() < end:
            kids = [p for p in self.children() if p != old]
            if kids:
                self.wait_ready(max(1, end - time.time()))
                return kids[0]
            time.sleep(0.01)
        raise Failure("no child (old %r)" % old)


class Response:
    """One HTTP response read incrementally off a connection: body(),
    or SSE events one at a time with event()/message()."""

    def __init__(self, conn, head_only=False):
        self.conn = conn
        f = conn.f
        line = f.readline().decode(errors="replace")
        if line == "":
            raise Failure("connection closed without a response")
        check(line.startswith("HTTP/1."), "bad status line %r" % line)
        self.status = int(line.split()[1])
        self.headers = {}
        while True:
            line = f.readline().decode(errors="replace")
            if line in ("\r\n", "\n", ""):
                break
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "")
        if self.chunked:
            self.left = -1
        elif "content-length" in self.headers:
            self.left = int(self.headers["content-length"])
        elif head_only or self.status in (204, 304):
            self.left = 0
        else:
            self.left = -1          # to the end of the connection
        self.pending = b""
        self.eof = False

    def _fill(self):
        f = self.conn.f
        if self.eof:
            return False
        if self.chunked:
            line = f.readline()
            if not line:
                raise Failure("connection closed inside a chunked body")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                f.readline()
                self.eof = True
                return False
            self.pending += f.read(size)
            f.readline()
            return True
        if self.left == 0:
            self.eof = True
            return False
        data = f.read1(65536 if self.left < 0 else min(self.left, 65536))
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
        ev, data = {}, None
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
            if ev["data"] != "" and ev.get("event", "message") == "message":
                return json.loads(ev["data"])

    def answer(self):
        """The JSON-RPC answer of a POST: the JSON body, or the final
        event of its stream (the response, not progress or requests)."""
        if "event-stream" not in self.headers.get("content-type", ""):
            return self.json()
        last = None
        while True:
            m = self.message()
            if m is None:
                return last
            if "result" in m or "error" in m or isinstance(m, list):
                last = m


class Conn:
    """A keep-alive HTTP/1.1 connection to the bridge."""

    def __init__(self, bridge, timeout=30):
        self.bridge = bridge
        self.sock = socket.create_connection((bridge.host, bridge.port),
                                             timeout=timeout)
        self.f = self.sock.makefile("rb")

    def send(self, method, path, headers=None, body=None):
        hdrs = {"Host": self.bridge.hostport}
        hdrs.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        req = "%s %s HTTP/1.1\r\n" % (method, self.bridge.base + path)
        req += "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
        self.sock.sendall(req.encode() + (body or b""))

    def request(self, method, path, headers=None, body=None):
        self.send(method, path, headers, body)
        return Response(self, head_only=(method == "HEAD"))

    def response(self):
        return Response(self)

    def close(self, reset=False):
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


def request(bridge, method, path, headers=None, body=None, timeout=30):
    """One request on its own connection; the body is read and the
    connection closed."""
    c = Conn(bridge, timeout)
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


def call(id, tool, progress=None, **arguments):
    params = {"name": tool, "arguments": arguments}
    if progress is not None:
        params["_meta"] = {"progressToken": progress}
    return rpc(id, "tools/call", params)


def mcp_headers(sid=None):
    h = {"Content-Type": "application/json", "Accept": ACCEPT_BOTH,
         "MCP-Protocol-Version": VERSION}
    if sid is not None:
        h["Mcp-Session-Id"] = sid
    return h


class Session:
    """A Streamable HTTP session over one keep-alive connection."""

    def __init__(self, bridge, conn=None):
        self.bridge = bridge
        self.conn = conn or Conn(bridge)
        r = self.conn.request("POST", "/mcp", mcp_headers(), rpc(
            0, "initialize", {"protocolVersion": VERSION,
                              "capabilities": {},
                              "clientInfo": {"name": "fault", "version": "1"}}))
        body = r.answer()
        check(r.status == 200 and body and "result" in body,
              "initialize: %d %r" % (r.status, body))
        self.sid = r.headers.get("mcp-session-id")
        check(self.sid, "no Mcp-Session-Id")
        r = self.conn.request("POST", "/mcp", mcp_headers(self.sid),
                              note("notifications/initialized"))
        r.body()
        check(r.status == 202, "initialized: %d" % r.status)

    def post(self, msg):
        """(status, answer): the answer is the JSON-RPC message."""
        r = self.conn.request("POST", "/mcp", mcp_headers(self.sid), msg)
        return r.status, r.answer()

    def delete(self):
        r = self.conn.request("DELETE", "/mcp", mcp_headers(self.sid))
        r.body()
        return r.status

    def close(self, reset=False):
        self.conn.close(reset)


class Legacy:
    """A legacy HTTP+SSE session: its event stream and the POST path."""

    def __init__(self, bridge, timeout=30):
        self.bridge = bridge
        self.stream_conn = Conn(bridge, timeout)
        self.stream = self.stream_conn.request(
            "GET", "/sse", {"Accept": "text/event-stream"})
        check(self.stream.status == 200, "GET /sse: %d" %
              self.stream.status)
        ev = self.stream.event()
        check(ev is not None and ev.get("event") == "endpoint",
              "no endpoint event: %r" % ev)
        self.endpoint = ev["data"][len(bridge.base):]
        self.conn = Conn(bridge, timeout)

    def post(self, msg):
        r = self.conn.request("POST", self.endpoint,
                              {"Content-Type": "application/json"}, msg)
        r.body()
        return r.status

    def initialize(self):
        check(self.post(rpc(0, "initialize", {
            "protocolVersion": "2024-11-05", "capabilities": {},
            "clientInfo": {"name": "fault", "version": "1"}})) == 202,
            "legacy initialize")
        m = self.stream.message()
        check(m is not None and m.get("id") == 0 and "result" in m,
              "legacy initialize answer %r" % m)
        self.post(note("notifications/initialized"))

    def close(self, reset=False):
        self.stream_conn.close(reset)
        self.conn.close(reset)


def echo_ok(bridge, text="ping"):
    """A new session on a new connection can call a tool."""
    s = Session(bridge)
    try:
        status, ans = s.post(call(1, "echo", message=text))
        check(status == 200 and ans and "result" in ans and
              ans["result"]["content"][0]["text"] == text,
              "echo on a fresh session: %d %r" % (status, ans))
        s.delete()
    finally:
        s.close()


def metrics(bridge):
    """GET /metrics as {"name{labels}": value}."""
    r = request(bridge, "GET", "/metrics")
    check(r.status == 200, "/metrics: %d" % r.status)
    out = {}
    for line in r.data.decode().splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            out[k] = float(v)
    return out


def gauge(m, name):
    """A metric summed over its labels."""
    return sum(v for k, v in m.items() if k == name or
               k.startswith(name + "{"))


def settle_rss(bridge, seconds=1.0):
    """RSS once the bridge has had a moment (freed memory goes back to
    the allocator's free lists, not always to the system: so 'near')."""
    time.sleep(seconds)
    return bridge.rss_kb()


def main(test, *args, env=None, nofile=None, timeout=120, wrapper=None):
    """Runs test(bridge) against a fresh bridge; exit 0 pass, 1 fail,
    77 skip.  The bridge must stop with status 0 and no sanitizer
    report."""
    if not (os.access(BRIDGE, os.X_OK) and os.access(SERVER, os.X_OK)):
        print("SKIP: %s or %s not built" % (BRIDGE, SERVER))
        sys.exit(77)
    raise_nofile()
    sys.stdout.reconfigure(errors="backslashreplace")

    def alarm(*_):
        raise Failure("timed out after %d s" % timeout)
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout)
    b = Bridge(*args, env=env, nofile=nofile, wrapper=wrapper)
    try:
        test(b)
        signal.alarm(30)
        status = b.stop()
    except (Failure, OSError, ValueError, KeyError, TypeError) as e:
        b.stop()
        print("FAIL: %s: %s" % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
        print("---- bridge stderr (tail) ----")
        print(b.stderr()[-20000:])
        sys.exit(1)
    finally:
        b.stop()
    err = b.stderr()
    if re.search(r"Sanitizer|runtime error:", err) or status != 0:
        print("FAIL: exit status %s or sanitizer report" % status)
        print(err[-20000:])
        sys.exit(1)
    print("PASS")
    sys.exit(0)
