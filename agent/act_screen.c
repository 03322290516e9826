/*
 * act_screen.c - ui.* actions that look at the screen: read text with OCR,
 * wait for text, click a word or phrase, find and click a small reference
 * image.
 *
 * Legacy screens have no API to ask what they show, so these actions read
 * their pixels.  The window (or a region of it) is captured straight into
 * memory (ui_capture), turned grey and scaled to twice its size - screen
 * fonts are 10-16 px high and tesseract's LSTM models read text of 25-30 px
 * best - and recognised with the thread's kept engine for the language
 * (ocr.h).  Boxes come back in the window's own pixels, the coordinates
 * ui.click takes.
 *
 * Text is matched on a normalised form: full-width letters and digits made
 * half-width, half-width katakana made full-width, ASCII letters lower case
 * and all spaces removed, since OCR puts spaces between Japanese characters
 * and drops them between Latin words at will.  A phrase is found within a
 * text line, character by character, so it may start or end in the middle
 * of one of tesseract's "words".
 *
 * Images are found by template matching in two passes: a sum of absolute
 * differences of grey levels over every position of a reduced image (the
 * reduction chosen so the reference keeps about 8 pixels in its smaller
 * dimension) gives a few candidates; each is checked at full resolution
 * around its place, pixel by pixel and channel by channel, within the
 * tolerance.  A few pixels (1 in 100) may differ more: anti-aliased edges.
 *
 * The actions share act_ui.c's display connection, window lookup, waits and
 * failure screenshot (act_ui.h).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>

#include "act_ui.h"
#include "action.h"
#include "buf.h"
#include "ocr.h"
#include "ui.h"
#include "width.h"
#include "xmalloc.h"

#define DEFAULT_LANG		"jpn+eng"
#define SCREEN_ZOOM		2	/* screens are read at twice their size */
#define SCREEN_DPI		144	/* what that looks like to tesseract */
#define POLL_MS			100	/* pause between two looks */
#define DEFAULT_TOLERANCE	24
#define MAX_CANDIDATES		16
#define SNIPPET_MAX		200	/* characters of read text in errors */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pause_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

/* --- where to look ------------------------------------------------------- */

/* The place a step looks at: a window (or the screen) and a region of it. */
struct place {
	struct ui_run	*u;
	unsigned long	 id;		/* 0: the screen */
	int		 rect[4];
	int		 has_rect;
};

/*
 * The window: as the other ui.* actions name it, but with no window named
 * and none current, the whole screen.  The region: [x, y, w, h].
 */
static int
get_place(struct act *a, struct place *p)
{
	json_t *r = act_arg(a, "region"), *v;
	size_t i;

	memset(p, 0, sizeof *p);
	if ((p->u = act_ui_get(a)) == NULL)
		return -1;
	if (act_arg(a, "window") == NULL && !act_bool(a, "screen", 0) &&
	    p->u->current == 0)
		p->id = 0;
	else if (act_ui_window(a, p->u, &p->id) != 0)
		return -1;
	if (r == NULL)
		return 0;
	if (!json_is_array(r) || json_array_size(r) != 4)
		return act_fail(a, "region must be a list [x, y, width, "
		    "height]");
	json_array_foreach(r, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < -100000 ||
		    json_integer_value(v) > 100000)
			return act_fail(a, "region must be a list of four "
			    "integers [x, y, width, height]");
		p->rect[i] = (int)json_integer_value(v);
	}
	if (p->rect[2] <= 0 || p->rect[3] <= 0)
		return act_fail(a, "region [%d, %d, %d, %d] is empty",
		    p->rect[0], p->rect[1], p->rect[2], p->rect[3]);
	p->has_rect = 1;
	return 0;
}

/* "window 123 '支出伝票' on display :57", for messages; the caller frees. */
static char *
place_describe(const struct place *p)
{
	struct ui_window w;
	char *s;

	if (p->id == 0)
		return xasprintf("the screen of display %s",
		    ui_display(p->u->ui));
	if (ui_window_geometry(p->u->ui, p->id, &w) != 0)
		return xasprintf("window %lu (gone) on display %s", p->id,
		    ui_display(p->u->ui));
	s = xasprintf("window %lu '%s' on display %s", p->id, w.title,
	    ui_display(p->u->ui));
	ui_window_clear(&w);
	return s;
}

