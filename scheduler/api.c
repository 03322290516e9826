/*
 * api.c - the scheduler's HTTP API on libmicrohttpd (see api.h and
 * docs/api.md).
 *
 * A request goes through one path: the first call of the access handler
 * (headers received) checks the header size (431), finds the route (404,
 * 405), authenticates the bearer token (401, 403) and the announced body
 * size (413) and may answer at once; the following calls collect the body
 * into a capped buffer; the last one parses it and runs the route's
 * handler.  Handlers fill in a reply (status and JSON, or raw bytes) and
 * do their writes through write_audited(), which runs the change and its
 * audit row in one durable transaction before the reply is sent.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <microhttpd.h>
#include <sodium.h>

#include "api.h"
#include "auth.h"
#include "buf.h"
#include "mask.h"
#include "textutil.h"
#include "timeutil.h"
#include "web.h"
#include "xmalloc.h"

#define KOBITO_VERSION	"0.1.0"

/* Bytes of an oversized body read and thrown away before hanging up. */
#define DISCARD_MAX	(64u * 1024 * 1024)

enum body_kind {
	BODY_NONE,	/* any body is ignored */
	BODY_JSON,	/* a JSON object; empty means {} */
	BODY_RAW,	/* bytes, capped by artifact_max */
};

enum hres {
	H_DONE,		/* the reply is ready */
	H_SUSPEND,	/* the connection was suspended (long poll) */
};

/* Long-poll states of a request. */
enum lp {
	LP_NONE,
	LP_WAITING,
	LP_WOKEN,
	LP_TIMEOUT,
	LP_CLAIMED,	/* taken off the list by a trigger leasing for it */
	LP_HANDED,	/* leased by that trigger: the reply is ready */
};

struct api;
struct req;

struct route {
	const char	*method;
	const char	*pattern;	/* "{x}" matches one segment */
	enum role	 role;
	enum body_kind	 body;
	enum hres	(*handler)(struct api *, struct req *);
};

struct req {
	struct MHD_Connection	*conn;
	const struct route	*route;
	char			*args[2];	/* path captures */
	char			 method[8];
	char			*path;
	char			 remote[64];
	struct identity		 who;
	int			 authed;
	struct buf		 body;
	int			 too_large;
	size_t			 discarded;
	json_t			*in;

	/* the reply */
	int			 status;
	json_t			*out;
	char			*raw;
	size_t			 rawlen;
	char			*ctype;
	json_t			*detail;	/* for the audit log */
	int			 no_audit;
	char			*hdr[2 * WEB_MAX_HEADERS];	/* name, value */
	int			 nhdr;

	/* long poll */
	enum lp			 lp;
	int64_t			 lp_deadline;	/* monotonic ms */
	json_t			*lp_labels;
	int			 lp_checked;	/* the agent is registered */
	int			 lp_max;	/* jobs it may take at once */
	int			 lp_batch;	/* it asked with max_jobs */
	struct req		*lp_prev, *lp_next;
};

/* Counters for /metrics. */
static const double latency_le[] = {
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 30,
};
#define NLAT	(sizeof latency_le / sizeof latency_le[0])

struct metrics {
	uint64_t	triggered;
	uint64_t	finished[JOB_NSTATES];
	uint64_t	lease_expiries;
	uint64_t	timeouts;
	uint64_t	http[600];
	uint64_t	lat_bucket[NLAT + 1];
	uint64_t	lat_count;
	uint64_t	lat_sum_us;
};

/* Ids last seen, flushed to the database by the ticker. */
struct touches {
	int64_t		*id;
	int64_t		*at;
	char		**remote;
	size_t		 n;
};

/*
 * Tokens seen recently, so that a request costs no database read to
 * authenticate.  Revoking a token clears the cache (and bumps gen, so that
 * a lookup racing with the revocation cannot put the token back).
 */
#define TCACHE_SIZE	1024
struct tcache_ent {
	char		 token[AUTH_TOKEN_LEN + 1];
	struct identity	 who;
};

struct api {
	struct store		*st;
	struct scripts		*sc;
	struct sched		*sched;
	struct secrets		*sk;
	const struct tfmt	*tf;
	struct api_config	 cfg;
	struct MHD_Daemon	*mhd;
	struct web		*web;	/* the dashboard, or NULL */

	pthread_mutex_t		 wmu;	/* waiters and gen */
	struct req		*wait_head, *wait_tail;
	size_t			 nwaiting;
	uint64_t		 gen;	/* bumped on every wake */
	atomic_int		 stopping;

	pthread_mutex_t		 tmu;	/* touches, finals */
	struct touches		 agents, tokens;
	/*
	 * Jobs in final states, counted at most once a minute for /metrics:
	 * counting them reads an index entry per job kept.
	 */
	json_t			*finals;
	int64_t			 finals_at;

	pthread_t		 ticker;
	int			 ticker_running;
	pthread_mutex_t		 kmu;
	pthread_cond_t		 kcv;

	pthread_rwlock_t	 tclock;
	struct tcache_ent	*tcache;
	uint64_t		 tcgen;

	struct metrics		 m;	/* updated with __atomic */
};

#define INC(x)		__atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define ADD(x, v)	__atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)
#define GET(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

/* --- replies ------------------------------------------------------------- */

static void
reply_json(struct req *r, int status, json_t *out)
{
	json_decref(r->out);
	r->status = status;
	r->out = out;
}

static void reply_error(struct req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_error(struct req *r, int status, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	reply_json(r, status, json_pack("{s:s}", "error", msg));
}

/* The HTTP status of a jobs_* failure. */
static int
jobs_status(int rc)
{
	static const struct {
		int	rc;
		int	status;
	} map[] = {
		{ JOBS_NOT_FOUND, MHD_HTTP_NOT_FOUND },
		{ JOBS_STALE, MHD_HTTP_CONFLICT },
		{ JOBS_CONFLICT, MHD_HTTP_CONFLICT },
		{ JOBS_INVALID, MHD_HTTP_BAD_REQUEST },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].rc == rc)
			return map[i].status;
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* Map a jobs_* result to an HTTP error reply. */
static void
reply_jobs_error(struct req *r, int rc, const char *err)
{
	reply_error(r, jobs_status(rc), "%s", err);
}

static enum MHD_Result
send_reply(struct api *a, struct req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0;
	int i;

	if (r->raw != NULL) {
		resp = MHD_create_response_from_buffer(r->rawlen, r->raw,
		    MHD_RESPMEM_MUST_FREE);
		r->raw = NULL;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    r->ctype ? r->ctype : "application/octet-stream");
	} else {
		if (r->out != NULL) {
			text = json_dumps(r->out, JSON_COMPACT);
			len = strlen(text);
			text[len] = '\n';	/* replaces the NUL: not a C string */
			len++;
		}
		resp = MHD_create_response_from_buffer(len, text,
		    MHD_RESPMEM_MUST_FREE);
		if (r->out != NULL)
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_CONTENT_TYPE,
			    "application/json; charset=utf-8");
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (r->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer");
	for (i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr[2 * i], r->hdr[2 * i + 1]);
	if (r->status >= 100 && r->status < 600)
		INC(a->m.http[r->status]);
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --- audit --------------------------------------------------------------- */

static int
mutating(const struct req *r)
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

static int
audit_insert(struct conn *c, struct req *r)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO audit (at, actor,"
	    " token_id, role, method, path, status, remote, detail)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	char actor[160];

	actor_of(r, actor, sizeof actor);
	sqlite3_bind_int64(st, 1, time_wall_ms());
	bind_text(st, 2, actor);
	if (r->authed) {
		sqlite3_bind_int64(st, 3, r->who.token_id);
		bind_text(st, 4, role_name(r->who.role));
	}
	bind_text(st, 5, r->method);
	bind_text(st, 6, r->path);
	sqlite3_bind_int(st, 7, r->status);
	bind_text(st, 8, r->remote);
	if (r->detail != NULL)
		sqlite3_bind_text(st, 9, json_dumps(r->detail, JSON_COMPACT),
		    -1, free);
	return conn_step(c, st, NULL, 0);
}

typedef int (*handler_write_fn)(struct conn *, struct api *, struct req *,
    void *);

struct wctx {
	struct api		*a;
	struct req		*r;
	handler_write_fn	 fn;
	void			*arg;
	int			 refused;	/* fn returned non-zero */
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
	if (mutating(w->r) && !w->r->no_audit && audit_insert(c, w->r) != 0)
		return -1;
	return 0;
}

/*
 * Run fn in a durable write with the request's audit row.  fn sets the
 * reply; it returns non-zero to have its changes rolled back (the audit
 * row of the refusal is still written).  -1 when a commit failed (the
 * reply is then a 500).
 */
static int
write_audited(struct api *a, struct req *r, handler_write_fn fn, void *arg)
{
	struct wctx w = { a, r, fn, arg, 0 };
	char err[256];

	if (store_write(a->st, audited_op, &w, err, sizeof err) == 0)
		return 0;
	if (w.refused) {
		if (!mutating(r) || r->no_audit)
			return 0;
		w.fn = NULL;
		if (store_write(a->st, audited_op, &w, err, sizeof err) == 0)
			return 0;
	}
	reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
	    err[0] ? err : "database write failed");
	return -1;
}

/* Audit a call refused before its handler ran. */
static void
audit_refusal(struct api *a, struct req *r)
{
	if (mutating(r))
		write_audited(a, r, NULL, NULL);
}

/* --- small helpers ------------------------------------------------------- */

static const char *
query_arg(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}


/* A string member: 0 and *out (NULL when absent and optional), or -1. */
static int
in_str(struct req *r, const char *key, int required, size_t maxlen,
    const char **out)
{
	json_t *v = json_object_get(r->in, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: required", key);
		return -1;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > maxlen) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected a string of "
		    "1-%zu bytes", key, maxlen);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int
in_int(struct req *r, const char *key, json_int_t lo, json_int_t hi,
    json_int_t dflt, json_int_t *out)
{
	json_t *v = json_object_get(r->in, key);

	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected an integer "
		    "from %lld to %lld", key, (long long)lo, (long long)hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* A list of label strings, or -1 with a 400 reply. */
static int
in_labels(struct req *r, const char *key, json_t **out)
{
	json_t *v = json_object_get(r->in, key), *l;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > 256)
		goto bad;
	json_array_foreach(v, i, l)
		if (!json_is_string(l) || json_string_length(l) == 0 ||
		    json_string_length(l) > 128)
			goto bad;
	*out = v;
	return 0;
bad:
	reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected a list of up to 256 "
	    "label strings", key);
	return -1;
}

