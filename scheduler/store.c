/*
 * store.c - the scheduler's SQLite database: connections with cached
 * prepared statements, versioned migrations, the scheduler lock, and the
 * group-commit writer thread (see store.h for why).
 */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "kpi.h"
#include "perm.h"
#include "notify.h"
#include "queues.h"
#include "triggers.h"
#include "store.h"
#include "web.h"
#include "xmalloc.h"

/* --- prepared statement cache ------------------------------------------ */

struct stmt_slot {
	const char	*sql;
	sqlite3_stmt	*st;
};

static size_t
slot_hash(const char *sql, size_t n)
{
	uintptr_t h = (uintptr_t)sql;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull & UINTPTR_MAX;
	return (size_t)(h >> 7) & (n - 1);
}

static void
cache_grow(struct conn *c)
{
	struct stmt_slot *old = c->slots;
	size_t oldn = c->nslots, i, j;

	c->nslots = oldn ? oldn * 2 : 64;
	c->slots = xcalloc(c->nslots, sizeof *c->slots);
	for (i = 0; i < oldn; i++) {
		if (old[i].sql == NULL)
			continue;
		j = slot_hash(old[i].sql, c->nslots);
		while (c->slots[j].sql != NULL)
			j = (j + 1) & (c->nslots - 1);
		c->slots[j] = old[i];
	}
	free(old);
}

sqlite3_stmt *
conn_stmt(struct conn *c, const char *sql)
{
	size_t j;
	sqlite3_stmt *st;

	if (c->used * 2 >= c->nslots)
		cache_grow(c);
	j = slot_hash(sql, c->nslots);
	while (c->slots[j].sql != NULL) {
		if (c->slots[j].sql == sql) {
			st = c->slots[j].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
		j = (j + 1) & (c->nslots - 1);
	}
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "kobito-scheduler: cannot prepare \"%s\": %s\n",
		    sql, sqlite3_errmsg(c->db));
		abort();
	}
	c->slots[j].sql = sql;
	c->slots[j].st = st;
	c->used++;
	return st;
}

int
conn_exec(struct conn *c, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "kobito-scheduler: %s: %s\n", sql,
		    msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
conn_step(struct conn *c, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(c->db));
	sqlite3_reset(st);
	return -1;
}

int64_t
conn_last_id(struct conn *c)
{
	return sqlite3_last_insert_rowid(c->db);
}

int
conn_changes(struct conn *c)
{
	return sqlite3_changes(c->db);
}

char *
col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

int
conn_open(struct conn *c, const char *path, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database '%s': %s", path,
		    c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		c->db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(c->db, 1);
	/*
	 * Small pages: a commit writes every page it changed to the WAL, and
	 * the scheduler's rows are small, so 1 KiB pages cut the bytes each
	 * durable commit must write by three quarters.  (Ignored once the
	 * database exists.)  Then WAL: synchronous applies per connection,
	 * journal_mode per file.
	 */
	if (conn_exec(c, "PRAGMA page_size=1024") != 0 ||
	    conn_exec(c, "PRAGMA journal_mode=WAL") != 0 ||
	    conn_exec(c, "PRAGMA synchronous=FULL") != 0 ||
	    conn_exec(c, "PRAGMA temp_store=MEMORY") != 0) {
		snprintf(err, errlen, "cannot set up database '%s': %s", path,
		    sqlite3_errmsg(c->db));
		conn_close(c);
		return -1;
	}
	return 0;
}

void
conn_close(struct conn *c)
{
	size_t i;

	for (i = 0; i < c->nslots; i++)
		if (c->slots[i].st != NULL)
			sqlite3_finalize(c->slots[i].st);
	free(c->slots);
	c->slots = NULL;
	c->nslots = c->used = 0;
	if (c->db != NULL)
		sqlite3_close(c->db);
	c->db = NULL;
}

int
conn_schema_version(struct conn *c)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* --- migrations ---------------------------------------------------------- */

/*
 * Each migration takes the schema from version - 1 to version.  Append new
 * ones; never edit one that has shipped.  Times are milliseconds since the
 * epoch; JSON columns hold jansson-encoded text.
 */
struct migration {
	int		 version;
	const char	*sql;
	int		(*fn)(struct conn *);	/* then this, when set */
	const char	*after;			/* and this SQL */
};

