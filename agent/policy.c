/*
 * policy.c - the agent's policy: loading it and asking it (see policy.h).
 *
 * Paths are compared after the kernel's own resolution (realpath), never
 * after a lexical clean-up: "root/link/../x" goes where the link goes.  A
 * path that does not exist yet (a file to write) is judged by its nearest
 * existing ancestor, and the rest of it may not climb with "..".  The
 * actions' checks give clear errors; the sandbox (sandbox.c) is what holds
 * against a race or a program that ignores them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "policy.h"
#include "urlmatch.h"
#include "xmalloc.h"
#include "ydoc.h"

/* What a job's process may read besides its roots, unless `system:` says. */
static const char *const default_system[] = {
	"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt",
	"/proc", "/sys", "/dev", "/var/cache/fontconfig", NULL,
};

static const struct {
	const char		*word;
	enum policy_landlock	 value;
} landlock_words[] = {
	{ "required", POLICY_LANDLOCK_REQUIRED },
	{ "if-available", POLICY_LANDLOCK_IF_AVAILABLE },
	{ "off", POLICY_LANDLOCK_OFF },
	{ NULL, 0 },
};

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	strv_free(p->programs, p->nprograms);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].path);
	free(p->files);
	strv_free(p->hosts, p->nhosts);
	strv_free(p->system, p->nsystem);
	free(p);
}

int
policy_confines(const struct policy *p)
{
	return p != NULL && (p->has_files || p->has_programs);
}

int
policy_beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/');
}

/*
 * The path with symbolic links resolved: realpath when it exists, else
 * the realpath of its nearest existing ancestor with the rest appended
 * (which must not hold "." or ".." components).  NULL with err.
 */
