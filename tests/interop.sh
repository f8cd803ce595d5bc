#!/bin/sh
# Interop with the official MCP TypeScript SDK client: a feature tour over
# both transports, then 50 clients at once on one child.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
scripts="$top_srcdir/tests/node"

bridge_start tour -- "$example"
for kind in streamable sse; do
	check "SDK $kind client tour" timeout 60 "$node" "$scripts/tour.mjs" "$url" "$kind" "$kind"
done
check "50 SDK clients at once, each gets only its own answers" \
    timeout 90 "$node" "$scripts/crowd.mjs" "$url" 50 10
check "the bridge is still serving" curl -sf "$url/healthz" -o /dev/null
finish
