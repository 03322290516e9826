/*
 * checkdigit.h - check digits of the numbers forms carry.
 *
 * A check digit turns most single misread digits into a number that does
 * not check, so a field whose value checks has a second, independent
 * opinion besides the reading itself.  Each function takes the digits as
 * ASCII ('0'..'9', nothing else) and says whether they check.
 *
 *   jp_corporate  法人番号 (corporate number, 13 digits) and the 13 digits
 *                 of a qualified-invoice registration number (T + 13):
 *                 the first digit is 9 - (sum of the other twelve, weighted
 *                 1, 2, 1, 2, ... from the right, mod 9).  It misses a 0
 *                 read as 9 and some transpositions.
 *   luhn          credit cards and many account and member numbers: the
 *                 last digit makes the doubled-every-second sum end in 0.
 *   mod11         ISBN-10 style weights 2..n from the right, the check
 *                 digit 11 - (sum mod 11) (10 and 11 written as 0).
 */
#ifndef KOBITO_CHECKDIGIT_H
#define KOBITO_CHECKDIGIT_H

#include <stddef.h>

enum checkdigit_kind {
	CHECKDIGIT_NONE,
	CHECKDIGIT_JP_CORPORATE,
	CHECKDIGIT_LUHN,
	CHECKDIGIT_MOD11,
};

/* The scheme's name ("luhn") and back; -1 for an unknown name. */
const char	*checkdigit_name(enum checkdigit_kind);
int		 checkdigit_parse(const char *name, enum checkdigit_kind *kind);

/*
 * Whether the n digits d check under the scheme (CHECKDIGIT_NONE: always).
 * 0 when d holds anything but digits or has a length the scheme does not
 * take (13 for jp_corporate, at least 2 for the others).
 */
int	checkdigit_ok(enum checkdigit_kind, const char *d, size_t n);

/*
 * Whether the scheme would catch the misreads OCR makes most often in
 * these digits, so that a value that checks has an opinion of its own: not
 * so for jp_corporate when a digit is 0 or 9 (9 is 0 modulo 9, so one read
 * for the other checks all the same), nor for luhn when "09" or "90"
 * stand side by side (their swap checks).
 */
int	checkdigit_telling(enum checkdigit_kind, const char *d, size_t n);

/* The 法人番号 check digit of twelve digits (for generators and tests). */
int	checkdigit_jp_corporate(const char *twelve);

#endif
