/*
 * api_int.h - what the files of the scheduler's HTTP API share (not a
 * public header: the API's contract is api.h and docs/api.md).
 *
 * api.c holds the one route table {method, path pattern, minimum role,
 * body kind, handler}, the dispatch that runs a request through it, and
 * the helpers every handler uses (replies, reading the body, read
 * routes).  Each resource lives in a file of its own (api_jobs.c,
 * api_runs.c, api_agents.c, ...) and exports its handlers through a small
 * header (api_jobs.h, ...).  A new resource is a new file, a new header
 * and new rows in the table.
 *
 * A handler gets the request (struct req) with the body parsed, fills in
 * the reply and does its changes through api_write_audited(), which runs
 * them and their audit row in one durable transaction.
 */
#ifndef KOBITO_API_INT_H
#define KOBITO_API_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "api.h"
#include "auth.h"
#include "buf.h"
#include "jobs.h"
#include "query.h"
#include "version.h"
#include "store.h"
#include "web.h"

#define API_VERSION	KOBITO_VERSION

struct MHD_Connection;
struct MHD_Daemon;

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

struct anon;
struct api;
struct peer;
struct req;

/* A handler: fills in r's reply, or suspends the connection. */
typedef enum hres (*api_handler_fn)(struct api *, struct req *);

/*
 * The department dimension of a route (perm.h): where the route's role
 * must be held.
 */
enum scope {
	SCOPE_NONE,	/* nowhere in particular: open, the caller's own */
	SCOPE_GLOBAL,	/* the whole system: admins */
	SCOPE_OBJECT,	/* the department of the object the path names */
	SCOPE_LIST,	/* a list of the departments where the role is held */
	SCOPE_BODY,	/* the department of what the body names or makes */
	SCOPE_KPI,	/* every KPI figure for managers, else their own */
	SCOPE_AGENT,	/* the agent's own leases */
};

/* "none", "global", "object", "list", "body", "kpi", "agent". */
const char	*scope_name(enum scope);

struct route {
	const char	*method;
	const char	*pattern;	/* "{x}" matches one segment */
	enum role	 role;
	enum scope	 scope;
	const char	*object;	/* SCOPE_OBJECT: its kind (perm.h) */
	enum body_kind	 body;
	api_handler_fn	 handler;
};

struct req {
	struct MHD_Connection	*conn;		/* NULL without a socket */
	struct web_src		 src;		/* headers, cookies, query */
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
	int			 audit_count;	/* count it, anonymous */
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
	int			 watching;	/* parked as a watch */
	uint64_t		 watch_change;	/* the change it has seen */
};

/* Buckets of the dispatch latency histogram (api_metrics.c). */
#define API_NLAT	11

/* Counters for /metrics. */
struct metrics {
	uint64_t	triggered;
	uint64_t	finished[JOB_NSTATES];
	uint64_t	lease_expiries;
	uint64_t	timeouts;
	uint64_t	header_timeouts;	/* connections shut down */
	uint64_t	http[600];
	uint64_t	lat_bucket[API_NLAT + 1];
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
#define API_TCACHE_SIZE	1024
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
	const struct kpi_config	*kpi;	/* the department tree, or NULL */

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
	pthread_t		 notifier;	/* api_notify.c */
	int			 notifier_running;
	pthread_mutex_t		 kmu;
	pthread_cond_t		 kcv;

	pthread_rwlock_t	 tclock;
	struct tcache_ent	*tcache;
	uint64_t		 tcgen;

	pthread_mutex_t		 vmu;	/* watches and change (api_watch.c) */
	struct req		*watch_head, *watch_tail;
	uint64_t		 change;

	pthread_mutex_t		 pmu;	/* peers (api_conns.c) */
	struct peer		*peers;
	pthread_mutex_t		 amu;	/* anonymous refusals (api_audit.c) */
	struct anon		*anon;
	size_t			 nanon;
	pthread_mutex_t		 lmu;	/* the log's rate (api_conns.c) */
	int64_t			 log_window;
	unsigned		 log_lines, log_dropped;

	struct metrics		 m;	/* updated with __atomic */
};

#define INC(x)		__atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define ADD(x, v)	__atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)
#define GET(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

/* --- replies (api.c) ----------------------------------------------------- */

/* Set the reply: status and a JSON body (out is taken over). */
void		 api_reply_json(struct req *, int status, json_t *out);
/* Whether the caller reads Japanese (Accept-Language; msg.h). */
int		 api_japanese(struct req *);
/*
 * Set an error reply {"error": message}, in the caller's language when
 * msg.c has it.
 */
