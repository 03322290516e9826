/*
 * ui.c - the X11 boundary: every call into libxdo and Xlib lives here.
 *
 * See ui.h for the contract and for the two mechanisms that need more than
 * a library call: typing arbitrary Unicode text through a pool of spare
 * keycodes, and owning the clipboard through a detached helper process.
 *
 * libxdo focuses, raises, maps, moves and resizes windows and drives the
 * pointer.  Keys are pressed with XTEST directly (see ui.h for why).
 *
 * Looking at windows is done here with plain Xlib, because windows vanish
 * all the time (a dialog closing is one) and libxdo 3.20160805 does not
 * survive that: xdo_search_windows and xdo_get_window_location XFree a
 * stale pointer when XQueryTree fails on a window that just went (a
 * double free, seen in the tests); xdo_get_pid_window,
 * xdo_get_window_name and xdo_find_window_client read an item count that
 * xdo_get_window_property_by_atom never sets when the read fails; and
 * xdo_activate_window follows an unset Screen pointer.  Every Xlib call
 * here that names a window checks for failure and leaves nothing unset.
 *
 * Conversions made at this boundary:
 *   - libxdo returns XDO_SUCCESS (0) or XDO_ERROR (1); Xlib returns a
 *     Status that is non-zero on success.  Both become 0 / -1 here.
 *   - Xlib reports protocol errors (a window that vanished between two
 *     calls) through a process-wide handler whose default exits.  ui.c
 *     installs a handler that records the error; callers XSync and look.
 *   - a lost connection (the X server ended) makes Xlib call exit() by
 *     default.  ui.c installs a per-display exit handler that marks the
 *     struct ui dead and returns (libX11 1.7 and later then make every
 *     call on that display return at once); every later call fails with
 *     "the display ... went away", and waits stop at once, so that a run
 *     ends its items quickly and still writes its summary.
 *   - what Xlib returns (XQueryTree's children, XGetWindowProperty's data,
 *     class hints) is freed with XFree, and only when the call succeeded;
 *     texts are converted to UTF-8 from UTF8_STRING, STRING (Latin-1) or
 *     COMPOUND_TEXT and handed out as xmalloc'd strings.
 *   - regular expressions are compiled and run in a UTF-8 locale, whatever
 *     the process locale is, so that "." is one character of a title.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <leptonica/allheaders.h>
#include <png.h>
#include <xdo.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>
#include <X11/extensions/XTest.h>

#include "buf.h"
#include "ui.h"
#include "textutil.h"
#include "timeutil.h"
#include "textutil.h"
#include "xmalloc.h"

#define POOL_MAX		64	/* spare keycodes used for typing */
#define POOL_PROP		"_KOBITO_POOL_"	/* + a random name */
#define SETTLE_MS		2000	/* how long an app may lag */
#define NO_PING_PAUSE_MS	50	/* settling without _NET_WM_PING */
#define CLIP_MAX		(16u * 1024 * 1024)
#define SEARCH_DEPTH		3	/* frame > client > child */

/*
 * Xlib's error handler is process-wide and gets no user pointer, so what it
 * records must live here.  This is ui.c's only global state.
 */
static struct {
	XErrorHandler	prev;		/* the last ui_close puts it back */
	XIOErrorHandler	ioprev;		/* ditto */
	int		users;		/* open struct ui */
	int		code;		/* last error caught, or 0 */
} xerr;

/* A spare keycode and the keysym typing has bound to it. */
struct slot {
	KeyCode		code;
	KeySym		sym;		/* NoSymbol when unbound */
	unsigned long	gen;		/* ui->gen when last pressed */
	unsigned long	lru;		/* ui->tick at the last press */
};

enum atom_id {
	A_CLIPBOARD,
	A_TARGETS,
	A_TIMESTAMP,
	A_UTF8_STRING,
	A_TEXT,
	A_TEXT_PLAIN_UTF8,
	A_INCR,
	A_WM_PROTOCOLS,
	A_NET_WM_PING,
	A_NET_SUPPORTED,
	A_NET_SUPPORTING_WM_CHECK,
	A_NET_ACTIVE_WINDOW,
	A_KOBITO_SELECTION,
	A_NET_WM_NAME,
	A_NET_WM_PID,
	A_KOBITO_POOL_OWNER,
	NATOMS
};

static const char *const atom_names[NATOMS] = {
	[A_CLIPBOARD] = "CLIPBOARD",
	[A_TARGETS] = "TARGETS",
	[A_TIMESTAMP] = "TIMESTAMP",
	[A_UTF8_STRING] = "UTF8_STRING",
	[A_TEXT] = "TEXT",
	[A_TEXT_PLAIN_UTF8] = "text/plain;charset=utf-8",
	[A_INCR] = "INCR",
	[A_WM_PROTOCOLS] = "WM_PROTOCOLS",
	[A_NET_WM_PING] = "_NET_WM_PING",
	[A_NET_SUPPORTED] = "_NET_SUPPORTED",
	[A_NET_SUPPORTING_WM_CHECK] = "_NET_SUPPORTING_WM_CHECK",
	[A_NET_ACTIVE_WINDOW] = "_NET_ACTIVE_WINDOW",
	[A_KOBITO_SELECTION] = "KOBITO_SELECTION",
	[A_NET_WM_NAME] = "_NET_WM_NAME",
	[A_NET_WM_PID] = "_NET_WM_PID",
	[A_KOBITO_POOL_OWNER] = "_KOBITO_POOL_OWNER",
};

struct ui {
	Display		*dpy;
	xdo_t		*xdo;
	char		*display;
	int		 screen;
	Window		 root;
	Window		 own;		/* unmapped, for selections */
	Atom		 atoms[NATOMS];
	locale_t	 utf8;		/* for regcomp/regexec, or 0 */

	/* Keyboard map, refreshed before each ui_type. */
	int		 kc_lo, kc_hi, per;
	KeySym		*map;		/* XFree */
	KeyCode		 shift;
	struct slot	 pool[POOL_MAX];
	int		 npool;
	Atom		 pool_prop;	/* on the root: what we have bound */
	unsigned long	 gen;		/* bumped by each settle */
	unsigned long	 tick;
	/* Who got pool keys since the last settle: None if it has no ping. */
	int		 pool_pending;
	Window		 pool_target;
	Window		 key_target;	/* who gets the keys of this call */

	/* Where the keys go, cached by the focus window they were found for. */
	Window		 focus_cache;
	Window		 ping_cache;
	unsigned long	 ping_serial;

	int		 clip_fd;	/* the clipboard helper's reports */
	int		 dead;		/* the connection was lost */
	int		 sent;		/* input sent since the last ui_sync */

	char		 err[768];
};

/*
 * libxdo 3.20160805 loses the XkbDescRec that xdo_new_with_opened_display
 * gets from XkbGetMap (72 bytes, once per connection).  It cannot be freed
 * from outside, so the sanitizer build is told about it here rather than
 * by every test runner.  Other builds never call this.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:XkbGetMap\n";
}

static int
on_xerror(Display *d, XErrorEvent *e)
{
	(void)d;
	xerr.code = e->error_code;
	return 0;
}

/* A lost connection: Xlib's message would only repeat what fail() says. */
static int
on_xioerror(Display *d)
{
	(void)d;
	return 0;
}

/* Called instead of exit() when the connection of a struct ui is lost. */
static void
on_xio_exit(Display *d, void *arg)
{
	struct ui *ui = arg;

	(void)d;
	ui->dead = 1;
}

