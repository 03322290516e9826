/*
 * xlsx_fill.c - values into a template workbook, touching as little of it
 * as possible.
 *
 * Each edited sheet's XML is streamed through expat (without namespace
 * processing, so every name and prefix comes back as written) and
 * written out again event by event; only the cells being filled are
 * replaced (keeping their style index), cells and rows the template lacks
 * are inserted in order, and formula cells drop their now stale cached
 * values.  The workbook part gets fullCalcOnLoad so that Excel and
 * LibreOffice recompute on opening.  The archive is then copied and only
 * those parts replaced: libzip carries every other member over with its
 * compressed bytes untouched.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "buf.h"
#include "fsutil.h"
#include "textutil.h"
#include "xlsx.h"
#include "xmalloc.h"

/* A rewritten part may not grow past this. */
#define PART_CAP	(512u * 1024 * 1024)

struct lent {
	uint32_t	 row, col;
	char		 s[16];
};

struct rw {
	struct xlsx_parse	 p;		/* first: the handlers' data */
	struct xlsx		*x;
	struct buf		 out;
	const struct xlsx_edit	**ed;		/* this sheet's, sorted */
	size_t			 ned, next;
	int			 pending;	/* a start tag left open */
	int			 in_data;
	uint32_t		 row, col;
	int			 in_row;
	/* a cell being replaced: its children are skipped */
	const struct xlsx_edit	*target;
	char			 target_s[16];
	int			 skip;		/* depth inside it */
	/* a formula cell passed through: its <v> is dropped */
	int			 in_cell, cell_has_f, drop;
	/* formats lent by style rows */
	struct lent		*lent;
	size_t			 nlent;
};

static const char *
local(const char *name)
{
	const char *c = strrchr(name, ':');

	return c != NULL ? c + 1 : name;
}

static void
esc(struct buf *b, const char *s, size_t len, int attr)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, attr ? "&quot;" : "\""); break;
		case '\n': buf_puts(b, attr ? "&#10;" : "\n"); break;
		case '\r': buf_puts(b, "&#13;"); break;
		case '\t': buf_puts(b, attr ? "&#9;" : "\t"); break;
		default: buf_putc(b, s[i]);
		}
	}
}

static void
close_pending(struct rw *w)
{
	if (w->pending) {
		buf_putc(&w->out, '>');
		w->pending = 0;
	}
}

static void
emit_start(struct rw *w, const char *name, const char **atts,
    const char *drop)
{
	close_pending(w);
	buf_printf(&w->out, "<%s", name);
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		if (drop != NULL && strcmp(local(atts[i]), drop) == 0)
			continue;
		buf_printf(&w->out, " %s=\"", atts[i]);
		esc(&w->out, atts[i + 1], strlen(atts[i + 1]), 1);
		buf_putc(&w->out, '"');
	}
	w->pending = 1;
}

static void
emit_end(struct rw *w, const char *name)
{
	if (w->pending) {
		buf_puts(&w->out, "/>");
		w->pending = 0;
		return;
	}
	buf_printf(&w->out, "</%s>", name);
}

/* Write the cell an edit makes, with style s ("" for none). */
static void
emit_cell(struct rw *w, const struct xlsx_edit *e, const char *s)
{
	const char *kind;
	char ref[16], num[64];
	double serial;

	close_pending(w);
	xlsx_ref_name(e->row, e->col, ref, sizeof ref);
	buf_printf(&w->out, "<c r=\"%s\"", ref);
	if (s[0] != '\0')
		buf_printf(&w->out, " s=\"%s\"", s);
	kind = s[0] ? xlsx_style_date_kind(w->x, (unsigned)strtoul(s, NULL,
	    10)) : NULL;
	switch (e->kind) {
	case XLSX_V_BLANK:
		buf_puts(&w->out, "/>");
		return;
	case XLSX_V_NUMBER:
		text_number(e->num, num, sizeof num);
		buf_printf(&w->out, "><v>%s</v></c>", num);
		return;
	case XLSX_V_BOOL:
		buf_printf(&w->out, " t=\"b\"><v>%d</v></c>", e->num != 0);
		return;
	case XLSX_V_DATE:
		if (kind != NULL && xlsx_serial_from_iso(e->str, &serial) == 0) {
			text_number(serial, num, sizeof num);
			buf_printf(&w->out, "><v>%s</v></c>", num);
			return;
		}
		/* FALLTHROUGH */
	case XLSX_V_STRING:
		buf_puts(&w->out, " t=\"inlineStr\"><is><t xml:space=\""
		    "preserve\">");
		esc(&w->out, e->str, strlen(e->str), 0);
		buf_puts(&w->out, "</t></is></c>");
		return;
	}
}

