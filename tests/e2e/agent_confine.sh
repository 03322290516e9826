#!/bin/sh
# agent_confine.sh - an agent with a policy (--config): jobs that try to
# read outside their file roots (file.read, exec cat, sqlite, SQL's
# ATTACH, a symbolic link), write to a read-only root, run an unlisted program, reach an
# unlisted host, or read the agent's token (its file by the action and by
# cat) are each refused with a clear error, by the actions and by the
# Landlock sandbox of the job's own process; copies of the token in the
# agent's environment reach neither the job's environment nor
# /proc/AGENT/environ; the allowed work succeeds in a working directory of
# the job's own, removed after, and loads the office module (xlsx.*) in
# its sandbox.  An agent whose token file lies under a
# file root refuses to start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

mkdir -p "$T/data" "$T/ref" "$T/secret"
printf 'the ledger of another department\n' >"$T/secret/outside.txt"
sqlite3 "$T/secret/x.db" 'CREATE TABLE t(x)'
printf 'code,name\n1,甲\n2,乙\n' >"$T/ref/in.csv"
ln -s "$T/secret" "$T/data/link"
# A script per case: NAME, then its steps.
script() {
	{ printf 'name: %s\nparams:\n' "$1"
	  printf '  %s: { type: string, required: false }\n' pid url
	  printf 'steps:\n'
	  cat; } >"$T/scripts/$1.yaml"
}
script ok_work <<EOF
  - file.write: { path: "$T/data/out.txt", content: "written" }
  - file.write: { path: scratch.txt, content: "in the working directory" }
  - id: rel
    file.read: scratch.txt
  - id: rows
    csv.read: { path: "$T/ref/in.csv" }
  - sqlite.exec: { db: "$T/data/db.sqlite", sql: "CREATE TABLE IF NOT EXISTS t(x)" }
  - id: sorted
    exec: { argv: [sort], stdin: "b\\na\\n" }
  - id: catted
    exec: { argv: [cat, "$T/ref/in.csv"] }
  - id: pwd
    exec: { argv: [pwd] }
  - id: env
    exec: { argv: [cat, /proc/self/environ] }
  - id: web
    http.request: { url: "\${params.url}/health" }
  - xlsx.write: { path: "$T/data/out.xlsx", rows: [{ code: 1 }], columns: [code] }
  - id: book
    xlsx.read: { path: "$T/data/out.xlsx" }
  - assert: { that: "\${steps.book.output.rows[0].code == 1}" }
  - assert: { that: "\${steps.rel.output == 'in the working directory'}" }
  - assert: { that: "\${len(steps.rows.output.rows) == 2}" }
  - assert: { that: "\${steps.sorted.output.stdout == 'a\\nb\\n'}" }
  - assert: { that: "\${steps.web.output.status == 200}" }
  - log: "pwd=\${steps.pwd.output.stdout}"
  - log: "env=\${steps.env.output.stdout}"
  - log: "catted=\${steps.catted.output.stdout}"
EOF
script read_outside <<EOF
  - file.read: "$T/secret/outside.txt"
EOF
script read_link <<EOF
  - file.read: "$T/data/link/outside.txt"
EOF
script cat_outside <<EOF
  - exec: { argv: [cat, "$T/secret/outside.txt"] }
EOF
script cat_link <<EOF
  - exec: { argv: [cat, "$T/data/link/outside.txt"] }
EOF
script sqlite_outside <<EOF
  - sqlite.query: { db: "$T/secret/x.db", sql: "SELECT count(*) FROM t" }
EOF
script sqlite_attach <<EOF
  - sqlite.exec: { db: "$T/data/db.sqlite", sql: "ATTACH DATABASE '$T/secret/x.db' AS s" }
EOF
script write_readonly <<EOF
  - file.write: { path: "$T/ref/new.txt", content: "x" }
EOF
script unlisted_program <<EOF
  - exec: { argv: [id] }
EOF
script unlisted_host <<EOF
  - http.request: { url: "\${params.url}/health", retry: { attempts: 1 } }
EOF
script token_file <<EOF
  - file.read: "$T/a1.token"
EOF
script token_cat <<EOF
  - exec: { argv: [cat, "$T/a1.token"] }
EOF
script token_proc <<EOF
  - id: env
    exec: { argv: [cat, "/proc/\${params.pid}/environ"] }
  - log: "environ=\${steps.env.output.stdout}"
EOF

start_scheduler
port=$(cat "$T/port")
cat >"$T/agent.yaml" <<EOF
policy:
  programs: [/usr/bin/cat, /usr/bin/sort, /usr/bin/pwd]
  files:
    - $T/data
    - { path: $T/ref, access: read }
  hosts: ["127.0.0.1:$port"]
EOF
admin_token >/dev/null
make_token agent a1 >"$T/a1.token"
token=$(cat "$T/a1.token")

