#!/bin/sh
# SPDX-License-Identifier: ISC
# The official MCP conformance suite against a named route of `serve
# --config`: the test fixture as the server "fixture" on
# /servers/fixture/mcp, beside the example server as "demo" on its own
# routes.  Both revisions at once (2025-11-25 sessions and 2026-07-28
# requests): every scenario they require must pass, as on /mcp with
# `serve -- CMD`.  The demo answers on its own route meanwhile, and the
# fixture's sessions are unknown there.  Then the official SDK client's
# tour (tools with progress, resources, prompts, a subscription, a
# sampling request) on the fixture's route, over both transports, and
# through `mcpbridge client` on both.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
suite="$deps/node_modules/@modelcontextprotocol/conformance/dist/index.js"

cat >"$tmp/mcp.json" <<JSON
{"mcpServers": {
  "fixture": {"command": "$fixture"},
  "demo": {"command": "$top_builddir/src/mcpbridge-example-server"}
}}
JSON
bridge_start conformance-config --config "$tmp/mcp.json"
route="$url/servers/fixture/mcp"
check "--print-url names the fixture's route" \
    grep -qx "streamable-http $route" "$tmp/conformance-config.url"
mkdir -p "$tmp/modern" "$tmp/legacy"
(cd "$tmp/modern" && timeout 900 "$node" "$suite" server --url "$route" \
    --requirements 2026-07-28) >"$tmp/modern.out" 2>&1 &
modern_pid=$!
# The 2026-07-28 run's first scenario, server-stateless, gives some probes
# half a second; a 2025-11-25 session's turn at a tool that asks holds
# 2026-07-28 requests for as long as its client takes to answer (the
# manual's "price is waiting"), and on a loaded machine that is longer.
# So the 2025-11-25 run starts once that scenario is done; the rest of the
# two runs overlap.
suite_past "$tmp/modern.out" server-stateless $modern_pid
(cd "$tmp/legacy" && timeout 900 "$node" "$suite" server --url "$route" \
    --requirements 2025-11-25) >"$tmp/legacy.out" 2>&1 &
legacy_pid=$!

# The other server, meanwhile, on its own route.
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"conformance-config","version":"1"}}}'
curl -s -m 10 -D "$tmp/demo.headers" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -d "$init" \
    "$url/servers/demo/mcp" >"$tmp/demo.out"
check "the demo answers on its own route" \
    grep -q '"name":"mcpbridge-example-server"' "$tmp/demo.out"
sid=$(sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: *\([^[:space:]]*\).*/\1/p' \
    "$tmp/demo.headers")
status=$(curl -s -m 10 -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' \
    -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' "$route")
check "its session is unknown on the fixture's route (404)" \
    test "$status" = 404

wait $modern_pid
modern_status=$?
wait $legacy_pid
legacy_status=$?
echo "---- 2026-07-28"
sed -n '/=== SUMMARY ===/,$p' "$tmp/modern.out"
echo "---- 2025-11-25 (at the same time)"
sed -n '/=== SUMMARY ===/,$p' "$tmp/legacy.out"
check "the 2026-07-28 run exits 0" test $modern_status -eq 0
check "the 2025-11-25 run exits 0" test $legacy_status -eq 0
check "2025-11-25: no scenario fails" sh -c "! grep -q '^✗' '$tmp/legacy.out'"
check "2025-11-25: it reports 0 failed" \
    grep -q "^Total: [0-9]* passed, 0 failed" "$tmp/legacy.out"
check_modern_required "$tmp/modern.out"
[ $fails -eq 0 ] || tail -n 100 "$tmp/legacy.out" "$tmp/modern.out"

MCPBRIDGE_BIN=$bin
export MCPBRIDGE_BIN
for kind in streamable sse client-streamable client-sse; do
	check "SDK $kind client tour on /servers/fixture/" timeout 60 \
	    "$node" "$scripts/tour.mjs" "$url/servers/fixture" "$kind" "$kind"
done
finish
