/*
 * form_field.c - reading one field of a located page: the zone cut out and
 * cleaned a few ways, read by several models, and the readings compared.
 *
 * A field's value is accepted only with two independent opinions: two
 * readings by different models (whose mistakes are not the same ones)
 * that agree, or one reading and a check that would catch a wrong one (a
 * check digit, an entry of the field's list, or a check across fields,
 * applied later by form_check.c).  One opinion, however confident, is
 * low_confidence.
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

/* ---- one field ---- */

/* A zone cut out and cleaned one way, ready for recognition. */
struct zone_img {
	int		 done;		/* prepared (pix may still be NULL) */
	PIX		*pix;		/* binary, trimmed, padded; NULL: empty */
	double		 box[4];	/* deskewed box of the zone */
	int		 text_h;	/* height of the writing, px */
	int		 touch;		/* writing runs past the zone's edge */
	int		 doubt;		/* gaps that may or may not be spaces */
	int		 doubt_kanji;	/* ... narrower ones, which are spaces
					   between kanji and kana only */
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

static const char *const prep_names[] = { "otsu", "smooth", "sauvola" };

/* When a variant is used. */
#define V_FIRST		0x01	/* first round, Latin fields */
#define V_JA_FIRST	0x02	/* first round, Japanese fields */
#define V_RETRY		0x04	/* the first round was not sure */
#define V_JA_RETRY	0x08	/* the same, Japanese fields */
#define V_LATIN		0x10	/* not sure, and latin_helps() */

/*
 * The ways a zone is read.  A value is only as sure as the independent
 * opinions that agree on it, and readings by one model share its
 * mistakes whatever the preparation (a 3 that model takes for an 8 it
 * takes for an 8 again): so every field is read from the start by two
 * models trained apart, on two preparations.  Latin fields: the eng model
 * and the Latin script model.  Japanese fields: reduced to 60% (these
 * models read large print better at about 25 px) with the jpn model and
 * with the Japanese script model (or their vertical twins).  When the two
 * do not agree, or do not validate, the zone is read again with other
 * preparations and sizes, and the readings vote.  docs/ocr.md gives the
 * measured error correlation of each pair.
 */
static const struct variant {
	int		 prep;		/* index into preps */
	const char	*model;		/* NULL: the field's language */
	double		 scale;
	enum ocr_psm	 psm;
	unsigned	 when;
} variants[] = {
	{ 0, NULL, 0.6, OCR_PSM_LINE, V_JA_FIRST },
	{ 0, "Japanese", 0.6, OCR_PSM_LINE, V_JA_FIRST },
	{ 0, NULL, 1.0, OCR_PSM_LINE, V_FIRST | V_JA_RETRY },
	{ 1, "Latin", 1.0, OCR_PSM_LINE, V_FIRST },
	{ 1, NULL, 1.0, OCR_PSM_LINE, V_RETRY },
	{ 2, NULL, 1.0, OCR_PSM_RAW_LINE, V_RETRY },
	{ 0, "Latin", 1.0, OCR_PSM_LINE, V_RETRY },
	{ 2, "Latin", 1.0, OCR_PSM_RAW_LINE, V_RETRY },
	{ 1, NULL, 0.6, OCR_PSM_LINE, V_JA_RETRY },
	{ 2, NULL, 0.6, OCR_PSM_LINE, V_JA_RETRY },
	{ 1, "Japanese", 1.0, OCR_PSM_LINE, V_JA_RETRY },
	{ 1, "eng", 1.0, OCR_PSM_LINE, V_LATIN },
	{ 1, "Latin", 1.0, OCR_PSM_LINE, V_LATIN },
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
	double		 scale;
	const char	*model;		/* borrowed: the independent source */
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
void
form_debug_save(PIX *pix, const char *name, int pass)
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
#define GAP_SPACE	0.95	/* a gap this wide (x the writing's height)
				   is a space */
#define GAP_DOUBT	0.72	/* ... this wide, maybe */
#define GAP_KANJI	0.45	/* ... this wide, between kanji and kana */

static void
measure_gaps(struct zone_img *zi, const char *name)
{
	int *prof, n, i, first = -1, last = -1, run = 0, h = zi->text_h;
	const char *dbg = getenv("KOBITO_OCR_DEBUG");
	int debug = dbg != NULL && *dbg != '\0';
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
	if (debug)
		fprintf(stderr, "gaps %s: height %d:", name, h);
	for (i = first + 1; first >= 0 && i <= last; i++) {
		if (prof[i] == 0) {
			run++;
			continue;
		}
		if (run > 0 && debug)
			fprintf(stderr, " %.2f", (double)run / h);
		/* Between characters of a word the gap stays below 0.7 of
		 * the writing's height (on the tuning set: 2,000 gaps, all
		 * but four below 0.7); a full-width space makes 0.9 or more.
		 * What lies between may be a half-width space or not: the
		 * image cannot tell, and both models would take the same
		 * word for it. */
		if (run > 0 && run >= GAP_DOUBT * h && run < GAP_SPACE * h)
			zi->doubt++;
		/* A half-width space in a monospaced or proportional font
		 * leaves 0.5 to 0.7 between two kanji, whose own gaps stay
		 * below 0.4 (on the development sets: 0.02 to 0.39, names and
		 * goods); a full-width digit is set wider. */
		if (run > 0 && run >= GAP_KANJI * h && run < GAP_DOUBT * h)
			zi->doubt_kanji++;
		if (run > 0 && run >= GAP_SPACE * h) {
			zi->gaps = xreallocarray(zi->gaps, 2 * (zi->ngaps + 1),
			    sizeof *zi->gaps);
			zi->gaps[2 * zi->ngaps] = i - run;
			zi->gaps[2 * zi->ngaps + 1] = i;
			zi->ngaps++;
		}
		run = 0;
	}
	free(prof);
	if (debug)
		fprintf(stderr, "\n");
}

#define WIDEN_MM	3.0	/* an unruled zone grows this far at most */
#define WIDEN_STEP	0.5	/* ... this much at a time, mm */

/* Sides of a rectangle, for touching_sides(). */
#define SIDE_LEFT	0x1
#define SIDE_TOP	0x2
#define SIDE_RIGHT	0x4
#define SIDE_BOTTOM	0x8

/*
 * The sides of the rectangle in[] (x, y, w, h in bin's pixels) that
 * writing crosses: a component of bin lying partly inside and partly
 * outside.  Specks do not count, nor flat bars across the top or bottom
 * and thin uprights across the left or right (what is left of a line);
 * but an upright crossing the top or bottom is a letter's stroke.
 */
static unsigned
touching_sides(PIX *bin, const double in[4], int speck, double mm)
{
	BOXA *boxa = pixConnCompBB(bin, 8);
	int n = boxa != NULL ? boxaGetCount(boxa) : 0, i;
	double X0 = in[0], Y0 = in[1], X1 = in[0] + in[2], Y1 = in[1] + in[3];
	unsigned sides = 0;

	for (i = 0; i < n; i++) {
		int x, y, w, h, flat, upright;
		double inx, iny;

		boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h);
		if ((w < speck && h < speck) || x >= X1 || x + w <= X0 ||
		    y >= Y1 || y + h <= Y0)
			continue;
		/* Lines are printed 0.1 to 0.5 mm thick. */
		flat = w >= 4 * h && h <= fmax(in[3] / 12, 0.6 * mm);
		upright = h >= 4 * w && w <= fmax(in[2] / 30, 0.6 * mm);
		/* A ruled line, an underline or a frame across the whole zone;
		 * or mostly outside: a neighbour's writing, not this value's. */
		if ((x < X0 && x + w > X1) || (y < Y0 && y + h > Y1))
			continue;
		inx = fmin(x + w, X1) - fmax(x, X0);
		iny = fmin(y + h, Y1) - fmax(y, Y0);
		if (inx < 0.5 * w || iny < 0.5 * h)
			continue;
		if (x < X0 && !upright)
			sides |= SIDE_LEFT;
		if (x + w > X1 && !upright)
			sides |= SIDE_RIGHT;
		if (y < Y0 && !flat)
			sides |= SIDE_TOP;
		if (y + h > Y1 && !flat)
			sides |= SIDE_BOTTOM;
	}
	boxaDestroy(&boxa);
	return sides;
}

/*
 * Grow in[] on the sides writing crosses, WIDEN_STEP at a time, up to
 * limit px on each side and within the crop: a value written past its
 * zone is read whole, not cut.  Returns the sides still crossed.
 */
static unsigned
widen(PIX *bin, double in[4], double mm, double limit, int speck)
{
	double step = WIDEN_STEP * mm;
	double grown[4] = { 0, 0, 0, 0 };
	int W = pixGetWidth(bin), H = pixGetHeight(bin);
	unsigned sides;

	while ((sides = touching_sides(bin, in, speck, mm)) != 0) {
		int moved = 0;

		if ((sides & SIDE_LEFT) && grown[0] < limit && in[0] > 0) {
			in[0] -= step;
			in[2] += step;
			grown[0] += step;
			moved = 1;
		}
		if ((sides & SIDE_TOP) && grown[1] < limit && in[1] > 0) {
			in[1] -= step;
			in[3] += step;
			grown[1] += step;
			moved = 1;
		}
		if ((sides & SIDE_RIGHT) && grown[2] < limit &&
		    in[0] + in[2] < W) {
			in[2] += step;
			grown[2] += step;
			moved = 1;
		}
		if ((sides & SIDE_BOTTOM) && grown[3] < limit &&
		    in[1] + in[3] < H) {
			in[3] += step;
			grown[3] += step;
			moved = 1;
		}
		if (!moved)
			break;
	}

	if (in[0] < 0) {
		in[2] += in[0];
		in[0] = 0;
	}
	if (in[1] < 0) {
		in[3] += in[1];
		in[1] = 0;
	}
	return sides;
}

#define BEYOND_MM	3.0	/* looked at past an unruled zone's ends, mm */

/*
 * Whether the writing goes on past the right end of in[] (or the left,
 * when left is set: not where a label is printed) within BEYOND_MM: a
 * word the zone leaves out.  The band looked at is the height of the
 * writing inside in[].
 */
static int
continues_past(PIX *bin, const double in[4], int speck, double mm,
    int left)
{
	BOXA *boxa = pixConnCompBB(bin, 8);
	int n = boxa != NULL ? boxaGetCount(boxa) : 0, i, more = 0;
	double X0 = in[0], Y0 = in[1], X1 = in[0] + in[2], Y1 = in[1] + in[3];
	double ty0 = Y1, ty1 = Y0;

	for (i = 0; i < n; i++) {
		int x, y, w, h;

		boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h);
		if ((w < speck && h < speck) || x < X0 || x + w > X1 ||
		    y < Y0 || y + h > Y1)
			continue;
		ty0 = fmin(ty0, y);
		ty1 = fmax(ty1, y + h);
	}
	for (i = 0; i < n && ty1 > ty0; i++) {
		int x, y, w, h;
		double oy;

		boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h);
		oy = fmin(y + h, ty1) - fmax(y, ty0);
		if ((w < speck && h < speck) || oy < 0.5 * fmin(h, ty1 - ty0) ||
		    w > 4 * in[2])
			continue;
		if ((x >= X1 && x < X1 + BEYOND_MM * mm) || (left &&
		    x + w <= X0 && x + w > X0 - BEYOND_MM * mm))
			more = 1;
	}
	boxaDestroy(&boxa);
	return more;
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
	double cx, cy, in[4], m = (f->ruled ? BOX_SLACK : 1.0 + WIDEN_MM +
	    BEYOND_MM) * r->sx, mm = r->sx * r->zoom;
	int cb[4], speck = t->prep.despeckle * t->prep.target_dpi / 300;
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
	/* Writing that crosses an unruled zone's edge: the zone grows by up
	 * to WIDEN_MM, and what still crosses is reported, never cut off
	 * silently.  (Inside a ruled box the lines are the edge, and what
	 * their removal leaves cannot be told from a stroke across them.) */
	if (!f->ruled)
		zi->touch = widen(bin, in, mm, WIDEN_MM * mm,
		    speck > 2 ? speck : 2) != 0 || (!f->multiline &&
		    continues_past(bin, in, speck > 2 ? speck : 2, mm,
		    f->label == NULL || f->side != FORM_SIDE_RIGHT));
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
	form_debug_save(zi->pix, f->name, which);
	/* Spaces are measured for Japanese, which has none of its own. */
	if (!f->vertical && !f->multiline && strncmp(f->lang, "jpn", 3) == 0)
		measure_gaps(zi, f->name);
	return 0;
}

