/*
 * expr_func.c - the function table of the expression language and what
 * every function shares: argument checks and error messages.
 *
 * The functions themselves live by family in expr_func_text.c,
 * expr_func_num.c, expr_func_date.c and expr_func_list.c, each with a
 * table of rows; this file looks names up across those tables, suggests
 * the nearest name for a typo, and holds the few functions that belong
 * to no family (string, default, json, from_json, type).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expr.h"
#include "expr_int.h"
#include "xmalloc.h"

json_t * __attribute__((format(printf, 2, 3)))
fctx_fail(struct fctx *c, const char *fmt, ...)
{
	char msg[sizeof(c->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	expr_seterr(c->err, c->offset, "%s(): %s", c->fn->name, msg);
	return NULL;
}

/* The argument-number phrase of a message: "" for a one-argument
 * function, else "argument N ". */
json_t *
fctx_bad_arg(struct fctx *c, json_t **argv, int i, const char *want)
{
	if (c->fn->max_args == 1)
		return fctx_fail(c, "expected %s, got %s", want,
		    expr_type_name(argv[i]));
	return fctx_fail(c, "argument %d must be %s, got %s", i + 1, want,
	    expr_type_name(argv[i]));
}

/*
 * argv[i] as text.  Strings are used as they are; numbers and booleans
 * are converted (argv[i] is replaced by the string, which the caller's
 * cleanup then frees); anything else is an error (NULL, error set).
 */
const char *
fctx_arg_text(struct fctx *c, json_t **argv, int i, size_t *lenp)
{
	json_t *v = argv[i];

	if (json_is_number(v) || json_is_boolean(v)) {
		argv[i] = expr_mkstr_owned(expr_to_string(v));
		json_decref(v);
		v = argv[i];
	}
	if (!json_is_string(v)) {
		fctx_bad_arg(c, argv, i, "a string");
		return NULL;
	}
	if (lenp != NULL)
		*lenp = json_string_length(v);
	return json_string_value(v);
}

/* argv[i] as an integer (an integral real is accepted). */
int
fctx_arg_int(struct fctx *c, json_t **argv, int i, long long *out)
{
	double d;

	if (json_is_integer(argv[i])) {
		*out = json_integer_value(argv[i]);
		return 0;
	}
	if (json_is_real(argv[i])) {
		d = json_real_value(argv[i]);
		if (d == trunc(d) && d >= -9e18 && d <= 9e18) {
			*out = (long long)d;
			return 0;
		}
	}
	fctx_bad_arg(c, argv, i, "a whole number");
	return -1;
}

/* A real result, refusing infinities (json_real cannot hold them). */
json_t *
fctx_mkreal(struct fctx *c, double d)
{
	if (!isfinite(d))
		return fctx_fail(c, "number out of range");
	return json_real(d);
}

static json_t *
fn_string(struct fctx *c, json_t **argv, int argc)
{
	(void)c;
	(void)argc;
	if (json_is_string(argv[0]))
		return json_incref(argv[0]);
	return expr_mkstr_owned(expr_to_string(argv[0]));
}

static json_t *
fn_default(struct fctx *c, json_t **argv, int argc)
{
	(void)c;
	(void)argc;
	if (json_is_null(argv[0]) ||
	    (json_is_string(argv[0]) && json_string_length(argv[0]) == 0))
		return json_incref(argv[1]);
	return json_incref(argv[0]);
}

static json_t *
fn_json(struct fctx *c, json_t **argv, int argc)
{
	struct buf b;

	(void)argc;
	buf_init(&b, 0);
	if (expr_dump(&b, argv[0]) != 0) {
		buf_free(&b);
		return fctx_fail(c, "value too large");
	}
	return expr_mkstr_owned(buf_detach(&b, NULL));
}

static json_t *
fn_from_json(struct fctx *c, json_t **argv, int argc)
{
	json_error_t jerr;
	const char *s;
	size_t n;
	json_t *v;

	(void)argc;
	if (!json_is_string(argv[0]))
		return fctx_bad_arg(c, argv, 0, "a string");
	s = json_string_value(argv[0]);
	n = json_string_length(argv[0]);
	v = json_loadb(s, n, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		return fctx_fail(c, "invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
	return v;
}

static json_t *
fn_type(struct fctx *c, json_t **argv, int argc)
{
	const char *t = expr_type_name(argv[0]);

	(void)c;
	(void)argc;
	return expr_mkstr(t, strlen(t));
}


/* The functions that belong to no family. */
const struct func expr_misc_funcs[] = {
	{ "string", 1, 1, fn_string,
	    "the value as text, as a template would splice it", NULL },
	{ "default", 2, 2, fn_default,
	    "default(x, fallback): fallback when x is null or \"\"", NULL },
	{ "json", 1, 1, fn_json, "the value as compact JSON text", NULL },
	{ "from_json", 1, 1, fn_from_json,
	    "the value that JSON text describes", NULL },
	{ "type", 1, 1, fn_type,
	    "the type: null, boolean, number, string, list or object", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* The families, in the order of the reference. */
static const struct func *const families[] = {
	expr_text_funcs, expr_num_funcs, expr_list_funcs, expr_misc_funcs,
	expr_date_funcs,
};
#define NFAMILIES	(sizeof(families) / sizeof(families[0]))

const struct func *
expr_func_find(const char *name, size_t len)
{
	const struct func *f;
	size_t i;

	for (i = 0; i < NFAMILIES; i++)
		for (f = families[i]; f->name != NULL; f++)
			if (strlen(f->name) == len &&
			    memcmp(f->name, name, len) == 0)
				return f;
	return NULL;
}

/* Edit distance between a and b (bytes), capped for long names. */
static size_t
levenshtein(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b), row[65], i, j, prev, tmp, best;

	if (an > 64 || bn > 64)
		return SIZE_MAX;
	for (j = 0; j <= bn; j++)
		row[j] = j;
	for (i = 1; i <= an; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= bn; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[bn];
}

const struct func *
expr_func_nearest(const char *name, size_t len)
{
	const struct func *best = NULL, *f;
	size_t i, d, bestd = SIZE_MAX;

	for (i = 0; i < NFAMILIES; i++)
		for (f = families[i]; f->name != NULL; f++) {
			d = levenshtein(name, len, f->name);
			if (d < bestd) {
				bestd = d;
				best = f;
			}
		}
	if (best == NULL || bestd > 2 || bestd >= len)
		return NULL;
	return best;
}

void
expr_foreach_function(void (*fn)(const char *, const char *, void *),
    void *arg)
{
	const struct func *f;
	size_t i;

	for (i = 0; i < NFAMILIES; i++)
		for (f = families[i]; f->name != NULL; f++)
			fn(f->name, f->summary, arg);
}
