/*
 * script_step.c - loading steps: actions and their arguments, for_each,
 * while, include, retry, timeout and on_error, each checked where it is
 * written, so that a mistake is an error of `kobito validate` and not a
 * step that quietly does nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "fsutil.h"
#include "script.h"
#include "script_int.h"
#include "textutil.h"
#include "xmalloc.h"
#include "ydoc.h"

/* --- steps -------------------------------------------------------------- */

/* Keys a step may have besides its action. */
static const char *const step_keys[] = {
	"id", "name", "if", "retry", "timeout", "on_error", "for_each", "as",
	"steps", "items", "include", "with", "while", "until", "max", NULL,
};
#define NSTEP_KEYS	(sizeof(step_keys) / sizeof(step_keys[0]) - 1)

static int
is_step_key(const char *k)
{
	size_t i;

	for (i = 0; step_keys[i] != NULL; i++) {
		if (strcmp(step_keys[i], k) == 0)
			return 1;
	}
	return 0;
}

/* "delay_ms: 500", the old spelling of "delay: 500ms": a warning. */
static void
deprecated_delay_ms(struct loader *l, const struct ynode *k,
    const struct ynode *v, const char *where)
{
	struct pos p = ld_pos_of(k);

	diag_warn(l->diag, &p, "%s: 'delay_ms' is deprecated; write 'delay: "
	    "%sms' (a duration: 500ms, 1.5s, 2m)", where, v->kind ==
	    YNODE_SCALAR ? v->value : "N");
}

static void
parse_retry(struct loader *l, const struct ynode *n, struct retry *r)
{
	static const char *const keys[] = { "attempts", "delay", "backoff",
	    "delay_ms", NULL };
	const struct ynode *v;
	long long i;
	double d;
	size_t k;

	if (n->kind == YNODE_SCALAR) {
		if (ynode_int(n, "retry", 1, 100, &i, &l->sink) == 0)
			r->attempts = (int)i;
		return;
	}
	if (ynode_want(n, YNODE_MAP, "retry", &l->sink) != 0)
		return;
	ynode_check_keys(n, "retry", keys, &l->sink);
	if ((v = ynode_get(n, "attempts")) != NULL &&
	    ynode_int(v, "retry attempts", 1, 100, &i, &l->sink) == 0)
		r->attempts = (int)i;
	if ((v = ynode_get(n, "delay")) != NULL)
		ld_get_duration(l, v, "retry delay", &r->delay_ms);
	if ((v = ynode_get(n, "delay_ms")) != NULL) {
		if (ynode_get(n, "delay") != NULL)
			ld_err_at(l, v, "retry has both delay and delay_ms; "
			    "keep delay");
		else if (ynode_int(v, "retry delay_ms", 0, 86400000, &i,
		    &l->sink) == 0) {
			r->delay_ms = i;
			for (k = 0; k < n->n; k++)
				if (n->items[k] == v)
					deprecated_delay_ms(l, n->keys[k], v,
					    "retry");
		}
	}
	if ((v = ynode_get(n, "backoff")) != NULL &&
	    ynode_number(v, "retry backoff", 1, 10, &d, &l->sink) == 0)
		r->backoff = d;
}

/*
 * on_error: fail, continue, or steps that see ${error}.  The steps of a
 * loop's on_error run for each failed iteration, inside it: the loop's
 * names are theirs too.
 */
static void
parse_on_error(struct loader *l, const struct ynode *n, struct step *st)
{
	int loop = st->kind == STEP_FOR_EACH && st->as != NULL;
	int item_loop = loop && st->items && !l->in_item;

	if (n->kind == YNODE_SEQ) {
		st->on_error = ON_ERROR_STEPS;
		if (loop) {
			ld_strv_add(&l->loops, &l->nloops, st->as);
			ld_strv_add(&l->loops, &l->nloops, "item");
			l->loop_depth++;
			l->item_loops += item_loop;
		}
		l->in_handler++;
		ld_parse_steps(l, n, &st->handler);
		l->in_handler--;
		if (loop) {
			l->item_loops -= item_loop;
			l->loop_depth--;
			free(l->loops[--l->nloops]);
			free(l->loops[--l->nloops]);
		}
		return;
	}
	if (ynode_is(n, "fail"))
		st->on_error = ON_ERROR_FAIL;
	else if (ynode_is(n, "continue"))
		st->on_error = ON_ERROR_CONTINUE;
	else
		ld_err_at(l, n, "on_error must be 'fail', 'continue' or a list "
		    "of steps");
}

