#!/bin/sh
# ui_failfast.sh - the ui.* actions fail fast and say why, on private Xvfb
# displays with the stand-in finance screen (tests/fixtures/legacy_finance).
#
#   A: the X server ends in the middle of a 5-item loop: kobito run --json
#      still prints its summary (2 items done, 3 failed saying the display
#      went away), in well under a second.
#   B: the application a loop drives is killed: the remaining items fail at
#      once with "the window ... was closed" (by id) and "... and its
#      program (pid N) has ended" (by title), not after their 5 s timeouts,
#      and only the first failure saves a screenshot.
#   C: two windows match a title: the error lists both; pick: top takes
#      the one on top and says so.
#   D: a title that matches nothing: the error lists the open windows.
#   E: ui.type verify: true - the date field keeps 10 characters of 16
#      (GTK's max length drops the rest silently): the step fails naming
#      what the field shows; a text the field takes passes.
#   F: a target with no accessibility bus anywhere (none on the display,
#      no session bus): the step fails saying so, and the run prints its
#      summary - libatspi would have ended the process.
. "$(dirname "$0")/lib.sh"

APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"
export NO_AT_BRIDGE=1 GTK_IM_MODULE=gtk-im-context-simple

# start_app TITLE [ARGS...]: the stand-in on $DISPLAY_NUM; sets app_pid.
start_app() {
	_title=$1
	shift
	DISPLAY=$DISPLAY_NUM "$APP" --title "$_title" --out "$T/out.csv" "$@" \
		2>>"$T/app.log" &
	app_pid=$!
	at_exit "kill $app_pid 2>/dev/null"
}

# --- A: the X server ends ---------------------------------------------------
start_xvfb
doomed_display=$DISPLAY_NUM
start_app "支出伝票入力 A"
cat > "$T/a.yaml" <<'Y'
name: failfast_a
requires: [display]
params:
  xpid: { type: string, required: true }
steps:
  - id: app
    ui.window: { title: "^支出伝票入力 A$", activate: true, timeout: 20 }
  - for_each: "${[1, 2, 3, 4, 5]}"
    as: n
    steps:
      - if: "${n == 3}"
        exec: { argv: [kill, "${params.xpid}"] }
      - ui.window: { id: "${steps.app.output.id}", activate: true, timeout: 5 }
      - ui.type: "item${n}"
      - ui.key: ctrl+a BackSpace
Y
xpid=$(tr -d ' \n' < "/tmp/.X${doomed_display#:}-lock")
t_a=$(now_ms)
ui_run a "$T/a.yaml" --param "xpid=$xpid"
check "A: the run fails" 1 "$rc"
check "A: the summary counts the items" "2 3" \
	"$(jget "$T/a.out" '"\(.items.succeeded) \(.items.failed)"')"
err=$(jget "$T/a.out" '.items.failures[0].error')
case "$err" in
*"a.yaml:13:9: ui.window: the display $doomed_display went away"*) ;;
*) fail "A: unclear error: $err" ;;
esac
[ "$elapsed" -lt 5000 ] || fail "A: the run took $elapsed ms after the display went"
echo "ok: A: the display went after 2 items; summary printed in $elapsed ms: $err"

# --- the other parts share one display -------------------------------------
start_xvfb

# --- B: the application is killed -----------------------------------------
start_app "支出伝票入力 B"
b_pid=$app_pid
cat > "$T/b.yaml" <<'Y'
name: failfast_b
requires: [display]
params:
  apid: { type: string, required: true }
steps:
  - id: app
    ui.window: { title: "^支出伝票入力 B$", activate: true, timeout: 20 }
  - for_each: "${[1, 2, 3, 4, 5]}"
    as: n
    steps:
      - if: "${n == 3}"
        exec: { argv: [sh, -c, 'kill $0; while kill -0 $0 2>/dev/null; do sleep 0.05; done', "${params.apid}"] }
      - ui.window: { id: "${steps.app.output.id}", activate: true, timeout: 5 }
      - ui.type: "item${n}"
      - ui.key: ctrl+a BackSpace
  - for_each: "${[1, 2]}"
    as: n
    steps:
      - ui.window: { title: "^支出伝票入力 B$", timeout: 5 }
Y
ui_run b "$T/b.yaml" --param "apid=$b_pid"
check "B: the run fails" 1 "$rc"
check "B: the first loop" "2 3" \
	"$(jget "$T/b.out" '"\(.steps[1].items.succeeded) \(.steps[1].items.failed)"')"
err=$(jget "$T/b.out" '.items.failures[0].error')
case "$err" in
*"b.yaml:13:9: ui.window: the window "[0-9]*" '支出伝票入力 B' was closed (screenshot: "*) ;;
*) fail "B: unclear error: $err" ;;
esac
err=$(jget "$T/b.out" '.items.failures[1].error')
case "$err" in
*"ui.window: the window "[0-9]*" '支出伝票入力 B' was closed") ;;
*) fail "B: the second failure is not short: $err" ;;
esac
err=$(jget "$T/b.out" '.items.failures[3].error')
case "$err" in
*"b.yaml:19:9: ui.window: the window "[0-9]*" '支出伝票入力 B' was closed and its program (pid $b_pid) has ended") ;;
*) fail "B: unclear error by title: $err" ;;
esac
check "B: one screenshot, for the first failure" 1 \
	"$(jget "$T/b.out" '.artifacts | length')"
