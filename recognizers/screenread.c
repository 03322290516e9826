/*
 * screenread.c - preparing a screen capture and reading its text whole or
 * line by line (see screenread.h).
 *
 * The candidate regions come from the capture at its own size: Sauvola's
 * local threshold gives the ink, ruled lines and outlines are taken out,
 * and a closing a little wider than a character joins the characters of a
 * line (and the words of a phrase) but not a label and the field beside it.
 * Each region is read from the grey capture, not from that ink: the
 * anti-aliased grey is what tesseract's models were trained on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "preprocess.h"
#include "screenread.h"
#include "width.h"
#include "xmalloc.h"

#define WHOLE_ZOOM	2	/* a whole capture is read at twice its size */
#define WHOLE_DPI	144	/* what that looks like to tesseract */
#define SAUVOLA_K	0.34f	/* leptonica's suggested factor */
#define SAUVOLA_HALF	12	/* half window at 1x: about a character */
#define LINE_TARGET_H	24.0	/* px a character is scaled to for a line */
#define LINE_PAD	12	/* white px around a line image */
#define DEFAULT_TEXT_H	12	/* when the capture shows no text at all */
#define MAX_RETRIES	4	/* regions read again on a miss */
#define MATCH_SHARE	0.5	/* share of the text's characters a region
				   must show to be read again */

/* A candidate text line and what was read there. */
struct screenread_seg {
	int			 x, y, w, h;	/* capture px */
	struct screenread_kept	 kept[SCREENREAD_KEPT];
};

/* How a region's grey is rendered for reading, after scaling. */
enum filter {
	F_GREY,			/* as shown */
	F_SMOOTH,		/* a 3x3 mean: tames aliased (unsmoothed)
				   fonts */
};

struct rendering {
	double		zoom;	/* times the usual scale (LINE_TARGET_H) */
	enum filter	filter;
};

static const struct rendering plain = { 1.0, F_GREY };

/*
 * A region that may show the text searched is read again in these
 * renderings, in this order, until one shows it.  script: with tesseract's
 * Japanese script model (tesseract-ocr-script-jpan) instead of jpn, when
 * the text is Japanese: a second opinion trained on other fonts, which
 * reads aliased kanji (an unsmoothed 金額) that jpn does not.
 */
static const struct retry {
	struct rendering	r;
	int			script;
} retries[] = {
	{ { 1.0, F_SMOOTH }, 0 },
	{ { 2.0, F_SMOOTH }, 0 },
	{ { 2.5, F_SMOOTH }, 0 },
	{ { 1.0, F_SMOOTH }, 1 },
};
#define SCRIPT_MODEL	"Japanese"
#define SURE_CONF	80.0	/* mean confidence of a reading not read again */

/* --- preparing ----------------------------------------------------------- */

/* The capture as 8 bpp grey (a new PIX), or NULL. */
static PIX *
to_grey(PIX *capture)
{
	PIX *p, *g;

	if (pixGetColormap(capture) != NULL)
		p = pixRemoveColormap(capture, REMOVE_CMAP_BASED_ON_SRC);
	else
		p = pixClone(capture);
	if (p == NULL)
		return NULL;
	g = pixGetDepth(p) == 32 ? pixConvertRGBToLuminance(p) :
	    pixConvertTo8(p, 0);
	pixDestroy(&p);
	return g;
}

/*
 * Whether g shows light text on a dark ground: its median grey is dark
 * (text covers less than half of any screen).  Not the commonest grey:
 * an aliased font draws all its text in one grey, a gradient spreads the
 * ground over many.
 */
static int
dark_ground(PIX *g)
{
	l_uint32 med = 255;

	return pixGetRankValue(g, 1, 0.5f, &med) == 0 && med < 128;
}

/*
 * Whether a region cut with a margin round its ink shows light text on a
 * darker ground: the margin is ground, and the text pulls the mean of
 * the whole region away from it - up when the text is lighter.
 */
static int
light_text(PIX *g)
{
	int w = pixGetWidth(g), h = pixGetHeight(g), x, y;
	l_uint32 v;
	double sum = 0, n = 0;
	l_float32 mean = 0;

	for (x = 0; x < w; x++) {
		pixGetPixel(g, x, 0, &v);
		sum += v;
		pixGetPixel(g, x, h - 1, &v);
		sum += v;
		n += 2;
	}
	for (y = 1; y < h - 1; y++) {
		pixGetPixel(g, 0, y, &v);
		sum += v;
		pixGetPixel(g, w - 1, y, &v);
		sum += v;
		n += 2;
	}
	if (n == 0 || pixGetAverageMasked(g, NULL, 0, 0, 1, L_MEAN_ABSVAL,
	    &mean) != 0)
		return 0;
	return mean > sum / n;
}

/*
 * Sauvola's local threshold with a half window of half px, made smaller for
 * a small image; Otsu when even that does not fit.  Text is ON.
 */
