#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# remote.py: a --config file's remote servers ("url"), served on
# /servers/NAME/ like a local one through client mode's code.  A second
# bridge serves the test server on loopback behind a bearer token; the
# file names a local server, that bridge's /mcp (Streamable HTTP, its
# era probed) and its /sse ("type": "sse", the legacy transport), the
# token in a header from the environment.  A client on each remote route
# initializes, lists and calls tools and gets progress; /status names
# the URL.  The remote bridge stopped: its routes say not ready, a new
# session gets an error naming the URL, the local server goes on; the
# remote back on its port: served again, with the restart in /status.
# The token never shows in the log (debug, --trace=body, a message
# quoting it), /status or /metrics, nor reaches the local child's
# environment.  --check
# validates a remote entry, and refuses plain HTTP to another host
# unless allow-http.  A remote server with --isolation=session works,
# and SIGHUP adds one that names the variables the others took.  A
# remote server with sessions (mock.py's) that forgets one: down and
# back with a new session; the bridge stopping ends it with a DELETE.
# Exit 0 pass, 1 fail, 77 skip.
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import BRIDGE, SERVER, Bridge, free_port  # noqa: E402
from mcptest.run import check, main, need_built  # noqa: E402
from mcptest.wire import (exchange, named_post, named_rpc,  # noqa: E402
                          note, rpc, text_of)

SECRET = "remote-token-5e8a1c0f9b"
NOTE = "note-secret-2d7c4b"
REMOTE_PORT = free_port()
REMOTE_ENV = {"REMOTE_TOKEN": SECRET}
CHECK_ENV = dict(os.environ, REMOTE_TOKEN=SECRET, REMOTE_NOTE=NOTE)

TMP = tempfile.mkdtemp(prefix="remote-test.")
atexit.register(shutil.rmtree, TMP, True)
CONFIG = os.path.join(TMP, "mcp.json")
HEADERS = {"Authorization": "Bearer ${REMOTE_TOKEN}",
           "X-Note": "${REMOTE_NOTE}"}
with open(CONFIG, "w") as f:
    json.dump({"mcpServers": {
        "local": {"command": SERVER},
        "far": {"url": "http://127.0.0.1:%d/mcp" % REMOTE_PORT,
                "headers": HEADERS},
        "old": {"type": "sse", "url": "http://127.0.0.1:%d/sse" %
                REMOTE_PORT, "headers": HEADERS},
        # A remote session for each client session.
        "own": {"url": "http://127.0.0.1:%d/mcp" % REMOTE_PORT,
                "headers": HEADERS, "mcpbridge": {"isolation": "session"}},
    }}, f)
# The same remote server may appear where the bridge runs; these may not.
BAD = os.path.join(TMP, "bad.json")
ALLOWED = os.path.join(TMP, "allowed.json")
with open(BAD, "w") as f:
    json.dump({"mcpServers": {
        "local": {"command": SERVER},
        "plain": {"url": "http://example.com/mcp"},
        "ftp": {"url": "ftp://example.com/"},
    }}, f)
with open(ALLOWED, "w") as f:
    json.dump({"mcpServers": {
        "local": {"command": SERVER},
        "plain": {"url": "http://example.com/mcp",
                  "mcpbridge": {"allow-http": True}},
    }}, f)


def remote():
    """The remote server: a bridge in front of the test server that wants
    the token."""
    return Bridge("--auth-token-env", "REMOTE_TOKEN", port=REMOTE_PORT,
                  env=REMOTE_ENV)


def initialize(b, name):
    """(status, session id, version, answer)."""
    r = named_post(b, name, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "remote-test", "version": "1"}}))
    status = r.status
    sid = r.headers.get("mcp-session-id")
    answer = r.answer() if status == 200 else r.body()
    r.close()
    if status != 200 or "result" not in answer:
        return status, None, None, answer
    version = answer["result"]["protocolVersion"]
    r = named_post(b, name, note("notifications/initialized"), sid, version)
    check(r.status == 202, "%s: initialized %d" % (name, r.status))
    r.close()
    return status, sid, version, answer


def session(b, name):
    status, sid, version, answer = initialize(b, name)
    check(sid is not None, "%s: initialize %d %r" % (name, status, answer))
    return sid, version


def readyz(b, name=None):
    path = "/readyz" if name is None else "/servers/%s/readyz" % name
    code, _, _ = exchange(b, "GET", path)
    return code


