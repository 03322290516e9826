/*
 * expr_eval.c - evaluation of compiled expressions, and the values they
 * work on.
 *
 * Evaluation walks the tree expr_parse.c built and never looks at source
 * text again, which is what makes evaluating the same step for 10,000 CSV
 * rows cheap.  Values are jansson values and are never modified once
 * made: constants and scope values are shared by reference, so every
 * operator builds new values instead of changing its operands.
 */
#include <limits.h>
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
#include "textutil.h"
#include "width.h"

/* ------------------------------------------------------------------ */
/* Messages */


void __attribute__((format(printf, 3, 0)))
expr_vseterr(struct expr_error *err, size_t offset, const char *fmt, va_list ap)
{
	err->offset = offset;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	text_utf8_trim_partial(err->msg);
}

void __attribute__((format(printf, 3, 4)))
expr_seterr(struct expr_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	expr_vseterr(err, offset, fmt, ap);
	va_end(ap);
}

/* The first n bytes of s for quoting in a message: at most max bytes, cut
 * at a character boundary, with "..." when cut. */
const char *
expr_quote(const char *s, size_t n, char *out, size_t outlen)
{
	size_t cut = 0, l, max = outlen > 4 ? outlen - 4 : 0;
	uint32_t cp;

	while (cut < n) {
		l = width_utf8_decode(s + cut, n - cut, &cp);
		if (l == 0)
			l = 1;
		if (cut + l > max)
			break;
		cut += l;
	}
	snprintf(out, outlen, "%.*s%s", (int)cut, s, cut < n ? "..." : "");
	return out;
}

const char *
expr_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:		return "null";
	case JSON_TRUE:
	case JSON_FALSE:	return "boolean";
	case JSON_INTEGER:
	case JSON_REAL:		return "number";
	case JSON_STRING:	return "string";
	case JSON_ARRAY:	return "list";
	case JSON_OBJECT:	return "object";
	}
	return "value";
}

/* ------------------------------------------------------------------ */
/* Text and values */

/* Characters in a UTF-8 string; an invalid byte counts as one. */
size_t
expr_u8_count(const char *s, size_t n)
{
	size_t i = 0, chars = 0, l;
	uint32_t cp;

	while (i < n) {
		l = width_utf8_decode(s + i, n - i, &cp);
		i += l ? l : 1;
		chars++;
	}
	return chars;
}

/* Byte offset of character number `chars` (or n when there are fewer). */
size_t
expr_u8_offset(const char *s, size_t n, size_t chars)
{
	size_t i = 0, l;
	uint32_t cp;

	while (i < n && chars > 0) {
		l = width_utf8_decode(s + i, n - i, &cp);
		i += l ? l : 1;
		chars--;
	}
	return i;
}

/* A string value from bytes known to be valid UTF-8. */
json_t *
expr_mkstr(const char *s, size_t n)
{
	return json_stringn_nocheck(s, n);
}

/* The same, taking ownership of a NUL-terminated s. */
json_t *
expr_mkstr_owned(char *s)
{
	json_t *v = json_stringn_nocheck(s, strlen(s));

	free(s);
	return v;
}

/*
 * The shortest text that reads back as the same double: 3 for 3.0, 0.1 for
 * 0.1.  Integral values below 1e17 are written without an exponent.
 */
void
expr_fmt_real(double v, char out[40])
{
	int prec;

	if (v == 0) {
		snprintf(out, 40, "0");
		return;
	}
	if (v == trunc(v) && fabs(v) < 1e17) {
		snprintf(out, 40, "%.0f", v);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
	snprintf(out, 40, "%.17g", v);
}

/* Append a JSON string literal. */
static int
dump_string(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	unsigned char c;
	char esc[8];

	if (buf_putc(b, '"') != 0)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (buf_append(b, s + start, i - start) != 0)
			return -1;
		start = i + 1;
		switch (c) {
		case '"':	snprintf(esc, sizeof(esc), "\\\""); break;
		case '\\':	snprintf(esc, sizeof(esc), "\\\\"); break;
		case '\n':	snprintf(esc, sizeof(esc), "\\n"); break;
		case '\r':	snprintf(esc, sizeof(esc), "\\r"); break;
		case '\t':	snprintf(esc, sizeof(esc), "\\t"); break;
		default:	snprintf(esc, sizeof(esc), "\\u%04x", c); break;
		}
		if (buf_puts(b, esc) != 0)
			return -1;
	}
	if (buf_append(b, s + start, n - start) != 0)
		return -1;
	return buf_putc(b, '"');
}

