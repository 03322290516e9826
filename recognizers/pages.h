/*
 * pages.h - from the paths a user gives to the page images OCR reads.
 *
 * A path may be an image (PNG, JPEG, TIFF, BMP, PNM, WebP, ...), a
 * multi-page TIFF (one entry per page), a PDF of scans (rendered page by
 * page at 300 dpi with Ghostscript into a private temporary directory), or
 * a directory (its image and PDF files, not recursively, in name order).
 * Pages are listed first and loaded later, one at a time, so that a batch
 * can decode them in parallel and never holds more than it reads.
 */
#ifndef KOBITO_PAGES_H
#define KOBITO_PAGES_H

#include <stddef.h>

struct Pix;

struct page_src {
	char	*path;		/* the file the user named (or found) */
	int	 index;		/* page within it, from 0 */
	int	 count;		/* pages in that file */
	char	*image;		/* the file to decode (a rendered PDF page),
				   or NULL for path itself */
};

struct page_list {
	struct page_src	*v;
	size_t		 n;
	char		*tmpdir;	/* rendered PDF pages, or NULL */
};

/*
 * List the pages of path into *out (initially zeroed).  For a directory,
 * pattern (a glob such as "*.png", or NULL for every image and PDF) selects
 * the files by name.  Returns 0, or -1 with "PATH: message" in err; what
 * was listed before the failure stays in *out (free it with pages_free()).
 */
int	pages_add(struct page_list *out, const char *path,
	    const char *pattern, char *err, size_t errlen);

/* Decode one page; NULL with a message in err.  The caller destroys it. */
struct Pix	*pages_load(const struct page_src *p, char *err, size_t errlen);

/* Free the list and remove the temporary directory, if any. */
void	pages_free(struct page_list *);

#endif
