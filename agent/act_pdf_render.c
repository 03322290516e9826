/*
 * act_pdf_render.c - pdf.render: a Japanese A4 document (支払通知書, a
 * 調達仕様書 draft) drawn from a layout the script gives, with cairo's PDF
 * surface and pango for the text.
 *
 * The layout is a title and a list of blocks - paragraphs, key-value
 * fields, tables, images (a seal or a logo), spaces and page breaks.  A
 * table flows over as many pages as it needs, its header repeated on
 * each; every page gets "page / pages" at the foot.  The document is laid
 * out twice: once to count the pages (measuring only), once to draw.
 *
 * Text is set in Noto Sans CJK JP (fonts-noto-cjk) by default; cairo
 * embeds the subset of each font used, with a ToUnicode map, so the text
 * stays searchable and pdf.text reads back what was drawn.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "action.h"
#include "expr.h"
#include "fsutil.h"
#include "xmalloc.h"

#define MM		(72.0 / 25.4)
#define A4_W		(210 * MM)
#define A4_H		(297 * MM)
#define CELL_PAD	(1.5 * MM)

struct doc {
	struct act	*a;
	cairo_t		*cr;
	int		 draw;		/* 0: measuring pass */
	const char	*font;
	double		 size;		/* points */
	double		 margin;
	double		 left, right, top, bottom;	/* content box */
	double		 y;
	int		 page, pages;	/* pages: from the first pass */
	const char	*footer;	/* "{page} / {pages}" */
};

/* A layout for text in the document's font, wrapped at width (<= 0: no). */
static PangoLayout *
text_layout(struct doc *d, const char *text, double size, int bold,
    double width, const char *align)
{
	PangoLayout *l = pango_cairo_create_layout(d->cr);
	PangoFontDescription *fd = pango_font_description_from_string(d->font);

	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	if (bold)
		pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	}
	if (align != NULL && strcmp(align, "center") == 0)
		pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
	else if (align != NULL && strcmp(align, "right") == 0)
		pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
	pango_layout_set_text(l, text, -1);
	return l;
}