/* Fail with a message; once the display is gone, with that instead. */
static int
fail(struct ui *ui, const char *fmt, ...)
{
	va_list ap;

	if (ui->dead) {
		snprintf(ui->err, sizeof ui->err, "the display %s went away "
		    "(its X server ended or the connection was lost)",
		    ui->display);
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(ui->err, sizeof ui->err, fmt, ap);
	va_end(ap);
	/* Titles are Japanese: a cut must not leave half a character. */
	text_utf8_trim_partial(ui->err);
	return -1;
}

/* Wait until the connection has something to read, at most ms. */
static void
wait_readable(struct ui *ui, int64_t ms)
{
	struct pollfd p;

	if (XPending(ui->dpy) > 0)
		return;
	p.fd = ConnectionNumber(ui->dpy);
	p.events = POLLIN;
	p.revents = 0;
	poll(&p, 1, ms > 1000 ? 1000 : (int)(ms < 0 ? 0 : ms));
}

/* Make the server process everything sent so far; non-zero on X error. */
static int
xsync_failed(struct ui *ui)
{
	XSync(ui->dpy, False);
	return xerr.code != 0 || ui->dead;
}

const char *
ui_display(const struct ui *ui)
{
	return ui->display;
}

int
ui_lost(const struct ui *ui)
{
	return ui->dead;
}

const char *
ui_error(const struct ui *ui)
{
	return ui->err;
}

/* --- UTF-8 ------------------------------------------------------------- */

/*
 * Decode one UTF-8 sequence at s (n bytes left).  Returns its length, or 0
 * when it is not well-formed (overlong, surrogate, past U+10FFFF, cut).
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static char *
latin1_to_utf8(const unsigned char *s, size_t n)
{
	char *out = xmalloc(n * 2 + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x80) {
			out[o++] = (char)s[i];
		} else {
			out[o++] = (char)(0xc0 | (s[i] >> 6));
			out[o++] = (char)(0x80 | (s[i] & 0x3f));
		}
	}
	out[o] = '\0';
	return out;
}

/* A text property's bytes as a UTF-8 string, whatever its encoding. */
static char *
text_to_utf8(struct ui *ui, const unsigned char *data, size_t n, Atom type)
{
	XTextProperty tp;
	struct buf b;
	char **list = NULL;
	int count = 0, i;

	if (type == ui->atoms[A_UTF8_STRING] ||
	    type == ui->atoms[A_TEXT_PLAIN_UTF8])
		return xstrndup((const char *)data, n);
	if (type == XA_STRING)
		return latin1_to_utf8(data, n);
	/* COMPOUND_TEXT and friends: let Xlib convert. */
	tp.value = (unsigned char *)data;
	tp.encoding = type;
	tp.format = 8;
	tp.nitems = n;
	if (Xutf8TextPropertyToTextList(ui->dpy, &tp, &list, &count) <
	    Success || count <= 0) {
		if (list != NULL)
			XFreeStringList(list);
		return xstrndup((const char *)data, n);
	}
	buf_init(&b, CLIP_MAX);
	for (i = 0; i < count; i++)
		buf_puts(&b, list[i]);
	XFreeStringList(list);
	return buf_detach(&b, NULL);
}

/* --- opening and closing ----------------------------------------------- */

static void
load_keymap(struct ui *ui)
{
	if (ui->map != NULL)
		XFree(ui->map);
	ui->map = XGetKeyboardMapping(ui->dpy, (KeyCode)ui->kc_lo,
	    ui->kc_hi - ui->kc_lo + 1, &ui->per);
}

static KeySym
map_sym(const struct ui *ui, int kc, int col)
{
	if (ui->map == NULL || col >= ui->per)
		return NoSymbol;
	return ui->map[(kc - ui->kc_lo) * ui->per + col];
}

static unsigned char *get_prop(struct ui *, Window, Atom, Atom,
    unsigned long *);

/*
 * The pool keycodes this ui has bound are written on the root window, in
 * a property of a random name holding [our window, keycode...]; our window
 * carries that name in _KOBITO_POOL_OWNER.  When this process dies without
 * ui_close (killed, crashed), its window goes with the connection, and the
 * next ui_open on the display sees that the record has no live owner and
 * gives its keycodes back.  (Window ids are reused by later clients, hence
 * the name on the window rather than the id alone.)
 */
static void
pool_record(struct ui *ui)
{
	long codes[POOL_MAX + 1];
	int i, n = 1;

	codes[0] = (long)ui->own;
	for (i = 0; i < ui->npool; i++)
		if (ui->pool[i].sym != NoSymbol)
			codes[n++] = ui->pool[i].code;
	if (n == 1)
		XDeleteProperty(ui->dpy, ui->root, ui->pool_prop);
	else
		XChangeProperty(ui->dpy, ui->root, ui->pool_prop, XA_CARDINAL,
		    32, PropModeReplace, (unsigned char *)codes, n);
}

/* Whether window w is a live ui's and carries the record prop. */
static int
record_owned(struct ui *ui, Window w, Atom prop)
{
	unsigned char *d;
	unsigned long n;
	int live;

	d = get_prop(ui, w, ui->atoms[A_KOBITO_POOL_OWNER], XA_ATOM, &n);
	live = d != NULL && n == 1 && *(Atom *)(void *)d == prop;
	if (d != NULL)
		XFree(d);
	return live;
}

/* Unbind the keycodes of the record prop if its owner is gone. */
static void
reclaim_record(struct ui *ui, Atom prop)
{
	unsigned long n = 0, after, i;
	unsigned char *data = NULL;
	KeySym none = NoSymbol;
	long *v;
	Atom type;
	int format;

	if (XGetWindowProperty(ui->dpy, ui->root, prop, 0, POOL_MAX + 1,
	    False, XA_CARDINAL, &type, &format, &n, &after, &data) !=
	    Success || type != XA_CARDINAL || format != 32 || n < 1) {
		if (data != NULL)
			XFree(data);
		return;
	}
	v = (long *)(void *)data;
	if (!record_owned(ui, (Window)v[0], prop)) {
		for (i = 1; i < n; i++)
			if (v[i] >= ui->kc_lo && v[i] <= ui->kc_hi)
				XChangeKeyboardMapping(ui->dpy, (int)v[i], 1,
				    &none, 1);
		XDeleteProperty(ui->dpy, ui->root, prop);
	}
	XFree(data);
}

/*
 * Give back the keycodes that a kobito which died while typing left
 * bound: without this every later run on the display found no free
 * keycode until the X server restarted.
 */
static void
reclaim_stale(struct ui *ui)
{
	size_t plen = strlen(POOL_PROP);
	Atom *props;
	char *name;
	int i, n = 0;

	if ((props = XListProperties(ui->dpy, ui->root, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if ((name = XGetAtomName(ui->dpy, props[i])) == NULL)
			continue;
		if (strncmp(name, POOL_PROP, plen) == 0)
			reclaim_record(ui, props[i]);
		XFree(name);
	}
	XFree(props);
	XSync(ui->dpy, False);
}

/* A name for this ui's record that no other ui will have. */
static void
pool_name(char *buf, size_t len)
{
	unsigned char r[8];
	size_t i, o;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0, sizeof r);		/* then the pid must do */
	o = (size_t)snprintf(buf, len, "%s%ld_", POOL_PROP, (long)getpid());
	for (i = 0; i < sizeof r && o + 3 <= len; i++, o += 2)
		snprintf(buf + o, len - o, "%02x", r[i]);
}

/* The keycodes the map leaves entirely empty become the typing pool. */
static void
find_pool(struct ui *ui)
{
	int kc, col, empty;

	for (kc = ui->kc_lo; kc <= ui->kc_hi && ui->npool < POOL_MAX; kc++) {
		empty = 1;
		for (col = 0; col < ui->per; col++) {
			if (map_sym(ui, kc, col) != NoSymbol)
				empty = 0;
		}
		if (empty) {
			ui->pool[ui->npool].code = (KeyCode)kc;
			ui->pool[ui->npool].sym = NoSymbol;
			ui->npool++;
		}
	}
}

struct ui *
ui_open(const char *display, char *err, size_t errlen)
{
	struct ui *ui;
	Display *d;
	char prop[64];
	int ev, er, maj, min;

	if (display == NULL || *display == '\0') {
		snprintf(err, errlen, "no display given");
		return NULL;
	}
	d = XOpenDisplay(display);
	if (d == NULL) {
		snprintf(err, errlen, "cannot open display '%s'", display);
		return NULL;
	}
	if (!XTestQueryExtension(d, &ev, &er, &maj, &min)) {
		snprintf(err, errlen, "display '%s' lacks the XTEST extension "
		    "that input needs", display);
		XCloseDisplay(d);
		return NULL;
	}
	if (xerr.users++ == 0) {
		xerr.prev = XSetErrorHandler(on_xerror);
		xerr.ioprev = XSetIOErrorHandler(on_xioerror);
	}

	ui = xcalloc(1, sizeof *ui);
	ui->dpy = d;
	XSetIOErrorExitHandler(d, on_xio_exit, ui);
	ui->display = xstrdup(display);
	ui->clip_fd = -1;
	ui->gen = 1;
	ui->screen = DefaultScreen(d);
	ui->root = RootWindow(d, ui->screen);
	ui->xdo = xdo_new_with_opened_display(d, ui->display, 0);
	if (ui->xdo == NULL) {
		snprintf(err, errlen, "libxdo could not use display '%s'",
		    display);
		ui_close(ui);
		return NULL;
	}
	ui->xdo->quiet = 1;
	XInternAtoms(d, (char **)atom_names, NATOMS, False, ui->atoms);
	ui->own = XCreateSimpleWindow(d, ui->root, -10, -10, 1, 1, 0, 0, 0);
	XSelectInput(d, ui->own, PropertyChangeMask);
	XDisplayKeycodes(d, &ui->kc_lo, &ui->kc_hi);
	pool_name(prop, sizeof prop);
	ui->pool_prop = XInternAtom(d, prop, False);
	XChangeProperty(d, ui->own, ui->atoms[A_KOBITO_POOL_OWNER], XA_ATOM,
	    32, PropModeReplace, (unsigned char *)&ui->pool_prop, 1);
	reclaim_stale(ui);
	load_keymap(ui);
	find_pool(ui);
	ui->shift = XKeysymToKeycode(d, XK_Shift_L);
	ui->utf8 = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, "C.UTF-8",
	    (locale_t)0);
	if (ui->utf8 == (locale_t)0)
		ui->utf8 = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK,
		    "en_US.UTF-8", (locale_t)0);
	return ui;
}

static int settle(struct ui *, int64_t timeout_ms);

void
ui_close(struct ui *ui)
{
	KeySym none = NoSymbol;
	int i, bound = 0;

	if (ui == NULL)
		return;
	if (ui->xdo != NULL && ui->dead) {
		xdo_free(ui->xdo);
	} else if (ui->xdo != NULL) {
		/* Give the pool back, once the last keys have been read. */
		for (i = 0; i < ui->npool; i++) {
			if (ui->pool[i].sym != NoSymbol)
				bound = 1;
		}
		if (bound) {
			settle(ui, SETTLE_MS);
			for (i = 0; i < ui->npool; i++) {
				if (ui->pool[i].sym != NoSymbol)
					XChangeKeyboardMapping(ui->dpy,
					    ui->pool[i].code, 1, &none, 1);
				ui->pool[i].sym = NoSymbol;
			}
			pool_record(ui);
		}
		XDestroyWindow(ui->dpy, ui->own);
		XSync(ui->dpy, False);
		xdo_free(ui->xdo);
	}
	if (ui->map != NULL)
		XFree(ui->map);
	XCloseDisplay(ui->dpy);
	if (--xerr.users == 0) {
		XSetErrorHandler(xerr.prev);
		XSetIOErrorHandler(xerr.ioprev);
	}
	if (ui->clip_fd != -1)
		close(ui->clip_fd);
	if (ui->utf8 != (locale_t)0)
		freelocale(ui->utf8);
	free(ui->display);
	free(ui);
}

/* --- windows ----------------------------------------------------------- */

void
ui_window_clear(struct ui_window *w)
{
	free(w->title);
	free(w->class);
	w->title = w->class = NULL;
}

char *
ui_match_describe(const struct ui_match *m)
{
	struct buf b;

	buf_init(&b, 4096);
	if (m->id != 0)
		buf_printf(&b, "id %lu", m->id);
	if (m->title != NULL)
		buf_printf(&b, "%stitle matching '%s'", b.len ? " and " : "",
		    m->title);
	if (m->class != NULL)
		buf_printf(&b, "%sclass matching '%s'", b.len ? " and " : "",
		    m->class);
	if (m->pid != 0)
		buf_printf(&b, "%spid %ld", b.len ? " and " : "", m->pid);
	if (b.len == 0)
		buf_puts(&b, "any title");
	return buf_detach(&b, NULL);
}

/* Text property prop of w as UTF-8 (xmalloc'd), or NULL if it has none. */
static char *
text_prop(struct ui *ui, Window w, Atom prop)
{
	Atom type = None;
	int format = 0;
	unsigned long n = 0, after;
	unsigned char *data = NULL;
	char *s;

	xerr.code = 0;
	if (XGetWindowProperty(ui->dpy, w, prop, 0, 16384, False,
	    AnyPropertyType, &type, &format, &n, &after, &data) != Success ||
	    xerr.code != 0 || data == NULL || format != 8 || n == 0) {
		if (data != NULL)
			XFree(data);
		return NULL;
	}
	s = text_to_utf8(ui, data, n, type);
	XFree(data);
	return s;
}

/* The title: _NET_WM_NAME, else WM_NAME, else "". */
static char *
window_title(struct ui *ui, Window w)
{
	char *s = text_prop(ui, w, ui->atoms[A_NET_WM_NAME]);

	if (s == NULL)
		s = text_prop(ui, w, XA_WM_NAME);
	return s != NULL ? s : xstrdup("");
}

/* WM_CLASS: *name and *class are xmalloc'd ("" when absent). */
static void
window_class(struct ui *ui, Window w, char **name, char **class)
{
	XClassHint h = { NULL, NULL };

	*name = *class = NULL;
	if (XGetClassHint(ui->dpy, w, &h)) {
		*name = xstrdup(h.res_name != NULL ? h.res_name : "");
		*class = xstrdup(h.res_class != NULL ? h.res_class : "");
		if (h.res_name != NULL)
			XFree(h.res_name);
		if (h.res_class != NULL)
			XFree(h.res_class);
	} else {
		*name = xstrdup("");
		*class = xstrdup("");
	}
}

