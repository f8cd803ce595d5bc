#!/bin/sh
# Interop with the official MCP TypeScript SDK client: a feature tour over
# both transports, 50 clients at once on one child, and the tour again with
# @modelcontextprotocol/server-everything as the child.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps

bridge_start tour -- "$example"
for kind in streamable sse; do
	check "SDK $kind client tour" timeout 60 "$node" "$scripts/tour.mjs" "$url" "$kind" "$kind"
done
check "50 SDK clients at once, each gets only its own answers" \
    timeout 90 "$node" "$scripts/crowd.mjs" "$url" 50 10
check "the bridge is still serving" curl -sf "$url/healthz" -o /dev/null

# server-everything toggles its resource updates per client, so each
# transport gets a bridge (and a child) of its own.
everything="$deps/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
for kind in streamable sse; do
	bridge_start "everything-$kind" -- "$node" "$everything"
	check "SDK $kind client tour with server-everything as the child" \
	    timeout 60 "$node" "$scripts/tour-everything.mjs" "$url" "$kind"
done
finish
