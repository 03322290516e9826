/*
 * engine_int.h - what the parts of the engine share: the run, its frames
 * (the names of one script), per-run objects.  Private to engine*.c;
 * engine.h is the public contract.
 *
 *   engine.c       the run: names, params, secrets, events, summary
 *   engine_step.c  executing steps: actions, loops, includes, on_error
 *   engine_act.c   the act_* services of action.h
 */
#ifndef KOBITO_ENGINE_INT_H
#define KOBITO_ENGINE_INT_H

#include <stdint.h>
#include <jansson.h>

#include "engine.h"
#include "mask.h"
#include "script.h"

#define MAX_FAILURES_LISTED	200
/* Succeeded items listed by key (run_opts.item_key); past it, none are. */
#define MAX_DONE_LISTED		10000

/* A loop variable bound while a for_each body runs. */
struct binding {
	const char	*name;
	json_t		*value;		/* borrowed from the list */
};

/*
 * Where the innermost loop is: ${loop} is made from it only when a step
 * reads it, not once per iteration.
 */
struct loopstate {
	int		 active;
	size_t		 index;
	size_t		 count;		/* when counted */
	int		 counted;	/* 0: a stream or a while loop */
	json_t		*cache;		/* ${loop}, once made */
};

/* The names of one script: the run's own, or an included one's. */
struct frame {
	const struct script	*script;
	json_t			*params;
	json_t			*steps;		/* id -> {output, status, ...} */
	json_t			*vars;
	struct binding		*bind;
	size_t			 nbind;
	struct loopstate	 loop;		/* innermost loop */
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

/* A per-run object (act_slot), closed when the run ends. */
struct slot {
	char		*key;
	void		*obj;
	void		(*close)(void *);
	/* Optional: called with the run's outcome before close (act_slot_end). */
	int		(*end)(void *, int ok, char *err, size_t errlen);
};

struct run {
	const struct script	*script;
	struct run_opts		 opts;
	char			*id;
	struct frame		 top;
	json_t			*env;
	json_t			*secrets;
	json_t			*assets;	/* the opts', or an empty one */
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
	json_t			*skips;		/* skipped items */
	json_t			*done;		/* succeeded items' keys, or NULL */
	json_t			*output;
	long			 items_ok;
	long			 items_failed;
	long			 items_skipped;
	long			 items_not_run;
	int			 in_item;
	int			 item_index;	/* of the current item, or -1 */
	char			*skip_reason;	/* set by skip, ends the item */
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

/* engine.c */
void	 eng_emit(struct run *, json_t *ev);
char	*eng_pos_text(const struct pos *);
json_t	*eng_lookup(void *ctx, const char *name);
/* ${loop} of a loop state: {index, number, first} and, when counted,
 * {count, last}; made on first use. */
json_t	*eng_loop_value(struct loopstate *);
json_t	*eng_make_params(const struct script *, json_t *given, char *err,
	    size_t errlen);
/*
 * s masked and made valid UTF-8, since it becomes a value and an event:
 * s is freed, the result is the caller's.
 */
char	*eng_mask_owned(struct run *, char *s);
/*
 * Values derived from secrets (taint.h).  eng_on_part is every scope's
 * on_part: a ${...} part that read a secret, or a name one went into, is
 * masked and bound like it.  eng_derived does the same for a whole value
 * computed from the secrets names.  eng_trace_args returns the secrets
 * behind an argument tree (the union), and for a mapping leaves those
 * behind each key in r->args_taint; NULL when the run holds no secret.
 */
void	 eng_on_part(void *ctx, const struct tmpl *, size_t part,
	    json_t *value);
void	 eng_derived(struct run *, json_t *names, json_t *value);
json_t	*eng_trace_args(struct run *, struct frame *, const struct tval *);

/* engine_step.c */
int	 eng_cancelled(const struct run *);
int	 eng_exec_steps(struct run *, struct frame *, const struct steps *,
	    int depth, int64_t deadline, char **err);

#endif