static unsigned char *get_prop(struct ui *, Window, Atom, Atom,
    unsigned long *);

/* _NET_WM_PID, or 0. */
static long
window_pid(struct ui *ui, Window w)
{
	unsigned long n;
	unsigned char *d = get_prop(ui, w, ui->atoms[A_NET_WM_PID], XA_CARDINAL,
	    &n);
	long pid = 0;

	if (d != NULL) {
		if (n > 0)
			pid = *(long *)(void *)d;	/* format 32 is long */
		XFree(d);
	}
	return pid;
}

int
ui_window_geometry(struct ui *ui, unsigned long id, struct ui_window *out)
{
	XWindowAttributes a;
	Window child;
	int x = 0, y = 0;
	char *name;

	memset(out, 0, sizeof *out);
	xerr.code = 0;
	if (!XGetWindowAttributes(ui->dpy, id, &a) || xerr.code != 0 ||
	    !XTranslateCoordinates(ui->dpy, id, ui->root, 0, 0, &x, &y,
	    &child) || xerr.code != 0)
		return fail(ui, "window %lu no longer exists", id);
	out->id = id;
	out->x = x;
	out->y = y;
	out->width = a.width;
	out->height = a.height;
	out->title = window_title(ui, id);
	window_class(ui, id, &name, &out->class);
	free(name);
	out->pid = window_pid(ui, id);
	if (xsync_failed(ui)) {
		ui_window_clear(out);
		return fail(ui, "window %lu no longer exists", id);
	}
	return 0;
}

/* A match with its regular expressions compiled. */
struct matcher {
	const struct ui_match	*m;
	regex_t			 title, class;
	int			 has_title, has_class;
};

static int
compile_one(struct ui *ui, regex_t *re, const char *what, const char *src)
{
	char msg[256];
	locale_t old = (locale_t)0;
	int r;

	if (text_regex_check(src, msg, sizeof msg) != 0)
		return fail(ui, "%s: regular expression '%s': %s", what, src,
		    msg);
	if (ui->utf8 != (locale_t)0)
		old = uselocale(ui->utf8);
	r = regcomp(re, src, REG_EXTENDED | REG_NOSUB);
	if (r != 0)
		regerror(r, re, msg, sizeof msg);
	if (ui->utf8 != (locale_t)0)
		uselocale(old);
	if (r != 0)
		return fail(ui, "%s: invalid regular expression '%s': %s",
		    what, src, msg);
	return 0;
}

static int
matcher_init(struct ui *ui, struct matcher *mt, const struct ui_match *m)
{
	memset(mt, 0, sizeof *mt);
	mt->m = m;
	if (m->title != NULL) {
		if (compile_one(ui, &mt->title, "title", m->title) != 0)
			return -1;
		mt->has_title = 1;
	}
	if (m->class != NULL) {
		if (compile_one(ui, &mt->class, "class", m->class) != 0) {
			if (mt->has_title)
				regfree(&mt->title);
			return -1;
		}
		mt->has_class = 1;
	}
	return 0;
}

static void
matcher_free(struct matcher *mt)
{
	if (mt->has_title)
		regfree(&mt->title);
	if (mt->has_class)
		regfree(&mt->class);
}

static int
regex_match(struct ui *ui, const regex_t *re, const char *s)
{
	locale_t old = (locale_t)0;
	int r;

	if (ui->utf8 != (locale_t)0)
		old = uselocale(ui->utf8);
	r = regexec(re, s, 0, NULL, 0);
	if (ui->utf8 != (locale_t)0)
		uselocale(old);
	return r == 0;
}

/* Does window w match?  Fills *out when it does and out is not NULL. */
static int
window_matches(struct ui *ui, const struct matcher *mt, Window w,
    struct ui_window *out)
{
	char *title = NULL, *name = NULL, *class = NULL;
	int ok = 1;

	if (mt->has_title) {
		title = window_title(ui, w);
		ok = *title != '\0' && regex_match(ui, &mt->title, title);
	}
	if (ok && mt->has_class) {
		window_class(ui, w, &name, &class);
		ok = regex_match(ui, &mt->class, name) ||
		    regex_match(ui, &mt->class, class);
	}
	free(title);
	free(name);
	free(class);
	if (ok && out != NULL)
		return ui_window_geometry(ui, w, out) == 0;
	return ok;
}

static int
window_viewable(struct ui *ui, Window w)
{
	XWindowAttributes a;

	xerr.code = 0;
	if (!XGetWindowAttributes(ui->dpy, w, &a) || xerr.code != 0)
		return 0;
	return a.map_state == IsViewable;
}

/*
 * The windows down to SEARCH_DEPTH below the root, level by level, each
 * level from the bottom of the stack up (xmalloc'd).  Windows that vanish
 * while we look are skipped.  With up not NULL, (*up)[i] is the index of
 * the parent of window i, or -1 for a child of the root (xmalloc'd).
 */
static Window *
list_windows(struct ui *ui, size_t *np, long **up)
{
	Window *all = NULL, *kids, rootw, parent;
	long *par = NULL;
	size_t n = 0, from = 0, to, i, j;
	unsigned int nk;
	int depth;

	all = xreallocarray(all, 1, sizeof *all);
	par = xreallocarray(par, 1, sizeof *par);
	par[0] = -1;
	all[n++] = ui->root;
	for (depth = 1; depth <= SEARCH_DEPTH; depth++) {
		to = n;
		for (i = from; i < to; i++) {
			kids = NULL;
			nk = 0;
			xerr.code = 0;
			if (!XQueryTree(ui->dpy, all[i], &rootw, &parent, &kids,
			    &nk) || xerr.code != 0)
				continue;	/* gone: kids was never set */
			if (nk > 0) {
				all = xreallocarray(all, n + nk, sizeof *all);
				par = xreallocarray(par, n + nk, sizeof *par);
			}
			for (j = 0; j < nk; j++) {
				par[n] = (long)i - 1;	/* the root goes */
				all[n++] = kids[j];
			}
			if (kids != NULL)
				XFree(kids);
		}
		from = to;
	}
	/* Drop the root itself. */
	memmove(all, all + 1, (n - 1) * sizeof *all);
	memmove(par, par + 1, (n - 1) * sizeof *par);
	*np = n - 1;
	if (up != NULL)
		*up = par;
	else
		free(par);
	return all;
}

/*
 * One look at the screen: 1 when a visible window matches (the topmost,
 * described in *out when out is not NULL), 0 when none does.
 */
static int
scan(struct ui *ui, const struct matcher *mt, struct ui_window *out)
{
	Window *list;
	size_t n, i;
	int found = 0;

	if (mt->m->id != 0) {
		if (!window_viewable(ui, mt->m->id))
			return 0;
		return window_matches(ui, mt, mt->m->id, out);
	}
	list = list_windows(ui, &n, NULL);
	/* Each level runs from the bottom of the stack up: take the last. */
	for (i = n; i-- > 0 && !found;) {
		if (mt->m->pid != 0 && window_pid(ui, list[i]) != mt->m->pid)
			continue;
		if (window_viewable(ui, list[i]))
			found = window_matches(ui, mt, list[i], out);
	}
	free(list);
	return found;
}

/* Poll until scan() says want (1: a window is there, 0: none is). */
static int
poll_scan(struct ui *ui, const struct ui_match *m, const struct ui_wait *w,
    int want, struct ui_window *out)
{
	struct matcher mt;
	int64_t start = time_mono_ms(), elapsed, pause = 10;
	int r;

	if (matcher_init(ui, &mt, m) != 0)
		return -1;
	for (;;) {
		r = scan(ui, &mt, want ? out : NULL);
		if (ui->dead) {
			r = fail(ui, "lost");
			break;
		}
		if (r == want) {
			r = 0;
			break;
		}
		if (w->cancelled != NULL && w->cancelled(w->arg)) {
			r = fail(ui, "the run was cancelled");
			break;
		}
		elapsed = time_mono_ms() - start;
		if (elapsed >= w->timeout_ms) {
			r = UI_TIMEOUT;
			break;
		}
		time_sleep_ms(pause < w->timeout_ms - elapsed ? pause :
		    w->timeout_ms - elapsed, NULL);
		if (pause < 50)
			pause += 10;
	}
	matcher_free(&mt);
	return r;
}

/* Whether a window manager manages w (ICCCM: it set WM_STATE on it). */
static int
managed(struct ui *ui, Window w)
{
	Atom state = XInternAtom(ui->dpy, "WM_STATE", True);
	unsigned long n = 0;
	unsigned char *data;

	if (state == None)
		return 0;
	data = get_prop(ui, w, state, state, &n);
	if (data != NULL)
		XFree(data);
	return data != NULL;
}

int
ui_window_list(struct ui *ui, const struct ui_match *m,
    struct ui_window **out, size_t *np)
{
	static const struct ui_match any;
	struct matcher mt;
	Window *list;
	long *up, k;
	size_t n, i, nout = 0;
	char *hit;

	*out = NULL;
	*np = 0;
	if (matcher_init(ui, &mt, m != NULL ? m : &any) != 0)
		return -1;
	list = list_windows(ui, &n, &up);
	hit = xcalloc(n + 1, 1);
	for (i = 0; i < n; i++) {
		char *title;

		if (m != NULL && m->id != 0 && list[i] != m->id)
			continue;
		if (m != NULL && m->pid != 0 &&
		    window_pid(ui, list[i]) != m->pid)
			continue;
		if (!window_viewable(ui, list[i]) ||
		    !window_matches(ui, &mt, list[i], NULL))
			continue;
		title = window_title(ui, list[i]);
		hit[i] = *title != '\0';
		free(title);
	}
	/*
	 * A titled window inside another counts once: a window manager's
	 * frame and the client it manages (WM_STATE) may both carry the
	 * title - the client counts; a program's own inner window (Swing's
	 * "Content window") is part of its top-level - that counts.
	 */
	for (i = 0; i < n; i++)
		for (k = up[i]; hit[i] && k >= 0; k = up[k]) {
			if (!hit[k])
				continue;
			if (managed(ui, list[i]))
				hit[k] = 0;
			else
				hit[i] = 0;
		}
	*out = xcalloc(n + 1, sizeof **out);
	/* Each level runs from the bottom of the stack up: top first. */
	for (i = n; i-- > 0;)
		if (hit[i] && ui_window_geometry(ui, list[i],
		    &(*out)[nout]) == 0)
			nout++;
	*np = nout;
	free(hit);
	free(up);
	free(list);
	matcher_free(&mt);
	if (ui->dead) {
		ui_windows_free(*out, nout);
		*out = NULL;
		*np = 0;
		return fail(ui, "lost");
	}
	return 0;
}

