/*
 * expr_func_list.c - the list and object functions of the expression
 * language.
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


const struct func expr_list_funcs[] = {
	{ "first", 1, 1, fn_first,
	    "the first item of a list (null when empty) or character", NULL },
	{ "last", 1, 1, fn_last,
	    "the last item of a list (null when empty) or character", NULL },
	{ "keys", 1, 1, fn_keys, "the keys of an object, in order", NULL },
	{ "values", 1, 1, fn_values,
	    "the values of an object, in order", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};