/* Whether a node holds no ${...} anywhere: its value is known now. */
static int
is_constant(const struct ynode *n)
{
	size_t i;

	if (n->kind == YNODE_SCALAR)
		return strstr(n->value, "${") == NULL;
	for (i = 0; i < n->n; i++) {
		if (!is_constant(n->items[i]))
			return 0;
	}
	return 1;
}

/*
 * Check the arguments written for an action against its spec: unknown
 * names, constant values of the wrong type (pointing at the value), and
 * missing required ones (pointing at the action).
 */
static void
check_args(struct loader *l, const struct ynode *key, const struct ynode *args,
    const struct action *a)
{
	const struct action_arg *spec;
	char err[256], buf[128];
	const char **names;
	json_t *v;
	size_t i, n;

	for (n = 0; a->args != NULL && a->args[n].name != NULL; n++)
		;
	names = xcalloc(n + 1, sizeof *names);
	for (i = 0; i < n; i++)
		names[i] = a->args[i].name;
	for (i = 0; args != NULL && i < args->n; i++) {
		const struct ynode *k = args->keys[i], *item = args->items[i];

		if (k->kind != YNODE_SCALAR)
			continue;
		if (strcmp(k->value, "delay_ms") == 0 &&
		    action_arg_find(a, "delay") != NULL) {
			/* The engine passes it on as delay (see eval_args). */
			deprecated_delay_ms(l, k, item, a->name);
			continue;
		}
		if (strcmp(k->value, "retry") == 0 && item->kind ==
		    YNODE_MAP && ynode_get(item, "delay_ms") != NULL) {
			for (size_t j = 0; j < item->n; j++)
				if (ynode_is(item->keys[j], "delay_ms"))
					deprecated_delay_ms(l, item->keys[j],
					    item->items[j], a->name);
		}
		if ((spec = action_arg_find(a, k->value)) == NULL) {
			if (!(a->flags & ACTION_OPEN))
				ld_err_at(l, k, "%s has no argument '%s'%s",
				    a->name, k->value, ld_suggest(buf, sizeof buf,
				    text_nearest(k->value, names, n)));
			continue;
		}
		if (!is_constant(item))
			continue;
		v = ynode_to_json(item);
		if (action_arg_check(spec, &v, err, sizeof err) != 0)
			ld_err_at(l, item, "%s: %s", a->name, err);
		json_decref(v);
	}
	for (spec = a->args; spec != NULL && spec->name != NULL; spec++) {
		if (spec->required && ynode_get(args, spec->name) == NULL)
			ld_err_at(l, key, "%s needs the argument '%s'", a->name,
			    spec->name);
	}
	free(names);
}

/*
 * Record the names the steps of a script set (set, append), wherever they
 * are: a name used before the step that sets it is then reported as such
 * rather than as unknown.
 */
void
ld_collect_vars(struct loader *l, const struct ynode *n)
{
	const struct ynode *set, *to;
	size_t i;

	if (n == NULL)
		return;
	if (n->kind == YNODE_MAP && (set = ynode_get(n, "set")) != NULL &&
	    set->kind == YNODE_MAP) {
		for (i = 0; i < set->n; i++) {
			const struct ynode *k = set->keys[i];

			if (k->kind == YNODE_SCALAR &&
			    !ld_strv_has(l->later, l->nlater, k->value))
				ld_strv_add(&l->later, &l->nlater, k->value);
		}
	}
	if (n->kind == YNODE_MAP && (set = ynode_get(n, "append")) != NULL &&
	    (to = ynode_get(set, "to")) != NULL && to->kind == YNODE_SCALAR &&
	    !ld_strv_has(l->later, l->nlater, to->value))
		ld_strv_add(&l->later, &l->nlater, to->value);
	for (i = 0; i < n->n; i++)
		ld_collect_vars(l, n->items[i]);
}

