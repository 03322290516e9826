/*
 * act_pdf.c - reading and rearranging PDF documents: pdf.text (the text
 * layer of each page with word and line positions, through poppler),
 * pdf.info (page count and sizes), pdf.merge and pdf.split (through
 * qpdf's C API).  pdf.render, which draws new documents, is in
 * act_pdf_render.c.
 *
 * Why two libraries: poppler is the reference text extractor on Debian
 * and knows where each glyph sits; qpdf rewrites a PDF's object graph
 * without drawing anything, so merged and split pages keep their fonts,
 * text layer, images and annotations exactly, where re-rendering pages
 * through poppler and cairo would turn them into new drawings (bigger,
 * slower, and with fonts re-embedded).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poppler.h>
#include <qpdf/qpdf-c.h>

#include "action.h"
#include "buf.h"
#include "fsutil.h"
#include "xmalloc.h"

/* --- poppler ------------------------------------------------------------ */

static PopplerDocument *
open_doc(struct act *a, const char *path)
{
	const char *pw = act_str(a, "password", NULL);
	PopplerDocument *doc;
	GError *ge = NULL;
	GFile *f;

	if (pw != NULL)
		act_secret(a, pw);
	f = g_file_new_for_path(path);
	doc = poppler_document_new_from_gfile(f, pw, NULL, &ge);
	g_object_unref(f);
	if (doc != NULL && poppler_document_get_n_pages(doc) > 0)
		return doc;
	if (doc != NULL) {
		g_object_unref(doc);
		act_fail(a, "cannot read the PDF '%s': it has no pages (a "
		    "broken file?)", path);
		return NULL;
	}
	if (ge != NULL && ge->domain == POPPLER_ERROR &&
	    ge->code == POPPLER_ERROR_ENCRYPTED)
		act_fail(a, "'%s' is a password-protected PDF%s", path,
		    pw ? " and the password given does not open it" :
		    " (give password)");
	else
		act_fail(a, "cannot read the PDF '%s': %s", path,
		    ge ? ge->message : "unknown error");
	if (ge != NULL)
		g_error_free(ge);
	return NULL;
}

static double
r1(double v)
{
	return round(v * 10) / 10;
}

static json_t *
box_json(const char *text, size_t len, const PopplerRectangle *b)
{
	return json_pack("{s:s%, s:f, s:f, s:f, s:f}", "text", text, len,
	    "x", r1(b->x1), "y", r1(b->y1), "width", r1(b->x2 - b->x1),
	    "height", r1(b->y2 - b->y1));
}

/* Append the box of text [start, end) to list when open; close it. */
static void
box_close(json_t *list, int *open, const char *start, const char *end,
    const PopplerRectangle *b)
{
	if (*open)
		json_array_append_new(list, box_json(start, (size_t)(end -
		    start), b));
	*open = 0;
}

static void
box_grow(PopplerRectangle *acc, const PopplerRectangle *r, int first)
{
	if (first) {
		*acc = *r;
		return;
	}
	acc->x1 = fmin(acc->x1, r->x1);
	acc->y1 = fmin(acc->y1, r->y1);
	acc->x2 = fmax(acc->x2, r->x2);
	acc->y2 = fmax(acc->y2, r->y2);
}

static int
is_space(gunichar c)
{
	return g_unichar_isspace(c) || c == 0x3000;
}

/*
 * Words and lines from the page text and its per-character boxes (one box
 * per character of the text, poppler's text layout): a word ends at a
 * space, or where a gap wider than a third of the glyphs' height opens
 * before the next one (Japanese has no spaces, and the cells of a table
 * run together in poppler's text); a line ends at a line break.
 */