void
ui_windows_free(struct ui_window *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ui_window_clear(&w[i]);
	free(w);
}

int
ui_window_alive(struct ui *ui, unsigned long id)
{
	XWindowAttributes a;
	int alive;

	xerr.code = 0;
	if (ui->dead)
		return -1;
	alive = XGetWindowAttributes(ui->dpy, id, &a) && xerr.code == 0;
	return ui->dead ? -1 : alive;
}

int
ui_window_find(struct ui *ui, const struct ui_match *m,
    const struct ui_wait *w, struct ui_window *out)
{
	memset(out, 0, sizeof *out);
	return poll_scan(ui, m, w, 1, out);
}

int
ui_window_wait_closed(struct ui *ui, const struct ui_match *m,
    const struct ui_wait *w)
{
	return poll_scan(ui, m, w, 0, NULL);
}

/* Property data of w (XFree it), or NULL; *n gets the item count. */
static unsigned char *
get_prop(struct ui *ui, Window w, Atom prop, Atom type, unsigned long *n)
{
	Atom actual;
	int format;
	unsigned long after;
	unsigned char *data = NULL;

	*n = 0;
	xerr.code = 0;
	if (XGetWindowProperty(ui->dpy, w, prop, 0, 1024, False, type,
	    &actual, &format, n, &after, &data) != Success || xerr.code != 0 ||
	    actual != type) {
		if (data != NULL)
			XFree(data);
		*n = 0;
		return NULL;
	}
	return data;
}

char *
ui_root_text(struct ui *ui, const char *name)
{
	Atom prop = XInternAtom(ui->dpy, name, True);
	unsigned long n = 0;
	unsigned char *data;
	char *s;

	if (prop == None || ui->dead)
		return NULL;
	if ((data = get_prop(ui, ui->root, prop, XA_STRING, &n)) == NULL)
		return NULL;
	s = xcalloc(1, n + 1);
	memcpy(s, data, n);
	XFree(data);
	return s;
}

/* Is an EWMH window manager running, and does it support feature? */
static int
wm_supports(struct ui *ui, Atom feature)
{
	unsigned char *d;
	unsigned long n, i;
	Window check, self = None;
	int ok = 0;

	d = get_prop(ui, ui->root, ui->atoms[A_NET_SUPPORTING_WM_CHECK],
	    XA_WINDOW, &n);
	if (d == NULL)
		return 0;
	check = n > 0 ? *(Window *)(void *)d : None;
	XFree(d);
	/* A stale property outlives a window manager that died. */
	d = get_prop(ui, check, ui->atoms[A_NET_SUPPORTING_WM_CHECK],
	    XA_WINDOW, &n);
	if (d != NULL) {
		self = n > 0 ? *(Window *)(void *)d : None;
		XFree(d);
	}
	if (check == None || self != check)
		return 0;
	d = get_prop(ui, ui->root, ui->atoms[A_NET_SUPPORTED], XA_ATOM, &n);
	if (d == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (((Atom *)(void *)d)[i] == feature)
			ok = 1;
	}
	XFree(d);
	return ok;
}

/* Is w the window id or inside it? */
static int
inside(struct ui *ui, Window w, Window id)
{
	Window rootw, parent, *kids;
	unsigned int nk;

	while (w != None && w != ui->root) {
		if (w == id)
			return 1;
		xerr.code = 0;
		if (!XQueryTree(ui->dpy, w, &rootw, &parent, &kids, &nk) ||
		    xerr.code != 0)
			return 0;
		if (kids != NULL)
			XFree(kids);
		w = parent;
	}
	return 0;
}

static int
has_focus(struct ui *ui, Window id)
{
	Window f;
	int revert;

	XGetInputFocus(ui->dpy, &f, &revert);
	if (f == None || f == PointerRoot)
		return 0;
	return inside(ui, f, id);
}

int
ui_window_activate(struct ui *ui, unsigned long id, int64_t timeout_ms)
{
	XWindowAttributes a;
	XEvent ev;
	int64_t start = time_mono_ms();
	int rc;

	xerr.code = 0;
	if (!XGetWindowAttributes(ui->dpy, id, &a) || xsync_failed(ui))
		return fail(ui, "window %lu no longer exists", id);
	if (a.map_state != IsViewable) {
		xdo_map_window(ui->xdo, id);
		while (!window_viewable(ui, id)) {
			if (ui->dead || time_mono_ms() - start >= timeout_ms)
				return fail(ui, "window %lu did not become "
				    "visible within %lld ms", id,
				    (long long)timeout_ms);
			time_sleep_ms(10, NULL);
		}
	}
	if (wm_supports(ui, ui->atoms[A_NET_ACTIVE_WINDOW])) {
		/* Ask the window manager, as a pager would (source 2). */
		memset(&ev, 0, sizeof ev);
		ev.xclient.type = ClientMessage;
		ev.xclient.window = id;
		ev.xclient.message_type = ui->atoms[A_NET_ACTIVE_WINDOW];
		ev.xclient.format = 32;
		ev.xclient.data.l[0] = 2;
		ev.xclient.data.l[1] = CurrentTime;
		rc = XSendEvent(ui->dpy, ui->root, False,
		    SubstructureRedirectMask | SubstructureNotifyMask, &ev) ?
		    XDO_SUCCESS : XDO_ERROR;
	} else {
		/* No window manager (Xvfb): do its job ourselves. */
		xdo_raise_window(ui->xdo, id);
		rc = xdo_focus_window(ui->xdo, id);
	}
	if (rc != XDO_SUCCESS || xsync_failed(ui))
		return fail(ui, "could not activate window %lu", id);
	ui->focus_cache = None;
	for (;;) {
		if (has_focus(ui, id))
			return 0;
		if (ui->dead || time_mono_ms() - start >= timeout_ms)
			return fail(ui, "window %lu did not get the keyboard "
			    "focus within %lld ms", id, (long long)timeout_ms);
		time_sleep_ms(5, NULL);
	}
}

int
ui_window_move(struct ui *ui, unsigned long id, int x, int y)
{
	xerr.code = 0;
	if (xdo_move_window(ui->xdo, id, x, y) != XDO_SUCCESS ||
	    xsync_failed(ui))
		return fail(ui, "could not move window %lu", id);
	return 0;
}

static int speaks_ping(struct ui *, Window);
static int ping(struct ui *, Window, int64_t);

int
ui_window_resize(struct ui *ui, unsigned long id, int width, int height)
{
	XWindowAttributes a;
	int64_t deadline = time_mono_ms() + SETTLE_MS;

	if (width <= 0 || height <= 0)
		return fail(ui, "window size %dx%d is not positive", width,
		    height);
	xerr.code = 0;
	if (xdo_set_window_size(ui->xdo, id, width, height, 0) != XDO_SUCCESS ||
	    xsync_failed(ui))
		return fail(ui, "could not resize window %lu", id);
	/*
	 * A toolkit lays its widgets out again on its next frame, after it
	 * has read the new size: a click sent at once may land on the old
	 * layout.  Wait for the size (a window manager may take a moment),
	 * for the application to have read it, and for two frames.  The
	 * window may refuse the size (a minimum); then it keeps its own.
	 */
	while (XGetWindowAttributes(ui->dpy, id, &a) && xerr.code == 0 &&
	    (a.width != width || a.height != height) && time_mono_ms() < deadline)
		time_sleep_ms(5, NULL);
	if (speaks_ping(ui, id))
		ping(ui, id, deadline - time_mono_ms());
	time_sleep_ms(50, NULL);
	return 0;
}

/* --- settling: has the application read what we sent? ------------------ */

static int
speaks_ping(struct ui *ui, Window w)
{
	Atom *protos = NULL;
	int n = 0, i, ok = 0;

	xerr.code = 0;
	if (!XGetWMProtocols(ui->dpy, w, &protos, &n) || xerr.code != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (protos[i] == ui->atoms[A_NET_WM_PING])
			ok = 1;
	}
	if (protos != NULL)
		XFree(protos);
	return ok;
}

/* A window below w (depth levels at most) that answers pings, or None. */
static Window
ping_child(struct ui *ui, Window w, int depth)
{
	Window rootw, parent, *kids = NULL, found = None;
	unsigned int nk = 0, i;

	if (depth == 0)
		return None;
	xerr.code = 0;
	if (!XQueryTree(ui->dpy, w, &rootw, &parent, &kids, &nk) ||
	    xerr.code != 0)
		return None;
	for (i = 0; i < nk && found == None; i++) {
		if (speaks_ping(ui, kids[i]))
			found = kids[i];
		else
			found = ping_child(ui, kids[i], depth - 1);
	}
	if (kids != NULL)
		XFree(kids);
	return found;
}

/*
 * Find the client that receives keyboard input now.  Returns -1 when
 * nothing does (no focus, or the pointer is over the bare root window);
 * otherwise 0 with *ping the client window when it answers _NET_WM_PING,
 * None when it does not.
 */
static int
key_target(struct ui *ui, Window *ping)
{
	Window f, w, rootw, parent, child, *kids;
	unsigned int nk, mask;
	int revert, rx, ry, wx, wy;

	*ping = None;
	XGetInputFocus(ui->dpy, &f, &revert);
	if (f == None)
		return -1;
	if (f == PointerRoot || f == ui->root) {
		/* Keys go to the window under the pointer. */
		if (!XQueryPointer(ui->dpy, ui->root, &rootw, &child, &rx, &ry,
		    &wx, &wy, &mask) || child == None)
			return -1;
		f = child;
	}
	if (f == ui->focus_cache) {
		*ping = ui->ping_cache;
		return 0;
	}
	for (w = f; w != None && w != ui->root; w = parent) {
		if (speaks_ping(ui, w)) {
			*ping = w;
			break;
		}
		xerr.code = 0;
		if (!XQueryTree(ui->dpy, w, &rootw, &parent, &kids, &nk) ||
		    xerr.code != 0)
			break;
		if (kids != NULL)
			XFree(kids);
	}
	/* The focus may rest on a window manager's frame. */
	if (*ping == None)
		*ping = ping_child(ui, f, 2);
	ui->focus_cache = f;
	ui->ping_cache = *ping;
	return 0;
}

/*
 * Send _NET_WM_PING to w and wait for the answer.  Events reach a client in
 * the order the server queued them, so the answer means w has read every
 * key sent before the ping - and translated it with the keyboard map of
 * that moment.  Returns 0 or UI_TIMEOUT.
 */
