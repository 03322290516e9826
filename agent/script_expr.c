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
	"params", "env", "steps", "vars", "secrets", "run", "loop", "error",
	NULL,
};
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
	struct pos p = ld_pos_of(n);
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
		    ld_suggest(buf, sizeof buf, text_nearest(member, known,
		    s->nparams)));
		free(known);
		return;
	}
	if (strcmp(root, "steps") == 0) {
		if (member == NULL || ld_strv_has(l->ids, l->nids, member))
			return;
		ref_error(rc, off, "no step with id '%s' comes before this "
		    "point%s", member, ld_suggest(buf, sizeof buf, text_nearest(
		    member, (const char *const *)l->ids, l->nids)));
		return;
	}
	for (i = 0; builtin_roots[i] != NULL; i++) {
		if (strcmp(root, builtin_roots[i]) == 0)
			return;
	}
	if (ld_strv_has(l->loops, l->nloops, root) ||
	    ld_strv_has(l->vars, l->nvars, root))
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
	t->pos = ld_pos_of(n);
	return t;
}

struct tval *
ld_build_tval(struct loader *l, const struct ynode *n)
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
		if ((tm = ld_compile(l, n)) == NULL)
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

