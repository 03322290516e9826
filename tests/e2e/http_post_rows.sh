#!/bin/sh
# http_post_rows.sh - a CSV of invoices posted row by row to the stand-in
# e-procurement API (tests/fixtures/procure_api) with `kobito run`: the one
# bad row fails alone while the other nine are stored byte for byte, and the
# bearer token from the secrets file never appears in the output.
. "$(dirname "$0")/lib.sh"

[ -x "$FIXTURES/procure_api" ] || fail "$FIXTURES/procure_api is not built"
TOKEN="tok-9f8e7d6c5b4a-本番"

# Start the API on a free port; sets API to its base URL.
"$FIXTURES/procure_api" --port 0 --port-file "$T/port" --token "$TOKEN" \
	--data "$T/data" 2> "$T/api.log" &
api_pid=$!
at_exit "kill $api_pid 2>/dev/null; wait $api_pid 2>/dev/null"
wait_for 100 test -s "$T/port" || fail "procure_api did not start: $(cat "$T/api.log")"
API="http://127.0.0.1:$(cat "$T/port")"

cat > "$T/health.yaml" <<'Y'
name: health
params:
  api: { type: string, required: true }
steps:
  - http.request: { url: "${params.api}/health", retry: { attempts: 1 }, timeout: 2 }
Y
wait_for 50 "$KOBITO" run "$T/health.yaml" --param "api=$API" --quiet ||
	fail "procure_api does not answer /health"

# Ten rows; the fourth has a negative amount, which the API refuses (422).
cat > "$T/invoices.csv" <<'C'
invoice_no,vendor,date,amount,account_code,purpose
R6-0001,株式会社さくら,2024-04-01,120000,04100,事務用品
R6-0002,有限会社やまと商事,2024-04-02,"1,234,000",04200,庁舎清掃委託
R6-0003,合同会社みなと設備,2024-04-03,56800,05100,空調点検
R6-0004,東西印刷株式会社,2024-04-04,-5000,04100,広報誌印刷
R6-0005,"株式会社ひかり電機, 本店",2024-04-05,98000,05200,照明交換
R6-0006,田中文具店,2024-04-08,3200,04100,"ボールペン ""黒"" 100本"
R6-0007,北海道物流株式会社,2024-04-09,450000,06100,備品運搬
R6-0008,一般社団法人まちづくり協会,2024-04-10,2000000,07100,地域活性化事業
R6-0009,株式会社テクノ・ソリューションズ,2024-04-11,880000,08100,システム保守
R6-0010,山田造園,2024-04-12,75000,05300,公園樹木剪定
C

cat > "$T/post_invoices.yaml" <<'Y'
name: post_invoices
title: 請求データ登録
kpi: { manual_minutes_per_run: 5, manual_minutes_per_item: 3, vendor_minutes_per_item: 1 }
params:
  input: { type: path, required: true }
  api: { type: string, default: "http://127.0.0.1:8931" }
steps:
  - log: "posting with token ${secrets.procure_token}"
  - id: rows
    csv.read: { path: "${params.input}" }
  - for_each: ${steps.rows.output.rows}
    as: row
    steps:
      - id: post
        http.request:
          method: POST
          url: "${params.api}/api/invoices"
          auth: { bearer: "${secrets.procure_token}" }
          json:
            vendor: "${row.vendor}"
            invoice_no: "${row.invoice_no}"
            date: "${row.date}"
            amount: "${row.amount | number}"
            account_code: "${row.account_code}"
            purpose: "${row.purpose}"
          retry: { attempts: 2, delay_ms: 50 }
      - log: "${row.invoice_no} accepted as ${steps.post.output.json.id} (HTTP ${steps.post.output.status})"
Y
printf 'procure_token: { value: "%s", allow: ["%s/api/"] }\n' "$TOKEN" "$API" > "$T/secrets.yaml"
chmod 600 "$T/secrets.yaml"

"$KOBITO" validate "$T/post_invoices.yaml" > "$T/validate" 2>&1 ||
	fail "the script does not validate: $(cat "$T/validate")"

"$KOBITO" run "$T/post_invoices.yaml" --param "input=$T/invoices.csv" \
	--param "api=$API" --secrets "$T/secrets.yaml" --json > "$T/out" 2> "$T/err"
check "a run with one failed item exits 1" 1 $?
check "status" partial "$(jget "$T/out" .status)"
check "items succeeded" 9 "$(jget "$T/out" .items.succeeded)"
check "items failed" 1 "$(jget "$T/out" .items.failed)"
check "the failed item is the fourth row" 3 "$(jget "$T/out" '.items.failures[0].index')"
err=$(jget "$T/out" '.items.failures[0].error')
case "$err" in
*"post_invoices.yaml:"*": POST $API/api/invoices: 422 Unprocessable Entity: "*'"field":"amount"'*) ;;
*) fail "the failure does not say what the API refused: $err" ;;
esac
check "minutes saved = 5 + 3 x 9" 32 "$(jget "$T/out" .minutes_saved)"

