/*
 * act_web.h - what the web.* action files share (act_web.c, act_web_find.c,
 * act_web_input.c, act_web_read.c).
 *
 * A run keeps its browsers in the "web" slot: one struct web_session per
 * session name ("default" unless a step names another with session:),
 * each with its own browser (webdriver.h), closed when the run ends.  Steps
 * that name no session use the current one: the last opened or used.
 *
 * Elements are found by a locator - css, xpath, text, label, role + name,
 * narrowed by match, nth and within - evaluated by one script in the page
 * (act_web_find.c) and waited for until attached, visible and enabled, as
 * the step needs.  Every web.* action has web_on_fail as its on_fail: a
 * failed step leaves a screenshot and the page's HTML (password values
 * blanked, secrets masked) as artifacts.
 */
#ifndef KOBITO_ACT_WEB_H
#define KOBITO_ACT_WEB_H

#include <stdint.h>
#include <jansson.h>

#include "action.h"
#include "webdriver.h"

#define WEB_DEFAULT_TIMEOUT_S	10.0

/* One browser of a run. */
struct web_session {
	char		*name;		/* "default" or the session: argument */
	struct wd	*wd;
	json_t		*frames;	/* descriptions of the frames entered */
	json_t		*handles;	/* window handles seen so far */
	char		*handle;	/* the current window's */
	char		*downloads;	/* the run's download directory */
	long		 steps;		/* web.* steps run on it */
	int64_t		 step_us;	/* time inside those steps */
	int64_t		 own_us;	/* of which neither on the wire nor
					   waiting between polls */
	int64_t		 sleep_us;	/* waiting between polls, in all */
	int64_t		 step_t0;	/* the step in progress: its start, */
	int64_t		 wire_t0;	/* the wire time and the sleep time */
	int64_t		 sleep_t0;	/* at its start */
};

/* All browsers of a run: the "web" slot. */
struct web_run {
	struct web_session	**v;
	size_t			  n;
	struct web_session	 *current;
};

/* A locator read from a step's arguments. */
struct web_locator {
	json_t	*spec;		/* for the page script: css, xpath, ... */
	char	*what;		/* "the button '登録'", for messages */
	char	*query;		/* what candidates are ranked against */
};

/* What a found element must be, beyond attached. */
#define WEB_VISIBLE	0x1
#define WEB_ENABLED	0x2
#define WEB_EDITABLE	0x4	/* not read-only */

/* A found element: its reference and what the page said about it. */
struct web_element {
	char	*id;		/* the driver's element id */
	json_t	*info;		/* {tag, type, desc, count, index} */
};

/* The locator arguments, in every action that finds an element; the
 * actions that type into a field take text as what to type instead. */
#define WEB_FIELD_ARGS \
	{ "css", ARG_STRING, 0, "a CSS selector" }, \
	{ "xpath", ARG_STRING, 0, "an XPath expression" }, \
	{ "label", ARG_STRING, 0, "the label of a form field (氏名)" }, \
	{ "role", ARG_STRING, 0, "an ARIA role: button, link, textbox, ..." }, \
	{ "name", ARG_STRING, 0, "with role: the accessible name" }, \
	{ "match", ARG_STRING, 0, "how text, label and name compare: exact " \
	    "(default), contains or word" }, \
	{ "nth", ARG_INT, 0, "which of several matches: 1 the first, -1 the " \
	    "last" }, \
	{ "within", ARG_ANY, 0, "look inside this container: a CSS selector " \
	    "or a locator mapping" }, \
	{ "timeout", ARG_NUMBER, 0, "seconds to wait (default 10)" }, \
	{ "session", ARG_STRING, 0, "which browser (default: the current one)" }
#define WEB_LOCATOR_ARGS \
	{ "text", ARG_STRING, 0, "the element's visible text" }, \
	WEB_FIELD_ARGS

/* web_locator_get's flags. */
#define WEB_LOC_REQUIRED	0x1	/* fail when no locator is given */
#define WEB_LOC_NO_TEXT		0x2	/* text: is not part of the locator */

