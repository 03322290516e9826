/*
 * act_ui.c - the ui.* actions: driving desktop applications on X11.
 *
 * The actions find windows, wait for them to appear or go, click, type,
 * press keys, move the mouse, take screenshots and use the clipboard.  The
 * work itself is done by ui.c; this file turns step arguments into ui.c
 * calls, results into step output, and records each step in the run log.
 *
 * One struct ui (a display connection) serves the whole run: it is kept in
 * the run's "ui" slot, opened by the first ui.* step and closed when the
 * run ends.  The slot also remembers the "current" window - the one the
 * last ui.window or ui.wait_window found - which ui.click, ui.mouse and
 * ui.wait_closed use when a step names no window.  When the current window
 * closes (ui.wait_closed), the one before it becomes current again: after
 * a dialog, the steps are back on the form that opened it.
 *
 * Every ui.* action has on_fail set: when a step fails, a screenshot of the
 * whole screen is saved as the run artifact "failure.png" and its path is
 * added to the step's error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "act_ui.h"
#include "action.h"
#include "textutil.h"
#include "timeutil.h"
#include "ui.h"
#include "xmalloc.h"

#define DEFAULT_TIMEOUT_S	10.0
#define FOCUS_TIMEOUT_MS	2000


static void
set_current(struct ui_run *u, unsigned long id)
{
	if (id != u->current) {
		u->previous = u->current;
		u->current = id;
	}
}

static void *
ui_run_open(struct act *a)
{
	const char *display = act_display(a);
	struct ui_run *u;
	struct ui *ui;
	char err[512];

	if (*display == '\0') {
		act_fail(a, "no display: give kobito run --display :N or set "
		    "DISPLAY");
		return NULL;
	}
	if ((ui = ui_open(display, err, sizeof err)) == NULL) {
		act_fail(a, "%s", err);
		return NULL;
	}
	u = xcalloc(1, sizeof *u);
	u->ui = ui;
	return u;
}

static void
ui_run_close(void *p)
{
	struct ui_run *u = p;

	ui_close(u->ui);
	act_ui_known_free(u);
	free(u);
}

/* The run's display connection; NULL after act_fail(). */
static struct ui_run *
get_ui(struct act *a)
{
	return act_slot(a, "ui", ui_run_open, ui_run_close);
}

static int
cancelled(void *arg)
{
	return act_cancelled(arg);
}

/* The wait the step allows: its timeout argument, within the step's. */
static int
get_wait(struct act *a, struct ui_wait *w)
{
	double secs = act_num(a, "timeout", DEFAULT_TIMEOUT_S);
	int64_t left = act_remaining_ms(a);

	if (secs < 0 || secs > 86400)
		return act_fail(a, "timeout must be between 0 and 86400 "
		    "seconds, not %g", secs);
	w->timeout_ms = (int64_t)(secs * 1000);
	if (w->timeout_ms > left)
		w->timeout_ms = left;
	w->cancelled = cancelled;
	w->arg = a;
	return 0;
}

/* "5 s", "2.5 s": a wait's length for messages. */
static const char *
secs_text(int64_t ms, char *buf, size_t len)
{
	snprintf(buf, len, "%g s", (double)ms / 1000.0);
	return buf;
}

static json_t *
window_json(const struct ui_window *w)
{
	return json_pack("{s:I, s:s, s:s, s:I, s:i, s:i, s:i, s:i}",
	    "id", (json_int_t)w->id, "title", w->title, "class", w->class,
	    "pid", (json_int_t)w->pid, "x", w->x, "y", w->y,
	    "width", w->width, "height", w->height);
}

/* Read title, class, pid and id into m; -1 after act_fail if none. */
static int
get_match(struct act *a, struct ui_match *m, int allow_current,
    unsigned long current)
{
	long long id = act_int(a, "id", 0), pid = act_int(a, "pid", 0);

	memset(m, 0, sizeof *m);
	m->title = act_str(a, "title", NULL);
	m->class = act_str(a, "class", NULL);
	if (id < 0 || pid < 0)
		return act_fail(a, "id and pid must be positive");
	m->id = (unsigned long)id;
	m->pid = (long)pid;
	if (m->title == NULL && m->class == NULL && m->pid == 0 &&
	    m->id == 0) {
		if (allow_current && current != 0) {
			m->id = current;
			return 0;
		}
		return act_fail(a, "say which window: give title, class, pid "
		    "or id");
	}
	return 0;
}