/* Read the prepared zone with variant v into rd.  Returns 0, or -1 with a
 * message in r->err (missing models are not errors: rd stays empty). */
static int
read_variant(struct reader *r, const struct form_field *f,
    const struct zone_img *zi, const struct variant *v, struct reading *rd)
{
	const char *model = v->model != NULL ? v->model : f->lang;
	int cjk;
	struct ocr_engine *e;
	struct ocr_result res;
	struct ocr_gaps gaps;
	enum ocr_psm psm = v->psm;
	PIX *img;
	int *g = NULL;
	size_t i;
	char err[256];

	memset(rd, 0, sizeof *rd);
	/* Vertical text has its own twin of the script model. */
	if (f->vertical && v->model != NULL)
		model = strcmp(v->model, "Japanese") == 0 ? "Japanese_vert" :
		    NULL;
	if (model == NULL)
		return 0;
	cjk = strncmp(model, "jpn", 3) == 0 ||
	    strncmp(model, "Japanese", 8) == 0;
	rd->prep = v->prep;
	rd->scale = v->scale;
	rd->model = model;
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
		form_fix_digit_runs(zi->pix, &res);
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
	rd->conf = form_result_conf(&res);
	ocr_result_free(&res);
	if (norm_apply(&f->spec, rd->raw, &rd->value, &rd->flags, rd->why,
	    sizeof rd->why) != 0)
		rd->value = NULL;
	else if (rd->flags & NORM_FUZZY)
		rd->conf *= 0.8;
	return 0;
}

