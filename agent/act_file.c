/*
 * act_file.c - the file.* actions: read, write, list, move, copy, delete,
 * exists, mkdir.
 *
 * Writes go through fsutil, so a failed or interrupted step never leaves a
 * half-written file; text goes through charset, so Shift_JIS files are
 * read and written as scripts see them, in UTF-8.  In a dry run the
 * actions with side effects log what they would do, do nothing, and still
 * produce the output they would have (so later steps can be checked).
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "action.h"
#include "buf.h"
#include "charset.h"
#include "fsutil.h"
#include "timeutil.h"
#include "xmalloc.h"

/* file.list refuses to build a list larger than this. */
#define LIST_MAX	100000

static int
check_encoding(struct act *a, const char *enc)
{
	if (charset_known(enc))
		return 0;
	return act_fail(a, "unknown encoding '%s' (use utf-8, utf-8-bom, "
	    "shift_jis, cp932, euc-jp or auto)", enc);
}

static int
do_read(struct act *a)
{
	const char *path = act_str(a, "path", "");
	const char *enc = act_str(a, "encoding", "utf-8");
	char err[512], *data, *text;
	size_t len, tlen;

	if (check_encoding(a, enc) != 0)
		return -1;
	if (fsutil_read(path, 0, &data, &len, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	if (charset_decode(enc, data, len, &text, &tlen, err, sizeof err) !=
	    0) {
		free(data);
		return act_fail(a, "cannot read '%s' as %s: %s", path, enc,
		    err);
	}
	free(data);
	a->out = json_stringn(text, tlen);
	free(text);
	if (a->out == NULL)
		return act_fail(a, "cannot read '%s': the text is not valid "
		    "UTF-8", path);
	return 0;
}

/* The text a value stands for in a file: strings as they are, numbers
 * and booleans as written, lists and mappings as indented JSON. */
static char *
content_text(json_t *v, size_t *len)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		s = xmalloc(*len + 1);
		memcpy(s, json_string_value(v), *len + 1);
		return s;
	case JSON_NULL:
		*len = 0;
		return xstrdup("");
	case JSON_OBJECT:
	case JSON_ARRAY:
		s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s == NULL)
			s = xstrdup("");
		else {
			char *t = xasprintf("%s\n", s);

			free(s);
			s = t;
		}
		*len = strlen(s);
		return s;
	default:
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
		if (s == NULL)
			s = xstrdup("");
		*len = strlen(s);
		return s;
	}
}

/* Parse an octal permission string ("0640", "640"); -1 when invalid. */
static int
parse_mode(const char *s)
{
	char *end;
	long m;

	if (*s == '\0')
		return -1;
	errno = 0;
	m = strtol(s, &end, 8);
	if (errno != 0 || *end != '\0' || m < 0 || m > 07777)
		return -1;
	return (int)m;
}

static int
do_write(struct act *a)
{
	const char *path = act_str(a, "path", "");
	const char *enc = act_str(a, "encoding", "utf-8");
	const char *modestr = act_str(a, "mode", NULL);
	int append = act_bool(a, "append", 0), mode = -1, rc;
	char err[512], *text, *bytes;
	size_t tlen, blen, off;
	struct stat st;

	if (strcasecmp(enc, "auto") == 0)
		return act_fail(a, "encoding 'auto' is for reading; name the "
		    "encoding to write");
	if (check_encoding(a, enc) != 0)
		return -1;
	if (modestr != NULL && (mode = parse_mode(modestr)) < 0)
		return act_fail(a, "mode must be octal permissions such as "
		    "\"0644\", not '%s'", modestr);
	text = content_text(act_arg(a, "content"), &tlen);
	rc = charset_encode(enc, text, tlen, &bytes, &blen, &off, err,
	    sizeof err);
	free(text);
	if (rc != 0)
		return act_fail(a, "cannot write '%s' in %s: %s", path, enc,
		    err);
	/* Appending to a file that has its byte order mark already. */
	if (append && blen >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0 &&
	    stat(path, &st) == 0 && st.st_size > 0) {
		memmove(bytes, bytes + 3, blen - 3);
		blen -= 3;
	}
	a->out = json_pack("{s:s, s:I}", "path", path, "bytes",
	    (json_int_t)blen);
	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s %zu bytes to '%s'",
		    append ? "append" : "write", blen, path);
		free(bytes);
		return 0;
	}
	if (fsutil_mkdir_parent(path, err, sizeof err) != 0 ||
	    (append ? fsutil_append_atomic : fsutil_write_atomic)(path, bytes,
	    blen, mode, err, sizeof err) != 0) {
		free(bytes);
		return act_fail(a, "%s", err);
	}
	free(bytes);
	return 0;
}

/* --- file.list: a glob walker that understands ** ------------------------ */

enum want { WANT_FILE, WANT_DIR, WANT_ANY };

