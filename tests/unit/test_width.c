/*
 * test_width.c - full-width / half-width normalisation: ASCII variants,
 * the ideographic space, half-width katakana with sound marks, and bytes
 * that are not UTF-8 passing through untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "width.h"

/* Assert that conv(in) is want, and free the result. */
static void
check(char *(*conv)(const char *), const char *in, const char *want)
{
	char *got = conv(in);

	if (strcmp(got, want) != 0)
		fail_msg("'%s' became '%s', expected '%s'", in, got, want);
	free(got);
}

static void
test_to_half(void **state)
{
	(void)state;
	check(width_to_half, "ＡＢＣ１２３", "ABC123");
	check(width_to_half, "ｈｅｌｌｏ　ｗｏｒｌｄ！", "hello world!");
	check(width_to_half, "（株）　〒１００－０００１", "(株) 〒100-0001");
	check(width_to_half, "−５，０００", "-5,000");
	check(width_to_half, "￥１，２３４", "¥1,234");
	check(width_to_half, "＠＃＄％＾＆＊～｛｝［］＼｜", "@#$%^&*~{}[]\\|");
	/* Katakana of either width and kanji are left alone. */
	check(width_to_half, "カタカナｶﾀｶﾅ漢字", "カタカナｶﾀｶﾅ漢字");
	check(width_to_half, "plain ASCII", "plain ASCII");
	check(width_to_half, "", "");
}

static void
test_to_full(void **state)
{
	(void)state;
	check(width_to_full, "ABC123", "ＡＢＣ１２３");
	check(width_to_full, "a b!", "ａ　ｂ！");
	check(width_to_full, "~{}\\", "～｛｝＼");
	check(width_to_full, "¥100", "￥１００");
	check(width_to_full, "ｶﾞｯｺｳ", "ガッコウ");
	check(width_to_full, "ＡＢＣ漢字", "ＡＢＣ漢字");
	/* Control characters are not printable ASCII: they stay. */
	check(width_to_full, "a\tb\n", "ａ\tｂ\n");
}

static void
test_round_trip_ascii(void **state)
{
	char in[2] = { 0, 0 }, *full, *back;
	int c;

	(void)state;
	for (c = 0x20; c <= 0x7E; c++) {
		in[0] = (char)c;
		full = width_to_full(in);
		assert_int_equal(strlen(full), 3);	/* one wide character */
		back = width_to_half(full);
		if (strcmp(back, in) != 0)
			fail_msg("0x%02x did not come back: '%s'", c, back);
		free(full);
		free(back);
	}
	full = width_to_full("Invoice No. 2024-001 (total: $1,234)");
	check(width_to_half, full, "Invoice No. 2024-001 (total: $1,234)");
	free(full);
}

