#!/bin/sh
# SPDX-License-Identifier: ISC
# The authorization scenarios of the official MCP conformance suite for
# clients (conformance client --suite auth), with client mode in the middle:
# the suite's servers are the remote, a small scripted stdio client (below)
# is the local MCP client, and a script that fetches the authorization URL
# and follows its redirects stands in for the browser.  Every scenario that
# is not an extension, for 2025-03-26 (the back-compat ones), 2025-06-18,
# 2025-11-25 and 2026-07-28.  Skipped (77) when the npm peers are missing.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
suite="$deps/node_modules/@modelcontextprotocol/conformance/dist/index.js"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing"; exit 77; }

# The browser: GET the URL, follow redirects to our callback, no proxy.
cat >"$tmp/fetch.py" <<'EOF'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    opener.open(sys.argv[1], timeout=20).read()
except Exception as e:
    sys.exit("fetch: %s" % e)
EOF

cat >"$tmp/driver.py" <<'EOF'
import json, os, queue, subprocess, sys, tempfile, threading

url = sys.argv[-1]
version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION", "2025-11-25")
ctx = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
tmp = os.environ["DRIVER_TMP"]
scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "x").replace("/", "-")
log = open("%s/%s-%s-%d.log" % (os.environ["DRIVER_LOGS"], scenario, version,
                                os.getpid()), "ab")
env = dict(os.environ)
args = [os.environ["MCPBRIDGE"], "--log-level", "debug", "client",
        "--oauth-store", tempfile.mkdtemp(dir=tmp),
        "--oauth-open", "python3 " + os.path.join(tmp, "fetch.py"),
        "--oauth-timeout", "20s", "--oauth-client-metadata-url",
        "https://conformance-test.local/client-metadata.json"]
if "client_id" in ctx:
    args += ["--oauth-client-id", ctx["client_id"]]
    if "client_secret" in ctx:
        args += ["--oauth-client-secret-env", "DRIVER_CLIENT_SECRET"]
        env["DRIVER_CLIENT_SECRET"] = ctx["client_secret"]
p = subprocess.Popen(args + [url], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=log, env=env)
lines = queue.Queue()

def reader():
    for line in p.stdout:
        lines.put(json.loads(line))
    lines.put(None)

threading.Thread(target=reader, daemon=True).start()
# 2026-07-28 has no handshake: every request names its version.
stateless = version >= "2026-07-28"
meta = {"io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "mcpbridge-driver",
                                               "version": "1"}}

def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode())
    p.stdin.flush()

def request(i, method, params=None):
    params = dict(params or {})
    if stateless:
        params["_meta"] = meta
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params:
        m["params"] = params
    send(m)
    while True:
        r = lines.get(timeout=60)
        if r is None:
            sys.exit("the bridge closed its stdout")
        if "method" in r and "id" in r:
            send({"jsonrpc": "2.0", "id": r["id"], "result": {}})
        elif r.get("id") == i:
            if "error" in r:
                p.stdin.close()
                p.wait(timeout=30)
                sys.exit("error from the bridge: %r" % r)
            return r

if not stateless:
    request(1, "initialize", {"protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "mcpbridge-driver", "version": "1"}})
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
tools = request(2, "tools/list")["result"]["tools"]
for n, t in enumerate(tools):
    request(10 + n, "tools/call", {"name": t["name"], "arguments": {}})
p.stdin.close()
sys.exit(p.wait(timeout=30))
EOF

MCPBRIDGE="$bin"
DRIVER_LOGS="$tmp/logs"
DRIVER_TMP="$tmp"
export MCPBRIDGE DRIVER_LOGS DRIVER_TMP
mkdir -p "$DRIVER_LOGS"
logs() {	# logs SCENARIO VERSION: the bridge's log of a failed run
	tail -n 30 "$DRIVER_LOGS/$(echo "$1" | tr / -)-$2"-*.log
}
run_suite() {	# run_suite OUTPUT ARGS...: runs the suite's client command
	out=$1
	shift
	(cd "$tmp" && timeout 600 "$node" "$suite" client \
	    --command "python3 $tmp/driver.py" "$@") >"$out" 2>&1
}
# Every authorization scenario but the extensions, with its versions.
"$node" "$suite" list --client | awk '$2 ~ /^auth\// && $3 !~ /extension/ \
    { print $2, $3 }' >"$tmp/scenarios"
for v in 2025-03-26 2025-06-18 2025-11-25 2026-07-28; do
	# The auth suite, in parallel; then what it leaves out (the
	# back-compat and 2026-07-28 scenarios), one by one.
	run_suite "$tmp/$v.out" --suite auth --spec-version "$v"
	status=$?
	ran=$(grep -c '^[✓✗] auth/' "$tmp/$v.out")
	check "conformance auth suite at $v ($ran scenarios)" \
	    test $status -eq 0
	if [ $status -ne 0 ]; then
		sed -n '/SUITE SUMMARY/,$p' "$tmp/$v.out"
		grep -aE 'FAILURE|WARNING|timed out' "$tmp/$v.out"
		for s in $(sed -n "s/^✗ \(auth\/[^:]*\):.*/\1/p" "$tmp/$v.out")
		do
			logs "$s" "$v"
		done
	fi
	for s in $(grep "$v" "$tmp/scenarios" | cut -d' ' -f1); do
		grep -q "^[✓✗] $s:" "$tmp/$v.out" && continue
		run_suite "$tmp/one.out" --scenario "$s" --spec-version "$v"
		status=$?
		check "conformance $s at $v" test $status -eq 0
		[ $status -eq 0 ] || { grep -aE 'FAILURE|WARNING|Passed' \
		    "$tmp/one.out"; logs "$s" "$v"; }
	done
done
finish
