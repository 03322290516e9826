/*
 * test_csv.c - the RFC 4180 parser and writer on the corner cases real
 * spreadsheets produce, and the positions of their errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "csv.h"

/* Parse s (a C string) with delim and expect success. */
static void
parse_ok(const char *s, char delim, struct csv_table *t)
{
	struct csv_error err = { 0, 0, "" };

	if (csv_parse(s, strlen(s), delim, t, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
}

/* Assert that row r of t holds exactly the n given fields. */
static void
assert_row(const struct csv_table *t, size_t r, size_t n, ...)
{
	va_list ap;

	assert_true(r < t->nrows);
	assert_int_equal(t->rows[r].nfields, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(t->rows[r].fields[i], va_arg(ap, char *));
	va_end(ap);
}

static void
test_simple(void **state)
{
	struct csv_table t;

	(void)state;
	parse_ok("a,b,c\r\n1,2,3\r\n", ',', &t);
	assert_int_equal(t.nrows, 2);
	assert_row(&t, 0, 3, "a", "b", "c");
	assert_row(&t, 1, 3, "1", "2", "3");
	assert_int_equal(t.rows[1].line, 2);
	csv_table_free(&t);
	assert_null(t.rows);
	assert_int_equal(t.nrows, 0);
}

static void
test_quoted_commas_and_quotes(void **state)
{
	struct csv_table t;

	(void)state;
	parse_ok("\"Tanaka, Taro\",\"say \"\"hi\"\"\",\"\"\n", ',', &t);
	assert_int_equal(t.nrows, 1);
	assert_row(&t, 0, 3, "Tanaka, Taro", "say \"hi\"", "");
	csv_table_free(&t);
}

static void
test_embedded_crlf(void **state)
{
	struct csv_table t;

	(void)state;
	parse_ok("id,addr\r\n1,\"札幌市\r\n中央区\"\r\n2,x\r\n", ',', &t);
	assert_int_equal(t.nrows, 3);
	assert_row(&t, 1, 2, "1", "札幌市\r\n中央区");
	/* The record after a quoted line break starts on physical line 4. */
	assert_int_equal(t.rows[2].line, 4);
	assert_row(&t, 2, 2, "2", "x");
	csv_table_free(&t);
}

static void
test_bom_and_no_final_newline(void **state)
{
	struct csv_table t;

	(void)state;
	parse_ok("\xEF\xBB\xBFname,age\n太郎,30", ',', &t);
	assert_int_equal(t.nrows, 2);
	assert_row(&t, 0, 2, "name", "age");
	assert_row(&t, 1, 2, "太郎", "30");
	csv_table_free(&t);

	/* A quoted last field without a line end. */
	parse_ok("a,\"b\"", ',', &t);
	assert_row(&t, 0, 2, "a", "b");
	csv_table_free(&t);
}

static void
test_empty_fields_and_lines(void **state)
{
	struct csv_table t;

	(void)state;
	parse_ok(",,\n\na,\n,", ',', &t);
	assert_int_equal(t.nrows, 4);
	assert_row(&t, 0, 3, "", "", "");
	assert_true(csv_row_is_empty(&t.rows[0]));
	assert_row(&t, 1, 1, "");
	assert_true(csv_row_is_empty(&t.rows[1]));
	assert_row(&t, 2, 2, "a", "");
	assert_false(csv_row_is_empty(&t.rows[2]));
	assert_row(&t, 3, 2, "", "");
	csv_table_free(&t);

	parse_ok("", ',', &t);
	assert_int_equal(t.nrows, 0);
	csv_table_free(&t);
}

static void
test_line_ends(void **state)
{
	struct csv_table t;

	(void)state;
	/* LF, CRLF and a lone CR (old Mac exports) all end records. */
	parse_ok("a\nb\r\nc\rd", ',', &t);
	assert_int_equal(t.nrows, 4);
	assert_row(&t, 2, 1, "c");
	assert_row(&t, 3, 1, "d");
	assert_int_equal(t.rows[3].line, 4);
	csv_table_free(&t);
}

static void
test_delimiter(void **state)
{
	struct csv_table t;

	(void)state;
	parse_ok("a\tb,c\t\"d\te\"\n", '\t', &t);
	assert_row(&t, 0, 3, "a", "b,c", "d\te");
	csv_table_free(&t);
	parse_ok("x;\"y;z\"\n", ';', &t);
	assert_row(&t, 0, 2, "x", "y;z");
	csv_table_free(&t);
}

static void
test_lenient_inner_quote(void **state)
{
	struct csv_table t;

	(void)state;
	/* A quote in the middle of an unquoted field is kept as is. */
	parse_ok("5\" disk,ok\n", ',', &t);
	assert_row(&t, 0, 2, "5\" disk", "ok");
	csv_table_free(&t);
}

static void
test_unterminated_quote(void **state)
{
	struct csv_error err;
	struct csv_table t;
	const char *s = "a,b\nc,d\nab,cd,\"open\nmore\n";

	(void)state;
	assert_int_equal(csv_parse(s, strlen(s), ',', &t, &err), -1);
	/* The error points at the opening quote: line 3, column 7. */
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 7);
	assert_non_null(strstr(err.msg, "unterminated quoted field"));
	assert_non_null(strstr(err.msg, "3:7"));
	/* The records before the error are kept, and freed by the caller. */
	assert_int_equal(t.nrows, 2);
	csv_table_free(&t);
}

static void
test_junk_after_quote(void **state)
{
	struct csv_error err;
	struct csv_table t;
	const char *s = "id,name\n1,\"abc\"d,e\n";

	(void)state;
	assert_int_equal(csv_parse(s, strlen(s), ',', &t, &err), -1);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 8);
	assert_non_null(strstr(err.msg, "unexpected 'd' after a closing "
	    "quote at 2:8"));
	csv_table_free(&t);
}

static void
test_position_after_quoted_newline(void **state)
{
	struct csv_error err;
	struct csv_table t;
	/* The junk is on the third physical line of the second record; the
	 * quoted field holds a CRLF and a lone CR. */
	const char *s = "h1,h2\r\n1,\"a\r\nb\rcd\"x\r\n";

	(void)state;
	assert_int_equal(csv_parse(s, strlen(s), ',', &t, &err), -1);
	assert_int_equal(err.line, 4);
	assert_int_equal(err.col, 4);
	assert_non_null(strstr(err.msg, "unexpected 'x'"));
	csv_table_free(&t);
}

static void
test_columns_count_characters(void **state)
{
	struct csv_error err;
	struct csv_table t;
	/* Four kanji of three bytes each come before the stray x. */
	const char *s = "氏名,\"山田\"x\n";

	(void)state;
	assert_int_equal(csv_parse(s, strlen(s), ',', &t, &err), -1);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 8);
	assert_non_null(strstr(err.msg, "'x'"));
	csv_table_free(&t);
}

