/*
 * form.h - form templates and reading a scanned form against one.
 *
 * A template (YAML, in scripts/templates/, described in docs/ocr.md)
 * gives the printed page size, the fixed printed texts (titles, anchors,
 * instructions) and, for every field, where its value is written (a zone in
 * millimetres or in fractions of the page, usually a ruled box), what it is
 * (text, number, amount, date, era date, phone, postal code, code from a
 * list, seal), and how to check it.  form_template_load() reports every
 * problem as "file:line:col: message".
 *
 * form_read_page() locates the template on a scanned page (the scan may be
 * shifted, at another resolution, or rotated a few degrees), reads each
 * field, normalises and validates it, and says which fields, and so whether
 * the page, need a person to look at them.
 *
 * Ownership: a struct form_template owns all it points to; a struct
 * form_page owns its results, which point into the template (keep the
 * template alive while the page is used).
 */
#ifndef KOBITO_FORM_H
#define KOBITO_FORM_H

#include <regex.h>
#include <stddef.h>
#include <jansson.h>

#include "normalize.h"
#include "preprocess.h"

struct Pix;

/* A rectangle in millimetres on the template's page. */
struct form_rect {
	double	x, y, w, h;
};

/* Where a field's value lies relative to its printed label. */
enum form_side {
	FORM_SIDE_RIGHT,	/* label on the left, value to its right */
	FORM_SIDE_BELOW,	/* label above, value below */
};

/* A fixed printed text: a title, a heading, an instruction. */
struct form_text {
	char		*name;		/* may be NULL */
	char		*text;
	struct form_rect at;		/* where it is printed */
	double		 size;		/* points */
	int		 anchor;	/* used to locate the page */
	char		*lang;
	int		 line, col;
};

struct form_field {
	char		*name;
	char		*label;		/* printed label, or NULL */
	enum form_side	 side;
	int		 by_label;	/* locate the zone from the label */
	struct form_rect zone;		/* the value's zone (nominal) */
	int		 ruled;		/* the zone is a ruled box */
	char		*anchor;	/* moves with this anchor text, or NULL */
	char		*lang;		/* tesseract language string */
	int		 vertical;	/* vertical Japanese (jpn_vert) */
	int		 multiline;	/* the zone may hold several lines */
	struct norm_spec spec;		/* kind, whitelist, pattern, list */
	int		 required;
	double		 min_conf;	/* below this: low_confidence */
	double		 size;		/* nominal print size in points (0: auto) */
	int		 line, col;	/* where it was defined */
};

/*
 * A check across fields, declared by the template:
 *   sum      the terms add up to equals (line items = subtotal;
 *            subtotal + tax = total)
 *   product  the terms multiplied make equals (quantity x unit price =
 *            line amount), rounded to equals' decimals
 *   tax      equals is rate percent of the one term (the base), rounded
 *            the way the form says (floor: 切り捨て, the usual; round;
 *            ceil) to equals' decimals (yen: whole yen)
 * When a check holds, its fields have an opinion independent of their
 * reading: a misread digit would break it.  When it does not, each of them
 * is flagged, since any one may be the misread.
 */
enum form_check_kind {
	FORM_CHECK_SUM,
	FORM_CHECK_PRODUCT,
	FORM_CHECK_TAX,
};

enum form_rounding {
	FORM_ROUND_FLOOR,
	FORM_ROUND_HALF_UP,
	FORM_ROUND_CEIL,
};

struct form_check {
	enum form_check_kind kind;
	char		**terms;	/* fields summed, multiplied, or the
					   tax's base */
	size_t		 nterms;
	char		*equals;	/* the field the result must equal */
	double		 rate;		/* tax: percent */
	enum form_rounding rounding;	/* tax and product */
	int		 line, col;
};

enum form_register {
	FORM_REG_AUTO,			/* boxes when there are any, else anchors */
	FORM_REG_BOXES,			/* match the ruled boxes */
	FORM_REG_ANCHORS,		/* find the anchor texts */
	FORM_REG_NONE,			/* trust the scan's position */
};

struct form_template {
	char		*path;
	char		*name;
	char		*title;
	double		 page_w, page_h;	/* millimetres */
	char		*lang;			/* default field language */
	enum form_register reg;
	struct prep_opts prep;
	double		 min_conf;		/* default field threshold */
	struct form_text *texts;
	size_t		 ntexts;
	struct form_field *fields;
	size_t		 nfields;
	struct form_check *checks;
	size_t		 nchecks;
};

