/*
 * api_control.c - retry, run again, and the same for many jobs at once
 * (see api_control.h).  A retry queues the same version of the script
 * with the same params, for the same department, and records which job it
 * repeats; a run again goes through the trigger (api_jobs.c), so that the
 * script's current version checks the params.  A bulk action runs in one
 * transaction, each job in a savepoint of its own: one refused leaves the
 * others done, and the audit row lists what happened to each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_agents.h"
#include "api_audit.h"
#include "api_control.h"
#include "api_jobs.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Most jobs one bulk action takes. */
#define BULK_MAX	500

/* The outcome of acting on one job. */
struct one {
	int		 status;	/* HTTP status of this job's part */
	char		 err[256];
	int64_t		 new_id;	/* a retry's job */
	enum job_state	 state;		/* a cancel's */
};

/* Whether the caller holds the operator role on job id (403 if not). */
static int
may_operate(struct conn *c, struct api *a, struct req *r, int64_t id,
    struct one *o)
{
	struct perm_obj po;
	char key[32];

	snprintf(key, sizeof key, "%lld", (long long)id);
	if (perm_object(c, a->kpi, "job", key, &po) != 1) {
		o->status = MHD_HTTP_NOT_FOUND;
		snprintf(o->err, sizeof o->err, "no job %lld", (long long)id);
		return 0;
	}
	if (perm_on(a->kpi, &r->who.perm, r->who.name, &po) >= ROLE_OPERATOR)
		return 1;
	o->status = MHD_HTTP_FORBIDDEN;
	snprintf(o->err, sizeof o->err, "job %lld belongs to department "
	    "'%s', where '%s' is not an operator", (long long)id, po.dept,
	    r->who.name);
	return 0;
}

/*
 * Queue job id again as it was: its version, params, priority, attempts,
 * timeout and department.  Only a job that ended without success.
 */
static void
retry_one(struct conn *c, struct api *a, struct req *r, int64_t id,
    struct one *o)
{
	sqlite3_stmt *st;
	struct job_spec js;
	enum job_state s = JOB_QUEUED;
	json_t *params = NULL, *req = NULL;
	char *script = NULL, *digest = NULL, *dept = NULL, *by;
	int created, rc, found;

	memset(o, 0, sizeof *o);
	if (!may_operate(c, a, r, id, o))
		return;
	st = conn_stmt(c, "SELECT state, script, digest, params, requires,"
	    " priority, max_attempts, backoff_ms, backoff_max_ms, timeout_ms,"
	    " department FROM jobs WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	memset(&js, 0, sizeof js);
	if ((found = sqlite3_step(st) == SQLITE_ROW) &&
	    job_state_parse(col_text(st, 0), &s) == 0) {
		script = col_strdup(st, 1);
		digest = col_strdup(st, 2);
		params = json_loads(col_text(st, 3), 0, NULL);
		req = json_loads(col_text(st, 4), 0, NULL);
		js.priority = sqlite3_column_int(st, 5);
		js.max_attempts = sqlite3_column_int(st, 6);
		js.backoff_ms = sqlite3_column_int64(st, 7);
		js.backoff_max_ms = sqlite3_column_int64(st, 8);
		js.timeout_ms = sqlite3_column_int64(st, 9);
		dept = col_strdup(st, 10);
	}
	sqlite3_reset(st);
	if (!found || script == NULL) {
		o->status = MHD_HTTP_NOT_FOUND;
		snprintf(o->err, sizeof o->err, "no job %lld", (long long)id);
		goto done;
	}
	if (s != JOB_FAILED && s != JOB_TIMED_OUT && s != JOB_CANCELLED) {
		o->status = MHD_HTTP_CONFLICT;
		snprintf(o->err, sizeof o->err, "job %lld is %s: only a failed, "
		    "timed out or cancelled job is retried (run it again "
		    "instead)", (long long)id, job_state_name(s));
		goto done;
	}
	by = xasprintf("user:%s", r->who.name);
	js.script = script;
	js.digest = digest;
	js.params = params;
	js.requires = req;
	js.triggered_by = by;
	js.department = dept;
	rc = jobs_create(c, &js, time_wall_ms(), &o->new_id, &created, o->err,
	    sizeof o->err);
	free(by);
	if (rc != JOBS_OK) {
		o->status = api_jobs_status(rc);
		goto done;
	}
	st = conn_stmt(c, "UPDATE jobs SET retry_of = ? WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, o->new_id);
	if (conn_step(c, st, o->err, sizeof o->err) != 0) {
		o->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		goto done;
	}
	o->status = MHD_HTTP_CREATED;
done:
	free(script);
	free(digest);
	free(dept);
	json_decref(params);
	json_decref(req);
}

static void
cancel_one(struct conn *c, struct api *a, struct req *r, int64_t id,
    struct one *o)
{
	char *why;
	int rc;

	memset(o, 0, sizeof *o);
	if (!may_operate(c, a, r, id, o))
		return;
	why = xasprintf("%s (bulk)", r->who.name);
	rc = jobs_cancel(c, id, why, time_wall_ms(), &o->state, o->err,
	    sizeof o->err);
	free(why);
	o->status = rc == JOBS_OK ? MHD_HTTP_OK : api_jobs_status(rc);
}

/* --- one job --------------------------------------------------------------- */

struct retryw {
	int64_t		 id;
	struct one	 o;
};

static int
retry_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct retryw *w = p;

	retry_one(c, a, r, w->id, &w->o);
	if (w->o.status != MHD_HTTP_CREATED) {
		api_reply_error(r, w->o.status, "%s", w->o.err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:I, s:s, s:I}",
	    "job_id", (json_int_t)w->o.new_id, "state", "queued", "retry_of",
	    (json_int_t)w->id));
	json_object_set_new(r->detail, "job_id", json_integer(w->o.new_id));
	return 0;
}

