/*
 * script.c - load a kobito script from YAML and check it thoroughly.
 *
 * Loading happens once per script and is where the engine earns its speed
 * and its error messages: actions are resolved to table rows, expressions
 * are compiled, argument literals are type-checked, and every name an
 * expression uses is checked against what is defined at that point of the
 * script (params, earlier step ids, loop variables, variables set by `set`).
 * Every problem is reported with its file:line:col; loading goes on after an
 * error so that an author sees them all at once.
 *
 * This file holds the diagnostics, the helpers every part uses, files and
 * includes, and a script's top-level keys; steps are loaded in
 * script_step.c, templates checked in script_expr.c, params in
 * script_param.c (see script_int.h).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "action.h"
#include "fsutil.h"
#include "script.h"
#include "script_int.h"
#include "textutil.h"
#include "xmalloc.h"
#include "ydoc.h"

static char *
diag_format(const struct pos *p, const char *msg)
{
	if (p != NULL && p->line > 0)
		return xasprintf("%s:%d:%d: %s", p->file, p->line, p->col, msg);
	if (p != NULL)
		return xasprintf("%s: %s", p->file, msg);
	return xstrdup(msg);
}

void
diag_add(struct diag *d, const struct pos *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	d->msgs = xreallocarray(d->msgs, d->n + 1, sizeof *d->msgs);
	d->msgs[d->n++] = diag_format(p, msg);
	free(msg);
}

void
diag_warn(struct diag *d, const struct pos *p, const char *fmt, ...)
{
	va_list ap;
	char *msg, *w;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	w = xasprintf("warning: %s", msg);
	d->warnings = xreallocarray(d->warnings, d->nwarnings + 1,
	    sizeof *d->warnings);
	d->warnings[d->nwarnings++] = diag_format(p, w);
	free(w);
	free(msg);
}

void
diag_free(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = 0;
	for (i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->warnings);
	d->warnings = NULL;
	d->nwarnings = 0;
}

struct pos
ld_pos_of(const struct ynode *n)
{
	struct pos p = { n->file, n->line, n->col };

	return p;
}

void
ld_err_at(struct loader *l, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void
ld_err_at(struct loader *l, const struct ynode *n, const char *fmt, ...)
{
	struct pos p = ld_pos_of(n);
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(l->diag, &p, "%s", msg);
	free(msg);
}

void
ld_strv_add(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

int
ld_strv_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return 1;
	}
	return 0;
}

void
ld_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* " (did you mean 'x'?)" or "" - in a static-free buffer of the caller. */
const char *
ld_suggest(char *buf, size_t len, const char *near)
{
	if (near == NULL)
		return "";
	snprintf(buf, len, " (did you mean '%s'?)", near);
	return buf;
}

/* --- values ------------------------------------------------------------ */

/* The typed getters of ydoc report into the loader's diagnostics. */
static void
sink_report(void *arg, const char *msg)
{
	diag_add(arg, NULL, "%s", msg);
}

/* A duration in milliseconds, into an int64_t. */
void
ld_get_duration(struct loader *l, const struct ynode *n, const char *what,
    int64_t *ms)
{
	long long v;

	if (ynode_duration(n, what, &v, &l->sink) == 0)
		*ms = v;
}

