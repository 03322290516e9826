/*
 * normalize.h - turning the text read from a form field into a value.
 *
 * OCR gives text; systems want values.  Each field kind has a normaliser
 * that accepts the ways people (and printers) write such a value - full- or
 * half-width digits, era dates, amounts with 金, ￥, 円 or $, phone numbers
 * with brackets - and returns one canonical value, or says why the text is
 * not one.  A normaliser never guesses: text that could mean two things is
 * invalid, so that the field goes to a person.
 *
 * Values (jansson, a new reference for the caller):
 *   text       string, trimmed, inner white space collapsed to one space,
 *              full-width ASCII made half-width
 *   number     integer, or real when it has a fraction
 *   amount     integer, or real when it has a fraction (cents)
 *   date       string "YYYY-MM-DD"
 *   era_date   string "YYYY-MM-DD" (from 令和6年4月1日, R6.4.1, ...)
 *   phone      string of digit groups joined by '-' ("03-1234-5678")
 *   postal     string "NNN-NNNN"
 *   code       string, one of the spec's list (or matching its pattern)
 *   seal       true or false (decided from the image, not from text)
 *   registration_no  string "T" + 13 digits: a qualified-invoice
 *              registration number (適格請求書発行事業者登録番号), whose
 *              first digit checks the other twelve as a 法人番号's does
 *   corporate_no  string of 13 digits, check digit verified (法人番号)
 *   bank_code  string of 4 digits (金融機関コード)
 *   branch_code  string of 3 digits (支店コード)
 *   account_no string of 7 digits (口座番号; the spec's pattern may allow
 *              other lengths)
 *
 * Amounts and numbers are printed in one of two shapes: digits grouped by
 * three with separators, or no separators at all.  A space between two
 * digits is neither (it is where OCR lost a separator or a digit), so such
 * a reading is invalid, never joined.
 */
#ifndef KOBITO_NORMALIZE_H
#define KOBITO_NORMALIZE_H

#include <regex.h>
#include <stddef.h>
#include <jansson.h>

#include "checkdigit.h"

enum norm_kind {
	NORM_TEXT,
	NORM_NUMBER,
	NORM_AMOUNT,
	NORM_DATE,
	NORM_ERA_DATE,
	NORM_PHONE,
	NORM_POSTAL,
	NORM_CODE,
	NORM_SEAL,
	NORM_REGISTRATION_NO,
	NORM_CORPORATE_NO,
	NORM_BANK_CODE,
	NORM_BRANCH_CODE,
	NORM_ACCOUNT_NO,
};

/* How a field's text is checked after normalisation. */
struct norm_spec {
	enum norm_kind	 kind;
	char		*whitelist;	/* characters the value may use (UTF-8),
					   ranges as "ァ-ヶ" (a '-' first or
					   last is itself), or NULL for any */
	char		*pattern;	/* POSIX extended regex on the value's
					   text, or NULL; bracket ranges are
					   ASCII only (use the whitelist for
					   scripts) */
	regex_t		 re;
	int		 has_re;
	char		**list;		/* code: the allowed values */
	size_t		 nlist;
	int		 dmy;		/* date: numeric dates are D/M/Y, not
					   M/D/Y (only used when no year-first
					   form matches) */
	int		 decimals;	/* amount: digits after the point, when
					   there is one (-1: any) */
	enum checkdigit_kind check;	/* code, number: the value's digits
					   must check (the kinds with a
					   scheme of their own ignore it) */
};

/* The kind's name ("era_date") and back; -1 for an unknown name. */
const char	*norm_kind_name(enum norm_kind);
int		 norm_kind_parse(const char *name, enum norm_kind *kind);

/*
 * Compile spec->pattern (when set) into spec->re.  Returns 0, or -1 with
 * regcomp's message in err.
 */
int	norm_spec_compile(struct norm_spec *spec, char *err, size_t errlen);
/* Free what spec owns (strings, list, compiled pattern). */
void	norm_spec_free(struct norm_spec *spec);

/* What norm_apply() found besides the value. */
#define NORM_FUZZY	0x1	/* code matched a list entry at distance 1,
				   or its pattern after swapping look-alikes
				   (l/I/1, O/0, S/5, B/8, Z/2, G/6) */
#define NORM_CHECKED	0x2	/* a check digit confirmed the value, and
				   would have caught the usual misreads
				   of its digits (checkdigit_telling()):
				   a second opinion besides the reading */
#define NORM_LISTED	0x4	/* the value is an entry of the spec's list,
				   read exactly */

/*
 * Normalise raw (UTF-8) for spec.  Returns 0 with *value set (a new
 * reference) and *flags (NORM_*), or -1 with *value NULL and a lower-case
 * reason in err ("not a date: 2024-13-01").  Empty text (after trimming) is
 * an error too, with reason "empty".  Not for NORM_SEAL.
 */
int	norm_apply(const struct norm_spec *spec, const char *raw,
	    json_t **value, unsigned *flags, char *err, size_t errlen);

/*
 * The value's canonical text: strings as they are, integers in decimal,
 * reals with up to two decimals ("1234.5" -> "1234.50"), booleans as
 * "true"/"false".  The caller frees it.  Used to compare values.
 */
char	*norm_value_text(const json_t *value);

/*
 * Text that should be digits joined by hyphens ("1-22-16"), as OCR gives it
 * ("1—22－16", " |1-22-16."): dashes of every kind made one '-', spaces
 * and stray marks at either end dropped.  Returns a string the caller
 * frees, or NULL when what is left is anything else.
 */
char	*norm_digit_run(const char *s);

/*
 * Levenshtein distance between two UTF-8 strings, counted in code points,
 * stopping early once it exceeds max (then max + 1 is returned).
 */
int	norm_distance(const char *a, const char *b, int max);

#endif
