/*
 * kanjinum.c - reading numbers written in kanji numerals.
 *
 * A number is read as sections of at most 9,999 separated by the large
 * units 万 億 兆 京, each section built from digits and the small units
 * 十 百 千: 一億二千三百万 is (1) 億 + (2 千 3 百) 万.  ASCII digits may
 * stand for a section's digits (1億2,000万), as forms and reports mix them.
 */
#include <ctype.h>
#include <string.h>

#include "kanjinum.h"

struct numeral {
	const char	*s;
	long long	 value;
};

static const struct numeral digits[] = {
	{ "〇", 0 }, { "零", 0 }, { "一", 1 }, { "壱", 1 }, { "壹", 1 },
	{ "二", 2 }, { "弐", 2 }, { "貳", 2 }, { "貮", 2 }, { "三", 3 },
	{ "参", 3 }, { "參", 3 }, { "四", 4 }, { "肆", 4 }, { "五", 5 },
	{ "伍", 5 }, { "六", 6 }, { "陸", 6 }, { "七", 7 }, { "漆", 7 },
	{ "八", 8 }, { "捌", 8 }, { "九", 9 }, { "玖", 9 },
};

static const struct numeral small_units[] = {
	{ "十", 10 }, { "拾", 10 }, { "百", 100 }, { "佰", 100 },
	{ "陌", 100 }, { "千", 1000 }, { "仟", 1000 }, { "阡", 1000 },
};

static const struct numeral big_units[] = {
	{ "万", 10000LL }, { "萬", 10000LL }, { "億", 100000000LL },
	{ "兆", 1000000000000LL }, { "京", 10000000000000000LL },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The numeral of table at p, or NULL. */
static const struct numeral *
match(const char *p, const struct numeral *table, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncmp(p, table[i].s, strlen(table[i].s)) == 0)
			return &table[i];
	return NULL;
}

int
kanjinum_at(const char *s)
{
	if ((unsigned char)s[0] < 0x80)
		return 0;
	return match(s, digits, NELEM(digits)) != NULL ||
	    match(s, small_units, NELEM(small_units)) != NULL ||
	    match(s, big_units, NELEM(big_units)) != NULL;
}

/*
 * ASCII digits at *pp with ',' grouping by threes: append them to *cur
 * and count them in *ndigits.  -1 when a group is not three digits or
 * the value overflows.
 */
static int
ascii_digits(const char **pp, long long *cur, int *ndigits)
{
	const char *p = *pp;

	for (;;) {
		while (isdigit((unsigned char)*p)) {
			if (__builtin_mul_overflow(*cur, 10, cur) ||
			    __builtin_add_overflow(*cur, *p - '0', cur))
				return -1;
			(*ndigits)++;
			p++;
		}
		if (*p != ',' || !isdigit((unsigned char)p[1]))
			break;
		if (!isdigit((unsigned char)p[2]) ||
		    !isdigit((unsigned char)p[3]) ||
		    isdigit((unsigned char)p[4]))
			return -1;
		p++;
	}
	*pp = p;
	return 0;
}

long
kanjinum_read(const char *s, long long *out)
{
	const char *p = s;
	const struct numeral *nm;
	long long total = 0, section = 0, cur = 0, last_small = 10000;
	long long last_big = -1, v;
	int ndigits = 0, units = 0;	/* units: the section has 十百千 */

	for (;;) {
		if (isdigit((unsigned char)*p)) {
			if (ascii_digits(&p, &cur, &ndigits) != 0)
				return -1;
		} else if ((nm = match(p, digits, NELEM(digits))) != NULL) {
			if (__builtin_mul_overflow(cur, 10, &cur) ||
			    __builtin_add_overflow(cur, nm->value, &cur))
				return -1;
			ndigits++;
			p += strlen(nm->s);
		} else if ((nm = match(p, small_units, NELEM(small_units)))
		    != NULL) {
			/* 二十三百 and 二三十 are not numbers. */
			if (nm->value >= last_small || ndigits > 1)
				return -1;
			section += (ndigits ? cur : 1) * nm->value;
			last_small = nm->value;
			units = 1;
			cur = ndigits = 0;
			p += strlen(nm->s);
		} else if ((nm = match(p, big_units, NELEM(big_units))) !=
		    NULL) {
			/* 二十三四万 is not a number either. */
			if ((last_big >= 0 && nm->value >= last_big) ||
			    (units && ndigits > 1))
				return -1;
			if (__builtin_add_overflow(section, cur, &v))
				return -1;
			if (v == 0 && ndigits == 0)
				v = 1;		/* 万 alone: one 万 */
			if (__builtin_mul_overflow(v, nm->value, &v) ||
			    __builtin_add_overflow(total, v, &total))
				return -1;
			last_big = nm->value;
			section = cur = ndigits = units = 0;
			last_small = 10000;
			p += strlen(nm->s);
		} else
			break;
	}
	if (p == s)
		return 0;
	if (units && ndigits > 1)
		return -1;
	if (__builtin_add_overflow(total, section + cur, out))
		return -1;
	return (long)(p - s);
}
