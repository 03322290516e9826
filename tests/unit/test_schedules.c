/*
 * test_schedules.c - schedules on a real database with "now" passed in:
 * the misfire decision, next fire times across a DST gap and on the
 * city's working days (with extra closure days), definition checks that
 * report every problem, and the tick: firing with params, misfire skip and
 * run_once, overlap forbid and replace; and retention (jobs_purge) keeping
 * the KPI ledger.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jobs.h"
#include "schedules.h"
#include "scripts.h"
#include "store.h"
#include "xmalloc.h"

#define MIN	60000LL

struct fixture {
	char		 dir[64];
	struct conn	 c;
	struct scripts	*sc;
	struct sched	*s;
	char		 err[256];
};

static const char script_text[] =
	"name: report\n"
	"kpi: { manual_minutes_per_run: 10 }\n"
	"params:\n"
	"  n: { type: int, required: true }\n"
	"steps:\n"
	"  - log: \"n is ${params.n}\"\n";

static const struct job_defaults jd = { 3, 1000, 60000, 3600000 };

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct store *st;
	const struct script *scr;
	json_t *errors = json_array();
	char *db;
	int created;

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-sched-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	db = xasprintf("%s/sched.db", f->dir);
	if ((st = store_open(db, 0, f->err, sizeof f->err)) == NULL)
		return -1;
	store_close(st);
	if (conn_open(&f->c, db, f->err, sizeof f->err) != 0)
		return -1;
	free(db);
	f->sc = scripts_new();
	f->s = sched_new();
	scr = scripts_check(f->sc, "report.yaml", script_text,
	    strlen(script_text), NULL, errors);
	json_decref(errors);
	if (scr == NULL || scripts_store(&f->c, scr, "api", NULL, "test", 0,
	    &created, f->err, sizeof f->err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	int rc;

	conn_close(&f->c);
	scripts_free(f->sc);
	sched_free(f->s);
	rc = system(cmd);
	free(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static int64_t
q(struct fixture *f, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(f->c.db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_should_fire(void **state)
{
	(void)state;
	assert_false(sched_should_fire(1000 * MIN, 1000 * MIN - 1,
	    MISFIRE_SKIP));
	assert_true(sched_should_fire(1000 * MIN, 1000 * MIN, MISFIRE_SKIP));
	/* Late within the grace period: a normal fire. */
	assert_true(sched_should_fire(1000 * MIN, 1000 * MIN + SCHED_GRACE_MS,
	    MISFIRE_SKIP));
	/* Beyond it: a misfire, decided by the policy. */
	assert_false(sched_should_fire(1000 * MIN, 1000 * MIN + SCHED_GRACE_MS
	    + 1, MISFIRE_SKIP));
	assert_true(sched_should_fire(1000 * MIN, 1000 * MIN + 3 * 86400000LL,
	    MISFIRE_RUN_ONCE));
}

static void
test_next(void **state)
{
	struct fixture *f = *state;
	json_t *closures;
	int64_t next;

	/* 02:30 does not exist on 8 March 2026 in New York: 03:00 instead. */
	assert_int_equal(sched_next(f->s, "30 2 * * *", "America/New_York",
	    "none", NULL, 1772902800LL * 1000, &next, f->err, sizeof f->err),
	    0);
	assert_int_equal(next, 1772953200LL * 1000);
	/* The year-end closure (29 Dec - 3 Jan) is skipped on jp-gov. */
	assert_int_equal(sched_next(f->s, "0 9 * * *", "Asia/Tokyo", "jp-gov",
	    NULL, 1798419600LL * 1000, &next, f->err, sizeof f->err), 0);
	assert_int_equal(next, 1799020800LL * 1000);
	closures = json_pack("[s]", "2027-01-04");
	assert_int_equal(sched_next(f->s, "0 9 * * *", "Asia/Tokyo", "jp-gov",
	    closures, 1798419600LL * 1000, &next, f->err, sizeof f->err), 0);
	assert_int_equal(next, 1799107200LL * 1000);
	json_decref(closures);
	assert_int_equal(sched_next(f->s, "0 9 31 2 *", "Asia/Tokyo", "none",
	    NULL, 0, &next, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "day-of-month field"));
	assert_int_equal(sched_next(f->s, "@daily", "Mars/Olympus", "none",
	    NULL, 0, &next, f->err, sizeof f->err), -1);
}

static void
test_check(void **state)
{
	struct fixture *f = *state;
	json_t *errors = json_array(), *def, *out;
	const char *all;

	def = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}",
	    "name", "bad name!", "script", "report", "cron", "61 * * * *",
	    "tz", "Mars/Olympus", "calendar", "lunar", "misfire", "later",
	    "overlap", "sometimes", "params", "n", "many");
	assert_null(sched_check(f->s, &f->c, f->sc, def, errors));
	json_decref(def);
	out = json_pack("{s:o}", "e", errors);
	all = json_dumps(out, JSON_COMPACT);
	/* Every problem, each naming its field. */
	assert_non_null(strstr(all, "name: expected"));
	assert_non_null(strstr(all, "cron: minute field: 61"));
	assert_non_null(strstr(all, "tz: "));
	assert_non_null(strstr(all, "calendar: expected none, weekdays or jp-gov"));
	assert_non_null(strstr(all, "misfire: expected skip or run_once"));
	assert_non_null(strstr(all, "overlap: expected allow, forbid or replace"));
	assert_non_null(strstr(all, "params.n"));
	free((char *)all);
	json_decref(out);

	errors = json_array();
	def = json_pack("{s:s, s:s, s:s}", "name", "x", "script", "nope",
	    "cron", "@daily");
	assert_null(sched_check(f->s, &f->c, f->sc, def, errors));
	assert_non_null(strstr(json_string_value(json_array_get(errors, 0)),
	    "no script named 'nope'"));
	json_decref(def);
	json_decref(errors);
}

