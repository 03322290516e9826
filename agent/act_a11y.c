/*
 * act_a11y.c - controls found by what they are: the target: argument of
 * the ui.* actions, and the actions made for controls (ui.read, ui.select,
 * ui.check, ui.wait, ui.table).
 *
 *   - ui.click: { target: { window: 財務会計システム 支出伝票入力,
 *                           role: push button, name: 登録 } }
 *
 * A target is looked for on the accessibility bus (a11y.h) until it is
 * there, within the step's timeout, and then acted on directly: clicked
 * through its Action interface, typed into through EditableText, read
 * through Text, Value or Table - no coordinates, no pixels, whatever the
 * theme, font or window size.  What has no such interface is clicked, or
 * given the focus and typed into, as a person would.  One connection to
 * the bus serves the run (its "a11y" slot).
 *
 * A target that is not there fails the step with the controls most like
 * it (role, name, distance) and leaves the tree of the window as a run
 * artifact beside the failure screenshot: the engineer sees at once that
 * the button is called 登録する, or sits in another window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a11y.h"
#include "act_ui.h"
#include "action.h"
#include "fsutil.h"
#include "timeutil.h"
#include "ui.h"
#include "xmalloc.h"

#define POLL_MS		20	/* between two looks for a target */
#define CHECK_MS	2000	/* how long a check box may take to change */
#define NEAREST		5	/* candidates named when one is missing */
#define PATH_MAX_STEPS	16
#define SYNC_MS		2000	/* how long queued input may take */

/* --- the run's connection ------------------------------------------------- */

static void *
a11y_run_open(struct act *a)
{
	struct ui_run *u = act_ui_get(a);
	struct a11y *x;
	char *bus, err[1024];

	if (u == NULL)
		return NULL;
	bus = ui_root_text(u->ui, "AT_SPI_BUS");
	x = a11y_open(bus, err, sizeof err);
	free(bus);
	if (x == NULL)
		act_fail(a, "%s", err);
	return x;
}

static void
a11y_run_close(void *p)
{
	a11y_close(p);
}

static struct a11y *
get_a11y(struct act *a)
{
	return act_slot(a, "a11y", a11y_run_open, a11y_run_close);
}

/* --- the target argument --------------------------------------------------- */

/* A parsed target: the selector and the path it points into. */
struct target {
	struct a11y_sel	 sel;
	const char	*path[PATH_MAX_STEPS];
	char		*path_buf;	/* when path was one string */
};

static const char *const target_keys[] = { "app", "window", "role", "name",
    "match", "nth", "path", NULL };

int
act_ui_has_target(struct act *a)
{
	return act_arg(a, "target") != NULL;
}

static void
target_free(struct target *t)
{
	free(t->path_buf);
	t->path_buf = NULL;
}

/* path: a list of steps, or one string with " > " between them. */
static int
get_path(struct act *a, json_t *p, struct target *t)
{
	size_t i;
	char *s, *next;

	if (json_is_string(p)) {
		t->path_buf = xstrdup(json_string_value(p));
		for (s = t->path_buf; s != NULL; s = next) {
			if ((next = strstr(s, " > ")) != NULL) {
				*next = '\0';
				next += 3;
			}
			if (t->sel.npath == PATH_MAX_STEPS)
				return act_fail(a, "target: path has more than "
				    "%d steps", PATH_MAX_STEPS);
			t->path[t->sel.npath++] = s;
		}
	} else if (json_is_array(p)) {
		if (json_array_size(p) > PATH_MAX_STEPS)
			return act_fail(a, "target: path has more than %d "
			    "steps", PATH_MAX_STEPS);
		for (i = 0; i < json_array_size(p); i++) {
			if (!json_is_string(json_array_get(p, i)))
				return act_fail(a, "target: path[%zu] must be "
				    "a string \"role\", \"role:name\" or "
				    "\"role:name#n\"", i);
			t->path[t->sel.npath++] =
			    json_string_value(json_array_get(p, i));
		}
	} else {
		return act_fail(a, "target: path must be a list of steps or "
		    "a string 'role:name > role:name'");
	}
	t->sel.path = t->path;
	return 0;
}

/* A string member of the target, or NULL; -1 after act_fail. */
static int
get_str(struct act *a, json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || *json_string_value(v) == '\0')
		return act_fail(a, "target: %s must be a non-empty string", key);
	*out = json_string_value(v);
	return 0;
}

