/*
 * test_retention.c - retention on a real database: each department's jobs
 * go when their own time is up (a department that keeps them for ever
 * keeps them), the oldest first and no more than asked at once, with
 * their runs, events and artifacts, while the KPI ledger keeps every row;
 * and 100,000 jobs run with a short retention leave a database file of a
 * bounded size.
 */
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jobs.h"
#include "store.h"
#include "xmalloc.h"

#include "db_fixture.h"

#define T0	1764000000000LL		/* a fixed "now" */
#define MIN	60000LL
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)

/* A script version with KPI figures, for the ledger. */
static int
setup_script(void **state)
{
	struct fixture *f;

	if (setup(state) != 0)
		return -1;
	f = *state;
	return conn_exec(&f->c, "INSERT INTO script_versions (digest, name,"
	    " version, owner, requires, secrets, describe, manual_per_run,"
	    " manual_per_item, vendor_per_run, vendor_per_item, source, origin,"
	    " created_at) VALUES ('d1', 'invoices', '1.0', '財政局', '[]',"
	    " '[]', '{}', 5, 2, 1, 0.5, 'name: invoices', 'api', 0)");
}

static int64_t
q(struct fixture *f, const char *sql, const char *arg)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(f->c.db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static struct job_spec
spec(const char *department)
{
	struct job_spec js;

	memset(&js, 0, sizeof js);
	js.script = "invoices";
	js.digest = "d1";
	js.max_attempts = 1;
	js.timeout_ms = 600000;
	js.triggered_by = "user:alice";
	js.department = department;
	return js;
}

/*
 * One job of department (NULL: none) run to its end at now: leased, an
 * event, an artifact of art bytes, a result.  Its id.
 */
static int64_t
run_job(struct fixture *f, const char *department, int64_t now,
    const void *art, size_t artlen)
{
	struct job_spec js = spec(department);
	struct lease l;
	json_t *ev, *sum;
	enum job_state s;
	int64_t id;
	int created, dup, stored, cancel;

	assert_int_equal(jobs_create(&f->c, &js, now, &id, &created, f->err,
	    sizeof f->err), JOBS_OK);
	assert_int_equal(jobs_lease(&f->c, 1, NULL, now, 30000, &l, f->err,
	    sizeof f->err), JOBS_OK);
	assert_int_equal(l.job_id, id);
	ev = json_pack("[{s:s, s:i, s:s}]", "type", "log", "seq", 1,
	    "message", "read the invoices of the day");
	assert_int_equal(jobs_events(&f->c, id, l.token, ev, now, 30000,
	    &stored, &cancel, f->err, sizeof f->err), JOBS_OK);
	json_decref(ev);
	if (art != NULL)
		assert_int_equal(jobs_artifact(&f->c, id, l.token, "shot.png",
		    "image/png", art, artlen, 10, now, f->err, sizeof f->err),
		    JOBS_OK);
	sum = json_pack("{s:s, s:{s:i, s:i, s:[]}}", "status", "succeeded",
	    "items", "succeeded", 2, "failed", 0, "failures");
	assert_int_equal(jobs_result(&f->c, id, l.token, sum, now, &s, &dup,
	    f->err, sizeof f->err), JOBS_OK);
	json_decref(sum);
	lease_clear(&l);
	return id;
}

/* Purge until nothing more is due, as the scheduler's ticker does. */
static int
purge_all(struct fixture *f, const struct jobs_retention *r, int64_t now,
    int limit)
{
	int n, total = 0;

	do {
		assert_int_equal(conn_exec(&f->c, "BEGIN IMMEDIATE"), 0);
		assert_int_equal(jobs_purge(&f->c, r, now, limit, &n), JOBS_OK);
		assert_int_equal(conn_exec(&f->c, "COMMIT"), 0);
		total += n;
	} while (n == limit);
	return total;
}

static int64_t
left(struct fixture *f, const char *department)
{
	return department ? q(f, "SELECT count(*) FROM jobs WHERE department"
	    " = ?", department) : q(f, "SELECT count(*) FROM jobs WHERE"
	    " department IS NULL", NULL);
}

static void
test_by_department(void **state)
{
	struct fixture *f = *state;
	static const struct jobs_keep keep[] = {
		{ "窓口課", 1 * HOUR },		/* short */
		{ "会計課", 0 },		/* for ever */
	};
	struct jobs_retention r = { 1 * DAY, keep, 2 };
	int64_t first, kept;
	int i, n;

	assert_int_equal(jobs_retention_min(&r), 1 * HOUR);
	first = run_job(f, "窓口課", T0, "PNG", 3);
	for (i = 1; i < 5; i++)
		run_job(f, "窓口課", T0 + i, "PNG", 3);
	kept = run_job(f, "会計課", T0, "PNG", 3);
	run_job(f, NULL, T0, NULL, 0);
	run_job(f, "税務課", T0, NULL, 0);		/* not listed: default */
	/* A job still queued is never purged, however old. */
	{
		struct job_spec js = spec("窓口課");
		int64_t id;
		int created;

		assert_int_equal(jobs_create(&f->c, &js, T0 - 10 * DAY, &id,
		    &created, f->err, sizeof f->err), JOBS_OK);
	}

	/* Within the hour: nothing goes. */
	assert_int_equal(purge_all(f, &r, T0 + 30 * MIN, 100), 0);
	/* Two hours on, the short department's finished jobs, oldest first,
	 * no more than the limit in one call. */
	assert_int_equal(conn_exec(&f->c, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(jobs_purge(&f->c, &r, T0 + 2 * HOUR, 3, &n), JOBS_OK);
	assert_int_equal(conn_exec(&f->c, "COMMIT"), 0);
	assert_int_equal(n, 3);
	{
		char id[32];

		snprintf(id, sizeof id, "%lld", (long long)first);
		assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE id = ?",
		    id), 0);
	}
	assert_int_equal(purge_all(f, &r, T0 + 2 * HOUR, 100), 2);
	assert_int_equal(left(f, "窓口課"), 1);	/* the queued one */
	assert_int_equal(left(f, NULL), 1);
	assert_int_equal(left(f, "税務課"), 1);
	/* Two days on: the default's too; the one kept for ever stays. */
	assert_int_equal(purge_all(f, &r, T0 + 2 * DAY, 100), 2);
	assert_int_equal(left(f, NULL), 0);
	assert_int_equal(left(f, "税務課"), 0);
	assert_int_equal(left(f, "会計課"), 1);
	assert_int_equal(purge_all(f, &r, T0 + 3650 * DAY, 100), 0);
	{
		char id[32];

		snprintf(id, sizeof id, "%lld", (long long)kept);
		assert_int_equal(q(f, "SELECT count(*) FROM artifacts a JOIN runs"
		    " r ON r.id = a.run_id WHERE r.job_id = ?", id), 1);
	}
	/* What went, went whole; the ledger has every run. */
	assert_int_equal(q(f, "SELECT count(*) FROM runs", NULL), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM run_events", NULL), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM artifacts", NULL), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM job_transitions WHERE"
	    " job_id NOT IN (SELECT id FROM jobs)", NULL), 0);
	assert_int_equal(q(f, "SELECT count(*) FROM kpi_ledger", NULL), 8);
	/* Nothing expires: nothing to do. */
	{
		struct jobs_retention none = { 0, NULL, 0 };

		assert_int_equal(jobs_retention_min(&none), 0);
		assert_int_equal(purge_all(f, &none, T0 + 3650 * DAY, 100), 0);
	}
}