/*
 * The independent opinions readings rd[0..n) give value v: the distinct
 * models that read it, plus one when its normalisation checked it (a check
 * digit, an exact list entry).
 */
static int
opinions_for(const struct reading *rd, size_t n, const json_t *v,
    unsigned flags)
{
	const char *seen[NVARIANTS];
	size_t i, j, ns = 0;

	for (i = 0; i < n; i++) {
		if (rd[i].value == NULL || !json_equal(rd[i].value, v))
			continue;
		for (j = 0; j < ns; j++)
			if (strcmp(seen[j], rd[i].model) == 0)
				break;
		if (j == ns)
			seen[ns++] = rd[i].model;
	}
	return (int)ns + ((flags & (NORM_CHECKED | NORM_LISTED)) ? 1 : 0);
}

/*
 * Choose among the readings: the value with the most independent opinions
 * (then the most readings, then the most confident).  Its confidence is
 * the agreeing readings' mean, weighted by the share of valid readings
 * that agree - two readings of three agreeing is doubt.  *opinions gets
 * its opinions, *rival those of the best other value.
 */
static struct reading *
vote(struct reading *rd, size_t n, double *conf, int *opinions, int *rival)
{
	struct reading *best = NULL;
	size_t i, j, valid = 0;
	double best_sum = 0;
	int best_k = 0, best_o = 0;

	*rival = 0;
	for (i = 0; i < n; i++)
		valid += rd[i].value != NULL;
	for (i = 0; i < n; i++) {
		double sum = 0;
		int k = 0, o;

		if (rd[i].value == NULL)
			continue;
		for (j = 0; j < n; j++)
			if (rd[j].value != NULL &&
			    json_equal(rd[i].value, rd[j].value)) {
				k++;
				sum += rd[j].conf;
			}
		o = opinions_for(rd, n, rd[i].value, rd[i].flags);
		if (best == NULL || o > best_o || (o == best_o &&
		    (k > best_k || (k == best_k && rd[i].conf >
		    best->conf)))) {
			if (best != NULL && !json_equal(best->value,
			    rd[i].value))
				*rival = best_o > *rival ? best_o : *rival;
			best = &rd[i];
			best_k = k;
			best_o = o;
			best_sum = sum;
		} else if (!json_equal(best->value, rd[i].value) &&
		    o > *rival)
			*rival = o;
	}
	*opinions = best_o;
	if (best == NULL) {
		/* Nothing valid: the most confident reading, for its raw
		 * text and reason. */
		for (i = 0; i < n; i++)
			if (rd[i].raw != NULL && (best == NULL ||
			    rd[i].conf > best->conf))
				best = &rd[i];
		*conf = best != NULL ? best->conf : 0;
		return best;
	}
	*conf = best_sum / best_k * best_k / (double)valid;
	return best;
}

