#!/bin/sh
# sched_upgrade.sh - a database written by the previous release (0.1.0,
# schema version 3: tests/fixtures/db/make.sh made it with that release's
# scheduler) is upgraded in place by this one, and everything in it is
# still there and still works: jobs, runs, the KPI ledger, users and their
# passwords, tokens, the sealed secret, the schedule, idempotency keys,
# the audit log (chained by the upgrade).  A database of a newer schema is refused with a message
# that says what to do, and left untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

FIX="$KOBITO_TOP/tests/fixtures/db"
cp "$FIX/kobito-0.1.0.db" "$T/sched.db"
cp "$FIX/kobito-0.1.0.db.key" "$T/sched.key"
chmod 600 "$T/sched.key"
check "the fixture is the previous release's schema" 3 "$(sql 'PRAGMA user_version')"
ledger_before=$(sql "SELECT group_concat(run_id || ':' || status || ':' || minutes_saved, ' ') FROM kpi_ledger")
audit_before=$(sql "SELECT count(*) FROM audit")

cat >"$T/scripts/hello.yaml" <<'EOF2'
name: hello
owner: 会計課
kpi: { manual_minutes_per_run: 4, manual_minutes_per_item: 2 }
params:
  n: { type: int, default: 1 }
steps:
  - log: "hello ${params.n}"
EOF2
cat >"$T/scripts/portal.yaml" <<'EOF2'
name: portal
requires: [stand-in]
steps:
  - log: "${secrets.portal_password}"
EOF2
start_scheduler --key-file "$T/sched.key"
want=$(sed -n 's/^#define STORE_SCHEMA_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
	"$KOBITO_TOP/scheduler/store.h")
check "upgraded to this release's schema" "$want" "$(sql 'PRAGMA user_version')"
check "integrity after the upgrade" ok "$(sql 'PRAGMA integrity_check')"
echo "ok: schema 3 upgraded to $want"

A=$(admin_token)
job() { api GET "/api/jobs/$1" "$A" | sed '$d'; }
check "jobs and their states" "succeeded succeeded succeeded failed queued" \
	"$(for j in 1 2 3 4 5; do job "$j" | jq -r .state; done | tr '\n' ' ' | sed 's/ $//')"
check "a job's runs" "1 succeeded" "$(job 2 | jq -r '.runs[0] | "\(.attempt) \(.status)"')"
check "the run's log" "hello 1" \
	"$(api GET /api/runs/1 "$A" | sed '$d' | jq -r '.logs[0].message')"
check "the run's artifact" "PNGish bytes" \
	"$(curl -s -H "Authorization: Bearer $A" "$SCHED_URL/api/runs/1/artifacts/screen.png")"
check "the KPI ledger, row for row" "$ledger_before" \
	"$(sql "SELECT group_concat(run_id || ':' || status || ':' || minutes_saved, ' ') FROM kpi_ledger")"
check "the schedule" "nightly 30 2 * * 1-5 jp-gov" \
	"$(api GET /api/schedules "$A" | sed '$d' | jq -r '.schedules[0] | "\(.name) \(.cron) \(.calendar)"')"
echo "ok: jobs, runs, logs, artifacts, the ledger and the schedule are all there"

out=$(api POST /api/jobs "$A" '{"script": "hello", "idempotency_key": "2026-06-30-close", "params": {"n": 9}}')
check "an old idempotency key still holds" "200 5 false" \
	"$(status_of "$out") $(body_of "$out" | jq -r '"\(.job_id) \(.created)"')"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary '{"username": "alice", "password": "a release password"}' \
	"$SCHED_URL/api/session")
check "alice logs in with her old password" 200 "$code"
check "her department" "会計課" "$(sql "SELECT department FROM users WHERE name = 'alice'")"
# The sealed secret is handed out with a lease, opened with the old key.
G=$(make_token agent stand-in)
aid=$(api POST /api/agents/register "$G" '{"name": "stand-in", "labels": ["stand-in"]}' |
	sed '$d' | jq .agent_id)
j=$(trigger portal)
# The old queued job 5 may come too (it requires nothing).
lease=$(api POST /api/agents/lease "$G" "{\"agent_id\": $aid, \"free_slots\": 2, \"max_jobs\": 2}" |
	sed '$d' | jq -c ".jobs[] | select(.job_id == $j)")
check "the new job is leased" "$j" "$(printf '%s' "$lease" | jq .job_id)"
check "the secret sealed by the old release opens" release-secret-42 \
	"$(printf '%s' "$lease" | jq -r .secrets.portal_password.value)"
t=$(printf '%s' "$lease" | jq -r .lease_token)
out=$(api POST "/api/jobs/$j/result" "$G" "{\"lease_token\": \"$t\", \"summary\": {\"status\": \"succeeded\", \"items\": {\"succeeded\": 2, \"failed\": 0, \"failures\": []}}}")
check "a new run's result" 200 "$(status_of "$out")"
check "its ledger row beside the old ones" 5 "$(sql 'SELECT count(*) FROM kpi_ledger')"
[ "$(sql 'SELECT count(*) FROM audit')" -gt "$audit_before" ] || fail "the audit log did not grow"
check "the old audit rows are kept" "$audit_before" \
	"$(sql "SELECT count(*) FROM audit WHERE id <= (SELECT max(id) FROM audit) AND id <= $audit_before")"
echo "ok: logins, the old key's secret, idempotency keys and new runs work"
stop_scheduler
# The old release's audit rows were chained by the upgrade, the new ones
# follow them.
"$SCHED" audit verify --db "$T/sched.db" >"$T/out" 2>&1 || fail "audit verify: $(cat "$T/out")"
check "the audit chain holds the old rows and the new" \
	"audit log intact: $(sql 'SELECT count(*) FROM audit') rows" "$(head -n 1 "$T/out" | sed 's/;.*//')"
check "the old rows are chained in their order" 0 \
	"$(sql "SELECT count(*) FROM audit WHERE id <= $audit_before AND hash IS NULL")"

# A database of a newer schema: refused, and not touched.
cp "$T/sched.db" "$T/newer.db"
sqlite3 "$T/newer.db" "PRAGMA user_version = $((want + 1))"
sum=$(sha256sum <"$T/newer.db")
"$SCHED" --db "$T/newer.db" --listen 127.0.0.1:0 --scripts "$T/scripts" \
	--key-file "$T/sched.key" 2>"$T/err"
check "the newer database: exit status" 1 $?
grep -q "database '$T/newer.db' has schema version $((want + 1)), newer than this scheduler's $want: it was written by a newer kobito-scheduler; run that version (or a newer one), or restore a backup taken before the upgrade" "$T/err" ||
	fail "the refusal said: $(cat "$T/err")"
check "the newer database is untouched" "$sum" "$(sha256sum <"$T/newer.db")"
echo "ok: a newer schema is refused with what to do, the file untouched"
