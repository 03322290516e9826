/*
 * ocr.c - the per-thread tesseract engine pool and recognition calls.
 *
 * Each thread keeps a small list of initialised engines, one per language
 * string, in thread-specific data; the key's destructor ends them when the
 * thread exits.  Nothing is shared between threads, so no locking is needed
 * after the key is created once.
 *
 * libtesseract is loaded with dlopen() the first time an engine is needed,
 * not linked: a run that reads no image does not pay its start-up (some
 * 50 ms and 12 MB of a 1,000-step run), and OMP_THREAD_LIMIT=1 can be put in
 * the environment before its OpenMP runtime reads it, at load.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "buf.h"
#include "ocr.h"
#include "xmalloc.h"

struct ocr_engine {
	char			*lang;
	TessBaseAPI		*api;
	struct ocr_engine	*next;
};

/*
 * The tesseract C API, resolved once from libtesseract (tess_load()); every
 * call in this file goes through it.  Written once, then only read.
 */
static struct tess_api {
	__typeof__(&TessBaseAPIClear)	BaseAPIClear;
	__typeof__(&TessBaseAPICreate)	BaseAPICreate;
	__typeof__(&TessBaseAPIDelete)	BaseAPIDelete;
	__typeof__(&TessBaseAPIEnd)	BaseAPIEnd;
	__typeof__(&TessBaseAPIGetIterator)	BaseAPIGetIterator;
	__typeof__(&TessBaseAPIGetUTF8Text)	BaseAPIGetUTF8Text;
	__typeof__(&TessBaseAPIInit2)	BaseAPIInit2;
	__typeof__(&TessBaseAPIRecognize)	BaseAPIRecognize;
	__typeof__(&TessBaseAPISetImage2)	BaseAPISetImage2;
	__typeof__(&TessBaseAPISetPageSegMode)	BaseAPISetPageSegMode;
	__typeof__(&TessBaseAPISetSourceResolution)	BaseAPISetSourceResolution;
	__typeof__(&TessBaseAPISetVariable)	BaseAPISetVariable;
	__typeof__(&TessDeleteText)	DeleteText;
	__typeof__(&TessPageIteratorBoundingBox)	PageIteratorBoundingBox;
	__typeof__(&TessPageIteratorIsAtBeginningOf)	PageIteratorIsAtBeginningOf;
	__typeof__(&TessResultIteratorConfidence)	ResultIteratorConfidence;
	__typeof__(&TessResultIteratorDelete)	ResultIteratorDelete;
	__typeof__(&TessResultIteratorGetPageIterator)	ResultIteratorGetPageIterator;
	__typeof__(&TessResultIteratorGetUTF8Text)	ResultIteratorGetUTF8Text;
	__typeof__(&TessResultIteratorNext)	ResultIteratorNext;
} tess;

#define SYM(name)	{ "Tess" #name, (void **)&tess.name }
static const struct {
	const char	*symbol;
	void		**slot;
} tess_symbols[] = {
	SYM(BaseAPIClear),
	SYM(BaseAPICreate),
	SYM(BaseAPIDelete),
	SYM(BaseAPIEnd),
	SYM(BaseAPIGetIterator),
	SYM(BaseAPIGetUTF8Text),
	SYM(BaseAPIInit2),
	SYM(BaseAPIRecognize),
	SYM(BaseAPISetImage2),
	SYM(BaseAPISetPageSegMode),
	SYM(BaseAPISetSourceResolution),
	SYM(BaseAPISetVariable),
	SYM(DeleteText),
	SYM(PageIteratorBoundingBox),
	SYM(PageIteratorIsAtBeginningOf),
	SYM(ResultIteratorConfidence),
	SYM(ResultIteratorDelete),
	SYM(ResultIteratorGetPageIterator),
	SYM(ResultIteratorGetUTF8Text),
	SYM(ResultIteratorNext),
};

static struct {
	pthread_once_t	 once;
	int		 ok;
	char		 err[256];
} tess_lib = { PTHREAD_ONCE_INIT, 0, "" };

