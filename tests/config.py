#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# config.py: serve --config FILE as a user meets it: an mcpServers file
# with one server runs it as `serve -- CMD` would, with its settings and
# the command line's over them; a filtered tool is absent from tools/list
# and its call refused with an error naming it, in serve and in client
# mode (--deny-tool); --check says a file is valid (exit 0) or lists its
# errors with their JSON paths (exit 78).  Several servers: each on
# /servers/NAME/mcp and /servers/NAME/sse (+ /message) with its own
# settings, a session found on its own server's routes only, /mcp
# aggregating them (prefixed tools, a server down left out), /metrics per
# server, --trace labels naming the server, and neither a server whose
# child is gone for good nor one whose child dies in a loop disturbs the
# others (/readyz says 503 while one is down).  SIGHUP: a removed server's
# routes and sessions go, an added one serves, a changed one restarts, an
# unchanged one's session goes on (on /mcp too, which follows: the added
# one listed, the removed one's tools unknown), a file with an error
# changes nothing;
# a removed server's call in flight is answered (503 for a new one, 404
# for a new session), and a server added with a larger
# --max-message-size gets its large answers through.  Exit 0 pass, 1
# fail, 77 skip.
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import (BRIDGE, INIT, INITIALIZED, SERVER,  # noqa: E402
                            Client, free_port, wait_ready)
from mcptest.run import check, main, need_built  # noqa: E402
from mcptest.wire import (ACCEPT_BOTH, Conn, Endpoint,  # noqa: E402
                          Response, call, initialize, named_post, named_rpc,
                          note, post, rpc, text_of)

TMP = tempfile.mkdtemp(prefix="config-test.")
atexit.register(shutil.rmtree, TMP, True)
CONFIG = os.path.join(TMP, "mcp.json")
with open(CONFIG, "w") as f:
    json.dump({
        "mcpServers": {
            "fixture": {
                "command": SERVER, "args": [],
                "env": {"CONFIG_TEST_SECRET": "s3cret-value"},
                "mcpbridge": {"deny-tool": ["test_*_content", "nope"],
                              "restart": "on-failure"},
            },
        },
        # The command line's --log-level wins over this.
        "mcpbridge": {"log-level": "error", "access-log": True},
    }, f)

DENIED = ("test_image_content", "test_audio_content")
METRICS_PORT = free_port()

SEVERAL = os.path.join(TMP, "several.json")
with open(SEVERAL, "w") as f:
    json.dump({
        "mcpServers": {
            "one": {"command": SERVER,
                    "mcpbridge": {"allow-tool": ["echo", "exit"],
                                  "restart": "no"}},
            "two": {"command": SERVER,
                    "mcpbridge": {"isolation": "session",
                                  "deny-tool": "echo"}},
            # A child that dies as soon as it starts, restarted again and
            # again: the others must not notice.
            "loop": {"command": "/bin/sh", "args": ["-c", "exit 3"],
                     "mcpbridge": {"restart": "always"}},
        },
    }, f)


def named_session(b, name):
    r = named_post(b, name, rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "config-test", "version": "1"}}))
    check(r.status == 200, "%s: initialize %d" % (name, r.status))
    sid = r.headers.get("mcp-session-id")
    answer = r.answer()
    r.close()
    version = answer["result"]["protocolVersion"]
    r = named_post(b, name, note("notifications/initialized"), sid, version)
    check(r.status == 202, "%s: initialized %d" % (name, r.status))
    r.close()
    return sid, version


def servers_ready(b, names):
    """Until /metrics says each of names is ready (the bridge as a whole
    is not, with "loop" never up): 100 tries 50 ms apart."""
    for _ in range(100):
        r = Response(b, "GET", "/metrics")
        lines = r.body().decode().splitlines()
        r.close()
        if all('mcpbridge_server_ready{server="%s"} 1' % n in lines
               for n in names):
            return
        time.sleep(0.05)
    raise AssertionError("servers %r never ready" % (names,))


