#!/bin/sh
# lists.sh - `make bench-lists`: the console's lists over HTTP with
# 100,000 runs (and their jobs) in the database.
#
# The runs are written straight into a scheduler database with SQL, over
# the last 100 days, in the 40 課 of four 局, from ten agents, one in
# 23 failed with an error text, some triggered by one person.  Then a
# scheduler serves it and each page is asked for 21 times as a 課's viewer
# (scoped to one 課), a 局's viewer and an admin: the newest page, a page
# far back (by the cursor), and the filters by status, date range, agent,
# department, text in the error, and "my runs".  The figure is the median
# server time the scheduler reports in its Server-Timing header; the
# goal is 100 ms or less per page.  The CSV of a filtered list is timed
# beside them (whole, not a page).
#
# Prints: bench lists: runs=100000 newest_ms=... deep_ms=... (one figure
# per page) goal_100ms=yes|no
set -eu

NAME=lists
. "$(dirname "$0")/sched.inc"
ROWS=${BENCH_ROWS:-100000}
REPEAT=${BENCH_REPEAT:-21}

# Forty 課 under four 局 and eight 部 (sched.inc).
{
	forty_departments
} >"$T/kpi.yaml"

# The schema, by the scheduler's own migrations; the people.
"$SCHED" user set --db "$T/sched.db" --name ka --role viewer \
	--department b2-d1-s3 2>/dev/null
"$SCHED" user set --db "$T/sched.db" --name kyoku --role viewer \
	--department b3 2>/dev/null
"$SCHED" user set --db "$T/sched.db" --name sato --role operator \
	--department b1-d2-s4 2>/dev/null
now=$(date +%s)
from=$((now - 100 * 86400))
step=$((100 * 86400 * 1000 / ROWS))

start=$(date +%s.%N)
sqlite3 "$T/sched.db" <<EOF
.output /dev/null
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 10)
INSERT INTO agents (id, name) SELECT k, 'pc-' || k FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO jobs (id, script, digest, params, state, max_attempts,
	backoff_ms, backoff_max_ms, timeout_ms, not_before, triggered_by,
	department, created_at, updated_at, run_id, attempt, final_at)
SELECT i, 'bot' || (i % 200), 'd' || (i % 200), '{}',
	CASE WHEN i % 23 = 0 THEN 'failed' ELSE 'succeeded' END, 1, 0, 0,
	3600000, 0, CASE WHEN i % 997 = 0 THEN 'user:sato'
	ELSE 'schedule:s' || (i % 50) END,
	'b' || (i % 4 + 1) || '-d' || ((i / 4) % 2 + 1) || '-s' ||
	((i / 8) % 5 + 1),
	$from * 1000 + i * $step, $from * 1000 + i * $step + 60000, i, 1,
	$from * 1000 + i * $step + 60000
FROM n;
INSERT INTO runs (id, job_id, attempt, agent_id, script, digest, status,
	error, started_at, finished_at, duration_ms, items_succeeded,
	items_failed, lease_token, department)
SELECT id, id, 1, id % 10 + 1, script, digest,
	CASE WHEN id % 23 = 0 THEN 'failed' ELSE 'succeeded' END,
	CASE WHEN id % 23 = 0 THEN CASE WHEN id % 69 = 0
	THEN 'web.click: the page did not load (timeout after 30 s)'
	ELSE 'ui.find: no window 請求書入力' END END,
	created_at, created_at + 60000, 60000, id % 13, 0, 't' || id,
	department FROM jobs;
COMMIT;
ANALYZE;
EOF
load=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM runs")
[ "$n" -eq "$ROWS" ] || { echo "bench lists: $n runs, not $ROWS" >&2; exit 1; }

start_scheduler
KA=$("$SCHED" token create --db "$T/sched.db" --role viewer --name ka 2>/dev/null)
KYOKU=$("$SCHED" token create --db "$T/sched.db" --role viewer --name kyoku 2>/dev/null)
SATO=$("$SCHED" token create --db "$T/sched.db" --role operator --name sato 2>/dev/null)
ADMIN=$("$SCHED" token create --db "$T/sched.db" --role admin --name boss 2>/dev/null)

