/*
 * test_kpi.c - the KPI ledger and reports on a real scheduler database:
 * runs go through the job state machine (lease, result, retry, duplicate
 * result), and every figure the reports give is checked against one
 * computed by hand here: per-item counting, exception minutes subtracted,
 * the fiscal-year boundary between 31 March and 1 April, a retried job
 * counted once, the projection, the department tree, the registry of
 * multiple-input points, surveys and the CSV export.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <cmocka.h>

#include "jobs.h"
#include "kpi.h"
#include "store.h"
#include "xmalloc.h"

static const char config_yaml[] =
	"fiscal_year_start: 4\n"
	"utc_offset: \"+09:00\"\n"
	"baseline:\n"
	"  staff_count: 2\n"
	"  annual_hours_per_staff: 50\n"
	"exceptions:\n"
	"  minutes_per_failed_item: 10\n"
	"  minutes_per_failed_run: 30\n"
	"  scripts:\n"
	"    addresses: {minutes_per_failed_item: 4}\n"
	"targets:\n"
	"  multiple_input_points: {2030: 0, 2040: 0}\n"
	"  staff_hours_saved: {2040: 2120000, 2030: 1100000}\n"
	"  business_hours_saved: {2030: 120000, 2040: 340000}\n"
	"  productivity_percent: {2030: 10.3, 2040: 20.0}\n"
	"  engagement_percent: {2030: 80, 2040: 95}\n"
	"departments:\n"
	"  - code: zaisei\n"
	"    name: 財政局\n"
	"    name_en: Finance Bureau\n"
	"    children:\n"
	"      - code: zaisei-keiri\n"
	"        name: 経理部\n"
	"        children:\n"
	"          - code: zaisei-keiri-kaikei\n"
	"            name: 会計課\n"
	"  - code: shimin\n"
	"    name: 市民局\n"
	"    aliases: [市民]\n"
	"    children:\n"
	"      - code: shimin-kusei\n"
	"        name: 区政部\n"
	"input_points:\n"
	"  window_days: 30\n"
	"  points:\n"
	"    - id: invoice-reentry\n"
	"      name: 請求書の再入力\n"
	"      system: 財務会計システム\n"
	"      owner: zaisei-keiri-kaikei\n"
	"    - id: address-change\n"
	"      name: 住所変更の転記\n"
	"      owner: shimin\n";

struct fixture {
	char			 dir[64];
	char			*db;
	struct conn		 c;
	struct kpi_config	 cfg;
	char			 err[512];
};

/* Milliseconds of a Japan Standard Time wall-clock instant. */
static int64_t
jst(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return ((int64_t)timegm(&tm) - 9 * 3600) * 1000;
}

static void
exec_ok(struct fixture *f, const char *sql)
{
	if (conn_exec(&f->c, sql) != 0)
		fail_msg("%s: %s", sql, sqlite3_errmsg(f->c.db));
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct store *st;

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-kpi-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->db = xasprintf("%s/sched.db", f->dir);
	if ((st = store_open(f->db, 0, f->err, sizeof f->err)) == NULL) {
		fprintf(stderr, "%s\n", f->err);
		return -1;
	}
	store_close(st);
	if (conn_open(&f->c, f->db, f->err, sizeof f->err) != 0)
		return -1;
	if (kpi_config_load_text(&f->cfg, "kpi.yaml", config_yaml,
	    strlen(config_yaml), f->err, sizeof f->err) != 0) {
		fprintf(stderr, "%s\n", f->err);
		return -1;
	}
	if (kpi_apply(&f->c, &f->cfg, f->err, sizeof f->err) != 0)
		return -1;
	/*
	 * Three scripts: invoices (5 min a run + 2 an item; vendors 1 + 0.5)
	 * owned by a 課 given as a path, addresses (3 an item) by a 部 given
	 * with a space, misc (1 a run) by a department the tree lacks.
	 */
	exec_ok(f, "INSERT INTO script_versions (digest, name, version, title,"
	    " owner, requires, secrets, describe, manual_per_run,"
	    " manual_per_item, vendor_per_run, vendor_per_item, source, origin,"
	    " created_at) VALUES"
	    " ('d1', 'invoices', '1.0', '請求書の入力', '財政局/経理部/会計課',"
	    "  '[]', '[]', '{\"kpi\": {\"replaces_inputs\":"
	    "  [\"invoice-reentry\"]}}', 5, 2, 1, 0.5, 'x', 'api', 0),"
	    " ('d2', 'addresses', '1.0', '住所変更', '市民局 区政部', '[]', '[]',"
	    "  '{\"kpi\": {\"replaces_inputs\": [\"address-change\"]}}',"
	    "  0, 3, 0, 0, 'x', 'api', 0),"
	    " ('d3', 'misc', '1.0', '=HYPERLINK(\"x\")', 'どこか', '[]', '[]',"
	    "  '{}', 1, 0, 0, 0, 'x', 'api', 0)");
	exec_ok(f, "INSERT INTO scripts (name, digest, origin, updated_at)"
	    " VALUES ('invoices', 'd1', 'api', 0), ('addresses', 'd2', 'api', 0),"
	    " ('misc', 'd3', 'api', 0)");
	exec_ok(f, "INSERT INTO agents (id, name) VALUES (1, 'pc-1')");
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
	kpi_config_free(&f->cfg);
	rc = system(cmd);
	free(cmd);
	free(f->db);
	free(f);
	return rc == 0 ? 0 : -1;
}

