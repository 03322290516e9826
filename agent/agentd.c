/*
 * agentd.c - the agent daemon: lease jobs, run them, report them.
 *
 * agentd.h describes the threads and the isolation rule; docs/agent.md the
 * behaviour an operator sees; docs/api.md the scheduler's side.  The rules
 * that matter most here:
 *
 *   - a finished run's result is written to the spool before the first
 *     attempt to deliver it, synced to disk when that attempt fails, and
 *     removed only once the scheduler has acknowledged it, so neither the
 *     scheduler being down nor the agent being killed loses it (a machine
 *     that dies before the first attempt loses the record, but then the
 *     lease expires and the job runs again);
 *   - a lease that is no longer ours (409 from any call about the job)
 *     stops the run and its output is dropped: someone else owns the job;
 *   - everything sent about a job is idempotent (events carry seq numbers,
 *     artifacts are replaced by name, a repeated result is acknowledged as
 *     a duplicate), so a delivery can always be retried from the start.
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
#include "buf.h"
#include "client.h"
#include "engine.h"
#include "fsutil.h"
#include "script.h"
#include "spool.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

#define LEASE_BATCH		32	/* jobs one lease call may take */
#define RESULT_BATCH		64	/* results one call may carry */
#define RESULT_BATCH_BYTES	(512u * 1024)
#define EVENT_BATCH		50	/* send when this many are queued */
#define EVENT_FLUSH_MS		200	/* or when the oldest is this old */
#define EVENTS_PER_CALL		500	/* the API takes at most 1000 */
#define EVENT_BYTES_PER_CALL	(512u * 1024)	/* the API takes 1 MiB */
#define EVENT_TEXT_CAP		16384	/* longest message or error kept */
#define MAX_QUEUED_EVENTS	20000	/* per job, while cut off */
#define ARTIFACT_MAX_BYTES	(10u * 1024 * 1024)
#define CHILD_KILL_GRACE_MS	10000	/* cancel ignored this long: SIGKILL */
#define CHILD_OUTPUT_CAP	(64u * 1024 * 1024)
#define RETRY_BASE_MS		500
#define RETRY_MAX_MS		10000
#define DELIVER_BASE_MS		1000
#define DELIVER_MAX_MS		60000
#define SHUTDOWN_CALL_MS	3000

/* --- state ---------------------------------------------------------------- */

struct job {
	struct agentd		*d;
	json_t			*lease;		/* the lease response */
	char			*job_id;	/* as text, for paths */
	long			 attempt;
	char			*run_id;
	const char		*token;		/* in lease */
	long			 timeout_ms;	/* 0: none */
	long			 heartbeat_ms;	/* a third of the lease */
	char			*key;		/* spool key */
	char			*dir;		/* spool/jobs/KEY */
	char			*artdir;	/* dir/artifacts */
	struct script		*script;	/* NULL: did not load */
	char			*digest;	/* the script's, or NULL */
	char			*load_error;
	int			 display;	/* index, or -1 */
	int			 no_display;	/* none was free: hand it back */
	int			 process;	/* run in a child process */

	atomic_int		 cancel;	/* the engine's stop flag */
	atomic_int		 stop_after_step;
	atomic_int		 lost;		/* the lease is not ours */
	atomic_int		 user_cancel;
	atomic_int		 timed_out;

	pthread_mutex_t		 mu;		/* guards the four below */
	json_t			*queue;		/* events not yet sent */
	long			 next_seq;
	long			 dropped;
	int64_t			 queued_since;	/* mono ms of the oldest */

	/* the reporter's, under d->mu (all times mono ms) */
	int64_t			 started_ms;	/* leased */
	int64_t			 next_hb;
	int64_t			 retry_at;	/* events failed: not before */
	int			 reporting;	/* a call about it is on */
	int			 finished;	/* the run is over */

	struct job		*next;		/* in d->jobs */
	struct job		*next_ready;	/* in d->ready */
};

/*
 * A loaded script kept for the next job of the same version (by digest):
 * loading is a good part of a short job's cost.  One job at a time uses
 * a script; a second job of the same version at once loads its own.
 */
struct cached {
	char			*digest;
	struct script		*script;
	struct cached		*next;
};

#define SCRIPT_CACHE_MAX	32

/* A record queued for POST /api/results. */
struct outgoing {
	char			*key;
	json_t			*rec;
	char			*item;		/* its JSON in the call */
	struct outgoing		*next;
};

struct redelivery {
	char			*key;
	int			 tries;
	int64_t			 due;		/* mono ms */
};

struct agentd {
	const struct agentd_opts *o;
	char			*token;
	char			*name;
	struct spool		*spool;
	char			**labels;
	size_t			 nlabels;
	const char		**displays;
	size_t			 ndisplays;
	int			 slots;
	long			 agent_id;
	long			 heartbeat_ms;

	atomic_int		 stopping;	/* SIGTERM: take no new job */
	atomic_int		 hurry;		/* second signal: stop now */
	int			 fatal;		/* could not register */

	pthread_mutex_t		 mu;		/* guards the fields below */
	pthread_cond_t		 cv;		/* slots, runners */
	int			*display_busy;
	int			 running;	/* jobs holding a slot */
	int			 runners;	/* runner threads alive */
	struct job		*jobs;
	char			**inflight;	/* keys a runner delivers */
	size_t			 ninflight;
	struct redelivery		*retries;
	size_t			 nretries;
	struct job		*ready, **ready_tail;	/* for a worker */
	pthread_cond_t		 work_cv;	/* idle workers wait here */
	size_t			 nready;
	int			 idle;		/* workers waiting */
	int			 starting;	/* workers not yet waiting */
	int			 work_quit;
	pthread_t		*workers;
	size_t			 nworkers;
	struct cached		*cache;		/* most recent first */
	size_t			 ncache;
	struct outgoing		*out, **out_tail;	/* results to send */
	struct outgoing		*unsaved;	/* the spool could not keep */
	int			 sending;	/* a worker is sending them */
	pthread_cond_t		 report_cv;	/* the reporter waits here */
	pthread_cond_t		 reported_cv;	/* a call by it ended */
	int			 report_quit;
	pthread_cond_t		 deliver_cv;	/* the deliverer waits here */
	int			 deliver_wake;
	int			 deliver_quit;
	struct client		**pool;
	size_t			 npool;
};

/* --- small helpers ------------------------------------------------------ */

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr: time, program, message. */
static void
say(const char *fmt, ...)
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

/* Wait on cv until the monotonic time until_ms (or a signal). */
static void
cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_ms)
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

static int64_t
backoff(int tries, int64_t base, int64_t max)
{
	return spool_backoff_ms(tries, base, max, random_unit());
}

/* Sleep up to ms, waking when the agent is told to stop. */
static void
nap(struct agentd *d, int64_t ms)
{
	int64_t end = time_mono_ms() + ms;

	while (!atomic_load(&d->stopping) && time_mono_ms() < end)
		time_sleep_ms(end - time_mono_ms() > 100 ? 100 :
		    end - time_mono_ms(), NULL);
}

static struct client *
client_take(struct agentd *d)
{
	struct client *c = NULL;

	pthread_mutex_lock(&d->mu);
	if (d->npool > 0)
		c = d->pool[--d->npool];
	pthread_mutex_unlock(&d->mu);
	return c ? c : client_new(d->o->scheduler, d->token);
}

