/*
 * xlsx_sheet.c - streaming one worksheet's XML, row by row.
 *
 * expat hands us <row>, <c>, <v>, <f>, <is> events straight from the
 * inflater; the cells of the current row are gathered in a small array
 * (their text in one buffer reused from row to row) and handed to the
 * caller at </row>.  Nothing else of the sheet is kept, except the merged
 * ranges, which are few and come after the data.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xlsx.h"
#include "xmalloc.h"

/* A row's text (values, formulas) may not pass this. */
#define ROW_TEXT_CAP	(64u * 1024 * 1024)
/* One cell's text: Excel's limit is 32,767 characters. */
#define CELL_TEXT_CAP	(1024u * 1024)

enum celltype { CT_NUMBER, CT_SHARED, CT_INLINE, CT_STR, CT_BOOL, CT_ERROR,
	CT_ISODATE };

struct shared_f {
	long		 si;
	char		*text;
	uint32_t	 row, col;
};

struct sheetparse {
	struct xlsx_parse	 p;		/* first: the handlers' data */
	struct xlsx		*x;
	unsigned		 flags;
	xlsx_row_fn		 fn;
	void			*arg;
	int			 merges_only;
	int			 in_data;	/* inside <sheetData> */
	/* the current row */
	int			 in_row;
	uint32_t		 row, last_row;
	int			 row_hidden;
	struct xlsx_cell	*cells;
	size_t			 ncells, cells_cap;
	size_t			*str_off, *f_off;	/* into rowtext, or
							   SIZE_MAX */
	struct buf		 rowtext;
	/* the current cell */
	int			 in_cell;
	uint32_t		 col, last_col;
	enum celltype		 ct;
	unsigned		 style;
	int			 in_v, in_f, in_is, in_t, in_rph;
	struct buf		 v, f, is;
	char			 f_type_buf[16];
	long			 f_si_n;
	/* shared formulas by their si */
	struct shared_f		*shared;
	size_t			 nshared;
	/* merged ranges */
	struct xlsx_range	*merges;
	size_t			 nmerges;
};

static void
set_celltype(struct sheetparse *s, const char *t)
{
	static const struct {
		const char	*name;
		enum celltype	 ct;
	} types[] = {
		{ "n", CT_NUMBER }, { "s", CT_SHARED }, { "inlineStr", CT_INLINE },
		{ "str", CT_STR }, { "b", CT_BOOL }, { "e", CT_ERROR },
		{ "d", CT_ISODATE }, { NULL, CT_NUMBER },
	};

	s->ct = CT_NUMBER;
	for (size_t i = 0; t != NULL && types[i].name != NULL; i++)
		if (strcmp(types[i].name, t) == 0)
			s->ct = types[i].ct;
}

static void
row_begin(struct sheetparse *s, const char **atts)
{
	const char *r = xlsx_attr(atts, "r"), *h = xlsx_attr(atts, "hidden");
	unsigned long n;

	s->in_row = 1;
	s->row = s->last_row + 1;
	if (r != NULL && (n = strtoul(r, NULL, 10)) > 0 && n <= XLSX_MAX_ROWS)
		s->row = (uint32_t)n;
	s->row_hidden = h != NULL && (strcmp(h, "1") == 0 ||
	    strcmp(h, "true") == 0);
	s->ncells = 0;
	s->last_col = 0;
	buf_reset(&s->rowtext);
}

static void
cell_begin(struct sheetparse *s, const char **atts)
{
	const char *r = xlsx_attr(atts, "r"), *st = xlsx_attr(atts, "s");
	uint32_t row, col;

	s->in_cell = 1;
	s->col = s->last_col + 1;
	if (r != NULL && xlsx_ref_parse(r, &row, &col) > 0)
		s->col = col;
	s->style = st != NULL ? (unsigned)strtoul(st, NULL, 10) : 0;
	set_celltype(s, xlsx_attr(atts, "t"));
	buf_reset(&s->v);
	buf_reset(&s->f);
	buf_reset(&s->is);
	s->f_type_buf[0] = '\0';
	s->f_si_n = -1;
}

