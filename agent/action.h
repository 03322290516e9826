/*
 * action.h - the contract between the script engine and its actions.
 *
 * An action is one row in a table of struct action.  Every module that adds
 * actions (core, files, CSV, HTTP, SQLite, UI, OCR, ...) exports one table,
 * terminated by a row whose name is NULL, and lists it once in actions.c.
 * The engine finds actions by name, checks their arguments against the
 * table's argument specs at load time (kobito validate) and again after the
 * ${...} expressions in them are evaluated, then calls run().
 *
 * A row may also declare what its output is (out_type, out: checked by
 * `kobito validate` where a script reads steps.ID.output.KEY, published by
 * `kobito actions --json` and `kobito schema`) and what it does in a dry
 * run (dry).  Both are optional: a row that leaves them out has an
 * undeclared output (nothing is checked) and is not run by --dry-run.
 *
 * Ownership: act->args is borrowed for the duration of run().  An action
 * that produces output stores a new reference in act->out; the engine owns
 * it afterwards.  On failure an action returns -1 with a message in act->err
 * (act_fail() does both); the engine adds the step's file:line:col.
 */
#ifndef KOBITO_ACTION_H
#define KOBITO_ACTION_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct run;
struct act;

enum arg_type {
	ARG_ANY,
	ARG_STRING,
	ARG_INT,
	ARG_NUMBER,
	ARG_BOOL,
	ARG_LIST,
	ARG_MAP,
	ARG_NULL,	/* only as an output type: the action outputs null */
	/*
	 * Strings that name files: the engine makes them absolute (from the
	 * job's working directory) and checks them against the agent's
	 * policy before run() sees them (ARG_GLOB: the directory before the
	 * first wildcard).
	 */
	ARG_PATH_READ,
	ARG_PATH_WRITE,
	ARG_GLOB,
	ARG_PATHS_READ,		/* one ARG_PATH_READ or a list of them */
};

struct action_arg {
	const char	*name;
	enum arg_type	 type;
	int		 required;
	const char	*help;		/* one line, for the reference */
};

/*
 * One key of an action's output object, for out: { "rows", ARG_LIST,
 * "the rows, each an object by column" }.  A table ends with a NULL name.
 */
struct action_out {
	const char	*name;
	enum arg_type	 type;
	const char	*help;
};

/*
 * What an action does under `kobito run --dry-run`:
 *
 * ACTION_DRY_SKIP (0, the default of a row that says nothing): run() is
 *     not called; the step logs that it was not run and outputs null.
 *     Safe for any action with side effects.
 * ACTION_DRY_READ: the action only reads (csv.read, file.read,
 *     sqlite.query); it runs for real so that the rest of the script has
 *     data to work on.
 * ACTION_DRY_SELF: run() is called and decides itself, by act_dry_run():
 *     it reads for real and only describes its writes (http.request runs
 *     GET and HEAD and simulates the others; file.write says what it
 *     would write).
 */
enum action_dry {
	ACTION_DRY_SKIP,
	ACTION_DRY_READ,
	ACTION_DRY_SELF,
};

#define ACTION_UI	0x1	/* needs a display; screenshot on failure */
#define ACTION_OPEN	0x2	/* accepts arguments not in its spec */
#define ACTION_SCALAR	0x4	/* a bare value is its first argument */
#define ACTION_DERIVES	0x8	/* its output is computed from its arguments */

struct action {
	const char		*name;		/* "file.read" */
	const char		*summary;	/* one line, for the reference */
	const struct action_arg	*args;		/* terminated by a NULL name */
	int			(*run)(struct act *);
	unsigned		 flags;
	/* Called after run() failed, e.g. to save a screenshot; may be NULL. */
	void			(*on_fail)(struct act *);
	/*
	 * Optional: the output's type (ARG_ANY, the default: not declared,
	 * nothing is checked), and for ARG_MAP the keys it always has.
	 */
	enum arg_type		 out_type;
	const struct action_out	*out;
	/* Optional: see enum action_dry; ACTION_DRY_SKIP by default. */
	enum action_dry		 dry;
};

struct act {
	struct run		*run;
	const struct action	*action;
	json_t			*args;		/* evaluated arguments, borrowed */
	json_t			*out;		/* output, a new reference or NULL */
	int64_t			 deadline_ms;	/* monotonic ms, 0 for none */
	/*
	 * Whether anything reads the output (the step has an id): an action
	 * run once per row may leave act->out NULL when it is 0.
	 */
	int			 keep_out;
	char			 err[1024];
};

