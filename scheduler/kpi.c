/*
 * kpi.c - the KPI ledger rollups and the reports (the configuration is
 * kpi_config.c).
 *
 * The ledger itself is written by jobs.c; the trigger in KPI_SCHEMA_SQL
 * keeps kpi_rollup in step with it inside the same transaction.  Every
 * report here reads kpi_rollup (a few thousand rows per fiscal year), the
 * configuration and, for the registry of multiple-input points, the
 * scripts' declared kpi.replaces_inputs.  See kpi.h and docs/kpi.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "kpi.h"
#include "textutil.h"
#include "xmalloc.h"

/* --- names ---------------------------------------------------------------- */

struct kpi_meta {
	const char	*key;
	const char	*ja;
	const char	*en;
	const char	*unit;		/* "points", "hours", "percent" */
	int		 lower_is_better;
};

static const struct kpi_meta kpis[KPI_COUNT] = {
	[KPI_INPUT_POINTS] = { "multiple_input_points", "多重入力箇所",
	    "Places where the same data is entered more than once", "points",
	    1 },
	[KPI_STAFF_HOURS] = { "staff_hours_saved", "作業削減時間",
	    "Staff hours saved per year", "hours", 0 },
	[KPI_BUSINESS_HOURS] = { "business_hours_saved", "事業者負担軽減時間",
	    "Hours saved per year for businesses", "hours", 0 },
	[KPI_PRODUCTIVITY] = { "productivity_percent", "生産性向上率",
	    "Productivity gain", "percent", 0 },
	[KPI_ENGAGEMENT] = { "engagement_percent", "職員のやりがい向上",
	    "Staff who find their work rewarding", "percent", 0 },
};

const char *
kpi_id_name(enum kpi_id id)
{
	return id < KPI_COUNT ? kpis[id].key : "?";
}

static const char *const report_names[KPI_R_COUNT] = {
	[KPI_R_OVERVIEW] = "overview",
	[KPI_R_YEARS] = "years",
	[KPI_R_MONTHS] = "months",
	[KPI_R_DEPARTMENTS] = "departments",
	[KPI_R_SCRIPTS] = "scripts",
	[KPI_R_INPUT_POINTS] = "input_points",
	[KPI_R_SURVEYS] = "surveys",
};

int
kpi_report_parse(const char *name, enum kpi_report_kind *out)
{
	int i;

	for (i = 0; i < KPI_R_COUNT; i++)
		if (strcmp(name, report_names[i]) == 0) {
			*out = (enum kpi_report_kind)i;
			return 0;
		}
	return -1;
}

const char *
kpi_report_name(enum kpi_report_kind k)
{
	return k < KPI_R_COUNT ? report_names[k] : "?";
}

/* --- calendar ------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* The local day number (days since the epoch) of an instant. */
static int64_t
local_day(const struct kpi_config *cfg, int64_t ms)
{
	return floor_div(floor_div(ms, 1000) + cfg->utc_offset_s, 86400);
}

int
kpi_month_of(const struct kpi_config *cfg, int64_t ms)
{
	int y, m, d;

	civil_from_days(local_day(cfg, ms), &y, &m, &d);
	return y * 100 + m;
}

int
kpi_fiscal_year(const struct kpi_config *cfg, int month)
{
	int y = month / 100, m = month % 100;

	return m >= cfg->fy_start_month ? y : y - 1;
}

void
kpi_fy_months(const struct kpi_config *cfg, int fy, int *first, int *last)
{
	int s = cfg->fy_start_month;

	*first = fy * 100 + s;
	*last = s == 1 ? fy * 100 + 12 : (fy + 1) * 100 + s - 1;
}

void
kpi_fy_days(const struct kpi_config *cfg, int fy, int64_t now, int *days,
    int *elapsed)
{
	int64_t start = days_from_civil(fy, cfg->fy_start_month, 1);
	int64_t end = days_from_civil(fy + 1, cfg->fy_start_month, 1);
	int64_t today = local_day(cfg, now), e = today - start + 1;

	*days = (int)(end - start);
	if (e < 0)
		e = 0;
	if (e > *days)
		e = *days;
	*elapsed = (int)e;
}

double
kpi_project(double actual, int days, int elapsed)
{
	if (elapsed <= 0 || elapsed >= days)
		return actual;
	return actual * (double)days / (double)elapsed;
}

/* The instant (ms) local midnight starts day number d. */
static int64_t
day_start_ms(const struct kpi_config *cfg, int64_t d)
{
	return (d * 86400 - cfg->utc_offset_s) * 1000;
}

/* ISO 8601 local time at the configured offset. */
static json_t *
time_json(const struct kpi_config *cfg, int64_t ms)
{
	int64_t secs = floor_div(ms, 1000) + cfg->utc_offset_s;
	int64_t day = floor_div(secs, 86400), sod = secs - day * 86400;
	int y, m, d, off = cfg->utc_offset_s, aoff = off < 0 ? -off : off;
	char buf[64];

	civil_from_days(day, &y, &m, &d);
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
	    off < 0 ? '-' : '+', aoff / 3600, aoff / 60 % 60);
	return json_string(buf);
}

static void
date_text(int64_t day, char *buf, size_t len)
{
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

/* --- writing the settings and the rollup --------------------------------- */

static int
db_fail(struct conn *c, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(c->db));
	return -1;
}

int
kpi_apply(struct conn *c, const struct kpi_config *cfg, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	double old = -1e9;
	size_t i;

	st = conn_stmt(c, "SELECT value FROM kpi_settings"
	    " WHERE key = 'utc_offset_s'");
	if (sqlite3_step(st) == SQLITE_ROW)
		old = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	st = conn_stmt(c, "INSERT INTO kpi_settings (key, value)"
	    " VALUES ('utc_offset_s', ?) ON CONFLICT (key)"
	    " DO UPDATE SET value = excluded.value");
	sqlite3_bind_int(st, 1, cfg->utc_offset_s);
	if (conn_step(c, st, err, errlen) != 0)
		return -1;
	if (conn_exec(c, "DELETE FROM kpi_fix_rates") != 0)
		return db_fail(c, err, errlen, "kpi_fix_rates");
	for (i = 0; i < cfg->nrates; i++) {
		st = conn_stmt(c, "INSERT OR REPLACE INTO kpi_fix_rates"
		    " (script, per_failed_item, per_failed_run)"
		    " VALUES (?, ?, ?)");
		bind_text(st, 1, cfg->rates[i].script);
		sqlite3_bind_double(st, 2, cfg->rates[i].per_failed_item);
		sqlite3_bind_double(st, 3, cfg->rates[i].per_failed_run);
		if (conn_step(c, st, err, errlen) != 0)
			return -1;
	}
	/* Months already bucketed at another offset are bucketed again. */
	if (old != -1e9 && (int)old != cfg->utc_offset_s)
		return kpi_rebuild(c, err, errlen);
	return 0;
}

/* The estimated exception minutes of a ledger row, as the trigger has it. */
#define FIX_ESTIMATE \
	"items_failed * coalesce((SELECT per_failed_item FROM kpi_fix_rates" \
	" r WHERE r.script = kpi_ledger.script), (SELECT per_failed_item" \
	" FROM kpi_fix_rates WHERE script = ''), 0) + (status = 'failed') *" \
	" coalesce((SELECT per_failed_run FROM kpi_fix_rates r" \
	" WHERE r.script = kpi_ledger.script), (SELECT per_failed_run" \
	" FROM kpi_fix_rates WHERE script = ''), 0)"

