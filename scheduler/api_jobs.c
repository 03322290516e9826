/*
 * api_jobs.c - jobs (see api_jobs.h): triggering by people and by running
 * jobs (children), cancelling, reading.  A trigger that finds an agent
 * waiting leases the job to it in its own transaction (direct hand-off).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_agents.h"
#include "api_audit.h"
#include "api_jobs.h"
#include "api_runs.h"
#include "scripts.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

struct trig {
	struct job_spec	 js;
	char		 digest[65];
	json_t		*given;		/* the params as sent */
	json_t		*params;	/* checked */
	json_t		*requires;
	const char	*parent_token;	/* children: the parent's lease */
	const char	*want;		/* the department asked for, or NULL */
	int64_t		 again_of;	/* the job this one runs again, or 0 */
	const char	*pin;		/* the version to run, or NULL */
	char		 dept[PERM_DEPT_MAX];
	int64_t		 id;
	int		 created;
	struct req	*handoff;	/* a waiting agent leased for */
	struct leasew	 lw;
};

/*
 * The department the job runs for: a child's is its parent's; a person
 * runs a bot of a department where they are an operator, or a shared one
 * for one of theirs.
 */
static int
trigger_dept(struct conn *c, struct api *a, struct req *r, struct trig *t)
{
	struct perm_obj o;
	sqlite3_stmt *st;
	char err[256];

	if (t->js.parent_job_id > 0) {
		st = conn_stmt(c, "SELECT coalesce(department, '') FROM jobs"
		    " WHERE id = ?");
		sqlite3_bind_int64(st, 1, t->js.parent_job_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(t->dept, sizeof t->dept, "%s", col_text(st, 0));
		sqlite3_reset(st);
		return 0;
	}
	if (perm_object(c, a->kpi, "script", t->js.script, &o) != 1)
		return 0;	/* trigger_check says 404 */
	switch (perm_job_dept(a->kpi, &r->who.perm, o.dept, o.shared,
	    t->want, t->dept, sizeof t->dept, err, sizeof err)) {
	case PERM_RUN_OK:
		return 0;
	case PERM_RUN_DENIED:
		api_reply_error(r, MHD_HTTP_FORBIDDEN, "script '%s': %s",
		    t->js.script, err);
		break;
	case PERM_RUN_ASK:
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		break;
	}
	return -1;
}

/* The script's current version, the params checked, its requires. */
static int
trigger_check(struct conn *c, struct api *a, struct req *r, struct trig *t)
{
	const struct script *s;
	char err[256];
	size_t i;

	if (trigger_dept(c, a, r, t) != 0)
		return -1;
	if (scripts_current(c, t->js.script, t->digest) != 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no script named '%s'",
		    t->js.script);
		return -1;
	}
	if (t->pin != NULL) {
		/* A version asked for by name: it must be one of the script. */
		if ((s = scripts_get(a->sc, c, t->pin)) == NULL ||
		    strcmp(s->name, t->js.script) != 0) {
			api_reply_error(r, MHD_HTTP_NOT_FOUND, "script '%s' has "
			    "no version '%s'", t->js.script, t->pin);
			return -1;
		}
		snprintf(t->digest, sizeof t->digest, "%s", t->pin);
	}
	if ((s = scripts_get(a->sc, c, t->digest)) == NULL) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "script '%s' does not load", t->js.script);
		return -1;
	}
	if ((t->params = scripts_params(s, t->given, err, sizeof err)) ==
	    NULL) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	t->requires = json_array();
	for (i = 0; i < s->nrequires; i++)
		json_array_append_new(t->requires, json_string(s->requires[i]));
	t->js.digest = t->digest;
	t->js.params = t->params;
	t->js.requires = t->requires;
	t->js.department = t->dept;
	return 0;
}

/*
 * Direct hand-off: with an agent waiting, the trigger's own transaction
 * leases the job to it, so one commit (one fsync) both queues and
 * dispatches the job, and the agent's long poll is answered with the
 * trigger's answer.  The lease is the agent's call and is audited as such.
 */
