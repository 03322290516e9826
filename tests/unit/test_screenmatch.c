/*
 * test_screenmatch.c - finding text in OCR output and reference images in
 * screen images: the normal form, phrases across tesseract's words and
 * lines, occurrences; images found exactly, within a colour tolerance and
 * not beyond it, among look-alikes, and fast enough on a 1280x1024 screen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <leptonica/allheaders.h>

#include "ocr.h"
#include "screenmatch.h"
#include "xmalloc.h"

static void
check_norm(const char *in, const char *want)
{
	char *got = screenmatch_normalise(in);

	if (strcmp(got, want) != 0)
		fail_msg("'%s' became '%s', expected '%s'", in, got, want);
	free(got);
}

static void
test_normalise(void **state)
{
	(void)state;
	check_norm("登 録", "登録");
	check_norm("登録\u3000する", "登録する");
	check_norm("ＯＫ", "ok");
	check_norm("Save As", "saveas");
	check_norm("ｶﾞｲﾄﾞ１２", "ガイド12");
	check_norm("type_save.yaml", "typesaveyaml");
	/* A dot or a comma before a letter is nothing, as a space is... */
	check_norm("予算登録.xlsx", "予算登録xlsx");
	check_norm("readme,txt", "readmetxt");
	check_norm("Mr. Smith", "mrsmith");
	/* ...but in a number it is its value. */
	check_norm("1.5", "1.5");
	check_norm("1,500円", "1,500円");
	check_norm("v1.2b", "v1.2b");
	check_norm("  \t\n", "");
}

/*
 * A line of OCR output: words of characters 10 px wide at x, on line
 * `line`.  Each word's characters become its symbols.
 */
struct fake {
	struct ocr_result	res;
	size_t			cap;
};

static void
add_word(struct fake *f, const char *chars[], size_t n, int x, int y,
    int line, float conf)
{
	struct ocr_word *w;
	size_t i, len = 0;

	if (f->res.nwords == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->res.words = xreallocarray(f->res.words, f->cap,
		    sizeof *f->res.words);
	}
	w = &f->res.words[f->res.nwords++];
	memset(w, 0, sizeof *w);
	w->syms = xcalloc(n, sizeof *w->syms);
	w->nsyms = n;
	for (i = 0; i < n; i++)
		len += strlen(chars[i]);
	w->text = xcalloc(1, len + 1);
	for (i = 0, len = 0; i < n; i++) {
		memcpy(w->text + len, chars[i], strlen(chars[i]));
		len += strlen(chars[i]);
		w->syms[i].text = xstrdup(chars[i]);
		w->syms[i].x = x + 10 * (int)i;
		w->syms[i].y = y;
		w->syms[i].w = 9;
		w->syms[i].h = 12;
		w->syms[i].conf = conf;
	}
	w->x = x;
	w->y = y;
	w->w = 10 * (int)n - 1;
	w->h = 12;
	w->conf = conf;
	w->line = line;
	f->res.nlines = line + 1;
}