static int
ping(struct ui *ui, Window w, int64_t timeout_ms)
{
	XEvent ev;
	unsigned long serial = ++ui->ping_serial;
	int64_t deadline = time_mono_ms() + timeout_ms;
	int r = UI_TIMEOUT;

	memset(&ev, 0, sizeof ev);
	ev.xclient.type = ClientMessage;
	ev.xclient.window = w;
	ev.xclient.message_type = ui->atoms[A_WM_PROTOCOLS];
	ev.xclient.format = 32;
	ev.xclient.data.l[0] = (long)ui->atoms[A_NET_WM_PING];
	ev.xclient.data.l[1] = (long)serial;
	ev.xclient.data.l[2] = (long)w;
	/* The answer is sent to the root window. */
	XSelectInput(ui->dpy, ui->root, SubstructureNotifyMask);
	xerr.code = 0;
	XSendEvent(ui->dpy, w, False, NoEventMask, &ev);
	if (xsync_failed(ui)) {
		ui->focus_cache = None;
		r = 0;		/* gone: there is nobody to wait for */
		goto out;
	}
	while (r == UI_TIMEOUT) {
		while (XPending(ui->dpy) > 0) {
			XNextEvent(ui->dpy, &ev);
			if (ev.type == ClientMessage &&
			    ev.xclient.message_type ==
			    ui->atoms[A_WM_PROTOCOLS] &&
			    (Atom)ev.xclient.data.l[0] ==
			    ui->atoms[A_NET_WM_PING] &&
			    (unsigned long)ev.xclient.data.l[1] == serial)
				r = 0;
			else if ((ev.type == DestroyNotify &&
			    ev.xdestroywindow.window == w) ||
			    (ev.type == UnmapNotify && ev.xunmap.window == w))
				r = 0;
		}
		if (r == 0 || ui->dead || time_mono_ms() >= deadline)
			break;
		wait_readable(ui, deadline - time_mono_ms());
	}
out:
	XSelectInput(ui->dpy, ui->root, NoEventMask);
	XSync(ui->dpy, False);
	while (XPending(ui->dpy) > 0)
		XNextEvent(ui->dpy, &ev);
	return r;
}

int
ui_sync(struct ui *ui, int64_t timeout_ms)
{
	Window w;
	int r = 0;

	if (!ui->sent || ui->dead)
		return 0;
	XSync(ui->dpy, False);
	if (key_target(ui, &w) == 0 && w != None)
		r = ping(ui, w, timeout_ms);
	else
		time_sleep_ms(NO_PING_PAUSE_MS, NULL);
	ui->sent = 0;
	return r;
}

/*
 * Wait until the client that got pool keys since the last settle has read
 * them, so that their keycodes may be bound anew.  Returns 0, or
 * UI_TIMEOUT when it did not answer in time.
 */
static int
settle(struct ui *ui, int64_t timeout_ms)
{
	int r = 0;

	XFlush(ui->dpy);
	ui->gen++;
	if (!ui->pool_pending)
		return 0;
	if (ui->pool_target != None) {
		r = ping(ui, ui->pool_target, timeout_ms);
	} else {
		XSync(ui->dpy, False);
		time_sleep_ms(NO_PING_PAUSE_MS, NULL);
	}
	if (r == 0)
		ui->pool_pending = 0;
	return r;
}

/*
 * Note that a pool key goes to this call's receiver.  When an earlier
 * receiver may still be reading pool keys, wait for it first: one
 * receiver is tracked at a time.
 */
static int
pool_press(struct ui *ui)
{
	if (ui->pool_pending && ui->pool_target != ui->key_target &&
	    settle(ui, SETTLE_MS) != 0)
		return fail(ui, "the window that got the last keys stopped "
		    "reading them for more than %d ms", SETTLE_MS);
	ui->pool_pending = 1;
	ui->pool_target = ui->key_target;
	return 0;
}

/* --- keyboard ---------------------------------------------------------- */

static KeySym
char_keysym(uint32_t cp)
{
	if (cp == '\n' || cp == '\r')
		return XK_Return;
	if (cp == '\t')
		return XK_Tab;
	if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff))
		return (KeySym)cp;	/* Latin-1 keysyms are the code */
	return (KeySym)(0x01000000 | cp);	/* Unicode keysyms */
}

static int
in_pool(const struct ui *ui, int kc)
{
	int i;

	for (i = 0; i < ui->npool; i++) {
		if (ui->pool[i].code == kc)
			return 1;
	}
	return 0;
}

/* The key that types sym on its own or with Shift; 0 when none does. */
static KeyCode
find_key(const struct ui *ui, KeySym sym, int *shift)
{
	int kc, col;

	for (col = 0; col < 2 && col < ui->per; col++) {
		for (kc = ui->kc_lo; kc <= ui->kc_hi; kc++) {
			if (map_sym(ui, kc, col) == sym && !in_pool(ui, kc)) {
				*shift = col;
				return (KeyCode)kc;
			}
		}
	}
	return 0;
}

static void
press(struct ui *ui, KeyCode kc, int shift)
{
	if (shift)
		XTestFakeKeyEvent(ui->dpy, ui->shift, True, CurrentTime);
	XTestFakeKeyEvent(ui->dpy, kc, True, CurrentTime);
	XTestFakeKeyEvent(ui->dpy, kc, False, CurrentTime);
	if (shift)
		XTestFakeKeyEvent(ui->dpy, ui->shift, False, CurrentTime);
}

/*
 * A pool keycode bound to sym, binding one if needed.  Returns NULL after
 * fail() when the pool is empty or the application stopped reading.
 */
static struct slot *
bind_slot(struct ui *ui, KeySym sym)
{
	struct slot *s, *pick = NULL;
	int i;

	for (i = 0; i < ui->npool; i++) {
		s = &ui->pool[i];
		if (s->sym == sym)
			return s;
		if (pick == NULL || (pick->sym != NoSymbol &&
		    (s->sym == NoSymbol || s->lru < pick->lru)))
			pick = s;
	}
	if (pick == NULL) {
		fail(ui, "the keyboard map has no free keycode to type "
		    "U+%04lX with", (unsigned long)(sym & 0xffffff));
		return NULL;
	}
	if (pick->sym != NoSymbol && pick->gen == ui->gen &&
	    settle(ui, SETTLE_MS) != 0) {
		fail(ui, "the window that got the last keys stopped "
		    "reading them for more than %d ms", SETTLE_MS);
		return NULL;
	}
	XChangeKeyboardMapping(ui->dpy, pick->code, 1, &sym, 1);
	if (pick->sym == NoSymbol) {
		pick->sym = sym;
		pool_record(ui);	/* a keycode more to give back */
	}
	pick->sym = sym;
	return pick;
}

static int
no_focus(struct ui *ui)
{
	return fail(ui, "no window has the keyboard focus (activate one "
	    "first, e.g. ui.window with activate: true)");
}

/* Decode text into code points; NULL after fail() when it is not UTF-8. */
static uint32_t *
decode_text(struct ui *ui, const char *text, size_t *np)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), off = 0, k, n = 0;
	uint32_t *cps = xreallocarray(NULL, len + 1, sizeof *cps);
	uint32_t cp;

	while (off < len) {
		k = utf8_decode(s + off, len - off, &cp);
		if (k == 0) {
			free(cps);
			fail(ui, "text is not valid UTF-8 at byte %zu", off);
			return NULL;
		}
		if ((cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\r') ||
		    cp == 0x7f) {
			free(cps);
			fail(ui, "text holds control character U+%04X at "
			    "byte %zu; only \\n and \\t can be typed", cp, off);
			return NULL;
		}
		/* CR LF is one Return. */
		if (cp == '\n' && n > 0 && cps[n - 1] == '\r')
			cps[n - 1] = '\n';
		else
			cps[n++] = cp;
		off += k;
	}
	*np = n;
	return cps;
}

static int
type_keys(struct ui *ui, const uint32_t *cps, size_t n, int delay_ms,
    const struct ui_wait *w)
{
	struct slot *s;
	KeySym sym;
	KeyCode kc;
	Window target;
	size_t i;
	int shift;

	if (key_target(ui, &target) != 0)
		return no_focus(ui);
	ui->key_target = target;
	load_keymap(ui);
	for (i = 0; i < n; i++) {
		sym = char_keysym(cps[i]);
		kc = find_key(ui, sym, &shift);
		if (kc != 0) {
			press(ui, kc, shift);
		} else {
			if ((s = bind_slot(ui, sym)) == NULL ||
			    pool_press(ui) != 0)
				return -1;
			press(ui, s->code, 0);
			s->gen = ui->gen;
			s->lru = ++ui->tick;
		}
		if (delay_ms > 0) {
			XFlush(ui->dpy);
			time_sleep_ms(delay_ms, NULL);
		}
		/* Typing slowly, every key is a moment to stop at. */
		if ((i % 256 == 255 || delay_ms > 0) && w->cancelled != NULL &&
		    w->cancelled(w->arg))
			return fail(ui, "the run was cancelled after %zu "
			    "characters", i + 1);
	}
	/*
	 * No waiting for the application here: X delivers its events in
	 * order, so whatever a later step sends arrives after these keys.
	 * Only re-binding a pool keycode (bind_slot) and ui_close() must wait.
	 */
	XFlush(ui->dpy);
	return 0;
}

/* Key names people write, matched without regard to case. */
static const struct {
	const char	*alias;
	const char	*keysym;
} key_aliases[] = {
	{ "ctrl", "Control_L" },	{ "control", "Control_L" },
	{ "alt", "Alt_L" },		{ "shift", "Shift_L" },
	{ "super", "Super_L" },		{ "win", "Super_L" },
	{ "meta", "Meta_L" },		{ "altgr", "ISO_Level3_Shift" },
	{ "enter", "Return" },		{ "return", "Return" },
	{ "esc", "Escape" },		{ "escape", "Escape" },
	{ "tab", "Tab" },		{ "space", "space" },
	{ "backspace", "BackSpace" },	{ "bs", "BackSpace" },
	{ "del", "Delete" },		{ "delete", "Delete" },
	{ "ins", "Insert" },		{ "insert", "Insert" },
	{ "home", "Home" },		{ "end", "End" },
	{ "pgup", "Prior" },		{ "pageup", "Prior" },
	{ "pgdn", "Next" },		{ "pagedown", "Next" },
	{ "up", "Up" },			{ "down", "Down" },
	{ "left", "Left" },		{ "right", "Right" },
	{ "menu", "Menu" },		{ "capslock", "Caps_Lock" },
	{ "print", "Print" },
};

/* Resolve one key name to a keysym; NoSymbol after fail() if none. */
static KeySym
key_name(struct ui *ui, const char *name, const char *chord)
{
	KeySym sym = NoSymbol;
	char fkey[8];
	uint32_t cp;
	size_t i;
	long n;
	char *end;

	for (i = 0; i < sizeof key_aliases / sizeof key_aliases[0]; i++) {
		if (strcasecmp(name, key_aliases[i].alias) == 0) {
			sym = XStringToKeysym(key_aliases[i].keysym);
			break;
		}
	}
	if (sym == NoSymbol)
		sym = XStringToKeysym(name);
	if (sym == NoSymbol && (name[0] == 'f' || name[0] == 'F') &&
	    name[1] >= '1' && name[1] <= '9') {
		n = strtol(name + 1, &end, 10);
		if (*end == '\0' && n >= 1 && n <= 35) {
			snprintf(fkey, sizeof fkey, "F%ld", n);
			sym = XStringToKeysym(fkey);
		}
	}
	if (sym == NoSymbol && utf8_decode((const unsigned char *)name,
	    strlen(name), &cp) == strlen(name) && cp >= 0x20)
		sym = char_keysym(cp);
	if (sym == NoSymbol)
		fail(ui, "unknown key '%s' in '%s'", name, chord);
	return sym;
}

