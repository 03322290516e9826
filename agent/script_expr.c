/*
 * script_expr.c - the ${...} templates of a script as the loader sees
 * them: compiled once, every name they use checked against what is
 * defined where they are used, and argument trees of literals and
 * templates evaluated at run time.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "script.h"
#include "script_int.h"
#include "textutil.h"
#include "xmalloc.h"
#include "ydoc.h"

/* Names that are always defined in expressions. */
static const char *const builtin_roots[] = {
	"params", "env", "steps", "vars", "secrets", "assets", "run", "loop",
	"error", NULL,
};

/* --- names used by expressions ----------------------------------------- */

struct refcheck {
	struct loader		*l;
	const struct ynode	*node;
	int			 failed;
};

/* The position of byte offset off of a scalar's value, in its file. */
static struct pos
pos_in(struct loader *l, const struct ynode *n, size_t off)
{
	struct pos p = ld_pos_of(n);

	if (n->kind == YNODE_SCALAR && l->script->source != NULL)
		ydoc_pos_at(l->script->source, n->line, n->col, n->style,
		    n->value, off, &p.line, &p.col);
	return p;
}

static void
ref_error(struct refcheck *rc, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ref_error(struct refcheck *rc, size_t off, const char *fmt, ...)
{
	struct pos p = pos_in(rc->l, rc->node, off);
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(rc->l->diag, &p, "%s", msg);
	free(msg);
	rc->failed = 1;
}

/* The members a built-in name has, NULL-terminated. */
static const char *const result_members[] = { "output", "status", "error",
    "duration_ms", NULL };
static const char *const loop_members[] = { "index", "number", "count",
    "first", "last", NULL };
static const char *const error_members[] = { "message", "step", NULL };
static const char *const run_members[] = { "id", "script", "version",
    "digest", "started_at", "dry_run", "artifacts", NULL };

/* The output of a for_each and of a while loop. */
static const struct action_out loop_out[] = {
	{ "count", ARG_INT, "the number of elements" },
	{ "succeeded", ARG_INT, "iterations that succeeded" },
	{ "failed", ARG_INT, "iterations that failed" },
	{ "skipped", ARG_INT, "items that ended with skip" },
	{ "not_run", ARG_INT, "items never started (the loop timed out or "
	    "was cancelled)" },
	{ NULL, 0, NULL },
};
static const struct action_out while_out[] = {
	{ "iterations", ARG_INT, "how many times the steps ran" },
	{ NULL, 0, NULL },
};

/*
 * Check that member is one of names; report "PATH: WHAT (did you mean
 * 'x'?)" at off otherwise.  Returns 0 when it is.
 */
static int
check_member(struct refcheck *rc, const struct expr_ref *ref, int k,
    const char *const *names, const char *what)
{
	char buf[128], *path;
	size_t n, len = 0;
	int i;

	for (n = 0; names[n] != NULL; n++)
		if (strcmp(names[n], ref->member[k]) == 0)
			return 0;
	path = xstrdup(ref->root);
	for (i = 0; i < k; i++) {
		len = strlen(path);
		path = xrealloc(path, len + strlen(ref->member[i]) + 2);
		snprintf(path + len, strlen(ref->member[i]) + 2, ".%s",
		    ref->member[i]);
	}
	ref_error(rc, ref->member_offset[k], "%s.%s: %s has no '%s'%s", path,
	    ref->member[k], what, ref->member[k], ld_suggest(buf, sizeof buf,
	    text_nearest(ref->member[k], names, n)));
	free(path);
	return -1;
}

/*
 * The keys a step's output always has, NULL-terminated in *keys (the
 * caller frees the array, not the strings); the output's type, ARG_ANY
 * when it is not known.  what names the step for messages.
 */
static enum arg_type
step_shape(const struct step *st, const char ***keys, char *what,
    size_t whatlen)
{
	const struct action_out *out = NULL;
	const struct tval *map = NULL;
	enum arg_type type = ARG_ANY;
	size_t n = 0, i;

	*keys = NULL;
	switch (st->kind) {
	case STEP_ACTION:
		if (st->action == NULL)
			return ARG_ANY;	/* an unknown action, reported */
		snprintf(what, whatlen, "%s's output", st->action->name);
		type = st->action->out_type;
		out = st->action->out;
		/* set outputs what it sets. */
		if (strcmp(st->action->name, "set") == 0)
			map = st->args;
		break;
	case STEP_FOR_EACH:
		snprintf(what, whatlen, "a for_each's output");
		type = ARG_MAP;
		out = loop_out;
		break;
	case STEP_WHILE:
		snprintf(what, whatlen, "a while loop's output");
		type = ARG_MAP;
		out = while_out;
		break;
	case STEP_INCLUDE:
		snprintf(what, whatlen, "the output of '%s'", st->sub ?
		    st->sub->path : "the include");
		map = st->sub != NULL ? st->sub->output : NULL;
		if (map != NULL && map->kind == TVAL_MAP)
			type = ARG_MAP;
		else
			map = NULL;
		break;
	}
	if (type != ARG_MAP)
		return type;
	if (map != NULL && map->kind == TVAL_MAP) {
		*keys = xcalloc(map->n + 1, sizeof **keys);
		for (i = 0; i < map->n; i++)
			(*keys)[n++] = map->keys[i];
	} else if (map != NULL && json_is_object(map->literal)) {
		const char *k;
		json_t *v;

		*keys = xcalloc(json_object_size(map->literal) + 1,
		    sizeof **keys);
		json_object_foreach(map->literal, k, v)
			(*keys)[n++] = k;
	} else if (out != NULL) {
		while (out[n].name != NULL)
			n++;
		*keys = xcalloc(n + 1, sizeof **keys);
		for (i = 0; i < n; i++)
			(*keys)[i] = out[i].name;
	} else
		return ARG_ANY;		/* a mapping of undeclared keys */
	return ARG_MAP;
}

/* steps.ID.FIELD.KEY: the id comes before, FIELD is a result's, KEY is
 * in the step's declared output. */
static void
check_steps_ref(struct refcheck *rc, const struct expr_ref *ref)
{
	struct loader *l = rc->l;
	const char *id = ref->member[0], **keys;
	const struct step *st = NULL;
	enum arg_type type;
	char buf[128], what[256];
	size_t i;

	for (i = 0; i < l->nids; i++)
		if (strcmp(l->ids[i], id) == 0)
			st = l->idsteps[i];
	if (st == NULL) {
		ref_error(rc, ref->member_offset[0], "no step with id '%s' "
		    "comes before this point%s", id, ld_suggest(buf,
		    sizeof buf, text_nearest(id, (const char *const *)l->ids,
		    l->nids)));
		return;
	}
	if (ref->nmembers < 2 || check_member(rc, ref, 1, result_members,
	    "a step's result") != 0)
		return;
	if (ref->nmembers < 3 || strcmp(ref->member[1], "output") != 0)
		return;
	type = step_shape(st, &keys, what, sizeof what);
	if (type == ARG_MAP)
		check_member(rc, ref, 2, keys, what);
	else if (type != ARG_ANY)
		ref_error(rc, ref->member_offset[2], "steps.%s.output.%s: %s "
		    "is %s, with no member '%s'", id, ref->member[2], what,
		    arg_type_name(type), ref->member[2]);
	free(keys);
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
		ref_error(rc, ref->member_offset[0], "undefined param "
		    "'%s'%s", member, ld_suggest(buf, sizeof buf,
		    text_nearest(member, known, s->nparams)));
		free(known);
		return;
	}
	if (strcmp(root, "steps") == 0) {
		if (member != NULL)
			check_steps_ref(rc, ref);
		return;
	}
	if (strcmp(root, "loop") == 0 && !ld_strv_has(l->loops, l->nloops,
	    "loop")) {
		if (l->loop_depth == 0) {
			ref_error(rc, off, "'loop' is only defined inside a "
			    "for_each or while loop");
			return;
		}
		if (member != NULL)
			check_member(rc, ref, 0, loop_members, "loop");
		return;
	}
	if (strcmp(root, "error") == 0 && !ld_strv_has(l->loops, l->nloops,
	    "error")) {
		if (l->in_handler == 0) {
			ref_error(rc, off, "'error' is only defined in on_error "
			    "steps");
			return;
		}
		if (member != NULL)
			check_member(rc, ref, 0, error_members, "error");
		return;
	}
	if (strcmp(root, "run") == 0 && member != NULL) {
		check_member(rc, ref, 0, run_members, "run");
		return;
	}
	if (strcmp(root, "vars") == 0 && member != NULL &&
	    !ld_strv_has(l->vars, l->nvars, member)) {
		ref_error(rc, ref->member_offset[0], "variable '%s' is not set "
		    "before this point%s", member, ld_suggest(buf, sizeof buf,
		    text_nearest(member, (const char *const *)l->vars,
		    l->nvars)));
		return;
	}
	for (i = 0; builtin_roots[i] != NULL; i++) {
		if (strcmp(root, builtin_roots[i]) == 0)
			return;
	}
	if (ld_strv_has(l->loops, l->nloops, root) ||
	    ld_strv_has(l->vars, l->nvars, root))
		return;
	if (ld_strv_has(l->later, l->nlater, root)) {
		ref_error(rc, off, "'%s' is used before the step that sets it",
		    root);
		return;
	}
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
	    ld_suggest(buf, sizeof buf, text_nearest(root, known, n)));
	free(known);
}