static void
formula_begin(struct sheetparse *s, const char **atts)
{
	const char *t = xlsx_attr(atts, "t"), *si = xlsx_attr(atts, "si");

	s->in_f = 1;
	snprintf(s->f_type_buf, sizeof s->f_type_buf, "%s", t ? t : "");
	s->f_si_n = si != NULL ? strtol(si, NULL, 10) : -1;
}

static void XMLCALL
sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sheetparse *s = ud;
	const char *ln = xlsx_local_name(name), *ref;
	struct xlsx_range r;

	if (strcmp(ln, "mergeCell") == 0) {
		if ((ref = xlsx_attr(atts, "ref")) != NULL &&
		    xlsx_range_parse(ref, &r) == 0) {
			s->merges = xreallocarray(s->merges, s->nmerges + 1,
			    sizeof *s->merges);
			s->merges[s->nmerges++] = r;
		}
		return;
	}
	if (strcmp(ln, "sheetData") == 0) {
		s->in_data = 1;
		return;
	}
	if (s->merges_only || !s->in_data)
		return;
	if (strcmp(ln, "row") == 0)
		row_begin(s, atts);
	else if (strcmp(ln, "c") == 0 && s->in_row)
		cell_begin(s, atts);
	else if (!s->in_cell)
		return;
	else if (strcmp(ln, "v") == 0)
		s->in_v = 1;
	else if (strcmp(ln, "f") == 0)
		formula_begin(s, atts);
	else if (strcmp(ln, "is") == 0)
		s->in_is = 1;
	else if (strcmp(ln, "rPh") == 0)
		s->in_rph++;	/* furigana runs are not the text */
	else if (strcmp(ln, "t") == 0 && s->in_is && !s->in_rph)
		s->in_t = 1;
}

static void XMLCALL
sheet_text(void *ud, const XML_Char *t, int len)
{
	struct sheetparse *s = ud;
	struct buf *b = s->in_v ? &s->v : s->in_f ? &s->f :
	    s->in_t ? &s->is : NULL;

	if (b != NULL && buf_append(b, t, (size_t)len) != 0)
		xlsx_parse_stop(&s->p, "a cell's text passes %u bytes",
		    CELL_TEXT_CAP);
}

/* Put text in the row's buffer; its offset, or SIZE_MAX on overflow. */
static size_t
keep_text(struct sheetparse *s, const char *t, size_t len)
{
	size_t off = s->rowtext.len;

	if (buf_append(&s->rowtext, t, len) != 0 ||
	    buf_putc(&s->rowtext, '\0') != 0) {
		xlsx_parse_stop(&s->p, "a row's text passes %u bytes",
		    ROW_TEXT_CAP);
		return SIZE_MAX;
	}
	return off;
}

/* The formula text of the cell just ended, kept in the row; or SIZE_MAX. */
static size_t
cell_formula(struct sheetparse *s)
{
	char *shifted;
	size_t off;

	if (!(s->flags & XLSX_FORMULAS) || (s->f.len == 0 &&
	    strcmp(s->f_type_buf, "shared") != 0))
		return SIZE_MAX;
	if (strcmp(s->f_type_buf, "shared") == 0 && s->f_si_n >= 0) {
		if (s->f.len > 0) {
			/* the master: remember it for the cells it covers */
			s->shared = xreallocarray(s->shared, s->nshared + 1,
			    sizeof *s->shared);
			s->shared[s->nshared].si = s->f_si_n;
			s->shared[s->nshared].text = xstrdup(buf_str(&s->f));
			s->shared[s->nshared].row = s->row;
			s->shared[s->nshared++].col = s->col;
			return keep_text(s, s->f.data, s->f.len);
		}
		for (size_t i = s->nshared; i-- > 0;) {
			struct shared_f *m = &s->shared[i];

			if (m->si != s->f_si_n)
				continue;
			shifted = xlsx_formula_shift(m->text,
			    (long)s->row - (long)m->row,
			    (long)s->col - (long)m->col);
			off = keep_text(s, shifted, strlen(shifted));
			free(shifted);
			return off;
		}
		return SIZE_MAX;
	}
	return keep_text(s, s->f.data, s->f.len);
}

