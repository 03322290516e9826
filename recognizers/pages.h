/*
 * pages.h - from the paths a user gives to the page images OCR reads.
 *
 * A path may be an image (PNG, JPEG, TIFF, BMP, PNM, WebP, ...), a
 * multi-page TIFF (one entry per page), a PDF of scans (rendered page by
 * page at 300 dpi with Ghostscript into a private temporary directory), or
 * a directory (its image and PDF files, not recursively, in name order).
 * Pages are listed first and loaded later, one at a time, so that a batch
 * can decode them in parallel and never holds more than it reads.
 *
 * A file that cannot be read (empty, not an image, a damaged PDF) is listed
 * as one page carrying its error, so that one bad file in a folder costs
 * that file's result and nothing else.  Before a page is decoded, its size
 * is read from the file's header and checked against a pixel limit: a small
 * file can hold a picture of billions of pixels.
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
	char	*error;		/* why the file cannot be read, or NULL */
};

/* Pages larger than this many pixels are refused unless told otherwise:
 * an A3 page at 600 dpi is 70 million. */
#define PAGES_MAX_PIXELS_DEFAULT	100000000L

struct page_list {
	struct page_src	*v;
	size_t		 n;
	char		*tmpdir;	/* rendered PDF pages, or NULL */
};

/*
 * List the pages of path into *out (initially zeroed).  For a directory,
 * pattern (a glob such as "*.png", or NULL for every image and PDF) selects
 * the files by name.  A file that cannot be read is listed as a page with
 * its error set.  Returns 0, or -1 with "PATH: message" in err when path
 * itself does not exist or is a directory that cannot be listed; what was
 * listed before stays in *out (free it with pages_free()).
 */
int	pages_add(struct page_list *out, const char *path,
	    const char *pattern, char *err, size_t errlen);

/*
 * Decode one page, after checking from the file's header that it has at
 * most max_pixels pixels (0: PAGES_MAX_PIXELS_DEFAULT).  NULL with a
 * message in err (the page's listed error, a page too large, a file that
 * does not decode).  The caller destroys the result.
 */
struct Pix	*pages_load(const struct page_src *p, long max_pixels,
		    char *err, size_t errlen);

/*
 * The pixel limit asked for in text ("80000000", "80M", "1.5G"): 0 with
 * *out set, or -1 when text is not a positive count.
 */
int	pages_parse_pixels(const char *text, long *out);

/* Free the list and remove the temporary directory, if any. */
void	pages_free(struct page_list *);

#endif