def test_several(b):
    servers_ready(b, ("one", "two"))
    r = Response(b, "GET", "/readyz")
    check(r.status == 503, "/readyz with loop down: %d" % r.status)
    r.close()
    # Each server's own readiness, for a balancer that routes by server.
    for name, want in (("one", 200), ("two", 200), ("loop", 503),
                       ("nope", 404)):
        r = Response(b, "GET", "/servers/%s/readyz" % name)
        check(r.status == want, "/servers/%s/readyz: %d" % (name, r.status))
        r.close()
        # And on --metrics-listen, where operators point probes.
        r = Response(Endpoint(METRICS_PORT), "GET",
                     "/servers/%s/readyz" % name)
        check(r.status == want, "metrics port: /servers/%s/readyz: %d" %
              (name, r.status))
        r.close()
    sid1, v1 = named_session(b, "one")
    sid2, v2 = named_session(b, "two")
    _, a = named_rpc(b, "one", sid1, v1, 2, "tools/list")
    check(tool_names(a) == ["echo", "exit"], "one: %r" % tool_names(a))
    _, a = named_rpc(b, "two", sid2, v2, 2, "tools/list")
    names = tool_names(a)
    check("echo" not in names and "exit" in names, "two: %r" % names)
    _, a = named_rpc(b, "one", sid1, v1, 3, "tools/call",
                     {"name": "echo", "arguments": {"message": "hi"}})
    check("result" in a, "one: echo %r" % a)
    _, a = named_rpc(b, "two", sid2, v2, 3, "tools/call",
                     {"name": "echo", "arguments": {"message": "hi"}})
    check(a["error"]["message"] == "Tool not allowed: echo", "two: %r" % a)
    # The access log names the server of a named route.
    check(b.wait_log(" /servers/two/mcp 200 "), "no access log line")
    for name in ("one", "two"):
        check(re.search(r"POST /servers/%s/mcp 200 \d+ms server %s "
                        r"session [0-9a-f]{8} tools/list\n" % (name, name),
                        b.stderr()), "access log: %s: %s" %
              (name, b.stderr()[-3000:]))

    # --trace: each line names its server ("two/1a2b" for a session, the
    # name alone for the shared child's side).
    log = b.stderr()
    check(re.search(r"trace: one/[0-9a-f]+ client>bridge request "
                    r"tools/list", log) and
          re.search(r"trace: one bridge>child request tools/list", log) and
          re.search(r"trace: two/[0-9a-f]+ bridge>client error "
                    r"tools/call .*code=-32602", log),
          "trace labels: %s" % log[-3000:])

    # /metrics: each server on its own.
    r = Response(b, "GET", "/metrics")
    page = r.body().decode()
    r.close()
    for line in ('mcpbridge_server_ready{server="one"} 1',
                 'mcpbridge_server_child_up{server="one"} 1',
                 'mcpbridge_server_child_starts_total{server="one"} 1',
                 'mcpbridge_server_sessions{server="one"} 1',
                 'mcpbridge_server_sessions{server="two"} 1',
                 'mcpbridge_server_child_up{server="two"} 1',
                 # Requests and their latency, per server (initialize,
                 # tools/list, tools/call on each; two's call an error).
                 'mcpbridge_server_requests_total{server="one",'
                 'method="tools/call",outcome="ok"} 1',
                 'mcpbridge_server_requests_total{server="two",'
                 'method="tools/call",outcome="error"} 1',
                 'mcpbridge_server_requests_total{server="two",'
                 'method="tools/list",outcome="ok"} 1',
                 'mcpbridge_server_request_duration_seconds_count'
                 '{server="one"} 3',
                 'mcpbridge_server_request_duration_seconds_count'
                 '{server="loop"} 0',
                 # The unlabelled families sum them.
                 'mcpbridge_request_duration_seconds_count 6',
                 'mcpbridge_requests_total{method="tools/call",'
                 'outcome="error"} 1'):
        check(line in page.splitlines(), "metrics: no %r" % line)

    # A session is found on its own server's routes only.
    status, _ = named_rpc(b, "two", sid1, v1, 4, "tools/list")
    check(status == 404, "one's session on two: %d" % status)
    check(b.wait_log("session of another route"),
          "not logged as another route's")
    # With several servers, /mcp aggregates them: one's and two's tools
    # under their names (each with its own filter; two's isolated child
    # started for the aggregated session), loop's (never up) left out,
    # and a call of one of loop's refused with an error naming it.
    asid, av = initialize(b)
    r = post(b, rpc(2, "tools/list"), asid, av)
    check(r.status == 200, "/mcp tools/list: %d" % r.status)
    names = [t["name"] for t in r.answer()["result"]["tools"]]
    r.close()
    check(sorted(n for n in names if n.startswith("one__")) ==
          ["one__echo", "one__exit"], "/mcp: one's tools: %r" % names)
    check("two__test_simple_text" in names and "two__echo" not in names,
          "/mcp: two's tools: %r" % names)
    check(all(n.startswith(("one__", "two__")) for n in names),
          "/mcp: only one's and two's: %r" % names)
    status, answer = call(b, asid, av, 3, "one__echo", {"message": "agg"})
    check(status == 200 and "agg" in text_of(answer),
          "/mcp one__echo: %d %r" % (status, answer))
    status, answer = call(b, asid, av, 4, "loop__echo")
    check(status == 200 and answer.get("error", {}).get("message") ==
          "Server loop is not available",
          "/mcp loop__echo: %d %r" % (status, answer))
    status, answer = call(b, asid, av, 5, "two__echo", {"message": "x"})
    check(status == 200 and "echo" in json.dumps(answer.get("error", {})),
          "/mcp two__echo refused: %d %r" % (status, answer))
    # /metrics and /status: the aggregated session counts at one and two
    # (beside each one's named session), not at loop (never opened
    # there); the aggregated endpoint's own requests and sessions.
    r = Response(b, "GET", "/metrics")
    page = r.body().decode().splitlines()
    r.close()
    for line in ('mcpbridge_server_sessions{server="one"} 2',
                 'mcpbridge_server_sessions{server="two"} 2',
                 'mcpbridge_server_sessions{server="loop"} 0',
                 'mcpbridge_aggregate_sessions 1',
                 'mcpbridge_aggregate_requests_in_flight 0',
                 'mcpbridge_aggregate_requests_total{method="tools/call",'
                 'outcome="ok"} 1',
                 'mcpbridge_aggregate_requests_total{method="tools/call",'
                 'outcome="error"} 2',
                 'mcpbridge_aggregate_requests_total{method="tools/list",'
                 'outcome="ok"} 1',
                 'mcpbridge_aggregate_request_duration_seconds_count 5'):
        check(line in page, "metrics: no %r in %s" % (
            line, [x for x in page if "aggregate" in x or
                   "server_sessions" in x]))
    r = Response(b, "GET", "/status.json")
    st = json.loads(r.body())
    r.close()
    sessions = {sv["name"]: sv["sessions"] for sv in st["servers"]}
    check(sessions.get("one") == 2 and sessions.get("two") == 2 and
          sessions.get("loop") == 0, "/status.json sessions: %r" % sessions)
    # A URI may carry a token: a read refused for a server that is down
    # is logged without it.
    r = post(b, rpc(40, "resources/read", {
        "uri": "mcpbridge+loop:https://x.example/doc?key=uri-secret-81f3"}),
        asid, av)
    answer = r.answer()
    r.close()
    check(answer.get("error", {}).get("message") ==
          "Server loop is not available", "/mcp read at loop: %r" % answer)
    for _ in range(200):    # loop__echo's refusal, then this one's
        if b.stderr().count("refused: server loop is not ready") >= 2:
            break
        time.sleep(0.05)
    check("uri-secret-81f3" not in b.stderr(), "the URI's token is logged")

    # The legacy transport on a named route: the endpoint event names
    # that server's /message.
    g = Response(b, "GET", "/servers/two/sse",
                 {"Accept": "text/event-stream"})
    check(g.status == 200, "two/sse: %d" % g.status)
    ev = g.event()
    check(ev["event"] == "endpoint" and
          ev["data"].startswith("/servers/two/message?sessionId="),
          "endpoint event: %r" % ev)
    body = rpc(1, "initialize", {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "config-test", "version": "1"}})
    r = Response(b, "POST", ev["data"],
                 {"Content-Type": "application/json"}, body)
    check(r.status == 202, "two/message: %d" % r.status)
    r.close()
    ev2 = g.event()
    check('"protocolVersion"' in ev2["data"], "sse answer: %r" % ev2)
    # The same session id on the other server's /message: not found.
    r = Response(b, "POST", ev["data"].replace("/two/", "/one/"),
                 {"Content-Type": "application/json"}, rpc(2, "ping"))
    check(r.status == 404, "two's sse session on one: %d" % r.status)
    check(b.wait_log("session of another route"),
          "not logged as another route's")
    r.close()
    g.close()

    # One's child is gone for good (restart: no): two goes on.
    named_rpc(b, "one", sid1, v1, 5, "tools/call",
              {"name": "exit", "arguments": {}})
    for _ in range(100):
        if "one: child will not be restarted" in b.stderr():
            break
        time.sleep(0.05)
    check("one: child will not be restarted" in b.stderr(),
          "one's child end not logged")
    # "loop" keeps dying and being restarted (100 ms apart): a few
    # rounds of that, and two serves as before.
    for _ in range(100):
        if b.stderr().count("loop: child exited with status 3; "
                            "restarting") >= 4:
            break
        time.sleep(0.05)
    check(b.stderr().count("loop: child exited with status 3; "
                           "restarting") >= 4,
          "loop's restarts: %s" % b.stderr()[-3000:])
    sid3, v3 = named_session(b, "two")
    _, a = named_rpc(b, "two", sid3, v3, 2, "tools/call",
                     {"name": "test_simple_text", "arguments": {}})
    check("result" in a, "two after one's end, loop looping: %r" % a)
    # One's session ended with its child; a new one is told why.
    status, a = named_rpc(b, "one", sid1, v1, 6, "tools/list")
    check(status == 404, "one's old session: %d" % status)
    r = named_post(b, "one", rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "config-test", "version": "1"}}))
    a = r.answer()
    r.close()
    check(a["error"]["message"].startswith("Server not available"),
          "one after its end: %r" % a)


