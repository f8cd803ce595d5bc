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

# --log-file: the log goes there, not to stderr; SIGHUP reopens it (the
# logrotate way: move it, signal, a new file starts).
mkdir "$tmp/logs"
bridge_start logfile --log-file "$tmp/logs/bridge.log" -- "$example"
curl -s "$url/healthz" >/dev/null
sleep 0.3
check "--log-file gets the log" grep -q "listening on" "$tmp/logs/bridge.log"
check "--log-file gets the access log" grep -q "GET /healthz 200" \
    "$tmp/logs/bridge.log"
check "and stderr stays empty" test ! -s "$tmp/logfile.log"
mv "$tmp/logs/bridge.log" "$tmp/logs/bridge.log.1"
kill -HUP $bridge_pid
sleep 0.3
curl -s "$url/after-hup" >/dev/null
sleep 0.3
check "SIGHUP reopens it: a new file" grep -q "GET /after-hup 404" \
    "$tmp/logs/bridge.log"
check "the old one ends before the new one starts" sh -c \
    "! grep -q 'GET /after-hup' '$tmp/logs/bridge.log.1'"
# A reopen that fails keeps the old file and says why there.
mv "$tmp/logs" "$tmp/logs.old"
kill -HUP $bridge_pid
sleep 0.3
check "a failed reopen says why, at error level, in the old file" grep -q \
    "error: SIGHUP: cannot reopen --log-file $tmp/logs/bridge.log: No such file or directory; still writing to the old one" \
    "$tmp/logs.old/bridge.log"
curl -s "$url/healthz" >/dev/null
sleep 0.3
check "and keeps writing there" sh -c \
    "grep -c 'GET /healthz 200' '$tmp/logs.old/bridge.log' | grep -q 1"
check "the bridge still runs" kill -0 $bridge_pid

# A file that cannot be opened at start is a usage error, said on stderr.
timeout 10 "$bin" serve --port 0 --log-file "$tmp/nodir/x.log" -- cat \
    >/dev/null 2>"$tmp/logfile.err"
check "--log-file that cannot be opened exits 64" test $? -eq 64
check "and says why at error level on stderr" grep -q \
    "error: cannot open --log-file $tmp/nodir/x.log: No such file or directory" \
    "$tmp/logfile.err"
timeout 10 "$bin" --log-format json --log-file "$tmp/json.log" client \
    -v "$url/mcp" </dev/null >/dev/null 2>"$tmp/json.err"
check "--log-file with --log-format json, in client mode too" grep -q \
    '"level":"debug","msg":"end of input' "$tmp/json.log"

finish
