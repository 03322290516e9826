/*
 * a11y.c - the AT-SPI boundary: every call into libatspi lives here (see
 * a11y.h for the contract).
 *
 * libatspi hands out GObject references, g_malloc'd strings, GArrays and
 * GErrors; each is released here, on every path, and what leaves this file
 * is xmalloc'd UTF-8 and 0 / -1.  Calls are synchronous D-Bus calls to the
 * application; GTK (through atk-bridge) publishes a cache of its tree, so
 * roles, names and children cost nothing after the first look, where a
 * Java application answers each call itself (a few milliseconds each).
 * Before each search the GLib main context is run dry, so that the cache
 * has taken every change the applications announced.
 */
#include <locale.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libatspi 2.46 declares a few functions as f() rather than f(void). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <atspi/atspi.h>
#pragma GCC diagnostic pop
#include <dbus/dbus.h>

#include "a11y.h"
#include "buf.h"
#include "textutil.h"
#include "xmalloc.h"

#define MAX_DEPTH	64	/* below a window */
#define MAX_NODES	20000	/* looked at in one search */
#define MAX_LISTED	8	/* controls named in one message */

struct a11y {
	AtspiAccessible	*desktop;
	locale_t	 utf8;		/* for regcomp/regexec, or 0 */
	char		 err[2048];
};

struct a11y_node {
	AtspiAccessible	*acc;
	AtspiAccessible	*top;		/* its top-level window */
	char		*app, *window;
};

/* Role names people write, and the AT-SPI role they mean. */
static const struct {
	const char	*alias;
	const char	*role;
} role_aliases[] = {
	{ "button", "push button" },
	{ "checkbox", "check box" },
	{ "radio", "radio button" },
	{ "radiobutton", "radio button" },
	{ "combobox", "combo box" },
	{ "edit", "text" },
	{ "entry", "text" },
	{ "field", "text" },
	{ "textbox", "text" },
	{ "tab", "page tab" },
	{ "grid", "table" },
	{ "dialog box", "dialog" },
};

static int
fail(struct a11y *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof x->err, fmt, ap);
	va_end(ap);
	text_utf8_trim_partial(x->err);
	return -1;
}

/* Fail with a GError's message (and free it). */
static int
gfail(struct a11y *x, GError *e, const char *what)
{
	fail(x, "%s: %s", what, e != NULL ? e->message : "no answer");
	if (e != NULL)
		g_error_free(e);
	return -1;
}

const char *
a11y_error(const struct a11y *x)
{
	return x->err;
}

/* --- the connection ------------------------------------------------------ */

#define BUS_REPLY_MS	5000	/* for the session bus's answer */

/*
 * The accessibility bus's address, tried: bus (the display's AT_SPI_BUS)
 * when given, else AT_SPI_BUS_ADDRESS, else what org.a11y.Bus on the
 * session bus answers.  libatspi ends the process (g_error, SIGTRAP) when
 * it cannot reach a bus, so the bus is found and reached here first.
 * Returns a new string, or NULL with a message in err.
 */
static char *
bus_address(const char *bus, char *err, size_t errlen)
{
	const char *env = getenv("AT_SPI_BUS_ADDRESS");
	DBusConnection *c;
	DBusMessage *m, *r = NULL;
	DBusError de;
	const char *got = NULL;
	char *addr = NULL;

	dbus_error_init(&de);
	if (bus != NULL && *bus != '\0')
		addr = xstrdup(bus);
	else if (env != NULL && *env != '\0')
		addr = xstrdup(env);
	else if (getenv("DBUS_SESSION_BUS_ADDRESS") == NULL) {
		/* Not libdbus's autolaunch: no bus is started behind a
		 * script's back. */
		snprintf(err, errlen, "no accessibility bus: the display has "
		    "no AT_SPI_BUS property and there is no session bus "
		    "(DBUS_SESSION_BUS_ADDRESS) to ask for one");
		return NULL;
	} else if ((c = dbus_bus_get_private(DBUS_BUS_SESSION, &de)) != NULL) {
		m = dbus_message_new_method_call("org.a11y.Bus",
		    "/org/a11y/bus", "org.a11y.Bus", "GetAddress");
		if (m != NULL) {
			r = dbus_connection_send_with_reply_and_block(c, m,
			    BUS_REPLY_MS, &de);
			dbus_message_unref(m);
		}
		if (r != NULL && dbus_message_get_args(r, &de,
		    DBUS_TYPE_STRING, &got, DBUS_TYPE_INVALID) && *got != '\0')
			addr = xstrdup(got);
		if (r != NULL)
			dbus_message_unref(r);
		dbus_connection_close(c);
		dbus_connection_unref(c);
	}
	if (addr == NULL) {
		snprintf(err, errlen, "no accessibility bus: the display has "
		    "no AT_SPI_BUS property and the session bus did not give "
		    "one (%s): is at-spi2-core installed?", dbus_error_is_set(&de)
		    ? de.message : "no address");
		dbus_error_free(&de);
		return NULL;
	}
	/* Reach it as libatspi will: a private connection, registered. */
	if ((c = dbus_connection_open_private(addr, &de)) != NULL) {
		if (dbus_bus_register(c, &de)) {
			dbus_connection_close(c);
			dbus_connection_unref(c);
			return addr;
		}
		dbus_connection_close(c);
		dbus_connection_unref(c);
	}
	snprintf(err, errlen, "the accessibility bus %s cannot be reached "
	    "(%s)", addr, dbus_error_is_set(&de) ? de.message : "no answer");
	dbus_error_free(&de);
	free(addr);
	return NULL;
}