static void
touch(struct touches *t, int64_t id, int64_t at, const char *remote)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->id[i] == id)
			break;
	if (i == t->n) {
		t->id = xreallocarray(t->id, t->n + 1, sizeof *t->id);
		t->at = xreallocarray(t->at, t->n + 1, sizeof *t->at);
		t->remote = xreallocarray(t->remote, t->n + 1,
		    sizeof *t->remote);
		t->id[i] = id;
		t->remote[i] = NULL;
		t->n++;
	}
	t->at[i] = at;
	if (remote != NULL && (t->remote[i] == NULL ||
	    strcmp(t->remote[i], remote) != 0)) {
		free(t->remote[i]);
		t->remote[i] = xstrdup(remote);
	}
}

static void
touches_clear(struct touches *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->remote[i]);
	free(t->id);
	free(t->at);
	free(t->remote);
	memset(t, 0, sizeof *t);
}

static void
note_caller(struct api *a, struct req *r)
{
	int64_t now = time_wall_ms();

	pthread_mutex_lock(&a->tmu);
	touch(&a->tokens, r->who.token_id, now, NULL);
	if (r->who.role == ROLE_AGENT)
		touch(&a->agents, r->who.agent_id, now, r->remote);
	pthread_mutex_unlock(&a->tmu);
}

/*
 * The secret values a job's script references, as a mask (for masking
 * what agents send) and as an object (for the lease); either may be NULL.
 */
static void
job_secrets(struct api *a, struct conn *c, const char *digest,
    struct mask *m, json_t **values)
{
	const struct script *s = scripts_get(a->sc, c, digest);
	json_t *names, *vals, *v;
	const char *k;

	if (values)
		*values = json_object();
	if (s == NULL)
		return;
	names = scripts_secret_refs(s);
	if (json_array_size(names) == 0) {
		json_decref(names);
		return;
	}
	vals = secrets_get(c, a->sk, names);
	json_decref(names);
	if (m != NULL)
		json_object_foreach(vals, k, v)
			mask_add(m, json_string_value(v));
	if (values) {
		json_decref(*values);
		*values = vals;
	} else
		json_decref(vals);
}

/*
 * v with every secret of the job's script masked (a new reference), on
 * the connection of the write that stores it.
 */
static json_t *
mask_for_job(struct api *a, struct conn *c, int64_t job_id, json_t *v)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT digest FROM jobs WHERE id = ?");
	struct mask m;
	char *digest = NULL;
	json_t *out;

	sqlite3_bind_int64(st, 1, job_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		digest = col_strdup(st, 0);
	sqlite3_reset(st);
	mask_init(&m);
	if (digest != NULL)
		job_secrets(a, c, digest, &m, NULL);
	out = m.n > 0 ? mask_json(&m, v) : json_incref(v);
	mask_free(&m);
	free(digest);
	return out;
}

static size_t
tcache_slot(const char *token)
{
	uint64_t h = 1469598103934665603ull;

	for (; *token; token++)
		h = (h ^ (unsigned char)*token) * 1099511628211ull;
	return (size_t)(h % TCACHE_SIZE);
}

static void
tcache_clear(struct api *a)
{
	pthread_rwlock_wrlock(&a->tclock);
	a->tcgen++;
	memset(a->tcache, 0, TCACHE_SIZE * sizeof *a->tcache);
	pthread_rwlock_unlock(&a->tclock);
}

static int
auth_read(struct conn *c, void *p)
{
	struct req *r = p;
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);

	return auth_lookup(c, h + 7, &r->who);
}

/* Who the request's bearer token belongs to: 0, or -1 when no one. */
static int
authenticate(struct api *a, struct req *r, const char *token)
{
	struct tcache_ent *e;
	size_t slot;
	uint64_t gen;
	int found = 0;

	if (strlen(token) != AUTH_TOKEN_LEN)
		return -1;
	slot = tcache_slot(token);
	pthread_rwlock_rdlock(&a->tclock);
	e = &a->tcache[slot];
	if (sodium_memcmp(e->token, token, AUTH_TOKEN_LEN + 1) == 0) {
		r->who = e->who;
		found = 1;
	}
	gen = a->tcgen;
	pthread_rwlock_unlock(&a->tclock);
	if (found)
		return 0;
	if (store_read(a->st, auth_read, r) != 0)
		return -1;
	pthread_rwlock_wrlock(&a->tclock);
	if (a->tcgen == gen) {
		memcpy(a->tcache[slot].token, token, AUTH_TOKEN_LEN + 1);
		a->tcache[slot].who = r->who;
	}
	pthread_rwlock_unlock(&a->tclock);
	return 0;
}

/* --- long-poll waiters ------------------------------------------------- */

static void
wait_unlink(struct api *a, struct req *r)
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
	wait_unlink(a, r);
	r->lp = why;
	MHD_resume_connection(r->conn);
}

/*
 * Wake up to n waiters (n < 0: all) whose labels satisfy requires (NULL:
 * any), oldest first.
 */
static void
wake(struct api *a, json_t *requires, int n)
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
static void
expire_waiters(struct api *a, int64_t mono, int all)
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

/* --- handlers: health, metrics, whoami ----------------------------------- */

static int
ping_read(struct conn *c, void *arg)
{
	(void)arg;
	return sqlite3_exec(c->db, "SELECT 1 FROM meta LIMIT 1", NULL, NULL,
	    NULL) == SQLITE_OK ? 0 : -1;
}

static enum hres
h_health(struct api *a, struct req *r)
{
	int ok = store_read(a->st, ping_read, NULL) == 0;

	if (a->stopping) {
		reply_json(r, MHD_HTTP_SERVICE_UNAVAILABLE, json_pack("{s:s,"
		    " s:s}", "status", "stopping", "error", "shutting down"));
		return H_DONE;
	}
	reply_json(r, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
	    json_pack("{s:s, s:s, s:s}", "status", ok ? "ok" : "degraded",
	    "version", KOBITO_VERSION, "db", ok ? "ok" : "unreadable"));
	return H_DONE;
}

static enum hres
h_whoami(struct api *a, struct req *r)
{
	(void)a;
	reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:I}", "name",
	    r->who.name, "role", role_name(r->who.role), "token_id",
	    (json_int_t)r->who.token_id));
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

static enum hres
h_metrics(struct api *a, struct req *r)
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
	buf_printf(&b, "# HELP kobito_jobs_triggered_total Jobs queued.\n"
	    "# TYPE kobito_jobs_triggered_total counter\n"
	    "kobito_jobs_triggered_total %llu\n",
	    (unsigned long long)GET(a->m.triggered));
	buf_puts(&b, "# HELP kobito_jobs_finished_total Results stored, by the "
	    "state they moved the job to.\n"
	    "# TYPE kobito_jobs_finished_total counter\n");
	for (i = 0; i < JOB_NSTATES; i++)
		buf_printf(&b, "kobito_jobs_finished_total{state=\"%s\"} %llu\n",
		    job_state_name((enum job_state)i),
		    (unsigned long long)GET(a->m.finished[i]));
	buf_puts(&b, "# HELP kobito_dispatch_latency_seconds From a job being "
	    "due to its lease.\n"
	    "# TYPE kobito_dispatch_latency_seconds histogram\n");
	for (i = 0; i < NLAT; i++) {
		cum += GET(a->m.lat_bucket[i]);
		buf_printf(&b, "kobito_dispatch_latency_seconds_bucket{le=\"%g\"}"
		    " %llu\n", latency_le[i], (unsigned long long)cum);
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

static void
record_latency(struct api *a, int64_t ms)
{
	double s = (double)(ms < 0 ? 0 : ms) / 1000.0;
	size_t i;

	for (i = 0; i < NLAT && s > latency_le[i]; i++)
		;
	if (i < NLAT)
		INC(a->m.lat_bucket[i]);
	INC(a->m.lat_count);
	ADD(a->m.lat_sum_us, (uint64_t)(s * 1e6));
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
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:I, s:I}", "agent_id",
	    (json_int_t)r->who.agent_id, "lease_ttl_ms",
	    (json_int_t)a->cfg.lease_ttl_ms, "heartbeat_ms",
	    (json_int_t)(a->cfg.lease_ttl_ms / 3)));
	return 0;
}

