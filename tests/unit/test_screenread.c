/*
 * test_screenread.c - reading the stand-in finance screen off committed
 * screenshots (tests/fixtures/screens, made by render.sh there) in
 * thirteen renderings: the Adwaita, Adwaita-dark, HighContrast and
 * HighContrastInverse themes, grey, sub-pixel and aliased (unsmoothed)
 * fonts, full, slight and no hinting, 96 and 120 dpi, DejaVu with Noto
 * Sans CJK JP or IPAGothic, and Noto alone.
 *
 * Every label, value and button of five screens (the empty and filled
 * form, two dialogs, the export dialog with a selected row) must be found
 * where it is: in its row (above the next row's, level with its own) and
 * its column - the button Save, not the save in the file names above it.  Texts that are not shown must not be found.  Dark themes
 * are seen as such.  The pictures are files, so the test reads the same
 * pixels on every machine, whatever it has installed and however it
 * renders.  The renderings are read on as many threads as there are
 * processors (each thread has its own engines), the failures gathered and
 * reported together.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <leptonica/allheaders.h>

#include "buf.h"
#include "ocr.h"
#include "screenread.h"
#include "xmalloc.h"

/* A text a screen shows: its occurrence, its row, and the span of the
 * picture's width its middle lies in. */
struct want {
	const char	*text;
	int		 occurrence;
	int		 row;
	double		 x0, x1;
};

struct scene {
	const char		*name;
	const struct want	*wants;
};

#define LABEL	0.0, 0.3	/* the form's labels, right-aligned */
#define VALUE	0.2, 0.6	/* text in the form's fields */
#define ANY	0.0, 1.0

static const struct want form[] = {
	{ "日付", 1, 0, LABEL }, { "取引先", 1, 1, LABEL },
	{ "勘定科目コード", 1, 2, LABEL }, { "金額", 1, 3, LABEL },
	{ "摘要", 1, 4, LABEL }, { "登録", 1, 5, 0.8, 1.0 },
	{ NULL, 0, 0, ANY },
};

static const struct want filled[] = {
	{ "日付", 1, 0, LABEL }, { "2024-04-01", 1, 0, VALUE },
	{ "取引先", 1, 1, LABEL }, { "株式会社さくら商事", 1, 1, VALUE },
	{ "勘定科目コード", 1, 2, LABEL }, { "5120", 1, 2, VALUE },
	{ "金額", 1, 3, LABEL }, { "12000", 1, 3, VALUE },
	{ "摘要", 1, 4, LABEL }, { "Save As", 1, 4, VALUE },
	{ "事務用品", 1, 4, VALUE }, { "登録", 1, 5, 0.8, 1.0 },
	{ NULL, 0, 0, ANY },
};

static const struct want error_dialog[] = {
	{ "日付が不正です", 1, 0, ANY }, { "OK", 1, 1, ANY },
	{ NULL, 0, 0, ANY },
};

static const struct want confirm_dialog[] = {
	{ "登録しますか？", 1, 0, ANY }, { "はい", 1, 1, 0.0, 0.5 },
	{ "いいえ", 1, 1, 0.5, 1.0 },
	{ NULL, 0, 0, ANY },
};

/* The export dialog: a list (its first row selected: light text on a
 * dark band in light themes), a field, a combo box, a check box. */
static const struct want files[] = {
	{ "名前", 1, 0, 0.0, 0.15 }, { "サイズ", 1, 0, 0.2, 0.45 },
	{ "更新日", 1, 0, 0.3, 0.6 },
	{ "type_save.yaml", 1, 1, 0.0, 0.25 },
	{ "2024-03-28", 1, 1, 0.3, 0.6 },
	{ "save_all.csv", 1, 2, 0.0, 0.25 },
	{ "予算登録.xlsx", 1, 3, 0.0, 0.25 }, { "88 KB", 1, 3, 0.2, 0.45 },
	{ "支出伝票_4月.csv", 1, 4, 0.0, 0.25 },
	{ "readme.txt", 1, 5, 0.0, 0.25 },
	{ "名前", 2, 6, 0.0, 0.15 }, { "type_save.yaml", 2, 6, 0.1, 0.4 },
	{ "CSV (UTF-8)", 1, 7, 0.1, 0.35 },
	{ "上書きを確認する", 1, 8, 0.15, 0.4 },
	{ "Cancel", 1, 9, 0.6, 0.85 },
	/* A whole word: not the save in type_save.yaml or save_all.csv. */
	{ "Save", 1, 9, 0.8, 1.0 },
	{ NULL, 0, 0, ANY },
};

