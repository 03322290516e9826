/*
 * ocr_job.c - pages in, JSON out, in parallel.
 *
 * Each page is one batch item: the worker decodes it, reads it with its own
 * engines, and leaves a JSON object in the page's slot, so results come out
 * in input order whatever order the workers finish in.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#include "batch.h"
#include "ocr.h"
#include "ocr_job.h"
#include "preprocess.h"
#include "xmalloc.h"

/* ---- full-page text ---- */

#define TEXT_DPI	180.0	/* full pages are read at this resolution */
#define ZOOM_MAX	1.5	/* low-resolution scans are enlarged at most
				   this much: more blurs strokes together */
#define SCAN_DPI_MIN	100	/* a file saying this or more is a scan
				   (screenshots say 72 or 96, or nothing) */

struct line_acc {
	int	x0, y0, x1, y1;
	double	conf;
	size_t	from, to;
};

static json_t *
box_json(const struct prep_page *pp, double ox, double oy, double zoom,
    int x, int y, int w, int h)
{
	int b[4];

	prep_rect_to_input(pp, ox + x / zoom, oy + y / zoom, w / zoom,
	    h / zoom, b);
	return json_pack("[i,i,i,i]", b[0], b[1], b[2], b[3]);
}

json_t *
ocr_page_text(PIX *pix, const char *lang, int psm, char *err, size_t errlen)
{
	struct prep_opts opts;
	struct prep_page pp;
	struct ocr_engine *e;
	struct ocr_result res;
	json_t *out, *words, *lines;
	PIX *clean;
	double dpi, zoom, ox, oy, sum = 0;
	int cjk = strstr(lang, "jpn") != NULL;
	int vertical = strstr(lang, "vert") != NULL;
	size_t i, start;
	char *text;

	e = ocr_engine_get(lang, err, errlen);
	if (e == NULL)
		return NULL;
	dpi = pixGetXRes(pix);
	if (dpi < SCAN_DPI_MIN && pixGetWidth(pix) >= 1600 &&
	    pixGetHeight(pix) >= 2000)
		dpi = 300;	/* a page-sized scan that does not say */
	prep_opts_default(&opts);
	opts.deskew = dpi >= SCAN_DPI_MIN;	/* screens are never tilted */
	if (prep_page_init(&pp, pix, dpi >= SCAN_DPI_MIN ? dpi : 300, &opts,
	    err, errlen) != 0)
		return NULL;
	/*
	 * Scans are read at 180 dpi: the LSTM models read print of 10-12
	 * points best at 25-30 px (Japanese by far: 85% of the words of the
	 * generated forms against 78% at 300 dpi).  A scan of 100 to 150 dpi
	 * is enlarged by 1.5 at most: more blurs its strokes together (small
	 * noisy print at 100-130 dpi: 88% of the words at 1.5, 81% at 2,
	 * 73% at 3).  Screens and anything else without a resolution are
	 * read at twice their size.
	 */
	zoom = dpi >= SCAN_DPI_MIN ? fmin(TEXT_DPI / dpi, ZOOM_MAX) : 2.0;
	/* Tesseract's own thresholding reads grey better than ours does. */
	clean = prep_crop(&pp, 0, 0, pp.w, pp.h, 0, zoom, 0, &ox, &oy);
	if (clean == NULL) {
		snprintf(err, errlen, "cannot prepare the page");
		prep_page_free(&pp);
		return NULL;
	}
	if (ocr_recognize(e, clean, psm > 0 ? (enum ocr_psm)psm :
	    vertical ? OCR_PSM_BLOCK_VERT : OCR_PSM_AUTO,
	    dpi >= SCAN_DPI_MIN ? (int)(zoom * dpi) : 144, &res, err,
	    errlen) != 0) {
		pixDestroy(&clean);
		prep_page_free(&pp);
		return NULL;
	}
	pixDestroy(&clean);

	words = json_array();
	lines = json_array();
	start = 0;
	for (i = 0; i < res.nwords; i++) {
		const struct ocr_word *w = &res.words[i];

		json_array_append_new(words, json_pack("{s:s, s:o, s:f, s:i}",
		    "text", w->text, "box", box_json(&pp, ox, oy, zoom, w->x,
		    w->y, w->w, w->h), "confidence", round(w->conf * 10) / 10,
		    "line", json_array_size(lines)));
		sum += w->conf;
		if (i + 1 == res.nwords || res.words[i + 1].line != w->line ||
		    res.words[i + 1].block != w->block) {
			struct line_acc la = { INT_MAX, INT_MAX, 0, 0, 0, start,
			    i + 1 };
			size_t k;
			char *lt;

			for (k = la.from; k < la.to; k++) {
				const struct ocr_word *v = &res.words[k];

				la.x0 = v->x < la.x0 ? v->x : la.x0;
				la.y0 = v->y < la.y0 ? v->y : la.y0;
				la.x1 = v->x + v->w > la.x1 ? v->x + v->w :
				    la.x1;
				la.y1 = v->y + v->h > la.y1 ? v->y + v->h :
				    la.y1;
				la.conf += v->conf;
			}
			lt = ocr_join(&res, la.from, la.to, cjk, vertical, NULL);
			json_array_append_new(lines, json_pack("{s:s, s:o, "
			    "s:f}", "text", lt, "box", box_json(&pp, ox, oy,
			    zoom, la.x0, la.y0, la.x1 - la.x0, la.y1 - la.y0),
			    "confidence", round(la.conf / (double)(la.to -
			    la.from) * 10) / 10));
			free(lt);
			start = i + 1;
		}
	}
	text = ocr_join(&res, 0, res.nwords, cjk, vertical, NULL);
	out = json_pack("{s:s, s:o, s:o, s:f}", "text", text, "lines", lines,
	    "words", words, "confidence", res.nwords > 0 ?
	    round(sum / (double)res.nwords * 10) / 10 : 0.0);
	free(text);
	ocr_result_free(&res);
	prep_page_free(&pp);
	return out;
}

