/*
 * era.c - Japanese era dates both ways, and Gregorian day arithmetic.
 *
 * Parsing first narrows the text with width_to_half(), so full-width
 * digits, letters, separators and spaces need no rules of their own; what
 * remains is ASCII plus the kanji of era names and numerals.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "era.h"
#include "kanjinum.h"
#include "textutil.h"
#include "width.h"

struct era {
	const char	*name;		/* 令和 */
	const char	*ligature;	/* ㋿, the one-character form */
	char		 letter;	/* R */
	int		 y, m, d;	/* first day */
};

/* In order of time; an era ends the day before the next one begins. */
static const struct era eras[] = {
	{ "明治", "㍾", 'M', 1868, 10, 23 },
	{ "大正", "㍽", 'T', 1912, 7, 30 },
	{ "昭和", "㍼", 'S', 1926, 12, 25 },
	{ "平成", "㍻", 'H', 1989, 1, 8 },
	{ "令和", "㋿", 'R', 2019, 5, 1 },
};
#define NERAS	(sizeof(eras) / sizeof(eras[0]))

struct kanji_digit {
	const char	*s;
	int		 value;
};

/* Kanji digits, for writing dates (reading is kanjinum's). */
static const struct kanji_digit kanji_digits[] = {
	{ "〇", 0 }, { "一", 1 }, { "二", 2 }, { "三", 3 }, { "四", 4 },
	{ "五", 5 }, { "六", 6 }, { "七", 7 }, { "八", 8 }, { "九", 9 },
};

int
date_valid(int y, int m, int d)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int leap, max;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	max = mdays[m - 1] + (m == 2 && leap);
	return d <= max;
}

/* Howard Hinnant's days_from_civil. */
long
date_to_days(int y, int m, int d)
{
	long yy = y - (m <= 2), era, yoe, doy, doe;

	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = yy - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Howard Hinnant's civil_from_days. */
void
date_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp, mm;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	mm = mp < 10 ? mp + 3 : mp - 9;
	*m = (int)mm;
	*y = (int)(yoe + era * 400 + (mm <= 2));
}

int
date_weekday(int y, int m, int d)
{
	long w = (date_to_days(y, m, d) + 4) % 7;	/* 1970-01-01: Thu */

	return (int)(w < 0 ? w + 7 : w);
}

