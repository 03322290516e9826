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
#include "textutil.h"
#include "xmalloc.h"
#include "ydoc.h"

#define MAX_INCLUDE_DEPTH	16

/* Names that are always defined in expressions. */
static const char *const builtin_roots[] = {
	"params", "env", "steps", "vars", "secrets", "run", "loop", "error",
	NULL,
};

/*
 * What one script and everything it includes share: the included files
 * given with the text (by path relative to the main script, from a
 * scheduler or an agent's lease), and those actually loaded.
 */
struct bundle {
	json_t		*given;		/* borrowed, may be NULL */
	json_t		*loaded;	/* relative path -> source */
	size_t		 bytes;		/* text loaded, includes counted */
};

/* The state of one script's loading. */
struct loader {
	struct diag	*diag;
	struct bundle	*bundle;
	const char	*reldir;	/* of this file, from the main one */
	struct script	*script;
	const char	*dir;		/* of the script, for includes */
	char		**stack;	/* include chain, for cycles */
	size_t		 depth;
	char		**ids;		/* step ids defined so far */
	size_t		 nids;
	char		**vars;		/* names set by `set` anywhere */
	size_t		 nvars;
	char		**loops;	/* loop variables in scope */
	size_t		 nloops;
	struct ysink	 sink;		/* into diag */
};

static void	parse_steps(struct loader *, const struct ynode *,
		    struct steps *);
static void	steps_free(struct steps *);
static void	tval_free(struct tval *);
static struct script *load_file(const char *, struct diag *, char **,
		    size_t, struct bundle *, const char *);
static struct script *load_text(const char *, const char *, size_t,
		    struct diag *, char **, size_t, struct bundle *,
		    const char *);

void
diag_add(struct diag *d, const struct pos *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	d->msgs = xreallocarray(d->msgs, d->n + 1, sizeof *d->msgs);
	if (p != NULL && p->line > 0)
		d->msgs[d->n++] = xasprintf("%s:%d:%d: %s", p->file, p->line,
		    p->col, msg);
	else if (p != NULL)
		d->msgs[d->n++] = xasprintf("%s: %s", p->file, msg);
	else
		d->msgs[d->n++] = xstrdup(msg);
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
}

static struct pos
pos_of(const struct ynode *n)
{
	struct pos p = { n->file, n->line, n->col };

	return p;
}

