/*
 * width.h - full-width / half-width normalisation of Japanese text.
 *
 * Japanese systems store the same letters and digits in two widths:
 * "ＡＢＣ１２３" (full-width, U+FF01..U+FF5E) and "ABC123" (ASCII), and
 * katakana as full-width "ガ" or as half-width "ｶﾞ" (two code points).  Data
 * typed by people, exported from old systems or read by OCR mixes them, so
 * scripts normalise before comparing or posting.
 *
 * All functions take UTF-8 and return a newly allocated NUL-terminated
 * UTF-8 string that the caller frees.  Bytes that are not valid UTF-8 are
 * copied through unchanged, one byte at a time, so no input is ever lost or
 * rejected; text that needs no change comes back byte-for-byte equal.
 */
#ifndef KOBITO_WIDTH_H
#define KOBITO_WIDTH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Full-width to half-width ("hankaku"): full-width ASCII variants
 * U+FF01..U+FF5E become ASCII, the ideographic space U+3000 becomes a space,
 * the minus sign U+2212 becomes '-', and the full-width signs U+FFE0..U+FFE6
 * (￠￡￢￣￤￥￦) become their narrow forms (¢ £ ¬ ¯ ¦ ¥ ₩).  Katakana of
 * either width is left alone (see width_kana_to_full).
 */
char	*width_to_half(const char *utf8);

/*
 * Half-width to full-width ("zenkaku"): printable ASCII 0x21..0x7E becomes
 * U+FF01..U+FF5E, the space becomes U+3000, ¢ £ ¬ ¯ ¦ ¥ ₩ become
 * their full-width forms, and half-width katakana becomes full-width
 * katakana as width_kana_to_full does.  Control characters are kept.
 */
char	*width_to_full(const char *utf8);

/*
 * Half-width katakana U+FF61..U+FF9F to full-width katakana and
 * punctuation ("ｶﾞｯｺｳ｡" -> "ガッコウ。").  A voiced or semi-voiced mark
 * that follows a kana which can carry it - half-width ﾞ ﾟ (U+FF9E/U+FF9F)
 * or combining U+3099/U+309A - is merged into one code point (ｶﾞ -> ガ,
 * ﾊﾟ -> パ, ｳﾞ -> ヴ, ﾜﾞ -> ヷ).  A half-width mark that cannot merge
 * becomes the spacing ゛ or ゜; a combining one is kept as it is.
 * Everything else is copied unchanged.
 */
char	*width_kana_to_full(const char *utf8);

/*
 * Hiragana to katakana ("やまだ たろう" -> "ヤマダ タロウ"), half-width
 * katakana widened on the way as width_kana_to_full does; and katakana
 * (of either width) to hiragana.  Characters with no counterpart (ヷ, ー,
 * kanji, Latin) are copied unchanged.  What forms ask for as フリガナ or
 * ふりがな.
 */
char	*width_to_katakana(const char *utf8);
char	*width_to_hiragana(const char *utf8);

/*
 * Full-width katakana to half-width, as bank transfer files and old
 * mainframe systems want them ("ガッコウ" -> "ｶﾞｯｺｳ"): a voiced or
 * semi-voiced kana becomes its plain kana and ﾞ or ﾟ, the small ヵヶヮ
 * become ｶｹﾜ (half-width has none), kana punctuation 。「」、・ー narrows,
 * and full-width ASCII narrows as width_to_half does.  Hiragana, kanji and
 * everything else is copied unchanged.
 */
char	*width_kana_to_half(const char *utf8);

/*
 * Decode the UTF-8 sequence at s (at most n bytes available) into *cp and
 * return its length in bytes (1..4).  Return 0 when the bytes are not a
 * valid, shortest-form sequence of a Unicode scalar value; *cp is then the
 * first byte's value.  n must be at least 1.
 */
size_t	 width_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Encode a Unicode scalar value as UTF-8 into out; return its length. */
size_t	 width_utf8_encode(uint32_t cp, char out[4]);

#endif
