/*
 * cron.c - cron expressions, time zones from TZif files, next fire times.
 *
 * Three parts.  The parser turns five fields into bit sets.  The zone
 * reader loads a TZif file (RFC 8536) into a table of transitions plus
 * the POSIX TZ rule from its footer, which gives the transitions after the
 * table ends; it answers "which offset is in force at instant t, and when
 * does it next change".  The search walks the zone's segments of constant
 * offset forward from "after" and, in each, looks for the next matching
 * local wall-clock time; see cron.h for the daylight-saving rules it
 * implements.
 *
 * Wall-clock times are handled as int64_t seconds counted as if the local
 * date and time were UTC ("wall seconds"), so that date arithmetic is the
 * plain day-number arithmetic of calendar.h.  Instants are int64_t seconds
 * since the epoch; INT64_MAX means "never".
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cron.h"
#include "xmalloc.h"

#define DAY		86400
#define NEVER		INT64_MAX
/* No zone is further from UTC than this (RFC 8536 allows -25h to +26h). */
#define MAX_OFFSET	(26L * 3600)
#define MAX_EXPR	1024			/* characters */
#define MAX_ZONE_FILE	(1024 * 1024)		/* bytes */
#define MAX_ZONE_NAME	255
/* Instants beyond about +-35,000 years are refused outright. */
#define MAX_INSTANT	((int64_t)1 << 40)

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Division rounding towards minus infinity. */
static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* ---- Expressions ---- */

struct cron {
	char		*expr;
	uint64_t	 minutes;	/* bits 0-59 */
	uint64_t	 hours;		/* bits 0-23 */
	uint64_t	 mdays;		/* bits 1-31 */
	uint64_t	 months;	/* bits 1-12 */
	uint64_t	 wdays;		/* bits 0-6, 0 = Sunday */
	int		 dom_star;	/* day-of-month starts with '*' */
	int		 dow_star;	/* day-of-week starts with '*' */
	int		 interval;	/* minute or hour starts with '*' */
};

enum { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY, NFIELDS };