static int64_t
create(struct fixture *f, const char *script, const char *digest,
    int max_attempts, int64_t now)
{
	struct job_spec js;
	int64_t id;
	int created;

	memset(&js, 0, sizeof js);
	js.script = script;
	js.digest = digest;
	js.max_attempts = max_attempts;
	js.backoff_ms = 1000;
	js.backoff_max_ms = 1000;
	js.timeout_ms = 24 * 3600 * 1000LL;
	js.triggered_by = "user:alice";
	js.params = json_object();
	assert_int_equal(jobs_create(&f->c, &js, now, &id, &created, f->err,
	    sizeof f->err), JOBS_OK);
	json_decref(js.params);
	return id;
}

/* Lease job id at started, and report status with ok/bad items at ended. */
static void
attempt(struct fixture *f, int64_t id, int64_t started, int64_t ended,
    const char *status, int ok, int bad, int twice)
{
	struct lease l;
	enum job_state s;
	json_t *labels = json_array(), *sum;
	int dup;

	assert_int_equal(jobs_lease(&f->c, 1, labels, started, 3600000, &l,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(l.job_id, id);
	/* Each attempt also skipped one item done before: it earns nothing
	 * and shows apart. */
	sum = json_pack("{s:s, s:{s:i, s:i, s:i, s:[]}, s:f, s:f}", "status",
	    status, "items", "succeeded", ok, "failed", bad, "skipped", 1,
	    "failures", "minutes_saved", 999.0, "vendor_minutes_saved", 999.0);
	assert_int_equal(jobs_result(&f->c, id, l.token, sum, ended, &s, &dup,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(dup, 0);
	if (twice) {
		assert_int_equal(jobs_result(&f->c, id, l.token, sum,
		    ended + 5000, &s, &dup, f->err, sizeof f->err), JOBS_OK);
		assert_int_equal(dup, 1);
	}
	json_decref(sum);
	json_decref(labels);
	lease_clear(&l);
}

static json_t *
report(struct fixture *f, enum kpi_report_kind k, int fy, int64_t now)
{
	json_t *r = kpi_report(&f->c, &f->cfg, k, fy, now, f->err,
	    sizeof f->err);

	if (r == NULL)
		fail_msg("report %s: %s", kpi_report_name(k), f->err);
	return r;
}

/* The row of rows whose key equals value. */
static json_t *
row_by(json_t *r, const char *key, const char *value)
{
	json_t *rows = json_object_get(r, "rows"), *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		const char *v = json_string_value(json_object_get(row, key));

		if (v != NULL && strcmp(v, value) == 0)
			return row;
	}
	fail_msg("no row with %s = %s", key, value);
	return NULL;
}

static double
dnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || !json_is_number(v))
		fail_msg("%s is not a number", key);
	return json_number_value(v);
}

static long long
inum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || !json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return (long long)json_integer_value(v);
}

#define assert_near(a, b) do { \
	double a_ = (a), b_ = (b); \
	if (fabs(a_ - b_) > 0.0015) \
		fail_msg("%s = %.6f, expected %.6f", #a, a_, b_); \
} while (0)

/*
 * The set of runs every ledger test uses, with the figures by hand:
 *
 * A  invoices, 31 Mar 2026 23:30 JST, succeeded, 10 items: 5 + 2*10 = 25
 *    min, vendors 1 + 0.5*10 = 6 -> fiscal year 2025.
 * B  invoices, 1 Apr 2026 00:10 JST, partial, 8 ok 2 failed: 5 + 16 = 21
 *    min, vendors 1 + 4 = 5, exceptions 2 * 10 = 20 -> FY2026, April.
 * C  invoices, 10 Apr: attempt 1 failed after 3 ok 1 failed (would be
 *    6 min; its 10 + 30 exception minutes wait, as a retry follows),
 *    attempt 2 succeeded with 4: counted once, as 5 + 8 = 13 min,
 *    vendors 1 + 2 = 3, no exceptions.
 * D  addresses, 20 May, succeeded, 6 items: 3*6 = 18 min; its result
 *    delivered twice, one row.
 * E  misc, 25 May, failed for good after one attempt: 0 min, exception
 *    30 min (a failed run) -> net -30.
 *
 * FY2026: jobs 4 (B C D E), attempts 5, items 18 ok / 2 failed (E has
 * none), minutes 21 + 13 + 18 = 52, exceptions 20 + 30 = 50, net 2 min,
 * vendors 5 + 3 = 8 min; units of work 18 ok, 2 + 1 (E) failed: a
 * success rate of 18 / 21.
 */
