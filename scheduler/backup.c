/*
 * backup.c - online backups of the scheduler's database and restores (see
 * backup.h), with SQLite's backup API.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "backup.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

/* How long a backup step waits for a lock the scheduler holds. */
#define BACKUP_BUSY_MS	30000

static int
fail(char *err, size_t errlen, sqlite3 *db, const char *fmt, const char *path)
{
	char what[512];

	snprintf(what, sizeof what, fmt, path);
	snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) :
	    strerror(errno));
	return -1;
}

static sqlite3 *
open_db(const char *path, int flags, char *err, size_t errlen)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		fail(err, errlen, db, "cannot open '%s'", path);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BACKUP_BUSY_MS);
	return db;
}

/* The first column of the first row of sql, as an integer (-1: none). */
static int64_t
scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* PRAGMA integrity_check: 0 when "ok", else -1 with its first line. */
static int
check(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const char *t;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) !=
	    SQLITE_OK)
		return fail(err, errlen, db, "cannot check '%s'", path);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		if (t != NULL && strcmp(t, "ok") == 0)
			rc = 0;
		else
			snprintf(err, errlen, "'%s' is damaged: %s", path,
			    t ? t : "?");
	} else {
		fail(err, errlen, db, "cannot check '%s'", path);
	}
	sqlite3_finalize(st);
	return rc;
}

static void
describe(sqlite3 *db, struct backup_info *info)
{
	info->schema = (int)scalar(db, "PRAGMA user_version");
	info->pages = scalar(db, "PRAGMA page_count");
	info->bytes = info->pages * scalar(db, "PRAGMA page_size");
	info->jobs = scalar(db, "SELECT count(*) FROM jobs");
	info->ledger = scalar(db, "SELECT count(*) FROM kpi_ledger");
}

