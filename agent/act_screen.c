/*
 * act_screen.c - ui.* actions that look at the screen: read text with OCR,
 * wait for text, click a word or phrase, find and click a small reference
 * image.
 *
 * Legacy screens have no API to ask what they show, so these actions read
 * their pixels.  The window (or a region of it) is captured straight into
 * memory (ui_capture) and read by recognizers/screenread.h: made dark text
 * on light whatever the theme, binarised locally, cut into candidate text
 * lines, and read whole or line by line with the thread's kept engines
 * (ocr.h).  Boxes come back in the window's own pixels, the coordinates
 * ui.click takes.
 *
 * Text is matched on a normal form (spaces removed, widths unified) and
 * images by template matching within a colour tolerance: both are in
 * recognizers/screenmatch.h, where they can be tested without a display.
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
#include "ocr.h"
#include "screenmatch.h"
#include "screenread.h"
#include "ui.h"
#include "timeutil.h"
#include "xmalloc.h"

#define POLL_MS			100	/* pause between two looks */
#define DEFAULT_TOLERANCE	24
#define SNIPPET_MAX		200	/* characters of read text in errors */

/* --- where to look ------------------------------------------------------- */

/* The place a step looks at: a window (or the screen) and a region of it. */
struct place {
	struct ui_run	*u;
	unsigned long	 id;		/* 0: the screen */
	int		 rect[4];
	int		 has_rect;
	int		 control;	/* the rect is a target's */
};

/*
 * The window: as the other ui.* actions name it, but with no window named
 * and none current, the whole screen.  The region: [x, y, w, h].
 */
static int
get_place(struct act *a, struct place *p)
{
	json_t *r = act_arg(a, "region"), *v;
	int reg[4];
	size_t i;

	memset(p, 0, sizeof *p);
	if ((p->u = act_ui_get(a)) == NULL)
		return -1;
	if (act_ui_has_target(a)) {
		/* A control: the part of the screen it covers. */
		if (act_ui_target_rect(a, p->rect) != 0)
			return -1;
		p->id = 0;
		p->has_rect = p->control = 1;
	} else if (act_arg(a, "window") == NULL && !act_bool(a, "screen", 0) &&
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
		reg[i] = (int)json_integer_value(v);
	}
	if (reg[2] <= 0 || reg[3] <= 0)
		return act_fail(a, "region [%d, %d, %d, %d] is empty",
		    reg[0], reg[1], reg[2], reg[3]);
	if (p->control) {
		/* A region of the control, within it. */
		reg[0] += p->rect[0];
		reg[1] += p->rect[1];
		if (reg[0] + reg[2] > p->rect[0] + p->rect[2])
			reg[2] = p->rect[0] + p->rect[2] - reg[0];
		if (reg[1] + reg[3] > p->rect[1] + p->rect[3])
			reg[3] = p->rect[1] + p->rect[3] - reg[1];
	}
	memcpy(p->rect, reg, sizeof reg);
	p->has_rect = 1;
	return 0;
}