static PIX *
sauvola(PIX *g, int half)
{
	int w = pixGetWidth(g), h = pixGetHeight(g), m = w < h ? w : h;
	PIX *b = NULL;

	if ((m - 3) / 2 < half)
		half = (m - 3) / 2;
	if (half >= 2 && pixSauvolaBinarize(g, half, SAUVOLA_K, 1, NULL, NULL,
	    NULL, &b) == 0 && b != NULL)
		return b;
	return prep_binarize(g, PREP_BIN_OTSU, 0);
}

/* The usual height of a character, from the heights of the components
 * that could be characters or parts of one. */
static int
text_height(PIX *ink)
{
	BOXA *boxa = pixConnCompBB(ink, 8);
	NUMA *hs = numaCreate(0);
	l_float32 med = DEFAULT_TEXT_H;
	int i, n = boxa != NULL ? boxaGetCount(boxa) : 0;

	for (i = 0; i < n; i++) {
		int x, y, w, h;

		boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h);
		if (h >= 5 && h <= 80 && w <= 4 * h + 4)
			numaAddNumber(hs, (l_float32)h);
	}
	/* The upper quartile: digits, lower case and the radicals of
	 * kanji (each its own component) are lower than a line's text. */
	if (numaGetCount(hs) > 0)
		numaGetRankValue(hs, 0.75, NULL, 0, &med);
	numaDestroy(&hs);
	boxaDestroy(&boxa);
	return med < 5 ? 5 : (int)(med + 0.5);
}

/*
 * Whether a component of the ink is something other than writing: a
 * caret or the edge of a field (thin and taller than text), an outline
 * (wide, tall and nearly empty), or something far taller than text.
 */
static int
not_writing(int w, int h, int count, int th)
{
	if (w <= 2 && 4 * h >= 5 * th)
		return 1;
	if (h > 4 * th)
		return 1;
	return w > 3 * th && 2 * h > 3 * th && 10 * count < w * h;
}

/*
 * Whether a band shows light text: its median grey is its ground, and
 * more of the pixels far from it are lighter than darker.  (Not its
 * margin: a selected row may have a focus outline round it.)
 */
static int
band_light_text(PIX *g)
{
	NUMA *hist = pixGetGrayHistogram(g, 1);
	l_uint32 med = 0;
	l_float32 v;
	double light = 0, dark = 0;
	int i;

	if (hist == NULL || pixGetRankValue(g, 1, 0.5f, &med) != 0) {
		numaDestroy(&hist);
		return 0;
	}
	for (i = 0; i < 256; i++) {
		numaGetFValue(hist, i, &v);
		if (i > (int)med + 40)
			light += v;
		else if (i < (int)med - 40)
			dark += v;
	}
	numaDestroy(&hist);
	return light > dark;
}

/* Stretch the greys of g so that its median (the ground) becomes white. */
static void
whiten(PIX *g)
{
	l_uint32 med = 255;

	if (pixGetRankValue(g, 1, 0.5f, &med) == 0 && med > 16 && med < 250)
		pixGammaTRC(g, g, 1.0f, 0, (l_int32)med);
}

/*
 * Bands: light text on a darker ground inside a light window (a selected
 * row, a dark tool bar).  Sauvola, whose window is about a character,
 * sees only the edges of such a ground, so bands are found on the grey
 * picture: what is much darker than the page's ground, closed
 * horizontally over a character (which fills the holes the text makes),
 * leaves a band as a run of rows nearly all ON, at least three
 * characters wide and higher than a line of text (a band has a margin
 * above and below it).  Rows, not pieces: the closing may join a band to
 * the column rules of a list's header above it.  Dark text on a light
 * ground is left alone: closed, a line of it is no higher than the line.
 */
static BOXA *
find_bands(PIX *grey, int th)
{
	l_uint32 ground = 255;
	PIX *dark, *joined = NULL;
	BOXA *boxa = NULL, *bands = boxaCreate(0);
	int i, n;

	pixGetRankValue(grey, 1, 0.5f, &ground);
	dark = pixThresholdToBinary(grey, ground > 64 ? (int)ground - 64 : 1);
	if (dark != NULL)
		joined = pixCloseSafeBrick(NULL, dark, th + 1, 1);
	if (joined != NULL)
		boxa = pixConnCompBB(joined, 8);
	n = boxa != NULL ? boxaGetCount(boxa) : 0;
	for (i = 0; i < n; i++) {
		int x, y, w, h, r, run = 0;
		int *rows;

		boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h);
		if (w < 3 * th || 2 * h < 3 * th)
			continue;
		rows = xcalloc((size_t)h + 1, sizeof *rows);
		for (r = 0; r < h; r++) {
			BOX *line = boxCreate(x, y + r, w, 1);

			pixCountPixelsInRect(joined, line, &rows[r], NULL);
			boxDestroy(&line);
		}
		for (r = 0; r <= h; r++) {
			if (r < h && 10 * rows[r] >= 9 * w) {
				run++;
				continue;
			}
			if (2 * run >= 3 * th)
				boxaAddBox(bands, boxCreate(x, y + r - run, w, run),
				    L_INSERT);
			run = 0;
		}
		free(rows);
	}
	boxaDestroy(&boxa);
	pixDestroy(&joined);
	pixDestroy(&dark);
	return bands;
}

