#!/bin/sh
# sched_jobs.sh - the scheduler's job life cycle over HTTP, with curl
# playing two agents: script upload and validation (422 with
# file:line:col), triggers with params checked, idempotency keys,
# priorities, label matching, long polls woken at once by a trigger,
# heartbeats, stale tokens refused (409), lease expiry and requeue, retries
# after backoff, cancel, secrets handed only with a lease and masked in
# stored logs, schedules (validation, misfire skip and run_once), metrics,
# and acknowledged triggers surviving kill -9 of the scheduler (with live
# leases extended across the restart).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cat > "$T/scripts/hello.yaml" <<'EOF'
name: hello
kpi: { manual_minutes_per_run: 4, manual_minutes_per_item: 1 }
params:
  n: { type: int, default: 1 }
steps:
  - log: "hello ${params.n}"
EOF
cat > "$T/scripts/display.yaml" <<'EOF'
name: display_job
requires: [display]
steps:
  - log: on a display
EOF
cat > "$T/scripts/login.yaml" <<'EOF'
name: login
steps:
  - log: "token is ${secrets.portal_password}"
EOF
cat > "$T/config.yaml" <<'EOF'
lease_ttl_ms: 1000
jobs:
  max_attempts: 3
  backoff_ms: 300
  backoff_max_ms: 1000
EOF

ADMIN=$(make_token admin alice)
OP=$(make_token operator oscar)
A=$(make_token agent pc-a)
B=$(make_token agent pc-b)
start_scheduler --config "$T/config.yaml"

# body of a call, failing unless the status is the expected one
call() {
	want=$1
	shift
	out=$(api "$@")
	s=$(status_of "$out")
	[ "$s" = "$want" ] || fail "$1 $2: expected $want, got $s: $(body_of "$out")"
	body_of "$out"
}
trigger() { call 201 POST /api/jobs "$OP" "$1" | jq -r .job_id; }
state_of() { call 200 GET "/api/jobs/$1" "$OP" | jq -r .state; }

aid=$(call 200 POST /api/agents/register "$A" \
	'{"name":"pc-a","labels":["display"],"slots":1,"version":"t"}' | jq .agent_id)
bid=$(call 200 POST /api/agents/register "$B" \
	'{"name":"pc-b","labels":[],"slots":1}' | jq .agent_id)
call 403 POST /api/agents/register "$B" '{"name":"pc-a"}' >/dev/null
call 403 POST /api/agents/lease "$B" "{\"agent_id\":$aid}" >/dev/null
lease() {	# lease TOKEN AGENT_ID WAIT_MS -> the lease JSON or "204"
	out=$(api POST /api/agents/lease "$1" \
		"{\"agent_id\":$2,\"wait_ms\":$3,\"free_slots\":1}")
	case $(status_of "$out") in
	200) body_of "$out" ;;
	204) echo 204 ;;
	*) fail "lease: $out" ;;
	esac
}

# Scripts: upload checks with the engine's loader.
bad=$(printf 'name: broken\nsteps:\n  - file.wirte: {path: x}\n' | jq -Rs '{source: ., filename: "broken.yaml"}')
out=$(call 422 POST /api/scripts "$ADMIN" "$bad")
printf '%s\n' "$out" | jq -e '.errors[0] | test("^broken.yaml:3:5: unknown action .file.wirte.")' \
	>/dev/null || fail "422 errors: $out"
good=$(printf 'name: uploaded\nsteps:\n  - log: hi\n' | jq -Rs '{source: .}')
d1=$(call 201 POST /api/scripts "$ADMIN" "$good" | jq -r .digest)
d2=$(call 200 POST /api/scripts "$ADMIN" "$good" | jq -r .digest)
check "the same version uploaded twice" "$d1" "$d2"
call 403 POST /api/scripts "$OP" "$good" >/dev/null

# Triggers: params checked against the script.
out=$(call 400 POST /api/jobs "$OP" '{"script":"hello","params":{"n":"many"}}')
printf '%s\n' "$out" | jq -e '.error | test("params.n")' >/dev/null || fail "$out"
call 400 POST /api/jobs "$OP" '{"script":"hello","params":{"m":1}}' >/dev/null
call 404 POST /api/jobs "$OP" '{"script":"nope"}' >/dev/null
j1=$(trigger '{"script":"hello","params":{"n":"3"},"idempotency_key":"k1"}')
j1b=$(call 200 POST /api/jobs "$OP" '{"script":"hello","params":{"n":"3"},"idempotency_key":"k1"}' | jq .job_id)
check "the same idempotency key gives the same job" "$j1" "$j1b"
jlow=$(trigger '{"script":"hello","priority":-5}')
jhigh=$(trigger '{"script":"hello","priority":7}')

