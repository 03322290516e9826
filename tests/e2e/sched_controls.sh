#!/bin/sh
# sched_controls.sh - what people do to jobs, schedules, scripts and
# settings through the API, each audited: cancel a running job (stopped on
# its real agent, the items it did kept), retry a failed one (the same
# version), run one again with edited params, cancel and retry many at
# once (by ids and by a filter, each job checked); pause, resume, run now
# and pin a schedule to a version; the next fire times of a cron field
# with the jp-gov calendar; upload a script (file:line:col refusals), the
# diff between two versions, roll back; assets a bot reads, write-only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat > "$T/scripts/slow.yaml" <<'EOF'
name: slow_items
owner: 財政局/経理部/会計課
steps:
  - for_each: ${split("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t", ",")}
    steps:
      - log: "item ${item}"
      - sleep: 0.25
EOF
cat > "$T/scripts/flaky.yaml" <<'EOF'
name: flaky
owner: 財政局/経理部/会計課
params:
  who: { type: string, default: sato }
steps:
  - log: "folder ${assets.kaikei_folder} for ${params.who}"
  - fail: "no invoice for ${params.who}"
EOF
cat > "$T/scripts/nobody.yaml" <<'EOF'
name: parked
owner: 財政局/経理部/会計課
requires: [no-such-label]
steps:
  - log: never run
EOF
cat > "$T/config.yaml" <<'EOF'
lease_ttl_ms: 3000
jobs: { max_attempts: 1 }
EOF
"$SCHED" user set --db "$T/sched.db" --name op --role operator \
	--department 会計課 2>/dev/null || fail "user op"
"$SCHED" user set --db "$T/sched.db" --name eng --role engineer \
	--department 経理部 2>/dev/null || fail "user eng"
"$SCHED" user set --db "$T/sched.db" --name other --role engineer \
	--department 市民局 2>/dev/null || fail "user other"
OP=$(make_token operator op)
ENG=$(make_token engineer eng)
OTHER=$(make_token engineer other)
start_scheduler --config "$T/config.yaml" \
	--kpi-config "$KOBITO_TOP/config/kpi.yaml"
start_agent a1

call() {	# call STATUS METHOD PATH TOKEN [BODY]: the body, or fail
	_want=$1
	shift
	_out=$(api "$@")
	[ "$(status_of "$_out")" = "$_want" ] ||
		fail "$1 $2: expected $_want, got $(status_of "$_out"): $(body_of "$_out")"
	body_of "$_out"
}
audited() {	# audited PATH-PART: the audit log has a 2xx row of it
	[ "$(sql "SELECT count(*) FROM audit WHERE path LIKE '%$1%'
		AND status BETWEEN 200 AND 299")" -ge 1 ] ||
		fail "no audit row for $1"
}

# --- assets: written, listed without their value, read by the bot -------
call 201 PUT /api/assets/kaikei_folder "$ENG" \
	'{"value": "\\\\fs01\\kaikei", "department": "会計課"}' >/dev/null
call 403 PUT /api/assets/kaikei_folder "$OTHER" '{"value": "x"}' >/dev/null
call 400 PUT /api/assets/Bad-Name "$ENG" '{"value": "x"}' >/dev/null
l=$(call 200 GET /api/assets "$ENG")
printf '%s' "$l" | jq -e '.assets[0].name == "kaikei_folder" and
	.assets[0].department == "zaisei-keiri-kaikei" and
	.assets[0].updated_by == "eng" and (.assets[0] | has("value") | not)' \
	>/dev/null || fail "assets list: $l"
check "another department sees none" 0 \
	"$(call 200 GET /api/assets "$OTHER" | jq '.assets | length')"
call 201 PUT /api/assets/spare "$ENG" \
	'{"value": "x", "department": "zaisei-keiri-kaikei"}' >/dev/null
check "an asset deleted" '{"deleted":"spare"}' \
	"$(call 200 DELETE /api/assets/spare "$ENG" | jq -c .)"
check "and gone" "no asset 'spare'" \
	"$(call 404 DELETE /api/assets/spare "$ENG" | jq -r .error)"

# --- retry a failed job: the same version, a new job ---------------------
j=$(call 201 POST /api/jobs "$OP" '{"script": "flaky"}' | jq .job_id)
wait_state "$j" failed 100
r=$(job_field "$j" .run_id)
call 200 GET "/api/runs/$r/logs" "$OP" | jq -e \
	'.logs[0].message == "folder \\\\fs01\\kaikei for sato"' >/dev/null ||
	fail "the bot did not read the asset: $(api GET "/api/runs/$r/logs" "$OP")"
call 409 POST "/api/jobs/$j/cancel" "$OP" '{}' >/dev/null
d1=$(job_field "$j" .digest)
cat > "$T/flaky2.yaml" <<'EOF'
name: flaky
owner: 財政局/経理部/会計課
params:
  who: { type: string, default: suzuki }
  amount: { type: int, default: 1 }
