/*
 * script_int.h - what the parts of the script loader share.  Private to
 * script*.c; script.h is the public contract.
 *
 *   script.c        diagnostics, scalar helpers, files and includes,
 *                   the top-level keys of a script
 *   script_step.c   steps: actions, for_each, include, retry, on_error
 *   script_expr.c   templates: compiled, their names checked; arguments
 *   script_param.c  params and their values; describing a script
 */
#ifndef KOBITO_SCRIPT_INT_H
#define KOBITO_SCRIPT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "script.h"
#include "ydoc.h"

#define MAX_INCLUDE_DEPTH	16

/*
 * What one script and everything it includes share: the included files
 * given with the text (by path relative to the main script, from a
 * scheduler or an agent's lease), and those actually loaded.
 */
struct bundle {
	json_t		*given;		/* borrowed, may be NULL */
	json_t		*loaded;	/* relative path -> source */
	size_t		 bytes;		/* text loaded, includes counted */
	/*
	 * The script's version tree on disk (the main script's folder), or
	 * NULL when includes come only from given: a script sent with its
	 * files (an upload, a lease) never reads the disk of who loads it.
	 */
	const char	*root;
	const char	*base;		/* folder of the main script's name */
};

/* The state of one script's loading. */
struct loader {
	struct diag	*diag;
	struct bundle	*bundle;
	const char	*reldir;	/* of this file, from the main one */
	struct script	*script;
	char		**stack;	/* include chain, for cycles */
	size_t		 depth;
	char		**ids;		/* step ids defined so far */
	const struct step **idsteps;	/* ...and their steps */
	size_t		 nids;
	char		**vars;		/* names set by steps so far */
	size_t		 nvars;
	char		**later;	/* names set anywhere, for messages */
	size_t		 nlater;
	char		**loops;	/* loop variables in scope */
	size_t		 nloops;
	int		 loop_depth;	/* for_each and while loops around */
	int		 item_loops;	/* item loops around (skip is allowed) */
	int		 in_item;	/* inside a for_each: no new items */
	int		 in_handler;	/* on_error steps around */
	struct ysink	 sink;		/* into diag */
};

/* script.c */
struct pos	 ld_pos_of(const struct ynode *);
void		 ld_err_at(struct loader *, const struct ynode *, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
void		 ld_strv_add(char ***v, size_t *n, const char *s);
int		 ld_strv_has(char *const *v, size_t n, const char *s);
void		 ld_strv_free(char **v, size_t n);
/* " (did you mean 'x'?)" in buf, or "" when near is NULL. */
const char	*ld_suggest(char *buf, size_t len, const char *near);
/* A duration in milliseconds, into an int64_t. */
void		 ld_get_duration(struct loader *, const struct ynode *,
		    const char *what, int64_t *ms);
struct script	*ld_load_file(const char *, struct diag *, char **, size_t,
		    struct bundle *, const char *);
struct script	*ld_load_text(const char *, const char *, size_t,
		    struct diag *, char **, size_t, struct bundle *,
		    const char *);

/* script_step.c */
void		 ld_parse_steps(struct loader *, const struct ynode *,
		    struct steps *);
void		 ld_steps_free(struct steps *);
void		 ld_collect_vars(struct loader *, const struct ynode *);
void		 ld_step_free(struct step *);

/* script_expr.c */
struct tmpl	*ld_compile(struct loader *, const struct ynode *);
struct tval	*ld_template(struct loader *, const struct ynode *);
struct tval	*ld_build_tval(struct loader *, const struct ynode *);
void		 ld_tval_free(struct tval *);

/* script_param.c */
void		 ld_parse_params(struct loader *, const struct ynode *);

#endif
