#!/bin/sh
# SPDX-License-Identifier: ISC
# example-server.sh: the installed demo, mcpbridge-example-server, as a user
# meets it: over its stdio (the handshake, its tools, resource and prompt,
# a sampling round trip, malformed and oversized lines), then behind the
# bridge as scripts/quickstart starts it, reached through client mode and
# by a 2026-07-28 client over HTTP.
# Exit 0 pass, 1 fail, 77 skip.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
bin="$top_builddir/src/mcpbridge-example-server"

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found"
	exit 77
fi
if [ ! -x "$bin" ] || [ ! -x "$top_builddir/src/mcpbridge" ]; then
	echo "FAIL: $bin or the bridge not built"
	exit 1
fi

"$bin" --version | grep -q '^mcpbridge-example-server ' ||
    { echo "FAIL: --version"; exit 1; }

export top_builddir top_srcdir
exec timeout 120 python3 - "$bin" <<'EOF'
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests"))
from mcptest.bridge import Bridge, Client, call  # noqa: E402
from mcptest.wire import ACCEPT_BOTH, Response  # noqa: E402

BIN = sys.argv[1]
fails = 0


def check(cond, what):
    global fails
    print("%s - %s" % ("ok" if cond else "not ok", what))
    if not cond:
        fails += 1


