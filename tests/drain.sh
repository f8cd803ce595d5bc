#!/bin/sh
# SPDX-License-Identifier: ISC
# SIGTERM with a request still in flight when --drain-timeout ends: the
# request is answered with a JSON-RPC error before its stream closes, and
# mcpbridge client says so at once (issue 17, attack17 F2).
set -u
. "$top_srcdir/tests/lib.sh"

init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
inited='{"jsonrpc":"2.0","method":"notifications/initialized"}'

# wait_log FILE TEXT: until the file FILE holds TEXT (10 s at most).
wait_log() {
	i=0
	while [ $i -lt 100 ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$2" "$1"
}

# Raw Streamable HTTP: the answer stream carries the error for id 2.
bridge_start raw --drain-timeout 1s -- "$fixture"
hdr="$tmp/raw.hdr"
curl -s --max-time 10 -D "$hdr" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -d "$init" \
    "$url/mcp" >/dev/null
sid=$(tr -d '\r' <"$hdr" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
curl -s --max-time 10 -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-06-18' \
    -d "$inited" "$url/mcp" >/dev/null
# One that takes 15 s and sends progress every 0.5 s: its answer stream is
# an event stream (200 sent) before the drain starts.
prog='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"progress","arguments":{"steps":30,"ms":500},"_meta":{"progressToken":"p"}}}'
curl -s -N --max-time 20 -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-06-18' \
    -d "$prog" "$url/mcp" >"$tmp/raw.out" 2>&1 &
curlpid=$!
check "the slow call's stream has begun" wait_log "$tmp/raw.out" \
    'notifications/progress'
kill -TERM "$bridge_pid"
start=$(date +%s)
wait "$curlpid"
took=$(($(date +%s) - start))
check "the stream ends soon after --drain-timeout ($took s)" \
    test "$took" -le 5
check "it carries a JSON-RPC error for the request in flight" grep -q \
    '"id":2,"error":{"code":-32000,"message":"Server shutting down' \
    "$tmp/raw.out"
check "the log says it is answered" grep -q \
    "draining: 1 request still in flight after --drain-timeout" \
    "$tmp/raw.log"

# mcpbridge client, in each era, its answer stream open (200 sent): the
# error is printed at once, not after --request-timeout.  (A POST still
# held gets 503, which the client retries as documented.)
for era in auto legacy; do
bridge_start cli-$era --drain-timeout 1s -- "$fixture"
printf '%s\n%s\n' "$init" "$prog" | "$bin" client --era $era \
    --request-timeout 30s "$url/mcp" >"$tmp/cli-$era.out" \
    2>"$tmp/cli-$era.err" &
clientpid=$!
# (Its access log line comes only when it is answered: the progress it
# prints shows that its stream is open.)
check "$era: the slow call's stream has begun" wait_log "$tmp/cli-$era.out" \
    'notifications/progress'
kill -TERM "$bridge_pid"
start=$(date +%s)
wait "$clientpid"
rc=$?
took=$(($(date +%s) - start))
check "$era: the client is done soon after --drain-timeout ($took s)" \
    test "$took" -le 5
check "$era: it prints the error for the request" grep -q \
    '"id":2,"error":{"code":-32000,"message":"Server shutting down' \
    "$tmp/cli-$era.out"
done

# The bridge gone at once (a second signal) while an answer stream with
# event ids is open: resuming it is refused, and the client gives the
# request up soon, exit 69, instead of waiting for --request-timeout.
bridge_start gone -- "$fixture"
printf '%s\n%s\n' "$init" "$prog" | "$bin" client --era legacy \
    --request-timeout 60s "$url/mcp" >"$tmp/gone.out" 2>"$tmp/gone.err" &
clientpid=$!
check "the progress stream has begun" wait_log "$tmp/gone.out" \
    'notifications/progress'
kill -TERM "$bridge_pid"
# Two signals sent before the first is taken would be one.
check "the first signal is taken" wait_log "$tmp/gone.log" \
    'SIGTERM: shutting down'
kill -TERM "$bridge_pid"
start=$(date +%s)
wait "$clientpid"
rc=$?
took=$(($(date +%s) - start))
check "the client gives up soon ($took s)" test "$took" -le 10
check "it says the server is gone" grep -q \
    '"id":2,"error":{"code":-32000,"message":"the answer stream broke before the answer and the server is gone' \
    "$tmp/gone.out"
check "and exits 69 (rc $rc)" test "$rc" -eq 69

finish
