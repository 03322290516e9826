/*
 * test_expr.c - the ${...} expression language: operators and precedence,
 * member and index access, every function, syntax and evaluation errors
 * with their offsets, templates, the names templates report, and speed.
 *
 * Results are compared as JSON values with their types: 3 (an integer) is
 * not 3.0 (a real) here, so integer-preserving arithmetic is asserted too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <regex.h>
#include <time.h>
#include <cmocka.h>

#include "expr.h"

/* The names the expressions under test can reach. */
static const char scope_json[] =
    "{"
    "\"params\": {\"name\": \"山田\", \"count\": 3, \"flag\": true},"
    "\"env\": {\"HOME\": \"/home/kobito\"},"
    "\"steps\": {\"rows\": {\"output\": [{\"id\": 1, \"name\": \"a\"},"
    "    {\"id\": 2, \"name\": \"b\"}]}},"
    "\"row\": {\"name\": \" ＡＢＣ \", \"氏名\": \"山田 太郎\","
    "    \"amount\": \"¥1,234\", \"empty\": \"\", \"nothing\": null,"
    "    \"in\": 7, \"a-b\": \"dash\"},"
    "\"list\": [1, 2, 3], \"words\": [\"a\", \"b\", \"c\"],"
    "\"obj\": {\"a\": 1, \"b\": 2}, \"n\": 5, \"x\": 2.5, \"s\": \"hello\","
    "\"zero\": 0, \"big\": 9223372036854775807"
    "}";

static json_t *data;

static json_t *
lookup(void *ctx, const char *name)
{
	return json_object_get(ctx, name);
}

static const struct expr_scope scope = { lookup, NULL, NULL };

static int
setup(void **state)
{
	(void)state;
	data = json_loads(scope_json, 0, NULL);
	return data == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(data);
	return 0;
}

/* Compile and evaluate src; NULL with err set on failure.  *phase says
 * which step failed: 'c' compile, 'e' evaluation. */
static json_t *
run(const char *src, struct expr_error *err, char *phase)
{
	struct expr_scope sc = scope;
	struct expr *e;
	json_t *v;

	sc.ctx = data;
	memset(err, 0, sizeof(*err));
	if ((e = expr_compile(src, err)) == NULL) {
		*phase = 'c';
		return NULL;
	}
	*phase = 'e';
	v = expr_eval(e, &sc, err);
	expr_free(e);
	return v;
}

/* The same for a template. */
static json_t *
run_tmpl(const char *src, struct expr_error *err, char *phase)
{
	struct expr_scope sc = scope;
	struct tmpl *t;
	json_t *v;

	sc.ctx = data;
	memset(err, 0, sizeof(*err));
	if ((t = tmpl_compile(src, err)) == NULL) {
		*phase = 'c';
		return NULL;
	}
	*phase = 'e';
	v = tmpl_eval(t, &sc, err);
	tmpl_free(t);
	return v;
}

/* Assert that src evaluates to the JSON value want (types included). */
static void
check_value(int line, int tmpl, const char *src, const char *want_json)
{
	struct expr_error err;
	json_error_t jerr;
	json_t *want, *got;
	char phase, *g;

	want = json_loads(want_json, JSON_DECODE_ANY, &jerr);
	if (want == NULL)
		fail_msg("line %d: bad expected JSON '%s': %s", line, want_json,
		    jerr.text);
	got = tmpl ? run_tmpl(src, &err, &phase) : run(src, &err, &phase);
	if (got == NULL)
		fail_msg("line %d: %s: %s error at %zu: %s", line, src,
		    phase == 'c' ? "compile" : "evaluation", err.offset,
		    err.msg);
	if (!json_equal(got, want)) {
		g = json_dumps(got, JSON_ENCODE_ANY);
		fail_msg("line %d: %s: got %s (%s), want %s", line, src, g,
		    json_is_real(got) ? "real" : json_is_integer(got) ?
		    "integer" : "value", want_json);
	}
	json_decref(got);
	json_decref(want);
}

/* Assert that src fails in phase ('c' or 'e') at offset with msg. */
static void
check_error(int line, int tmpl, const char *src, char want_phase,
    size_t offset, const char *msg)
{
	struct expr_error err;
	json_t *got;
	char phase, *g;

	got = tmpl ? run_tmpl(src, &err, &phase) : run(src, &err, &phase);
	if (got != NULL) {
		g = json_dumps(got, JSON_ENCODE_ANY);
		fail_msg("line %d: %s: expected an error, got %s", line, src, g);
	}
	if (phase != want_phase)
		fail_msg("line %d: %s: failed at %s, expected %s: %s", line,
		    src, phase == 'c' ? "compile time" : "evaluation",
		    want_phase == 'c' ? "compile time" : "evaluation", err.msg);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("line %d: %s: message '%s', expected '%s'", line, src,
		    err.msg, msg);
	if (err.offset != offset)
		fail_msg("line %d: %s: offset %zu, expected %zu", line, src,
		    err.offset, offset);
}

#define EQ(src, want)		check_value(__LINE__, 0, src, want)
#define TEQ(src, want)		check_value(__LINE__, 1, src, want)
#define CERR(src, off, msg)	check_error(__LINE__, 0, src, 'c', off, msg)
#define EERR(src, off, msg)	check_error(__LINE__, 0, src, 'e', off, msg)
#define TCERR(src, off, msg)	check_error(__LINE__, 1, src, 'c', off, msg)
#define TEERR(src, off, msg)	check_error(__LINE__, 1, src, 'e', off, msg)

static void
test_literals(void **state)
{
	(void)state;
	EQ("42", "42");
	EQ("3.25", "3.25");
	EQ("1e3", "1000.0");
	EQ("-7", "-7");
	EQ("9223372036854775807", "9223372036854775807");
	EQ("9223372036854775808", "9223372036854775808.0");
	EQ("'single'", "\"single\"");
	EQ("\"double\"", "\"double\"");
	EQ("'it\\'s'", "\"it's\"");
	EQ("\"a\\\"b\\\\c\\nd\\te\"", "\"a\\\"b\\\\c\\nd\\te\"");
	EQ("'\\u65e5\\u672c'", "\"日本\"");
	EQ("'\\ud83d\\ude00'", "\"😀\"");
	EQ("'令和'", "\"令和\"");
	EQ("true", "true");
	EQ("false", "false");
	EQ("null", "null");
	EQ("[]", "[]");
	EQ("[1, 'a', [true, null],]", "[1, \"a\", [true, null]]");
	EQ("  \t\n 1\u3000", "1");
}

