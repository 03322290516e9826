#!/bin/sh
# report.sh - `make bench-report`: the managers' KPI reports over HTTP with
# a large ledger.
#
# 1,000,000 ledger rows over the last three fiscal years, 200 scripts in 40
# departments (課), are written straight into a scheduler database with
# SQL in one transaction (the ledger's trigger keeps the monthly rollup, as
# it does for runs).  Then a scheduler serves that database, and each
# report is asked for 31 times; the figure is the median server time, as
# the scheduler reports it in its Server-Timing header (reading the
# database and building the report).  The median time to the first byte
# seen by the client on loopback (curl's starttransfer) is printed beside
# it as http_*_ms, and ledger_scan_ms is what summing this year straight
# from the ledger takes (what the rollup saves).  The goal is 100 ms or
# less for the overview and each breakdown.
#
# Prints: bench report: rows=1000000 overview_ms=... by_department_ms=...
#         by_script_ms=... by_month_ms=... (and the other reports, the
#         load time and whether every figure met the goal)
set -eu

NAME=report
. "$(dirname "$0")/sched.inc"
ROWS=${BENCH_ROWS:-1000000}
REPEAT=${BENCH_REPEAT:-31}

# Forty 課 under four 局 and eight 部 (sched.inc).
{
	echo "fiscal_year_start: 4"
	forty_departments
	echo "input_points:"
	echo "  points:"
	for p in $(seq 0 9); do
		echo "    - { id: p$p, name: 多重入力$p, owner: b1 }"
	done
} >"$T/kpi.yaml"

# The schema, by the scheduler's own migrations.
head -c 24 /dev/urandom | base64 >"$T/pw"
"$SCHED" user set --db "$T/sched.db" --name bench --role admin \
	--password-file "$T/pw" 2>/dev/null

# The last three fiscal years, from 1 April two years before this one.
fy=$(TZ=Asia/Tokyo date +%Y)
[ "$(TZ=Asia/Tokyo date +%m)" -ge 4 ] || fy=$((fy - 1))
from=$(date -d "$((fy - 2))-04-01T00:00:00+09:00" +%s)
now=$(date +%s)
span=$((now - from))

start=$(date +%s.%N)
sqlite3 "$T/sched.db" <<EOF
.output /dev/null
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE bs (k INTEGER PRIMARY KEY, dept TEXT);
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 199)
INSERT INTO bs SELECT k, 'b' || (k % 4 + 1) || '-d' || ((k / 4) % 2 + 1)
	|| '-s' || ((k / 8) % 5 + 1) FROM n;
INSERT INTO script_versions (digest, name, version, title, owner, requires,
	secrets, describe, manual_per_run, manual_per_item, vendor_per_run,
	vendor_per_item, source, origin, created_at)
SELECT 'digest' || k, 'bot' || k, '1', 'ボット ' || k, dept, '[]', '[]',
	'{"kpi": {"replaces_inputs": ["p' || (k % 20) || '"]}}', 5, 2, 1, 0.5,
	'name: bot' || k, 'api', $from * 1000 FROM bs;
INSERT INTO scripts (name, digest, origin, updated_at)
SELECT 'bot' || k, 'digest' || k, 'api', $from * 1000 FROM bs;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO kpi_ledger (run_id, job_id, script, digest, version, department,
	triggered_by, status, items_succeeded, items_failed, minutes_saved,
	vendor_minutes_saved, started_at, finished_at)
SELECT i, i - (i % 50 = 1), 'bot' || (i % 200), 'digest' || (i % 200), '1',
	bs.dept, 'schedule:bench',
	CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 7 = 0 THEN 'partial'
	ELSE 'succeeded' END,
	i % 13, i % 7 = 0, 5 + 2 * (i % 13), 1 + 0.5 * (i % 13),
	($from + i * ($span / $ROWS)) * 1000 - 60000,
	($from + i * ($span / $ROWS)) * 1000
FROM n JOIN bs ON bs.k = i % 200;
COMMIT;
EOF
load=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM kpi_ledger")
[ "$n" -eq "$ROWS" ] || { echo "bench report: $n rows, not $ROWS" >&2; exit 1; }

start_scheduler
TOKEN=$("$SCHED" token create --db "$T/sched.db" --role viewer --name bench-viewer 2>/dev/null)

# GET $1 $REPEAT times: "SERVER_MS HTTP_MS" medians.
measure() {
	: >"$T/server"
	: >"$T/client"
	j=0
	while [ $j -lt "$REPEAT" ]; do
		code=$(curl -s -D "$T/headers" -o "$T/body" \
			-w '%{http_code} %{time_starttransfer}' \
			-H "Authorization: Bearer $TOKEN" "$URL$1")
		[ "${code%% *}" = 200 ] || {
			echo "bench report: $1 answered $code: $(cat "$T/body")" >&2
			exit 1
		}
		tr -d '\r' <"$T/headers" |
			sed -n 's/^Server-Timing: report;dur=//p' >>"$T/server"
		echo "${code#* }" | awk '{ printf "%.3f\n", $1 * 1000 }' >>"$T/client"
		j=$((j + 1))
	done
	[ "$(wc -l <"$T/server")" -eq "$REPEAT" ] || {
		echo "bench report: $1 has no Server-Timing header" >&2
		exit 1
	}
	echo "$(median <"$T/server") $(median <"$T/client")"
}

set -- $(measure /api/kpi/overview); overview=$1 h_overview=$2
runs=$(curl -s -H "Authorization: Bearer $TOKEN" "$URL/api/kpi/overview" | jq .totals.runs)
set -- $(measure /api/kpi/months); months=$1 h_months=$2
set -- $(measure /api/kpi/departments); depts=$1 h_depts=$2
set -- $(measure /api/kpi/scripts); scripts=$1 h_scripts=$2
set -- $(measure /api/kpi/years); years=$1
set -- $(measure /api/kpi/input_points); points=$1
set -- $(measure /api/kpi/scripts.csv); csv=$1

# For comparison: this year's totals summed from the ledger itself, as a
# report would without the rollup (the same database, sqlite3's timer).
fy_from=$(date -d "$fy-04-01T00:00:00+09:00" +%s)
scan=$(printf '.timer on\nSELECT count(*), sum(minutes_saved) FROM kpi_ledger WHERE finished_at >= %s000 AND counted = 1;\n' "$fy_from" |
	sqlite3 "$T/sched.db" | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' |
	awk '{ printf "%.1f", $1 * 1000 }')

ok=yes
for v in $overview $months $depts $scripts $years; do
	awk -v v="$v" 'BEGIN { exit !(v <= 100) }' || ok=no
done
echo "bench report: rows=$n overview_ms=$overview by_department_ms=$depts" \
	"by_script_ms=$scripts by_month_ms=$months by_year_ms=$years" \
	"input_points_ms=$points scripts_csv_ms=$csv" \
	"http_overview_ms=$h_overview http_by_department_ms=$h_depts" \
	"http_by_script_ms=$h_scripts http_by_month_ms=$h_months" \
	"ledger_scan_ms=$scan this_year_runs=$runs load_s=$load" \
	"goal_100ms=$ok"
