#!/bin/sh
# sqlite_copy.sh - rows copied from one SQLite database to another with
# `kobito run`: sqlite.query reads them, a for_each inserts each with bound
# parameters (a name full of quotes and SQL must arrive as plain text), and
# sqlite3 checks that the destination holds exactly the source's rows with
# their types.  Then sqlite.exec with rows: one bad row rolls back them all.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"

SCHEMA="CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL,
	amount REAL, note TEXT);"
sqlite3 "$T/src.db" "$SCHEMA
INSERT INTO t VALUES (1, '山田 太郎', 1200.5, '①㈱髙');
INSERT INTO t VALUES (2, 'O''Brien', NULL, NULL);
INSERT INTO t VALUES (3, 'x''); DROP TABLE t; --', 0.25, 'a,b \"c\"');
INSERT INTO t VALUES (7, '改行
あり', -3.0, '');" || fail "cannot create the source database"
sqlite3 "$T/dst.db" "$SCHEMA" || fail "cannot create the destination"

cat > "$T/copy.yaml" <<'Y'
name: copy_rows
title: 行のコピー
kpi: { manual_minutes_per_item: 2 }
params:
  src: { type: path, required: true }
  dst: { type: path, required: true }
steps:
  - id: rows
    sqlite.query: { db: "${params.src}", sql: "SELECT id, name, amount, note FROM t ORDER BY id" }
  - assert: { that: "${steps.rows.output.count == 4}", message: "expected 4 rows" }
  - for_each: ${steps.rows.output.rows}
    as: row
    steps:
      - sqlite.exec:
          db: "${params.dst}"
          sql: "INSERT INTO t VALUES (?, ?, ?, ?)"
          params: ["${row.id}", "${row.name}", "${row.amount}", "${row.note}"]
  - id: check
    sqlite.query:
      db: "${params.dst}"
      sql: "SELECT count(*) AS n, sum(amount) AS total FROM t WHERE id >= :min"
      params: { min: 1 }
  - assert: { that: "${steps.check.output.rows[0].n == 4}", message: "count ${steps.check.output.rows[0].n}" }
Y

"$KOBITO" run "$T/copy.yaml" --param "src=$T/src.db" --param "dst=$T/dst.db" \
	--json > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 0 ] || { cat "$T/err" "$T/out" >&2; fail "kobito run exited $rc"; }
check "status" succeeded "$(jget "$T/out" .status)"
check "items succeeded" 4 "$(jget "$T/out" .items.succeeded)"
check "items failed" 0 "$(jget "$T/out" .items.failed)"
check "minutes saved (2 per row)" 8 "$(jget "$T/out" '.minutes_saved | floor')"

Q="SELECT id, typeof(id), name, typeof(amount), quote(amount), quote(note)
	FROM t ORDER BY id"
check "destination rows equal the source, types included" \
	"$(sqlite3 "$T/src.db" "$Q")" "$(sqlite3 "$T/dst.db" "$Q")"
check "the SQL-looking name arrived as text" \
	"x'); DROP TABLE t; --" \
	"$(sqlite3 "$T/dst.db" "SELECT name FROM t WHERE id = 3")"
check "REAL stays REAL" "real|-3.0" \
	"$(sqlite3 "$T/dst.db" "SELECT typeof(amount), amount FROM t WHERE id = 7")"

# --- sqlite.exec with rows: one transaction, all or nothing -----------------
cat > "$T/batch.yaml" <<'Y'
name: batch
params:
  dst: { type: path, required: true }
  dup: { type: int, default: 11 }
steps:
  - sqlite.exec:
      db: "${params.dst}"
      sql: "INSERT INTO t(id, name, amount) VALUES (:id, :name, :amount)"
      rows:
        - { id: 10, name: "十", amount: 10 }
        - { id: 11, name: "十一", amount: 11.5 }
        - { id: "${params.dup}", name: "重複", amount: 0 }
Y
"$KOBITO" run "$T/batch.yaml" --param "dst=$T/dst.db" --param dup=1 --json \
	> "$T/out" 2> "$T/err"
check "a batch with a duplicate key fails" 1 $?
check "batch status" failed "$(jget "$T/out" .status)"
case $(jget "$T/out" .error) in
*"rows[2]: UNIQUE constraint failed: t.id"*) echo "ok: error quotes SQLite" ;;
*) fail "unexpected error: $(jget "$T/out" .error)" ;;
esac
check "nothing of the failed batch was stored" 0 \
	"$(sqlite3 "$T/dst.db" "SELECT count(*) FROM t WHERE id IN (10, 11)")"

"$KOBITO" run "$T/batch.yaml" --param "dst=$T/dst.db" --param dup=12 --json \
	> "$T/out" 2> "$T/err" || { cat "$T/err" >&2; fail "the good batch failed"; }
check "the good batch stores all three" "10|10.0
11|11.5
12|0.0" "$(sqlite3 "$T/dst.db" "SELECT id, amount FROM t WHERE id >= 10 ORDER BY id")"

# --- a dry run changes nothing ---------------------------------------------
before=$(sqlite3 "$T/dst.db" "SELECT count(*) FROM t")
"$KOBITO" run "$T/batch.yaml" --param "dst=$T/dst.db" --param dup=13 \
	--dry-run --json > "$T/out" 2> "$T/err" ||
	{ cat "$T/err" >&2; fail "the dry run failed"; }
check "a dry run leaves the database as it was" "$before" \
	"$(sqlite3 "$T/dst.db" "SELECT count(*) FROM t")"
exit 0