steps:
  - log: "v2 for ${params.who}"
  - fail: "still no invoice for ${params.who}"
EOF
up=$(jq -n --rawfile s "$T/flaky2.yaml" '{source: $s, filename: "flaky.yaml"}')
d2=$(call 201 POST /api/scripts "$ENG" "$up" | jq -r .digest)
[ "$d1" != "$d2" ] || fail "the new version has the old digest"
n=$(call 201 POST "/api/jobs/$j/retry" "$OP" '{}' | jq .job_id)
check "a retry runs the failed version" "$d1" "$(job_field "$n" .digest)"
check "and knows what it retries" "$j" "$(job_field "$n" .retry_of)"
wait_state "$n" failed 100
call 409 POST "/api/jobs/$(trigger slow_items)/retry" "$OP" '{}' >/dev/null

# --- run again, with edited params, on the current version --------------
call 400 POST "/api/jobs/$j/rerun" "$OP" '{"params": {"amount": "many"}}' \
	>/dev/null
n=$(call 201 POST "/api/jobs/$j/rerun" "$OP" \
	'{"params": {"who": "tanaka", "amount": 3}}' | jq .job_id)
check "a rerun runs the current version" "$d2" "$(job_field "$n" .digest)"
check "with the params given" '{"amount":3,"who":"tanaka"}' \
	"$(job_field "$n" '.params | tojson' | jq -cS .)"
call 403 POST "/api/jobs/$j/rerun" "$OTHER" '{}' >/dev/null

# --- cancel a running job: stopped on its agent, its items kept ----------
j=$(call 201 POST /api/jobs "$OP" '{"script": "slow_items"}' | jq .job_id)
wait_for 100 sh -c "[ \"\$(sqlite3 '$T/sched.db' \"SELECT count(*) FROM
	run_events e JOIN runs r ON r.id = e.run_id WHERE r.job_id = $j AND
	e.type = 'item_end'\")\" -ge 2 ]" || fail "job $j did no item"
t0=$(date +%s)
call 200 POST "/api/jobs/$j/cancel" "$OP" '{"reason": "wrong month"}' >/dev/null
wait_state "$j" cancelled 100
[ $(( $(date +%s) - t0 )) -le 4 ] || fail "the cancel took $(( $(date +%s) - t0 )) s"
r=$(job_field "$j" .run_id)
done_items=$(call 200 GET "/api/runs/$r" "$OP" | jq .items.succeeded)
[ "$done_items" -ge 2 ] && [ "$done_items" -lt 20 ] ||
	fail "the cancelled run kept $done_items items"
echo "ok: cancelled after $done_items of 20 items"
grep -q "job $j attempt 1: cancelled by a user; stopping it" "$T/agent-a1.log" ||
	fail "the agent did not stop it: $(tail -n 5 "$T/agent-a1.log")"

# --- many at once: by a filter, by ids; each job checked ------------------
p1=$(call 201 POST /api/jobs "$OP" '{"script": "parked"}' | jq .job_id)
p2=$(call 201 POST /api/jobs "$OP" '{"script": "parked"}' | jq .job_id)
b=$(call 200 POST /api/jobs/bulk "$OTHER" \
	'{"action": "cancel", "filter": {"script": "parked"}}')
check "another department's filter finds none" 0 "$(printf '%s' "$b" | jq '.results | length')"
b=$(call 200 POST /api/jobs/bulk "$OTHER" "{\"action\": \"cancel\", \"ids\": [$p1]}")
check "nor may it cancel one by id" 403 "$(printf '%s' "$b" | jq '.results[0].status')"
b=$(call 200 POST /api/jobs/bulk "$OP" \
	'{"action": "cancel", "filter": {"script": "parked", "state": "queued"}}')
check "the filter cancels both" "[$p2,$p1]" \
	"$(printf '%s' "$b" | jq -c '[.results[] | select(.status == 200) | .job_id]')"
b=$(call 200 POST /api/jobs/bulk "$OP" \
	"{\"action\": \"retry\", \"ids\": [$p1, $p2, 999999]}")
check "retried by ids" "201 201 404" \
	"$(printf '%s' "$b" | jq -r '[.results[].status] | map(tostring) | join(" ")')"
call 400 POST /api/jobs/bulk "$OP" '{"action": "explode", "ids": [1]}' >/dev/null
call 400 POST /api/jobs/bulk "$OP" '{"action": "cancel"}' >/dev/null
call 200 POST /api/jobs/bulk "$OP" \
	'{"action": "cancel", "filter": {"script": "parked", "state": "queued"}}' >/dev/null

