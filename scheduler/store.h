/*
 * store.h - the scheduler's SQLite database: schema, connections, writes.
 *
 * One database file holds everything the scheduler knows (jobs, runs,
 * scripts, schedules, tokens, the audit log, the KPI ledger).  It is opened
 * in WAL mode with synchronous=FULL, so a committed transaction survives a
 * crash or power loss, and every write is one BEGIN IMMEDIATE transaction
 * on the single writer connection.  Readers use their own connections (WAL
 * lets them read while the writer writes).
 *
 * Group commit.  An fsync costs about the same whatever the transaction's
 * size, so when many requests write at once, one of them (the leader: the
 * first to find no commit under way) runs all the writes waiting in the
 * queue in one transaction, each inside its own SAVEPOINT (a write that
 * fails is rolled back alone), commits once, and only then wakes their
 * callers.  Nothing is acknowledged before its commit: durability per
 * request is kept, the fsync is shared.  A lone write runs on its
 * caller's thread with no hand-over at all.
 *
 * The schema is versioned with PRAGMA user_version; store_open() applies
 * the missing migrations in order, each in its own transaction.  A newer
 * database than this program knows is refused.
 *
 * A scheduler holds an exclusive lock (flock) on "DB.lock" for as long as
 * it runs, so a second scheduler on the same database refuses to start.
 * Tools that only add a token do not take it.
 *
 * Thread safety: store_write() and store_read() may be called from any
 * thread.  A struct conn is used by one thread at a time.
 */
#ifndef KOBITO_STORE_H
#define KOBITO_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

/* The schema version this program writes. */
#define STORE_SCHEMA_VERSION	12

/* store_open() flags */
#define STORE_LOCK	0x1	/* take the scheduler lock (DB.lock) */
#define STORE_WRITER	0x2	/* the daemon's store: checkpoint by size */

/* The daemon's writer checkpoints the WAL at this many (1 KiB) pages. */
#define STORE_CHECKPOINT_PAGES	4096

/* Busy timeout for every connection, in milliseconds. */
#define STORE_BUSY_MS	10000

/* A connection with its own cache of prepared statements. */
struct conn {
	sqlite3		*db;
	struct stmt_slot *slots;	/* open addressing by SQL pointer */
	size_t		 nslots;
	size_t		 used;
};

struct store;

/*
 * Open (creating if needed) the database at path, apply migrations, and
 * with STORE_LOCK take the scheduler lock.  Returns NULL with a message in
 * err: for a held lock "database 'PATH' is in use by another scheduler
 * (pid N)".  The caller frees the store with store_close().
 */
struct store	*store_open(const char *path, int flags, char *err,
		    size_t errlen);
/*
 * Take the scheduler lock of the database at path alone (for tools that
 * replace the database, which no scheduler may have open): the lock's file
 * descriptor, closed to release it; or -1 with the message store_open()
 * gives.
 */
int		 store_lock(const char *path, char *err, size_t errlen);
/*
 * Apply the migrations up to version only, to the database at path (for
 * the tests of a later migration: a database as an older scheduler left
 * it).  0, or -1 with a message.
 */
int		 store_migrate_to(const char *path, int version, char *err,
		    size_t errlen);
/* Close every connection and release the lock; no write may be running. */
void		 store_close(struct store *);
const char	*store_path(const struct store *);

/*
 * A write: called inside a transaction (and a savepoint of its own) on
 * the writer connection.  Return 0 to keep its changes, -1 to roll them
 * back (the transaction goes on with the other writes).
 */
typedef int (*store_write_fn)(struct conn *c, void *arg);
/* A read: called on a reader connection inside a read transaction. */
typedef int (*store_read_fn)(struct conn *c, void *arg);

/*
 * Run fn(arg) in a write transaction and commit it durably before
 * returning.  Returns fn's result, or -1 when the commit itself failed
 * (then nothing fn did was kept; the reason is in *err when err is not
 * NULL).  fn may run on another caller's thread (see group commit), so
 * it must use only its arguments and the connection.
 */
int		 store_write(struct store *, store_write_fn fn, void *arg,
		    char *err, size_t errlen);
/* Run fn(arg) on a reader connection; returns fn's result. */
int		 store_read(struct store *, store_read_fn fn, void *arg);

/*
 * Copy the WAL back into the database (PASSIVE: never blocks anyone), for
 * tools; the daemon's writer checkpoints by itself.  0 or -1.
 */
int		 store_checkpoint(struct store *);
/* Commits and writes so far (for /metrics and the benchmark). */
void		 store_stats(struct store *, uint64_t *commits, uint64_t *writes);

/*
 * The cached prepared statement for sql on c, reset and with its bindings
 * cleared.  sql must be a string literal (the cache is keyed by its
 * address).  Aborts when sql does not compile: that is a program error.
 */
sqlite3_stmt	*conn_stmt(struct conn *c, const char *sql);
/* Execute SQL text with no result rows; 0 or -1 (message on stderr). */
int		 conn_exec(struct conn *c, const char *sql);
/*
 * Step a statement that returns no rows (or whose rows are ignored).
 * Returns 0 on SQLITE_DONE/ROW, -1 otherwise with the error in err.
 */
int		 conn_step(struct conn *c, sqlite3_stmt *st, char *err,
		    size_t errlen);
/* The row id of the last insert on c. */
int64_t		 conn_last_id(struct conn *c);
/* Rows changed by the last statement on c. */
int		 conn_changes(struct conn *c);

/* Column helpers: text as a new string (NULL for NULL), or "" when NULL. */
char		*col_strdup(sqlite3_stmt *st, int i);
const char	*col_text(sqlite3_stmt *st, int i);
/* Bind text (copied by SQLite) or NULL when s is NULL. */
void		 bind_text(sqlite3_stmt *st, int i, const char *s);

/*
 * Open a bare connection (pragmas set, no migrations) and close it, for
 * the unit tests and tools.
 */
int		 conn_open(struct conn *c, const char *path, char *err,
		    size_t errlen);
void		 conn_close(struct conn *c);

/* The schema version of the database at c (PRAGMA user_version). */
int		 conn_schema_version(struct conn *c);

#endif