/* The window a step names with window: (an id, or a title regex). */
static int
named_window(struct act *a, struct ui_run *u, json_t *spec,
    unsigned long *id)
{
	struct ui_match m;
	struct ui_window w;
	struct ui_wait wait;
	int others;

	memset(&m, 0, sizeof m);
	if (json_is_integer(spec) && json_integer_value(spec) > 0)
		m.id = (unsigned long)json_integer_value(spec);
	else if (json_is_string(spec))
		m.title = json_string_value(spec);
	else
		return act_fail(a, "window must be a window id or a title "
		    "pattern");
	if (get_wait(a, &wait) != 0 ||
	    act_ui_find(a, u, &m, 0, &wait, &w, &others) != 0)
		return -1;
	*id = w.id;
	ui_window_clear(&w);
	return 0;
}

/*
 * The window for coordinates: screen (0) when screen: true, the one named
 * by window:, else the current one.
 */
static int
coord_window(struct act *a, struct ui_run *u, unsigned long *id)
{
	json_t *spec = act_arg(a, "window");

	*id = 0;
	if (act_bool(a, "screen", 0))
		return 0;
	if (spec != NULL)
		return named_window(a, u, spec, id);
	if (u->current == 0)
		return act_fail(a, "no window to place (x, y) in: give "
		    "window:, screen: true, or find one first with ui.window");
	return act_ui_current(a, u, id);
}

static int
get_button(struct act *a, int *button)
{
	static const char *const names[] = { "left", "middle", "right" };
	json_t *b = act_arg(a, "button");
	const char *s;
	int i;

	*button = 1;
	if (b == NULL)
		return 0;
	if (json_is_integer(b) && json_integer_value(b) >= 1 &&
	    json_integer_value(b) <= 9) {
		*button = (int)json_integer_value(b);
		return 0;
	}
	s = json_is_string(b) ? json_string_value(b) : "";
	for (i = 0; i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*button = i + 1;
			return 0;
		}
	}
	return act_fail(a, "button must be left, middle, right or 1-9");
}

static int
ui_failed(struct act *a, struct ui_run *u)
{
	return act_fail(a, "%s", ui_error(u->ui));
}

/* --- ui.window, ui.wait_window, ui.wait_closed --------------------------- */

static int
find_window(struct act *a, int manipulate)
{
	struct ui_run *u;
	struct ui_match m;
	struct ui_window w;
	struct ui_wait wait;
	json_t *jx = act_arg(a, "x"), *jy = act_arg(a, "y");
	json_t *jw = act_arg(a, "width"), *jh = act_arg(a, "height");
	int activate = manipulate && act_bool(a, "activate", 0);
	const char *pick = act_str(a, "pick", "only");
	int others;

	/*
	 * A dry run checks no values: those that come from earlier steps'
	 * outputs are null when nothing really ran.
	 */
	if (act_dry_run(a)) {
		act_log(a, "dry run: would wait for a window");
		return 0;
	}
	if (strcmp(pick, "only") != 0 && strcmp(pick, "top") != 0)
		return act_fail(a, "pick must be only or top, not '%s'", pick);
	if (get_match(a, &m, 0, 0) != 0 || get_wait(a, &wait) != 0)
		return -1;
	if ((u = get_ui(a)) == NULL)
		return -1;
	if (act_ui_find(a, u, &m, strcmp(pick, "top") == 0, &wait, &w,
	    &others) != 0)
		return -1;
	set_current(u, w.id);
	if (manipulate && (jx != NULL || jy != NULL) &&
	    ui_window_move(u->ui, w.id, jx ? (int)act_int(a, "x", 0) : w.x,
	    jy ? (int)act_int(a, "y", 0) : w.y) != 0)
		goto fail;
	if (manipulate && (jw != NULL || jh != NULL) &&
	    ui_window_resize(u->ui, w.id,
	    jw ? (int)act_int(a, "width", 0) : w.width,
	    jh ? (int)act_int(a, "height", 0) : w.height) != 0)
		goto fail;
	if (activate && ui_window_activate(u->ui, w.id, FOCUS_TIMEOUT_MS) != 0)
		goto fail;
	if (manipulate && (jx || jy || jw || jh)) {
		/* Report where the window ended up, not where we asked. */
		ui_window_clear(&w);
		if (ui_window_geometry(u->ui, u->current, &w) != 0)
			return ui_failed(a, u);
	}
	act_log(a, "window %lu '%s' (%s) at %d,%d %dx%d%s%s", w.id, w.title,
	    w.class, w.x, w.y, w.width, w.height, activate ? ", activated" :
	    "", others > 0 ? ", the top one of those that match (pick: "
	    "top)" : "");
	a->out = window_json(&w);
	ui_window_clear(&w);
	return 0;
fail:
	ui_window_clear(&w);
	return ui_failed(a, u);
}