static void
parse_kpi(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "manual_minutes_per_run",
	    "manual_minutes_per_item", "vendor_minutes_per_run",
	    "vendor_minutes_per_item", "replaces_inputs", NULL };
	struct kpi *k = &l->script->kpi;
	const struct ynode *v;
	size_t i;

	if (ynode_want(n, YNODE_MAP, "kpi", &l->sink) != 0)
		return;
	ynode_check_keys(n, "kpi", keys, &l->sink);
	if ((v = ynode_get(n, "manual_minutes_per_run")) != NULL)
		ynode_number(v, "manual_minutes_per_run", 0, INFINITY,
		    &k->manual_minutes_per_run, &l->sink);
	if ((v = ynode_get(n, "manual_minutes_per_item")) != NULL)
		ynode_number(v, "manual_minutes_per_item", 0, INFINITY,
		    &k->manual_minutes_per_item, &l->sink);
	if ((v = ynode_get(n, "vendor_minutes_per_run")) != NULL)
		ynode_number(v, "vendor_minutes_per_run", 0, INFINITY,
		    &k->vendor_minutes_per_run, &l->sink);
	if ((v = ynode_get(n, "vendor_minutes_per_item")) != NULL)
		ynode_number(v, "vendor_minutes_per_item", 0, INFINITY,
		    &k->vendor_minutes_per_item, &l->sink);
	if ((v = ynode_get(n, "replaces_inputs")) != NULL &&
	    ynode_want(v, YNODE_SEQ, "replaces_inputs", &l->sink) == 0) {
		for (i = 0; i < v->n; i++) {
			if (ynode_text(v->items[i], "an input point", &l->sink))
				ld_strv_add(&k->replaces_inputs, &k->nreplaces,
				    v->items[i]->value);
		}
	}
}

static void
parse_requires(struct loader *l, const struct ynode *n)
{
	struct script *s = l->script;
	size_t i;

	if (ynode_want(n, YNODE_SEQ, "requires", &l->sink) != 0)
		return;
	for (i = 0; i < n->n; i++) {
		if (ynode_text(n->items[i], "a capability", &l->sink))
			ld_strv_add(&s->requires, &s->nrequires,
			    n->items[i]->value);
	}
}

static void
parse_script(struct loader *l, const struct ynode *root)
{
	static const char *const keys[] = { "name", "title", "description",
	    "owner", "version", "kpi", "params", "requires", "steps",
	    "output", NULL };
	struct script *s = l->script;
	const struct ynode *v;

	if (root == NULL) {
		struct pos p = { s->path, 0, 0 };

		diag_add(l->diag, &p, "the script is empty");
		return;
	}
	if (ynode_want(root, YNODE_MAP, "a script", &l->sink) != 0)
		return;
	ynode_check_keys(root, "a script", keys, &l->sink);
	if ((v = ynode_get(root, "name")) == NULL)
		ld_err_at(l, root, "a script needs a name");
	else if ((s->name = ynode_text_dup(v, "name", &l->sink)) != NULL &&
	    !text_is_ident(s->name))
		ld_err_at(l, v, "name must be an identifier such as "
		    "'invoice_entry', not '%s' (put free text in title)",
		    s->name);
	if ((v = ynode_get(root, "title")) != NULL)
		s->title = ynode_text_dup(v, "title", &l->sink);
	if ((v = ynode_get(root, "description")) != NULL)
		s->description = ynode_text_dup(v, "description", &l->sink);
	if ((v = ynode_get(root, "owner")) != NULL)
		s->owner = ynode_text_dup(v, "owner", &l->sink);
	if ((v = ynode_get(root, "version")) != NULL)
		s->version = ynode_text_dup(v, "version", &l->sink);
	if ((v = ynode_get(root, "kpi")) != NULL)
		parse_kpi(l, v);
	if ((v = ynode_get(root, "params")) != NULL)
		ld_parse_params(l, v);
	if ((v = ynode_get(root, "requires")) != NULL)
		parse_requires(l, v);
	ld_collect_vars(l, ynode_get(root, "steps"));
	if ((v = ynode_get(root, "steps")) == NULL)
		ld_err_at(l, root, "a script needs steps");
	else
		ld_parse_steps(l, v, &s->steps);
	if ((v = ynode_get(root, "output")) != NULL)
		s->output = ld_build_tval(l, v);
}

