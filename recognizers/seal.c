/*
 * seal.c - red stamp detection on the colour page.
 *
 * Thresholds: vermilion stamp ink scans at about (200, 50, 50); black text
 * and grey noise have r, g and b within a few tens of each other.  A pixel
 * counts as red when r exceeds both g and b by RED_MARGIN.  Clumps smaller
 * than 3x3 pixels are opened away, so colour noise does not add up.  A
 * stamp covers 5-25% of its zone; under COVER_ABSENT nothing is there,
 * above COVER_PRESENT something clearly is, and in between a person looks.
 */
#include <stdio.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "preprocess.h"
#include "seal.h"

#define RED_MARGIN	60
#define COVER_ABSENT	0.002
#define COVER_PRESENT	0.01

int
seal_detect(const struct prep_page *pp, double x, double y, double w,
    double h, struct seal_result *res, char *err, size_t errlen)
{
	PIX *c, *mask, *opened;
	double ox, oy;
	int i, j, cw, ch, count = 0;

	memset(res, 0, sizeof *res);
	if (pp->color == NULL) {
		snprintf(err, errlen, "the scan has no colour, so a stamp "
		    "cannot be told from print");
		return -1;
	}
	c = prep_crop(pp, x, y, w, h, 0, 1.0, 1, &ox, &oy);
	if (c == NULL) {
		snprintf(err, errlen, "cannot cut the seal zone");
		return -1;
	}
	cw = pixGetWidth(c);
	ch = pixGetHeight(c);
	mask = pixCreate(cw, ch, 1);
	for (i = 0; i < ch; i++) {
		l_uint32 *line = pixGetData(c) + i * pixGetWpl(c);
		l_uint32 *mline = pixGetData(mask) + i * pixGetWpl(mask);

		for (j = 0; j < cw; j++) {
			l_int32 r, g, b;

			extractRGBValues(line[j], &r, &g, &b);
			if (r - g >= RED_MARGIN && r - b >= RED_MARGIN)
				SET_DATA_BIT(mline, j);
		}
	}
	opened = pixOpenBrick(NULL, mask, 3, 3);
	pixCountPixels(opened, &count, NULL);
	res->coverage = (double)count / ((double)cw * ch);
	if (res->coverage >= COVER_PRESENT) {
		res->present = 1;
		res->conf = res->coverage >= 2 * COVER_PRESENT ? 99 : 80;
	} else if (res->coverage <= COVER_ABSENT) {
		res->present = 0;
		res->conf = res->coverage <= COVER_ABSENT / 4 ? 99 : 80;
	} else {
		/* Some red, but too little to call either way. */
		res->present = res->coverage >= (COVER_ABSENT + COVER_PRESENT) / 2;
		res->conf = 30;
	}
	pixDestroy(&opened);
	pixDestroy(&mask);
	pixDestroy(&c);
	return 0;
}
