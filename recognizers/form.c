/*
 * form.c - loading form templates (YAML) into struct form_template.
 *
 * The loader is strict: an unknown key, a value of the wrong type, a zone
 * outside the page or a pattern that does not compile is an error, reported
 * as "file:line:col: message" where it was written, so that a typo in a
 * template cannot silently turn into a field that is never read.  Every
 * problem is reported, not only the first.  Keys are dispatched through
 * tables, one per mapping level.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "xmalloc.h"
#include "ydoc.h"

/* The loader's state: the template being built and the problems found. */
struct loader {
	struct form_template	*t;
	struct buf		 errs;
	int			 nerr;
	/* units of zones: millimetres, or fractions of the page */
	int			 frac;
	struct ysink		 sink;	/* into errs */
};

static void
problem(struct loader *l, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct loader *l, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	if (l->nerr++ > 0)
		buf_putc(&l->errs, '\n');
	if (n != NULL)
		buf_printf(&l->errs, "%s:%d:%d: ", n->file, n->line, n->col);
	va_start(ap, fmt);
	buf_vprintf(&l->errs, fmt, ap);
	va_end(ap);
}

/* The typed getters of ydoc report as problems of the template. */
static void
sink_report(void *arg, const char *msg)
{
	struct loader *l = arg;

	problem(l, NULL, "%s", msg);
}

/* [x, y, w, h] or {x:, y:, w:, h:}, in the template's units. */
static int
get_rect(struct loader *l, const struct ynode *n, const char *what,
    struct form_rect *r)
{
	static const char *names[4] = { "x", "y", "w", "h" };
	double v[4];
	size_t i;

	if (n->kind == YNODE_SEQ) {
		if (n->n != 4) {
			problem(l, n, "%s must have 4 numbers [x, y, w, h], "
			    "not %zu", what, n->n);
			return -1;
		}
		for (i = 0; i < 4; i++)
			if (ynode_number(n->items[i], what, -INFINITY,
			    INFINITY, &v[i], &l->sink) != 0)
				return -1;
	} else if (n->kind == YNODE_MAP) {
		for (i = 0; i < n->n; i++)
			if (n->keys[i]->kind != YNODE_SCALAR ||
			    strlen(n->keys[i]->value) != 1 ||
			    strchr("xywh", n->keys[i]->value[0]) == NULL) {
				problem(l, n->keys[i], "unknown key in %s "
				    "(expected x, y, w, h)", what);
				return -1;
			}
		for (i = 0; i < 4; i++) {
			const struct ynode *c = ynode_get(n, names[i]);

			if (c == NULL) {
				problem(l, n, "%s lacks %s", what, names[i]);
				return -1;
			}
			if (ynode_number(c, what, -INFINITY, INFINITY, &v[i],
			    &l->sink) != 0)
				return -1;
		}
	} else {
		problem(l, n, "%s must be [x, y, w, h]", what);
		return -1;
	}
	if (v[2] <= 0 || v[3] <= 0) {
		problem(l, n, "%s must have a positive width and height", what);
		return -1;
	}
	r->x = v[0];
	r->y = v[1];
	r->w = v[2];
	r->h = v[3];
	return 0;
}

/* Convert a rectangle from page fractions to millimetres if need be, and
 * check that it lies on the page. */
static void
rect_finish(struct loader *l, const struct ynode *n, const char *what,
    struct form_rect *r)
{
	const struct form_template *t = l->t;

	if (l->frac) {
		r->x *= t->page_w;
		r->w *= t->page_w;
		r->y *= t->page_h;
		r->h *= t->page_h;
	}
	if (r->x < 0 || r->y < 0 || r->x + r->w > t->page_w + 0.01 ||
	    r->y + r->h > t->page_h + 0.01)
		problem(l, n, "%s lies outside the %gx%g mm page", what,
		    t->page_w, t->page_h);
}

/* ---- page sizes ---- */

static const struct {
	const char	*name;
	double		 w, h;
} paper[] = {
	{ "A3", 297, 420 },
	{ "A4", 210, 297 },
	{ "A5", 148, 210 },
	{ "B4", 257, 364 },	/* JIS B */
	{ "B5", 182, 257 },
	{ "letter", 215.9, 279.4 },
	{ "legal", 215.9, 355.6 },
};