static void
tess_load_once(void)
{
	static const char *const names[] = { "libtesseract.so.5",
	    "libtesseract.so" };
	void *h = NULL;
	size_t i;

	/* libgomp reads it once, when libtesseract brings it in. */
	if (getenv("OMP_THREAD_LIMIT") == NULL)
		setenv("OMP_THREAD_LIMIT", "1", 1);
	for (i = 0; h == NULL && i < sizeof names / sizeof names[0]; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(tess_lib.err, sizeof tess_lib.err, "cannot load "
		    "libtesseract (is the libtesseract5 package installed?): "
		    "%s", dlerror());
		return;
	}
	for (i = 0; i < sizeof tess_symbols / sizeof tess_symbols[0]; i++) {
		*tess_symbols[i].slot = dlsym(h, tess_symbols[i].symbol);
		if (*tess_symbols[i].slot == NULL) {
			snprintf(tess_lib.err, sizeof tess_lib.err,
			    "libtesseract has no %s", tess_symbols[i].symbol);
			return;
		}
	}
	tess_lib.ok = 1;	/* the handle stays open for the process */
}

/* Load libtesseract if it is not yet; 0, or -1 with a message in err. */
static int
tess_load(char *err, size_t errlen)
{
	pthread_once(&tess_lib.once, tess_load_once);
	if (tess_lib.ok)
		return 0;
	snprintf(err, errlen, "%s", tess_lib.err);
	return -1;
}

/* The one process-wide piece of state: the key of the per-thread lists. */
static struct ocr_pool {
	pthread_once_t	 once;
	pthread_key_t	 key;
	int		 key_ok;
} ocr_pool = { PTHREAD_ONCE_INIT, 0, 0 };

/* End every engine of a thread's list. */
static void
engines_free(void *p)
{
	struct ocr_engine *e = p, *next;

	for (; e != NULL; e = next) {
		next = e->next;
		tess.BaseAPIEnd(e->api);
		tess.BaseAPIDelete(e->api);
		free(e->lang);
		free(e);
	}
}

static void
pool_init(void)
{
	ocr_pool.key_ok = pthread_key_create(&ocr_pool.key, engines_free) == 0;
}

/* Variables set on every engine: quiet, and nothing tesseract would save. */
static const struct {
	const char	*name;
	const char	*value;
} engine_vars[] = {
	{ "debug_file", "/dev/null" },
	/* kobito reads zones it already cleaned; tesseract's own "invert
	 * if it looks white on black" test misfires on sparse zones. */
	{ "tessedit_do_invert", "0" },
};

struct ocr_engine *
ocr_engine_get(const char *lang, char *err, size_t errlen)
{
	struct ocr_engine *head, *e;
	size_t i;

	pthread_once(&ocr_pool.once, pool_init);
	if (!ocr_pool.key_ok) {
		snprintf(err, errlen, "cannot create the engine pool key");
		return NULL;
	}
	head = pthread_getspecific(ocr_pool.key);
	for (e = head; e != NULL; e = e->next)
		if (strcmp(e->lang, lang) == 0)
			return e;
	if (tess_load(err, errlen) != 0)
		return NULL;

	e = xcalloc(1, sizeof *e);
	e->lang = xstrdup(lang);
	e->api = tess.BaseAPICreate();
	for (i = 0; i < sizeof engine_vars / sizeof engine_vars[0]; i++)
		tess.BaseAPISetVariable(e->api, engine_vars[i].name,
		    engine_vars[i].value);
	/* LSTM only: the models kobito uses have no legacy part, and the
	 * default mode would still load the legacy engine's tables. */
	if (tess.BaseAPIInit2(e->api, NULL, lang, OEM_LSTM_ONLY) != 0) {
		snprintf(err, errlen, "cannot load tesseract language data "
		    "for \"%s\" (is the tesseract-ocr-* package installed?)",
		    lang);
		tess.BaseAPIDelete(e->api);
		free(e->lang);
		free(e);
		return NULL;
	}
	for (i = 0; i < sizeof engine_vars / sizeof engine_vars[0]; i++)
		tess.BaseAPISetVariable(e->api, engine_vars[i].name,
		    engine_vars[i].value);
	e->next = head;
	pthread_setspecific(ocr_pool.key, e);
	return e;
}

