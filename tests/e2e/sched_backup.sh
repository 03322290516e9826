#!/bin/sh
# sched_backup.sh - `kobito-scheduler backup` while the scheduler is under
# load, and `restore`: two loaders trigger jobs and report results as fast
# as they can (curl), the backup is taken in the middle, and the restored
# database holds every job whose trigger was acknowledged, and the ledger
# row of every result acknowledged, before the backup began.  Restores are
# refused while a scheduler runs on the database, for a damaged file, a
# file that is not a kobito database and a newer schema.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/work.yaml" <<'EOF2'
name: work
requires: [stand-in]
kpi: { manual_minutes_per_run: 1, manual_minutes_per_item: 1 }
steps:
  - log: work
EOF2
start_scheduler
A=$(admin_token)
G=$(make_token agent stand-in)
aid=$(api POST /api/agents/register "$G" '{"name": "stand-in", "labels": ["stand-in"]}' |
	sed '$d' | jq .agent_id)

# Loader 1: triggers, one acknowledged job id a line.
(
	while [ ! -e "$T/stop" ]; do
		curl -s -X POST -H "Authorization: Bearer $A" -H 'Content-Type: application/json' \
			--data-binary '{"script": "work"}' "$SCHED_URL/api/jobs" |
			jq -r 'select(.job_id) | .job_id' >>"$T/jobs.acked"
	done
) &
l1=$!
# Loader 2: a stand-in agent; one acknowledged run id a line.
(
	while [ ! -e "$T/stop" ]; do
		l=$(curl -s -X POST -H "Authorization: Bearer $G" -H 'Content-Type: application/json' \
			--data-binary "{\"agent_id\": $aid, \"wait_ms\": 500}" "$SCHED_URL/api/agents/lease")
		[ -n "$l" ] || continue
		j=$(printf '%s' "$l" | jq .job_id) t=$(printf '%s' "$l" | jq -r .lease_token)
		r=$(printf '%s' "$l" | jq .run_id)
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $G" \
			-H 'Content-Type: application/json' \
			--data-binary "{\"lease_token\": \"$t\", \"summary\": {\"status\": \"succeeded\", \"items\": {\"succeeded\": 1, \"failed\": 0, \"failures\": []}}}" \
			"$SCHED_URL/api/jobs/$j/result")
		[ "$code" = 200 ] && echo "$r" >>"$T/runs.acked"
	done
) &
l2=$!
at_exit "touch $T/stop; kill $l1 $l2 2>/dev/null"
wait_for 200 sh -c "[ \$(cat '$T/runs.acked' 2>/dev/null | wc -l) -ge 20 ]" ||
	fail "the load did not get going"

# What was acknowledged before the backup began.
cp "$T/jobs.acked" "$T/jobs.before"
cp "$T/runs.acked" "$T/runs.before"
"$SCHED" backup --db "$T/sched.db" "$T/backup.db" 2>"$T/backup.err" ||
	fail "backup: $(cat "$T/backup.err")"
grep -q "backed up $T/sched.db to $T/backup.db: [0-9]* jobs, [0-9]* KPI ledger rows" \
	"$T/backup.err" || fail "backup said: $(cat "$T/backup.err")"
sleep 0.5	# the load goes on after the backup
touch "$T/stop"
wait "$l1" "$l2"
jb=$(wc -l <"$T/jobs.before") rb=$(wc -l <"$T/runs.before")
ja=$(wc -l <"$T/jobs.acked") ra=$(wc -l <"$T/runs.acked")
[ "$ja" -gt "$jb" ] && [ "$ra" -gt "$rb" ] ||
	fail "no load went on during and after the backup ($jb/$ja jobs, $rb/$ra runs)"
echo "ok: a backup under load ($jb jobs and $rb results acknowledged before it)"
check "the backup is a standalone database" "delete ok" \
	"$(sqlite3 "$T/backup.db" 'PRAGMA journal_mode; PRAGMA integrity_check' | tr '\n' ' ' | sed 's/ $//')"
[ ! -e "$T/backup.db-wal" ] || fail "the backup has a -wal beside it"
check "the backup is its owner's only" 600 "$(stat -c %a "$T/backup.db")"

# Restoring while the scheduler runs is refused.
"$SCHED" restore --db "$T/sched.db" "$T/backup.db" 2>"$T/err" && fail "restored under a running scheduler"
grep -q "in use by another scheduler" "$T/err" || fail "restore said: $(cat "$T/err")"
echo "ok: restore is refused while the scheduler runs"
stop_scheduler

# Restore into the scheduler's database: the one it replaces is kept.
"$SCHED" restore --db "$T/sched.db" "$T/backup.db" 2>"$T/restore.err" ||
	fail "restore: $(cat "$T/restore.err")"
grep -q "the database it replaced is in $T/sched.db.before-restore" "$T/restore.err" ||
	fail "restore said: $(cat "$T/restore.err")"