static int
get_target(struct act *a, struct target *t)
{
	json_t *o = act_arg(a, "target"), *v;
	const char *key, *match = NULL;
	size_t i;

	memset(t, 0, sizeof *t);
	if (!json_is_object(o))
		return act_fail(a, "target must be a map {app, window, role, "
		    "name, match, nth, path}");
	json_object_foreach(o, key, v) {
		for (i = 0; target_keys[i] != NULL &&
		    strcmp(target_keys[i], key) != 0; i++)
			;
		if (target_keys[i] == NULL)
			return act_fail(a, "target: unknown key '%s' (app, "
			    "window, role, name, match, nth, path)", key);
	}
	if (get_str(a, o, "app", &t->sel.app) != 0 ||
	    get_str(a, o, "window", &t->sel.window) != 0 ||
	    get_str(a, o, "role", &t->sel.role) != 0 ||
	    get_str(a, o, "name", &t->sel.name) != 0 ||
	    get_str(a, o, "match", &match) != 0)
		return -1;
	if (match == NULL || strcmp(match, "exact") == 0)
		t->sel.match = A11Y_EXACT;
	else if (strcmp(match, "contains") == 0)
		t->sel.match = A11Y_CONTAINS;
	else if (strcmp(match, "regex") == 0)
		t->sel.match = A11Y_REGEX;
	else
		return act_fail(a, "target: match must be exact, contains or "
		    "regex, not '%s'", match);
	if ((v = json_object_get(o, "nth")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100000)
			return act_fail(a, "target: nth must be a whole number "
			    "from 1");
		t->sel.nth = (int)json_integer_value(v);
	}
	if ((v = json_object_get(o, "path")) != NULL &&
	    get_path(a, v, t) != 0) {
		target_free(t);
		return -1;
	}
	if (t->sel.role == NULL && t->sel.name == NULL && t->sel.npath == 0) {
		target_free(t);
		return act_fail(a, "target: say what the control is: role, "
		    "name or path");
	}
	return 0;
}

/* Leave the tree of the windows t names as an artifact; its path, or
 * NULL. */
static char *
tree_artifact(struct act *a, struct a11y *x, const struct target *t)
{
	char *tree = a11y_tree(x, t->sel.app, t->sel.window, t->sel.match, 0);
	char *path;
	char err[512];

	if (tree == NULL)
		return NULL;
	path = act_artifact_path(a, "a11y-tree.txt");
	if (fsutil_write_atomic(path, tree, strlen(tree), -1, err,
	    sizeof err) != 0) {
		free(tree);
		free(path);
		return NULL;
	}
	act_artifact_add(a, path, "a11y-tree");
	free(tree);
	return path;
}

/*
 * Find the step's target, waiting for it within the step's timeout.
 * 1 with *out, or -1 after act_fail.  gone: wait for it to go instead
 * (0 when it went).
 */
static int
find_target(struct act *a, struct a11y **xp, const struct target *t,
    int gone, struct a11y_node **out, int64_t *waited)
{
	struct a11y *x = get_a11y(a);
	struct ui_run *u = act_ui_get(a);
	struct ui_wait w;
	int64_t start = time_mono_ms(), left;
	char *what, *near, *tree;
	int r;

	*out = NULL;
	if (x == NULL || u == NULL || act_ui_wait(a, &w) != 0)
		return -1;
	*xp = x;
	/* Keys and clicks still on their way go first: the bus is quicker
	 * than the X server's queue. */
	ui_sync(u->ui, SYNC_MS);
	for (;;) {
		r = a11y_find(x, &t->sel, out);
		if (r < 0)
			return act_fail(a, "%s", a11y_error(x));
		if (r == !gone)
			break;
		a11y_node_free(*out);
		*out = NULL;
		left = w.timeout_ms - (time_mono_ms() - start);
		if (left <= 0 || act_cancelled(a)) {
			what = a11y_sel_describe(&t->sel);
			if (act_cancelled(a)) {
				act_fail(a, "the run was stopped while "
				    "waiting for the control with %s", what);
			} else if (gone) {
				act_fail(a, "the control with %s is still "
				    "there after %g s", what,
				    (double)w.timeout_ms / 1000.0);
			} else {
				near = a11y_nearest(x, &t->sel, NEAREST);
				tree = tree_artifact(a, x, t);
				act_fail(a, "no control with %s within %g s; "
				    "nearest: %s (tree: %s)", what,
				    (double)w.timeout_ms / 1000.0, near,
				    tree != NULL ? tree : "not saved");
				free(near);
				free(tree);
			}
			free(what);
			return -1;
		}
		time_sleep_ms(left < POLL_MS ? left : POLL_MS, NULL);
	}
	if (waited != NULL)
		*waited = time_mono_ms() - start;
	return gone ? 0 : 1;
}

