#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-legacy.py: the legacy HTTP+SSE transport (2024-11-05): endpoint event,
# round trips on the event stream, status codes, session end on close;
# under --base-path.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import wait_ready  # noqa: E402
from mcptest.run import check, main  # noqa: E402
from mcptest.wire import Response, note, rpc  # noqa: E402


# ---- the tests ----


def open_sse(b):
    s = Response(b, "GET", "/sse", {"Accept": "text/event-stream"})
    check(s.status == 200, "GET /sse: %d" % s.status)
    check(s.headers.get("content-type", "").startswith("text/event-stream"),
          "GET /sse content type")
    check(s.headers.get("cache-control") == "no-cache", "no Cache-Control")
    check(s.headers.get("x-accel-buffering") == "no", "no X-Accel-Buffering")
    ev = s.event()
    check(ev is not None and ev.get("event") == "endpoint",
          "first event %r" % ev)
    endpoint = ev["data"]
    check(endpoint.startswith(b.base + "/message?sessionId="),
          "endpoint %r" % endpoint)
    sid = endpoint.split("sessionId=", 1)[1]
    check(re.fullmatch(r"[0-9a-f]{32,}", sid) is not None, "session id")
    return s, endpoint[len(b.base):]


def send(b, endpoint, body, ctype="application/json", method="POST"):
    return Response(b, method, endpoint, {"Content-Type": ctype}, body)


def test(b):
    wait_ready(b)
    s, ep = open_sse(b)

    # Round trip: the answer travels on the event stream.
    r = send(b, ep, rpc(1, "initialize", {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "legacy-test", "version": "1"}}))
    check(r.status == 202 and r.body() == b"Accepted",
          "POST initialize: %d" % r.status)
    r.close()
    ev = s.message()
    check(ev is not None and ev.get("event") == "message",
          "answer event %r" % ev)
    check(ev["msg"].get("id") == 1 and "result" in ev["msg"],
          "initialize answer %r" % ev["msg"])
    r = send(b, ep, note("notifications/initialized"))
    check(r.status == 202, "initialized: %d" % r.status)
    r.close()

    # Pretty-printed JSON is accepted.
    r = send(b, ep, json.dumps(rpc(2, "tools/call", {
        "name": "echo", "arguments": {"message": "two\nlines"}}), indent=4))
    check(r.status == 202, "pretty POST: %d" % r.status)
    r.close()
    ev = s.message()
    check(ev["msg"].get("id") == 2 and
          ev["msg"]["result"]["content"][0]["text"] == "two\nlines",
          "echo answer %r" % ev["msg"])

    # Progress and the answer, in order, on the one stream.
    r = send(b, ep, rpc(3, "tools/call", {
        "name": "progress", "arguments": {"steps": 2, "ms": 10},
        "_meta": {"progressToken": 1}}))
    check(r.status == 202, "progress POST: %d" % r.status)
    r.close()
    kinds = []
    while True:
        ev = s.message()
        check(ev is not None, "stream ended")
        m = ev["msg"]
        kinds.append(m.get("method", "answer"))
        if m.get("id") == 3:
            break
    check(kinds == ["notifications/progress"] * 2 + ["answer"],
          "progress order %r" % kinds)

    # Errors.
    r = send(b, ep, "{broken")
    check(r.status == 400, "bad JSON: %d" % r.status)
    body = r.json()
    check(body.get("error", {}).get("code") == -32700 and
          "id" in body and body["id"] is None, "parse error body %r" % body)
    r.close()
    r = send(b, ep, rpc(4, "ping"), ctype="text/plain")
    check(r.status == 415, "text/plain: %d" % r.status)
    r.close()
    r = send(b, ep, rpc(4, "ping"), method="GET")
    check(r.status == 405 and "POST" in r.headers.get("allow", ""),
          "GET /message: %d %r" % (r.status, r.headers.get("allow")))
    r.close()
    r = send(b, "/message?sessionId=" + "f" * 32, rpc(4, "ping"))
    check(r.status == 404, "unknown session: %d" % r.status)
    r.close()
    r = send(b, "/message", rpc(4, "ping"))
    check(r.status == 400, "no sessionId: %d" % r.status)
    r.close()
    # A path the bridge does not serve: 404 with a JSON-RPC error, as
    # every other refusal.
    r = send(b, "/no-such-path", rpc(4, "ping"))
    check(r.status == 404 and
          r.headers.get("content-type", "").startswith("application/json")
          and "error" in r.json(), "unknown path: %d %r" % (
              r.status, r.headers.get("content-type")))
    r.close()
    # Twice, in either order: refused, not the first taken (a proxy that
    # routes by the last would disagree about whose session it is).
    other = "sessionId=" + "f" * 32
    for twice in (ep + "&" + other, ep.replace("sessionId=", other +
                                              "&sessionId=", 1)):
        r = send(b, twice, rpc(4, "ping"))
        check(r.status == 400, "sessionId twice (%s): %d" % (twice, r.status))
        r.close()
    # A NUL in the id is no other spelling of it: the decoded value is a
    # C string, which would end at the NUL and name the session.
    for nul in (ep + "%00", ep + "%00x", ep + "&x=%00"):
        r = send(b, nul, rpc(4, "ping"))
        check(r.status == 400, "%s: %d" % (nul, r.status))
        r.close()
    r = Response(b, "POST", "/sse", {"Content-Type": "application/json"}, "{}")
    check(r.status == 405 and "GET" in r.headers.get("allow", ""),
          "POST /sse: %d" % r.status)
    r.close()
    r = send(b, ep, {"jsonrpc": "2.0", "id": 5})
    check(r.status == 400, "invalid message: %d" % r.status)
    r.close()
    # The stream goes on.
    r = send(b, ep, rpc(6, "ping"))
    check(r.status == 202, "ping: %d" % r.status)
    r.close()
    ev = s.message()
    check(ev["msg"].get("id") == 6, "ping answer %r" % ev["msg"])

    # Two sessions never see each other's traffic.
    s2, ep2 = open_sse(b)
    check(ep2 != ep, "same endpoint twice")
    r = send(b, ep2, rpc(1, "initialize", {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "second", "version": "1"}}))
    r.close()
    ev = s2.message()
    check(ev["msg"].get("id") == 1, "second session answer")
    r = send(b, ep2, rpc(7, "ping"))
    r.close()
    ev = s2.message()
    check(ev["msg"].get("id") == 7, "second session ping")
    r = send(b, ep, rpc(8, "ping"))
    r.close()
    ev = s.message()
    check(ev["msg"].get("id") == 8, "first session ping after the second")

    # The session ends with its stream.
    s.close()
    for _ in range(50):
        r = send(b, ep, rpc(9, "ping"))
        status = r.status
        r.close()
        if status == 404:
            break
        time.sleep(0.05)
    check(status == 404, "session alive after its stream closed: %d" % status)
    s2.close()


if __name__ == "__main__":
    main(test, "--base-path", "/base")
