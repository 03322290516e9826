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
#include "normalize.h"
#include "ocr.h"
#include "preprocess.h"
#include "seal.h"
#include "width.h"
#include "xmalloc.h"

#define MM_SEARCH	20.0	/* registration: shifts searched, mm */
#define BOX_SLACK	3.0	/* local box search around the zone, mm */
#define LABEL_GAP	2.5	/* label to value zone, mm */
#define BOX_INSET	0.8	/* kept clear inside a ruled box's lines, mm */

/* Where an anchor text was found, relative to where the template puts it. */
struct anchor_hit {
	int	found;
	double	dx, dy;		/* deskewed px */
};

/* Everything about one page being read. */
struct reader {
	const struct form_template	*t;
	struct prep_page		 pp;
	double				 sx, sy;	/* deskewed px per mm */
	double				 ox, oy;	/* deskewed px of (0,0) */
	double				 zoom;		/* crop px per deskewed px */
	int				 located;
	int				 boxes;		/* ruled zones read */
	int				 boxes_found;	/* ... whose box was seen */
	struct anchor_hit		*anchors;	/* per template text */
	char				*err;
	size_t				 errlen;
};

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

/* The lowest symbol confidence of any word (0 when there are none). */
static double
result_conf(const struct ocr_result *res)
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

/*
 * OCR the deskewed rectangle (x, y, w, h) in mode psm and look for text;
 * on success box receives the phrase's deskewed box.
 */
static int
locate_text(struct reader *r, const char *lang, const char *text, double x,
    double y, double w, double h, enum ocr_psm psm, double box[4])
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

/* Deskewed px of a template point. */
static double
map_x(const struct reader *r, double mm)
{
	return r->ox + r->sx * mm;
}

static double
map_y(const struct reader *r, double mm)
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
		if (!locate_text(r, x->lang, x->text, map_x(r, x->at.x) - m,
		    map_y(r, x->at.y) - m, x->at.w * r->sx + 2 * m,
		    x->at.h * r->sy + 2 * m, OCR_PSM_SPARSE, box))
			continue;
		/* Printed left-aligned, centred vertically in "at". */
		r->anchors[i].found = 1;
		r->anchors[i].dx = box[0] - map_x(r, x->at.x);
		r->anchors[i].dy = box[1] + box[3] / 2 -
		    map_y(r, x->at.y + x->at.h / 2);
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

/* ---- one field ---- */

/* A zone cut out and cleaned one way, ready for recognition. */
struct zone_img {
	int		 done;		/* prepared (pix may still be NULL) */
	PIX		*pix;		/* binary, trimmed, padded; NULL: empty */
	double		 box[4];	/* deskewed box of the zone */
	int		 text_h;	/* height of the writing, px */
	int		*gaps;		/* blank stretches as wide as a space */
	size_t		 ngaps;
	int		 ink0, ink1;	/* first and last inked column */
};

/* How a zone is prepared: the ways differ in how they treat noise. */
static const struct {
	enum prep_binarize	 bin;
	unsigned		 flags;
} preps[] = {
	{ PREP_BIN_OTSU, 0 },
	{ PREP_BIN_OTSU, PREP_SMOOTH },
	{ PREP_BIN_SAUVOLA, PREP_BACKGROUND | PREP_SMOOTH },
};

#define NPREPS	(sizeof preps / sizeof preps[0])

/* When a variant is used. */
#define V_FIRST		0x01	/* first round, every field */
#define V_JA_FIRST	0x02	/* first round, Japanese text */
#define V_RETRY		0x04	/* the first round was not sure */
#define V_JA_RETRY	0x08	/* the same, Japanese text */
#define V_LATIN		0x10	/* not sure, and latin_helps() */
#define V_JA_OTHER	0x20	/* first round, other Japanese fields */

/*
 * The ways a zone is read.  Japanese text is read two ways from the
 * start, since the jpn models misread one kanji in a few dozen and one way
 * alone cannot tell when: reduced to 60% (these models read large print
 * better at about 25 px) with the jpn model and with the Japanese script
 * model, trained apart.  When the two differ, it is read at full size and
 * with other preparations too, and the readings vote.  Other fields are
 * read once, and again only when the reading does not validate or is not
 * sure.
 */
