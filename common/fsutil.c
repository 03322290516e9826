/*
 * fsutil.c - atomic writes (temporary file + fsync + rename), mkdir -p,
 * copy and move.  See fsutil.h for the guarantees.
 *
 * The temporary file is opened with O_CREAT|O_EXCL and mode 0666 rather
 * than with mkstemp, so that a new file gets the umask applied exactly as
 * a plain open would, without touching the process-wide umask.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmalloc.h"

static int ferr(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Format err and return -1; errno is preserved. */
static int
ferr(char *err, size_t errlen, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* The directory part of path ("." when there is none); caller frees. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static const char *
base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy everything from in to out. */
static int
copy_fd(int in, int out)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(in, chunk, sizeof chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		if (write_all(out, chunk, (size_t)n) != 0)
			return -1;
	}
}

/* fsync the directory holding path so that a rename in it is durable.
 * Filesystems that cannot sync directories (EINVAL) are tolerated. */
static int
sync_dir_of(const char *path, char *err, size_t errlen)
{
	char *dir = dir_of(path);
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = ferr(err, errlen, "cannot open directory '%s': %s", dir,
		    strerror(errno));
	else {
		if (fsync(fd) != 0 && errno != EINVAL)
			rc = ferr(err, errlen, "cannot sync directory '%s': "
			    "%s", dir, strerror(errno));
		close(fd);
	}
	free(dir);
	return rc;
}

/*
 * Create a fresh temporary file next to path; return its descriptor and
 * set *tmp to its name (caller frees), or -1 with err set.
 */
static int
temp_open(const char *path, char **tmp, char *err, size_t errlen)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char *dir = dir_of(path);
	unsigned char rnd[6];
	char suffix[7];
	int fd = -1;

	*tmp = NULL;
	for (int attempt = 0; attempt < 100; attempt++) {
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
			/* Not random, but O_EXCL keeps it safe. */
			for (size_t i = 0; i < sizeof rnd; i++)
				rnd[i] = (unsigned char)(getpid() + attempt * 7 +
				    (int)i * 13);
		}
		for (size_t i = 0; i < sizeof rnd; i++)
			suffix[i] = digits[rnd[i] % (sizeof digits - 1)];
		suffix[6] = '\0';
		free(*tmp);
		*tmp = xasprintf("%s/.%s.%s", dir, base_of(path), suffix);
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		ferr(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		free(*tmp);
		*tmp = NULL;
	}
	free(dir);
	return fd;
}

/*
 * Give the temporary file fd the permissions: mode when >= 0, else those
 * of the file it replaces (described by old, NULL when there is none).
 */
static int
set_mode(int fd, int mode, const struct stat *old)
{
	if (mode >= 0)
		return fchmod(fd, (mode_t)mode & 07777);
	if (old == NULL)
		return 0;
	/* Keep the owner when we may (as root); failing that is harmless. */
	if (fchown(fd, old->st_uid, old->st_gid) != 0 && errno != EPERM)
		return -1;
	return fchmod(fd, old->st_mode & 07777);
}

/*
 * The shared body of write and append: a temporary file receives the old
 * contents (when append and the file exists) and then data, and replaces
 * path.
 */
