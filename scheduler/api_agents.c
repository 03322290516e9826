/*
 * api_agents.c - agents (see api_agents.h): registering, leasing jobs and
 * the long poll.
 *
 * POST /api/agents/lease with wait_ms suspends the connection
 * (MHD_suspend_connection) when no job is due and parks it on a list of
 * waiters; queueing a job resumes a waiter whose labels match, and the
 * ticker resumes those whose time is up (answered 204).
 */
#include <sys/socket.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_agents.h"
#include "api_audit.h"
#include "api_metrics.h"
#include "api_assets.h"
#include "api_secrets.h"
#include "scripts.h"
#include "timeutil.h"
#include "xmalloc.h"

/* --- long-poll waiters ------------------------------------------------- */

void
api_wait_unlink(struct api *a, struct req *r)
{
	if (r->lp_prev)
		r->lp_prev->lp_next = r->lp_next;
	else
		a->wait_head = r->lp_next;
	if (r->lp_next)
		r->lp_next->lp_prev = r->lp_prev;
	else
		a->wait_tail = r->lp_prev;
	r->lp_prev = r->lp_next = NULL;
	a->nwaiting--;
}

/*
 * Whether the agent behind a parked long poll has hung up (it stopped or
 * was killed while waiting).  A suspended connection is not watched by
 * libmicrohttpd, so without this a job would be leased into a dead
 * connection and come back only when its lease expired.
 */
static int
peer_gone(struct req *r)
{
	const union MHD_ConnectionInfo *ci;
	struct pollfd pfd;
	char c;

	ci = MHD_get_connection_info(r->conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return 0;
	pfd.fd = ci->connect_fd;
	pfd.events = POLLIN | POLLRDHUP;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLHUP | POLLERR | POLLRDHUP))
		return 1;
	return (pfd.revents & POLLIN) &&
	    recv(pfd.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Resume a parked request; wmu held. */
static void
resume(struct api *a, struct req *r, enum lp why)
{
	api_wait_unlink(a, r);
	r->lp = why;
	MHD_resume_connection(r->conn);
}

/*
 * Wake up to n waiters (n < 0: all) whose labels satisfy requires (NULL:
 * any), oldest first.
 */
void
api_wake(struct api *a, json_t *requires, int n)
{
	struct req *r, *next;

	pthread_mutex_lock(&a->wmu);
	a->gen++;
	for (r = a->wait_head; r != NULL && n != 0; r = next) {
		next = r->lp_next;
		if (peer_gone(r)) {
			resume(a, r, LP_TIMEOUT);	/* nobody to answer */
			continue;
		}
		if (requires != NULL && !jobs_labels_match(requires,
		    r->lp_labels))
			continue;
		resume(a, r, LP_WOKEN);
		if (n > 0)
			n--;
	}
	pthread_mutex_unlock(&a->wmu);
}

/* Resume waiters whose time is up; all of them when stopping. */
void
api_expire_waiters(struct api *a, int64_t mono, int all)
{
	struct req *r, *next;

	pthread_mutex_lock(&a->wmu);
	for (r = a->wait_head; r != NULL; r = next) {
		next = r->lp_next;
		if (all || r->lp_deadline <= mono)
			resume(a, r, LP_TIMEOUT);
	}
	pthread_mutex_unlock(&a->wmu);
}

/*
 * Take the oldest waiting agent that can run a job requiring requires off
 * the list, or NULL.  The caller resumes it (finish_handoff).
 */
struct req *
api_claim_waiter(struct api *a, json_t *requires)
{
	struct req *w, *next;

	pthread_mutex_lock(&a->wmu);
	for (w = a->wait_head; w != NULL; w = next) {
		next = w->lp_next;
		if (peer_gone(w)) {
			resume(a, w, LP_TIMEOUT);	/* nobody to answer */
			continue;
		}
		if (jobs_labels_match(requires, w->lp_labels))
			break;
	}
	if (w != NULL) {
		api_wait_unlink(a, w);
		w->lp = LP_CLAIMED;
	}
	pthread_mutex_unlock(&a->wmu);
	return w;
}

/* --- agent routes -------------------------------------------------------- */

struct regw {
	const char	*version;
	json_t		*labels;
	json_int_t	 slots;
};

static int
register_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct regw *w = p;
	sqlite3_stmt *st;
	int64_t now = time_wall_ms();
	char err[256];

	st = conn_stmt(c, "UPDATE agents SET labels = ?1, slots = ?2,"
	    " version = ?3, registered_at = ?4, last_seen = ?4, remote = ?5"
	    " WHERE id = ?6");
	sqlite3_bind_text(st, 1, json_dumps(w->labels, JSON_COMPACT), -1,
	    free);
	sqlite3_bind_int64(st, 2, w->slots);
	bind_text(st, 3, w->version);
	sqlite3_bind_int64(st, 4, now);
	bind_text(st, 5, r->remote);
	sqlite3_bind_int64(st, 6, r->who.agent_id);
	if (conn_step(c, st, err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:I, s:I}", "agent_id",
	    (json_int_t)r->who.agent_id, "lease_ttl_ms",
	    (json_int_t)a->cfg.lease_ttl_ms, "heartbeat_ms",
	    (json_int_t)(a->cfg.lease_ttl_ms / 3)));
	return 0;
}

