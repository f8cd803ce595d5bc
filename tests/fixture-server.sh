#!/bin/sh
# SPDX-License-Identifier: ISC
# fixture-server.sh: drives the test fixture, mcpbridge-test-server, over its
# stdio, first with piped input, then interactively (sampling, elicitation,
# cancellation, concurrency, the knobs) through a small python3 driver.
# Exit 0 pass, 1 fail, 77 skip.

top_builddir=${top_builddir:-.}
bin="$top_builddir/tests/mcpbridge-test-server"

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found"
	exit 77
fi
if [ ! -x "$bin" ]; then
	echo "FAIL: $bin not built"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fixture-server.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() {
	echo "FAIL: $*"
	exit 1
}

# ---- piped: a whole session in, EOF, every answer out, status 0 ----
cat >"$tmp/in" <<'EOF'
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/list"}
{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}
[{"jsonrpc":"2.0","id":4,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/roots/list_changed"},{"jsonrpc":"2.0","id":5,"method":"no/such/method"}]
{"jsonrpc":"2.0","id":6,"method":"no/such/method"}
{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"progress-test-1"}}}
{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"no_such_tool"}}
{"jsonrpc":"2.0","id":9,"method":"resources/read","params":{"uri":"test://template/123/data"}}
{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"delay","arguments":{"ms":150,"message":"after EOF"}}}
not json at all
EOF
timeout 20 "$bin" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/err"; fail "piped session exited $rc"; }

python3 - "$tmp/out" <<'EOF' || fail "piped session answers"
import json, sys

lines = open(sys.argv[1]).read().splitlines()
msgs = [json.loads(l) for l in lines]   # every stdout line is JSON
byid = {}
batches = []
notes = []
for m in msgs:
    if isinstance(m, list):
        batches.append(m)
    elif "id" in m and "method" not in m:
        byid[m["id"]] = m
    else:
        notes.append(m)

def check(cond, what):
    if not cond:
        print("piped:", what)
        print("\n".join(lines))
        sys.exit(1)

init = byid[1]["result"]
check(init["protocolVersion"] == "2025-06-18", "version not echoed")
check(init["serverInfo"]["name"] == "mcpbridge-test-server", "serverInfo")
caps = init["capabilities"]
check(caps["tools"] == {"listChanged": True}, "tools capability")
check(caps["resources"] == {"subscribe": True, "listChanged": True},
      "resources capability")
check("logging" in caps and "completions" in caps and "prompts" in caps,
      "capabilities")
check(isinstance(init.get("instructions"), str), "instructions")

names = {t["name"] for t in byid[2]["result"]["tools"]}
want = {"test_simple_text", "test_image_content", "test_audio_content",
        "test_embedded_resource", "test_multiple_content_types",
        "test_tool_with_logging", "test_tool_with_progress",
        "test_error_handling", "test_sampling", "test_elicitation",
        "test_elicitation_sep1034_defaults", "test_elicitation_sep1330_enums",
        "test_reconnection", "json_schema_2020_12_tool", "echo",
        "add_numbers", "exit", "crash", "print_garbage", "long_line",
        "delay", "sample", "elicit", "roots", "notify_list_changed",
        "report_env", "received", "progress", "trigger_update", "region"}
check(want <= names, "tools missing: %s" % (want - names))
for t in byid[2]["result"]["tools"]:
    check(t["description"] and t["inputSchema"]["type"] == "object",
          "tool %s shape" % t["name"])

check(byid[3]["result"]["content"] ==
      [{"type": "text", "text": "This is a simple text response for testing."}],
      "test_simple_text")

check(len(batches) == 1 and len(batches[0]) == 2, "batch answer count")
bat = {m["id"]: m for m in batches[0]}
check(bat[4]["result"] == {}, "batch ping")
check(bat[5]["error"]["code"] == -32601, "batch unknown method")

check(byid[6]["error"]["code"] == -32601, "unknown method")
check(byid[8]["error"]["code"] == -32602, "unknown tool is -32602")

prog = [n["params"] for n in notes
        if n.get("method") == "notifications/progress"]
check(len(prog) == 3, "3 progress notifications, got %d" % len(prog))
check(all(p["progressToken"] == "progress-test-1" for p in prog), "token")
check([p["progress"] for p in prog] == [0, 50, 100], "progress increases")
check("result" in byid[7], "progress tool answered")

