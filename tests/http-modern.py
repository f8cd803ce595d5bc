#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-modern.py: MCP 2026-07-28 clients (stateless, per-request _meta) over
# raw HTTP, served from the legacy test server: discovery, header and
# _meta checks with their status codes, decorated results, input_required
# rounds and their requestState, subscriptions/listen, logging and
# progress on the request's own stream, cancellation by closing the
# stream, and a legacy session working next to it all.
# Exit 0 pass, 1 fail, 77 skip.
import base64
import json
import os
import re
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import Failure, check, main, run_each  # noqa: E402
from mcptest.wire import (ACCEPT_BOTH, Response, initialize,  # noqa: E402
                          metric, note, post, rpc)

V = "2026-07-28"
SERVERINFO = "io.modelcontextprotocol/serverInfo"
SUBID = "io.modelcontextprotocol/subscriptionId"


# ---- 2026-07-28 helpers ----

def meta(caps=None, level=None, **extra):
    m = {"io.modelcontextprotocol/protocolVersion": V,
         "io.modelcontextprotocol/clientCapabilities":
         caps if caps is not None else
         {"sampling": {}, "elicitation": {}, "roots": {}},
         "io.modelcontextprotocol/clientInfo": {"name": "http-modern",
                                                "version": "1"}}
    if level is not None:
        m["io.modelcontextprotocol/logLevel"] = level
    m.update(extra)
    return m


def name_header(value):
    if value.isascii() and value.isprintable() and value == value.strip():
        return value
    return "=?base64?%s?=" % base64.b64encode(value.encode()).decode()


def mpost(b, id, method, params=None, caps=None, level=None, headers=None,
          drop=(), timeout=10):
    """A modern request with the headers a client sends (minus drop)."""
    params = dict(params or {})
    params.setdefault("_meta", meta(caps, level))
    h = {"Content-Type": "application/json", "Accept": ACCEPT_BOTH,
         "MCP-Protocol-Version": V, "Mcp-Method": method}
    if method in ("tools/call", "prompts/get") and "name" in params:
        h["Mcp-Name"] = name_header(params["name"])
    if method == "resources/read" and "uri" in params:
        h["Mcp-Name"] = name_header(params["uri"])
    h.update(headers or {})
    for k in drop:
        h.pop(k, None)
    return Response(b, "POST", "/mcp", h, rpc(id, method, params),
                    timeout=timeout)


def answer(r):
    """The final response of a request (JSON or SSE), and what came
    before it on the stream."""
    if r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        r.close()
        return body, []
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "content type %r" % r.headers.get("content-type"))
    before = []
    while True:
        ev = r.message()
        check(ev is not None, "stream ended without an answer")
        if "id" in ev["msg"] and "method" not in ev["msg"]:
            r.close()
            return ev["msg"], before
        before.append(ev["msg"])


def call(b, id, name, args=None, status=200, **kw):
    p = {"name": name, "arguments": args or {}}
    p.update(kw.pop("extra", {}))
    r = mpost(b, id, "tools/call", p, **kw)
    check(r.status == status, "%s: status %d, not %d" %
          (name, r.status, status))
    return answer(r)


def text(msg):
    return msg["result"]["content"][0]["text"]


def child_saw(b, pattern, headers=None):
    """Did the child read a line matching pattern (the received knob)?"""
    body, _ = call(b, 900, "received", {"count": 100}, headers=headers)
    return any(re.search(pattern, item["text"])
               for item in body["result"]["content"])


# ---- the tests ----