/* The format a style row lends to column col, or "". */
static const char *
lent_style(const struct rw *w, const struct xlsx_edit *e)
{
	for (size_t i = 0; i < w->nlent; i++)
		if (w->lent[i].row == e->style_row && w->lent[i].col == e->col)
			return w->lent[i].s;
	return "";
}

static int
is_style_row(const struct rw *w, uint32_t row)
{
	for (size_t i = 0; i < w->ned; i++)
		if (w->ed[i]->style_row == row)
			return 1;
	return 0;
}

/* Emit the edits of row `row` with columns below `col` (new cells). */
static void
flush_cells(struct rw *w, uint32_t row, uint32_t col)
{
	while (w->next < w->ned && w->ed[w->next]->row == row &&
	    w->ed[w->next]->col < col) {
		emit_cell(w, w->ed[w->next], lent_style(w, w->ed[w->next]));
		w->next++;
	}
}

/* Emit whole new rows for the edits above row `row`. */
static void
flush_rows(struct rw *w, uint32_t row)
{
	while (w->next < w->ned && w->ed[w->next]->row < row) {
		uint32_t r = w->ed[w->next]->row;

		close_pending(w);
		buf_printf(&w->out, "<row r=\"%u\">", r);
		flush_cells(w, r, UINT32_MAX);
		buf_puts(&w->out, "</row>");
	}
}

static int
row_has_edits(const struct rw *w, uint32_t row)
{
	return w->next < w->ned && w->ed[w->next]->row == row;
}

static void XMLCALL
rw_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct rw *w = ud;
	const char *ln = local(name), *v;
	uint32_t r, c;

	if (w->target != NULL) {
		if (strcmp(ln, "f") == 0 && w->skip == 0) {
			char ref[16];

			xlsx_ref_name(w->target->row, w->target->col, ref,
			    sizeof ref);
			xlsx_parse_stop(&w->p, "cell %s holds a formula; a "
			    "template's formulas are not overwritten", ref);
		}
		w->skip++;
		return;
	}
	if (w->drop > 0) {
		w->drop++;
		return;
	}
	if (strcmp(ln, "sheetData") == 0) {
		w->in_data = 1;
	} else if (w->in_data && strcmp(ln, "row") == 0) {
		v = xlsx_attr(atts, "r");
		w->row = v != NULL ? (uint32_t)strtoul(v, NULL, 10) :
		    w->row + 1;
		w->col = 0;
		w->in_row = 1;
		flush_rows(w, w->row);
		emit_start(w, name, atts, row_has_edits(w, w->row) ?
		    "spans" : NULL);
		return;
	} else if (w->in_row && strcmp(ln, "c") == 0) {
		v = xlsx_attr(atts, "r");
		c = w->col + 1;
		if (v != NULL && xlsx_ref_parse(v, &r, &c) == 0)
			c = w->col + 1;
		w->col = c;
		flush_cells(w, w->row, c);
		v = xlsx_attr(atts, "s");
		if (v != NULL && strlen(v) < sizeof w->lent[0].s &&
		    is_style_row(w, w->row)) {
			w->lent = xreallocarray(w->lent, w->nlent + 1,
			    sizeof *w->lent);
			w->lent[w->nlent].row = w->row;
			w->lent[w->nlent].col = c;
			snprintf(w->lent[w->nlent++].s, sizeof w->lent[0].s,
			    "%s", v);
		}
		if (row_has_edits(w, w->row) && w->ed[w->next]->col == c) {
			w->target = w->ed[w->next++];
			snprintf(w->target_s, sizeof w->target_s, "%s",
			    v != NULL ? v : "");
			w->skip = 0;
			return;
		}
		w->in_cell = 1;
		w->cell_has_f = 0;
	} else if (w->in_cell && strcmp(ln, "f") == 0) {
		w->cell_has_f = 1;
	} else if (w->in_cell && w->cell_has_f && strcmp(ln, "v") == 0) {
		w->drop = 1;	/* the cached value of a formula: stale */
		return;
	}
	emit_start(w, name, atts, NULL);
}

