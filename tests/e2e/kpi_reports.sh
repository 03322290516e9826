#!/bin/sh
# kpi_reports.sh - the KPI reports over HTTP, each in JSON and in CSV (byte
# order mark, header, values), on a real scheduler: a bot run by a real
# agent lands in the ledger and the current year's figures; ledger rows of
# fiscal years 2020 and 2021 (the boundary between 31 March and 1 April,
# a job retried once, a partial run with exceptions) give figures
# computed by hand here; surveys are imported from CSV; exception minutes
# are entered; refusals name what is wrong.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/kpi.yaml" <<'EOF'
fiscal_year_start: 4
utc_offset: "+09:00"
baseline: { staff_count: 2, annual_hours_per_staff: 50 }
exceptions: { minutes_per_failed_item: 10, minutes_per_failed_run: 30 }
departments:
  - code: zaisei
    name: 財政局
    children:
      - code: zaisei-keiri
        name: 経理部
        children:
          - { code: zaisei-keiri-kaikei, name: 会計課 }
  - code: shimin
    name: 市民局
input_points:
  window_days: 30
  points:
    - { id: invoice-reentry, name: 請求書の再入力, system: 財務会計, owner: zaisei-keiri-kaikei }
    - { id: address-change, name: 住所変更の転記, owner: shimin }
EOF
cat >"$T/scripts/invoices.yaml" <<'EOF'
name: invoices
title: 請求書の入力
owner: 財政局/経理部/会計課
kpi:
  manual_minutes_per_run: 5
  manual_minutes_per_item: 2
  vendor_minutes_per_run: 1
  vendor_minutes_per_item: 0.5
  replaces_inputs: [invoice-reentry]
steps:
  - log: invoices
EOF
cat >"$T/scripts/greet.yaml" <<'EOF'
name: greet
title: あいさつ
owner: 市民局
kpi: { manual_minutes_per_item: 3 }
params:
  names: { type: string, required: true }
steps:
  - for_each: ${split(params.names, ',')}
    steps:
      - log: "hello ${item}"
EOF

start_scheduler --kpi-config "$T/kpi.yaml"
ADMIN=$(admin_token)
OPERATOR=$(make_token operator oscar)
VIEWER=$(make_token viewer vera)

# GET a report: the body to $T/out, the status printed.
get() {
	curl -s -o "$T/out" -w '%{http_code}' -H "Authorization: Bearer $2" \
		"$SCHED_URL$1"
}
# The CSV line (CRLF removed) whose first field is $2, of file $1.
csv_row() { tr -d '\r' <"$1" | grep "^$2," | head -n 1; }

# --- a bot run by a real agent lands in this year's figures --------------
start_agent a1
id=$(trigger greet '"params": {"names": "a,b,c"}')
wait_final "$id" 300
check "greet succeeded" succeeded "$(job_field "$id" .state)"
check "one ledger row for the run" 1 \
	"$(sql "SELECT count(*) FROM kpi_ledger WHERE job_id = $id")"
check "3 items x 3 minutes" 9 \
	"$(sql "SELECT minutes_saved FROM kpi_ledger WHERE job_id = $id" | cut -d. -f1)"
check "overview" 200 "$(get /api/kpi/overview "$VIEWER")"
check "this year's staff hours: 9 minutes" 0.15 \
	"$(jq -r '.rows[] | select(.id == "staff_hours_saved") | .actual' "$T/out")"
check "its items" 3 "$(jq -r .totals.items_succeeded "$T/out")"

# --- fixed ledger rows in fiscal years 2020 and 2021 ---------------------
ms() { echo "$(date -d "$1" +%s)000"; }
A=$(ms 2021-03-31T23:30:00+09:00)	# FY2020
B=$(ms 2021-04-01T00:10:00+09:00)	# FY2021
C1=$(ms 2021-04-10T09:00:00+09:00)
C2=$(ms 2021-04-10T09:05:00+09:00)
digest=$(sql "SELECT digest FROM scripts WHERE name = 'invoices'")
[ -n "$digest" ] || fail "invoices is not in the catalogue"
# Written while the scheduler runs: the trigger keeps the rollups.
sqlite3 "$T/sched.db" "INSERT INTO kpi_ledger (run_id, job_id, script,
	digest, version, department, triggered_by, status, items_succeeded,
	items_failed, minutes_saved, vendor_minutes_saved, started_at,
	finished_at) VALUES
	(9001, 9001, 'invoices', '$digest', '1', '財政局/経理部/会計課',
	 'schedule:x', 'succeeded', 10, 0, 25, 6, $A - 60000, $A),
	(9002, 9002, 'invoices', '$digest', '1', '財政局/経理部/会計課',
	 'schedule:x', 'partial', 8, 2, 21, 5, $B - 60000, $B),
	(9003, 9003, 'invoices', '$digest', '1', '財政局/経理部/会計課',
	 'schedule:x', 'failed', 3, 1, 6, 1.5, $C1 - 60000, $C1),
	(9004, 9003, 'invoices', '$digest', '1', '財政局/経理部/会計課',
	 'schedule:x', 'succeeded', 4, 0, 13, 3, $C2 - 60000, $C2)" ||
	fail "cannot write the ledger rows"

