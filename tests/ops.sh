#!/bin/sh
# SPDX-License-Identifier: ISC
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
check "--access-log on shows requests at --log-level warning" wait_grep \
    "info: 127.0.0.1 GET /healthz 200" "$tmp/quiet.log"
check "--child-stderr on shows the child's stderr at warn" grep -q \
    "\[child\] child-says-hello" "$tmp/quiet.log"
check "and the bridge's own info lines are gone" sh -c \
    "! grep -q 'listening on' '$tmp/quiet.log'"

# An --env value the child prints on its stderr is not logged (attack20
# F11: the child prints its configuration; the trace already redacted it).
secret=abcd-Very-Secret-1234
bridge_start envleak --env "MYKEY=$secret" --env SHORT=ab -- sh -c \
    "echo \"my key is \$MYKEY, and \$SHORT\" >&2; exec '$example'"
check "the child's line is logged" wait_grep "my key is" "$tmp/envleak.log"
check "its --env value redacted" grep -q \
    "my key is \[redacted\], and ab" "$tmp/envleak.log"
check "and nowhere in the log" sh -c "! grep -q -- '$secret' '$tmp/envleak.log'"
# A value that starts another hides all of the other (the longest first),
# and a value cut at the line's 8 KiB limit shows no part of itself.
bridge_start envleak2 --env A=abcd --env B=abcdSECRETTAIL \
    --env C=LONGSECRET0123456789 -- sh -c \
    "echo \"one \$B two \$A\" >&2; head -c 8180 /dev/zero | tr '\\000' y >&2; \
    echo \"\$C\" >&2; exec '$example'"
check "values that start others: logged" wait_grep "one " "$tmp/envleak2.log"
check "the longest value hidden whole" grep -q \
    "one \[redacted\] two \[redacted\]" "$tmp/envleak2.log"
check "a value cut at the limit shows no part" wait_grep "yyyy \[cut\]" \
    "$tmp/envleak2.log"
check "nothing of either in the log" sh -c \
    "! grep -q -e SECRETTAIL -e LONGSEC '$tmp/envleak2.log'"

# A child's stderr line over 8 KiB is cut there, and says so (attack20
# F17: it was cut without a mark).
bridge_start longline -- sh -c \
    "head -c 10000 /dev/zero | tr '\\000' x >&2; echo >&2; exec '$example'"
check "a long stderr line is logged" wait_grep "xxxxxxxx" "$tmp/longline.log"
check "cut at 8 KiB and marked" grep -q "\[child\] x\{8192\} \[cut\]\$" \
    "$tmp/longline.log"

# A --log-file at the file-size limit: the bridge goes on serving and
# says so once on stderr (attack20 F12: SIGXFSZ killed it).
(
	ulimit -f 4
	exec "$bin" serve --port 0 --print-url --log-file "$tmp/fsize.log" \
	    -- "$example" >"$tmp/fsize.url" 2>"$tmp/fsize.err"
) &
fsize_pid=$!
pids="$pids $fsize_pid"
i=0
while [ $i -lt 100 ] && [ ! -s "$tmp/fsize.url" ]; do
	sleep 0.1
	i=$((i + 1))
done
fsize_url=$(head -n 1 "$tmp/fsize.url")
i=0
while [ $i -lt 300 ] && ! grep -q 'File too large' "$tmp/fsize.err"; do
	curl -s "$fsize_url/healthz?$i" >/dev/null
	i=$((i + 1))
done
check "a --log-file at the size limit is said on stderr" grep -q \
    "cannot write to --log-file .*File too large" "$tmp/fsize.err"
check "and the bridge still serves" curl -sf "$fsize_url/healthz"

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

# SIGHUP with nothing to reload says so, and the bridge runs on.
bridge_start hup -- "$example"
kill -HUP $bridge_pid
check "SIGHUP without files to reload says so" wait_grep \
    "info: SIGHUP: nothing to reload (no --log-file, --auth-token-file or --tls-cert)" \
    "$tmp/hup.log"
check "and the bridge runs on" curl -sf "$url/readyz" -o /dev/null