/* Copy every page of from into to, in one step (one read transaction). */
static int
copy(sqlite3 *from, sqlite3 *to, const char *what, char *err, size_t errlen)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	int64_t until = time_mono_ms() + BACKUP_BUSY_MS;
	int rc;

	if (b == NULL)
		return fail(err, errlen, to, "cannot copy '%s'", what);
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED) {
		if (time_mono_ms() > until)
			break;
		time_sleep_ms(50, NULL);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot copy '%s': %s", what,
		    sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* fsync a file, or the directory a path is in. */
static int
sync_path(const char *path, int dir)
{
	char *copy = xstrdup(path);
	int fd, rc;

	fd = open(dir ? dirname(copy) : path, O_RDONLY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Copy the database from into a new standalone file at tmp, checked and
 * synced; then rename it to dest.
 */
static int
copy_to_file(sqlite3 *from, const char *what, const char *dest, int wal,
    struct backup_info *info, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s.tmp-%ld", dest, (long)getpid());
	sqlite3 *to;
	int rc = -1;

	unlink(tmp);
	if ((to = open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    err, errlen)) == NULL)
		goto out;
	if (copy(from, to, what, err, errlen) != 0)
		goto out;
	/* A backup stands alone; a database the scheduler opens is WAL. */
	if (sqlite3_exec(to, wal ? "PRAGMA journal_mode=WAL" :
	    "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		fail(err, errlen, to, "cannot set up '%s'", tmp);
		goto out;
	}
	if (check(to, tmp, err, errlen) != 0)
		goto out;
	if (info != NULL)
		describe(to, info);
	sqlite3_close(to);
	to = NULL;
	/* Password hashes and sealed secrets: for the owner's eyes only. */
	if (chmod(tmp, 0600) != 0 || sync_path(tmp, 0) != 0 ||
	    rename(tmp, dest) != 0 ||
	    sync_path(dest, 1) != 0) {
		fail(err, errlen, NULL, "cannot write '%s'", dest);
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(to);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
backup_take(const char *db, const char *dest, struct backup_info *info,
    char *err, size_t errlen)
{
	sqlite3 *from;
	int rc;

	memset(info, 0, sizeof *info);
	if (access(db, F_OK) != 0) {
		snprintf(err, errlen, "no database '%s': %s", db,
		    strerror(errno));
		return -1;
	}
	/* Read-write (never created): a WAL reader needs the -shm file. */
	if ((from = open_db(db, SQLITE_OPEN_READWRITE, err, errlen)) == NULL)
		return -1;
	rc = copy_to_file(from, db, dest, 0, info, err, errlen);
	sqlite3_close(from);
	return rc;
}

/* The backup at src is a database this program may restore. */
static int
check_backup(sqlite3 *src, const char *path, char *err, size_t errlen)
{
	int64_t v;

	if (check(src, path, err, errlen) != 0)
		return -1;
	if (scalar(src, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'table' AND name IN ('jobs', 'kpi_ledger', 'audit')") != 3) {
		snprintf(err, errlen, "'%s' is not a kobito scheduler's "
		    "database", path);
		return -1;
	}
	v = scalar(src, "PRAGMA user_version");
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "'%s' has schema version %lld, newer than "
		    "this scheduler's %d: restore it with the kobito-scheduler "
		    "that wrote it, or a newer one", path, (long long)v,
		    STORE_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

static void
remove_side_files(const char *db)
{
	char *p;

	p = xasprintf("%s-wal", db);
	unlink(p);
	free(p);
	p = xasprintf("%s-shm", db);
	unlink(p);
	free(p);
}

int
backup_restore(const char *src, const char *db, struct backup_info *info,
    char **aside, char *err, size_t errlen)
{
	struct backup_info old;
	sqlite3 *from = NULL;
	char *side = NULL, *fresh = NULL;
	int lock, rc = -1;

	memset(info, 0, sizeof *info);
	*aside = NULL;
	if ((lock = store_lock(db, err, errlen)) < 0)
		return -1;
	if ((from = open_db(src, SQLITE_OPEN_READONLY, err, errlen)) == NULL ||
	    check_backup(from, src, err, errlen) != 0)
		goto out;
	/* The database being replaced is kept, whole, beside it. */
	if (access(db, F_OK) == 0) {
		side = xasprintf("%s.before-restore", db);
		if (backup_take(db, side, &old, err, errlen) != 0)
			goto out;
	}
	/*
	 * The copy is made beside the database and renamed over it; the old
	 * database's -wal must go first, or SQLite would apply it to the new
	 * file.  No scheduler has it open: we hold the lock.
	 */
	fresh = xasprintf("%s.restoring", db);
	if (copy_to_file(from, src, fresh, 1, info, err, errlen) != 0)
		goto out;
	remove_side_files(db);
	if (rename(fresh, db) != 0 || sync_path(db, 1) != 0) {
		fail(err, errlen, NULL, "cannot replace '%s'", db);
		unlink(fresh);
		goto out;
	}
	rc = 0;
	*aside = side;
	side = NULL;
out:
	sqlite3_close(from);
	free(side);
	free(fresh);
	close(lock);
	return rc;
}

char *
backup_name(const char *dir, int64_t now_ms)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	char stamp[32];
	struct stat sb;

	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return NULL;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	return xasprintf("%s/" BACKUP_PREFIX "%s.db", dir, stamp);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether name is one of backup_name()'s: PREFIX + 15 characters + .db */
static int
is_backup(const char *name)
{
	size_t n = strlen(name), p = strlen(BACKUP_PREFIX);

	return n == p + 15 + 3 && strncmp(name, BACKUP_PREFIX, p) == 0 &&
	    strcmp(name + n - 3, ".db") == 0;
}

int
backup_prune(const char *dir, int keep, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, *p;
	size_t n = 0, i;
	int removed = 0;

	if (d == NULL) {
		fail(err, errlen, NULL, "cannot read '%s'", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_backup(e->d_name))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	/* The names sort by their time: the oldest go. */
	if (n > 0)
		qsort(names, n, sizeof *names, by_name);
	for (i = 0; i < n; i++) {
		if (i + (size_t)keep < n) {
			p = xasprintf("%s/%s", dir, names[i]);
			if (unlink(p) == 0)
				removed++;
			free(p);
		}
		free(names[i]);
	}
	free(names);
	return removed;
}