# A server that is ready but never answers tools/list ("lh") beside one
# that does: the aggregated list comes within --aggregate-timeout
# without it, not after --request-timeout.
SLOW = os.path.join(TMP, "slow.json")
LISTHANG = r"""
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m or m.get("method") == "tools/list":
        continue
    r = {} if m["method"] != "initialize" else {
        "protocolVersion": m["params"]["protocolVersion"],
        "capabilities": {"tools": {}},
        "serverInfo": {"name": "lh", "version": "1"}}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": m["id"],
                                 "result": r}) + "\n")
    sys.stdout.flush()
"""
with open(SLOW, "w") as f:
    json.dump({"mcpServers": {
        "ok": {"command": SERVER},
        "lh": {"command": sys.executable, "args": ["-c", LISTHANG]},
    }}, f)


def test_slow(b):
    for name in ("ok", "lh"):
        for _ in range(100):
            r = Response(b, "GET", "/servers/%s/readyz" % name)
            status = r.status
            r.close()
            if status == 200:
                break
            time.sleep(0.05)
        check(status == 200, "%s never ready" % name)
    asid, av = initialize(b)
    start = time.monotonic()
    r = post(b, rpc(2, "tools/list"), asid, av)
    check(r.status == 200, "/mcp tools/list: %d" % r.status)
    names = [t["name"] for t in r.answer()["result"]["tools"]]
    r.close()
    took = time.monotonic() - start
    check(took < 5, "the list took %.1f s" % took)
    check(names and all(n.startswith("ok__") for n in names),
          "/mcp: only ok's tools: %r" % names)
    check("aggregated tools/list: server lh left out: no answer within "
          "500 ms" in b.stderr(), "no log line: %s" % b.stderr()[-2000:])
    print("ok - a server that never lists is left out after %.2f s" % took)


