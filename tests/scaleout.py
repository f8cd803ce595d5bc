#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# scaleout.py: three instances, each with its own --instance-id, behind
# HAProxy and then behind nginx, configured by scripts/haproxy.cfg.example
# and scripts/nginx.conf.example with only the addresses, the port and the
# log target replaced.  30 clients over both transports (raw HTTP) and two
# `mcpbridge client`s get their own answers only, each request routed by the
# prefix of its session id; 2026-07-28 clients' retries after an
# input_required result reach the instance that holds the call.  Then one
# instance is drained (SIGTERM): its calls in flight finish and the
# balancer gives it no new session; another is killed (SIGKILL): its
# clients get 404 and start new sessions, which mcpbridge client does
# without its local client noticing.  Clients of the survivor see
# nothing; no request is answered twice or to another client.
# Prints what each instance served.
# Exit 0 pass, 1 fail, 77 skip (neither haproxy nor nginx installed, unless
# MCPBRIDGE_REQUIRE_NODE is set: CI installs them).
import functools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import wire  # noqa: E402
from mcptest.bridge import Bridge, Client, free_port  # noqa: E402
from mcptest.run import Failure, check, need_built  # noqa: E402
from mcptest.wire import (ACCEPT_BOTH, Endpoint, note, rpc,  # noqa: E402
                          text_of)