static void
test_arithmetic(void **state)
{
	(void)state;
	EQ("1 + 2 * 3", "7");
	EQ("(1 + 2) * 3", "9");
	EQ("10 - 4 - 3", "3");
	EQ("2 * 3 % 4", "2");
	EQ("7 / 2", "3.5");
	EQ("6 / 2", "3");
	EQ("-6 / 4", "-1.5");
	EQ("7 % 3", "1");
	EQ("-7 % 3", "-1");
	EQ("7.5 % 2", "1.5");
	EQ("1.5 + 1.5", "3.0");
	EQ("n * 2", "10");
	EQ("x * 2", "5.0");
	EQ("n + x", "7.5");
	EQ("0.1 + 0.2", "0.30000000000000004");
	EQ("big + 1", "9223372036854775808.0");
	EQ("big * 2", "18446744073709551614.0");
	EQ("-n", "-5");
	EQ("- -n", "5");
	EQ("-(n - 8)", "3");
	EQ("2 - -1", "3");
	/* '+' joins text when either side is a string. */
	EQ("'a' + 1", "\"a1\"");
	EQ("1 + 'a'", "\"1a\"");
	EQ("'x=' + x", "\"x=2.5\"");
	EQ("'v=' + row.nothing", "\"v=\"");
	EQ("'b' + true", "\"btrue\"");
	EQ("s + ' ' + params.name", "\"hello 山田\"");
	EQ("list + [4]", "[1, 2, 3, 4]");
	EERR("list + 1", 5, "cannot add list and number");
	EERR("obj + obj", 4, "cannot add object and object");
	EERR("s - 1", 2, "cannot subtract number from string");
	EERR("s * 2", 2, "cannot multiply string and number");
	EERR("null / 2", 5, "cannot divide null by number");
	EERR("n / 0", 2, "division by zero");
	EERR("n % zero", 2, "division by zero");
	EERR("x / 0.0", 2, "division by zero");
	EERR("-s", 0, "cannot negate a string");
	EERR("1e300 * 1e300", 6, "number out of range");
}

static void
test_comparison_and_logic(void **state)
{
	(void)state;
	EQ("1 == 1.0", "true");
	EQ("'1' == 1", "false");
	EQ("null == null", "true");
	EQ("row.nothing == null", "true");
	EQ("[1, 2] == [1, 2.0]", "true");
	EQ("obj == from_json('{\"b\": 2, \"a\": 1}')", "true");
	EQ("obj != from_json('{}')", "true");
	EQ("'abc' < 'abd'", "true");
	EQ("'あ' < 'い'", "true");
	EQ("2 <= 2", "true");
	EQ("x > 2", "true");
	EQ("n >= 6", "false");
	EQ("big > 9223372036854775806", "true");
	EERR("n > '3'", 2, "cannot compare number and string with '>' "
	    "(convert with number() or string())");
	EERR("list < list", 5, "cannot compare list and list with '<'");
	EQ("2 in list", "true");
	EQ("2.0 in list", "true");
	EQ("'2' in list", "false");
	EQ("'ell' in s", "true");
	EQ("'a' in obj", "true");
	EQ("'z' in obj", "false");
	EQ("1 in '123'", "true");
	EERR("'a' in 3", 4, "cannot look for string in number");
	EERR("1 in obj", 2, "cannot look for number in object");
	/* not binds looser than comparison; and tighter than or. */
	EQ("not 1 == 2", "true");
	EQ("!true == false", "true");
	EQ("true or false and false", "true");
	EQ("(true or false) and false", "false");
	EQ("!false && false", "false");
	EQ("1 || 0", "true");
	EQ("'' or []", "false");
	EQ("not not 's'", "true");
	/* Short-circuit: the right side is not evaluated. */
	EQ("false and undefined_name", "false");
	EQ("true or undefined_name", "true");
	EERR("true and undefined_name", 9, "undefined name 'undefined_name'");
	EQ("n > 3 ? 'big' : 'small'", "\"big\"");
	EQ("false ? 1 : true ? 2 : 3", "2");
	EQ("row.empty ? 'set' : 'unset'", "\"unset\"");
	EQ("false ? undefined_name : 0", "0");
}

static void
test_access(void **state)
{
	(void)state;
	EQ("params.name", "\"山田\"");
	EQ("steps.rows.output[1].name", "\"b\"");
	EQ("steps['rows'].output[0].id", "1");
	EQ("list[0]", "1");
	EQ("list[-1]", "3");
	EQ("list[-3]", "1");
	EQ("list[3]", "null");
	EQ("list[-4]", "null");
	EQ("list[1.0]", "2");
	EQ("list[n - 4]", "2");
	EQ("obj['b']", "2");
	EQ("obj.missing", "null");
	EQ("obj.missing.deeper[3].still", "null");
	EQ("obj['missing']", "null");
	EQ("row.in", "7");
	EQ("row.氏名", "\"山田 太郎\"");
	EQ("row['a-b']", "\"dash\"");
	EQ("s[1]", "\"e\"");
	EQ("'こんにちは'[-1]", "\"は\"");
	EQ("'abc'[5]", "null");
	EQ("[[1, 2], [3, 4]][1][0]", "3");
	EQ("(list)[2]", "3");
	EERR("undefined_name.x", 0, "undefined name 'undefined_name'");
	EERR("s.foo", 2, "cannot read member 'foo' of a string");
	EERR("list.length", 5, "cannot read member 'length' of a list");
	EERR("list['a']", 4, "list index must be a whole number, not string");
	EERR("list[0.5]", 4, "list index must be a whole number, not number");
	EERR("obj[1]", 3, "object keys are strings, not number");
	EERR("n[0]", 1, "cannot index a number");
	EERR("today", 0, "undefined name 'today' (to call the function, "
	    "write today())");
}

static void
test_filters(void **state)
{
	(void)state;
	EQ("row.name | trim", "\"ＡＢＣ\"");
	EQ("row.name | trim | hankaku | lower", "\"abc\"");
	EQ("s | replace('l', 'L')", "\"heLLo\"");
	EQ("s | substr(1, 3) | upper", "\"ELL\"");
	EQ("s|upper", "\"HELLO\"");
	/* A filter binds tighter than unary minus and the operators. */
	EQ("-n | abs", "-5");
	EQ("-1 | abs", "1");		/* the sign belongs to the number */
	EQ("-2.5 | abs", "2.5");
	EQ("3 -1", "2");
	EQ("-9223372036854775808", "-9223372036854775808.0");
	EQ("'a' + 'b' | upper", "\"aB\"");
	EQ("('a' + 'b') | upper", "\"AB\"");
	EQ("list | join(', ') | len", "7");
	EQ("row.missing | default('none')", "\"none\"");
	EQ("row.empty | default('none') | upper", "\"NONE\"");
	EQ("params.count | string", "\"3\"");
}