/* A name the step just loaded sets, from here on. */
static void
define_var(struct loader *l, const char *name)
{
	if (!ld_strv_has(l->vars, l->nvars, name))
		ld_strv_add(&l->vars, &l->nvars, name);
}

/*
 * What some actions need beyond their argument types: assert's condition
 * is an expression (a plain string is always true); skip ends an item, so
 * it belongs in an item loop; set and append define names.
 */
static void
check_action(struct loader *l, const struct ynode *key,
    const struct ynode *args, const struct action *a)
{
	const struct ynode *v;
	size_t i;

	if (strcmp(a->name, "assert") == 0 &&
	    (v = ynode_get(args, "that")) != NULL) {
		json_t *lit = v->kind == YNODE_SCALAR ? ynode_scalar_json(v) :
		    NULL;

		if (v->kind != YNODE_SCALAR || (!json_is_boolean(lit) &&
		    !tmpl_is_one_expr(v->value)))
			ld_err_at(l, v, "assert needs a condition written as one "
			    "expression, such as ${amount > 100}: a plain "
			    "string is always true");
		json_decref(lit);
	}
	/* An included flow may run inside an item: the engine checks. */
	if (strcmp(a->name, "skip") == 0 && l->item_loops == 0 &&
	    l->depth <= 1)
		ld_err_at(l, key, "skip ends an item: it belongs in the steps "
		    "of a for_each whose iterations are items");
	if (strcmp(a->name, "set") == 0 && args != NULL &&
	    args->kind == YNODE_MAP) {
		for (i = 0; i < args->n; i++)
			if (args->keys[i]->kind == YNODE_SCALAR)
				define_var(l, args->keys[i]->value);
	}
	if (strcmp(a->name, "append") == 0 &&
	    (v = ynode_get(args, "to")) != NULL && v->kind == YNODE_SCALAR) {
		if (strstr(v->value, "${") != NULL || !text_is_ident(v->value))
			ld_err_at(l, v, "append: to must be the name of a "
			    "variable, such as 'rows', not '%s'", v->value);
		else
			define_var(l, v->value);
	}
}

static void
parse_action(struct loader *l, const struct ynode *key,
    const struct ynode *val, struct step *st)
{
	const struct action *a, *near;
	struct ynode wrapped;
	struct ynode *k = NULL;
	struct ynode *items[1];
	struct ynode *keys[1];
	struct ynode keynode;

	if ((a = action_find(key->value)) == NULL) {
		char why[512];

		if (action_unloadable(key->value, why, sizeof why)) {
			ld_err_at(l, key, "%s: %s", key->value, why);
			return;
		}
		near = action_nearest(key->value);
		ld_err_at(l, key, "unknown action '%s'%s%s%s", key->value,
		    near ? " (did you mean '" : "", near ? near->name : "",
		    near ? "'?)" : "");
		return;
	}
	st->kind = STEP_ACTION;
	st->action = a;
	if (val->kind == YNODE_SCALAR && val->len == 0 && !val->quoted) {
		/* "- fail:" with nothing after it: no arguments. */
		st->args = NULL;
		check_args(l, key, NULL, a);
		check_action(l, key, NULL, a);
	} else if (val->kind != YNODE_MAP) {
		if (!(a->flags & ACTION_SCALAR) || a->args == NULL ||
		    a->args[0].name == NULL) {
			ld_err_at(l, val, "the arguments of %s must be a mapping",
			    a->name);
			return;
		}
		/* A bare value stands for the first argument. */
		memset(&keynode, 0, sizeof keynode);
		keynode.kind = YNODE_SCALAR;
		keynode.value = (char *)a->args[0].name;
		keynode.len = strlen(keynode.value);
		keynode.line = val->line;
		keynode.col = val->col;
		keynode.file = val->file;
		k = &keynode;
		keys[0] = k;
		items[0] = (struct ynode *)val;
		wrapped = *val;
		wrapped.kind = YNODE_MAP;
		wrapped.keys = keys;
		wrapped.items = items;
		wrapped.n = 1;
		wrapped.value = NULL;
		st->args = ld_build_tval(l, &wrapped);
		check_args(l, key, &wrapped, a);
		check_action(l, key, &wrapped, a);
	} else {
		st->args = ld_build_tval(l, val);
		check_args(l, key, val, a);
		check_action(l, key, val, a);
	}
}

