/*
 * form_text.c - what the form reader makes of the text the models give:
 * Japanese house numbers repaired from an eng reading, groups of digits
 * compared across models, and the shapes of text that misreads make and
 * print does not (a lowercase letter among capitals, a lone letter at an
 * end).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "form_priv.h"
#include "normalize.h"
#include "ocr.h"
#include "width.h"
#include "xmalloc.h"

/* Symbol classes for digit runs inside Japanese text. */
static int
is_digit_sym(const char *s)
{
	return (s[0] >= '0' && s[0] <= '9' && s[1] == '\0') ||
	    (strncmp(s, "\xef\xbc", 2) == 0 && (unsigned char)s[2] >= 0x90 &&
	    (unsigned char)s[2] <= 0x99);	/* U+FF10..U+FF19 */
}

/* Dashes, which normalisation turns into '-' between digits anyway. */
static int
is_dash_sym(const char *s)
{
	static const char *const dashes[] = {
		"-", "ー", "一", "－", "‐", "—", "―", "−", "ｰ",
	};
	size_t i;

	for (i = 0; i < sizeof dashes / sizeof dashes[0]; i++)
		if (strcmp(s, dashes[i]) == 0)
			return 1;
	return 0;
}

/*
 * What the jpn models make of a hyphen or a full-width digit next to
 * digits: ー 一 － and the kana and kanji that look like ones and fours.
 */
static int
is_digitish_sym(const char *s)
{
	static const char *const look[] = {
		"ユ", "オ", "キ", "ヨ", "ラ", "コ", "ア", "二", "工", "ロ", "l",
		"|", "I",
	};
	size_t i;

	if (is_digit_sym(s) || is_dash_sym(s))
		return 1;
	for (i = 0; i < sizeof look / sizeof look[0]; i++)
		if (strcmp(s, look[i]) == 0)
			return 1;
	return 0;
}

/*
 * The digits-and-hyphens tail of eng's reading of a Japanese line, e.g.
 * "1-22-16" from "A)MAS ABBIR1-22-16": the eng model turns kanji into
 * junk but reads full-width digits and hyphens well.  NULL when the line
 * does not end in digits.
 */
static char *
latin_tail(const char *text)
{
	char *s = norm_digit_run(text), *p;

	if (s != NULL)
		return s;
	/* norm_digit_run refused the whole line: keep the tail that is
	 * digits and dashes, after dropping marks at the end. */
	s = xstrdup(text);
	p = s + strlen(s);
	while (p > s && strchr(" \n.|'", p[-1]) != NULL)
		*--p = '\0';
	while (p > s) {
		const char *q = p - 1;
		unsigned char c = (unsigned char)*q;

		if (isdigit(c) || c == '-' || c == ' ')
			p--;
		else if (p - s >= 3 && (strncmp(p - 3, "\xe2\x80\x94", 3) == 0 ||
		    strncmp(p - 3, "\xe2\x80\x93", 3) == 0 ||
		    strncmp(p - 3, "\xe2\x88\x92", 3) == 0))
			p -= 3;		/* em dash, en dash, minus */
		else
			break;
	}
	p = norm_digit_run(p);
	free(s);
	return p;
}

/*
 * House numbers at the end of Japanese text ("広坂１－２２－１６") are
 * where the jpn models go wrong: a full-width hyphen after a one becomes
 * "ユー", a four "オ".  When the reading ends in digits mixed with such
 * look-alikes, the whole line is read again with the eng model, and its
 * tail of digits and hyphens replaces the run - if it has as many digits
 * as the run, or one more for each look-alike, and a group per hyphen.
 * (LSTM symbol boxes are too rough to cut the run out alone.)
 */
void
form_fix_digit_runs(PIX *pix, struct ocr_result *res)
{
	struct ocr_symbol **sym = NULL;
	struct ocr_engine *eng;
	struct ocr_result er;
	size_t n = 0, i, k;
	int digits = 0, odd = 0, dashes = 0, got = 0, groups = 1;
	char err[256], *tail = NULL;
	const char *p;

	for (i = 0; i < res->nwords; i++)
		for (k = 0; k < res->words[i].nsyms; k++) {
			if (res->words[i].line != res->words[0].line)
				continue;
			sym = xreallocarray(sym, n + 1, sizeof *sym);
			sym[n++] = &res->words[i].syms[k];
		}
	for (i = n; i > 0 && is_digitish_sym(sym[i - 1]->text); i--) {
		if (is_digit_sym(sym[i - 1]->text))
			digits++;
		else if (is_dash_sym(sym[i - 1]->text))
			dashes++;
		else
			odd++;
	}
	if (digits == 0 || odd == 0 ||
	    (eng = ocr_engine_get("eng", err, sizeof err)) == NULL ||
	    ocr_recognize(eng, pix, OCR_PSM_LINE, 300, &er, err,
	    sizeof err) != 0) {
		free(sym);
		return;
	}
	tail = latin_tail(er.text);
	ocr_result_free(&er);
	for (p = tail; p != NULL && *p != '\0'; p++) {
		got += isdigit((unsigned char)*p) != 0;
		groups += *p == '-';
	}
	if (tail != NULL && got >= digits && got <= digits + odd &&
	    groups >= 2 && groups <= dashes + odd + 1) {
		free(sym[i]->text);
		sym[i]->text = tail;
		tail = NULL;
		for (k = i + 1; k < n; k++) {
			free(sym[k]->text);
			sym[k]->text = xstrdup("");
		}
	}
	free(tail);
	free(sym);
}