static int
replace(const char *path, const void *data, size_t len, int mode, int append,
    char *err, size_t errlen)
{
	struct stat st, *old = NULL;
	char *tmp = NULL, *real = NULL;
	int fd = -1, in = -1, rc;

	/* Through a symbolic link, replace the file it points to, so that the
	 * link survives (a dangling link is replaced itself). */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    (real = realpath(path, NULL)) != NULL) {
		rc = replace(real, data, len, mode, append, err, errlen);
		free(real);
		return rc;
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return ferr(err, errlen, "cannot write '%s': %s", path,
			    strerror(errno));
		}
		old = &st;
	}
	if (append && old != NULL &&
	    (in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ferr(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
	if ((fd = temp_open(path, &tmp, err, errlen)) < 0)
		goto fail;
	if (set_mode(fd, mode, old) != 0) {
		ferr(err, errlen, "cannot set the mode of '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	if (in >= 0 && copy_fd(in, fd) != 0) {
		ferr(err, errlen, "cannot copy '%s' for appending: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		ferr(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		ferr(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		ferr(err, errlen, "cannot replace '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	free(tmp);
	if (in >= 0)
		close(in);
	return sync_dir_of(path, err, errlen);
fail:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return -1;
}

int
fsutil_write_atomic(const char *path, const void *data, size_t len, int mode,
    char *err, size_t errlen)
{
	return replace(path, data, len, mode, 0, err, errlen);
}

int
fsutil_append_atomic(const char *path, const void *data, size_t len, int mode,
    char *err, size_t errlen)
{
	return replace(path, data, len, mode, 1, err, errlen);
}

/*
 * Read what fd holds, up to cap bytes, into a new NUL-terminated buffer;
 * size_hint is the file's size when known.  path is for messages.
 */
static int
read_fd(int fd, const char *path, size_t cap, size_t size_hint, char **data,
    size_t *len, char *err, size_t errlen)
{
	size_t size, used = 0;
	char *p;

	size = size_hint > 0 && size_hint < cap ? size_hint + 2 : 65536;
	p = xmalloc(size);
	while (used <= cap) {
		ssize_t n;

		if (used + 1 == size) {
			size *= 2;
			p = xrealloc(p, size);
		}
		n = read(fd, p + used, size - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ferr(err, errlen, "cannot read '%s': %s", path,
			    strerror(errno));
			free(p);
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > cap) {
		free(p);
		return ferr(err, errlen, "cannot read '%s': larger than %zu "
		    "bytes", path, cap);
	}
	p[used] = '\0';
	*data = p;
	*len = used;
	return 0;
}

int
fsutil_read(const char *path, size_t cap, char **data, size_t *len,
    char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	*data = NULL;
	if (cap == 0)
		cap = FSUTIL_READ_CAP;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ferr(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
	if (fstat(fd, &st) != 0) {
		ferr(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return ferr(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
	}
	rc = read_fd(fd, path, cap, S_ISREG(st.st_mode) ?
	    (size_t)st.st_size : 0, data, len, err, errlen);
	close(fd);
	return rc;
}

/* Whether the resolved path real lies inside the resolved directory dir. */
static int
is_under(const char *real, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(real, dir, n) == 0 && (real[n] == '/' ||
	    real[n] == '\0');
}

int
fsutil_read_under(const char *root, const char *rel, size_t cap, char **data,
    size_t *len, char *err, size_t errlen)
{
	char *rroot = NULL, *path = NULL, *real = NULL;
	struct stat st, fst;
	int fd = -1, rc = -1;

	*data = NULL;
	if (cap == 0)
		cap = FSUTIL_READ_CAP;
	if (rel[0] == '/') {
		ferr(err, errlen, "'%s' is not a path relative to '%s'", rel,
		    root);
		goto out;
	}
	if ((rroot = realpath(root, NULL)) == NULL) {
		ferr(err, errlen, "cannot open '%s': %s", root,
		    strerror(errno));
		goto out;
	}
	path = xasprintf("%s/%s", rroot, rel);
	if ((real = realpath(path, NULL)) == NULL) {
		ferr(err, errlen, "cannot open '%s': %s", rel,
		    strerror(errno));
		goto out;
	}
	if (!is_under(real, rroot) || strcmp(real, rroot) == 0) {
		ferr(err, errlen, "'%s' is outside '%s'", rel, root);
		goto out;
	}
	/* Look before opening: opening a device or a FIFO can block or act. */
	if (stat(real, &st) != 0) {
		ferr(err, errlen, "cannot open '%s': %s", rel,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ferr(err, errlen, "'%s' is not a regular file", rel);
		goto out;
	}
	if ((uint64_t)st.st_size > cap) {
		ferr(err, errlen, "cannot read '%s': larger than %zu bytes",
		    rel, cap);
		goto out;
	}
	fd = open(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &fst) != 0) {
		ferr(err, errlen, "cannot open '%s': %s", rel,
		    strerror(errno));
		goto out;
	}
	/* Swapped since we looked: refuse rather than guess. */
	if (!S_ISREG(fst.st_mode) || fst.st_ino != st.st_ino ||
	    fst.st_dev != st.st_dev) {
		ferr(err, errlen, "'%s' changed while being opened", rel);
		goto out;
	}
	rc = read_fd(fd, rel, cap, (size_t)fst.st_size, data, len, err,
	    errlen);
out:
	if (fd >= 0)
		close(fd);
	free(real);
	free(path);
	free(rroot);
	return rc;
}

/* Create one directory; an existing directory is fine. */
static int
mkdir_one(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0777) == 0)
		return 0;
	if (errno == EEXIST) {
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		return ferr(err, errlen, "cannot create directory '%s': it "
		    "exists and is not a directory", path);
	}
	return ferr(err, errlen, "cannot create directory '%s': %s", path,
	    strerror(errno));
}

int
fsutil_mkdir_p(const char *path, char *err, size_t errlen)
{
	char *copy;
	int rc = 0;

	if (path[0] == '\0')
		return ferr(err, errlen, "cannot create a directory with an "
		    "empty name");
	copy = xstrdup(path);
	/* Each prefix that ends before a slash, then the whole path. */
	for (char *p = copy + 1; *p != '\0' && rc == 0; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		rc = mkdir_one(copy, err, errlen);
		*p = '/';
	}
	if (rc == 0)
		rc = mkdir_one(copy, err, errlen);
	free(copy);
	return rc;
}

int
fsutil_mkdir_parent(const char *path, char *err, size_t errlen)
{
	char *dir;
	struct stat st;
	int rc = 0;

	if (strchr(path, '/') == NULL)
		return 0;
	dir = dir_of(path);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = fsutil_mkdir_p(dir, err, errlen);
	free(dir);
	return rc;
}

/*
 * Put the finished temporary file tmp in place at to.  Without overwrite
 * an existing to must survive: renameat2(RENAME_NOREPLACE) where the
 * filesystem supports it, else link(2), which fails on an existing name.
 */
static int
install(const char *tmp, const char *to, int overwrite, char *err,
    size_t errlen)
{
	if (overwrite) {
		if (rename(tmp, to) == 0)
			return 0;
		return ferr(err, errlen, "cannot replace '%s': %s", to,
		    strerror(errno));
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return ferr(err, errlen, "'%s' already exists (set overwrite "
		    "to replace it)", to);
	if (errno != EINVAL && errno != ENOSYS)
		return ferr(err, errlen, "cannot create '%s': %s", to,
		    strerror(errno));
	if (link(tmp, to) == 0) {
		unlink(tmp);
		return 0;
	}
	if (errno == EEXIST)
		return ferr(err, errlen, "'%s' already exists (set overwrite "
		    "to replace it)", to);
	return ferr(err, errlen, "cannot create '%s': %s", to,
	    strerror(errno));
}

int
fsutil_copy(const char *from, const char *to, int overwrite, char *err,
    size_t errlen)
{
	struct stat st, tst;
	char *tmp = NULL;
	int in, out = -1;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return ferr(err, errlen, "cannot open '%s': %s", from,
		    strerror(errno));
	if (fstat(in, &st) != 0) {
		ferr(err, errlen, "cannot read '%s': %s", from,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ferr(err, errlen, "cannot copy '%s': not a regular file", from);
		goto fail;
	}
	if (stat(to, &tst) == 0) {
		if (tst.st_dev == st.st_dev && tst.st_ino == st.st_ino) {
			ferr(err, errlen, "cannot copy '%s' to itself", from);
			goto fail;
		}
		if (!overwrite) {
			ferr(err, errlen, "'%s' already exists (set overwrite "
			    "to replace it)", to);
			goto fail;
		}
	}
	if ((out = temp_open(to, &tmp, err, errlen)) < 0)
		goto fail;
	if (fchmod(out, st.st_mode & 07777) != 0 || copy_fd(in, out) != 0 ||
	    fsync(out) != 0) {
		ferr(err, errlen, "cannot copy '%s' to '%s': %s", from, to,
		    strerror(errno));
		goto fail;
	}
	if (close(out) != 0) {
		out = -1;
		ferr(err, errlen, "cannot copy '%s' to '%s': %s", from, to,
		    strerror(errno));
		goto fail;
	}
	out = -1;
	if (install(tmp, to, overwrite, err, errlen) != 0)
		goto fail;
	free(tmp);
	close(in);
	return sync_dir_of(to, err, errlen);
fail:
	if (out >= 0)
		close(out);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	close(in);
	return -1;
}

int
fsutil_move(const char *from, const char *to, int overwrite, char *err,
    size_t errlen)
{
	struct stat st;
	int rc;

	if (lstat(from, &st) != 0)
		return ferr(err, errlen, "cannot move '%s': %s", from,
		    strerror(errno));
	if (overwrite)
		rc = rename(from, to);
	else {
		rc = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
		if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* No RENAME_NOREPLACE here: check, then rename.  A
			 * racing creator of to could still lose its file. */
			struct stat tst;

			if (lstat(to, &tst) == 0)
				errno = EEXIST;
			else
				rc = rename(from, to);
		}
	}
	if (rc == 0)
		return sync_dir_of(to, err, errlen) != 0 ||
		    sync_dir_of(from, err, errlen) != 0 ? -1 : 0;
	if (errno == EEXIST && !overwrite)
		return ferr(err, errlen, "'%s' already exists (set overwrite "
		    "to replace it)", to);
	if (errno != EXDEV)
		return ferr(err, errlen, "cannot move '%s' to '%s': %s", from,
		    to, strerror(errno));
	/* Another filesystem: copy durably, then remove the original. */
	if (!S_ISREG(st.st_mode))
		return ferr(err, errlen, "cannot move '%s' to '%s': only "
		    "regular files can move to another filesystem", from, to);
	if (fsutil_copy(from, to, overwrite, err, errlen) != 0)
		return -1;
	if (unlink(from) != 0)
		return ferr(err, errlen, "copied '%s' to '%s' but cannot "
		    "remove the original: %s", from, to, strerror(errno));
	return sync_dir_of(from, err, errlen);
}

char *
fsutil_path_clean(const char *path)
{
	size_t n = strlen(path), o = 0, len, keep;
	char *out = xmalloc(n + 2), *slash;
	const char *seg = path, *end;
	int abs = path[0] == '/';

	/* The output never grows past the input (but for "."). */
	if (abs)
		out[o++] = '/';
	out[o] = '\0';
	keep = o;
	while (*seg != '\0') {
		end = strchr(seg, '/');
		len = end ? (size_t)(end - seg) : strlen(seg);
		if (len == 0 || (len == 1 && seg[0] == '.')) {
			/* nothing */
		} else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (o > keep) {
				/* Back over the last segment. */
				slash = strrchr(out + keep, '/');
				o = slash ? (size_t)(slash - out) : keep;
				out[o] = '\0';
			} else if (!abs) {
				/* A ".." that cannot go back stays. */
				memcpy(out + o, o > 0 ? "/.." : "..", o > 0 ?
				    3 : 2);
				o += o > 0 ? 3 : 2;
				out[o] = '\0';
				keep = o;
			}
		} else {
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			memcpy(out + o, seg, len);
			o += len;
			out[o] = '\0';
		}
		seg += len + (end != NULL);
	}
	if (o == 0) {
		out[o++] = '.';
		out[o] = '\0';
	}
	return out;
}

int
fsutil_path_within(const char *path, const char *root)
{
	char *p = fsutil_path_clean(path), *r = fsutil_path_clean(root);
	size_t n = strlen(r);
	int yes;

	if ((p[0] == '/') != (r[0] == '/'))
		yes = 0;
	else if (strcmp(r, "/") == 0 || strcmp(p, r) == 0)
		yes = 1;
	else if (strcmp(r, ".") == 0)
		yes = strcmp(p, "..") != 0 && strncmp(p, "../", 3) != 0;
	else
		yes = strncmp(p, r, n) == 0 && p[n] == '/';
	free(p);
	free(r);
	return yes;
}

/* --- a file written in pieces ------------------------------------------- */

int
fsutil_stage_open(struct fsutil_stage *sg, const char *path, char *err,
    size_t errlen)
{
	struct stat st;

	memset(sg, 0, sizeof *sg);
	sg->fd = -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return ferr(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
	}
	if ((sg->fd = temp_open(path, &sg->tmp, err, errlen)) < 0)
		return -1;
	if (set_mode(sg->fd, -1, stat(path, &st) == 0 ? &st : NULL) != 0) {
		ferr(err, errlen, "cannot set the mode of '%s': %s", path,
		    strerror(errno));
		fsutil_stage_abort(sg);
		return -1;
	}
	sg->path = xstrdup(path);
	return 0;
}

int
fsutil_stage_write(struct fsutil_stage *sg, const void *data, size_t len,
    char *err, size_t errlen)
{
	if (write_all(sg->fd, data, len) != 0)
		return ferr(err, errlen, "cannot write '%s': %s", sg->path,
		    strerror(errno));
	return 0;
}

int
fsutil_stage_commit(struct fsutil_stage *sg, char *err, size_t errlen)
{
	int rc;

	if (fsync(sg->fd) != 0 || close(sg->fd) != 0) {
		sg->fd = -1;
		ferr(err, errlen, "cannot write '%s': %s", sg->path,
		    strerror(errno));
		fsutil_stage_abort(sg);
		return -1;
	}
	sg->fd = -1;
	if (rename(sg->tmp, sg->path) != 0) {
		ferr(err, errlen, "cannot replace '%s': %s", sg->path,
		    strerror(errno));
		fsutil_stage_abort(sg);
		return -1;
	}
	rc = sync_dir_of(sg->path, err, errlen);
	free(sg->tmp);
	free(sg->path);
	sg->tmp = sg->path = NULL;
	return rc;
}

void
fsutil_stage_abort(struct fsutil_stage *sg)
{
	if (sg->fd >= 0)
		close(sg->fd);
	sg->fd = -1;
	if (sg->tmp != NULL)
		unlink(sg->tmp);
	free(sg->tmp);
	free(sg->path);
	sg->tmp = sg->path = NULL;
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

int
fsutil_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const struct {
	const char	*ext;
	const char	*type;
} content_types[] = {
	{ ".png", "image/png" }, { ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" }, { ".tif", "image/tiff" },
	{ ".tiff", "image/tiff" }, { ".pdf", "application/pdf" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".log", "text/plain; charset=utf-8" },
	{ ".csv", "text/csv; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".html", "text/html; charset=utf-8" },
};

const char *
fsutil_content_type(const char *name)
{
	size_t i, n = strlen(name), e;

	for (i = 0; i < sizeof content_types / sizeof content_types[0]; i++) {
		e = strlen(content_types[i].ext);
		if (n > e && strcasecmp(name + n - e, content_types[i].ext) == 0)
			return content_types[i].type;
	}
	return "application/octet-stream";
}

char *
fsutil_safe_name(const char *path, size_t max)
{
	const char *base = strrchr(path, '/');
	char *name = xstrdup(base ? base + 1 : path), *p;

	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			*p = '_';
	if (name[0] == '.')
		name[0] = '_';
	if (strlen(name) > max)
		name[max] = '\0';
	return name;
}
