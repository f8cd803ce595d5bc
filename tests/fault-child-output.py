#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fault-child-output.py: a child that misbehaves on its stdout.  It prints
# garbage lines (banners, half JSON, a line cut inside a surrogate pair),
# answers with a line over --max-message-size, stalls on a call, and stops
# altogether (SIGSTOP).  Each costs only the request concerned, which gets
# a clear JSON-RPC error (or its normal answer); other clients, and later
# requests, are not hurt.  Then a child of its own (this script with
# --child) that ends its lines with a lone CR and puts the id after the
# result: it is served, and its oversized answer is refused at once too,
# found by the id at its end, also with another request in flight, and so
# is an answer that is not JSON the policy takes (NaN, 2^70); its own
# requests that the bridge cannot read get an error back, and an
# oversized answer that stalls after its id gets its error at once.
# Exit 0 pass, 1 fail, 77 skip.
import json
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.run import check  # noqa: E402
from faultlib import Bridge, Session, call, echo_ok, main  # noqa: E402

GARBAGE = [
    "Server v1.0 starting on stdio...",
    "{\"jsonrpc\":\"2.0\",\"id\":",
    "42",
    "[1,2",
    "{\"jsonrpc\":\"2.0\",\"id\":999999999,\"result\":{}}",
    "\x1b[31mred\x1b[0m \u00e9\u00e8 \ufffd",
    # Cut inside a surrogate pair: must not garble the next line's escapes.
    "{\"a\":\"\\ud83d",
    "{\"a\":\"\\ud83d\\",
]


def text_of(ans):
    return ans["result"]["content"][0]["text"]


class Bystander(threading.Thread):
    """Another client calling echo all along: every call must succeed,
    quickly."""

    def __init__(self, b):
        super().__init__()
        self.b, self.stop, self.errors, self.n = b, threading.Event(), [], 0
        self.worst = 0.0

    def run(self):
        try:
            self.calls()
        except Exception as e:      # the main thread reports it
            self.errors.append(repr(e))

    def calls(self):
        s = Session(self.b)
        while not self.stop.is_set():
            self.n += 1
            t = time.time()
            status, ans = s.post(call(self.n, "echo", message="b%d" % self.n))
            took = time.time() - t
            self.worst = max(self.worst, took)
            if (status != 200 or "result" not in ans or
                    text_of(ans) != "b%d" % self.n):
                self.errors.append((status, ans))
            time.sleep(0.01)
        s.delete()
        s.close()


def expect_timeout(s, id, msg, lo=2.8, hi=8.0):
    t = time.time()
    status, ans = s.post(msg)
    took = time.time() - t
    check(status == 200 and ans.get("id") == id and "error" in ans,
          "id %d: wanted an error, got %d %r" % (id, status, ans))
    check("timed out" in ans["error"]["message"],
          "id %d: error %r" % (id, ans["error"]))
    check(lo <= took <= hi, "id %d: error after %.2f s" % (id, took))


def expect_oversized(s, id, msg, hi=2.5):
    """The answer is over --max-message-size: an error that says so,
    well before --request-timeout (3 s here)."""
    t = time.time()
    status, ans = s.post(msg)
    took = time.time() - t
    check(status == 200 and ans.get("id") == id and "error" in ans,
          "id %d: wanted an error, got %d %r" % (id, status, ans))
    check("exceeded --max-message-size (65536 bytes)" in
          ans["error"]["message"], "id %d: error %r" % (id, ans["error"]))
    check(took <= hi, "id %d: error after %.2f s" % (id, took))