static void
test_text(void **state)
{
	/* Line 0: "支出 伝票入力" (the jpn model splits it at random). */
	const char *w0[] = { "支", "出" }, *w1[] = { "伝", "票", "入", "力" };
	/* Line 1: "登録 OK"; line 2: "登録" again. */
	const char *w2[] = { "登", "録" }, *w3[] = { "O", "K" };
	struct fake f = { { 0 }, 0 };
	struct screenmatch_hit hit;
	char *want;

	(void)state;
	add_word(&f, w0, 2, 100, 10, 0, 90);
	add_word(&f, w1, 4, 125, 10, 0, 80);
	add_word(&f, w2, 2, 300, 50, 1, 96);
	add_word(&f, w3, 2, 330, 50, 1, 70);
	add_word(&f, w2, 2, 40, 90, 2, 99);

	/* A phrase across two words, ending inside the second. */
	want = screenmatch_normalise("出伝 票");
	assert_int_equal(screenmatch_text(&f.res, 1, want, 1, 0, &hit), 1);
	free(want);
	assert_int_equal(hit.box[0], 110);
	assert_int_equal(hit.box[1], 10);
	assert_int_equal(hit.box[2], 144 - 110);
	assert_int_equal(hit.box[3], 12);
	assert_string_equal(hit.text, "出伝票");
	assert_true(hit.conf > 83 && hit.conf < 84);	/* (90+80+80)/3 */
	screenmatch_hit_free(&hit);

	/* Full-width and case do not matter. */
	want = screenmatch_normalise("ｏｋ");
	assert_int_equal(screenmatch_text(&f.res, 0, want, 1, 0, &hit), 1);
	free(want);
	assert_int_equal(hit.box[0], 330);
	assert_string_equal(hit.text, "OK");
	screenmatch_hit_free(&hit);

	/* Occurrences in reading order; no third one. */
	assert_int_equal(screenmatch_text(&f.res, 1, "登録", 1, 0, &hit), 1);
	assert_int_equal(hit.box[0], 300);
	screenmatch_hit_free(&hit);
	assert_int_equal(screenmatch_text(&f.res, 1, "登録", 2, 0, &hit), 1);
	assert_int_equal(hit.box[0], 40);
	assert_int_equal(hit.box[1], 90);
	screenmatch_hit_free(&hit);
	assert_int_equal(screenmatch_text(&f.res, 1, "登録", 3, 0, &hit), 0);
	assert_null(hit.text);

	/* Not across lines, not an absent text, never the empty text. */
	assert_int_equal(screenmatch_text(&f.res, 1, "入力登録", 1, 0, &hit), 0);
	assert_int_equal(screenmatch_text(&f.res, 1, "承認", 1, 0, &hit), 0);
	assert_int_equal(screenmatch_text(&f.res, 1, "", 1, 0, &hit), 0);
	ocr_result_free(&f.res);
}

/* One word per string, its characters as symbols, on line line. */
static void
add_words(struct fake *f, const char *const *words, int line)
{
	const char *chars[64];
	char buf[64][5];
	int x = 10;
	size_t i, n, len;

	for (; *words != NULL; words++) {
		for (i = 0, n = 0; (*words)[i] != '\0' && n < 64; i += len,
		    n++) {
			len = 1;
			while (((unsigned char)(*words)[i + len] & 0xc0) == 0x80)
				len++;
			memcpy(buf[n], *words + i, len);
			buf[n][len] = '\0';
			chars[n] = buf[n];
		}
		add_word(f, chars, n, x, 10 + 20 * line, line, 90);
		x += 10 * (int)n + 8;
	}
}