/*
 * Turn "ctrl+shift+Tab Return" into keysyms, each chord ended by a
 * NoSymbol: Control_L Shift_L Tab 0 Return 0.  A "+" where a name should
 * start is the plus key ("ctrl++").  NULL after fail().
 */
static KeySym *
parse_keys(struct ui *ui, const char *keys, size_t *np)
{
	KeySym *syms = NULL, sym;
	char name[64], *word = NULL;
	const char *p = keys, *q;
	size_t n = 0, len, wlen;

	for (;;) {
		p += strspn(p, " \t\n");
		if (*p == '\0')
			break;
		wlen = strcspn(p, " \t\n");
		word = xstrndup(p, wlen);
		p += wlen;
		for (q = word; *q != '\0';) {
			len = *q == '+' ? 1 : strcspn(q, "+");
			if (len >= sizeof name) {
				fail(ui, "key name too long in '%s'", word);
				goto err_out;
			}
			memcpy(name, q, len);
			name[len] = '\0';
			if ((sym = key_name(ui, name, word)) == NoSymbol)
				goto err_out;
			syms = xreallocarray(syms, n + 2, sizeof *syms);
			syms[n++] = sym;
			q += len;
			if (*q == '+')
				q++;
		}
		free(word);
		word = NULL;
		syms[n++] = NoSymbol;
	}
	if (n == 0) {
		fail(ui, "no keys given");
		goto err_out;
	}
	*np = n;
	return syms;
err_out:
	free(word);
	free(syms);
	return NULL;
}

/*
 * Press the chord syms[0..n) in order and release it in reverse, adding
 * Shift for keys that sit on the shifted level.  Keys the map lacks are
 * bound in the pool, as for typing.
 */
static int
press_chord(struct ui *ui, const KeySym *syms, size_t n, int delay_ms)
{
	KeyCode codes[16];
	struct slot *s;
	size_t i;
	int shift, need_shift = 0, has_shift = 0;

	if (n > sizeof codes / sizeof codes[0])
		return fail(ui, "a chord of %zu keys is too long", n);
	for (i = 0; i < n; i++) {
		codes[i] = find_key(ui, syms[i], &shift);
		if (codes[i] == 0) {
			if ((s = bind_slot(ui, syms[i])) == NULL ||
			    pool_press(ui) != 0)
				return -1;
			s->gen = ui->gen;
			s->lru = ++ui->tick;
			codes[i] = s->code;
			shift = 0;
		}
		need_shift |= shift;
		has_shift |= codes[i] == ui->shift;
	}
	if (need_shift && !has_shift)
		XTestFakeKeyEvent(ui->dpy, ui->shift, True, CurrentTime);
	for (i = 0; i < n; i++)
		XTestFakeKeyEvent(ui->dpy, codes[i], True, CurrentTime);
	if (delay_ms > 0) {
		XFlush(ui->dpy);
		time_sleep_ms(delay_ms, NULL);
	}
	for (i = n; i-- > 0;)
		XTestFakeKeyEvent(ui->dpy, codes[i], False, CurrentTime);
	if (need_shift && !has_shift)
		XTestFakeKeyEvent(ui->dpy, ui->shift, False, CurrentTime);
	return 0;
}

int
ui_key(struct ui *ui, const char *keys, int repeat, int delay_ms)
{
	KeySym *syms;
	size_t n, i, start;
	Window target;
	int r, rc = 0;

	ui->sent = 1;
	if ((syms = parse_keys(ui, keys, &n)) == NULL)
		return -1;
	if (key_target(ui, &target) != 0)
		rc = no_focus(ui);
	else {
		ui->key_target = target;
		load_keymap(ui);
	}
	for (r = 0; rc == 0 && r < repeat; r++) {
		for (start = i = 0; rc == 0 && i < n; i++) {
			if (syms[i] != NoSymbol)
				continue;
			rc = press_chord(ui, syms + start, i - start, delay_ms);
			start = i + 1;
			if (delay_ms > 0) {
				XFlush(ui->dpy);
				time_sleep_ms(delay_ms, NULL);
			}
		}
	}
	free(syms);
	XFlush(ui->dpy);
	return rc;
}

/* --- mouse ------------------------------------------------------------- */

static int
on_screen(struct ui *ui, int x, int y)
{
	int w = DisplayWidth(ui->dpy, ui->screen);
	int h = DisplayHeight(ui->dpy, ui->screen);

	if (x < 0 || y < 0 || x >= w || y >= h)
		return fail(ui, "point (%d, %d) is outside the %dx%d screen",
		    x, y, w, h);
	return 0;
}

static int
check_button(struct ui *ui, int button)
{
	if (button < 1 || button > 9)
		return fail(ui, "mouse button %d does not exist", button);
	return 0;
}

int
ui_mouse(struct ui *ui, enum ui_mouse_op op, int x, int y, int button)
{
	int rc = XDO_SUCCESS;

	ui->sent = 1;
	switch (op) {
	case UI_MOUSE_MOVE:
		if (on_screen(ui, x, y) != 0)
			return -1;
		rc = xdo_move_mouse(ui->xdo, x, y, ui->screen);
		break;
	case UI_MOUSE_PRESS:
		if (check_button(ui, button) != 0)
			return -1;
		rc = xdo_mouse_down(ui->xdo, CURRENTWINDOW, button);
		break;
	case UI_MOUSE_RELEASE:
		if (check_button(ui, button) != 0)
			return -1;
		rc = xdo_mouse_up(ui->xdo, CURRENTWINDOW, button);
		break;
	}
	if (rc != XDO_SUCCESS)
		return fail(ui, "the X server refused the pointer event");
	XFlush(ui->dpy);
	return 0;
}

int
ui_mouse_drag(struct ui *ui, int x1, int y1, int x2, int y2, int button,
    int steps)
{
	int i;

	ui->sent = 1;
	if (on_screen(ui, x1, y1) != 0 || on_screen(ui, x2, y2) != 0 ||
	    check_button(ui, button) != 0)
		return -1;
	if (steps < 1)
		steps = 1;
	if (ui_mouse(ui, UI_MOUSE_MOVE, x1, y1, button) != 0 ||
	    ui_mouse(ui, UI_MOUSE_PRESS, 0, 0, button) != 0)
		return -1;
	for (i = 1; i <= steps; i++) {
		/* Toolkits start a drag only after motion they can see. */
		time_sleep_ms(5, NULL);
		if (ui_mouse(ui, UI_MOUSE_MOVE, x1 + (x2 - x1) * i / steps,
		    y1 + (y2 - y1) * i / steps, button) != 0)
			return -1;
	}
	return ui_mouse(ui, UI_MOUSE_RELEASE, 0, 0, button);
}

int
ui_click(struct ui *ui, unsigned long id, int x, int y, int button,
    int count, int *sx, int *sy)
{
	struct ui_window g;
	Window rootw, child;
	int rx, ry, wx, wy;
	unsigned int mask;

	ui->sent = 1;
	if (check_button(ui, button) != 0)
		return -1;
	if (count < 1 || count > 3)
		return fail(ui, "click count %d is not 1, 2 or 3", count);
	if (id != 0) {
		if (ui_window_geometry(ui, id, &g) != 0)
			return -1;
		ui_window_clear(&g);
		if (x < 0 || y < 0 || x >= g.width || y >= g.height)
			return fail(ui, "point (%d, %d) is outside window %lu "
			    "(%dx%d)", x, y, id, g.width, g.height);
		if (ui_window_activate(ui, id, SETTLE_MS) != 0)
			return -1;
		x += g.x;
		y += g.y;
	}
	if (ui_mouse(ui, UI_MOUSE_MOVE, x, y, button) != 0)
		return -1;
	if (id == 0 && !wm_supports(ui, ui->atoms[A_NET_ACTIVE_WINDOW]) &&
	    XQueryPointer(ui->dpy, ui->root, &rootw, &child, &rx, &ry, &wx,
	    &wy, &mask) && child != None) {
		/* Without a window manager a click does not focus. */
		if (ui_window_activate(ui, child, SETTLE_MS) != 0)
			return -1;
	}
	if (xdo_click_window_multiple(ui->xdo, CURRENTWINDOW, button, count,
	    count > 1 ? 30000 : 0) != XDO_SUCCESS)
		return fail(ui, "the X server refused the click");
	XFlush(ui->dpy);
	if (sx != NULL)
		*sx = x;
	if (sy != NULL)
		*sy = y;
	return 0;
}

/* --- screenshots ------------------------------------------------------- */

static void
mask_shift(unsigned long mask, int *shift, int *bits)
{
	*shift = 0;
	*bits = 0;
	if (mask == 0)
		return;
	while (!(mask & 1)) {
		mask >>= 1;
		(*shift)++;
	}
	while (mask & 1) {
		mask >>= 1;
		(*bits)++;
	}
}

static unsigned char
channel(unsigned long px, unsigned long mask, int shift, int bits)
{
	unsigned long v = (px & mask) >> shift;

	if (bits >= 8)
		return (unsigned char)(v >> (bits - 8));
	return bits > 0 ? (unsigned char)(v * 255 / ((1ul << bits) - 1)) : 0;
}

/* Pixels of img as packed RGB rows (xmalloc'd). */
static unsigned char *
image_rgb(XImage *img)
{
	unsigned char *rgb = xreallocarray(NULL, (size_t)img->width * 3,
	    (size_t)img->height), *o = rgb;
	const unsigned char *row;
	unsigned long px;
	int x, y, rs, rb, gs, gb, bs, bb;

	if (img->bits_per_pixel == 32 && img->byte_order == LSBFirst &&
	    img->red_mask == 0xff0000 && img->green_mask == 0xff00 &&
	    img->blue_mask == 0xff) {
		for (y = 0; y < img->height; y++) {
			row = (const unsigned char *)img->data +
			    (size_t)y * (size_t)img->bytes_per_line;
			for (x = 0; x < img->width; x++, row += 4) {
				*o++ = row[2];
				*o++ = row[1];
				*o++ = row[0];
			}
		}
		return rgb;
	}
	mask_shift(img->red_mask, &rs, &rb);
	mask_shift(img->green_mask, &gs, &gb);
	mask_shift(img->blue_mask, &bs, &bb);
	for (y = 0; y < img->height; y++) {
		for (x = 0; x < img->width; x++) {
			px = XGetPixel(img, x, y);
			*o++ = channel(px, img->red_mask, rs, rb);
			*o++ = channel(px, img->green_mask, gs, gb);
			*o++ = channel(px, img->blue_mask, bs, bb);
		}
	}
	return rgb;
}