/* A control found by a step's target, with what it is. */
struct found {
	struct target		 t;
	struct a11y		*x;
	struct a11y_node	*n;
	struct a11y_info	 in;
};

/* Find the target and describe it; -1 after act_fail. */
static int
find_info(struct act *a, struct found *f)
{
	if (get_target(a, &f->t) != 0)
		return -1;
	if (find_target(a, &f->x, &f->t, 0, &f->n, NULL) < 0) {
		target_free(&f->t);
		return -1;
	}
	a11y_node_info(f->x, f->n, &f->in);
	return 0;
}

static void
done(struct found *f)
{
	a11y_info_clear(&f->in);
	a11y_node_free(f->n);
	target_free(&f->t);
}

/* Fail the step with the control's last error, and let it go. */
static int
refused(struct act *a, struct found *f)
{
	act_fail(a, "[%s] '%s': %s", f->in.role, f->in.name,
	    a11y_error(f->x));
	done(f);
	return -1;
}

static json_t *
control_json(const struct a11y_info *in)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:[i,i,i,i]}", "app", in->app,
	    "window", in->window, "role", in->role, "name", in->name, "box",
	    in->x, in->y, in->w, in->h);
}

/* --- for act_ui.c and act_screen.c ------------------------------------------ */

int
act_ui_target_rect(struct act *a, int rect[4])
{
	struct found f;

	if (find_info(a, &f) != 0)
		return -1;
	rect[0] = f.in.x;
	rect[1] = f.in.y;
	rect[2] = f.in.w;
	rect[3] = f.in.h;
	done(&f);
	if (rect[2] <= 0 || rect[3] <= 0)
		return act_fail(a, "the control is not on the screen (it has "
		    "no extents)");
	return 0;
}

/*
 * The X window that shows a control's top-level window.  Of the windows
 * over the control's middle, of its program when both say which: the one
 * where the accessibility bus says the window is, else the one with the
 * window's name as its title (a Swing frame gives no place), else the
 * only one.  0 when there is none.
 */