/*
 * dir/rel with "." and ".." segments resolved, as far as they go: the key
 * under which an included file travels with its script.  Caller frees.
 */
static char *
path_join_clean(const char *dir, const char *rel)
{
	char *all = *dir ? xasprintf("%s/%s", dir, rel) : xstrdup(rel);
	char *out = fsutil_path_clean(all);

	free(all);
	return out;
}

static char *
dir_of(const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash ? xstrndup(key, (size_t)(slash - key)) : xstrdup("");
}

/*
 * Whether text is a kobito script: a YAML mapping with steps.  Only then
 * are its problems shown where it is included; the problems of anything
 * else (a password file, say) would quote what it holds.
 */
static int
looks_like_script(const char *text, size_t len)
{
	char err[64];
	struct ydoc *doc = ydoc_load_string("", text, len, err, sizeof err);
	int yes;

	yes = doc != NULL && ynode_get(doc->root, "steps") != NULL;
	ydoc_free(doc);
	return yes;
}

/* Move the warnings of from (an included file's) to d. */
static void
take_warnings(struct diag *d, struct diag *from)
{
	size_t i;

	for (i = 0; i < from->nwarnings; i++) {
		d->warnings = xreallocarray(d->warnings, d->nwarnings + 1,
		    sizeof *d->warnings);
		d->warnings[d->nwarnings++] = from->warnings[i];
	}
	free(from->warnings);
	from->warnings = NULL;
	from->nwarnings = 0;
}

/*
 * The included file key (relative to the version tree) into st->sub: from
 * the files given with the script, or from the tree on disk when there is
 * one; path is its name in messages.
 */
static void
include_file(struct loader *l, const struct ynode *n, struct step *st,
    const char *key, const char *path)
{
	struct diag sub = { NULL, 0, NULL, 0 };
	json_t *given;
	char err[512], *text = NULL, *subdir = dir_of(key);
	const char *src;
	size_t len, i;

	given = l->bundle->given ? json_object_get(l->bundle->given, key) :
	    NULL;
	if (json_is_string(given)) {
		src = json_string_value(given);
		len = json_string_length(given);
	} else if (l->bundle->root == NULL) {
		ld_err_at(l, n, "cannot include '%s': it is not among the "
		    "files given with the script", n->value);
		goto out;
	} else if (fsutil_read_under(l->bundle->root, key, SCRIPT_MAX_BYTES,
	    &text, &len, err, sizeof err) != 0) {
		ld_err_at(l, n, "cannot include '%s': %s", n->value, err);
		goto out;
	} else
		src = text;
	st->sub = ld_load_text(path, src, len, &sub, l->stack, l->depth,
	    l->bundle, subdir);
	if (st->sub != NULL || looks_like_script(src, len))
		take_warnings(l->diag, &sub);
	if (st->sub != NULL) {
		json_object_set_new(l->bundle->loaded, key,
		    json_stringn(st->sub->source, st->sub->source_len));
	} else if (looks_like_script(src, len)) {
		for (i = 0; i < sub.n; i++)
			diag_add(l->diag, NULL, "%s", sub.msgs[i]);
		ld_err_at(l, n, "cannot include '%s' (see above)", n->value);
	} else {
		ld_err_at(l, n, "cannot include '%s': it is not a kobito "
		    "script (a YAML mapping with steps), and what it holds is "
		    "not shown", n->value);
	}
out:
	diag_free(&sub);
	free(subdir);
	free(text);
}