/* The whole-word rule, and contains. */
static void
test_words(void **state)
{
	static const char *const l0[] = { "type_save.yaml", "2", "KB", NULL };
	static const char *const l1[] = { "Saved", "12000", NULL };
	static const char *const l2[] = { "登録しますか？", NULL };
	static const char *const l3[] = { "Cancel", "Save", NULL };
	static const char *const l4[] = { "readme,txt", "1.5", NULL };
	static const char *const l5[] = { "readme", "txt", NULL };
	static const char *const l6[] = { "readme", ".", "txt", NULL };
	struct fake f = { { 0 }, 0 };
	struct screenmatch_hit hit;

	(void)state;
	add_words(&f, l0, 0);
	add_words(&f, l1, 1);
	add_words(&f, l2, 2);
	add_words(&f, l3, 3);
	add_words(&f, l4, 4);
	add_words(&f, l5, 5);
	add_words(&f, l6, 6);
	/* Save: not in type_save.yaml, not in Saved, but the button. */
	assert_int_equal(screenmatch_text(&f.res, 0, "save", 1, 0, &hit), 1);
	assert_int_equal(hit.box[1], 70);
	assert_string_equal(hit.text, "Save");
	assert_string_equal(hit.word, "Save");
	screenmatch_hit_free(&hit);
	/* ...which contains finds first, and says in what. */
	assert_int_equal(screenmatch_text(&f.res, 0, "save", 1,
	    SCREENMATCH_CONTAINS, &hit), 1);
	assert_int_equal(hit.box[1], 10);
	assert_string_equal(hit.text, "save");
	assert_string_equal(hit.word, "type_save.yaml");
	screenmatch_hit_free(&hit);
	assert_int_equal(screenmatch_text(&f.res, 0, "save", 2,
	    SCREENMATCH_CONTAINS, &hit), 1);
	assert_string_equal(hit.word, "Saved");
	screenmatch_hit_free(&hit);
	/* type (before the underscore) is no word either. */
	assert_int_equal(screenmatch_text(&f.res, 0, "type", 1, 0, &hit), 0);
	assert_int_equal(screenmatch_text(&f.res, 0, "typesaveyaml", 1, 0,
	    &hit), 1);
	screenmatch_hit_free(&hit);
	/* Digits: 120 is not in 12000; 2 and KB are words, 2KB a phrase. */
	assert_int_equal(screenmatch_text(&f.res, 0, "120", 1, 0, &hit), 0);
	assert_int_equal(screenmatch_text(&f.res, 0, "12000", 1, 0, &hit), 1);
	screenmatch_hit_free(&hit);
	assert_int_equal(screenmatch_text(&f.res, 0, "2kb", 1, 0, &hit), 1);
	assert_string_equal(hit.text, "2 KB");
	screenmatch_hit_free(&hit);
	/* The dot of a file name read as a comma, a space or its own. */
	assert_int_equal(screenmatch_text(&f.res, 0, "readmetxt", 1, 0, &hit),
	    1);
	assert_string_equal(hit.word, "readme,txt");
	screenmatch_hit_free(&hit);
	assert_int_equal(screenmatch_text(&f.res, 0, "readmetxt", 2, 0, &hit),
	    1);
	assert_string_equal(hit.word, "readme txt");
	screenmatch_hit_free(&hit);
	assert_int_equal(screenmatch_text(&f.res, 0, "readmetxt", 3, 0, &hit),
	    1);
	assert_string_equal(hit.word, "readme . txt");
	screenmatch_hit_free(&hit);
	/* A number's point is not: 15 is not 1.5. */
	assert_int_equal(screenmatch_text(&f.res, 0, "15", 1, 0, &hit), 0);
	/* Japanese has no spaces to tell words by: found inside a phrase. */
	assert_int_equal(screenmatch_text(&f.res, 1, "登録", 1, 0, &hit), 1);
	assert_string_equal(hit.word, "登録しますか？");
	screenmatch_hit_free(&hit);
	ocr_result_free(&f.res);
}

/* A w x h image of pseudo-random colour blocks (4x4 px), from seed. */
static struct screenmatch_img
noise_img(int w, int h, unsigned seed)
{
	struct screenmatch_img im;
	int x, y, c;
	unsigned v;

	im.w = w;
	im.h = h;
	im.rgb = xreallocarray(NULL, (size_t)w * 3, (size_t)h);
	im.grey = xreallocarray(NULL, (size_t)w, (size_t)h);
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			v = ((unsigned)(x / 4) * 73856093u) ^
			    ((unsigned)(y / 4) * 19349663u) ^ seed;
			v = v * 2654435761u;
			for (c = 0; c < 3; c++)
				im.rgb[((size_t)y * w + x) * 3 + c] =
				    (unsigned char)(v >> (8 * c + 4));
		}
	}
	for (x = 0; x < w * h; x++)
		im.grey[x] = (unsigned char)((im.rgb[x * 3] * 77 +
		    im.rgb[x * 3 + 1] * 150 + im.rgb[x * 3 + 2] * 29) >> 8);
	return im;
}

/* Cut (x, y, w, h) out of im, adding delta to every channel (clamped). */
static struct screenmatch_img
cut(const struct screenmatch_img *im, int x0, int y0, int w, int h,
    int delta)
{
	struct screenmatch_img r;
	int x, y, c, v;

	r.w = w;
	r.h = h;
	r.rgb = xreallocarray(NULL, (size_t)w * 3, (size_t)h);
	r.grey = xreallocarray(NULL, (size_t)w, (size_t)h);
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			for (c = 0; c < 3; c++) {
				v = im->rgb[((size_t)(y0 + y) * im->w + x0 +
				    x) * 3 + c] + delta;
				r.rgb[((size_t)y * w + x) * 3 + c] =
				    (unsigned char)(v < 0 ? 0 : v > 255 ? 255 :
				    v);
			}
			r.grey[y * w + x] = (unsigned char)((r.rgb[(y * w + x) *
			    3] * 77 + r.rgb[(y * w + x) * 3 + 1] * 150 +
			    r.rgb[(y * w + x) * 3 + 2] * 29) >> 8);
		}
	}
	return r;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static void
