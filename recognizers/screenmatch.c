/*
 * screenmatch.c - finding text in OCR output and reference images in
 * screen images (see screenmatch.h).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "buf.h"
#include "ocr.h"
#include "screenmatch.h"
#include "width.h"
#include "xmalloc.h"

#define MAX_CANDIDATES		16	/* places checked at full resolution */
#define CANDIDATE_MEAN		96	/* worst mean grey difference of one */

/*
 * Whether c, between the characters before and after, is a full stop or
 * a comma that joins a name to a letter ("readme.txt", "予算登録.xlsx"):
 * OCR drops the dot of a small font, reads it as a space or as a comma,
 * so it counts as nothing, as a space does.  Between digits it stays: a
 * number's point or its thousands are its value.
 */
static int
separator(char c, char before, char after)
{
	return (c == '.' || c == ',') && !(before >= '0' && before <= '9') &&
	    ((after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z'));
}

char *
screenmatch_normalise(const char *s)
{
	char *half = width_to_half(s), *full = width_kana_to_full(half);
	char *o = full, *p;

	free(half);
	for (p = full; *p != '\0'; p++) {
		/* OCR drops an underscore (a line at the foot of the text)
		 * or reads it as a space: it counts as one. */
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '_')
			continue;
		if (o > full && separator(p[0], o[-1], p[1 + strspn(p + 1,
		    " \t")]))
			continue;
		*o++ = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
	}
	*o = '\0';
	return full;
}

/* A piece of a line that text is matched against: a character or a word. */
struct unit {
	const char	*text;		/* borrowed from the result */
	size_t		 from, to;	/* its bytes in the line's normal form */
	size_t		 word;		/* index of its word in the result */
	int		 x, y, w, h;	/* recognised image px */
	float		 conf;
};

/* One line of the result: its units and its normal form. */
struct line {
	struct unit	*units;
	size_t		 n, cap;
	struct buf	 norm;
};

/* The text of the unit after symbol k of word i, on its line ("" at
 * the end; the next word's first when k is the last). */
static const char *
next_text(const struct ocr_result *res, size_t i, size_t k)
{
	const struct ocr_word *w = &res->words[i];

	if (k + 1 < w->nsyms)
		return w->syms[k + 1].text;
	if (i + 1 < res->nwords && res->words[i + 1].line == w->line &&
	    res->words[i + 1].block == w->block)
		return res->words[i + 1].nsyms > 0 ?
		    res->words[i + 1].syms[0].text : res->words[i + 1].text;
	return "";
}

/* Add the units of the words of the line that starts at word *i, and
 * move *i past it. */
static void
line_read(struct line *l, const struct ocr_result *res, size_t *i)
{
	const struct ocr_word *w0 = &res->words[*i];
	size_t k;

	buf_reset(&l->norm);
	l->n = 0;
	for (; *i < res->nwords && res->words[*i].line == w0->line &&
	    res->words[*i].block == w0->block; (*i)++) {
		const struct ocr_word *w = &res->words[*i];
		size_t nu = w->nsyms > 0 ? w->nsyms : 1;

		for (k = 0; k < nu; k++) {
			const struct ocr_symbol *sy = w->nsyms > 0 ?
			    &w->syms[k] : NULL;
			char *norm = screenmatch_normalise(sy != NULL ?
			    sy->text : w->text);
			const char *next = next_text(res, *i, k);
			struct unit *un;

			/* A dot of its own, as the normal form of the whole
			 * line has it (screenmatch_normalise). */
			if (l->norm.len > 0 && norm[0] != '\0' &&
			    norm[1] == '\0' && separator(norm[0],
			    buf_str(&l->norm)[l->norm.len - 1], next[0]))
				norm[0] = '\0';

			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 64;
				l->units = xreallocarray(l->units, l->cap,
				    sizeof *l->units);
			}
			un = &l->units[l->n++];
			un->text = sy != NULL ? sy->text : w->text;
			un->word = *i;
			un->from = l->norm.len;
			buf_puts(&l->norm, norm);
			un->to = l->norm.len;
			un->x = sy != NULL ? sy->x : w->x;
			un->y = sy != NULL ? sy->y : w->y;
			un->w = sy != NULL ? sy->w : w->w;
			un->h = sy != NULL ? sy->h : w->h;
			un->conf = sy != NULL ? sy->conf : w->conf;
			free(norm);
		}
	}
}

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * Whether unit u continues a word on its side towards the match: its
 * letter or digit there, or an underscore (which the normal form drops).
 * Only within one of tesseract's words: between two there is a space.
 */
