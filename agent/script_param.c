/*
 * script_param.c - a script's typed params: their declarations, the
 * conversion of given values to their types, and the description of a
 * script (its params and KPI figures) for forms and the API.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "script.h"
#include "script_int.h"
#include "textutil.h"
#include "xmalloc.h"
#include "ydoc.h"

/* --- params, KPI, metadata ---------------------------------------------- */

static const struct {
	const char	*name;
	enum param_type	 type;
} param_types[] = {
	{ "string", PARAM_STRING }, { "int", PARAM_INT },
	{ "number", PARAM_NUMBER }, { "bool", PARAM_BOOL },
	{ "path", PARAM_PATH }, { "date", PARAM_DATE },
	{ "enum", PARAM_ENUM },
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

static int
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

static void
parse_param(struct loader *l, const struct ynode *key, const struct ynode *n,
    struct param *p)
{
	static const char *const keys[] = { "type", "default", "required",
	    "title", "description", "choices", NULL };
	static const char *const types[] = { "string", "int", "number",
	    "bool", "path", "date", "enum", NULL };
	const struct ynode *v;
	char err[256], buf[128];
	json_t *def;

	p->name = xstrdup(key->value);
	p->pos = ld_pos_of(key);
	p->type = PARAM_STRING;
	if (!text_is_ident(p->name))
		ld_err_at(l, key, "a param name must be a name such as "
		    "'input_dir', not '%s'", p->name);
	if (n->kind == YNODE_SCALAR) {
		/* Shorthand: "name: int". */
		if (param_type_parse(n->value, &p->type) != 0)
			ld_err_at(l, n, "unknown param type '%s'%s", n->value,
			    ld_suggest(buf, sizeof buf,
			    text_nearest(n->value, types, 7)));
		return;
	}
	if (ynode_want(n, YNODE_MAP, "a param", &l->sink) != 0)
		return;
	ynode_check_keys(n, "a param", keys, &l->sink);
	if ((v = ynode_get(n, "type")) != NULL &&
	    ynode_text(v, "type", &l->sink) != NULL &&
	    param_type_parse(v->value, &p->type) != 0)
		ld_err_at(l, v, "unknown param type '%s'%s", v->value,
		    ld_suggest(buf, sizeof buf, text_nearest(v->value, types, 7)));
	if ((v = ynode_get(n, "required")) != NULL)
		ynode_bool(v, "required", &p->required, &l->sink);
	if ((v = ynode_get(n, "title")) != NULL)
		p->title = ynode_text_dup(v, "title", &l->sink);
	if ((v = ynode_get(n, "description")) != NULL)
		p->description = ynode_text_dup(v, "description", &l->sink);
	if ((v = ynode_get(n, "choices")) != NULL) {
		size_t i;

		if (ynode_want(v, YNODE_SEQ, "choices", &l->sink) == 0) {
			p->choices = json_array();
			for (i = 0; i < v->n; i++) {
				if (ynode_text(v->items[i], "a choice",
				    &l->sink) != NULL)
					json_array_append_new(p->choices,
					    json_string(v->items[i]->value));
			}
		}
	}
	if (p->type == PARAM_ENUM && p->choices == NULL)
		ld_err_at(l, n, "param '%s' is an enum and needs choices",
		    p->name);
	if ((v = ynode_get(n, "default")) != NULL) {
		def = ynode_to_json(v);
		if ((p->def = param_coerce(p, def, err, sizeof err)) == NULL)
			ld_err_at(l, v, "default of param '%s': %s", p->name,
			    err);
		json_decref(def);
	}
}

void
ld_parse_params(struct loader *l, const struct ynode *n)
{
	struct script *s = l->script;
	size_t i;

	if (ynode_want(n, YNODE_MAP, "params", &l->sink) != 0)
		return;
	s->params = xcalloc(n->n ? n->n : 1, sizeof *s->params);
	for (i = 0; i < n->n; i++) {
		if (n->keys[i]->kind != YNODE_SCALAR) {
			ld_err_at(l, n->keys[i], "param names must be scalars");
			continue;
		}
		parse_param(l, n->keys[i], n->items[i],
		    &s->params[s->nparams++]);
	}
}

/* --- param values -------------------------------------------------------- */

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

json_t *
param_coerce(const struct param *p, json_t *v, char *err, size_t errlen)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	char *end;
	double d;
	long long x;

	switch (p->type) {
	case PARAM_STRING:
	case PARAM_PATH:
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

json_t *
script_describe(const struct script *s)
{
	json_t *o = json_object(), *params = json_array(), *k, *list;
	size_t i;

	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "title", s->title ? json_string(s->title) :
	    json_string(s->name));
	json_object_set_new(o, "description", s->description ?
	    json_string(s->description) : json_string(""));
	json_object_set_new(o, "owner", s->owner ? json_string(s->owner) :
	    json_null());
	json_object_set_new(o, "version", s->version ?
	    json_string(s->version) : json_null());
	json_object_set_new(o, "digest", json_string(s->digest));
	for (i = 0; i < s->nparams; i++) {
		const struct param *p = &s->params[i];
		json_t *pj = json_object();

		json_object_set_new(pj, "name", json_string(p->name));
		json_object_set_new(pj, "type",
		    json_string(param_type_name(p->type)));
		json_object_set_new(pj, "required", json_boolean(p->required));
		json_object_set_new(pj, "default", p->def ?
		    json_incref(p->def) : json_null());
		json_object_set_new(pj, "title", json_string(p->title ?
		    p->title : p->name));
		json_object_set_new(pj, "description", json_string(
		    p->description ? p->description : ""));
		if (p->choices != NULL)
			json_object_set(pj, "choices", p->choices);
		json_array_append_new(params, pj);
	}
	json_object_set_new(o, "params", params);
	k = json_object();
	json_object_set_new(k, "manual_minutes_per_run",
	    json_real(s->kpi.manual_minutes_per_run));
	json_object_set_new(k, "manual_minutes_per_item",
	    json_real(s->kpi.manual_minutes_per_item));
	json_object_set_new(k, "vendor_minutes_per_run",
	    json_real(s->kpi.vendor_minutes_per_run));
	json_object_set_new(k, "vendor_minutes_per_item",
	    json_real(s->kpi.vendor_minutes_per_item));
	list = json_array();
	for (i = 0; i < s->kpi.nreplaces; i++)
		json_array_append_new(list,
		    json_string(s->kpi.replaces_inputs[i]));
	json_object_set_new(k, "replaces_inputs", list);
	json_object_set_new(o, "kpi", k);
	list = json_array();
	for (i = 0; i < s->nrequires; i++)
		json_array_append_new(list, json_string(s->requires[i]));
	json_object_set_new(o, "requires", list);
	return o;
}