static char *
resolve(const char *abs, char *err, size_t errlen)
{
	char *head = xstrdup(abs), *real, *slash, *out;
	const char *rest;
	size_t cut;

	for (;;) {
		if ((real = realpath(head, NULL)) != NULL)
			break;
		if (errno != ENOENT && errno != ENOTDIR) {
			snprintf(err, errlen, "cannot resolve '%s': %s", abs,
			    strerror(errno));
			free(head);
			return NULL;
		}
		if ((slash = strrchr(head, '/')) == NULL || slash == head) {
			real = xstrdup("/");
			head[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	cut = strlen(head);
	free(head);
	rest = abs + cut;
	while (*rest == '/')
		rest++;
	if (*rest == '\0')
		return real;
	for (const char *p = rest; *p != '\0'; ) {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.')) {
			snprintf(err, errlen, "'%s' climbs with '..' below a "
			    "directory that does not exist", abs);
			free(real);
			return NULL;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	out = xasprintf("%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/",
	    rest);
	free(real);
	return out;
}

/* The roots a write (or a read) may use, for an error message. */
static void
describe_roots(const struct policy *p, int write, struct buf *b)
{
	int any = 0;

	for (size_t i = 0; i < p->nfiles; i++) {
		if (write && !p->files[i].write)
			continue;
		buf_printf(b, "%s%s", any ? ", " : "", p->files[i].path);
		any = 1;
	}
	buf_printf(b, "%sthe job's working directory", any ? " and " : "");
}

char *
policy_path(const struct policy *pol, const char *workdir, const char *path,
    int write, char *err, size_t errlen)
{
	char *abs, *real, *realwd;
	int ok = 0;
	struct buf b;

	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "the path is empty");
		return NULL;
	}
	abs = path[0] == '/' || workdir == NULL ? xstrdup(path) :
	    xasprintf("%s/%s", workdir, path);
	if (pol == NULL || !pol->has_files)
		return abs;
	if (abs[0] != '/') {
		/* No working directory: the process's. */
		char *cwd = getcwd(NULL, 0), *joined;

		if (cwd == NULL) {
			snprintf(err, errlen, "cannot tell the working "
			    "directory: %s", strerror(errno));
			free(abs);
			return NULL;
		}
		joined = xasprintf("%s/%s", cwd, abs);
		free(cwd);
		free(abs);
		abs = joined;
	}
	if ((real = resolve(abs, err, errlen)) == NULL) {
		free(abs);
		return NULL;
	}
	if (workdir != NULL && (realwd = realpath(workdir, NULL)) != NULL) {
		ok = policy_beneath(real, realwd);
		free(realwd);
	}
	for (size_t i = 0; !ok && i < pol->nfiles; i++)
		ok = policy_beneath(real, pol->files[i].path) &&
		    (!write || pol->files[i].write);
	if (ok) {
		free(real);
		return abs;
	}
	buf_init(&b, 4096);
	describe_roots(pol, write, &b);
	snprintf(err, errlen, "the agent's policy does not allow %s '%s'%s%s%s "
	    "(files: %s)", write ? "writing" : "reading", path,
	    strcmp(real, path) != 0 ? " (" : "", strcmp(real, path) != 0 ?
	    real : "", strcmp(real, path) != 0 ? ")" : "", buf_str(&b));
	buf_free(&b);
	free(real);
	free(abs);
	return NULL;
}

int
policy_program(const struct policy *pol, const char *path, char *err,
    size_t errlen)
{
	char *real;
	int ok = 0;

	if (pol == NULL || !pol->has_programs)
		return 0;
	if ((real = realpath(path, NULL)) == NULL) {
		snprintf(err, errlen, "cannot resolve '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	for (size_t i = 0; !ok && i < pol->nprograms; i++)
		ok = strcmp(real, pol->programs[i]) == 0;
	if (!ok) {
		struct buf b;

		buf_init(&b, 4096);
		for (size_t i = 0; i < pol->nprograms; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", pol->programs[i]);
		snprintf(err, errlen, "the agent's policy does not allow "
		    "running '%s'%s%s%s (programs: %s)", path,
		    strcmp(real, path) ? " (" : "", strcmp(real, path) ?
		    real : "", strcmp(real, path) ? ")" : "",
		    b.len ? buf_str(&b) : "none");
		buf_free(&b);
	}
	free(real);
	return ok ? 0 : -1;
}

int
policy_url(const struct policy *pol, const char *url, char *err,
    size_t errlen)
{
	struct buf b;
	char *shown;

	if (pol == NULL || !pol->has_hosts ||
	    urlmatch_any((const char *const *)pol->hosts, pol->nhosts, url))
		return 0;
	buf_init(&b, 4096);
	for (size_t i = 0; i < pol->nhosts; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", pol->hosts[i]);
	/* Never the user:password@ part of a URL. */
	shown = http_url_redact(url);
	snprintf(err, errlen, "the agent's policy does not allow reaching "
	    "'%s' (hosts: %s)", shown, b.len ? buf_str(&b) : "none");
	free(shown);
	buf_free(&b);
	return -1;
}

/* --- loading ----------------------------------------------------------- */

/* Report a problem at node n. */
static struct policy *
bad(struct policy *p, const struct ynode *n, char *err, size_t errlen,
    const char *fmt, const char *what)
{
	char msg[1024];

	snprintf(msg, sizeof msg, fmt, what);
	snprintf(err, errlen, "%s:%d:%d: %s", n->file ? n->file : "policy",
	    n->line, n->col, msg);
	policy_free(p);
	return NULL;
}

/* The scalars of a sequence node; NULL when it is not one. */
static int
is_seq_of_scalars(const struct ynode *n)
{
	if (n->kind != YNODE_SEQ)
		return 0;
	for (size_t i = 0; i < n->n; i++)
		if (n->items[i]->kind != YNODE_SCALAR)
			return 0;
	return 1;
}

/* A path entry: absolute, existing, resolved. */
static char *
load_path(const struct ynode *n, const char *what, char *msg, size_t len)
{
	char *real;

	if (n->kind != YNODE_SCALAR || n->value[0] != '/') {
		snprintf(msg, len, "%s: expected an absolute path", what);
		return NULL;
	}
	if ((real = realpath(n->value, NULL)) == NULL)
		snprintf(msg, len, "%s: '%s': %s", what, n->value,
		    strerror(errno));
	return real;
}

static struct policy *
load_files(struct policy *p, const struct ynode *v, char *err, size_t errlen)
{
	char msg[512];

	if (v->kind != YNODE_SEQ)
		return bad(p, v, err, errlen, "%s: expected a list", "files");
	p->has_files = 1;
	p->files = xcalloc(v->n + 1, sizeof *p->files);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *e = v->items[i], *path = e, *acc = NULL;
		struct policy_root *r = &p->files[p->nfiles];

		if (e->kind == YNODE_MAP) {
			for (size_t k = 0; k < e->n; k++)
				if (!ynode_is(e->keys[k], "path") &&
				    !ynode_is(e->keys[k], "access"))
					return bad(p, e->keys[k], err, errlen,
					    "files: unknown key '%s' (path, "
					    "access)", e->keys[k]->value);
			path = ynode_get(e, "path");
			acc = ynode_get(e, "access");
			if (path == NULL)
				return bad(p, e, err, errlen, "%s: needs a "
				    "path", "files");
		}
		r->write = 1;
		if (acc != NULL) {
			if (ynode_is(acc, "read"))
				r->write = 0;
			else if (!ynode_is(acc, "write"))
				return bad(p, acc, err, errlen, "files: access "
				    "must be read or write, not '%s'",
				    acc->kind == YNODE_SCALAR ? acc->value :
				    "?");
		}
		if ((r->path = load_path(path, "files", msg, sizeof msg)) ==
		    NULL)
			return bad(p, path, err, errlen, "%s", msg);
		p->nfiles++;
	}
	return p;
}

/* programs, hosts and system: lists of scalars. */
static struct policy *
load_list(struct policy *p, const struct ynode *v, const char *key,
    char ***list, size_t *n, int paths, char *err, size_t errlen)
{
	char msg[512], *s;

	if (!is_seq_of_scalars(v))
		return bad(p, v, err, errlen, "%s: expected a list", key);
	*list = xcalloc(v->n + 1, sizeof **list);
	for (size_t i = 0; i < v->n; i++) {
		if (paths) {
			if ((s = load_path(v->items[i], key, msg, sizeof msg)) ==
			    NULL)
				return bad(p, v->items[i], err, errlen, "%s",
				    msg);
		} else {
			if (urlmatch_check(v->items[i]->value, msg,
			    sizeof msg) != 0)
				return bad(p, v->items[i], err, errlen,
				    "hosts: %s", msg);
			s = xstrdup(v->items[i]->value);
		}
		(*list)[(*n)++] = s;
	}
	return p;
}

/* The default system directories that exist here. */
static void
default_system_dirs(struct policy *p)
{
	size_t i;
	char *real;

	p->system = xcalloc(sizeof default_system / sizeof default_system[0],
	    sizeof *p->system);
	for (i = 0; default_system[i] != NULL; i++)
		if ((real = realpath(default_system[i], NULL)) != NULL)
			p->system[p->nsystem++] = real;
}

struct policy *
policy_from_yaml(const struct ynode *n, char *err, size_t errlen)
{
	struct policy *p = xcalloc(1, sizeof *p);
	const struct ynode *k, *v;
	size_t i, w;

	if (n == NULL || n->kind != YNODE_MAP)
		return n == NULL ? p : bad(p, n, err, errlen, "%s: expected a "
		    "mapping", "policy");
	for (i = 0; i < n->n; i++) {
		k = n->keys[i];
		v = n->items[i];
		if (ynode_is(k, "files")) {
			if (load_files(p, v, err, errlen) == NULL)
				return NULL;
		} else if (ynode_is(k, "programs")) {
			p->has_programs = 1;
			if (load_list(p, v, "programs", &p->programs,
			    &p->nprograms, 1, err, errlen) == NULL)
				return NULL;
		} else if (ynode_is(k, "hosts")) {
			p->has_hosts = 1;
			if (load_list(p, v, "hosts", &p->hosts, &p->nhosts, 0,
			    err, errlen) == NULL)
				return NULL;
		} else if (ynode_is(k, "system")) {
			if (load_list(p, v, "system", &p->system, &p->nsystem,
			    1, err, errlen) == NULL)
				return NULL;
		} else if (ynode_is(k, "landlock")) {
			for (w = 0; landlock_words[w].word != NULL; w++)
				if (ynode_is(v, landlock_words[w].word))
					break;
			if (landlock_words[w].word == NULL)
				return bad(p, v, err, errlen, "landlock: must be "
				    "required, if-available or off%s", "");
			p->landlock = landlock_words[w].value;
		} else {
			return bad(p, k, err, errlen, "policy: unknown setting "
			    "'%s' (programs, files, hosts, landlock, system)",
			    k->kind == YNODE_SCALAR ? k->value : "?");
		}
	}
	if (p->system == NULL)
		default_system_dirs(p);
	return p;
}

/* --- to and from JSON (for the job's own process) ----------------------- */

static json_t *
strv_json(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *
policy_to_json(const struct policy *p)
{
	json_t *o = json_object(), *files;

	if (p->has_programs)
		json_object_set_new(o, "programs", strv_json(p->programs,
		    p->nprograms));
	if (p->has_hosts)
		json_object_set_new(o, "hosts", strv_json(p->hosts, p->nhosts));
	if (p->has_files) {
		files = json_array();
		for (size_t i = 0; i < p->nfiles; i++)
			json_array_append_new(files, json_pack("{s:s, s:b}",
			    "path", p->files[i].path, "write",
			    p->files[i].write));
		json_object_set_new(o, "files", files);
	}
	json_object_set_new(o, "system", strv_json(p->system, p->nsystem));
	json_object_set_new(o, "landlock", json_integer(p->landlock));
	return o;
}

/* A JSON array of strings into a vector; -1 when it is not one. */
static int
json_strv(const json_t *a, char ***v, size_t *n)
{
	const json_t *e;
	size_t i;

	if (!json_is_array(a))
		return -1;
	*v = xcalloc(json_array_size(a) + 1, sizeof **v);
	json_array_foreach(a, i, e) {
		if (!json_is_string(e))
			return -1;
		(*v)[(*n)++] = xstrdup(json_string_value(e));
	}
	return 0;
}

struct policy *
policy_from_json(const json_t *o, char *err, size_t errlen)
{
	struct policy *p = xcalloc(1, sizeof *p);
	const json_t *v, *e;
	size_t i;

	if (!json_is_object(o))
		goto bad;
	if ((v = json_object_get(o, "programs")) != NULL) {
		p->has_programs = 1;
		if (json_strv(v, &p->programs, &p->nprograms) != 0)
			goto bad;
	}
	if ((v = json_object_get(o, "hosts")) != NULL) {
		p->has_hosts = 1;
		if (json_strv(v, &p->hosts, &p->nhosts) != 0)
			goto bad;
	}
	if ((v = json_object_get(o, "files")) != NULL) {
		if (!json_is_array(v))
			goto bad;
		p->has_files = 1;
		p->files = xcalloc(json_array_size(v) + 1, sizeof *p->files);
		json_array_foreach(v, i, e) {
			const char *path = json_string_value(json_object_get(e,
			    "path"));

			if (path == NULL)
				goto bad;
			p->files[p->nfiles].path = xstrdup(path);
			p->files[p->nfiles++].write = json_is_true(
			    json_object_get(e, "write"));
		}
	}
	if (json_strv(json_object_get(o, "system"), &p->system,
	    &p->nsystem) != 0)
		goto bad;
	p->landlock = (enum policy_landlock)json_integer_value(
	    json_object_get(o, "landlock"));
	return p;
bad:
	snprintf(err, errlen, "the job's policy is malformed");
	policy_free(p);
	return NULL;
}

char *
policy_describe(const struct policy *p)
{
	static const char *const ll[] = { "required", "if available", "off" };
	struct buf b;

	buf_init(&b, 64 * 1024);
	if (p->has_programs)
		buf_printf(&b, "exec limited to %zu program(s); ", p->nprograms);
	else
		buf_puts(&b, "exec unlimited; ");
	if (p->has_files)
		buf_printf(&b, "files limited to %zu root(s); ", p->nfiles);
	else
		buf_puts(&b, "files unlimited; ");
	if (p->has_hosts)
		buf_printf(&b, "http limited to %zu host(s); ", p->nhosts);
	else
		buf_puts(&b, "http unlimited; ");
	buf_printf(&b, "Landlock %s", ll[p->landlock]);
	return buf_detach(&b, NULL);
}
