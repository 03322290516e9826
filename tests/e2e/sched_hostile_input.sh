#!/bin/sh
# sched_hostile_input.sh - requests that are well-formed HTTP but mean
# something other than they seem: a NUL byte escaped in the path or a
# query (it used to cut a name short, so PUT /api/users/a%00b changed
# user 'a'), JSON objects with a key twice (the last one used to win),
# an idempotency key reused with other parameters (silently answered
# with the first job), and a result delivered late (its delay used to
# be reported as the run's duration).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cat >"$T/scripts/hello.yaml" <<'EOF'
name: hello
params:
  n: { type: int, default: 1 }
steps:
  - log: "hello ${params.n}"
EOF
start_scheduler
ADMIN=$(make_token admin root)
OP=$(make_token operator oscar)
AGENT=$(make_token agent pc-1)

# body of a call, failing unless the status is the expected one
call() {
	want=$1
	shift
	out=$(api "$@")
	s=$(status_of "$out")
	[ "$s" = "$want" ] || fail "$1 $2: expected $want, got $s: $(body_of "$out")"
	body_of "$out"
}

# --- a NUL byte in the path or a query ------------------------------------
call 201 PUT /api/users/a "$ADMIN" \
	'{"role":"viewer","password":"a long enough secret"}' >/dev/null
out=$(call 400 PUT /api/users/a%00b "$ADMIN" '{"role":"admin"}')
printf '%s\n' "$out" | jq -e '.error | test("NUL")' >/dev/null ||
	fail "the refusal does not say why: $out"
role=$(sqlite3 "$T/sched.db" "SELECT role FROM users WHERE name = 'a'")
check "user 'a' is untouched by PUT /api/users/a%00b" viewer "$role"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM users WHERE name LIKE 'a%'")
check "and no user was created" 1 "$n"
call 400 GET '/api/audit?actor=root%00x' "$ADMIN" >/dev/null
call 400 GET '/api/scripts/hello%00.yaml' "$ADMIN" >/dev/null
call 400 GET '/api/jobs?state=%ff' "$ADMIN" >/dev/null
# Escapes that decode to something harmless still work.
call 200 GET '/api/scripts/hell%6F' "$ADMIN" >/dev/null

# --- duplicate keys in a JSON body -----------------------------------------
out=$(call 400 POST /api/jobs "$OP" '{"script":"hello","script":"nope"}')
printf '%s\n' "$out" | jq -e '.error | test("duplicate")' >/dev/null ||
	fail "duplicate keys: $out"
call 400 POST /api/jobs "$OP" \
	'{"script":"hello","params":{"n":1,"n":2}}' >/dev/null
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM jobs")
check "no job from a body with duplicate keys" 0 "$n"

# --- an idempotency key reused with other parameters -----------------------
first='{"script":"hello","params":{"n":2},"idempotency_key":"pay-7"}'
j1=$(call 201 POST /api/jobs "$OP" "$first" | jq .job_id)
j2=$(call 200 POST /api/jobs "$OP" "$first" | jq .job_id)
check "the same request again gives the same job" "$j1" "$j2"
for other in \
	'{"script":"hello","params":{"n":3},"idempotency_key":"pay-7"}' \
	'{"script":"hello","idempotency_key":"pay-7"}' \
	'{"script":"hello","params":{"n":2},"priority":5,"idempotency_key":"pay-7"}' \
	'{"script":"hello","params":{"n":2},"max_attempts":1,"idempotency_key":"pay-7"}'
do
	out=$(call 409 POST /api/jobs "$OP" "$other")
	printf '%s\n' "$out" | jq -e ".error | test(\"pay-7\") and test(\"job $j1\")" \
		>/dev/null || fail "409 without the key and the job: $out"
done
echo "ok: a key reused with other parameters is refused with 409"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM jobs")
check "still one job" 1 "$n"

# --- a result delivered late -------------------------------------------------
aid=$(call 200 POST /api/agents/register "$AGENT" '{"name":"pc-1"}' | jq .agent_id)
l=$(call 200 POST /api/agents/lease "$AGENT" "{\"agent_id\":$aid}")
tok=$(printf '%s\n' "$l" | jq -r .lease_token)
run=$(printf '%s\n' "$l" | jq .run_id)
# The agent ran the job in 150 ms, then could not reach the scheduler
# for a while (the delay below) and delivered the result from its spool.
sleep 2
call 200 POST "/api/jobs/$j1/result" "$AGENT" \
	"{\"lease_token\":\"$tok\",\"summary\":{\"status\":\"succeeded\",\"duration_ms\":150}}" \
	>/dev/null
d=$(call 200 GET "/api/runs/$run" "$OP" | jq .duration_ms)
check "the run's duration is the agent's, not the delivery delay" 150 "$d"
f=$(sqlite3 "$T/sched.db" "SELECT finished_at - started_at FROM runs WHERE id = $run")
check "and it finished when the agent says" 150 "$f"

# A duration longer than the lease has lasted is not believed.
j3=$(call 201 POST /api/jobs "$OP" '{"script":"hello"}' | jq .job_id)
l=$(call 200 POST /api/agents/lease "$AGENT" "{\"agent_id\":$aid}")
tok=$(printf '%s\n' "$l" | jq -r .lease_token)
run=$(printf '%s\n' "$l" | jq .run_id)
call 200 POST "/api/jobs/$j3/result" "$AGENT" \
	"{\"lease_token\":\"$tok\",\"summary\":{\"status\":\"succeeded\",\"duration_ms\":86400000}}" \
	>/dev/null
d=$(call 200 GET "/api/runs/$run" "$OP" | jq .duration_ms)
[ "$d" -lt 60000 ] || fail "a day-long duration was taken: $d"
echo "ok: a duration past the lease's age is capped ($d ms)"
call 400 POST "/api/jobs/$j3/result" "$AGENT" \
	"{\"lease_token\":\"$tok\",\"summary\":{\"status\":\"succeeded\",\"duration_ms\":-5}}" \
	>/dev/null

stop_scheduler
echo "ok: all"
