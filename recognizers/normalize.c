/*
 * normalize.c - field kinds: from OCR text to canonical values.
 *
 * Every normaliser first makes full-width ASCII half-width (width.h), so
 * "１２３" and "123" are the same, then parses strictly.  Strictness is the
 * point: a thousands separator in the wrong place, a 13th month or a phone
 * number with too few digits is far more often a misread than a real
 * value, and a misread must reach a person, not a database.
 */
#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "era.h"
#include "normalize.h"
#include "width.h"
#include "textutil.h"
#include "xmalloc.h"

/* ---- kinds ---- */

typedef int (*norm_fn)(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);

static int norm_text(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);
static int norm_number(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);
static int norm_amount(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);
static int norm_date(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);
static int norm_era_date(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);
static int norm_phone(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);
static int norm_postal(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);
static int norm_code(const struct norm_spec *, const char *, json_t **,
    unsigned *, char *, size_t);
static int norm_registration(const struct norm_spec *, const char *,
    json_t **, unsigned *, char *, size_t);
static int norm_digits_kind(const struct norm_spec *, const char *,
    json_t **, unsigned *, char *, size_t);

static const struct {
	enum norm_kind	 kind;
	const char	*name;
	norm_fn		 fn;
} kinds[] = {
	{ NORM_TEXT, "text", norm_text },
	{ NORM_NUMBER, "number", norm_number },
	{ NORM_AMOUNT, "amount", norm_amount },
	{ NORM_DATE, "date", norm_date },
	{ NORM_ERA_DATE, "era_date", norm_era_date },
	{ NORM_PHONE, "phone", norm_phone },
	{ NORM_POSTAL, "postal", norm_postal },
	{ NORM_CODE, "code", norm_code },
	{ NORM_SEAL, "seal", NULL },
	{ NORM_REGISTRATION_NO, "registration_no", norm_registration },
	{ NORM_CORPORATE_NO, "corporate_no", norm_digits_kind },
	{ NORM_BANK_CODE, "bank_code", norm_digits_kind },
	{ NORM_BRANCH_CODE, "branch_code", norm_digits_kind },
	{ NORM_ACCOUNT_NO, "account_no", norm_digits_kind },
};

#define NKINDS	(sizeof kinds / sizeof kinds[0])

const char *
norm_kind_name(enum norm_kind k)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return "?";
}

int
norm_kind_parse(const char *name, enum norm_kind *k)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].name, name) == 0) {
			*k = kinds[i].kind;
			return 0;
		}
	return -1;
}

/*
 * Patterns are compiled in a UTF-8 locale whatever the process's locale is,
 * so that a bracket expression like [一-龥] means characters, not bytes.
 * The locale object is created once and never changes.
 */
static struct norm_locale {
	pthread_once_t	 once;
	locale_t	 utf8;
} norm_locale = { PTHREAD_ONCE_INIT, (locale_t)0 };

