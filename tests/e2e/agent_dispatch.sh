#!/bin/sh
# agent_dispatch.sh - a scheduler and three agents on loopback, real
# processes: jobs that succeed, fail, fail twice then succeed, and hang
# past their timeout each reach the state they must; events and log lines
# reach the scheduler while a job runs; a UI job gets a display to itself,
# runs in its own process and uploads its screenshot; the CLI shows it all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/ok.yaml" <<'EOF'
name: ok
kpi: { manual_minutes_per_run: 5 }
steps:
  - log: "working on ${run.id}"
  - set: { answer: 42 }
EOF
cat >"$T/scripts/broken.yaml" <<'EOF'
name: broken
steps:
  - fail: "the ledger does not balance"
EOF
# Each attempt leaves a file; the first two attempts fail.
cat >"$T/scripts/flaky.yaml" <<'EOF'
name: flaky
params:
  dir: { type: string, required: true }
steps:
  - file.write: { path: "${params.dir}/attempt-${run.id}", content: x }
  - id: seen
    file.list: "${params.dir}/attempt-*"
  - assert:
      that: ${len(steps.seen.output) >= 3}
      message: "attempt ${len(steps.seen.output)} fails on purpose"
EOF
cat >"$T/scripts/hang.yaml" <<'EOF'
name: hang
steps:
  - log: "about to hang"
  - sleep: 600
EOF
cat >"$T/scripts/shot.yaml" <<'EOF'
name: shot
requires: [display]
steps:
  - ui.screenshot: { name: screen.png }
EOF
# A sub-flow that exists only beside the scheduler's copy: it travels
# with the script in the lease.
mkdir -p "$T/scripts/lib"
cat >"$T/scripts/lib/greet.yaml" <<'EOF'
name: greet
params:
  who: { type: string, required: true }
steps:
  - log: "hello from the sub-flow, ${params.who}"
EOF
cat >"$T/scripts/outer.yaml" <<'EOF'
name: outer
steps:
  - include: lib/greet.yaml
    with: { who: agent }
EOF
cat >"$T/config.yaml" <<'EOF'
lease_ttl_ms: 3000
jobs:
  max_attempts: 3
  backoff_ms: 200
  backoff_max_ms: 400
EOF
mkdir -p "$T/flaky"

# Root is refused unless allowed (the tests run as root; skip otherwise).
start_scheduler --config "$T/config.yaml"
if [ "$(id -u)" -eq 0 ]; then
	make_token agent a1 >"$T/a1.token"
	"$AGENT" --scheduler "$SCHED_URL" --token-file "$T/a1.token" \
		--name a1 --spool "$T/spool-x" >"$T/root.out" 2>&1 &&
		fail "the agent ran as root without --allow-root"
	grep -q "refusing to run as root" "$T/root.out" ||
		fail "no refusal message: $(cat "$T/root.out")"
	echo "ok: refuses root without --allow-root"
fi

have_x=0
if command -v Xvfb >/dev/null && command -v xdpyinfo >/dev/null; then
	start_xvfb
	have_x=1
fi
start_agent a1 --slots 2
start_agent a2 --isolation process
if [ $have_x = 1 ]; then
	start_agent a3 --display "$DISPLAY_NUM"
else
	start_agent a3
fi
wait_for 100 grep -q registered "$T/agent-a1.log" || fail "a1 did not register"
wait_for 100 grep -q registered "$T/agent-a3.log" || fail "a3 did not register"

hang=$(trigger hang '"timeout_ms": 2500')
ok1=$(trigger ok)
ok2=$(trigger ok)
ok3=$(trigger ok)
bad=$(trigger broken)
flaky=$(trigger flaky "\"params\": {\"dir\": \"$T/flaky\"}")
outer1=$(trigger outer)
outer2=$(trigger outer)
[ $have_x = 1 ] && shot=$(trigger shot)

# While the hanging job runs, its events and its log line are already
# at the scheduler: they are streamed, not sent at the end.
wait_state "$hang" running 50
hang_run=$(job_field "$hang" .run_id)
wait_for 30 sh -c "sqlite3 -readonly '$T/sched.db' \"SELECT count(*) FROM run_events WHERE run_id = $hang_run AND type = 'step_start'\" | grep -qx 2" ||
	fail "the hanging job's step events did not arrive while it ran"
check "the hanging job is still running while its events are stored" \
	running "$(job_field "$hang" .state)"
check "its log line is readable while it runs" "about to hang" \
	"$("$KOBITO" logs "$hang_run" --scheduler "$SCHED_URL" --json \
	--token-file "$T/admin.token" | jq -r '.logs[0].message')"

for j in $ok1 $ok2 $ok3 $bad $flaky $hang $outer1 $outer2 ${shot:-}; do
	wait_final "$j" 150
done
for j in $ok1 $ok2 $ok3; do
	check "ok job $j succeeded" succeeded "$(job_field "$j" .state)"
	check "ok job $j took one attempt" 1 "$(job_field "$j" .attempt)"
done
check "the failing job failed" failed "$(job_field "$bad" .state)"
check "it was tried max_attempts times" "failed failed failed" \
	"$(job_field "$bad" '[.runs[].status] | join(" ")')"
check "its error says why" "broken.yaml:3:5: fail: the ledger does not balance" \
	"$(sql "SELECT error FROM runs WHERE job_id = $bad ORDER BY id LIMIT 1")"
check "the flaky job succeeded" succeeded "$(job_field "$flaky" .state)"
check "on its third attempt, after two failures" "failed failed succeeded" \
	"$(job_field "$flaky" '[.runs[].status] | join(" ")')"