/* Whether the digit groups want ("6-10-2") stand whole in got. */
int
form_has_groups(const char *got, const char *want)
{
	char *g = xasprintf("-%s-", got), *w = xasprintf("-%s-", want);
	int yes = strstr(g, w) != NULL;

	free(g);
	free(w);
	return yes;
}

/*
 * The groups of digits of text, in order, joined by '-': "1-1-9-2-7" from
 * "BR aba 1a EX Pa 1 9-2-7" (what eng makes of a Japanese address).
 */
char *
form_digit_groups(const char *text)
{
	char *h = width_to_half(text), *o = h, *p;

	for (p = h; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p))
			*o++ = *p;
		else if (o > h && o[-1] != '-')
			*o++ = '-';
	}
	while (o > h && o[-1] == '-')
		o--;
	*o = '\0';
	return h;
}

/* The ASCII digits of text (made half-width first), in order. */
char *
form_digits_of(const char *text)
{
	char *h = width_to_half(text), *o = h, *p;

	for (p = h; *p != '\0'; p++)
		if (isdigit((unsigned char)*p))
			*o++ = *p;
	*o = '\0';
	return h;
}

/*
 * Why a Latin text's letters are doubtful, or NULL: a lowercase letter
 * alone among capitals ("USB CABLE 2m": block capitals written by hand,
 * whose M both models took for an m), or a lone lowercase letter as the
 * first or last word (a speck or a stroke read as "a").  Printed text
 * does not look like that; misreads do.
 */
const char *
form_case_doubt(const char *text)
{
	int upper = 0, lower = 0, lone = 0, word_lower = 0;
	const char *p, *w = text;

	for (p = text;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\0') {
			/* A word with one lowercase letter among capitals. */
			lone += word_lower == 1;
			if (word_lower > 1)
				lone = -1000;
			if (p - w == 1 && islower((unsigned char)*w) &&
			    (w == text || c == '\0'))
				return "a lone lowercase letter at its end, "
				    "where a mark may have been read";
			word_lower = 0;
			w = p + 1;
			if (c == '\0')
				break;
			continue;
		}
		upper += isupper(c) != 0;
		lower += islower(c) != 0;
		word_lower += islower(c) != 0;
	}
	if (upper >= 4 && lower > 0 && lone > 0)
		return "a lowercase letter among capitals";
	return form_caps_doubt(text);
}

/*
 * Why a word of two capitals is doubtful, or NULL: one of its letters has
 * the shape of a digit (O 0, I 1, Z 2, U 4, S 5, G 6, T 7, B 8, D Q 0),
 * and a size or a code written by hand ("A4" read "AU" by both Latin
 * models, four times on the development set) looks like that.
 */
const char *
form_caps_doubt(const char *text)
{
	const char *p = text, *w;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		w = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (p - w == 2 && isupper((unsigned char)w[0]) &&
		    isupper((unsigned char)w[1]) &&
		    (strchr("OIZUSGTBDQ", w[0]) != NULL ||
		    strchr("OIZUSGTBDQ", w[1]) != NULL))
			return "a word of two capitals, one shaped like a "
			    "digit";
	}
	return NULL;
}

/*
 * Whether text holds a kana of the ha row with the voiced or the
 * semi-voiced mark (バ or パ, び or ぴ): the two marks are a few pixels
 * at the size the Japanese models read best, and both models take one
 * for the other alike (ボールペン read ボールベン, コピー read コビー).
 */
int
form_ha_marks(const char *text)
{
	/* U+30D0..U+30DD and U+3070..U+307D: バパビピブプベペボポ in
	 * steps of three from ハ (the plain kana are skipped). */
	const unsigned char *p = (const unsigned char *)text;

	for (; *p != '\0'; p++) {
		unsigned cp, off;

		if (p[0] != 0xe3 || p[1] == '\0' || p[2] == '\0')
			continue;
		cp = ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) |
		    (p[2] & 0x3fu);
		if (cp >= 0x30cf && cp <= 0x30dd)
			off = cp - 0x30cf;
		else if (cp >= 0x306f && cp <= 0x307d)
			off = cp - 0x306f;
		else
			continue;
		if (off % 3 != 0)
			return 1;
	}
	return 0;
}

/* Whether text (UTF-8) has no ASCII letter or digit: kanji, kana and
 * spaces, as Japanese names are written. */
int
form_kanji_kana_only(const char *text)
{
	const char *p;

	if (text == NULL)
		return 0;
	for (p = text; *p != '\0'; p++)
		if (isalnum((unsigned char)*p))
			return 0;
	return 1;
}
