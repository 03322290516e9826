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
#include "api_schedules.h"
#include "schedules.h"
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
	if (sched_delete(c, r->args[0]) != 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no schedule '%s'",
		    r->args[0]);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "deleted",
	    r->args[0]));
	return 0;
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