/* Whether the readings so far settle the field: two opinions agree, sure
 * enough, and no other value has as many. */
static int
settled(const struct form_field *f, struct reading *rd, size_t n)
{
	double conf;
	int opinions, rival;
	struct reading *b = vote(rd, n, &conf, &opinions, &rival);

	if (b == NULL || b->value == NULL || (b->flags & NORM_FUZZY))
		return 0;
	return opinions >= 2 && rival < 2 && conf >= f->min_conf;
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

void
form_set_reason(struct field_result *fr, const char *fmt, ...)
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
	if (!form_locate_text(r, f->lang, f->label, 0, x, y, w, h, psm, box,
	    f->name) && (psm == OCR_PSM_SPARSE || !form_locate_text(r,
	    f->lang, f->label, 0, z[0] - 60 * sx, z[1] - 8 * sy, 65 * sx,
	    z[3] + 16 * sy, OCR_PSM_SPARSE, box, f->name)))
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
		form_set_reason(fr, "%s", err);
		return 0;
	}
	fr->value = json_boolean(sr.present);
	fr->raw = xasprintf("red %.1f%%", sr.coverage * 100);
	fr->conf = sr.conf;
	if (fr->conf < f->min_conf) {
		fr->status = FIELD_LOW_CONFIDENCE;
		form_set_reason(fr, "unclear whether stamped (%.1f%% red)",
		    sr.coverage * 100);
	} else if (!sr.present && f->required) {
		fr->status = FIELD_MISSING;
		form_set_reason(fr, "not stamped");
	}
	return 0;
}

void
field_result_add_evidence(struct field_result *fr, const char *why)
{
	fr->evidence = xreallocarray(fr->evidence, fr->nevidence + 1,
	    sizeof *fr->evidence);
	fr->evidence[fr->nevidence++] = xstrdup(why);
	fr->opinions++;
}