struct a11y *
a11y_open(const char *bus, char *err, size_t errlen)
{
	struct a11y *x;
	GError *e = NULL;
	char *addr;
	int n;

	/* libatspi reads it once, when it first needs the bus. */
	if (!atspi_is_initialized()) {
		if ((addr = bus_address(bus, err, errlen)) == NULL)
			return NULL;
		setenv("AT_SPI_BUS_ADDRESS", addr, 1);
		free(addr);
	}
	atspi_init();
	x = xcalloc(1, sizeof *x);
	x->desktop = atspi_get_desktop(0);
	n = x->desktop != NULL ?
	    atspi_accessible_get_child_count(x->desktop, &e) : -1;
	if (n < 0 || e != NULL) {
		snprintf(err, errlen, "no accessibility bus (%s): is "
		    "at-spi2-core installed, and the application started with "
		    "accessibility on?", e != NULL ? e->message :
		    "no desktop");
		if (e != NULL)
			g_error_free(e);
		a11y_close(x);
		return NULL;
	}
	x->utf8 = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, "C.UTF-8",
	    (locale_t)0);
	return x;
}

void
a11y_close(struct a11y *x)
{
	if (x == NULL)
		return;
	if (x->desktop != NULL)
		g_object_unref(x->desktop);
	/* libatspi's own tables (applications, accessibles, listeners) go
	 * with it; a later a11y_open starts it again. */
	atspi_exit();
	if (x->utf8 != (locale_t)0)
		freelocale(x->utf8);
	free(x);
}

/* Take every change the applications announced into the cache. */
static void
catch_up(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* --- one accessible -------------------------------------------------------- */

static char *
take(gchar *s)
{
	char *r = xstrdup(s != NULL ? s : "");

	g_free(s);
	return r;
}

static char *
acc_name(AtspiAccessible *a)
{
	GError *e = NULL;
	gchar *s = atspi_accessible_get_name(a, &e);

	if (e != NULL)
		g_error_free(e);
	return take(s);
}

static char *
acc_role(AtspiAccessible *a)
{
	GError *e = NULL;
	gchar *s = atspi_accessible_get_role_name(a, &e);

	if (e != NULL)
		g_error_free(e);
	return take(s);
}

static int
acc_nchildren(AtspiAccessible *a)
{
	GError *e = NULL;
	int n = atspi_accessible_get_child_count(a, &e);

	if (e != NULL) {
		g_error_free(e);
		return 0;
	}
	return n < 0 ? 0 : n;
}

/* Child i (a new reference), or NULL. */
static AtspiAccessible *
acc_child(AtspiAccessible *a, int i)
{
	GError *e = NULL;
	AtspiAccessible *c = atspi_accessible_get_child_at_index(a, i, &e);

	if (e != NULL) {
		g_error_free(e);
		if (c != NULL)
			g_object_unref(c);
		return NULL;
	}
	return c;
}

static unsigned
acc_states(AtspiAccessible *a)
{
	static const struct {
		AtspiStateType	 t;
		unsigned	 bit;
	} map[] = {
		{ ATSPI_STATE_ENABLED, A11Y_ENABLED },
		{ ATSPI_STATE_SHOWING, A11Y_SHOWING },
		{ ATSPI_STATE_FOCUSED, A11Y_FOCUSED },
		{ ATSPI_STATE_CHECKED, A11Y_CHECKED },
		{ ATSPI_STATE_EDITABLE, A11Y_EDITABLE },
		{ ATSPI_STATE_SELECTED, A11Y_SELECTED },
	};
	AtspiStateSet *set = atspi_accessible_get_state_set(a);
	unsigned s = 0;
	size_t i;

	if (set == NULL)
		return 0;
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (atspi_state_set_contains(set, map[i].t))
			s |= map[i].bit;
	g_object_unref(set);
	return s;
}

/* The name of what labels a (its LABELLED_BY relation), or "". */
static char *
acc_label(AtspiAccessible *a)
{
	GError *e = NULL;
	GArray *rels = atspi_accessible_get_relation_set(a, &e);
	char *name = NULL;
	guint i;

	if (e != NULL)
		g_error_free(e);
	if (rels == NULL)
		return xstrdup("");
	for (i = 0; i < rels->len; i++) {
		AtspiRelation *r = g_array_index(rels, AtspiRelation *, i);

		if (name == NULL && atspi_relation_get_relation_type(r) ==
		    ATSPI_RELATION_LABELLED_BY &&
		    atspi_relation_get_n_targets(r) > 0) {
			AtspiAccessible *t = atspi_relation_get_target(r, 0);

			if (t != NULL) {
				name = acc_name(t);
				g_object_unref(t);
			}
		}
		g_object_unref(r);
	}
	g_array_free(rels, TRUE);
	return name != NULL ? name : xstrdup("");
}

/* Where a is on the screen: 0 with the box, -1 when it does not say. */
static int
acc_extents(AtspiAccessible *a, int box[4])
{
	AtspiComponent *comp = atspi_accessible_get_component_iface(a);
	AtspiRect *r = NULL;
	GError *e = NULL;

	if (comp != NULL) {
		r = atspi_component_get_extents(comp, ATSPI_COORD_TYPE_SCREEN,
		    &e);
		g_object_unref(comp);
	}
	if (e != NULL)
		g_error_free(e);
	if (r == NULL)
		return -1;
	box[0] = r->x;
	box[1] = r->y;
	box[2] = r->width;
	box[3] = r->height;
	g_free(r);
	return 0;
}

/* Its name, or the name of its label: how a person would call it. */
static char *
acc_called(AtspiAccessible *a)
{
	char *n = acc_name(a);

	if (*n != '\0')
		return n;
	free(n);
	return acc_label(a);
}

/* --- selectors -------------------------------------------------------------- */

/* One step of a path: "role", "role:name", "role:name#n", "role#n". */
struct step {
	char	*role;
	char	*name;		/* NULL: any */
	int	 nth;		/* from 1 */
};

/* A selector made ready: regexes compiled, role aliases resolved. */
struct csel {
	const struct a11y_sel	*s;
	const char		*role;
	regex_t			 re[3];	/* app, window, name */
	int			 has_re[3];
	struct step		*steps;
	size_t			 nsteps;
};

enum { RE_APP, RE_WINDOW, RE_NAME };

static const char *
canonical_role(const char *r)
{
	size_t i;

	for (i = 0; r != NULL && i < sizeof role_aliases /
	    sizeof role_aliases[0]; i++)
		if (strcasecmp(r, role_aliases[i].alias) == 0)
			return role_aliases[i].role;
	return r;
}

static int
re_compile(struct a11y *x, regex_t *re, const char *what, const char *src)
{
	locale_t old = (locale_t)0;
	char msg[256];
	int r;

	if (x->utf8 != (locale_t)0)
		old = uselocale(x->utf8);
	r = regcomp(re, src, REG_EXTENDED | REG_NOSUB);
	if (r != 0)
		regerror(r, re, msg, sizeof msg);
	if (x->utf8 != (locale_t)0)
		uselocale(old);
	if (r != 0)
		return fail(x, "%s: invalid regular expression '%s': %s", what,
		    src, msg);
	return 0;
}

/* Does s match want as the selector says? */
static int
text_matches(struct a11y *x, const struct csel *c, int which,
    const char *want, const char *s)
{
	locale_t old = (locale_t)0;
	int r;

	if (want == NULL)
		return 1;
	switch (c->s->match) {
	case A11Y_CONTAINS:
		return strstr(s, want) != NULL;
	case A11Y_REGEX:
		if (x->utf8 != (locale_t)0)
			old = uselocale(x->utf8);
		r = regexec(&c->re[which], s, 0, NULL, 0) == 0;
		if (x->utf8 != (locale_t)0)
			uselocale(old);
		return r;
	default:
		return strcmp(s, want) == 0;
	}
}

static void
csel_free(struct csel *c)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (c->has_re[i])
			regfree(&c->re[i]);
	for (i = 0; i < c->nsteps; i++) {
		free(c->steps[i].role);
		free(c->steps[i].name);
	}
	free(c->steps);
	memset(c, 0, sizeof *c);
}

