#!/bin/sh
# sched_lists.sh - the lists people page through: 3,000 runs written into
# the database, walked page by page with the cursor (each run once, none
# left out, for an admin and for a 課's viewer), filtered by status, date
# range (the zone's days), agent, department (a 部 with its 課), text in
# the error and "my runs"; every time with its offset; log lines beyond
# the first 1,000; CSV (BOM, Japanese or English headers naming the zone)
# and .xlsx exports of the same filters; the long poll that tells a page
# something changed, and what is new in a run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

command -v python3 >/dev/null || skip "python3 is not installed"
"$SCHED" user set --db "$T/sched.db" --name ka --role viewer \
	--department 会計課 2>/dev/null || fail "user ka"
"$SCHED" user set --db "$T/sched.db" --name bu --role operator \
	--department 経理部 2>/dev/null || fail "user bu"
ADMIN=$(make_token admin boss)
KA=$(make_token viewer ka)
BU=$(make_token operator bu)
# 3,000 runs of jobs over 30 days ending yesterday 23:00 JST, 100 a day,
# in three 課 (two of 経理部, one of 市民局) in turn, from three agents;
# one in ten failed, one in thirty with "timeout" in its error; bu
# triggered every 7th job.  Run 1 has 1,500 log lines.
end=$(( $(date -d "$(TZ=Asia/Tokyo date +%F) 00:00:00 +0900" +%s) - 3600 ))
sqlite3 "$T/sched.db" <<EOF || fail "cannot seed the runs"
BEGIN;
INSERT INTO agents (id, name) VALUES (1, 'pc-1'), (2, 'pc-2'), (3, 'pc-3');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO jobs (id, script, digest, params, state, max_attempts,
	backoff_ms, backoff_max_ms, timeout_ms, not_before, triggered_by,
	department, created_at, updated_at, run_id, attempt)
SELECT i, 'bot', 'd', '{}', CASE WHEN i % 10 = 0 THEN 'failed'
	ELSE 'succeeded' END, 1, 0, 0, 1, 0,
	CASE WHEN i % 7 = 0 THEN 'user:bu' ELSE 'schedule:x' END,
	CASE i % 3 WHEN 0 THEN 'zaisei-keiri-kaikei'
	WHEN 1 THEN 'zaisei-keiri-keiyaku' ELSE 'shimin-kusei-koseki' END,
	($end - (3000 - i) * 864) * 1000, ($end - (3000 - i) * 864) * 1000,
	i, 1 FROM n;
INSERT INTO runs (id, job_id, attempt, agent_id, script, digest, status,
	error, started_at, finished_at, duration_ms, lease_token, department)
SELECT id, id, 1, id % 3 + 1, 'bot', 'd', CASE WHEN id % 10 = 0
	THEN 'failed' ELSE 'succeeded' END, CASE WHEN id % 30 = 0
	THEN 'web.click: timeout after 30 s' WHEN id % 10 = 0
	THEN 'ui.find: no window' END, created_at, created_at + 1000, 1000,
	't', department FROM jobs;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
INSERT INTO run_events (run_id, type, at, event) SELECT 1, 'log', 0,
	json_object('type', 'log', 'level', 'info', 'message', 'line ' || i)
	FROM n;
COMMIT;
EOF
start_scheduler --kpi-config "$KOBITO_TOP/config/kpi.yaml"

# Bodies go through files: the shell is slow with big ones in variables.
get() {	# get TOKEN PATH: the body; fails unless 200
	_s=$(curl -s -o "$T/get" -w '%{http_code}' -H "Authorization: Bearer $1" \
		"$SCHED_URL$2")
	[ "$_s" = 200 ] || fail "GET $2: $_s $(cat "$T/get")"
	cat "$T/get"
}
fetch() {	# fetch TOKEN PATH FILE
	[ "$(curl -s -o "$3" -w '%{http_code}' -H "Authorization: Bearer $1" \
		"$SCHED_URL$2")" = 200 ] || fail "GET $2: $(cat "$3")"
}
# Walk a list by its cursor: the ids of every page, one a line.
walk() {	# walk TOKEN PATH KEY
	_before=
	while :; do
		fetch "$1" "$2&limit=250${_before:+&before=$_before}" "$T/page"
		jq -r ".$3[].id" "$T/page"
		_before=$(jq -r .next_before "$T/page")
		[ "$_before" != null ] || break
	done
}

walk "$ADMIN" "/api/runs?x=1" runs > "$T/all"
check "every run once, newest first" 3000 "$(sort -un "$T/all" | wc -l)"
check "in order" "$(sort -rn "$T/all" | tr '\n' ' ')" "$(tr '\n' ' ' < "$T/all")"
walk "$KA" "/api/runs?x=1" runs > "$T/ka"
check "a 課's viewer pages through the 課's runs" 1000 "$(sort -u "$T/ka" | wc -l)"
[ "$(awk '$1 % 3 != 0' "$T/ka" | wc -l)" -eq 0 ] || fail "another 課's run shown"
walk "$BU" "/api/runs?x=1" runs > "$T/bu"
# Both 課 of the 部 (2,000), and the runs bu triggered elsewhere (143).
check "a 部's operator sees both its 課, and its own" 2143 "$(wc -l < "$T/bu")"

