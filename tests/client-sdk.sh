#!/bin/sh
# SPDX-License-Identifier: ISC
# Client mode as a local MCP client meets it: the official SDK's
# StdioClientTransport spawns `mcpbridge client URL` and takes a feature tour
# (tools with progress, resources, prompts, a subscription and its update,
# sampling answered by the local client) against three kinds of server:
# `mcpbridge serve` (both transports and auto-detection), supergateway
# serving server-everything (SSE and Streamable HTTP), and server-everything's
# own HTTP modes.
set -u
. "$top_srcdir/tests/lib.sh"
node_deps
MCPBRIDGE_BIN="$bin"
export MCPBRIDGE_BIN
everything="$deps/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
supergateway="$deps/node_modules/supergateway/dist/index.js"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# listen_wait PORT: until something accepts on 127.0.0.1:PORT (10 s at most).
listen_wait() {
	i=0
	while [ $i -lt 100 ] && ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}

bridge_start serve -- "$fixture"
for kind in client-streamable client-sse client-auto; do
	check "SDK stdio client through '$kind' to mcpbridge serve" \
	    timeout 60 "$node" "$scripts/tour.mjs" "$url" "$kind" "$kind"
done

if [ -f "$supergateway" ]; then
	for mode in sse streamableHttp; do
		port=$(free_port)
		extra=""
		kind=client-sse
		if [ $mode = streamableHttp ]; then
			extra=--stateful
			kind=client-streamable
		fi
		"$node" "$supergateway" --stdio "$node $everything" --port "$port" \
		    --outputTransport $mode $extra >"$tmp/supergateway-$mode.log" 2>&1 &
		pids="$pids $!"
		listen_wait "$port"
		check "SDK stdio client through '$kind' to supergateway ($mode)" \
		    timeout 60 "$node" "$scripts/tour-everything.mjs" \
		    "http://127.0.0.1:$port" "$kind"
	done
else
	echo "supergateway is not installed: its checks are left out"
	[ -z "${MCPBRIDGE_REQUIRE_NODE:-}" ] || fails=$((fails + 1))
fi

for mode in streamableHttp sse; do
	port=$(free_port)
	kind=client-streamable
	[ $mode = sse ] && kind=client-sse
	PORT=$port "$node" "$everything" "$mode" >"$tmp/everything-$mode.log" 2>&1 &
	pids="$pids $!"
	listen_wait "$port"
	check "SDK stdio client through '$kind' to server-everything ($mode)" \
	    timeout 60 "$node" "$scripts/tour-everything.mjs" \
	    "http://127.0.0.1:$port" "$kind"
done
finish
