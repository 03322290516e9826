#!/bin/sh
# sched_init_config.sh - the first start and the configuration files:
# `kobito-scheduler init` creates the database, the key and the admin
# (password from standard input or a file, never the command line; a
# second init, or one while a scheduler runs, is refused), and the
# daemons take every option from their configuration files, the command
# line winning; a wrong setting is refused with file:line:col.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/hello.yaml" <<'EOF2'
name: hello
steps:
  - log: hello
EOF2
cat >"$T/scheduler.yaml" <<EOF2
db: $T/k.db
key_file: $T/k.key
scripts: $T/scripts
listen: 127.0.0.1:0
port_file: $T/port
threads: 4
lease_ttl_ms: 5000
EOF2

# init: the password through a pipe, never an argument.
printf 'the first admin password\n' |
	"$SCHED" init --config "$T/scheduler.yaml" --password-stdin >"$T/init.out" 2>"$T/init.err" ||
	fail "init: $(cat "$T/init.err")"
grep -q "created the database $T/k.db" "$T/init.out" || fail "init said: $(cat "$T/init.out")"
grep -q "systemctl enable --now kobito-scheduler" "$T/init.out" || fail "no next steps"
grep -q "agent-token create" "$T/init.out" || fail "no word on agents"
check "the key is the owner's alone" 600 "$(stat -c %a "$T/k.key")"
check "one admin" "admin|admin" \
	"$(sqlite3 "$T/k.db" "SELECT name, role FROM users")"
echo "ok: init created the database, the key and the admin"
printf 'the first admin password\n' >"$T/pw"
"$SCHED" init --config "$T/scheduler.yaml" --password-file "$T/pw" 2>"$T/err" &&
	fail "a second init went through"
grep -q "has 1 user(s) already" "$T/err" || fail "second init: $(cat "$T/err")"
"$SCHED" init --db "$T/other.db" --password 'on the command line' 2>"$T/err"
check "a password on the command line is a usage error" 2 $?
[ ! -e "$T/other.db" ] || fail "a refused init left a database"
printf 'short\n' | "$SCHED" init --db "$T/other.db" --password-stdin 2>"$T/err" &&
	fail "a short password was taken"
[ ! -e "$T/other.db" ] || fail "a refused init left a database"
echo "ok: a second init, a password argument and a short password are refused"

# The daemon from the file alone; --threads on the line wins over it.
"$SCHED" --config "$T/scheduler.yaml" --threads 3 >"$T/scheduler.log" 2>&1 &
SCHED_PID=$!
at_exit "kill -9 $SCHED_PID 2>/dev/null"
wait_for 100 test -s "$T/port" || fail "no start: $(cat "$T/scheduler.log")"
SCHED_URL="http://127.0.0.1:$(cat "$T/port")"
grep -q "database '$T/k.db', 1 scripts from '$T/scripts', 3 threads" \
	"$T/scheduler.log" || fail "start line: $(cat "$T/scheduler.log")"
echo "ok: the scheduler ran from its file, --threads from the command line"
curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary '{"username": "admin", "password": "the first admin password"}' \
	"$SCHED_URL/api/session" >"$T/status"
check "the admin logs in with init's password" 200 "$(cat "$T/status")"
printf 'the first admin password\n' |
	"$SCHED" init --db "$T/k.db" --password-stdin 2>"$T/err" && fail "init while running"
grep -q "in use by another scheduler" "$T/err" || fail "init while running: $(cat "$T/err")"
echo "ok: init is refused while a scheduler runs on the database"

# The agent from its file; the command line wins (--name).
"$SCHED" agent-token create --config "$T/scheduler.yaml" --name pc-1 >"$T/pc-1.token" 2>/dev/null
cat >"$T/agent.yaml" <<EOF2
scheduler: $SCHED_URL
token_file: $T/pc-1.token
name: not-this-one
labels: [ocr:jpn, stand-in-x]
slots: 2
spool: $T/spool
allow_root: true
on_term: finish
work_dirs: { keep: never }
EOF2
"$AGENT" --config "$T/agent.yaml" --name pc-1 >"$T/agent.log" 2>&1 &
apid=$!
at_exit "kill -9 $apid 2>/dev/null"
TOKEN=$(cat "$T/pc-1.token")
ADMIN=$("$SCHED" token create --config "$T/scheduler.yaml" --role admin --name root 2>/dev/null)
agent_labels() {
	api GET /api/agents "$ADMIN" | sed '$d' |
		jq -c '.agents[] | select(.name == "pc-1") | [.labels, .slots]'
}
wait_for 100 sh -c "[ -n \"\$(curl -s -H 'Authorization: Bearer $ADMIN' $SCHED_URL/api/agents | jq -r '.agents[] | select(.name == \"pc-1\") | .name')\" ]" ||
	fail "the agent did not register: $(cat "$T/agent.log")"
check "labels and slots from the file" '[["ocr:jpn","stand-in-x"],2]' "$(agent_labels)"
kill -TERM "$apid"; wait "$apid"
echo "ok: the agent ran from its file (options and work_dirs side by side)"

# Wrong settings, with their place.
printf 'scheduler: %s\nslots: many\n' "$SCHED_URL" >"$T/bad.yaml"
"$AGENT" --config "$T/bad.yaml" --token-file "$T/pc-1.token" 2>"$T/err"
check "a bad agent setting exits 1" 1 $?
grep -q "bad.yaml:2:8: slots must be a whole number from 1 to 256, not 'many'" "$T/err" ||
	fail "agent: $(cat "$T/err")"
printf 'scheduler: %s\npolicy: {}\nlabelz: [x]\n' "$SCHED_URL" >"$T/bad.yaml"
"$AGENT" --config "$T/bad.yaml" --token-file "$T/pc-1.token" 2>"$T/err"
check "an unknown agent setting exits 1" 1 $?
grep -q "bad.yaml:3:1: unknown key 'labelz' in the configuration (did you mean 'labels'?)" "$T/err" ||
	fail "agent: $(cat "$T/err")"
printf 'db: %s\nlisten: 1.2.3.4:0\nscripts: %s\nthreds: 4\n' "$T/x.db" "$T/scripts" >"$T/bad.yaml"
"$SCHED" --config "$T/bad.yaml" 2>"$T/err" && fail "a misspelt key went through"
grep -q "bad.yaml:4:1: unknown key 'threds' in the configuration (did you mean 'threads'?)" "$T/err" ||
	fail "scheduler: $(cat "$T/err")"
"$SCHED" --db "$T/x.db" 2>"$T/err"
check "missing options are a usage error" 2 $?
grep -q -- "--listen and --scripts are required" "$T/err" || fail "$(cat "$T/err")"
echo "ok: wrong settings are refused with file:line:col"
kill -TERM "$SCHED_PID"; wait "$SCHED_PID" || fail "the scheduler did not stop cleanly"