static void
cell_end(struct sheetparse *s)
{
	struct xlsx_cell *c;
	const char *kind, *txt = NULL;
	size_t len = 0, off = SIZE_MAX, foff;
	char iso[32], *end;

	s->in_cell = 0;
	s->last_col = s->col;
	foff = cell_formula(s);
	if (s->ncells == s->cells_cap) {
		s->cells_cap = s->cells_cap ? s->cells_cap * 2 : 16;
		s->cells = xreallocarray(s->cells, s->cells_cap,
		    sizeof *s->cells);
		s->str_off = xreallocarray(s->str_off, s->cells_cap,
		    sizeof *s->str_off);
		s->f_off = xreallocarray(s->f_off, s->cells_cap,
		    sizeof *s->f_off);
	}
	c = &s->cells[s->ncells];
	memset(c, 0, sizeof *c);
	c->row = s->row;
	c->col = s->col;
	c->style = s->style;
	switch (s->ct) {
	case CT_SHARED:
		txt = xlsx_shared_string(s->x, strtoul(buf_str(&s->v), NULL,
		    10), &len);
		if (s->v.len == 0 || txt == NULL) {
			if (s->v.len == 0)
				goto none;
			xlsx_ref_name(s->row, s->col, iso, sizeof iso);
			xlsx_parse_stop(&s->p, "cell %s names shared "
			    "string %s, which does not exist", iso,
			    buf_str(&s->v));
			return;
		}
		c->type = XLSX_STRING;
		break;
	case CT_INLINE:
		c->type = XLSX_STRING;
		off = keep_text(s, buf_str(&s->is), s->is.len);
		break;
	case CT_STR:
		c->type = XLSX_STRING;
		off = keep_text(s, buf_str(&s->v), s->v.len);
		break;
	case CT_ERROR:
		c->type = XLSX_ERROR;
		off = keep_text(s, buf_str(&s->v), s->v.len);
		break;
	case CT_BOOL:
		if (s->v.len == 0)
			goto none;
		c->type = XLSX_BOOL;
		c->num = strcmp(buf_str(&s->v), "1") == 0 ||
		    strcmp(buf_str(&s->v), "true") == 0;
		break;
	case CT_ISODATE:
		if (s->v.len == 0)
			goto none;
		c->type = XLSX_DATE;
		len = s->v.len;
		if (len == 19 && strcmp(s->v.data + 10, "T00:00:00") == 0 &&
		    (kind = xlsx_style_date_kind(s->x, s->style)) != NULL &&
		    strcmp(kind, "date") == 0)
			len = 10;
		off = keep_text(s, s->v.data, len);
		xlsx_serial_from_iso(buf_str(&s->v), &c->num);
		break;
	case CT_NUMBER:
		if (s->v.len == 0)
			goto none;
		c->num = strtod(buf_str(&s->v), &end);
		if (*end != '\0' || !isfinite(c->num)) {
			c->type = XLSX_STRING;	/* not what a number holds */
			off = keep_text(s, s->v.data, s->v.len);
			break;
		}
		c->type = XLSX_NUMBER;
		if ((kind = xlsx_style_date_kind(s->x, s->style)) != NULL &&
		    xlsx_serial_text(c->num, xlsx_date1904(s->x), kind, iso,
		    sizeof iso) == 0) {
			c->type = XLSX_DATE;
			off = keep_text(s, iso, strlen(iso));
		}
		break;
	}
	c->str = txt;
	c->len = len;
	s->str_off[s->ncells] = off;
	s->f_off[s->ncells] = foff;
	s->ncells++;
	return;
none:
	/* no value; a formula without a cached value still counts */
	if (foff == SIZE_MAX)
		return;
	c->type = XLSX_NONE;
	c->str = NULL;
	s->str_off[s->ncells] = SIZE_MAX;
	s->f_off[s->ncells] = foff;
	s->ncells++;
}