def tool_names(answer):
    return [t["name"] for t in answer["result"]["tools"]]


def test_serve(b):
    wait_ready(b)
    sid, version = initialize(b)
    r = post(b, rpc(2, "tools/list"), sid, version)
    answer = r.answer()
    r.close()
    names = tool_names(answer)
    check("test_simple_text" in names, "allowed tool missing: %r" % names)
    for t in DENIED:
        check(t not in names, "%s listed: %r" % (t, names))
    status, answer = call(b, sid, version, 3, "test_image_content")
    check(status == 200 and answer["error"]["code"] == -32602 and
          answer["error"]["message"] ==
          "Tool not allowed: test_image_content", "refused: %r" % answer)
    status, answer = call(b, sid, version, 4, "test_simple_text")
    check(status == 200 and "result" in answer, "allowed call: %r" % answer)
    check(text_of(answer) != "", "no text: %r" % answer)

    # Client mode with its own --deny-tool, through this bridge, in
    # both eras (their answers take different paths).
    for era in ("modern", "legacy"):
        client_denies(b, era)

    # The file's log level lost to the command line's (info): the child
    # start is logged; the --env secret never is.
    log = b.stderr()
    check("child started" in log, "no info lines: %s" % log[-2000:])
    check("(Streamable HTTP /mcp, HTTP+SSE /sse)" in log,
          "the listening line: %s" % log[:2000])
    # Its one mux is counted once, though it has two routes: a request
    # held at the child is one in flight.
    held = threading.Thread(target=lambda: post(
        b, rpc(9, "tools/call", {"name": "delay", "arguments": {"ms": 1000}}),
        sid, version).close())
    held.start()
    for _ in range(100):
        page = Response(b, "GET", "/metrics")
        lines = page.body().decode().splitlines()
        page.close()
        if "mcpbridge_requests_in_flight 0" not in lines:
            break
        time.sleep(0.02)
    check("mcpbridge_requests_in_flight 1" in lines and
          'mcpbridge_server_requests_in_flight{server="fixture"} 1' in lines,
          "in flight: %r" % [x for x in lines if "in_flight" in x])
    held.join(10)
    # One server from a file is on /servers/NAME/ too.
    r = Response(b, "POST", "/servers/fixture/mcp",
                 {"Content-Type": "application/json",
                  "Accept": ACCEPT_BOTH}, rpc(1, "initialize", {
                      "protocolVersion": "2025-06-18", "capabilities": {},
                      "clientInfo": {"name": "config-test", "version": "1"}}))
    check(r.status == 200, "/servers/fixture/mcp: %d" % r.status)
    r.close()
    check("s3cret-value" not in log, "the secret was logged")


