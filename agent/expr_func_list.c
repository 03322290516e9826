/*
 * expr_func_list.c - the list and object functions of the expression
 * language: first/last/keys/values, and the batch functions map, filter,
 * sort, unique, group_by, sum_by and range.
 *
 * The batch functions take a function argument "r => r.amount" or a key
 * 'amount' (see fctx_apply) and run in O(n) or O(n log n): a 100,000-row
 * list is one call, not a loop of steps that copies the list each time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expr.h"
#include "expr_int.h"
#include "xmalloc.h"

/* first/last of a list (null when empty) or of a string (a character). */
static json_t *
end_item(struct fctx *c, json_t **argv, int last)
{
	const char *s;
	size_t n, chars, from, to;

	if (json_is_array(argv[0])) {
		n = json_array_size(argv[0]);
		if (n == 0)
			return json_null();
		return json_incref(json_array_get(argv[0], last ? n - 1 : 0));
	}
	if (!json_is_string(argv[0]))
		return fctx_bad_arg(c, argv, 0, "a list or a string");
	s = json_string_value(argv[0]);
	n = json_string_length(argv[0]);
	chars = expr_u8_count(s, n);
	if (chars == 0)
		return json_incref(argv[0]);
	from = last ? expr_u8_offset(s, n, chars - 1) : 0;
	to = from + expr_u8_offset(s + from, n - from, 1);
	return expr_mkstr(s + from, to - from);
}

static json_t *
fn_first(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return end_item(c, argv, 0);
}

static json_t *
fn_last(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return end_item(c, argv, 1);
}

static json_t *
fn_keys(struct fctx *c, json_t **argv, int argc)
{
	const char *key;
	json_t *list, *v;

	(void)argc;
	if (!json_is_object(argv[0]))
		return fctx_bad_arg(c, argv, 0, "an object");
	list = json_array();
	json_object_foreach(argv[0], key, v)
		json_array_append_new(list, expr_mkstr(key, strlen(key)));
	return list;
}

static json_t *
fn_values(struct fctx *c, json_t **argv, int argc)
{
	const char *key;
	json_t *list, *v;

	(void)argc;
	if (!json_is_object(argv[0]))
		return fctx_bad_arg(c, argv, 0, "an object");
	list = json_array();
	json_object_foreach(argv[0], key, v)
		json_array_append(list, v);
	return list;
}


/* The list argument i, or NULL after an error. */
static json_t *
arg_list(struct fctx *c, json_t **argv, int i)
{
	if (!json_is_array(argv[i])) {
		fctx_bad_arg(c, argv, i, "a list");
		return NULL;
	}
	return argv[i];
}

static json_t *
fn_map(struct fctx *c, json_t **argv, int argc)
{
	json_t *list, *out, *v;
	size_t i, n;

	(void)argc;
	if ((list = arg_list(c, argv, 0)) == NULL)
		return NULL;
	n = json_array_size(list);
	out = json_array();
	for (i = 0; i < n; i++) {
		if ((v = fctx_apply(c, argv, 1, json_array_get(list, i))) ==
		    NULL) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, v);
	}
	return out;
}

static json_t *
fn_filter(struct fctx *c, json_t **argv, int argc)
{
	json_t *list, *out, *v, *item;
	size_t i, n;
	int keep;

	(void)argc;
	if ((list = arg_list(c, argv, 0)) == NULL)
		return NULL;
	n = json_array_size(list);
	out = json_array();
	for (i = 0; i < n; i++) {
		item = json_array_get(list, i);
		if ((v = fctx_apply(c, argv, 1, item)) == NULL) {
			json_decref(out);
			return NULL;
		}
		keep = expr_truthy(v);
		json_decref(v);
		if (keep)
			json_array_append(out, item);
	}
	return out;
}

/* An item with its sort key and original place (for a stable sort). */
struct keyed {
	json_t	*key;
	json_t	*item;		/* borrowed */
	size_t	 index;
};

/* Keys in order, nulls first; equal keys by their place. */
static int
key_order(const struct keyed *a, const struct keyed *b)
{
	if (json_is_null(a->key) || json_is_null(b->key))
		return !json_is_null(a->key) - !json_is_null(b->key);
	return expr_order(a->key, b->key);
}