static enum hres
h_register(struct api *a, struct req *r)
{
	struct regw w;
	const char *name;
	json_t *labels;

	if (in_str(r, "name", 1, 64, &name) != 0 ||
	    in_labels(r, "labels", &labels) != 0 ||
	    in_int(r, "slots", 1, 1024, 1, &w.slots) != 0 ||
	    in_str(r, "version", 0, 64, &w.version) != 0)
		goto refused;
	if (strcmp(name, r->who.name) != 0) {
		reply_error(r, MHD_HTTP_FORBIDDEN, "this token is for agent "
		    "'%s', not '%s'", r->who.name, name);
		goto refused;
	}
	w.labels = labels ? labels : json_array();
	r->detail = json_pack("{s:s, s:O, s:I}", "name", name, "labels",
	    w.labels, "slots", w.slots);
	write_audited(a, r, register_write, &w);
	if (labels == NULL)
		json_decref(w.labels);
	return H_DONE;
refused:
	audit_refusal(a, r);
	return H_DONE;
}

/* Most jobs one lease call may take (max_jobs). */
#define LEASE_BATCH_MAX	32

struct leasew {
	int		 rc;
	int		 status;	/* when the agent cannot lease */
	char		 err[256];
	json_t		*reply;
	int64_t		 waited_ms[LEASE_BATCH_MAX];
	int		 n;		/* jobs leased */
};

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
		reply_jobs_error(r, w->rc, w->err);
		return -1;
	}
	if ((s = scripts_get(a->sc, c, l.digest)) == NULL) {
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot load "
		    "script %s of job %lld", l.digest, (long long)l.job_id);
		lease_clear(&l);
		return -1;
	}
	job_secrets(a, c, l.digest, NULL, &secrets);
	w->waited_ms[w->n++] = l.waited_ms;
	json_array_append_new(jobs, json_pack("{s:I, s:I, s:i, s:s, s:I, s:I,"
	    " s:{s:s, s:s, s:s%, s:O}, s:O, s:o}",
	    "job_id", (json_int_t)l.job_id, "run_id", (json_int_t)l.run_id,
	    "attempt", l.attempt, "lease_token", l.token,
	    "lease_ttl_ms", (json_int_t)a->cfg.lease_ttl_ms,
	    "timeout_ms", (json_int_t)l.timeout_ms,
	    "script", "name", l.script, "digest", l.digest,
	    "source", s->source, s->source_len, "files", script_files(s),
	    "params", l.params, "secrets", secrets));
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
static int
lease_write(struct conn *c, struct api *a, struct req *r, void *p)
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
		reply_json(r, MHD_HTTP_OK, json_pack("{s:o}", "jobs", jobs));
		r->detail = json_pack("{s:o}", "jobs", detail);
	} else {
		reply_json(r, MHD_HTTP_OK, json_incref(json_array_get(jobs, 0)));
		r->detail = json_incref(json_array_get(detail, 0));
		json_decref(jobs);
		json_decref(detail);
	}
	return 0;
}

static void
record_leases(struct api *a, const struct leasew *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		record_latency(a, w->waited_ms[i]);
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
	if (write_audited(a, r, lease_write, &w) != 0)
		return;
	if (w.status != 0) {
		r->no_audit = 0;
		reply_error(r, w.status, "%s", w.err);
		audit_refusal(a, r);
		return;
	}
	if (w.rc == JOBS_OK)
		record_leases(a, &w);
}

static enum hres
h_lease(struct api *a, struct req *r)
{
	json_int_t agent_id, wait_ms, free_slots, max_jobs;
	json_t *labels;
	uint64_t gen;

	if (r->lp == LP_NONE) {
		if (in_int(r, "agent_id", 1, INT64_MAX, 0, &agent_id) != 0 ||
		    in_int(r, "wait_ms", 0, a->cfg.wait_max_ms, 0,
		    &wait_ms) != 0 ||
		    in_int(r, "free_slots", 0, 1024, 1, &free_slots) != 0 ||
		    in_int(r, "max_jobs", 0, LEASE_BATCH_MAX, 0,
		    &max_jobs) != 0 ||
		    in_labels(r, "labels", &labels) != 0)
			goto refused;
		r->lp_batch = max_jobs > 0;
		r->lp_max = (int)(max_jobs > free_slots ? free_slots :
		    max_jobs);
		if (agent_id == 0) {
			reply_error(r, MHD_HTTP_BAD_REQUEST, "agent_id: "
			    "required");
			goto refused;
		}
		if (agent_id != r->who.agent_id) {
			reply_error(r, MHD_HTTP_FORBIDDEN, "this token is for "
			    "agent %lld, not %lld",
			    (long long)r->who.agent_id, (long long)agent_id);
			goto refused;
		}
		/* Given labels replace the registered ones for matching. */
		if (labels != NULL)
			r->lp_labels = json_incref(labels);
		r->lp_deadline = time_mono_ms() + wait_ms;
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
	audit_refusal(a, r);
	return H_DONE;
}

/* The {id} of an agent route and the lease token in the body. */
static int
job_and_token(struct req *r, int64_t *id, const char **token)
{
	if ((*id = text_parse_id(r->args[0])) == 0) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no job '%s'", r->args[0]);
		return -1;
	}
	if (in_str(r, "lease_token", 1, 64, token) != 0)
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
		reply_jobs_error(r, rc, err);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:b}", "lease_ttl_ms",
	    (json_int_t)a->cfg.lease_ttl_ms, "cancel", w->cancel));
	return 0;
}

static enum hres
h_heartbeat(struct api *a, struct req *r)
{
	struct hbw w;

	memset(&w, 0, sizeof w);
	if (job_and_token(r, &w.id, &w.token) != 0) {
		audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I}", "job_id", (json_int_t)w.id);
	write_audited(a, r, heartbeat_write, &w);
	return H_DONE;
}

/* Events one agent call may carry. */
#define EVENTS_MAX	1000
#define EVENTS_ERR	"events: expected a list of at most 1000 events"

/* The "events" list of an agent's call (borrowed). */
static int
in_events(struct req *r, json_t **events)
{
	*events = json_object_get(r->in, "events");
	if (json_is_array(*events) && json_array_size(*events) <= EVENTS_MAX)
		return 0;
	reply_error(r, MHD_HTTP_BAD_REQUEST, EVENTS_ERR);
	return -1;
}

static int
events_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct hbw *w = p;
	json_t *masked = mask_for_job(a, c, w->id, w->events);
	char err[256];
	int rc;

	rc = jobs_events(c, w->id, w->token, masked, time_wall_ms(),
	    a->cfg.lease_ttl_ms, &w->stored, &w->cancel, err, sizeof err);
	json_decref(masked);
	if (rc != JOBS_OK) {
		reply_jobs_error(r, rc, err);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:i, s:b}", "stored",
	    w->stored, "cancel", w->cancel));
	json_object_set_new(r->detail, "stored", json_integer(w->stored));
	return 0;
}

static enum hres
h_events(struct api *a, struct req *r)
{
	struct hbw w;

	memset(&w, 0, sizeof w);
	if (job_and_token(r, &w.id, &w.token) != 0)
		goto refused;
	if (in_events(r, &w.events) != 0)
		goto refused;
	r->detail = json_pack("{s:I}", "job_id", (json_int_t)w.id);
	write_audited(a, r, events_write, &w);
	return H_DONE;
refused:
	audit_refusal(a, r);
	return H_DONE;
}

struct artw {
	int64_t		 id;
	const char	*token, *name, *ctype;
};

static int
artifact_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct artw *w = p;
	char err[256];
	int rc;

	rc = jobs_artifact(c, w->id, w->token, w->name, w->ctype, r->body.data,
	    r->body.len, a->cfg.artifacts_per_run, time_wall_ms(), err,
	    sizeof err);
	if (rc != JOBS_OK) {
		reply_jobs_error(r, rc, err);
		return -1;
	}
	reply_json(r, MHD_HTTP_CREATED, json_pack("{s:s, s:I}", "name",
	    w->name, "size", (json_int_t)r->body.len));
	return 0;
}

static int
artifact_name_ok(const char *n)
{
	size_t len = strlen(n);

	return len >= 1 && len <= 128 && n[0] != '.' &&
	    strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == len;
}

static enum hres
h_artifact(struct api *a, struct req *r)
{
	struct artw w;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];

	memset(&w, 0, sizeof w);
	if ((w.id = text_parse_id(r->args[0])) == 0) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no job '%s'", r->args[0]);
		goto refused;
	}
	w.token = query_arg(r, "lease_token");
	w.name = query_arg(r, "name");
	if (w.token == NULL || w.name == NULL) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "lease_token and name are "
		    "required query parameters");
		goto refused;
	}
	if (!artifact_name_ok(w.name)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "name: expected 1-128 "
		    "characters of A-Z a-z 0-9 . _ -, not starting with '.'");
		goto refused;
	}
	w.ctype = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (w.ctype == NULL || strlen(w.ctype) > 128)
		w.ctype = "application/octet-stream";
	r->detail = json_pack("{s:I, s:s, s:I}", "job_id", (json_int_t)w.id,
	    "name", w.name, "size", (json_int_t)r->body.len);
	write_audited(a, r, artifact_write, &w);
	if (r->status == MHD_HTTP_CREATED) {
		crypto_hash_sha256(hash, (const unsigned char *)
		    (r->body.data ? r->body.data : ""), r->body.len);
		sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
		json_object_set_new(r->out, "sha256", json_string(hex));
	}
	return H_DONE;