static void
locale_init(void)
{
	norm_locale.utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int
norm_spec_compile(struct norm_spec *spec, char *err, size_t errlen)
{
	locale_t old = (locale_t)0;
	int rc;

	if (spec->has_re) {
		regfree(&spec->re);
		spec->has_re = 0;
	}
	if (spec->pattern == NULL)
		return 0;
	if (text_regex_check(spec->pattern, err, errlen) != 0)
		return -1;
	pthread_once(&norm_locale.once, locale_init);
	if (norm_locale.utf8 != (locale_t)0)
		old = uselocale(norm_locale.utf8);
	rc = regcomp(&spec->re, spec->pattern, REG_EXTENDED | REG_NOSUB);
	if (old != (locale_t)0)
		uselocale(old);
	if (rc != 0) {
		regerror(rc, &spec->re, err, errlen);
		regfree(&spec->re);
		return -1;
	}
	spec->has_re = 1;
	return 0;
}

void
norm_spec_free(struct norm_spec *spec)
{
	size_t i;

	if (spec->has_re)
		regfree(&spec->re);
	for (i = 0; i < spec->nlist; i++)
		free(spec->list[i]);
	free(spec->list);
	free(spec->whitelist);
	free(spec->pattern);
	memset(spec, 0, sizeof *spec);
}

/* ---- text helpers ---- */

/* Decode one code point; invalid bytes count as themselves. */
static size_t
next_cp(const char *s, uint32_t *cp)
{
	size_t n = strlen(s), k;

	if (n == 0) {
		*cp = 0;
		return 0;
	}
	k = width_utf8_decode(s, n > 4 ? 4 : n, cp);
	return k == 0 ? 1 : k;
}

/* Code points that are white space in OCR output. */
static int
is_space_cp(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == 0x3000 || c == 0xa0;
}

/* The characters OCR reads a printed hyphen as. */
static int
is_dash(uint32_t c)
{
	return c == 0x30fc || c == 0xff70 || c == 0x2212 || c == 0x4e00 ||
	    (c >= 0x2010 && c <= 0x2015) || c == 0x2500;
}

/*
 * Half-width, spaces trimmed and collapsed; with digitish set, every kind
 * of dash (ー, 一, ‐, — for a hyphen between digits) becomes one '-'.
 */
static char *
clean(const char *raw, int digitish)
{
	char *half = width_to_half(raw), *out, *o;
	const char *p = half;
	int pending_space = 0;

	out = o = xmalloc(strlen(half) + 1);
	while (*p != '\0') {
		uint32_t c;
		size_t k = next_cp(p, &c);

		if (is_space_cp(c)) {
			pending_space = o != out;
			p += k;
			continue;
		}
		if (pending_space) {
			*o++ = ' ';
			pending_space = 0;
		}
		if (digitish && (c == '-' || is_dash(c))) {
			/* "－" is often read as two dashes: one is meant. */
			if (o == out || o[-1] != '-')
				*o++ = '-';
			p += k;
			continue;
		}
		memcpy(o, p, k);
		o += k;
		p += k;
	}
	*o = '\0';
	free(half);
	return out;
}

/* Remove every occurrence of the UTF-8 string del from s, in place. */
static void
strip_all(char *s, const char *del)
{
	size_t dl = strlen(del);
	char *p;

	while ((p = strstr(s, del)) != NULL)
		memmove(p, p + dl, strlen(p + dl) + 1);
}

/* Remove ASCII spaces in place. */
static void
strip_spaces(char *s)
{
	strip_all(s, " ");
}

/*
 * Whether two digits stand apart with only spaces between them: in an
 * amount or a number that is a lost separator or digit, never a value.
 */
static int
space_between_digits(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		const char *q = p;

		if (!isdigit((unsigned char)*p) || p[1] != ' ')
			continue;
		while (*++q == ' ')
			;
		if (isdigit((unsigned char)*q))
			return 1;
	}
	return 0;
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * A decimal number with optional sign, thousands separators (which must
 * then group every three digits) and fraction.  Returns 0 with the value,
 * -1 when it is not one.
 */
static int
parse_decimal(const char *s, json_t **value, char *err, size_t errlen)
{
	const char *p = s;
	char digits[64];
	size_t nd = 0;
	int neg = 0, group = -1, commas = 0, frac = -1;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p)) {
		snprintf(err, errlen, "not a number: %s", s);
		return -1;
	}
	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p)) {
			if (nd + 2 >= sizeof digits) {
				snprintf(err, errlen, "number too long: %s", s);
				return -1;
			}
			digits[nd++] = *p;
			if (frac >= 0)
				frac++;
			else if (group >= 0)
				group++;
		} else if (*p == ',' && frac < 0) {
			/* First group 1-3 digits, every later one 3. */
			if ((commas == 0 && (nd < 1 || nd > 3)) ||
			    (commas > 0 && group != 3)) {
				snprintf(err, errlen, "misplaced thousands "
				    "separator: %s", s);
				return -1;
			}
			commas++;
			group = 0;
		} else if (*p == '.' && frac < 0) {
			if (commas > 0 && group != 3) {
				snprintf(err, errlen, "misplaced thousands "
				    "separator: %s", s);
				return -1;
			}
			frac = 0;
			digits[nd++] = '.';
		} else {
			snprintf(err, errlen, "not a number: %s", s);
			return -1;
		}
	}
	if (commas > 0 && frac < 0 && group != 3) {
		snprintf(err, errlen, "misplaced thousands separator: %s", s);
		return -1;
	}
	if (frac == 0) {
		snprintf(err, errlen, "not a number: %s", s);
		return -1;
	}
	digits[nd] = '\0';
	if (frac < 0) {
		char *end;
		long long v = strtoll(digits, &end, 10);

		if (*end != '\0' || nd > 18) {
			snprintf(err, errlen, "number too large: %s", s);
			return -1;
		}
		*value = json_integer(neg ? -v : v);
	} else {
		double d = strtod(digits, NULL);

		*value = json_real(neg ? -d : d);
	}
	return 0;
}

/* Marks that are never a word of a value: what is left of box edges and
 * specks when they stand alone at either end. */
static int
is_junk_token(const char *s, size_t n)
{
	static const char junk[] = "|!'\"`.,-_~()[]:;*";
	const char *p = s, *end = s + n;

	while (p < end) {
		uint32_t c;
		size_t k = next_cp(p, &c);

		if (!(c < 0x80 && strchr(junk, (int)c) != NULL) &&
		    !is_dash(c) && c != 0xff5c && c != 0x300c && c != 0x300d)
			return 0;
		p += k;
	}
	return 1;
}

/*
 * Between two digits, any dash is a hyphen and spaces around it are gaps:
 * "4一6 一16" -> "4-6-16".
 */