static unsigned long
x_window_of(struct ui_run *u, const struct a11y_info *in)
{
	struct ui_window *ws;
	size_t n, i, nover = 0;
	unsigned long placed = 0, titled = 0, over = 0;
	int cx = in->x + in->w / 2, cy = in->y + in->h / 2;

	if (ui_window_list(u->ui, NULL, &ws, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		const struct ui_window *w = &ws[i];

		if (cx < w->x || cy < w->y || cx >= w->x + w->width ||
		    cy >= w->y + w->height ||
		    (w->pid != 0 && in->pid != 0 && w->pid != in->pid))
			continue;
		if (placed == 0 && in->ww > 0 && abs(w->x - in->wx) <= 2 &&
		    abs(w->y - in->wy) <= 2 && abs(w->width - in->ww) <= 2 &&
		    abs(w->height - in->wh) <= 2)
			placed = w->id;
		if (titled == 0 && strcmp(w->title, in->window) == 0)
			titled = w->id;
		over = w->id;
		nover++;
	}
	ui_windows_free(ws, n);
	return placed ? placed : titled ? titled : nover == 1 ? over : 0;
}

/*
 * Click a found control: with the mouse at its middle when it is on the
 * screen, else through its Action interface - or as by says ("mouse",
 * "action").  Not the action first: at-spi2-atk 2.46 runs a GTK 3 action
 * inside its D-Bus dispatch, so an action that opens a modal dialog (登録
 * asking 登録しますか？) leaves the application deaf to the bus until the
 * dialog closes - and the dialog cannot be found to be closed.  A click
 * reaches it as a person's does.  *by gets what was done; -1 after
 * act_fail.
 */
static int
click_node(struct act *a, struct ui_run *u, struct a11y *x, struct a11y_node *n,
    const struct a11y_info *in, const char *how, int button, int count,
    const char **by)
{
	int on_screen = in->w > 0 && in->h > 0 && (in->states & A11Y_SHOWING);
	struct ui_window g;
	unsigned long id;
	int r;

	if (strcmp(how, "action") == 0 ||
	    (strcmp(how, "auto") == 0 && !on_screen)) {
		if (button != 1 || count != 1)
			return act_fail(a, "[%s] '%s' is not on the screen: it "
			    "can only be clicked once, with its action",
			    in->role, in->name);
		if ((r = a11y_click(x, n)) < 0)
			return act_fail(a, "[%s] '%s': %s", in->role, in->name,
			    a11y_error(x));
		if (r == 1)
			return act_fail(a, "[%s] '%s' has no action to click it "
			    "with%s", in->role, in->name, on_screen ? "" :
			    " and is not on the screen");
		*by = "action";
		return 0;
	}
	if (!on_screen)
		return act_fail(a, "[%s] '%s' is not on the screen", in->role,
		    in->name);
	/* In its own window, raised first: another may lie over it. */
	if ((id = x_window_of(u, in)) != 0 && ui_window_geometry(u->ui, id,
	    &g) == 0) {
		r = ui_click(u->ui, id, in->x + in->w / 2 - g.x,
		    in->y + in->h / 2 - g.y, button, count, NULL, NULL);
		ui_window_clear(&g);
	} else
		r = ui_click(u->ui, 0, in->x + in->w / 2, in->y + in->h / 2,
		    button, count, NULL, NULL);
	if (r != 0)
		return act_fail(a, "%s", ui_error(u->ui));
	*by = "mouse";
	return 0;
}

/* The step's by: auto (default), mouse or action; NULL after act_fail. */
static const char *
get_by(struct act *a)
{
	const char *how = act_str(a, "by", "auto");

	if (strcmp(how, "auto") != 0 && strcmp(how, "mouse") != 0 &&
	    strcmp(how, "action") != 0) {
		act_fail(a, "by must be auto, mouse or action, not '%s'", how);
		return NULL;
	}
	return how;
}

int
act_ui_target_click(struct act *a, struct ui_run *u, int button, int count)
{
	struct found f;
	int64_t t0 = time_mono_ms();
	const char *how = get_by(a), *by = "";

	if (how == NULL || find_info(a, &f) != 0)
		return -1;
	if (click_node(a, u, f.x, f.n, &f.in, how, button, count, &by) != 0) {
		done(&f);
		return -1;
	}
	act_log(a, "clicked [%s] '%s' in '%s' (%s) in %lld ms", f.in.role,
	    f.in.name, f.in.window, strcmp(by, "action") == 0 ?
	    "through its action" : "with the mouse at its middle",
	    (long long)(time_mono_ms() - t0));
	a->out = control_json(&f.in);
	json_object_set_new(a->out, "by", json_string(by));
	done(&f);
	return 0;
}

int
act_ui_target_focus(struct act *a)
{
	struct found f;

	if (find_info(a, &f) != 0)
		return -1;
	if (a11y_focus(f.x, f.n) != 0)
		return refused(a, &f);
	done(&f);
	return 0;
}

int
act_ui_target_insert(struct act *a, const char *text)
{
	struct found f;
	int r;

	if (find_info(a, &f) != 0)
		return -1;
	r = a11y_insert(f.x, f.n, text);
	if (r == 1 && a11y_focus(f.x, f.n) != 0)
		r = act_fail(a, "[%s] '%s' cannot be typed into: %s",
		    f.in.role, f.in.name, a11y_error(f.x));
	else if (r < 0)
		return refused(a, &f);
	done(&f);
	return r;
}

char *
act_ui_target_text(struct act *a)
{
	struct found f;
	char *s;

	if (find_info(a, &f) != 0)
		return NULL;
	if ((s = a11y_read(f.x, f.n)) == NULL) {
		refused(a, &f);
		return NULL;
	}
	done(&f);
	return s;
}

/* --- ui.read, ui.select, ui.check, ui.wait, ui.table ------------------------ */

static int
do_read(struct act *a)
{
	struct found f;
	char *s;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would read a control");
		return 0;
	}
	if (find_info(a, &f) != 0)
		return -1;
	if ((s = a11y_read(f.x, f.n)) == NULL)
		return refused(a, &f);
	act_log(a, "read [%s] '%s': '%s'", f.in.role, f.in.name, s);
	a->out = control_json(&f.in);
	json_object_set_new(a->out, "text", json_string(s));
	free(s);
	done(&f);
	return 0;
}

