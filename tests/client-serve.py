#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Client mode against `mcpbridge serve` in front of the test server, over
both transports and both eras: the handshake, answers, progress, a
server-to-client request answered by the local client, subscriptions, a
pipeline with --oneshot, and the server killed and started again
mid-session.  serve speaks 2026-07-28 too, so by default the bridge picks
the modern era (server/discover) and the local client's legacy flow is
translated: input_required rounds become requests to it.
Python standard library only; bounded timeouts; 77 if a binary is missing.
"""
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import BRIDGE, Bridge, Client, call  # noqa: E402
from mcptest.run import need_built, scenarios  # noqa: E402


def serve(port=0):
    """mcpbridge serve in front of the test server, on port."""
    return Bridge(port=port, stop_timeout=10)


def text_of(r):
    assert "result" in r, r
    return r["result"]["content"][0]["text"]


def session(url, *args):
    b = Client(url, *args)
    b.handshake()
    b.send(call(1, "echo", text="hello"))
    assert text_of(b.recv()) == "hello"

    # Progress notifications, then the answer.
    b.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "progress", "arguments": {"steps": 3, "ms": 10},
        "_meta": {"progressToken": "p2"}}})
    seen = []
    while True:
        r = b.recv()
        if r.get("id") == 2:
            break
        seen.append(r)
    assert [m["method"] for m in seen] == ["notifications/progress"] * 3, seen
    assert all(m["params"]["progressToken"] == "p2" for m in seen)

    # A request from the server, answered by the local client.
    b.send(call(3, "sample", prompt="hi", force=True))
    req = b.recv()
    assert req["method"] == "sampling/createMessage", req
    b.send({"jsonrpc": "2.0", "id": req["id"], "result": {
        "role": "assistant", "model": "m",
        "content": {"type": "text", "text": "sampled!"}}})
    r = b.recv()
    assert r["id"] == 3 and "sampled!" in text_of(r), r

    # Several requests in flight at once; each answered once.
    for i in range(10, 20):
        b.send(call(i, "delay", ms=(20 - i) * 10, message=str(i)))
    got = sorted(b.recv()["id"] for _ in range(10))
    assert got == list(range(10, 20)), got
    return b


def scenario_streamable(srv):
    b = session(srv.url + "/mcp", "--era", "legacy")
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    assert "MCP 2026-07-28" not in b.stderr(), "no probe with --era legacy"


def scenario_modern_session(srv):
    # The same session as above, in the modern era picked by the probe.
    b = session(srv.url + "/mcp")
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    assert "the server speaks MCP 2026-07-28" in b.stderr()


def answer_sampling(b, req, text):
    b.send({"jsonrpc": "2.0", "id": req["id"], "result": {
        "role": "assistant", "model": "m",
        "content": {"type": "text", "text": text}}})


def scenario_modern(srv):
    b = Client(srv.url + "/mcp")
    b.send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {"sampling": {}, "elicitation": {}, "roots": {}},
        "clientInfo": {"name": "client-serve", "version": "1"}}})
    r = b.recv()
    # Answered by the bridge from server/discover, legacy-shaped.
    assert r["id"] == 0 and r["result"]["protocolVersion"] == "2025-06-18", r
    assert r["result"]["serverInfo"]["name"] == "mcpbridge-test-server", r
    assert "tools" in r["result"]["capabilities"], r
    b.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert "the server speaks MCP 2026-07-28" in b.stderr()

    # A tool that needs sampling: the question comes to the local client
    # with an id of the bridge's, the answer goes back with the retry.
    b.send(call(1, "sample", prompt="hi"))
    req = b.recv()
    assert req["method"] == "sampling/createMessage", req
    assert str(req["id"]).startswith("mcpbridge-"), req
    answer_sampling(b, req, "sampled!")
    r = b.recv()
    assert r["id"] == 1 and "sampled!" in text_of(r), r

    # Three questions at once, then two rounds.
    b.send(call(2, "test_input_required_result_multiple_inputs"))
    asked = {}
    for _ in range(3):
        q = b.recv()
        asked[q["method"]] = q
    assert sorted(asked) == ["elicitation/create", "roots/list",
                             "sampling/createMessage"], asked
    b.send({"jsonrpc": "2.0", "id": asked["roots/list"]["id"],
            "result": {"roots": [{"uri": "file:///tmp", "name": "tmp"}]}})
    answer_sampling(b, asked["sampling/createMessage"], "Hi there")
    b.send({"jsonrpc": "2.0", "id": asked["elicitation/create"]["id"],
            "result": {"action": "accept", "content": {"name": "Ann"}}})
    r = b.recv()
    assert r["id"] == 2 and text_of(r) == \
        "name=Ann, greeting=Hi there, roots=1", r
    b.send(call(3, "test_input_required_result_multi_round"))
    for answer in ({"name": "Ann"}, {"color": "blue"}):
        q = b.recv()
        assert q["method"] == "elicitation/create", q
        b.send({"jsonrpc": "2.0", "id": q["id"],
                "result": {"action": "accept", "content": answer}})
    r = b.recv()
    assert r["id"] == 3 and text_of(r) == "Ann likes blue", r

    # Two at once, answered in the other order: each keeps its own.
    b.send(call(4, "sample", prompt="four"))
    b.send(call(5, "sample", prompt="five"))
    qs = [b.recv(), b.recv()]
    for q in reversed(qs):
        answer_sampling(b, q, "re: " +
                        q["params"]["messages"][0]["content"]["text"])
    got = {}
    for _ in range(2):
        r = b.recv()
        got[r["id"]] = text_of(r)
    assert "re: four" in got[4] and "re: five" in got[5], got

    # The local client refuses: the call gets an error under its id.
    b.send(call(6, "sample", prompt="no"))
    q = b.recv()
    b.send({"jsonrpc": "2.0", "id": q["id"],
            "error": {"code": -1, "message": "user said no"}})
    r = b.recv()
    assert r["id"] == 6 and "user said no" in r["error"]["message"], r

    # ping and logging/setLevel are the bridge's; the level goes with
    # every request, so the server's log messages come.
    b.send({"jsonrpc": "2.0", "id": 7, "method": "ping"})
    assert b.recv() == {"jsonrpc": "2.0", "id": 7, "result": {}}
    b.send({"jsonrpc": "2.0", "id": 8, "method": "logging/setLevel",
            "params": {"level": "info"}})
    assert b.recv()["id"] == 8
    b.send(call(9, "test_logging_tool"))
    seen = []
    while True:
        r = b.recv()
        if r.get("id") == 9:
            break
        seen.append(r["method"])
    assert seen == ["notifications/message"] * 2, seen

    # A subscription, on the subscriptions/listen stream.
    b.send({"jsonrpc": "2.0", "id": 10, "method": "resources/subscribe",
            "params": {"uri": "test://watched-resource"}})
    assert b.recv() == {"jsonrpc": "2.0", "id": 10, "result": {}}
    b.send(call(11, "trigger_update", uri="test://watched-resource"))
    got = {}
    while len(got) < 2:
        r = b.recv()
        got[r.get("id", r.get("method"))] = r
    up = got["notifications/resources/updated"]
    assert up["params"]["uri"] == "test://watched-resource", up
    assert "_meta" not in up["params"], "no subscription tag for legacy"
    b.send({"jsonrpc": "2.0", "id": 12, "method": "resources/unsubscribe",
            "params": {"uri": "test://watched-resource"}})
    assert b.recv()["id"] == 12
    # List changes come on the same stream (serve offers listChanged).
    b.send(call(15, "notify_list_changed", list="tools"))
    got = {}
    while len(got) < 2:
        r = b.recv()
        got[r.get("id", r.get("method"))] = r
    assert "notifications/tools/list_changed" in got, got

    # A local cancel ends the request's stream; nothing comes for it.
    b.send(call(13, "delay", ms=2000, message="late"))
    time.sleep(0.2)
    b.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 13}})
    b.send(call(14, "echo", text="after"))
    r = b.recv()
    assert r["id"] == 14 and text_of(r) == "after", r
    assert b.nothing_more(2.5), "no answer to the cancelled request"
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    log = b.stderr()
    assert "Mcp-Session-Id" not in log and "DELETE" not in log, log[-2000:]


def scenario_legacy(srv):
    b = session(srv.url + "/sse", "--transport", "sse")
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)


def scenario_auto_fallback(srv):
    b = Client(srv.url + "/sse")
    b.handshake()
    b.send(call(1, "echo", text="via fallback"))
    assert text_of(b.recv()) == "via fallback"
    status, rest = b.finish()
    assert status == 0 and rest == []
    assert "trying the HTTP+SSE transport" in b.stderr()


def scenario_oneshot(srv):
    p = subprocess.run(
        [BRIDGE, "client", "--oneshot", srv.url + "/mcp"],
        input=b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n',
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert len(lines) == 1 and '"echo"' in lines[0], lines


def scenario_restart(srv, transport, *args):
    path = "/mcp" if transport == "streamable" else "/sse"
    b = Client(srv.url + path, "--transport", transport, *args)
    b.handshake()
    b.send(call(1, "echo", text="before"))
    assert text_of(b.recv()) == "before"
    port = srv.port
    # One request in flight when the server dies, one sent while it is
    # down: both answered once the new server is up.
    b.send(call(2, "delay", ms=3000, message="in flight"))
    time.sleep(0.3)
    srv.stop()
    b.send(call(3, "echo", text="after"))
    time.sleep(0.3)
    srv2 = serve(port)
    try:
        got, notes = {}, []
        modern = transport == "streamable" and "legacy" not in args
        want = ["notifications/%s/list_changed" % k for k in
                ("tools", "prompts", "resources")] if modern else []
        while len(got) < 2 or len(notes) < len(want):
            r = b.recv(timeout=25)
            if "id" not in r:
                notes.append(r["method"])
                continue
            got[r["id"]] = text_of(r)
        assert got == {2: "in flight", 3: "after"}, got
        # The listen stream is back: what changed meanwhile is lost, so
        # the local client hears that the lists may have changed.
        assert notes == want, notes
        assert b.nothing_more(), "no error, nothing doubled"
        status, rest = b.finish()
        assert status == 0 and rest == [], (status, rest)
    finally:
        srv.proc = srv2.proc
    return srv2


def main():
    srv = serve()

    def restarted():
        nonlocal srv
        if srv.proc.poll() is not None:
            srv = serve(srv.port)
    items = [
        ("streamable", lambda: scenario_streamable(srv)),
        ("modern-session", lambda: scenario_modern_session(srv)),
        ("modern", lambda: scenario_modern(srv)),
        ("legacy", lambda: scenario_legacy(srv)),
        ("auto-fallback", lambda: scenario_auto_fallback(srv)),
        ("oneshot", lambda: scenario_oneshot(srv)),
        ("restart-streamable", lambda: scenario_restart(srv, "streamable",
                                                        "--era", "legacy")),
        ("restart-modern", lambda: scenario_restart(srv, "streamable")),
        ("restart-sse", lambda: scenario_restart(srv, "sse")),
    ]
    try:
        return scenarios(items, after=restarted)
    finally:
        srv.stop()


if __name__ == "__main__":
    need_built()
    sys.exit(main())
