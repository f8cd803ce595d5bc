#!/bin/sh
# The client scenarios of the official MCP conformance suite, with client
# mode in the middle: the suite's server is the remote, and a small scripted
# stdio client (written below) is the local MCP client.  Skipped (77) when
# the npm peers are not installed.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
suite="$deps/node_modules/@modelcontextprotocol/conformance/dist/index.js"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing"; exit 77; }

cat >"$tmp/driver.py" <<'EOF'
import json, os, queue, subprocess, sys, threading

url = sys.argv[-1]
scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "initialize")
version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION", "2025-11-25")
log = open(os.environ["DRIVER_LOG"], "ab")
p = subprocess.Popen([os.environ["MCPBRIDGE"], "--log-level", "debug",
                      "client", url], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=log)
lines = queue.Queue()

def reader():
    for line in p.stdout:
        lines.put(json.loads(line))
    lines.put(None)

threading.Thread(target=reader, daemon=True).start()

def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode())
    p.stdin.flush()

def answer_server(m):
    meth = m["method"]
    if meth == "elicitation/create":
        props = m["params"].get("requestedSchema", {}).get("properties", {})
        res = {"action": "accept", "content": {
            k: v["default"] for k, v in props.items() if "default" in v}}
    elif meth == "sampling/createMessage":
        res = {"role": "assistant", "model": "driver",
               "content": {"type": "text", "text": "ok"}}
    elif meth == "roots/list":
        res = {"roots": []}
    else:
        res = {}
    send({"jsonrpc": "2.0", "id": m["id"], "result": res})

def request(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    send(m)
    while True:
        r = lines.get(timeout=30)
        if r is None:
            sys.exit("the bridge closed its stdout")
        if "method" in r and "id" in r:
            answer_server(r)
        elif r.get("id") == i:
            if "error" in r:
                sys.exit("error from the bridge: %r" % r)
            return r

request(1, "initialize", {"protocolVersion": version,
        "capabilities": {"sampling": {}, "elicitation": {}, "roots": {}},
        "clientInfo": {"name": "mcpbridge-driver", "version": "1"}})
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
if scenario != "initialize":
    tools = request(2, "tools/list")["result"]["tools"]
    for n, t in enumerate(tools):
        args = {"a": 1, "b": 2} if t["name"] == "add_numbers" else {}
        request(10 + n, "tools/call", {"name": t["name"], "arguments": args})
p.stdin.close()
sys.exit(p.wait(timeout=30))
EOF

MCPBRIDGE="$bin"
DRIVER_LOG="$tmp/client.log"
export MCPBRIDGE DRIVER_LOG
for s in initialize tools_call sse-retry elicitation-sep1034-client-defaults; do
	(cd "$tmp" && timeout 120 "$node" "$suite" client \
	    --command "python3 $tmp/driver.py" --scenario "$s") \
	    >"$tmp/$s.out" 2>&1
	status=$?
	check "conformance client scenario $s" test $status -eq 0
	if [ $status -ne 0 ]; then
		tail -n 40 "$tmp/$s.out"
		tail -n 40 "$tmp/client.log"
	fi
done
finish