/*
 * Invert each band of light text in grey and stretch every band's ground
 * to white, so that every reading sees dark text on the page's white, and
 * replace its ink by that of the result.
 */
static void
invert_bands(PIX *grey, PIX *ink, int th)
{
	BOXA *bands = find_bands(grey, th);
	int i, n = boxaGetCount(bands);

	for (i = 0; i < n; i++) {
		BOX *b = boxaGetBox(bands, i, L_CLONE);
		PIX *g = pixClipRectangle(grey, b, NULL), *bi = NULL;
		int x, y, w, h;

		boxGetGeometry(b, &x, &y, &w, &h);
		boxDestroy(&b);
		if (g != NULL) {
			if (band_light_text(g))
				pixInvert(g, g);
			whiten(g);
			pixRasterop(grey, x, y, w, h, PIX_SRC, g, 0, 0);
			bi = sauvola(g, SAUVOLA_HALF);
		}
		pixRasterop(ink, x, y, w, h, PIX_CLR, NULL, 0, 0);
		if (bi != NULL)
			pixRasterop(ink, x, y, w, h, PIX_SRC, bi, 0, 0);
		pixDestroy(&bi);
		pixDestroy(&g);
	}
	boxaDestroy(&bands);
}

/* Remove from ink what is not writing; ink is changed in place. */
static void
clean_ink(PIX *ink, int th)
{
	PIX *hm, *vm;
	PIXA *pixa = NULL;
	BOXA *boxa;
	int i, n, hlen = 5 * th / 2, vlen = 9 * th / 5;

	prep_line_masks(ink, hlen > 16 ? hlen : 16, vlen > 12 ? vlen : 12,
	    &hm, &vm);
	if (hm != NULL)
		pixSubtract(ink, ink, hm);
	if (vm != NULL)
		pixSubtract(ink, ink, vm);
	pixDestroy(&hm);
	pixDestroy(&vm);
	boxa = pixConnCompPixa(ink, &pixa, 8);
	n = boxa != NULL ? boxaGetCount(boxa) : 0;
	for (i = 0; i < n; i++) {
		PIX *comp = pixaGetPix(pixa, i, L_CLONE);
		int x, y, w, h, count = 0;

		boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h);
		pixCountPixels(comp, &count, NULL);
		if (not_writing(w, h, count, th))
			pixRasterop(ink, x, y, w, h, PIX_SUBTRACT, comp, 0, 0);
		pixDestroy(&comp);
	}
	boxaDestroy(&boxa);
	pixaDestroy(&pixa);
}

static int
seg_by_top(const void *a, const void *b)
{
	const struct screenread_seg *p = a, *q = b;

	return p->y != q->y ? (p->y > q->y) - (p->y < q->y) :
	    (p->x > q->x) - (p->x < q->x);
}

/*
 * Sort segments in reading order: rows top to bottom (a segment whose
 * middle lies above the bottom of the row's first segment joins that row),
 * left to right within a row (an insertion sort: rows are short).
 */
static void
reading_order(struct screenread_seg *s, size_t n)
{
	size_t i, a, b, start = 0;

	qsort(s, n, sizeof *s, seg_by_top);
	for (i = 1; i <= n; i++) {
		if (i < n && s[i].y + s[i].h / 2 <= s[start].y + s[start].h)
			continue;
		for (a = start + 1; a < i; a++)
			for (b = a; b > start && s[b - 1].x > s[b].x; b--) {
				struct screenread_seg t = s[b];

				s[b] = s[b - 1];
				s[b - 1] = t;
			}
		start = i;
	}
}

/*
 * The candidate text lines of the cleaned ink: a closing a little wider
 * than a character joins the characters of a line and the words of a
 * phrase (an underscore OCR loses, as in type_save, too), and half a
 * character high the parts of a character stacked above each other; not a
 * label and the field beside it.  What is too small to be a character
 * goes.
 */
static void
find_segments(struct screenread *sr, PIX *ink)
{
	int th = sr->text_h, bw = th + 1, bh = th / 2, i, n;
	PIX *closed = pixCloseSafeBrick(NULL, ink, bw > 3 ? bw : 3,
	    bh > 3 ? bh : 3);
	BOXA *boxa = closed != NULL ? pixConnCompBB(closed, 8) : NULL;

	n = boxa != NULL ? boxaGetCount(boxa) : 0;
	sr->segs = xcalloc(n > 0 ? (size_t)n : 1, sizeof *sr->segs);
	for (i = 0; i < n; i++) {
		struct screenread_seg *s = &sr->segs[sr->nsegs];

		boxaGetBoxGeometry(boxa, i, &s->x, &s->y, &s->w, &s->h);
		if (s->w < 3 || s->h < 3 || 8 * s->w * s->h < th * th)
			continue;
		sr->nsegs++;
	}
	reading_order(sr->segs, sr->nsegs);
	boxaDestroy(&boxa);
	pixDestroy(&closed);
}

/* --- kept readings ------------------------------------------------------ */

