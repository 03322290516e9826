/*
 * act_json.c - json.parse and json.format: between JSON text and values.
 *
 * Parsed values are ordinary script values, so their members are reached
 * by path in expressions (${steps.cfg.output.items[0].name}).  Errors give
 * the line:col of the JSON text itself (columns in characters), which is
 * what a person looking at the text needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "xmalloc.h"

static int
do_parse(struct act *a)
{
	json_t *text = act_arg(a, "text");
	json_error_t e;

	if (!json_is_string(text))
		return act_fail(a, "text must be a string");
	a->out = json_loadb(json_string_value(text), json_string_length(text),
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (a->out == NULL)
		return act_fail(a, "invalid JSON at %d:%d: %s", e.line,
		    e.column > 0 ? e.column : 1, act_json_error(&e));
	return 0;
}

static int
do_format(struct act *a)
{
	json_t *v = json_object_get(a->args, "value");
	size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER;
	char *s;

	flags |= act_bool(a, "pretty", 0) ? JSON_INDENT(2) : JSON_COMPACT;
	if (act_bool(a, "sort_keys", 0))
		flags |= JSON_SORT_KEYS;
	if (v == NULL)
		v = json_null();
	if ((s = json_dumps(v, flags)) == NULL)
		return act_fail(a, "the value cannot be written as JSON");
	a->out = json_string(s);
	free(s);
	if (a->out == NULL)
		return act_fail(a, "the value holds text that is not UTF-8");
	return 0;
}

static const struct action_arg parse_args[] = {
	{ "text", ARG_STRING, 1, "the JSON text" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg format_args[] = {
	{ "value", ARG_ANY, 0, "the value to write (null when absent)" },
	{ "pretty", ARG_BOOL, 0, "indent by two spaces (default false)" },
	{ "sort_keys", ARG_BOOL, 0, "sort the keys of mappings" },
	{ NULL, 0, 0, NULL },
};

const char *
act_json_error(json_error_t *e)
{
	char *near = strstr(e->text, " near '");

	if (near != NULL)
		*near = '\0';
	return e->text;
}

const struct action json_actions[] = {
	{ "json.parse", "parse JSON text into a value", parse_args, do_parse,
	    ACTION_SCALAR | ACTION_DERIVES, NULL, ARG_ANY, NULL,
	    ACTION_DRY_READ },
	{ "json.format", "write a value as JSON text", format_args,
	    do_format, ACTION_SCALAR | ACTION_DERIVES, NULL, ARG_STRING, NULL,
	    ACTION_DRY_READ },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
