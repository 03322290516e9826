/*
 * api_watch.c - the change counter and its long poll (see api_watch.h).
 * A parked watch is a suspended connection on a list of its own (the
 * agents' long polls have theirs); it uses the request's long-poll fields
 * (lp, lp_deadline, lp_prev, lp_next) with watching set.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_watch.h"
#include "textutil.h"
#include "timeutil.h"

/* The longest a watch waits by default (a proxy may cut longer ones). */
#define WATCH_DEFAULT_MS	25000

/* Take r off the list; vmu held. */
static void
unlink_watch(struct api *a, struct req *r)
{
	if (r->lp_prev)
		r->lp_prev->lp_next = r->lp_next;
	else
		a->watch_head = r->lp_next;
	if (r->lp_next)
		r->lp_next->lp_prev = r->lp_prev;
	else
		a->watch_tail = r->lp_prev;
	r->lp_prev = r->lp_next = NULL;
	r->watching = 0;
}

static void
wake(struct api *a, struct req *r, enum lp why)
{
	unlink_watch(a, r);
	r->lp = why;
	MHD_resume_connection(r->conn);
}

void
api_changed(struct api *a)
{
	struct req *r, *next;

	pthread_mutex_lock(&a->vmu);
	a->change++;
	for (r = a->watch_head; r != NULL; r = next) {
		next = r->lp_next;
		wake(a, r, LP_WOKEN);
	}
	pthread_mutex_unlock(&a->vmu);
}

void
api_watch_expire(struct api *a, int64_t mono, int all)
{
	struct req *r, *next;

	pthread_mutex_lock(&a->vmu);
	for (r = a->watch_head; r != NULL; r = next) {
		next = r->lp_next;
		if (all || r->lp_deadline <= mono)
			wake(a, r, LP_TIMEOUT);
	}
	pthread_mutex_unlock(&a->vmu);
}

void
api_watch_forget(struct api *a, struct req *r)
{
	pthread_mutex_lock(&a->vmu);
	if (r->watching)
		unlink_watch(a, r);
	pthread_mutex_unlock(&a->vmu);
}

enum hres
api_h_watch(struct api *a, struct req *r)
{
	const char *v;
	uint64_t cur;
	json_int_t wait;

	if (r->lp == LP_NONE) {
		/* Without a change seen, the answer is at once: the counter. */
		v = api_query_arg(r, "change");
		r->watch_change = v != NULL ? (uint64_t)strtoull(v, NULL, 10) :
		    UINT64_MAX;
		wait = WATCH_DEFAULT_MS;
		if ((v = api_query_arg(r, "wait_ms")) != NULL &&
		    ((wait = (json_int_t)text_parse_id(v)) < 0 ||
		    wait > a->cfg.wait_max_ms || (wait == 0 &&
		    strcmp(v, "0") != 0))) {
			api_reply_error(r, MHD_HTTP_BAD_REQUEST, "wait_ms: "
			    "expected 0-%lld", (long long)a->cfg.wait_max_ms);
			return H_DONE;
		}
		/* Without a socket there is nothing to park: no wait. */
		r->lp_deadline = time_mono_ms() + (r->conn != NULL ? wait : 0);
	}
	pthread_mutex_lock(&a->vmu);
	cur = a->change;
	if (cur == r->watch_change && r->lp != LP_TIMEOUT && !a->stopping &&
	    time_mono_ms() < r->lp_deadline) {
		r->lp = LP_WAITING;
		r->watching = 1;
		r->lp_prev = a->watch_tail;
		r->lp_next = NULL;
		if (a->watch_tail)
			a->watch_tail->lp_next = r;
		else
			a->watch_head = r;
		a->watch_tail = r;
		/* Suspend under the lock, so no one resumes us before. */
		MHD_suspend_connection(r->conn);
		pthread_mutex_unlock(&a->vmu);
		pthread_mutex_lock(&a->kmu);
		pthread_cond_signal(&a->kcv);	/* the ticker keeps deadlines */
		pthread_mutex_unlock(&a->kmu);
		return H_SUSPEND;
	}
	pthread_mutex_unlock(&a->vmu);
	r->no_audit = 1;
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I}", "change",
	    (json_int_t)cur));
	return H_DONE;
}

/* --- what is new in a run ----------------------------------------------------- */

static json_t *
events_read(struct conn *c, struct api_readq *q)
{
	return query_run_events(c, q->a->tf, q->id, &q->f);
}

enum hres
api_h_run_events(struct api *a, struct req *r)
{
	return api_read(a, r, events_read, 0, "run");
}
