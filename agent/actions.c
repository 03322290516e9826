/*
 * actions.c - the registry of action tables.
 *
 * Each module that provides actions exports one table; adding a module is
 * one line in tables[] below.  The office module's tables (office.h) are
 * loaded when a name with their prefix is looked up, or all are listed.
 * Lookups are linear over a few dozen rows, which is cheaper than it
 * sounds because scripts are resolved once, at load time.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "office.h"
#include "textutil.h"

extern const struct action core_actions[];
extern const struct action file_actions[], csv_actions[], json_actions[],
    sqlite_actions[], exec_actions[];
extern const struct action ui_actions[];
extern const struct action screen_actions[];
extern const struct action http_actions[];
extern const struct action ocr_actions[];
extern const struct action web_actions[];
extern const struct action queue_actions[];
extern const struct action a11y_actions[];

/*
 * A table linked into the program, or one of the office module's, named
 * by the prefix of its actions and loaded only when needed (office.h).
 */
static const struct table_ref {
	const struct action	*linked;
	const char		*office;
} tables[] = {
	{ core_actions, NULL },
	{ file_actions, NULL }, { csv_actions, NULL }, { json_actions, NULL },
	{ sqlite_actions, NULL }, { exec_actions, NULL },
	{ ui_actions, NULL },
	{ screen_actions, NULL },
	{ http_actions, NULL },
	{ ocr_actions, NULL },
	{ NULL, "xlsx." },
	{ NULL, "pdf." },
	{ web_actions, NULL },
	{ NULL, "mail." },
	{ queue_actions, NULL },
	{ a11y_actions, NULL },
};

#define NTABLES (sizeof tables / sizeof tables[0])

/*
 * Table i, loading the office module for it if need be; NULL (with err)
 * when the module cannot be loaded.
 */
static const struct action *
table_at(size_t i, char *err, size_t errlen)
{
	const struct action *const *t;

	if (tables[i].linked != NULL)
		return tables[i].linked;
	if ((t = office_tables(err, errlen)) == NULL)
		return NULL;
	for (; *t != NULL; t++)
		if (strncmp((*t)->name, tables[i].office,
		    strlen(tables[i].office)) == 0)
			return *t;
	snprintf(err, errlen, "the office module has no %s actions",
	    tables[i].office);
	return NULL;
}

/* Whether a name could be in table i: the office module is loaded for
 * its own prefixes only, so that a run without them never pays for it. */
static int
may_hold(size_t i, const char *name)
{
	return tables[i].linked != NULL || strncmp(name, tables[i].office,
	    strlen(tables[i].office)) == 0;
}

const struct action *
action_find(const char *name)
{
	const struct action *a;
	char err[512];
	size_t i;

	for (i = 0; i < NTABLES; i++) {
		if (!may_hold(i, name))
			continue;
		a = table_at(i, err, sizeof err);
		for (; a != NULL && a->name != NULL; a++) {
			if (strcmp(a->name, name) == 0)
				return a;
		}
	}
	return NULL;
}

int
action_unloadable(const char *name, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < NTABLES; i++)
		if (tables[i].linked == NULL && may_hold(i, name) &&
		    table_at(i, err, errlen) == NULL)
			return 1;
	return 0;
}

int
action_load_all(char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < NTABLES; i++)
		if (table_at(i, err, errlen) == NULL)
			return -1;
	return 0;
}

const struct action *
action_nearest(const char *name)
{
	const struct action *a, *best = NULL;
	char err[512];
	size_t i, d, bestd = SIZE_MAX;

	for (i = 0; i < NTABLES; i++) {
		a = table_at(i, err, sizeof err);
		for (; a != NULL && a->name != NULL; a++) {
			d = text_distance(name, a->name);
			if (d < bestd) {
				bestd = d;
				best = a;
			}
		}
	}
	return best != NULL && text_is_near(name, best->name) ? best : NULL;
}

void
action_foreach(void (*fn)(const struct action *, void *), void *arg)
{
	const struct action *a;
	char err[512];
	size_t i;

	for (i = 0; i < NTABLES; i++) {
		a = table_at(i, err, sizeof err);
		for (; a != NULL && a->name != NULL; a++)
			fn(a, arg);
	}
}