/* Parse "role:name#n" into st; -1 after fail. */
static int
step_parse(struct a11y *x, const char *src, struct step *st)
{
	char *s = xstrdup(src), *colon, *hash;
	long n = 1;

	memset(st, 0, sizeof *st);
	if ((hash = strrchr(s, '#')) != NULL) {
		char *end;

		n = strtol(hash + 1, &end, 10);
		if (*end != '\0' || n < 1 || n > 10000) {
			free(s);
			return fail(x, "path: '%s': after # comes a number from "
			    "1", src);
		}
		*hash = '\0';
	}
	if ((colon = strchr(s, ':')) != NULL) {
		*colon = '\0';
		st->name = xstrdup(colon + 1);
	}
	if (*s == '\0') {
		free(s);
		free(st->name);
		st->name = NULL;
		return fail(x, "path: '%s' names no role", src);
	}
	st->role = xstrdup(canonical_role(s));
	st->nth = (int)n;
	free(s);
	return 0;
}

static int
csel_init(struct a11y *x, struct csel *c, const struct a11y_sel *s)
{
	const char *src[3] = { s->app, s->window, s->name };
	static const char *const what[3] = { "app", "window", "name" };
	size_t i;

	memset(c, 0, sizeof *c);
	c->s = s;
	c->role = canonical_role(s->role);
	for (i = 0; i < 3 && s->match == A11Y_REGEX; i++) {
		if (src[i] == NULL)
			continue;
		if (re_compile(x, &c->re[i], what[i], src[i]) != 0) {
			csel_free(c);
			return -1;
		}
		c->has_re[i] = 1;
	}
	c->steps = s->npath > 0 ? xcalloc(s->npath, sizeof *c->steps) : NULL;
	for (i = 0; i < s->npath; i++) {
		if (step_parse(x, s->path[i], &c->steps[i]) != 0) {
			csel_free(c);
			return -1;
		}
		c->nsteps++;
	}
	return 0;
}