static void
client_give(struct agentd *d, struct client *c)
{
	pthread_mutex_lock(&d->mu);
	d->pool = xreallocarray(d->pool, d->npool + 1, sizeof *d->pool);
	d->pool[d->npool++] = c;
	pthread_mutex_unlock(&d->mu);
}

static long
json_long(const json_t *o, const char *k, long def)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long)json_integer_value(v) : def;
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

/* A copy of s cut to at most cap bytes on a UTF-8 boundary. */
static char *
clip_utf8(const char *s, size_t cap)
{
	size_t n = strlen(s);

	if (n <= cap)
		return NULL;
	n = cap;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return xasprintf("%.*s... (%zu bytes cut)", (int)n, s,
	    strlen(s) - n);
}

/* --- the isolation rule ------------------------------------------------- */

/*
 * Actions checked to keep no state outside their struct run and to call
 * only re-entrant library functions.  A name ending in '.' covers a family.
 */
static const char *const thread_safe_actions[] = {
	"log", "set", "assert", "fail", "sleep",
	"file.", "csv.", "json.", "http.request", "sqlite.", "exec",
	NULL,
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

/* --- events -------------------------------------------------------------- */

/*
 * Queue a copy of ev with the next seq, long texts cut.  Called by the
 * runner (the engine's callback, or lines from the child).
 */
static void
job_enqueue(struct job *j, const json_t *ev)
{
	static const char *const long_fields[] = { "message", "error" };
	json_t *copy;
	const char *type;
	char *cut;
	size_t i;
	int wake;

	pthread_mutex_lock(&j->mu);
	if (json_array_size(j->queue) >= MAX_QUEUED_EVENTS) {
		/* Cut off for long: keep the first ones, count the rest.
		 * The seq still advances so the gap shows. */
		j->next_seq++;
		j->dropped++;
		pthread_mutex_unlock(&j->mu);
		return;
	}
	copy = json_deep_copy(ev);
	for (i = 0; i < sizeof long_fields / sizeof long_fields[0]; i++) {
		const char *s = json_string_value(json_object_get(copy,
		    long_fields[i]));

		if (s != NULL && (cut = clip_utf8(s, EVENT_TEXT_CAP)) != NULL) {
			json_object_set_new(copy, long_fields[i],
			    json_string(cut));
			free(cut);
		}
	}
	/* Artifacts are uploaded under their file name: say which. */
	type = json_string_value(json_object_get(copy, "type"));
	if (type != NULL && strcmp(type, "artifact") == 0) {
		const char *path = json_string_value(json_object_get(copy,
		    "path"));
		const char *base = path ? strrchr(path, '/') : NULL;

		if (path != NULL)
			json_object_set_new(copy, "name",
			    json_string(base ? base + 1 : path));
	}
	json_object_set_new(copy, "seq", json_integer(++j->next_seq));
	if (json_array_size(j->queue) == 0)
		j->queued_since = time_mono_ms();
	json_array_append_new(j->queue, copy);
	wake = json_array_size(j->queue) == EVENT_BATCH;
	pthread_mutex_unlock(&j->mu);
	if (wake) {
		pthread_mutex_lock(&j->d->mu);
		pthread_cond_signal(&j->d->report_cv);
		pthread_mutex_unlock(&j->d->mu);
	}
}

/* The engine's event callback when the run is in this process. */
static void
on_event(void *arg, const json_t *ev)
{
	struct job *j = arg;
	const char *type = json_string_value(json_object_get(ev, "type"));

	job_enqueue(j, ev);
	/* "Finish the current step, then stop": the engine checks the flag
	 * before each step, so setting it at a step's end stops there. */
	if (type != NULL && strcmp(type, "step_end") == 0 &&
	    atomic_load(&j->stop_after_step))
		j->cancel = 1;
}

/*
 * Take up to EVENTS_PER_CALL events (EVENT_BYTES_PER_CALL of JSON) from
 * the front of arr into a new array; *bytes gets their size.
 */
static json_t *
take_batch(json_t *arr, size_t from)
{
	json_t *batch = json_array(), *ev;
	size_t i, bytes = 0;
	char *text;

	for (i = from; i < json_array_size(arr) &&
	    json_array_size(batch) < EVENTS_PER_CALL; i++) {
		ev = json_array_get(arr, i);
		text = json_dumps(ev, JSON_COMPACT);
		bytes += text ? strlen(text) + 1 : 0;
		free(text);
		if (bytes > EVENT_BYTES_PER_CALL && json_array_size(batch) > 0)
			break;
		json_array_append(batch, ev);
	}
	return batch;
}

/* How a call about a job ended. */
enum outcome {
	OUT_OK,		/* acknowledged */
	OUT_RETRY,	/* no answer or a passing failure: try again later */
	OUT_STALE,	/* 409/404: the lease is not ours; drop the job */
	OUT_REFUSED,	/* refused for good for another reason */
};

static enum outcome
classify(int rc, const struct client_reply *rep)
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

static enum outcome
post_events(struct client *c, const char *job_id, const char *token,
    json_t *batch, char *why, size_t whylen)
{
	struct client_reply rep;
	enum outcome out;
	char *path = xasprintf("/api/jobs/%s/events", job_id);
	json_t *body = json_pack("{s:s, s:O}", "lease_token", token, "events",
	    batch);
	int rc;

	rc = client_call(c, "POST", path, body, 0, 1, &rep);
	out = classify(rc, &rep);
	if (out != OUT_OK)
		client_reply_error(&rep, why, whylen);
	client_reply_free(&rep);
	json_decref(body);
	free(path);
	return out;
}

/* --- the reporter: events and heartbeats while jobs run --------------- */

/*
 * One thread reports for every job: a short job costs it nothing (no
 * thread started, no wake-up), and it looks at the running jobs at least
 * every EVENT_FLUSH_MS, sooner when a job's events fill a batch.
 */

static void
job_stop(struct job *j, const char *why)
{
	if (!j->cancel)
		say("job %s attempt %ld: %s; stopping it", j->job_id,
		    j->attempt, why);
	j->cancel = 1;
}

/* Send the first batch of j's events.  Returns when to try again. */
static int64_t
reporter_flush(struct job *j, struct client *c)
{
	json_t *batch;
	enum outcome out;
	char why[512];
	size_t n;
	int64_t retry_at = 0;

	pthread_mutex_lock(&j->mu);
	batch = take_batch(j->queue, 0);
	pthread_mutex_unlock(&j->mu);
	n = json_array_size(batch);
	out = post_events(c, j->job_id, j->token, batch, why, sizeof why);
	json_decref(batch);
	pthread_mutex_lock(&j->mu);
	if (out == OUT_OK || out == OUT_REFUSED) {
		/* Refused (400): resending would not help; the result still
		 * matters more than these events. */
		while (n-- > 0)
			json_array_remove(j->queue, 0);
		j->queued_since = time_mono_ms();
	} else if (out == OUT_RETRY) {
		retry_at = time_mono_ms() + 2000;
	} else {
		/* Not ours any more: nothing about it is sent again. */
		json_array_clear(j->queue);
	}
	pthread_mutex_unlock(&j->mu);
	if (out == OUT_STALE) {
		atomic_store(&j->lost, 1);
		job_stop(j, "the scheduler says the lease is gone");
	} else if (out == OUT_REFUSED) {
		say("job %s: events refused: %s", j->job_id, why);
	}
	return retry_at;
}

/* Heartbeat j.  Returns when the next one is due. */
static int64_t
reporter_heartbeat(struct job *j, struct client *c)
{
	struct client_reply rep;
	enum outcome out;
	char *path = xasprintf("/api/jobs/%s/heartbeat", j->job_id);
	json_t *body = json_pack("{s:s}", "lease_token", j->token);
	char why[512];
	long ttl;
	int64_t next;
	int rc;

	rc = client_call(c, "POST", path, body, 0, 1, &rep);
	out = classify(rc, &rep);
	if (out == OUT_OK) {
		if (json_is_true(json_object_get(rep.body, "cancel"))) {
			atomic_store(&j->user_cancel, 1);
			job_stop(j, "cancelled by a user");
		}
		ttl = json_long(rep.body, "lease_ttl_ms", 0);
		if (ttl >= 300)
			j->heartbeat_ms = ttl / 3;
		next = time_mono_ms() + j->heartbeat_ms;
	} else {
		if (out == OUT_STALE) {
			atomic_store(&j->lost, 1);
			job_stop(j, client_reply_error(&rep, why, sizeof why));
		}
		/* Cut off: keep running, keep trying a little more often. */
		next = time_mono_ms() + (j->heartbeat_ms < 2000 ?
		    j->heartbeat_ms : 2000);
	}
	client_reply_free(&rep);
	json_decref(body);
	free(path);
	return next;
}

/* When j's events are to be sent (INT64_MAX: none waiting). */
static int64_t
flush_due(struct job *j, int64_t now)
{
	int64_t at;

	pthread_mutex_lock(&j->mu);
	at = json_array_size(j->queue) == 0 ? INT64_MAX :
	    json_array_size(j->queue) >= EVENT_BATCH ? now :
	    j->queued_since + EVENT_FLUSH_MS;
	pthread_mutex_unlock(&j->mu);
	return at > j->retry_at || at == INT64_MAX ? at : j->retry_at;
}

/* When j next needs the reporter (never once its lease is lost: it is
 * stopping, and a call about it would only be refused).  d->mu is held. */
static int64_t
report_due(struct job *j, int64_t now)
{
	int64_t at;

	if (atomic_load(&j->lost))
		return INT64_MAX;
	at = flush_due(j, now);

	if (j->next_hb < at)
		at = j->next_hb;
	if (j->timeout_ms > 0 && !atomic_load(&j->timed_out) &&
	    j->started_ms + j->timeout_ms + 1 < at)
		at = j->started_ms + j->timeout_ms + 1;
	return at;
}

/* Do what is due for j (a call may be made: d->mu is not held). */
static void
report(struct job *j, struct client *c, int64_t now)
{
	if (j->timeout_ms > 0 && !atomic_load(&j->timed_out) &&
	    now - j->started_ms > j->timeout_ms) {
		/* The scheduler times it out too (its clock started first);
		 * stop now rather than at the next 409. */
		atomic_store(&j->timed_out, 1);
		job_stop(j, "the job's time is up");
	}
	if (flush_due(j, now) <= now)
		j->retry_at = reporter_flush(j, c);
	if (j->next_hb <= now)
		j->next_hb = reporter_heartbeat(j, c);
}

static void *
reporter_main(void *arg)
{
	struct agentd *d = arg;
	struct client *c = client_new(d->o->scheduler, d->token);
	struct job *j, *due;
	int64_t now, next, at, due_at;

	pthread_mutex_lock(&d->mu);
	while (!d->report_quit) {
		now = time_mono_ms();
		next = INT64_MAX;
		due = NULL;
		due_at = INT64_MAX;
		/* The job due longest goes first, so none waits behind
		 * another that is due again at once. */
		for (j = d->jobs; j != NULL; j = j->next) {
			if (j->finished)
				continue;
			at = report_due(j, now);
			if (at <= now && at < due_at) {
				due = j;
				due_at = at;
			} else if (at > now && at < next) {
				next = at;
			}
		}
		if (due == NULL) {
			/* New events are seen at the next look. */
			if (d->jobs != NULL && next > now + EVENT_FLUSH_MS)
				next = now + EVENT_FLUSH_MS;
			if (next == INT64_MAX)
				pthread_cond_wait(&d->report_cv, &d->mu);
			else
				cond_wait_until(&d->report_cv, &d->mu, next);
			continue;
		}
		due->reporting = 1;
		pthread_mutex_unlock(&d->mu);
		report(due, c, now);
		pthread_mutex_lock(&d->mu);
		due->reporting = 0;
		pthread_cond_broadcast(&d->reported_cv);
	}
	pthread_mutex_unlock(&d->mu);
	client_free(c);
	return NULL;
}

/* --- running the script --------------------------------------------------- */

/* A summary for a run that never got going. */
static json_t *
failed_summary(const struct job *j, const char *error)
{
	json_t *lease_script = json_object_get(j->lease, "script");

	return json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:{s:i, s:i, s:[]}, "
	    "s:f, s:f, s:i, s:[], s:[], s:n}",
	    "run_id", j->run_id,
	    "script", json_string_value(json_object_get(lease_script, "name")),
	    "digest", json_string_value(json_object_get(lease_script,
	    "digest")),
	    "status", "failed", "error", error,
	    "items", "succeeded", 0, "failed", 0, "failures",
	    "minutes_saved", 0.0, "vendor_minutes_saved", 0.0,
	    "duration_ms", 0, "steps", "artifacts", "output");
}