# The token must stay out of the jobs' reach: a root over it is refused.
printf 'policy:\n  files: [%s]\n' "$T" >"$T/bad.yaml"
"$AGENT" --scheduler "$SCHED_URL" --token-file "$T/a1.token" --name a1 \
	--spool "$T/spool-bad" --allow-root --config "$T/bad.yaml" \
	>"$T/bad.log" 2>&1 && fail "an agent whose token lies under a file root started"
grep -q "the token file '.*a1.token' lies under '$T'" "$T/bad.log" ||
	fail "no clear refusal: $(cat "$T/bad.log")"
echo "ok: a token file under a file root is refused at start"

# Copies of the token in the environment do not reach the jobs.
KOBITO_TOKEN=$token OTHER_COPY="x${token}y" start_agent a1 --config "$T/agent.yaml"
apid=$(agent_pid a1)
wait_for 100 grep -q "jobs run confined" "$T/agent-a1.log" ||
	fail "the agent did not confine its jobs: $(cat "$T/agent-a1.log")"
echo "ok: $(grep -o 'jobs run confined.*' "$T/agent-a1.log")"

# run SCRIPT [PARAMS-JSON]: trigger, wait, print "STATE ERROR".
run() {
	_job=$(trigger "$1" "\"max_attempts\": 1, \"params\": {${2:-}}")
	wait_final "$_job" 200
	_run=$(job_field "$_job" .run_id)
	api GET "/api/runs/$_run" "$(admin_token)" | sed '$d' >"$T/run-$1.json"
	printf '%s %s\n' "$(job_field "$_job" .state)" \
		"$(jq -r '.error // ""' "$T/run-$1.json")"
}
# refused SCRIPT TEXT [PARAMS]: the job fails with an error holding TEXT.
refused() {
	_out=$(run "$1" "${3:-}")
	case "$_out" in
	"failed "*"$2"*) echo "ok: $1 refused: ${_out#failed }" ;;
	*) fail "$1: expected a failure with '$2', got: $_out" ;;
	esac
}

out=$(run ok_work "\"url\": \"$SCHED_URL\"")
[ "${out%% *}" = succeeded ] || fail "the allowed work failed: $out"
[ "$(cat "$T/data/out.txt")" = written ] || fail "data/out.txt not written"
logs=$(jq -r '.logs[].message' "$T/run-ok_work.json")
printf '%s\n' "$logs" | grep -q "^pwd=$T/spool-a1/work/job-" ||
	fail "the job did not run in its own working directory: $logs"
printf '%s\n' "$logs" | grep -q "^catted=code,name" ||
	fail "cat of a read-only root failed: $logs"
printf '%s\n' "$logs" | grep -q "KOBITO_TOKEN\|OTHER_COPY" &&
	fail "a copy of the token reached the job's environment: $logs"
[ -z "$(ls "$T/spool-a1/work")" ] ||
	fail "the working directory was not removed: $(ls "$T/spool-a1/work")"
echo "ok: allowed work succeeds (files, CSV, SQLite, exec, HTTP, a working directory of its own, removed after)"

refused read_outside "the agent's policy does not allow reading '$T/secret/outside.txt'"
refused read_link "does not allow reading '$T/data/link/outside.txt' ($T/secret/outside.txt)"
refused sqlite_outside "the agent's policy does not allow reading '$T/secret/x.db'"
refused sqlite_attach "unable to open database"
refused write_readonly "does not allow writing '$T/ref/new.txt'"
refused cat_outside "Permission denied"
refused cat_link "Permission denied"
refused unlisted_program "the agent's policy does not allow running '/usr/bin/id'"
refused unlisted_host "does not allow reaching 'http://localhost:$port/health'" \
	"\"url\": \"http://localhost:$port\""
refused token_file "the agent's policy does not allow reading '$T/a1.token'"
refused token_cat "Permission denied"
# /proc/AGENT/environ: the agent is not dumpable, so another user's
# program cannot open it; root can, and finds the copies wiped.
out=$(run token_proc "\"pid\": \"$apid\"")
case "$out" in
"failed "*"Permission denied"*) echo "ok: token_proc refused: ${out#failed }" ;;
succeeded*)
	jq -r '.logs[].message' "$T/run-token_proc.json" | grep -q "^environ=." ||
		fail "token_proc read nothing: $(cat "$T/run-token_proc.json")"
	jq -r '.logs[].message' "$T/run-token_proc.json" | grep -qF "$token" &&
		fail "the token is in /proc/$apid/environ"
	echo "ok: token_proc: /proc/$apid/environ holds no copy of the token" ;;
*) fail "token_proc: $out" ;;
esac
[ -e "$T/ref/new.txt" ] && fail "a read-only root was written"

# The token appears nowhere a job's output went.
for f in "$T"/run-*.json "$T/scheduler.log"; do
	grep -qF "$token" "$f" && fail "the token is in $f"
done
sqlite3 "$T/sched.db" .dump | grep -qF "$token" && fail "the token is in the database"
echo "ok: the token is in no run, log or database row"
exit 0
