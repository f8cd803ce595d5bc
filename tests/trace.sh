#!/bin/sh
# SPDX-License-Identifier: ISC
# The message trace (--trace, --trace=body, and debug level): a line per
# JSON-RPC message at each crossing, in serve and client mode, with the
# latency of answers; and secrets (the Authorization header and its
# bearer token, an --env value, a --header value) never in it.
set -u
. "$top_srcdir/tests/lib.sh"

token=trace-token-5f3a9c1e
envval=trace-env-value-77d0
hdrval=trace-header-value-41b2
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
initialized='{"jsonrpc":"2.0","method":"notifications/initialized"}'
report='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"report_env","arguments":{"name":"MCPBRIDGE_TRACE_SECRET"}}}'
echo3='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}'

# post FILE BODY [HEADER...]: POSTs BODY to $url/mcp, the answer in FILE,
# the response headers in FILE.h.
post() {
	out=$1
	body=$2
	shift 2
	curl -s --max-time 10 -D "$out.h" -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' \
	    -H "Authorization: Bearer $token" "$@" -d "$body" \
	    "$url/mcp" >"$out" 2>&1
}

# has FILE PATTERN: a trace line (after "trace: ") matching PATTERN.
has() {
	grep -q "trace: $2" "$1"
}
lacks() {
	! grep -q -- "$2" "$1"
}

# ---- serve --trace=body ----
MCPBRIDGE_TRACE_TOKENS=$token
export MCPBRIDGE_TRACE_TOKENS
bridge_start serve --trace=body --auth-token-env MCPBRIDGE_TRACE_TOKENS \
    --env MCPBRIDGE_TRACE_SECRET=$envval -- "$example"
