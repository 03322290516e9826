/*
 * screenread.h - reading text off a capture of the screen: what
 * ui.read_text, ui.wait_text and ui.click_text see.
 *
 * A screen is not a scan.  Its background is never one grey (a window's
 * 245, a field's 255, a border's 200, a selected row's blue), its text may
 * be light on dark, and its characters are 10-16 px high.  One global
 * threshold - what tesseract applies to a whole capture - falls between two
 * of those greys and turns field borders into black bars that its layout
 * analysis then mistakes for text, losing the labels beside them.  So a
 * capture is prepared first:
 *
 *   - polarity: a capture whose commonest grey is dark (a dark theme) is
 *     inverted, so that text is dark on light; each line read on its own is
 *     looked at again, so a selected (inverted) row in a light window reads
 *     too;
 *   - local binarisation (Sauvola: a threshold from the mean and spread of
 *     the pixels around each one) keeps characters and drops faint borders
 *     and flat backgrounds;
 *   - ruled lines, field outlines and the caret are removed, and what is
 *     left is grouped into text lines: the candidate regions.
 *
 * Text is then read whole (tesseract's sparse layout on the cleaned page,
 * at twice the size: its models read 25-30 px text best), or line by line
 * (each candidate region scaled so that its characters are 24 px high and
 * read as one line).  A search reads whole first and, when the text is
 * not there, reads the candidate regions line by line, and those that
 * show at least half of the text's characters again in other renderings
 * (smoothed, larger, with tesseract's Japanese script model), because a
 * misread is far likelier than a text that is not shown.
 *
 * Language.  With lang NULL, a search reads with the language of the text
 * searched (screenread_lang: jpn+eng reads the label 日付 as "Aft", jpn
 * reads it right), and a line-by-line read reads each line with jpn and an
 * all-ASCII line again with eng.
 *
 * Coordinates are pixels of the capture given.  Images given are not kept.
 */
#ifndef KOBITO_SCREENREAD_H
#define KOBITO_SCREENREAD_H

#include <stddef.h>

#include "ocr.h"
#include "screenmatch.h"

struct Pix;
struct screenread_seg;

/* A reading kept for a language, so that a capture searched for several
 * texts is read once in each. */
struct screenread_kept {
	char			*lang;		/* NULL: a free slot */
	struct ocr_result	 res;
};
#define SCREENREAD_KEPT	3	/* jpn, eng, and one more */

/* A capture prepared for reading; screenread_init() fills it. */
struct screenread {
	struct Pix		*grey;		/* 8 bpp, dark text on light */
	struct Pix		*ink;		/* 1 bpp: its text, lines and
						   outlines taken out */
	int			 inverted;	/* the capture was light on dark */
	int			 text_h;	/* typical character height, px */
	struct screenread_seg	*segs;		/* candidate text lines, in
						   reading order */
	size_t			 nsegs;
	struct screenread_kept	 whole[SCREENREAD_KEPT];
};

/*
 * Prepare a capture (8 or 32 bpp, at least 8x8).  Returns 0, or -1 with a
 * message in err.  The caller frees *sr with screenread_free().
 */
int	screenread_init(struct screenread *sr, struct Pix *capture, char *err,
	    size_t errlen);
void	screenread_free(struct screenread *sr);

/*
 * The tesseract languages to read text with: "jpn" when it holds a
 * character outside ASCII (kanji, kana, full-width forms), else "eng".
 * A static string.
 */
const char	*screenread_lang(const char *text);

/* Whether text read with lang is joined the Japanese way (ocr_join). */
int	screenread_cjk(const char *lang);

/*
 * Read the whole capture at once.  lang NULL means "jpn+eng".  Fills *res
 * (words in reading order, boxes in capture px), which the caller frees
 * with ocr_result_free().  0, or -1 with a message in err.
 */
int	screenread_whole(struct screenread *sr, const char *lang,
	    struct ocr_result *res, char *err, size_t errlen);

/*
 * Read every candidate region as one line (each its own line in *res, in
 * reading order); lang NULL picks a language per line (above).  0, or -1
 * with a message in err.
 */
int	screenread_lines(struct screenread *sr, const char *lang,
	    struct ocr_result *res, char *err, size_t errlen);

/* What screenread_find() did, for the log and for errors. */
struct screenread_look {
	char	*seen;		/* the best reading of the capture, one line
				   per region joined with spaces; owned */
	int	 lines;		/* 1 when the line-by-line read ran */
	int	 retries;	/* regions read again in other renderings */
};

void	screenread_look_free(struct screenread_look *);

/*
 * Look for text (matched as screenmatch_text does, after
 * screenmatch_normalise, with its flags: whole words unless
 * SCREENMATCH_CONTAINS) on the capture: its n-th occurrence (from 1) in
 * reading order.  lang NULL: screenread_lang(text).  Returns 1 with *hit
 * filled (box in capture px), 0 when it is not there (*hit zeroed), -1
 * with a message in err.  *look is filled in every case but -1; the caller
 * frees it (screenread_look_free) and *hit (screenmatch_hit_free).
 */
int	screenread_find(struct screenread *sr, const char *lang,
	    const char *text, int n, unsigned flags,
	    struct screenmatch_hit *hit, struct screenread_look *look,
	    char *err, size_t errlen);

#endif