static void
test_text_functions(void **state)
{
	(void)state;
	EQ("trim('  a b  ')", "\"a b\"");
	EQ("trim('\u3000山田\u3000\t')", "\"山田\"");
	EQ("trim('')", "\"\"");
	EQ("trim(12)", "\"12\"");
	EQ("upper('abc ａｂｃ 日本')", "\"ABC ＡＢＣ 日本\"");
	EQ("lower('ABC ＡＢＣ')", "\"abc ａｂｃ\"");
	EQ("replace('a-b-c', '-', '/')", "\"a/b/c\"");
	EQ("replace('株式会社ABC', '株式会社', '(株)')", "\"(株)ABC\"");
	EQ("replace('aaa', 'a', 'aa')", "\"aaaaaa\"");
	EQ("split('a,b,,c', ',')", "[\"a\", \"b\", \"\", \"c\"]");
	EQ("split('日本語', '')", "[\"日\", \"本\", \"語\"]");
	EQ("split('', ',')", "[\"\"]");
	EQ("join(words, '-')", "\"a-b-c\"");
	EQ("join(['a', 1, 2.5, true, null, [1]])", "\"a12.5true[1]\"");
	EQ("substr('こんにちは', 1, 3)", "\"んにち\"");
	EQ("substr('こんにちは', 2)", "\"にちは\"");
	EQ("substr('こんにちは', -2)", "\"ちは\"");
	EQ("substr('abc', -10, 2)", "\"ab\"");
	EQ("substr('abc', 5)", "\"\"");
	EQ("substr('abc', 1, 0)", "\"\"");
	EQ("len('日本語')", "3");
	EQ("length('abc')", "3");
	EQ("len(list)", "3");
	EQ("len(obj)", "2");
	EQ("len('')", "0");
	EQ("contains('hello', 'ell')", "true");
	EQ("contains(list, 3)", "true");
	EQ("contains(words, 'z')", "false");
	EQ("contains(obj, 'a')", "true");
	EQ("starts_with('令和6年', '令和')", "true");
	EQ("starts_with('ab', 'abc')", "false");
	EQ("ends_with('file.csv', '.csv')", "true");
	EQ("ends_with('file.csv', '.txt')", "false");
	EQ("pad_left(7, 3, '0')", "\"007\"");
	EQ("pad_left('abc', 2)", "\"abc\"");
	EQ("pad_left('ab', 4)", "\"  ab\"");
	EQ("pad_right('山', 3, '＊')", "\"山＊＊\"");
	EQ("pad_right('ab', 3)", "\"ab \"");
	EQ("string(3)", "\"3\"");
	EQ("string(3.0)", "\"3\"");
	EQ("string(0.1)", "\"0.1\"");
	EQ("string(null)", "\"\"");
	EQ("string(obj)", "\"{\\\"a\\\":1,\\\"b\\\":2}\"");
	EQ("string('x')", "\"x\"");
	EERR("upper(list)", 0, "upper(): expected a string, got list");
	EERR("trim(row.nothing)", 0, "trim(): expected a string, got null");
	EERR("replace(s, 'l', list)", 0,
	    "replace(): argument 3 must be a string, got list");
	EERR("replace(s, '', 'x')", 0, "replace(): the text to replace is "
	    "empty");
	EERR("join(s)", 0, "join(): argument 1 must be a list, got string");
	EERR("substr(s, 'a')", 0,
	    "substr(): argument 2 must be a whole number, got string");
	EERR("substr(s, 0, -1)", 0, "substr(): the length -1 is negative");
	EERR("len(5)", 0, "len(): expected a string, list or object, got "
	    "number");
	EERR("pad_left('a', 3, 'xy')", 0,
	    "pad_left(): the padding must be one character, not 'xy'");
	EERR("contains(null, 'a')", 0, "contains(): argument 1 must be a "
	    "string, list or object, got null");
}

static void
test_number_functions(void **state)
{
	(void)state;
	EQ("number('1,234')", "1234");
	EQ("number('１，２３４')", "1234");
	EQ("number(row.amount)", "1234");
	EQ("number('￥12,345')", "12345");
	EQ("number('1,234円')", "1234");
	EQ("number(' -5 ')", "-5");
	EQ("number('−５')", "-5");
	EQ("number('△500')", "-500");
	EQ("number('12.5')", "12.5");
	EQ("number('１２．５')", "12.5");
	EQ("number('1e3')", "1000.0");
	EQ("number('99999999999999999999')", "1e20");
	EQ("number(3)", "3");
	EQ("number(2.5)", "2.5");
	EERR("number('abc')", 0, "number(): cannot read 'abc' as a number");
	EERR("number('')", 0, "number(): cannot read '' as a number");
	EERR("number('12a')", 0, "number(): cannot read '12a' as a number");
	EERR("number(',12')", 0, "number(): cannot read ',12' as a number");
	EERR("number('1,,2')", 0, "number(): cannot read '1,,2' as a number");
	EERR("s | number", 4, "number(): cannot read 'hello' as a number");
	EERR("number(true)", 0,
	    "number(): expected a number or a string, got boolean");
	EQ("int('12.7')", "12");
	EQ("int(-12.7)", "-12");
	EQ("int(12)", "12");
	EQ("int('1,234円')", "1234");
	EERR("int(1e300)", 0, "int(): 1e+300 is too large for a whole number");
	EQ("round(2.5)", "3");
	EQ("round(-2.5)", "-3");
	EQ("round(2.4)", "2");
	EQ("round(1.005, 2)", "1.01");
	EQ("round(2.675, 2)", "2.68");
	EQ("round(3.14159, 3)", "3.142");
	EQ("round(9.995, 2)", "10.0");
	EQ("round(0.004, 2)", "0.0");
	EQ("round(1234, -2)", "1200");
	EQ("round(1250, -2)", "1300");
	EQ("round(-1250, -2)", "-1300");
	EQ("round(1234.5, -1)", "1230");
	EQ("round(7, 2)", "7");
	EERR("round('1.5')", 0, "round(): argument 1 must be a number, got "
	    "string");
	EQ("abs(-3)", "3");
	EQ("abs(-2.5)", "2.5");
	EQ("abs(4)", "4");
	EQ("min(list)", "1");
	EQ("max(list)", "3");
	EQ("min(3, 1.5, 2)", "1.5");
	EQ("max(3, 1.5, 2)", "3");
	EQ("max(words)", "\"c\"");
	EQ("min([])", "null");
	EQ("[4, 9] | max", "9");
	EERR("min(1, 'a')", 0, "min(): cannot compare number and string");
	EERR("max(5)", 0, "max(): argument 1 must be a list (or several "
	    "values), got number");
	EQ("sum(list)", "6");
	EQ("sum([1, 2.5])", "3.5");
	EQ("sum([])", "0");
	EQ("sum([big, 1])", "9223372036854775808.0");
	EERR("sum(words)", 0, "sum(): item [0] is a string, not a number");
	EQ("format_number(1234567)", "\"1,234,567\"");
	EQ("format_number(-1234567.5)", "\"-1,234,567.5\"");
	EQ("format_number(1234.5, 2)", "\"1,234.50\"");
	EQ("format_number(1.005, 2)", "\"1.01\"");
	EQ("format_number(999)", "\"999\"");
	EQ("format_number(-999)", "\"-999\"");
	EQ("format_number(1234)", "\"1,234\"");
	EQ("format_number(100000)", "\"100,000\"");
	EQ("format_number(12345.678)", "\"12,345.678\"");
	EQ("format_number(1000, 0)", "\"1,000\"");
	EQ("format_number(0)", "\"0\"");
	EQ("format_number(-0.4, 0)", "\"0\"");
	EQ("format_number(-0.5, 0)", "\"-1\"");
	EQ("format_number('１２３４５６７円')", "\"1,234,567\"");
	EERR("format_number(1, 30)", 0, "format_number(): decimals must be "
	    "between 0 and 20, not 30");
}