/* "window 123 '支出伝票' on display :57", for messages; the caller frees. */
static char *
place_describe(const struct place *p)
{
	struct ui_window w;
	char *s;

	if (p->id == 0 && p->control)
		return xasprintf("the control at [%d, %d, %d, %d] on display "
		    "%s", p->rect[0], p->rect[1], p->rect[2], p->rect[3],
		    ui_display(p->u->ui));
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

/* What one look at the place saw. */
struct reading {
	struct screenread	 sr;
	int			 ox, oy;	/* capture origin, window px */
};

/* Capture the place and prepare it for reading; -1 after act_fail. */
static int
look_at(struct act *a, const struct place *p, struct reading *rd)
{
	char err[512];
	PIX *pix;
	int r;

	memset(rd, 0, sizeof *rd);
	if ((pix = capture(a, p, &rd->ox, &rd->oy)) == NULL)
		return -1;
	r = screenread_init(&rd->sr, pix, err, sizeof err);
	pixDestroy(&pix);
	if (r != 0)
		return act_fail(a, "%s", err);
	return 0;
}

/* A box of the capture in the window's pixels. */
static void
to_window(const struct reading *rd, const int in[4], int out[4])
{
	out[0] = rd->ox + in[0];
	out[1] = rd->oy + in[1];
	out[2] = in[2];
	out[3] = in[3];
}

/* The read text, shortened and on one line, for error messages. */
static char *
snippet(const char *text)
{
	char *t = xstrdup(text != NULL ? text : ""), *s;
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
	const char *lang = act_str(a, "lang", NULL);
	struct place p;
	struct reading rd;
	struct ocr_result res;
	json_t *words;
	char err[512];
	int64_t t0 = time_mono_ms();
	size_t i;
	int b[4];

	if (act_dry_run(a)) {
		act_log(a, "dry run: would read the text of a window");
		return 0;
	}
	if (get_place(a, &p) != 0 || look_at(a, &p, &rd) != 0)
		return -1;
	if (screenread_lines(&rd.sr, lang, &res, err, sizeof err) != 0) {
		screenread_free(&rd.sr);
		return act_fail(a, "%s", err);
	}
	words = json_array();
	for (i = 0; i < res.nwords; i++) {
		const struct ocr_word *w = &res.words[i];
		int in[4] = { w->x, w->y, w->w, w->h };

		to_window(&rd, in, b);
		json_array_append_new(words, json_pack("{s:s, s:o, s:f}",
		    "text", w->text, "box", box_json(b), "conf",
		    round1(w->conf)));
	}
	act_log(a, "read %zu words in %zu lines in %lld ms", res.nwords,
	    rd.sr.nsegs, (long long)(time_mono_ms() - t0));
	a->out = json_pack("{s:s, s:o}", "text", res.text, "words", words);
	ocr_result_free(&res);
	screenread_free(&rd.sr);
	return 0;
}

/* How a text was found, for the log. */
static const char *
found_how(const struct screenread_look *l)
{
	if (l->retries > 0)
		return ", read again line by line";
	return l->lines ? ", read line by line" : "";
}

/* What ui.wait_text and ui.click_text look for, from the step's args. */
struct text_spec {
	const char	*text;
	const char	*lang;		/* NULL: from the text's script */
	int		 gone;		/* wait until it is not shown */
	int		 n;		/* occurrence */
	unsigned	 flags;		/* SCREENMATCH_CONTAINS */
};

/* The step's text, lang, occurrence and contains; -1 after act_fail. */
static int
get_text_spec(struct act *a, struct text_spec *ts)
{
	long long v = act_int(a, "occurrence", 1);
	char *norm;
	int empty;

	ts->text = act_str(a, "text", "");
	ts->lang = act_str(a, "lang", NULL);
	ts->gone = act_bool(a, "gone", 0) != 0;
	ts->flags = act_bool(a, "contains", 0) ? SCREENMATCH_CONTAINS : 0;
	if (v < 1 || v > 10000)
		return act_fail(a, "occurrence must be between 1 and 10000, "
		    "not %lld", v);
	ts->n = (int)v;
	norm = screenmatch_normalise(ts->text);
	empty = *norm == '\0';
	free(norm);
	if (empty)
		return act_fail(a, "text must have something besides spaces");
	return 0;
}

/* Whether the whole-word rule can make a difference for ts: it has a
 * letter or digit, and contains was not asked. */
static int
whole_words_asked(const struct text_spec *ts)
{
	char *norm, *c;
	int r = 0;

	if (ts->flags & SCREENMATCH_CONTAINS)
		return 0;
	norm = screenmatch_normalise(ts->text);
	for (c = norm; *c != '\0' && !r; c++)
		r = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z');
	free(norm);
	return r;
}

/*
 * Look at the place until the text is there (or, with gone, is not), for
 * the step's timeout.  Returns 1 when the wait succeeded (*f filled when
 * the text was seen, *how says how), 0 after act_fail on timeout, -1
 * after act_fail.
 */
static int
wait_for_text(struct act *a, const struct place *p, const struct text_spec *ts,
    struct screenmatch_hit *f, const char **how, int64_t *waited)
{
	struct ui_wait w;
	struct reading rd;
	struct screenread_look look;
	char *what, *seen = NULL, t[32], occ[48], err[512];
	int64_t start = time_mono_ms(), left;
	int hit;

	memset(f, 0, sizeof *f);
	*how = "";
	snprintf(occ, sizeof occ, " %d times", ts->n);
	if (act_ui_wait(a, &w) != 0)
		return -1;
	for (;;) {
		if (look_at(a, p, &rd) != 0) {
			free(seen);
			return -1;
		}
		hit = screenread_find(&rd.sr, ts->lang, ts->text, ts->n,
		    ts->flags, f, &look, err, sizeof err);
		screenread_free(&rd.sr);
		if (hit < 0) {
			free(seen);
			return act_fail(a, "%s", err);
		}
		if (hit)
			to_window(&rd, f->box, f->box);
		free(seen);
		seen = snippet(look.seen);
		*how = found_how(&look);
		screenread_look_free(&look);
		if (hit != ts->gone)
			break;
		screenmatch_hit_free(f);
		left = w.timeout_ms - (time_mono_ms() - start);
		if (left <= 0 || act_cancelled(a)) {
			what = place_describe(p);
			snprintf(t, sizeof t, "%g s",
			    (double)w.timeout_ms / 1000.0);
			if (act_cancelled(a))
				act_fail(a, "the run was stopped while waiting "
				    "for text '%s' in %s", ts->text, what);
			else if (ts->gone)
				act_fail(a, "text '%s' still shown in %s after "
				    "%s", ts->text, what, t);
			else
				act_fail(a, "text '%s' did not appear%s%s in "
				    "%s within %s (read: '%s')", ts->text,
				    whole_words_asked(ts) ? " as a whole word" :
				    "", ts->n > 1 ? occ : "", what, t, seen);
			free(what);
			free(seen);
			return 0;
		}
		time_sleep_ms(left < POLL_MS ? left : POLL_MS, NULL);
	}
	*waited = time_mono_ms() - start;
	free(seen);
	return 1;
}

static int
do_wait_text(struct act *a)
{
	struct text_spec ts;
	struct place p;
	struct screenmatch_hit f;
	const char *how;
	int64_t waited = 0;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would wait until '%s' %s",
		    act_str(a, "text", ""), act_bool(a, "gone", 0) ? "goes" :
		    "appears");
		return 0;
	}
	if (get_text_spec(a, &ts) != 0 || get_place(a, &p) != 0)
		return -1;
	if (wait_for_text(a, &p, &ts, &f, &how, &waited) != 1)
		return -1;
	if (ts.gone) {
		act_log(a, "text '%s' is not shown (%lld ms)", ts.text,
		    (long long)waited);
		a->out = json_pack("{s:b, s:I}", "found", 0, "waited_ms",
		    (json_int_t)waited);
		return 0;
	}
	act_log(a, "text '%s' read as '%s' in '%s' at [%d, %d, %d, %d] "
	    "(%lld ms%s)", ts.text, f.text, f.word, f.box[0], f.box[1],
	    f.box[2], f.box[3], (long long)waited, how);
	a->out = json_pack("{s:b, s:s, s:s, s:o, s:f, s:I}", "found", 1,
	    "text", f.text, "word", f.word, "box", box_json(f.box), "conf",
	    round1(f.conf), "waited_ms", (json_int_t)waited);
	screenmatch_hit_free(&f);
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
	struct text_spec ts;
	struct place p;
	struct screenmatch_hit f;
	const char *how;
	int64_t waited = 0, t0 = time_mono_ms();
	int sx, sy, button, count;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would click the text '%s'",
		    act_str(a, "text", ""));
		return 0;
	}
	if (get_text_spec(a, &ts) != 0 || get_place(a, &p) != 0)
		return -1;
	ts.gone = 0;
	if (wait_for_text(a, &p, &ts, &f, &how, &waited) != 1)
		return -1;
	if (click_box(a, &p, f.box, &sx, &sy, &button, &count) != 0) {
		screenmatch_hit_free(&f);
		return -1;
	}
	act_log(a, "clicked text '%s' (read '%s' in '%s', confidence %.0f%s) "
	    "at (%d, %d) on the screen in %lld ms", ts.text, f.text, f.word,
	    f.conf, how, sx, sy, (long long)(time_mono_ms() - t0));
	a->out = json_pack("{s:s, s:s, s:o, s:f, s:i, s:i, s:I}", "text",
	    f.text, "word", f.word, "box", box_json(f.box), "conf",
	    round1(f.conf), "x", sx, "y", sy, "waited_ms", (json_int_t)waited);
	screenmatch_hit_free(&f);
	return 0;
}

