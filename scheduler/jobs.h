/*
 * jobs.h - the job state machine: queueing, leases, results, retries.
 *
 * A job is a request to run one version of a script with params.  Its
 * states and the only transitions allowed between them:
 *
 *   queued   -> leased, cancelled
 *   leased   -> running, succeeded, failed, retrying, queued, cancelled,
 *               timed_out
 *   running  -> succeeded, failed, retrying, queued, cancelled, timed_out
 *   retrying -> leased, cancelled
 *
 * succeeded, failed, cancelled and timed_out are final.  Every transition
 * is written to job_transitions with its time and reason, in the same
 * transaction as the change; an attempt to make any other transition is a
 * program error and aborts.
 *
 * Each lease is one attempt and one run.  It carries a random token; every
 * call about the job must present the live token, and a token that is not
 * the job's live lease is "stale" (JOBS_STALE, HTTP 409), so a late agent
 * never changes a job that was dispatched again.
 *
 * Every function here works inside a write transaction on the given
 * connection (store_write) and takes "now" (milliseconds since the epoch)
 * from its caller, so that tests control time.  They return JOBS_OK or a
 * negative JOBS_* code with a message in err (errlen bytes).
 */
#ifndef KOBITO_JOBS_H
#define KOBITO_JOBS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "store.h"

enum job_state {
	JOB_QUEUED,
	JOB_LEASED,
	JOB_RUNNING,
	JOB_SUCCEEDED,
	JOB_FAILED,
	JOB_RETRYING,
	JOB_CANCELLED,
	JOB_TIMED_OUT,
	JOB_NSTATES
};

enum jobs_rc {
	JOBS_OK = 0,
	JOBS_NONE = 1,		/* jobs_lease: nothing to lease */
	JOBS_ERROR = -1,	/* database failure */
	JOBS_NOT_FOUND = -2,
	JOBS_STALE = -3,	/* the lease token is not the live one */
	JOBS_CONFLICT = -4,	/* not allowed in the job's state */
	JOBS_INVALID = -5,	/* malformed input */
};

#define JOBS_TOKEN_LEN	32	/* hex characters of a lease token */

const char	*job_state_name(enum job_state);
/* 0 and the state, or -1 for an unknown name. */
int		 job_state_parse(const char *name, enum job_state *);
int		 job_state_final(enum job_state);

/* Defaults for what a trigger does not say (from --config, jobs:). */
struct job_defaults {
	int		 max_attempts;		/* 3 */
	int64_t		 backoff_ms;		/* 10 s */
	int64_t		 backoff_max_ms;	/* 10 min */
	int64_t		 timeout_ms;		/* 1 h */
};

/* What to queue.  Everything is borrowed; jobs_create copies it. */
struct job_spec {
	const char	*script;
	const char	*digest;
	json_t		*params;	/* object, already checked */
	json_t		*requires;	/* array of labels, or NULL */
	int		 priority;
	int		 max_attempts;
	int64_t		 backoff_ms;
	int64_t		 backoff_max_ms;
	int64_t		 timeout_ms;
	const char	*idempotency_key;	/* or NULL */
	const char	*triggered_by;	/* "user:alice", "schedule:x", "job:7" */
	const char	*schedule;	/* or NULL */
	const char	*department;	/* or NULL */
	int64_t		 parent_job_id;	/* or 0 */
};

/*
 * Queue a job.  With an idempotency key already used for the script, set
 * *id to the existing job and *created to 0 when js asks for the same
 * (params, priority, attempts, backoff, timeout, parent), else return
 * JOBS_CONFLICT naming the job; a new job sets *created = 1.
 */
int	jobs_create(struct conn *, const struct job_spec *, int64_t now,
	    int64_t *id, int *created, char *err, size_t errlen);

/* A job handed to an agent.  Strings and params are owned: lease_clear(). */
struct lease {
	int64_t		 job_id;
	int64_t		 run_id;
	int		 attempt;
	char		 token[JOBS_TOKEN_LEN + 1];
	int64_t		 timeout_ms;
	int64_t		 waited_ms;	/* from due time to this lease */
	char		*script;
	char		*digest;
	json_t		*params;
};

/*
 * Lease the best job the agent can take: due (queued, or retrying whose
 * backoff has passed), every label of its requires among labels (a JSON
 * array, borrowed), highest priority first, then oldest.  Creates the run.
 * Returns JOBS_OK with *out filled, or JOBS_NONE.
 */
int	jobs_lease(struct conn *, int64_t agent_id, json_t *labels,
	    int64_t now, int64_t ttl_ms, struct lease *out, char *err,
	    size_t errlen);