static void
page_layout(PopplerPage *page, const char *text, json_t *words,
    json_t *lines)
{
	PopplerRectangle *rects = NULL, wbox, lbox;
	guint nrects = 0, i = 0;
	const char *p = text, *wstart = NULL, *lstart = text;
	int win = 0, lin = 0;

	if (!poppler_page_get_text_layout(page, &rects, &nrects))
		return;
	for (; *p != '\0'; p = g_utf8_next_char(p), i++) {
		gunichar c = g_utf8_get_char(p);
		const PopplerRectangle *r = i < nrects ? &rects[i] : NULL;

		if (c == '\n') {
			box_close(words, &win, wstart, p, &wbox);
			box_close(lines, &lin, lstart, p, &lbox);
			continue;
		}
		if (is_space(c)) {
			box_close(words, &win, wstart, p, &wbox);
			continue;
		}
		if (r == NULL)
			continue;
		if (win && (r->x1 - wbox.x2 > (r->y2 - r->y1) / 3 ||
		    r->x2 < wbox.x1))
			box_close(words, &win, wstart, p, &wbox);
		if (!win)
			wstart = p;
		if (!lin)
			lstart = p;
		box_grow(&wbox, r, !win);
		box_grow(&lbox, r, !lin);
		win = lin = 1;
	}
	box_close(words, &win, wstart, p, &wbox);
	box_close(lines, &lin, lstart, p, &lbox);
	g_free(rects);
}

static int
blank_text(const char *s)
{
	for (; *s != '\0'; s = g_utf8_next_char(s))
		if (!is_space(g_utf8_get_char(s)))
			return 0;
	return 1;
}

/* The pages argument (numbers from 1), or all pages; *n set. */
static int *
page_list(struct act *a, int npages, size_t *n)
{
	json_t *l = act_arg(a, "pages"), *v;
	size_t i;
	int *out;

	if (l == NULL) {
		out = xcalloc((size_t)npages + 1, sizeof *out);
		for (int k = 0; k < npages; k++)
			out[k] = k + 1;
		*n = (size_t)npages;
		return out;
	}
	out = xcalloc(json_array_size(l) + 1, sizeof *out);
	json_array_foreach(l, i, v) {
		json_int_t k = json_integer_value(v);

		if (!json_is_integer(v) || k < 1 || k > npages) {
			act_fail(a, "pages: item %zu must be a page number "
			    "from 1 to %d", i + 1, npages);
			free(out);
			return NULL;
		}
		out[i] = (int)k;
	}
	*n = json_array_size(l);
	return out;
}

static int
do_text(struct act *a)
{
	const char *path = act_str(a, "path", "");
	int positions = act_bool(a, "positions", 0);
	PopplerDocument *doc;
	json_t *pages, *scanned, *notext;
	struct buf all;
	int npages, *list;
	size_t n;

	if ((doc = open_doc(a, path)) == NULL)
		return -1;
	npages = poppler_document_get_n_pages(doc);
	if ((list = page_list(a, npages, &n)) == NULL) {
		g_object_unref(doc);
		return -1;
	}
	pages = json_array();
	scanned = json_array();
	notext = json_array();
	buf_init(&all, 0);
	for (size_t k = 0; k < n; k++) {
		PopplerPage *page = poppler_document_get_page(doc, list[k] - 1);
		double w = 0, h = 0;
		char *text;
		GList *images;
		int has_text, is_scan;
		json_t *pj;

		if (page == NULL)
			continue;
		poppler_page_get_size(page, &w, &h);
		text = poppler_page_get_text(page);
		if (text == NULL)
			text = g_strdup("");
		has_text = !blank_text(text);
		images = poppler_page_get_image_mapping(page);
		is_scan = !has_text && images != NULL;
		poppler_page_free_image_mapping(images);
		pj = json_pack("{s:i, s:f, s:f, s:s, s:b, s:b}", "page", list[k],
		    "width", r1(w), "height", r1(h), "text", text,
		    "has_text", has_text, "scanned", is_scan);
		if (pj == NULL) {	/* not UTF-8: poppler guarantees it */
			pj = json_pack("{s:i, s:s, s:b, s:b}", "page", list[k],
			    "text", "", "has_text", 0, "scanned", 0);
		}
		if (positions) {
			json_t *words = json_array(), *lines = json_array();

			page_layout(page, text, words, lines);
			json_object_set_new(pj, "lines", lines);
			json_object_set_new(pj, "words", words);
		}
		if (!has_text)
			json_array_append_new(notext, json_integer(list[k]));
		if (is_scan)
			json_array_append_new(scanned, json_integer(list[k]));
		if (k > 0)
			buf_putc(&all, '\f');
		buf_puts(&all, text);
		json_array_append_new(pages, pj);
		g_free(text);
		g_object_unref(page);
	}
	a->out = json_pack("{s:s, s:i, s:s, s:o, s:o, s:o}", "path", path,
	    "page_count", npages, "text", buf_str(&all), "pages", pages,
	    "scanned_pages", scanned, "pages_without_text", notext);
	if (a->out == NULL)
		a->out = json_pack("{s:s, s:i}", "path", path, "page_count",
		    npages);
	buf_free(&all);
	free(list);
	g_object_unref(doc);
	return 0;
}