static const char *const month_names[] = { "JAN", "FEB", "MAR", "APR",
    "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL };
static const char *const wday_names[] = { "SUN", "MON", "TUE", "WED",
    "THU", "FRI", "SAT", NULL };

static const struct field {
	const char		*name;
	int			 lo, hi;	/* values accepted */
	int			 star_hi;	/* what '*' and N/S run up to */
	const char *const	*names;		/* names[i] means name_base + i */
	int			 name_base;
	const char		*names_help;
} fields[NFIELDS] = {
	{ "minute",       0, 59, 59, NULL,        0, NULL },
	{ "hour",         0, 23, 23, NULL,        0, NULL },
	{ "day-of-month", 1, 31, 31, NULL,        0, NULL },
	{ "month",        1, 12, 12, month_names, 1, "JAN-DEC" },
	{ "day-of-week",  0,  7,  6, wday_names,  0, "SUN-SAT" },
};

static const struct alias {
	const char	*name;
	const char	*expr;
} aliases[] = {
	{ "@yearly",   "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly",  "0 0 1 * *" },
	{ "@weekly",   "0 0 * * 0" },
	{ "@daily",    "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly",   "0 * * * *" },
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the list element starting at S (up to ',' or the end E). */
static size_t
element_len(const char *s, const char *e)
{
	const char *p = s;

	while (p < e && *p != ',')
		p++;
	return (size_t)(p - s);
}

/*
 * Parse a value of field F (a number or a three-letter name) at *SP,
 * which must end before E; advance *SP past it.
 */
static int
parse_value(const struct field *f, const char **sp, const char *e, int *out,
    char *err, size_t errlen)
{
	const char *s = *sp, *p = s;
	long v = 0;
	size_t i, n;

	if (p < e && isdigit((unsigned char)*p)) {
		while (p < e && isdigit((unsigned char)*p)) {
			if (v < 100000)
				v = v * 10 + (*p - '0');
			p++;
		}
		if (v < f->lo || v > f->hi) {
			seterr(err, errlen, "%s field: %.*s is out of range "
			    "%d-%d", f->name, (int)(p - s), s, f->lo, f->hi);
			return -1;
		}
		*out = (int)v;
		*sp = p;
		return 0;
	}
	while (p < e && isalpha((unsigned char)*p))
		p++;
	n = (size_t)(p - s);
	if (f->names != NULL && n == 3)
		for (i = 0; f->names[i] != NULL; i++)
			if (strncasecmp(s, f->names[i], 3) == 0) {
				*out = f->name_base + (int)i;
				*sp = p;
				return 0;
			}
	/* Quote the whole offending token, up to the next separator. */
	while (p < e && *p != '-' && *p != '/')
		p++;
	n = (size_t)(p - s);
	if (n == 0)
		seterr(err, errlen, "%s field: a value is missing", f->name);
	else if (f->names != NULL)
		seterr(err, errlen, "%s field: '%.*s' is not a number or a "
		    "name (%s)", f->name, (int)n, s, f->names_help);
	else
		seterr(err, errlen, "%s field: '%.*s' is not a number",
		    f->name, (int)n, s);
	return -1;
}

/* Parse one list element S..E ("*", "N", "N-M", any of them "/STEP"). */
static int
parse_element(const struct field *f, const char *s, const char *e,
    uint64_t *bits, char *err, size_t errlen)
{
	const char *p = s;
	int a, b, v;
	long step = 1;

	if (p == e) {
		seterr(err, errlen, "%s field: empty list element", f->name);
		return -1;
	}
	if (*p == '*') {
		a = f->lo;
		b = f->star_hi;
		p++;
	} else {
		if (parse_value(f, &p, e, &a, err, errlen) < 0)
			return -1;
		b = a;
		if (p < e && *p == '-') {
			p++;
			if (parse_value(f, &p, e, &b, err, errlen) < 0)
				return -1;
			if (b < a) {
				seterr(err, errlen, "%s field: range '%.*s' is "
				    "backwards", f->name, (int)(p - s), s);
				return -1;
			}
		} else if (p < e && *p == '/' && a < f->star_hi)
			b = f->star_hi;	/* "N/S" means from N to the end */
	}
	if (p < e && *p == '/') {
		const char *q = ++p;

		step = 0;
		while (p < e && isdigit((unsigned char)*p)) {
			if (step < 100000)
				step = step * 10 + (*p - '0');
			p++;
		}
		if (p == q) {
			seterr(err, errlen, "%s field: '/' must be followed by "
			    "a step number", f->name);
			return -1;
		}
		if (step < 1 || step > f->star_hi - f->lo) {
			seterr(err, errlen, "%s field: step %.*s is out of "
			    "range 1-%d", f->name, (int)(p - q), q,
			    f->star_hi - f->lo);
			return -1;
		}
	}
	if (p != e) {
		seterr(err, errlen, "%s field: unexpected '%c' in '%.*s'",
		    f->name, *p, (int)(e - s), s);
		return -1;
	}
	for (v = a; v <= b; v += (int)step)
		*bits |= (uint64_t)1 << (f == &fields[F_WDAY] && v == 7 ? 0 : v);
	return 0;
}

static int
parse_field(const struct field *f, const char *s, size_t len, uint64_t *bits,
    char *err, size_t errlen)
{
	const char *e = s + len;

	*bits = 0;
	for (;;) {
		size_t n = element_len(s, e);

		if (parse_element(f, s, s + n, bits, err, errlen) < 0)
			return -1;
		if (s + n == e)
			return 0;
		s += n + 1;
	}
}

/* Can some day of MDAYS exist in some month of MONTHS (leap years too)? */
static int
any_date_exists(uint64_t mdays, uint64_t months)
{
	int m, d;

	for (m = 1; m <= 12; m++)
		if (months & ((uint64_t)1 << m))
			for (d = 1; d <= calendar_month_days(2000, m); d++)
				if (mdays & ((uint64_t)1 << d))
					return 1;
	return 0;
}

/* Replace an @alias by its five fields; NULL (with ERR) if unknown. */
static const char *
expand_alias(const char *p, char *err, size_t errlen)
{
	size_t n = 0, i;

	while (p[n] != '\0' && !is_blank(p[n]))
		n++;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i].name) == n &&
		    strncasecmp(p, aliases[i].name, n) == 0)
			break;
	if (i == sizeof(aliases) / sizeof(aliases[0])) {
		seterr(err, errlen, "unknown alias '%.*s' (use @yearly, "
		    "@annually, @monthly, @weekly, @daily, @midnight or "
		    "@hourly)", (int)n, p);
		return NULL;
	}
	while (is_blank(p[n]))
		n++;
	if (p[n] != '\0') {
		seterr(err, errlen, "%s takes no fields, but '%s' follows it",
		    aliases[i].name, p + n);
		return NULL;
	}
	return aliases[i].expr;
}

