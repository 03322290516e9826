/*
 * api_audit.c - the audit log of the API (see api_audit.h): a change and
 * its audit row are written in one durable transaction; a change refused
 * to a known caller gets a row of its own; calls refused to anonymous
 * callers are counted per address and minute.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_watch.h"
#include "audit.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

int
api_mutating(const struct req *r)
{
	return strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
}

static void
actor_of(const struct req *r, char *out, size_t len)
{
	if (!r->authed)
		snprintf(out, len, "anonymous");
	else if (r->who.role == ROLE_AGENT)
		snprintf(out, len, "agent:%s", r->who.name);
	else
		snprintf(out, len, "%s", r->who.name);
}

int
api_audit_insert(struct conn *c, struct req *r)
{
	struct audit_row row;
	char actor[160], *detail = NULL;
	int rc;

	actor_of(r, actor, sizeof actor);
	memset(&row, 0, sizeof row);
	row.at = time_wall_ms();
	row.actor = actor;
	if (r->authed) {
		row.token_id = r->who.token_id;
		row.role = role_name(r->who.role);
	}
	row.method = r->method;
	row.path = r->path;
	row.status = r->status;
	row.remote = r->remote;
	if (r->detail != NULL)
		row.detail = detail = json_dumps(r->detail, JSON_COMPACT);
	rc = audit_append(c, &row);
	free(detail);
	return rc;
}

static void	anon_count(struct api *, const struct req *);

struct wctx {
	struct api	*a;
	struct req	*r;
	api_write_fn	 fn;
	void		*arg;
	int		 refused;	/* fn returned non-zero */
	int		 counted;	/* r->audit_count: counted, no row */
};

static int
audited_op(struct conn *c, void *p)
{
	struct wctx *w = p;

	if (w->fn != NULL && w->fn(c, w->a, w->r, w->arg) != 0) {
		/* The store rolls this write back; the refusal is audited
		 * in a write of its own. */
		w->refused = 1;
		return -1;
	}
	if (w->r->audit_count) {
		w->counted = 1;		/* after the commit */
		return 0;
	}
	if (api_mutating(w->r) && !w->r->no_audit &&
	    api_audit_insert(c, w->r) != 0)
		return -1;
	return 0;
}

/*
 * Run fn in a durable write with the request's audit row.  fn sets the
 * reply; it returns non-zero to have its changes rolled back (the audit
 * row of the refusal is still written).  -1 when a commit failed (the
 * reply is then a 500).
 */
int
api_write_audited(struct api *a, struct req *r, api_write_fn fn, void *arg)
{
	struct wctx w = { a, r, fn, arg, 0, 0 };
	char err[256];

	if (store_write(a->st, audited_op, &w, err, sizeof err) == 0) {
		if (w.counted)
			anon_count(a, r);
		if (fn != NULL && !w.refused)
			api_changed(a);	/* pages that follow it look again */
		return 0;
	}
	if (w.refused) {
		if (r->audit_count) {
			anon_count(a, r);
			return 0;
		}
		if (!api_mutating(r) || r->no_audit)
			return 0;
		w.fn = NULL;
		if (store_write(a->st, audited_op, &w, err, sizeof err) == 0)
			return 0;
	}
	api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
	    err[0] ? err : "database write failed");
	return -1;
}

/* --- refusals of anonymous callers, counted ------------------------------ */

/*
 * Calls refused without a valid token or session, counted per client
 * address and minute: one audit row each when the minute is over, instead
 * of a row per call (4,000 such calls used to add 60 MB in 1.4 s).
 */
#define ANON_ADDRS	1024	/* addresses kept apart; then "other" */
#define ANON_STATUSES	4	/* statuses kept apart; then 0 */
#define ANON_SAMPLES	3	/* "METHOD path" kept as examples */
#define ANON_SAMPLE_MAX	120	/* bytes of one example */

struct anon {
	char		 remote[64];
	int64_t		 minute;	/* wall ms, a multiple of 60000 */
	unsigned	 n;
	int		 status[ANON_STATUSES];
	unsigned	 count[ANON_STATUSES];
	char		*sample[ANON_SAMPLES];
	int		 nsample;
};

static struct anon *
anon_find(struct api *a, const char *remote, int64_t minute)
{
	struct anon *e;
	size_t i;

	for (i = 0; i < a->nanon; i++) {
		e = &a->anon[i];
		if (e->minute == minute && strcmp(e->remote, remote) == 0)
			return e;
	}
	if (a->nanon >= ANON_ADDRS && strcmp(remote, "other") != 0)
		return anon_find(a, "other", minute);
	a->anon = xreallocarray(a->anon, a->nanon + 1, sizeof *a->anon);
	e = &a->anon[a->nanon++];
	memset(e, 0, sizeof *e);
	snprintf(e->remote, sizeof e->remote, "%s", remote);
	e->minute = minute;
	return e;
}

