#!/bin/sh
# sched_audit_chain.sh - `kobito-scheduler audit verify` on the audit log
# the scheduler writes (changes, refusals, counted anonymous calls): intact
# while the scheduler runs and after, against a hash noted earlier too;
# a row changed with the sqlite3 shell, a row removed, and the end of the
# log cut off are each found, naming the row, with exit status 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/hello.yaml" <<'EOF2'
name: hello
steps:
  - log: hello
EOF2
start_scheduler
A=$(admin_token)
V=$(make_token viewer watcher)
for i in 1 2 3; do trigger hello >/dev/null; done
# A change refused to a known caller, and anonymous refusals (counted).
check "a viewer may not trigger" 403 \
	"$(status_of "$(api POST /api/jobs "$V" '{"script": "hello"}')")"
for i in 1 2; do api POST /api/jobs "not-a-token" '{"script": "hello"}' >/dev/null; done

verify() { "$SCHED" audit verify --db "$T/sched.db" "$@" >"$T/out" 2>"$T/err"; }
verify || fail "verify while the scheduler runs: $(cat "$T/err")"
grep -q "^audit log intact: [0-9]* rows; the last is [0-9]*:[0-9a-f]\{64\}$" "$T/out" ||
	fail "verify said: $(cat "$T/out")"
noted=$(sed -n 's/^audit log intact: .*; the last is \(.*\)$/\1/p' "$T/out")
echo "ok: intact while the scheduler runs (noted $noted)"
stop_scheduler	# writes the anonymous counts
check "the anonymous refusals are a row" 1 \
	"$(sql "SELECT count(*) FROM audit WHERE actor = 'anonymous'")"
verify --expect "$noted" || fail "verify --expect after the stop: $(cat "$T/err")"
rows=$(sql 'SELECT count(*) FROM audit')
check "every row counted" "audit log intact: $rows rows" "$(head -n 1 "$T/out" | sed 's/;.*//')"
echo "ok: intact after the stop, $rows rows, the noted row still the same"

cp "$T/sched.db" "$T/orig.db"
tamper() { # SQL: as someone with the file would
	cp "$T/orig.db" "$T/sched.db"
	sqlite3 "$T/sched.db" "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
		DROP TRIGGER audit_chained; $1" || fail "tamper: $1"
}
bad() { # EXPECTED-MESSAGE [VERIFY-ARGS]: verify fails, saying so
	_want=$1
	shift
	verify "$@" && fail "verify passed a tampered log ($_want)"
	grep -qF "$_want" "$T/err" || fail "verify said: $(cat "$T/err")"
}
tamper "UPDATE audit SET actor = 'mallory' WHERE id = 3"
bad "the audit log of $T/sched.db is broken at row 3: its contents do not match its hash"
tamper "DELETE FROM audit WHERE id = 2"
bad "broken at row 3: it does not follow the row before it"
tamper "INSERT INTO audit (at, actor, method, path, status) VALUES (0, 'admin', 'DELETE', '/api/users/2', 204)"
bad "broken at row $((rows + 1)): it has no hash"
tamper "DELETE FROM audit WHERE id >= $((rows - 1))"
verify || fail "a log cut short is still a chain: $(cat "$T/err")"
bad "the row ${noted%%:*} noted earlier is missing: the log was cut short" --expect "$noted"
echo "ok: a changed row, a removed row, an added row and a cut end are found"

"$SCHED" audit verify --db "$T/sched.db" --expect 12:abc 2>"$T/err" && fail "--expect 12:abc"
grep -q -- "--expect: expected ID:HASH" "$T/err" || fail "--expect 12:abc: $(cat "$T/err")"
"$SCHED" audit check 2>"$T/err"
check "audit without verify: usage" 2 $?
echo "ok: bad arguments are refused"
