#!/bin/sh
# secret_canary.sh - a canary secret with every troublesome character
# (+ / = " \ % and non-ASCII) goes through every family of actions (core,
# file, csv, json, http, exec, sqlite, xlsx, ui), their error paths, an
# include, a loop and every encoding kobito gives it; then nothing anyone
# can read holds it or any encoding of it: not the log, the events or
# --json of a local run, nor its artifacts; not the scheduler's log,
# database or WAL, the agent's log or spool, nor any page of the API the
# dashboard reads.  Only the files the script wrote on purpose hold it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"
CANARY='Cn4ry+/=Q"w\%2F鍵Zé-P7x'
# Every form in which it could leak (lib.sh), and the cases a script
# derives from it.
{
	secret_forms "$CANARY"
	printf '%s' "$CANARY" | jq -sRr 'ascii_downcase, ascii_upcase'
} >"$T/forms"
# no_canary WHAT FILE...: none of the forms in the files (binary too).
no_canary() {
	_what=$1
	shift
	if grep -a -F -f "$T/forms" "$@" >"$T/hit" 2>/dev/null; then
		fail "$_what holds the canary: $(head -c 600 "$T/hit")"
	fi
	echo "ok: no canary in $_what"
}

"$FIXTURES/echo_http" --port-file "$T/echo.port" 2>"$T/echo.log" &
at_exit "kill $! 2>/dev/null"
wait_for 100 test -s "$T/echo.port" || fail "echo_http did not start"
ECHO="http://127.0.0.1:$(cat "$T/echo.port")"
mkdir -p "$T/work" "$T/scripts/lib"

cat >"$T/scripts/lib/sub.yaml" <<'Y'
name: sub
params:
  word: { type: string, required: true }
steps:
  - log: "sub got ${params.word}"
output: "${params.word | upper}"
Y
# The families that run without a display; the ui part is added below.
cat >"$T/scripts/canary.yaml" <<'Y'
name: canary
params:
  work: { type: path, required: true }
  echo: { type: url, required: true }
steps:
  - log: "direct ${secrets.canary}"
  - log: "derived ${secrets.canary | lower} ${secrets.canary | upper} ${secrets.canary | base64} ${secrets.canary | urlencode}"
  - set: { obj: { p: "${secrets.canary}", n: 1 } }
  - log: "object ${obj}"
  - for_each: ${[1, 2]}
    steps:
      - log: "loop ${loop.index} ${secrets.canary}"
      - fail: "item ${loop.index} failed with ${secrets.canary | lower}"
  - id: q
    http.request: { url: "${params.echo}/q", query: { k: "${secrets.canary}" }, headers: { X-Key: "${secrets.canary}" } }
  - log: "echo q ${steps.q.output.body}"
  - id: f
    http.request: { url: "${params.echo}/f?status=500", method: POST, form: { k: "${secrets.canary}" } }
    on_error: continue
  - log: "form error ${steps.f.error}"
  - id: j
    http.request: { url: "${params.echo}/j", method: POST, json: { k: "${secrets.canary}" }, auth: { basic: { user: u, password: "${secrets.canary}" } } }
  - log: "echo j ${steps.j.output}"
  - id: b
    http.request: { url: "${params.echo}/b?broken=1", method: POST, body: "${secrets.canary}" }
  - id: jp
    json.parse: "{\"k\": \"${secrets.canary}"
    on_error: continue
  - id: jf
    json.format: { value: { k: "${secrets.canary}" } }
  - id: jp2
    json.parse: "${steps.jf.output}"
  - log: "formatted ${steps.jf.output} parsed ${steps.jp2.output.k}"
  - file.write: { path: "${params.work}/s.txt", content: "${secrets.canary}" }
  - id: fr
    file.read: "${params.work}/s.txt"
  - log: "read ${steps.fr.output}"
  - csv.write: { path: "${params.work}/s.csv", rows: [{ k: "${secrets.canary}" }] }
  - id: cr
    csv.read: "${params.work}/s.csv"
  - log: "csv ${steps.cr.output.rows}"
  - sqlite.exec: { db: "${params.work}/s.db", sql: "CREATE TABLE IF NOT EXISTS t (v TEXT)" }
  - sqlite.exec: { db: "${params.work}/s.db", sql: "INSERT INTO t VALUES (?)", params: ["${secrets.canary}"] }
  - id: sq
    sqlite.query: { db: "${params.work}/s.db", sql: "SELECT v FROM t" }
  - log: "sql ${steps.sq.output}"
  - id: ex
    exec: { argv: [sh, -c, 'printf "%s" "$K"; printf "%s" "$K" >&2; exit 3'], env: { K: "${secrets.canary}" } }
    on_error: continue
  - log: "exec ${steps.ex.error}"
  - xlsx.write: { path: "${params.work}/s.xlsx", rows: [{ k: "${secrets.canary}" }], columns: [k] }
  - id: xr
    xlsx.read: { path: "${params.work}/s.xlsx" }
  - log: "xlsx ${steps.xr.output}"
  - id: inc
    include: lib/sub.yaml
    with: { word: "${secrets.canary}" }
  - log: "sub said ${steps.inc.output}"
  - assert: { that: false, message: "assert ${secrets.canary}" }
    on_error:
      - log: "handled ${error.message}"
  - fail: "the end: ${secrets.canary | lower}"