static void
load_page(struct loader *l, const struct ynode *n)
{
	size_t i;

	if (n->kind == YNODE_SCALAR) {
		for (i = 0; i < sizeof paper / sizeof paper[0]; i++)
			if (strcasecmp(n->value, paper[i].name) == 0) {
				l->t->page_w = paper[i].w;
				l->t->page_h = paper[i].h;
				return;
			}
		problem(l, n, "unknown paper size \"%s\" (A3, A4, A5, B4, "
		    "B5, letter, legal, or {width, height} in mm)", n->value);
		return;
	}
	if (n->kind != YNODE_MAP) {
		problem(l, n, "page must be a paper size or {width, height}");
		return;
	}
	for (i = 0; i < n->n; i++) {
		const struct ynode *k = n->keys[i], *v = n->items[i];
		double d;

		if (ynode_is(k, "width") && ynode_number(v, "width", 0,
		    INFINITY, &d, &l->sink) == 0)
			l->t->page_w = d;
		else if (ynode_is(k, "height") && ynode_number(v, "height", 0,
		    INFINITY, &d, &l->sink) == 0)
			l->t->page_h = d;
		else if (!ynode_is(k, "width") && !ynode_is(k, "height"))
			problem(l, k, "unknown key in page (width, height)");
	}
	if (l->t->page_w <= 0 || l->t->page_h <= 0)
		problem(l, n, "page needs a positive width and height in mm");
}

/* ---- preprocessing options ---- */

static const struct {
	const char		*name;
	enum prep_binarize	 how;
} binarizers[] = {
	{ "auto", PREP_BIN_AUTO },
	{ "otsu", PREP_BIN_OTSU },
	{ "sauvola", PREP_BIN_SAUVOLA },
};

static void
load_preprocess(struct loader *l, const struct ynode *n)
{
	struct prep_opts *o = &l->t->prep;
	size_t i, j;

	if (n->kind == YNODE_SCALAR && ynode_is(n, "auto"))
		return;
	if (n->kind != YNODE_MAP) {
		problem(l, n, "preprocess must be \"auto\" or a mapping");
		return;
	}
	for (i = 0; i < n->n; i++) {
		const struct ynode *k = n->keys[i], *v = n->items[i];
		long long w;
		double d;

		if (ynode_is(k, "deskew"))
			ynode_bool(v, "deskew", &o->deskew, &l->sink);
		else if (ynode_is(k, "background"))
			ynode_bool(v, "background", &o->background, &l->sink);
		else if (ynode_is(k, "remove_lines"))
			ynode_bool(v, "remove_lines", &o->remove_lines,
			    &l->sink);
		else if (ynode_is(k, "max_skew")) {
			if (ynode_number(v, "max_skew", -INFINITY, INFINITY,
			    &d, &l->sink) == 0) {
				if (d <= 0 || d > 45)
					problem(l, v, "max_skew must be "
					    "between 0 and 45 degrees");
				else
					o->max_skew = d;
			}
		} else if (ynode_is(k, "despeckle")) {
			if (ynode_int(v, "despeckle", 0, 20, &w,
			    &l->sink) == 0)
				o->despeckle = (int)w;
		} else if (ynode_is(k, "dpi")) {
			if (ynode_int(v, "dpi", 150, 600, &w,
			    &l->sink) == 0)
				o->target_dpi = (int)w;
		} else if (ynode_is(k, "binarize")) {
			const char *s = ynode_text(v, "binarize", &l->sink);

			if (s == NULL)
				continue;
			for (j = 0; j < sizeof binarizers /
			    sizeof binarizers[0]; j++)
				if (strcmp(s, binarizers[j].name) == 0)
					break;
			if (j == sizeof binarizers / sizeof binarizers[0])
				problem(l, v, "binarize must be auto, otsu or "
				    "sauvola, not \"%s\"", s);
			else
				o->binarize = binarizers[j].how;
		} else
			problem(l, k, "unknown preprocess option \"%s\" "
			    "(deskew, max_skew, background, binarize, "
			    "remove_lines, despeckle, dpi)", k->value);
	}
}

/* ---- printed texts ---- */

