/*
 * act_core.c - the core actions: log, set, assert, fail, sleep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "engine.h"
#include "expr.h"
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

static int
do_assert(struct act *a)
{
	json_t *that = json_object_get(a->args, "that");

	if (expr_truthy(that))
		return 0;
	return act_fail(a, "%s", act_str(a, "message", "assertion failed"));
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
	{ "that", ARG_ANY, 1, "a condition, usually ${...}; false fails" },
	{ "message", ARG_STRING, 0, "the error when the condition is false" },
	{ NULL, 0, 0, NULL },
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

const struct action core_actions[] = {
	{ "log", "write a line to the run log", log_args, do_log,
	    ACTION_SCALAR, NULL },
	{ "set", "set variables, each key a name usable as ${name}", no_args,
	    do_set, ACTION_OPEN | ACTION_DERIVES, NULL },
	{ "assert", "fail the step unless a condition holds", assert_args,
	    do_assert, ACTION_SCALAR, NULL },
	{ "fail", "fail the step (and so the item or run) with a message",
	    fail_args, do_fail, ACTION_SCALAR, NULL },
	{ "sleep", "wait a number of seconds", sleep_args, do_sleep,
	    ACTION_SCALAR, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