enum hres
api_h_retry(struct api *a, struct req *r)
{
	struct retryw w;

	memset(&w, 0, sizeof w);
	if ((w.id = text_parse_id(r->args[0])) == 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no job '%s'",
		    r->args[0]);
		api_audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I}", "retry_of", (json_int_t)w.id);
	api_write_audited(a, r, retry_write, &w);
	if (r->status == MHD_HTTP_CREATED) {
		INC(a->m.triggered);
		api_wake(a, NULL, 1);
	}
	return H_DONE;
}

struct againq {
	int64_t		 id;
	json_t		*body;	/* the trigger's, or NULL: no such job */
	char		*digest;
};

/* The job as a trigger's body: its script, params, priority, ... */
static int
again_read(struct conn *c, void *p)
{
	struct againq *q = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT script, params, priority,"
	    " max_attempts, backoff_ms, timeout_ms, department"
	    " FROM jobs WHERE id = ?");

	sqlite3_bind_int64(st, 1, q->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		q->body = json_pack("{s:s, s:o, s:i, s:i, s:I, s:I, s:s}",
		    "script", col_text(st, 0), "params", json_loads(col_text(st,
		    1), 0, NULL), "priority", sqlite3_column_int(st, 2),
		    "max_attempts", sqlite3_column_int(st, 3), "backoff_ms",
		    (json_int_t)sqlite3_column_int64(st, 4), "timeout_ms",
		    (json_int_t)sqlite3_column_int64(st, 5), "department",
		    col_text(st, 6));
	sqlite3_reset(st);
	return 0;
}

/*
 * Run a job again: its script's current version, with the params sent
 * (checked by that version), else the job's; the trigger says the rest.
 */
enum hres
api_h_rerun(struct api *a, struct req *r)
{
	struct againq q;
	json_t *params = json_object_get(r->in, "params");

	memset(&q, 0, sizeof q);
	if ((q.id = text_parse_id(r->args[0])) != 0)
		store_read(a->st, again_read, &q);
	if (q.body == NULL) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no job '%s'",
		    r->args[0]);
		api_audit_refusal(a, r);
		return H_DONE;
	}
	if (params != NULL && !json_is_null(params)) {
		if (!json_is_object(params)) {
			json_decref(q.body);
			api_reply_error(r, MHD_HTTP_BAD_REQUEST, "params: "
			    "expected an object of the script's params");
			api_audit_refusal(a, r);
			return H_DONE;
		}
		json_object_set(q.body, "params", params);
	}
	if (json_string_length(json_object_get(q.body, "department")) == 0)
		json_object_del(q.body, "department");
	api_trigger_from(a, r, q.body, q.id, NULL);
	json_decref(q.body);
	return H_DONE;
}

/* --- many jobs --------------------------------------------------------------- */

struct bulkw {
	const char	*action;	/* "cancel" or "retry" */
	json_t		*ids;		/* of the jobs asked for */
	json_t		*results;
	int		 created;
};

/* A time member of the filter: 0 and *ms, or -1 with the reply made. */
static int
filter_time(struct api *a, struct req *r, json_t *filter, const char *key,
    int64_t *ms)
{
	json_t *v = json_object_get(filter, key);

	*ms = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v) && tfmt_parse(a->tf, json_string_value(v),
	    ms) == 0)
		return 0;
	api_reply_error(r, MHD_HTTP_BAD_REQUEST, "filter.%s: expected a date "
	    "YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS][+09:00]", key);
	return -1;
}