text = byid[9]["result"]["contents"][0]["text"]
check(json.loads(text)["id"] == "123", "template substitution")

check(byid[10]["result"]["content"][0]["text"] == "after EOF",
      "timer work finishes after EOF")
check(byid[None]["error"]["code"] == -32700, "parse error answered")
EOF

# ---- banner knob: a non-JSON first line ----
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"ping"}' |
    TEST_SERVER_BANNER='hello from the banner' timeout 10 "$bin" \
    >"$tmp/out" 2>/dev/null || fail "banner run"
[ "$(sed -n 1p "$tmp/out")" = "hello from the banner" ] ||
    fail "banner is not the first line"
[ "$(sed -n 2p "$tmp/out")" = '{"jsonrpc":"2.0","id":1,"result":{}}' ] ||
    fail "ping after banner"

# ---- EOF on an idle server: status 0, nothing written ----
timeout 10 "$bin" </dev/null >"$tmp/out" 2>/dev/null || fail "EOF exit status"
[ -s "$tmp/out" ] && fail "output on empty input"

# ---- interactive ----
timeout 120 python3 - "$bin" <<'EOF' || fail "interactive"
import json, os, select, signal, subprocess, sys, time

BIN = sys.argv[1]


class Server:
    def __init__(self, env=None):
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen([BIN], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=e)
        self.buf = b""
        self.pending = []

    def send(self, msg):
        data = msg if isinstance(msg, str) else json.dumps(msg)
        self.p.stdin.write(data.encode() + b"\n")
        self.p.stdin.flush()

    def line(self, timeout=5.0):
        end = time.time() + timeout
        while b"\n" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return l.decode()

    def recv(self, timeout=5.0):
        l = self.line(timeout)
        return None if l is None else json.loads(l)

    def wait(self, pred, timeout=5.0, what="message"):
        """Next message matching pred; the others are kept in order."""
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        end = time.time() + timeout
        while True:
            m = self.recv(max(0.0, end - time.time()))
            if m is None:
                fail("timed out waiting for " + what)
            if pred(m):
                return m
            self.pending.append(m)

    def answer(self, id, timeout=5.0):
        return self.wait(lambda m: isinstance(m, dict) and m.get("id") == id
                         and "method" not in m, timeout, "answer to %r" % id)

    def call(self, id, name, args=None, meta=None):
        params = {"name": name, "arguments": args or {}}
        if meta:
            params["_meta"] = meta
        self.send({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                   "params": params})

    def init(self, caps=None):
        self.send({"jsonrpc": "2.0", "id": "init", "method": "initialize",
                   "params": {"protocolVersion": "2025-11-25",
                              "capabilities": caps if caps is not None else
                              {"sampling": {}, "elicitation": {},
                               "roots": {}},
                              "clientInfo": {"name": "t", "version": "1"}}})
        r = self.answer("init")["result"]
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return r

    def close(self):
        self.p.stdin.close()
        return self.p.wait(10)


def fail(what):
    print("interactive:", what)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)


def text(resp):
    return resp["result"]["content"][0]["text"]


def is_req(method):
    return lambda m: isinstance(m, dict) and m.get("method") == method \
        and "id" in m


s = Server()
r = s.init()
check(r["protocolVersion"] == "2025-11-25", "2025-11-25 echoed")

# An unknown version gets the latest.
s.send({"jsonrpc": "2.0", "id": "v", "method": "initialize",
        "params": {"protocolVersion": "1999-01-01", "capabilities":
                   {"sampling": {}, "elicitation": {}, "roots": {}},
                   "clientInfo": {"name": "t", "version": "1"}}})
check(s.answer("v")["result"]["protocolVersion"] == "2025-11-25",
      "unknown version answered with latest")

# Sampling: the request comes out, other requests are served while the
# tool waits, the answer goes back with the server's id.
s.call(10, "test_sampling", {"prompt": "Test prompt for sampling"})
req = s.wait(is_req("sampling/createMessage"), what="sampling request")
check(req["params"]["messages"][0]["content"]["text"] ==
      "Test prompt for sampling", "prompt passed on")
check(req["params"]["maxTokens"] == 100, "maxTokens")
s.send({"jsonrpc": "2.0", "id": 11, "method": "ping"})
check(s.answer(11)["result"] == {}, "ping served while sampling waits")
s.send({"jsonrpc": "2.0", "id": req["id"], "result": {
    "role": "assistant", "model": "test-model", "stopReason": "endTurn",
    "content": {"type": "text",
                "text": "This is a test response from the client"}}})