static void
test_list_and_value_functions(void **state)
{
	(void)state;
	EQ("first(list)", "1");
	EQ("last(list)", "3");
	EQ("first([])", "null");
	EQ("last([])", "null");
	EQ("first('日本')", "\"日\"");
	EQ("last('日本')", "\"本\"");
	EQ("first('')", "\"\"");
	EERR("first(obj)", 0, "first(): expected a list or a string, got "
	    "object");
	EQ("keys(obj)", "[\"a\", \"b\"]");
	EQ("values(obj)", "[1, 2]");
	EERR("keys(list)", 0, "keys(): expected an object, got list");
	EQ("default(row.nothing, 'x')", "\"x\"");
	EQ("default(row.empty, 'x')", "\"x\"");
	EQ("default(zero, 'x')", "0");
	EQ("default(false, 'x')", "false");
	EQ("default(s, 'x')", "\"hello\"");
	EQ("json(obj)", "\"{\\\"a\\\":1,\\\"b\\\":2}\"");
	EQ("json([0.1, 3.0, 'é\"\\n', null, true])",
	    "\"[0.1,3,\\\"é\\\\\\\"\\\\n\\\",null,true]\"");
	EQ("json('令和')", "\"\\\"令和\\\"\"");
	EQ("from_json('{\"a\": [1, 2.5, \"x\"]}')", "{\"a\": [1, 2.5, \"x\"]}");
	EQ("from_json('3')", "3");
	EQ("from_json(json(steps))", "{\"rows\": {\"output\": [{\"id\": 1, "
	    "\"name\": \"a\"}, {\"id\": 2, \"name\": \"b\"}]}}");
	EERR("from_json('{')", 0, "from_json(): invalid JSON at line 1 "
	    "column 1: string or '}' expected near end of file");
	EQ("type(null)", "\"null\"");
	EQ("type(true)", "\"boolean\"");
	EQ("type(1)", "\"number\"");
	EQ("type(1.5)", "\"number\"");
	EQ("type('a')", "\"string\"");
	EQ("type(list)", "\"list\"");
	EQ("type(obj)", "\"object\"");
}

static void
test_misc_functions(void **state)
{
	(void)state;
	EQ("matches('abc123', '^[a-z]+[0-9]+$')", "true");
	EQ("matches('abc', '^[0-9]+$')", "false");
	EQ("matches('R6.4.1', '^[MTSHR][0-9]+\\\\.')", "true");
	EQ("'2024-04-01' | matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}$')", "true");
	EQ("matches(s, '^' + 'h')", "true");		/* compiled per call */
	EERR("matches(s, '(' + '')", 0,
	    "matches(): invalid regular expression '(': Unmatched ( or \\(");
	EQ("urlencode('a b&c=日本')", "\"a%20b%26c%3D%E6%97%A5%E6%9C%AC\"");
	EQ("urlencode('AZaz09-._~')", "\"AZaz09-._~\"");
	EQ("base64('hello')", "\"aGVsbG8=\"");
	EQ("base64('日本')", "\"5pel5pys\"");
	EQ("base64('')", "\"\"");
	EQ("base64('ab')", "\"YWI=\"");
	EQ("base64_decode('aGVsbG8=')", "\"hello\"");
	EQ("base64_decode('5pel5pys')", "\"日本\"");
	EQ("base64_decode(base64('user:pass'))", "\"user:pass\"");
	EERR("base64_decode('a*b')", 0,
	    "base64_decode(): invalid base64 character '*' at 1");
	EERR("base64_decode('/w==')", 0,
	    "base64_decode(): the decoded bytes are not UTF-8 text");
	EQ("hankaku('ＡＢＣ１２３　ｘ')", "\"ABC123 x\"");
	EQ("zenkaku('ABC123 x')", "\"ＡＢＣ１２３　ｘ\"");
	EQ("zenkaku('ﾔﾏﾀﾞ')", "\"ヤマダ\"");
	EQ("kana_full('ﾔﾏﾀﾞ ﾀﾛｳ')", "\"ヤマダ タロウ\"");
	EQ("'ヤマダ　タロウ' | kana_half", "\"ﾔﾏﾀﾞ ﾀﾛｳ\"");
	EQ("bytes('ｶﾞ山')", "9");
	EQ("bytes('ｶﾞ山', 'shift_jis')", "4");
	EERR("bytes('😀', 'shift_jis')", 0, "bytes(): character '😀' (U+1F600) "
	    "at byte offset 0 (line 1) has no equivalent in shift_jis");
	EQ("hankaku(zenkaku('Invoice 2024-001'))", "\"Invoice 2024-001\"");
	EQ("zenkaku(123)", "\"１２３\"");
}

static void
test_dates(void **state)
{
	(void)state;
	EQ("date('2024-04-01', '%Y/%m/%d')", "\"2024/04/01\"");
	EQ("date('2024-04-01')", "\"2024-04-01\"");
	EQ("date('2024/4/1')", "\"2024-04-01\"");
	EQ("date('２０２４－０４－０１')", "\"2024-04-01\"");
	EQ("date('2024-04-01', '%Y年%-m月%-d日(%K)')", "\"2024年4月1日(月)\"");
	EQ("date('2024-04-07', '%a %A %b %B %u %w %j %e %y')",
	    "\"Sun Sunday Apr April 7 0 098  7 24\"");
	EQ("date('2024-04-01', '%E')", "\"令和6年4月1日\"");
	EQ("date('2024-04-01T09:05:03+09:00', '%F %T %z %H%M%S %-H')",
	    "\"2024-04-01 09:05:03 +0900 090503 9\"");
	EQ("date('2024-04-01 09:05', '%H:%M')", "\"09:05\"");
	EQ("date('2024-04-01T09:05:03.250Z', '%T%z')", "\"09:05:03+0000\"");
	EQ("date('2024-04-01', '100%%')", "\"100%\"");
	EQ("date('令和6年4月1日', '%Y/%m/%d')", "\"2024/04/01\"");
	EQ("date('R6.4.1')", "\"2024-04-01\"");
	EERR("date('2024-13-01')", 0, "date(): '2024-13-01' is not a date "
	    "(expected YYYY-MM-DD, an ISO date-time or an era date)");
	EERR("date('2023-02-29')", 0, "date(): '2023-02-29' is not a date "
	    "(expected YYYY-MM-DD, an ISO date-time or an era date)");
	EERR("date('tomorrow')", 0, "date(): expected an era (令和, 平成, "
	    "昭和, 大正, 明治 or R, H, S, T, M) at the start: 'tomorrow'");
	EERR("date('2024-04-01', '%Q')", 0, "date(): unknown format '%Q'");
	EERR("date('2024-04-01', '%')", 0,
	    "date(): the format ends with a lone '%'");
	EERR("date('1868-01-01', '%E')", 0,
	    "date(): %E needs a date from 1868-10-23 on");
	EQ("date_add('2024-02-28', 1)", "\"2024-02-29\"");
	EQ("date_add('2024-02-28', 2)", "\"2024-03-01\"");
	EQ("date_add('2023-12-31', 1)", "\"2024-01-01\"");
	EQ("date_add('2024-01-01', -1)", "\"2023-12-31\"");
	EQ("date_add('2024-04-01T09:30:00+09:00', 30)",
	    "\"2024-05-01T09:30:00+09:00\"");
	EQ("date_add('令和元年5月1日', -1)", "\"2019-04-30\"");
	EERR("date_add('9999-12-31', 1)", 0,
	    "date_add(): the result is outside years 1 to 9999");
	EQ("days_between('2024-01-01', '2024-12-31')", "365");
	EQ("days_between('2019-05-01', '2019-04-30')", "-1");
	EQ("days_between('2024-04-01T23:59:00', '2024-04-02')", "1");
}