/* Keep every reading in fr, for review and for the checks. */
static void
keep_readings(struct field_result *fr, const struct reading *rd, size_t n)
{
	size_t i;

	fr->readings = xcalloc(n + 1, sizeof *fr->readings);
	for (i = 0; i < n; i++) {
		struct field_reading *k = &fr->readings[i];

		k->raw = xstrdup(rd[i].raw);
		k->value = rd[i].value != NULL ? json_incref(rd[i].value) :
		    NULL;
		k->conf = rd[i].conf;
		k->model = rd[i].model;
		k->by = xasprintf("%s %s %d%%", rd[i].model,
		    prep_names[rd[i].prep], (int)lround(rd[i].scale * 100));
	}
	fr->nreadings = n;
}

/* The check best's normalisation made, as evidence. */
static void
note_checks(struct field_result *fr, const struct reading *best)
{
	if (best->flags & NORM_CHECKED)
		field_result_add_evidence(fr, "check digit");
	if (best->flags & NORM_LISTED)
		field_result_add_evidence(fr, "an entry of the list");
}

/* The opinions behind best's value, as evidence: the models that read it,
 * and the check its normalisation made. */
static void
note_opinions(struct field_result *fr, const struct reading *rd, size_t n,
    const struct reading *best)
{
	const char *seen[NVARIANTS];
	size_t i, j, ns = 0;
	char *why;

	for (i = 0; i < n; i++) {
		if (rd[i].value == NULL || !json_equal(rd[i].value,
		    best->value))
			continue;
		for (j = 0; j < ns; j++)
			if (strcmp(seen[j], rd[i].model) == 0)
				break;
		if (j < ns)
			continue;
		seen[ns++] = rd[i].model;
		why = xasprintf("read by %s", rd[i].model);
		field_result_add_evidence(fr, why);
		free(why);
	}
	note_checks(fr, best);
}

/*
 * Whether the readings that give best's value are fewer than half of
 * those that read any text, when the zone was read more than twice and
 * no check digit or list backs the value.  On the development set this
 * sent 2 wrong fields to review for 18 right ones.
 */
static int
outvoted(const struct reading *rd, size_t n, const struct reading *best)
{
	size_t i, agree = 0, text = 0;

	if (best->flags & (NORM_CHECKED | NORM_LISTED))
		return 0;
	for (i = 0; i < n; i++) {
		if (rd[i].raw == NULL || *rd[i].raw == '\0')
			continue;
		text++;
		agree += rd[i].value != NULL && json_equal(rd[i].value,
		    best->value);
	}
	return text > 2 && 2 * agree < text;
}

/*
 * On a fax, a JPEG or a scan below 200 dpi, a field needs this confidence
 * at least: there the models misread alike (on the development sets, 6
 * of 12 wrong fields accepted on such pages came with 70 to 90; 7% of the
 * right ones did).
 */
#define LOSSY_CONF	90

/*
 * Whether a Latin field's digits need more than the two Latin models'
 * agreement: eng and Latin are trained alike and misread a handwriting
 * font's 9 as 4 alike (97882 read 47882 by both, at 87 and 92), so digits
 * without a check digit need LOSSY_CONF on any page, unless a check
 * across fields confirms them later.  On the development set this sent 2
 * wrong fields to review for 12 right ones.
 */
static int
latin_digits_doubt(const struct form_field *f, const struct field_result *fr,
    const struct reading *best)
{
	const char *p;

	if (strncmp(f->lang, "jpn", 3) == 0 || fr->conf >= LOSSY_CONF ||
	    (best->flags & (NORM_CHECKED | NORM_LISTED)))
		return 0;
	for (p = best->raw; *p != '\0'; p++)
		if (isdigit((unsigned char)*p))
			return 1;
	return 0;
}

