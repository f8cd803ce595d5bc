#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# http-resume.py: Streamable HTTP event streams over time: the late choice
# between JSON and SSE, keep-alive comments, SEP-1699 polling for
# 2025-11-25 sessions (priming event, retry, resumption with GET and
# Last-Event-ID), replay of a POST stream whose client went away, and 204
# for a resume of a stream that is over with nothing left to replay.
# Exit 0 pass, 1 fail, 77 skip.
import os
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcptest.bridge import Bridge, wait_ready  # noqa: E402
from mcptest.run import check, main  # noqa: E402
from mcptest.wire import (Response, call as call_on, initialize,  # noqa: E402
                          note, post, rpc)


# ---- the tests ----


def call(n, name, args=None, meta=None):
    params = {"name": name, "arguments": args or {}}
    if meta:
        params["_meta"] = meta
    return rpc(n, "tools/call", params)


def resume(b, sid, version, last):
    return Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                       "Mcp-Session-Id": sid,
                                       "MCP-Protocol-Version": version,
                                       "Last-Event-ID": last})


def over(b, sid, version, last, what):
    """A resume of a finished stream with nothing left to replay."""
    g = resume(b, sid, version, last)
    check(g.status == 204, "resume of a %s after %s: %d, not 204" %
          (what, last, g.status))
    check("content-type" not in g.headers,
          "%s: 204 with %r" % (what, g.headers.get("content-type")))
    check(g.body() == b"", "%s: 204 with a body" % what)
    g.close()


def fast_is_json(b, sid, version, ids, name, args, what):
    """A fast call is answered as JSON.  Its round trip to the child must
    beat the keep-alive time (300 ms here), or for 2025-11-25 the poll's
    200 ms, else SSE is right: on a loaded box one try may not, so there
    is one try per id.  A bridge that always streams fails them all."""
    seen = []
    for n in ids:
        r = post(b, call(n, name, args), sid, version)
        ctype = r.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            r.json()
            r.close()
            return
        seen.append(ctype)
        while r.event() is not None:    # its answer, or a priming event
            pass
        r.close()
    check(False, "%s: %r" % (what, seen))


def resumed_head(g, last, what):
    """A resume replays strictly after Last-Event-ID: its stream may start
    by restating retry, but never sends the event id it resumes from
    again (as an empty priming event, for one)."""
    lines = []
    while True:
        line = g.line()
        check(line is not None, "%s: resumed stream ended at once" % what)
        if line == "":
            break
        lines.append(line)
    check("id: " + last not in lines,
          "%s: the resume after %s sends event id %s again: %r" %
          (what, last, last, lines))
    check([x for x in lines if x.startswith("retry: ")] != [],
          "%s: no retry field on the resumed stream: %r" % (what, lines))


def big_answer(b):
    """An answer larger than the replay log (1 MB) that comes while its
    client polls is owed to it, not replay material: the resume gets it.
    Once delivered it is replay material like any other."""
    wait_ready(b)
    sid, version = initialize(b, "2025-11-25", strict=True)
    text = "y" * 1200000
    r = post(b, call(70, "delay", {"ms": 300, "message": text}), sid,
             version)
    ev = r.event()
    check(ev is not None and ev["data"] == "" and "id" in ev,
          "big answer: priming event %r" % ev)
    last = ev["id"]
    check(r.event() is None, "big answer: POST not closed after priming")
    r.close()
    # The client obeys retry; the answer lands in the gap (a slower
    # child only makes the resume get it live, which passes too).
    time.sleep(int(ev["retry"]) / 1000.0 + 0.4)
    g = resume(b, sid, version, last)
    check(g.status == 200, "big answer: resume got %d, the 1.2 MB answer "
          "was dropped" % g.status)
    resumed_head(g, last, "big answer")
    ev = g.message()
    check(ev is not None and ev["msg"].get("id") == 70,
          "big answer: %r" % (ev and ev["id"]))
    got = ev["msg"]["result"]["content"][0]["text"]
    check(got == text, "big answer: %d bytes" % len(got))
    check(g.event() is None, "big answer: stream not ended")
    g.close()
    status, body = call_on(b, sid, version, 71, "echo", {"message": "z"})
    check(status == 200 and body.get("id") == 71,
          "big answer: session after it %d %r" % (status, body))