enum hres
api_h_register(struct api *a, struct req *r)
{
	struct regw w;
	const char *name;
	json_t *labels;

	if (api_in_str(r, "name", 1, 64, &name) != 0 ||
	    api_in_labels(r, "labels", &labels) != 0 ||
	    api_in_int(r, "slots", 1, 1024, 1, &w.slots) != 0 ||
	    api_in_str(r, "version", 0, 64, &w.version) != 0)
		goto refused;
	if (strcmp(name, r->who.name) != 0) {
		api_reply_error(r, MHD_HTTP_FORBIDDEN,
		    "this token is for agent '%s', not '%s'", r->who.name,
		    name);
		goto refused;
	}
	w.labels = labels ? labels : json_array();
	r->detail = json_pack("{s:s, s:O, s:I}", "name", name, "labels",
	    w.labels, "slots", w.slots);
	api_write_audited(a, r, register_write, &w);
	if (labels == NULL)
		json_decref(w.labels);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

/* The agent's registered labels (first call of a long poll only). */
static int
agent_labels(struct conn *c, struct req *r, struct leasew *w)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT labels, registered_at IS NOT"
	    " NULL FROM agents WHERE id = ?");
	int registered = 0;

	sqlite3_bind_int64(st, 1, r->who.agent_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		registered = sqlite3_column_int(st, 1);
		if (registered && r->lp_labels == NULL)
			r->lp_labels = json_loads(col_text(st, 0), 0, NULL);
	}
	sqlite3_reset(st);
	if (!registered) {
		w->status = MHD_HTTP_NOT_FOUND;
		snprintf(w->err, sizeof w->err, "agent '%s' has not registered "
		    "(POST /api/agents/register first)", r->who.name);
		return -1;
	}
	if (r->lp_labels == NULL)
		r->lp_labels = json_array();
	return 0;
}

/*
 * Lease one job into w (its answer appended to jobs, its audit detail to
 * detail).  JOBS_NONE when nothing is due; -1 when the reply is an error.
 */
static int
lease_one(struct conn *c, struct api *a, struct req *r, struct leasew *w,
    json_t *jobs, json_t *detail)
{
	const struct script *s;
	struct lease l;
	json_t *secrets;

	w->rc = jobs_lease(c, r->who.agent_id, r->lp_labels, time_wall_ms(),
	    a->cfg.lease_ttl_ms, &l, w->err, sizeof w->err);
	if (w->rc == JOBS_NONE)
		return JOBS_NONE;
	if (w->rc != JOBS_OK) {
		api_reply_jobs_error(r, w->rc, w->err);
		return -1;
	}
	if ((s = scripts_get(a->sc, c, l.digest)) == NULL) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot load script %s of job %lld", l.digest,
		    (long long)l.job_id);
		lease_clear(&l);
		return -1;
	}
	api_job_secrets(a, c, l.digest, NULL, &secrets);
	w->waited_ms[w->n++] = l.waited_ms;
	json_array_append_new(jobs, json_pack("{s:I, s:I, s:i, s:s, s:I, s:I,"
	    " s:{s:s, s:s, s:s%, s:O}, s:O, s:o, s:o}",
	    "job_id", (json_int_t)l.job_id, "run_id", (json_int_t)l.run_id,
	    "attempt", l.attempt, "lease_token", l.token,
	    "lease_ttl_ms", (json_int_t)a->cfg.lease_ttl_ms,
	    "timeout_ms", (json_int_t)l.timeout_ms,
	    "script", "name", l.script, "digest", l.digest,
	    "source", s->source, s->source_len, "files", script_files(s),
	    "params", l.params, "secrets", secrets, "assets",
	    api_job_assets(a, c, l.digest)));
	json_array_append_new(detail, json_pack("{s:I, s:I, s:i}", "job_id",
	    (json_int_t)l.job_id, "run_id", (json_int_t)l.run_id,
	    "attempt", l.attempt));
	lease_clear(&l);
	return 0;
}

/*
 * Lease up to r->lp_max jobs (1 for an agent that did not ask for more)
 * in this one transaction.  A call with max_jobs is answered
 * {"jobs": [LEASE...]}, one without it LEASE alone.
 */
int
api_lease_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct leasew *w = p;
	json_t *jobs, *detail;
	int i, max = r->lp_max > 0 ? r->lp_max : 1, rc = 0;

	if (!r->lp_checked) {
		if (agent_labels(c, r, w) != 0) {
			r->no_audit = 1;  /* audited as a refusal by the caller */
			return -1;
		}
		r->lp_checked = 1;
	}
	w->n = 0;
	jobs = json_array();
	detail = json_array();
	for (i = 0; i < max && (rc = lease_one(c, a, r, w, jobs, detail)) ==
	    0; i++)
		;
	if (rc == -1 || w->n == 0) {
		json_decref(jobs);
		json_decref(detail);
		if (rc == -1)
			return -1;
		/* Nothing changed: no audit row for an empty poll. */
		w->rc = JOBS_NONE;
		r->no_audit = 1;
		r->status = MHD_HTTP_NO_CONTENT;
		return 0;
	}
	w->rc = JOBS_OK;
	r->no_audit = 0;
	if (r->lp_batch) {
		api_reply_json(r, MHD_HTTP_OK, json_pack("{s:o}", "jobs",
		    jobs));
		r->detail = json_pack("{s:o}", "jobs", detail);
	} else {
		api_reply_json(r, MHD_HTTP_OK,
		    json_incref(json_array_get(jobs, 0)));
		r->detail = json_incref(json_array_get(detail, 0));
		json_decref(jobs);
		json_decref(detail);
	}
	return 0;
}