/* ---- the batch ---- */

struct job_run {
	const struct ocr_job	*job;
	const struct page_list	*pages;
	json_t			**results;
	long			 max_pixels;
};

static void
do_page(size_t i, void *arg)
{
	struct job_run *run = arg;
	const struct page_src *src = &run->pages->v[i];
	json_t *r = NULL;
	char err[1024] = "";
	PIX *pix;

	if (run->job->cancelled != NULL &&
	    run->job->cancelled(run->job->cancel_arg)) {
		snprintf(err, sizeof err, "cancelled");
		goto done;
	}
	pix = pages_load(src, run->max_pixels, err, sizeof err);
	if (pix == NULL)
		goto done;
	if (run->job->tmpl != NULL) {
		struct form_page page;

		if (form_read_page(run->job->tmpl, pix, &page, err,
		    sizeof err) == 0) {
			r = form_page_json(&page);
			form_page_free(&page);
		}
	} else {
		r = ocr_page_text(pix, run->job->lang != NULL ?
		    run->job->lang : "eng", run->job->psm, err, sizeof err);
	}
	pixDestroy(&pix);
done:
	if (r == NULL)
		r = json_pack("{s:s}", "error", err);
	json_object_set_new(r, "file", json_string(src->path));
	json_object_set_new(r, "page", json_integer(src->index + 1));
	run->results[i] = r;
}

json_t *
ocr_job_run(const struct ocr_job *job, const struct page_list *pages,
    int *nerrors)
{
	struct job_run run = { job, pages, NULL, job->max_pixels };
	json_t *arr = json_array();
	const char *env = getenv("KOBITO_OCR_MAX_PIXELS");
	char err[256];
	size_t i;

	*nerrors = 0;
	/* A bad value in the environment is no reason to read pages of any
	 * size: the default stands. */
	if (run.max_pixels <= 0 && (env == NULL ||
	    pages_parse_pixels(env, &run.max_pixels) != 0))
		run.max_pixels = PAGES_MAX_PIXELS_DEFAULT;
	run.results = xcalloc(pages->n + 1, sizeof *run.results);
	/* Load libtesseract here, before the workers read the environment
	 * (a failure shows in every page's error). */
	ocr_load(err, sizeof err);
	batch_run(pages->n, job->threads, do_page, &run);
	for (i = 0; i < pages->n; i++) {
		/* Keys in a fixed order: where first, then what. */
		json_t *r = run.results[i], *o = json_object();
		const char *k;
		json_t *v;

		json_object_set(o, "file", json_object_get(r, "file"));
		json_object_set(o, "page", json_object_get(r, "page"));
		json_object_foreach(r, k, v)
			if (strcmp(k, "file") != 0 && strcmp(k, "page") != 0)
				json_object_set(o, k, v);
		if (json_object_get(r, "error") != NULL)
			(*nerrors)++;
		json_array_append_new(arr, o);
		json_decref(r);
	}
	free(run.results);
	return json_pack("{s:o}", "pages", arr);
}

/* ---- templates by name ---- */

static char *
try_path(const char *dir, const char *name)
{
	static const char *const exts[] = { "", ".yaml", ".yml" };
	size_t i;

	for (i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		char *p = dir != NULL ? xasprintf("%s/%s%s", dir, name,
		    exts[i]) : xasprintf("%s%s", name, exts[i]);

		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

char *
ocr_template_path(const char *name)
{
	char exe[PATH_MAX], *p, *dir;
	const char *env;
	ssize_t n;

	if ((p = try_path(NULL, name)) != NULL || strchr(name, '/') != NULL)
		return p;
	if ((env = getenv("KOBITO_TEMPLATES")) != NULL &&
	    (p = try_path(env, name)) != NULL)
		return p;
	if ((p = try_path("scripts/templates", name)) != NULL)
		return p;
	/* Installed: PREFIX/bin/kobito and PREFIX/share/kobito/scripts. */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((p = strrchr(exe, '/')) != NULL)
		*p = '\0';
	dir = xasprintf("%s/../share/kobito/scripts/templates", exe);
	p = try_path(dir, name);
	free(dir);
	/* Not installed: bin/kobito, or build-NAME/bin/kobito, in the
	 * source tree. */
	if (p == NULL) {
		dir = xasprintf("%s/../scripts/templates", exe);
		p = try_path(dir, name);
		free(dir);
	}
	if (p == NULL) {
		dir = xasprintf("%s/../../scripts/templates", exe);
		p = try_path(dir, name);
		free(dir);
	}
	return p;
}