static int
joins(const struct line *l, size_t u, size_t beside, int at_end)
{
	const struct unit *un = &l->units[u];
	const char *s = buf_str(&l->norm);

	if (un->word != l->units[beside].word)
		return 0;
	if (strchr(un->text, '_') != NULL)
		return 1;
	if (un->from == un->to)
		return 0;
	return word_char(s[at_end ? un->to - 1 : un->from]);
}

/*
 * Whether the match [at, end) of the line, from unit first to unit last,
 * is whole words: a letter or digit at either end of it is not continued
 * by one beside it.  Japanese has no spaces to tell words by, so a kanji
 * or kana end is always whole.
 */
static int
whole_words(const struct line *l, size_t first, size_t last, size_t at,
    size_t end)
{
	const char *s = buf_str(&l->norm);

	if (word_char(s[at]) && first > 0 && joins(l, first - 1, first, 1))
		return 0;
	if (!word_char(s[end - 1]))
		return 1;
	if (l->units[last].to > end)
		return !word_char(s[end]);
	return last + 1 >= l->n || !joins(l, last + 1, last, 0);
}

/* Fill *f with the match from unit first to unit last. */
static void
hit_fill(const struct ocr_result *res, const struct line *l, size_t first,
    size_t last, int cjk, struct screenmatch_hit *f)
{
	int x0 = INT_MAX, y0 = INT_MAX, x1 = 0, y1 = 0;
	struct buf txt, word;
	double sum = 0;
	size_t u, w;

	buf_init(&txt, 1u << 16);
	buf_init(&word, 1u << 16);
	for (u = first; u <= last; u++) {
		const struct unit *un = &l->units[u];

		x0 = un->x < x0 ? un->x : x0;
		y0 = un->y < y0 ? un->y : y0;
		x1 = un->x + un->w > x1 ? un->x + un->w : x1;
		y1 = un->y + un->h > y1 ? un->y + un->h : y1;
		sum += un->conf;
		/* Latin words apart, their letters not. */
		if (u > first && !cjk && un->word != l->units[u - 1].word)
			buf_puts(&txt, " ");
		buf_puts(&txt, un->text);
	}
	for (w = l->units[first].word; w <= l->units[last].word; w++) {
		if (w > l->units[first].word && !cjk)
			buf_puts(&word, " ");
		buf_puts(&word, res->words[w].text);
	}
	f->box[0] = x0;
	f->box[1] = y0;
	f->box[2] = x1 - x0;
	f->box[3] = y1 - y0;
	f->text = buf_detach(&txt, NULL);
	f->word = buf_detach(&word, NULL);
	f->conf = sum / (double)(last - first + 1);
}

