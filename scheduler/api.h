/*
 * api.h - the scheduler's HTTP API (docs/api.md is its contract).
 *
 * libmicrohttpd serves it from a pool of threads, each running its own
 * event loop; jansson reads and writes the JSON.  Every route is one row
 * of a single table {method, path pattern, minimum role, body kind,
 * handler}, which also drives `kobito-scheduler routes --json` and so the
 * test that checks every route refuses callers without the right token.
 * The table and the dispatch are in api.c; the handlers live in a file
 * per resource (api_jobs.c, api_runs.c, ...; api_int.h says how).
 *
 * Long polls.  POST /api/agents/lease with wait_ms suspends the connection
 * (MHD_suspend_connection) when no job is due, and parks it on a list of
 * waiters.  Queueing a job resumes a waiter whose labels match at once,
 * so an idle agent hears of new work within a millisecond or so, and no
 * one polls.  A ticker thread resumes waiters whose time is up (answered
 * 204), expires leases, fires schedules, checkpoints the WAL, records
 * when agents and tokens were last seen, and purges old runs.
 */
#ifndef KOBITO_API_H
#define KOBITO_API_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "jobs.h"
#include "query.h"
#include "schedules.h"
#include "scripts.h"
#include "secrets.h"
#include "store.h"

struct api_config {
	size_t		 body_max;		/* 1 MiB */
	size_t		 artifact_max;		/* 10 MiB */
	size_t		 header_max;		/* 16 KiB */
	int		 artifacts_per_run;	/* 100 */
	int64_t		 lease_ttl_ms;		/* 30 s */
	int64_t		 wait_max_ms;		/* 60 s */
	int		 threads;		/* MHD worker threads */
	int		 max_connections;	/* 4096 (fewer with few files) */
	int		 connections_per_address;	/* 128 */
	int64_t		 header_timeout_ms;	/* 15 s for the headers */
	struct jobs_retention retention;	/* 90 days; borrowed */
	struct job_defaults jobs;
	int64_t		 watchdog_ms;	/* ping systemd this often; 0: not */
	/*
	 * HTTPS: the certificate (chain) and its private key, PEM text (not
	 * copied: they must outlive the server), or NULL to serve HTTP.
	 * With them every answer says Strict-Transport-Security.
	 */
	const char	*tls_cert;
	const char	*tls_key;
};

/* Fill in the defaults above. */
void		 api_config_defaults(struct api_config *);

struct api;

/*
 * A server over these parts (all borrowed; they must outlive it).  Nothing
 * listens until api_start().
 */
struct api	*api_new(struct store *, struct scripts *, struct sched *,
		    struct secrets *, const struct tfmt *,
		    const struct api_config *);
/*
 * Serve on the listening socket fd (bound and listening; the server owns
 * it from now on) and start the ticker.  0, or -1 with a message.
 */
int		 api_start(struct api *, int fd, char *err, size_t errlen);
/*
 * Serve the dashboard, its sessions and the KPI routes through w (see
 * web.h; borrowed, it must outlive the server).  Without it those routes
 * answer 404 and only bearer tokens authenticate.  Call before api_start.
 */
struct web;
void		 api_set_web(struct api *, struct web *w);
/* Answer every waiting long poll, stop serving and the ticker. */
void		 api_stop(struct api *);
void		 api_free(struct api *);

/* The route table as [{method, path, role}] (a new reference). */
json_t		*api_routes_json(void);

/*
 * One request without a socket, for tests and fuzzing: it goes through
 * the same route table, limits, authentication, handlers, database writes
 * and audit as one over HTTP (a long poll does not wait).  All borrowed.
 */
struct api_call {
	const char	*method;
	const char	*url;		/* path and query, escapes undecoded */
	const char	*remote;	/* the client; NULL: 127.0.0.1 */
	const char *const *headers;	/* name, value, name, value, ... */
	size_t		 nheaders;	/* pairs */
	const char	*body;
	size_t		 bodylen;
};

/* Its answer: the status, the body (JSON or raw bytes) and its type. */
struct api_answer {
	int		 status;
	char		*body;		/* owned; NUL-terminated for JSON */
	size_t		 len;
	char		*ctype;		/* owned; NULL without a body */
};

/*
 * Handle call on a (started or not) server into *ans; free it with
 * api_answer_clear().  0, or -1 when call has no method or its URL does
 * not start with "/".
 */
int		 api_handle(struct api *, const struct api_call *call,
		    struct api_answer *ans);
void		 api_answer_clear(struct api_answer *);

#endif
