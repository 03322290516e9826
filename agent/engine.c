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
#include "charset.h"
#include "engine.h"
#include "engine_int.h"
#include "expr.h"
#include "mask.h"
#include "script.h"
#include "taint.h"
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
	char when[64], *clean = NULL;

	if (r->opts.on_event == NULL)
		return;		/* nobody reads the log */
	/* A line that is not UTF-8 (bytes from a program) is still a line. */
	if (!charset_utf8_valid(msg, strlen(msg), NULL))
		msg = clean = charset_utf8_sanitize(msg, strlen(msg), NULL);
	time_iso_local(time_wall_ms(), when, sizeof when);
	eng_emit(r, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "type", "log",
	    "time", when, "level", level, "message", msg,
	    "step", r->current ? r->current->label : NULL));
	free(clean);
}

char *
eng_pos_text(const struct pos *p)
{
	return xasprintf("%s:%d:%d", p->file, p->line, p->col);
}

char *
eng_mask_owned(struct run *r, char *s)
{
	char *m;

	if (s == NULL)
		return NULL;
	if (!charset_utf8_valid(s, strlen(s), NULL)) {
		m = charset_utf8_sanitize(s, strlen(s), NULL);
		free(s);
		s = m;
	}
	if (!mask_hits(&r->mask, s))
		return s;
	m = mask_text(&r->mask, s);
	free(s);
	return m;
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
	case 'a':
		if (strcmp(name, "assets") == 0)
			return r->assets;
		break;
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
	if (r->nbound > 0)
		taint_mark(f->taint, 'v', name, json_object_get(r->args_taint,
		    name));
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

#define SECRET_ENV_PREFIX "KOBITO_SECRET_"

/* The environment as ${env.NAME}, but for KOBITO_SECRET_ variables. */
static json_t *
make_env(void)
{
	json_t *env = json_object();
	char **e, *name;
	const char *eq;

	for (e = environ; *e != NULL; e++) {
		/* Secrets are read as ${secrets.NAME}, masked, or not at all. */
		if ((eq = strchr(*e, '=')) == NULL ||
		    strncmp(*e, SECRET_ENV_PREFIX, strlen(SECRET_ENV_PREFIX)) ==
		    0)
			continue;
		name = xstrndup(*e, (size_t)(eq - *e));
		json_object_set_new(env, name, json_string(eq + 1));
		free(name);
	}
	return env;
}

/*
 * Register one secret the run holds: with the run's mask, and with its
 * own (to tell it apart in what an action sends) and its destinations.
 */
static int
bind_secret(struct run *r, const char *name, const char *value, json_t *allow)
{
	struct bound *b;

	if (mask_add(&r->mask, value) != 0)
		return -1;
	r->bound = xreallocarray(r->bound, r->nbound + 1, sizeof *r->bound);
	b = &r->bound[r->nbound++];
	b->name = xstrdup(name);
	json_object_set_new(r->secret_names, name, json_true());
	b->allow = json_is_array(allow) ? json_incref(allow) : NULL;
	mask_init(&b->forms);
	mask_add(&b->forms, value);
	return 0;
}

/*
 * The secrets the script reads (and only those: a variable it never reads
 * is not its business), from the options, else from a KOBITO_SECRET_<NAME>
 * variable, each registered with the mask.  NULL, with a message in err,
 * when one is too short to be masked.
 */
static json_t *
make_secrets(struct run *r, char *err, size_t errlen)
{
	json_t *sec = json_object(), *names, *n, *v, *allow;
	const char *name, *val;
	char *var, *p;
	size_t i;

	names = script_secret_refs(r->script);
	json_array_foreach(names, i, n) {
		name = json_string_value(n);
		v = r->opts.secrets ? json_object_get(r->opts.secrets, name) :
		    NULL;
		allow = json_object_get(v, "allow");
		if (json_is_object(v))
			v = json_object_get(v, "value");
		if (json_is_string(v)) {
			val = json_string_value(v);
		} else {
			var = xasprintf("%s%s", SECRET_ENV_PREFIX, name);
			for (p = var; *p; p++)
				*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 :
				    *p);
			val = getenv(var);
			free(var);
			if (val == NULL)
				continue;
		}
		if (bind_secret(r, name, val, allow) != 0) {
			snprintf(err, errlen, "secret '%s' is shorter than %d "
			    "characters: so short a value cannot be hidden in "
			    "logs", name, MASK_MIN_CHARS);
			json_decref(names);
			json_decref(sec);
			return NULL;
		}
		json_object_set_new(sec, name, json_string(val));
	}
	json_decref(names);
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
	r->assets = json_is_object(opts->assets) ? json_incref(opts->assets) :
	    json_object();
	r->id = opts->run_id ? xstrdup(opts->run_id) : new_run_id();
	mask_init(&r->mask);
	r->top.script = s;
	r->top.params = params;
	r->top.steps = json_object();
	r->top.vars = json_object();
	r->top.taint = json_object();
	r->top.run = r;
	r->secret_names = json_object();
	r->env = make_env();
	/* Tokens for the scheduler never show in a log or an output. */
	if (opts->link != NULL) {
		if (opts->link->token != NULL)
			mask_add(&r->mask, opts->link->token);
		if (opts->link->lease_token != NULL)
			mask_add(&r->mask, opts->link->lease_token);
	}
	if ((r->secrets = make_secrets(r, err, errlen)) == NULL) {
		run_free(r);
		return NULL;
	}
	r->artifacts = json_array();
	r->results = json_array();
	r->failures = json_array();
	r->skips = json_array();
	if (opts->item_key != NULL)
		r->done = json_array();
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
	json_decref(r->top.taint);
	json_decref(r->secret_names);
	json_decref(r->args_taint);
	json_decref(r->step_taint);
	free(r->top.bind);
	json_decref(r->env);
	json_decref(r->secrets);
	json_decref(r->assets);
	json_decref(r->runinfo);
	json_decref(r->artifacts);
	json_decref(r->results);
	json_decref(r->failures);
	json_decref(r->skips);
	json_decref(r->done);
	free(r->skip_reason);
	json_decref(r->output);
	mask_free(&r->mask);
	for (i = 0; i < r->nbound; i++) {
		free(r->bound[i].name);
		json_decref(r->bound[i].allow);
		mask_free(&r->bound[i].forms);
	}
	free(r->bound);
	free(r->artifacts_dir);
	free(r->error);
	free(r->id);
	free(r);
}