def until(what, cond, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("never: %s" % what)


def status(b):
    code, _, data = exchange(b, "GET", "/status.json")
    check(code == 200, "/status.json: %d" % code)
    check(SECRET not in data.decode() and NOTE not in data.decode(),
          "a secret in /status.json: %r" % data)
    st = json.loads(data)
    return {s["name"]: s for s in st["servers"]}


def works(b, name):
    """A session on name's route lists and calls tools, with progress."""
    sid, version = session(b, name)
    code, answer = named_rpc(b, name, sid, version, 2, "tools/list")
    names = [t["name"] for t in answer["result"]["tools"]]
    check(code == 200 and "echo" in names and
          "test_tool_with_progress" in names, "%s: tools %r" % (name, names))
    code, answer = named_rpc(b, name, sid, version, 3, "tools/call",
                             {"name": "echo",
                              "arguments": {"message": "via " + name}})
    check(code == 200 and text_of(answer) == "via " + name,
          "%s: echo %d %r" % (name, code, answer))
    r = named_post(b, name, rpc(4, "tools/call", {
        "name": "test_tool_with_progress", "arguments": {},
        "_meta": {"progressToken": "p-" + name}}), sid, version)
    check(r.status == 200, "%s: progress call %d" % (name, r.status))
    progress, final = [], None
    for _ in range(100):
        ev = r.message()
        if ev is None:
            break
        msg = ev["msg"]
        if msg.get("method") == "notifications/progress":
            progress.append(msg["params"])
        elif msg.get("id") == 4:
            final = msg
            break
    r.close()
    check(final is not None and "result" in final and len(progress) >= 2 and
          all(p["progressToken"] == "p-" + name for p in progress),
          "%s: progress %r, answer %r" % (name, progress, final))
    return sid, version


def test(b):
    until("every route ready", lambda: readyz(b) == 200)
    for name in ("far", "old", "own"):
        works(b, name)
    # A message that quotes the token (a client's, echoed back): the
    # trace shows neither.
    sid, version = session(b, "far")
    code, answer = named_rpc(b, "far", sid, version, 9, "tools/call",
                             {"name": "echo",
                              "arguments": {"message": SECRET}})
    check(code == 200 and text_of(answer) == SECRET, "echo: %r" % answer)
    lsid, lversion = works(b, "local")
    # The header's variables left the bridge's environment before any
    # child started.
    code, answer = named_rpc(b, "local", lsid, lversion, 10, "tools/call",
                             {"name": "report_env",
                              "arguments": {"name": "REMOTE_TOKEN"}})
    check(code == 200 and text_of(answer) == "REMOTE_TOKEN is not set",
          "the local child sees the token: %r" % answer)
    st = status(b)
    far = st["far"]
    check(far["command"] == "http://127.0.0.1:%d/mcp" % REMOTE_PORT and
          far["ready"] and far["children"][0]["up"] and
          far["children"][0]["pid"] is None and
          far["children"][0]["restarts"] == 0, "far: %r" % far)

    # The remote server goes away: its routes are not ready, a new
    # session is told why; the local server goes on.
    REMOTE[0].stop()
    until("far not ready", lambda: readyz(b, "far") == 503 and
          readyz(b, "old") == 503)
    check(readyz(b) == 503 and readyz(b, "local") == 200,
          "readiness: %d %d" % (readyz(b), readyz(b, "local")))
    code, sid, _, answer = initialize(b, "far")
    text = json.dumps(answer) if not isinstance(answer, bytes) else \
        answer.decode()
    check(sid is None and "127.0.0.1:%d" % REMOTE_PORT in text,
          "far while down: %d %s" % (code, text))
    code, answer = named_rpc(b, "local", lsid, lversion, 11, "tools/call",
                             {"name": "echo", "arguments": {"message": "on"}})
    check(code == 200 and text_of(answer) == "on", "local: %r" % answer)
    errors = [e["error"] for e in status(b)["far"]["errors"]]
    check(any("cannot connect to http://127.0.0.1:%d/mcp" % REMOTE_PORT in e
              for e in errors), "far's errors: %r" % errors)

    # Back on its port: served again, counted as a restart.
    REMOTE[0] = remote()
    until("far ready again", lambda: readyz(b, "far") == 200 and
          readyz(b, "old") == 200)
    works(b, "far")
    works(b, "old")
    far = status(b)["far"]
    check(far["ready"] and far["children"][0]["restarts"] >= 1,
          "far after: %r" % far)

    code, _, data = exchange(b, "GET", "/metrics")
    lines = data.decode().splitlines()
    restarts = [ln for ln in lines if ln.startswith(
        'mcpbridge_server_child_restarts_total{server="far"} ')]
    check(code == 200 and SECRET not in data.decode() and
          'mcpbridge_server_ready{server="far"} 1' in lines and
          'mcpbridge_server_child_up{server="far"} 1' in lines and
          len(restarts) == 1 and int(restarts[0].split()[-1]) >= 1,
          "/metrics: %d %r" % (code, [ln for ln in lines if "far" in ln]))
    # SIGHUP adds a remote server that names the same variables, gone
    # from the environment since the start: the bridge kept them.
    with open(CONFIG) as f:
        conf = json.load(f)
    conf["mcpServers"]["added"] = dict(conf["mcpServers"]["far"])
    with open(CONFIG, "w") as f:
        json.dump(conf, f)
    os.kill(b.pid, signal.SIGHUP)
    until("added ready", lambda: readyz(b, "added") == 200)
    works(b, "added")

    log = b.stderr()
    check(SECRET not in log and NOTE not in log, "a secret in the log")
    check("/servers/far/mcp" in log and "trace" in log,
          "the log shows no traffic: is it at debug level?")


def check_files():
    """--check: the file above is valid; plain HTTP to another host is
    not, unless allow-http; a scheme other than http(s) never."""
    # Its headers' ${REMOTE_TOKEN} must be set (else an error of the file).
    r = subprocess.run([BRIDGE, "serve", "--config", CONFIG, "--check"],
                       capture_output=True, text=True, timeout=30,
                       env=CHECK_ENV)
    check(r.returncode == 0, "--check: %d %s" % (r.returncode, r.stderr))
    r = subprocess.run([BRIDGE, "serve", "--config", BAD, "--check"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 78 and "mcpServers.ftp.url: " in r.stderr and
          "mcpServers.plain: " in r.stderr, "bad: %d %s" %
          (r.returncode, r.stderr))
    r = subprocess.run([BRIDGE, "serve", "--config", ALLOWED, "--check"],
                       capture_output=True, text=True, timeout=30,
                       env=CHECK_ENV)
    check(r.returncode == 0, "allowed: %d %s" % (r.returncode, r.stderr))


# ---- a server with sessions (tests/mcptest/mock.py's 2025 one) ----

MOCK_CONFIG = os.path.join(TMP, "mock.json")
MOCK = []


def test_sessions(b):
    """The remote server forgets the session: the child is down and back
    with a new one; the bridge stopping ends it with a DELETE."""
    st = MOCK[0].st
    until("mock ready", lambda: readyz(b, "mock") == 200)
    check(st.post_headers[0].get("X-Api-Key") == SECRET,
          "the header sent: %r" % st.post_headers[0])
    sid, version = session(b, "mock")
    code, answer = named_rpc(b, "mock", sid, version, 2, "tools/call",
                             {"name": "echo", "arguments": {"text": "one"}})
    check(code == 200 and text_of(answer) == "one", "echo: %r" % answer)
    inits = len(st.init_times)
    with st.lock:
        st.sessions.clear()
    code, answer = named_rpc(b, "mock", sid, version, 3, "tools/call",
                             {"name": "echo", "arguments": {"text": "two"}})
    check(code != 200 or "error" in answer, "after amnesia: %r" % answer)
    until("a new remote session", lambda: len(st.init_times) > inits and
          readyz(b, "mock") == 200)
    sid, version = session(b, "mock")
    code, answer = named_rpc(b, "mock", sid, version, 4, "tools/call",
                             {"name": "echo", "arguments": {"text": "three"}})
    check(code == 200 and text_of(answer) == "three", "echo: %r" % answer)
    deletes = st.deletes
    check(b.stop() == 0, "exit status")
    # The DELETE is slow (SlowDelete): the bridge waited for its answer.
    check(st.deletes == deletes + 1 and "session ended: ok" in b.stderr(),
          "no DELETE answered at the end: %d" % st.deletes)
    check(SECRET not in b.stderr(), "a secret in the log")


REMOTE = []

if __name__ == "__main__":
    need_built()
    what = sys.argv[1] if len(sys.argv) > 1 else None
    if what == "bridge":
        check_files()
        REMOTE.append(remote())
        try:
            main(test, "--log-level", "debug", "--trace=body",
                 config=CONFIG, env={"REMOTE_TOKEN": SECRET,
                                     "REMOTE_NOTE": NOTE,
                                     "MCPBRIDGE_RESTART_BACKOFF_MAX_MS":
                                     "300"})
        finally:
            REMOTE[0].stop()
    elif what == "sessions":
        from mcptest.mock import Handler, Server

        class SlowDelete(Handler):
            def do_DELETE(self):
                time.sleep(0.5)
                Handler.do_DELETE(self)

        MOCK.append(Server(handler=SlowDelete))
        with open(MOCK_CONFIG, "w") as f:
            json.dump({"mcpServers": {
                "local": {"command": SERVER},
                "mock": {"url": MOCK[0].url(),
                         "headers": {"X-Api-Key": "${MOCK_KEY}"}},
            }}, f)
        try:
            main(test_sessions, "--log-level", "debug",
                 config=MOCK_CONFIG, env={
                     "MOCK_KEY": SECRET,
                     "MCPBRIDGE_RESTART_BACKOFF_MAX_MS": "300"})
        finally:
            MOCK[0].stop()
    else:
        from mcptest.run import run_each
        run_each(["bridge", "sessions"])
