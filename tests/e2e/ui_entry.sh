#!/bin/sh
# ui_entry.sh - vouchers read from a CSV are typed into the stand-in legacy
# finance screen (tests/fixtures/legacy_finance, GTK3) with `kobito run` and
# ui.* steps, on a private Xvfb with no window manager.
#
#   A: 20 good records, typed key by key: the app's file holds all 20, byte
#      for byte (Japanese, full-width and half-width characters, a kanji
#      outside the BMP, commas and quotes that the app must quote).
#   B: the same 20 with a full-width amount in the seventh, pasted through
#      the clipboard, with kobito in the C locale: the app shows its error
#      dialog, the script closes it and fails that item alone; the run
#      reports 19 succeeded, 1 failed, a screenshot artifact of the failure,
#      and the file holds exactly the other 19.
#   C: ui.clipboard round trip and a window screenshot.
#   D: move and resize, clicks at window coordinates (a field, then 登録 on
#      an empty form opens 入力エラー), ui.wait_closed with no arguments
#      puts the form back as the current window, and a dry run of the
#      entry script touches nothing.
. "$(dirname "$0")/lib.sh"

APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"
start_xvfb
export NO_AT_BRIDGE=1 GTK_IM_MODULE=gtk-im-context-simple

# Start the app writing to $1; it is stopped at exit or by stop_app.
start_app() {
	DISPLAY=$DISPLAY_NUM "$APP" --out "$1" 2>>"$T/app.log" &
	app_pid=$!
	at_exit "kill $app_pid 2>/dev/null"
}
stop_app() {
	kill "$app_pid" 2>/dev/null
	wait "$app_pid" 2>/dev/null
	return 0	# the app's status is that of the signal
}

cat > "$T/vouchers.csv" <<'C'
date,vendor,account,amount,purpose
2024-04-01,株式会社さくら商事,4100,120000,事務用品（コピー用紙Ａ４）
2024-04-02,有限会社やまと,4200,56800,"庁舎清掃委託, ４月分"
2024-04-03,合同会社みなと設備,5100,980,空調フィルター交換
2024-04-04,ｶﾌﾞｼｷｶﾞｲｼｬ ﾃｽﾄ,5110,1234567,半角カナの取引先
2024-04-05,東西印刷株式会社,4100,45000,"広報誌 ""まちだより"" 印刷"
2024-04-08,田中文具店,4100,3200,ボールペン（黒）１００本
2024-04-09,北海道物流株式会社,6100,450000,備品運搬〜第２庁舎
2024-04-10,一般社団法人まちづくり協会,7100,2000000,地域活性化事業 ①
2024-04-11,株式会社テクノ・ソリューションズ,8100,880000,システム保守（令和６年度）
2024-04-12,山田造園,5300,75000,公園樹木剪定
2024-04-15,㈱髙島屋外商部,4300,31500,記念品購入
2024-04-16,𠮷野家 市役所前店,4400,8800,会議用弁当 ２２食
2024-04-17,ＡＢＣ＆Ｄ株式会社,4500,150000,ＩＴ研修 受講料
2024-04-18,社会福祉法人ひまわり会,7200,600000,委託料 〒100-0001
2024-04-19,株式会社ヴァイオレット,4100,12000,トナー カートリッジ
2024-04-22,医療法人 健康会,7300,99000,健診費用～職員分
2024-04-23,(株)サンプル,4600,7700,"郵送料 ￥7,700"
2024-04-24,株式会社ぱれっと,4700,66000,ポスター製作・掲示
2024-04-25,まるまる工務店,5400,1650000,屋根修理 (南棟)
2024-04-26,ＪＲ東日本,4800,4520,出張旅費 東京⇔仙台
C
# The app writes the same five columns, quoted the same minimal way,
# with CRLF: the expected file is the input without its header.
tail -n +2 "$T/vouchers.csv" | sed 's/$/\r/' > "$T/expected_all.csv"
# B: the seventh record's amount in full-width digits, which the app refuses.
awk 'NR == 8 { sub(/,450000,/, ",４５００００,") } { print }' \
	"$T/vouchers.csv" > "$T/vouchers_bad.csv"
grep -q '４５００００' "$T/vouchers_bad.csv" || fail "could not make the bad row"
sed '7d' "$T/expected_all.csv" > "$T/expected_19.csv"

cat > "$T/enter.yaml" <<'Y'
name: enter_vouchers
title: 支出伝票入力
requires: [display]
kpi: { manual_minutes_per_item: 2 }
params:
  input: { type: path, required: true }
  method: { type: enum, choices: [keys, paste], default: keys }
