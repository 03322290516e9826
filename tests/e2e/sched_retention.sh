#!/bin/sh
# sched_retention.sh - retention by department, as the scheduler runs it:
# with `retention: { default: 2s, departments: { zaisei-keiri-kaikei: 0 } }`
# (会計課 by its code) the jobs of 給与課 (the default) go, with their runs, events and artifacts, within
# seconds of their end, while 会計課's stay; the KPI ledger keeps a row for
# every run.  Retention times without a unit, or unknown keys, are refused
# with the place in the file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

for d in kaikei:会計課 kyuyo:給与課; do
	cat >"$T/scripts/${d%%:*}.yaml" <<EOF2
name: ${d%%:*}
owner: ${d#*:}
requires: [stand-in]
steps:
  - log: work
EOF2
done
cat >"$T/sched.yaml" <<'EOF2'
retention:
  default: 2s
  departments:
    zaisei-keiri-kaikei: 0
EOF2
start_scheduler --config "$T/sched.yaml"
A=$(admin_token)
G=$(make_token agent stand-in)
aid=$(api POST /api/agents/register "$G" '{"name": "stand-in", "labels": ["stand-in"]}' |
	sed '$d' | jq .agent_id)

# run SCRIPT: trigger, lease, an artifact, the result; prints the job id.
run() {
	j=$(trigger "$1")
	l=$(api POST /api/agents/lease "$G" "{\"agent_id\": $aid}" | sed '$d')
	[ "$(printf '%s' "$l" | jq .job_id)" = "$j" ] || fail "lease: $l"
	t=$(printf '%s' "$l" | jq -r .lease_token)
	printf 'PNGish' | curl -sf -H "Authorization: Bearer $G" -H 'Content-Type: image/png' \
		--data-binary @- "$SCHED_URL/api/jobs/$j/artifacts?lease_token=$t&name=s.png" >/dev/null ||
		fail "artifact of job $j"
	out=$(api POST "/api/jobs/$j/result" "$G" "{\"lease_token\": \"$t\", \"summary\": {\"status\": \"succeeded\", \"items\": {\"succeeded\": 1, \"failed\": 0, \"failures\": []}}}")
	[ "$(status_of "$out")" = 200 ] || fail "result of job $j: $out"
	echo "$j"
}
keep=$(run kaikei) && go1=$(run kyuyo) && go2=$(run kyuyo) || exit 1
check "the departments the jobs run for (their codes)" "zaisei-keiri-kaikei somu-jinji-kyuyo" \
	"$(sql "SELECT department FROM jobs WHERE id IN ($keep, $go1) ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"

gone() { [ "$(sql "SELECT count(*) FROM jobs WHERE id IN ($go1, $go2)")" = 0 ]; }
wait_for 150 gone || fail "the jobs of 給与課 are still there after 15 s"
check "a purged job over the API" 404 \
	"$(status_of "$(api GET "/api/jobs/$go1" "$A")")"
check "their runs, events and artifacts went with them" "0 0 0" \
	"$(sql "SELECT (SELECT count(*) FROM runs WHERE job_id IN ($go1, $go2)),
		(SELECT count(*) FROM run_events WHERE run_id NOT IN (SELECT id FROM runs)),
		(SELECT count(*) FROM artifacts WHERE run_id NOT IN (SELECT id FROM runs))" | tr '|' ' ')"
check "会計課's job is kept, with its artifact" "succeeded PNGish" \
	"$(api GET "/api/jobs/$keep" "$A" | sed '$d' | jq -r .state) $(curl -s -H "Authorization: Bearer $A" \
		"$SCHED_URL/api/runs/$(sql "SELECT id FROM runs WHERE job_id = $keep")/artifacts/s.png")"
check "the kept run's summary, as the agent sent it" 1 \
	"$(api GET "/api/runs/$(sql "SELECT id FROM runs WHERE job_id = $keep")" "$A" | sed '$d' | jq .summary.items.succeeded)"
check "the ledger keeps every run" 3 "$(sql 'SELECT count(*) FROM kpi_ledger')"
echo "ok: 給与課's jobs expired within seconds, 会計課's stay, the ledger is whole"
stop_scheduler

# Mistakes in the file are said with their place.
bad() { # WHAT EXPECTED-MESSAGE
	printf '%s\n' "$1" >"$T/bad.yaml"
	"$SCHED" --config "$T/bad.yaml" --db "$T/sched.db" --listen 127.0.0.1:0 \
		--scripts "$T/scripts" 2>"$T/err" && fail "accepted: $1"
	grep -qF "$2" "$T/err" || fail "for '$1' it said: $(cat "$T/err")"
}
bad 'retention: { default: 90 }' "bad.yaml:1:23: retention.default: give a unit: 90d for days (or h, m, s)"
bad 'retention: { departments: { somu: 10 years } }' "bad.yaml:1:35: retention.departments.somu"
bad 'retention: { keep: 90d }' "unknown key 'keep' in retention"
bad 'retention: 90d' "retention must be a mapping"
echo "ok: retention times without a unit, bad durations and unknown keys are refused with their place"
