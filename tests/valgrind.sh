#!/bin/sh
# SPDX-License-Identifier: ISC
# valgrind.sh: the bridge under valgrind memcheck through a short session
# of both transports and a restart of its child: no memory error, no
# definite leak (valgrind exits 99 otherwise).  Skipped (77) without
# valgrind, or for a sanitizer build (the two do not mix).
set -u
top_builddir=${top_builddir:-.}
. "${top_srcdir:-.}/tests/lib.sh"

command -v valgrind >/dev/null 2>&1 || { echo "valgrind missing; skipped"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "curl missing; skipped"; exit 77; }
if ldd "$bin" 2>/dev/null | grep -q 'libasan\|libubsan\|libclang_rt'; then
	echo "sanitizer build; skipped"
	exit 77
fi

# The child is not under valgrind: only the bridge is checked.
MCPBRIDGE_RESTART_BACKOFF_MAX_MS=200
export MCPBRIDGE_RESTART_BACKOFF_MAX_MS
valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --log-file="$tmp/valgrind.log" \
    "$bin" serve --port 0 --print-url --restart always --drain-timeout 1s \
    -- "$fixture" >"$tmp/url" 2>"$tmp/bridge.log" &
vg_pid=$!
pids="$pids $vg_pid"
i=0
while [ $i -lt 300 ] && [ ! -s "$tmp/url" ]; do
	sleep 0.1
	i=$((i + 1))
done
url=$(head -n 1 "$tmp/url")
if [ -z "$url" ]; then
	echo "the bridge did not start under valgrind:"
	cat "$tmp/bridge.log" "$tmp/valgrind.log"
	exit 1
fi
wait_ready() {
	i=0
	while [ $i -lt 300 ] && ! curl -sf "$url/readyz" >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
}
wait_ready

json='Content-Type: application/json'
accept='Accept: application/json, text/event-stream'
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"vg","version":"1"}}}'

contains() {	# contains TEXT WORD
	case $1 in *"$2"*) return 0 ;; esac
	return 1
}

# post SID BODY: the response body on stdout.
post() {
	curl -s -m 20 -H "$json" -H "$accept" -H "Mcp-Session-Id: $1" \
	    -H "MCP-Protocol-Version: 2025-06-18" -d "$2" "$url/mcp"
}
session() {
	curl -s -m 20 -D "$tmp/h" -o /dev/null -H "$json" -H "$accept" \
	    -d "$init" "$url/mcp"
	tr -d '\r' <"$tmp/h" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}

# Streamable HTTP: a JSON answer, an event stream with progress, a
# client that leaves mid-stream, DELETE.
sid=$(session)
check "initialize" test -n "$sid"
post "$sid" '{"jsonrpc":"2.0","method":"notifications/initialized"}' >/dev/null
out=$(post "$sid" '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"vg-echo"}}}')
check "echo answered" contains "$out" vg-echo
out=$(post "$sid" '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"progress","arguments":{"steps":3,"ms":10},"_meta":{"progressToken":"t"}}}')
check "progress stream" contains "$out" notifications/progress
curl -s -m 0.3 -H "$json" -H "$accept" -H "Mcp-Session-Id: $sid" \
    -d '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"delay","arguments":{"ms":1000}}}' \
    "$url/mcp" >/dev/null 2>&1
curl -s -m 0.5 -N -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $sid" \
    "$url/mcp" >/dev/null 2>&1

# Legacy HTTP+SSE: the endpoint event, a call answered on the stream.
curl -s -N -m 30 "$url/sse" >"$tmp/sse" 2>/dev/null &
sse_pid=$!
pids="$pids $sse_pid"
i=0
while [ $i -lt 100 ] && ! grep -q sessionId "$tmp/sse"; do
	sleep 0.1
	i=$((i + 1))
done
endpoint=$(sed -n 's/^data: //p' "$tmp/sse" | head -n 1 | tr -d '\r')
check "legacy endpoint" test -n "$endpoint"
base=$(echo "$url" | sed 's|^\(http://[^/]*\).*|\1|')
curl -s -m 20 -H "$json" -d "$init" "$base$endpoint" >/dev/null
curl -s -m 20 -H "$json" \
    -d '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"message":"vg-legacy"}}}' \
    "$base$endpoint" >/dev/null
i=0
while [ $i -lt 100 ] && ! grep -q vg-legacy "$tmp/sse"; do
	sleep 0.1
	i=$((i + 1))
done
check "legacy answer on the stream" grep -q vg-legacy "$tmp/sse"

# The child dies under a request; the bridge restarts it.
out=$(post "$sid" '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"exit","arguments":{"code":1}}}')
check "request in flight answered with an error" contains "$out" error
sleep 0.5
wait_ready
sid2=$(session)
check "a new session after the restart" test -n "$sid2"
out=$(post "$sid2" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"vg-again"}}}')
check "echo after the restart" contains "$out" vg-again
curl -s -m 20 -X DELETE -H "Mcp-Session-Id: $sid2" "$url/mcp" >/dev/null
kill "$sse_pid" 2>/dev/null
sleep 0.3

kill -TERM "$vg_pid"
wait "$vg_pid"
status=$?
check "exit status $status (99: valgrind found errors)" test "$status" -eq 0
if [ "$status" -ne 0 ] || [ -s "$tmp/valgrind.log" ]; then
	echo "---- valgrind ----"
	cat "$tmp/valgrind.log"
	[ "$status" -eq 0 ] || { echo "---- bridge ----"; tail -n 50 "$tmp/bridge.log"; }
fi
finish
