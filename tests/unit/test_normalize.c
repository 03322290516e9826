/*
 * test_normalize.c - field kinds: how OCR text becomes values, and what is
 * refused so that it goes to a person instead of a database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "normalize.h"
#include "xmalloc.h"

static void
spec_init(struct norm_spec *s, enum norm_kind kind)
{
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->decimals = -1;
}

/* Assert raw normalises to the canonical text want. */
static void
ok(const struct norm_spec *spec, const char *raw, const char *want)
{
	json_t *v = NULL;
	unsigned flags;
	char err[256], *got;

	if (norm_apply(spec, raw, &v, &flags, err, sizeof err) != 0)
		fail_msg("%s '%s' was refused: %s", norm_kind_name(spec->kind),
		    raw, err);
	got = norm_value_text(v);
	if (strcmp(got, want) != 0)
		fail_msg("%s '%s' gave '%s', expected '%s'",
		    norm_kind_name(spec->kind), raw, got, want);
	free(got);
	json_decref(v);
}

/* Assert raw is refused, with a reason containing why. */
static void
bad(const struct norm_spec *spec, const char *raw, const char *why)
{
	json_t *v = NULL;
	unsigned flags;
	char err[256];

	if (norm_apply(spec, raw, &v, &flags, err, sizeof err) == 0) {
		char *got = norm_value_text(v);

		fail_msg("%s '%s' was accepted as '%s'",
		    norm_kind_name(spec->kind), raw, got);
	}
	assert_null(v);
	if (strstr(err, why) == NULL)
		fail_msg("%s '%s': reason '%s' lacks '%s'",
		    norm_kind_name(spec->kind), raw, err, why);
}

static void
test_kind_names(void **state)
{
	enum norm_kind k;

	(void)state;
	assert_int_equal(norm_kind_parse("era_date", &k), 0);
	assert_int_equal(k, NORM_ERA_DATE);
	assert_string_equal(norm_kind_name(NORM_POSTAL), "postal");
	assert_int_equal(norm_kind_parse("money", &k), -1);
}

static void
test_text(void **state)
{
	struct norm_spec s;

	(void)state;
	spec_init(&s, NORM_TEXT);
	ok(&s, "  山田　太郎 ", "山田 太郎");
	ok(&s, "ＡＢＣ　Ｃｏｒｐ", "ABC Corp");
	/* Dashes between the digits of a house number, and the gaps OCR
	 * leaves around them. */
	ok(&s, "兵庫県神戸市中央区三宮町4一6 一16", "兵庫県神戸市中央区三宮町4-6-16");
	ok(&s, "梅田１－２－３", "梅田1-2-3");
	/* Remains of box edges standing alone at either end. */
	ok(&s, "Initech LLC -", "Initech LLC");
	ok(&s, "| 太田 結衣 |", "太田 結衣");
	ok(&s, ".東京都新宿区", "東京都新宿区");
	/* A katakana long vowel is not a dash. */
	ok(&s, "ユーリ", "ユーリ");
	bad(&s, "   ", "empty");
	bad(&s, "| -", "only marks");
}

static void
test_number(void **state)
{
	struct norm_spec s;

	(void)state;
	spec_init(&s, NORM_NUMBER);
	ok(&s, "1,234,567", "1234567");
	ok(&s, "１２３４", "1234");
	ok(&s, "-12.50", "-12.5");
	bad(&s, "1,23,456", "thousands separator");
	bad(&s, "12a4", "not a number");
	bad(&s, "1,2345", "thousands separator");
	bad(&s, "123 4567", "a space inside a number");
}

static void
test_amount(void **state)
{
	struct norm_spec s;

	(void)state;
	spec_init(&s, NORM_AMOUNT);
	ok(&s, "¥1,234,000", "1234000");
	ok(&s, "￥１，２３４，０００", "1234000");
	ok(&s, "金1,500円也", "1500");
	ok(&s, "１，６８２，０００円", "1682000");
	ok(&s, "¥12,000-", "12000");
	ok(&s, "$24,763.38", "24763.38");
	ok(&s, "△3,000", "-3000");
	bad(&s, "1,63,000円", "not an amount");
	bad(&s, "円", "not an amount");
	/* A space between digits is a lost separator or digit: "9097 2523"
	 * was a misread of 9,097,353.  Spaces after a mark are not. */
	bad(&s, "9097 2523", "a space inside an amount");
	bad(&s, "¥1,234 567", "a space inside an amount");
	bad(&s, "１２ ３４５円", "a space inside an amount");
	ok(&s, "¥ 1,234,567", "1234567");
	ok(&s, "1,234,567 円", "1234567");

	/* Yen: no decimals, so a point is a misread comma. */
	s.decimals = 0;
	ok(&s, "金1.609,000円", "1609000");
	bad(&s, "1634.000円", "not an amount");
	/* Dollars: two decimals when there are any. */
	s.decimals = 2;
	ok(&s, "$100", "100");
	ok(&s, "$1,234.50", "1234.5");
	bad(&s, "$1,234.5", "decimals");
}