static void
test_kana_to_full(void **state)
{
	(void)state;
	check(width_kana_to_full, "ｶﾞｯｺｳ｡", "ガッコウ。");
	check(width_kana_to_full, "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "パピプペポ");
	check(width_kana_to_full, "ﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞ", "バビブベボ");
	check(width_kana_to_full, "ｶﾞｷﾞｸﾞｹﾞｺﾞｻﾞｼﾞｽﾞｾﾞｿﾞﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞ",
	    "ガギグゲゴザジズゼゾダヂヅデド");
	check(width_kana_to_full, "ｳﾞｧｲｵﾘﾝ", "ヴァイオリン");
	check(width_kana_to_full, "ﾜﾞｦﾞ", "ヷヺ");
	check(width_kana_to_full, "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ");
	check(width_kana_to_full, "｢ｺﾝﾆﾁﾊ､ｾｶｲ･ｰ｣", "「コンニチハ、セカイ・ー」");
	/* A mark that cannot merge becomes the spacing one. */
	check(width_kana_to_full, "ｱﾞ", "ア゛");
	check(width_kana_to_full, "ｶﾟ", "カ゜");
	check(width_kana_to_full, "ﾞ", "゛");
	/* Combining marks merge into full-width kana too. */
	check(width_kana_to_full, "カ\xE3\x82\x99ハ\xE3\x82\x9A", "ガパ");
	/* Nothing else changes: not even full-width letters. */
	check(width_kana_to_full, "ＡBC 漢字 ガ", "ＡBC 漢字 ガ");
}

/* Every half-width katakana code point maps into the full-width
 * katakana/CJK punctuation range, each to a different character. */
static void
test_kana_table_complete(void **state)
{
	char in[4], seen[0x100] = { 0 };
	uint32_t cp, out;
	size_t len;
	char *full;

	(void)state;
	for (cp = 0xFF61; cp <= 0xFF9F; cp++) {
		len = width_utf8_encode(cp, in);
		assert_int_equal(len, 3);
		in[3] = '\0';
		full = width_kana_to_full(in);
		assert_int_equal(width_utf8_decode(full, strlen(full), &out), 3);
		assert_int_equal(strlen(full), 3);
		if (out < 0x3000 || out > 0x30FF)
			fail_msg("U+%04X became U+%04X", cp, out);
		if (seen[out - 0x3000]++)
			fail_msg("U+%04X maps to U+%04X twice", cp, out);
		free(full);
	}
}

static void
test_invalid_bytes_pass_through(void **state)
{
	(void)state;
	check(width_to_half, "\xff\xfeＡ\x80", "\xff\xfe" "A\x80");
	check(width_to_full, "\xff" "a", "\xffａ");
	/* A sequence cut short at the end of the text. */
	check(width_to_half, "Ａ\xEF\xBC", "A\xEF\xBC");
	/* Overlong encoding of '/' and a UTF-16 surrogate are not UTF-8. */
	check(width_to_full, "\xC0\xAF", "\xC0\xAF");
	check(width_to_half, "\xED\xA0\x80", "\xED\xA0\x80");
	check(width_kana_to_full, "\xff" "ｶ\xff", "\xff" "カ\xff");
}

static void
test_kana_to_half(void **state)
{
	(void)state;
	check(width_kana_to_half, "ガッコウ", "ｶﾞｯｺｳ");
	check(width_kana_to_half, "カ）サクラシヨウジ", "ｶ)ｻｸﾗｼﾖｳｼﾞ");
	check(width_kana_to_half, "パピプペポ・ヴァイオレット", "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ･ｳﾞｧｲｵﾚｯﾄ");
	check(width_kana_to_half, "ヵヶヮヷヺ", "ｶｹﾜﾜﾞｦﾞ");
	check(width_kana_to_half, "「ヤマダ」、ー。", "｢ﾔﾏﾀﾞ｣､ｰ｡");
	check(width_kana_to_half, "ＡＢＣ１２３　カ", "ABC123 ｶ");
	/* Hiragana and kanji have no half-width form: kept. */
	check(width_kana_to_half, "がっこう学校", "がっこう学校");
	/* Round trip through the full-width direction. */
	check(width_kana_to_full, "ｶﾞｯｺｳ ﾊﾟﾝ ｳﾞｨ", "ガッコウ パン ヴィ");
}

static void
test_utf8_codec(void **state)
{
	uint32_t cp;
	char out[4];

	(void)state;
	assert_int_equal(width_utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(width_utf8_decode("é", 2, &cp), 2);
	assert_int_equal(cp, 0xE9);
	assert_int_equal(width_utf8_decode("令", 3, &cp), 3);
	assert_int_equal(cp, 0x4EE4);
	assert_int_equal(width_utf8_decode("😀", 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(width_utf8_decode("😀", 3, &cp), 0);	/* short */
	assert_int_equal(width_utf8_decode("\xC0\x80", 2, &cp), 0);
	assert_int_equal(width_utf8_decode("\xF4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(width_utf8_decode("\x80", 1, &cp), 0);
	assert_int_equal(width_utf8_encode(0x1F600, out), 4);
	assert_memory_equal(out, "😀", 4);
	assert_int_equal(width_utf8_encode(0x3000, out), 3);
	assert_memory_equal(out, "\xE3\x80\x80", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_half),
		cmocka_unit_test(test_to_full),
		cmocka_unit_test(test_round_trip_ascii),
		cmocka_unit_test(test_kana_to_full),
		cmocka_unit_test(test_kana_table_complete),
		cmocka_unit_test(test_kana_to_half),
		cmocka_unit_test(test_invalid_bytes_pass_through),
		cmocka_unit_test(test_utf8_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
