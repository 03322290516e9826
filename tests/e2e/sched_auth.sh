#!/bin/sh
# sched_auth.sh - every route of the scheduler, taken from its own route
# table (`kobito-scheduler routes --json`, so no route can be left out),
# refuses a call without a token (401), with a wrong or revoked token
# (401) and with a role too low or of the wrong kind (403), and lets the
# role it names through.  With the department dimension (perm.h), each
# route is tried on the objects of one 課 by users holding its role in
# that 課 and in its 部 (let through), in another 課 (refused, or not
# shown in lists) and nowhere (refused).  Refusals land in the audit log;
# request limits answer 413 and 431 with JSON bodies; unknown routes 404
# and wrong methods 405; and a second scheduler on the same database
# refuses to start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cat > "$T/scripts/hello.yaml" <<'EOF'
name: hello
steps:
  - log: hello
EOF
# The objects every route is tried on belong to 会計課 (D); its 部 is 経理部
# (P), and 契約課 (E) is another 課 of the same 部.
D=zaisei-keiri-kaikei P=zaisei-keiri E=zaisei-keiri-keiyaku
cat > "$T/scripts/kaikei.yaml" <<'EOF'
name: kaikei_bot
owner: 財政局/経理部/会計課
steps:
  - log: "paid ${secrets.kaikei_secret}"
EOF
cat > "$T/config.yaml" <<'EOF'
limits:
  body_bytes: 65536
  artifact_bytes: 131072
  header_bytes: 8192
EOF

ADMIN=$(make_token admin alice)
AGENT=$(make_token agent pc-001)
REVOKED=$(make_token admin mallory)
[ -n "$ADMIN" ] && [ -n "$AGENT" ] || fail "token create printed nothing"
case $ADMIN in kbu_*) ;; *) fail "user token '$ADMIN'" ;; esac
case $AGENT in kba_*) ;; *) fail "agent token '$AGENT'" ;; esac
# Only hashes are stored.
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM tokens WHERE hash = '$ADMIN'")
check "tokens are stored hashed" 0 "$n"

# A user of each department role in D, in E and in P (own_viewer, ...),
# and one who holds no role at all (nobody); each with a token of that role.
for where in own:$D other:$E parent:$P; do
	for role in viewer operator engineer; do
		name=${where%%:*}_$role
		"$SCHED" user set --db "$T/sched.db" --name "$name" --role "$role" \
			--department "${where#*:}" 2>/dev/null || fail "user set $name"
		eval "TOK_$name=\$(make_token $role $name)"
	done
done
"$SCHED" user set --db "$T/sched.db" --name nobody --role viewer \
	2>/dev/null || fail "user set nobody"
NOBODY=$(make_token viewer nobody)

start_scheduler --config "$T/config.yaml" \
	--kpi-config "$KOBITO_TOP/config/kpi.yaml"

# Revoke mallory's token, take nobody's roles, through the API.
rid=$(sqlite3 "$T/sched.db" "SELECT id FROM tokens WHERE name = 'mallory'")
out=$(api DELETE "/api/tokens/$rid" "$ADMIN")
check "revoke a token" 200 "$(status_of "$out")"
out=$(api PUT /api/users/nobody/roles "$ADMIN" '{"roles": []}')
check "nobody holds no role" 200 "$(status_of "$out")"
out=$(api PUT /api/users/own_viewer/roles "$ADMIN" \
	'{"roles": [{"department": "会計課", "role": "viewer"}]}')
check "roles by a department's name" 200 "$(status_of "$out")"
body_of "$out" | jq -e '.roles.roles == [{"department": "zaisei-keiri-kaikei",
	"department_name": "財政局/経理部/会計課", "role": "viewer"}]' >/dev/null ||
	fail "roles: $(body_of "$out")"
out=$(api PUT /api/users/own_viewer/roles "$ADMIN" \
	'{"roles": [{"department": "no-such-ka", "role": "viewer"}]}')
check "an unknown department" 400 "$(status_of "$out")"
body_of "$out" | jq -e '.error | test("^roles\\[0\\].department: unknown")' \
	>/dev/null || fail "400: $(body_of "$out")"

# D's objects: a run of its bot (with a log line and an artifact), a
# schedule and a secret.
out=$(api PUT /api/secrets/kaikei_secret "$ADMIN" \
	"{\"value\": \"s3cret-value\", \"department\": \"$D\"}")