refused:
	audit_refusal(a, r);
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
	w->summary = json_object_get(in, "summary");
	w->events = json_object_get(in, "events");
	if (json_is_null(w->events))
		w->events = NULL;
	if (!json_is_object(w->summary)) {
		snprintf(err, errlen, "summary: expected the run summary "
		    "object");
		return -1;
	}
	if (w->events != NULL && (!json_is_array(w->events) ||
	    json_array_size(w->events) > EVENTS_MAX)) {
		snprintf(err, errlen, EVENTS_ERR);
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
		masked = mask_for_job(a, c, w->id, w->events);
		rc = jobs_events(c, w->id, w->token, masked, time_wall_ms(),
		    0, &stored, &cancel, err, errlen);
		json_decref(masked);
		if (rc != JOBS_OK && rc != JOBS_STALE)
			return rc;
	}
	masked = mask_for_job(a, c, w->id, w->summary);
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
		wake(a, NULL, 1);
}

static int
result_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct resw *w = p;
	char err[256];
	int rc;

	if ((rc = result_store(c, a, w, err, sizeof err)) != JOBS_OK) {
		reply_jobs_error(r, rc, err);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:b}", "state",
	    job_state_name(w->state), "duplicate", w->dup));
	json_object_set_new(r->detail, "state",
	    json_string(job_state_name(w->state)));
	return 0;
}

static enum hres
h_result(struct api *a, struct req *r)
{
	struct resw w;
	char err[128];

	memset(&w, 0, sizeof w);
	if (job_and_token(r, &w.id, &w.token) != 0)
		goto refused;
	if (result_body(r->in, &w, err, sizeof err) != 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		goto refused;
	}
	r->detail = json_pack("{s:I}", "job_id", (json_int_t)w.id);
	write_audited(a, r, result_write, &w);
	if (r->status == MHD_HTTP_OK)
		result_stored(a, &w);
	return H_DONE;
refused:
	audit_refusal(a, r);
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
		b->status[i] = rc == JOBS_OK ? MHD_HTTP_OK : jobs_status(rc);
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
	reply_json(r, MHD_HTTP_OK, json_pack("{s:O}", "results", b->answers));
	return 0;
}

/*
 * Several results in one call and one commit: an agent with many slots
 * reports the runs that finished while its previous call was on the way.
 */
static enum hres
h_results(struct api *a, struct req *r)
{
	struct resultsw *b = xcalloc(1, sizeof *b);
	json_t *list = json_object_get(r->in, "results");
	size_t i;

	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > RESULTS_MAX) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "results: expected a "
		    "list of 1 to %d results", RESULTS_MAX);
		audit_refusal(a, r);
		free(b);
		return H_DONE;
	}
	b->n = json_array_size(list);
	if (write_audited(a, r, results_write, b) == 0)
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
		reply_jobs_error(r, rc, err);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "state",
	    job_state_name(w->state)));
	return 0;
}

static enum hres
h_release(struct api *a, struct req *r)
{
	struct relw w;

	memset(&w, 0, sizeof w);
	if (job_and_token(r, &w.id, &w.token) != 0 ||
	    in_str(r, "reason", 0, 512, &w.reason) != 0) {
		audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I, s:s?}", "job_id", (json_int_t)w.id,
	    "reason", w.reason);
	write_audited(a, r, release_write, &w);
	if (r->status == MHD_HTTP_OK && w.state == JOB_QUEUED)
		wake(a, NULL, 1);
	return H_DONE;
}

/* --- triggering jobs ----------------------------------------------------- */

struct trig {
	struct job_spec	 js;
	char		 digest[65];
	json_t		*given;		/* the params as sent */
	json_t		*params;	/* checked */
	json_t		*requires;
	const char	*parent_token;	/* children: the parent's lease */
	int64_t		 id;
	int		 created;
	struct req	*handoff;	/* a waiting agent leased for */
	struct leasew	 lw;
};

/* The script's current version, the params checked, its requires. */
static int
trigger_check(struct conn *c, struct api *a, struct req *r, struct trig *t)
{
	const struct script *s;
	char err[256];
	size_t i;

	if (scripts_current(c, t->js.script, t->digest) != 0) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no script named '%s'",
		    t->js.script);
		return -1;
	}
	if ((s = scripts_get(a->sc, c, t->digest)) == NULL) {
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "script '%s' "
		    "does not load", t->js.script);
		return -1;
	}
	if ((t->params = scripts_params(s, t->given, err, sizeof err)) ==
	    NULL) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	t->requires = json_array();
	for (i = 0; i < s->nrequires; i++)
		json_array_append_new(t->requires, json_string(s->requires[i]));
	t->js.digest = t->digest;
	t->js.params = t->params;
	t->js.requires = t->requires;
	return 0;
}

/*
 * Take the oldest waiting agent that can run a job requiring requires off
 * the list, or NULL.  The caller resumes it (finish_handoff).
 */
static struct req *
claim_waiter(struct api *a, json_t *requires)
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
		wait_unlink(a, w);
		w->lp = LP_CLAIMED;
	}
	pthread_mutex_unlock(&a->wmu);
	return w;
}

/*
 * Direct hand-off: with an agent waiting, the trigger's own transaction
 * leases the job to it, so one commit (one fsync) both queues and
 * dispatches the job, and the agent's long poll is answered with the
 * trigger's answer.  The lease is the agent's call and is audited as such.
 */
static void
handoff(struct conn *c, struct api *a, struct trig *t)
{
	struct req *w = claim_waiter(a, t->requires);

	if (w == NULL)
		return;
	t->handoff = w;
	memset(&t->lw, 0, sizeof t->lw);
	w->status = 0;
	/* A savepoint of its own: a failed hand-off leaves no half lease. */
	conn_step(c, conn_stmt(c, "SAVEPOINT ho"), NULL, 0);
	if (lease_write(c, a, w, &t->lw) != 0 || t->lw.rc != JOBS_OK ||
	    (!w->no_audit && audit_insert(c, w) != 0)) {
		t->lw.rc = JOBS_ERROR;	/* it will try again itself */
		conn_step(c, conn_stmt(c, "ROLLBACK TO ho"), NULL, 0);
	}
	conn_step(c, conn_stmt(c, "RELEASE ho"), NULL, 0);
}

/* After the trigger's commit: answer or wake the agent handed the job. */
static void
finish_handoff(struct api *a, struct trig *t, int committed)
{
	struct req *w = t->handoff;

	if (w == NULL)
		return;
	pthread_mutex_lock(&a->wmu);
	if (committed && t->lw.rc == JOBS_OK) {
		w->lp = LP_HANDED;
		record_leases(a, &t->lw);
	} else {
		w->lp = LP_WOKEN;
		json_decref(w->out);
		w->out = NULL;
		json_decref(w->detail);
		w->detail = NULL;
	}
	MHD_resume_connection(w->conn);
	pthread_mutex_unlock(&a->wmu);
}

static int
trigger_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct trig *t = p;
	sqlite3_stmt *st;
	char err[256];
	int rc;

	if (t->parent_token != NULL && (rc = jobs_check_lease(c,
	    t->js.parent_job_id, t->parent_token, err, sizeof err)) !=
	    JOBS_OK) {
		reply_jobs_error(r, rc, err);
		return -1;
	}
	if (trigger_check(c, a, r, t) != 0)
		return -1;
	rc = jobs_create(c, &t->js, time_wall_ms(), &t->id, &t->created, err,
	    sizeof err);
	if (rc != JOBS_OK) {
		reply_jobs_error(r, rc, err);
		return -1;
	}
	if (t->created)
		handoff(c, a, t);
	st = conn_stmt(c, "SELECT state FROM jobs WHERE id = ?");
	sqlite3_bind_int64(st, 1, t->id);
	reply_json(r, t->created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:I, s:s, s:b}", "job_id", (json_int_t)t->id,
	    "state", sqlite3_step(st) == SQLITE_ROW ? col_text(st, 0) :
	    "queued", "created", t->created));
	sqlite3_reset(st);
	json_object_set_new(r->detail, "job_id", json_integer(t->id));
	return 0;
}

/* Queue a job from r->in; shared by POST /api/jobs and children. */
static void
trigger(struct api *a, struct req *r, int64_t parent, const char *ptoken)
{
	struct trig t;
	const char *script, *key;
	json_int_t prio, att, backoff, tmo;
	char *by;

	memset(&t, 0, sizeof t);
	if (in_str(r, "script", 1, 128, &script) != 0 ||
	    in_int(r, "priority", -1000, 1000, 0, &prio) != 0 ||
	    in_str(r, "idempotency_key", 0, 200, &key) != 0 ||
	    in_int(r, "max_attempts", 1, 100, a->cfg.jobs.max_attempts,
	    &att) != 0 ||
	    in_int(r, "backoff_ms", 0, 86400000, a->cfg.jobs.backoff_ms,
	    &backoff) != 0 ||
	    in_int(r, "timeout_ms", 1, 7 * 86400000LL, a->cfg.jobs.timeout_ms,
	    &tmo) != 0) {
		audit_refusal(a, r);
		return;
	}
	if (parent > 0)
		by = xasprintf("job:%lld", (long long)parent);
	else
		by = xasprintf("user:%s", r->who.name);
	t.given = json_object_get(r->in, "params");
	t.js.script = script;
	t.js.priority = (int)prio;
	t.js.max_attempts = (int)att;
	t.js.backoff_ms = backoff;
	t.js.backoff_max_ms = a->cfg.jobs.backoff_max_ms > backoff ?
	    a->cfg.jobs.backoff_max_ms : backoff;
	t.js.timeout_ms = tmo;
	t.js.idempotency_key = key;
	t.js.triggered_by = by;
	t.js.department = r->who.department[0] ? r->who.department : NULL;
	t.js.parent_job_id = parent;
	t.parent_token = ptoken;
	r->detail = json_pack("{s:s, s:s?}", "script", script,
	    "idempotency_key", key);
	write_audited(a, r, trigger_write, &t);
	finish_handoff(a, &t, r->status == MHD_HTTP_CREATED);
	if (t.created && r->status == MHD_HTTP_CREATED) {
		INC(a->m.triggered);
		if (t.handoff == NULL || t.lw.rc != JOBS_OK)
			wake(a, t.requires, 1);
	}
	free(by);
	json_decref(t.params);
	json_decref(t.requires);
}