/* The place's pixels; NULL after act_fail. */
static PIX *
capture(struct act *a, const struct place *p, int *ox, int *oy)
{
	PIX *pix = ui_capture(p->u->ui, p->id, p->has_rect ? p->rect : NULL,
	    ox, oy);

	if (pix == NULL)
		act_fail(a, "%s", ui_error(p->u->ui));
	return pix;
}

/* --- reading ------------------------------------------------------------- */

/* What one look at the place read. */
struct reading {
	struct ocr_result	 res;
	int			 ox, oy;	/* image origin, window px */
	int			 cjk;
};

/* Map a box of the zoomed image to the window's pixels. */
static void
to_window(const struct reading *rd, int x, int y, int w, int h, int box[4])
{
	box[0] = rd->ox + x / SCREEN_ZOOM;
	box[1] = rd->oy + y / SCREEN_ZOOM;
	box[2] = (x + w + SCREEN_ZOOM - 1) / SCREEN_ZOOM - x / SCREEN_ZOOM;
	box[3] = (y + h + SCREEN_ZOOM - 1) / SCREEN_ZOOM - y / SCREEN_ZOOM;
}

/* Capture the place and recognise it; -1 after act_fail. */
static int
read_place(struct act *a, const struct place *p, const char *lang,
    struct reading *rd)
{
	struct ocr_engine *e;
	PIX *pix, *grey, *big;
	char err[512];
	int r;

	memset(rd, 0, sizeof *rd);
	rd->cjk = strstr(lang, "jpn") != NULL;
	if ((e = ocr_engine_get(lang, err, sizeof err)) == NULL)
		return act_fail(a, "%s", err);
	if ((pix = capture(a, p, &rd->ox, &rd->oy)) == NULL)
		return -1;
	grey = pixConvertRGBToLuminance(pix);
	pixDestroy(&pix);
	big = grey != NULL ? pixScaleGrayLI(grey, SCREEN_ZOOM, SCREEN_ZOOM) :
	    NULL;
	pixDestroy(&grey);
	if (big == NULL)
		return act_fail(a, "leptonica could not prepare the image");
	r = ocr_recognize(e, big, OCR_PSM_SPARSE, SCREEN_DPI, &rd->res, err,
	    sizeof err);
	pixDestroy(&big);
	if (r != 0)
		return act_fail(a, "%s", err);
	return 0;
}

static char *
reading_text(const struct reading *rd)
{
	return ocr_join(&rd->res, 0, rd->res.nwords, rd->cjk, 0, NULL);
}

/* The read text, shortened and on one line, for error messages. */
static char *
snippet(const struct reading *rd)
{
	char *t = reading_text(rd), *s;
	size_t i, n = 0;

	for (i = 0; t[i] != '\0'; i++) {
		if (t[i] == '\n')
			t[i] = ' ';
		if (((unsigned char)t[i] & 0xc0) != 0x80 && ++n > SNIPPET_MAX) {
			t[i] = '\0';
			s = xasprintf("%s...", t);
			free(t);
			return s;
		}
	}
	return t;
}

/*
 * The normal form text is matched on (see the top of the file); the
 * caller frees it.
 */
static char *
normalise(const char *s)
{
	char *half = width_to_half(s), *full = width_kana_to_full(half);
	char *o = full, *p;

	free(half);
	for (p = full; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			continue;
		*o++ = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
	}
	*o = '\0';
	return full;
}

/* A piece of a line that text is matched against: a character or a word. */
struct unit {
	const char	*text;		/* borrowed from the reading */
	size_t		 from, to;	/* its bytes in the line's normal form */
	int		 x, y, w, h;	/* zoomed image px */
	float		 conf;
};

/* A match: its box in the window's pixels and what it read there. */
struct found {
	int		 box[4];
	char		*text;		/* what OCR read there; owned */
	double		 conf;
};

/*
 * Look for the normal form want in the lines of rd; the n-th occurrence
 * (from 1) in reading order goes to *f.  Returns 1 when found, else 0.
 */
