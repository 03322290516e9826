/*
 * engine_step.c - executing the steps of a script: an action with its
 * retries and deadline, for_each and its items, include, and each step's
 * condition, timeout and on_error policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "buf.h"
#include "engine.h"
#include "engine_int.h"
#include "expr.h"
#include "mask.h"
#include "script.h"
#include "timeutil.h"
#include "xmalloc.h"

/* --- running one action ------------------------------------------------- */

/* Evaluate and check an action's arguments. */
static json_t *
eval_args(struct frame *f, const struct step *st, char **err)
{
	struct expr_scope scope = { eng_lookup, f };
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
	for (iter = json_object_iter(args); iter != NULL;
	    iter = json_object_iter_next(args, iter)) {
		k = json_object_iter_key(iter);
		v = json_incref(json_object_iter_value(iter));
		if ((spec = action_arg_find(st->action, k)) != NULL &&
		    action_arg_check(spec, &v, msg, sizeof msg) != 0) {
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
		rc = st->action->run(&a);
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

/* v for a message: null, true, the number 3, the string 'abc'. */
static char *
describe(const json_t *v)
{
	char *text = expr_to_string(v), *d;

	if (json_is_string(v))
		d = xasprintf("the string '%.60s%s'", text, strlen(text) > 60 ?
		    "..." : "");
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
loop_list(const struct step *st, json_t *v, char **err)
{
	json_t *list, *item;
	const char *k;
	char *what;

	if (json_is_array(v))
		return json_incref(v);
	if (!json_is_object(v)) {
		what = describe(v);
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
	json_t *ev;

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
		json_object_set_new(ev, "error", json_string(why));
		break;
	case ITEM_SKIPPED:
		r->items_skipped++;
		if (json_array_size(r->skips) < MAX_FAILURES_LISTED)
			json_array_append_new(r->skips, json_pack(
			    "{s:I, s:s}", "index", (json_int_t)index, "reason",
			    why));
		json_object_set_new(ev, "reason", json_string(why));
		break;
	}
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

/* What a for_each is doing, shared by its iterations. */
struct loop {
	const struct step	*st;
	json_t			*list;
	size_t			 n;
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
    char **err)
{
	const struct step *st = lp->st;
	json_t *item = json_array_get(lp->list, i);
	char *herr = NULL, *msg;
	int rc;

	f->bind[f->nbind].name = st->as;
	f->bind[f->nbind].value = item;
	f->bind[f->nbind + 1].name = "item";
	f->bind[f->nbind + 1].value = item;
	f->nbind += 2;
	f->loop = json_pack("{s:I, s:I, s:I, s:b, s:b}", "index",
	    (json_int_t)i, "number", (json_int_t)i + 1, "count",
	    (json_int_t)lp->n, "first", i == 0, "last", i + 1 == lp->n);
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
	json_decref(f->loop);
	f->nbind -= 2;
	return rc;
}

static int
exec_for_each(struct run *r, struct frame *f, const struct step *st,
    int depth, int64_t deadline, json_t **out, char **err)
{
	struct expr_scope scope = { eng_lookup, f };
	struct expr_error e;
	struct pos where;
	struct loop lp;
	json_t *v, *saved_loop;
	size_t i;
	int saved_index = r->item_index, saved_in_item = r->in_item;
	int rc = 0, stopped = 0;
	int64_t t0;
	char *ierr;

	memset(&e, 0, sizeof e);
	if ((v = tval_eval(st->each, &scope, &e, &where)) == NULL) {
		*err = xasprintf("%s:%d:%d: for_each: %s", where.file,
		    where.line, where.col, e.msg);
		return -1;
	}
	memset(&lp, 0, sizeof lp);
	lp.st = st;
	lp.list = loop_list(st, v, err);
	json_decref(v);
	if (lp.list == NULL)
		return -1;
	lp.n = json_array_size(lp.list);
	lp.counting = !r->in_item && st->items;
	lp.depth = depth;
	lp.deadline = deadline;
	f->bind = xreallocarray(f->bind, f->nbind + 2, sizeof *f->bind);
	saved_loop = f->loop;
	r->in_item = 1;		/* no items inside an item, nor in a loop */
	for (i = 0; i < lp.n; i++) {
		if (eng_cancelled(r) || (deadline && time_mono_ms() >=
		    deadline)) {
			stopped = 1;
			break;
		}
		if (lp.counting)
			r->item_index = (int)i;
		t0 = time_mono_ms();
		rc = iterate(r, f, &lp, i, &ierr);
		if (lp.counting) {
			if (rc != 0 && r->skip_reason != NULL) {
				record_item(r, i, ITEM_SKIPPED, r->skip_reason,
				    time_mono_ms() - t0);
				free(r->skip_reason);
				r->skip_reason = NULL;
				lp.skipped++;
			} else {
				record_item(r, i, rc == 0 ? ITEM_SUCCEEDED :
				    ITEM_FAILED, ierr, time_mono_ms() - t0);
				if (rc == 0)
					lp.ok++;
				else
					lp.failed++;
			}
			free(ierr);
			rc = 0;
			continue;
		}
		if (rc != 0) {
			/* A skip, or a failure that ends the loop. */
			*err = ierr;
			lp.failed++;
			i++;
			break;
		}
		lp.ok++;
	}
	f->loop = saved_loop;
	r->item_index = saved_index;
	r->in_item = saved_in_item;
	if (stopped) {
		if (lp.counting)
			r->items_not_run += (long)(lp.n - i);
		*err = xasprintf("%s after %zu of %zu items (%zu not run)",
		    eng_cancelled(r) ? "the run was cancelled" : "timed out", i,
		    lp.n, lp.n - i);
		rc = -1;
	}
	*out = json_pack("{s:I, s:I, s:I, s:I, s:I}", "count",
	    (json_int_t)lp.n, "succeeded", (json_int_t)lp.ok, "failed",
	    (json_int_t)lp.failed, "skipped", (json_int_t)lp.skipped,
	    "not_run", (json_int_t)(lp.n - i));
	json_decref(lp.list);
	return rc;
}

/* A loop's condition: true or false, else an error naming it. */
static int
loop_condition(struct frame *f, const struct step *st, int *yes, char **err)
{
	struct expr_scope scope = { eng_lookup, f };
	const char *word = st->until ? "until" : "while";
	struct expr_error e;
	struct pos where;
	json_t *v;
	char *what;

	memset(&e, 0, sizeof e);
	if ((v = tval_eval(st->loop_cond, &scope, &e, &where)) == NULL) {
		*err = xasprintf("%s:%d:%d: %s: %s", where.file, where.line,
		    where.col, word, e.msg);
		return -1;
	}
	if (!json_is_boolean(v)) {
		what = describe(v);
		*err = xasprintf("%s: %s is %s, not true or false", word,
		    st->loop_cond->text, what);
		free(what);
		json_decref(v);
		return -1;
	}
	*yes = json_is_true(v);
	json_decref(v);
	return 0;
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
	json_t *saved_loop = f->loop;
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
		f->loop = json_pack("{s:I, s:I, s:b}", "index",
		    (json_int_t)passes, "number", (json_int_t)passes + 1,
		    "first", passes == 0);
		rc = eng_exec_steps(r, f, &st->body, depth + 1, deadline, err);
		json_decref(f->loop);
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
	struct expr_scope scope = { eng_lookup, f };
	struct expr_error e;
	struct pos where = st->pos;
	struct frame sub;
	json_t *given, *params;
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
	params = eng_make_params(st->sub, given, msg, sizeof msg);
	json_decref(given);
	if (params == NULL) {
		*err = xstrdup(msg);
		return -1;
	}
	memset(&sub, 0, sizeof sub);
	sub.script = st->sub;
	sub.params = params;
	sub.steps = json_object();
	sub.vars = json_object();
	sub.run = r;
	rc = eng_exec_steps(r, &sub, &st->sub->steps, depth + 1, deadline, err);
	*out = json_null();
	if (rc == 0 && st->sub->output != NULL) {
		struct expr_scope subscope = { eng_lookup, &sub };

		json_decref(*out);
		if ((*out = tval_eval(st->sub->output, &subscope, &e,
		    &where)) == NULL) {
			*err = xasprintf("%s:%d:%d: %s", where.file,
			    where.line, where.col, e.msg);
			rc = -1;
		}
	}
	json_decref(sub.params);
	json_decref(sub.steps);
	json_decref(sub.vars);
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
	char *pos = eng_pos_text(&st->pos);
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
	eng_emit(r, ev);
	free(pos);
}

static int
exec_step(struct run *r, struct frame *f, const struct step *st, int depth,
    int64_t deadline, char **err)
{
	struct expr_scope scope = { eng_lookup, f };
	struct expr_error e;
	struct pos where;
	const struct step *saved = r->current;
	struct frame *saved_frame = r->frame;
	json_t *out = NULL, *cond, *saved_error;
	int64_t t0, ms, step_deadline = deadline;
	int rc, attempts = 1;
	char *pos, *msg = NULL, *hmsg = NULL;

	if (eng_cancelled(r)) {
		*err = xstrdup("the run was cancelled");
		return -1;
	}
	if (st->cond != NULL) {
		memset(&e, 0, sizeof e);
		if ((cond = tval_eval(st->cond, &scope, &e, &where)) == NULL) {
			*err = xasprintf("%s:%d:%d: if: %s", where.file,
			    where.line, where.col, e.msg);
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
	pos = eng_pos_text(&st->pos);
	{
		json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:i}", "type",
		    "step_start", "step", st->label, "action",
		    action_name(st), "pos", pos, "depth", depth);

		if (r->item_index >= 0)
			json_object_set_new(ev, "item",
			    json_integer(r->item_index));
		eng_emit(r, ev);
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
	case STEP_WHILE:
		rc = exec_while(r, f, st, depth, step_deadline, &out, &msg);
		break;
	case STEP_INCLUDE:
	default:
		rc = exec_include(r, f, st, depth, step_deadline, &out, &msg);
		break;
	}
	ms = time_mono_ms() - t0;
	r->current = saved;
	r->frame = saved_frame;
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
		free(pos);
		return 0;
	}
	if (r->skip_reason != NULL) {
		/* skip ends the item: not a failure, no on_error. */
		record_step(r, f, st, st->kind == STEP_ACTION ? "succeeded" :
		    "skipped", out, NULL, ms, depth, attempts);
		json_decref(out);
		free(msg);
		free(pos);
		*err = NULL;
		return -1;
	}
	/* Name the innermost place: nested errors carry their own. */
	if (msg != NULL && strncmp(msg, st->pos.file, strlen(st->pos.file))
	    == 0)
		hmsg = xstrdup(msg);
	else
		hmsg = xasprintf("%s: %s: %s", pos, st->label,
		    msg ? msg : "failed");
	free(msg);
	record_step(r, f, st, "failed", out, hmsg, ms, depth, attempts);
	json_decref(out);
	free(pos);

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