const char *
ocr_engine_lang(const struct ocr_engine *e)
{
	return e->lang;
}

void
ocr_thread_release(void)
{
	pthread_once(&ocr_pool.once, pool_init);
	if (!ocr_pool.key_ok)
		return;
	engines_free(pthread_getspecific(ocr_pool.key));
	pthread_setspecific(ocr_pool.key, NULL);
}

/* Append a word to res. */
static struct ocr_word *
word_add(struct ocr_result *res, size_t *alloc)
{
	struct ocr_word *w;

	if (res->nwords == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 16;
		res->words = xreallocarray(res->words, *alloc,
		    sizeof *res->words);
	}
	w = &res->words[res->nwords++];
	memset(w, 0, sizeof *w);
	return w;
}

/* Append the iterator's current symbol to w. */
static void
symbol_add(TessResultIterator *ri, TessPageIterator *pi, struct ocr_word *w,
    float conf)
{
	struct ocr_symbol *sy;
	char *txt = tess.ResultIteratorGetUTF8Text(ri, RIL_SYMBOL);
	int l, t, r, b;

	if (txt == NULL)
		return;
	w->syms = xreallocarray(w->syms, w->nsyms + 1, sizeof *w->syms);
	sy = &w->syms[w->nsyms++];
	memset(sy, 0, sizeof *sy);
	sy->text = xstrdup(txt);
	tess.DeleteText(txt);
	sy->conf = conf;
	if (tess.PageIteratorBoundingBox(pi, RIL_SYMBOL, &l, &t, &r, &b)) {
		sy->x = l;
		sy->y = t;
		sy->w = r - l;
		sy->h = b - t;
	}
}

/*
 * Walk the result symbol by symbol: words begin where the page iterator
 * says so, and the lowest symbol confidence of each word is kept, because
 * one doubtful character makes a field doubtful however sure the rest is.
 */
static void
collect_words(TessBaseAPI *api, struct ocr_result *res)
{
	TessResultIterator *ri;
	TessPageIterator *pi;
	struct ocr_word *w = NULL;
	size_t alloc = 0;
	int line = -1, block = -1;

	ri = tess.BaseAPIGetIterator(api);
	if (ri == NULL)
		return;
	pi = tess.ResultIteratorGetPageIterator(ri);
	do {
		int l, t, r, b;
		float c;

		if (tess.PageIteratorIsAtBeginningOf(pi, RIL_BLOCK))
			block++;
		if (tess.PageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE))
			line++;
		if (tess.PageIteratorIsAtBeginningOf(pi, RIL_WORD) ||
		    w == NULL) {
			char *txt = tess.ResultIteratorGetUTF8Text(ri, RIL_WORD);

			/* Tesseract reports blank "words" for empty lines. */
			if (txt == NULL || txt[strspn(txt, " \t\r\n")] == '\0') {
				if (txt != NULL)
					tess.DeleteText(txt);
				w = NULL;
				continue;
			}
			w = word_add(res, &alloc);
			w->text = xstrdup(txt);
			tess.DeleteText(txt);
			w->conf = tess.ResultIteratorConfidence(ri, RIL_WORD);
			w->conf_min = 100;
			w->line = line < 0 ? 0 : line;
			w->block = block < 0 ? 0 : block;
			if (tess.PageIteratorBoundingBox(pi, RIL_WORD, &l, &t,
			    &r, &b)) {
				w->x = l;
				w->y = t;
				w->w = r - l;
				w->h = b - t;
			}
		}
		c = tess.ResultIteratorConfidence(ri, RIL_SYMBOL);
		if (c < w->conf_min)
			w->conf_min = c;
		symbol_add(ri, pi, w, c);
	} while (tess.ResultIteratorNext(ri, RIL_SYMBOL));
	tess.ResultIteratorDelete(ri);
	res->nlines = line + 1;
}