struct cron *
cron_parse(const char *expr, char *err, size_t errlen)
{
	const char *tok[NFIELDS], *p;
	size_t toklen[NFIELDS];
	uint64_t bits[NFIELDS];
	struct cron *c;
	int n = 0, i;

	if (strlen(expr) > MAX_EXPR) {
		seterr(err, errlen, "expression is longer than %d characters",
		    MAX_EXPR);
		return NULL;
	}
	p = expr;
	while (is_blank(*p))
		p++;
	if (*p == '\0') {
		seterr(err, errlen, "empty expression");
		return NULL;
	}
	if (*p == '@' && (p = expand_alias(p, err, errlen)) == NULL)
		return NULL;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		if (n < NFIELDS)
			tok[n] = p;
		while (*p != '\0' && !is_blank(*p))
			p++;
		if (n < NFIELDS)
			toklen[n] = (size_t)(p - tok[n]);
		n++;
	}
	if (n != NFIELDS) {
		seterr(err, errlen, "expected 5 fields (minute hour "
		    "day-of-month month day-of-week), got %d", n);
		return NULL;
	}
	for (i = 0; i < NFIELDS; i++)
		if (parse_field(&fields[i], tok[i], toklen[i], &bits[i], err,
		    errlen) < 0)
			return NULL;
	/* With day-of-week '*' only day-of-month decides: "31 2" never is. */
	if (tok[F_WDAY][0] == '*' && !any_date_exists(bits[F_MDAY],
	    bits[F_MONTH])) {
		seterr(err, errlen, "day-of-month field: no day '%.*s' exists "
		    "in the months '%.*s'", (int)toklen[F_MDAY], tok[F_MDAY],
		    (int)toklen[F_MONTH], tok[F_MONTH]);
		return NULL;
	}

	c = xcalloc(1, sizeof(*c));
	c->expr = xstrdup(expr);
	c->minutes = bits[F_MINUTE];
	c->hours = bits[F_HOUR];
	c->mdays = bits[F_MDAY];
	c->months = bits[F_MONTH];
	c->wdays = bits[F_WDAY];
	c->dom_star = tok[F_MDAY][0] == '*';
	c->dow_star = tok[F_WDAY][0] == '*';
	c->interval = tok[F_MINUTE][0] == '*' || tok[F_HOUR][0] == '*';
	return c;
}

void
cron_free(struct cron *c)
{
	if (c == NULL)
		return;
	free(c->expr);
	free(c);
}

const char *
cron_expr(const struct cron *c)
{
	return c->expr;
}

/* ---- Time zones ---- */

/* A transition date of a POSIX TZ rule ("Jn", "n" or "Mm.w.d" + time). */
struct rule_date {
	char		 kind;		/* 'J', 'D' (0-based day), 'M' */
	int		 n;		/* J: 1-365, D: 0-365 */
	int		 month, week, wday;
	long		 secs;		/* local time of day, may be < 0 */
};

/* The POSIX TZ rule of a TZif footer, e.g. "EST5EDT,M3.2.0,M11.1.0". */
struct posix_tz {
	int		 has_dst;
	long		 std_off, dst_off;	/* seconds east of UTC */
	struct rule_date start, end;		/* into and out of dst_off */
};