static int
do_window(struct act *a)
{
	return find_window(a, 1);
}

static int
do_wait_window(struct act *a)
{
	return find_window(a, 0);
}

static int
do_wait_closed(struct act *a)
{
	struct ui_run *u = NULL;
	struct ui_match m;
	struct ui_wait wait;
	char *what, t[32];
	int64_t start;
	int r;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would wait until a window closes");
		return 0;
	}
	if ((u = get_ui(a)) == NULL)
		return -1;
	if (get_match(a, &m, 1, u->current) != 0 || get_wait(a, &wait) != 0)
		return -1;
	what = ui_match_describe(&m);
	start = time_mono_ms();
	r = ui_window_wait_closed(u->ui, &m, &wait);
	if (r == UI_TIMEOUT) {
		act_fail(a, "window with %s still open after %s on "
		    "display %s", what,
		    secs_text(wait.timeout_ms, t, sizeof t), ui_display(u->ui));
		free(what);
		return -1;
	}
	if (r != 0) {
		free(what);
		return ui_failed(a, u);
	}
	act_log(a, "no window with %s is open", what);
	free(what);
	if (m.id != 0 && m.id == u->current) {
		u->current = u->previous;
		u->previous = 0;
	}
	a->out = json_pack("{s:I}", "waited_ms", (json_int_t)(time_mono_ms() -
	    start));
	return 0;
}

/* --- ui.click, ui.mouse -------------------------------------------------- */

static int
do_click(struct act *a)
{
	struct ui_run *u;
	unsigned long id;
	int x = (int)act_int(a, "x", 0), y = (int)act_int(a, "y", 0);
	int count = (int)act_int(a, "count", act_bool(a, "double", 0) ? 2 : 1);
	int button, sx, sy;

	if (count < 1 || count > 3)
		return act_fail(a, "count must be 1, 2 or 3");
	if (act_dry_run(a)) {
		act_log(a, "dry run: would click at (%d, %d)", x, y);
		return 0;
	}
	if (get_button(a, &button) != 0 || (u = get_ui(a)) == NULL)
		return -1;
	if (act_ui_has_target(a))
		return act_ui_target_click(a, u, button, count);
	if (act_arg(a, "x") == NULL || act_arg(a, "y") == NULL)
		return act_fail(a, "say where to click: x and y, or target:");
	if (coord_window(a, u, &id) != 0)
		return -1;
	if (ui_click(u->ui, id, x, y, button, count, &sx, &sy) != 0)
		return ui_failed(a, u);
	if (id != 0)
		act_log(a, "clicked button %d x%d at (%d, %d) in window %lu, "
		    "(%d, %d) on the screen", button, count, x, y, id, sx, sy);
	else
		act_log(a, "clicked button %d x%d at (%d, %d) on the screen",
		    button, count, sx, sy);
	a->out = json_pack("{s:i, s:i, s:i, s:i}", "x", sx, "y", sy,
	    "button", button, "count", count);
	return 0;
}

static const char *const mouse_ops[] = { "move", "press", "release", "drag",
    NULL };