static enum hres
h_trigger(struct api *a, struct req *r)
{
	trigger(a, r, 0, NULL);
	return H_DONE;
}

static enum hres
h_children(struct api *a, struct req *r)
{
	int64_t id;
	const char *token;

	if (job_and_token(r, &id, &token) != 0) {
		audit_refusal(a, r);
		return H_DONE;
	}
	trigger(a, r, id, token);
	return H_DONE;
}

struct cancelw {
	int64_t		 id;
	const char	*reason;
	enum job_state	 state;
};

static int
cancel_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct cancelw *w = p;
	char err[256], *why;
	int rc;

	(void)a;
	why = xasprintf("%s%s%s", r->who.name, w->reason ? ": " : "",
	    w->reason ? w->reason : "");
	rc = jobs_cancel(c, w->id, why, time_wall_ms(), &w->state, err,
	    sizeof err);
	free(why);
	if (rc != JOBS_OK) {
		reply_jobs_error(r, rc, err);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:b}", "state",
	    job_state_name(w->state), "cancel_requested", 1));
	return 0;
}

static enum hres
h_cancel(struct api *a, struct req *r)
{
	struct cancelw w;

	memset(&w, 0, sizeof w);
	if ((w.id = text_parse_id(r->args[0])) == 0) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no job '%s'", r->args[0]);
		goto refused;
	}
	if (in_str(r, "reason", 0, 512, &w.reason) != 0)
		goto refused;
	r->detail = json_pack("{s:I, s:s?}", "job_id", (json_int_t)w.id,
	    "reason", w.reason);
	write_audited(a, r, cancel_write, &w);
	return H_DONE;
refused:
	audit_refusal(a, r);
	return H_DONE;
}

/* --- read routes --------------------------------------------------------- */

struct readq {
	struct api		*a;
	struct req		*r;
	struct query_filter	 f;
	int64_t			 id;
	const char		*name;
	json_t			*out;
	int			 kind;
};

enum readkind {
	RQ_JOBS, RQ_JOB, RQ_RUNS, RQ_RUN, RQ_LOGS, RQ_AGENTS, RQ_TOKENS,
	RQ_AUDIT, RQ_SCRIPTS, RQ_SCRIPT, RQ_SCHEDULES, RQ_SECRETS,
};

static int
generic_read(struct conn *c, void *p)
{
	struct readq *q = p;
	const struct tfmt *tf = q->a->tf;
	json_t *list;

	switch (q->kind) {
	case RQ_JOBS:
		q->out = query_jobs(c, tf, &q->f);
		break;
	case RQ_JOB:
		q->out = query_job(c, tf, q->id);
		break;
	case RQ_RUNS:
		q->out = query_runs(c, tf, &q->f);
		break;
	case RQ_RUN:
		q->out = query_run(c, tf, q->id);
		break;
	case RQ_LOGS:
		q->out = query_logs(c, tf, q->id, &q->f);
		break;
	case RQ_AGENTS:
		q->out = query_agents(c, tf, time_wall_ms(),
		    2 * q->a->cfg.lease_ttl_ms);
		break;
	case RQ_TOKENS:
		q->out = query_tokens(c, tf);
		break;
	case RQ_AUDIT:
		q->out = query_audit(c, tf, &q->f);
		break;
	case RQ_SCRIPTS:
		list = scripts_list(c, tf);
		q->out = json_pack("{s:o, s:o}", "scripts", list, "invalid",
		    scripts_invalid(q->a->sc));
		break;
	case RQ_SCRIPT:
		q->out = scripts_show(c, tf, q->name, query_arg(q->r,
		    "digest"));
		break;
	case RQ_SCHEDULES:
		q->out = sched_list(c, tf);
		break;
	case RQ_SECRETS:
		q->out = json_pack("{s:o}", "secrets", secrets_list(c, tf));
		break;
	}
	return 0;
}

static int
filter_from_query(struct req *r, struct query_filter *f)
{
	const char *v;

	memset(f, 0, sizeof *f);
	f->state = query_arg(r, "state");
	f->script = query_arg(r, "script");
	f->status = query_arg(r, "status");
	f->actor = query_arg(r, "actor");
	if ((v = query_arg(r, "limit")) != NULL &&
	    ((f->limit = (int)text_parse_id(v)) == 0 || f->limit > 1000)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "limit: expected 1-1000");
		return -1;
	}
	if ((v = query_arg(r, "before")) != NULL &&
	    (f->before = text_parse_id(v)) == 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "before: expected an id");
		return -1;
	}
	if ((v = query_arg(r, "after")) != NULL && strcmp(v, "0") != 0 &&
	    (f->after = text_parse_id(v)) == 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "after: expected an id");
		return -1;
	}
	if ((v = query_arg(r, "job")) != NULL && (f->job = text_parse_id(v)) == 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "job: expected an id");
		return -1;
	}
	if (f->state != NULL) {
		const char *p = f->state, *comma;
		enum job_state s;
		char one[16];

		for (; p != NULL; p = comma ? comma + 1 : NULL) {
			comma = strchr(p, ',');
			snprintf(one, sizeof one, "%.*s", comma ?
			    (int)(comma - p) : (int)strlen(p), p);
			if (job_state_parse(one, &s) != 0) {
				reply_error(r, MHD_HTTP_BAD_REQUEST, "state: "
				    "unknown state '%s'", one);
				return -1;
			}
		}
	}
	return 0;
}

static enum hres
read_route(struct api *a, struct req *r, int kind, const char *what)
{
	struct readq q;

	memset(&q, 0, sizeof q);
	q.a = a;
	q.r = r;
	q.kind = kind;
	if (filter_from_query(r, &q.f) != 0)
		return H_DONE;
	if (r->args[0] != NULL) {
		q.name = r->args[0];
		if (kind != RQ_SCRIPT && (q.id = text_parse_id(r->args[0])) == 0) {
			reply_error(r, MHD_HTTP_NOT_FOUND, "no %s '%s'", what,
			    r->args[0]);
			return H_DONE;
		}
	}
	store_read(a->st, generic_read, &q);
	if (q.out == NULL)
		reply_error(r, MHD_HTTP_NOT_FOUND, "no %s '%s'", what,
		    r->args[0] ? r->args[0] : "");
	else
		reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

static enum hres
h_jobs(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_JOBS, "jobs");
}

static enum hres
h_job(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_JOB, "job");
}

static enum hres
h_runs(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_RUNS, "runs");
}

static enum hres
h_run(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_RUN, "run");
}

static enum hres
h_logs(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_LOGS, "run");
}

static enum hres
h_agents(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_AGENTS, "agents");
}

static enum hres
h_tokens(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_TOKENS, "tokens");
}

static enum hres
h_audit(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_AUDIT, "audit");
}

static enum hres
h_scripts(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_SCRIPTS, "scripts");
}

static enum hres
h_script(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_SCRIPT, "script");
}

static enum hres
h_schedules(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_SCHEDULES, "schedules");
}

static enum hres
h_secrets(struct api *a, struct req *r)
{
	return read_route(a, r, RQ_SECRETS, "secrets");
}

struct artq {
	int64_t		 run;
	const char	*name;
	char		*data;
	size_t		 len;
	char		*ctype;
};

static int
artifact_read(struct conn *c, void *p)
{
	struct artq *q = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT data, content_type FROM"
	    " artifacts WHERE run_id = ? AND name = ?");

	sqlite3_bind_int64(st, 1, q->run);
	bind_text(st, 2, q->name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		q->len = (size_t)sqlite3_column_bytes(st, 0);
		q->data = xmalloc(q->len + 1);
		if (q->len)
			memcpy(q->data, sqlite3_column_blob(st, 0), q->len);
		q->ctype = col_strdup(st, 1);
	}
	sqlite3_reset(st);
	return 0;
}

static enum hres
h_artifact_get(struct api *a, struct req *r)
{
	struct artq q;

	memset(&q, 0, sizeof q);
	q.run = text_parse_id(r->args[0]);
	q.name = r->args[1];
	if (q.run > 0)
		store_read(a->st, artifact_read, &q);
	if (q.data == NULL) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no artifact '%s' in run "
		    "'%s'", r->args[1], r->args[0]);
		return H_DONE;
	}
	r->status = MHD_HTTP_OK;
	r->raw = q.data;
	r->rawlen = q.len;
	r->ctype = q.ctype;
	return H_DONE;
}

