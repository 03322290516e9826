/*
 * preprocess.c - page analysis and zone cleaning with leptonica.
 *
 * The page is looked at once, reduced to 100-150 dpi and binarised, which
 * is enough to measure skew (pixFindSkew) and to see ruled lines.  Zones
 * are then cut from the full-resolution grey input and rotated on their
 * own: rotating a small crop costs a fraction of rotating a whole A4 page at
 * 300 dpi, and a form needs only its zones.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "preprocess.h"
#include "xmalloc.h"

/* Grey levels between ink and paper below which a zone holds no ink. */
#define OTSU_MIN_CONTRAST	60

/*
 * Leptonica prints its warnings and errors to stderr, even those kobito
 * expects and handles (an empty zone has no Otsu split); they are kept
 * only when KOBITO_OCR_DEBUG is set.  The setting is the library's own,
 * made once.
 */
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void
quiet_leptonica(void)
{
	if (getenv("KOBITO_OCR_DEBUG") == NULL)
		setMsgSeverity(L_SEVERITY_NONE);
}

void
prep_quiet(void)
{
	pthread_once(&quiet_once, quiet_leptonica);
}

void
prep_opts_default(struct prep_opts *o)
{
	o->deskew = 1;
	o->max_skew = 5.0;
	o->background = 0;
	o->binarize = PREP_BIN_AUTO;
	o->remove_lines = 1;
	o->despeckle = 4;
	o->target_dpi = 300;
}

/*
 * The input as 32 bpp when it has colour, else as 8 bpp grey.  A colour
 * page is not turned grey as a whole: the reduced page and each crop are,
 * which costs a fraction of converting 9 million pixels.
 */
static int
split_gray_color(PIX *in, PIX **gray, PIX **color)
{
	PIX *p;

	*gray = *color = NULL;
	if (pixGetColormap(in) != NULL)
		p = pixRemoveColormap(in, REMOVE_CMAP_BASED_ON_SRC);
	else
		p = pixClone(in);
	if (p == NULL)
		return -1;
	if (pixGetDepth(p) == 32)
		*color = pixClone(p);
	else
		*gray = pixConvertTo8(p, 0);
	pixDestroy(&p);
	return *gray != NULL || *color != NULL ? 0 : -1;
}

/* Grey of any 8 or 32 bpp image (a new PIX). */
static PIX *
to_gray(PIX *p)
{
	return pixGetDepth(p) == 32 ? pixConvertRGBToLuminance(p) :
	    pixClone(p);
}

int
prep_page_init(struct prep_page *pp, PIX *in, double dpi,
    const struct prep_opts *opts, char *err, size_t errlen)
{
	PIX *small_gray, *bin, *src, *reduced;
	l_float32 angle = 0, conf = 0;

	pthread_once(&quiet_once, quiet_leptonica);
	memset(pp, 0, sizeof *pp);
	if (in == NULL || pixGetWidth(in) < 16 || pixGetHeight(in) < 16) {
		snprintf(err, errlen, "the image is empty or too small");
		return -1;
	}
	if (split_gray_color(in, &pp->gray, &pp->color) != 0) {
		snprintf(err, errlen, "unsupported image depth %d",
		    pixGetDepth(in));
		return -1;
	}
	src = pp->color != NULL ? pp->color : pp->gray;
	pp->w = pixGetWidth(src);
	pp->h = pixGetHeight(src);
	pp->dpi = dpi > 0 ? dpi : 300;

	/* 100-150 dpi is plenty for skew and ruled lines. */
	if (pp->dpi >= 500) {
		pp->factor = 4;
		reduced = pixScaleAreaMap(src, 0.25, 0.25);
	} else if (pp->dpi >= 250) {
		pp->factor = 2;
		reduced = pixScaleAreaMap2(src);
	} else {
		pp->factor = 1;
		reduced = pixClone(src);
	}
	small_gray = reduced != NULL ? to_gray(reduced) : NULL;
	pixDestroy(&reduced);
	if (small_gray == NULL) {
		snprintf(err, errlen, "cannot reduce the page");
		prep_page_free(pp);
		return -1;
	}
	bin = prep_binarize(small_gray, PREP_BIN_OTSU, PREP_PAGE);
	pixDestroy(&small_gray);
	if (bin == NULL) {
		snprintf(err, errlen, "cannot binarise the page");
		prep_page_free(pp);
		return -1;
	}
	if (opts->deskew && pixFindSkew(bin, &angle, &conf) == 0 &&
	    conf >= 2.0 && fabs(angle) <= opts->max_skew) {
		pp->angle = angle * M_PI / 180.0;
		pp->skew_conf = conf;
	}
	if (fabs(pp->angle) > 0.0005) {
		pp->small = pixRotate(bin, (l_float32)pp->angle,
		    L_ROTATE_SAMPLING, L_BRING_IN_WHITE, 0, 0);
		pixDestroy(&bin);
	} else {
		pp->small = bin;
	}
	if (pp->small == NULL) {
		snprintf(err, errlen, "cannot deskew the page");
		prep_page_free(pp);
		return -1;
	}
	return 0;
}

