/*
 * fsutil.h - file operations that never leave a half-written file.
 *
 * Every write goes to a temporary file in the target's own directory
 * (".NAME.XXXXXX", hidden so that globs do not pick it up), is flushed to
 * disk with fsync, and is renamed over the target, after which the
 * directory itself is synced.  A reader therefore sees the old contents or
 * the new, never a mixture, and a crash leaves at worst a stray temporary
 * file, never a truncated target.  On any failure the temporary file is
 * removed before returning.
 *
 * All functions return 0, or -1 with a message in err (errlen bytes) that
 * says what failed and quotes the path ("cannot open 'in/x.csv': No such
 * file or directory").  Paths are used as given (relative to the working
 * directory when relative).
 */
#ifndef KOBITO_FSUTIL_H
#define KOBITO_FSUTIL_H

#include <stddef.h>

/* Largest file fsutil_read loads when cap is 0. */
#define FSUTIL_READ_CAP	(256u * 1024 * 1024)

/*
 * Read the whole file at path into a new NUL-terminated buffer *data (the
 * caller frees it; the terminator is not counted in *len).  A file longer
 * than cap bytes (0: FSUTIL_READ_CAP) is an error.
 */
int	fsutil_read(const char *path, size_t cap, char **data, size_t *len,
	    char *err, size_t errlen);
/*
 * As fsutil_read, for the file rel (a relative path) inside the directory
 * root, when it is a regular file of at most cap bytes: a path that leaves
 * root (by "..", or by a symbolic link that points out) is refused, and so
 * is a FIFO, a device or a directory, before it is opened.  Messages name
 * rel, never what the file holds.
 */
int	fsutil_read_under(const char *root, const char *rel, size_t cap,
	    char **data, size_t *len, char *err, size_t errlen);

/*
 * Replace path with len bytes of data, atomically.  mode < 0 keeps the
 * permissions (and, when allowed, the owner) of the file being replaced,
 * or gives a new file 0666 less the umask; mode >= 0 sets exactly those
 * permission bits.  The parent directory must exist.
 */
int	fsutil_write_atomic(const char *path, const void *data, size_t len,
	    int mode, char *err, size_t errlen);
/*
 * Append len bytes to path, atomically: the old contents and the new bytes
 * are written to a temporary file that replaces path, so a failure leaves
 * the file as it was.  A missing file is created.  mode as above.
 */
int	fsutil_append_atomic(const char *path, const void *data, size_t len,
	    int mode, char *err, size_t errlen);

/*
 * path with "." and empty segments removed and each ".." taking away the
 * segment before it, by the text alone (links are not looked at): "/a"
 * stays absolute, ".." at the root is dropped, a relative path keeps the
 * ".." it cannot resolve ("a/../../b" is "../b"), and nothing left is ".".
 * Caller frees.
 */
char	*fsutil_path_clean(const char *path);
/*
 * Whether the cleaned path is root or lies under it, by the text alone; an
 * absolute path is never under a relative root, nor the other way round.
 */
int	 fsutil_path_within(const char *path, const char *root);

/* mkdir -p: create path and its missing parents (0777 less the umask). */
int	fsutil_mkdir_p(const char *path, char *err, size_t errlen);
/* Create the missing parents of path (not path itself). */
int	fsutil_mkdir_parent(const char *path, char *err, size_t errlen);

/*
 * Copy the regular file from to to, atomically, keeping its permission
 * bits.  When overwrite is 0 an existing to is an error and is never
 * replaced, not even by a racing writer.
 */
int	fsutil_copy(const char *from, const char *to, int overwrite,
	    char *err, size_t errlen);
/*
 * Move from to to: rename(2) when both are on one filesystem (files and
 * directories), else copy, fsync and unlink (regular files only).
 * overwrite as for fsutil_copy.
 */
int	fsutil_move(const char *from, const char *to, int overwrite,
	    char *err, size_t errlen);
/*
 * rm -r: remove path and everything below it, never following symbolic
 * links.  A missing path is not an error.  0, or -1 with errno.
 */
int	fsutil_remove_tree(const char *path);

/*
 * A file written in pieces and put in place at the end, for a writer that
 * streams: open makes the temporary file beside path; write appends to
 * it; commit syncs it and renames it over path, so that the file appears
 * whole or not at all; abort (also after a failed commit, which does it
 * itself) removes it and leaves path as it was.
 */
struct fsutil_stage {
	int	 fd;		/* -1 once committed or aborted */
	char	*path;
	char	*tmp;
};

int	fsutil_stage_open(struct fsutil_stage *, const char *path, char *err,
	    size_t errlen);
int	fsutil_stage_write(struct fsutil_stage *, const void *data,
	    size_t len, char *err, size_t errlen);
int	fsutil_stage_commit(struct fsutil_stage *, char *err, size_t errlen);
void	fsutil_stage_abort(struct fsutil_stage *);

/*
 * The MIME type of a file by the extension of its name ("image/png";
 * text types with "; charset=utf-8"), "application/octet-stream" when
 * the extension is not known.  A static string.
 */
const char *fsutil_content_type(const char *name);
/*
 * The last part of path as a name safe to store and to serve: bytes other
 * than A-Z a-z 0-9 . _ - become '_', and a leading dot too; at most max
 * bytes.  A new string the caller frees.
 */
char	*fsutil_safe_name(const char *path, size_t max);

#endif
