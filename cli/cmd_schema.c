/*
 * cmd_schema.c - `kobito schema`: a JSON Schema (draft-07) of the script
 * format, for editors: VS Code's YAML extension completes and checks a
 * script with it.  The steps part is generated from the action tables,
 * so every action of this build, with its arguments and their types, is
 * in it; docs/script.schema.json is its output, shipped.
 *
 * A schema cannot know what `kobito validate` knows (names defined before
 * use, step ids, the shapes of outputs): it is the editor's first help,
 * the loader stays the judge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "action.h"
#include "cmd.h"
#include "script.h"

/* A string with a ${...} in it: its type is known at run time only. */
static json_t *
template_schema(void)
{
	return json_pack("{s:s}", "$ref", "#/definitions/template");
}

/* The schema of a value of an argument type: the type, or a template. */
static json_t *
type_schema(enum arg_type t, const char *help)
{
	static const char *const json_types[] = {
		[ARG_ANY] = NULL, [ARG_STRING] = "string",
		[ARG_INT] = "integer", [ARG_NUMBER] = "number",
		[ARG_BOOL] = "boolean", [ARG_LIST] = "array",
		[ARG_MAP] = "object", [ARG_NULL] = "null",
	};
	json_t *s;

	if (t == ARG_ANY)
		s = json_object();
	else if (t == ARG_STRING || t == ARG_PATH_READ ||
	    t == ARG_PATH_WRITE || t == ARG_GLOB)
		/* A number or a boolean is converted to text. */
		s = json_pack("{s:[s, s, s]}", "type", "string", "number",
		    "boolean");
	else if (t == ARG_PATHS_READ)
		s = json_pack("{s:[s, s]}", "type", "string", "array");
	else
		s = json_pack("{s:[{s:s}, o]}", "anyOf", "type", json_types[t],
		    template_schema());
	if (help != NULL)
		json_object_set_new(s, "description", json_string(help));
	return s;
}

/*
 * The arguments of an action: a mapping, or its first one written bare,
 * or nothing at all ("- web.open:") when none is required.
 */
static json_t *
args_schema(const struct action *a)
{
	const struct action_arg *spec;
	json_t *props = json_object(), *req = json_array(), *map, *alts;
	int optional;

	for (spec = a->args; spec != NULL && spec->name != NULL; spec++) {
		json_object_set_new(props, spec->name, type_schema(spec->type,
		    spec->help));
		if (spec->required)
			json_array_append_new(req, json_string(spec->name));
	}
	optional = json_array_size(req) == 0;
	map = json_pack("{s:s, s:o, s:b}", "type", "object", "properties",
	    props, "additionalProperties", (a->flags & ACTION_OPEN) != 0);
	if (!optional)
		json_object_set_new(map, "required", req);
	else
		json_decref(req);
	alts = json_array();
	json_array_append_new(alts, map);
	if ((a->flags & ACTION_SCALAR) && a->args != NULL &&
	    a->args[0].name != NULL && a->args[0].type != ARG_MAP)
		/* A bare value is the first argument - never a mapping, which
		 * is the arguments themselves. */
		json_array_append_new(alts, a->args[0].type == ARG_ANY ?
		    json_pack("{s:{s:s}}", "not", "type", "object") :
		    type_schema(a->args[0].type, NULL));
	if (optional)
		/* "- fail:" with nothing after it. */
		json_array_append_new(alts, json_pack("{s:s}", "type", "null"));
	if (json_array_size(alts) > 1) {
		map = json_pack("{s:o}", "anyOf", alts);
	} else {
		json_incref(map);
		json_decref(alts);
	}
	json_object_set_new(map, "description", json_string(a->summary));
	return map;
}

static void
add_action(const struct action *a, void *arg)
{
	json_object_set_new(arg, a->name, args_schema(a));
}

