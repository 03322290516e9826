/*
 * width.c - full-width / half-width normalisation of UTF-8 text.
 *
 * The conversions work code point by code point on a copy of the input.
 * Invalid UTF-8 bytes are copied as they are (see width.h), because these
 * functions clean up data from outside and must not lose any of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "width.h"
#include "xmalloc.h"

/* Full-width signs U+FFE0..U+FFE6 and their narrow forms. */
static const uint32_t narrow_signs[] = {
	0x00A2, 0x00A3, 0x00AC, 0x00AF, 0x00A6, 0x00A5, 0x20A9,
};

/*
 * Full-width forms of the half-width katakana block U+FF61..U+FF9F, in
 * order: punctuation ｡｢｣､･, then ｦ, small ｧｨｩｪｫｬｭｮｯ, ｰ, ｱ..ﾝ and the
 * marks ﾞ ﾟ (as the spacing ゛ ゜).
 */
static const uint16_t full_kana[] = {
	0x3002, 0x300C, 0x300D, 0x3001, 0x30FB,			/* ｡｢｣､･ */
	0x30F2,							/* ｦ */
	0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9,			/* ｧｨｩｪｫ */
	0x30E3, 0x30E5, 0x30E7, 0x30C3,				/* ｬｭｮｯ */
	0x30FC,							/* ｰ */
	0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA,			/* ｱｲｳｴｵ */
	0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3,			/* ｶｷｸｹｺ */
	0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD,			/* ｻｼｽｾｿ */
	0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8,			/* ﾀﾁﾂﾃﾄ */
	0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE,			/* ﾅﾆﾇﾈﾉ */
	0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB,			/* ﾊﾋﾌﾍﾎ */
	0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2,			/* ﾏﾐﾑﾒﾓ */
	0x30E4, 0x30E6, 0x30E8,					/* ﾔﾕﾖ */
	0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED,			/* ﾗﾘﾙﾚﾛ */
	0x30EF, 0x30F3,						/* ﾜﾝ */
	0x309B, 0x309C,						/* ﾞﾟ */
};

size_t
width_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	size_t len, i;

	*cp = u[0];
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xC2 && u[0] <= 0xDF) {
		len = 2; c = u[0] & 0x1F; min = 0x80;
	} else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
		len = 3; c = u[0] & 0x0F; min = 0x800;
	} else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
		len = 4; c = u[0] & 0x07; min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

size_t
width_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The full-width katakana with a voiced (mark 1) or semi-voiced (mark 2)
 * sound mark merged in, or 0 when that kana cannot carry the mark. */
static uint32_t
kana_voiced(uint32_t k, int mark)
{
	if (mark == 1) {
		if ((k >= 0x30AB && k <= 0x30C1 && (k - 0x30AB) % 2 == 0) ||
		    k == 0x30C4 || k == 0x30C6 || k == 0x30C8)
			return k + 1;	/* カ..チ, ツ, テ, ト */
		if (k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0)
			return k + 1;	/* ハヒフヘホ */
		if (k == 0x30A6)
			return 0x30F4;	/* ヴ */
		if (k == 0x30EF)
			return 0x30F7;	/* ヷ */
		if (k == 0x30F2)
			return 0x30FA;	/* ヺ */
		return 0;
	}
	if (k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0)
		return k + 2;		/* パピプペポ */
	return 0;
}

/* 1 for a voiced mark, 2 for a semi-voiced mark, else 0. */
static int
sound_mark(uint32_t cp)
{
	if (cp == 0xFF9E || cp == 0x3099)
		return 1;
	if (cp == 0xFF9F || cp == 0x309A)
		return 2;
	return 0;
}

enum {
	TO_HALF = 0x1,		/* full-width ASCII, space, signs -> narrow */
	TO_FULL = 0x2,		/* ASCII, space, signs -> full-width */
	KANA_FULL = 0x4,	/* half-width katakana -> full-width */
	TO_KATA = 0x8,		/* hiragana -> katakana */
	TO_HIRA = 0x10,		/* katakana -> hiragana (after KANA_FULL) */
};

/* Hiragana ぁ..ゖ and ゝゞ as katakana, and back; others unchanged. */
static uint32_t
hira_to_kata(uint32_t cp)
{
	if ((cp >= 0x3041 && cp <= 0x3096) || cp == 0x309D || cp == 0x309E)
		return cp + 0x60;
	return cp;
}

static uint32_t
kata_to_hira(uint32_t cp)
{
	if ((cp >= 0x30A1 && cp <= 0x30F6) || cp == 0x30FD || cp == 0x30FE)
		return cp - 0x60;
	return cp;
}

/* Convert one code point according to flags; return it unchanged when no
 * rule applies. */