static int
do_mouse(struct act *a)
{
	struct ui_run *u;
	struct ui_window g;
	const char *op = act_str(a, "op", "move");
	int x = (int)act_int(a, "x", 0), y = (int)act_int(a, "y", 0);
	int tx = (int)act_int(a, "to_x", 0), ty = (int)act_int(a, "to_y", 0);
	int button, i, ox = 0, oy = 0, rc;
	unsigned long id = 0;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s the mouse", op);
		return 0;
	}
	for (i = 0; mouse_ops[i] != NULL; i++) {
		if (strcmp(op, mouse_ops[i]) == 0)
			break;
	}
	if (mouse_ops[i] == NULL)
		return act_fail(a, "op must be move, press, release or drag, "
		    "not '%s'", op);
	if (get_button(a, &button) != 0)
		return -1;
	if ((i == 0 || i == 3) && !act_ui_has_target(a) &&
	    (act_arg(a, "x") == NULL || act_arg(a, "y") == NULL))
		return act_fail(a, "op %s needs x and y, or target:", op);
	if (i == 3 && (act_arg(a, "to_x") == NULL ||
	    act_arg(a, "to_y") == NULL))
		return act_fail(a, "op drag needs to_x and to_y");
	if ((u = get_ui(a)) == NULL)
		return -1;
	if ((i == 0 || i == 3) && act_ui_has_target(a)) {
		/* From the control's corner; by default its middle. */
		int r[4];

		if (act_ui_target_rect(a, r) != 0)
			return -1;
		ox = r[0];
		oy = r[1];
		if (act_arg(a, "x") == NULL)
			x = r[2] / 2;
		if (act_arg(a, "y") == NULL)
			y = r[3] / 2;
	} else if ((i == 0 || i == 3) && coord_window(a, u, &id) != 0)
		return -1;
	if (id != 0) {
		if (ui_window_geometry(u->ui, id, &g) != 0)
			return ui_failed(a, u);
		ox = g.x;
		oy = g.y;
		ui_window_clear(&g);
	}
	switch (i) {
	case 0:
		rc = ui_mouse(u->ui, UI_MOUSE_MOVE, ox + x, oy + y, button);
		break;
	case 1:
		rc = ui_mouse(u->ui, UI_MOUSE_PRESS, 0, 0, button);
		break;
	case 2:
		rc = ui_mouse(u->ui, UI_MOUSE_RELEASE, 0, 0, button);
		break;
	default:
		rc = ui_mouse_drag(u->ui, ox + x, oy + y, ox + tx, oy + ty,
		    button, (int)act_int(a, "steps", 10));
		x = tx;
		y = ty;
		break;
	}
	if (rc != 0)
		return ui_failed(a, u);
	if (i == 1 || i == 2) {
		act_log(a, "%s button %d", i == 1 ? "pressed" : "released",
		    button);
		a->out = json_pack("{s:i}", "button", button);
	} else {
		act_log(a, "%s the mouse to (%d, %d) on the screen",
		    i == 0 ? "moved" : "dragged", ox + x, oy + y);
		a->out = json_pack("{s:i, s:i}", "x", ox + x, "y", oy + y);
	}
	return 0;
}

/* --- ui.type, ui.key ----------------------------------------------------- */

/* Give window: the focus when the step names one. */
static int
focus_named(struct act *a, struct ui_run *u)
{
	json_t *spec = act_arg(a, "window");
	unsigned long id;

	if (spec == NULL)
		return 0;
	if (named_window(a, u, spec, &id) != 0)
		return -1;
	if (ui_window_activate(u->ui, id, FOCUS_TIMEOUT_MS) != 0)
		return ui_failed(a, u);
	return 0;
}

/* How many characters (not bytes) text has. */
static size_t
nchars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

#define VERIFY_EMPTY_MS	500	/* how long a copy may take to come */
#define VERIFY_SHOWN	60	/* characters of a field in a message */

/*
 * Read the focused field back through the clipboard: a marker is put on
 * it, ctrl+a ctrl+c copies the field and End puts the caret back at its
 * end.  An empty field copies nothing, so the marker staying there past
 * VERIFY_EMPTY_MS means "".  The caller frees the text; NULL after
 * act_fail.
 */
static char *
field_by_clipboard(struct act *a, struct ui_run *u,
    const struct ui_wait *wait)
{
	char marker[96], *got;
	int64_t start;

	snprintf(marker, sizeof marker, "kobito-verify-%lld-%p",
	    (long long)time_mono_ms(), (void *)u);
	if (ui_clipboard_set(u->ui, marker, wait) != 0 ||
	    ui_key(u->ui, "ctrl+a ctrl+c End", 1, 0) != 0) {
		ui_failed(a, u);
		return NULL;
	}
	for (start = time_mono_ms();;) {
		if ((got = ui_clipboard_get(u->ui, wait)) == NULL) {
			ui_failed(a, u);
			return NULL;
		}
		if (strcmp(got, marker) != 0)
			return got;
		free(got);
		if (time_mono_ms() - start >= VERIFY_EMPTY_MS)
			return xstrdup("");
		time_sleep_ms(20, NULL);
	}
}

/*
 * verify: true - the focused field (the target, read through the
 * accessibility bus, when there is one) must end with what was typed (it
 * may have held text before).  -1 after act_fail when it does not: the
 * application dropped or changed characters.
 */