static void
kept_free(struct screenread_kept *k)
{
	size_t i;

	for (i = 0; i < SCREENREAD_KEPT; i++) {
		ocr_result_free(&k[i].res);
		free(k[i].lang);
		k[i].lang = NULL;
	}
}

/* The reading kept for lang, or NULL. */
static struct ocr_result *
kept_find(struct screenread_kept *k, const char *lang)
{
	size_t i;

	for (i = 0; i < SCREENREAD_KEPT; i++)
		if (k[i].lang != NULL && strcmp(k[i].lang, lang) == 0)
			return &k[i].res;
	return NULL;
}

/*
 * Keep *res (taken over) as the reading for lang, in place of the oldest
 * when every slot is taken.  The slots move: a pointer into k is good
 * until the next kept_put on it.
 */
static struct ocr_result *
kept_put(struct screenread_kept *k, const char *lang, struct ocr_result *res)
{
	size_t i;

	if (k[SCREENREAD_KEPT - 1].lang != NULL) {
		ocr_result_free(&k[SCREENREAD_KEPT - 1].res);
		free(k[SCREENREAD_KEPT - 1].lang);
	}
	for (i = SCREENREAD_KEPT - 1; i > 0; i--)
		k[i] = k[i - 1];
	k[0].lang = xstrdup(lang);
	k[0].res = *res;
	memset(res, 0, sizeof *res);
	return &k[0].res;
}

int
screenread_init(struct screenread *sr, PIX *capture, char *err,
    size_t errlen)
{
	PIX *ink;

	prep_quiet();
	memset(sr, 0, sizeof *sr);
	if (capture == NULL || pixGetWidth(capture) < 8 ||
	    pixGetHeight(capture) < 8) {
		snprintf(err, errlen, "the picture is empty or smaller than "
		    "8x8 pixels");
		return -1;
	}
	if ((sr->grey = to_grey(capture)) == NULL) {
		snprintf(err, errlen, "cannot turn a %d bpp picture grey",
		    pixGetDepth(capture));
		return -1;
	}
	if ((sr->inverted = dark_ground(sr->grey)))
		pixInvert(sr->grey, sr->grey);
	if ((ink = sauvola(sr->grey, SAUVOLA_HALF)) == NULL) {
		snprintf(err, errlen, "leptonica could not binarise the "
		    "picture");
		screenread_free(sr);
		return -1;
	}
	sr->text_h = text_height(ink);
	invert_bands(sr->grey, ink, sr->text_h);
	clean_ink(ink, sr->text_h);
	find_segments(sr, ink);
	sr->ink = ink;
	return 0;
}

void
screenread_free(struct screenread *sr)
{
	size_t i;

	for (i = 0; i < sr->nsegs; i++)
		kept_free(sr->segs[i].kept);
	free(sr->segs);
	kept_free(sr->whole);
	pixDestroy(&sr->grey);
	pixDestroy(&sr->ink);
	memset(sr, 0, sizeof *sr);
}

const char *
screenread_lang(const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p >= 0x80)
			return "jpn";
	return "eng";
}

int
screenread_cjk(const char *lang)
{
	return lang == NULL || strstr(lang, "jpn") != NULL ||
	    strstr(lang, SCRIPT_MODEL) != NULL;
}

/* --- results ------------------------------------------------------------- */

/* Map box (x, y, w, h) of a picture scaled by sc and padded by pad back to
 * the capture, whose region it shows starts at (ox, oy). */
static void
map_box(int *x, int *y, int *w, int *h, double sc, int pad, int ox, int oy)
{
	double x0 = (*x - pad) / sc, y0 = (*y - pad) / sc;
	double x1 = (*x + *w - pad) / sc, y1 = (*y + *h - pad) / sc;

	*x = ox + (int)(x0 < 0 ? 0 : x0);
	*y = oy + (int)(y0 < 0 ? 0 : y0);
	*w = (int)(x1 + 0.999) - (int)(x0 < 0 ? 0 : x0);
	*h = (int)(y1 + 0.999) - (int)(y0 < 0 ? 0 : y0);
	if (*w < 1)
		*w = 1;
	if (*h < 1)
		*h = 1;
}

static void
map_result(struct ocr_result *r, double sc, int pad, int ox, int oy)
{
	size_t i, k;

	for (i = 0; i < r->nwords; i++) {
		struct ocr_word *w = &r->words[i];

		map_box(&w->x, &w->y, &w->w, &w->h, sc, pad, ox, oy);
		for (k = 0; k < w->nsyms; k++)
			map_box(&w->syms[k].x, &w->syms[k].y, &w->syms[k].w,
			    &w->syms[k].h, sc, pad, ox, oy);
	}
}

/* Append copies of src's words to dst, their lines numbered from dst's
 * next line on. */
