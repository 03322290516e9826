/*
 * act_ocr.c - the ocr.* actions: full-page text, one scanned form, and a
 * folder of scanned forms read on every core.
 *
 * All three share recognizers/ocr_job.c with `kobito ocr`, so a script and
 * the command line give the same JSON (docs/ocr.md).  Reading is free of
 * side effects, so a dry run reads too.  A page that needs review is not a
 * failure: the script decides (ocr.form can be told to fail instead).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "action.h"
#include "buf.h"
#include "form.h"
#include "ocr_job.h"
#include "pages.h"
#include "xmalloc.h"

/* Stop between pages when the run is cancelled or out of time. */
static int
job_cancelled(void *arg)
{
	struct act *a = arg;

	return act_cancelled(a) || act_remaining_ms(a) == 0;
}

static struct form_template *
load_template(struct act *a)
{
	const char *name = act_str(a, "template", "");
	struct form_template *t;
	char err[4096], *path;

	/* A template given by path is a file the job reads. */
	if (strchr(name, '/') != NULL) {
		if ((path = act_path(a, name, 0)) == NULL)
			return NULL;
	} else {
		path = ocr_template_path(name);
	}
	if (path == NULL) {
		act_fail(a, "no template '%s' (give a path, or a name in "
		    "scripts/templates)", name);
		return NULL;
	}
	t = form_template_load(path, err, sizeof err);
	free(path);
	if (t == NULL)
		act_fail(a, "%s", err);
	return t;
}

/* Read the pages of path (a file or a folder) with job into *out. */
static int
run_job(struct act *a, struct ocr_job *job, const char *path,
    const char *pattern, json_t **out, int *nerr)
{
	struct page_list pages = { NULL, 0, NULL };
	long long maxpx = act_int(a, "max_pixels", 0);
	char err[4096];

	if (maxpx < 0)
		return act_fail(a, "max_pixels must be a positive number of "
		    "pixels, not %lld", maxpx);
	job->max_pixels = (long)maxpx;
	if (pages_add(&pages, path, pattern, err, sizeof err) != 0) {
		pages_free(&pages);
		return act_fail(a, "%s", err);
	}
	if (pages.n == 0) {
		pages_free(&pages);
		return act_fail(a, "no images in '%s'", path);
	}
	job->cancelled = job_cancelled;
	job->cancel_arg = a;
	*out = ocr_job_run(job, &pages, nerr);
	pages_free(&pages);
	if (act_cancelled(a)) {
		json_decref(*out);
		*out = NULL;
		return act_fail(a, "cancelled");
	}
	if (act_remaining_ms(a) == 0) {
		json_decref(*out);
		*out = NULL;
		return act_fail(a, "timed out while reading '%s'", path);
	}
	return 0;
}

/* The first page error, for the step's failure message. */
static const char *
first_error(json_t *res)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(res, "pages"), i, p)
		if (json_object_get(p, "error") != NULL)
			return json_string_value(json_object_get(p, "error"));
	return "unknown error";
}

static int
do_text(struct act *a)
{
	struct ocr_job job;
	json_t *res = NULL, *p;
	struct buf all;
	size_t i;
	int nerr;

	memset(&job, 0, sizeof job);
	job.lang = act_str(a, "lang", "eng");
	job.psm = (int)act_int(a, "psm", 0);
	if (job.psm < 0 || job.psm > 13)
		return act_fail(a, "psm must be 0 to 13, not %d", job.psm);
	if (run_job(a, &job, act_str(a, "path", ""), NULL, &res, &nerr) != 0)
		return -1;
	if (nerr > 0) {
		act_fail(a, "%s", first_error(res));
		json_decref(res);
		return -1;
	}
	/* The pages' text together, a form feed between pages. */
	buf_init(&all, 0);
	json_array_foreach(json_object_get(res, "pages"), i, p) {
		const char *t = json_string_value(json_object_get(p, "text"));

		if (i > 0)
			buf_putc(&all, '\f');
		buf_puts(&all, t != NULL ? t : "");
	}
	json_object_set_new(res, "text", json_string(buf_str(&all)));
	buf_free(&all);
	act_log(a, "ocr.text: %zu page(s)",
	    json_array_size(json_object_get(res, "pages")));
	a->out = res;
	return 0;
}

static int
do_form(struct act *a)
{
	struct form_template *t;
	struct ocr_job job;
	json_t *res = NULL, *p;
	size_t i;
	int nerr, review = 0;

	if ((t = load_template(a)) == NULL)
		return -1;
	memset(&job, 0, sizeof job);
	job.tmpl = t;
	if (run_job(a, &job, act_str(a, "path", ""), NULL, &res, &nerr) != 0) {
		form_template_free(t);
		return -1;
	}
	form_template_free(t);
	if (nerr > 0) {
		act_fail(a, "%s", first_error(res));
		json_decref(res);
		return -1;
	}
	json_array_foreach(json_object_get(res, "pages"), i, p)
		review |= json_is_true(json_object_get(p, "review"));
	json_object_set_new(res, "review", json_boolean(review));
	/* The one-page case, without indexing: out.fields.NAME.value. */
	json_object_set(res, "fields", json_object_get(json_array_get(
	    json_object_get(res, "pages"), 0), "fields"));
	act_log(a, "ocr.form: %zu page(s)%s",
	    json_array_size(json_object_get(res, "pages")),
	    review ? ", needs review" : "");
	if (review && act_bool(a, "fail_on_review", 0)) {
		json_t *reasons = json_object_get(json_array_get(
		    json_object_get(res, "pages"), 0), "reasons");

		act_fail(a, "the form needs review: %s",
		    json_array_size(reasons) > 0 ?
		    json_string_value(json_array_get(reasons, 0)) :
		    "see the pages' reasons");
		json_decref(res);
		return -1;
	}
	a->out = res;
	return 0;
}