/* The keys every step may have, besides what it does. */
static json_t *
step_properties(void)
{
	json_t *p = json_object();

	json_object_set_new(p, "id", json_pack("{s:s, s:s, s:s}", "type",
	    "string", "pattern", "^[A-Za-z_][A-Za-z0-9_]*$", "description",
	    "the name of the step's result: ${steps.ID.output}, .status, "
	    ".error, .duration_ms"));
	json_object_set_new(p, "name", json_pack("{s:s, s:s}", "type",
	    "string", "description", "a label for the log"));
	json_object_set_new(p, "if", json_pack("{s:s, s:s}", "$ref",
	    "#/definitions/condition", "description", "the step runs only "
	    "when this is true"));
	json_object_set_new(p, "retry", json_pack("{s:[{s:s, s:i}, {s:s, "
	    "s:{s:{s:s, s:i, s:i}, s:{s:[s, s]}, s:{s:s}, s:{s:s, s:i, s:i}}, "
	    "s:b}], s:s}", "anyOf", "type", "integer", "minimum", 1, "type",
	    "object", "properties", "attempts", "type", "integer", "minimum",
	    1, "maximum", 100, "delay", "type", "string", "number",
	    "delay_ms", "type", "number", "backoff", "type", "number",
	    "minimum", 1, "maximum", 10, "additionalProperties", 0,
	    "description", "try an action again: 3, or {attempts, delay: "
	    "500ms, backoff}; not for loops and includes"));
	json_object_set_new(p, "timeout", json_pack("{s:[s, s], s:s}", "type",
	    "string", "number", "description", "30 (seconds), 1.5s, 500ms, "
	    "2m: the step fails when it is over"));
	json_object_set_new(p, "on_error", json_pack("{s:[{s:[s, s]}, {s:s}], "
	    "s:s}", "anyOf", "enum", "fail", "continue", "$ref",
	    "#/definitions/steps", "description", "fail (default), continue, "
	    "or steps that see ${error}; on a for_each, run for each failed "
	    "item"));
	json_object_set_new(p, "for_each", json_pack("{s:s, s:s}", "$ref",
	    "#/definitions/template", "description", "a list (or mapping) "
	    "to walk: its steps run once per element"));
	json_object_set_new(p, "as", json_pack("{s:s, s:s, s:s}", "type",
	    "string", "pattern", "^[A-Za-z_][A-Za-z0-9_]*$", "description",
	    "the loop variable (default item)"));
	json_object_set_new(p, "items", json_pack("{s:s, s:s}", "type",
	    "boolean", "description", "false: the iterations are not items"));
	json_object_set_new(p, "while", json_pack("{s:s, s:s}", "$ref",
	    "#/definitions/condition", "description", "run the steps as "
	    "long as this is true (needs max)"));
	json_object_set_new(p, "until", json_pack("{s:s, s:s}", "$ref",
	    "#/definitions/condition", "description", "run the steps until "
	    "this is true, at least once (needs max)"));
	json_object_set_new(p, "max", json_pack("{s:s, s:i, s:i, s:s}",
	    "type", "integer", "minimum", 1, "maximum", 1000000,
	    "description", "the most times a while or until loop may run"));
	json_object_set_new(p, "steps", json_pack("{s:s}", "$ref",
	    "#/definitions/steps"));
	json_object_set_new(p, "include", json_pack("{s:s, s:s}", "type",
	    "string", "description", "another script, run as a sub-flow"));
	json_object_set_new(p, "with", json_pack("{s:s, s:s}", "type",
	    "object", "description", "the included script's params"));
	return p;
}