static void
parse_include(struct loader *l, const struct ynode *n, struct step *st)
{
	char *path = NULL, *key;
	size_t i;

	if (ynode_text(n, "include", &l->sink) == NULL)
		return;
	st->kind = STEP_INCLUDE;
	key = path_join_clean(l->reldir, n->value);
	if (n->value[0] == '/' || strcmp(key, ".") == 0 ||
	    strcmp(key, "..") == 0 || strncmp(key, "../", 3) == 0) {
		ld_err_at(l, n, "cannot include '%s': includes are paths "
		    "inside the script's own folder", n->value);
		goto out;
	}
	if (l->depth >= MAX_INCLUDE_DEPTH) {
		ld_err_at(l, n, "includes nest deeper than %d levels",
		    MAX_INCLUDE_DEPTH);
		goto out;
	}
	path = strcmp(l->bundle->base, ".") == 0 ? xstrdup(key) :
	    xasprintf("%s/%s", l->bundle->base, key);
	for (i = 0; i < l->depth; i++) {
		if (strcmp(l->stack[i], path) == 0) {
			ld_err_at(l, n, "'%s' includes itself", n->value);
			goto out;
		}
	}
	include_file(l, n, st, key, path);
out:
	free(key);
	free(path);
}

static void
check_include_params(struct loader *l, const struct ynode *at,
    const struct ynode *with, struct step *st)
{
	const struct script *sub = st->sub;
	char buf[128];
	const char **names;
	size_t i;

	if (sub == NULL)
		return;
	names = xcalloc(sub->nparams + 1, sizeof *names);
	for (i = 0; i < sub->nparams; i++)
		names[i] = sub->params[i].name;
	for (i = 0; with != NULL && i < with->n; i++) {
		const struct ynode *k = with->keys[i], *item = with->items[i];
		const struct param *p;
		char err[256];
		json_t *v, *c;

		if (k->kind != YNODE_SCALAR)
			continue;
		if ((p = script_param(sub, k->value)) == NULL) {
			ld_err_at(l, k, "'%s' has no param '%s'%s", sub->path,
			    k->value, ld_suggest(buf, sizeof buf,
			    text_nearest(k->value, names, sub->nparams)));
			continue;
		}
		/* A value written as it is must fit the param's type. */
		if (!is_constant(item))
			continue;
		v = ynode_to_json(item);
		c = json_is_null(v) ? NULL : param_coerce(p, v, err,
		    sizeof err);
		if (!json_is_null(v) && c == NULL)
			ld_err_at(l, item, "with: %s (%s)", err, sub->path);
		json_decref(c);
		json_decref(v);
	}
	for (i = 0; i < sub->nparams; i++) {
		const struct param *p = &sub->params[i];

		if (p->required && p->def == NULL &&
		    ynode_get(with, p->name) == NULL)
			ld_err_at(l, at, "'%s' needs the param '%s'", sub->path,
			    p->name);
	}
	free(names);
}

/* The steps of a loop, with its names in scope. */
static void
parse_body(struct loader *l, const struct ynode *body, struct step *st,
    int item_loop)
{
	int saved_in_item = l->in_item;

	if (st->as != NULL) {
		ld_strv_add(&l->loops, &l->nloops, st->as);
		ld_strv_add(&l->loops, &l->nloops, "item");
	}
	l->loop_depth++;
	l->item_loops += item_loop;
	l->in_item = 1;
	ld_parse_steps(l, body, &st->body);
	l->in_item = saved_in_item;
	l->item_loops -= item_loop;
	l->loop_depth--;
	if (st->as != NULL) {
		free(l->loops[--l->nloops]);
		free(l->loops[--l->nloops]);
	}
}

/*
 * for_each: { csv: PATH, encoding: ..., header: ..., delimiter: ...,
 * skip_empty: ... }: the rows of a CSV file, read one at a time, with
 * csv.read's arguments (checked as csv.read checks them).
 */
