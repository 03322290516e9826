/*
 * api_ticker.c - the API's ticker thread (see api_ticker.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_agents.h"
#include "api_audit.h"
#include "api_auth.h"
#include "api_conns.h"
#include "api_queues.h"
#include "api_ticker.h"
#include "api_watch.h"
#include "schedules.h"
#include "service.h"
#include "timeutil.h"

struct tickw {
	struct api	*a;
	int64_t		 now;
	int		 expired, timed_out, queued, items_lost;
};

static int
tick_write(struct conn *c, void *p)
{
	struct tickw *w = p;
	char err[256];

	if (jobs_expire(c, w->now, &w->expired, &w->timed_out, err,
	    sizeof err) != JOBS_OK) {
		fprintf(stderr, "kobito-scheduler: expiring leases: %s\n", err);
		return -1;
	}
	if (sched_tick(w->a->sched, c, w->a->sc, &w->a->cfg.jobs, w->now,
	    &w->queued, err, sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: schedules: %s\n", err);
		return -1;
	}
	/* After the jobs: an item whose job was just lost goes too. */
	if (queues_expire(c, w->now, &w->items_lost, err, sizeof err) !=
	    QUEUES_OK) {
		fprintf(stderr, "kobito-scheduler: queue items: %s\n", err);
		return -1;
	}
	return 0;
}

static int
flush_write(struct conn *c, void *p)
{
	struct touches *t = p;	/* [0] agents, [1] tokens */
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < t[0].n; i++) {
		st = conn_stmt(c, "UPDATE agents SET last_seen = max(coalesce("
		    "last_seen, 0), ?), remote = coalesce(?, remote)"
		    " WHERE id = ?");
		sqlite3_bind_int64(st, 1, t[0].at[i]);
		bind_text(st, 2, t[0].remote[i]);
		sqlite3_bind_int64(st, 3, t[0].id[i]);
		conn_step(c, st, NULL, 0);
	}
	for (i = 0; i < t[1].n; i++) {
		st = conn_stmt(c, "UPDATE tokens SET last_used = ?"
		    " WHERE id = ?");
		sqlite3_bind_int64(st, 1, t[1].at[i]);
		sqlite3_bind_int64(st, 2, t[1].id[i]);
		conn_step(c, st, NULL, 0);
	}
	return 0;
}

struct readyq {
	int64_t		 now;
	json_t		*requires;
};

static int
ready_read(struct conn *c, void *p)
{
	struct readyq *q = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT DISTINCT requires FROM jobs"
	    " WHERE state IN ('queued', 'retrying') AND not_before <= ?"
	    " LIMIT 64");
	json_t *v;

	q->requires = json_array();
	sqlite3_bind_int64(st, 1, q->now);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((v = json_loads(col_text(st, 0), 0, NULL)) != NULL)
			json_array_append_new(q->requires, v);
	sqlite3_reset(st);
	return 0;
}

/* Jobs purged per write, and writes per round at most. */
#define PURGE_BATCH	500
#define PURGE_ROUND	10

struct purgew {
	const struct jobs_retention *r;
	int64_t		 now;
	int		 first;		/* of its round */
	int		 deleted;
};

static int
purge_write(struct conn *c, void *p)
{
	struct purgew *w = p;
	int n;

	/* Files uploaded for items never added, after a day. */
	if (w->first && queues_purge_files(c, w->now - 86400000, &n) !=
	    QUEUES_OK)
		return -1;
	return jobs_purge(c, w->r, w->now, PURGE_BATCH, &w->deleted) ==
	    JOBS_OK ? 0 : -1;
}

/*
 * Retention, every minute (or every half of the shortest retention when
 * that is shorter, a second at least): batches until nothing more is due,
 * each a write of its own so that the others go on in between.  Queue
 * files are purged too, when the round starts.
 */
static int64_t
purge_every(const struct jobs_retention *r)
{
	int64_t min = jobs_retention_min(r);

	if (min <= 0 || min / 2 > 60000)
		return 60000;
	return min / 2 < 1000 ? 1000 : min / 2;
}