def child():
    """--child: a stdio MCP server that ends each line with a lone CR
    and writes the id after the result (tools: echo, big {bytes}, nan,
    huge, ask {kind}: sends the bridge a request it cannot read and
    answers with what came back; big_last {bytes}: holds the call until
    the next one comes, says so on stderr, then answers it with bytes in
    the TypeScript SDK's order, {result, jsonrpc, id}, before answering
    the next one; lone: sends the bridge a request whose id has a lone
    surrogate and answers at once; errors: the errors the bridge sent it
    that answer no request it made by name; stall_big: writes the start of a 200 KB answer, id
    first, and ends that line only when the next request comes)."""
    out = sys.stdout.buffer
    asked = 0
    held = None
    stalled = False
    errors = []
    for _ in range(10000):
        line = sys.stdin.buffer.readline()
        if not line:
            return
        msg = json.loads(line)
        if "error" in msg and "method" not in msg:
            errors.append(msg)
        if "id" not in msg or "method" not in msg:
            continue
        method, params = msg["method"], msg.get("params") or {}
        if stalled:
            out.write(b'"}]}}\r')
            stalled = False
        if method == "initialize":
            result = {"protocolVersion": params["protocolVersion"],
                      "capabilities": {"tools": {}},
                      "serverInfo": {"name": "cr-child", "version": "1"}}
        elif method == "tools/call" and params["name"] == "nan":
            # What json.dumps does by default with a float NaN.
            out.write(json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                                  "result": {"content": [], "score":
                                             float("nan")}}).encode() +
                      b"\r")
            out.flush()
            continue
        elif method == "tools/call" and params["name"] == "big_last":
            held = msg
            sys.stderr.write("holding big_last %s\n" % json.dumps(msg["id"]))
            sys.stderr.flush()
            continue
        elif method == "tools/call" and params["name"] == "lone":
            # json.dumps writes the lone surrogate as \ud800.
            out.write(json.dumps({"jsonrpc": "2.0", "id": "\ud800",
                                  "method": "sampling/createMessage",
                                  "params": {}}).encode() + b"\r")
            result = {"content": [{"type": "text", "text": "sent"}]}
        elif method == "tools/call" and params["name"] == "errors":
            result = {"content": [{"type": "text",
                                   "text": json.dumps(errors)}]}
        elif method == "tools/call" and params["name"] == "stall_big":
            out.write(('{"jsonrpc": "2.0", "id": %s, "result": {"content": '
                       '[{"type": "text", "text": "' % json.dumps(msg["id"])
                       ).encode() + b"x" * 200000)
            out.flush()
            stalled = True
            continue
        elif method == "tools/call" and params["name"] == "huge":
            result = {"content": [], "count": 2 ** 70}
        elif method == "tools/call" and params["name"] == "ask":
            asked += 1
            qid = "q-%d" % asked
            kind = params["arguments"]["kind"]
            q = {"jsonrpc": "2.0", "id": qid,
                 "method": "sampling/createMessage",
                 "params": {"t": float("nan") if kind == "nan" else
                            "x" * 200000}}
            out.write(json.dumps(q).encode() + b"\r")
            out.flush()
            got = None
            for _ in range(100):
                reply = sys.stdin.buffer.readline()
                if not reply:
                    return
                reply = json.loads(reply)
                if reply.get("id") == qid and "method" not in reply:
                    got = reply
                    break
            result = {"content": [{"type": "text",
                                   "text": json.dumps(got)}]}
        elif method == "tools/call":
            args = params.get("arguments") or {}
            text = ("x" * args["bytes"] if params["name"] == "big" else
                    args.get("message", ""))
            result = {"content": [{"type": "text", "text": text}]}
        else:
            result = {}
        if held is not None:
            # Two requests in flight now; the first one's answer is too
            # big, and its id comes last.
            text = "x" * held["params"]["arguments"]["bytes"]
            out.write(json.dumps({"result": {"content": [
                {"type": "text", "text": text}]}, "jsonrpc": "2.0",
                "id": held["id"]}).encode() + b"\r")
            held = None
        out.write(json.dumps({"jsonrpc": "2.0", "result": result,
                              "id": msg["id"]}).encode() + b"\r")
        out.flush()


def two_in_flight(b, s):
    """An oversized answer written in the TypeScript SDK's order (the id
    after 200 KB of result) while another request is in flight: the
    request it answers gets the error, the other its own answer, both at
    once.  Nothing is guessed: the id at the end of the line is read."""
    got = {}

    def big():
        try:
            got["big"] = s.post(call(40, "big_last", bytes=200000))
        except Exception as e:         # a timeout, reported below
            got["big"] = (0, repr(e))
        got["big_t"] = time.time()

    t = time.time()
    th = threading.Thread(target=big, daemon=True)
    th.start()
    end = time.time() + 10
    while "holding big_last" not in b.stderr() and time.time() < end:
        time.sleep(0.02)
    check("holding big_last" in b.stderr(), "big_last not held:\n" +
          b.stderr()[-2000:])
    s2 = Session(b)
    try:
        status, ans = s2.post(call(41, "echo", message="other"))
        check(status == 200 and ans.get("id") == 41 and "result" in ans and
              text_of(ans) == "other",
              "the other request in flight: %d %r" % (status, ans))
    finally:
        s2.close()
    th.join(10)
    check("big" in got, "big_last: no answer after %.1f s" %
          (time.time() - t))
    status, ans = got["big"]
    check(status == 200 and isinstance(ans, dict) and ans.get("id") == 40 and
          "error" in ans and "exceeded --max-message-size (65536 bytes)" in
          ans["error"]["message"], "big_last answer: %r %r" % (status, ans))
    check(got["big_t"] - t < 5, "big_last answer after %.1f s" %
          (got["big_t"] - t))


