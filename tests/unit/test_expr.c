/*
 * test_expr.c - the ${...} expression language: operators and precedence,
 * member and index access, syntax and evaluation errors with their
 * offsets, templates, the names templates report, random input.  The
 * functions are tested in test_expr_func.c.
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
	char	member[64];	/* the members joined by '.', or "-" */
	size_t	offset;
};

struct refs {
	struct ref	r[16];
	size_t		n;
};

static void
collect(void *arg, const struct expr_ref *ref)
{
	struct refs *rs = arg;
	struct ref *r;
	size_t len = 0;
	int i;

	assert_true(rs->n < 16);
	r = &rs->r[rs->n++];
	snprintf(r->root, sizeof(r->root), "%s", ref->root);
	snprintf(r->member, sizeof(r->member), "-");
	for (i = 0; i < ref->nmembers; i++)
		len += (size_t)snprintf(r->member + len, sizeof(r->member) -
		    len, "%s%s", i ? "." : "", ref->member[i]);
	r->offset = ref->offset;
}

static void
test_refs(void **state)
{
	static const char src[] =
	    "${steps.rows.output[0].name} ${params.name | upper} "
	    "${upper(row.氏名)} ${vars['a-b']} ${item} "
	    "${loop.index + n} ${default(params.x, env.HOME) | trim} "
	    "${list[n]} ${date(today(), '%Y')} ${(obj).a} "
	    "${filter(list, x => x > n and x.y)} ${steps.a.output.b.c.d.e}";
	static const struct ref want[] = {
		{ "steps", "rows.output", 2 },
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
		{ "list", "-", 206 },	/* x is bound by the function */
		{ "n", "-", 221 },
		{ "steps", "a.output.b.c", 235 },	/* at most 4 */
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
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_truthy_and_to_string),
		cmocka_unit_test(test_random_input),
		cmocka_unit_test(test_random_expressions),
		cmocka_unit_test(test_repeated_evaluation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
