/*
 * form_priv.h - what the parts of the form reader share: form_read.c (the
 * page: resolution, registration, anchors, output), form_field.c (one
 * field: its zone, the readings, the vote) and form_check.c (checks across
 * fields).  Not for use outside recognizers/form_*.c.
 */
#ifndef KOBITO_FORM_PRIV_H
#define KOBITO_FORM_PRIV_H

#include <stddef.h>

#include "form.h"
#include "ocr.h"
#include "preprocess.h"

#define BOX_SLACK	3.0	/* local box search around the zone, mm */
#define LABEL_GAP	2.5	/* label to value zone, mm */
#define BOX_INSET	0.8	/* kept clear inside a ruled box's lines, mm */
#define LABEL_PT	10.5	/* labels are looked for as print this size */

/* Where an anchor text was found, relative to where the template puts it. */
struct anchor_hit {
	int	found;
	double	dx, dy;		/* deskewed px */
};

/* Everything about one page being read. */
struct reader {
	const struct form_template	*t;
	struct prep_page		 pp;
	double				 sx, sy;	/* deskewed px per mm */
	double				 ox, oy;	/* deskewed px of (0,0) */
	double				 zoom;		/* crop px per deskewed px */
	int				 located;
	int				 ambiguous;	/* two placements
							   fit alike */
	int				 boxes;		/* ruled zones read */
	int				 boxes_found;	/* ... whose box was seen */
	int				 lossy;		/* a fax, a JPEG or a scan
							   below 200 dpi: fields
							   need more confidence */
	struct anchor_hit		*anchors;	/* per template text */
	char				*err;
	size_t				 errlen;
};

/* Deskewed px of a template point (millimetres). */
double	form_map_x(const struct reader *, double mm);
double	form_map_y(const struct reader *, double mm);

/* The lowest symbol confidence of any word (0 when there are none). */
double	form_result_conf(const struct ocr_result *);

/*
 * OCR the deskewed rectangle (x, y, w, h) in mode psm and look for text
 * printed about pt points high (0: LABEL_PT); on success box receives the
 * phrase's deskewed box.  name names the search for KOBITO_OCR_DEBUG's
 * crops (search-NAME-PSM.png).
 */
int	form_locate_text(struct reader *r, const char *lang, const char *text,
	    double pt, double x, double y, double w, double h,
	    enum ocr_psm psm, double box[4], const char *name);

/* Save pix as DIR/NAME-PASS.png when KOBITO_OCR_DEBUG=DIR is set. */
void	form_debug_save(struct Pix *pix, const char *name, int pass);

/* Replace fr's reason. */
void	form_set_reason(struct field_result *fr, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Read field f on the page into fr (form_field.c).  0, or -1 with a
 * message in r->err when the page cannot be processed. */
int	form_read_field(struct reader *r, const struct form_field *f,
	    struct field_result *fr);

/* Add a reason to the page's list. */
void	form_add_reason(struct form_page *page, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* ---- form_text.c ---- */

/* When a jpn reading of a Japanese line ends in digits mixed with kana
 * that look like them (１－ read ユー), replace that run in res by the
 * digits and hyphens an eng reading of pix ends with, when they fit. */
void	form_fix_digit_runs(struct Pix *pix, struct ocr_result *res);
/* The groups of digits of text, in order, joined by '-' ("1-9-2-7"); the
 * caller frees it. */
char	*form_digit_groups(const char *text);
/* The ASCII digits of text (made half-width first); the caller frees it. */
char	*form_digits_of(const char *text);
/* Whether the digit groups want ("6-10-2") stand whole in got. */
int	form_has_groups(const char *got, const char *want);
/* Why a Latin text's letters look misread (a static string), or NULL. */
const char *form_case_doubt(const char *text);
/* Why a word of two capitals looks like a misread code ("AU" for "A4"),
 * or NULL. */
const char *form_caps_doubt(const char *text);
/* Whether text has a ha-row kana with a voiced or semi-voiced mark. */
int	form_ha_marks(const char *text);
/* Whether text has no ASCII letter or digit (kanji, kana, spaces). */
int	form_kanji_kana_only(const char *text);

/* The template's checks across fields, on a page whose fields are read
 * (form_check.c). */
void	form_apply_checks(const struct form_template *t,
	    struct form_page *page);

#endif