check(text(s.answer(10)) ==
      "LLM response: This is a test response from the client",
      "sampling answer returned")

# Elicitation, and two at once answered in reverse order.
s.call(12, "test_elicitation", {"message": "Please provide your info"})
s.call(13, "test_elicitation_sep1034_defaults")
e1 = s.wait(is_req("elicitation/create"), what="elicitation 1")
e2 = s.wait(is_req("elicitation/create"), what="elicitation 2")
check(e1["id"] != e2["id"], "distinct server ids")
props = e2["params"]["requestedSchema"]["properties"]
check(props["name"]["default"] == "John Doe" and props["age"]["default"] == 30
      and props["score"]["default"] == 95.5
      and props["status"]["default"] == "active"
      and props["verified"]["default"] is True, "SEP-1034 defaults")
s.send({"jsonrpc": "2.0", "id": e2["id"], "result": {"action": "decline"}})
s.send({"jsonrpc": "2.0", "id": e1["id"], "result": {
    "action": "accept", "content": {"username": "testuser",
                                    "email": "test@example.com"}}})
check(text(s.answer(13)) == "Elicitation completed: action=decline, "
      "content={}", "sep1034 result")
a = text(s.answer(12))
check(a.startswith("User response: action=accept") and "testuser" in a,
      "elicitation result")

# The client's error comes back as a tool error.
s.call(14, "sample", {"prompt": "x"})
req = s.wait(is_req("sampling/createMessage"), what="sample knob request")
s.send({"jsonrpc": "2.0", "id": req["id"],
        "error": {"code": -1, "message": "User rejected"}})
a = s.answer(14)
check(a["result"].get("isError") is True and "User rejected" in text(a),
      "client error reported")

# Cancellation: never answered, not even when timer work is finished at
# EOF (checked at the end); the server cancels its own request too.
s.call(15, "delay", {"ms": 1000})
s.call(16, "test_sampling", {"prompt": "p"})
req = s.wait(is_req("sampling/createMessage"), what="sampling to cancel")
s.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 15, "reason": "test"}})
s.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 16}})
n = s.wait(lambda m: m.get("method") == "notifications/cancelled",
           what="cancel of our own request")
check(n["params"]["requestId"] == req["id"], "cancelled our request id")
s.send({"jsonrpc": "2.0", "id": 17, "method": "ping"})
s.answer(17)

# Logging: filtered by logging/setLevel.
s.pending.clear()
s.send({"jsonrpc": "2.0", "id": 18, "method": "logging/setLevel",
        "params": {"level": "error"}})
check(s.answer(18)["result"] == {}, "setLevel")
s.call(19, "test_tool_with_logging")
s.answer(19)
check(not any(m.get("method") == "notifications/message" for m in s.pending),
      "info logs not filtered at error")
s.send({"jsonrpc": "2.0", "id": 20, "method": "logging/setLevel",
        "params": {"level": "debug"}})
s.answer(20)
s.pending.clear()
s.call(21, "test_tool_with_logging")
s.answer(21)
logs = [m for m in s.pending if m.get("method") == "notifications/message"]
check(len(logs) == 3 and logs[0]["params"]["data"] ==
      "Tool execution started", "three log lines during the call")
s.send({"jsonrpc": "2.0", "id": 22, "method": "logging/setLevel",
        "params": {"level": "loud"}})
check(s.answer(22)["error"]["code"] == -32602, "bad level is -32602")

# Subscribe: an updated notification soon, and on trigger_update.
s.pending.clear()
s.send({"jsonrpc": "2.0", "id": 23, "method": "resources/subscribe",
        "params": {"uri": "test://watched-resource"}})
check(s.answer(23)["result"] == {}, "subscribe")
u = s.wait(lambda m: m.get("method") == "notifications/resources/updated",
           what="updated after subscribe")
check(u["params"]["uri"] == "test://watched-resource", "updated uri")
s.call(24, "trigger_update")
s.answer(24)
s.wait(lambda m: m.get("method") == "notifications/resources/updated",
       what="updated after trigger_update")
s.send({"jsonrpc": "2.0", "id": 25, "method": "resources/unsubscribe",
        "params": {"uri": "test://watched-resource"}})