static int
do_info(struct act *a)
{
	const char *path = act_str(a, "path", "");
	PopplerDocument *doc;
	json_t *sizes;
	char *title;
	int n;

	if ((doc = open_doc(a, path)) == NULL)
		return -1;
	n = poppler_document_get_n_pages(doc);
	sizes = json_array();
	for (int i = 0; i < n; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		double w = 0, h = 0;

		if (page == NULL)
			continue;
		poppler_page_get_size(page, &w, &h);
		json_array_append_new(sizes, json_pack("{s:f, s:f}", "width",
		    r1(w), "height", r1(h)));
		g_object_unref(page);
	}
	title = poppler_document_get_title(doc);
	a->out = json_pack("{s:s, s:i, s:o, s:s?}", "path", path,
	    "page_count", n, "pages", sizes, "title", title);
	g_free(title);
	g_object_unref(doc);
	return 0;
}

/* --- qpdf ---------------------------------------------------------------- */

/* The first error qpdf recorded, as act_fail; always -1. */
static int
qpdf_fail(struct act *a, qpdf_data q, const char *what, const char *path)
{
	const char *detail = "unknown error";

	if (qpdf_has_error(q))
		detail = qpdf_get_error_message_detail(q, qpdf_get_error(q));
	return act_fail(a, "%s '%s': %s", what, path, detail);
}

static qpdf_data
qpdf_open(struct act *a, const char *path)
{
	const char *pw = act_str(a, "password", NULL);
	qpdf_data q = qpdf_init();

	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	if (qpdf_read(q, path, pw) & QPDF_ERRORS) {
		if (qpdf_has_error(q) && qpdf_get_error_code(q,
		    qpdf_get_error(q)) == qpdf_e_password)
			act_fail(a, "'%s' is a password-protected PDF", path);
		else
			qpdf_fail(a, q, "cannot read the PDF", path);
		qpdf_cleanup(&q);
		return NULL;
	}
	return q;
}

