#!/bin/sh
# SPDX-License-Identifier: ISC
# HTTPS: --tls-cert and --tls-key with a certificate this test makes with
# `openssl req -x509`.  --print-url says https://; a raw TLS client, the
# official SDK client (Node, trusting the certificate through
# NODE_EXTRA_CA_CERTS) and `mcpbridge client --cacert` all get through;
# plain HTTP on that port does not.
set -u
. "$top_srcdir/tests/lib.sh"

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

# Errors come out clearly.
"$bin" serve --tls-cert "$tmp/cert.pem" -- true >"$tmp/half.out" 2>&1
check "--tls-cert without --tls-key is refused" \
    grep -q "go together" "$tmp/half.out"
"$bin" serve --port 0 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/nope.pem" \
    -- "$fixture" >"$tmp/nokey.out" 2>&1
check "a missing key is an error naming the file" \
    grep -q "nope.pem" "$tmp/nokey.out"

CURL_CA_BUNDLE="$tmp/cert.pem"
export CURL_CA_BUNDLE
bridge_start tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
    -- "$fixture"
check "--print-url prints https://" sh -c "case '$url' in https://*) ;; *) false ;; esac"
check "healthz over TLS" curl -sf "$url/healthz" -o /dev/null
curl -s -D "$tmp/init.h" -o "$tmp/init.b" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"tls","version":"1"}}}' \
    "$url/mcp"
check "initialize over TLS" grep -qi "^mcp-session-id:" "$tmp/init.h"
check "initialize answered" grep -q '"result"' "$tmp/init.b"
plain=$(echo "$url" | sed 's,^https://,http://,')
check "plain HTTP on the TLS port gets nothing" \
    sh -c "! curl -sf --max-time 5 '$plain/healthz' -o /dev/null"

if [ -x "$bin" ] && "$bin" client --help 2>&1 | grep -q -- "--cacert"; then
	echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' |
	    timeout 30 "$bin" client --cacert "$tmp/cert.pem" --oneshot \
	    "$url/mcp" >"$tmp/client.out" 2>"$tmp/client.err"
	check "mcpbridge client --cacert lists the tools" \
	    grep -q '"echo"' "$tmp/client.out"
	echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' |
	    env -u CURL_CA_BUNDLE timeout 30 "$bin" client --oneshot \
	    "$url/mcp" >"$tmp/untrusted.out" 2>"$tmp/untrusted.err"
	check "mcpbridge client without --cacert refuses the certificate" \
	    sh -c "! grep -q '\"echo\"' '$tmp/untrusted.out'"
fi

deps=${MCPBRIDGE_NODE_DEPS:-$top_srcdir/tests/node}
if [ -d "$deps/node_modules/@modelcontextprotocol/sdk" ]; then
	node_deps
	for kind in streamable sse; do
		check "SDK $kind client over TLS" env \
		    NODE_EXTRA_CA_CERTS="$tmp/cert.pem" timeout 60 "$node" \
		    "$scripts/tour.mjs" "$url" "$kind" "tls-$kind"
	done
elif [ -n "${MCPBRIDGE_REQUIRE_NODE:-}" ]; then
	echo "npm peers missing in $deps"
	fails=$((fails + 1))
else
	echo "# npm peers not installed: the SDK client check is skipped"
fi
[ $fails -eq 0 ] || cat "$tmp/tls.log"
finish