static const struct migration migrations[] = {
	{ 1,
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE script_versions ("
	"  digest TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT,"
	"  title TEXT, description TEXT, owner TEXT,"
	"  requires TEXT NOT NULL, secrets TEXT NOT NULL,"
	"  describe TEXT NOT NULL,"
	"  manual_per_run REAL NOT NULL DEFAULT 0,"
	"  manual_per_item REAL NOT NULL DEFAULT 0,"
	"  vendor_per_run REAL NOT NULL DEFAULT 0,"
	"  vendor_per_item REAL NOT NULL DEFAULT 0,"
	"  source TEXT NOT NULL, origin TEXT NOT NULL, filename TEXT,"
	"  created_at INTEGER NOT NULL, created_by TEXT);"
	"CREATE INDEX script_versions_name ON script_versions(name, created_at);"
	"CREATE TABLE scripts (name TEXT PRIMARY KEY, digest TEXT NOT NULL,"
	"  origin TEXT NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY, script TEXT NOT NULL, digest TEXT NOT NULL,"
	"  params TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL, requires TEXT NOT NULL DEFAULT '[]',"
	"  attempt INTEGER NOT NULL DEFAULT 0,"
	"  attempts_used INTEGER NOT NULL DEFAULT 0,"
	"  max_attempts INTEGER NOT NULL, backoff_ms INTEGER NOT NULL,"
	"  backoff_max_ms INTEGER NOT NULL, timeout_ms INTEGER NOT NULL,"
	"  not_before INTEGER NOT NULL, idempotency_key TEXT,"
	"  triggered_by TEXT NOT NULL, schedule TEXT, parent_job_id INTEGER,"
	"  department TEXT, created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL, lease_token TEXT,"
	"  lease_agent_id INTEGER, lease_expires INTEGER, leased_at INTEGER,"
	"  deadline INTEGER, run_id INTEGER,"
	"  cancel_requested INTEGER NOT NULL DEFAULT 0, final_at INTEGER);"
	"CREATE UNIQUE INDEX jobs_idem ON jobs(script, idempotency_key)"
	"  WHERE idempotency_key IS NOT NULL;"
	"CREATE INDEX jobs_ready ON jobs(priority DESC, id)"
	"  WHERE state IN ('queued', 'retrying');"
	"CREATE INDEX jobs_live ON jobs(lease_expires)"
	"  WHERE state IN ('leased', 'running');"
	"CREATE INDEX jobs_state ON jobs(state, id);"
	"CREATE INDEX jobs_schedule ON jobs(schedule, id) WHERE schedule IS NOT NULL;"
	"CREATE INDEX jobs_final ON jobs(final_at) WHERE final_at IS NOT NULL;"
	"CREATE TABLE job_transitions (id INTEGER PRIMARY KEY,"
	"  job_id INTEGER NOT NULL, from_state TEXT, to_state TEXT NOT NULL,"
	"  at INTEGER NOT NULL, reason TEXT NOT NULL);"
	"CREATE INDEX job_transitions_job ON job_transitions(job_id, id);"
	"CREATE TABLE runs (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL, agent_id INTEGER, script TEXT NOT NULL,"
	"  digest TEXT NOT NULL, status TEXT NOT NULL, error TEXT,"
	"  started_at INTEGER NOT NULL, finished_at INTEGER,"
	"  duration_ms INTEGER, items_succeeded INTEGER NOT NULL DEFAULT 0,"
	"  items_failed INTEGER NOT NULL DEFAULT 0,"
	"  minutes_saved REAL NOT NULL DEFAULT 0,"
	"  vendor_minutes_saved REAL NOT NULL DEFAULT 0, summary TEXT,"
	"  lease_token TEXT NOT NULL, event_seq INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX runs_job ON runs(job_id, id);"
	"CREATE TABLE run_events (id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL,"
	"  event TEXT NOT NULL);"
	"CREATE INDEX run_events_run ON run_events(run_id, type, id);"
	"CREATE TABLE artifacts (id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL, name TEXT NOT NULL,"
	"  content_type TEXT NOT NULL, size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL, data BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL, UNIQUE (run_id, name));"
	/* One row per run: the row id is the run id, so a second row for a
	 * run is a primary key violation, at no index's cost. */
	"CREATE TABLE kpi_ledger (id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL, job_id INTEGER NOT NULL,"
	"  script TEXT NOT NULL, digest TEXT NOT NULL, version TEXT,"
	"  department TEXT, triggered_by TEXT NOT NULL, status TEXT NOT NULL,"
	"  items_succeeded INTEGER NOT NULL, items_failed INTEGER NOT NULL,"
	"  minutes_saved REAL NOT NULL, vendor_minutes_saved REAL NOT NULL,"
	"  fix_minutes REAL NOT NULL DEFAULT 0,"
	"  started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL);"
	"CREATE INDEX kpi_ledger_finished ON kpi_ledger(finished_at);"
	"CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  labels TEXT NOT NULL DEFAULT '[]', slots INTEGER NOT NULL DEFAULT 1,"
	"  version TEXT, registered_at INTEGER, last_seen INTEGER,"
	"  remote TEXT);"
	"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL, department TEXT, password_hash TEXT,"
	"  created_at INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE tokens (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL,"
	"  user_id INTEGER, agent_id INTEGER, created_at INTEGER NOT NULL,"
	"  created_by TEXT, last_used INTEGER, revoked_at INTEGER);"
	"CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL, token_id INTEGER, role TEXT,"
	"  method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL,"
	"  remote TEXT, detail TEXT);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TABLE secrets (name TEXT PRIMARY KEY, nonce BLOB NOT NULL,"
	"  box BLOB NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT);"
	"CREATE TABLE schedules (id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE, script TEXT NOT NULL, cron TEXT NOT NULL,"
	"  tz TEXT NOT NULL, calendar TEXT NOT NULL DEFAULT 'none',"
	"  closures TEXT NOT NULL DEFAULT '[]',"
	"  misfire TEXT NOT NULL DEFAULT 'skip',"
	"  overlap TEXT NOT NULL DEFAULT 'allow',"
	"  params TEXT NOT NULL DEFAULT '{}',"
	"  priority INTEGER NOT NULL DEFAULT 0,"
	"  enabled INTEGER NOT NULL DEFAULT 1, max_attempts INTEGER,"
	"  timeout_ms INTEGER, next_fire INTEGER, last_fire INTEGER,"
	"  last_job_id INTEGER, origin TEXT NOT NULL DEFAULT 'api',"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	},
	{ 2, KPI_SCHEMA_SQL WEB_SCHEMA_SQL },
	/* The sub-flows a script includes travel with its version. */
	{ 3, "ALTER TABLE script_versions ADD COLUMN files TEXT;" },
	/* Where each secret may be sent: a JSON array of destinations. */
	{ 4, "ALTER TABLE secrets ADD COLUMN allow TEXT;" },
	/* Browsers known to their users, for login throttling. */
	{ 5, WEB_DEVICES_SQL },
	/* The success rate by units of work; exceptions charged once. */
	{ 6, KPI_SCHEMA_UNITS_SQL },
	/* Departments: the roles users hold in them, what belongs where. */
	{ 7, PERM_SCHEMA_SQL },
	/* Items that ended with skip: counted, never credited. */
	{ 8, "ALTER TABLE runs ADD COLUMN items_skipped INTEGER NOT NULL"
	    " DEFAULT 0;"
	    "ALTER TABLE kpi_ledger ADD COLUMN items_skipped INTEGER NOT NULL"
	    " DEFAULT 0;" },
	/* Work queues, their items and files (queues.h). */
	{ 9, QUEUES_SCHEMA_SQL TRIGGERS_SCHEMA_SQL NOTIFY_SCHEMA_SQL },
	/*
	 * The console's controls and lists: the job a retry repeats, the
	 * version a schedule is pinned to, settings that are not secret
	 * (assets), and what the lists' date filters read.
	 */
	{ 10, "ALTER TABLE jobs ADD COLUMN retry_of INTEGER;"
	    "ALTER TABLE schedules ADD COLUMN digest TEXT;"
	    "CREATE TABLE assets (name TEXT PRIMARY KEY, value TEXT NOT NULL,"
	    "  department TEXT NOT NULL DEFAULT '', updated_at INTEGER NOT NULL,"
	    "  updated_by TEXT);"
	    "CREATE INDEX runs_started ON runs(started_at);"
	    "CREATE INDEX jobs_created ON jobs(created_at);"
	    "CREATE INDEX audit_at ON audit(at);"
	    /* one-time passwords (web_totp.c): the key sealed */
	    "CREATE TABLE user_totp (user_id INTEGER PRIMARY KEY,"
	    "  sealed BLOB NOT NULL, confirmed INTEGER NOT NULL DEFAULT 0,"
	    "  last_step INTEGER NOT NULL DEFAULT 0,"
	    "  created_at INTEGER NOT NULL);" },
	/* Retention by department: the expired jobs of each, oldest first. */
	{ 11, "CREATE INDEX jobs_final_department ON jobs(department, final_at)"
	    " WHERE final_at IS NOT NULL;" },
	/*
	 * The audit log's hash chain: the rows written so far are chained
	 * in their order (the trigger that refuses updates is put back once
	 * that is done), and a row without a hash is refused from then on.
	 */
	{ 12, "DROP TRIGGER audit_no_update;"
	    "ALTER TABLE audit ADD COLUMN prev_hash TEXT;"
	    "ALTER TABLE audit ADD COLUMN hash TEXT;", audit_seal,
	    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	    "CREATE TRIGGER audit_chained BEFORE INSERT ON audit"
	    "  WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL"
	    "  BEGIN SELECT RAISE(ABORT, 'audit rows are chained: the"
	    " scheduler writes them'); END;" },
};

_Static_assert(sizeof migrations / sizeof migrations[0] ==
    STORE_SCHEMA_VERSION, "STORE_SCHEMA_VERSION must name the last migration");

static int
migrate(struct conn *c, const char *path, int upto, char *err, size_t errlen)
{
	size_t i, n = sizeof migrations / sizeof migrations[0];
	int have;
	char *msg = NULL, pragma[64];

	if ((have = conn_schema_version(c)) < 0) {
		snprintf(err, errlen, "cannot read the schema version of '%s': "
		    "%s", path, sqlite3_errmsg(c->db));
		return -1;
	}
	if (have > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "database '%s' has schema version %d, "
		    "newer than this scheduler's %d: it was written by a newer "
		    "kobito-scheduler; run that version (or a newer one), or "
		    "restore a backup taken before the upgrade", path, have,
		    STORE_SCHEMA_VERSION);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (migrations[i].version <= have ||
		    migrations[i].version > upto)
			continue;
		if (conn_exec(c, "BEGIN IMMEDIATE") != 0)
			goto fail;
		/* Re-check inside the lock: another process may have won. */
		if (conn_schema_version(c) >= migrations[i].version) {
			conn_exec(c, "COMMIT");
			continue;
		}
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d",
		    migrations[i].version);
		if (sqlite3_exec(c->db, migrations[i].sql, NULL, NULL, &msg) !=
		    SQLITE_OK || (migrations[i].fn != NULL &&
		    migrations[i].fn(c) != 0) || (migrations[i].after != NULL &&
		    sqlite3_exec(c->db, migrations[i].after, NULL, NULL, &msg) !=
		    SQLITE_OK) || sqlite3_exec(c->db, pragma, NULL, NULL,
		    &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration to schema version %d "
			    "of '%s' failed: %s", migrations[i].version, path,
			    msg ? msg : sqlite3_errmsg(c->db));
			sqlite3_free(msg);
			conn_exec(c, "ROLLBACK");
			return -1;
		}
		if (conn_exec(c, "COMMIT") != 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot migrate '%s': %s", path,
	    sqlite3_errmsg(c->db));
	return -1;
}

