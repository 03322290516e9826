/*
 * cmd_ocr.c - "kobito ocr": read scanned forms and pages from the shell.
 *
 *   kobito ocr IMAGE|PDF|DIR... [--template T] [--lang LANGS] [--psm N]
 *              [--jobs N] [--max-pixels N] [--json]
 *
 * With --template (a path, or a name found in scripts/templates) each page
 * is read as that form: every field with its value, raw text, confidence,
 * box and status, and whether the page needs a person to review it.
 * Without, each page's full text is read (--lang, default eng; jpn+eng
 * for mixed Japanese; jpn_vert for vertical text) with lines and words.
 * Pages are read in parallel, one tesseract engine per core.
 *
 * Output: a readable summary, or with --json {"pages": [...]} as described
 * in docs/ocr.md.  Exit status: 0 when every page was read (pages needing
 * review included: see "review"), 1 when a page could not be read, 2 for a
 * usage or template error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "batch.h"
#include "cmd.h"
#include "form.h"
#include "normalize.h"
#include "ocr.h"
#include "ocr_job.h"
#include "pages.h"
#include "xmalloc.h"

#define EXIT_USAGE	2

static const char usage_text[] =
    "usage: kobito ocr IMAGE|PDF|DIR... [--template T] [--lang LANGS] "
    "[--psm N] [--jobs N] [--max-pixels N] [--json]\n";

static const char help_text[] =
    "\n"
    "Read scanned forms against a template, or the full text of pages.\n"
    "\n"
    "  IMAGE|PDF|DIR    images (PNG, JPEG, TIFF, ...), PDFs of scans, or\n"
    "                   folders of them; a file that cannot be read is\n"
    "                   reported as its own page's error\n"
    "  --template T     read each page as the form T (a path, or a name\n"
    "                   in $KOBITO_TEMPLATES or scripts/templates)\n"
    "  --lang LANGS     full-page text: eng (default), jpn, jpn+eng,\n"
    "                   jpn_vert\n"
    "  --psm N          full-page text: tesseract page segmentation mode\n"
    "  --jobs N         threads (default: one per processor)\n"
    "  --max-pixels N   refuse pages larger than N pixels (e.g. 80M;\n"
    "                   default $KOBITO_OCR_MAX_PIXELS or 100M), checked\n"
    "                   before decoding\n"
    "  --json           the full result as JSON (see docs/ocr.md)\n"
    "\n"
    "Exit status: 0 every page read (pages needing review included),\n"
    "1 a page could not be read, 2 a usage or template error.\n";

struct ocr_args {
	const char	*tmpl;
	const char	*lang;
	int		 psm;
	int		 jobs;
	long		 max_pixels;
	int		 json;
	int		 help;
	const char	**paths;
	int		 npaths;
};

enum opt_id {
	OPT_TEMPLATE, OPT_LANG, OPT_PSM, OPT_JOBS, OPT_MAX_PIXELS, OPT_JSON,
	OPT_HELP,
};

static const struct {
	const char	*name;
	enum opt_id	 id;
	int		 has_value;
} opts[] = {
	{ "--template", OPT_TEMPLATE, 1 },
	{ "--lang", OPT_LANG, 1 },
	{ "--psm", OPT_PSM, 1 },
	{ "--jobs", OPT_JOBS, 1 },
	{ "--max-pixels", OPT_MAX_PIXELS, 1 },
	{ "--json", OPT_JSON, 0 },
	{ "--help", OPT_HELP, 0 },
	{ "-h", OPT_HELP, 0 },
};

static int
int_arg(const char *opt, const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "kobito ocr: %s wants a number from %d to %d, "
		    "not '%s'\n", opt, lo, hi, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct ocr_args *a)
{
	int i;
	size_t k;

	memset(a, 0, sizeof *a);
	a->paths = xcalloc((size_t)argc + 1, sizeof *a->paths);
	for (i = 1; i < argc; i++) {
		const char *v = NULL;

		if ((strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') &&
		    strcmp(argv[i], "-h") != 0) {
			a->paths[a->npaths++] = argv[i];
			continue;
		}
		for (k = 0; k < sizeof opts / sizeof opts[0]; k++)
			if (strcmp(argv[i], opts[k].name) == 0)
				break;
		if (k == sizeof opts / sizeof opts[0]) {
			fprintf(stderr, "kobito ocr: unknown option '%s'\n",
			    argv[i]);
			return -1;
		}
		if (opts[k].has_value) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kobito ocr: %s needs a "
				    "value\n", argv[i]);
				return -1;
			}
			v = argv[++i];
		}
		switch (opts[k].id) {
		case OPT_TEMPLATE:
			a->tmpl = v;
			break;
		case OPT_LANG:
			a->lang = v;
			break;
		case OPT_PSM:
			if (int_arg("--psm", v, 0, 13, &a->psm) != 0)
				return -1;
			break;
		case OPT_JOBS:
			if (int_arg("--jobs", v, 1, 256, &a->jobs) != 0)
				return -1;
			break;
		case OPT_MAX_PIXELS:
			if (pages_parse_pixels(v, &a->max_pixels) != 0) {
				fprintf(stderr, "kobito ocr: --max-pixels wants "
				    "a number of pixels (80000000, 80M), not "
				    "'%s'\n", v);
				return -1;
			}
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_HELP:
			a->help = 1;
			return 0;
		}
	}
	if (a->npaths == 0) {
		fputs(usage_text, stderr);
		return -1;
	}
	if (a->tmpl != NULL && (a->lang != NULL || a->psm != 0)) {
		fprintf(stderr, "kobito ocr: --lang and --psm are for full-page "
		    "text; a template gives each field its language\n");
		return -1;
	}
	return 0;
}

/* The readable form of one page. */
static void
print_page(const json_t *p, int many)
{
	json_t *err = json_object_get(p, "error"), *fields, *v;
	const char *name;
	size_t i;

	if (many || err != NULL)
		printf("==> %s (page %lld)%s\n",
		    json_string_value(json_object_get(p, "file")),
		    (long long)json_integer_value(json_object_get(p, "page")),
		    err != NULL ? "" : json_is_true(json_object_get(p,
		    "review")) ? ": REVIEW" : json_object_get(p, "fields") ?
		    ": ok" : "");
	if (err != NULL) {
		printf("error: %s\n", json_string_value(err));
		return;
	}
	fields = json_object_get(p, "fields");
	if (fields == NULL) {
		fputs(json_string_value(json_object_get(p, "text")), stdout);
		putchar('\n');
		return;
	}
	json_object_foreach(fields, name, v) {
		json_t *val = json_object_get(v, "value");
		char *s = json_is_null(val) ? xstrdup("-") :
		    norm_value_text(val);

		printf("%-14s %-32s %5.1f  %s\n", name, s,
		    json_real_value(json_object_get(v, "confidence")),
		    json_string_value(json_object_get(v, "status")));
		free(s);
	}
	for (i = 0; i < json_array_size(json_object_get(p, "reasons")); i++)
		printf("review: %s\n", json_string_value(json_array_get(
		    json_object_get(p, "reasons"), i)));
}

