#!/bin/sh
# sched_crash_burst.sh - kill -9 of the scheduler during a burst of 1,000
# triggers while agents are working, then a restart: every trigger that
# was acknowledged (201) reaches a final state, the database passes
# PRAGMA integrity_check, and the KPI ledger holds exactly one row per
# succeeded run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

TRIGGERS=1000
CLIENTS=4
cat >"$T/scripts/tiny.yaml" <<'EOF'
name: tiny
kpi: { manual_minutes_per_run: 1 }
steps:
  - set: { done: true }
EOF
cat >"$T/config.yaml" <<'EOF'
lease_ttl_ms: 3000
jobs:
  max_attempts: 5
  backoff_ms: 100
  backoff_max_ms: 500
EOF
start_scheduler --config "$T/config.yaml"
port=$(cat "$T/port")
token=$(admin_token)
start_agent a1 --slots 2
start_agent a2 --slots 2
wait_for 100 grep -q registered "$T/agent-a2.log" || fail "a2 did not register"

# Each client sends its share of the triggers over one connection (curl
# with a config file of requests) and writes for each request its body
# (one line of JSON, when there is one), then "=STATUS" on a line.
per=$((TRIGGERS / CLIENTS))
c=1
while [ $c -le $CLIENTS ]; do
	i=0
	while [ $i -lt $per ]; do
		printf 'url = "%s/api/jobs"\nrequest = "POST"\n' "$SCHED_URL"
		printf 'header = "Authorization: Bearer %s"\n' "$token"
		printf 'header = "Content-Type: application/json"\n'
		printf 'data = "{\\"script\\": \\"tiny\\"}"\n'
		printf 'write-out = "=%%{http_code}\\n"\n'
		[ $i -lt $((per - 1)) ] && echo next
		i=$((i + 1))
	done >"$T/burst-$c.conf"
	c=$((c + 1))
done
c=1
pids=""
while [ $c -le $CLIENTS ]; do
	curl -s --max-time 60 -K "$T/burst-$c.conf" >"$T/burst-$c.out" 2>/dev/null &
	pids="$pids $!"
	c=$((c + 1))
done
acked() { cat "$T"/burst-*.out | grep -c '^=201$'; }
# Kill the scheduler a fifth of the way through the burst.
wait_for 300 sh -c "[ \$(cat '$T'/burst-*.out | grep -c '^=201\$') -ge $((TRIGGERS / 5)) ]" ||
	fail "the burst did not get going: $(acked) acknowledged"
stop_scheduler KILL
for p in $pids; do wait "$p"; done
n=$(acked)
echo "ok: the scheduler was killed after $n of $TRIGGERS triggers were acknowledged"
[ "$n" -lt "$TRIGGERS" ] || fail "the burst ended before the kill; nothing was tested"
cat "$T"/burst-*.out | awk '$0 == "=201" { print prev } { prev = $0 }' |
	jq -r .job_id |
	sort -n >"$T/acked.ids"
check "every acknowledgement carries a job id" "$n" "$(grep -c '^[0-9][0-9]*$' "$T/acked.ids")"
check "and no id was acknowledged twice" "$n" "$(sort -u "$T/acked.ids" | wc -l)"

# Back on the same port; the agents carry on by themselves.
start_scheduler --config "$T/config.yaml" --listen "127.0.0.1:$port"
ids=$(paste -sd, "$T/acked.ids")
all_final() {
	[ "$(sql "SELECT count(*) FROM jobs WHERE id IN ($ids) AND state IN ('succeeded', 'failed', 'cancelled', 'timed_out')")" = "$n" ]
}
wait_for 450 all_final || fail "acknowledged jobs not final after 45 s: $(sql "SELECT state, count(*) FROM jobs WHERE id IN ($ids) GROUP BY state")"
echo "ok: all $n acknowledged jobs are final"
check "every acknowledged job exists and succeeded" "$n" \
	"$(sql "SELECT count(*) FROM jobs WHERE id IN ($ids) AND state = 'succeeded'")"
stop_scheduler TERM
check "PRAGMA integrity_check" ok "$(sql 'PRAGMA integrity_check')"
check "one ledger row per succeeded run" \
	"$(sql "SELECT count(*) FROM runs WHERE status = 'succeeded'")" \
	"$(sql "SELECT count(*) FROM kpi_ledger WHERE status = 'succeeded'")"
check "no run has two ledger rows" 0 \
	"$(sql "SELECT count(*) FROM (SELECT run_id FROM kpi_ledger GROUP BY run_id HAVING count(*) > 1)")"
check "no job succeeded twice" 0 \
	"$(sql "SELECT count(*) FROM (SELECT job_id FROM kpi_ledger WHERE status = 'succeeded' GROUP BY job_id HAVING count(*) > 1)")"
check "every succeeded job has its ledger row" \
	"$(sql "SELECT count(*) FROM jobs WHERE state = 'succeeded'")" \
	"$(sql "SELECT count(DISTINCT job_id) FROM kpi_ledger WHERE status = 'succeeded'")"
stop_agent a1
stop_agent a2
exit 0
