#!/bin/sh
# web_actions.sh - every web.* action against the 総務事務 stand-in
# (tests/fixtures/somu_web) in headless Chromium over chromedriver, in one
# run (one browser start):
#
#   login through the shared sub-flow (CSRF token, session cookie); the
#   frameset and its menu, a submenu opened by hovering; 旅費精算 with
#   <label>s, a date field, a radio group, checkboxes (one styled away
#   behind its label), a receipt upload, and Japanese text read back byte
#   for byte (half-width kana, ①, 髙, 𠮷) in an input and a textarea and
#   again in the system's store; the receipt opened in a new tab; an
#   overtime order refused by the server (its red error text read) and
#   then accepted, the date picked from the calendar; the paginated,
#   sortable list read as rows named by its header; a confirm() dialog
#   dismissed, then accepted; the CSV download (Shift_JIS); the rows-a-
#   page select box; a Shift_JIS form and a Shift_JIS iframe, an EUC-JP
#   search submitted with Enter; news that arrive late, waited for by
#   network quiet; back and reload; screenshots; an alert and a prompt;
#   a session that times out (the sub-flow logs in again); and a button
#   that never appears: its error names what and where, lists the nearest
#   candidates, and leaves a screenshot and the page's HTML with the typed
#   password blanked.
#
# Then the process table: nothing the run started is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web.inc"

# Twelve orders already in the store: the list has two pages.
mkdir -p "$T/somu"
jq -n '[range(1; 13) | {no: ("OT-" + (1000000 + . | tostring | .[1:])),
	emp_no: "100102", name: "佐藤 花子",
	work_date: ("2026-03-" + (30 - . | tostring)), start: "17:30",
	end: "19:00", hours: 1.5, reason: "窓口繁忙", note: "",
	status: "受付", entered_by: "s100101", entered_at: "2026-03-31T18:00:00"}]' \
	>"$T/somu/overtime.json"
# The session ends after 4 idle seconds; the script sleeps 5 to see it.
start_somu --session-timeout 4
printf 'receipt of 2026-04-10\n' >"$T/領収書.txt"


TEXT='ﾃｽﾄｶﾅ①髙𠮷 東京都千代田区'
cat >"$T/actions.yaml" <<'Y'
name: web_actions
params:
  url: { type: string, required: true }
  receipt: { type: path, required: true }
  text: { type: string, required: true }