struct cron_zone {
	char		*name;
	size_t		 n;		/* transitions */
	int64_t		*at;		/* instants, increasing */
	long		*off;		/* offset in force from at[i] */
	long		 off0;		/* offset before at[0] */
	int		 has_rule;	/* footer present: used after at[n-1] */
	struct posix_tz	 rule;
};

static int
valid_offset(long off)
{
	return off >= -MAX_OFFSET && off <= MAX_OFFSET;
}

/* A zone name or "<+0330>"-style abbreviation in a POSIX TZ string. */
static int
tz_skip_name(const char **sp)
{
	const char *s = *sp;

	if (*s == '<') {
		while (*++s != '>')
			if (!isalnum((unsigned char)*s) && *s != '+' &&
			    *s != '-')
				return -1;
		*sp = s + 1;
		return 0;
	}
	while (isalpha((unsigned char)*s))
		s++;
	if (s - *sp < 3)
		return -1;
	*sp = s;
	return 0;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 extension). */
static int
tz_time(const char **sp, long *out)
{
	const char *s = *sp;
	long sign = 1, part[3] = { 0, 0, 0 };
	int i;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*s != ':')
				break;
			s++;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s) && part[i] < 1000)
			part[i] = part[i] * 10 + (*s++ - '0');
	}
	if (part[0] > 167 || part[1] > 59 || part[2] > 59)
		return -1;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*sp = s;
	return 0;
}

static int
tz_number(const char **sp, int lo, int hi, int *out)
{
	const char *s = *sp;
	int v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s) && v <= hi)
		v = v * 10 + (*s++ - '0');
	if (v < lo || v > hi)
		return -1;
	*out = v;
	*sp = s;
	return 0;
}

static int
tz_date(const char **sp, struct rule_date *r)
{
	const char *s = *sp;

	memset(r, 0, sizeof(*r));
	if (*s == 'J') {
		s++;
		r->kind = 'J';
		if (tz_number(&s, 1, 365, &r->n) < 0)
			return -1;
	} else if (*s == 'M') {
		s++;
		r->kind = 'M';
		if (tz_number(&s, 1, 12, &r->month) < 0 || *s++ != '.' ||
		    tz_number(&s, 1, 5, &r->week) < 0 || *s++ != '.' ||
		    tz_number(&s, 0, 6, &r->wday) < 0)
			return -1;
	} else {
		r->kind = 'D';
		if (tz_number(&s, 0, 365, &r->n) < 0)
			return -1;
	}
	r->secs = 2 * 3600;
	if (*s == '/') {
		s++;
		if (tz_time(&s, &r->secs) < 0)
			return -1;
	}
	*sp = s;
	return 0;
}

static int
parse_posix_tz(const char *s, struct posix_tz *tz)
{
	long v;

	memset(tz, 0, sizeof(*tz));
	if (tz_skip_name(&s) < 0 || tz_time(&s, &v) < 0)
		return -1;
	tz->std_off = -v;	/* POSIX counts hours west */
	if (*s == '\0')
		return valid_offset(tz->std_off) ? 0 : -1;
	if (tz_skip_name(&s) < 0)
		return -1;
	tz->dst_off = tz->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (tz_time(&s, &v) < 0)
			return -1;
		tz->dst_off = -v;
	}
	if (*s == '\0') {
		/* No rule given: POSIX leaves it to us; use the US rule. */
		s = ",M3.2.0,M11.1.0";
	}
	if (*s++ != ',' || tz_date(&s, &tz->start) < 0 || *s++ != ',' ||
	    tz_date(&s, &tz->end) < 0 || *s != '\0')
		return -1;
	tz->has_dst = 1;
	return valid_offset(tz->std_off) && valid_offset(tz->dst_off) ? 0 : -1;
}

