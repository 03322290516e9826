#!/bin/sh
# ui_screen.sh - the ui.* actions that read the screen, on a private Xvfb
# with the stand-in legacy finance screen (tests/fixtures/legacy_finance).
#
#   A: ui.click_text clicks the 登録 button by its label: on an empty form
#      that opens the 入力エラー dialog; ui.wait_text waits for its message
#      日付が不正です; ui.read_text reads the form's labels, whole and in a
#      region; the 登録 label's box is cut out of a window screenshot as a
#      reference image (tests/fixtures/pngtool, no image program needed).
#   B: ui.click_image clicks that reference and the same dialog opens; a
#      copy with its colours shifted a little is still found by
#      ui.wait_image (without a click), and ui.wait_text gone: true sees the
#      dialog's text go.
#   C: a text that never appears fails after its 2 s timeout (and the
#      reading under way then) with a message naming the text, the window
#      and the display, and a screenshot.
#   D: with tolerance 0 the shifted copy is not found, in about 1 s, and
#      the error names the place that came nearest (where the reference
#      was cut) and the tolerance it would have needed (10).
#   E: the same form in a dark theme (light text on dark): ui.click_text
#      clicks its 登録 and ui.wait_text reads its dialog.
#   F: whole words: in the export dialog, ui.click_text Save clicks the
#      button Save, not the save in the file names listed above it (the
#      file is saved), and the log names the word; with contains: true the
#      first save is the one in type_save.yaml, and the output says so.
#
# The app sees only the fonts tools/deps.sh installs (deps_fonts), so
# that it draws the same pixels here as on a fresh machine.  How other
# renderings (themes, hinting, aliased fonts, fonts, dpi) are read is
# tested on committed screenshots by tests/unit/test_screenread.c.
. "$(dirname "$0")/lib.sh"

APP="$FIXTURES/legacy_finance"
PNGTOOL="$FIXTURES/pngtool"
[ -x "$APP" ] || fail "$APP is not built"
[ -x "$PNGTOOL" ] || fail "$PNGTOOL is not built"
start_xvfb
# What the screen shows, whatever fonts this machine has beyond deps.sh's.
deps_fonts
export NO_AT_BRIDGE=1 GTK_IM_MODULE=gtk-im-context-simple

DISPLAY=$DISPLAY_NUM "$APP" --out "$T/out.csv" 2>>"$T/app.log" &
app_pid=$!
at_exit "kill $app_pid 2>/dev/null"

# --- A: click a label, wait for a dialog's text, read, cut a reference ----
cat > "$T/a.yaml" <<'Y'
name: screen_a
requires: [display]
steps:
  - ui.window: { title: "^財務会計システム 支出伝票入力$", activate: true, timeout: 20 }
  - id: click
    ui.click_text: { text: "登録" }
  - ui.wait_window: { title: "^入力エラー$", timeout: 5 }
  - id: msg
    ui.wait_text: { text: "日付が不正です", timeout: 5 }
  - ui.key: Return
  - ui.wait_closed: {}
  # Away from the button, so that it is drawn without its hover colour.
  - ui.mouse: { op: move, x: 1200, y: 1000, screen: true }
  - id: all
    ui.read_text: {}
  - assert:
      that: ${contains(steps.all.output.text, "取引先") and contains(steps.all.output.text, "勘定科目コード")}
      message: "the form read as '${steps.all.output.text}'"
  - id: part
    ui.read_text: { region: [0, 0, 200, 120] }
  - assert:
      that: ${contains(steps.part.output.text, "取引先") and not contains(steps.part.output.text, "登録")}
      message: "the region read as '${steps.part.output.text}'"
  # What one reading that misses costs here (C's wait is bounded by it).
  - id: absent
    ui.wait_text: { window: "^財務会計システム", text: "承認済み", gone: true }
  - log: "ABSENT ${steps.absent.output.waited_ms}"
  - id: shot
    ui.screenshot: { window: "^財務会計システム", name: "form.png" }
  - id: label
    ui.wait_text: { text: "登 録" }
  - log: "CLICKED ${steps.click.output.x} ${steps.click.output.y} ${steps.click.output.box[0]} ${steps.click.output.box[1]} ${steps.click.output.box[2]} ${steps.click.output.box[3]}"
  - log: "MSG ${steps.msg.output.text}"
  - log: "BOX ${steps.label.output.box[0]} ${steps.label.output.box[1]} ${steps.label.output.box[2]} ${steps.label.output.box[3]} ${steps.shot.output.path}"
Y
"$KOBITO" validate "$T/a.yaml" > "$T/validate" 2>&1 ||
	fail "A: the script does not validate: $(cat "$T/validate")"