/* Create schedule name with these policies, then move its next fire. */
static void
put(struct fixture *f, const char *name, const char *misfire,
    const char *overlap, int64_t now, int64_t next_fire)
{
	json_t *errors = json_array(), *def, *norm;
	char sql[256];
	int created;

	def = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:i}}", "name", name,
	    "script", "report", "cron", "*/5 * * * *", "misfire", misfire,
	    "overlap", overlap, "params", "n", 7);
	norm = sched_check(f->s, &f->c, f->sc, def, errors);
	assert_non_null(norm);
	assert_int_equal(sched_put(f->s, &f->c, norm, "api", now, &created,
	    f->err, sizeof f->err), 0);
	assert_int_equal(created, 1);
	snprintf(sql, sizeof sql, "UPDATE schedules SET next_fire = %lld"
	    " WHERE name = '%s'", (long long)next_fire, name);
	assert_int_equal(conn_exec(&f->c, sql), 0);
	json_decref(def);
	json_decref(norm);
	json_decref(errors);
}

static void
test_tick(void **state)
{
	struct fixture *f = *state;
	int64_t now = 1800000000000LL;	/* 2027-01-15T17:00+09:00, minutes */
	int queued;

	put(f, "ontime", "skip", "allow", now, now - 10000);
	put(f, "missed", "skip", "allow", now, now - 3 * 86400000LL);
	put(f, "catchup", "run_once", "allow", now, now - 3 * 86400000LL);
	assert_int_equal(sched_tick(f->s, &f->c, f->sc, &jd, now, &queued,
	    f->err, sizeof f->err), 0);
	assert_int_equal(queued, 2);
	assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE"
	    " triggered_by = 'schedule:ontime' AND params = '{\"n\":7}'"), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE"
	    " schedule = 'missed'"), 0);
	assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE"
	    " schedule = 'catchup'"), 1);
	/* Every next fire is after now, on the five-minute grid. */
	assert_int_equal(q(f, "SELECT count(*) FROM schedules WHERE"
	    " next_fire > 1800000000000 AND next_fire % 300000 = 0"), 3);
	/* A second tick at the same time fires nothing twice. */
	assert_int_equal(sched_tick(f->s, &f->c, f->sc, &jd, now, &queued,
	    f->err, sizeof f->err), 0);
	assert_int_equal(queued, 0);
}

static void
test_overlap(void **state)
{
	struct fixture *f = *state;
	int64_t now = 1800000000000LL, first;
	int queued;

	put(f, "forbid", "skip", "forbid", now, now);
	put(f, "replace", "skip", "replace", now, now);
	assert_int_equal(sched_tick(f->s, &f->c, f->sc, &jd, now, &queued,
	    f->err, sizeof f->err), 0);
	assert_int_equal(queued, 2);
	first = q(f, "SELECT id FROM jobs WHERE schedule = 'replace'");
	/* Due again while both jobs are still queued. */
	now += 5 * MIN;
	assert_int_equal(conn_exec(&f->c, "UPDATE schedules SET next_fire ="
	    " 1800000300000"), 0);
	assert_int_equal(sched_tick(f->s, &f->c, f->sc, &jd, now, &queued,
	    f->err, sizeof f->err), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE"
	    " schedule = 'forbid'"), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE"
	    " schedule = 'replace'"), 2);
	{
		char sql[128];

		snprintf(sql, sizeof sql, "SELECT state = 'cancelled' FROM jobs"
		    " WHERE id = %lld", (long long)first);
		assert_int_equal(q(f, sql), 1);
	}
}

static void
test_purge_keeps_ledger(void **state)
{
	struct fixture *f = *state;
	struct job_spec js;
	struct lease l;
	json_t *sum = json_pack("{s:s}", "status", "succeeded");
	struct jobs_retention keep = { 1, NULL, 0 };
	enum job_state s;
	int64_t id, now = 1700000000000LL;
	int created, dup, n;

	memset(&js, 0, sizeof js);
	js.script = "report";
	js.digest = "x";
	js.max_attempts = 1;
	js.timeout_ms = 1000;
	js.triggered_by = "user:t";
	assert_int_equal(jobs_create(&f->c, &js, now, &id, &created, f->err,
	    sizeof f->err), JOBS_OK);
	assert_int_equal(jobs_lease(&f->c, 1, NULL, now, 1000, &l, f->err,
	    sizeof f->err), JOBS_OK);
	assert_int_equal(jobs_result(&f->c, id, l.token, sum, now + 10, &s,
	    &dup, f->err, sizeof f->err), JOBS_OK);
	lease_clear(&l);
	json_decref(sum);
	/* Not old enough yet (kept 1 ms after it ended). */
	assert_int_equal(jobs_purge(&f->c, &keep, now + 10, 100, &n), JOBS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(jobs_purge(&f->c, &keep, now + 12, 100, &n), JOBS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q(f, "SELECT count(*) FROM jobs"), 0);
	assert_int_equal(q(f, "SELECT count(*) FROM runs"), 0);
	assert_int_equal(q(f, "SELECT count(*) FROM job_transitions"), 0);
	assert_int_equal(q(f, "SELECT count(*) FROM kpi_ledger"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_should_fire),
		T(test_next),
		T(test_check),
		T(test_tick),
		T(test_overlap),
		T(test_purge_keeps_ledger),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
