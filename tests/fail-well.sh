#!/bin/sh
# Issue 17's mistakes, as a new user makes them: each one gets the exit
# status and the message the user sees.  (cli.sh has the start-up ones.)
set -u
. "$top_srcdir/tests/lib.sh"

init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'

# A session's own child that cannot run: the client reads why, at once,
# in the JSON-RPC error of its initialize.
bridge_start nochild --isolation session -- "$tmp/no-such-server"
curl -s --max-time 10 -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -d "$init" \
    "$url/mcp" >"$tmp/nochild.out" 2>&1
check "a session child that cannot run: the client reads why" grep -q \
    "cannot run '$tmp/no-such-server': No such file or directory" \
    "$tmp/nochild.out"
check "the log says it at error level" grep -q \
    "error: child: cannot run '$tmp/no-such-server'" "$tmp/nochild.log"

[ $fails -eq 0 ]