/* The ids of the jobs the filter finds, of the caller's departments. */
static int
filter_ids(struct conn *c, struct api *a, struct req *r, json_t *filter,
    json_t *ids)
{
	struct query_filter f;
	json_t *found, *j, *sub = NULL;
	char *depts, *subtext = NULL, me[160];
	size_t i;

	memset(&f, 0, sizeof f);
	if (!json_is_object(filter)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "filter: expected an "
		    "object like the job list's query (state, script, "
		    "department, agent, q, since, until, mine)");
		return -1;
	}
	if (filter_time(a, r, filter, "since", &f.since) != 0 ||
	    filter_time(a, r, filter, "until", &f.until) != 0)
		return -1;
	f.state = json_string_value(json_object_get(filter, "state"));
	f.script = json_string_value(json_object_get(filter, "script"));
	f.agent = json_string_value(json_object_get(filter, "agent"));
	f.text = json_string_value(json_object_get(filter, "q"));
	f.mine = json_is_true(json_object_get(filter, "mine"));
	if (json_is_string(json_object_get(filter, "department"))) {
		sub = perm_subtree(a->kpi, json_string_value(json_object_get(
		    filter, "department")));
		f.department = subtext = json_dumps(sub, JSON_COMPACT);
		json_decref(sub);
	}
	f.limit = BULK_MAX;
	snprintf(me, sizeof me, "user:%s", r->who.name);
	f.me = me;
	f.depts = depts = api_perm_depts(a, r, ROLE_OPERATOR);
	found = query_jobs(c, a->tf, &f);
	free(depts);
	free(subtext);
	json_array_foreach(json_object_get(found, "jobs"), i, j)
		json_array_append(ids, json_object_get(j, "id"));
	json_decref(found);
	return 0;
}

static int
bulk_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct bulkw *b = p;
	json_t *idv, *res;
	struct one o;
	size_t i;
	int64_t id;

	b->results = json_array();
	json_array_foreach(b->ids, i, idv) {
		id = json_integer_value(idv);
		conn_step(c, conn_stmt(c, "SAVEPOINT bulk"), NULL, 0);
		if (strcmp(b->action, "retry") == 0)
			retry_one(c, a, r, id, &o);
		else
			cancel_one(c, a, r, id, &o);
		if (o.status >= 300)
			conn_step(c, conn_stmt(c, "ROLLBACK TO bulk"), NULL, 0);
		conn_step(c, conn_stmt(c, "RELEASE bulk"), NULL, 0);
		res = json_pack("{s:I, s:i}", "job_id", (json_int_t)id,
		    "status", o.status);
		if (o.status >= 300)
			json_object_set_new(res, "error", json_string(o.err));
		else if (o.new_id > 0) {
			json_object_set_new(res, "new_job_id",
			    json_integer(o.new_id));
			b->created++;
		} else
			json_object_set_new(res, "state",
			    json_string(job_state_name(o.state)));
		json_array_append_new(b->results, res);
	}
	json_object_set(r->detail, "results", b->results);
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:O}", "action",
	    b->action, "results", b->results));
	return 0;
}

/* The ids of the body's "ids": 0, or -1 with the reply made. */
static int
body_ids(struct req *r, json_t *in, json_t *ids)
{
	json_t *v;
	size_t i;

	if (!json_is_array(in) || json_array_size(in) > BULK_MAX)
		goto bad;
	json_array_foreach(in, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			goto bad;
		json_array_append(ids, v);
	}
	return 0;
bad:
	api_reply_error(r, MHD_HTTP_BAD_REQUEST, "ids: expected a list of at "
	    "most %d job ids", BULK_MAX);
	return -1;
}

struct bulkq {
	struct api	*a;
	struct req	*r;
	json_t		*filter, *ids;
	int		 rc;
};

static int
bulk_filter_read(struct conn *c, void *p)
{
	struct bulkq *q = p;

	q->rc = filter_ids(c, q->a, q->r, q->filter, q->ids);
	return 0;
}

enum hres
api_h_bulk(struct api *a, struct req *r)
{
	struct bulkw b;
	struct bulkq q;
	const char *action;

	memset(&b, 0, sizeof b);
	b.ids = json_array();
	if (api_in_str(r, "action", 1, 16, &action) != 0)
		goto refused;
	if (strcmp(action, "cancel") != 0 && strcmp(action, "retry") != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "action: expected "
		    "cancel or retry, not '%s'", action);
		goto refused;
	}
	b.action = action;
	if (json_object_get(r->in, "ids") != NULL) {
		if (body_ids(r, json_object_get(r->in, "ids"), b.ids) != 0)
			goto refused;
	} else if (json_object_get(r->in, "filter") != NULL) {
		/* The filter is read in its own snapshot; each job's part
		 * checks again what it acts on. */
		memset(&q, 0, sizeof q);
		q.a = a;
		q.r = r;
		q.filter = json_object_get(r->in, "filter");
		q.ids = b.ids;
		store_read(a->st, bulk_filter_read, &q);
		if (q.rc != 0)
			goto refused;
	} else {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "ids or filter: "
		    "required (the jobs to act on)");
		goto refused;
	}
	r->detail = json_pack("{s:s, s:O}", "action", action, "ids", b.ids);
	api_write_audited(a, r, bulk_write, &b);
	if (b.created > 0 && r->status == MHD_HTTP_OK) {
		ADD(a->m.triggered, (uint64_t)b.created);
		api_wake(a, NULL, b.created);
	}
	json_decref(b.ids);
	json_decref(b.results);
	return H_DONE;
refused:
	json_decref(b.ids);
	api_audit_refusal(a, r);
	return H_DONE;
}
