/*
 * api_runs.c - runs (see api_runs.h): heartbeats, events, results and
 * releases from the agent running a job, and the routes that read runs.
 * What an agent sends is masked with the secrets of the job's script
 * before it is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_agents.h"
#include "api_audit.h"
#include "api_runs.h"
#include "api_secrets.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

/* The {id} of an agent route and the lease token in the body. */
int
api_job_and_token(struct req *r, int64_t *id, const char **token)
{
	if ((*id = text_parse_id(r->args[0])) == 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no job '%s'",
		    r->args[0]);
		return -1;
	}
	if (api_in_str(r, "lease_token", 1, 64, token) != 0)
		return -1;
	return 0;
}

struct hbw {
	int64_t		 id;
	const char	*token;
	json_t		*events;
	int		 cancel;
	int		 stored;
};

static int
heartbeat_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct hbw *w = p;
	char err[256];
	int rc;

	rc = jobs_heartbeat(c, w->id, w->token, time_wall_ms(),
	    a->cfg.lease_ttl_ms, &w->cancel, err, sizeof err);
	if (rc != JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:b}", "lease_ttl_ms",
	    (json_int_t)a->cfg.lease_ttl_ms, "cancel", w->cancel));
	return 0;
}

enum hres
api_h_heartbeat(struct api *a, struct req *r)
{
	struct hbw w;

	memset(&w, 0, sizeof w);
	if (api_job_and_token(r, &w.id, &w.token) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I}", "job_id", (json_int_t)w.id);
	api_write_audited(a, r, heartbeat_write, &w);
	return H_DONE;
}

/* The "events" list of an agent's call (borrowed). */
static int
in_events(struct req *r, json_t **events)
{
	*events = json_object_get(r->in, "events");
	if (json_is_array(*events) &&
	    json_array_size(*events) <= API_EVENTS_MAX)
		return 0;
	api_reply_error(r, MHD_HTTP_BAD_REQUEST, API_EVENTS_ERR);
	return -1;
}

static int
events_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct hbw *w = p;
	json_t *masked = api_mask_for_job(a, c, w->id, w->events);
	char err[256];
	int rc;

	rc = jobs_events(c, w->id, w->token, masked, time_wall_ms(),
	    a->cfg.lease_ttl_ms, &w->stored, &w->cancel, err, sizeof err);
	json_decref(masked);
	if (rc != JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:i, s:b}", "stored",
	    w->stored, "cancel", w->cancel));
	json_object_set_new(r->detail, "stored", json_integer(w->stored));
	return 0;
}

