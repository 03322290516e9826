/*
 * query.h - the read side of the API: jobs, runs, logs, agents, tokens
 * and the audit log as JSON, built on a reader connection inside one read
 * transaction (store_read), and the time format every answer uses.
 *
 * Times are stored as milliseconds since the epoch and shown as ISO 8601
 * local time with milliseconds and offset in the scheduler's zone
 * ("2026-11-25T13:40:01.123+09:00"), computed with the cron module's zone
 * code so that no process-wide TZ is touched.
 *
 * Every function returns a new reference (or NULL for "no such object").
 */
#ifndef KOBITO_QUERY_H
#define KOBITO_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "store.h"

struct cron_zone;

struct tfmt {
	struct cron_zone	*zone;	/* owned */
};

/* Load the zone (NULL: Asia/Tokyo); 0, or -1 with a message. */
int	 tfmt_init(struct tfmt *, const char *tz, char *err, size_t errlen);
void	 tfmt_free(struct tfmt *);
/* ms as ISO text into buf (>= 40 bytes); returns buf. */
char	*tfmt_text(const struct tfmt *, int64_t ms, char *buf, size_t len);
/* ms as a JSON string. */
json_t	*tfmt_json(const struct tfmt *, int64_t ms);
/* A time column: JSON null when NULL, else the ISO string. */
json_t	*tfmt_col(const struct tfmt *, sqlite3_stmt *, int col);
/*
 * A time given in a query into ms: "YYYY-MM-DD" (the day's start in the
 * zone), "YYYY-MM-DDTHH:MM[:SS[.mmm]]" (local) or the same with an offset
 * ("+09:00", "Z").  0, or -1 when text is not one.
 */
int	 tfmt_parse(const struct tfmt *, const char *text, int64_t *ms);
/* The zone's name ("Asia/Tokyo"). */
const char *tfmt_zone(const struct tfmt *);
/*
 * The zone as people read it next to a time: "JST" for Asia/Tokyo, else
 * "UTC" or "UTC+05:30" by its offset now; into buf, returned.
 */
char	*tfmt_label(const struct tfmt *, char *buf, size_t len);

/* Filters of list queries; strings borrowed, NULL or 0 for none. */
struct query_filter {
	const char	*state;		/* comma-separated states */
	const char	*script;
	const char	*status;
	const char	*actor;
	int64_t		 job;
	int64_t		 before;	/* ids below this */
	int64_t		 after;		/* ids above this (logs) */
	int		 limit;		/* 1..1000 */
	/*
	 * The departments the caller sees: JSON text of an array of codes,
	 * or NULL for every department; with them, the jobs the caller
	 * (named me) triggered.
	 */
	const char	*depts;
	const char	*me;
	int		 mine;		/* only what "me" triggered */
	int64_t		 since, until;	/* ms; 0 for none: since <= t < until */
	const char	*agent;		/* an agent's name */
	const char	*department;	/* JSON text: codes of a subtree */
	const char	*text;		/* free text in errors (audit: anywhere) */
};

/* {"jobs": [...], "next_before": id|null} */
json_t	*query_jobs(struct conn *, const struct tfmt *,
	    const struct query_filter *);
/* One job with transitions and runs. */
json_t	*query_job(struct conn *, const struct tfmt *, int64_t id);
/* {"runs": [...], "next_before"} */
json_t	*query_runs(struct conn *, const struct tfmt *,
	    const struct query_filter *);
/* One run with summary, steps, item events, first logs, artifacts. */
json_t	*query_run(struct conn *, const struct tfmt *, int64_t id);
/* {"logs": [...], "next_after"} for run id; NULL when no such run. */
json_t	*query_logs(struct conn *, const struct tfmt *, int64_t run_id,
	    const struct query_filter *);
/*
 * What is new in run id after event seq f->after: {"events": [every
 * event, oldest first, up to f->limit (default 1000)], "next_after",
 * "run": RUN, "job": {"id", "state", "cancel_requested"}}; NULL when no
 * such run.
 */
json_t	*query_run_events(struct conn *, const struct tfmt *, int64_t id,
	    const struct query_filter *);
/* {"agents": [...]}; online when seen within online_ms before now. */
json_t	*query_agents(struct conn *, const struct tfmt *, int64_t now,
	    int64_t online_ms);
json_t	*query_tokens(struct conn *, const struct tfmt *);
json_t	*query_audit(struct conn *, const struct tfmt *,
	    const struct query_filter *);
/*
 * {state: count} for the live states (queued, leased, running, retrying),
 * and with finals for every state (slower: it counts every job kept).
 */
json_t	*query_job_counts(struct conn *, int finals);

#endif