l=$(lease "$B" "$bid" 0)
check "the highest priority first" "$jhigh" "$(printf '%s\n' "$l" | jq .job_id)"
check "typed params" 1 "$(printf '%s\n' "$l" | jq .params.n)"
tok=$(printf '%s\n' "$l" | jq -r .lease_token)
call 200 POST "/api/jobs/$jhigh/heartbeat" "$B" "{\"lease_token\":\"$tok\"}" >/dev/null
check "a heartbeat starts the job" running "$(state_of "$jhigh")"
call 409 POST "/api/jobs/$jhigh/heartbeat" "$B" '{"lease_token":"0123456789abcdef0123456789abcdef"}' >/dev/null
call 409 POST "/api/jobs/$jhigh/heartbeat" "$A" '{"lease_token":"short"}' >/dev/null
call 200 POST "/api/jobs/$jhigh/events" "$B" "{\"lease_token\":\"$tok\",\"events\":[{\"type\":\"log\",\"seq\":1,\"level\":\"info\",\"message\":\"one\",\"time\":\"2026-01-01T00:00:00+09:00\"},{\"type\":\"item_end\",\"seq\":2,\"index\":0,\"status\":\"succeeded\"}]}" >/dev/null
call 200 POST "/api/jobs/$jhigh/result" "$B" "{\"lease_token\":\"$tok\",\"summary\":{\"status\":\"succeeded\",\"items\":{\"succeeded\":2,\"failed\":0},\"minutes_saved\":9999}}" >/dev/null
check "a stored result" succeeded "$(state_of "$jhigh")"
out=$(call 200 POST "/api/jobs/$jhigh/result" "$B" "{\"lease_token\":\"$tok\",\"summary\":{\"status\":\"succeeded\"}}")
check "a result sent twice is acknowledged once" true "$(printf '%s\n' "$out" | jq .duplicate)"
run=$(call 200 GET "/api/jobs/$jhigh" "$OP" | jq '.runs[0].id')
r=$(call 200 GET "/api/runs/$run" "$OP")
check "minutes from the script's kpi, not the agent" 6 "$(printf '%s\n' "$r" | jq .minutes_saved)"
check "logs stored" one "$(printf '%s\n' "$r" | jq -r '.logs[0].message')"
check "item events stored" 1 "$(printf '%s\n' "$r" | jq '.item_events | length')"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM kpi_ledger WHERE job_id = $jhigh")
check "one ledger row for the run" 1 "$n"
call 200 GET "/api/runs/$run/logs?after=0" "$OP" | jq -e '.logs | length == 1' >/dev/null ||
	fail "logs route"
tr=$(call 200 GET "/api/jobs/$jhigh" "$OP" | jq -r '[.transitions[].to] | join(",")')
check "transitions recorded" "queued,leased,running,succeeded" "$tr"

# Labels: only an agent with "display" gets the display job.
jd=$(trigger '{"script":"display_job"}')
l=$(lease "$B" "$bid" 300)
check "pc-b has no display label" "$j1" "$(printf '%s\n' "$l" | jq .job_id)"
call 200 POST "/api/jobs/$j1/release" "$B" "{\"lease_token\":\"$(printf '%s\n' "$l" | jq -r .lease_token)\",\"reason\":\"test\"}" >/dev/null
l=$(lease "$B" "$bid" 0)
check "released job leased again" "$j1" "$(printf '%s\n' "$l" | jq .job_id)"
check "release does not use an attempt" 2 "$(printf '%s\n' "$l" | jq .attempt)"
tok1=$(printf '%s\n' "$l" | jq -r .lease_token)
call 200 POST "/api/jobs/$j1/result" "$B" "{\"lease_token\":\"$tok1\",\"summary\":{\"status\":\"succeeded\"}}" >/dev/null
l=$(lease "$A" "$aid" 0)
check "pc-a gets the display job" "$jd" "$(printf '%s\n' "$l" | jq .job_id)"

# Lease expiry: pc-a never heartbeats; the job is queued again, pc-a's
# token goes stale, and another lease finishes it.
toka=$(printf '%s\n' "$l" | jq -r .lease_token)
sleep 2.5
check "an expired lease requeues" queued "$(state_of "$jd")"
call 409 POST "/api/jobs/$jd/result" "$A" "{\"lease_token\":\"$toka\",\"summary\":{\"status\":\"succeeded\"}}" >/dev/null
l=$(lease "$A" "$aid" 0)
check "re-dispatched with attempt 2" 2 "$(printf '%s\n' "$l" | jq .attempt)"
call 200 POST "/api/jobs/$jd/result" "$A" "{\"lease_token\":\"$(printf '%s\n' "$l" | jq -r .lease_token)\",\"summary\":{\"status\":\"succeeded\"}}" >/dev/null
# A finished job's token is stale too.
call 409 POST "/api/jobs/$j1/heartbeat" "$B" "{\"lease_token\":\"$tok1\"}" >/dev/null

