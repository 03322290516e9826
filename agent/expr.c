/*
 * expr.c - compiler and evaluator of the ${...} expression language.
 *
 * Source text is compiled once into a tree of nodes: constants are built
 * as jansson values, function names are resolved to rows of the function
 * table, regular expressions that are literals are compiled.  Evaluation
 * walks the tree and never looks at source text again, which is what makes
 * evaluating the same step for 10,000 CSV rows cheap.
 *
 * Values are jansson values and are never modified once made: constants
 * and scope values are shared by reference, so every function builds new
 * values instead of changing its arguments.
 *
 * The functions and filters of the language are rows of one table,
 * `funcs`, below; a filter "x | f(a)" compiles to the call f(x, a).
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "charset.h"
#include "era.h"
#include "expr.h"
#include "textutil.h"
#include "width.h"
#include "xmalloc.h"

#define MAX_DEPTH	200	/* nesting limit of the parser */
#define MAX_HEIGHT	256	/* height limit of a compiled tree */
#define STACK_ARGS	8	/* calls with more arguments allocate */

/* ------------------------------------------------------------------ */
/* Messages */


static void __attribute__((format(printf, 3, 0)))
set_verr(struct expr_error *err, size_t offset, const char *fmt, va_list ap)
{
	err->offset = offset;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	text_utf8_trim_partial(err->msg);
}

static void __attribute__((format(printf, 3, 4)))
set_err(struct expr_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_verr(err, offset, fmt, ap);
	va_end(ap);
}

/* The first n bytes of s for quoting in a message: at most max bytes, cut
 * at a character boundary, with "..." when cut. */
static const char *
quote(const char *s, size_t n, char *out, size_t outlen)
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

static const char *
type_name(const json_t *v)
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
static size_t
u8_count(const char *s, size_t n)
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
static size_t
u8_offset(const char *s, size_t n, size_t chars)
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
static json_t *
mkstr(const char *s, size_t n)
{
	return json_stringn_nocheck(s, n);
}

/* The same, taking ownership of a NUL-terminated s. */
static json_t *
mkstr_owned(char *s)
{
	json_t *v = json_stringn_nocheck(s, strlen(s));

	free(s);
	return v;
}

/*
 * The shortest text that reads back as the same double: 3 for 3.0, 0.1 for
 * 0.1.  Integral values below 1e17 are written without an exponent.
 */
static void
fmt_real(double v, char out[40])
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
static int
dump(struct buf *b, const json_t *v)
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
		fmt_real(json_real_value(v), num);
		return buf_puts(b, num);
	case JSON_STRING:
		return dump_string(b, json_string_value(v),
		    json_string_length(v));
	case JSON_ARRAY:
		if (buf_putc(b, '[') != 0)
			return -1;
		json_array_foreach(v, i, item) {
			if ((i > 0 && buf_putc(b, ',') != 0) ||
			    dump(b, item) != 0)
				return -1;
		}
		return buf_putc(b, ']');
	case JSON_OBJECT:
		if (buf_putc(b, '{') != 0)
			return -1;
		json_object_foreach((json_t *)v, key, item) {
			if ((!first && buf_putc(b, ',') != 0) ||
			    dump_string(b, key, strlen(key)) != 0 ||
			    buf_putc(b, ':') != 0 || dump(b, item) != 0)
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
		fmt_real(json_real_value(v), num);
		return xstrdup(num);
	default:
		buf_init(&b, 0);
		dump(&b, v);	/* past the cap the text is cut short */
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
static int
value_equal(const json_t *a, const json_t *b)
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
			if (!value_equal(x, json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, key, x) {
			json_t *y = json_object_get(b, key);
			if (y == NULL || !value_equal(x, y))
				return 0;
		}
		return 1;
	default:
		return 1;	/* null, true, false: the type is the value */
	}
}

/*
 * Read a number as people write it: "1,234", "１２３４", "¥1,234",
 * "1,234円", "-5", "−5", "△500" (accounting minus), "12.5", "1e3".
 * Return 0 with a new value in *out (an integer when there is no fraction
 * or exponent and it fits), or -1.
 */
static int
parse_number_text(const char *s, json_t **out)
{
	char *narrow = width_to_half(s), clean[80];
	const char *p = narrow;
	size_t o = 0;
	int neg = 0, signed_ = 0, digits = 0, real = 0, rc = -1;
	long long ll;
	double d;
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	for (;;) {
		if (!signed_ && (*p == '+' || *p == '-')) {
			neg = *p++ == '-';
			signed_ = 1;
		} else if (!signed_ && (strncmp(p, "△", 3) == 0 ||
		    strncmp(p, "▲", 3) == 0)) {
			neg = signed_ = 1;
			p += 3;
		} else if (strncmp(p, "¥", 2) == 0)
			p += 2;
		else if (*p == '\\' || *p == '$')
			p++;
		else
			break;
	}
	if (neg)
		clean[o++] = '-';
	while (o < sizeof(clean) - 8) {
		if (isdigit((unsigned char)*p)) {
			clean[o++] = *p++;
			digits++;
		} else if (*p == ',' && digits > 0 &&
		    isdigit((unsigned char)p[1]))
			p++;
		else
			break;
	}
	if (*p == '.') {
		real = 1;
		clean[o++] = *p++;
		while (o < sizeof(clean) - 8 && isdigit((unsigned char)*p)) {
			clean[o++] = *p++;
			digits++;
		}
	}
	if (digits > 0 && (*p == 'e' || *p == 'E') &&
	    (isdigit((unsigned char)p[1]) || ((p[1] == '+' || p[1] == '-') &&
	    isdigit((unsigned char)p[2])))) {
		real = 1;
		clean[o++] = *p++;
		if (*p == '+' || *p == '-')
			clean[o++] = *p++;
		while (o < sizeof(clean) - 1 && isdigit((unsigned char)*p))
			clean[o++] = *p++;
	}
	clean[o] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "円", 3) == 0)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (digits == 0 || *p != '\0')
		goto done;
	if (!real) {
		errno = 0;
		ll = strtoll(clean, &end, 10);
		if (errno == 0 && *end == '\0') {
			*out = json_integer(ll);
			rc = 0;
			goto done;
		}
	}
	d = strtod(clean, &end);
	if (*end == '\0' && isfinite(d)) {
		*out = json_real(d);
		rc = 0;
	}
done:
	free(narrow);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Dates */

struct datetime {
	int	y, m, d;
	int	hh, mm, ss;
	int	has_time;
	int	has_off;
	int	off_min;	/* east of UTC */
};

/* Read exactly or at most n digits. */
static int
read_digits(const char **pp, int min, int max, int *out)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (n < max && isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

/* ISO 8601 "2024-04-01", "2024-04-01T09:30:00", "2024-04-01 09:30",
 * with ".123", "Z" or "+09:00"; also 2024/4/1. */
static int
parse_iso_datetime(const char *s, struct datetime *t)
{
	const char *p = s;
	char sep;
	int oh, om, frac;

	memset(t, 0, sizeof(*t));
	if (read_digits(&p, 4, 4, &t->y) != 0 || (*p != '-' && *p != '/'))
		return -1;
	sep = *p++;
	if (read_digits(&p, 1, 2, &t->m) != 0 || *p++ != sep ||
	    read_digits(&p, 1, 2, &t->d) != 0)
		return -1;
	if (*p == 'T' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		t->has_time = 1;
		if (read_digits(&p, 2, 2, &t->hh) != 0 || *p++ != ':' ||
		    read_digits(&p, 2, 2, &t->mm) != 0)
			return -1;
		if (*p == ':') {
			p++;
			if (read_digits(&p, 2, 2, &t->ss) != 0)
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (read_digits(&p, 1, 9, &frac) != 0)
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (*p == 'Z') {
			p++;
			t->has_off = 1;
		} else if (*p == '+' || *p == '-') {
			int neg = *p++ == '-';

			if (read_digits(&p, 2, 2, &oh) != 0)
				return -1;
			if (*p == ':')
				p++;
			if (read_digits(&p, 2, 2, &om) != 0 || oh > 14 ||
			    om > 59)
				return -1;
			t->has_off = 1;
			t->off_min = (neg ? -1 : 1) * (oh * 60 + om);
		}
	}
	if (*p != '\0' || !date_valid(t->y, t->m, t->d) || t->hh > 23 ||
	    t->mm > 59 || t->ss > 59)
		return -1;
	return 0;
}

/*
 * A date argument: an ISO date or date-time (also in full-width digits),
 * or a Japanese era date.  Return 0, or -1 with an error set.
 */
static int
read_date(const char *s, struct datetime *t, const char *fname,
    struct expr_error *err, size_t offset)
{
	char *narrow = width_to_half(s), why[192], q[64];
	int r;

	r = parse_iso_datetime(narrow, t);
	if (r != 0 && !isdigit((unsigned char)narrow[0])) {
		memset(t, 0, sizeof(*t));
		r = era_parse_err(s, &t->y, &t->m, &t->d, why, sizeof(why));
		if (r != 0)
			set_err(err, offset, "%s(): %s", fname, why);
	} else if (r != 0)
		set_err(err, offset, "%s(): '%s' is not a date (expected "
		    "YYYY-MM-DD, an ISO date-time or an era date)", fname,
		    quote(s, strlen(s), q, sizeof(q)));
	free(narrow);
	return r;
}

static const char *const weekday_en[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};
static const char *const weekday_ja[] = {
	"日", "月", "火", "水", "木", "金", "土",
};
static const char *const month_en[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/* Format t by a strftime-like format (see docs/expressions.md). */
static int
format_date(const struct datetime *t, const char *fmt, struct buf *b,
    struct expr_error *err, size_t offset)
{
	const char *p;
	char era[64];
	int wd = date_weekday(t->y, t->m, t->d), pad, off;
	long yday;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			buf_putc(b, *p);
			continue;
		}
		pad = 1;
		if (p[1] == '-') {
			pad = 0;
			p++;
		}
		switch (*++p) {
		case 'Y': buf_printf(b, "%04d", t->y); break;
		case 'y': buf_printf(b, "%02d", t->y % 100); break;
		case 'm': buf_printf(b, pad ? "%02d" : "%d", t->m); break;
		case 'd': buf_printf(b, pad ? "%02d" : "%d", t->d); break;
		case 'e': buf_printf(b, pad ? "%2d" : "%d", t->d); break;
		case 'H': buf_printf(b, pad ? "%02d" : "%d", t->hh); break;
		case 'M': buf_printf(b, pad ? "%02d" : "%d", t->mm); break;
		case 'S': buf_printf(b, pad ? "%02d" : "%d", t->ss); break;
		case 'F':
			buf_printf(b, "%04d-%02d-%02d", t->y, t->m, t->d);
			break;
		case 'T':
			buf_printf(b, "%02d:%02d:%02d", t->hh, t->mm, t->ss);
			break;
		case 'j':
			yday = date_to_days(t->y, t->m, t->d) -
			    date_to_days(t->y, 1, 1) + 1;
			buf_printf(b, pad ? "%03ld" : "%ld", yday);
			break;
		case 'a': buf_printf(b, "%.3s", weekday_en[wd]); break;
		case 'A': buf_puts(b, weekday_en[wd]); break;
		case 'b': buf_printf(b, "%.3s", month_en[t->m - 1]); break;
		case 'B': buf_puts(b, month_en[t->m - 1]); break;
		case 'u': buf_printf(b, "%d", wd == 0 ? 7 : wd); break;
		case 'w': buf_printf(b, "%d", wd); break;
		case 'K': buf_puts(b, weekday_ja[wd]); break;
		case 'E':
			if (era_format(t->y, t->m, t->d, ERA_DEFAULT, era,
			    sizeof(era)) != 0) {
				set_err(err, offset, "date(): %%E needs a "
				    "date from 1868-10-23 on");
				return -1;
			}
			buf_puts(b, era);
			break;
		case 'z':
			if (t->has_off) {
				off = t->off_min < 0 ? -t->off_min : t->off_min;
				buf_printf(b, "%c%02d%02d",
				    t->off_min < 0 ? '-' : '+', off / 60,
				    off % 60);
			}
			break;
		case '%': buf_putc(b, '%'); break;
		case '\0':
			set_err(err, offset, "date(): the format ends "
			    "with a lone '%%'");
			return -1;
		default:
			set_err(err, offset, "date(): unknown format '%%%c'",
			    isprint((unsigned char)*p) ? *p : '?');
			return -1;
		}
	}
	return 0;
}

/* t as ISO 8601 text: a date, or a date-time with its offset if any. */
static char *
iso_text(const struct datetime *t)
{
	char off[16] = "";
	int a;

	if (!t->has_time)
		return xasprintf("%04d-%02d-%02d", t->y, t->m, t->d);
	if (t->has_off) {
		a = t->off_min < 0 ? -t->off_min : t->off_min;
		snprintf(off, sizeof(off), "%c%02d:%02d",
		    t->off_min < 0 ? '-' : '+', a / 60, a % 60);
	}
	return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d%s", t->y, t->m, t->d,
	    t->hh, t->mm, t->ss, off);
}