static void
test_era_functions(void **state)
{
	(void)state;
	EQ("to_era('2024-04-01')", "\"令和6年4月1日\"");
	EQ("wareki('2024-04-01')", "\"令和6年4月1日\"");
	EQ("to_era('2019-04-30')", "\"平成31年4月30日\"");
	EQ("to_era('2019-05-01')", "\"令和元年5月1日\"");
	EQ("to_era('2024-04-01', 'kanji')", "\"令和六年四月一日\"");
	EQ("to_era('2017-12-31', 'kanji')", "\"平成二十九年十二月三十一日\"");
	EQ("to_era('2019-05-01', 'kanji')", "\"令和元年五月一日\"");
	EQ("to_era('2024-04-01', 'short')", "\"R6.4.1\"");
	EQ("to_era('2019-05-01', 'digits')", "\"令和1年5月1日\"");
	EQ("'2024-04-01T10:00:00+09:00' | wareki", "\"令和6年4月1日\"");
	EERR("to_era('1868-10-22')", 0,
	    "to_era(): 1868-10-22 is before 明治 (1868-10-23)");
	EERR("to_era('2024-04-01', 'roman')", 0, "to_era(): unknown style "
	    "'roman' (use 'long', 'kanji', 'short' or 'digits')");
	EQ("from_era('令和6年4月1日')", "\"2024-04-01\"");
	EQ("seireki('令和元年5月1日')", "\"2019-05-01\"");
	EQ("from_era('平成31年4月30日')", "\"2019-04-30\"");
	EQ("from_era('令和六年四月一日')", "\"2024-04-01\"");
	EQ("from_era('平成二十九年十二月三十一日')", "\"2017-12-31\"");
	EQ("from_era('令和６年４月１日')", "\"2024-04-01\"");
	EQ("from_era('H31/4/30')", "\"2019-04-30\"");
	EQ("from_era('Ｓ６４．１．７')", "\"1989-01-07\"");
	EERR("from_era('平成31年5月1日')", 0, "from_era(): date after the end "
	    "of 平成 (2019-04-30): '平成31年5月1日'");
	EERR("from_era('令和1年4月30日')", 0, "from_era(): date before the "
	    "start of 令和 (2019-05-01): '令和1年4月30日'");
	EQ("from_era(to_era('2024-02-29', 'kanji'))", "\"2024-02-29\"");
}

/* now() and today() read the clock: compare with the clock around them,
 * in a zone with a known offset. */
static void
test_clock_functions(void **state)
{
	struct expr_error err;
	char phase, want[32], before[32];
	struct tm tm;
	regex_t re;
	time_t t;
	json_t *v;

	(void)state;
	setenv("TZ", "JST-9", 1);
	tzset();
	t = time(NULL);
	localtime_r(&t, &tm);
	strftime(before, sizeof(before), "%Y-%m-%d", &tm);
	v = run("now()", &err, &phase);
	assert_non_null(v);
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"
	    "[0-9]{2}:[0-9]{2}:[0-9]{2}\\+09:00$", REG_EXTENDED | REG_NOSUB),
	    0);
	if (regexec(&re, json_string_value(v), 0, NULL, 0) != 0)
		fail_msg("now() gave '%s'", json_string_value(v));
	regfree(&re);
	json_decref(v);
	v = run("today()", &err, &phase);
	assert_non_null(v);
	t = time(NULL);
	localtime_r(&t, &tm);
	strftime(want, sizeof(want), "%Y-%m-%d", &tm);
	if (strcmp(json_string_value(v), want) != 0 &&
	    strcmp(json_string_value(v), before) != 0)
		fail_msg("today() gave '%s', the clock says %s",
		    json_string_value(v), want);
	json_decref(v);
	EQ("date(now(), '%z')", "\"+0900\"");
	EQ("days_between(today(), date_add(today(), 10))", "10");
	setenv("TZ", "UTC", 1);
	tzset();
	EQ("date(now(), '%z')", "\"+0000\"");
	unsetenv("TZ");
	tzset();
}

/*
 * head followed by n copies of link compiles; with more copies it fails
 * with "expression nested too deeply" at offset off.
 */
static void
check_chain(int line, const char *head, const char *link, int n, size_t off)
{
	size_t size = strlen(head) + (size_t)(n + 10) * strlen(link) + 1;
	char *src = malloc(size);
	struct expr_error err;
	struct expr *e;
	int i;

	assert_non_null(src);
	snprintf(src, size, "%s", head);
	for (i = 0; i < n; i++)
		strcat(src, link);
	if ((e = expr_compile(src, &err)) == NULL)
		fail_msg("line %d: %d links do not compile: %s", line, n,
		    err.msg);
	expr_free(e);
	for (i = 0; i < 10; i++)
		strcat(src, link);
	if ((e = expr_compile(src, &err)) != NULL)
		fail_msg("line %d: %d links compile", line, n + 10);
	assert_string_equal(err.msg, "expression nested too deeply");
	if (err.offset != off)
		fail_msg("line %d: offset %zu, expected %zu", line, err.offset,
		    off);
	free(src);
}

static void
test_syntax_errors(void **state)
{
	char deep[700];
	size_t i;

	(void)state;
	CERR("", 0, "empty expression");
	CERR("   ", 0, "empty expression");
	CERR("1 +", 3, "expected a value, found the end of the expression");
	CERR("'abc", 0, "unterminated string");
	CERR("1 + \"abc", 4, "unterminated string");
	CERR("1 + 'ab\\q'", 7, "unknown escape '\\q' in string");
	CERR("'\\ud800'", 1, "invalid \\u escape (unpaired surrogate)");
	CERR("'\\u00zz'", 1, "invalid \\u escape");
	CERR("(1 + 2", 6, "expected ')', found the end of the expression");
	CERR("[1, 2", 5, "expected ',' or ']', found the end of the "
	    "expression");
	CERR("f(1, 2", 0, "unknown function 'f'");
	CERR("upper(s", 7, "expected ',' or ')', found the end of the "
	    "expression");
	CERR("a = 1", 2, "'=' is not an operator (did you mean '=='?)");
	CERR("a & b", 2, "'&' is not an operator (did you mean '&&'?)");
	CERR("a # b", 2, "unexpected character '#'");
	CERR("a ＃ b", 2, "unexpected character '＃'");
	CERR("1 < 2 < 3", 6, "comparisons cannot be chained (join them with "
	    "'and')");
	CERR("1 2", 2, "unexpected '2' after the expression");
	CERR("s )", 2, "unexpected ')' after the expression");
	CERR("uper(s)", 0, "unknown function 'uper' (did you mean 'upper'?)");
	CERR("s | uper", 4, "unknown filter 'uper' (did you mean 'upper'?)");
	CERR("s | lenght", 4, "unknown filter 'lenght' (did you mean "
	    "'length'?)");
	CERR("s | zzzzzz", 4, "unknown filter 'zzzzzz'");
	CERR("replace(s, 'a')", 0, "function 'replace' takes 3 arguments, "
	    "got 2");
	CERR("s | replace('a')", 4, "filter 'replace' takes 2 arguments, "
	    "got 1");
	CERR("upper(s, s)", 0, "function 'upper' takes 1 argument, got 2");
	CERR("s | upper(1)", 4, "filter 'upper' takes 0 arguments, got 1");
	CERR("substr()", 0, "function 'substr' takes 2 to 3 arguments, got 0");
	CERR("min()", 0, "function 'min' takes at least 1 argument, got 0");
	CERR("s | now", 4, "'now' takes no input and cannot be a filter "
	    "(call now() instead)");
	CERR("s.", 2, "expected a name after '.', found the end of the "
	    "expression");
	CERR("s.1", 2, "expected a name after '.', found '1'");
	CERR("s | 3", 4, "expected a filter name after '|', found '3'");
	CERR("12abc", 0, "invalid number '12abc'");
	CERR("1e999", 0, "number out of range '1e999'");
	CERR("?", 0, "expected a value, found '?'");
	CERR("}", 0, "expected a value, found '}'");
	CERR("true ? 1", 8, "expected ':', found the end of the expression");
	CERR("list[1", 6, "expected ']', found the end of the expression");
	CERR("matches(s, '(')", 11,
	    "invalid regular expression '(': Unmatched ( or \\(");
	/* Offsets count bytes: 氏名 is six. */
	CERR("氏名 +", 8, "expected a value, found the end of the expression");
	CERR("氏名 = 1", 7, "'=' is not an operator (did you mean '=='?)");
	for (i = 0; i < 300; i++)
		deep[i] = '(';
	deep[i] = '1';
	deep[i + 1] = '\0';
	CERR(deep, 200, "expression nested too deeply");
	memset(deep, '-', 400);
	strcpy(deep + 400, "1");
	CERR(deep, 199, "expression nested too deeply");
	/* Long chains are parsed by loops; the tree's height is limited. */
	check_chain(__LINE__, "1", " + 1", 255, 2 + 256 * 4);
	check_chain(__LINE__, "s", " | trim", 255, 1 + 256 * 7 + 3);
	check_chain(__LINE__, "obj", ".a", 255, 3 + 256 * 2 + 1);
	check_chain(__LINE__, "list", "[0]", 255, 4 + 256 * 3);
}

