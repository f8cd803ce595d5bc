#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-stream.py: Streamable HTTP on /mcp, end to end: the real bridge in
# front of the test server, spoken to in raw HTTP.  Exit 0 pass, 1 fail,
# 77 skip.
import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import check, main  # noqa: E402
from mcptest.wire import Response, initialize, post, rpc  # noqa: E402


# ---- the tests ----


def error_code(body):
    return body.get("error", {}).get("code")


def test(b):
    # Probes.
    r = Response(b, "GET", "/healthz")
    check(r.status == 200 and r.body() == b"ok\n", "healthz")
    r.close()
    wait_ready(b)

    sid, version = initialize(b, strict=True)
    check(re.fullmatch(r"[\x21-\x7e]+", sid) is not None,
          "session id not visible ASCII: %r" % sid)
    check(re.fullmatch(r"[0-9a-f]{32,}", sid) is not None,
          "session id shorter than 128 bits of hex: %r" % sid)

    # A simple call answers as JSON.
    r = post(b, rpc(2, "tools/call", {"name": "echo",
                                      "arguments": {"message": "hi"}}),
             sid, version)
    check(r.status == 200, "echo: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("application/json"),
          "echo: content type %r" % r.headers.get("content-type"))
    body = r.json()
    r.close()
    check(body["id"] == 2 and
          body["result"]["content"][0]["text"] == "hi", "echo: %r" % body)

    # Header names are without case (RFC 9110 5.1): the SDKs send them in
    # lower case, and any other spelling is the same header.
    for case in (str.lower, str.upper, lambda n: n.swapcase()):
        hdrs = {case("Content-Type"): "application/json",
                case("Accept"): "application/json, text/event-stream",
                case("Mcp-Session-Id"): sid,
                case("MCP-Protocol-Version"): version}
        r = Response(b, "POST", "/mcp", hdrs,
                     json.dumps(rpc(2, "tools/call", {
                         "name": "echo", "arguments": {"message": "hi"}})))
        check(r.status == 200, "%r: %d" % (sorted(hdrs), r.status))
        body = r.json()
        r.close()
        check(body.get("result", {}).get("content", [{}])[0].get("text") ==
              "hi", "%r: %r" % (sorted(hdrs), body))
    r = Response(b, "POST", "/mcp", {"content-type": "application/json",
                                     "accept": "application/json",
                                     "mcp-session-id": sid,
                                     "mcp-protocol-version": version},
                 json.dumps(rpc(2, "tools/list")))
    check(r.status == 406, "lower-case Accept without SSE: %d" % r.status)
    r.close()

    # Pretty-printed JSON is fine.
    r = post(b, json.dumps(rpc(3, "tools/list"), indent=2), sid, version)
    check(r.status == 200 and r.json()["id"] == 3, "pretty-printed JSON")
    r.close()

    # A call with progress answers as SSE: progress, then the result.
    r = post(b, rpc(4, "tools/call", {
        "name": "progress", "arguments": {"steps": 3, "ms": 20},
        "_meta": {"progressToken": "tok"}}), sid, version)
    check(r.status == 200, "progress: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "progress: content type %r" % r.headers.get("content-type"))
    check(r.headers.get("cache-control") == "no-cache", "no Cache-Control")
    check(r.headers.get("x-accel-buffering") == "no",
          "no X-Accel-Buffering")
    seen = []
    while True:
        ev = r.message()
        check(ev is not None, "progress: stream ended before the result")
        check(ev.get("event", "message") == "message", "event type")
        check(re.fullmatch(r"\d+-\d+", ev.get("id", "")) is not None,
              "event id %r" % ev.get("id"))
        m = ev["msg"]
        if m.get("method") == "notifications/progress":
            check(m["params"]["progressToken"] == "tok", "progress token")
            seen.append(m["params"]["progress"])
            continue
        check(m.get("id") == 4 and "result" in m, "progress result %r" % m)
        break
    check(seen == [1, 2, 3], "progress notifications %r" % seen)
    check(r.event() is None, "stream not ended after the result")
    r.close()

    # Status codes.
    r = post(b, rpc(5, "tools/list"), sid, version, accept="application/json")
    check(r.status == 406, "Accept without SSE: %d" % r.status)
    r.close()
    r = post(b, rpc(5, "tools/list"), sid, version, accept="text/*, application/*")
    check(r.status == 200, "Accept wildcards: %d" % r.status)
    r.close()
    r = post(b, rpc(5, "tools/list"), sid, version, accept="*/*")
    check(r.status == 200, "Accept */*: %d" % r.status)
    r.close()
    r = post(b, rpc(6, "tools/list"), sid, version, ctype="text/plain")
    check(r.status == 415, "text/plain body: %d" % r.status)
    r.close()
    r = post(b, "{not json", sid, version)
    check(r.status == 400 and error_code(r.json()) == -32700,
          "bad JSON: %d" % r.status)
    r.close()
    r = post(b, rpc(7, "tools/list"))
    check(r.status == 400, "no session: %d" % r.status)
    r.close()
    r = post(b, rpc(8, "tools/list"), "0" * 32, version)
    check(r.status == 404 and error_code(r.json()) == -32001,
          "unknown session: %d" % r.status)
    r.close()
    r = post(b, rpc(9, "tools/list"), sid, "1999-01-01")
    check(r.status == 400, "bad MCP-Protocol-Version: %d" % r.status)
    r.close()
    r = post(b, rpc(9, "tools/list"), sid, None)
    check(r.status == 200, "no MCP-Protocol-Version: %d" % r.status)
    r.close()
    r = Response(b, "PUT", "/mcp", {"Mcp-Session-Id": sid}, "{}")
    check(r.status == 405 and "POST" in r.headers.get("allow", ""),
          "PUT: %d %r" % (r.status, r.headers))
    r.close()
    r = Response(b, "GET", "/nowhere")
    check(r.status == 404, "unknown path: %d" % r.status)
    r.close()
    r = post(b, rpc(10, "tools/list"), sid, version,
             extra={"Host": "evil.example.com"})
    check(r.status == 403, "foreign Host: %d" % r.status)
    r.close()
    r = post(b, rpc(10, "tools/list"), sid, version,
             extra={"Origin": "http://evil.example.com"})
    check(r.status == 403, "foreign Origin: %d" % r.status)
    r.close()
    r = post(b, rpc(10, "tools/list"), sid, version,
             extra={"Origin": "http://localhost:1234"})
    check(r.status == 200, "local Origin: %d" % r.status)
    r.close()
    r = post(b, "x" * 3000, sid, version)
    check(r.status == 413, "large body: %d" % r.status)
    r.close()

    # A 2026-07-28 request (no session, no initialize) is served
    # statelessly (tests/http-modern.py has the rest); without its
    # MCP-Protocol-Version header it gets a modern error, so a dual-era
    # client stays modern.
    modern = rpc(11, "tools/list", {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}})
    r = post(b, modern, None, "2026-07-28", extra={"Mcp-Method": "tools/list"})
    check(r.status == 200, "2026-07-28 request: %d" % r.status)
    check(r.json().get("result", {}).get("resultType") == "complete",
          "2026-07-28 request: resultType")
    r.close()
    r = post(b, modern, None, None)
    check(r.status == 400, "2026-07-28 request without header: %d" % r.status)
    code = error_code(r.json())
    check(code == -32020, "2026-07-28 request without header: %r" % code)
    r.close()

    # The GET stream: one at a time; list_changed arrives on it.
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid,
                                    "MCP-Protocol-Version": version})
    check(g.status == 200, "GET: %d" % g.status)
    check(g.headers.get("content-type", "").startswith("text/event-stream"),
          "GET content type")
    check(g.headers.get("cache-control") == "no-cache", "GET Cache-Control")
    g2 = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                     "Mcp-Session-Id": sid})
    check(g2.status == 409, "second GET: %d" % g2.status)
    g2.close()
    r = Response(b, "GET", "/mcp", {"Accept": "application/json",
                                    "Mcp-Session-Id": sid})
    check(r.status == 406, "GET without SSE in Accept: %d" % r.status)
    r.close()

    r = post(b, rpc(12, "tools/call", {"name": "notify_list_changed",
                                       "arguments": {"list": "tools"}}),
             sid, version)
    check(r.status == 200, "notify_list_changed: %d" % r.status)
    r.body()
    r.close()
    ev = g.message()
    check(ev is not None and
          ev["msg"].get("method") == "notifications/tools/list_changed",
          "GET stream: %r" % ev)
    check(ev["id"].startswith("0-"), "GET stream event id %r" % ev["id"])
    first_id = ev["id"]
    g.close()
    time.sleep(0.2)

    # Missed while no GET stream was open: replayed after Last-Event-ID.
    for n in (13, 14):
        r = post(b, rpc(n, "tools/call", {"name": "notify_list_changed",
                                          "arguments": {"list": "prompts"}}),
                 sid, version)
        check(r.status == 200, "notify_list_changed: %d" % r.status)
        r.body()
        r.close()
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid,
                                    "Last-Event-ID": first_id})
    check(g.status == 200, "GET Last-Event-ID: %d" % g.status)
    ids = []
    for _ in range(2):
        ev = g.message()
        check(ev is not None and ev["msg"].get("method") ==
              "notifications/prompts/list_changed", "replay: %r" % ev)
        ids.append(ev["id"])
    check(ids[0] > first_id or len(ids[0]) > len(first_id),
          "replay ids %r after %r" % (ids, first_id))
    check(ids[0] != ids[1], "replayed ids not unique")
    # The resumed stream carries on live.
    r = post(b, rpc(15, "tools/call", {"name": "notify_list_changed",
                                       "arguments": {"list": "resources"}}),
             sid, version)
    r.body()
    r.close()
    ev = g.message()
    check(ev is not None and ev["msg"].get("method") ==
          "notifications/resources/list_changed", "live after replay")
    g.close()

    r = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid,
                                    "Last-Event-ID": "nonsense"})
    check(r.status == 400, "bad Last-Event-ID: %d" % r.status)
    r.close()

    # 2025-03-26 batches: one array back.
    sid2, v2 = initialize(b, "2025-03-26", strict=True)
    check(v2 == "2025-03-26", "2025-03-26 negotiated %r" % v2)
    r = post(b, [rpc(20, "ping"), rpc(21, "tools/call", {
        "name": "echo", "arguments": {"message": "b"}})], sid2, v2)
    check(r.status == 200, "batch: %d" % r.status)
    body = r.json()
    r.close()
    check(isinstance(body, list) and sorted(m["id"] for m in body) ==
          [20, 21], "batch answer %r" % body)
    # Batching left the protocol in 2025-06-18: 400, nothing of it runs.
    for v in ("2025-06-18", "2025-11-25"):
        sid3, v3 = initialize(b, v, strict=True)
        check(v3 == v, "%s negotiated %r" % (v, v3))
        r = post(b, [rpc(22, "ping"), rpc(23, "ping")], sid3, v3)
        body = r.json()
        r.close()
        check(r.status == 400, "%s batch: %d" % (v, r.status))
        check(body["error"]["code"] == -32600 and body["error"]["message"] ==
              "batching is not supported in protocol version " + v,
              "%s batch answer %r" % (v, body))
        r = post(b, rpc(24, "ping"), sid3, v3)
        check(r.status == 200 and r.answer().get("id") == 24,
              "%s after the batch: %d" % (v, r.status))
        r.close()

    # DELETE ends the session; then 404.
    r = Response(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid})
    check(r.status == 200, "DELETE: %d" % r.status)
    r.close()
    r = post(b, rpc(30, "tools/list"), sid, version)
    check(r.status == 404, "after DELETE: %d" % r.status)
    r.close()
    r = Response(b, "DELETE", "/mcp", {"Mcp-Session-Id": sid})
    check(r.status == 404, "DELETE again: %d" % r.status)
    r.close()
    r = Response(b, "DELETE", "/mcp")
    check(r.status == 400, "DELETE without session: %d" % r.status)
    r.close()

    # Draining: readyz turns 503 is covered by the lead's serve tests;
    # here readyz is still 200.
    r = Response(b, "GET", "/readyz")
    check(r.status == 200, "readyz: %d" % r.status)
    r.close()


if __name__ == "__main__":
    main(test, "--max-body", "2K", "--keepalive", "5s")