void
prep_page_free(struct prep_page *pp)
{
	pixDestroy(&pp->gray);
	pixDestroy(&pp->color);
	pixDestroy(&pp->small);
	memset(pp, 0, sizeof *pp);
}

/*
 * pixRotate() turns the content clockwise by angle about the centre:
 * deskewed = c + R(angle) (input - c), with y pointing down.
 */
void
prep_to_input(const struct prep_page *pp, double dx, double dy, double *ix,
    double *iy)
{
	double cx = pp->w / 2.0, cy = pp->h / 2.0;
	double c = cos(pp->angle), s = sin(pp->angle);
	double x = dx - cx, y = dy - cy;

	*ix = cx + x * c + y * s;
	*iy = cy - x * s + y * c;
}

void
prep_from_input(const struct prep_page *pp, double ix, double iy, double *dx,
    double *dy)
{
	double cx = pp->w / 2.0, cy = pp->h / 2.0;
	double c = cos(pp->angle), s = sin(pp->angle);
	double x = ix - cx, y = iy - cy;

	*dx = cx + x * c - y * s;
	*dy = cy + x * s + y * c;
}

void
prep_rect_to_input(const struct prep_page *pp, double x, double y, double w,
    double h, int box[4])
{
	double px[4] = { x, x + w, x, x + w }, py[4] = { y, y, y + h, y + h };
	double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
	int i;

	for (i = 0; i < 4; i++) {
		double ix, iy;

		prep_to_input(pp, px[i], py[i], &ix, &iy);
		x0 = fmin(x0, ix);
		y0 = fmin(y0, iy);
		x1 = fmax(x1, ix);
		y1 = fmax(y1, iy);
	}
	box[0] = (int)floor(x0);
	box[1] = (int)floor(y0);
	box[2] = (int)ceil(x1) - box[0];
	box[3] = (int)ceil(y1) - box[1];
}

/* A w x h image of src's depth, white, with src's (sx, sy) at (0, 0). */
static PIX *
cut_white(PIX *src, int sx, int sy, int w, int h)
{
	PIX *d;

	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	d = pixCreate(w, h, pixGetDepth(src));
	if (d == NULL)
		return NULL;
	if (pixGetDepth(src) != 1)
		pixSetAll(d);
	pixCopyResolution(d, src);
	/* pixRasterop clips to both images, so off-page parts stay white. */
	pixRasterop(d, 0, 0, w, h, PIX_SRC, src, sx, sy);
	return d;
}

