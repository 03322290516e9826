#!/bin/sh
# web_travel.sh - the shipped script scripts/travel_to_finance.yaml moves the
# travel claims waiting (申請中) in the 総務事務 stand-in, read off its web
# list in headless Chromium, into the legacy finance program's voucher
# screen (tests/fixtures/legacy_finance on a private Xvfb) through the
# shared sub-flow lib/finance_entry.yaml, and marks each entered claim
# 精算済 on the web.  The claim the finance screen refuses (a zero amount)
# fails alone and stays 申請中; a second run enters nothing twice.  And a
# browser asked to show itself (headless: false) opens its window on the
# run's display, where ui.* steps find it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web.inc"

APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"
start_xvfb
# lib/finance_entry.yaml finds the screen's fields on the accessibility bus.
start_a11y
export GTK_IM_MODULE=gtk-im-context-simple

mkdir -p "$T/somu"
claim() {	# no emp name date dest total status
	jq -n --arg no "$1" --arg emp "$2" --arg name "$3" --arg date "$4" \
		--arg dest "$5" --argjson total "$6" --arg st "$7" \
		'{no: $no, emp_no: $emp, name: $name, trip_date: $date,
		destination: $dest, purpose: "会議出席", transport: "公共交通機関",
		fare: $total, stay: false, hotel: 0, total: $total,
		receipt: "receipt.pdf", receipt_size: 1024, status: $st}'
}
{
	claim TR-000001 100105 "𠮷田 三郎" 2026-04-08 "仙台市（東北ブロック会議）" 22340 申請中
	claim TR-000002 100101 "山田 太郎" 2026-04-09 "横浜市" 1200 精算済
	claim TR-000003 100103 "髙橋 一郎" 2026-04-10 "千葉市" 0 申請中
	claim TR-000004 100106 "渡邉 美咲" 2026-04-13 "さいたま市" 1580 申請中
} | jq -s . >"$T/somu/travel.json"
start_somu

DISPLAY=$DISPLAY_NUM "$APP" --out "$T/vouchers.csv" 2>>"$T/app.log" &
app_pid=$!
at_exit "kill $app_pid 2>/dev/null"

SCRIPT="$KOBITO_TOP/scripts/travel_to_finance.yaml"
web_run "$SCRIPT" --display "$DISPLAY_NUM" --secrets "$T/secrets.yaml" \
	--param "url=$SOMU_URL" --json --artifacts "$T/art" >"$T/out.json" 2>"$T/run.log"
rc=$?
[ $rc -eq 1 ] || { tail -n 30 "$T/run.log" >&2; fail "the run exited $rc, not 1 (partial)"; }
out() { jq -r "$1" "$T/out.json"; }
check "three claims waiting" 3 "$(out .output.claims)"
check "items" "2 succeeded, 1 failed" \
	"$(out '"\(.items.succeeded) succeeded, \(.items.failed) failed"')"
check "the zero amount failed in the finance screen" 1 \
	"$(out '[.items.failures[] | select(.index == 1 and (.error | contains("入力エラー")))] | length')"
printf '2026-04-08,𠮷田 三郎,4800,22340,旅費 仙台市（東北ブロック会議） (TR-000001)\r\n2026-04-13,渡邉 美咲,4800,1580,旅費 さいたま市 (TR-000004)\r\n' >"$T/expected.csv"
cmp -s "$T/expected.csv" "$T/vouchers.csv" ||
	fail "the vouchers differ: $(diff "$T/expected.csv" "$T/vouchers.csv")"
echo "ok: two vouchers, byte for byte"
st() { jq -r '[.[] | "\(.no)=\(.status)"] | join(" ")' "$T/somu/travel.json"; }
check "statuses on the web" \
	"TR-000001=精算済 TR-000002=精算済 TR-000003=申請中 TR-000004=精算済" "$(st)"

# Again: only the refused claim is still waiting, and it is refused again.
web_run "$SCRIPT" --display "$DISPLAY_NUM" --secrets "$T/secrets.yaml" \
	--param "url=$SOMU_URL" --json --artifacts "$T/art2" >"$T/out2.json" 2>"$T/run2.log"
check "second run: one claim waiting" 1 "$(jq -r .output.claims "$T/out2.json")"
check "second run: nothing entered twice" 2 "$(wc -l <"$T/vouchers.csv")"
check "no process the runs started is left" "" "$(left_behind)"

# A headed browser: its window is on the display, found by its title.
cat >"$T/headed.yaml" <<'Y'
name: headed
requires: [display]
params:
  url: { type: string, required: true }
steps:
  - web.open: { url: "${params.url}/login", headless: false, width: 900, height: 700 }
  - id: win
    ui.wait_window: { title: "ログイン - 総務事務システム", timeout: 20 }
  - id: shot
    web.screenshot:
output:
  title: "${steps.win.output.title}"
  width: "${steps.win.output.width}"
Y
web_run "$T/headed.yaml" --display "$DISPLAY_NUM" --param "url=$SOMU_URL" --json \
	>"$T/headed.json" 2>"$T/headed.log" || fail "the headed browser: $(tail -n 5 "$T/headed.log")"
case $(jq -r .output.title "$T/headed.json") in
"ログイン - 総務事務システム"*) ;;
*) fail "no browser window on the display: $(jq -r .output.title "$T/headed.json")" ;;
esac
echo "ok: the headed browser's window is on display $DISPLAY_NUM"
check "no process the headed run started is left" "" "$(left_behind)"