/* Compile a scalar as a template and check the names it uses. */
struct tmpl *
ld_compile(struct loader *l, const struct ynode *n)
{
	struct expr_error e;
	struct refcheck rc = { l, n, 0 };
	struct tmpl *t;
	struct pos p;

	memset(&e, 0, sizeof e);
	if ((t = tmpl_compile(n->value, &e)) == NULL) {
		p = pos_in(l, n, e.offset);
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
	t->pos = ld_pos_of(n);
	return t;
}

/* A template compiled from a scalar, keeping what it takes to place an
 * error at an offset of its text (tval_where). */
struct tval *
ld_template(struct loader *l, const struct ynode *n)
{
	struct tmpl *tm;
	struct tval *t;

	if ((tm = ld_compile(l, n)) == NULL)
		return NULL;
	t = tval_new(TVAL_TEMPLATE, n);
	t->tmpl = tm;
	t->style = (int)n->style;
	t->text = xstrdup(n->value);
	t->src = l->script->source;
	return t;
}

struct pos
tval_where(const struct tval *t, size_t offset)
{
	struct pos p = t->pos;

	if (t->kind == TVAL_TEMPLATE && t->src != NULL)
		ydoc_pos_at(t->src, t->pos.line, t->pos.col,
		    (enum ynode_style)t->style, t->text, offset, &p.line,
		    &p.col);
	return p;
}

struct tval *
ld_build_tval(struct loader *l, const struct ynode *n)
{
	struct tval *t;
	size_t i;
	int literal = 1;

	if (n->kind == YNODE_SCALAR) {
		if (strstr(n->value, "${") == NULL) {
			t = tval_new(TVAL_LITERAL, n);
			t->literal = ynode_scalar_json(n);
			return t;
		}
		return ld_template(l, n);
	}
	t = tval_new(n->kind == YNODE_SEQ ? TVAL_LIST : TVAL_MAP, n);
	t->items = xcalloc(n->n ? n->n : 1, sizeof *t->items);
	if (n->kind == YNODE_MAP)
		t->keys = xcalloc(n->n ? n->n : 1, sizeof *t->keys);
	for (i = 0; i < n->n; i++) {
		if (n->kind == YNODE_MAP) {
			if (n->keys[i]->kind != YNODE_SCALAR) {
				ld_err_at(l, n->keys[i], "keys must be scalars");
				ld_tval_free(t);
				return NULL;
			}
			t->keys[i] = xstrdup(n->keys[i]->value);
		}
		t->n = i + 1;
		if ((t->items[i] = ld_build_tval(l, n->items[i])) == NULL) {
			ld_tval_free(t);
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
		ld_tval_free(t);
		return lit;
	}
	return t;
}

void
ld_tval_free(struct tval *t)
{
	size_t i;

	if (t == NULL)
		return;
	json_decref(t->literal);
	tmpl_free(t->tmpl);
	free(t->text);
	for (i = 0; i < t->n; i++) {
		if (t->keys != NULL)
			free(t->keys[i]);
		ld_tval_free(t->items[i]);
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
			*where = err != NULL ? tval_where(t, err->offset) :
			    t->pos;
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
				json_object_set_new_nocheck(v, t->keys[i],
				    item);
		}
		return v;
	}
	return NULL;
}

