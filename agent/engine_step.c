/*
 * engine_step.c - executing the steps of a script: an action with its
 * retries and deadline, for_each and its items, include, and each step's
 * condition, timeout and on_error policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "action.h"
#include "buf.h"
#include "csvrows.h"
#include "engine.h"
#include "engine_int.h"
#include "expr.h"
#include "mask.h"
#include "policy.h"
#include "script.h"
#include "taint.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

/* --- running one action ------------------------------------------------- */

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

/*
 * Check one evaluated argument against its spec, a path also against the
 * agent's policy; -1 with *err.
 */
static int
check_arg(const struct run *r, const struct action *act, const char *k,
    json_t **v, char **err)
{
	const struct action_arg *spec = action_arg_find(act, k);
	char msg[512];

	if (spec == NULL)
		return 0;		/* an open action's own */
	if (action_arg_check(spec, v, msg, sizeof msg) != 0 ||
	    check_path(r, spec, v, msg, sizeof msg) != 0) {
		*err = xstrdup(msg);
		return -1;
	}
	if (spec->required && json_is_null(*v)) {
		*err = xasprintf("argument '%s' is required but evaluated to "
		    "null", spec->name);
		return -1;
	}
	return 0;
}

/*
 * Evaluate and check an action's arguments.  A mapping written with
 * templates is evaluated key by key straight into the result, each value
 * checked as it comes: this runs once per row of a batch.  (The loader
 * has checked that the required ones are written.)
 */
static json_t *
eval_args(struct frame *f, const struct step *st, char **err)
{
	struct expr_scope scope = { eng_lookup, f, eng_on_part };
	const struct tval *t = st->args;
	struct expr_error e;
	struct pos where = st->pos;
	json_t *args, *v;
	const char *k;
	size_t i;
	void *iter;

	memset(&e, 0, sizeof e);
	if (t != NULL && t->kind == TVAL_MAP) {
		args = json_object();
		for (i = 0; i < t->n; i++) {
			if ((v = tval_eval(t->items[i], &scope, &e, &where)) ==
			    NULL) {
				*err = xasprintf("%s:%d:%d: %s", where.file,
				    where.line, where.col, e.msg);
				json_decref(args);
				return NULL;
			}
			if (check_arg(f->run, st->action, t->keys[i], &v,
			    err) != 0) {
				json_decref(v);
				json_decref(args);
				return NULL;
			}
			json_object_set_new_nocheck(args, t->keys[i], v);
		}
	} else {
		args = t ? tval_eval(t, &scope, &e, &where) : json_object();
		if (args == NULL) {
			*err = xasprintf("%s:%d:%d: %s", where.file,
			    where.line, where.col, e.msg);
			return NULL;
		}
		for (iter = json_object_iter(args); iter != NULL;
		    iter = json_object_iter_next(args, iter)) {
			k = json_object_iter_key(iter);
			v = json_incref(json_object_iter_value(iter));
			if (check_arg(f->run, st->action, k, &v, err) != 0) {
				json_decref(v);
				json_decref(args);
				return NULL;
			}
			json_object_iter_set_new(args, iter, v);
		}
	}
	/* What the step's output will derive from, if it derives. */
	json_decref(f->run->step_taint);
	f->run->step_taint = eng_trace_args(f->run, f, st->args);
	/* The old spelling delay_ms: N is delay: "Nms" (the loader warns). */
	if ((v = json_object_get(args, "delay_ms")) != NULL &&
	    action_arg_find(st->action, "delay_ms") == NULL &&
	    action_arg_find(st->action, "delay") != NULL) {
		if (json_is_number(v))
			json_object_set_new(args, "delay", json_sprintf("%gms",
			    json_number_value(v)));
		else
			json_object_set(args, "delay", v);
		json_object_del(args, "delay_ms");
	}
	return args;
}

