/*
 * expr_func_num.c - the number functions of the expression language, and
 * reading numbers as people write them ("1,234", "¥1,234", "△500").
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expr.h"
#include "expr_int.h"
#include "xmalloc.h"
#include "width.h"

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

/* A number argument, or a string read as people write numbers. */
static json_t *
to_number(struct fctx *c, json_t **argv, int i)
{
	json_t *v;
	char q[64];

	if (json_is_number(argv[i]))
		return json_incref(argv[i]);
	if (!json_is_string(argv[i]))
		return fctx_bad_arg(c, argv, i, "a number or a string");
	if (parse_number_text(json_string_value(argv[i]), &v) != 0)
		return fctx_fail(c, "cannot read '%s' as a number",
		    expr_quote(json_string_value(argv[i]),
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
		return fctx_fail(c, "%g is too large for a whole number", d);
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
		return fctx_bad_arg(c, argv, 0, "a number");
	if (argc > 1 && fctx_arg_int(c, argv, 1, &digits) != 0)
		return NULL;
	if (digits < -18 || digits > 15)
		return fctx_fail(c, "digits must be between -18 and 15, not %lld",
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
	return fctx_mkreal(c, r);
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
	return fctx_bad_arg(c, argv, 0, "a number");
}
static json_t *
extreme(struct fctx *c, json_t **argv, int argc, int want)
{
	json_t **items = argv, *best = NULL;
	size_t n = (size_t)argc, i;

	if (argc == 1) {
		if (!json_is_array(argv[0]))
			return fctx_bad_arg(c, argv, 0, "a list (or several "
			    "values)");
		n = json_array_size(argv[0]);
		items = NULL;
	}
	for (i = 0; i < n; i++) {
		json_t *v = items ? items[i] : json_array_get(argv[0], i);

		if (!json_is_number(v) && !json_is_string(v))
			return fctx_fail(c, "cannot compare %s values",
			    expr_type_name(v));
		if (best != NULL && json_is_number(v) != json_is_number(best))
			return fctx_fail(c, "cannot compare %s and %s",
			    expr_type_name(best), expr_type_name(v));
		if (best == NULL || expr_order(v, best) * want > 0)
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

void
numsum_add(struct numsum *s, const json_t *v)
{
	long long tmp;

	if (!s->real && json_is_integer(v) &&
	    !__builtin_add_overflow(s->i, json_integer_value(v), &tmp)) {
		s->i = tmp;
		return;
	}
	if (!s->real) {
		s->real = 1;
		s->d = (double)s->i;
	}
	s->d += json_number_value(v);
}

json_t *
numsum_value(struct fctx *c, const struct numsum *s)
{
	return s->real ? fctx_mkreal(c, s->d) : json_integer(s->i);
}

static json_t *
fn_sum(struct fctx *c, json_t **argv, int argc)
{
	struct numsum sum = { 0, 0, 0 };
	json_t *v;
	size_t i;

	(void)argc;
	if (!json_is_array(argv[0]))
		return fctx_bad_arg(c, argv, 0, "a list");
	json_array_foreach(argv[0], i, v) {
		if (!json_is_number(v))
			return fctx_fail(c, "item [%zu] is a %s, not a number", i,
			    expr_type_name(v));
		numsum_add(&sum, v);
	}
	return numsum_value(c, &sum);
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
	if (argc > 1 && fctx_arg_int(c, argv, 1, &decimals) != 0) {
		json_decref(v);
		return NULL;
	}
	if (decimals > 20 || (argc > 1 && decimals < 0)) {
		json_decref(v);
		return fctx_fail(c, "decimals must be between 0 and 20, not %lld",
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
		expr_fmt_real(json_real_value(v), text);
	json_decref(v);
	if (strchr(text, 'e') != NULL)		/* 1e-07: leave it be */
		return expr_mkstr(text, strlen(text));
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
	return expr_mkstr_owned(out);
}


const struct func expr_num_funcs[] = {
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
	{ "format_number", 1, 2, fn_format_number,
	    "format_number(x[, decimals]): 1234567 as 1,234,567", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};