static void
fix_digit_dashes(char *s)
{
	char *o = s, *p = s;

	while (*p != '\0') {
		uint32_t c;
		size_t k = next_cp(p, &c);

		if (o > s && isdigit((unsigned char)o[-1]) &&
		    (c == ' ' || c == '-' || is_dash(c))) {
			const char *q = p;
			int dashes = 0;

			while (*q != '\0') {
				size_t kk = next_cp(q, &c);

				if (c == '-' || is_dash(c))
					dashes++;
				else if (c != ' ')
					break;
				q += kk;
			}
			if (dashes >= 1 && dashes <= 2 &&
			    isdigit((unsigned char)*q)) {
				*o++ = '-';
				p = (char *)q;
				continue;
			}
		}
		memmove(o, p, k);
		o += k;
		p += k;
	}
	*o = '\0';
}

static int
norm_text(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 0), *sp;
	size_t n;

	(void)spec;
	(void)flags;
	fix_digit_dashes(s);
	/* Drop a lone junk token at either end: "Initech LLC -". */
	while ((sp = strrchr(s, ' ')) != NULL && is_junk_token(sp + 1,
	    strlen(sp + 1)))
		*sp = '\0';
	while ((sp = strchr(s, ' ')) != NULL && is_junk_token(s,
	    (size_t)(sp - s)))
		memmove(s, sp + 1, strlen(sp + 1) + 1);
	/* No value starts with a stop or a bar: ".東京都..." */
	n = strspn(s, ".,'`:;|_~*");
	if (n > 0 && s[n] != '\0')
		memmove(s, s + n, strlen(s + n) + 1);
	n = strlen(s);
	if (n == 0 || is_junk_token(s, n)) {
		snprintf(err, errlen, "no text, only marks: %s", raw);
		free(s);
		return -1;
	}
	*value = json_string(s);
	free(s);
	return 0;
}

static int
norm_number(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 1);
	int rc;

	(void)flags;
	if (space_between_digits(s)) {
		snprintf(err, errlen, "a space inside a number: %s", s);
		free(s);
		return -1;
	}
	strip_spaces(s);
	rc = parse_decimal(s, value, err, errlen);
	if (rc == 0 && spec->check != CHECKDIGIT_NONE) {
		char *t = norm_value_text(*value);

		if (!checkdigit_ok(spec->check, t, strlen(t))) {
			snprintf(err, errlen, "%s does not check (%s)", t,
			    checkdigit_name(spec->check));
			json_decref(*value);
			*value = NULL;
			rc = -1;
		} else if (checkdigit_telling(spec->check, t, strlen(t)))
			*flags |= NORM_CHECKED;
		free(t);
	}
	free(s);
	return rc;
}

/* Currency marks around an amount, removed before parsing. */
static const char *const amount_prefixes[] = {
	"金", "¥", "\\", "$", "€", "£", "JPY", "USD", "EUR", "GBP",
};
static const char *const amount_suffixes[] = {
	"円也", "円", "也", ".-", "-", "JPY", "USD", "EUR", "GBP", "¥",
};

static int
norm_amount(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 1), *p;
	int neg = 0, rc, changed;
	size_t i;

	(void)flags;
	if (space_between_digits(s)) {
		snprintf(err, errlen, "a space inside an amount: %s", raw);
		free(s);
		return -1;
	}
	strip_spaces(s);
	p = s;
	/* Japanese accounts mark negatives with △ or ▲. */
	if (starts_with(p, "△") || starts_with(p, "▲")) {
		neg = 1;
		p += strlen("△");
	} else if (*p == '-') {
		neg = 1;
		p++;
	}
	do {
		changed = 0;
		for (i = 0; i < sizeof amount_prefixes /
		    sizeof amount_prefixes[0]; i++)
			if (starts_with(p, amount_prefixes[i])) {
				p += strlen(amount_prefixes[i]);
				changed = 1;
			}
		for (i = 0; i < sizeof amount_suffixes /
		    sizeof amount_suffixes[0]; i++)
			if (*p != '\0' && ends_with(p, amount_suffixes[i])) {
				p[strlen(p) - strlen(amount_suffixes[i])] =
				    '\0';
				changed = 1;
			}
	} while (changed);
	if (*p == '-' || *p == '+') {
		snprintf(err, errlen, "not an amount: %s", raw);
		free(s);
		return -1;
	}
	/*
	 * Where no decimals are written (yen), a point is a thousands
	 * separator (as in 1.234.567, and as OCR reads "，"); the grouping
	 * check below still has to pass.
	 */
	if (spec->decimals == 0 && strchr(p, '.') != NULL) {
		char *q;

		for (q = p; *q != '\0'; q++)
			if (*q == '.')
				*q = ',';
	}
	rc = parse_decimal(p, value, err, errlen);
	if (rc != 0) {
		snprintf(err, errlen, "not an amount: %s", raw);
	} else if (spec->decimals >= 0) {
		const char *dot = strchr(p, '.');
		int nd = dot != NULL ? (int)strlen(dot + 1) : 0;

		if (nd != 0 && nd != spec->decimals) {
			snprintf(err, errlen, "%d decimals where %d are "
			    "written: %s", nd, spec->decimals, raw);
			json_decref(*value);
			*value = NULL;
			rc = -1;
		}
	}
	else if (neg) {
		json_t *v = *value;

		*value = json_is_integer(v) ?
		    json_integer(-json_integer_value(v)) :
		    json_real(-json_real_value(v));
		json_decref(v);
	}
	free(s);
	return rc;
}