static void
parse_csv_source(struct loader *l, const struct ynode *each, struct step *st)
{
	static const char *const keys[] = { "csv", "encoding", "header",
	    "delimiter", "skip_empty", NULL };
	const struct action *read = action_find("csv.read");
	const struct action_arg *spec;
	const struct ynode *k, *v;
	char err[256];
	json_t *val;
	size_t i;

	ynode_check_keys(each, "for_each", keys, &l->sink);
	if (ynode_get(each, "csv") == NULL) {
		ld_err_at(l, each, "for_each over a mapping reads a CSV file: "
		    "it needs csv: PATH");
		return;
	}
	for (i = 0; i < each->n; i++) {
		k = each->keys[i];
		v = each->items[i];
		if (k->kind != YNODE_SCALAR || !is_constant(v) ||
		    (spec = action_arg_find(read, ynode_is(k, "csv") ? "path" :
		    k->value)) == NULL)
			continue;
		val = ynode_to_json(v);
		if (action_arg_check(spec, &val, err, sizeof err) != 0)
			ld_err_at(l, v, "for_each: %s", err);
		json_decref(val);
	}
	st->each = ld_build_tval(l, each);
	st->each_csv = 1;
}

static void
parse_for_each(struct loader *l, const struct ynode *map,
    const struct ynode *each, struct step *st)
{
	const struct ynode *as = ynode_get(map, "as");
	const struct ynode *body = ynode_get(map, "steps");
	const struct ynode *items = ynode_get(map, "items");

	st->kind = STEP_FOR_EACH;
	st->items = 1;
	if (items != NULL)
		ynode_bool(items, "items", &st->items, &l->sink);
	if (each->kind == YNODE_MAP)
		parse_csv_source(l, each, st);
	else if (ynode_text(each, "for_each", &l->sink) != NULL) {
		if (strstr(each->value, "${") == NULL)
			ld_err_at(l, each, "for_each needs an expression such as "
			    "${steps.rows.output.rows}");
		else
			st->each = ld_template(l, each);
	}
	st->as = xstrdup("item");
	if (as != NULL && ynode_text(as, "as", &l->sink) != NULL) {
		if (!text_is_ident(as->value))
			ld_err_at(l, as, "as must be a name such as 'row', not "
			    "'%s'", as->value);
		free(st->as);
		st->as = xstrdup(as->value);
	}
	if (body == NULL) {
		ld_err_at(l, map, "for_each needs steps");
		return;
	}
	/* Only a loop that is not inside an item makes items. */
	parse_body(l, body, st, st->items && !l->in_item);
}

/*
 * while: ${cond} (checked before each pass) or until: ${cond} (after
 * each: the steps run at least once), with max: the most passes it may
 * make, which is required: a condition that never changes must end the
 * run with an error, not hang it.
 */
static void
parse_while(struct loader *l, const struct ynode *map,
    const struct ynode *cond, struct step *st)
{
	const struct ynode *body = ynode_get(map, "steps");
	const struct ynode *max = ynode_get(map, "max");
	long long i;

	st->kind = STEP_WHILE;
	st->until = ynode_get(map, "while") == NULL;
	if (ynode_get(map, "while") != NULL && ynode_get(map, "until") !=
	    NULL)
		ld_err_at(l, cond, "a loop has while or until, not both");
	if (ynode_text(cond, st->until ? "until" : "while", &l->sink) != NULL) {
		if (!tmpl_is_one_expr(cond->value))
			ld_err_at(l, cond, "%s needs a condition written as one "
			    "expression, such as ${next != null}", st->until ?
			    "until" : "while");
		else
			st->loop_cond = ld_template(l, cond);
	}
	if (max == NULL)
		ld_err_at(l, cond, "a %s loop needs max: the most times it may "
		    "run (it fails when the condition still says go on)",
		    st->until ? "until" : "while");
	else if (ynode_int(max, "max", 1, 1000000, &i, &l->sink) == 0)
		st->max = (long)i;
	if (body == NULL) {
		ld_err_at(l, map, "a %s loop needs steps", st->until ?
		    "until" : "while");
		return;
	}
	parse_body(l, body, st, 0);
}

