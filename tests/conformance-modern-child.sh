#!/bin/sh
# SPDX-License-Identifier: ISC
# The official MCP conformance suite against a bridge whose child itself
# speaks 2026-07-28: `mcpbridge serve --child-era=auto -- mcpbridge client
# URL`, where the client-mode bridge is a 2026-07-28 stdio server in front
# of a second bridge and the test server (the fixture contract).  The
# probe must find it modern; the 2026-07-28 run then passes through (the
# child's own discover, input_required rounds, requestState, listen), and
# the 2025-11-25 run at the same time is translated onto the same child
# (initialize from discover, questions from its input_required results,
# subscriptions through the bridge's listen, setLevel as logLevel).
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
suite="$deps/node_modules/@modelcontextprotocol/conformance/dist/index.js"

bridge_start inner -- "$fixture"
inner=$url
bridge_start outer --child-era=auto -- "$bin" client "$inner/mcp"
check "the probe finds a 2026-07-28 child" \
    grep -q "speaks 2026-07-28" "$tmp/outer.log"

mkdir -p "$tmp/modern" "$tmp/legacy"
(cd "$tmp/modern" && timeout 900 "$node" "$suite" server --url "$url/mcp" \
    --requirements 2026-07-28) >"$tmp/modern.out" 2>&1 &
modern_pid=$!
(cd "$tmp/legacy" && timeout 900 "$node" "$suite" server --url "$url/mcp" \
    --requirements 2025-11-25) >"$tmp/legacy.out" 2>&1 &
legacy_pid=$!
wait $modern_pid
wait $legacy_pid

echo "---- 2026-07-28 (passed through)"
sed -n '/=== SUMMARY ===/,$p' "$tmp/modern.out"
echo "---- 2025-11-25 (translated, at the same time)"
sed -n '/=== SUMMARY ===/,$p' "$tmp/legacy.out"

# A 2026-07-28 child's log lines reach a request only while it is the only
# one the child is working on (the manual says so: nothing tells whose they
# are otherwise).  With the 2026-07-28 run going on, tools-call-with-logging
# may miss them; it must pass once the child is idle.
check "the 2025-11-25 run finished" grep -q '=== SUMMARY ===' \
    "$tmp/legacy.out"
check "2025-11-25: no scenario fails (logging aside)" sh -c \
    "! grep '^✗' '$tmp/legacy.out' | grep -v '^✗ tools-call-with-logging:' |
    grep -q ."
mkdir -p "$tmp/logging"
check "2025-11-25: tools-call-with-logging passes, the child idle" sh -c \
    "cd '$tmp/logging' && timeout 300 '$node' '$suite' server \
    --url '$url/mcp' --scenario tools-call-with-logging \
    --spec-version 2025-11-25 >'$tmp/logging.out' 2>&1"
check_modern_required "$tmp/modern.out"
check "2026-07-28: http-custom-header-server-validation passes" \
    grep -q '✓ http-custom-header-server-validation' "$tmp/modern.out"
check "the outer bridge never initialized its child" \
    sh -c "! grep -q 'initialized, protocol' '$tmp/outer.log'"
[ $fails -eq 0 ] || tail -n 200 "$tmp/modern.out" "$tmp/legacy.out" \
    "$tmp/logging.out" "$tmp/outer.log"
finish