def test_discover_and_errors(b):
    r = mpost(b, "d1", "server/discover")
    check(r.status == 200, "discover: %d" % r.status)
    check(r.headers.get("content-type") == "application/json",
          "discover content type")
    d = r.json()
    r.close()
    res = d["result"]
    check(d["id"] == "d1", "discover id")
    check(res["supportedVersions"] == [V], "supportedVersions %r" %
          res["supportedVersions"])
    check(res["resultType"] == "complete", "discover resultType")
    check(res["_meta"][SERVERINFO]["name"] == "mcpbridge-test-server",
          "discover serverInfo")
    check("tools" in res["capabilities"], "discover capabilities")
    check(res["ttlMs"] == 0 and res["cacheScope"] == "private",
          "discover caching hints")

    def err(r, status, code, what):
        check(r.status == status, "%s: status %d" % (what, r.status))
        body = r.json()
        r.close()
        check(body["error"]["code"] == code, "%s: %r" % (what, body))
        check(body["id"] == 5, "%s: error without the request id" % what)
        return body

    err(mpost(b, 5, "tools/list", drop=("MCP-Protocol-Version",)), 400,
        -32020, "no MCP-Protocol-Version")
    err(mpost(b, 5, "tools/list",
              headers={"MCP-Protocol-Version": "2025-11-25"}), 400, -32020,
        "MCP-Protocol-Version mismatch")
    err(mpost(b, 5, "tools/list", drop=("Mcp-Method",)), 400, -32020,
        "no Mcp-Method")
    err(mpost(b, 5, "tools/list", headers={"Mcp-Method": "prompts/list"}),
        400, -32020, "Mcp-Method mismatch")
    err(mpost(b, 5, "tools/call", {"name": "echo"}, drop=("Mcp-Name",)),
        400, -32020, "no Mcp-Name")
    err(mpost(b, 5, "tools/call", {"name": "echo"},
              headers={"Mcp-Name": "=?base64?ZWNob?="}), 400, -32020,
        "broken base64 Mcp-Name")
    err(mpost(b, 5, "tools/list", {"_meta": {
        "io.modelcontextprotocol/protocolVersion": V}}), 400, -32602,
        "no clientCapabilities")
    e = err(mpost(b, 5, "tools/list", {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "v9",
        "io.modelcontextprotocol/clientCapabilities": {}}},
        headers={"MCP-Protocol-Version": "v9"}), 400, -32022,
        "unsupported version")
    check(e["error"]["data"] == {"supported": [V], "requested": "v9"},
          "unsupported version data %r" % e["error"]["data"])
    for m in ("ping", "initialize", "logging/setLevel", "resources/subscribe",
              "unknown/method"):
        err(mpost(b, 5, m), 404, -32601, m)

    # The sentinel form of Mcp-Name, and blanks around values.
    body, _ = call(b, 6, "echo", {"text": "hi"},
                   headers={"Mcp-Name": "  =?base64?ZWNobw==?= "})
    check(text(body) == "hi", "echo via base64 Mcp-Name")
    # Ids at the edges of what the bridge carries come back as sent.
    for id in (18446744073709551615, -9223372036854775808):
        body, _ = call(b, id, "echo", {"text": "edge"})
        check(body["id"] == id and text(body) == "edge",
              "id %d: %r" % (id, body))
    # A name holding a NUL is not the header naming its first part.
    r = mpost(b, 5, "tools/call", {"name": "echo\u0000x", "arguments": {}},
              headers={"Mcp-Name": "echo"})
    err_body = r.json()
    r.close()
    check(r.status == 400 and err_body["error"]["code"] == -32020,
          "NUL in the name: %d %r" % (r.status, err_body))
    # A mirrored header sent twice: a proxy may route on either copy.
    doubled = json.dumps(rpc(9, "tools/call", {
        "name": "echo", "arguments": {"text": "x"}, "_meta": meta()}))
    s = socket.create_connection((b.host, b.port), timeout=10)
    s.sendall(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Content-Type: application/json\r\nAccept: %s\r\n"
               "MCP-Protocol-Version: %s\r\nMcp-Method: tools/call\r\n"
               "Mcp-Name: safe\r\nMcp-Name: echo\r\nConnection: close\r\n"
               "Content-Length: %d\r\n\r\n%s" % (
                   ACCEPT_BOTH, V, len(doubled), doubled)).encode())
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    head, _, rest = got.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 400 "), "repeated Mcp-Name: %r" % head)
    e = json.loads(rest)
    check(e["id"] == 9 and e["error"]["code"] == -32020 and
          "repeated" in e["error"]["message"], "repeated Mcp-Name: %r" % e)
    check(body["result"]["resultType"] == "complete", "resultType")
    check(body["result"]["_meta"][SERVERINFO]["name"] ==
          "mcpbridge-test-server", "result serverInfo")

    # Caching hints on lists and reads; -32602 for a missing resource.
    r = mpost(b, 7, "resources/read", {"uri": "test://static-text"})
    body, _ = answer(r)
    check(body["result"]["cacheScope"] == "private" and
          body["result"]["ttlMs"] == 0, "resources/read hints")
    r = mpost(b, 8, "resources/read", {"uri": "test://nope"})
    check(r.status == 400, "missing resource: %d" % r.status)
    body, _ = answer(r)
    check(body["error"]["code"] == -32602 and
          body["error"]["data"]["uri"] == "test://nope",
          "missing resource: %r" % body)

    # Notifications are accepted and go nowhere; GET and DELETE are gone.
    r = Response(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "MCP-Protocol-Version": V}, note("notifications/cancelled",
                                         {"requestId": 1}))
    check(r.status == 202, "notification: %d" % r.status)
    r.close()
    # One under a version nobody speaks is refused, as a request would be.
    r = Response(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "MCP-Protocol-Version": "2025-13-01"}, note(
            "notifications/cancelled", {"requestId": 1}))
    check(r.status == 400, "notification, bad version: %d" % r.status)
    check(r.json()["error"]["code"] == -32022, "bad version: %r" % r.body())
    r.close()
    for method in ("GET", "DELETE"):
        r = Response(b, method, "/mcp", {"Accept": "text/event-stream",
                                          "MCP-Protocol-Version": V})
        check(r.status == 405, "%s: %d" % (method, r.status))
        r.close()