static const char *
job_display(const struct job *j)
{
	return j->display >= 0 ? j->d->displays[j->display] : NULL;
}

/* Run the script in this thread. */
static json_t *
run_here(struct job *j)
{
	struct run_opts opts;
	struct run *r;
	json_t *sum;
	char err[1024];

	memset(&opts, 0, sizeof opts);
	opts.params = json_object_get(j->lease, "params");
	opts.secrets = json_object_get(j->lease, "secrets");
	opts.display = job_display(j);
	opts.artifacts_dir = j->artdir;
	opts.run_id = j->run_id;
	opts.on_event = on_event;
	opts.event_arg = j;
	opts.cancel = &j->cancel;
	if ((r = run_new(j->script, &opts, err, sizeof err)) == NULL)
		return failed_summary(j, err);
	run_exec(r);
	sum = run_summary(r);
	run_free(r);
	return sum;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line from the child: an event or the summary. */
static void
child_line(struct job *j, const char *line, size_t len, json_t **sum)
{
	json_t *msg = json_loadb(line, len, 0, NULL), *v;

	if (msg == NULL) {
		say("job %s: the run's process wrote a line that is not JSON",
		    j->job_id);
		return;
	}
	if ((v = json_object_get(msg, "event")) != NULL)
		job_enqueue(j, v);
	else if ((v = json_object_get(msg, "summary")) != NULL &&
	    json_is_object(v)) {
		json_decref(*sum);
		*sum = json_incref(v);
	}
	json_decref(msg);
}

/*
 * Run the script in a child process: this program with --run-job, fed the
 * job on a pipe (secrets never go through argv or the environment), read
 * back as JSON lines.  Cancellation goes by signal; a child that ignores
 * it for CHILD_KILL_GRACE_MS is killed.
 */
static json_t *
run_child(struct job *j)
{
	int in[2], out[2], status, sent_cancel = 0, sent_stop = 0, killed = 0;
	json_t *job, *sum = NULL;
	struct pollfd pfd;
	struct buf acc;
	int64_t cancel_at = 0;
	sigset_t none;
	char *text, chunk[65536], *nl, why[256];
	char *const child_argv[] = { "kobito-agent", "--run-job", NULL };
	ssize_t n;
	pid_t pid, parent;

	if (pipe2(in, O_CLOEXEC) != 0)
		return failed_summary(j, "cannot create a pipe for the run");
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return failed_summary(j, "cannot create a pipe for the run");
	}
	job = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:s?, s:s, s:s}",
	    "name", json_string_value(json_object_get(json_object_get(j->lease,
	    "script"), "name")),
	    "source", json_string_value(json_object_get(json_object_get(
	    j->lease, "script"), "source")),
	    "files", json_object_get(json_object_get(j->lease, "script"),
	    "files"),
	    "params", json_object_get(j->lease, "params"),
	    "secrets", json_object_get(j->lease, "secrets"),
	    "display", job_display(j), "artifacts_dir", j->artdir,
	    "run_id", j->run_id);
	text = json_dumps(job, JSON_COMPACT);
	json_decref(job);
	sigemptyset(&none);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls until exec.  The child dies
		 * with the thread that started it, so a killed agent never
		 * leaves a run going that another agent will run again. */
		dup2(in[0], 0);
		dup2(out[1], 1);
		close_range(3, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(j->d->o->self_exe, child_argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		free(text);
		return failed_summary(j, "cannot start a process for the run");
	}
	/* The child reads the whole job before it writes anything, so this
	 * cannot deadlock on a full pipe. */
	if (text == NULL || write_all(in[1], text, strlen(text)) != 0)
		say("job %s: cannot hand the job to its process: %s",
		    j->job_id, strerror(errno));
	close(in[1]);
	free(text);

	buf_init(&acc, CHILD_OUTPUT_CAP);
	pfd.fd = out[0];
	pfd.events = POLLIN;
	for (;;) {
		if (j->cancel && !sent_cancel) {
			kill(pid, SIGUSR1);
			sent_cancel = 1;
			cancel_at = time_mono_ms();
		}
		if (atomic_load(&j->stop_after_step) && !sent_stop) {
			kill(pid, SIGUSR2);
			sent_stop = 1;
		}
		if (sent_cancel && !killed &&
		    time_mono_ms() - cancel_at > CHILD_KILL_GRACE_MS) {
			say("job %s: the run ignored its cancellation for %d "
			    "s; killing it", j->job_id,
			    CHILD_KILL_GRACE_MS / 1000);
			kill(pid, SIGKILL);
			killed = 1;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(out[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_append(&acc, chunk, (size_t)n) != 0) {
			say("job %s: the run's process wrote a line longer "
			    "than %u bytes; killing it", j->job_id,
			    CHILD_OUTPUT_CAP);
			kill(pid, SIGKILL);
			killed = 1;
			buf_reset(&acc);
		}
		while (acc.len > 0 && (nl = memchr(acc.data, '\n', acc.len))) {
			size_t len = (size_t)(nl - acc.data);

			child_line(j, acc.data, len, &sum);
			memmove(acc.data, nl + 1, acc.len - len - 1);
			acc.len -= len + 1;
			acc.data[acc.len] = '\0';
		}
	}
	close(out[0]);
	buf_free(&acc);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (sum != NULL)
		return sum;
	if (WIFSIGNALED(status))
		snprintf(why, sizeof why, "the run's process was ended by "
		    "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(why, sizeof why, "the run's process exited with "
		    "status %d without a result", WEXITSTATUS(status));
	return failed_summary(j, why);
}

/* --- the child side ------------------------------------------------------ */

struct child {
	atomic_int	 cancel;
	atomic_int	 stop_after_step;
	int		 out;
	int		 broken;
	sigset_t	 sigs;
};

static void *
child_signals(void *arg)
{
	struct child *c = arg;
	int sig;

	for (;;) {
		if (sigwait(&c->sigs, &sig) != 0)
			continue;
		if (sig == SIGUSR2)
			c->stop_after_step = 1;
		else
			c->cancel = 1;
	}
	return NULL;
}

static void
child_emit(struct child *c, const char *key, const json_t *v)
{
	json_t *msg;
	char *text;
	size_t len;

	if (c->broken)
		return;
	msg = json_pack("{s:O}", key, (json_t *)v);
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		return;
	/* One write per line keeps lines whole. */
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	if (write_all(c->out, text, len) != 0) {
		/* The agent is gone: nobody will see the result. */
		c->broken = 1;
		c->cancel = 1;
	}
	free(text);
}

static void
child_event(void *arg, const json_t *ev)
{
	struct child *c = arg;
	const char *type = json_string_value(json_object_get(ev, "type"));

	child_emit(c, "event", ev);
	if (type != NULL && strcmp(type, "step_end") == 0 &&
	    c->stop_after_step)
		c->cancel = 1;
}

static void
child_fail(struct child *c, const char *name, const char *error)
{
	json_t *s = json_pack("{s:s?, s:s, s:s, s:{s:i, s:i, s:[]}, s:f, "
	    "s:f, s:i, s:[], s:[], s:n}", "script", name, "status", "failed",
	    "error", error, "items", "succeeded", 0, "failed", 0, "failures",
	    "minutes_saved", 0.0, "vendor_minutes_saved", 0.0, "duration_ms",
	    0, "steps", "artifacts", "output");

	child_emit(c, "summary", s);
	json_decref(s);
}

int
agentd_child(int in_fd, int out_fd)
{
	struct child c;
	struct run_opts opts;
	struct diag diag = { NULL, 0 };
	struct script *s;
	struct run *r;
	struct buf in;
	json_t *job, *sum;
	pthread_t t;
	char chunk[65536], err[1024], *name;
	const char *src;
	ssize_t n;
	size_t i;

	memset(&c, 0, sizeof c);
	c.out = out_fd;
	sigemptyset(&c.sigs);
	sigaddset(&c.sigs, SIGUSR1);
	sigaddset(&c.sigs, SIGUSR2);
	sigaddset(&c.sigs, SIGTERM);
	sigaddset(&c.sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &c.sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&t, NULL, child_signals, &c) != 0) {
		fprintf(stderr, "kobito-agent: cannot start a thread\n");
		return 1;
	}
	buf_init(&in, CHILD_OUTPUT_CAP);
	while ((n = read(in_fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(&in, chunk, (size_t)n) != 0) {
			fprintf(stderr, "kobito-agent --run-job: cannot read "
			    "the job\n");
			buf_free(&in);
			return 1;
		}
	}
	job = json_loadb(buf_str(&in), in.len, 0, NULL);
	buf_free(&in);
	if (!json_is_object(job)) {
		fprintf(stderr, "kobito-agent --run-job: the job on standard "
		    "input is not a JSON object\n");
		json_decref(job);
		return 1;
	}
	src = json_string_value(json_object_get(job, "source"));
	name = xasprintf("%s.yaml", json_string_value(json_object_get(job,
	    "name")) ? json_string_value(json_object_get(job, "name")) :
	    "script");
	/* Included sub-flows come with the script, never from this disk. */
	s = src ? script_load_bundle(name, src, strlen(src),
	    json_object_get(job, "files"), &diag) : NULL;
	if (s == NULL) {
		struct buf m;

		buf_init(&m, 64 * 1024);
		buf_puts(&m, "the script does not load on this agent:");
		for (i = 0; i < diag.n; i++)
			buf_printf(&m, " %s;", diag.msgs[i]);
		child_fail(&c, json_string_value(json_object_get(job, "name")),
		    buf_str(&m));
		buf_free(&m);
		diag_free(&diag);
		free(name);
		json_decref(job);
		return 0;
	}
	memset(&opts, 0, sizeof opts);
	opts.params = json_object_get(job, "params");
	opts.secrets = json_object_get(job, "secrets");
	opts.display = json_string_value(json_object_get(job, "display"));
	opts.artifacts_dir = json_string_value(json_object_get(job,
	    "artifacts_dir"));
	opts.run_id = json_string_value(json_object_get(job, "run_id"));
	opts.on_event = child_event;
	opts.event_arg = &c;
	opts.cancel = &c.cancel;
	if ((r = run_new(s, &opts, err, sizeof err)) == NULL) {
		child_fail(&c, s->name, err);
	} else {
		run_exec(r);
		sum = run_summary(r);
		child_emit(&c, "summary", sum);
		json_decref(sum);
		run_free(r);
	}
	script_free(s);
	free(name);
	json_decref(job);
	return 0;
}

/* --- delivery -------------------------------------------------------------- */

static const struct {
	const char	*ext;
	const char	*type;
} content_types[] = {
	{ ".png", "image/png" }, { ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" }, { ".txt", "text/plain; charset=utf-8" },
	{ ".log", "text/plain; charset=utf-8" },
	{ ".csv", "text/csv; charset=utf-8" },
	{ ".json", "application/json" }, { ".pdf", "application/pdf" },
	{ ".html", "text/html; charset=utf-8" },
};

static const char *
content_type(const char *name)
{
	size_t i, n = strlen(name), e;

	for (i = 0; i < sizeof content_types / sizeof content_types[0]; i++) {
		e = strlen(content_types[i].ext);
		if (n > e && strcasecmp(name + n - e, content_types[i].ext) == 0)
			return content_types[i].type;
	}
	return "application/octet-stream";
}

/* The name an artifact is uploaded under: its file name, made safe. */
static char *
artifact_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name = xstrdup(base ? base + 1 : path), *p;

	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			*p = '_';
	}
	if (name[0] == '.')
		name[0] = '_';
	if (strlen(name) > 128)
		name[128] = '\0';
	return name;
}

static enum outcome
upload_artifact(struct client *c, const char *job_id, const char *token,
    const char *path, long timeout, char *why, size_t whylen)
{
	struct client_reply rep;
	enum outcome out;
	char *name = artifact_name(path), *data, *url, *base, err[512];
	const char *nv[] = { "lease_token", token, "name", name, NULL };
	size_t len;
	int rc;

	if (fsutil_read(path, ARTIFACT_MAX_BYTES, &data, &len, err,
	    sizeof err) != 0) {
		/* Gone or too big: nothing a retry would change. */
		say("job %s: artifact not sent: %s", job_id, err);
		free(name);
		return OUT_OK;
	}
	base = xasprintf("/api/jobs/%s/artifacts", job_id);
	url = client_path(base, nv);
	free(base);
	rc = client_send(c, "POST", url, content_type(name), data, len,
	    timeout, 1, &rep);
	out = classify(rc, &rep);
	if (out != OUT_OK) {
		client_reply_error(&rep, why, whylen);
		/* 409 here may also mean "too many artifacts"; 413 too big.
		 * Neither stops the result: a stale lease shows there too. */
		if (out != OUT_RETRY) {
			say("job %s: artifact '%s' refused: %s", job_id, name,
			    why);
			out = OUT_OK;
		}
	}
	client_reply_free(&rep);
	free(url);
	free(data);
	free(name);
	return out;
}

/* The summary cut down to what fits in a request: no steps or output. */
static json_t *
trimmed_summary(const json_t *sum)
{
	json_t *t = json_deep_copy(sum);

	json_object_set_new(t, "steps", json_array());
	json_object_set_new(t, "output", json_null());
	json_object_set_new(t, "trimmed", json_true());
	return t;
}

/*
 * Deliver one record: its events, artifacts, then the result or the
 * release.  Everything is idempotent, so after a failure the whole record
 * is simply sent again later.
 */
static enum outcome
deliver(struct client *c, const json_t *rec, long timeout, char *why,
    size_t whylen)
{
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	const char *token = json_string_value(json_object_get(rec,
	    "lease_token"));
	const char *job_id = json_string_value(json_object_get(rec, "job_id"));
	json_t *events = json_object_get(rec, "events"), *batch, *body, *a;
	json_t *last = NULL;
	struct client_reply rep;
	enum outcome out;
	size_t from = 0, i, n = json_array_size(events);
	char *path;
	int rc, result;

	if (kind == NULL || token == NULL || job_id == NULL) {
		snprintf(why, whylen, "the record lacks kind, job_id or "
		    "lease_token");
		return OUT_REFUSED;
	}
	result = strcmp(kind, "result") == 0;
	while (from < n) {
		batch = take_batch(events, from);
		from += json_array_size(batch);
		if (result && from == n) {
			/* The last batch rides with the result. */
			last = batch;
			break;
		}
		out = post_events(c, job_id, token, batch, why, whylen);
		json_decref(batch);
		if (out == OUT_RETRY || out == OUT_STALE)
			return out;
		/* OUT_REFUSED: skip these events, the result matters more. */
	}
	json_array_foreach(json_object_get(rec, "artifacts"), i, a) {
		if (!json_is_string(a))
			continue;
		out = upload_artifact(c, job_id, token, json_string_value(a),
		    timeout, why, whylen);
		if (out != OUT_OK) {
			json_decref(last);
			return out;
		}
	}
	if (!result) {
		path = xasprintf("/api/jobs/%s/release", job_id);
		body = json_pack("{s:s, s:O}", "lease_token", token, "reason",
		    json_object_get(rec, "reason"));
	} else {
		path = xasprintf("/api/jobs/%s/result", job_id);
		body = json_pack("{s:s, s:O}", "lease_token", token, "summary",
		    json_object_get(rec, "summary"));
		if (last != NULL)
			json_object_set_new(body, "events", last);
	}
	rc = client_call(c, "POST", path, body, timeout, 1, &rep);
	if (rc == 0 && rep.status == 400 && last != NULL) {
		/* Events refused: the result matters more (as above). */
		client_reply_free(&rep);
		json_object_del(body, "events");
		rc = client_call(c, "POST", path, body, timeout, 1, &rep);
	}
	if (rc == 0 && rep.status == 413 && result) {
		/* A huge output: the status, items and KPI still count. */
		client_reply_free(&rep);
		json_object_set_new(body, "summary", trimmed_summary(
		    json_object_get(rec, "summary")));
		rc = client_call(c, "POST", path, body, timeout, 1, &rep);
	}
	out = classify(rc, &rep);
	if (out != OUT_OK)
		client_reply_error(&rep, why, whylen);
	client_reply_free(&rep);
	json_decref(body);
	free(path);
	return out;
}

static void
inflight_add(struct agentd *d, const char *key)
{
	pthread_mutex_lock(&d->mu);
	d->inflight = xreallocarray(d->inflight, d->ninflight + 1,
	    sizeof *d->inflight);
	d->inflight[d->ninflight++] = xstrdup(key);
	pthread_mutex_unlock(&d->mu);
}

static void
inflight_remove(struct agentd *d, const char *key)
{
	size_t i;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->ninflight; i++) {
		if (strcmp(d->inflight[i], key) == 0) {
			free(d->inflight[i]);
			d->inflight[i] = d->inflight[--d->ninflight];
			break;
		}
	}
	pthread_mutex_unlock(&d->mu);
}

