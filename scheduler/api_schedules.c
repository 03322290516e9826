/*
 * api_schedules.c - schedules (see api_schedules.h and docs/schedules.md).
 * A schedule belongs to a department (its script's, unless the body
 * names another): that department's engineers make, change and delete
 * it, and its jobs run for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_jobs.h"
#include "api_schedules.h"
#include "cron.h"
#include "schedules.h"
#include "textutil.h"
#include "timeutil.h"

/*
 * The department of the schedule in the body: the one it names, else its
 * script's; the caller must be an engineer there, and of the schedule it
 * replaces.  0, or -1 with the reply made.
 */
static int
schedule_dept(struct conn *c, struct api *a, struct req *r, char *dept,
    size_t len)
{
	const char *name = json_string_value(json_object_get(r->in, "name"));
	const char *script = json_string_value(json_object_get(r->in,
	    "script"));
	json_t *want = json_object_get(r->in, "department");
	struct perm_obj o;

	if (want != NULL && !json_is_null(want) && !json_is_string(want)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "department: expected "
		    "a department's code, name or path");
		return -1;
	}
	if (json_is_string(want))
		perm_dept_code(a->kpi, json_string_value(want), dept, len);
	else if (script != NULL && perm_object(c, a->kpi, "script", script,
	    &o) == 1)
		snprintf(dept, len, "%s", o.dept);
	else
		snprintf(dept, len, "%s", "");
	if (api_perm_need(a, r, dept, ROLE_ENGINEER, "schedule", name) != 0)
		return -1;
	if (name != NULL && perm_object(c, a->kpi, "schedule", name, &o) == 1 &&
	    api_perm_need(a, r, o.dept, ROLE_ENGINEER, "schedule", name) != 0)
		return -1;
	return 0;
}

static int
schedule_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	json_t *errors = json_array(), *def;
	char err[256], dept[PERM_DEPT_MAX];
	sqlite3_stmt *st;
	int created;

	(void)p;
	if (schedule_dept(c, a, r, dept, sizeof dept) != 0) {
		json_decref(errors);
		return -1;
	}
	def = sched_check(a->sched, c, a->sc, r->in, errors);
	if (def == NULL) {
		api_reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT,
		    json_pack("{s:s, s:o}", "error",
		    "schedule does not validate", "errors", errors));
		return -1;
	}
	json_decref(errors);
	if (sched_put(a->sched, c, def, "api", time_wall_ms(), &created, err,
	    sizeof err) != 0) {
		json_decref(def);
		api_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "%s", err);
		return -1;
	}
	st = conn_stmt(c, "UPDATE schedules SET department = ? WHERE name = ?");
	bind_text(st, 1, dept);
	bind_text(st, 2, json_string_value(json_object_get(def, "name")));
	if (conn_step(c, st, err, sizeof err) != 0) {
		json_decref(def);
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	json_object_set_new(r->detail, "department", json_string(dept));
	api_reply_json(r, created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    sched_get(c, a->tf, json_string_value(json_object_get(def,
	    "name"))));
	json_decref(def);
	return 0;
}

enum hres
api_h_schedule_put(struct api *a, struct req *r)
{
	json_t *name = json_object_get(r->in, "name");

	r->detail = json_pack("{s:O?}", "name", name);
	api_write_audited(a, r, schedule_write, NULL);
	return H_DONE;
}

static int
schedule_delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	(void)a;
	(void)p;
	return api_reply_deleted(r, sched_delete(c, r->args[0]) == 0,
	    "schedule");
}

enum hres
api_h_schedule_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	api_write_audited(a, r, schedule_delete_write, NULL);
	return H_DONE;
}

/* The schedules of the caller's departments. */
static json_t *
schedules_read(struct conn *c, struct api_readq *q)
{
	json_t *out = sched_list(c, q->a->tf), *list, *s;
	const char *dept;
	size_t i;

	list = json_object_get(out, "schedules");
	for (i = json_array_size(list); i-- > 0; ) {
		s = json_array_get(list, i);
		dept = json_string_value(json_object_get(s, "department"));
		if (!perm_allows(q->a->kpi, &q->r->who.perm, dept ? dept : "",
		    ROLE_VIEWER))
			json_array_remove(list, i);
		else
			json_object_set_new(s, "may_edit", json_boolean(
			    perm_allows(q->a->kpi, &q->r->who.perm, dept ?
			    dept : "", ROLE_ENGINEER)));
	}
	return out;
}

enum hres
api_h_schedules(struct api *a, struct req *r)
{
	return api_read(a, r, schedules_read, 0, "schedules");
}

/* --- pause, resume, run now ------------------------------------------------ */

static int
enable_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	int enabled = *(int *)p;
	char err[256];

	if (sched_set_enabled(a->sched, c, r->args[0], enabled, time_wall_ms(),
	    err, sizeof err) != 0) {
		api_reply_error(r, strncmp(err, "no schedule", 11) == 0 ?
		    MHD_HTTP_NOT_FOUND : MHD_HTTP_UNPROCESSABLE_CONTENT, "%s",
		    err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, sched_get(c, a->tf, r->args[0]));
	return 0;
}

