/*
 * seal.h - is a red stamp (hanko, 印) present in a zone?
 *
 * Japanese forms are stamped in red vermilion ink.  A stamp is told from
 * printed black text and from colour noise by its hue: pixels clearly
 * redder than they are green or blue, in clumps (specks are ignored), that
 * cover a visible part of the zone.
 */
#ifndef KOBITO_SEAL_H
#define KOBITO_SEAL_H

struct prep_page;

struct seal_result {
	int	present;	/* 1 stamped, 0 not */
	double	coverage;	/* fraction of the zone's pixels that are red */
	double	conf;		/* 0..100: how clearly present or absent */
};

/*
 * Look for a stamp in the deskewed rectangle (x, y, w, h) of the page.
 * Returns 0, or -1 with a message in err when the page has no colour (a
 * grey scan cannot show whether black marks are a stamp).
 */
int	seal_detect(const struct prep_page *pp, double x, double y, double w,
	    double h, struct seal_result *res, char *err, size_t errlen);

#endif