ui_run a "$T/a.yaml"
[ $rc -eq 0 ] || fail "A: run exited $rc: $(tail -n 20 "$T/a.err")"
grep -q "window [0-9]* '入力エラー'" "$T/a.err" ||
	fail "A: clicking 登録 by its text did not open the error dialog"
echo "ok: A: ui.click_text on 登録 opened 入力エラー"
check "A: the dialog's message was read" "MSG 日付が不正です" \
	"$(grep -o 'MSG .*' "$T/a.err")"
echo "ok: A: ui.read_text read the form's labels, whole and in a region"
set -- $(grep -o 'BOX .*' "$T/a.err")
[ $# -eq 6 ] || fail "A: no box for 登録: $(grep BOX "$T/a.err")"
bx=$2 by=$3 bw=$4 bh=$5 shot=$6
# The label sits near the right of the 520x300 form, below the fields.
[ "$bx" -gt 300 ] && [ "$by" -gt 150 ] && [ "$bw" -ge 16 ] && [ "$bw" -le 80 ] &&
	[ "$bh" -ge 8 ] && [ "$bh" -le 40 ] ||
	fail "A: the box of 登録 is $bx,$by ${bw}x$bh"
set -- $(grep -o 'CLICKED .*' "$T/a.err")
# Two readings of the same label may place its box a pixel apart (the
# button was under the pointer for the first).
near() { [ $(($1 - $2)) -le 2 ] && [ $(($2 - $1)) -le 2 ]; }
near "$4" "$bx" && near "$5" "$by" ||
	fail "A: the click went to the box $4,$5, not $bx,$by"
near "$2" $((bx + bw / 2)) && near "$3" $((by + bh / 2)) ||
	fail "A: the click went to $2,$3 on the screen, not the centre of $bx,$by ${bw}x$bh"
echo "ok: A: 登録 is at $bx,$by ${bw}x$bh in the window; the click went to its centre"
[ -s "$shot" ] || fail "A: no screenshot at $shot"
# The reference: the label and 4 px of button around it.
"$PNGTOOL" crop "$shot" "$T/ref.png" $((bx - 4)) $((by - 4)) $((bw + 8)) \
	$((bh + 8)) || fail "A: could not cut the reference"
# A copy whose colours are all a little off (+10 on every channel).
"$PNGTOOL" shift "$T/ref.png" "$T/ref_shifted.png" 10 ||
	fail "A: could not shift the reference"
cmp -s "$T/ref.png" "$T/ref_shifted.png" && fail "A: the shifted copy is the same"

# --- B: click the reference image -----------------------------------------
cat > "$T/b.yaml" <<'Y'
name: screen_b
requires: [display]
params:
  ref: { type: path, required: true }
  shifted: { type: path, required: true }
steps:
  - ui.window: { title: "^財務会計システム 支出伝票入力$", activate: true }
  - id: seen
    ui.wait_image: { image: "${params.shifted}", timeout: 5 }
  - id: img
    ui.click_image: { image: "${params.ref}", timeout: 5 }
  - ui.wait_window: { title: "^入力エラー$", timeout: 5 }
  - ui.key: Return
  - id: gone
    ui.wait_text: { screen: true, text: "日付が不正です", gone: true, timeout: 5 }
  - log: "IMG ${steps.img.output.box[0]} ${steps.img.output.box[1]} ${steps.img.output.difference} ${steps.seen.output.box[0]} ${steps.seen.output.box[1]} ${steps.seen.output.difference} ${steps.gone.output.found}"
Y
ui_run b "$T/b.yaml" --param "ref=$T/ref.png" --param "shifted=$T/ref_shifted.png"
[ $rc -eq 0 ] || fail "B: run exited $rc: $(tail -n 20 "$T/b.err")"
grep -q "window [0-9]* '入力エラー'" "$T/b.err" ||
	fail "B: clicking the image of 登録 did not open the error dialog"
echo "ok: B: ui.click_image on the reference opened 入力エラー"
set -- $(grep -o 'IMG .*' "$T/b.err")
check "B: the image was found where it was cut" "$((bx - 4)) $((by - 4)) 0" "$2 $3 $4"
check "B: the shifted copy was found at the same place" "$((bx - 4)) $((by - 4))" "$5 $6"
awk -v d="$7" 'BEGIN { exit !(d > 5 && d <= 24) }' ||
	fail "B: the shifted copy differs by $7 on average"
echo "ok: B: ui.wait_image found the colour-shifted copy (mean difference $7)"
check "B: the dialog's text went" false "$8"

# --- C: a text that never appears -----------------------------------------
cat > "$T/c.yaml" <<'Y'
name: screen_c
requires: [display]
steps:
  - ui.wait_text: { window: "^財務会計システム", text: "承認済み", timeout: 2 }
Y
ui_run c "$T/c.yaml"
check "C: the run fails" 1 "$rc"
# The timeout is looked at between readings, and a reading that misses
# goes on line by line and in other renderings: the wait may end up to
# about two readings late (three and 3 s are allowed).  What one costs
# here (a loaded machine, or the sanitizers, make it seconds) A measured:
# its wait for the same text gone.
read_ms=$(sed -n 's/.*ABSENT \([0-9]*\)$/\1/p' "$T/a.err")
[ -n "$read_ms" ] || fail "A: no time for a reading that misses"
[ "$elapsed" -ge 2000 ] && [ "$elapsed" -le $((2000 + 3 * read_ms + 3000)) ] ||
	fail "C: the wait took $elapsed ms, not about 2 s (a reading takes $read_ms ms)"
err=$(jget "$T/c.out" .error)
case "$err" in
*"c.yaml:4:5: ui.wait_text: text '承認済み' did not appear in window "*" '財務会計システム 支出伝票入力' on display $DISPLAY_NUM within 2 s (read: '"*"取引先"*"') (screenshot: $T/art-c/"*"failure.png)") ;;
*) fail "C: unclear error: $err" ;;
esac
echo "ok: C: failed after $elapsed ms (a reading here: $read_ms ms): $err"
shot=$(jget "$T/c.out" '.artifacts[0].path')
check "C: the failure screenshot is a PNG" "89 50 4e 47 0d 0a 1a 0a" \
	"$(od -An -tx1 -N8 "$shot" | sed 's/^ *//')"