static int
verify_typed(struct act *a, struct ui_run *u, const char *text,
    const struct ui_wait *wait)
{
	char *got, *gm, *tm;
	size_t lg, lt;
	int r = 0;

	got = act_ui_has_target(a) ? act_ui_target_text(a) :
	    field_by_clipboard(a, u, wait);
	if (got == NULL)
		return -1;
	lg = strlen(got);
	lt = strlen(text);
	if (lg < lt || strcmp(got + lg - lt, text) != 0) {
		/* Masked before they are cut: no half of a secret shows. */
		gm = act_masked(a, got);
		tm = act_masked(a, text);
		r = act_fail(a, "the field shows '%.*s%s' (%zu characters) "
		    "after typing '%.*s%s' (%zu characters): the application "
		    "did not take the text as typed (verify: true)",
		    text_utf8_prefix(gm, VERIFY_SHOWN), gm,
		    gm[text_utf8_prefix(gm, VERIFY_SHOWN)] ? "..." : "",
		    nchars(got), text_utf8_prefix(tm, VERIFY_SHOWN), tm,
		    tm[text_utf8_prefix(tm, VERIFY_SHOWN)] ? "..." : "",
		    nchars(text));
		free(gm);
		free(tm);
	}
	free(got);
	return r;
}

static int
do_type(struct act *a)
{
	struct ui_run *u;
	struct ui_wait wait;
	const char *text = act_str(a, "text", "");
	const char *method = act_str(a, "method", "keys");
	long long delay = act_duration_ms(a, "delay", 0);
	int verify = act_bool(a, "verify", 0), inserted = 0, r;
	enum ui_type_method m;
	char *shown;

	if (strcmp(method, "keys") == 0)
		m = UI_TYPE_KEYS;
	else if (strcmp(method, "paste") == 0)
		m = UI_TYPE_PASTE;
	else
		return act_fail(a, "method must be keys or paste, not '%s'",
		    method);
	if (delay < 0)
		return -1;
	if (delay > 10000)
		return act_fail(a, "delay must be from 0 to 10s");
	if (verify && strpbrk(text, "\t\r\n") != NULL)
		return act_fail(a, "verify cannot check a text with Tab or "
		    "Return in it: they move the focus out of the field");
	if (get_wait(a, &wait) != 0)
		return -1;
	if (act_dry_run(a)) {
		act_log(a, "dry run: would type %zu characters (%s)",
		    nchars(text), method);
		return 0;
	}
	if ((u = get_ui(a)) == NULL || focus_named(a, u) != 0)
		return -1;
	/* Into a target: its EditableText, unless keys or paste are asked
	 * for or it has none (it then has the focus). */
	if (act_ui_has_target(a)) {
		if (act_arg(a, "method") == NULL) {
			if ((r = act_ui_target_insert(a, text)) < 0)
				return -1;
			inserted = r == 0;
			method = inserted ? "accessibility" : "keys";
		} else if (act_ui_target_focus(a) != 0) {
			return -1;
		}
	}
	if (*text != '\0' && !inserted &&
	    ui_type(u->ui, text, (int)delay, m, &wait) != 0)
		return ui_failed(a, u);
	if (verify && verify_typed(a, u, text, &wait) != 0)
		return -1;
	/* Masked before it is cut, so that no half of a secret is shown. */
	shown = act_masked(a, text);
	act_log(a, "typed %zu characters (%s%s): %.*s%s", nchars(text), method,
	    verify ? ", verified" : "", text_utf8_prefix(shown, 200), shown,
	    shown[text_utf8_prefix(shown, 200)] != '\0' ? "..." : "");
	free(shown);
	a->out = json_pack("{s:I, s:s}", "chars", (json_int_t)nchars(text),
	    "method", method);
	return 0;
}

static int
do_key(struct act *a)
{
	struct ui_run *u;
	const char *keys = act_str(a, "keys", "");
	long long repeat = act_int(a, "repeat", 1);
	long long delay = act_duration_ms(a, "delay", 0);

	if (repeat < 1 || repeat > 10000)
		return act_fail(a, "repeat must be between 1 and 10000");
	if (delay < 0)
		return -1;
	if (delay > 10000)
		return act_fail(a, "delay must be from 0 to 10s");
	if (act_dry_run(a)) {
		act_log(a, "dry run: would press '%s' x%lld", keys, repeat);
		return 0;
	}
	if ((u = get_ui(a)) == NULL || focus_named(a, u) != 0)
		return -1;
	if (act_ui_has_target(a) && act_ui_target_focus(a) != 0)
		return -1;
	if (ui_key(u->ui, keys, (int)repeat, (int)delay) != 0)
		return ui_failed(a, u);
	act_log(a, "pressed '%s' x%lld", keys, repeat);
	a->out = json_pack("{s:s, s:I}", "keys", keys, "repeat",
	    (json_int_t)repeat);
	return 0;
}