/* ------------------------------------------------------------------ */
/* The compiled form */

enum node_kind {
	N_CONST,	/* value */
	N_NAME,		/* name: a root name looked up in the scope */
	N_MEMBER,	/* a.name */
	N_INDEX,	/* a[b] */
	N_CALL,		/* fn(args) */
	N_LIST,		/* [args] */
	N_NEG,		/* -a */
	N_NOT,		/* !a */
	N_BIN,		/* a op b */
	N_AND,		/* a && b */
	N_OR,		/* a || b */
	N_COND,		/* a ? b : c */
};

enum binop {
	B_ADD, B_SUB, B_MUL, B_DIV, B_MOD,
	B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_IN,
};

struct func;

struct node {
	enum node_kind		 kind;
	enum binop		 op;
	size_t			 offset;	/* into the source text */
	json_t			*value;
	char			*name;
	const struct func	*fn;
	void			*cache;		/* prepared by fn->prepare */
	void			(*cache_free)(void *);
	struct node		*a, *b, *c;
	struct node		**args;
	int			 nargs;
	int			 height;	/* 1 + the tallest child's */
};

/* Every node of one compiled expression or template, freed together. */
struct arena {
	struct node	**v;
	size_t		  n, size;
};

struct expr {
	struct node	*root;
	struct arena	 nodes;
};

struct part {
	char		*text;		/* a literal part, or NULL */
	size_t		 len;
	struct node	*root;		/* an expression part, or NULL */
};

struct tmpl {
	struct part	*parts;
	size_t		 nparts;
	json_t		*literal;	/* the value of a literal template */
	struct arena	 nodes;
};

static void
node_free(struct node *n)
{
	json_decref(n->value);
	free(n->name);
	free(n->args);
	if (n->cache_free != NULL)
		n->cache_free(n->cache);
	free(n);
}

static void
arena_free(struct arena *ar)
{
	size_t i;

	for (i = 0; i < ar->n; i++)
		node_free(ar->v[i]);
	free(ar->v);
	ar->v = NULL;
	ar->n = ar->size = 0;
}

/* ------------------------------------------------------------------ */
/* Functions */

/* What a function sees of the call being made. */
struct fctx {
	const struct func	*fn;
	struct expr_error	*err;
	size_t			 offset;
	void			*cache;
};

typedef json_t *(*func_fn)(struct fctx *, json_t **argv, int argc);

struct func {
	const char	*name;
	int		 min_args;
	int		 max_args;	/* -1: any number */
	func_fn		 fn;
	const char	*summary;	/* one line, for the reference */
	/* Optional: work done once at compile time (a literal regex). */
	int		(*prepare)(struct node *call, struct expr_error *err);
};

static json_t * __attribute__((format(printf, 2, 3)))
fail(struct fctx *c, const char *fmt, ...)
{
	char msg[sizeof(c->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(c->err, c->offset, "%s(): %s", c->fn->name, msg);
	return NULL;
}

/* The argument-number phrase of a message: "" for a one-argument
 * function, else "argument N ". */
static json_t *
bad_arg(struct fctx *c, json_t **argv, int i, const char *want)
{
	if (c->fn->max_args == 1)
		return fail(c, "expected %s, got %s", want,
		    type_name(argv[i]));
	return fail(c, "argument %d must be %s, got %s", i + 1, want,
	    type_name(argv[i]));
}

/*
 * argv[i] as text.  Strings are used as they are; numbers and booleans
 * are converted (argv[i] is replaced by the string, which the caller's
 * cleanup then frees); anything else is an error (NULL, error set).
 */
static const char *
arg_text(struct fctx *c, json_t **argv, int i, size_t *lenp)
{
	json_t *v = argv[i];

	if (json_is_number(v) || json_is_boolean(v)) {
		argv[i] = mkstr_owned(expr_to_string(v));
		json_decref(v);
		v = argv[i];
	}
	if (!json_is_string(v)) {
		bad_arg(c, argv, i, "a string");
		return NULL;
	}
	if (lenp != NULL)
		*lenp = json_string_length(v);
	return json_string_value(v);
}

/* argv[i] as an integer (an integral real is accepted). */
static int
arg_int(struct fctx *c, json_t **argv, int i, long long *out)
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
	bad_arg(c, argv, i, "a whole number");
	return -1;
}

/* A real result, refusing infinities (json_real cannot hold them). */
static json_t *
mkreal(struct fctx *c, double d)
{
	if (!isfinite(d))
		return fail(c, "number out of range");
	return json_real(d);
}

static int
is_space_at(const char *s, size_t n, size_t *len)
{
	if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' ||
	    s[0] == '\r' || s[0] == '\v' || s[0] == '\f')) {
		*len = 1;
		return 1;
	}
	if (n >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0) {	/* U+3000 */
		*len = 3;
		return 1;
	}
	if (n >= 2 && memcmp(s, "\xC2\xA0", 2) == 0) {		/* U+00A0 */
		*len = 2;
		return 1;
	}
	return 0;
}

static json_t *
fn_trim(struct fctx *c, json_t **argv, int argc)
{
	size_t n, l, start = 0, end, i;
	const char *s = arg_text(c, argv, 0, &n);

	(void)argc;
	if (s == NULL)
		return NULL;
	while (start < n && is_space_at(s + start, n - start, &l))
		start += l;
	/* Scan forward so multi-byte spaces are found whole. */
	end = start;
	for (i = start; i < n; ) {
		if (is_space_at(s + i, n - i, &l)) {
			i += l;
			continue;
		}
		l = width_utf8_decode(s + i, n - i, &(uint32_t){0});
		i += l ? l : 1;
		end = i;
	}
	return mkstr(s + start, end - start);
}

/* ASCII and full-width Latin letters change case; nothing else does. */
static json_t *
change_case(struct fctx *c, json_t **argv, int upper)
{
	size_t n, i = 0, o = 0, l;
	const char *s = arg_text(c, argv, 0, &n);
	uint32_t cp;
	char *out;

	if (s == NULL)
		return NULL;
	out = xmalloc(n + 1);
	while (i < n) {
		l = width_utf8_decode(s + i, n - i, &cp);
		if (l == 0) {
			out[o++] = s[i++];
			continue;
		}
		i += l;
		if (upper && ((cp >= 'a' && cp <= 'z') ||
		    (cp >= 0xFF41 && cp <= 0xFF5A)))
			cp -= 0x20;
		else if (!upper && ((cp >= 'A' && cp <= 'Z') ||
		    (cp >= 0xFF21 && cp <= 0xFF3A)))
			cp += 0x20;
		o += width_utf8_encode(cp, out + o);
	}
	out[o] = '\0';
	return mkstr_owned(out);
}

static json_t *
fn_upper(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return change_case(c, argv, 1);
}

static json_t *
fn_lower(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return change_case(c, argv, 0);
}

static json_t *
fn_replace(struct fctx *c, json_t **argv, int argc)
{
	size_t n, on, nn;
	const char *s, *old, *new_, *p, *hit;
	struct buf b;

	(void)argc;
	if ((s = arg_text(c, argv, 0, &n)) == NULL ||
	    (old = arg_text(c, argv, 1, &on)) == NULL ||
	    (new_ = arg_text(c, argv, 2, &nn)) == NULL)
		return NULL;
	if (on == 0)
		return fail(c, "the text to replace is empty");
	buf_init(&b, 0);
	for (p = s; (hit = strstr(p, old)) != NULL; p = hit + on) {
		if (buf_append(&b, p, (size_t)(hit - p)) != 0 ||
		    buf_append(&b, new_, nn) != 0) {
			buf_free(&b);
			return fail(c, "result too long");
		}
	}
	if (buf_puts(&b, p) != 0) {
		buf_free(&b);
		return fail(c, "result too long");
	}
	return mkstr_owned(buf_detach(&b, NULL));
}

static json_t *
fn_split(struct fctx *c, json_t **argv, int argc)
{
	size_t n, sn, l;
	const char *s, *sep, *p, *hit;
	json_t *list;
	uint32_t cp;

	(void)argc;
	if ((s = arg_text(c, argv, 0, &n)) == NULL ||
	    (sep = arg_text(c, argv, 1, &sn)) == NULL)
		return NULL;
	list = json_array();
	if (sn == 0) {			/* into characters */
		for (p = s; p < s + n; p += l) {
			l = width_utf8_decode(p, (size_t)(s + n - p), &cp);
			if (l == 0)
				l = 1;
			json_array_append_new(list, mkstr(p, l));
		}
		return list;
	}
	for (p = s; (hit = strstr(p, sep)) != NULL; p = hit + sn)
		json_array_append_new(list, mkstr(p, (size_t)(hit - p)));
	json_array_append_new(list, mkstr(p, strlen(p)));
	return list;
}

static json_t *
fn_join(struct fctx *c, json_t **argv, int argc)
{
	const char *sep = "";
	struct buf b;
	json_t *item;
	size_t i;
	char *s;

	if (!json_is_array(argv[0]))
		return bad_arg(c, argv, 0, "a list");
	if (argc > 1 && (sep = arg_text(c, argv, 1, NULL)) == NULL)
		return NULL;
	buf_init(&b, 0);
	json_array_foreach(argv[0], i, item) {
		if (i > 0)
			buf_puts(&b, sep);
		if (json_is_string(item))
			buf_append(&b, json_string_value(item),
			    json_string_length(item));
		else {
			s = expr_to_string(item);
			buf_puts(&b, s);
			free(s);
		}
	}
	return mkstr_owned(buf_detach(&b, NULL));
}

