/*
 * form_read.c - reading one scanned page against a form template.
 *
 * 1. Resolution: from the page size in pixels and the template's size in
 *    millimetres (a scan of the whole page), else the file's own dpi.
 * 2. Skew: measured once on a reduced binary page (preprocess.c).
 * 3. Registration: where the template's origin and scale lie on the scan.
 *    With ruled boxes, the horizontal and vertical line profiles of the
 *    page are matched against the box edges the template predicts, over
 *    shifts of +-20 mm and scales of +-2%; without, anchor texts are found
 *    by OCR near where they should be.  A page that cannot be located is
 *    read where the template says, and marked for review.
 * 4. Each field: its box is found again locally (so a residual error of a
 *    few millimetres does not matter), the inside is cut out, binarised,
 *    cleaned of ruled lines and specks, and read as one line; the text is
 *    normalised and validated.  A field that fails is read again with a
 *    different binarisation and segmentation, and the readings are
 *    compared: two that agree make a sure field, a lone doubtful one is
 *    flagged.
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

/*
 * Best (scale, shift) of the edges against a line profile: the share of the
 * predicted line length found.  prof[i] is the line pixels in row/column i.
 */
static double
match_edges(const int *prof, int n, const struct edge *e, size_t ne,
    double pxmm, double range, double *best_f, int *best_d)
{
	double best = -1, total = 0;
	size_t i;
	int step, d;

	for (i = 0; i < ne; i++)
		total += e[i].len * pxmm;
	for (step = -5; step <= 5; step++) {
		double f = 1.0 + 0.004 * step;

		for (d = -(int)range; d <= (int)range; d++) {
			double score = 0;

			for (i = 0; i < ne; i++) {
				int p = (int)lround(f * pxmm * e[i].pos) + d;
				int v = 0, k;

				for (k = p - 1; k <= p + 1; k++)
					if (k >= 0 && k < n && prof[k] > v)
						v = prof[k];
				score += fmin(v, e[i].len * pxmm);
			}
			/* Prefer the unscaled fit when two are as good. */
			score -= abs(step) * 1e-6 * total;
			if (score > best) {
				best = score;
				*best_f = f;
				*best_d = d;
			}
		}
	}
	return total > 0 ? best / total : 0;
}

static int
register_boxes(struct reader *r)
{
	const struct form_template *t = r->t;
	struct edge *he, *ve;
	size_t nh = 0, nv = 0, i;
	double minw = 1e9, minh = 1e9, pxmm, fx = 1, fy = 1, qx, qy;
	int *hp, *vp, hn, vn, dx = 0, dy = 0, k = r->pp.factor;
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
	prep_profile(hm, 1, &hp, &hn);
	prep_profile(vm, 0, &vp, &vn);
	qy = match_edges(hp, hn, he, nh, pxmm, MM_SEARCH * pxmm, &fy, &dy);
	qx = match_edges(vp, vn, ve, nv, pxmm, MM_SEARCH * pxmm, &fx, &dx);
	pixDestroy(&hm);
	pixDestroy(&vm);
	free(hp);
	free(vp);
	free(he);
	free(ve);
	if (getenv("KOBITO_OCR_DEBUG") != NULL)
		fprintf(stderr, "register: qx %.2f qy %.2f fx %.3f fy %.3f "
		    "dx %d dy %d\n", qx, qy, fx, fy, dx, dy);
	/* A third of the predicted lines, all at the right places, is a
	 * match no other shift produces; noise and blur take the rest. */
	if (qx < 0.3 || qy < 0.3)
		return -1;
	r->sx *= fx;
	r->sy *= fy;
	r->ox = (double)dx * k;
	r->oy = (double)dy * k;
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

/*
 * Find text among the words of res: a run of consecutive words on one line
 * whose concatenation contains it.  Sets the run's box (in res's pixels).
 */
static int
find_phrase(const struct ocr_result *res, const char *text, int box[4])
{
	char *want = squeeze(text);
	size_t i, j;
	int found = 0;

	for (i = 0; i < res->nwords && !found; i++) {
		struct buf b;

		buf_init(&b, 4096);
		for (j = i; j < res->nwords && res->words[j].line ==
		    res->words[i].line; j++) {
			char *w = squeeze(res->words[j].text);

			buf_puts(&b, w);
			free(w);
			if (strstr(buf_str(&b), want) != NULL) {
				size_t k;
				int x0 = INT32_MAX, y0 = INT32_MAX, x1 = 0,
				    y1 = 0;

				for (k = i; k <= j; k++) {
					const struct ocr_word *w2 =
					    &res->words[k];

					x0 = w2->x < x0 ? w2->x : x0;
					y0 = w2->y < y0 ? w2->y : y0;
					x1 = w2->x + w2->w > x1 ?
					    w2->x + w2->w : x1;
					y1 = w2->y + w2->h > y1 ?
					    w2->y + w2->h : y1;
				}
				box[0] = x0;
				box[1] = y0;
				box[2] = x1 - x0;
				box[3] = y1 - y0;
				found = 1;
				break;
			}
		}
		buf_free(&b);
	}
	free(want);
	return found;
}

int
form_locate_text(struct reader *r, const char *lang, const char *text,
    double x, double y, double w, double h, enum ocr_psm psm, double box[4],
    const char *name)
{
	struct ocr_engine *e;
	struct ocr_result res;
	PIX *crop, *bin;
	double cx, cy;
	int b[4], found = 0;
	char err[256];

	e = ocr_engine_get(lang, err, sizeof err);
	if (e == NULL)
		return 0;
	crop = prep_crop(&r->pp, x, y, w, h, 0, r->zoom, 0, &cx, &cy);
	if (crop == NULL)
		return 0;
	bin = prep_binarize(crop, PREP_BIN_OTSU, 0);
	pixDestroy(&crop);
	if (bin == NULL)
		return 0;
	if (name != NULL) {
		char *what = xasprintf("search-%s", name);

		form_debug_save(bin, what, (int)psm);
		free(what);
	}
	if (ocr_recognize(e, bin, psm, r->t->prep.target_dpi, &res, err,
	    sizeof err) == 0) {
		found = find_phrase(&res, text, b);
		ocr_result_free(&res);
	}
	pixDestroy(&bin);
	if (found) {
		box[0] = cx + b[0] / r->zoom;
		box[1] = cy + b[1] / r->zoom;
		box[2] = b[2] / r->zoom;
		box[3] = b[3] / r->zoom;
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
		if (!form_locate_text(r, x->lang, x->text,
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
	if (!r.located) {
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
