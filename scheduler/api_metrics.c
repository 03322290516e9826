/*
 * api_metrics.c - /health and the Prometheus /metrics (see api_metrics.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api_metrics.h"
#include "api_queues.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Upper bounds of the dispatch latency buckets, in seconds. */
static const double latency_le[] = {
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 30,
};
_Static_assert(sizeof latency_le / sizeof latency_le[0] == API_NLAT,
    "API_NLAT is the number of latency buckets");

static int
ping_read(struct conn *c, void *arg)
{
	(void)arg;
	return sqlite3_exec(c->db, "SELECT 1 FROM meta LIMIT 1", NULL, NULL,
	    NULL) == SQLITE_OK ? 0 : -1;
}

enum hres
api_h_health(struct api *a, struct req *r)
{
	int ok = store_read(a->st, ping_read, NULL) == 0;

	if (a->stopping) {
		api_reply_json(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    json_pack("{s:s, s:s}", "status", "stopping", "error",
		    "shutting down"));
		return H_DONE;
	}
	api_reply_json(r, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
	    json_pack("{s:s, s:s, s:s}", "status", ok ? "ok" : "degraded",
	    "version", API_VERSION, "db", ok ? "ok" : "unreadable"));
	return H_DONE;
}

struct metq {
	int64_t		 now;
	int64_t		 online_ms;
	int		 finals;
	json_t		*counts;
	int64_t		 ready;
	int64_t		 online;
};

static int
metrics_read(struct conn *c, void *p)
{
	struct metq *q = p;
	sqlite3_stmt *st;

	q->counts = query_job_counts(c, q->finals);
	q->ready = jobs_ready_count(c, q->now);
	st = conn_stmt(c, "SELECT count(*) FROM agents WHERE last_seen >= ?");
	sqlite3_bind_int64(st, 1, q->now - q->online_ms);
	q->online = sqlite3_step(st) == SQLITE_ROW ?
	    sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return 0;
}