int
kpi_rebuild(struct conn *c, char *err, size_t errlen)
{
	static const char *const steps[] = {
		"UPDATE kpi_ledger SET month = CAST(strftime('%Y%m',"
		" finished_at / 1000 + coalesce((SELECT value FROM kpi_settings"
		" WHERE key = 'utc_offset_s'), 32400), 'unixepoch') AS INTEGER)",
		/* the latest attempt of a job is the one that counts */
		"UPDATE kpi_ledger SET counted = (id = (SELECT max(id) FROM"
		" kpi_ledger l2 WHERE l2.job_id = kpi_ledger.job_id))",
		"UPDATE kpi_ledger SET fix_minutes = CASE WHEN fix_deferred"
		" THEN 0 ELSE " FIX_ESTIMATE " END WHERE fix_entered = 0",
		KPI_ROLLUP_FILL_SQL,
		"DELETE FROM kpi_script_success",
		"INSERT INTO kpi_script_success (digest, script, last_ok)"
		" SELECT digest, max(script), max(finished_at) FROM kpi_ledger"
		" WHERE status IN ('succeeded', 'partial') GROUP BY digest",
	};
	size_t i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (conn_exec(c, steps[i]) != 0)
			return db_fail(c, err, errlen, "kpi rebuild");
	return 0;
}

/* Move a rollup row's exception minutes by delta (a counted row changed). */
static int
rollup_fix(struct conn *c, int month, const char *script, const char *dept,
    double delta, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE kpi_rollup SET fix_minutes ="
	    " fix_minutes + ?4 WHERE month = ?1 AND script = ?2"
	    " AND department = ?3");

	sqlite3_bind_int(st, 1, month);
	bind_text(st, 2, script);
	bind_text(st, 3, dept);
	sqlite3_bind_double(st, 4, delta);
	return conn_step(c, st, err, errlen);
}

int
kpi_set_fix_minutes(struct conn *c, int64_t run_id, double minutes,
    double *oldp, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char *script, *dept;
	double old;
	int month, counted;
	int rc;

	if (!isfinite(minutes) || minutes < 0 || minutes > 1e7) {
		snprintf(err, errlen, "minutes: expected a number from 0 to "
		    "10000000");
		return -1;
	}
	st = conn_stmt(c, "SELECT month, script, coalesce(department, ''),"
	    " counted, fix_minutes FROM kpi_ledger WHERE run_id = ?");
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		snprintf(err, errlen, "run %lld has no ledger row (not "
		    "finished, or no such run)", (long long)run_id);
		return -1;
	}
	month = sqlite3_column_int(st, 0);
	script = col_strdup(st, 1);
	dept = col_strdup(st, 2);
	counted = sqlite3_column_int(st, 3);
	old = sqlite3_column_double(st, 4);
	sqlite3_reset(st);
	if (oldp != NULL)
		*oldp = old;
	st = conn_stmt(c, "UPDATE kpi_ledger SET fix_minutes = ?2,"
	    " fix_entered = 1, fix_deferred = 0 WHERE run_id = ?1");
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_double(st, 2, minutes);
	rc = conn_step(c, st, err, errlen);
	if (rc == 0 && counted)
		rc = rollup_fix(c, month, script, dept, minutes - old, err,
		    errlen);
	free(script);
	free(dept);
	return rc;
}

int
kpi_run_department(struct conn *c, int64_t run_id, char *out, size_t outlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT coalesce(department, '')"
	    " FROM kpi_ledger WHERE run_id = ?");
	int rc = -1;

	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, outlen, "%s", col_text(st, 0));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int
kpi_dept_covers(const struct kpi_config *cfg, const char *user_dept,
    const char *run_dept)
{
	int u, r;

	if (user_dept == NULL || run_dept == NULL || *user_dept == '\0' ||
	    *run_dept == '\0')
		return 0;
	u = kpi_dept_find(cfg, user_dept);
	r = kpi_dept_find(cfg, run_dept);
	if (u < 0 || r < 0)
		return strcmp(user_dept, run_dept) == 0;
	for (; r >= 0; r = cfg->depts[r].parent)
		if (r == u)
			return 1;
	return 0;
}

int
kpi_charge_deferred(struct conn *c, int64_t job_id)
{
	sqlite3_stmt *st;
	char *script = NULL, *dept = NULL;
	int64_t id = 0;
	double fix = 0;
	int month = 0, rc;

	st = conn_stmt(c, "SELECT id, month, script, coalesce(department, ''),"
	    " " FIX_ESTIMATE " FROM kpi_ledger WHERE job_id = ? AND counted"
	    " AND fix_deferred AND NOT fix_entered");
	sqlite3_bind_int64(st, 1, job_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		month = sqlite3_column_int(st, 1);
		script = col_strdup(st, 2);
		dept = col_strdup(st, 3);
		fix = sqlite3_column_double(st, 4);
	}
	sqlite3_reset(st);
	if (id == 0)
		return 0;
	st = conn_stmt(c, "UPDATE kpi_ledger SET fix_minutes = ?2,"
	    " fix_deferred = 0 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_double(st, 2, fix);
	rc = conn_step(c, st, NULL, 0);
	if (rc == 0)
		rc = rollup_fix(c, month, script, dept, fix, NULL, 0);
	free(script);
	free(dept);
	return rc;
}

int
kpi_add_fix_minutes(struct conn *c, int64_t run_id, double minutes,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT fix_minutes, fix_entered FROM"
	    " kpi_ledger WHERE run_id = ?");
	double now;
	int rc;

	sqlite3_bind_int64(st, 1, run_id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_fail(c, err, errlen, "kpi ledger");
		return 1;
	}
	/* A measured figure replaces the estimate from the rates. */
	now = sqlite3_column_int(st, 1) ? sqlite3_column_double(st, 0) : 0;
	sqlite3_reset(st);
	return kpi_set_fix_minutes(c, run_id, now + minutes, NULL, err,
	    errlen);
}

/* --- sums ----------------------------------------------------------------- */

struct sums {
	int64_t		 runs, ok, partial, failed, attempts;
	int64_t		 items_ok, items_failed;
	int64_t		 units_ok, units_failed;
	double		 minutes, vendor, fix;
};

#define SUM_COLS \
	"sum(runs), sum(runs_succeeded), sum(runs_partial), sum(runs_failed)," \
	" sum(attempts), sum(items_succeeded), sum(items_failed)," \
	" sum(minutes), sum(vendor_minutes), sum(fix_minutes)," \
	" sum(units_ok), sum(units_failed)"

static void
sums_read(sqlite3_stmt *st, int col, struct sums *s)
{
	s->runs = sqlite3_column_int64(st, col);
	s->ok = sqlite3_column_int64(st, col + 1);
	s->partial = sqlite3_column_int64(st, col + 2);
	s->failed = sqlite3_column_int64(st, col + 3);
	s->attempts = sqlite3_column_int64(st, col + 4);
	s->items_ok = sqlite3_column_int64(st, col + 5);
	s->items_failed = sqlite3_column_int64(st, col + 6);
	s->minutes = sqlite3_column_double(st, col + 7);
	s->vendor = sqlite3_column_double(st, col + 8);
	s->fix = sqlite3_column_double(st, col + 9);
	s->units_ok = sqlite3_column_int64(st, col + 10);
	s->units_failed = sqlite3_column_int64(st, col + 11);
}