int
eng_cancelled(const struct run *r)
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
		if (r->opts.dry_run && st->action->dry == ACTION_DRY_SKIP) {
			snprintf(line, sizeof line, "dry run: %s not run",
			    st->action->name);
			run_log(r, "info", line);
			json_decref(args);
			*out = json_null();
			return 0;
		}
		memset(&a, 0, sizeof a);
		a.run = r;
		a.action = st->action;
		a.args = args;
		a.deadline_ms = deadline;
		a.keep_out = st->id != NULL;
		rc = st->action->run(&a);
		if (!(st->action->flags & ACTION_DERIVES)) {
			/* Its output is the world's answer, not the secret. */
			json_decref(r->step_taint);
			r->step_taint = NULL;
		} else if (rc == 0 && r->step_taint != NULL && a.out != NULL &&
		    a.out != args)
			/* A transform (json.*); set's output is its arguments,
			 * whose tainted parts are registered already. */
			eng_derived(r, r->step_taint, a.out);
		if (rc != 0 && a.err[0] == '\0')
			snprintf(a.err, sizeof a.err, "%s failed",
			    st->action->name);
		if (rc != 0 && r->skip_reason != NULL) {
			json_decref(args);
			json_decref(a.out);
			return -1;	/* skip: never retried */
		}
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
		if (n == st->retry.attempts || eng_cancelled(r) ||
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

/* --- for_each, while and include ----------------------------------------- */

/*
 * v for a message: null, true, the number 3, the string 'abc'.  Masked
 * before it is cut short, since a cut secret is no longer recognised.
 */
static char *
describe(struct run *r, const json_t *v)
{
	char *text = eng_mask_owned(r, expr_to_string(v)), *d;
	int n = text_utf8_prefix(text, 60);

	if (json_is_string(v))
		d = xasprintf("the string '%.*s%s'", n, text,
		    text[n] != '\0' ? "..." : "");
	else if (json_is_number(v))
		d = xasprintf("the number %s", text);
	else if (json_is_null(v))
		d = xstrdup("null");
	else
		d = xstrdup(text);
	free(text);
	return d;
}

/*
 * The list a for_each walks: a list, or a mapping as {key, value} pairs.
 * Anything else - null included, the value of a misspelt member - is an
 * error naming the expression and what it gave.
 */
static json_t *
loop_list(struct run *r, const struct step *st, json_t *v, char **err)
{
	json_t *list, *item;
	const char *k;
	char *what;

	if (json_is_array(v))
		return json_incref(v);
	if (!json_is_object(v)) {
		what = describe(r, v);
		*err = xasprintf("for_each: %s is %s, not a list (an empty "
		    "list [] runs no items)", st->each->text, what);
		free(what);
		return NULL;
	}
	list = json_array();
	json_object_foreach(v, k, item)
		json_array_append_new(list, json_pack("{s:s, s:O}", "key", k,
		    "value", item));
	return list;
}

/* How an item ended. */
enum item_end {
	ITEM_SUCCEEDED,
	ITEM_FAILED,
	ITEM_SKIPPED,
};

static void
record_item(struct run *r, size_t index, enum item_end end, const char *why,
    int64_t ms)
{
	static const char *const status[] = { "succeeded", "failed",
	    "skipped" };
	json_t *ev = NULL;

	if (r->opts.on_event != NULL)
		ev = json_pack("{s:s, s:I, s:s, s:I}", "type", "item_end",
		    "index", (json_int_t)index, "status", status[end],
		    "duration_ms", (json_int_t)ms);
	switch (end) {
	case ITEM_SUCCEEDED:
		r->items_ok++;
		break;
	case ITEM_FAILED:
		r->items_failed++;
		if (json_array_size(r->failures) < MAX_FAILURES_LISTED)
			json_array_append_new(r->failures, json_pack(
			    "{s:I, s:s}", "index", (json_int_t)index, "error",
			    why));
		if (ev != NULL)
			json_object_set_new(ev, "error", json_string(why));
		break;
	case ITEM_SKIPPED:
		r->items_skipped++;
		if (json_array_size(r->skips) < MAX_FAILURES_LISTED)
			json_array_append_new(r->skips, json_pack(
			    "{s:I, s:s}", "index", (json_int_t)index, "reason",
			    why));
		if (ev != NULL)
			json_object_set_new(ev, "reason", json_string(why));
		break;
	}
	if (ev != NULL)
		eng_emit(r, ev);
}

/* Run on_error steps for a failed iteration, which they see as ${error}. */
static int
run_handler(struct run *r, struct frame *f, const struct step *st,
    int depth, int64_t deadline, const char *msg, char **err)
{
	json_t *saved = f->error;
	int rc;

	f->error = json_pack("{s:s, s:s}", "message", msg, "step", st->label);
	rc = eng_exec_steps(r, f, &st->handler, depth + 1, deadline, err);
	json_decref(f->error);
	f->error = saved;
	return rc;
}

/* Enter iteration index of a loop (count known when counted). */
static void
loop_enter(struct frame *f, size_t index, size_t count, int counted)
{
	json_decref(f->loop.cache);
	f->loop.active = 1;
	f->loop.index = index;
	f->loop.count = count;
	f->loop.counted = counted;
	f->loop.cache = NULL;
}

/* What a for_each walks: a list, or the rows of a CSV file read one at a
 * time (for_each: { csv: PATH }). */
struct source {
	json_t		*list;
	struct csvrows	*rows;
};

/* The source of a for_each; -1 with *err. */
static int
source_open(struct frame *f, const struct step *st, struct source *src,
    char **err)
{
	struct expr_scope scope = { eng_lookup, f, eng_on_part };
	struct expr_error e;
	struct pos where;
	char msg[1024], *path;
	json_t *v;

	memset(src, 0, sizeof *src);
	memset(&e, 0, sizeof e);
	if ((v = tval_eval(st->each, &scope, &e, &where)) == NULL) {
		*err = xasprintf("%s:%d:%d: for_each: %s", where.file,
		    where.line, where.col, e.msg);
		return -1;
	}
	if (st->each_csv) {
		/* The csv: key is csv.read's path, a file the job reads. */
		if (json_is_string(json_object_get(v, "csv"))) {
			path = policy_path(f->run->opts.policy,
			    f->run->opts.workdir, json_string_value(
			    json_object_get(v, "csv")), 0, msg, sizeof msg);
			if (path == NULL) {
				*err = xasprintf("for_each: %s", msg);
				json_decref(v);
				return -1;
			}
			json_object_set_new(v, "csv", json_string(path));
			free(path);
		}
		json_object_set(v, "path", json_object_get(v, "csv"));
		json_object_del(v, "csv");
		src->rows = csvrows_open(v, msg, sizeof msg);
		json_decref(v);
		if (src->rows == NULL) {
			*err = xasprintf("for_each: %s", msg);
			return -1;
		}
		return 0;
	}
	src->list = loop_list(f->run, st, v, err);
	json_decref(v);
	return src->list != NULL ? 0 : -1;
}

/* Element i: 1 with a new reference in *item, 0 at the end, -1 with *err. */
static int
source_next(struct source *src, size_t i, json_t **item, char **err)
{
	char msg[1024];
	int rc;

	if (src->list != NULL) {
		if (i >= json_array_size(src->list))
			return 0;
		*item = json_incref(json_array_get(src->list, i));
		return 1;
	}
	if ((rc = csvrows_next(src->rows, item, msg, sizeof msg)) < 0)
		*err = xasprintf("for_each: %s", msg);
	return rc;
}

/* The elements left after i were never started: how many. */
static size_t
source_rest(struct source *src, size_t i)
{
	json_t *item;
	char *err = NULL;
	size_t n = 0;

	if (src->list != NULL)
		return json_array_size(src->list) - i;
	while (source_next(src, i + n, &item, &err) == 1) {
		json_decref(item);
		n++;
	}
	free(err);
	return n;
}

static void
source_close(struct source *src)
{
	json_decref(src->list);
	csvrows_close(src->rows);
}

/* What a for_each is doing, shared by its iterations. */
struct loop {
	const struct step	*st;
	struct source		 src;
	int			 counting;	/* its iterations are items */
	int			 depth;
	int64_t			 deadline;
	size_t			 ok, failed, skipped;
};

/*
 * One iteration: the body, then on_error steps when it failed.  Returns
 * 0, or -1 with *err (NULL when an item ended with skip: r->skip_reason).
 */
static int
iterate(struct run *r, struct frame *f, struct loop *lp, size_t i,
    json_t *item, char **err)
{
	const struct step *st = lp->st;
	char *herr = NULL, *msg;
	int rc;

	f->bind[f->nbind].name = st->as;
	f->bind[f->nbind].value = item;
	f->bind[f->nbind + 1].name = "item";
	f->bind[f->nbind + 1].value = item;
	f->nbind += 2;
	loop_enter(f, i, lp->src.list ? json_array_size(lp->src.list) : 0,
	    lp->src.list != NULL);
	*err = NULL;
	rc = eng_exec_steps(r, f, &st->body, lp->depth + 1, lp->deadline, err);
	if (rc != 0 && lp->deadline && time_mono_ms() >= lp->deadline &&
	    r->skip_reason == NULL) {
		msg = xasprintf("not finished when the loop's time ran out: "
		    "%s", *err ? *err : "failed");
		free(*err);
		*err = msg;
	}
	if (rc != 0 && r->skip_reason == NULL &&
	    st->on_error == ON_ERROR_STEPS) {
		if (run_handler(r, f, st, lp->depth, lp->deadline, *err ?
		    *err : "failed", &herr) == 0 && !lp->counting) {
			free(*err);
			*err = NULL;
			rc = 0;		/* handled: the loop goes on */
		} else if (herr != NULL) {
			msg = xasprintf("%s; then on_error failed: %s", *err ?
			    *err : "failed", herr);
			free(*err);
			*err = msg;
		}
		free(herr);
	}
	if (rc != 0 && !lp->counting && r->skip_reason == NULL &&
	    st->on_error == ON_ERROR_CONTINUE) {
		run_log(r, "warn", *err ? *err : "an iteration failed");
		free(*err);
		*err = NULL;
		rc = 0;
	}
	f->nbind -= 2;
	return rc;
}

/*
 * List a succeeded item by its key (run_opts.item_key): a hash of the
 * job's key, the loop (its label and place) and the item's value, the
 * same in every attempt of the job that meets the same item.
 */
static void
list_done(struct run *r, const struct step *st, const json_t *item)
{
	unsigned char h[16];
	char hex[2 * sizeof h + 1], where[256];
	crypto_generichash_state gs;
	char *text;

	if (r->done == NULL || json_array_size(r->done) >= MAX_DONE_LISTED)
		return;
	text = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);
	crypto_generichash_init(&gs, NULL, 0, sizeof h);
	crypto_generichash_update(&gs, (const unsigned char *)r->opts.item_key,
	    strlen(r->opts.item_key) + 1);
	snprintf(where, sizeof where, "%s:%d:%d", st->label, st->pos.line,
	    st->pos.col);
	crypto_generichash_update(&gs, (const unsigned char *)where,
	    strlen(where) + 1);
	if (text != NULL)
		crypto_generichash_update(&gs, (const unsigned char *)text,
		    strlen(text));
	crypto_generichash_final(&gs, h, sizeof h);
	free(text);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	json_array_append_new(r->done, json_string(hex));
}

