#!/bin/sh
# sched_auth.sh - every route of the scheduler, taken from its own route
# table (`kobito-scheduler routes --json`, so no route can be left out),
# refuses a call without a token (401), with a wrong or revoked token
# (401) and with a role too low or of the wrong kind (403), and lets the
# role it names through; refusals land in the audit log; request limits
# answer 413 and 431 with JSON bodies; unknown routes 404 and wrong
# methods 405; and a second scheduler on the same database refuses to
# start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cat > "$T/scripts/hello.yaml" <<'EOF'
name: hello
steps:
  - log: hello
EOF
cat > "$T/config.yaml" <<'EOF'
limits:
  body_bytes: 65536
  artifact_bytes: 131072
  header_bytes: 8192
EOF

ADMIN=$(make_token admin alice)
ENGINEER=$(make_token engineer erin)
OPERATOR=$(make_token operator oscar)
VIEWER=$(make_token viewer vera)
AGENT=$(make_token agent pc-001)
REVOKED=$(make_token admin mallory)
[ -n "$ADMIN" ] && [ -n "$AGENT" ] || fail "token create printed nothing"
case $ADMIN in kbu_*) ;; *) fail "user token '$ADMIN'" ;; esac
case $AGENT in kba_*) ;; *) fail "agent token '$AGENT'" ;; esac
# Only hashes are stored.
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM tokens WHERE hash = '$ADMIN'")
check "tokens are stored hashed" 0 "$n"

start_scheduler --config "$T/config.yaml"

# Revoke mallory's token through the API.
rid=$(sqlite3 "$T/sched.db" "SELECT id FROM tokens WHERE name = 'mallory'")
out=$(api DELETE "/api/tokens/$rid" "$ADMIN")
check "revoke a token" 200 "$(status_of "$out")"

token_for() {
	case $1 in
	viewer) echo "$VIEWER" ;; operator) echo "$OPERATOR" ;;
	engineer) echo "$ENGINEER" ;; admin) echo "$ADMIN" ;;
	agent) echo "$AGENT" ;;
	esac
}
# A token that must be refused with 403: one step below, or the other kind.
too_low() {
	case $1 in
	viewer) echo "$AGENT" ;; operator) echo "$VIEWER" ;;
	engineer) echo "$OPERATOR" ;; admin) echo "$ENGINEER" ;;
	agent) echo "$ADMIN" ;;
	esac
}

"$SCHED" routes --json > "$T/routes.json" || fail "routes --json failed"
nroutes=$(jq length "$T/routes.json")
[ "$nroutes" -ge 30 ] || fail "only $nroutes routes in the table"
jq -r '.[] | "\(.method) \(.path) \(.role)"' "$T/routes.json" > "$T/routes.txt"
checked=0
while read -r method path role; do
	# Ids that exist nowhere, so that allowed calls change nothing.
	p=$(echo "$path" | sed 's/{id}/999999/; s/{name}/nonexistent/g')
	if [ "$role" = none ]; then
		# Open routes (health, the dashboard's files, the login) answer
		# without a token; what they answer depends on the path.
		out=$(api "$method" "$p" "")
		case $(status_of "$out") in
		401|403) fail "$method $path needs no token, yet: $(status_of "$out")" ;;
		esac
		[ "$path" != /health ] ||
			check "GET /health answers" 200 "$(status_of "$out")"
		echo "ok: $method $path needs no token"
		continue
	fi
	out=$(api "$method" "$p" "" '{}')
	check "$method $path without a token" 401 "$(status_of "$out")"
	body_of "$out" | jq -e '.error == "missing bearer token"' >/dev/null ||
		fail "$method $path: 401 body $(body_of "$out")"
	out=$(api "$method" "$p" "kbu_0000000000000000000000000000000000000000000" '{}')
	check "$method $path with a wrong token" 401 "$(status_of "$out")"
	out=$(api "$method" "$p" "$REVOKED" '{}')
	check "$method $path with a revoked token" 401 "$(status_of "$out")"
	out=$(api "$method" "$p" "$(too_low "$role")" '{}')
	check "$method $path below role $role" 403 "$(status_of "$out")"
	body_of "$out" | jq -e '.error | length > 0' >/dev/null ||
		fail "$method $path: 403 without a JSON error"
	out=$(api "$method" "$p" "$(token_for "$role")" '{}')
	s=$(status_of "$out")
	case $s in
	401|403|405) fail "$method $path with role $role: $s $(body_of "$out")" ;;
	esac
	echo "ok: $method $path lets $role through ($s)"
	checked=$((checked + 1))
done < "$T/routes.txt"
check "every authenticated route was checked" \
	"$(grep -vc ' none$' "$T/routes.txt")" "$checked"

# Refusals are in the audit log, with who and from where; those of
# anonymous callers are counted per address and minute (sched_audit_flood
# reads the counts).
out=$(api GET "/api/audit?limit=1000" "$ADMIN")
body_of "$out" | jq -e '[.audit[] | select(.actor == "anonymous" and
	.detail.refused == null)] | length == 0' \
	>/dev/null || fail "401s are audited one row each"
body_of "$out" | jq -e '[.audit[] | select(.status == 403 and
	.actor == "vera")] | length > 0' >/dev/null ||
	fail "403s are not audited with the user"
body_of "$out" | jq -e '[.audit[] | select(.method == "GET")] | length == 0' \
	>/dev/null || fail "reads are audited"
n=$(sqlite3 "$T/sched.db" "DELETE FROM audit" 2>&1)
case $n in *append-only*) echo "ok: the audit log refuses deletes" ;;
*) fail "deleting the audit log: '$n'" ;; esac

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