static void
sums_add(struct sums *to, const struct sums *s)
{
	to->runs += s->runs;
	to->ok += s->ok;
	to->partial += s->partial;
	to->failed += s->failed;
	to->attempts += s->attempts;
	to->items_ok += s->items_ok;
	to->items_failed += s->items_failed;
	to->minutes += s->minutes;
	to->vendor += s->vendor;
	to->fix += s->fix;
	to->units_ok += s->units_ok;
	to->units_failed += s->units_failed;
}

/* Rounded to 1e-6: sums of REALs carry binary noise. */
static json_t *
num(double v)
{
	double r = round(v * 1e6) / 1e6;

	return json_real(r == 0 ? 0 : r);
}

static double
net_hours(const struct sums *s)
{
	return (s->minutes - s->fix) / 60.0;
}

/* The figures every breakdown row carries. */
static void
sums_json(json_t *o, const struct sums *s)
{
	json_object_set_new(o, "runs", json_integer(s->runs));
	json_object_set_new(o, "runs_succeeded", json_integer(s->ok +
	    s->partial));
	json_object_set_new(o, "runs_partial", json_integer(s->partial));
	json_object_set_new(o, "runs_failed", json_integer(s->failed));
	json_object_set_new(o, "attempts", json_integer(s->attempts));
	json_object_set_new(o, "items_succeeded", json_integer(s->items_ok));
	json_object_set_new(o, "items_failed", json_integer(s->items_failed));
	/* Of the work, not of the runs: 3 of 5 items failed is 40 %. */
	json_object_set_new(o, "success_rate", s->units_ok + s->units_failed >
	    0 ? num(100.0 * (double)s->units_ok / (double)(s->units_ok +
	    s->units_failed)) : json_null());
	json_object_set_new(o, "staff_hours", num(s->minutes / 60.0));
	json_object_set_new(o, "fix_hours", num(s->fix / 60.0));
	json_object_set_new(o, "net_staff_hours", num(net_hours(s)));
	json_object_set_new(o, "vendor_hours", num(s->vendor / 60.0));
}

/* --- columns (for the dashboard's tables and the CSV) --------------------- */

struct col {
	const char	*key;
	const char	*ja;
	const char	*en;
	const char	*kind;	/* text int hours percent number bool list */
};

#define SUM_COLUMNS \
	{ "runs", "実行件数", "runs", "int" }, \
	{ "runs_succeeded", "成功", "succeeded", "int" }, \
	{ "runs_failed", "失敗", "failed", "int" }, \
	{ "success_rate", "成功率(%)", "success rate (%)", "percent" }, \
	{ "items_succeeded", "処理件数", "items succeeded", "int" }, \
	{ "items_failed", "処理失敗件数", "items failed", "int" }, \
	{ "staff_hours", "削減時間(h)", "staff hours saved", "hours" }, \
	{ "fix_hours", "例外対応時間(h)", "exception hours", "hours" }, \
	{ "net_staff_hours", "純削減時間(h)", "net staff hours saved", \
	    "hours" }, \
	{ "vendor_hours", "事業者負担軽減時間(h)", "business hours saved", \
	    "hours" }

static const struct col overview_cols[] = {
	{ "id", "ID", "id", "text" },
	{ "name", "指標", "KPI", "text" },
	{ "unit", "単位", "unit", "text" },
	{ "actual", "実績", "actual", "number" },
	{ "projection", "年度見込み", "projection", "number" },
	{ "target", "目標", "target", "number" },
	{ "target_year", "目標年度", "target year", "int" },
	{ "progress", "進捗(%)", "progress (%)", "percent" },
	{ NULL, NULL, NULL, NULL },
};

static const struct col years_cols[] = {
	{ "fiscal_year", "年度", "fiscal year", "int" },
	SUM_COLUMNS,
	{ "productivity_percent", "生産性向上率(%)", "productivity (%)",
	    "percent" },
	{ NULL, NULL, NULL, NULL },
};

static const struct col months_cols[] = {
	{ "month", "月", "month", "text" },
	SUM_COLUMNS,
	{ "cumulative_net_staff_hours", "累計純削減時間(h)",
	    "cumulative net staff hours", "hours" },
	{ "pace_cumulative_hours", "目標ペース累計(h)",
	    "target pace, cumulative hours", "hours" },
	{ NULL, NULL, NULL, NULL },
};

static const struct col dept_cols[] = {
	{ "code", "部署コード", "code", "text" },
	{ "level_name", "区分", "level", "text" },
	{ "path", "部署", "department", "text" },
	SUM_COLUMNS,
	{ NULL, NULL, NULL, NULL },
};

static const struct col script_cols[] = {
	{ "script", "ボット", "script", "text" },
	{ "title", "名称", "title", "text" },
	{ "department", "所管", "owner", "text" },
	SUM_COLUMNS,
	{ NULL, NULL, NULL, NULL },
};

static const struct col point_cols[] = {
	{ "id", "ID", "id", "text" },
	{ "name", "多重入力箇所", "input point", "text" },
	{ "system", "システム", "system", "text" },
	{ "screen", "画面", "screen", "text" },
	{ "data", "データ", "data", "text" },
	{ "owner_name", "所管", "owner", "text" },
	{ "eliminated", "解消", "eliminated", "bool" },
	{ "eliminated_by", "解消したボット", "eliminated by", "list" },
	{ "last_success", "最終成功", "last success", "text" },
	{ "planned_by", "対応ボット", "scripts naming it", "list" },
	{ NULL, NULL, NULL, NULL },
};

static const struct col survey_cols[] = {
	{ "id", "ID", "id", "int" },
	{ "department", "部署コード", "department code", "text" },
	{ "department_name", "部署", "department", "text" },
	{ "survey_date", "調査日", "survey date", "text" },
	{ "respondents", "回答者数", "respondents", "int" },
	{ "positive", "肯定回答数", "positive answers", "int" },
	{ "percent", "やりがい(%)", "rewarding (%)", "percent" },
	{ NULL, NULL, NULL, NULL },
};

static json_t *
columns_json(const struct col *cols)
{
	json_t *a = json_array();

	for (; cols->key != NULL; cols++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
		    "key", cols->key, "ja", cols->ja, "en", cols->en, "kind",
		    cols->kind));
	return a;
}

/* --- report context ------------------------------------------------------- */

struct rq {
	struct conn		*c;
	const struct kpi_config	*cfg;
	int			 fy;
	int			 first, last;	/* month keys */
	int			 days, elapsed;
	int64_t			 now;
	int64_t			 asof;		/* min(now, end of year) */
	char			*err;
	size_t			 errlen;
	const char		*depts;		/* JSON text, or NULL: all */
	json_t			*scope;		/* depts parsed, or NULL */
};

/* Whether department text dept is among the report's. */
static int
in_scope(const struct rq *q, const char *dept)
{
	json_t *v;
	size_t i;

	if (q->scope == NULL)
		return 1;
	json_array_foreach(q->scope, i, v)
		if (dept != NULL && strcmp(json_string_value(v), dept) == 0)
			return 1;
	return 0;
}

/* The registered points of the report's departments. */
static size_t
points_in_scope(const struct rq *q)
{
	size_t i, n = 0;

	for (i = 0; i < q->cfg->npoints; i++)
		n += in_scope(q, q->cfg->points[i].owner);
	return n;
}