post "$tmp/init.out" "$init"
sid=$(tr -d '\r' <"$tmp/init.out.h" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
short=$(printf '%.8s' "$sid")
v='-H MCP-Protocol-Version:2025-06-18'
post "$tmp/n.out" "$initialized" -H "Mcp-Session-Id: $sid" $v
post "$tmp/report.out" "$report" -H "Mcp-Session-Id: $sid" $v
post "$tmp/echo.out" "$echo3" -H "Mcp-Session-Id: $sid" $v
# A client that writes the bridge's own token into a message (by mistake,
# or to probe): the trace must not print it either.
echo4='{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":"my token is '$token'"}}}'
post "$tmp/echo4.out" "$echo4" -H "Mcp-Session-Id: $sid" $v
log=$tmp/serve.log
check "the bridge's own token written in a body is redacted" has "$log" \
    "$short client>bridge request tools/call id=4 .*my token is \\[redacted\\]"
check "the child's answer came through" grep -q "$envval" "$tmp/report.out"
check "client>bridge: the session, the method, the id, the size" has "$log" \
    "$short client>bridge request initialize id=1 [0-9]*B {"
check "bridge>client: the answer, with its latency" has "$log" \
    "$short bridge>client response initialize id=1 [0-9]*B [0-9]*ms {"
check "a notification" has "$log" \
    "$short client>bridge notification notifications/initialized 54B"
check "bridge>child: the shared child has no session" has "$log" \
    "- bridge>child request tools/call id=[0-9]* [0-9]*B {"
check "child>bridge: the child's answer and its latency" has "$log" \
    "- child>bridge response tools/call id=[0-9]* [0-9]*B [0-9]*ms {"
check "the client's answer names its request" has "$log" \
    "$short bridge>client response tools/call id=3 [0-9]*B [0-9]*ms {"
check "an --env value the child answers with is redacted" has "$log" \
    "- child>bridge response tools/call id=[0-9]* [0-9]*B [0-9]*ms .*\"text\":\"\\[redacted\\]\""
check "the --env value is nowhere in the log" lacks "$log" "$envval"
check "the bearer token is nowhere in the log" lacks "$log" "$token"
check "no header is traced" sh -c "! grep 'trace: ' '$log' | grep -qi 'authorization\|bearer\|mcp-session-id'"

# ---- serve --trace --children 2: a line names the copy ----
bridge_start pooled --trace --children 2 -- "$example"
post "$tmp/pinit.out" "$init"
sid=$(tr -d '\r' <"$tmp/pinit.out.h" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
post "$tmp/pn.out" "$initialized" -H "Mcp-Session-Id: $sid" $v
post "$tmp/pecho.out" "$echo3" -H "Mcp-Session-Id: $sid" $v
log=$tmp/pooled.log
check "pooled: the answer came through" grep -q hello "$tmp/pecho.out"
check "bridge>childN: the copy a request went to" has "$log" \
    "- bridge>child[12] request tools/call id=[0-9]* [0-9]*B$"
check "childN>bridge: the copy that answered, with the latency" has "$log" \
    "- child[12]>bridge response tools/call id=[0-9]* [0-9]*B [0-9]*ms$"
check "pooled: no line leaves the copy out" sh -c \
    "! grep -q 'trace: - bridge>child \|trace: - child>bridge ' '$log'"

# ---- client --trace=body, against a bridge that traces nothing ----
bridge_start quiet -- "$example"
MCPBRIDGE_TRACE_BEARER=$token
export MCPBRIDGE_TRACE_BEARER
echo1='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'$token'"}}}'
echo2='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'$hdrval'"}}}'
printf '%s\n' "$init" "$initialized" "$echo1" "$echo2" |
    timeout 30 "$bin" client --trace=body \
    --bearer-token-env MCPBRIDGE_TRACE_BEARER --header "X-Api-Key: $hdrval" \
    "$url/mcp" >"$tmp/client.out" 2>"$tmp/client.log"
check "the client exits 0" test $? -eq 0
log=$tmp/client.log
check "the answers are the server's, unredacted" grep -q "$token" \
    "$tmp/client.out"
check "stdin>bridge" has "$log" "- stdin>bridge request initialize id=1 [0-9]*B {"
check "bridge>server" has "$log" "- bridge>server request tools/call id=[^ ]* [0-9]*B {"
check "server>bridge, with the latency" has "$log" \
    "- server>bridge response tools/call id=[^ ]* [0-9]*B [0-9]*ms {"
check "bridge>stdout, with the latency from stdin" has "$log" \
    "- bridge>stdout response tools/call id=3 [0-9]*B [0-9]*ms {"
check "the bearer token is redacted where a message holds it" has "$log" \
    "- bridge>stdout response tools/call id=2 .*\\[redacted\\]"
check "the bearer token is nowhere in the log" lacks "$log" "$token"
check "a --header value is nowhere in the log" lacks "$log" "$hdrval"
check "a bridge without --trace traces nothing" lacks "$tmp/quiet.log" \
    "trace: "

# ---- debug level: the lines, without bodies ----
printf '%s\n' "$init" | timeout 30 "$bin" --log-level debug client \
    "$url/mcp" >/dev/null 2>"$tmp/debug.log"
check "--log-level debug traces each message" grep -q \
    "trace: - stdin>bridge request initialize id=1 [0-9]*B$" "$tmp/debug.log"
check "a JSON log has the level trace" sh -c "printf '%s\n' '$init' |
    timeout 30 '$bin' --log-format json client --trace '$url/mcp' 2>&1 \
    >/dev/null | grep -q '\"level\":\"trace\",\"msg\":\"- stdin>bridge request initialize id=1 '"

# ---- --trace whatever the level, and into --log-file ----
printf '%s\n' "$init" | timeout 30 "$bin" -q -q client --trace \
    --log-file "$tmp/file.log" "$url/mcp" >/dev/null 2>"$tmp/file.err"
check "--trace shows its lines at --log-level error" grep -q \
    "trace: - stdin>bridge request initialize id=1 [0-9]*B$" "$tmp/file.log"
check "in the --log-file, not on stderr" lacks "$tmp/file.err" "trace: "

# ---- usage ----
"$bin" serve --trace=bodies -- cat >/dev/null 2>"$tmp/usage.err"
check "--trace=bodies is a usage error" test $? -eq 64
check "that says what --trace takes" grep -q \
    "trace takes =body or nothing, not '=bodies'" "$tmp/usage.err"
"$bin" client --trace=x http://127.0.0.1:1/mcp </dev/null >/dev/null 2>&1
check "in client mode too" test $? -eq 64

[ $fails -eq 0 ]