def test_input_required(b):
    body, _ = call(b, 1, "test_input_required_result_elicitation")
    res = body["result"]
    check(res["resultType"] == "input_required", "input_required: %r" % res)
    ask = res["inputRequests"]["user_name"]
    check(ask["method"] == "elicitation/create", "elicitation asked")
    check("_meta" not in ask["params"], "bridge hints leaked: %r" % ask)
    state = res["requestState"]

    # Altered, or for another tool: refused.
    for name, st in (("test_input_required_result_elicitation",
                      state[:-2] + ("AA" if state[-2:] != "AA" else "BB")),
                     ("test_input_required_result_sampling", state)):
        body, _ = call(b, 2, name, status=400, extra={
            "requestState": st, "inputResponses": {"user_name": {
                "action": "accept", "content": {"name": "Al"}}}})
        check(body["error"]["code"] == -32602, "bad state: %r" % body)

    # The retry, a new id: the child's answer comes to it.
    body, _ = call(b, 3, "test_input_required_result_elicitation", extra={
        "requestState": state, "inputResponses": {"user_name": {
            "action": "accept", "content": {"name": "Al"}}}})
    check(body["id"] == 3 and text(body) == "Hello, Al!", "retry: %r" % body)
    # Used once.
    body, _ = call(b, 4, "test_input_required_result_elicitation",
                   status=400, extra={"requestState": state})
    check(body["error"]["code"] == -32602, "replayed state: %r" % body)

    # Three questions at once, answered in one retry.
    body, _ = call(b, 5, "test_input_required_result_multiple_inputs")
    asks = body["result"]["inputRequests"]
    check(sorted(a["method"] for a in asks.values()) ==
          ["elicitation/create", "roots/list", "sampling/createMessage"],
          "three questions: %r" % asks)
    body, _ = call(b, 6, "test_input_required_result_multiple_inputs",
                   extra={"requestState": body["result"]["requestState"],
                          "inputResponses": {
                              "user_name": {"action": "accept",
                                            "content": {"name": "Al"}},
                              "greeting": {"role": "assistant",
                                           "content": {"type": "text",
                                                       "text": "hey"},
                                           "model": "m"},
                              "client_roots": {"roots": []}}})
    check(text(body) == "name=Al, greeting=hey, roots=0", "three answers: %r"
          % body)

    # A client without the capability: -32021, 400.
    body, _ = call(b, 7, "test_missing_capability", caps={}, status=400)
    check(body["error"]["code"] == -32021 and "sampling" in
          body["error"]["data"]["requiredCapabilities"],
          "missing capability: %r" % body)

    # A prompt can ask too.
    r = mpost(b, 8, "prompts/get", {"name": "test_input_required_result_prompt"})
    body, _ = answer(r)
    check(body["result"]["resultType"] == "input_required", "prompt asks")
    # Its retry finishes it: until then the child is inside the prompt, and
    # what it logs unattributed could be about it, so nobody's.
    r = mpost(b, 9, "prompts/get", {
        "name": "test_input_required_result_prompt",
        "requestState": body["result"]["requestState"],
        "inputResponses": {"user_context": {
            "action": "accept", "content": {"context": "tests"}}}})
    body, _ = answer(r)
    check(body["result"]["resultType"] == "complete" and "tests" in
          body["result"]["messages"][0]["content"]["text"],
          "prompt retry: %r" % body)


