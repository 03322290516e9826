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
 * Everything that leaves the engine (events, the summary, error messages)
 * passes through the run's secret mask first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "action.h"
#include "buf.h"
#include "charset.h"
#include "engine.h"
#include "policy.h"
#include "expr.h"
#include "http.h"
#include "mask.h"
#include "script.h"
#include "taint.h"
#include "textutil.h"
#include "timeutil.h"
#include "urlmatch.h"
#include "xmalloc.h"

#define MAX_FAILURES_LISTED	200

extern char **environ;

/* A loop variable bound while a for_each body runs. */
struct binding {
	const char	*name;
	json_t		*value;		/* borrowed from the list */
};

/* The names of one script: the run's own, or an included one's. */
struct frame {
	const struct script	*script;
	json_t			*params;
	json_t			*steps;		/* id -> {output, status, ...} */
	json_t			*vars;
	struct binding		*bind;
	size_t			 nbind;
	json_t			*loop;		/* innermost loop info */
	json_t			*error;		/* in an on_error handler */
	json_t			*taint;		/* see taint.h */
	struct run		*run;
};

/* A secret the run holds: what it looks like, and where it may be sent. */
struct bound {
	char		*name;
	json_t		*allow;		/* array of destinations, or NULL */
	struct mask	 forms;		/* the value and its encodings */
};

struct slot {
	char		*key;
	void		*obj;
	void		(*close)(void *);
};

struct run {
	const struct script	*script;
	struct run_opts		 opts;
	char			*id;
	struct frame		 top;
	json_t			*env;
	json_t			*secrets;
	json_t			*runinfo;
	struct mask		 mask;
	struct bound		*bound;
	size_t			 nbound;
	json_t			*secret_names;	/* of bound: a set */
	json_t			*args_taint;	/* the step's: key -> names */
	json_t			*step_taint;	/* its output's, or NULL */
	char			*artifacts_dir;
	int			 artifacts_made;
	unsigned		 artifact_seq;
	json_t			*artifacts;
	json_t			*results;	/* top-level step results */
	json_t			*failures;	/* failed items */
	json_t			*output;
	long			 items_ok;
	long			 items_failed;
	int			 in_item;
	int			 item_index;	/* of the current item, or -1 */
	int			 failed;
	char			*error;		/* the error that failed the run */
	int64_t			 started_ms;
	int64_t			 started_wall;
	int64_t			 duration_ms;
	struct slot		*slots;
	size_t			 nslots;
	const struct step	*current;	/* for log lines */
	struct frame		*frame;		/* of the current step */
};

static int exec_steps(struct run *, struct frame *, const struct steps *,
    int depth, int64_t deadline, char **err);

/* --- events ------------------------------------------------------------- */

static void
emit(struct run *r, json_t *ev)
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

	/* A line that is not UTF-8 (bytes from a program) is still a line. */
	if (!charset_utf8_valid(msg, strlen(msg), NULL))
		msg = clean = charset_utf8_sanitize(msg, strlen(msg), NULL);
	time_iso_local(time_wall_ms(), when, sizeof when);
	emit(r, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "type", "log",
	    "time", when, "level", level, "message", msg,
	    "step", r->current ? r->current->label : NULL));
	free(clean);
}

static char *
pos_text(const struct pos *p)
{
	return xasprintf("%s:%d:%d", p->file, p->line, p->col);
}

/*
 * s masked and made valid UTF-8, since it becomes a value and an event:
 * s is freed, the result is the caller's.
 */
static char *
mask_owned(struct run *r, char *s)
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

static void on_part(void *, const struct tmpl *, size_t, json_t *);

static json_t *
lookup(void *ctx, const char *name)
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
			return f->loop ? f->loop : json_null();
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

void
run_set_var(struct run *r, const char *name, json_t *value)
{
	/* Variables live in the frame (script) of the step being run. */
	struct frame *f = r->frame ? r->frame : &r->top;

	json_object_set(f->vars, name, value);
	taint_mark(f->taint, 'v', name, json_object_get(r->args_taint, name));
}

/* --- params and secrets ----------------------------------------------- */

