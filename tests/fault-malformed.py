#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fault-malformed.py: 10 000 malformed requests (bad JSON, wrong types,
# huge ids, bad headers, unknown sessions, oversized and truncated bodies,
# garbage request lines), over kept-alive connections where the bridge
# keeps them.  Each gets the right status code (and JSON-RPC error code
# where there is a body to carry one), the bridge never falls over, a
# well-behaved session in the middle of it all is not disturbed, and
# memory comes back to its baseline.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import random
import socket
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.run import check  # noqa: E402
from mcptest.wire import ACCEPT_BOTH, Conn, metrics, rpc  # noqa: E402
from faultlib import (Session, call, echo_ok, gauge, main,  # noqa: E402
                      settle_rss)

TOTAL = 10000
MAX_BODY = 65536
PARSE, INVALID, GONE = -32700, -32600, -32001


def raw(b, method, path, headers, body=b"", length=None):
    """A request as bytes, headers as given (nothing added but Host)."""
    if isinstance(body, str):
        body = body.encode()
    lines = ["%s %s HTTP/1.1" % (method, b.base + path)]
    if not any(k.lower() == "host" for k, _ in headers):
        lines.append("Host: %s" % b.hostport)
    lines += ["%s: %s" % kv for kv in headers]
    if body or length is not None:
        lines.append("Content-Length: %d" % (len(body) if length is None
                                              else length))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def mcp(b, sid, body, extra=(), ctype="application/json",
        accept=ACCEPT_BOTH):
    h = [("Content-Type", ctype), ("Accept", accept)]
    if sid is not None:
        h.append(("Mcp-Session-Id", sid))
    h += list(extra)
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    return raw(b, "POST", "/mcp", h, body)