/* ---- dates ---- */

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};

/* The month named at *p (full name or 3-letter abbreviation with an
 * optional dot); advances *p.  0 when none. */
static int
month_at(const char **p)
{
	int m;

	for (m = 0; m < 12; m++) {
		size_t full = strlen(month_names[m]);

		if (strncasecmp(*p, month_names[m], full) == 0 &&
		    !isalpha((unsigned char)(*p)[full])) {
			*p += full;
			return m + 1;
		}
		if (strncasecmp(*p, month_names[m], 3) == 0 &&
		    !isalpha((unsigned char)(*p)[3])) {
			*p += 3;
			if (**p == '.')
				(*p)++;
			return m + 1;
		}
		/* "Sept", the one four-letter abbreviation in use. */
		if (m == 8 && strncasecmp(*p, "sept", 4) == 0 &&
		    !isalpha((unsigned char)(*p)[4])) {
			*p += 4;
			if (**p == '.')
				(*p)++;
			return m + 1;
		}
	}
	return 0;
}

/* A run of 1..maxd digits at *p; advances *p.  -1 when none. */
static int
digits_at(const char **p, int maxd)
{
	int v = 0, n = 0;

	while (isdigit((unsigned char)**p) && n < maxd) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n == 0 || isdigit((unsigned char)**p))
		return -1;
	return v;
}

static void
skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/* Year first: 2024-04-01, 2024/4/1, 2024.4.1, 2024年4月1日. */
static int
date_ymd(const char *s, int *y, int *m, int *d)
{
	const char *p = s;
	char sep;

	if ((*y = digits_at(&p, 4)) < 1000)
		return -1;
	skip_spaces(&p);
	if (starts_with(p, "年")) {
		p += strlen("年");
		skip_spaces(&p);
		if ((*m = digits_at(&p, 2)) < 0)
			return -1;
		skip_spaces(&p);
		if (!starts_with(p, "月"))
			return -1;
		p += strlen("月");
		skip_spaces(&p);
		if ((*d = digits_at(&p, 2)) < 0)
			return -1;
		skip_spaces(&p);
		if (starts_with(p, "日"))
			p += strlen("日");
		skip_spaces(&p);
		return *p == '\0' ? 0 : -1;
	}
	sep = *p;
	if (sep != '-' && sep != '/' && sep != '.')
		return -1;
	p++;
	if ((*m = digits_at(&p, 2)) < 0 || *p++ != sep)
		return -1;
	if ((*d = digits_at(&p, 2)) < 0)
		return -1;
	return *p == '\0' ? 0 : -1;
}

/* Month name: "April 1, 2024", "Apr. 1 2024", "1 April 2024". */
static int
date_named(const char *s, int *y, int *m, int *d)
{
	const char *p = s;

	if ((*m = month_at(&p)) > 0) {
		skip_spaces(&p);
		if ((*d = digits_at(&p, 2)) < 0)
			return -1;
		if (*p == ',')
			p++;
		skip_spaces(&p);
		if ((*y = digits_at(&p, 4)) < 1000)
			return -1;
		return *p == '\0' ? 0 : -1;
	}
	if ((*d = digits_at(&p, 2)) < 0)
		return -1;
	skip_spaces(&p);
	if ((*m = month_at(&p)) == 0)
		return -1;
	if (*p == ',')
		p++;
	skip_spaces(&p);
	if ((*y = digits_at(&p, 4)) < 1000)
		return -1;
	return *p == '\0' ? 0 : -1;
}

/* Numeric day and month before the year: 4/1/2024 (or 1/4/2024 dmy). */
static int
date_numeric(const char *s, int dmy, int *y, int *m, int *d)
{
	const char *p = s;
	int a, b;
	char sep;

	if ((a = digits_at(&p, 2)) < 0)
		return -1;
	sep = *p;
	if (sep != '/' && sep != '-' && sep != '.')
		return -1;
	p++;
	if ((b = digits_at(&p, 2)) < 0 || *p++ != sep)
		return -1;
	if ((*y = digits_at(&p, 4)) < 1000 || *p != '\0')
		return -1;
	*m = dmy ? b : a;
	*d = dmy ? a : b;
	return 0;
}

