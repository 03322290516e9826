#!/bin/sh
# run.sh - run kobito's test suite: every unit test binary, then every
# end-to-end script, and print one closing line "N passed, N failed".
#
#   sh tests/run.sh BUILD BIN [PATTERN]
#
# BUILD is the build directory (build or build-san), BIN where the programs
# are.  PATTERN, when given, runs only the tests whose name contains it.
# An end-to-end test exits 0 for pass, 77 for skip, anything else for fail.
# Output of each test goes to tests/out/BUILD/NAME.log; a failing test's log
# is printed.
set -u
BUILD=${1:-build}
BIN=${2:-bin}
PATTERN=${3:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT="$TOP/tests/out/$BUILD"
mkdir -p "$OUT"
export KOBITO_TOP="$TOP" KOBITO_BUILD="$TOP/$BUILD" KOBITO_BIN="$TOP/$BIN"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMP_THREAD_LIMIT=1
pass=0 fail=0 skip=0 failed=""

run_one() {
	name=$1; shift
	case "$name" in *"$PATTERN"*) ;; *) return ;; esac
	start=$(date +%s)
	"$@" >"$OUT/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)  pass=$((pass + 1)); echo "ok    $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "skip  $name: $(tail -n 1 "$OUT/$name.log")" ;;
	*)  fail=$((fail + 1)); failed="$failed $name"
	    echo "FAIL  $name (exit $rc, ${secs}s)"
	    sed 's/^/      | /' "$OUT/$name.log" | tail -n 60 ;;
	esac
}

for t in "$TOP/$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for t in "$TOP"/tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	[ "$(basename "$t")" = lib.sh ] && continue	# sourced by the others
	run_one "e2e_$(basename "$t" .sh)" sh "$t"
done

echo "[$BUILD]${failed:+ failed:$failed}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