for j in $outer1 $outer2; do
	check "job $j with an included sub-flow succeeded" succeeded \
		"$(job_field "$j" .state)"
	check "the sub-flow's log line was stored" \
		"hello from the sub-flow, agent" \
		"$(sql "SELECT json_extract(event, '$.message') FROM run_events WHERE run_id = $(job_field "$j" .run_id) AND type = 'log'")"
done
grep -q "(own process)" "$T/agent-a2.log" ||
	fail "a2 (--isolation process) ran no job in its own process"
echo "ok: a2 ran its jobs in their own processes"
check "the hanging job timed out" timed_out "$(job_field "$hang" .state)"
hang_agent=$(job_field "$hang" '.runs[0].agent')
wait_for 50 grep -q "job $hang attempt 1: timed out; its output is dropped" \
	"$T/agent-$hang_agent.log" ||
	fail "agent $hang_agent did not stop the hanging job"
check "the timed-out job was not retried" 1 "$(job_field "$hang" '.runs | length')"

if [ $have_x = 1 ]; then
	check "the UI job succeeded" succeeded "$(job_field "$shot" .state)"
	check "on the agent with the display" a3 "$(job_field "$shot" '.runs[0].agent')"
	grep -q "job $shot attempt 1: shot (own process) on $DISPLAY_NUM" \
		"$T/agent-a3.log" || fail "the UI job did not run in its own process on the display"
	run=$(job_field "$shot" .run_id)
	curl -s -H "Authorization: Bearer $(admin_token)" -o "$T/shot.png" \
		"$SCHED_URL/api/runs/$run/artifacts/001-screen.png"
	check "its screenshot was uploaded" "PNG" \
		"$(head -c 4 "$T/shot.png" | tail -c 3)"
fi

# Work was spread over the agents, and every result was acknowledged.
n=$(sql "SELECT count(DISTINCT agent_id) FROM runs")
[ "$n" -ge 2 ] || fail "only $n agent(s) ran jobs"
echo "ok: $n agents ran jobs"
check "one KPI ledger row per run with a result" \
	"$(sql "SELECT count(*) FROM runs WHERE status IN ('succeeded','partial','failed')")" \
	"$(sql "SELECT count(*) FROM kpi_ledger")"
check "the ok jobs' minutes are in the ledger" 15.0 \
	"$(sql "SELECT printf('%.1f', sum(minutes_saved)) FROM kpi_ledger WHERE script = 'ok'")"
for a in a1 a2 a3; do
	check "agent $a's outbox is empty" "" "$(ls "$T/spool-$a/outbox")"
done

# The CLI, for people and for programs.
export KOBITO_SCHEDULER="$SCHED_URL" KOBITO_TOKEN="$(admin_token)"
"$KOBITO" agents >"$T/agents.txt"
check "three agents online" 3 "$(grep -c ' online ' "$T/agents.txt")"
"$KOBITO" jobs --state failed --json >"$T/failed.json"
check "kobito jobs --state filters" "$bad" "$(jq -r '.jobs[].id' "$T/failed.json")"
"$KOBITO" runs --job "$flaky" >"$T/runs.txt"
check "kobito runs lists the flaky job's three attempts" 3 \
	"$(grep -c ' flaky ' "$T/runs.txt")"
"$KOBITO" trigger ok --wait >"$T/wait.out" 2>"$T/wait.err" ||
	fail "trigger --wait of a good job failed: $(cat "$T/wait.err")"
grep -q "working on" "$T/wait.err" || fail "trigger --wait showed no log line"
check "trigger --wait reports the end" "succeeded" \
	"$(sed -n 's/^job [0-9]*: //p' "$T/wait.out")"
"$KOBITO" trigger nosuch >/dev/null 2>"$T/nosuch.err" &&
	fail "triggering an unknown script succeeded"
grep -q "404 Not Found: " "$T/nosuch.err" ||
	fail "the error does not show the status: $(cat "$T/nosuch.err")"

out=$(api POST /api/schedules "$KOBITO_TOKEN" '{"name": "nightly-ok",
	"script": "ok", "cron": "30 2 * * 1-5", "calendar": "jp-gov"}')
check "a schedule is made" 201 "$(status_of "$out")"
"$KOBITO" schedules >"$T/schedules.txt"
grep -q '^nightly-ok  *ok  *30 2 \* \* 1-5  *Asia/Tokyo  *jp-gov ' "$T/schedules.txt" ||
	fail "kobito schedules does not show it: $(cat "$T/schedules.txt")"
echo "ok: kobito schedules lists it"
"$KOBITO" token create --role viewer --name carol >"$T/carol.token" 2>"$T/carol.err"
grep -q '^kbu_' "$T/carol.token" || fail "no token printed: $(cat "$T/carol.err")"
check "the new viewer token works" 200 \
	"$(api GET /api/whoami "$(cat "$T/carol.token")" | tail -n 1)"
KOBITO_TOKEN=$(cat "$T/carol.token") "$KOBITO" trigger ok 2>"$T/viewer.err" &&
	fail "a viewer could trigger a job"
grep -q "403 Forbidden: " "$T/viewer.err" ||
	fail "the refusal does not show the status: $(cat "$T/viewer.err")"
echo "ok: a viewer's trigger is refused with 403 and its message"

# An orderly stop: every agent exits 0.
for a in a1 a2 a3; do
	stop_agent "$a"
	rc=$?
	check "agent $a stops cleanly on SIGTERM" 0 "$rc"
done
exit 0