static uint32_t
map_one(uint32_t cp, unsigned flags)
{
	size_t i;

	if (flags & TO_HALF) {
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			return cp - 0xFEE0;
		if (cp == 0x3000)
			return ' ';
		if (cp == 0x2212)
			return '-';
		if (cp >= 0xFFE0 && cp <= 0xFFE6)
			return narrow_signs[cp - 0xFFE0];
	}
	if (flags & TO_FULL) {
		if (cp >= 0x21 && cp <= 0x7E)
			return cp + 0xFEE0;
		if (cp == ' ')
			return 0x3000;
		for (i = 0; i < sizeof(narrow_signs) / sizeof(narrow_signs[0]); i++)
			if (narrow_signs[i] == cp)
				return 0xFFE0 + (uint32_t)i;
	}
	if ((flags & KANA_FULL) && cp >= 0xFF61 && cp <= 0xFF9F)
		return full_kana[cp - 0xFF61];
	if (flags & TO_KATA)
		return hira_to_kata(cp);
	return cp;
}

/*
 * The conversion loop shared by the three entry points.  The output never
 * needs more than three bytes per input byte (a one-byte ASCII character
 * becomes a three-byte full-width one; nothing grows more).
 */
static char *
convert(const char *in, unsigned flags)
{
	size_t n = strlen(in), i = 0, o = 0, len;
	char *out = xreallocarray(NULL, n + 1, 3);
	uint32_t cp, next, merged;
	int mark;

	while (i < n) {
		len = width_utf8_decode(in + i, n - i, &cp);
		if (len == 0) {
			out[o++] = in[i++];
			continue;
		}
		i += len;
		cp = map_one(cp, flags);
		/* Merge a following sound mark into the kana it belongs to. */
		if ((flags & KANA_FULL) && cp >= 0x30A1 && cp <= 0x30FA &&
		    i < n) {
			len = width_utf8_decode(in + i, n - i, &next);
			if (len > 0 && (mark = sound_mark(next)) != 0 &&
			    (merged = kana_voiced(cp, mark)) != 0) {
				cp = merged;
				i += len;
			}
		}
		if (flags & TO_HIRA)
			cp = kata_to_hira(cp);
		o += width_utf8_encode(cp, out + o);
	}
	out[o] = '\0';
	return out;
}

char *
width_to_half(const char *utf8)
{
	return convert(utf8, TO_HALF);
}

char *
width_to_full(const char *utf8)
{
	return convert(utf8, TO_FULL | KANA_FULL);
}

char *
width_kana_to_full(const char *utf8)
{
	return convert(utf8, KANA_FULL);
}

char *
width_to_katakana(const char *utf8)
{
	return convert(utf8, KANA_FULL | TO_KATA);
}

char *
width_to_hiragana(const char *utf8)
{
	return convert(utf8, KANA_FULL | TO_HIRA);
}

/* The half-width form of a full-width katakana or kana punctuation. */
static int
half_kana(uint32_t cp, uint32_t *half)
{
	size_t i;

	for (i = 0; i < sizeof(full_kana) / sizeof(full_kana[0]); i++) {
		if (full_kana[i] == cp) {
			*half = 0xFF61 + (uint32_t)i;
			return 1;
		}
	}
	return 0;
}

char *
width_kana_to_half(const char *utf8)
{
	static const struct {
		uint32_t	from, to;
	} small[] = {
		{ 0x30F5, 0x30AB }, { 0x30F6, 0x30B1 }, { 0x30EE, 0x30EF },
	};
	size_t n = strlen(utf8), i = 0, o = 0, len, k;
	char *out = xreallocarray(NULL, n + 1, 2);
	uint32_t cp, half, mark;

	while (i < n) {
		len = width_utf8_decode(utf8 + i, n - i, &cp);
		if (len == 0) {
			out[o++] = utf8[i++];
			continue;
		}
		i += len;
		cp = map_one(cp, TO_HALF);
		for (k = 0; k < sizeof(small) / sizeof(small[0]); k++) {
			if (small[k].from == cp)
				cp = small[k].to;
		}
		mark = 0;
		if (!half_kana(cp, &half)) {
			/* A voiced kana is its plain kana and a mark. */
			if (cp == 0x30F4)
				cp = 0x30A6, mark = 0xFF9E;
			else if (cp == 0x30F7)
				cp = 0x30EF, mark = 0xFF9E;
			else if (cp == 0x30FA)
				cp = 0x30F2, mark = 0xFF9E;
			else if (cp > 0x30A1 && kana_voiced(cp - 1, 1) == cp)
				cp = cp - 1, mark = 0xFF9E;
			else if (cp > 0x30A2 && kana_voiced(cp - 2, 2) == cp)
				cp = cp - 2, mark = 0xFF9F;
			if (mark == 0 || !half_kana(cp, &half))
				half = cp, mark = 0;
		}
		o += width_utf8_encode(half, out + o);
		if (mark != 0)
			o += width_utf8_encode(mark, out + o);
	}
	out[o] = '\0';
	return out;
}
