#!/bin/sh
# SPDX-License-Identifier: ISC
# A stdio child that itself speaks 2026-07-28 (tests/node/modern-server.mjs,
# on the official v2 server SDK) behind `mcpbridge serve --child-era=auto`:
# the probe finds it modern, a 2026-07-28 SDK client passes through and a
# 2025-11-25 SDK client is translated, both at once on the one child, and
# the conformance suite's server-stateless scenario passes through.  Then
# the same option in front of the legacy test server: the probe falls
# back to initialize at once and legacy and modern clients work as before.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
for p in client server; do
	if [ ! -d "$deps/node_modules/@modelcontextprotocol/$p" ]; then
		echo "@modelcontextprotocol/$p not installed in $deps; skipped"
		exit 77
	fi
done

# The option itself.
check "--child-era takes legacy, auto or modern only" sh -c \
    "'$bin' serve --child-era=new -- x 2>&1 | grep -q 'legacy, auto or modern'"
check "--child-era=auto needs a shared child" sh -c \
    "'$bin' serve --child-era=auto --isolation=session -- x 2>&1 |
    grep -q 'needs --isolation=shared'"
check "--probe-timeout takes a duration" sh -c \
    "'$bin' serve --probe-timeout=soon -- x 2>&1 | grep -q 'probe-timeout'"

# Node may take more than the default 2 s to start and answer the probe on
# a loaded machine: it would be taken for a legacy server.
bridge_start modern-child --child-era=auto --probe-timeout 20s -- "$node" \
    "$scripts/modern-server.mjs"
check "the probe finds a 2026-07-28 child" \
    grep -q "modern-test-server 1.0.0 speaks 2026-07-28" "$tmp/modern-child.log"
check "the child was never initialized" \
    sh -c "! grep -q 'initialized, protocol' '$tmp/modern-child.log'"
check "a 2026-07-28 and a 2025-11-25 SDK client share the modern child" \
    timeout 90 "$node" "$scripts/modern-child.mjs" "$url"
check "the same with the legacy client on HTTP+SSE (2024-11-05)" \
    timeout 90 "$node" "$scripts/modern-child.mjs" "$url" sse
suite="$deps/node_modules/@modelcontextprotocol/conformance/dist/index.js"
mkdir -p "$tmp/stateless"
check "conformance server-stateless through to the SDK's own 2026-07-28" \
    sh -c "cd '$tmp/stateless' && timeout 300 '$node' '$suite' server \
    --url '$url/mcp' --scenario server-stateless --spec-version 2026-07-28 \
    >'$tmp/stateless.out' 2>&1"
check "server-stateless: every check passes, no warnings" \
    grep -q "Passed: 30/30, 0 failed, 0 warnings" "$tmp/stateless.out"
check "the bridge is still serving" curl -sf "$url/healthz" -o /dev/null
[ $fails -eq 0 ] || cat "$tmp/modern-child.log" "$tmp/stateless.out"

# A restarted child is probed again.
child=$(sed -n 's/.*child started (pid \([0-9]*\)).*/\1/p' \
    "$tmp/modern-child.log" | head -n 1)
kill -KILL "$child" 2>/dev/null
i=0
while [ $i -lt 100 ] && [ "$(grep -c 'speaks 2026-07-28' \
    "$tmp/modern-child.log")" -lt 2 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the restarted child is probed again" \
    test "$(grep -c 'speaks 2026-07-28' "$tmp/modern-child.log")" -eq 2

# A probe timeout far above what the start takes: a bridge that waited for
# it would be ready after 10 s at the soonest, one that did not well within
# 5 s even on a loaded machine (the time covers the bridge's and the
# child's start and bridge_start's polling, not the probe alone).
start=$(date +%s%N)
bridge_start legacy-auto --child-era=auto --probe-timeout 10s -- "$fixture"
ready=$(( ($(date +%s%N) - start) / 1000000 ))
check "a legacy child answers the probe with an error: initialize follows" \
    grep -q "server/discover refused.*a legacy server, initializing it" \
    "$tmp/legacy-auto.log"
check "ready well before the probe timeout, took ${ready}ms" \
    test "$ready" -lt 5000
check "a 2025-11-25 SDK client's tour works as before" \
    timeout 60 "$node" "$scripts/tour.mjs" "$url" streamable legacy-auto
check "2026-07-28 and 2025-11-25 clients on the legacy child as before" \
    timeout 90 "$node" "$scripts/modern.mjs" "$url"
[ $fails -eq 0 ] || cat "$tmp/legacy-auto.log"
finish