static void
anon_count(struct api *a, const struct req *r)
{
	int64_t now = time_wall_ms();
	struct anon *e;
	char *sample;
	int i;

	pthread_mutex_lock(&a->amu);
	e = anon_find(a, r->remote, now - now % 60000);
	e->n++;
	for (i = 0; i < ANON_STATUSES; i++) {
		if (e->count[i] == 0)
			e->status[i] = r->status;
		if (e->status[i] == r->status || i == ANON_STATUSES - 1) {
			if (e->status[i] != r->status)
				e->status[i] = 0;	/* the others */
			e->count[i]++;
			break;
		}
	}
	if (e->nsample < ANON_SAMPLES) {
		sample = xasprintf("%s %.*s", r->method, ANON_SAMPLE_MAX,
		    r->path);
		text_utf8_trim_partial(sample);
		for (i = 0; i < e->nsample; i++)
			if (strcmp(e->sample[i], sample) == 0)
				break;
		if (i == e->nsample)
			e->sample[e->nsample++] = sample;
		else
			free(sample);
	}
	pthread_mutex_unlock(&a->amu);
}

static void
anon_free(struct anon *e)
{
	int i;

	for (i = 0; i < e->nsample; i++)
		free(e->sample[i]);
}

/* The audit row of one address's minute. */
static int
anon_insert(struct conn *c, const struct anon *e)
{
	struct audit_row row;
	json_t *d, *statuses = json_object(), *samples = json_array();
	char key[16], *detail;
	int i, top = 0, rc;

	for (i = 0; i < ANON_STATUSES && e->count[i] > 0; i++) {
		snprintf(key, sizeof key, "%d", e->status[i]);
		json_object_set_new(statuses, e->status[i] ? key : "other",
		    json_integer(e->count[i]));
		if (e->count[i] > e->count[top])
			top = i;
	}
	for (i = 0; i < e->nsample; i++)
		json_array_append_new(samples, json_string(e->sample[i]));
	d = json_pack("{s:I, s:o, s:o}", "refused", (json_int_t)e->n,
	    "statuses", statuses, "examples", samples);
	memset(&row, 0, sizeof row);
	row.at = e->minute;
	row.actor = "anonymous";
	row.method = "*";
	row.path = "*";
	row.status = e->status[top];
	row.remote = e->remote;
	row.detail = detail = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	rc = audit_append(c, &row);
	free(detail);
	return rc;
}

struct anonw {
	struct anon	*e;
	size_t		 n;
};

static int
anon_write(struct conn *c, void *p)
{
	struct anonw *w = p;
	size_t i;

	for (i = 0; i < w->n; i++)
		if (anon_insert(c, &w->e[i]) != 0)
			return -1;
	return 0;
}

void
api_audit_flush(struct api *a, int all)
{
	int64_t now = time_wall_ms(), minute = now - now % 60000;
	struct anonw w = { NULL, 0 };
	size_t i, keep = 0;
	char err[256];

	pthread_mutex_lock(&a->amu);
	for (i = 0; i < a->nanon; i++) {
		if (all || a->anon[i].minute < minute) {
			w.e = xreallocarray(w.e, w.n + 1, sizeof *w.e);
			w.e[w.n++] = a->anon[i];
		} else
			a->anon[keep++] = a->anon[i];
	}
	a->nanon = keep;
	pthread_mutex_unlock(&a->amu);
	if (w.n == 0)
		return;
	if (store_write(a->st, anon_write, &w, err, sizeof err) != 0)
		fprintf(stderr, "kobito-scheduler: audit: cannot write %zu "
		    "counts of refused anonymous calls: %s\n", w.n, err);
	for (i = 0; i < w.n; i++)
		anon_free(&w.e[i]);
	free(w.e);
}

void
api_audit_clear(struct api *a)
{
	size_t i;

	for (i = 0; i < a->nanon; i++)
		anon_free(&a->anon[i]);
	free(a->anon);
	a->anon = NULL;
	a->nanon = 0;
}

/*
 * Audit a call refused before its handler ran: a change refused to a
 * known caller is a row; any call refused to an anonymous one is counted.
 */
void
api_audit_refusal(struct api *a, struct req *r)
{
	if (!r->authed || r->audit_count)
		anon_count(a, r);
	else if (api_mutating(r))
		api_write_audited(a, r, NULL, NULL);
}

static json_t *
audit_read(struct conn *c, struct api_readq *q)
{
	return query_audit(c, q->a->tf, &q->f);
}

enum hres
api_h_audit(struct api *a, struct req *r)
{
	if (api_wants_file(r))
		return api_export(a, r, audit_read, "audit");
	return api_read(a, r, audit_read, 0, "audit");
}
