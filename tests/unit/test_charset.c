/*
 * test_charset.c - Shift_JIS/CP932 round trips through iconv (with the
 * Windows-only characters Japanese spreadsheets use), error offsets, and
 * the UTF-8 / CP932 guess.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "charset.h"

/* 株式会社 in UTF-8 and in CP932, byte for byte. */
#define KABU_UTF8	"\xE6\xA0\xAA\xE5\xBC\x8F\xE4\xBC\x9A\xE7\xA4\xBE"
#define KABU_SJIS	"\x8A\x94\x8E\xAE\x89\xEF\x8E\xD0"

static void
test_sjis_known_bytes(void **state)
{
	char err[256], *out;
	size_t len;

	(void)state;
	assert_int_equal(charset_convert("utf-8", "shift_jis", KABU_UTF8,
	    strlen(KABU_UTF8), &out, &len, err, sizeof err), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(out, KABU_SJIS, 8);
	assert_int_equal(out[len], '\0');
	free(out);
	assert_int_equal(charset_convert("sjis", "utf-8", KABU_SJIS, 8, &out,
	    &len, err, sizeof err), 0);
	assert_string_equal(out, "株式会社");
	free(out);
}

static void
test_cp932_extras_round_trip(void **state)
{
	/* Circled digit, the ㈱ sign, the IBM kanji 髙, full-width digits,
	 * a wave dash, half-width katakana and plain ASCII. */
	const char *text = "①②㈱髙橋 １２３ 〜～ ｶﾀｶﾅ abc\r\n";
	/* ① 0x8740, ㈱ 0x878A, 髙 0xFBFC, １ 0x8250 in CP932. */
	const unsigned char expect[] = { 0x87, 0x40, 0x87, 0x41, 0x87, 0x8A,
	    0xFB, 0xFC, 0x8B, 0xB4, 0x20, 0x82, 0x50, 0x82, 0x51, 0x82, 0x52 };
	char err[256], *sjis, *back;
	size_t slen, blen;

	(void)state;
	assert_int_equal(charset_convert("utf-8", "shift_jis", text,
	    strlen(text), &sjis, &slen, err, sizeof err), 0);
	assert_memory_equal(sjis, expect, sizeof expect);
	assert_int_equal(charset_convert("cp932", "utf-8", sjis, slen, &back,
	    &blen, err, sizeof err), 0);
	/* 〜 (U+301C) comes back as ～ (U+FF5E): CP932 has one wave dash. */
	assert_string_equal(back, "①②㈱髙橋 １２３ ～～ ｶﾀｶﾅ abc\r\n");
	free(back);
	free(sjis);
}

static void
test_euc_jp(void **state)
{
	char err[256], *euc, *back;
	size_t elen, blen;

	(void)state;
	assert_int_equal(charset_convert("utf-8", "euc-jp", "日本語", 9, &euc,
	    &elen, err, sizeof err), 0);
	assert_int_equal(elen, 6);
	assert_memory_equal(euc, "\xC6\xFC\xCB\xDC\xB8\xEC", 6);
	assert_int_equal(charset_convert("EUC-JP", "utf-8", euc, elen, &back,
	    &blen, err, sizeof err), 0);
	assert_string_equal(back, "日本語");
	free(back);
	free(euc);
}

static void
test_unconvertible_names_offset(void **state)
{
	/* The emoji starts at byte 16, on the second line. */
	const char *text = "abc\n株式会社😀x";
	char err[256], *out = (char *)1;
	size_t len, off = 0;

	(void)state;
	assert_int_equal(charset_convert_at("utf-8", "shift_jis", text,
	    strlen(text), &out, &len, &off, err, sizeof err), -1);
	assert_null(out);
	assert_int_equal(off, 16);
	assert_non_null(strstr(err, "'😀' (U+1F600)"));
	assert_non_null(strstr(err, "byte offset 16 (line 2)"));
	assert_non_null(strstr(err, "no equivalent in shift_jis"));
}

static void
test_invalid_input_names_bytes(void **state)
{
	/* 0x82 expects a trail byte; a line feed is not one. */
	const char sjis[] = "ok\n\x82\n";
	char err[256], *out;
	size_t len, off = 0;

	(void)state;
	assert_int_equal(charset_convert_at("cp932", "utf-8", sjis,
	    sizeof sjis - 1, &out, &len, &off, err, sizeof err), -1);
	assert_int_equal(off, 3);
	assert_non_null(strstr(err, "invalid cp932 text"));
	assert_non_null(strstr(err, "0x82"));
	assert_non_null(strstr(err, "byte offset 3 (line 2)"));
}

static void
test_invalid_utf8(void **state)
{
	const char bad[] = "abc\xFF" "def";
	const char cut[] = "ab\xE3\x81";
	char err[256], *out;
	size_t len, off = 0;

	(void)state;
	assert_int_equal(charset_convert_at("utf-8", "utf-8", bad,
	    sizeof bad - 1, &out, &len, &off, err, sizeof err), -1);
	assert_int_equal(off, 3);
	assert_non_null(strstr(err, "invalid utf-8 text (bytes 0xff"));
	assert_int_equal(charset_convert_at("utf-8", "cp932", cut,
	    sizeof cut - 1, &out, &len, &off, err, sizeof err), -1);
	assert_int_equal(off, 2);
	assert_non_null(strstr(err, "incomplete utf-8 sequence"));
}

static void
test_unknown_encoding(void **state)
{
	char err[256], *out;
	size_t len;

	(void)state;
	assert_int_equal(charset_convert("utf-8", "klingon", "a", 1, &out,
	    &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown encoding 'klingon'"));
	assert_false(charset_known("klingon"));
	assert_true(charset_known("auto"));
	assert_true(charset_known("Shift_JIS"));
}

static void
test_detect(void **state)
{
	const char sjis[] = "\x83\x65\x83\x58\x83\x67";	/* テスト */

	(void)state;
	assert_string_equal(charset_detect_japanese("テスト", 9), "utf-8");
	assert_string_equal(charset_detect_japanese("\xEF\xBB\xBF" "a", 4),
	    "utf-8");
	assert_string_equal(charset_detect_japanese("plain,ascii\n", 12),
	    "utf-8");
	assert_string_equal(charset_detect_japanese("", 0), "utf-8");
	assert_string_equal(charset_detect_japanese(sjis, 6), "cp932");
	assert_string_equal(charset_detect_japanese(KABU_SJIS, 8), "cp932");
}

static void
test_decode_auto_and_bom(void **state)
{
	char err[256], *out;
	size_t len;

	(void)state;
	assert_int_equal(charset_decode("auto", KABU_SJIS, 8, &out, &len, err,
	    sizeof err), 0);
	assert_string_equal(out, "株式会社");
	free(out);
	assert_int_equal(charset_decode("auto", "\xEF\xBB\xBF" "id", 5, &out,
	    &len, err, sizeof err), 0);
	assert_string_equal(out, "id");
	assert_int_equal(len, 2);
	free(out);
	assert_int_equal(charset_decode("utf-8", "\xEF\xBB\xBF" "x", 4, &out,
	    &len, err, sizeof err), 0);
	assert_string_equal(out, "x");
	free(out);
}

static void
test_encode_bom(void **state)
{
	char err[256], *out;
	size_t len, off;

	(void)state;
	assert_int_equal(charset_encode("utf-8-bom", "a,b", 3, &out, &len,
	    &off, err, sizeof err), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "\xEF\xBB\xBF" "a,b", 6);
	free(out);
	assert_int_equal(charset_encode("auto", "a", 1, &out, &len, &off, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "for reading"));
}

static void
test_utf8_validation(void **state)
{
	size_t off = 99, len;
	char *s;

	(void)state;
	assert_true(charset_utf8_valid("髙①", 6, NULL));
	/* Overlong '/', a surrogate, and a value past U+10FFFF. */
	assert_false(charset_utf8_valid("a\xC0\xAF", 3, &off));
	assert_int_equal(off, 1);
	assert_false(charset_utf8_valid("\xED\xA0\x80", 3, &off));
	assert_int_equal(off, 0);
	assert_false(charset_utf8_valid("\xF4\x90\x80\x80", 4, &off));
	s = charset_utf8_sanitize("a\xFF" "b", 3, &len);
	assert_string_equal(s, "a\xEF\xBF\xBD" "b");
	assert_int_equal(len, 5);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sjis_known_bytes),
		cmocka_unit_test(test_cp932_extras_round_trip),
		cmocka_unit_test(test_euc_jp),
		cmocka_unit_test(test_unconvertible_names_offset),
		cmocka_unit_test(test_invalid_input_names_bytes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_unknown_encoding),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_decode_auto_and_bom),
		cmocka_unit_test(test_encode_bom),
		cmocka_unit_test(test_utf8_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