steps:
  - id: rows
    csv.read: { path: "${params.input}" }
  - id: app
    ui.window: { title: "^財務会計システム 支出伝票入力$", activate: true, timeout: 20 }
  - for_each: ${steps.rows.output.rows}
    as: row
    steps:
      - ui.window: { id: "${steps.app.output.id}", activate: true, timeout: 5 }
      - ui.type: { text: "${row.date}", method: "${params.method}" }
      - ui.key: Tab
      - ui.type: { text: "${row.vendor}", method: "${params.method}" }
      - ui.key: Tab
      - ui.type: { text: "${row.account}", method: "${params.method}" }
      - ui.key: Tab
      - ui.type: { text: "${row.amount}", method: "${params.method}" }
      - ui.key: Tab
      - ui.type: { text: "${row.purpose}", method: "${params.method}" }
      - ui.key: Return
      # A good form asks 登録しますか？; a bad one shows 入力エラー instead.
      - ui.wait_window: { title: "^確認$", timeout: 2 }
        on_error:
          - ui.wait_window: { title: "^入力エラー$", timeout: 2 }
          - ui.key: Return
          - ui.wait_closed: { title: "^入力エラー$", timeout: 5 }
          # Empty the form for the next record: back to 日付, clear all five.
          - ui.window: { id: "${steps.app.output.id}", activate: true, timeout: 5 }
          - ui.key: { keys: "shift+Tab", repeat: 3 }
          - ui.key: { keys: "ctrl+a BackSpace Tab", repeat: 5 }
          - ui.key: { keys: "shift+Tab", repeat: 5 }
          - fail: "the form refused record ${loop.index + 1}: ${error.message}"
      - ui.key: Return
      - ui.wait_closed: { title: "^確認$", timeout: 5 }
Y
"$KOBITO" validate "$T/enter.yaml" > "$T/validate" 2>&1 ||
	fail "the script does not validate: $(cat "$T/validate")"

# --- A: 20 good records, key by key ---------------------------------------
start_app "$T/out_a.csv"
"$KOBITO" run "$T/enter.yaml" --display "$DISPLAY_NUM" --artifacts "$T/art-a" \
	--param "input=$T/vouchers.csv" --json > "$T/a.out" 2> "$T/a.err"
rc=$?
[ $rc -eq 0 ] || fail "run A exited $rc: $(tail -n 20 "$T/a.err")"
check "A: status" succeeded "$(jget "$T/a.out" .status)"
check "A: items succeeded" 20 "$(jget "$T/a.out" .items.succeeded)"
check "A: items failed" 0 "$(jget "$T/a.out" .items.failed)"
check "A: no artifacts" 0 "$(jget "$T/a.out" '.artifacts | length')"
cmp "$T/expected_all.csv" "$T/out_a.csv" ||
	fail "A: the app's file differs: $(diff "$T/expected_all.csv" "$T/out_a.csv")"
echo "ok: A: the app's file holds the 20 records byte for byte"
grep -q "typed 9 characters (keys): 株式会社さくら商事" "$T/a.err" ||
	fail "A: the run log does not record the typing: $(grep typed "$T/a.err" | head -3)"
grep -q "window [0-9]* '財務会計システム 支出伝票入力' .*activated" "$T/a.err" ||
	fail "A: the run log does not record the activation"
echo "ok: A: the run log records each ui step"
stop_app

# --- B: one bad record, pasted, in the C locale ---------------------------
start_app "$T/out_b.csv"
LC_ALL=C LANG=C "$KOBITO" run "$T/enter.yaml" --display "$DISPLAY_NUM" \
	--artifacts "$T/art-b" \
	--param "input=$T/vouchers_bad.csv" --param method=paste --json \
	> "$T/b.out" 2> "$T/b.err"
check "B: a run with a failed item exits 1" 1 $?
check "B: status" partial "$(jget "$T/b.out" .status)"
check "B: items succeeded" 19 "$(jget "$T/b.out" .items.succeeded)"
check "B: items failed" 1 "$(jget "$T/b.out" .items.failed)"
check "B: the failed item is the seventh" 6 "$(jget "$T/b.out" '.items.failures[0].index')"
err=$(jget "$T/b.out" '.items.failures[0].error')
case "$err" in
*"the form refused record 7: "*"ui.wait_window: no window with title matching '^確認\$' appeared within 2 s on display $DISPLAY_NUM (open windows: '入力エラー' ("*") (screenshot: "*".png)"*) ;;
*) fail "B: the failure does not say what happened: $err" ;;
esac
echo "ok: B: the failure names what was awaited and the screenshot"
check "B: one artifact" 1 "$(jget "$T/b.out" '.artifacts | length')"
check "B: it is a screenshot" screenshot "$(jget "$T/b.out" '.artifacts[0].kind')"
check "B: of the seventh item" 6 "$(jget "$T/b.out" '.artifacts[0].item')"
shot=$(jget "$T/b.out" '.artifacts[0].path')
case "$err" in *"(screenshot: $shot)"*) ;; *) fail "B: the error names another file" ;; esac
case "$shot" in "$T/art-b/"*) ;; *) fail "B: the screenshot is not in the artifact directory: $shot" ;; esac
[ -s "$shot" ] || fail "B: the screenshot $shot is missing"
check "B: the screenshot is a PNG" "89 50 4e 47 0d 0a 1a 0a" \
	"$(od -An -tx1 -N8 "$shot" | sed 's/^ *//')"
