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
#include <strings.h>

#include "buf.h"
#include "expr.h"
#include "expr_int.h"
#include "kanjinum.h"
#include "xmalloc.h"
#include "width.h"

/* How a locale writes numbers: the thousands separators and the point. */
struct numlocale {
	const char	*name;
	const char	*group[3];	/* NULL-terminated */
	char		 point;
};

static const struct numlocale locales[] = {
	{ "ja", { ",", NULL }, '.' },
	{ "en", { ",", NULL }, '.' },
	{ "zh", { ",", NULL }, '.' },
	{ "ko", { ",", NULL }, '.' },
	{ "de-CH", { "'", "\xE2\x80\x99", NULL }, '.' },
	{ "fr-CH", { "'", "\xE2\x80\x99", NULL }, '.' },
	{ "it-CH", { "'", "\xE2\x80\x99", NULL }, '.' },
	{ "de", { ".", NULL }, ',' },
	{ "es", { ".", NULL }, ',' },
	{ "it", { ".", NULL }, ',' },
	{ "nl", { ".", NULL }, ',' },
	{ "pt", { ".", NULL }, ',' },
	{ "id", { ".", NULL }, ',' },
	{ "da", { ".", NULL }, ',' },
	{ "tr", { ".", NULL }, ',' },
	/* A space (also U+00A0, U+202F) groups the thousands. */
	{ "fr", { " ", "\xC2\xA0", "\xE2\x80\xAF" }, ',' },
	{ "sv", { " ", "\xC2\xA0", "\xE2\x80\xAF" }, ',' },
	{ "fi", { " ", "\xC2\xA0", "\xE2\x80\xAF" }, ',' },
	{ "nb", { " ", "\xC2\xA0", "\xE2\x80\xAF" }, ',' },
	{ "cs", { " ", "\xC2\xA0", "\xE2\x80\xAF" }, ',' },
	{ "pl", { " ", "\xC2\xA0", "\xE2\x80\xAF" }, ',' },
	{ "ru", { " ", "\xC2\xA0", "\xE2\x80\xAF" }, ',' },
};

/* The locale named name ("de", "de-DE", "de_AT", "fr-CH"), or NULL. */
static const struct numlocale *
find_locale(const char *name)
{
	size_t i, n;

	for (i = 0; i < sizeof(locales) / sizeof(locales[0]); i++)
		if (strcasecmp(locales[i].name, name) == 0)
			return &locales[i];
	for (n = 0; isalpha((unsigned char)name[n]); n++)
		;
	if (name[n] != '-' && name[n] != '_' && name[n] != '\0')
		return NULL;
	for (i = 0; i < sizeof(locales) / sizeof(locales[0]); i++)
		if (strlen(locales[i].name) == n &&
		    strncasecmp(locales[i].name, name, n) == 0)
			return &locales[i];
	return NULL;
}

/* The length of a thousands separator of loc at p, or 0. */
static size_t
group_at(const struct numlocale *loc, const char *p)
{
	size_t i, n;

	for (i = 0; i < 3 && loc->group[i] != NULL; i++) {
		n = strlen(loc->group[i]);
		if (strncmp(p, loc->group[i], n) == 0)
			return n;
	}
	return 0;
}

/* Skip the signs and currency marks before a number; *neg for a minus. */
static const char *
skip_prefix(const char *p, int *neg)
{
	static const char *const marks[] = { "¥", "\\", "$", "€", "£", "金",
	    NULL };
	int signed_ = 0;
	size_t i;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!signed_ && (*p == '+' || *p == '-')) {
			*neg = *p++ == '-';
			signed_ = 1;
			continue;
		}
		/* The minus of Japanese accounting: △1,000 and ▲1,000. */
		if (!signed_ && (strncmp(p, "△", 3) == 0 ||
		    strncmp(p, "▲", 3) == 0)) {
			*neg = signed_ = 1;
			p += 3;
			continue;
		}
		for (i = 0; marks[i] != NULL; i++)
			if (strncmp(p, marks[i], strlen(marks[i])) == 0)
				break;
		if (marks[i] == NULL)
			return p;
		p += strlen(marks[i]);
	}
}