# FY2021: jobs B and C (C's failed first attempt not counted): 2 runs,
# 3 attempts, items 8 + 4, minutes 21 + 13 = 34, exceptions 2 x 10 = 20,
# net 14 min = 0.233333 h, vendors 5 + 3 = 8 min = 0.133333 h.
check "overview 2021" 200 "$(get '/api/kpi/overview?year=2021' "$VIEWER")"
check "fiscal year" 2021 "$(jq -r .fiscal_year "$T/out")"
check "it starts on 1 April" 2021-04-01 "$(jq -r .from "$T/out")"
check "runs counted once per job" 2 "$(jq -r .totals.runs "$T/out")"
check "attempts" 3 "$(jq -r .totals.attempts "$T/out")"
check "items" 12 "$(jq -r .totals.items_succeeded "$T/out")"
check "net staff hours" 0.233333 "$(jq -r .totals.net_staff_hours "$T/out")"
check "exception hours" 0.333333 "$(jq -r .totals.fix_hours "$T/out")"
check "business hours" 0.133333 "$(jq -r .totals.vendor_hours "$T/out")"
check "a past year's projection is its actual" 0.233333 \
	"$(jq -r '.rows[] | select(.id == "staff_hours_saved") | .projection' "$T/out")"
# Productivity: 0.233333 h over 2 x 50 h.
check "productivity" 0.233333 \
	"$(jq -r '.rows[] | select(.id == "productivity_percent") | .actual' "$T/out")"

check "overview.csv" 200 "$(get '/api/kpi/overview.csv?year=2021' "$VIEWER")"
check "a byte order mark" "efbbbf" "$(head -c 3 "$T/out" | od -An -tx1 | tr -d ' \n')"
check "the overview's header" "ID,指標,単位,実績,年度見込み,目標,目標年度,進捗(%)" \
	"$(head -n 1 "$T/out" | tail -c +4 | tr -d '\r')"
check "a header and five KPIs, each line ending CRLF" 6 \
	"$(grep -c "$(printf '\r')\$" "$T/out")"
check "the staff-hours row" \
	"staff_hours_saved,作業削減時間,hours,0.233333,0.233333,1100000,2030,0.0" \
	"$(csv_row "$T/out" staff_hours_saved)"
# Neither point ran within 30 days of 31 March 2022.
check "the input-points row" \
	"multiple_input_points,多重入力箇所,points,2,2,0,2030,0.0" \
	"$(csv_row "$T/out" multiple_input_points)"

# FY2020 holds run A alone, finished at 23:30 on 31 March 2021.
check "overview 2020" 200 "$(get '/api/kpi/overview?year=2020' "$VIEWER")"
check "31 March is the old year" 1 "$(jq -r .totals.runs "$T/out")"
check "its minutes: 25" 0.416667 "$(jq -r .totals.net_staff_hours "$T/out")"

# Months of FY2021: April has B and C; pace 1,100,000 / 12 a month.
check "months.csv" 200 "$(get '/api/kpi/months.csv?year=2021' "$VIEWER")"
check "the months' header" \
	"月,実行件数,成功,失敗,成功率(%),処理件数,処理失敗件数,削減時間(h),例外対応時間(h),純削減時間(h),事業者負担軽減時間(h),累計純削減時間(h),目標ペース累計(h)" \
	"$(head -n 1 "$T/out" | tail -c +4 | tr -d '\r')"
# The success rate counts items: 12 done of 14 (B's 2 failed), not 2 of 2 runs.
check "April 2021" "2021-04,2,2,0,85.7,12,2,0.57,0.33,0.23,0.13,0.23,91666.67" \
	"$(csv_row "$T/out" 2021-04)"
check "May 2021" "2021-05,0,0,0,,0,0,0.00,0.00,0.00,0.00,0.23,183333.33" \
	"$(csv_row "$T/out" 2021-05)"
check "twelve months and a header" 13 "$(tr -d '\r' <"$T/out" | grep -c .)"
check "months.csv in English" 200 \
	"$(get '/api/kpi/months?year=2021&format=csv&lang=en' "$VIEWER")"