test_image(void **state)
{
	struct screenmatch_img scr = noise_img(1280, 1024, 7), ref, shifted,
	    other;
	double score, t0, ms;
	int x = -1, y = -1, need = -1;

	(void)state;
	/* At an odd place, not aligned with the reduction. */
	ref = cut(&scr, 1001, 517, 37, 23, 0);
	t0 = now_ms();
	assert_int_equal(screenmatch_image(&scr, &ref, 24, &x, &y, &score),
	    1);
	ms = now_ms() - t0;
	assert_int_equal(x, 1001);
	assert_int_equal(y, 517);
	assert_true(score == 0);
	print_message("a 37x23 image found on 1280x1024 in %.0f ms\n", ms);
	/* A generous bound: the build machine is shared. */
	if (ms > 1000)
		fail_msg("finding a 37x23 image on 1280x1024 took %.0f ms", ms);

	/* 10 more on every channel: within 24, not within 5. */
	shifted = cut(&scr, 1001, 517, 37, 23, 10);
	assert_int_equal(screenmatch_image(&scr, &shifted, 24, &x, &y, &score),
	    1);
	assert_int_equal(x, 1001);
	assert_int_equal(y, 517);
	assert_true(score > 5 && score <= 10);
	assert_int_equal(screenmatch_image(&scr, &shifted, 5, &x, &y, &score),
	    0);
	/* ...and what a failure reports: where, and the tolerance needed
	 * (a channel already at 255 moved less than 10). */
	assert_int_equal(screenmatch_image_nearest(&scr, &shifted, &x, &y,
	    &score, &need), 1);
	assert_int_equal(x, 1001);
	assert_int_equal(y, 517);
	assert_true(score > 5 && score <= 10);
	assert_int_equal(need, 10);

	/* A picture that is not on the screen: nothing near it either. */
	other = noise_img(40, 30, 12345);
	assert_int_equal(screenmatch_image(&scr, &other, 24, &x, &y, &score),
	    0);
	if (screenmatch_image_nearest(&scr, &other, &x, &y, &score, &need))
		assert_true(need > 100);
	/* Larger than the screen. */
	assert_int_equal(screenmatch_image(&ref, &scr, 24, &x, &y, &score), 0);

	screenmatch_img_free(&scr);
	screenmatch_img_free(&ref);
	screenmatch_img_free(&shifted);
	screenmatch_img_free(&other);
}

/* From a leptonica image, colours and grey as expected; small images. */
static void
test_from_pix(void **state)
{
	struct screenmatch_img im, ref;
	PIX *pix = pixCreate(5, 4, 32);
	double score;
	int x, y;

	(void)state;
	pixSetAllArbitrary(pix, 0xffffff00);		/* white */
	pixSetRGBPixel(pix, 2, 1, 200, 10, 30);
	pixSetRGBPixel(pix, 3, 1, 0, 0, 0);
	pixSetRGBPixel(pix, 2, 2, 0, 0, 0);
	pixSetRGBPixel(pix, 3, 2, 0, 0, 255);
	screenmatch_img_from_pix(&im, pix);
	pixDestroy(&pix);
	assert_int_equal(im.w, 5);
	assert_int_equal(im.h, 4);
	assert_memory_equal(im.rgb + (1 * 5 + 2) * 3, "\xc8\x0a\x1e", 3);
	assert_int_equal(im.grey[0], 255);
	ref = cut(&im, 2, 1, 2, 2, 0);
	assert_int_equal(screenmatch_image(&im, &ref, 0, &x, &y, &score), 1);
	assert_int_equal(x, 2);
	assert_int_equal(y, 1);
	screenmatch_img_free(&im);
	screenmatch_img_free(&ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_from_pix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