static const struct scene scenes[] = {
	{ "form", form },
	{ "filled", filled },
	{ "error", error_dialog },
	{ "confirm", confirm_dialog },
	{ "files", files },
};

/* Shown nowhere: must not be found (nor made up by the retries). */
static const char *const absent[] = { "承認済み", "Delete" };

/* The renderings (render.sh); dark: the theme is light on dark. */
static const struct variant {
	const char	*name;
	int		 dark;
} variants[] = {
	{ "adwaita", 0 }, { "adwaita-mono", 0 }, { "adwaita-rgb", 0 },
	{ "adwaita-noto", 0 }, { "adwaita-120dpi", 0 }, { "adwaita-ipa", 0 },
	{ "dark", 1 }, { "dark-rgb", 1 }, { "dark-small", 1 }, { "hc", 0 },
	{ "hc-mono", 0 }, { "hc-ipa-mono", 0 }, { "hcinv", 1 },
};

static char *
picture_path(const char *variant, const char *scene)
{
	const char *top = getenv("KOBITO_TOP");

	return xasprintf("%s/tests/fixtures/screens/%s-%s.png",
	    top != NULL ? top : ".", variant, scene);
}

/* Read one screen of one rendering; what is wrong goes to bad. */
static void
check_scene(const struct variant *v, const struct scene *sc, struct buf *bad)
{
	char *path = picture_path(v->name, sc->name);
	PIX *pix = pixRead(path);
	struct screenread sr;
	struct screenmatch_hit hit;
	struct screenread_look look;
	char err[512];
	int cy[32], i, k, n, W;
	size_t a;

	if (pix == NULL || screenread_init(&sr, pix, err, sizeof err) != 0) {
		buf_printf(bad, "  %s: cannot read %s\n", sc->name, path);
		pixDestroy(&pix);
		free(path);
		return;
	}
	free(path);
	W = pixGetWidth(pix);
	if (sr.inverted != v->dark)
		buf_printf(bad, "  %s: seen as %s\n", sc->name,
		    sr.inverted ? "dark" : "light");
	for (n = 0; sc->wants[n].text != NULL && n < 32; n++) {
		const struct want *w = &sc->wants[n];
		double mid;
		int r;

		cy[n] = -1;
		r = screenread_find(&sr, NULL, w->text, w->occurrence, 0,
		    &hit, &look, err, sizeof err);
		if (r < 0) {
			buf_printf(bad, "  %s: '%s': %s\n", sc->name, w->text,
			    err);
			continue;
		}
		if (r == 0) {
			buf_printf(bad, "  %s: '%s' not found (read: %s)\n",
			    sc->name, w->text, look.seen);
			screenread_look_free(&look);
			continue;
		}
		mid = (hit.box[0] + hit.box[2] / 2.0) / W;
		cy[n] = hit.box[1] + hit.box[3] / 2;
		if (mid < w->x0 || mid > w->x1)
			buf_printf(bad, "  %s: '%s' found at x %d (%.2f of the "
			    "width), not in %.2f-%.2f\n", sc->name, w->text,
			    hit.box[0], mid, w->x0, w->x1);
		screenmatch_hit_free(&hit);
		screenread_look_free(&look);
	}
	/* Rows: above the next row's, level with the same row's. */
	for (i = 0; i < n; i++)
		for (k = 0; k < n; k++) {
			const struct want *p = &sc->wants[i], *q = &sc->wants[k];

			if (cy[i] < 0 || cy[k] < 0)
				continue;
			if ((p->row < q->row && cy[i] >= cy[k]) ||
			    (p->row == q->row && abs(cy[i] - cy[k]) >
			    sr.text_h))
				buf_printf(bad, "  %s: '%s' (row %d) at y %d, "
				    "'%s' (row %d) at y %d\n", sc->name,
				    p->text, p->row, cy[i], q->text, q->row,
				    cy[k]);
		}
	for (a = 0; a < sizeof absent / sizeof absent[0]; a++) {
		int r = screenread_find(&sr, NULL, absent[a], 1, 0, &hit,
		    &look, err, sizeof err);

		if (r != 0)
			buf_printf(bad, "  %s: '%s', not shown, was found "
			    "(%s)\n", sc->name, absent[a], r < 0 ? err :
			    hit.text);
		screenmatch_hit_free(&hit);
		screenread_look_free(&look);
	}
	screenread_free(&sr);
	pixDestroy(&pix);
}