int
cmd_ocr(int argc, char **argv)
{
	struct ocr_args a;
	struct ocr_job job;
	struct page_list pages = { NULL, 0, NULL };
	struct form_template *t = NULL;
	char err[8192];
	json_t *out;
	int i, nerr = 0, rc = 0;
	size_t k;

	if (parse_args(argc, argv, &a) != 0) {
		free(a.paths);
		return EXIT_USAGE;
	}
	if (a.help) {
		fputs(usage_text, stdout);
		fputs(help_text, stdout);
		free(a.paths);
		return 0;
	}
	if (a.tmpl != NULL) {
		char *path = ocr_template_path(a.tmpl);

		if (path == NULL) {
			fprintf(stderr, "kobito ocr: no template '%s' (give a "
			    "path, or a name in scripts/templates)\n", a.tmpl);
			free(a.paths);
			return EXIT_USAGE;
		}
		t = form_template_load(path, err, sizeof err);
		free(path);
		if (t == NULL) {
			fprintf(stderr, "%s\n", err);
			free(a.paths);
			return EXIT_USAGE;
		}
	}
	for (i = 0; i < a.npaths; i++)
		if (pages_add(&pages, a.paths[i], NULL, err, sizeof err) != 0) {
			fprintf(stderr, "kobito ocr: %s\n", err);
			rc = 1;
			goto out;
		}
	if (pages.n == 0) {
		fprintf(stderr, "kobito ocr: no images found\n");
		rc = 1;
		goto out;
	}
	memset(&job, 0, sizeof job);
	job.tmpl = t;
	job.lang = a.lang != NULL ? a.lang : "eng";
	job.psm = a.psm;
	job.threads = a.jobs;
	job.max_pixels = a.max_pixels;
	out = ocr_job_run(&job, &pages, &nerr);
	if (a.json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		putchar('\n');
	} else {
		json_t *arr = json_object_get(out, "pages");

		for (k = 0; k < json_array_size(arr); k++)
			print_page(json_array_get(arr, k),
			    json_array_size(arr) > 1);
	}
	json_decref(out);
	if (nerr > 0)
		rc = 1;
out:
	batch_shutdown();
	ocr_thread_release();
	pages_free(&pages);
	form_template_free(t);
	free(a.paths);
	return rc;
}
