/*
 * spool.c - the agent's on-disk buffer of unacknowledged results.
 *
 * See spool.h for the layout and the contract.  Records are small JSON
 * files written with fsutil_write_atomic_nosync() (temporary file, rename)
 * and synced by spool_sync() when they must outlive the machine;
 * artifacts stay where the run wrote them, in the job's own directory,
 * until the record is done with.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "spool.h"
#include "xmalloc.h"

/* Largest record accepted back from disk: results are capped well below. */
#define RECORD_CAP	(64u * 1024 * 1024)

struct spool {
	char	*dir;
	int	 lockfd;
};

static int
make_dir(const char *path, char *err, size_t errlen)
{
	return fsutil_mkdir_p(path, err, errlen);
}

struct spool *
spool_open(const char *dir, char *err, size_t errlen)
{
	static const char *const subdirs[] = { "jobs", "outbox", "rejected" };
	struct spool *sp;
	char *path;
	size_t i;
	int fd;

	if (make_dir(dir, err, errlen) != 0)
		return NULL;
	for (i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
		path = xasprintf("%s/%s", dir, subdirs[i]);
		if (make_dir(path, err, errlen) != 0) {
			free(path);
			return NULL;
		}
		free(path);
	}
	path = xasprintf("%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		free(path);
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "spool '%s' is in use by another agent "
		    "(%s is locked)", dir, path);
		close(fd);
		free(path);
		return NULL;
	}
	free(path);
	sp = xcalloc(1, sizeof *sp);
	sp->dir = xstrdup(dir);
	sp->lockfd = fd;
	return sp;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	close(sp->lockfd);	/* releases the flock */
	free(sp->dir);
	free(sp);
}

const char *
spool_dir(const struct spool *sp)
{
	return sp->dir;
}

char *
spool_key(const char *job_id, long attempt)
{
	char *id = xstrdup(job_id), *p, *key;

	for (p = id; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '_';
	}
	key = xasprintf("job-%s.a%ld", id, attempt);
	free(id);
	return key;
}

static char *
record_path(const struct spool *sp, const char *key)
{
	return xasprintf("%s/outbox/%s.json", sp->dir, key);
}

char *
spool_job_dir(struct spool *sp, const char *key)
{
	return xasprintf("%s/jobs/%s", sp->dir, key);
}

int
spool_put(struct spool *sp, const char *key, const json_t *record,
    char *err, size_t errlen)
{
	char *path = record_path(sp, key), *text;
	int rc;

	text = json_dumps(record, JSON_COMPACT);
	if (text == NULL) {
		snprintf(err, errlen, "cannot encode the record '%s'", key);
		free(path);
		return -1;
	}
	rc = fsutil_write_atomic_nosync(path, text, strlen(text), 0600, err,
	    errlen);
	free(text);
	free(path);
	return rc;
}

int
spool_sync(struct spool *sp, const char *key, char *err, size_t errlen)
{
	char *path = record_path(sp, key);
	int rc;

	rc = fsutil_sync(path, err, errlen);
	free(path);
	return rc;
}

json_t *
spool_get(struct spool *sp, const char *key, char *err, size_t errlen)
{
	char *path = record_path(sp, key), *data;
	size_t len;
	json_error_t je;
	json_t *rec;

	if (fsutil_read(path, RECORD_CAP, &data, &len, err, errlen) != 0) {
		free(path);
		return NULL;
	}
	rec = json_loadb(data, len, 0, &je);
	free(data);
	if (rec == NULL || !json_is_object(rec)) {
		snprintf(err, errlen, "%s:%d:%d: the record is damaged (%s); "
		    "moved to rejected/", path, je.line, je.column,
		    rec ? "not an object" : je.text);
		json_decref(rec);
		free(path);
		spool_reject(sp, key, "damaged record");
		return NULL;
	}
	free(path);
	return rec;
}

struct entry {
	char		*key;
	struct timespec	 mtime;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->key, y->key);
}

long
spool_list(struct spool *sp, char ***keysp, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/outbox", sp->dir);
	struct entry *v = NULL;
	struct dirent *de;
	struct stat st;
	size_t n = 0, len, i;
	char **keys;
	DIR *d;

	*keysp = NULL;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", dir,
		    strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		/* Hidden names are fsutil's temporary files. */
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) != 0)
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n].key = xstrndup(de->d_name, len - 5);
		v[n].mtime = st.st_mtim;
		n++;
	}
	closedir(d);
	free(dir);
	if (n > 1)
		qsort(v, n, sizeof *v, entry_cmp);
	keys = xcalloc(n + 1, sizeof *keys);
	for (i = 0; i < n; i++)
		keys[i] = v[i].key;
	free(v);
	*keysp = keys;
	return (long)n;
}

void
spool_keys_free(char **keys, long n)
{
	long i;

	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

long
spool_pending(struct spool *sp)
{
	char **keys, err[256];
	long n = spool_list(sp, &keys, err, sizeof err);

	if (n < 0)
		return 0;
	spool_keys_free(keys, n);
	return n;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) != 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Remove a directory tree; a missing tree is not an error. */
static int
rm_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
spool_forget(struct spool *sp, const char *key)
{
	char *dir = xasprintf("%s/jobs/%s", sp->dir, key);

	if (rm_tree(dir) != 0)
		fprintf(stderr, "kobito-agent: cannot remove '%s': %s\n", dir,
		    strerror(errno));
	free(dir);
}

int
spool_done(struct spool *sp, const char *key)
{
	char *path = record_path(sp, key);
	int rc = 0;

	/* The record goes first: a crash between the two leaves only an
	 * orphan directory, never a record whose artifacts are gone. */
	if (unlink(path) != 0 && errno != ENOENT) {
		fprintf(stderr, "kobito-agent: cannot remove '%s': %s\n", path,
		    strerror(errno));
		rc = -1;
	}
	free(path);
	spool_forget(sp, key);
	return rc;
}

int
spool_reject(struct spool *sp, const char *key, const char *reason)
{
	char *from = record_path(sp, key);
	char *to = xasprintf("%s/rejected/%s.json", sp->dir, key);
	char *data = NULL, err[512];
	size_t len;
	json_t *rec;
	int rc = 0;

	/* Keep the record with the reason, for whoever looks into it. */
	if (fsutil_read(from, RECORD_CAP, &data, &len, err, sizeof err) == 0 &&
	    (rec = json_loadb(data, len, 0, NULL)) != NULL &&
	    json_is_object(rec)) {
		char *text;

		json_object_set_new(rec, "rejected", json_string(reason));
		text = json_dumps(rec, JSON_COMPACT);
		json_decref(rec);
		if (text != NULL && fsutil_write_atomic(to, text, strlen(text),
		    0600, err, sizeof err) == 0)
			unlink(from);
		else
			rc = rename(from, to);
		free(text);
	} else {
		rc = rename(from, to);
	}
	if (rc != 0 && errno != ENOENT)
		fprintf(stderr, "kobito-agent: cannot move '%s' to '%s': %s\n",
		    from, to, strerror(errno));
	free(data);
	free(from);
	free(to);
	spool_forget(sp, key);
	return rc;
}

int64_t
spool_backoff_ms(int tries, int64_t base_ms, int64_t max_ms, double rnd)
{
	int64_t d = base_ms;
	int i;

	for (i = 1; i < tries && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	/* Spread by +-20%. */
	return (int64_t)((double)d * (0.8 + 0.4 * rnd));
}