#define NVARIANTS	(sizeof variants / sizeof variants[0])

/* The renderings handed out to the threads, and what each found wrong. */
static struct {
	pthread_mutex_t	 lock;
	size_t		 next;
	struct buf	 bad[NVARIANTS];
} work = { PTHREAD_MUTEX_INITIALIZER, 0, { { 0 } } };

static void *
reader(void *arg)
{
	size_t v, i;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&work.lock);
		v = work.next++;
		pthread_mutex_unlock(&work.lock);
		if (v >= NVARIANTS)
			break;
		for (i = 0; i < sizeof scenes / sizeof scenes[0]; i++)
			check_scene(&variants[v], &scenes[i], &work.bad[v]);
	}
	ocr_thread_release();
	return NULL;
}

static void
test_variants(void **state)
{
	pthread_t th[8];
	struct buf all;
	char err[256];
	int n = ocr_ncpu() < 8 ? ocr_ncpu() : 8, i;
	size_t v;

	(void)state;
	/* libtesseract is loaded once, before the threads (ocr.h). */
	assert_int_equal(ocr_load(err, sizeof err), 0);
	for (v = 0; v < NVARIANTS; v++)
		buf_init(&work.bad[v], 1 << 20);
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, NULL), 0);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	buf_init(&all, 1 << 22);
	for (v = 0; v < NVARIANTS; v++) {
		if (work.bad[v].len > 0)
			buf_printf(&all, "%s:\n%s", variants[v].name,
			    buf_str(&work.bad[v]));
		buf_free(&work.bad[v]);
	}
	if (all.len > 0)
		fail_msg("%s", buf_str(&all));
	buf_free(&all);
}

static PIX *
load(const char *variant, const char *scene)
{
	char *path = picture_path(variant, scene);
	PIX *pix = pixRead(path);

	if (pix == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	return pix;
}

/* ui.read_text reads every region line by line, each in its language. */
static void
test_lines(void **state)
{
	static const char *const names[] = { "adwaita", "dark", "hc" };
	static const char *const labels[] = { "日付", "取引先", "勘定科目コード",
	    "金額", "登録" };
	struct screenread sr;
	struct ocr_result res;
	char err[512];
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		PIX *pix = load(names[i], "form");

		assert_int_equal(screenread_init(&sr, pix, err, sizeof err), 0);
		assert_int_equal(screenread_lines(&sr, NULL, &res, err,
		    sizeof err), 0);
		for (k = 0; k < sizeof labels / sizeof labels[0]; k++)
			if (strstr(res.text, labels[k]) == NULL)
				fail_msg("%s: '%s' not in the lines read: %s",
				    names[i], labels[k], res.text);
		ocr_result_free(&res);
		screenread_free(&sr);
		pixDestroy(&pix);
	}
}

static void
test_lang(void **state)
{
	(void)state;
	assert_string_equal(screenread_lang("日付"), "jpn");
	assert_string_equal(screenread_lang("Save As"), "eng");
	assert_string_equal(screenread_lang("ＯＫ"), "jpn");
	assert_string_equal(screenread_lang("支出伝票_4月.csv"), "jpn");
	assert_string_equal(screenread_lang("2024-04-01"), "eng");
}

static void
test_small(void **state)
{
	PIX *tiny = pixCreate(4, 4, 32);
	struct screenread sr;
	char err[256];

	(void)state;
	assert_int_equal(screenread_init(&sr, tiny, err, sizeof err), -1);
	assert_non_null(strstr(err, "smaller than 8x8"));
	pixDestroy(&tiny);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_variants),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	ocr_thread_release();
	return r;
}