static json_t *
fn_substr(struct fctx *c, json_t **argv, int argc)
{
	size_t n, chars, from, to;
	long long start, len = LLONG_MAX;
	const char *s;

	if ((s = arg_text(c, argv, 0, &n)) == NULL ||
	    arg_int(c, argv, 1, &start) != 0 ||
	    (argc > 2 && arg_int(c, argv, 2, &len) != 0))
		return NULL;
	if (len < 0)
		return fail(c, "the length %lld is negative", len);
	chars = u8_count(s, n);
	if (start < 0)
		start = (long long)chars + start < 0 ? 0 :
		    (long long)chars + start;
	if ((unsigned long long)start >= chars)
		return mkstr("", 0);
	from = u8_offset(s, n, (size_t)start);
	if (len > (long long)(chars - (size_t)start))
		len = (long long)(chars - (size_t)start);
	to = from + u8_offset(s + from, n - from, (size_t)len);
	return mkstr(s + from, to - from);
}

static json_t *
fn_len(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	switch (json_typeof(argv[0])) {
	case JSON_STRING:
		return json_integer((json_int_t)u8_count(
		    json_string_value(argv[0]), json_string_length(argv[0])));
	case JSON_ARRAY:
		return json_integer((json_int_t)json_array_size(argv[0]));
	case JSON_OBJECT:
		return json_integer((json_int_t)json_object_size(argv[0]));
	default:
		return bad_arg(c, argv, 0, "a string, list or object");
	}
}

/*
 * bytes(s[, encoding]): the length of s in bytes once encoded - what a
 * fixed-width file (a bank transfer record, a mainframe import) counts.
 */
static json_t *
fn_bytes(struct fctx *c, json_t **argv, int argc)
{
	const char *s, *enc = "utf-8";
	char *out = NULL, err[256];
	size_t n, outlen = 0, bad;

	if ((s = arg_text(c, argv, 0, &n)) == NULL)
		return NULL;
	if (argc > 1) {
		if (!json_is_string(argv[1]))
			return bad_arg(c, argv, 1, "an encoding name");
		enc = json_string_value(argv[1]);
	}
	if (strcmp(enc, "utf-8") == 0)
		return json_integer((json_int_t)n);
	if (charset_encode(enc, s, n, &out, &outlen, &bad, err,
	    sizeof err) != 0)
		return fail(c, "%s", err);
	free(out);
	return json_integer((json_int_t)outlen);
}

/* "in" and contains(): list membership, substring, object key.  Return
 * 1, 0, or -1 with an error set. */
static int
member_of(struct fctx *c, json_t **argv, int hay, int needle)
{
	const char *s, *sub;
	json_t *item;
	size_t i;

	switch (json_typeof(argv[hay])) {
	case JSON_ARRAY:
		json_array_foreach(argv[hay], i, item)
			if (value_equal(item, argv[needle]))
				return 1;
		return 0;
	case JSON_STRING:
		s = json_string_value(argv[hay]);
		if ((sub = arg_text(c, argv, needle, NULL)) == NULL)
			return -1;
		return strstr(s, sub) != NULL;
	case JSON_OBJECT:
		if (!json_is_string(argv[needle])) {
			bad_arg(c, argv, needle, "a string (an object key)");
			return -1;
		}
		return json_object_get(argv[hay],
		    json_string_value(argv[needle])) != NULL;
	default:
		bad_arg(c, argv, hay, "a string, list or object");
		return -1;
	}
}

static json_t *
fn_contains(struct fctx *c, json_t **argv, int argc)
{
	int r = member_of(c, argv, 0, 1);

	(void)argc;
	return r < 0 ? NULL : json_boolean(r);
}

static json_t *
fn_starts_with(struct fctx *c, json_t **argv, int argc)
{
	size_t n, pn;
	const char *s, *p;

	(void)argc;
	if ((s = arg_text(c, argv, 0, &n)) == NULL ||
	    (p = arg_text(c, argv, 1, &pn)) == NULL)
		return NULL;
	return json_boolean(pn <= n && memcmp(s, p, pn) == 0);
}

static json_t *
fn_ends_with(struct fctx *c, json_t **argv, int argc)
{
	size_t n, pn;
	const char *s, *p;

	(void)argc;
	if ((s = arg_text(c, argv, 0, &n)) == NULL ||
	    (p = arg_text(c, argv, 1, &pn)) == NULL)
		return NULL;
	return json_boolean(pn <= n && memcmp(s + n - pn, p, pn) == 0);
}

static json_t *
pad(struct fctx *c, json_t **argv, int argc, int left)
{
	const char *s, *ch = " ";
	size_t n, chn = 1, have, i;
	long long width;
	struct buf b;

	if ((s = arg_text(c, argv, 0, &n)) == NULL ||
	    arg_int(c, argv, 1, &width) != 0 ||
	    (argc > 2 && (ch = arg_text(c, argv, 2, &chn)) == NULL))
		return NULL;
	if (u8_count(ch, chn) != 1)
		return fail(c, "the padding must be one character, not '%s'",
		    ch);
	if (width > 100000)
		return fail(c, "width %lld is too large", width);
	have = u8_count(s, n);
	if (width <= 0 || have >= (size_t)width)
		return json_incref(argv[0]);
	buf_init(&b, 0);
	if (!left)
		buf_append(&b, s, n);
	for (i = have; i < (size_t)width; i++)
		buf_append(&b, ch, chn);
	if (left)
		buf_append(&b, s, n);
	return mkstr_owned(buf_detach(&b, NULL));
}

static json_t *
fn_pad_left(struct fctx *c, json_t **argv, int argc)
{
	return pad(c, argv, argc, 1);
}

static json_t *
fn_pad_right(struct fctx *c, json_t **argv, int argc)
{
	return pad(c, argv, argc, 0);
}

static json_t *
fn_string(struct fctx *c, json_t **argv, int argc)
{
	(void)c;
	(void)argc;
	if (json_is_string(argv[0]))
		return json_incref(argv[0]);
	return mkstr_owned(expr_to_string(argv[0]));
}

/* A number argument, or a string read as people write numbers. */
static json_t *
to_number(struct fctx *c, json_t **argv, int i)
{
	json_t *v;
	char q[64];

	if (json_is_number(argv[i]))
		return json_incref(argv[i]);
	if (!json_is_string(argv[i]))
		return bad_arg(c, argv, i, "a number or a string");
	if (parse_number_text(json_string_value(argv[i]), &v) != 0)
		return fail(c, "cannot read '%s' as a number",
		    quote(json_string_value(argv[i]),
		    json_string_length(argv[i]), q, sizeof(q)));
	return v;
}

static json_t *
fn_number(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return to_number(c, argv, 0);
}

static json_t *
fn_int(struct fctx *c, json_t **argv, int argc)
{
	json_t *v = to_number(c, argv, 0);
	double d;

	(void)argc;
	if (v == NULL || json_is_integer(v))
		return v;
	d = trunc(json_real_value(v));
	json_decref(v);
	if (d < -9.2e18 || d > 9.2e18)
		return fail(c, "%g is too large for a whole number", d);
	return json_integer((json_int_t)d);
}

/*
 * d rounded half away from zero to `digits` decimals (negative: to tens,
 * hundreds...), on its shortest decimal form rather than its binary
 * value, so that 1.005 rounds to 1.01 as it does on paper even though the
 * double nearest 1.005 is 1.00499999999999989...
 */
static double
round_decimal(double d, int digits)
{
	char text[48], m[24], kept[32];
	int prec, n = 0, e, k, i;
	double a = fabs(d);
	char *ep;

	if (a == 0 || !isfinite(a))
		return d;
	for (prec = 0; prec < 16; prec++) {
		snprintf(text, sizeof(text), "%.*e", prec, a);
		if (strtod(text, NULL) == a)
			break;
	}
	snprintf(text, sizeof(text), "%.*e", prec, a);	/* D.DDDe+XX */
	m[n++] = text[0];
	for (i = 0; i < prec; i++)
		m[n++] = text[2 + i];
	ep = strchr(text, 'e');
	e = (int)strtol(ep + 1, NULL, 10);
	k = e + 1 + digits;		/* significant digits to keep */
	if (k >= n)
		return d;
	if (k < 0)
		return 0;
	kept[0] = '0';			/* room for a carry */
	memcpy(kept + 1, m, (size_t)k);
	kept[k + 1] = '\0';
	if (m[k] >= '5') {
		for (i = k; kept[i] == '9'; i--)
			kept[i] = '0';
		kept[i]++;
	}
	snprintf(text, sizeof(text), "%s%se%d", d < 0 ? "-" : "", kept,
	    -digits);
	return strtod(text, NULL);
}

static json_t *
fn_round(struct fctx *c, json_t **argv, int argc)
{
	long long digits = 0, x, p = 1, q;
	double r;
	int i;

	if (!json_is_number(argv[0]))
		return bad_arg(c, argv, 0, "a number");
	if (argc > 1 && arg_int(c, argv, 1, &digits) != 0)
		return NULL;
	if (digits < -18 || digits > 15)
		return fail(c, "digits must be between -18 and 15, not %lld",
		    digits);
	if (json_is_integer(argv[0])) {
		if (digits >= 0)
			return json_incref(argv[0]);
		x = json_integer_value(argv[0]);
		for (i = 0; i < -digits; i++)
			p *= 10;
		q = x / p * p;
		/* Half away from zero, without overflowing near the ends. */
		if (x - q >= p - p / 2 && q <= LLONG_MAX - p)
			q += p;
		else if (x - q <= -(p - p / 2) && q >= LLONG_MIN + p)
			q -= p;
		return json_integer(q);
	}
	r = round_decimal(json_real_value(argv[0]), (int)digits);
	if (digits <= 0 && r >= -9.2e18 && r <= 9.2e18)
		return json_integer((json_int_t)r);
	return mkreal(c, r);
}

static json_t *
fn_abs(struct fctx *c, json_t **argv, int argc)
{
	long long x;

	(void)argc;
	if (json_is_integer(argv[0])) {
		x = json_integer_value(argv[0]);
		if (x == LLONG_MIN)
			return json_real(-(double)x);
		return json_integer(x < 0 ? -x : x);
	}
	if (json_is_real(argv[0]))
		return json_real(fabs(json_real_value(argv[0])));
	return bad_arg(c, argv, 0, "a number");
}

/* Compare two numbers or two strings for min/max/sort: <0, 0, >0. */
static int
order(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return (json_integer_value(a) > json_integer_value(b)) -
		    (json_integer_value(a) < json_integer_value(b));
	if (json_is_number(a))
		return (json_number_value(a) > json_number_value(b)) -
		    (json_number_value(a) < json_number_value(b));
	return strcmp(json_string_value(a), json_string_value(b));
}

static json_t *
extreme(struct fctx *c, json_t **argv, int argc, int want)
{
	json_t **items = argv, *best = NULL;
	size_t n = (size_t)argc, i;

	if (argc == 1) {
		if (!json_is_array(argv[0]))
			return bad_arg(c, argv, 0, "a list (or several "
			    "values)");
		n = json_array_size(argv[0]);
		items = NULL;
	}
	for (i = 0; i < n; i++) {
		json_t *v = items ? items[i] : json_array_get(argv[0], i);

		if (!json_is_number(v) && !json_is_string(v))
			return fail(c, "cannot compare %s values",
			    type_name(v));
		if (best != NULL && json_is_number(v) != json_is_number(best))
			return fail(c, "cannot compare %s and %s",
			    type_name(best), type_name(v));
		if (best == NULL || order(v, best) * want > 0)
			best = v;
	}
	return best ? json_incref(best) : json_null();
}

static json_t *
fn_min(struct fctx *c, json_t **argv, int argc)
{
	return extreme(c, argv, argc, -1);
}

static json_t *
fn_max(struct fctx *c, json_t **argv, int argc)
{
	return extreme(c, argv, argc, 1);
}