/* Read exactly n ASCII digits. */
static int
fixed_digits(const char **pp, int n, int *out)
{
	const char *p = *pp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

int
date_parse_iso(const char *s, int *y, int *m, int *d)
{
	if (fixed_digits(&s, 4, y) != 0 || *s++ != '-' ||
	    fixed_digits(&s, 2, m) != 0 || *s++ != '-' ||
	    fixed_digits(&s, 2, d) != 0 || *s != '\0')
		return -1;
	return date_valid(*y, *m, *d) ? 0 : -1;
}

/* The era a valid date belongs to, or NULL before 明治. */
static const struct era *
era_of(int y, int m, int d)
{
	long days = date_to_days(y, m, d);
	size_t i;

	for (i = NERAS; i-- > 0; )
		if (days >= date_to_days(eras[i].y, eras[i].m, eras[i].d))
			return &eras[i];
	return NULL;
}

/* Append n (1..9999) in kanji numerals: 十, 二十九, 百一, 二千十九. */
static size_t
kanji_number(int n, char *out, size_t outlen)
{
	static const int units[] = { 1000, 100, 10 };
	static const char *unit_s[] = { "千", "百", "十" };
	char tmp[64];
	size_t len = 0, i;
	int q;

	tmp[0] = '\0';
	for (i = 0; i < 3; i++) {
		q = n / units[i];
		n %= units[i];
		if (q == 0)
			continue;
		if (q > 1)
			len += (size_t)snprintf(tmp + len, sizeof(tmp) - len,
			    "%s", kanji_digits[q].s);
		len += (size_t)snprintf(tmp + len, sizeof(tmp) - len, "%s",
		    unit_s[i]);
	}
	if (n > 0 || len == 0)
		len += (size_t)snprintf(tmp + len, sizeof(tmp) - len, "%s",
		    kanji_digits[n].s);
	return (size_t)snprintf(out, outlen, "%s", tmp);
}

/* One number of a long-form date, as digits or kanji. */
static void
long_number(int n, unsigned flags, char *out, size_t outlen)
{
	if (flags & ERA_KANJI)
		kanji_number(n, out, outlen);
	else
		snprintf(out, outlen, "%d", n);
}

int
era_format(int y, int m, int d, unsigned flags, char *out, size_t outlen)
{
	const struct era *e;
	char ys[32], ms[32], ds[32];
	int ey, n;

	if (outlen > 0)
		out[0] = '\0';
	if (!date_valid(y, m, d) || (e = era_of(y, m, d)) == NULL)
		return -1;
	ey = y - e->y + 1;
	if (flags & ERA_SHORT)
		n = snprintf(out, outlen, "%c%d.%d.%d", e->letter, ey, m, d);
	else {
		if (ey == 1 && (flags & ERA_GANNEN))
			snprintf(ys, sizeof(ys), "元");
		else
			long_number(ey, flags, ys, sizeof(ys));
		long_number(m, flags, ms, sizeof(ms));
		long_number(d, flags, ds, sizeof(ds));
		n = snprintf(out, outlen, "%s%s年%s月%s日", e->name, ys, ms,
		    ds);
	}
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

/* Parsing state: the narrowed text, the cursor, and the error buffer. */
struct parse {
	const char	*orig;		/* as given, for messages */
	const char	*p;
	char		*err;
	size_t		 errlen;
};


/* Write a message about the input into the error buffer; return -1.  The
 * quoted input is cut at a character boundary so the message stays valid
 * UTF-8. */
static int __attribute__((format(printf, 2, 3)))
fail(struct parse *ps, const char *fmt, ...)
{
	char subject[96], msg[160];
	int cut;
	va_list ap;

	if (ps->errlen == 0)
		return -1;
	cut = text_utf8_prefix(ps->orig, 20);
	snprintf(subject, sizeof(subject), "%.*s%s", cut, ps->orig,
	    ps->orig[cut] != '\0' ? "..." : "");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s: '%s'", msg, subject);
	text_utf8_trim_partial(ps->err);
	return -1;
}

static void
skip_spaces(struct parse *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

/* Consume the literal s if the text starts with it. */
static int
take(struct parse *ps, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(ps->p, s, n) != 0)
		return 0;
	ps->p += n;
	return 1;
}

static const struct era *
read_era(struct parse *ps)
{
	const char *q;
	size_t i;
	char c;

	for (i = 0; i < NERAS; i++)
		if (take(ps, eras[i].name) || take(ps, eras[i].ligature))
			return &eras[i];
	/* A letter counts only before a number: "tomorrow" is not 大正. */
	c = *ps->p;
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	q = ps->p + 1;
	while (*q == ' ' || *q == '\t')
		q++;
	if (!(*q >= '0' && *q <= '9') && strncmp(q, "元", 3) != 0)
		return NULL;
	for (i = 0; i < NERAS; i++)
		if (c == eras[i].letter) {
			ps->p++;
			return &eras[i];
		}
	return NULL;
}

/* A number in ASCII digits (the text is already narrowed) or kanji, or
 * 元 for 1 when gannen is allowed. */
static int
read_number(struct parse *ps, int gannen, int *out)
{
	long long v;
	long len;

	if (gannen && take(ps, "元")) {
		*out = 1;
		return 0;
	}
	if ((len = kanjinum_read(ps->p, &v)) <= 0 || v > 9999)
		return -1;
	ps->p += len;
	*out = (int)v;
	return 0;
}

static int
parse_narrow(struct parse *ps, int *y, int *m, int *d)
{
	const struct era *e, *next;
	int ey, kanji_style;
	char sep = 0;
	long days;

	skip_spaces(ps);
	if (*ps->p == '\0')
		return fail(ps, "empty date");
	if ((e = read_era(ps)) == NULL)
		return fail(ps, "expected an era (令和, 平成, 昭和, 大正, 明治 "
		    "or R, H, S, T, M) at the start");
	skip_spaces(ps);
	if (read_number(ps, 1, &ey) != 0)
		return fail(ps, "expected a year after %s", e->name);
	skip_spaces(ps);
	if (take(ps, "年"))
		kanji_style = 1;
	else if (*ps->p == '.' || *ps->p == '/' || *ps->p == '-') {
		kanji_style = 0;
		sep = *ps->p++;
	} else
		return fail(ps, "expected 年, '.', '/' or '-' after the year");
	skip_spaces(ps);
	if (read_number(ps, 0, m) != 0)
		return fail(ps, "expected a month after the year");
	skip_spaces(ps);
	if (kanji_style && !take(ps, "月"))
		return fail(ps, "expected 月 after the month");
	if (!kanji_style && *ps->p++ != sep)
		return fail(ps, "expected '%c' after the month", sep);
	skip_spaces(ps);
	if (read_number(ps, 0, d) != 0)
		return fail(ps, "expected a day after the month");
	skip_spaces(ps);
	if (kanji_style)
		take(ps, "日");
	skip_spaces(ps);
	if (*ps->p != '\0')
		return fail(ps, "unexpected text after the date");
	if (ey < 1)
		return fail(ps, "no year %d in an era", ey);
	*y = e->y + ey - 1;
	if (!date_valid(*y, *m, *d))
		return fail(ps, "no such date (%04d-%02d-%02d)", *y, *m, *d);
	days = date_to_days(*y, *m, *d);
	if (days < date_to_days(e->y, e->m, e->d))
		return fail(ps, "date before the start of %s (%04d-%02d-%02d)",
		    e->name, e->y, e->m, e->d);
	next = e + 1;
	if (next < eras + NERAS &&
	    days >= date_to_days(next->y, next->m, next->d)) {
		int ly, lm, ld;

		date_from_days(date_to_days(next->y, next->m, next->d) - 1,
		    &ly, &lm, &ld);
		return fail(ps, "date after the end of %s (%04d-%02d-%02d)",
		    e->name, ly, lm, ld);
	}
	return 0;
}

int
era_parse_err(const char *s, int *y, int *m, int *d, char *err,
    size_t errlen)
{
	struct parse ps;
	char *narrow;
	int r;

	if (errlen > 0)
		err[0] = '\0';
	narrow = width_to_half(s);
	ps.orig = s;
	ps.p = narrow;
	ps.err = err;
	ps.errlen = errlen;
	r = parse_narrow(&ps, y, m, d);
	free(narrow);
	return r;
}

int
era_parse(const char *s, int *y, int *m, int *d)
{
	return era_parse_err(s, y, m, d, NULL, 0);
}
