# SPDX-License-Identifier: ISC
# faultlib.py: what the fault tests (tests/fault-*.py) and scripts/soak
# share on top of tests/mcptest: the bridge as they run it, a Streamable
# HTTP session and a legacy one over keep-alive connections, and the MCP
# calls.  Python 3 standard library only; loopback only.
import resource
import sys
import time

from mcptest import bridge as _bridge
from mcptest import run as _run
# What the fault tests and scripts/soak import from here.
from mcptest.bridge import BRIDGE, SERVER  # noqa: F401
from mcptest.run import Failure, check  # noqa: F401
from mcptest.wire import (ACCEPT_BOTH, Conn, Response, metrics,  # noqa: F401
                          note, request, rpc)

VERSION = "2025-06-18"


def raise_nofile(want=4096):
    """Lets this process hold many sockets (the tests open hundreds)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def Bridge(*args, timeout=20, stop_timeout=15, **kw):
    """mcpbridge serve as the fault tests run it: --drain-timeout 1s, 20 s
    to print its URL, 15 s to stop (see mcptest.bridge.Bridge)."""
    return _bridge.Bridge("--drain-timeout", "1s", *args, timeout=timeout,
                          stop_timeout=stop_timeout, **kw)


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
        body = r.final()
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
        return r.status, r.final()

    def delete(self):
        r = self.conn.request("DELETE", "/mcp", mcp_headers(self.sid))
        r.body()
        return r.status

    def close(self, reset=False):
        self.conn.close(reset)


class Stream:
    """A legacy event stream as the fault tests and scripts/soak read it:
    message() is the next JSON-RPC message itself (Response.next_json)."""

    def __init__(self, response):
        self.response = response
        self.status = response.status

    def event(self):
        return self.response.event()

    def message(self):
        return self.response.next_json()


class Legacy:
    """A legacy HTTP+SSE session: its event stream and the POST path."""

    def __init__(self, bridge, timeout=30):
        self.bridge = bridge
        self.stream_conn = Conn(bridge, timeout)
        self.stream = Stream(self.stream_conn.request(
            "GET", "/sse", {"Accept": "text/event-stream"}))
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
    _run.need_built()
    raise_nofile()
    sys.stdout.reconfigure(errors="backslashreplace")
    _run.main(test, *args, timeout=timeout, bridge=Bridge, env=env,
              nofile=nofile, wrapper=wrapper)