check "D's secret" 200 "$(status_of "$out")"
out=$(api PUT /api/assets/kaikei_asset "$ADMIN" "{\"value\": \"x\", \"department\": \"$D\"}")
check "D's asset" 201 "$(status_of "$out")"
out=$(api POST /api/jobs "$TOK_own_operator" '{"script": "kaikei_bot"}')
check "D's operator runs D's bot" 201 "$(status_of "$out")"
JOB=$(body_of "$out" | jq .job_id)
check "the job is D's" "$D" \
	"$(sqlite3 "$T/sched.db" "SELECT department FROM jobs WHERE id = $JOB")"
aid=$(api POST /api/agents/register "$AGENT" '{"name": "pc-001"}' |
	sed '$d' | jq .agent_id)
lease=$(api POST /api/agents/lease "$AGENT" "{\"agent_id\": $aid}" | sed '$d')
RUN=$(printf '%s' "$lease" | jq .run_id)
LT=$(printf '%s' "$lease" | jq -r .lease_token)
printf '%s' "$lease" | jq -e '.secrets.kaikei_secret.value == "s3cret-value"' \
	>/dev/null || fail "D's bot does not get D's secret: $lease"
api POST "/api/jobs/$JOB/events" "$AGENT" "{\"lease_token\": \"$LT\",
	\"events\": [{\"type\": \"log\", \"seq\": 1, \"level\": \"info\",
	\"message\": \"paid 3\", \"time\": \"2026-01-01T00:00:00+09:00\"}]}" >/dev/null
printf 'PNG' > "$T/shot.png"
s=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AGENT" \
	--data-binary @"$T/shot.png" \
	"$SCHED_URL/api/jobs/$JOB/artifacts?lease_token=$LT&name=shot.png")
check "an artifact" 201 "$s"
out=$(api POST "/api/jobs/$JOB/result" "$AGENT" "{\"lease_token\": \"$LT\",
	\"summary\": {\"status\": \"succeeded\", \"items\": {\"succeeded\": 1,
	\"failed\": 0}}}")
check "the run's result" 200 "$(status_of "$out")"
SCHEDULE_BODY='{"name": "kaikei_nightly", "script": "kaikei_bot", "cron": "0 3 29 2 *"}'
out=$(api POST /api/schedules "$TOK_own_engineer" "$SCHEDULE_BODY")
check "D's engineer makes D's schedule" 201 "$(status_of "$out")"
body_of "$out" | jq -e ".department == \"$D\"" >/dev/null ||
	fail "the schedule is not D's: $(body_of "$out")"
# D's work queue with an item, and a file trigger of D's bot.
QUEUE_BODY="{\"department\": \"$D\"}"
out=$(api PUT /api/queues/kaikei_q "$TOK_own_engineer" "$QUEUE_BODY")
check "D's engineer makes D's queue" 201 "$(status_of "$out")"
out=$(api POST /api/queues/kaikei_q/items "$TOK_own_operator" '{"items": [{"reference": "r1"}]}')
check "D's operator adds to it" 200 "$(status_of "$out")"
ITEM=$(body_of "$out" | jq '.items[0].id')
FT_BODY='{"agent": "pc-001", "folder": "/tmp", "script": "kaikei_bot"}'
out=$(api PUT /api/file-triggers/kaikei_ft "$TOK_own_engineer" "$FT_BODY")
check "D's engineer makes a file trigger of D's bot" 201 "$(status_of "$out")"
# A notification rule of D's queue, and a delivery of it: an item late.
RULE_BODY='{"event": "sla_breach", "queue": "kaikei_q", "channel": "webhook", "target": "kaikei_secret"}'
out=$(api PUT /api/notifications/rules/kaikei_rule "$TOK_own_engineer" "$RULE_BODY")
check "D's engineer makes a notification rule of D's queue" 201 "$(status_of "$out")"
api POST /api/queues/kaikei_q/items "$TOK_own_operator" '{"items": [{"reference": "late", "deadline_ms": 1}]}' >/dev/null
d_delivery() { [ "$(sqlite3 "$T/sched.db" "SELECT count(*) FROM notify_deliveries WHERE rule = 'kaikei_rule'")" -ge 1 ]; }
wait_for 100 d_delivery || fail "no delivery of D's rule"

