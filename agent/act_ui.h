/*
 * act_ui.h - what the ui.* action files share (act_ui.c, act_screen.c).
 *
 * One struct ui_run per run, in the run's "ui" slot: its display
 * connection and the current window.  The functions below are act_ui.c's;
 * act_screen.c's actions use them so that they find windows, wait and
 * fail (with a screenshot) exactly as the other ui.* actions do.
 */
#ifndef KOBITO_ACT_UI_H
#define KOBITO_ACT_UI_H

#include "action.h"
#include "ui.h"

/* What a run keeps between ui.* steps. */
struct ui_run {
	struct ui	*ui;
	unsigned long	 current;	/* window of the last ui.window */
	unsigned long	 previous;	/* current before that one */
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

#endif
