#!/bin/sh
# SPDX-License-Identifier: ISC
# What `make install` gives a user: the programs, the man page, the license
# and the docs, the settings example and (with systemd) the unit, all
# naming the installed paths; install-strip strips; uninstall leaves no
# file behind.  As root, also the unit's TLS arrangement: a user of no
# privilege with the key's group (as DynamicUser= plus
# SupplementaryGroups= give it) serves TLS, and without the group cannot.
set -u
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -TERM $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
fails=0
check() {	# check DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		fails=$((fails + 1))
	fi
}
make=${MAKE:-make}
root="$tmp/root"

$make -s -C "$top_builddir" install DESTDIR="$root" >"$tmp/install.log" 2>&1
check "make install succeeds" test $? -eq 0
bin=$(find "$root" -type f -name mcpbridge -path '*/bin/*')
check "the bridge is installed in bin" test -x "$bin"
bindir=${bin%/mcpbridge}
check "the example server next to it" test -x "$bindir/mcpbridge-example-server"
# It is the demo, not the test fixture: none of the fixture's knobs.
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"install.sh","version":"1"}}}' \
    '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' |
    timeout 10 "$bindir/mcpbridge-example-server" >"$tmp/tools" 2>/dev/null
check "the installed example server lists its tools" \
    grep -q '"name":"echo"' "$tmp/tools"
for knob in report_env exit crash print_garbage long_line received; do
	check "and has no $knob knob" sh -c \
	    "! grep -q '\"name\":\"$knob\"' '$tmp/tools'"
done
check "the test fixture is not installed" \
    test -z "$(find "$root" -name '*test-server*' -o -name '*fixture*')"
check "the man page" test -n "$(find "$root" -path '*/man1/mcpbridge.1')"
env_example=$(find "$root" -type f -name mcpbridge.env.example)
check "the settings example, in the docs" test -f "$env_example"
docdir=$(dirname "$env_example")
for f in LICENSE README NEWS haproxy.cfg.example nginx.conf.example; do
	check "docs: $f" test -f "$docdir/$f"
done
check "the example runs the installed example server" grep -q \
    "^MCPBRIDGE_COMMAND=${bindir#"$root"}/mcpbridge-example-server\$" "$env_example"
check "no path is left unsubstituted" sh -c "! grep -q '@[a-z]*dir@' '$env_example'"
json_example="$docdir/mcpbridge.json.example"
check "the --config example, in the docs" test -f "$json_example"
check "it runs the installed example server" grep -q \
    "\"command\": \"${bindir#"$root"}/mcpbridge-example-server\"" "$json_example"
check "and passes --check" sh -c \
    "'$bin' serve --config '$json_example' --check >/dev/null"
"$bin" --version >"$tmp/version" 2>&1
check "the installed binary runs" grep -q "^mcpbridge " "$tmp/version"

unit=$(find "$root" -type f -name mcpbridge.service)
if grep -q '^systemdsystemunitdir = no$' "$top_builddir/Makefile"; then
	check "no systemd here: no unit installed" test -z "$unit"
else
	check "the systemd unit is installed" test -f "$unit"
	check "it starts the installed binary" grep -q \
	    "^ExecStart=${bindir#"$root"}/mcpbridge " "$unit"
	check "it reads the settings from sysconfdir" grep -q \
	    '^EnvironmentFile=/.*/mcpbridge/mcpbridge.env$' "$unit"
	check "no path is left unsubstituted" sh -c "! grep -q '@[a-z]*dir@' '$unit'"
fi

$make -s -C "$top_builddir" uninstall DESTDIR="$root" >>"$tmp/install.log" 2>&1
check "make uninstall succeeds" test $? -eq 0
check "and leaves no file behind" test -z "$(find "$root" ! -type d)"

$make -s -C "$top_builddir" install-strip DESTDIR="$tmp/strip" >>"$tmp/install.log" 2>&1
check "make install-strip succeeds" test $? -eq 0
sbin=$(find "$tmp/strip" -type f -name mcpbridge -path '*/bin/*')
check "and strips the bridge" sh -c "! nm '$sbin' >/dev/null 2>&1 || [ -z \"\$(nm '$sbin' 2>/dev/null)\" ]"
[ $fails -eq 0 ] || cat "$tmp/install.log"

# The TLS key as mcpbridge.service documents it: group-readable (640) by a
# group the service gets; a user without the group is refused the key.
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null ||
    ! command -v openssl >/dev/null; then
	echo "# not root (or no setpriv/openssl): the TLS arrangement is not tried"
	[ $fails -eq 0 ]
	exit
fi
etc="$tmp/etc"
mkdir -p "$etc/mcpbridge"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
    -keyout "$etc/mcpbridge/key.pem" -out "$etc/mcpbridge/cert.pem" 2>/dev/null
gid=54321	# a group of no name: the test adds none to the machine
chmod 755 "$tmp" "$etc"
chgrp $gid "$etc/mcpbridge" "$etc/mcpbridge/key.pem"
chmod 750 "$etc/mcpbridge"
chmod 640 "$etc/mcpbridge/key.pem"
chmod 644 "$etc/mcpbridge/cert.pem"
serve_as() {	# serve_as NAME SETPRIV-GROUP-OPTIONS
	name=$1
	shift
	setpriv --reuid=65534 --regid=65534 "$@" \
	    "$top_builddir/src/mcpbridge" serve --port 0 --print-url \
	    --tls-cert "$etc/mcpbridge/cert.pem" --tls-key "$etc/mcpbridge/key.pem" \
	    -- cat >"$tmp/$name.url" 2>"$tmp/$name.log" &
	pid=$!
	pids="$pids $pid"
	i=0
	while [ $i -lt 100 ] && [ ! -s "$tmp/$name.url" ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}
serve_as withgroup --groups=$gid
check "with the key's group, an unprivileged user serves TLS" grep -q '^https://' "$tmp/withgroup.url"
serve_as nogroup --clear-groups
wait $pid
check "without it, the key cannot be read (exit 64)" test $? -eq 64
check "and the log says why" grep -q "Permission denied" "$tmp/nogroup.log"
[ $fails -eq 0 ]