/*
 * Load a template.  NULL on failure with every problem found, one per line
 * "file:line:col: message", in err.
 */
struct form_template	*form_template_load(const char *path, char *err,
			    size_t errlen);
/* The same from text, named name in messages. */
struct form_template	*form_template_load_string(const char *name,
			    const char *text, size_t len, char *err,
			    size_t errlen);
void			 form_template_free(struct form_template *);

/*
 * Whether values v (the check's terms in order, then its equals: n of
 * them) satisfy check c, equals being written in steps of unit (1 yen,
 * 0.01 dollars: a product or a tax is rounded to it).
 */
int	form_check_holds(const struct form_check *c, const double *v,
	    size_t n, double unit);
/*
 * A check as the template writes it - {"sum": [FIELDS], "equals": F},
 * {"product": [FIELDS], "equals": F, "rounding": R}, {"tax": FIELD,
 * "rate": P, "equals": F, "rounding": R} - and back: form_check_from_json
 * fills *c (free with form_check_clear), or returns -1 with a message.
 * For checks made again where the template is not (a review station).
 */
json_t	*form_check_json(const struct form_check *c);
int	form_check_from_json(const json_t *j, struct form_check *c, char *err,
	    size_t errlen);
void	form_check_clear(struct form_check *c);
/* The field called name, or NULL. */
const struct form_field	*form_field_find(const struct form_template *,
			    const char *name);

enum field_status {
	FIELD_OK,
	FIELD_MISSING,			/* nothing written, or not found */
	FIELD_INVALID,			/* does not normalise or validate */
	FIELD_LOW_CONFIDENCE,		/* read, but not sure enough */
};

const char	*field_status_name(enum field_status);

/*
 * One reading of a field: which model read which preparation of the zone,
 * what it read and what that normalised to.  Every reading is kept, for a
 * person reviewing the field and for the checks across fields.
 */
struct field_reading {
	char		*raw;		/* owned */
	json_t		*value;		/* a reference, or NULL when the text
					   did not normalise */
	double		 conf;
	char		*by;		/* owned: "eng otsu 100%" */
	const char	*model;		/* static: the independent source */
};

struct field_result {
	const struct form_field	*field;	/* borrowed from the template */
	json_t			*value;	/* normalised, a reference; json null
					   when missing or invalid */
	char			*raw;	/* the text as read */
	double			 conf;	/* 0..100 */
	int			 box[4];/* x, y, w, h in the input image */
	enum field_status	 status;
	char			*reason;/* why not ok, or NULL */
	/*
	 * The independent opinions the value has: models whose readings
	 * agree on it, a check digit, a list entry, a check across fields.
	 * A field is ok only with two.  evidence names each (owned
	 * strings).
	 */
	int			 opinions;
	char			**evidence;
	size_t			 nevidence;
	/* Low confidence only for want of a second opinion: a check across
	 * fields that holds makes it ok. */
	int			 pending;
	struct field_reading	*readings;	/* owned */
	size_t			 nreadings;
};

/* Add an opinion to fr, named by why (copied). */
void	field_result_add_evidence(struct field_result *fr, const char *why);

struct form_page {
	struct field_result	*fields;	/* one per template field */
	size_t			 nfields;
	int			 review;	/* a person must look at it */
	char			**reasons;	/* why, one per problem */
	size_t			 nreasons;
	/* How the page was found: for logs and tests. */
	double			 skew_deg;	/* rotation corrected */
	double			 dx_mm, dy_mm;	/* shift corrected */
	double			 dpi;		/* resolution of the input */
	int			 located;	/* registration succeeded */
};

/*
 * Read one page image (any depth; not modified, not kept) against t, with
 * the calling thread's engines.  Fills *page (freed with form_page_free()).
 * Returns 0 - also when fields are missing or the page needs review - or -1
 * with a message in err when the page cannot be processed at all.
 */
int	form_read_page(const struct form_template *t, struct Pix *pix,
	    struct form_page *page, char *err, size_t errlen);
void	form_page_free(struct form_page *);

/*
 * The page as JSON (a new reference):
 *   {"fields": {NAME: {"value", "raw", "confidence", "box": [x,y,w,h],
 *    "status", "opinions", "evidence": [...], "readings": [{"by", "raw",
 *    "value", "confidence"}, ...]}, ...}, "review": bool,
 *    "reasons": [...], "located": {...}}
 * with "status" one of ok, missing, invalid, low_confidence and, when not
 * ok, "reason".  docs/ocr.md describes each key.
 */
json_t	*form_page_json(const struct form_page *);

#endif