[ "$elapsed" -lt 5000 ] || fail "B: the run took $elapsed ms, as if it waited"
echo "ok: B: 5 items after the kill failed in $elapsed ms in all: $err"

# --- C: two windows match ---------------------------------------------------
start_app "財務会計システム 支出伝票入力 1"
c1=$app_pid
start_app "財務会計システム 支出伝票入力 2"
c2=$app_pid
cat > "$T/c.yaml" <<'Y'
name: failfast_c
requires: [display]
steps:
  - ui.wait_window: { title: "入力 1$", timeout: 20 }
  - ui.wait_window: { title: "入力 2$", timeout: 20 }
  - ui.window: { title: "^財務会計システム 支出伝票入力", timeout: 5 }
Y
ui_run c "$T/c.yaml"
check "C: the run fails" 1 "$rc"
err=$(jget "$T/c.out" .error)
case "$err" in
*"c.yaml:6:5: ui.window: 2 windows match title matching '^財務会計システム 支出伝票入力': '財務会計システム 支出伝票入力 "[12]"' ("[0-9]*", pid "[0-9]*", at "*") and '財務会計システム 支出伝票入力 "[12]"' ("*"); say which"*"pick: top"*) ;;
*) fail "C: unclear error: $err" ;;
esac
case "$err" in *"pid $c1,"*"pid $c2,"* | *"pid $c2,"*"pid $c1,"*) ;;
*) fail "C: the error does not name both: $err" ;;
esac
echo "ok: C: $err"
sed -i 's/timeout: 5 }$/timeout: 5, pick: top }/' "$T/c.yaml"
ui_run c2 "$T/c.yaml"
check "C: with pick: top the run succeeds" 0 "$rc"
grep -q "the top one of those that match (pick: top)" "$T/c2.err" ||
	fail "C: the log does not say the top one was taken: $(cat "$T/c2.err")"
echo "ok: C: pick: top took the top one and said so"

# --- D: nothing matches -----------------------------------------------------
cat > "$T/d.yaml" <<'Y'
name: failfast_d
requires: [display]
steps:
  - ui.window: { title: "^財務会計システム 支出伝票入力$", timeout: 1 }
Y
ui_run d "$T/d.yaml"
check "D: the run fails" 1 "$rc"
err=$(jget "$T/d.out" .error)
case "$err" in
*"no window with title matching '^財務会計システム 支出伝票入力\$' appeared within 1 s on display $DISPLAY_NUM (open windows: '財務会計システム 支出伝票入力 "[12]"' ("*"), '財務会計システム 支出伝票入力 "[12]"' ("*")) (screenshot: "*) ;;
*) fail "D: unclear error: $err" ;;
esac
echo "ok: D: $err"
kill $c1 $c2

# --- E: ui.type verify: true ------------------------------------------------
start_app "財務会計システム 検証"
cat > "$T/e.yaml" <<'Y'
name: failfast_e
requires: [display]
steps:
  - ui.window: { title: "^財務会計システム 検証$", activate: true, timeout: 20 }
  - ui.type: { text: "2024-04-01", verify: true }
  - ui.key: Tab
  - ui.type: { text: "株式会社さくら商事", verify: true }
  - ui.key: shift+Tab ctrl+a BackSpace
  - ui.type: { text: "2024-04-01-extra", verify: true }
Y
ui_run e "$T/e.yaml"
check "E: the run fails" 1 "$rc"
grep -q "typed 9 characters (keys, verified): 株式会社さくら商事" "$T/e.err" ||
	fail "E: the good text was not verified: $(cat "$T/e.err")"
err=$(jget "$T/e.out" .error)
case "$err" in
*"e.yaml:9:5: ui.type: the field shows '2024-04-01' (10 characters) after typing '2024-04-01-extra' (16 characters): the application did not take the text as typed (verify: true)"*) ;;
*) fail "E: unclear error: $err" ;;
esac
echo "ok: E: $err"

# --- F: no accessibility bus --------------------------------------------------
cat > "$T/f.yaml" <<'Y'
name: failfast_f
requires: [display]
steps:
  - ui.window: { title: "^財務会計システム 検証$", activate: true, timeout: 20 }
  - ui.click: { target: { role: push button, name: 登録 }, timeout: 1 }
Y
(unset DBUS_SESSION_BUS_ADDRESS AT_SPI_BUS_ADDRESS; ui_run f "$T/f.yaml"; echo "$rc" > "$T/f.rc")
check "F: the run fails, it does not end" 1 "$(cat "$T/f.rc")"
err=$(jget "$T/f.out" .error)
case "$err" in
*"f.yaml:5:5: ui.click: no accessibility bus: the display has no AT_SPI_BUS property and there is no session bus (DBUS_SESSION_BUS_ADDRESS) to ask for one"*) ;;
*) fail "F: unclear error: $err ($(tail -n 3 "$T/f.err"))" ;;
esac
echo "ok: F: $err"