/* Decide the status of a field whose readings gave a value. */
static void
judge(struct reader *r, const struct form_field *f, struct field_result *fr,
    const struct reading *rd, size_t n, const struct reading *best,
    int rival, int label_lost, int touch)
{
	note_opinions(fr, rd, n, best);
	if (touch) {
		/* Part of the writing lies outside what was read. */
		fr->status = FIELD_LOW_CONFIDENCE;
		form_set_reason(fr, "the writing runs past the edge of the "
		    "zone, or goes on beyond it");
	} else if (best->flags & NORM_FUZZY) {
		/* A repaired code is a proposal for a person to confirm, not
		 * a reading. */
		fr->status = FIELD_LOW_CONFIDENCE;
		form_set_reason(fr, "corrected from \"%s\"", best->raw);
	} else if (fr->conf < f->min_conf) {
		fr->status = FIELD_LOW_CONFIDENCE;
		form_set_reason(fr, "confidence %.0f below %.0f", fr->conf,
		    f->min_conf);
	} else if (r->lossy && fr->conf < LOSSY_CONF) {
		fr->status = FIELD_LOW_CONFIDENCE;
		form_set_reason(fr, "confidence %.0f below %.0f on a faxed, "
		    "JPEG or low-resolution scan", fr->conf,
		    (double)LOSSY_CONF);
	} else if (latin_digits_doubt(f, fr, best)) {
		fr->status = FIELD_LOW_CONFIDENCE;
		fr->pending = 1;
		form_set_reason(fr, "confidence %.0f below %.0f on digits "
		    "read by the Latin models alone", fr->conf,
		    (double)LOSSY_CONF);
	} else if (rival >= 2) {
		fr->status = FIELD_LOW_CONFIDENCE;
		form_set_reason(fr, "the models read two different values");
	} else if (outvoted(rd, n, best)) {
		/* Two readings agree, but more read something else that did
		 * not validate (849-907-3951 read so four times, 849-407-3951
		 * twice): a check across fields may still settle it. */
		fr->status = FIELD_LOW_CONFIDENCE;
		fr->pending = 1;
		form_set_reason(fr, "most readings read something else");
	} else if (fr->opinions < 2) {
		/* One opinion, however sure the model is of it.  A check
		 * across fields may still give the second. */
		fr->status = FIELD_LOW_CONFIDENCE;
		fr->pending = 1;
		form_set_reason(fr, "one opinion only: no other model read "
		    "the same");
	}
	if (!r->located && (fr->status == FIELD_OK || fr->pending)) {
		/* Read where the template puts it, on a page that could not
		 * be located: whatever is there may be anything. */
		fr->status = FIELD_LOW_CONFIDENCE;
		fr->pending = 0;
		form_set_reason(fr, "the page was not located");
	}
	if (label_lost && (fr->status == FIELD_OK || fr->pending)) {
		fr->status = FIELD_LOW_CONFIDENCE;
		fr->pending = 0;
		form_set_reason(fr, "label \"%s\" not found; read where the "
		    "template puts it", f->label);
	}
}

/* How latin_reads() compares: the whole reading, its last groups of
 * digits, or groups of digits anywhere in it. */
#define MATCH_WHOLE	0
#define MATCH_SUFFIX	1
#define MATCH_GROUPS	2

/*
 * The Latin model (eng, then Latin) whose reading of the zone, put
 * through pick(), is want - or, with suffix MATCH_SUFFIX, ends with want
 * after a '-', or with MATCH_GROUPS, holds want's digit groups whole -
 * NULL when neither's is.
 */
static const char *
latin_reads(const struct zone_img *zi, const char *want,
    char *(*pick)(const char *), int suffix)
{
	static const char *const models[] = { "eng", "Latin" };
	const char *by = NULL;
	char err[256];
	size_t i, n = strlen(want);

	for (i = 0; i < sizeof models / sizeof models[0] && by == NULL &&
	    zi->pix != NULL; i++) {
		struct ocr_engine *e = ocr_engine_get(models[i], err,
		    sizeof err);
		struct ocr_result res;
		char *got;
		size_t m;

		if (e == NULL || ocr_recognize(e, zi->pix, OCR_PSM_LINE, 300,
		    &res, err, sizeof err) != 0)
			continue;
		got = pick(res.text);
		ocr_result_free(&res);
		m = got != NULL ? strlen(got) : 0;
		if (got != NULL && (strcmp(got, want) == 0 || (suffix ==
		    MATCH_SUFFIX && m > n && strcmp(got + m - n, want) == 0 &&
		    got[m - n - 1] == '-') || (suffix == MATCH_GROUPS &&
		    form_has_groups(got, want))))
			by = models[i];
		free(got);
	}
	return by;
}

/*
 * The digits and hyphens at the end of a Japanese text value (the house
 * number of an address), or NULL when it does not end in a digit.
 */
static char *
value_tail(const json_t *v)
{
	const char *s = json_string_value(v), *p;

	if (s == NULL || *s == '\0' || !isdigit((unsigned char)s[strlen(s) -
	    1]))
		return NULL;
	p = s + strlen(s);
	while (p > s && (isdigit((unsigned char)p[-1]) || p[-1] == '-'))
		p--;
	return norm_digit_run(p);
}

/*
 * The jpn and Japanese models share their mistakes on digits inside
 * Japanese text (on the tuning set both were wrong on 2.9% of the fields
 * they both read, five times what independent models would be): the
 * digits that end a Japanese text value must also be read so by a Latin
 * model, which reads digits apart from the kanji around them.  Returns
 * the model that confirms them, or NULL.
 */
static const char *
confirm_tail(const struct zone_img *zi, const json_t *v)
{
	char *want = value_tail(v);
	const char *by;

	if (want == NULL)
		return "";
	/* The last groups of digits the Latin model reads are the house
	 * number: the kanji before it come out as junk, digits among it. */
	by = latin_reads(zi, want, form_digit_groups, MATCH_SUFFIX);
	free(want);
	return by;
}

/*
 * The jpn models misread the digits of era dates alike (令和6年10月2日
 * read 令和6年1月2日 by both): the groups of digits of an era date must
 * also stand whole in a Latin model's reading of the zone, which turns
 * the kanji into junk but reads the digits apart.  Returns the model
 * that confirms them, "" when the date has no digits, or NULL.
 */
