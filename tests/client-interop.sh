#!/bin/sh
# SPDX-License-Identifier: ISC
# Client mode against @modelcontextprotocol/server-everything (the official
# TypeScript SDK on the server side) over Streamable HTTP and legacy
# HTTP+SSE: the handshake, tools with progress, and the auto fallback.
# Skipped (77) when the npm peers are not installed.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
everything="$deps/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing"; exit 77; }

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# everything_start TRANSPORT: sets $port once it listens.
everything_start() {
	port=$(free_port)
	PORT=$port "$node" "$everything" "$1" >"$tmp/everything-$1.log" 2>&1 &
	pids="$pids $!"
	i=0
	while [ $i -lt 100 ] && ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}

cat >"$tmp/session.jsonl" <<'EOF'
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"interop","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/list"}
{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}
{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get-sum","arguments":{"a":2,"b":3}}}
{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"trigger-long-running-operation","arguments":{"duration":1,"steps":3},"_meta":{"progressToken":"p"}}}
EOF

# check_session NAME URL [client options]: every request answered once,
# without error, progress passed through, exit 0.
check_session() {
	name=$1
	url=$2
	shift 2
	timeout 60 "$bin" --log-level debug client "$@" "$url" \
	    <"$tmp/session.jsonl" >"$tmp/$name.out" 2>"$tmp/$name.log"
	check "$name: exit status 0" test $? -eq 0
	check "$name: each request answered once, no errors" python3 -c '
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
ids = sorted(m["id"] for m in msgs if "id" in m)
assert ids == [1, 2, 3, 4, 5], ids
assert not any("error" in m for m in msgs), msgs
byid = {m["id"]: m for m in msgs if "id" in m}
assert "Echo: hi" in json.dumps(byid[3]), byid[3]
assert "5" in json.dumps(byid[4]), byid[4]
assert any(m.get("method") == "notifications/progress" for m in msgs)
' "$tmp/$name.out"
}

everything_start streamableHttp
check_session streamable "http://127.0.0.1:$port/mcp"
check "streamable: the session is ended with DELETE" \
    grep -q "session ended: ok" "$tmp/streamable.log"

everything_start sse
check_session sse "http://127.0.0.1:$port/sse" --transport sse
check_session sse-auto "http://127.0.0.1:$port/sse"
check "sse-auto: fell back to HTTP+SSE" \
    grep -q "trying the HTTP+SSE transport" "$tmp/sse-auto.log"

if [ $fails -ne 0 ]; then
	for f in "$tmp"/*.log; do
		echo "---- $f"
		tail -n 30 "$f"
	done
fi
finish