static int
find_text(const struct reading *rd, const char *want, int n,
    struct found *f)
{
	const struct ocr_result *res = &rd->res;
	struct unit *units = NULL;
	size_t nunits = 0, cap = 0, i, k, first, u;
	struct buf line;
	int seen = 0, hit = 0;

	memset(f, 0, sizeof *f);
	if (*want == '\0')
		return 0;
	buf_init(&line, 1u << 20);
	for (i = 0; i < res->nwords && !hit; ) {
		const struct ocr_word *w0 = &res->words[i];

		/* One line: its units and their normal form. */
		buf_reset(&line);
		nunits = 0;
		for (; i < res->nwords && res->words[i].line == w0->line &&
		    res->words[i].block == w0->block; i++) {
			const struct ocr_word *w = &res->words[i];
			size_t nu = w->nsyms > 0 ? w->nsyms : 1;

			for (k = 0; k < nu; k++) {
				const char *t = w->nsyms > 0 ?
				    w->syms[k].text : w->text;
				char *norm = normalise(t);
				struct unit *un;

				if (nunits == cap) {
					cap = cap ? cap * 2 : 64;
					units = xreallocarray(units, cap,
					    sizeof *units);
				}
				un = &units[nunits++];
				un->text = t;
				un->from = line.len;
				buf_puts(&line, norm);
				un->to = line.len;
				if (w->nsyms > 0) {
					un->x = w->syms[k].x;
					un->y = w->syms[k].y;
					un->w = w->syms[k].w;
					un->h = w->syms[k].h;
					un->conf = w->syms[k].conf;
				} else {
					un->x = w->x;
					un->y = w->y;
					un->w = w->w;
					un->h = w->h;
					un->conf = w->conf;
				}
				free(norm);
			}
		}
		hit = 0;
		for (const char *s = buf_str(&line), *p = s;
		    (p = strstr(p, want)) != NULL; p++) {
			size_t at = (size_t)(p - s), end = at + strlen(want);
			int x0 = INT_MAX, y0 = INT_MAX, x1 = 0, y1 = 0;
			struct buf txt;
			double sum = 0;

			/* Only at a unit's start: not in a character. */
			for (first = 0; first < nunits &&
			    units[first].from < at; first++)
				;
			if (first == nunits || units[first].from != at)
				continue;
			if (++seen < n)
				continue;
			buf_init(&txt, 1u << 16);
			for (u = first; u < nunits && units[u].from < end;
			    u++) {
				const struct unit *un = &units[u];

				x0 = un->x < x0 ? un->x : x0;
				y0 = un->y < y0 ? un->y : y0;
				x1 = un->x + un->w > x1 ? un->x + un->w : x1;
				y1 = un->y + un->h > y1 ? un->y + un->h : y1;
				sum += un->conf;
				if (u > first && !rd->cjk)
					buf_puts(&txt, " ");
				buf_puts(&txt, un->text);
			}
			to_window(rd, x0, y0, x1 - x0, y1 - y0, f->box);
			f->text = xstrdup(buf_str(&txt));
			f->conf = sum / (double)(u - first);
			buf_free(&txt);
			hit = 1;
			break;
		}
	}
	buf_free(&line);
	free(units);
	return hit;
}

static json_t *
box_json(const int b[4])
{
	return json_pack("[i,i,i,i]", b[0], b[1], b[2], b[3]);
}

static double
round1(double v)
{
	return (double)(long long)(v * 10 + (v < 0 ? -0.5 : 0.5)) / 10;
}

static int
do_read_text(struct act *a)
{
	const char *lang = act_str(a, "lang", DEFAULT_LANG);
	struct place p;
	struct reading rd;
	json_t *words;
	char *text;
	int64_t t0 = mono_ms();
	size_t i;
	int b[4];

	if (act_dry_run(a)) {
		act_log(a, "dry run: would read the text of a window");
		return 0;
	}
	if (get_place(a, &p) != 0 || read_place(a, &p, lang, &rd) != 0)
		return -1;
	words = json_array();
	for (i = 0; i < rd.res.nwords; i++) {
		const struct ocr_word *w = &rd.res.words[i];

		to_window(&rd, w->x, w->y, w->w, w->h, b);
		json_array_append_new(words, json_pack("{s:s, s:o, s:f}",
		    "text", w->text, "box", box_json(b), "conf",
		    round1(w->conf)));
	}
	text = reading_text(&rd);
	act_log(a, "read %zu words in %lld ms", rd.res.nwords,
	    (long long)(mono_ms() - t0));
	a->out = json_pack("{s:s, s:o}", "text", text, "words", words);
	free(text);
	ocr_result_free(&rd.res);
	return 0;
}