check(s.answer(25)["result"] == {}, "unsubscribe")
s.send({"jsonrpc": "2.0", "id": 26, "method": "resources/read",
        "params": {"uri": "test://nowhere"}})
e = s.answer(26)["error"]
check(e["code"] == -32002 and e["data"]["uri"] == "test://nowhere",
      "resource not found")

# Garbage on stdout, then the answer; a long line; what was received.
s.pending.clear()
s.call(27, "print_garbage", {"text": "NOT JSON"})
check(s.line() == "NOT JSON", "garbage line")
s.answer(27)
s.call(28, "long_line", {"bytes": 1000000})
check(len(text(s.answer(28))) == 1000000, "long line length")
s.send({"jsonrpc": "2.0", "id": 29, "method": "tools/call", "params": {
    "name": "received", "arguments": {"count": 3}}})
got = [c["text"] for c in s.answer(29)["result"]["content"]]
check(len(got) == 3 and '"id":29' in got[-1].replace(" ", "") and
      '"long_line"' in got[-2], "received lines")
s.call(30, "echo", {"message": "hi there"})
check(text(s.answer(30)) == "hi there", "echo")
s.call(31, "add_numbers", {"a": 2, "b": 3})
check(text(s.answer(31)) == "The sum of 2 and 3 is 5", "add_numbers")
s.call(32, "region", {"region": "eu"})
check(text(s.answer(32)) == "region: eu", "region")
s.send({"jsonrpc": "2.0", "id": 32, "method": "prompts/get", "params": {
    "name": "test_prompt_with_arguments",
    "arguments": {"arg1": "testValue1", "arg2": "testValue2"}}})
check("arg1='testValue1', arg2='testValue2'" in
      json.dumps(s.answer(32)["result"]), "prompt arguments")
s.send({"jsonrpc": "2.0", "id": 33, "method": "prompts/get",
        "params": {"name": "test_prompt_with_arguments"}})
check(s.answer(33)["error"]["code"] == -32602, "missing prompt argument")
s.p.stdin.close()
rest = []
while True:
    m = s.recv(10)
    if m is None:
        break
    rest.append(m)
check(not any(m.get("id") in (15, 16) for m in s.pending + rest),
      "cancelled calls answered")
check(s.p.wait(10) == 0, "exit status after EOF")

# Capabilities gate the conformance tools; force overrides for the knobs.
s = Server()
s.init(caps={})
s.call(1, "test_sampling", {"prompt": "p"})
a = s.answer(1)
check(a["result"].get("isError") is True, "no sampling capability")
s.call(2, "roots", {"force": True})
req = s.wait(is_req("roots/list"), what="forced roots/list")
s.send({"jsonrpc": "2.0", "id": req["id"], "result": {
    "roots": [{"uri": "file:///tmp", "name": "tmp"}]}})
check("file:///tmp" in text(s.answer(2)), "roots answer")
s.close()

# report_env and the exit knob.
s = Server(env={"TEST_SERVER_TEST_VAR": "hello env"})
s.call(1, "report_env", {"name": "TEST_SERVER_TEST_VAR"})
check(text(s.answer(1)) == "hello env", "report_env")
s.call(2, "report_env", {"name": "TEST_SERVER_UNSET_VAR"})
check(s.answer(2)["result"].get("isError") is True, "unset variable")
s.call(3, "exit", {"code": 7})
check(s.p.wait(5) == 7, "exit knob status")
check(s.recv(0.5) is None, "exit knob answered")

# crash knob: killed by the signal.
s = Server()
s.call(1, "crash")
check(s.p.wait(5) == -signal.SIGSEGV, "crash by SIGSEGV")

# TEST_SERVER_EXIT_AFTER: two requests served, then gone.
s = Server(env={"TEST_SERVER_EXIT_AFTER": "2"})
s.send({"jsonrpc": "2.0", "id": 1, "method": "ping"})
s.send({"jsonrpc": "2.0", "id": 2, "method": "ping"})
s.answer(1)
s.answer(2)
check(s.p.wait(5) == 0, "EXIT_AFTER status")

# TEST_SERVER_STARTUP_DELAY_MS: nothing is read before the delay.
t0 = time.time()
s = Server(env={"TEST_SERVER_STARTUP_DELAY_MS": "300"})
s.send({"jsonrpc": "2.0", "id": 1, "method": "ping"})
s.answer(1)
check(time.time() - t0 >= 0.25, "startup delay")
s.close()
EOF

exit 0