check "the English header" \
	"month,runs,succeeded,failed,success rate (%),items succeeded,items failed,staff hours saved,exception hours,net staff hours saved,business hours saved,cumulative net staff hours,target pace, cumulative hours" \
	"$(head -n 1 "$T/out" | tail -c +4 | tr -d '\r' | sed 's/"//g')"

# Departments: the 課's figures count for its 部 and 局.
check "departments.csv" 200 "$(get '/api/kpi/departments.csv?year=2021' "$VIEWER")"
check "the departments' header" \
	"部署コード,区分,部署,実行件数,成功,失敗,成功率(%),処理件数,処理失敗件数,削減時間(h),例外対応時間(h),純削減時間(h),事業者負担軽減時間(h)" \
	"$(head -n 1 "$T/out" | tail -c +4 | tr -d '\r')"
check "the 課" "zaisei-keiri-kaikei,課,財政局/経理部/会計課,2,2,0,85.7,12,2,0.57,0.33,0.23,0.13" \
	"$(csv_row "$T/out" zaisei-keiri-kaikei)"
check "its 局" "zaisei,局,財政局,2,2,0,85.7,12,2,0.57,0.33,0.23,0.13" \
	"$(csv_row "$T/out" zaisei)"
check "a 局 without runs" "shimin,局,市民局,0,0,0,,0,0,0.00,0.00,0.00,0.00" \
	"$(csv_row "$T/out" shimin)"

check "scripts.csv" 200 "$(get '/api/kpi/scripts.csv?year=2021' "$VIEWER")"
check "the scripts' header" \
	"ボット,名称,所管,実行件数,成功,失敗,成功率(%),処理件数,処理失敗件数,削減時間(h),例外対応時間(h),純削減時間(h),事業者負担軽減時間(h)" \
	"$(head -n 1 "$T/out" | tail -c +4 | tr -d '\r')"
check "the invoices row" \
	"invoices,請求書の入力,財政局/経理部/会計課,2,2,0,85.7,12,2,0.57,0.33,0.23,0.13" \
	"$(csv_row "$T/out" invoices)"

check "years.csv" 200 "$(get /api/kpi/years.csv "$VIEWER")"
check "FY2020" "2020,1,1,0,100.0,10,0,0.42,0.00,0.42,0.10,0.4" \
	"$(csv_row "$T/out" 2020)"
check "FY2021" "2021,2,2,0,85.7,12,2,0.57,0.33,0.23,0.13,0.2" \
	"$(csv_row "$T/out" 2021)"

# Input points as of the end of FY2020: invoices ran within 30 days.
check "input_points.csv" 200 "$(get '/api/kpi/input_points.csv?year=2020' "$VIEWER")"
check "the points' header" \
	"ID,多重入力箇所,システム,画面,データ,所管,解消,解消したボット,最終成功,対応ボット" \
	"$(head -n 1 "$T/out" | tail -c +4 | tr -d '\r')"
check "eliminated" \
	"invoice-reentry,請求書の再入力,財務会計,,,財政局/経理部/会計課,はい,invoices,2021-03-31T23:30:00+09:00,invoices" \
	"$(csv_row "$T/out" invoice-reentry)"
check "remaining" "address-change,住所変更の転記,,,,市民局,いいえ,,," \
	"$(csv_row "$T/out" address-change)"

# --- surveys --------------------------------------------------------------
printf '\357\273\277department,date,respondents,positive\r\nzaisei-keiri-kaikei,2021-06-01,40,30\r\n市民局,2021-07-01,60,48\r\n' >"$T/surveys.csv"
s=$(curl -s -o "$T/out" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
	-H 'Content-Type: text/csv' --data-binary @"$T/surveys.csv" \
	"$SCHED_URL/api/kpi/surveys/import")
check "import surveys" 201 "$s"
check "two rows" 2 "$(jq -r .imported "$T/out")"
printf 'department,date,respondents,positive\nzaisei,2021-06-01,10,5\nzaisei,2021-06-31,10,5\n' >"$T/bad.csv"
s=$(curl -s -o "$T/out" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
	-H 'Content-Type: text/csv' --data-binary @"$T/bad.csv" \
	"$SCHED_URL/api/kpi/surveys/import")
check "a bad survey file" 422 "$s"
check "its error names line and column" \
	"surveys.csv:3:8: date: expected YYYY-MM-DD, found '2021-06-31'" \
	"$(jq -r '.errors[0]' "$T/out")"
