/*
 * agentd.c - the agent daemon: lease jobs, run them, report them.
 *
 * agentd.h describes the threads and the isolation rule; docs/agent.md the
 * behaviour an operator sees; docs/api.md the scheduler's side.  This file
 * leases jobs, runs them (in a thread or a child process) and owns the
 * daemon's life cycle; reporter.c tells the scheduler what a running job
 * does, delivery.c delivers what it did (agentd_state.h is the state they
 * share).  The rules that matter most here:
 *
 *   - a finished run's record goes to delivery.c, which writes it to the
 *     spool before the first attempt to deliver it, so neither the
 *     scheduler being down nor the agent being killed loses it (a machine
 *     that dies before the first attempt loses the record, but then the
 *     lease expires and the job runs again);
 *   - a lease that is no longer ours (409 from any call about the job)
 *     stops the run and its output is dropped: someone else owns the job.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "action.h"
#include "agentd.h"
#include "agentd_state.h"
#include "buf.h"
#include "client.h"
#include "delivery.h"
#include "engine.h"
#include "fsutil.h"
#include "office.h"
#include "policy.h"
#include "sandbox.h"
#include "jobrun.h"
#include "script.h"
#include "reporter.h"
#include "service.h"
#include "watch.h"
#include "spool.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

#define LEASE_BATCH		32	/* jobs one lease call may take */
#define RETRY_BASE_MS		500
#define RETRY_MAX_MS		10000
/* --- small helpers ------------------------------------------------------ */

void
agentd_say(const char *fmt, ...)
{
	char when[64], line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	time_iso_local(time_wall_ms(), when, sizeof when);
	fprintf(stderr, "%s kobito-agent: %s\n", when, line);
}

static void
cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

void
agentd_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(until_ms / 1000);
	ts.tv_nsec = (long)(until_ms % 1000) * 1000000;
	pthread_cond_timedwait(cv, mu, &ts);
}

static double
random_unit(void)
{
	return (double)randombytes_uniform(1000000) / 1000000.0;
}

struct client *
agentd_client(const struct agentd *d)
{
	struct client *c = client_new(d->o->scheduler, d->token);

	client_set_ca_file(c, d->o->ca_file);
	return c;
}

int64_t
agentd_backoff(int tries, int64_t base, int64_t max)
{
	return spool_backoff_ms(tries, base, max, random_unit());
}

/*
 * Sleep up to ms, waking when the agent is told to stop.  Only the poller
 * naps (between tries to reach the scheduler), and waiting is then its
 * work: it keeps the watchdog fed, once a second, however long the nap.
 */
static void
nap(struct agentd *d, int64_t ms)
{
	int64_t end = time_mono_ms() + ms, alive = time_mono_ms();

	while (!atomic_load(&d->stopping) && time_mono_ms() < end) {
		time_sleep_ms(end - time_mono_ms() > 100 ? 100 :
		    end - time_mono_ms(), NULL);
		if (time_mono_ms() - alive >= 1000) {
			alive = time_mono_ms();
			service_alive();
		}
	}
}

long
agentd_json_long(const json_t *o, const char *k, long def)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long)json_integer_value(v) : def;
}

enum outcome
agentd_classify(int rc, const struct client_reply *rep)
{
	if (rc != 0)
		return OUT_RETRY;
	if (rep->status >= 200 && rep->status < 300)
		return OUT_OK;
	if (rep->status == 409 || rep->status == 404)
		return OUT_STALE;
	if (rep->status >= 500 || rep->status == 429 || rep->status == 401 ||
	    rep->status == 403 || rep->status == 408)
		return OUT_RETRY;	/* auth may be fixed; 5xx passes */
	return OUT_REFUSED;
}

/* The text of an id that may come as a number or a string. */
static char *
id_text(const json_t *v)
{
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return NULL;
}

/* --- the isolation rule ------------------------------------------------- */

/*
 * Actions checked to keep no state outside their struct run and to call
 * only re-entrant library functions.  A name ending in '.' covers a family.
 */
static const char *const thread_safe_actions[] = {
	"log", "set", "assert", "fail", "sleep", "skip", "append",
	"file.", "csv.", "json.", "http.request", "sqlite.", "exec",
	"queue.", NULL,
};

static int
action_thread_safe(const char *name)
{
	const char *const *p;
	size_t n;

	for (p = thread_safe_actions; *p != NULL; p++) {
		n = strlen(*p);
		if ((*p)[n - 1] == '.' ? strncmp(name, *p, n) == 0 :
		    strcmp(name, *p) == 0)
			return 1;
	}
	return 0;
}

static int
steps_thread_safe(const struct steps *s)
{
	const struct step *st;
	size_t i;

	for (i = 0; i < s->n; i++) {
		st = s->v[i];
		if (!steps_thread_safe(&st->handler))
			return 0;
		switch (st->kind) {
		case STEP_ACTION:
			if (!action_thread_safe(st->action->name))
				return 0;
			break;
		case STEP_FOR_EACH:
		case STEP_WHILE:
			if (!steps_thread_safe(&st->body))
				return 0;
			break;
		case STEP_INCLUDE:
			if (!agentd_thread_safe(st->sub))
				return 0;
			break;
		}
	}
	return 1;
}

