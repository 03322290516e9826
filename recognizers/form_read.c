/*
 * form_read.c - reading one scanned page against a form template.
 *
 * 1. Resolution: from the page size in pixels and the template's size in
 *    millimetres (a scan of the whole page), else the file's own dpi.
 * 2. Skew: measured once on a reduced binary page (preprocess.c).
 * 3. Registration: where the template's origin and scale lie on the scan.
 *    With ruled boxes, the horizontal and vertical line profiles of the
 *    page are matched against the box edges the template predicts, over
 *    shifts of +-20 mm and scales of +-2%; when another placement fits
 *    nearly as well (a table of equal rows, a row off), the printed labels
 *    decide, or the page is not located.  Without boxes, anchor texts are
 *    found by OCR near where they should be.  A page that cannot be
 *    located is read where the template says, and marked for review.
 * 4. Each field (form_field.c): read by two models, accepted only with
 *    two independent opinions.
 * 5. The checks across fields (form_check.c), then the page's reasons.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "buf.h"
#include "form.h"
#include "form_priv.h"
#include "normalize.h"
#include "ocr.h"
#include "preprocess.h"
#include "seal.h"
#include "width.h"
#include "xmalloc.h"

#define MM_SEARCH	20.0	/* registration: shifts searched, mm */

const char *
field_status_name(enum field_status s)
{
	static const char *const names[] = {
		[FIELD_OK] = "ok",
		[FIELD_MISSING] = "missing",
		[FIELD_INVALID] = "invalid",
		[FIELD_LOW_CONFIDENCE] = "low_confidence",
	};

	return names[s];
}

/* ---- resolution ---- */

static double
page_dpi(const struct form_template *t, PIX *pix)
{
	double dw = pixGetWidth(pix) * 25.4 / t->page_w;
	double dh = pixGetHeight(pix) * 25.4 / t->page_h;
	int res = pixGetXRes(pix);

	/* A scan of the whole page: its size says it all. */
	if (fabs(dw - dh) / dw < 0.03)
		return (dw + dh) / 2;
	if (res >= 72 && res <= 1200)
		return res;
	return dw < dh ? dw : dh;
}

/* ---- registration by ruled boxes ---- */

/* An edge the template predicts: at pos mm along the axis, len mm long. */
struct edge {
	double	pos, len;
};

/* The best fit of the edges along one axis, and the best other shift. */
struct axis_fit {
	double	q;		/* share of the predicted line length found */
	double	f;		/* scale */
	int	d;		/* shift, small px */
	double	q2;		/* the best fit at least RIVAL_MM away */
	double	f2;
	int	d2;
};

#define RIVAL_MM	3.0	/* shifts this far apart are other placements */
#define RIVAL_SHARE	0.85	/* a rival this good makes the fit ambiguous */

/*
 * Best (scale, shift) of the edges against a line profile, and the best
 * fit of a shift RIVAL_MM or more away (a table of equal rows fits one row
 * off almost as well).  prof[i] is the line pixels in row/column i.
 */
static void
match_edges(const int *prof, int n, const struct edge *e, size_t ne,
    double pxmm, double range, struct axis_fit *fit)
{
	int nd = 2 * (int)range + 1, step, d, i;
	double *sc = xcalloc((size_t)nd, sizeof *sc), total = 0;
	double *sf = xcalloc((size_t)nd, sizeof *sf);
	size_t k;

	for (k = 0; k < ne; k++)
		total += e[k].len * pxmm;
	for (i = 0; i < nd; i++)
		sc[i] = -1;
	for (step = -5; step <= 5; step++) {
		double f = 1.0 + 0.004 * step;

		for (d = -(int)range; d <= (int)range; d++) {
			double score = 0;

			for (k = 0; k < ne; k++) {
				int p = (int)lround(f * pxmm * e[k].pos) + d;
				int v = 0, j;

				for (j = p - 1; j <= p + 1; j++)
					if (j >= 0 && j < n && prof[j] > v)
						v = prof[j];
				score += fmin(v, e[k].len * pxmm);
			}
			/* Prefer the unscaled fit when two are as good. */
			score -= abs(step) * 1e-6 * total;
			i = d + (int)range;
			if (score > sc[i]) {
				sc[i] = score;
				sf[i] = f;
			}
		}
	}
	memset(fit, 0, sizeof *fit);
	fit->q = -1;
	fit->f = fit->f2 = 1;
	for (i = 0; i < nd; i++)
		if (sc[i] > fit->q) {
			fit->q = sc[i];
			fit->f = sf[i];
			fit->d = i - (int)range;
		}
	for (i = 0; i < nd; i++)
		if (abs(i - (int)range - fit->d) >= RIVAL_MM * pxmm &&
		    sc[i] > fit->q2) {
			fit->q2 = sc[i];
			fit->f2 = sf[i];
			fit->d2 = i - (int)range;
		}
	if (total > 0) {
		fit->q /= total;
		fit->q2 /= total;
	} else
		fit->q = fit->q2 = 0;
	free(sc);
	free(sf);
}

