/*
 * queues.h - work queues: named queues owned by a department, holding
 * work items that bots take one at a time and people review.
 *
 * A work item carries a JSON payload, files (content-addressed, stored in
 * the database), a reference that is unique in its queue when the queue
 * says so, a priority and a deadline (its SLA).  Its states and the only
 * transitions allowed between them:
 *
 *   new          -> in_progress (taken by a bot: a lease)
 *   in_progress  -> done, failed (business exception), new (an
 *                   application exception or a lost lease with attempts
 *                   left, or handed back), abandoned (attempts used up),
 *                   needs_review (sent to people)
 *   needs_review -> reviewed (a person approved it), failed (rejected)
 *   reviewed     -> new (back to the bot, at once)
 *   failed       -> new (a person retries it)
 *   abandoned    -> new (a person retries it)
 *
 * done is final.  Every transition is written to queue_item_transitions
 * with its time, who did it ("agent:pc-01 job 12 run 40", "user:alice",
 * "scheduler") and why, in the same transaction as the change; a move the
 * table forbids is a program error and aborts.
 *
 * A duplicate reference in a queue whose references are unique is
 * refused (QUEUES_DUPLICATE, HTTP 409, naming the item that has it):
 * never merged, so that a payload is never changed behind the back of
 * whoever added it, and a client that retries after a lost answer sees
 * its own item.
 *
 * Leases are those of jobs (jobs.h): each take is one attempt with a
 * random token, every call about the item must present it, and a token
 * that is not the item's live lease is stale (QUEUES_STALE, 409), so a
 * late bot never changes an item taken again since.  An item taken by a
 * running job's run is held as long as that job holds that run (the
 * job's heartbeats renew it) and lost as soon as it does not (its lease
 * expired, it ended); one taken outside a job has a lease of the queue's
 * lease_ttl_ms, renewed by queues_heartbeat.
 *
 * Every function here works inside a write (or read) transaction on the
 * given connection and takes "now" (milliseconds since the epoch) from its
 * caller.  They return QUEUES_OK or a negative QUEUES_* code with a
 * message in err (errlen bytes).  SQL of queues lives in this module
 * alone (queues.c, queues_review.c).
 */
#ifndef KOBITO_QUEUES_H
#define KOBITO_QUEUES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "store.h"

enum qstate {
	QS_NEW,
	QS_IN_PROGRESS,
	QS_DONE,
	QS_FAILED,
	QS_NEEDS_REVIEW,
	QS_REVIEWED,
	QS_ABANDONED,
	QS_NSTATES
};

enum queues_rc {
	QUEUES_OK = 0,
	QUEUES_NONE = 1,	/* queues_take: nothing to take */
	QUEUES_ERROR = -1,	/* database failure */
	QUEUES_NOT_FOUND = -2,
	QUEUES_STALE = -3,	/* the lease token is not the live one */
	QUEUES_CONFLICT = -4,	/* not allowed in the item's state */
	QUEUES_INVALID = -5,	/* malformed input */
	QUEUES_DUPLICATE = -6,	/* the reference is taken (409) */
	QUEUES_LOCKED = -7,	/* someone else has it open for review */
	QUEUES_TOO_LARGE = -8,	/* a file or the files of an item (413) */
};

#define QUEUES_TOKEN_LEN	32	/* hex characters of a lease token */
#define QUEUES_NAME_MAX		64	/* [a-z0-9_-], starting with a letter */
#define QUEUES_REF_MAX		200	/* bytes of a reference */
#define QUEUES_FILES_MAX	16	/* files of one item */
#define QUEUES_TAKE_MAX		32	/* items one take may lease */
/* No deadline: sorts after every real one. */
#define QUEUES_NO_DEADLINE	INT64_MAX

/* Times in answers: a formatter (query.h's) as a callback. */
typedef json_t *(*queues_time_fn)(void *arg, int64_t ms);

const char	*qstate_name(enum qstate);
/* 0 and the state, or -1 for an unknown name. */
int		 qstate_parse(const char *name, enum qstate *);