def test_streams(b):
    # Progress on the request's stream, with the client's token.
    body, before = call(b, 1, "test_tool_with_progress", extra={
        "_meta": dict(meta(), progressToken="tok")})
    progress = [m for m in before if m["method"] == "notifications/progress"]
    check(progress and all(m["params"]["progressToken"] == "tok"
                           for m in progress), "progress: %r" % before)
    check(body["result"]["resultType"] == "complete", "progress result")

    # Log lines only for a request that asked for a level.
    body, before = call(b, 2, "test_tool_with_logging", level="debug")
    check(any(m["method"] == "notifications/message" for m in before),
          "no log lines with a logLevel: %r" % before)
    body, before = call(b, 3, "test_tool_with_logging")
    check(not any(m.get("method") == "notifications/message"
                  for m in before), "log lines without a logLevel")

    # subscriptions/listen: acknowledged first, everything tagged.
    listen = mpost(b, "L1", "subscriptions/listen", {"notifications": {
        "toolsListChanged": True,
        "resourceSubscriptions": ["test://watched-resource"]}})
    check(listen.status == 200, "listen: %d" % listen.status)
    ev = listen.message()
    ack = ev["msg"]
    check(ack["method"] == "notifications/subscriptions/acknowledged",
          "first on the listen stream: %r" % ack)
    check(ack["params"]["_meta"][SUBID] == "L1", "ack subscriptionId")
    check(ack["params"]["notifications"] == {
        "toolsListChanged": True,
        "resourceSubscriptions": ["test://watched-resource"]},
        "ack filter %r" % ack["params"]["notifications"])
    check("id" not in ev, "an event id on a 2026-07-28 stream")
    call(b, 4, "notify_list_changed", {"list": "prompts"})
    call(b, 5, "notify_list_changed", {"list": "tools"})
    call(b, 6, "trigger_update", {"uri": "test://watched-resource"})
    got = []
    while len(got) < 2:
        ev = listen.message()
        check(ev is not None, "listen stream ended")
        got.append(ev["msg"])
    check([m["method"] for m in got] == ["notifications/tools/list_changed",
                                         "notifications/resources/updated"],
          "listen stream: %r" % got)
    check(all(m["params"]["_meta"][SUBID] == "L1" for m in got),
          "untagged: %r" % got)
    # Closing the stream ends the subscription at the child.
    listen.close()
    for _ in range(50):
        if child_saw(b, r'"method":"resources/unsubscribe"'):
            break
        time.sleep(0.05)
    else:
        raise Failure("the child was not unsubscribed")

    # Closing a request's stream cancels it at the child.  (Its answer's
    # headers wait for the child: send and hang up without reading.)
    body = json.dumps(rpc(9, "tools/call", {"name": "delay", "arguments": {
        "ms": 20000, "message": "late"}, "_meta": meta()}))
    sock = socket.create_connection((b.host, b.port), timeout=10)
    sock.sendall(("POST %s/mcp HTTP/1.1\r\nHost: %s\r\n"
                  "Content-Type: application/json\r\nAccept: %s\r\n"
                  "MCP-Protocol-Version: %s\r\nMcp-Method: tools/call\r\n"
                  "Mcp-Name: delay\r\nContent-Length: %d\r\n\r\n%s" %
                  (b.base, b.hostport, ACCEPT_BOTH, V, len(body), body)
                  ).encode())
    # Hang up once the call is at the child, not before the bridge has
    # read it (a request never sent has nothing to cancel).
    deadline = time.monotonic() + 5
    while not child_saw(b, r'"late"'):
        check(time.monotonic() < deadline, "the call not at the child")
        time.sleep(0.02)
    sock.close()
    for _ in range(50):
        if child_saw(b, r'"method":"notifications/cancelled"'):
            break
        time.sleep(0.05)
    else:
        raise Failure("closing the stream did not cancel the request")