def client_denies(b, era):
    c = Client(b.url + "/mcp", "--era", era, "--deny-tool",
               "test_simple_text")
    c.send(INIT)
    check(c.recv().get("id") == 0, "client initialize")
    c.send(INITIALIZED)
    c.send(rpc(5, "tools/list"))
    names = tool_names(c.recv())
    check("test_simple_text" not in names and "test_image_content" not in
          names and "test_error_handling" in names, "client %s: %r" %
          (era, names))
    c.send(rpc(6, "tools/call", {"name": "test_simple_text",
                                 "arguments": {}}))
    answer = c.recv()
    check(answer.get("id") == 6 and answer["error"]["message"] ==
          "Tool not allowed: test_simple_text", "client %s refused: %r" %
          (era, answer))
    c.send(rpc(7, "tools/call", {"name": "test_error_handling",
                                 "arguments": {}}))
    answer = c.recv()
    check(answer.get("id") == 7 and "result" in answer,
          "client allowed call: %r" % answer)
    status, _ = c.finish()
    check(status == 0, "client exit %r" % status)


RELOAD = os.path.join(TMP, "reload.json")


def write_reload(servers, top=None):
    with open(RELOAD + ".new", "w") as f:
        json.dump({"mcpServers": {
            name: {"command": SERVER, "mcpbridge": extra}
            for name, extra in servers.items()},
            "mcpbridge": top or {}}, f)
    os.rename(RELOAD + ".new", RELOAD)


write_reload({"a": {}, "b": {}})


def sighup(b, want):
    """SIGHUP, then until the log says want (a new line): 5 s at most."""
    before = b.stderr().count(want)
    b.proc.send_signal(signal.SIGHUP)
    for _ in range(100):
        if b.stderr().count(want) > before:
            return
        time.sleep(0.05)
    raise AssertionError("no %r after SIGHUP: %s" % (want, b.stderr()[-3000:]))