static int
keyed_asc(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int r = key_order(a, b);

	return r ? r : (a->index > b->index) - (a->index < b->index);
}

static int
keyed_desc(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int r = key_order(b, a);

	return r ? r : (a->index > b->index) - (a->index < b->index);
}

static void
keyed_free(struct keyed *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_decref(k[i].key);
	free(k);
}

/*
 * The items of list with their keys (argument i applied to each, or the
 * items themselves when i < 0), all of one comparable type: numbers or
 * strings, nulls allowed.  NULL after an error.
 */
static struct keyed *
keys_of(struct fctx *c, json_t **argv, json_t *list, int i)
{
	size_t j, n = json_array_size(list);
	struct keyed *k = xcalloc(n ? n : 1, sizeof(*k));
	const json_t *first = NULL;

	for (j = 0; j < n; j++) {
		k[j].item = json_array_get(list, j);
		k[j].index = j;
		k[j].key = i < 0 ? json_incref(k[j].item) :
		    fctx_apply(c, argv, i, k[j].item);
		if (k[j].key == NULL)
			goto fail;
		if (json_is_null(k[j].key))
			continue;
		if (!json_is_number(k[j].key) && !json_is_string(k[j].key)) {
			fctx_fail(c, "the key of item [%zu] is a %s; sort by "
			    "numbers or strings", j, expr_type_name(k[j].key));
			goto fail;
		}
		if (first == NULL)
			first = k[j].key;
		else if (json_is_number(first) != json_is_number(k[j].key)) {
			fctx_fail(c, "cannot sort a %s key and a %s key "
			    "(item [%zu]); convert with number() or string()",
			    expr_type_name(first), expr_type_name(k[j].key), j);
			goto fail;
		}
	}
	return k;
fail:
	keyed_free(k, j + 1);
	return NULL;
}

/* sort(list[, key][, desc: true]): stable; nulls first (last when desc). */
static json_t *
fn_sort(struct fctx *c, json_t **argv, int argc)
{
	json_t *list, *out;
	struct keyed *k;
	size_t i, n;

	if ((list = arg_list(c, argv, 0)) == NULL)
		return NULL;
	if (argc > 2 && !json_is_boolean(argv[2]) && !json_is_null(argv[2]))
		return fctx_bad_arg(c, argv, 2, "true or false");
	n = json_array_size(list);
	if ((k = keys_of(c, argv, list, argc > 1 ? 1 : -1)) == NULL)
		return NULL;
	qsort(k, n, sizeof(*k), argc > 2 && json_is_true(argv[2]) ?
	    keyed_desc : keyed_asc);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(out, k[i].item);
	keyed_free(k, n);
	return out;
}

/* The text a key is grouped or compared by: 1 and 1.0 are the same. */
static char *
key_text(const json_t *key)
{
	struct buf b;

	buf_init(&b, 0);
	expr_dump(&b, key);
	return buf_detach(&b, NULL);
}

/* unique(list[, key]): the first item of each key, in order. */
static json_t *
fn_unique(struct fctx *c, json_t **argv, int argc)
{
	json_t *list, *out, *seen, *key, *item;
	size_t i, n;
	char *text;

	if ((list = arg_list(c, argv, 0)) == NULL)
		return NULL;
	n = json_array_size(list);
	out = json_array();
	seen = json_object();
	for (i = 0; i < n; i++) {
		item = json_array_get(list, i);
		if ((key = argc > 1 ? fctx_apply(c, argv, 1, item) :
		    json_incref(item)) == NULL) {
			json_decref(out);
			out = NULL;
			break;
		}
		text = key_text(key);
		json_decref(key);
		if (json_object_get(seen, text) == NULL) {
			json_object_set_new(seen, text, json_true());
			json_array_append(out, item);
		}
		free(text);
	}
	json_decref(seen);
	return out;
}

