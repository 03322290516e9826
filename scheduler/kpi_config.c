/*
 * kpi_config.c - the KPI configuration (see kpi.h and docs/kpi.md): its
 * loader over ydoc, with every problem at its file:line:col, the
 * defaults, its JSON for the dashboard, and finding a department by its
 * code or path.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi.h"
#include "textutil.h"
#include "xmalloc.h"
#include "ydoc.h"

/* --- configuration -------------------------------------------------------- */

/* A loader: remembers the first problem, "file:line:col: message". */
struct cl {
	struct kpi_config *cfg;
	char		*err;
	size_t		 errlen;
	int		 failed;
	struct ysink	 sink;		/* into err, as fail_at */
};

static void fail_at(struct cl *, const struct ynode *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail_at(struct cl *l, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (l->failed++)
		return;
	k = snprintf(l->err, l->errlen, "%s:%d:%d: ", n->file ? n->file : "?",
	    n->line, n->col);
	if (k < 0 || (size_t)k >= l->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(l->err + k, l->errlen - (size_t)k, fmt, ap);
	va_end(ap);
}

/* The typed getters of ydoc report as the loader's first problem. */
static void
cl_report(void *arg, const char *msg)
{
	struct cl *l = arg;

	if (l->failed++)
		return;
	snprintf(l->err, l->errlen, "%s", msg);
}

/* A non-empty string value, copied. */
static char *
get_text(struct cl *l, const struct ynode *n, const char *what)
{
	if (ynode_text(n, what, &l->sink) == NULL)
		return NULL;
	if (n->len == 0) {
		fail_at(l, n, "%s: must not be empty", what);
		return NULL;
	}
	return xstrdup(n->value);
}

/* "+09:00", "-05:30", "Z" -> seconds east. */
static int
parse_offset(const char *s, int *out)
{
	int sign, h, m;

	if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0) {
		*out = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || s[3] != ':' ||
	    !isdigit((unsigned char)s[4]) || !isdigit((unsigned char)s[5]) ||
	    s[6] != '\0')
		return -1;
	sign = s[0] == '-' ? -1 : 1;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	if (h > 14 || m > 59)
		return -1;
	*out = sign * (h * 3600 + m * 60);
	return 0;
}

static void
parse_baseline(struct cl *l, const struct ynode *n)
{
	static const char *const keys[] = { "staff_count",
	    "annual_hours_per_staff", NULL };
	const struct ynode *v;

	if (ynode_want(n, YNODE_MAP, "baseline", &l->sink) != 0)
		return;
	ynode_check_keys(n, "baseline", keys, &l->sink);
	if ((v = ynode_get(n, "staff_count")) != NULL)
		ynode_number(v, "baseline.staff_count", 1, 1e7,
		    &l->cfg->staff_count, &l->sink);
	if ((v = ynode_get(n, "annual_hours_per_staff")) != NULL)
		ynode_number(v, "baseline.annual_hours_per_staff", 1, 8784,
		    &l->cfg->hours_per_staff, &l->sink);
}

static void
parse_rate(struct cl *l, const struct ynode *n, const char *what,
    struct kpi_fix_rate *r)
{
	static const char *const keys[] = { "minutes_per_failed_item",
	    "minutes_per_failed_run", NULL };
	const struct ynode *v;
	char *f;

	ynode_check_keys(n, what, keys, &l->sink);
	if ((v = ynode_get(n, "minutes_per_failed_item")) != NULL) {
		f = xasprintf("%s.minutes_per_failed_item", what);
		ynode_number(v, f, 0, 1e6, &r->per_failed_item, &l->sink);
		free(f);
	}
	if ((v = ynode_get(n, "minutes_per_failed_run")) != NULL) {
		f = xasprintf("%s.minutes_per_failed_run", what);
		ynode_number(v, f, 0, 1e6, &r->per_failed_run, &l->sink);
		free(f);
	}
}

static void
parse_exceptions(struct cl *l, const struct ynode *n)
{
	static const char *const keys[] = { "minutes_per_failed_item",
	    "minutes_per_failed_run", "scripts", NULL };
	struct kpi_config *cfg = l->cfg;
	const struct ynode *s;
	size_t i;
	char *what;

	if (ynode_want(n, YNODE_MAP, "exceptions", &l->sink) != 0)
		return;
	ynode_check_keys(n, "exceptions", keys, &l->sink);
	if (ynode_get(n, "minutes_per_failed_item") != NULL)
		ynode_number(ynode_get(n, "minutes_per_failed_item"),
		    "exceptions.minutes_per_failed_item", 0, 1e6,
		    &cfg->rates[0].per_failed_item, &l->sink);
	if (ynode_get(n, "minutes_per_failed_run") != NULL)
		ynode_number(ynode_get(n, "minutes_per_failed_run"),
		    "exceptions.minutes_per_failed_run", 0, 1e6,
		    &cfg->rates[0].per_failed_run, &l->sink);
	if ((s = ynode_get(n, "scripts")) == NULL ||
	    ynode_want(s, YNODE_MAP, "exceptions.scripts", &l->sink) != 0)
		return;
	for (i = 0; i < s->n; i++) {
		struct kpi_fix_rate *r;

		if (ynode_want(s->items[i], YNODE_MAP, "exceptions.scripts",
		    &l->sink) != 0)
			continue;
		cfg->rates = xreallocarray(cfg->rates, cfg->nrates + 1,
		    sizeof *cfg->rates);
		r = &cfg->rates[cfg->nrates++];
		r->script = xstrdup(s->keys[i]->value);
		/* A script's rate starts from the default. */
		r->per_failed_item = cfg->rates[0].per_failed_item;
		r->per_failed_run = cfg->rates[0].per_failed_run;
		what = xasprintf("exceptions.scripts.%s", r->script);
		parse_rate(l, s->items[i], what, r);
		free(what);
	}
}

static void
parse_targets(struct cl *l, const struct ynode *n)
{
	struct kpi_config *cfg = l->cfg;
	size_t i, j;
	int k;

	if (ynode_want(n, YNODE_MAP, "targets", &l->sink) != 0)
		return;
	for (i = 0; i < n->n; i++) {
		const struct ynode *t = n->items[i];
		char *what;

		for (k = 0; k < KPI_COUNT; k++)
			if (ynode_is(n->keys[i], kpi_id_name((enum kpi_id)k)))
				break;
		if (k == KPI_COUNT) {
			fail_at(l, n->keys[i], "targets: unknown KPI '%s' "
			    "(known: multiple_input_points, staff_hours_saved, "
			    "business_hours_saved, productivity_percent, "
			    "engagement_percent)", n->keys[i]->value);
			continue;
		}
		what = xasprintf("targets.%s", kpi_id_name((enum kpi_id)k));
		/* A KPI named in the file replaces its built-in targets. */
		free(cfg->targets[k]);
		cfg->targets[k] = NULL;
		cfg->ntargets[k] = 0;
		if (ynode_want(t, YNODE_MAP, what, &l->sink) == 0) {
			for (j = 0; j < t->n; j++) {
				long long year;
				double v;
				char *f = xasprintf("%s.%s", what,
				    t->keys[j]->value);

				if (ynode_int(t->keys[j], f, 2000, 2200,
				    &year, &l->sink) == 0 &&
				    ynode_number(t->items[j], f, 0, 1e12, &v,
				    &l->sink) == 0) {
					cfg->targets[k] = xreallocarray(
					    cfg->targets[k], cfg->ntargets[k] + 1,
					    sizeof *cfg->targets[k]);
					cfg->targets[k][cfg->ntargets[k]].year =
					    (int)year;
					cfg->targets[k][cfg->ntargets[k]++]
					    .value = v;
				}
				free(f);
			}
		}
		free(what);
	}
}

static int
target_cmp(const void *a, const void *b)
{
	const struct kpi_target *x = a, *y = b;

	return (x->year > y->year) - (x->year < y->year);
}

static void
add_dept(struct cl *l, const struct ynode *n, int parent, int level)
{
	static const char *const keys[] = { "code", "name", "name_en",
	    "aliases", "children", NULL };
	static const char *const levels[] = { "局", "部", "課" };
	struct kpi_config *cfg = l->cfg;
	const struct ynode *v, *kids;
	struct kpi_dept *d;
	size_t i;
	int me;

	if (ynode_want(n, YNODE_MAP, "departments", &l->sink) != 0)
		return;
	if (level > 2) {
		fail_at(l, n, "departments: the tree has three levels (局, 部, "
		    "課); this one is deeper");
		return;
	}
	ynode_check_keys(n, "departments", keys, &l->sink);
	if ((v = ynode_get(n, "code")) == NULL ||
	    (v = ynode_get(n, "name")) == NULL) {
		fail_at(l, n, "departments: a %s needs a code and a name",
		    levels[level]);
		return;
	}
	cfg->depts = xreallocarray(cfg->depts, cfg->ndepts + 1,
	    sizeof *cfg->depts);
	me = (int)cfg->ndepts++;
	d = &cfg->depts[me];
	memset(d, 0, sizeof *d);
	d->parent = parent;
	d->level = level;
	d->code = get_text(l, ynode_get(n, "code"), "departments.code");
	d->name = get_text(l, ynode_get(n, "name"), "departments.name");
	if ((v = ynode_get(n, "name_en")) != NULL)
		d->name_en = get_text(l, v, "departments.name_en");
	if (d->code == NULL)
		d->code = xstrdup("");
	if (d->name == NULL)
		d->name = xstrdup("");
	for (i = 0; i < (size_t)me; i++)
		if (strcmp(cfg->depts[i].code, d->code) == 0) {
			fail_at(l, ynode_get(n, "code"), "departments: code "
			    "'%s' is used twice", d->code);
			break;
		}
	d->path = parent < 0 ? xstrdup(d->name) : xasprintf("%s/%s",
	    cfg->depts[parent].path, d->name);
	if ((v = ynode_get(n, "aliases")) != NULL &&
	    ynode_want(v, YNODE_SEQ, "departments.aliases", &l->sink) == 0) {
		for (i = 0; i < v->n; i++) {
			char *a = get_text(l, v->items[i],
			    "departments.aliases");

			if (a == NULL)
				continue;
			d->aliases = xreallocarray(d->aliases, d->naliases + 1,
			    sizeof *d->aliases);
			d->aliases[d->naliases++] = a;
		}
	}
	if ((kids = ynode_get(n, "children")) != NULL &&
	    ynode_want(kids, YNODE_SEQ, "departments.children", &l->sink) == 0)
		for (i = 0; i < kids->n; i++)
			add_dept(l, kids->items[i], me, level + 1);
}

static void
parse_points(struct cl *l, const struct ynode *n)
{
	static const char *const keys[] = { "window_days", "points", NULL };
	static const char *const pkeys[] = { "id", "name", "system", "screen",
	    "data", "owner", NULL };
	struct kpi_config *cfg = l->cfg;
	const struct ynode *v, *pts;
	size_t i, j;
	long long days;

	if (ynode_want(n, YNODE_MAP, "input_points", &l->sink) != 0)
		return;
	ynode_check_keys(n, "input_points", keys, &l->sink);
	if ((v = ynode_get(n, "window_days")) != NULL &&
	    ynode_int(v, "input_points.window_days", 1, 3660, &days,
	    &l->sink) == 0)
		cfg->window_days = (int)days;
	if ((pts = ynode_get(n, "points")) == NULL ||
	    ynode_want(pts, YNODE_SEQ, "input_points.points", &l->sink) != 0)
		return;
	for (i = 0; i < pts->n; i++) {
		const struct ynode *p = pts->items[i];
		struct kpi_point *pt;

		if (ynode_want(p, YNODE_MAP, "input_points.points",
		    &l->sink) != 0)
			continue;
		ynode_check_keys(p, "input_points.points", pkeys, &l->sink);
		if (ynode_get(p, "id") == NULL || ynode_get(p, "name") == NULL) {
			fail_at(l, p, "input_points.points: a point needs an "
			    "id and a name");
			continue;
		}
		cfg->points = xreallocarray(cfg->points, cfg->npoints + 1,
		    sizeof *cfg->points);
		pt = &cfg->points[cfg->npoints++];
		memset(pt, 0, sizeof *pt);
		pt->id = get_text(l, ynode_get(p, "id"), "input_points.id");
		pt->name = get_text(l, ynode_get(p, "name"),
		    "input_points.name");
		if ((v = ynode_get(p, "system")) != NULL)
			pt->system = get_text(l, v, "input_points.system");
		if ((v = ynode_get(p, "screen")) != NULL)
			pt->screen = get_text(l, v, "input_points.screen");
		if ((v = ynode_get(p, "data")) != NULL)
			pt->data = get_text(l, v, "input_points.data");
		if ((v = ynode_get(p, "owner")) != NULL) {
			pt->owner = get_text(l, v, "input_points.owner");
			if (pt->owner != NULL && kpi_dept_find(cfg,
			    pt->owner) < 0)
				fail_at(l, v, "input_points.owner: unknown "
				    "department '%s'", pt->owner);
		}
		if (pt->id == NULL)
			pt->id = xstrdup("");
		if (pt->name == NULL)
			pt->name = xstrdup("");
		for (j = 0; j + 1 < cfg->npoints; j++)
			if (strcmp(cfg->points[j].id, pt->id) == 0)
				fail_at(l, ynode_get(p, "id"), "input_points: id "
				    "'%s' is used twice", pt->id);
	}
}

/* The city's published targets: fiscal years 2030 and 2040. */
static const struct {
	enum kpi_id	 k;
	double		 v2030, v2040;
} city_targets[] = {
	{ KPI_INPUT_POINTS, 0, 0 },
	{ KPI_STAFF_HOURS, 1100000, 2120000 },
	{ KPI_BUSINESS_HOURS, 120000, 340000 },
	{ KPI_PRODUCTIVITY, 10.3, 20.0 },
	{ KPI_ENGAGEMENT, 80, 95 },
};

static void
set_targets(struct kpi_config *cfg, enum kpi_id k, double v2030, double v2040)
{
	free(cfg->targets[k]);
	cfg->targets[k] = xcalloc(2, sizeof *cfg->targets[k]);
	cfg->targets[k][0].year = 2030;
	cfg->targets[k][0].value = v2030;
	cfg->targets[k][1].year = 2040;
	cfg->targets[k][1].value = v2040;
	cfg->ntargets[k] = 2;
}

void
kpi_config_defaults(struct kpi_config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	cfg->fy_start_month = 4;
	cfg->utc_offset_s = 9 * 3600;
	/* 5,900 x 1,800 h: 1,100,000 h saved is the 2030 target's 10.3 %. */
	cfg->staff_count = 5900;
	cfg->hours_per_staff = 1800;
	cfg->window_days = 90;
	cfg->rates = xcalloc(1, sizeof *cfg->rates);
	cfg->rates[0].script = xstrdup("");
	cfg->nrates = 1;
	for (i = 0; i < sizeof city_targets / sizeof city_targets[0]; i++)
		set_targets(cfg, city_targets[i].k, city_targets[i].v2030,
		    city_targets[i].v2040);
}

static int
load_doc(struct kpi_config *cfg, struct ydoc *doc, char *err, size_t errlen)
{
	static const char *const keys[] = { "fiscal_year_start", "utc_offset",
	    "baseline", "exceptions", "targets", "departments",
	    "input_points", NULL };
	struct cl l = { cfg, err, errlen, 0, { cl_report, NULL } };
	const struct ynode *root = doc->root, *v;
	size_t i;
	long long month;
	int k;

	l.sink.arg = &l;
	cfg->file = ydoc_take_file(doc);
	if (root == NULL) {
		snprintf(err, errlen, "%s:1:1: the KPI configuration is empty",
		    cfg->file);
		return -1;
	}
	if (ynode_want(root, YNODE_MAP, "the KPI configuration", &l.sink) != 0)
		return -1;
	ynode_check_keys(root, "the KPI configuration", keys, &l.sink);
	if ((v = ynode_get(root, "fiscal_year_start")) != NULL &&
	    ynode_int(v, "fiscal_year_start", 1, 12, &month, &l.sink) == 0)
		cfg->fy_start_month = (int)month;
	if ((v = ynode_get(root, "utc_offset")) != NULL &&
	    ynode_want(v, YNODE_SCALAR, "utc_offset", &l.sink) == 0 &&
	    parse_offset(v->value, &cfg->utc_offset_s) != 0)
		fail_at(&l, v, "utc_offset: expected +HH:MM, found '%s'",
		    v->value);
	if ((v = ynode_get(root, "baseline")) != NULL)
		parse_baseline(&l, v);
	if ((v = ynode_get(root, "exceptions")) != NULL)
		parse_exceptions(&l, v);
	if ((v = ynode_get(root, "targets")) != NULL)
		parse_targets(&l, v);
	/* Departments before points: a point's owner names one. */
	if ((v = ynode_get(root, "departments")) != NULL &&
	    ynode_want(v, YNODE_SEQ, "departments", &l.sink) == 0)
		for (i = 0; i < v->n; i++)
			add_dept(&l, v->items[i], -1, 0);
	if ((v = ynode_get(root, "input_points")) != NULL)
		parse_points(&l, v);
	for (k = 0; k < KPI_COUNT; k++)
		if (cfg->ntargets[k] > 1)
			qsort(cfg->targets[k], cfg->ntargets[k],
			    sizeof *cfg->targets[k], target_cmp);
	return l.failed ? -1 : 0;
}

int
kpi_config_load(struct kpi_config *cfg, const char *path, char *err,
    size_t errlen)
{
	struct ydoc *doc;
	int rc;

	kpi_config_defaults(cfg);
	if ((doc = ydoc_load_file(path, err, errlen)) == NULL)
		return -1;
	rc = load_doc(cfg, doc, err, errlen);
	ydoc_free(doc);
	return rc;
}

int
kpi_config_load_text(struct kpi_config *cfg, const char *name,
    const char *text, size_t len, char *err, size_t errlen)
{
	struct ydoc *doc;
	int rc;

	kpi_config_defaults(cfg);
	if ((doc = ydoc_load_string(name, text, len, err, errlen)) == NULL)
		return -1;
	rc = load_doc(cfg, doc, err, errlen);
	ydoc_free(doc);
	return rc;
}

void
kpi_config_free(struct kpi_config *cfg)
{
	size_t i, j;
	int k;

	free(cfg->file);
	for (k = 0; k < KPI_COUNT; k++)
		free(cfg->targets[k]);
	for (i = 0; i < cfg->ndepts; i++) {
		struct kpi_dept *d = &cfg->depts[i];

		free(d->code);
		free(d->name);
		free(d->name_en);
		free(d->path);
		for (j = 0; j < d->naliases; j++)
			free(d->aliases[j]);
		free(d->aliases);
	}
	free(cfg->depts);
	for (i = 0; i < cfg->npoints; i++) {
		struct kpi_point *p = &cfg->points[i];

		free(p->id);
		free(p->name);
		free(p->system);
		free(p->screen);
		free(p->data);
		free(p->owner);
	}
	free(cfg->points);
	for (i = 0; i < cfg->nrates; i++)
		free(cfg->rates[i].script);
	free(cfg->rates);
	memset(cfg, 0, sizeof *cfg);
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
kpi_config_json(const struct kpi_config *cfg)
{
	json_t *o = json_object(), *t = json_object(), *a, *x;
	size_t i, j;
	int k, off = cfg->utc_offset_s, aoff = off < 0 ? -off : off;
	char buf[16];

	json_object_set_new(o, "file", str_or_null(cfg->file));
	json_object_set_new(o, "fiscal_year_start",
	    json_integer(cfg->fy_start_month));
	snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+',
	    aoff / 3600, aoff / 60 % 60);
	json_object_set_new(o, "utc_offset", json_string(buf));
	json_object_set_new(o, "baseline", json_pack("{s:f, s:f, s:f}",
	    "staff_count", cfg->staff_count, "annual_hours_per_staff",
	    cfg->hours_per_staff, "hours", cfg->staff_count *
	    cfg->hours_per_staff));
	a = json_array();
	for (i = 0; i < cfg->nrates; i++)
		json_array_append_new(a, json_pack("{s:s, s:f, s:f}",
		    "script", cfg->rates[i].script, "minutes_per_failed_item",
		    cfg->rates[i].per_failed_item, "minutes_per_failed_run",
		    cfg->rates[i].per_failed_run));
	json_object_set_new(o, "exception_rates", a);
	for (k = 0; k < KPI_COUNT; k++) {
		x = json_object();
		for (j = 0; j < cfg->ntargets[k]; j++) {
			snprintf(buf, sizeof buf, "%d", cfg->targets[k][j].year);
			json_object_set_new(x, buf,
			    json_real(cfg->targets[k][j].value));
		}
		json_object_set_new(t, kpi_id_name((enum kpi_id)k), x);
	}
	json_object_set_new(o, "targets", t);
	a = json_array();
	for (i = 0; i < cfg->ndepts; i++) {
		const struct kpi_dept *d = &cfg->depts[i];
		json_t *al = json_array();

		for (j = 0; j < d->naliases; j++)
			json_array_append_new(al, json_string(d->aliases[j]));
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:s, s:i,"
		    " s:o, s:o}", "code", d->code, "name", d->name, "name_en",
		    str_or_null(d->name_en), "path", d->path, "level", d->level,
		    "parent", d->parent < 0 ? json_null() :
		    json_string(cfg->depts[d->parent].code), "aliases", al));
	}
	json_object_set_new(o, "departments", a);
	a = json_array();
	for (i = 0; i < cfg->npoints; i++) {
		const struct kpi_point *p = &cfg->points[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o,"
		    " s:o}", "id", p->id, "name", p->name, "system",
		    str_or_null(p->system), "screen", str_or_null(p->screen),
		    "data", str_or_null(p->data), "owner",
		    str_or_null(p->owner)));
	}
	json_object_set_new(o, "input_points", json_pack("{s:i, s:o}",
	    "window_days", cfg->window_days, "points", a));
	return o;
}