static void XMLCALL
rw_end(void *ud, const XML_Char *name)
{
	struct rw *w = ud;
	const char *ln = local(name);

	if (w->target != NULL) {
		if (w->skip-- > 0)
			return;
		emit_cell(w, w->target, w->target_s);
		w->target = NULL;
		return;
	}
	if (w->drop > 0) {
		w->drop--;
		return;
	}
	if (strcmp(ln, "c") == 0) {
		w->in_cell = 0;
	} else if (strcmp(ln, "row") == 0 && w->in_row) {
		flush_cells(w, w->row, UINT32_MAX);
		w->in_row = 0;
	} else if (strcmp(ln, "sheetData") == 0) {
		flush_rows(w, UINT32_MAX);
		w->in_data = 0;
	}
	emit_end(w, name);
}

static void XMLCALL
rw_text(void *ud, const XML_Char *s, int len)
{
	struct rw *w = ud;

	if (w->target != NULL || w->drop > 0)
		return;
	close_pending(w);
	esc(&w->out, s, (size_t)len, 0);
	if (w->out.len >= PART_CAP)
		xlsx_parse_stop(&w->p, "the part grows past %u bytes",
		    PART_CAP);
}

static void XMLCALL
rw_decl(void *ud, const XML_Char *version, const XML_Char *encoding,
    int standalone)
{
	struct rw *w = ud;

	(void)encoding;
	buf_printf(&w->out, "<?xml version=\"%s\" encoding=\"UTF-8\"%s?>\r\n",
	    version ? version : "1.0", standalone == 1 ?
	    " standalone=\"yes\"" : "");
}

static void XMLCALL
rw_comment(void *ud, const XML_Char *s)
{
	struct rw *w = ud;

	close_pending(w);
	buf_printf(&w->out, "<!--%s-->", s);
}

static void XMLCALL
rw_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	struct rw *w = ud;

	close_pending(w);
	buf_printf(&w->out, "<?%s %s?>", target, data);
}

/* --- the workbook part: recalculate on opening ----------------------------- */

struct wbrw {
	struct rw	 w;		/* first */
	int		 depth, done;
};

static int
after_calcpr(const char *ln)
{
	static const char *const later[] = { "oleSize",
	    "customWorkbookViews", "pivotCaches", "smartTagPr",
	    "smartTagTypes", "webPublishing", "fileRecoveryPr",
	    "webPublishObjects", "extLst", NULL };

	for (size_t i = 0; later[i] != NULL; i++)
		if (strcmp(later[i], ln) == 0)
			return 1;
	return 0;
}

static void XMLCALL
wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct wbrw *b = ud;
	const char *ln = local(name);

	b->depth++;
	if (b->depth == 2 && !b->done && strcmp(ln, "calcPr") == 0) {
		emit_start(&b->w, name, atts, "fullCalcOnLoad");
		buf_puts(&b->w.out, " fullCalcOnLoad=\"1\"");
		b->done = 1;
		return;
	}
	if (b->depth == 2 && !b->done && after_calcpr(ln)) {
		close_pending(&b->w);
		buf_puts(&b->w.out, "<calcPr fullCalcOnLoad=\"1\"/>");
		b->done = 1;
	}
	emit_start(&b->w, name, atts, NULL);
}

static void XMLCALL
wb_end(void *ud, const XML_Char *name)
{
	struct wbrw *b = ud;

	if (b->depth-- == 1 && !b->done) {
		close_pending(&b->w);
		buf_puts(&b->w.out, "<calcPr fullCalcOnLoad=\"1\"/>");
		b->done = 1;
	}
	emit_end(&b->w, name);
}

static void
rw_init(struct rw *w, struct xlsx *x)
{
	memset(w, 0, sizeof *w);
	w->x = x;
	buf_init(&w->out, PART_CAP + 65536);
	w->p.raw = 1;
	w->p.start = rw_start;
	w->p.end = rw_end;
	w->p.text = rw_text;
	w->p.decl = rw_decl;
	w->p.comment = rw_comment;
	w->p.pi = rw_pi;
}

/* --- the archive ----------------------------------------------------------- */