/* With d->mu held. */
static int
inflight_has(struct agentd *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->ninflight; i++) {
		if (strcmp(d->inflight[i], key) == 0)
			return 1;
	}
	return 0;
}

/* The retry state of key, created when missing; with d->mu held. */
static struct redelivery *
retry_get(struct agentd *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nretries; i++) {
		if (strcmp(d->retries[i].key, key) == 0)
			return &d->retries[i];
	}
	d->retries = xreallocarray(d->retries, d->nretries + 1,
	    sizeof *d->retries);
	d->retries[d->nretries].key = xstrdup(key);
	d->retries[d->nretries].tries = 0;
	d->retries[d->nretries].due = 0;
	return &d->retries[d->nretries++];
}

static void
retry_forget(struct agentd *d, const char *key)
{
	size_t i;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->nretries; i++) {
		if (strcmp(d->retries[i].key, key) == 0) {
			free(d->retries[i].key);
			d->retries[i] = d->retries[--d->nretries];
			break;
		}
	}
	pthread_mutex_unlock(&d->mu);
}

/* A delivery of key failed for now: schedule the next try. */
static void
retry_later(struct agentd *d, const char *key)
{
	struct redelivery *r;

	pthread_mutex_lock(&d->mu);
	r = retry_get(d, key);
	r->tries++;
	r->due = time_mono_ms() + backoff(r->tries, DELIVER_BASE_MS,
	    DELIVER_MAX_MS);
	d->deliver_wake = 1;
	pthread_cond_signal(&d->deliver_cv);
	pthread_mutex_unlock(&d->mu);
}