static void
test_nul_byte(void **state)
{
	struct csv_error err;
	struct csv_table t;
	/* "ab" in UTF-16LE. */
	const char s[] = { 'a', 0, 'b', 0 };

	(void)state;
	assert_int_equal(csv_parse(s, sizeof s, ',', &t, &err), -1);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 2);
	assert_non_null(strstr(err.msg, "UTF-16"));
	csv_table_free(&t);
}

static void
test_bad_delimiter(void **state)
{
	struct csv_error err;
	struct csv_table t;

	(void)state;
	assert_int_equal(csv_parse("a", 1, '"', &t, &err), -1);
	assert_non_null(strstr(err.msg, "delimiter"));
	csv_table_free(&t);
}

static void
test_writer_quotes_when_needed(void **state)
{
	const char *fields[] = { "plain", "a,b", "say \"hi\"", "two\nlines",
	    "", NULL, "札幌" };
	struct csv_writer w;
	struct buf b;

	(void)state;
	csv_writer_init(&w);
	buf_init(&b, 0);
	assert_int_equal(csv_write_row(&w, &b, fields, 7), 0);
	assert_string_equal(buf_str(&b), "plain,\"a,b\",\"say \"\"hi\"\"\","
	    "\"two\nlines\",,,札幌\r\n");
	buf_free(&b);
}

static void
test_writer_options(void **state)
{
	const char *fields[] = { "a", "b;c", "" };
	const char *lone[] = { "" };
	struct csv_writer w;
	struct buf b;

	(void)state;
	csv_writer_init(&w);
	w.quote_all = 1;
	w.eol = "\n";
	buf_init(&b, 0);
	assert_int_equal(csv_write_row(&w, &b, fields, 3), 0);
	assert_string_equal(buf_str(&b), "\"a\",\"b;c\",\"\"\n");
	buf_reset(&b);
	csv_writer_init(&w);
	w.delim = ';';
	assert_int_equal(csv_write_row(&w, &b, fields, 3), 0);
	assert_string_equal(buf_str(&b), "a;\"b;c\";\r\n");
	buf_reset(&b);
	/* A record of one empty field must not become an empty line. */
	assert_int_equal(csv_write_row(&w, &b, lone, 1), 0);
	assert_string_equal(buf_str(&b), "\"\"\r\n");
	buf_free(&b);
}

static void
test_writer_cap(void **state)
{
	const char *fields[] = { "0123456789", "0123456789" };
	struct csv_writer w;
	struct buf b;

	(void)state;
	csv_writer_init(&w);
	buf_init(&b, 16);
	assert_int_equal(csv_write_row(&w, &b, fields, 2), -1);
	assert_true(b.len <= 16);
	buf_free(&b);
}

static void
test_round_trip(void **state)
{
	const char *rows[3][3] = {
		{ "id", "名前", "備考" },
		{ "1", "山田, 太郎", "line1\r\nline2" },
		{ "2", "\"quoted\"", "" },
	};
	struct csv_writer w;
	struct csv_table t;
	struct buf b;

	(void)state;
	csv_writer_init(&w);
	buf_init(&b, 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(csv_write_row(&w, &b, rows[i], 3), 0);
	parse_ok(buf_str(&b), ',', &t);
	assert_int_equal(t.nrows, 3);
	for (size_t i = 0; i < 3; i++)
		assert_row(&t, i, 3, rows[i][0], rows[i][1], rows[i][2]);
	csv_table_free(&t);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_quoted_commas_and_quotes),
		cmocka_unit_test(test_embedded_crlf),
		cmocka_unit_test(test_bom_and_no_final_newline),
		cmocka_unit_test(test_empty_fields_and_lines),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_delimiter),
		cmocka_unit_test(test_lenient_inner_quote),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_junk_after_quote),
		cmocka_unit_test(test_position_after_quoted_newline),
		cmocka_unit_test(test_columns_count_characters),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_bad_delimiter),
		cmocka_unit_test(test_writer_quotes_when_needed),
		cmocka_unit_test(test_writer_options),
		cmocka_unit_test(test_writer_cap),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