def test_cr_child():
    """Lone-CR line ends are line ends; an oversized answer whose id is
    at its end (after a large result) answers its request, alone or with
    another in flight.  The timeouts are long: only a prompt answer
    passes."""
    b = Bridge("--max-message-size", "64K", "--request-timeout", "30s",
               "--init-timeout", "20s",
               command=[sys.executable, os.path.abspath(__file__),
                        "--child"])
    try:
        t = time.time()
        s = Session(b)
        status, ans = s.post(call(1, "echo", message="cr"))
        check(status == 200 and "result" in ans and text_of(ans) == "cr",
              "echo through a lone-CR child: %d %r" % (status, ans))
        status, ans = s.post(call(2, "big", bytes=200000))
        check(status == 200 and "error" in ans and
              "exceeded --max-message-size (65536 bytes)" in
              ans["error"]["message"], "big answer: %d %r" % (status, ans))
        status, ans = s.post(call(3, "echo", message="after"))
        check(status == 200 and text_of(ans) == "after", "after big %r" %
              ans)
        check(time.time() - t < 10, "lone-CR child: %.1f s" %
              (time.time() - t))
        check("answer to request" in b.stderr(), "oversized answer not "
              "logged:\n" + b.stderr()[-2000:])
        two_in_flight(b, s)
        # An answer the parse policy refuses: an error at once that says
        # why, not a wait for --request-timeout; the next call is fine.
        for i, (tool, why) in enumerate([("nan", "NaN is not JSON")]):
            t1 = time.time()
            status, ans = s.post(call(10 + i, tool))
            check(status == 200 and ans.get("id") == 10 + i and
                  "error" in ans and ans["error"]["code"] == -32603 and
                  "not valid JSON" in ans["error"]["message"] and
                  why in ans["error"]["message"],
                  "%s answer: %d %r" % (tool, status, ans))
            check(time.time() - t1 < 5, "%s answer after %.1f s" %
                  (tool, time.time() - t1))
            status, ans = s.post(call(20 + i, "echo", message="ok"))
            check(status == 200 and text_of(ans) == "ok", "after %s %r" %
                  (tool, ans))
        # An integer past 64 bits is JSON: it reaches the client digit
        # for digit (Python's json reads it exactly).
        status, ans = s.post(call(15, "huge"))
        check(status == 200 and ans.get("id") == 15 and
              ans.get("result", {}).get("count") == 2 ** 70,
              "huge answer: %d %r" % (status, ans))
        # The child's request with a lone surrogate in its id: refused,
        # and not answered under the U+FFFD json-c makes of it (an id
        # the child never sent); the error list was read before "errors"
        # was called, as the bridge writes in order.
        status, ans = s.post(call(18, "lone"))
        check(status == 200 and text_of(ans) == "sent", "lone: %r" % (ans,))
        status, ans = s.post(call(19, "errors"))
        check(status == 200 and "result" in ans, "errors: %r" % (ans,))
        got = json.loads(text_of(ans))
        check(not [e for e in got if e.get("id") == "\ufffd"],
              "the child got an error under U+FFFD: %r" % got)
        # An oversized answer whose start shows its id, and whose end
        # does not come: an error as soon as the start is in, not at
        # --request-timeout (30 s); the line is reported once.
        t1 = time.time()
        status, ans = s.post(call(16, "stall_big"))
        check(status == 200 and ans.get("id") == 16 and
              ans.get("error", {}).get("code") == -32603 and
              "exceeded --max-message-size (65536 bytes)" in
              ans["error"]["message"], "stall_big: %d %r" % (status, ans))
        check(time.time() - t1 < 5, "stall_big answer after %.1f s" %
              (time.time() - t1))
        status, ans = s.post(call(17, "echo", message="unstalled"))
        check(status == 200 and ans.get("id") == 17 and
              text_of(ans) == "unstalled", "after stall_big %r" % (ans,))
        # The child's own request the bridge cannot read: the child gets
        # an error for its id instead of silence.
        for i, (kind, code) in enumerate((("nan", -32700),
                                          ("big", -32600))):
            t1 = time.time()
            status, ans = s.post(call(30 + i, "ask", kind=kind))
            check(status == 200 and "result" in ans, "ask %s: %d %r" %
                  (kind, status, ans))
            got = json.loads(text_of(ans))
            check(got is not None and got.get("id") == "q-%d" % (i + 1) and
                  got.get("error", {}).get("code") == code,
                  "ask %s: the child got %r" % (kind, got))
            check(time.time() - t1 < 5, "ask %s after %.1f s" %
                  (kind, time.time() - t1))
        s.close()
    finally:
        status = b.stop()
    check(status == 0, "lone-CR bridge exit status %r" % status)