/* Write RGB rows to path through a temporary file; -1 after fail(). */
static int
write_png(struct ui *ui, const char *path, const unsigned char *rgb, int w,
    int h)
{
	char *tmp = xasprintf("%s.tmp", path);
	png_structp png = NULL;
	png_infop info = NULL;
	FILE *volatile f = NULL;
	int y;

	f = fopen(tmp, "wb");
	if (f == NULL) {
		fail(ui, "cannot write %s: %s", tmp, strerror(errno));
		goto err_out;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		fail(ui, "libpng could not start");
		goto err_out;
	}
	if (setjmp(png_jmpbuf(png))) {
		fail(ui, "libpng failed writing %s", tmp);
		goto err_out;
	}
	png_init_io(png, f);
	/* Screens are flat colour: fast compression loses little. */
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
	    PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++)
		png_write_row(png, rgb + (size_t)y * (size_t)w * 3);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fail(ui, "cannot write %s: %s", tmp, strerror(errno));
		goto err_out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		fail(ui, "cannot write %s: %s", tmp, strerror(errno));
		goto err_out;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		fail(ui, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto err_out;
	}
	free(tmp);
	return 0;
err_out:
	if (png != NULL)
		png_destroy_write_struct(&png, info != NULL ? &info : NULL);
	if (f != NULL)
		fclose(f);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
ui_screenshot_png(struct ui *ui, unsigned long id, const char *path,
    int *wp, int *hp)
{
	struct ui_window g;
	XImage *img;
	unsigned char *rgb;
	int sw = DisplayWidth(ui->dpy, ui->screen);
	int sh = DisplayHeight(ui->dpy, ui->screen);
	int x = 0, y = 0, w = sw, h = sh, rc;

	if (id != 0) {
		/* What the screen shows where the window is. */
		if (ui_window_geometry(ui, id, &g) != 0)
			return -1;
		ui_window_clear(&g);
		x = g.x < 0 ? 0 : g.x;
		y = g.y < 0 ? 0 : g.y;
		w = (g.x + g.width > sw ? sw : g.x + g.width) - x;
		h = (g.y + g.height > sh ? sh : g.y + g.height) - y;
		if (w <= 0 || h <= 0)
			return fail(ui, "window %lu is off the screen", id);
	}
	xerr.code = 0;
	img = XGetImage(ui->dpy, ui->root, x, y, (unsigned)w, (unsigned)h,
	    AllPlanes, ZPixmap);
	if (img == NULL || xsync_failed(ui)) {
		if (img != NULL)
			XDestroyImage(img);
		return fail(ui, "could not read the screen of display %s",
		    ui->display);
	}
	rgb = image_rgb(img);
	XDestroyImage(img);
	rc = write_png(ui, path, rgb, w, h);
	free(rgb);
	if (rc == 0) {
		if (wp != NULL)
			*wp = w;
		if (hp != NULL)
			*hp = h;
	}
	return rc;
}

/* Fill a 32 bpp PIX with the pixels of img (leptonica wants RGBx words). */
static void
image_to_pix(XImage *img, PIX *pix)
{
	l_uint32 *data = pixGetData(pix), *line;
	const unsigned char *row;
	unsigned long px;
	int x, y, wpl = pixGetWpl(pix), rs, rb, gs, gb, bs, bb;
	uint32_t v;

	if (img->bits_per_pixel == 32 && img->byte_order == LSBFirst &&
	    img->red_mask == 0xff0000 && img->green_mask == 0xff00 &&
	    img->blue_mask == 0xff) {
		for (y = 0; y < img->height; y++) {
			row = (const unsigned char *)img->data +
			    (size_t)y * (size_t)img->bytes_per_line;
			line = data + (size_t)y * (size_t)wpl;
			for (x = 0; x < img->width; x++, row += 4) {
				v = (uint32_t)row[2] << 24 |
				    (uint32_t)row[1] << 16 |
				    (uint32_t)row[0] << 8;
				line[x] = v;
			}
		}
		return;
	}
	mask_shift(img->red_mask, &rs, &rb);
	mask_shift(img->green_mask, &gs, &gb);
	mask_shift(img->blue_mask, &bs, &bb);
	for (y = 0; y < img->height; y++) {
		line = data + (size_t)y * (size_t)wpl;
		for (x = 0; x < img->width; x++) {
			px = XGetPixel(img, x, y);
			line[x] = (uint32_t)channel(px, img->red_mask, rs, rb)
			    << 24 | (uint32_t)channel(px, img->green_mask, gs,
			    gb) << 16 | (uint32_t)channel(px, img->blue_mask, bs,
			    bb) << 8;
		}
	}
}

struct Pix *
ui_capture(struct ui *ui, unsigned long id, const int rect[4], int *oxp,
    int *oyp)
{
	struct ui_window g;
	XImage *img;
	PIX *pix;
	int sw = DisplayWidth(ui->dpy, ui->screen);
	int sh = DisplayHeight(ui->dpy, ui->screen);
	int wx = 0, wy = 0, x0, y0, x1, y1;

	if (id != 0) {
		if (ui_window_geometry(ui, id, &g) != 0)
			return NULL;
		wx = g.x;
		wy = g.y;
		x1 = g.x + g.width;
		y1 = g.y + g.height;
		ui_window_clear(&g);
	} else {
		x1 = sw;
		y1 = sh;
	}
	x0 = wx;
	y0 = wy;
	if (rect != NULL) {
		if (rect[2] <= 0 || rect[3] <= 0) {
			fail(ui, "a region of %dx%d pixels is empty", rect[2],
			    rect[3]);
			return NULL;
		}
		/* The region, within the window. */
		x0 = wx + rect[0] > x0 ? wx + rect[0] : x0;
		y0 = wy + rect[1] > y0 ? wy + rect[1] : y0;
		x1 = wx + rect[0] + rect[2] < x1 ? wx + rect[0] + rect[2] : x1;
		y1 = wy + rect[1] + rect[3] < y1 ? wy + rect[1] + rect[3] : y1;
	}
	/* And within the screen. */
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > sw ? sw : x1;
	y1 = y1 > sh ? sh : y1;
	if (x1 <= x0 || y1 <= y0) {
		if (id != 0)
			fail(ui, "%s of window %lu is off the screen",
			    rect != NULL ? "the region" : "all", id);
		else
			fail(ui, "the region is off the screen");
		return NULL;
	}
	xerr.code = 0;
	img = XGetImage(ui->dpy, ui->root, x0, y0, (unsigned)(x1 - x0),
	    (unsigned)(y1 - y0), AllPlanes, ZPixmap);
	if (img == NULL || xsync_failed(ui)) {
		if (img != NULL)
			XDestroyImage(img);
		fail(ui, "could not read the screen of display %s",
		    ui->display);
		return NULL;
	}
	pix = pixCreate(x1 - x0, y1 - y0, 32);
	if (pix == NULL) {
		XDestroyImage(img);
		fail(ui, "leptonica could not make a %dx%d image", x1 - x0,
		    y1 - y0);
		return NULL;
	}
	image_to_pix(img, pix);
	XDestroyImage(img);
	if (oxp != NULL)
		*oxp = x0 - wx;
	if (oyp != NULL)
		*oyp = y0 - wy;
	return pix;
}

/* --- clipboard --------------------------------------------------------- */

static int
child_xerror(Display *d, XErrorEvent *e)
{
	(void)d;
	(void)e;
	return 0;		/* a requestor that vanished is its problem */
}

static int
child_xioerror(Display *d)
{
	(void)d;
	_exit(0);		/* the display went away: so does the text */
}

static void
child_report(int fd, const char *msg)
{
	ssize_t r;

	do
		r = write(fd, msg, strlen(msg));
	while (r == -1 && errno == EINTR);
}

/* A server timestamp, which ICCCM wants for owning a selection. */
static Time
child_timestamp(Display *d, Window w, Atom prop)
{
	XEvent ev;

	XChangeProperty(d, w, prop, XA_STRING, 8, PropModeAppend,
	    (const unsigned char *)"", 0);
	for (;;) {
		XWindowEvent(d, w, PropertyChangeMask, &ev);
		if (ev.type == PropertyNotify && ev.xproperty.atom == prop)
			return ev.xproperty.time;
	}
}

/* Answer one SelectionRequest; returns 1 when text was handed out. */
static int
child_serve(Display *d, const Atom *atoms, Time owned,
    XSelectionRequestEvent *r, const char *text, size_t len,
    const char *latin1, size_t latin1_len)
{
	XEvent reply;
	Atom prop = r->property != None ? r->property : r->target;
	Atom targets[6];
	int n = 0, text_served = 0;

	memset(&reply, 0, sizeof reply);
	reply.xselection.type = SelectionNotify;
	reply.xselection.requestor = r->requestor;
	reply.xselection.selection = r->selection;
	reply.xselection.target = r->target;
	reply.xselection.time = r->time;
	reply.xselection.property = None;
	if (r->selection != atoms[A_CLIPBOARD] ||
	    (r->time != CurrentTime && r->time < owned)) {
		/* Not ours, or from before we owned it: refuse. */
	} else if (r->target == atoms[A_TARGETS]) {
		targets[n++] = atoms[A_TARGETS];
		targets[n++] = atoms[A_TIMESTAMP];
		targets[n++] = atoms[A_UTF8_STRING];
		targets[n++] = atoms[A_TEXT_PLAIN_UTF8];
		targets[n++] = atoms[A_TEXT];
		if (latin1 != NULL)
			targets[n++] = XA_STRING;
		XChangeProperty(d, r->requestor, prop, XA_ATOM, 32,
		    PropModeReplace, (unsigned char *)targets, n);
		reply.xselection.property = prop;
	} else if (r->target == atoms[A_TIMESTAMP]) {
		long t = (long)owned;

		XChangeProperty(d, r->requestor, prop, XA_INTEGER, 32,
		    PropModeReplace, (unsigned char *)&t, 1);
		reply.xselection.property = prop;
	} else if (r->target == atoms[A_UTF8_STRING] ||
	    r->target == atoms[A_TEXT] ||
	    r->target == atoms[A_TEXT_PLAIN_UTF8]) {
		XChangeProperty(d, r->requestor, prop,
		    r->target == atoms[A_TEXT_PLAIN_UTF8] ?
		    atoms[A_TEXT_PLAIN_UTF8] : atoms[A_UTF8_STRING], 8,
		    PropModeReplace, (const unsigned char *)text, (int)len);
		reply.xselection.property = prop;
		text_served = 1;
	} else if (r->target == XA_STRING && latin1 != NULL) {
		XChangeProperty(d, r->requestor, prop, XA_STRING, 8,
		    PropModeReplace, (const unsigned char *)latin1,
		    (int)latin1_len);
		reply.xselection.property = prop;
		text_served = 1;
	}
	XSendEvent(d, r->requestor, False, NoEventMask, &reply);
	XSync(d, False);
	return text_served;
}