# --log-file: the log goes there, not to stderr; SIGHUP reopens it (the
# logrotate way: move it, signal, a new file starts).
mkdir "$tmp/logs"
bridge_start logfile --log-file "$tmp/logs/bridge.log" -- "$example"
curl -s "$url/healthz" >/dev/null
check "--log-file gets the access log" wait_grep "GET /healthz 200" \
    "$tmp/logs/bridge.log"
check "--log-file gets the log" grep -q "listening on" "$tmp/logs/bridge.log"
check "and stderr stays empty" test ! -s "$tmp/logfile.log"
mv "$tmp/logs/bridge.log" "$tmp/logs/bridge.log.1"
kill -HUP $bridge_pid
# Its own line is the new file's first: the reopen is done.
check "SIGHUP reopens it: a new file" wait_grep \
    "info: SIGHUP: log file $tmp/logs/bridge.log reopened" \
    "$tmp/logs/bridge.log"
curl -s "$url/after-hup" >/dev/null
check "which gets what follows" wait_grep "GET /after-hup 404" \
    "$tmp/logs/bridge.log"
check "the old one ends before the new one starts" sh -c \
    "! grep -q 'GET /after-hup' '$tmp/logs/bridge.log.1'"
# A reopen that fails keeps the old file and says why there.
mv "$tmp/logs" "$tmp/logs.old"
kill -HUP $bridge_pid
check "a failed reopen says why, at error level, in the old file" wait_grep \
    "error: SIGHUP: cannot reopen --log-file $tmp/logs/bridge.log: No such file or directory; still writing to the old one" \
    "$tmp/logs.old/bridge.log"
curl -s "$url/healthz" >/dev/null
check "and keeps writing there" wait_grep "GET /healthz 200" \
    "$tmp/logs.old/bridge.log"
check "once" test \
    "$(grep -c 'GET /healthz 200' "$tmp/logs.old/bridge.log")" -eq 1
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