static const struct variant {
	int		 prep;		/* index into preps */
	const char	*model;		/* NULL: the field's language */
	double		 scale;
	enum ocr_psm	 psm;
	unsigned	 when;
} variants[] = {
	{ 0, NULL, 0.6, OCR_PSM_LINE, V_JA_FIRST | V_JA_OTHER },
	{ 0, "Japanese", 0.6, OCR_PSM_LINE, V_JA_FIRST },
	{ 0, NULL, 1.0, OCR_PSM_LINE, V_FIRST | V_JA_RETRY },
	{ 1, NULL, 1.0, OCR_PSM_LINE, V_RETRY },
	{ 2, NULL, 1.0, OCR_PSM_RAW_LINE, V_RETRY },
	{ 1, NULL, 0.6, OCR_PSM_LINE, V_JA_RETRY },
	{ 2, NULL, 0.6, OCR_PSM_LINE, V_JA_RETRY },
	{ 1, "eng", 1.0, OCR_PSM_LINE, V_LATIN },
};

#define NVARIANTS	(sizeof variants / sizeof variants[0])

/* A reading of a field: text, confidence and the value it normalised to. */
struct reading {
	char		*raw;
	double		 conf;
	json_t		*value;		/* NULL when it did not normalise */
	unsigned	 flags;
	char		 why[256];
	int		 prep;
	int		 script;	/* read with the Japanese script model */
};

static void
reading_clear(struct reading *rd)
{
	free(rd->raw);
	json_decref(rd->value);
	memset(rd, 0, sizeof *rd);
}

static void
zone_img_clear(struct zone_img *zi)
{
	pixDestroy(&zi->pix);
	free(zi->gaps);
	memset(zi, 0, sizeof *zi);
}

/*
 * Find the ruled box near where it should be inside a binarised crop,
 * given its horizontal and vertical line masks: the strongest horizontal
 * lines near the expected top and bottom and vertical lines near the
 * expected left and right.  in[] is the expected box and is
 * replaced by the inside of the found box (or shrunk a little when no box
 * is seen).  inset: pixels kept clear inside the line, for the blur and
 * the residual tilt of a scanned line.  Returns how many of the four
 * lines were found.
 */
static int
refine_box(PIX *hm, PIX *vm, double in[4], double slack, int inset)
{
	int *hp, *vp, hn, vn, i, nfound = 0;
	double exp_pos[4] = { in[1], in[1] + in[3], in[0], in[0] + in[2] };
	double found[4];

	prep_profile(hm, 1, &hp, &hn);
	prep_profile(vm, 0, &vp, &vn);
	for (i = 0; i < 4; i++) {
		const int *prof = i < 2 ? hp : vp;
		int n = i < 2 ? hn : vn, lo, hi, k, bestk = -1, best = 0;
		double need = 0.4 * (i < 2 ? in[2] : in[3]);

		lo = (int)(exp_pos[i] - slack);
		hi = (int)(exp_pos[i] + slack);
		for (k = lo < 0 ? 0 : lo; k <= hi && k < n; k++)
			if (prof[k] > best) {
				best = prof[k];
				bestk = k;
			}
		if (bestk < 0 || best < need) {
			/* No line: keep the expected edge, and stay clear of
			 * where a faint line might be. */
			found[i] = exp_pos[i] + (i % 2 == 0 ? inset : -inset);
			continue;
		}
		nfound++;
		/* Step past the whole thickness of the line, inwards. */
		if (i % 2 == 0) {
			while (bestk + 1 < n && prof[bestk + 1] >= best / 3)
				bestk++;
			found[i] = bestk + inset;
		} else {
			while (bestk - 1 >= 0 && prof[bestk - 1] >= best / 3)
				bestk--;
			found[i] = bestk - inset;
		}
	}
	free(hp);
	free(vp);
	if (found[1] - found[0] > 8 && found[3] - found[2] > 8) {
		in[0] = found[2];
		in[1] = found[0];
		in[2] = found[3] - found[2];
		in[3] = found[1] - found[0];
	}
	return nfound;
}

/*
 * With KOBITO_OCR_DEBUG set to a directory, every image handed to
 * tesseract is saved there as FIELD-PASS.png: the way to see why a
 * template's zone reads badly.
 */
static void
debug_save(PIX *pix, const char *name, int pass)
{
	const char *dir = getenv("KOBITO_OCR_DEBUG");
	char *path;

	if (dir == NULL || *dir == '\0' || pix == NULL)
		return;
	path = xasprintf("%s/%s-%d.png", dir, name, pass);
	pixWrite(path, pix, IFF_PNG);
	free(path);
}

/*
 * Blank column runs inside the writing at least as wide as the writing is
 * high: spaces, as between a family and a given name (a full-width space
 * is one em; the widest gap between two characters of a word, as around
 * a full-width digit, is about 0.8 em).
 */