/* Record how an item ended and count it. */
static void
end_item(struct run *r, struct loop *lp, size_t i, const json_t *item,
    int rc, char *ierr, int64_t ms)
{
	if (rc == 0 && r->skip_reason == NULL)
		list_done(r, lp->st, item);
	if (rc != 0 && r->skip_reason != NULL) {
		record_item(r, i, ITEM_SKIPPED, r->skip_reason, ms);
		free(r->skip_reason);
		r->skip_reason = NULL;
		lp->skipped++;
	} else {
		record_item(r, i, rc == 0 ? ITEM_SUCCEEDED : ITEM_FAILED, ierr,
		    ms);
		if (rc == 0)
			lp->ok++;
		else
			lp->failed++;
	}
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
	struct loopstate saved_loop = f->loop;
	struct loop lp;
	json_t *item, *names = NULL, *saved_as = NULL, *saved_item = NULL;
	size_t i, rest = 0;
	int saved_index = r->item_index, saved_in_item = r->in_item;
	int rc = 0, stopped = 0, more;
	int64_t t0;
	char *ierr;

	memset(&lp, 0, sizeof lp);
	lp.st = st;
	if (source_open(f, st, &lp.src, err) != 0)
		return -1;
	lp.counting = !r->in_item && st->items;
	lp.depth = depth;
	lp.deadline = deadline;
	/* Items of a list derived from a secret are derived from it too (the
	 * rows of a file are the file's). */
	if (r->nbound > 0 && !st->each_csv) {
		names = taint_tval(st->each, f->taint, r->secret_names);
		saved_as = taint_binding(f, st->as, names);
		saved_item = taint_binding(f, "item", names);
	}
	f->bind = xreallocarray(f->bind, f->nbind + 2, sizeof *f->bind);
	f->loop.cache = NULL;
	r->in_item = 1;		/* no items inside an item, nor in a loop */
	for (i = 0; ; i++) {
		if (eng_cancelled(r) || (deadline && time_mono_ms() >=
		    deadline)) {
			stopped = 1;
			break;
		}
		if ((more = source_next(&lp.src, i, &item, err)) <= 0) {
			rc = more;
			break;
		}
		if (lp.counting)
			r->item_index = (int)i;
		/* An item's duration is only in its event. */
		t0 = r->opts.on_event != NULL ? time_mono_ms() : 0;
		rc = iterate(r, f, &lp, i, item, &ierr);
		if (lp.counting) {
			end_item(r, &lp, i, item, rc, ierr,
			    r->opts.on_event != NULL ? time_mono_ms() - t0 : 0);
			json_decref(item);
			free(ierr);
			rc = 0;
			continue;
		}
		json_decref(item);
		if (rc != 0) {
			/* A skip, or a failure that ends the loop. */
			*err = ierr;
			lp.failed++;
			i++;
			rest = source_rest(&lp.src, i);
			break;
		}
		lp.ok++;
	}
	json_decref(f->loop.cache);
	f->loop = saved_loop;
	r->item_index = saved_index;
	r->in_item = saved_in_item;
	if (names != NULL) {
		taint_mark(f->taint, 'b', "item", saved_item);
		taint_mark(f->taint, 'b', st->as, saved_as);
		json_decref(saved_item);
		json_decref(saved_as);
		json_decref(names);
	}
	if (stopped) {
		rest = source_rest(&lp.src, i);
		if (lp.counting)
			r->items_not_run += (long)rest;
		*err = xasprintf("%s after %zu of %zu items (%zu not run)",
		    eng_cancelled(r) ? "the run was cancelled" : "timed out", i,
		    i + rest, rest);
		rc = -1;
	}
	*out = json_pack("{s:I, s:I, s:I, s:I, s:I}", "count",
	    (json_int_t)(i + rest), "succeeded", (json_int_t)lp.ok, "failed",
	    (json_int_t)lp.failed, "skipped", (json_int_t)lp.skipped,
	    "not_run", (json_int_t)rest);
	source_close(&lp.src);
	return rc;
}