static int
gregorian(const struct norm_spec *spec, const char *s, int *y, int *m,
    int *d)
{
	if (date_ymd(s, y, m, d) == 0 || date_named(s, y, m, d) == 0 ||
	    date_numeric(s, spec->dmy, y, m, d) == 0)
		return date_valid(*y, *m, *d) ? 0 : -1;
	return -1;
}

/* A stray comma or full stop around a date carries no meaning. */
static void
trim_punct(char *s)
{
	size_t n = strlen(s), lead = strspn(s, ",.;: ");

	while (n > lead && strchr(",.;: ", s[n - 1]) != NULL)
		s[--n] = '\0';
	memmove(s, s + lead, n - lead + 1);
}

static json_t *
iso_date(int y, int m, int d)
{
	char out[16];

	snprintf(out, sizeof out, "%04d-%02d-%02d", y, m, d);
	return json_string(out);
}

static int
norm_date(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 1);
	int y, m, d, rc;

	(void)flags;
	trim_punct(s);
	rc = gregorian(spec, s, &y, &m, &d);
	if (rc == 0)
		*value = iso_date(y, m, d);
	else
		snprintf(err, errlen, "not a date: %s", s);
	free(s);
	return rc;
}

static int
norm_era_date(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 1);
	char why[128];
	int y, m, d;

	(void)flags;
	/* Japanese dates have no spaces; OCR puts some between the wide
	 * digits. */
	strip_spaces(s);
	trim_punct(s);
	if (era_parse_err(s, &y, &m, &d, why, sizeof why) == 0 ||
	    gregorian(spec, s, &y, &m, &d) == 0) {
		*value = iso_date(y, m, d);
		free(s);
		return 0;
	}
	snprintf(err, errlen, "not an era date: %s (%s)", s, why);
	free(s);
	return -1;
}

/* ---- phone and postal codes ---- */

/*
 * Whether a phone number (digit groups joined by '-') has as many digits
 * as its plan gives: international (+) 9 to 15; Japanese (a leading 0)
 * 10, or 11 for mobiles, IP phones and 0800 (070 080 090 050 020 0800);
 * North American 10, or 11 after a 1.  A digit lost or doubled by OCR
 * makes another count.
 */
static int
phone_digits_ok(const char *groups, int ndigits)
{
	char d[32];
	size_t n = 0;
	const char *p;

	if (groups[0] == '+')
		return ndigits >= 9 && ndigits <= 15;
	for (p = groups; *p != '\0' && n + 1 < sizeof d; p++)
		if (isdigit((unsigned char)*p))
			d[n++] = *p;
	d[n] = '\0';
	if (d[0] == '0') {
		if (strncmp(d, "0800", 4) == 0 || (d[2] == '0' &&
		    strchr("25789", d[1]) != NULL && d[1] != '\0'))
			return ndigits == 11;
		return ndigits == 10;
	}
	if (d[0] == '1')
		return ndigits == 11;
	return ndigits == 10;
}

static int
norm_phone(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 1), out[64];
	const char *p = s;
	size_t o = 0;
	int ndigits = 0, in_group = 0, spaced = 0, dashed = 0, only_space = 1;

	(void)spec;
	(void)flags;
	if (*p == '+')
		out[o++] = *p++;
	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p)) {
			if (o + 2 >= sizeof out)
				break;
			/* How the group before was set apart from this one. */
			if (o > 0 && out[o - 1] == '-')
				*(only_space ? &spaced : &dashed) += 1;
			only_space = 1;
			out[o++] = *p;
			ndigits++;
			in_group = 1;
		} else if (strchr("-() .", *p) != NULL) {
			if (*p != ' ')
				only_space = 0;
			if (in_group) {
				out[o++] = '-';
				in_group = 0;
			}
		} else {
			snprintf(err, errlen, "not a phone number: %s", s);
			free(s);
			return -1;
		}
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	out[o] = '\0';
	/* A number is printed with one kind of separator: a bare space among
	 * hyphens or points is where OCR split a group ("06-21 16-7158"). */
	if (spaced > 0 && dashed > 0) {
		snprintf(err, errlen, "not a phone number (a space among its "
		    "hyphens): %s", s);
		free(s);
		return -1;
	}
	if (!phone_digits_ok(out, ndigits)) {
		snprintf(err, errlen, "not a phone number (%d digits): %s",
		    ndigits, s);
		free(s);
		return -1;
	}
	*value = json_string(out);
	free(s);
	return 0;
}

/*
 * Remove the postal mark before the digits, and what OCR makes of it: T, 干,
 * 丁, ⊤ or a stray mark.  Digits are never removed, so a cut-off digit still
 * leaves too few of them.
 */
