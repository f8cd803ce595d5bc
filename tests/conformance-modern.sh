#!/bin/sh
# SPDX-License-Identifier: ISC
# The official MCP conformance suite for 2026-07-28 (the stateless revision)
# against `mcpbridge serve -- mcpbridge-test-server`, a legacy stdio
# child the bridge translates for: every scenario required for 2026-07-28
# must pass.  The 2025-11-25 suite runs against the same bridge at the same
# time, so modern and legacy clients share the one child (it names the
# request each question is for, so nothing is ambiguous) and must all pass
# too.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
suite="$deps/node_modules/@modelcontextprotocol/conformance/dist/index.js"

bridge_start conformance-modern -- "$fixture"
mkdir -p "$tmp/modern" "$tmp/legacy"
(cd "$tmp/modern" && timeout 900 "$node" "$suite" server --url "$url/mcp" \
    --requirements 2026-07-28) >"$tmp/modern.out" 2>&1 &
modern_pid=$!
# The 2026-07-28 run's first scenario, server-stateless, gives some probes
# half a second; a 2025-11-25 session's turn at a tool that asks holds
# 2026-07-28 requests for as long as its client takes to answer (the
# manual's "price is waiting"), and on a loaded machine that is longer.
# So the 2025-11-25 run starts once that scenario is done; the rest of the
# two runs overlap.
suite_past "$tmp/modern.out" server-stateless $modern_pid
(cd "$tmp/legacy" && timeout 900 "$node" "$suite" server --url "$url/mcp" \
    --requirements 2025-11-25) >"$tmp/legacy.out" 2>&1 &
legacy_pid=$!
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
check_modern_required "$tmp/modern.out"
# Not required (pending upstream), but the bridge is the server that must
# check Mcp-Param-* for its child: the test server's region tool.
check "2026-07-28: http-custom-header-server-validation passes" \
    grep -q '✓ http-custom-header-server-validation' "$tmp/modern.out"
[ $fails -eq 0 ] || tail -n 200 "$tmp/modern.out" "$tmp/legacy.out"
finish