def test_with_legacy(b):
    # A legacy session next to modern requests, one child for both.
    sid, version = initialize(b, "2025-11-25", strict=True)
    r = post(b, rpc(2, "tools/call", {"name": "echo", "arguments": {
        "text": "legacy"}}), sid, version)
    body = r.json() if r.headers.get("content-type", "").startswith(
        "application/json") else None
    if body is None:
        while True:
            ev = r.message()
            if "id" in ev["msg"]:
                body = ev["msg"]
                break
    r.close()
    check(body["result"]["content"][0]["text"] == "legacy", "legacy call")
    check("resultType" not in body["result"], "legacy result decorated")
    body, _ = call(b, 3, "echo", {"text": "modern"})
    check(text(body) == "modern", "modern call")

    # An MCP-Protocol-Version nobody speaks, and no _meta that makes the
    # request a 2026-07-28 one: 400 (2025-06-18 on).  Without a session,
    # -32022 naming the versions that work; in a session, its error.
    bad = "1999-01-01"
    r = Response(b, "POST", "/mcp", {
        "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
        "MCP-Protocol-Version": bad}, rpc(5, "ping"))
    e = r.json()
    r.close()
    check(r.status == 400, "sessionless, version %s: %d" % (bad, r.status))
    check(e["error"]["code"] == -32022 and e["error"]["data"] == {
        "supported": ["2024-11-05", "2025-03-26", "2025-06-18",
                      "2025-11-25", V], "requested": bad},
          "sessionless, version %s: %r" % (bad, e))
    r = post(b, rpc(6, "ping"), sid, bad)
    e = r.json()
    r.close()
    check(r.status == 400, "session, version %s: %d" % (bad, r.status))
    check(e["error"]["code"] == -32000 and "Unsupported protocol version"
          in e["error"]["message"], "session, version %s: %r" % (bad, e))
    for method in ("GET", "DELETE"):
        r = Response(b, method, "/mcp", {"Accept": "text/event-stream",
                                          "Mcp-Session-Id": sid,
                                          "MCP-Protocol-Version": bad})
        check(r.status == 400, "%s, version %s: %d" % (method, bad,
                                                       r.status))
        r.close()
    r = post(b, rpc(7, "ping"), sid, version)
    check(r.status == 200, "the session after: %d" % r.status)
    r.close()


def test_parked_first_call(b):
    # A request parked for its client's input took no turn: a legacy
    # session's first call of a tool does not wait for it, nor does
    # whatever comes meanwhile (it waited a second, and a 2026-07-28
    # client's 500 ms deadline ran out behind it).
    body, _ = call(b, 40, "test_streaming_elicitation")
    check(body["result"]["resultType"] == "input_required",
          "not parked: %r" % body)
    waits = metric(b, "mcpbridge_call_waits_total")
    # 2025-06-18: no priming, so a held answer still comes on its POST.
    sid, version = initialize(b, "2025-06-18", strict=True)
    r = post(b, rpc(2, "tools/call", {"name": "test_simple_text",
                                      "arguments": {}}), sid, version)
    body = r.answer()
    r.close()
    check(body["result"]["content"][0]["type"] == "text",
          "legacy first call: %r" % body)
    check(metric(b, "mcpbridge_call_waits_total") == waits,
          "the first call waited for a parked request that had no turn")


def test_drain(b):
    # Shutting down ends a listen stream gracefully: its result first.
    listen = mpost(b, "L2", "subscriptions/listen", {"notifications": {
        "toolsListChanged": True}})
    ev = listen.message()
    check(ev["msg"]["method"] == "notifications/subscriptions/acknowledged",
          "listen before drain")
    b.proc.send_signal(signal.SIGTERM)
    ev = listen.message()
    check(ev is not None, "listen stream cut without its result")
    res = ev["msg"]
    check(res.get("id") == "L2" and
          res["result"]["resultType"] == "complete" and
          res["result"]["_meta"][SUBID] == "L2", "graceful end: %r" % res)
    check(listen.message() is None, "the stream goes on after its result")
    listen.close()