static double
layout_height(PangoLayout *l)
{
	int w, h;

	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void
show(struct doc *d, PangoLayout *l, double x, double y)
{
	if (!d->draw)
		return;
	cairo_move_to(d->cr, x, y);
	pango_cairo_show_layout(d->cr, l);
}

static void
footer(struct doc *d)
{
	char num[32], *text;
	PangoLayout *l;

	if (d->footer == NULL || d->footer[0] == '\0')
		return;
	text = xstrdup(d->footer);
	for (char *p; (p = strstr(text, "{page}")) != NULL ||
	    (p = strstr(text, "{pages}")) != NULL;) {
		int is_pages = strncmp(p, "{pages}", 7) == 0;
		char *next;

		snprintf(num, sizeof num, "%d", is_pages ? d->pages : d->page);
		*p = '\0';
		next = xasprintf("%s%s%s", text, num, p + (is_pages ? 7 : 6));
		free(text);
		text = next;
	}
	l = text_layout(d, text, d->size * 0.85, 0, d->right - d->left,
	    "center");
	show(d, l, d->left, A4_H - d->margin * 0.6 - layout_height(l));
	g_object_unref(l);
	free(text);
}

static void
new_page(struct doc *d)
{
	footer(d);
	if (d->draw)
		cairo_show_page(d->cr);
	d->page++;
	d->y = d->top;
}

/* Make room for h points: a new page when they do not fit. */
static void
need(struct doc *d, double h)
{
	if (d->y + h > d->bottom && d->y > d->top)
		new_page(d);
}

/* --- blocks ----------------------------------------------------------- */

static char *
text_of(const json_t *v)
{
	return v == NULL || json_is_null(v) ? xstrdup("") : expr_to_string(v);
}

static int
block_text(struct doc *d, const json_t *b)
{
	char *text = text_of(json_object_get(b, "text"));
	const json_t *sz = json_object_get(b, "size");
	double size = json_is_number(sz) ? json_number_value(sz) : d->size;
	PangoLayout *l = text_layout(d, text, size,
	    json_is_true(json_object_get(b, "bold")), d->right - d->left,
	    json_string_value(json_object_get(b, "align")));
	PangoLayoutIter *it;

	/* Line by line, so a long paragraph breaks across pages. */
	it = pango_layout_get_iter(l);
	do {
		PangoRectangle log;
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
		double base;

		pango_layout_iter_get_line_extents(it, NULL, &log);
		need(d, (double)log.height / PANGO_SCALE);
		base = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE -
		    (double)log.y / PANGO_SCALE;
		if (d->draw) {
			cairo_move_to(d->cr, d->left + (double)log.x /
			    PANGO_SCALE, d->y + base);
			pango_cairo_show_layout_line(d->cr, line);
		}
		d->y += (double)log.height / PANGO_SCALE;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	g_object_unref(l);
	free(text);
	d->y += size * 0.4;
	return 0;
}

static int
block_fields(struct doc *d, const json_t *b)
{
	const json_t *fields = json_object_get(b, "fields"), *v;
	double keyw = (d->right - d->left) * 0.28;
	const char *k;

	if (!json_is_object(fields))
		return act_fail(d->a, "blocks: fields must be a mapping of "
		    "labels to values");
	json_object_foreach((json_t *)fields, k, v) {
		char *val = text_of(v);
		PangoLayout *kl = text_layout(d, k, d->size, 1, keyw - CELL_PAD,
		    NULL);
		PangoLayout *vl = text_layout(d, val, d->size, 0, d->right -
		    d->left - keyw, NULL);
		double h = fmax(layout_height(kl), layout_height(vl)) +
		    CELL_PAD * 2;

		need(d, h);
		show(d, kl, d->left + CELL_PAD, d->y + CELL_PAD);
		show(d, vl, d->left + keyw, d->y + CELL_PAD);
		if (d->draw) {
			cairo_set_line_width(d->cr, 0.4);
			cairo_move_to(d->cr, d->left, d->y + h);
			cairo_line_to(d->cr, d->right, d->y + h);
			cairo_stroke(d->cr);
		}
		d->y += h;
		g_object_unref(kl);
		g_object_unref(vl);
		free(val);
	}
	d->y += d->size * 0.8;
	return 0;
}

struct column {
	const char	*name, *key, *align;
	double		 x, w;
};

/* Draw one table row of texts; its height. */
static double
table_row(struct doc *d, const struct column *cols, size_t ncols,
    char **texts, int bold, int shade, int measure_only)
{
	PangoLayout **ls = xcalloc(ncols, sizeof *ls);
	double h = 0;

	for (size_t c = 0; c < ncols; c++) {
		ls[c] = text_layout(d, texts[c], d->size * 0.95, bold,
		    cols[c].w - CELL_PAD * 2, cols[c].align);
		h = fmax(h, layout_height(ls[c]));
	}
	h += CELL_PAD * 2;
	if (!measure_only && d->draw) {
		if (shade) {
			cairo_set_source_rgb(d->cr, 0.9, 0.9, 0.9);
			cairo_rectangle(d->cr, cols[0].x, d->y, cols[ncols - 1].x +
			    cols[ncols - 1].w - cols[0].x, h);
			cairo_fill(d->cr);
			cairo_set_source_rgb(d->cr, 0, 0, 0);
		}
		cairo_set_line_width(d->cr, 0.5);
		for (size_t c = 0; c < ncols; c++) {
			cairo_rectangle(d->cr, cols[c].x, d->y, cols[c].w, h);
			cairo_stroke(d->cr);
			show(d, ls[c], cols[c].x + CELL_PAD, d->y + CELL_PAD);
		}
	}
	for (size_t c = 0; c < ncols; c++)
		g_object_unref(ls[c]);
	free(ls);
	return h;
}

static int
table_columns(struct doc *d, const json_t *spec, struct column **out,
    size_t *n)
{
	const json_t *c;
	struct column *cols;
	double total = 0, x = d->left, scale;
	size_t i, nfree = 0;

	if (!json_is_array(spec) || json_array_size(spec) == 0)
		return act_fail(d->a, "blocks: a table needs columns");
	cols = xcalloc(json_array_size(spec), sizeof *cols);
	json_array_foreach((json_t *)spec, i, c) {
		const json_t *w = json_object_get(c, "width");

		cols[i].name = json_is_string(c) ? json_string_value(c) :
		    json_string_value(json_object_get(c, "name"));
		if (cols[i].name == NULL) {
			free(cols);
			return act_fail(d->a, "blocks: table column %zu needs "
			    "a name", i + 1);
		}
		cols[i].key = json_string_value(json_object_get(c, "key"));
		if (cols[i].key == NULL)
			cols[i].key = cols[i].name;
		cols[i].align = json_string_value(json_object_get(c, "align"));
		cols[i].w = json_is_number(w) ? json_number_value(w) * MM : 0;
		total += cols[i].w;
		nfree += cols[i].w == 0;
	}
	*n = i;
	/* Columns without a width share what is left; then fit the page. */
	for (i = 0; i < *n; i++)
		if (cols[i].w == 0)
			cols[i].w = fmax((d->right - d->left - total) /
			    (double)nfree, 15 * MM);
	total = 0;
	for (i = 0; i < *n; i++)
		total += cols[i].w;
	scale = total > d->right - d->left ? (d->right - d->left) / total : 1;
	for (i = 0; i < *n; i++) {
		cols[i].w *= scale;
		cols[i].x = x;
		x += cols[i].w;
	}
	*out = cols;
	return 0;
}

static int
block_table(struct doc *d, const json_t *b)
{
	const json_t *t = json_object_get(b, "table"), *rows, *row;
	struct column *cols = NULL;
	char **texts, **head;
	size_t ncols = 0, i;
	double hh;

	if (table_columns(d, json_object_get(t, "columns"), &cols, &ncols) !=
	    0)
		return -1;
	rows = json_object_get(t, "rows");
	if (rows != NULL && !json_is_array(rows)) {
		free(cols);
		return act_fail(d->a, "blocks: table rows must be a list");
	}
	head = xcalloc(ncols, sizeof *head);
	texts = xcalloc(ncols, sizeof *texts);
	for (size_t c = 0; c < ncols; c++)
		head[c] = (char *)cols[c].name;
	hh = table_row(d, cols, ncols, head, 1, 1, 1);
	need(d, hh * 2);
	d->y += table_row(d, cols, ncols, head, 1, 1, 0);
	json_array_foreach((json_t *)rows, i, row) {
		double h;

		for (size_t c = 0; c < ncols; c++)
			texts[c] = text_of(json_is_array(row) ?
			    json_array_get(row, c) : json_object_get(row,
			    cols[c].key));
		h = table_row(d, cols, ncols, texts, 0, 0, 1);
		if (d->y + h > d->bottom) {
			/* the header again at the top of the next page */
			new_page(d);
			d->y += table_row(d, cols, ncols, head, 1, 1, 0);
		}
		d->y += table_row(d, cols, ncols, texts, 0, 0, 0);
		for (size_t c = 0; c < ncols; c++)
			free(texts[c]);
	}
	d->y += d->size * 0.8;
	free(texts);
	free(head);
	free(cols);
	return 0;
}

static int
block_image(struct doc *d, const json_t *b)
{
	const char *path = json_string_value(json_object_get(b, "image"));
	const json_t *wj = json_object_get(b, "width");
	const char *align = json_string_value(json_object_get(b, "align"));
	cairo_surface_t *img;
	double w, h, x;

	if (path == NULL)
		return act_fail(d->a, "blocks: image must be the path of a "
		    "PNG file");
	img = cairo_image_surface_create_from_png(path);
	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(img);
		return act_fail(d->a, "cannot read the image '%s' (a PNG "
		    "file is needed)", path);
	}
	w = (json_is_number(wj) ? json_number_value(wj) : 25) * MM;
	h = w * cairo_image_surface_get_height(img) /
	    fmax(1, cairo_image_surface_get_width(img));
	x = d->left;
	if (align != NULL && strcmp(align, "right") == 0)
		x = d->right - w;
	else if (align != NULL && strcmp(align, "center") == 0)
		x = (d->left + d->right - w) / 2;
	/* overlay: drawn over what came just before (a seal on a name). */
	if (json_is_true(json_object_get(b, "overlay"))) {
		double y = fmax(d->top, d->y - h);

		if (d->draw) {
			cairo_save(d->cr);
			cairo_translate(d->cr, x, y);
			cairo_scale(d->cr, w / cairo_image_surface_get_width(img),
			    h / cairo_image_surface_get_height(img));
			cairo_set_source_surface(d->cr, img, 0, 0);
			cairo_paint(d->cr);
			cairo_restore(d->cr);
		}
		cairo_surface_destroy(img);
		return 0;
	}
	need(d, h);
	if (d->draw) {
		cairo_save(d->cr);
		cairo_translate(d->cr, x, d->y);
		cairo_scale(d->cr, w / cairo_image_surface_get_width(img),
		    h / cairo_image_surface_get_height(img));
		cairo_set_source_surface(d->cr, img, 0, 0);
		cairo_paint(d->cr);
		cairo_restore(d->cr);
	}
	d->y += h + d->size * 0.5;
	cairo_surface_destroy(img);
	return 0;
}

static int
block_space(struct doc *d, const json_t *b)
{
	d->y += json_number_value(json_object_get(b, "space")) * MM;
	return 0;
}

static int
block_break(struct doc *d, const json_t *b)
{
	(void)b;
	new_page(d);
	return 0;
}

static const struct {
	const char	*key;
	int		(*fn)(struct doc *, const json_t *);
} blocks[] = {
	{ "text", block_text },
	{ "fields", block_fields },
	{ "table", block_table },
	{ "image", block_image },
	{ "space", block_space },
	{ "page_break", block_break },
	{ NULL, NULL },
};

/* One pass over the whole layout. */
static int
lay_out(struct doc *d, const char *title, const json_t *list)
{
	const json_t *b;
	size_t i;

	d->page = 1;
	d->y = d->top;
	if (title != NULL) {
		json_t *tb = json_pack("{s:s, s:f, s:b, s:s}", "text", title,
		    "size", d->size * 1.8, "bold", 1, "align", "center");

		block_text(d, tb);
		json_decref(tb);
		d->y += d->size;
	}
	json_array_foreach((json_t *)list, i, b) {
		size_t k;

		for (k = 0; blocks[k].key != NULL; k++)
			if (json_object_get(b, blocks[k].key) != NULL)
				break;
		if (blocks[k].key == NULL)
			return act_fail(d->a, "blocks: item %zu must have one "
			    "of text, fields, table, image, space or "
			    "page_break", i + 1);
		if (blocks[k].fn(d, b) != 0)
			return -1;
	}
	footer(d);
	return 0;
}

static int
font_available(struct act *a, const char *family)
{
	PangoFontMap *fm = pango_cairo_font_map_get_default();
	PangoFontFamily **fams;
	int n, found = 0;

	pango_font_map_list_families(fm, &fams, &n);
	for (int i = 0; i < n && !found; i++)
		found = g_ascii_strcasecmp(pango_font_family_get_name(fams[i]),
		    family) == 0;
	g_free(fams);
	if (!found)
		return act_fail(a, "the font '%s' is not installed (Debian's "
		    "fonts-noto-cjk gives 'Noto Sans CJK JP')", family);
	return 0;
}

int	pdf_do_render(struct act *);

int
pdf_do_render(struct act *a)
{
	const char *path = act_str(a, "path", "");
	const char *title = act_str(a, "title", NULL);
	json_t *list = act_arg(a, "blocks");
	struct doc d;
	cairo_surface_t *s;
	char err[512], *tmp;
	int rc = -1;

	memset(&d, 0, sizeof d);
	d.a = a;
	d.font = act_str(a, "font", "Noto Sans CJK JP");
	d.size = act_num(a, "font_size", 10.5);
	d.margin = act_num(a, "margin", 20) * MM;
	d.footer = act_str(a, "page_numbers", "{page} / {pages}");
	if (d.size < 4 || d.size > 72)
		return act_fail(a, "font_size must be 4 to 72 points");
	if (d.margin < 5 * MM || d.margin > 60 * MM)
		return act_fail(a, "margin must be 5 to 60 mm");
	if (font_available(a, d.font) != 0)
		return -1;
	d.left = d.margin;
	d.right = A4_W - d.margin;
	d.top = d.margin;
	d.bottom = A4_H - d.margin - d.size * 2;
	if (fsutil_mkdir_parent(path, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	tmp = xasprintf("%s.part", path);
	s = cairo_pdf_surface_create(act_dry_run(a) ? NULL : tmp, A4_W, A4_H);
	if (title != NULL)
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
		    title);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR,
	    "kobito");
	d.cr = cairo_create(s);
	cairo_set_source_rgb(d.cr, 0, 0, 0);
	if (lay_out(&d, title, list) != 0)
		goto out;
	d.pages = d.page;
	d.draw = 1;
	if (lay_out(&d, title, list) != 0)
		goto out;
	cairo_show_page(d.cr);
	cairo_destroy(d.cr);
	d.cr = NULL;
	cairo_surface_finish(s);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		act_fail(a, "cannot write '%s': %s", path,
		    cairo_status_to_string(cairo_surface_status(s)));
		goto out;
	}
	if (!act_dry_run(a) && fsutil_move(tmp, path, 1, err, sizeof err) !=
	    0) {
		act_fail(a, "%s", err);
		goto out;
	}
	a->out = json_pack("{s:s, s:i}", "path", path, "page_count", d.pages);
	rc = 0;
out:
	if (d.cr != NULL)
		cairo_destroy(d.cr);
	cairo_surface_destroy(s);
	remove(tmp);
	free(tmp);
	return rc;
}

const struct action_arg pdf_render_args[] = {
	{ "path", ARG_PATH_WRITE, 1, "the PDF to write" },
	{ "title", ARG_STRING, 0, "the title atop the first page" },
	{ "blocks", ARG_LIST, 1,
	    "text, fields, table, image, space and page_break blocks" },
	{ "font", ARG_STRING, 0, "font family (default Noto Sans CJK JP)" },
	{ "font_size", ARG_NUMBER, 0, "body text size in points (10.5)" },
	{ "margin", ARG_NUMBER, 0, "page margin in mm (20)" },
	{ "page_numbers", ARG_STRING, 0,
	    "footer text, {page} and {pages} replaced; \"\" for none" },
	{ NULL, 0, 0, NULL },
};