static json_t *
make_params(const struct script *s, json_t *given, char *err, size_t errlen)
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
	if ((params = make_params(s, opts->params, err, errlen)) == NULL)
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
	r->top.taint = json_object();
	r->top.run = r;
	r->secret_names = json_object();
	r->env = make_env();
	if ((r->secrets = make_secrets(r, err, errlen)) == NULL) {
		run_free(r);
		return NULL;
	}
	r->artifacts = json_array();
	r->results = json_array();
	r->failures = json_array();
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
	json_decref(r->runinfo);
	json_decref(r->artifacts);
	json_decref(r->results);
	json_decref(r->failures);
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

/* --- running one action ------------------------------------------------- */

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

/* A value computed from the secrets names: mask it and bind it like them. */
static void
derived(void *arg, json_t *names, json_t *value)
{
	struct derived d = { arg, names };

	taint_strings(value, derived_string, &d);
}

/*
 * Each ${...} part as it is evaluated: when it read a secret, or a name a
 * secret went into, its value (not the text around it) is one too.
 */
static void
on_part(void *ctx, const struct tmpl *t, size_t part, json_t *value)
{
	struct frame *f = ctx;
	json_t *names;

	if (f->run->nbound == 0)
		return;
	names = taint_part(t, part, f->taint, f->run->secret_names);
	if (json_object_size(names) > 0)
		derived(f->run, names, value);
	json_decref(names);
}

/*
 * The secrets behind an argument tree's value (its parts were registered
 * as they were evaluated).  For a mapping, the names behind each key go
 * to r->args_taint (what `set` records per variable).  Returns the union.
 */
