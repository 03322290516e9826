/*
 * expr_func_date.c - the date functions of the expression language:
 * reading ISO and era dates, formatting, arithmetic, 和暦.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "expr.h"
#include "expr_int.h"
#include "xmalloc.h"
#include "era.h"
#include "kanjinum.h"
#include "width.h"

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
 * with ".123", "Z" or "+09:00"; also 2024/4/1 and 2024.4.1. */
static int
parse_iso_datetime(const char *s, struct datetime *t)
{
	const char *p = s;
	char sep;
	int oh, om, frac;

	memset(t, 0, sizeof(*t));
	if (read_digits(&p, 4, 4, &t->y) != 0 || (*p != '-' && *p != '/' &&
	    *p != '.'))
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

/* A number of a date written with 年月日: digits or kanji numerals. */
static int
date_number(const char **pp, const char *unit, int *out)
{
	const char *p = *pp;
	long long v;
	long n;

	while (*p == ' ')
		p++;
	if ((n = kanjinum_read(p, &v)) <= 0 || v > 9999)
		return -1;
	p += n;
	while (*p == ' ')
		p++;
	if (*unit != '\0' && strncmp(p, unit, strlen(unit)) != 0)
		return -1;
	*pp = p + strlen(unit);
	*out = (int)v;
	return 0;
}

/* "2024年12月31日", "二〇二四年十二月三十一日" (日 may be left out). */
static int
parse_nen_date(const char *s, struct datetime *t)
{
	const char *p = s;

	memset(t, 0, sizeof(*t));
	if (date_number(&p, "年", &t->y) != 0 ||
	    date_number(&p, "月", &t->m) != 0)
		return -1;
	/* 日 may be left out: "2024年4月1". */
	if (date_number(&p, "日", &t->d) != 0 &&
	    date_number(&p, "", &t->d) != 0)
		return -1;
	while (*p == ' ')
		p++;
	if (*p != '\0' || !date_valid(t->y, t->m, t->d))
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
	int r, numeric;

	r = parse_iso_datetime(narrow, t);
	numeric = isdigit((unsigned char)narrow[0]) || kanjinum_at(narrow);
	if (r != 0 && numeric)
		r = parse_nen_date(narrow, t);
	if (r != 0 && !numeric) {
		memset(t, 0, sizeof(*t));
		r = era_parse_err(s, &t->y, &t->m, &t->d, why, sizeof(why));
		if (r != 0)
			expr_seterr(err, offset, "%s(): %s", fname, why);
	} else if (r != 0)
		expr_seterr(err, offset, "%s(): '%s' is not a date (expected "
		    "YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日, an ISO date-time or "
		    "an era date)", fname,
		    expr_quote(s, strlen(s), q, sizeof(q)));
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
				expr_seterr(err, offset, "date(): %%E needs a "
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
			expr_seterr(err, offset, "date(): the format ends "
			    "with a lone '%%'");
			return -1;
		default:
			expr_seterr(err, offset, "date(): unknown format '%%%c'",
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
		return fctx_fail(c, "cannot read the local time");
	return expr_mkstr_owned(iso_text(&t));
}

static json_t *
fn_today(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;

	(void)argv;
	(void)argc;
	if (local_now(&t) != 0)
		return fctx_fail(c, "cannot read the local time");
	t.has_time = 0;
	return expr_mkstr_owned(iso_text(&t));
}

/* A date argument as a datetime; -1 with an error set. */
static int
arg_date(struct fctx *c, json_t **argv, int i, struct datetime *t)
{
	const char *s = fctx_arg_text(c, argv, i, NULL);

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
	    (argc > 1 && (fmt = fctx_arg_text(c, argv, 1, NULL)) == NULL))
		return NULL;
	buf_init(&b, 64 * 1024);
	if (format_date(&t, fmt, &b, c->err, c->offset) != 0) {
		buf_free(&b);
		return NULL;
	}
	return expr_mkstr_owned(buf_detach(&b, NULL));
}

/* The number of days of month m of year y. */
static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && date_valid(y, 2, 29))
		return 29;
	return days[m - 1];
}