void	lease_clear(struct lease *);

/* JOBS_OK when token is the live lease of job_id, else why not. */
int	jobs_check_lease(struct conn *, int64_t job_id, const char *token,
	    char *err, size_t errlen);

/* Renew the lease; the first renewal moves leased to running. */
int	jobs_heartbeat(struct conn *, int64_t job_id, const char *token,
	    int64_t now, int64_t ttl_ms, int *cancel, char *err, size_t errlen);

/*
 * Store engine events (a JSON array, borrowed) for the live run: events
 * with a "seq" not above the last one stored are skipped.  Renews the
 * lease like a heartbeat (ttl_ms 0: only moves leased to running, for
 * events that come with the result).  *stored counts what was kept.
 */
int	jobs_events(struct conn *, int64_t job_id, const char *token,
	    json_t *events, int64_t now, int64_t ttl_ms, int *stored,
	    int *cancel, char *err, size_t errlen);

/*
 * Store an artifact of the live run (replacing one of the same name).
 * JOBS_CONFLICT when the run already has max_count other artifacts.
 */
int	jobs_artifact(struct conn *, int64_t job_id, const char *token,
	    const char *name, const char *content_type, const void *data,
	    size_t len, int max_count, int64_t now, char *err, size_t errlen);

/*
 * Record the run's result (the engine's run summary, borrowed) and its
 * one KPI ledger row, and move the job on: succeeded or partial ->
 * succeeded; failed -> retrying (after backoff) or failed; a job whose
 * cancel was requested -> cancelled.  The same result sent again with the
 * same token sets *duplicate and changes nothing.  The ledger row of a
 * retried job's attempt credits the items of all its attempts, each once,
 * from the keys of the summaries' items.done.
 */
int	jobs_result(struct conn *, int64_t job_id, const char *token,
	    json_t *summary, int64_t now, enum job_state *state,
	    int *duplicate, char *err, size_t errlen);

/* The agent gives the job back: queued again, the attempt not counted. */
int	jobs_release(struct conn *, int64_t job_id, const char *token,
	    const char *reason, int64_t now, enum job_state *state, char *err,
	    size_t errlen);

/*
 * Cancel: queued or retrying jobs at once; leased or running ones are
 * flagged (the agent hears it on its next heartbeat).  JOBS_CONFLICT when
 * the job is final.
 */
int	jobs_cancel(struct conn *, int64_t job_id, const char *reason,
	    int64_t now, enum job_state *state, char *err, size_t errlen);

/*
 * Expire leases whose time has passed (the job goes back to the queue,
 * or fails when its attempts are used up, or is cancelled when that was
 * asked) and time out jobs past their timeout.  Counts go to the
 * pointers (may be NULL).
 */
int	jobs_expire(struct conn *, int64_t now, int *expired, int *timed_out,
	    char *err, size_t errlen);

/*
 * After a restart: give every live lease at least ttl_ms from now, since
 * agents could not heartbeat while the scheduler was down.
 */
int	jobs_extend_leases(struct conn *, int64_t now, int64_t ttl_ms);

/*
 * How long final jobs are kept, by the department they belong to: the
 * department's own time when keep[] names it, else default_ms; 0 keeps
 * them for ever.  The strings belong to whoever filled it in.
 */
struct jobs_keep {
	const char	*department;
	int64_t		 ms;
};
struct jobs_retention {
	int64_t		 default_ms;
	const struct jobs_keep *keep;
	size_t		 n;
};
/* The shortest time anything is kept for (0 when nothing expires). */
int64_t	jobs_retention_min(const struct jobs_retention *);

/*
 * Retention: delete the final jobs that ended longer ago than their
 * department keeps them, with their transitions, runs, events and
 * artifacts - the oldest first, at most limit jobs per call, so that the
 * writer is never held long.  The KPI ledger (and the audit log) are
 * kept.  *deleted counts the jobs removed.
 */
int	jobs_purge(struct conn *, const struct jobs_retention *, int64_t now,
	    int limit, int *deleted);

/* The earliest time after now at which a retrying job becomes due, or 0. */
int64_t	jobs_next_due(struct conn *, int64_t now);
/* Number of jobs due now (queued, or retrying whose time has come). */
int64_t	jobs_ready_count(struct conn *, int64_t now);

/*
 * Backoff before the next try after "failures" failed attempts (>= 1):
 * base * 2^(failures-1), at most max.
 */
int64_t	jobs_backoff(int64_t base_ms, int64_t max_ms, int failures);

/* Whether every label in requires (array) is in labels (array). */
int	jobs_labels_match(json_t *requires, json_t *labels);

#endif