/* --- the store ----------------------------------------------------------- */

/* One queued write, on its caller's stack. */
struct wop {
	store_write_fn	 fn;
	void		*arg;
	int		 rc;
	int		 done;
	int		 lead;		/* handed the leader's role */
	char		*err;
	size_t		 errlen;
	pthread_cond_t	 cv;		/* its caller waits on it alone */
	struct wop	*next;
};

struct store {
	char		*path;
	int		 lock_fd;
	struct conn	 w;		/* the writer connection */

	/*
	 * Group commit, leader and followers: a writer that finds no batch
	 * running becomes the leader and commits everything queued (its own
	 * write included) on its own thread; the others wait for their
	 * write to be committed, or to be handed the lead.  No thread hop
	 * when writes come one at a time, one fsync for many when they
	 * crowd.
	 */
	pthread_mutex_t	 qmu;
	struct wop	*head, *tail;
	int		 leading;	/* a leader is committing */
	uint64_t	 commits, writes;

	/* reader connections */
	pthread_mutex_t	 rmu;
	struct conn	**readers;
	size_t		 nreaders, nfree;
	struct conn	**free_readers;
};

#define BATCH_MAX	512

int
store_lock(const char *path, char *err, size_t errlen)
{
	char *lpath = xasprintf("%s.lock", path), pid[32], old[32];
	ssize_t n;
	int fd;

	fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open lock file '%s': %s", lpath,
		    strerror(errno));
		free(lpath);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, old, sizeof old - 1, 0);
		old[n > 0 ? n : 0] = '\0';
		old[strcspn(old, "\n")] = '\0';
		snprintf(err, errlen, "database '%s' is in use by another "
		    "scheduler (pid %s)", path, old[0] ? old : "unknown");
		close(fd);
		free(lpath);
		return -1;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* The lock holds anyway; only the pid in messages is lost. */
		fprintf(stderr, "kobito-scheduler: cannot write '%s': %s\n",
		    lpath, strerror(errno));
	}
	free(lpath);
	return fd;
}

