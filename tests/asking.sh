#!/bin/sh
# SPDX-License-Identifier: ISC
# The questions a shared child asks are not refused (issue 20): 10
# official-SDK clients call server-everything's sampling tool at once
# through one child, and each call comes back with its own client's
# answer, none refused, none misrouted: with the tool learned at run time
# (the default policy), and named with --asking-tools under the old one.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
everything="$deps/node_modules/@modelcontextprotocol/server-everything/dist/index.js"

metric() {	# metric NAME: its value on the bridge's /metrics
	curl -sf "$url/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

for how in learned named; do
	if [ $how = learned ]; then
		bridge_start "ask-$how" -- "$node" "$everything"
	else
		bridge_start "ask-$how" --server-requests unambiguous \
		    --asking-tools echo,trigger-sampling-request -- \
		    "$node" "$everything"
	fi
	check "10 SDK clients sample at once, each gets its own answer ($how)" \
	    timeout 90 "$node" "$scripts/ask-crowd.mjs" "$url" 10
	check "no question of the child refused ($how)" sh -c "! grep \
	    'sampling/createMessage from the server refused' \
	    '$tmp/ask-$how.log'"
	check "the calls took turns ($how)" \
	    test "$(metric mcpbridge_call_waits_total)" -ge 1
	check "none waits once all are answered ($how)" \
	    test "$(metric mcpbridge_calls_waiting)" = 0
done
check "the tool was learned to ask" \
    grep -q 'tool trigger-sampling-request asks its client' \
    "$tmp/ask-learned.log"
finish