def test(b):
    b.wait_ready()
    # The first call of a tool holds the shared child against the other
    # sessions (up to a second, MUX_SCHED_TRIAL_MS) until it is
    # known not to ask its client: the slow tool is known first, so only
    # what this test is about can hold the bystander back.
    w = Session(b)
    status, ans = w.post(call(1, "delay", ms=0, message="known"))
    check(status == 200 and text_of(ans) == "known", "delay: %r" % ans)
    w.close()
    by = Bystander(b)
    by.start()
    s = Session(b)
    try:
        # Garbage: skipped and logged; the call that printed it is
        # answered normally, and so is the next one.
        for i, text in enumerate(GARBAGE):
            status, ans = s.post(call(i, "print_garbage", text=text))
            check(status == 200 and text_of(ans) ==
                  "printed a non-JSON line", "garbage %d: %r" % (i, ans))
            status, ans = s.post(call(100 + i, "echo",
                                      message="\x01after \u00e9 %d" % i))
            check(status == 200 and text_of(ans) ==
                  "\x01after \u00e9 %d" % i, "after garbage %d: %r" % (i, ans))
        log = b.stderr()
        check(log.count("skipping non-JSON line") >= len(GARBAGE) - 1,
              "garbage not logged")

        # A line over the cap is dropped, whole; the request it answers
        # gets an error at once, the next ones are fine.
        status, ans = s.post(call(200, "long_line", bytes=1000))
        check(status == 200 and len(text_of(ans)) == 1000, "long_line 1000")
        for i in range(3):
            expect_oversized(s, 201 + i, call(201 + i, "long_line",
                                              bytes=200000))
            status, ans = s.post(call(210 + i, "echo", message="ok"))
            check(status == 200 and text_of(ans) == "ok", "after long line")
        check("discarding a line of" in b.stderr(), "long line not logged")

        # A call the child sits on: an error when --request-timeout
        # passes, and the child is told to cancel it.
        expect_timeout(s, 300, call(300, "delay", ms=6000))
        status, ans = s.post(call(301, "echo", message="still"))
        check(status == 200 and text_of(ans) == "still", "after stall")

        # The child stops dead: requests get errors in time, the bridge
        # stays responsive; when it resumes, all is well again.
        child = b.wait_child()
        os.kill(child, signal.SIGSTOP)
        try:
            by.stop.set()
            by.join(10)
            for i in range(3):
                expect_timeout(s, 400 + i, call(400 + i, "echo",
                                                message="x"))
            t = time.time()
            s2 = Session(b)       # the bridge answers initialize itself
            status, ans = s2.post(call(1, "echo", message="y"))
            check(status == 200 and "error" in ans, "stopped child: %r" % ans)
            s2.close()
            # The echo's --request-timeout (3 s) and some room.
            check(time.time() - t < 8, "bridge slow while the child is "
                  "stopped")
        finally:
            os.kill(child, signal.SIGCONT)
        status, ans = s.post(call(500, "echo", message="back"))
        check(status == 200 and text_of(ans) == "back", "after SIGCONT %r" %
              ans)
        echo_ok(b)
        check(b.children() == [child], "the child was replaced")
    finally:
        by.stop.set()
        by.join(10)
        s.close()
    check(not by.errors, "bystander saw errors: %r" % by.errors[:3])
    check(by.n > 20 and by.worst < 5.0, "bystander: %d calls, worst %.2f s" %
          (by.n, by.worst))
    print("bystander: %d calls, worst %.3f s" % (by.n, by.worst))
    test_cr_child()


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        child()
        sys.exit(0)
    # --request-timeout: every call of the main test must come back
    # within it, on a loaded box under ASan too.
    main(test, "--max-message-size", "64K", "--request-timeout", "3s",
         timeout=120)