/*
 * Look at the place until text is there (or, with gone, is not), for
 * the step's timeout.  Returns 1 when the wait succeeded (*f filled when
 * the text was seen), 0 after act_fail on timeout, -1 after act_fail.
 */
static int
wait_for_text(struct act *a, const struct place *p, const char *text,
    const char *lang, int gone, int n, struct found *f, int64_t *waited)
{
	struct ui_wait w;
	struct reading rd;
	char *want = normalise(text), *what, *seen = NULL, t[32];
	int64_t start = mono_ms(), left;
	int hit;

	memset(f, 0, sizeof *f);
	if (act_ui_wait(a, &w) != 0) {
		free(want);
		return -1;
	}
	if (*want == '\0') {
		free(want);
		return act_fail(a, "text must have something besides spaces");
	}
	for (;;) {
		if (read_place(a, p, lang, &rd) != 0) {
			free(want);
			free(seen);
			return -1;
		}
		hit = find_text(&rd, want, n, f);
		free(seen);
		seen = snippet(&rd);
		ocr_result_free(&rd.res);
		if (hit != gone)
			break;
		free(f->text);
		memset(f, 0, sizeof *f);
		left = w.timeout_ms - (mono_ms() - start);
		if (left <= 0 || act_cancelled(a)) {
			what = place_describe(p);
			snprintf(t, sizeof t, "%g s",
			    (double)w.timeout_ms / 1000.0);
			if (act_cancelled(a))
				act_fail(a, "the run was stopped while waiting "
				    "for text '%s' in %s", text, what);
			else if (gone)
				act_fail(a, "text '%s' still shown in %s after "
				    "%s", text, what, t);
			else
				act_fail(a, "text '%s'%s did not appear in %s "
				    "within %s (read: '%s')", text, n > 1 ?
				    " (that many times)" : "", what, t, seen);
			free(what);
			free(want);
			free(seen);
			return 0;
		}
		pause_ms(left < POLL_MS ? left : POLL_MS);
	}
	*waited = mono_ms() - start;
	free(want);
	free(seen);
	return 1;
}

static int
get_occurrence(struct act *a, int *n)
{
	long long v = act_int(a, "occurrence", 1);

	if (v < 1 || v > 10000)
		return act_fail(a, "occurrence must be between 1 and 10000, "
		    "not %lld", v);
	*n = (int)v;
	return 0;
}

static int
do_wait_text(struct act *a)
{
	const char *text = act_str(a, "text", "");
	const char *lang = act_str(a, "lang", DEFAULT_LANG);
	int gone = act_bool(a, "gone", 0), n = 1, r;
	struct place p;
	struct found f;
	int64_t waited = 0;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would wait until '%s' %s", text,
		    gone ? "goes" : "appears");
		return 0;
	}
	if (get_occurrence(a, &n) != 0 || get_place(a, &p) != 0)
		return -1;
	if ((r = wait_for_text(a, &p, text, lang, gone, n, &f, &waited)) != 1)
		return -1;
	if (gone) {
		act_log(a, "text '%s' is not shown (%lld ms)", text,
		    (long long)waited);
		a->out = json_pack("{s:b, s:I}", "found", 0, "waited_ms",
		    (json_int_t)waited);
		return 0;
	}
	act_log(a, "text '%s' read as '%s' at [%d, %d, %d, %d] (%lld ms)",
	    text, f.text, f.box[0], f.box[1], f.box[2], f.box[3],
	    (long long)waited);
	a->out = json_pack("{s:b, s:s, s:o, s:f, s:I}", "found", 1, "text",
	    f.text, "box", box_json(f.box), "conf", round1(f.conf),
	    "waited_ms", (json_int_t)waited);
	free(f.text);
	return 0;
}

