/*
 * taint.c - trace template values to the secrets they derive from (see
 * taint.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taint.h"
#include "xmalloc.h"

/* What one walk over a template's references collects. */
struct trace {
	json_t	*frame;		/* borrowed */
	json_t	*all;		/* borrowed: every secret's name */
	json_t	*names;		/* secret name -> true */
};

static void
add_names(struct trace *t, json_t *set)
{
	if (json_is_object(set))
		json_object_update(t->names, set);
}

/* Every key of the frame of this kind (for a member chosen at run time). */
static void
add_kind(struct trace *t, char kind)
{
	const char *k;
	json_t *v;

	json_object_foreach(t->frame, k, v)
		if (k[0] == kind)
			add_names(t, v);
}

static void
add_key(struct trace *t, char kind, const char *name)
{
	char key[256];

	snprintf(key, sizeof key, "%c:%s", kind, name);
	add_names(t, json_object_get(t->frame, key));
}

static void
on_ref(void *arg, const struct expr_ref *ref)
{
	struct trace *t = arg;
	const char *root = ref->root;
	const char *member = ref->nmembers > 0 ? ref->member[0] : NULL;
	static const struct {
		const char	*root;
		char		 kind;
	} roots[] = {
		{ "vars", 'v' }, { "steps", 's' }, { "params", 'p' },
	};
	size_t i;

	if (strcmp(root, "secrets") == 0) {
		if (member != NULL)
			json_object_set(t->names, member, json_true());
		else
			add_names(t, t->all);
		return;
	}
	for (i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		if (strcmp(root, roots[i].root) != 0)
			continue;
		if (member != NULL)
			add_key(t, roots[i].kind, member);
		else
			add_kind(t, roots[i].kind);
		return;
	}
	/* A bare name: a loop variable, or a variable set by `set`. */
	add_key(t, 'b', root);
	add_key(t, 'v', root);
}

json_t *
taint_tmpl(const struct tmpl *tmpl, json_t *frame, json_t *all)
{
	struct trace t = { frame, all, json_object() };

	if (tmpl != NULL)
		tmpl_refs(tmpl, on_ref, &t);
	return t.names;
}

json_t *
taint_part(const struct tmpl *tmpl, size_t part, json_t *frame, json_t *all)
{
	struct trace t = { frame, all, json_object() };

	tmpl_part_refs(tmpl, part, on_ref, &t);
	return t.names;
}

json_t *
taint_tval(const struct tval *t, json_t *frame, json_t *all)
{
	json_t *acc, *sub;
	size_t i;

	if (t == NULL)
		return json_object();
	switch (t->kind) {
	case TVAL_TEMPLATE:
		return taint_tmpl(t->tmpl, frame, all);
	case TVAL_LIST:
	case TVAL_MAP:
		acc = json_object();
		for (i = 0; i < t->n; i++) {
			sub = taint_tval(t->items[i], frame, all);
			json_object_update(acc, sub);
			json_decref(sub);
		}
		return acc;
	case TVAL_LITERAL:
	default:
		return json_object();
	}
}

void
taint_mark(json_t *frame, char kind, const char *name, json_t *names)
{
	char key[256];

	snprintf(key, sizeof key, "%c:%s", kind, name);
	if (names == NULL || json_object_size(names) == 0)
		json_object_del(frame, key);
	else
		json_object_set(frame, key, names);
}

void
taint_add(json_t *frame, char kind, const char *name, json_t *names)
{
	char key[256];
	json_t *had, *all;

	if (names == NULL || json_object_size(names) == 0)
		return;
	snprintf(key, sizeof key, "%c:%s", kind, name);
	/* A new set: the one there may be shared with another name. */
	all = json_object();
	if ((had = json_object_get(frame, key)) != NULL)
		json_object_update(all, had);
	json_object_update(all, names);
	json_object_set_new(frame, key, all);
}

static void
strings(json_t *v, void (*fn)(void *, const char *), void *arg, int *left)
{
	const char *k;
	json_t *item;
	size_t i;

	if (*left <= 0)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		(*left)--;
		fn(arg, json_string_value(v));
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, item)
			strings(item, fn, arg, left);
		break;
	case JSON_OBJECT:
		json_object_foreach(v, k, item)
			strings(item, fn, arg, left);
		break;
	default:
		break;
	}
}

void
taint_strings(json_t *v, void (*fn)(void *, const char *), void *arg)
{
	int left = TAINT_MAX_STRINGS;

	if (v != NULL)
		strings(v, fn, arg, &left);
}
