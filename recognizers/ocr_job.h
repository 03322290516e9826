/*
 * ocr_job.h - OCR over a list of pages, on every core: what `kobito ocr`
 * and the ocr.* actions share.
 *
 * With a template, each page is read as a form (form.h); without, its full
 * text is read with words, lines, boxes and confidences.  Results come back
 * as JSON in page order; docs/ocr.md describes the format.
 */
#ifndef KOBITO_OCR_JOB_H
#define KOBITO_OCR_JOB_H

#include <jansson.h>

#include "form.h"
#include "pages.h"

struct ocr_job {
	const struct form_template *tmpl;	/* NULL: full-page text */
	const char	*lang;			/* text mode: "eng", "jpn+eng" */
	int		 psm;			/* text mode; 0: automatic */
	int		 threads;		/* 0: one per processor */
	long		 max_pixels;		/* pages larger are refused; 0:
						   $KOBITO_OCR_MAX_PIXELS, else
						   PAGES_MAX_PIXELS_DEFAULT */
	/* Polled between pages; non-zero skips the pages not yet begun. */
	int		(*cancelled)(void *);
	void		*cancel_arg;
};

/*
 * Read every page of pages.  Returns {"pages": [...]} (a new reference);
 * each page carries "file" and "page" (from 1), then either the form's
 * "fields", "review", "reasons" and "located", or the text mode's "text",
 * "lines", "words" and "confidence" - or "error" when the page could not be
 * read at all.  *nerrors receives the number of such pages.
 */
json_t	*ocr_job_run(const struct ocr_job *job, const struct page_list *pages,
	    int *nerrors);

/*
 * Full-page text of one image (for ocr.text and the screen readers): a new
 * {"text", "lines", "words", "confidence"} object, or NULL with a message
 * in err.
 */
json_t	*ocr_page_text(struct Pix *pix, const char *lang, int psm, char *err,
	    size_t errlen);

/*
 * Find a template by path, or by name in $KOBITO_TEMPLATES and
 * scripts/templates (NAME or NAME.yaml).  Returns a path the caller frees,
 * or NULL when none exists.
 */
char	*ocr_template_path(const char *name);

#endif