enum hres
api_h_events(struct api *a, struct req *r)
{
	struct hbw w;

	memset(&w, 0, sizeof w);
	if (api_job_and_token(r, &w.id, &w.token) != 0)
		goto refused;
	if (in_events(r, &w.events) != 0)
		goto refused;
	r->detail = json_pack("{s:I}", "job_id", (json_int_t)w.id);
	api_write_audited(a, r, events_write, &w);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

struct resw {
	int64_t		 id;
	const char	*token;
	json_t		*summary;
	json_t		*events;	/* the last ones, or NULL */
	enum job_state	 state;
	int		 dup;
	json_t		*requires;
};

/*
 * The summary and the optional events of a result (the body of /result,
 * or an item of /results) into w; an error message and -1 when bad.
 */
static int
result_body(json_t *in, struct resw *w, char *err, size_t errlen)
{
	json_t *d;

	w->summary = json_object_get(in, "summary");
	w->events = json_object_get(in, "events");
	if (json_is_null(w->events))
		w->events = NULL;
	if (!json_is_object(w->summary)) {
		snprintf(err, errlen, "summary: expected the run summary "
		    "object");
		return -1;
	}
	d = json_object_get(w->summary, "duration_ms");
	if (d != NULL && !json_is_null(d) && (!json_is_integer(d) ||
	    json_integer_value(d) < 0)) {
		snprintf(err, errlen, "summary.duration_ms: expected the run's "
		    "duration in milliseconds");
		return -1;
	}
	if (w->events != NULL && (!json_is_array(w->events) ||
	    json_array_size(w->events) > API_EVENTS_MAX)) {
		snprintf(err, errlen, API_EVENTS_ERR);
		return -1;
	}
	return 0;
}

/* Store one result (and the events with it); a jobs_* code. */
static int
result_store(struct conn *c, struct api *a, struct resw *w, char *err,
    size_t errlen)
{
	json_t *masked;
	int rc, stored, cancel;

	if (w->events != NULL && json_array_size(w->events) > 0) {
		/* The run's last events come with its result: one call and
		 * one commit instead of two.  A resent result's events are
		 * stale or already stored (by seq); jobs_result() tells a
		 * duplicate from a stale token. */
		masked = api_mask_for_job(a, c, w->id, w->events);
		rc = jobs_events(c, w->id, w->token, masked, time_wall_ms(),
		    0, &stored, &cancel, err, errlen);
		json_decref(masked);
		if (rc != JOBS_OK && rc != JOBS_STALE)
			return rc;
	}
	masked = api_mask_for_job(a, c, w->id, w->summary);
	rc = jobs_result(c, w->id, w->token, masked, time_wall_ms(),
	    &w->state, &w->dup, err, errlen);
	json_decref(masked);
	return rc;
}

/* After the commit: count a stored result, wake agents for a retry. */
static void
result_stored(struct api *a, const struct resw *w)
{
	if (w->dup)
		return;
	INC(a->m.finished[w->state]);
	if (w->state == JOB_QUEUED)
		api_wake(a, NULL, 1);
}

static int
result_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct resw *w = p;
	char err[256];
	int rc;

	if ((rc = result_store(c, a, w, err, sizeof err)) != JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:b}", "state",
	    job_state_name(w->state), "duplicate", w->dup));
	json_object_set_new(r->detail, "state",
	    json_string(job_state_name(w->state)));
	return 0;
}

enum hres
api_h_result(struct api *a, struct req *r)
{
	struct resw w;
	char err[128];

	memset(&w, 0, sizeof w);
	if (api_job_and_token(r, &w.id, &w.token) != 0)
		goto refused;
	if (result_body(r->in, &w, err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		goto refused;
	}
	r->detail = json_pack("{s:I}", "job_id", (json_int_t)w.id);
	api_write_audited(a, r, result_write, &w);
	if (r->status == MHD_HTTP_OK)
		result_stored(a, &w);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

/* Most results one POST /api/results may carry. */
#define RESULTS_MAX	64

struct resultsw {
	struct resw	 w[RESULTS_MAX];
	int		 status[RESULTS_MAX];	/* of each; 0: not looked at */
	json_t		*answers;
	size_t		 n;
};

/* Check results[i] into w; an error message and -1 when it is bad. */
static int
result_item(json_t *item, struct resw *w, char *err, size_t errlen)
{
	json_t *id = json_object_get(item, "job_id");

	memset(w, 0, sizeof *w);
	w->token = json_string_value(json_object_get(item, "lease_token"));
	if (!json_is_integer(id) || json_integer_value(id) < 1) {
		snprintf(err, errlen, "job_id: expected a job id");
		return -1;
	}
	w->id = json_integer_value(id);
	if (w->token == NULL || strlen(w->token) > 64) {
		snprintf(err, errlen, "lease_token: expected a string of up "
		    "to 64 characters");
		return -1;
	}
	return result_body(item, w, err, errlen);
}

/* Each result in a savepoint of its own: one refused keeps the others. */
static int
results_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct resultsw *b = p;
	json_t *list = json_object_get(r->in, "results"), *detail;
	char err[256];
	size_t i;
	int rc;

	b->answers = json_array();
	detail = json_array();
	for (i = 0; i < b->n; i++) {
		struct resw *w = &b->w[i];

		if (result_item(json_array_get(list, i), w, err,
		    sizeof err) != 0) {
			rc = JOBS_INVALID;
		} else {
			conn_step(c, conn_stmt(c, "SAVEPOINT ri"), NULL, 0);
			rc = result_store(c, a, w, err, sizeof err);
			if (rc != JOBS_OK)
				conn_step(c, conn_stmt(c, "ROLLBACK TO ri"),
				    NULL, 0);
			conn_step(c, conn_stmt(c, "RELEASE ri"), NULL, 0);
		}
		b->status[i] = rc == JOBS_OK ? MHD_HTTP_OK :
		    api_jobs_status(rc);
		if (rc == JOBS_OK) {
			json_array_append_new(b->answers, json_pack("{s:I, s:i,"
			    " s:s, s:b}", "job_id", (json_int_t)w->id,
			    "status", b->status[i], "state",
			    job_state_name(w->state), "duplicate", w->dup));
		} else {
			json_array_append_new(b->answers, json_pack("{s:I, s:i,"
			    " s:s}", "job_id", (json_int_t)w->id, "status",
			    b->status[i], "error", err));
		}
		json_array_append_new(detail, json_pack("{s:I, s:s}",
		    "job_id", (json_int_t)w->id, "state", rc == JOBS_OK ?
		    job_state_name(w->state) : "refused"));
	}
	r->detail = json_pack("{s:o}", "results", detail);
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:O}", "results",
	    b->answers));
	return 0;
}