# Filters.
n=$(get "$ADMIN" "/api/runs?status=failed&limit=1000" | jq '.runs | length')
check "failed runs" 300 "$n"
day=$(TZ=Asia/Tokyo date -d "@$((end - 86400))" +%F)
l=$(get "$ADMIN" "/api/runs?since=$day&until=$day&limit=1000")
check "a day to itself is empty" 0 "$(printf '%s' "$l" | jq '.runs | length')"
next=$(TZ=Asia/Tokyo date -d "@$end" +%F)
l=$(get "$ADMIN" "/api/runs?since=$day&until=$next&limit=1000")
check "one JST day" 100 "$(printf '%s' "$l" | jq '.runs | length')"
printf '%s' "$l" | jq -e "all(.runs[]; .started_at | startswith(\"$day\") and
	endswith(\"+09:00\"))" >/dev/null || fail "times not of that day in JST"
check "by agent" 1000 "$(get "$ADMIN" "/api/runs?agent=pc-2&limit=1000" |
	jq '[.runs[] | select(.agent == "pc-2")] | length')"
check "a 部 with its 課" 1000 "$(get "$ADMIN" "/api/runs?department=経理部&limit=1000" |
	jq '.runs | length')"
check "text in the error" 100 "$(get "$ADMIN" "/api/runs?q=timeout&limit=1000" |
	jq '.runs | length')"
check "my runs" 428 "$(walk "$BU" "/api/jobs?mine=1" jobs | wc -l)"
check "my runs of a filter" 42 "$(get "$BU" "/api/jobs?mine=1&state=failed&limit=1000" |
	jq '.jobs | length')"
out=$(api GET "/api/runs?since=yesterday" "$ADMIN")
check "a date that is not one" 400 "$(status_of "$out")"
body_of "$out" | jq -e '.error | test("^since: ")' >/dev/null || fail "400: $out"

# Log lines beyond the first 1,000, by their cursor.
fetch "$ADMIN" /api/runs/1 "$T/run1"
check "a run shows its first 1,000 lines" 1000 "$(jq '.logs | length' "$T/run1")"
last=$(jq '.logs[-1].seq' "$T/run1")
fetch "$ADMIN" "/api/runs/1/logs?after=$last&limit=1000" "$T/logs"
check "and the rest after them" 500 "$(jq '.logs | length' "$T/logs")"
check "in order" "line 1001 line 1500" \
	"$(jq -r '[.logs[0].message, .logs[-1].message] | join(" ")' "$T/logs")"

# Exports: the same filters, as files.
curl -s -D "$T/h" -o "$T/f.csv" -H "Authorization: Bearer $ADMIN" \
	"$SCHED_URL/api/runs?format=csv&status=failed&agent=pc-1"
check "a CSV with a byte order mark" efbbbf "$(head -c 3 "$T/f.csv" | od -An -tx1 | tr -d ' \n')"
grep -qi '^content-disposition: attachment; filename="kobito-runs-' "$T/h" ||
	fail "not an attachment: $(cat "$T/h")"
head -n 1 "$T/f.csv" | grep -q '開始 (JST)' || fail "header: $(head -n 1 "$T/f.csv")"
check "its rows" 101 "$(wc -l < "$T/f.csv")"
curl -s -o "$T/e.csv" -H "Authorization: Bearer $KA" \
	"$SCHED_URL/api/runs?format=csv&lang=en"
head -n 1 "$T/e.csv" | grep -q 'started (JST)' || fail "English header: $(head -n 1 "$T/e.csv")"
check "a 課's export holds its runs only" 1001 "$(wc -l < "$T/e.csv")"
curl -s -o "$T/f.xlsx" -H "Authorization: Bearer $ADMIN" \
	"$SCHED_URL/api/jobs?format=xlsx&state=failed"
python3 - "$T/f.xlsx" <<'EOF' || fail "the workbook"
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sheet = z.read("xl/worksheets/sheet1.xml").decode()
rows = re.findall(r"<row ", sheet)
assert len(rows) == 301, len(rows)
assert "登録 (JST)" in sheet, sheet[:600]
styles = z.read("xl/styles.xml").decode()
assert "yyyy-mm-dd hh:mm:ss" in styles
print("ok: the workbook has 300 jobs, a header naming JST and date cells")
EOF
out=$(api GET "/api/runs?format=pdf" "$ADMIN")
check "an unknown format" 400 "$(status_of "$out")"

# The long poll: answered at once with the counter, then when something
# changes, else when its time is up.
c=$(get "$ADMIN" "/api/watch" | jq .change)
t0=$(date +%s%N)
out=$(api GET "/api/watch?change=$c&wait_ms=1000" "$ADMIN")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "nothing changed" "$c" "$(body_of "$out" | jq .change)"
[ "$ms" -ge 900 ] || fail "the watch did not wait ($ms ms)"
cat > "$T/scripts/hello.yaml" <<'EOF'
name: hello
steps:
  - log: hello
EOF
up=$(jq -n --rawfile s "$T/scripts/hello.yaml" '{source: $s}')
curl -s -o "$T/watch" -H "Authorization: Bearer $KA" \
	"$SCHED_URL/api/watch?change=$c&wait_ms=20000" &
wpid=$!
sleep 0.3
t0=$(date +%s%N)
api POST /api/scripts "$ADMIN" "$up" >/dev/null
wait $wpid
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 3000 ] || fail "the watch heard of the change after $ms ms"
[ "$(jq .change "$T/watch")" -gt "$c" ] || fail "watch: $(cat "$T/watch")"
echo "ok: a watch is answered $ms ms after a change"
fetch "$ADMIN" "/api/runs/1/events?after=$last&limit=100" "$T/ev"
jq -e '(.events | length) == 100 and .run.id == 1 and
	.job.state == "succeeded" and .events[0].message == "line 1001"' \
	"$T/ev" >/dev/null || fail "events: $(head -c 300 "$T/ev")"
out=$(api GET "/api/runs/2/events" "$KA")
check "another 課's run's events" 403 "$(status_of "$out")"
stop_scheduler
