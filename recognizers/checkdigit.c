/*
 * checkdigit.c - check digit schemes (checkdigit.h).
 */
#include <string.h>

#include "checkdigit.h"

static const struct {
	enum checkdigit_kind	 kind;
	const char		*name;
} schemes[] = {
	{ CHECKDIGIT_NONE, "none" },
	{ CHECKDIGIT_JP_CORPORATE, "jp_corporate" },
	{ CHECKDIGIT_LUHN, "luhn" },
	{ CHECKDIGIT_MOD11, "mod11" },
};

#define NSCHEMES	(sizeof schemes / sizeof schemes[0])

const char *
checkdigit_name(enum checkdigit_kind k)
{
	size_t i;

	for (i = 0; i < NSCHEMES; i++)
		if (schemes[i].kind == k)
			return schemes[i].name;
	return "?";
}

int
checkdigit_parse(const char *name, enum checkdigit_kind *k)
{
	size_t i;

	for (i = 0; i < NSCHEMES; i++)
		if (strcmp(schemes[i].name, name) == 0) {
			*k = schemes[i].kind;
			return 0;
		}
	return -1;
}

static int
all_digits(const char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return 1;
}

int
checkdigit_jp_corporate(const char *twelve)
{
	int sum = 0, i;

	/* Digit n counted from the right (n = 1..12) weighs 1 when n is
	 * odd, 2 when it is even. */
	for (i = 0; i < 12; i++)
		sum += (twelve[11 - i] - '0') * (i % 2 == 0 ? 1 : 2);
	return 9 - sum % 9;
}

static int
luhn_ok(const char *d, size_t n)
{
	int sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int v = d[n - 1 - i] - '0';

		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

static int
mod11_ok(const char *d, size_t n)
{
	int sum = 0, want;
	size_t i;

	for (i = 1; i < n; i++)
		sum += (d[n - 1 - i] - '0') * (int)(i + 1);
	want = 11 - sum % 11;
	if (want >= 10)
		want = 0;
	return d[n - 1] - '0' == want;
}

int
checkdigit_ok(enum checkdigit_kind k, const char *d, size_t n)
{
	if (k == CHECKDIGIT_NONE)
		return 1;
	if (!all_digits(d, n) || n < 2)
		return 0;
	switch (k) {
	case CHECKDIGIT_JP_CORPORATE:
		return n == 13 && d[0] - '0' == checkdigit_jp_corporate(d + 1);
	case CHECKDIGIT_LUHN:
		return luhn_ok(d, n);
	case CHECKDIGIT_MOD11:
		return mod11_ok(d, n);
	default:
		return 0;
	}
}

int
checkdigit_telling(enum checkdigit_kind k, const char *d, size_t n)
{
	size_t i;

	switch (k) {
	case CHECKDIGIT_JP_CORPORATE:
		for (i = 0; i < n; i++)
			if (d[i] == '0' || d[i] == '9')
				return 0;
		return 1;
	case CHECKDIGIT_LUHN:
		for (i = 0; i + 1 < n; i++)
			if ((d[i] == '0' && d[i + 1] == '9') ||
			    (d[i] == '9' && d[i + 1] == '0'))
				return 0;
		return 1;
	case CHECKDIGIT_MOD11:
		return 1;
	default:
		return 0;
	}
}