static json_t *
trace_args(struct run *r, struct frame *f, const struct tval *t)
{
	json_t *all, *one;
	size_t i;

	json_decref(r->args_taint);
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

/* Each string of a list of paths to read, as check_path does it. */
static int
check_paths(const struct run *r, json_t *list, char *msg, size_t len)
{
	json_t *e;
	size_t i;
	char *p;

	json_array_foreach(list, i, e) {
		if (!json_is_string(e))
			continue;
		if ((p = policy_path(r->opts.policy, r->opts.workdir,
		    json_string_value(e), 0, msg, len)) == NULL)
			return -1;
		json_array_set_new(list, i, json_string(p));
		free(p);
	}
	return 0;
}

/*
 * A path argument (ARG_PATH_READ, ARG_PATH_WRITE, ARG_GLOB) made absolute and
 * checked against the agent's policy; *v is replaced.  -1 with msg.
 */
static int
check_path(const struct run *r, const struct action_arg *spec, json_t **v,
    char *msg, size_t len)
{
	const char *path = json_string_value(*v);
	char *p, *dir;
	size_t cut;

	if (spec->type == ARG_PATHS_READ && json_is_array(*v))
		return check_paths(r, *v, msg, len);
	if ((spec->type != ARG_PATH_READ && spec->type != ARG_PATH_WRITE &&
	    spec->type != ARG_GLOB && spec->type != ARG_PATHS_READ) ||
	    path == NULL)
		return 0;
	if (spec->type != ARG_GLOB) {
		p = policy_path(r->opts.policy, r->opts.workdir, path,
		    spec->type == ARG_PATH_WRITE, msg, len);
	} else {
		/* The directory the walk starts in must be allowed. */
		cut = strcspn(path, "*?[");
		while (cut > 0 && path[cut - 1] != '/')
			cut--;
		dir = cut > 0 ? xstrndup(path, cut) : xstrdup(".");
		p = policy_path(r->opts.policy, r->opts.workdir, dir, 0, msg,
		    len);
		free(dir);
		if (p != NULL) {
			free(p);
			p = path[0] == '/' || r->opts.workdir == NULL ?
			    xstrdup(path) : xasprintf("%s/%s",
			    r->opts.workdir, path);
		}
	}
	if (p == NULL)
		return -1;
	json_decref(*v);
	*v = json_string(p);
	free(p);
	return 0;
}

/* Evaluate and check an action's arguments. */
static json_t *
eval_args(struct frame *f, const struct step *st, char **err)
{
	struct expr_scope scope = { lookup, f, on_part };
	const struct action_arg *spec;
	struct expr_error e;
	struct pos where = st->pos;
	char msg[512];
	json_t *args, *v;
	const char *k;
	void *iter;

	memset(&e, 0, sizeof e);
	args = st->args ? tval_eval(st->args, &scope, &e, &where) :
	    json_object();
	if (args == NULL) {
		*err = xasprintf("%s:%d:%d: %s", where.file, where.line,
		    where.col, e.msg);
		return NULL;
	}
	/* What the step's output will derive from, if it derives. */
	json_decref(f->run->step_taint);
	f->run->step_taint = trace_args(f->run, f, st->args);
	for (iter = json_object_iter(args); iter != NULL;
	    iter = json_object_iter_next(args, iter)) {
		k = json_object_iter_key(iter);
		v = json_incref(json_object_iter_value(iter));
		if ((spec = action_arg_find(st->action, k)) != NULL &&
		    (action_arg_check(spec, &v, msg, sizeof msg) != 0 ||
		    check_path(f->run, spec, &v, msg, sizeof msg) != 0)) {
			*err = xasprintf("%s", msg);
			json_decref(v);
			json_decref(args);
			return NULL;
		}
		json_object_iter_set_new(args, iter, v);
	}
	for (spec = st->action->args; spec && spec->name; spec++) {
		v = json_object_get(args, spec->name);
		if (spec->required && (v == NULL || json_is_null(v))) {
			*err = xasprintf("argument '%s' is required but "
			    "evaluated to null", spec->name);
			json_decref(args);
			return NULL;
		}
	}
	return args;
}

static int
cancelled(const struct run *r)
{
	return r->opts.cancel != NULL && *r->opts.cancel != 0;
}

static int
exec_action(struct run *r, struct frame *f, const struct step *st,
    int64_t deadline, json_t **out, int *attempts, char **err)
{
	struct act a;
	json_t *args;
	int64_t delay = st->retry.delay_ms;
	int n, rc = -1;
	char line[1200];

	for (n = 1; n <= st->retry.attempts; n++) {
		*attempts = n;
		if ((args = eval_args(f, st, err)) == NULL)
			return -1;	/* a wrong argument never heals */
		memset(&a, 0, sizeof a);
		a.run = r;
		a.action = st->action;
		a.args = args;
		a.deadline_ms = deadline;
		rc = st->action->run(&a);
		if (!(st->action->flags & ACTION_DERIVES)) {
			/* Its output is the world's answer, not the secret. */
			json_decref(r->step_taint);
			r->step_taint = NULL;
		} else if (rc == 0 && r->step_taint != NULL && a.out != args)
			/* A transform (json.*); set's output is its arguments,
			 * whose tainted parts are registered already. */
			derived(r, r->step_taint, a.out);
		if (rc != 0 && a.err[0] == '\0')
			snprintf(a.err, sizeof a.err, "%s failed",
			    st->action->name);
		if (rc != 0 && n == st->retry.attempts &&
		    st->action->on_fail != NULL)
			st->action->on_fail(&a);
		json_decref(args);
		if (rc == 0) {
			*out = a.out ? a.out : json_null();
			return 0;
		}
		json_decref(a.out);
		free(*err);
		*err = xstrdup(a.err);
		if (n == st->retry.attempts || cancelled(r) ||
		    (deadline && time_mono_ms() + delay >= deadline))
			break;
		snprintf(line, sizeof line, "attempt %d of %d failed: %s; "
		    "retrying in %lld ms", n, st->retry.attempts, a.err,
		    (long long)delay);
		run_log(r, "warn", line);
		time_sleep_ms(delay, r->opts.cancel);
		delay = (int64_t)((double)delay * st->retry.backoff);
	}
	return rc;
}

/* --- for_each and include ----------------------------------------------- */

static json_t *
as_list(json_t *v)
{
	json_t *list;
	const char *k;
	json_t *item;

	if (json_is_array(v))
		return json_incref(v);
	if (json_is_null(v))
		return json_array();
	if (!json_is_object(v))
		return NULL;
	/* A mapping is walked as a list of {key, value} pairs. */
	list = json_array();
	json_object_foreach(v, k, item)
		json_array_append_new(list, json_pack("{s:s, s:O}", "key", k,
		    "value", item));
	return list;
}

static void
record_item(struct run *r, size_t index, int ok, const char *error,
    int64_t ms)
{
	json_t *ev;

	if (ok)
		r->items_ok++;
	else
		r->items_failed++;
	if (!ok && json_array_size(r->failures) < MAX_FAILURES_LISTED)
		json_array_append_new(r->failures, json_pack("{s:I, s:s}",
		    "index", (json_int_t)index, "error", error));
	ev = json_pack("{s:s, s:I, s:s, s:I}", "type", "item_end",
	    "index", (json_int_t)index, "status", ok ? "succeeded" : "failed",
	    "duration_ms", (json_int_t)ms);
	if (!ok)
		json_object_set_new(ev, "error", json_string(error));
	emit(r, ev);
}

/* Taint loop variable name with names; what it had before, to restore. */
static json_t *
taint_binding(struct frame *f, const char *name, json_t *names)
{
	char key[256];
	json_t *before;

	snprintf(key, sizeof key, "b:%s", name);
	before = json_incref(json_object_get(f->taint, key));
	taint_mark(f->taint, 'b', name, names);
	return before;
}

static int
exec_for_each(struct run *r, struct frame *f, const struct step *st,
    int depth, int64_t deadline, json_t **out, char **err)
{
	struct expr_scope scope = { lookup, f, on_part };
	struct expr_error e;
	json_t *v, *list, *item, *saved_loop, *names, *saved_as, *saved_item;
	size_t i, n, nok = 0, nfail = 0;
	int counting = !r->in_item && st->items, rc = 0;
	int saved_index = r->item_index, saved_in_item = r->in_item;
	int64_t t0;
	char *ierr;

	memset(&e, 0, sizeof e);
	if ((v = tmpl_eval(st->each, &scope, &e)) == NULL) {
		*err = xasprintf("for_each: %s", e.msg);
		return -1;
	}
	/* Items of a list derived from a secret are derived from it too. */
	names = taint_tmpl(st->each, f->taint, r->secret_names);
	list = as_list(v);
	if (list == NULL) {
		*err = xasprintf("for_each needs a list, not %s",
		    json_is_string(v) ? "a string" : "a number or boolean");
		json_decref(v);
		json_decref(names);
		return -1;
	}
	json_decref(v);
	saved_as = taint_binding(f, st->as, names);
	saved_item = taint_binding(f, "item", names);
	n = json_array_size(list);
	f->bind = xreallocarray(f->bind, f->nbind + 2, sizeof *f->bind);
	saved_loop = f->loop;
	if (!st->items)
		r->in_item = 1;	/* nor are the iterations of loops inside */
	for (i = 0; i < n && !cancelled(r); i++) {
		item = json_array_get(list, i);
		f->bind[f->nbind].name = st->as;
		f->bind[f->nbind].value = item;
		f->bind[f->nbind + 1].name = "item";
		f->bind[f->nbind + 1].value = item;
		f->nbind += 2;
		f->loop = json_pack("{s:I, s:I, s:I, s:b, s:b}", "index",
		    (json_int_t)i, "number", (json_int_t)i + 1, "count",
		    (json_int_t)n, "first", i == 0, "last", i + 1 == n);
		if (counting) {
			r->in_item = 1;
			r->item_index = (int)i;
		}
		t0 = time_mono_ms();
		ierr = NULL;
		rc = exec_steps(r, f, &st->body, depth + 1, deadline, &ierr);
		json_decref(f->loop);
		f->nbind -= 2;
		if (counting) {
			r->in_item = 0;
			record_item(r, i, rc == 0, ierr, time_mono_ms() - t0);
			if (rc == 0)
				nok++;
			else
				nfail++;
			free(ierr);
			rc = 0;
			continue;
		}
		if (rc != 0) {
			/* Inside an item, a failing iteration fails it. */
			*err = ierr;
			break;
		}
	}
	f->loop = saved_loop;
	r->item_index = saved_index;
	r->in_item = saved_in_item;
	taint_mark(f->taint, 'b', "item", saved_item);
	taint_mark(f->taint, 'b', st->as, saved_as);
	json_decref(saved_item);
	json_decref(saved_as);
	json_decref(names);
	if (rc == 0 && cancelled(r)) {
		*err = xstrdup("the run was cancelled");
		rc = -1;
	}
	*out = json_pack("{s:I, s:I, s:I}", "count", (json_int_t)n,
	    "succeeded", (json_int_t)(counting ? nok : i),
	    "failed", (json_int_t)nfail);
	json_decref(list);
	return rc;
}

static int
exec_include(struct run *r, struct frame *f, const struct step *st,
    int depth, int64_t deadline, json_t **out, char **err)
{
	struct expr_scope scope = { lookup, f, on_part };
	struct expr_error e;
	struct pos where = st->pos;
	struct frame sub;
	json_t *given, *params, *with_taint, *names;
	const char *k;
	char msg[512];
	int rc;

	memset(&e, 0, sizeof e);
	given = st->with ? tval_eval(st->with, &scope, &e, &where) :
	    json_object();
	if (given == NULL) {
		*err = xasprintf("%s:%d:%d: %s", where.file, where.line,
		    where.col, e.msg);
		return -1;
	}
	/* The sub-flow's params carry what they were computed from. */
	json_decref(trace_args(r, f, st->with));
	with_taint = json_object();
	json_object_foreach(r->args_taint, k, names)
		taint_mark(with_taint, 'p', k, names);
	params = make_params(st->sub, given, msg, sizeof msg);
	json_decref(given);
	if (params == NULL) {
		*err = xstrdup(msg);
		json_decref(with_taint);
		return -1;
	}
	memset(&sub, 0, sizeof sub);
	sub.script = st->sub;
	sub.params = params;
	sub.steps = json_object();
	sub.vars = json_object();
	sub.taint = with_taint;
	sub.run = r;
	rc = exec_steps(r, &sub, &st->sub->steps, depth + 1, deadline, err);
	*out = json_null();
	if (rc == 0 && st->sub->output != NULL) {
		struct expr_scope subscope = { lookup, &sub, on_part };

		json_decref(*out);
		if ((*out = tval_eval(st->sub->output, &subscope, &e,
		    &where)) == NULL) {
			*err = xasprintf("%s:%d:%d: %s", where.file,
			    where.line, where.col, e.msg);
			rc = -1;
		}
	}
	/* The include step's output is what the sub-flow's output read. */
	json_decref(r->step_taint);
	r->step_taint = rc == 0 ? taint_tval(st->sub->output, sub.taint,
	    r->secret_names) : NULL;
	json_decref(sub.params);
	json_decref(sub.steps);
	json_decref(sub.vars);
	json_decref(sub.taint);
	free(sub.bind);
	return rc;
}

/* --- steps ------------------------------------------------------------------ */

static const char *
action_name(const struct step *st)
{
	switch (st->kind) {
	case STEP_ACTION:
		return st->action->name;
	case STEP_FOR_EACH:
		return "for_each";
	case STEP_INCLUDE:
		return "include";
	}
	return "?";
}

static void
record_step(struct run *r, struct frame *f, const struct step *st,
    const char *status, json_t *output, const char *error, int64_t ms,
    int depth, int attempts)
{
	char *pos = pos_text(&st->pos);
	json_t *ev, *res;

	if (st->id != NULL) {
		res = json_pack("{s:O, s:s, s:s?, s:I}", "output",
		    output ? output : json_null(), "status", status,
		    "error", error, "duration_ms", (json_int_t)ms);
		json_object_set_new(f->steps, st->id, res);
	}
	ev = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:i}",
	    "type", "step_end", "step", st->label, "action", action_name(st),
	    "pos", pos, "depth", depth, "status", status,
	    "duration_ms", (json_int_t)ms, "attempts", attempts);
	if (error != NULL)
		json_object_set_new(ev, "error", json_string(error));
	if (r->item_index >= 0)
		json_object_set_new(ev, "item", json_integer(r->item_index));
	if (depth == 0 && f == &r->top) {
		res = json_deep_copy(ev);
		json_object_del(res, "type");
		json_object_del(res, "depth");
		if (st->kind == STEP_FOR_EACH && output != NULL)
			json_object_set(res, "items", output);
		json_array_append_new(r->results, res);
	}
	emit(r, ev);
	free(pos);
}