steps:
  - id: open
    web.open: { width: 1200, height: 900 }
  - include: lib/somu_login.yaml
    with: { url: "${params.url}", page: /main, user: s100101, password: "${secrets.somu_password}" }

  # --- frames: the menu, a submenu that opens on hover --------------------
  - web.frame: menu
  - web.hover: { text: 各種申請 ▶ }
  - web.click: { text: 旅費精算, within: "#sub" }
  - web.frame: { top: true }
  - web.frame: main
  - web.wait: { label: 用務地 }

  # --- 旅費精算: labels, a date, radios, checkboxes, upload, Japanese ------
  - web.type: { label: 職員番号, text: "100105" }
  - web.type: { label: 出張日, text: "2026-04-10" }
  - web.type: { label: 用務地, text: "${params.text}" }
  - web.type: { label: 用務, text: "${params.text}\n二行目（𠮷）" }
  - web.check: { label: 自家用車 }
  - web.type: { label: 交通費（円）, text: "3200" }
  - web.check: { label: 宿泊あり }
  - web.type: { label: 宿泊費（円）, text: "9800" }
  - web.upload: { label: 領収書, path: "${params.receipt}" }
  - id: dest
    web.read: { label: 用務地, get: value }
  - id: purpose
    web.read: { label: 用務, get: value }
  - assert: { that: "${steps.dest.output.value == params.text}", message: "用務地 reads back as ${steps.dest.output.value}" }
  - assert: { that: "${steps.purpose.output.value == params.text + '\n二行目（𠮷）'}", message: "用務 reads back as ${steps.purpose.output.value}" }
  - id: date
    web.read: { label: 出張日, get: value }
  - assert: { that: "${steps.date.output.value == '2026-04-10'}" }
  - id: agreed_before
    web.read: { label: 上記の内容に相違ありません, get: checked }
  - web.check: { label: 上記の内容に相違ありません }
  - id: agreed
    web.read: { label: 上記の内容に相違ありません, get: checked }
  - assert: { that: "${not steps.agreed_before.output.value and steps.agreed.output.value}" }
  - web.click: { role: button, name: 申請する }
  - id: travel_no
    web.read: { css: "#receipt-no" }

  # --- the receipt in a new tab -------------------------------------------
  - web.goto: /travel/list
  - web.click: { text: 表示, within: { css: tr, text: "${steps.travel_no.output.value}", match: contains } }
  - id: tab
    web.tab: new
  - id: file
    web.read: { css: "#file" }
  - assert: { that: "${steps.file.output.value == '領収書.txt'}", message: "the receipt tab shows ${steps.file.output.value}" }
  - web.tab: { close: true }
  - id: back_in_list
    web.exists: { css: "#list" }
  - assert: { that: "${steps.back_in_list.output.exists}" }

  # --- 時間外勤務命令: refused, then accepted; the calendar ----------------
  - web.goto: /overtime/new
  - web.type: { label: 職員番号, text: "100103" }
  - web.type: { label: 勤務日, text: "2026-04-01" }
  - web.click: カレンダー
  - web.click: { text: "15", within: "#cal" }
  - web.wait: { css: "#cal", gone: true }
  - id: picked
    web.read: { label: 勤務日, get: value }
  - assert: { that: "${steps.picked.output.value == '2026-04-15'}", message: "the calendar gave ${steps.picked.output.value}" }
  - web.type: { label: 開始時刻, text: "20:00" }
  - web.type: { label: 終了時刻, text: "18:00" }
  - web.select: { label: 事由, option: 議会対応 }
  - web.type: { label: 備考, text: "${params.text}" }
  - web.click: 確認
  - id: refused
    web.read: { css: "#errors" }
  - assert: { that: "${'終了時刻は開始時刻より後の時刻を入力してください' in steps.refused.output.value}", message: "the page said ${steps.refused.output.value}" }
  - web.type: { label: 終了時刻, text: "21:30", clear: true }
  - web.click: 確認
  - web.click: 登録
  - id: ot_no
    web.read: { css: "#receipt-no" }
  - assert: { that: "${steps.ot_no.output.value == 'OT-000013'}", message: "receipt ${steps.ot_no.output.value}" }

  # --- the list: pages, sorting, a dialog, the CSV, rows a page ------------
  - web.goto: /overtime/list
  - id: page1
    web.read: { css: "#list", get: table }
  - web.click: 次へ
  - id: page2
    web.read: { css: "#list", get: table }
  - web.back:
  - web.reload:
  - id: again1
    web.read: { css: "#list", get: table }
  - web.click: { role: link, name: 勤務日 }
  - web.wait: { css: "th.asc" }
  - id: by_date
    web.read: { css: "#list", get: table }
  - web.click: { text: 取消, within: { css: tr, text: OT-000003, match: contains } }
  - id: dismissed
    web.dialog: dismiss
  - web.click: { text: 取消, within: { css: tr, text: OT-000003, match: contains } }
  - web.dialog: accept
  - web.wait: { text: 取消, within: { css: tr, text: OT-000003, match: contains }, nth: -1 }
  - id: csv
    web.download: CSV出力
  - id: rows
    csv.read: { path: "${steps.csv.output.path}", encoding: shift_jis }
  - web.select: { css: "select[name=per]", option: "50" }
  - web.wait: { text: 全13件（1/1ページ）, match: contains }
  - id: all
    web.read: { css: "#list", get: table }
  - id: shot
    web.screenshot: { css: "#list" }

  # --- Shift_JIS and EUC-JP ----------------------------------------------------
  - web.goto: /leave
  - id: charset
    web.eval: { expr: document.characterSet }
  - web.type: { label: 職員番号, text: "100103" }
  - web.select: { label: 休暇の種類, option: 夏季休暇 }
  - web.type: { xpath: "//input[@name='from']", text: "2026-08-10" }
  - web.type: { xpath: "//input[@name='to']", text: "2026-08-12" }
  - web.type: { label: 理由, text: "ｶﾅ①髙橋～家族旅行" }
  - web.click: 申請
  - id: leave_no
    web.read: { css: "#receipt-no" }
  - web.goto: /kinmu
  - web.type: { label: 氏名, text: 山田, method: keys }
  - web.key: { keys: Enter, label: 氏名 }
  - web.wait: { css: "#result" }
  - id: found
    web.read: { css: "#result", get: table }

  # --- late news, network quiet, a Shift_JIS iframe ---------------------------
  - web.goto: /home
  - id: quiet
    web.wait: { network_quiet: 0.3, timeout: 15 }
  - id: loaded
    web.exists: { css: "#news.loaded" }
  - assert: { that: "${steps.loaded.output.exists}", message: "network quiet came before the news" }
  - web.reload:
  - id: late
    web.wait: { text: 新着のお知らせ, match: contains }
  - web.frame: board
  - id: board
    web.read: { css: "#board", get: table }
  - web.frame: { parent: true }

  # --- an alert and a prompt ---------------------------------------------------
  - web.eval: { expr: "setTimeout(() => alert('保存しました'), 0)" }
  - id: alert
    web.dialog:
  - web.eval: { expr: "setTimeout(() => { document.title = prompt('差戻しの理由は？', '') }, 0)" }
  - id: prompt
    web.dialog: { text: "記載誤り（髙橋）" }
  - id: answered
    web.eval: { expr: document.title }

  # --- the session times out: the sub-flow logs in again ---------------------
  - sleep: 5
  - include: lib/somu_login.yaml
    with: { url: "${params.url}", page: /overtime/new, user: s100101, password: "${secrets.somu_password}" }
  - id: relogged
    web.exists: { label: 事由 }

  # --- a button that never appears, on a page with a typed password ----------
  - web.goto: /login
  - web.type: { label: パスワード, text: "${secrets.somu_password}" }
  - id: missing
    web.click: { text: ログインする, timeout: 1 }
    on_error: continue
  - id: stats
    web.close:
output:
  travel_no: "${steps.travel_no.output.value}"
  dialog: "${steps.dismissed.output.message}"
  page1: "${steps.page1.output.rows}"
  page2: "${steps.page2.output.rows}"
  again1: "${steps.again1.output.rows}"
  header: "${steps.page1.output.header}"
  by_date_first: "${steps.by_date.output.rows[0]}"
  csv: "${steps.rows.output.rows}"
  csv_name: "${steps.csv.output.name}"
  all: "${steps.all.output.count}"
  shot: "${steps.shot.output.path}"
  charset: "${steps.charset.output.value}"
  leave_no: "${steps.leave_no.output.value}"
  found: "${steps.found.output.rows}"
  quiet_ms: "${steps.quiet.output.waited_ms}"
  board: "${steps.board.output.rows}"
  relogged: "${steps.relogged.output.exists}"
  missing: "${steps.missing.error}"
  alert: "${steps.alert.output.message}"
  prompt: "${steps.prompt.output.message}"
  answered: "${steps.answered.output.value}"
  stats: "${steps.stats.output}"
Y
# The shared sub-flow, beside the script as includes must be.
mkdir -p "$T/lib"
cp "$KOBITO_TOP/scripts/lib/somu_login.yaml" "$T/lib/"

web_run "$T/actions.yaml" --json --secrets "$T/secrets.yaml" \
	--param "url=$SOMU_URL" --param "receipt=$T/領収書.txt" \
	--param "text=$TEXT" \
	--artifacts "$T/art" >"$T/out.json" 2>"$T/run.log"
