/*
 * engine.c - execute a loaded script.
 *
 * The engine walks the step tree: it evaluates each step's condition and
 * arguments against the run's names, calls the action with retries and a
 * deadline, records the output under the step's id, and applies the step's
 * on_error policy.  A for_each that is not inside another item makes each
 * iteration an item: a failing iteration is recorded with its reason and
 * the loop goes on, so one bad row never stops the other 999.
 *
 * This file holds the run itself: its names, params and secrets, events,
 * the summary.  Steps are executed in engine_step.c; the services actions
 * call (act_*) are in engine_act.c.
 *
 * Everything that leaves the engine (events, the summary, error messages)
 * passes through the run's secret mask first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "action.h"
#include "buf.h"
#include "engine.h"
#include "engine_int.h"
#include "expr.h"
#include "mask.h"
#include "script.h"
#include "timeutil.h"
#include "xmalloc.h"

extern char **environ;

/* --- events ------------------------------------------------------------- */

void
eng_emit(struct run *r, json_t *ev)
{
	json_t *masked;

	if (ev == NULL)
		abort();	/* a json_pack format does not match its values */

	if (r->opts.on_event != NULL) {
		masked = mask_json(&r->mask, ev);
		r->opts.on_event(r->opts.event_arg, masked);
		json_decref(masked);
	}
	json_decref(ev);
}

void
run_log(struct run *r, const char *level, const char *msg)
{
	char when[64];

	if (r->opts.on_event == NULL)
		return;		/* nobody reads the log */
	time_iso_local(time_wall_ms(), when, sizeof when);
	eng_emit(r, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "type", "log",
	    "time", when, "level", level, "message", msg,
	    "step", r->current ? r->current->label : NULL));
}

char *
eng_pos_text(const struct pos *p)
{
	return xasprintf("%s:%d:%d", p->file, p->line, p->col);
}

/* --- names ---------------------------------------------------------------- */

json_t *
eng_lookup(void *ctx, const char *name)
{
	struct frame *f = ctx;
	struct run *r = f->run;
	size_t i;
	json_t *v;

	for (i = f->nbind; i > 0; i--) {
		if (strcmp(f->bind[i - 1].name, name) == 0)
			return f->bind[i - 1].value;
	}
	switch (name[0]) {
	case 'e':
		if (strcmp(name, "env") == 0)
			return r->env;
		if (strcmp(name, "error") == 0)
			return f->error ? f->error : json_null();
		break;
	case 'l':
		if (strcmp(name, "loop") == 0)
			return f->loop.active ? eng_loop_value(&f->loop) :
			    json_null();
		break;
	case 'p':
		if (strcmp(name, "params") == 0)
			return f->params;
		break;
	case 'r':
		if (strcmp(name, "run") == 0)
			return r->runinfo;
		break;
	case 's':
		if (strcmp(name, "steps") == 0)
			return f->steps;
		if (strcmp(name, "secrets") == 0)
			return r->secrets;
		break;
	case 'v':
		if (strcmp(name, "vars") == 0)
			return f->vars;
		break;
	}
	if ((v = json_object_get(f->vars, name)) != NULL)
		return v;
	return NULL;
}

json_t *
eng_loop_value(struct loopstate *ls)
{
	if (ls->cache != NULL)
		return ls->cache;
	ls->cache = json_pack("{s:I, s:I, s:b}", "index", (json_int_t)ls->index,
	    "number", (json_int_t)ls->index + 1, "first", ls->index == 0);
	if (ls->counted) {
		json_object_set_new(ls->cache, "count",
		    json_integer((json_int_t)ls->count));
		json_object_set_new(ls->cache, "last",
		    json_boolean(ls->index + 1 == ls->count));
	} else {
		json_object_set_new(ls->cache, "count", json_null());
		json_object_set_new(ls->cache, "last", json_null());
	}
	return ls->cache;
}

void
run_set_var(struct run *r, const char *name, json_t *value)
{
	/* Variables live in the frame (script) of the step being run. */
	struct frame *f = r->frame ? r->frame : &r->top;

	json_object_set(f->vars, name, value);
}

/* --- params and secrets ----------------------------------------------- */

json_t *
eng_make_params(const struct script *s, json_t *given, char *err, size_t errlen)
{
	json_t *params = json_object(), *v, *c;
	const char *k;
	size_t i;

	json_object_foreach(given, k, v) {
		if (script_param(s, k) == NULL) {
			snprintf(err, errlen, "%s has no param '%s'", s->path,
			    k);
			json_decref(params);
			return NULL;
		}
	}
	for (i = 0; i < s->nparams; i++) {
		const struct param *p = &s->params[i];

		v = given ? json_object_get(given, p->name) : NULL;
		if (v == NULL || json_is_null(v)) {
			if (p->def != NULL) {
				json_object_set(params, p->name, p->def);
				continue;
			}
			if (p->required) {
				snprintf(err, errlen, "param '%s' is required "
				    "(%s:%d:%d)", p->name, p->pos.file,
				    p->pos.line, p->pos.col);
				json_decref(params);
				return NULL;
			}
			json_object_set_new(params, p->name, json_null());
			continue;
		}
		if ((c = param_coerce(p, v, err, errlen)) == NULL) {
			json_decref(params);
			return NULL;
		}
		json_object_set_new(params, p->name, c);
	}
	return params;
}