/* --- ui.screenshot, ui.clipboard ----------------------------------------- */

static int
do_screenshot(struct act *a)
{
	struct ui_run *u;
	json_t *spec = act_arg(a, "window");
	const char *name = act_str(a, "name", "screenshot.png");
	unsigned long id = 0;
	char *path;
	int w, h;

	if (strchr(name, '/') != NULL || *name == '\0' || *name == '.')
		return act_fail(a, "name must be a plain file name, not '%s'",
		    name);
	if (act_dry_run(a)) {
		act_log(a, "dry run: would save a screenshot");
		return 0;
	}
	if ((u = get_ui(a)) == NULL)
		return -1;
	if (spec != NULL && named_window(a, u, spec, &id) != 0)
		return -1;
	path = act_artifact_path(a, name);
	if (ui_screenshot_png(u->ui, id, path, &w, &h) != 0) {
		free(path);
		return ui_failed(a, u);
	}
	act_artifact_add(a, path, "screenshot");
	act_log(a, "saved a %dx%d screenshot of %s to %s", w, h,
	    id ? "a window" : "the screen", path);
	a->out = json_pack("{s:s, s:i, s:i}", "path", path, "width", w,
	    "height", h);
	free(path);
	return 0;
}

static int
do_clipboard(struct act *a)
{
	struct ui_run *u;
	struct ui_wait wait;
	const char *text = act_str(a, "text", NULL);
	char *got;

	if (get_wait(a, &wait) != 0)
		return -1;
	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s the clipboard", text ? "set" :
		    "read");
		return 0;
	}
	if ((u = get_ui(a)) == NULL)
		return -1;
	if (text != NULL) {
		if (ui_clipboard_set(u->ui, text, &wait) != 0)
			return ui_failed(a, u);
		act_log(a, "put %zu characters on the clipboard", nchars(text));
		a->out = json_pack("{s:s}", "text", text);
		return 0;
	}
	if ((got = ui_clipboard_get(u->ui, &wait)) == NULL)
		return ui_failed(a, u);
	act_log(a, "read %zu characters from the clipboard", nchars(got));
	a->out = json_pack("{s:s}", "text", got);
	free(got);
	return 0;
}

/* --- on failure: a picture of the screen --------------------------------- */

static void
screenshot_on_fail(struct act *a)
{
	struct ui_run *u;
	char saved[sizeof a->err], *path;
	size_t len;

	if (act_dry_run(a))
		return;
	/* Opening the display may fail too; keep the step's own error. */
	memcpy(saved, a->err, sizeof saved);
	u = get_ui(a);
	memcpy(a->err, saved, sizeof saved);
	/* A display that went away shows nothing; the error says so.  A
	 * window closed before has its screenshot with its first failure. */
	if (u == NULL || ui_lost(u->ui) || u->no_shot) {
		if (u != NULL)
			u->no_shot = 0;
		return;
	}
	path = act_artifact_path(a, "failure.png");
	len = strlen(a->err);
	if (ui_screenshot_png(u->ui, 0, path, NULL, NULL) == 0) {
		act_artifact_add(a, path, "screenshot");
		snprintf(a->err + len, sizeof a->err - len, " (screenshot: %s)",
		    path);
	} else {
		snprintf(a->err + len, sizeof a->err - len, " (no screenshot: "
		    "%s)", ui_error(u->ui));
	}
	free(path);
}

/* --- for act_screen.c (act_ui.h) ----------------------------------------- */

struct ui_run *
act_ui_get(struct act *a)
{
	return get_ui(a);
}

int
act_ui_wait(struct act *a, struct ui_wait *w)
{
	return get_wait(a, w);
}

int
act_ui_window(struct act *a, struct ui_run *u, unsigned long *id)
{
	return coord_window(a, u, id);
}

int
act_ui_button(struct act *a, int *button)
{
	return get_button(a, button);
}

void
act_ui_on_fail(struct act *a)
{
	screenshot_on_fail(a);
}

/* --- the table ----------------------------------------------------------- */

#define MATCH_ARGS \
	{ "title", ARG_STRING, 0, "regular expression on the window title" }, \
	{ "class", ARG_STRING, 0, "regular expression on WM_CLASS name or " \
	    "class" }, \
	{ "pid", ARG_INT, 0, "process id of the window's program" }, \
	{ "id", ARG_INT, 0, "this window id (an earlier step's output)" }, \
	{ "timeout", ARG_NUMBER, 0, "seconds to wait (default 10)" }