/* The day number on which rule date R falls in year Y. */
static long
rule_day(const struct rule_date *r, int y)
{
	long jan1 = calendar_day_number(y, 1, 1), first;
	int d, mdays;

	switch (r->kind) {
	case 'J':	/* 1-365, 29 February never counted */
		return jan1 + r->n - 1 + (r->n >= 60 &&
		    calendar_month_days(y, 2) == 29);
	case 'D':
		return jan1 + r->n;
	default:	/* 'M': the week-th wday of month, 5 = last */
		first = calendar_day_number(y, r->month, 1);
		mdays = calendar_month_days(y, r->month);
		d = 1 + (r->wday - calendar_weekday(first) + 7) % 7 +
		    (r->week - 1) * 7;
		while (d > mdays)
			d -= 7;
		return first + d - 1;
	}
}

struct tz_event {
	int64_t		 at;
	long		 off;		/* offset from at on */
	int		 order;		/* ties: the end of DST sorts first */
};

/* The offset of rule TZ at T, and in *NEXT the instant it next changes. */
static long
posix_lookup(const struct posix_tz *tz, int64_t t, int64_t *next)
{
	struct tz_event ev[10], tmp;
	long cur;
	int y, m, d, n = 0, i, j;

	if (!tz->has_dst || t > MAX_INSTANT || t < -MAX_INSTANT) {
		*next = NEVER;
		return tz->std_off;
	}
	calendar_date((long)floordiv(t + tz->std_off, DAY), &y, &m, &d);
	/* Two years either side: t always has an event before and after. */
	for (i = y - 2; i <= y + 2; i++) {
		ev[n].at = (int64_t)rule_day(&tz->start, i) * DAY +
		    tz->start.secs - tz->std_off;
		ev[n].off = tz->dst_off;
		ev[n++].order = 1;
		ev[n].at = (int64_t)rule_day(&tz->end, i) * DAY +
		    tz->end.secs - tz->dst_off;
		ev[n].off = tz->std_off;
		ev[n++].order = 0;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && (ev[j - 1].at > ev[j].at ||
		    (ev[j - 1].at == ev[j].at && ev[j - 1].order > ev[j].order));
		    j--) {
			tmp = ev[j];
			ev[j] = ev[j - 1];
			ev[j - 1] = tmp;
		}
	cur = tz->std_off;
	for (i = 0; i < n && ev[i].at <= t; i++)
		cur = ev[i].off;
	*next = NEVER;
	for (j = i; j < n; j++)
		if (ev[j].off != cur) {
			*next = ev[j].at;
			break;
		}
	if (*next == NEVER && i < n)
		*next = ev[i].at;
	return cur;
}