static json_t *
make_env(void)
{
	json_t *env = json_object();
	char **e, *name;
	const char *eq;

	for (e = environ; *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL)
			continue;
		name = xstrndup(*e, (size_t)(eq - *e));
		json_object_set_new(env, name, json_string(eq + 1));
		free(name);
	}
	return env;
}

#define SECRET_ENV_PREFIX "KOBITO_SECRET_"

/* Secrets from the options, then KOBITO_SECRET_<NAME> variables. */
static json_t *
make_secrets(struct run *r)
{
	json_t *sec = json_object(), *v;
	const char *k, *val;
	char **e, *name, *p;
	size_t plen = strlen(SECRET_ENV_PREFIX);

	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, SECRET_ENV_PREFIX, plen) != 0 ||
		    (val = strchr(*e, '=')) == NULL)
			continue;
		name = xstrndup(*e + plen, (size_t)(val - *e) - plen);
		for (p = name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		json_object_set_new(sec, name, json_string(val + 1));
		free(name);
	}
	if (r->opts.secrets != NULL)
		json_object_update(sec, r->opts.secrets);
	json_object_foreach(sec, k, v) {
		if (json_is_string(v))
			mask_add(&r->mask, json_string_value(v));
	}
	return sec;
}

static char *
new_run_id(void)
{
	unsigned char rnd[6];
	char hex[13];
	time_t t = time(NULL);
	struct tm tm;
	char date[32];

	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
	localtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y%m%d-%H%M%S", &tm);
	return xasprintf("%s-%s", date, hex);
}

struct run *
run_new(const struct script *s, const struct run_opts *opts, char *err,
    size_t errlen)
{
	struct run *r;
	json_t *params;
	char when[64];

	if (sodium_init() < 0) {
		snprintf(err, errlen, "cannot initialise libsodium");
		return NULL;
	}
	if ((params = eng_make_params(s, opts->params, err, errlen)) == NULL)
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->script = s;
	r->opts = *opts;
	r->id = opts->run_id ? xstrdup(opts->run_id) : new_run_id();
	mask_init(&r->mask);
	r->top.script = s;
	r->top.params = params;
	r->top.steps = json_object();
	r->top.vars = json_object();
	r->top.run = r;
	r->env = make_env();
	r->secrets = make_secrets(r);
	r->artifacts = json_array();
	r->results = json_array();
	r->failures = json_array();
	r->skips = json_array();
	r->item_index = -1;
	if (opts->artifacts_dir != NULL)
		r->artifacts_dir = xstrdup(opts->artifacts_dir);
	else
		r->artifacts_dir = xasprintf("%s/kobito-artifacts/%s",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", r->id);
	r->started_wall = time_wall_ms();
	r->runinfo = json_pack("{s:s, s:s, s:s?, s:s, s:b, s:s, s:s}",
	    "id", r->id, "script", s->name, "version", s->version,
	    "digest", s->digest, "dry_run", opts->dry_run,
	    "started_at", time_iso_local(r->started_wall, when, sizeof when),
	    "artifacts", r->artifacts_dir);
	return r;
}

void
run_free(struct run *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = r->nslots; i > 0; i--) {
		if (r->slots[i - 1].close != NULL && r->slots[i - 1].obj)
			r->slots[i - 1].close(r->slots[i - 1].obj);
		free(r->slots[i - 1].key);
	}
	free(r->slots);
	json_decref(r->top.params);
	json_decref(r->top.steps);
	json_decref(r->top.vars);
	free(r->top.bind);
	json_decref(r->env);
	json_decref(r->secrets);
	json_decref(r->runinfo);
	json_decref(r->artifacts);
	json_decref(r->results);
	json_decref(r->failures);
	json_decref(r->skips);
	free(r->skip_reason);
	json_decref(r->output);
	mask_free(&r->mask);
	free(r->artifacts_dir);
	free(r->error);
	free(r->id);
	free(r);
}

/*
 * The end of the per-run objects that asked for it (act_slot_end): with
 * ok, a streaming writer puts its file in place; without, it removes
 * what it wrote.  A failure to finish fails a run that had succeeded.
 */
