#!/bin/sh
# SPDX-License-Identifier: ISC
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

# wait_log FILE TEXT: until the log FILE holds TEXT (10 s at most).
wait_log() {
	i=0
	while [ $i -lt 100 ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$2" "$1"
}

# A child that never answers initialize (it reads and says nothing): the
# log names it at warn level once --init-timeout has passed.
printf '#!/bin/sh\nwhile read -r line; do :; done\n' >"$tmp/silent-server"
chmod +x "$tmp/silent-server"
"$bin" serve --port 0 --init-timeout 1 -- "$tmp/silent-server" \
    2>"$tmp/silent.log" &
pids="$pids $!"
check "a child that never answers initialize is named, at warn level" \
    wait_log "$tmp/silent.log" "warn: child '$tmp/silent-server' did not answer initialize within 1s (--init-timeout): is it an MCP server on stdio?"
# Started is not ready: nothing before the handshake says "up".
check "the silent child is logged as started, initializing" grep -q \
    "info: child started (pid [0-9]*); initializing it" "$tmp/silent.log"
check "never as up" sh -c "! grep -q 'is up' '$tmp/silent.log'"
# A session's own child: the client's initialize is the one not answered.
bridge_start silent2 --isolation session --init-timeout 1 -- \
    "$tmp/silent-server"
curl -s --max-time 4 -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -d "$init" \
    "$url/mcp" >/dev/null 2>&1 &
pids="$pids $!"
check "so is a session's own child that never answers" \
    wait_log "$tmp/silent2.log" "warn: child '$tmp/silent-server' did not answer initialize within 1s (--init-timeout)"

# The shared child has run, and then its command is gone (an upgrade half
# done, a removed virtualenv): a client learns why from the restart that
# cannot run it, at once, not after --init-timeout.
cat >"$tmp/tiny-server" <<'EOF'
#!/bin/sh
# Answers initialize, and nothing else.
while IFS= read -r line; do
	case $line in
	*'"method":"initialize"'*)
		id=$(printf '%s\n' "$line" | sed 's/.*"id":\([0-9]*\).*/\1/')
		printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"tiny","version":"1"}}}\n' "$id"
		;;
	esac
done
EOF
chmod +x "$tmp/tiny-server"
bridge_start gone -- "$tmp/tiny-server"
check "a tiny child is up and initialized" curl -sf "$url/readyz" -o /dev/null
child=$(sed -n 's/.*child started (pid \([0-9]*\)).*/\1/p' "$tmp/gone.log" |
    head -n 1)
rm "$tmp/tiny-server"
kill -KILL "$child"
# Until the bridge has seen it go, a new session's initialize is answered
# from the one the child gave: wait for that, then ask.
check "the bridge sees the child killed" \
    wait_log "$tmp/gone.log" "child killed by signal 9"
start=$(date +%s)
curl -s --max-time 10 -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -d "$init" \
    "$url/mcp" >"$tmp/gone.out" 2>&1
took=$(($(date +%s) - start))
check "a restart that cannot run the command: the client reads why" grep -q \
    "\"error\":{\"code\":-32000,\"message\":\"Server not available: cannot run '$tmp/tiny-server': No such file or directory\"" \
    "$tmp/gone.out"
check "promptly (${took}s), not after --init-timeout" test "$took" -le 3
check "the log says it at error level" grep -q \
    "error: child: cannot run '$tmp/tiny-server': No such file or directory" \
    "$tmp/gone.log"

# --print-url says where to connect only once there is something to
# connect to: a command that cannot run prints no URL (a script reading it
# would talk to a bridge already gone).
timeout 10 "$bin" serve --port 0 --print-url -- "$tmp/no-such-server" \
    >"$tmp/nourl.out" 2>"$tmp/nourl.err"
check "--print-url with a command that cannot run exits 69" test $? -eq 69
check "and prints no URL" test ! -s "$tmp/nourl.out"

# Fatal start-up errors are errors: printed even at --log-level error,
# each with its exit status and what to do.
python3 -c 'import socket, time, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$tmp/busy.port" &
holder=$!
pids="$pids $holder"
i=0
while [ $i -lt 100 ] && [ ! -s "$tmp/busy.port" ]; do
	sleep 0.1
	i=$((i + 1))
