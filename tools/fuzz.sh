#!/bin/sh
# fuzz.sh - run kobito's fuzz targets under libFuzzer (make fuzz).
#
#   sh tools/fuzz.sh BUILD SECONDS NAME...
#
# Each target BUILD/fuzz/fuzz_NAME runs for SECONDS, starting from the
# committed seeds in fuzz/corpus/NAME; what it learns goes to
# BUILD/corpus/NAME (not committed: copy an input worth keeping into
# fuzz/corpus/NAME), what crashes it to BUILD/crashes/NAME.  Every crash
# is a defect: fix it and commit the input to fuzz/regressions/NAME, where
# make test replays it (docs/fuzzing.md).  Exits 1 when any target crashed.
set -u
BUILD=$1
SECONDS_EACH=$2
shift 2
TOP=$(cd "$(dirname "$0")/.." && pwd)
status=0
for name in "$@"; do
	bin="$BUILD/fuzz/fuzz_$name"
	[ -x "$bin" ] || { echo "fuzz: $bin is not built" >&2; exit 1; }
	mkdir -p "$BUILD/corpus/$name" "$BUILD/crashes/$name"
	dict=""
	[ -f "$TOP/fuzz/$name.dict" ] && dict="-dict=$TOP/fuzz/$name.dict"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 $dict \
		-artifact_prefix="$BUILD/crashes/$name/" \
		"$BUILD/corpus/$name" "$TOP/fuzz/corpus/$name" \
		>"$BUILD/fuzz-$name.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BUILD/fuzz-$name.log")
	crashes=$(ls "$BUILD/crashes/$name" | wc -l)
	echo "fuzz $name: ${runs:-?} runs in ${SECONDS_EACH} s, corpus $(ls "$BUILD/corpus/$name" | wc -l), crashes $crashes (exit $rc)"
	if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
		status=1
		tail -n 30 "$BUILD/fuzz-$name.log" >&2
	fi
done
exit $status
