#!/bin/sh
# run.sh - run kobito's test suite: every unit test binary, then every
# end-to-end script, and print one closing line "N passed, N failed".
#
#   sh tests/run.sh BUILD BIN [PATTERN]
#
# BUILD is the build directory (build or build-san), BIN where the programs
# are.  PATTERN, when given, runs only the tests whose name contains it.
# An end-to-end test exits 0 for pass, 77 for skip, anything else for fail;
# a unit test binary whose cmocka report lists SKIPPED tests counts as
# skipped.
#
# A skip fails the run: `make deps` installs everything the tests use, so a
# test that finds something missing shows a machine the suite cannot vouch
# for.  KOBITO_ALLOW_SKIP=1 lets a developer run a partial suite anyway.
#
# Tests run KOBITO_TEST_JOBS at a time (default: the number of CPUs plus
# one, since most of them wait on servers and displays rather than compute).
# Each test is isolated: its own temporary directory, a free port chosen by
# the kernel, a free X display.  Output of each test goes to
# tests/out/BUILD/NAME.log; a failing test's log is printed.

# One test, run by the parent through xargs: --one OUT NAME COMMAND.
# Its status goes to OUT/NAME.rc, its output to OUT/NAME.log.
if [ "${1:-}" = --one ]; then
	out=$2 name=$3 cmd=$4
	start=$(date +%s)
	$cmd >"$out/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	# cmocka exits 0 when its only problems are skipped tests.
	[ $rc -eq 0 ] && grep -q '^\[  SKIPPED \] [a-z_]' "$out/$name.log" && rc=77
	echo "$rc" >"$out/$name.rc"
	case $rc in
	0)  echo "ok    $name (${secs}s)" ;;
	77) echo "SKIP  $name: $(grep -h '^skip: \|^\[  SKIPPED \] [a-z_]' "$out/$name.log" | tr '\n' ' ')" ;;
	*)  echo "FAIL  $name (exit $rc, ${secs}s)" ;;
	esac
	exit 0
fi

set -u
BUILD=${1:-build}
BIN=${2:-bin}
PATTERN=${3:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT="$TOP/tests/out/$BUILD"
rm -rf "$OUT"
mkdir -p "$OUT"
export KOBITO_TOP="$TOP" KOBITO_BUILD="$TOP/$BUILD" KOBITO_BIN="$TOP/$BIN"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$TOP/tests/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMP_THREAD_LIMIT=1
JOBS=${KOBITO_TEST_JOBS:-$(( $(nproc 2>/dev/null || echo 1) + 1 ))}

# The list of tests, one "NAME<TAB>COMMAND" per line.
# End-to-end tests first: they are the long ones, and the unit binaries
# fill the gaps at the end.
list() {
	for t in "$TOP"/tests/e2e/*.sh; do
		[ -f "$t" ] || continue
		[ "$(basename "$t")" = lib.sh ] && continue	# sourced by the others
		printf 'e2e_%s\tsh %s\n' "$(basename "$t" .sh)" "$t"
	done
	for t in "$TOP/$BUILD"/tests/test_*; do
		[ -x "$t" ] && printf '%s\t%s\n' "$(basename "$t")" "$t"
	done
}

list | while IFS='	' read -r name cmd; do
	case "$name" in *"$PATTERN"*) printf '%s\t%s\n' "$name" "$cmd" ;; esac
done >"$OUT/.list"

tr '\t' '\n' <"$OUT/.list" |
	xargs -d '\n' -n 2 -P "$JOBS" sh "$0" --one "$OUT"

pass=0 fail=0 skip=0 failed="" skipped=""
while IFS='	' read -r name cmd; do
	rc=$(cat "$OUT/$name.rc" 2>/dev/null || echo missing)
	case $rc in
	0)  pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); skipped="$skipped $name" ;;
	*)  fail=$((fail + 1)); failed="$failed $name"
	    echo "---- $name (exit $rc)"
	    sed 's/^/      | /' "$OUT/$name.log" | tail -n 60 ;;
	esac
done <"$OUT/.list"

echo "[$BUILD]${failed:+ failed:$failed}${skipped:+ skipped:$skipped}"
echo "$pass passed, $fail failed, $skip skipped"
if [ "$skip" -gt 0 ] && [ "${KOBITO_ALLOW_SKIP:-0}" != 1 ]; then
	echo "a skipped test fails the run: make deps installs what the tests use" >&2
	exit 1
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
