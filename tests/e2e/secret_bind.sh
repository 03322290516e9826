#!/bin/sh
# secret_bind.sh - a secret goes only where the admin allowed it.  An
# operator who triggers a script with a URL of their own choosing gets a
# 400 when the param is a url with an allow list (the shipped
# payment_batch), and when it is not, the agent still refuses to send the
# admin's secret there: the job fails saying why and the other server
# hears nothing.  A secret with no destinations is never sent over HTTP.
# Locally: a secrets file others can read is refused, a secret goes only
# to its allow list, and a path param stays under its roots.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

# The real e-procurement API, and a server of the operator's own.
"$FIXTURES/procure_api" --port 0 --port-file "$T/api.port" --token "tok-procure-1234" \
	--data "$T/api" 2>"$T/api.log" &
at_exit "kill $! 2>/dev/null"
"$FIXTURES/echo_http" --port-file "$T/evil.port" 2>"$T/evil.log" &
at_exit "kill $! 2>/dev/null"
wait_for 100 test -s "$T/api.port" || fail "procure_api did not start"
wait_for 100 test -s "$T/evil.port" || fail "echo_http did not start"
API="http://127.0.0.1:$(cat "$T/api.port")"
EVIL="http://127.0.0.1:$(cat "$T/evil.port")"

cp "$KOBITO_TOP/scripts/payment_batch.yaml" "$T/scripts/"
# The same call with a plain string param: the binding must hold alone.
cat >"$T/scripts/pay_list.yaml" <<'Y'
name: pay_list
params:
  api: { type: string, required: true }
steps:
  - http.request:
      url: "${params.api}/api/payments"
      auth: { bearer: "${secrets.procure_token}" }
Y
sed 's/^name: pay_list/name: typed_in/; s/procure_token/desk_password/' \
	"$T/scripts/pay_list.yaml" >"$T/scripts/typed_in.yaml"

start_scheduler
ADMIN=$(admin_token)
out=$(api PUT /api/secrets/procure_token "$ADMIN" \
	"{\"value\": \"tok-procure-1234\", \"allow\": [\"$API/api/\"]}")
check "PUT a secret with its destinations" 200 "$(status_of "$out")"
out=$(api PUT /api/secrets/desk_password "$ADMIN" '{"value": "desk-pass-5678"}')
check "PUT a secret without destinations" 200 "$(status_of "$out")"
out=$(api PUT /api/secrets/bad "$ADMIN" '{"value": "whatever1", "allow": ["ftp://x/"]}')
check "PUT with a destination that is not one" 400 "$(status_of "$out")"
body_of "$out" | jq -e '.error == "allow[0]: not an http(s)://, imap(s):// or smtp(s):// URL"' >/dev/null ||
	fail "$(body_of "$out")"
check "GET /api/secrets shows where each may go" "[] [\"$API/api/\"]" \
	"$(api GET /api/secrets "$ADMIN" | sed '$d' | jq -c -r '[.secrets[] | .allow | tostring] | join(" ")')"

# The shipped script: its url param names the procurement hosts only.
out=$(api POST /api/jobs "$ADMIN" "{\"script\": \"payment_batch\", \"params\": {\"api\": \"http://evil.example:8080\", \"out_dir\": \"$T/bank\", \"transfer_date\": \"2024-04-01\"}}")
check "an operator's URL for payment_batch" 400 "$(status_of "$out")"
body_of "$out" | grep -q "param 'api' may only name 127.0.0.1, localhost, not 'http://evil.example:8080'" ||
	fail "$(body_of "$out")"

# A plain string param: the agent refuses to send the secret elsewhere.
start_agent a1
job=$(trigger pay_list "\"max_attempts\": 1, \"params\": {\"api\": \"$EVIL\"}")
wait_final "$job" 200
check "the job that would leak fails" failed "$(job_field "$job" .state)"
job_field "$job" '.runs[-1].error' |
	grep -q "secret 'procure_token' may not be sent to $EVIL/api/payments (it may go to $API/api/)" ||
	fail "the refusal: $(job_field "$job" '.runs[-1].error')"
grep -q 'echo_http: ' "$T/evil.log" && fail "the other server was called: $(cat "$T/evil.log")"
# To the API it is allowed to reach, it goes.
job=$(trigger pay_list "\"params\": {\"api\": \"$API\"}")
wait_final "$job" 200
check "the job to the allowed API succeeds" succeeded "$(job_field "$job" .state)"
# Without destinations it goes nowhere over HTTP, not even to the API.
job=$(trigger typed_in "\"max_attempts\": 1, \"params\": {\"api\": \"$API\"}")
wait_final "$job" 200
job_field "$job" '.runs[-1].error' |
	grep -q "secret 'desk_password' may not be sent to $API/api/payments (it may not be sent to any server)" ||
	fail "no destinations: $(api GET "/api/jobs/$job" "$ADMIN")"
stop_agent a1
stop_scheduler

# Locally: the secrets file must be private, and binds the same way.
printf 'procure_token: { value: tok-procure-1234, allow: ["%s/api/"] }\n' "$API" >"$T/secrets.yaml"
chmod 644 "$T/secrets.yaml"
"$KOBITO" run "$T/scripts/pay_list.yaml" --param "api=$API" --secrets "$T/secrets.yaml" \
	>"$T/out" 2>"$T/err" && fail "a world-readable secrets file was used"
grep -q "secrets file '$T/secrets.yaml' can be read by others than its owner (mode 0644): make it private with chmod 600" "$T/err" ||
	fail "$(cat "$T/err")"
chmod 600 "$T/secrets.yaml"
"$KOBITO" run "$T/scripts/pay_list.yaml" --param "api=$API" --secrets "$T/secrets.yaml" \
	>"$T/out" 2>"$T/err" || fail "to the allowed API: $(tail -n 3 "$T/err")"
"$KOBITO" run "$T/scripts/pay_list.yaml" --param "api=$EVIL" --secrets "$T/secrets.yaml" \
	>"$T/out" 2>"$T/err" && fail "sent to the other server"
grep -q "secret 'procure_token' may not be sent to $EVIL/api/payments" "$T/out" || fail "$(cat "$T/out" "$T/err")"
grep -q 'echo_http: ' "$T/evil.log" && fail "the other server was called locally"

# A path param with roots.
cat >"$T/copy.yaml" <<Y
name: copy
params:
  out: { type: path, roots: ["$T/files"], required: true }
steps:
  - file.write: { path: "\${params.out}", content: x }
Y
"$KOBITO" run "$T/copy.yaml" --param "out=$T/files/a.txt" >/dev/null 2>&1 ||
	fail "a path under the root was refused"
for p in /etc/kobito.txt "$T/files/../escape.txt" "$T/filesx/a.txt" files/a.txt; do
	"$KOBITO" run "$T/copy.yaml" --param "out=$p" >"$T/out" 2>"$T/err" &&
		fail "the path $p was taken"
	grep -q "param 'out' must be a path under $T/files, not '$p'" "$T/err" "$T/out" ||
		fail "$(cat "$T/out" "$T/err")"
done
[ -e "$T/escape.txt" ] && fail "a file was written outside the root"
echo "ok: path params stay under their roots"
