/*
 * act_uiwin.c - how the ui.* actions find the window a step names, and
 * what they say when they cannot.
 *
 * A run remembers the windows its steps found (id, title, pid, and how
 * they were asked for).  That lets a step fail at once, instead of waiting
 * its whole timeout and saving one more screenshot, when the application
 * it drives has gone: a window asked for by id that was destroyed never
 * comes back, and one asked for by title whose earlier match was
 * destroyed with its program ended will not either.  A loop over 60 items
 * whose application died then fails its remaining items in milliseconds,
 * each saying "the window ... was closed", with a screenshot only for the
 * first.
 *
 * A title that matches two windows is an error listing both (unless the
 * step says pick: top): a silent pick of either is how a script types
 * into the wrong one.  A window that does not appear is an error listing
 * the windows that are open, so that a title written slightly wrong is
 * seen at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act_ui.h"
#include "buf.h"
#include "xmalloc.h"

#define KNOWN_MAX	64	/* windows a run remembers */
#define LIST_MAX	10	/* windows named in one message */

/* A window a step of the run found. */
struct ui_known {
	unsigned long	 id;
	char		*title;
	long		 pid;
	char		*spec;		/* how it was asked for */
};

void
act_ui_known_free(struct ui_run *u)
{
	size_t i;

	for (i = 0; i < u->nknown; i++) {
		free(u->known[i].title);
		free(u->known[i].spec);
	}
	free(u->known);
	u->known = NULL;
	u->nknown = 0;
}

static struct ui_known *
known_by_id(struct ui_run *u, unsigned long id)
{
	size_t i;

	for (i = 0; i < u->nknown; i++)
		if (u->known[i].id == id)
			return &u->known[i];
	return NULL;
}

/*
 * Remember w, found as spec (a window found both by title and by id is
 * remembered both ways); the oldest is forgotten past KNOWN_MAX.
 */
static void
remember(struct ui_run *u, const struct ui_window *w, const char *spec)
{
	struct ui_known *k = NULL;
	size_t i;

	for (i = 0; i < u->nknown && k == NULL; i++)
		if (u->known[i].id == w->id &&
		    strcmp(u->known[i].spec, spec) == 0)
			k = &u->known[i];
	if (k == NULL) {
		if (u->nknown == KNOWN_MAX) {
			free(u->known[0].title);
			free(u->known[0].spec);
			memmove(u->known, u->known + 1,
			    (KNOWN_MAX - 1) * sizeof *u->known);
			u->nknown--;
		}
		u->known = xreallocarray(u->known, u->nknown + 1,
		    sizeof *u->known);
		k = &u->known[u->nknown++];
		memset(k, 0, sizeof *k);
	}
	free(k->title);
	free(k->spec);
	k->id = w->id;
	k->title = xstrdup(w->title);
	k->pid = w->pid;
	k->spec = xstrdup(spec);
}

/*
 * Whether process pid has ended, on this machine (the display is local):
 * it is gone, or it is a zombie its parent has not reaped yet.
 */
static int
program_ended(const struct ui_run *u, long pid)
{
	const char *d = ui_display(u->ui);
	char path[64], stat[512], *p;
	FILE *f;
	int zombie = 0;

	if (pid <= 0 || (d[0] != ':' && strncmp(d, "unix:", 5) != 0))
		return 0;
	if (kill((pid_t)pid, 0) == -1)
		return errno == ESRCH;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	/* "pid (comm) state ...": comm may hold spaces and parentheses. */
	if (fgets(stat, sizeof stat, f) != NULL &&
	    (p = strrchr(stat, ')')) != NULL)
		zombie = p[1] == ' ' && p[2] == 'Z';
	fclose(f);
	return zombie;
}

/*
 * Fail because known window k was closed.  The first failure about a
 * window keeps its screenshot; the ones after it say the same and need
 * none.
 */
static int
closed(struct act *a, struct ui_run *u, unsigned long id,
    const struct ui_known *k, int ended)
{
	if (u->closed_shown == id)
		u->no_shot = 1;
	u->closed_shown = id;
	if (k == NULL)
		return act_fail(a, "the window %lu was closed", id);
	if (ended)
		return act_fail(a, "the window %lu '%s' was closed and its "
		    "program (pid %ld) has ended", id, k->title, k->pid);
	return act_fail(a, "the window %lu '%s' was closed", id, k->title);
}

/*
 * Before waiting for a window asked for as spec: a window found the same
 * way before that is now destroyed, with its program ended, means that
 * nothing will come.  Returns -1 after act_fail then, else 0.
 */
