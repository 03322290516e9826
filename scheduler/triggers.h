/*
 * triggers.h - starting scripts on events instead of the clock: queue
 * triggers (a script bound to a queue is started when items wait, at most
 * N at a time) and file triggers (a folder on an agent: a run when files
 * arrive there and stay unchanged for a few seconds).
 *
 * A queue trigger lives with its queue (queues.h: trigger_script,
 * trigger_max, trigger_params); its jobs are triggered_by "queue:NAME".
 * A file trigger is a row of file_triggers: the agent named in it
 * watches the folder (GET /api/agents/watches tells it which), and when
 * files there have settled it reports them; the scheduler starts the
 * script with the trigger's params, once per set of files (the job's
 * idempotency key is made of their names, sizes and times), and never
 * while a job of the same trigger is still live (the agent reports again
 * later).  Its jobs are triggered_by "files:NAME".
 *
 * The functions taking a struct conn run inside a write (or read)
 * transaction; they return 0 or -1 with a message in err.
 */
#ifndef KOBITO_TRIGGERS_H
#define KOBITO_TRIGGERS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "jobs.h"
#include "query.h"
#include "scripts.h"
#include "store.h"

/* What a trigger starts: everything borrowed. */
struct trigger_start {
	const char	*script;
	json_t		*params;	/* object or NULL, checked here */
	const char	*by;		/* "queue:invoices", "files:inbox" */
	const char	*idempotency_key;	/* or NULL */
	const struct job_defaults *jd;
};

/*
 * Queue the current version of ts->script with its params checked.  *id
 * receives the job (the existing one, with *created 0, for a used
 * idempotency key).  -1 with a message when the script is unknown or
 * the params do not fit it.
 */
int	triggers_start(struct conn *, struct scripts *,
	    const struct trigger_start *ts, int64_t now, int64_t *id,
	    int *created, char *err, size_t errlen);

/*
 * Start the jobs that queue triggers call for now (queues_trigger_due:
 * queue qid, or every one for 0).  *started counts them.  A trigger
 * whose script cannot start is reported on stderr and skipped.
 */
int	triggers_queue_tick(struct conn *, struct scripts *,
	    const struct job_defaults *, int64_t qid, int64_t now,
	    int *started);

/* A file trigger's definition (JSON as the API takes it), checked. */
struct file_trigger {
	const char	*name;		/* [a-z][a-z0-9_-]{0,63} */
	const char	*agent;		/* the agent that watches */
	const char	*folder;	/* absolute, on that agent */
	const char	*pattern;	/* glob on names; NULL: every file */
	int64_t		 settle_ms;	/* unchanged this long: 3000 */
	const char	*script;
	json_t		*params;	/* object or NULL */
	int		 enabled;
};

/*
 * Create or replace a file trigger (the script must exist and take the
 * params).  *created says which.  -1 with a message naming the field.
 */
int	triggers_file_put(struct conn *, struct scripts *,
	    const struct file_trigger *, int64_t now, int *created,
	    char *err, size_t errlen);
/* Delete one: 0, or -1 when there is none. */
int	triggers_file_delete(struct conn *, const char *name);
/* {"file_triggers": [{..., "script_owner": the script's owner:}]} */
json_t	*triggers_file_list(struct conn *, const struct tfmt *);
/* What agent should watch: {"watches": [{name, folder, pattern,
 * settle_ms}]} (enabled triggers only). */
json_t	*triggers_watches(struct conn *, const char *agent);

/*
 * The agent reports settled files (a list of {name, size, mtime_ms}) for
 * trigger name: start its script unless a job of it is live.  *id and
 * *created as for triggers_start; *busy set (and no job) when one is
 * live.  -1 with a message: no such trigger, not this agent's, disabled.
 */
int	triggers_file_fire(struct conn *, struct scripts *,
	    const struct job_defaults *, const char *name, const char *agent,
	    json_t *files, int64_t now, int64_t *id, int *created, int *busy,
	    char *err, size_t errlen);

#define TRIGGERS_SCHEMA_SQL \
	"CREATE TABLE file_triggers (name TEXT PRIMARY KEY," \
	"  agent TEXT NOT NULL, folder TEXT NOT NULL, pattern TEXT," \
	"  settle_ms INTEGER NOT NULL, script TEXT NOT NULL," \
	"  params TEXT NOT NULL DEFAULT '{}'," \
	"  enabled INTEGER NOT NULL DEFAULT 1, last_job_id INTEGER," \
	"  last_fired_at INTEGER, created_at INTEGER NOT NULL," \
	"  updated_at INTEGER NOT NULL);"

#endif