/*
 * Several results in one call and one commit: an agent with many slots
 * reports the runs that finished while its previous call was on the way.
 */
enum hres
api_h_results(struct api *a, struct req *r)
{
	struct resultsw *b = xcalloc(1, sizeof *b);
	json_t *list = json_object_get(r->in, "results");
	size_t i;

	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > RESULTS_MAX) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "results: expected a "
		    "list of 1 to %d results", RESULTS_MAX);
		api_audit_refusal(a, r);
		free(b);
		return H_DONE;
	}
	b->n = json_array_size(list);
	if (api_write_audited(a, r, results_write, b) == 0)
		for (i = 0; i < b->n; i++)
			if (b->status[i] == MHD_HTTP_OK)
				result_stored(a, &b->w[i]);
	json_decref(b->answers);
	free(b);
	return H_DONE;
}

struct relw {
	int64_t		 id;
	const char	*token, *reason;
	enum job_state	 state;
};

static int
release_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct relw *w = p;
	char err[256];
	int rc;

	(void)a;
	rc = jobs_release(c, w->id, w->token, w->reason, time_wall_ms(),
	    &w->state, err, sizeof err);
	if (rc != JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "state",
	    job_state_name(w->state)));
	return 0;
}

enum hres
api_h_release(struct api *a, struct req *r)
{
	struct relw w;

	memset(&w, 0, sizeof w);
	if (api_job_and_token(r, &w.id, &w.token) != 0 ||
	    api_in_str(r, "reason", 0, 512, &w.reason) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I, s:s?}", "job_id", (json_int_t)w.id,
	    "reason", w.reason);
	api_write_audited(a, r, release_write, &w);
	if (r->status == MHD_HTTP_OK && w.state == JOB_QUEUED)
		api_wake(a, NULL, 1);
	return H_DONE;
}

static json_t *
runs_read(struct conn *c, struct api_readq *q)
{
	return query_runs(c, q->a->tf, &q->f);
}

enum hres
api_h_runs(struct api *a, struct req *r)
{
	if (api_wants_file(r))
		return api_export(a, r, runs_read, "runs");
	return api_read(a, r, runs_read, 0, "runs");
}

static json_t *
run_read(struct conn *c, struct api_readq *q)
{
	return query_run(c, q->a->tf, q->id);
}

enum hres
api_h_run(struct api *a, struct req *r)
{
	return api_read(a, r, run_read, 0, "run");
}

static json_t *
logs_read(struct conn *c, struct api_readq *q)
{
	return query_logs(c, q->a->tf, q->id, &q->f);
}

enum hres
api_h_logs(struct api *a, struct req *r)
{
	return api_read(a, r, logs_read, 0, "run");
}
