/*
 * test_audit.c - the audit log's hash chain on a real database: rows
 * appended are chained and verify; a row changed, removed, added without
 * the scheduler, or rows moved, break the chain at the row that shows it;
 * a log cut short is found against a hash noted earlier; the rows of an
 * older release are chained by the migration, in their order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit.h"
#include "store.h"
#include "xmalloc.h"

#include "db_fixture.h"

/* Five rows, as the API writes them. */
static void
append_five(struct fixture *f)
{
	struct audit_row r;
	char path[64];
	int i;

	for (i = 1; i <= 5; i++) {
		memset(&r, 0, sizeof r);
		snprintf(path, sizeof path, "/api/jobs/%d/cancel", i);
		r.at = 1764000000000LL + i;
		r.actor = i == 3 ? "anonymous" : "alice";
		r.token_id = i == 3 ? 0 : 7;
		r.role = i == 3 ? NULL : "operator";
		r.method = "POST";
		r.path = path;
		r.status = 200;
		r.remote = "192.0.2.1";
		r.detail = i == 2 ? "{\"reason\":\"窓口の閉庁\"}" : NULL;
		assert_int_equal(audit_append(&f->c, &r), 0);
	}
}

/* Tampering, as someone with the file and the sqlite3 shell would. */
static void
tamper(struct fixture *f, const char *sql)
{
	assert_int_equal(conn_exec(&f->c, "DROP TRIGGER audit_no_update;"
	    "DROP TRIGGER audit_no_delete; DROP TRIGGER audit_chained"), 0);
	assert_int_equal(conn_exec(&f->c, sql), 0);
}

static int
verify(struct fixture *f, struct audit_check *k)
{
	return audit_verify(&f->c, 0, NULL, k);
}

static void
test_intact(void **state)
{
	struct fixture *f = *state;
	struct audit_check k, k2;

	assert_int_equal(verify(f, &k), 0);
	assert_int_equal(k.rows, 0);
	append_five(f);
	assert_int_equal(verify(f, &k), 0);
	assert_int_equal(k.rows, 5);
	assert_int_equal(k.last_id, 5);
	assert_int_equal(strlen(k.last_hash), AUDIT_HASH_HEX);
	/* Against the hash noted for row 5, and for row 2. */
	assert_int_equal(audit_verify(&f->c, 5, k.last_hash, &k2), 0);
	/* A row's hash is also its stored one. */
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(f->c.db, "SELECT hash FROM"
		    " audit WHERE id = 5", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal(sqlite3_column_text(st, 0), k.last_hash);
		sqlite3_finalize(st);
	}
}

static void
test_changed_row(void **state)
{
	struct fixture *f = *state;
	struct audit_check k;

	append_five(f);
	tamper(f, "UPDATE audit SET actor = 'mallory' WHERE id = 2");
	assert_int_equal(verify(f, &k), 1);
	assert_int_equal(k.bad_id, 2);
	assert_non_null(strstr(k.why, "changed after it was written"));
	assert_int_equal(k.rows, 1);
}

static void
test_type_changed(void **state)
{
	struct fixture *f = *state;
	struct audit_check k;

	/* The same bytes as a blob are not the same detail. */
	append_five(f);
	tamper(f, "UPDATE audit SET detail = CAST(detail AS BLOB) WHERE id = 2");
	assert_int_equal(verify(f, &k), 1);
	assert_int_equal(k.bad_id, 2);
}

static void
test_removed_row(void **state)
{
	struct fixture *f = *state;
	struct audit_check k;

	append_five(f);
	tamper(f, "DELETE FROM audit WHERE id = 3");
	assert_int_equal(verify(f, &k), 1);
	assert_int_equal(k.bad_id, 4);
	assert_non_null(strstr(k.why, "a row before it was removed"));
}

