/*
 * param.c - a script's params: their types, and how a value given as text
 * (--param, a form) or as JSON (the API) becomes one.
 *
 * A url param may carry an allow list of destinations (urlmatch.h) and a
 * path param a list of roots: a value outside them is refused where it is
 * given (the scheduler, when a job is triggered) and again where it is
 * used (the agent, when the run starts), so that whoever may trigger a
 * script cannot point it at a host or a folder of their own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "script.h"
#include "textutil.h"
#include "urlmatch.h"
#include "xmalloc.h"

static const struct {
	const char	*name;
	enum param_type	 type;
} param_types[] = {
	{ "string", PARAM_STRING }, { "int", PARAM_INT },
	{ "number", PARAM_NUMBER }, { "bool", PARAM_BOOL },
	{ "path", PARAM_PATH }, { "date", PARAM_DATE },
	{ "enum", PARAM_ENUM }, { "url", PARAM_URL },
};

const char *const param_type_names[] = {
	"string", "int", "number", "bool", "path", "date", "enum", "url", NULL,
};

const char *
param_type_name(enum param_type t)
{
	size_t i;

	for (i = 0; i < sizeof param_types / sizeof param_types[0]; i++) {
		if (param_types[i].type == t)
			return param_types[i].name;
	}
	return "?";
}

int
param_type_parse(const char *s, enum param_type *t)
{
	size_t i;

	for (i = 0; i < sizeof param_types / sizeof param_types[0]; i++) {
		if (strcmp(param_types[i].name, s) == 0) {
			*t = param_types[i].type;
			return 0;
		}
	}
	return -1;
}

json_t *
param_parse(const struct param *p, const char *text, char *err,
    size_t errlen)
{
	json_t *v = json_string(text), *r;

	if (v == NULL) {
		snprintf(err, errlen, "param '%s' is not valid UTF-8",
		    p->name);
		return NULL;
	}
	r = param_coerce(p, v, err, errlen);
	json_decref(v);
	return r;
}

static int
choice_ok(const struct param *p, const char *s)
{
	size_t i;
	json_t *c;

	json_array_foreach(p->choices, i, c) {
		if (strcmp(json_string_value(c), s) == 0)
			return 1;
	}
	return 0;
}

/* The list as "a, b, c", for messages; caller frees. */
static char *
list_text(json_t *list)
{
	struct buf b;
	json_t *v;
	size_t i;

	buf_init(&b, 4096);
	json_array_foreach(list, i, v)
		buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(v));
	return buf_detach(&b, NULL);
}

/* The strings of a JSON array, borrowed, in a new vector. */
static const char **
strings_of(json_t *list, size_t *n)
{
	const char **v = xcalloc(json_array_size(list) + 1, sizeof *v);
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
		v[i] = json_string_value(x);
	*n = json_array_size(list);
	return v;
}

/* A URL (urlmatch.h) within the param's allow list (when it has one). */
static json_t *
coerce_url(const struct param *p, const char *s, char *err, size_t errlen)
{
	const char **pats;
	char why[128], *list;
	size_t n;
	int ok;

	if (s == NULL || urlmatch_url_ok(s, why, sizeof why) != 0) {
		snprintf(err, errlen, "param '%s' must be an http(s)://, "
		    "imap(s):// or smtp(s):// URL%s%s", p->name, s ? ": " : "",
		    s ? why : "");
		return NULL;
	}
	if (p->allow == NULL)
		return json_string(s);
	pats = strings_of(p->allow, &n);
	ok = urlmatch_any(pats, n, s);
	free(pats);
	if (ok)
		return json_string(s);
	list = list_text(p->allow);
	snprintf(err, errlen, "param '%s' may only name %s, not '%.*s'",
	    p->name, list, text_utf8_prefix(s, 200), s);
	free(list);
	return NULL;
}

/* A path under one of the param's roots (when it has them). */
static json_t *
coerce_path(const struct param *p, json_t *v, char *err, size_t errlen)
{
	const char *s = json_string_value(v);
	char *list;
	json_t *r;
	size_t i;

	if (p->roots == NULL)
		return json_incref(v);
	json_array_foreach(p->roots, i, r)
		if (fsutil_path_within(s, json_string_value(r)))
			return json_incref(v);
	list = list_text(p->roots);
	snprintf(err, errlen, "param '%s' must be a path under %s, not "
	    "'%.*s'", p->name, list, text_utf8_prefix(s, 200), s);
	free(list);
	return NULL;
}

json_t *
param_coerce(const struct param *p, json_t *v, char *err, size_t errlen)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	char *end;
	double d;
	long long x;

	switch (p->type) {
	case PARAM_URL:
		return coerce_url(p, s, err, errlen);
	case PARAM_PATH:
		if (s != NULL)
			return coerce_path(p, v, err, errlen);
		/* FALLTHROUGH */
	case PARAM_STRING:
		if (s != NULL)
			return json_incref(v);
		if (json_is_number(v) || json_is_boolean(v)) {
			char *t = json_dumps(v, JSON_ENCODE_ANY);
			json_t *r = json_string(t);

			free(t);
			return r;
		}
		break;
	case PARAM_INT:
		if (json_is_integer(v))
			return json_incref(v);
		if (s != NULL && *s != '\0') {
			errno = 0;
			x = strtoll(s, &end, 10);
			if (*end == '\0' && errno == 0)
				return json_integer(x);
		}
		snprintf(err, errlen, "param '%s' must be a whole number",
		    p->name);
		return NULL;
	case PARAM_NUMBER:
		if (json_is_number(v))
			return json_incref(v);
		if (s != NULL && *s != '\0') {
			d = strtod(s, &end);
			if (*end == '\0')
				return json_real(d);
		}
		snprintf(err, errlen, "param '%s' must be a number", p->name);
		return NULL;
	case PARAM_BOOL:
		if (json_is_boolean(v))
			return json_incref(v);
		if (s != NULL && (strcmp(s, "true") == 0 ||
		    strcmp(s, "yes") == 0 || strcmp(s, "1") == 0))
			return json_true();
		if (s != NULL && (strcmp(s, "false") == 0 ||
		    strcmp(s, "no") == 0 || strcmp(s, "0") == 0))
			return json_false();
		snprintf(err, errlen, "param '%s' must be true or false",
		    p->name);
		return NULL;
	case PARAM_DATE:
		if (s != NULL && text_is_iso_date(s))
			return json_incref(v);
		snprintf(err, errlen, "param '%s' must be a date written "
		    "YYYY-MM-DD", p->name);
		return NULL;
	case PARAM_ENUM:
		if (s != NULL && (p->choices == NULL || choice_ok(p, s)))
			return json_incref(v);
		{
			char *c = p->choices ? json_dumps(p->choices,
			    JSON_COMPACT) : xstrdup("[]");

			snprintf(err, errlen, "param '%s' must be one of %s",
			    p->name, c);
			free(c);
		}
		return NULL;
	}
	snprintf(err, errlen, "param '%s' must be %s", p->name,
	    param_type_name(p->type));
	return NULL;
}

