#!/bin/sh
# ui_a11y.sh - controls found by what they are (target:, the accessibility
# bus), on a private Xvfb with a private session bus, against the GTK
# stand-in (tests/fixtures/legacy_finance) and its Java Swing twin
# (tests/fixtures/LegacyFinanceSwing.java, through libatk-wrapper-java).
#
#   A: the voucher form by targets alone: five fields typed through
#      EditableText (verified through Text), one read back, 登録 and はい
#      clicked at their middles; the record arrives.
#   B: the export dialog: a combo box item chosen, a check box checked
#      twice (the second time it is checked already), a table row chosen
#      and the table read as rows, Save clicked through its Action
#      interface: the file line says it all.
#   C: a control that is not there: the error names the nearest
#      ([push button] '登録', distance 2) and the tree is saved beside the
#      screenshot; several that match: the error lists them and asks nth;
#      nth and path pick one; a typed text the field cuts is caught by
#      verify through the field's own text.
#   D: ui.wait for a dialog's button to go.
#   E: kobito ui tree prints each control with its target, and a line
#      copied from it finds its control.
#   F: the Java client, in the same script style: fields, 区分, 確認済み,
#      登録, and its table read back.
. "$(dirname "$0")/lib.sh"

APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"
[ -f "$FIXTURES/LegacyFinanceSwing.class" ] || fail "LegacyFinanceSwing is not built"
command -v java >/dev/null || fail "java is not installed (make deps)"
start_xvfb
start_a11y
export GTK_IM_MODULE=gtk-im-context-simple

# The Java client starts first: a JVM takes a few seconds.
DISPLAY=$DISPLAY_NUM java $JAVA_A11Y LegacyFinanceSwing --out "$T/java.csv" \
	>"$T/java.log" 2>&1 &
java_pid=$!
at_exit "kill $java_pid 2>/dev/null"
DISPLAY=$DISPLAY_NUM "$APP" --out "$T/out.csv" 2>>"$T/app.log" &
app_pid=$!
at_exit "kill $app_pid 2>/dev/null"
DISPLAY=$DISPLAY_NUM "$APP" --screen files --out "$T/files.csv" 2>>"$T/app.log" &
files_pid=$!
at_exit "kill $files_pid 2>/dev/null"

# --- A: the voucher form by targets ---------------------------------------
cat > "$T/a.yaml" <<'Y'
name: a11y_a
requires: [display]
steps:
  - ui.wait: { target: { window: 財務会計システム 支出伝票入力, role: push button, name: 登録 }, timeout: 20 }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力, role: text, name: 日付 }, text: "2024-04-01", verify: true }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力, role: text, name: 取引先 }, text: "株式会社さくら商事", verify: true }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力, role: text, name: 勘定科目コード }, text: "5120", verify: true }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力, role: edit, name: 金額 }, text: "12000", verify: true }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力, role: text, name: 摘要 }, text: "事務用品, \"A4\"", verify: true }
  - id: vendor
    ui.read: { target: { window: 財務会計システム 支出伝票入力, role: text, name: 取引先 } }
  - id: reg
    ui.click: { target: { window: 財務会計システム 支出伝票入力, role: button, name: 登録 } }
  - ui.click: { target: { role: push button, name: はい }, timeout: 5 }
  - ui.wait: { target: { role: push button, name: はい }, state: gone, timeout: 5 }
  - log: "VENDOR ${steps.vendor.output.text} BY ${steps.reg.output.by}"
Y
ui_run a "$T/a.yaml"
[ $rc -eq 0 ] || fail "A: run exited $rc: $(tail -n 20 "$T/a.err")"
check "A: the record arrived" '2024-04-01,株式会社さくら商事,5120,12000,"事務用品, ""A4"""' \
	"$(tr -d '\r' < "$T/out.csv")"
check "A: read back, clicked with the mouse at its middle" "VENDOR 株式会社さくら商事 BY mouse" \
	"$(grep -o 'VENDOR .*' "$T/a.err")"
grep -q "typed 9 characters (accessibility, verified): 株式会社さくら商事" "$T/a.err" ||
	fail "A: the field was not typed through the bus: $(cat "$T/a.err")"