struct script *
ld_load_text(const char *name, const char *text, size_t len, struct diag *diag,
    char **stack, size_t depth, struct bundle *bundle, const char *reldir)
{
	struct loader l;
	struct script *s;
	struct ydoc *doc;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char err[1024];
	size_t before = diag->n, i;

	if (len > SCRIPT_MAX_BYTES) {
		diag_add(diag, NULL, "%s: the script is larger than %d bytes",
		    name, SCRIPT_MAX_BYTES);
		return NULL;
	}
	if ((bundle->bytes += len) > SCRIPT_BUNDLE_MAX) {
		diag_add(diag, NULL, "%s: the script and what it includes "
		    "are larger than %d bytes", name, SCRIPT_BUNDLE_MAX);
		return NULL;
	}
	doc = ydoc_load_string(name, text, len, err, sizeof err);
	if (doc == NULL) {
		diag_add(diag, NULL, "%s", err);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	/* Positions point to the path: the script keeps it. */
	s->path = ydoc_take_file(doc);
	s->source = xmalloc(len + 1);
	memcpy(s->source, text, len);
	s->source[len] = '\0';
	s->source_len = len;
	crypto_hash_sha256(hash, (const unsigned char *)text, len);
	sodium_bin2hex(s->digest, sizeof s->digest, hash, sizeof hash);

	memset(&l, 0, sizeof l);
	l.diag = diag;
	l.sink.report = sink_report;
	l.sink.arg = diag;
	l.bundle = bundle;
	l.reldir = reldir;
	l.script = s;
	l.stack = xcalloc(depth + 1, sizeof *l.stack);
	for (i = 0; i < depth; i++)
		l.stack[i] = stack[i];
	l.stack[depth] = s->path;
	l.depth = depth + 1;
	parse_script(&l, doc->root);
	free(l.stack);
	ld_strv_free(l.ids, l.nids);
	free(l.idsteps);
	ld_strv_free(l.vars, l.nvars);
	ld_strv_free(l.later, l.nlater);
	ld_strv_free(l.loops, l.nloops);
	ydoc_free(doc);
	if (diag->n > before) {
		script_free(s);
		return NULL;
	}
	return s;
}

struct script *
ld_load_file(const char *path, struct diag *diag, char **stack, size_t depth,
    struct bundle *bundle, const char *reldir)
{
	char err[512], *text;
	size_t len;
	struct script *s;

	if (fsutil_read(path, SCRIPT_MAX_BYTES, &text, &len, err,
	    sizeof err) != 0) {
		diag_add(diag, NULL, "%s", err);
		return NULL;
	}
	s = ld_load_text(path, text, len, diag, stack, depth, bundle, reldir);
	free(text);
	return s;
}

/*
 * The version of a script with includes covers them too: a changed
 * sub-flow is a new version of every script that includes it.
 */
static void
bundle_digest(struct script *s)
{
	crypto_hash_sha256_state st;
	unsigned char hash[crypto_hash_sha256_BYTES];
	const char *k;
	json_t *v;

	if (json_object_size(s->files) == 0)
		return;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)s->source,
	    s->source_len);
	json_object_foreach(s->files, k, v) {
		crypto_hash_sha256_update(&st, (const unsigned char *)"", 1);
		crypto_hash_sha256_update(&st, (const unsigned char *)k,
		    strlen(k) + 1);
		crypto_hash_sha256_update(&st, (const unsigned char *)
		    json_string_value(v), json_string_length(v));
	}
	crypto_hash_sha256_final(&st, hash);
	sodium_bin2hex(s->digest, sizeof s->digest, hash, sizeof hash);
}

/*
 * Load the main script (from text, or from the file at path) with what it
 * includes: from files when given, else from its folder on disk when
 * from_disk.
 */
static struct script *
load_root(const char *path, const char *text, size_t len, json_t *files,
    int from_disk, struct diag *diag)
{
	char *namecopy = xstrdup(path);
	struct bundle b = { files, json_object(), 0, NULL, NULL };
	struct script *s;

	b.base = dirname(namecopy);
	b.root = from_disk ? b.base : NULL;
	if (text != NULL)
		s = ld_load_text(path, text, len, diag, NULL, 0, &b, "");
	else
		s = ld_load_file(path, diag, NULL, 0, &b, "");
	free(namecopy);
	if (s == NULL) {
		json_decref(b.loaded);
		return NULL;
	}
	/* Keys in sorted order, so the digest does not depend on order. */
	s->files = json_object();
	{
		const char **keys;
		const char *k;
		json_t *v;
		size_t n = 0, i, j;

		keys = xcalloc(json_object_size(b.loaded) + 1, sizeof *keys);
		json_object_foreach(b.loaded, k, v)
			keys[n++] = k;
		for (i = 1; i < n; i++) {
			for (j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0;
			    j--) {
				k = keys[j];
				keys[j] = keys[j - 1];
				keys[j - 1] = k;
			}
		}
		for (i = 0; i < n; i++)
			json_object_set(s->files, keys[i],
			    json_object_get(b.loaded, keys[i]));
		free(keys);
	}
	json_decref(b.loaded);
	bundle_digest(s);
	return s;
}