done
busy=$(cat "$tmp/busy.port")
timeout 10 "$bin" serve --log-level error --port "$busy" -- cat \
    >/dev/null 2>"$tmp/busy.err"
check "a port in use exits 71" test $? -eq 71
check "and says so, at error level, with what to do" grep -q \
    "error: cannot listen on 127.0.0.1 port $busy: Address already in use.*--port 0" \
    "$tmp/busy.err"
kill $holder 2>/dev/null

timeout 10 "$bin" serve --log-level error --host nosuch.invalid --port 0 -- cat \
    >/dev/null 2>"$tmp/host.err"
check "a --host that does not resolve exits 71" test $? -eq 71
check "and names it, without a misleading errno" grep -q \
    "error: cannot listen on nosuch.invalid: " "$tmp/host.err"
check "no libevent noise" sh -c "! grep -q 'libevent' '$tmp/host.err'"

timeout 10 "$bin" serve --log-level error --port 0 \
    --auth-token-file "$tmp/no-tokens" -- cat >/dev/null 2>"$tmp/tok.err"
check "a missing token file exits 64" test $? -eq 64
check "and says why at error level" grep -q \
    "error: .*no-tokens: No such file or directory" "$tmp/tok.err"

if ! "$bin" serve --tls-cert /dev/null --tls-key /dev/null -- true 2>&1 |
    grep -q "not available"; then
	timeout 10 "$bin" serve --log-level error --port 0 \
	    --tls-cert "$tmp/no-cert.pem" --tls-key "$tmp/no-key.pem" -- cat \
	    >/dev/null 2>"$tmp/tls.err"
	check "a missing certificate exits 64" test $? -eq 64
	check "and says so plainly at error level" grep -q \
	    "error: cannot read --tls-cert $tmp/no-cert.pem: No such file or directory" \
	    "$tmp/tls.err"
	echo "not a certificate" >"$tmp/junk.pem"
	timeout 10 "$bin" serve --log-level error --port 0 \
	    --tls-cert "$tmp/junk.pem" --tls-key "$tmp/junk.pem" -- cat \
	    >/dev/null 2>"$tmp/junk.err"
	check "a file that is no certificate exits 64" test $? -eq 64
	check "and says what it wanted" grep -q \
	    "error: --tls-cert $tmp/junk.pem: not a PEM certificate" "$tmp/junk.err"
fi

# --connect to a socket that is not there: retried (documented), but the
# first failure is said at error level, so -qq shows it once.
"$bin" --log-level error serve --port 0 --connect "unix:$tmp/no.sock" \
    >/dev/null 2>"$tmp/noconn.log" &
noconn=$!
pids="$pids $noconn"
check "--connect to a missing socket is said at error level, once" \
    wait_log "$tmp/noconn.log" \
    "error: child: connect to unix:$tmp/no.sock: No such file or directory; trying again with backoff"
sleep 1
check "only once" test "$(grep -c 'connect to' "$tmp/noconn.log")" -eq 1
check "and it keeps trying" kill -0 "$noconn"

# A --log-file that opens but takes no writes: said once on stderr.
if [ -w /dev/full ]; then
	timeout 2 "$bin" --log-file /dev/full serve --port 0 -- cat \
	    >/dev/null 2>"$tmp/full.err"
	check "a --log-file that takes no writes is said on stderr" grep -q \
	    "cannot write to --log-file /dev/full: No space left on device" \
	    "$tmp/full.err"
	check "once" test "$(grep -c 'cannot write' "$tmp/full.err")" -eq 1
	# In the format asked for: with json, a JSON line too.
	timeout 2 "$bin" --log-format json --log-file /dev/full serve \
	    --port 0 -- cat >/dev/null 2>"$tmp/full-json.err"
	check "with --log-format json, as a JSON line" python3 -c '
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0].decode("utf-8"))
assert o["level"] == "error", o
assert o["msg"].startswith("cannot write to --log-file /dev/full: No space "
    "left on device"), o
' "$tmp/full-json.err"
fi

[ $fails -eq 0 ]