/* Click the centre of box (window px) in p; -1 after act_fail. */
static int
click_box(struct act *a, const struct place *p, const int box[4], int *sx,
    int *sy, int *button, int *count)
{
	*count = act_bool(a, "double", 0) ? 2 : 1;
	if (act_ui_button(a, button) != 0)
		return -1;
	if (ui_click(p->u->ui, p->id, box[0] + box[2] / 2, box[1] + box[3] / 2,
	    *button, *count, sx, sy) != 0)
		return act_fail(a, "%s", ui_error(p->u->ui));
	return 0;
}

static int
do_click_text(struct act *a)
{
	const char *text = act_str(a, "text", "");
	const char *lang = act_str(a, "lang", DEFAULT_LANG);
	struct place p;
	struct found f;
	int64_t waited = 0, t0 = mono_ms();
	int n = 1, sx, sy, button, count;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would click the text '%s'", text);
		return 0;
	}
	if (get_occurrence(a, &n) != 0 || get_place(a, &p) != 0)
		return -1;
	if (wait_for_text(a, &p, text, lang, 0, n, &f, &waited) != 1)
		return -1;
	if (click_box(a, &p, f.box, &sx, &sy, &button, &count) != 0) {
		free(f.text);
		return -1;
	}
	act_log(a, "clicked text '%s' (read '%s', confidence %.0f) at "
	    "(%d, %d) on the screen in %lld ms", text, f.text, f.conf, sx, sy,
	    (long long)(mono_ms() - t0));
	a->out = json_pack("{s:s, s:o, s:f, s:i, s:i, s:I}", "text", f.text,
	    "box", box_json(f.box), "conf", round1(f.conf), "x", sx, "y", sy,
	    "waited_ms", (json_int_t)waited);
	free(f.text);
	return 0;
}

/* --- images -------------------------------------------------------------- */

/* An image as packed RGB and grey bytes. */
struct img {
	int		 w, h;
	unsigned char	*rgb;		/* w * h * 3 */
	unsigned char	*grey;		/* w * h */
};

static void
img_from_pix(struct img *im, PIX *pix)
{
	const l_uint32 *data = pixGetData(pix), *line;
	int x, y, wpl = pixGetWpl(pix);
	unsigned char *o, *g;
	uint32_t v;

	im->w = pixGetWidth(pix);
	im->h = pixGetHeight(pix);
	im->rgb = xreallocarray(NULL, (size_t)im->w * 3, (size_t)im->h);
	im->grey = xreallocarray(NULL, (size_t)im->w, (size_t)im->h);
	o = im->rgb;
	g = im->grey;
	for (y = 0; y < im->h; y++) {
		line = data + (size_t)y * (size_t)wpl;
		for (x = 0; x < im->w; x++) {
			v = line[x];
			o[0] = (unsigned char)(v >> 24);
			o[1] = (unsigned char)(v >> 16);
			o[2] = (unsigned char)(v >> 8);
			*g++ = (unsigned char)((o[0] * 77 + o[1] * 150 +
			    o[2] * 29) >> 8);
			o += 3;
		}
	}
}

static void
img_free(struct img *im)
{
	free(im->rgb);
	free(im->grey);
	memset(im, 0, sizeof *im);
}

/* The grey image reduced by f: each pixel the mean of an f x f block. */
static unsigned char *
reduce(const struct img *im, int f, int *rw, int *rh)
{
	int w = im->w / f, h = im->h / f, x, y, i, j;
	unsigned char *out = xreallocarray(NULL, (size_t)(w > 0 ? w : 1),
	    (size_t)(h > 0 ? h : 1));
	unsigned sum;

	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			sum = 0;
			for (j = 0; j < f; j++) {
				const unsigned char *r = im->grey +
				    (size_t)(y * f + j) * (size_t)im->w +
				    (size_t)(x * f);

				for (i = 0; i < f; i++)
					sum += r[i];
			}
			out[(size_t)y * (size_t)w + (size_t)x] =
			    (unsigned char)(sum / (unsigned)(f * f));
		}
	}
	*rw = w;
	*rh = h;
	return out;
}

/*
 * Check the reference at (x, y) of the screen image at full resolution:
 * the number of pixels with a channel further than tol from the
 * reference's, giving up past limit; *sad gets the sum of differences.
 */