# --- D: no tolerance, no match --------------------------------------------
cat > "$T/d.yaml" <<'Y'
name: screen_d
requires: [display]
params:
  shifted: { type: path, required: true }
steps:
  - ui.click_image: { window: "^財務会計システム", image: "${params.shifted}", tolerance: 0, timeout: 1 }
Y
ui_run d "$T/d.yaml" --param "shifted=$T/ref_shifted.png"
check "D: the run fails" 1 "$rc"
err=$(jget "$T/d.out" .error)
case "$err" in
*"ui.click_image: image '$T/ref_shifted.png' not found in window "*" on display $DISPLAY_NUM within 1 s (tolerance 0; nearest at [$((bx - 4)), $((by - 4)), $((bw + 8)), $((bh + 8))], mean difference "*", would match with tolerance 10)"*) ;;
*) fail "D: unclear error: $err" ;;
esac
echo "ok: D: $err"

# --- E: a dark theme ------------------------------------------------------
DISPLAY=$DISPLAY_NUM GTK_THEME=Adwaita:dark "$APP" --out "$T/dark.csv" \
	--title "財務会計システム 夜間" 2>>"$T/app.log" &
dark_pid=$!
at_exit "kill $dark_pid 2>/dev/null"
cat > "$T/e.yaml" <<'Y'
name: screen_e
requires: [display]
steps:
  - ui.window: { title: "^財務会計システム 夜間$", activate: true, timeout: 20 }
  - ui.click_text: 登録
  - ui.wait_window: { title: "^入力エラー$", timeout: 5 }
  - id: msg
    ui.wait_text: { text: "日付が不正です", timeout: 5 }
  - ui.key: Return
  - log: "MSG ${steps.msg.output.text}"
Y
ui_run e "$T/e.yaml"
[ $rc -eq 0 ] || fail "E: run exited $rc: $(tail -n 20 "$T/e.err")"
check "E: the dark form's dialog was read" "MSG 日付が不正です" \
	"$(grep -o 'MSG .*' "$T/e.err")"

# --- F: whole words ---------------------------------------------------------
DISPLAY=$DISPLAY_NUM "$APP" --screen files --out "$T/files.csv" \
	2>>"$T/app.log" &
files_pid=$!
at_exit "kill $files_pid 2>/dev/null"
cat > "$T/f.yaml" <<'Y'
name: screen_f
requires: [display]
steps:
  - ui.window: { title: "^財務会計システム ファイルに保存$", activate: true, timeout: 20 }
  - id: save
    ui.click_text: Save
  - id: inword
    ui.wait_text: { text: save, contains: true }
  - log: "SAVE ${steps.save.output.word} INWORD ${steps.inword.output.word}"
Y
ui_run f "$T/f.yaml"
[ $rc -eq 0 ] || fail "F: run exited $rc: $(tail -n 20 "$T/f.err")"
check "F: Save saved the file" "save,type_save.yaml,CSV (UTF-8),0" \
	"$(tr -d '\r' < "$T/files.csv")"
grep -q "clicked text 'Save' (read 'Save' in 'Save'," "$T/f.err" ||
	fail "F: the log does not name the word: $(grep clicked "$T/f.err")"
check "F: the words matched" "SAVE Save INWORD type_save.yaml" \
	"$(grep -o 'SAVE .*' "$T/f.err")"