# GET $2 as token $1, $REPEAT times: the median Server-Timing; the page
# must have $3 rows (or more than 0 when $3 is "some").
measure() {
	: >"$T/server"
	j=0
	while [ $j -lt "$REPEAT" ]; do
		code=$(curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' \
			-H "Authorization: Bearer $1" "$URL$2")
		[ "$code" = 200 ] || {
			echo "bench lists: $2 answered $code: $(cat "$T/body")" >&2
			exit 1
		}
		tr -d '\r' <"$T/headers" |
			sed -n 's/^Server-Timing: read;dur=//p' >>"$T/server"
		j=$((j + 1))
	done
	got=$(jq '[.runs // .jobs // .audit] | .[0] | length' "$T/body")
	if [ "$3" = some ]; then
		[ "$got" -gt 0 ] || { echo "bench lists: $2: no rows" >&2; exit 1; }
	else
		[ "$got" -eq "$3" ] || {
			echo "bench lists: $2: $got rows, not $3" >&2
			exit 1
		}
	fi
	median <"$T/server"
}

day=$(date -d "@$((now - 50 * 86400))" +%Y-%m-%d)
deep=$(( ROWS / 2 ))
newest=$(measure "$ADMIN" "/api/runs?limit=100" 100)
deep_ms=$(measure "$ADMIN" "/api/runs?limit=100&before=$deep" 100)
ka=$(measure "$KA" "/api/runs?limit=100" 100)
ka_deep=$(measure "$KA" "/api/runs?limit=100&before=$deep" 100)
kyoku=$(measure "$KYOKU" "/api/runs?limit=100" 100)
failed=$(measure "$ADMIN" "/api/runs?limit=100&status=failed" 100)
ka_failed=$(measure "$KA" "/api/runs?limit=100&status=failed" some)
range=$(measure "$ADMIN" "/api/runs?limit=100&since=$day&until=$day" 0)
range=$(measure "$ADMIN" "/api/runs?limit=100&since=${day}T00:00&until=${day}T12:00" 100)
agent=$(measure "$ADMIN" "/api/runs?limit=100&agent=pc-3" 100)
dept=$(measure "$ADMIN" "/api/runs?limit=100&department=b4-d2-s5" 100)
text=$(measure "$ADMIN" "/api/runs?limit=100&q=timeout" 100)
mine=$(measure "$SATO" "/api/jobs?limit=100&mine=1" 100)
jobs=$(measure "$KYOKU" "/api/jobs?limit=100&state=failed" 100)
t0=$(date +%s.%N)
curl -s -o "$T/export.csv" -H "Authorization: Bearer $ADMIN" \
	"$URL/api/runs?format=csv&status=failed"
csv_ms=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
csv_rows=$(($(wc -l <"$T/export.csv") - 1))

ok=yes
for v in $newest $deep_ms $ka $ka_deep $kyoku $failed $ka_failed $range \
    $agent $dept $text $mine $jobs; do
	awk -v v="$v" 'BEGIN { exit !(v <= 100) }' || ok=no
done
echo "bench lists: runs=$n newest_ms=$newest deep_ms=$deep_ms" \
	"ka_newest_ms=$ka ka_deep_ms=$ka_deep kyoku_newest_ms=$kyoku" \
	"failed_ms=$failed ka_failed_ms=$ka_failed date_range_ms=$range" \
	"agent_ms=$agent department_ms=$dept text_ms=$text my_runs_ms=$mine" \
	"kyoku_failed_jobs_ms=$jobs csv_failed_ms=$csv_ms csv_rows=$csv_rows" \
	"load_s=$load goal_100ms=$ok"
[ "$ok" = yes ] || { echo "bench lists: a page took over 100 ms" >&2; exit 1; }