# Retries with backoff: a failed run is retried after backoff_ms.
drain() {	# finish every job still queued
	while :; do
		l=$(lease "$B" "$bid" 0)
		[ "$l" = 204 ] && return
		call 200 POST "/api/jobs/$(printf '%s\n' "$l" | jq .job_id)/result" "$B" \
			"{\"lease_token\":\"$(printf '%s\n' "$l" | jq -r .lease_token)\",\"summary\":{\"status\":\"succeeded\"}}" >/dev/null
	done
}
drain
check "nothing left queued" 0 "$(call 200 GET '/api/jobs?state=queued,retrying' "$OP" | jq '.jobs | length')"

# Batches: one lease call takes up to max_jobs jobs (no more than its free
# slots); one results call reports several, each stored or refused alone.
jb1=$(trigger '{"script":"hello"}')
jb2=$(trigger '{"script":"hello"}')
jb3=$(trigger '{"script":"hello"}')
out=$(call 200 POST /api/agents/lease "$B" "{\"agent_id\":$bid,\"wait_ms\":0,\"free_slots\":2,\"max_jobs\":8}")
check "a batch lease takes up to free_slots" "$jb1,$jb2" "$(printf '%s\n' "$out" | jq -r '[.jobs[].job_id] | join(",")')"
tb1=$(printf '%s\n' "$out" | jq -r '.jobs[0].lease_token')
tb2=$(printf '%s\n' "$out" | jq -r '.jobs[1].lease_token')
call 400 POST /api/agents/lease "$B" "{\"agent_id\":$bid,\"max_jobs\":99}" >/dev/null
call 400 POST /api/results "$B" '{"results":[]}' >/dev/null
out=$(call 200 POST /api/results "$B" "{\"results\":[
	{\"job_id\":$jb1,\"lease_token\":\"$tb1\",\"summary\":{\"status\":\"succeeded\"},\"events\":[{\"type\":\"log\",\"seq\":1,\"level\":\"info\",\"message\":\"batched\",\"time\":\"2026-01-01T00:00:00+09:00\"}]},
	{\"job_id\":$jb2,\"lease_token\":\"0123456789abcdef0123456789abcdef\",\"summary\":{\"status\":\"succeeded\"}},
	{\"job_id\":$jb2,\"lease_token\":\"$tb2\"},
	{\"job_id\":$jb1,\"lease_token\":\"$tb1\",\"summary\":{\"status\":\"succeeded\"}}]}")
check "each result answered alone" "200,409,400,200" "$(printf '%s\n' "$out" | jq -r '[.results[].status] | join(",")')"
check "a result sent twice is a duplicate" "false,true" "$(printf '%s\n' "$out" | jq -r '[.results[] | select(.status == 200) | .duplicate] | join(",")')"
check "the batched result is stored" succeeded "$(state_of "$jb1")"
check "a refused one changes nothing" leased "$(state_of "$jb2")"
check "the batched events are stored" batched \
	"$(call 200 GET "/api/runs/$(call 200 GET "/api/jobs/$jb1" "$OP" | jq .run_id)/logs" "$OP" | jq -r '.logs[0].message')"
call 200 POST "/api/jobs/$jb2/result" "$B" "{\"lease_token\":\"$tb2\",\"summary\":{\"status\":\"succeeded\"}}" >/dev/null
l=$(lease "$B" "$bid" 0)
check "a lease without max_jobs is one job" "$jb3" "$(printf '%s\n' "$l" | jq .job_id)"
call 200 POST "/api/jobs/$jb3/result" "$B" "{\"lease_token\":\"$(printf '%s\n' "$l" | jq -r .lease_token)\",\"summary\":{\"status\":\"succeeded\"}}" >/dev/null
jr=$(trigger '{"script":"hello","max_attempts":2}')
l=$(lease "$B" "$bid" 0)
check "the retry job" "$jr" "$(printf '%s\n' "$l" | jq .job_id)"
call 200 POST "/api/jobs/$jr/result" "$B" "{\"lease_token\":\"$(printf '%s\n' "$l" | jq -r .lease_token)\",\"summary\":{\"status\":\"failed\",\"error\":\"boom\"}}" >/dev/null
check "a failed run is retried" retrying "$(state_of "$jr")"
check "not before the backoff" 204 "$(lease "$B" "$bid" 0)"
l=$(lease "$B" "$bid" 3000)
check "after the backoff" "$jr" "$(printf '%s\n' "$l" | jq .job_id)"
call 200 POST "/api/jobs/$jr/result" "$B" "{\"lease_token\":\"$(printf '%s\n' "$l" | jq -r .lease_token)\",\"summary\":{\"status\":\"failed\",\"error\":\"boom\"}}" >/dev/null
check "attempts used up" failed "$(state_of "$jr")"

# Cancel: a queued job at once; a running one through its heartbeat.
jc=$(trigger '{"script":"hello"}')
call 200 POST "/api/jobs/$jc/cancel" "$OP" '{"reason":"not today"}' >/dev/null
check "queued job cancelled" cancelled "$(state_of "$jc")"
call 409 POST "/api/jobs/$jc/cancel" "$OP" >/dev/null
jc=$(trigger '{"script":"hello"}')
l=$(lease "$B" "$bid" 0)
tok=$(printf '%s\n' "$l" | jq -r .lease_token)
call 200 POST "/api/jobs/$jc/cancel" "$OP" >/dev/null
out=$(call 200 POST "/api/jobs/$jc/heartbeat" "$B" "{\"lease_token\":\"$tok\"}")
check "the agent hears of the cancel" true "$(printf '%s\n' "$out" | jq .cancel)"
call 200 POST "/api/jobs/$jc/result" "$B" "{\"lease_token\":\"$tok\",\"summary\":{\"status\":\"failed\",\"error\":\"stopped\"}}" >/dev/null
check "running job cancelled" cancelled "$(state_of "$jc")"

# Long polls: an idle agent hears of a new job at once.
start=$(date +%s%N)
lease "$B" "$bid" 10000 > "$T/lp" &
lp=$!
sleep 0.5
jw=$(trigger '{"script":"hello"}')
wait $lp
end=$(date +%s%N)
check "the waiting agent got the job" "$jw" "$(jq .job_id "$T/lp")"
ms=$(( (end - start) / 1000000 ))
[ "$ms" -lt 2000 ] || fail "long poll answered after $ms ms"
echo "ok: long poll answered ${ms} ms after it began (trigger at 500 ms)"
# The run's last events may come with its result, in one call.
call 200 POST "/api/jobs/$jw/result" "$B" "{\"lease_token\":\"$(jq -r .lease_token "$T/lp")\",\"summary\":{\"status\":\"succeeded\"},\"events\":[{\"type\":\"log\",\"seq\":1,\"level\":\"info\",\"message\":\"with the result\",\"time\":\"2026-01-01T00:00:00+09:00\"}]}" >/dev/null
check "events with the result are stored" "with the result" \
	"$(call 200 GET "/api/runs/$(jq .run_id "$T/lp")/logs" "$OP" | jq -r '.logs[0].message')"
call 400 POST "/api/jobs/$jw/result" "$B" "{\"lease_token\":\"$(jq -r .lease_token "$T/lp")\",\"summary\":{\"status\":\"succeeded\"},\"events\":{}}" >/dev/null
start=$(date +%s%N)
check "an empty long poll" 204 "$(lease "$B" "$bid" 700)"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 650 ] && [ "$ms" -lt 3000 ] || fail "empty poll took $ms ms"

# Secrets: sealed, handed only with a lease, masked in stored logs.
call 200 PUT /api/secrets/portal_password "$ADMIN" '{"value":"hunter2-xyz","allow":["portal.city.example"]}' >/dev/null
call 200 GET /api/secrets "$ADMIN" | grep -q hunter2 && fail "secret value listed"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM secrets WHERE box LIKE '%hunter2%'")
check "sealed at rest" 0 "$n"
js=$(trigger '{"script":"login"}')
l=$(lease "$B" "$bid" 0)
check "the lease carries the secret and where it may go" 'hunter2-xyz ["portal.city.example"]' \
	"$(printf '%s\n' "$l" | jq -c -r '"\(.secrets.portal_password.value) \(.secrets.portal_password.allow)"')"
tok=$(printf '%s\n' "$l" | jq -r .lease_token)
call 200 POST "/api/jobs/$js/events" "$B" "{\"lease_token\":\"$tok\",\"events\":[{\"type\":\"log\",\"message\":\"oops hunter2-xyz leaked\"}]}" >/dev/null
call 200 POST "/api/jobs/$js/result" "$B" "{\"lease_token\":\"$tok\",\"summary\":{\"status\":\"succeeded\",\"error\":\"hunter2-xyz\"}}" >/dev/null
run=$(call 200 GET "/api/jobs/$js" "$OP" | jq '.runs[0].id')
call 200 GET "/api/runs/$run" "$OP" | grep -q hunter2 && fail "secret stored in a run"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM run_events WHERE event LIKE '%hunter2%'")
check "masked in the database too" 0 "$n"
grep -q hunter2 "$T/scheduler.log" && fail "secret in the scheduler's log"

# Schedules: validation, and misfire after downtime.
out=$(call 422 POST /api/schedules "$ADMIN" '{"name":"bad","script":"hello","cron":"61 * * * *","tz":"Mars/Olympus"}')
printf '%s\n' "$out" | jq -e '[.errors[] | select(test("minute field: 61"))] | length == 1' >/dev/null || fail "$out"
printf '%s\n' "$out" | jq -e '[.errors[] | select(test("^tz"))] | length == 1' >/dev/null || fail "$out"
out=$(call 201 POST /api/schedules "$ADMIN" '{"name":"catchup","script":"hello","cron":"0 3 * * *","misfire":"run_once","params":{"n":5}}')
printf '%s\n' "$out" | jq -e '.next_fire | test("T03:00:00.000\\+09:00$")' >/dev/null || fail "next fire: $out"
call 201 POST /api/schedules "$ADMIN" '{"name":"skipper","script":"hello","cron":"0 3 * * *","misfire":"skip"}' >/dev/null
call 200 POST /api/schedules "$ADMIN" '{"name":"skipper","script":"hello","cron":"0 4 * * *","misfire":"skip"}' >/dev/null
past=$(( $(date +%s) * 1000 - 3 * 86400000 ))
sqlite3 "$T/sched.db" "UPDATE schedules SET next_fire = $past" || fail "sqlite3"
sleep 2.5
n=$(call 200 GET "/api/jobs?limit=1000" "$OP" | jq '[.jobs[] | select(.triggered_by == "schedule:catchup")] | length')
check "run_once fires once for all missed times" 1 "$n"
n=$(call 200 GET "/api/jobs?limit=1000" "$OP" | jq '[.jobs[] | select(.triggered_by == "schedule:skipper")] | length')
check "skip drops missed times" 0 "$n"
call 200 GET /api/schedules "$OP" | jq -e --argjson p "$past" \
	'[.schedules[] | select(.last_fire != null or .name == "skipper")] | length == 2' \
	>/dev/null || fail "schedules after the tick"
call 200 DELETE /api/schedules/skipper "$ADMIN" >/dev/null
call 404 DELETE /api/schedules/skipper "$ADMIN" >/dev/null

# Metrics.
m=$(curl -s -H "Authorization: Bearer $OP" "$SCHED_URL/metrics")
printf '%s\n' "$m" | grep -q '^kobito_jobs{state="succeeded"} [1-9]' || fail "metrics: $m"
printf '%s\n' "$m" | grep -q '^kobito_dispatch_latency_seconds_count [1-9]' || fail "no latency"
printf '%s\n' "$m" | grep -q '^kobito_lease_expiries_total [1-9]' || fail "no expiries"

# Durability: acknowledged triggers survive kill -9, and a live lease is
# extended across the restart.
drain
: > "$T/acked"
i=0
while [ $i -lt 100 ]; do
	out=$(api POST /api/jobs "$OP" '{"script":"hello"}')
	[ "$(status_of "$out")" = 201 ] && body_of "$out" | jq .job_id >> "$T/acked"
	i=$((i + 1))
done
jl=$(trigger '{"script":"hello","priority":100}')
l=$(lease "$B" "$bid" 0)
check "the job to hold across the restart" "$jl" "$(printf '%s\n' "$l" | jq .job_id)"
tokl=$(printf '%s\n' "$l" | jq -r .lease_token)
stop_scheduler KILL
sleep 1.5	# longer than the lease TTL
start_scheduler --config "$T/config.yaml"
call 200 POST "/api/jobs/$jl/heartbeat" "$B" "{\"lease_token\":\"$tokl\"}" >/dev/null
echo "ok: the lease outlived the restart"
lost=0
for id in $(cat "$T/acked"); do
	s=$(status_of "$(api GET "/api/jobs/$id" "$OP")")
	[ "$s" = 200 ] || lost=$((lost + 1))
done
check "acknowledged triggers after kill -9" "0 of 100 lost" "$lost of $(wc -l < "$T/acked" | tr -d ' ') lost"
check "integrity" ok "$(sqlite3 "$T/sched.db" 'PRAGMA integrity_check')"
stop_scheduler
