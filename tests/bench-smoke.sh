#!/bin/sh
# SPDX-License-Identifier: ISC
# A short run of the benchmark tools (scripts/bench has the real one):
# mcpload over both transports and over a direct pipe reports no error, and
# it does notice wrong answers (a child that swaps messages on purpose).
set -u
. "$top_srcdir/tests/lib.sh"
load="$top_builddir/tests/bench/mcpload"
echo_server="$top_builddir/tests/bench/echo-server"

# quiet_ok FILE COMMAND...: succeeds, and its result line says errors=0.
quiet_ok() {
	out=$1
	shift
	"$@" >"$out" 2>"$out.err" && grep -q ' errors=0 ' "$out"
}

# fails FILE COMMAND...: exits non-zero and counts errors.
fails() {
	out=$1
	shift
	! "$@" >"$out" 2>"$out.err" && grep -q ' errors=[1-9]' "$out"
}

check "direct pipe: 4 sessions x 50 calls, 2 in flight" \
    quiet_ok "$tmp/stdio" "$load" --stdio "$echo_server" -c 4 -n 50 -p 2 \
    --timeout 30

bridge_start echo -- "$echo_server"
check "Streamable HTTP: 5 sessions x 40 calls, 2 in flight" \
    quiet_ok "$tmp/stream" "$load" -c 5 -n 40 -p 2 --timeout 30 \
    --pid "$bridge_pid" "$url"
check "legacy HTTP+SSE: 5 sessions x 40 calls, 2 in flight" \
    quiet_ok "$tmp/sse" "$load" -t sse -c 5 -n 40 -p 2 --timeout 30 \
    --pid "$bridge_pid" "$url"
check "idle: 20 legacy event streams held" \
    quiet_ok "$tmp/idle" "$load" -t sse --idle 20 --timeout 30 \
    --pid "$bridge_pid" "$url"
check "idle: 20 Streamable HTTP sessions with a GET stream" \
    quiet_ok "$tmp/idle2" "$load" --idle 20 --timeout 30 \
    --pid "$bridge_pid" "$url"
check "the bridge reports its memory" grep -q 'rss_end_kb=[1-9]' "$tmp/idle"

bridge_start isolated --isolation session -- "$echo_server"
check "isolation=session: 3 sessions x 30 calls" \
    quiet_ok "$tmp/iso" "$load" -c 3 -n 30 --timeout 30 "$url"

# The child that answers one call at a time, in a pool (scripts/bench's
# --children rows).
bridge_start pool --children 3 -- "$echo_server" --delay 2
check "--children 3, a 2 ms child: 6 sessions x 5 calls" \
    quiet_ok "$tmp/pool" "$load" -c 6 -n 5 --timeout 30 "$url"

# Wrong answers must not pass: every 7th call answers another's message.
check "direct pipe: swapped answers are errors" \
    fails "$tmp/swap-stdio" "$load" --stdio "$echo_server --swap 7" \
    -c 3 -n 20 --timeout 30
bridge_start swap -- "$echo_server" --swap 7
check "through the bridge: swapped answers are errors" \
    fails "$tmp/swap-http" "$load" -c 3 -n 20 --timeout 30 "$url"
check "legacy: swapped answers are errors" \
    fails "$tmp/swap-sse" "$load" -t sse -c 3 -n 20 --timeout 30 "$url"
finish