/* group_by(list, key): {key: [items]} in the order keys first appear. */
static json_t *
fn_group_by(struct fctx *c, json_t **argv, int argc)
{
	json_t *list, *out, *key, *item, *group;
	size_t i, n;
	char *text;

	(void)argc;
	if ((list = arg_list(c, argv, 0)) == NULL)
		return NULL;
	n = json_array_size(list);
	out = json_object();
	for (i = 0; i < n; i++) {
		item = json_array_get(list, i);
		if ((key = fctx_apply(c, argv, 1, item)) == NULL)
			goto fail;
		if (!json_is_string(key) && !json_is_number(key) &&
		    !json_is_boolean(key) && !json_is_null(key)) {
			fctx_fail(c, "the key of item [%zu] is a %s; group by "
			    "a string or a number", i, expr_type_name(key));
			json_decref(key);
			goto fail;
		}
		text = expr_to_string(key);
		json_decref(key);
		if ((group = json_object_get(out, text)) == NULL) {
			group = json_array();
			json_object_set_new(out, text, group);
		}
		json_array_append(group, item);
		free(text);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* sum_by(list, key): the sum of the keys, which must be numbers. */
static json_t *
fn_sum_by(struct fctx *c, json_t **argv, int argc)
{
	struct numsum sum = { 0, 0, 0 };
	json_t *list, *v;
	size_t i, n;

	(void)argc;
	if ((list = arg_list(c, argv, 0)) == NULL)
		return NULL;
	n = json_array_size(list);
	for (i = 0; i < n; i++) {
		if ((v = fctx_apply(c, argv, 1, json_array_get(list, i))) ==
		    NULL)
			return NULL;
		if (!json_is_number(v)) {
			fctx_fail(c, "the value of item [%zu] is a %s, not a "
			    "number (convert with number())", i,
			    expr_type_name(v));
			json_decref(v);
			return NULL;
		}
		numsum_add(&sum, v);
		json_decref(v);
	}
	return numsum_value(c, &sum);
}

#define RANGE_MAX	1000000		/* items range() makes at most */

/* range(n): 0..n-1; range(from, to[, step]): from up to, not including, to. */
static json_t *
fn_range(struct fctx *c, json_t **argv, int argc)
{
	long long from = 0, to, step = 1, count, i;
	json_t *out;

	if (fctx_arg_int(c, argv, 0, argc > 1 ? &from : &to) != 0 ||
	    (argc > 1 && fctx_arg_int(c, argv, 1, &to) != 0) ||
	    (argc > 2 && fctx_arg_int(c, argv, 2, &step) != 0))
		return NULL;
	if (step == 0)
		return fctx_fail(c, "the step must not be 0");
	if ((step > 0 && to <= from) || (step < 0 && to >= from))
		return json_array();
	/* Counted in floating point: to - from may not fit in a long long. */
	count = (long long)(((double)to - (double)from) / (double)step);
	if ((double)count * (double)step != (double)to - (double)from)
		count++;
	if (count > RANGE_MAX)
		return fctx_fail(c, "%lld items is more than %d", count,
		    RANGE_MAX);
	out = json_array();
	for (i = 0; i < count; i++)
		json_array_append_new(out, json_integer(from + i * step));
	return out;
}

static const char *const sort_names[] = { "list", "key", "desc", NULL };

const struct func expr_list_funcs[] = {
	{ "first", 1, 1, fn_first,
	    "the first item of a list (null when empty) or character", NULL },
	{ "last", 1, 1, fn_last,
	    "the last item of a list (null when empty) or character", NULL },
	{ "keys", 1, 1, fn_keys, "the keys of an object, in order", NULL },
	{ "values", 1, 1, fn_values,
	    "the values of an object, in order", NULL },
	{ "map", 2, 2, fn_map,
	    "map(list, x => expr): expr for each item ('key': its key)",
	    NULL, NULL, 2 },
	{ "filter", 2, 2, fn_filter,
	    "filter(list, x => cond): the items for which cond is true",
	    NULL, NULL, 2 },
	{ "sort", 1, 3, fn_sort,
	    "sort(list[, key][, desc: true]): stable, by a key or function",
	    NULL, sort_names, 2 },
	{ "unique", 1, 2, fn_unique,
	    "unique(list[, key]): the first item of each value or key",
	    NULL, NULL, 2 },
	{ "group_by", 2, 2, fn_group_by,
	    "group_by(list, key): {key: [items]}, keys in first-seen order",
	    NULL, NULL, 2 },
	{ "sum_by", 2, 2, fn_sum_by,
	    "sum_by(list, key): the sum of a number key over the items",
	    NULL, NULL, 2 },
	{ "range", 1, 3, fn_range,
	    "range(n) or range(from, to[, step]): a list of whole numbers",
	    NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};