struct lister {
	char		**paths;
	size_t		  n, alloc;
	enum want	  want;
	char		  err[512];
};

static char *
join(const char *base, const char *name)
{
	if (*base == '\0')
		return xstrdup(name);
	if (strcmp(base, "/") == 0)
		return xasprintf("/%s", name);
	return xasprintf("%s/%s", base, name);
}

static int
has_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
add_match(struct lister *l, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;
	if ((l->want == WANT_FILE && !S_ISREG(st.st_mode)) ||
	    (l->want == WANT_DIR && !S_ISDIR(st.st_mode)))
		return 0;
	if (l->n == LIST_MAX) {
		snprintf(l->err, sizeof l->err, "the pattern matches more "
		    "than %d paths", LIST_MAX);
		return -1;
	}
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		l->paths = xreallocarray(l->paths, l->alloc, sizeof *l->paths);
	}
	l->paths[l->n++] = xstrdup(path);
	return 0;
}

/* The names in directory dir ("" is the working directory), sorted;
 * NULL with l->err set on an error other than a missing directory. */
static char **
read_names(struct lister *l, const char *dir, size_t *count)
{
	const char *d = *dir ? dir : ".";
	struct dirent **ents;
	char **names;
	int n;

	*count = 0;
	if ((n = scandir(d, &ents, NULL, alphasort)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return xcalloc(1, sizeof *names);
		snprintf(l->err, sizeof l->err, "cannot list directory '%s': "
		    "%s", d, strerror(errno));
		return NULL;
	}
	names = xcalloc((size_t)n + 1, sizeof *names);
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0)
			names[(*count)++] = xstrdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return names;
}

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Match parts[i..] below base. */
static int
walk(struct lister *l, const char *base, char **parts, size_t nparts,
    size_t i)
{
	char **names, *next;
	size_t n;
	int rc = 0;

	if (i == nparts)
		return *base ? add_match(l, base) : 0;
	if (strcmp(parts[i], "**") == 0) {
		/* Zero directories, then each visible subdirectory (links to
		 * directories are not followed, so there are no loops). */
		if (walk(l, base, parts, nparts, i + 1) != 0)
			return -1;
		if ((names = read_names(l, base, &n)) == NULL)
			return -1;
		for (size_t k = 0; k < n && rc == 0; k++) {
			struct stat st;

			if (names[k][0] == '.')
				continue;
			next = join(base, names[k]);
			if (lstat(next, &st) == 0 && S_ISDIR(st.st_mode))
				rc = walk(l, next, parts, nparts, i);
			free(next);
		}
		free_names(names, n);
		return rc;
	}
	if (!has_magic(parts[i])) {
		next = join(base, parts[i]);
		if (i + 1 == nparts || is_dir(next))
			rc = walk(l, next, parts, nparts, i + 1);
		free(next);
		return rc;
	}
	if ((names = read_names(l, base, &n)) == NULL)
		return -1;
	for (size_t k = 0; k < n && rc == 0; k++) {
		if (fnmatch(parts[i], names[k], FNM_PERIOD) != 0)
			continue;
		next = join(base, names[k]);
		if (i + 1 == nparts || is_dir(next))
			rc = walk(l, next, parts, nparts, i + 1);
		free(next);
	}
	free_names(names, n);
	return rc;
}

static int
cmp_path(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static json_t *
describe_path(const char *path)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	char when[40];

	if (stat(path, &st) != 0)
		return NULL;
	time_iso_local((int64_t)st.st_mtim.tv_sec * 1000 +
	    st.st_mtim.tv_nsec / 1000000, when, sizeof when);
	return json_pack("{s:s, s:s, s:s, s:I, s:s}",
	    "path", path,
	    "name", slash && slash[1] ? slash + 1 : path,
	    "type", S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ?
	    "file" : "other",
	    "size", (json_int_t)st.st_size,
	    "mtime", when);
}

static const struct {
	const char	*name;
	enum want	 want;
} wants[] = {
	{ "file", WANT_FILE },
	{ "dir", WANT_DIR },
	{ "any", WANT_ANY },
	{ NULL, WANT_ANY },
};