/*
 * A condition (if:, while:, until:, named by word): true or false, else
 * an error naming it.  No truthiness: ${row.note} is not a test.  With
 * null_unmet, null is false: an if: in a dry run that reads the output of
 * a step the dry run did not run.
 */
static int
eval_condition(struct frame *f, const struct tval *cond, const char *word,
    int null_unmet, int *yes, char **err)
{
	struct expr_scope scope = { eng_lookup, f, eng_on_part };
	struct expr_error e;
	struct pos where;
	json_t *v;
	char *what;

	memset(&e, 0, sizeof e);
	if ((v = tval_eval(cond, &scope, &e, &where)) == NULL) {
		*err = eng_mask_owned(f->run, xasprintf("%s:%d:%d: %s: %s",
		    where.file, where.line, where.col, word, e.msg));
		return -1;
	}
	if (null_unmet && json_is_null(v)) {
		what = xasprintf("dry run: %s: %s is null (an output the dry "
		    "run did not make): the step is not run", word, cond->text);
		run_log(f->run, "info", what);
		free(what);
		json_decref(v);
		*yes = 0;
		return 0;
	}
	if (!json_is_boolean(v)) {
		what = describe(f->run, v);
		*err = xasprintf("%s:%d:%d: %s: %s is %s, not true or false",
		    cond->pos.file, cond->pos.line, cond->pos.col, word,
		    cond->text, what);
		free(what);
		json_decref(v);
		return -1;
	}
	*yes = json_is_true(v);
	json_decref(v);
	return 0;
}

