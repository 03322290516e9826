#!/bin/sh
# web_overtime.sh - the shipped script scripts/overtime_entry.yaml enters the
# demo's overtime order book (tools/demo/overtime_orders.csv: Shift_JIS,
# era dates, some numbers and times in full-width digits) into the 総務事務
# stand-in through headless Chromium: six orders are stored, field by field
# as the book has them, each with the receipt number the page showed; the
# two the system refuses (an end before the start, an unknown employee)
# fail as items with the page's own words; the run is partial and counts
# its minutes for the six; a dry run touches nothing.  Then the order book
# as a workbook (what the sections keep): employee numbers as numbers, date
# cells, time cells, an empty remark - entered the same.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web.inc"

start_somu
BOOK="$KOBITO_TOP/tools/demo/overtime_orders.csv"
SCRIPT="$KOBITO_TOP/scripts/overtime_entry.yaml"

web_run "$SCRIPT" --dry-run --secrets "$T/secrets.yaml" --param "input=$BOOK" \
	--param "url=$SOMU_URL" --json >"$T/dry.json" 2>"$T/dry.log" ||
	fail "the dry run failed: $(tail -n 5 "$T/dry.log")"
check "dry run: nothing stored" "" "$(ls "$T/somu" 2>/dev/null | grep json)"
check "dry run: no browser" "" "$(grep 'browser .* started' "$T/dry.log")"

web_run "$SCRIPT" --secrets "$T/secrets.yaml" --param "input=$BOOK" \
	--param "url=$SOMU_URL" --json --artifacts "$T/art" >"$T/out.json" 2>"$T/run.log"
rc=$?
[ $rc -eq 1 ] || { tail -n 30 "$T/run.log" >&2; fail "the run exited $rc, not 1 (partial)"; }
out() { jq -r "$1" "$T/out.json"; }
check "status" partial "$(out .status)"
check "items" "6 succeeded, 2 failed" \
	"$(out '"\(.items.succeeded) succeeded, \(.items.failed) failed"')"
check "minutes saved: 5 a run + 3 an order entered" 23 "$(out '.minutes_saved | floor')"
check "the refused end time fails with the page's words (item 5)" 1 \
	"$(out '[.items.failures[] | select(.index == 4 and (.error |
	contains("終了時刻は開始時刻より後の時刻を入力してください")))] | length')"
check "the unknown employee fails with the page's words (item 6)" 1 \
	"$(out '[.items.failures[] | select(.index == 5 and (.error |
	contains("職員番号 100199 は登録されていません")))] | length')"

ot() { jq -r ".[] | select(.no == \"$1\") | [.emp_no, .name, .work_date, .start, .end, .hours, .reason, .note] | join(\"|\")" "$T/somu/overtime.json"; }
check "six stored" 6 "$(jq length "$T/somu/overtime.json")"
check "OT-000001" "100101|山田 太郎|2026-04-01|17:30|19:30|2|窓口繁忙|年度初めの転入届対応" "$(ot OT-000001)"
check "OT-000002 (no remark)" "100102|佐藤 花子|2026-04-01|17:30|20:00|2.5|予算編成|" "$(ot OT-000002)"
check "OT-000003 (full-width digits in the book)" \
	"100103|髙橋 一郎|2026-04-02|18:00|21:00|3|議会対応|常任委員会資料（①～③）" "$(ot OT-000003)"
check "OT-000005 (after the two refused)" "100107|齋藤 健|2026-04-06|17:30|22:00|4.5|災害対応|大雨警報に伴う待機" "$(ot OT-000005)"
check "OT-000006 (その他, with its remark)" "100110|加藤 真由美|2026-04-07|17:30|19:00|1.5|その他|出納閉鎖に向けた照合作業" "$(ot OT-000006)"
for n in 1 2 3 4 5 6; do
	grep -q "受付番号 OT-00000$n" "$T/run.log" || fail "receipt OT-00000$n is not in the run log"
done
echo "ok: each receipt number read back"
check "no process the run started is left" "" "$(left_behind)"

# --- the order book as a workbook ----------------------------------------------------
PY=/usr/bin/python3
$PY -c 'import openpyxl' 2>/dev/null || fail "python3-openpyxl is needed (make deps)"
$PY - "$T/book.xlsx" <<'P'
import datetime, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "命令簿"
ws.append(["職員番号", "氏名", "勤務日", "開始時刻", "終了時刻", "事由", "備考"])
rows = [
    (100108, "伊藤 ゆかり", datetime.date(2026, 5, 7), datetime.time(9, 0), datetime.time(12, 30), "行事対応", "休日の市民まつり"),
    (100111, "吉田 翔太", datetime.date(2026, 5, 8), datetime.time(17, 30), datetime.time(19, 45), "選挙事務", None),
]
for r in rows:
    ws.append(list(r))
for row in ws.iter_rows(min_row=2):
    row[2].number_format = "yyyy/mm/dd"
    row[3].number_format = "h:mm"
    row[4].number_format = "h:mm"
wb.save(sys.argv[1])
P
web_run "$SCRIPT" --secrets "$T/secrets.yaml" --param "input=$T/book.xlsx" \
	--param "url=$SOMU_URL" --json --artifacts "$T/art2" >"$T/out2.json" 2>"$T/run2.log" ||
	fail "the workbook run failed: $(tail -n 20 "$T/run2.log")"
check "workbook: items" "2 succeeded, 0 failed" \
	"$(jq -r '"\(.items.succeeded) succeeded, \(.items.failed) failed"' "$T/out2.json")"
check "workbook: OT-000007 (date and time cells)" \
	"100108|伊藤 ゆかり|2026-05-07|09:00|12:30|3.5|行事対応|休日の市民まつり" "$(ot OT-000007)"
check "workbook: OT-000008 (an empty remark)" \
	"100111|吉田 翔太|2026-05-08|17:30|19:45|2.25|選挙事務|" "$(ot OT-000008)"
check "no process the workbook run started is left" "" "$(left_behind)"
