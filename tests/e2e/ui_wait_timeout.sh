#!/bin/sh
# ui_wait_timeout.sh - waits that cannot succeed end when their timeout
# says, with a message that names what was awaited and where, a nonzero
# exit and a screenshot - never a hang.
#
#   1. ui.wait_window for a window that never appears (timeout 2 s).
#   2. ui.wait_closed for the legacy finance window, which stays (1 s).
#   3. ui.window whose step timeout (1 s) is shorter than its own (30 s).
#   4. ui.type when no window has the keyboard focus.
. "$(dirname "$0")/lib.sh"

APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"
start_xvfb
export NO_AT_BRIDGE=1

# --- 1: a window that never appears ---------------------------------------
cat > "$T/never.yaml" <<'Y'
name: never
requires: [display]
steps:
  - ui.wait_window: { title: "^支出伝票", timeout: 2 }
Y
ui_run never "$T/never.yaml"
check "1: the run fails" 1 "$rc"
[ "$elapsed" -ge 2000 ] && [ "$elapsed" -le 6000 ] ||
	fail "1: the wait took $elapsed ms, not about 2 s"
echo "ok: 1: the wait ended after $elapsed ms"
check "1: status" failed "$(jget "$T/never.out" .status)"
err=$(jget "$T/never.out" .error)
case "$err" in
*"never.yaml:4:5: ui.wait_window: no window with title matching '^支出伝票' appeared within 2 s on display $DISPLAY_NUM (open windows: "*") (screenshot: $T/art-never/"*"failure.png)") ;;
*) fail "1: unclear error: $err" ;;
esac
echo "ok: 1: $err"
grep -q "appeared within 2 s" "$T/never.err" ||
	fail "1: the message is not on the human output"
shot=$(jget "$T/never.out" '.artifacts[0].path')
check "1: the screenshot is a PNG" "89 50 4e 47 0d 0a 1a 0a" \
	"$(od -An -tx1 -N8 "$shot" | sed 's/^ *//')"

# --- 2: a window that does not go -----------------------------------------
DISPLAY=$DISPLAY_NUM "$APP" --out "$T/out.csv" --title "支出伝票 テスト" \
	2> "$T/app.log" &
app_pid=$!
at_exit "kill $app_pid 2>/dev/null"
cat > "$T/stays.yaml" <<'Y'
name: stays
requires: [display]
steps:
  - id: w
    ui.wait_window: { title: "^支出伝票 テスト$", timeout: 20 }
  - ui.wait_closed: { id: "${steps.w.output.id}", timeout: 1 }
Y
ui_run stays "$T/stays.yaml"
check "2: the run fails" 1 "$rc"
err=$(jget "$T/stays.out" .error)
case "$err" in
*"ui.wait_closed: window with id "[0-9]*" still open after 1 s on display $DISPLAY_NUM (screenshot: "*) ;;
*) fail "2: unclear error: $err" ;;
esac
echo "ok: 2: $err"

# --- 3: the step's timeout bounds the action's ----------------------------
cat > "$T/step.yaml" <<'Y'
name: step_timeout
requires: [display]
steps:
  - ui.window: { title: "^never there$", timeout: 30 }
    timeout: 1
Y
ui_run step "$T/step.yaml"
check "3: the run fails" 1 "$rc"
[ "$elapsed" -ge 1000 ] && [ "$elapsed" -le 5000 ] ||
	fail "3: the step took $elapsed ms, not about 1 s"
echo "ok: 3: the step timeout of 1 s cut a 30 s wait after $elapsed ms"

# --- 4: typing with no focus ----------------------------------------------
# Nothing was activated and the pointer is away from every window.
pointer_to_corner() {
	cat > "$T/move.yaml" <<'Y'
name: move
requires: [display]
steps:
  - ui.mouse: { op: move, x: 1270, y: 1010, screen: true }
Y
	"$KOBITO" run "$T/move.yaml" --display "$DISPLAY_NUM" > /dev/null 2>&1 ||
		fail "4: could not move the pointer away"
}
pointer_to_corner
cat > "$T/nofocus.yaml" <<'Y'
name: nofocus
requires: [display]
steps:
  - ui.type: "2024-04-01"
Y
ui_run nofocus "$T/nofocus.yaml"
check "4: the run fails" 1 "$rc"
err=$(jget "$T/nofocus.out" .error)
case "$err" in
*"ui.type: no window has the keyboard focus"*) ;;
*) fail "4: unclear error: $err" ;;
esac
echo "ok: 4: $err"
[ ! -s "$T/out.csv" ] || fail "4: something reached the app"