static void
err_at(struct loader *l, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
err_at(struct loader *l, const struct ynode *n, const char *fmt, ...)
{
	struct pos p = pos_of(n);
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(l->diag, &p, "%s", msg);
	free(msg);
}

static void
strv_add(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

static int
strv_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return 1;
	}
	return 0;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* " (did you mean 'x'?)" or "" - in a static-free buffer of the caller. */
static const char *
suggest(char *buf, size_t len, const char *near)
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
static void
get_duration(struct loader *l, const struct ynode *n, const char *what,
    int64_t *ms)
{
	long long v;

	if (ynode_duration(n, what, &v, &l->sink) == 0)
		*ms = v;
}

/* --- names used by expressions ----------------------------------------- */

struct refcheck {
	struct loader		*l;
	const struct ynode	*node;
	int			 failed;
};

/* The position of byte offset off inside a scalar node. */
static struct pos
pos_in(const struct ynode *n, size_t off)
{
	struct pos p = pos_of(n);
	size_t i;

	if (n->kind != YNODE_SCALAR)
		return p;
	/* Only single-line scalars map offsets to columns exactly. */
	for (i = 0; i < off && i < n->len; i++) {
		if (n->value[i] == '\n')
			return p;
	}
	p.col += (int)text_utf8_chars(n->value, off) + (n->quoted ? 1 : 0);
	return p;
}

static void
ref_error(struct refcheck *rc, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ref_error(struct refcheck *rc, size_t off, const char *fmt, ...)
{
	struct pos p = pos_in(rc->node, off);
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(rc->l->diag, &p, "%s", msg);
	free(msg);
	rc->failed = 1;
}

static void
check_ref(void *arg, const struct expr_ref *ref)
{
	const char *root = ref->root;
	const char *member = ref->nmembers > 0 ? ref->member[0] : NULL;
	size_t off = ref->offset;
	struct refcheck *rc = arg;
	struct loader *l = rc->l;
	const struct script *s = l->script;
	const char **known;
	char buf[128];
	size_t i, n;

	if (strcmp(root, "params") == 0) {
		if (member == NULL || script_param(s, member) != NULL)
			return;
		known = xcalloc(s->nparams + 1, sizeof *known);
		for (i = 0; i < s->nparams; i++)
			known[i] = s->params[i].name;
		ref_error(rc, off, "undefined param '%s'%s", member,
		    suggest(buf, sizeof buf, text_nearest(member, known,
		    s->nparams)));
		free(known);
		return;
	}
	if (strcmp(root, "steps") == 0) {
		if (member == NULL || strv_has(l->ids, l->nids, member))
			return;
		ref_error(rc, off, "no step with id '%s' comes before this "
		    "point%s", member, suggest(buf, sizeof buf, text_nearest(
		    member, (const char *const *)l->ids, l->nids)));
		return;
	}
	for (i = 0; builtin_roots[i] != NULL; i++) {
		if (strcmp(root, builtin_roots[i]) == 0)
			return;
	}
	if (strv_has(l->loops, l->nloops, root) ||
	    strv_has(l->vars, l->nvars, root))
		return;
	n = l->nloops + l->nvars + 8;
	known = xcalloc(n + 1, sizeof *known);
	n = 0;
	for (i = 0; builtin_roots[i] != NULL; i++)
		known[n++] = builtin_roots[i];
	for (i = 0; i < l->nloops; i++)
		known[n++] = l->loops[i];
	for (i = 0; i < l->nvars; i++)
		known[n++] = l->vars[i];
	ref_error(rc, off, "undefined name '%s'%s", root,
	    suggest(buf, sizeof buf, text_nearest(root, known, n)));
	free(known);
}

/* Compile a scalar as a template and check the names it uses. */
static struct tmpl *
compile(struct loader *l, const struct ynode *n)
{
	struct expr_error e;
	struct refcheck rc = { l, n, 0 };
	struct tmpl *t;
	struct pos p;

	memset(&e, 0, sizeof e);
	if ((t = tmpl_compile(n->value, &e)) == NULL) {
		p = pos_in(n, e.offset);
		diag_add(l->diag, &p, "%s", e.msg);
		return NULL;
	}
	tmpl_refs(t, check_ref, &rc);
	return t;
}

/* --- argument trees ----------------------------------------------------- */

static struct tval *
tval_new(enum tval_kind kind, const struct ynode *n)
{
	struct tval *t = xcalloc(1, sizeof *t);

	t->kind = kind;
	t->pos = pos_of(n);
	return t;
}

static struct tval *
build_tval(struct loader *l, const struct ynode *n)
{
	struct tval *t;
	struct tmpl *tm;
	size_t i;
	int literal = 1;

	if (n->kind == YNODE_SCALAR) {
		if (strstr(n->value, "${") == NULL) {
			t = tval_new(TVAL_LITERAL, n);
			t->literal = ynode_scalar_json(n);
			return t;
		}
		if ((tm = compile(l, n)) == NULL)
			return NULL;
		t = tval_new(TVAL_TEMPLATE, n);
		t->tmpl = tm;
		return t;
	}
	t = tval_new(n->kind == YNODE_SEQ ? TVAL_LIST : TVAL_MAP, n);
	t->items = xcalloc(n->n ? n->n : 1, sizeof *t->items);
	if (n->kind == YNODE_MAP)
		t->keys = xcalloc(n->n ? n->n : 1, sizeof *t->keys);
	for (i = 0; i < n->n; i++) {
		if (n->kind == YNODE_MAP) {
			if (n->keys[i]->kind != YNODE_SCALAR) {
				err_at(l, n->keys[i], "keys must be scalars");
				tval_free(t);
				return NULL;
			}
			t->keys[i] = xstrdup(n->keys[i]->value);
		}
		t->n = i + 1;
		if ((t->items[i] = build_tval(l, n->items[i])) == NULL) {
			tval_free(t);
			return NULL;
		}
		if (t->items[i]->kind != TVAL_LITERAL)
			literal = 0;
	}
	if (literal) {
		/* A constant subtree is evaluated once, here. */
		json_t *v = tval_eval(t, NULL, NULL, NULL);
		struct tval *lit = tval_new(TVAL_LITERAL, n);

		lit->literal = v;
		tval_free(t);
		return lit;
	}
	return t;
}

static void
tval_free(struct tval *t)
{
	size_t i;

	if (t == NULL)
		return;
	json_decref(t->literal);
	tmpl_free(t->tmpl);
	for (i = 0; i < t->n; i++) {
		if (t->keys != NULL)
			free(t->keys[i]);
		tval_free(t->items[i]);
	}
	free(t->keys);
	free(t->items);
	free(t);
}

json_t *
tval_eval(const struct tval *t, const struct expr_scope *scope,
    struct expr_error *err, struct pos *where)
{
	json_t *v, *item;
	size_t i;

	switch (t->kind) {
	case TVAL_LITERAL:
		/* Containers are copied: a run may change what it is given,
		 * and a loaded script serves the runs after it. */
		return json_is_object(t->literal) || json_is_array(t->literal) ?
		    json_deep_copy(t->literal) : json_incref(t->literal);
	case TVAL_TEMPLATE:
		v = tmpl_eval(t->tmpl, scope, err);
		if (v == NULL && where != NULL)
			*where = t->pos;
		return v;
	case TVAL_LIST:
	case TVAL_MAP:
		v = t->kind == TVAL_LIST ? json_array() : json_object();
		for (i = 0; i < t->n; i++) {
			item = tval_eval(t->items[i], scope, err, where);
			if (item == NULL) {
				json_decref(v);
				return NULL;
			}
			if (t->kind == TVAL_LIST)
				json_array_append_new(v, item);
			else
				json_object_set_new(v, t->keys[i], item);
		}
		return v;
	}
	return NULL;
}

/* --- steps -------------------------------------------------------------- */

/* Keys a step may have besides its action. */
static const char *const step_keys[] = {
	"id", "name", "if", "retry", "timeout", "on_error", "for_each", "as",
	"steps", "items", "include", "with", NULL,
};

static int
is_step_key(const char *k)
{
	size_t i;

	for (i = 0; step_keys[i] != NULL; i++) {
		if (strcmp(step_keys[i], k) == 0)
			return 1;
	}
	return 0;
}

static void
parse_retry(struct loader *l, const struct ynode *n, struct retry *r)
{
	static const char *const keys[] = { "attempts", "delay", "backoff",
	    NULL };
	const struct ynode *v;
	long long i;
	double d;

	if (n->kind == YNODE_SCALAR) {
		if (ynode_int(n, "retry", 1, 100, &i, &l->sink) == 0)
			r->attempts = (int)i;
		return;
	}
	if (ynode_want(n, YNODE_MAP, "retry", &l->sink) != 0)
		return;
	ynode_check_keys(n, "retry", keys, &l->sink);
	if ((v = ynode_get(n, "attempts")) != NULL &&
	    ynode_int(v, "retry attempts", 1, 100, &i, &l->sink) == 0)
		r->attempts = (int)i;
	if ((v = ynode_get(n, "delay")) != NULL)
		get_duration(l, v, "retry delay", &r->delay_ms);
	if ((v = ynode_get(n, "backoff")) != NULL &&
	    ynode_number(v, "retry backoff", 1, 10, &d, &l->sink) == 0)
		r->backoff = d;
}

static void
parse_on_error(struct loader *l, const struct ynode *n, struct step *st)
{
	if (n->kind == YNODE_SEQ) {
		st->on_error = ON_ERROR_STEPS;
		parse_steps(l, n, &st->handler);
		return;
	}
	if (ynode_is(n, "fail"))
		st->on_error = ON_ERROR_FAIL;
	else if (ynode_is(n, "continue"))
		st->on_error = ON_ERROR_CONTINUE;
	else
		err_at(l, n, "on_error must be 'fail', 'continue' or a list "
		    "of steps");
}

/* Whether a node holds no ${...} anywhere: its value is known now. */
static int
is_constant(const struct ynode *n)
{
	size_t i;

	if (n->kind == YNODE_SCALAR)
		return strstr(n->value, "${") == NULL;
	for (i = 0; i < n->n; i++) {
		if (!is_constant(n->items[i]))
			return 0;
	}
	return 1;
}

/*
 * Check the arguments written for an action against its spec: unknown
 * names, constant values of the wrong type (pointing at the value), and
 * missing required ones (pointing at the action).
 */
static void
check_args(struct loader *l, const struct ynode *key, const struct ynode *args,
    const struct action *a)
{
	const struct action_arg *spec;
	char err[256], buf[128];
	const char **names;
	json_t *v;
	size_t i, n;

	for (n = 0; a->args != NULL && a->args[n].name != NULL; n++)
		;
	names = xcalloc(n + 1, sizeof *names);
	for (i = 0; i < n; i++)
		names[i] = a->args[i].name;
	for (i = 0; args != NULL && i < args->n; i++) {
		const struct ynode *k = args->keys[i], *item = args->items[i];

		if (k->kind != YNODE_SCALAR)
			continue;
		if ((spec = action_arg_find(a, k->value)) == NULL) {
			if (!(a->flags & ACTION_OPEN))
				err_at(l, k, "%s has no argument '%s'%s",
				    a->name, k->value, suggest(buf, sizeof buf,
				    text_nearest(k->value, names, n)));
			continue;
		}
		if (!is_constant(item))
			continue;
		v = ynode_to_json(item);
		if (action_arg_check(spec, &v, err, sizeof err) != 0)
			err_at(l, item, "%s: %s", a->name, err);
		json_decref(v);
	}
	for (spec = a->args; spec != NULL && spec->name != NULL; spec++) {
		if (spec->required && ynode_get(args, spec->name) == NULL)
			err_at(l, key, "%s needs the argument '%s'", a->name,
			    spec->name);
	}
	free(names);
}

/* Record the names a `set` step defines, wherever it is in the script. */
static void
collect_vars(struct loader *l, const struct ynode *n)
{
	const struct ynode *set;
	size_t i;

	if (n == NULL)
		return;
	if (n->kind == YNODE_MAP && (set = ynode_get(n, "set")) != NULL &&
	    set->kind == YNODE_MAP) {
		for (i = 0; i < set->n; i++) {
			const struct ynode *k = set->keys[i];

			if (k->kind == YNODE_SCALAR &&
			    !strv_has(l->vars, l->nvars, k->value))
				strv_add(&l->vars, &l->nvars, k->value);
		}
	}
	for (i = 0; i < n->n; i++)
		collect_vars(l, n->items[i]);
}

static void
parse_action(struct loader *l, const struct ynode *key,
    const struct ynode *val, struct step *st)
{
	const struct action *a, *near;
	struct ynode wrapped;
	struct ynode *k = NULL;
	struct ynode *items[1];
	struct ynode *keys[1];
	struct ynode keynode;

	if ((a = action_find(key->value)) == NULL) {
		near = action_nearest(key->value);
		err_at(l, key, "unknown action '%s'%s%s%s", key->value,
		    near ? " (did you mean '" : "", near ? near->name : "",
		    near ? "'?)" : "");
		return;
	}
	st->kind = STEP_ACTION;
	st->action = a;
	if (val->kind == YNODE_SCALAR && val->len == 0 && !val->quoted) {
		/* "- fail:" with nothing after it: no arguments. */
		st->args = NULL;
		check_args(l, key, NULL, a);
	} else if (val->kind != YNODE_MAP) {
		if (!(a->flags & ACTION_SCALAR) || a->args == NULL ||
		    a->args[0].name == NULL) {
			err_at(l, val, "the arguments of %s must be a mapping",
			    a->name);
			return;
		}
		/* A bare value stands for the first argument. */
		memset(&keynode, 0, sizeof keynode);
		keynode.kind = YNODE_SCALAR;
		keynode.value = (char *)a->args[0].name;
		keynode.len = strlen(keynode.value);
		keynode.line = val->line;
		keynode.col = val->col;
		keynode.file = val->file;
		k = &keynode;
		keys[0] = k;
		items[0] = (struct ynode *)val;
		wrapped = *val;
		wrapped.kind = YNODE_MAP;
		wrapped.keys = keys;
		wrapped.items = items;
		wrapped.n = 1;
		wrapped.value = NULL;
		st->args = build_tval(l, &wrapped);
		check_args(l, key, &wrapped, a);
	} else {
		st->args = build_tval(l, val);
		check_args(l, key, val, a);
	}
}

/*
 * dir/rel with "." and ".." segments resolved, as far as they go: the key
 * under which an included file travels with its script.  Caller frees.
 */
static char *
path_join_clean(const char *dir, const char *rel)
{
	char *all = *dir ? xasprintf("%s/%s", dir, rel) : xstrdup(rel);
	char *out = xcalloc(1, strlen(all) + 1), *slash;
	const char *seg = all, *end;
	size_t o = 0, n;

	/* The output never grows past the input, so out is big enough. */
	while (*seg != '\0') {
		end = strchr(seg, '/');
		n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.')) {
			/* nothing */
		} else if (n == 2 && seg[0] == '.' && seg[1] == '.' && o > 0 &&
		    strcmp(((slash = strrchr(out, '/')) ? slash + 1 : out),
		    "..") != 0) {
			o = slash ? (size_t)(slash - out) : 0;
			out[o] = '\0';
		} else {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, seg, n);
			o += n;
			out[o] = '\0';
		}
		seg += n + (end != NULL);
	}
	free(all);
	return out;
}

