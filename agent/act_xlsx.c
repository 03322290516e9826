/*
 * act_xlsx.c - xlsx.read: Excel workbooks (.xlsx, .xlsm, and legacy .xls)
 * into rows, named cells and typed values.
 *
 * The workbook is streamed (common/xlsx.c: libzip + expat; common/xls.c:
 * libfreexl for .xls) and each row is turned into JSON as it arrives, so
 * memory holds the result, never the sheet's XML.  Values keep their
 * types: numbers stay numbers, booleans booleans, dates (cells whose
 * format shows a date, including the Japanese era formats) become ISO
 * text.  The file's kind is told by its first bytes, not its name.
 * xlsx.write and xlsx.fill are in act_xlsx_write.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "buf.h"
#include "xls.h"
#include "xlsx.h"
#include "xmalloc.h"

/* A named cell wanted by the cells: argument. */
struct want {
	const char	*key;
	char		*sheet;		/* NULL: the sheet being read */
	long		 sheet_i;
	uint32_t	 row, col;
	json_t		*value;		/* found value (a reference) */
	char		*formula;
};

/* The state of reading one sheet: rows, wanted cells, merges. */
struct collect {
	struct act		*a;
	const char		*path, *sheet;
	int			 want_rows;
	int			 header, skip_empty, skip_hidden, formulas;
	struct xlsx_range	 range;
	uint32_t		 header_row;	/* 0: none yet */
	int			 header_seen;
	json_t			*names;		/* column name per column
						   offset, or null */
	json_t			*columns, *rows, *hidden_rows, *fmap;
	/* merged: fill */
	struct xlsx_range	*merges;
	size_t			 nmerges;
	json_t			**mvals;	/* top-left value per merge */
	/* named cells on this sheet */
	struct want		**wants;
	size_t			 nwants;
	uint32_t		 last_needed;	/* stop after this row */
	size_t			 count;
};

/* A cell's value as JSON (a new reference). */
static json_t *
cell_json(const struct xlsx_cell *c)
{
	switch (c->type) {
	case XLSX_NUMBER:
		if (c->num == floor(c->num) && fabs(c->num) < 9007199254740992.0)
			return json_integer((json_int_t)c->num);
		return json_real(c->num);
	case XLSX_BOOL:
		return json_boolean(c->num != 0);
	case XLSX_STRING:
	case XLSX_DATE:
	case XLSX_ERROR:
		return json_stringn(c->str ? c->str : "", c->len);
	case XLSX_NONE:
		break;
	}
	return json_null();
}

/* A header cell's text: the name its column gets. */
static json_t *
header_name(const struct xlsx_cell *c)
{
	json_t *v = cell_json(c), *s;
	char buf[64];

	if (json_is_string(v))
		return v;
	if (json_is_integer(v))
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
	else
		snprintf(buf, sizeof buf, "%s", json_is_true(v) ? "TRUE" :
		    "FALSE");
	json_decref(v);
	s = json_string(buf);
	return s;
}

static void
take_wants(struct collect *c, const struct xlsx_row *r)
{
	for (size_t w = 0; w < c->nwants; w++) {
		struct want *wt = c->wants[w];

		if (wt->row != r->row)
			continue;
		for (size_t i = 0; i < r->ncells; i++) {
			if (r->cells[i].col != wt->col)
				continue;
			json_decref(wt->value);
			wt->value = cell_json(&r->cells[i]);
			free(wt->formula);
			wt->formula = r->cells[i].formula ?
			    xstrdup(r->cells[i].formula) : NULL;
		}
	}
}

static int
in_range(const struct xlsx_range *g, uint32_t row, uint32_t col)
{
	return row >= g->r1 && row <= g->r2 && col >= g->c1 && col <= g->c2;
}