/* Skip what may follow a number: 円, 也 (円也), spaces. */
static const char *
skip_suffix(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "円", 3) == 0)
		p += 3;
	if (strncmp(p, "也", 3) == 0)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* Whether the number at p is written with kanji numerals, in part. */
static int
is_kanji_number(const char *p)
{
	while (isdigit((unsigned char)*p) || *p == ',')
		p++;
	return kanjinum_at(p);
}

/* Whether p reads as a number with a decimal comma: 1.234,5 or 1.234.567. */
static int
decimal_comma(const char *p)
{
	int dots = 0, digits = 0;

	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p == '.' && digits > 0)
			dots++;
		else if (*p == ',')
			return dots > 0;
		else if (*p != ' ')
			break;
	}
	return dots > 1;
}

/*
 * The digits of a number written with loc into clean: groups checked
 * (1 to 3 digits, then threes), the point made '.'.  *real is set for a
 * fraction or an exponent.  The end of what was read, or NULL with why.
 */
static const char *
read_digits_in(const struct numlocale *loc, const char *p, struct buf *clean,
    int *real, const char **why)
{
	size_t g, run = 0, groups = 0, digits = 0;

	for (;;) {
		if (isdigit((unsigned char)*p)) {
			buf_putc(clean, *p++);
			run++;
			digits++;
		} else if ((g = group_at(loc, p)) > 0 && run > 0 &&
		    isdigit((unsigned char)p[g])) {
			if ((groups == 0 && run > 3) || (groups > 0 &&
			    run != 3)) {
				*why = "has a misplaced thousands separator";
				return NULL;
			}
			groups++;
			run = 0;
			p += g;
		} else
			break;
	}
	if (groups > 0 && run != 3) {
		*why = "has a misplaced thousands separator";
		return NULL;
	}
	if (digits == 0) {
		*why = NULL;
		return NULL;
	}
	if (*p == loc->point && isdigit((unsigned char)p[1])) {
		*real = 1;
		buf_putc(clean, '.');
		for (p++; isdigit((unsigned char)*p); p++)
			buf_putc(clean, *p);
	}
	if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) ||
	    ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
		*real = 2;			/* an exponent: a float meant */
		buf_putc(clean, *p++);
		if (*p == '+' || *p == '-')
			buf_putc(clean, *p++);
		while (isdigit((unsigned char)*p))
			buf_putc(clean, *p++);
	}
	return p;
}

/*
 * Read a number as people write it: "1,234", "１２３４", "¥1,234",
 * "1,234円", "-5", "−5", "△500" and "▲500" (accounting minus), "12.5",
 * "1e3", kanji numerals ("十二", "一億二千万", "金壱萬円也", "12万3千");
 * with loc, as that locale writes them ("1.234,5").  Return a new value
 * (an integer when there is no fraction or exponent), or NULL with a
 * reason in why (NULL: the generic "cannot read").
 */