/* The offset in force at instant T, and in *NEXT when it next changes. */
static long
zone_lookup(const struct cron_zone *z, int64_t t, int64_t *next)
{
	size_t lo, hi;

	if (z->n == 0 || t >= z->at[z->n - 1]) {
		if (z->has_rule)
			return posix_lookup(&z->rule, t, next);
		*next = NEVER;
		return z->n ? z->off[z->n - 1] : z->off0;
	}
	if (t < z->at[0]) {
		*next = z->at[0];
		return z->off0;
	}
	lo = 0;			/* at[lo] <= t < at[hi] */
	hi = z->n - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	*next = z->at[hi];
	return z->off[lo];
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

enum { C_ISUT, C_ISSTD, C_LEAP, C_TIME, C_TYPE, C_CHAR, NCOUNTS };

/* Size of a TZif data block with times of TSIZE bytes. */
static uint64_t
block_size(const uint64_t *cnt, uint64_t tsize)
{
	return cnt[C_TIME] * (tsize + 1) + cnt[C_TYPE] * 6 + cnt[C_CHAR] +
	    cnt[C_LEAP] * (tsize + 4) + cnt[C_ISSTD] + cnt[C_ISUT];
}

static void
read_counts(const unsigned char *hdr, uint64_t *cnt)
{
	int i;

	for (i = 0; i < NCOUNTS; i++)
		cnt[i] = be32(hdr + 20 + 4 * i);
}

/*
 * Fill Z from the TZif image P of LEN bytes.  Return 0, -1 when it is
 * malformed, -2 when it counts leap seconds.
 */
static int
parse_tzif(struct cron_zone *z, const unsigned char *p, size_t len)
{
	uint64_t cnt[NCOUNTS], tsize = 4, pos = 44, nb;
	const unsigned char *times, *idx, *types;
	size_t i;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	read_counts(p, cnt);
	if (p[4] >= '2') {
		/* Skip the 32-bit block; use the 64-bit one and the footer. */
		pos = 44 + block_size(cnt, 4);
		if (pos + 44 > len || memcmp(p + pos, "TZif", 4) != 0)
			return -1;
		read_counts(p + pos, cnt);
		pos += 44;
		tsize = 8;
	}
	nb = block_size(cnt, tsize);
	if (pos + nb > len || cnt[C_TYPE] == 0)
		return -1;
	if (cnt[C_LEAP] != 0)
		return -2;
	times = p + pos;
	idx = times + cnt[C_TIME] * tsize;
	types = idx + cnt[C_TIME];
	for (i = 0; i < cnt[C_TYPE]; i++)
		if (!valid_offset((int32_t)be32(types + 6 * i)))
			return -1;
	z->n = cnt[C_TIME];
	z->at = xreallocarray(NULL, z->n ? z->n : 1, sizeof(*z->at));
	z->off = xreallocarray(NULL, z->n ? z->n : 1, sizeof(*z->off));
	z->off0 = (int32_t)be32(types);
	for (i = 0; i < z->n; i++) {
		z->at[i] = tsize == 8 ? be64(times + 8 * i) :
		    (int32_t)be32(times + 4 * i);
		if (idx[i] >= cnt[C_TYPE] || (i > 0 && z->at[i] <= z->at[i - 1]))
			return -1;
		z->off[i] = (int32_t)be32(types + 6 * idx[i]);
	}
	pos += nb;
	if (tsize == 8 && pos < len) {
		/* Footer: "\nTZ-string\n"; empty means no rule. */
		const unsigned char *s = p + pos, *e;
		char rule[256];

		if (*s != '\n' || (e = memchr(s + 1, '\n', len - pos - 1)) == NULL ||
		    (size_t)(e - s - 1) >= sizeof(rule))
			return -1;
		memcpy(rule, s + 1, (size_t)(e - s - 1));
		rule[e - s - 1] = '\0';
		if (rule[0] != '\0') {
			if (parse_posix_tz(rule, &z->rule) < 0)
				return -1;
			z->has_rule = 1;
		}
	}
	return 0;
}

/* IANA names: components of [A-Za-z0-9_+-.], none empty or starting '.'. */
static int
valid_zone_name(const char *name)
{
	const char *p, *comp = name;

	if (*name == '\0' || strlen(name) > MAX_ZONE_NAME)
		return 0;
	for (p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == comp || *comp == '.')
				return 0;
			if (*p == '\0')
				return 1;
			comp = p + 1;
		} else if (!isalnum((unsigned char)*p) &&
		    strchr("_+-.", *p) == NULL)
			return 0;
	}
}

/* Read the regular file PATH (at most MAX_ZONE_FILE bytes). */
static int
read_zone_file(const char *path, unsigned char **datap, size_t *lenp)
{
	struct stat st;
	unsigned char *data;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_ZONE_FILE) {
		fclose(f);
		errno = ENOENT;
		return -1;
	}
	data = xmalloc((size_t)st.st_size + 1);
	len = fread(data, 1, (size_t)st.st_size + 1, f);
	if (ferror(f)) {
		free(data);
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	*datap = data;
	*lenp = len;
	return 0;
}