static void
load_runs(struct fixture *f)
{
	int64_t a, b, c, d, e, t;

	t = jst(2026, 3, 31, 23, 0);
	a = create(f, "invoices", "d1", 3, t);
	attempt(f, a, t + 60000, jst(2026, 3, 31, 23, 30), "succeeded", 10, 0,
	    0);
	t = jst(2026, 3, 31, 23, 50);
	b = create(f, "invoices", "d1", 3, t);
	attempt(f, b, t + 1000, jst(2026, 4, 1, 0, 10), "partial", 8, 2, 0);
	t = jst(2026, 4, 10, 9, 0);
	c = create(f, "invoices", "d1", 3, t);
	attempt(f, c, t + 1000, t + 60000, "failed", 3, 1, 0);
	attempt(f, c, t + 120000, t + 180000, "succeeded", 4, 0, 0);
	t = jst(2026, 5, 20, 9, 0);
	d = create(f, "addresses", "d2", 3, t);
	attempt(f, d, t + 1000, t + 60000, "succeeded", 6, 0, 1);
	t = jst(2026, 5, 25, 9, 0);
	e = create(f, "misc", "d3", 1, t);
	attempt(f, e, t + 1000, t + 60000, "failed", 0, 0, 0);
}

static void
test_calendar(void **state)
{
	struct fixture *f = *state;
	int days, elapsed, first, last;

	/* 31 Mar 23:59 JST is the old year; 1 Apr 00:00 JST the new. */
	assert_int_equal(kpi_month_of(&f->cfg, jst(2026, 3, 31, 23, 59)),
	    202603);
	assert_int_equal(kpi_month_of(&f->cfg, jst(2026, 4, 1, 0, 0)), 202604);
	assert_int_equal(kpi_fiscal_year(&f->cfg, 202603), 2025);
	assert_int_equal(kpi_fiscal_year(&f->cfg, 202604), 2026);
	assert_int_equal(kpi_fiscal_year(&f->cfg, 202701), 2026);
	/* 15:00 UTC on 31 Mar is already April in Japan. */
	assert_int_equal(kpi_month_of(&f->cfg, 1774969200000LL), 202604);
	kpi_fy_months(&f->cfg, 2026, &first, &last);
	assert_int_equal(first, 202604);
	assert_int_equal(last, 202703);
	/* FY2027 holds 29 Feb 2028. */
	kpi_fy_days(&f->cfg, 2027, jst(2027, 4, 1, 12, 0), &days, &elapsed);
	assert_int_equal(days, 366);
	assert_int_equal(elapsed, 1);
	kpi_fy_days(&f->cfg, 2026, jst(2026, 3, 31, 23, 59), &days, &elapsed);
	assert_int_equal(days, 365);
	assert_int_equal(elapsed, 0);
	kpi_fy_days(&f->cfg, 2026, jst(2027, 6, 1, 0, 0), &days, &elapsed);
	assert_int_equal(elapsed, 365);
	/* 61 days in (April 30 + May 31): 10 hours so far -> 10*365/61. */
	assert_near(kpi_project(10, 365, 61), 10.0 * 365 / 61);
	assert_near(kpi_project(10, 365, 365), 10);
	assert_near(kpi_project(0, 365, 0), 0);
}