static json_t *
param_schema(void)
{
	json_t *types = json_array(), *p;
	size_t i;

	for (i = 0; param_type_names[i] != NULL; i++)
		json_array_append_new(types, json_string(param_type_names[i]));
	p = json_pack("{s:[{s:s, s:O}, {s:s, s:{s:{s:O}, s:{}, s:{s:s}, "
	    "s:{s:s}, s:{s:s}, s:{s:s, s:{s:s}}, s:{s:s, s:{s:s}, s:s}, "
	    "s:{s:s, s:{s:s}, s:s}}, s:b}]}",
	    "anyOf", "type", "string", "enum", types, "type", "object",
	    "properties", "type", "enum", types, "default", "required",
	    "type", "boolean", "title", "type", "string", "description",
	    "type", "string", "choices", "type", "array", "items", "type",
	    "string", "allow", "type", "array", "items", "type", "string",
	    "description", "a url param's destinations: hosts or URL "
	    "prefixes", "roots", "type", "array", "items", "type", "string",
	    "description", "the folders a path param must be under",
	    "additionalProperties", 0);
	json_decref(types);		/* both uses took a reference */
	return p;
}

static json_t *
kpi_schema(void)
{
	return json_pack("{s:s, s:{s:{s:s, s:i}, s:{s:s, s:i}, s:{s:s, s:i}, "
	    "s:{s:s, s:i}, s:{s:s, s:{s:s}}}, s:b}", "type", "object",
	    "properties", "manual_minutes_per_run", "type", "number",
	    "minimum", 0, "manual_minutes_per_item", "type", "number",
	    "minimum", 0, "vendor_minutes_per_run", "type", "number",
	    "minimum", 0, "vendor_minutes_per_item", "type", "number",
	    "minimum", 0, "replaces_inputs", "type", "array", "items", "type",
	    "string", "additionalProperties", 0);
}

json_t *cmd_schema_json(void);

/* The schema as a JSON value (a new reference). */
json_t *
cmd_schema_json(void)
{
	json_t *step = step_properties(), *defs, *top;

	action_foreach(add_action, step);
	defs = json_pack("{s:{s:s, s:s, s:s}, s:{s:[{s:s}, o]}, "
	    "s:{s:s, s:{s:s}}, s:{s:s, s:o, s:b, s:i}}",
	    "template", "type", "string", "pattern", "\\$\\{", "description",
	    "a ${...} expression (see docs/expressions.md)",
	    "condition", "anyOf", "type", "boolean", template_schema(),
	    "steps", "type", "array", "items", "$ref", "#/definitions/step",
	    "step", "type", "object", "properties", step,
	    "additionalProperties", 0, "minProperties", 1);
	top = json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:{s:{s:s, s:s}, "
	    "s:{s:s}, s:{s:s}, s:{s:s}, s:{s:[s, s]}, s:o, s:{s:s, "
	    "s:{s:s}}, s:{s:s, s:{s:s}}, s:{s:s}, s:{}}, s:b, s:o}",
	    "$schema", "http://json-schema.org/draft-07/schema#",
	    "title", "kobito script",
	    "description", "A kobito script: metadata, KPI figures, typed "
	    "params and steps (generated by `kobito schema`).",
	    "type", "object", "required", "name", "steps",
	    "properties", "name", "type", "string", "pattern",
	    "^[A-Za-z_][A-Za-z0-9_]*$", "title", "type", "string",
	    "description", "type", "string", "owner", "type", "string",
	    "version", "type", "string", "number", "kpi", kpi_schema(),
	    "params", "type", "object", "additionalProperties",
	    "$ref", "#/definitions/param", "requires", "type", "array",
	    "items", "type", "string", "steps", "$ref", "#/definitions/steps",
	    "output",
	    "additionalProperties", 0, "definitions", defs);
	if (top == NULL)
		abort();	/* a json_pack format does not match its values */
	json_object_set_new(defs, "param", param_schema());
	return top;
}

int
cmd_schema(int argc, char **argv)
{
	json_t *schema;
	char *text, err[512];

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: kobito schema\n");
		return 2;
	}
	if (action_load_all(err, sizeof err) != 0) {
		fprintf(stderr, "kobito schema: %s\n", err);
		return 1;
	}
	schema = cmd_schema_json();
	text = json_dumps(schema, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(schema);
	return 0;
}