/*
 * How many of up to LABELS_MAX printed labels, each of another row, are
 * found where the template puts them when its origin is at (ox, oy).
 * Labels tell rows apart where ruled lines cannot.
 */
#define LABELS_MAX	5

static int
labels_at(struct reader *r, double ox, double oy, int *tried)
{
	const struct form_template *t = r->t;
	double rows[LABELS_MAX], box[4], sox = r->ox, soy = r->oy;
	size_t i, j, n = 0;
	int found = 0;

	r->ox = ox;
	r->oy = oy;
	for (i = 0; i < t->nfields && n < LABELS_MAX; i++) {
		const struct form_field *f = &t->fields[i];
		const struct form_rect *z = &f->zone;
		double x, y, w, h;

		if (f->label == NULL || f->side != FORM_SIDE_RIGHT)
			continue;
		for (j = 0; j < n; j++)
			if (fabs(rows[j] - z->y) < 2)
				break;
		if (j < n)
			continue;
		rows[n++] = z->y;
		x = form_map_x(r, z->x - 45);
		y = form_map_y(r, z->y - 1.5);
		w = 45 * r->sx;
		h = (z->h + 3) * r->sy;
		found += form_locate_text(r, f->lang, f->label, 0, x, y, w,
		    h, OCR_PSM_LINE, box, "register");
	}
	r->ox = sox;
	r->oy = soy;
	*tried = (int)n;
	return found;
}

/*
 * Choose between two placements the line profiles cannot tell apart by
 * the printed labels.  0 keeps the first, 1 takes the second, -1 when the
 * labels do not settle it either.
 */
static int
settle_by_labels(struct reader *r, double ox1, double oy1, double ox2,
    double oy2)
{
	int tried, a = labels_at(r, ox1, oy1, &tried);
	int b = labels_at(r, ox2, oy2, &tried);

	if (getenv("KOBITO_OCR_DEBUG") != NULL)
		fprintf(stderr, "register: labels %d vs %d of %d\n", a, b,
		    tried);
	if (tried == 0 || a == b)
		return -1;
	return b > a;
}