/* --- act_web.c ------------------------------------------------------------ */

/*
 * The session a step works on (its session: argument, else the current
 * one), with the step's timing started.  NULL after act_fail when none is
 * open.  Pair with web_end().
 */
struct web_session *web_begin(struct act *);
/* Close the step's timing; returns rc. */
int		 web_end(struct web_session *, int rc);
/* Fail with the browser's error, prefixed by what was being done. */
int		 web_fail(struct act *, struct web_session *, const char *doing);
/* "https://host/path (frame 'main')": where the steps are, for messages. */
char		*web_where(struct web_session *);
/* Sleep between polls (counted apart from the step's own work). */
void		 web_sleep(struct act *, struct web_session *, int64_t ms);
/* A command timeout within the step's remaining time. */
long		 web_cmd_timeout(struct act *, long want_ms);
/*
 * Whether text that is about to go into the page (typed, chosen, run as
 * a script) may go there: when it holds a secret, the secret's allowed
 * destinations must take the URL of the frame's page and, with el, the
 * address its form posts to.  0, or -1 after act_fail.
 */
int		 web_send_ok(struct act *, struct web_session *, const char *el,
		    const char *const *parts, size_t nparts);
/* on_fail of every web.* action: screenshot and HTML as artifacts. */
void		 web_on_fail(struct act *);
/* Save bytes as the run artifact named base; the path (caller frees). */
char		*web_save_artifact(struct act *, const char *base,
		    const void *data, size_t len, const char *kind);

/* --- act_web_find.c ------------------------------------------------------- */

/*
 * Read the locator arguments (flags: WEB_LOC_*).  0 when one was read
 * (clear it with web_locator_clear); 1 when none was given and none is
 * required; -1 after act_fail.
 */
int		 web_locator_get(struct act *, struct web_locator *,
		    unsigned flags);
void		 web_locator_clear(struct web_locator *);
/* The step's wait: until this time_mono_ms(), from its timeout argument. */
int		 web_deadline(struct act *, double default_s, int64_t *until);
/*
 * Wait until the locator finds an element that meets need; its reference
 * in *el (clear with web_element_clear).  On timeout, fail with what was
 * looked for, where, how close it came (hidden, disabled) and the nearest
 * candidates on the page.
 */
int		 web_find(struct act *, struct web_session *,
		    const struct web_locator *, unsigned need, int64_t until,
		    struct web_element *el);
void		 web_element_clear(struct web_element *);
/*
 * Find, then op on the element; when op fails because the element went
 * stale or was covered for a moment, find it again until the wait ends.
 */
typedef int	(*web_op)(struct act *, struct web_session *,
		    struct web_element *, void *arg);
int		 web_on_element(struct act *, struct web_session *,
		    const struct web_locator *, unsigned need, web_op op,
		    void *arg);
/* Count the matches now: how many, and how many meet need. */
int		 web_count(struct act *, struct web_session *,
		    const struct web_locator *, unsigned need, long *matches,
		    long *meeting);
/* Every match now (element references, in document order). */
int		 web_find_all(struct act *, struct web_session *,
		    const struct web_locator *, unsigned need, json_t **els);
/* A one-line summary of a JS value from the page, for messages. */
char		*web_json_brief(const json_t *);
/* The page's HTML with form values, passwords blanked; caller frees. */
char		*web_page_html(struct act *, struct web_session *);

/* --- act_web_read.c --------------------------------------------------------- */

/* Run first in every page: what web.wait network_quiet reads. */
extern const char web_net_watch_js[];

/* --- the action functions (the table is in act_web.c) ------------------- */

int	web_do_click(struct act *);
int	web_do_type(struct act *);
int	web_do_select(struct act *);
int	web_do_check(struct act *);
int	web_do_upload(struct act *);
int	web_do_key(struct act *);
int	web_do_hover(struct act *);
int	web_do_download(struct act *);
int	web_do_wait(struct act *);
int	web_do_read(struct act *);
int	web_do_exists(struct act *);

#endif