static int
exec_step(struct run *r, struct frame *f, const struct step *st, int depth,
    int64_t deadline, char **err)
{
	struct expr_scope scope = { lookup, f, on_part };
	struct expr_error e;
	const struct step *saved = r->current;
	struct frame *saved_frame = r->frame;
	json_t *out = NULL, *cond, *saved_error;
	int64_t t0, ms, step_deadline = deadline;
	int rc, attempts = 1;
	char *pos, *msg = NULL, *hmsg = NULL;

	if (cancelled(r)) {
		*err = xstrdup("the run was cancelled");
		return -1;
	}
	if (st->cond != NULL) {
		memset(&e, 0, sizeof e);
		if ((cond = tmpl_eval(st->cond, &scope, &e)) == NULL) {
			pos = pos_text(&st->pos);
			*err = mask_owned(r, xasprintf("%s: if: %s", pos,
			    e.msg));
			free(pos);
			return -1;
		}
		rc = expr_truthy(cond);
		json_decref(cond);
		if (!rc) {
			record_step(r, f, st, "skipped", NULL, NULL, 0, depth,
			    0);
			return 0;
		}
	}
	pos = pos_text(&st->pos);
	{
		json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:i}", "type",
		    "step_start", "step", st->label, "action",
		    action_name(st), "pos", pos, "depth", depth);

		if (r->item_index >= 0)
			json_object_set_new(ev, "item",
			    json_integer(r->item_index));
		emit(r, ev);
	}
	if (st->timeout_ms > 0) {
		int64_t d = time_mono_ms() + st->timeout_ms;

		if (step_deadline == 0 || d < step_deadline)
			step_deadline = d;
	}
	r->current = st;
	r->frame = f;
	t0 = time_mono_ms();
	switch (st->kind) {
	case STEP_ACTION:
		rc = exec_action(r, f, st, step_deadline, &out, &attempts,
		    &msg);
		break;
	case STEP_FOR_EACH:
		rc = exec_for_each(r, f, st, depth, step_deadline, &out,
		    &msg);
		break;
	case STEP_INCLUDE:
	default:
		rc = exec_include(r, f, st, depth, step_deadline, &out, &msg);
		break;
	}
	ms = time_mono_ms() - t0;
	r->current = saved;
	r->frame = saved_frame;
	/* ${steps.ID...} is derived from what the step's output was. */
	if (st->id != NULL)
		taint_mark(f->taint, 's', st->id, st->kind == STEP_FOR_EACH ?
		    NULL : r->step_taint);
	json_decref(r->step_taint);
	r->step_taint = NULL;
	if (rc == 0 && step_deadline != 0 && st->timeout_ms > 0 &&
	    time_mono_ms() > step_deadline) {
		msg = xasprintf("timed out after %lld ms",
		    (long long)st->timeout_ms);
		rc = -1;
	}
	if (rc == 0) {
		record_step(r, f, st, "succeeded", out, NULL, ms, depth,
		    attempts);
		json_decref(out);
		free(pos);
		return 0;
	}
	/*
	 * Name the innermost place: nested errors carry their own.  Masked
	 * here, since the message becomes a value the script can read
	 * (${error.message}, ${steps.ID.error}) and write anywhere.
	 */
	if (msg != NULL && strncmp(msg, st->pos.file, strlen(st->pos.file))
	    == 0)
		hmsg = xstrdup(msg);
	else
		hmsg = xasprintf("%s: %s: %s", pos, st->label,
		    msg ? msg : "failed");
	free(msg);
	hmsg = mask_owned(r, hmsg);
	record_step(r, f, st, "failed", out, hmsg, ms, depth, attempts);
	json_decref(out);
	free(pos);

	switch (st->on_error) {
	case ON_ERROR_CONTINUE:
		run_log(r, "warn", hmsg);
		free(hmsg);
		return 0;
	case ON_ERROR_STEPS:
		saved_error = f->error;
		f->error = json_pack("{s:s, s:s}", "message", hmsg, "step",
		    st->label);
		free(hmsg);
		rc = exec_steps(r, f, &st->handler, depth + 1, deadline, err);
		json_decref(f->error);
		f->error = saved_error;
		return rc;
	case ON_ERROR_FAIL:
	default:
		*err = hmsg;
		return -1;
	}
}

