/*
 * script_param.c - a script's typed params as the loader reads them (the
 * types and the conversion of values are in param.c), and the description
 * of a script (its params and KPI figures) for forms and the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"
#include "script_int.h"
#include "textutil.h"
#include "urlmatch.h"
#include "xmalloc.h"
#include "ydoc.h"

/* --- params, KPI, metadata ---------------------------------------------- */

/*
 * A url param's allow list (destinations, see urlmatch.h) or a path
 * param's roots: a list of strings, each checked.
 */
static json_t *
param_list(struct loader *l, const struct ynode *n, const struct param *p,
    enum param_type for_type, const char *what)
{
	json_t *list;
	char err[256];
	size_t i;

	if (p->type != for_type) {
		ld_err_at(l, n, "%s is for %s params, and '%s' is a %s", what,
		    param_type_name(for_type), p->name,
		    param_type_name(p->type));
		return NULL;
	}
	if (ynode_want(n, YNODE_SEQ, what, &l->sink) != 0)
		return NULL;
	if (n->n == 0)
		ld_err_at(l, n, "%s must name at least one %s", what,
		    for_type == PARAM_URL ? "destination" : "folder");
	list = json_array();
	for (i = 0; i < n->n; i++) {
		const char *s = ynode_text(n->items[i], what, &l->sink);

		if (s == NULL)
			continue;
		if (for_type == PARAM_URL &&
		    urlmatch_check(s, err, sizeof err) != 0)
			ld_err_at(l, n->items[i], "%s: %s", what, err);
		json_array_append_new(list, json_string(s));
	}
	return list;
}

static void
parse_param(struct loader *l, const struct ynode *key, const struct ynode *n,
    struct param *p)
{
	static const char *const keys[] = { "type", "default", "required",
	    "title", "description", "choices", "allow", "roots", NULL };
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
			    ld_suggest(buf, sizeof buf, text_nearest(n->value,
			    param_type_names, SIZE_MAX)));
		return;
	}
	if (ynode_want(n, YNODE_MAP, "a param", &l->sink) != 0)
		return;
	ynode_check_keys(n, "a param", keys, &l->sink);
	if ((v = ynode_get(n, "type")) != NULL &&
	    ynode_text(v, "type", &l->sink) != NULL &&
	    param_type_parse(v->value, &p->type) != 0)
		ld_err_at(l, v, "unknown param type '%s'%s", v->value,
		    ld_suggest(buf, sizeof buf, text_nearest(v->value,
		    param_type_names, SIZE_MAX)));
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
	if ((v = ynode_get(n, "allow")) != NULL)
		p->allow = param_list(l, v, p, PARAM_URL, "allow");
	if ((v = ynode_get(n, "roots")) != NULL)
		p->roots = param_list(l, v, p, PARAM_PATH, "roots");
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
		if (p->allow != NULL)
			json_object_set(pj, "allow", p->allow);
		if (p->roots != NULL)
			json_object_set(pj, "roots", p->roots);
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