static void
row_end(struct sheetparse *s)
{
	struct xlsx_row r;
	int rc;

	s->in_row = 0;
	s->last_row = s->row;
	if (s->ncells == 0 && !s->row_hidden)
		return;
	/* The row's text buffer is complete: turn offsets into pointers. */
	for (size_t i = 0; i < s->ncells; i++) {
		struct xlsx_cell *c = &s->cells[i];

		if (s->str_off[i] != SIZE_MAX) {
			c->str = s->rowtext.data + s->str_off[i];
			c->len = strlen(c->str);
		}
		c->formula = s->f_off[i] != SIZE_MAX ?
		    s->rowtext.data + s->f_off[i] : NULL;
	}
	r.row = s->row;
	r.hidden = s->row_hidden;
	r.cells = s->cells;
	r.ncells = s->ncells;
	rc = s->fn(s->arg, &r, s->p.err, sizeof s->p.err);
	if (rc < 0)
		XML_StopParser(s->p.parser, XML_FALSE);
	else if (rc > 0)
		xlsx_parse_done(&s->p);
}

static void XMLCALL
sheet_end(void *ud, const XML_Char *name)
{
	struct sheetparse *s = ud;
	const char *ln = xlsx_local_name(name);

	if (s->merges_only)
		return;
	if (strcmp(ln, "sheetData") == 0)
		s->in_data = 0;
	else if (!s->in_data)
		return;
	else if (strcmp(ln, "row") == 0 && s->in_row)
		row_end(s);
	else if (strcmp(ln, "c") == 0 && s->in_cell)
		cell_end(s);
	else if (strcmp(ln, "v") == 0)
		s->in_v = 0;
	else if (strcmp(ln, "f") == 0)
		s->in_f = 0;
	else if (strcmp(ln, "is") == 0)
		s->in_is = 0;
	else if (strcmp(ln, "rPh") == 0 && s->in_rph > 0)
		s->in_rph--;
	else if (strcmp(ln, "t") == 0)
		s->in_t = 0;
}

static void
sheetparse_free(struct sheetparse *s)
{
	free(s->cells);
	free(s->str_off);
	free(s->f_off);
	buf_free(&s->rowtext);
	buf_free(&s->v);
	buf_free(&s->f);
	buf_free(&s->is);
	for (size_t i = 0; i < s->nshared; i++)
		free(s->shared[i].text);
	free(s->shared);
	free(s->merges);
}

static int
run(struct xlsx *x, size_t i, struct sheetparse *s, char *err, size_t errlen)
{
	const struct xlsx_sheet *sh = xlsx_sheet_at(x, i);
	char *label;
	int rc;

	if (sh == NULL) {
		snprintf(err, errlen, "'%s' has no sheet %zu", xlsx_path(x),
		    i + 1);
		return -1;
	}
	s->x = x;
	s->p.start = sheet_start;
	s->p.end = sheet_end;
	s->p.text = s->merges_only ? NULL : sheet_text;
	buf_init(&s->rowtext, ROW_TEXT_CAP);
	buf_init(&s->v, CELL_TEXT_CAP);
	buf_init(&s->f, CELL_TEXT_CAP);
	buf_init(&s->is, CELL_TEXT_CAP);
	label = xasprintf("sheet '%s'", sh->name);
	s->p.label = label;
	rc = xlsx_part_parse(x, sh->part, &s->p, err, errlen);
	free(label);
	return rc;
}

int
xlsx_sheet_read(struct xlsx *x, size_t i, unsigned flags, xlsx_row_fn fn,
    void *arg, struct xlsx_sheet_extra *extra, char *err, size_t errlen)
{
	struct sheetparse s;
	int rc;

	memset(&s, 0, sizeof s);
	s.flags = flags;
	s.fn = fn;
	s.arg = arg;
	rc = run(x, i, &s, err, errlen);
	if (rc == 0 && extra != NULL) {
		extra->merges = s.merges;
		extra->nmerges = s.nmerges;
		s.merges = NULL;
	}
	sheetparse_free(&s);
	return rc;
}

int
xlsx_sheet_merges(struct xlsx *x, size_t i, struct xlsx_range **out,
    size_t *n, char *err, size_t errlen)
{
	struct sheetparse s;
	int rc;

	memset(&s, 0, sizeof s);
	s.merges_only = 1;
	rc = run(x, i, &s, err, errlen);
	*out = rc == 0 ? s.merges : NULL;
	*n = rc == 0 ? s.nmerges : 0;
	if (rc == 0)
		s.merges = NULL;
	sheetparse_free(&s);
	return rc;
}
