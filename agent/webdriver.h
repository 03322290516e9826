/*
 * webdriver.h - a browser, driven over the W3C WebDriver protocol.
 *
 * WebDriver is plain HTTP and JSON: a driver program (chromedriver for
 * Chromium) listens on a loopback port and turns commands such as
 * POST /session/{id}/element/{e}/click into browser actions.  This module
 * starts the driver program under a guard (reaper.h) so that neither it
 * nor the browser can outlive the process that asked for them, creates one
 * session, and offers the commands the web.* actions need, over libcurl
 * (http.h) and jansson.
 *
 * Browsers differ only in how their driver is started and in the
 * capabilities it is asked for; that is a struct wd_driver, one row per
 * browser in a table chosen by name ("chromium"), so that another driver
 * (geckodriver for Firefox) is one more row and no action changes.
 *
 * Errors: every call returns 0 or -1; after -1, wd_code() classifies the
 * failure (the W3C error codes the actions react to) and wd_error() says
 * it in one line, without the driver's stack traces.
 *
 * Ownership: struct wd owns its driver process, its session, its private
 * temporary directory and its HTTP connection; wd_close() ends them all.
 * Values returned through json_t ** are new references the caller
 * releases; strings returned through char ** are the caller's to free.
 * Element references are the driver's opaque ids (const char *), borrowed
 * from the JSON value that carried them.
 */
#ifndef KOBITO_WEBDRIVER_H
#define KOBITO_WEBDRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct wd;

/* How a browser is to be started. */
struct wd_options {
	const char	*browser;	/* a driver's name; NULL: "chromium" */
	int		 headless;
	const char	*display;	/* X display for a headed browser */
	int		 width, height;	/* window size; 0: 1280 x 1024 */
	const char	*lang;		/* NULL: "ja-JP" */
	int		 insecure;	/* accept self-signed certificates */
	const char	*profile;	/* a persistent profile directory, or
					   NULL for a fresh temporary one */
	const char	*downloads;	/* where downloads go; NULL: default */
	long		 page_load_ms;	/* 0: 30 s */
	const char	*init_script;	/* run first in every new document of
					   the first tab, where the driver can */
	int64_t		 deadline_ms;	/* time_mono_ms() to give up starting */
	int		(*cancelled)(void *arg);
	void		*arg;
};

/* A row of the driver table: one kind of browser. */
struct wd_driver {
	const char	*name;		/* "chromium" */
	const char	*program;	/* "chromedriver", looked up in PATH */
	const char	*program_env;	/* variable naming another program */
	/* The driver program's arguments after argv[0], for a port. */
	int		(*args)(char **argv, size_t max, int port);
	/* The session's capabilities (a new object). */
	json_t		*(*capabilities)(const struct wd_options *,
			    const char *profile_dir);
	/* What the session needs once created (may be NULL); -1 fails. */
	int		(*prepare)(struct wd *, const struct wd_options *);
	/*
	 * Text committed into the focused field at once, as an input method
	 * commits it (may be NULL: the driver has no way; keys are sent).
	 */
	int		(*insert_text)(struct wd *, const char *text);
};

/* The classes of failure the actions tell apart. */
enum wd_code {
	WD_OK = 0,
	WD_NO_ELEMENT,		/* no such element */
	WD_STALE,		/* stale element reference, detached shadow */
	WD_NO_FRAME,
	WD_NO_WINDOW,		/* the window or tab was closed */
	WD_NO_ALERT,
	WD_ALERT_OPEN,		/* unexpected alert open */
	WD_INTERCEPTED,		/* element click intercepted */
	WD_NOT_INTERACTABLE,
	WD_INVALID_SELECTOR,
	WD_INVALID_ARGUMENT,
	WD_SCRIPT,		/* javascript error */
	WD_TIMEOUT,		/* the driver's own timeout (page load) */
	WD_GONE,		/* the driver or the browser is gone */
	WD_CANCELLED,		/* the caller's cancelled() said so */
	WD_FAILED,		/* anything else */
};

/* Command statistics, for the overhead figures. */
struct wd_stats {
	long		 commands;	/* since the session was created */
	int64_t		 wire_us;	/* time spent waiting on the driver */
	int64_t		 start_ms;	/* driver start up to a session */
};

/* The table row named name, or NULL. */
const struct wd_driver	*wd_driver_find(const char *name);
/* The names of all drivers, ", "-separated, for messages (static). */
const char		*wd_driver_names(void);

/*
 * Start the driver and a browser session.  Returns NULL with a message
 * in err when that fails (the driver's own output is quoted).
 */
struct wd	*wd_open(const struct wd_options *, char *err, size_t errlen);
/* End the session, stop the driver and everything it started, remove the
 * temporary directory.  NULL is allowed. */
void		 wd_close(struct wd *);

/*
 * Who may cancel the commands from now on (NULL: nobody): called during
 * every exchange with arg; arg must stay valid until changed.
 */
void		 wd_set_cancel(struct wd *, int (*cancelled)(void *),
		    void *arg);
enum wd_code	 wd_code(const struct wd *);
const char	*wd_error(const struct wd *);
void		 wd_get_stats(const struct wd *, struct wd_stats *);
/* The temporary directory private to this browser (for its own files). */
const char	*wd_tmpdir(const struct wd *);

/*
 * One command: method and path relative to the session ("url",
 * "element/ID/click"); body (stolen, may be NULL) is sent as JSON;
 * the answer's "value" is stored in *value when value is not NULL.
 * timeout_ms bounds the exchange (0: 60 s).
 */
int	 wd_cmd(struct wd *, const char *method, const char *path,
	    json_t *body, json_t **value, long timeout_ms);

int	 wd_navigate(struct wd *, const char *url, long timeout_ms);
int	 wd_back(struct wd *, long timeout_ms);
int	 wd_refresh(struct wd *, long timeout_ms);
/* The current URL or title, a new string. */
int	 wd_url(struct wd *, char **out);
int	 wd_title(struct wd *, char **out);
/* Run script (a function body) with args (stolen, an array or NULL). */
int	 wd_execute(struct wd *, const char *script, json_t *args,
	    json_t **value, long timeout_ms);
int	 wd_click(struct wd *, const char *el, long timeout_ms);
int	 wd_clear(struct wd *, const char *el);
int	 wd_send_keys(struct wd *, const char *el, const char *text);
/*
 * Put text into el at the end of what it holds, in one input event, as
 * an input method commits it.  -1 with WD_FAILED ("cannot") when the
 * driver has no way to: the caller sends keys instead.
 */
int	 wd_insert_text(struct wd *, const char *el, const char *text);
/* A PNG of the page (el NULL) or of one element, decoded; free *png. */
int	 wd_screenshot(struct wd *, const char *el, unsigned char **png,
	    size_t *len);
/* Enter a frame: id is an element reference, a number or null (top). */
int	 wd_frame(struct wd *, json_t *id);
int	 wd_frame_parent(struct wd *);
int	 wd_window(struct wd *, char **handle);
int	 wd_windows(struct wd *, json_t **handles);
int	 wd_switch_window(struct wd *, const char *handle);
int	 wd_close_window(struct wd *);
int	 wd_alert_text(struct wd *, char **text);
int	 wd_alert_send(struct wd *, const char *text);
int	 wd_alert_answer(struct wd *, int accept);
/* Perform input actions (stolen: the "actions" array), then release. */
int	 wd_actions(struct wd *, json_t *actions);

/* The id of an element reference, or NULL when v is not one. */
const char	*wd_element_id(const json_t *v);
/* An element reference for id, as scripts and frames take it. */
json_t		*wd_element_ref(const char *id);

#endif