static int
edit_cmp(const void *pa, const void *pb)
{
	const struct xlsx_edit *a = *(const struct xlsx_edit *const *)pa;
	const struct xlsx_edit *b = *(const struct xlsx_edit *const *)pb;

	if (a->sheet != b->sheet)
		return a->sheet < b->sheet ? -1 : 1;
	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

static int
replace_part(zip_t *z, const char *part, struct buf *data, char *err,
    size_t errlen)
{
	zip_int64_t idx = zip_name_locate(z, part, ZIP_FL_NOCASE);
	zip_source_t *src;
	size_t len;
	char *bytes;

	if (idx < 0) {
		snprintf(err, errlen, "the copy lacks part '%s'", part);
		return -1;
	}
	bytes = buf_detach(data, &len);
	src = zip_source_buffer(z, bytes, len, 1);
	if (src == NULL) {
		free(bytes);
		snprintf(err, errlen, "%s", zip_strerror(z));
		return -1;
	}
	if (zip_file_replace(z, (zip_uint64_t)idx, src, 0) != 0) {
		zip_source_free(src);
		snprintf(err, errlen, "%s", zip_strerror(z));
		return -1;
	}
	return 0;
}

/* Rewrite one sheet with its edits into w->out. */
static int
rewrite_sheet(struct xlsx *x, const struct xlsx_edit **ed, size_t n,
    struct rw *w, char *err, size_t errlen)
{
	const struct xlsx_sheet *sh = xlsx_sheet_at(x, ed[0]->sheet);
	char *label;
	int rc;

	rw_init(w, x);
	w->ed = ed;
	w->ned = n;
	label = xasprintf("sheet '%s'", sh->name);
	w->p.label = label;
	rc = xlsx_part_parse(x, sh->part, &w->p, err, errlen);
	free(label);
	free(w->lent);
	if (rc == 0 && w->next < w->ned) {
		snprintf(err, errlen, "'%s' sheet '%s': the sheet has no "
		    "<sheetData> to write into", xlsx_path(x), sh->name);
		rc = -1;
	}
	return rc;
}

int
xlsx_fill(struct xlsx *x, const char *out, const struct xlsx_edit *e,
    size_t n, char *err, size_t errlen)
{
	const struct xlsx_edit **ed;
	struct wbrw wb;
	struct rw w;
	zip_t *z = NULL;
	char *tmp, zerr_text[256];
	int zerr, rc = -1;
	size_t i, j;

	ed = xcalloc(n + 1, sizeof *ed);
	for (i = 0; i < n; i++)
		ed[i] = &e[i];
	qsort(ed, n, sizeof *ed, edit_cmp);
	for (i = 1; i < n; i++)
		if (edit_cmp(&ed[i - 1], &ed[i]) == 0) {
			char ref[16];

			xlsx_ref_name(ed[i]->row, ed[i]->col, ref, sizeof ref);
			snprintf(err, errlen, "cell %s of sheet '%s' is "
			    "given two values", ref, xlsx_sheet_at(x,
			    ed[i]->sheet)->name);
			free(ed);
			return -1;
		}
	tmp = xasprintf("%s.part", out);
	if (fsutil_mkdir_parent(out, err, errlen) != 0 ||
	    fsutil_copy(xlsx_path(x), tmp, 1, err, errlen) != 0)
		goto out;
	if ((z = zip_open(tmp, 0, &zerr)) == NULL) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		snprintf(err, errlen, "cannot reopen the copy of '%s': %s",
		    xlsx_path(x), zip_error_strerror(&ze));
		zip_error_fini(&ze);
		goto out;
	}
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && ed[j]->sheet == ed[i]->sheet; j++)
			;
		if (rewrite_sheet(x, ed + i, j - i, &w, err, errlen) != 0) {
			buf_free(&w.out);
			goto out;
		}
		if (replace_part(z, xlsx_sheet_at(x, ed[i]->sheet)->part,
		    &w.out, zerr_text, sizeof zerr_text) != 0) {
			buf_free(&w.out);
			snprintf(err, errlen, "cannot write '%s': %s", out,
			    zerr_text);
			goto out;
		}
	}
	memset(&wb, 0, sizeof wb);
	rw_init(&wb.w, x);
	wb.w.p.start = wb_start;
	wb.w.p.end = wb_end;
	if (xlsx_part_parse(x, xlsx_workbook_part(x), &wb.w.p, err,
	    errlen) != 0 || replace_part(z, xlsx_workbook_part(x), &wb.w.out,
	    zerr_text, sizeof zerr_text) != 0) {
		if (wb.w.out.data != NULL)
			snprintf(err, errlen, "cannot write '%s': %s", out,
			    zerr_text);
		buf_free(&wb.w.out);
		goto out;
	}
	if (zip_close(z) != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", out,
		    zip_strerror(z));
		goto out;
	}
	z = NULL;
	if (fsutil_move(tmp, out, 1, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	if (z != NULL)
		zip_discard(z);
	remove(tmp);
	free(tmp);
	free(ed);
	return rc;
}
