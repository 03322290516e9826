/*
 * spool.c - the agent's on-disk buffer of unacknowledged results.
 *
 * See spool.h for the layout and the contract.  A fresh record is one
 * line appended to a journal (no file made, no fsync: a file per record
 * cost the agent more than running a short job); a record that must wait
 * is moved from there to its own file in outbox/, written durably
 * (fsutil_write_atomic).  Artifacts stay where the run wrote them, in the
 * job's own directory, until the record is done with.
 *
 * The journal is two files used in turn, journal.0 and journal.1, each a
 * list of lines "P SEQ KEY JSON" (a record) and "D SEQ KEY" (done with
 * it).  Once the file being written passes JOURNAL_ROTATE bytes and the
 * other holds no live record, the other is emptied and written instead,
 * so the journal stays small however long the agent runs.  On opening,
 * both are read back: a record whose last "P" has no later "D" is moved
 * to outbox/ and the journal is emptied.  A line cut short by a crash
 * does not parse and is skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "spool.h"
#include "xmalloc.h"

/* Largest record accepted back from disk: results are capped well below. */
#define RECORD_CAP	(64u * 1024 * 1024)
/* A journal file this big is left for the other once that one is free. */
#define JOURNAL_ROTATE	(4u * 1024 * 1024)

/* A record in the journal not yet done with. */
struct live {
	char		*key;
	int		 file;		/* 0 or 1 */
	struct live	*next;
};

struct spool {
	char		*dir;
	int		 lockfd;

	pthread_mutex_t	 mu;		/* guards the journal */
	int		 jfd[2];
	off_t		 jsize[2];
	int		 jlive[2];	/* live records in each */
	int		 cur;		/* the one written */
	uint64_t	 seq;
	struct live	*live;
};

static int journal_open(struct spool *, char *, size_t);

static int
make_dir(const char *path, char *err, size_t errlen)
{
	return fsutil_mkdir_p(path, err, errlen);
}

/* --- the journal ---------------------------------------------------------- */

static char *
record_path(const struct spool *sp, const char *key)
{
	return xasprintf("%s/outbox/%s.json", sp->dir, key);
}

static struct live **
live_find(struct spool *sp, const char *key)
{
	struct live **pp;

	for (pp = &sp->live; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->key, key) == 0)
			return pp;
	return NULL;
}

/* Append one line to the journal file in use.  sp->mu is held. */
static int
journal_append(struct spool *sp, const char *line, size_t len, char *err,
    size_t errlen)
{
	int fd = sp->jfd[sp->cur];
	ssize_t n;
	size_t off = 0;

	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot write '%s/journal.%d': "
			    "%s", sp->dir, sp->cur, strerror(errno));
			/* Leave no half line for the next one to follow:
			 * cut it, or else end it (it will not parse). */
			if (ftruncate(fd, sp->jsize[sp->cur]) != 0 &&
			    write(fd, "\n", 1) == 1)
				sp->jsize[sp->cur] = lseek(fd, 0, SEEK_END);
			return -1;
		}
		off += (size_t)n;
	}
	sp->jsize[sp->cur] += (off_t)len;
	return 0;
}

/* Empty journal file i (it holds nothing live).  sp->mu is held. */
static void
journal_empty(struct spool *sp, int i)
{
	if (sp->jsize[i] > 0 && ftruncate(sp->jfd[i], 0) == 0)
		sp->jsize[i] = 0;
}

/* Done with the live record *pp: a "D" line; its file emptied when it
 * can be.  sp->mu is held. */
static void
live_drop(struct spool *sp, struct live **pp)
{
	struct live *l = *pp;
	char *line, err[256];

	line = xasprintf("D %" PRIu64 " %s\n", ++sp->seq, l->key);
	if (journal_append(sp, line, strlen(line), err, sizeof err) != 0)
		fprintf(stderr, "kobito-agent: %s\n", err);
	free(line);
	if (--sp->jlive[l->file] == 0 && l->file != sp->cur)
		journal_empty(sp, l->file);
	*pp = l->next;
	free(l->key);
	free(l);
}

struct replay {
	char		*key;
	uint64_t	 put, done;	/* seq of the last P and D */
	char		*json;		/* of the last P */
};