/* A loop's condition: see eval_condition. */
static int
loop_condition(struct frame *f, const struct step *st, int *yes, char **err)
{
	return eval_condition(f, st->loop_cond, st->until ? "until" : "while",
	    0, yes, err);
}

/*
 * while: the steps run as long as the condition holds (until: until it
 * does, at least once), at most max times: a condition that would go on
 * past max is an error, so a loop that never ends cannot hang a run.
 */
static int
exec_while(struct run *r, struct frame *f, const struct step *st,
    int depth, int64_t deadline, json_t **out, char **err)
{
	const char *word = st->until ? "until" : "while";
	struct loopstate saved_loop = f->loop;
	long passes = 0;
	int go = 1, rc = 0;

	for (;;) {
		if (!st->until && (rc = loop_condition(f, st, &go, err)) != 0)
			break;
		if (!go)
			break;
		if (passes == st->max) {
			*err = xasprintf("%s: %s still says go on after %ld "
			    "passes (max: %ld)", word, st->loop_cond->text,
			    passes, st->max);
			rc = -1;
			break;
		}
		if (eng_cancelled(r) || (deadline && time_mono_ms() >=
		    deadline)) {
			*err = xasprintf("%s after %ld passes",
			    eng_cancelled(r) ? "the run was cancelled" :
			    "timed out", passes);
			rc = -1;
			break;
		}
		f->loop.cache = NULL;
		loop_enter(f, (size_t)passes, 0, 0);
		rc = eng_exec_steps(r, f, &st->body, depth + 1, deadline, err);
		json_decref(f->loop.cache);
		f->loop = saved_loop;
		passes++;
		if (rc != 0)
			break;
		if (st->until) {
			if ((rc = loop_condition(f, st, &go, err)) != 0)
				break;
			go = !go;
		}
	}
	*out = json_pack("{s:I}", "iterations", (json_int_t)passes);
	return rc;
}

