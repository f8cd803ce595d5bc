#!/bin/sh
# SPDX-License-Identifier: ISC
# The command line as a user meets it: help, version, usage errors and their
# exit status, and a bridge that starts its child, relays the child's stderr
# and stops cleanly on SIGTERM.
set -u
bin="$top_builddir/src/mcpbridge"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() {	# check DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		fails=$((fails + 1))
	fi
}

"$bin" --help >"$tmp/out" 2>"$tmp/err"
check "--help exits 0" test $? -eq 0
check "--help prints the usage on stdout" grep -q "usage: mcpbridge" "$tmp/out"
"$bin" serve --help >"$tmp/out" 2>&1
check "serve --help lists --restart" grep -q -- "--restart" "$tmp/out"
"$bin" --version >"$tmp/out" 2>&1
check "--version prints the version" grep -q "^mcpbridge [0-9]" "$tmp/out"
check "--version names the license" grep -q "ISC license" "$tmp/out"

"$bin" serve --no-such-flag -- true >"$tmp/out" 2>"$tmp/err"
check "an unknown option exits 64" test $? -eq 64
check "an unknown option is named" grep -q "unknown option '--no-such-flag'" "$tmp/err"
check "one line points to --help" grep -q "^Run 'mcpbridge serve --help' for the options" "$tmp/err"
check "the error and that line, not the whole help" test "$(wc -l <"$tmp/err")" -eq 2
check "nothing on stdout" test ! -s "$tmp/out"
"$bin" >/dev/null 2>"$tmp/err"
check "no mode exits 64" test $? -eq 64
check "and points to --help" grep -q "^Run 'mcpbridge --help'" "$tmp/err"
"$bin" client >/dev/null 2>"$tmp/err"
check "client without a URL exits 64" test $? -eq 64
check "and points to client --help" grep -q "^Run 'mcpbridge client --help'" "$tmp/err"
"$bin" client --notifications http://127.0.0.1:1/mcp </dev/null \
    >/dev/null 2>"$tmp/err"
check "client --notifications without --oneshot exits 64" test $? -eq 64
check "and says it needs --oneshot" grep -q \
    "^mcpbridge: --notifications .*give --oneshot too" "$tmp/err"
env -u MCPBRIDGE_NO_SUCH_TOKEN "$bin" client --bearer-token-env \
    MCPBRIDGE_NO_SUCH_TOKEN http://127.0.0.1:1/mcp </dev/null \
    >/dev/null 2>"$tmp/err"
check "client --bearer-token-env naming an unset variable exits 64" \
    test $? -eq 64
check "and names it" grep -q \
    "error: --bearer-token-env: MCPBRIDGE_NO_SUCH_TOKEN is not set or empty" \
    "$tmp/err"
check "and points to client --help" grep -q "^Run 'mcpbridge client --help'" \
    "$tmp/err"
"$bin" serve >/dev/null 2>"$tmp/err"
check "serve without a command exits 64" test $? -eq 64
check "and says why" grep -q "needs a command" "$tmp/err"
"$bin" serve --env =env-value-83f1 -- true >/dev/null 2>"$tmp/err"
check "--env without a name exits 64" test $? -eq 64
check "and never shows the value" sh -c "! grep -q env-value-83f1 '$tmp/err'"
check "but says why" grep -q "KEY=VALUE" "$tmp/err"

# --log-format json, wherever it is, holds for the errors found before the
# log is set up too: every line on stderr is JSON, the error and the hint.
# json_lines FILE LEVEL MSG...: every line of FILE is a JSON object, and
# each MSG is the "msg" of one at LEVEL.
json_lines() {
	python3 -c '
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
if not lines:
    sys.exit("no line")
got = []
for l in lines:
    try:
        o = json.loads(l.decode("utf-8"))
        got.append((o["level"], o["msg"]))
    except (ValueError, KeyError, TypeError):
        sys.exit("not a JSON log line: %r" % l)
for m in sys.argv[3:]:
    if (sys.argv[2], m) not in got:
        sys.exit("no %s line %r in %r" % (sys.argv[2], m, got))
' "$@"
}
"$bin" serve --no-such-flag --log-format json -- true >"$tmp/out" \
    2>"$tmp/err"
check "json: an unknown option before --log-format exits 64" test $? -eq 64
check "and says so in JSON" json_lines "$tmp/err" error \
    "unknown option '--no-such-flag'"
check "and the hint too" json_lines "$tmp/err" info \
    "Run 'mcpbridge serve --help' for the options."
check "nothing on stdout" test ! -s "$tmp/out"
"$bin" --log-format=json serve >/dev/null 2>"$tmp/err"
check "json: a global --log-format= holds for serve's error" json_lines \
    "$tmp/err" error "serve needs a command (after --) or --connect"
"$bin" --log-form json serve >/dev/null 2>"$tmp/err"
check "json: as getopt reads it, abbreviated too" json_lines "$tmp/err" \
    error "serve needs a command (after --) or --connect"