static void
handoff(struct conn *c, struct api *a, struct trig *t)
{
	struct req *w = api_claim_waiter(a, t->requires);

	if (w == NULL)
		return;
	t->handoff = w;
	memset(&t->lw, 0, sizeof t->lw);
	w->status = 0;
	/* A savepoint of its own: a failed hand-off leaves no half lease. */
	conn_step(c, conn_stmt(c, "SAVEPOINT ho"), NULL, 0);
	if (api_lease_write(c, a, w, &t->lw) != 0 || t->lw.rc != JOBS_OK ||
	    (!w->no_audit && api_audit_insert(c, w) != 0)) {
		t->lw.rc = JOBS_ERROR;	/* it will try again itself */
		conn_step(c, conn_stmt(c, "ROLLBACK TO ho"), NULL, 0);
	}
	conn_step(c, conn_stmt(c, "RELEASE ho"), NULL, 0);
}

/* After the trigger's commit: answer or wake the agent handed the job. */
static void
finish_handoff(struct api *a, struct trig *t, int committed)
{
	struct req *w = t->handoff;

	if (w == NULL)
		return;
	pthread_mutex_lock(&a->wmu);
	if (committed && t->lw.rc == JOBS_OK) {
		w->lp = LP_HANDED;
		api_record_leases(a, &t->lw);
	} else {
		w->lp = LP_WOKEN;
		json_decref(w->out);
		w->out = NULL;
		json_decref(w->detail);
		w->detail = NULL;
	}
	MHD_resume_connection(w->conn);
	pthread_mutex_unlock(&a->wmu);
}

static int
trigger_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct trig *t = p;
	sqlite3_stmt *st;
	char err[256];
	int rc;

	if (t->parent_token != NULL && (rc = jobs_check_lease(c,
	    t->js.parent_job_id, t->parent_token, err, sizeof err)) !=
	    JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	if (trigger_check(c, a, r, t) != 0)
		return -1;
	rc = jobs_create(c, &t->js, time_wall_ms(), &t->id, &t->created, err,
	    sizeof err);
	if (rc != JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	if (t->created && t->again_of > 0) {
		st = conn_stmt(c, "UPDATE jobs SET retry_of = ? WHERE id = ?");
		sqlite3_bind_int64(st, 1, t->again_of);
		sqlite3_bind_int64(st, 2, t->id);
		if (conn_step(c, st, err, sizeof err) != 0) {
			api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "%s", err);
			return -1;
		}
	}
	if (t->created)
		handoff(c, a, t);
	st = conn_stmt(c, "SELECT state FROM jobs WHERE id = ?");
	sqlite3_bind_int64(st, 1, t->id);
	api_reply_json(r, t->created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:I, s:s, s:b}", "job_id", (json_int_t)t->id,
	    "state", sqlite3_step(st) == SQLITE_ROW ? col_text(st, 0) :
	    "queued", "created", t->created));
	sqlite3_reset(st);
	json_object_set_new(r->detail, "job_id", json_integer(t->id));
	return 0;
}