/* --- scripts, schedules, tokens, secrets ---------------------------------- */

struct scriptw {
	const struct script	*s;
	const char		*filename;
	int			 created;
};

static int
script_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct scriptw *w = p;
	char err[256];

	(void)a;
	if (scripts_store(c, w->s, "api", w->filename, r->who.name,
	    time_wall_ms(), &w->created, err, sizeof err) != 0) {
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	reply_json(r, w->created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:s, s:s, s:s?, s:b}", "name", w->s->name, "digest",
	    w->s->digest, "version", w->s->version, "created", w->created));
	return 0;
}

static enum hres
h_script_upload(struct api *a, struct req *r)
{
	struct scriptw w;
	const char *source;
	json_t *errors;

	memset(&w, 0, sizeof w);
	if (in_str(r, "source", 1, a->cfg.body_max, &source) != 0 ||
	    in_str(r, "filename", 0, 255, &w.filename) != 0)
		goto refused;
	if (w.filename == NULL)
		w.filename = "upload.yaml";
	errors = json_array();
	w.s = scripts_check(a->sc, w.filename, source,
	    json_string_length(json_object_get(r->in, "source")), errors);
	if (w.s == NULL) {
		reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT, json_pack("{s:s,"
		    " s:o}", "error", "script does not validate", "errors",
		    errors));
		r->detail = json_pack("{s:s}", "filename", w.filename);
		goto refused;
	}
	json_decref(errors);
	r->detail = json_pack("{s:s, s:s}", "name", w.s->name, "digest",
	    w.s->digest);
	write_audited(a, r, script_write, &w);
	return H_DONE;
refused:
	audit_refusal(a, r);
	return H_DONE;
}

static int
schedule_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	json_t *errors = json_array(), *def;
	char err[256];
	int created;

	(void)p;
	def = sched_check(a->sched, c, a->sc, r->in, errors);
	if (def == NULL) {
		reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT, json_pack("{s:s,"
		    " s:o}", "error", "schedule does not validate", "errors",
		    errors));
		return -1;
	}
	json_decref(errors);
	if (sched_put(a->sched, c, def, "api", time_wall_ms(), &created, err,
	    sizeof err) != 0) {
		json_decref(def);
		reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "%s", err);
		return -1;
	}
	reply_json(r, created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    sched_get(c, a->tf, json_string_value(json_object_get(def,
	    "name"))));
	json_decref(def);
	return 0;
}

static enum hres
h_schedule_put(struct api *a, struct req *r)
{
	json_t *name = json_object_get(r->in, "name");

	r->detail = json_pack("{s:O?}", "name", name);
	write_audited(a, r, schedule_write, NULL);
	return H_DONE;
}

static int
schedule_delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	(void)a;
	(void)p;
	if (sched_delete(c, r->args[0]) != 0) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no schedule '%s'",
		    r->args[0]);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "deleted", r->args[0]));
	return 0;
}

static enum hres
h_schedule_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	write_audited(a, r, schedule_delete_write, NULL);
	return H_DONE;
}

struct tokw {
	enum role	 role;
	const char	*name;
};

static int
token_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct tokw *w = p;
	char tok[AUTH_TOKEN_LEN + 1], err[256];
	int64_t id;

	(void)a;
	if (auth_token_create(c, w->role, w->name, r->who.name, time_wall_ms(),
	    tok, &id, err, sizeof err) != 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	reply_json(r, MHD_HTTP_CREATED, json_pack("{s:I, s:s, s:s, s:s}", "id",
	    (json_int_t)id, "token", tok, "name", w->name, "role",
	    role_name(w->role)));
	sodium_memzero(tok, sizeof tok);
	json_object_set_new(r->detail, "id", json_integer(id));
	return 0;
}

static enum hres
h_token_create(struct api *a, struct req *r)
{
	struct tokw w;
	const char *role;

	if (in_str(r, "role", 1, 16, &role) != 0 ||
	    in_str(r, "name", 1, 64, &w.name) != 0)
		goto refused;
	if (role_parse(role, &w.role) != 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "role: expected viewer, "
		    "operator, engineer, admin or agent, not '%s'", role);
		goto refused;
	}
	r->detail = json_pack("{s:s, s:s}", "name", w.name, "role", role);
	write_audited(a, r, token_write, &w);
	return H_DONE;
refused:
	audit_refusal(a, r);
	return H_DONE;
}

static int
token_revoke_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	int64_t id = *(int64_t *)p;

	(void)a;
	if (auth_revoke(c, id, time_wall_ms()) != 0) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no live token %lld",
		    (long long)id);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:I}", "revoked",
	    (json_int_t)id));
	return 0;
}

static enum hres
h_token_revoke(struct api *a, struct req *r)
{
	int64_t id = text_parse_id(r->args[0]);

	if (id == 0) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no token '%s'", r->args[0]);
		audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I}", "id", (json_int_t)id);
	write_audited(a, r, token_revoke_write, &id);
	if (r->status == MHD_HTTP_OK)
		tcache_clear(a);
	return H_DONE;
}

static int
secret_put_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	const char *value = p;
	char err[256];
	int64_t now = time_wall_ms();

	if (secrets_put(c, a->sk, r->args[0], value, r->who.name, now, err,
	    sizeof err) != 0) {
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:o}", "name", r->args[0],
	    "updated_at", tfmt_json(a->tf, now)));
	return 0;
}

static enum hres
h_secret_put(struct api *a, struct req *r)
{
	const char *value;

	r->detail = json_pack("{s:s}", "name", r->args[0]);
	if (!secrets_name_ok(r->args[0])) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "secret names are 1-64 "
		    "characters of a-z 0-9 _");
		goto refused;
	}
	if (in_str(r, "value", 1, 65536, &value) != 0)
		goto refused;
	write_audited(a, r, secret_put_write, (void *)value);
	return H_DONE;
refused:
	audit_refusal(a, r);
	return H_DONE;
}

static int
secret_delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	(void)a;
	(void)p;
	if (secrets_delete(c, r->args[0]) != 0) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no secret '%s'", r->args[0]);
		return -1;
	}
	reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "deleted", r->args[0]));
	return 0;
}

static enum hres
h_secret_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	write_audited(a, r, secret_delete_write, NULL);
	return H_DONE;
}

/* --- web routes (web.c): the dashboard, sessions, users, KPIs ----------- */

struct webctx {
	struct api	*a;
	struct req	*r;
};

struct webw {
	struct web_req	*w;
	web_write_fn	 fn;
	void		*arg;
};

/* Move what a web handler put in its reply into the request. */
static void
web_take(struct req *r, struct web_req *w)
{
	int i;

	if (w->status != 0)
		r->status = w->status;
	if (w->out != NULL) {
		json_decref(r->out);
		r->out = w->out;
		w->out = NULL;
	}
	if (w->raw != NULL) {
		free(r->raw);
		r->raw = w->raw;
		r->rawlen = w->rawlen;
		w->raw = NULL;
	}
	if (w->ctype != NULL) {
		free(r->ctype);
		r->ctype = w->ctype;
		w->ctype = NULL;
	}
	if (w->detail != NULL) {
		json_decref(r->detail);
		r->detail = w->detail;
		w->detail = NULL;
	}
	for (i = 0; i < w->nhdr && r->nhdr < WEB_MAX_HEADERS; i++) {
		r->hdr[2 * r->nhdr] = w->hdr[2 * i];
		r->hdr[2 * r->nhdr + 1] = w->hdr[2 * i + 1];
		r->nhdr++;
		w->hdr[2 * i] = w->hdr[2 * i + 1] = NULL;
	}
	w->nhdr = 0;
	r->no_audit |= w->no_audit;
	if (w->authed && !r->authed) {
		r->who = w->who;	/* a login: the audit row names the user */
		r->authed = 1;
	}
}

static int
web_write_op(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct webw *x = p;
	int rc = x->fn(c, x->w, x->arg);

	(void)a;
	web_take(r, x->w);
	return rc;
}

/* web_req.write: the change and its audit row in one durable write. */
static int
web_write(struct web_req *w, web_write_fn fn, void *arg)
{
	struct webctx *ctx = w->api_ctx;
	struct webw x = { w, fn, arg };

	w->wrote = 1;
	web_take(ctx->r, w);
	return write_audited(ctx->a, ctx->r, web_write_op, &x);
}

static enum hres
h_web(struct api *a, struct req *r)
{
	struct webctx ctx = { a, r };
	struct web_req w;
	web_handler_fn fn = web_handler(r->route->method, r->route->pattern);

	if (a->web == NULL || fn == NULL) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no dashboard here");
		audit_refusal(a, r);
		return H_DONE;
	}
	memset(&w, 0, sizeof w);
	w.conn = r->conn;
	w.method = r->method;
	w.path = r->path;
	w.remote = r->remote;
	w.args = r->args;
	w.in = r->in;
	if (r->route->body == BODY_RAW) {
		w.body = r->body.data;
		w.bodylen = r->body.len;
	}
	w.who = r->who;
	w.authed = r->authed;
	w.now = time_wall_ms();
	w.write = web_write;
	w.api_ctx = &ctx;
	fn(a->web, &w);
	web_take(r, &w);
	web_req_clear(&w);
	/* A changed or disabled user's tokens must be looked up again. */
	if (w.wrote && r->status < 300 && strncmp(r->path, "/api/users",
	    strlen("/api/users")) == 0)
		tcache_clear(a);
	if (mutating(r) && !w.wrote)
		audit_refusal(a, r);
	return H_DONE;
}