static void
append_copy(struct ocr_result *dst, const struct ocr_result *src)
{
	size_t i, k, base = dst->nwords;
	int line0 = dst->nlines;

	if (src->nwords == 0)
		return;
	dst->words = xreallocarray(dst->words, dst->nwords + src->nwords,
	    sizeof *dst->words);
	for (i = 0; i < src->nwords; i++) {
		const struct ocr_word *s = &src->words[i];
		struct ocr_word *d = &dst->words[base + i];

		*d = *s;
		d->text = xstrdup(s->text);
		d->syms = s->nsyms > 0 ? xcalloc(s->nsyms, sizeof *d->syms) :
		    NULL;
		for (k = 0; k < s->nsyms; k++) {
			d->syms[k] = s->syms[k];
			d->syms[k].text = xstrdup(s->syms[k].text);
		}
		d->line = line0 + s->line;
		d->block = 0;
	}
	dst->nwords += src->nwords;
	dst->nlines = line0 + (src->nlines > 0 ? src->nlines : 1);
}

/* The whole text of r, joined (the caller frees it). */
static void
set_text(struct ocr_result *r, int cjk)
{
	free(r->text);
	r->text = ocr_join(r, 0, r->nwords, cjk, 0, NULL);
}

/* Mean word confidence of r; -1 when it read nothing. */
static double
mean_conf(const struct ocr_result *r)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < r->nwords; i++)
		sum += r->words[i].conf;
	return r->nwords > 0 ? sum / (double)r->nwords : -1;
}

static int
all_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/*
 * Whether a picture has anything tesseract could take for ink: Otsu finds
 * two greys far enough apart.  A line-mode read of a picture with none
 * makes tesseract invent a blob, which it then never frees.
 */
static int
has_ink(PIX *pic)
{
	PIX *bin = pixGetDepth(pic) == 1 ? pixClone(pic) :
	    prep_binarize(pic, PREP_BIN_OTSU, 0);
	l_int32 empty = 1;

	if (bin != NULL)
		pixZero(bin, &empty);
	pixDestroy(&bin);
	return !empty;
}

/* An empty reading. */
static void
no_words(struct ocr_result *res)
{
	memset(res, 0, sizeof *res);
	res->text = xstrdup("");
}

/* --- reading ------------------------------------------------------------- */

/*
 * The part of the capture the candidate regions cover, with a margin of a
 * character: all there is to read.  A capture with none is read whole.
 */
static BOX *
text_area(const struct screenread *sr)
{
	int W = pixGetWidth(sr->grey), H = pixGetHeight(sr->grey);
	int x0 = W, y0 = H, x1 = 0, y1 = 0, m = sr->text_h;
	size_t i;

	for (i = 0; i < sr->nsegs; i++) {
		const struct screenread_seg *s = &sr->segs[i];

		x0 = s->x < x0 ? s->x : x0;
		y0 = s->y < y0 ? s->y : y0;
		x1 = s->x + s->w > x1 ? s->x + s->w : x1;
		y1 = s->y + s->h > y1 ? s->y + s->h : y1;
	}
	if (sr->nsegs == 0)
		return boxCreate(0, 0, W, H);
	x0 = x0 - m < 0 ? 0 : x0 - m;
	y0 = y0 - m < 0 ? 0 : y0 - m;
	x1 = x1 + m > W ? W : x1 + m;
	y1 = y1 + m > H ? H : y1 + m;
	return boxCreate(x0, y0, x1 - x0, y1 - y0);
}

/*
 * The whole read with lang, read once and kept in sr; NULL on error.  The
 * text area of the grey capture, at twice its size, binarised with
 * Sauvola, read in tesseract's sparse-text mode.
 */
static const struct ocr_result *
whole_read(struct screenread *sr, const char *lang, char *err, size_t errlen)
{
	struct ocr_result *kept = kept_find(sr->whole, lang), res;
	struct ocr_engine *e;
	BOX *area;
	PIX *crop, *big, *bin;
	int r, ax, ay;

	if (kept != NULL)
		return kept;
	if ((e = ocr_engine_get(lang, err, errlen)) == NULL)
		return NULL;
	area = text_area(sr);
	boxGetGeometry(area, &ax, &ay, NULL, NULL);
	crop = pixClipRectangle(sr->grey, area, NULL);
	boxDestroy(&area);
	big = crop != NULL ? pixScaleGrayLI(crop, WHOLE_ZOOM, WHOLE_ZOOM) :
	    NULL;
	pixDestroy(&crop);
	bin = big != NULL ? sauvola(big, SAUVOLA_HALF * WHOLE_ZOOM) : NULL;
	pixDestroy(&big);
	if (bin == NULL) {
		snprintf(err, errlen, "leptonica could not prepare the "
		    "picture");
		return NULL;
	}
	if (has_ink(bin)) {
		r = ocr_recognize(e, bin, OCR_PSM_SPARSE, WHOLE_DPI, &res, err,
		    errlen);
	} else {
		no_words(&res);
		r = 0;
	}
	pixDestroy(&bin);
	if (r != 0)
		return NULL;
	map_result(&res, WHOLE_ZOOM, 0, ax, ay);
	return kept_put(sr->whole, lang, &res);
}

int
screenread_whole(struct screenread *sr, const char *lang,
    struct ocr_result *res, char *err, size_t errlen)
{
	const struct ocr_result *w;
	size_t i;

