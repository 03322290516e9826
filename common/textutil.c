/*
 * textutil.c - small text helpers shared by the loaders and the CLI.
 */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"
#include "xmalloc.h"

/*
 * The code points of s, for distances counted in characters: a Japanese
 * character is one edit, not three bytes.  A byte that is not UTF-8 counts
 * as a character of its own.  The caller frees; *n gets the count.
 */
static uint32_t *
code_points(const char *s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t *v = xcalloc(strlen(s) + 1, sizeof *v), c;
	size_t k = 0, len, i;

	while (*p != '\0') {
		len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 :
		    (*p >> 3) == 30 ? 4 : 1;
		c = len == 1 ? *p : *p & (0x7F >> len);
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80) {
				len = 1;
				c = *p;
				break;
			}
			c = (c << 6) | (p[i] & 0x3F);
		}
		v[k++] = c;
		p += len;
	}
	*n = k;
	return v;
}

size_t
text_distance(const char *sa, const char *sb)
{
	size_t la, lb, i, j, w, d, *m;
	uint32_t *a = code_points(sa, &la), *b = code_points(sb, &lb);

	/* Optimal string alignment: a swap of two neighbours costs one. */
	w = lb + 1;
	m = xcalloc((la + 1) * w, sizeof *m);
	for (i = 0; i <= la; i++)
		m[i * w] = i;
	for (j = 0; j <= lb; j++)
		m[j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			d = m[(i - 1) * w + j - 1] + (a[i - 1] != b[j - 1]);
			if (m[(i - 1) * w + j] + 1 < d)
				d = m[(i - 1) * w + j] + 1;
			if (m[i * w + j - 1] + 1 < d)
				d = m[i * w + j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && m[(i - 2) * w + j - 2] + 1 < d)
				d = m[(i - 2) * w + j - 2] + 1;
			m[i * w + j] = d;
		}
	}
	d = m[la * w + lb];
	free(m);
	free(a);
	free(b);
	return d;
}

int
text_is_near(const char *word, const char *candidate)
{
	size_t d = text_distance(word, candidate);

	return d <= (strlen(word) + 2) / 3;
}

const char *
text_nearest(const char *word, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = SIZE_MAX;

	for (i = 0; i < n && words[i] != NULL; i++) {
		d = text_distance(word, words[i]);
		if (d < bestd) {
			bestd = d;
			best = words[i];
		}
	}
	return best != NULL && text_is_near(word, best) ? best : NULL;
}

size_t
text_utf8_chars(const char *s, size_t n)
{
	size_t i, chars = 0;

	for (i = 0; i < n && s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			chars++;
	}
	return chars;
}

int
text_utf8_prefix(const char *s, size_t maxchars)
{
	size_t i = 0, chars = 0;

	while (s[i] != '\0' && chars < maxchars && i < INT_MAX - 4) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	return (int)i;
}

char *
text_percent_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char *out = xreallocarray(NULL, strlen(s) + 1, 3), *o = out;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

int
text_is_ident(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	}
	return 1;
}

int
text_parse_duration(const char *s, long long *ms)
{
	static const struct {
		const char	*unit;
		double		 ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "min", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].unit) == 0) {
			*ms = (long long)llround(v * units[i].ms);
			return 0;
		}
	}
	return -1;
}

int
text_is_iso_date(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d, leap, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	}
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

void
text_utf8_trim_partial(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char c;

	while (i > 0 && i + 4 > n) {
		c = (unsigned char)s[--i];
		if ((c & 0xC0) == 0x80)
			continue;
		need = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (i + need > n)
			s[i] = '\0';
		return;
	}
}

int64_t
text_parse_id(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' || v <= 0 ? 0 : (int64_t)v;
}

void
text_number(double d, char *out, size_t len)
{
	if (d == 0) {
		snprintf(out, len, "0");
		return;
	}
	if (d == floor(d) && fabs(d) < 1e15) {
		snprintf(out, len, "%.0f", d);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

/* The copies a quantifier at *p makes of its atom (advancing *p past
 * it); 0 when *p is not a quantifier. */
static double
quantifier_copies(const char **p)
{
	const char *s = *p;
	double m = 0, n = -1;

	switch (*s) {
	case '*':
	case '?':
		*p = s + 1;
		return 1;
	case '+':
		*p = s + 1;
		return 2;
	case '{':
		break;
	default:
		return 0;
	}
	s++;
	if (*s < '0' || *s > '9')
		return 0;	/* a literal brace */
	while (*s >= '0' && *s <= '9')
		m = m * 10 + (*s++ - '0');
	if (*s == ',') {
		s++;
		if (*s >= '0' && *s <= '9') {
			n = 0;
			while (*s >= '0' && *s <= '9')
				n = n * 10 + (*s++ - '0');
		} else {
			n = m + 1;	/* {m,}: m copies and a star */
		}
	}
	if (*s != '}')
		return 0;
	*p = s + 1;
	return n > m ? n : m > 0 ? m : 1;
}

int
text_regex_check(const char *re, char *err, size_t errlen)
{
	/* Atoms so far at each open group; the last atom's cost. */
	double sum[64], last[64], q;
	int depth = 0;
	const char *p = re;

	sum[0] = last[0] = 0;
	while (*p != '\0') {
		if ((q = quantifier_copies(&p)) > 0) {
			sum[depth] += last[depth] * (q - 1);
			last[depth] *= q;
		} else if (*p == '(') {
			if (++depth == 64) {
				snprintf(err, errlen, "the regular expression "
				    "nests groups more than 63 deep");
				return -1;
			}
			sum[depth] = last[depth] = 0;
			p++;
		} else if (*p == ')' && depth > 0) {
			last[depth - 1] = sum[depth] + 1;
			sum[depth - 1] += sum[depth] + 1;
			depth--;
			p++;
		} else if (*p == '[') {
			/* A bracket expression is one atom: "[]a]", "[^]a]",
			 * "[[:alpha:]]" included. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' ||
				    p[1] == '=')) {
					const char *end = strstr(p + 2, "]");

					p = end ? end + 1 : p + 1;
				} else {
					p++;
				}
			}
			if (*p == ']')
				p++;
			sum[depth] += 1;
			last[depth] = 1;
		} else {
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
			sum[depth] += 1;
			last[depth] = 1;
		}
		if (sum[depth] > TEXT_REGEX_MAX_NODES ||
		    last[depth] > TEXT_REGEX_MAX_NODES) {
			snprintf(err, errlen, "the regular expression repeats "
			    "too much (its quantifiers multiply to more than "
			    "%d copies)", TEXT_REGEX_MAX_NODES);
			return -1;
		}
	}
	return 0;
}
