/*
 * test_expr_func.c - every function of the expression language, by family
 * (text, numbers, lists, dates, era dates, the clock), that the function
 * table has no untested row, and that every example of
 * docs/expressions.md evaluates to what the reference says.
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
#include "expr_check.h"

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
	/* Never a silent float: exact, or refused. */
	EQ("number('9223372036854775807')", "9223372036854775807");
	EQ("number('9,007,199,254,740,993')", "9007199254740993");
	EERR("number('99999999999999999999')", 0, "number(): "
	    "'99999999999999999999' is too large to be exact (more than "
	    "2^63 - 1; keep it as text)");
	EERR("number('9007199254740993.5')", 0, "number(): "
	    "'9007199254740993.5' has too many digits before the point to be "
	    "exact (2^53 or more; keep it as text)");
	EQ("number('1e20')", "1e20");
	EERR("number('1e400')", 0, "number(): '1e400' is out of range");
	/* Thousands separators where they belong, or an error. */
	EQ("number('12,345,678')", "12345678");
	EQ("number('123,456.75')", "123456.75");
	EERR("number('12,34')", 0, "number(): '12,34' has a misplaced "
	    "thousands separator");
	EERR("number('1,2345')", 0, "number(): '1,2345' has a misplaced "
	    "thousands separator");
	EERR("number('1234,567')", 0, "number(): '1234,567' has a misplaced "
	    "thousands separator");
	EERR("number('1,234,56')", 0, "number(): '1,234,56' has a misplaced "
	    "thousands separator");
	EQ("number('▲1,000')", "-1000");
	EQ("number('△ 1,000円')", "-1000");
	EQ("number('▲１，０００')", "-1000");
	/* A decimal comma only with the locale that writes one. */
	EERR("number('1.234,5')", 0, "number(): '1.234,5' looks like a number "
	    "with a decimal comma; give its locale, as in number(x, 'de')");
	EERR("number('1.234.567')", 0, "number(): '1.234.567' looks like a "
	    "number with a decimal comma; give its locale, as in number(x, "
	    "'de')");
	EQ("number('1.234,5', 'de')", "1234.5");
	EQ("number('1.234,5', locale: 'de-DE')", "1234.5");
	EQ("'-1.234.567' | number('es')", "-1234567");
	EQ("number('1 234,5', 'fr')", "1234.5");
	EQ("number('1\u00a0234,5', 'fr')", "1234.5");
	EQ("number(\"1'234.5\", 'de-CH')", "1234.5");
	EQ("number('1,234.5', 'en')", "1234.5");
	EERR("number('1,234.5', 'de')", 0, "number(): cannot read '1,234.5' "
	    "as a number");
	EERR("number('12.34.5', 'de')", 0, "number(): '12.34.5' has a "
	    "misplaced thousands separator");
	EERR("number('1', 'xx')", 0, "number(): unknown locale 'xx' (such as "
	    "'ja', 'en', 'de', 'fr', 'de-CH')");
	/* Kanji numerals, as documents write amounts. */
	EQ("number('十二')", "12");
	EQ("number('二千二十四')", "2024");
	EQ("number('二〇二四')", "2024");
	EQ("number('一億二千万')", "120000000");
	EQ("number('一億二千三百四十五万六千七百八十九')", "123456789");
	EQ("number('金壱萬弐阡参百円也')", "12300");
	EQ("number('壱拾弐')", "12");
	EQ("number('1億2,000万円')", "120000000");
	EQ("number('12万3千')", "123000");
	EQ("number('三兆')", "3000000000000");
	EQ("number('△五百')", "-500");
	EQ("number('十')", "10");
	EQ("number('百一')", "101");
	EERR("number('二十三百')", 0, "number(): '二十三百' has malformed or "
	    "too large kanji numerals");
	EERR("number('二三十')", 0, "number(): '二三十' has malformed or too "
	    "large kanji numerals");
	EERR("number('千京京')", 0, "number(): '千京京' has malformed or too "
	    "large kanji numerals");
	EERR("number('十二個')", 0, "number(): cannot read '十二個' as a "
	    "number");
	EQ("number(3)", "3");
	EQ("number(2.5)", "2.5");
	EERR("number('abc')", 0, "number(): cannot read 'abc' as a number");
	EERR("number('')", 0, "number(): cannot read '' as a number");
	EERR("number('12a')", 0, "number(): cannot read '12a' as a number");
	EERR("number(',12')", 0, "number(): cannot read ',12' as a number");
	EERR("number('1,,2')", 0, "number(): cannot read '1,,2' as a number");
	EERR("s | number", 4, "number(): cannot read 'hello' as a number");
	EERR("number(true)", 0, "number(): argument 1 must be a number or a "
	    "string, got boolean");
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