	memset(res, 0, sizeof *res);
	if ((w = whole_read(sr, lang != NULL ? lang : "jpn+eng", err,
	    errlen)) == NULL)
		return -1;
	append_copy(res, w);
	for (i = 0; i < res->nwords; i++)
		res->words[i].block = w->words[i].block;
	res->nlines = w->nlines;
	res->text = xstrdup(w->text);
	return 0;
}

/*
 * Region s of the grey capture, dark text on white (a region of light
 * text is inverted, its ground stretched to white), scaled and rendered as
 * rendering asks and padded with white: a new PIX; *sc receives the
 * scale.
 */
static PIX *
region_picture(struct screenread *sr, const struct screenread_seg *s,
    const struct rendering *how, int *ox, int *oy, double *sc)
{
	int m = sr->text_h / 4 > 2 ? sr->text_h / 4 : 2;
	int W = pixGetWidth(sr->grey), H = pixGetHeight(sr->grey);
	int x0 = s->x - m < 0 ? 0 : s->x - m, y0 = s->y - m < 0 ? 0 : s->y - m;
	int x1 = s->x + s->w + m > W ? W : s->x + s->w + m;
	int y1 = s->y + s->h + m > H ? H : s->y + s->h + m;
	BOX *box = boxCreate(x0, y0, x1 - x0, y1 - y0);
	PIX *crop = pixClipRectangle(sr->grey, box, NULL), *big, *out = NULL;

	boxDestroy(&box);
	if (crop == NULL)
		return NULL;
	if (light_text(crop))
		pixInvert(crop, crop);
	/* A grey ground inside the white padding reads as one big blob
	 * with holes, not as text. */
	whiten(crop);
	*sc = LINE_TARGET_H / sr->text_h;
	*sc = *sc < 1.5 ? 1.5 : *sc > 4 ? 4 : *sc;
	*sc *= how->zoom;
	*ox = x0;
	*oy = y0;
	big = pixScaleGrayLI(crop, (l_float32)*sc, (l_float32)*sc);
	pixDestroy(&crop);
	if (big == NULL)
		return NULL;
	if (how->filter == F_SMOOTH)
		out = pixBlockconv(big, 1, 1);
	if (out == NULL)
		out = pixClone(big);
	pixDestroy(&big);
	big = pixAddBorder(out, LINE_PAD, 255);
	pixDestroy(&out);
	return big;
}

/* Read region s in a rendering with lang into *res (capture px). */
static int
read_region(struct screenread *sr, const struct screenread_seg *s,
    const struct rendering *how, const char *lang, struct ocr_result *res,
    char *err, size_t errlen)
{
	struct ocr_engine *e;
	enum ocr_psm psm = 2 * s->h > 5 * sr->text_h ? OCR_PSM_BLOCK :
	    OCR_PSM_LINE;
	double sc = 1;
	int ox = 0, oy = 0, r;
	PIX *pic;

	memset(res, 0, sizeof *res);
	if ((e = ocr_engine_get(lang, err, errlen)) == NULL)
		return -1;
	if ((pic = region_picture(sr, s, how, &ox, &oy, &sc)) == NULL) {
		snprintf(err, errlen, "leptonica could not cut out a region "
		    "of the picture");
		return -1;
	}
	if (!has_ink(pic)) {
		pixDestroy(&pic);
		no_words(res);
		return 0;
	}
	r = ocr_recognize(e, pic, psm, WHOLE_DPI, res, err, errlen);
	pixDestroy(&pic);
	if (r != 0)
		return -1;
	map_result(res, sc, LINE_PAD, ox, oy);
	return 0;
}

/* The key a reading with lang is kept under: "" for a choice per line. */
static const char *
key_of(const char *lang)
{
	return lang != NULL ? lang : "";
}

/*
 * Region s read with lang as it is, and again smoothed when tesseract is
 * unsure of that reading: the better sure of the two in *res.  A 10 px
 * font misreads at the usual scale now and then (勘定 as one kanji, 摘要
 * as BE), and the smoothed reading of those is right and sure; -1 on
 * error.
 */
static int
read_sure(struct screenread *sr, struct screenread_seg *s, const char *lang,
    struct ocr_result *res, char *err, size_t errlen)
{
	struct ocr_result other;

	if (read_region(sr, s, &plain, lang, res, err, errlen) != 0)
		return -1;
	if (mean_conf(res) >= SURE_CONF)
		return 0;
	if (read_region(sr, s, &retries[0].r, lang, &other, err,
	    errlen) != 0) {
		ocr_result_free(res);
		return -1;
	}
	if (mean_conf(&other) > mean_conf(res)) {
		ocr_result_free(res);
		*res = other;
	} else {
		ocr_result_free(&other);
	}
	return 0;
}

/*
 * The reading of region s with lang, read once and kept; NULL on error.
 * lang NULL: jpn, and eng too when jpn read nothing but ASCII (the better
 * one is kept).
 */
