# SPDX-License-Identifier: ISC
# bridge.py: mcpbridge as a process, from the build the test runs in
# (top_builddir): `serve` on a free loopback port in front of the test
# server, tests/mcpbridge-test-server (or a command), and `client` driven
# over its stdin and stdout as a local MCP client would.  Every wait here
# has a deadline.
import json
import os
import queue
import resource
import select
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

from mcptest.run import Failure
from mcptest.wire import Response, request


def read_shared(f):
    """All of a file that a process writes through the same open file
    (its stderr), leaving the offset alone: a seek here would put the
    process's next write over the first lines of the file."""
    fd = f.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0)


TOP = os.environ.get("top_builddir", ".")
BRIDGE = os.path.join(TOP, "src", "mcpbridge")
SERVER = os.path.join(TOP, "tests", "mcpbridge-test-server")


def free_port():
    """A loopback port nothing listens on, as of now (for a listener the
    test names itself: --metrics-listen, a balancer)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Bridge:
    """mcpbridge serve --port PORT --print-url ARGS -- COMMAND (a free
    port and the test server by default).  env: variables added to its
    environment; nofile: its RLIMIT_NOFILE, soft and hard, so it cannot
    raise it; wrapper: argv to run it under; log: a file for its stderr (a
    temporary one by default).  timeout: how long it has to print its URL;
    stop_timeout: how long stop() waits after SIGTERM before SIGKILL.
    config: a --config file naming the server(s), instead of a command."""

    def __init__(self, *args, env=None, nofile=None, command=None,
                 wrapper=None, timeout=10, stop_timeout=5, log=None,
                 port=0, config=None):
        environ = None
        if env is not None:
            environ = dict(os.environ)
            environ.update(env)
        pre = None
        if nofile is not None:
            def pre():
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.logpath = log
        self.log = open(log, "wb") if log else tempfile.TemporaryFile()
        self.stop_timeout = stop_timeout
        argv = (wrapper or []) + [BRIDGE, "serve", "--port", str(port),
                                  "--print-url"]
        argv += list(args)
        if config is not None:
            argv += ["--config", config]
        else:
            argv += ["--"] + (command or [SERVER])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=self.log, env=environ,
                                     preexec_fn=pre)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("http"):
            self.stop()
            raise Failure("no URL printed: %r\n%s" % (line, self.stderr()))
        self.url = line.strip()
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port, self.base = u.hostname, u.port, u.path
        self.hostport = u.netloc
        self.headers = {}       # sent with every request (wire.py)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=None):
        """SIGTERM (the bridge stops its children itself), SIGKILL after
        timeout seconds (stop_timeout by default): its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout or self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def stderr(self):
        if self.logpath:
            with open(self.logpath, "rb") as f:
                return f.read().decode(errors="replace")
        return read_shared(self.log).decode(errors="replace")

    def wait_log(self, text, timeout=10):
        """True once text is in the log.  The access log is buffered
        (flushed within a second), so a line about a request may come
        after its answer."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.stderr():
                return True
            time.sleep(0.05)
        return False

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
        """Until GET /readyz says 200, within timeout seconds."""
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


def wait_ready(b):
    """Until GET /readyz says 200: 100 tries 50 ms apart."""
    for _ in range(100):
        r = Response(b, "GET", "/readyz")
        status = r.status
        r.body()
        r.close()
        if status == 200:
            return
        time.sleep(0.05)
    raise Failure("never ready")


# ---- client mode ----

VERSION = "2025-11-25"      # what the local client asks for, and mock.py
INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": VERSION,
                   "capabilities": {"sampling": {}},
                   "clientInfo": {"name": "client-faults", "version": "1"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}

CLIENTS = []    # every Client started, for run.scenarios to report on


def not_json(word):
    raise ValueError("%s is not JSON" % word)


def loads(line):
    """What a strict local client takes: no NaN or Infinity."""
    return json.loads(line, parse_constant=not_json)


def call(i, name, **args):
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call",
            "params": {"name": name, "arguments": args}}


class Client:
    """mcpbridge [--log-level debug] client ARGS URL, with us as its local
    client: send() writes a line to its stdin, recv() reads one off its
    stdout (a reader thread queues them), finish() closes stdin and
    collects what is left and the exit status.  log: a file for its
    stderr (a temporary one by default)."""

    def __init__(self, url, *args, env=None, debug=True, log=None):
        CLIENTS.append(self)
        self.logpath = log
        self.log = open(log, "wb") if log else tempfile.TemporaryFile()
        level = ["--log-level", "debug"] if debug else []
        self.p = subprocess.Popen(
            [BRIDGE] + level + ["client", *args, url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            env=env)
        self.lines = queue.Queue()
        # Cleared, the reader stops taking lines off the pipe: the local
        # client "reads nothing", which is what backpressure is about.
        self.reading = threading.Event()
        self.reading.set()
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        while True:
            self.reading.wait()
            line = self.p.stdout.readline()
            if not line:
                break
            self.lines.put(line)
        self.lines.put(None)

    def wait_log(self, text, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.stderr():
                return True
            time.sleep(0.05)
        return False

    def send(self, msg):
        if not isinstance(msg, str):
            msg = json.dumps(msg)
        self.p.stdin.write((msg + "\n").encode())
        self.p.stdin.flush()

    def recv(self, timeout=10):
        line = self.lines.get(timeout=timeout)
        if line is None:
            raise AssertionError("stdout closed")
        return loads(line)

    def nothing_more(self, wait=0.3):
        try:
            line = self.lines.get(timeout=wait)
        except queue.Empty:
            return True
        return line is None

    def finish(self, timeout=15):
        self.p.stdin.close()
        rest = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                break
            rest.append(loads(line))
        status = self.p.wait(timeout=timeout)
        log = self.stderr()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            assert bad not in log, "sanitizer report in the log"
        return status, rest

    def stderr(self):
        if self.logpath:
            with open(self.logpath, "rb") as f:
                return f.read().decode(errors="replace")
        return read_shared(self.log).decode(errors="replace")

    def handshake(self):
        self.send(INIT)
        r = self.recv()
        assert r["id"] == 0 and "result" in r, r
        self.send(INITIALIZED)