/* Append v as compact JSON, numbers in their shortest form, non-ASCII text
 * as it is, object keys in insertion order. */
int
expr_dump(struct buf *b, const json_t *v)
{
	char num[40];
	const char *key;
	json_t *item;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_NULL:		return buf_puts(b, "null");
	case JSON_TRUE:		return buf_puts(b, "true");
	case JSON_FALSE:	return buf_puts(b, "false");
	case JSON_INTEGER:
		return buf_printf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	case JSON_REAL:
		expr_fmt_real(json_real_value(v), num);
		return buf_puts(b, num);
	case JSON_STRING:
		return dump_string(b, json_string_value(v),
		    json_string_length(v));
	case JSON_ARRAY:
		if (buf_putc(b, '[') != 0)
			return -1;
		json_array_foreach(v, i, item) {
			if ((i > 0 && buf_putc(b, ',') != 0) ||
			    expr_dump(b, item) != 0)
				return -1;
		}
		return buf_putc(b, ']');
	case JSON_OBJECT:
		if (buf_putc(b, '{') != 0)
			return -1;
		json_object_foreach((json_t *)v, key, item) {
			if ((!first && buf_putc(b, ',') != 0) ||
			    dump_string(b, key, strlen(key)) != 0 ||
			    buf_putc(b, ':') != 0 || expr_dump(b, item) != 0)
				return -1;
			first = 0;
		}
		return buf_putc(b, '}');
	}
	return -1;
}