static void
test_amount_points(void **state)
{
	struct norm_spec s;
	json_t *v;
	unsigned flags;
	char err[256];

	(void)state;
	spec_init(&s, NORM_AMOUNT);
	s.decimals = 0;
	assert_int_equal(norm_apply(&s, "1,609,000円", &v, &flags, err,
	    sizeof err), 0);
	assert_int_equal(flags & NORM_FUZZY, 0);
	json_decref(v);
	/* With no decimals, a point groups thousands: not a correction. */
	assert_int_equal(norm_apply(&s, "1.609.000円", &v, &flags, err,
	    sizeof err), 0);
	assert_int_equal(flags & NORM_FUZZY, 0);
	assert_int_equal(json_integer_value(v), 1609000);
	json_decref(v);
}

static void
test_date(void **state)
{
	struct norm_spec s;

	(void)state;
	spec_init(&s, NORM_DATE);
	ok(&s, "2024-04-01", "2024-04-01");
	ok(&s, "2024/4/1", "2024-04-01");
	ok(&s, "2024年4月1日", "2024-04-01");
	ok(&s, "March 14, 2024", "2024-03-14");
	ok(&s, "1 Oct 2022,", "2022-10-01");
	ok(&s, "Sept 3 2025", "2025-09-03") ;
	ok(&s, "4/1/2024", "2024-04-01");
	s.dmy = 1;
	ok(&s, "4/1/2024", "2024-01-04");
	bad(&s, "2024-13-01", "not a date");
	bad(&s, "2023-02-29", "not a date");
	bad(&s, "23Nov20260 2", "not a date");
}

static void
test_era_date(void **state)
{
	struct norm_spec s;

	(void)state;
	spec_init(&s, NORM_ERA_DATE);
	ok(&s, "令和5年4月1日", "2023-04-01");
	ok(&s, "令和元年5月1日", "2019-05-01");
	ok(&s, "昭和2 6 年12月23日", "1951-12-23");
	ok(&s, "平成３１年４月３０日", "2019-04-30");
	ok(&s, "R6.4.1", "2024-04-01");
	ok(&s, "2024年4月1日", "2024-04-01");
	bad(&s, "平成31年5月1日", "not an era date");
	bad(&s, "和5年9月2日", "not an era date");
}

static void
test_phone(void **state)
{
	struct norm_spec s;

	(void)state;
	spec_init(&s, NORM_PHONE);
	ok(&s, "03-1234-5678", "03-1234-5678");
	ok(&s, "０３－１２３４－５６７８", "03-1234-5678");
	ok(&s, "092一426一4653", "092-426-4653");
	ok(&s, "03(1234)5678", "03-1234-5678");
	ok(&s, "(518) 784-0069", "518-784-0069");
	ok(&s, "0312345678", "0312345678");
	ok(&s, "090-1234-5678", "090-1234-5678");
	ok(&s, "0120-123-456", "0120-123-456");
	ok(&s, "+81 3 1234 5678", "+81-3-1234-5678");
	bad(&s, "03-1234", "digits");
	bad(&s, "092-4261ユ1-4653", "not a phone number");
	/* A digit lost or doubled by OCR leaves a count no plan uses. */
	bad(&s, "03-1234-567", "(9 digits)");
	bad(&s, "03-1234-56789", "(11 digits)");
	bad(&s, "090-1234-567", "(10 digits)");
	/* A group split by a gap: one separator style, or OCR's doing. */
	bad(&s, "06-21 16-7158", "a space among its hyphens");
	bad(&s, "212.555 0147", "a space among its hyphens");
	ok(&s, "212 555 0147", "212-555-0147");
	ok(&s, "(03) 1234-5678", "03-1234-5678");
	bad(&s, "(518) 784-00699", "(11 digits)");
}