const struct action_arg *
action_arg_find(const struct action *a, const char *name)
{
	const struct action_arg *arg;

	for (arg = a->args; arg != NULL && arg->name != NULL; arg++) {
		if (strcmp(arg->name, name) == 0)
			return arg;
	}
	return NULL;
}

const char *
arg_type_name(enum arg_type t)
{
	static const char *const names[] = {
		[ARG_ANY] = "any value",
		[ARG_STRING] = "a string",
		[ARG_INT] = "an integer",
		[ARG_NUMBER] = "a number",
		[ARG_BOOL] = "true or false",
		[ARG_LIST] = "a list",
		[ARG_MAP] = "a mapping",
		[ARG_NULL] = "null",
		[ARG_PATH_READ] = "a path (string)",
		[ARG_PATH_WRITE] = "a path (string)",
		[ARG_GLOB] = "a pattern (string)",
		[ARG_PATHS_READ] = "a path or a list of paths",
	};

	return names[t];
}

const char *
action_dry_name(enum action_dry d)
{
	static const char *const names[] = {
		[ACTION_DRY_SKIP] = "skip",
		[ACTION_DRY_READ] = "read",
		[ACTION_DRY_SELF] = "self",
	};

	return names[d];
}

static const char *
json_type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

static void
replace(json_t **value, json_t *with)
{
	json_decref(*value);
	*value = with;
}

static int
check_string(json_t **value)
{
	char buf[64];

	switch (json_typeof(*value)) {
	case JSON_STRING:
		return 0;
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(*value));
		replace(value, json_string(buf));
		return 0;
	case JSON_REAL:
		snprintf(buf, sizeof buf, "%.17g", json_real_value(*value));
		replace(value, json_string(buf));
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		replace(value, json_string(json_is_true(*value) ?
		    "true" : "false"));
		return 0;
	default:
		return -1;
	}
}

static int
check_int(json_t **value)
{
	double d;
	long long x;
	char *end;
	const char *s;

	switch (json_typeof(*value)) {
	case JSON_INTEGER:
		return 0;
	case JSON_REAL:
		d = json_real_value(*value);
		if (d != floor(d) || fabs(d) > 9e15)
			return -1;
		replace(value, json_integer((json_int_t)d));
		return 0;
	case JSON_STRING:
		s = json_string_value(*value);
		x = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0')
			return -1;
		replace(value, json_integer(x));
		return 0;
	default:
		return -1;
	}
}

static int
check_number(json_t **value)
{
	double d;
	char *end;
	const char *s;

	switch (json_typeof(*value)) {
	case JSON_INTEGER:
	case JSON_REAL:
		return 0;
	case JSON_STRING:
		s = json_string_value(*value);
		d = strtod(s, &end);
		if (*s == '\0' || *end != '\0' || !isfinite(d))
			return -1;
		replace(value, json_real(d));
		return 0;
	default:
		return -1;
	}
}

static int
check_bool(json_t **value)
{
	const char *s;

	if (json_is_boolean(*value))
		return 0;
	if (!json_is_string(*value))
		return -1;
	s = json_string_value(*value);
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0) {
		replace(value, json_true());
		return 0;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0) {
		replace(value, json_false());
		return 0;
	}
	return -1;
}

int
action_arg_check(const struct action_arg *arg, json_t **value, char *err,
    size_t errlen)
{
	int r = 0;

	if (json_is_null(*value))
		return 0;
	switch (arg->type) {
	case ARG_ANY:
		break;
	case ARG_STRING:
	case ARG_PATH_READ:
	case ARG_PATH_WRITE:
	case ARG_GLOB:
		r = check_string(value);
		break;
	case ARG_INT:
		r = check_int(value);
		break;
	case ARG_NUMBER:
		r = check_number(value);
		break;
	case ARG_BOOL:
		r = check_bool(value);
		break;
	case ARG_LIST:
		r = json_is_array(*value) ? 0 : -1;
		break;
	case ARG_PATHS_READ:
		r = json_is_array(*value) || json_is_string(*value) ? 0 : -1;
		break;
	case ARG_MAP:
		r = json_is_object(*value) ? 0 : -1;
		break;
	case ARG_NULL:
		break;
	}
	if (r != 0)
		snprintf(err, errlen, "argument '%s' must be %s, not %s",
		    arg->name, arg_type_name(arg->type),
		    json_type_word(*value));
	return r;
}
