#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Client mode against a scripted MCP 2026-07-28 server (mock.ModernServer,
tests/mcptest), for what neither the conformance suite nor serve exercises:
a HeaderMismatch answered by listing the tools and trying again,
requestState over several rounds, a broken answer stream sent again under a
new id (never resumed), results the bridge must refuse, a server without
subscriptions/listen, --era modern against a legacy server, a requestState
echoed byte for byte, an answer under another id, and stdin ending while
the server waits for input.  Then a local client that speaks 2026-07-28
itself: its traffic passes through (discover, input_required retried by the
local client, a listen under its own id, a cancel that closes the stream),
and against a legacy server it is sent to initialize.  Every request is
checked for the modern _meta and headers; none may carry a session, and no
GET or DELETE may come.
Python standard library only; bounded timeouts.
"""
import os
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest import bridge  # noqa: E402
from mcptest.bridge import BRIDGE, Client, call  # noqa: E402
from mcptest.mock import (HoldingHandler, ModernServer, Server,  # noqa: E402
                          State, V)
from mcptest.run import need_built, scenario_names, scenarios  # noqa: E402


INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25",
    "capabilities": {"sampling": {}, "elicitation": {}},
    "clientInfo": {"name": "client-modern", "version": "1"}}}


def text_of(r):
    assert "result" in r, r
    return r["result"]["content"][0]["text"]


def scenario_modern():
    srv = ModernServer()
    b = Client(srv.url())
    b.send(INIT)
    r = b.recv()
    assert r["result"]["serverInfo"]["name"] == "scripted", r
    b.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    # The local client never listed the tools: the server says the
    # headers do not match; the bridge lists them (both pages) and tries
    # once more with Mcp-Param-Region and the nested Mcp-Param-Deep.
    b.send(call(1, "region", region=" west ", n={"deep": 7}))
    r = b.recv()
    assert r["id"] == 1 and text_of(r) == "region= west ", r
    assert srv.st.methods() == ["server/discover", "tools/call",
                                "tools/list", "tools/list", "tools/call"], \
        srv.st.methods()
    calls = srv.st.bodies("tools/call")
    assert calls[0]["id"] != calls[1]["id"], "a new id for the retry"

    # tools/list through the bridge: the tool with an invalid annotation
    # is left out, with a warning.
    b.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    r = b.recv()
    assert [t["name"] for t in r["result"]["tools"]] == ["region"], r
    assert r["result"]["nextCursor"] == "page2", r
    b.send({"jsonrpc": "2.0", "id": 3, "method": "tools/list",
            "params": {"cursor": "page2"}})
    r = b.recv()
    assert [t["name"] for t in r["result"]["tools"]] == ["ask"], r
    assert "leaving out the tool bad" in b.stderr()

    # Two rounds; requestState echoed exactly, answers keyed as asked.
    b.send(call(4, "ask"))
    q = b.recv()
    assert q["method"] == "elicitation/create", q
    b.send({"jsonrpc": "2.0", "id": q["id"], "result": {
        "action": "accept", "content": {"name": "Ann"}}})
    q = b.recv()
    assert q["method"] == "sampling/createMessage", q
    b.send({"jsonrpc": "2.0", "id": q["id"], "result": {
        "role": "assistant", "model": "m",
        "content": {"type": "text", "text": "hi"}}})
    r = b.recv()
    assert r["id"] == 4 and text_of(r) == "Ann/hi", r
    asks = srv.st.bodies("tools/call")[-3:]
    assert len({a["id"] for a in asks}) == 3, "a new id every round"
    assert "requestState" not in asks[0]["params"]
    assert asks[1]["params"]["requestState"] == "s/1 +"
    assert list(asks[2]["params"]["inputResponses"]) == ["llm"]

    # The answer stream breaks: the progress gets through, then the
    # request goes again under a new id (no GET with Last-Event-ID).
    b.send({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {
        "name": "cut", "arguments": {}, "_meta": {"progressToken": "t"}}})
    got = [b.recv(), b.recv(), b.recv()]
    assert [g.get("method") for g in got[:2]] == \
        ["notifications/progress"] * 2, got
    assert got[2]["id"] == 5 and text_of(got[2]) == "whole", got
    cuts = [c for c in srv.st.bodies("tools/call")
            if c["params"]["name"] == "cut"]
    assert len(cuts) == 2 and cuts[0]["id"] != cuts[1]["id"], cuts
    assert cuts[0]["params"]["_meta"]["progressToken"] == "t"
    # The server's own error, in the 404 that mirrors -32601, is its
    # answer, not a failure of the bridge's.
    b.send({"jsonrpc": "2.0", "id": 50, "method": "prompts/list"})
    r = b.recv()
    assert r["id"] == 50 and r["error"]["code"] == -32601, r
    # All mended: a clean exit.
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    assert "Mcp-Param" not in b.stderr(), "header values stay out of logs"

    # Results the bridge refuses, with the local id.
    b = Client(srv.url())
    b.send(INIT)
    assert "result" in b.recv()
    b.send(call(6, "weird"))
    r = b.recv()
    assert r["id"] == 6 and "task" in r["error"]["message"], r
    # The level goes with every request; an unknown one is refused and
    # leaves the last good one in force.
    b.send({"jsonrpc": "2.0", "id": 70, "method": "logging/setLevel",
            "params": {"level": "debug"}})
    assert b.recv() == {"jsonrpc": "2.0", "id": 70, "result": {}}
    b.send({"jsonrpc": "2.0", "id": 71, "method": "logging/setLevel",
            "params": {"level": "bogus"}})
    r = b.recv()
    assert r["id"] == 71 and r["error"]["code"] == -32602, r
    b.send({"jsonrpc": "2.0", "id": 7, "method": "resources/list"})
    r = b.recv()
    sent = srv.st.bodies("resources/list")[-1]["params"]["_meta"]
    assert sent.get("io.modelcontextprotocol/logLevel") == "debug", sent
    assert r["id"] == 7 and "input_required" in r["error"]["message"], r
    # The server's own errors keep their code, under the local id.
    b.send({"jsonrpc": "2.0", "id": 8, "method": "prompts/list"})
    r = b.recv()
    assert r["id"] == 8 and r["error"]["code"] == -32601, r

    # No subscriptions/listen at this server: subscribe says so.
    b.send({"jsonrpc": "2.0", "id": 9, "method": "resources/subscribe",
            "params": {"uri": "file:///x"}})
    r = b.recv()
    assert r["id"] == 9 and "subscriptions/listen" in \
        r["error"]["message"], r

    status, rest = b.finish()
    assert status == 76 and rest == [], (status, rest)   # HTTP errors
    assert srv.st.problems == [], srv.st.problems
    assert [m for m, h, body in srv.st.requests if m != "POST"] == [], \
        "no GET, no DELETE"
    for m, h, body in srv.st.requests:
        assert body["params"]["_meta"][
            "io.modelcontextprotocol/clientInfo"]["name"] == "client-modern"
    srv.stop()


def scenario_forced_modern_legacy_server():
    # --era modern against a legacy server: the initialize fails clearly.
    srv = Server()
    b = Client(srv.url(), "--era", "modern")
    b.send(bridge.INIT)
    r = b.recv()
    assert r["id"] == 0 and "server/discover failed" in \
        r["error"]["message"], r
    status, rest = b.finish()
    assert rest == [], rest
    assert State.methods(srv.st, "initialize") == [], "no initialize"
    srv.stop()


def scenario_probe_unanswered():
    # The probe gives up after --connect-timeout; the legacy session goes.
    srv = Server(handler=HoldingHandler)
    b = Client(srv.url(), "--connect-timeout", "1s")
    t0 = time.monotonic()
    b.handshake()
    took = time.monotonic() - t0
    assert 0.9 < took < 4, took
    b.send(call(1, "echo", text="legacy"))
    assert text_of(b.recv()) == "legacy"
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    assert "no answer to server/discover" in b.stderr()
    srv.stop()


def scenario_request_state_exact():
    srv = ModernServer()
    b = Client(srv.url())
    b.send(INIT)
    assert "result" in b.recv()
    b.send(call(1, "nul"))
    r = b.recv()
    assert r["id"] == 1 and text_of(r) == "exact", r
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    srv.stop()


def scenario_wrong_id():
    # A JSON answer to somebody else's id can never be followed by ours
    # (no GET stream in 2026-07-28): an error now, not at the timeout.
    srv = ModernServer()
    b = Client(srv.url(), "--request-timeout", "20s")
    b.send(INIT)
    assert "result" in b.recv()
    t0 = time.monotonic()
    b.send(call(1, "wrongid"))
    r = b.recv(timeout=10)
    assert r["id"] == 1 and "not-yours" in r["error"]["message"], r
    assert time.monotonic() - t0 < 3, "failed at once"
    status, rest = b.finish()
    assert status == 76 and rest == [], (status, rest)
    srv.stop()


def scenario_local_id():
    # Request 5 waits for the local client's input (no id on the wire);
    # another request's stream carries an "answer" to id 5: it is not
    # taken for request 5's.
    srv = ModernServer()
    b = Client(srv.url())
    b.send(INIT)
    assert "result" in b.recv()
    b.send(call(5, "ask"))
    q = b.recv()
    assert q["method"] == "elicitation/create", q
    b.send(call(6, "spoof"))
    r = b.recv()
    assert r["id"] == 6 and text_of(r) == "spoof", r
    assert b.nothing_more(0.5), "request 5 still waits"
    b.send({"jsonrpc": "2.0", "id": q["id"], "result": {
        "action": "accept", "content": {"name": "Bo"}}})
    q = b.recv()
    assert q["method"] == "sampling/createMessage", q
    b.send({"jsonrpc": "2.0", "id": q["id"], "result": {
        "role": "assistant", "model": "m",
        "content": {"type": "text", "text": "yo"}}})
    r = b.recv()
    assert r["id"] == 5 and text_of(r) == "Bo/yo", r
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    srv.stop()


def clean(b):
    log = b.stderr()
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert bad not in log, "sanitizer report in the log"


def scenario_input_after_eof():
    # stdin ends while the server waits for input (the question is out),
    # or before the server asks: nobody can answer, so the request fails
    # at once rather than at --request-timeout.
    srv = ModernServer()
    b = Client(srv.url(), "--request-timeout", "30s")
    b.send(INIT)
    assert "result" in b.recv()
    b.send(call(1, "ask"))
    q = b.recv()
    assert q["method"] == "elicitation/create", q
    t0 = time.monotonic()
    b.p.stdin.close()
    got = [b.recv(timeout=10), b.recv(timeout=10)]
    cancel = [g for g in got if g.get("method") == "notifications/cancelled"]
    assert cancel and cancel[0]["params"]["requestId"] == q["id"], got
    r = [g for g in got if "id" in g][0]
    assert r["id"] == 1 and "stdin" in r["error"]["message"], r
    assert b.p.wait(timeout=10) != 0
    assert time.monotonic() - t0 < 3, "failed at once"
    clean(b)

    b = Client(srv.url(), "--request-timeout", "30s")
    b.send(INIT)
    b.send(call(2, "ask"))
    t0 = time.monotonic()
    b.p.stdin.close()
    assert "result" in b.recv(timeout=10)
    r = b.recv(timeout=10)
    assert r["id"] == 2 and "stdin" in r["error"]["message"], r
    assert b.nothing_more(), "no question nobody can answer"
    assert b.p.wait(timeout=10) != 0
    assert time.monotonic() - t0 < 3, "failed at once"
    clean(b)
    srv.stop()


def scenario_listen():
    # The listen stream breaks after its acknowledgement: once it is back,
    # the local client hears that the resource may have changed (what
    # happened in between is lost).  A subscribe the server refuses on the
    # stream fails with the server's reason, at once, and leaves the
    # filter.
    srv = ModernServer()
    srv.st.listen = True
    srv.st.break_listen = 1
    srv.st.busy_listen = 1      # and the first is refused for a second
    b = Client(srv.url(), "--request-timeout", "30s")
    b.send(INIT)
    assert "result" in b.recv()
    b.send({"jsonrpc": "2.0", "id": 1, "method": "resources/subscribe",
            "params": {"uri": "file:///a"}})
    r = b.recv()
    assert r == {"jsonrpc": "2.0", "id": 1, "result": {}}, r
    t = srv.st.listen_times
    assert t[1] - t[0] >= 0.9, "Retry-After obeyed: %r" % t
    r = b.recv(timeout=5)
    assert r == {"jsonrpc": "2.0", "method": "notifications/resources/updated",
                 "params": {"uri": "file:///a"}}, r
    assert len(srv.st.listens) == 2, srv.st.listens
    t0 = time.monotonic()
    b.send({"jsonrpc": "2.0", "id": 2, "method": "resources/subscribe",
            "params": {"uri": "bad://x"}})
    r = b.recv(timeout=5)
    assert r["id"] == 2 and "no such resource" in r["error"]["message"], r
    assert time.monotonic() - t0 < 3
    deadline = time.monotonic() + 5
    while len(srv.st.listens) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.st.listens[-1] == {"resourceSubscriptions": ["file:///a"]}, \
        srv.st.listens
    assert b.nothing_more(0.5), "nothing else"
    # A listen the server keeps refusing on the stream, with no subscribe
    # waiting for it, is tried again with a growing pause, not in a loop.
    with srv.st.lock:
        srv.st.refuse_listen = True
        n0 = len(srv.st.listen_times)
    b.send({"jsonrpc": "2.0", "id": 3, "method": "resources/subscribe",
            "params": {"uri": "file:///b"}})
    r = b.recv(timeout=5)
    assert r["id"] == 3 and "listening is broken" in r["error"]["message"], r
    time.sleep(3)
    tries = len(srv.st.listen_times) - n0
    assert 2 <= tries <= 8, "listens refused in 3s: %d" % tries
    status, rest = b.finish()
    assert rest == [], rest
    srv.stop()


META = {"io.modelcontextprotocol/protocolVersion": V,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
        "io.modelcontextprotocol/clientInfo": {"name": "modern-local",
                                               "version": "1"}}


def mreq(i, method, meta=None, **params):
    """A request of a 2026-07-28 local client, with its own _meta."""
    params["_meta"] = dict(META, **(meta or {}))
    return {"jsonrpc": "2.0", "id": i, "method": method, "params": params}


def wait_for(pred, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def scenario_modern_local():
    srv = ModernServer()
    srv.st.listen_ok = True
    b = Client(srv.url())

    # The stdio era probe of the local client: forwarded after the
    # bridge's own probe, answered under the local id.
    b.send(mreq("d", "server/discover"))
    r = b.recv()
    assert r["id"] == "d" and r["result"]["supportedVersions"] == [V], r
    assert srv.st.methods() == ["server/discover"] * 2, srv.st.methods()
    fwd = srv.st.bodies("server/discover")[1]
    assert fwd["params"]["_meta"] == META and fwd["id"] != "d", fwd
    # An initialize to a server known to be modern goes as it is too
    # (the conformance suite sends one), and changes nothing.
    b.send(mreq("i", "initialize", protocolVersion="2025-11-25",
                capabilities={}, clientInfo={"name": "x", "version": "1"}))
    r = b.recv()
    assert r["id"] == "i" and r["error"]["code"] == -32601, r
    assert srv.st.methods()[-1] == "initialize"

    # input_required comes back as the server gave it; the local client
    # retries by itself, with new ids, and the requestState goes as is.
    b.send(mreq(1, "tools/call", name="ask", arguments={}))
    r = b.recv()
    assert r["id"] == 1 and r["result"]["resultType"] == \
        "input_required", r
    assert r["result"]["requestState"] == "s/1 +", r
    assert "who" in r["result"]["inputRequests"], r
    b.send(mreq(2, "tools/call", name="ask", arguments={},
                inputResponses={"who": {"action": "accept",
                                        "content": {"name": "Ann"}}},
                requestState="s/1 +"))
    r = b.recv()
    assert r["id"] == 2 and r["result"]["requestState"] == "s/2:Ann", r
    b.send(mreq(3, "tools/call", name="ask", arguments={},
                inputResponses={"llm": {"role": "assistant", "model": "m",
                                        "content": {"type": "text",
                                                    "text": "hi"}}},
                requestState="s/2:Ann"))
    r = b.recv()
    assert r["id"] == 3 and text_of(r) == "Ann/hi", r
    asks = srv.st.bodies("tools/call")
    assert [a["params"].get("requestState") for a in asks] == \
        [None, "s/1 +", "s/2:Ann"], asks
    assert all(a["params"]["_meta"] == META for a in asks), asks
    assert not {a["id"] for a in asks} & {1, 2, 3}, "the bridge's own ids"

    # A listen: the acknowledgement and notifications carry the local
    # client's listen id as their subscriptionId.
    b.send(mreq(4, "subscriptions/listen",
                notifications={"toolsListChanged": True}))
    ack, chg = b.recv(), b.recv()
    assert ack["method"] == "notifications/subscriptions/acknowledged", ack
    assert chg["method"] == "notifications/tools/list_changed", chg
    for n in (ack, chg):
        assert n["params"]["_meta"][
            "io.modelcontextprotocol/subscriptionId"] == 4, n
    listen = srv.st.bodies("subscriptions/listen")[0]
    assert listen["id"] != 4 and listen["params"]["notifications"] == \
        {"toolsListChanged": True}, listen

    # A call with the local client's progress token: the progress comes
    # with it; a cancel closes the stream, and nothing is POSTed for it.
    b.send(mreq(5, "tools/call", meta={"progressToken": "p5"},
                name="slow", arguments={}))
    r = b.recv()
    assert r["method"] == "notifications/progress" and \
        r["params"]["progressToken"] == "p5", r
    slow = srv.st.bodies("tools/call")[-1]
    b.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 5, "reason": "enough"}})
    assert wait_for(lambda: ("slow", slow["id"]) in srv.st.closed), \
        srv.st.closed
    assert ("listen", listen["id"]) not in srv.st.closed
    # The listen too.
    b.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 4}})
    assert wait_for(lambda: ("listen", listen["id"]) in srv.st.closed), \
        srv.st.closed
    assert b.nothing_more(), "no answer to a cancelled request"
    assert "notifications/cancelled" not in srv.st.methods()

    # The stream breaks after the acknowledgement, twice: the bridge
    # listens again; the local client sees no second acknowledgement but
    # hears, under its own id, what may have changed meanwhile.
    srv.st.cut_listen = 2
    n = len(srv.st.bodies("subscriptions/listen"))
    b.send(mreq(7, "subscriptions/listen",
                notifications={"toolsListChanged": True}))
    got = [b.recv(), b.recv()]
    for _ in range(4):
        got.append(b.recv())
    assert [g["method"] for g in got] == [
        "notifications/subscriptions/acknowledged"] + \
        ["notifications/tools/list_changed"] * 5, got
    assert all(g["params"]["_meta"][
        "io.modelcontextprotocol/subscriptionId"] == 7 for g in got), got
    assert len(srv.st.bodies("subscriptions/listen")) == n + 3
    b.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 7}})
    assert b.nothing_more(0.5), "nothing after the cancel"

    # The server tears a listen down: the local client hears it under its
    # own id, and the bridge does not listen again by itself.
    srv.st.cancel_listen = True
    n = len(srv.st.bodies("subscriptions/listen"))
    b.send(mreq(5, "subscriptions/listen",
                notifications={"toolsListChanged": True}))
    got = [b.recv(), b.recv(), b.recv()]
    assert [g["method"] for g in got] == [
        "notifications/subscriptions/acknowledged",
        "notifications/tools/list_changed", "notifications/cancelled"], got
    assert got[2]["params"] == {"requestId": 5}, got[2]
    assert b.nothing_more(1.0), "nothing after the teardown"
    assert len(srv.st.bodies("subscriptions/listen")) == n + 1, \
        "not sent again"
    srv.st.cancel_listen = False

    # A listen still open when stdin ends goes with it: a quick exit.
    b.send(mreq(6, "subscriptions/listen",
                notifications={"toolsListChanged": True}))
    assert b.recv()["params"]["_meta"][
        "io.modelcontextprotocol/subscriptionId"] == 6
    b.recv()
    t0 = time.monotonic()
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    assert time.monotonic() - t0 < 3
    assert srv.st.problems == [], srv.st.problems
    assert [m for m, h, body in srv.st.requests if m != "POST"] == [], \
        "no GET, no DELETE"
    # Only the bridge's own probe says it is the bridge.
    infos = [body["params"]["_meta"]["io.modelcontextprotocol/clientInfo"]
             ["name"] for m, h, body in srv.st.requests]
    assert infos[1:] == ["modern-local"] * (len(infos) - 1), infos
    srv.stop()


def scenario_modern_local_legacy_server():
    # A 2026-07-28 local client, a legacy server: server/discover gets
    # what a legacy stdio server answers, then the local client's
    # initialize goes the legacy way.
    srv = Server()
    b = Client(srv.url())
    b.send(mreq("d", "server/discover"))
    r = b.recv()
    assert r["id"] == "d" and r["error"]["code"] == -32601, r
    b.send(mreq(1, "tools/list"))
    r = b.recv()
    assert r["id"] == 1 and r["error"]["code"] == -32022, r
    assert r["error"]["data"] == {"supported": [
        "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"],
        "requested": V}, r
    b.handshake()
    b.send(call(2, "echo", text="legacy"))
    assert text_of(b.recv()) == "legacy"
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    # A dual-era client that does not wait: its initialize is a legacy
    # client's all the same.
    b = Client(srv.url())
    b.send(mreq("d", "server/discover"))
    b.send(bridge.INIT)
    r = b.recv()
    assert r["id"] == "d" and r["error"]["code"] == -32601, r
    r = b.recv()
    assert r["id"] == 0 and "protocolVersion" in r["result"], r
    b.send(bridge.INITIALIZED)
    # Once it has initialized, a request that still carries the modern
    # _meta is a legacy request all the same, not a new era guess.
    b.send(mreq(3, "tools/call", name="echo", arguments={"text": "again"}))
    r = b.recv()
    assert r["id"] == 3 and text_of(r) == "again", r
    status, rest = b.finish()
    assert status == 0 and rest == [], (status, rest)
    srv.stop()


def scenario_subscribe_timeout():
    # A subscribe whose listen is never acknowledged fails at the
    # deadline, and the listens after it no longer ask for its resource.
    srv = ModernServer()
    srv.st.listen = True
    srv.st.silent_listen = True
    b = Client(srv.url(), "--request-timeout", "1s")
    b.send(INIT)
    assert "result" in b.recv()
    b.send({"jsonrpc": "2.0", "id": 1, "method": "resources/subscribe",
            "params": {"uri": "file:///slow"}})
    r = b.recv(timeout=5)
    assert r["id"] == 1 and "error" in r, r
    srv.st.silent_listen = False
    b.send({"jsonrpc": "2.0", "id": 2, "method": "resources/subscribe",
            "params": {"uri": "file:///b"}})
    r = b.recv(timeout=5)
    assert r == {"jsonrpc": "2.0", "id": 2, "result": {}}, r
    assert srv.st.listens[-1] == {"resourceSubscriptions": ["file:///b"]}, \
        srv.st.listens
    b.finish()
    srv.stop()


SCENARIOS = [scenario_modern, scenario_forced_modern_legacy_server,
             scenario_probe_unanswered, scenario_request_state_exact,
             scenario_wrong_id, scenario_input_after_eof, scenario_listen,
             scenario_local_id, scenario_modern_local,
             scenario_modern_local_legacy_server, scenario_subscribe_timeout]


if __name__ == "__main__":
    need_built(BRIDGE)
    sys.exit(scenarios(scenario_names(SCENARIOS), alarm=120))