rc=$?
[ $rc -eq 0 ] || { cat "$T/run.log" >&2; fail "the run failed (exit $rc)"; }
out() { jq -r "$1" "$T/out.json"; }

# --- what arrived in the system's store, field by field --------------------------
tr_rec() { jq -r ".[0].$1" "$T/somu/travel.json"; }
check "travel: number" "$(out .output.travel_no)" "$(tr_rec no)"
check "travel: employee" "100105" "$(tr_rec emp_no)"
check "travel: name (outside the BMP)" "𠮷田 三郎" "$(tr_rec name)"
check "travel: date" "2026-04-10" "$(tr_rec trip_date)"
check "travel: destination, byte for byte" "$TEXT" "$(tr_rec destination)"
check "travel: purpose, byte for byte (a form sends CR LF)" \
	"$(printf '%s\r\n二行目（𠮷）' "$TEXT")" "$(tr_rec purpose)"
check "travel: transport" "自家用車" "$(tr_rec transport)"
check "travel: total" "13000" "$(tr_rec total)"
check "travel: stay" "true" "$(tr_rec stay)"
check "travel: receipt name" "領収書.txt" "$(tr_rec receipt)"
cmp -s "$T/領収書.txt" "$T/somu/receipts/$(tr_rec no)-領収書.txt" ||
	fail "the uploaded receipt differs from the file"
ot() { jq -r ".[] | select(.no == \"$1\") | .$2" "$T/somu/overtime.json"; }
check "overtime: employee" "100103" "$(ot OT-000013 emp_no)"
check "overtime: date from the calendar" "2026-04-15" "$(ot OT-000013 work_date)"
check "overtime: times" "20:00-21:30" "$(ot OT-000013 start)-$(ot OT-000013 end)"
check "overtime: reason" "議会対応" "$(ot OT-000013 reason)"
check "overtime: note, byte for byte" "$TEXT" "$(ot OT-000013 note)"
check "overtime: the refused entry was not stored" 13 \
	"$(jq length "$T/somu/overtime.json")"
check "overtime: cancelled through the dialog" "取消" "$(ot OT-000003 status)"
check "overtime: the dismissed dialog cancelled nothing else" 1 \
	"$(jq '[.[] | select(.status == "取消")] | length' "$T/somu/overtime.json")"
check "the dialog's text" "受付番号 OT-000003 を取り消しますか？" "$(out .output.dialog)"
lv() { jq -r ".[0].$1" "$T/somu/leave.json"; }
check "Shift_JIS page: its charset" "Shift_JIS" "$(out .output.charset)"
check "Shift_JIS form: number" "$(out .output.leave_no)" "$(lv no)"
check "Shift_JIS form: reason typed and decoded" "ｶﾅ①髙橋～家族旅行" "$(lv reason)"
check "Shift_JIS form: kind" "夏季休暇" "$(lv kind)"
check "Shift_JIS form: period" "2026-08-10..2026-08-12" "$(lv from)..$(lv to)"

# --- what the run read ---------------------------------------------------------------
check "table: header cells name the fields" \
	'["受付番号","職員番号","氏名","勤務日","開始","終了","時間","事由","状態","操作"]' \
	"$(out '.output.header | tojson')"
check "table: page 1 has 10 rows" 10 "$(out '.output.page1 | length')"
check "table: page 2 has the other 3" "OT-000011 OT-000012 OT-000013" \
	"$(out '[.output.page2[]."受付番号"] | join(" ")')"
check "table: a row's fields" "佐藤 花子|2026-03-29|1.50|窓口繁忙" \
	"$(out '.output.page1[0] | "\(."氏名")|\(."勤務日")|\(."時間")|\(."事由")"')"
check "back and reload: page 1 again" "$(out '.output.page1 | tojson')" \
	"$(out '.output.again1 | tojson')"
check "sorted by 勤務日: the earliest first" "OT-000012" \
	"$(out '.output.by_date_first."受付番号"')"