# --- schedules: the next times as they are typed, pause, resume, run now --
nx=$(call 200 GET '/api/cron/next?cron=0+9+*+*+*&calendar=jp-gov&n=5' "$OP")
printf '%s' "$nx" | jq -e '.next | length == 5' >/dev/null || fail "cron next: $nx"
for t in $(printf '%s' "$nx" | jq -r '.next[]'); do
	case $t in *T09:00:00+09:00) ;; *) fail "not 09:00 JST: $t" ;; esac
	dow=$(date -d "${t%%T*}" +%u)
	[ "$dow" -le 5 ] || fail "a fire time on a weekend: $t"
done
printf '%s' "$nx" | jq -e '.next == (.next | sort)' >/dev/null || fail "unsorted: $nx"
out=$(api GET '/api/cron/next?cron=61+9+*+*+*' "$OP")
check "a wrong cron field" 422 "$(status_of "$out")"
body_of "$out" | jq -e '.errors[0] | test("minute")' >/dev/null || fail "422: $out"
# The calendar keeps holidays out: January's fires skip 1-3 January (the
# year-end closure) and the weekends; a fire only on 1 January never comes.
nx=$(call 200 GET '/api/cron/next?cron=0+9+*+1+*&calendar=jp-gov&n=5' "$OP")
for t in $(printf '%s' "$nx" | jq -r '.next[]'); do
	case $t in *-01-0[123]T*) fail "jp-gov fired on a holiday: $t" ;;
	*-01-*) ;; *) fail "not in January: $t" ;; esac
	[ "$(date -d "${t%%T*}" +%u)" -le 5 ] || fail "on a weekend: $t"
done
out=$(api GET '/api/cron/next?cron=0+9+1+1+*&calendar=jp-gov' "$OP")
check "a fire only on a holiday" 422 "$(status_of "$out")"
body_of "$out" | jq -e '.errors[0] | test("never fires")' >/dev/null ||
	fail "422: $out"

S='{"name": "nightly", "script": "flaky", "cron": "0 3 * * *", "digest": "'$d1'", "params": {"who": "night"}}'
call 403 POST /api/schedules "$OTHER" "$S" >/dev/null
call 201 POST /api/schedules "$ENG" "$S" | jq -e ".digest == \"$d1\"" >/dev/null ||
	fail "the schedule is not pinned"
call 422 POST /api/schedules "$ENG" \
	'{"name": "bad", "script": "flaky", "cron": "0 3 * * *", "digest": "abc"}' >/dev/null
call 200 POST /api/schedules/nightly/pause "$ENG" '{}' | jq -e '.enabled == false' \
	>/dev/null || fail "not paused"
call 200 POST /api/schedules/nightly/resume "$ENG" '{}' | jq -e '.enabled == true and
	.next_fire != null' >/dev/null || fail "not resumed"
call 403 POST /api/schedules/nightly/pause "$OP" '{}' >/dev/null
n=$(call 201 POST /api/schedules/nightly/run "$OP" '{}' | jq .job_id)
check "run now runs the pinned version" "$d1" "$(job_field "$n" .digest)"
check "with the schedule's params" night "$(job_field "$n" .params.who)"
call 200 DELETE /api/schedules/nightly "$ENG" >/dev/null
call 404 POST /api/schedules/nightly/run "$OP" '{}' >/dev/null

# --- scripts: refusals with file:line:col, the diff, going back ----------
bad=$(jq -n '{source: "name: flaky\nowner: 会計課\nsteps:\n  - fial: x\n", filename: "flaky.yaml"}')
e=$(call 422 POST /api/scripts "$ENG" "$bad")
printf '%s' "$e" | jq -e '.errors[0] | test("^flaky.yaml:4:5: ")' >/dev/null ||
	fail "the refusal does not name file:line:col: $e"
df=$(call 200 GET /api/scripts/flaky/diff "$OP")
printf '%s' "$df" | jq -e ".from == \"$d1\" and .to == \"$d2\" and .added == 4 and
	.removed == 3 and (.diff | test(\"\\\\n-  who: { type: string, default: sato }\\\\n\")) and
	(.diff | test(\"\\\\n\\\\+  amount: \"))" >/dev/null || fail "diff: $df"
call 403 GET /api/scripts/flaky/diff "$OTHER" >/dev/null
call 404 GET "/api/scripts/flaky/diff?from=0000" "$OP" >/dev/null
call 403 POST /api/scripts/flaky/rollback "$OP" "{\"digest\": \"$d1\"}" >/dev/null
call 200 POST /api/scripts/flaky/rollback "$ENG" "{\"digest\": \"$d1\"}" >/dev/null
check "rolled back" "$d1" "$(call 200 GET /api/scripts/flaky "$OP" | jq -r .digest)"
call 404 POST /api/scripts/flaky/rollback "$ENG" '{"digest": "nope"}' >/dev/null

# Every control left its row in the audit log.
for p in /retry /rerun /cancel /api/jobs/bulk /pause /resume /run \
    /rollback /api/assets/; do
	audited "$p"
done
echo "ok: every control is audited"
stop_agent a1
stop_scheduler