static void
load_text(struct loader *l, const struct ynode *n)
{
	struct form_text *x;
	size_t i;
	int have_at = 0;

	if (n->kind != YNODE_MAP) {
		problem(l, n, "a text must be a mapping");
		return;
	}
	l->t->texts = xreallocarray(l->t->texts, l->t->ntexts + 1,
	    sizeof *l->t->texts);
	x = &l->t->texts[l->t->ntexts++];
	memset(x, 0, sizeof *x);
	x->line = n->line;
	x->col = n->col;
	x->size = 10.5;
	for (i = 0; i < n->n; i++) {
		const struct ynode *k = n->keys[i], *v = n->items[i];

		if (ynode_is(k, "text"))
			x->text = ynode_text_dup(v, "text", &l->sink);
		else if (ynode_is(k, "name"))
			x->name = ynode_text_dup(v, "name", &l->sink);
		else if (ynode_is(k, "lang"))
			x->lang = ynode_text_dup(v, "lang", &l->sink);
		else if (ynode_is(k, "at")) {
			if (get_rect(l, v, "at", &x->at) == 0) {
				rect_finish(l, v, "text", &x->at);
				have_at = 1;
			}
		} else if (ynode_is(k, "size")) {
			ynode_number(v, "size", 4, 72, &x->size, &l->sink);
		} else if (ynode_is(k, "anchor"))
			ynode_bool(v, "anchor", &x->anchor, &l->sink);
		else
			problem(l, k, "unknown key \"%s\" in a text (text, "
			    "name, at, size, anchor, lang)", k->value);
	}
	if (x->text == NULL || *x->text == '\0')
		problem(l, n, "a text needs \"text\"");
	if (!have_at)
		problem(l, n, "a text needs \"at\": [x, y, w, h]");
	if (x->anchor && x->name == NULL)
		problem(l, n, "an anchor text needs a \"name\"");
	if (x->lang == NULL)
		x->lang = xstrdup(l->t->lang != NULL ? l->t->lang : "eng");
}

/* ---- fields ---- */

static void
load_list(struct loader *l, const struct ynode *n, struct norm_spec *spec)
{
	size_t i;

	if (n->kind != YNODE_SEQ || n->n == 0) {
		problem(l, n, "list must be a non-empty sequence of values");
		return;
	}
	spec->list = xcalloc(n->n, sizeof *spec->list);
	for (i = 0; i < n->n; i++) {
		char *s = ynode_text_dup(n->items[i], "a list entry", &l->sink);

		if (s != NULL)
			spec->list[spec->nlist++] = s;
	}
}

/* Field keys, dispatched by table. */
typedef void (*field_key_fn)(struct loader *, struct form_field *,
    const struct ynode *);

static void
fk_name(struct loader *l, struct form_field *f, const struct ynode *v)
{
	f->name = ynode_text_dup(v, "name", &l->sink);
}

static void
fk_label(struct loader *l, struct form_field *f, const struct ynode *v)
{
	f->label = ynode_text_dup(v, "label", &l->sink);
}

static void
fk_zone(struct loader *l, struct form_field *f, const struct ynode *v)
{
	if (get_rect(l, v, "zone", &f->zone) == 0)
		rect_finish(l, v, "zone", &f->zone);
	else
		f->zone.w = -1;
}

static void
fk_kind(struct loader *l, struct form_field *f, const struct ynode *v)
{
	const char *s = ynode_text(v, "kind", &l->sink);

	if (s != NULL && norm_kind_parse(s, &f->spec.kind) != 0)
		problem(l, v, "unknown kind \"%s\" (text, number, amount, "
		    "date, era_date, phone, postal, code, seal, "
		    "registration_no, corporate_no, bank_code, branch_code, "
		    "account_no)", s);
}

static void
fk_lang(struct loader *l, struct form_field *f, const struct ynode *v)
{
	f->lang = ynode_text_dup(v, "lang", &l->sink);
}

static void
fk_whitelist(struct loader *l, struct form_field *f, const struct ynode *v)
{
	f->spec.whitelist = ynode_text_dup(v, "whitelist", &l->sink);
}

static void
fk_pattern(struct loader *l, struct form_field *f, const struct ynode *v)
{
	char err[256];

	f->spec.pattern = ynode_text_dup(v, "pattern", &l->sink);
	if (f->spec.pattern != NULL &&
	    norm_spec_compile(&f->spec, err, sizeof err) != 0)
		problem(l, v, "bad pattern: %s", err);
}

static void
fk_list(struct loader *l, struct form_field *f, const struct ynode *v)
{
	load_list(l, v, &f->spec);
}

static void
fk_required(struct loader *l, struct form_field *f, const struct ynode *v)
{
	ynode_bool(v, "required", &f->required, &l->sink);
}

static void
fk_ruled(struct loader *l, struct form_field *f, const struct ynode *v)
{
	ynode_bool(v, "ruled", &f->ruled, &l->sink);
}