static int
register_boxes(struct reader *r)
{
	const struct form_template *t = r->t;
	struct edge *he, *ve;
	struct axis_fit fx, fy;
	size_t nh = 0, nv = 0, i;
	double minw = 1e9, minh = 1e9, pxmm;
	int *hp, *vp, hn, vn, k = r->pp.factor, ambx, amby;
	PIX *hm, *vm, *closed;

	he = xcalloc(2 * t->nfields + 1, sizeof *he);
	ve = xcalloc(2 * t->nfields + 1, sizeof *ve);
	for (i = 0; i < t->nfields; i++) {
		const struct form_rect *z = &t->fields[i].zone;

		if (!t->fields[i].ruled)
			continue;
		he[nh++] = (struct edge){ z->y, z->w };
		he[nh++] = (struct edge){ z->y + z->h, z->w };
		ve[nv++] = (struct edge){ z->x, z->h };
		ve[nv++] = (struct edge){ z->x + z->w, z->h };
		minw = fmin(minw, z->w);
		minh = fmin(minh, z->h);
	}
	if (nh == 0) {
		free(he);
		free(ve);
		return -1;
	}
	pxmm = r->sx / k;
	/* Bridge the breaks noise and a sheared rotation leave in lines. */
	closed = pixCloseCompBrickExtendDwa(NULL, r->pp.small, 3, 3);
	prep_line_masks(closed != NULL ? closed : r->pp.small,
	    (int)(0.6 * minw * pxmm), (int)(0.6 * minh * pxmm), &hm, &vm);
	pixDestroy(&closed);
	form_debug_save(hm, "register-hlines", 0);
	form_debug_save(vm, "register-vlines", 0);
	prep_profile(hm, 1, &hp, &hn);
	prep_profile(vm, 0, &vp, &vn);
	match_edges(hp, hn, he, nh, pxmm, MM_SEARCH * pxmm, &fy);
	match_edges(vp, vn, ve, nv, pxmm, MM_SEARCH * pxmm, &fx);
	pixDestroy(&hm);
	pixDestroy(&vm);
	free(hp);
	free(vp);
	free(he);
	free(ve);
	ambx = fx.q2 >= RIVAL_SHARE * fx.q;
	amby = fy.q2 >= RIVAL_SHARE * fy.q;
	if (getenv("KOBITO_OCR_DEBUG") != NULL)
		fprintf(stderr, "register: qx %.2f (rival %.2f at %d) qy %.2f "
		    "(rival %.2f at %d) fx %.3f fy %.3f dx %d dy %d\n", fx.q,
		    fx.q2, fx.d2, fy.q, fy.q2, fy.d2, fx.f, fy.f, fx.d, fy.d);
	/* A third of the predicted lines, all at the right places, is a
	 * match no other shift produces; noise and blur take the rest. */
	if (fx.q < 0.3 || fy.q < 0.3)
		return -1;
	r->sx *= fx.f;
	r->sy *= fy.f;
	r->ox = (double)fx.d * k;
	r->oy = (double)fy.d * k;
	if (ambx || amby) {
		/*
		 * Another placement fits the lines nearly as well: a table
		 * of equal rows one row off.  The printed labels decide, or
		 * nothing does and the page goes to a person.
		 */
		double ox2 = ambx ? (double)fx.d2 * k : r->ox;
		double oy2 = amby ? (double)fy.d2 * k : r->oy;
		int pick = settle_by_labels(r, r->ox, r->oy, ox2, oy2);

		if (pick < 0) {
			r->ambiguous = 1;
			return -1;
		}
		if (pick == 1) {
			r->ox = ox2;
			r->oy = oy2;
			r->sx = r->sx / fx.f * (ambx ? fx.f2 : fx.f);
			r->sy = r->sy / fy.f * (amby ? fy.f2 : fy.f);
		}
	}
	return 0;
}

/* ---- OCR helpers ---- */

double
form_result_conf(const struct ocr_result *res)
{
	double c = 100;
	size_t i;

	if (res->nwords == 0)
		return 0;
	for (i = 0; i < res->nwords; i++)
		if (res->words[i].conf_min < c)
			c = res->words[i].conf_min;
	return c;
}

/* ---- anchors and labels ---- */

/* Text with every space removed, half-width: how anchors are compared. */
static char *
squeeze(const char *s)
{
	char *h = width_to_half(s), *o = h, *p;

	for (p = h; *p != '\0'; p++)
		if (*p != ' ' && *p != '\n' && *p != '\t')
			*o++ = *p;
	*o = '\0';
	return h;
}

/* Code points of UTF-8 s into out (at most max); their count. */
static size_t
code_points(const char *s, uint32_t *out, size_t max)
{
	size_t n = 0, len = strlen(s), k;

	while (*s != '\0' && n < max) {
		k = width_utf8_decode(s, len > 4 ? 4 : len, &out[n]);
		if (k == 0)
			k = 1;
		s += k;
		len -= k;
		n++;
	}
	return n;
}

/*
 * The fewest edits that make want appear somewhere in text (Sellers:
 * edit distance against the best substring).
 */
static int
substring_distance(const char *want, const char *text)
{
	uint32_t a[64], b[512];
	size_t na = code_points(want, a, 64), nb = code_points(text, b, 512);
	int prev[513], cur[513], best;
	size_t i, j;

	for (j = 0; j <= nb; j++)
		prev[j] = 0;
	for (i = 1; i <= na; i++) {
		cur[0] = (int)i;
		for (j = 1; j <= nb; j++) {
			int d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, (nb + 1) * sizeof *prev);
	}
	best = (int)na;
	for (j = 0; j <= nb; j++)
		if (prev[j] < best)
			best = prev[j];
	return best;
}

/* Misreads forgiven in a printed text of n characters: none in a short
 * label (氏名 must read 氏名), one in five beyond. */
static int
slack_for(const char *want)
{
	uint32_t cp[64];
	size_t n = code_points(want, cp, 64);

	return n < 5 ? 0 : (int)(n / 5);
}