/* The department filter every query of the rollup and surveys has. */
#define IN_SCOPE " AND (?9 IS NULL OR department IN" \
	" (SELECT value FROM json_each(?9)))"

static json_t *
report_head(const struct rq *q, enum kpi_report_kind kind,
    const struct col *cols)
{
	int64_t d0 = days_from_civil(q->fy, q->cfg->fy_start_month, 1);
	char from[16], to[16], label[32];

	date_text(d0, from, sizeof from);
	date_text(d0 + q->days - 1, to, sizeof to);
	snprintf(label, sizeof label, "%d年度", q->fy);
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:i, s:o, s:o,"
	    " s:[]}", "report", report_names[kind], "fiscal_year", q->fy,
	    "label", label, "from", from, "to", to, "days", q->days,
	    "elapsed_days", q->elapsed, "as_of", time_json(q->cfg, q->asof),
	    "columns", columns_json(cols), "rows");
}

static int
step_fail(struct rq *q, sqlite3_stmt *st)
{
	snprintf(q->err, q->errlen, "kpi report: %s",
	    sqlite3_errmsg(q->c->db));
	sqlite3_reset(st);
	return -1;
}

/* Items the counted runs of the period skipped: done before, not credited
 * (read from the ledger: the rollup keeps what is credited). */
static int
fy_skipped(struct rq *q, int64_t *skipped)
{
	sqlite3_stmt *st = conn_stmt(q->c, "SELECT coalesce(sum(items_skipped),"
	    " 0) FROM kpi_ledger WHERE counted = 1 AND month BETWEEN ?1"
	    " AND ?2");
	int rc;

	sqlite3_bind_int(st, 1, q->first);
	sqlite3_bind_int(st, 2, q->last);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return step_fail(q, st);
	*skipped = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int
fy_totals(struct rq *q, struct sums *s)
{
	sqlite3_stmt *st = conn_stmt(q->c, "SELECT " SUM_COLS
	    " FROM kpi_rollup WHERE month BETWEEN ?1 AND ?2" IN_SCOPE);
	int rc;

	memset(s, 0, sizeof *s);
	sqlite3_bind_int(st, 1, q->first);
	sqlite3_bind_int(st, 2, q->last);
	bind_text(st, 9, q->depts);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sums_read(st, 0, s);
	else if (rc != SQLITE_DONE)
		return step_fail(q, st);
	sqlite3_reset(st);
	return 0;
}

/* The target that applies to fy: the first at or after it, else the last. */
static const struct kpi_target *
target_for(const struct kpi_config *cfg, enum kpi_id k, int fy)
{
	size_t i;

	for (i = 0; i < cfg->ntargets[k]; i++)
		if (cfg->targets[k][i].year >= fy)
			return &cfg->targets[k][i];
	return cfg->ntargets[k] > 0 ? &cfg->targets[k][cfg->ntargets[k] - 1] :
	    NULL;
}

static double
baseline_hours(const struct kpi_config *cfg)
{
	return cfg->staff_count * cfg->hours_per_staff;
}

/* --- the registry of multiple-input points -------------------------------- */

struct point_state {
	json_t		*by;		/* scripts that eliminated it */
	json_t		*planned;	/* scripts naming it */
	int64_t		 last_ok;
};

static int
point_index(const struct kpi_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->npoints; i++)
		if (strcmp(cfg->points[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void
add_unique(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return;
	json_array_append_new(a, json_string(s));
}

/*
 * Fill ps[npoints]: which scripts name each point, and which ran
 * successfully within the window ending at q->asof.  The current year
 * reads kpi_script_success (one row per script version); a past one
 * looks for successes in the ledger within its window.
 */
static int
points_scan(struct rq *q, struct point_state *ps, int *eliminated)
{
	const struct kpi_config *cfg = q->cfg;
	int64_t from = q->asof - (int64_t)cfg->window_days * 86400000;
	sqlite3_stmt *st;
	size_t i;
	int rc, k;

	for (i = 0; i < cfg->npoints; i++) {
		ps[i].by = json_array();
		ps[i].planned = json_array();
		ps[i].last_ok = 0;
	}
	*eliminated = 0;
	if (cfg->npoints == 0)
		return 0;
	st = conn_stmt(q->c, "SELECT s.name, j.value FROM scripts s"
	    " JOIN script_versions v ON v.digest = s.digest,"
	    " json_each(v.describe, '$.kpi.replaces_inputs') j");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((k = point_index(cfg, col_text(st, 1))) >= 0)
			add_unique(ps[k].planned, col_text(st, 0));
	if (rc != SQLITE_DONE)
		return step_fail(q, st);
	sqlite3_reset(st);
	if (q->asof >= q->now)
		st = conn_stmt(q->c, "SELECT v.name, j.value, s.last_ok"
		    " FROM kpi_script_success s"
		    " JOIN script_versions v ON v.digest = s.digest,"
		    " json_each(v.describe, '$.kpi.replaces_inputs') j"
		    " WHERE s.last_ok BETWEEN ?1 AND ?2");
	else
		st = conn_stmt(q->c, "SELECT v.name, j.value, l.last_ok"
		    " FROM (SELECT digest, max(finished_at) AS last_ok"
		    "  FROM kpi_ledger WHERE finished_at BETWEEN ?1 AND ?2"
		    "  AND status IN ('succeeded', 'partial') GROUP BY digest) l"
		    " JOIN script_versions v ON v.digest = l.digest,"
		    " json_each(v.describe, '$.kpi.replaces_inputs') j");
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, q->asof);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((k = point_index(cfg, col_text(st, 1))) < 0)
			continue;
		add_unique(ps[k].by, col_text(st, 0));
		if (sqlite3_column_int64(st, 2) > ps[k].last_ok)
			ps[k].last_ok = sqlite3_column_int64(st, 2);
	}
	if (rc != SQLITE_DONE)
		return step_fail(q, st);
	sqlite3_reset(st);
	for (i = 0; i < cfg->npoints; i++)
		*eliminated += json_array_size(ps[i].by) > 0 &&
		    in_scope(q, cfg->points[i].owner);
	return 0;
}

static void
points_free(struct point_state *ps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_decref(ps[i].by);
		json_decref(ps[i].planned);
	}
	free(ps);
}

/* --- engagement surveys --------------------------------------------------- */

/*
 * The engagement figure of the year: for each department its latest
 * survey in the year, weighted by respondents.  *respondents is 0 when
 * there was none.
 */
static int
engagement(struct rq *q, double *percent, int64_t *respondents,
    int *departments)
{
	int64_t d0 = days_from_civil(q->fy, q->cfg->fy_start_month, 1);
	char from[16], to[16], last[256] = "";
	int64_t pos = 0, n = 0;
	sqlite3_stmt *st;
	int rc;

	date_text(d0, from, sizeof from);
	date_text(d0 + q->days - 1, to, sizeof to);
	*departments = 0;
	st = conn_stmt(q->c, "SELECT department, respondents, positive"
	    " FROM kpi_surveys WHERE survey_date BETWEEN ?1 AND ?2" IN_SCOPE
	    " ORDER BY department, survey_date DESC, id DESC");
	bind_text(st, 1, from);
	bind_text(st, 2, to);
	bind_text(st, 9, q->depts);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (strcmp(col_text(st, 0), last) == 0)
			continue;	/* an older survey of the same one */
		snprintf(last, sizeof last, "%s", col_text(st, 0));
		n += sqlite3_column_int64(st, 1);
		pos += sqlite3_column_int64(st, 2);
		(*departments)++;
	}
	if (rc != SQLITE_DONE)
		return step_fail(q, st);
	sqlite3_reset(st);
	*respondents = n;
	*percent = n > 0 ? 100.0 * (double)pos / (double)n : 0;
	return 0;
}

