/*
 * act_core.c - the core actions: log, set, append, assert, fail, skip,
 * sleep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "engine.h"
#include "expr.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

static int
do_log(struct act *a)
{
	static const char *const levels[] = { "info", "warn", "error", NULL };
	const char *level = act_str(a, "level", "info");
	json_t *msg = act_arg(a, "message");
	char *text;
	size_t i;

	for (i = 0; levels[i] != NULL; i++) {
		if (strcmp(levels[i], level) == 0)
			break;
	}
	if (levels[i] == NULL)
		return act_fail(a, "level must be info, warn or error, not "
		    "'%s'", level);
	text = msg ? expr_to_string(msg) : xstrdup("");
	run_log(a->run, level, text);
	free(text);
	return 0;
}

static int
do_set(struct act *a)
{
	const char *k;
	json_t *v;

	json_object_foreach(a->args, k, v)
		run_set_var(a->run, k, v);
	a->out = json_incref(a->args);
	return 0;
}

/* The condition must be true or false: "amount > 100" is not a test. */
static int
do_assert(struct act *a)
{
	json_t *that = json_object_get(a->args, "that");
	char *text, *shown;

	if (!json_is_boolean(that)) {
		text = that ? expr_to_string(that) : xstrdup("");
		if (that == NULL || json_is_null(that))
			act_fail(a, "the condition gave null, not true or "
			    "false");
		else if (json_is_string(that)) {
			/* Masked before it is cut: a cut secret is not
			 * recognised. */
			shown = act_masked(a, text);
			act_fail(a, "the condition gave the string '%.*s', not "
			    "true or false", text_utf8_prefix(shown, 60), shown);
			free(shown);
		}
		else if (json_is_number(that))
			act_fail(a, "the condition gave the number %s, not true "
			    "or false", text);
		else
			act_fail(a, "the condition gave a %s, not true or "
			    "false", json_is_array(that) ? "list" : "mapping");
		free(text);
		return -1;
	}
	if (json_is_true(that))
		return 0;
	return act_fail(a, "%s", act_str(a, "message", "assertion failed"));
}

/* End the current item as skipped: done before, nothing to do. */
static int
do_skip(struct act *a)
{
	json_t *why = act_arg(a, "reason");
	char *text = why ? expr_to_string(why) : xstrdup("skipped"), err[256];
	int rc;

	rc = run_skip_item(a->run, text, err, sizeof err);
	if (rc != 0)
		act_fail(a, "%s", err);
	else
		act_fail(a, "skipped: %s", text);
	free(text);
	return -1;
}

/*
 * Collect into a list variable: value (one item) or values (a list of
 * them), in amortised constant time an item.
 */
static int
do_append(struct act *a)
{
	const char *to = act_str(a, "to", "");
	json_t *one = json_object_get(a->args, "value");
	json_t *many = act_arg(a, "values");
	char err[256];
	long n;

	if ((one != NULL) == (many != NULL))
		return act_fail(a, "give value or values");
	n = run_append_var(a->run, to, one != NULL ? one : many, one == NULL,
	    err, sizeof err);
	if (n < 0)
		return act_fail(a, "%s", err);
	if (a->keep_out)
		a->out = json_pack("{s:I}", "count", (json_int_t)n);
	return 0;
}
static int
do_fail(struct act *a)
{
	json_t *msg = act_arg(a, "message");
	char *text;

	if (msg == NULL)
		return act_fail(a, "failed");
	text = expr_to_string(msg);
	act_fail(a, "%s", text);
	free(text);
	return -1;
}

static int
do_sleep(struct act *a)
{
	double secs = act_num(a, "seconds", 0);
	int64_t ms = (int64_t)(secs * 1000), left = act_remaining_ms(a);

	if (secs < 0)
		return act_fail(a, "seconds must not be negative");
	if (ms > left) {
		time_sleep_ms(left, NULL);
		return act_fail(a, "the step's timeout ends before the sleep");
	}
	/* Sleep in slices so that a cancelled run stops promptly. */
	while (ms > 0 && !act_cancelled(a)) {
		int64_t slice = ms > 100 ? 100 : ms;

		time_sleep_ms(slice, NULL);
		ms -= slice;
	}
	return act_cancelled(a) ? act_fail(a, "cancelled") : 0;
}

static const struct action_arg log_args[] = {
	{ "message", ARG_ANY, 1, "the text to log" },
	{ "level", ARG_STRING, 0, "info (default), warn or error" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg assert_args[] = {
	{ "that", ARG_ANY, 1, "a condition written as one ${...} that gives "
	    "true or false; false fails" },
	{ "message", ARG_STRING, 0, "the error when the condition is false" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg skip_args[] = {
	{ "reason", ARG_ANY, 1, "why the item needs nothing: shown with it" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg append_args[] = {
	{ "to", ARG_STRING, 1, "the list variable, created when not set" },
	{ "value", ARG_ANY, 0, "one item to add" },
	{ "values", ARG_LIST, 0, "several items to add, in order" },
	{ NULL, 0, 0, NULL },
};

static const struct action_out append_out[] = {
	{ "count", ARG_INT, "the list's length after the append" },
	{ NULL, 0, NULL },
};

static const struct action_arg fail_args[] = {
	{ "message", ARG_ANY, 0, "why the step fails" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg sleep_args[] = {
	{ "seconds", ARG_NUMBER, 1, "how long to wait" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg no_args[] = {
	{ NULL, 0, 0, NULL },
};

/*
 * set's output is the values it sets: its keys are the names written in
 * the step, which the loader knows; so it declares none here.
 */
const struct action core_actions[] = {
	{ "log", "write a line to the run log", log_args, do_log,
	    ACTION_SCALAR, NULL, ARG_NULL, NULL, ACTION_DRY_READ },
	{ "set", "set variables, each key a name usable as ${name}", no_args,
	    do_set, ACTION_OPEN | ACTION_DERIVES, NULL, ARG_MAP, NULL,
	    ACTION_DRY_READ },
	{ "append", "add items to a list variable (in constant time)",
	    append_args, do_append, 0, NULL, ARG_MAP, append_out,
	    ACTION_DRY_READ },
	{ "assert", "fail the step unless a condition holds", assert_args,
	    do_assert, ACTION_SCALAR, NULL, ARG_NULL, NULL, ACTION_DRY_READ },
	{ "fail", "fail the step (and so the item or run) with a message",
	    fail_args, do_fail, ACTION_SCALAR, NULL, ARG_NULL, NULL,
	    ACTION_DRY_READ },
	{ "skip", "end the item as skipped, with a reason (no minutes)",
	    skip_args, do_skip, ACTION_SCALAR, NULL, ARG_NULL, NULL,
	    ACTION_DRY_READ },
	{ "sleep", "wait a number of seconds", sleep_args, do_sleep,
	    ACTION_SCALAR, NULL, ARG_NULL, NULL, ACTION_DRY_SKIP },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