/* The batch functions, with function arguments and keys. */
/* hiragana <-> katakana, as forms ask for フリガナ or ふりがな. */
static void
test_kana_functions(void **state)
{
	(void)state;
	EQ("katakana('やまだ たろう')", "\"ヤマダ タロウ\"");
	EQ("katakana('がっこう ゔぁ ゝゞ')", "\"ガッコウ ヴァ ヽヾ\"");
	EQ("katakana('ｶﾞｯｺｳ')", "\"ガッコウ\"");
	EQ("katakana('山田ABCー')", "\"山田ABCー\"");
	EQ("hiragana('ヤマダ タロウ')", "\"やまだ たろう\"");
	EQ("hiragana('ｶﾞｯｺｳ')", "\"がっこう\"");
	EQ("hiragana('ヴヵヶヷー')", "\"ゔゕゖヷー\"");
	EQ("'スズキ' | hiragana | katakana", "\"スズキ\"");
	EERR("hiragana(list)", 0, "hiragana(): expected a string, got list");
}

/* The batch functions, with function arguments and keys. */
static void
test_batch_functions(void **state)
{
	(void)state;
	EQ("map(list, x => x * 10)", "[10, 20, 30]");
	EQ("list | map(x => x + n)", "[6, 7, 8]");	/* outer names too */
	EQ("map(steps.rows.output, 'name')", "[\"a\", \"b\"]");
	EQ("map(steps.rows.output, r => r.id + 0.5)", "[1.5, 2.5]");
	EQ("map([], x => x.nothing)", "[]");
	EQ("map(list, list => list * 2)", "[2, 4, 6]");	/* shadows */
	EQ("filter(list, x => x >= 2)", "[2, 3]");
	EQ("filter(steps.rows.output, r => r.name == 'b') | map('id')", "[2]");
	EQ("filter([0, 1, '', 'a', null], x => x)", "[1, \"a\"]");
	EERR("map(list, x => x + 'a' * 2)", 23, "cannot multiply string and "
	    "number");
	EERR("map(s, x => x)", 0, "map(): argument 1 must be a list, got "
	    "string");
	EERR("map(list, 'a')", 0, "map(): a key ('a') needs objects, not a "
	    "number");
	EERR("map(list, 3)", 0, "map(): argument 2 must be a function "
	    "(x => ...), a key or null, got number");
	CERR("upper(x => x)", 6, "upper() does not take a function as "
	    "argument 1");
	CERR("map(x => x, list)", 4, "map() does not take a function as "
	    "argument 1");
	CERR("x => x", 2, "unexpected '=>' (did you mean '>='? '=>' only "
	    "writes a function argument such as x => x.amount) after the "
	    "expression");
	EQ("map(steps.rows.output, r => {id: r.id, 'name x': upper(r.name),"
	    " in: 1})", "[{\"id\": 1, \"name x\": \"A\", \"in\": 1}, "
	    "{\"id\": 2, \"name x\": \"B\", \"in\": 1}]");
	EQ("{}", "{}");
	EQ("{a: 1, a: 2,}", "{\"a\": 2}");
	TEQ("${ {'a': [1, {b: n}]} }", "{\"a\": [1, {\"b\": 5}]}");
	TEQ("x${ {a: 1}.a }y", "\"x1y\"");
	CERR("{1: 2}", 1, "expected a key, found '1'");
	CERR("{a 2}", 3, "expected ':' after the key, found '2'");
	CERR("{a: 1", 5, "expected ',' or '}', found the end of the "
	    "expression");
	EQ("sort([3, 1, 2])", "[1, 2, 3]");
	EQ("sort(words, desc: true)", "[\"c\", \"b\", \"a\"]");
	EQ("sort([{'k': 2, 'v': 'a'}, {'k': 1, 'v': 'b'}, {'k': 2, 'v': 'c'},"
	    " {'k': 1, 'v': 'd'}], 'k') | map('v')",
	    "[\"b\", \"d\", \"a\", \"c\"]");		/* stable */
	EQ("sort([{'k': 2, 'v': 'a'}, {'k': 1, 'v': 'b'}, {'k': 2, 'v': 'c'}],"
	    " r => r.k, desc: true) | map('v')",
	    "[\"a\", \"c\", \"b\"]");		/* stable when desc */
	EQ("sort([2, null, 1])", "[null, 1, 2]");
	EQ("sort([1.5, 1, 2])", "[1, 1.5, 2]");
	EERR("sort([1, 'a'])", 0, "sort(): cannot sort a number key and a "
	    "string key (item [1]); convert with number() or string()");
	EERR("sort([[1]])", 0, "sort(): the key of item [0] is a list; sort "
	    "by numbers or strings");
	EERR("sort(list, desc: 'yes')", 0, "sort(): argument 3 must be true "
	    "or false, got string");
	CERR("sort(list, dsc: true)", 11, "sort() has no argument 'dsc' (did "
	    "you mean 'desc'?)");
	CERR("sort(list, desc: true, 'k')", 23, "sort(): an argument without "
	    "a name cannot follow a named one");
	CERR("sort(list, key: 'a', key: 'b')", 21, "sort(): argument 'key' is "
	    "given twice");
	CERR("map(list, f: 1)", 10, "map() takes no named arguments ('f:')");
	EQ("unique([1, 2, 1.0, '1', 2, null, null])",
	    "[1, 2, \"1\", null]");
	EQ("unique(steps.rows.output + steps.rows.output, 'id') | map('id')",
	    "[1, 2]");
	EQ("unique(['b', 'a', 'b'], x => upper(x))", "[\"b\", \"a\"]");
	EQ("group_by([{'d': '総務', 'n': 1}, {'d': '財政', 'n': 2},"
	    " {'d': '総務', 'n': 3}], 'd') | keys", "[\"総務\", \"財政\"]");
	EQ("group_by([{'d': '総務', 'n': 1}, {'d': '財政', 'n': 2},"
	    " {'d': '総務', 'n': 3}], 'd')['総務'] | map('n')", "[1, 3]");
	EQ("group_by(list, x => x % 2 == 0)",
	    "{\"false\": [1, 3], \"true\": [2]}");
	EERR("group_by(list, x => [x])", 0, "group_by(): the key of item [0] "
	    "is a list; group by a string or a number");
	EQ("sum_by(steps.rows.output, 'id')", "3");
	EQ("sum_by(steps.rows.output, r => r.id / 2)", "1.5");
	EQ("sum_by([], 'a')", "0");
	EERR("sum_by(steps.rows.output, 'name')", 0, "sum_by(): the value of "
	    "item [0] is a string, not a number (convert with number())");
	EQ("range(3)", "[0, 1, 2]");
	EQ("range(0)", "[]");
	EQ("range(-2)", "[]");
	EQ("range(2, 5)", "[2, 3, 4]");
	EQ("range(10, 0, -4)", "[10, 6, 2]");
	EQ("range(1, 2, 5)", "[1]");
	EQ("len(range(1000000))", "1000000");
	EERR("range(1000001)", 0, "range(): 1000001 items is more than "
	    "1000000");
	EERR("range(1, 5, 0)", 0, "range(): the step must not be 0");
	EERR("range('a')", 0, "range(): argument 1 must be a whole number, "
	    "got string");
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
	/* The ways Japanese paperwork writes a date. */
	EQ("date('2024年12月31日')", "\"2024-12-31\"");
	EQ("date('２０２４年１２月３１日')", "\"2024-12-31\"");
	EQ("date('2024年 4月 1日')", "\"2024-04-01\"");
	EQ("date('二〇二四年十二月三十一日')", "\"2024-12-31\"");
	EQ("date('2024年4月1')", "\"2024-04-01\"");
	EQ("date('2024/12/31')", "\"2024-12-31\"");
	EQ("date('2024.12.31')", "\"2024-12-31\"");
	EQ("date('R6.12.31')", "\"2024-12-31\"");
	EQ("date('令和6年12月31日')", "\"2024-12-31\"");
	EQ("date('令和六年十二月三十一日')", "\"2024-12-31\"");
	EQ("date('平成31年4月30日')", "\"2019-04-30\"");
	EQ("date('H31/4/30')", "\"2019-04-30\"");
	EERR("date('2024年2月30日')", 0, "date(): '2024年2月30日' is not a "
	    "date (expected YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日, an ISO "
	    "date-time or an era date)");
	EERR("date('2024-13-01')", 0, "date(): '2024-13-01' is not a date "
	    "(expected YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日, an ISO date-time "
	    "or an era date)");
	EERR("date('2023-02-29')", 0, "date(): '2023-02-29' is not a date "
	    "(expected YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日, an ISO date-time "
	    "or an era date)");
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
	/* Months at month ends: the day is cut to the month's last. */
	EQ("date_add('2024-01-31', months: 1)", "\"2024-02-29\"");
	EQ("date_add('2023-01-31', months: 1)", "\"2023-02-28\"");
	EQ("date_add('2024-03-31', months: -1)", "\"2024-02-29\"");
	EQ("date_add('2024-05-31', months: 1)", "\"2024-06-30\"");
	EQ("date_add('2024-01-15', months: 13)", "\"2025-02-15\"");
	EQ("date_add('2024-02-29', years: 1)", "\"2025-02-28\"");
	EQ("date_add('2024-01-31', 1, months: 1)", "\"2024-03-01\"");
	EQ("'2024年1月31日' | date_add(months: 1)", "\"2024-02-29\"");
	EQ("date_add('2024-01-31T09:00:00+09:00', months: 1)",
	    "\"2024-02-29T09:00:00+09:00\"");
	EQ("date_add('2024-12-31', days: 1)", "\"2025-01-01\"");
	EERR("date_add('9999-12-01', months: 1)", 0,
	    "date_add(): the result is outside years 1 to 9999");
	EERR("date_add('2024-01-01', months: 1.5)", 0, "date_add(): argument "
	    "3 must be a whole number, got number");
	CERR("date_add('2024-01-01', month: 1)", 23, "date_add() has no "
	    "argument 'month' (did you mean 'months'?)");
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
	"base64_decode", "type", "map", "filter", "sort", "unique",
	"group_by", "sum_by", "range", "katakana", "hiragana",
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_functions),
		cmocka_unit_test(test_number_functions),
		cmocka_unit_test(test_list_and_value_functions),
		cmocka_unit_test(test_batch_functions),
		cmocka_unit_test(test_kana_functions),
		cmocka_unit_test(test_misc_functions),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_era_functions),
		cmocka_unit_test(test_clock_functions),
		cmocka_unit_test(test_function_table),
		cmocka_unit_test(test_doc_examples),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
