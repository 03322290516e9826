# lib.sh - helpers shared by the end-to-end tests (sourced, not run).
#
# Each test sources this file, gets a private temporary directory in $T
# that is removed on exit, and reports problems with fail/check.  Tests
# exit 0 when they pass, 1 otherwise, and 77 (skip) when something they
# need is missing - which tests/run.sh counts as a failure, since
# `make deps` installs everything the tests use.

: "${KOBITO_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KOBITO_BIN:=$KOBITO_TOP/bin}"
: "${KOBITO_BUILD:=$KOBITO_TOP/build}"
KOBITO="$KOBITO_BIN/kobito"
FIXTURES="$KOBITO_BUILD/fixtures"
export OMP_THREAD_LIMIT=1

T=$(mktemp -d "${TMPDIR:-/tmp}/kobito-test.XXXXXX")
CLEANUP=""
# Register a shell command to run at exit (services to stop, ...).
at_exit() { CLEANUP="$1; $CLEANUP"; }
trap 'eval "$CLEANUP"; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*"; exit 77; }
# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1" >&2
		echo "  expected: $2" >&2
		echo "  actual:   $3" >&2
		exit 1
	fi
	echo "ok: $1"
}
# The last line of a file, as JSON, queried with jq: jget FILE FILTER
jget() { tail -n 1 "$1" | jq -r "$2"; }
# Wait until a command succeeds, up to N tenths of a second.
wait_for() {
	_wait_n=$1; shift
	while [ "$_wait_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_wait_n=$((_wait_n - 1))
	done
	return 1
}
# Start Xvfb on a free display; sets DISPLAY_NUM and registers its stop.
start_xvfb() {
	command -v Xvfb >/dev/null || skip "Xvfb is not installed"
	for n in $(seq 50 99); do
		[ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
		Xvfb ":$n" -screen 0 "${XVFB_SCREEN:-1280x1024x24}" -nolisten tcp -noreset \
			>"$T/xvfb.log" 2>&1 &
		xvfb_pid=$!
		if wait_for 50 xdpyinfo -display ":$n" && [ "$(tr -d " \n" < "/tmp/.X$n-lock" 2>/dev/null)" = "$xvfb_pid" ]; then
			DISPLAY_NUM=":$n"
			at_exit "kill $xvfb_pid 2>/dev/null; wait $xvfb_pid 2>/dev/null"
			return 0
		fi
		kill "$xvfb_pid" 2>/dev/null
	done
	fail "no free X display between :50 and :99"
}
now_ms() { date +%s%3N; }
# ui_run NAME SCRIPT [ARGS...]: kobito run SCRIPT on the display of
# start_xvfb with a 60 s guard: its --json summary in $T/NAME.out, its log
# in $T/NAME.err, its artifacts in $T/art-NAME.  Sets rc and elapsed (ms).
ui_run() {
	_name=$1 _script=$2
	shift 2
	t0=$(now_ms)
	timeout 60 "$KOBITO" run "$_script" --display "$DISPLAY_NUM" \
		--artifacts "$T/art-$_name" --json "$@" > "$T/$_name.out" \
		2> "$T/$_name.err"
	rc=$?
	elapsed=$(( $(now_ms) - t0 ))
	[ $rc -ne 124 ] || fail "$_name: kobito run hung (killed after 60 s)"
}
# Let the programs a test starts see only the fonts of tools/deps.sh (its
# fonts-* packages), whatever else the machine has: the font GTK falls back
# to for Japanese decides the pixels a screen test reads (VL Gothic where it
# is installed, else IPAGothic, else Noto Sans CJK...).  Exports
# FONTCONFIG_FILE: the system's configuration and font cache, every font
# file rejected but those of these packages.
deps_fonts() {
	_fp=$(sed -n '/^PKGS="/,/"$/p' "$KOBITO_TOP/tools/deps.sh" |
		tr ' "' '\n\n' | grep '^fonts-')
	[ -n "$_fp" ] || fail "tools/deps.sh names no fonts-* package"
	# shellcheck disable=SC2086
	_ff=$(dpkg-query -L $_fp) ||
		fail "the fonts of tools/deps.sh are not all installed (make deps)"
	{
		echo '<?xml version="1.0"?>'
		echo '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
		echo '<fontconfig><include>/etc/fonts/fonts.conf</include>'
		# Files only: a rejected directory hides what it holds.
		echo '<selectfont><rejectfont>'
		for _e in ttf ttc otf otb pfa pfb pcf pcf.gz bdf woff woff2; do
			echo "<glob>/*.$_e</glob>"
		done
		echo '</rejectfont><acceptfont>'
		echo "$_ff" | grep -E '\.(ttf|ttc|otf|pfb)$' | sed 's|.*|<glob>&</glob>|'
		echo '</acceptfont></selectfont></fontconfig>'
	} > "$T/fonts.conf"
	export FONTCONFIG_FILE="$T/fonts.conf"
}
# Every form in which a secret could leak, one a line: as it is,
# percent-encoded, JSON-escaped, \u-escaped, base64 (alone and as a
# basic-auth pair with the user u), and each run of 8 of its characters (a
# cut prefix).  secret_forms SECRET
secret_forms() {
	printf '%s\n' "$1"
	printf '%s' "$1" | jq -sRr @uri
	printf '%s' "$1" | jq -sR . | sed 's/^"//; s/"$//'
	printf '%s' "$1" | jq -sR --ascii-output . | sed 's/^"//; s/"$//'
	printf '%s' "$1" | base64 -w0; echo
	printf 'u:%s' "$1" | base64 -w0; echo
	printf '%s' "$1" | jq -sRr 'explode as $c | range(0; ($c | length) - 7) | $c[.:. + 8] | implode'
}
# Start a private session bus for the display of start_xvfb, so that the
# applications started after it publish their controls on an
# accessibility bus (at-spi-bus-launcher, started by the bus on demand,
# puts its address on the display).  Exports DBUS_SESSION_BUS_ADDRESS and
# XDG_RUNTIME_DIR (the launcher's socket goes there) and drops
# NO_AT_BRIDGE; registers its stop.  JAVA_A11Y holds the java options that
# turn on Swing's ATK bridge.
start_a11y() {
	command -v dbus-daemon >/dev/null || fail "dbus-daemon is not installed (make deps)"
	[ -x /usr/libexec/at-spi-bus-launcher ] || fail "at-spi2-core is not installed (make deps)"
	mkdir -p "$T/run" "$T/dbus"
	chmod 700 "$T/run"
	DISPLAY=$DISPLAY_NUM XDG_RUNTIME_DIR="$T/run" dbus-daemon --session \
		--nofork --address="unix:path=$T/dbus/bus" >"$T/dbus.log" 2>&1 &
	dbus_pid=$!
	at_exit "kill $dbus_pid 2>/dev/null; wait $dbus_pid 2>/dev/null"
	wait_for 50 test -S "$T/dbus/bus" || fail "the session bus did not start: $(cat "$T/dbus.log")"
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/dbus/bus"
	export XDG_RUNTIME_DIR="$T/run"
	unset NO_AT_BRIDGE
	# Under the sanitizers: whole stacks through GLib and libdbus (built
	# without frame pointers), so that tests/lsan.supp can tell what
	# libatspi keeps from what kobito would lose.
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0"
	JAVA_A11Y="-Djavax.accessibility.assistive_technologies=org.GNOME.Accessibility.AtkWrapper -cp $FIXTURES:/usr/share/java/java-atk-wrapper.jar"
}