static void
test_ledger_rows(void **state)
{
	struct fixture *f = *state;
	sqlite3_stmt *st;

	load_runs(f);
	/* One ledger row per run: A 1, B 1, C 2, D 1 (twice sent), E 1. */
	assert_int_equal(sqlite3_prepare_v2(f->c.db, "SELECT count(*),"
	    " sum(counted), sum(month = 202603), sum(fix_minutes)"
	    " FROM kpi_ledger", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 6);
	assert_int_equal(sqlite3_column_int(st, 1), 5);
	assert_int_equal(sqlite3_column_int(st, 2), 1);
	/* B 20, E 30; C's first attempt none: a retry followed it. */
	assert_int_equal(sqlite3_column_int(st, 3), 50);
	sqlite3_finalize(st);
}

static void
test_overview(void **state)
{
	struct fixture *f = *state;
	int64_t now = jst(2026, 5, 31, 12, 0);
	json_t *r, *tot, *k;
	double net = 2.0 / 60, vend = 8.0 / 60;

	load_runs(f);
	r = report(f, KPI_R_OVERVIEW, 0, now);
	assert_int_equal(inum(r, "fiscal_year"), 2026);
	assert_string_equal(json_string_value(json_object_get(r, "from")),
	    "2026-04-01");
	assert_string_equal(json_string_value(json_object_get(r, "to")),
	    "2027-03-31");
	assert_int_equal(inum(r, "elapsed_days"), 61);
	tot = json_object_get(r, "totals");
	assert_int_equal(inum(tot, "runs"), 4);
	assert_int_equal(inum(tot, "attempts"), 5);
	assert_int_equal(inum(tot, "runs_succeeded"), 3);
	assert_int_equal(inum(tot, "runs_partial"), 1);
	assert_int_equal(inum(tot, "runs_failed"), 1);
	assert_int_equal(inum(tot, "items_succeeded"), 18);
	assert_int_equal(inum(tot, "items_failed"), 2);
	/* b, c's counted attempt, d and e each skipped one. */
	assert_int_equal(inum(tot, "items_skipped"), 4);
	assert_near(dnum(tot, "staff_hours"), 52.0 / 60);
	assert_near(dnum(tot, "fix_hours"), 50.0 / 60);
	assert_near(dnum(tot, "net_staff_hours"), net);
	assert_near(dnum(tot, "vendor_hours"), vend);
	assert_near(dnum(tot, "success_rate"), 100.0 * 18 / 21);

	k = row_by(r, "id", "staff_hours_saved");
	assert_near(dnum(k, "actual"), net);
	assert_near(dnum(k, "projection"), net * 365 / 61);
	assert_near(dnum(k, "target"), 1100000);
	assert_int_equal(inum(k, "target_year"), 2030);
	assert_near(dnum(k, "progress"), 100 * (net * 365 / 61) / 1100000);
	k = row_by(r, "id", "business_hours_saved");
	assert_near(dnum(k, "projection"), vend * 365 / 61);
	/* Productivity: hours over 2 staff * 50 h, as a percent. */
	k = row_by(r, "id", "productivity_percent");
	assert_near(dnum(k, "actual"), 100 * net / 100);
	assert_near(dnum(k, "projection"), 100 * (net * 365 / 61) / 100);
	assert_near(dnum(k, "baseline_hours"), 100);
	/* No survey yet: no engagement figure. */
	k = row_by(r, "id", "engagement_percent");
	assert_true(json_is_null(json_object_get(k, "actual")));
	json_decref(r);

	/* FY2025 holds run A alone, and the year is over: no projection. */
	r = report(f, KPI_R_OVERVIEW, 2025, now);
	tot = json_object_get(r, "totals");
	assert_int_equal(inum(tot, "runs"), 1);
	assert_int_equal(inum(tot, "items_succeeded"), 10);
	assert_int_equal(inum(tot, "items_skipped"), 1);
	assert_near(dnum(tot, "net_staff_hours"), 25.0 / 60);
	assert_near(dnum(tot, "vendor_hours"), 6.0 / 60);
	k = row_by(r, "id", "staff_hours_saved");
	assert_near(dnum(k, "projection"), 25.0 / 60);
	json_decref(r);
}

static void
test_months_and_years(void **state)
{
	struct fixture *f = *state;
	int64_t now = jst(2026, 5, 31, 12, 0);
	json_t *r, *m, *rows;

	load_runs(f);
	r = report(f, KPI_R_MONTHS, 2026, now);
	rows = json_object_get(r, "rows");
	assert_int_equal(json_array_size(rows), 12);
	m = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(m, "month")),
	    "2026-04");
	/* April: B and C - 21 + 13 min, exceptions 20 (B only). */
	assert_int_equal(inum(m, "runs"), 2);
	assert_int_equal(inum(m, "attempts"), 3);
	assert_int_equal(inum(m, "items_succeeded"), 12);
	assert_near(dnum(m, "net_staff_hours"), 14.0 / 60);
	m = json_array_get(rows, 1);
	/* May: D 18 min, E -30 min. */
	assert_near(dnum(m, "net_staff_hours"), -12.0 / 60);
	assert_near(dnum(m, "cumulative_net_staff_hours"), 2.0 / 60);
	assert_near(dnum(m, "pace_cumulative_hours"), 1100000.0 / 12 * 2);
	assert_false(json_is_true(json_object_get(m, "future")));
	assert_true(json_is_true(json_object_get(json_array_get(rows, 2),
	    "future")));
	m = json_array_get(rows, 11);
	assert_string_equal(json_string_value(json_object_get(m, "month")),
	    "2027-03");
	assert_int_equal(inum(m, "runs"), 0);
	json_decref(r);

	r = report(f, KPI_R_YEARS, 0, now);
	rows = json_object_get(r, "rows");
	assert_int_equal(json_array_size(rows), 2);
	assert_int_equal(inum(json_array_get(rows, 0), "fiscal_year"), 2025);
	assert_int_equal(inum(json_array_get(rows, 0), "runs"), 1);
	assert_int_equal(inum(json_array_get(rows, 1), "fiscal_year"), 2026);
	assert_int_equal(inum(json_array_get(rows, 1), "runs"), 4);
	assert_near(dnum(json_array_get(rows, 1), "net_staff_hours"),
	    2.0 / 60);
	json_decref(r);
}