SRCDIR = os.environ.get("top_srcdir", os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VERSION = "2025-06-18"
NAMES = ["mcp1", "mcp2", "mcp3"]	# the server names in the examples
CLIENTS = 30				# raw clients, half on each transport
DELAY_MS = 5000				# calls in flight while draining
CHECK_WINDOW_S = 2.5			# HAProxy: inter 1s, fall 2
TRIES = 60				# a call's tries through lost sessions
STARTED = []				# every process started, for the end
STOP = threading.Event()		# the clients' threads stop


def find_program(name):
    path = os.environ.get("PATH", "") + ":/usr/sbin:/usr/local/sbin:/sbin"
    return shutil.which(name, path=path)


# ---- HTTP (mcptest.wire) ----

# Through a balancer, a chunked body cut short is an instance that died:
# the end of the body, which the clients below take as a lost session.
Response = functools.partial(wire.Response, timeout=15, cut_ends=True)


def init_params(name):
    return {"protocolVersion": VERSION, "capabilities": {},
            "clientInfo": {"name": name, "version": "1"}}


def instance_of(sid):
    return sid.split(".", 1)[0]


# ---- the instances and the balancers ----

class Instance(Bridge):
    """One instance: mcpbridge serve --instance-id NAME, its log in tmp."""

    def __init__(self, tmp, name):
        self.name = name
        Bridge.__init__(self, "--instance-id", name, stop_timeout=10,
                        log=os.path.join(tmp, "%s.log" % name))
        STARTED.append(self.proc)
        self.ep = Endpoint(self.port)

    def get(self, path):
        r = Response(self.ep, "GET", path, timeout=5)
        data = r.body()
        r.close()
        return r.status, data

    def wait_ready(self):
        for _ in range(100):
            if self.get("/readyz")[0] == 200:
                return
            time.sleep(0.05)
        raise Failure("%s never ready" % self.name)

    def metrics(self):
        status, data = self.get("/metrics")
        check(status == 200, "%s /metrics: %d" % (self.name, status))
        values = {}
        for line in data.decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                values[k] = float(v)
        return values

    def sessions_created(self):
        m = self.metrics()
        return sum(v for k, v in m.items()
                   if k.startswith("mcpbridge_sessions_created_total"))

    def served(self):
        """From its access log: (MCP requests, tools/call answered or,
        on the legacy transport, accepted)."""
        lines = re.findall(r"info: \S+ [A-Z]+ /(?:mcp|sse|message) "
                           r"(\d{3}) \d+ms(.*)", self.stderr())
        return len(lines), sum(1 for status, rest in lines
                               if status in ("200", "202") and
                               " tools/call" in rest)

    def child_pid(self):
        m = re.search(r"child started \(pid (\d+)\)", self.stderr())
        return int(m.group(1)) if m else None


def configure(text, replacements):
    """The example with its addresses replaced; each must be there."""
    for old, new in replacements:
        check(old in text, "%r is not in the example any more" % old)
        text = text.replace(old, new)
    return text


def example(name):
    with open(os.path.join(SRCDIR, "scripts", name)) as f:
        return f.read()


def addresses(instances):
    return [("10.0.0.%d:8000" % (i + 1), "127.0.0.1:%d" % inst.ep.port)
            for i, inst in enumerate(instances)]


class Balancer:
    def __init__(self, tmp, kind, argv):
        self.kind = kind
        self.logpath = os.path.join(tmp, "%s.log" % kind)
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        STARTED.append(self.proc)
        # Up once it proxies /readyz to an instance.
        for _ in range(100):
            check(self.proc.poll() is None, "%s exited:\n%s" %
                  (kind, self.output()))
            try:
                r = Response(self.ep, "GET", "/readyz", timeout=2)
                r.body()
                r.close()
                if r.status == 200:
                    return
            except (OSError, Failure):
                pass
            time.sleep(0.1)
        raise Failure("%s never proxied /readyz:\n%s" % (kind, self.output()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def output(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")


class HAProxy(Balancer):
    def __init__(self, prog, tmp, instances):
        port = free_port()
        self.ep = Endpoint(port)
        cfg = os.path.join(tmp, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(configure(example("haproxy.cfg.example"), [
                ("bind :8080", "bind 127.0.0.1:%d" % port),
                ("log /dev/log local0", "log stderr format raw local0")] +
                addresses(instances)))
        Balancer.__init__(self, tmp, "haproxy", [prog, "-db", "-f", cfg])


class Nginx(Balancer):
    def __init__(self, prog, tmp, instances):
        port = free_port()
        self.ep = Endpoint(port)
        d = os.path.join(tmp, "nginx")
        os.mkdir(d)
        with open(os.path.join(d, "mcpbridge.conf"), "w") as f:
            f.write(configure(example("nginx.conf.example"), [
                ("listen 8080;", "listen 127.0.0.1:%d;" % port)] +
                addresses(instances)))
        # The main file around it: everything in the temporary folder,
        # one process in the foreground.
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("daemon off;\nmaster_process off;\n"
                    "pid %(d)s/nginx.pid;\nerror_log %(d)s/error.log;\n"
                    "events { worker_connections 1024; }\n"
                    "http {\n\taccess_log %(d)s/access.log;\n"
                    "\tclient_body_temp_path %(d)s/client_body;\n"
                    "\tproxy_temp_path %(d)s/proxy;\n"
                    "\tfastcgi_temp_path %(d)s/fastcgi;\n"
                    "\tuwsgi_temp_path %(d)s/uwsgi;\n"
                    "\tscgi_temp_path %(d)s/scgi;\n"
                    "\tinclude %(d)s/mcpbridge.conf;\n}\n" % {"d": d})
        Balancer.__init__(self, tmp, "nginx", [
            prog, "-p", d + "/", "-e", os.path.join(d, "error.log"),
            "-c", os.path.join(d, "nginx.conf")])


# ---- clients ----

MODERN = "2026-07-28"
MODERN_META = {"io.modelcontextprotocol/protocolVersion": MODERN,
               "io.modelcontextprotocol/clientCapabilities": {
                   "elicitation": {}},
               "io.modelcontextprotocol/clientInfo": {"name": "scaleout",
                                                      "version": "1"}}
MODERN_ROUNDS = 9	# by chance all nine retries would reach their
			# instance once in 3^9


def modern_call(ep, rid, tool, extra=None):
    """One 2026-07-28 tools/call (no session) through the balancer."""
    params = {"name": tool, "arguments": {}, "_meta": MODERN_META}
    params.update(extra or {})
    r = Response(ep, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call",
        "Mcp-Name": tool}, rpc(rid, "tools/call", params))
    try:
        if r.status != 200:
            raise Failure("modern %s: HTTP %d %r" % (tool, r.status,
                                                      r.body()))
        return r.answer()
    finally:
        r.close()


def modern_rounds(kind, ep, instances):
    """input_required, then the retry with the answer: the retry must
    reach the instance whose child holds the call.  HAProxy finds it in
    the requestState, so there the first call goes straight to each
    instance in turn; nginx goes by the client's address, so there both
    go through it."""
    tool = "test_input_required_result_elicitation"
    issuers = {}
    for i in range(MODERN_ROUNDS):
        direct = NAMES[i % len(NAMES)] if kind == "haproxy" else None
        first = modern_call(instances[direct].ep if direct else ep,
                            "m%d" % i, tool)
        res = first.get("result", {})
        check(res.get("resultType") == "input_required",
              "modern: %r" % first)
        state = res["requestState"]
        issuer = state.split(".", 1)[0]
        check(issuer in NAMES and issuer == (direct or issuer),
              "requestState %r from %s" % (state, direct))
        issuers[issuer] = issuers.get(issuer, 0) + 1
        name = "Al%d" % i
        done = modern_call(ep, "r%d" % i, tool, {
            "requestState": state, "inputResponses": {"user_name": {
                "action": "accept", "content": {"name": name}}}})
        check(done.get("id") == "r%d" % i and "result" in done,
              "modern retry through %s: %r" % (kind, done))
        check(text_of(done) == "Hello, %s!" % name,
              "modern retry got %r" % text_of(done))
    print("# %s: %d input_required retries reached their instance %r" %
          (kind, MODERN_ROUNDS, issuers))

class Lost(Exception):
    """The session is gone (404, or its connection broke): start anew."""


class Busy(Exception):
    """503: the instance is draining; try again shortly."""


class RawClient:
    """What every client counts: answers by instance, sessions lost,
    503s, and anything that must never happen (violations)."""

    def __init__(self, lb, name):
        self.lb, self.name = lb, name
        self.instance = None
        self.visited = []
        self.next_id = 1
        self.seq = 0
        self.lost = self.busy = 0
        self.served = {}
        self.violations = []

    def token(self):
        self.seq += 1
        return "%s#%d" % (self.name, self.seq)

    def call(self, tool="echo", args=None):
        """One tools/call, answered exactly once, through whatever happens
        to the instances; returns the instance that answered."""
        token = self.token()
        args = dict(args or {}, message=token)
        for _ in range(TRIES):
            try:
                if self.instance is None:
                    self.open()
                rid = self.next_id
                self.next_id += 1
                answer = self.request(rid, rpc(rid, "tools/call", {
                    "name": tool, "arguments": args}))
            except Busy:
                self.busy += 1
                time.sleep(0.2)
                continue
            except Lost:
                self.lost += 1
                self.forget()
                continue
            check(answer.get("id") == rid and "result" in answer,
                  "%s: %r for id %d" % (self.name, answer, rid))
            check(text_of(answer) == token, "%s asked %r, got %r" %
                  (self.name, token, text_of(answer)))
            self.served[self.instance] = self.served.get(self.instance,
                                                         0) + 1
            return self.instance
        raise Failure("%s: %s never answered" % (self.name, token))

    def opened(self, sid):
        # The prefix, then at least 128 random bits, visible ASCII.
        check(re.fullmatch(r"(%s)\.[0-9a-f]{32}" % "|".join(NAMES), sid),
              "%s: session id %r" % (self.name, sid))
        self.instance = instance_of(sid)
        self.visited.append(self.instance)


class StreamClient(RawClient):
    kind = "streamable"

    def post(self, msg, sid):
        h = {"Content-Type": "application/json", "Accept": ACCEPT_BOTH}
        if sid is not None:
            h["Mcp-Session-Id"] = sid
            h["MCP-Protocol-Version"] = VERSION
        try:
            r = Response(self.lb, "POST", "/mcp", h, msg)
        except (OSError, Failure):
            raise Lost()
        try:
            if r.status == 503:
                raise Busy()
            if r.status in (404, 502):
                raise Lost()
            check(r.status in (200, 202), "%s: HTTP %d" %
                  (self.name, r.status))
            return r.status, r.headers, (r.answer() if r.status == 200
                                         else None)
        except (OSError, ValueError):
            raise Lost()		# cut short: the instance died
        finally:
            r.close()

    def open(self):
        for _ in range(TRIES):
            try:
                _, hdrs, answer = self.post(rpc(0, "initialize",
                                                init_params(self.name)), None)
                sid = hdrs.get("mcp-session-id")
                check(sid is not None and "result" in answer,
                      "%s: initialize %r" % (self.name, answer))
                self.post(note("notifications/initialized"), sid)
            except Busy:
                self.busy += 1
                time.sleep(0.2)
                continue
            except Lost:
                self.lost += 1
                continue
            self.sid = sid
            self.opened(sid)
            return
        raise Failure("%s: no session" % self.name)

    def forget(self):
        self.instance = None

    def request(self, rid, msg):
        return self.post(msg, self.sid)[2]


class LegacySession:
    """One GET /sse stream and what its reader thread sees on it."""

    def __init__(self, client, stream, endpoint):
        self.client, self.stream, self.endpoint = client, stream, endpoint
        self.cond = threading.Condition()
        self.waiting = set()
        self.answers = {}
        self.closed = False
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        try:
            while True:
                ev = self.stream.event()
                if ev is None:
                    break
                if ev.get("event", "message") != "message":
                    continue
                msg = json.loads(ev["data"])
                if "method" in msg:
                    continue
                with self.cond:
                    rid = msg.get("id")
                    if rid not in self.waiting:
                        self.client.violations.append(
                            "%s: answer to %r, which it did not ask or "
                            "had its answer: %r" % (self.client.name, rid,
                                                    msg))
                    self.waiting.discard(rid)
                    self.answers[rid] = msg
                    self.cond.notify_all()
        except (OSError, ValueError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def close(self):
        self.stream.close()


class LegacyClient(RawClient):
    kind = "sse"
    sess = None

    def post(self, msg):
        try:
            r = Response(self.lb, "POST", self.sess.endpoint,
                         {"Content-Type": "application/json"}, msg)
        except (OSError, Failure):
            raise Lost()
        try:
            r.body()
        except OSError:
            raise Lost()
        finally:
            r.close()
        if r.status == 503:
            raise Busy()
        if r.status in (404, 502):
            raise Lost()
        check(r.status == 202, "%s: HTTP %d" % (self.name, r.status))

    def request(self, rid, msg):
        s = self.sess
        with s.cond:
            s.waiting.add(rid)
        try:
            self.post(msg)
        except (Busy, Lost):
            with s.cond:
                s.waiting.discard(rid)
            raise
        deadline = time.monotonic() + 15
        with s.cond:
            while rid not in s.answers and not s.closed:
                left = deadline - time.monotonic()
                check(left > 0, "%s: no answer to %d" % (self.name, rid))
                s.cond.wait(left)
            if rid in s.answers:
                return s.answers.pop(rid)
        raise Lost()		# the stream ended first

    def open(self):
        for _ in range(TRIES):
            self.forget()
            try:
                r = Response(self.lb, "GET", "/sse",
                             {"Accept": "text/event-stream"})
            except (OSError, Failure):
                self.lost += 1
                continue
            if r.status == 503:
                r.close()
                self.busy += 1
                time.sleep(0.2)
                continue
            check(r.status == 200, "%s: GET /sse %d" % (self.name, r.status))
            try:
                ev = r.event()
            except OSError:
                ev = None
            if ev is None:
                r.close()
                self.lost += 1
                continue
            check(ev.get("event") == "endpoint", "%s: first event %r" %
                  (self.name, ev))
            self.sess = LegacySession(self, r, ev["data"])
            try:
                answer = self.request(0, rpc(0, "initialize",
                                             init_params(self.name)))
                check("result" in answer, "%s: initialize %r" %
                      (self.name, answer))
                self.post(note("notifications/initialized"))
            except Busy:
                self.busy += 1
                time.sleep(0.2)
                continue
            except Lost:
                self.lost += 1
                continue
            query = urllib.parse.urlsplit(ev["data"]).query
            self.opened(urllib.parse.parse_qs(query)["sessionId"][0])
            return
        raise Failure("%s: no session" % self.name)

    def forget(self):
        self.instance = None
        if self.sess is not None:
            self.sess.close()
            self.sess = None


class BridgeClient(Client):
    """mcpbridge client between the balancer and a local client (us):
    every call must be answered as if nothing happened.  In the legacy era
    (sessions pinned by the balancer, rebuilt after a 404), which is what
    this scenario is about; serve would speak 2026-07-28 otherwise."""

    def __init__(self, tmp, lb, transport, name):
        self.name = name
        path = "/mcp" if transport == "streamable" else "/sse"
        Client.__init__(self, "http://%s%s" % (lb.hostport, path), "--era",
                        "legacy", "--transport", transport, debug=False,
                        log=os.path.join(tmp, "%s.log" % name))
        STARTED.append(self.p)
        self.next_id = 1
        self.seq = 0
        self.answered = 0
        self.instance = None
        self.send(rpc(0, "initialize", init_params(name)))
        check("result" in self.wait(0), "%s: initialize" % name)
        self.send(note("notifications/initialized"))

    def wait(self, rid):
        deadline = time.monotonic() + 30
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline -
                                                  time.monotonic()))
            except queue.Empty:
                raise Failure("%s: no answer to %d:\n%s" %
                              (self.name, rid, self.stderr()))
            check(line is not None, "%s exited:\n%s" %
                  (self.name, self.stderr()))
            msg = json.loads(line)
            if "method" in msg:
                continue
            check(msg.get("id") == rid, "%s: waiting for %d, got %r" %
                  (self.name, rid, msg))
            return msg

    def call(self):
        self.seq += 1
        token = "%s#%d" % (self.name, self.seq)
        rid = self.next_id
        self.next_id += 1
        self.send(rpc(rid, "tools/call", {"name": "echo",
                                          "arguments": {"message": token}}))
        msg = self.wait(rid)
        check("result" in msg and text_of(msg) == token,
              "the local client of %s noticed: %r\n%s" %
              (self.name, msg, self.stderr()))
        self.answered += 1

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        return self.p.returncode


def in_threads(fn, items):
    """fn(item) for each item at once; the first failure is raised."""
    errors = []

    def run(item):
        try:
            fn(item)
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=run, args=(i,), daemon=True)
               for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not any(t.is_alive() for t in threads), "threads stuck")
    if errors:
        raise errors[0]


# ---- the scenario ----

def scenario(kind, prog, tmp):
    instances = {n: Instance(tmp, n) for n in NAMES}
    lb = None
    try:
        for inst in instances.values():
            inst.wait_ready()
        lb = (HAProxy if kind == "haproxy" else Nginx)(
            prog, tmp, list(instances.values()))
        run(kind, lb, instances, tmp)
    except Exception:
        for inst in instances.values():
            print("---- %s ----\n%s" % (inst.name, inst.stderr()[-3000:]))
        if lb is not None:
            print("---- %s ----\n%s" % (kind, lb.output()[-3000:]))
        raise
    finally:
        STOP.set()
        if lb is not None:
            lb.stop()
        for inst in instances.values():
            inst.stop()
            pid = inst.child_pid()
            if pid is not None and inst.proc.returncode == -signal.SIGKILL:
                # Its child sees EOF and leaves by itself; make sure.
                time.sleep(0.2)
                try:
                    with open("/proc/%d/cmdline" % pid, "rb") as f:
                        if b"mcpbridge-test-server" in f.read():
                            os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    for inst in instances.values():
        err = inst.stderr()
        check(not re.search(r"Sanitizer|runtime error:", err),
              "%s: sanitizer report:\n%s" % (inst.name, err))


def run(kind, lb, instances, tmp):
    ep = lb.ep
    # Two mcpbridge clients first, so that we know where they are.
    bridges = []
    for transport in ("streamable", "sse"):
        before = {n: i.sessions_created() for n, i in instances.items()}
        b = BridgeClient(tmp, ep, transport, "%s-client-%s" %
                         (kind, transport))
        bridges.append(b)
        b.call()
        after = {n: i.sessions_created() for n, i in instances.items()}
        new = [n for n in NAMES if after[n] > before[n]]
        check(len(new) == 1, "%s: sessions on %r" % (b.name, new))
        b.instance = new[0]

    # Opened one after the other, the kinds taking turns, for an even
    # spread.
    clients = []
    for i in range(CLIENTS):
        c = (StreamClient if i % 2 == 0 else LegacyClient)(
            ep, "%s-%s%02d" % (kind, "sl"[i % 2], i // 2))
        c.open()
        clients.append(c)
    spread = {n: sum(1 for c in clients if c.instance == n) for n in NAMES}
    check(all(spread[n] >= 3 for n in NAMES),
          "new sessions not spread: %r" % spread)
    in_threads(lambda c: [c.call() for _ in range(3)], clients)
    for b in bridges:
        b.call()
    check(all(c.lost == c.busy == 0 for c in clients),
          "trouble before any fault")
    print("# %s: %d sessions, %r; answers routed to their instances" %
          (kind, len(clients) + len(bridges), spread))
    modern_rounds(kind, ep, instances)

    # Who goes: the instance of the Streamable HTTP mcpbridge client is
    # killed, that of the legacy one (or another) drained.
    killed = bridges[0].instance

    def both_kinds(n):
        return len(set(c.kind for c in clients if c.instance == n)) == 2
    drained = [n for n in [bridges[1].instance] + NAMES
               if n != killed and both_kinds(n)][0]
    survivor = [n for n in NAMES if n not in (killed, drained)][0]
    home = {c: c.instance for c in clients}
    print("# %s: draining %s, killing %s, %s survives" %
          (kind, drained, killed, survivor))

    STOP.clear()
    errors = []

    def keep_calling(c, first=None):
        try:
            if first is not None:
                first()
            while not STOP.is_set():
                c.call()
                time.sleep(0.15)
        except Exception as e:
            errors.append(e)

    # Calls in flight on the one to drain, from both transports.
    slow = [c for c in clients if c.instance == drained and
            c.kind == "streamable"][:2]
    slow += [c for c in clients if c.instance == drained and
             c.kind == "sse"][:1]
    slow_done = {}

    def slow_call(c):
        def first():
            slow_done[c] = c.call("delay", {"ms": DELAY_MS})
        return first

    threads = [threading.Thread(target=keep_calling, args=(c, slow_call(c)
                                if c in slow else None), daemon=True)
               for c in clients]
    threads += [threading.Thread(target=keep_calling, args=(b,),
                                 daemon=True) for b in bridges]
    # The slow calls first, alone, so that the gauge counts them and
    # nothing else: with everybody calling, a quick call could stand in
    # for a slow one not yet there, which would then meet the drain's 503
    # and be answered elsewhere.
    slow_threads = [t for t, c in zip(threads, clients) if c in slow]
    for t in slow_threads:
        t.start()
    d = instances[drained]
    deadline = time.monotonic() + 5
    while d.metrics().get("mcpbridge_requests_in_flight", 0) < len(slow):
        check(time.monotonic() < deadline, "calls not in flight on %s" %
              drained)
        time.sleep(0.05)
    # The last of them arrived after the poll before: the drain lasts
    # until at least a poll's interval before now, plus their delay.
    t_slow = time.monotonic() - 0.1
    for t in threads:
        if t not in slow_threads:
            t.start()

    t_term = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 3
    while d.get("/readyz")[0] != 503:
        check(time.monotonic() < deadline and d.proc.poll() is None,
              "%s /readyz while draining" % drained)
        time.sleep(0.02)

    # New sessions while it drains: none there, and once the balancer has
    # seen /readyz (or the 503), not one refused.  Meanwhile another
    # instance is killed.
    probes = []
    k = instances[killed]
    while time.monotonic() < t_slow + DELAY_MS / 1000.0 - 1:
        if k.proc.poll() is None and time.monotonic() > t_term + 1:
            k.proc.kill()
            print("# %s: %s killed" % (kind, killed))
        p = StreamClient(ep, "%s-probe%02d" % (kind, len(probes)))
        late = time.monotonic() > t_term + CHECK_WINDOW_S
        p.open()
        p.call()
        probes.append((p, late and d.proc.poll() is None))
        time.sleep(0.1)
    check(k.proc.poll() is not None, "not killed")
    for p, late in probes:
        check(drained not in p.visited,
              "%s: new session on the draining %s" % (p.name, drained))
        check(not late or p.busy == 0, "%s: 503 %.1fs after SIGTERM" %
              (p.name, CHECK_WINDOW_S))
    check(any(late for _, late in probes), "no probe between the check "
          "window and the end of the drain")

    d.proc.wait(DELAY_MS / 1000.0 + 10)
    check(d.proc.returncode == 0, "%s exited %d" % (drained,
                                                   d.proc.returncode))
    deadline = time.monotonic() + 10
    while len(slow_done) < len(slow) and time.monotonic() < deadline:
        time.sleep(0.05)	# the answers may still be on their way
    for c in slow:
        check(slow_done.get(c) == drained, "%s: the call in flight was "
              "answered by %r" % (c.name, slow_done.get(c)))
    time.sleep(1.5)		# everybody runs into the losses
    STOP.set()
    for t in threads:
        t.join(30)
    check(not any(t.is_alive() for t in threads), "clients stuck")
    if errors:
        raise errors[0]

    # After the storm: everybody on the survivor, two more calls each.
    in_threads(lambda c: [c.call() for _ in range(2)], clients)
    for b in bridges:
        b.call()
    violations = [v for c in clients for v in c.violations]
    check(not violations, "\n".join(violations))
    for c in clients:
        check(c.instance == survivor, "%s ended on %s" % (c.name, c.instance))
        if home[c] == survivor:
            check(c.lost == c.busy == 0 and c.visited == [survivor],
                  "%s, on the survivor, saw %d lost sessions and %d 503s" %
                  (c.name, c.lost, c.busy))
        else:
            check(c.lost >= 1 and len(c.visited) >= 2,
                  "%s did not start a new session" % c.name)
    for b in bridges:
        check("starting a new session" in b.stderr(),
              "%s did not start a new session" % b.name)
        rc = b.close()
        check(rc == 0, "%s exited %d:\n%s" % (b.name, rc, b.stderr()))

    lost = sum(c.lost for c in clients if home[c] != survivor)
    busy = sum(c.busy for c in clients if home[c] != survivor)
    print("# %s: clients of %s and %s: %d sessions lost and re-opened, "
          "%d 503s waited out; clients of %s: nothing" %
          (kind, drained, killed, lost, busy, survivor))
    for n in NAMES:
        seen = sum(c.served.get(n, 0) for c in clients + [p for p, _ in
                                                          probes])
        requests, calls = instances[n].served()
        print("# %s: %s (%s) served %d MCP requests, %d tools/call; "
              "raw clients got %d answers from it" %
              (kind, n, "drained" if n == drained else "killed" if
               n == killed else "survivor", requests, calls, seen))
    print("# %s: mcpbridge clients: %d and %d calls, none noticed" %
          (kind, bridges[0].answered, bridges[1].answered))


def main():
    need_built()
    progs = {k: find_program(k) for k in ("haproxy", "nginx")}
    missing = [k for k, v in progs.items() if v is None]
    if missing:
        if os.environ.get("MCPBRIDGE_REQUIRE_NODE"):
            print("FAIL: %s not installed (scripts/setup installs them)" %
                  " and ".join(missing))
            sys.exit(1)
        if len(missing) == len(progs):
            print("SKIP: neither haproxy nor nginx installed")
            sys.exit(77)
        print("# %s not installed: skipped" % missing[0])
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        Failure("timed out")))
    signal.alarm(110)
    tmp = tempfile.mkdtemp(prefix="mcpbridge-scaleout.")
    start = time.monotonic()
    try:
        for kind in ("haproxy", "nginx"):
            if progs[kind] is not None:
                os.mkdir(os.path.join(tmp, kind + ".d"))
                scenario(kind, progs[kind], os.path.join(tmp, kind + ".d"))
    except (Failure, OSError, ValueError, KeyError, TypeError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
        sys.exit(1)
    finally:
        signal.alarm(0)
        STOP.set()
        # Whatever a failure left running: politely (the bridges stop
        # their children), then not.
        for p in STARTED:
            if p.poll() is None:
                p.terminate()
        for p in STARTED:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    print("# %.1fs" % (time.monotonic() - start))
    print("PASS")
    sys.exit(0)


if __name__ == "__main__":
    main()