static const char *
confirm_era_digits(const struct zone_img *zi, const char *raw)
{
	char *want = form_digit_groups(raw);
	const char *by = "";

	if (*want != '\0')
		by = latin_reads(zi, want, form_digit_groups, MATCH_GROUPS);
	free(want);
	return by;
}

/*
 * A Japanese field whose value is digits (amounts, numbers, phone and
 * postal codes, business numbers): the jpn and Japanese models count as
 * one opinion on them, since they share their mistakes on digits (0 read
 * as 9 by both on a fax), and a Latin model must read the same digits
 * for a second.  Era dates, whose digits stand among kanji, are not.
 */
static int
ja_digits(const struct form_field *f)
{
	if (strncmp(f->lang, "jpn", 3) != 0 || f->vertical)
		return 0;
	switch (f->spec.kind) {
	case NORM_TEXT:
	case NORM_ERA_DATE:
	case NORM_SEAL:
		return 0;
	case NORM_CODE:
		return f->spec.nlist == 0;
	default:
		return 1;
	}
}

/*
 * The Latin model that reads the digits of the Japanese reading best: one
 * of the readings already made, or eng and Latin now on the smoothed
 * zone.  NULL when none reads the same digits.
 */
static const char *
confirm_digits(const struct zone_img *zi, const struct reading *rd,
    size_t n, const struct reading *best)
{
	char *want = form_digits_of(best->raw);
	const char *by = NULL;
	size_t i;

	for (i = 0; i < n && by == NULL && *want != '\0'; i++) {
		char *got;

		if (strcmp(rd[i].model, "eng") != 0 &&
		    strcmp(rd[i].model, "Latin") != 0)
			continue;
		got = form_digits_of(rd[i].raw);
		if (strcmp(got, want) == 0)
			by = rd[i].model;
		free(got);
	}
	if (by == NULL && *want != '\0')
		by = latin_reads(zi, want, form_digits_of, MATCH_WHOLE);
	free(want);
	return by;
}

/* Count the opinions of a Japanese digit field again: its Japanese
 * readings one, a Latin model reading the same digits one, a check. */
static void
judge_digits(const struct form_field *f, struct field_result *fr,
    const struct zone_img *zi, const struct reading *rd, size_t n,
    const struct reading *best)
{
	const char *by;
	size_t k;
	char *why;

	if (fr->status != FIELD_OK && !fr->pending)
		return;
	/* The smoothed preparation first, then the plain one: a Latin
	 * model misreads a Japanese font's 7 as 1 on one and not the
	 * other. */
	by = confirm_digits(&zi[1], rd, n, best);
	if (by == NULL)
		by = confirm_digits(&zi[0], NULL, 0, best);
	for (k = 0; k < fr->nevidence; k++)
		free(fr->evidence[k]);
	fr->nevidence = 0;
	fr->opinions = 0;
	field_result_add_evidence(fr, "read by the Japanese models (one "
	    "opinion on digits)");
	if (by != NULL) {
		why = xasprintf("its digits read by %s", by);
		field_result_add_evidence(fr, why);
		free(why);
	}
	note_checks(fr, best);
	if (fr->opinions >= 2 && fr->pending && fr->reason != NULL &&
	    strncmp(fr->reason, "one opinion", 11) == 0) {
		fr->status = FIELD_OK;
		fr->pending = 0;
		free(fr->reason);
		fr->reason = NULL;
	} else if (fr->opinions < 2 && fr->status == FIELD_OK) {
		fr->status = FIELD_LOW_CONFIDENCE;
		fr->pending = 1;
		form_set_reason(fr, "one opinion only: no Latin model read "
		    "the digits %s read", f->lang);
	}
}

/*
 * The digits of a Japanese era date, or the house number that ends a
 * Japanese text, read so by a Latin model too: evidence when one does;
 * for the house number, review when none does.
 */
static void
latin_confirms(const struct form_field *f, struct field_result *fr,
    const struct zone_img *zi)
{
	const char *by;
	char *why;

	if (fr->status != FIELD_OK || strncmp(f->lang, "jpn", 3) != 0 ||
	    f->vertical)
		return;
	/*
	 * An era date's digits, read by a Latin model from the zone as it is
	 * prepared here, missed on every clean application of the tuning
	 * layout (the same model reads them right from the page): as a
	 * condition it sent correct dates to review wholesale, so for an era
	 * date a Latin reading is evidence only (see docs/ocr.md).
	 */
	if (f->spec.kind == NORM_ERA_DATE)
		by = confirm_era_digits(zi, fr->raw);
	else if (f->spec.kind == NORM_TEXT) {
		if ((by = confirm_tail(zi, fr->value)) == NULL) {
			fr->status = FIELD_LOW_CONFIDENCE;
			form_set_reason(fr, "the digits at its end were not "
			    "read so by a Latin model");
			return;
		}
	} else
		return;
	if (by != NULL && *by != '\0') {
		why = xasprintf("its digits read by %s", by);
		field_result_add_evidence(fr, why);
		free(why);
	}
}

