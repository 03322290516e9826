/*
 * script.h - kobito scripts: the model, the loader and its checks.
 *
 * A script is a YAML file: metadata, KPI figures, typed params, required
 * capabilities and a list of steps.  script_load() parses it, resolves
 * every action against the action tables, compiles every ${...}
 * expression, loads included scripts and checks that every name an
 * expression uses is defined where it is used.  All problems found are
 * reported, each as "file:line:col: message", not only the first.
 *
 * Ownership: a struct script owns everything it points to, including the
 * scripts it includes; script_free() releases it all.
 */
#ifndef KOBITO_SCRIPT_H
#define KOBITO_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "expr.h"

struct action;
struct script;

/*
 * The largest script file, and the most text one script may load with all
 * it includes (an include used twice counts twice).  Scripts are programs
 * written by people: a megabyte is far beyond any, and the limits keep a
 * hostile upload from costing the scheduler gigabytes.
 */
#define SCRIPT_MAX_BYTES	(1024 * 1024)
#define SCRIPT_BUNDLE_MAX	(4 * 1024 * 1024)

/* Where something was written, for error messages. */
struct pos {
	const char	*file;		/* borrowed from the script */
	int		 line;
	int		 col;
};

/*
 * A list of messages, each "file:line:col: text": errors (the script does
 * not load) and warnings (it loads; something should change, such as a
 * deprecated spelling).
 */
struct diag {
	char		**msgs;
	size_t		 n;
	char		**warnings;
	size_t		 nwarnings;
};