char *
expr_to_string(const json_t *v)
{
	struct buf b;
	char num[40];

	if (v == NULL)
		return xstrdup("");
	switch (json_typeof(v)) {
	case JSON_NULL:
		return xstrdup("");
	case JSON_STRING:
		return xstrndup(json_string_value(v), json_string_length(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		expr_fmt_real(json_real_value(v), num);
		return xstrdup(num);
	default:
		buf_init(&b, 0);
		expr_dump(&b, v);	/* past the cap the text is cut short */
		return buf_detach(&b, NULL);
	}
}

int
expr_truthy(const json_t *v)
{
	if (v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:	return 0;
	case JSON_TRUE:		return 1;
	case JSON_INTEGER:	return json_integer_value(v) != 0;
	case JSON_REAL:		return json_real_value(v) != 0;
	case JSON_STRING:	return json_string_length(v) > 0;
	case JSON_ARRAY:	return json_array_size(v) > 0;
	case JSON_OBJECT:	return json_object_size(v) > 0;
	}
	return 0;
}

/* Equality as "==" sees it: numbers by value (1 == 1.0), other values of
 * different types are unequal, lists and objects element by element. */
int
expr_equal(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, x)
			if (!expr_equal(x, json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, key, x) {
			json_t *y = json_object_get(b, key);
			if (y == NULL || !expr_equal(x, y))
				return 0;
		}
		return 1;
	default:
		return 1;	/* null, true, false: the type is the value */
	}
}

/* Compare two numbers or two strings for min/max/sort: <0, 0, >0. */
int
expr_order(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return (json_integer_value(a) > json_integer_value(b)) -
		    (json_integer_value(a) < json_integer_value(b));
	if (json_is_number(a))
		return (json_number_value(a) > json_number_value(b)) -
		    (json_number_value(a) < json_number_value(b));
	return strcmp(json_string_value(a), json_string_value(b));
}


/* ------------------------------------------------------------------ */
/* Evaluation */

static const char *const op_text[] = {
	[B_ADD] = "+", [B_SUB] = "-", [B_MUL] = "*", [B_DIV] = "/",
	[B_MOD] = "%", [B_EQ] = "==", [B_NE] = "!=", [B_LT] = "<",
	[B_LE] = "<=", [B_GT] = ">", [B_GE] = ">=", [B_IN] = "in",
};

/* + - * / % on two numbers.  Integers stay integers while the result is
 * exact and fits; otherwise the result is a real. */
static json_t *
arith(enum binop op, const json_t *l, const json_t *r,
    struct expr_error *err, size_t off)
{
	long long a, b, x;
	double da, db, dx = 0;

	if (json_is_integer(l) && json_is_integer(r)) {
		a = json_integer_value(l);
		b = json_integer_value(r);
		switch (op) {
		case B_ADD:
			if (!__builtin_add_overflow(a, b, &x))
				return json_integer(x);
			break;
		case B_SUB:
			if (!__builtin_sub_overflow(a, b, &x))
				return json_integer(x);
			break;
		case B_MUL:
			if (!__builtin_mul_overflow(a, b, &x))
				return json_integer(x);
			break;
		case B_DIV:
			if (b == 0)
				goto divzero;
			if (!(a == LLONG_MIN && b == -1) && a % b == 0)
				return json_integer(a / b);
			break;
		case B_MOD:
			if (b == 0)
				goto divzero;
			return json_integer(b == -1 ? 0 : a % b);
		default:
			break;
		}
	}
	da = json_number_value(l);
	db = json_number_value(r);
	switch (op) {
	case B_ADD: dx = da + db; break;
	case B_SUB: dx = da - db; break;
	case B_MUL: dx = da * db; break;
	case B_DIV:
		if (db == 0)
			goto divzero;
		dx = da / db;
		break;
	case B_MOD:
		if (db == 0)
			goto divzero;
		dx = fmod(da, db);
		break;
	default:
		break;
	}
	if (!isfinite(dx)) {
		expr_seterr(err, off, "number out of range");
		return NULL;
	}
	return json_real(dx);
divzero:
	expr_seterr(err, off, "division by zero");
	return NULL;
}

/* The message for an operator applied to values it cannot take. */
static json_t *
bad_operands(enum binop op, const json_t *l, const json_t *r,
    struct expr_error *err, size_t off)
{
	const char *lt = expr_type_name(l), *rt = expr_type_name(r);

	switch (op) {
	case B_ADD:
		expr_seterr(err, off, "cannot add %s and %s", lt, rt);
		break;
	case B_SUB:
		expr_seterr(err, off, "cannot subtract %s from %s", rt, lt);
		break;
	case B_MUL:
		expr_seterr(err, off, "cannot multiply %s and %s", lt, rt);
		break;
	case B_DIV:
	case B_MOD:
		expr_seterr(err, off, "cannot divide %s by %s", lt, rt);
		break;
	case B_IN:
		expr_seterr(err, off, "cannot look for %s in %s", lt, rt);
		break;
	default:
		if (json_is_string(l) != json_is_string(r) &&
		    json_is_number(l) != json_is_number(r))
			expr_seterr(err, off, "cannot compare %s and %s with "
			    "'%s' (convert with number() or string())", lt,
			    rt, op_text[op]);
		else
			expr_seterr(err, off, "cannot compare %s and %s with "
			    "'%s'", lt, rt, op_text[op]);
		break;
	}
	return NULL;
}

/* "a + b" where either is a string: both as text, joined. */
static json_t *
concat(const json_t *l, const json_t *r)
{
	char *ls = json_is_string(l) ? NULL : expr_to_string(l);
	char *rs = json_is_string(r) ? NULL : expr_to_string(r);
	const char *a = ls ? ls : json_string_value(l);
	const char *b = rs ? rs : json_string_value(r);
	size_t an = ls ? strlen(ls) : json_string_length(l);
	size_t bn = rs ? strlen(rs) : json_string_length(r);
	char *s = xmalloc(an + bn + 1);
	json_t *v;

	memcpy(s, a, an);
	memcpy(s + an, b, bn);
	s[an + bn] = '\0';
	v = expr_mkstr(s, an + bn);
	free(s);
	free(ls);
	free(rs);
	return v;
}

static json_t *
binop(const struct node *n, json_t *l, json_t *r, struct expr_error *err)
{
	struct fctx c;
	json_t *argv[2];
	int cmp;

	switch (n->op) {
	case B_ADD:
		if (json_is_string(l) || json_is_string(r))
			return concat(l, r);
		if (json_is_array(l) && json_is_array(r)) {
			json_t *v = json_array();

			json_array_extend(v, l);
			json_array_extend(v, r);
			return v;
		}
		/* FALLTHROUGH */
	case B_SUB:
	case B_MUL:
	case B_DIV:
	case B_MOD:
		if (!json_is_number(l) || !json_is_number(r))
			return bad_operands(n->op, l, r, err, n->offset);
		return arith(n->op, l, r, err, n->offset);
	case B_EQ:
		return json_boolean(expr_equal(l, r));
	case B_NE:
		return json_boolean(!expr_equal(l, r));
	case B_IN:
		if (!json_is_array(r) && !json_is_string(r) &&
		    !json_is_object(r))
			return bad_operands(n->op, l, r, err, n->offset);
		if ((json_is_string(r) && !json_is_string(l) &&
		    !json_is_number(l)) ||
		    (json_is_object(r) && !json_is_string(l)))
			return bad_operands(n->op, l, r, err, n->offset);
		{
			static const struct func in_fn = { "in", 2, 2, NULL,
			    NULL, NULL };

			c.fn = &in_fn;
			c.err = err;
			c.offset = n->offset;
			c.cache = NULL;
			c.call = NULL;
			c.scope = NULL;
			argv[0] = json_incref(r);
			argv[1] = json_incref(l);
			cmp = expr_member_of(&c, argv, 0, 1);
			json_decref(argv[0]);
			json_decref(argv[1]);
			return cmp < 0 ? NULL : json_boolean(cmp);
		}
	default:
		if (!(json_is_number(l) && json_is_number(r)) &&
		    !(json_is_string(l) && json_is_string(r)))
			return bad_operands(n->op, l, r, err, n->offset);
		cmp = expr_order(l, r);
		switch (n->op) {
		case B_LT: return json_boolean(cmp < 0);
		case B_LE: return json_boolean(cmp <= 0);
		case B_GT: return json_boolean(cmp > 0);
		default:   return json_boolean(cmp >= 0);
		}
	}
}

/* o.name, o[key]: null when missing; members of null are null too, so a
 * chain through a missing member ends in null rather than an error. */
static json_t *
member(const struct node *n, json_t *o, const char *key,
    struct expr_error *err)
{
	json_t *v;
	char q[64];

	if (json_is_object(o)) {
		v = json_object_get(o, key);
		return v ? json_incref(v) : json_null();
	}
	if (json_is_null(o))
		return json_null();
	expr_seterr(err, n->offset, "cannot read member '%s' of a %s",
	    expr_quote(key, strlen(key), q, sizeof(q)), expr_type_name(o));
	return NULL;
}

static json_t *
index_value(const struct node *n, json_t *o, json_t *k, struct expr_error *err)
{
	long long i, size;
	const char *s;
	size_t len, from, to;

	if (json_is_object(o) || json_is_null(o)) {
		if (json_is_string(k))
			return member(n, o, json_string_value(k), err);
		if (json_is_null(o))
			return json_null();
		expr_seterr(err, n->offset, "object keys are strings, not %s",
		    expr_type_name(k));
		return NULL;
	}
	if (!json_is_array(o) && !json_is_string(o)) {
		expr_seterr(err, n->offset, "cannot index a %s", expr_type_name(o));
		return NULL;
	}
	if (json_is_integer(k))
		i = json_integer_value(k);
	else if (json_is_real(k) && json_real_value(k) ==
	    trunc(json_real_value(k)) && fabs(json_real_value(k)) < 9e18)
		i = (long long)json_real_value(k);
	else {
		expr_seterr(err, n->offset, "%s index must be a whole number, "
		    "not %s", expr_type_name(o), expr_type_name(k));
		return NULL;
	}
	if (json_is_array(o)) {
		size = (long long)json_array_size(o);
		if (i < 0)
			i += size;
		if (i < 0 || i >= size)
			return json_null();
		return json_incref(json_array_get(o, (size_t)i));
	}
	s = json_string_value(o);
	len = json_string_length(o);
	size = (long long)expr_u8_count(s, len);
	if (i < 0)
		i += size;
	if (i < 0 || i >= size)
		return json_null();
	from = expr_u8_offset(s, len, (size_t)i);
	to = from + expr_u8_offset(s + from, len - from, 1);
	return expr_mkstr(s + from, to - from);
}

static json_t *
call(const struct node *n, const struct expr_scope *sc,
    struct expr_error *err)
{
	json_t *stack[STACK_ARGS], **argv = stack, *r = NULL;
	struct fctx c;
	int i, done = 0;

	if (n->nargs > STACK_ARGS)
		argv = xcalloc((size_t)n->nargs, sizeof(*argv));
	for (i = 0; i < n->nargs; i++, done++) {
		/* A function argument is applied by the callee. */
		if (n->args[i]->kind == N_LAMBDA)
			argv[i] = json_null();
		else if ((argv[i] = expr_eval_node(n->args[i], sc, err)) ==
		    NULL)
			goto out;
	}
	c.fn = n->fn;
	c.err = err;
	c.offset = n->offset;
	c.cache = n->cache;
	c.call = n;
	c.scope = sc;
	r = n->fn->fn(&c, argv, n->nargs);
out:
	for (i = 0; i < done; i++)
		json_decref(argv[i]);
	if (argv != stack)
		free(argv);
	return r;
}

/* The scope of a function argument's body: its name, then the outer one. */
struct lambda_scope {
	const char		*name;
	json_t			*value;
	const struct expr_scope	*outer;
};

static json_t *
lambda_lookup(void *ctx, const char *name)
{
	struct lambda_scope *ls = ctx;

	if (strcmp(name, ls->name) == 0)
		return ls->value;
	if (ls->outer == NULL || ls->outer->lookup == NULL)
		return NULL;
	return ls->outer->lookup(ls->outer->ctx, name);
}

json_t *
fctx_apply(struct fctx *c, json_t **argv, int i, json_t *item)
{
	const struct node *fn = c->call ? c->call->args[i] : NULL;
	struct lambda_scope ls;
	struct expr_scope sc;

	if (fn != NULL && fn->kind == N_LAMBDA) {
		ls.name = fn->name;
		ls.value = item;
		ls.outer = c->scope;
		sc.lookup = lambda_lookup;
		sc.ctx = &ls;
		sc.on_part = NULL;	/* a function argument is no template */
		return expr_eval_node(fn->a, &sc, c->err);
	}
	if (json_is_null(argv[i]))
		return json_incref(item);
	if (json_is_string(argv[i])) {
		if (json_is_object(item) || json_is_null(item))
			return member(c->call, item,
			    json_string_value(argv[i]), c->err);
		return fctx_fail(c, "a key ('%s') needs objects, not a %s",
		    json_string_value(argv[i]), expr_type_name(item));
	}
	return fctx_bad_arg(c, argv, i, "a function (x => ...), a key or "
	    "null");
}

json_t *
expr_eval_node(const struct node *n, const struct expr_scope *sc, struct expr_error *err)
{
	json_t *a, *b, *r, *v;
	int i, t;

	switch (n->kind) {
	case N_CONST:
		/* Copied when a container, as in tval_eval(). */
		return json_is_object(n->value) || json_is_array(n->value) ?
		    json_deep_copy(n->value) : json_incref(n->value);
	case N_NAME:
		v = sc && sc->lookup ? sc->lookup(sc->ctx, n->name) : NULL;
		if (v == NULL) {
			if (expr_func_find(n->name, strlen(n->name)) != NULL)
				expr_seterr(err, n->offset, "undefined name '%s' "
				    "(to call the function, write %s())",
				    n->name, n->name);
			else
				expr_seterr(err, n->offset, "undefined name '%s'",
				    n->name);
			return NULL;
		}
		return json_incref(v);
	case N_MEMBER:
		if ((a = expr_eval_node(n->a, sc, err)) == NULL)
			return NULL;
		r = member(n, a, n->name, err);
		json_decref(a);
		return r;
	case N_INDEX:
		if ((a = expr_eval_node(n->a, sc, err)) == NULL)
			return NULL;
		if ((b = expr_eval_node(n->b, sc, err)) == NULL) {
			json_decref(a);
			return NULL;
		}
		r = index_value(n, a, b, err);
		json_decref(a);
		json_decref(b);
		return r;
	case N_CALL:
		return call(n, sc, err);
	case N_LIST:
		r = json_array();
		for (i = 0; i < n->nargs; i++) {
			if ((v = expr_eval_node(n->args[i], sc, err)) == NULL) {
				json_decref(r);
				return NULL;
			}
			json_array_append_new(r, v);
		}
		return r;
	case N_OBJECT:
		r = json_object();
		for (i = 0; i < n->nargs; i++) {
			if ((v = expr_eval_node(n->args[i], sc, err)) == NULL) {
				json_decref(r);
				return NULL;
			}
			json_object_set_new(r, json_string_value(
			    json_array_get(n->value, (size_t)i)), v);
		}
		return r;
	case N_NEG:
		if ((a = expr_eval_node(n->a, sc, err)) == NULL)
			return NULL;
		if (json_is_integer(a) && json_integer_value(a) != LLONG_MIN)
			r = json_integer(-json_integer_value(a));
		else if (json_is_number(a))
			r = json_real(-json_number_value(a));
		else {
			expr_seterr(err, n->offset, "cannot negate a %s",
			    expr_type_name(a));
			r = NULL;
		}
		json_decref(a);
		return r;
	case N_NOT:
		if ((a = expr_eval_node(n->a, sc, err)) == NULL)
			return NULL;
		t = expr_truthy(a);
		json_decref(a);
		return json_boolean(!t);
	case N_AND:
	case N_OR:
		if ((a = expr_eval_node(n->a, sc, err)) == NULL)
			return NULL;
		t = expr_truthy(a);
		json_decref(a);
		if (t == (n->kind == N_OR))
			return json_boolean(t);
		if ((b = expr_eval_node(n->b, sc, err)) == NULL)
			return NULL;
		t = expr_truthy(b);
		json_decref(b);
		return json_boolean(t);
	case N_COND:
		if ((a = expr_eval_node(n->a, sc, err)) == NULL)
			return NULL;
		t = expr_truthy(a);
		json_decref(a);
		return expr_eval_node(t ? n->b : n->c, sc, err);
	case N_LAMBDA:
		/* The parser allows one only as a call's argument. */
		abort();
	case N_BIN:
		if ((a = expr_eval_node(n->a, sc, err)) == NULL)
			return NULL;
		if ((b = expr_eval_node(n->b, sc, err)) == NULL) {
			json_decref(a);
			return NULL;
		}
		r = binop(n, a, b, err);
		json_decref(a);
		json_decref(b);
		return r;
	}
	abort();	/* every kind is handled above */
}

/* ------------------------------------------------------------------ */
/* Public interface */

json_t *
expr_eval(const struct expr *e, const struct expr_scope *sc,
    struct expr_error *err)
{
	struct expr_error dummy;

	return expr_eval_node(e->root, sc, err ? err : &dummy);
}

json_t *
tmpl_eval(const struct tmpl *t, const struct expr_scope *sc,
    struct expr_error *err)
{
	struct expr_error dummy;
	struct buf b;
	json_t *v;
	size_t i;
	char *s;
	int rc;

	if (err == NULL)
		err = &dummy;
	if (t->literal != NULL)
		return json_incref(t->literal);
	if (t->nparts == 1) {
		v = expr_eval_node(t->parts[0].root, sc, err);
		if (v != NULL && sc->on_part != NULL)
			sc->on_part(sc->ctx, t, 0, v);
		return v;
	}
	buf_init(&b, 0);
	for (i = 0; i < t->nparts; i++) {
		if (t->parts[i].root == NULL) {
			rc = buf_append(&b, t->parts[i].text, t->parts[i].len);
		} else {
			if ((v = expr_eval_node(t->parts[i].root, sc, err)) == NULL) {
				buf_free(&b);
				return NULL;
			}
			if (sc->on_part != NULL)
				sc->on_part(sc->ctx, t, i, v);
			if (json_is_string(v))
				rc = buf_append(&b, json_string_value(v),
				    json_string_length(v));
			else {
				s = expr_to_string(v);
				rc = buf_puts(&b, s);
				free(s);
			}
			json_decref(v);
		}
		if (rc != 0) {
			buf_free(&b);
			expr_seterr(err, 0, "template result too long");
			return NULL;
		}
	}
	v = expr_mkstr(buf_str(&b), b.len);
	buf_free(&b);
	return v;
}