static json_t *
fn_sum(struct fctx *c, json_t **argv, int argc)
{
	long long isum = 0, tmp;
	double dsum = 0;
	int real = 0;
	json_t *v;
	size_t i;

	(void)argc;
	if (!json_is_array(argv[0]))
		return bad_arg(c, argv, 0, "a list");
	json_array_foreach(argv[0], i, v) {
		if (!json_is_number(v))
			return fail(c, "item [%zu] is a %s, not a number", i,
			    type_name(v));
		if (!real && json_is_integer(v) &&
		    !__builtin_add_overflow(isum, json_integer_value(v), &tmp))
		{
			isum = tmp;
			continue;
		}
		if (!real) {
			real = 1;
			dsum = (double)isum;
		}
		dsum += json_number_value(v);
	}
	return real ? mkreal(c, dsum) : json_integer(isum);
}

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
		return bad_arg(c, argv, 0, "a list or a string");
	s = json_string_value(argv[0]);
	n = json_string_length(argv[0]);
	chars = u8_count(s, n);
	if (chars == 0)
		return json_incref(argv[0]);
	from = last ? u8_offset(s, n, chars - 1) : 0;
	to = from + u8_offset(s + from, n - from, 1);
	return mkstr(s + from, to - from);
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
		return bad_arg(c, argv, 0, "an object");
	list = json_array();
	json_object_foreach(argv[0], key, v)
		json_array_append_new(list, mkstr(key, strlen(key)));
	return list;
}

static json_t *
fn_values(struct fctx *c, json_t **argv, int argc)
{
	const char *key;
	json_t *list, *v;

	(void)argc;
	if (!json_is_object(argv[0]))
		return bad_arg(c, argv, 0, "an object");
	list = json_array();
	json_object_foreach(argv[0], key, v)
		json_array_append(list, v);
	return list;
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
	if (dump(&b, argv[0]) != 0) {
		buf_free(&b);
		return fail(c, "value too large");
	}
	return mkstr_owned(buf_detach(&b, NULL));
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
		return bad_arg(c, argv, 0, "a string");
	s = json_string_value(argv[0]);
	n = json_string_length(argv[0]);
	v = json_loadb(s, n, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		return fail(c, "invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
	return v;
}

static void
regex_free(void *p)
{
	if (p != NULL) {
		regfree(p);
		free(p);
	}
}

/* Compile a POSIX extended regular expression; NULL with msg set. */
static regex_t *
regex_new(const char *src, char *msg, size_t msglen)
{
	regex_t *re = xmalloc(sizeof(*re));
	int rc = regcomp(re, src, REG_EXTENDED | REG_NOSUB);

	if (rc != 0) {
		regerror(rc, re, msg, msglen);
		free(re);
		return NULL;
	}
	return re;
}

/* Compile a literal pattern of matches() once, with the program. */
static int
prepare_matches(struct node *call, struct expr_error *err)
{
	struct node *pat = call->args[1];
	char msg[128], q[64];
	const char *src;

	if (pat->kind != N_CONST || !json_is_string(pat->value))
		return 0;
	src = json_string_value(pat->value);
	if ((call->cache = regex_new(src, msg, sizeof(msg))) == NULL) {
		set_err(err, pat->offset, "invalid regular expression "
		    "'%s': %s", quote(src, strlen(src), q, sizeof(q)), msg);
		return -1;
	}
	call->cache_free = regex_free;
	return 0;
}

static json_t *
fn_matches(struct fctx *c, json_t **argv, int argc)
{
	const char *s, *src;
	regex_t *re = c->cache;
	char msg[128], q[64];
	int r;

	(void)argc;
	if ((s = arg_text(c, argv, 0, NULL)) == NULL)
		return NULL;
	if (re == NULL) {
		if ((src = arg_text(c, argv, 1, NULL)) == NULL)
			return NULL;
		if ((re = regex_new(src, msg, sizeof(msg))) == NULL)
			return fail(c, "invalid regular expression '%s': %s",
			    quote(src, strlen(src), q, sizeof(q)), msg);
	}
	r = regexec(re, s, 0, NULL, 0);
	if (re != c->cache)
		regex_free(re);
	return json_boolean(r == 0);
}

/* The local time now, as a datetime with its UTC offset. */
static int
local_now(struct datetime *t)
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return -1;
	t->y = tm.tm_year + 1900;
	t->m = tm.tm_mon + 1;
	t->d = tm.tm_mday;
	t->hh = tm.tm_hour;
	t->mm = tm.tm_min;
	t->ss = tm.tm_sec > 59 ? 59 : tm.tm_sec;
	t->has_time = t->has_off = 1;
	t->off_min = (int)(tm.tm_gmtoff / 60);
	return 0;
}

static json_t *
fn_now(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;

	(void)argv;
	(void)argc;
	if (local_now(&t) != 0)
		return fail(c, "cannot read the local time");
	return mkstr_owned(iso_text(&t));
}

static json_t *
fn_today(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;

	(void)argv;
	(void)argc;
	if (local_now(&t) != 0)
		return fail(c, "cannot read the local time");
	t.has_time = 0;
	return mkstr_owned(iso_text(&t));
}

/* A date argument as a datetime; -1 with an error set. */
static int
arg_date(struct fctx *c, json_t **argv, int i, struct datetime *t)
{
	const char *s = arg_text(c, argv, i, NULL);

	if (s == NULL)
		return -1;
	return read_date(s, t, c->fn->name, c->err, c->offset);
}

static json_t *
fn_date(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;
	const char *fmt = "%Y-%m-%d";
	struct buf b;

	if (arg_date(c, argv, 0, &t) != 0 ||
	    (argc > 1 && (fmt = arg_text(c, argv, 1, NULL)) == NULL))
		return NULL;
	buf_init(&b, 64 * 1024);
	if (format_date(&t, fmt, &b, c->err, c->offset) != 0) {
		buf_free(&b);
		return NULL;
	}
	return mkstr_owned(buf_detach(&b, NULL));
}

static json_t *
fn_date_add(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;
	long long days;
	long z;

	(void)argc;
	if (arg_date(c, argv, 0, &t) != 0 || arg_int(c, argv, 1, &days) != 0)
		return NULL;
	if (days > 3650000 || days < -3650000)
		return fail(c, "%lld days is too far", days);
	z = date_to_days(t.y, t.m, t.d) + (long)days;
	date_from_days(z, &t.y, &t.m, &t.d);
	if (!date_valid(t.y, t.m, t.d))
		return fail(c, "the result is outside years 1 to 9999");
	return mkstr_owned(iso_text(&t));
}

static json_t *
fn_days_between(struct fctx *c, json_t **argv, int argc)
{
	struct datetime a, b;

	(void)argc;
	if (arg_date(c, argv, 0, &a) != 0 || arg_date(c, argv, 1, &b) != 0)
		return NULL;
	return json_integer(date_to_days(b.y, b.m, b.d) -
	    date_to_days(a.y, a.m, a.d));
}

/* The styles of to_era(). */
static const struct {
	const char	*name;
	unsigned	 flags;
} era_styles[] = {
	{ "long",	ERA_DEFAULT },
	{ "kanji",	ERA_DEFAULT | ERA_KANJI },
	{ "short",	ERA_SHORT },
	{ "digits",	0 },
};

static json_t *
fn_to_era(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;
	unsigned flags = ERA_DEFAULT;
	const char *style;
	char out[128];
	size_t i;

	if (arg_date(c, argv, 0, &t) != 0)
		return NULL;
	if (argc > 1) {
		if ((style = arg_text(c, argv, 1, NULL)) == NULL)
			return NULL;
		for (i = 0; i < sizeof(era_styles) / sizeof(era_styles[0]); i++)
			if (strcmp(style, era_styles[i].name) == 0)
				break;
		if (i == sizeof(era_styles) / sizeof(era_styles[0]))
			return fail(c, "unknown style '%s' (use 'long', "
			    "'kanji', 'short' or 'digits')", style);
		flags = era_styles[i].flags;
	}
	if (era_format(t.y, t.m, t.d, flags, out, sizeof(out)) != 0)
		return fail(c, "%04d-%02d-%02d is before 明治 (1868-10-23)",
		    t.y, t.m, t.d);
	return mkstr(out, strlen(out));
}

static json_t *
fn_from_era(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;
	const char *s;
	char why[192];

	(void)argc;
	if ((s = arg_text(c, argv, 0, NULL)) == NULL)
		return NULL;
	memset(&t, 0, sizeof(t));
	if (era_parse_err(s, &t.y, &t.m, &t.d, why, sizeof(why)) != 0)
		return fail(c, "%s", why);
	return mkstr_owned(iso_text(&t));
}

static json_t *
width_fn(struct fctx *c, json_t **argv, char *(*conv)(const char *))
{
	const char *s = arg_text(c, argv, 0, NULL);

	if (s == NULL)
		return NULL;
	return mkstr_owned(conv(s));
}

static json_t *
fn_hankaku(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_to_half);
}

static json_t *
fn_kana_half(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_kana_to_half);
}

static json_t *
fn_zenkaku(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_to_full);
}

static json_t *
fn_kana_full(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_kana_to_full);
}

static json_t *
fn_format_number(struct fctx *c, json_t **argv, int argc)
{
	long long decimals = -1;
	char text[400], *dot, *out;
	const char *digits;
	json_t *v;
	size_t i, n, o = 0;

	if ((v = to_number(c, argv, 0)) == NULL)
		return NULL;
	if (argc > 1 && arg_int(c, argv, 1, &decimals) != 0) {
		json_decref(v);
		return NULL;
	}
	if (decimals > 20 || (argc > 1 && decimals < 0)) {
		json_decref(v);
		return fail(c, "decimals must be between 0 and 20, not %lld",
		    decimals);
	}
	if (decimals >= 0) {
		double r = round_decimal(json_number_value(v), (int)decimals);

		snprintf(text, sizeof(text), "%.*f", (int)decimals,
		    r == 0 ? 0.0 : r);		/* never "-0" */
	}
	else if (json_is_integer(v))
		snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		fmt_real(json_real_value(v), text);
	json_decref(v);
	if (strchr(text, 'e') != NULL)		/* 1e-07: leave it be */
		return mkstr(text, strlen(text));
	digits = text + (text[0] == '-');
	dot = strchr(text, '.');
	n = dot ? (size_t)(dot - digits) : strlen(digits);
	out = xmalloc(strlen(text) + n / 3 + 2);
	if (text[0] == '-')
		out[o++] = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	snprintf(out + o, strlen(text) + n / 3 + 2 - o, "%s", dot ? dot : "");
	return mkstr_owned(out);
}

static json_t *
fn_urlencode(struct fctx *c, json_t **argv, int argc)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s;
	size_t n, i, o = 0;
	char *out;

	(void)argc;
	if ((s = (const unsigned char *)arg_text(c, argv, 0, &n)) == NULL)
		return NULL;
	out = xreallocarray(NULL, n + 1, 3);
	for (i = 0; i < n; i++) {
		if (isalnum(s[i]) || s[i] == '-' || s[i] == '.' ||
		    s[i] == '_' || s[i] == '~')
			out[o++] = (char)s[i];
		else {
			out[o++] = '%';
			out[o++] = hex[s[i] >> 4];
			out[o++] = hex[s[i] & 15];
		}
	}
	out[o] = '\0';
	return mkstr_owned(out);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *
fn_base64(struct fctx *c, json_t **argv, int argc)
{
	const unsigned char *s;
	size_t n, i, o = 0;
	unsigned long w;
	char *out;

	(void)argc;
	if ((s = (const unsigned char *)arg_text(c, argv, 0, &n)) == NULL)
		return NULL;
	out = xmalloc((n + 2) / 3 * 4 + 1);
	for (i = 0; i < n; i += 3) {
		w = (unsigned long)s[i] << 16;
		if (i + 1 < n)
			w |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			w |= s[i + 2];
		out[o++] = b64[(w >> 18) & 63];
		out[o++] = b64[(w >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(w >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[w & 63] : '=';
	}
	out[o] = '\0';
	return mkstr_owned(out);
}

static json_t *
fn_base64_decode(struct fctx *c, json_t **argv, int argc)
{
	const char *s, *p;
	size_t n, i, o = 0, bits = 0;
	unsigned long w = 0;
	char *out;
	json_t *v;

	(void)argc;
	if ((s = arg_text(c, argv, 0, &n)) == NULL)
		return NULL;
	out = xmalloc(n / 4 * 3 + 4);
	for (i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		if (s[i] == '=')
			break;
		if ((p = strchr(b64, s[i])) == NULL || s[i] == '\0') {
			free(out);
			return fail(c, "invalid base64 character '%c' at %zu",
			    isprint((unsigned char)s[i]) ? s[i] : '?', i);
		}
		w = (w << 6) | (unsigned long)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((w >> bits) & 0xFF);
		}
	}
	for (; i < n; i++)
		if (s[i] != '=' && !isspace((unsigned char)s[i])) {
			free(out);
			return fail(c, "text after the base64 padding");
		}
	v = json_stringn(out, o);
	free(out);
	if (v == NULL)
		return fail(c, "the decoded bytes are not UTF-8 text");
	return v;
}

static json_t *
fn_type(struct fctx *c, json_t **argv, int argc)
{
	const char *t = type_name(argv[0]);

	(void)c;
	(void)argc;
	return mkstr(t, strlen(t));
}

/*
 * Every function and filter of the language, in the order of the
 * reference.  Aliases are rows of their own with the same fn.
 */
static const struct func funcs[] = {
	{ "trim", 1, 1, fn_trim,
	    "text without spaces (also full-width) at both ends", NULL },
	{ "upper", 1, 1, fn_upper,
	    "text in upper case (ASCII and full-width Latin letters)", NULL },
	{ "lower", 1, 1, fn_lower,
	    "text in lower case (ASCII and full-width Latin letters)", NULL },
	{ "replace", 3, 3, fn_replace,
	    "replace(s, old, new): every old in s replaced by new", NULL },
	{ "split", 2, 2, fn_split,
	    "split(s, sep): list of the parts of s between seps", NULL },
	{ "join", 1, 2, fn_join,
	    "join(list[, sep]): the items as text, joined by sep", NULL },
	{ "substr", 2, 3, fn_substr,
	    "substr(s, start[, len]): characters from start (negative: "
	    "from the end)", NULL },
	{ "len", 1, 1, fn_len,
	    "characters of a string, items of a list or object", NULL },
	{ "length", 1, 1, fn_len, "same as len", NULL },
	{ "contains", 2, 2, fn_contains,
	    "contains(hay, x): substring, list item or object key", NULL },
	{ "starts_with", 2, 2, fn_starts_with,
	    "starts_with(s, prefix): whether s begins with prefix", NULL },
	{ "ends_with", 2, 2, fn_ends_with,
	    "ends_with(s, suffix): whether s ends with suffix", NULL },
	{ "pad_left", 2, 3, fn_pad_left,
	    "pad_left(s, width[, ch]): s right-aligned in width characters",
	    NULL },
	{ "pad_right", 2, 3, fn_pad_right,
	    "pad_right(s, width[, ch]): s left-aligned in width characters",
	    NULL },
	{ "string", 1, 1, fn_string,
	    "the value as text, as a template would splice it", NULL },
	{ "number", 1, 1, fn_number,
	    "a number from text such as '1,234', '１２３', '¥1,234', "
	    "'1,234円'", NULL },
	{ "int", 1, 1, fn_int,
	    "a whole number, cutting off any fraction", NULL },
	{ "round", 1, 2, fn_round,
	    "round(x[, digits]): rounded half away from zero", NULL },
	{ "abs", 1, 1, fn_abs, "the absolute value of a number", NULL },
	{ "min", 1, -1, fn_min,
	    "the smallest of a list or of the arguments", NULL },
	{ "max", 1, -1, fn_max,
	    "the largest of a list or of the arguments", NULL },
	{ "sum", 1, 1, fn_sum, "the sum of a list of numbers", NULL },
	{ "first", 1, 1, fn_first,
	    "the first item of a list (null when empty) or character", NULL },
	{ "last", 1, 1, fn_last,
	    "the last item of a list (null when empty) or character", NULL },
	{ "keys", 1, 1, fn_keys, "the keys of an object, in order", NULL },
	{ "values", 1, 1, fn_values,
	    "the values of an object, in order", NULL },
	{ "default", 2, 2, fn_default,
	    "default(x, fallback): fallback when x is null or \"\"", NULL },
	{ "json", 1, 1, fn_json, "the value as compact JSON text", NULL },
	{ "from_json", 1, 1, fn_from_json,
	    "the value that JSON text describes", NULL },
	{ "matches", 2, 2, fn_matches,
	    "matches(s, regex): whether a POSIX extended regex matches "
	    "somewhere in s", prepare_matches },
	{ "now", 0, 0, fn_now,
	    "the local time, ISO 8601 with offset: 2024-04-01T09:30:00+09:00",
	    NULL },
	{ "today", 0, 0, fn_today, "the local date: 2024-04-01", NULL },
	{ "date", 1, 2, fn_date,
	    "date(d[, fmt]): a date formatted by fmt (default %Y-%m-%d)",
	    NULL },
	{ "date_add", 2, 2, fn_date_add,
	    "date_add(d, days): the date days later (earlier if negative)",
	    NULL },
	{ "days_between", 2, 2, fn_days_between,
	    "days_between(a, b): days from date a to date b", NULL },
	{ "to_era", 1, 2, fn_to_era,
	    "to_era(d[, style]): 2024-04-01 as 令和6年4月1日 "
	    "(style 'kanji', 'short', 'digits')", NULL },
	{ "wareki", 1, 2, fn_to_era, "same as to_era", NULL },
	{ "from_era", 1, 1, fn_from_era,
	    "from_era(s): 令和6年4月1日, R6.4.1 or 令和六年四月一日 as "
	    "2024-04-01", NULL },
	{ "seireki", 1, 1, fn_from_era, "same as from_era", NULL },
	{ "hankaku", 1, 1, fn_hankaku,
	    "full-width letters, digits, signs and spaces as half-width", NULL },
	{ "zenkaku", 1, 1, fn_zenkaku,
	    "ASCII and half-width katakana as full-width", NULL },
	{ "kana_full", 1, 1, fn_kana_full,
	    "half-width katakana as full-width (ｶﾞ -> ガ)", NULL },
	{ "bytes", 1, 2, fn_bytes,
	    "bytes(s[, encoding]): length in bytes once encoded (utf-8, "
	    "shift_jis, ...)", NULL },
	{ "kana_half", 1, 1, fn_kana_half,
	    "katakana and letters as half-width, as bank files want them "
	    "(ガッコウ -> ｶﾞｯｺｳ)", NULL },
	{ "format_number", 1, 2, fn_format_number,
	    "format_number(x[, decimals]): 1234567 as 1,234,567", NULL },
	{ "urlencode", 1, 1, fn_urlencode,
	    "text percent-encoded for a URL (UTF-8 bytes)", NULL },
	{ "base64", 1, 1, fn_base64, "text encoded as base64", NULL },
	{ "base64_decode", 1, 1, fn_base64_decode,
	    "base64 decoded to text (must be UTF-8)", NULL },
	{ "type", 1, 1, fn_type,
	    "the type: null, boolean, number, string, list or object", NULL },
};
#define NFUNCS	(sizeof(funcs) / sizeof(funcs[0]))

static const struct func *
func_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NFUNCS; i++)
		if (strlen(funcs[i].name) == len &&
		    memcmp(funcs[i].name, name, len) == 0)
			return &funcs[i];
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

/* The function whose name is nearest to name, if near enough. */
static const struct func *
func_nearest(const char *name, size_t len)
{
	const struct func *best = NULL;
	size_t i, d, bestd = SIZE_MAX;

	for (i = 0; i < NFUNCS; i++) {
		d = levenshtein(name, len, funcs[i].name);
		if (d < bestd) {
			bestd = d;
			best = &funcs[i];
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
	size_t i;

	for (i = 0; i < NFUNCS; i++)
		fn(funcs[i].name, funcs[i].summary, arg);
}

/* ------------------------------------------------------------------ */
/* Lexer */

enum tok {
	T_EOF, T_NUM, T_STR, T_NAME, T_TRUE, T_FALSE, T_NULL,
	T_AND, T_OR, T_NOT, T_IN,
	T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA, T_DOT, T_PIPE,
	T_QUESTION, T_COLON, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BANG, T_RBRACE,
};

static const struct {
	const char	*text;
	enum tok	 tok;
} keywords[] = {
	{ "true", T_TRUE }, { "false", T_FALSE }, { "null", T_NULL },
	{ "and", T_AND }, { "or", T_OR }, { "not", T_NOT }, { "in", T_IN },
};

/* Operators, longest first so "==" wins over "=". */
static const struct {
	const char	*text;
	enum tok	 tok;
} operators[] = {
	{ "==", T_EQ }, { "!=", T_NE }, { "<=", T_LE }, { ">=", T_GE },
	{ "&&", T_AND }, { "||", T_OR },
	{ "(", T_LPAREN }, { ")", T_RPAREN }, { "[", T_LBRACK },
	{ "]", T_RBRACK }, { ",", T_COMMA }, { ".", T_DOT }, { "|", T_PIPE },
	{ "?", T_QUESTION }, { ":", T_COLON }, { "+", T_PLUS },
	{ "-", T_MINUS }, { "*", T_STAR }, { "/", T_SLASH },
	{ "%", T_PERCENT }, { "<", T_LT }, { ">", T_GT }, { "!", T_BANG },
	{ "}", T_RBRACE },
};

struct parser {
	const char		*src;	/* the whole source text */
	size_t			 pos;	/* next byte to lex */
	enum tok		 tok;	/* the current token */
	size_t			 off;	/* its offset */
	size_t			 len;	/* and length */
	json_t			*val;	/* its value (numbers, strings) */
	int			 in_tmpl;
	int			 depth;
	int			 failed;
	struct arena		*nodes;
	struct expr_error	*err;
};

static void __attribute__((format(printf, 3, 4)))
perr(struct parser *p, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	set_verr(p->err, offset, fmt, ap);
	va_end(ap);
}

/* U+3000 at s (a NUL-terminated string: no byte past a NUL is read). */
static int
is_ideographic_space(const char *s)
{
	return (unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
	    (unsigned char)s[2] == 0x80;
}

/*
 * Non-ASCII characters that cannot be part of a name: spaces and
 * punctuation, so that a full-width "＃" or "、" is reported as what it is.
 * Letters of any script, kana, kanji, 々 and ー are name characters, so
 * CSV columns like row.氏名 can be written directly.
 */
static const struct {
	uint32_t	from, to;
} not_name[] = {
	{ 0x0080, 0x00BF },	/* Latin-1 controls, signs, punctuation */
	{ 0x00D7, 0x00D7 }, { 0x00F7, 0x00F7 },		/* × ÷ */
	{ 0x2000, 0x206F },	/* general punctuation */
	{ 0x3000, 0x3004 }, { 0x3008, 0x303F },	/* CJK punctuation */
	{ 0xFF01, 0xFF0F }, { 0xFF1A, 0xFF20 },	/* full-width signs */
	{ 0xFF3B, 0xFF40 }, { 0xFF5B, 0xFF65 },
};

/* The length of the name character at s (a digit only when not first),
 * or 0 when there is none. */
static size_t
name_char_len(const char *s, int first)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t len, i;

	if (u[0] < 0x80)
		return isalpha(u[0]) || u[0] == '_' ||
		    (!first && isdigit(u[0])) ? 1 : 0;
	/* A decode stops at the NUL, so 4 is safe for a C string. */
	if ((len = width_utf8_decode(s, 4, &cp)) == 0)
		return 0;
	for (i = 0; i < sizeof(not_name) / sizeof(not_name[0]); i++)
		if (cp >= not_name[i].from && cp <= not_name[i].to)
			return 0;
	return len;
}

static void
lex_number(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->pos, n;
	int real = 0;
	char *end, q[64];
	long long ll;
	double d;

	while (isdigit((unsigned char)s[i]))
		i++;
	if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
		real = 1;
		for (i++; isdigit((unsigned char)s[i]); i++)
			;
	}
	if ((s[i] == 'e' || s[i] == 'E') && (isdigit((unsigned char)s[i + 1])
	    || ((s[i + 1] == '+' || s[i + 1] == '-') &&
	    isdigit((unsigned char)s[i + 2])))) {
		real = 1;
		for (i += 2; isdigit((unsigned char)s[i]); i++)
			;
	}
	p->tok = T_NUM;
	p->len = i - p->pos;
	if ((n = name_char_len(s + i, 0)) > 0) {
		while ((n = name_char_len(s + i, 0)) > 0)
			i += n;
		perr(p, p->off, "invalid number '%s'",
		    quote(s + p->pos, i - p->pos, q, sizeof(q)));
		p->pos = i;
		return;
	}
	if (!real) {
		errno = 0;
		ll = strtoll(s + p->pos, &end, 10);
		if (errno == 0) {
			p->val = json_integer(ll);
			p->pos = i;
			return;
		}
	}
	d = strtod(s + p->pos, &end);
	if (!isfinite(d))
		perr(p, p->off, "number out of range '%s'",
		    quote(s + p->pos, i - p->pos, q, sizeof(q)));
	else
		p->val = json_real(d);
	p->pos = i;
}

static int
hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (uint32_t)(isdigit((unsigned char)s[i]) ?
		    s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*out = v;
	return 0;
}

/* A string literal in ' or ", with the escapes \\ \' \" \n \t \r \/ and
 * \uXXXX (surrogate pairs joined). */
static void
lex_string(struct parser *p)
{
	const char *s = p->src;
	char quote_ch = s[p->pos], enc[4];
	size_t i = p->pos + 1;
	uint32_t cp, lo;
	struct buf b;

	buf_init(&b, 0);
	p->tok = T_STR;
	for (;;) {
		if (s[i] == '\0') {
			perr(p, p->off, "unterminated string");
			goto out;
		}
		if (s[i] == quote_ch) {
			i++;
			break;
		}
		if (s[i] != '\\') {
			buf_putc(&b, s[i++]);
			continue;
		}
		switch (s[i + 1]) {
		case '\\': case '\'': case '"': case '/':
			buf_putc(&b, s[i + 1]);
			break;
		case 'n': buf_putc(&b, '\n'); break;
		case 't': buf_putc(&b, '\t'); break;
		case 'r': buf_putc(&b, '\r'); break;
		case 'u':
			if (hex4(s + i + 2, &cp) != 0 || cp == 0 ||
			    (cp >= 0xDC00 && cp <= 0xDFFF)) {
				perr(p, i, "invalid \\u escape");
				goto out;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (s[i + 6] != '\\' || s[i + 7] != 'u' ||
				    hex4(s + i + 8, &lo) != 0 ||
				    lo < 0xDC00 || lo > 0xDFFF) {
					perr(p, i, "invalid \\u escape "
					    "(unpaired surrogate)");
					goto out;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				i += 6;
			}
			buf_append(&b, enc, width_utf8_encode(cp, enc));
			i += 4;
			break;
		case '\0':
			perr(p, p->off, "unterminated string");
			goto out;
		default:
			perr(p, i, "unknown escape '\\%c' in string",
			    isprint((unsigned char)s[i + 1]) ? s[i + 1] : '?');
			goto out;
		}
		i += 2;
	}
	if ((p->val = json_stringn(buf_str(&b), b.len)) == NULL)
		perr(p, p->off, "string is not valid UTF-8");
out:
	p->len = i - p->off;
	p->pos = i;
	buf_free(&b);
}

/* Lex the next token into p. */
static void
lex(struct parser *p)
{
	const char *s = p->src;
	size_t i, n;
	uint32_t cp;

	json_decref(p->val);
	p->val = NULL;
	if (p->failed) {
		p->tok = T_EOF;
		return;
	}
	for (;;) {
		if (s[p->pos] == ' ' || s[p->pos] == '\t' ||
		    s[p->pos] == '\n' || s[p->pos] == '\r')
			p->pos++;
		else if (is_ideographic_space(s + p->pos))
			p->pos += 3;	/* U+3000, typed by accident */
		else
			break;
	}
	p->off = p->pos;
	p->len = 0;
	if (s[p->pos] == '\0') {
		p->tok = T_EOF;
		return;
	}
	if (isdigit((unsigned char)s[p->pos])) {
		lex_number(p);
		return;
	}
	if (s[p->pos] == '\'' || s[p->pos] == '"') {
		lex_string(p);
		return;
	}
	if (name_char_len(s + p->pos, 1) > 0) {
		for (i = p->pos; (n = name_char_len(s + i, i == p->pos)) > 0; )
			i += n;
		p->len = i - p->pos;
		p->pos = i;
		p->tok = T_NAME;
		for (n = 0; n < sizeof(keywords) / sizeof(keywords[0]); n++)
			if (strlen(keywords[n].text) == p->len &&
			    memcmp(keywords[n].text, s + p->off, p->len) == 0)
				p->tok = keywords[n].tok;
		return;
	}
	for (n = 0; n < sizeof(operators) / sizeof(operators[0]); n++) {
		size_t l = strlen(operators[n].text);

		if (strncmp(s + p->pos, operators[n].text, l) == 0) {
			p->tok = operators[n].tok;
			p->len = l;
			p->pos += l;
			return;
		}
	}
	p->tok = T_EOF;
	n = width_utf8_decode(s + p->pos, 4, &cp);
	if (s[p->pos] == '=')
		perr(p, p->off, "'=' is not an operator (did you mean '=='?)");
	else if (s[p->pos] == '&')
		perr(p, p->off, "'&' is not an operator (did you mean '&&'?)");
	else if (n == 0)
		perr(p, p->off, "invalid UTF-8 byte 0x%02x",
		    (unsigned char)s[p->pos]);
	else
		perr(p, p->off, "unexpected character '%.*s'", (int)n,
		    s + p->pos);
}

/* Move to the next token; after an error the token is the end. */
static void
next(struct parser *p)
{
	lex(p);
	if (p->failed) {
		json_decref(p->val);
		p->val = NULL;
		p->tok = T_EOF;
	}
}

/* The current token, for messages: 'text' or "end of expression". */
static const char *
tok_desc(const struct parser *p, char *out, size_t outlen)
{
	char q[48];

	if (p->tok == T_EOF)
		return p->in_tmpl ? "the end of the text" :
		    "the end of the expression";
	snprintf(out, outlen, "'%s'", quote(p->src + p->off, p->len, q,
	    sizeof(q)));
	return out;
}

/* ------------------------------------------------------------------ */
/* Parser */

static struct node *
node_new(struct parser *p, enum node_kind kind, size_t offset)
{
	struct node *n = xcalloc(1, sizeof(*n));
	struct arena *ar = p->nodes;

	n->kind = kind;
	n->offset = offset;
	if (ar->n == ar->size) {
		ar->size = ar->size ? ar->size * 2 : 16;
		ar->v = xreallocarray(ar->v, ar->size, sizeof(*ar->v));
	}
	ar->v[ar->n++] = n;
	return n;
}

/*
 * Record the height of a finished node.  Chains such as "a + a + ... + a"
 * or "x | trim | trim ..." are parsed by loops, not recursion, so the
 * parser's depth limit does not see them; evaluation recurses down the
 * tree, so its height is limited here.
 */
static struct node *
sealed(struct parser *p, struct node *n)
{
	struct node *kids[3] = { n->a, n->b, n->c };
	int h = 0, i;

	for (i = 0; i < 3; i++)
		if (kids[i] != NULL && kids[i]->height > h)
			h = kids[i]->height;
	for (i = 0; i < n->nargs; i++)
		if (n->args[i]->height > h)
			h = n->args[i]->height;
	n->height = h + 1;
	if (n->height > MAX_HEIGHT) {
		perr(p, n->offset, "expression nested too deeply");
		return NULL;
	}
	return n;
}

static int
expect(struct parser *p, enum tok t, const char *what)
{
	char d[64];

	if (p->tok == t) {
		next(p);
		return 0;
	}
	perr(p, p->off, "expected %s, found %s", what,
	    tok_desc(p, d, sizeof(d)));
	return -1;
}

static struct node *parse_expr(struct parser *);

/* Comma-separated expressions up to the closing token (already past the
 * opening one); a trailing comma is allowed. */
static int
parse_args(struct parser *p, enum tok close, const char *close_s,
    struct node ***argsp, int *nargsp, int reserve)
{
	int n = reserve, size = reserve + 4;
	struct node **args = xreallocarray(NULL, (size_t)size, sizeof(*args));
	struct node *a;
	char what[32];

	snprintf(what, sizeof(what), "',' or '%s'", close_s);
	for (;;) {
		if (p->tok == close)
			break;
		if ((a = parse_expr(p)) == NULL)
			goto fail;
		if (n == size) {
			size *= 2;
			args = xreallocarray(args, (size_t)size, sizeof(*args));
		}
		args[n++] = a;
		if (p->tok == T_COMMA) {
			next(p);
			continue;
		}
		if (p->tok != close) {
			expect(p, close, what);
			goto fail;
		}
	}
	next(p);
	*argsp = args;
	*nargsp = n;
	return 0;
fail:
	free(args);
	return -1;
}

/* Check a call's argument count against the function's row. */
static int
check_arity(struct parser *p, const struct func *f, int nargs, int filter,
    size_t offset)
{
	int min = f->min_args, max = f->max_args, got = nargs, shift;
	const char *what = filter ? "filter" : "function";

	if (nargs >= min && (max < 0 || nargs <= max))
		return 0;
	if (filter && min == 0) {
		perr(p, offset, "'%s' takes no input and cannot be a filter "
		    "(call %s() instead)", f->name, f->name);
		return -1;
	}
	shift = filter ? 1 : 0;		/* the piped value is not written */
	min -= shift;
	got -= shift;
	if (max >= 0)
		max -= shift;
	if (max < 0)
		perr(p, offset, "%s '%s' takes at least %d argument%s, got %d",
		    what, f->name, min, min == 1 ? "" : "s", got);
	else if (min == max)
		perr(p, offset, "%s '%s' takes %d argument%s, got %d", what,
		    f->name, min, min == 1 ? "" : "s", got);
	else
		perr(p, offset, "%s '%s' takes %d to %d arguments, got %d",
		    what, f->name, min, max, got);
	return -1;
}

/*
 * A call of the function named by src[off..off+len], whose name has been
 * consumed.  For a filter, input is the piped value and becomes the first
 * argument.
 */
static struct node *
parse_call(struct parser *p, struct node *input, size_t off, size_t len)
{
	const struct func *f, *near;
	const char *name = p->src + off;
	struct node *n, **args = NULL;
	int nargs = input ? 1 : 0;
	char q[64];

	f = func_find(name, len);
	if (f == NULL) {
		near = func_nearest(name, len);
		quote(name, len, q, sizeof(q));
		if (near != NULL)
			perr(p, off, "unknown %s '%s' (did you mean '%s'?)",
			    input ? "filter" : "function", q, near->name);
		else
			perr(p, off, "unknown %s '%s'",
			    input ? "filter" : "function", q);
		return NULL;
	}
	if (p->tok == T_LPAREN) {
		next(p);
		if (parse_args(p, T_RPAREN, ")", &args, &nargs,
		    input ? 1 : 0) != 0)
			return NULL;
	} else if (input == NULL) {
		expect(p, T_LPAREN, "'('");
		return NULL;
	} else
		args = xmalloc(sizeof(*args));
	if (input != NULL)
		args[0] = input;
	if (check_arity(p, f, nargs, input != NULL, off) != 0) {
		free(args);
		return NULL;
	}
	n = node_new(p, N_CALL, off);
	n->fn = f;
	n->args = args;
	n->nargs = nargs;
	if (f->prepare != NULL && f->prepare(n, p->err) != 0) {
		p->failed = 1;
		return NULL;
	}
	return sealed(p, n);
}

static struct node *
parse_primary(struct parser *p)
{
	struct node *n;
	size_t off, len;
	char d[64];

	switch (p->tok) {
	case T_NUM:
	case T_STR:
		n = node_new(p, N_CONST, p->off);
		n->value = p->val;
		p->val = NULL;
		next(p);
		return n;
	case T_TRUE:
	case T_FALSE:
	case T_NULL:
		n = node_new(p, N_CONST, p->off);
		n->value = p->tok == T_NULL ? json_null() :
		    json_boolean(p->tok == T_TRUE);
		next(p);
		return n;
	case T_LBRACK:
		n = node_new(p, N_LIST, p->off);
		next(p);
		if (parse_args(p, T_RBRACK, "]", &n->args, &n->nargs, 0) != 0)
			return NULL;
		return sealed(p, n);
	case T_LPAREN:
		next(p);
		if ((n = parse_expr(p)) == NULL || expect(p, T_RPAREN,
		    "')'") != 0)
			return NULL;
		return n;
	case T_NAME:
		/* A name followed by '(' is a call, else a root name. */
		off = p->off;
		len = p->len;
		next(p);
		if (p->tok == T_LPAREN)
			return parse_call(p, NULL, off, len);
		n = node_new(p, N_NAME, off);
		n->name = xstrndup(p->src + off, len);
		return n;
	default:
		if (!p->failed) {
			if (p->tok == T_RBRACE && p->in_tmpl)
				perr(p, p->off, "expected a value, found '}'");
			else
				perr(p, p->off, "expected a value, found %s",
				    tok_desc(p, d, sizeof(d)));
		}
		return NULL;
	}
}

/* A name after '.': keywords are fine there (row.in, item.null). */
static int
member_name(enum tok t)
{
	return t == T_NAME || t == T_TRUE || t == T_FALSE || t == T_NULL ||
	    t == T_AND || t == T_OR || t == T_NOT || t == T_IN;
}

static struct node *
parse_postfix(struct parser *p)
{
	struct node *n = parse_primary(p), *m;
	char d[64];

	while (n != NULL) {
		if (p->tok == T_DOT) {
			next(p);
			if (!member_name(p->tok)) {
				perr(p, p->off, "expected a name after '.', "
				    "found %s", tok_desc(p, d, sizeof(d)));
				return NULL;
			}
			m = node_new(p, N_MEMBER, p->off);
			m->a = n;
			m->name = xstrndup(p->src + p->off, p->len);
			next(p);
			n = sealed(p, m);
		} else if (p->tok == T_LBRACK) {
			m = node_new(p, N_INDEX, p->off);
			next(p);
			m->a = n;
			if ((m->b = parse_expr(p)) == NULL ||
			    expect(p, T_RBRACK, "']'") != 0)
				return NULL;
			n = sealed(p, m);
		} else
			break;
	}
	return n;
}

static struct node *
parse_pipe(struct parser *p)
{
	struct node *n = parse_postfix(p);
	size_t off, len;
	char d[64];

	while (n != NULL && p->tok == T_PIPE) {
		next(p);
		if (p->tok != T_NAME) {
			perr(p, p->off, "expected a filter name after '|', "
			    "found %s", tok_desc(p, d, sizeof(d)));
			return NULL;
		}
		off = p->off;
		len = p->len;
		next(p);
		n = parse_call(p, n, off, len);
	}
	return n;
}

/* Enter one level of nesting; fail when the text nests too deeply. */
static int
deeper(struct parser *p)
{
	if (++p->depth > MAX_DEPTH) {
		perr(p, p->off, "expression nested too deeply");
		return -1;
	}
	return 0;
}

static struct node *
parse_unary(struct parser *p)
{
	struct node *n, *operand;
	size_t off = p->off;

	if (p->tok != T_MINUS)
		return parse_pipe(p);
	/*
	 * A minus written right before a digit is part of the number, so
	 * "-1 | abs" is abs(-1); before anything else it applies to the
	 * filtered value, as the grammar says: "-n | abs" is -abs(n).
	 */
	if (isdigit((unsigned char)p->src[p->pos])) {
		next(p);
		if (p->tok == T_NUM && json_is_integer(p->val))
			json_integer_set(p->val, -json_integer_value(p->val));
		else if (p->tok == T_NUM)
			json_real_set(p->val, -json_real_value(p->val));
		if ((n = parse_pipe(p)) != NULL && n->kind == N_CONST &&
		    n->offset == off + 1)
			n->offset = off;
		return n;
	}
	if (deeper(p) != 0)
		return NULL;
	next(p);
	operand = parse_unary(p);
	p->depth--;
	if (operand == NULL)
		return NULL;
	/* Fold "-2" into a constant. */
	if (operand->kind == N_CONST && json_is_integer(operand->value) &&
	    json_integer_value(operand->value) != LLONG_MIN) {
		json_integer_set(operand->value,
		    -json_integer_value(operand->value));
		operand->offset = off;
		return operand;
	}
	if (operand->kind == N_CONST && json_is_real(operand->value)) {
		json_real_set(operand->value, -json_real_value(operand->value));
		operand->offset = off;
		return operand;
	}
	n = node_new(p, N_NEG, off);
	n->a = operand;
	return sealed(p, n);
}

static const struct {
	enum tok	tok;
	enum binop	op;
} binops[] = {
	{ T_PLUS, B_ADD }, { T_MINUS, B_SUB }, { T_STAR, B_MUL },
	{ T_SLASH, B_DIV }, { T_PERCENT, B_MOD }, { T_EQ, B_EQ },
	{ T_NE, B_NE }, { T_LT, B_LT }, { T_LE, B_LE }, { T_GT, B_GT },
	{ T_GE, B_GE }, { T_IN, B_IN },
};

static enum binop
binop_of(enum tok t)
{
	size_t i;

	for (i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
		if (binops[i].tok == t)
			return binops[i].op;
	abort();	/* only called for tokens of the table */
}

static struct node *
binary(struct parser *p, enum node_kind kind, enum tok t, struct node *l,
    struct node *r, size_t off)
{
	struct node *n = node_new(p, kind, off);

	if (kind == N_BIN)
		n->op = binop_of(t);
	n->a = l;
	n->b = r;
	return sealed(p, n);
}

static struct node *
parse_prod(struct parser *p)
{
	struct node *l = parse_unary(p), *r;
	enum tok t;
	size_t off;

	while (l != NULL && (p->tok == T_STAR || p->tok == T_SLASH ||
	    p->tok == T_PERCENT)) {
		t = p->tok;
		off = p->off;
		next(p);
		if ((r = parse_unary(p)) == NULL)
			return NULL;
		l = binary(p, N_BIN, t, l, r, off);
	}
	return l;
}

static struct node *
parse_sum(struct parser *p)
{
	struct node *l = parse_prod(p), *r;
	enum tok t;
	size_t off;

	while (l != NULL && (p->tok == T_PLUS || p->tok == T_MINUS)) {
		t = p->tok;
		off = p->off;
		next(p);
		if ((r = parse_prod(p)) == NULL)
			return NULL;
		l = binary(p, N_BIN, t, l, r, off);
	}
	return l;
}

static int
is_cmp(enum tok t)
{
	return t == T_EQ || t == T_NE || t == T_LT || t == T_LE ||
	    t == T_GT || t == T_GE || t == T_IN;
}

static struct node *
parse_cmp(struct parser *p)
{
	struct node *l = parse_sum(p), *r;
	enum tok t;
	size_t off;

	if (l == NULL || !is_cmp(p->tok))
		return l;
	t = p->tok;
	off = p->off;
	next(p);
	if ((r = parse_sum(p)) == NULL)
		return NULL;
	if (is_cmp(p->tok)) {
		perr(p, p->off, "comparisons cannot be chained (join them "
		    "with 'and')");
		return NULL;
	}
	return binary(p, N_BIN, t, l, r, off);
}

static struct node *
parse_not(struct parser *p)
{
	struct node *n, *operand;
	size_t off = p->off;

	if (p->tok != T_NOT && p->tok != T_BANG)
		return parse_cmp(p);
	if (deeper(p) != 0)
		return NULL;
	next(p);
	operand = parse_not(p);
	p->depth--;
	if (operand == NULL)
		return NULL;
	n = node_new(p, N_NOT, off);
	n->a = operand;
	return sealed(p, n);
}

static struct node *
parse_and(struct parser *p)
{
	struct node *l = parse_not(p), *r;
	size_t off;

	while (l != NULL && p->tok == T_AND) {
		off = p->off;
		next(p);
		if ((r = parse_not(p)) == NULL)
			return NULL;
		l = binary(p, N_AND, T_AND, l, r, off);
	}
	return l;
}

static struct node *
parse_or(struct parser *p)
{
	struct node *l = parse_and(p), *r;
	size_t off;

	while (l != NULL && p->tok == T_OR) {
		off = p->off;
		next(p);
		if ((r = parse_and(p)) == NULL)
			return NULL;
		l = binary(p, N_OR, T_OR, l, r, off);
	}
	return l;
}

static struct node *
parse_expr(struct parser *p)
{
	struct node *n, *c;
	size_t off;

	if (deeper(p) != 0)
		return NULL;
	n = parse_or(p);
	if (n != NULL && p->tok == T_QUESTION) {
		off = p->off;
		next(p);
		c = node_new(p, N_COND, off);
		c->a = n;
		if ((c->b = parse_expr(p)) == NULL ||
		    expect(p, T_COLON, "':'") != 0 ||
		    (c->c = parse_expr(p)) == NULL)
			n = NULL;
		else
			n = sealed(p, c);
	}
	p->depth--;
	return p->failed ? NULL : n;
}

static void
parser_init(struct parser *p, const char *src, size_t pos,
    struct arena *nodes, struct expr_error *err, int in_tmpl)
{
	memset(p, 0, sizeof(*p));
	p->src = src;
	p->pos = pos;
	p->nodes = nodes;
	p->err = err;
	p->in_tmpl = in_tmpl;
	next(p);
}

/* ------------------------------------------------------------------ */
/* Evaluation */

static json_t *eval(const struct node *, const struct expr_scope *,
    struct expr_error *);

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
		set_err(err, off, "number out of range");
		return NULL;
	}
	return json_real(dx);
divzero:
	set_err(err, off, "division by zero");
	return NULL;
}

/* The message for an operator applied to values it cannot take. */
static json_t *
bad_operands(enum binop op, const json_t *l, const json_t *r,
    struct expr_error *err, size_t off)
{
	const char *lt = type_name(l), *rt = type_name(r);

	switch (op) {
	case B_ADD:
		set_err(err, off, "cannot add %s and %s", lt, rt);
		break;
	case B_SUB:
		set_err(err, off, "cannot subtract %s from %s", rt, lt);
		break;
	case B_MUL:
		set_err(err, off, "cannot multiply %s and %s", lt, rt);
		break;
	case B_DIV:
	case B_MOD:
		set_err(err, off, "cannot divide %s by %s", lt, rt);
		break;
	case B_IN:
		set_err(err, off, "cannot look for %s in %s", lt, rt);
		break;
	default:
		if (json_is_string(l) != json_is_string(r) &&
		    json_is_number(l) != json_is_number(r))
			set_err(err, off, "cannot compare %s and %s with "
			    "'%s' (convert with number() or string())", lt,
			    rt, op_text[op]);
		else
			set_err(err, off, "cannot compare %s and %s with "
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
	v = mkstr(s, an + bn);
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
		return json_boolean(value_equal(l, r));
	case B_NE:
		return json_boolean(!value_equal(l, r));
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
			argv[0] = json_incref(r);
			argv[1] = json_incref(l);
			cmp = member_of(&c, argv, 0, 1);
			json_decref(argv[0]);
			json_decref(argv[1]);
			return cmp < 0 ? NULL : json_boolean(cmp);
		}
	default:
		if (!(json_is_number(l) && json_is_number(r)) &&
		    !(json_is_string(l) && json_is_string(r)))
			return bad_operands(n->op, l, r, err, n->offset);
		cmp = order(l, r);
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
	set_err(err, n->offset, "cannot read member '%s' of a %s",
	    quote(key, strlen(key), q, sizeof(q)), type_name(o));
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
		set_err(err, n->offset, "object keys are strings, not %s",
		    type_name(k));
		return NULL;
	}
	if (!json_is_array(o) && !json_is_string(o)) {
		set_err(err, n->offset, "cannot index a %s", type_name(o));
		return NULL;
	}
	if (json_is_integer(k))
		i = json_integer_value(k);
	else if (json_is_real(k) && json_real_value(k) ==
	    trunc(json_real_value(k)) && fabs(json_real_value(k)) < 9e18)
		i = (long long)json_real_value(k);
	else {
		set_err(err, n->offset, "%s index must be a whole number, "
		    "not %s", type_name(o), type_name(k));
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
	size = (long long)u8_count(s, len);
	if (i < 0)
		i += size;
	if (i < 0 || i >= size)
		return json_null();
	from = u8_offset(s, len, (size_t)i);
	to = from + u8_offset(s + from, len - from, 1);
	return mkstr(s + from, to - from);
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
	for (i = 0; i < n->nargs; i++, done++)
		if ((argv[i] = eval(n->args[i], sc, err)) == NULL)
			goto out;
	c.fn = n->fn;
	c.err = err;
	c.offset = n->offset;
	c.cache = n->cache;
	r = n->fn->fn(&c, argv, n->nargs);
out:
	for (i = 0; i < done; i++)
		json_decref(argv[i]);
	if (argv != stack)
		free(argv);
	return r;
}

static json_t *
eval(const struct node *n, const struct expr_scope *sc, struct expr_error *err)
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
			if (func_find(n->name, strlen(n->name)) != NULL)
				set_err(err, n->offset, "undefined name '%s' "
				    "(to call the function, write %s())",
				    n->name, n->name);
			else
				set_err(err, n->offset, "undefined name '%s'",
				    n->name);
			return NULL;
		}
		return json_incref(v);
	case N_MEMBER:
		if ((a = eval(n->a, sc, err)) == NULL)
			return NULL;
		r = member(n, a, n->name, err);
		json_decref(a);
		return r;
	case N_INDEX:
		if ((a = eval(n->a, sc, err)) == NULL)
			return NULL;
		if ((b = eval(n->b, sc, err)) == NULL) {
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
			if ((v = eval(n->args[i], sc, err)) == NULL) {
				json_decref(r);
				return NULL;
			}
			json_array_append_new(r, v);
		}
		return r;
	case N_NEG:
		if ((a = eval(n->a, sc, err)) == NULL)
			return NULL;
		if (json_is_integer(a) && json_integer_value(a) != LLONG_MIN)
			r = json_integer(-json_integer_value(a));
		else if (json_is_number(a))
			r = json_real(-json_number_value(a));
		else {
			set_err(err, n->offset, "cannot negate a %s",
			    type_name(a));
			r = NULL;
		}
		json_decref(a);
		return r;
	case N_NOT:
		if ((a = eval(n->a, sc, err)) == NULL)
			return NULL;
		t = expr_truthy(a);
		json_decref(a);
		return json_boolean(!t);
	case N_AND:
	case N_OR:
		if ((a = eval(n->a, sc, err)) == NULL)
			return NULL;
		t = expr_truthy(a);
		json_decref(a);
		if (t == (n->kind == N_OR))
			return json_boolean(t);
		if ((b = eval(n->b, sc, err)) == NULL)
			return NULL;
		t = expr_truthy(b);
		json_decref(b);
		return json_boolean(t);
	case N_COND:
		if ((a = eval(n->a, sc, err)) == NULL)
			return NULL;
		t = expr_truthy(a);
		json_decref(a);
		return eval(t ? n->b : n->c, sc, err);
	case N_BIN:
		if ((a = eval(n->a, sc, err)) == NULL)
			return NULL;
		if ((b = eval(n->b, sc, err)) == NULL) {
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

struct expr *
expr_compile(const char *src, struct expr_error *err)
{
	struct expr_error dummy;
	struct parser p;
	struct expr *e = xcalloc(1, sizeof(*e));
	char d[64];

	if (err == NULL)
		err = &dummy;
	parser_init(&p, src, 0, &e->nodes, err, 0);
	if (p.tok == T_EOF && !p.failed)
		perr(&p, 0, "empty expression");
	else if ((e->root = parse_expr(&p)) != NULL && p.tok != T_EOF)
		perr(&p, p.off, "unexpected %s after the expression",
		    tok_desc(&p, d, sizeof(d)));
	json_decref(p.val);
	if (p.failed) {
		expr_free(e);
		return NULL;
	}
	return e;
}

json_t *
expr_eval(const struct expr *e, const struct expr_scope *sc,
    struct expr_error *err)
{
	struct expr_error dummy;

	return eval(e->root, sc, err ? err : &dummy);
}

void
expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	arena_free(&e->nodes);
	free(e);
}

static void
add_part(struct tmpl *t, size_t *size, struct part part)
{
	if (t->nparts == *size) {
		*size = *size ? *size * 2 : 4;
		t->parts = xreallocarray(t->parts, *size, sizeof(*t->parts));
	}
	t->parts[t->nparts++] = part;
}

/* End the literal text collected so far as a part of its own. */
static void
flush_literal(struct tmpl *t, size_t *size, struct buf *lit)
{
	struct part part = { NULL, 0, NULL };

	if (lit->len == 0)
		return;
	part.text = buf_detach(lit, &part.len);
	add_part(t, size, part);
}

struct tmpl *
tmpl_compile(const char *src, struct expr_error *err)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));
	struct expr_error dummy;
	struct part part;
	struct parser p;
	struct buf lit;
	size_t i = 0, size = 0;
	char d[64];

	if (err == NULL)
		err = &dummy;
	buf_init(&lit, 0);
	while (src[i] != '\0') {
		if (src[i] == '$' && src[i + 1] == '$' && src[i + 2] == '{') {
			buf_puts(&lit, "${");
			i += 3;
			continue;
		}
		if (src[i] != '$' || src[i + 1] != '{') {
			buf_putc(&lit, src[i++]);
			continue;
		}
		flush_literal(t, &size, &lit);
		parser_init(&p, src, i + 2, &t->nodes, err, 1);
		if (p.tok == T_RBRACE && !p.failed)
			perr(&p, i, "empty '${}'");
		else if ((part.root = parse_expr(&p)) != NULL &&
		    p.tok != T_RBRACE) {
			if (p.tok == T_EOF)
				perr(&p, i, "missing '}' to close '${'");
			else
				perr(&p, p.off, "expected '}', found %s",
				    tok_desc(&p, d, sizeof(d)));
		}
		json_decref(p.val);
		if (p.failed) {
			buf_free(&lit);
			tmpl_free(t);
			return NULL;
		}
		part.text = NULL;
		part.len = 0;
		add_part(t, &size, part);
		i = p.off + 1;		/* past the '}' */
	}
	flush_literal(t, &size, &lit);
	buf_free(&lit);
	if (tmpl_is_literal(t))
		t->literal = t->nparts ? mkstr(t->parts[0].text,
		    t->parts[0].len) : mkstr("", 0);
	return t;
}