/* A queue's settings (queues_put).  Strings borrowed. */
struct queue_def {
	const char	*name;
	const char	*title;		/* or NULL */
	const char	*department;	/* the owner: reviews, additions */
	int		 unique_refs;	/* references unique in the queue */
	int		 max_attempts;	/* application exceptions, leases */
	int64_t		 lease_ttl_ms;	/* an item's lease */
	int64_t		 retry_ms;	/* backoff base for application
					   exceptions (doubling, at most
					   an hour) */
	int64_t		 sla_ms;	/* default deadline after adding;
					   0: none */
	int64_t		 file_max;	/* bytes of one file */
	/* The queue trigger: start script when items wait, at most
	 * trigger_max at a time.  trigger_script NULL: none. */
	const char	*trigger_script;
	int		 trigger_max;
	json_t		*trigger_params;	/* object or NULL */
	const char	*origin;	/* "api", "config" */
};

/* Fill in the defaults: unique, 3 attempts, 5 min lease, 10 s retry. */
void	queue_def_defaults(struct queue_def *);

/*
 * Create or replace the queue def->name (its items stay).  *created says
 * which.  QUEUES_INVALID with a message naming the field.
 */
int	queues_put(struct conn *, const struct queue_def *, int64_t now,
	    int *created, char *err, size_t errlen);
/* Delete an empty queue; QUEUES_CONFLICT when it still holds items. */
int	queues_delete(struct conn *, const char *name, char *err,
	    size_t errlen);
/* The queue's id and department (a copy into dept), or QUEUES_NOT_FOUND. */
int	queues_find(struct conn *, const char *name, int64_t *id,
	    char *dept, size_t deptlen, char *err, size_t errlen);

/* A file of an item: name, and the stored content's digest. */
struct qfile {
	const char	*name;		/* [A-Za-z0-9._-], 1-128 */
	const char	*sha256;	/* 64 hex characters */
};

/*
 * Store a file's content once (content-addressed); *sha256 receives its
 * digest (65 bytes).  QUEUES_TOO_LARGE when len is above max.
 */
int	queues_file_put(struct conn *, const void *data, size_t len,
	    const char *content_type, size_t max, int64_t now, char *sha256,
	    char *err, size_t errlen);
/*
 * The content of an item's file: *data (caller frees), *len, *ctype
 * (caller frees).  QUEUES_NOT_FOUND.
 */
int	queues_file_get(struct conn *, int64_t item, const char *name,
	    char **data, size_t *len, char **ctype, char *err, size_t errlen);

/* An item to add.  Everything borrowed. */
struct qitem_spec {
	const char	*reference;	/* or NULL */
	int		 priority;	/* -1000..1000 */
	int64_t		 deadline;	/* ms, 0: the queue's SLA (or none) */
	json_t		*payload;	/* object; NULL: {} */
	const struct qfile *files;
	size_t		 nfiles;
	const char	*actor;		/* "user:alice", "agent:pc job 3 run 9" */
	int64_t		 job_id;	/* the job that added it, or 0 */
};

/*
 * Add an item to queue qid.  *id receives it.  QUEUES_DUPLICATE with
 * *id the item holding the reference.  Files must have been stored with
 * queues_file_put (QUEUES_INVALID otherwise).
 */
int	queues_add(struct conn *, int64_t qid, const struct qitem_spec *,
	    int64_t now, int64_t *id, char *err, size_t errlen);

/* Who takes an item. */
struct qtaker {
	const char	*actor;
	int64_t		 agent_id;	/* or 0 */
	int64_t		 job_id;	/* the job whose run takes it, or 0 */
	int64_t		 run_id;
};

/*
 * Lease up to max items of queue qid that are due (new, not before now):
 * highest priority first, then the earliest deadline, then the oldest.
 * Each is appended to out as the item (queues_item_json, times by tf)
 * with its "lease_token".  QUEUES_NONE when none was due.
 */
int	queues_take(struct conn *, int64_t qid, const struct qtaker *,
	    int max, int64_t now, json_t *out, queues_time_fn tf, void *targ,
	    char *err, size_t errlen);

/* Renew an item's lease (from now, the queue's TTL). */
int	queues_heartbeat(struct conn *, int64_t id, const char *token,
	    int64_t now, char *err, size_t errlen);

/*
 * The bot is done with the item: output (borrowed, may be NULL) is kept.
 * The same call again with the same token answers QUEUES_OK with
 * *duplicate set and changes nothing.
 */
int	queues_done(struct conn *, int64_t id, const char *token,
	    json_t *output, const char *actor, int64_t now, int *duplicate,
	    char *err, size_t errlen);

enum qexc {
	QEXC_BUSINESS,		/* the data is wrong: failed, no retry */
	QEXC_APPLICATION,	/* a system failed: retried */
};

/*
 * The bot could not do the item.  A business exception fails it; an
 * application exception puts it back (after the queue's backoff) while
 * attempts are left, else abandons it.  *to receives the new state.
 */