static long
check_at(const struct img *scr, const struct img *ref, int x, int y,
    int tol, long limit, long long *sad)
{
	long bad = 0;
	long long s = 0;
	int i, j, c, d, worst;

	for (j = 0; j < ref->h; j++) {
		const unsigned char *a = scr->rgb + ((size_t)(y + j) *
		    (size_t)scr->w + (size_t)x) * 3;
		const unsigned char *b = ref->rgb + (size_t)j *
		    (size_t)ref->w * 3;

		for (i = 0; i < ref->w * 3; i += 3) {
			worst = 0;
			for (c = 0; c < 3; c++) {
				d = a[i + c] - b[i + c];
				d = d < 0 ? -d : d;
				s += d;
				worst = d > worst ? d : worst;
			}
			if (worst > tol && ++bad > limit) {
				*sad = s;
				return bad;
			}
		}
	}
	*sad = s;
	return bad;
}

struct cand {
	long long	sad;
	int		x, y;
};

/*
 * Find ref in scr.  Returns 1 with the top-left corner in *fx, *fy and
 * the mean channel difference in *score when it is there, else 0.
 */
static int
find_image(const struct img *scr, const struct img *ref, int tol, int *fx,
    int *fy, double *score)
{
	int f, sw, sh, rw, rh, mw, mh, x, y, i, j, k, dx, dy, px, py;
	unsigned char *s, *r;
	long long *map, bestsad = LLONG_MAX, sad;
	long limit = (long)ref->w * ref->h / 100, bad, bestbad = LONG_MAX;
	struct cand c[MAX_CANDIDATES];
	int nc = 0, small;

	if (ref->w > scr->w || ref->h > scr->h)
		return 0;
	small = ref->w < ref->h ? ref->w : ref->h;
	f = small / 8;
	f = f < 1 ? 1 : f > 8 ? 8 : f;
	s = reduce(scr, f, &sw, &sh);
	r = reduce(ref, f, &rw, &rh);
	mw = sw - rw + 1;
	mh = sh - rh + 1;
	if (mw <= 0 || mh <= 0 || rw <= 0 || rh <= 0) {
		free(s);
		free(r);
		return 0;
	}
	/* Pass 1: the grey difference at every reduced position. */
	map = xreallocarray(NULL, (size_t)mw, (size_t)mh * sizeof *map);
	for (y = 0; y < mh; y++) {
		for (x = 0; x < mw; x++) {
			sad = 0;
			for (j = 0; j < rh; j++) {
				const unsigned char *a = s + (size_t)(y + j) *
				    (size_t)sw + (size_t)x;
				const unsigned char *b = r + (size_t)j *
				    (size_t)rw;

				for (i = 0; i < rw; i++)
					sad += a[i] > b[i] ? a[i] - b[i] :
					    b[i] - a[i];
			}
			map[(size_t)y * (size_t)mw + (size_t)x] = sad;
		}
	}
	/* The best few, each suppressing its neighbourhood. */
	for (nc = 0; nc < MAX_CANDIDATES; nc++) {
		long long best = LLONG_MAX;
		int bx = -1, by = -1;

		for (y = 0; y < mh; y++) {
			for (x = 0; x < mw; x++) {
				if (map[(size_t)y * (size_t)mw + (size_t)x] <
				    best) {
					best = map[(size_t)y * (size_t)mw +
					    (size_t)x];
					bx = x;
					by = y;
				}
			}
		}
		if (bx < 0 || best == LLONG_MAX)
			break;
		/* Far too different on average: no more candidates. */
		if (best > (long long)rw * rh * 96)
			break;
		c[nc].sad = best;
		c[nc].x = bx;
		c[nc].y = by;
		for (y = by - rh / 2; y <= by + rh / 2; y++) {
			for (x = bx - rw / 2; x <= bx + rw / 2; x++) {
				if (x >= 0 && y >= 0 && x < mw && y < mh)
					map[(size_t)y * (size_t)mw +
					    (size_t)x] = LLONG_MAX;
			}
		}
	}
	free(map);
	free(s);
	free(r);
	/* Pass 2: full resolution, around each candidate. */
	for (k = 0; k < nc; k++) {
		for (dy = -f; dy <= f; dy++) {
			for (dx = -f; dx <= f; dx++) {
				px = c[k].x * f + dx;
				py = c[k].y * f + dy;
				if (px < 0 || py < 0 || px + ref->w > scr->w ||
				    py + ref->h > scr->h)
					continue;
				bad = check_at(scr, ref, px, py, tol, limit,
				    &sad);
				if (bad > limit)
					continue;
				if (bad < bestbad || (bad == bestbad &&
				    sad < bestsad)) {
					bestbad = bad;
					bestsad = sad;
					*fx = px;
					*fy = py;
				}
			}
		}
	}
	if (bestbad == LONG_MAX)
		return 0;
	*score = (double)bestsad / ((double)ref->w * ref->h * 3);
	return 1;
}