/* The scheduler answered: whatever waits for it may go now. */
static void
scheduler_back(struct agentd *d)
{
	size_t i;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->nretries; i++)
		d->retries[i].due = 0;
	d->deliver_wake = 1;
	pthread_cond_signal(&d->deliver_cv);
	pthread_mutex_unlock(&d->mu);
}

/*
 * Records the spool could not keep (a full disk, say) are held here, so
 * that the deliverer still tries them.  Returns 1 when key was not held.
 */
static int
unsaved_add(struct agentd *d, const char *key, const json_t *rec)
{
	struct outgoing *o;
	int added = 0;

	pthread_mutex_lock(&d->mu);
	for (o = d->unsaved; o != NULL && strcmp(o->key, key) != 0;
	    o = o->next)
		;
	if (o == NULL) {
		o = xcalloc(1, sizeof *o);
		o->key = xstrdup(key);
		o->rec = json_deep_copy(rec);
		o->next = d->unsaved;
		d->unsaved = o;
		added = 1;
	}
	pthread_mutex_unlock(&d->mu);
	return added;
}

static void
outgoing_free(struct outgoing *o)
{
	free(o->key);
	json_decref(o->rec);
	free(o->item);
	free(o);
}

/* Act on the outcome of delivering the record key. */
static void
settle(struct agentd *d, const char *key, const json_t *rec,
    enum outcome out, const char *why)
{
	const char *job = json_string_value(json_object_get(rec, "job_id"));
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	char err[512];