static int
gone_before(struct act *a, struct ui_run *u, const struct ui_match *m,
    const char *spec)
{
	size_t i;

	if (m->id != 0) {
		if (ui_window_alive(u->ui, m->id) == 0)
			return closed(a, u, m->id, known_by_id(u, m->id), 0);
		return 0;
	}
	for (i = u->nknown; i-- > 0;) {
		const struct ui_known *k = &u->known[i];

		if (strcmp(k->spec, spec) != 0)
			continue;
		if (ui_window_alive(u->ui, k->id) != 0 ||
		    !program_ended(u, k->pid))
			return 0;
		return closed(a, u, k->id, k, 1);
	}
	return 0;
}

/* "'財務会計システム 支出伝票入力' (4194307, pid 12, at 0,0 520x300)". */
static void
describe(struct buf *b, const struct ui_window *w, int where)
{
	buf_printf(b, "'%s' (%lu", w->title, w->id);
	if (w->pid > 0)
		buf_printf(b, ", pid %ld", w->pid);
	if (where)
		buf_printf(b, ", at %d,%d %dx%d", w->x, w->y, w->width,
		    w->height);
	buf_puts(b, ")");
}

/* The windows that are open, for a message: "'A' (1), 'B' (2)". */
static char *
open_windows(struct ui_run *u)
{
	struct ui_window *ws;
	struct buf b;
	size_t n, i;

	buf_init(&b, 16384);
	if (ui_window_list(u->ui, NULL, &ws, &n) != 0)
		return xstrdup("unknown");
	if (n == 0)
		buf_puts(&b, "none");
	for (i = 0; i < n && i < LIST_MAX; i++) {
		if (i > 0)
			buf_puts(&b, ", ");
		describe(&b, &ws[i], 0);
	}
	if (n > LIST_MAX)
		buf_printf(&b, " and %zu more", n - LIST_MAX);
	ui_windows_free(ws, n);
	return buf_detach(&b, NULL);
}

/*
 * The windows that match m besides the one found: an error listing them
 * all unless pick_top, when the log says the top one was taken.  -1 after
 * act_fail.
 */
static int
one_only(struct act *a, struct ui_run *u, const struct ui_match *m,
    const char *spec, int pick_top, int *others)
{
	struct ui_window *ws;
	struct buf b;
	size_t n, i;

	*others = 0;
	if (m->id != 0)
		return 0;
	if (ui_window_list(u->ui, m, &ws, &n) != 0)
		return act_fail(a, "%s", ui_error(u->ui));
	if (n <= 1 || pick_top) {
		*others = n > 1 ? (int)n - 1 : 0;
		ui_windows_free(ws, n);
		return 0;
	}
	buf_init(&b, 16384);
	for (i = 0; i < n && i < LIST_MAX; i++) {
		buf_puts(&b, i == 0 ? "" : i + 1 == n ? " and " : ", ");
		describe(&b, &ws[i], 1);
	}
	act_fail(a, "%zu windows match %s: %s; say which (id: from an earlier "
	    "step's output, a stricter title, class or pid), or take the one "
	    "on top with pick: top", n, spec, buf_str(&b));
	buf_free(&b);
	ui_windows_free(ws, n);
	return -1;
}

int
act_ui_find(struct act *a, struct ui_run *u, const struct ui_match *m,
    int pick_top, const struct ui_wait *w, struct ui_window *out,
    int *others)
{
	char *spec = ui_match_describe(m), *open, t[32];
	int r;

	memset(out, 0, sizeof *out);
	*others = 0;
	if (gone_before(a, u, m, spec) != 0)
		goto fail;
	r = ui_window_find(u->ui, m, w, out);
	if (r == UI_TIMEOUT) {
		if (m->id != 0 && ui_window_alive(u->ui, m->id) == 0) {
			closed(a, u, m->id, known_by_id(u, m->id), 0);
			goto fail;
		}
		open = open_windows(u);
		snprintf(t, sizeof t, "%g s", (double)w->timeout_ms / 1000.0);
		act_fail(a, "no window with %s appeared within %s on display "
		    "%s (open windows: %s)", spec, t, ui_display(u->ui), open);
		free(open);
		goto fail;
	}
	if (r != 0) {
		act_fail(a, "%s", ui_error(u->ui));
		goto fail;
	}
	if (one_only(a, u, m, spec, pick_top, others) != 0) {
		ui_window_clear(out);
		goto fail;
	}
	remember(u, out, spec);
	free(spec);
	return 0;
fail:
	free(spec);
	return -1;
}

int
act_ui_current(struct act *a, struct ui_run *u, unsigned long *id)
{
	if (u->current != 0 && ui_window_alive(u->ui, u->current) == 0)
		return closed(a, u, u->current, known_by_id(u, u->current), 0);
	*id = u->current;
	return 0;
}