static int
do_list(struct act *a)
{
	const char *pattern = act_str(a, "pattern", "");
	const char *type = act_str(a, "type", "file");
	struct lister l;
	char *copy, **parts, *p;
	size_t nparts = 0;
	json_t *list;
	int rc, k;

	memset(&l, 0, sizeof l);
	for (k = 0; wants[k].name != NULL; k++)
		if (strcmp(wants[k].name, type) == 0)
			break;
	if (wants[k].name == NULL)
		return act_fail(a, "type must be file, dir or any, not '%s'",
		    type);
	l.want = wants[k].want;
	if (*pattern == '\0')
		return act_fail(a, "pattern must not be empty");
	/* Split at slashes; a trailing ** means everything below. */
	copy = xstrdup(pattern);
	parts = xcalloc(strlen(pattern) + 2, sizeof *parts);
	for (p = copy; *p != '\0'; ) {
		char *slash = strchr(p, '/');

		if (slash != NULL)
			*slash = '\0';
		if (*p != '\0')
			parts[nparts++] = p;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (nparts > 0 && strcmp(parts[nparts - 1], "**") == 0)
		parts[nparts++] = "*";
	rc = walk(&l, pattern[0] == '/' ? "/" : "", parts, nparts, 0);
	if (rc == 0 && nparts == 0)
		rc = add_match(&l, "/");
	free(parts);
	free(copy);
	if (rc != 0) {
		act_fail(a, "%s", l.err);
		free_names(l.paths, l.n);
		return -1;
	}
	if (l.n > 1)	/* no matches: no array to sort (NULL) */
		qsort(l.paths, l.n, sizeof *l.paths, cmp_path);
	list = json_array();
	for (size_t i = 0; i < l.n; i++) {
		json_t *e;

		/* With ** twice a path can be found twice; keep it once. */
		if (i > 0 && strcmp(l.paths[i], l.paths[i - 1]) == 0)
			continue;
		if ((e = describe_path(l.paths[i])) != NULL)
			json_array_append_new(list, e);
	}
	free_names(l.paths, l.n);
	a->out = list;
	return 0;
}

/* --- move, copy, delete, exists, mkdir ------------------------------------ */

/* The destination: inside to when to is a directory or ends in a slash. */
static char *
destination(const char *from, const char *to)
{
	size_t n = strlen(to);
	const char *base = strrchr(from, '/');

	base = base ? base + 1 : from;
	if (n > 0 && to[n - 1] == '/')
		return xasprintf("%s%s", to, base);
	if (is_dir(to) && !is_dir(from))
		return xasprintf("%s/%s", to, base);
	return xstrdup(to);
}

typedef int (*transfer_fn)(const char *, const char *, int, char *, size_t);

static const struct {
	const char	*action;
	const char	*verb;
	transfer_fn	 fn;
} transfers[] = {
	{ "file.move", "move", fsutil_move },
	{ "file.copy", "copy", fsutil_copy },
	{ NULL, NULL, NULL },
};

/* file.move and file.copy differ only in the fsutil function. */
static int
do_transfer(struct act *a)
{
	const char *from = act_str(a, "from", ""), *to = act_str(a, "to", "");
	int overwrite = act_bool(a, "overwrite", 0), k;
	char err[512], *dest;

	for (k = 0; transfers[k].action != NULL; k++)
		if (strcmp(transfers[k].action, a->action->name) == 0)
			break;
	if (transfers[k].action == NULL)
		return act_fail(a, "no transfer named '%s'", a->action->name);
	if (*from == '\0' || *to == '\0')
		return act_fail(a, "from and to must not be empty");
	dest = destination(from, to);
	a->out = json_pack("{s:s, s:s}", "from", from, "to", dest);
	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s '%s' to '%s'%s", transfers[k].verb,
		    from, dest, overwrite ? " (overwriting)" : "");
		free(dest);
		return 0;
	}
	if (fsutil_mkdir_parent(dest, err, sizeof err) != 0 ||
	    transfers[k].fn(from, dest, overwrite, err, sizeof err) != 0) {
		free(dest);
		return act_fail(a, "%s", err);
	}
	free(dest);
	return 0;
}

static int
do_delete(struct act *a)
{
	const char *path = act_str(a, "path", "");
	int missing_ok = act_bool(a, "missing_ok", 0);
	struct stat st;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would delete '%s'", path);
		a->out = json_pack("{s:s, s:b}", "path", path, "deleted", 0);
		return 0;
	}
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT && missing_ok) {
			a->out = json_pack("{s:s, s:b}", "path", path,
			    "deleted", 0);
			return 0;
		}
		return act_fail(a, "cannot delete '%s': %s%s", path,
		    strerror(errno), errno == ENOENT ? " (set missing_ok to "
		    "allow this)" : "");
	}
	if (S_ISDIR(st.st_mode) ? rmdir(path) != 0 : unlink(path) != 0)
		return act_fail(a, "cannot delete %s'%s': %s",
		    S_ISDIR(st.st_mode) ? "directory " : "", path,
		    strerror(errno));
	a->out = json_pack("{s:s, s:b}", "path", path, "deleted", 1);
	return 0;
}

static int
do_exists(struct act *a)
{
	const char *path = act_str(a, "path", "");
	struct stat st;

	if (stat(path, &st) == 0) {
		a->out = json_true();
		return 0;
	}
	if (errno == ENOENT || errno == ENOTDIR) {
		a->out = json_false();
		return 0;
	}
	return act_fail(a, "cannot check '%s': %s", path, strerror(errno));
}