# What a route needs for its {captures}, a body naming D's object, and
# how its list shows D's object: per route.
path_for() {
	case $1 in
	/api/jobs/*) echo "$1" | sed "s/{id}/$JOB/" ;;
	/api/runs/*) echo "$1" | sed "s/{id}/$RUN/; s/{name}/shot.png/" ;;
	/api/kpi/runs/*) echo "$1" | sed "s/{id}/$RUN/" ;;
	/api/scripts/*) echo "$1" | sed "s/{name}/kaikei_bot/" ;;
	/api/schedules/*) echo "$1" | sed "s/{name}/kaikei_nightly/" ;;
	/api/secrets/*) echo "$1" | sed "s/{name}/kaikei_secret/" ;;
	/api/assets/*) echo "$1" | sed "s/{name}/kaikei_asset/" ;;
	/api/cron/next) echo "/api/cron/next?cron=0+9+*+*+*" ;;
	/api/kpi/*) echo "$1" | sed "s/{report}/scripts/" ;;
	/api/queues/*) echo "$1" | sed "s/{name}/kaikei_q/" ;;
	/api/queue-items/*) echo "$1" | sed "s/{id}/$ITEM/; s/{name}/scan.png/" ;;
	/api/file-triggers/*) echo "$1" | sed "s/{name}/kaikei_ft/" ;;
	/api/notifications/rules/*) echo "$1" | sed "s/{name}/kaikei_rule/" ;;
	*) echo "$1" | sed 's/{id}/999999/; s/{name}/nonexistent/g; s/{file}/nonexistent/' ;;
	esac
}
body_for() {
	case "$1 $2" in
	"POST /api/jobs") echo '{"script": "kaikei_bot"}' ;;
	"POST /api/scripts") jq -n --rawfile s "$T/scripts/kaikei.yaml" '{source: $s}' ;;
	"POST /api/schedules") echo "$SCHEDULE_BODY" ;;
	"PUT /api/secrets/{name}") echo "{\"value\": \"s3cret-value\", \"department\": \"$D\"}" ;;
	"PUT /api/assets/{name}") echo "{\"value\": \"x\", \"department\": \"$D\"}" ;;
	"POST /api/jobs/bulk") echo "{\"action\": \"cancel\", \"ids\": [$JOB]}" ;;
	"PUT /api/queues/{name}") echo "$QUEUE_BODY" ;;
	"POST /api/queues/{name}/items") echo '{"items": [{"payload": {}}]}' ;;
	"PUT /api/file-triggers/{name}") echo "$FT_BODY" ;;
	"PUT /api/notifications/rules/{name}") echo "$RULE_BODY" ;;
	*) echo '{}' ;;
	esac
}
# A jq test that the answer of a list shows D's object.
shows_d() {
	case $1 in
	/api/jobs) echo "[.jobs[].id] | index($JOB) != null" ;;
	/api/runs) echo "[.runs[].id] | index($RUN) != null" ;;
	/api/scripts) echo '[.scripts[].name] | index("kaikei_bot") != null' ;;
	/api/schedules) echo '[.schedules[].name] | index("kaikei_nightly") != null' ;;
	/api/secrets) echo '[.secrets[].name] | index("kaikei_secret") != null' ;;
	/api/assets) echo '[.assets[].name] | index("kaikei_asset") != null' ;;
	/api/jobs/bulk) echo '.results[0].status != 403' ;;
	/api/queues) echo '[.queues[].name] | index("kaikei_q") != null' ;;
	/api/file-triggers) echo '[.file_triggers[].name] | index("kaikei_ft") != null' ;;
	/api/notifications/rules) echo '[.rules[].name] | index("kaikei_rule") != null' ;;
	/api/notifications/deliveries) echo '[.deliveries[].rule] | index("kaikei_rule") != null' ;;
	/api/kpi/*) echo '[.rows[].script] | index("kaikei_bot") != null' ;;
	esac
}
# Put back what an allowed call may have deleted.
restore() {
	case "$1 $2" in
	"DELETE /api/schedules/{name}")
		api POST /api/schedules "$ADMIN" "$SCHEDULE_BODY" >/dev/null ;;
	"DELETE /api/secrets/{name}")
		api PUT /api/secrets/kaikei_secret "$ADMIN" \
		    "$(body_for PUT '/api/secrets/{name}')" >/dev/null ;;
	"DELETE /api/assets/{name}")
		api PUT /api/assets/kaikei_asset "$ADMIN" \
		    "$(body_for PUT '/api/assets/{name}')" >/dev/null ;;
	"DELETE /api/file-triggers/{name}")
		api PUT /api/file-triggers/kaikei_ft "$ADMIN" "$FT_BODY" >/dev/null ;;
	"DELETE /api/notifications/rules/{name}")
		api PUT /api/notifications/rules/kaikei_rule "$ADMIN" "$RULE_BODY" >/dev/null ;;
	esac
}
tok() { eval "echo \$TOK_$1"; }
# The role one step below within D: own_<lower>, or nobody under viewer.
below() {
	case $1 in
	viewer) echo "$NOBODY" ;; operator) tok own_viewer ;;
	engineer) tok own_operator ;; admin) tok own_engineer ;;
	agent) echo "$ADMIN" ;; user) echo "$AGENT" ;;
	esac
}
# One call in one process: its status; the body in $T/b (read with the
# shell's own read: a route is tried a dozen times, spawns add up).
hit() {	# hit METHOD PATH TOKEN BODY
	if [ -n "$3" ]; then
		curl -s -o "$T/b" -w '%{http_code}' -X "$1" \
			-H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
			--data-binary "$4" "$SCHED_URL$2"
	else
		curl -s -o "$T/b" -w '%{http_code}' -X "$1" \
			-H 'Content-Type: application/json' --data-binary "$4" \
			"$SCHED_URL$2"
	fi
}
body() { _b=; IFS= read -r _b < "$T/b" || :; printf '%s' "$_b"; }
# An allowed call: anything but 401, 403, 405.
allowed() {	# allowed STATUS WHAT
	case $1 in
	401|403|405) fail "$method $path for $2: $1 $(body)" ;;
	esac
}
refused() {	# refused STATUS WHAT
	[ "$1" = 403 ] || fail "$method $path for $2: expected 403, got $1: $(body)"
	case $(body) in *'"error":"'?*) ;; *) fail "$method $path: 403 without a JSON error" ;; esac
}

"$SCHED" routes --json > "$T/routes.json" || fail "routes --json failed"
nroutes=$(jq length "$T/routes.json")
[ "$nroutes" -ge 30 ] || fail "only $nroutes routes in the table"
jq -e 'all(.[]; .scope != null)' "$T/routes.json" >/dev/null ||
	fail "a route without a department scope"
jq -r '.[] | "\(.method) \(.path) \(.role) \(.scope)"' "$T/routes.json" \
	> "$T/routes.txt"
checked=0
while read -r method path role scope; do
	p=$(path_for "$path")
	b=$(body_for "$method" "$path")
	if [ "$role" = none ]; then
		# Open routes (health, the dashboard's files, the login) answer
		# without a token; what they answer depends on the path.
		s=$(hit "$method" "$p" "" "")
		case $s in
		401|403) fail "$method $path needs no token, yet: $s" ;;
		esac
		[ "$path" != /health ] || check "GET /health answers" 200 "$s"
		echo "ok: $method $path needs no token"
		continue
	fi
	check "$method $path without a token" 401 "$(hit "$method" "$p" "" "$b")"
	case $(body) in *'"missing bearer token"'*) ;;
	*) fail "$method $path: 401 body $(body)" ;; esac
	check "$method $path with a wrong token" 401 \
		"$(hit "$method" "$p" kbu_0000000000000000000000000000000000000000000 "$b")"
	check "$method $path with a revoked token" 401 \
		"$(hit "$method" "$p" "$REVOKED" "$b")"
	# A KPI figure is a department's, like a run (unless a manager's).
	[ "$scope" = kpi ] && role=viewer
	refused "$(hit "$method" "$p" "$(below "$role")" "$b")" "the role below $role"
	case $role in
	agent|admin)
		# No department: agents their leases, admins everything; a
		# department's engineer is refused an admin's route wherever.
		[ "$role" = agent ] || for who in own other parent; do
			refused "$(hit "$method" "$p" "$(tok ${who}_engineer)" "$b")" \
			    "${who}_engineer"
		done
		tk=$ADMIN; [ "$role" = agent ] && tk=$AGENT
		allowed "$(hit "$method" "$p" "$tk" "$b")" "$role"
		restore "$method" "$path" ;;
	user)
		allowed "$(hit "$method" "$p" "$NOBODY" "$b")" nobody ;;
	*)
		# A department's role: in D, in P above it, in E beside it;
		# no role at all is refused above.
		for who in own parent other; do
			s=$(hit "$method" "$p" "$(tok "${who}_$role")" "$b")
			if [ "$who" = other ] && { [ "$scope" = object ] ||
			    [ "$scope" = body ]; }; then
				refused "$s" "${who}_$role"
				continue
			fi
			allowed "$s" "${who}_$role"
			[ "$scope" = list ] || [ "$scope" = kpi ] || {
				restore "$method" "$path"
				continue
			}
			want=true; [ "$who" = other ] && want=false
			check "$method $path shows D's to ${who}_$role" "$want" \
				"$(jq "$(shows_d "$path")" "$T/b")"
		done ;;
	esac
	echo "ok: $method $path ($role, $scope)"
	checked=$((checked + 1))
done < "$T/routes.txt"
check "every authenticated route was checked" \
	"$(grep -vc ' none none$' "$T/routes.txt")" "$checked"

# A refusal names the department and the roles.
out=$(api GET "/api/runs/$RUN/logs" "$(tok other_viewer)")
body_of "$out" | jq -e '.error | test("財政局/経理部/会計課") and
	test("holds no role")' >/dev/null || fail "403: $(body_of "$out")"
# Roles in several departments: an operator of E who only views D.
TWO=$(api POST /api/tokens "$ADMIN" '{"role": "operator", "name": "two"}' |
	sed '$d' | jq -r .token)
out=$(api PUT /api/users/two/roles "$ADMIN" "{\"roles\": [
	{\"department\": \"$D\", \"role\": \"viewer\"},
	{\"department\": \"$E\", \"role\": \"operator\"}]}")
check "two departments" 200 "$(status_of "$out")"
out=$(api POST "/api/jobs/$JOB/cancel" "$TWO" '{}')
check "cancels no job of D" 403 "$(status_of "$out")"
body_of "$out" | jq -e '.error | test("is viewer") and test("needs operator")' \
	>/dev/null || fail "403: $(body_of "$out")"
# A shared bot runs for the department of whoever runs it.
out=$(api POST /api/jobs "$(tok other_operator)" '{"script": "kaikei_bot"}')
check "another department's bot" 403 "$(status_of "$out")"
out=$(api PUT /api/scripts/kaikei_bot/shared "$(tok own_engineer)" '{"shared": true}')
check "D's engineer shares D's bot" 200 "$(status_of "$out")"
out=$(api POST /api/jobs "$(tok other_operator)" '{"script": "kaikei_bot"}')
check "a shared bot" 201 "$(status_of "$out")"
j=$(body_of "$out" | jq .job_id)
check "runs for its operator's department" "$E" \
	"$(sqlite3 "$T/sched.db" "SELECT department FROM jobs WHERE id = $j")"
out=$(api GET "/api/jobs/$j" "$(tok own_viewer)")
check "which D's viewers do not see" 403 "$(status_of "$out")"
out=$(api GET "/api/jobs/$j" "$(tok other_viewer)")
check "and E's do" 200 "$(status_of "$out")"
# A 課's viewer sees the KPI figures of the 課 only; a manager all.
out=$(api GET /api/kpi/overview "$(tok other_viewer)")
check "a 課's KPI" 200 "$(status_of "$out")"
body_of "$out" | jq -e ".departments_shown | index(\"$E\") != null and
	index(\"$D\") == null" >/dev/null || fail "scope: $(body_of "$out")"
out=$(api PUT /api/users/nobody/roles "$ADMIN" '{"global": ["manager"]}')
check "nobody becomes a manager" 200 "$(status_of "$out")"
out=$(api GET /api/kpi/scripts "$NOBODY")
check "a manager's KPI" 200 "$(status_of "$out")"
body_of "$out" | jq -e '.departments_shown == null and
	([.rows[].script] | index("kaikei_bot") != null)' >/dev/null ||
	fail "a manager's scope: $(body_of "$out")"
out=$(api GET "/api/runs/$RUN" "$NOBODY")
check "but no run" 403 "$(status_of "$out")"

# Refusals are in the audit log, with who and from where; those of
# anonymous callers are counted per address and minute (sched_audit_flood
# reads the counts).
out=$(api GET "/api/audit?limit=1000" "$ADMIN")
body_of "$out" | jq -e '[.audit[] | select(.actor == "anonymous" and
	.detail.refused == null)] | length == 0' \
	>/dev/null || fail "401s are audited one row each"
body_of "$out" | jq -e "[.audit[] | select(.status == 403 and
	.actor == \"other_operator\" and .detail.department == \"$D\")] |
	length > 0" >/dev/null || fail "403s are not audited with the user"
body_of "$out" | jq -e '[.audit[] | select(.method == "GET")] | length == 0' \
	>/dev/null || fail "reads are audited"
n=$(sqlite3 "$T/sched.db" "DELETE FROM audit" 2>&1)
case $n in *append-only*) echo "ok: the audit log refuses deletes" ;;
*) fail "deleting the audit log: '$n'" ;; esac

OPERATOR=$TOK_own_operator VIEWER=$TOK_own_viewer
# Limits: a body over limits.body_bytes, an artifact over
# limits.artifact_bytes, headers over limits.header_bytes.
head -c 70000 /dev/zero | tr '\0' 'x' > "$T/big"
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $OPERATOR" \
	--data-binary @"$T/big" "$SCHED_URL/api/jobs")
check "a body over the limit" 413 "$s"
jq -e '.error | test("limit")' "$T/body" >/dev/null || fail "413 body: $(cat "$T/body")"
# Without Content-Length (chunked), the cap is enforced while reading.
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $OPERATOR" \
	-H 'Transfer-Encoding: chunked' --data-binary @"$T/big" \
	"$SCHED_URL/api/jobs")
check "a chunked body over the limit" 413 "$s"
head -c 140000 /dev/zero > "$T/bigart"
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $AGENT" \
	--data-binary @"$T/bigart" \
	"$SCHED_URL/api/jobs/1/artifacts?lease_token=x&name=a.png")
check "an artifact over the limit" 413 "$s"
hdr=$(head -c 9000 /dev/zero | tr '\0' 'y')
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $VIEWER" \
	-H "X-Padding: $hdr" "$SCHED_URL/api/jobs")
check "headers over the limit" 431 "$s"
jq -e '.error | test("headers")' "$T/body" >/dev/null || fail "431 body: $(cat "$T/body")"
hdr=$(head -c 100000 /dev/zero | tr '\0' 'y')
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Padding: $hdr" \
	"$SCHED_URL/api/jobs")
case $s in 413|414|431) echo "ok: huge headers refused ($s)" ;;
*) fail "100 kB of headers: $s" ;; esac

out=$(api GET /api/nothing "$ADMIN")
check "unknown route" 404 "$(status_of "$out")"
body_of "$out" | jq -e '.error' >/dev/null || fail "404 without JSON"
out=$(api PATCH /api/jobs "$ADMIN")
check "wrong method" 405 "$(status_of "$out")"
out=$(api POST /api/jobs "$OPERATOR" '{"script": ')
check "malformed JSON" 400 "$(status_of "$out")"
body_of "$out" | jq -e '.error | test("invalid JSON")' >/dev/null ||
	fail "400 body $(body_of "$out")"

# The server still answers after all that.
out=$(api GET /health "")
check "healthy after the abuse" 200 "$(status_of "$out")"

# A second scheduler on the same database refuses to start.
"$SCHED" --db "$T/sched.db" --listen 127.0.0.1:0 --scripts "$T/scripts" \
	> "$T/second.log" 2>&1 &
second=$!
wait_for 50 sh -c "! kill -0 $second 2>/dev/null" || {
	kill -9 $second
	fail "the second scheduler kept running"
}
wait $second
check "the second scheduler exits 1" 1 $?
grep -q "database '$T/sched.db' is in use by another scheduler (pid $SCHED_PID)" \
	"$T/second.log" || fail "message: $(cat "$T/second.log")"

stop_scheduler
n=$(sqlite3 "$T/sched.db" "SELECT sum(json_extract(detail, '$.statuses.\"401\"'))
	FROM audit WHERE actor = 'anonymous' AND remote = '127.0.0.1'")
[ "${n:-0}" -gt 10 ] || fail "401s are not counted in the audit log: '$n'"
echo "ok: $n refusals of anonymous calls counted"
echo "ok: all $nroutes routes"