static int
take_lock(struct store *st, char *err, size_t errlen)
{
	st->lock_fd = store_lock(st->path, err, errlen);
	return st->lock_fd < 0 ? -1 : 0;
}

/* Reset every statement left mid-iteration, so no snapshot stays open. */
static void
reset_busy(struct conn *c)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(c->db, st)) != NULL)
		if (sqlite3_stmt_busy(st))
			sqlite3_reset(st);
}

/* Run one write inside the open transaction, in a savepoint of its own. */
static int
run_op(struct conn *c, store_write_fn fn, void *arg)
{
	int rc;

	if (conn_step(c, conn_stmt(c, "SAVEPOINT w"), NULL, 0) != 0)
		return -1;
	rc = fn(c, arg);
	if (rc != 0) {
		reset_busy(c);
		conn_step(c, conn_stmt(c, "ROLLBACK TO w"), NULL, 0);
	}
	conn_step(c, conn_stmt(c, "RELEASE w"), NULL, 0);
	return rc;
}

static int
begin(struct conn *c, char *err, size_t errlen)
{
	return conn_step(c, conn_stmt(c, "BEGIN IMMEDIATE"), err, errlen);
}

static int
commit(struct conn *c, char *err, size_t errlen)
{
	reset_busy(c);
	if (conn_step(c, conn_stmt(c, "COMMIT"), err, errlen) == 0)
		return 0;
	conn_step(c, conn_stmt(c, "ROLLBACK"), NULL, 0);
	return -1;
}

