#!/bin/sh
# ui_type_long.sh - ui.type with 300 characters of Japanese on a real Xvfb:
# the log line that quotes the text is cut by characters (cut at byte 200
# it was invalid UTF-8 and the run died of SIGABRT), the spare keycodes
# are given back when the run ends, and those a run killed while typing
# left bound are reclaimed by the next run on the display (they used to
# make every later run fail with "no free keycode" until X restarted); a
# run stopped by SIGTERM while typing stops at the next key and gives them
# back itself.
. "$(dirname "$0")/lib.sh"

APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"
start_xvfb
export NO_AT_BRIDGE=1 GTK_IM_MODULE=gtk-im-context-simple
DISPLAY=$DISPLAY_NUM "$APP" --out "$T/out.csv" 2>>"$T/app.log" &
app_pid=$!
at_exit "kill $app_pid 2>/dev/null"

# 300 different kanji: every one needs a keycode of its own.
TEXT=$(jq -rn '[range(0; 300) | 19968 + . * 7] | implode')
cat >"$T/type.yaml" <<Y
name: type_long
params:
  delay: { type: int, default: 0 }
steps:
  - ui.window: { title: "^財務会計システム 支出伝票入力\$", activate: true, timeout: 20 }
  - ui.type: { text: "$TEXT", delay_ms: "\${params.delay}" }
Y
# The records of keycodes a run has bound, on the root window.
pool_codes() {
	xprop -display "$DISPLAY_NUM" -root | grep '^_KOBITO_POOL_' |
		sed 's/.*= //' | tr ',' '\n' | grep -c .
}

# A: the whole text, then nothing left bound.
"$KOBITO" run "$T/type.yaml" --display "$DISPLAY_NUM" --json >"$T/a.out" 2>"$T/a.err"
rc=$?
[ $rc = 0 ] || fail "run A exited $rc: $(tail -n 5 "$T/a.err")"
check "A: status" succeeded "$(jget "$T/a.out" .status)"
HEAD=$(jq -rn '[range(0; 200) | 19968 + . * 7] | implode')
grep -q "typed 300 characters (keys): $HEAD\.\.\.$" "$T/a.err" ||
	fail "A: no log line of the typing: $(grep typed "$T/a.err")"
check "A: no keycode left bound" 0 "$(pool_codes)"

# B: killed while typing slowly, once every spare keycode is bound (the
# count stops growing while keys still go out).
"$KOBITO" run "$T/type.yaml" --display "$DISPLAY_NUM" --param delay=30 \
	>"$T/b.out" 2>"$T/b.err" &
b_pid=$!
at_exit "kill -9 $b_pid 2>/dev/null"
last=-1 same=0
for i in $(seq 1 200); do
	n=$(pool_codes)
	if [ "$n" -gt 0 ] && [ "$n" = "$last" ]; then
		same=$((same + 1))
		[ $same -ge 10 ] && break
	else
		same=0
	fi
	last=$n
	sleep 0.1
done
[ "$same" -ge 10 ] || fail "B: the bound keycodes never settled ($last)"
kill -9 $b_pid
wait $b_pid 2>/dev/null
check "B: the killed run left its keycodes bound" "$last" "$(pool_codes)"

# C: the next run on the display takes them back and types it all.
"$KOBITO" run "$T/type.yaml" --display "$DISPLAY_NUM" --json >"$T/c.out" 2>"$T/c.err"
rc=$?
[ $rc = 0 ] || fail "run C after a killed run exited $rc: $(tail -n 5 "$T/c.err")"
check "C: status" succeeded "$(jget "$T/c.out" .status)"
check "C: no keycode left bound" 0 "$(pool_codes)"

# D: stopped by SIGTERM while typing slowly: it stops at the next key,
# ends cancelled, and gives its keycodes back.
"$KOBITO" run "$T/type.yaml" --display "$DISPLAY_NUM" --param delay=30 --json \
	>"$T/d.out" 2>"$T/d.err" &
d_pid=$!
at_exit "kill -9 $d_pid 2>/dev/null"
wait_for 100 sh -c "[ \$(xprop -display $DISPLAY_NUM -root | grep -c '^_KOBITO_POOL_') -gt 0 ]" ||
	fail "D: typing did not start"
kill -TERM $d_pid
wait $d_pid
rc=$?
check "D: a stopped run exits 1" 1 $rc
check "D: status" failed "$(jget "$T/d.out" .status)"
jget "$T/d.out" .error | grep -q 'ui.type: the run was cancelled after [0-9]* characters' ||
	fail "D: $(jget "$T/d.out" .error)"
check "D: no keycode left bound" 0 "$(pool_codes)"