static void
test_departments_and_scripts(void **state)
{
	struct fixture *f = *state;
	int64_t now = jst(2026, 5, 31, 12, 0);
	json_t *r, *d;

	load_runs(f);
	r = report(f, KPI_R_DEPARTMENTS, 2026, now);
	/* invoices' runs are the 課's, and its 部's and its 局's. */
	d = row_by(r, "code", "zaisei-keiri-kaikei");
	assert_int_equal(inum(d, "runs"), 2);
	assert_near(dnum(d, "net_staff_hours"), 14.0 / 60);
	assert_near(dnum(row_by(r, "code", "zaisei-keiri"), "net_staff_hours"),
	    14.0 / 60);
	d = row_by(r, "code", "zaisei");
	assert_int_equal(inum(d, "runs"), 2);
	assert_int_equal(inum(d, "level"), 0);
	/* addresses: "市民局 区政部" is the 部 under 市民局. */
	d = row_by(r, "code", "shimin-kusei");
	assert_int_equal(inum(d, "items_succeeded"), 6);
	assert_near(dnum(row_by(r, "code", "shimin"), "staff_hours"),
	    18.0 / 60);
	/* misc's "どこか" is in no tree: its own row, named. */
	d = row_by(r, "code", "");
	assert_int_equal(inum(d, "runs_failed"), 1);
	assert_near(dnum(d, "net_staff_hours"), -30.0 / 60);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(r, "unmatched_departments"), 0)), "どこか");
	json_decref(r);

	r = report(f, KPI_R_SCRIPTS, 2026, now);
	assert_int_equal(json_array_size(json_object_get(r, "rows")), 3);
	/* Sorted by net hours: addresses 0.3 h, invoices 0.23, misc -0.5. */
	d = json_array_get(json_object_get(r, "rows"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "script")),
	    "addresses");
	d = row_by(r, "script", "invoices");
	assert_string_equal(json_string_value(json_object_get(d, "title")),
	    "請求書の入力");
	assert_int_equal(inum(d, "runs"), 2);
	assert_int_equal(inum(d, "attempts"), 3);
	/* B's 2 failed items of 10, C's 4 done: 12 of 14, not 100 %. */
	assert_near(dnum(d, "success_rate"), 100.0 * 12 / 14);
	assert_near(dnum(d, "vendor_hours"), 8.0 / 60);
	json_decref(r);
}

static void
test_input_points(void **state)
{
	struct fixture *f = *state;
	json_t *r, *p;

	load_runs(f);
	/*
	 * On 1 Jun 2026 with a 30-day window: invoices last succeeded on
	 * 10 Apr (too long ago), addresses on 20 May: one of two remains.
	 */
	r = report(f, KPI_R_INPUT_POINTS, 0, jst(2026, 6, 1, 0, 0));
	assert_int_equal(inum(r, "registered"), 2);
	assert_int_equal(inum(r, "eliminated"), 1);
	assert_int_equal(inum(r, "remaining"), 1);
	p = row_by(r, "id", "address-change");
	assert_true(json_is_true(json_object_get(p, "eliminated")));
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(p, "eliminated_by"), 0)), "addresses");
	p = row_by(r, "id", "invoice-reentry");
	assert_false(json_is_true(json_object_get(p, "eliminated")));
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(p, "planned_by"), 0)), "invoices");
	assert_string_equal(json_string_value(json_object_get(p, "owner_name")),
	    "財政局/経理部/会計課");
	json_decref(r);
	/* The overview's KPI: remaining 1, goal 0, half done. */
	r = report(f, KPI_R_OVERVIEW, 0, jst(2026, 6, 1, 0, 0));
	p = row_by(r, "id", "multiple_input_points");
	assert_near(dnum(p, "actual"), 1);
	assert_near(dnum(p, "progress"), 50);
	json_decref(r);
	/* On 15 Apr both were within their window. */
	r = report(f, KPI_R_INPUT_POINTS, 0, jst(2026, 4, 15, 0, 0));
	assert_int_equal(inum(r, "eliminated"), 1);	/* addresses not yet */
	json_decref(r);
	/* FY2025 as of its end (31 Mar): only run A, invoices. */
	r = report(f, KPI_R_INPUT_POINTS, 2025, jst(2026, 6, 1, 0, 0));
	assert_true(json_is_true(json_object_get(row_by(r, "id",
	    "invoice-reentry"), "eliminated")));
	assert_int_equal(inum(r, "eliminated"), 1);
	json_decref(r);
}

/* The figures while a job's failed attempts wait for their retry. */
static json_t *
june(struct fixture *f)
{
	json_t *r = report(f, KPI_R_OVERVIEW, 2026, jst(2026, 6, 30, 12, 0));
	json_t *tot = json_incref(json_object_get(r, "totals"));

	json_decref(r);
	return tot;
}