def evicted(b):
    """--replay-buffer 2: three answers wait for a client that is away.
    None was delivered, so none is dropped for the bound: each resume
    gets its answer.  Delivered, they are replay material within the
    bound: the one delivered first goes, and resuming its stream again
    gets 204 (the answer is gone for good) instead of a stream polled for
    ever."""
    wait_ready(b)
    sid, version = initialize(b, "2025-11-25", strict=True)
    ids = []
    for n, ms in ((60, 300), (61, 350), (62, 400)):
        r = post(b, call(n, "delay", {"ms": ms}), sid, version)
        ev = r.event()
        check(ev is not None and ev["data"] == "" and "id" in ev,
              "evicted: priming event %r" % ev)
        check(r.event() is None, "evicted: POST not closed after priming")
        r.close()
        ids.append(ev["id"])
    # The child answers in time order: once 62 is here, 60 and 61 are
    # in the log too.
    for k, n in ((2, 62), (1, 61), (0, 60)):
        g = resume(b, sid, version, ids[k])
        check(g.status == 200, "evicted: resume for %d: %d" % (n, g.status))
        ev = g.message()
        check(ev is not None and ev["msg"].get("id") == n,
              "evicted: undelivered answer %d lost: %r" % (n, ev))
        g.close()
    over(b, sid, version, ids[2], "stream whose answer was evicted")


def overflow(b):
    """--max-queue 64K: an answer of 100 KB that no connection takes ends
    the session loudly (a warning, the slow-client counter) rather than
    vanishing; the client's next request gets 404."""
    wait_ready(b)
    sid, version = initialize(b, "2025-11-25", strict=True)
    r = post(b, call(80, "delay", {"ms": 300, "message": "q" * 100000}),
             sid, version)
    ev = r.event()
    check(ev is not None and "id" in ev, "overflow: priming event %r" % ev)
    r.close()
    deadline = time.monotonic() + 10
    while "over --max-queue" not in b.stderr() and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    check("over --max-queue" in b.stderr(),
          "overflow: no warning: %s" % b.stderr())
    g = resume(b, sid, version, ev["id"])
    check(g.status == 404, "overflow: resume of an ended session: %d" %
          g.status)
    g.close()
    m = Response(b, "GET", "/metrics")
    text = m.body().decode()
    m.close()
    check("mcpbridge_slow_clients_dropped_total 1" in text.splitlines(),
          "overflow: not counted: %s" % text)