static void
test_check_digits(void **state)
{
	enum checkdigit_kind k;

	(void)state;
	/* 国税庁's own 法人番号. */
	assert_int_equal(checkdigit_jp_corporate("000012050002"), 7);
	assert_true(checkdigit_ok(CHECKDIGIT_JP_CORPORATE, "7000012050002",
	    13));
	assert_false(checkdigit_ok(CHECKDIGIT_JP_CORPORATE, "7000012050003",
	    13));
	assert_false(checkdigit_ok(CHECKDIGIT_JP_CORPORATE, "700001205000",
	    12));
	assert_true(checkdigit_ok(CHECKDIGIT_LUHN, "79927398713", 11));
	assert_false(checkdigit_ok(CHECKDIGIT_LUHN, "79927398710", 11));
	assert_true(checkdigit_ok(CHECKDIGIT_MOD11, "0306406152", 10));
	assert_false(checkdigit_ok(CHECKDIGIT_MOD11, "0306406153", 10));
	assert_false(checkdigit_ok(CHECKDIGIT_LUHN, "7992a398713", 11));
	assert_true(checkdigit_telling(CHECKDIGIT_JP_CORPORATE,
	    "6123456781234", 13));
	assert_false(checkdigit_telling(CHECKDIGIT_JP_CORPORATE,
	    "7000012050002", 13));
	assert_false(checkdigit_telling(CHECKDIGIT_LUHN, "1209", 4));
	assert_int_equal(checkdigit_parse("jp_corporate", &k), 0);
	assert_int_equal(k, CHECKDIGIT_JP_CORPORATE);
	assert_int_equal(checkdigit_parse("crc", &k), -1);
}

static void
test_business_numbers(void **state)
{
	struct norm_spec s;
	json_t *v;
	unsigned flags;
	char err[256];

	(void)state;
	spec_init(&s, NORM_REGISTRATION_NO);
	ok(&s, "T7000012050002", "T7000012050002");
	ok(&s, "Ｔ７０００－０１２０－５０００２", "T7000012050002");
	ok(&s, "登録番号：T7000012050002", "T7000012050002");
	ok(&s, "T 7000 0120 50002", "T7000012050002");
	/* The check digit is an opinion of its own only when it would have
	 * caught the usual misreads: mod 9 cannot tell 0 from 9. */
	assert_int_equal(norm_apply(&s, "T6123456781234", &v, &flags, err,
	    sizeof err), 0);
	assert_true(flags & NORM_CHECKED);
	json_decref(v);
	assert_int_equal(norm_apply(&s, "T7000012050002", &v, &flags, err,
	    sizeof err), 0);
	assert_false(flags & NORM_CHECKED);
	json_decref(v);
	assert_int_equal(norm_apply(&s, "T7999912959992", &v, &flags, err,
	    sizeof err), 0);
	json_decref(v);
	/* One digit misread: the check digit catches it, never ok. */
	bad(&s, "T7000012080002", "fails its check digit");
	bad(&s, "T700001205002", "T and 13 digits");
	bad(&s, "7000012050002", "T and 13 digits");

	spec_init(&s, NORM_CORPORATE_NO);
	ok(&s, "7000-01-205000-2", "7000012050002");
	bad(&s, "7000012050009", "fails its check digit");
	bad(&s, "70000120500", "a corporate number");

	spec_init(&s, NORM_BANK_CODE);
	ok(&s, "０００５", "0005");
	bad(&s, "005", "a bank code (4 digits)");
	spec_init(&s, NORM_BRANCH_CODE);
	ok(&s, "123", "123");
	bad(&s, "12a", "a branch code");
	spec_init(&s, NORM_ACCOUNT_NO);
	ok(&s, "1234567", "1234567");
	bad(&s, "123456", "an account number (7 digits)");

	/* Codes and numbers may name a scheme. */
	spec_init(&s, NORM_CODE);
	s.check = CHECKDIGIT_LUHN;
	ok(&s, "7992-7398-713", "7992-7398-713");
	bad(&s, "7992-7398-710", "does not check (luhn)");
	spec_init(&s, NORM_NUMBER);
	s.check = CHECKDIGIT_LUHN;
	ok(&s, "79927398713", "79927398713");
	bad(&s, "79927398714", "does not check");
}

static void
test_postal(void **state)
{
	struct norm_spec s;

	(void)state;
	spec_init(&s, NORM_POSTAL);
	ok(&s, "〒100-0005", "100-0005");
	ok(&s, "１０００００５", "100-0005");
	ok(&s, "T359-6629", "359-6629");
	ok(&s, "〒927--7303", "927-7303");
	ok(&s, "90210", "90210");
	bad(&s, "100-005", "not a postal code");
	bad(&s, "1000-005", "not a postal code");
}