int
ocr_recognize(struct ocr_engine *e, struct Pix *pix, enum ocr_psm psm,
    int dpi, struct ocr_result *res, char *err, size_t errlen)
{
	char *txt;

	memset(res, 0, sizeof *res);
	tess.BaseAPISetPageSegMode(e->api, (TessPageSegMode)psm);
	tess.BaseAPISetImage2(e->api, pix);
	tess.BaseAPISetSourceResolution(e->api, dpi > 0 ? dpi : 300);
	if (tess.BaseAPIRecognize(e->api, NULL) != 0) {
		snprintf(err, errlen, "tesseract could not recognise the "
		    "image (%dx%d)", pixGetWidth(pix), pixGetHeight(pix));
		tess.BaseAPIClear(e->api);
		return -1;
	}
	collect_words(e->api, res);
	txt = tess.BaseAPIGetUTF8Text(e->api);
	res->text = xstrdup(txt != NULL ? txt : "");
	if (txt != NULL)
		tess.DeleteText(txt);
	tess.BaseAPIClear(e->api);
	return 0;
}

void
ocr_result_free(struct ocr_result *res)
{
	size_t i;

	for (i = 0; i < res->nwords; i++) {
		size_t k;

		for (k = 0; k < res->words[i].nsyms; k++)
			free(res->words[i].syms[k].text);
		free(res->words[i].syms);
		free(res->words[i].text);
	}
	free(res->words);
	free(res->text);
	memset(res, 0, sizeof *res);
}

/*
 * Whether two symbols are Latin letters, whose words keep tesseract's
 * spaces.  Digits are not: full-width digits stand half an em apart and
 * must not be split.
 */
static int
latin_pair(const char *a, const char *b)
{
	unsigned char x = (unsigned char)a[0], y = (unsigned char)b[0];

	return x < 0x80 && y < 0x80 && (isalpha(x) || x == '.' ||
	    x == ',') && isalpha(y);
}

/* The tallest word of the line word i is on: the line's text height. */
static double
line_height(const struct ocr_result *res, size_t i, int vertical)
{
	const struct ocr_word *w = &res->words[i];
	double h = 0;
	size_t k;

	for (k = 0; k < res->nwords; k++) {
		const struct ocr_word *v = &res->words[k];

		if (v->line != w->line || v->block != w->block)
			continue;
		h = fmax(h, vertical ? v->w : v->h);
	}
	return h;
}

/*
 * Japanese lines carry no spaces but the wide gaps a writer left: a gap of
 * JA_SPACE line heights between two characters (a full-width space is one
 * em) is a space; Latin words inside keep theirs.
 */
#define JA_SPACE	0.8
#define LATIN_SPACE	0.15

/*
 * Whether a measured gap lies between symbols p and s.  An LSTM symbol
 * box starts about where its character's ink starts but often runs on to
 * the right, over the gap that follows; so left edges are compared.
 */
static int
gap_between(const struct ocr_gaps *gaps, const struct ocr_symbol *p,
    const struct ocr_symbol *s, int vertical)
{
	double a = vertical ? p->y : p->x;
	double b = vertical ? s->y : s->x;
	size_t i;

	for (i = 0; i < gaps->n; i++) {
		double c = (gaps->v[2 * i] + gaps->v[2 * i + 1]) / 2.0;

		if (c > a && c < b)
			return 1;
	}
	return 0;
}

static void
join_cjk_word(struct buf *b, const struct ocr_word *w,
    const struct ocr_symbol **prev, double lh, int vertical,
    const struct ocr_gaps *gaps)
{
	size_t k;

	if (w->nsyms == 0) {
		buf_puts(b, w->text);
		return;
	}
	for (k = 0; k < w->nsyms; k++) {
		const struct ocr_symbol *s = &w->syms[k], *p = *prev;

		if (p != NULL) {
			double gap = vertical ? s->y - (p->y + p->h) :
			    s->x - (p->x + p->w);
			int space;

			if (latin_pair(p->text, s->text))
				space = k == 0 && gap > LATIN_SPACE * lh;
			else if (gaps != NULL)
				space = gap_between(gaps, p, s, vertical);
			else
				space = gap > JA_SPACE * lh;
			if (space)
				buf_putc(b, ' ');
		}
		buf_puts(b, s->text);
		*prev = s;
	}
}