static int
exec_include(struct run *r, struct frame *f, const struct step *st,
    int depth, int64_t deadline, json_t **out, char **err)
{
	struct expr_scope scope = { eng_lookup, f, eng_on_part };
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
	json_decref(eng_trace_args(r, f, st->with));
	with_taint = json_object();
	json_object_foreach(r->args_taint, k, names)
		taint_mark(with_taint, 'p', k, names);
	params = eng_make_params(st->sub, given, msg, sizeof msg);
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
	rc = eng_exec_steps(r, &sub, &st->sub->steps, depth + 1, deadline, err);
	*out = json_null();
	if (rc == 0 && st->sub->output != NULL) {
		struct expr_scope subscope = { eng_lookup, &sub, eng_on_part };

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
	r->step_taint = rc == 0 && r->nbound > 0 ? taint_tval(st->sub->output,
	    sub.taint, r->secret_names) : NULL;
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
	case STEP_WHILE:
		return st->until ? "until" : "while";
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
	int top = depth == 0 && f == &r->top;
	json_t *ev, *res;
	char *pos;

	if (st->id != NULL) {
		res = json_pack("{s:O, s:s, s:s?, s:I}", "output",
		    output ? output : json_null(), "status", status,
		    "error", error, "duration_ms", (json_int_t)ms);
		json_object_set_new(f->steps, st->id, res);
	}
	/* The event is made only for someone who listens, or for the
	 * summary's list of top-level steps. */
	if (r->opts.on_event == NULL && !top)
		return;
	pos = eng_pos_text(&st->pos);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:i}",
	    "type", "step_end", "step", st->label, "action", action_name(st),
	    "pos", pos, "depth", depth, "status", status,
	    "duration_ms", (json_int_t)ms, "attempts", attempts);
	free(pos);
	if (error != NULL)
		json_object_set_new(ev, "error", json_string(error));
	if (r->item_index >= 0)
		json_object_set_new(ev, "item", json_integer(r->item_index));
	if (top) {
		res = json_deep_copy(ev);
		json_object_del(res, "type");
		json_object_del(res, "depth");
		if (st->kind == STEP_FOR_EACH && output != NULL)
			json_object_set(res, "items", output);
		json_array_append_new(r->results, res);
	}
	eng_emit(r, ev);
}

/* step_start, for someone who listens. */
static void
start_event(struct run *r, const struct step *st, int depth)
{
	json_t *ev;
	char *pos;

	if (r->opts.on_event == NULL)
		return;
	pos = eng_pos_text(&st->pos);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:i}", "type", "step_start",
	    "step", st->label, "action", action_name(st), "pos", pos, "depth",
	    depth);
	free(pos);
	if (r->item_index >= 0)
		json_object_set_new(ev, "item", json_integer(r->item_index));
	eng_emit(r, ev);
}