static void
fk_vertical(struct loader *l, struct form_field *f, const struct ynode *v)
{
	ynode_bool(v, "vertical", &f->vertical, &l->sink);
}

static void
fk_multiline(struct loader *l, struct form_field *f, const struct ynode *v)
{
	ynode_bool(v, "multiline", &f->multiline, &l->sink);
}

static void
fk_anchor(struct loader *l, struct form_field *f, const struct ynode *v)
{
	f->anchor = ynode_text_dup(v, "anchor", &l->sink);
}

static void
fk_side(struct loader *l, struct form_field *f, const struct ynode *v)
{
	const char *s = ynode_text(v, "side", &l->sink);

	if (s == NULL)
		return;
	if (strcmp(s, "right") == 0)
		f->side = FORM_SIDE_RIGHT;
	else if (strcmp(s, "below") == 0)
		f->side = FORM_SIDE_BELOW;
	else
		problem(l, v, "side must be right or below, not \"%s\"", s);
}

static void
fk_locate(struct loader *l, struct form_field *f, const struct ynode *v)
{
	const char *s = ynode_text(v, "locate", &l->sink);

	if (s == NULL)
		return;
	if (strcmp(s, "zone") == 0)
		f->by_label = 0;
	else if (strcmp(s, "label") == 0)
		f->by_label = 1;
	else
		problem(l, v, "locate must be zone or label, not \"%s\"", s);
}

static void
fk_min_conf(struct loader *l, struct form_field *f, const struct ynode *v)
{
	ynode_number(v, "min_confidence", 0, 100, &f->min_conf, &l->sink);
}

static void
fk_size(struct loader *l, struct form_field *f, const struct ynode *v)
{
	ynode_number(v, "size", 4, 72, &f->size, &l->sink);
}

static void
fk_order(struct loader *l, struct form_field *f, const struct ynode *v)
{
	const char *s = ynode_text(v, "order", &l->sink);

	if (s == NULL)
		return;
	if (strcmp(s, "dmy") == 0)
		f->spec.dmy = 1;
	else if (strcmp(s, "mdy") == 0)
		f->spec.dmy = 0;
	else
		problem(l, v, "order must be mdy or dmy, not \"%s\"", s);
}

static void
fk_decimals(struct loader *l, struct form_field *f, const struct ynode *v)
{
	long long d;

	if (ynode_int(v, "decimals", 0, 6, &d, &l->sink) == 0)
		f->spec.decimals = (int)d;
}

static void
fk_check_digit(struct loader *l, struct form_field *f, const struct ynode *v)
{
	const char *s = ynode_text(v, "check_digit", &l->sink);

	if (s != NULL && checkdigit_parse(s, &f->spec.check) != 0)
		problem(l, v, "unknown check_digit \"%s\" (luhn, mod11, "
		    "jp_corporate)", s);
}

static const struct {
	const char	*key;
	field_key_fn	 fn;
} field_keys[] = {
	{ "check_digit", fk_check_digit },
	{ "decimals", fk_decimals },
	{ "name", fk_name },
	{ "label", fk_label },
	{ "zone", fk_zone },
	{ "kind", fk_kind },
	{ "lang", fk_lang },
	{ "whitelist", fk_whitelist },
	{ "pattern", fk_pattern },
	{ "list", fk_list },
	{ "required", fk_required },
	{ "ruled", fk_ruled },
	{ "vertical", fk_vertical },
	{ "multiline", fk_multiline },
	{ "anchor", fk_anchor },
	{ "side", fk_side },
	{ "locate", fk_locate },
	{ "min_confidence", fk_min_conf },
	{ "size", fk_size },
	{ "order", fk_order },
};