def test_reload(b):
    servers_ready(b, ("a", "b"))
    # With several servers, a line about a child says whose it is.
    for name in ("a", "b"):
        check(re.search(r"info: %s: server \S+ \S* ?initialized, protocol "
                        % name, b.stderr()) is not None,
              "%s's initialized line: %s" % (name, b.stderr()[-3000:]))
    sid_b, vb = named_session(b, "b")
    sid_a, va = named_session(b, "a")
    # The aggregated /mcp: a session that has used a and b.
    sid_g, vg = initialize(b)
    for id, tool in ((2, "a__echo"), (3, "b__echo")):
        status, answer = call(b, sid_g, vg, id, tool, {"message": "m"})
        check(status == 200 and "result" in answer,
              "/mcp %s before the reload: %d %r" % (tool, status, answer))

    # a goes, c comes, b is unchanged: b's session goes on.
    write_reload({"b": {}, "c": {}})
    sighup(b, "SIGHUP: servers reloaded: 1 added, 1 removed, 0 restarted, "
              "1 unchanged")
    # On /mcp too: b's calls go on, a is unknown, c is listed.
    status, answer = call(b, sid_g, vg, 4, "b__echo", {"message": "still"})
    check(status == 200 and "still" in text_of(answer),
          "/mcp b__echo after the reload: %d %r" % (status, answer))
    status, answer = call(b, sid_g, vg, 5, "a__echo", {"message": "m"})
    check(status == 200 and answer.get("error", {}).get("message") ==
          "Unknown tool: a__echo", "/mcp a__echo after its removal: %r" %
          answer)
    _, a = named_rpc(b, "b", sid_b, vb, 2, "tools/call",
                     {"name": "echo", "arguments": {"message": "still"}})
    check("result" in a, "b after the reload: %r" % a)
    status, _ = named_rpc(b, "a", sid_a, va, 2, "tools/list")
    check(status == 404, "a's session after its removal: %d" % status)
    r = named_post(b, "a", rpc(1, "ping"))
    check(r.status == 404, "a's route after its removal: %d" % r.status)
    r.close()
    servers_ready(b, ("b", "c"))
    sid_c, vc = named_session(b, "c")
    r = post(b, rpc(6, "tools/list"), sid_g, vg)
    names = [t["name"] for t in r.answer()["result"]["tools"]]
    r.close()
    check("c__echo" in names and "b__echo" in names and
          not any(n.startswith("a__") for n in names),
          "/mcp tools/list after the reload: %r" % names)

    # c's settings change: c restarts (its session ends), b stays.
    write_reload({"b": {}, "c": {"deny-tool": "echo"}})
    sighup(b, "SIGHUP: servers reloaded: 0 added, 0 removed, 1 restarted, "
              "1 unchanged")
    status, _ = named_rpc(b, "c", sid_c, vc, 2, "tools/list")
    check(status == 404, "c's old session after its restart: %d" % status)
    servers_ready(b, ("b", "c"))
    sid_c, vc = named_session(b, "c")
    _, a = named_rpc(b, "c", sid_c, vc, 2, "tools/list")
    check("echo" not in tool_names(a), "c's new settings: %r" %
          tool_names(a))
    _, a = named_rpc(b, "b", sid_b, vb, 3, "tools/list")
    check("echo" in tool_names(a), "b after c's restart: %r" %
          tool_names(a))
    r = post(b, rpc(7, "tools/list"), sid_g, vg)
    names = [t["name"] for t in r.answer()["result"]["tools"]]
    r.close()
    check("c__echo" not in names and "b__echo" in names,
          "/mcp tools/list after c's restart: %r" % names)

    # A file with an error changes nothing and says why.
    with open(RELOAD, "w") as f:
        f.write('{"mcpServers": {"b": {"command": "x", "mcpbridge": '
                '{"isolaton": "session"}}}}')
    sighup(b, "SIGHUP: the servers run on as they were")
    check('mcpServers.b.mcpbridge.isolaton: unknown key (did you mean '
          '"isolation"?)' in b.stderr(), "the error is not logged")
    _, a = named_rpc(b, "b", sid_b, vb, 4, "tools/call",
                     {"name": "echo", "arguments": {"message": "again"}})
    check("result" in a, "b after a bad file: %r" % a)
    _, a = named_rpc(b, "c", sid_c, vc, 3, "tools/list")
    check("result" in a, "c after a bad file: %r" % a)

    # A remote server whose header names an unset variable: the file is
    # refused before anything is applied (no r3, /readyz stays ready).
    with open(RELOAD + ".new", "w") as f:
        json.dump({"mcpServers": {
            "b": {"command": SERVER, "mcpbridge": {}},
            "c": {"command": SERVER, "mcpbridge": {"deny-tool": "echo"}},
            "r3": {"url": "http://127.0.0.1:9/mcp", "headers": {
                "Authorization": "Bearer ${MCPBRIDGE_UNSET_ZZ}"}}},
            "mcpbridge": {}}, f)
    os.rename(RELOAD + ".new", RELOAD)
    sighup(b, "SIGHUP: the servers run on as they were")
    check("reload: %s: mcpServers.r3.headers.Authorization: environment "
          "variable MCPBRIDGE_UNSET_ZZ is not set" % RELOAD in b.stderr(),
          "the unset variable is not logged: %s" % b.stderr()[-3000:])
    check("server r3 started" not in b.stderr(),
          "a bad file was partly applied: %s" % b.stderr()[-3000:])
    r = Response(b, "GET", "/readyz")
    check(r.status == 200, "/readyz after a bad file: %d" % r.status)
    r.close()

    # The listener's settings are not re-applied: the log says each one
    # needs a restart (a setting for every server is applied, unsaid).
    write_reload({"b": {}, "c": {"deny-tool": "echo"}},
                 {"port": 1, "max-body": "2M", "kill-timeout": "3s"})
    sighup(b, "SIGHUP: servers reloaded")
    for key in ("port", "max-body"):
        check("reload: %s: mcpbridge.%s changed: a setting of the whole "
              "bridge, applied at its next start" % (RELOAD, key) in
              b.stderr(), "no restart warning for %s: %s" %
              (key, b.stderr()[-3000:]))
    check("mcpbridge.kill-timeout changed" not in b.stderr(),
          "kill-timeout is a server's")
    r = Response(b, "GET", "/readyz")
    r.close()


def test_watch(b):
    """--watch: a changed file is read without a signal."""
    servers_ready(b, ("a", "b"))
    sid_b, vb = named_session(b, "b")
    write_reload({"b": {}, "c": {}})
    want = "--watch: servers reloaded: 1 added, 1 removed, 0 restarted, " \
        "1 unchanged"
    for _ in range(100):
        if want in b.stderr():
            break
        time.sleep(0.05)
    check(want in b.stderr() and "--watch: %s changed" % RELOAD in
          b.stderr(), "no reload: %s" % b.stderr()[-3000:])
    servers_ready(b, ("b", "c"))
    _, a = named_rpc(b, "b", sid_b, vb, 2, "tools/list")
    check("result" in a, "b after the reload: %r" % a)


DRAIN = os.path.join(TMP, "drain.json")


def write_drain(servers, top=None):
    with open(DRAIN + ".new", "w") as f:
        json.dump({"mcpServers": {
            name: {"command": SERVER, "mcpbridge": extra}
            for name, extra in servers.items()},
            "mcpbridge": top or {}}, f)
    os.rename(DRAIN + ".new", DRAIN)