int
agentd_thread_safe(const struct script *s)
{
	size_t i;

	/* A script that needs a display or OCR will use actions that are
	 * not on the list anyway; saying so here makes it certain. */
	for (i = 0; i < s->nrequires; i++) {
		if (strcmp(s->requires[i], "display") == 0 ||
		    strncmp(s->requires[i], "ocr", 3) == 0)
			return 0;
	}
	return steps_thread_safe(&s->steps);
}

static int
needs_display(const struct script *s)
{
	size_t i;

	for (i = 0; i < s->nrequires; i++) {
		if (strcmp(s->requires[i], "display") == 0)
			return 1;
	}
	return 0;
}

/* --- the runner: one job from lease to delivery -------------------------- */

/* A loaded script of this digest, taken from the cache, or NULL. */
static struct script *
cache_take(struct agentd *d, const char *digest)
{
	struct cached **pp, *c;
	struct script *s = NULL;

	pthread_mutex_lock(&d->mu);
	for (pp = &d->cache; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->digest, digest) == 0) {
			c = *pp;
			*pp = c->next;
			d->ncache--;
			s = c->script;
			free(c->digest);
			free(c);
			break;
		}
	}
	pthread_mutex_unlock(&d->mu);
	return s;
}

/* Give a script back to the cache, the oldest dropped beyond the cap. */
static void
cache_give(struct agentd *d, const char *digest, struct script *s)
{
	struct cached *c = xcalloc(1, sizeof *c), **pp;

	c->digest = xstrdup(digest);
	c->script = s;
	pthread_mutex_lock(&d->mu);
	c->next = d->cache;
	d->cache = c;
	if (++d->ncache > SCRIPT_CACHE_MAX) {
		for (pp = &d->cache; (*pp)->next != NULL; pp = &(*pp)->next)
			;
		c = *pp;
		*pp = NULL;
		d->ncache--;
	} else {
		c = NULL;
	}
	pthread_mutex_unlock(&d->mu);
	if (c != NULL) {
		script_free(c->script);
		free(c->digest);
		free(c);
	}
}