static char *
dir_of(const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash ? xstrndup(key, (size_t)(slash - key)) : xstrdup("");
}

static void
parse_include(struct loader *l, const struct ynode *n, struct step *st)
{
	char *path, *key, *subdir;
	json_t *given;
	size_t i;

	if (ynode_text(n, "include", &l->sink) == NULL)
		return;
	st->kind = STEP_INCLUDE;
	if (n->value[0] == '/')
		path = xstrdup(n->value);
	else
		path = xasprintf("%s/%s", l->dir, n->value);
	key = n->value[0] == '/' ? xstrdup(n->value) :
	    path_join_clean(l->reldir, n->value);
	subdir = dir_of(key);
	if (l->depth >= MAX_INCLUDE_DEPTH) {
		err_at(l, n, "includes nest deeper than %d levels",
		    MAX_INCLUDE_DEPTH);
		goto out;
	}
	for (i = 0; i < l->depth; i++) {
		if (strcmp(l->stack[i], path) == 0) {
			err_at(l, n, "'%s' includes itself", n->value);
			goto out;
		}
	}
	/* A file that came with the script wins over the disk. */
	given = l->bundle->given ? json_object_get(l->bundle->given, key) :
	    NULL;
	if (json_is_string(given))
		st->sub = load_text(path, json_string_value(given),
		    json_string_length(given), l->diag, l->stack, l->depth,
		    l->bundle, subdir);
	else
		st->sub = load_file(path, l->diag, l->stack, l->depth,
		    l->bundle, subdir);
	if (st->sub == NULL)
		err_at(l, n, "cannot include '%s' (see above)", n->value);
	else
		json_object_set_new(l->bundle->loaded, key,
		    json_stringn(st->sub->source, st->sub->source_len));
out:
	free(subdir);
	free(key);
	free(path);
}