/* --- the route table ------------------------------------------------------ */

static const struct route routes[] = {
	{ "GET", "/health", ROLE_NONE, BODY_NONE, h_health },
	{ "GET", "/metrics", ROLE_VIEWER, BODY_NONE, h_metrics },
	{ "GET", "/api/whoami", ROLE_VIEWER, BODY_NONE, h_whoami },

	{ "POST", "/api/agents/register", ROLE_AGENT, BODY_JSON, h_register },
	{ "POST", "/api/agents/lease", ROLE_AGENT, BODY_JSON, h_lease },
	{ "POST", "/api/jobs/{id}/heartbeat", ROLE_AGENT, BODY_JSON,
	    h_heartbeat },
	{ "POST", "/api/jobs/{id}/events", ROLE_AGENT, BODY_JSON, h_events },
	{ "POST", "/api/jobs/{id}/artifacts", ROLE_AGENT, BODY_RAW,
	    h_artifact },
	{ "POST", "/api/jobs/{id}/result", ROLE_AGENT, BODY_JSON, h_result },
	{ "POST", "/api/results", ROLE_AGENT, BODY_JSON, h_results },
	{ "POST", "/api/jobs/{id}/release", ROLE_AGENT, BODY_JSON, h_release },
	{ "POST", "/api/jobs/{id}/children", ROLE_AGENT, BODY_JSON,
	    h_children },

	{ "GET", "/api/agents", ROLE_VIEWER, BODY_NONE, h_agents },
	{ "POST", "/api/scripts", ROLE_ENGINEER, BODY_JSON, h_script_upload },
	{ "GET", "/api/scripts", ROLE_VIEWER, BODY_NONE, h_scripts },
	{ "GET", "/api/scripts/{name}", ROLE_VIEWER, BODY_NONE, h_script },
	{ "POST", "/api/jobs", ROLE_OPERATOR, BODY_JSON, h_trigger },
	{ "GET", "/api/jobs", ROLE_VIEWER, BODY_NONE, h_jobs },
	{ "GET", "/api/jobs/{id}", ROLE_VIEWER, BODY_NONE, h_job },
	{ "POST", "/api/jobs/{id}/cancel", ROLE_OPERATOR, BODY_JSON, h_cancel },
	{ "GET", "/api/runs", ROLE_VIEWER, BODY_NONE, h_runs },
	{ "GET", "/api/runs/{id}", ROLE_VIEWER, BODY_NONE, h_run },
	{ "GET", "/api/runs/{id}/logs", ROLE_VIEWER, BODY_NONE, h_logs },
	{ "GET", "/api/runs/{id}/artifacts/{name}", ROLE_VIEWER, BODY_NONE,
	    h_artifact_get },
	{ "GET", "/api/schedules", ROLE_VIEWER, BODY_NONE, h_schedules },
	{ "POST", "/api/schedules", ROLE_ENGINEER, BODY_JSON, h_schedule_put },
	{ "DELETE", "/api/schedules/{name}", ROLE_ENGINEER, BODY_NONE,
	    h_schedule_delete },
	{ "GET", "/api/tokens", ROLE_ADMIN, BODY_NONE, h_tokens },
	{ "POST", "/api/tokens", ROLE_ADMIN, BODY_JSON, h_token_create },
	{ "DELETE", "/api/tokens/{id}", ROLE_ADMIN, BODY_NONE, h_token_revoke },
	{ "GET", "/api/audit", ROLE_ADMIN, BODY_NONE, h_audit },
	{ "GET", "/api/secrets", ROLE_ADMIN, BODY_NONE, h_secrets },
	{ "PUT", "/api/secrets/{name}", ROLE_ADMIN, BODY_JSON, h_secret_put },
	{ "DELETE", "/api/secrets/{name}", ROLE_ADMIN, BODY_NONE,
	    h_secret_delete },

	{ "GET", "/", ROLE_NONE, BODY_NONE, h_web },
	{ "GET", "/vendor/{file}", ROLE_NONE, BODY_NONE, h_web },
	{ "POST", "/api/session", ROLE_NONE, BODY_JSON, h_web },
	{ "GET", "/api/session", ROLE_VIEWER, BODY_NONE, h_web },
	{ "DELETE", "/api/session", ROLE_VIEWER, BODY_NONE, h_web },
	{ "PUT", "/api/session/password", ROLE_VIEWER, BODY_JSON, h_web },
	{ "GET", "/api/users", ROLE_ADMIN, BODY_NONE, h_web },
	{ "PUT", "/api/users/{name}", ROLE_ADMIN, BODY_JSON, h_web },
	{ "GET", "/api/kpi/config", ROLE_VIEWER, BODY_NONE, h_web },
	{ "GET", "/api/kpi/{report}", ROLE_VIEWER, BODY_NONE, h_web },
	{ "POST", "/api/kpi/surveys", ROLE_ADMIN, BODY_JSON, h_web },
	{ "POST", "/api/kpi/surveys/import", ROLE_ADMIN, BODY_RAW, h_web },
	{ "DELETE", "/api/kpi/surveys/{id}", ROLE_ADMIN, BODY_NONE, h_web },
	{ "PUT", "/api/kpi/runs/{id}/fix_minutes", ROLE_OPERATOR, BODY_JSON,
	    h_web },
	{ "GET", "/{file}", ROLE_NONE, BODY_NONE, h_web },
};
#define NROUTES	(sizeof routes / sizeof routes[0])

json_t *
api_routes_json(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < NROUTES; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "method",
		    routes[i].method, "path", routes[i].pattern, "role",
		    role_name(routes[i].role)));
	return a;
}

/*
 * Match path against pattern; captures (up to 2) are copied into args.
 * Returns 1 on a match.
 */
static int
match(const char *pattern, const char *path, char **args)
{
	const char *p = pattern, *q = path, *pe, *qe;
	int n = 0;

	while (*p == '/' && *q == '/') {
		p++;
		q++;
		pe = p + strcspn(p, "/");
		qe = q + strcspn(q, "/");
		if (*p == '{') {
			if (qe == q || n >= 2)
				goto no;
			args[n++] = xstrndup(q, (size_t)(qe - q));
		} else if (pe - p != qe - q || strncmp(p, q,
		    (size_t)(pe - p)) != 0)
			goto no;
		p = pe;
		q = qe;
	}
	if (*p == '\0' && *q == '\0')
		return 1;
no:
	while (n > 0)
		free(args[--n]), args[n] = NULL;
	return 0;
}

/* --- the access handler ------------------------------------------------- */

static void
req_free(struct req *r)
{
	if (r == NULL)
		return;
	free(r->args[0]);
	free(r->args[1]);
	free(r->path);
	buf_free(&r->body);
	json_decref(r->in);
	json_decref(r->out);
	json_decref(r->detail);
	json_decref(r->lp_labels);
	free(r->raw);
	free(r->ctype);
	while (r->nhdr > 0) {
		r->nhdr--;
		free(r->hdr[2 * r->nhdr]);
		free(r->hdr[2 * r->nhdr + 1]);
	}
	free(r);
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	(void)conn;
	(void)toe;
	if (r != NULL && r->lp == LP_WAITING) {
		/* Cannot happen (suspended requests are not completed). */
		pthread_mutex_lock(&a->wmu);
		wait_unlink(a, r);
		pthread_mutex_unlock(&a->wmu);
	}
	req_free(r);
	*con_cls = NULL;
}

static enum MHD_Result
header_size(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	size_t *n = cls;

	(void)kind;
	*n += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static void
client_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, len, "unknown");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    (socklen_t)len);
}

/*
 * A call without a bearer token: a browser's session cookie stands for
 * one (web.c).  0 when r->who is set, else 1 with the refusal made.
 */
static int
session_auth(struct api *a, struct req *r, const char *method)
{
	char msg[256];
	enum web_auth rc = a->web == NULL ? WEB_AUTH_NONE :
	    web_authenticate(a->web, r->conn, method, &r->who, msg,
	    sizeof msg);

	switch (rc) {
	case WEB_AUTH_OK:
		return 0;
	case WEB_AUTH_CSRF:
		reply_error(r, MHD_HTTP_FORBIDDEN, "%s", msg);
		break;
	case WEB_AUTH_INVALID:
		reply_error(r, MHD_HTTP_UNAUTHORIZED, "%s", msg);
		break;
	case WEB_AUTH_NONE:
		reply_error(r, MHD_HTTP_UNAUTHORIZED, "missing bearer token");
		break;
	}
	audit_refusal(a, r);
	return 1;
}

/*
 * Headers are in: limits, route, token.  Returns 0 to go on, or 1 when a
 * reply was made (r->status set).
 */