	switch (out) {
	case OUT_OK:
		spool_done(d->spool, key);
		retry_forget(d, key);
		if (d->o->verbose)
			say("job %s: %s delivered", job, kind);
		break;
	case OUT_STALE:
		say("job %s: %s refused (%s): the lease is no longer ours; "
		    "dropped (kept in %s/rejected)", job, kind, why,
		    spool_dir(d->spool));
		spool_reject(d->spool, key, rec, why);
		retry_forget(d, key);
		break;
	case OUT_REFUSED:
		say("job %s: %s refused: %s; kept in %s/rejected", job, kind,
		    why, spool_dir(d->spool));
		spool_reject(d->spool, key, rec, why);
		retry_forget(d, key);
		break;
	case OUT_RETRY:
		/* It may now wait for long: make it outlive the machine. */
		if (spool_keep(d->spool, key, rec, err, sizeof err) != 0 &&
		    unsaved_add(d, key, rec))
			say("job %s: %s; the %s is held in memory until it can be "
			    "saved or delivered", job, err, kind);
		retry_later(d, key);
		break;
	}
}

/*
 * The deliverer's look at the records held in memory: saved to the outbox
 * now if the spool takes them (the pass over the outbox then sends them),
 * else sent from here when due.
 */
static void
unsaved_pass(struct agentd *d, struct client *c, int final, int64_t *next)
{
	struct outgoing *list, *o, *rest;
	struct redelivery *r;
	enum outcome out;
	char err[512], why[512];
	int64_t due;

	pthread_mutex_lock(&d->mu);
	list = d->unsaved;
	d->unsaved = NULL;
	pthread_mutex_unlock(&d->mu);
	for (o = list; o != NULL; o = rest) {
		rest = o->next;
		if (spool_keep(d->spool, o->key, o->rec, err, sizeof err) == 0) {
			outgoing_free(o);
			continue;
		}
		pthread_mutex_lock(&d->mu);
		r = retry_get(d, o->key);
		due = r->due;
		if (!final && due > time_mono_ms()) {
			if (due < *next)
				*next = due;
			o->next = d->unsaved;
			d->unsaved = o;
			pthread_mutex_unlock(&d->mu);
			continue;
		}
		pthread_mutex_unlock(&d->mu);
		out = deliver(c, o->rec, final ? SHUTDOWN_CALL_MS : 0, why,
		    sizeof why);
		/* On failure settle() holds it again, with its next try. */
		settle(d, o->key, o->rec, out, why);
		outgoing_free(o);
	}
}

/*
 * The deliverer: sends what is in the spool's outbox, oldest first, each
 * record on its own backoff, until the agent quits (then it makes one last
 * pass).  A pass stops at the first record that cannot be delivered.
 */