static void
measure_gaps(struct zone_img *zi)
{
	int *prof, n, i, first = -1, last = -1, run = 0, h = zi->text_h;
	PIX *big;
	BOX *fg = NULL;

	/* Specks neither close a gap nor count in the writing's height. */
	big = pixSelectBySize(zi->pix, 6, 6, 8, L_SELECT_IF_EITHER,
	    L_SELECT_IF_GTE, NULL);
	if (big == NULL)
		return;
	if (pixClipToForeground(big, NULL, &fg) == 0 && fg != NULL) {
		int bx, by, bw;

		boxGetGeometry(fg, &bx, &by, &bw, &h);
		boxDestroy(&fg);
	}
	prep_profile(big, 0, &prof, &n);
	pixDestroy(&big);
	for (i = 0; i < n; i++)
		if (prof[i] > 0) {
			if (first < 0)
				first = i;
			last = i;
		}
	zi->ink0 = first;
	zi->ink1 = last + 1;
	for (i = first + 1; first >= 0 && i <= last; i++) {
		if (prof[i] == 0) {
			run++;
			continue;
		}
		if (run > 0 && run >= 0.95 * h) {
			zi->gaps = xreallocarray(zi->gaps, 2 * (zi->ngaps + 1),
			    sizeof *zi->gaps);
			zi->gaps[2 * zi->ngaps] = i - run;
			zi->gaps[2 * zi->ngaps + 1] = i;
			zi->ngaps++;
		}
		run = 0;
	}
	free(prof);
}

/*
 * Cut the field's zone (deskewed rect z) out of the page and clean it the
 * way preps[which] says.  Returns 0 (zi->pix NULL when nothing is written
 * there), or -1 with a message in r->err.
 */
static int
prepare_zone(struct reader *r, const struct form_field *f, const double z[4],
    int which, struct zone_img *zi)
{
	const struct form_template *t = r->t;
	PIX *crop, *bin, *sub, *clean;
	double cx, cy, in[4], m = (f->ruled ? BOX_SLACK : 1.0) * r->sx;
	int cb[4], speck;
	BOX *clip;

	zi->done = 1;
	crop = prep_crop(&r->pp, z[0], z[1], z[2], z[3], m, r->zoom, 0, &cx,
	    &cy);
	if (crop == NULL) {
		snprintf(r->err, r->errlen, "cannot cut the zone of %s",
		    f->name);
		return -1;
	}
	bin = prep_binarize(crop, preps[which].bin, preps[which].flags);
	pixDestroy(&crop);
	if (bin == NULL) {
		snprintf(r->err, r->errlen, "cannot binarise the zone of %s",
		    f->name);
		return -1;
	}
	in[0] = m * r->zoom;
	in[1] = m * r->zoom;
	in[2] = z[2] * r->zoom;
	in[3] = z[3] * r->zoom;
	if (f->ruled) {
		PIX *hm, *vm;
		int lines;

		/* The box's lines: found, then taken out of the crop. */
		prep_line_masks(bin, (int)(0.5 * in[2]), (int)(0.5 * in[3]),
		    &hm, &vm);
		lines = refine_box(hm, vm, in, BOX_SLACK * r->sx * r->zoom,
		    (int)(BOX_INSET * r->sx * r->zoom));
		if (t->prep.remove_lines) {
			pixSubtract(bin, bin, hm);
			pixSubtract(bin, bin, vm);
		}
		pixDestroy(&hm);
		pixDestroy(&vm);
		if (which == 0) {
			r->boxes++;
			r->boxes_found += lines >= 3;
		}
	}
	zi->box[0] = cx + in[0] / r->zoom;
	zi->box[1] = cy + in[1] / r->zoom;
	zi->box[2] = in[2] / r->zoom;
	zi->box[3] = in[3] / r->zoom;
	clip = boxCreate((int)in[0], (int)in[1], (int)in[2], (int)in[3]);
	sub = pixClipRectangle(bin, clip, NULL);
	boxDestroy(&clip);
	pixDestroy(&bin);
	if (sub == NULL)
		return 0;
	speck = t->prep.despeckle * t->prep.target_dpi / 300;
	clean = prep_clean(sub, 0, 0, speck, cb);
	pixDestroy(&sub);
	if (clean == NULL)
		return 0;
	zi->text_h = cb[3];
	zi->pix = prep_frame(clean, cb, cb[3] / 2 > 10 ? cb[3] / 2 : 10);
	pixDestroy(&clean);
	if (zi->pix == NULL) {
		snprintf(r->err, r->errlen, "cannot frame the zone of %s",
		    f->name);
		return -1;
	}
	debug_save(zi->pix, f->name, which);
	/* Spaces are measured for Japanese, which has none of its own. */
	if (!f->vertical && !f->multiline && strncmp(f->lang, "jpn", 3) == 0)
		measure_gaps(zi);
	return 0;
}

/* Symbol classes for digit runs inside Japanese text. */
static int
is_digit_sym(const char *s)
{
	return (s[0] >= '0' && s[0] <= '9' && s[1] == '\0') ||
	    (strncmp(s, "\xef\xbc", 2) == 0 && (unsigned char)s[2] >= 0x90 &&
	    (unsigned char)s[2] <= 0x99);	/* U+FF10..U+FF19 */
}