static struct ocr_result *
seg_read(struct screenread *sr, struct screenread_seg *s, const char *lang,
    char *err, size_t errlen)
{
	struct ocr_result *kept = kept_find(s->kept, key_of(lang));
	struct ocr_result res, other;

	if (kept != NULL)
		return kept;
	if (read_sure(sr, s, lang != NULL ? lang : "jpn", &res, err,
	    errlen) != 0)
		return NULL;
	if (lang == NULL && res.nwords > 0 && all_ascii(res.text)) {
		if (read_sure(sr, s, "eng", &other, err, errlen) != 0) {
			ocr_result_free(&res);
			return NULL;
		}
		if (mean_conf(&other) >= mean_conf(&res)) {
			ocr_result_free(&res);
			res = other;
		} else {
			ocr_result_free(&other);
		}
	}
	return kept_put(s->kept, key_of(lang), &res);
}

/* Every region read with lang; -1 on error. */
static int
read_lines(struct screenread *sr, const char *lang, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < sr->nsegs; i++)
		if (seg_read(sr, &sr->segs[i], lang, err, errlen) == NULL)
			return -1;
	return 0;
}

/* Every region's reading with lang (read_lines done), in reading order,
 * one after another. */
static void
gather(struct screenread *sr, const char *lang, struct ocr_result *res)
{
	size_t i;

	memset(res, 0, sizeof *res);
	for (i = 0; i < sr->nsegs; i++)
		append_copy(res, kept_find(sr->segs[i].kept, key_of(lang)));
	set_text(res, screenread_cjk(lang));
}

int
screenread_lines(struct screenread *sr, const char *lang,
    struct ocr_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	if (read_lines(sr, lang, err, errlen) != 0)
		return -1;
	gather(sr, lang, res);
	return 0;
}

/* --- searching ----------------------------------------------------------- */

void
screenread_look_free(struct screenread_look *l)
{
	free(l->seen);
	memset(l, 0, sizeof *l);
}

/*
 * The share of the pieces of want (normal form) that seen shows: its
 * characters, or for an ASCII text of three or more its pairs of
 * neighbours - a few letters are in any Latin line, and a misread keeps
 * most pairs.
 */
static double
share(const char *want, const char *seen)
{
	size_t i, len, n = 0, in = 0, left = strlen(want);
	int pairs = left >= 3 && all_ascii(want);
	uint32_t cp;
	char c[6];

	for (i = 0; want[i + pairs] != '\0'; i += len, left -= len) {
		if ((len = width_utf8_decode(want + i, left, &cp)) == 0)
			len = 1;
		memcpy(c, want + i, len + pairs);
		c[len + pairs] = '\0';
		n++;
		in += strstr(seen, c) != NULL;
	}
	return n > 0 ? (double)in / (double)n : 0;
}

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* What is searched for. */
struct search {
	const char	*want;		/* normal form */
	const char	*lang;
	int		 cjk;
	int		 n;		/* occurrence */
	unsigned	 flags;		/* SCREENMATCH_* */
};

/* Whether a column of ink has anything in rows [y0, y1). */
static int
inked(PIX *ink, int x, int y0, int y1)
{
	l_uint32 v;
	int y;

	for (y = y0; y < y1; y++)
		if (pixGetPixel(ink, x, y, &v) == 0 && v != 0)
			return 1;
	return 0;
}

/*
 * Whether the ink of a match's word goes on past its left (dir -1) or
 * right (dir 1) edge: walking out from just inside the edge, the run of
 * ink columns - a gap of two empty columns ends it, a word space is wider
 * - reaches beyond the edge by more than a box's error.  It is what the
 * text cannot show when OCR reads the underscore of type_save as a space.
 * The rows are those of the candidate region the match is in, so that an
 * underscore below the letters counts.
 */
static int
ink_goes_on(const struct screenread *sr, const int box[4], int dir)
{
	int W = pixGetWidth(sr->ink), H = pixGetHeight(sr->ink);
	int slack = sr->text_h / 4 > 2 ? sr->text_h / 4 : 2;
	int cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2;
	int y0 = box[1], y1 = box[1] + box[3], x, edge, empty = 0, last;
	size_t i;

	for (i = 0; i < sr->nsegs; i++) {
		const struct screenread_seg *s = &sr->segs[i];

		if (cx >= s->x && cx < s->x + s->w && cy >= s->y &&
		    cy < s->y + s->h) {
			y0 = s->y;
			y1 = s->y + s->h;
			break;
		}
	}
	y0 = y0 < 0 ? 0 : y0;
	y1 = y1 > H ? H : y1;
	edge = dir < 0 ? box[0] : box[0] + box[2] - 1;
	x = edge - dir * slack;
	if (x < box[0] || x >= box[0] + box[2])
		x = cx;
	for (last = x; x >= 0 && x < W && empty < 2; x += dir) {
		if (inked(sr->ink, x, y0, y1)) {
			last = x;
			empty = 0;
		} else {
			empty++;
		}
	}
	return dir < 0 ? last < edge - slack : last > edge + slack;
}

/*
 * The n-th match of q in r that is whole words on the capture as well as
 * in the text (unless q asks for contains): fills *hit; 1, or 0.
 */
