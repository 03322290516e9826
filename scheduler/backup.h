/*
 * backup.h - copies of the scheduler's database, taken while it runs, and
 * put back.
 *
 * A backup is SQLite's online backup API copying every page of the
 * database in one step, inside one read transaction: the copy is the
 * database as one commit left it (WAL lets the scheduler go on writing
 * meanwhile; nothing acknowledged before the backup began is missing).
 * The copy is written beside its destination, checked (PRAGMA
 * integrity_check), synced, and renamed into place, so a backup file is
 * either whole or absent; it is a standalone database (rollback journal,
 * no -wal file beside it), readable by its owner only.
 *
 * A restore refuses to run while a scheduler holds the database (its
 * lock), checks the backup (integrity, a kobito database, a schema this
 * program knows, not a newer one), moves the current database aside as
 * DB.before-restore, and copies the backup in with the same API; the
 * scheduler applies the migrations when it next starts.
 *
 * The key that seals secrets is not in the database: keep it apart, and
 * restore it with the database (docs/operations.md).
 */
#ifndef KOBITO_BACKUP_H
#define KOBITO_BACKUP_H

#include <stddef.h>
#include <stdint.h>

/* What a backup or a restore copied. */
struct backup_info {
	int		 schema;	/* the copy's schema version */
	int64_t		 pages;		/* of the database */
	int64_t		 bytes;
	int64_t		 jobs, ledger;	/* rows of jobs and kpi_ledger */
};

/*
 * Copy the database at db to dest (replaced atomically).  0, or -1 with a
 * message in err (dest is then untouched).
 */
int	backup_take(const char *db, const char *dest, struct backup_info *,
	    char *err, size_t errlen);
/*
 * Replace the database at db with the backup at src.  0, or -1 with a
 * message in err (db is then as it was).  *aside receives the path the
 * previous database was moved to (a new string, NULL when there was none).
 */
int	backup_restore(const char *src, const char *db, struct backup_info *,
	    char **aside, char *err, size_t errlen);

/*
 * Backups kept in a directory (the packaged timer's way): a new file's
 * name there is PREFIX + the local time (kobito-20260630-013000.db), so
 * that they sort by age.  backup_name() gives it (a new string; NULL when
 * dir is not a directory); backup_prune() removes all but the newest keep
 * of them (other files are never touched) and returns how many it
 * removed, or -1 with a message in err.
 */
#define BACKUP_PREFIX	"kobito-"
char	*backup_name(const char *dir, int64_t now_ms);
int	backup_prune(const char *dir, int keep, char *err, size_t errlen);

#endif