/* Load the reference image; -1 after act_fail. */
static int
load_ref(struct act *a, const char *path, struct img *ref)
{
	PIX *pix, *rgb;

	if (*path == '\0')
		return act_fail(a, "image must name a PNG file");
	if ((pix = pixRead(path)) == NULL)
		return act_fail(a, "cannot read the image '%s'", path);
	rgb = pixConvertTo32(pix);
	pixDestroy(&pix);
	if (rgb == NULL)
		return act_fail(a, "cannot convert the image '%s' to colour",
		    path);
	img_from_pix(ref, rgb);
	pixDestroy(&rgb);
	if (ref->w < 2 || ref->h < 2) {
		img_free(ref);
		return act_fail(a, "the image '%s' is too small to look for",
		    path);
	}
	return 0;
}

static int
look_for_image(struct act *a, int click_default)
{
	const char *path = act_str(a, "image", "");
	long long tol = act_int(a, "tolerance", DEFAULT_TOLERANCE);
	int gone = act_bool(a, "gone", 0);
	int click = act_bool(a, "click", click_default) && !gone;
	struct place p;
	struct ui_wait w;
	struct img ref, scr;
	PIX *pix;
	int64_t start, left;
	int ox, oy, fx = 0, fy = 0, hit, box[4], sx = 0, sy = 0, button = 1;
	int count = 1;
	double score = 0;
	char *what;

	if (tol < 0 || tol > 255)
		return act_fail(a, "tolerance must be between 0 and 255, not "
		    "%lld", tol);
	if (act_dry_run(a)) {
		act_log(a, "dry run: would look for the image '%s'", path);
		return 0;
	}
	if (load_ref(a, path, &ref) != 0)
		return -1;
	if (act_ui_wait(a, &w) != 0 || get_place(a, &p) != 0) {
		img_free(&ref);
		return -1;
	}
	start = mono_ms();
	for (;;) {
		if ((pix = capture(a, &p, &ox, &oy)) == NULL) {
			img_free(&ref);
			return -1;
		}
		img_from_pix(&scr, pix);
		pixDestroy(&pix);
		hit = find_image(&scr, &ref, (int)tol, &fx, &fy, &score);
		img_free(&scr);
		if (hit != gone)
			break;
		left = w.timeout_ms - (mono_ms() - start);
		if (left <= 0 || act_cancelled(a)) {
			what = place_describe(&p);
			if (act_cancelled(a))
				act_fail(a, "the run was stopped while looking "
				    "for the image '%s' in %s", path, what);
			else
				act_fail(a, "image '%s' %s %s within %g s "
				    "(tolerance %lld)", path, gone ?
				    "still shown in" : "not found in", what,
				    (double)w.timeout_ms / 1000.0, tol);
			free(what);
			img_free(&ref);
			return -1;
		}
		pause_ms(left < POLL_MS ? left : POLL_MS);
	}
	box[0] = ox + fx;
	box[1] = oy + fy;
	box[2] = ref.w;
	box[3] = ref.h;
	img_free(&ref);
	if (gone) {
		act_log(a, "image '%s' is not shown", path);
		a->out = json_pack("{s:b, s:I}", "found", 0, "waited_ms",
		    (json_int_t)(mono_ms() - start));
		return 0;
	}
	if (click && click_box(a, &p, box, &sx, &sy, &button, &count) != 0)
		return -1;
	act_log(a, "image '%s' at [%d, %d, %d, %d] (mean difference %.1f)%s",
	    path, box[0], box[1], box[2], box[3], score, click ? ", clicked" :
	    "");
	a->out = json_pack("{s:b, s:o, s:f, s:I}", "found", 1, "box",
	    box_json(box), "difference", round1(score), "waited_ms",
	    (json_int_t)(mono_ms() - start));
	if (click) {
		json_object_set_new(a->out, "x", json_integer(sx));
		json_object_set_new(a->out, "y", json_integer(sy));
	}
	return 0;
}

