# SPDX-License-Identifier: ISC
# lib.sh: shared by the integration scripts.  Starts the real bridge on a free
# port and cleans up whatever a test started, whatever way it ends.

bin="$top_builddir/src/mcpbridge"
# The test fixture (tests/fixture-server.c), not the installed demo.
fixture="$top_builddir/tests/mcpbridge-test-server"
# Its name before it moved, for tests written meanwhile on other branches.
example=$fixture
tmp=$(mktemp -d)
pids=""
fails=0
# The bridges stop their children themselves on SIGTERM; SIGKILL only one
# that has not exited after 10 s, or its children would be orphaned.
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	i=0
	for p in $pids; do
		while [ $i -lt 100 ] && kill -0 "$p" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

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

# wait_grep PATTERN FILE: true once grep finds PATTERN in FILE, within 5 s
# (the access log is written within a tenth of a second, not at once).
wait_grep() {
	i=0
	while [ $i -lt 50 ]; do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# bridge_start NAME [serve options] -- COMMAND...: sets $url (base URL) and
# $bridge_pid; the bridge's log is $tmp/NAME.log.
bridge_start() {
	name=$1
	shift
	# The shell truncates these only once the bridge's fork runs: a file
	# left from an earlier bridge of that name would be read as this one's.
	rm -f "$tmp/$name.url" "$tmp/$name.log"
	"$bin" serve --port 0 --print-url "$@" >"$tmp/$name.url" \
	    2>"$tmp/$name.log" &
	bridge_pid=$!
	pids="$pids $bridge_pid"
	i=0
	while [ $i -lt 100 ] && [ ! -s "$tmp/$name.url" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	url=$(head -n 1 "$tmp/$name.url")
	if [ -z "$url" ]; then
		echo "bridge $name did not start:"
		cat "$tmp/$name.log"
		exit 1
	fi
	# Ready means the child finished its handshake.
	i=0
	while [ $i -lt 100 ] && ! curl -sf "$url/readyz" >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
}

# node_deps: the folder with the npm peers, or skip (77) unless required.
node_deps() {
	deps=${MCPBRIDGE_NODE_DEPS:-$top_srcdir/tests/node}
	if [ ! -d "$deps/node_modules/@modelcontextprotocol/sdk" ]; then
		if [ -n "${MCPBRIDGE_REQUIRE_NODE:-}" ]; then
			echo "npm peers missing in $deps (scripts/test installs them)"
			exit 1
		fi
		echo "npm peers not installed in $deps; skipped"
		exit 77
	fi
	node=node
	[ -x "$deps/node_modules/.bin/node" ] && node="$deps/node_modules/.bin/node"
	# Node resolves packages from where a script lives, and the scripts may
	# sit in a read-only tree without node_modules (make distcheck): run
	# copies of them next to a link to the peers.
	scripts="$tmp/node"
	mkdir -p "$scripts"
	cp "$top_srcdir"/tests/node/*.mjs "$scripts/"
	ln -s "$deps/node_modules" "$scripts/node_modules"
}

finish() {
	echo "$fails failed"
	[ $fails -eq 0 ]
}

# The server scenarios that the 2026-07-28 revision requires
# (requirements/2026-07-28.yaml of the conformance suite; the tasks
# extension is not among them).
modern_required="server-stateless completion-complete tools-list
    tools-call-simple-text tools-call-image tools-call-audio
    tools-call-embedded-resource tools-call-mixed-content tools-call-error
    tools-call-with-progress server-sse-multiple-streams resources-list
    resources-read-text resources-read-binary resources-templates-read
    sep-2164-resource-not-found prompts-list prompts-get-simple
    prompts-get-with-args prompts-get-embedded-resource
    prompts-get-with-image dns-rebinding-protection caching
    input-required-result-basic-elicitation
    input-required-result-basic-sampling
    input-required-result-basic-list-roots
    input-required-result-request-state
    input-required-result-multiple-input-requests
    input-required-result-multi-round
    input-required-result-missing-input-response
    input-required-result-non-tool-request
    input-required-result-result-type
    input-required-result-unsupported-methods
    input-required-result-tampered-state
    input-required-result-capability-check
    input-required-result-ignore-extra-params
    input-required-result-validate-input
    json-schema-2020-12 http-header-validation"

# check_modern_required OUTPUT: each of them passed in the suite's OUTPUT,
# with no warning (the SHOULDs the bridge means to meet too).
check_modern_required() {
	for s in $modern_required; do
		check "2026-07-28: $s passes" grep -q "^✓ $s:" "$1"
	done
	check "2026-07-28: no warnings" sh -c "! grep -q 'WARNING' '$1'"
}

# suite_past OUT SCENARIO PID: wait (300 s at most) until the conformance
# suite writing OUT, process PID, is past SCENARIO: it runs its scenarios
# one at a time, names each as it starts, and writes a summary at the end.
suite_past() {
	i=0
	while [ $i -lt 3000 ] && kill -0 "$3" 2>/dev/null &&
	    ! awk -v s="=== Running scenario: $2 ===" '
	    $0 == s { seen = 1; next }
	    seen && /^=== (Running scenario:|SUMMARY)/ { found = 1; exit }
	    END { exit !found }' "$1"; do
		sleep 0.1
		i=$((i + 1))
	done
}