static void
test_code_list(void **state)
{
	struct norm_spec s;
	char *list[] = { "新規", "継続", "変更" };
	char *cur[] = { "USD", "EUR", "GBP" };
	json_t *v;
	unsigned flags;
	char err[256];

	(void)state;
	spec_init(&s, NORM_CODE);
	s.list = list;
	s.nlist = 3;
	ok(&s, "継続", "継続");
	ok(&s, " 変更 ", "変更");
	/* Two-character codes are too short to correct. */
	bad(&s, "継統", "not one of the listed codes");
	s.list = cur;
	ok(&s, "GBP", "GBP");
	/* One wrong character of three: the only code that close. */
	assert_int_equal(norm_apply(&s, "G8P", &v, &flags, err, sizeof err),
	    0);
	assert_string_equal(json_string_value(v), "GBP");
	assert_int_equal(flags & NORM_FUZZY, NORM_FUZZY);
	json_decref(v);
	bad(&s, "JPY", "not one of the listed codes");
	s.list = NULL;
	s.nlist = 0;
}

static void
test_pattern_and_repair(void **state)
{
	struct norm_spec s;
	char err[256];
	json_t *v;
	unsigned flags;

	(void)state;
	spec_init(&s, NORM_CODE);
	s.pattern = xstrdup("^REF-[A-Z]{3}-[0-9]{4}$");
	assert_int_equal(norm_spec_compile(&s, err, sizeof err), 0);
	ok(&s, "REF-PZM-2299", "REF-PZM-2299");
	/* Look-alikes put right when only one spelling fits. */
	assert_int_equal(norm_apply(&s, "REF-FIl-2541", &v, &flags, err,
	    sizeof err), 0);
	assert_string_equal(json_string_value(v), "REF-FII-2541");
	assert_int_equal(flags & NORM_FUZZY, NORM_FUZZY);
	json_decref(v);
	ok(&s, "REF-ABC-2O19", "REF-ABC-2019");
	bad(&s, "REF-AB-2019", "does not match the pattern");
	norm_spec_free(&s);

	spec_init(&s, NORM_CODE);
	s.pattern = xstrdup("([");
	assert_int_equal(norm_spec_compile(&s, err, sizeof err), -1);
	norm_spec_free(&s);
}

static void
test_whitelist(void **state)
{
	struct norm_spec s;

	(void)state;
	spec_init(&s, NORM_TEXT);
	s.whitelist = xstrdup("ァ-ヶー ");
	ok(&s, "ヤマダ　タロウ", "ヤマダ タロウ");
	ok(&s, "ユーリ", "ユーリ");
	bad(&s, "「シカワ コウジ", "whitelist");
	bad(&s, "イフ2エ", "whitelist");
	norm_spec_free(&s);
}

static void
test_value_text(void **state)
{
	json_t *v;
	char *s;

	(void)state;
	v = json_real(1234.5);
	s = norm_value_text(v);
	assert_string_equal(s, "1234.5");
	free(s);
	json_decref(v);
	v = json_integer(-7);
	s = norm_value_text(v);
	assert_string_equal(s, "-7");
	free(s);
	json_decref(v);
	s = norm_value_text(json_true());
	assert_string_equal(s, "true");
	free(s);
}

static void
test_distance_and_digit_runs(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(norm_distance("継続", "継統", 2), 1);
	assert_int_equal(norm_distance("abc", "abc", 2), 0);
	assert_int_equal(norm_distance("abcdef", "a", 2), 3);
	s = norm_digit_run("—22—-16");
	assert_string_equal(s, "22-16");
	free(s);
	s = norm_digit_run(" |1－22－16. ");
	assert_string_equal(s, "1-22-16");
	free(s);
	assert_null(norm_digit_run("A)MAS 1-22"));
	assert_null(norm_digit_run("—"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_amount),
		cmocka_unit_test(test_amount_points),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_era_date),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_check_digits),
		cmocka_unit_test(test_business_numbers),
		cmocka_unit_test(test_postal),
		cmocka_unit_test(test_code_list),
		cmocka_unit_test(test_pattern_and_repair),
		cmocka_unit_test(test_whitelist),
		cmocka_unit_test(test_value_text),
		cmocka_unit_test(test_distance_and_digit_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