/* Dashes, which normalisation turns into '-' between digits anyway. */
static int
is_dash_sym(const char *s)
{
	static const char *const dashes[] = {
		"-", "ー", "一", "－", "‐", "—", "―", "−", "ｰ",
	};
	size_t i;

	for (i = 0; i < sizeof dashes / sizeof dashes[0]; i++)
		if (strcmp(s, dashes[i]) == 0)
			return 1;
	return 0;
}

/*
 * What the jpn models make of a hyphen or a full-width digit next to
 * digits: ー 一 － and the kana and kanji that look like ones and fours.
 */
static int
is_digitish_sym(const char *s)
{
	static const char *const look[] = {
		"ユ", "オ", "キ", "ヨ", "ラ", "コ", "ア", "二", "工", "ロ", "l",
		"|", "I",
	};
	size_t i;

	if (is_digit_sym(s) || is_dash_sym(s))
		return 1;
	for (i = 0; i < sizeof look / sizeof look[0]; i++)
		if (strcmp(s, look[i]) == 0)
			return 1;
	return 0;
}

/*
 * The digits-and-hyphens tail of eng's reading of a Japanese line, e.g.
 * "1-22-16" from "A)MAS ABBIR1-22-16": the eng model turns kanji into
 * junk but reads full-width digits and hyphens well.  NULL when the line
 * does not end in digits.
 */
static char *
latin_tail(const char *text)
{
	char *s = norm_digit_run(text), *p;

	if (s != NULL)
		return s;
	/* norm_digit_run refused the whole line: keep the tail that is
	 * digits and dashes, after dropping marks at the end. */
	s = xstrdup(text);
	p = s + strlen(s);
	while (p > s && strchr(" \n.|'", p[-1]) != NULL)
		*--p = '\0';
	while (p > s) {
		const char *q = p - 1;
		unsigned char c = (unsigned char)*q;

		if (isdigit(c) || c == '-' || c == ' ')
			p--;
		else if (p - s >= 3 && (strncmp(p - 3, "\xe2\x80\x94", 3) == 0 ||
		    strncmp(p - 3, "\xe2\x80\x93", 3) == 0 ||
		    strncmp(p - 3, "\xe2\x88\x92", 3) == 0))
			p -= 3;		/* em dash, en dash, minus */
		else
			break;
	}
	p = norm_digit_run(p);
	free(s);
	return p;
}

/*
 * House numbers at the end of Japanese text ("広坂１－２２－１６") are
 * where the jpn models go wrong: a full-width hyphen after a one becomes
 * "ユー", a four "オ".  When the reading ends in digits mixed with such
 * look-alikes, the whole line is read again with the eng model, and its
 * tail of digits and hyphens replaces the run - if it has as many digits
 * as the run, or one more for each look-alike, and a group per hyphen.
 * (LSTM symbol boxes are too rough to cut the run out alone.)
 */
static void
fix_digit_runs(PIX *pix, struct ocr_result *res)
{
	struct ocr_symbol **sym = NULL;
	struct ocr_engine *eng;
	struct ocr_result er;
	size_t n = 0, i, k;
	int digits = 0, odd = 0, dashes = 0, got = 0, groups = 1;
	char err[256], *tail = NULL;
	const char *p;

	for (i = 0; i < res->nwords; i++)
		for (k = 0; k < res->words[i].nsyms; k++) {
			if (res->words[i].line != res->words[0].line)
				continue;
			sym = xreallocarray(sym, n + 1, sizeof *sym);
			sym[n++] = &res->words[i].syms[k];
		}
	for (i = n; i > 0 && is_digitish_sym(sym[i - 1]->text); i--) {
		if (is_digit_sym(sym[i - 1]->text))
			digits++;
		else if (is_dash_sym(sym[i - 1]->text))
			dashes++;
		else
			odd++;
	}
	if (digits == 0 || odd == 0 ||
	    (eng = ocr_engine_get("eng", err, sizeof err)) == NULL ||
	    ocr_recognize(eng, pix, OCR_PSM_LINE, 300, &er, err,
	    sizeof err) != 0) {
		free(sym);
		return;
	}
	tail = latin_tail(er.text);
	ocr_result_free(&er);
	for (p = tail; p != NULL && *p != '\0'; p++) {
		got += isdigit((unsigned char)*p) != 0;
		groups += *p == '-';
	}
	if (tail != NULL && got >= digits && got <= digits + odd &&
	    groups >= 2 && groups <= dashes + odd + 1) {
		free(sym[i]->text);
		sym[i]->text = tail;
		tail = NULL;
		for (k = i + 1; k < n; k++) {
			free(sym[k]->text);
			sym[k]->text = xstrdup("");
		}
	}
	free(tail);
	free(sym);
}