/* --- images -------------------------------------------------------------- */

/* Load the reference image; -1 after act_fail. */
static int
load_ref(struct act *a, const char *path, struct screenmatch_img *ref)
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
	screenmatch_img_from_pix(ref, rgb);
	pixDestroy(&rgb);
	if (ref->w < 2 || ref->h < 2) {
		screenmatch_img_free(ref);
		return act_fail(a, "the image '%s' is too small to look for",
		    path);
	}
	return 0;
}

/*
 * Fail: the image was not found.  The place that came nearest, and the
 * tolerance that would have taken it, tell whether to raise the tolerance
 * or to cut a new reference.
 */
static void
image_missed(struct act *a, const struct screenmatch_img *scr,
    const struct screenmatch_img *ref, const char *path, const char *what,
    double secs, long long tol, int ox, int oy)
{
	double mean = 0;
	int x = 0, y = 0, need = 0;

	if (!screenmatch_image_nearest(scr, ref, &x, &y, &mean, &need)) {
		act_fail(a, "image '%s' not found in %s within %g s (tolerance "
		    "%lld; nothing there is even like it)", path, what, secs,
		    tol);
		return;
	}
	act_fail(a, "image '%s' not found in %s within %g s (tolerance %lld; "
	    "nearest at [%d, %d, %d, %d], mean difference %.1f, would match "
	    "with tolerance %d)", path, what, secs, tol, ox + x, oy + y,
	    ref->w, ref->h, mean, need);
}