static void
load_field(struct loader *l, const struct ynode *n)
{
	struct form_field *f;
	size_t i, j;

	if (n->kind != YNODE_MAP) {
		problem(l, n, "a field must be a mapping");
		return;
	}
	l->t->fields = xreallocarray(l->t->fields, l->t->nfields + 1,
	    sizeof *l->t->fields);
	f = &l->t->fields[l->t->nfields++];
	memset(f, 0, sizeof *f);
	f->line = n->line;
	f->col = n->col;
	f->spec.kind = NORM_TEXT;
	f->spec.decimals = -1;
	f->min_conf = -1;
	for (i = 0; i < n->n; i++) {
		const struct ynode *k = n->keys[i];

		for (j = 0; j < sizeof field_keys / sizeof field_keys[0]; j++)
			if (ynode_is(k, field_keys[j].key)) {
				field_keys[j].fn(l, f, n->items[i]);
				break;
			}
		if (j == sizeof field_keys / sizeof field_keys[0])
			problem(l, k, "unknown key \"%s\" in a field",
			    k->kind == YNODE_SCALAR ? k->value : "?");
	}
	if (f->name == NULL || *f->name == '\0')
		problem(l, n, "a field needs a \"name\"");
	if (ynode_get(n, "zone") == NULL)
		problem(l, n, "field \"%s\" needs a \"zone\"",
		    f->name != NULL ? f->name : "?");
	if (f->by_label && f->label == NULL)
		problem(l, n, "field \"%s\" is located by its label but has "
		    "no \"label\"", f->name != NULL ? f->name : "?");
	if (f->spec.kind == NORM_CODE && f->spec.nlist == 0 &&
	    f->spec.pattern == NULL)
		problem(l, n, "code field \"%s\" needs a \"list\" or a "
		    "\"pattern\"", f->name != NULL ? f->name : "?");
	if (f->spec.nlist > 0 && f->spec.kind != NORM_CODE)
		problem(l, n, "only code fields take a \"list\"");
	if (f->spec.check != CHECKDIGIT_NONE && f->spec.kind != NORM_CODE &&
	    f->spec.kind != NORM_NUMBER)
		problem(l, n, "only code and number fields take a "
		    "\"check_digit\" (the business number kinds check "
		    "their own)");
	if (f->lang == NULL)
		f->lang = xstrdup(l->t->lang != NULL ? l->t->lang : "eng");
	if (f->vertical && strcmp(f->lang, "jpn") == 0) {
		free(f->lang);
		f->lang = xstrdup("jpn_vert");
	}
}

/* checks: [{sum: [a, b], equals: c}, {product: [q, p], equals: a},
 * {tax: base, rate: 10, rounding: floor, equals: t}, ...] */
static const struct {
	const char		*name;
	enum form_rounding	 how;
} roundings[] = {
	{ "floor", FORM_ROUND_FLOOR },
	{ "round", FORM_ROUND_HALF_UP },
	{ "ceil", FORM_ROUND_CEIL },
};

static void
load_check_opts(struct loader *l, const struct ynode *n,
    struct form_check *c)
{
	const struct ynode *v;
	size_t j;

	if ((v = ynode_get(n, "rate")) != NULL) {
		if (c->kind != FORM_CHECK_TAX)
			problem(l, v, "only a tax check takes a rate");
		else if (ynode_number(v, "rate", -INFINITY, INFINITY,
		    &c->rate, &l->sink) == 0 && (c->rate <= 0 ||
		    c->rate >= 100))
			problem(l, v, "rate must be a percentage between 0 "
			    "and 100");
	} else if (c->kind == FORM_CHECK_TAX)
		problem(l, n, "a tax check needs a \"rate\" (percent)");
	if ((v = ynode_get(n, "rounding")) != NULL) {
		const char *s = ynode_text(v, "rounding", &l->sink);

		for (j = 0; s != NULL && j < sizeof roundings /
		    sizeof roundings[0]; j++)
			if (strcmp(s, roundings[j].name) == 0)
				break;
		if (c->kind == FORM_CHECK_SUM)
			problem(l, v, "a sum check takes no rounding");
		else if (s != NULL && j == sizeof roundings /
		    sizeof roundings[0])
			problem(l, v, "rounding must be floor, round or ceil, "
			    "not \"%s\"", s);
		else if (s != NULL)
			c->rounding = roundings[j].how;
	}
}

