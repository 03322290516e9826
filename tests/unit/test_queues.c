/*
 * test_queues.c - work queues on a real database: adding with unique
 * references (a duplicate refused), files stored once by content, taking
 * in priority and deadline order, leases with stale tokens refused and
 * repeated calls acknowledged, business and application exceptions,
 * attempts used up, leases lost by time or with their job, review (locks,
 * the template's validation, approval back to the bot, rejection, the
 * reviewer's minutes in the KPI ledger), retries, queue triggers, and
 * every transition recorded with who made it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "queues.h"
#include "review.h"
#include "store.h"
#include "xmalloc.h"

#define T0	1764000000000LL		/* a fixed "now" */

struct fixture {
	char		 dir[64];
	struct conn	 c;
	int64_t		 qid;
	char		 err[256];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct queue_def d;
	struct store *st;
	char *db, dept[128];
	int created;

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-queues-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	db = xasprintf("%s/sched.db", f->dir);
	if ((st = store_open(db, 0, f->err, sizeof f->err)) == NULL)
		return -1;
	store_close(st);
	if (conn_open(&f->c, db, f->err, sizeof f->err) != 0)
		return -1;
	free(db);
	queue_def_defaults(&d);
	d.name = "invoices";
	d.department = "財政局/経理部/会計課";
	d.max_attempts = 2;
	d.lease_ttl_ms = 60000;
	d.retry_ms = 1000;
	if (queues_put(&f->c, &d, T0, &created, f->err, sizeof f->err) !=
	    QUEUES_OK || !created)
		return -1;
	if (queues_find(&f->c, "invoices", &f->qid, dept, sizeof dept,
	    f->err, sizeof f->err) != QUEUES_OK)
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

/* A single integer from SQL with one bound id. */
static int64_t
q(struct fixture *f, const char *sql, int64_t id)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(f->c.db, sql, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
assert_state(struct fixture *f, int64_t id, const char *want)
{
	enum qstate s;

	assert_int_equal(queues_item_state(&f->c, id, &s, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_string_equal(qstate_name(s), want);
}

static int64_t
add(struct fixture *f, const char *ref, int prio, int64_t deadline,
    int64_t now)
{
	struct qitem_spec s;
	int64_t id;

	memset(&s, 0, sizeof s);
	s.reference = ref;
	s.priority = prio;
	s.deadline = deadline;
	s.payload = json_pack("{s:s?}", "ref", ref);
	s.actor = "user:alice";
	assert_int_equal(queues_add(&f->c, f->qid, &s, now, &id, f->err,
	    sizeof f->err), QUEUES_OK);
	json_decref(s.payload);
	return id;
}

static const struct qtaker bot = { "agent:pc-01", 1, 0, 0 };

/* Take one item: its id, its token into token (33 bytes). */
static int64_t
take(struct fixture *f, int64_t now, char *token)
{
	json_t *out = json_array(), *it;
	int64_t id;
	int rc;

	rc = queues_take(&f->c, f->qid, &bot, 1, now, out, NULL, NULL,
	    f->err, sizeof f->err);
	if (rc == QUEUES_NONE) {
		json_decref(out);
		return 0;
	}
	assert_int_equal(rc, QUEUES_OK);
	it = json_array_get(out, 0);
	id = json_integer_value(json_object_get(it, "id"));
	snprintf(token, QUEUES_TOKEN_LEN + 1, "%s",
	    json_string_value(json_object_get(it, "lease_token")));
	json_decref(out);
	return id;
}

static void
test_add_and_duplicates(void **state)
{
	struct fixture *f = *state;
	struct qitem_spec s;
	int64_t a, dup;

	a = add(f, "INV-000001", 0, 0, T0);
	memset(&s, 0, sizeof s);
	s.reference = "INV-000001";
	s.actor = "user:bob";
	assert_int_equal(queues_add(&f->c, f->qid, &s, T0 + 1, &dup, f->err,
	    sizeof f->err), QUEUES_DUPLICATE);
	assert_int_equal(dup, a);
	assert_non_null(strstr(f->err, "refused"));
	assert_int_equal(q(f, "SELECT count(*) FROM queue_items WHERE"
	    " queue_id = ?", f->qid), 1);
	/* No reference: as many as one likes. */
	add(f, NULL, 0, 0, T0);
	add(f, NULL, 0, 0, T0);
	assert_int_equal(q(f, "SELECT count(*) FROM queue_items WHERE"
	    " queue_id = ?", f->qid), 3);
	/* The creation is recorded with who did it. */
	assert_int_equal(q(f, "SELECT count(*) FROM queue_item_transitions"
	    " WHERE item_id = ? AND from_state IS NULL AND to_state = 'new'"
	    " AND actor = 'user:alice'", a), 1);
}

static void
test_files_by_content(void **state)
{
	struct fixture *f = *state;
	struct qitem_spec s;
	struct qfile qf[2];
	char sha1[65], sha2[65], *data, *ctype;
	size_t len;
	int64_t id;

	assert_int_equal(queues_file_put(&f->c, "PNG...", 6, "image/png",
	    100, T0, sha1, f->err, sizeof f->err), QUEUES_OK);
	assert_int_equal(queues_file_put(&f->c, "PNG...", 6, "image/png",
	    100, T0, sha2, f->err, sizeof f->err), QUEUES_OK);
	assert_string_equal(sha1, sha2);
	assert_int_equal(q(f, "SELECT count(*) FROM queue_files WHERE ? > 0",
	    1), 1);
	assert_int_equal(queues_file_put(&f->c, "0123456789", 10, NULL, 9, T0,
	    sha2, f->err, sizeof f->err), QUEUES_TOO_LARGE);
	memset(&s, 0, sizeof s);
	s.actor = "user:alice";
	qf[0].name = "scan.png";
	qf[0].sha256 = sha1;
	s.files = qf;
	s.nfiles = 1;
	assert_int_equal(queues_add(&f->c, f->qid, &s, T0, &id, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(queues_file_get(&f->c, id, "scan.png", &data, &len,
	    &ctype, f->err, sizeof f->err), QUEUES_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(data, "PNG...", 6);
	assert_string_equal(ctype, "image/png");
	free(data);
	free(ctype);
	/* A file never stored, a bad name: refused, nothing added. */
	qf[0].sha256 = "00";
	assert_int_equal(queues_add(&f->c, f->qid, &s, T0, &id, f->err,
	    sizeof f->err), QUEUES_INVALID);
	qf[0].sha256 = sha1;
	qf[0].name = "../x";
	assert_int_equal(queues_add(&f->c, f->qid, &s, T0, &id, f->err,
	    sizeof f->err), QUEUES_INVALID);
	/* Unreferenced content goes once old enough. */
	assert_int_equal(queues_file_put(&f->c, "orphan", 6, NULL, 100, T0,
	    sha2, f->err, sizeof f->err), QUEUES_OK);
	{
		int n;

		assert_int_equal(queues_purge_files(&f->c, T0 + 1, &n),
		    QUEUES_OK);
		assert_int_equal(n, 1);
	}
}

static void
test_take_order(void **state)
{
	struct fixture *f = *state;
	char tok[QUEUES_TOKEN_LEN + 1];
	int64_t low, high, soon, later;

	low = add(f, "low", -5, 0, T0);
	later = add(f, "later", 0, T0 + 500000, T0 + 1);
	soon = add(f, "soon", 0, T0 + 100000, T0 + 2);
	high = add(f, "high", 10, 0, T0 + 3);
	assert_int_equal(take(f, T0 + 10, tok), high);
	assert_int_equal(take(f, T0 + 10, tok), soon);
	assert_int_equal(take(f, T0 + 10, tok), later);
	assert_int_equal(take(f, T0 + 10, tok), low);
	assert_int_equal(take(f, T0 + 10, tok), 0);
	assert_state(f, high, "in_progress");
}

static void
test_done_stale_and_repeat(void **state)
{
	struct fixture *f = *state;
	char tok[QUEUES_TOKEN_LEN + 1];
	json_t *out = json_pack("{s:s}", "voucher", "V-1");
	int64_t id;
	int dup;

	add(f, "a", 0, 0, T0);
	id = take(f, T0, tok);
	assert_int_equal(queues_done(&f->c, id, "0123456789abcdef0123456789"
	    "abcdef", NULL, "agent:x", T0, &dup, f->err, sizeof f->err),
	    QUEUES_STALE);
	assert_int_equal(queues_done(&f->c, id, tok, out, "agent:pc-01", T0 + 5,
	    &dup, f->err, sizeof f->err), QUEUES_OK);
	assert_false(dup);
	assert_state(f, id, "done");
	/* The same call again (its answer was lost): acknowledged. */
	assert_int_equal(queues_done(&f->c, id, tok, out, "agent:pc-01", T0 + 6,
	    &dup, f->err, sizeof f->err), QUEUES_OK);
	assert_true(dup);
	/* But not another ending with that token. */
	{
		enum qstate to;

		assert_int_equal(queues_fail(&f->c, id, tok, QEXC_BUSINESS,
		    "x", "agent:pc-01", T0 + 7, &to, f->err, sizeof f->err),
		    QUEUES_STALE);
	}
	assert_int_equal(q(f, "SELECT count(*) FROM queue_item_transitions"
	    " WHERE item_id = ? AND to_state = 'done'", id), 1);
	json_decref(out);
}

static void
test_exceptions(void **state)
{
	struct fixture *f = *state;
	char tok[QUEUES_TOKEN_LEN + 1];
	enum qstate to;
	int64_t biz, app;

	biz = add(f, "biz", 5, 0, T0);
	app = add(f, "app", 0, 0, T0);
	assert_int_equal(take(f, T0, tok), biz);
	assert_int_equal(queues_fail(&f->c, biz, tok, QEXC_BUSINESS,
	    "vendor unknown", "agent:pc-01", T0, &to, f->err, sizeof f->err),
	    QUEUES_OK);
	assert_int_equal(to, QS_FAILED);
	assert_int_equal(take(f, T0, tok), app);
	assert_int_equal(queues_fail(&f->c, app, tok, QEXC_APPLICATION,
	    "finance system down", "agent:pc-01", T0, &to, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(to, QS_NEW);
	/* Not before the backoff. */
	assert_int_equal(take(f, T0 + 999, tok), 0);
	assert_int_equal(take(f, T0 + 1000, tok), app);
	assert_int_equal(queues_fail(&f->c, app, tok, QEXC_APPLICATION,
	    "still down", "agent:pc-01", T0 + 1000, &to, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(to, QS_ABANDONED);
	assert_int_equal(take(f, T0 + 100000, tok), 0);
	/* A person retries: fresh attempts. */
	assert_int_equal(queues_retry(&f->c, app, "user:alice", "fixed",
	    T0 + 2000, f->err, sizeof f->err), QUEUES_OK);
	assert_int_equal(take(f, T0 + 2000, tok), app);
	assert_int_equal(queues_retry(&f->c, app, "user:alice", NULL,
	    T0 + 2000, f->err, sizeof f->err), QUEUES_CONFLICT);
	assert_int_equal(q(f, "SELECT count(*) FROM queue_item_transitions"
	    " WHERE item_id = ? AND actor = 'user:alice' AND reason ="
	    " 'retried: fixed'", app), 1);
}

static void
test_expiry(void **state)
{
	struct fixture *f = *state;
	char tok[QUEUES_TOKEN_LEN + 1];
	struct qtaker jt = { "agent:pc-01 job 7", 1, 7, 70 };
	json_t *out = json_array();
	int64_t a, b;
	int n, dup;

	a = add(f, "a", 0, 0, T0);
	assert_int_equal(take(f, T0, tok), a);
	/* Renewed, not expired. */
	assert_int_equal(queues_heartbeat(&f->c, a, tok, T0 + 50000, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(queues_expire(&f->c, T0 + 60000, &n, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(n, 0);
	assert_int_equal(queues_expire(&f->c, T0 + 110000, &n, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(n, 1);
	assert_state(f, a, "new");
	/* The late bot is refused. */
	assert_int_equal(queues_done(&f->c, a, tok, NULL, "agent:pc-01",
	    T0 + 110001, &dup, f->err, sizeof f->err), QUEUES_STALE);
	/* Taken by a job's run: lost when the job no longer holds it. */
	b = add(f, "b", 9, 0, T0);
	assert_int_equal(conn_exec(&f->c, "INSERT INTO jobs (id, script,"
	    " digest, params, state, max_attempts, backoff_ms, backoff_max_ms,"
	    " timeout_ms, not_before, triggered_by, created_at, updated_at,"
	    " run_id) VALUES (7, 's', 'd', '{}', 'running', 1, 0, 0, 1000, 0,"
	    " 'user:x', 0, 0, 70)"), 0);
	assert_int_equal(queues_take(&f->c, f->qid, &jt, 1, T0, out, NULL,
	    NULL, f->err, sizeof f->err), QUEUES_OK);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(out,
	    0), "id")), b);
	/* Long past the queue's lease time: the job still holds it. */
	assert_int_equal(queues_expire(&f->c, T0 + 3600000, &n, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(n, 0);
	assert_int_equal(conn_exec(&f->c, "UPDATE jobs SET state = 'queued',"
	    " run_id = 71 WHERE id = 7"), 0);
	assert_int_equal(queues_expire(&f->c, T0 + 2, &n, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(n, 1);
	assert_state(f, b, "new");
	/* Leases lost twice (max 2 attempts): abandoned. */
	assert_int_equal(take(f, T0 + 3, tok), b);
	assert_int_equal(queues_expire(&f->c, T0 + 100000, &n, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_state(f, b, "abandoned");
	json_decref(out);
}

static void
test_release(void **state)
{
	struct fixture *f = *state;
	char tok[QUEUES_TOKEN_LEN + 1];
	int64_t a;

	a = add(f, "a", 0, 0, T0);
	assert_int_equal(take(f, T0, tok), a);
	assert_int_equal(queues_release(&f->c, a, tok, "stopping",
	    "agent:pc-01", T0, f->err, sizeof f->err), QUEUES_OK);
	assert_state(f, a, "new");
	assert_int_equal(q(f, "SELECT attempt FROM queue_items WHERE id = ?",
	    a), 0);
	assert_int_equal(take(f, T0, tok), a);
}

/* A review request as queue.review sends one. */
static json_t *
review_request(void)
{
	return json_pack("{s:s, s:s, s:{s:{s:s, s:s, s:s, s:f, s:s, s:s},"
	    " s:{s:s, s:f, s:s, s:s, s:i, s:b}, s:{s:f, s:s, s:i},"
	    " s:{s:f, s:s, s:i, s:b}, s:{s:s, s:s}}, s:[{s:[s, s], s:s}]}",
	    "reason", "total: low_confidence", "image", "scan.png",
	    "fields",
	    "invoice_no", "value", "INV-000123", "raw", "INV-000123",
	    "kind", "code", "confidence", 99.0, "status", "ok",
	    "pattern", "^INV-[0-9]{6}$",
	    "total", "raw", "1,2?4.00", "confidence", 41.0, "status",
	    "low_confidence", "kind", "amount", "decimals", 2, "required", 1,
	    "subtotal", "value", 1000.0, "kind", "amount", "decimals", 2,
	    "tax", "value", 100.0, "kind", "amount", "decimals", 2,
	    "required", 1,
	    "applied", "kind", "era_date", "value", "2024-04-01",
	    "checks", "sum", "subtotal", "tax", "equals", "total");
}

static void
test_review_check(void **state)
{
	json_t *rq = review_request(), *vals, *res;

	(void)state;
	/* The bot's values: the total is missing. */
	res = review_check(rq, NULL);
	assert_false(json_is_true(json_object_get(res, "ok")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    res, "errors"), "total")), "required");
	json_decref(res);
	/* A total that does not add up. */
	vals = json_pack("{s:s}", "total", "1,200.00");
	res = review_check(rq, vals);
	assert_false(json_is_true(json_object_get(res, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_object_get(res, "errors"), "total")), "does not add up"));
	json_decref(res);
	json_decref(vals);
	/* The right total, a bad code, an era date typed as people do. */
	vals = json_pack("{s:s, s:s, s:s}", "total", "￥1,100.00",
	    "invoice_no", "INV-12", "applied", "令和6年5月2日");
	res = review_check(rq, vals);
	assert_false(json_is_true(json_object_get(res, "ok")));
	assert_non_null(json_object_get(json_object_get(res, "errors"),
	    "invoice_no"));
	assert_null(json_object_get(json_object_get(res, "errors"), "total"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    res, "values"), "applied")), "2024-05-02");
	json_decref(res);
	json_decref(vals);
	/* An era date that does not exist: the 30th of February. */
	vals = json_pack("{s:s, s:s}", "total", "1100", "applied",
	    "令和6年2月30日");
	res = review_check(rq, vals);
	assert_false(json_is_true(json_object_get(res, "ok")));
	assert_non_null(json_object_get(json_object_get(res, "errors"),
	    "applied"));
	json_decref(res);
	json_decref(vals);
	vals = json_pack("{s:s, s:s}", "total", "1100", "applied", "R6.4.1");
	res = review_check(rq, vals);
	assert_true(json_is_true(json_object_get(res, "ok")));
	assert_true(json_number_value(json_object_get(json_object_get(res,
	    "values"), "total")) == 1100);
	json_decref(res);
	json_decref(vals);
	json_decref(rq);
}

static void
test_review_tax_and_product(void **state)
{
	json_t *rq, *vals, *res;

	(void)state;
	/* 10% tax rounded down, in yen; a quantity times a unit price. */
	rq = json_pack("{s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}},"
	    " s:[{s:s, s:f, s:s, s:s}, {s:[s, s], s:s, s:s}]}", "fields",
	    "base", "kind", "amount", "tax", "kind", "amount",
	    "qty", "kind", "number", "price", "kind", "amount",
	    "line", "kind", "amount",
	    "checks", "tax", "base", "rate", 10.0, "equals", "tax",
	    "rounding", "floor", "product", "qty", "price", "equals", "line",
	    "rounding", "round");
	vals = json_pack("{s:s, s:s, s:s, s:s, s:s}", "base", "1,239",
	    "tax", "123", "qty", "3", "price", "１，２００", "line", "3600");
	res = review_check(rq, vals);
	assert_true(json_is_true(json_object_get(res, "ok")));
	json_decref(res);
	json_object_set_new(vals, "tax", json_string("124"));
	json_object_set_new(vals, "line", json_string("3000"));
	res = review_check(rq, vals);
	assert_false(json_is_true(json_object_get(res, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_object_get(res, "errors"), "tax")), "is not the tax"));
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_object_get(res, "errors"), "line")), "product"));
	json_decref(res);
	json_decref(vals);
	json_decref(rq);
}

static void
test_review_flow(void **state)
{
	struct fixture *f = *state;
	char tok[QUEUES_TOKEN_LEN + 1];
	json_t *rq = review_request(), *vals, *res = NULL, *it;
	double minutes = 0;
	int64_t a;
	int renewed;

	a = add(f, "INV-000123", 0, 0, T0);
	assert_int_equal(take(f, T0, tok), a);
	assert_int_equal(queues_to_review(&f->c, a, tok, rq, 40, "agent:pc-01"
	    " job 4 run 40", T0, f->err, sizeof f->err), QUEUES_OK);
	assert_state(f, a, "needs_review");
	/* Approving needs the item open. */
	vals = json_pack("{s:s}", "total", "1100.00");
	assert_int_equal(review_approve(&f->c, a, "hanako", vals, T0, &minutes,
	    &res, f->err, sizeof f->err), QUEUES_CONFLICT);
	assert_int_equal(review_open(&f->c, a, "hanako", T0 + 1000,
	    REVIEW_LOCK_MS, &renewed, f->err, sizeof f->err), QUEUES_OK);
	/* Locked to her. */
	assert_int_equal(review_open(&f->c, a, "taro", T0 + 2000,
	    REVIEW_LOCK_MS, &renewed, f->err, sizeof f->err), QUEUES_LOCKED);
	assert_non_null(strstr(f->err, "hanako"));
	/* A wrong total is refused and nothing changes. */
	json_object_set_new(vals, "total", json_string("1200.00"));
	assert_int_equal(review_approve(&f->c, a, "hanako", vals, T0 + 3000,
	    &minutes, &res, f->err, sizeof f->err), QUEUES_INVALID);
	json_decref(res);
	assert_state(f, a, "needs_review");
	/* The run that sent it has finished: its ledger row exists. */
	assert_int_equal(conn_exec(&f->c, "INSERT INTO kpi_ledger (id, run_id,"
	    " job_id, script, digest, triggered_by, status, items_succeeded,"
	    " items_failed, minutes_saved, vendor_minutes_saved, started_at,"
	    " finished_at) VALUES (40, 40, 4, 'invoice_perform', 'd', 'x',"
	    " 'succeeded', 0, 0, 0, 0, 0, 1764000000000)"), 0);
	json_object_set_new(vals, "total", json_string("1,100.00"));
	assert_int_equal(review_approve(&f->c, a, "hanako", vals,
	    T0 + 1000 + 90000, &minutes, &res, f->err, sizeof f->err),
	    QUEUES_OK);
	json_decref(res);
	assert_true(minutes > 1.49 && minutes < 1.51);
	assert_state(f, a, "new");
	assert_int_equal(q(f, "SELECT CAST(fix_minutes * 10 AS INTEGER) FROM"
	    " kpi_ledger WHERE run_id = ?", 40), 15);
	/* Both steps recorded: the person's and the return to the bot. */
	assert_int_equal(q(f, "SELECT count(*) FROM queue_item_transitions"
	    " WHERE item_id = ? AND to_state = 'reviewed' AND actor ="
	    " 'user:hanako'", a), 1);
	/* The bot gets the reviewed values. */
	assert_int_equal(take(f, T0 + 100000, tok), a);
	it = queues_item_json(&f->c, a, 0, NULL, NULL);
	assert_true(json_number_value(json_object_get(json_object_get(
	    json_object_get(it, "reviewed"), "values"), "total")) == 1100);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    it, "reviewed"), "by")), "hanako");
	json_decref(it);
	json_decref(vals);
	json_decref(rq);
}

static void
test_review_reject_and_pending_minutes(void **state)
{
	struct fixture *f = *state;
	char tok[QUEUES_TOKEN_LEN + 1];
	json_t *rq = review_request();
	double minutes;
	int64_t a;
	int renewed;

	a = add(f, "x", 0, 0, T0);
	assert_int_equal(take(f, T0, tok), a);
	assert_int_equal(queues_to_review(&f->c, a, tok, rq, 41, "agent:pc-01",
	    T0, f->err, sizeof f->err), QUEUES_OK);
	assert_int_equal(review_open(&f->c, a, "hanako", T0, REVIEW_LOCK_MS,
	    &renewed, f->err, sizeof f->err), QUEUES_OK);
	assert_false(renewed);
	assert_int_equal(review_open(&f->c, a, "hanako", T0 + 20000,
	    REVIEW_LOCK_MS, &renewed, f->err, sizeof f->err), QUEUES_OK);
	assert_true(renewed);
	/* She closes it after 30 s, and the lock is gone. */
	assert_int_equal(review_close(&f->c, a, "hanako", T0 + 30000, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_int_equal(review_open(&f->c, a, "taro", T0 + 40000,
	    REVIEW_LOCK_MS, &renewed, f->err, sizeof f->err), QUEUES_OK);
	assert_int_equal(review_reject(&f->c, a, "taro", "", T0 + 70000,
	    &minutes, f->err, sizeof f->err), QUEUES_INVALID);
	assert_int_equal(review_reject(&f->c, a, "taro", "not our invoice",
	    T0 + 70000, &minutes, f->err, sizeof f->err), QUEUES_OK);
	assert_true(minutes > 0.99 && minutes < 1.01);
	assert_state(f, a, "failed");
	/* Run 41 has no ledger row yet: the minutes wait for it. */
	assert_int_equal(q(f, "SELECT CAST(minutes * 10 AS INTEGER) FROM"
	    " kpi_review_minutes WHERE run_id = ?", 41), 10);
	json_decref(rq);
}

static void
test_queue_triggers(void **state)
{
	struct fixture *f = *state;
	struct queue_def d;
	json_t *out = json_array();
	int created;

	queue_def_defaults(&d);
	d.name = "invoices";
	d.department = "財政局/経理部/会計課";
	d.trigger_script = "invoice_perform";
	d.trigger_max = 2;
	assert_int_equal(queues_put(&f->c, &d, T0, &created, f->err,
	    sizeof f->err), QUEUES_OK);
	assert_false(created);
	assert_int_equal(queues_trigger_due(&f->c, 0, T0, out), 0);
	assert_int_equal(json_array_size(out), 0);
	add(f, "a", 0, 0, T0);
	add(f, "b", 0, 0, T0);
	add(f, "c", 0, 0, T0);
	assert_int_equal(queues_trigger_due(&f->c, 0, T0, out), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(out,
	    0), "start")), 2);
	/* One job of the trigger is running: one more. */
	assert_int_equal(conn_exec(&f->c, "INSERT INTO jobs (script, digest,"
	    " params, state, max_attempts, backoff_ms, backoff_max_ms,"
	    " timeout_ms, not_before, triggered_by, created_at, updated_at)"
	    " VALUES ('invoice_perform', 'd', '{}', 'running', 1, 0, 0, 1000,"
	    " 0, 'queue:invoices', 0, 0)"), 0);
	json_array_clear(out);
	assert_int_equal(queues_trigger_due(&f->c, 0, T0, out), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(out,
	    0), "start")), 1);
	json_decref(out);
}

static void
test_queue_names(void **state)
{
	struct fixture *f = *state;
	struct queue_def d;
	int created;

	queue_def_defaults(&d);
	d.name = "Invoices!";
	d.department = "x";
	assert_int_equal(queues_put(&f->c, &d, T0, &created, f->err,
	    sizeof f->err), QUEUES_INVALID);
	assert_non_null(strstr(f->err, "name"));
	d.name = "ok";
	d.department = NULL;
	assert_int_equal(queues_put(&f->c, &d, T0, &created, f->err,
	    sizeof f->err), QUEUES_INVALID);
	assert_non_null(strstr(f->err, "department"));
	add(f, "a", 0, 0, T0);
	assert_int_equal(queues_delete(&f->c, "invoices", f->err,
	    sizeof f->err), QUEUES_CONFLICT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_add_and_duplicates),
		T(test_files_by_content),
		T(test_take_order),
		T(test_done_stale_and_repeat),
		T(test_exceptions),
		T(test_expiry),
		T(test_release),
		T(test_review_flow),
		T(test_review_reject_and_pending_minutes),
		T(test_queue_triggers),
		T(test_queue_names),
#undef T
		cmocka_unit_test(test_review_check),
		cmocka_unit_test(test_review_tax_and_product),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