/* The value at (row, col) of the row: its own, or a merge's top-left. */
static json_t *
value_at(struct collect *c, const struct xlsx_row *r, size_t *ci,
    uint32_t col)
{
	while (*ci < r->ncells && r->cells[*ci].col < col)
		(*ci)++;
	if (*ci < r->ncells && r->cells[*ci].col == col)
		return cell_json(&r->cells[*ci]);
	for (size_t m = 0; m < c->nmerges; m++)
		if (c->mvals[m] != NULL && in_range(&c->merges[m], r->row, col))
			return json_incref(c->mvals[m]);
	return json_null();
}

static void
remember_merge_tops(struct collect *c, const struct xlsx_row *r)
{
	for (size_t m = 0; m < c->nmerges; m++) {
		if (c->merges[m].r1 != r->row)
			continue;
		for (size_t i = 0; i < r->ncells; i++)
			if (r->cells[i].col == c->merges[m].c1) {
				json_decref(c->mvals[m]);
				c->mvals[m] = cell_json(&r->cells[i]);
			}
	}
}

static int
take_header(struct collect *c, const struct xlsx_row *r, char *err,
    size_t errlen)
{
	size_t ci = 0;
	char ref[16];

	c->header_seen = 1;
	for (uint32_t col = c->range.c1; col <= c->range.c2 &&
	    (ci < r->ncells || c->nmerges > 0); col++) {
		json_t *v = value_at(c, r, &ci, col), *name;
		const char *s;

		if (json_is_null(v)) {
			json_decref(v);
			if (c->range.c2 == XLSX_MAX_COLS && ci >= r->ncells)
				break;
			json_array_append_new(c->names, json_null());
			continue;
		}
		if (!json_is_string(v)) {
			struct xlsx_cell tmp = { .type = XLSX_NUMBER };

			tmp.num = json_number_value(v);
			if (json_is_boolean(v)) {
				tmp.type = XLSX_BOOL;
				tmp.num = json_is_true(v);
			}
			json_decref(v);
			v = header_name(&tmp);
		}
		s = json_string_value(v);
		for (size_t j = 0; j < json_array_size(c->columns); j++) {
			if (strcmp(json_string_value(json_array_get(c->columns,
			    j)), s) == 0) {
				xlsx_ref_name(r->row, col, ref, sizeof ref);
				snprintf(err, errlen, "header cell %s repeats "
				    "the column name '%s'", ref, s);
				json_decref(v);
				return -1;
			}
		}
		name = json_string(s);
		json_array_append_new(c->names, name);
		json_array_append(c->columns, name);
		json_decref(v);
	}
	while (json_array_size(c->names) > 0 && json_is_null(json_array_get(
	    c->names, json_array_size(c->names) - 1)))
		json_array_remove(c->names, json_array_size(c->names) - 1);
	return 0;
}

static void
take_formulas(struct collect *c, const struct xlsx_row *r)
{
	char ref[16];

	for (size_t i = 0; i < r->ncells; i++) {
		const struct xlsx_cell *cell = &r->cells[i];

		if (cell->formula == NULL ||
		    !in_range(&c->range, cell->row, cell->col))
			continue;
		xlsx_ref_name(cell->row, cell->col, ref, sizeof ref);
		json_object_set_new(c->fmap, ref, json_string(cell->formula));
	}
}

static void
take_data(struct collect *c, const struct xlsx_row *r)
{
	size_t ci = 0;
	int any = 0;
	json_t *row;

	if (c->header) {
		row = json_object();
		for (size_t k = 0; k < json_array_size(c->names); k++) {
			json_t *name = json_array_get(c->names, k), *v;

			v = value_at(c, r, &ci, c->range.c1 + (uint32_t)k);
			if (json_is_null(name)) {
				json_decref(v);
				continue;
			}
			any |= !json_is_null(v);
			json_object_set_new(row, json_string_value(name), v);
		}
	} else {
		uint32_t last = c->range.c2;

		if (last == XLSX_MAX_COLS)
			last = r->ncells ? r->cells[r->ncells - 1].col : 0;
		row = json_array();
		for (uint32_t col = c->range.c1; col <= last; col++) {
			json_t *v = value_at(c, r, &ci, col);

			any |= !json_is_null(v);
			json_array_append_new(row, v);
		}
	}
	if (!any && c->skip_empty) {
		json_decref(row);
		return;
	}
	json_array_append_new(c->rows, row);
	c->count++;
}