int
screenmatch_text(const struct ocr_result *res, int cjk, const char *want,
    int n, unsigned flags, struct screenmatch_hit *f)
{
	struct line l = { NULL, 0, 0, { 0 } };
	size_t i, first, last, len = strlen(want);
	int seen = 0, hit = 0;

	memset(f, 0, sizeof *f);
	if (len == 0)
		return 0;
	buf_init(&l.norm, 1u << 20);
	for (i = 0; i < res->nwords && !hit; ) {
		const char *s, *p;

		line_read(&l, res, &i);
		s = buf_str(&l.norm);
		for (p = s; !hit && (p = strstr(p, want)) != NULL; p++) {
			size_t at = (size_t)(p - s), end = at + len;

			/* Only at a unit's start (not in a character), and
			 * not at an underscore the normal form dropped. */
			for (first = 0; first < l.n && (l.units[first].from <
			    at || l.units[first].from == l.units[first].to);
			    first++)
				;
			if (first == l.n || l.units[first].from != at)
				continue;
			for (last = first; last + 1 < l.n &&
			    l.units[last + 1].from < end; last++)
				;
			if (!(flags & SCREENMATCH_CONTAINS) &&
			    !whole_words(&l, first, last, at, end))
				continue;
			if (++seen < n)
				continue;
			hit_fill(res, &l, first, last, cjk, f);
			hit = 1;
		}
	}
	buf_free(&l.norm);
	free(l.units);
	return hit;
}

void
screenmatch_hit_free(struct screenmatch_hit *hit)
{
	free(hit->text);
	free(hit->word);
	memset(hit, 0, sizeof *hit);
}

void
screenmatch_img_from_pix(struct screenmatch_img *im, PIX *pix)
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

void
screenmatch_img_free(struct screenmatch_img *im)
{
	free(im->rgb);
	free(im->grey);
	memset(im, 0, sizeof *im);
}

/* The grey image reduced by f: each pixel the mean of an f x f block. */
static unsigned char *
reduce(const struct screenmatch_img *im, int f, int *rw, int *rh)
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
 * Row j of the reference against the screen image with the reference at
 * (x, y): worst[i] gets the largest channel difference of pixel i; returns
 * the sum of all the channels' differences.
 */
static long long
row_worst(const struct screenmatch_img *scr,
    const struct screenmatch_img *ref, int x, int y, int j,
    unsigned char *worst)
{
	const unsigned char *a = scr->rgb + ((size_t)(y + j) * (size_t)scr->w +
	    (size_t)x) * 3;
	const unsigned char *b = ref->rgb + (size_t)j * (size_t)ref->w * 3;
	long long s = 0;
	int i, c, d, w;

	for (i = 0; i < ref->w; i++) {
		w = 0;
		for (c = 0; c < 3; c++) {
			d = a[i * 3 + c] - b[i * 3 + c];
			d = d < 0 ? -d : d;
			s += d;
			w = d > w ? d : w;
		}
		worst[i] = (unsigned char)w;
	}
	return s;
}

/*
 * Check the reference at (x, y) of the screen image at full resolution:
 * the number of pixels with a channel further than tol from the
 * reference's, giving up past limit (after the row where it passes it);
 * *sad gets the sum of differences.
 */
static long
check_at(const struct screenmatch_img *scr,
    const struct screenmatch_img *ref, int x, int y, int tol, long limit,
    long long *sad)
{
	unsigned char *worst = xmalloc((size_t)ref->w);
	long bad = 0;
	int i, j;

	*sad = 0;
	for (j = 0; j < ref->h && bad <= limit; j++) {
		*sad += row_worst(scr, ref, x, y, j, worst);
		for (i = 0; i < ref->w; i++)
			bad += worst[i] > tol;
	}
	free(worst);
	return bad;
}

/* Sum of absolute differences of n grey bytes (a loop compilers vectorise). */
static unsigned
row_sad(const unsigned char *a, const unsigned char *b, int n)
{
	unsigned sum = 0;
	int i, d;

	for (i = 0; i < n; i++) {
		d = a[i] - b[i];
		sum += (unsigned)(d < 0 ? -d : d);
	}
	return sum;
}

struct cand {
	long long	sad;
	int		x, y;
};

/*
 * Pass 1: the reduction factor for ref, and the best few places of the
 * reduced reference on the reduced screen (grey sum of absolute
 * differences, each place suppressing its neighbourhood), in c[].
 * Returns how many, 0 when the reference cannot fit.
 */