int	queues_fail(struct conn *, int64_t id, const char *token,
	    enum qexc kind, const char *reason, const char *actor,
	    int64_t now, enum qstate *to, char *err, size_t errlen);

/* The bot hands the item back untouched: new again, no attempt used. */
int	queues_release(struct conn *, int64_t id, const char *token,
	    const char *reason, const char *actor, int64_t now, char *err,
	    size_t errlen);

/*
 * Send the item to people: review (borrowed) is what they check - see
 * queues_review_check() - and run_id the run whose exception it is (its
 * ledger row gets the reviewers' minutes).
 */
int	queues_to_review(struct conn *, int64_t id, const char *token,
	    json_t *review, int64_t run_id, const char *actor, int64_t now,
	    char *err, size_t errlen);

/*
 * Expire leases whose time has passed (items taken outside a job), or
 * whose job no longer holds the run that took them: back to new while
 * attempts are left, else abandoned.  *expired counts them (may be NULL).
 */
int	queues_expire(struct conn *, int64_t now, int *expired, char *err,
	    size_t errlen);
/* After a restart: give every live item lease at least ttl_ms from now. */
int	queues_extend_leases(struct conn *, int64_t now, int64_t ttl_ms);

/* A person puts a failed or abandoned item back to new. */
int	queues_retry(struct conn *, int64_t id, const char *actor,
	    const char *reason, int64_t now, char *err, size_t errlen);

/* The state of item id, or QUEUES_NOT_FOUND. */
int	queues_item_state(struct conn *, int64_t id, enum qstate *,
	    char *err, size_t errlen);
/*
 * Move item id from "from" (its state now, read in this transaction) to
 * "to" and record who and why: for the review module.  A move the table
 * forbids aborts.
 */
int	queues_move(struct conn *, int64_t id, enum qstate from,
	    enum qstate to, const char *actor, const char *reason, int64_t now,
	    char *err, size_t errlen);

/* --- reading -------------------------------------------------------------- */

/*
 * One item as JSON: id, queue, reference, state, priority, deadline,
 * payload, output, files [{name, size, content_type, sha256}], attempt,
 * max_attempts, error, exception, review (the request), reviewed {by,
 * at, values, minutes}, created_at/by, updated_at; with full, also the
 * transitions oldest first.  NULL when there is no such item.
 */
json_t	*queues_item_json(struct conn *, int64_t id, int full,
	    queues_time_fn tf, void *targ);
/* The queue an item is in: its name and department (copies). */
int	queues_item_queue(struct conn *, int64_t id, char *name,
	    size_t namelen, char *dept, size_t deptlen);

/* Filters of queues_items(). */
struct qfilter {
	unsigned	 states;	/* bit per enum qstate; 0: all */
	int64_t		 before;	/* ids below */
	int		 limit;		/* 1..1000 */
	const char	*reference;	/* exact, or NULL */
};

/* {"items": [...], "next_before": id|null}, newest first. */
json_t	*queues_items(struct conn *, int64_t qid, const struct qfilter *,
	    queues_time_fn tf, void *targ);

/*
 * The queues of the departments of depts (a JSON array of department
 * codes as text; NULL: every one) with their settings and figures:
 * {"queues": [{name, title, department, ..., "counts": {state: n},
 * "oldest_new_ms", "oldest_review_ms", "sla_breached", "trigger": {...} |
 * null}]}.
 */
json_t	*queues_list(struct conn *, const char *depts, int64_t now,
	    queues_time_fn tf, void *targ);
/* One queue as in the list, or NULL. */
json_t	*queues_get(struct conn *, const char *name, int64_t now,
	    queues_time_fn tf, void *targ);

/*
 * Stream items of queue qid in id order for an export: fn is called for
 * each (a borrowed object) until it returns non-zero.
 */
int	queues_export(struct conn *, int64_t qid, unsigned states,
	    int (*fn)(void *arg, json_t *item), void *arg, queues_time_fn tf,
	    void *targ);

/*
 * Queue triggers due now: for each queue bound to a script (queue qid
 * alone, or every one for 0), how many jobs to start (items due, at most
 * the queue's limit less the jobs of that trigger not yet final).
 * Appends {queue, script, params, start} to out for each with start > 0.
 */
int	queues_trigger_due(struct conn *, int64_t qid, int64_t now,
	    json_t *out);