static void
check_include_params(struct loader *l, const struct ynode *at,
    const struct ynode *with, struct step *st)
{
	const struct script *sub = st->sub;
	char buf[128];
	const char **names;
	size_t i;

	if (sub == NULL)
		return;
	names = xcalloc(sub->nparams + 1, sizeof *names);
	for (i = 0; i < sub->nparams; i++)
		names[i] = sub->params[i].name;
	for (i = 0; with != NULL && i < with->n; i++) {
		const struct ynode *k = with->keys[i];

		if (k->kind == YNODE_SCALAR && script_param(sub, k->value) ==
		    NULL)
			err_at(l, k, "'%s' has no param '%s'%s", sub->path,
			    k->value, suggest(buf, sizeof buf,
			    text_nearest(k->value, names, sub->nparams)));
	}
	for (i = 0; i < sub->nparams; i++) {
		const struct param *p = &sub->params[i];

		if (p->required && p->def == NULL &&
		    ynode_get(with, p->name) == NULL)
			err_at(l, at, "'%s' needs the param '%s'", sub->path,
			    p->name);
	}
	free(names);
}

static void
parse_for_each(struct loader *l, const struct ynode *map,
    const struct ynode *each, struct step *st)
{
	const struct ynode *as = ynode_get(map, "as");
	const struct ynode *body = ynode_get(map, "steps");
	const struct ynode *items = ynode_get(map, "items");

	st->kind = STEP_FOR_EACH;
	st->items = 1;
	if (items != NULL)
		ynode_bool(items, "items", &st->items, &l->sink);
	if (ynode_text(each, "for_each", &l->sink) != NULL) {
		if (strstr(each->value, "${") == NULL)
			err_at(l, each, "for_each needs an expression such as "
			    "${steps.rows.output.rows}");
		else
			st->each = compile(l, each);
	}
	st->as = xstrdup("item");
	if (as != NULL && ynode_text(as, "as", &l->sink) != NULL) {
		if (!text_is_ident(as->value))
			err_at(l, as, "as must be a name such as 'row', not "
			    "'%s'", as->value);
		free(st->as);
		st->as = xstrdup(as->value);
	}
	if (body == NULL) {
		err_at(l, map, "for_each needs steps");
		return;
	}
	strv_add(&l->loops, &l->nloops, st->as);
	if (strcmp(st->as, "item") != 0)
		strv_add(&l->loops, &l->nloops, "item");
	parse_steps(l, body, &st->body);
	if (strcmp(st->as, "item") != 0)
		free(l->loops[--l->nloops]);
	free(l->loops[--l->nloops]);
}