/* Set act->err from a format and return -1. */
int		 act_fail(struct act *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Typed argument getters: the default when the argument is absent or null. */
json_t		*act_arg(struct act *, const char *name);
const char	*act_str(struct act *, const char *name, const char *def);
long long	 act_int(struct act *, const char *name, long long def);
double		 act_num(struct act *, const char *name, double def);
/*
 * A duration argument in milliseconds: a number of seconds (1.5) or a
 * text with a unit ("500ms", "2s", "1m"); def when absent.  -1 after
 * act_fail() when the value is not a duration.
 */
long long	 act_duration_ms(struct act *, const char *name, long long def);
int		 act_bool(struct act *, const char *name, int def);

/* Append a line to the run log; secrets are masked on the way. */
void		 act_log(struct act *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * A fresh path for an artifact named after base (e.g. "failure.png") in the
 * run's artifact directory, created on demand.  The caller frees the path.
 * Once the file is written, act_artifact_add() records it with the run.
 */
char		*act_artifact_path(struct act *, const char *base);
void		 act_artifact_add(struct act *, const char *path, const char *kind);
/* Milliseconds left before the step's timeout (INT64_MAX when none). */
int64_t		 act_remaining_ms(const struct act *);
/* Non-zero when the run has been asked to stop (lease lost, SIGTERM). */
int		 act_cancelled(const struct act *);
/* The X display the run drives ("" when none was given or found). */
const char	*act_display(const struct act *);
/*
 * The scheduler the run was leased from (engine.h), or NULL when it runs
 * on its own (kobito run).
 */
struct run_link;
const struct run_link *act_link(const struct act *);
/* Whether this is a dry run: an ACTION_DRY_SELF action reads for real and
 * only describes its writes. */
int		 act_dry_run(const struct act *);
/*
 * jansson's message for a parse error without the text it quotes ("invalid
 * token near 'Pa\"ss'"): that text may be part of a secret, cut where the
 * mask no longer knows it; the line and column say where.  Points into e.
 */
const char	*act_json_error(json_error_t *e);
/*
 * The agent's policy (policy.h), asked before an action acts.  act_path
 * gives the path to use for path (relative paths start in the job's
 * working directory) after checking it against the file roots (write:
 * whether it will be written); a new string, or NULL after act_fail()
 * naming the policy.  act_allow_program (a program found in PATH) and
 * act_allow_url return 0, or -1 after act_fail().
 */
char		*act_path(struct act *, const char *path, int write);
int		 act_allow_program(struct act *, const char *path);
int		 act_allow_url(struct act *, const char *url);
/* The job's working directory, or NULL (the process's). */
const char	*act_workdir(const struct act *);
/* Register a secret value so that it is masked in logs and output. */
void		 act_secret(struct act *, const char *value);
/* Whether argument name's value was made from a secret (${secrets.x},
 * or a value computed from one): a password must not be written in the
 * script or typed in as a param. */
int		 act_arg_secret(const struct act *, const char *name);
/*
 * Whether a request to url carrying parts (headers, credentials, the body:
 * nparts strings, NULLs skipped) may go: 0, or -1 after act_fail when it
 * holds a secret whose destinations do not take url.
 */
int		 act_send_ok(struct act *, const char *url,
		    const char *const *parts, size_t nparts);
/*
 * text with every secret of the run masked (a copy the caller frees): for
 * an action that cuts text short, which must mask before it cuts.
 */
char		*act_masked(struct act *, const char *text);
/*
 * A per-run object named key (an X display connection, an OCR engine),
 * created by open() on first use and closed by close() when the run ends.
 * open() may return NULL after act_fail(); act_slot then returns NULL.
 */
void		*act_slot(struct act *, const char *key,
		    void *(*open)(struct act *), void (*close)(void *));
/*
 * Have end(obj, ok, err, errlen) called for the slot key when the run's
 * steps are over, before close(): ok says whether the run succeeded so
 * far.  For objects that commit or roll back - a file written row by row
 * is put in place or removed.  An end that fails when ok (with a message
 * in err) fails the run.
 */
void		 act_slot_end(struct act *, const char *key,
		    int (*end)(void *obj, int ok, char *err, size_t errlen));

/* The registry of all action tables (actions.c). */
const struct action	*action_find(const char *name);
/*
 * Whether action_find() found no action called name because the module
 * that would hold it cannot be loaded (office.h): 1 with the reason in
 * err, else 0.
 */
int			 action_unloadable(const char *name, char *err,
			    size_t errlen);
/* Load every table, for a listing: 0, or -1 with err. */
int			 action_load_all(char *err, size_t errlen);
/* The known action whose name is nearest to name, for "did you mean". */
const struct action	*action_nearest(const char *name);
/* Call fn for every known action, in table order (see action_load_all). */
void			 action_foreach(void (*fn)(const struct action *, void *),
			    void *arg);
const char		*arg_type_name(enum arg_type);
/* "skip", "read" or "self", as `kobito actions --json` shows them. */
const char		*action_dry_name(enum action_dry);
/*
 * Check a value against an argument's type, converting where the intent is
 * plain (the string "42" for an int, 1 for a number).  On success *value
 * may be replaced by a new reference (the old one is released); on failure
 * return -1 with a message in err.
 */
int			 action_arg_check(const struct action_arg *,
			    json_t **value, char *err, size_t errlen);
const struct action_arg	*action_arg_find(const struct action *,
			    const char *name);

#endif
