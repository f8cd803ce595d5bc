#!/bin/sh
# SPDX-License-Identifier: ISC
# Interop with both TypeScript SDK lines at once: a 2026-07-28 client
# (@modelcontextprotocol/client 2.x) and a 2025-11-25 one
# (@modelcontextprotocol/sdk 1.x) on one bridge, one legacy child, each
# answering the sampling its own tool call needs.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
if [ ! -d "$deps/node_modules/@modelcontextprotocol/client" ]; then
	echo "@modelcontextprotocol/client not installed in $deps; skipped"
	exit 77
fi

bridge_start interop-modern -- "$fixture"
check "a 2026-07-28 and a 2025-11-25 SDK client share one child" \
    timeout 90 "$node" "$scripts/modern.mjs" "$url"
check "the bridge is still serving" curl -sf "$url/healthz" -o /dev/null
[ $fails -eq 0 ] || cat "$tmp/interop-modern.log"
finish
