/*
 * spool.h - the agent's on-disk buffer of work the scheduler has not yet
 * acknowledged.
 *
 * A job that finishes while the scheduler cannot be reached must not lose
 * its result, and neither must an agent that is restarted before it could
 * deliver.  So a finished run is written here first, as one JSON record
 * (the result, the events not yet delivered, the lease it ran under, the
 * artifacts to upload), and removed only once the scheduler has answered
 * that it has it.  A fresh record is a line appended to a journal (a
 * line a crash cuts short is skipped when the journal is read back); one
 * that must wait is written to its own file atomically (temporary file,
 * fsync, rename), so a crash leaves the old record or the new one, never
 * half of one.  See spool_put() and spool_keep() for when each reaches
 * the disk.
 *
 * Layout under the spool directory:
 *   lock              held (flock) by the one agent using the spool
 *   journal.0, .1     fresh records, appended (see spool.c)
 *   jobs/KEY/         a job's own directory: artifacts/ lives here
 *   work/KEY/         the working directory of a running job (see
 *                     spool_work_open)
 *   outbox/KEY.json   a record waiting for delivery
 *   rejected/KEY.json a record the scheduler refused for good (kept for
 *                     people to inspect, never retried)
 *
 * KEY names one lease of one job ("job-42.a3"); spool_key() builds it from
 * outside text, keeping only characters that are safe in a file name.
 *
 * Delivery is the caller's: it tries a fresh record once, keeps it
 * (spool_keep) when that fails, lists the outbox, tries each record, and
 * calls spool_done() on acknowledgement or spool_reject() on a definitive
 * refusal.  Records left in the journal by a crash are in the outbox when
 * the spool is opened again.  Thread-safe.  spool_backoff_ms() says how
 * long to wait between tries.
 */
#ifndef KOBITO_SPOOL_H
#define KOBITO_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct spool;

/*
 * Open (creating as needed) the spool at dir and lock it.  Returns NULL
 * with a message in err when the directory cannot be made or another
 * process holds the lock.  Free with spool_close(), which unlocks.
 */
struct spool	*spool_open(const char *dir, char *err, size_t errlen);
void		 spool_close(struct spool *);
/* The spool's directory; borrowed. */
const char	*spool_dir(const struct spool *);

/*
 * A key for job job_id under lease attempt: "job-ID.aATTEMPT", with every
 * character outside [A-Za-z0-9_-] replaced by '_'.  The caller frees it.
 */
char		*spool_key(const char *job_id, long attempt);

/*
 * The working directory of the job KEY (its artifacts go in artifacts/
 * under it).  Not created here: the engine creates the artifacts directory
 * when the first artifact is made, so most jobs never touch the disk
 * there.  Returns a new string the caller frees.
 */
char		*spool_job_dir(struct spool *, const char *key);

/*
 * Create the working directory of the job KEY, work/KEY, empty (one left
 * by a crash is emptied first), and return its path (a new string), or
 * NULL with err.  spool_work_close() removes it when the run is over,
 * unless keep is set (then it stays for people to inspect, and is
 * emptied only if the same key runs again).
 */
char		*spool_work_open(struct spool *, const char *key, char *err,
		    size_t errlen);
void		 spool_work_close(struct spool *, const char *key, int keep);

/*
 * Put record (not consumed) in the spool under key: one line appended to
 * the journal, replacing any previous record of that key.  Returns 0, or
 * -1 with err.  The record survives a crash of the agent at once, a crash
 * of the machine only once spool_keep() has moved it to the outbox: the
 * agent keeps a record when its first delivery fails, since until then the
 * scheduler's lease still guards the job (a record lost with the machine
 * means the lease expires and the job runs again, as if the run had not
 * finished).
 */
int		 spool_put(struct spool *, const char *key, const json_t *record,
		    char *err, size_t errlen);
/*
 * Make the record of key durable as outbox/KEY.json (written atomically,
 * fsync'd) and drop it from the journal.  record is the record itself
 * (the journal is never read back while the agent runs).  A key already
 * in the outbox is left as it is.  0, or -1 with err.
 */
int		 spool_keep(struct spool *, const char *key, const json_t *record,
		    char *err, size_t errlen);
/*
 * Read outbox/KEY.json.  Returns a new reference, or NULL with err (a
 * record that does not parse is moved to rejected/ so it is not retried
 * forever, and err says so).
 */
json_t		*spool_get(struct spool *, const char *key, char *err,
		    size_t errlen);
/*
 * The keys in the outbox (not the journal), oldest first (by modification
 * time, then name).
 * *keys is a new array of new strings; free it with spool_keys_free().
 * Returns the count, or -1 with err.
 */
long		 spool_list(struct spool *, char ***keys, char *err,
		    size_t errlen);
void		 spool_keys_free(char **keys, long n);
/* The number of records in the journal and the outbox. */
long		 spool_pending(struct spool *);

/* The record was acknowledged: remove it and the job's directory. */
int		 spool_done(struct spool *, const char *key);
/*
 * The record was refused for good (stale lease, unknown job): write it
 * (record, or when NULL the outbox's copy) to rejected/KEY.json with the
 * reason added, drop it from the journal or the outbox, and remove the
 * job's directory.
 */
int		 spool_reject(struct spool *, const char *key,
		    const json_t *record, const char *reason);
/* Remove a job's directory without touching any record (a run dropped
 * before it produced one). */
void		 spool_forget(struct spool *, const char *key);

/*
 * The wait before try number tries+1 (tries >= 1 failed so far):
 * base_ms * 2^(tries-1), capped at max_ms, then spread by +-20% using
 * the random value rnd in [0, 1) so that many agents coming back at once
 * do not retry in step.  Pure: the caller supplies rnd.
 */
int64_t		 spool_backoff_ms(int tries, int64_t base_ms, int64_t max_ms,
		    double rnd);

#endif