static void
strip_postal_mark(char *s)
{
	static const char *const marks[] = {
		"〒", "〶", "干", "丁", "⊤", "T", "t", "*", ":", ".", "'", "|",
	};
	size_t i;
	int changed = 1;

	while (changed) {
		changed = 0;
		for (i = 0; i < sizeof marks / sizeof marks[0]; i++)
			if (starts_with(s, marks[i])) {
				memmove(s, s + strlen(marks[i]),
				    strlen(s) - strlen(marks[i]) + 1);
				changed = 1;
			}
	}
}

static int
norm_postal(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 1), digits[16], out[16];
	const char *p;
	size_t nd = 0;
	int seps = 0;

	(void)flags;
	strip_spaces(s);
	strip_postal_mark(s);
	for (p = s; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p) && nd + 1 < sizeof digits)
			digits[nd++] = *p;
		else if (*p == '-' && nd > 0 && seps == 0)
			seps++;
		else
			break;
	}
	digits[nd] = '\0';
	if (*p == '\0' && nd == 7 && (seps == 0 || s[3] == '-')) {
		snprintf(out, sizeof out, "%.3s-%.4s", digits, digits + 3);
		*value = json_string(out);
	} else if (*p == '\0' && nd == 5 && seps == 0) {
		*value = json_string(digits);
	} else if (*p == '\0' && nd == 9 && (seps == 0 || s[5] == '-')) {
		snprintf(out, sizeof out, "%.5s-%.4s", digits, digits + 5);
		*value = json_string(out);
	} else if (spec->has_re) {
		/* Another country's format: the pattern decides. */
		*value = json_string(s);
	} else {
		snprintf(err, errlen, "not a postal code: %s", s);
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

/* ---- codes ---- */

static int
norm_code(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 0);
	size_t i, best = 0;
	int bestd = 99, ties = 0;

	if (spec->nlist == 0) {
		if (spec->check != CHECKDIGIT_NONE) {
			char digits[64];
			size_t n = 0;
			const char *p;

			/* The digits of the code check; marks between them
			 * (1234-5678-9) are the printer's. */
			for (p = s; *p != '\0' && n + 1 < sizeof digits; p++)
				if (isdigit((unsigned char)*p))
					digits[n++] = *p;
			if (!checkdigit_ok(spec->check, digits, n)) {
				snprintf(err, errlen, "%s does not check (%s)",
				    s, checkdigit_name(spec->check));
				free(s);
				return -1;
			}
			if (checkdigit_telling(spec->check, digits, n))
				*flags |= NORM_CHECKED;
		}
		*value = json_string(s);
		free(s);
		return 0;
	}
	for (i = 0; i < spec->nlist; i++) {
		int d = norm_distance(s, spec->list[i], 2);

		if (d < bestd) {
			bestd = d;
			best = i;
			ties = 0;
		} else if (d == bestd)
			ties++;
	}
	/*
	 * One wrong character in a code of three or more is taken as a
	 * misread of the only code that close; the flag lets the caller
	 * lower its confidence.
	 */
	if (bestd == 0 || (bestd == 1 && ties == 0 &&
	    norm_distance(spec->list[best], "", 3) >= 3)) {
		if (bestd == 1)
			*flags |= NORM_FUZZY;
		else
			*flags |= NORM_LISTED;
		*value = json_string(spec->list[best]);
		free(s);
		return 0;
	}
	snprintf(err, errlen, "not one of the listed codes: %s", s);
	free(s);
	return -1;
}

/* ---- Japanese business numbers ---- */

/*
 * The digits of s, in order, if s holds only digits and the separators a
 * printer puts between groups (hyphens, spaces, dots); -1 otherwise, or
 * when there are more than max.
 */
static int
digits_only(const char *s, char *out, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s)) {
			if (n == max)
				return -1;
			out[n++] = *s;
		} else if (strchr("- .", *s) == NULL)
			return -1;
	}
	out[n] = '\0';
	return (int)n;
}

static int
norm_registration(const struct norm_spec *spec, const char *raw,
    json_t **value, unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 1), *p, d[16];
	int n;

	(void)spec;
	p = s;
	/* "登録番号：T1234..." when the label is read into the zone. */
	if (starts_with(p, "登録番号"))
		p += strlen("登録番号");
	while (*p == ':' || *p == ' ')
		p++;
	if (*p != 'T') {
		snprintf(err, errlen, "not a registration number (T and 13 "
		    "digits): %s", s);
		free(s);
		return -1;
	}
	n = digits_only(p + 1, d, 13);
	if (n != 13) {
		snprintf(err, errlen, "not a registration number (T and 13 "
		    "digits): %s", s);
		free(s);
		return -1;
	}
	if (!checkdigit_ok(CHECKDIGIT_JP_CORPORATE, d, 13)) {
		snprintf(err, errlen, "registration number T%s fails its "
		    "check digit", d);
		free(s);
		return -1;
	}
	if (checkdigit_telling(CHECKDIGIT_JP_CORPORATE, d, 13))
		*flags |= NORM_CHECKED;
	*value = json_sprintf("T%s", d);
	free(s);
	return 0;
}