/* Whether a symbol is one full-width character (kanji, kana, 全角). */
static int
full_width(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;

	/* Three-byte UTF-8: U+0800..U+FFFF. */
	if ((u[0] & 0xf0) != 0xe0 || u[1] == 0 || u[2] == 0 || u[3] != 0)
		return 0;
	c = (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 |
	    (u[2] & 0x3f);
	return c >= 0x3000 && !(c >= 0xff61 && c <= 0xff9f);
}

/*
 * Spaces in a line of full-width characters only: with N characters and
 * the measured gaps taken out, the ink spans N pitches, so the number of
 * characters before a gap is the ink before it divided by the pitch.
 * Sets space_before[k] for the k-th symbol of the line; 0 when the line is
 * not all full-width.
 */
static int
pitch_spaces(const struct ocr_result *res, size_t from, size_t to,
    const struct ocr_gaps *gaps, unsigned char *space_before, size_t nmax)
{
	size_t i, k, nsym = 0, g;
	double inked, pitch, skipped = 0;

	for (i = from; i < to; i++) {
		if (res->words[i].line != res->words[from].line ||
		    res->words[i].block != res->words[from].block)
			return 0;
		for (k = 0; k < res->words[i].nsyms; k++) {
			if (!full_width(res->words[i].syms[k].text))
				return 0;
			nsym++;
		}
	}
	if (nsym < 2 || nsym > nmax || gaps->ink1 <= gaps->ink0)
		return 0;
	inked = gaps->ink1 - gaps->ink0;
	for (g = 0; g < gaps->n; g++)
		inked -= gaps->v[2 * g + 1] - gaps->v[2 * g];
	pitch = inked / (double)nsym;
	if (pitch <= 0)
		return 0;
	memset(space_before, 0, nmax);
	for (g = 0; g < gaps->n; g++) {
		double before = gaps->v[2 * g] - gaps->ink0 - skipped;
		long idx = lround(before / pitch);

		if (idx >= 1 && (size_t)idx < nsym)
			space_before[idx] = 1;
		skipped += gaps->v[2 * g + 1] - gaps->v[2 * g];
	}
	return 1;
}

char *
ocr_join(const struct ocr_result *res, size_t from, size_t to, int cjk,
    int vertical, const struct ocr_gaps *gaps)
{
	const struct ocr_symbol *prev = NULL;
	unsigned char space_before[256];
	struct buf b;
	size_t i, k, nsym = 0;
	double lh = 0;

	if (to > res->nwords)
		to = res->nwords;
	buf_init(&b, 1 << 20);
	if (cjk && !vertical && gaps != NULL && gaps->n > 0 && from < to &&
	    pitch_spaces(res, from, to, gaps, space_before,
	    sizeof space_before)) {
		for (i = from; i < to; i++)
			for (k = 0; k < res->words[i].nsyms; k++) {
				if (space_before[nsym++])
					buf_putc(&b, ' ');
				buf_puts(&b, res->words[i].syms[k].text);
			}
		return buf_detach(&b, NULL);
	}
	for (i = from; i < to; i++) {
		const struct ocr_word *w = &res->words[i];
		int newline = i > from && (res->words[i - 1].line != w->line ||
		    res->words[i - 1].block != w->block);

		if (newline)
			buf_putc(&b, '\n');
		if (!cjk) {
			if (i > from && !newline)
				buf_putc(&b, ' ');
			buf_puts(&b, w->text);
			continue;
		}
		if (i == from || newline) {
			prev = NULL;
			lh = line_height(res, i, vertical);
		}
		join_cjk_word(&b, w, &prev, lh, vertical, gaps);
	}
	return buf_detach(&b, NULL);
}

int
ocr_load(char *err, size_t errlen)
{
	return tess_load(err, errlen);
}

int
ocr_env_ok(void)
{
	int (*limit)(void);
	void *gomp;
	int ok;

	/* Before the first engine, nothing is loaded: it will be right. */
	if (!tess_lib.ok)
		return 1;
	/* libgomp came in privately with libtesseract (RTLD_LOCAL), so it
	 * is asked by handle, not through the global namespace. */
	gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (gomp == NULL)
		return 1;	/* tesseract built without OpenMP */
	*(void **)&limit = dlsym(gomp, "omp_get_thread_limit");
	ok = limit == NULL || limit() == 1;
	dlclose(gomp);
	return ok;
}

int
ocr_ncpu(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
