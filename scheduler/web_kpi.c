/*
 * web_kpi.c - the KPI routes: the configuration, the reports (JSON or
 * CSV), the satisfaction surveys and the minutes spent fixing a run (see
 * docs/kpi.md).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <microhttpd.h>

#include "textutil.h"
#include "timeutil.h"
#include "web_int.h"
#include "xmalloc.h"

/* Monotonic milliseconds with a fraction, for Server-Timing. */
static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The time spent building a report, for the browser's tools and benches. */
static void
server_timing(struct web_req *r, double t0)
{
	char v[64];

	snprintf(v, sizeof v, "report;dur=%.3f", mono_ms() - t0);
	web_add_header(r, "Server-Timing", v);
}

void
web_h_kpi_config(struct web *w, struct web_req *r)
{
	web_reply_json(r, MHD_HTTP_OK, kpi_config_json(w->kpi));
}

struct reportq {
	struct web		*w;
	const struct perm	*perm;	/* a caller who sees only some */
	enum kpi_report_kind	 kind;
	int			 fy;
	int64_t			 now;
	json_t			*out;
	char			 err[256];
};

/*
 * The department texts of the ledger and the surveys (and the tree's
 * codes, for the registry's owners) that are of the caller's departments:
 * JSON text, to be freed.
 */
static char *
scope_of(struct conn *c, const struct kpi_config *kpi, const struct perm *p)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT DISTINCT department FROM"
	    " kpi_rollup UNION SELECT department FROM kpi_surveys");
	json_t *a = json_array();
	char code[PERM_DEPT_MAX], *text;
	size_t i;

	while (sqlite3_step(st) == SQLITE_ROW) {
		perm_dept_code(kpi, col_text(st, 0), code, sizeof code);
		if (code[0] != '\0' && perm_allows(kpi, p, code, ROLE_VIEWER))
			json_array_append_new(a, json_string(col_text(st, 0)));
	}
	sqlite3_reset(st);
	for (i = 0; i < kpi->ndepts; i++)
		if (perm_allows(kpi, p, kpi->depts[i].code, ROLE_VIEWER))
			json_array_append_new(a,
			    json_string(kpi->depts[i].code));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

static int
report_read(struct conn *c, void *p)
{
	struct reportq *q = p;
	char *depts = q->perm ? scope_of(c, q->w->kpi, q->perm) : NULL;

	q->out = kpi_report_in(c, q->w->kpi, q->kind, q->fy, q->now, depts,
	    q->err, sizeof q->err);
	free(depts);
	return q->out ? 0 : -1;
}

void
web_h_kpi_report(struct web *w, struct web_req *r)
{
	const char *year = web_value(r->src, MHD_GET_ARGUMENT_KIND, "year");
	const char *fmt = web_value(r->src, MHD_GET_ARGUMENT_KIND, "format");
	const char *lang = web_value(r->src, MHD_GET_ARGUMENT_KIND, "lang");
	char name[64], *dot, *csv, *disp;
	struct reportq q;
	json_t *some;
	size_t len;
	int want_csv = 0;
	long fy = 0;
	char *end;
	double t0 = mono_ms();

	snprintf(name, sizeof name, "%s", r->args[0]);
	if ((dot = strrchr(name, '.')) != NULL && strcmp(dot, ".csv") == 0) {
		*dot = '\0';
		want_csv = 1;
	}
	if (fmt != NULL) {
		if (strcmp(fmt, "csv") == 0)
			want_csv = 1;
		else if (strcmp(fmt, "json") != 0) {
			web_reply_error(r, MHD_HTTP_BAD_REQUEST, "format: "
			    "expected json or csv, not '%s'", fmt);
			return;
		}
	}
	memset(&q, 0, sizeof q);
	if (kpi_report_parse(name, &q.kind) != 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no report '%s' (known: "
		    "overview, years, months, departments, scripts, "
		    "input_points, surveys)", name);
		return;
	}
	if (year != NULL) {
		errno = 0;
		fy = strtol(year, &end, 10);
		if (errno != 0 || *end != '\0' || fy < 2000 || fy > 2200) {
			web_reply_error(r, MHD_HTTP_BAD_REQUEST, "year: expected "
			    "a fiscal year from 2000 to 2200, not '%s'", year);
			return;
		}
	}
	if (lang != NULL && strcmp(lang, "en") != 0 && strcmp(lang, "ja") != 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "lang: expected ja or "
		    "en, not '%s'", lang);
		return;
	}
	q.w = w;
	q.fy = (int)fy;
	q.now = r->now;
	/* Managers see every figure, others their departments'. */
	if (!perm_sees_all_kpi(&r->who.perm)) {
		if (perm_top(&r->who.perm) < ROLE_VIEWER) {
			web_reply_error(r, MHD_HTTP_FORBIDDEN, "'%s' holds no "
			    "role in any department and is not a manager",
			    r->who.name);
			return;
		}
		if ((some = perm_depts(w->kpi, &r->who.perm,
		    ROLE_VIEWER)) != NULL)
			q.perm = &r->who.perm;
		json_decref(some);
	}
	if (store_read(w->st, report_read, &q) != 0) {
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", q.err);
		return;
	}
	if (!want_csv) {
		web_reply_json(r, MHD_HTTP_OK, q.out);
		server_timing(r, t0);
		return;
	}
	csv = kpi_csv(q.out, lang != NULL && strcmp(lang, "en") == 0, &len);
	disp = xasprintf("attachment; filename=\"kobito-kpi-%s-%lld.csv\"",
	    kpi_report_name(q.kind), (long long)json_integer_value(
	    json_object_get(q.out, "fiscal_year")));
	json_decref(q.out);
	web_reply_raw(r, MHD_HTTP_OK, csv, len, "text/csv; charset=utf-8");
	web_add_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	free(disp);
	server_timing(r, t0);
}