char *
a11y_sel_describe(const struct a11y_sel *s)
{
	static const char *const how[] = { "", "containing ", "matching " };
	struct buf b;
	size_t i;

	buf_init(&b, 8192);
	if (s->role != NULL)
		buf_printf(&b, "role '%s'", canonical_role(s->role));
	if (s->name != NULL)
		buf_printf(&b, "%sname %s'%s'", b.len ? " and " : "",
		    how[s->match], s->name);
	if (s->npath > 0) {
		buf_printf(&b, "%spath", b.len ? " below " : "");
		for (i = 0; i < s->npath; i++)
			buf_printf(&b, "%s'%s'", i ? " > " : " ", s->path[i]);
	}
	if (s->nth > 0)
		buf_printf(&b, " (number %d)", s->nth);
	if (s->window != NULL)
		buf_printf(&b, " in window %s'%s'", how[s->match], s->window);
	if (s->app != NULL)
		buf_printf(&b, " of application %s'%s'", how[s->match], s->app);
	if (b.len == 0)
		buf_puts(&b, "any control");
	return buf_detach(&b, NULL);
}

/* --- walking ---------------------------------------------------------------- */

/* A control met on the way, with where it is. */
struct seen {
	AtspiAccessible	*acc;		/* a reference */
	AtspiAccessible	*top;		/* its window, a reference */
	char		*app, *window, *role, *name;
	int		 depth;
};

struct seenlist {
	struct seen	*v;
	size_t		 n, cap;
};

static void
seen_add(struct seenlist *l, AtspiAccessible *a, AtspiAccessible *top,
    const char *app, const char *window, char *role, char *name, int depth)
{
	struct seen *s;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	s = &l->v[l->n++];
	s->acc = g_object_ref(a);
	s->top = g_object_ref(top);
	s->app = xstrdup(app);
	s->window = xstrdup(window);
	s->role = role;
	s->name = name;
	s->depth = depth;
}

