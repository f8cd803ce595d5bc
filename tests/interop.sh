#!/bin/sh
# SPDX-License-Identifier: ISC
# Interop with the official MCP TypeScript SDK client: a feature tour over
# both transports, 50 clients at once on one child, polling that stops when
# the call ends, and the tour again with
# @modelcontextprotocol/server-everything as the child.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps

bridge_start tour -- "$fixture"
for kind in streamable sse; do
	check "SDK $kind client tour" timeout 60 "$node" "$scripts/tour.mjs" "$url" "$kind" "$kind"
done
check "50 SDK clients at once, each gets only its own answers" \
    timeout 90 "$node" "$scripts/crowd.mjs" "$url" 50 10
check "the bridge is still serving" curl -sf "$url/healthz" -o /dev/null

# SEP-1699 polling ends with the call: once a polled call is cancelled or
# answered with an error (here the bridge's --request-timeout), the client
# may resume its stream a few times, not every retry for ever.
bridge_start poll --request-timeout 700ms -- "$fixture"
for mode in cancel error; do
	check "SDK client stops polling a call that ended ($mode)" \
	    timeout 30 "$node" "$scripts/poll.mjs" "$url" "$mode"
done

# server-everything toggles its resource updates per client, so each
# transport gets a bridge (and a child) of its own.
everything="$deps/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
for kind in streamable sse; do
	bridge_start "everything-$kind" -- "$node" "$everything"
	check "SDK $kind client tour with server-everything as the child" \
	    timeout 60 "$node" "$scripts/tour-everything.mjs" "$url" "$kind"
done
finish