/* The text of words [i, j] of res, squeezed. */
static char *
run_text(const struct ocr_result *res, size_t i, size_t j)
{
	struct buf b;
	size_t k;

	buf_init(&b, 4096);
	for (k = i; k <= j; k++) {
		char *w = squeeze(res->words[k].text);

		buf_puts(&b, w);
		free(w);
	}
	return buf_detach(&b, NULL);
}

/*
 * Find text among the words of res: the shortest run of consecutive words
 * on one line that holds it, allowing slack_for() misread characters
 * (the Japanese models misread one kanji of a title in a few).  Sets the
 * run's box (in res's pixels).
 */
static int
find_phrase(const struct ocr_result *res, const char *text, int box[4])
{
	char *want = squeeze(text);
	int slack = slack_for(want), found = 0;
	size_t i, j, bi = 0, bj = 0, k;

	for (j = 0; j < res->nwords && !found; j++)
		for (i = j + 1; i-- > 0;) {
			char *run;
			int d;

			if (res->words[i].line != res->words[j].line ||
			    res->words[i].block != res->words[j].block)
				break;
			run = run_text(res, i, j);
			d = substring_distance(want, run);
			free(run);
			if (d <= slack) {
				/* The shortest run ending at j: i as late as
				 * the match allows. */
				bi = i;
				bj = j;
				found = 1;
				break;
			}
		}
	free(want);
	if (found) {
		int x0 = INT32_MAX, y0 = INT32_MAX, x1 = 0, y1 = 0;

		for (k = bi; k <= bj; k++) {
			const struct ocr_word *w = &res->words[k];

			x0 = w->x < x0 ? w->x : x0;
			y0 = w->y < y0 ? w->y : y0;
			x1 = w->x + w->w > x1 ? w->x + w->w : x1;
			y1 = w->y + w->h > y1 ? w->y + w->h : y1;
		}
		box[0] = x0;
		box[1] = y0;
		box[2] = x1 - x0;
		box[3] = y1 - y0;
	}
	return found;
}

/*
 * The scale at which text of pt points is searched for: the LSTM models
 * read print of about 30 px (Japanese) to 48 px (Latin) high best, and a
 * 22-point title at 300 dpi is 90 px.
 */
static double
search_scale(const struct reader *r, const char *lang, double pt)
{
	double px = (pt > 0 ? pt : LABEL_PT) / 72.0 * r->t->prep.target_dpi;
	double want = strncmp(lang, "jpn", 3) == 0 ? 32 : 48;

	return px > want ? want / px : 1.0;
}

int
form_locate_text(struct reader *r, const char *lang, const char *text,
    double pt, double x, double y, double w, double h, enum ocr_psm psm,
    double box[4], const char *name)
{
	struct ocr_engine *e;
	struct ocr_result res;
	PIX *crop, *bin;
	double cx, cy, s = search_scale(r, lang, pt), zoom = r->zoom * s;
	int b[4], found = 0;
	char err[256];

	e = ocr_engine_get(lang, err, sizeof err);
	if (e == NULL)
		return 0;
	crop = prep_crop(&r->pp, x, y, w, h, 0, zoom, 0, &cx, &cy);
	if (crop == NULL)
		return 0;
	/* Grey, smoothed: tesseract's own threshold reads small print on a
	 * noisy scan better than one Otsu split does, and specks beside a
	 * label would make it see a line of junk. */
	bin = pixGetWidth(crop) >= 8 && pixGetHeight(crop) >= 8 ?
	    pixBlockconv(crop, 1, 1) : pixClone(crop);
	pixDestroy(&crop);
	if (bin == NULL)
		return 0;
	if (name != NULL) {
		char *what = xasprintf("search-%s-%s", name, text);

		form_debug_save(bin, what, (int)psm);
		free(what);
	}
	if (ocr_recognize(e, bin, psm, (int)(r->t->prep.target_dpi * s),
	    &res, err, sizeof err) == 0) {
		found = find_phrase(&res, text, b);
		ocr_result_free(&res);
	}
	pixDestroy(&bin);
	if (found) {
		box[0] = cx + b[0] / zoom;
		box[1] = cy + b[1] / zoom;
		box[2] = b[2] / zoom;
		box[3] = b[3] / zoom;
	}
	return found;
}

double
form_map_x(const struct reader *r, double mm)
{
	return r->ox + r->sx * mm;
}

double
form_map_y(const struct reader *r, double mm)
{
	return r->oy + r->sy * mm;
}

