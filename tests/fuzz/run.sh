#!/bin/sh
# SPDX-License-Identifier: ISC
# run.sh: runs each libFuzzer target for a bounded time, one after the
# other, from its committed seeds (tests/fuzz/corpus/TARGET).
#
#   tests/fuzz/run.sh [SECONDS [TARGET...]]
#
# SECONDS per target (default 30).  Run it from a build directory
# configured with CC=clang --enable-fuzzing (or set FUZZ_BUILD_DIR).  New
# inputs go to a scratch corpus; a crash, leak or broken invariant leaves
# its input in fuzz-artifacts/ and makes the script exit 1.  Prints the
# executions and executions per second of each target.
set -u

secs=${1:-30}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
build=${FUZZ_BUILD_DIR:-$(pwd)}
targets=${*:-fuzz_framer fuzz_sse_parser fuzz_jsonrpc fuzz_mux fuzz_http \
    fuzz_http_parse fuzz_jwt fuzz_asmeta fuzz_tracectx fuzz_conffile \
    fuzz_rawjson fuzz_agg_cursor fuzz_jsonparse}
artifacts=$build/fuzz-artifacts
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"

failed=0
for t in $targets; do
	bin=$build/tests/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin not built (configure CC=clang --enable-fuzzing)" >&2
		exit 1
	fi
	mkdir -p "$scratch/$t"
	case $t in
	fuzz_mux|fuzz_http) max_len=4096 ;;
	*) max_len=16384 ;;
	esac
	log=$scratch/$t.log
	# Leaks count: an input that leaks is a failure like a crash.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	    "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 \
	    -max_len="$max_len" -print_final_stats=1 \
	    -artifact_prefix="$artifacts/$t-" \
	    "$scratch/$t" "$here/corpus/$t" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ $status -eq 0 ]; then
		echo "ok - $t: ${runs:-?} executions, ${rate:-?}/s"
	else
		echo "not ok - $t: exit $status after ${runs:-?} executions"
		grep -E "ERROR|invariant|SUMMARY|Test unit written" "$log" |
		    head -n 20
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ]
