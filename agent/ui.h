/*
 * ui.h - driving an X11 desktop: windows, mouse, keyboard, screen, clipboard.
 *
 * ui.c is the one file of kobito that talks to libxdo and Xlib.  It converts
 * at that boundary: libxdo reports failure as XDO_ERROR (1), Xlib reports
 * errors asynchronously through a handler that would otherwise exit the
 * process, strings come back in three encodings and are freed three ways.
 * Everything above this header sees 0 / -1, UTF-8 and xmalloc'd memory.
 *
 * A struct ui is one connection to one display.  Open it once per run and
 * reuse it for every step: opening a display costs milliseconds, an action
 * costs microseconds.
 *
 * While a struct ui is open, ui.c owns Xlib's process-wide error handlers
 * (it records protocol errors instead of exiting); the last ui_close()
 * puts the previous ones back.  If the X server itself goes away, the
 * struct ui is marked dead instead of the process ending (Xlib's exit
 * handler, libX11 1.7 and later): every later call fails at once with
 * "the display ... went away", so a run fails its remaining steps quickly
 * and still reports; ui_close() then only frees.
 *
 * Errors: functions that can fail return -1 (or NULL) and leave a message,
 * in words a script author understands, in ui_error().  Waits return
 * UI_TIMEOUT when the condition was not met in time; that is not an error
 * and ui_error() is not set.
 *
 * Keys.  Keys are sent with the XTEST extension, so the application sees
 * ordinary key presses.  ui.c presses them itself rather than through
 * xdo_send_keysequence_window, which re-reads the whole keyboard map and
 * waits for the server on every key: 0.86 ms a chord against 0.01 ms.
 *
 * Typing Unicode.  A character that is on the
 * keyboard map (ASCII on a US map) is typed with its key, with Shift when
 * needed.  Any other character (kanji, kana, full-width digits) is bound
 * to one of the keycodes the map leaves empty and that key is pressed.
 * Applications translate keycodes to characters when they read the event,
 * with the map current at that moment, so a keycode must not be re-bound
 * before the application has read the press: libxdo's own
 * xdo_enter_text_window re-binds one keycode per character and, without
 * a delay, applications receive the wrong characters.  Here the spare
 * keycodes form a pool, a binding stays until the pool runs out, and
 * before re-binding a keycode that was pressed since the last check, ui.c
 * waits until the application has caught up (it answers a _NET_WM_PING
 * sent after the keys; applications that do not speak _NET_WM_PING get a
 * 50 ms pause instead).  The bindings are removed by ui_close().
 *
 * The clipboard.  Setting the CLIPBOARD selection means serving other
 * programs' requests for as long as we own it.  ui_clipboard_set() starts
 * a small detached helper process (forked twice, with its own display
 * connection, all other descriptors closed) that owns the selection and
 * serves it until another program takes ownership or the display goes
 * away - the way xclip does.  The helper reports each request it served
 * through a pipe, which lets the paste method of ui_type() wait until the
 * application has received the text.
 */
#ifndef KOBITO_UI_H
#define KOBITO_UI_H

#include <stddef.h>
#include <stdint.h>

struct ui;

#define UI_TIMEOUT	1	/* a wait ran out of time */

/* What identifies a window; every given criterion must match. */
struct ui_match {
	const char	*title;		/* regex on the title, or NULL */
	const char	*class;		/* regex on WM_CLASS, or NULL */
	long		 pid;		/* _NET_WM_PID, or 0 */
	unsigned long	 id;		/* this window exactly, or 0 */
};

/* A window found on the screen.  The strings are owned by the struct. */
struct ui_window {
	unsigned long	 id;
	char		*title;		/* UTF-8, "" when none */
	char		*class;		/* WM_CLASS class, or "" */
	long		 pid;		/* 0 when unknown */
	int		 x, y;		/* position on the screen */
	int		 width, height;
};

/* How long a wait may last, and how to learn that the run was stopped. */
struct ui_wait {
	int64_t		  timeout_ms;
	int		(*cancelled)(void *arg);	/* may be NULL */
	void		 *arg;
};

enum ui_type_method {
	UI_TYPE_KEYS,		/* key presses (the default) */
	UI_TYPE_PASTE,		/* clipboard, then ctrl+v */
};

enum ui_mouse_op {
	UI_MOUSE_MOVE,
	UI_MOUSE_PRESS,
	UI_MOUSE_RELEASE,
};

/*
 * Connect to display (":57").  Returns NULL with a message in err when the
 * display cannot be opened or lacks the XTEST extension.
 */
struct ui	*ui_open(const char *display, char *err, size_t errlen);
/* Remove our keycode bindings and close the connection.  NULL is a no-op. */
void		 ui_close(struct ui *);
/* The display name given to ui_open. */
const char	*ui_display(const struct ui *);
/* The message of the last failure; valid until the next call. */
const char	*ui_error(const struct ui *);
/* Whether the connection to the display was lost (see above). */
int		 ui_lost(const struct ui *);
/*
 * The text property name (type STRING) of the root window, as set by
 * programs that publish something for the display (at-spi-bus-launcher's
 * AT_SPI_BUS): newly allocated, or NULL when there is none.
 */
char		*ui_root_text(struct ui *, const char *name);

/* Release the strings of a struct ui_window (not the struct itself). */
void		 ui_window_clear(struct ui_window *);
/*
 * Describe a match for messages: "title matching '^確認$' and pid 42".
 * The caller frees the string.
 */
