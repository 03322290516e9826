/*
 * schedules.h - schedules and the cron tick.  (Not "sched.h": that name
 * belongs to the C library, which pthread.h includes.)
 *
 * A schedule queues a job for a script at the fire times of a cron
 * expression, in its own IANA time zone, optionally only on the working
 * days of a business calendar (cron.h and calendar.h do the arithmetic),
 * with params for the script.  Each schedule keeps its next fire time in
 * the database; the scheduler's ticker calls sched_tick() about once a
 * second, which fires every schedule whose time has come and computes its
 * next time from "now".
 *
 * Downtime and clock jumps.  A fire time found more than the grace period
 * (SCHED_GRACE_MS) in the past was missed (the scheduler was down, or the
 * clock jumped forward): the misfire policy decides - "skip" drops it,
 * "run_once" queues one job for all the missed times.  Since the next
 * time is always computed after "now", a fire time is never run twice,
 * and a clock that jumps backwards only delays the next fire.
 *
 * Overlap.  "allow" queues regardless; "forbid" skips a fire while the
 * schedule's previous job is not final; "replace" cancels that job and
 * queues the new one.
 */
#ifndef KOBITO_SCHED_H
#define KOBITO_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "jobs.h"
#include "query.h"
#include "scripts.h"
#include "store.h"

#define SCHED_GRACE_MS	60000

enum misfire {
	MISFIRE_SKIP,
	MISFIRE_RUN_ONCE,
};

enum overlap {
	OVERLAP_ALLOW,
	OVERLAP_FORBID,
	OVERLAP_REPLACE,
};

struct sched;

/* A new context (a cache of loaded zones); free with sched_free(). */
struct sched	*sched_new(void);
void		 sched_free(struct sched *);

/*
 * Check a schedule definition (from the API or the config file, borrowed):
 * name, script (must exist), cron, tz, calendar, closures, misfire,
 * overlap, params (checked against the script), priority, enabled,
 * max_attempts, timeout_ms, digest (a version of the script the schedule
 * is pinned to: its params are checked against it and its fires run it;
 * without it they run the script's current version).  Returns a new normalised object, or NULL with
 * every problem appended to errors as "field: message".
 */
json_t		*sched_check(struct sched *, struct conn *, struct scripts *,
		    json_t *def, json_t *errors);
/*
 * Create or replace the schedule def (normalised by sched_check), with its
 * next fire time after now; a schedule replaced with the same timing
 * (cron, tz, calendar, closures; enabled before and after) keeps its next
 * fire time, so that one missed while the scheduler was down is caught up
 * (misfire).  *created is 1 for a new name.  Inside a write transaction.
 */
int		 sched_put(struct sched *, struct conn *, json_t *def,
		    const char *origin, int64_t now, int *created, char *err,
		    size_t errlen);
/*
 * Pause (enabled 0) or resume (1) schedule name; a resumed one fires next
 * after now, the times it missed while paused dropped.  Inside a write.
 * 0, or -1 with a message ("no schedule 'x'").
 */
int		 sched_set_enabled(struct sched *, struct conn *,
		    const char *name, int enabled, int64_t now, char *err,
		    size_t errlen);
/* Delete by name: 0, or -1 when there is none. */
int		 sched_delete(struct conn *, const char *name);
/* {"schedules": [...]} with next and last fire times. */
json_t		*sched_list(struct conn *, const struct tfmt *);
/* One schedule by name, or NULL. */
json_t		*sched_get(struct conn *, const struct tfmt *,
		    const char *name);

/*
 * The first fire time after "after" (ms) of a cron expression in zone tz
 * on the working days of calendar (with extra closure days, an array of
 * "YYYY-MM-DD", or NULL).  0, or -1 with a message.
 */
int		 sched_next(struct sched *, const char *cron, const char *tz,
		    const char *calendar, json_t *closures, int64_t after,
		    int64_t *next, char *err, size_t errlen);

/*
 * ms (a fire time) as ISO 8601 local time in zone tz (loaded before by
 * sched_next), "2026-12-08T09:00:00+09:00", into buf; returns buf.
 */
char		*sched_format(struct sched *, const char *tz, int64_t ms,
		    char *buf, size_t len);

/* Whether a fire due at "due" should run at "now" under policy m. */
int		 sched_should_fire(int64_t due, int64_t now, enum misfire m);

/*
 * Fire every enabled schedule whose next time is at or before now (inside
 * a write transaction): queue jobs by the overlap policy, record the fire
 * and the next time.  *queued counts the jobs created.  A schedule whose
 * script or params no longer check is skipped with a message on stderr
 * (its next time still advances).
 */
int		 sched_tick(struct sched *, struct conn *, struct scripts *,
		    const struct job_defaults *, int64_t now, int *queued,
		    char *err, size_t errlen);

/* The earliest next fire time of any enabled schedule, or 0. */
int64_t		 sched_next_due(struct conn *);

#endif