struct cron_zone *
cron_zone_load(const char *name, char *err, size_t errlen)
{
	struct cron_zone *z;
	unsigned char *data;
	size_t len;
	char *path;
	int r;

	if (name == NULL)
		name = CRON_DEFAULT_TZ;
	if (!valid_zone_name(name)) {
		seterr(err, errlen, "'%s' is not a valid time zone name",
		    name);
		return NULL;
	}
	path = xasprintf("%s/%s", CRON_ZONEINFO_DIR, name);
	if (read_zone_file(path, &data, &len) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			seterr(err, errlen, "unknown time zone '%s' (no such "
			    "zone in %s)", name, CRON_ZONEINFO_DIR);
		else
			seterr(err, errlen, "cannot read time zone '%s': %s: %s",
			    name, path, strerror(errno));
		free(path);
		return NULL;
	}
	z = xcalloc(1, sizeof(*z));
	z->name = xstrdup(name);
	r = parse_tzif(z, data, len);
	free(data);
	if (r < 0) {
		if (r == -2)
			seterr(err, errlen, "time zone '%s' counts leap seconds, "
			    "which schedules do not support", name);
		else
			seterr(err, errlen, "time zone '%s': %s is not a valid "
			    "TZif file", name, path);
		free(path);
		cron_zone_free(z);
		return NULL;
	}
	free(path);
	return z;
}

void
cron_zone_free(struct cron_zone *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->at);
	free(z->off);
	free(z);
}

const char *
cron_zone_name(const struct cron_zone *z)
{
	return z->name;
}

long
cron_zone_offset(const struct cron_zone *z, time_t t)
{
	int64_t next;

	return zone_lookup(z, (int64_t)t, &next);
}

/* The first instant at which the local clock shows wall time W or later. */
static int64_t
first_reaching(const struct cron_zone *z, int64_t w)
{
	int64_t s = w - MAX_OFFSET - 1, e;	/* the clock is before W here */
	long off;

	for (;;) {
		off = zone_lookup(z, s, &e);
		if (e == NEVER || e - 1 + off >= w)
			return s > w - off ? s : w - off;
		s = e;
	}
}

int
cron_zone_resolve(const struct cron_zone *z, int year, int month, int day,
    int hour, int minute, int second, time_t *t)
{
	if (!calendar_valid_date(year, month, day) || hour < 0 || hour > 23 ||
	    minute < 0 || minute > 59 || second < 0 || second > 59)
		return -1;
	*t = (time_t)first_reaching(z,
	    (int64_t)calendar_day_number(year, month, day) * DAY +
	    hour * 3600 + minute * 60 + second);
	return 0;
}