echo "ok: A: the voucher entered by targets alone"

# --- B: the export dialog ---------------------------------------------------
cat > "$T/b.yaml" <<'Y'
name: a11y_b
requires: [display]
steps:
  - ui.select: { target: { window: 財務会計システム ファイルに保存, role: combo box }, item: "CSV (Shift_JIS)" }
  - id: c1
    ui.check: { target: { window: 財務会計システム ファイルに保存, role: check box, name: 上書きを確認する } }
  - id: c2
    ui.check: { target: { window: 財務会計システム ファイルに保存, role: checkbox, name: 上書きを確認する } }
  - ui.select: { target: { window: 財務会計システム ファイルに保存, role: table }, item: 予算登録.xlsx }
  - id: tab
    ui.table: { target: { window: 財務会計システム ファイルに保存, role: table } }
  - id: save
    ui.click: { target: { window: 財務会計システム ファイルに保存, role: push button, name: Save }, by: action }
  - log: "BY ${steps.save.output.by}"
  - log: "CHANGED ${steps.c1.output.changed} ${steps.c2.output.changed} ROWS ${length(steps.tab.output.rows)} ${steps.tab.output.columns[1]} ${steps.tab.output.records[3].名前}"
Y
ui_run b "$T/b.yaml"
[ $rc -eq 0 ] || fail "B: run exited $rc: $(tail -n 20 "$T/b.err")"
check "B: the file line" "save,予算登録.xlsx,CSV (Shift_JIS),1" \
	"$(tr -d '\r' < "$T/files.csv")"
check "B: checked once, then already; the table read" \
	"CHANGED true false ROWS 5 サイズ 支出伝票_4月.csv" \
	"$(grep -o 'CHANGED .*' "$T/b.err")"
grep -q "BY action" "$T/b.err" || fail "B: Save was not clicked through its action"
echo "ok: B: combo box, check box, table row and Save (its action) by targets"

# --- C: not there, several there, cut short ---------------------------------
cat > "$T/c.yaml" <<'Y'
name: a11y_c
requires: [display]
steps:
  - ui.click: { target: { window: 財務会計システム 支出伝票入力, role: push button, name: 登録する }, timeout: 1 }
Y
ui_run c "$T/c.yaml"
check "C: the run fails" 1 "$rc"
err=$(jget "$T/c.out" .error)
case "$err" in
*"c.yaml:4:5: ui.click: no control with role 'push button' and name '登録する' in window '財務会計システム 支出伝票入力' within 1 s; nearest: [push button] '登録' in '財務会計システム 支出伝票入力' (distance 2);"*"(tree: $T/art-c/"*"a11y-tree.txt) (screenshot: $T/art-c/"*"failure.png)") ;;
*) fail "C: unclear error: $err" ;;
esac
tree=$(jget "$T/c.out" '.artifacts[] | select(.kind == "a11y-tree") | .path')
grep -q "\[push button\] '登録'  {app: \"legacy_finance\", window: \"財務会計システム 支出伝票入力\", role: \"push button\", name: \"登録\"}" "$tree" ||
	fail "C: the tree artifact lacks the button: $(cat "$tree")"
echo "ok: C: $err"
cat > "$T/c2.yaml" <<'Y'
name: a11y_c2
requires: [display]
steps:
  - id: third
    ui.read: { target: { window: 財務会計システム 支出伝票入力, role: label, nth: 4 } }
  - id: path
    ui.read: { target: { window: 財務会計システム ファイルに保存, path: "table > table cell:88 KB" } }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力, role: text, name: 日付 }, text: "2024-04-01-extra", verify: true }
Y
ui_run c2 "$T/c2.yaml"
check "C: the run fails" 1 "$rc"
grep -q "read \[label\] '勘定科目コード': '勘定科目コード'" "$T/c2.err" ||
	fail "C: nth: 4 did not read the 4th label: $(cat "$T/c2.err")"
grep -q "read \[table cell\] '88 KB': '88 KB'" "$T/c2.err" ||
	fail "C: the path did not find the cell: $(cat "$T/c2.err")"