static int
find_nth(const struct screenread *sr, const struct ocr_result *r,
    const struct search *q, int n, struct screenmatch_hit *hit)
{
	size_t len = strlen(q->want);
	int k, seen = 0;
	int left = word_char(q->want[0]), right = word_char(q->want[len - 1]);

	for (k = 1; screenmatch_text(r, q->cjk, q->want, k, q->flags, hit);
	    k++) {
		if ((q->flags & SCREENMATCH_CONTAINS) || sr->ink == NULL ||
		    !((left && ink_goes_on(sr, hit->box, -1)) ||
		    (right && ink_goes_on(sr, hit->box, 1)))) {
			if (++seen == n)
				return 1;
		}
		screenmatch_hit_free(hit);
	}
	return 0;
}

/* Whether a reading shows what q searches (once). */
static int
shows(const struct screenread *sr, const struct ocr_result *r,
    const struct search *q)
{
	struct screenmatch_hit h;
	int found = find_nth(sr, r, q, 1, &h);

	screenmatch_hit_free(&h);
	return found;
}

/* How much a region's reading looks like the text searched: 0 when not
 * at all, or when it shows it already. */
static double
likeness(const struct screenread *sr, const struct ocr_result *res,
    const struct search *q)
{
	char *norm;
	double v;

	if (shows(sr, res, q))
		return 0;
	norm = screenmatch_normalise(res->text != NULL ? res->text : "");
	v = share(q->want, norm);
	free(norm);
	return v;
}

/* Read the regions most like the text again in the other renderings; a
 * reading that shows it replaces the region's.  Returns the number of
 * regions read again, or -1. */
static int
retry_likely(struct screenread *sr, const struct search *q, char *err,
    size_t errlen)
{
	double score[MAX_RETRIES];
	size_t pick[MAX_RETRIES], npick = 0, i, k;
	int tried = 0;

	for (i = 0; i < sr->nsegs; i++) {
		double v = likeness(sr, kept_find(sr->segs[i].kept, q->lang),
		    q);

		if (v < MATCH_SHARE)
			continue;
		/* Keep the best MAX_RETRIES, first in reading order on ties. */
		for (k = npick; k > 0 && score[k - 1] < v; k--)
			if (k < MAX_RETRIES) {
				score[k] = score[k - 1];
				pick[k] = pick[k - 1];
			}
		if (k < MAX_RETRIES) {
			score[k] = v;
			pick[k] = i;
			npick += npick < MAX_RETRIES;
		}
	}
	for (i = 0; i < npick; i++) {
		struct screenread_seg *s = &sr->segs[pick[i]];
		struct ocr_result *kept;

		tried++;
		for (k = 0; k < sizeof retries / sizeof retries[0]; k++) {
			const char *l = q->lang;
			struct ocr_result r;

			if (retries[k].script) {
				if (strcmp(q->lang, "jpn") != 0)
					continue;
				l = SCRIPT_MODEL;
			}
			if (read_region(sr, s, &retries[k].r, l, &r, err,
			    errlen) != 0)
				return -1;
			if (!shows(sr, &r, q)) {
				ocr_result_free(&r);
				continue;
			}
			kept = kept_find(s->kept, q->lang);
			ocr_result_free(kept);
			*kept = r;
			if (q->n == 1)
				return tried;
			break;
		}
	}
	return tried;
}

int
screenread_find(struct screenread *sr, const char *lang, const char *text,
    int n, unsigned flags, struct screenmatch_hit *hit,
    struct screenread_look *look, char *err, size_t errlen)
{
	char *want = screenmatch_normalise(text);
	struct search q;
	const struct ocr_result *whole;
	struct ocr_result res;
	int found = 0, r;

	memset(hit, 0, sizeof *hit);
	memset(look, 0, sizeof *look);
	q.want = want;
	q.lang = lang != NULL ? lang : screenread_lang(text);
	q.cjk = screenread_cjk(q.lang);
	q.n = n;
	q.flags = flags;
	if (*want == '\0') {
		free(want);
		return 0;
	}
	if ((whole = whole_read(sr, q.lang, err, errlen)) == NULL)
		goto fail;
	found = find_nth(sr, whole, &q, n, hit);
	look->seen = ocr_join(whole, 0, whole->nwords, q.cjk, 0, NULL);
	if (found || sr->nsegs == 0)
		goto done;

	/* Missed: every region on its own, then the likeliest again. */
	look->lines = 1;
	if (read_lines(sr, q.lang, err, errlen) != 0)
		goto fail;
	gather(sr, q.lang, &res);
	found = find_nth(sr, &res, &q, n, hit);
	if (!found) {
		if ((r = retry_likely(sr, &q, err, errlen)) < 0) {
			ocr_result_free(&res);
			goto fail;
		}
		look->retries = r;
		if (r > 0) {
			ocr_result_free(&res);
			gather(sr, q.lang, &res);
			found = find_nth(sr, &res, &q, n, hit);
		}
	}
	free(look->seen);
	look->seen = xstrdup(res.text);
	ocr_result_free(&res);
done:
	free(want);
	return found;
fail:
	free(want);
	screenread_look_free(look);
	screenmatch_hit_free(hit);
	return -1;
}
