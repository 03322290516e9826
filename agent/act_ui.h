/*
 * act_ui.h - what the ui.* action files share (act_ui.c, act_uiwin.c,
 * act_screen.c).
 *
 * One struct ui_run per run, in the run's "ui" slot: its display
 * connection, the current window and the windows found so far.  The
 * functions below are act_ui.c's and act_uiwin.c's; act_screen.c's actions
 * use them so that they find windows, wait and fail (with a screenshot)
 * exactly as the other ui.* actions do.
 */
#ifndef KOBITO_ACT_UI_H
#define KOBITO_ACT_UI_H

#include "action.h"
#include "ui.h"

struct ui_known;

/* What a run keeps between ui.* steps. */
struct ui_run {
	struct ui	*ui;
	unsigned long	 current;	/* window of the last ui.window */
	unsigned long	 previous;	/* current before that one */
	struct ui_known	*known;		/* windows found (act_uiwin.c) */
	size_t		 nknown;
	unsigned long	 closed_shown;	/* closed window whose failure has
					   its screenshot already */
	int		 no_shot;	/* the failing step needs none */
};

/* The run's display connection, opened on first use; NULL after act_fail. */
struct ui_run	*act_ui_get(struct act *);
/*
 * The step's wait: its timeout argument (default 10 s) within the step's
 * own timeout, cancelled when the run is.  -1 after act_fail.
 */
int		 act_ui_wait(struct act *, struct ui_wait *);
/*
 * The window a step works in: the whole screen (0) with screen: true, the
 * one window: names (an id or a title pattern, waited for), else the run's
 * current window.  -1 after act_fail.
 */
int		 act_ui_window(struct act *, struct ui_run *, unsigned long *id);
/* The button argument: left (default), middle, right or 1-9. */
int		 act_ui_button(struct act *, int *button);
/* on_fail of every ui.* action: a screenshot of the screen as an artifact. */
void		 act_ui_on_fail(struct act *);

/*
 * Find the window m names, waiting as w allows (act_uiwin.c), and
 * remember it for the run.  Fails at once when the window (or, for a
 * title, the one found that way before, with its program) is gone; when
 * several match, unless pick_top (*others then counts the ones not
 * taken), listing them; when none appears in time, listing the open
 * windows.  0 with *out filled (the caller clears it), or -1 after
 * act_fail.
 */
int		 act_ui_find(struct act *, struct ui_run *,
		    const struct ui_match *m, int pick_top,
		    const struct ui_wait *w, struct ui_window *out,
		    int *others);
/* The current window (0: none), or -1 after act_fail when it was closed. */
int		 act_ui_current(struct act *, struct ui_run *,
		    unsigned long *id);
/* Forget the run's windows (when its ui_run ends). */
void		 act_ui_known_free(struct ui_run *);

/*
 * target: - a control found on the accessibility bus (act_a11y.c).  Each
 * function finds the step's target, waiting for it within the step's
 * timeout, and fails (act_fail, -1) naming the controls most like it when
 * it is not there.
 */
/* Whether the step has a target: argument. */
int		 act_ui_has_target(struct act *);
/* The target's box on the screen. */
int		 act_ui_target_rect(struct act *, int rect[4]);
/* Click it: its action, or the mouse for another button or count. */
int		 act_ui_target_click(struct act *, struct ui_run *, int button,
		    int count);
/* Give it the keyboard focus. */
int		 act_ui_target_focus(struct act *);
/*
 * Insert text at its caret (EditableText): 0; 1 when it has none and has
 * been given the focus instead (type keys then).
 */
int		 act_ui_target_insert(struct act *, const char *text);
/* Its text (Text, Value or name), for verify; NULL after act_fail. */
char		*act_ui_target_text(struct act *);

#endif