def test(b):
    wait_ready(b)

    # Before 2025-11-25: a slow call opens SSE after the keep-alive time
    # (300 ms here) with a comment, then the result ends the stream.
    # The headers come well before the result, not with it.
    sid, version = initialize(b, "2025-06-18", strict=True)
    t0 = time.monotonic()
    r = post(b, call(2, "delay", {"ms": 3000}), sid, version)
    check(r.status == 200, "slow call: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "slow call: content type %r" % r.headers.get("content-type"))
    check(time.monotonic() - t0 < 2.5, "headers held too long")
    ev = r.message()
    check(ev is not None and ev["msg"].get("id") == 2, "slow call: %r" % ev)
    check(len(r.comments) >= 1, "no keep-alive comment")
    check(r.event() is None, "slow call: stream not ended")
    r.close()

    # A fast call is still JSON.
    fast_is_json(b, sid, version, (3, 30, 31), "delay", {"ms": 0},
                 "fast call")

    # A GET stream gets keep-alive comments.
    g = Response(b, "GET", "/mcp", {"Accept": "text/event-stream",
                                    "Mcp-Session-Id": sid})
    check(g.status == 200, "GET: %d" % g.status)
    g.sock.settimeout(3)           # the first comment is due after 0.3 s
    line = g.line()
    check(line is not None and line.startswith(":"),
          "GET: keep-alive %r" % line)
    g.close()

    # A POST stream whose client leaves: the rest is replayed on GET with
    # the last event id it saw.
    r = post(b, call(4, "progress", {"steps": 4, "ms": 150},
                     {"progressToken": 7}), sid, version)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "progress: SSE")
    ev = r.message()
    check(ev["msg"].get("method") == "notifications/progress", "progress 1")
    last = ev["id"]
    r.close()
    time.sleep(0.9)
    g = resume(b, sid, version, last)
    check(g.status == 200, "resume POST stream: %d" % g.status)
    got = []
    while True:
        ev = g.message()
        check(ev is not None, "resumed stream ended without the result")
        got.append(ev["msg"])
        if "id" in ev["msg"]:
            break
    check([m["params"]["progress"] for m in got[:-1]] == [2, 3, 4],
          "resumed progress %r" % got)
    check(got[-1]["id"] == 4 and "result" in got[-1], "resumed result")
    check(g.event() is None, "resumed stream not ended after the result")
    g.close()
    # Resuming a finished stream again replays what is left, then ends.
    g = resume(b, sid, version, last)
    check(g.status == 200, "resume finished stream: %d" % g.status)
    n = 0
    while g.message() is not None:
        n += 1
    check(n == 4, "replay of a finished stream: %d messages" % n)
    g.close()

    # 2025-11-25: SEP-1699 polling.  A slow call is primed (id, empty
    # data, retry) and closed; the client resumes with GET.
    sid, version = initialize(b, "2025-11-25", strict=True)
    check(version == "2025-11-25", "negotiated %r" % version)
    r = post(b, call(5, "test_reconnection", {"ms": 800}), sid, version)
    check(r.status == 200, "test_reconnection: %d" % r.status)
    check(r.headers.get("content-type", "").startswith("text/event-stream"),
          "test_reconnection: content type")
    ev = r.event()
    check(ev is not None and ev["data"] == "" and "id" in ev,
          "priming event %r" % ev)
    check(ev.get("retry", "").isdigit(), "no retry field: %r" % ev)
    last = ev["id"]
    check(r.event() is None, "POST stream not closed after priming")
    r.close()
    time.sleep(int(ev["retry"]) / 1000.0)
    g = resume(b, sid, version, last)
    check(g.status == 200, "poll: %d" % g.status)
    resumed_head(g, last, "poll")
    ev = g.message()
    check(ev is not None and ev["msg"].get("id") == 5 and
          "result" in ev["msg"], "poll: result %r" % ev)
    check(g.event() is None, "poll: stream not ended after the result")
    g.close()
    # The client has all of that stream, which is over: nothing to poll
    # for.  204 (SSE's "do not reconnect"), not an empty event stream a
    # client would come back for every retry.
    over(b, sid, version, ev["id"], "finished stream")

    # A call cancelled while its client polls: the resumed stream ends
    # with its priming event only, and resuming it again gets 204.
    r = post(b, call(50, "delay", {"ms": 5000}), sid, version)
    ev = r.event()
    check(ev is not None and ev["data"] == "" and "id" in ev,
          "cancel: priming event %r" % ev)
    check(r.event() is None, "cancel: POST stream not closed after priming")
    r.close()
    last = ev["id"]
    g = resume(b, sid, version, last)
    check(g.status == 200, "cancel: poll %d" % g.status)
    resumed_head(g, last, "cancel")
    c = post(b, note("notifications/cancelled", {"requestId": 50}), sid,
             version)
    check(c.status == 202, "cancel: %d" % c.status)
    c.close()
    check(g.event() is None, "cancel: polled stream not ended")
    g.close()
    over(b, sid, version, last, "cancelled stream")

    # Fast calls stay JSON in 2025-11-25 sessions too.
    fast_is_json(b, sid, version, (6, 60, 61), "echo", {"message": "x"},
                 "2025-11-25 fast call")

    # 2025-11-25 SSE streams start with a priming event.
    r = post(b, call(7, "progress", {"steps": 2, "ms": 10},
                     {"progressToken": "p"}), sid, version)
    ev = r.event()
    check(ev is not None and ev["data"] == "" and "retry" in ev,
          "priming first %r" % ev)
    ms = []
    while True:
        ev = r.message()
        check(ev is not None, "2025-11-25 progress: ended early")
        ms.append(ev["msg"])
        if "id" in ev["msg"]:
            break
    check(len(ms) == 3, "2025-11-25 progress: %r" % ms)
    r.close()

    # Broadcasts never push an answer out of the replay log: while the
    # client of a slow call is away, another session makes the child send
    # every session list_changed notifications worth more than the log
    # holds (1 MB); the returning client still gets its answer.
    other, oversion = initialize(b, "2025-06-18", strict=True)
    r = post(b, call(8, "delay", {"ms": 500}), sid, version)
    ev = r.event()
    check(ev is not None and ev["data"] == "" and "id" in ev,
          "flood: priming event %r" % ev)
    last = ev["id"]
    check(r.event() is None, "flood: POST stream not closed after priming")
    r.close()
    # The child keeps time in order: call 8 is answered before this one.
    status, body = call_on(b, other, oversion, 9, "delay", {"ms": 600})
    check(status == 200 and body.get("id") == 9, "flood: delay %r" % body)
    for n in range(10, 13):
        status, body = call_on(b, other, oversion, n, "notify_list_changed",
                               {"list": "resources", "pad": 400000})
        check(status == 200 and "result" in body, "flood: %r" % body)
    g = resume(b, sid, version, last)
    check(g.status == 200, "flood: resume %d" % g.status)
    ev = g.message()
    check(ev is not None and ev["msg"].get("id") == 8 and
          "result" in ev["msg"], "flood: the answer was evicted: %r" % ev)
    check(g.event() is None, "flood: stream not ended after the answer")
    g.close()

    e = Bridge("--keepalive", "300ms", "--replay-buffer", "2")
    try:
        evicted(e)
    finally:
        e.stop()
    check("Sanitizer" not in e.stderr() and e.proc.returncode == 0,
          "--replay-buffer 2 bridge: %s" % e.stderr())

    big_answer(b)

    q = Bridge("--keepalive", "300ms", "--max-queue", "64K")
    try:
        overflow(q)
    finally:
        q.stop()
    check("Sanitizer" not in q.stderr() and q.proc.returncode == 0,
          "--max-queue 64K bridge: %s" % q.stderr())


if __name__ == "__main__":
    main(test, "--keepalive", "300ms")