/* Run and commit a batch of writes (the caller is the leader). */
static void
run_batch(struct store *st, struct wop *batch, char *err, size_t errlen)
{
	struct wop *op;

	err[0] = '\0';
	if (begin(&st->w, err, errlen) != 0) {
		for (op = batch; op != NULL; op = op->next)
			op->rc = -1;
		return;
	}
	for (op = batch; op != NULL; op = op->next)
		op->rc = run_op(&st->w, op->fn, op->arg);
	if (commit(&st->w, err, errlen) != 0)
		for (op = batch; op != NULL; op = op->next)
			op->rc = -1;
}

/*
 * Lead: commit batches until the caller's own write (mine) is done, then
 * hand the lead to the first write still queued.  qmu is held on entry
 * and on return.
 */
static void
lead(struct store *st, struct wop *mine)
{
	struct wop *batch, *op, *next;
	char err[256];
	int n;

	st->leading = 1;
	while (!mine->done) {
		batch = st->head;
		for (op = batch, n = 1; op->next != NULL && n < BATCH_MAX; n++)
			op = op->next;
		st->head = op->next;
		if (st->head == NULL)
			st->tail = NULL;
		op->next = NULL;
		pthread_mutex_unlock(&st->qmu);

		run_batch(st, batch, err, sizeof err);

		pthread_mutex_lock(&st->qmu);
		st->commits++;
		for (op = batch; op != NULL; op = next) {
			/* op lives on its caller's stack: read next first. */
			next = op->next;
			st->writes++;
			if (op->rc == -1 && err[0] && op->err != NULL)
				snprintf(op->err, op->errlen, "%s", err);
			op->done = 1;
			if (op != mine)
				pthread_cond_signal(&op->cv);
		}
	}
	st->leading = 0;
	if (st->head != NULL) {
		st->head->lead = 1;
		st->leading = 1;	/* held for the one being woken */
		pthread_cond_signal(&st->head->cv);
	}
}