def cases(b, sid):
    """(name, request bytes, wanted statuses, JSON-RPC code or None,
    check of the parsed body or None)."""
    huge_str = "i" * 20000
    out = []
    # (json-c 0.16 takes single quotes and NaN even when strict.)
    for text in ["{", "{\"jsonrpc\":", "nul", "[1,2,", "\x00\xff\xfe",
                 "{\"a\":1}x", "", "{\"a\":\"\\ud83d", "{\"a\":\"\\q\"}",
                 "[" * 200 + "]" * 200, "\"\\u12\"",
                 "{\"a\":01}", "[1,2,]", "/**/{}", "{\"a\":True}"]:
        out.append(("bad json %r" % text[:12], mcp(b, sid, text), {400},
                    PARSE, None))
    # What json-c takes even when strict: none of it may reach the child.
    for v in ["NaN", "Infinity", "-Infinity", "00", "-01", "1.", "-0",
              '"a\tb"', '"\xff"', '"\x01"', "[" * 127 + "]" * 127]:
        text = '{"jsonrpc":"2.0","id":1,"method":"ping","params":' \
            '{"v":%s}}' % v
        out.append(("not json %r" % v[:12], mcp(b, sid, text.encode(
            "latin-1")), {400}, PARSE, None))
    out.append(("unusable id -0", mcp(
        b, sid, '{"jsonrpc":"2.0","id":-0,"method":"ping"}'), {400}, PARSE,
        None))
    # An id json-c would rewrite to U+FFFD: the answer would not carry it.
    for id in ["\\ud800", "a\\udc00", "\\ud83d\\u0041"]:
        out.append(("lone surrogate id %s" % id, mcp(
            b, sid, '{"jsonrpc":"2.0","id":"%s","method":"ping"}' % id),
            {400}, PARSE, lambda ans: ans.get("id", 0) is None))
    # Integers past 64 bits reach the child digit for digit (the tool
    # writes its arguments back as text)...
    for v in [2 ** 64, 2 ** 70, -2 ** 63 - 1, 2 ** 256 - 1]:
        text = '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":' \
            '{"name":"json_schema_2020_12_tool","arguments":{"name":' \
            '"n","n":%d}}}' % v
        out.append(("big integer %d" % v, mcp(b, sid, text), {200}, None,
                    lambda ans, v=v: ans.get("id") == 4 and
                    ans["result"]["content"][0]["text"].endswith(
                        '"n":%d}' % v)))
    # ... but as an id they are not integers the bridge can carry.
    for id in ["18446744073709551616", "18446744073709551617",
               "-9223372036854775809", str(2 ** 100)]:
        out.append(("unusable id %s" % id[:12], mcp(
            b, sid, '{"jsonrpc":"2.0","id":%s,"method":"ping"}' % id),
            {400}, INVALID, lambda ans: ans.get("id", 0) is None))
    # Nested as deep as the documented limit (128): taken.
    out.append(("deepest", mcp(b, sid, '{"jsonrpc":"2.0","id":3,"method":'
                               '"ping","params":{"v":%s}}' % (
                                   "[" * 126 + "]" * 126)), {200}, None,
                lambda ans: ans.get("id") == 3 and "result" in ans))
    for msg in [{"jsonrpc": "2.0", "id": 1, "method": 5},
                {"jsonrpc": "1.0", "id": 1, "method": "ping"},
                {"jsonrpc": "2.0", "id": {}, "method": "ping"},
                {"jsonrpc": "2.0", "id": True, "method": "ping"},
                {"jsonrpc": "2.0", "id": 1.5, "method": "ping"},
                {"jsonrpc": "2.0", "id": 1, "method": ""},
                {"jsonrpc": "2.0", "id": 1, "method": "x", "params": 7},
                {"jsonrpc": "2.0", "id": 1, "result": {}, "error": {}},
                {"jsonrpc": "2.0", "id": 1, "error": {"code": "x"}},
                {"method": "ping", "id": 1}, []]:
        out.append(("wrong types %s" % json.dumps(msg)[:30],
                    mcp(b, sid, msg), {400}, INVALID, None))
    # A bare scalar: json-c gives no object for "null" and wants more
    # after "42" or "str" at the end of the input; Parse error or Invalid
    # Request, 400 either way.
    for text in ["null", "42", '"str"', "true", "1e999999"]:
        out.append(("wrong types %s" % text, mcp(b, sid, text), {400}, None,
                    lambda ans: ans["error"]["code"] in (PARSE, INVALID)))

    # The session is at 2025-06-18, which has no batches.
    out.append(("batch of junk", mcp(b, sid, [1, "x", []]), {400}, INVALID,
                None))

    def same_id(id):
        return lambda ans: isinstance(ans, dict) and ans.get("id") == id \
            and "result" in ans
    for id in [18446744073709551615, -9223372036854775808, huge_str,
               "\u0000\u2028\U0001F600", 0]:
        out.append(("huge id %s" % str(id)[:10],
                    mcp(b, sid, rpc(id, "ping")), {200}, None, same_id(id)))
    for id in ["1e400", "1.5", "1e3", "1.0", "-0.0"]:
        out.append(("unusable id %s" % id, mcp(
            b, sid, '{"jsonrpc":"2.0","id":%s,"method":"ping"}' % id),
            {400}, INVALID, None))

    ok = rpc(1, "ping")
    out += [
        ("content-type", mcp(b, sid, ok, ctype="text/plain"), {415}, None,
         None),
        ("no content-type", raw(b, "POST", "/mcp", [
            ("Accept", ACCEPT_BOTH), ("Mcp-Session-Id", sid)],
            json.dumps(ok)), {415}, None, None),
        ("accept", mcp(b, sid, ok, accept="text/html"), {406}, None, None),
        ("accept q=0", mcp(b, sid, ok, accept="application/json, "
                           "text/event-stream;q=0"), {406}, None, None),
        ("protocol version", mcp(b, sid, ok, extra=[
            ("MCP-Protocol-Version", "1999-01-01")]), {400}, None, None),
        ("host", raw(b, "GET", "/healthz", [("Host", "evil.example")]),
         {403}, None, None),
        ("origin", mcp(b, sid, ok, extra=[("Origin", "http://evil.example")]),
         {403}, None, None),
        ("no session id", mcp(b, None, ok), {400}, None, None),
        ("method", raw(b, "PUT", "/mcp", [("Mcp-Session-Id", sid)], "x"),
         {405}, None, None),
        ("header too big", mcp(b, sid, ok, extra=[("X-Big", "b" * 20000)]),
         {431}, None, None),
        ("too many headers", mcp(b, sid, ok, extra=[
            ("X-H%d" % i, "v") for i in range(150)]), {431}, None, None),
        ("unknown session", mcp(b, "0" * 32, ok), {404}, GONE, None),
        ("unknown session GET", raw(b, "GET", "/mcp", [
            ("Accept", "text/event-stream"), ("Mcp-Session-Id", "x")]),
         {404}, GONE, None),
        ("unknown session DELETE", raw(b, "DELETE", "/mcp", [
            ("Mcp-Session-Id", "y" * 32)]), {404}, GONE, None),
        ("bad Last-Event-ID", raw(b, "GET", "/mcp", [
            ("Accept", "text/event-stream"), ("Mcp-Session-Id", sid),
            ("Last-Event-ID", "99999-1")]), {400}, None, None),
        ("unknown legacy session", raw(b, "POST", "/message?sessionId=nope", [
            ("Content-Type", "application/json")], json.dumps(ok)), {404},
         GONE, None),
        ("no legacy session id", raw(b, "POST", "/message", [
            ("Content-Type", "application/json")], json.dumps(ok)), {400},
         None, None),
        ("body too large", mcp(b, sid, '{"a":"' + "z" * MAX_BODY + '"}'),
         {413}, None, None),
        ("unknown path", raw(b, "GET", "/../../etc/passwd", []), {404},
         None, None),
    ]
    return out