/* The kind of step a loop or include key makes, for messages. */
static const char *
kind_name(const struct step *st)
{
	switch (st->kind) {
	case STEP_FOR_EACH:
		return "a for_each";
	case STEP_WHILE:
		return st->until ? "an until loop" : "a while loop";
	case STEP_INCLUDE:
		return "an include";
	default:
		return "an action";
	}
}

/*
 * retry: re-runs an action.  A loop or an include is not retried as a
 * whole - its items would be done (and counted) twice - so retry there
 * is refused, pointing at the steps inside.
 */
static void
check_retry(struct loader *l, const struct ynode *v, const struct step *st)
{
	if (v == NULL || st->kind == STEP_ACTION)
		return;
	ld_err_at(l, v, "retry applies to actions, not to %s: put retry on "
	    "the steps inside%s", kind_name(st), st->kind == STEP_FOR_EACH ?
	    " (a failed item is recorded and the loop goes on)" : "");
}

/* Keys that belong to one kind of step, found on another. */
static void
check_misplaced(struct loader *l, const struct ynode *n, const struct step *st)
{
	static const struct {
		const char	*key;
		unsigned	 kinds;		/* 1 << enum step_kind */
		const char	*owner;
	} keys[] = {
		{ "as", 1 << STEP_FOR_EACH, "for_each" },
		{ "items", 1 << STEP_FOR_EACH, "for_each" },
		{ "steps", 1 << STEP_FOR_EACH | 1 << STEP_WHILE,
		    "for_each, while and until" },
		{ "max", 1 << STEP_WHILE, "while and until" },
		{ "with", 1 << STEP_INCLUDE, "include" },
	};
	const struct ynode *v;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = ynode_get(n, keys[i].key)) != NULL &&
		    !(keys[i].kinds & (1u << st->kind)))
			ld_err_at(l, v, "'%s' belongs to %s", keys[i].key,
			    keys[i].owner);
}

/* Record a step's id: from its own on_error on, it may be used. */
static void
define_id(struct loader *l, struct step *st)
{
	if (st->id == NULL || ld_strv_has(l->ids, l->nids, st->id))
		return;
	l->idsteps = xreallocarray(l->idsteps, l->nids + 1,
	    sizeof *l->idsteps);
	l->idsteps[l->nids] = st;
	ld_strv_add(&l->ids, &l->nids, st->id);
}

/* What the step does: a loop, an include or an action. */
static void
parse_kind(struct loader *l, const struct ynode *n, const struct ynode *actkey,
    const struct ynode *actval, struct step *st)
{
	const struct ynode *v, *w;

	v = ynode_get(n, "for_each");
	w = ynode_get(n, "while") ? ynode_get(n, "while") :
	    ynode_get(n, "until");
	if ((v != NULL) + (w != NULL) + (actkey != NULL) +
	    (ynode_get(n, "include") != NULL) > 1) {
		ld_err_at(l, n, "a step does one thing: an action, a for_each, "
		    "a while or until loop, or an include");
	} else if (v != NULL) {
		parse_for_each(l, n, v, st);
	} else if (w != NULL) {
		parse_while(l, n, w, st);
	} else if ((v = ynode_get(n, "include")) != NULL) {
		parse_include(l, v, st);
		if ((v = ynode_get(n, "with")) != NULL &&
		    ynode_want(v, YNODE_MAP, "with", &l->sink) == 0)
			st->with = ld_build_tval(l, v);
		check_include_params(l, n, v, st);
	} else if (actkey != NULL) {
		parse_action(l, actkey, actval, st);
	} else {
		ld_err_at(l, n, "this step has no action");
	}
}