/* --- values derived from secrets (taint.h) ------------------------------- */

struct derived {
	struct run	*run;
	json_t		*names;
};

static void
derived_string(void *arg, const char *s)
{
	struct derived *d = arg;
	size_t j;

	if (mask_add(&d->run->mask, s) != 0)
		return;		/* too short to mask */
	for (j = 0; j < d->run->nbound; j++)
		if (json_object_get(d->names, d->run->bound[j].name) != NULL)
			mask_add(&d->run->bound[j].forms, s);
}

void
eng_derived(struct run *r, json_t *names, json_t *value)
{
	struct derived d = { r, names };

	taint_strings(value, derived_string, &d);
}

/*
 * Each ${...} part as it is evaluated: when it read a secret, or a name a
 * secret went into, its value (not the text around it) is one too.
 */
void
eng_on_part(void *ctx, const struct tmpl *t, size_t part, json_t *value)
{
	struct frame *f = ctx;
	json_t *names;

	if (f->run->nbound == 0)
		return;
	names = taint_part(t, part, f->taint, f->run->secret_names);
	if (json_object_size(names) > 0)
		eng_derived(f->run, names, value);
	json_decref(names);
}

json_t *
eng_trace_args(struct run *r, struct frame *f, const struct tval *t)
{
	json_t *all, *one;
	size_t i;

	json_decref(r->args_taint);
	r->args_taint = NULL;
	if (r->nbound == 0)
		return NULL;	/* nothing can be derived from no secret */
	r->args_taint = json_object();
	if (t == NULL || t->kind != TVAL_MAP)
		return taint_tval(t, f->taint, r->secret_names);
	all = json_object();
	for (i = 0; i < t->n; i++) {
		one = taint_tval(t->items[i], f->taint, r->secret_names);
		json_object_set(r->args_taint, t->keys[i], one);
		json_object_update(all, one);
		json_decref(one);
	}
	return all;
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
	struct expr_scope scope = { eng_lookup, &r->top, eng_on_part };
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
		r->error = eng_mask_owned(r, err ? err :
		    xstrdup("skip outside an item"));
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
	/* Keys of too many items are not listed: the list would be partial. */
	if (r->done != NULL && r->items_ok <= MAX_DONE_LISTED)
		json_object_set(json_object_get(s, "items"), "done", r->done);
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
	/* A list an item derived from a secret went into is derived too. */
	if (r->nbound > 0) {
		taint_add(f->taint, 'v', name, json_object_get(r->args_taint,
		    "value"));
		taint_add(f->taint, 'v', name, json_object_get(r->args_taint,
		    "values"));
	}
	return (long)json_array_size(list);
}