check "nothing of it was kept" 2 "$(sql "SELECT count(*) FROM kpi_surveys")"
out=$(api POST /api/kpi/surveys "$VIEWER" '{"department": "zaisei", "date": "2021-08-01", "respondents": 5, "positive": 5}')
check "a viewer cannot enter surveys" 403 "$(status_of "$out")"
out=$(api POST /api/kpi/surveys "$ADMIN" '{"department": "zaisei-keiri-kaikei", "date": "2021-09-01", "respondents": 50, "positive": 45}')
check "an admin enters one" 201 "$(status_of "$out")"
out=$(api POST /api/kpi/surveys "$ADMIN" '{"department": "総務局", "date": "2021-09-01", "respondents": 5, "positive": 1}')
check "an unknown department" 400 "$(status_of "$out")"
check "the refusal names it" "department: unknown department '総務局'" \
	"$(body_of "$out" | jq -r .error)"
# The latest survey of each department: (45 + 48) / (50 + 60) = 84.5 %.
check "overview 2021" 200 "$(get '/api/kpi/overview?year=2021' "$VIEWER")"
check "engagement" 84.545455 \
	"$(jq -r '.rows[] | select(.id == "engagement_percent") | .actual' "$T/out")"
check "surveys.csv" 200 "$(get '/api/kpi/surveys.csv?year=2021' "$VIEWER")"
check "the surveys' header" "ID,部署コード,部署,調査日,回答者数,肯定回答数,やりがい(%)" \
	"$(head -n 1 "$T/out" | tail -c +4 | tr -d '\r')"
check "a survey row" "市民局,2021-07-01,60,48,80.0" \
	"$(tr -d '\r' <"$T/out" | grep ',shimin,' | cut -d, -f3-)"

# --- exception minutes entered for a run replace the estimate ------------
# Only engineers of the run's department (or one above it) and admins.
ENG_KEIRI=$(make_token engineer erin)
ENG_SHIMIN=$(make_token engineer sam)
api PUT /api/users/erin "$ADMIN" '{"department": "経理部"}' >/dev/null
api PUT /api/users/sam "$ADMIN" '{"department": "市民局"}' >/dev/null
out=$(api PUT /api/kpi/runs/9002/fix_minutes "$VIEWER" '{"minutes": 45}')
check "a viewer cannot enter minutes" 403 "$(status_of "$out")"
out=$(api PUT /api/kpi/runs/9002/fix_minutes "$OPERATOR" '{"minutes": 45}')
check "nor an operator" 403 "$(status_of "$out")"
out=$(api PUT /api/kpi/runs/9002/fix_minutes "$ENG_SHIMIN" '{"minutes": 45}')
check "nor an engineer of another department" 403 "$(status_of "$out")"
body_of "$out" | jq -e '.error | test("会計課")' >/dev/null ||
	fail "the refusal does not name the run's department: $out"
out=$(api PUT /api/kpi/runs/9002/fix_minutes "$ENG_KEIRI" '{"minutes": 45}')
check "an engineer of the 部 above the run's 課 can" 200 "$(status_of "$out")"
out=$(api PUT /api/kpi/runs/424242/fix_minutes "$ENG_KEIRI" '{"minutes": 5}')
check "no such run" 404 "$(status_of "$out")"
get '/api/kpi/overview?year=2021' "$VIEWER" >/dev/null
# 34 - 45 = -11 minutes.
check "net hours after the entry" -0.183333 "$(jq -r .totals.net_staff_hours "$T/out")"

# --- refusals -------------------------------------------------------------
check "an unknown report" 404 "$(get /api/kpi/profits "$VIEWER")"
jq -e '.error | test("overview")' "$T/out" >/dev/null ||
	fail "the 404 does not list the reports: $(cat "$T/out")"
check "a bad year" 400 "$(get '/api/kpi/overview?year=twenty' "$VIEWER")"
check "a bad format" 400 "$(get '/api/kpi/overview?format=xls' "$VIEWER")"
check "no token" 401 "$(get /api/kpi/overview "")"
check "the configuration" 200 "$(get /api/kpi/config "$VIEWER")"
check "its fiscal year start" 4 "$(jq -r .fiscal_year_start "$T/out")"
check "its 2030 staff-hours target" 1100000 \
	"$(jq -r '.targets.staff_hours_saved["2030"]' "$T/out")"
# Every change above is in the audit log, with who made it.
out=$(api GET "/api/audit?limit=1000" "$ADMIN")
body_of "$out" | jq -e '[.audit[] | select(.path == "/api/kpi/runs/9002/fix_minutes"
	and .actor == "erin" and .status == 200 and .detail.minutes == 45
	and .detail.old_minutes == 20)] | length == 1' >/dev/null ||
	fail "the fix-minutes entry is not audited with the old value"
body_of "$out" | jq -e '[.audit[] | select(.path == "/api/kpi/runs/9002/fix_minutes"
	and .actor == "sam" and .status == 403)] | length == 1' >/dev/null ||
	fail "the refused entry is not audited"
echo "kpi_reports: all reports checked"