static int
do_forms(struct act *a)
{
	struct form_template *t;
	struct ocr_job job;
	json_t *res = NULL, *p;
	size_t i;
	long long threads = act_int(a, "threads", 0);
	int nerr, review = 0, ok = 0;

	if (threads < 0 || threads > 256)
		return act_fail(a, "threads must be 0 to 256, not %lld",
		    threads);
	if ((t = load_template(a)) == NULL)
		return -1;
	memset(&job, 0, sizeof job);
	job.tmpl = t;
	job.threads = (int)threads;
	if (run_job(a, &job, act_str(a, "folder", ""), act_str(a, "pattern",
	    NULL), &res, &nerr) != 0) {
		form_template_free(t);
		return -1;
	}
	form_template_free(t);
	json_array_foreach(json_object_get(res, "pages"), i, p) {
		if (json_object_get(p, "error") != NULL)
			continue;
		if (json_is_true(json_object_get(p, "review")))
			review++;
		else
			ok++;
	}
	json_object_set_new(res, "count", json_integer((json_int_t)
	    json_array_size(json_object_get(res, "pages"))));
	json_object_set_new(res, "ok", json_integer(ok));
	json_object_set_new(res, "review", json_integer(review));
	json_object_set_new(res, "errors", json_integer(nerr));
	act_log(a, "ocr.forms: %zu page(s): %d ok, %d to review, %d "
	    "unreadable", json_array_size(json_object_get(res, "pages")), ok,
	    review, nerr);
	a->out = res;
	return 0;
}

static const struct action_arg text_args[] = {
	{ "path", ARG_PATH_READ, 1, "an image, multi-page TIFF or PDF" },
	{ "lang", ARG_STRING, 0,
	    "tesseract languages: eng (default), jpn, jpn+eng, jpn_vert" },
	{ "psm", ARG_INT, 0,
	    "tesseract page segmentation mode (default: automatic)" },
	{ "max_pixels", ARG_INT, 0, "refuse pages of more pixels, checked "
	    "before decoding (default 100000000)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg form_args[] = {
	{ "path", ARG_PATH_READ, 1,
	    "the scanned form: an image, multi-page TIFF or PDF" },
	{ "template", ARG_STRING, 1,
	    "form template: a path, or a name in scripts/templates" },
	{ "fail_on_review", ARG_BOOL, 0,
	    "fail the step when a page needs review (default false)" },
	{ "max_pixels", ARG_INT, 0, "refuse pages of more pixels, checked "
	    "before decoding (default 100000000)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg forms_args[] = {
	{ "folder", ARG_PATH_READ, 1,
	    "the folder of scans (images, TIFFs, PDFs)" },
	{ "template", ARG_STRING, 1,
	    "form template: a path, or a name in scripts/templates" },
	{ "pattern", ARG_STRING, 0, "only files whose name matches, e.g. *.png" },
	{ "threads", ARG_INT, 0, "worker threads (default: one per core)" },
	{ "max_pixels", ARG_INT, 0, "refuse pages of more pixels, checked "
	    "before decoding (default 100000000)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_out text_out[] = {
	{ "text", ARG_STRING, "the text of every page, a form feed between" },
	{ "pages", ARG_LIST, "per page: text, lines, words, confidence" },
	{ NULL, 0, NULL },
};

static const struct action_out form_out[] = {
	{ "fields", ARG_MAP, "the first page's fields by name: value, raw, "
	    "confidence, box, status" },
	{ "review", ARG_BOOL, "whether any page needs a person's review" },
	{ "pages", ARG_LIST, "per page: fields, review, reasons, located" },
	{ NULL, 0, NULL },
};

static const struct action_out forms_out[] = {
	{ "pages", ARG_LIST, "per file: path, fields, review, reasons or "
	    "error" },
	{ "count", ARG_INT, "the files read" },
	{ "ok", ARG_INT, "those read with confidence" },
	{ "review", ARG_INT, "those that need a person's review" },
	{ "errors", ARG_INT, "those that could not be read at all" },
	{ NULL, 0, NULL },
};

/* Reading pages changes nothing: a dry run reads too. */
const struct action ocr_actions[] = {
	{ "ocr.text", "read the full text of a page: text, lines, words, "
	    "boxes and confidences", text_args, do_text, 0, NULL, ARG_MAP,
	    text_out, ACTION_DRY_READ },
	{ "ocr.form", "read a scanned form against a template: each field's "
	    "value, raw text, confidence, box and status", form_args, do_form,
	    0, NULL, ARG_MAP, form_out, ACTION_DRY_READ },
	{ "ocr.forms", "read a folder of scanned forms against a template, "
	    "on every core", forms_args, do_forms, 0, NULL, ARG_MAP, forms_out,
	    ACTION_DRY_READ },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