def rpc(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    return m


def init(i=1, version="2025-11-25", caps=None):
    return rpc(i, "initialize", {"protocolVersion": version,
                                 "capabilities": caps or {},
                                 "clientInfo": {"name": "t", "version": "1"}})


class Demo:
    """The demo on pipes: send() a line, recv() one (10 s at most)."""

    def __init__(self):
        self.p = subprocess.Popen([BIN], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)

    def send(self, msg):
        if not isinstance(msg, (str, bytes)):
            msg = json.dumps(msg)
        if isinstance(msg, str):
            msg = msg.encode()
        self.p.stdin.write(msg + b"\n")
        self.p.stdin.flush()

    def recv(self):
        line = self.p.stdout.readline()
        if not line:
            raise AssertionError("stdout closed")
        return json.loads(line)

    def ask(self, msg):
        self.send(msg)
        return self.recv()

    def close(self):
        self.p.stdin.close()
        rest = self.p.stdout.read()
        return self.p.wait(timeout=10), rest


def text(r):
    return r["result"]["content"][0]["text"]


# ---- the handshake and what it offers ----
d = Demo()
r = d.ask(init())["result"]
check(r["protocolVersion"] == "2025-11-25", "initialize: 2025-11-25 answered")
check(r["serverInfo"]["name"] == "mcpbridge-example-server", "serverInfo")
check(set(r["capabilities"]) == {"tools", "resources", "prompts"},
      "capabilities: tools, resources, prompts")
d.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
check(d.ask(rpc(2, "ping")) == {"jsonrpc": "2.0", "id": 2, "result": {}},
      "ping")

tools = d.ask(rpc(3, "tools/list"))["result"]["tools"]
names = sorted(t["name"] for t in tools)
check(names == ["add", "echo", "sample"],
      "tools/list is exactly echo, add, sample: %s" % names)
check(all(t["description"] and t["inputSchema"]["type"] == "object"
          for t in tools), "each tool has a description and a schema")

check(text(d.ask(call(4, "echo", text="hello, world"))) == "hello, world",
      "echo answers its text")
check(text(d.ask(call(5, "add", a=2, b=3))) == "5", "add: 2 + 3 = 5")
check(text(d.ask(call(6, "add", a=0.5, b=-2))) == "-1.5",
      "add: 0.5 + -2 = -1.5")
r = d.ask(call(7, "add", a="two", b=3))
check(r["result"].get("isError") is True, "add of a string is a tool error")
r = d.ask(call(8, "echo"))
check(r["result"].get("isError") is True, "echo without text is a tool error")
r = d.ask(rpc(9, "tools/call", {"name": "report_env",
                                 "arguments": {"name": "PATH"}}))
check(r["error"]["code"] == -32602, "no report_env: unknown tool, -32602")
for knob in ("exit", "crash", "print_garbage"):
    r = d.ask(call(10, knob))
    check(r.get("error", {}).get("code") == -32602, "no %s knob" % knob)

res = d.ask(rpc(11, "resources/list"))["result"]["resources"]
check([x["uri"] for x in res] == ["demo://readme"],
      "resources/list: demo://readme")
r = d.ask(rpc(12, "resources/read", {"uri": "demo://readme"}))["result"]
c = r["contents"][0]
check(c["uri"] == "demo://readme" and c["mimeType"] == "text/plain" and
      "mcpbridge" in c["text"], "resources/read: the readme text")
r = d.ask(rpc(13, "resources/read", {"uri": "file:///etc/passwd"}))
check(r["error"]["code"] == -32002 and
      r["error"]["data"]["uri"] == "file:///etc/passwd",
      "another URI: -32002 Resource not found")

ps = d.ask(rpc(14, "prompts/list"))["result"]["prompts"]
check([p["name"] for p in ps] == ["greet"] and
      ps[0]["arguments"][0]["name"] == "name", "prompts/list: greet {name}")
r = d.ask(rpc(15, "prompts/get",
              {"name": "greet", "arguments": {"name": "Ada"}}))["result"]
m = r["messages"][0]
check(m["role"] == "user" and "Ada" in m["content"]["text"],
      "prompts/get greet: a user message naming Ada")
r = d.ask(rpc(16, "prompts/get", {"name": "greet"}))
check(r["error"]["code"] == -32602, "greet without name: -32602")
check(d.ask(rpc(17, "no/such/method"))["error"]["code"] == -32601,
      "unknown method: -32601")

# ---- what a broken client may send ----
r = d.ask("this is not json")
check(r["id"] is None and r["error"]["code"] == -32700,
      "a malformed line: parse error, id null")
r = d.ask('{"jsonrpc":"2.0","id":18,"method":"ping"')
check(r["error"]["code"] == -32700, "a cut-off object: parse error")
r = d.ask('{"jsonrpc":"2.0","id":18,"method":7}')
check(r["id"] == 18 and r["error"]["code"] == -32600,
      "a method that is no string: Invalid Request")
r = d.ask("{}")
check(r["id"] is None and r["error"]["code"] == -32600,
      "an empty object: Invalid Request")
r = d.ask("[%s]" % json.dumps(rpc(19, "ping")))
check(r["id"] is None and r["error"]["code"] == -32600,
      "a batch: Invalid Request")
d.send(b'{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":'
       b'"echo","arguments":{"text":"' + b"x" * (3 * 1024 * 1024) + b'"}}}')
r = d.recv()
check(r["id"] is None and r["error"]["code"] == -32600,
      "a 3 MiB line is refused")
check(d.ask(rpc(21, "ping"))["id"] == 21,
      "and the next line is served as before")
status, rest = d.close()
check(status == 0 and rest == b"", "EOF: exit status 0, nothing more")

# ---- sampling, straight ----
d = Demo()
d.ask(init(caps={"sampling": {}}))
d.send(call(2, "sample", prompt="Name a colour."))
q = d.recv()
check(q.get("method") == "sampling/createMessage" and "id" in q,
      "sample: the client is asked sampling/createMessage")
p = q["params"]
check(p["messages"] == [{"role": "user", "content":
                         {"type": "text", "text": "Name a colour."}}] and
      p["maxTokens"] > 0, "with the prompt as a user message")
check(p["_meta"]["mcpbridge/relatedRequestId"] == 2,
      "naming the call for a bridge in front")
# Other requests are served while the question is open.
check(d.ask(rpc(3, "ping"))["id"] == 3, "ping answered while sampling")
d.send({"jsonrpc": "2.0", "id": q["id"], "result": {
    "role": "assistant", "model": "demo-model",
    "content": {"type": "text", "text": "Teal."}}})
r = d.recv()
check(r["id"] == 2 and text(r) == "Teal.", "sample returns the model's text")

d.send(call(4, "sample", prompt="again"))
q = d.recv()
d.send({"jsonrpc": "2.0", "id": q["id"],
        "error": {"code": -1, "message": "User rejected sampling request"}})
r = d.recv()
check(r["id"] == 4 and r["result"]["isError"] is True and
      "User rejected" in text(r), "a refused sampling is a tool error")

d.send(call(5, "sample", prompt="never mind"))
q = d.recv()
d.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 5, "reason": "changed my mind"}})
n = d.recv()
check(n.get("method") == "notifications/cancelled" and
      n["params"]["requestId"] == q["id"],
      "a cancelled call cancels its question")