PIX *
prep_crop(const struct prep_page *pp, double x, double y, double w, double h,
    double margin, double scale, int color, double *ox, double *oy)
{
	PIX *src = color ? pp->color : pp->gray != NULL ? pp->gray : pp->color;
	PIX *c, *r, *out;
	int box[4], cw, ch;
	double X0 = x - margin, Y0 = y - margin, W = w + 2 * margin,
	    H = h + 2 * margin;

	if (src == NULL)
		return NULL;
	*ox = X0;
	*oy = Y0;
	prep_rect_to_input(pp, X0, Y0, W, H, box);
	box[0] -= 2;
	box[1] -= 2;
	box[2] += 4;
	box[3] += 4;
	c = cut_white(src, box[0], box[1], box[2], box[3]);
	if (c == NULL)
		return NULL;
	/* Rotate only when it moves the crop's far side by a pixel. */
	if (fabs(pp->angle) * (W > H ? W : H) > 1.0) {
		double ix, iy, ccx = box[2] / 2.0, ccy = box[3] / 2.0;
		double u, v, cs = cos(pp->angle), sn = sin(pp->angle);

		r = pixRotate(c, (l_float32)pp->angle, L_ROTATE_AREA_MAP,
		    L_BRING_IN_WHITE, 0, 0);
		pixDestroy(&c);
		if (r == NULL)
			return NULL;
		/* Where the deskewed corner (X0, Y0) landed in the rotated
		 * crop: rotate its input position about the crop's centre. */
		prep_to_input(pp, X0, Y0, &ix, &iy);
		ix -= box[0] + ccx;
		iy -= box[1] + ccy;
		u = ccx + ix * cs - iy * sn;
		v = ccy + ix * sn + iy * cs;
		c = cut_white(r, (int)lround(u), (int)lround(v),
		    (int)lround(W), (int)lround(H));
		pixDestroy(&r);
	} else {
		PIX *t = cut_white(c, (int)lround(X0) - box[0],
		    (int)lround(Y0) - box[1], (int)lround(W), (int)lround(H));

		pixDestroy(&c);
		c = t;
	}
	if (c == NULL)
		return NULL;
	if (!color && pixGetDepth(c) == 32) {
		PIX *g = pixConvertRGBToLuminance(c);

		pixDestroy(&c);
		if ((c = g) == NULL)
			return NULL;
	}
	if (fabs(scale - 1.0) < 0.01)
		return c;
	cw = pixGetWidth(c);
	ch = pixGetHeight(c);
	if (cw * scale < 2 || ch * scale < 2)
		return c;
	out = pixGetDepth(c) == 8 ? pixScaleGrayLI(c, (l_float32)scale,
	    (l_float32)scale) : pixScale(c, (l_float32)scale, (l_float32)scale);
	pixDestroy(&c);
	return out;
}

/*
 * Otsu on a zone, with a sanity check: Otsu always splits the histogram in
 * two, and on an empty, noisy zone it splits the noise, turning it into
 * "ink".  When the two classes are not far apart there is no ink, and the
 * threshold is put below both.
 */
static PIX *
otsu_checked(PIX *g)
{
	l_int32 thresh = 128, fg = 0, bg = 255;

	if (pixSplitDistributionFgBg(g, 0.1f, 1, &thresh, &fg, &bg,
	    NULL) != 0)
		thresh = 128;
	else if (bg - fg < OTSU_MIN_CONTRAST)
		thresh = fg - 1 > 0 ? fg - 1 : 0;
	return pixThresholdToBinary(g, thresh);
}

PIX *
prep_binarize(PIX *gray, enum prep_binarize how, unsigned flags)
{
	PIX *g = NULL, *bin = NULL;
	int w = pixGetWidth(gray), h = pixGetHeight(gray);

	if ((flags & PREP_BACKGROUND) && w >= 40 && h >= 40)
		g = pixBackgroundNormSimple(gray, NULL, NULL);
	if (g == NULL)
		g = pixClone(gray);
	if ((flags & PREP_SMOOTH) && w >= 8 && h >= 8) {
		PIX *sm = pixBlockconv(g, 1, 1);

		if (sm != NULL) {
			pixDestroy(&g);
			g = sm;
		}
	}
	if (how == PREP_BIN_SAUVOLA) {
		int half = h / 6;

		if (half < 8)
			half = 8;
		if (half > 40)
			half = 40;
		/* Too small for Sauvola's window: Otsu below. */
		if (w > 2 * half + 3 && h > 2 * half + 3)
			pixSauvolaBinarizeTiled(g, half, 0.34f, 1, 1, NULL,
			    &bin);
	}
	if (bin == NULL)
		bin = otsu_checked(g);
	if (bin != NULL && (flags & PREP_PAGE)) {
		/* Noise that crossed the threshold would drown the skew
		 * measurement and the line profiles: specks go. */
		PIX *clean = pixSelectBySize(bin, 3, 3, 8, L_SELECT_IF_EITHER,
		    L_SELECT_IF_GTE, NULL);

		if (clean != NULL) {
			pixDestroy(&bin);
			bin = clean;
		}
	}
	pixDestroy(&g);
	return bin;
}