err=$(jget "$T/c2.out" .error)
case "$err" in
*"ui.type: the field shows '2024-04-01' (10 characters) after typing '2024-04-01-extra' (16 characters)"*) ;;
*) fail "C: verify through the bus did not catch the cut: $err" ;;
esac
cat > "$T/c3.yaml" <<'Y'
name: a11y_c3
requires: [display]
steps:
  - ui.read: { target: { window: 財務会計システム 支出伝票入力, role: text } }
Y
ui_run c3 "$T/c3.yaml"
err=$(jget "$T/c3.out" .error)
case "$err" in
*"ui.read: 5 controls match role 'text' in window '財務会計システム 支出伝票入力': [text] '"*"' in '財務会計システム 支出伝票入力' at "*"; say which with nth: (1-5, in that order) or path:"*) ;;
*) fail "C: unclear error for several: $err" ;;
esac
echo "ok: C: several match: $err"

# --- D, E: waiting, and the tree ----------------------------------------------
"$KOBITO" ui tree --display "$DISPLAY_NUM" --window 支出伝票入力 > "$T/tree.txt" 2>&1 ||
	fail "E: kobito ui tree failed: $(cat "$T/tree.txt")"
line=$(grep "^    \[push button\] '登録'" "$T/tree.txt") ||
	fail "E: no 登録 in the tree: $(cat "$T/tree.txt")"
sel=${line#*  \{}
cat > "$T/e.yaml" <<Y
name: a11y_e
requires: [display]
steps:
  - ui.click: { target: {$sel }
  - ui.wait: { target: { role: push button, name: OK }, timeout: 5 }
  - ui.click: { target: { role: push button, name: OK } }
  - id: gone
    ui.wait: { target: { role: push button, name: OK }, state: gone, timeout: 5 }
  - log: "GONE \${steps.gone.output.found}"
Y
ui_run e "$T/e.yaml"
[ $rc -eq 0 ] || fail "E: run exited $rc: $(tail -n 20 "$T/e.err")"
check "D: the dialog's button went" "GONE false" "$(grep -o 'GONE .*' "$T/e.err")"
echo "ok: E: the tree's line {$sel clicked 登録; D: its dialog came and went"

# --- F: the Java client ---------------------------------------------------------
cat > "$T/f.yaml" <<'Y'
name: a11y_f
requires: [display]
steps:
  - ui.wait: { target: { window: 財務会計システム 支出伝票入力 (Java), role: push button, name: 登録 }, timeout: 30 }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力 (Java), role: text, name: 日付 }, text: "2024-04-02", verify: true }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力 (Java), role: text, name: 取引先 }, text: "有限会社やまと", verify: true }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力 (Java), role: text, name: 勘定科目コード }, text: "5130", verify: true }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力 (Java), role: text, name: 金額 }, text: "8800", verify: true }
  - ui.type: { target: { window: 財務会計システム 支出伝票入力 (Java), role: text, name: 摘要 }, text: "出張旅費", verify: true }
  - ui.select: { target: { window: 財務会計システム 支出伝票入力 (Java), role: combo box }, item: 至急 }
  - ui.check: { target: { window: 財務会計システム 支出伝票入力 (Java), role: check box, name: 確認済み } }
  - ui.click: { target: { window: 財務会計システム 支出伝票入力 (Java), role: push button, name: 登録 } }
  - ui.wait: { target: { window: 財務会計システム 支出伝票入力 (Java), path: [table], role: label, name: 有限会社やまと }, timeout: 5 }
  - id: tab
    ui.table: { target: { window: 財務会計システム 支出伝票入力 (Java), role: table } }
  - log: "ROW ${steps.tab.output.records[0].取引先} ${steps.tab.output.records[0].金額} ${steps.tab.output.records[0].区分}"
Y
ui_run f "$T/f.yaml"
[ $rc -eq 0 ] || fail "F: run exited $rc: $(tail -n 20 "$T/f.err") $(cat "$T/java.log")"
check "F: the Java client's record" "2024-04-02,有限会社やまと,5130,8800,出張旅費,至急,1" \
	"$(tr -d '\r' < "$T/java.csv")"
check "F: its table read back" "ROW 有限会社やまと 8800 至急" "$(grep -o 'ROW .*' "$T/f.err")"
echo "ok: F: the Java client driven in the same script style"