static int
do_select(struct act *a)
{
	const char *item = act_str(a, "item", "");
	struct found f;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would select '%s'", item);
		return 0;
	}
	if (*item == '\0')
		return act_fail(a, "item must name what to choose");
	if (find_info(a, &f) != 0)
		return -1;
	if (a11y_select(f.x, f.n, item, A11Y_EXACT) != 0)
		return refused(a, &f);
	act_log(a, "selected '%s' in [%s] '%s'", item, f.in.role, f.in.name);
	a->out = control_json(&f.in);
	json_object_set_new(a->out, "item", json_string(item));
	done(&f);
	return 0;
}

static int
do_check(struct act *a)
{
	int want = act_bool(a, "checked", 1), changed = 0;
	const char *how = get_by(a), *by = "";
	struct ui_run *u = act_ui_get(a);
	struct found f;
	int64_t start;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s a control", want ? "check" :
		    "uncheck");
		return 0;
	}
	if (how == NULL || u == NULL || find_info(a, &f) != 0)
		return -1;
	changed = ((f.in.states & A11Y_CHECKED) != 0) != (want != 0);
	if (changed && click_node(a, u, f.x, f.n, &f.in, how, 1, 1,
	    &by) != 0) {
		done(&f);
		return -1;
	}
	/* The click is the application's to act on: wait until it has. */
	for (start = time_mono_ms(); changed;) {
		a11y_info_clear(&f.in);
		a11y_node_info(f.x, f.n, &f.in);
		if (((f.in.states & A11Y_CHECKED) != 0) == (want != 0))
			break;
		if (time_mono_ms() - start > CHECK_MS) {
			act_fail(a, "[%s] '%s' is still %s %d ms after it was "
			    "clicked", f.in.role, f.in.name, want ?
			    "unchecked" : "checked", CHECK_MS);
			done(&f);
			return -1;
		}
		time_sleep_ms(POLL_MS, NULL);
	}
	act_log(a, "[%s] '%s' is %s%s", f.in.role, f.in.name, want ?
	    "checked" : "unchecked", changed ? "" : " already");
	a->out = control_json(&f.in);
	json_object_set_new(a->out, "checked", json_boolean(want));
	json_object_set_new(a->out, "changed", json_boolean(changed));
	done(&f);
	return 0;
}

static int
do_wait(struct act *a)
{
	const char *state = act_str(a, "state", "shown");
	struct found f;
	struct ui_wait w;
	int64_t waited = 0, start = time_mono_ms();
	int gone = strcmp(state, "gone") == 0;
	int enabled = strcmp(state, "enabled") == 0;

	if (!gone && !enabled && strcmp(state, "shown") != 0)
		return act_fail(a, "state must be shown, enabled or gone, not "
		    "'%s'", state);
	if (act_dry_run(a)) {
		act_log(a, "dry run: would wait until a control is %s", state);
		return 0;
	}
	if (get_target(a, &f.t) != 0)
		return -1;
	if (gone) {
		if (find_target(a, &f.x, &f.t, 1, &f.n, &waited) < 0) {
			target_free(&f.t);
			return -1;
		}
		act_log(a, "the control is gone (%lld ms)", (long long)waited);
		a->out = json_pack("{s:b, s:I}", "found", 0, "waited_ms",
		    (json_int_t)waited);
		target_free(&f.t);
		return 0;
	}
	if (act_ui_wait(a, &w) != 0 || find_target(a, &f.x, &f.t, 0, &f.n,
	    NULL) < 0) {
		target_free(&f.t);
		return -1;
	}
	for (;;) {
		a11y_node_info(f.x, f.n, &f.in);
		if (!enabled || (f.in.states & A11Y_ENABLED))
			break;
		if (time_mono_ms() - start >= w.timeout_ms) {
			act_fail(a, "[%s] '%s' is still disabled after %g s",
			    f.in.role, f.in.name,
			    (double)w.timeout_ms / 1000.0);
			done(&f);
			return -1;
		}
		a11y_info_clear(&f.in);
		time_sleep_ms(POLL_MS, NULL);
	}
	waited = time_mono_ms() - start;
	act_log(a, "[%s] '%s' is %s (%lld ms)", f.in.role, f.in.name, state,
	    (long long)waited);
	a->out = control_json(&f.in);
	json_object_set_new(a->out, "found", json_true());
	json_object_set_new(a->out, "enabled",
	    json_boolean(f.in.states & A11Y_ENABLED));
	json_object_set_new(a->out, "waited_ms", json_integer(waited));
	done(&f);
	return 0;
}