static int
look_for_image(struct act *a, int click_default)
{
	const char *path = act_str(a, "image", "");
	long long tol = act_int(a, "tolerance", DEFAULT_TOLERANCE);
	int gone = (act_bool(a, "gone", 0) != 0);
	int click = act_bool(a, "click", click_default) && !gone;
	struct place p;
	struct ui_wait w;
	struct screenmatch_img ref, scr;
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
		screenmatch_img_free(&ref);
		return -1;
	}
	start = time_mono_ms();
	for (;;) {
		if ((pix = capture(a, &p, &ox, &oy)) == NULL) {
			screenmatch_img_free(&ref);
			return -1;
		}
		screenmatch_img_from_pix(&scr, pix);
		pixDestroy(&pix);
		hit = screenmatch_image(&scr, &ref, (int)tol, &fx, &fy, &score);
		if (hit != gone)
			break;
		left = w.timeout_ms - (time_mono_ms() - start);
		if (left <= 0 || act_cancelled(a)) {
			what = place_describe(&p);
			if (act_cancelled(a))
				act_fail(a, "the run was stopped while looking "
				    "for the image '%s' in %s", path, what);
			else if (gone)
				act_fail(a, "image '%s' still shown in %s "
				    "within %g s (tolerance %lld)", path, what,
				    (double)w.timeout_ms / 1000.0, tol);
			else
				image_missed(a, &scr, &ref, path, what,
				    (double)w.timeout_ms / 1000.0, tol, ox, oy);
			free(what);
			screenmatch_img_free(&scr);
			screenmatch_img_free(&ref);
			return -1;
		}
		screenmatch_img_free(&scr);
		time_sleep_ms(left < POLL_MS ? left : POLL_MS, NULL);
	}
	screenmatch_img_free(&scr);
	box[0] = ox + fx;
	box[1] = oy + fy;
	box[2] = ref.w;
	box[3] = ref.h;
	screenmatch_img_free(&ref);
	if (gone) {
		act_log(a, "image '%s' is not shown", path);
		a->out = json_pack("{s:b, s:I}", "found", 0, "waited_ms",
		    (json_int_t)(time_mono_ms() - start));
		return 0;
	}
	if (click && click_box(a, &p, box, &sx, &sy, &button, &count) != 0)
		return -1;
	act_log(a, "image '%s' at [%d, %d, %d, %d] (mean difference %.1f)%s",
	    path, box[0], box[1], box[2], box[3], score, click ? ", clicked" :
	    "");
	a->out = json_pack("{s:b, s:o, s:f, s:I}", "found", 1, "box",
	    box_json(box), "difference", round1(score), "waited_ms",
	    (json_int_t)(time_mono_ms() - start));
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
	{ "target", ARG_MAP, 0, "look at this control (found by what it " \
	    "is: {app, window, role, name, match, nth, path})" }, \
	{ "window", ARG_ANY, 0, "a window id or title pattern (default: the " \
	    "current window, else the screen)" }, \
	{ "screen", ARG_BOOL, 0, "look at the whole screen" }, \
	{ "region", ARG_LIST, 0, "[x, y, width, height] in the window's " \
	    "pixels (default: all of it)" }

