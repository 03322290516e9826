/*
 * screenmatch.h - finding a word or phrase in OCR output, and a small
 * reference picture in a screen image: what ui.click_text, ui.wait_text,
 * ui.click_image and ui.wait_image (agent/act_screen.c) look for.
 *
 * Text is matched on a normal form (screenmatch_normalise): OCR puts
 * spaces between Japanese characters and drops them between Latin words at
 * will, and screens show letters and digits in either width.  A phrase is
 * found within one text line, character by character, so it may begin or
 * end in the middle of one of tesseract's "words".
 *
 * Images are found in two passes: a sum of absolute differences of grey
 * levels at every position of a reduced image (reduced so the reference
 * keeps about 6 pixels in its smaller side) gives a few candidates; each is
 * checked at full resolution around its place, pixel by pixel and channel
 * by channel, within a tolerance.  A few pixels (1 in 100) may differ more:
 * anti-aliased edges.
 */
#ifndef KOBITO_SCREENMATCH_H
#define KOBITO_SCREENMATCH_H

#include <stddef.h>

struct Pix;
struct ocr_result;

/*
 * The form text is matched on: full-width letters and digits made
 * half-width, half-width katakana full-width, ASCII letters lower case,
 * spaces (ASCII and ideographic) and underscores removed.  The caller
 * frees the result.
 */
char	*screenmatch_normalise(const char *utf8);

/* A phrase found in OCR output. */
struct screenmatch_hit {
	int	 box[4];	/* x, y, w, h in the recognised image's px */
	char	*text;		/* what OCR read there; the caller frees it */
	char	*word;		/* the whole words it is in (type_save.yaml
				   for save); the caller frees it */
	double	 conf;		/* mean confidence of its characters */
};

/* screenmatch_text() flags */
#define SCREENMATCH_CONTAINS	0x1	/* match inside a word too */

/*
 * Look for want (already normalised; "" never matches) in the lines of
 * res; the n-th occurrence (from 1) in reading order, counting only
 * matches that begin at a character, fills *hit.  A match must be whole
 * words - a letter or digit (or underscore) at an end of it must not go on
 * beside it, so that Save is not found in type_save.yaml nor 120 in
 * 12000 - unless flags has SCREENMATCH_CONTAINS.  Kanji and kana have no
 * word boundaries to check.  cjk: the text is Japanese (no spaces put
 * between the characters of hit->text).  Returns 1 when found, else 0
 * (and *hit is zeroed).
 */
int	 screenmatch_text(const struct ocr_result *res, int cjk,
	    const char *want, int n, unsigned flags,
	    struct screenmatch_hit *hit);

/* Free what *hit holds and zero it. */
void	 screenmatch_hit_free(struct screenmatch_hit *hit);

/* An image as packed RGB and grey bytes, owned by the struct. */
struct screenmatch_img {
	int		 w, h;
	unsigned char	*rgb;		/* w * h * 3 */
	unsigned char	*grey;		/* w * h */
};

/* Fill *im from a 32 bpp leptonica image (pix is not kept). */
void	 screenmatch_img_from_pix(struct screenmatch_img *im, struct Pix *pix);
/* Free the pixels of *im (not the struct itself). */
void	 screenmatch_img_free(struct screenmatch_img *im);

/*
 * Find ref in scr with every channel within tol (0-255) of the
 * reference's, but for 1 pixel in 100.  Returns 1 with the top-left corner
 * in *x, *y and the mean channel difference in *score, or 0 when it is
 * not there.  Of several places, the one with the fewest pixels out of
 * tolerance, then the smallest total difference, wins.
 */
int	 screenmatch_image(const struct screenmatch_img *scr,
	    const struct screenmatch_img *ref, int tol, int *x, int *y,
	    double *score);

/*
 * Where ref comes nearest to being shown in scr, whatever the tolerance:
 * 1 with the top-left corner in *x, *y, the mean channel difference in
 * *mean and the tolerance screenmatch_image() would need to take it in
 * *tol; 0 when nothing on the screen is even like it (a mean grey
 * difference over 96 everywhere).  What a failed search reports.
 */
int	 screenmatch_image_nearest(const struct screenmatch_img *scr,
	    const struct screenmatch_img *ref, int *x, int *y, double *mean,
	    int *tol);

#endif