char		*ui_match_describe(const struct ui_match *);
/*
 * Wait until a visible window matches and describe it in *out (which the
 * caller clears with ui_window_clear).  When several match, the topmost is
 * chosen.  Returns 0, UI_TIMEOUT, or -1 (bad regex, cancelled, X error).
 */
int		 ui_window_find(struct ui *, const struct ui_match *,
		    const struct ui_wait *, struct ui_window *out);
/*
 * Every visible window that matches m (m NULL: every visible window) and
 * has a title, topmost first, in *out (n of them; the caller frees them
 * with ui_windows_free).  A titled window inside another counts once:
 * the client when the outer one is a window manager's frame, else the
 * outer one (a program's inner window, as Swing's "Content window", is
 * part of its top-level).  Returns 0, or -1 (bad regex, X error).
 */
int		 ui_window_list(struct ui *, const struct ui_match *m,
		    struct ui_window **out, size_t *n);
void		 ui_windows_free(struct ui_window *, size_t n);
/*
 * Whether window id still exists (1), or was destroyed (0): an unmapped
 * window still exists and may be shown again, a destroyed one never comes
 * back.  -1 when the display went away.
 */
int		 ui_window_alive(struct ui *, unsigned long id);
/*
 * Wait until no visible window matches.  Returns 0, UI_TIMEOUT or -1.
 */
int		 ui_window_wait_closed(struct ui *, const struct ui_match *,
		    const struct ui_wait *);
/* Fill *out with the current title, class, pid and geometry of id. */
int		 ui_window_geometry(struct ui *, unsigned long id,
		    struct ui_window *out);
/*
 * Raise the window and give it the keyboard focus, then wait (at most
 * timeout_ms) until the X server reports the focus there.  With a window
 * manager that supports _NET_ACTIVE_WINDOW the request goes through it;
 * without one (Xvfb) the focus is set directly.
 */
int		 ui_window_activate(struct ui *, unsigned long id,
		    int64_t timeout_ms);
int		 ui_window_move(struct ui *, unsigned long id, int x, int y);
int		 ui_window_resize(struct ui *, unsigned long id, int width,
		    int height);

/*
 * Click button (1 left, 2 middle, 3 right) count times at x, y: relative
 * to window id's top-left corner, or on the screen when id is 0.  The
 * window is activated first.  *sx, *sy (may be NULL) get the screen point.
 */
int		 ui_click(struct ui *, unsigned long id, int x, int y,
		    int button, int count, int *sx, int *sy);
/* Move the pointer, or press or release a button (x, y ignored then). */
int		 ui_mouse(struct ui *, enum ui_mouse_op, int x, int y,
		    int button);
/* Press at (x1, y1), move in steps to (x2, y2), release. */
int		 ui_mouse_drag(struct ui *, int x1, int y1, int x2, int y2,
		    int button, int steps);
/*
 * Type UTF-8 text into the focused window.  delay_ms is the pause between
 * characters (0 is fine for most applications).  "\n" presses Return and
 * "\t" Tab; other control characters are refused.  With UI_TYPE_PASTE
 * the text stays on the clipboard afterwards.
 */
int		 ui_type(struct ui *, const char *text, int delay_ms,
		    enum ui_type_method, const struct ui_wait *);
/*
 * Press key chords, separated by spaces: "Tab", "ctrl+s", "shift+Tab
 * Return".  Names are X keysym names or the usual short ones (ctrl, alt,
 * shift, super, enter, esc, pgup, ...), matched without regard to case,
 * or single characters ("a", "+", "あ"); keys the map lacks are bound in
 * the typing pool.  The whole sequence is pressed repeat times, with
 * delay_ms after each chord.  Returns -1 without pressing anything when a
 * name is unknown.
 */
int		 ui_key(struct ui *, const char *keys, int repeat,
		    int delay_ms);
/*
 * Wait until the window that has the keyboard focus has read the input
 * sent since the last call (it answers a _NET_WM_PING sent after it; a
 * program that does not speak it gets a 50 ms pause), at most timeout_ms;
 * at once when nothing was sent.  For what reaches the application by
 * another way than the X server (the accessibility bus), which must not
 * overtake keys still queued: focusing the next field while the last
 * characters of this one are on their way sends them there.  0, or
 * UI_TIMEOUT.
 */
int		 ui_sync(struct ui *, int64_t timeout_ms);
/*
 * Save the screen (id 0) or the part of the screen a window covers to
 * path as PNG.  *w, *h (may be NULL) get the image size.
 */
int		 ui_screenshot_png(struct ui *, unsigned long id,
		    const char *path, int *w, int *h);
/*
 * The pixels the screen shows of window id (of the screen when id is 0),
 * or of the rectangle rect = {x, y, w, h} in its pixels (NULL: all of it),
 * read straight into memory: a 32 bpp leptonica PIX (struct Pix) that the
 * caller destroys with pixDestroy().  What lies off the screen is cut off;
 * *ox, *oy (may be NULL) get the position of the image's top-left pixel in
 * the window's coordinates (the screen's when id is 0), so that the image
 * point (px, py) is ui_click(ui, id, *ox + px, *oy + py, ...).  NULL, with
 * a message in ui_error(), when the window is gone, the rectangle lies off
 * the screen or the screen cannot be read.
 */
struct Pix;
struct Pix	*ui_capture(struct ui *, unsigned long id, const int rect[4],
		    int *ox, int *oy);
/* The clipboard's text, UTF-8, newly allocated; "" when nobody owns it. */
char		*ui_clipboard_get(struct ui *, const struct ui_wait *);
/* Own the clipboard with text (see the top of this file). */
int		 ui_clipboard_set(struct ui *, const char *text,
		    const struct ui_wait *);

#endif