/* Write q to path through a temporary file and rename: never half. */
static int
qpdf_save(struct act *a, qpdf_data q, const char *path)
{
	char err[512], *tmp;
	int rc = -1;

	if (fsutil_mkdir_parent(path, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	tmp = xasprintf("%s.part", path);
	if (qpdf_init_write(q, tmp) & QPDF_ERRORS) {
		qpdf_fail(a, q, "cannot write", path);
		goto out;
	}
	qpdf_set_deterministic_ID(q, QPDF_TRUE);
	qpdf_set_compress_streams(q, QPDF_TRUE);
	if (qpdf_write(q) & QPDF_ERRORS) {
		qpdf_fail(a, q, "cannot write", path);
		goto out;
	}
	if (fsutil_move(tmp, path, 1, err, sizeof err) != 0) {
		act_fail(a, "%s", err);
		goto out;
	}
	rc = 0;
out:
	remove(tmp);
	free(tmp);
	return rc;
}

static int
do_merge(struct act *a)
{
	json_t *inputs = act_arg(a, "inputs"), *v;
	const char *out = act_str(a, "path", "");
	qpdf_data dst, *src;
	size_t i, n = json_array_size(inputs);
	int total = 0, rc = -1;

	if (n == 0)
		return act_fail(a, "inputs must list at least one PDF");
	src = xcalloc(n, sizeof *src);
	dst = qpdf_init();
	qpdf_silence_errors(dst);
	qpdf_empty_pdf(dst);
	json_array_foreach(inputs, i, v) {
		const char *in = json_string_value(v);
		int np;

		if (in == NULL) {
			act_fail(a, "inputs: item %zu must be a path", i + 1);
			goto out;
		}
		if ((src[i] = qpdf_open(a, in)) == NULL)
			goto out;
		np = qpdf_get_num_pages(src[i]);
		for (int p = 0; p < np; p++)
			if (qpdf_add_page(dst, src[i], qpdf_get_page_n(src[i],
			    (size_t)p), QPDF_FALSE) & QPDF_ERRORS) {
				qpdf_fail(a, dst, "cannot copy a page of", in);
				goto out;
			}
		total += np;
	}
	if (act_dry_run(a)) {
		act_log(a, "dry run: would write %d pages to '%s'", total, out);
	} else if (qpdf_save(a, dst, out) != 0) {
		goto out;
	}
	a->out = json_pack("{s:s, s:i}", "path", out, "page_count", total);
	rc = 0;
out:
	for (i = 0; i < n; i++)
		if (src[i] != NULL)
			qpdf_cleanup(&src[i]);
	qpdf_cleanup(&dst);
	free(src);
	return rc;
}

/* "{n}" in a pattern replaced by the page number, "{n:03}" zero-padded. */
static char *
split_name(const char *pattern, int page)
{
	struct buf b;
	const char *p;

	buf_init(&b, 4096);
	for (p = pattern; *p != '\0'; p++) {
		int width = 0;

		if (strncmp(p, "{n}", 3) == 0) {
			buf_printf(&b, "%d", page);
			p += 2;
		} else if (strncmp(p, "{n:0", 4) == 0 && p[4] >= '1' &&
		    p[4] <= '9' && p[5] == '}') {
			width = p[4] - '0';
			buf_printf(&b, "%0*d", width, page);
			p += 5;
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_detach(&b, NULL);
}

static int
do_split(struct act *a)
{
	const char *in = act_str(a, "path", "");
	const char *pattern = act_str(a, "output", "");
	qpdf_data src;
	json_t *files;
	size_t n;
	int np, *list, rc = -1;

	if (strstr(pattern, "{n") == NULL)
		return act_fail(a, "output must hold {n} (the page number), "
		    "e.g. \"out/page-{n:03}.pdf\"");
	if ((src = qpdf_open(a, in)) == NULL)
		return -1;
	np = qpdf_get_num_pages(src);
	if ((list = page_list(a, np, &n)) == NULL) {
		qpdf_cleanup(&src);
		return -1;
	}
	files = json_array();
	for (size_t k = 0; k < n; k++) {
		char *name = split_name(pattern, list[k]);
		qpdf_data one = qpdf_init();

		qpdf_silence_errors(one);
		qpdf_empty_pdf(one);
		if (qpdf_add_page(one, src, qpdf_get_page_n(src,
		    (size_t)list[k] - 1), QPDF_FALSE) & QPDF_ERRORS) {
			qpdf_fail(a, one, "cannot copy a page of", in);
			qpdf_cleanup(&one);
			free(name);
			goto out;
		}
		if (!act_dry_run(a) && qpdf_save(a, one, name) != 0) {
			qpdf_cleanup(&one);
			free(name);
			goto out;
		}
		qpdf_cleanup(&one);
		json_array_append_new(files, json_string(name));
		free(name);
	}
	a->out = json_pack("{s:O, s:i}", "files", files, "page_count", np);
	rc = 0;
out:
	json_decref(files);
	free(list);
	qpdf_cleanup(&src);
	return rc;
}

static const struct action_arg text_args[] = {
	{ "path", ARG_PATH_READ, 1, "the PDF file" },
	{ "pages", ARG_LIST, 0, "only these page numbers (from 1)" },
	{ "positions", ARG_BOOL, 0,
	    "give each page's lines and words with their boxes" },
	{ "password", ARG_STRING, 0, "for an encrypted PDF (from secrets)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg info_args[] = {
	{ "path", ARG_PATH_READ, 1, "the PDF file" },
	{ "password", ARG_STRING, 0, "for an encrypted PDF (from secrets)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg merge_args[] = {
	{ "inputs", ARG_PATHS_READ, 1, "the PDF files, in order" },
	{ "path", ARG_PATH_WRITE, 1, "the PDF to write" },
	{ "password", ARG_STRING, 0, "for encrypted inputs (from secrets)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg split_args[] = {
	{ "path", ARG_PATH_READ, 1, "the PDF to split" },
	{ "output", ARG_PATH_WRITE, 1,
	    "file name pattern with {n} or {n:03} for the page number" },
	{ "pages", ARG_LIST, 0, "only these page numbers (from 1)" },
	{ "password", ARG_STRING, 0, "for an encrypted PDF (from secrets)" },
	{ NULL, 0, 0, NULL },
};

extern const struct action_arg pdf_render_args[];
int	pdf_do_render(struct act *);

static const struct action_out text_out[] = {
	{ "path", ARG_STRING, "the PDF read" },
	{ "page_count", ARG_INT, "the pages in the file" },
	{ "text", ARG_STRING, "the pages' text, pages parted by a form feed" },
	{ "pages", ARG_LIST, "each page read: {page, width, height, text, "
	    "has_text, scanned}, with positions also lines and words" },
	{ "scanned_pages", ARG_LIST, "the numbers of pages that are only "
	    "an image" },
	{ "pages_without_text", ARG_LIST, "the numbers of pages with no "
	    "text layer" },
	{ NULL, 0, NULL },
};

static const struct action_out info_out[] = {
	{ "path", ARG_STRING, "the PDF read" },
	{ "page_count", ARG_INT, "the pages in the file" },
	{ "pages", ARG_LIST, "each page's {width, height} in points" },
	{ "title", ARG_STRING, "the document's title, when it has one" },
	{ NULL, 0, NULL },
};

static const struct action_out written_out[] = {
	{ "path", ARG_STRING, "the PDF written" },
	{ "page_count", ARG_INT, "its pages" },
	{ NULL, 0, NULL },
};

static const struct action_out split_out[] = {
	{ "files", ARG_LIST, "the PDFs written, one a page" },
	{ "page_count", ARG_INT, "the pages in the file split" },
	{ NULL, 0, NULL },
};

/* A dry run reads PDFs for real; the writers describe their writes. */
const struct action pdf_actions[] = {
	{ "pdf.text", "the text of each page, with word and line positions",
	    text_args, do_text, ACTION_SCALAR, NULL, ARG_MAP, text_out,
	    ACTION_DRY_READ },
	{ "pdf.info", "a PDF's page count, page sizes and title", info_args,
	    do_info, ACTION_SCALAR, NULL, ARG_MAP, info_out,
	    ACTION_DRY_READ },
	{ "pdf.merge", "join PDFs into one, pages kept as they are",
	    merge_args, do_merge, 0, NULL, ARG_MAP, written_out,
	    ACTION_DRY_SELF },
	{ "pdf.split", "one PDF per page", split_args, do_split, 0, NULL,
	    ARG_MAP, split_out, ACTION_DRY_SELF },
	{ "pdf.render", "draw a Japanese A4 document from a layout",
	    pdf_render_args, pdf_do_render, 0, NULL, ARG_MAP, written_out,
	    ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