static int
begin(struct api *a, struct req *r, const char *url, const char *method)
{
	size_t hsize = strlen(url) + strlen(method) + 16, i, clen;
	const char *h;
	int path_known = 0;
	char *end;

	snprintf(r->method, sizeof r->method, "%s", method);
	r->path = xstrdup(url);
	client_address(r->conn, r->remote, sizeof r->remote);
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, header_size,
	    &hsize);
	if (hsize > a->cfg.header_max) {
		reply_error(r, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
		    "request headers are %zu bytes; the limit is %zu", hsize,
		    a->cfg.header_max);
		return 1;
	}
	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, url, r->args))
			continue;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0)) {
			r->route = &routes[i];
			break;
		}
		path_known = 1;
		free(r->args[0]);
		free(r->args[1]);
		r->args[0] = r->args[1] = NULL;
	}
	if (r->route == NULL) {
		if (path_known)
			reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not "
			    "allowed on %s", method, url);
		else
			reply_error(r, MHD_HTTP_NOT_FOUND, "no route %s", url);
		return 1;
	}
	if (r->route->role != ROLE_NONE) {
		h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION);
		if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
			if (session_auth(a, r, method) != 0)
				return 1;
		} else if (authenticate(a, r, h + 7) != 0) {
			reply_error(r, MHD_HTTP_UNAUTHORIZED, "invalid token");
			audit_refusal(a, r);
			return 1;
		}
		r->authed = 1;
		note_caller(a, r);
		if (!role_allows(r->who.role, r->route->role)) {
			if (r->route->role == ROLE_AGENT)
				reply_error(r, MHD_HTTP_FORBIDDEN, "%s %s is "
				    "for agents; this is a %s token", method,
				    r->route->pattern, role_name(r->who.role));
			else if (r->who.role == ROLE_AGENT)
				reply_error(r, MHD_HTTP_FORBIDDEN, "%s %s needs "
				    "a user token (role %s); agent tokens "
				    "cannot use it", method, r->route->pattern,
				    role_name(r->route->role));
			else
				reply_error(r, MHD_HTTP_FORBIDDEN, "%s %s needs "
				    "role %s; '%s' is %s", method,
				    r->route->pattern,
				    role_name(r->route->role), r->who.name,
				    role_name(r->who.role));
			audit_refusal(a, r);
			return 1;
		}
	}
	buf_init(&r->body, r->route->body == BODY_RAW ? a->cfg.artifact_max :
	    a->cfg.body_max);
	h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (h != NULL) {
		errno = 0;
		clen = strtoul(h, &end, 10);
		if (errno == 0 && *end == '\0' && clen > r->body.cap) {
			reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "request body "
			    "is %zu bytes; the limit is %zu", clen,
			    r->body.cap);
			audit_refusal(a, r);
			return 1;
		}
	}
	return 0;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct api *a = cls;
	struct req *r = *con_cls;
	json_error_t jerr;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		r->conn = conn;
		*con_cls = r;
		if (begin(a, r, url, method) != 0)
			return send_reply(a, r);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!r->too_large && r->route->body != BODY_NONE &&
		    buf_append(&r->body, upload_data, *upload_data_size) != 0)
			r->too_large = 1;
		if (r->too_large) {
			r->discarded += *upload_data_size;
			if (r->discarded > DISCARD_MAX)
				return MHD_NO;	/* hang up */
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->lp == LP_NONE) {
		/* The whole request is in (first time through). */
		if (r->too_large) {
			reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "request body "
			    "is over the limit of %zu bytes", r->body.cap);
			audit_refusal(a, r);
			return send_reply(a, r);
		}
		if (r->route->body == BODY_JSON && r->in == NULL) {
			if (r->body.len == 0)
				r->in = json_object();
			else if ((r->in = json_loadb(r->body.data, r->body.len,
			    0, &jerr)) == NULL || !json_is_object(r->in)) {
				if (r->in == NULL)
					reply_error(r, MHD_HTTP_BAD_REQUEST,
					    "request body: invalid JSON at "
					    "line %d column %d: %s", jerr.line,
					    jerr.column, jerr.text);
				else
					reply_error(r, MHD_HTTP_BAD_REQUEST,
					    "request body: expected a JSON "
					    "object");
				audit_refusal(a, r);
				return send_reply(a, r);
			}
		}
	}
	if (r->lp == LP_WAITING || r->lp == LP_CLAIMED)
		return MHD_YES;		/* resumed spuriously: still parked */
	if (r->route->handler(a, r) == H_SUSPEND)
		return MHD_YES;
	if (r->status == 0)
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "no reply");
	return send_reply(a, r);
}

/* --- the ticker --------------------------------------------------------- */

struct tickw {
	struct api	*a;
	int64_t		 now;
	int		 expired, timed_out, queued;
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
		st = conn_stmt(c, "UPDATE tokens SET last_used = ? WHERE id = ?");
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

static int
purge_write(struct conn *c, void *p)
{
	int64_t *before = p;
	int n;

	return jobs_purge(c, *before, 500, &n) == JOBS_OK ? 0 : -1;
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
		wake(a, req, -1);
	json_decref(q.requires);
}

static void *
ticker_main(void *p)
{
	struct api *a = p;
	struct tickw w;
	struct touches t[2];
	int64_t mono, last_tick = 0, last_purge = 0, last_ready = 0, before;
	struct timespec ts;
	char err[256];

	pthread_mutex_lock(&a->kmu);
	while (!a->stopping) {
		pthread_mutex_unlock(&a->kmu);
		mono = time_mono_ms();
		expire_waiters(a, mono, 0);
		if (mono - last_ready >= 200) {
			last_ready = mono;
			wake_for_ready(a, time_wall_ms());
		}
		if (mono - last_tick >= 1000) {
			last_tick = mono;
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
			}
			pthread_mutex_lock(&a->tmu);
			t[0] = a->agents;
			t[1] = a->tokens;
			memset(&a->agents, 0, sizeof a->agents);
			memset(&a->tokens, 0, sizeof a->tokens);
			pthread_mutex_unlock(&a->tmu);
			if (t[0].n || t[1].n)
				store_write(a->st, flush_write, t, NULL, 0);
			touches_clear(&t[0]);
			touches_clear(&t[1]);
		}
		if (a->cfg.retention_days > 0 && mono - last_purge >= 60000) {
			last_purge = mono;
			before = time_wall_ms() -
			    (int64_t)a->cfg.retention_days * 86400000;
			store_write(a->st, purge_write, &before, NULL, 0);
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

/* --- life cycle ---------------------------------------------------------- */

void
api_config_defaults(struct api_config *c)
{
	memset(c, 0, sizeof *c);
	c->body_max = 1024 * 1024;
	c->artifact_max = 10 * 1024 * 1024;
	c->header_max = 16 * 1024;
	c->artifacts_per_run = 100;
	c->lease_ttl_ms = 30000;
	c->wait_max_ms = 60000;
	c->threads = 32;
	c->retention_days = 90;
	c->jobs.max_attempts = 3;
	c->jobs.backoff_ms = 10000;
	c->jobs.backoff_max_ms = 600000;
	c->jobs.timeout_ms = 3600000;
}

struct api *
api_new(struct store *st, struct scripts *sc, struct sched *sched,
    struct secrets *sk, const struct tfmt *tf, const struct api_config *cfg)
{
	struct api *a = xcalloc(1, sizeof *a);

	a->st = st;
	a->sc = sc;
	a->sched = sched;
	a->sk = sk;
	a->tf = tf;
	a->cfg = *cfg;
	pthread_mutex_init(&a->wmu, NULL);
	pthread_mutex_init(&a->tmu, NULL);
	pthread_mutex_init(&a->kmu, NULL);
	pthread_cond_init(&a->kcv, NULL);
	pthread_rwlock_init(&a->tclock, NULL);
	a->tcache = xcalloc(TCACHE_SIZE, sizeof *a->tcache);
	return a;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("kobito-scheduler: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int
api_start(struct api *a, int fd, char *err, size_t errlen)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	/*
	 * The pool holds the request line and headers plus MHD's buffers:
	 * the header limit and room to spare, so that our own check (431
	 * with a JSON body) sees oversized headers before MHD runs out of
	 * room.  MHD clears the pool for every request: no bigger.
	 */
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, a,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)a->cfg.threads,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(a->cfg.header_max + 16 * 1024),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)8192,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, a,
	    MHD_OPTION_END);
	if (a->mhd == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server");
		return -1;
	}
	if (pthread_create(&a->ticker, NULL, ticker_main, a) != 0) {
		snprintf(err, errlen, "cannot start the ticker thread");
		MHD_stop_daemon(a->mhd);
		a->mhd = NULL;
		return -1;
	}
	a->ticker_running = 1;
	return 0;
}

void
api_stop(struct api *a)
{
	pthread_mutex_lock(&a->kmu);
	a->stopping = 1;
	pthread_cond_signal(&a->kcv);
	pthread_mutex_unlock(&a->kmu);
	if (a->ticker_running) {
		pthread_join(a->ticker, NULL);
		a->ticker_running = 0;
	}
	pthread_mutex_lock(&a->wmu);
	a->gen++;
	pthread_mutex_unlock(&a->wmu);
	if (a->mhd != NULL) {
		/* Every parked long poll answers 204 before the end. */
		expire_waiters(a, INT64_MAX, 1);
		time_sleep_ms(100, NULL);
		MHD_stop_daemon(a->mhd);
		a->mhd = NULL;
	}
}

void
api_set_web(struct api *a, struct web *w)
{
	a->web = w;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	touches_clear(&a->agents);
	touches_clear(&a->tokens);
	json_decref(a->finals);
	pthread_mutex_destroy(&a->wmu);
	pthread_mutex_destroy(&a->tmu);
	pthread_mutex_destroy(&a->kmu);
	pthread_cond_destroy(&a->kcv);
	pthread_rwlock_destroy(&a->tclock);
	sodium_memzero(a->tcache, TCACHE_SIZE * sizeof *a->tcache);
	free(a->tcache);
	free(a);
}