# Width and height, big-endian in the IHDR chunk.
check "B: the screenshot is of the whole 1280x1024 screen" \
	"00 00 05 00 00 00 04 00" "$(od -An -tx1 -j16 -N8 "$shot" | sed 's/^ *//')"
cmp "$T/expected_19.csv" "$T/out_b.csv" ||
	fail "B: the app's file differs: $(diff "$T/expected_19.csv" "$T/out_b.csv")"
echo "ok: B: the app's file holds exactly the 19 good records"

# --- C: the clipboard and a window screenshot -----------------------------
cat > "$T/clip.yaml" <<'Y'
name: clip
requires: [display]
steps:
  - set: { want: "支出伝票 ①②③ 𠮷 \"quoted\", ＡＢＣ\nline 2" }
  - ui.clipboard: { text: "${want}" }
  - id: got
    ui.clipboard: {}
  - assert:
      that: ${steps.got.output.text == want}
      message: "the clipboard holds '${steps.got.output.text}'"
  - id: shot
    ui.screenshot: { window: "^財務会計システム", name: "form.png" }
  - log: "form ${steps.shot.output.width}x${steps.shot.output.height} at ${steps.shot.output.path}"
Y
"$KOBITO" run "$T/clip.yaml" --display "$DISPLAY_NUM" --artifacts "$T/art" \
	--json > "$T/c.out" 2> "$T/c.err" ||
	fail "run C failed: $(tail -n 10 "$T/c.err")"
echo "ok: C: ui.clipboard reads back what it set"
form=$(jget "$T/c.out" '.artifacts[0].path')
case "$form" in "$T/art/"*form.png) ;; *) fail "C: screenshot path $form" ;; esac
w=$(od -An -tu1 -j16 -N4 "$form" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
h=$(od -An -tu1 -j20 -N4 "$form" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
grep -q "form ${w}x${h} at" "$T/c.err" || fail "C: the PNG is ${w}x${h}, not what was reported"
[ "$w" -lt 1280 ] && [ "$h" -lt 1024 ] && [ "$w" -gt 100 ] ||
	fail "C: a window screenshot of ${w}x${h} is not the window"
echo "ok: C: the window screenshot is ${w}x${h}"

# --- D: clicks, the current window, a dry run -----------------------------
cat > "$T/click.yaml" <<'Y'
name: click
requires: [display]
steps:
  - id: w
    ui.window: { title: "^財務会計システム", activate: true, x: 40, y: 30, width: 600, height: 320 }
  - assert:
      that: ${steps.w.output.x == 40 and steps.w.output.y == 30 and steps.w.output.width == 600}
      message: "the window is at ${steps.w.output.x},${steps.w.output.y} ${steps.w.output.width} wide"
  - ui.click: { x: 300, y: 28 }
  - ui.type: "2024-13-01"
  # 登録 sits at the right of the form, under the last field.
  - ui.click: { x: 558, y: 228 }
  - id: dlg
    ui.wait_window: { title: "^入力エラー$", timeout: 3 }
  - ui.key: Return
  - ui.wait_closed: {}
  - id: m
    ui.mouse: { op: move, x: 10, y: 20 }
  - assert:
      that: ${steps.m.output.x == 50 and steps.m.output.y == 50}
      message: "the pointer went to ${steps.m.output.x},${steps.m.output.y}"
Y
"$KOBITO" run "$T/click.yaml" --display "$DISPLAY_NUM" --artifacts "$T/art-d" \
	--json > "$T/d.out" \
	2> "$T/d.err" || fail "run D failed: $(tail -n 10 "$T/d.err")"
grep -q "window [0-9]* '入力エラー'" "$T/d.err" ||
	fail "D: the click on 登録 did not open the error dialog"
echo "ok: D: clicks at window coordinates after a resize reach their widgets"
echo "ok: D: after the dialog closed, the form was the current window again"
cp "$T/out_b.csv" "$T/out_b.before"
"$KOBITO" run "$T/enter.yaml" --display "$DISPLAY_NUM" --dry-run \
	--param "input=$T/vouchers.csv" --json > "$T/dry.out" 2> "$T/dry.err" ||
	fail "D: the dry run failed: $(tail -n 5 "$T/dry.err")"
check "D: the dry run goes through the 20 items" 20 "$(jget "$T/dry.out" .items.succeeded)"
grep -q "dry run: would type 9 characters (keys)" "$T/dry.err" ||
	fail "D: the dry run does not say what it would type"
cmp -s "$T/out_b.csv" "$T/out_b.before" || fail "D: the dry run changed the app's file"
echo "ok: D: a dry run types nothing"
stop_app