def test_param_headers(b):
    # The child never sees HTTP headers: the bridge checks each argument
    # a tool marks with x-mcp-header against its Mcp-Param-* header, once
    # a tools/list answer has shown the annotation.
    body, _ = answer(mpost(b, 1, "tools/list"))
    tool = [t for t in body["result"]["tools"] if t["name"] == "region"]
    check(tool and tool[0]["inputSchema"]["properties"]["region"]
          ["x-mcp-header"] == "Region", "the region tool: %r" % tool)

    def region(id, value, header, status=200):
        h = {} if header is None else {"Mcp-Param-Region": header}
        args = {} if value is None else {"region": value}
        return call(b, id, "region", args, status=status, headers=h)[0]

    check(text(region(2, "eu", "eu")) == "region: eu", "plain header")
    check(text(region(3, "eu", " =?base64?ZXU=?= ")) == "region: eu",
          "base64 header")
    check(text(region(4, "=?base64?ZXU=", "=?base64?ZXU=")) ==
          "region: =?base64?ZXU=", "no suffix: a literal value")
    for id, value, header, why in (
            (5, "eu", "us", "differs"), (6, "eu", None, "missing"),
            (7, "Hello", "=?base64?SGVsbG8?=", "bad padding"),
            (8, "Hello", "=?base64?SGVs!!!bG8=?=", "bad alphabet"),
            (9, None, "eu", "no value in the body")):
        e = region(id, value, header, status=400)
        check(e["id"] == id and e["error"]["code"] == -32020 and
              "Mcp-Param-Region" in e["error"]["message"],
              "%s: %r" % (why, e))


def test(b):
    wait_ready(b)
    test_discover_and_errors(b)
    test_param_headers(b)
    test_input_required(b)
    test_streams(b)
    test_with_legacy(b)
    test_parked_first_call(b)
    test_drain(b)


def test_auth(b):
    # A requestState made for one token is nobody else's.
    wait_ready(b)
    a = {"Authorization": "Bearer tok-a"}
    r = mpost(b, 1, "tools/list")
    check(r.status == 401, "no token: %d" % r.status)
    r.close()
    body, _ = call(b, 1, "test_input_required_result_request_state",
                   headers=a)
    state = body["result"]["requestState"]
    retry = {"requestState": state, "inputResponses": {"confirm": {
        "action": "accept", "content": {"ok": True}}}}
    body, _ = call(b, 2, "test_input_required_result_request_state",
                   status=400, extra=retry,
                   headers={"Authorization": "Bearer tok-b"})
    check(body["error"]["code"] == -32602, "another token's state: %r" %
          body)
    body, _ = call(b, 3, "test_input_required_result_request_state",
                   extra=retry, headers=a)
    check(text(body).startswith("state-ok"), "own state: %r" % body)

    # tok-b's request with a logLevel is alone in flight when the child
    # logs about tok-a's request it just answered: not tok-b's line.
    # (Its headers come with its first message: it waits in a thread.)
    got = {}

    def slow():
        got["b"] = call(b, 4, "delay", {"ms": 1500, "message": "b slow"},
                        level="debug",
                        headers={"Authorization": "Bearer tok-b"})
    t = threading.Thread(target=slow)
    t.start()
    deadline = time.monotonic() + 5
    while not child_saw(b, '"b slow"', headers=a):
        check(time.monotonic() < deadline, "tok-b's call not at the child")
        time.sleep(0.02)
    body, _ = call(b, 5, "delay", {"ms": 0, "message": "a quick",
                                   "after_log": "afteranswer-a-private",
                                   "after_ms": 100}, headers=a)
    check(text(body) == "a quick", "tok-a's quick call: %r" % body)
    t.join(10)
    check(not t.is_alive() and "b" in got, "tok-b's call did not end")
    body, before = got["b"]
    check(text(body) == "b slow", "tok-b's slow call: %r" % body)
    check(not any(m.get("method") == "notifications/message"
                  for m in before),
          "tok-a's line after its answer on tok-b's stream: %r" % before)


if __name__ == "__main__":
    if sys.argv[1:] == ["auth"]:
        os.environ["MCPBRIDGE_TEST_TOKENS"] = "tok-a,tok-b"
        main(test_auth, "--auth-token-env", "MCPBRIDGE_TEST_TOKENS")
    elif sys.argv[1:] == ["plain"]:
        main(test)
    else:
        run_each(("plain", "auth"))