static int64_t
file_size(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (int64_t)sb.st_size;
}

/*
 * 100,000 jobs, a thousand a minute, each with an event and a 2 KB
 * artifact, kept 5 minutes (one department in a hundred keeps its jobs):
 * the file stops growing once retention starts, but for the ledger and
 * the jobs kept.
 */
#define JOBS	100000
#define BATCH	1000
#define ART	2048

static void
test_bounded(void **state)
{
	struct fixture *f = *state;
	static const struct jobs_keep keep[] = { { "会計課", 0 } };
	struct jobs_retention r = { 5 * MIN, keep, 1 };
	char *art = xmalloc(ART);
	int64_t now = T0, at20k = 0, size, ledger0 = 0, ledger;
	int b, i;

	memset(art, 0x5a, ART);
	/* What is measured is the size: no need to wait for the disk. */
	assert_int_equal(conn_exec(&f->c, "PRAGMA synchronous=OFF"), 0);
	for (b = 0; b < JOBS / BATCH; b++) {
		now = T0 + b * MIN;
		assert_int_equal(conn_exec(&f->c, "BEGIN IMMEDIATE"), 0);
		for (i = 0; i < BATCH; i++)
			run_job(f, i % 100 == 0 ? "会計課" : "窓口課", now, art,
			    ART);
		assert_int_equal(conn_exec(&f->c, "COMMIT"), 0);
		purge_all(f, &r, now, 500);
		if (b == 19) {
			assert_int_equal(conn_exec(&f->c,
			    "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
			at20k = file_size(f->db);
			ledger0 = q(f, "SELECT count(*) FROM kpi_ledger", NULL);
		}
	}
	assert_int_equal(conn_exec(&f->c, "PRAGMA wal_checkpoint(TRUNCATE)"),
	    0);
	size = file_size(f->db);
	ledger = q(f, "SELECT count(*) FROM kpi_ledger", NULL);
	assert_int_equal(ledger, JOBS);
	/* The short department: the last 5 minutes' jobs (the ones that
	 * ended exactly 5 minutes ago too); the other keeps all of its. */
	assert_int_equal(left(f, "窓口課"), 6 * (BATCH - BATCH / 100));
	assert_int_equal(left(f, "会計課"), JOBS / 100);
	/*
	 * Without retention the artifacts alone would take 200 MB.  The
	 * file may grow by what is kept - 80,000 more ledger rows, 800 more
	 * jobs of 会計課 with their 2 KB artifacts - at 256 bytes a ledger
	 * row and 4 KB a kept job, not by the jobs that went.
	 */
	print_message("database: %.1f MB at 20,000 jobs, %.1f MB at %d "
	    "(ledger %lld rows)\n", (double)at20k / 1e6, (double)size / 1e6,
	    JOBS, (long long)ledger);
	assert_true(size <= at20k + (ledger - ledger0) * 256 +
	    (JOBS - 20000) / 100 * 4096);
	assert_true(size < 80 * 1000 * 1000);
	free(art);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_script, teardown)
		T(test_by_department),
		T(test_bounded),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