void		 api_reply_error(struct req *, int status, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/*
 * The reply of a delete of r->args[0]: {"deleted": name} when gone, else
 * 404 "no WHAT 'name'".  0, or -1 after the 404.
 */
int		 api_reply_deleted(struct req *, int gone, const char *what);
/* The HTTP status of a jobs_* failure. */
int		 api_jobs_status(int rc);
/* Map a jobs_* result to an HTTP error reply. */
void		 api_reply_jobs_error(struct req *, int rc, const char *err);
/* Add a header to the reply (both strings copied; a few per reply). */
void		 api_add_header(struct req *, const char *name,
		    const char *value);
/*
 * The Content-Security-Policy of every reply that does not set its own:
 * nothing loads, nothing runs, no one frames it.
 */
#define API_CSP_INERT \
	"default-src 'none'; frame-ancestors 'none'; sandbox"

/* --- reading a request (api.c) ------------------------------------------- */

/* A value of the request (MHD_HEADER_KIND, ...; borrowed), or NULL. */
const char	*api_value(struct req *, int kind, const char *key);
/* A query argument of the URL (borrowed from the request), or NULL. */
const char	*api_query_arg(struct req *, const char *key);
/*
 * A string member of the JSON body: 0 and *out (borrowed; NULL when absent
 * and optional), or -1 with a 400 reply naming the member.
 */
int		 api_in_str(struct req *, const char *key, int required,
		    size_t maxlen, const char **out);
/* An integer member in [lo, hi], dflt when absent: 0, or -1 with a 400. */
int		 api_in_int(struct req *, const char *key, json_int_t lo,
		    json_int_t hi, json_int_t dflt, json_int_t *out);
/* A list of label strings (borrowed, NULL when absent), or -1 with a 400. */
int		 api_in_labels(struct req *, const char *key, json_t **out);

/* --- read routes (api.c) ------------------------------------------------- */

/* What a read route's query gets: the filter of the URL and the capture. */
struct api_readq {
	struct api		*a;
	struct req		*r;
	struct query_filter	 f;
	int64_t			 id;	/* the route's {id}, when read by id */
	const char		*name;	/* the route's capture as given */
};

/* A read route's query, in a read transaction; NULL answers 404. */
typedef json_t *(*api_read_fn)(struct conn *, struct api_readq *);

/*
 * Answer a GET with fn's result (200) or 404 "no WHAT 'capture'".  The
 * capture, when the route has one, is an id unless by_name.
 */
enum hres	 api_read(struct api *, struct req *, api_read_fn fn,
		    int by_name, const char *what);
/*
 * Answer a list's GET asked with format=csv or format=xlsx: fn's pages
 * (each {"<key>": [...], "next_before"}) one after the other, up to
 * EXPORT_MAX rows, as a file of export.h's columns of "what" (runs,
 * jobs, audit) to download; lang=en for English headers.  H_DONE.
 */
enum hres	 api_export(struct api *, struct req *, api_read_fn fn,
		    const char *what);
/* Whether the request asks for a file (format=csv or xlsx). */
int		 api_wants_file(struct req *);

/* --- departments (api_perm.c) ------------------------------------------- */

/*
 * Whether the caller holds need in department dept (a code): 0, or -1
 * with a 403 naming the department and the roles.  what and key name the
 * object in the message ("schedule 'nightly'").
 */
int		 api_perm_need(struct api *, struct req *, const char *dept,
		    enum role need, const char *what, const char *key);
/*
 * The departments where the caller holds need, as JSON text for SQL's
 * json_each (a new string: free it), or NULL when everywhere.
 */
char		*api_perm_depts(struct api *, struct req *, enum role need);
/*
 * The check of a SCOPE_OBJECT route, before its handler: the object the
 * path names (r->args[0]) must be one the caller holds the route's role
 * on.  0 to go on (also when there is no such object: the handler says
 * 404), or 1 with the 403 made and audited.
 */
int		 api_perm_object(struct api *, struct req *);

/* --- one request, with or without a socket (api.c, api_call.c) ------------ */

/*
 * A request's headers are in (r->conn, r->src set): check the limits and
 * the path, find the route, authenticate.  0 to go on, or 1 when the
 * reply is made.
 */
int		 api_begin(struct api *, struct req *r, const char *path,
		    const char *method);
/* Some of the body (kept up to the route's cap; past it, counted). */
void		 api_body(struct req *r, const char *data, size_t len);
/*
 * The whole request is in: parse the body, run the handler.  H_DONE with
 * the reply made, or H_SUSPEND (a long poll parked; never without a
 * socket).
 */
enum hres	 api_run(struct api *, struct req *r);
void		 api_req_free(struct req *r);
/*
 * Decode the %XX escapes of s in place, as libmicrohttpd does, except
 * that %00 becomes the invalid C0 80 (api_begin refuses it); the length.
 */
size_t		 api_unescape(char *s);

#endif