static void
test_templates(void **state)
{
	struct expr_error err;
	struct tmpl *t;

	(void)state;
	/* One ${...} and nothing else: the typed value. */
	TEQ("${n}", "5");
	TEQ("${x}", "2.5");
	TEQ("${list}", "[1, 2, 3]");
	TEQ("${obj}", "{\"a\": 1, \"b\": 2}");
	TEQ("${row.nothing}", "null");
	TEQ("${ n + 1 }", "6");
	TEQ("${params.flag}", "true");
	/* Anything else: a string. */
	TEQ("n=${n}", "\"n=5\"");
	TEQ(" ${n}", "\" 5\"");
	TEQ("${n}${n}", "\"55\"");
	TEQ("x=${x}", "\"x=2.5\"");
	TEQ("t=${0.1}", "\"t=0.1\"");
	TEQ("t=${3.0}", "\"t=3\"");
	TEQ("t=${6 / 2}", "\"t=3\"");
	TEQ("v=${row.nothing}.", "\"v=.\"");
	TEQ("b=${true}", "\"b=true\"");
	TEQ("o=${obj}", "\"o={\\\"a\\\":1,\\\"b\\\":2}\"");
	TEQ("l=${words}", "\"l=[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\"");
	TEQ("${params.name}様 (${params.count}件)", "\"山田様 (3件)\"");
	TEQ("${'}'}", "\"}\"");
	TEQ("${'{' + '}'}!", "\"{}!\"");
	/* Literals and the $${ escape. */
	TEQ("plain text", "\"plain text\"");
	TEQ("", "\"\"");
	TEQ("$${x}", "\"${x}\"");
	TEQ("$${a} and ${n}", "\"${a} and 5\"");
	TEQ("cost: $5 and $$", "\"cost: $5 and $$\"");
	TEQ("${n}$", "\"5$\"");
	t = tmpl_compile("no parts $${here}", &err);
	assert_non_null(t);
	assert_true(tmpl_is_literal(t));
	tmpl_free(t);
	t = tmpl_compile("a ${n}", &err);
	assert_non_null(t);
	assert_false(tmpl_is_literal(t));
	tmpl_free(t);
	/* Errors carry offsets into the template. */
	TCERR("${}", 0, "empty '${}'");
	TCERR("ab ${ }", 3, "empty '${}'");
	TCERR("a ${n", 2, "missing '}' to close '${'");
	TCERR("a ${n +", 7, "expected a value, found the end of the text");
	TCERR("${n m}", 4, "expected '}', found 'm'");
	TCERR("x ${'abc}", 4, "unterminated string");
	TCERR("ok ${n} ${uper(s)}", 10,
	    "unknown function 'uper' (did you mean 'upper'?)");
	TEERR("Hello ${foo}", 8, "undefined name 'foo'");
	TEERR("${n} ${list + 1}", 12, "cannot add list and number");
	TEERR("${s | number}", 6, "number(): cannot read 'hello' as a number");
}

struct ref {
	char	root[32];
	char	member[32];
	size_t	offset;
};

struct refs {
	struct ref	r[16];
	size_t		n;
};

static void
collect(void *arg, const char *root, const char *member, size_t offset)
{
	struct refs *rs = arg;
	struct ref *r;

	assert_true(rs->n < 16);
	r = &rs->r[rs->n++];
	snprintf(r->root, sizeof(r->root), "%s", root);
	snprintf(r->member, sizeof(r->member), "%s", member ? member : "-");
	r->offset = offset;
}

static void
test_refs(void **state)
{
	static const char src[] =
	    "${steps.rows.output[0].name} ${params.name | upper} "
	    "${upper(row.氏名)} ${vars['a-b']} ${item} "
	    "${loop.index + n} ${default(params.x, env.HOME) | trim} "
	    "${list[n]} ${date(today(), '%Y')} ${(obj).a}";
	static const struct ref want[] = {
		{ "steps", "rows", 2 },
		{ "params", "name", 31 },
		{ "row", "氏名", 60 },
		{ "vars", "a-b", 75 },
		{ "item", "-", 90 },
		{ "loop", "index", 98 },
		{ "n", "-", 111 },
		{ "params", "x", 124 },
		{ "env", "HOME", 134 },
		{ "list", "-", 154 },
		{ "n", "-", 159 },
		{ "obj", "a", 189 },	/* parentheses make no node */
	};
	struct expr_error err;
	struct refs rs = { .n = 0 };
	struct tmpl *t;
	size_t i;

	(void)state;
	t = tmpl_compile(src, &err);
	if (t == NULL)
		fail_msg("%zu: %s", err.offset, err.msg);
	tmpl_refs(t, collect, &rs);
	tmpl_free(t);
	for (i = 0; i < rs.n && i < sizeof(want) / sizeof(want[0]); i++) {
		if (strcmp(rs.r[i].root, want[i].root) != 0 ||
		    strcmp(rs.r[i].member, want[i].member) != 0 ||
		    rs.r[i].offset != want[i].offset)
			fail_msg("ref %zu: (%s, %s, %zu), expected (%s, %s, %zu)",
			    i, rs.r[i].root, rs.r[i].member, rs.r[i].offset,
			    want[i].root, want[i].member, want[i].offset);
		/* The offset points at the root name in the source. */
		assert_memory_equal(src + rs.r[i].offset, want[i].root,
		    strlen(want[i].root));
	}
	assert_int_equal(rs.n, sizeof(want) / sizeof(want[0]));
	/* A literal template reports nothing. */
	rs.n = 0;
	t = tmpl_compile("$${steps.x}", &err);
	tmpl_refs(t, collect, &rs);
	tmpl_free(t);
	assert_int_equal(rs.n, 0);
}