void
api_record_leases(struct api *a, const struct leasew *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		api_record_latency(a, w->waited_ms[i]);
}

/*
 * One attempt to lease: the reply is set (200 or an error), or r->status
 * is 204 when nothing was due.
 */
static void
try_lease(struct api *a, struct req *r)
{
	struct leasew w;

	memset(&w, 0, sizeof w);
	if (api_write_audited(a, r, api_lease_write, &w) != 0)
		return;
	if (w.status != 0) {
		r->no_audit = 0;
		api_reply_error(r, w.status, "%s", w.err);
		api_audit_refusal(a, r);
		return;
	}
	if (w.rc == JOBS_OK)
		api_record_leases(a, &w);
}

enum hres
api_h_lease(struct api *a, struct req *r)
{
	json_int_t agent_id, wait_ms, free_slots, max_jobs;
	json_t *labels;
	uint64_t gen;

	if (r->lp == LP_NONE) {
		if (api_in_int(r, "agent_id", 1, INT64_MAX, 0,
		    &agent_id) != 0 ||
		    api_in_int(r, "wait_ms", 0, a->cfg.wait_max_ms, 0,
		    &wait_ms) != 0 ||
		    api_in_int(r, "free_slots", 0, 1024, 1, &free_slots) != 0 ||
		    api_in_int(r, "max_jobs", 0, API_LEASE_BATCH_MAX, 0,
		    &max_jobs) != 0 ||
		    api_in_labels(r, "labels", &labels) != 0)
			goto refused;
		r->lp_batch = max_jobs > 0;
		r->lp_max = (int)(max_jobs > free_slots ? free_slots :
		    max_jobs);
		if (agent_id == 0) {
			api_reply_error(r, MHD_HTTP_BAD_REQUEST, "agent_id: "
			    "required");
			goto refused;
		}
		if (agent_id != r->who.agent_id) {
			api_reply_error(r, MHD_HTTP_FORBIDDEN,
			    "this token is for agent %lld, not %lld",
			    (long long)r->who.agent_id, (long long)agent_id);
			goto refused;
		}
		/* Given labels replace the registered ones for matching. */
		if (labels != NULL)
			r->lp_labels = json_incref(labels);
		/* Without a socket there is nothing to park: no wait. */
		r->lp_deadline = time_mono_ms() + (r->conn != NULL ? wait_ms :
		    0);
		if (free_slots == 0) {
			r->status = MHD_HTTP_NO_CONTENT;
			return H_DONE;
		}
	}
	if (r->lp == LP_HANDED)
		return H_DONE;	/* a trigger leased a job for us */
	if (r->lp == LP_TIMEOUT || a->stopping) {
		r->status = MHD_HTTP_NO_CONTENT;
		return H_DONE;
	}
	for (;;) {
		pthread_mutex_lock(&a->wmu);
		gen = a->gen;
		pthread_mutex_unlock(&a->wmu);
		r->status = 0;
		try_lease(a, r);
		if (r->status != MHD_HTTP_NO_CONTENT)
			return H_DONE;
		if (time_mono_ms() >= r->lp_deadline)
			return H_DONE;
		pthread_mutex_lock(&a->wmu);
		if (a->gen != gen || a->stopping) {
			/* A job came in while we looked: look again. */
			pthread_mutex_unlock(&a->wmu);
			if (a->stopping)
				return H_DONE;
			continue;
		}
		r->lp = LP_WAITING;
		r->lp_prev = a->wait_tail;
		r->lp_next = NULL;
		if (a->wait_tail)
			a->wait_tail->lp_next = r;
		else
			a->wait_head = r;
		a->wait_tail = r;
		a->nwaiting++;
		/* Suspend under the lock, so no one resumes us before. */
		MHD_suspend_connection(r->conn);
		pthread_mutex_unlock(&a->wmu);
		pthread_mutex_lock(&a->kmu);
		pthread_cond_signal(&a->kcv);	/* the ticker keeps deadlines */
		pthread_mutex_unlock(&a->kmu);
		return H_SUSPEND;
	}
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static json_t *
agents_read(struct conn *c, struct api_readq *q)
{
	return query_agents(c, q->a->tf, time_wall_ms(),
	    2 * q->a->cfg.lease_ttl_ms);
}

enum hres
api_h_agents(struct api *a, struct req *r)
{
	return api_read(a, r, agents_read, 0, "agents");
}