static void
test_retries_charged_once(void **state)
{
	struct fixture *f = *state;
	int64_t t = jst(2026, 6, 1, 9, 0), id, rid;
	struct lease l;
	sqlite3_stmt *st;
	json_t *tot, *labels = json_array();
	int expired, timed_out;

	/* A bad input path: each of 3 attempts fails on its one item. */
	id = create(f, "invoices", "d1", 3, t);
	attempt(f, id, t + 1000, t + 2000, "failed", 0, 1, 0);
	tot = june(f);
	/* While the retry waits: no exception minutes, nothing negative. */
	assert_near(dnum(tot, "fix_hours"), 0);
	assert_near(dnum(tot, "net_staff_hours"), 0);
	json_decref(tot);
	attempt(f, id, t + 3000, t + 4000, "failed", 0, 1, 0);
	tot = june(f);
	assert_near(dnum(tot, "fix_hours"), 0);
	json_decref(tot);
	attempt(f, id, t + 5000, t + 6000, "failed", 0, 1, 0);
	/* No retry follows: charged once, 10 for the item + 30 the run. */
	tot = june(f);
	assert_int_equal(inum(tot, "attempts"), 3);
	assert_near(dnum(tot, "fix_hours"), 40.0 / 60);
	assert_near(dnum(tot, "net_staff_hours"), -40.0 / 60);
	assert_near(dnum(tot, "success_rate"), 0);
	json_decref(tot);

	/* Its last attempt lost (the lease expired): charged all the same. */
	t = jst(2026, 6, 2, 9, 0);
	id = create(f, "invoices", "d1", 2, t);
	attempt(f, id, t + 1000, t + 2000, "failed", 0, 1, 0);
	assert_int_equal(jobs_lease(&f->c, 1, labels, t + 3000, 1000, &l,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(l.job_id, id);
	lease_clear(&l);
	assert_int_equal(jobs_expire(&f->c, t + 10000, &expired, &timed_out,
	    f->err, sizeof f->err), JOBS_OK);
	assert_int_equal(expired, 1);
	tot = june(f);
	assert_near(dnum(tot, "fix_hours"), 80.0 / 60);
	json_decref(tot);

	/* An entered figure is never replaced by the charge. */
	t = jst(2026, 6, 3, 9, 0);
	id = create(f, "invoices", "d1", 2, t);
	attempt(f, id, t + 1000, t + 2000, "failed", 0, 1, 0);
	assert_int_equal(sqlite3_prepare_v2(f->c.db, "SELECT run_id FROM"
	    " kpi_ledger WHERE job_id = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	rid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(kpi_set_fix_minutes(&f->c, rid, 5, NULL, f->err,
	    sizeof f->err), 0);
	assert_int_equal(jobs_lease(&f->c, 1, labels, t + 3000, 1000, &l,
	    f->err, sizeof f->err), JOBS_OK);
	lease_clear(&l);
	assert_int_equal(jobs_expire(&f->c, t + 10000, &expired, &timed_out,
	    f->err, sizeof f->err), JOBS_OK);
	tot = june(f);
	assert_near(dnum(tot, "fix_hours"), 85.0 / 60);
	json_decref(tot);
	json_decref(labels);
}

/* 3 of 5 items failed is a success rate of 40 %, not 100 %. */
static void
test_success_rate_counts_items(void **state)
{
	struct fixture *f = *state;
	int64_t t = jst(2026, 6, 1, 9, 0);
	json_t *tot;

	attempt(f, create(f, "invoices", "d1", 1, t), t + 1000, t + 2000,
	    "partial", 2, 3, 0);
	tot = june(f);
	assert_int_equal(inum(tot, "runs_succeeded"), 1);
	assert_near(dnum(tot, "success_rate"), 40);
	json_decref(tot);
	/* A run without items counts as one unit of work. */
	attempt(f, create(f, "misc", "d3", 1, t), t + 3000, t + 4000,
	    "succeeded", 0, 0, 0);
	tot = june(f);
	assert_near(dnum(tot, "success_rate"), 100.0 * 3 / 6);
	json_decref(tot);
}

/* Who answers for a run's department: the same one, or one above it. */
static void
test_dept_covers(void **state)
{
	struct fixture *f = *state;

	assert_true(kpi_dept_covers(&f->cfg, "会計課", "財政局/経理部/会計課"));
	assert_true(kpi_dept_covers(&f->cfg, "経理部", "財政局/経理部/会計課"));
	assert_true(kpi_dept_covers(&f->cfg, "zaisei", "会計課"));
	assert_false(kpi_dept_covers(&f->cfg, "会計課", "財政局/経理部"));
	assert_false(kpi_dept_covers(&f->cfg, "市民局", "財政局/経理部/会計課"));
	assert_true(kpi_dept_covers(&f->cfg, "市民", "市民局 区政部"));
	/* Outside the tree, a text matches itself only. */
	assert_true(kpi_dept_covers(&f->cfg, "どこか", "どこか"));
	assert_false(kpi_dept_covers(&f->cfg, "どこか", "会計課"));
	assert_false(kpi_dept_covers(&f->cfg, "", ""));
	assert_false(kpi_dept_covers(&f->cfg, "会計課", ""));
}

static void
test_fix_minutes_and_rebuild(void **state)
{
	struct fixture *f = *state;
	int64_t now = jst(2026, 5, 31, 12, 0), run;
	json_t *r, *again;
	sqlite3_stmt *st;
	char *a, *b;
	double old = -1;

	load_runs(f);
	/* Someone spent 45 minutes on B's two failed items, not 20. */
	assert_int_equal(sqlite3_prepare_v2(f->c.db, "SELECT run_id FROM"
	    " kpi_ledger WHERE status = 'partial'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	run = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(kpi_set_fix_minutes(&f->c, run, 45, &old, f->err,
	    sizeof f->err), 0);
	assert_near(old, 20);	/* the estimate it replaced */
	assert_int_equal(kpi_set_fix_minutes(&f->c, 99999, 5, NULL, f->err,
	    sizeof f->err), -1);
	assert_non_null(strstr(f->err, "99999"));
	assert_int_equal(kpi_set_fix_minutes(&f->c, run, -1, NULL, f->err,
	    sizeof f->err), -1);
	r = report(f, KPI_R_OVERVIEW, 2026, now);
	/* 52 - (45 + 30) = -23 minutes. */
	assert_near(dnum(json_object_get(r, "totals"), "net_staff_hours"),
	    -23.0 / 60);
	/* Rebuilding from the ledger alone gives the same figures. */
	assert_int_equal(kpi_rebuild(&f->c, f->err, sizeof f->err), 0);
	again = report(f, KPI_R_OVERVIEW, 2026, now);
	a = json_dumps(json_object_get(r, "totals"), JSON_SORT_KEYS);
	b = json_dumps(json_object_get(again, "totals"), JSON_SORT_KEYS);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(r);
	json_decref(again);
}

static void
test_surveys(void **state)
{
	struct fixture *f = *state;
	static const char csv_ok[] =
	    "\xef\xbb\xbf部署,調査日,回答者数,肯定回答数\r\n"
	    "会計課,2026-06-01,40,30\r\n"
	    "市民局,2026-06-15,60,48\r\n";
	static const char csv_bad[] =
	    "department,date,respondents,positive\n"
	    "zaisei,2026-07-01,10,5\n"
	    "財政局,2026-07-01,10,11\n";
	int64_t id, now = jst(2026, 12, 1, 0, 0);
	json_t *r, *k;
	int n;

	assert_int_equal(kpi_survey_import(&f->c, &f->cfg, "s.csv", csv_ok,
	    sizeof csv_ok - 1, "admin", now, &n, f->err, sizeof f->err), 0);
	assert_int_equal(n, 2);
	/* positive above respondents: line 3, the fourth field's column. */
	assert_int_equal(kpi_survey_import(&f->c, &f->cfg, "bad.csv", csv_bad,
	    sizeof csv_bad - 1, "admin", now, &n, f->err, sizeof f->err), -1);
	assert_string_equal(f->err, "bad.csv:3:19: positive: expected a count "
	    "from 0 to the respondents (10)");
	/* A later survey of 会計課 replaces its earlier one. */
	assert_int_equal(kpi_survey_add(&f->c, &f->cfg, "zaisei-keiri-kaikei",
	    "2026-10-01", 50, 45, "admin", now, &id, f->err, sizeof f->err), 0);
	assert_int_equal(kpi_survey_add(&f->c, &f->cfg, "総務局", "2026-10-01",
	    5, 1, "admin", now, &id, f->err, sizeof f->err), -1);
	assert_string_equal(f->err, "department: unknown department '総務局'");
	assert_int_equal(kpi_survey_add(&f->c, &f->cfg, "shimin", "2026-02-30",
	    5, 1, "admin", now, &id, f->err, sizeof f->err), -1);
	/* (45 + 48) / (50 + 60) */
	r = report(f, KPI_R_OVERVIEW, 2026, now);
	k = row_by(r, "id", "engagement_percent");
	assert_near(dnum(k, "actual"), 100.0 * 93 / 110);
	assert_int_equal(inum(k, "respondents"), 110);
	assert_int_equal(inum(k, "departments_surveyed"), 2);
	assert_near(dnum(k, "progress"), 100 * (100.0 * 93 / 110) / 80);
	json_decref(r);
	r = report(f, KPI_R_SURVEYS, 2026, now);
	assert_int_equal(json_array_size(json_object_get(r, "rows")), 3);
	assert_near(dnum(r, "engagement_percent"), 100.0 * 93 / 110);
	json_decref(r);
	/* The spring before belongs to FY2025, which has none. */
	r = report(f, KPI_R_SURVEYS, 2025, now);
	assert_int_equal(json_array_size(json_object_get(r, "rows")), 0);
	json_decref(r);
	assert_int_equal(kpi_survey_delete(&f->c, id + 1000), -1);
}

static void
test_csv(void **state)
{
	struct fixture *f = *state;
	int64_t now = jst(2026, 5, 31, 12, 0);
	json_t *r;
	char *csv, *line2;
	size_t len;

	load_runs(f);
	r = report(f, KPI_R_SCRIPTS, 2026, now);
	csv = kpi_csv(r, 0, &len);
	assert_int_equal(strlen(csv), len);
	/* A byte order mark, a Japanese header, CRLF. */
	assert_memory_equal(csv, "\xef\xbb\xbf", 3);
	assert_non_null(strstr(csv, "\xef\xbb\xbfボット,名称,所管,実行件数,"
	    "成功,失敗,成功率(%),処理件数,処理失敗件数,削減時間(h),"
	    "例外対応時間(h),純削減時間(h),事業者負担軽減時間(h)\r\n"));
	line2 = strstr(csv, "\r\n") + 2;
	/* addresses: 1 run, 6 items, 0.30 h, 0 vendor hours. */
	assert_memory_equal(line2, "addresses,住所変更,市民局 区政部,1,1,0,"
	    "100.0,6,0,0.30,0.00,0.30,0.00\r\n", strlen("addresses,住所変更,"
	    "市民局 区政部,1,1,0,100.0,6,0,0.30,0.00,0.30,0.00\r\n"));
	/* invoices: 21 + 13 min = 0.57 h, exceptions 0.33, net 0.23. */
	assert_non_null(strstr(csv, "\r\ninvoices,請求書の入力,"
	    "財政局/経理部/会計課,2,2,0,85.7,12,2,0.57,0.33,0.23,0.13\r\n"));
	/* A title that a spreadsheet would run is written as text. */
	assert_non_null(strstr(csv, "\r\nmisc,\"'=HYPERLINK(\"\"x\"\")\","));
	free(csv);
	csv = kpi_csv(r, 1, &len);
	assert_non_null(strstr(csv, "\xef\xbb\xbfscript,title,owner,runs,"));
	free(csv);
	json_decref(r);
}

static void
test_config_errors(void **state)
{
	static const struct {
		const char	*yaml;
		const char	*err;
	} cases[] = {
		{ "fiscal_year_start: 13\n",
		  "k.yaml:1:20: fiscal_year_start must be a whole number "
		  "from 1 to 12, not '13'" },
		{ "baseline:\n  staff_count: many\n",
		  "k.yaml:2:16: baseline.staff_count must be a number from 1 "
		  "to 10000000, not 'many'" },
		{ "targets:\n  staff_hours: {2030: 1}\n",
		  "k.yaml:2:3: targets: unknown KPI 'staff_hours' (known: "
		  "multiple_input_points, staff_hours_saved, "
		  "business_hours_saved, productivity_percent, "
		  "engagement_percent)" },
		{ "input_points:\n  points:\n    - id: a\n      name: b\n"
		  "      owner: nowhere\n",
		  "k.yaml:5:14: input_points.owner: unknown department "
		  "'nowhere'" },
		{ "departments:\n  - code: a\n    name: A\n  - code: a\n"
		  "    name: B\n",
		  "k.yaml:4:11: departments: code 'a' is used twice" },
		{ "utc_offset: \"9\"\n",
		  "k.yaml:1:13: utc_offset: expected +HH:MM, found '9'" },
		{ "colour: red\n",
		  "k.yaml:1:1: unknown key 'colour' in the KPI configuration" },
	};
	struct kpi_config cfg;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(kpi_config_load_text(&cfg, "k.yaml",
		    cases[i].yaml, strlen(cases[i].yaml), err, sizeof err), -1);
		assert_string_equal(err, cases[i].err);
		kpi_config_free(&cfg);
	}
}

static void
test_shipped_config(void **state)
{
	struct kpi_config cfg;
	const char *top = getenv("KOBITO_TOP");
	char err[512], *path;
	json_t *j;

	(void)state;
	path = xasprintf("%s/config/kpi.yaml", top ? top : ".");
	if (kpi_config_load(&cfg, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	free(path);
	/* The city's table. */
	assert_int_equal(cfg.fy_start_month, 4);
	assert_int_equal(cfg.ntargets[KPI_STAFF_HOURS], 2);
	assert_int_equal(cfg.targets[KPI_STAFF_HOURS][0].year, 2030);
	assert_near(cfg.targets[KPI_STAFF_HOURS][0].value, 1100000);
	assert_near(cfg.targets[KPI_STAFF_HOURS][1].value, 2120000);
	assert_near(cfg.targets[KPI_BUSINESS_HOURS][0].value, 120000);
	assert_near(cfg.targets[KPI_BUSINESS_HOURS][1].value, 340000);
	assert_near(cfg.targets[KPI_PRODUCTIVITY][0].value, 10.3);
	assert_near(cfg.targets[KPI_PRODUCTIVITY][1].value, 20.0);
	assert_near(cfg.targets[KPI_ENGAGEMENT][0].value, 80);
	assert_near(cfg.targets[KPI_ENGAGEMENT][1].value, 95);
	assert_near(cfg.targets[KPI_INPUT_POINTS][1].value, 0);
	assert_true(cfg.ndepts >= 6);
	assert_true(cfg.npoints >= 3);
	j = kpi_config_json(&cfg);
	assert_int_equal(json_integer_value(json_object_get(j,
	    "fiscal_year_start")), 4);
	json_decref(j);
	kpi_config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_calendar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_overview, setup, teardown),
		cmocka_unit_test_setup_teardown(test_months_and_years, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_departments_and_scripts,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_points, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fix_minutes_and_rebuild,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_charged_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_success_rate_counts_items,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dept_covers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_surveys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_shipped_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
