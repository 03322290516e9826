/*
 * test_store.c - the scheduler's database on real files: migrations, the
 * pragmas that make commits durable, the scheduler lock, group commit
 * from many threads (a failing write rolled back alone), and the
 * append-only audit log.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"
#include "xmalloc.h"

struct fixture {
	char	dir[64];
	char	*db;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->db = xasprintf("%s/sched.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	int rc = system(cmd);

	free(cmd);
	free(f->db);
	free(f);
	return rc == 0 ? 0 : -1;
}

static int64_t
query_int(struct conn *c, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(c->db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_migrate_and_pragmas(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *st;
	struct conn c;
	sqlite3_stmt *s;

	st = store_open(f->db, 0, err, sizeof err);
	assert_non_null(st);
	store_close(st);
	/* Opening again applies nothing and keeps the data. */
	st = store_open(f->db, 0, err, sizeof err);
	assert_non_null(st);
	store_close(st);

	assert_int_equal(conn_open(&c, f->db, err, sizeof err), 0);
	assert_int_equal(conn_schema_version(&c), STORE_SCHEMA_VERSION);
	/* synchronous=FULL is 2; WAL is a property of the file. */
	assert_int_equal(query_int(&c, "PRAGMA synchronous"), 2);
	assert_int_equal(sqlite3_prepare_v2(c.db, "PRAGMA journal_mode", -1,
	    &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	assert_int_equal(query_int(&c, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('jobs', 'runs', 'kpi_ledger', 'audit',"
	    " 'tokens', 'schedules', 'secrets', 'script_versions')"), 8);
	conn_close(&c);
}

static void
test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *st;
	struct conn c;

	assert_int_equal(conn_open(&c, f->db, err, sizeof err), 0);
	assert_int_equal(conn_exec(&c, "PRAGMA user_version=99"), 0);
	conn_close(&c);
	st = store_open(f->db, 0, err, sizeof err);
	assert_null(st);
	assert_non_null(strstr(err, "schema version 99, newer than"));
}

static void
test_second_scheduler_refused(void **state)
{
	struct fixture *f = *state;
	char err[256], want[64];
	struct store *a, *b;

	a = store_open(f->db, STORE_LOCK, err, sizeof err);
	assert_non_null(a);
	b = store_open(f->db, STORE_LOCK, err, sizeof err);
	assert_null(b);
	snprintf(want, sizeof want, "in use by another scheduler (pid %ld)",
	    (long)getpid());
	assert_non_null(strstr(err, want));
	/* A tool that does not take the lock may still open it. */
	b = store_open(f->db, 0, err, sizeof err);
	assert_non_null(b);
	store_close(b);
	store_close(a);
	/* Released with the first store. */
	b = store_open(f->db, STORE_LOCK, err, sizeof err);
	assert_non_null(b);
	store_close(b);
}

struct ins {
	int	value;
	int	fail;
};

static int
insert_fn(struct conn *c, void *arg)
{
	struct ins *in = arg;
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO meta (key, value)"
	    " VALUES (?, ?)");
	char key[32];

	snprintf(key, sizeof key, "k%d", in->value);
	bind_text(st, 1, key);
	sqlite3_bind_int(st, 2, in->value);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	/* A failing write: its own row must be rolled back, no other. */
	return in->fail ? -1 : 0;
}

struct worker {
	struct store	*st;
	int		 base;
	int		 n;
	int		 failures;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct ins in;
	int i;

	for (i = 0; i < w->n; i++) {
		in.value = w->base + i;
		in.fail = (in.value % 10) == 3;
		if (store_write(w->st, insert_fn, &in, NULL, 0) != 0)
			w->failures++;
	}
	return NULL;
}

static int
count_fn(struct conn *c, void *arg)
{
	int64_t *n = arg;
	sqlite3_stmt *st = conn_stmt(c, "SELECT count(*), sum(value % 10 = 3)"
	    " FROM meta");

	if (sqlite3_step(st) != SQLITE_ROW)
		return -1;
	n[0] = sqlite3_column_int64(st, 0);
	n[1] = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

static void
test_group_commit(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *st;
	struct worker w[8];
	pthread_t th[8];
	uint64_t commits, writes;
	int64_t n[2];
	int i, failures = 0;

	st = store_open(f->db, STORE_LOCK | STORE_WRITER, err, sizeof err);
	assert_non_null(st);
	for (i = 0; i < 8; i++) {
		w[i].st = st;
		w[i].base = i * 1000;
		w[i].n = 200;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main,
		    &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	/* 20 of every 200 values end in 3 and were refused. */
	assert_int_equal(failures, 8 * 20);
	assert_int_equal(store_read(st, count_fn, n), 0);
	assert_int_equal(n[0], 8 * 180);
	assert_int_equal(n[1], 0);
	store_stats(st, &commits, &writes);
	assert_int_equal(writes, 1600);
	/* Eight writers at once must have shared commits. */
	assert_true(commits < writes);
	assert_int_equal(store_checkpoint(st), 0);
	store_close(st);

	/* Everything acknowledged is in the file after reopening. */
	st = store_open(f->db, 0, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(store_read(st, count_fn, n), 0);
	assert_int_equal(n[0], 8 * 180);
	store_close(st);
}

static void
test_audit_append_only(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *st;
	struct conn c;

	st = store_open(f->db, 0, err, sizeof err);
	assert_non_null(st);
	store_close(st);
	assert_int_equal(conn_open(&c, f->db, err, sizeof err), 0);
	/* A row must come chained (audit_append, test_audit.c). */
	assert_int_not_equal(sqlite3_exec(c.db, "INSERT INTO audit (at, actor,"
	    " method, path, status) VALUES (1, 'bob', 'POST', '/api/jobs',"
	    " 201)", NULL, NULL, NULL), SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(c.db), "chained"));
	assert_int_equal(conn_exec(&c, "INSERT INTO audit (at, actor, method,"
	    " path, status, prev_hash, hash) VALUES (1, 'alice', 'POST',"
	    " '/api/jobs', 201, '0', '1')"), 0);
	assert_int_not_equal(sqlite3_exec(c.db, "UPDATE audit SET actor ="
	    " 'mallory'", NULL, NULL, NULL), SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(c.db), "append-only"));
	assert_int_not_equal(sqlite3_exec(c.db, "DELETE FROM audit", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(query_int(&c, "SELECT count(*) FROM audit WHERE"
	    " actor = 'alice'"), 1);
	conn_close(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_and_pragmas,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_scheduler_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_only,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