# Exactly the nine good rows, in order, byte for byte.
cat > "$T/expected.jsonl" <<'J'
{"id":"INV-000001","invoice_no":"R6-0001","vendor":"株式会社さくら","date":"2024-04-01","amount":120000,"account_code":"04100","purpose":"事務用品"}
{"id":"INV-000002","invoice_no":"R6-0002","vendor":"有限会社やまと商事","date":"2024-04-02","amount":1234000,"account_code":"04200","purpose":"庁舎清掃委託"}
{"id":"INV-000003","invoice_no":"R6-0003","vendor":"合同会社みなと設備","date":"2024-04-03","amount":56800,"account_code":"05100","purpose":"空調点検"}
{"id":"INV-000004","invoice_no":"R6-0005","vendor":"株式会社ひかり電機, 本店","date":"2024-04-05","amount":98000,"account_code":"05200","purpose":"照明交換"}
{"id":"INV-000005","invoice_no":"R6-0006","vendor":"田中文具店","date":"2024-04-08","amount":3200,"account_code":"04100","purpose":"ボールペン \"黒\" 100本"}
{"id":"INV-000006","invoice_no":"R6-0007","vendor":"北海道物流株式会社","date":"2024-04-09","amount":450000,"account_code":"06100","purpose":"備品運搬"}
{"id":"INV-000007","invoice_no":"R6-0008","vendor":"一般社団法人まちづくり協会","date":"2024-04-10","amount":2000000,"account_code":"07100","purpose":"地域活性化事業"}
{"id":"INV-000008","invoice_no":"R6-0009","vendor":"株式会社テクノ・ソリューションズ","date":"2024-04-11","amount":880000,"account_code":"08100","purpose":"システム保守"}
{"id":"INV-000009","invoice_no":"R6-0010","vendor":"山田造園","date":"2024-04-12","amount":75000,"account_code":"05300","purpose":"公園樹木剪定"}
J
cmp "$T/expected.jsonl" "$T/data/invoices.jsonl" ||
	fail "invoices.jsonl differs: $(diff "$T/expected.jsonl" "$T/data/invoices.jsonl")"
echo "ok: invoices.jsonl holds exactly the nine good rows"
check "the API accepted 9" 9 "$(grep -c 'POST /api/invoices -> 201' "$T/api.log")"
check "the API refused 1, once (422 is not retried)" 1 \
	"$(grep -c 'POST /api/invoices -> 422' "$T/api.log")"
grep -q "R6-0010 accepted as INV-000009 (HTTP 201)" "$T/err" ||
	fail "the last row's log line is missing: $(tail -n 5 "$T/err")"
grep -q "POST $API/api/invoices -> 201 (" "$T/err" ||
	fail "no per-attempt log line: $(head -n 5 "$T/err")"

# The token: masked wherever it would have appeared, never in clear.
grep -q "posting with token \*\*\*" "$T/err" ||
	fail "the token was not masked in the log: $(grep posting "$T/err")"
if grep -qF "$TOKEN" "$T/out" "$T/err"; then
	fail "the bearer token appears in the output"
fi
if grep -qi "authorization\|bearer tok" "$T/out" "$T/err"; then
	fail "an authorization header appears in the output"
fi
echo "ok: the token never appears in stdout or stderr"

# Without the token the API refuses everything: ten failed items, nothing stored.
printf 'procure_token: { value: "wrong-token", allow: ["%s/api/"] }\n' "$API" > "$T/wrong.yaml"
chmod 600 "$T/wrong.yaml"
"$KOBITO" run "$T/post_invoices.yaml" --param "input=$T/invoices.csv" \
	--param "api=$API" --secrets "$T/wrong.yaml" --json > "$T/out2" 2> "$T/err2"
check "a wrong token fails the run" 1 $?
check "no item succeeds with a wrong token" 0 "$(jget "$T/out2" .items.succeeded)"
jget "$T/out2" '.items.failures[0].error' | grep -q "401 Unauthorized" ||
	fail "401 not reported: $(jget "$T/out2" '.items.failures[0].error')"
check "nothing more stored" 9 "$(wc -l < "$T/data/invoices.jsonl" | tr -d ' ')"

# A second run of the same rows: the API refuses the duplicates (409).
"$KOBITO" run "$T/post_invoices.yaml" --param "input=$T/invoices.csv" \
	--param "api=$API" --secrets "$T/secrets.yaml" --json > "$T/out3" 2>/dev/null
check "a repeated batch fails every item" 10 "$(jget "$T/out3" .items.failed)"
jget "$T/out3" '.items.failures[0].error' | grep -q "409 Conflict: .*already accepted as INV-000001" ||
	fail "409 not reported: $(jget "$T/out3" '.items.failures[0].error')"
check "still nine records" 9 "$(wc -l < "$T/data/invoices.jsonl" | tr -d ' ')"
exit 0