env -u MCPBRIDGE_NO_SUCH_TOKEN "$bin" client --bearer-token-env \
    MCPBRIDGE_NO_SUCH_TOKEN http://127.0.0.1:1/mcp --log-format json \
    </dev/null >/dev/null 2>"$tmp/err"
check "json: client's late usage error exits 64" test $? -eq 64
check "and its hint is JSON too" json_lines "$tmp/err" info \
    "Run 'mcpbridge client --help' for the options."
printf '{"mcpServers": {"a": {"command": 5}}}\n' >"$tmp/bad.json"
"$bin" serve --config "$tmp/bad.json" --log-format json >/dev/null \
    2>"$tmp/err"
check "json: a --config file's errors exit 78" test $? -eq 78
check "each a JSON line" json_lines "$tmp/err" error
printf '{"mcpbridge": {"log-format": "json"}, "mcpServers": {"a": {"command": "cat"}}}\n' \
    >"$tmp/fmt.json"
"$bin" serve --config "$tmp/fmt.json" --no-such-flag >/dev/null 2>"$tmp/err"
check "json: a --config file's log-format holds for a usage error" \
    json_lines "$tmp/err" error "unknown option '--no-such-flag'"
"$bin" serve --log-format json --log-format text --no-such-flag \
    >/dev/null 2>"$tmp/err"
check "the last --log-format wins" grep -q \
    "^mcpbridge: unknown option '--no-such-flag'" "$tmp/err"

# A command that cannot run: the bridge says why and exits 69 at once,
# whatever --restart says and even at --log-level error.
timeout 20 "$bin" serve --port 0 --restart no -- "$tmp/does-not-exist" \
    >/dev/null 2>"$tmp/err"
check "a child that cannot start and is not restarted exits 69" test $? -eq 69
timeout 5 "$bin" serve --port 0 --log-level error -- "$tmp/does-not-exist" \
    >/dev/null 2>"$tmp/err"
check "a command that does not exist exits 69 at once" test $? -eq 69
check "and says which and why" grep -q \
    "error: child: cannot run '$tmp/does-not-exist': No such file or directory" \
    "$tmp/err"
timeout 5 "$bin" serve --port 0 -- /dev/null >/dev/null 2>"$tmp/err"
check "a file that is not executable exits 69" test $? -eq 69
check "and says why" grep -q "cannot run '/dev/null': Permission denied" "$tmp/err"
check "never 'is up'" sh -c "! grep -q 'is up' '$tmp/err'"
timeout 5 "$bin" serve --port 0 --cwd "$tmp/no-dir" -- cat >/dev/null 2>"$tmp/err"
check "a --cwd that does not exist exits 69" test $? -eq 69
check "and names it" grep -q "cannot run 'cat' in '$tmp/no-dir': No such file" "$tmp/err"

# The child's stderr reaches the log, tagged; SIGTERM stops everything.
cat >"$tmp/child.sh" <<'EOS'
#!/bin/sh
echo "hello from the child" >&2
exec cat
EOS
chmod +x "$tmp/child.sh"
"$bin" serve --port 0 --kill-timeout 1 -- "$tmp/child.sh" \
    >/dev/null 2>"$tmp/log" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -qs "hello from the child" "$tmp/log"; do
	sleep 0.1
	i=$((i + 1))
done
check "the child's stderr is relayed, tagged" grep -q "\[child\] hello from the child" "$tmp/log"
kill -TERM $pid
i=0
while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
check "SIGTERM stops the bridge" sh -c "! kill -0 $pid 2>/dev/null"
wait $pid
check "and it exits 0" test $? -eq 0

# --log-format json: every line is JSON, whatever bytes the child writes
# on its stderr (invalid UTF-8 included), and valid UTF-8 stays as it is.
cat >"$tmp/child-bytes.sh" <<'EOS'
#!/bin/sh
printf 'bytes \377\376 and \355\240\200 and \300\257 end\n' >&2
printf 'caf\303\251 ok\n' >&2
exec cat
EOS
chmod +x "$tmp/child-bytes.sh"
# A log file of its own: the shell creates it only when the bridge's fork
# runs, and $tmp/log still holds the text log above until then.  The wait
# is for the child's last line, relayed: a bare "ok" also matched "token"
# in that old log, and SIGTERM went out before the bridge even started.
"$bin" serve --port 0 --kill-timeout 1 --log-format json -- \
    "$tmp/child-bytes.sh" >/dev/null 2>"$tmp/json-log" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -qs '"source":"child","msg":"caf.* ok"}$' \
    "$tmp/json-log"; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
check "the json bridge exits 0 on SIGTERM" test $? -eq 0
check "json log lines are JSON whatever the child writes" python3 -c '
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
msgs = [json.loads(l.decode("utf-8")) for l in lines]
text = " ".join(str(m) for m in msgs)
assert "bytes \ufffd\ufffd and" in text, text
assert "caf\u00e9 ok" in text, text
' "$tmp/json-log"

echo "$fails failed"
[ $fails -eq 0 ]