#define LANG_ARG \
	{ "lang", ARG_STRING, 0, "tesseract languages (default: from the " \
	    "text's script)" }

static const struct action_arg read_text_args[] = {
	PLACE_ARGS,
	LANG_ARG,
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for window (default 10)" },
	{ NULL, 0, 0, NULL },
};

#define CONTAINS_ARG \
	{ "contains", ARG_BOOL, 0, "match inside a word too (default: whole " \
	    "words only)" }

static const struct action_arg wait_text_args[] = {
	{ "text", ARG_STRING, 1, "the word or phrase (spaces and widths do "
	    "not matter)" },
	CONTAINS_ARG,
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
	CONTAINS_ARG,
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
	{ "image", ARG_PATH_READ, 1, "path of the reference image (PNG)" }, \
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

static const struct action_out read_text_out[] = {
	{ "text", ARG_STRING, "the text read" },
	{ "words", ARG_LIST, "each word with its box and confidence" },
	{ NULL, 0, NULL },
};

static const struct action_out found_text_out[] = {
	{ "found", ARG_BOOL, "whether the text was found" },
	{ "text", ARG_STRING, "the text as read" },
	{ "word", ARG_STRING, "the whole words the match is in" },
	{ "box", ARG_LIST, "[x, y, width, height] on the screen" },
	{ "conf", ARG_NUMBER, "the OCR confidence" },
	{ "x", ARG_INT, "where it clicked" }, { "y", ARG_INT, "where it clicked" },
	{ "waited_ms", ARG_INT, "how long it waited" },
	{ NULL, 0, NULL },
};

static const struct action_out found_image_out[] = {
	{ "found", ARG_BOOL, "whether the image was found" },
	{ "box", ARG_LIST, "[x, y, width, height] on the screen" },
	{ "difference", ARG_NUMBER, "how far the best match is" },
	{ "x", ARG_INT, "where it clicked" }, { "y", ARG_INT, "where it clicked" },
	{ "waited_ms", ARG_INT, "how long it waited" },
	{ NULL, 0, NULL },
};

/* Every screen action describes itself in a dry run (act_dry_run). */
const struct action screen_actions[] = {
	{ "ui.read_text", "read the text of a window or a region of it (OCR)",
	    read_text_args, do_read_text, ACTION_UI, act_ui_on_fail, ARG_MAP,
	    read_text_out, ACTION_DRY_SELF },
	{ "ui.wait_text", "wait until a text appears on a window (or goes)",
	    wait_text_args, do_wait_text, ACTION_UI | ACTION_SCALAR,
	    act_ui_on_fail, ARG_MAP, found_text_out, ACTION_DRY_SELF },
	{ "ui.click_text", "click a word or phrase read on a window",
	    click_text_args, do_click_text, ACTION_UI | ACTION_SCALAR,
	    act_ui_on_fail, ARG_MAP, found_text_out, ACTION_DRY_SELF },
	{ "ui.click_image", "find a small reference image on a window and "
	    "click it", click_image_args, do_click_image,
	    ACTION_UI | ACTION_SCALAR, act_ui_on_fail, ARG_MAP,
	    found_image_out, ACTION_DRY_SELF },
	{ "ui.wait_image", "wait until a reference image is shown (or goes)",
	    wait_image_args, do_wait_image, ACTION_UI | ACTION_SCALAR,
	    act_ui_on_fail, ARG_MAP, found_image_out, ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