/*
 * Doubts about a text field's value that agreeing readings do not lift:
 * shapes that printed text does not have and misreads do, and marks the
 * models take for one another alike.
 */
static void
text_doubts(const struct form_field *f, struct field_result *fr,
    const struct zone_img *zi)
{
	const char *v = json_string_value(fr->value), *why = NULL;
	int ja = strncmp(f->lang, "jpn", 3) == 0;

	if (fr->status != FIELD_OK || f->spec.kind != NORM_TEXT || v == NULL)
		return;
	if (!ja)
		why = form_case_doubt(v);
	else if (zi->doubt_kanji > 0 && form_kanji_kana_only(v))
		why = "a gap that may be a half-width space";
	if (why == NULL && zi->doubt > 0)
		why = "a gap that may or may not be a space";
	if (why == NULL && ja && form_ha_marks(v))
		why = "a kana of the ha row whose voiced or semi-voiced mark "
		    "the models read alike either way";
	if (why != NULL) {
		fr->status = FIELD_LOW_CONFIDENCE;
		form_set_reason(fr, "%s", why);
	}
}

/* Read the zone with the variants of rounds first and retry into rd. */
static int
read_rounds(struct reader *r, const struct form_field *f, const double z[4],
    struct zone_img *zi, struct reading *rd, size_t *n)
{
	unsigned first = strncmp(f->lang, "jpn", 3) == 0 ? V_JA_FIRST :
	    V_FIRST;
	unsigned retry = (strncmp(f->lang, "jpn", 3) == 0 ? V_JA_RETRY :
	    V_RETRY) | (latin_helps(f) ? V_LATIN : 0);
	int round, rc = 0;
	size_t i;

	for (round = 0; round < 2 && rc == 0; round++) {
		unsigned when = round == 0 ? first : retry;

		if (round == 1 && settled(f, rd, *n))
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
			rc = read_variant(r, f, &zi[v->prep], v, &rd[*n]);
			if (rc == 0 && rd[*n].raw != NULL)
				(*n)++;
			else
				reading_clear(&rd[*n]);
			if (rc == 0 && round == 1 && settled(f, rd, *n))
				break;
		}
	}
	return rc;
}

int
form_read_field(struct reader *r, const struct form_field *f,
    struct field_result *fr)
{
	const struct form_rect *zm = &f->zone;
	struct zone_img zi[NPREPS];
	struct reading rd[NVARIANTS], *best;
	double z[4];
	size_t i, n = 0;
	int label_lost = 0, rc, opinions, rival;

	memset(fr, 0, sizeof *fr);
	memset(zi, 0, sizeof zi);
	fr->field = f;
	z[0] = form_map_x(r, zm->x);
	z[1] = form_map_y(r, zm->y);
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
			form_set_reason(fr, "nothing written");
		}
		zone_img_clear(&zi[0]);
		return 0;
	}
	rc = read_rounds(r, f, z, zi, rd, &n);
	if (rc == 0) {
		keep_readings(fr, rd, n);
		best = vote(rd, n, &fr->conf, &opinions, &rival);
		if (best == NULL || *best->raw == '\0') {
			fr->raw = xstrdup("");
			fr->value = json_null();
			fr->status = FIELD_MISSING;
			form_set_reason(fr, "marks that could not be read");
		} else if (best->value == NULL) {
			fr->raw = xstrdup(best->raw);
			fr->value = json_null();
			fr->status = FIELD_INVALID;
			form_set_reason(fr, "%s", best->why);
		} else {
			fr->raw = xstrdup(best->raw);
			fr->value = json_incref(best->value);
			if (zi[best->prep].pix != NULL)
				prep_rect_to_input(&r->pp,
				    zi[best->prep].box[0],
				    zi[best->prep].box[1],
				    zi[best->prep].box[2],
				    zi[best->prep].box[3], fr->box);
			judge(r, f, fr, rd, n, best, rival, label_lost,
			    zi[best->prep].touch);
			text_doubts(f, fr, &zi[0]);
			if (ja_digits(f) && (fr->status == FIELD_OK ||
			    fr->pending) && !zi[1].done &&
			    prepare_zone(r, f, z, 1, &zi[1]) != 0)
				rc = -1;
			if (rc == 0 && ja_digits(f))
				judge_digits(f, fr, zi, rd, n, best);
			latin_confirms(f, fr, &zi[0]);
		}
	}
	for (i = 0; i < n; i++)
		reading_clear(&rd[i]);
	for (i = 0; i < NPREPS; i++)
		zone_img_clear(&zi[i]);
	return rc;
}
