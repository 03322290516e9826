/*
 * engine.h - running a loaded script: the run context.
 *
 * A struct run is one execution of a script.  It carries everything the
 * steps share: params, step outputs, variables, the secrets and their mask,
 * items (each for_each iteration that is not inside another is one item,
 * with its own status), artifacts, and the KPI figures computed at the end.
 * The same engine serves `kobito run` and the agent; both watch the run
 * through events (JSON objects) rather than by reading its fields.
 *
 * Ownership: the run borrows the script and the option strings, which must
 * outlive it.  run_summary() and events hand out values the caller must
 * not keep past the callback (events) or must json_decref (summary).
 */
#ifndef KOBITO_ENGINE_H
#define KOBITO_ENGINE_H

#include <stdatomic.h>
#include <stdint.h>
#include <jansson.h>

struct run;
struct script;
struct policy;

/*
 * Events, each a JSON object with "type":
 *   step_start  {step, action, pos, depth, item}
 *   step_end    {step, action, pos, depth, item, status, duration_ms,
 *                error?, attempts}
 *   item_end    {index, status, duration_ms, error?, reason?}
 *               status: succeeded, failed, or skipped (with the reason)
 *   log         {time, level, message, step}
 *   artifact    {path, kind}
 * Every string in an event is already masked.
 */
typedef void (*run_event_fn)(void *arg, const json_t *event);

/*
 * The scheduler a run was leased from, for the actions that talk to it
 * (queue.*): its URL, the agent's token, and the job's id and lease
 * token, which every such call presents.  All borrowed.
 */
struct run_link {
	const char	*url;
	const char	*token;
	const char	*job_id;
	const char	*lease_token;
};

struct run_opts {
	json_t		*params;	/* name -> value (text or typed) */
	/*
	 * name -> value, or name -> {"value": V, "allow": [DEST...]}: where
	 * http.* may send it (urlmatch.h).  A secret without allow may be
	 * typed or given to a program, never sent over HTTP.
	 */
	json_t		*secrets;
	/*
	 * name -> text: the scheduler's settings for the bot's department
	 * that are not secret (${assets.NAME}); NULL: none.
	 */
	json_t		*assets;
	int		 dry_run;
	const char	*display;	/* X display for ui.* actions */
	const char	*artifacts_dir;	/* created on demand */
	const char	*run_id;	/* NULL: one is made up */
	run_event_fn	 on_event;
	void		*event_arg;
	const atomic_int *cancel;	/* non-zero stops the run */
	/* What the actions may touch (policy.h); NULL: no limits. */
	const struct policy *policy;
	/* Where relative paths start (the job's working directory, also
	 * exec's default cwd); NULL: the process's. */
	const char	*workdir;
	const struct run_link *link;	/* NULL: not run for a scheduler */
	/*
	 * A job that may be retried: the key that makes its items' keys
	 * (the job's id).  Each succeeded item is then listed in the
	 * summary's items.done by a key - a keyed hash of the loop and the
	 * item's value - so that the scheduler credits an item that several
	 * attempts did once (jobs.h).  NULL: no keys.
	 */
	const char	*item_key;
};

/*
 * Prepare a run: check and convert the params (missing required ones,
 * unknown names, wrong types), load secrets.  Returns NULL with a message
 * in err when the params are wrong.
 */
struct run	*run_new(const struct script *, const struct run_opts *,
		    char *err, size_t errlen);
/* Execute every step.  Returns 0 when the run succeeded (see status). */
int		 run_exec(struct run *);
/*
 * "succeeded" (every step did and no item failed), "partial" (the steps
 * completed but some items failed) or "failed".
 */
const char	*run_status(const struct run *);
/*
 * The run as one JSON object: status, error, items {succeeded, failed,
 * skipped, not_run, failures, skips, and done with run_opts.item_key},
 * minutes_saved, vendor_minutes_saved,
 * duration_ms, steps, artifacts, output.  A new reference; every string
 * masked.
 */
json_t		*run_summary(const struct run *);
void		 run_free(struct run *);

/* For the core actions: set a variable visible as ${name} and ${vars.name}. */
void		 run_set_var(struct run *, const char *name, json_t *value);
/*
 * append: add value (borrowed) - or, with extend, the items of the list
 * value - to the list in variable name, creating it; amortised O(1) an
 * item, as the list is changed in place (copied once if something else
 * holds it).  Returns the list's length, or -1 with a message when the
 * variable holds something else.
 */
long		 run_append_var(struct run *, const char *name, json_t *value,
		    int extend, char *err, size_t errlen);
/*
 * skip: end the current item as skipped with reason (it earns no
 * minutes); the caller's action then returns -1 and the engine stops the
 * item's steps without treating it as a failure.  -1 with a message when
 * no item is running.
 */
int		 run_skip_item(struct run *, const char *reason, char *err,
		    size_t errlen);
/* Emit a log line at a level ("info", "warn", "error"), masked. */
void		 run_log(struct run *, const char *level, const char *msg);

/*
 * KPI arithmetic, kept apart so that it is tested alone and used by the
 * scheduler's ledger too: per-run minutes count when the run completed
 * (succeeded or partial) and was not a batch of skipped items only
 * (kpi_completed), per-item minutes for each item that succeeded; a
 * skipped item earns nothing.
 */
int		 kpi_completed(int run_failed, long succeeded, long failed,
		    long skipped);
double		 kpi_minutes(double per_run, double per_item, int completed,
		    long items_succeeded);

#endif