static void
test_truthy_and_to_string(void **state)
{
	static const struct {
		const char	*json;
		int		 truthy;
		const char	*text;
	} cases[] = {
		{ "null", 0, "" }, { "false", 0, "false" }, { "true", 1, "true" },
		{ "0", 0, "0" }, { "0.0", 0, "0" }, { "-1", 1, "-1" },
		{ "0.1", 1, "0.1" }, { "3.0", 1, "3" }, { "1e20", 1, "1e+20" },
		{ "123456789.125", 1, "123456789.125" },
		{ "\"\"", 0, "" }, { "\"a\"", 1, "a" }, { "[]", 0, "[]" },
		{ "[1, \"x\"]", 1, "[1,\"x\"]" }, { "{}", 0, "{}" },
		{ "{\"k\": \"日本\\u0001\"}", 1, "{\"k\":\"日本\\u0001\"}" },
	};
	json_t *v;
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		if (expr_truthy(v) != cases[i].truthy)
			fail_msg("%s: truthy %d", cases[i].json, expr_truthy(v));
		s = expr_to_string(v);
		if (strcmp(s, cases[i].text) != 0)
			fail_msg("%s: text '%s', expected '%s'", cases[i].json,
			    s, cases[i].text);
		free(s);
		json_decref(v);
	}
	assert_false(expr_truthy(NULL));
}

/* Every function has a test: the names below are all exercised above,
 * and the table has no function that is not in this list. */
static const char *const tested[] = {
	"trim", "upper", "lower", "replace", "split", "join", "substr", "len",
	"length", "contains", "starts_with", "ends_with", "pad_left",
	"pad_right", "string", "number", "int", "round", "abs", "min", "max",
	"sum", "first", "last", "keys", "values", "default", "json",
	"from_json", "matches", "now", "today", "date", "date_add",
	"days_between", "to_era", "wareki", "from_era", "seireki", "hankaku",
	"zenkaku", "kana_full", "kana_half", "bytes", "format_number", "urlencode", "base64",
	"base64_decode", "type",
};

struct seen {
	int	count[sizeof(tested) / sizeof(tested[0])];
	int	total;
};

static void
each_function(const char *name, const char *summary, void *arg)
{
	struct seen *s = arg;
	size_t i;

	s->total++;
	assert_true(summary != NULL && summary[0] != '\0');
	for (i = 0; i < sizeof(tested) / sizeof(tested[0]); i++)
		if (strcmp(name, tested[i]) == 0) {
			s->count[i]++;
			return;
		}
	fail_msg("function '%s' has no test", name);
}

static void
test_function_table(void **state)
{
	struct seen s;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	expr_foreach_function(each_function, &s);
	for (i = 0; i < sizeof(tested) / sizeof(tested[0]); i++)
		if (s.count[i] != 1)
			fail_msg("'%s' appears %d times", tested[i], s.count[i]);
	assert_int_equal(s.total, sizeof(tested) / sizeof(tested[0]));
}

/* Append a random well-formed expression of at most depth levels. */
static void
gen_expr(char *out, size_t size, unsigned *seed, int depth)
{
	static const char *const atoms[] = {
		"n", "x", "s", "list", "obj", "row", "words", "zero", "big",
		"row.氏名", "row.nothing", "row.amount", "params", "0", "-1",
		"2.5", "'a'", "'日本'", "''", "true", "null", "[]", "'2024-04-01'",
		"'令和元年5月1日'", "'1,234'", "missing",
	};
	static const char *const ops[] = {
		"+", "-", "*", "/", "%", "==", "!=", "<", ">=", "in", "and", "or",
	};
	static const char *const funcs1[] = {
		"trim", "upper", "len", "number", "int", "abs", "first", "last",
		"keys", "values", "json", "from_json", "string", "sum", "min",
		"to_era", "from_era", "hankaku", "zenkaku", "base64",
		"base64_decode", "format_number", "round", "type", "date",
	};
	size_t len = strlen(out);
	int pick = depth <= 0 ? 0 : (int)(rand_r(seed) % 9);

#define ATOM(a)	(a)[rand_r(seed) % (sizeof(a) / sizeof((a)[0]))]
	if (len + 64 >= size) {
		snprintf(out + len, size - len, "1");
		return;
	}
	switch (pick) {
	case 0:
		snprintf(out + len, size - len, "%s", ATOM(atoms));
		return;
	case 1: case 2:
		snprintf(out + len, size - len, "(");
		gen_expr(out, size, seed, depth - 1);
		len = strlen(out);
		snprintf(out + len, size - len, " %s ", ATOM(ops));
		gen_expr(out, size, seed, depth - 1);
		break;
	case 3: case 4:
		snprintf(out + len, size - len, "%s(", ATOM(funcs1));
		gen_expr(out, size, seed, depth - 1);
		break;
	case 5:		/* parenthesised: a filter takes no postfix */
		snprintf(out + len, size - len, "(");
		gen_expr(out, size, seed, depth - 1);
		len = strlen(out);
		snprintf(out + len, size - len, " | %s", ATOM(funcs1));
		break;
	case 6:
		gen_expr(out, size, seed, depth - 1);
		len = strlen(out);
		snprintf(out + len, size - len, "[");
		gen_expr(out, size, seed, depth - 1);
		len = strlen(out);
		snprintf(out + len, size - len, "]");
		return;
	case 7:
		snprintf(out + len, size - len, "(");
		gen_expr(out, size, seed, depth - 1);
		len = strlen(out);
		snprintf(out + len, size - len, " ? ");
		gen_expr(out, size, seed, depth - 1);
		len = strlen(out);
		snprintf(out + len, size - len, " : ");
		gen_expr(out, size, seed, depth - 1);
		break;
	default:
		snprintf(out + len, size - len, "[");
		gen_expr(out, size, seed, depth - 1);
		len = strlen(out);
		snprintf(out + len, size - len, ", ");
		gen_expr(out, size, seed, depth - 1);
		len = strlen(out);
		snprintf(out + len, size - len, "]");
		return;
	}
#undef ATOM
	len = strlen(out);
	snprintf(out + len, size - len, ")");
}

/* Evaluate a template that must compile; count the outcome. */
static void
eval_generated(const char *src, int *values, int *errors)
{
	struct expr_scope sc = scope;
	struct expr_error err;
	struct tmpl *t;
	json_t *v;

	sc.ctx = data;
	memset(&err, 0, sizeof(err));
	if ((t = tmpl_compile(src, &err)) == NULL)
		fail_msg("'%s' does not compile: %zu: %s", src, err.offset,
		    err.msg);
	v = tmpl_eval(t, &sc, &err);
	if (v == NULL && (err.msg[0] == '\0' || err.offset > strlen(src)))
		fail_msg("eval '%s': offset %zu, '%s'", src, err.offset,
		    err.msg);
	(*(v != NULL ? values : errors))++;
	json_decref(v);
	tmpl_free(t);
}

/*
 * Well-formed expressions of random structure over values of every type:
 * each must compile, and evaluate to a value or to an error with a message
 * and an offset inside the text.
 */
static void
test_random_expressions(void **state)
{
	unsigned seed = 4242;
	int i, values = 0, errors = 0;
	char src[1024];

	(void)state;
	for (i = 0; i < 20000; i++) {
		snprintf(src, sizeof(src), "%s${", i % 2 ? "v=" : "");
		gen_expr(src, sizeof(src) - 2, &seed, 1 + i % 5);
		strcat(src, "}");
		eval_generated(src, &values, &errors);
	}
	print_message("random expressions: %d values, %d errors\n", values,
	    errors);
	assert_true(values > 2000 && errors > 2000);
}