static struct step *
parse_step(struct loader *l, const struct ynode *n)
{
	struct step *st;
	const struct ynode *v, *actkey = NULL, *actval = NULL;
	size_t i;

	if (ynode_want(n, YNODE_MAP, "a step", &l->sink) != 0)
		return NULL;
	st = xcalloc(1, sizeof *st);
	st->pos = pos_of(n);
	st->retry.attempts = 1;
	st->retry.delay_ms = 1000;
	st->retry.backoff = 2.0;

	for (i = 0; i < n->n; i++) {
		const struct ynode *k = n->keys[i];

		if (k->kind != YNODE_SCALAR || is_step_key(k->value))
			continue;
		if (actkey != NULL) {
			err_at(l, k, "a step has one action; '%s' and '%s' "
			    "are both here (start a new step with '-')",
			    actkey->value, k->value);
			continue;
		}
		actkey = k;
		actval = n->items[i];
	}
	if ((v = ynode_get(n, "id")) != NULL &&
	    (st->id = ynode_text_dup(v, "id", &l->sink)) != NULL) {
		if (!text_is_ident(st->id))
			err_at(l, v, "a step id must be a name such as "
			    "'read_rows', not '%s'", st->id);
		else if (strv_has(l->ids, l->nids, st->id))
			err_at(l, v, "step id '%s' is used twice", st->id);
	}
	if ((v = ynode_get(n, "name")) != NULL)
		st->name = ynode_text_dup(v, "name", &l->sink);
	if ((v = ynode_get(n, "if")) != NULL &&
	    ynode_text(v, "if", &l->sink) != NULL) {
		if (strstr(v->value, "${") == NULL)
			err_at(l, v, "if needs an expression such as "
			    "${row.amount > 0}");
		else
			st->cond = compile(l, v);
	}
	if ((v = ynode_get(n, "retry")) != NULL)
		parse_retry(l, v, &st->retry);
	if ((v = ynode_get(n, "timeout")) != NULL)
		get_duration(l, v, "timeout", &st->timeout_ms);

	v = ynode_get(n, "for_each");
	if (v != NULL && (actkey != NULL || ynode_get(n, "include"))) {
		err_at(l, v, "a for_each step cannot also have an action or "
		    "an include");
	} else if (v != NULL) {
		parse_for_each(l, n, v, st);
	} else if ((v = ynode_get(n, "include")) != NULL) {
		if (actkey != NULL)
			err_at(l, actkey, "an include step cannot also have an "
			    "action");
		parse_include(l, v, st);
		if ((v = ynode_get(n, "with")) != NULL &&
		    ynode_want(v, YNODE_MAP, "with", &l->sink) == 0)
			st->with = build_tval(l, v);
		check_include_params(l, n, v, st);
	} else if (actkey != NULL) {
		parse_action(l, actkey, actval, st);
	} else {
		err_at(l, n, "this step has no action");
	}
	if (ynode_get(n, "as") != NULL && st->kind != STEP_FOR_EACH)
		err_at(l, ynode_get(n, "as"), "'as' belongs to for_each");
	if (ynode_get(n, "items") != NULL && st->kind != STEP_FOR_EACH)
		err_at(l, ynode_get(n, "items"), "'items' belongs to "
		    "for_each");
	if (ynode_get(n, "steps") != NULL && st->kind != STEP_FOR_EACH)
		err_at(l, ynode_get(n, "steps"), "'steps' belongs to "
		    "for_each");
	if ((v = ynode_get(n, "on_error")) != NULL)
		parse_on_error(l, v, st);

	if (st->id != NULL && !strv_has(l->ids, l->nids, st->id))
		strv_add(&l->ids, &l->nids, st->id);
	if (st->id != NULL)
		st->label = xstrdup(st->id);
	else if (st->name != NULL)
		st->label = xstrdup(st->name);
	else if (st->kind == STEP_ACTION && st->action != NULL)
		st->label = xstrdup(st->action->name);
	else if (st->kind == STEP_FOR_EACH)
		st->label = xstrdup("for_each");
	else
		st->label = xstrdup("include");
	return st;
}