check "the database kept aside is whole" ok \
	"$(sqlite3 "$T/sched.db.before-restore" 'PRAGMA integrity_check')"
sort -n "$T/jobs.before" >"$T/want.jobs"
sql "SELECT id FROM jobs ORDER BY id" >"$T/have.jobs"
missing=$(comm -23 "$T/want.jobs" "$T/have.jobs" | wc -l)
check "acknowledged jobs missing from the restored database" 0 "$missing"
sort -n "$T/runs.before" >"$T/want.runs"
sql "SELECT run_id FROM kpi_ledger ORDER BY run_id" >"$T/have.runs"
missing=$(comm -23 "$T/want.runs" "$T/have.runs" | wc -l)
check "acknowledged results missing from the restored ledger" 0 "$missing"
check "one ledger row per run" 0 \
	"$(sql 'SELECT count(*) FROM (SELECT run_id FROM kpi_ledger GROUP BY run_id HAVING count(*) > 1)')"
echo "ok: every acknowledged job ($jb) and ledger row ($rb) is in the restored database"

# The scheduler runs on the restored database.
start_scheduler
j=$(head -n 1 "$T/jobs.before")
check "a restored job over the API" succeeded \
	"$(api GET "/api/jobs/$j" "$A" | sed '$d' | jq -r .state)"
stop_scheduler

# Into a directory, keeping the newest: the timer's way.
mkdir "$T/backups"
for d in 20200101 20200102; do
	cp "$T/backup.db" "$T/backups/kobito-$d-013000.db"
done
touch "$T/backups/notes.txt" "$T/backups/kobito-mine.db"
"$SCHED" backup --db "$T/sched.db" --keep 2 "$T/backups" 2>"$T/err" ||
	fail "backup --keep: $(cat "$T/err")"
grep -q "removed 1 older backup(s) from $T/backups, keeping 2" "$T/err" ||
	fail "backup --keep said: $(cat "$T/err")"
new=$(sed -n "s|.*backed up $T/sched.db to $T/backups/\(kobito-[0-9-]*\.db\):.*|\1|p" "$T/err")
[ -n "$new" ] || fail "no new backup named: $(cat "$T/err")"
check "the newest two and the other files stay" \
	"$(printf '%s\n' kobito-20200102-013000.db "$new" kobito-mine.db notes.txt | sort | tr '\n' ' ')" \
	"$(ls "$T/backups" | sort | tr '\n' ' ')"
"$SCHED" backup --db "$T/sched.db" --keep 2 "$T/backup.db" 2>"$T/err" && fail "--keep with a file"
grep -q "keep needs a directory" "$T/err" || fail "--keep with a file: $(cat "$T/err")"
echo "ok: backups into a directory keep the newest N, and nothing else is touched"

# Root restoring into the service user's directory would leave a database
# that user cannot write.
if [ "$(id -u)" = 0 ]; then
	mkdir "$T/svc" && cp "$T/sched.db" "$T/svc/sched.db" && chown -R nobody "$T/svc"
	"$SCHED" restore --db "$T/svc/sched.db" "$T/backup.db" 2>"$T/err" &&
		fail "root restored into another user's directory"
	grep -q "'$T/svc' belongs to uid $(id -u nobody): run this as that user" "$T/err" ||
		fail "root's restore said: $(cat "$T/err")"
	check "and left it alone" "nobody" "$(stat -c %U "$T/svc/sched.db")"
	echo "ok: root is sent to the database's user"
fi

# Files that are not backups to restore.
printf 'not a database at all, just text\n' >"$T/junk.db"
"$SCHED" restore --db "$T/sched.db" "$T/junk.db" 2>"$T/err" && fail "restored junk"
grep -q "restore: cannot check '$T/junk.db'\|'$T/junk.db' is damaged\|file is not a database" "$T/err" ||
	fail "junk: $(cat "$T/err")"
sqlite3 "$T/other.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1)'
"$SCHED" restore --db "$T/sched.db" "$T/other.db" 2>"$T/err" && fail "restored another database"
grep -q "'$T/other.db' is not a kobito scheduler's database" "$T/err" || fail "other: $(cat "$T/err")"
cp "$T/backup.db" "$T/newer.db"
sqlite3 "$T/newer.db" 'PRAGMA user_version = 999'
"$SCHED" restore --db "$T/sched.db" "$T/newer.db" 2>"$T/err" && fail "restored a newer schema"
grep -q "'$T/newer.db' has schema version 999, newer than this scheduler's" "$T/err" ||
	fail "newer: $(cat "$T/err")"
check "the database is untouched by the refusals" ok "$(sql 'PRAGMA integrity_check')"
check "its jobs are all there" "$(wc -l <"$T/have.jobs")" "$(sql 'SELECT count(*) FROM jobs')"
echo "ok: junk, another program's database and a newer schema are refused"
