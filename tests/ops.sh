#!/bin/sh
# Issue 17, operating the bridge: log levels and sources, --log-file and
# SIGHUP, /metrics, the metrics listener's probes, --print-url in a script.
set -u
. "$top_srcdir/tests/lib.sh"

init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
# A child that says something on its stderr before it serves.
chatty="echo child-says-hello >&2; exec '$example'"

# --log-level warn keeps the access log with --access-log on, and the
# child's stderr with --child-stderr on; the bridge's own info lines go.
bridge_start quiet --log-level WARNING --access-log on --child-stderr on \
    -- sh -c "$chatty"
curl -s "$url/healthz" >/dev/null
sleep 0.3
check "--access-log on shows requests at --log-level warning" grep -q \
    "info: 127.0.0.1 GET /healthz 200" "$tmp/quiet.log"
check "--child-stderr on shows the child's stderr at warn" grep -q \
    "\[child\] child-says-hello" "$tmp/quiet.log"
check "and the bridge's own info lines are gone" sh -c \
    "! grep -q 'listening on' '$tmp/quiet.log'"

# --access-log off hides the access log only.
bridge_start noaccess --access-log off -- sh -c "$chatty"
curl -s "$url/healthz" >/dev/null
sleep 0.3
check "--access-log off hides requests" sh -c \
    "! grep -q 'GET /healthz' '$tmp/noaccess.log'"
check "but not the child's stderr" grep -q "\[child\] child-says-hello" \
    "$tmp/noaccess.log"
check "nor the bridge's info lines" grep -q "listening on" \
    "$tmp/noaccess.log"

# -q is warn: no access log, no child stderr (they follow the level).
bridge_start q -q -- sh -c "$chatty"
curl -s "$url/healthz" >/dev/null
sleep 0.3
check "-q hides the info lines" sh -c "! grep -q 'info:' '$tmp/q.log'"
# -v is debug (client mode: it says when its input ends).
timeout 10 "$bin" client -v "$url/mcp" </dev/null >/dev/null 2>"$tmp/v.err"
check "-v shows debug lines" grep -q "debug: end of input" "$tmp/v.err"

finish