struct store *
store_open(const char *path, int flags, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof *st);
	char pragma[64];

	st->path = xstrdup(path);
	st->lock_fd = -1;
	pthread_mutex_init(&st->qmu, NULL);
	pthread_mutex_init(&st->rmu, NULL);
	if ((flags & STORE_LOCK) && take_lock(st, err, errlen) != 0)
		goto fail;
	if (conn_open(&st->w, path, err, errlen) != 0)
		goto fail;
	if (migrate(&st->w, path, STORE_SCHEMA_VERSION, err, errlen) != 0)
		goto fail;
	if (flags & STORE_WRITER) {
		/*
		 * The writer checkpoints after its commits once the WAL holds
		 * this many pages: being the only writer, its checkpoints
		 * complete, and the WAL is then reused from its start instead
		 * of growing (appending to a growing file makes every fsync
		 * dearer).
		 */
		snprintf(pragma, sizeof pragma, "PRAGMA wal_autocheckpoint=%d",
		    STORE_CHECKPOINT_PAGES);
		conn_exec(&st->w, pragma);
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

int
store_migrate_to(const char *path, int version, char *err, size_t errlen)
{
	struct conn c;
	int rc;

	if (conn_open(&c, path, err, errlen) != 0)
		return -1;
	rc = migrate(&c, path, version, err, errlen);
	conn_close(&c);
	return rc;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nreaders; i++) {
		conn_close(st->readers[i]);
		free(st->readers[i]);
	}
	free(st->readers);
	free(st->free_readers);
	conn_close(&st->w);
	if (st->lock_fd >= 0)
		close(st->lock_fd);	/* releases the flock */
	pthread_mutex_destroy(&st->qmu);
	pthread_mutex_destroy(&st->rmu);
	free(st->path);
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

int
store_write(struct store *st, store_write_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct wop op;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&op, 0, sizeof op);
	op.fn = fn;
	op.arg = arg;
	op.err = err;
	op.errlen = errlen;
	pthread_cond_init(&op.cv, NULL);
	pthread_mutex_lock(&st->qmu);
	if (st->tail != NULL)
		st->tail->next = &op;
	else
		st->head = &op;
	st->tail = &op;
	if (!st->leading) {
		lead(st, &op);
	} else {
		while (!op.done && !op.lead)
			pthread_cond_wait(&op.cv, &st->qmu);
		if (!op.done)
			lead(st, &op);
	}
	pthread_mutex_unlock(&st->qmu);
	pthread_cond_destroy(&op.cv);
	return op.rc;
}

static struct conn *
reader_get(struct store *st)
{
	struct conn *c;
	char err[256];

	pthread_mutex_lock(&st->rmu);
	if (st->nfree > 0) {
		c = st->free_readers[--st->nfree];
		pthread_mutex_unlock(&st->rmu);
		return c;
	}
	pthread_mutex_unlock(&st->rmu);
	c = xcalloc(1, sizeof *c);
	if (conn_open(c, st->path, err, sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&st->rmu);
	st->readers = xreallocarray(st->readers, st->nreaders + 1,
	    sizeof *st->readers);
	st->free_readers = xreallocarray(st->free_readers, st->nreaders + 1,
	    sizeof *st->free_readers);
	st->readers[st->nreaders++] = c;
	pthread_mutex_unlock(&st->rmu);
	return c;
}

static void
reader_put(struct store *st, struct conn *c)
{
	pthread_mutex_lock(&st->rmu);
	st->free_readers[st->nfree++] = c;
	pthread_mutex_unlock(&st->rmu);
}

int
store_read(struct store *st, store_read_fn fn, void *arg)
{
	struct conn *c = reader_get(st);
	int rc;

	if (c == NULL)
		return -1;
	/* One snapshot for everything fn reads. */
	conn_step(c, conn_stmt(c, "BEGIN"), NULL, 0);
	rc = fn(c, arg);
	reset_busy(c);
	conn_step(c, conn_stmt(c, "COMMIT"), NULL, 0);
	reader_put(st, c);
	return rc;
}

static int
checkpoint_fn(struct conn *c, void *arg)
{
	(void)arg;
	/* PASSIVE never waits for (or blocks) the writer or readers. */
	return sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
store_checkpoint(struct store *st)
{
	struct conn *c = reader_get(st);
	int rc;

	if (c == NULL)
		return -1;
	rc = checkpoint_fn(c, NULL);
	reader_put(st, c);
	return rc;
}

void
store_stats(struct store *st, uint64_t *commits, uint64_t *writes)
{
	pthread_mutex_lock(&st->qmu);
	*commits = st->commits;
	*writes = st->writes;
	pthread_mutex_unlock(&st->qmu);
}
