/*
 * kanjinum.h - numbers written in kanji numerals, as Japanese documents
 * write amounts and dates: 十二, 二千二十四, 一億二千万, 二〇二四, the
 * formal 大字 of contracts and receipts (壱萬弐阡円), and the mixed forms
 * of forms and reports (1億2,000万, 12万3千).
 */
#ifndef KOBITO_KANJINUM_H
#define KOBITO_KANJINUM_H

#include <stddef.h>

/*
 * Read the number at s: kanji digits (〇 零 一 ... 九, and 壱 弐 参 肆 伍
 * 陸 漆 捌 玖 壹 貳 參), ASCII digits (with ',' grouping by threes), the
 * units 十 百 千 (拾 佰 陌 阡 仟) and 万 億 兆 京 (萬).  Units must fall
 * (二千二十四, not 二十千); without units, digits are read place by place
 * (二〇二四 is 2024).  Return the bytes read (0 when s does not start with
 * a number) with the value in *out, or -1 when the numerals are
 * malformed or the value passes 2^63 - 1.
 */
long	 kanjinum_read(const char *s, long long *out);

/* Whether s starts with a kanji numeral (a digit or a unit). */
int	 kanjinum_at(const char *s);

#endif