# Requests after which evhttp itself gives up on the connection.
def closing_cases(b):
    return [
        ("garbage line", b"GARBAGE\r\n\r\n", {400}),
        ("bad content-length", b"POST /mcp HTTP/1.1\r\nHost: localhost\r\n"
         b"Content-Length: abc\r\n\r\n", {400}),
        ("negative content-length", b"POST /mcp HTTP/1.1\r\nHost: "
         b"localhost\r\nContent-Length: -5\r\n\r\n", {400}),
        ("bad version", b"GET /healthz HTTP/9\r\nHost: localhost\r\n\r\n",
         {400, 505}),
        ("bad chunk", b"POST /mcp HTTP/1.1\r\nHost: localhost\r\n"
         b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", {400, 413}),
    ]


def truncated(b, sid, n):
    """A body shorter than announced, then the client leaves: nothing to
    answer, nothing may break."""
    c = Conn(b, timeout=5)
    body = json.dumps(call(n, "echo", message="t")).encode()
    c.sock.sendall(mcp(b, sid, body)[:-len(body) // 2])
    if n % 2:
        c.sock.shutdown(socket.SHUT_WR)
    c.close(reset=n % 4 == 1)


class Client:
    def __init__(self, b):
        self.b, self.conn = b, None

    def exchange(self, data):
        if self.conn is None:
            self.conn = Conn(self.b, timeout=10)
        self.conn.sock.sendall(data)
        r = self.conn.response()
        body = r.body()
        if r.headers.get("connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return r, body


def test(b):
    rng = random.Random(11)
    b.wait_ready()
    good = Session(b)
    sid = good.sid
    table = cases(b, sid)
    client = Client(b)
    counts, rss0, n = {}, None, 0
    t = time.time()
    while n < TOTAL:
        n += 1
        if n == 500:
            rss0 = settle_rss(b, 0.2)
        k = rng.randrange(len(table) + 8)
        if k < len(table):
            name, data, want, code, ok = table[k]
            r, body = client.exchange(data)
            check(r.status in want, "%s: status %d, wanted %s: %r" %
                  (name, r.status, want, body[:200]))
            if code is not None or ok is not None:
                ans = json.loads(body)
                if code is not None:
                    check(ans.get("error", {}).get("code") == code,
                          "%s: %r" % (name, ans))
                if ok is not None:
                    check(ok(ans), "%s: %r" % (name, str(ans)[:200]))
        elif k < len(table) + 5:
            name, data, want = rng.choice(closing_cases(b))
            c = Conn(b, timeout=10)
            c.sock.sendall(data)
            r = c.response()
            check(r.status in want, "%s: %d" % (name, r.status))
            c.close()
        elif k < len(table) + 7:
            name = "truncated"
            truncated(b, sid, n)
        else:
            # The good session, in the middle of it all.
            name = "good"
            status, ans = good.post(call(n, "echo", message="\u00e9%d" % n))
            check(status == 200 and ans["result"]["content"][0]["text"] ==
                  "\u00e9%d" % n, "good call %d: %r" % (n, ans))
        counts[name.split(" ")[0]] = counts.get(name.split(" ")[0], 0) + 1
    print("%d requests in %.1f s: %r" % (TOTAL, time.time() - t, counts))
    check(b.alive(), "the bridge died")

    # A body cut inside a surrogate pair, then a good one with an escape:
    # the second must not be garbled (regression: the body tokener).
    r, body = client.exchange(mcp(b, sid, '{"jsonrpc":"2.0","id":1,'
                                  '"method":"ping","params":{"a":"\\ud83d'))
    check(r.status == 400, "cut surrogate: %d" % r.status)
    r, body = client.exchange(mcp(b, sid, '{"jsonrpc":"2.0","id":2,'
                                  '"method":"tools/call","params":{"name":'
                                  '"echo","arguments":{"message":'
                                  '"\\u0041\\udc00"}}}'))
    text = json.loads(body)["result"]["content"][0]["text"]
    check(text == "A\ufffd", "escape garbled after a cut body: %r" % text)

    good.delete()
    good.close()
    if client.conn is not None:
        client.conn.close()
    deadline = time.time() + 10
    while True:
        m = metrics(b)
        if gauge(m, "mcpbridge_sessions") == 0 and \
                gauge(m, "mcpbridge_http_connections") <= 1:
            break
        check(time.time() < deadline, "left behind: %d sessions, %d "
              "connections" % (gauge(m, "mcpbridge_sessions"),
                               gauge(m, "mcpbridge_http_connections")))
        time.sleep(0.1)
    echo_ok(b)
    rss1 = settle_rss(b)
    print("VmRSS: %d kB after 500 requests, %d kB after %d" % (rss0, rss1,
                                                              TOTAL))
    if not b.sanitized():
        check(rss1 <= rss0 + max(4096, rss0 // 4),
              "memory did not come back: %d kB -> %d kB" % (rss0, rss1))


if __name__ == "__main__":
    main(test, "--max-body", str(MAX_BODY), "--read-timeout", "3s",
         timeout=240)