static void
seen_free(struct seenlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		g_object_unref(l->v[i].acc);
		g_object_unref(l->v[i].top);
		free(l->v[i].app);
		free(l->v[i].window);
		free(l->v[i].role);
		free(l->v[i].name);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* What a walk looks for: a role and name (NULL: any), and its limits. */
struct want {
	struct a11y	*x;
	const struct csel *c;
	const char	*role;
	const char	*name;
	int		 showing;	/* only controls that are showing */
	int		 exact;		/* name exactly (a path step) */
	int		 below;		/* not the control walked from */
	int		 all;		/* keep everything (trees, nearest) */
	size_t		 budget;	/* nodes still to look at */
};

/*
 * Walk the subtree of a (a itself included) in document order, adding
 * what w wants to l.  Children of a control that is not showing are not
 * showing either, but may still be walked for a tree.
 */
static void
walk(struct want *w, AtspiAccessible *a, AtspiAccessible *top,
    const char *app, const char *win, int depth, struct seenlist *l)
{
	char *role, *name = NULL;
	int i, n, keep;

	if (w->budget == 0 || depth > MAX_DEPTH)
		return;
	w->budget--;
	role = acc_role(a);
	keep = w->all || w->role == NULL || strcmp(role, w->role) == 0;
	if (depth == 0 && w->below)
		keep = 0;
	if (keep && (w->all || w->name != NULL)) {
		name = acc_called(a);
		if (!w->all && (w->exact ? strcmp(name, w->name) != 0 :
		    !text_matches(w->x, w->c, RE_NAME, w->name, name)))
			keep = 0;
	}
	if (keep && w->showing && !w->all &&
	    !(acc_states(a) & A11Y_SHOWING))
		keep = 0;
	if (keep)
		seen_add(l, a, top, app, win, role, name != NULL ? name :
		    acc_name(a), depth);
	else {
		free(role);
		free(name);
	}
	n = acc_nchildren(a);
	for (i = 0; i < n; i++) {
		AtspiAccessible *c = acc_child(a, i);

		if (c == NULL)
			continue;
		walk(w, c, top, app, win, depth + 1, l);
		g_object_unref(c);
	}
}

/*
 * Call fn for each window of each application the selector allows, with
 * the application's and the window's names.
 */
static void
each_window(struct a11y *x, const struct csel *c,
    void (*fn)(AtspiAccessible *, const char *, const char *, void *),
    void *arg)
{
	int i, k, napps, nwin;

	catch_up();
	napps = acc_nchildren(x->desktop);
	for (i = 0; i < napps; i++) {
		AtspiAccessible *app = acc_child(x->desktop, i);
		char *aname;

		if (app == NULL)
			continue;
		aname = acc_name(app);
		if (text_matches(x, c, RE_APP, c->s->app, aname)) {
			nwin = acc_nchildren(app);
			for (k = 0; k < nwin; k++) {
				AtspiAccessible *win = acc_child(app, k);
				char *wname;

				if (win == NULL)
					continue;
				wname = acc_name(win);
				if (text_matches(x, c, RE_WINDOW, c->s->window,
				    wname))
					fn(win, aname, wname, arg);
				free(wname);
				g_object_unref(win);
			}
		}
		free(aname);
		g_object_unref(app);
	}
}

/* The search of one window: follow the path, then collect matches. */
struct search {
	struct a11y	*x;
	const struct csel *c;
	struct seenlist	 hits;
	size_t		 budget;
	int		 bad_path;	/* a path step found nothing */
};

static void
search_window(AtspiAccessible *win, const char *app, const char *wname,
    void *arg)
{
	struct search *s = arg;
	const struct csel *c = s->c;
	AtspiAccessible *at = g_object_ref(win);
	struct want w;
	size_t i;

	for (i = 0; i < c->nsteps; i++) {
		struct seenlist l = { NULL, 0, 0 };
		const struct step *st = &c->steps[i];

		memset(&w, 0, sizeof w);
		w.x = s->x;
		w.c = c;
		w.role = st->role;
		w.name = st->name;
		/* Path names are exact (they come from the tree), and a
		 * step names a control below the one before. */
		w.exact = 1;
		w.below = 1;
		w.budget = s->budget;
		walk(&w, at, win, app, wname, 0, &l);
		s->budget = w.budget;
		g_object_unref(at);
		at = NULL;
		if (l.n >= (size_t)st->nth)
			at = g_object_ref(l.v[st->nth - 1].acc);
		seen_free(&l);
		if (at == NULL) {
			s->bad_path = 1;
			return;
		}
	}
	memset(&w, 0, sizeof w);
	w.x = s->x;
	w.c = c;
	w.role = c->role;
	w.name = c->s->name;
	w.showing = 1;
	w.budget = s->budget;
	walk(&w, at, win, app, wname, 0, &s->hits);
	s->budget = w.budget;
	g_object_unref(at);
}

/* "[push button] '登録' in '財務会計...'", with where it is when known. */
static void
describe_seen(struct buf *b, const struct seen *s)
{
	int box[4];

	buf_printf(b, "[%s] '%s' in '%s'", s->role, s->name, s->window);
	if (acc_extents(s->acc, box) == 0)
		buf_printf(b, " at %d,%d %dx%d", box[0], box[1], box[2],
		    box[3]);
}

int
a11y_find(struct a11y *x, const struct a11y_sel *sel, struct a11y_node **out)
{
	struct csel c;
	struct search s;
	struct buf b;
	char *what;
	size_t i;
	int r;

	*out = NULL;
	if (csel_init(x, &c, sel) != 0)
		return -1;
	memset(&s, 0, sizeof s);
	s.x = x;
	s.c = &c;
	s.budget = MAX_NODES;
	each_window(x, &c, search_window, &s);
	if (s.hits.n == 0 || (sel->nth > 0 && s.hits.n < (size_t)sel->nth)) {
		r = 0;
	} else if (sel->nth == 0 && s.hits.n > 1) {
		what = a11y_sel_describe(sel);
		buf_init(&b, 16384);
		for (i = 0; i < s.hits.n && i < MAX_LISTED; i++) {
			buf_puts(&b, i ? "; " : "");
			describe_seen(&b, &s.hits.v[i]);
		}
		if (s.hits.n > MAX_LISTED)
			buf_printf(&b, "; and %zu more", s.hits.n - MAX_LISTED);
		r = fail(x, "%zu controls match %s: %s; say which with nth: "
		    "(1-%zu, in that order) or path:", s.hits.n, what,
		    buf_str(&b), s.hits.n);
		buf_free(&b);
		free(what);
	} else {
		const struct seen *h = &s.hits.v[sel->nth > 0 ? sel->nth - 1 :
		    0];

		*out = xcalloc(1, sizeof **out);
		(*out)->acc = g_object_ref(h->acc);
		(*out)->top = g_object_ref(h->top);
		(*out)->app = xstrdup(h->app);
		(*out)->window = xstrdup(h->window);
		r = 1;
	}
	seen_free(&s.hits);
	csel_free(&c);
	return r;
}

void
a11y_node_free(struct a11y_node *n)
{
	if (n == NULL)
		return;
	g_object_unref(n->acc);
	g_object_unref(n->top);
	free(n->app);
	free(n->window);
	free(n);
}

/* --- nearest candidates and trees ------------------------------------------ */

/* Every control of the windows c allows (for trees and the nearest). */
struct everything {
	struct a11y	*x;
	const struct csel *c;
	struct seenlist	 all;
	size_t		 budget;
};

static void
collect_window(AtspiAccessible *win, const char *app, const char *wname,
    void *arg)
{
	struct everything *ev = arg;
	struct want w;

	memset(&w, 0, sizeof w);
	w.x = ev->x;
	w.c = ev->c;
	w.all = 1;
	w.budget = ev->budget;
	walk(&w, win, win, app, wname, 0, &ev->all);
	ev->budget = w.budget;
}

struct scored {
	const struct seen	*s;
	size_t			 d;
};

static int
by_distance(const void *a, const void *b)
{
	const struct scored *p = a, *q = b;

	return (p->d > q->d) - (p->d < q->d);
}

char *
a11y_nearest(struct a11y *x, const struct a11y_sel *sel, size_t max)
{
	struct a11y_sel scope = *sel;
	struct everything ev;
	struct csel c;
	struct scored *sc;
	struct buf b;
	const char *role = canonical_role(sel->role);
	size_t i, n = 0;

	/* The window named, if any, is the place to look; names may be
	 * what is wrong. */
	scope.role = scope.name = NULL;
	scope.npath = 0;
	if (csel_init(x, &c, &scope) != 0)
		return xstrdup("");
	memset(&ev, 0, sizeof ev);
	ev.x = x;
	ev.c = &c;
	ev.budget = MAX_NODES;
	each_window(x, &c, collect_window, &ev);
	sc = xcalloc(ev.all.n + 1, sizeof *sc);
	for (i = 0; i < ev.all.n; i++) {
		const struct seen *s = &ev.all.v[i];

		if (*s->name == '\0' && sel->name != NULL)
			continue;
		sc[n].s = s;
		sc[n].d = (sel->name != NULL ? text_distance(s->name,
		    sel->name) : 0) + (role != NULL && strcmp(s->role,
		    role) != 0 ? 3 : 0);
		n++;
	}
	qsort(sc, n, sizeof *sc, by_distance);
	buf_init(&b, 16384);
	for (i = 0; i < n && i < max; i++)
		buf_printf(&b, "%s[%s] '%s' in '%s' (distance %zu)",
		    i ? "; " : "", sc[i].s->role, sc[i].s->name,
		    sc[i].s->window, sc[i].d);
	if (n == 0)
		buf_puts(&b, "no controls at all");
	free(sc);
	seen_free(&ev.all);
	csel_free(&c);
	return buf_detach(&b, NULL);
}

/* A string as YAML takes it in a flow mapping: JSON's quoting. */
static void
put_quoted(struct buf *b, const char *s)
{
	json_t *j = json_string(s);
	char *q = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	buf_puts(b, q != NULL ? q : "\"\"");
	free(q);
	json_decref(j);
}

char *
a11y_tree(struct a11y *x, const char *app, const char *window,
    enum a11y_match match, int depth)
{
	struct a11y_sel scope;
	struct everything ev;
	struct csel c;
	struct buf b;
	size_t i, k, total, idx;

	memset(&scope, 0, sizeof scope);
	scope.app = app;
	scope.window = window;
	scope.match = match;
	if (csel_init(x, &c, &scope) != 0)
		return NULL;
	memset(&ev, 0, sizeof ev);
	ev.x = x;
	ev.c = &c;
	ev.budget = MAX_NODES;
	each_window(x, &c, collect_window, &ev);
	buf_init(&b, 64u << 20);
	for (i = 0; i < ev.all.n; i++) {
		const struct seen *s = &ev.all.v[i];

		if (depth > 0 && s->depth > depth)
			continue;
		/* How many in its window share its role and name, and which
		 * of them it is: the selector needs nth when not alone. */
		total = idx = 0;
		for (k = 0; k < ev.all.n; k++) {
			const struct seen *o = &ev.all.v[k];

			if (strcmp(o->window, s->window) != 0 ||
			    strcmp(o->app, s->app) != 0 ||
			    strcmp(o->role, s->role) != 0 ||
			    strcmp(o->name, s->name) != 0)
				continue;
			total++;
			if (k <= i)
				idx = total;
		}
		buf_printf(&b, "%*s[%s] '%s'  {app: ", 2 * s->depth, "",
		    s->role, s->name);
		put_quoted(&b, s->app);
		buf_puts(&b, ", window: ");
		put_quoted(&b, s->window);
		buf_puts(&b, ", role: ");
		put_quoted(&b, s->role);
		if (*s->name != '\0') {
			buf_puts(&b, ", name: ");
			put_quoted(&b, s->name);
		}
		if (total > 1 || *s->name == '\0')
			buf_printf(&b, ", nth: %zu", idx);
		buf_puts(&b, "}\n");
	}
	if (ev.all.n == 0)
		buf_puts(&b, "(no application on the accessibility bus has a "
		    "window that matches)\n");
	seen_free(&ev.all);
	csel_free(&c);
	return buf_detach(&b, NULL);
}

/* --- what a control is, and acting on it ----------------------------------- */

int
a11y_node_info(struct a11y *x, struct a11y_node *n, struct a11y_info *in)
{
	AtspiAction *act = atspi_accessible_get_action_iface(n->acc);
	GError *e = NULL;
	struct buf b;
	int i, na, box[4];

	(void)x;
	memset(in, 0, sizeof *in);
	in->app = xstrdup(n->app);
	in->window = xstrdup(n->window);
	in->role = acc_role(n->acc);
	in->name = acc_called(n->acc);
	in->states = acc_states(n->acc);
	if (acc_extents(n->acc, box) == 0) {
		in->x = box[0];
		in->y = box[1];
		in->w = box[2];
		in->h = box[3];
	}
	if (acc_extents(n->top, box) == 0) {
		in->wx = box[0];
		in->wy = box[1];
		in->ww = box[2];
		in->wh = box[3];
	}
	in->pid = (long)atspi_accessible_get_process_id(n->acc, &e);
	if (e != NULL) {
		g_clear_error(&e);
		in->pid = 0;
	}
	buf_init(&b, 4096);
	na = act != NULL ? atspi_action_get_n_actions(act, &e) : 0;
	if (e != NULL)
		g_clear_error(&e);
	for (i = 0; i < na; i++) {
		gchar *s = atspi_action_get_action_name(act, i, &e);

		if (e != NULL)
			g_clear_error(&e);
		buf_printf(&b, "%s%s", i ? ", " : "", s != NULL ? s : "");
		g_free(s);
	}
	if (act != NULL)
		g_object_unref(act);
	in->actions = buf_detach(&b, NULL);
	return 0;
}

void
a11y_info_clear(struct a11y_info *in)
{
	free(in->app);
	free(in->window);
	free(in->role);
	free(in->name);
	free(in->actions);
	memset(in, 0, sizeof *in);
}

/* The index of the first of names among a's actions, or -1. */
static int
find_action(AtspiAction *act, const char *const *names)
{
	GError *e = NULL;
	int i, k, n = atspi_action_get_n_actions(act, &e), found = -1;

	if (e != NULL) {
		g_error_free(e);
		return -1;
	}
	for (k = 0; names[k] != NULL && found < 0; k++)
		for (i = 0; i < n && found < 0; i++) {
			gchar *s = atspi_action_get_action_name(act, i, &e);

			if (e != NULL)
				g_clear_error(&e);
			if (s != NULL && strcasecmp(s, names[k]) == 0)
				found = i;
			g_free(s);
		}
	return found;
}

int
a11y_click(struct a11y *x, struct a11y_node *n)
{
	static const char *const clicks[] = { "click", "press", "toggle",
	    "jump", "open", NULL };
	AtspiAction *act = atspi_accessible_get_action_iface(n->acc);
	GError *e = NULL;
	int i;

	if (act == NULL)
		return 1;
	if ((i = find_action(act, clicks)) < 0) {
		g_object_unref(act);
		return 1;
	}
	atspi_action_do_action(act, i, &e);
	g_object_unref(act);
	if (e != NULL)
		return gfail(x, e, "the control refused its action");
	return 0;
}

int
a11y_focus(struct a11y *x, struct a11y_node *n)
{
	AtspiComponent *comp = atspi_accessible_get_component_iface(n->acc);
	GError *e = NULL;
	gboolean ok;

	if (comp == NULL)
		return fail(x, "the control cannot take the focus (it has no "
		    "Component interface)");
	ok = atspi_component_grab_focus(comp, &e);
	g_object_unref(comp);
	if (e != NULL)
		return gfail(x, e, "the control did not take the focus");
	return ok ? 0 : fail(x, "the control did not take the focus");
}

int
a11y_insert(struct a11y *x, struct a11y_node *n, const char *text)
{
	AtspiEditableText *et = atspi_accessible_get_editable_text_iface(n->acc);
	AtspiText *t;
	GError *e = NULL;
	int caret = 0;

	if (et == NULL || !(acc_states(n->acc) & A11Y_EDITABLE)) {
		if (et != NULL)
			g_object_unref(et);
		return 1;
	}
	if ((t = atspi_accessible_get_text_iface(n->acc)) != NULL) {
		caret = atspi_text_get_caret_offset(t, &e);
		if (e != NULL || caret < 0) {
			g_clear_error(&e);
			caret = atspi_text_get_character_count(t, NULL);
		}
		g_object_unref(t);
	}
	atspi_editable_text_insert_text(et, caret < 0 ? 0 : caret, text,
	    (gint)strlen(text), &e);
	g_object_unref(et);
	if (e != NULL)
		return gfail(x, e, "the control did not take the text");
	return 0;
}

char *
a11y_read(struct a11y *x, struct a11y_node *n)
{
	AtspiText *t = atspi_accessible_get_text_iface(n->acc);
	AtspiValue *v;
	GError *e = NULL;
	char buf[64];

	if (t != NULL) {
		gchar *s = atspi_text_get_text(t, 0, -1, &e);

		g_object_unref(t);
		if (e != NULL) {
			gfail(x, e, "the control did not give its text");
			g_free(s);
			return NULL;
		}
		return take(s);
	}
	if ((v = atspi_accessible_get_value_iface(n->acc)) != NULL) {
		double d = atspi_value_get_current_value(v, &e);

		g_object_unref(v);
		if (e != NULL) {
			gfail(x, e, "the control did not give its value");
			return NULL;
		}
		snprintf(buf, sizeof buf, "%.15g", d);
		return xstrdup(buf);
	}
	return acc_called(n->acc);
}

/* The text a cell or item shows: its text, else its name. */
static char *
shown(AtspiAccessible *a)
{
	AtspiText *t = atspi_accessible_get_text_iface(a);
	char *s;

	if (t != NULL) {
		gchar *g = atspi_text_get_text(t, 0, -1, NULL);

		g_object_unref(t);
		if (g != NULL && *g != '\0')
			return take(g);
		g_free(g);
	}
	s = acc_name(a);
	return s;
}

/* Does the selector's match rule take s as item? */
static int
item_matches(struct a11y *x, const char *item, enum a11y_match m,
    const char *s)
{
	struct a11y_sel sel;
	struct csel c;
	int r;

	memset(&sel, 0, sizeof sel);
	sel.name = item;
	sel.match = m;
	if (csel_init(x, &c, &sel) != 0)
		return 0;
	r = text_matches(x, &c, RE_NAME, item, s);
	csel_free(&c);
	return r;
}

/* Choose row r of a table: select it alone. */
static int
select_row(struct a11y *x, AtspiAccessible *table, int row)
{
	AtspiTable *t = atspi_accessible_get_table_iface(table);
	AtspiSelection *sel = atspi_accessible_get_selection_iface(table);
	GError *e = NULL;

	if (sel != NULL) {
		atspi_selection_clear_selection(sel, NULL);
		g_object_unref(sel);
	}
	atspi_table_add_row_selection(t, row, &e);
	g_object_unref(t);
	if (e != NULL)
		return gfail(x, e, "the table did not select the row");
	return 0;
}

/*
 * Where the items of a combo box or list are: the first list or menu below
 * it (GTK: combo box > menu; Swing: combo box > popup menu > scroll pane >
 * viewport > list), else the control itself.  A new reference.
 */
static AtspiAccessible *
item_holder(AtspiAccessible *a, int depth)
{
	AtspiAccessible *found = NULL;
	int i, n = acc_nchildren(a);

	for (i = 0; i < n && found == NULL && depth < 6; i++) {
		AtspiAccessible *c = acc_child(a, i);
		char *role;

		if (c == NULL)
			continue;
		role = acc_role(c);
		if (strcmp(role, "list") == 0 || strcmp(role, "menu") == 0)
			found = g_object_ref(c);
		else
			found = item_holder(c, depth + 1);
		free(role);
		g_object_unref(c);
	}
	if (found == NULL && depth == 0)
		found = g_object_ref(a);
	return found;
}

int
a11y_select(struct a11y *x, struct a11y_node *n, const char *item,
    enum a11y_match m)
{
	AtspiTable *t = atspi_accessible_get_table_iface(n->acc);
	AtspiAccessible *holder;
	AtspiSelection *sel;
	struct buf have;
	GError *e = NULL;
	int i, k, rows, cols, found = -1, r;

	buf_init(&have, 16384);
	if (t != NULL) {
		rows = atspi_table_get_n_rows(t, NULL);
		cols = atspi_table_get_n_columns(t, NULL);
		for (i = 0; i < rows && found < 0; i++)
			for (k = 0; k < cols && found < 0; k++) {
				AtspiAccessible *c = atspi_table_get_accessible_at(
				    t, i, k, NULL);
				char *s;

				if (c == NULL)
					continue;
				s = shown(c);
				g_object_unref(c);
				if (item_matches(x, item, m, s))
					found = i;
				else if (k == 0)
					buf_printf(&have, "%s'%s'", i ? ", " :
					    "", s);
				free(s);
			}
		g_object_unref(t);
		if (found >= 0) {
			buf_free(&have);
			return select_row(x, n->acc, found);
		}
		r = fail(x, "no row shows '%s' (first column: %s)", item,
		    buf_str(&have));
		buf_free(&have);
		return r;
	}
	holder = item_holder(n->acc, 0);
	for (i = 0; i < acc_nchildren(holder) && found < 0; i++) {
		AtspiAccessible *c = acc_child(holder, i);
		char *s;

		if (c == NULL)
			continue;
		s = shown(c);
		if (item_matches(x, item, m, s))
			found = i;
		else
			buf_printf(&have, "%s'%s'", have.len ? ", " : "", s);
		free(s);
		g_object_unref(c);
	}
	g_object_unref(holder);
	if (found < 0) {
		r = fail(x, "no item '%s' (there are %s)", item,
		    have.len ? buf_str(&have) : "none");
		buf_free(&have);
		return r;
	}
	buf_free(&have);
	if ((sel = atspi_accessible_get_selection_iface(n->acc)) == NULL)
		return fail(x, "the control cannot select (it has no Selection "
		    "interface)");
	atspi_selection_select_child(sel, found, &e);
	g_object_unref(sel);
	if (e != NULL)
		return gfail(x, e, "the control did not select the item");
	return 0;
}

json_t *
a11y_table(struct a11y *x, struct a11y_node *n)
{
	AtspiTable *t = atspi_accessible_get_table_iface(n->acc);
	json_t *out, *columns, *rows, *records;
	GError *e = NULL;
	int i, k, nr, nc;

	if (t == NULL) {
		fail(x, "the control is not a table (it has no Table "
		    "interface)");
		return NULL;
	}
	nr = atspi_table_get_n_rows(t, &e);
	nc = e == NULL ? atspi_table_get_n_columns(t, &e) : 0;
	if (e != NULL) {
		g_object_unref(t);
		gfail(x, e, "the table did not give its size");
		return NULL;
	}
	columns = json_array();
	for (k = 0; k < nc; k++) {
		AtspiAccessible *h = atspi_table_get_column_header(t, k, NULL);
		char *s = NULL;

		if (h != NULL) {
			s = shown(h);
			g_object_unref(h);
		}
		if (s == NULL || *s == '\0') {
			free(s);
			s = take(atspi_table_get_column_description(t, k,
			    NULL));
		}
		if (*s == '\0') {
			free(s);
			s = xasprintf("column %d", k + 1);
		}
		json_array_append_new(columns, json_string(s));
		free(s);
	}
	rows = json_array();
	records = json_array();
	for (i = 0; i < nr; i++) {
		json_t *row = json_array(), *rec = json_object();

		for (k = 0; k < nc; k++) {
			AtspiAccessible *c = atspi_table_get_accessible_at(t,
			    i, k, NULL);
			char *s = c != NULL ? shown(c) : xstrdup("");

			if (c != NULL)
				g_object_unref(c);
			json_array_append_new(row, json_string(s));
			json_object_set_new(rec, json_string_value(
			    json_array_get(columns, (size_t)k)),
			    json_string(s));
			free(s);
		}
		json_array_append_new(rows, row);
		json_array_append_new(records, rec);
	}
	g_object_unref(t);
	out = json_pack("{s:o, s:o, s:o}", "columns", columns, "rows", rows,
	    "records", records);
	return out;
}