static void
find_anchors(struct reader *r)
{
	const struct form_template *t = r->t;
	size_t i;

	r->anchors = xcalloc(t->ntexts + 1, sizeof *r->anchors);
	for (i = 0; i < t->ntexts; i++) {
		const struct form_text *x = &t->texts[i];
		double box[4], m = 15.0 * r->sx;

		if (!x->anchor)
			continue;
		if (!form_locate_text(r, x->lang, x->text, x->size,
		    form_map_x(r, x->at.x) - m, form_map_y(r, x->at.y) - m,
		    x->at.w * r->sx + 2 * m, x->at.h * r->sy + 2 * m,
		    OCR_PSM_SPARSE, box, x->name))
			continue;
		/* Printed left-aligned, centred vertically in "at". */
		r->anchors[i].found = 1;
		r->anchors[i].dx = box[0] - form_map_x(r, x->at.x);
		r->anchors[i].dy = box[1] + box[3] / 2 -
		    form_map_y(r, x->at.y + x->at.h / 2);
	}
}

static int
register_anchors(struct reader *r)
{
	const struct form_template *t = r->t;
	double dx = 0, dy = 0;
	size_t i;
	int n = 0;

	for (i = 0; i < t->ntexts; i++)
		if (r->anchors[i].found) {
			dx += r->anchors[i].dx;
			dy += r->anchors[i].dy;
			n++;
		}
	if (n == 0)
		return -1;
	r->ox += dx / n;
	r->oy += dy / n;
	for (i = 0; i < t->ntexts; i++) {
		r->anchors[i].dx -= dx / n;
		r->anchors[i].dy -= dy / n;
	}
	return 0;
}

static int
has_ruled(const struct form_template *t)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].ruled)
			return 1;
	return 0;
}

int
form_read_page(const struct form_template *t, PIX *pix,
    struct form_page *page, char *err, size_t errlen)
{
	struct reader r;
	enum form_register reg = t->reg;
	size_t i;
	int rc = 0;

	memset(page, 0, sizeof *page);
	memset(&r, 0, sizeof r);
	r.t = t;
	r.err = err;
	r.errlen = errlen;
	page->dpi = page_dpi(t, pix);
	if (prep_page_init(&r.pp, pix, page->dpi, &t->prep, err, errlen) != 0)
		return -1;
	/* One bit, JPEG artefacts or a low resolution make the models
	 * misread alike more often (a 6 read as 8 by every model on a fax):
	 * such pages raise the bar (form_field.c). */
	r.lossy = pixGetDepth(pix) == 1 || pixGetInputFormat(pix) ==
	    IFF_JFIF_JPEG || page->dpi < 190;
	if (getenv("KOBITO_OCR_DEBUG") != NULL)
		fprintf(stderr, "page: %s input, %.0f dpi, depth %d\n",
		    r.lossy ? "lossy" : "clean", page->dpi, pixGetDepth(pix));
	r.sx = r.sy = page->dpi / 25.4;
	r.zoom = t->prep.target_dpi / page->dpi;
	if (r.zoom > 0.97 && r.zoom < 1.03)
		r.zoom = 1.0;

	if (reg == FORM_REG_AUTO)
		reg = has_ruled(t) ? FORM_REG_BOXES : FORM_REG_ANCHORS;
	if (reg == FORM_REG_BOXES)
		r.located = register_boxes(&r) == 0;
	/* Anchors are looked for when registering by them, or when fields
	 * move with them. */
	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].anchor != NULL)
			break;
	if (reg == FORM_REG_ANCHORS || i < t->nfields ||
	    (reg == FORM_REG_BOXES && !r.located))
		find_anchors(&r);
	else
		r.anchors = xcalloc(t->ntexts + 1, sizeof *r.anchors);
	if (!r.located && reg != FORM_REG_NONE)
		r.located = register_anchors(&r) == 0;
	if (reg == FORM_REG_NONE)
		r.located = 1;
	page->located = r.located;
	page->skew_deg = r.pp.angle * 180 / M_PI;
	page->dx_mm = r.ox / r.sx;
	page->dy_mm = r.oy / r.sy;
	if (!r.located && r.ambiguous) {
		page->review = 1;
		form_add_reason(page, "two placements of template %s fit the "
		    "ruled lines alike (a row apart) and neither the labels "
		    "nor the anchors tell them apart; fields were read at the "
		    "better one", t->name);
	} else if (!r.located) {
		page->review = 1;
		form_add_reason(page, "the page could not be located against "
		    "template %s; fields were read where the template puts "
		    "them", t->name);
	}

	page->fields = xcalloc(t->nfields, sizeof *page->fields);
	page->nfields = t->nfields;
	for (i = 0; i < t->nfields; i++)
		if (form_read_field(&r, &t->fields[i], &page->fields[i]) != 0) {
			rc = -1;
			break;
		}
	if (rc == 0 && r.located && r.boxes >= 3 &&
	    r.boxes_found < 0.6 * r.boxes) {
		/* Registered, yet most boxes are not where they should be: a
		 * wrong template, or a page too damaged to trust. */
		page->located = 0;
		page->review = 1;
		form_add_reason(page, "only %d of %d ruled boxes were found where "
		    "template %s puts them", r.boxes_found, r.boxes, t->name);
		for (i = 0; i < page->nfields; i++)
			if (page->fields[i].status == FIELD_OK) {
				page->fields[i].status = FIELD_LOW_CONFIDENCE;
				form_set_reason(&page->fields[i], "the page was not "
				    "located");
			}
	}
	if (rc == 0)
		form_apply_checks(t, page);
	for (i = 0; rc == 0 && i < page->nfields; i++) {
		const struct field_result *fr = &page->fields[i];

		if (fr->status == FIELD_OK)
			continue;
		page->review = 1;
		form_add_reason(page, "%s: %s (%s)", t->fields[i].name,
		    field_status_name(fr->status), fr->reason != NULL ?
		    fr->reason : "");
	}
	free(r.anchors);
	prep_page_free(&r.pp);
	if (rc != 0)
		form_page_free(page);
	return rc;
}

