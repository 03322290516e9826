/*
 * expr_check.h - what the expression tests share: the names expressions
 * can reach, and checks of a value or an error (with its offset) as
 * EQ/TEQ/CERR/EERR/TCERR/TEERR.  Included by test_expr.c and
 * test_expr_func.c only.
 *
 * Results are compared as JSON values with their types: 3 (an integer) is
 * not 3.0 (a real) here, so integer-preserving arithmetic is asserted too.
 */
#ifndef KOBITO_EXPR_CHECK_H
#define KOBITO_EXPR_CHECK_H


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

static inline json_t *
lookup(void *ctx, const char *name)
{
	return json_object_get(ctx, name);
}

static const struct expr_scope scope = { lookup, NULL, NULL };

static inline int
setup(void **state)
{
	(void)state;
	data = json_loads(scope_json, 0, NULL);
	return data == NULL ? -1 : 0;
}

static inline int
teardown(void **state)
{
	(void)state;
	json_decref(data);
	return 0;
}

/* Compile and evaluate src; NULL with err set on failure.  *phase says
 * which step failed: 'c' compile, 'e' evaluation. */
static inline json_t *
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
static inline json_t *
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
static inline void
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
static inline void
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

#endif