static int
end_slots(struct run *r, int ok, char **err)
{
	char msg[512];
	size_t i;
	int rc = 0;

	for (i = 0; i < r->nslots; i++) {
		if (r->slots[i].end == NULL || r->slots[i].obj == NULL)
			continue;
		msg[0] = '\0';
		if (r->slots[i].end(r->slots[i].obj, ok, msg, sizeof msg) !=
		    0 && ok && rc == 0) {
			*err = xstrdup(msg[0] ? msg : "cannot finish a file");
			rc = -1;
		}
		r->slots[i].end = NULL;
	}
	return rc;
}

int
run_exec(struct run *r)
{
	struct expr_scope scope = { eng_lookup, &r->top };
	struct expr_error e;
	struct pos where;
	char *err = NULL;
	int rc;

	r->started_ms = time_mono_ms();
	rc = eng_exec_steps(r, &r->top, &r->script->steps, 0, 0, &err);
	if (rc == 0 && r->script->output != NULL) {
		memset(&e, 0, sizeof e);
		r->output = tval_eval(r->script->output, &scope, &e, &where);
		if (r->output == NULL) {
			err = xasprintf("%s:%d:%d: output: %s", where.file,
			    where.line, where.col, e.msg);
			rc = -1;
		}
	}
	if (end_slots(r, rc == 0, &err) != 0)
		rc = -1;
	r->duration_ms = time_mono_ms() - r->started_ms;
	if (rc != 0) {
		r->failed = 1;
		r->error = err ? err : xstrdup("skip outside an item");
		run_log(r, "error", r->error);
		return -1;
	}
	return r->items_failed > 0 ? -1 : 0;
}

const char *
run_status(const struct run *r)
{
	if (r->failed)
		return "failed";
	return r->items_failed > 0 ? "partial" : "succeeded";
}

int
kpi_completed(int run_failed, long succeeded, long failed, long skipped)
{
	if (run_failed)
		return 0;
	/* A batch whose every item was done before is not done again. */
	return !(skipped > 0 && succeeded == 0 && failed == 0);
}

double
kpi_minutes(double per_run, double per_item, int completed,
    long items_succeeded)
{
	return (completed ? per_run : 0) + per_item * (double)items_succeeded;
}

json_t *
run_summary(const struct run *r)
{
	const struct kpi *k = &r->script->kpi;
	int completed = kpi_completed(r->failed, r->items_ok,
	    r->items_failed, r->items_skipped);
	json_t *s, *masked;
	char when[64];

	s = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:{s:I, s:I, s:I, "
	    "s:I, s:O, s:O}, s:f, s:f, s:I, s:s, s:O, s:O, s:O*, s:b}",
	    "run_id", r->id, "script", r->script->name,
	    "digest", r->script->digest, "version", r->script->version,
	    "status", run_status(r), "error", r->error,
	    "items", "succeeded", (json_int_t)r->items_ok,
	    "failed", (json_int_t)r->items_failed,
	    "skipped", (json_int_t)r->items_skipped,
	    "not_run", (json_int_t)r->items_not_run,
	    "failures", r->failures, "skips", r->skips,
	    "minutes_saved", kpi_minutes(k->manual_minutes_per_run,
	    k->manual_minutes_per_item, completed, r->items_ok),
	    "vendor_minutes_saved", kpi_minutes(k->vendor_minutes_per_run,
	    k->vendor_minutes_per_item, completed, r->items_ok),
	    "duration_ms", (json_int_t)r->duration_ms,
	    "started_at", time_iso_local(r->started_wall, when, sizeof when),
	    "steps", r->results, "artifacts", r->artifacts,
	    "output", r->output, "dry_run", r->opts.dry_run);
	masked = mask_json(&r->mask, s);
	json_decref(s);
	return masked;
}

int
run_skip_item(struct run *r, const char *reason, char *err, size_t errlen)
{
	if (r->item_index < 0) {
		snprintf(err, errlen, "skip is not inside an item (a for_each "
		    "whose iterations are items)");
		return -1;
	}
	free(r->skip_reason);
	r->skip_reason = xstrdup(reason);
	return 0;
}

long
run_append_var(struct run *r, const char *name, json_t *value, int extend,
    char *err, size_t errlen)
{
	struct frame *f = r->frame ? r->frame : &r->top;
	json_t *list = json_object_get(f->vars, name), *copy;

	if (list == NULL) {
		list = json_array();
		json_object_set_new(f->vars, name, list);
	} else if (!json_is_array(list)) {
		snprintf(err, errlen, "'%s' is %s, not a list", name,
		    json_is_null(list) ? "null" : json_is_object(list) ?
		    "an object" : json_is_string(list) ? "a string" :
		    "a number or boolean");
		return -1;
	} else if (list->refcount > 1) {
		/* Shared with a step's output or a value being used: this
		 * one copy makes it the run's own, and the appends after it
		 * cost nothing more. */
		copy = json_copy(list);
		json_object_set_new(f->vars, name, copy);
		list = copy;
	}
	if (extend)
		json_array_extend(list, value);
	else
		json_array_append(list, value);
	return (long)json_array_size(list);
}