check(d.ask(rpc(6, "ping"))["id"] == 6, "and is never answered")
status, _ = d.close()
check(status == 0, "exit status 0")

d = Demo()
d.ask(init())
r = d.ask(call(2, "sample", prompt="hello?"))
check(r["id"] == 2 and r["result"]["isError"] is True,
      "a client without sampling gets a tool error, no question")
d.close()

# ---- behind the bridge, as scripts/quickstart runs it ----
b = Bridge(command=[BIN])
try:
    c = Client(b.url + "/mcp", debug=False)
    c.handshake()
    c.send(rpc(1, "tools/list"))
    names = sorted(t["name"] for t in c.recv()["result"]["tools"])
    check(names == ["add", "echo", "sample"], "bridged: tools/list")
    c.send(call(2, "echo", text="through the bridge"))
    check(text(c.recv()) == "through the bridge", "bridged: echo")
    c.send(call(3, "sample", prompt="Say hi."))
    q = c.recv()
    check(q.get("method") == "sampling/createMessage",
          "bridged: the local client is asked to sample")
    check("mcpbridge/relatedRequestId" not in q["params"].get("_meta", {}),
          "bridged: without the bridge's hint")
    c.send({"jsonrpc": "2.0", "id": q["id"], "result": {
        "role": "assistant", "model": "m",
        "content": {"type": "text", "text": "Hi!"}}})
    r = c.recv()
    check(r["id"] == 3 and text(r) == "Hi!", "bridged: sample round trip")
    status, _ = c.finish()
    check(status == 0, "bridged: client mode exits 0")

    # A 2026-07-28 client over plain HTTP: the bridge translates, and the
    # sampling question comes back as an input_required result.
    def modern(i, params):
        params = dict(params, _meta={
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"sampling": {}},
            "io.modelcontextprotocol/clientInfo": {"name": "t",
                                                   "version": "1"}})
        r = Response(b, "POST", "/mcp", {
            "Content-Type": "application/json", "Accept": ACCEPT_BOTH,
            "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call",
            "Mcp-Name": params["name"]}, rpc(i, "tools/call", params))
        body = json.loads(r.body())
        r.close()
        return body["result"]

    r = modern(4, {"name": "add", "arguments": {"a": 20, "b": 22}})
    check(r["content"][0]["text"] == "42", "2026-07-28: add")
    ask = {"name": "sample", "arguments": {"prompt": "Say hi."}}
    r = modern(5, ask)
    check(r["resultType"] == "input_required" and
          [q["method"] for q in r["inputRequests"].values()] ==
          ["sampling/createMessage"], "2026-07-28: sample asks for input")
    key = list(r["inputRequests"])[0]
    r = modern(6, dict(ask, requestState=r["requestState"], inputResponses={
        key: {"role": "assistant", "model": "m",
              "content": {"type": "text", "text": "Hello."}}}))
    check(r["content"][0]["text"] == "Hello.",
          "2026-07-28: sample round trip")
finally:
    check(b.stop() == 0, "the bridge stops cleanly")
    if fails:
        print(b.stderr()[-5000:])

print("%d failed" % fails)
sys.exit(1 if fails else 0)
EOF