static void
test_rehashed_row(void **state)
{
	struct fixture *f = *state;
	struct audit_check k, before;

	/*
	 * Row 2 changed and given the hash that fits its new contents (the
	 * chain recomputed, the later rows' hashes put back): row 3 tells.
	 */
	append_five(f);
	assert_int_equal(verify(f, &before), 0);
	tamper(f, "CREATE TABLE saved AS SELECT id, prev_hash, hash FROM audit;"
	    "UPDATE audit SET actor = 'mallory' WHERE id = 2");
	assert_int_equal(audit_seal(&f->c), 0);
	assert_int_equal(conn_exec(&f->c, "UPDATE audit SET prev_hash = (SELECT"
	    " prev_hash FROM saved s WHERE s.id = audit.id), hash = (SELECT hash"
	    " FROM saved s WHERE s.id = audit.id) WHERE id >= 3"), 0);
	assert_int_equal(verify(f, &k), 1);
	assert_int_equal(k.bad_id, 3);
	assert_non_null(strstr(k.why, "does not follow the row before it"));
	/* The whole chain recomputed: whole again, but not the one noted. */
	assert_int_equal(audit_seal(&f->c), 0);
	assert_int_equal(verify(f, &k), 0);
	assert_int_equal(audit_verify(&f->c, before.last_id, before.last_hash,
	    &k), 1);
	assert_non_null(strstr(k.why, "rewritten"));
}

static void
test_added_row(void **state)
{
	struct fixture *f = *state;
	struct audit_check k;

	append_five(f);
	tamper(f, "INSERT INTO audit (at, actor, method, path, status)"
	    " VALUES (1, 'mallory', 'POST', '/api/users', 200)");
	assert_int_equal(verify(f, &k), 1);
	assert_int_equal(k.bad_id, 6);
	assert_non_null(strstr(k.why, "not written by the scheduler"));
}

static void
test_cut_short(void **state)
{
	struct fixture *f = *state;
	struct audit_check k, k2;

	append_five(f);
	assert_int_equal(verify(f, &k), 0);
	/* The last two rows go: what is left is a chain, but not the one. */
	tamper(f, "DELETE FROM audit WHERE id >= 4");
	assert_int_equal(verify(f, &k2), 0);
	assert_int_equal(k2.rows, 3);
	assert_int_equal(audit_verify(&f->c, 5, k.last_hash, &k2), 1);
	assert_non_null(strstr(k2.why, "cut short"));
	/* And rewritten from row 3 on, with hashes that fit. */
	assert_int_equal(audit_verify(&f->c, 3, k.last_hash, &k2), 1);
	assert_non_null(strstr(k2.why, "rewritten"));
}

static void
test_seal_older_rows(void **state)
{
	struct fixture *f = *state;
	struct audit_check k;
	struct store *st;

	/* A database of schema 11: its audit rows have no hashes. */
	assert_int_equal(conn_exec(&f->c, "DROP TRIGGER audit_chained;"
	    "ALTER TABLE audit DROP COLUMN prev_hash;"
	    "ALTER TABLE audit DROP COLUMN hash;"
	    "INSERT INTO audit (at, actor, method, path, status, detail)"
	    " VALUES (1, 'admin', 'POST', '/api/users', 201, '{}'),"
	    " (2, 'alice', 'POST', '/api/jobs', 201, NULL),"
	    " (3, 'anonymous', '*', '*', 401, '{\"refused\":3}');"
	    "PRAGMA user_version = 11"), 0);
	conn_close(&f->c);
	st = store_open(f->db, 0, f->err, sizeof f->err);
	assert_non_null(st);
	store_close(st);
	assert_int_equal(conn_open(&f->c, f->db, f->err, sizeof f->err), 0);
	assert_int_equal(conn_schema_version(&f->c), STORE_SCHEMA_VERSION);
	assert_int_equal(verify(f, &k), 0);
	assert_int_equal(k.rows, 3);
	/* New rows follow them; updates are refused again. */
	append_five(f);
	assert_int_equal(verify(f, &k), 0);
	assert_int_equal(k.rows, 8);
	assert_int_not_equal(sqlite3_exec(f->c.db, "UPDATE audit SET hash ="
	    " NULL WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(f->c.db), "append-only"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_intact),
		T(test_changed_row),
		T(test_type_changed),
		T(test_removed_row),
		T(test_rehashed_row),
		T(test_added_row),
		T(test_cut_short),
		T(test_seal_older_rows),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