#define PICK_ARG \
	{ "pick", ARG_STRING, 0, "when several windows match: only (an " \
	    "error listing them, the default) or top (the one on top)" }

static const struct action_arg window_args[] = {
	MATCH_ARGS,
	PICK_ARG,
	{ "activate", ARG_BOOL, 0, "raise it and give it the keyboard focus" },
	{ "x", ARG_INT, 0, "move it to this screen x" },
	{ "y", ARG_INT, 0, "move it to this screen y" },
	{ "width", ARG_INT, 0, "resize it to this width" },
	{ "height", ARG_INT, 0, "resize it to this height" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg wait_args[] = {
	MATCH_ARGS,
	PICK_ARG,
	{ NULL, 0, 0, NULL },
};

static const struct action_arg wait_closed_args[] = {
	MATCH_ARGS,
	{ NULL, 0, 0, NULL },
};

#define WINDOW_ARG \
	{ "window", ARG_ANY, 0, "a window id or title pattern (default: " \
	    "the current window)" }

#define TARGET_ARG \
	{ "target", ARG_MAP, 0, "a control found by what it is: {app, " \
	    "window, role, name, match, nth, path}" }

static const struct action_arg click_args[] = {
	{ "x", ARG_INT, 0, "x, from the window's left edge" },
	{ "y", ARG_INT, 0, "y, from the window's top edge" },
	TARGET_ARG,
	{ "by", ARG_STRING, 0, "with target: auto (default: the mouse when it "
	    "is on the screen, else its action), mouse or action" },
	WINDOW_ARG,
	{ "screen", ARG_BOOL, 0, "x and y are screen coordinates" },
	{ "button", ARG_ANY, 0, "left (default), middle, right or 1-9" },
	{ "double", ARG_BOOL, 0, "double-click" },
	{ "count", ARG_INT, 0, "number of clicks (1-3)" },
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for window (default 10)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg mouse_args[] = {
	{ "op", ARG_STRING, 0, "move (default), press, release or drag" },
	{ "x", ARG_INT, 0, "x to move to or drag from" },
	{ "y", ARG_INT, 0, "y to move to or drag from" },
	{ "to_x", ARG_INT, 0, "x to drag to" },
	{ "to_y", ARG_INT, 0, "y to drag to" },
	{ "steps", ARG_INT, 0, "motion steps of a drag (default 10)" },
	TARGET_ARG,
	WINDOW_ARG,
	{ "screen", ARG_BOOL, 0, "coordinates are screen coordinates" },
	{ "button", ARG_ANY, 0, "left (default), middle, right or 1-9" },
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for window (default 10)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg type_args[] = {
	{ "text", ARG_STRING, 1, "the text; any Unicode, \\n is Return" },
	{ "method", ARG_STRING, 0, "keys (default) or paste (clipboard and "
	    "ctrl+v)" },
	{ "delay", ARG_STRING, 0, "pause between characters: 20ms, 0.1 "
	    "(default 0; the old delay_ms: N is read too)" },
	{ "verify", ARG_BOOL, 0, "read the field back and fail unless it "
	    "ends with the text (default false)" },
	TARGET_ARG,
	WINDOW_ARG,
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for window or paste" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg key_args[] = {
	{ "keys", ARG_STRING, 1, "chords separated by spaces: \"ctrl+s\", "
	    "\"shift+Tab Return\"" },
	{ "repeat", ARG_INT, 0, "press the whole sequence this many times" },
	{ "delay", ARG_STRING, 0, "pause between key presses: 50ms, 0.1 "
	    "(default 0; the old delay_ms: N is read too)" },
	TARGET_ARG,
	WINDOW_ARG,
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for window (default 10)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg screenshot_args[] = {
	{ "window", ARG_ANY, 0, "a window id or title pattern (default: the "
	    "whole screen)" },
	{ "name", ARG_STRING, 0, "artifact file name (default "
	    "screenshot.png)" },
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for window (default 10)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg clipboard_args[] = {
	{ "text", ARG_STRING, 0, "set the clipboard to this; without it, "
	    "read it" },
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for the owner "
	    "(default 10)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_out window_out[] = {
	{ "id", ARG_INT, "the X window id" },
	{ "title", ARG_STRING, "its title" },
	{ "class", ARG_STRING, "its WM_CLASS" },
	{ "pid", ARG_INT, "the process that owns it" },
	{ "x", ARG_INT, "left edge" }, { "y", ARG_INT, "top edge" },
	{ "width", ARG_INT, "width" }, { "height", ARG_INT, "height" },
	{ NULL, 0, NULL },
};

static const struct action_out waited_out[] = {
	{ "waited_ms", ARG_INT, "how long it waited" },
	{ NULL, 0, NULL },
};

static const struct action_out click_out[] = {
	{ "x", ARG_INT, "where, on the screen" },
	{ "y", ARG_INT, "where, on the screen" },
	{ "button", ARG_INT, "the button" },
	{ "count", ARG_INT, "clicks" },
	{ NULL, 0, NULL },
};

/* ui.click: by x and y, or on a target (the control found). */
static const struct action_out click_target_out[] = {
	{ "x", ARG_INT, "where, on the screen" },
	{ "y", ARG_INT, "where, on the screen" },
	{ "button", ARG_INT, "the button" },
	{ "count", ARG_INT, "clicks" },
	{ "app", ARG_STRING, "with target: the control's application" },
	{ "window", ARG_STRING, "with target: its window's name" },
	{ "role", ARG_STRING, "with target: its role" },
	{ "name", ARG_STRING, "with target: its name" },
	{ "box", ARG_LIST, "with target: [x, y, width, height] on the "
	    "screen" },
	{ "by", ARG_STRING, "with target: how it was clicked" },
	{ NULL, 0, NULL },
};

static const struct action_out type_out[] = {
	{ "chars", ARG_INT, "characters typed" },
	{ "method", ARG_STRING, "how: keys or paste" },
	{ NULL, 0, NULL },
};

static const struct action_out key_out[] = {
	{ "keys", ARG_STRING, "the chords pressed" },
	{ "repeat", ARG_INT, "how many times" },
	{ NULL, 0, NULL },
};

static const struct action_out screenshot_out[] = {
	{ "path", ARG_STRING, "the PNG artifact" },
	{ "width", ARG_INT, "its width" }, { "height", ARG_INT, "its height" },
	{ NULL, 0, NULL },
};

static const struct action_out clipboard_out[] = {
	{ "text", ARG_STRING, "the clipboard's text" },
	{ NULL, 0, NULL },
};

/* Every ui action describes itself in a dry run (act_dry_run). */
const struct action ui_actions[] = {
	{ "ui.window", "find a window (waiting for it); activate, move or "
	    "resize it", window_args, do_window, ACTION_UI | ACTION_SCALAR,
	    screenshot_on_fail, ARG_MAP, window_out, ACTION_DRY_SELF },
	{ "ui.wait_window", "wait until a window appears", wait_args,
	    do_wait_window, ACTION_UI | ACTION_SCALAR, screenshot_on_fail,
	    ARG_MAP, window_out, ACTION_DRY_SELF },
	{ "ui.wait_closed", "wait until a window is gone", wait_closed_args,
	    do_wait_closed, ACTION_UI | ACTION_SCALAR, screenshot_on_fail,
	    ARG_MAP, waited_out, ACTION_DRY_SELF },
	{ "ui.click", "click in a window or on the screen", click_args,
	    do_click, ACTION_UI, screenshot_on_fail, ARG_MAP,
	    click_target_out, ACTION_DRY_SELF },
	{ "ui.type", "type text (any Unicode) into the focused window",
	    type_args, do_type, ACTION_UI | ACTION_SCALAR, screenshot_on_fail,
	    ARG_MAP, type_out, ACTION_DRY_SELF },
	{ "ui.key", "press key chords such as Tab, ctrl+s, alt+F4", key_args,
	    do_key, ACTION_UI | ACTION_SCALAR, screenshot_on_fail, ARG_MAP,
	    key_out, ACTION_DRY_SELF },
	{ "ui.mouse", "move the mouse, press or release a button, drag",
	    mouse_args, do_mouse, ACTION_UI, screenshot_on_fail, ARG_MAP,
	    click_out, ACTION_DRY_SELF },
	{ "ui.screenshot", "save the screen or a window as a PNG artifact",
	    screenshot_args, do_screenshot, ACTION_UI, screenshot_on_fail,
	    ARG_MAP, screenshot_out, ACTION_DRY_SELF },
	{ "ui.clipboard", "read the clipboard, or set it with text",
	    clipboard_args, do_clipboard, ACTION_UI, screenshot_on_fail,
	    ARG_MAP, clipboard_out, ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