/* --- the reports ---------------------------------------------------------- */

static json_t *
kpi_row(const struct rq *q, enum kpi_id k, double actual, double projection,
    double progress, int has_progress)
{
	const struct kpi_target *t = target_for(q->cfg, k, q->fy);
	json_t *o, *targets = json_array();
	size_t i;

	for (i = 0; i < q->cfg->ntargets[k]; i++)
		json_array_append_new(targets, json_pack("{s:i, s:o}", "year",
		    q->cfg->targets[k][i].year, "value",
		    num(q->cfg->targets[k][i].value)));
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o}",
	    "id", kpis[k].key, "name", kpis[k].ja, "name_en", kpis[k].en,
	    "unit", kpis[k].unit, "lower_is_better", kpis[k].lower_is_better,
	    "actual", num(actual), "projection", num(projection),
	    "targets", targets, "target", t ? num(t->value) : json_null(),
	    "target_year", t ? json_integer(t->year) : json_null());
	json_object_set_new(o, "progress", has_progress ?
	    num(100.0 * progress) : json_null());
	return o;
}

/* Progress of a higher-is-better figure against the year's target. */
static void
progress_of(const struct rq *q, enum kpi_id k, double projection,
    double *p, int *has)
{
	const struct kpi_target *t = target_for(q->cfg, k, q->fy);

	*has = t != NULL && t->value > 0;
	*p = *has ? projection / t->value : 0;
}

static int
r_overview(struct rq *q, json_t *out)
{
	const struct kpi_config *cfg = q->cfg;
	json_t *rows = json_object_get(out, "rows"), *tot;
	struct point_state *ps;
	struct sums s;
	double hours, vhours, base = baseline_hours(cfg), p, eng;
	double ph, pv;
	int64_t resp, skipped;
	int elim, ndep, has;
	size_t npoints;

	if (fy_totals(q, &s) != 0)
		return -1;
	hours = net_hours(&s);
	vhours = s.vendor / 60.0;
	ph = kpi_project(hours, q->days, q->elapsed);
	pv = kpi_project(vhours, q->days, q->elapsed);

	ps = xcalloc(cfg->npoints + 1, sizeof *ps);
	if (points_scan(q, ps, &elim) != 0) {
		points_free(ps, cfg->npoints);
		return -1;
	}
	points_free(ps, cfg->npoints);
	npoints = points_in_scope(q);
	json_array_append_new(rows, kpi_row(q, KPI_INPUT_POINTS,
	    (double)(npoints - (size_t)elim),
	    (double)(npoints - (size_t)elim),
	    npoints ? (double)elim / (double)npoints : 1, 1));
	json_object_set_new(json_array_get(rows, 0), "registered",
	    json_integer((json_int_t)npoints));
	json_object_set_new(json_array_get(rows, 0), "eliminated",
	    json_integer(elim));

	progress_of(q, KPI_STAFF_HOURS, ph, &p, &has);
	json_array_append_new(rows, kpi_row(q, KPI_STAFF_HOURS, hours, ph, p,
	    has));
	progress_of(q, KPI_BUSINESS_HOURS, pv, &p, &has);
	json_array_append_new(rows, kpi_row(q, KPI_BUSINESS_HOURS, vhours, pv,
	    p, has));
	progress_of(q, KPI_PRODUCTIVITY, 100.0 * ph / base, &p, &has);
	json_array_append_new(rows, kpi_row(q, KPI_PRODUCTIVITY,
	    100.0 * hours / base, 100.0 * ph / base, p, has));
	json_object_set_new(json_array_get(rows, 3), "baseline_hours",
	    num(base));

	if (engagement(q, &eng, &resp, &ndep) != 0)
		return -1;
	progress_of(q, KPI_ENGAGEMENT, eng, &p, &has);
	json_array_append_new(rows, kpi_row(q, KPI_ENGAGEMENT, eng, eng, p,
	    has && resp > 0));
	if (resp == 0) {
		json_object_set_new(json_array_get(rows, 4), "actual",
		    json_null());
		json_object_set_new(json_array_get(rows, 4), "projection",
		    json_null());
	}
	json_object_set_new(json_array_get(rows, 4), "respondents",
	    json_integer(resp));
	json_object_set_new(json_array_get(rows, 4), "departments_surveyed",
	    json_integer(ndep));

	tot = json_object();
	sums_json(tot, &s);
	if (fy_skipped(q, &skipped) != 0) {
		json_decref(tot);
		return -1;
	}
	json_object_set_new(tot, "items_skipped", json_integer(skipped));
	json_object_set_new(tot, "projected_net_staff_hours", num(ph));
	json_object_set_new(tot, "projected_vendor_hours", num(pv));
	json_object_set_new(out, "totals", tot);
	return 0;
}

static int
r_years(struct rq *q, json_t *out)
{
	json_t *rows = json_object_get(out, "rows"), *o;
	double base = baseline_hours(q->cfg);
	sqlite3_stmt *st;
	struct sums s;
	int rc;

	st = conn_stmt(q->c, "SELECT CASE WHEN month % 100 >= ?1"
	    " THEN month / 100 ELSE month / 100 - 1 END AS fy, " SUM_COLS
	    " FROM kpi_rollup WHERE 1" IN_SCOPE " GROUP BY fy ORDER BY fy");
	sqlite3_bind_int(st, 1, q->cfg->fy_start_month);
	bind_text(st, 9, q->depts);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sums_read(st, 1, &s);
		o = json_pack("{s:i}", "fiscal_year", sqlite3_column_int(st, 0));
		sums_json(o, &s);
		json_object_set_new(o, "productivity_percent",
		    num(100.0 * net_hours(&s) / base));
		json_array_append_new(rows, o);
	}
	if (rc != SQLITE_DONE)
		return step_fail(q, st);
	sqlite3_reset(st);
	return 0;
}

static int
r_months(struct rq *q, json_t *out)
{
	json_t *rows = json_object_get(out, "rows"), *o;
	const struct kpi_target *t = target_for(q->cfg, KPI_STAFF_HOURS, q->fy);
	struct sums by[12], zero;
	double cum = 0, pace = t ? t->value / 12.0 : 0;
	int64_t today = local_day(q->cfg, q->now);
	sqlite3_stmt *st;
	int rc, i, m, y, mo, nowmonth, cy, cm, cd;
	char key[16];

	memset(by, 0, sizeof by);
	memset(&zero, 0, sizeof zero);
	st = conn_stmt(q->c, "SELECT month, " SUM_COLS " FROM kpi_rollup"
	    " WHERE month BETWEEN ?1 AND ?2" IN_SCOPE " GROUP BY month");
	sqlite3_bind_int(st, 1, q->first);
	sqlite3_bind_int(st, 2, q->last);
	bind_text(st, 9, q->depts);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m = sqlite3_column_int(st, 0);
		i = ((m % 100) - q->cfg->fy_start_month + 12) % 12;
		sums_read(st, 1, &by[i]);
	}
	if (rc != SQLITE_DONE)
		return step_fail(q, st);
	sqlite3_reset(st);
	civil_from_days(today, &cy, &cm, &cd);
	nowmonth = cy * 100 + cm;
	json_object_set_new(out, "target", t ? num(t->value) : json_null());
	json_object_set_new(out, "target_year", t ? json_integer(t->year) :
	    json_null());
	json_object_set_new(out, "pace_hours_per_month", num(pace));
	for (i = 0; i < 12; i++) {
		mo = (q->cfg->fy_start_month - 1 + i) % 12 + 1;
		y = mo >= q->cfg->fy_start_month ? q->fy : q->fy + 1;
		snprintf(key, sizeof key, "%04d-%02d", y, mo);
		o = json_pack("{s:s}", "month", key);
		sums_json(o, &by[i]);
		cum += net_hours(&by[i]);
		json_object_set_new(o, "cumulative_net_staff_hours", num(cum));
		json_object_set_new(o, "pace_cumulative_hours",
		    num(pace * (i + 1)));
		json_object_set_new(o, "future", json_boolean(y * 100 + mo >
		    nowmonth));
		json_array_append_new(rows, o);
	}
	return 0;
}