/* Remove stored files no item refers to, older than before. */
int	queues_purge_files(struct conn *, int64_t before, int *deleted);

/*
 * The schema the store's migration adds for queues (kept here, beside the
 * code that reads it).
 */
#define QUEUES_SCHEMA_SQL \
	"CREATE TABLE queues (id INTEGER PRIMARY KEY," \
	"  name TEXT NOT NULL UNIQUE, title TEXT, department TEXT NOT NULL," \
	"  unique_refs INTEGER NOT NULL DEFAULT 1," \
	"  max_attempts INTEGER NOT NULL DEFAULT 3," \
	"  lease_ttl_ms INTEGER NOT NULL DEFAULT 300000," \
	"  retry_ms INTEGER NOT NULL DEFAULT 10000," \
	"  sla_ms INTEGER NOT NULL DEFAULT 0," \
	"  file_max INTEGER NOT NULL DEFAULT 10485760," \
	"  trigger_script TEXT, trigger_max INTEGER NOT NULL DEFAULT 1," \
	"  trigger_params TEXT NOT NULL DEFAULT '{}'," \
	"  origin TEXT NOT NULL DEFAULT 'api'," \
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);" \
	"CREATE TABLE queue_items (id INTEGER PRIMARY KEY," \
	"  queue_id INTEGER NOT NULL, reference TEXT, ref_key TEXT," \
	"  priority INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL," \
	"  payload TEXT NOT NULL, output TEXT, error TEXT, exception TEXT," \
	"  attempt INTEGER NOT NULL DEFAULT 0," \
	"  attempts_used INTEGER NOT NULL DEFAULT 0," \
	"  max_attempts INTEGER NOT NULL," \
	"  not_before INTEGER NOT NULL, deadline INTEGER NOT NULL," \
	"  created_at INTEGER NOT NULL, created_by TEXT NOT NULL," \
	"  created_job INTEGER, updated_at INTEGER NOT NULL," \
	"  final_at INTEGER, entered_at INTEGER NOT NULL," \
	"  lease_token TEXT, lease_expires INTEGER, lease_agent_id INTEGER," \
	"  lease_job_id INTEGER, lease_run_id INTEGER, leased_at INTEGER," \
	"  end_token TEXT, end_op TEXT," \
	"  review TEXT, review_run_id INTEGER, review_values TEXT," \
	"  reviewed_by TEXT, reviewed_at INTEGER," \
	"  review_ms INTEGER NOT NULL DEFAULT 0," \
	"  lock_user TEXT, lock_until INTEGER, lock_opened_at INTEGER);" \
	"CREATE UNIQUE INDEX queue_items_ref ON queue_items(queue_id, ref_key)" \
	"  WHERE ref_key IS NOT NULL;" \
	"CREATE INDEX queue_items_ready ON queue_items(queue_id," \
	"  priority DESC, deadline, id) WHERE state = 'new';" \
	"CREATE INDEX queue_items_live ON queue_items(lease_expires)" \
	"  WHERE state = 'in_progress';" \
	"CREATE INDEX queue_items_state ON queue_items(queue_id, state, id);" \
	"CREATE INDEX queue_items_review ON queue_items(entered_at)" \
	"  WHERE state = 'needs_review';" \
	"CREATE INDEX queue_items_sla ON queue_items(deadline)" \
	"  WHERE state IN ('new', 'in_progress', 'needs_review', 'reviewed');" \
	"CREATE TABLE queue_item_transitions (id INTEGER PRIMARY KEY," \
	"  item_id INTEGER NOT NULL, from_state TEXT, to_state TEXT NOT NULL," \
	"  at INTEGER NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL);" \
	"CREATE INDEX queue_item_transitions_item" \
	"  ON queue_item_transitions(item_id, id);" \
	"CREATE TABLE queue_files (sha256 TEXT PRIMARY KEY," \
	"  size INTEGER NOT NULL, content_type TEXT NOT NULL," \
	"  data BLOB NOT NULL, created_at INTEGER NOT NULL);" \
	"CREATE TABLE queue_item_files (item_id INTEGER NOT NULL," \
	"  name TEXT NOT NULL, sha256 TEXT NOT NULL," \
	"  PRIMARY KEY (item_id, name)) WITHOUT ROWID;" \
	"CREATE INDEX queue_item_files_sha ON queue_item_files(sha256);" \
	"CREATE TABLE kpi_review_minutes (run_id INTEGER PRIMARY KEY," \
	"  minutes REAL NOT NULL);"

#endif