/* The text in Latin-1 when every character fits, else NULL. */
static char *
to_latin1(const char *text, size_t len, size_t *outlen)
{
	char *out = xmalloc(len + 1);
	size_t off = 0, o = 0, k;
	uint32_t cp;

	while (off < len) {
		k = utf8_decode((const unsigned char *)text + off, len - off,
		    &cp);
		if (k == 0 || cp > 0xff) {
			free(out);
			return NULL;
		}
		out[o++] = (char)cp;
		off += k;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * The helper process: own CLIPBOARD and serve it until another client
 * takes it over or the display goes away.  Reports "R" (ready) or
 * "E<message>" on fd, then "S" each time it hands out the text.
 */
static void __attribute__((noreturn))
clip_helper(const char *display, const char *text, int fd)
{
	Display *d;
	Window w;
	Atom atoms[NATOMS];
	Time owned;
	XEvent ev;
	size_t len = strlen(text), latin1_len = 0;
	char *latin1 = to_latin1(text, len, &latin1_len);
	int null;

	setsid();
	prctl(PR_SET_NAME, "kobito-clip", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	/* Hold no descriptor of the run: not its output, not its files. */
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	null = open("/dev/null", O_RDWR);
	if (null != -1) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	closefrom(4);
	XSetErrorHandler(child_xerror);
	XSetIOErrorHandler(child_xioerror);
	d = XOpenDisplay(display);
	if (d == NULL) {
		child_report(fd, "Ecannot open the display");
		_exit(1);
	}
	XInternAtoms(d, (char **)atom_names, NATOMS, False, atoms);
	w = XCreateSimpleWindow(d, DefaultRootWindow(d), -10, -10, 1, 1, 0, 0,
	    0);
	XSelectInput(d, w, PropertyChangeMask);
	owned = child_timestamp(d, w, atoms[A_KOBITO_SELECTION]);
	XSetSelectionOwner(d, atoms[A_CLIPBOARD], w, owned);
	if (XGetSelectionOwner(d, atoms[A_CLIPBOARD]) != w) {
		child_report(fd, "Eanother client kept the clipboard");
		_exit(1);
	}
	child_report(fd, "R");
	for (;;) {
		XNextEvent(d, &ev);
		if (ev.type == SelectionClear &&
		    ev.xselectionclear.selection == atoms[A_CLIPBOARD])
			_exit(0);
		if (ev.type == SelectionRequest &&
		    child_serve(d, atoms, owned, &ev.xselectionrequest, text,
		    len, latin1, latin1_len))
			child_report(fd, "S");
	}
}

/* Read the helper's first report; 0 when it owns the clipboard. */
static int
clip_ready(struct ui *ui, int fd, int64_t timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char msg[256];
	ssize_t n;

	if (poll(&p, 1, timeout_ms > 10000 ? 10000 : (int)timeout_ms) <= 0)
		return fail(ui, "the clipboard helper did not start in time");
	n = read(fd, msg, sizeof msg - 1);
	if (n <= 0)
		return fail(ui, "the clipboard helper exited at once");
	msg[n] = '\0';
	if (msg[0] != 'R')
		return fail(ui, "could not set the clipboard: %s", msg + 1);
	return 0;
}

int
ui_clipboard_set(struct ui *ui, const char *text, const struct ui_wait *w)
{
	size_t len = strlen(text), max, off = 0, k;
	long words;
	uint32_t cp;
	int p[2], st;
	pid_t pid;

	while (off < len) {
		if ((k = utf8_decode((const unsigned char *)text + off,
		    len - off, &cp)) == 0)
			return fail(ui, "clipboard text is not valid UTF-8 at "
			    "byte %zu", off);
		off += k;
	}
	/* Larger texts would need the INCR protocol; nobody pastes them. */
	words = XExtendedMaxRequestSize(ui->dpy);
	if (words == 0)
		words = XMaxRequestSize(ui->dpy);
	max = (size_t)words * 4 - 1024;
	if (max > CLIP_MAX)
		max = CLIP_MAX;
	if (len > max)
		return fail(ui, "clipboard text of %zu bytes is over the %zu "
		    "this display takes", len, max);
	if (pipe2(p, O_CLOEXEC) == -1)
		return fail(ui, "pipe: %s", strerror(errno));
	XFlush(ui->dpy);
	pid = fork();
	if (pid == -1) {
		close(p[0]);
		close(p[1]);
		return fail(ui, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* Fork again so that the helper is nobody's zombie. */
		close(p[0]);
		pid = fork();
		if (pid != 0)
			_exit(pid == -1 ? 1 : 0);
		clip_helper(ui->display, text, p[1]);
	}
	close(p[1]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (clip_ready(ui, p[0], w->timeout_ms) != 0) {
		close(p[0]);
		return -1;
	}
	if (ui->clip_fd != -1)
		close(ui->clip_fd);
	ui->clip_fd = p[0];
	return 0;
}

/* Wait for a SelectionNotify to our window; 0 when it came. */
static int
wait_selection(struct ui *ui, XEvent *ev, int64_t deadline)
{
	for (;;) {
		if (XCheckTypedWindowEvent(ui->dpy, ui->own, SelectionNotify,
		    ev))
			return 0;
		if (ui->dead || time_mono_ms() >= deadline)
			return -1;
		wait_readable(ui, deadline - time_mono_ms());
	}
}

/* Read the INCR transfer that started on our property. */
static int
read_incr(struct ui *ui, struct buf *b, Atom *type, int64_t deadline)
{
	Atom prop = ui->atoms[A_KOBITO_SELECTION];
	unsigned char *data;
	unsigned long n, after;
	int format;
	XEvent ev;

	for (;;) {
		if (!XCheckTypedWindowEvent(ui->dpy, ui->own, PropertyNotify,
		    &ev)) {
			if (ui->dead || time_mono_ms() >= deadline)
				return fail(ui, "the clipboard owner stopped "
				    "sending");
			wait_readable(ui, deadline - time_mono_ms());
			continue;
		}
		if (ev.xproperty.atom != prop ||
		    ev.xproperty.state != PropertyNewValue)
			continue;
		data = NULL;
		if (XGetWindowProperty(ui->dpy, ui->own, prop, 0,
		    (long)(CLIP_MAX / 4), True, AnyPropertyType, type, &format,
		    &n, &after, &data) != Success)
			return fail(ui, "could not read the clipboard");
		if (n == 0) {
			if (data != NULL)
				XFree(data);
			return 0;
		}
		if (buf_append(b, data, n * (size_t)(format / 8)) != 0) {
			XFree(data);
			return fail(ui, "clipboard text is over %u bytes",
			    CLIP_MAX);
		}
		XFree(data);
	}
}

char *
ui_clipboard_get(struct ui *ui, const struct ui_wait *w)
{
	Atom targets[2] = { ui->atoms[A_UTF8_STRING], XA_STRING };
	Atom prop = ui->atoms[A_KOBITO_SELECTION], type;
	int64_t deadline = time_mono_ms() + (w->timeout_ms < 5000 ?
	    w->timeout_ms : 5000);
	unsigned char *data = NULL;
	unsigned long n, after;
	struct buf b;
	XEvent ev;
	char *s;
	size_t i;
	int format;

	if (XGetSelectionOwner(ui->dpy, ui->atoms[A_CLIPBOARD]) == None)
		return xstrdup("");
	while (XPending(ui->dpy) > 0)
		XNextEvent(ui->dpy, &ev);
	for (i = 0; i < 2; i++) {
		XDeleteProperty(ui->dpy, ui->own, prop);
		XConvertSelection(ui->dpy, ui->atoms[A_CLIPBOARD], targets[i],
		    prop, ui->own, CurrentTime);
		XFlush(ui->dpy);
		if (wait_selection(ui, &ev, deadline) != 0) {
			fail(ui, "the clipboard owner did not answer within "
			    "%lld ms", (long long)(w->timeout_ms < 5000 ?
			    w->timeout_ms : 5000));
			return NULL;
		}
		if (ev.xselection.property != None)
			break;
	}
	if (i == 2)
		return xstrdup("");	/* the owner has no text */
	if (XGetWindowProperty(ui->dpy, ui->own, prop, 0, (long)(CLIP_MAX / 4),
	    True, AnyPropertyType, &type, &format, &n, &after, &data) !=
	    Success) {
		fail(ui, "could not read the clipboard");
		return NULL;
	}
	buf_init(&b, CLIP_MAX);
	if (type == ui->atoms[A_INCR]) {
		if (data != NULL)
			XFree(data);
		if (read_incr(ui, &b, &type, deadline) != 0) {
			buf_free(&b);
			return NULL;
		}
	} else {
		if (data != NULL) {
			buf_append(&b, data, n * (size_t)(format / 8));
			XFree(data);
		}
	}
	s = text_to_utf8(ui, (const unsigned char *)buf_str(&b), b.len, type);
	buf_free(&b);
	return s;
}

/* Wait for the clipboard helper to say it handed out the text. */
static int
clip_served(struct ui *ui, int64_t timeout_ms)
{
	struct pollfd p = { .fd = ui->clip_fd, .events = POLLIN };
	int64_t deadline = time_mono_ms() + timeout_ms;
	char c;
	ssize_t n;

	for (;;) {
		p.revents = 0;
		if (poll(&p, 1, (int)(deadline - time_mono_ms() > 0 ?
		    deadline - time_mono_ms() : 0)) <= 0)
			return -1;
		n = read(ui->clip_fd, &c, 1);
		if (n <= 0)
			return -1;
		if (c == 'S')
			return 0;
	}
}

static int
type_paste(struct ui *ui, const char *text, const struct ui_wait *w)
{
	int64_t timeout = w->timeout_ms < 5000 ? w->timeout_ms : 5000;
	Window target;

	if (key_target(ui, &target) != 0)
		return no_focus(ui);
	if (ui_clipboard_set(ui, text, w) != 0)
		return -1;
	if (ui_key(ui, "ctrl+v", 1, 0) != 0)
		return -1;
	if (clip_served(ui, timeout) != 0)
		return fail(ui, "the focused window did not ask for the "
		    "clipboard within %lld ms of ctrl+v", (long long)timeout);
	return 0;
}

int
ui_type(struct ui *ui, const char *text, int delay_ms,
    enum ui_type_method method, const struct ui_wait *w)
{
	uint32_t *cps;
	size_t n;
	int rc;

	ui->sent = 1;
	if ((cps = decode_text(ui, text, &n)) == NULL)
		return -1;
	if (method == UI_TYPE_PASTE)
		rc = type_paste(ui, text, w);
	else
		rc = type_keys(ui, cps, n, delay_ms, w);
	free(cps);
	return rc;
}