# SIGHUP reloads the token file; a bad one keeps the old tokens.
code() {	# code TOKEN: the status of GET /metrics with that token
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" \
	    "$url/metrics"
}
echo alpha >"$tmp/tokens"
chmod 600 "$tmp/tokens"
bridge_start tokens --auth-token-file "$tmp/tokens" -- "$example"
check "the token from the file is taken" test "$(code alpha)" = 200
# A session stays its token's across a reload that reorders the file: a
# token new in the file must not take it over.
curl -s -D "$tmp/tok.h" -o /dev/null -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H 'Authorization: Bearer alpha' -d "$init" "$url/mcp"
sid=$(tr -d '\r' <"$tmp/tok.h" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
ping() {	# ping TOKEN: the status of a ping in alpha's session
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' -H "Mcp-Session-Id: $sid" \
	    -H 'Accept: application/json, text/event-stream' \
	    -H 'MCP-Protocol-Version: 2025-06-18' \
	    -d '{"jsonrpc":"2.0","id":2,"method":"ping"}' "$url/mcp"
}
check "alpha opened a session" test "$(ping alpha)" = 200
printf 'beta\nalpha\n' >"$tmp/tokens"
kill -HUP $bridge_pid
check "the reload is logged (2 tokens)" wait_grep \
    "info: SIGHUP: 2 tokens loaded from $tmp/tokens" "$tmp/tokens.log"
check "after a reload a new first token cannot use alpha's session" \
    test "$(ping beta)" = 404
check "alpha still can" test "$(ping alpha)" = 200
printf 'beta\n' >"$tmp/tokens"
kill -HUP $bridge_pid
check "the reload is logged (1 token)" wait_grep \
    "info: SIGHUP: 1 token loaded from $tmp/tokens" "$tmp/tokens.log"
check "after SIGHUP the new token is taken" test "$(code beta)" = 200
check "and the old one is refused" test "$(code alpha)" = 401
printf '# nothing\n' >"$tmp/tokens"
kill -HUP $bridge_pid
check "a token file with no token says why at error level" wait_grep \
    "error: SIGHUP: keeping the old tokens: $tmp/tokens: no token in it" \
    "$tmp/tokens.log"
check "and keeps the old tokens" test "$(code beta)" = 200
rm "$tmp/tokens"
kill -HUP $bridge_pid
check "so does a missing one, saying why" wait_grep \
    "error: SIGHUP: keeping the old tokens: $tmp/tokens: No such file or directory" \
    "$tmp/tokens.log"
check "and keeping them" test "$(code beta)" = 200

# SIGHUP reloads the certificate and key; bad ones keep the old pair.
tls=yes
command -v openssl >/dev/null 2>&1 || tls=
"$bin" serve --tls-cert /dev/null --tls-key /dev/null -- true 2>&1 |
    grep -q "not available" && tls=
newcert() {	# newcert NAME: $tmp/NAME.cert.pem, $tmp/NAME.key.pem
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    -keyout "$tmp/$1.key.pem" -out "$tmp/$1.cert.pem" >/dev/null 2>&1
}
served() {	# served CN: the bridge serves the certificate of CN
	echo | openssl s_client -connect "$hostport" 2>/dev/null |
	    openssl x509 -noout -subject 2>/dev/null | grep -q "CN *= *$1\$"
}
if [ -n "$tls" ] && newcert one && newcert two; then
	cp "$tmp/one.cert.pem" "$tmp/cert.pem"
	cp "$tmp/one.key.pem" "$tmp/key.pem"
	CURL_CA_BUNDLE="$tmp/one.cert.pem"
	export CURL_CA_BUNDLE
	bridge_start tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
	    -- "$example"
	hostport=${url#https://}
	check "the first certificate is served" served one
	cp "$tmp/two.cert.pem" "$tmp/cert.pem"
	cp "$tmp/two.key.pem" "$tmp/key.pem"
	kill -HUP $bridge_pid
	check "SIGHUP loads the new certificate" wait_grep \
	    "info: SIGHUP: certificate $tmp/cert.pem and key $tmp/key.pem loaded" \
	    "$tmp/tls.log"
	check "after SIGHUP the new certificate is served" served two
	check "and new connections work with it" curl -sf \
	    --cacert "$tmp/two.cert.pem" "$url/healthz" -o /dev/null
	cp "$tmp/one.key.pem" "$tmp/key.pem"
	kill -HUP $bridge_pid
	check "a key that does not match says why at error level" wait_grep \
	    "error: SIGHUP: keeping the old certificate and key: --tls-key $tmp/key.pem does not match --tls-cert $tmp/cert.pem" \
	    "$tmp/tls.log"
	check "and keeps the old pair" served two
	unset CURL_CA_BUNDLE
	# The same at start: a key of another certificate is named as such,
	# not as "not a PEM private key".
	timeout 10 "$bin" serve --port 0 --tls-cert "$tmp/one.cert.pem" \
	    --tls-key "$tmp/two.key.pem" -- cat >/dev/null 2>"$tmp/pair.err"
	check "a key of another certificate exits 64" test $? -eq 64
	check "saying they do not match" grep -q \
	    "error: --tls-key $tmp/two.key.pem does not match --tls-cert $tmp/one.cert.pem" \
	    "$tmp/pair.err"
else
	echo "# no TLS: the certificate reload is not tested"
fi

# /metrics: the build, the process, requests per method.
bridge_start metrics --metrics-listen 127.0.0.1:0 -- "$example"
curl -s -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -d "$init" \
    "$url/mcp" >/dev/null
curl -s "$url/metrics" >"$tmp/metrics.txt"
for want in 'mcpbridge_build_info{version="[0-9][^"]*"} 1' \
    'process_cpu_seconds_total [0-9]*\.[0-9]*' \
    'process_resident_memory_bytes [1-9][0-9]*' \
    'process_open_fds [1-9][0-9]*' 'process_max_fds [1-9][0-9]*' \
    'process_start_time_seconds [1-9][0-9]*\.[0-9]*' \
    'mcpbridge_method_duration_seconds_count{method="initialize"} 1' \
    'mcpbridge_method_duration_seconds_bucket{method="initialize",le="+Inf"} 1'
do
	check "/metrics: $want" grep -qx "$want" "$tmp/metrics.txt"
done

# The metrics listener answers the probes too; its log line names the
# port it got.
sleep 0.2
murl=$(sed -n 's|.*metrics on \(http://127\.0\.0\.1:[1-9][0-9]*\)/metrics.*|\1|p' \
    "$tmp/metrics.log" | head -n 1)
check "--metrics-listen :0 logs the port it got" test -n "$murl"
murl=${murl:-http://127.0.0.1:1}
check "the metrics listener answers /healthz" sh -c \
    "curl -sf '$murl/healthz' | grep -qx ok"
check "and /readyz" sh -c "curl -sf '$murl/readyz' | grep -qx ready"
check "and /metrics" sh -c "curl -sf '$murl/metrics' | grep -q '^mcpbridge_ready 1'"
check "but not /mcp" test "$(curl -s -o /dev/null -w '%{http_code}' \
    "$murl/mcp")" = 404

# --print-url: the base URL first (what scripts read), then each endpoint
# with its name.
bridge_start urls --base-path /api -- "$example"
sleep 0.2
check "--print-url: the base URL first" sh -c \
    "sed -n 1p '$tmp/urls.url' | grep -qx 'http://127.0.0.1:[0-9]*/api'"
check "then the Streamable HTTP endpoint" sh -c \
    "sed -n 2p '$tmp/urls.url' | grep -qx 'streamable-http $url/mcp'"
check "then the legacy SSE endpoint" sh -c \
    "sed -n 3p '$tmp/urls.url' | grep -qx 'sse $url/sse'"
check "and nothing else" test "$(wc -l <"$tmp/urls.url")" -eq 3

# The README's way to get the URL in a script, run as it is written there
# (the indented lines after "from a FIFO"), with my-server the example.
mkdir "$tmp/bin" "$tmp/readme"
ln -s "$bin" "$tmp/bin/mcpbridge"
ln -s "$example" "$tmp/bin/my-server"
awk '/from a FIFO/ { on = 1; next }
    on && /^    / { print substr($0, 5); started = 1; next }
    on && started { exit }' "$top_srcdir/README" >"$tmp/readme/block.sh"
check "the README has the FIFO example" grep -q mkfifo "$tmp/readme/block.sh"
(cd "$tmp/readme" && PATH="$tmp/bin:$PATH" timeout 20 sh -c \
    ". ./block.sh >curl.out; echo \"\$url\" >url.out; echo \$! >pid" 2>"$tmp/readme/bridge.log")
check "the README's pipeline returns the URL" grep -qx \
    'http://127.0.0.1:[0-9]*' "$tmp/readme/url.out"
check "and the bridge answers there" grep -q ok "$tmp/readme/curl.out"
[ -s "$tmp/readme/pid" ] && pids="$pids $(cat "$tmp/readme/pid")"

# The access log is buffered (issue 20): each line still comes out within
# a second with no further traffic, before SIGHUP's own line, at exit, and
# none is lost under load.
# arrives FILE PATTERN: the pattern is in the file within 1 s.
arrives() {
	i=0
	while [ $i -lt 20 ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q "$2" "$1"
}
bridge_start buffered -- "$top_builddir/tests/bench/echo-server"
curl -s "$url/within-a-second" >/dev/null
check "a buffered access line comes out within a second" arrives \
    "$tmp/buffered.log" "GET /within-a-second 404"
"$top_builddir/tests/bench/mcpload" -c 4 -n 300 -p 3 --timeout 60 \
    "$url" >"$tmp/buffered.load" 2>&1
check "under load: every call answered" grep -q ' errors=0 ' \
    "$tmp/buffered.load"
curl -s "$url/before-hup" >/dev/null
kill -HUP $bridge_pid
arrives "$tmp/buffered.log" "SIGHUP: nothing"
check "SIGHUP: the waiting line comes before SIGHUP's own" sh -c \
    "grep -e 'GET /before-hup' -e 'SIGHUP: nothing' '$tmp/buffered.log' |
    head -n 1 | grep -q before-hup"
curl -s "$url/at-exit" >/dev/null
kill -TERM $bridge_pid
wait $bridge_pid
check "at exit, the last line is written" grep -q "GET /at-exit 404" \
    "$tmp/buffered.log"
check "under load, no line is lost: 4 x 300 tools/call lines" test \
    "$(grep -c 'POST /mcp 200 [0-9]*ms session [0-9a-f]* tools/call$' \
    "$tmp/buffered.log")" -eq 1200
check "and every line is whole" sh -c "! grep -v -e \
    '^[0-9-]*T[0-9:.]*Z mcpbridge\[[0-9]*\]: [a-z]*: ' '$tmp/buffered.log'"

finish