static int
r_departments(struct rq *q, json_t *out)
{
	static const char *const level_ja[] = { "局", "部", "課" };
	const struct kpi_config *cfg = q->cfg;
	json_t *rows = json_object_get(out, "rows"), *o, *unmatched;
	struct sums *by = xcalloc(cfg->ndepts + 1, sizeof *by), s, other;
	sqlite3_stmt *st;
	size_t i;
	int rc, d, any_other = 0;

	memset(&other, 0, sizeof other);
	unmatched = json_array();
	st = conn_stmt(q->c, "SELECT department, " SUM_COLS " FROM kpi_rollup"
	    " WHERE month BETWEEN ?1 AND ?2" IN_SCOPE " GROUP BY department");
	sqlite3_bind_int(st, 1, q->first);
	sqlite3_bind_int(st, 2, q->last);
	bind_text(st, 9, q->depts);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sums_read(st, 1, &s);
		if ((d = kpi_dept_find(cfg, col_text(st, 0))) < 0) {
			sums_add(&other, &s);
			any_other = 1;
			json_array_append_new(unmatched,
			    json_string(col_text(st, 0)));
			continue;
		}
		/* A 課's figures count for its 部 and its 局 too. */
		for (; d >= 0; d = cfg->depts[d].parent)
			sums_add(&by[d], &s);
	}
	if (rc != SQLITE_DONE) {
		free(by);
		json_decref(unmatched);
		return step_fail(q, st);
	}
	sqlite3_reset(st);
	for (i = 0; i < cfg->ndepts; i++) {
		const struct kpi_dept *dp = &cfg->depts[i];

		o = json_pack("{s:s, s:s, s:s?, s:s, s:i, s:s, s:o}", "code",
		    dp->code, "name", dp->name, "name_en",
		    dp->name_en, "path", dp->path, "level",
		    dp->level, "level_name", level_ja[dp->level], "parent",
		    dp->parent < 0 ? json_null() :
		    json_string(cfg->depts[dp->parent].code));
		sums_json(o, &by[i]);
		json_array_append_new(rows, o);
	}
	if (any_other) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:n}", "code", "",
		    "name", "(部署の登録なし)", "name_en", "(no department)",
		    "path", "(部署の登録なし)", "level", 0, "level_name", "",
		    "parent");
		sums_json(o, &other);
		json_array_append_new(rows, o);
	}
	json_object_set_new(out, "unmatched_departments", unmatched);
	free(by);
	return 0;
}

static int
r_scripts(struct rq *q, json_t *out)
{
	json_t *rows = json_object_get(out, "rows"), *o;
	sqlite3_stmt *st, *meta;
	struct sums s;
	int rc;
	size_t i, n;

	st = conn_stmt(q->c, "SELECT script, " SUM_COLS " FROM kpi_rollup"
	    " WHERE month BETWEEN ?1 AND ?2" IN_SCOPE " GROUP BY script");
	sqlite3_bind_int(st, 1, q->first);
	sqlite3_bind_int(st, 2, q->last);
	bind_text(st, 9, q->depts);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sums_read(st, 1, &s);
		o = json_pack("{s:s}", "script", col_text(st, 0));
		sums_json(o, &s);
		json_array_append_new(rows, o);
	}
	if (rc != SQLITE_DONE)
		return step_fail(q, st);
	sqlite3_reset(st);
	/* Titles and owners of the current versions. */
	n = json_array_size(rows);
	for (i = 0; i < n; i++) {
		o = json_array_get(rows, i);
		meta = conn_stmt(q->c, "SELECT v.title, v.owner FROM scripts s"
		    " JOIN script_versions v ON v.digest = s.digest"
		    " WHERE s.name = ?");
		bind_text(meta, 1, json_string_value(json_object_get(o,
		    "script")));
		if (sqlite3_step(meta) == SQLITE_ROW) {
			json_object_set_new(o, "title", json_string(
			    sqlite3_column_type(meta, 0) == SQLITE_NULL ?
			    json_string_value(json_object_get(o, "script")) :
			    col_text(meta, 0)));
			json_object_set_new(o, "department",
			    json_string(col_text(meta, 1)));
		} else {
			json_object_set(o, "title", json_object_get(o,
			    "script"));
			json_object_set_new(o, "department", json_string(""));
		}
		sqlite3_reset(meta);
	}
	return 0;
}

/* Sort script rows by net hours, most first, then by name. */
static int
script_row_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double hx = json_number_value(json_object_get(x, "net_staff_hours"));
	double hy = json_number_value(json_object_get(y, "net_staff_hours"));

	if (hx != hy)
		return hx < hy ? 1 : -1;
	return strcmp(json_string_value(json_object_get(x, "script")),
	    json_string_value(json_object_get(y, "script")));
}

static void
sort_rows(json_t *rows, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(rows), i;
	json_t **v = xcalloc(n + 1, sizeof *v);

	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(rows, i));
	qsort(v, n, sizeof *v, cmp);
	json_array_clear(rows);
	for (i = 0; i < n; i++)
		json_array_append_new(rows, v[i]);
	free(v);
}

static const char *
dept_name(const struct kpi_config *cfg, const char *code)
{
	int d = code ? kpi_dept_find(cfg, code) : -1;

	return d >= 0 ? cfg->depts[d].path : (code ? code : "");
}

static int
r_points(struct rq *q, json_t *out)
{
	const struct kpi_config *cfg = q->cfg;
	json_t *rows = json_object_get(out, "rows"), *o;
	struct point_state *ps = xcalloc(cfg->npoints + 1, sizeof *ps);
	size_t i;
	int elim;

	if (points_scan(q, ps, &elim) != 0) {
		points_free(ps, cfg->npoints);
		return -1;
	}
	for (i = 0; i < cfg->npoints; i++) {
		const struct kpi_point *p = &cfg->points[i];

		if (!in_scope(q, p->owner))
			continue;
		o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:b, s:O,"
		    " s:O, s:o}", "id", p->id, "name", p->name, "system",
		    p->system, "screen", p->screen, "data", p->data, "owner",
		    p->owner, "owner_name",
		    dept_name(cfg, p->owner), "eliminated",
		    json_array_size(ps[i].by) > 0, "eliminated_by", ps[i].by,
		    "planned_by", ps[i].planned, "last_success",
		    ps[i].last_ok ? time_json(cfg, ps[i].last_ok) :
		    json_null());
		json_array_append_new(rows, o);
	}
	json_object_set_new(out, "registered",
	    json_integer((json_int_t)points_in_scope(q)));
	json_object_set_new(out, "eliminated", json_integer(elim));
	json_object_set_new(out, "remaining",
	    json_integer((json_int_t)points_in_scope(q) - elim));
	json_object_set_new(out, "window_days",
	    json_integer(cfg->window_days));
	points_free(ps, cfg->npoints);
	return 0;
}