static enum hres
set_enabled(struct api *a, struct req *r, int enabled)
{
	r->detail = json_pack("{s:s, s:b}", "name", r->args[0], "enabled",
	    enabled);
	api_write_audited(a, r, enable_write, &enabled);
	return H_DONE;
}

enum hres
api_h_schedule_pause(struct api *a, struct req *r)
{
	return set_enabled(a, r, 0);
}

enum hres
api_h_schedule_resume(struct api *a, struct req *r)
{
	return set_enabled(a, r, 1);
}

struct nowq {
	const char	*name;
	json_t		*body;		/* the trigger's */
	char		*digest;	/* pinned, or NULL */
};

static int
now_read(struct conn *c, void *p)
{
	struct nowq *q = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT script, params, priority,"
	    " max_attempts, timeout_ms, coalesce(department, ''), digest"
	    " FROM schedules WHERE name = ?");

	bind_text(st, 1, q->name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		q->body = json_pack("{s:s, s:o, s:i, s:s}", "script",
		    col_text(st, 0), "params", json_loads(col_text(st, 1), 0,
		    NULL), "priority", sqlite3_column_int(st, 2),
		    "department", col_text(st, 5));
		if (sqlite3_column_int(st, 3) > 0)
			json_object_set_new(q->body, "max_attempts",
			    json_integer(sqlite3_column_int(st, 3)));
		if (sqlite3_column_int64(st, 4) > 0)
			json_object_set_new(q->body, "timeout_ms",
			    json_integer(sqlite3_column_int64(st, 4)));
		q->digest = col_strdup(st, 6);
	}
	sqlite3_reset(st);
	return 0;
}

/*
 * Run a schedule's job now, as its next fire would (its script, pinned
 * version, params, priority), triggered by the caller; the schedule's
 * own times are left as they are.
 */
enum hres
api_h_schedule_run(struct api *a, struct req *r)
{
	struct nowq q;

	memset(&q, 0, sizeof q);
	q.name = r->args[0];
	store_read(a->st, now_read, &q);
	if (q.body == NULL) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no schedule '%s'",
		    r->args[0]);
		api_audit_refusal(a, r);
		return H_DONE;
	}
	if (json_string_length(json_object_get(q.body, "department")) == 0)
		json_object_del(q.body, "department");
	api_trigger_from(a, r, q.body, 0, q.digest);
	json_decref(q.body);
	free(q.digest);
	return H_DONE;
}

/* --- the next fire times of a cron expression -------------------------------- */

/* Most fire times one call computes. */
#define NEXT_MAX	20

/*
 * GET /api/cron/next?cron=&tz=&calendar=&closures=&n=: what a schedule
 * with these would fire at, as the dashboard shows while one is typed.
 */
enum hres
api_h_cron_next(struct api *a, struct req *r)
{
	const char *expr = api_query_arg(r, "cron");
	const char *tz = api_query_arg(r, "tz");
	const char *cal = api_query_arg(r, "calendar");
	const char *cl = api_query_arg(r, "closures");
	const char *nv = api_query_arg(r, "n");
	json_t *closures = json_array(), *next = json_array();
	char err[256], buf[48], one[16];
	const char *p, *comma;
	int64_t t = time_wall_ms(), at;
	long n = 5;
	int i;

	if (tz == NULL || *tz == '\0')
		tz = CRON_DEFAULT_TZ;
	if (cal == NULL || *cal == '\0')
		cal = "none";
	if (nv != NULL && ((n = (long)text_parse_id(nv)) < 1 || n > NEXT_MAX)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "n: expected 1-%d",
		    NEXT_MAX);
		goto done;
	}
	if (expr == NULL || *expr == '\0') {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "cron: required");
		goto done;
	}
	for (p = cl; p != NULL && *p != '\0'; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		snprintf(one, sizeof one, "%.*s", comma ? (int)(comma - p) :
		    (int)strlen(p), p);
		json_array_append_new(closures, json_string(one));
	}
	for (i = 0; i < n; i++) {
		if (sched_next(a->sched, expr, tz, cal, closures, t, &at, err,
		    sizeof err) != 0) {
			if (i == 0) {
				api_reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT,
				    json_pack("{s:s, s:[s]}", "error", "the "
				    "schedule does not validate", "errors",
				    err));
				goto done;
			}
			break;	/* fewer fire times than asked */
		}
		sched_format(a->sched, tz, at, buf, sizeof buf);
		json_array_append_new(next, json_string(buf));
		t = at;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:s, s:O}",
	    "cron", expr, "tz", tz, "calendar", cal, "next", next));
done:
	json_decref(closures);
	json_decref(next);
	return H_DONE;
}