static struct step *
parse_step(struct loader *l, const struct ynode *n)
{
	struct step *st;
	const struct ynode *v, *actkey = NULL, *actval = NULL;
	size_t i;

	if (ynode_want(n, YNODE_MAP, "a step", &l->sink) != 0)
		return NULL;
	st = xcalloc(1, sizeof *st);
	st->pos = ld_pos_of(n);
	st->retry.attempts = 1;
	st->retry.delay_ms = 1000;
	st->retry.backoff = 2.0;

	for (i = 0; i < n->n; i++) {
		const struct ynode *k = n->keys[i];

		if (k->kind != YNODE_SCALAR || is_step_key(k->value))
			continue;
		/* on_eror: is a misspelt key, not an action. */
		if (action_find(k->value) == NULL && text_nearest(k->value,
		    step_keys, NSTEP_KEYS) != NULL) {
			char buf[128];

			ld_err_at(l, k, "unknown step key '%s'%s", k->value,
			    ld_suggest(buf, sizeof buf, text_nearest(k->value,
			    step_keys, NSTEP_KEYS)));
			continue;
		}
		if (actkey != NULL) {
			ld_err_at(l, k, "a step has one action; '%s' and '%s' "
			    "are both here (start a new step with '-')",
			    actkey->value, k->value);
			continue;
		}
		actkey = k;
		actval = n->items[i];
	}
	if ((v = ynode_get(n, "id")) != NULL &&
	    (st->id = ynode_text_dup(v, "id", &l->sink)) != NULL) {
		if (!text_is_ident(st->id))
			ld_err_at(l, v, "a step id must be a name such as "
			    "'read_rows', not '%s'", st->id);
		else if (ld_strv_has(l->ids, l->nids, st->id))
			ld_err_at(l, v, "step id '%s' is used twice", st->id);
	}
	if ((v = ynode_get(n, "name")) != NULL)
		st->name = ynode_text_dup(v, "name", &l->sink);
	if ((v = ynode_get(n, "if")) != NULL && ynode_text(v, "if", &l->sink) != NULL) {
		if (!tmpl_is_one_expr(v->value))
			ld_err_at(l, v, "if needs a condition written as one "
			    "expression, such as ${row.amount > 0}");
		else
			st->cond = ld_template(l, v);
	}
	if ((v = ynode_get(n, "retry")) != NULL)
		parse_retry(l, v, &st->retry);
	if ((v = ynode_get(n, "timeout")) != NULL)
		ld_get_duration(l, v, "timeout", &st->timeout_ms);
	parse_kind(l, n, actkey, actval, st);
	check_retry(l, ynode_get(n, "retry"), st);
	check_misplaced(l, n, st);
	define_id(l, st);
	if ((v = ynode_get(n, "on_error")) != NULL)
		parse_on_error(l, v, st);

	if (st->id != NULL)
		st->label = xstrdup(st->id);
	else if (st->name != NULL)
		st->label = xstrdup(st->name);
	else if (st->kind == STEP_ACTION && st->action != NULL)
		st->label = xstrdup(st->action->name);
	else if (st->kind == STEP_FOR_EACH)
		st->label = xstrdup("for_each");
	else if (st->kind == STEP_WHILE)
		st->label = xstrdup(st->until ? "until" : "while");
	else
		st->label = xstrdup("include");
	return st;
}

void
ld_parse_steps(struct loader *l, const struct ynode *n, struct steps *out)
{
	struct step *st;
	size_t i;

	if (ynode_want(n, YNODE_SEQ, "steps", &l->sink) != 0)
		return;
	if (n->n == 0)
		ld_err_at(l, n, "steps is empty");
	out->v = xcalloc(n->n ? n->n : 1, sizeof *out->v);
	for (i = 0; i < n->n; i++) {
		if ((st = parse_step(l, n->items[i])) != NULL)
			out->v[out->n++] = st;
	}
}

void
ld_step_free(struct step *st)
{
	if (st == NULL)
		return;
	free(st->id);
	free(st->name);
	free(st->label);
	ld_tval_free(st->cond);
	ld_steps_free(&st->handler);
	ld_tval_free(st->args);
	ld_tval_free(st->each);
	ld_tval_free(st->loop_cond);
	free(st->as);
	ld_steps_free(&st->body);
	script_free(st->sub);
	ld_tval_free(st->with);
	free(st);
}

void
ld_steps_free(struct steps *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		ld_step_free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