/* Read journal file fd into the table v (*n entries). */
static void
journal_read(int fd, struct replay **v, size_t *n)
{
	char *data, *line, *next, *key, *json, *end;
	char chunk[65536];
	struct buf b;
	ssize_t got;
	uint64_t seq;
	size_t i;

	buf_init(&b, 0);
	while ((got = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(&b, chunk, (size_t)got);
	data = buf_detach(&b, NULL);
	for (line = data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			break;		/* cut short by a crash */
		*next++ = '\0';
		if ((line[0] != 'P' && line[0] != 'D') || line[1] != ' ')
			continue;
		seq = strtoull(line + 2, &end, 10);
		if (*end != ' ')
			continue;
		key = end + 1;
		json = NULL;
		if (line[0] == 'P') {
			if ((json = strchr(key, ' ')) == NULL)
				continue;
			*json++ = '\0';
		}
		for (i = 0; i < *n && strcmp((*v)[i].key, key) != 0; i++)
			;
		if (i == *n) {
			*v = xreallocarray(*v, *n + 1, sizeof **v);
			memset(&(*v)[i], 0, sizeof **v);
			(*v)[i].key = xstrdup(key);
			(*n)++;
		}
		if (json != NULL && seq > (*v)[i].put) {
			(*v)[i].put = seq;
			free((*v)[i].json);
			(*v)[i].json = xstrdup(json);
		} else if (json == NULL && seq > (*v)[i].done) {
			(*v)[i].done = seq;
		}
	}
	free(data);
}

/*
 * Open the journal; move what a crash left live in it to outbox/ (durably)
 * before emptying it.
 */
static int
journal_open(struct spool *sp, char *err, size_t errlen)
{
	struct replay *v = NULL;
	size_t n = 0, i;
	json_t *rec;
	char *path;
	int rc = 0, j;

	for (j = 0; j < 2 && rc == 0; j++) {
		path = xasprintf("%s/journal.%d", sp->dir, j);
		sp->jfd[j] = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
		if (sp->jfd[j] < 0) {
			snprintf(err, errlen, "cannot open '%s': %s", path,
			    strerror(errno));
			rc = -1;
		} else {
			journal_read(sp->jfd[j], &v, &n);
		}
		free(path);
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && v[i].put > v[i].done) {
			/* A damaged line is one a crash cut: the machine's,
			 * which the journal does not promise to survive. */
			if ((rec = json_loads(v[i].json, 0, NULL)) == NULL)
				fprintf(stderr, "kobito-agent: %s/journal: the "
				    "record '%s' is damaged; skipped\n", sp->dir,
				    v[i].key);
			else if (spool_keep(sp, v[i].key, rec, err,
			    errlen) != 0)
				rc = -1;
			json_decref(rec);
		}
		free(v[i].key);
		free(v[i].json);
	}
	free(v);
	for (j = 0; j < 2 && rc == 0; j++) {
		if (ftruncate(sp->jfd[j], 0) != 0) {
			snprintf(err, errlen, "cannot empty '%s/journal.%d': "
			    "%s", sp->dir, j, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

/* --- the spool ------------------------------------------------------------ */

struct spool *
spool_open(const char *dir, char *err, size_t errlen)
{
	static const char *const subdirs[] = { "jobs", "outbox", "rejected",
	    "work" };
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
	sp->jfd[0] = sp->jfd[1] = -1;
	pthread_mutex_init(&sp->mu, NULL);
	if (journal_open(sp, err, errlen) != 0) {
		spool_close(sp);
		return NULL;
	}
	return sp;
}

void
spool_close(struct spool *sp)
{
	struct live *l, *next;
	int i;

	if (sp == NULL)
		return;
	for (i = 0; i < 2; i++)
		if (sp->jfd[i] >= 0)
			close(sp->jfd[i]);
	for (l = sp->live; l != NULL; l = next) {
		next = l->next;
		free(l->key);
		free(l);
	}
	pthread_mutex_destroy(&sp->mu);
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

char *
spool_job_dir(struct spool *sp, const char *key)
{
	return xasprintf("%s/jobs/%s", sp->dir, key);
}

char *
spool_work_open(struct spool *sp, const char *key, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/work/%s", sp->dir, key);

	if (fsutil_remove_tree(dir) != 0 || mkdir(dir, 0700) != 0) {
		snprintf(err, errlen, "cannot create '%s': %s", dir,
		    strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

void
spool_work_close(struct spool *sp, const char *key, int keep)
{
	char *dir = xasprintf("%s/work/%s", sp->dir, key);

	if (!keep && fsutil_remove_tree(dir) != 0)
		fprintf(stderr, "kobito-agent: cannot remove '%s': %s\n", dir,
		    strerror(errno));
	free(dir);
}

int
spool_put(struct spool *sp, const char *key, const json_t *record,
    char *err, size_t errlen)
{
	char *text, *line;
	struct live **pp, *l;
	int rc, other;

	text = json_dumps(record, JSON_COMPACT);
	if (text == NULL) {
		snprintf(err, errlen, "cannot encode the record '%s'", key);
		return -1;
	}
	pthread_mutex_lock(&sp->mu);
	other = !sp->cur;
	if (sp->jsize[sp->cur] > JOURNAL_ROTATE && sp->jlive[other] == 0) {
		journal_empty(sp, other);
		sp->cur = other;
		/* The last record in the old one is usually done already. */
		if (sp->jlive[!other] == 0)
			journal_empty(sp, !other);
	}
	line = xasprintf("P %" PRIu64 " %s %s\n", ++sp->seq, key, text);
	rc = journal_append(sp, line, strlen(line), err, errlen);
	if (rc == 0) {
		if ((pp = live_find(sp, key)) != NULL) {
			/* Replaced: the old line no longer counts. */
			if (--sp->jlive[(*pp)->file] == 0 &&
			    (*pp)->file != sp->cur)
				journal_empty(sp, (*pp)->file);
			(*pp)->file = sp->cur;
		} else {
			l = xcalloc(1, sizeof *l);
			l->key = xstrdup(key);
			l->file = sp->cur;
			l->next = sp->live;
			sp->live = l;
		}
		sp->jlive[sp->cur]++;
	}
	pthread_mutex_unlock(&sp->mu);
	free(line);
	free(text);
	return rc;
}

int
spool_keep(struct spool *sp, const char *key, const json_t *record,
    char *err, size_t errlen)
{
	char *path = record_path(sp, key), *text;
	struct live **pp;
	int rc;

	pthread_mutex_lock(&sp->mu);
	pp = live_find(sp, key);
	pthread_mutex_unlock(&sp->mu);
	if (pp == NULL && access(path, F_OK) == 0) {
		free(path);
		return 0;	/* kept already */
	}
	if ((text = json_dumps(record, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "cannot encode the record '%s'", key);
		free(path);
		return -1;
	}
	rc = fsutil_write_atomic(path, text, strlen(text), 0600, err, errlen);
	free(text);
	free(path);
	if (rc != 0)
		return -1;
	pthread_mutex_lock(&sp->mu);
	if ((pp = live_find(sp, key)) != NULL)
		live_drop(sp, pp);
	pthread_mutex_unlock(&sp->mu);
	return 0;
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
		spool_reject(sp, key, NULL, "damaged record");
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
		n = 0;
	else
		spool_keys_free(keys, n);
	pthread_mutex_lock(&sp->mu);
	n += sp->jlive[0] + sp->jlive[1];
	pthread_mutex_unlock(&sp->mu);
	return n;
}

/* Done with key in the journal; 1 when it was there. */
static int
journal_done(struct spool *sp, const char *key)
{
	struct live **pp;

	pthread_mutex_lock(&sp->mu);
	if ((pp = live_find(sp, key)) != NULL)
		live_drop(sp, pp);
	pthread_mutex_unlock(&sp->mu);
	return pp != NULL;
}

void
spool_forget(struct spool *sp, const char *key)
{
	char *dir = xasprintf("%s/jobs/%s", sp->dir, key);

	if (fsutil_remove_tree(dir) != 0)
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
	if (!journal_done(sp, key) && unlink(path) != 0 && errno != ENOENT) {
		fprintf(stderr, "kobito-agent: cannot remove '%s': %s\n", path,
		    strerror(errno));
		rc = -1;
	}
	free(path);
	spool_forget(sp, key);
	return rc;
}

int
spool_reject(struct spool *sp, const char *key, const json_t *record,
    const char *reason)
{
	char *from = record_path(sp, key);
	char *to = xasprintf("%s/rejected/%s.json", sp->dir, key);
	char *data = NULL, *text = NULL, err[512];
	size_t len;
	json_t *rec = NULL;
	int rc = 0;

	/* Keep the record with the reason, for whoever looks into it. */
	if (record != NULL)
		rec = json_deep_copy(record);
	else if (fsutil_read(from, RECORD_CAP, &data, &len, err,
	    sizeof err) == 0)
		rec = json_loadb(data, len, 0, NULL);
	if (json_is_object(rec)) {
		json_object_set_new(rec, "rejected", json_string(reason));
		text = json_dumps(rec, JSON_COMPACT);
	}
	if (text != NULL && fsutil_write_atomic(to, text, strlen(text), 0600,
	    err, sizeof err) == 0) {
		if (!journal_done(sp, key))
			unlink(from);
	} else if (!journal_done(sp, key)) {
		rc = rename(from, to);
	}
	if (rc != 0 && errno != ENOENT)
		fprintf(stderr, "kobito-agent: cannot move '%s' to '%s': %s\n",
		    from, to, strerror(errno));
	json_decref(rec);
	free(text);
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