static void step_free(struct step *);

static void
parse_steps(struct loader *l, const struct ynode *n, struct steps *out)
{
	struct step *st;
	size_t i;

	if (ynode_want(n, YNODE_SEQ, "steps", &l->sink) != 0)
		return;
	if (n->n == 0)
		err_at(l, n, "steps is empty");
	out->v = xcalloc(n->n ? n->n : 1, sizeof *out->v);
	for (i = 0; i < n->n; i++) {
		if ((st = parse_step(l, n->items[i])) != NULL)
			out->v[out->n++] = st;
	}
}

static void
step_free(struct step *st)
{
	if (st == NULL)
		return;
	free(st->id);
	free(st->name);
	free(st->label);
	tmpl_free(st->cond);
	steps_free(&st->handler);
	tval_free(st->args);
	tmpl_free(st->each);
	free(st->as);
	steps_free(&st->body);
	script_free(st->sub);
	tval_free(st->with);
	free(st);
}

static void
steps_free(struct steps *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		step_free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* --- params, KPI, metadata ---------------------------------------------- */

static const struct {
	const char	*name;
	enum param_type	 type;
} param_types[] = {
	{ "string", PARAM_STRING }, { "int", PARAM_INT },
	{ "number", PARAM_NUMBER }, { "bool", PARAM_BOOL },
	{ "path", PARAM_PATH }, { "date", PARAM_DATE },
	{ "enum", PARAM_ENUM },
};

const char *
param_type_name(enum param_type t)
{
	size_t i;

	for (i = 0; i < sizeof param_types / sizeof param_types[0]; i++) {
		if (param_types[i].type == t)
			return param_types[i].name;
	}
	return "?";
}

static int
param_type_parse(const char *s, enum param_type *t)
{
	size_t i;

	for (i = 0; i < sizeof param_types / sizeof param_types[0]; i++) {
		if (strcmp(param_types[i].name, s) == 0) {
			*t = param_types[i].type;
			return 0;
		}
	}
	return -1;
}

static void
parse_param(struct loader *l, const struct ynode *key, const struct ynode *n,
    struct param *p)
{
	static const char *const keys[] = { "type", "default", "required",
	    "title", "description", "choices", NULL };
	static const char *const types[] = { "string", "int", "number",
	    "bool", "path", "date", "enum", NULL };
	const struct ynode *v;
	char err[256], buf[128];
	json_t *def;

	p->name = xstrdup(key->value);
	p->pos = pos_of(key);
	p->type = PARAM_STRING;
	if (!text_is_ident(p->name))
		err_at(l, key, "a param name must be a name such as "
		    "'input_dir', not '%s'", p->name);
	if (n->kind == YNODE_SCALAR) {
		/* Shorthand: "name: int". */
		if (param_type_parse(n->value, &p->type) != 0)
			err_at(l, n, "unknown param type '%s'%s", n->value,
			    suggest(buf, sizeof buf,
			    text_nearest(n->value, types, 7)));
		return;
	}
	if (ynode_want(n, YNODE_MAP, "a param", &l->sink) != 0)
		return;
	ynode_check_keys(n, "a param", keys, &l->sink);
	if ((v = ynode_get(n, "type")) != NULL &&
	    ynode_text(v, "type", &l->sink) != NULL &&
	    param_type_parse(v->value, &p->type) != 0)
		err_at(l, v, "unknown param type '%s'%s", v->value,
		    suggest(buf, sizeof buf, text_nearest(v->value, types, 7)));
	if ((v = ynode_get(n, "required")) != NULL)
		ynode_bool(v, "required", &p->required, &l->sink);
	if ((v = ynode_get(n, "title")) != NULL)
		p->title = ynode_text_dup(v, "title", &l->sink);
	if ((v = ynode_get(n, "description")) != NULL)
		p->description = ynode_text_dup(v, "description", &l->sink);
	if ((v = ynode_get(n, "choices")) != NULL) {
		size_t i;

		if (ynode_want(v, YNODE_SEQ, "choices", &l->sink) == 0) {
			p->choices = json_array();
			for (i = 0; i < v->n; i++) {
				if (ynode_text(v->items[i], "a choice",
				    &l->sink) != NULL)
					json_array_append_new(p->choices,
					    json_string(v->items[i]->value));
			}
		}
	}
	if (p->type == PARAM_ENUM && p->choices == NULL)
		err_at(l, n, "param '%s' is an enum and needs choices",
		    p->name);
	if ((v = ynode_get(n, "default")) != NULL) {
		def = ynode_to_json(v);
		if ((p->def = param_coerce(p, def, err, sizeof err)) == NULL)
			err_at(l, v, "default of param '%s': %s", p->name,
			    err);
		json_decref(def);
	}
}

static void
parse_params(struct loader *l, const struct ynode *n)
{
	struct script *s = l->script;
	size_t i;

	if (ynode_want(n, YNODE_MAP, "params", &l->sink) != 0)
		return;
	s->params = xcalloc(n->n ? n->n : 1, sizeof *s->params);
	for (i = 0; i < n->n; i++) {
		if (n->keys[i]->kind != YNODE_SCALAR) {
			err_at(l, n->keys[i], "param names must be scalars");
			continue;
		}
		parse_param(l, n->keys[i], n->items[i],
		    &s->params[s->nparams++]);
	}
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
				strv_add(&k->replaces_inputs, &k->nreplaces,
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
			strv_add(&s->requires, &s->nrequires,
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
		err_at(l, root, "a script needs a name");
	else if ((s->name = ynode_text_dup(v, "name", &l->sink)) != NULL &&
	    !text_is_ident(s->name))
		err_at(l, v, "name must be an identifier such as "
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
		parse_params(l, v);
	if ((v = ynode_get(root, "requires")) != NULL)
		parse_requires(l, v);
	collect_vars(l, ynode_get(root, "steps"));
	if ((v = ynode_get(root, "steps")) == NULL)
		err_at(l, root, "a script needs steps");
	else
		parse_steps(l, v, &s->steps);
	if ((v = ynode_get(root, "output")) != NULL)
		s->output = build_tval(l, v);
}

static struct script *
load_text(const char *name, const char *text, size_t len, struct diag *diag,
    char **stack, size_t depth, struct bundle *bundle, const char *reldir)
{
	struct loader l;
	struct script *s;
	struct ydoc *doc;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char err[1024], *namecopy;
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
	namecopy = xstrdup(name);
	l.dir = dirname(namecopy);
	l.stack = xcalloc(depth + 1, sizeof *l.stack);
	for (i = 0; i < depth; i++)
		l.stack[i] = stack[i];
	l.stack[depth] = s->path;
	l.depth = depth + 1;
	parse_script(&l, doc->root);
	free(l.stack);
	free(namecopy);
	strv_free(l.ids, l.nids);
	strv_free(l.vars, l.nvars);
	strv_free(l.loops, l.nloops);
	ydoc_free(doc);
	if (diag->n > before) {
		script_free(s);
		return NULL;
	}
	return s;
}

static struct script *
load_file(const char *path, struct diag *diag, char **stack, size_t depth,
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
	s = load_text(path, text, len, diag, stack, depth, bundle, reldir);
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

static struct script *
load_root(const char *path, const char *text, size_t len, json_t *files,
    struct diag *diag)
{
	struct bundle b = { files, json_object(), 0 };
	struct script *s;

	if (text != NULL)
		s = load_text(path, text, len, diag, NULL, 0, &b, "");
	else
		s = load_file(path, diag, NULL, 0, &b, "");
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
	return load_root(path, NULL, 0, NULL, diag);
}

struct script *
script_load_text(const char *name, const char *text, size_t len,
    struct diag *diag)
{
	return load_root(name, text, len, NULL, diag);
}

struct script *
script_load_bundle(const char *name, const char *text, size_t len,
    json_t *files, struct diag *diag)
{
	return load_root(name, text, len, files, diag);
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
	strv_free(s->kpi.replaces_inputs, s->kpi.nreplaces);
	for (i = 0; i < s->nparams; i++) {
		free(s->params[i].name);
		json_decref(s->params[i].def);
		free(s->params[i].title);
		free(s->params[i].description);
		json_decref(s->params[i].choices);
	}
	free(s->params);
	strv_free(s->requires, s->nrequires);
	steps_free(&s->steps);
	tval_free(s->output);
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

/* --- param values -------------------------------------------------------- */

json_t *
param_parse(const struct param *p, const char *text, char *err,
    size_t errlen)
{
	json_t *v = json_string(text), *r;

	if (v == NULL) {
		snprintf(err, errlen, "param '%s' is not valid UTF-8",
		    p->name);
		return NULL;
	}
	r = param_coerce(p, v, err, errlen);
	json_decref(v);
	return r;
}

static int
choice_ok(const struct param *p, const char *s)
{
	size_t i;
	json_t *c;

	json_array_foreach(p->choices, i, c) {
		if (strcmp(json_string_value(c), s) == 0)
			return 1;
	}
	return 0;
}

json_t *
param_coerce(const struct param *p, json_t *v, char *err, size_t errlen)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	char *end;
	double d;
	long long x;

	switch (p->type) {
	case PARAM_STRING:
	case PARAM_PATH:
		if (s != NULL)
			return json_incref(v);
		if (json_is_number(v) || json_is_boolean(v)) {
			char *t = json_dumps(v, JSON_ENCODE_ANY);
			json_t *r = json_string(t);

			free(t);
			return r;
		}
		break;
	case PARAM_INT:
		if (json_is_integer(v))
			return json_incref(v);
		if (s != NULL && *s != '\0') {
			errno = 0;
			x = strtoll(s, &end, 10);
			if (*end == '\0' && errno == 0)
				return json_integer(x);
		}
		snprintf(err, errlen, "param '%s' must be a whole number",
		    p->name);
		return NULL;
	case PARAM_NUMBER:
		if (json_is_number(v))
			return json_incref(v);
		if (s != NULL && *s != '\0') {
			d = strtod(s, &end);
			if (*end == '\0')
				return json_real(d);
		}
		snprintf(err, errlen, "param '%s' must be a number", p->name);
		return NULL;
	case PARAM_BOOL:
		if (json_is_boolean(v))
			return json_incref(v);
		if (s != NULL && (strcmp(s, "true") == 0 ||
		    strcmp(s, "yes") == 0 || strcmp(s, "1") == 0))
			return json_true();
		if (s != NULL && (strcmp(s, "false") == 0 ||
		    strcmp(s, "no") == 0 || strcmp(s, "0") == 0))
			return json_false();
		snprintf(err, errlen, "param '%s' must be true or false",
		    p->name);
		return NULL;
	case PARAM_DATE:
		if (s != NULL && text_is_iso_date(s))
			return json_incref(v);
		snprintf(err, errlen, "param '%s' must be a date written "
		    "YYYY-MM-DD", p->name);
		return NULL;
	case PARAM_ENUM:
		if (s != NULL && (p->choices == NULL || choice_ok(p, s)))
			return json_incref(v);
		{
			char *c = p->choices ? json_dumps(p->choices,
			    JSON_COMPACT) : xstrdup("[]");

			snprintf(err, errlen, "param '%s' must be one of %s",
			    p->name, c);
			free(c);
		}
		return NULL;
	}
	snprintf(err, errlen, "param '%s' must be %s", p->name,
	    param_type_name(p->type));
	return NULL;
}

json_t *
script_describe(const struct script *s)
{
	json_t *o = json_object(), *params = json_array(), *k, *list;
	size_t i;

	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "title", s->title ? json_string(s->title) :
	    json_string(s->name));
	json_object_set_new(o, "description", s->description ?
	    json_string(s->description) : json_string(""));
	json_object_set_new(o, "owner", s->owner ? json_string(s->owner) :
	    json_null());
	json_object_set_new(o, "version", s->version ?
	    json_string(s->version) : json_null());
	json_object_set_new(o, "digest", json_string(s->digest));
	for (i = 0; i < s->nparams; i++) {
		const struct param *p = &s->params[i];
		json_t *pj = json_object();

		json_object_set_new(pj, "name", json_string(p->name));
		json_object_set_new(pj, "type",
		    json_string(param_type_name(p->type)));
		json_object_set_new(pj, "required", json_boolean(p->required));
		json_object_set_new(pj, "default", p->def ?
		    json_incref(p->def) : json_null());
		json_object_set_new(pj, "title", json_string(p->title ?
		    p->title : p->name));
		json_object_set_new(pj, "description", json_string(
		    p->description ? p->description : ""));
		if (p->choices != NULL)
			json_object_set(pj, "choices", p->choices);
		json_array_append_new(params, pj);
	}
	json_object_set_new(o, "params", params);
	k = json_object();
	json_object_set_new(k, "manual_minutes_per_run",
	    json_real(s->kpi.manual_minutes_per_run));
	json_object_set_new(k, "manual_minutes_per_item",
	    json_real(s->kpi.manual_minutes_per_item));
	json_object_set_new(k, "vendor_minutes_per_run",
	    json_real(s->kpi.vendor_minutes_per_run));
	json_object_set_new(k, "vendor_minutes_per_item",
	    json_real(s->kpi.vendor_minutes_per_item));
	list = json_array();
	for (i = 0; i < s->kpi.nreplaces; i++)
		json_array_append_new(list,
		    json_string(s->kpi.replaces_inputs[i]));
	json_object_set_new(k, "replaces_inputs", list);
	json_object_set_new(o, "kpi", k);
	list = json_array();
	for (i = 0; i < s->nrequires; i++)
		json_array_append_new(list, json_string(s->requires[i]));
	json_object_set_new(o, "requires", list);
	return o;
}
