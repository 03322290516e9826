/*
 * preprocess.h - the leptonica pipeline that turns a scan into images
 * tesseract reads well.
 *
 * Work is split in two so that a form costs little more than the zones it
 * needs.  prep_page_init() looks at the whole page once, at reduced
 * resolution: grayscale, binarisation, skew.  prep_crop() then cuts one
 * zone out of the full-resolution grey page, rotated by the page's skew and
 * scaled to the resolution tesseract reads best, and prep_clean() turns that
 * crop into a clean binary image: background normalisation, adaptive
 * binarisation, removal of ruled lines and specks, trimming and padding.
 *
 * Coordinates.  "Input" pixels are those of the image given.  "Deskewed"
 * pixels are input pixels after rotating the page about its centre by the
 * skew angle; they have the input's resolution.  Templates are laid out in
 * deskewed pixels; prep_to_input() maps back.
 *
 * Ownership: every function returning a PIX returns a new one the caller
 * destroys with pixDestroy(); PIX arguments are never consumed.
 */
#ifndef KOBITO_PREPROCESS_H
#define KOBITO_PREPROCESS_H

struct Pix;
struct Box;

enum prep_binarize {
	PREP_BIN_AUTO,		/* Otsu on clean crops, Sauvola on uneven ones */
	PREP_BIN_OTSU,
	PREP_BIN_SAUVOLA,
};

/* Per-template choices; prep_opts_default() gives the automatic ones. */
struct prep_opts {
	int			deskew;		/* find and correct skew */
	double			max_skew;	/* degrees searched either way */
	int			background;	/* normalise the background */
	enum prep_binarize	binarize;
	int			remove_lines;	/* ruled lines and box edges */
	int			despeckle;	/* specks smaller than this in
						   width and height (pixels at
						   300 dpi) go; 0: off */
	int			target_dpi;	/* zones are read at this */
};

void	prep_opts_default(struct prep_opts *);

/*
 * Silence leptonica's own messages on stderr (kobito reports what matters
 * itself), unless KOBITO_OCR_DEBUG is set.  Done once; any thread may call.
 */
void	prep_quiet(void);

struct prep_page {
	struct Pix	*gray;		/* the input as 8 bpp, or NULL when it
					   has colour */
	struct Pix	*color;		/* the input as 32 bpp, or NULL when the
					   input had no colour */
	struct Pix	*small;		/* binary, deskewed, reduced by factor */
	int		 factor;	/* deskewed px per small px */
	double		 angle;		/* skew corrected, radians, clockwise */
	double		 skew_conf;	/* leptonica's confidence, 0 if none */
	double		 dpi;		/* of the input */
	int		 w, h;		/* input size */
};

/*
 * Prepare a page image of dpi dots per inch (as estimated by the caller).
 * Returns 0, or -1 with a message in err (unsupported depth, empty image).
 */
int	prep_page_init(struct prep_page *pp, struct Pix *in, double dpi,
	    const struct prep_opts *opts, char *err, size_t errlen);
void	prep_page_free(struct prep_page *pp);

/* Map a deskewed point to input pixels and back. */
void	prep_to_input(const struct prep_page *pp, double dx, double dy,
	    double *ix, double *iy);
void	prep_from_input(const struct prep_page *pp, double ix, double iy,
	    double *dx, double *dy);
/* The input-pixel bounding box of a deskewed rectangle. */
void	prep_rect_to_input(const struct prep_page *pp, double x, double y,
	    double w, double h, int box[4]);

/*
 * Cut the deskewed rectangle (x, y, w, h), grown by margin on every side,
 * out of the page, as grey, and scale it by scale (output px per deskewed
 * px).
 * Returns the crop; *ox, *oy receive the deskewed position of its top-left
 * corner (before scaling).  Parts outside the page are white.  When color
 * is set the crop is cut from the colour page instead (NULL when the input
 * had none).
 */
struct Pix	*prep_crop(const struct prep_page *pp, double x, double y,
		    double w, double h, double margin, double scale, int color,
		    double *ox, double *oy);

/* prep_binarize() flags */
#define PREP_BACKGROUND	0x1	/* normalise the background first */
#define PREP_SMOOTH	0x2	/* 3x3 mean first: tames noise and specks */
#define PREP_PAGE	0x4	/* a whole page: specks removed too */

/*
 * 8 bpp grey to 1 bpp, black text = 1, with one Otsu threshold - or none
 * at all when the darkest class is too close to the paper to be ink (an
 * empty, noisy zone stays empty).  With PREP_PAGE, specks are removed.
 */
struct Pix	*prep_binarize(struct Pix *gray, enum prep_binarize how,
		    unsigned flags);

/*
 * Masks of the horizontal (at least hlen px long) and vertical (vlen px)
 * lines of a binary image; either length may be 0 to skip that direction.
 * The caller destroys both.
 */
void	prep_line_masks(struct Pix *bin, int hlen, int vlen,
	    struct Pix **hmask, struct Pix **vmask);

/*
 * Clean a binary zone image for recognition: remove ruled lines (longer
 * than hlen / vlen; 0 skips), specks narrower and lower than speck px, and
 * components that only touch the border (remains of a box edge).  Returns
 * the cleaned image, or NULL when nothing that could be writing is left;
 * *box receives the content's bounding box in bin's coordinates.
 */
struct Pix	*prep_clean(struct Pix *bin, int hlen, int vlen, int speck,
		    int box[4]);

/* Trim a binary image to box and pad it by pad white pixels all round. */
struct Pix	*prep_frame(struct Pix *bin, const int box[4], int pad);

/*
 * Row (horizontal) or column (vertical) sums of a binary image: prof[i]
 * counts the ON pixels in row / column i.  The caller frees *prof.
 */
void	prep_profile(struct Pix *bin, int horizontal, int **prof, int *n);

#endif