/* Kinds that are a fixed number of digits: length and check. */
static const struct {
	enum norm_kind		 kind;
	int			 len;	/* 0: the pattern decides */
	enum checkdigit_kind	 check;
	const char		*what;
} digit_kinds[] = {
	{ NORM_CORPORATE_NO, 13, CHECKDIGIT_JP_CORPORATE,
	    "a corporate number (13 digits)" },
	{ NORM_BANK_CODE, 4, CHECKDIGIT_NONE, "a bank code (4 digits)" },
	{ NORM_BRANCH_CODE, 3, CHECKDIGIT_NONE, "a branch code (3 digits)" },
	{ NORM_ACCOUNT_NO, 7, CHECKDIGIT_NONE,
	    "an account number (7 digits)" },
};

static int
norm_digits_kind(const struct norm_spec *spec, const char *raw,
    json_t **value, unsigned *flags, char *err, size_t errlen)
{
	char *s = clean(raw, 1), d[64];
	size_t i;
	int n, len;
	enum checkdigit_kind check;

	for (i = 0; digit_kinds[i].kind != spec->kind; i++)
		;
	len = digit_kinds[i].len;
	check = digit_kinds[i].check != CHECKDIGIT_NONE ?
	    digit_kinds[i].check : spec->check;
	/* An account number may be of another length where the pattern
	 * says so (ゆうちょ: 8 digits). */
	if (spec->kind == NORM_ACCOUNT_NO && spec->has_re)
		len = 0;
	n = digits_only(s, d, sizeof d - 1);
	if (n < 1 || (len > 0 && n != len)) {
		snprintf(err, errlen, "not %s: %s", digit_kinds[i].what, s);
		free(s);
		return -1;
	}
	if (check != CHECKDIGIT_NONE) {
		if (!checkdigit_ok(check, d, (size_t)n)) {
			snprintf(err, errlen, "%s fails its check digit (%s)",
			    d, checkdigit_name(check));
			free(s);
			return -1;
		}
		if (checkdigit_telling(check, d, (size_t)n))
			*flags |= NORM_CHECKED;
	}
	*value = json_string(d);
	free(s);
	return 0;
}

char *
norm_digit_run(const char *raw)
{
	char *s = clean(raw, 1), *p, *end;

	strip_spaces(s);
	/* Marks at either end go, letters do not: they are not slivers. */
	for (end = s + strlen(s); end > s && !isalnum((unsigned char)end[-1]) &&
	    (unsigned char)end[-1] < 0x80;)
		*--end = '\0';
	for (p = s; *p != '\0' && !isalnum((unsigned char)*p) &&
	    (unsigned char)*p < 0x80; p++)
		;
	memmove(s, p, strlen(p) + 1);
	if (*s == '\0' || strspn(s, "0123456789-") != strlen(s)) {
		free(s);
		return NULL;
	}
	return s;
}

/* ---- the common checks ---- */

/* Whether code point c is in a whitelist of characters and ranges "a-z". */
static int
in_whitelist(const char *wl, uint32_t c)
{
	while (*wl != '\0') {
		uint32_t lo, hi;

		wl += next_cp(wl, &lo);
		hi = lo;
		if (wl[0] == '-' && wl[1] != '\0') {
			wl++;
			wl += next_cp(wl, &hi);
		}
		if (c >= lo && c <= hi)
			return 1;
	}
	return 0;
}

static int
whitelist_ok(const char *whitelist, const char *s)
{
	while (*s != '\0') {
		uint32_t c;

		s += next_cp(s, &c);
		if (!in_whitelist(whitelist, c))
			return 0;
	}
	return 1;
}

/* Characters OCR takes for one another in codes. */
static const struct {
	char		 c;
	const char	*alts;
} confusions[] = {
	{ 'l', "I1" }, { 'I', "1l" }, { '1', "Il" }, { '|', "I1" },
	{ '0', "O" }, { 'O', "0" }, { 'o', "0O" }, { '5', "S" }, { 'S', "5" },
	{ '8', "B" }, { 'B', "8" }, { '2', "Z" }, { 'Z', "2" }, { '6', "G" },
	{ 'G', "6" },
};

#define REPAIR_MAX	6	/* ambiguous characters tried at most */

/*
 * A code that misses its pattern only because OCR mistook I for l or O for
 * 0: try the look-alikes of up to REPAIR_MAX characters, and take the
 * result when exactly one spelling matches.  NULL when none or several do.
 */
