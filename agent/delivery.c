/*
 * delivery.c - results and releases from the spool to the scheduler (see
 * delivery.h).
 *
 * The rules that matter: a record is written to the spool before the
 * first attempt to deliver it, synced to disk when that attempt fails,
 * and removed only once the scheduler has acknowledged it; everything
 * sent about a job is idempotent (events carry seq numbers, artifacts are
 * replaced by name, a repeated result is acknowledged as a duplicate), so
 * a delivery can always be retried from the start; and a record the
 * scheduler refuses for good goes to SPOOL/rejected/ for people to read.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd_state.h"
#include "buf.h"
#include "client.h"
#include "delivery.h"
#include "fsutil.h"
#include "reporter.h"
#include "spool.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

#define RESULT_BATCH		64	/* results one call may carry */
#define RESULT_BATCH_BYTES	(512u * 1024)
#define ARTIFACT_MAX_BYTES	(10u * 1024 * 1024)
#define DELIVER_BASE_MS		1000
#define DELIVER_MAX_MS		60000
#define SHUTDOWN_CALL_MS	3000

/* A connection to the scheduler from the pool, or a new one. */
static struct client *
client_take(struct agentd *d)
{
	struct client *c = NULL;

	pthread_mutex_lock(&d->mu);
	if (d->npool > 0)
		c = d->pool[--d->npool];
	pthread_mutex_unlock(&d->mu);
	return c ? c : agentd_client(d);
}

static void
client_give(struct agentd *d, struct client *c)
{
	pthread_mutex_lock(&d->mu);
	d->pool = xreallocarray(d->pool, d->npool + 1, sizeof *d->pool);
	d->pool[d->npool++] = c;
	pthread_mutex_unlock(&d->mu);
}

static enum outcome
upload_artifact(struct client *c, const char *job_id, const char *token,
    const char *path, long timeout, char *why, size_t whylen)
{
	struct client_reply rep;
	enum outcome out;
	/* Uploaded under its file name, made safe. */
	char *name = fsutil_safe_name(path, 128), *data, *url, *base;
	char err[512];
	const char *nv[] = { "lease_token", token, "name", name, NULL };
	size_t len;
	int rc;

	if (fsutil_read(path, ARTIFACT_MAX_BYTES, &data, &len, err,
	    sizeof err) != 0) {
		/* Gone or too big: nothing a retry would change. */
		agentd_say("job %s: artifact not sent: %s", job_id, err);
		free(name);
		return OUT_OK;
	}
	base = xasprintf("/api/jobs/%s/artifacts", job_id);
	url = client_path(base, nv);
	free(base);
	rc = client_send(c, "POST", url, fsutil_content_type(name), data,
	    len, timeout, 1, &rep);
	out = agentd_classify(rc, &rep);
	if (out != OUT_OK) {
		client_reply_error(&rep, why, whylen);
		/* 409 here may also mean "too many artifacts"; 413 too big.
		 * Neither stops the result: a stale lease shows there too. */
		if (out != OUT_RETRY) {
			agentd_say("job %s: artifact '%s' refused: %s", job_id, name,
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
		batch = reporter_take_batch(events, from);
		from += json_array_size(batch);
		if (result && from == n) {
			/* The last batch rides with the result. */
			last = batch;
			break;
		}
		out = reporter_post_events(c, job_id, token, batch, why, whylen);
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
	out = agentd_classify(rc, &rep);
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
	r->due = time_mono_ms() + agentd_backoff(r->tries, DELIVER_BASE_MS,
	    DELIVER_MAX_MS);
	d->deliver_wake = 1;
	pthread_cond_signal(&d->deliver_cv);
	pthread_mutex_unlock(&d->mu);
}

/* The scheduler answered: whatever waits for it may go now. */
void
delivery_scheduler_back(struct agentd *d)
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
			agentd_say("job %s: %s delivered", job, kind);
		break;
	case OUT_STALE:
		agentd_say("job %s: %s refused (%s): the lease is no longer ours; "
		    "dropped (kept in %s/rejected)", job, kind, why,
		    spool_dir(d->spool));
		spool_reject(d->spool, key, rec, why);
		retry_forget(d, key);
		break;
	case OUT_REFUSED:
		agentd_say("job %s: %s refused: %s; kept in %s/rejected", job, kind,
		    why, spool_dir(d->spool));
		spool_reject(d->spool, key, rec, why);
		retry_forget(d, key);
		break;
	case OUT_RETRY:
		/* It may now wait for long: make it outlive the machine. */
		if (spool_keep(d->spool, key, rec, err, sizeof err) != 0 &&
		    unsaved_add(d, key, rec))
			agentd_say("job %s: %s; the %s is held in memory until it can be "
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
void *
delivery_main(void *arg)
{
	struct agentd *d = arg;
	struct client *c = agentd_client(d);
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
			agentd_say("%s", err);
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
				agentd_say("%s", err);
				retry_forget(d, keys[i]);
				continue;
			}
			out = deliver(c, rec, final ? SHUTDOWN_CALL_MS : 0,
			    why, sizeof why);
			if (out == OUT_RETRY && !logged_down) {
				agentd_say("cannot deliver to the scheduler (%s); "
				    "%ld record(s) kept in %s/outbox, retrying "
				    "with backoff", why, n - i,
				    spool_dir(d->spool));
				logged_down = 1;
			} else if (out != OUT_RETRY && logged_down) {
				logged_down = 0;
				delivery_scheduler_back(d);
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
			agentd_wait_until(&d->deliver_cv, &d->mu, next);
		pthread_mutex_unlock(&d->mu);
	}
	client_free(c);
	return NULL;
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
	agentd_say("job %s: cannot deliver the %s now (%s); it waits in the spool",
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
	long status = agentd_json_long(answer, "status", 0);
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
	all = agentd_classify(rc, &rep);
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

void
delivery_submit(struct agentd *d, const char *key, json_t *rec)
{
	struct client *c;
	enum outcome out;
	char err[512], why[512], *item;

	inflight_add(d, key);
	if (spool_put(d->spool, key, rec, err, sizeof err) != 0)
		agentd_say("job %s: cannot spool the %s (%s); delivering it "
		    "from memory only", json_string_value(json_object_get(rec,
		    "job_id")), json_string_value(json_object_get(rec,
		    "kind")), err);
	if ((item = batch_item(rec)) != NULL) {
		result_submit(d, key, rec, item);
		return;
	}
	c = client_take(d);
	out = deliver(c, rec, 0, why, sizeof why);
	client_give(d, c);
	delivered(d, key, rec, out, why);
	json_decref(rec);
}

void
delivery_release(struct agentd *d)
{
	struct outgoing *u;
	size_t i;

	if (d->unsaved != NULL)
		agentd_say("results the spool could not keep were not "
		    "delivered: those its journal holds are sent at the next "
		    "start, and the jobs of any other run again when their "
		    "leases expire");
	while ((u = d->unsaved) != NULL) {
		d->unsaved = u->next;
		outgoing_free(u);
	}
	for (i = 0; i < d->npool; i++)
		client_free(d->pool[i]);
	free(d->pool);
	d->pool = NULL;
	d->npool = 0;
	for (i = 0; i < d->nretries; i++)
		free(d->retries[i].key);
	free(d->retries);
	d->retries = NULL;
	d->nretries = 0;
	free(d->inflight);
	d->inflight = NULL;
	d->ninflight = 0;
}