static int
exec_steps(struct run *r, struct frame *f, const struct steps *steps,
    int depth, int64_t deadline, char **err)
{
	size_t i;

	for (i = 0; i < steps->n; i++) {
		if (exec_step(r, f, steps->v[i], depth, deadline, err) != 0)
			return -1;
	}
	return 0;
}

int
run_exec(struct run *r)
{
	struct expr_scope scope = { lookup, &r->top, on_part };
	struct expr_error e;
	struct pos where;
	char *err = NULL;
	int rc;

	r->started_ms = time_mono_ms();
	rc = exec_steps(r, &r->top, &r->script->steps, 0, 0, &err);
	if (rc == 0 && r->script->output != NULL) {
		memset(&e, 0, sizeof e);
		r->output = tval_eval(r->script->output, &scope, &e, &where);
		if (r->output == NULL) {
			err = xasprintf("%s:%d:%d: output: %s", where.file,
			    where.line, where.col, e.msg);
			rc = -1;
		}
	}
	r->duration_ms = time_mono_ms() - r->started_ms;
	if (rc != 0) {
		r->failed = 1;
		r->error = mask_owned(r, err);
		err = r->error;
		run_log(r, "error", err);
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
	int completed = !r->failed;
	json_t *s, *masked;
	char when[64];

	s = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:{s:I, s:I, s:O}, "
	    "s:f, s:f, s:I, s:s, s:O, s:O, s:O*, s:b}",
	    "run_id", r->id, "script", r->script->name,
	    "digest", r->script->digest, "version", r->script->version,
	    "status", run_status(r), "error", r->error,
	    "items", "succeeded", (json_int_t)r->items_ok,
	    "failed", (json_int_t)r->items_failed, "failures", r->failures,
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

/* --- the act_* services for actions ---------------------------------------- */

int
act_fail(struct act *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof a->err, fmt, ap);
	va_end(ap);
	text_utf8_trim_partial(a->err);
	return -1;
}

json_t *
act_arg(struct act *a, const char *name)
{
	json_t *v = json_object_get(a->args, name);

	return json_is_null(v) ? NULL : v;
}

const char *
act_str(struct act *a, const char *name, const char *def)
{
	json_t *v = act_arg(a, name);

	return json_is_string(v) ? json_string_value(v) : def;
}

long long
act_int(struct act *a, const char *name, long long def)
{
	json_t *v = act_arg(a, name);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return def;
}

double
act_num(struct act *a, const char *name, double def)
{
	json_t *v = act_arg(a, name);

	return json_is_number(v) ? json_number_value(v) : def;
}

int
act_bool(struct act *a, const char *name, int def)
{
	json_t *v = act_arg(a, name);

	if (json_is_boolean(v))
		return json_is_true(v);
	return v != NULL ? expr_truthy(v) : def;
}

void
act_log(struct act *a, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	run_log(a->run, "info", msg);
	free(msg);
}

static int
mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

char *
act_artifact_path(struct act *a, const char *base)
{
	struct run *r = a->run;

	if (!r->artifacts_made) {
		if (mkdir_p(r->artifacts_dir) != 0)
			run_log(r, "warn", "cannot create the artifact "
			    "directory");
		r->artifacts_made = 1;
	}
	r->artifact_seq++;
	if (r->item_index >= 0)
		return xasprintf("%s/%03u-item%d-%s", r->artifacts_dir,
		    r->artifact_seq, r->item_index, base);
	return xasprintf("%s/%03u-%s", r->artifacts_dir, r->artifact_seq,
	    base);
}

void
act_artifact_add(struct act *a, const char *path, const char *kind)
{
	struct run *r = a->run;
	json_t *art = json_pack("{s:s, s:s, s:s?}", "path", path, "kind",
	    kind, "step", r->current ? r->current->label : NULL);

	if (r->item_index >= 0)
		json_object_set_new(art, "item", json_integer(r->item_index));
	json_array_append(r->artifacts, art);
	json_object_set_new(art, "type", json_string("artifact"));
	emit(r, art);
}

int64_t
act_remaining_ms(const struct act *a)
{
	int64_t left;

	if (a->deadline_ms == 0)
		return INT64_MAX;
	left = a->deadline_ms - time_mono_ms();
	return left > 0 ? left : 0;
}

int
act_cancelled(const struct act *a)
{
	return cancelled(a->run);
}

const char *
act_display(const struct act *a)
{
	const char *d = a->run->opts.display;

	if (d == NULL || *d == '\0')
		d = getenv("DISPLAY");
	return d ? d : "";
}

int
act_dry_run(const struct act *a)
{
	return a->run->opts.dry_run;
}

char *
act_path(struct act *a, const char *path, int write)
{
	char err[1024], *p;

	p = policy_path(a->run->opts.policy, a->run->opts.workdir, path,
	    write, err, sizeof err);
	if (p == NULL)
		act_fail(a, "%s", err);
	return p;
}

int
act_allow_program(struct act *a, const char *path)
{
	char err[1024];

	if (policy_program(a->run->opts.policy, path, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	return 0;
}

int
act_allow_url(struct act *a, const char *url)
{
	char err[1024];

	if (policy_url(a->run->opts.policy, url, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	return 0;
}

const char *
act_workdir(const struct act *a)
{
	return a->run->opts.workdir;
}

void
act_secret(struct act *a, const char *value)
{
	mask_add(&a->run->mask, value);
}

/* The destinations of b as "a, b", or NULL when it has none. */
static char *
allowed_text(const struct bound *b)
{
	struct buf t;
	json_t *v;
	size_t i;

	if (json_array_size(b->allow) == 0)
		return NULL;
	buf_init(&t, 4096);
	json_array_foreach(b->allow, i, v)
		buf_printf(&t, "%s%s", i ? ", " : "", json_string_value(v));
	return buf_detach(&t, NULL);
}

/* Whether b's allow list takes url. */
static int
bound_allows(const struct bound *b, const char *url)
{
	const char **pats;
	json_t *v;
	size_t i, n = json_array_size(b->allow);
	int yes;

	if (n == 0)
		return 0;
	pats = xcalloc(n, sizeof *pats);
	json_array_foreach(b->allow, i, v)
		pats[i] = json_string_value(v);
	yes = urlmatch_any(pats, n, url);
	free(pats);
	return yes;
}

int
act_send_ok(struct act *a, const char *url, const char *const *parts,
    size_t nparts)
{
	const struct bound *b;
	size_t i, j;
	char *list, *shown;
	int hit;

	for (i = 0; i < a->run->nbound; i++) {
		b = &a->run->bound[i];
		hit = mask_hits(&b->forms, url);
		for (j = 0; j < nparts && !hit; j++)
			hit = parts[j] != NULL && mask_hits(&b->forms,
			    parts[j]);
		if (!hit || bound_allows(b, url))
			continue;
		list = allowed_text(b);
		shown = http_url_redact(url);
		act_fail(a, "secret '%s' may not be sent to %s (%s%s)",
		    b->name, shown, list ? "it may go to " : "it may not be "
		    "sent to any server", list ? list : "");
		free(shown);
		free(list);
		return -1;
	}
	return 0;
}

int
act_arg_secret(const struct act *a, const char *name)
{
	return json_object_size(json_object_get(a->run->args_taint,
	    name)) > 0;
}

char *
act_masked(struct act *a, const char *text)
{
	return mask_text(&a->run->mask, text);
}

void *
act_slot(struct act *a, const char *key, void *(*open)(struct act *),
    void (*close)(void *))
{
	struct run *r = a->run;
	void *obj;
	size_t i;

	for (i = 0; i < r->nslots; i++) {
		if (strcmp(r->slots[i].key, key) == 0)
			return r->slots[i].obj;
	}
	if ((obj = open(a)) == NULL)
		return NULL;
	r->slots = xreallocarray(r->slots, r->nslots + 1, sizeof *r->slots);
	r->slots[r->nslots].key = xstrdup(key);
	r->slots[r->nslots].obj = obj;
	r->slots[r->nslots].close = close;
	r->nslots++;
	return obj;
}