static json_t *
parse_number_text(const char *s, const struct numlocale *loc,
    const char **why)
{
	char *narrow = width_to_half(s), *end;
	const char *p;
	struct buf clean;
	json_t *v = NULL;
	long long ll;
	long n;
	int neg = 0, real = 0;
	double d;

	*why = NULL;
	buf_init(&clean, 256);
	p = skip_prefix(narrow, &neg);
	if (is_kanji_number(p)) {
		if ((n = kanjinum_read(p, &ll)) <= 0) {
			*why = n < 0 ? "has malformed or too large kanji "
			    "numerals" : NULL;
			goto done;
		}
		if (*skip_suffix(p + n) == '\0')
			v = json_integer(neg ? -ll : ll);
		goto done;
	}
	if (neg)
		buf_putc(&clean, '-');
	if ((p = read_digits_in(loc, p, &clean, &real, why)) == NULL)
		goto done;
	if (*skip_suffix(p) != '\0') {
		if (loc == &locales[0] && decimal_comma(narrow))
			*why = "looks like a number with a decimal comma; give "
			    "its locale, as in number(x, 'de')";
		goto done;
	}
	if (!real) {
		errno = 0;
		ll = strtoll(buf_str(&clean), &end, 10);
		if (errno == ERANGE)
			*why = "is too large to be exact (more than 2^63 - 1; "
			    "keep it as text)";
		else
			v = json_integer(ll);
		goto done;
	}
	d = strtod(buf_str(&clean), &end);
	if (!isfinite(d))
		*why = "is out of range";
	else if (real == 1 && fabs(d) >= 9007199254740992.0)
		*why = "has too many digits before the point to be exact "
		    "(2^53 or more; keep it as text)";
	else
		v = json_real(d);
done:
	buf_free(&clean);
	free(narrow);
	return v;
}

/*
 * The common case first: plain ASCII "1234", "-12", "3.5" (at most 18
 * digits, 15 before a point) need none of the checks below.  NULL when s
 * is not that.
 */
static json_t *
plain_number(const char *s, size_t n)
{
	size_t i = s[0] == '-', digits = 0, point = 0;
	long long v = 0;

	if (n == 0 || n > 40)
		return NULL;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (!point && ++digits > 18)
				return NULL;
			if (!point)
				v = v * 10 + (s[i] - '0');
		} else if (s[i] == '.' && !point && digits > 0 && i + 1 < n)
			point = i;
		else
			return NULL;
	}
	if (digits == 0 || (point && digits > 15))
		return NULL;	/* 2^53 and more: the checks below */
	if (point)
		return json_real(strtod(s, NULL));
	return json_integer(s[0] == '-' ? -v : v);
}

/* A number argument, or a string read as people write numbers in loc. */
static json_t *
to_number_in(struct fctx *c, json_t **argv, int i,
    const struct numlocale *loc)
{
	const char *why;
	json_t *v;
	char q[64];

	if (json_is_number(argv[i]))
		return json_incref(argv[i]);
	if (!json_is_string(argv[i]))
		return fctx_bad_arg(c, argv, i, "a number or a string");
	if (loc == &locales[0] && (v = plain_number(json_string_value(argv[i]),
	    json_string_length(argv[i]))) != NULL)
		return v;
	v = parse_number_text(json_string_value(argv[i]), loc, &why);
	if (v != NULL)
		return v;
	expr_quote(json_string_value(argv[i]), json_string_length(argv[i]),
	    q, sizeof(q));
	if (why != NULL)
		return fctx_fail(c, "'%s' %s", q, why);
	return fctx_fail(c, "cannot read '%s' as a number", q);
}

static json_t *
to_number(struct fctx *c, json_t **argv, int i)
{
	return to_number_in(c, argv, i, &locales[0]);
}

/* number(x[, locale]) */
static json_t *
fn_number(struct fctx *c, json_t **argv, int argc)
{
	const struct numlocale *loc = &locales[0];
	const char *name;

	if (argc > 1 && !json_is_null(argv[1])) {
		if ((name = fctx_arg_text(c, argv, 1, NULL)) == NULL)
			return NULL;
		if ((loc = find_locale(name)) == NULL)
			return fctx_fail(c, "unknown locale '%s' (such as "
			    "'ja', 'en', 'de', 'fr', 'de-CH')", name);
	}
	return to_number_in(c, argv, 0, loc);
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


static const char *const number_names[] = { "x", "locale", NULL };

const struct func expr_num_funcs[] = {
	{ "number", 1, 2, fn_number,
	    "number(x[, locale]): a number from text such as '1,234', "
	    "'１２３', '¥1,234', '△500', '一億二千万' ('1.234,5' with 'de')",
	    NULL, number_names },
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