int
tmpl_is_literal(const struct tmpl *t)
{
	return t->nparts == 0 || (t->nparts == 1 && t->parts[0].root == NULL);
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
	if (t->nparts == 1)
		return eval(t->parts[0].root, sc, err);
	buf_init(&b, 0);
	for (i = 0; i < t->nparts; i++) {
		if (t->parts[i].root == NULL) {
			rc = buf_append(&b, t->parts[i].text, t->parts[i].len);
		} else {
			if ((v = eval(t->parts[i].root, sc, err)) == NULL) {
				buf_free(&b);
				return NULL;
			}
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
			set_err(err, 0, "template result too long");
			return NULL;
		}
	}
	v = mkstr(buf_str(&b), b.len);
	buf_free(&b);
	return v;
}

/* Report the names an expression reads, in source order. */
static void
refs(const struct node *n, expr_ref_fn fn, void *arg)
{
	int i;

	switch (n->kind) {
	case N_NAME:
		fn(arg, n->name, NULL, n->offset);
		return;
	case N_MEMBER:
		if (n->a->kind == N_NAME)
			fn(arg, n->a->name, n->name, n->a->offset);
		else
			refs(n->a, fn, arg);
		return;
	case N_INDEX:
		if (n->a->kind == N_NAME && n->b->kind == N_CONST &&
		    json_is_string(n->b->value)) {
			fn(arg, n->a->name, json_string_value(n->b->value),
			    n->a->offset);
			return;
		}
		refs(n->a, fn, arg);
		refs(n->b, fn, arg);
		return;
	case N_CALL:
	case N_LIST:
		for (i = 0; i < n->nargs; i++)
			refs(n->args[i], fn, arg);
		return;
	case N_CONST:
		return;
	default:
		if (n->a)
			refs(n->a, fn, arg);
		if (n->b)
			refs(n->b, fn, arg);
		if (n->c)
			refs(n->c, fn, arg);
		return;
	}
}

void
tmpl_refs(const struct tmpl *t, expr_ref_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < t->nparts; i++)
		if (t->parts[i].root != NULL)
			refs(t->parts[i].root, fn, arg);
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	json_decref(t->literal);
	arena_free(&t->nodes);
	free(t);
}