/* An optional whole-number argument: 0 when absent or null. */
static int
opt_int(struct fctx *c, json_t **argv, int argc, int i, long long *out)
{
	*out = 0;
	if (i >= argc || json_is_null(argv[i]))
		return 0;
	return fctx_arg_int(c, argv, i, out);
}

/*
 * date_add(d, days[, months: m][, years: y]): months and years first, the
 * day kept but cut to the month's last (1/31 + 1 month is 2/29 in a leap
 * year), then days.
 */
static json_t *
fn_date_add(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;
	long long days, months, years, m;
	long z;

	if (arg_date(c, argv, 0, &t) != 0 || opt_int(c, argv, argc, 1,
	    &days) != 0 || opt_int(c, argv, argc, 2, &months) != 0 ||
	    opt_int(c, argv, argc, 3, &years) != 0)
		return NULL;
	if (days > 3650000 || days < -3650000)
		return fctx_fail(c, "%lld days is too far", days);
	if (months > 120000 || months < -120000 || years > 10000 ||
	    years < -10000)
		return fctx_fail(c, "the result is outside years 1 to 9999");
	m = (long long)t.y * 12 + (t.m - 1) + months + years * 12;
	if (m < 12 || m >= 10000 * 12)
		return fctx_fail(c, "the result is outside years 1 to 9999");
	t.y = (int)(m / 12);
	t.m = (int)(m % 12) + 1;
	if (t.d > month_days(t.y, t.m))
		t.d = month_days(t.y, t.m);
	z = date_to_days(t.y, t.m, t.d) + (long)days;
	date_from_days(z, &t.y, &t.m, &t.d);
	if (!date_valid(t.y, t.m, t.d))
		return fctx_fail(c, "the result is outside years 1 to 9999");
	return expr_mkstr_owned(iso_text(&t));
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
		if ((style = fctx_arg_text(c, argv, 1, NULL)) == NULL)
			return NULL;
		for (i = 0; i < sizeof(era_styles) / sizeof(era_styles[0]); i++)
			if (strcmp(style, era_styles[i].name) == 0)
				break;
		if (i == sizeof(era_styles) / sizeof(era_styles[0]))
			return fctx_fail(c, "unknown style '%s' (use 'long', "
			    "'kanji', 'short' or 'digits')", style);
		flags = era_styles[i].flags;
	}
	if (era_format(t.y, t.m, t.d, flags, out, sizeof(out)) != 0)
		return fctx_fail(c, "%04d-%02d-%02d is before 明治 (1868-10-23)",
		    t.y, t.m, t.d);
	return expr_mkstr(out, strlen(out));
}

static json_t *
fn_from_era(struct fctx *c, json_t **argv, int argc)
{
	struct datetime t;
	const char *s;
	char why[192];

	(void)argc;
	if ((s = fctx_arg_text(c, argv, 0, NULL)) == NULL)
		return NULL;
	memset(&t, 0, sizeof(t));
	if (era_parse_err(s, &t.y, &t.m, &t.d, why, sizeof(why)) != 0)
		return fctx_fail(c, "%s", why);
	return expr_mkstr_owned(iso_text(&t));
}


static const char *const date_add_names[] = { "date", "days", "months",
    "years", NULL };

const struct func expr_date_funcs[] = {
	{ "now", 0, 0, fn_now,
	    "the local time, ISO 8601 with offset: 2024-04-01T09:30:00+09:00",
	    NULL },
	{ "today", 0, 0, fn_today, "the local date: 2024-04-01", NULL },
	{ "date", 1, 2, fn_date,
	    "date(d[, fmt]): a date formatted by fmt (default %Y-%m-%d)",
	    NULL },
	{ "date_add", 2, 4, fn_date_add,
	    "date_add(d, days[, months: m, years: y]): the date that much "
	    "later (earlier if negative); 1/31 + 1 month is the month's end",
	    NULL, date_add_names },
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
	{ NULL, 0, 0, NULL, NULL, NULL },
};