void
form_page_free(struct form_page *page)
{
	size_t i;

	for (i = 0; i < page->nfields; i++) {
		struct field_result *fr = &page->fields[i];
		size_t k;

		json_decref(fr->value);
		free(fr->raw);
		free(fr->reason);
		for (k = 0; k < fr->nevidence; k++)
			free(fr->evidence[k]);
		free(fr->evidence);
		for (k = 0; k < fr->nreadings; k++) {
			free(fr->readings[k].raw);
			free(fr->readings[k].by);
			json_decref(fr->readings[k].value);
		}
		free(fr->readings);
	}
	for (i = 0; i < page->nreasons; i++)
		free(page->reasons[i]);
	free(page->fields);
	free(page->reasons);
	memset(page, 0, sizeof *page);
}

json_t *
form_page_json(const struct form_page *page)
{
	json_t *o = json_object(), *fields = json_object(),
	    *reasons = json_array();
	size_t i;

	for (i = 0; i < page->nfields; i++) {
		const struct field_result *fr = &page->fields[i];
		json_t *f = json_pack("{s:O, s:s, s:f, s:[i,i,i,i], s:s}",
		    "value", fr->value, "raw", fr->raw != NULL ? fr->raw : "",
		    "confidence", round(fr->conf * 10) / 10, "box",
		    fr->box[0], fr->box[1], fr->box[2], fr->box[3], "status",
		    field_status_name(fr->status));

		json_t *ev = json_array(), *rds = json_array();
		size_t k;

		if (fr->reason != NULL)
			json_object_set_new(f, "reason",
			    json_string(fr->reason));
		for (k = 0; k < fr->nevidence; k++)
			json_array_append_new(ev, json_string(fr->evidence[k]));
		for (k = 0; k < fr->nreadings; k++) {
			const struct field_reading *rd = &fr->readings[k];

			json_array_append_new(rds, json_pack("{s:s, s:s, s:O, "
			    "s:f}", "by", rd->by, "raw", rd->raw, "value",
			    rd->value != NULL ? rd->value : json_null(),
			    "confidence", round(rd->conf * 10) / 10));
		}
		json_object_set_new(f, "opinions",
		    json_integer(fr->opinions));
		json_object_set_new(f, "evidence", ev);
		json_object_set_new(f, "readings", rds);
		json_object_set_new(fields, fr->field->name, f);
	}
	for (i = 0; i < page->nreasons; i++)
		json_array_append_new(reasons, json_string(page->reasons[i]));
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "review", json_boolean(page->review));
	json_object_set_new(o, "reasons", reasons);
	json_object_set_new(o, "located", json_pack("{s:b, s:f, s:f, s:f, "
	    "s:f}", "ok", page->located, "skew_deg",
	    round(page->skew_deg * 100) / 100, "dx_mm",
	    round(page->dx_mm * 10) / 10, "dy_mm",
	    round(page->dy_mm * 10) / 10, "dpi", round(page->dpi)));
	return o;
}