/*
 * Token soup: 20,000 templates made of random pieces of the language must
 * each compile and evaluate to a value, or fail with a message and an
 * offset inside the text - never crash, leak or read out of bounds (the
 * sanitizer build runs this too).  The seed is fixed so failures repeat.
 */
static void
test_random_input(void **state)
{
	static const char *const pieces[] = {
		"${", "}", "$${", "$", "(", ")", "[", "]", ",", ".", "|", "?",
		":", "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=",
		"!", "&&", "||", "and", "or", "not", "in", "true", "false",
		"null", "0", "1", "-1", "2.5", "1e3", "9223372036854775807",
		"'a'", "\"日本\"", "'", "\"", "\\", "'\\u00e9'", " ", "　",
		"n", "x", "s", "list", "obj", "row", "row.氏名", "params.name",
		"missing", "upper", "trim(", "len(", "substr(", "replace(",
		"number(", "date(", "to_era(", "from_era(", "matches(", "json(",
		"from_json(", "default(", "min(", "sum(", "join(", "split(",
		"format_number(", "round(", "'2024-04-01'", "'令和元年5月1日'",
		"'('", "'[a-z]+'", "\xff", "＃", "=", "&", "{",
	};
	struct expr_scope sc = scope;
	struct expr_error err;
	char src[256];
	unsigned seed = 12345;
	struct tmpl *t;
	size_t len, k, np;
	int i, j, n, bad_syntax = 0, values = 0, eval_errors = 0;
	json_t *v;

	(void)state;
	sc.ctx = data;
	np = sizeof(pieces) / sizeof(pieces[0]);
	for (i = 0; i < 20000; i++) {
		len = 0;
		src[0] = '\0';
		n = 1 + (int)(rand_r(&seed) % 12);
		if (rand_r(&seed) % 2)
			len = (size_t)snprintf(src, sizeof(src), "${");
		for (j = 0; j < n; j++) {
			k = (size_t)rand_r(&seed) % np;
			if (len + strlen(pieces[k]) + 2 >= sizeof(src))
				break;
			len += (size_t)snprintf(src + len, sizeof(src) - len,
			    "%s", pieces[k]);
		}
		if (rand_r(&seed) % 4)
			snprintf(src + len, sizeof(src) - len, "}");
		len = strlen(src);
		memset(&err, 0, sizeof(err));
		if ((t = tmpl_compile(src, &err)) == NULL) {
			if (err.msg[0] == '\0' || err.offset > len)
				fail_msg("compile '%s': offset %zu, '%s'", src,
				    err.offset, err.msg);
			bad_syntax++;
			continue;
		}
		v = tmpl_eval(t, &sc, &err);
		if (v == NULL && (err.msg[0] == '\0' || err.offset > len))
			fail_msg("eval '%s': offset %zu, '%s'", src, err.offset,
			    err.msg);
		if (v != NULL)
			values++;
		else
			eval_errors++;
		json_decref(v);
		tmpl_free(t);
	}
	print_message("random input: %d syntax errors, %d values, %d "
	    "evaluation errors\n", bad_syntax, values, eval_errors);
	/* The soup must reach every outcome, or it tests little. */
	assert_true(bad_syntax > 1000 && values > 1000 && eval_errors > 50);
}

/*
 * Split a Markdown table row into its cells, in place: trimmed, with "\|"
 * turned back into "|".  Return the number of cells, 0 for other lines.
 */
static int
table_cells(char *line, char **cells, int max)
{
	char *p = line, *out, *end;
	int n = 0, bar;

	line[strcspn(line, "\n")] = '\0';
	if (*p++ != '|')
		return 0;
	while (*p != '\0' && n < max) {
		while (*p == ' ')
			p++;
		cells[n] = out = p;
		while (*p != '\0' && *p != '|') {
			if (p[0] == '\\' && p[1] == '|')
				p++;
			*out++ = *p++;
		}
		bar = *p == '|';	/* before the terminator may cover it */
		end = out;
		while (end > cells[n] && end[-1] == ' ')
			end--;
		*end = '\0';
		p += bar;
		n++;
	}
	return n;
}

/* The text of a cell that is exactly one code span, else NULL. */
static const char *
code_span(char *cell)
{
	size_t n = strlen(cell);

	if (n < 2 || cell[0] != '`' || cell[n - 1] != '`' ||
	    memchr(cell + 1, '`', n - 2) != NULL)
		return NULL;
	cell[n - 1] = '\0';
	return cell + 1;
}

/*
 * Every example of docs/expressions.md - the rows of the tables whose last
 * two columns are "example" and "result", where both are one code span -
 * evaluates to its result, so the reference says what the program does.
 */
static void
test_doc_examples(void **state)
{
	const char *top = getenv("KOBITO_TOP"), *ex, *res;
	char path[4096], line[4096], *cells[8];
	int n, lineno = 0, in_examples = 0, checked = 0;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/expressions.md",
	    top ? top : ".");
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((n = table_cells(line, cells, 8)) < 2) {
			in_examples = 0;
			continue;
		}
		if (strcmp(cells[n - 2], "example") == 0 &&
		    strcmp(cells[n - 1], "result") == 0) {
			in_examples = 1;
			continue;
		}
		if (!in_examples || (ex = code_span(cells[n - 2])) == NULL ||
		    (res = code_span(cells[n - 1])) == NULL)
			continue;
		check_value(lineno, 0, ex, res);
		checked++;
	}
	fclose(fp);
	print_message("docs/expressions.md: %d examples checked\n", checked);
	assert_true(checked >= 75);	/* 77 now: none may be skipped */
}

/*
 * A compiled template evaluated many times gives the same value each time:
 * evaluation must not consume or change the compiled form.  (Its speed is
 * measured by bench/engine.sh, not here.)
 */
static void
test_repeated_evaluation(void **state)
{
	struct expr_scope sc = scope;
	struct expr_error err;
	struct tmpl *t;
	json_t *v;
	int i;

	(void)state;
	sc.ctx = data;
	t = tmpl_compile("${row.name | trim | hankaku | upper} "
	    "${number(row.amount) * 2 + n} ${row.in > 3 ? 'yes' : 'no'} "
	    "${steps.rows.output[-1].id}", &err);
	assert_non_null(t);
	for (i = 0; i < 10000; i++) {
		v = tmpl_eval(t, &sc, &err);
		if (v == NULL)
			fail_msg("%s", err.msg);
		assert_string_equal(json_string_value(v), "ABC 2473 yes 2");
		json_decref(v);
	}
	tmpl_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_comparison_and_logic),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_text_functions),
		cmocka_unit_test(test_number_functions),
		cmocka_unit_test(test_list_and_value_functions),
		cmocka_unit_test(test_misc_functions),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_era_functions),
		cmocka_unit_test(test_clock_functions),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_truthy_and_to_string),
		cmocka_unit_test(test_function_table),
		cmocka_unit_test(test_doc_examples),
		cmocka_unit_test(test_random_input),
		cmocka_unit_test(test_random_expressions),
		cmocka_unit_test(test_repeated_evaluation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