/* Whether text is path with ' ' or '　' (U+3000) in place of each '/'. */
static int
same_path(const char *path, const char *text)
{
	while (*path != '\0' && *text != '\0') {
		if (*path == '/') {
			if (*text == ' ' || *text == '/')
				text++;
			else if (strncmp(text, "\xe3\x80\x80", 3) == 0)
				text += 3;
			else
				return 0;
			path++;
			continue;
		}
		if (*path++ != *text++)
			return 0;
	}
	return *path == '\0' && *text == '\0';
}

int
kpi_dept_find(const struct kpi_config *cfg, const char *text)
{
	size_t i, j;

	if (text == NULL || *text == '\0')
		return -1;
	for (i = 0; i < cfg->ndepts; i++)
		if (strcmp(cfg->depts[i].code, text) == 0)
			return (int)i;
	for (i = 0; i < cfg->ndepts; i++) {
		const struct kpi_dept *d = &cfg->depts[i];

		if (same_path(d->path, text))
			return (int)i;
		for (j = 0; j < d->naliases; j++)
			if (strcmp(d->aliases[j], text) == 0)
				return (int)i;
	}
	/* A bare name last: 総務課 may exist under several 部. */
	for (i = 0; i < cfg->ndepts; i++)
		if (strcmp(cfg->depts[i].name, text) == 0)
			return (int)i;
	return -1;
}