static void
job_free(struct job *j)
{
	if (j->script != NULL && j->digest != NULL)
		cache_give(j->d, j->digest, j->script);
	else
		script_free(j->script);
	j->script = NULL;
	free(j->digest);
	json_decref(j->lease);
	json_decref(j->queue);
	free(j->job_id);
	free(j->run_id);
	free(j->key);
	free(j->dir);
	free(j->artdir);
	free(j->workdir);
	free(j->load_error);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

/* The local paths of the artifacts a summary lists. */
static json_t *
artifact_paths(const json_t *sum)
{
	json_t *paths = json_array(), *a;
	const char *p;
	size_t i;

	json_array_foreach(json_object_get(sum, "artifacts"), i, a) {
		if ((p = json_string_value(json_object_get(a, "path"))) != NULL) {
			json_object_set_new(a, "name",
			    json_string(strrchr(p, '/') ? strrchr(p, '/') + 1 :
			    p));
			json_array_append_new(paths, json_string(p));
		}
	}
	return paths;
}

/* Give the slot (and display) back, so the poller can take the next job. */
static void
slot_free(struct job *j)
{
	struct agentd *d = j->d;
	struct job **pp;

	pthread_mutex_lock(&d->mu);
	if (j->display >= 0)
		d->display_busy[j->display] = 0;
	d->running--;
	for (pp = &d->jobs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/*
 * The job's working directory, made empty for it; a confined job's own
 * directory (for its artifacts) too, since the sandbox names it before
 * the run could make it.
 */
static int
work_open(struct job *j, char *err, size_t errlen)
{
	if ((j->workdir = spool_work_open(j->d->spool, j->key, err, errlen)) ==
	    NULL)
		return -1;
	if (j->process && j->d->sandbox > 0 &&
	    fsutil_mkdir_p(j->dir, err, errlen) != 0)
		return -1;
	return 0;
}

/* Remove the working directory, or keep it as the configuration says. */
static void
work_close(struct job *j, const json_t *sum)
{
	const char *status = json_string_value(json_object_get(sum, "status"));
	int keep;

	if (j->workdir == NULL)
		return;
	keep = j->d->conf.keep == AGENTCONF_KEEP_ALWAYS ||
	    (j->d->conf.keep == AGENTCONF_KEEP_FAILED && (status == NULL ||
	    strcmp(status, "succeeded") != 0));
	spool_work_close(j->d->spool, j->key, keep);
	if (keep)
		agentd_say("job %s attempt %ld: working directory kept: %s",
		    j->job_id, j->attempt, j->workdir);
}

static void
run_job(struct job *j)
{
	struct agentd *d = j->d;
	json_t *sum = NULL, *rec;
	const char *status;
	char when[64], err[512];
	int cut_short, release;

	if (atomic_load(&d->stopping) && d->o->on_term == AGENTD_TERM_RELEASE)
		atomic_store(&j->stop_after_step, 1);
	if ((atomic_load(&j->stop_after_step) && atomic_load(&d->stopping)) ||
	    j->no_display)
		sum = NULL;	/* leased as we stopped: give it back unrun */
	else if (j->script == NULL)
		sum = jobrun_failed(j, j->load_error);
	else if (work_open(j, err, sizeof err) != 0)
		sum = jobrun_failed(j, err);
	else if (j->process)
		sum = jobrun_child(j);
	else
		sum = jobrun_here(j);
	work_close(j, sum);

	/* The reporter leaves it alone from now on; its events left go
	 * with the result. */
	pthread_mutex_lock(&d->mu);
	j->finished = 1;
	while (j->reporting)
		pthread_cond_wait(&d->reported_cv, &d->mu);
	pthread_mutex_unlock(&d->mu);

	status = json_string_value(json_object_get(sum, "status"));
	cut_short = sum == NULL || (j->cancel && status != NULL &&
	    strcmp(status, "failed") == 0);
	release = j->no_display || (cut_short && !atomic_load(&j->user_cancel) &&
	    (atomic_load(&j->stop_after_step) || atomic_load(&d->hurry)));
	if (atomic_load(&j->lost) || atomic_load(&j->timed_out)) {
		agentd_say("job %s attempt %ld: %s; its output is dropped", j->job_id,
		    j->attempt, atomic_load(&j->timed_out) ?
		    "timed out" : "lease lost");
		spool_forget(d->spool, j->key);
		slot_free(j);
		goto out;
	}
	/*
	 * The record owns what it holds (the events, the summary) and is
	 * owned by whoever delivers it, perhaps another worker: nothing in
	 * it is shared with this job any more.
	 */
	rec = json_pack("{s:s, s:s, s:s, s:I, s:s, s:o, s:o, s:s}",
	    "kind", release ? "release" : "result",
	    "key", j->key, "job_id", j->job_id, "attempt",
	    (json_int_t)j->attempt, "run_id", j->run_id,
	    "events", j->queue, "artifacts", sum ? artifact_paths(sum) :
	    json_array(), "created_at",
	    time_iso_local(time_wall_ms(), when, sizeof when));
	j->queue = NULL;
	json_object_set_new(rec, "lease_token", json_string(j->token));
	if (release)
		json_object_set_new(rec, "reason", json_string(
		    j->no_display ? "the agent had no free display" :
		    atomic_load(&d->hurry) ? "agent stopping at once (second "
		    "signal)" : "agent stopping (SIGTERM)"));
	else
		json_object_set_new(rec, "summary", json_incref(sum));
	if (j->dropped > 0)
		json_object_set_new(rec, "events_dropped",
		    json_integer(j->dropped));
	/* The slot is free once the run is over: the next job may start
	 * while this one's result is made durable and delivered. */
	slot_free(j);
	if (d->o->verbose)
		agentd_say("job %s attempt %ld: %s", j->job_id, j->attempt,
		    release ? "handed back" : status);
	delivery_submit(d, j->key, rec);
out:
	json_decref(sum);
	job_free(j);
	pthread_mutex_lock(&d->mu);
	if (--d->runners == 0)
		pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/*
 * A worker: runs jobs from d->ready until told to quit.  Workers are kept
 * rather than started per job (a thread costs more to start than to
 * wake), and there are as many as jobs were ever at once in a run or its
 * delivery.
 */
static void *
worker_main(void *arg)
{
	struct agentd *d = arg;
	struct job *j;

	pthread_mutex_lock(&d->mu);
	d->starting--;
	for (;;) {
		while (d->ready == NULL && !d->work_quit) {
			d->idle++;
			pthread_cond_wait(&d->work_cv, &d->mu);
			d->idle--;
		}
		if ((j = d->ready) == NULL)
			break;
		if ((d->ready = j->next_ready) == NULL)
			d->ready_tail = &d->ready;
		d->nready--;
		pthread_mutex_unlock(&d->mu);
		run_job(j);
		pthread_mutex_lock(&d->mu);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Hand j to an idle worker, or to a new one.  d->mu is held. */
static void
work_add(struct agentd *d, struct job *j)
{
	pthread_t t;

	j->next_ready = NULL;
	*d->ready_tail = j;
	d->ready_tail = &j->next_ready;
	d->nready++;
	if (d->idle > 0)
		pthread_cond_signal(&d->work_cv);
	if ((size_t)(d->idle + d->starting) >= d->nready)
		return;
	if (pthread_create(&t, NULL, worker_main, d) != 0) {
		agentd_say("cannot start a thread: %s", strerror(errno));
		abort();
	}
	d->workers = xreallocarray(d->workers, d->nworkers + 1,
	    sizeof *d->workers);
	d->workers[d->nworkers++] = t;
	d->starting++;
}

/* Turn a lease response into a running job. */
static void
job_start(struct agentd *d, json_t *lease)
{
	struct job *j = xcalloc(1, sizeof *j);
	json_t *script = json_object_get(lease, "script");
	const char *name = json_string_value(json_object_get(script, "name"));
	const char *src = json_string_value(json_object_get(script, "source"));
	const char *digest = json_string_value(json_object_get(script,
	    "digest"));
	struct diag diag = { NULL, 0 };
	char *fname, *run_id;
	size_t i;

	j->d = d;
	j->lease = lease;
	j->display = -1;
	j->job_id = id_text(json_object_get(lease, "job_id"));
	run_id = id_text(json_object_get(lease, "run_id"));
	j->run_id = run_id ? run_id : xstrdup("0");
	j->attempt = agentd_json_long(lease, "attempt", 1);
	j->token = json_string_value(json_object_get(lease, "lease_token"));
	j->timeout_ms = agentd_json_long(lease, "timeout_ms", 0);
	/* Heartbeat every third of this lease's time. */
	j->heartbeat_ms = agentd_json_long(lease, "lease_ttl_ms", 0) / 3;
	if (j->heartbeat_ms < 100)
		j->heartbeat_ms = d->heartbeat_ms;
	j->queue = json_array();
	pthread_mutex_init(&j->mu, NULL);
	if (j->job_id == NULL || j->token == NULL) {
		agentd_say("the scheduler sent a lease without job_id or "
		    "lease_token; ignored");
		job_free(j);
		return;
	}
	j->key = spool_key(j->job_id, j->attempt);
	j->dir = spool_job_dir(d->spool, j->key);
	j->artdir = xasprintf("%s/artifacts", j->dir);
	fname = xasprintf("%s.yaml", name ? name : "script");
	{
		if (src == NULL)
			j->load_error = xstrdup("the lease carries no script "
			    "source");
		else if (digest != NULL &&
		    (j->script = cache_take(d, digest)) != NULL)
			j->digest = xstrdup(digest);
		else if ((j->script = script_load_bundle(fname, src,
		    strlen(src), json_object_get(script, "files"),
		    &diag)) == NULL) {
			struct buf m;

			buf_init(&m, 64 * 1024);
			buf_puts(&m, "the script does not load on this agent:");
			for (i = 0; i < diag.n; i++)
				buf_printf(&m, " %s;", diag.msgs[i]);
			j->load_error = buf_detach(&m, NULL);
			diag_free(&diag);
		}
	}
	free(fname);
	if (j->script != NULL && digest != NULL && j->digest == NULL)
		j->digest = xstrdup(digest);	/* kept for the next job */
	if (j->script != NULL) {
		/* A confined job runs where its sandbox binds it alone. */
		j->process = d->o->isolation == AGENTD_ISOLATE_PROCESS ||
		    d->sandbox > 0 || (d->o->isolation == AGENTD_ISOLATE_AUTO &&
		    !agentd_thread_safe(j->script));
	}
	pthread_mutex_lock(&d->mu);
	if (j->script != NULL && needs_display(j->script)) {
		for (i = 0; i < d->ndisplays; i++) {
			if (!d->display_busy[i]) {
				d->display_busy[i] = 1;
				j->display = (int)i;
				break;
			}
		}
		if (j->display < 0 && j->load_error == NULL) {
			/* Cannot happen while no more jobs are asked for
			 * than displays are free; if it does, the job goes
			 * back to the queue without using an attempt. */
			agentd_say("job %s: no free display; handing it back",
			    j->job_id);
			j->no_display = 1;
		}
	}
	d->running++;
	d->runners++;
	j->started_ms = time_mono_ms();
	j->next_hb = j->started_ms + j->heartbeat_ms;
	if (d->jobs == NULL)	/* the reporter waits for no one */
		pthread_cond_signal(&d->report_cv);
	j->next = d->jobs;
	d->jobs = j;
	if (d->o->verbose)
		agentd_say("job %s attempt %ld: %s%s%s%s", j->job_id, j->attempt,
		    name ? name : "?", j->process ? " (own process)" : "",
		    j->display >= 0 ? " on " : "", j->display >= 0 ?
		    d->displays[j->display] : "");
	work_add(d, j);
	pthread_mutex_unlock(&d->mu);
}

/*
 * Start every job of a lease reply: {"jobs": [LEASE...]}, or LEASE alone
 * (a scheduler that does not know max_jobs), which is taken from *reply.
 */
static void
jobs_start(struct agentd *d, json_t **reply)
{
	json_t *jobs = json_object_get(*reply, "jobs"), *lease;
	size_t i;

	if (jobs == NULL && json_object_get(*reply, "job_id") != NULL) {
		job_start(d, *reply);
		*reply = NULL;
		return;
	}

	/* Each job owns its lease alone: taken out of the reply first. */
	json_array_foreach(jobs, i, lease) {
		json_incref(lease);
		json_array_set_new(jobs, i, json_null());
		if (json_is_object(lease))
			job_start(d, lease);
		else
			json_decref(lease);
	}
}

/* --- the poller ------------------------------------------------------------ */

static int
poll_cancelled(void *arg)
{
	struct agentd *d = arg;

	return atomic_load(&d->stopping);
}

/* Register (again); 0, or -1 when the scheduler refused for good. */
static int
agent_register(struct agentd *d, struct client *c)
{
	struct client_reply rep;
	json_t *labels = json_array(), *body;
	char why[512];
	int rc, tries = 0;
	size_t i;

	for (i = 0; i < d->nlabels; i++)
		json_array_append_new(labels, json_string(d->labels[i]));
	body = json_pack("{s:s, s:o, s:i, s:s}", "name", d->name, "labels",
	    labels, "slots", d->slots, "version", AGENTD_VERSION);
	while (!atomic_load(&d->stopping)) {
		rc = client_call(c, "POST", "/api/agents/register", body, 0, 1,
		    &rep);
		if (rc == 0 && rep.status == 200) {
			d->agent_id = agentd_json_long(rep.body, "agent_id", 0);
			d->heartbeat_ms = agentd_json_long(rep.body, "heartbeat_ms",
			    agentd_json_long(rep.body, "lease_ttl_ms", 30000) / 3);
			if (d->heartbeat_ms < 100)
				d->heartbeat_ms = 100;
			client_reply_free(&rep);
			json_decref(body);
			agentd_say("registered as '%s' (agent %ld) with %s; %d "
			    "slot(s), heartbeat every %ld ms", d->name,
			    d->agent_id, d->o->scheduler, d->slots,
			    d->heartbeat_ms);
			service_status("registered as '%s' with %s", d->name,
			    d->o->scheduler);
			return 0;
		}
		client_reply_error(&rep, why, sizeof why);
		if (rc == 0 && (rep.status == 401 || rep.status == 403 ||
		    rep.status == 400)) {
			fprintf(stderr, "kobito-agent: the scheduler refused "
			    "to register '%s': %s\n", d->name, why);
			client_reply_free(&rep);
			json_decref(body);
			return -1;
		}
		client_reply_free(&rep);
		/* Trying is this loop's work: a scheduler that is down
		 * must not get the agent restarted. */
		service_alive();
		if (tries++ == 0) {
			agentd_say("cannot register with %s (%s); retrying",
			    d->o->scheduler, why);
			service_status("cannot reach %s; retrying",
			    d->o->scheduler);
		}
		nap(d, agentd_backoff(tries, RETRY_BASE_MS, RETRY_MAX_MS));
	}
	json_decref(body);
	return -1;
}

static int
free_displays(const struct agentd *d)
{
	size_t i;
	int n = 0;

	for (i = 0; i < d->ndisplays; i++)
		n += !d->display_busy[i];
	return n;
}

/*
 * How many jobs to ask for at once: every job of a batch is matched
 * against the labels offered, so while "display" is offered no more jobs
 * than there are free displays.  d->mu is held.
 */
static int
lease_max(const struct agentd *d, int free_slots)
{
	int n = free_slots < LEASE_BATCH ? free_slots : LEASE_BATCH;
	int displays = free_displays(d);

	return displays > 0 && displays < n ? displays : n;
}

/* The labels to offer now: "display" only while a display is free. */
static json_t *
offered_labels(struct agentd *d)
{
	json_t *arr = json_array();
	int display_free = free_displays(d) > 0;
	size_t i;

	for (i = 0; i < d->nlabels; i++) {
		if (strcmp(d->labels[i], "display") == 0 && !display_free)
			continue;
		json_array_append_new(arr, json_string(d->labels[i]));
	}
	return arr;
}

/*
 * The longest wait between polls while the scheduler does not answer.
 * The poll is what notices first that the scheduler is back, which sends
 * every spooled result at once; after a restart the scheduler extends the
 * live leases by one lease time, so the results must arrive within it.
 * A third of the lease time (the heartbeat interval) leaves room.
 */
static int64_t
poll_retry_max(const struct agentd *d)
{
	return d->heartbeat_ms < RETRY_MAX_MS ? d->heartbeat_ms : RETRY_MAX_MS;
}

static void
poll_loop(struct agentd *d)
{
	struct client *c = agentd_client(d);
	struct client_reply rep;
	json_t *body;
	int rc, failures = 0, free_slots;
	int64_t wait_ms = d->o->poll_wait_ms, dog = service_watchdog_ms();
	char why[512];

	/* A poll (its wait and 15 s more) must end well within the
	 * watchdog's time, since the ping comes after it. */
	if (dog > 0 && wait_ms > dog / 3)
		wait_ms = dog / 3;

	client_set_cancel(c, poll_cancelled, d);
	if (agent_register(d, c) != 0) {
		d->fatal = !atomic_load(&d->stopping);
		client_free(c);
		return;
	}
	/* Spooled records may wait for the scheduler we just reached. */
	delivery_scheduler_back(d);
	while (!atomic_load(&d->stopping)) {
		/*
		 * After a failure the next poll asks without waiting: a long
		 * poll that reached a scheduler just back would say so only
		 * when it ends, and the spooled results must be delivered
		 * within the lease time the scheduler gives them on restart.
		 */
		pthread_mutex_lock(&d->mu);
		while (d->running >= d->slots && !atomic_load(&d->stopping)) {
			service_alive();	/* waiting for a slot is work */
			agentd_wait_until(&d->cv, &d->mu, time_mono_ms() + 1000);
		}
		free_slots = d->slots - d->running;
		body = json_pack("{s:I, s:I, s:i, s:i, s:o}", "agent_id",
		    (json_int_t)d->agent_id, "wait_ms",
		    (json_int_t)(failures > 0 ? 0 : wait_ms),
		    "free_slots", free_slots, "max_jobs",
		    lease_max(d, free_slots), "labels", offered_labels(d));
		pthread_mutex_unlock(&d->mu);
		if (atomic_load(&d->stopping)) {
			json_decref(body);
			break;
		}
		rc = client_call(c, "POST", "/api/agents/lease", body,
		    wait_ms + 15000, 1, &rep);
		json_decref(body);
		/*
		 * The watchdog hears from the poller after each poll,
		 * answered or not: a poller stuck anywhere stops pinging.
		 */
		service_alive();
		if (atomic_load(&d->stopping)) {
			/* A job leased as we stopped is started, and at
			 * once handed back by its runner. */
			if (rc == 0 && rep.status == 200)
				jobs_start(d, &rep.body);
			client_reply_free(&rep);
			break;
		}
		if (rc != 0 || rep.status >= 500) {
			client_reply_error(&rep, why, sizeof why);
			client_reply_free(&rep);
			if (failures++ == 0)
				agentd_say("cannot reach the scheduler (%s); running "
				    "jobs go on, results are spooled", why);
			nap(d, agentd_backoff(failures, RETRY_BASE_MS, poll_retry_max(d)));
			continue;
		}
		if (failures > 0) {
			agentd_say("the scheduler answers again");
			failures = 0;
			delivery_scheduler_back(d);
		}
		switch (rep.status) {
		case 200:
			jobs_start(d, &rep.body);
			break;
		case 204:
			break;
		case 404:
			/* The scheduler forgot us (new database): again. */
			agentd_say("the scheduler does not know this agent; "
			    "registering again");
			if (agent_register(d, c) != 0)
				atomic_store(&d->stopping, 1);
			break;
		default:
			agentd_say("lease refused: %s", client_reply_error(&rep, why,
			    sizeof why));
			nap(d, agentd_backoff(++failures, RETRY_BASE_MS,
			    poll_retry_max(d)));
			break;
		}
		client_reply_free(&rep);
	}
	client_free(c);
}

/* --- signals and the life cycle ------------------------------------------- */

struct sigctx {
	struct agentd	*d;
	sigset_t	 set;
};

static void *
signal_main(void *arg)
{
	struct sigctx *s = arg;
	struct agentd *d = s->d;
	struct job *j;
	int sig, n = 0;

	for (;;) {
		if (sigwait(&s->set, &sig) != 0)
			continue;
		if (sig == SIGUSR1)	/* the agent is done: quit */
			break;
		pthread_mutex_lock(&d->mu);
		if (!atomic_load(&d->stopping)) {
			atomic_store(&d->stopping, 1);
			for (j = d->jobs; j != NULL; j = j->next)
				n++;
			agentd_say("%s: taking no new job; %d running job(s) %s; "
			    "then exiting", strsignal(sig), n,
			    d->o->on_term == AGENTD_TERM_RELEASE ?
			    "finish their current step and are handed back" :
			    "finish and are reported");
			if (d->o->on_term == AGENTD_TERM_RELEASE) {
				for (j = d->jobs; j != NULL; j = j->next)
					atomic_store(&j->stop_after_step, 1);
			}
		} else if (!atomic_load(&d->hurry)) {
			atomic_store(&d->hurry, 1);
			agentd_say("%s again: stopping every job now and handing it "
			    "back", strsignal(sig));
			for (j = d->jobs; j != NULL; j = j->next)
				j->cancel = 1;
		}
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->mu);
	}
	return NULL;
}

static char *
default_spool(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (state != NULL && *state == '/')
		return xasprintf("%s/kobito-agent", state);
	if (home != NULL && *home == '/')
		return xasprintf("%s/.local/state/kobito-agent", home);
	return xstrdup("/var/tmp/kobito-agent");
}

/* Labels as given, plus "display" when the agent has displays. */
static int
setup_labels(struct agentd *d)
{
	const struct agentd_opts *o = d->o;
	const char *env;
	int has_display = 0;
	size_t i;

	d->labels = xcalloc(o->nlabels + 1, sizeof *d->labels);
	for (i = 0; i < o->nlabels; i++) {
		if (strcmp(o->labels[i], "display") == 0)
			has_display = 1;
		d->labels[d->nlabels++] = xstrdup(o->labels[i]);
	}
	d->displays = xcalloc(o->ndisplays + 1, sizeof *d->displays);
	for (i = 0; i < o->ndisplays; i++)
		d->displays[d->ndisplays++] = o->displays[i];
	if (d->ndisplays == 0 && has_display) {
		if ((env = getenv("DISPLAY")) == NULL || *env == '\0') {
			fprintf(stderr, "kobito-agent: the label 'display' needs "
			    "--display :N or DISPLAY in the environment\n");
			return -1;
		}
		d->displays[d->ndisplays++] = env;
	}
	if (d->ndisplays > 0 && !has_display)
		d->labels[d->nlabels++] = xstrdup("display");
	d->display_busy = xcalloc(d->ndisplays + 1, sizeof *d->display_busy);
	return 0;
}

/* --- confinement ---------------------------------------------------------- */

/*
 * Drop the token from the environment that jobs and their programs
 * inherit: KOBITO_TOKEN, and any variable whose value holds it.  The
 * value is wiped where it lies first: the strings the process started
 * with are what /proc/PID/environ shows, whatever unsetenv does.
 */
static void
scrub_environment(const char *token)
{
	extern char **environ;
	char *name, *eq;
	size_t i;

	for (i = 0; environ[i] != NULL; ) {
		eq = strchr(environ[i], '=');
		if (eq == NULL || (strstr(eq + 1, token) == NULL &&
		    strncmp(environ[i], "KOBITO_TOKEN=", 13) != 0)) {
			i++;
			continue;
		}
		name = xstrndup(environ[i], (size_t)(eq - environ[i]));
		explicit_bzero(eq + 1, strlen(eq + 1));
		unsetenv(name);
		free(name);
	}
}

/* What a confined job may read besides its roots: kobito's own files
 * (templates beside the program, the office module it loads once
 * confined) and the X authority file. */
static void
extra_reads(struct agentd *d)
{
	/* PREFIX/bin/kobito-agent beside PREFIX/share/kobito; in the
	 * source tree, bin/ or build-NAME/bin/ beside scripts/. */
	static const char *const beside[] = { "../../share/kobito",
	    "../../scripts", "../../../scripts", NULL };
	const char *env[] = { getenv("KOBITO_TEMPLATES"),
	    getenv("XAUTHORITY") };
	char exe[PATH_MAX], *p, *real;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t k = 0, i;

	d->reads = xcalloc(5, sizeof *d->reads);
	if (office_path() != NULL)
		d->reads[k++] = xstrdup(office_path());
	for (i = 0; n > 0 && beside[i] != NULL; i++) {
		exe[n] = '\0';
		p = xasprintf("%s/%s", exe, beside[i]);
		real = realpath(p, NULL);
		free(p);
		if (real != NULL) {
			d->reads[k++] = real;
			break;
		}
	}
	for (i = 0; i < sizeof env / sizeof env[0]; i++)
		if (env[i] != NULL && (real = realpath(env[i], NULL)) != NULL)
			d->reads[k++] = real;
}

/* Whether a job could read path: beneath a root, a system directory or
 * an extra read.  Returns the root, or NULL. */
static const char *
readable_by_jobs(const struct agentd *d, const char *path)
{
	const struct policy *p = d->conf.policy;
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (policy_beneath(path, p->files[i].path))
			return p->files[i].path;
	for (i = 0; d->sandbox > 0 && i < p->nsystem; i++)
		if (policy_beneath(path, p->system[i]))
			return p->system[i];
	for (i = 0; d->sandbox > 0 && d->reads[i] != NULL; i++)
		if (policy_beneath(path, d->reads[i]))
			return d->reads[i];
	return NULL;
}

/*
 * Check the policy against this machine and this agent, and keep the
 * token out of the jobs' reach.  -1 (message on stderr) when the agent
 * must not start.
 */
static int
confine_setup(struct agentd *d)
{
	const struct policy *p = d->conf.policy;
	const char *root;
	char err[512], *desc, *tok, *spool;
	int abi;
	size_t i;

	scrub_environment(d->token);
	extra_reads(d);
	if (p == NULL) {
		agentd_say("no policy (--config): jobs may run any program, "
		    "reach any host and read and write whatever this user "
		    "can, the token file '%s' included", d->o->token_file);
		return 0;
	}
	desc = policy_describe(p);
	if (policy_confines(p) && p->landlock != POLICY_LANDLOCK_OFF) {
		abi = sandbox_abi(err, sizeof err);
		if (abi < 1 && p->landlock == POLICY_LANDLOCK_REQUIRED) {
			fprintf(stderr, "kobito-agent: the policy needs "
			    "Landlock (landlock: required), but %s; set "
			    "'landlock: if-available' to run with the checks "
			    "of the actions alone\n", err);
			free(desc);
			return -1;
		}
		if (abi < 1)
			agentd_say("warning: %s: the policy is enforced by the "
			    "actions alone; programs that jobs run are not "
			    "confined", err);
		d->sandbox = abi > 0 ? abi : 0;
	}
	if (d->sandbox > 0 && d->o->isolation == AGENTD_ISOLATE_THREAD) {
		fprintf(stderr, "kobito-agent: --isolation thread cannot "
		    "confine jobs: the policy's Landlock sandbox binds a job "
		    "in a process of its own (use auto or process)\n");
		free(desc);
		return -1;
	}
	tok = realpath(d->o->token_file, NULL);
	spool = realpath(spool_dir(d->spool), NULL);
	if (tok != NULL && (root = readable_by_jobs(d, tok)) != NULL) {
		fprintf(stderr, "kobito-agent: the token file '%s' lies under "
		    "'%s', which jobs may read; keep it outside the policy's "
		    "files and system directories\n", tok, root);
		free(tok);
		free(spool);
		free(desc);
		return -1;
	}
	for (i = 0; spool != NULL && i < p->nfiles; i++) {
		if (policy_beneath(spool, p->files[i].path) ||
		    policy_beneath(p->files[i].path, spool)) {
			fprintf(stderr, "kobito-agent: the spool '%s' and the "
			    "file root '%s' overlap: jobs could read other "
			    "jobs' results and lease tokens\n", spool,
			    p->files[i].path);
			free(tok);
			free(spool);
			free(desc);
			return -1;
		}
	}
	agentd_say("policy: %s", desc);
	if (d->sandbox > 0)
		agentd_say("jobs run confined, each in a process of its own "
		    "(Landlock ABI %d)", d->sandbox);
	free(tok);
	free(spool);
	free(desc);
	return 0;
}

int
agentd_run(const struct agentd_opts *o)
{
	struct agentd d;
	struct sigctx sc;
	pthread_t sigthread, deliverer, reporter, watcher;
	char err[512], host[256], *spool_path;
	size_t i;

	if (geteuid() == 0 && !o->allow_root) {
		fprintf(stderr, "kobito-agent: refusing to run as root: run it "
		    "as an ordinary user, or pass --allow-root\n");
		return 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "kobito-agent: cannot initialise libsodium\n");
		return 1;
	}
	memset(&d, 0, sizeof d);
	d.o = o;
	d.slots = o->slots > 0 ? o->slots : 1;
	d.heartbeat_ms = 10000;
	pthread_mutex_init(&d.mu, NULL);
	cond_init_mono(&d.cv);
	cond_init_mono(&d.deliver_cv);
	pthread_cond_init(&d.work_cv, NULL);
	cond_init_mono(&d.report_cv);
	pthread_cond_init(&d.reported_cv, NULL);
	d.ready_tail = &d.ready;
	d.out_tail = &d.out;
	if (o->config != NULL && agentconf_load(o->config, &d.conf,
	    o->config_keys, err, sizeof err) != 0) {
		fprintf(stderr, "kobito-agent: %s\n", err);
		return 1;
	}
	/* Programs the jobs run as this user must not read its memory or
	 * environment through /proc, nor trace it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if ((d.token = client_read_token(o->token_file, err, sizeof err)) ==
	    NULL) {
		fprintf(stderr, "kobito-agent: %s\n", err);
		return 1;
	}
	if (o->name != NULL) {
		d.name = xstrdup(o->name);
	} else {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "agent");
		host[sizeof host - 1] = '\0';
		d.name = xstrdup(host);
	}
	if (setup_labels(&d) != 0)
		return 1;
	spool_path = o->spool ? xstrdup(o->spool) : default_spool();
	if ((d.spool = spool_open(spool_path, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito-agent: %s\n", err);
		free(spool_path);
		return 1;
	}
	free(spool_path);
	if (confine_setup(&d) != 0)
		return 1;

	/* Signals are taken by one thread with sigwait; every other thread
	 * (and so every child) starts with them blocked. */
	sc.d = &d;
	sigemptyset(&sc.set);
	sigaddset(&sc.set, SIGTERM);
	sigaddset(&sc.set, SIGINT);
	sigaddset(&sc.set, SIGHUP);
	sigaddset(&sc.set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&sigthread, NULL, signal_main, &sc) != 0 ||
	    pthread_create(&deliverer, NULL, delivery_main, &d) != 0 ||
	    pthread_create(&reporter, NULL, reporter_main, &d) != 0) {
		fprintf(stderr, "kobito-agent: cannot start a thread\n");
		return 1;
	}
	if (spool_pending(d.spool) > 0)
		agentd_say("%ld undelivered record(s) in %s/outbox; delivering",
		    spool_pending(d.spool), spool_dir(d.spool));
	/* Ready: the spool is ours and results will be delivered whenever
	 * the scheduler answers; registering may take a while. */
	service_ready("registering with %s", o->scheduler);

	/* File triggers: started once registered (poll_loop registers). */
	if (pthread_create(&watcher, NULL, watch_main, &d) != 0) {
		fprintf(stderr, "kobito-agent: cannot start a thread\n");
		return 1;
	}
	poll_loop(&d);
	service_stopping();
	atomic_store(&d.stopping, 1);	/* also when it could not register */
	pthread_join(watcher, NULL);

	/* Stopping: wait for every runner (their jobs finish, or finish
	 * their step and are handed back), then a last delivery pass. */
	pthread_mutex_lock(&d.mu);
	while (d.runners > 0)
		agentd_wait_until(&d.cv, &d.mu, time_mono_ms() + 1000);
	d.work_quit = 1;
	pthread_cond_broadcast(&d.work_cv);
	pthread_mutex_unlock(&d.mu);
	for (i = 0; i < d.nworkers; i++)
		pthread_join(d.workers[i], NULL);
	free(d.workers);
	pthread_mutex_lock(&d.mu);
	d.report_quit = 1;
	pthread_cond_signal(&d.report_cv);
	pthread_mutex_unlock(&d.mu);
	pthread_join(reporter, NULL);
	pthread_mutex_lock(&d.mu);
	d.deliver_quit = 1;
	pthread_cond_signal(&d.deliver_cv);
	pthread_mutex_unlock(&d.mu);
	pthread_join(deliverer, NULL);
	pthread_kill(sigthread, SIGUSR1);
	pthread_join(sigthread, NULL);
	if (spool_pending(d.spool) > 0)
		agentd_say("exiting with %ld undelivered record(s) in %s/outbox; "
		    "they are delivered when the agent starts again",
		    spool_pending(d.spool), spool_dir(d.spool));
	else
		agentd_say("stopped");

	delivery_release(&d);
	while (d.cache != NULL) {
		struct cached *c = d.cache;

		d.cache = c->next;
		script_free(c->script);
		free(c->digest);
		free(c);
	}
	for (i = 0; i < d.nlabels; i++)
		free(d.labels[i]);
	free(d.labels);
	free(d.displays);
	free(d.display_busy);
	spool_close(d.spool);
	for (i = 0; d.reads != NULL && d.reads[i] != NULL; i++)
		free(d.reads[i]);
	free(d.reads);
	agentconf_release(&d.conf);
	memset(d.token, 0, strlen(d.token));
	free(d.token);
	free(d.name);
	pthread_mutex_destroy(&d.mu);
	pthread_cond_destroy(&d.cv);
	pthread_cond_destroy(&d.deliver_cv);
	pthread_cond_destroy(&d.work_cv);
	pthread_cond_destroy(&d.report_cv);
	pthread_cond_destroy(&d.reported_cv);
	return d.fatal ? 1 : 0;
}

int
agentd_child(int in_fd, int out_fd)
{
	return jobrun_child_main(in_fd, out_fd);
}