void	 diag_add(struct diag *, const struct pos *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 diag_warn(struct diag *, const struct pos *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 diag_free(struct diag *);

enum param_type {
	PARAM_STRING,
	PARAM_INT,
	PARAM_NUMBER,
	PARAM_BOOL,
	PARAM_PATH,
	PARAM_DATE,
	PARAM_ENUM,
	PARAM_URL,
};

struct param {
	char		*name;
	enum param_type	 type;
	json_t		*def;		/* default, or NULL */
	int		 required;
	char		*title;
	char		*description;
	json_t		*choices;	/* PARAM_ENUM: array of strings */
	json_t		*allow;		/* PARAM_URL: destinations, or NULL */
	json_t		*roots;		/* PARAM_PATH: folders, or NULL */
	struct pos	 pos;
};

struct kpi {
	double		 manual_minutes_per_run;
	double		 manual_minutes_per_item;
	double		 vendor_minutes_per_run;
	double		 vendor_minutes_per_item;
	char		**replaces_inputs;
	size_t		 nreplaces;
};

/*
 * A value in a step's arguments as written: a literal, a template with
 * ${...} parts, or a list or mapping of such values.  A subtree without
 * templates is kept as one literal so it costs nothing to evaluate.
 */
enum tval_kind {
	TVAL_LITERAL,
	TVAL_TEMPLATE,
	TVAL_LIST,
	TVAL_MAP,
};

struct tval {
	enum tval_kind	 kind;
	struct pos	 pos;
	json_t		*literal;
	struct tmpl	*tmpl;
	/* TVAL_TEMPLATE: its text, how it was written, the file's text
	 * (borrowed from the script), to place an error (tval_where). */
	char		*text;
	int		 style;
	const char	*src;
	char		**keys;		/* TVAL_MAP */
	struct tval	**items;	/* TVAL_LIST, TVAL_MAP */
	size_t		 n;
};

/*
 * Evaluate an argument tree.  Returns a new reference, or NULL with a
 * message in err and, in *where, the position in the file of the part of
 * the failing template that failed (err->offset mapped back, exact also
 * inside multi-line and block scalars).
 */
json_t	*tval_eval(const struct tval *, const struct expr_scope *,
	    struct expr_error *err, struct pos *where);
/* Where byte offset of a template's text was written. */
struct pos tval_where(const struct tval *, size_t offset);

struct retry {
	int		 attempts;	/* total tries; 1 means no retry */
	int64_t		 delay_ms;
	double		 backoff;	/* delay multiplier per try */
};

enum step_kind {
	STEP_ACTION,
	STEP_FOR_EACH,
	STEP_INCLUDE,
	STEP_WHILE,
};

enum on_error {
	ON_ERROR_FAIL,
	ON_ERROR_CONTINUE,
	ON_ERROR_STEPS,
};

struct steps {
	struct step	**v;
	size_t		 n;
};

struct step {
	enum step_kind		 kind;
	struct pos		 pos;
	char			*id;		/* or NULL */
	char			*name;		/* display name, or NULL */
	char			*label;		/* id, name or action: for output */
	struct tval		*cond;		/* if:, or NULL */
	struct retry		 retry;
	int64_t			 timeout_ms;	/* 0 for none */
	enum on_error		 on_error;
	struct steps		 handler;	/* ON_ERROR_STEPS */

	/* STEP_ACTION */
	const struct action	*action;
	struct tval		*args;		/* a TVAL_MAP, or NULL */

	/* STEP_FOR_EACH: a list, or with each_csv the csv.read arguments of
	 * a file read a row at a time (csv: in place of path:) */
	struct tval		*each;
	int			 each_csv;
	char			*as;		/* loop variable, default "item" */
	int			 items;		/* iterations are items (default) */
	struct steps		 body;		/* also STEP_WHILE's */

	/* STEP_WHILE: while (checked before each pass) or until (after) */
	struct tval		*loop_cond;
	int			 until;
	long			 max;		/* the most passes it may make */

	/* STEP_INCLUDE */
	struct script		*sub;
	struct tval		*with;		/* params for the sub-script */
};

struct script {
	char		*path;
	char		*name;
	char		*title;
	char		*description;
	char		*owner;
	char		*version;
	char		 digest[65];	/* SHA-256 of the file, hex */
	struct kpi	 kpi;
	struct param	*params;
	size_t		 nparams;
	char		**requires;
	size_t		 nrequires;
	struct steps	 steps;
	struct tval	*output;	/* output:, or NULL */
	char		*source;	/* the file's text */
	size_t		 source_len;
	json_t		*files;		/* included files: path -> text */
};

/*
 * Load and check a script.  Returns NULL when anything is wrong, with every
 * problem appended to diag.  The name is used in messages in place of path
 * when text is given (script_load_text).
 *
 * Includes are paths relative to the including file that stay inside the
 * script's own version tree: script_load reads them from the main script's
 * folder on disk (regular files of at most SCRIPT_MAX_BYTES, never through
 * a link that leads out); script_load_bundle only from the files given
 * with the text; script_load_text has none.  A problem inside an included
 * file is shown only when that file is a script, so that an include never
 * quotes what another kind of file holds.
 */
struct script	*script_load(const char *path, struct diag *);
struct script	*script_load_text(const char *name, const char *text,
		    size_t len, struct diag *);
/*
 * As script_load_text, taking each included file from files (an object of
 * paths relative to the main script -> their text) before the disk: how a
 * script travels from the scheduler to an agent.  files is borrowed.
 */
struct script	*script_load_bundle(const char *name, const char *text,
		    size_t len, json_t *files, struct diag *);
/*
 * The files the script includes, directly or not: an object of paths
 * relative to the main script -> their text (empty when none).  Borrowed.
 * With includes, the digest covers them too.
 */
json_t		*script_files(const struct script *);
/*
 * The names of the secrets the script and what it includes read
 * (${secrets.NAME}), sorted: a new array.  Only these are handed to a run.
 */
json_t		*script_secret_refs(const struct script *);
void		 script_free(struct script *);

const struct param *script_param(const struct script *, const char *name);
const char	*param_type_name(enum param_type);
/* The type named s into *t: 0, or -1 when there is none by that name. */
int		 param_type_parse(const char *s, enum param_type *t);
/* The names of the types, NULL-terminated, for "did you mean". */
extern const char *const param_type_names[];
/*
 * Convert a param value given as text (from --param or a form) to its
 * type.  Returns a new reference, or NULL with a message in err.
 */
json_t		*param_parse(const struct param *, const char *text,
		    char *err, size_t errlen);
/* Check a value of any JSON type against a param; a new reference or NULL. */
json_t		*param_coerce(const struct param *, json_t *value,
		    char *err, size_t errlen);
/* The script's metadata, params and KPI as JSON (for the API and forms). */
json_t		*script_describe(const struct script *);

#endif