static int
r_surveys(struct rq *q, json_t *out)
{
	int64_t d0 = days_from_civil(q->fy, q->cfg->fy_start_month, 1);
	json_t *rows = json_object_get(out, "rows");
	double eng;
	int64_t resp, n;
	sqlite3_stmt *st;
	char from[16], to[16];
	int rc, ndep;

	date_text(d0, from, sizeof from);
	date_text(d0 + q->days - 1, to, sizeof to);
	st = conn_stmt(q->c, "SELECT id, department, survey_date, respondents,"
	    " positive FROM kpi_surveys WHERE survey_date BETWEEN ?1 AND ?2"
	    IN_SCOPE " ORDER BY survey_date, id");
	bind_text(st, 1, from);
	bind_text(st, 2, to);
	bind_text(st, 9, q->depts);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 3);
		json_array_append_new(rows, json_pack("{s:I, s:s, s:s, s:s,"
		    " s:I, s:I, s:o}", "id",
		    (json_int_t)sqlite3_column_int64(st, 0), "department",
		    col_text(st, 1), "department_name", dept_name(q->cfg,
		    col_text(st, 1)), "survey_date", col_text(st, 2),
		    "respondents", (json_int_t)n, "positive",
		    (json_int_t)sqlite3_column_int64(st, 4), "percent",
		    n > 0 ? num(100.0 * (double)sqlite3_column_int64(st, 4) /
		    (double)n) : json_null()));
	}
	if (rc != SQLITE_DONE)
		return step_fail(q, st);
	sqlite3_reset(st);
	if (engagement(q, &eng, &resp, &ndep) != 0)
		return -1;
	json_object_set_new(out, "engagement_percent", resp > 0 ? num(eng) :
	    json_null());
	json_object_set_new(out, "respondents", json_integer(resp));
	json_object_set_new(out, "departments_surveyed", json_integer(ndep));
	return 0;
}

struct report_def {
	const struct col *cols;
	int (*build)(struct rq *, json_t *);
};

static const struct report_def reports[KPI_R_COUNT] = {
	[KPI_R_OVERVIEW] = { overview_cols, r_overview },
	[KPI_R_YEARS] = { years_cols, r_years },
	[KPI_R_MONTHS] = { months_cols, r_months },
	[KPI_R_DEPARTMENTS] = { dept_cols, r_departments },
	[KPI_R_SCRIPTS] = { script_cols, r_scripts },
	[KPI_R_INPUT_POINTS] = { point_cols, r_points },
	[KPI_R_SURVEYS] = { survey_cols, r_surveys },
};

json_t *
kpi_report(struct conn *c, const struct kpi_config *cfg,
    enum kpi_report_kind kind, int fy, int64_t now, char *err, size_t errlen)
{
	return kpi_report_in(c, cfg, kind, fy, now, NULL, err, errlen);
}

json_t *
kpi_report_in(struct conn *c, const struct kpi_config *cfg,
    enum kpi_report_kind kind, int fy, int64_t now, const char *depts,
    char *err, size_t errlen)
{
	struct rq q;
	json_t *out;
	int64_t end;

	if (kind >= KPI_R_COUNT) {
		snprintf(err, errlen, "unknown report");
		return NULL;
	}
	memset(&q, 0, sizeof q);
	q.c = c;
	q.cfg = cfg;
	q.now = now;
	q.err = err;
	q.errlen = errlen;
	q.depts = depts;
	q.scope = depts != NULL ? json_loads(depts, 0, NULL) : NULL;
	if (depts != NULL && !json_is_array(q.scope)) {
		json_decref(q.scope);
		snprintf(err, errlen, "kpi report: departments: expected a "
		    "JSON array");
		return NULL;
	}
	q.fy = fy != 0 ? fy : kpi_fiscal_year(cfg, kpi_month_of(cfg, now));
	kpi_fy_months(cfg, q.fy, &q.first, &q.last);
	kpi_fy_days(cfg, q.fy, now, &q.days, &q.elapsed);
	end = day_start_ms(cfg, days_from_civil(q.fy + 1,
	    cfg->fy_start_month, 1)) - 1;
	q.asof = now < end ? now : end;
	out = report_head(&q, kind, reports[kind].cols);
	if (reports[kind].build(&q, out) != 0) {
		json_decref(out);
		json_decref(q.scope);
		return NULL;
	}
	if (q.scope != NULL)
		json_object_set_new(out, "departments_shown", q.scope);
	if (kind == KPI_R_SCRIPTS)
		sort_rows(json_object_get(out, "rows"), script_row_cmp);
	return out;
}

/* --- CSV ------------------------------------------------------------------ */

/* One cell's text for a value of a column's kind (a new string). */
static char *
cell(json_t *v, const char *kind, int english)
{
	size_t i;
	json_t *x;
	struct buf b;
	const char *s;

	if (v == NULL || json_is_null(v))
		return xstrdup("");
	if (strcmp(kind, "bool") == 0)
		return xstrdup(json_is_true(v) ? (english ? "yes" : "はい") :
		    (english ? "no" : "いいえ"));
	if (json_is_array(v)) {
		buf_init(&b, 1 << 20);
		json_array_foreach(v, i, x) {
			if (i > 0)
				buf_puts(&b, " ");
			if (json_is_string(x))
				buf_puts(&b, json_string_value(x));
		}
		buf_puts(&b, "");
		return buf_detach(&b, NULL);
	}
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (strcmp(kind, "hours") == 0)
			return xasprintf("%.2f", d);
		if (strcmp(kind, "percent") == 0)
			return xasprintf("%.1f", d);
		if (strcmp(kind, "int") == 0)
			return xasprintf("%.0f", d);
		return xasprintf("%.15g", d);
	}
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "1" : "0");
	s = json_string_value(v);
	if (s == NULL)
		return xstrdup("");
	/* A text cell a spreadsheet would run as a formula is quoted. */
	if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
		return xasprintf("'%s", s);
	return xstrdup(s);
}

char *
kpi_csv(const json_t *report, int english, size_t *len)
{
	json_t *cols = json_object_get(report, "columns");
	json_t *rows = json_object_get(report, "rows"), *row, *c;
	size_t ncols = json_array_size(cols), i, j;
	char **fields = xcalloc(ncols + 1, sizeof *fields);
	struct csv_writer w;
	struct buf b;

	csv_writer_init(&w);
	buf_init(&b, 0);
	buf_puts(&b, "\xef\xbb\xbf");
	json_array_foreach(cols, i, c)
		fields[i] = xstrdup(json_string_value(json_object_get(c,
		    english ? "en" : "ja")));
	csv_write_row(&w, &b, (const char *const *)fields, ncols);
	for (i = 0; i < ncols; i++)
		free(fields[i]);
	json_array_foreach(rows, j, row) {
		json_array_foreach(cols, i, c)
			fields[i] = cell(json_object_get(row,
			    json_string_value(json_object_get(c, "key"))),
			    json_string_value(json_object_get(c, "kind")),
			    english);
		csv_write_row(&w, &b, (const char *const *)fields, ncols);
		for (i = 0; i < ncols; i++)
			free(fields[i]);
	}
	free(fields);
	return buf_detach(&b, len);
}