static int
do_table(struct act *a)
{
	struct found f;
	json_t *tab;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would read a table");
		return 0;
	}
	if (find_info(a, &f) != 0)
		return -1;
	if ((tab = a11y_table(f.x, f.n)) == NULL)
		return refused(a, &f);
	act_log(a, "read [%s] '%s': %zu rows of %zu columns", f.in.role,
	    f.in.name, json_array_size(json_object_get(tab, "rows")),
	    json_array_size(json_object_get(tab, "columns")));
	a->out = tab;
	done(&f);
	return 0;
}

/* --- the table ------------------------------------------------------------ */

#define TARGET_REQUIRED \
	{ "target", ARG_MAP, 1, "the control: {app, window, role, name, " \
	    "match, nth, path}" }, \
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for it (default 10)" }

static const struct action_arg read_args[] = {
	TARGET_REQUIRED,
	{ NULL, 0, 0, NULL },
};

static const struct action_arg select_args[] = {
	TARGET_REQUIRED,
	{ "item", ARG_STRING, 1, "the item to choose, by its visible text" },
	{ NULL, 0, 0, NULL },
};

#define BY_ARG \
	{ "by", ARG_STRING, 0, "auto (default: the mouse when it is on the " \
	    "screen, else its action), mouse or action" }

static const struct action_arg check_args[] = {
	TARGET_REQUIRED,
	{ "checked", ARG_BOOL, 0, "true (default) to check, false to uncheck" },
	BY_ARG,
	{ NULL, 0, 0, NULL },
};

static const struct action_arg wait_args[] = {
	TARGET_REQUIRED,
	{ "state", ARG_STRING, 0, "shown (default), enabled or gone" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg table_args[] = {
	TARGET_REQUIRED,
	{ NULL, 0, 0, NULL },
};

/* Every output about one control starts with these (control_json). */
#define CONTROL_OUT \
	{ "app", ARG_STRING, "the control's application" }, \
	{ "window", ARG_STRING, "its window's name" }, \
	{ "role", ARG_STRING, "its role" }, \
	{ "name", ARG_STRING, "its name" }, \
	{ "box", ARG_LIST, "[x, y, width, height] on the screen" }

static const struct action_out read_out[] = {
	CONTROL_OUT,
	{ "text", ARG_STRING, "its text or value" },
	{ NULL, 0, NULL },
};

static const struct action_out select_out[] = {
	CONTROL_OUT,
	{ "item", ARG_STRING, "the item chosen" },
	{ NULL, 0, NULL },
};

static const struct action_out check_out[] = {
	CONTROL_OUT,
	{ "checked", ARG_BOOL, "whether it is checked now" },
	{ "changed", ARG_BOOL, "whether this step changed it" },
	{ NULL, 0, NULL },
};

static const struct action_out wait_out[] = {
	CONTROL_OUT,
	{ "found", ARG_BOOL, "shown (true), or gone (false, with gone: "
	    "true; then only waited_ms is there too)" },
	{ "enabled", ARG_BOOL, "whether it is enabled" },
	{ "waited_ms", ARG_INT, "how long it waited" },
	{ NULL, 0, NULL },
};

static const struct action_out table_out[] = {
	{ "columns", ARG_LIST, "the column headers" },
	{ "rows", ARG_LIST, "each row, a list of its cells' text" },
	{ "records", ARG_LIST, "each row, a mapping from header to text" },
	{ NULL, 0, NULL },
};

/* Every action here describes itself in a dry run (act_dry_run). */
const struct action a11y_actions[] = {
	{ "ui.read", "read a control's text or value (accessibility)",
	    read_args, do_read, ACTION_UI, act_ui_on_fail, ARG_MAP, read_out,
	    ACTION_DRY_SELF },
	{ "ui.select", "choose an item of a combo box, list or table",
	    select_args, do_select, ACTION_UI, act_ui_on_fail, ARG_MAP,
	    select_out, ACTION_DRY_SELF },
	{ "ui.check", "check or uncheck a check box or radio button",
	    check_args, do_check, ACTION_UI, act_ui_on_fail, ARG_MAP,
	    check_out, ACTION_DRY_SELF },
	{ "ui.wait", "wait until a control is shown, enabled or gone",
	    wait_args, do_wait, ACTION_UI, act_ui_on_fail, ARG_MAP, wait_out,
	    ACTION_DRY_SELF },
	{ "ui.table", "read a table or tree control as rows", table_args,
	    do_table, ACTION_UI, act_ui_on_fail, ARG_MAP, table_out,
	    ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