static char *
pattern_repair(const struct norm_spec *spec, const char *text)
{
	size_t pos[REPAIR_MAX], npos = 0, len = strlen(text), i, k;
	const char *alts[REPAIR_MAX];
	char *try, *found = NULL;
	long combos = 1, c;
	int matches = 0;

	for (i = 0; i < len; i++)
		for (k = 0; k < sizeof confusions / sizeof confusions[0]; k++)
			if (text[i] == confusions[k].c) {
				if (npos == REPAIR_MAX)
					return NULL;
				pos[npos] = i;
				alts[npos++] = confusions[k].alts;
				combos *= 1 + (long)strlen(confusions[k].alts);
			}
	if (npos == 0)
		return NULL;
	try = xstrdup(text);
	for (c = 1; c < combos; c++) {
		long rest = c;

		for (i = 0; i < npos; i++) {
			long m = 1 + (long)strlen(alts[i]), pick = rest % m;

			rest /= m;
			try[pos[i]] = pick == 0 ? text[pos[i]] :
			    alts[i][pick - 1];
		}
		if (regexec(&spec->re, try, 0, NULL, 0) != 0)
			continue;
		if (found == NULL) {
			found = xstrdup(try);
			matches = 1;
		} else if (strcmp(found, try) != 0)
			matches++;
	}
	free(try);
	if (matches != 1) {
		free(found);
		return NULL;
	}
	return found;
}

char *
norm_value_text(const json_t *v)
{
	char buf[64], *p;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	case JSON_REAL:
		snprintf(buf, sizeof buf, "%.6f", json_real_value(v));
		p = buf + strlen(buf) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
		return xstrdup(buf);
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	default:
		return xstrdup("");
	}
}

int
norm_apply(const struct norm_spec *spec, const char *raw, json_t **value,
    unsigned *flags, char *err, size_t errlen)
{
	char *s, *text;
	size_t i;
	int empty;

	*value = NULL;
	*flags = 0;
	s = clean(raw != NULL ? raw : "", 0);
	empty = *s == '\0';
	free(s);
	if (empty) {
		snprintf(err, errlen, "empty");
		return -1;
	}
	for (i = 0; i < NKINDS; i++)
		if (kinds[i].kind == spec->kind)
			break;
	if (i == NKINDS || kinds[i].fn == NULL) {
		snprintf(err, errlen, "kind %s is not read from text",
		    norm_kind_name(spec->kind));
		return -1;
	}
	if (kinds[i].fn(spec, raw, value, flags, err, errlen) != 0) {
		json_decref(*value);
		*value = NULL;
		return -1;
	}
	text = norm_value_text(*value);
	if (spec->whitelist != NULL && !whitelist_ok(spec->whitelist, text)) {
		snprintf(err, errlen, "characters outside the whitelist: %s",
		    text);
		goto fail;
	}
	if (spec->has_re && regexec(&spec->re, text, 0, NULL, 0) != 0) {
		char *fixed = spec->kind == NORM_CODE ?
		    pattern_repair(spec, text) : NULL;

		if (fixed == NULL) {
			snprintf(err, errlen, "does not match the pattern "
			    "%s: %s", spec->pattern, text);
			goto fail;
		}
		json_decref(*value);
		*value = json_string(fixed);
		*flags |= NORM_FUZZY;
		free(fixed);
	}
	free(text);
	return 0;
fail:
	free(text);
	json_decref(*value);
	*value = NULL;
	return -1;
}

/* Decode UTF-8 into code points; returns the count. */
static size_t
decode_all(const char *s, uint32_t **out)
{
	size_t n = 0, len = strlen(s);

	*out = xcalloc(len + 1, sizeof **out);
	while (*s != '\0') {
		uint32_t c;

		s += next_cp(s, &c);
		(*out)[n++] = c;
	}
	return n;
}

int
norm_distance(const char *a, const char *b, int max)
{
	uint32_t *x, *y;
	size_t n = decode_all(a, &x), m = decode_all(b, &y), i, j;
	int *prev, *cur, result;

	if ((n > m ? n - m : m - n) > (size_t)max) {
		free(x);
		free(y);
		return max + 1;
	}
	prev = xcalloc(m + 1, sizeof *prev);
	cur = xcalloc(m + 1, sizeof *cur);
	for (j = 0; j <= m; j++)
		prev[j] = (int)j;
	for (i = 1; i <= n; i++) {
		int rowmin;

		cur[0] = (int)i;
		rowmin = cur[0];
		for (j = 1; j <= m; j++) {
			int del = prev[j] + 1, ins = cur[j - 1] + 1;
			int sub = prev[j - 1] + (x[i - 1] != y[j - 1]);

			cur[j] = del < ins ? del : ins;
			if (sub < cur[j])
				cur[j] = sub;
			if (cur[j] < rowmin)
				rowmin = cur[j];
		}
		memcpy(prev, cur, (m + 1) * sizeof *prev);
		if (rowmin > max)
			break;
	}
	result = i <= n ? max + 1 : prev[m];
	if (result > max)
		result = max + 1;
	free(prev);
	free(cur);
	free(x);
	free(y);
	return result;
}