check "CSV download: its name" "overtime.csv" "$(out .output.csv_name)"
check "CSV download: 13 rows, read as Shift_JIS" 13 "$(out '.output.csv | length')"
check "CSV download: the new order" "OT-000013,100103,髙橋 一郎,2026-04-15" \
	"$(out '.output.csv[-1] | "\(."受付番号"),\(."職員番号"),\(."氏名"),\(."勤務日")"')"
check "CSV download: what Shift_JIS lacks is written 〓, as the system does" \
	"ﾃｽﾄｶﾅ①髙〓 東京都千代田区" "$(out '.output.csv[-1]."備考"')"
check "50 rows a page: all 13" 13 "$(out .output.all)"
check "EUC-JP search: found by name" "100101 山田 太郎 総務課" \
	"$(out '.output.found[] | "\(."職員番号") \(."氏名") \(."所属")"')"
check "Shift_JIS iframe: a notice" "①年度初めの事務手続について（髙橋）" \
	"$(out '.output.board[0]."件名"')"
[ "$(out .output.quiet_ms)" -ge 600 ] ||
	fail "network quiet came after $(out .output.quiet_ms) ms, before the slow news"
check "after the session timed out, the sub-flow logged in again" true \
	"$(out .output.relogged)"
check "two logins in the stand-in's log" 2 "$(grep -c 'POST /login -> 303' "$T/somu.log")"
head -c 8 "$(out .output.shot)" | od -An -c | grep -q 'P   N   G' ||
	fail "the element screenshot is not a PNG"

check "the alert's text" "保存しました" "$(out .output.alert)"
check "the prompt's text" "差戻しの理由は？" "$(out .output.prompt)"
check "the prompt's answer reached the page" "記載誤り（髙橋）" "$(out .output.answered)"

# --- the failure: what, where, candidates, artifacts, no password ------------------------
err=$(out .output.missing)
echo "error: $err"
case $err in
*"an element with the text 'ログインする' did not appear within 1 s on $SOMU_URL/login"*) ;;
*) fail "the error does not say what and where: $err" ;;
esac
case $err in *'nearest: "ログイン" (input[type=submit])'*) ;;
*) fail "the error does not list the nearest candidate first: $err" ;; esac
shot=$(printf '%s' "$err" | sed -n 's/.*(screenshot: \([^,]*\), page: \([^)]*\)).*/\1/p')
page=$(printf '%s' "$err" | sed -n 's/.*(screenshot: \([^,]*\), page: \([^)]*\)).*/\2/p')
[ -s "$shot" ] && head -c 8 "$shot" | od -An -c | grep -q 'P   N   G' ||
	fail "no failure screenshot at '$shot'"
[ -s "$page" ] || fail "no failure page at '$page'"
grep -q 'type="password" name="password" size="16" value=""' "$page" ||
	fail "the saved page does not show the password field blanked: $(grep -o '<input type="password"[^>]*>' "$page")"
grep -q 'name="user_id"' "$page" || fail "the saved page is not the login form"
# Nor any form of it (encoded, escaped, or 8 characters of it in a row).
secret_forms "$SOMU_PASSWORD" >"$T/forms"
grep -a -F -f "$T/forms" "$T/out.json" "$T/run.log" >"$T/hit" &&
	fail "the password appears in the output or the log: $(head -c 300 "$T/hit")"
grep -r -a -F -f "$T/forms" "$T/art" >"$T/hit" &&
	fail "the password appears in an artifact: $(head -c 300 "$T/hit")"
echo "ok: no form of the password in the output, the log or the artifacts"
check "the typed password is logged as a secret, each time" 3 \
	"$(grep -c "typed a secret into the field labelled 'パスワード'" "$T/run.log")"

# --- overhead and the process table -----------------------------------------------------
echo "stats: $(out '.output.stats | tojson')"
[ "$(out '.output.stats.steps')" -gt 80 ] || fail "too few steps counted"
check "the default browser started once" 1 "$(grep -c 'browser .default. started' "$T/run.log")"
check "no process the run started is left" "" "$(left_behind)"
check "no temporary browser directory is left" "" "$(ls "$T/tmp")"