enum hres
api_h_metrics(struct api *a, struct req *r)
{
	struct metq q = { time_wall_ms(), 2 * a->cfg.lease_ttl_ms, 0, NULL, 0,
	    0 };
	struct buf b;
	const char *k;
	json_t *v;
	uint64_t cum = 0, commits, writes;
	int64_t mono = time_mono_ms();
	enum job_state fs;
	size_t i;

	buf_init(&b, 1024 * 1024);
	/* Final states are counted at most once a minute (see below). */
	pthread_mutex_lock(&a->tmu);
	q.finals = a->finals == NULL || mono - a->finals_at >= 60000;
	pthread_mutex_unlock(&a->tmu);
	store_read(a->st, metrics_read, &q);
	pthread_mutex_lock(&a->tmu);
	if (q.finals) {
		json_decref(a->finals);
		a->finals = json_deep_copy(q.counts);
		a->finals_at = mono;
	} else {
		json_object_foreach(a->finals, k, v)
			if (job_state_parse(k, &fs) == 0 && job_state_final(fs))
				json_object_set(q.counts, k, v);
	}
	pthread_mutex_unlock(&a->tmu);
	buf_puts(&b, "# HELP kobito_jobs Jobs by state (final states counted "
	    "at most once a minute).\n"
	    "# TYPE kobito_jobs gauge\n");
	json_object_foreach(q.counts, k, v)
		buf_printf(&b, "kobito_jobs{state=\"%s\"} %lld\n", k,
		    (long long)json_integer_value(v));
	json_decref(q.counts);
	buf_printf(&b, "# HELP kobito_queue_depth Jobs due and waiting for an "
	    "agent.\n# TYPE kobito_queue_depth gauge\nkobito_queue_depth "
	    "%lld\n", (long long)q.ready);
	buf_printf(&b, "# HELP kobito_agents_online Agents heard from within "
	    "two lease TTLs.\n# TYPE kobito_agents_online gauge\n"
	    "kobito_agents_online %lld\n", (long long)q.online);
	pthread_mutex_lock(&a->wmu);
	buf_printf(&b, "# HELP kobito_long_polls_waiting Agents waiting for "
	    "work.\n# TYPE kobito_long_polls_waiting gauge\n"
	    "kobito_long_polls_waiting %zu\n", a->nwaiting);
	pthread_mutex_unlock(&a->wmu);
	buf_printf(&b, "# HELP kobito_lease_expiries_total Leases that expired "
	    "(agent lost).\n# TYPE kobito_lease_expiries_total counter\n"
	    "kobito_lease_expiries_total %llu\n",
	    (unsigned long long)GET(a->m.lease_expiries));
	buf_printf(&b, "# HELP kobito_job_timeouts_total Jobs that ran past "
	    "their timeout.\n# TYPE kobito_job_timeouts_total counter\n"
	    "kobito_job_timeouts_total %llu\n",
	    (unsigned long long)GET(a->m.timeouts));
	buf_printf(&b, "# HELP kobito_http_header_timeouts_total Connections "
	    "closed for not sending a request's headers in time.\n"
	    "# TYPE kobito_http_header_timeouts_total counter\n"
	    "kobito_http_header_timeouts_total %llu\n",
	    (unsigned long long)GET(a->m.header_timeouts));
	buf_printf(&b, "# HELP kobito_jobs_triggered_total Jobs queued.\n"
	    "# TYPE kobito_jobs_triggered_total counter\n"
	    "kobito_jobs_triggered_total %llu\n",
	    (unsigned long long)GET(a->m.triggered));
	buf_puts(&b, "# HELP kobito_jobs_finished_total Results stored, by the "
	    "state they moved the job to.\n"
	    "# TYPE kobito_jobs_finished_total counter\n");
	for (i = 0; i < JOB_NSTATES; i++)
		buf_printf(&b, "kobito_jobs_finished_total{state=\"%s\"} "
		    "%llu\n", job_state_name((enum job_state)i),
		    (unsigned long long)GET(a->m.finished[i]));
	buf_puts(&b, "# HELP kobito_dispatch_latency_seconds From a job being "
	    "due to its lease.\n"
	    "# TYPE kobito_dispatch_latency_seconds histogram\n");
	for (i = 0; i < API_NLAT; i++) {
		cum += GET(a->m.lat_bucket[i]);
		buf_printf(&b, "kobito_dispatch_latency_seconds_bucket"
		    "{le=\"%g\"} %llu\n", latency_le[i],
		    (unsigned long long)cum);
	}
	buf_printf(&b, "kobito_dispatch_latency_seconds_bucket{le=\"+Inf\"} "
	    "%llu\n", (unsigned long long)GET(a->m.lat_count));
	buf_printf(&b, "kobito_dispatch_latency_seconds_sum %.6f\n",
	    (double)GET(a->m.lat_sum_us) / 1e6);
	buf_printf(&b, "kobito_dispatch_latency_seconds_count %llu\n",
	    (unsigned long long)GET(a->m.lat_count));
	store_stats(a->st, &commits, &writes);
	buf_printf(&b, "# HELP kobito_store_commits_total Database commits "
	    "(each one fsync).\n# TYPE kobito_store_commits_total counter\n"
	    "kobito_store_commits_total %llu\n"
	    "# HELP kobito_store_writes_total Writes, several per commit under "
	    "load.\n# TYPE kobito_store_writes_total counter\n"
	    "kobito_store_writes_total %llu\n", (unsigned long long)commits,
	    (unsigned long long)writes);
	api_queues_metrics(a, &b);
	buf_puts(&b, "# HELP kobito_http_requests_total Answers by status.\n"
	    "# TYPE kobito_http_requests_total counter\n");
	for (i = 100; i < 600; i++)
		if (GET(a->m.http[i]) > 0)
			buf_printf(&b, "kobito_http_requests_total{code=\"%zu\"} "
			    "%llu\n", i, (unsigned long long)GET(a->m.http[i]));
	r->status = MHD_HTTP_OK;
	r->raw = buf_detach(&b, &r->rawlen);
	r->ctype = xstrdup("text/plain; version=0.0.4; charset=utf-8");
	return H_DONE;
}

void
api_record_latency(struct api *a, int64_t ms)
{
	double s = (double)(ms < 0 ? 0 : ms) / 1000.0;
	size_t i;

	for (i = 0; i < API_NLAT && s > latency_le[i]; i++)
		;
	if (i < API_NLAT)
		INC(a->m.lat_bucket[i]);
	INC(a->m.lat_count);
	ADD(a->m.lat_sum_us, (uint64_t)(s * 1e6));
}