/* Queue a job from r->in; shared by POST /api/jobs and children. */
static void
trigger(struct api *a, struct req *r, int64_t parent, const char *ptoken,
    int64_t again_of, const char *pin)
{
	struct trig t;
	const char *script, *key;
	json_int_t prio, att, backoff, tmo;
	char *by;

	memset(&t, 0, sizeof t);
	if (api_in_str(r, "script", 1, 128, &script) != 0 ||
	    api_in_int(r, "priority", -1000, 1000, 0, &prio) != 0 ||
	    api_in_str(r, "idempotency_key", 0, 200, &key) != 0 ||
	    api_in_str(r, "department", 0, 127, &t.want) != 0 ||
	    api_in_int(r, "max_attempts", 1, 100, a->cfg.jobs.max_attempts,
	    &att) != 0 ||
	    api_in_int(r, "backoff_ms", 0, 86400000, a->cfg.jobs.backoff_ms,
	    &backoff) != 0 ||
	    api_in_int(r, "timeout_ms", 1, 7 * 86400000LL,
	    a->cfg.jobs.timeout_ms, &tmo) != 0) {
		api_audit_refusal(a, r);
		return;
	}
	if (parent > 0)
		by = xasprintf("job:%lld", (long long)parent);
	else
		by = xasprintf("user:%s", r->who.name);
	t.given = json_object_get(r->in, "params");
	t.js.script = script;
	t.js.priority = (int)prio;
	t.js.max_attempts = (int)att;
	t.js.backoff_ms = backoff;
	t.js.backoff_max_ms = a->cfg.jobs.backoff_max_ms > backoff ?
	    a->cfg.jobs.backoff_max_ms : backoff;
	t.js.timeout_ms = tmo;
	t.js.idempotency_key = key;
	t.js.triggered_by = by;
	t.js.parent_job_id = parent;
	t.parent_token = ptoken;
	t.again_of = again_of;
	t.pin = pin;
	r->detail = json_pack("{s:s, s:s?}", "script", script,
	    "idempotency_key", key);
	if (again_of > 0)
		json_object_set_new(r->detail, "rerun_of",
		    json_integer(again_of));
	api_write_audited(a, r, trigger_write, &t);
	finish_handoff(a, &t, r->status == MHD_HTTP_CREATED);
	if (t.created && r->status == MHD_HTTP_CREATED) {
		INC(a->m.triggered);
		if (t.handoff == NULL || t.lw.rc != JOBS_OK)
			api_wake(a, t.requires, 1);
	}
	free(by);
	json_decref(t.params);
	json_decref(t.requires);
}

enum hres
api_h_trigger(struct api *a, struct req *r)
{
	trigger(a, r, 0, NULL, 0, NULL);
	return H_DONE;
}

void
api_trigger_from(struct api *a, struct req *r, json_t *body, int64_t of,
    const char *pin)
{
	json_t *orig = r->in;

	r->in = body;
	trigger(a, r, 0, NULL, of, pin);
	r->in = orig;
}

enum hres
api_h_children(struct api *a, struct req *r)
{
	int64_t id;
	const char *token;

	if (api_job_and_token(r, &id, &token) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	trigger(a, r, id, token, 0, NULL);
	return H_DONE;
}

struct cancelw {
	int64_t		 id;
	const char	*reason;
	enum job_state	 state;
};

static int
cancel_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct cancelw *w = p;
	char err[256], *why;
	int rc;

	(void)a;
	why = xasprintf("%s%s%s", r->who.name, w->reason ? ": " : "",
	    w->reason ? w->reason : "");
	rc = jobs_cancel(c, w->id, why, time_wall_ms(), &w->state, err,
	    sizeof err);
	free(why);
	if (rc != JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:b}", "state",
	    job_state_name(w->state), "cancel_requested", 1));
	return 0;
}

enum hres
api_h_cancel(struct api *a, struct req *r)
{
	struct cancelw w;

	memset(&w, 0, sizeof w);
	if ((w.id = text_parse_id(r->args[0])) == 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no job '%s'",
		    r->args[0]);
		goto refused;
	}
	if (api_in_str(r, "reason", 0, 512, &w.reason) != 0)
		goto refused;
	r->detail = json_pack("{s:I, s:s?}", "job_id", (json_int_t)w.id,
	    "reason", w.reason);
	api_write_audited(a, r, cancel_write, &w);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static json_t *
jobs_read(struct conn *c, struct api_readq *q)
{
	return query_jobs(c, q->a->tf, &q->f);
}

enum hres
api_h_jobs(struct api *a, struct req *r)
{
	if (api_wants_file(r))
		return api_export(a, r, jobs_read, "jobs");
	return api_read(a, r, jobs_read, 0, "jobs");
}

static json_t *
job_read(struct conn *c, struct api_readq *q)
{
	return query_job(c, q->a->tf, q->id);
}

enum hres
api_h_job(struct api *a, struct req *r)
{
	return api_read(a, r, job_read, 0, "job");
}