def test_drain(b):
    """A reload removes a: its call in flight is answered, a new request
    of its session gets 503 and a new session 404 meanwhile; then its
    session is gone."""
    servers_ready(b, ("a", "b", "c"))
    sid, ver = named_session(b, "a")
    # Sent, its answer read later: the answer comes with its head.
    slow = Conn(b)
    slow.send("POST", "/servers/a/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "Mcp-Session-Id": sid, "MCP-Protocol-Version": ver},
        rpc(2, "tools/call", {"name": "delay", "arguments": {
            "ms": 1500, "message": "late"}}))
    in_flight = 'mcpbridge_server_requests_in_flight{server="a"} 1'
    for _ in range(100):
        r = Response(b, "GET", "/metrics")
        lines = r.body().decode().splitlines()
        r.close()
        if in_flight in lines:
            break
        time.sleep(0.01)
    check(in_flight in lines, "the slow call never in flight")
    write_drain({"b": {}, "c": {}})
    sighup(b, "SIGHUP: servers reloaded: 0 added, 1 removed, 0 restarted, "
              "2 unchanged")
    status, _ = named_rpc(b, "a", sid, ver, 3, "tools/list")
    check(status == 503, "a new request while a drains: %d" % status)
    r = named_post(b, "a", rpc(1, "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "config-test", "version": "1"}}))
    check(r.status == 404, "a new session on a's route: %d" % r.status)
    r.close()
    r = slow.response("POST")
    check(r.status == 200, "the call in flight: %d" % r.status)
    answer = r.answer()
    slow.close()
    check(text_of(answer) == "late", "the call in flight: %r" % answer)
    for _ in range(100):
        if "a: drained; stopping its children" in b.stderr():
            break
        time.sleep(0.05)
    check("a: drained; stopping its children" in b.stderr(),
          "a never drained: %s" % b.stderr()[-2000:])
    status, _ = named_rpc(b, "a", sid, ver, 4, "tools/list")
    check(status == 404, "a's session once drained: %d" % status)


def test_bigger(b):
    """A server a reload adds with a larger --max-message-size: its
    answers get through the session queue, sized for them as for those
    started with the bridge."""
    servers_ready(b, ("a", "b"))
    write_drain({"a": {}, "b": {}, "big": {"max-message-size": "8M"}},
                {"max-body": "8M", "max-message-size": "1M"})
    sighup(b, "SIGHUP: servers reloaded: 1 added, 0 removed, 0 restarted, "
              "2 unchanged")
    servers_ready(b, ("big",))
    # On an event stream, whose output the queue bounds.
    g = Response(b, "GET", "/servers/big/sse",
                 {"Accept": "text/event-stream"}, timeout=30)
    check(g.status == 200, "big/sse: %d" % g.status)
    ev = g.event()
    message = ev["data"]
    for id, method, params in (
            (1, "initialize", {"protocolVersion": "2024-11-05",
                               "capabilities": {}, "clientInfo": {
                                   "name": "config-test", "version": "1"}}),
            (2, "tools/call", {"name": "echo", "arguments": {
                "message": "x" * (3 * 1024 * 1024)}})):
        r = Response(b, "POST", message,
                     {"Content-Type": "application/json"},
                     rpc(id, method, params))
        check(r.status == 202, "big/message %s: %d" % (method, r.status))
        r.close()
        if method == "initialize":
            g.event()
            r = Response(b, "POST", message,
                         {"Content-Type": "application/json"},
                         note("notifications/initialized"))
            r.close()
    answer = json.loads(g.event()["data"])
    g.close()
    check(answer.get("id") == 2 and len(text_of(answer)) == 3 * 1024 * 1024,
          "a 3 MiB answer: %r" % str(answer)[:200])
    check("over the limit" not in b.stderr(), "dropped: %s" %
          b.stderr()[-2000:])


def run_check(path):
    p = subprocess.run([BRIDGE, "serve", "--config", path, "--check"],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def checks():
    """--check on a good file, a bad one, and one that is not JSON."""
    rc, out, err = run_check(CONFIG)
    check(rc == 0 and out == "%s is valid: 1 server (fixture)\n" % CONFIG
          and err == "", "good file: %d %r %r" % (rc, out, err))
    bad = os.path.join(TMP, "bad.json")
    with open(bad, "w") as f:
        f.write('{"mcpServers": {"fs": {"command": "x", "mcpbridge": '
                '{"isolaton": "session"}}, "r": {"url": "ftp://h/"}}, '
                '"mcpbridge": {"port": "http", "env": ["K=hunter2", '
                '"NOEQ"]}}')
    rc, out, err = run_check(bad)
    lines = err.splitlines()
    check(rc == 78 and out == "", "bad file: %d %r" % (rc, out))
    want = [
        "mcpbridge: %s: mcpbridge.port: --port wants 0 to 65535, "
        "not 'http'" % bad,
        "mcpbridge: %s: mcpbridge.env[1]: --env wants KEY=VALUE, without "
        "'=' here" % bad,
        "mcpbridge: %s: mcpServers.fs.mcpbridge.isolaton: unknown key "
        "(did you mean \"isolation\"?)" % bad,
    ]
    for w in want:
        check(w in lines, "missing %r in %r" % (w, lines))
    check(any(ln.startswith("mcpbridge: %s: mcpServers.r.url: " % bad)
              for ln in lines), "the url not checked: %r" % lines)
    check("hunter2" not in err, "an --env value was shown")
    # A header's ${VAR} not set: an error of the file (never its value),
    # for --check and for a start alike.
    unset = os.path.join(TMP, "unset.json")
    with open(unset, "w") as f:
        json.dump({"mcpServers": {"r": {
            "url": "http://127.0.0.1:9/mcp", "headers": {
                "Authorization": "Bearer ${MCPBRIDGE_NOPE_UNSET}",
                "X-Ok": "plain"}}}}, f)
    want = "mcpbridge: %s: mcpServers.r.headers.Authorization: " \
        "environment variable MCPBRIDGE_NOPE_UNSET is not set\n" % unset
    rc, out, err = run_check(unset)
    check(rc == 78 and out == "" and err == want,
          "--check, an unset ${VAR}: %d %r %r" % (rc, out, err))
    p = subprocess.run([BRIDGE, "serve", "--config", unset, "--port", "0"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 78 and want in p.stderr,
          "start, an unset ${VAR}: %d %r" % (p.returncode, p.stderr))
    # A command not found is a warning (it may be installed later), not
    # an error; one found says nothing.
    nocmd = os.path.join(TMP, "nocmd.json")
    with open(nocmd, "w") as f:
        json.dump({"mcpServers": {
            "a": {"command": "mcpbridge-no-such-command"},
            "b": {"command": "/nonexistent/server"},
            "c": {"command": SERVER}}}, f)
    rc, out, err = run_check(nocmd)
    check(rc == 0 and out == "%s is valid: 3 servers (a, b, c)\n" % nocmd
          and err == "mcpbridge: warning: %s: mcpServers.a.command: no "
          "executable file of that name on PATH\nmcpbridge: warning: %s: "
          "mcpServers.b.command: not an executable file\n" % (nocmd, nocmd),
          "--check, commands not found: %d %r %r" % (rc, out, err))
    notjson = os.path.join(TMP, "not.json")
    with open(notjson, "w") as f:
        f.write("{mcpServers: 1}")
    rc, out, err = run_check(notjson)
    check(rc == 78 and err == "mcpbridge: %s: not JSON\n" % notjson,
          "not JSON: %d %r" % (rc, err))
    rc, out, err = run_check(os.devnull)
    check(rc == 78, "an empty file: %d %r" % (rc, err))
    # The installed example (scripts/mcpbridge.json.example) is valid.
    example = os.path.join(os.environ.get("top_builddir", "."), "scripts",
                           "mcpbridge.json.example")
    rc, out, err = run_check(example)
    check(rc == 0 and out.endswith(" is valid: 1 server (demo)\n"),
          "the example: %d %r %r" % (rc, out, err))


if __name__ == "__main__":
    need_built()
    if len(sys.argv) > 1 and sys.argv[1] == "several":
        main(test_several, "--trace", "--access-log", "on",
             "--metrics-listen",
             "127.0.0.1:%d" % METRICS_PORT, config=SEVERAL,
             env={"MCPBRIDGE_RESTART_BACKOFF_MAX_MS": "50"})
    if len(sys.argv) > 1 and sys.argv[1] == "reload":
        main(test_reload, config=RELOAD)
    if len(sys.argv) > 1 and sys.argv[1] == "watch":
        main(test_watch, "--watch", config=RELOAD)
    if len(sys.argv) > 1 and sys.argv[1] == "drain":
        write_drain({"a": {}, "b": {}, "c": {}})
        main(test_drain, config=DRAIN)
    if len(sys.argv) > 1 and sys.argv[1] == "bigger":
        # The queue: twice 1M, until big comes.
        write_drain({"a": {}, "b": {}},
                    {"max-body": "8M", "max-message-size": "1M"})
        main(test_bigger, config=DRAIN)
    if len(sys.argv) > 1 and sys.argv[1] == "slow":
        main(test_slow, "--aggregate-timeout", "500ms", config=SLOW)
    if len(sys.argv) > 1 and sys.argv[1] == "one":
        main(test_serve, "--log-level", "info", config=CONFIG)
    try:
        checks()
        print("ok - --check")
    except Exception as e:
        print("FAIL: --check: %r" % e)
        sys.exit(1)
    rcs = [subprocess.call([sys.executable, os.path.abspath(__file__), n])
           for n in ("one", "several", "reload", "watch", "drain",
                     "bigger", "slow")]
    sys.exit(1 if any(rc != 0 for rc in rcs) else 0)