/* --- surveys -------------------------------------------------------------- */

static int
survey_check(const struct kpi_config *cfg, const char *department,
    const char *date, long respondents, long positive, int *dept,
    const char **field, char *err, size_t errlen)
{
	if ((*dept = kpi_dept_find(cfg, department)) < 0) {
		*field = "department";
		snprintf(err, errlen, "department: unknown department '%s'",
		    department ? department : "");
		return -1;
	}
	if (date == NULL || !text_is_iso_date(date)) {
		*field = "date";
		snprintf(err, errlen, "date: expected YYYY-MM-DD, found '%s'",
		    date ? date : "");
		return -1;
	}
	if (respondents <= 0 || respondents > 10000000) {
		*field = "respondents";
		snprintf(err, errlen, "respondents: expected a count above 0");
		return -1;
	}
	if (positive < 0 || positive > respondents) {
		*field = "positive";
		snprintf(err, errlen, "positive: expected a count from 0 to "
		    "the respondents (%ld)", respondents);
		return -1;
	}
	return 0;
}

static int
survey_insert(struct conn *c, const char *code, const char *date,
    long respondents, long positive, const char *by, int64_t now,
    int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO kpi_surveys (department,"
	    " survey_date, respondents, positive, created_at, created_by)"
	    " VALUES (?, ?, ?, ?, ?, ?)");

	bind_text(st, 1, code);
	bind_text(st, 2, date);
	sqlite3_bind_int64(st, 3, respondents);
	sqlite3_bind_int64(st, 4, positive);
	sqlite3_bind_int64(st, 5, now);
	bind_text(st, 6, by);
	if (conn_step(c, st, err, errlen) != 0)
		return -1;
	if (id != NULL)
		*id = conn_last_id(c);
	return 0;
}

int
kpi_survey_add(struct conn *c, const struct kpi_config *cfg,
    const char *department, const char *date, long respondents,
    long positive, const char *by, int64_t now, int64_t *id, char *err,
    size_t errlen)
{
	const char *field;
	int d;

	if (survey_check(cfg, department, date, respondents, positive, &d,
	    &field, err, errlen) != 0)
		return -1;
	return survey_insert(c, cfg->depts[d].code, date, respondents,
	    positive, by, now, id, err, errlen);
}

/* Header names: English and Japanese. */
static const struct {
	const char	*en;
	const char	*ja;
} survey_fields[4] = {
	{ "department", "部署" },
	{ "date", "調査日" },
	{ "respondents", "回答者数" },
	{ "positive", "肯定回答数" },
};

static int
parse_count(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return *s == '\0' || *end != '\0' || errno != 0 ? -1 : 0;
}

/* The 1-based character column where field i of a record starts. */
static size_t
field_col(const struct csv_row *r, size_t i)
{
	size_t col = 1, k;

	for (k = 0; k < i && k < r->nfields; k++)
		col += text_utf8_chars(r->fields[k], strlen(r->fields[k])) + 1;
	return col;
}

int
kpi_survey_import(struct conn *c, const struct kpi_config *cfg,
    const char *name, const char *text, size_t len, const char *by,
    int64_t now, int *count, char *err, size_t errlen)
{
	struct csv_table t = { NULL, 0 };
	struct csv_error ce;
	const struct csv_row *h, *r;
	size_t i, j;
	int at[4] = { -1, -1, -1, -1 }, k, d, rc = -1;
	const char *field;
	long nresp, npos;
	char msg[256];

	*count = 0;
	/* All rows or none, inside the caller's transaction or not. */
	if (conn_exec(c, "SAVEPOINT kpi_import") != 0)
		return db_fail(c, err, errlen, "survey import");
	if (csv_parse(text, len, ',', &t, &ce) != 0) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", name, ce.line, ce.col,
		    ce.msg);
		goto out;
	}
	if (t.nrows == 0) {
		snprintf(err, errlen, "%s:1:1: no header row (expected "
		    "department,date,respondents,positive)", name);
		goto out;
	}
	h = &t.rows[0];
	for (i = 0; i < h->nfields; i++) {
		for (k = 0; k < 4; k++)
			if (strcmp(h->fields[i], survey_fields[k].en) == 0 ||
			    strcmp(h->fields[i], survey_fields[k].ja) == 0)
				break;
		if (k == 4) {
			snprintf(err, errlen, "%s:%zu:%zu: unknown column '%s' "
			    "(expected department, date, respondents, "
			    "positive)", name, h->line, field_col(h, i),
			    h->fields[i]);
			goto out;
		}
		at[k] = (int)i;
	}
	for (k = 0; k < 4; k++)
		if (at[k] < 0) {
			snprintf(err, errlen, "%s:%zu:1: the header has no "
			    "'%s' column", name, h->line, survey_fields[k].en);
			goto out;
		}
	for (j = 1; j < t.nrows; j++) {
		r = &t.rows[j];
		if (csv_row_is_empty(r))
			continue;
		if (r->nfields != h->nfields) {
			snprintf(err, errlen, "%s:%zu:1: expected %zu fields, "
			    "found %zu", name, r->line, h->nfields, r->nfields);
			goto out;
		}
		if (parse_count(r->fields[at[2]], &nresp) != 0) {
			snprintf(err, errlen, "%s:%zu:%zu: respondents: "
			    "expected a whole number, found '%s'", name, r->line,
			    field_col(r, (size_t)at[2]), r->fields[at[2]]);
			goto out;
		}
		if (parse_count(r->fields[at[3]], &npos) != 0) {
			snprintf(err, errlen, "%s:%zu:%zu: positive: expected "
			    "a whole number, found '%s'", name, r->line,
			    field_col(r, (size_t)at[3]), r->fields[at[3]]);
			goto out;
		}
		if (survey_check(cfg, r->fields[at[0]], r->fields[at[1]], nresp,
		    npos, &d, &field, msg, sizeof msg) != 0) {
			for (k = 0; k < 4; k++)
				if (strcmp(field, survey_fields[k].en) == 0)
					break;
			snprintf(err, errlen, "%s:%zu:%zu: %s", name, r->line,
			    field_col(r, (size_t)at[k < 4 ? k : 0]), msg);
			goto out;
		}
		if (survey_insert(c, cfg->depts[d].code, r->fields[at[1]],
		    nresp, npos, by, now, NULL, err, errlen) != 0)
			goto out;
		(*count)++;
	}
	rc = 0;
out:
	csv_table_free(&t);
	if (rc != 0) {
		conn_exec(c, "ROLLBACK TO kpi_import");
		*count = 0;
	}
	conn_exec(c, "RELEASE kpi_import");
	return rc;
}

int
kpi_survey_delete(struct conn *c, int64_t id)
{
	sqlite3_stmt *st = conn_stmt(c, "DELETE FROM kpi_surveys WHERE id = ?");
	char err[128];

	sqlite3_bind_int64(st, 1, id);
	if (conn_step(c, st, err, sizeof err) != 0)
		return -1;
	return conn_changes(c) > 0 ? 0 : -1;
}