static int
do_click_image(struct act *a)
{
	return look_for_image(a, 1);
}

static int
do_wait_image(struct act *a)
{
	return look_for_image(a, 0);
}

/* --- the table ----------------------------------------------------------- */

#define PLACE_ARGS \
	{ "window", ARG_ANY, 0, "a window id or title pattern (default: the " \
	    "current window, else the screen)" }, \
	{ "screen", ARG_BOOL, 0, "look at the whole screen" }, \
	{ "region", ARG_LIST, 0, "[x, y, width, height] in the window's " \
	    "pixels (default: all of it)" }

#define LANG_ARG \
	{ "lang", ARG_STRING, 0, "tesseract languages (default jpn+eng)" }

static const struct action_arg read_text_args[] = {
	PLACE_ARGS,
	LANG_ARG,
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for window (default 10)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg wait_text_args[] = {
	{ "text", ARG_STRING, 1, "the word or phrase (spaces and widths do "
	    "not matter)" },
	{ "gone", ARG_BOOL, 0, "wait until it is no longer shown" },
	{ "occurrence", ARG_INT, 0, "wait for the n-th occurrence (default "
	    "1)" },
	PLACE_ARGS,
	LANG_ARG,
	{ "timeout", ARG_NUMBER, 0, "seconds to wait (default 10)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg click_text_args[] = {
	{ "text", ARG_STRING, 1, "the word or phrase (spaces and widths do "
	    "not matter)" },
	{ "occurrence", ARG_INT, 0, "click the n-th occurrence in reading "
	    "order (default 1)" },
	PLACE_ARGS,
	LANG_ARG,
	{ "button", ARG_ANY, 0, "left (default), middle, right or 1-9" },
	{ "double", ARG_BOOL, 0, "double-click" },
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for the text (default "
	    "10)" },
	{ NULL, 0, 0, NULL },
};

#define IMAGE_ARGS \
	{ "image", ARG_STRING, 1, "path of the reference image (PNG)" }, \
	{ "tolerance", ARG_INT, 0, "allowed difference per colour channel, " \
	    "0-255 (default 24)" }, \
	PLACE_ARGS, \
	{ "button", ARG_ANY, 0, "left (default), middle, right or 1-9" }, \
	{ "double", ARG_BOOL, 0, "double-click" }, \
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for the image (default " \
	    "10)" }

static const struct action_arg click_image_args[] = {
	IMAGE_ARGS,
	{ NULL, 0, 0, NULL },
};

static const struct action_arg wait_image_args[] = {
	IMAGE_ARGS,
	{ "click", ARG_BOOL, 0, "click it once found (default false)" },
	{ "gone", ARG_BOOL, 0, "wait until it is no longer shown" },
	{ NULL, 0, 0, NULL },
};

const struct action screen_actions[] = {
	{ "ui.read_text", "read the text of a window or a region of it (OCR)",
	    read_text_args, do_read_text, ACTION_UI, act_ui_on_fail },
	{ "ui.wait_text", "wait until a text appears on a window (or goes)",
	    wait_text_args, do_wait_text, ACTION_UI | ACTION_SCALAR,
	    act_ui_on_fail },
	{ "ui.click_text", "click a word or phrase read on a window",
	    click_text_args, do_click_text, ACTION_UI | ACTION_SCALAR,
	    act_ui_on_fail },
	{ "ui.click_image", "find a small reference image on a window and "
	    "click it", click_image_args, do_click_image,
	    ACTION_UI | ACTION_SCALAR, act_ui_on_fail },
	{ "ui.wait_image", "wait until a reference image is shown (or goes)",
	    wait_image_args, do_wait_image, ACTION_UI | ACTION_SCALAR,
	    act_ui_on_fail },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
