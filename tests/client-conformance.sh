#!/bin/sh
# SPDX-License-Identifier: ISC
# The client scenarios of the official MCP conformance suite, with client
# mode in the middle: the suite's server is the remote, and a small scripted
# stdio client (written below) is the local MCP client.  It is a legacy
# client (initialize, then requests; it answers the server's requests)
# whatever the suite's revision: for 2026-07-28 the bridge translates.
# Skipped (77) when the npm peers are not installed.
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
context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT", "{}"))
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

def wait(ids, fatal=True):
    """Answers the server's requests until every id in ids is answered."""
    got = {}
    while len(got) < len(ids):
        r = lines.get(timeout=30)
        if r is None:
            sys.exit("the bridge closed its stdout")
        if "method" in r and "id" in r:
            answer_server(r)
        elif r.get("id") in ids:
            if "error" in r:
                if fatal:
                    sys.exit("error from the bridge: %r" % r)
                # A tool the server cannot run: noted, as a user would.
                sys.stderr.write("error from the bridge: %r\n" % r)
            got[r["id"]] = r
    return got

def request(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    send(m)
    return wait([i])[i]

# A legacy local client: it asks for a legacy revision; the bridge speaks
# whatever the server does.
legacy = version if version != "2026-07-28" else "2025-11-25"
request(1, "initialize", {"protocolVersion": legacy,
        "capabilities": {"sampling": {}, "elicitation": {}, "roots": {}},
        "clientInfo": {"name": "mcpbridge-driver", "version": "1"}})
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
if scenario != "initialize":
    tools = request(2, "tools/list")["result"]["tools"]
    calls = context.get("toolCalls")
    if calls is None:
        calls = [{"name": t["name"], "arguments":
                  {"a": 1, "b": 2} if t["name"] == "add_numbers" else {}}
                 for t in tools]
    # All at once, as a busy client would: each answered on its own.
    ids = []
    for n, call in enumerate(calls):
        ids.append(10 + n)
        send({"jsonrpc": "2.0", "id": 10 + n, "method": "tools/call",
              "params": call})
    wait(ids, fatal=False)
p.stdin.close()
sys.exit(p.wait(timeout=30))
EOF

MCPBRIDGE="$bin"
DRIVER_LOG="$tmp/client.log"
export MCPBRIDGE DRIVER_LOG
run() {
	version=$1 s=$2
	: >"$tmp/client.log"
	(cd "$tmp" && timeout 120 "$node" "$suite" client \
	    --command "python3 $tmp/driver.py" --scenario "$s" \
	    --spec-version "$version") >"$tmp/$s-$version.out" 2>&1
	status=$?
	check "conformance client scenario $s ($version)" test $status -eq 0
	if [ $status -ne 0 ]; then
		tail -n 40 "$tmp/$s-$version.out"
		tail -n 40 "$tmp/client.log"
	fi
}
for s in initialize tools_call sse-retry elicitation-sep1034-client-defaults; do
	run 2025-11-25 "$s"
done
# The stateless revision (requirements/2026-07-28.yaml, auth/* aside).
for s in tools_call request-metadata sep-2322-client-request-state \
    http-standard-headers http-custom-headers http-invalid-tool-headers \
    json-schema-ref-no-deref; do
	run 2026-07-28 "$s"
done
finish