/* Japanese text on one horizontal line: the field kind read three ways. */
static int
ja_text(const struct form_field *f)
{
	return f->spec.kind == NORM_TEXT && strncmp(f->lang, "jpn", 3) == 0 &&
	    !f->vertical && !f->multiline;
}

/* Read the prepared zone with variant v into rd.  Returns 0, or -1 with a
 * message in r->err (missing models are not errors: rd stays empty). */
static int
read_variant(struct reader *r, const struct form_field *f,
    const struct zone_img *zi, const struct variant *v, struct reading *rd)
{
	const char *model = v->model != NULL ? v->model : f->lang;
	int cjk = strncmp(model, "jpn", 3) == 0 ||
	    strcmp(model, "Japanese") == 0;
	struct ocr_engine *e;
	struct ocr_result res;
	struct ocr_gaps gaps;
	enum ocr_psm psm = v->psm;
	PIX *img;
	int *g = NULL;
	size_t i;
	char err[256];

	memset(rd, 0, sizeof *rd);
	rd->prep = v->prep;
	rd->script = strcmp(model, "Japanese") == 0;
	e = ocr_engine_get(model, err, sizeof err);
	if (e == NULL) {
		/* The Japanese script model is optional. */
		if (v->model != NULL)
			return 0;
		snprintf(r->err, r->errlen, "%s", err);
		return -1;
	}
	img = v->scale < 0.99 ? pixScaleToGray(zi->pix, (l_float32)v->scale) :
	    pixClone(zi->pix);
	if (img == NULL)
		return 0;
	if (f->vertical)
		psm = OCR_PSM_BLOCK_VERT;
	else if (f->multiline)
		psm = OCR_PSM_BLOCK;
	if (ocr_recognize(e, img, psm, r->t->prep.target_dpi, &res, r->err,
	    r->errlen) != 0) {
		pixDestroy(&img);
		return -1;
	}

	pixDestroy(&img);
	if (cjk && f->spec.kind == NORM_TEXT)
		fix_digit_runs(zi->pix, &res);
	g = xcalloc(2 * zi->ngaps + 1, sizeof *g);
	for (i = 0; i < 2 * zi->ngaps; i++)
		g[i] = (int)(zi->gaps[i] * v->scale);
	gaps.v = g;
	gaps.n = zi->ngaps;
	gaps.ink0 = (int)(zi->ink0 * v->scale);
	gaps.ink1 = (int)(zi->ink1 * v->scale);
	rd->raw = ocr_join(&res, 0, res.nwords, cjk, f->vertical,
	    cjk ? &gaps : NULL);
	free(g);
	rd->conf = result_conf(&res);
	ocr_result_free(&res);
	if (norm_apply(&f->spec, rd->raw, &rd->value, &rd->flags, rd->why,
	    sizeof rd->why) != 0)
		rd->value = NULL;
	else if (rd->flags & NORM_FUZZY)
		rd->conf *= 0.8;
	return 0;
}

/*
 * Choose among the readings: the value most readings agree on (ties: the
 * most confident).  Its confidence is the agreeing readings' mean,
 * weighted by the share of valid readings that agree - two readings of
 * three agreeing is doubt, one alone is more.
 */
static struct reading *
vote(struct reading *rd, size_t n, double *conf, int *agree)
{
	struct reading *best = NULL;
	size_t i, j, valid = 0;
	double best_sum = 0;
	int best_k = 0;

	for (i = 0; i < n; i++)
		valid += rd[i].value != NULL;
	for (i = 0; i < n; i++) {
		double sum = 0;
		int k = 0;

		if (rd[i].value == NULL)
			continue;
		for (j = 0; j < n; j++)
			if (rd[j].value != NULL &&
			    json_equal(rd[i].value, rd[j].value)) {
				k++;
				sum += rd[j].conf;
			}
		if (best == NULL || k > best_k || (k == best_k &&
		    rd[i].conf > best->conf)) {
			best = &rd[i];
			best_k = k;
			best_sum = sum;
		}
	}
	if (best == NULL) {
		/* Nothing valid: the most confident reading, for its raw
		 * text and reason. */
		for (i = 0; i < n; i++)
			if (rd[i].raw != NULL && (best == NULL ||
			    rd[i].conf > best->conf))
				best = &rd[i];
		*conf = best != NULL ? best->conf : 0;
		*agree = 0;
		return best;
	}
	*conf = best_sum / best_k * best_k / (double)valid;
	*agree = best_k;
	return best;
}