Y
printf "canary: { value: '%s', allow: [\"%s/\"] }\n" "$(printf '%s' "$CANARY" | sed "s/'/''/g")" \
	"$ECHO" >"$T/secrets.yaml"
chmod 600 "$T/secrets.yaml"

# --- a local run, with the ui family on a private display -------------------
start_xvfb
export NO_AT_BRIDGE=1 GTK_IM_MODULE=gtk-im-context-simple
DISPLAY=$DISPLAY_NUM "$APP" --out "$T/app.csv" 2>>"$T/app.log" &
at_exit "kill $! 2>/dev/null"
{
	sed '/^  - fail: "the end/d' "$T/scripts/canary.yaml" | sed 's/^name: canary/name: canary_ui/'
	cat <<'Y'
  - ui.window: { title: "^財務会計システム 支出伝票入力$", activate: true, timeout: 20 }
  - ui.type: "${secrets.canary}"
  - ui.type: { text: "${secrets.canary}", method: paste }
  - ui.wait_window: { title: "^${secrets.canary | lower}$", timeout: 0.5 }
    on_error: continue
  - fail: "the end: ${secrets.canary | lower}"
Y
} >"$T/scripts/canary_ui.yaml"
"$KOBITO" run "$T/scripts/canary_ui.yaml" --display "$DISPLAY_NUM" --secrets "$T/secrets.yaml" \
	--param "work=$T/work" --param "echo=$ECHO" --artifacts "$T/art" --json >"$T/local.out" 2>"$T/local.err"
check "the local run fails at its end" 1 $?
jget "$T/local.out" .error | grep -q 'the end: \*\*\*$' || fail "$(jget "$T/local.out" .error)"
check "two failed items" 2 "$(jget "$T/local.out" .items.failed)"
grep -q 'echo_http: GET /q' "$T/echo.log" || fail "the echo server was not called"
[ "$(cat "$T/work/s.txt")" = "$CANARY" ] || fail "file.write did not write the canary"
no_canary "the local run's --json and log" "$T/local.out" "$T/local.err"
find "$T/art" -name "*.png" | grep -q . || fail "the local run made no artifact: $(find "$T/art")"
no_canary "the local run's artifacts" -r "$T/art"
rm -f "$T/work/s.db" "$T/work/s.csv" "$T/work/s.xlsx"
rm "$T/scripts/canary_ui.yaml"

# --- the same through a scheduler and an agent -------------------------------
start_scheduler
ADMIN=$(admin_token)
jq -n --arg v "$CANARY" --arg a "$ECHO/" '{value: $v, allow: [$a]}' >"$T/put.json"
check "PUT the canary" 200 "$(status_of "$(api PUT /api/secrets/canary "$ADMIN" "$(cat "$T/put.json")")")"
start_agent a1
job=$(trigger canary "\"max_attempts\": 1, \"params\": {\"work\": \"$T/work\", \"echo\": \"$ECHO\"}")
wait_final "$job" 300
check "the job fails at its end" failed "$(job_field "$job" .state)"
run=$(job_field "$job" '.runs[-1].id')
# Every page the dashboard reads, while the database and its WAL are live.
for p in "/api/jobs/$job" /api/jobs "/api/runs/$run" "/api/runs/$run/logs" /api/runs \
	/api/scripts /api/scripts/canary /api/secrets /api/audit /api/agents /metrics; do
	api GET "$p" "$ADMIN" >>"$T/pages"
done
grep -q 'the end: \*\*\*' "$T/pages" || fail "the run's error is not in the pages"
grep -q 'sub said \*\*\*' "$T/pages" || fail "the run's log is not in the pages"
no_canary "the API pages" "$T/pages"
[ -s "$T/sched.db-wal" ] || fail "the scheduler has no WAL to look into"
cp "$T/sched.db" "$T/db.copy"
cp "$T/sched.db-wal" "$T/wal.copy"
no_canary "the database and its WAL" "$T/db.copy" "$T/wal.copy"
no_canary "the agent's spool" -r "$T/spool-a1"
stop_agent a1
stop_scheduler
no_canary "the scheduler's and the agent's logs" "$T/scheduler.log" "$T/agent-a1.log"
