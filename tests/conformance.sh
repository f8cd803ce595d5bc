#!/bin/sh
# SPDX-License-Identifier: ISC
# The official MCP conformance suite (@modelcontextprotocol/conformance, on
# the Node 22 it needs, both from npm) against
# `mcpbridge serve -- mcpbridge-test-server`: every scenario required for
# 2025-11-25, plus the unscored server-session-lifecycle, server-sse-polling
# and json-schema-2020-12, must pass.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
suite="$deps/node_modules/@modelcontextprotocol/conformance/dist/index.js"

bridge_start conformance -- "$fixture"
(cd "$tmp" && timeout 600 "$node" "$suite" server --url "$url/mcp" \
    --requirements 2025-11-25) >"$tmp/conformance.out" 2>&1
status=$?
sed -n '/=== SUMMARY ===/,$p' "$tmp/conformance.out"
check "the conformance run exits 0" test $status -eq 0
check "no scenario fails" sh -c "! grep -q '^✗' '$tmp/conformance.out'"
check "it reports 0 failed" grep -q "^Total: [0-9]* passed, 0 failed" "$tmp/conformance.out"
for s in server-session-lifecycle server-sse-polling json-schema-2020-12 \
    tools-call-sampling tools-call-elicitation dns-rebinding-protection; do
	check "$s passes" grep -q "^✓ $s:" "$tmp/conformance.out"
done
[ $fails -eq 0 ] || cat "$tmp/conformance.out" | tail -n 200
finish