/*
 * Whether best's value was read by both the field's own model and the
 * Japanese script model (or the script model gave no reading at all, when
 * it is not installed).
 */
static int
models_agree(const struct reading *rd, size_t n, const struct reading *best)
{
	size_t i;
	int own = 0, script = 0, any_script = 0;

	for (i = 0; i < n; i++) {
		any_script |= rd[i].script;
		if (rd[i].value == NULL || !json_equal(rd[i].value,
		    best->value))
			continue;
		if (rd[i].script)
			script = 1;
		else
			own = 1;
	}
	return own && (script || !any_script);
}

/* Whether the readings so far settle the field. */
static int
settled(const struct form_field *f, struct reading *rd, size_t n)
{
	double conf;
	int agree;
	struct reading *b = vote(rd, n, &conf, &agree);

	if (b == NULL || b->value == NULL)
		return 0;
	if (ja_text(f))
		return agree >= 2 && conf >= f->min_conf;
	return conf >= f->min_conf;
}

/*
 * Whether a Japanese field is worth a reading with the eng model too: its
 * value is digits and ASCII, which the jpn models sometimes read as kanji
 * (一 for a dash) or with stray kana.
 */
static int
latin_helps(const struct form_field *f)
{
	static const enum norm_kind digit_kinds[] = {
		NORM_NUMBER, NORM_AMOUNT, NORM_PHONE, NORM_POSTAL, NORM_DATE,
	};
	size_t i;

	if (strncmp(f->lang, "jpn", 3) != 0 || f->vertical)
		return 0;
	if (f->spec.kind == NORM_CODE)
		return f->spec.nlist == 0;
	for (i = 0; i < sizeof digit_kinds / sizeof digit_kinds[0]; i++)
		if (f->spec.kind == digit_kinds[i])
			return 1;
	return 0;
}

