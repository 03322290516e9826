/*
 * test_jobs.c - the job state machine on a real database: leases and
 * their tokens, expiry and requeue, stale tokens refused, retries with
 * backoff computed from a passed-in "now", idempotency keys, cancel,
 * priorities, label matching, timeouts, release, event dedupe and the one
 * KPI ledger row per run.
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
#include "store.h"
#include "xmalloc.h"

#define T0	1764000000000LL		/* a fixed "now" */
#define TTL	30000

struct fixture {
	char		 dir[64];
	struct conn	 c;
	char		 err[256];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct store *st;
	char *db;

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-jobs-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	db = xasprintf("%s/sched.db", f->dir);
	/* Create the schema, then work on a bare connection. */
	if ((st = store_open(db, 0, f->err, sizeof f->err)) == NULL)
		return -1;
	store_close(st);
	if (conn_open(&f->c, db, f->err, sizeof f->err) != 0)
		return -1;
	free(db);
	/* A script version with KPI figures, for the ledger. */
	if (conn_exec(&f->c, "INSERT INTO script_versions (digest, name,"
	    " version, owner, requires, secrets, describe, manual_per_run,"
	    " manual_per_item, vendor_per_run, vendor_per_item, source, origin,"
	    " created_at) VALUES ('d1', 'invoices', '1.0', '財政局', '[]',"
	    " '[]', '{}', 5, 2, 1, 0.5, 'name: invoices', 'api', 0)") != 0)
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
	rc = system(cmd);
	free(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static struct job_spec
spec(void)
{
	struct job_spec js;

	memset(&js, 0, sizeof js);
	js.script = "invoices";
	js.digest = "d1";
	js.max_attempts = 3;
	js.backoff_ms = 1000;
	js.backoff_max_ms = 60000;
	js.timeout_ms = 600000;
	js.triggered_by = "user:alice";
	return js;
}

static int64_t
create(struct fixture *f, struct job_spec *js, int64_t now)
{
	int64_t id;
	int created;

	assert_int_equal(jobs_create(&f->c, js, now, &id, &created, f->err,
	    sizeof f->err), JOBS_OK);
	assert_int_equal(created, 1);
	return id;
}

static int64_t
q(struct fixture *f, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(f->c.db, sql, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *
qs(struct fixture *f, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	char *v = NULL;

	assert_int_equal(sqlite3_prepare_v2(f->c.db, sql, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = col_strdup(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
assert_state(struct fixture *f, int64_t id, const char *want)
{
	char *s = qs(f, "SELECT state FROM jobs WHERE id = ?", id);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static int
lease(struct fixture *f, json_t *labels, int64_t now, struct lease *l)
{
	return jobs_lease(&f->c, 1, labels, now, TTL, l, f->err,
	    sizeof f->err);
}

static json_t *
summary(const char *status, int ok, int bad)
{
	return json_pack("{s:s, s:{s:i, s:i, s:[]}, s:f, s:f}", "status",
	    status, "items", "succeeded", ok, "failed", bad, "failures",
	    "minutes_saved", 999.0, "vendor_minutes_saved", 999.0);
}

static void
test_lease_run_succeed(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	json_t *sum;
	enum job_state s;
	int64_t id;
	int cancel, dup;

	id = create(f, &js, T0);
	assert_state(f, id, "queued");
	assert_int_equal(lease(f, NULL, T0 + 5, &l), JOBS_OK);
	assert_int_equal(l.job_id, id);
	assert_int_equal(l.attempt, 1);
	assert_int_equal(l.waited_ms, 5);
	assert_int_equal(strlen(l.token), JOBS_TOKEN_LEN);
	assert_string_equal(l.script, "invoices");
	assert_state(f, id, "leased");
	/* Nothing else to lease. */
	{
		struct lease l2;

		assert_int_equal(lease(f, NULL, T0 + 6, &l2), JOBS_NONE);
	}
	assert_int_equal(jobs_heartbeat(&f->c, id, l.token, T0 + 10, TTL,
	    &cancel, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(cancel, 0);
	assert_state(f, id, "running");
	assert_int_equal(q(f, "SELECT lease_expires FROM jobs WHERE id = ?",
	    id), T0 + 10 + TTL);

	sum = summary("partial", 3, 1);
	assert_int_equal(jobs_result(&f->c, id, l.token, sum, T0 + 100, &s,
	    &dup, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(s, JOB_SUCCEEDED);
	assert_int_equal(dup, 0);
	assert_state(f, id, "succeeded");
	/* Sent again (the agent did not see the answer): no second row. */
	assert_int_equal(jobs_result(&f->c, id, l.token, sum, T0 + 200, &s,
	    &dup, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(dup, 1);
	json_decref(sum);
	assert_int_equal(q(f, "SELECT count(*) FROM kpi_ledger WHERE job_id = ?",
	    id), 1);
	/*
	 * Minutes come from the script's kpi:, not from the agent's 999:
	 * partial counts as completed: 5 per run + 2 per item * 3 = 11;
	 * vendor 1 + 0.5 * 3 = 2.5.
	 */
	assert_int_equal(q(f, "SELECT minutes_saved * 10 FROM kpi_ledger"
	    " WHERE job_id = ?", id), 110);
	assert_int_equal(q(f, "SELECT vendor_minutes_saved * 10 FROM"
	    " kpi_ledger WHERE job_id = ?", id), 25);
	{
		char *dept = qs(f, "SELECT department FROM kpi_ledger WHERE"
		    " job_id = ?", id);

		assert_string_equal(dept, "財政局");
		free(dept);
	}
	assert_int_equal(q(f, "SELECT items_succeeded * 10 + items_failed"
	    " FROM runs WHERE job_id = ?", id), 31);
	/* Every transition recorded, in order. */
	assert_int_equal(q(f, "SELECT count(*) FROM job_transitions WHERE"
	    " job_id = ?", id), 4);
	{
		char *path = qs(f, "SELECT group_concat(coalesce(from_state, '-')"
		    " || '>' || to_state, ' ') FROM (SELECT * FROM"
		    " job_transitions WHERE job_id = ? ORDER BY id)", id);

		assert_string_equal(path, "->queued queued>leased "
		    "leased>running running>succeeded");
		free(path);
	}
	lease_clear(&l);
}

/*
 * Skipped items (done before) are stored with the run and the ledger and
 * earn nothing; a batch that skipped every item earns no per-run minutes
 * either, so running it again is not credited twice.
 */
static void
test_skipped_items(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	json_t *sum;
	enum job_state s;
	int64_t id;
	int dup, round;

	for (round = 0; round < 2; round++) {
		js.idempotency_key = round == 0 ? "first" : "again";
		id = create(f, &js, T0);
		assert_int_equal(lease(f, NULL, T0 + 1, &l), JOBS_OK);
		sum = json_pack("{s:s, s:{s:i, s:i, s:i, s:[]}}", "status",
		    "succeeded", "items", "succeeded", round == 0 ? 3 : 0,
		    "failed", 0, "skipped", round == 0 ? 2 : 5, "failures");
		assert_int_equal(jobs_result(&f->c, id, l.token, sum, T0 + 50,
		    &s, &dup, f->err, sizeof f->err), JOBS_OK);
		json_decref(sum);
		assert_int_equal(q(f, "SELECT items_skipped FROM runs WHERE"
		    " job_id = ?", id), round == 0 ? 2 : 5);
		assert_int_equal(q(f, "SELECT items_skipped FROM kpi_ledger"
		    " WHERE job_id = ?", id), round == 0 ? 2 : 5);
		/* 5 per run + 2 an item succeeded; nothing for skips. */
		assert_int_equal(q(f, "SELECT minutes_saved * 10 FROM"
		    " kpi_ledger WHERE job_id = ?", id), round == 0 ? 110 : 0);
		lease_clear(&l);
	}
	sum = json_pack("{s:s, s:{s:i, s:i, s:s}}", "status", "succeeded",
	    "items", "succeeded", 1, "failed", 0, "skipped", "two");
	id = create(f, &(struct job_spec){ .script = "invoices", .digest = "d1",
	    .max_attempts = 1, .timeout_ms = 600000, .triggered_by = "x" },
	    T0 + 100);
	assert_int_equal(lease(f, NULL, T0 + 101, &l), JOBS_OK);
	assert_int_equal(jobs_result(&f->c, id, l.token, sum, T0 + 150, &s,
	    &dup, f->err, sizeof f->err), JOBS_INVALID);
	assert_string_equal(f->err, "summary.items.skipped: expected a count");
	json_decref(sum);
	lease_clear(&l);
}

static void
test_priority_and_age(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	int64_t a, b, c;

	a = create(f, &js, T0);
	b = create(f, &js, T0 + 1);
	js.priority = 5;
	c = create(f, &js, T0 + 2);
	assert_int_equal(lease(f, NULL, T0 + 3, &l), JOBS_OK);
	assert_int_equal(l.job_id, c);
	lease_clear(&l);
	assert_int_equal(lease(f, NULL, T0 + 3, &l), JOBS_OK);
	assert_int_equal(l.job_id, a);
	lease_clear(&l);
	assert_int_equal(lease(f, NULL, T0 + 3, &l), JOBS_OK);
	assert_int_equal(l.job_id, b);
	lease_clear(&l);
}

static void
test_labels(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	json_t *req = json_pack("[s, s]", "display", "ocr:jpn");
	json_t *none = json_array();
	json_t *some = json_pack("[s]", "display");
	json_t *all = json_pack("[s, s, s]", "ocr:jpn", "gpu", "display");
	int64_t id;

	js.requires = req;
	id = create(f, &js, T0);
	assert_int_equal(lease(f, none, T0 + 1, &l), JOBS_NONE);
	assert_int_equal(lease(f, some, T0 + 1, &l), JOBS_NONE);
	assert_int_equal(lease(f, all, T0 + 1, &l), JOBS_OK);
	assert_int_equal(l.job_id, id);
	lease_clear(&l);
	assert_true(jobs_labels_match(req, all));
	assert_false(jobs_labels_match(req, some));
	assert_true(jobs_labels_match(none, none));
	json_decref(req);
	json_decref(none);
	json_decref(some);
	json_decref(all);
}

static void
test_expiry_and_stale_token(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l1, l2;
	json_t *sum;
	enum job_state s;
	int64_t id;
	int cancel, dup, expired, timed_out;

	id = create(f, &js, T0);
	assert_int_equal(lease(f, NULL, T0, &l1), JOBS_OK);
	/* Not yet expired. */
	assert_int_equal(jobs_expire(&f->c, T0 + TTL - 1, &expired, &timed_out,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(expired, 0);
	assert_int_equal(jobs_expire(&f->c, T0 + TTL, &expired, &timed_out,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(expired, 1);
	assert_state(f, id, "queued");
	assert_int_equal(q(f, "SELECT attempts_used FROM jobs WHERE id = ?",
	    id), 1);
	{
		char *st = qs(f, "SELECT status FROM runs WHERE id = ?",
		    l1.run_id);

		assert_string_equal(st, "lost");
		free(st);
	}
	/* The dead agent's token is refused everywhere. */
	assert_int_equal(jobs_heartbeat(&f->c, id, l1.token, T0 + TTL + 1, TTL,
	    &cancel, f->err, sizeof f->err), JOBS_STALE);
	assert_non_null(strstr(f->err, "stale lease token"));
	/* Re-dispatched to another agent with a new token and attempt. */
	assert_int_equal(lease(f, NULL, T0 + TTL + 2, &l2), JOBS_OK);
	assert_int_equal(l2.job_id, id);
	assert_int_equal(l2.attempt, 2);
	assert_string_not_equal(l1.token, l2.token);
	/* The late agent's result is refused and changes nothing. */
	sum = summary("succeeded", 1, 0);
	assert_int_equal(jobs_result(&f->c, id, l1.token, sum, T0 + TTL + 3,
	    &s, &dup, f->err, sizeof f->err), JOBS_STALE);
	assert_state(f, id, "leased");
	assert_int_equal(q(f, "SELECT count(*) FROM kpi_ledger WHERE job_id"
	    " = ?", id), 0);
	/* Garbage tokens of any length are stale too. */
	assert_int_equal(jobs_heartbeat(&f->c, id, "x", T0 + TTL + 3, TTL,
	    &cancel, f->err, sizeof f->err), JOBS_STALE);
	assert_int_equal(jobs_heartbeat(&f->c, 9999, l2.token, T0, TTL,
	    &cancel, f->err, sizeof f->err), JOBS_NOT_FOUND);
	assert_int_equal(jobs_result(&f->c, id, l2.token, sum, T0 + TTL + 4,
	    &s, &dup, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(s, JOB_SUCCEEDED);
	assert_int_equal(q(f, "SELECT count(*) FROM kpi_ledger WHERE job_id"
	    " = ?", id), 1);
	json_decref(sum);
	lease_clear(&l1);
	lease_clear(&l2);
}

static void
test_expiry_uses_up_attempts(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	int64_t id, now = T0;
	int i, expired;

	js.max_attempts = 2;
	id = create(f, &js, T0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(lease(f, NULL, now, &l), JOBS_OK);
		lease_clear(&l);
		now += TTL;
		assert_int_equal(jobs_expire(&f->c, now, &expired, NULL,
		    f->err, sizeof f->err), JOBS_OK);
		assert_int_equal(expired, 1);
	}
	assert_state(f, id, "failed");
	assert_int_equal(lease(f, NULL, now, &l), JOBS_NONE);
}

static void
test_retries_with_backoff(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	json_t *fail = summary("failed", 0, 0), *ok = summary("succeeded", 1, 0);
	enum job_state s;
	int64_t id, now = T0;
	int dup;

	assert_int_equal(jobs_backoff(1000, 60000, 1), 1000);
	assert_int_equal(jobs_backoff(1000, 60000, 2), 2000);
	assert_int_equal(jobs_backoff(1000, 60000, 3), 4000);
	assert_int_equal(jobs_backoff(1000, 60000, 7), 60000);
	assert_int_equal(jobs_backoff(1000, 60000, 1000), 60000);
	assert_int_equal(jobs_backoff(0, 60000, 3), 0);

	json_object_set_new(fail, "error", json_string("the form was empty"));
	id = create(f, &js, now);
	/* Attempt 1 fails: retry in 1 s. */
	assert_int_equal(lease(f, NULL, now, &l), JOBS_OK);
	assert_int_equal(jobs_result(&f->c, id, l.token, fail, now + 50, &s,
	    &dup, f->err, sizeof f->err), JOBS_OK);
	lease_clear(&l);
	assert_int_equal(s, JOB_RETRYING);
	assert_state(f, id, "retrying");
	assert_int_equal(q(f, "SELECT not_before FROM jobs WHERE id = ?", id),
	    now + 50 + 1000);
	assert_int_equal(jobs_next_due(&f->c, now + 50), now + 1050);
	assert_int_equal(lease(f, NULL, now + 1049, &l), JOBS_NONE);
	/* Attempt 2 fails: retry in 2 s. */
	assert_int_equal(lease(f, NULL, now + 1050, &l), JOBS_OK);
	assert_int_equal(l.attempt, 2);
	assert_int_equal(l.waited_ms, 0);
	assert_int_equal(jobs_result(&f->c, id, l.token, fail, now + 1100, &s,
	    &dup, f->err, sizeof f->err), JOBS_OK);
	lease_clear(&l);
	assert_int_equal(q(f, "SELECT not_before FROM jobs WHERE id = ?", id),
	    now + 1100 + 2000);
	/* Attempt 3 succeeds. */
	assert_int_equal(lease(f, NULL, now + 3100, &l), JOBS_OK);
	assert_int_equal(l.attempt, 3);
	assert_int_equal(jobs_result(&f->c, id, l.token, ok, now + 3200, &s,
	    &dup, f->err, sizeof f->err), JOBS_OK);
	lease_clear(&l);
	assert_int_equal(s, JOB_SUCCEEDED);
	/* Three runs, three ledger rows; only the last saved minutes. */
	assert_int_equal(q(f, "SELECT count(*) FROM runs WHERE job_id = ?", id),
	    3);
	assert_int_equal(q(f, "SELECT count(*) FROM kpi_ledger WHERE job_id"
	    " = ? AND minutes_saved > 0", id), 1);
	{
		char *e = qs(f, "SELECT error FROM runs WHERE job_id = ?"
		    " ORDER BY id LIMIT 1", id);

		assert_string_equal(e, "the form was empty");
		free(e);
	}

	/* With max_attempts 1 a failure is final. */
	js.max_attempts = 1;
	id = create(f, &js, now);
	assert_int_equal(lease(f, NULL, now + 4000, &l), JOBS_OK);
	assert_int_equal(jobs_result(&f->c, id, l.token, fail, now + 4001, &s,
	    &dup, f->err, sizeof f->err), JOBS_OK);
	lease_clear(&l);
	assert_int_equal(s, JOB_FAILED);
	json_decref(fail);
	json_decref(ok);
}

static void
test_idempotency(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	int64_t a, b, c;
	int created;

	js.idempotency_key = "2026-11-25";
	a = create(f, &js, T0);
	assert_int_equal(jobs_create(&f->c, &js, T0 + 1, &b, &created, f->err,
	    sizeof f->err), JOBS_OK);
	assert_int_equal(created, 0);
	assert_int_equal(a, b);
	assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE 1 = ?", 1), 1);
	/* The key is per script. */
	js.script = "other";
	c = create(f, &js, T0 + 2);
	assert_int_not_equal(a, c);
}

static void
test_cancel(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	json_t *ok = summary("succeeded", 1, 0);
	enum job_state s;
	int64_t a, b;
	int cancel, dup;

	a = create(f, &js, T0);
	b = create(f, &js, T0 + 1);
	assert_int_equal(jobs_cancel(&f->c, a, "not needed", T0 + 2, &s,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(s, JOB_CANCELLED);
	assert_state(f, a, "cancelled");
	assert_int_equal(jobs_cancel(&f->c, a, NULL, T0 + 3, &s, f->err,
	    sizeof f->err), JOBS_CONFLICT);
	assert_int_equal(jobs_cancel(&f->c, 4242, NULL, T0 + 3, &s, f->err,
	    sizeof f->err), JOBS_NOT_FOUND);
	/* The cancelled job is never leased. */
	assert_int_equal(lease(f, NULL, T0 + 4, &l), JOBS_OK);
	assert_int_equal(l.job_id, b);
	assert_int_equal(jobs_cancel(&f->c, b, "stop", T0 + 5, &s, f->err,
	    sizeof f->err), JOBS_OK);
	assert_int_equal(s, JOB_LEASED);
	assert_int_equal(jobs_heartbeat(&f->c, b, l.token, T0 + 6, TTL,
	    &cancel, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(cancel, 1);
	assert_int_equal(jobs_result(&f->c, b, l.token, ok, T0 + 7, &s, &dup,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(s, JOB_CANCELLED);
	assert_state(f, b, "cancelled");
	lease_clear(&l);
	json_decref(ok);
}

static void
test_timeout(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	int64_t id;
	int cancel, expired, timed_out;

	js.timeout_ms = 5000;
	id = create(f, &js, T0);
	assert_int_equal(lease(f, NULL, T0, &l), JOBS_OK);
	/* Heartbeats keep the lease but not past the timeout. */
	assert_int_equal(jobs_heartbeat(&f->c, id, l.token, T0 + 4000, TTL,
	    &cancel, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(jobs_expire(&f->c, T0 + 4999, &expired, &timed_out,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(timed_out, 0);
	assert_int_equal(jobs_expire(&f->c, T0 + 5000, &expired, &timed_out,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(timed_out, 1);
	assert_int_equal(expired, 0);
	assert_state(f, id, "timed_out");
	assert_int_equal(jobs_heartbeat(&f->c, id, l.token, T0 + 5001, TTL,
	    &cancel, f->err, sizeof f->err), JOBS_STALE);
	lease_clear(&l);
}

static void
test_release(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	enum job_state s;
	int64_t id;

	js.max_attempts = 1;
	id = create(f, &js, T0);
	assert_int_equal(lease(f, NULL, T0, &l), JOBS_OK);
	assert_int_equal(jobs_release(&f->c, id, l.token, "agent stopping",
	    T0 + 10, &s, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(s, JOB_QUEUED);
	assert_int_equal(jobs_release(&f->c, id, l.token, "again", T0 + 11, &s,
	    f->err, sizeof f->err), JOBS_STALE);
	lease_clear(&l);
	/* Not counted: the single attempt is still there. */
	assert_int_equal(q(f, "SELECT attempts_used FROM jobs WHERE id = ?",
	    id), 0);
	assert_int_equal(lease(f, NULL, T0 + 12, &l), JOBS_OK);
	assert_int_equal(l.attempt, 2);
	lease_clear(&l);
}

static void
test_events_dedupe(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	json_t *ev;
	int64_t id;
	int stored, cancel;

	id = create(f, &js, T0);
	assert_int_equal(lease(f, NULL, T0, &l), JOBS_OK);
	ev = json_pack("[{s:s, s:i, s:s}, {s:s, s:i, s:s}, {s:s, s:s}]",
	    "type", "step_start", "seq", 1, "step", "open",
	    "type", "log", "seq", 2, "message", "hello",
	    "type", "log", "message", "no seq");
	assert_int_equal(jobs_events(&f->c, id, l.token, ev, T0 + 1, TTL,
	    &stored, &cancel, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(stored, 3);
	assert_state(f, id, "running");
	/* The same batch again: only the event without seq is new. */
	assert_int_equal(jobs_events(&f->c, id, l.token, ev, T0 + 2, TTL,
	    &stored, &cancel, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(stored, 1);
	json_decref(ev);
	assert_int_equal(q(f, "SELECT count(*) FROM run_events WHERE run_id"
	    " = ?", l.run_id), 4);
	ev = json_pack("[{s:i}]", "seq", 3);
	assert_int_equal(jobs_events(&f->c, id, l.token, ev, T0 + 3, TTL,
	    &stored, &cancel, f->err, sizeof f->err), JOBS_INVALID);
	assert_non_null(strstr(f->err, "events[0]"));
	json_decref(ev);
	assert_int_equal(jobs_artifact(&f->c, id, l.token, "shot.png",
	    "image/png", "PNG", 3, 1, T0 + 4, f->err, sizeof f->err), JOBS_OK);
	/* Replacing the same name is fine; a second name passes the cap. */
	assert_int_equal(jobs_artifact(&f->c, id, l.token, "shot.png",
	    "image/png", "PNG2", 4, 1, T0 + 5, f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(jobs_artifact(&f->c, id, l.token, "other.txt",
	    "text/plain", "x", 1, 1, T0 + 6, f->err, sizeof f->err),
	    JOBS_CONFLICT);
	assert_int_equal(q(f, "SELECT size FROM artifacts WHERE run_id = ?",
	    l.run_id), 4);
	lease_clear(&l);
}

static void
test_extend_after_restart(void **state)
{
	struct fixture *f = *state;
	struct job_spec js = spec();
	struct lease l;
	int64_t id;
	int expired;

	id = create(f, &js, T0);
	assert_int_equal(lease(f, NULL, T0, &l), JOBS_OK);
	/* Down for a minute: the lease is given one more TTL from now. */
	assert_int_equal(jobs_extend_leases(&f->c, T0 + 60000, TTL), JOBS_OK);
	assert_int_equal(jobs_expire(&f->c, T0 + 60000, &expired, NULL,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(expired, 0);
	assert_state(f, id, "leased");
	assert_int_equal(q(f, "SELECT lease_expires FROM jobs WHERE id = ?",
	    id), T0 + 60000 + TTL);
	lease_clear(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_lease_run_succeed),
		T(test_skipped_items),
		T(test_priority_and_age),
		T(test_labels),
		T(test_expiry_and_stale_token),
		T(test_expiry_uses_up_attempts),
		T(test_retries_with_backoff),
		T(test_idempotency),
		T(test_cancel),
		T(test_timeout),
		T(test_release),
		T(test_events_dedupe),
		T(test_extend_after_restart),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