static void *
deliverer_main(void *arg)
{
	struct agentd *d = arg;
	struct client *c = client_new(d->o->scheduler, d->token);
	char **keys, err[512], why[512];
	int64_t now, next;
	long n, i;
	int quit, final = 0, skip, logged_down = 0;
	json_t *rec;
	struct redelivery *r;
	enum outcome out;

	for (;;) {
		pthread_mutex_lock(&d->mu);
		quit = d->deliver_quit;
		d->deliver_wake = 0;
		pthread_mutex_unlock(&d->mu);
		if (quit)
			final = 1;
		next = time_mono_ms() + 5000;
		unsaved_pass(d, c, final, &next);
		n = spool_list(d->spool, &keys, err, sizeof err);
		if (n < 0)
			say("%s", err);
		for (i = 0; i < n; i++) {
			now = time_mono_ms();
			pthread_mutex_lock(&d->mu);
			skip = inflight_has(d, keys[i]);
			r = retry_get(d, keys[i]);
			if (!skip && !final && r->due > now) {
				if (r->due < next)
					next = r->due;
				skip = 1;
			}
			pthread_mutex_unlock(&d->mu);
			if (skip)
				continue;
			if ((rec = spool_get(d->spool, keys[i], err,
			    sizeof err)) == NULL) {
				say("%s", err);
				retry_forget(d, keys[i]);
				continue;
			}
			out = deliver(c, rec, final ? SHUTDOWN_CALL_MS : 0,
			    why, sizeof why);
			if (out == OUT_RETRY && !logged_down) {
				say("cannot deliver to the scheduler (%s); "
				    "%ld record(s) kept in %s/outbox, retrying "
				    "with backoff", why, n - i,
				    spool_dir(d->spool));
				logged_down = 1;
			} else if (out != OUT_RETRY && logged_down) {
				logged_down = 0;
				scheduler_back(d);
			}
			settle(d, keys[i], rec, out, why);
			json_decref(rec);
			if (out == OUT_RETRY) {
				/* The scheduler is away: the other records
				 * would only wait for the same timeouts.  They
				 * are tried again with this one. */
				pthread_mutex_lock(&d->mu);
				r = retry_get(d, keys[i]);
				if (r->due < next)
					next = r->due;
				pthread_mutex_unlock(&d->mu);
				break;
			}
		}
		if (n >= 0)
			spool_keys_free(keys, n);
		if (final)
			break;
		pthread_mutex_lock(&d->mu);
		while (!d->deliver_wake && !d->deliver_quit &&
		    time_mono_ms() < next)
			cond_wait_until(&d->deliver_cv, &d->mu, next);
		pthread_mutex_unlock(&d->mu);
	}
	client_free(c);
	return NULL;
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
 * After the first try to deliver the record key: settled before the
 * deliverer may see it (so it never reads a record being removed), and on
 * failure left to the deliverer.
 */
static void
delivered(struct agentd *d, const char *key, const json_t *rec,
    enum outcome out, const char *why)
{
	settle(d, key, rec, out, why);
	inflight_remove(d, key);
	if (out != OUT_RETRY)
		return;
	/* The deliverer may have passed over it while it was ours. */
	pthread_mutex_lock(&d->mu);
	d->deliver_wake = 1;
	pthread_cond_signal(&d->deliver_cv);
	pthread_mutex_unlock(&d->mu);
	say("job %s: cannot deliver the %s now (%s); it waits in the spool",
	    json_string_value(json_object_get(rec, "job_id")),
	    json_string_value(json_object_get(rec, "kind")), why);
}

/*
 * The record as one item of POST /api/results, or NULL when it must go
 * by itself: a release, artifacts to upload first, or more events or
 * bytes than one call carries.
 */
static char *
batch_item(const json_t *rec)
{
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	json_t *events = json_object_get(rec, "events"), *item;
	int64_t id = text_parse_id(json_string_value(json_object_get(rec,
	    "job_id")));
	char *text;

	if (kind == NULL || strcmp(kind, "result") != 0 || id == 0 ||
	    json_array_size(json_object_get(rec, "artifacts")) > 0 ||
	    json_array_size(events) > EVENTS_PER_CALL)
		return NULL;
	item = json_pack("{s:I, s:O, s:O, s:O*}", "job_id", (json_int_t)id,
	    "lease_token", json_object_get(rec, "lease_token"), "summary",
	    json_object_get(rec, "summary"), "events",
	    json_array_size(events) > 0 ? events : NULL);
	text = item ? json_dumps(item, JSON_COMPACT) : NULL;
	json_decref(item);
	if (text != NULL && strlen(text) > RESULT_BATCH_BYTES) {
		free(text);
		return NULL;
	}
	return text;
}

/* The outcome of results[i] of a POST /api/results answer. */
static enum outcome
batch_outcome(const json_t *answer, char *why, size_t whylen)
{
	long status = json_long(answer, "status", 0);
	const char *err = json_string_value(json_object_get(answer, "error"));

	snprintf(why, whylen, "%ld: %s", status, err ? err : "no reason");
	if (status == 200)
		return OUT_OK;
	if (status == 409 || status == 404)
		return OUT_STALE;
	if (status == 400)
		return OUT_REFUSED;	/* sent again alone, see below */
	return OUT_RETRY;
}

/* Send a batch of records in one call, and settle each. */
static void
results_send(struct agentd *d, struct outgoing *batch)
{
	struct client *c = client_take(d);
	struct client_reply rep;
	struct outgoing *o;
	json_t *answers;
	struct buf body;
	enum outcome out, all;
	char why[512];
	size_t i, n = 0;
	int rc;

	buf_init(&body, 0);
	buf_puts(&body, "{\"results\": [");
	for (o = batch; o != NULL; o = o->next, n++) {
		if (n > 0)
			buf_puts(&body, ",");
		buf_puts(&body, o->item);
	}
	buf_puts(&body, "]}");
	rc = client_send(c, "POST", "/api/results", "application/json",
	    body.data, body.len, 0, 1, &rep);
	buf_free(&body);
	all = classify(rc, &rep);
	answers = json_object_get(rep.body, "results");
	/* Any answer but a list of answers, or a passing failure: each
	 * record goes by itself (a scheduler without /api/results says
	 * 404, which must not read as "the lease is gone"). */
	if ((all == OUT_OK && json_array_size(answers) != n) ||
	    all == OUT_STALE)
		all = OUT_REFUSED;
	client_reply_error(&rep, why, sizeof why);
	for (o = batch, i = 0; o != NULL; o = o->next, i++) {
		out = all;
		if (all == OUT_OK)
			out = batch_outcome(json_array_get(answers, i), why,
			    sizeof why);
		/* Refused (the whole call, or this one): alone, the result
		 * still goes without the events that were refused. */
		if (out == OUT_REFUSED)
			out = deliver(c, o->rec, 0, why, sizeof why);
		delivered(d, o->key, o->rec, out, why);
	}
	client_reply_free(&rep);
	client_give(d, c);
}

/*
 * Deliver rec with whatever else is waiting: the first worker to find no
 * call on the way sends, and keeps sending what the others queue while it
 * waits for the answer; they go on at once.  rec and item are consumed.
 */
static void
result_submit(struct agentd *d, const char *key, json_t *rec, char *item)
{
	struct outgoing *o = xcalloc(1, sizeof *o), *batch, **tail;
	size_t n, bytes;

	o->key = xstrdup(key);
	o->rec = rec;
	o->item = item;
	pthread_mutex_lock(&d->mu);
	*d->out_tail = o;
	d->out_tail = &o->next;
	if (d->sending) {
		pthread_mutex_unlock(&d->mu);
		return;
	}
	d->sending = 1;
	while (d->out != NULL) {
		batch = d->out;
		tail = &batch->next;
		n = 1;
		bytes = strlen(batch->item);
		while (*tail != NULL && n < RESULT_BATCH &&
		    bytes + strlen((*tail)->item) <= RESULT_BATCH_BYTES) {
			bytes += strlen((*tail)->item);
			tail = &(*tail)->next;
			n++;
		}
		if ((d->out = *tail) == NULL)
			d->out_tail = &d->out;
		*tail = NULL;
		pthread_mutex_unlock(&d->mu);
		results_send(d, batch);
		for (; batch != NULL; batch = o) {
			o = batch->next;
			outgoing_free(batch);
		}
		pthread_mutex_lock(&d->mu);
	}
	d->sending = 0;
	pthread_mutex_unlock(&d->mu);
}

static void
run_job(struct job *j)
{
	struct agentd *d = j->d;
	struct client *c;
	json_t *sum = NULL, *rec;
	const char *status;
	char err[512], why[512], when[64], *item;
	enum outcome out;
	int cut_short, release;

	if (atomic_load(&d->stopping) && d->o->on_term == AGENTD_TERM_RELEASE)
		atomic_store(&j->stop_after_step, 1);
	if ((atomic_load(&j->stop_after_step) && atomic_load(&d->stopping)) ||
	    j->no_display)
		sum = NULL;	/* leased as we stopped: give it back unrun */
	else if (j->script == NULL)
		sum = failed_summary(j, j->load_error);
	else if (j->process)
		sum = run_child(j);
	else
		sum = run_here(j);

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
		say("job %s attempt %ld: %s; its output is dropped", j->job_id,
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
	inflight_add(d, j->key);
	if (spool_put(d->spool, j->key, rec, err, sizeof err) != 0)
		say("job %s: cannot spool the %s (%s); delivering it from "
		    "memory only", j->job_id, release ? "release" : "result",
		    err);
	if (d->o->verbose)
		say("job %s attempt %ld: %s", j->job_id, j->attempt,
		    release ? "handed back" : status);
	if ((item = batch_item(rec)) != NULL) {
		result_submit(d, j->key, rec, item);
	} else {
		c = client_take(d);
		out = deliver(c, rec, 0, why, sizeof why);
		client_give(d, c);
		delivered(d, j->key, rec, out, why);
		json_decref(rec);
	}
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
		say("cannot start a thread: %s", strerror(errno));
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
	j->attempt = json_long(lease, "attempt", 1);
	j->token = json_string_value(json_object_get(lease, "lease_token"));
	j->timeout_ms = json_long(lease, "timeout_ms", 0);
	/* Heartbeat every third of this lease's time. */
	j->heartbeat_ms = json_long(lease, "lease_ttl_ms", 0) / 3;
	if (j->heartbeat_ms < 100)
		j->heartbeat_ms = d->heartbeat_ms;
	j->queue = json_array();
	pthread_mutex_init(&j->mu, NULL);
	if (j->job_id == NULL || j->token == NULL) {
		say("the scheduler sent a lease without job_id or "
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
		j->process = d->o->isolation == AGENTD_ISOLATE_PROCESS ||
		    (d->o->isolation == AGENTD_ISOLATE_AUTO &&
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
			say("job %s: no free display; handing it back",
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
		say("job %s attempt %ld: %s%s%s%s", j->job_id, j->attempt,
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
			d->agent_id = json_long(rep.body, "agent_id", 0);
			d->heartbeat_ms = json_long(rep.body, "heartbeat_ms",
			    json_long(rep.body, "lease_ttl_ms", 30000) / 3);
			if (d->heartbeat_ms < 100)
				d->heartbeat_ms = 100;
			client_reply_free(&rep);
			json_decref(body);
			say("registered as '%s' (agent %ld) with %s; %d "
			    "slot(s), heartbeat every %ld ms", d->name,
			    d->agent_id, d->o->scheduler, d->slots,
			    d->heartbeat_ms);
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
		if (tries++ == 0)
			say("cannot register with %s (%s); retrying",
			    d->o->scheduler, why);
		nap(d, backoff(tries, RETRY_BASE_MS, RETRY_MAX_MS));
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
	struct client *c = client_new(d->o->scheduler, d->token);
	struct client_reply rep;
	json_t *body;
	int rc, failures = 0, free_slots;
	char why[512];

	client_set_cancel(c, poll_cancelled, d);
	if (agent_register(d, c) != 0) {
		d->fatal = !atomic_load(&d->stopping);
		client_free(c);
		return;
	}
	/* Spooled records may wait for the scheduler we just reached. */
	scheduler_back(d);
	while (!atomic_load(&d->stopping)) {
		/*
		 * After a failure the next poll asks without waiting: a long
		 * poll that reached a scheduler just back would say so only
		 * when it ends, and the spooled results must be delivered
		 * within the lease time the scheduler gives them on restart.
		 */
		pthread_mutex_lock(&d->mu);
		while (d->running >= d->slots && !atomic_load(&d->stopping))
			cond_wait_until(&d->cv, &d->mu, time_mono_ms() + 1000);
		free_slots = d->slots - d->running;
		body = json_pack("{s:I, s:I, s:i, s:i, s:o}", "agent_id",
		    (json_int_t)d->agent_id, "wait_ms",
		    (json_int_t)(failures > 0 ? 0 : d->o->poll_wait_ms),
		    "free_slots", free_slots, "max_jobs",
		    lease_max(d, free_slots), "labels", offered_labels(d));
		pthread_mutex_unlock(&d->mu);
		if (atomic_load(&d->stopping)) {
			json_decref(body);
			break;
		}
		rc = client_call(c, "POST", "/api/agents/lease", body,
		    d->o->poll_wait_ms + 15000, 1, &rep);
		json_decref(body);
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
				say("cannot reach the scheduler (%s); running "
				    "jobs go on, results are spooled", why);
			nap(d, backoff(failures, RETRY_BASE_MS, poll_retry_max(d)));
			continue;
		}
		if (failures > 0) {
			say("the scheduler answers again");
			failures = 0;
			scheduler_back(d);
		}
		switch (rep.status) {
		case 200:
			jobs_start(d, &rep.body);
			break;
		case 204:
			break;
		case 404:
			/* The scheduler forgot us (new database): again. */
			say("the scheduler does not know this agent; "
			    "registering again");
			if (agent_register(d, c) != 0)
				atomic_store(&d->stopping, 1);
			break;
		default:
			say("lease refused: %s", client_reply_error(&rep, why,
			    sizeof why));
			nap(d, backoff(++failures, RETRY_BASE_MS,
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
			say("%s: taking no new job; %d running job(s) %s; "
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
			say("%s again: stopping every job now and handing it "
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

int
agentd_run(const struct agentd_opts *o)
{
	struct agentd d;
	struct sigctx sc;
	pthread_t sigthread, deliverer, reporter;
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
	    pthread_create(&deliverer, NULL, deliverer_main, &d) != 0 ||
	    pthread_create(&reporter, NULL, reporter_main, &d) != 0) {
		fprintf(stderr, "kobito-agent: cannot start a thread\n");
		return 1;
	}
	if (spool_pending(d.spool) > 0)
		say("%ld undelivered record(s) in %s/outbox; delivering",
		    spool_pending(d.spool), spool_dir(d.spool));

	poll_loop(&d);

	/* Stopping: wait for every runner (their jobs finish, or finish
	 * their step and are handed back), then a last delivery pass. */
	pthread_mutex_lock(&d.mu);
	while (d.runners > 0)
		cond_wait_until(&d.cv, &d.mu, time_mono_ms() + 1000);
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
		say("exiting with %ld undelivered record(s) in %s/outbox; "
		    "they are delivered when the agent starts again",
		    spool_pending(d.spool), spool_dir(d.spool));
	else
		say("stopped");

	if (d.unsaved != NULL)
		say("results the spool could not keep were not delivered: "
		    "those its journal holds are sent at the next start, and "
		    "the jobs of any other run again when their leases expire");
	while (d.unsaved != NULL) {
		struct outgoing *u = d.unsaved;

		d.unsaved = u->next;
		outgoing_free(u);
	}
	while (d.cache != NULL) {
		struct cached *c = d.cache;

		d.cache = c->next;
		script_free(c->script);
		free(c->digest);
		free(c);
	}
	for (i = 0; i < d.npool; i++)
		client_free(d.pool[i]);
	free(d.pool);
	for (i = 0; i < d.nretries; i++)
		free(d.retries[i].key);
	free(d.retries);
	free(d.inflight);
	for (i = 0; i < d.nlabels; i++)
		free(d.labels[i]);
	free(d.labels);
	free(d.displays);
	free(d.display_busy);
	spool_close(d.spool);
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