static int
exec_step(struct run *r, struct frame *f, const struct step *st, int depth,
    int64_t deadline, char **err)
{
	const struct step *saved = r->current;
	struct frame *saved_frame = r->frame;
	json_t *out = NULL, *saved_error;
	int64_t t0, ms, step_deadline = deadline;
	int rc, attempts = 1, timed;
	char *pos, *msg = NULL, *hmsg = NULL;

	if (eng_cancelled(r)) {
		*err = xstrdup("the run was cancelled");
		return -1;
	}
	if (st->cond != NULL) {
		if (eval_condition(f, st->cond, "if", r->opts.dry_run, &rc,
		    err) != 0)
			return -1;
		if (!rc) {
			record_step(r, f, st, "skipped", NULL, NULL, 0, depth,
			    0);
			return 0;
		}
	}
	start_event(r, st, depth);
	if (st->timeout_ms > 0) {
		int64_t d = time_mono_ms() + st->timeout_ms;

		if (step_deadline == 0 || d < step_deadline)
			step_deadline = d;
	}
	r->current = st;
	r->frame = f;
	/* The clock is read only when a duration is recorded somewhere. */
	timed = st->id != NULL || r->opts.on_event != NULL || (depth == 0 &&
	    f == &r->top) || st->kind != STEP_ACTION;
	t0 = timed ? time_mono_ms() : 0;
	switch (st->kind) {
	case STEP_ACTION:
		rc = exec_action(r, f, st, step_deadline, &out, &attempts,
		    &msg);
		break;
	case STEP_FOR_EACH:
		rc = exec_for_each(r, f, st, depth, step_deadline, &out,
		    &msg);
		break;
	case STEP_WHILE:
		rc = exec_while(r, f, st, depth, step_deadline, &out, &msg);
		break;
	case STEP_INCLUDE:
	default:
		rc = exec_include(r, f, st, depth, step_deadline, &out, &msg);
		break;
	}
	ms = timed ? time_mono_ms() - t0 : 0;
	r->current = saved;
	r->frame = saved_frame;
	/* ${steps.ID...} is derived from what the step's output was. */
	if (st->id != NULL && r->nbound > 0)
		taint_mark(f->taint, 's', st->id, st->kind == STEP_ACTION ||
		    st->kind == STEP_INCLUDE ? r->step_taint : NULL);
	json_decref(r->step_taint);
	r->step_taint = NULL;
	if (rc == 0 && step_deadline != 0 && st->timeout_ms > 0 &&
	    time_mono_ms() > step_deadline && st->kind == STEP_ACTION) {
		msg = xasprintf("timed out after %lld ms",
		    (long long)st->timeout_ms);
		rc = -1;
	}
	if (rc == 0) {
		record_step(r, f, st, "succeeded", out, NULL, ms, depth,
		    attempts);
		json_decref(out);
		return 0;
	}
	if (r->skip_reason != NULL) {
		/* skip ends the item: not a failure, no on_error. */
		record_step(r, f, st, st->kind == STEP_ACTION ? "succeeded" :
		    "skipped", out, NULL, ms, depth, attempts);
		json_decref(out);
		free(msg);
		*err = NULL;
		return -1;
	}
	/*
	 * Name the innermost place: nested errors carry their own.  Masked
	 * here, since the message becomes a value the script can read
	 * (${error.message}, ${steps.ID.error}) and write anywhere.
	 */
	if (msg != NULL && strncmp(msg, st->pos.file, strlen(st->pos.file))
	    == 0)
		hmsg = xstrdup(msg);
	else {
		pos = eng_pos_text(&st->pos);
		hmsg = xasprintf("%s: %s: %s", pos, st->label,
		    msg ? msg : "failed");
		free(pos);
	}
	free(msg);
	hmsg = eng_mask_owned(r, hmsg);
	record_step(r, f, st, "failed", out, hmsg, ms, depth, attempts);
	json_decref(out);

	switch (st->on_error) {
	case ON_ERROR_CONTINUE:
		run_log(r, "warn", hmsg);
		free(hmsg);
		return 0;
	case ON_ERROR_STEPS:
		/* A loop's on_error steps ran for its failed iterations;
		 * the loop's own failure (its list, its time) fails it. */
		if (st->kind == STEP_FOR_EACH) {
			*err = hmsg;
			return -1;
		}
		saved_error = f->error;
		f->error = json_pack("{s:s, s:s}", "message", hmsg, "step",
		    st->label);
		free(hmsg);
		rc = eng_exec_steps(r, f, &st->handler, depth + 1, deadline, err);
		json_decref(f->error);
		f->error = saved_error;
		return rc;
	case ON_ERROR_FAIL:
	default:
		*err = hmsg;
		return -1;
	}
}

int
eng_exec_steps(struct run *r, struct frame *f, const struct steps *steps,
    int depth, int64_t deadline, char **err)
{
	size_t i;

	for (i = 0; i < steps->n; i++) {
		if (exec_step(r, f, steps->v[i], depth, deadline, err) != 0)
			return -1;
	}
	return 0;
}