static int
on_row(void *arg, const struct xlsx_row *r, char *err, size_t errlen)
{
	struct collect *c = arg;

	if (c->nwants > 0)
		take_wants(c, r);
	/* A merge may begin above the range and still reach into it. */
	if (c->nmerges > 0)
		remember_merge_tops(c, r);
	if (c->want_rows && r->row >= c->range.r1 && r->row <= c->range.r2) {
		if (r->hidden)
			json_array_append_new(c->hidden_rows,
			    json_integer(r->row));
		if (c->formulas)
			take_formulas(c, r);
		if (c->header && !c->header_seen) {
			if (r->row == c->header_row &&
			    take_header(c, r, err, errlen) != 0)
				return -1;
		} else if (!(r->hidden && c->skip_hidden) && r->ncells > 0) {
			take_data(c, r);
		}
	}
	if (act_cancelled(c->a)) {
		snprintf(err, errlen, "cancelled");
		return -1;
	}
	return r->row >= c->last_needed ? 1 : 0;
}

static void
collect_free(struct collect *c)
{
	json_decref(c->names);
	json_decref(c->columns);
	json_decref(c->rows);
	json_decref(c->hidden_rows);
	json_decref(c->fmap);
	for (size_t m = 0; m < c->nmerges; m++)
		json_decref(c->mvals[m]);
	free(c->mvals);
	free(c->merges);
	free(c->wants);
}

/* --- the workbook, .xlsx or .xls ------------------------------------------ */

struct book {
	struct xlsx	*x;
	struct xls	*xls;
};

static size_t
book_count(const struct book *b)
{
	return b->x ? xlsx_sheet_count(b->x) : xls_sheet_count(b->xls);
}

static const char *
book_name(const struct book *b, size_t i)
{
	return b->x ? xlsx_sheet_at(b->x, i)->name : xls_sheet_name(b->xls, i);
}

static int
book_hidden(const struct book *b, size_t i)
{
	return b->x ? xlsx_sheet_at(b->x, i)->visibility != XLSX_VISIBLE : 0;
}

static long
book_find(const struct book *b, const char *name)
{
	if (b->x)
		return xlsx_sheet_find(b->x, name);
	for (size_t i = 0; i < xls_sheet_count(b->xls); i++)
		if (strcmp(xls_sheet_name(b->xls, i), name) == 0)
			return (long)i;
	return -1;
}