static void
set_reason(struct field_result *fr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
set_reason(struct field_result *fr, const char *fmt, ...)
{
	va_list ap;

	free(fr->reason);
	va_start(ap, fmt);
	fr->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Move the zone to where the label says it is. */
static int
zone_from_label(struct reader *r, const struct form_field *f, double z[4])
{
	double box[4], sx = r->sx, sy = r->sy;
	double x, y, w, h;

	enum ocr_psm psm = OCR_PSM_SPARSE;

	if (f->side == FORM_SIDE_RIGHT && r->located) {
		/* The page is located: the label is on the zone's line, within
		 * a few millimetres; one line is read, cheaply. */
		x = z[0] - 45 * sx;
		y = z[1] - 3 * sy;
		w = 47 * sx;
		h = z[3] + 6 * sy;
		psm = OCR_PSM_LINE;
	} else if (f->side == FORM_SIDE_RIGHT) {
		x = z[0] - 60 * sx;
		y = z[1] - 8 * sy;
		w = 65 * sx;
		h = z[3] + 16 * sy;
	} else {
		x = z[0] - 10 * sx;
		y = z[1] - 14 * sy;
		w = z[2] + 20 * sx;
		h = 16 * sy;
	}
	if (!locate_text(r, f->lang, f->label, x, y, w, h, psm, box) &&
	    (psm == OCR_PSM_SPARSE || !locate_text(r, f->lang, f->label,
	    z[0] - 60 * sx, z[1] - 8 * sy, 65 * sx, z[3] + 16 * sy,
	    OCR_PSM_SPARSE, box)))
		return -1;
	if (f->side == FORM_SIDE_RIGHT) {
		z[0] = box[0] + box[2] + LABEL_GAP * sx * 0.5;
		z[1] = box[1] + box[3] / 2 - z[3] / 2;
	} else {
		z[0] = box[0];
		z[1] = box[1] + box[3] + sy;
	}
	return 0;
}

static int
read_seal(struct reader *r, const struct form_field *f, const double z[4],
    struct field_result *fr)
{
	struct seal_result sr;
	char err[256];
	/* Inside the ruled box only. */
	double in = f->ruled ? 1.5 * r->sx : 0;

	prep_rect_to_input(&r->pp, z[0], z[1], z[2], z[3], fr->box);
	if (seal_detect(&r->pp, z[0] + in, z[1] + in, z[2] - 2 * in,
	    z[3] - 2 * in, &sr, err, sizeof err) != 0) {
		fr->status = FIELD_INVALID;
		fr->value = json_null();
		fr->raw = xstrdup("");
		set_reason(fr, "%s", err);
		return 0;
	}
	fr->value = json_boolean(sr.present);
	fr->raw = xasprintf("red %.1f%%", sr.coverage * 100);
	fr->conf = sr.conf;
	if (fr->conf < f->min_conf) {
		fr->status = FIELD_LOW_CONFIDENCE;
		set_reason(fr, "unclear whether stamped (%.1f%% red)",
		    sr.coverage * 100);
	} else if (!sr.present && f->required) {
		fr->status = FIELD_MISSING;
		set_reason(fr, "not stamped");
	}
	return 0;
}

static int
read_field(struct reader *r, const struct form_field *f,
    struct field_result *fr)
{
	const struct form_rect *zm = &f->zone;
	struct zone_img zi[NPREPS];
	struct reading rd[NVARIANTS], *best;
	unsigned first = ja_text(f) ? V_JA_FIRST :
	    strncmp(f->lang, "jpn", 3) == 0 && !f->vertical ? V_JA_OTHER :
	    V_FIRST;
	unsigned retry = (ja_text(f) ? V_JA_RETRY : V_RETRY) |
	    (latin_helps(f) ? V_LATIN : 0);
	double z[4];
	size_t i, n = 0;
	int label_lost = 0, round, rc = 0, agree;

	memset(fr, 0, sizeof *fr);
	memset(zi, 0, sizeof zi);
	fr->field = f;
	z[0] = map_x(r, zm->x);
	z[1] = map_y(r, zm->y);
	z[2] = zm->w * r->sx;
	z[3] = zm->h * r->sy;
	if (f->anchor != NULL) {
		for (i = 0; i < r->t->ntexts; i++)
			if (r->t->texts[i].name != NULL &&
			    strcmp(r->t->texts[i].name, f->anchor) == 0 &&
			    r->anchors[i].found) {
				z[0] += r->anchors[i].dx;
				z[1] += r->anchors[i].dy;
			}
	}
	if (f->by_label && zone_from_label(r, f, z) != 0)
		label_lost = 1;
	if (f->spec.kind == NORM_SEAL)
		return read_seal(r, f, z, fr);

	if (prepare_zone(r, f, z, 0, &zi[0]) != 0)
		return -1;
	prep_rect_to_input(&r->pp, zi[0].box[0], zi[0].box[1], zi[0].box[2],
	    zi[0].box[3], fr->box);
	if (zi[0].pix == NULL) {
		/* Nothing written: empty, not unreadable. */
		fr->raw = xstrdup("");
		fr->value = json_null();
		fr->conf = 100;
		if (f->required) {
			fr->status = FIELD_MISSING;
			set_reason(fr, "nothing written");
		}
		zone_img_clear(&zi[0]);
		return 0;
	}
	for (round = 0; round < 2 && rc == 0; round++) {
		unsigned when = round == 0 ? first : retry;

		if (round == 1 && settled(f, rd, n))
			break;
		for (i = 0; i < NVARIANTS && rc == 0; i++) {
			const struct variant *v = &variants[i];

			if (!(v->when & when))
				continue;
			if (!zi[v->prep].done)
				rc = prepare_zone(r, f, z, v->prep,
				    &zi[v->prep]);
			if (rc != 0 || zi[v->prep].pix == NULL)
				continue;
			rc = read_variant(r, f, &zi[v->prep], v, &rd[n]);
			if (rc == 0 && rd[n].raw != NULL)
				n++;
			else
				reading_clear(&rd[n]);
			/* A sure first reading of a simple field is enough. */
			if (rc == 0 && round == 1 && settled(f, rd, n))
				break;
		}
	}
	if (rc == 0) {
		best = vote(rd, n, &fr->conf, &agree);
		if (best == NULL || *best->raw == '\0') {
			fr->raw = xstrdup("");
			fr->value = json_null();
			fr->status = FIELD_MISSING;
			set_reason(fr, "marks that could not be read");
		} else if (best->value == NULL) {
			fr->raw = xstrdup(best->raw);
			fr->value = json_null();
			fr->status = FIELD_INVALID;
			set_reason(fr, "%s", best->why);
		} else {
			fr->raw = xstrdup(best->raw);
			fr->value = json_incref(best->value);
			if (zi[best->prep].pix != NULL)
				prep_rect_to_input(&r->pp,
				    zi[best->prep].box[0],
				    zi[best->prep].box[1],
				    zi[best->prep].box[2],
				    zi[best->prep].box[3], fr->box);
			if (ja_text(f) && agree < 2) {
				fr->status = FIELD_LOW_CONFIDENCE;
				set_reason(fr, "the readings disagree");
			} else if (ja_text(f) && !models_agree(rd, n, best)) {
				/* Readings of one model at several sizes share
				 * its mistakes: the two models must agree. */
				fr->status = FIELD_LOW_CONFIDENCE;
				set_reason(fr, "the jpn and Japanese models "
				    "disagree");
			} else if (best->flags & NORM_FUZZY) {
				/* A repaired code or amount is a proposal for
				 * a person to confirm, not a reading. */
				fr->status = FIELD_LOW_CONFIDENCE;
				set_reason(fr, "corrected from \"%s\"",
				    best->raw);
			} else if (fr->conf < f->min_conf) {
				fr->status = FIELD_LOW_CONFIDENCE;
				set_reason(fr, "confidence %.0f below %.0f",
				    fr->conf, f->min_conf);
			}
		}
		if (!r->located && fr->status == FIELD_OK) {
			/* Read where the template puts it, on a page that could
			 * not be located: whatever is there may be anything. */
			fr->status = FIELD_LOW_CONFIDENCE;
			set_reason(fr, "the page was not located");
		}
		if (label_lost && fr->status == FIELD_OK) {
			fr->status = FIELD_LOW_CONFIDENCE;
			set_reason(fr, "label \"%s\" not found; read where "
			    "the template puts it", f->label);
		}
	}
	for (i = 0; i < n; i++)
		reading_clear(&rd[i]);
	for (i = 0; i < NPREPS; i++)
		zone_img_clear(&zi[i]);
	return rc;
}

/* ---- the page ---- */

static void
add_reason(struct form_page *page, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
add_reason(struct form_page *page, const char *fmt, ...)
{
	va_list ap;

	page->reasons = xreallocarray(page->reasons, page->nreasons + 1,
	    sizeof *page->reasons);
	va_start(ap, fmt);
	page->reasons[page->nreasons++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* The numeric value of field name on the page, or NAN. */
static double
number_of(const struct form_template *t, const struct form_page *page,
    const char *name)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return json_is_number(page->fields[i].value) ?
			    json_number_value(page->fields[i].value) : NAN;
	return NAN;
}

/* Flag field name for a failed check. */
static void
flag_check(const struct form_template *t, struct form_page *page,
    const char *name, const char *why)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0 &&
		    page->fields[i].status == FIELD_OK) {
			page->fields[i].status = FIELD_LOW_CONFIDENCE;
			set_reason(&page->fields[i], "%s", why);
		}
}

/*
 * Sums that must add up.  A check whose fields are not all read is
 * skipped: those fields are flagged already.
 */
static void
apply_checks(const struct form_template *t, struct form_page *page)
{
	size_t i, j;

	for (i = 0; i < t->nchecks; i++) {
		const struct form_check *c = &t->checks[i];
		double sum = 0, want = number_of(t, page, c->equals);
		struct buf why;

		for (j = 0; j < c->nterms; j++)
			sum += number_of(t, page, c->terms[j]);
		if (isnan(sum) || isnan(want) || fabs(sum - want) < 0.005)
			continue;
		buf_init(&why, 4096);
		for (j = 0; j < c->nterms; j++)
			buf_printf(&why, "%s%s", j > 0 ? " + " : "",
			    c->terms[j]);
		buf_printf(&why, " does not equal %s", c->equals);
		for (j = 0; j < c->nterms; j++)
			flag_check(t, page, c->terms[j], buf_str(&why));
		flag_check(t, page, c->equals, buf_str(&why));
		page->review = 1;
		add_reason(page, "%s", buf_str(&why));
		buf_free(&why);
	}
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
		add_reason(page, "the page could not be located against "
		    "template %s; fields were read where the template puts "
		    "them", t->name);
	}

	page->fields = xcalloc(t->nfields, sizeof *page->fields);
	page->nfields = t->nfields;
	for (i = 0; i < t->nfields; i++) {
		struct field_result *fr = &page->fields[i];

		if (read_field(&r, &t->fields[i], fr) != 0) {
			rc = -1;
			break;
		}
		if (fr->status != FIELD_OK) {
			page->review = 1;
			add_reason(page, "%s: %s (%s)", t->fields[i].name,
			    field_status_name(fr->status),
			    fr->reason != NULL ? fr->reason : "");
		}
	}
	if (rc == 0 && r.located && r.boxes >= 3 &&
	    r.boxes_found < 0.6 * r.boxes) {
		/* Registered, yet most boxes are not where they should be: a
		 * wrong template, or a page too damaged to trust. */
		page->located = 0;
		page->review = 1;
		add_reason(page, "only %d of %d ruled boxes were found where "
		    "template %s puts them", r.boxes_found, r.boxes, t->name);
		for (i = 0; i < page->nfields; i++)
			if (page->fields[i].status == FIELD_OK) {
				page->fields[i].status = FIELD_LOW_CONFIDENCE;
				set_reason(&page->fields[i], "the page was not "
				    "located");
			}
	}
	if (rc == 0)
		apply_checks(t, page);
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
		json_decref(page->fields[i].value);
		free(page->fields[i].raw);
		free(page->fields[i].reason);
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

		if (fr->reason != NULL)
			json_object_set_new(f, "reason",
			    json_string(fr->reason));
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