static void
purge(struct api *a)
{
	struct purgew w;
	int i;

	w.r = &a->cfg.retention;
	w.now = time_wall_ms();
	for (i = 0; i < PURGE_ROUND; i++) {
		w.first = i == 0;
		w.deleted = 0;
		if (store_write(a->st, purge_write, &w, NULL, 0) != 0 ||
		    w.deleted < PURGE_BATCH)
			break;
	}
}

/*
 * Jobs that became due without a trigger (retries after backoff, leases
 * that expired, schedules) wake the waiters that can take them.
 */
static void
wake_for_ready(struct api *a, int64_t now)
{
	struct readyq q = { now, NULL };
	json_t *req;
	size_t i;
	int any;

	pthread_mutex_lock(&a->wmu);
	any = a->wait_head != NULL;
	pthread_mutex_unlock(&a->wmu);
	if (!any)
		return;
	store_read(a->st, ready_read, &q);
	json_array_foreach(q.requires, i, req)
		api_wake(a, req, -1);
	json_decref(q.requires);
}

void *
api_ticker_main(void *p)
{
	struct api *a = p;
	struct tickw w;
	struct touches t[2];
	int64_t mono, last_tick = 0, last_purge = 0, last_ready = 0;
	int64_t last_alive = 0, every = purge_every(&a->cfg.retention);
	struct timespec ts;
	char err[256];

	pthread_mutex_lock(&a->kmu);
	while (!a->stopping) {
		pthread_mutex_unlock(&a->kmu);
		mono = time_mono_ms();
		api_expire_waiters(a, mono, 0);
		api_watch_expire(a, mono, 0);
		if (mono - last_ready >= 200) {
			last_ready = mono;
			wake_for_ready(a, time_wall_ms());
		}
		if (mono - last_tick >= 1000) {
			last_tick = mono;
			ADD(a->m.header_timeouts,
			    (uint64_t)api_conns_expire(a, mono));
			api_conns_log_flush(a, mono);
			api_audit_flush(a, 0);
			memset(&w, 0, sizeof w);
			w.a = a;
			w.now = time_wall_ms();
			if (store_write(a->st, tick_write, &w, err,
			    sizeof err) == 0) {
				ADD(a->m.lease_expiries, (uint64_t)w.expired);
				ADD(a->m.timeouts, (uint64_t)w.timed_out);
				ADD(a->m.finished[JOB_TIMED_OUT],
				    (uint64_t)w.timed_out);
				ADD(a->m.triggered, (uint64_t)w.queued);
				if (w.expired || w.queued)
					wake_for_ready(a, w.now);
				if (w.expired || w.timed_out || w.queued)
					api_changed(a);
				/* Items due again, or a slot freed. */
				api_queue_triggers(a);
				/*
				 * The watchdog hears from here, after a
				 * write went through the store: a scheduler
				 * whose store or ticker is stuck stops
				 * pinging and is restarted.
				 */
				if (a->cfg.watchdog_ms > 0 && mono - last_alive >=
				    a->cfg.watchdog_ms / 2) {
					last_alive = mono;
					service_alive();
				}
			}
			pthread_mutex_lock(&a->tmu);
			t[0] = a->agents;
			t[1] = a->tokens;
			memset(&a->agents, 0, sizeof a->agents);
			memset(&a->tokens, 0, sizeof a->tokens);
			pthread_mutex_unlock(&a->tmu);
			if (t[0].n || t[1].n)
				store_write(a->st, flush_write, t, NULL, 0);
			api_touches_clear(&t[0]);
			api_touches_clear(&t[1]);
		}
		if (every > 0 && mono - last_purge >= every) {
			last_purge = mono;
			purge(a);
		}
		/* Sleep until the next 50 ms step, or until told. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&a->kmu);
		if (!a->stopping)
			pthread_cond_timedwait(&a->kcv, &a->kmu, &ts);
	}
	pthread_mutex_unlock(&a->kmu);
	return NULL;
}
