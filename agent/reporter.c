/*
 * reporter.c - events and heartbeats of running jobs (see reporter.h).
 *
 * One thread reports for every job: a short job costs it nothing (no
 * thread started, no wake-up), and it looks at the running jobs at least
 * every EVENT_FLUSH_MS, sooner when a job's events fill a batch.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentd_state.h"
#include "client.h"
#include "reporter.h"
#include "timeutil.h"
#include "xmalloc.h"

#define EVENT_BATCH		50	/* send when this many are queued */
#define EVENT_FLUSH_MS		200	/* or when the oldest is this old */
#define EVENT_TEXT_CAP		16384	/* longest message or error kept */
#define MAX_QUEUED_EVENTS	20000	/* per job, while cut off */

/* A copy of s cut to at most cap bytes on a UTF-8 boundary, or NULL when
 * it is short enough. */
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

/* --- events -------------------------------------------------------------- */

/*
 * Queue a copy of ev with the next seq, long texts cut.  Called by the
 * runner (the engine's callback, or lines from the child).
 */
void
reporter_enqueue(struct job *j, const json_t *ev)
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
void
reporter_on_event(void *arg, const json_t *ev)
{
	struct job *j = arg;
	const char *type = json_string_value(json_object_get(ev, "type"));

	reporter_enqueue(j, ev);
	/* "Finish the current step, then stop": the engine checks the flag
	 * before each step, so setting it at a step's end stops there. */
	if (type != NULL && strcmp(type, "step_end") == 0 &&
	    atomic_load(&j->stop_after_step))
		j->cancel = 1;
}

/*
 * Take up to EVENTS_PER_CALL events (EVENT_BYTES_PER_CALL of JSON) from
 * index from of arr into a new array.
 */
json_t *
reporter_take_batch(json_t *arr, size_t from)
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

enum outcome
reporter_post_events(struct client *c, const char *job_id, const char *token,
    json_t *batch, char *why, size_t whylen)
{
	struct client_reply rep;
	enum outcome out;
	char *path = xasprintf("/api/jobs/%s/events", job_id);
	json_t *body = json_pack("{s:s, s:O}", "lease_token", token, "events",
	    batch);
	int rc;

	rc = client_call(c, "POST", path, body, 0, 1, &rep);
	out = agentd_classify(rc, &rep);
	if (out != OUT_OK)
		client_reply_error(&rep, why, whylen);
	client_reply_free(&rep);
	json_decref(body);
	free(path);
	return out;
}

/* --- the reporter: events and heartbeats while jobs run --------------- */

static void
job_stop(struct job *j, const char *why)
{
	if (!j->cancel)
		agentd_say("job %s attempt %ld: %s; stopping it", j->job_id,
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
	batch = reporter_take_batch(j->queue, 0);
	pthread_mutex_unlock(&j->mu);
	n = json_array_size(batch);
	out = reporter_post_events(c, j->job_id, j->token, batch, why, sizeof why);
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
		agentd_say("job %s: events refused: %s", j->job_id, why);
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
	out = agentd_classify(rc, &rep);
	if (out == OUT_OK) {
		if (json_is_true(json_object_get(rep.body, "cancel"))) {
			atomic_store(&j->user_cancel, 1);
			job_stop(j, "cancelled by a user");
		}
		ttl = agentd_json_long(rep.body, "lease_ttl_ms", 0);
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

void *
reporter_main(void *arg)
{
	struct agentd *d = arg;
	struct client *c = agentd_client(d);
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
				agentd_wait_until(&d->report_cv, &d->mu, next);
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