struct surveyw {
	struct web	*w;
	const char	*department, *date;
	long		 respondents, positive;
};

static int
survey_write(struct conn *c, struct web_req *r, void *p)
{
	struct surveyw *s = p;
	char err[256];
	int64_t id;

	if (kpi_survey_add(c, s->w->kpi, s->department, s->date,
	    s->respondents, s->positive, r->who.name, r->now, &id, err,
	    sizeof err) != 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	web_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:I}", "id",
	    (json_int_t)id));
	json_object_set_new(r->detail, "id", json_integer(id));
	return 0;
}

static int
count_member(struct web_req *r, const char *key, long *out)
{
	json_t *v = json_object_get(r->in, key);

	if (v == NULL || !json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 10000000) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected a count "
		    "from 0 to 10000000", key);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

void
web_h_survey_add(struct web *w, struct web_req *r)
{
	struct surveyw s;

	s.w = w;
	s.department = web_in_string(r, "department", 127);
	s.date = web_in_string(r, "date", 10);
	if (s.department == NULL || s.date == NULL) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "department and date "
		    "(YYYY-MM-DD): required strings");
		return;
	}
	if (count_member(r, "respondents", &s.respondents) != 0 ||
	    count_member(r, "positive", &s.positive) != 0)
		return;
	r->detail = json_pack("{s:s, s:s}", "department", s.department, "date",
	    s.date);
	r->write(r, survey_write, &s);
}

struct importw {
	struct web	*w;
	int		 n;
};

static int
import_write(struct conn *c, struct web_req *r, void *p)
{
	struct importw *im = p;
	char err[512];

	if (kpi_survey_import(c, im->w->kpi, "surveys.csv", r->body,
	    r->bodylen, r->who.name, r->now, &im->n, err, sizeof err) != 0) {
		web_reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT, json_pack(
		    "{s:s, s:[s]}", "error", "the survey file does not import",
		    "errors", err));
		return -1;
	}
	web_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:i}", "imported",
	    im->n));
	r->detail = json_pack("{s:i}", "imported", im->n);
	return 0;
}

void
web_h_survey_import(struct web *w, struct web_req *r)
{
	struct importw im = { w, 0 };

	if (r->body == NULL || r->bodylen == 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "the body must be the "
		    "CSV file (department,date,respondents,positive)");
		return;
	}
	r->write(r, import_write, &im);
}

static int
survey_delete_write(struct conn *c, struct web_req *r, void *p)
{
	int64_t id = *(int64_t *)p;

	if (kpi_survey_delete(c, id) != 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no survey %lld",
		    (long long)id);
		return -1;
	}
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:I}", "deleted",
	    (json_int_t)id));
	return 0;
}

void
web_h_survey_delete(struct web *w, struct web_req *r)
{
	int64_t id = text_parse_id(r->args[0]);

	(void)w;
	if (id == 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no survey '%s'",
		    r->args[0]);
		return;
	}
	r->detail = json_pack("{s:I}", "id", (json_int_t)id);
	r->write(r, survey_delete_write, &id);
}

struct fixw {
	const struct kpi_config	*kpi;
	int64_t			 run;
	double			 minutes;
};

/*
 * The minutes count against the run's department's hours: only its own
 * engineers (or those of a department above it) and admins enter them,
 * and the audit row keeps the figure replaced.
 */
static int
fix_write(struct conn *c, struct web_req *r, void *p)
{
	struct fixw *f = p;
	char err[256], dept[256], code[PERM_DEPT_MAX];
	double old;

	if (kpi_run_department(c, f->run, dept, sizeof dept) != 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "run %lld has no ledger "
		    "row (not finished, or no such run)", (long long)f->run);
		return -1;
	}
	json_object_set_new(r->detail, "department", json_string(dept));
	perm_dept_code(f->kpi, dept, code, sizeof code);
	if (!perm_allows(f->kpi, &r->who.perm, code, ROLE_ENGINEER)) {
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "run %lld is of "
		    "department '%s': only its engineers and admins may enter "
		    "its exception minutes", (long long)f->run, dept);
		return -1;
	}
	if (kpi_set_fix_minutes(c, f->run, f->minutes, &old, err,
	    sizeof err) != 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	json_object_set_new(r->detail, "old_minutes", json_real(old));
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:f}", "run",
	    (json_int_t)f->run, "fix_minutes", f->minutes));
	return 0;
}

void
web_h_fix_minutes(struct web *w, struct web_req *r)
{
	json_t *m = json_object_get(r->in, "minutes");
	struct fixw f;

	f.kpi = w->kpi;
	f.run = text_parse_id(r->args[0]);
	if (f.run == 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no run '%s'", r->args[0]);
		return;
	}
	if (m == NULL || !json_is_number(m)) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "minutes: expected a "
		    "number");
		return;
	}
	f.minutes = json_number_value(m);
	r->detail = json_pack("{s:I, s:f}", "run", (json_int_t)f.run,
	    "minutes", f.minutes);
	r->write(r, fix_write, &f);
}