static int
do_mkdir(struct act *a)
{
	const char *path = act_str(a, "path", "");
	char err[512];

	a->out = json_pack("{s:s}", "path", path);
	if (act_dry_run(a)) {
		act_log(a, "dry run: would create directory '%s'", path);
		return 0;
	}
	if (fsutil_mkdir_p(path, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	return 0;
}

static const struct action_arg read_args[] = {
	{ "path", ARG_PATH_READ, 1, "the file to read" },
	{ "encoding", ARG_STRING, 0,
	    "utf-8 (default), shift_jis, cp932, euc-jp or auto" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg write_args[] = {
	{ "path", ARG_PATH_WRITE, 1,
	    "the file to write (parents are created)" },
	{ "content", ARG_ANY, 1,
	    "the text; lists and mappings are written as JSON" },
	{ "encoding", ARG_STRING, 0,
	    "utf-8 (default), utf-8-bom, shift_jis, cp932 or euc-jp" },
	{ "append", ARG_BOOL, 0, "add to the end instead of replacing" },
	{ "mode", ARG_STRING, 0, "octal permissions such as \"0644\"" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg list_args[] = {
	{ "pattern", ARG_GLOB, 1,
	    "a glob such as in/*.csv; ** matches any depth" },
	{ "type", ARG_STRING, 0, "file (default), dir or any" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg transfer_args[] = {
	{ "from", ARG_PATH_READ, 1, "the source path" },
	{ "to", ARG_PATH_WRITE, 1,
	    "the destination; a directory or a trailing / keeps the name" },
	{ "overwrite", ARG_BOOL, 0,
	    "replace an existing destination (default false)" },
	{ NULL, 0, 0, NULL },
};

/* A move takes the source away: it writes there too. */
static const struct action_arg move_args[] = {
	{ "from", ARG_PATH_WRITE, 1, "the source path" },
	{ "to", ARG_PATH_WRITE, 1,
	    "the destination; a directory or a trailing / keeps the name" },
	{ "overwrite", ARG_BOOL, 0,
	    "replace an existing destination (default false)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg delete_args[] = {
	{ "path", ARG_PATH_WRITE, 1,
	    "the file or empty directory to delete" },
	{ "missing_ok", ARG_BOOL, 0,
	    "succeed when it does not exist (default false)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg exists_args[] = {
	{ "path", ARG_PATH_READ, 1, "the path" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg path_args[] = {
	{ "path", ARG_PATH_WRITE, 1, "the path" },
	{ NULL, 0, 0, NULL },
};

static const struct action_out write_out[] = {
	{ "path", ARG_STRING, "the file written" },
	{ "bytes", ARG_INT, "its size in bytes" },
	{ NULL, 0, NULL },
};

static const struct action_out transfer_out[] = {
	{ "from", ARG_STRING, "the source path" },
	{ "to", ARG_STRING, "the path it went to" },
	{ NULL, 0, NULL },
};

static const struct action_out delete_out[] = {
	{ "path", ARG_STRING, "the path" },
	{ "deleted", ARG_BOOL, "false when there was nothing to delete" },
	{ NULL, 0, NULL },
};

static const struct action_out path_out[] = {
	{ "path", ARG_STRING, "the directory" },
	{ NULL, 0, NULL },
};

const struct action file_actions[] = {
	{ "file.read", "read a text file, converting it to UTF-8", read_args,
	    do_read, ACTION_SCALAR, NULL, ARG_STRING, NULL, ACTION_DRY_READ },
	{ "file.write", "write a text file atomically (temp file + rename)",
	    write_args, do_write, 0, NULL, ARG_MAP, write_out,
	    ACTION_DRY_SELF },
	{ "file.list", "list the paths matching a glob, sorted", list_args,
	    do_list, ACTION_SCALAR, NULL, ARG_LIST, NULL, ACTION_DRY_READ },
	{ "file.move", "move or rename a file or directory", move_args,
	    do_transfer, 0, NULL, ARG_MAP, transfer_out, ACTION_DRY_SELF },
	{ "file.copy", "copy a file atomically", transfer_args, do_transfer,
	    0, NULL, ARG_MAP, transfer_out, ACTION_DRY_SELF },
	{ "file.delete", "delete a file or an empty directory", delete_args,
	    do_delete, ACTION_SCALAR, NULL, ARG_MAP, delete_out,
	    ACTION_DRY_SELF },
	{ "file.exists", "whether a path exists (true or false)", exists_args,
	    do_exists, ACTION_SCALAR, NULL, ARG_BOOL, NULL, ACTION_DRY_READ },
	{ "file.mkdir", "create a directory and its parents", path_args,
	    do_mkdir, ACTION_SCALAR, NULL, ARG_MAP, path_out,
	    ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
