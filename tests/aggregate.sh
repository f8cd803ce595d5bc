#!/bin/sh
# SPDX-License-Identifier: ISC
# The aggregated endpoint: `serve --config` with three servers (the
# example server as "demo", the C test server as "fixture" with
# test_*_content denied, server-everything as "everything") serves all
# three at once on /mcp and /sse.  The official SDK client
# (tests/node/aggregate.mjs) lists the prefixed tools, calls one of each
# server, sees progress, is refused the filtered tool, and two clients at
# once are each sampled by their own call; resources and a subscription;
# a 2026-07-28 client too.  Each server's own route works beside it.  The merged tools/list is kept in
# $MCPBRIDGE_AGG_TOOLS when that is set.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
everything="$deps/node_modules/@modelcontextprotocol/server-everything/dist/index.js"

cat >"$tmp/mcp.json" <<JSON
{"mcpServers": {
  "demo": {"command": "$top_builddir/src/mcpbridge-example-server"},
  "fixture": {"command": "$fixture",
    "mcpbridge": {"deny-tool": ["test_*_content"]}},
  "everything": {"command": "$node", "args": ["$everything", "stdio"],
    "mcpbridge": {"asking-tools": ["trigger-sampling-request"]}}
}}
JSON
bridge_start aggregate --config "$tmp/mcp.json"
check "--print-url names the aggregated /mcp" \
    grep -qx "streamable-http $url/mcp" "$tmp/aggregate.url"
check "--print-url names the aggregated /sse" \
    grep -qx "sse $url/sse" "$tmp/aggregate.url"
check "SDK clients on the aggregated endpoint" timeout 90 \
    "$node" "$scripts/aggregate.mjs" "$url" "$tmp/tools.json"
if [ -n "${MCPBRIDGE_AGG_TOOLS:-}" ] && [ -s "$tmp/tools.json" ]; then
	cp "$tmp/tools.json" "$MCPBRIDGE_AGG_TOOLS"
fi

# A 2026-07-28 request the SDK does not make: a merged list at once.
modern='{"jsonrpc":"2.0","id":1,"method":"prompts/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"m","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}'
curl -s -m 10 -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: prompts/list' \
    -d "$modern" "$url/mcp" >"$tmp/modern.out"
check "a 2026-07-28 prompts/list is merged" \
    grep -q '"name":"demo__greet"' "$tmp/modern.out"

# Each server's own route beside it.
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"aggregate","version":"1"}}}'
curl -s -m 10 -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -d "$init" \
    "$url/servers/demo/mcp" >"$tmp/demo.out"
check "the demo answers on its own route" \
    grep -q '"name":"mcpbridge-example-server"' "$tmp/demo.out"
check "the startup line counts the three servers" \
    grep -q 'listening on .* (3 servers under /servers/)' "$tmp/aggregate.log"
check "no error in the bridge's log" \
    sh -c "! grep -E ' (error|fatal):' '$tmp/aggregate.log'"
[ $fails -eq 0 ] || tail -n 40 "$tmp/aggregate.log"
finish
