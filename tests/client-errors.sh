#!/bin/sh
# SPDX-License-Identifier: ISC
# Client mode's mistakes (issue 17) where a real socket matters: each gets
# the exit status and the first line a user reads.  The same mistakes over
# a fake server are in check_client_sm.
set -u
. "$top_srcdir/tests/lib.sh"

init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'

# client NAME [options] URL: the init on stdin; $tmp/NAME.out, .err, .rc,
# and .ms (how long it took).
client() {
	name=$1
	shift
	start=$(date +%s%N)
	echo "$init" | timeout 20 "$bin" client "$@" >"$tmp/$name.out" \
	    2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
	echo $((($(date +%s%N) - start) / 1000000)) >"$tmp/$name.ms"
}

rc() { test "$(cat "$tmp/$1.rc")" -eq "$2"; }
fast() { test "$(cat "$tmp/$1.ms")" -lt 2000; }
# one_error NAME: stderr is one line, at error level, saying nothing of
# trying again.
one_error() {
	test "$(wc -l <"$tmp/$1.err")" -eq 1 &&
	    grep -q ': error: ' "$tmp/$1.err" &&
	    ! grep -q 'trying again' "$tmp/$1.err"
}

# A port nobody listens on.
free=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

client refused "http://127.0.0.1:$free/mcp"
check "connection refused exits 69" rc refused 69
check "at once" fast refused
check "in one line at error level" one_error refused
check "saying what to check" grep -q \
    "error: cannot connect to http://127.0.0.1:$free/mcp: .*; is the server running, and listening on that port?" \
    "$tmp/refused.err"
check "the local client gets the same" grep -q \
    '"message":"cannot connect to' "$tmp/refused.out"

client dns "http://no-such-host.invalid/mcp" --allow-http
check "an unknown host exits 69" rc dns 69
check "in one line at error level" one_error dns
check "naming the host name" grep -q "check the host name" "$tmp/dns.err"

bridge_start plain -- "$example"
port=${url##*:}

client tls-to-plain "https://127.0.0.1:$port/mcp"
check "https:// to a plain port exits 69" rc tls-to-plain 69
check "at once, in one line" one_error tls-to-plain
check "and suggests http://" grep -q \
    "did you mean http://127.0.0.1:$port/mcp?" "$tmp/tls-to-plain.err"

# The mistakes the server answers, as mcpbridge serve answers them.
client noscheme "127.0.0.1:$port/mcp"
check "a URL without a scheme exits 64" rc noscheme 64
check "and says what was meant" grep -q \
    "'127.0.0.1:$port/mcp' is not a URL: did you mean http://127.0.0.1:$port/mcp?" \
    "$tmp/noscheme.err"

client slash "http://127.0.0.1:$port/"
check "a URL with only a slash: did you mean /mcp" grep -q \
    "did you mean http://127.0.0.1:$port/mcp?" "$tmp/slash.out"

echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | timeout 20 \
    "$bin" client "http://127.0.0.1:$port/mcp" >"$tmp/noinit.out" \
    2>"$tmp/noinit.err"
check "a request before initialize exits 76" test $? -eq 76
check "and says to send initialize or use --oneshot" grep -q \
    "send initialize first, or use --oneshot" "$tmp/noinit.out"
check "not neither MCP transport" sh -c \
    "! grep -q 'neither MCP transport' '$tmp/noinit.err'"

echo "t0ken-for-client-errors" >"$tmp/tokens"
chmod 600 "$tmp/tokens"
bridge_start auth --auth-token-file "$tmp/tokens" -- "$example"
aport=${url##*:}
client noauth --no-oauth "http://127.0.0.1:$aport/mcp"
check "no token exits 77" rc noauth 77
check "with the server's words and the hint" grep -q \
    'HTTP 401 from the server: \\"Unauthorized: a valid bearer token is required\\"; give a token with --bearer-token-env VAR' \
    "$tmp/noauth.out"
client signin "http://127.0.0.1:$aport/mcp"
check "a sign-in that fails exits 77" rc signin 77
check "and quotes the server and gives the token hint" grep -q \
    'sign-in failed: .*; the server said \\"Unauthorized: a valid bearer token is required\\"; if the server takes a token instead, give it with --bearer-token-env VAR' \
    "$tmp/signin.out"
BAD_TOKEN=nope
export BAD_TOKEN
client badauth --bearer-token-env BAD_TOKEN "http://127.0.0.1:$aport/mcp"
check "a wrong token exits 77" rc badauth 77
check "and says the token was refused" grep -q \
    "the server refused the token given" "$tmp/badauth.err"

[ $fails -eq 0 ] || exit 1

command -v openssl >/dev/null 2>&1 || { echo "no openssl; skipped"; exit 77; }
if "$bin" serve --tls-cert /dev/null --tls-key /dev/null -- true 2>&1 |
    grep -q "not available"; then
	echo "built without libevent_openssl; skipped"
	exit 77
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1 ||
    { echo "openssl req failed"; exit 1; }
chmod 600 "$tmp/key.pem"
bridge_start tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
    -- "$example"
tport=${url##*:}

client untrusted "https://127.0.0.1:$tport/mcp"
check "a self-signed certificate exits 69" rc untrusted 69
check "at once, in one line" one_error untrusted
check "and names --cacert" grep -q \
    "error: the server's certificate is not trusted: .*; give its CA with --cacert FILE" \
    "$tmp/untrusted.err"

client trusted --cacert "$tmp/cert.pem" "https://127.0.0.1:$tport/mcp"
check "with --cacert it works" rc trusted 0

# A certificate the CA vouches for, but for another name: the name is
# what is wrong, not the CA.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other.example \
    -addext "subjectAltName=DNS:other.example" \
    -keyout "$tmp/key2.pem" -out "$tmp/cert2.pem" >/dev/null 2>&1 ||
    { echo "openssl req failed"; exit 1; }
chmod 600 "$tmp/key2.pem"
bridge_start misnamed --tls-cert "$tmp/cert2.pem" --tls-key "$tmp/key2.pem" \
    -- "$example"
mport=${url##*:}
client misnamed --cacert "$tmp/cert2.pem" "https://127.0.0.1:$mport/mcp"
check "a certificate for another name exits 69" rc misnamed 69
check "and says it is the name, not the CA" grep -q \
    "error: the server's certificate is not for 127.0.0.1: " "$tmp/misnamed.err"
check "not blaming --cacert" sh -c "! grep -q 'does not vouch' '$tmp/misnamed.err'"

client nocafile --cacert "$tmp/no-such-ca.pem" "https://127.0.0.1:$tport/mcp"
check "a --cacert that cannot be read is a usage error (64)" rc nocafile 64
check "saying so" grep -q \
    "cannot read --cacert $tmp/no-such-ca.pem: No such file or directory" \
    "$tmp/nocafile.err"

client plain-to-tls "http://127.0.0.1:$tport/mcp"
check "http:// to a TLS port exits 69" rc plain-to-tls 69
check "at once, in one line" one_error plain-to-tls
check "and suggests https://" grep -q \
    "did you mean https://127.0.0.1:$tport/mcp?" "$tmp/plain-to-tls.err"

[ $fails -eq 0 ]