static int
candidates(const struct screenmatch_img *scr,
    const struct screenmatch_img *ref, int *fp, struct cand *c)
{
	int f, sw, sh, rw, rh, mw, mh, x, y, j, nc, small;
	unsigned char *s, *r;
	long long *map, sad, cutoff;

	if (ref->w > scr->w || ref->h > scr->h)
		return 0;
	small = ref->w < ref->h ? ref->w : ref->h;
	f = small / 6;
	f = f < 1 ? 1 : f > 8 ? 8 : f;
	*fp = f;
	s = reduce(scr, f, &sw, &sh);
	r = reduce(ref, f, &rw, &rh);
	mw = sw - rw + 1;
	mh = sh - rh + 1;
	if (mw <= 0 || mh <= 0 || rw <= 0 || rh <= 0) {
		free(s);
		free(r);
		return 0;
	}
	/* The grey difference at every reduced position, given up (left at
	 * the cut-off) once it is too large to be a candidate. */
	cutoff = (long long)rw * rh * CANDIDATE_MEAN;
	map = xreallocarray(NULL, (size_t)mw, (size_t)mh * sizeof *map);
	for (y = 0; y < mh; y++) {
		for (x = 0; x < mw; x++) {
			sad = 0;
			for (j = 0; j < rh && sad <= cutoff; j++)
				sad += row_sad(s + (size_t)(y + j) *
				    (size_t)sw + (size_t)x, r + (size_t)j *
				    (size_t)rw, rw);
			map[(size_t)y * (size_t)mw + (size_t)x] = sad;
		}
	}
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
		/* None left, or far too different on average. */
		if (bx < 0 || best == LLONG_MAX || best > cutoff)
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
	return nc;
}

/*
 * Pass 2: full resolution, around each candidate of pass 1.  The place
 * with the fewest pixels off by more than tol (none past limit), then the
 * smallest sum of differences, wins; *mean gets that sum per channel.
 */
static int
search(const struct screenmatch_img *scr, const struct screenmatch_img *ref,
    int tol, long limit, int *fx, int *fy, double *mean)
{
	struct cand c[MAX_CANDIDATES];
	long long bestsad = LLONG_MAX, sad;
	long bad, bestbad = LONG_MAX;
	int f = 1, nc, k, dx, dy, px, py;

	nc = candidates(scr, ref, &f, c);
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
	*mean = (double)bestsad / ((double)ref->w * ref->h * 3);
	return 1;
}

int
screenmatch_image(const struct screenmatch_img *scr,
    const struct screenmatch_img *ref, int tol, int *fx, int *fy,
    double *score)
{
	return search(scr, ref, tol, (long)ref->w * ref->h / 100, fx, fy,
	    score);
}

/*
 * The smallest tolerance with which ref matches at (x, y): the largest
 * channel difference of each pixel, all but 1 pixel in 100 within it.
 */
static int
tolerance_at(const struct screenmatch_img *scr,
    const struct screenmatch_img *ref, int x, int y)
{
	long hist[256] = { 0 }, limit = (long)ref->w * ref->h / 100, over = 0;
	unsigned char *worst = xmalloc((size_t)ref->w);
	int i, j, t;

	for (j = 0; j < ref->h; j++) {
		row_worst(scr, ref, x, y, j, worst);
		for (i = 0; i < ref->w; i++)
			hist[worst[i]]++;
	}
	free(worst);
	for (t = 255; t > 0; t--) {
		if (over + hist[t] > limit)
			return t;
		over += hist[t];
	}
	return 0;
}

int
screenmatch_image_nearest(const struct screenmatch_img *scr,
    const struct screenmatch_img *ref, int *fx, int *fy, double *mean,
    int *tol)
{
	/* No pixel is ever off by more than 255: the smallest sum wins. */
	if (!search(scr, ref, 255, LONG_MAX, fx, fy, mean))
		return 0;
	*tol = tolerance_at(scr, ref, *fx, *fy);
	return 1;
}