static int
book_open(struct act *a, const char *path, struct book *b)
{
	struct xlsx_limits lim = { 0, 0 };
	long long mb = act_int(a, "max_inflated_mb", 0);
	char err[1024];
	int kind;

	memset(b, 0, sizeof *b);
	if ((kind = xlsx_sniff(path, err, sizeof err)) < 0)
		return act_fail(a, "%s", err);
	if (kind == XLSX_KIND_OLE) {
		if (xls_open(path, &b->xls, err, sizeof err) != 0)
			return act_fail(a, "%s", err);
		return 0;
	}
	if (kind == XLSX_KIND_OTHER)
		return act_fail(a, "'%s' is not an Excel workbook (neither "
		    ".xlsx nor .xls)", path);
	if (mb < 0)
		return act_fail(a, "max_inflated_mb must not be negative");
	lim.part = lim.total = (uint64_t)mb * 1024 * 1024;
	if (xlsx_open(path, &lim, &b->x, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	return 0;
}

static void
book_close(struct book *b)
{
	xlsx_close(b->x);
	xls_close(b->xls);
}

static int
book_stream(struct act *a, struct book *b, size_t i, struct collect *c,
    struct xlsx_sheet_extra *extra)
{
	char err[1024];
	int rc;

	if (b->x)
		rc = xlsx_sheet_read(b->x, i, c->formulas ? XLSX_FORMULAS : 0,
		    on_row, c, extra, err, sizeof err);
	else
		rc = xls_sheet_read(b->xls, i, on_row, c, err, sizeof err);
	return rc != 0 ? act_fail(a, "%s", err) : 0;
}

/* The sheet argument: a name, or a number counting from 1. */
static long
pick_sheet(struct act *a, struct book *b, const char *path)
{
	json_t *s = act_arg(a, "sheet");
	long i;

	if (s == NULL || json_is_null(s))
		return 0;
	if (json_is_integer(s)) {
		i = (long)json_integer_value(s);
		if (i < 1 || (size_t)i > book_count(b)) {
			act_fail(a, "'%s' has %zu sheet%s; there is no sheet "
			    "%ld", path, book_count(b), book_count(b) == 1 ?
			    "" : "s", i);
			return -1;
		}
		return i - 1;
	}
	if (!json_is_string(s)) {
		act_fail(a, "sheet must be a name or a number from 1");
		return -1;
	}
	if ((i = book_find(b, json_string_value(s))) < 0) {
		struct buf names;

		buf_init(&names, 1024);
		for (size_t k = 0; k < book_count(b); k++)
			buf_printf(&names, "%s'%s'", k ? ", " : "",
			    book_name(b, k));
		act_fail(a, "'%s' has no sheet '%s' (its sheets: %s)", path,
		    json_string_value(s), buf_str(&names));
		buf_free(&names);
		return -1;
	}
	return i;
}

/* --- named cells -------------------------------------------------------------- */

/* Resolve the cells: argument into wants[]; count in *n. */
static struct want *
resolve_cells(struct act *a, struct book *b, long sheet, size_t *n)
{
	json_t *cells = act_arg(a, "cells"), *v;
	struct want *w;
	const char *key, *ref;
	char err[512];
	size_t i = 0, si;

	*n = json_object_size(cells);
	w = xcalloc(*n + 1, sizeof *w);
	json_object_foreach(cells, key, v) {
		struct xlsx_range r;
		char *sh = NULL;

		w[i].key = key;
		w[i].sheet_i = sheet;
		if ((ref = json_string_value(v)) == NULL) {
			act_fail(a, "cells: '%s' must name a cell such as "
			    "C3 or '表紙'!C3", key);
			goto fail;
		}
		if (b->x != NULL) {
			if (xlsx_resolve_cell(b->x, ref, (size_t)sheet, &si,
			    &w[i].row, &w[i].col, err, sizeof err) != 0) {
				act_fail(a, "cells: '%s': %s", key, err);
				goto fail;
			}
			w[i++].sheet_i = (long)si;
			continue;
		}
		/* .xls: references only; freexl knows no names */
		if (xlsx_qualified_parse(ref, &sh, &r) != 0 || r.r1 != r.r2 ||
		    r.c1 != r.c2 || (sh != NULL &&
		    (w[i].sheet_i = book_find(b, sh)) < 0)) {
			free(sh);
			act_fail(a, "cells: '%s': '%s' is not a cell of the "
			    "workbook", key, ref);
			goto fail;
		}
		free(sh);
		w[i].row = r.r1;
		w[i].col = r.c1;
		i++;
	}
	return w;
fail:
	free(w);
	return NULL;
}

/* --- one sheet's result --------------------------------------------------------- */

static int
collect_init(struct act *a, struct collect *c, const char *path,
    int want_rows)
{
	const char *range = act_str(a, "range", NULL);
	const char *merged = act_str(a, "merged", "top-left");

	memset(c, 0, sizeof *c);
	c->a = a;
	c->path = path;
	c->want_rows = want_rows;
	c->header = act_bool(a, "header", 1);
	c->skip_empty = act_bool(a, "skip_empty", 1);
	c->skip_hidden = act_bool(a, "skip_hidden", 0);
	c->formulas = act_bool(a, "formulas", 0);
	c->range = (struct xlsx_range){ 1, 1, XLSX_MAX_ROWS, XLSX_MAX_COLS };
	if (range != NULL && xlsx_range_parse(range, &c->range) != 0)
		return act_fail(a, "range must look like B5:H40, not '%s'",
		    range);
	c->header_row = (uint32_t)act_int(a, "header_row", range ?
	    c->range.r1 : 1);
	if (range == NULL)
		c->range.r1 = c->header ? c->header_row : 1;
	if (c->header_row < c->range.r1 || c->header_row > c->range.r2)
		return act_fail(a, "header_row %u lies outside the range %s",
		    c->header_row, range ? range : "");
	if (strcmp(merged, "fill") != 0 && strcmp(merged, "top-left") != 0)
		return act_fail(a, "merged must be 'top-left' (the value in "
		    "the first cell only) or 'fill', not '%s'", merged);
	c->names = json_array();
	c->columns = json_array();
	c->rows = json_array();
	c->hidden_rows = json_array();
	c->fmap = json_object();
	c->last_needed = want_rows ? c->range.r2 : 0;
	return 0;
}

/* Read sheet i into a new object, with the wants that live on it. */
static json_t *
read_sheet(struct act *a, struct book *b, const char *path, size_t i,
    int want_rows, struct want *w, size_t nw)
{
	struct xlsx_sheet_extra extra = { NULL, 0 };
	struct collect c;
	json_t *out = NULL, *merged;
	char err[1024];

	if (collect_init(a, &c, path, want_rows) != 0) {
		collect_free(&c);
		return NULL;
	}
	c.sheet = book_name(b, i);
	c.wants = xcalloc(nw + 1, sizeof *c.wants);
	for (size_t k = 0; k < nw; k++) {
		if (w[k].sheet_i != (long)i)
			continue;
		c.wants[c.nwants++] = &w[k];
		if (w[k].row > c.last_needed)
			c.last_needed = w[k].row;
	}
	if (want_rows && b->x &&
	    strcmp(act_str(a, "merged", "top-left"), "fill") == 0) {
		if (xlsx_sheet_merges(b->x, i, &c.merges, &c.nmerges, err,
		    sizeof err) != 0) {
			act_fail(a, "%s", err);
			goto out;
		}
		c.mvals = xcalloc(c.nmerges + 1, sizeof *c.mvals);
	}
	if (book_stream(a, b, i, &c, want_rows ? &extra : NULL) != 0)
		goto out;
	if (!want_rows) {
		out = json_object();
		goto out;
	}
	if (c.header && !c.header_seen) {
		act_fail(a, "'%s' sheet '%s': the header row %u is empty",
		    path, c.sheet, c.header_row);
		goto out;
	}
	merged = json_array();
	for (size_t m = 0; m < extra.nmerges; m++) {
		char r1[16], r2[16];

		xlsx_ref_name(extra.merges[m].r1, extra.merges[m].c1, r1,
		    sizeof r1);
		xlsx_ref_name(extra.merges[m].r2, extra.merges[m].c2, r2,
		    sizeof r2);
		json_array_append_new(merged, json_sprintf("%s:%s", r1, r2));
	}
	out = json_pack("{s:s, s:b, s:O, s:I, s:O, s:O, s:o}", "sheet", c.sheet,
	    "hidden", book_hidden(b, i), "rows", c.rows, "count",
	    (json_int_t)c.count, "columns", c.columns, "hidden_rows",
	    c.hidden_rows, "merged", merged);
	if (c.formulas)
		json_object_set(out, "formulas", c.fmap);
out:
	free(extra.merges);
	collect_free(&c);
	return out;
}

static json_t *
sheet_list(const struct book *b, int hidden_only)
{
	json_t *l = json_array();

	for (size_t i = 0; i < book_count(b); i++)
		if (!hidden_only || book_hidden(b, i))
			json_array_append_new(l, json_string(book_name(b, i)));
	return l;
}

/* Stream every other sheet that holds wanted cells. */
static int
read_other_wants(struct act *a, struct book *b, const char *path,
    long main, struct want *w, size_t nw)
{
	for (size_t i = 0; i < book_count(b); i++) {
		int needed = 0;
		json_t *o;

		if ((long)i == main)
			continue;
		for (size_t k = 0; k < nw; k++)
			needed |= w[k].sheet_i == (long)i;
		if (!needed)
			continue;
		if ((o = read_sheet(a, b, path, i, 0, w, nw)) == NULL)
			return -1;
		json_decref(o);
	}
	return 0;
}

static json_t *
cells_output(struct want *w, size_t nw, int formulas, json_t **fout)
{
	json_t *cells = json_object();

	*fout = formulas ? json_object() : NULL;
	for (size_t k = 0; k < nw; k++) {
		json_object_set(cells, w[k].key, w[k].value ? w[k].value :
		    json_null());
		if (formulas && w[k].formula != NULL)
			json_object_set_new(*fout, w[k].key,
			    json_string(w[k].formula));
	}
	return cells;
}

static void
wants_free(struct want *w, size_t nw)
{
	for (size_t k = 0; k < nw; k++) {
		json_decref(w[k].value);
		free(w[k].formula);
	}
	free(w);
}

static int
do_read(struct act *a)
{
	const char *path = act_str(a, "path", "");
	int all = act_bool(a, "all_sheets", 0);
	int only_cells = act_arg(a, "cells") != NULL &&
	    act_arg(a, "range") == NULL && act_arg(a, "header_row") == NULL;
	struct want *w = NULL;
	size_t nw = 0;
	struct book b;
	json_t *out = NULL, *o, *cf;
	long main;
	int rc = -1;

	if (book_open(a, path, &b) != 0)
		return -1;
	if ((main = pick_sheet(a, &b, path)) < 0)
		goto out;
	if (act_arg(a, "cells") != NULL &&
	    (w = resolve_cells(a, &b, main, &nw)) == NULL)
		goto out;
	if (all) {
		json_t *sheets = json_array();

		for (size_t i = 0; i < book_count(&b); i++) {
			if ((o = read_sheet(a, &b, path, i, 1, w, nw)) ==
			    NULL) {
				json_decref(sheets);
				goto out;
			}
			json_array_append_new(sheets, o);
		}
		out = json_pack("{s:o}", "sheets", sheets);
	} else {
		if ((out = read_sheet(a, &b, path, (size_t)main, !only_cells,
		    w, nw)) == NULL)
			goto out;
		if (read_other_wants(a, &b, path, main, w, nw) != 0)
			goto out;
		if (only_cells)
			json_object_set_new(out, "sheet",
			    json_string(book_name(&b, (size_t)main)));
	}
	json_object_set_new(out, "sheet_names", sheet_list(&b, 0));
	json_object_set_new(out, "hidden_sheets", sheet_list(&b, 1));
	if (w != NULL) {
		json_object_set_new(out, "cells", cells_output(w, nw,
		    act_bool(a, "formulas", 0), &cf));
		if (cf != NULL)
			json_object_set_new(out, "cell_formulas", cf);
	}
	if (b.x != NULL)
		json_object_set_new(out, "date1904",
		    json_boolean(xlsx_date1904(b.x)));
	a->out = out;
	out = NULL;
	rc = 0;
out:
	json_decref(out);
	if (w != NULL)
		wants_free(w, nw);
	book_close(&b);
	return rc;
}

static const struct action_arg read_args[] = {
	{ "path", ARG_PATH_READ, 1, "the workbook (.xlsx, .xlsm or .xls)" },
	{ "sheet", ARG_ANY, 0,
	    "a sheet name, or its number from 1 (default the first)" },
	{ "all_sheets", ARG_BOOL, 0, "read every sheet into sheets[]" },
	{ "header", ARG_BOOL, 0,
	    "name the fields after the header row (default true)" },
	{ "header_row", ARG_INT, 0,
	    "the row holding the header (default 1, or the range's first)" },
	{ "range", ARG_STRING, 0, "only these cells, e.g. B5:H40" },
	{ "cells", ARG_MAP, 0,
	    "single cells by key: { 課名: C3, 合計: H41 } or defined names" },
	{ "merged", ARG_STRING, 0,
	    "top-left (default: the value in the first cell) or fill" },
	{ "formulas", ARG_BOOL, 0, "also give each formula's text" },
	{ "skip_empty", ARG_BOOL, 0, "leave out empty rows (default true)" },
	{ "skip_hidden", ARG_BOOL, 0, "leave out hidden rows (default false)" },
	{ "max_inflated_mb", ARG_INT, 0,
	    "refuse a part that inflates past this (default 1024)" },
	{ NULL, 0, 0, NULL },
};

extern const struct action_arg xlsx_write_args[], xlsx_fill_args[];
int	xlsx_do_write(struct act *);
int	xlsx_do_fill(struct act *);

/* Every member xlsx.read may give; which ones depends on its arguments. */
static const struct action_out read_out[] = {
	{ "sheet", ARG_STRING, "the sheet read" },
	{ "hidden", ARG_BOOL, "whether that sheet is hidden" },
	{ "rows", ARG_LIST, "the rows: objects by header (header: true), "
	    "else lists" },
	{ "count", ARG_INT, "the number of rows" },
	{ "columns", ARG_LIST, "the column names, in order" },
	{ "hidden_rows", ARG_LIST, "the numbers of the hidden rows" },
	{ "merged", ARG_LIST, "the merged ranges, e.g. A1:G1" },
	{ "formulas", ARG_MAP, "with formulas: cell -> formula text" },
	{ "sheets", ARG_LIST, "with all_sheets: each sheet's members as "
	    "above" },
	{ "cells", ARG_MAP, "with cells: key -> value" },
	{ "cell_formulas", ARG_MAP, "with cells and formulas: key -> "
	    "formula text" },
	{ "sheet_names", ARG_LIST, "every sheet's name, in order" },
	{ "hidden_sheets", ARG_LIST, "the names of the hidden sheets" },
	{ "date1904", ARG_BOOL, "whether the workbook counts dates from "
	    "1904 (.xlsx only)" },
	{ NULL, 0, NULL },
};

static const struct action_out write_out[] = {
	{ "path", ARG_STRING, "the workbook written" },
	{ "sheets", ARG_LIST, "each sheet as {name, rows}" },
	{ NULL, 0, NULL },
};

static const struct action_out fill_out[] = {
	{ "path", ARG_STRING, "the workbook written" },
	{ "template", ARG_STRING, "the template it was filled from" },
	{ "cells", ARG_INT, "the number of cells filled" },
	{ NULL, 0, NULL },
};

/* A dry run reads workbooks for real; the writers describe their writes. */
const struct action xlsx_actions[] = {
	{ "xlsx.read", "read an Excel workbook's rows, cells and typed values",
	    read_args, do_read, 0, NULL, ARG_MAP, read_out, ACTION_DRY_READ },
	{ "xlsx.write", "write rows to a new workbook, one or more sheets",
	    xlsx_write_args, xlsx_do_write, 0, NULL, ARG_MAP, write_out,
	    ACTION_DRY_SELF },
	{ "xlsx.fill", "fill a template workbook's cells and table, keeping "
	    "the rest", xlsx_fill_args, xlsx_do_fill, 0, NULL, ARG_MAP,
	    fill_out, ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
