#!/bin/sh
# http_retry.sh - http.request's retries end to end: the stand-in
# e-procurement API (tests/fixtures/procure_api) is down for its first two
# requests, the script's POST succeeds on the third attempt and the invoice
# is stored exactly once; an outage longer than the attempts fails the step;
# a port nobody listens on is tried the stated number of times.
. "$(dirname "$0")/lib.sh"

[ -x "$FIXTURES/procure_api" ] || fail "$FIXTURES/procure_api is not built"
TOKEN="retry-test-token-42"
printf 'procure_token: { value: %s, allow: [127.0.0.1] }\n' "$TOKEN" > "$T/secrets.yaml"
chmod 600 "$T/secrets.yaml"

# start_api NAME ARGS...: start procure_api with its data in $T/NAME; sets API.
start_api() {
	name=$1; shift
	"$FIXTURES/procure_api" --port 0 --port-file "$T/$name.port" \
		--token "$TOKEN" --data "$T/$name" "$@" 2> "$T/$name.log" &
	pid=$!
	at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	wait_for 100 test -s "$T/$name.port" ||
		fail "procure_api did not start: $(cat "$T/$name.log")"
	API="http://127.0.0.1:$(cat "$T/$name.port")"
}

cat > "$T/post_one.yaml" <<'Y'
name: post_one
title: 請求書1件登録
params:
  api: { type: string, required: true }
  attempts: { type: int, default: 3 }
steps:
  - id: post
    http.request:
      method: POST
      url: "${params.api}/api/invoices"
      auth: { bearer: "${secrets.procure_token}" }
      json:
        vendor: 株式会社さくら
        invoice_no: R6-0100
        date: "2024-05-01"
        amount: 33000
        account_code: "04100"
        purpose: 会議用飲料
      retry: { attempts: "${params.attempts}", delay_ms: 100, backoff: 2 }
      timeout: 5
  - log: "stored as ${steps.post.output.json.id} after ${steps.post.output.attempts} attempts"
Y

# --- down twice, then up: success on the third attempt -----------------
start_api flaky --fail-first 2
start=$(date +%s%N)
"$KOBITO" run "$T/post_one.yaml" --param "api=$API" --secrets "$T/secrets.yaml" \
	--json > "$T/out" 2> "$T/err"
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "the run succeeds after the outage" 0 $rc
check "status" succeeded "$(jget "$T/out" .status)"
grep -q "POST $API/api/invoices -> 503 (.*), attempt 1/3; retrying in 100 ms" "$T/err" ||
	fail "attempt 1 not logged: $(cat "$T/err")"
grep -q "POST $API/api/invoices -> 503 (.*), attempt 2/3; retrying in 200 ms" "$T/err" ||
	fail "attempt 2 not logged: $(cat "$T/err")"
grep -q "POST $API/api/invoices -> 201 (.*), attempt 3/3" "$T/err" ||
	fail "attempt 3 not logged: $(cat "$T/err")"
grep -q "stored as INV-000001 after 3 attempts" "$T/err" ||
	fail "the output does not count 3 attempts: $(cat "$T/err")"
[ "$elapsed_ms" -ge 300 ] || fail "the waits of 100 + 200 ms were not made ($elapsed_ms ms)"
echo "ok: three attempts, backoff waited ($elapsed_ms ms)"
check "exactly one record stored" 1 "$(wc -l < "$T/flaky/invoices.jsonl" | tr -d ' ')"
check "the stored record" \
	'{"id":"INV-000001","invoice_no":"R6-0100","vendor":"株式会社さくら","date":"2024-05-01","amount":33000,"account_code":"04100","purpose":"会議用飲料"}' \
	"$(cat "$T/flaky/invoices.jsonl")"
check "the API saw two refusals" 2 "$(grep -c 'POST /api/invoices -> 503' "$T/flaky.log")"
check "and one acceptance" 1 "$(grep -c 'POST /api/invoices -> 201' "$T/flaky.log")"
if grep -qF "$TOKEN" "$T/out" "$T/err"; then
	fail "the token appears in the output"
fi

# --- down longer than the attempts: the step fails, nothing stored ------
start_api down --fail-first 5
"$KOBITO" run "$T/post_one.yaml" --param "api=$API" --param attempts=2 \
	--secrets "$T/secrets.yaml" --json > "$T/out" 2> "$T/err"
check "a longer outage fails the run" 1 $?
jget "$T/out" .error | grep -q "POST $API/api/invoices: 503 Service Unavailable: .*temporarily unavailable" ||
	fail "the failure does not name the 503: $(tail -n 1 "$T/out")"
check "two attempts were made" 2 "$(grep -c 'POST /api/invoices -> 503' "$T/down.log")"
check "nothing stored" 0 "$(wc -l < "$T/down/invoices.jsonl" | tr -d ' ')"

# --- nobody listening: connection refused, retried, then a clear error ---
port=$(cat "$T/down.port")
kill "$pid"; wait "$pid" 2>/dev/null
"$KOBITO" run "$T/post_one.yaml" --param "api=http://127.0.0.1:$port" \
	--secrets "$T/secrets.yaml" --json > "$T/out" 2> "$T/err"
check "a refused connection fails the run" 1 $?
check "each attempt is logged" 3 "$(grep -c "POST http://127.0.0.1:$port/api/invoices -> " "$T/err")"
jget "$T/out" .error | grep -q "(after 3 attempts)" ||
	fail "the failure does not count the attempts: $(tail -n 1 "$T/out")"
exit 0