static void
load_check(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = {
		"sum", "product", "tax", "equals", "rate", "rounding",
	};
	struct form_check *c;
	const struct ynode *terms = NULL, *eq;
	enum form_check_kind kind = FORM_CHECK_SUM;
	size_t i, j, nkinds = 0;

	if (n->kind != YNODE_MAP) {
		problem(l, n, "a check must be a mapping {sum: [...], "
		    "equals: FIELD}");
		return;
	}
	for (i = 0; i < n->n; i++) {
		for (j = 0; j < sizeof keys / sizeof keys[0]; j++)
			if (ynode_is(n->keys[i], keys[j]))
				break;
		if (j == sizeof keys / sizeof keys[0])
			problem(l, n->keys[i], "unknown key in a check (sum, "
			    "product, tax, equals, rate, rounding)");
		else if (j < 3) {
			kind = j == 0 ? FORM_CHECK_SUM : j == 1 ?
			    FORM_CHECK_PRODUCT : FORM_CHECK_TAX;
			terms = n->items[i];
			nkinds++;
		}
	}
	eq = ynode_get(n, "equals");
	if (nkinds != 1 || eq == NULL || (kind != FORM_CHECK_TAX &&
	    (terms->kind != YNODE_SEQ || terms->n < 1))) {
		problem(l, n, "a check needs one of \"sum\": [FIELD, ...], "
		    "\"product\": [FIELD, ...] or \"tax\": FIELD, and "
		    "\"equals\": FIELD");
		return;
	}
	l->t->checks = xreallocarray(l->t->checks, l->t->nchecks + 1,
	    sizeof *l->t->checks);
	c = &l->t->checks[l->t->nchecks++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->line = n->line;
	c->col = n->col;
	c->equals = ynode_text_dup(eq, "equals", &l->sink);
	if (kind == FORM_CHECK_TAX) {
		c->terms = xcalloc(1, sizeof *c->terms);
		if ((c->terms[0] = ynode_text_dup(terms, "tax",
		    &l->sink)) != NULL)
			c->nterms = 1;
	} else {
		c->terms = xcalloc(terms->n, sizeof *c->terms);
		for (i = 0; i < terms->n; i++) {
			char *name = ynode_text_dup(terms->items[i],
			    "a field of the check", &l->sink);

			if (name != NULL)
				c->terms[c->nterms++] = name;
		}
	}
	load_check_opts(l, n, c);
}

/* A check's field must exist and hold a number. */
static void
check_names(struct loader *l, const struct ynode *root,
    const struct form_check *c, const char *name)
{
	const struct form_field *f;

	if (name == NULL)
		return;
	f = form_field_find(l->t, name);
	if (f == NULL)
		problem(l, NULL, "%s:%d:%d: check names field \"%s\", which "
		    "is not defined", root->file, c->line, c->col, name);
	else if (f->spec.kind != NORM_NUMBER && f->spec.kind != NORM_AMOUNT)
		problem(l, NULL, "%s:%d:%d: check names field \"%s\", which "
		    "is not a number or an amount", root->file, c->line,
		    c->col, name);
}

/* Cross-checks once everything is read: names unique, anchors known. */
static void
check_template(struct loader *l, const struct ynode *root)
{
	struct form_template *t = l->t;
	size_t i, j;

	for (i = 0; i < t->nfields; i++) {
		struct form_field *f = &t->fields[i];

		if (f->name == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (t->fields[j].name != NULL &&
			    strcmp(t->fields[j].name, f->name) == 0)
				problem(l, NULL, "%s:%d:%d: field \"%s\" is "
				    "defined twice (first at line %d)",
				    root->file, f->line, f->col, f->name,
				    t->fields[j].line);
		if (f->anchor != NULL) {
			for (j = 0; j < t->ntexts; j++)
				if (t->texts[j].anchor && t->texts[j].name &&
				    strcmp(t->texts[j].name, f->anchor) == 0)
					break;
			if (j == t->ntexts)
				problem(l, NULL, "%s:%d:%d: field \"%s\" "
				    "names anchor \"%s\", which is not an "
				    "anchor text", root->file, f->line,
				    f->col, f->name, f->anchor);
		}
		if (f->min_conf < 0)
			f->min_conf = t->min_conf;
	}
	if (t->nfields == 0)
		problem(l, root, "a template needs at least one field");
	for (i = 0; i < t->nchecks; i++) {
		check_names(l, root, &t->checks[i], t->checks[i].equals);
		for (j = 0; j < t->checks[i].nterms; j++)
			check_names(l, root, &t->checks[i],
			    t->checks[i].terms[j]);
	}
}

static const struct {
	const char		*name;
	enum form_register	 reg;
} registers[] = {
	{ "auto", FORM_REG_AUTO },
	{ "boxes", FORM_REG_BOXES },
	{ "anchors", FORM_REG_ANCHORS },
	{ "none", FORM_REG_NONE },
};

/* Top-level keys that must be known before zones are read. */
static void
load_header(struct loader *l, const struct ynode *root)
{
	const struct ynode *n;

	if ((n = ynode_get(root, "page")) != NULL)
		load_page(l, n);
	else
		problem(l, root, "a template needs \"page\" (e.g. A4)");
	if ((n = ynode_get(root, "lang")) != NULL)
		l->t->lang = ynode_text_dup(n, "lang", &l->sink);
	else
		l->t->lang = xstrdup("eng");
	if ((n = ynode_get(root, "units")) != NULL) {
		if (ynode_is(n, "page"))
			l->frac = 1;
		else if (!ynode_is(n, "mm"))
			problem(l, n, "units must be mm or page");
	}
}

static void
load_root(struct loader *l, const struct ynode *root)
{
	struct form_template *t = l->t;
	size_t i, j;

	load_header(l, root);
	for (i = 0; i < root->n; i++) {
		const struct ynode *k = root->keys[i], *v = root->items[i];

		if (ynode_is(k, "page") || ynode_is(k, "lang") ||
		    ynode_is(k, "units"))
			continue;
		if (ynode_is(k, "template"))
			t->name = ynode_text_dup(v, "template", &l->sink);
		else if (ynode_is(k, "title"))
			t->title = ynode_text_dup(v, "title", &l->sink);
		else if (ynode_is(k, "preprocess"))
			load_preprocess(l, v);
		else if (ynode_is(k, "min_confidence"))
			ynode_number(v, "min_confidence", 0, 100, &t->min_conf,
			    &l->sink);
		else if (ynode_is(k, "register")) {
			const char *s = ynode_text(v, "register", &l->sink);

			if (s == NULL)
				continue;
			for (j = 0; j < sizeof registers /
			    sizeof registers[0]; j++)
				if (strcmp(s, registers[j].name) == 0)
					break;
			if (j == sizeof registers / sizeof registers[0])
				problem(l, v, "register must be auto, boxes, "
				    "anchors or none, not \"%s\"", s);
			else
				t->reg = registers[j].reg;
		} else if (ynode_is(k, "texts")) {
			if (v->kind != YNODE_SEQ) {
				problem(l, v, "texts must be a sequence");
				continue;
			}
			for (j = 0; j < v->n; j++)
				load_text(l, v->items[j]);
		} else if (ynode_is(k, "checks")) {
			if (v->kind != YNODE_SEQ) {
				problem(l, v, "checks must be a sequence");
				continue;
			}
			for (j = 0; j < v->n; j++)
				load_check(l, v->items[j]);
		} else if (ynode_is(k, "fields")) {
			if (v->kind != YNODE_SEQ) {
				problem(l, v, "fields must be a sequence");
				continue;
			}
			for (j = 0; j < v->n; j++)
				load_field(l, v->items[j]);
		} else
			problem(l, k, "unknown key \"%s\" (template, title, "
			    "page, units, lang, register, preprocess, "
			    "min_confidence, texts, fields, checks)",
			    k->kind == YNODE_SCALAR ? k->value : "?");
	}
	if (t->name == NULL)
		problem(l, root, "a template needs a \"template\" name");
	check_template(l, root);
}

/* The confidence below which a field is flagged when the template does
 * not say; calibrated on the generated sets (see docs/ocr.md). */
#define FORM_DEFAULT_MIN_CONF	70.0

/* The template in doc (consumed), loaded from path. */
static struct form_template *
template_from_doc(struct ydoc *doc, const char *path, char *err,
    size_t errlen)
{
	struct loader l;
	struct form_template *t;

	if (doc == NULL)
		return NULL;
	if (doc->root == NULL || doc->root->kind != YNODE_MAP) {
		snprintf(err, errlen, "%s:1:1: a template must be a mapping",
		    path);
		ydoc_free(doc);
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->path = xstrdup(path);
	t->min_conf = FORM_DEFAULT_MIN_CONF;
	prep_opts_default(&t->prep);
	memset(&l, 0, sizeof l);
	l.t = t;
	l.sink.report = sink_report;
	l.sink.arg = &l;
	buf_init(&l.errs, 16384);
	load_root(&l, doc->root);
	ydoc_free(doc);
	if (l.nerr > 0) {
		snprintf(err, errlen, "%s", buf_str(&l.errs));
		buf_free(&l.errs);
		form_template_free(t);
		return NULL;
	}
	buf_free(&l.errs);
	return t;
}

struct form_template *
form_template_load(const char *path, char *err, size_t errlen)
{
	return template_from_doc(ydoc_load_file(path, err, errlen), path,
	    err, errlen);
}

struct form_template *
form_template_load_string(const char *name, const char *text, size_t len,
    char *err, size_t errlen)
{
	return template_from_doc(ydoc_load_string(name, text, len, err,
	    errlen), name, err, errlen);
}

json_t *
form_check_json(const struct form_check *c)
{
	static const char *const kinds[] = {
		[FORM_CHECK_SUM] = "sum",
		[FORM_CHECK_PRODUCT] = "product",
		[FORM_CHECK_TAX] = "tax",
	};
	json_t *o = json_object(), *terms;
	size_t i;

	if (c->kind == FORM_CHECK_TAX) {
		json_object_set_new(o, "tax", json_string(c->nterms ?
		    c->terms[0] : ""));
		json_object_set_new(o, "rate", json_real(c->rate));
	} else {
		terms = json_array();
		for (i = 0; i < c->nterms; i++)
			json_array_append_new(terms, json_string(c->terms[i]));
		json_object_set_new(o, kinds[c->kind], terms);
	}
	json_object_set_new(o, "equals", json_string(c->equals ? c->equals :
	    ""));
	for (i = 0; c->kind != FORM_CHECK_SUM &&
	    i < sizeof roundings / sizeof roundings[0]; i++)
		if (roundings[i].how == c->rounding)
			json_object_set_new(o, "rounding",
			    json_string(roundings[i].name));
	return o;
}

int
form_check_from_json(const json_t *j, struct form_check *c, char *err,
    size_t errlen)
{
	static const char *const kinds[] = { "sum", "product", "tax" };
	const char *eq = json_string_value(json_object_get(j, "equals"));
	const char *rnd = json_string_value(json_object_get(j, "rounding"));
	json_t *terms = NULL, *t;
	size_t i, k;

	memset(c, 0, sizeof *c);
	c->rounding = FORM_ROUND_HALF_UP;
	for (k = 0; k < 3; k++)
		if ((terms = json_object_get(j, kinds[k])) != NULL)
			break;
	if (k == 3 || eq == NULL) {
		snprintf(err, errlen, "a check needs sum, product or tax, and "
		    "equals");
		return -1;
	}
	c->kind = k == 0 ? FORM_CHECK_SUM : k == 1 ? FORM_CHECK_PRODUCT :
	    FORM_CHECK_TAX;
	if (c->kind == FORM_CHECK_TAX) {
		if (!json_is_string(terms) || !json_is_number(json_object_get(j,
		    "rate"))) {
			snprintf(err, errlen, "a tax check needs tax: FIELD and "
			    "rate");
			return -1;
		}
		c->rate = json_number_value(json_object_get(j, "rate"));
		c->terms = xcalloc(1, sizeof *c->terms);
		c->terms[c->nterms++] = xstrdup(json_string_value(terms));
	} else {
		if (!json_is_array(terms) || json_array_size(terms) == 0 ||
		    json_array_size(terms) > 32) {
			snprintf(err, errlen, "a check needs 1-32 fields");
			return -1;
		}
		c->terms = xcalloc(json_array_size(terms), sizeof *c->terms);
		json_array_foreach(terms, i, t)
			c->terms[c->nterms++] = xstrdup(json_string_value(t) ?
			    json_string_value(t) : "");
	}
	c->equals = xstrdup(eq);
	for (i = 0; rnd != NULL && i < sizeof roundings / sizeof roundings[0];
	    i++)
		if (strcmp(rnd, roundings[i].name) == 0)
			c->rounding = roundings[i].how;
	return 0;
}

void
form_check_clear(struct form_check *c)
{
	size_t j;

	for (j = 0; j < c->nterms; j++)
		free(c->terms[j]);
	free(c->terms);
	free(c->equals);
	memset(c, 0, sizeof *c);
}

void
form_template_free(struct form_template *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ntexts; i++) {
		free(t->texts[i].name);
		free(t->texts[i].text);
		free(t->texts[i].lang);
	}
	for (i = 0; i < t->nfields; i++) {
		struct form_field *f = &t->fields[i];

		free(f->name);
		free(f->label);
		free(f->anchor);
		free(f->lang);
		norm_spec_free(&f->spec);
	}
	for (i = 0; i < t->nchecks; i++)
		form_check_clear(&t->checks[i]);
	free(t->checks);
	free(t->texts);
	free(t->fields);
	free(t->path);
	free(t->name);
	free(t->title);
	free(t->lang);
	free(t);
}

const struct form_field *
form_field_find(const struct form_template *t, const char *name)
{
	size_t i;

	/* A field whose name did not load (the template is being refused)
	 * has none. */
	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].name != NULL &&
		    strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}