void
prep_line_masks(PIX *bin, int hlen, int vlen, PIX **hmask, PIX **vmask)
{
	/* Composite DWA openings: long structuring elements cost a few
	 * passes instead of one pass per pixel of length. */
	*hmask = hlen > 1 ? pixOpenCompBrickExtendDwa(NULL, bin, hlen, 1) :
	    NULL;
	*vmask = vlen > 1 ? pixOpenCompBrickExtendDwa(NULL, bin, 1, vlen) :
	    NULL;
}

/*
 * Whether a component looks like what is left of a box edge: a thin bar
 * touching the border or lying along an edge.
 */
static int
edge_remnant(int x, int y, int w, int h, int W, int H)
{
	int touches = x <= 0 || y <= 0 || x + w >= W || y + h >= H;
	int thin_h = h <= (H / 12 > 3 ? H / 12 : 3) && w >= 4 * h;
	int thin_v = w <= (W / 30 > 3 ? W / 30 : 3) && h >= 4 * w;
	/* A broken line leaves dashes along an edge of the zone, where
	 * writing does not go: flat pieces in the top or bottom fifth,
	 * tall upright ones in the outer twentieth. */
	int band_h = thin_h && (y + h <= H / 5 || y >= H - H / 5);
	int band_v = thin_v && h >= H / 2 && (x + w <= W / 20 ||
	    x >= W - W / 20);

	return (touches && (thin_h || thin_v)) || band_h || band_v;
}

PIX *
prep_clean(PIX *bin, int hlen, int vlen, int speck, int box[4])
{
	PIX *p, *hm, *vm;
	BOXA *boxa;
	PIXA *pixa = NULL;
	int i, n, W = pixGetWidth(bin), H = pixGetHeight(bin), count = 0;
	int x0 = W, y0 = H, x1 = 0, y1 = 0;

	p = pixCopy(NULL, bin);
	prep_line_masks(p, hlen, vlen, &hm, &vm);
	if (hm != NULL)
		pixSubtract(p, p, hm);
	if (vm != NULL)
		pixSubtract(p, p, vm);
	pixDestroy(&hm);
	pixDestroy(&vm);

	/* One pass over the components: specks and remains of box edges
	 * go, the rest makes the writing's box. */
	boxa = pixConnCompPixa(p, &pixa, 8);
	n = boxa != NULL ? boxaGetCount(boxa) : 0;
	for (i = 0; i < n; i++) {
		int x, y, w, h, c = 0;
		PIX *comp = pixaGetPix(pixa, i, L_CLONE);

		boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h);
		if ((w < speck && h < speck) || edge_remnant(x, y, w, h, W, H)) {
			pixRasterop(p, x, y, w, h, PIX_SUBTRACT, comp, 0, 0);
		} else {
			pixCountPixels(comp, &c, NULL);
			count += c;
			x0 = x < x0 ? x : x0;
			y0 = y < y0 ? y : y0;
			x1 = x + w > x1 ? x + w : x1;
			y1 = y + h > y1 ? y + h : y1;
		}
		pixDestroy(&comp);
	}
	boxaDestroy(&boxa);
	pixaDestroy(&pixa);
	if (count < 12) {
		pixDestroy(&p);
		return NULL;
	}
	box[0] = x0;
	box[1] = y0;
	box[2] = x1 - x0;
	box[3] = y1 - y0;
	return p;
}

PIX *
prep_frame(PIX *bin, const int box[4], int pad)
{
	BOX *b = boxCreate(box[0], box[1], box[2], box[3]);
	PIX *c, *d;

	c = pixClipRectangle(bin, b, NULL);
	boxDestroy(&b);
	if (c == NULL)
		return NULL;
	d = pixAddBorder(c, pad, 0);
	pixDestroy(&c);
	return d;
}

void
prep_profile(PIX *bin, int horizontal, int **prof, int *n)
{
	NUMA *na = horizontal ? pixCountPixelsByRow(bin, NULL) :
	    pixCountPixelsByColumn(bin);
	int i, len = na != NULL ? numaGetCount(na) : 0;

	*prof = xcalloc(len > 0 ? (size_t)len : 1, sizeof **prof);
	for (i = 0; i < len; i++)
		numaGetIValue(na, i, &(*prof)[i]);
	*n = len;
	numaDestroy(&na);
}