struct script *
script_load(const char *path, struct diag *diag)
{
	return load_root(path, NULL, 0, NULL, 1, diag);
}

struct script *
script_load_text(const char *name, const char *text, size_t len,
    struct diag *diag)
{
	return load_root(name, text, len, NULL, 0, diag);
}

struct script *
script_load_bundle(const char *name, const char *text, size_t len,
    json_t *files, struct diag *diag)
{
	return load_root(name, text, len, files, 0, diag);
}

/* --- the secrets a script reads ------------------------------------------ */

static void
ref_fn(void *arg, const struct expr_ref *ref)
{
	const char *member = ref->nmembers > 0 ? ref->member[0] : NULL;
	json_t *names = arg;

	if (strcmp(ref->root, "secrets") == 0 && member != NULL &&
	    json_object_get(names, member) == NULL)
		json_object_set_new(names, member, json_true());
}

static void
walk_tval(const struct tval *t, json_t *names)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->kind == TVAL_TEMPLATE && t->tmpl != NULL)
		tmpl_refs(t->tmpl, ref_fn, names);
	if (t->kind == TVAL_LIST || t->kind == TVAL_MAP)
		for (i = 0; i < t->n; i++)
			walk_tval(t->items[i], names);
}

static void walk_script(const struct script *, json_t *);

static void
walk_steps(const struct steps *ss, json_t *names)
{
	const struct step *p;
	size_t i;

	for (i = 0; i < ss->n; i++) {
		p = ss->v[i];
		walk_tval(p->cond, names);
		walk_tval(p->each, names);
		walk_tval(p->loop_cond, names);
		walk_tval(p->args, names);
		walk_tval(p->with, names);
		walk_steps(&p->body, names);
		walk_steps(&p->handler, names);
		if (p->sub != NULL)
			walk_script(p->sub, names);
	}
}

static void
walk_script(const struct script *s, json_t *names)
{
	walk_steps(&s->steps, names);
	walk_tval(s->output, names);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
script_secret_refs(const struct script *s)
{
	json_t *names = json_object(), *v, *out = json_array();
	const char *k, **keys;
	size_t n = 0, i;

	walk_script(s, names);
	keys = xcalloc(json_object_size(names) + 1, sizeof *keys);
	json_object_foreach(names, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof *keys, cmp_str);
	for (i = 0; i < n; i++)
		json_array_append_new(out, json_string(keys[i]));
	free(keys);
	json_decref(names);
	return out;
}

json_t *
script_files(const struct script *s)
{
	return s->files;
}

void
script_free(struct script *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->path);
	free(s->name);
	free(s->title);
	free(s->description);
	free(s->owner);
	free(s->version);
	ld_strv_free(s->kpi.replaces_inputs, s->kpi.nreplaces);
	for (i = 0; i < s->nparams; i++) {
		free(s->params[i].name);
		json_decref(s->params[i].def);
		free(s->params[i].title);
		free(s->params[i].description);
		json_decref(s->params[i].choices);
		json_decref(s->params[i].allow);
		json_decref(s->params[i].roots);
	}
	free(s->params);
	ld_strv_free(s->requires, s->nrequires);
	ld_steps_free(&s->steps);
	ld_tval_free(s->output);
	json_decref(s->files);
	free(s->source);
	free(s);
}

const struct param *
script_param(const struct script *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nparams; i++) {
		if (strcmp(s->params[i].name, name) == 0)
			return &s->params[i];
	}
	return NULL;
}