void
cron_zone_localtime(const struct cron_zone *z, time_t t, struct tm *tm)
{
	int64_t w, day;
	long off;
	int secs;

	if ((int64_t)t > MAX_INSTANT)	/* keep w and the year in range */
		t = (time_t)MAX_INSTANT;
	else if ((int64_t)t < -MAX_INSTANT)
		t = (time_t)-MAX_INSTANT;
	off = cron_zone_offset(z, t);
	w = (int64_t)t + off;
	day = floordiv(w, DAY);
	secs = (int)(w - day * DAY);
	memset(tm, 0, sizeof(*tm));
	calendar_date((long)day, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
	tm->tm_yday = (int)(day - calendar_day_number(tm->tm_year, 1, 1));
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	tm->tm_hour = secs / 3600;
	tm->tm_min = secs / 60 % 60;
	tm->tm_sec = secs % 60;
	tm->tm_wday = calendar_weekday((long)day);
	tm->tm_isdst = -1;
	tm->tm_gmtoff = off;
}

char *
cron_zone_format(const struct cron_zone *z, time_t t, char *buf, size_t len)
{
	struct tm tm;
	long off = cron_zone_offset(z, t), a = labs(off);
	char sign = off < 0 ? '-' : '+';

	cron_zone_localtime(z, t, &tm);
	if (a % 60 != 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld:%02ld",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, sign, a / 3600, a / 60 % 60, a % 60);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, sign, a / 3600, a / 60 % 60);
	return buf;
}

/* ---- Next fire time ---- */

/* The lowest set bit of BITS at or above FROM, or -1. */
static int
next_bit(uint64_t bits, int from)
{
	bits >>= from;
	return bits ? from + __builtin_ctzll(bits) : -1;
}

/* Vixie cron: if either day field starts with '*', both must match. */
static int
day_matches(const struct cron *c, int mday, int wday)
{
	int dom = (int)(c->mdays >> mday & 1), dow = (int)(c->wdays >> wday & 1);

	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/*
 * The first wall time >= LO (wall seconds) that C matches on a working
 * day of CAL, into *OUT; -1 when it would be after HORIZON.
 */
static int
match_next(const struct cron *c, const struct calendar *cal, int64_t lo,
    int64_t horizon, int64_t *out)
{
	int64_t t = floordiv(lo + 59, 60) * 60, day = floordiv(t, DAY);
	int secs = (int)(t - day * DAY);
	int hour = secs / 3600, min = secs / 60 % 60, y, m, d, h, mi;

	for (;;) {
		if (day * DAY > horizon)
			return -1;
		calendar_date((long)day, &y, &m, &d);
		if (!(c->months >> m & 1)) {
			day += calendar_month_days(y, m) - d + 1;
			hour = min = 0;
			continue;
		}
		if (!day_matches(c, d, calendar_weekday((long)day)) ||
		    !calendar_is_working_day(cal, y, m, d) ||
		    (h = next_bit(c->hours, hour)) < 0) {
			day++;
			hour = min = 0;
			continue;
		}
		if (h != hour)
			min = 0;
		if ((mi = next_bit(c->minutes, min)) < 0) {
			hour = h + 1;
			min = 0;
			if (hour > 23) {
				day++;
				hour = 0;
			}
			continue;
		}
		*out = day * DAY + h * 3600 + mi * 60;
		return *out > horizon ? -1 : 0;
	}
}

/* The highest wall time the clock of Z has shown at or before AFTER. */
static int64_t
high_water(const struct cron_zone *z, int64_t after)
{
	int64_t s = after - 8 * DAY, e, h = INT64_MIN;
	long off;

	for (;;) {
		off = zone_lookup(z, s, &e);
		if (e > after)
			return h > after + off ? h : after + off;
		if (e - 1 + off > h)
			h = e - 1 + off;
		s = e;
	}
}

int
cron_next_in(const struct cron *c, const struct cron_zone *z,
    const struct calendar *cal, time_t after, time_t *next)
{
	int64_t s, e, lo, w = 0, wmin = 0, horizon;
	int64_t cached_lo = NEVER, cached_w = 0;
	long off;

	/* Far outside years 1-9999: nothing to find, and no overflow. */
	if ((int64_t)after < -MAX_INSTANT || (int64_t)after > MAX_INSTANT)
		return -1;
	s = (int64_t)after + 1;
	off = zone_lookup(z, s, &e);
	horizon = s + off + (int64_t)CRON_HORIZON_DAYS * DAY;
	if (!c->interval)
		wmin = high_water(z, (int64_t)after) + 1;
	/*
	 * Walk the segments of constant offset.  An interval schedule takes
	 * the wall times each segment shows; a fixed-time one takes the wall
	 * times above every time already shown (wmin), at the first instant
	 * that reaches them - the start of the segment for a skipped time.
	 */
	for (;;) {
		lo = c->interval ? s + off : wmin;
		if (lo >= cached_lo && lo <= cached_w)
			w = cached_w;
		else if (match_next(c, cal, lo, horizon, &w) < 0)
			return -1;
		cached_lo = lo;
		cached_w = w;
		if (e == NEVER || w <= e - 1 + off) {
			w -= off;
			*next = (time_t)(c->interval || w > s ? w : s);
			return 0;
		}
		if (!c->interval && e + off > wmin)
			wmin = e + off;
		s = e;
		off = zone_lookup(z, s, &e);
	}
}

int
cron_next(const struct cron *c, const char *tz, const struct calendar *cal,
    time_t after, time_t *next)
{
	struct cron_zone *z;
	int r;

	if ((z = cron_zone_load(tz, NULL, 0)) == NULL)
		return -2;
	r = cron_next_in(c, z, cal, after, next);
	cron_zone_free(z);
	return r;
}
