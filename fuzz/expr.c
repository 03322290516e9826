/*
 * expr.c - fuzz target: the ${...} expression language (agent/expr.h).
 * Each input is compiled as a template and, when it compiles, evaluated
 * against a small scope of every kind of value.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "expr.h"
#include "fuzz.h"

static json_t *scope_vars;

static json_t *
lookup(void *ctx, const char *name)
{
	(void)ctx;
	return json_object_get(scope_vars, name);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	scope_vars = json_loads("{\"params\": {\"n\": 3, \"s\": \"甲乙\", "
	    "\"f\": 1.5, \"b\": true, \"z\": null, \"l\": [1, \"a\", [2]], "
	    "\"m\": {\"k\": \"v\"}}, \"item\": {\"code\": \"A-1\", \"amount\": "
	    "\"1,200\"}, \"steps\": {\"x\": {\"output\": [1, 2, 3]}}, "
	    "\"vars\": {}, \"run\": {\"id\": \"7\"}}", 0, NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expr_scope scope = { .lookup = lookup };
	struct expr_error err;
	struct tmpl *t;
	json_t *v;
	char *src;

	if (scope_vars == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	src = fuzz_text(data, size);
	memset(&err, 0, sizeof err);
	if ((t = tmpl_compile(src, &err)) != NULL) {
		memset(&err, 0, sizeof err);
		v = tmpl_eval(t, &scope, &err);
		if (v != NULL) {
			char *text = expr_to_string(v);

			free(text);
			json_decref(v);
		}
		tmpl_free(t);
	}
	free(src);
	return 0;
}
