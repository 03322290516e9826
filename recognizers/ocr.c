/*
 * ocr.c - the per-thread tesseract engine pool and recognition calls.
 *
 * Each thread keeps a small list of initialised engines, one per language
 * string, in thread-specific data; the key's destructor ends them when the
 * thread exits.  Nothing is shared between threads, so no locking is needed
 * after the key is created once.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "ocr.h"
#include "xmalloc.h"

struct ocr_engine {
	char			*lang;
	TessBaseAPI		*api;
	struct ocr_engine	*next;
};

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
		TessBaseAPIEnd(e->api);
		TessBaseAPIDelete(e->api);
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

	e = xcalloc(1, sizeof *e);
	e->lang = xstrdup(lang);
	e->api = TessBaseAPICreate();
	for (i = 0; i < sizeof engine_vars / sizeof engine_vars[0]; i++)
		TessBaseAPISetVariable(e->api, engine_vars[i].name,
		    engine_vars[i].value);
	if (TessBaseAPIInit3(e->api, NULL, lang) != 0) {
		snprintf(err, errlen, "cannot load tesseract language data "
		    "for \"%s\" (is the tesseract-ocr-* package installed?)",
		    lang);
		TessBaseAPIDelete(e->api);
		free(e->lang);
		free(e);
		return NULL;
	}
	for (i = 0; i < sizeof engine_vars / sizeof engine_vars[0]; i++)
		TessBaseAPISetVariable(e->api, engine_vars[i].name,
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

	ri = TessBaseAPIGetIterator(api);
	if (ri == NULL)
		return;
	pi = TessResultIteratorGetPageIterator(ri);
	do {
		int l, t, r, b;
		float c;

		if (TessPageIteratorIsAtBeginningOf(pi, RIL_BLOCK))
			block++;
		if (TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE))
			line++;
		if (TessPageIteratorIsAtBeginningOf(pi, RIL_WORD) ||
		    w == NULL) {
			char *txt = TessResultIteratorGetUTF8Text(ri, RIL_WORD);

			if (txt == NULL) {
				w = NULL;
				continue;
			}
			w = word_add(res, &alloc);
			w->text = xstrdup(txt);
			TessDeleteText(txt);
			w->conf = TessResultIteratorConfidence(ri, RIL_WORD);
			w->conf_min = 100;
			w->line = line < 0 ? 0 : line;
			w->block = block < 0 ? 0 : block;
			if (TessPageIteratorBoundingBox(pi, RIL_WORD, &l, &t,
			    &r, &b)) {
				w->x = l;
				w->y = t;
				w->w = r - l;
				w->h = b - t;
			}
		}
		c = TessResultIteratorConfidence(ri, RIL_SYMBOL);
		if (c < w->conf_min)
			w->conf_min = c;
	} while (TessResultIteratorNext(ri, RIL_SYMBOL));
	TessResultIteratorDelete(ri);
	res->nlines = line + 1;
}

int
ocr_recognize(struct ocr_engine *e, struct Pix *pix, enum ocr_psm psm,
    int dpi, struct ocr_result *res, char *err, size_t errlen)
{
	char *txt;

	memset(res, 0, sizeof *res);
	TessBaseAPISetPageSegMode(e->api, (TessPageSegMode)psm);
	TessBaseAPISetImage2(e->api, pix);
	TessBaseAPISetSourceResolution(e->api, dpi > 0 ? dpi : 300);
	if (TessBaseAPIRecognize(e->api, NULL) != 0) {
		snprintf(err, errlen, "tesseract could not recognise the "
		    "image (%dx%d)", pixGetWidth(pix), pixGetHeight(pix));
		TessBaseAPIClear(e->api);
		return -1;
	}
	collect_words(e->api, res);
	txt = TessBaseAPIGetUTF8Text(e->api);
	res->text = xstrdup(txt != NULL ? txt : "");
	if (txt != NULL)
		TessDeleteText(txt);
	TessBaseAPIClear(e->api);
	return 0;
}

void
ocr_result_free(struct ocr_result *res)
{
	size_t i;

	for (i = 0; i < res->nwords; i++)
		free(res->words[i].text);
	free(res->words);
	free(res->text);
	memset(res, 0, sizeof *res);
}

int
ocr_env_reexec(char **argv)
{
	const char *v = getenv("OMP_THREAD_LIMIT");

	if (v != NULL && strcmp(v, "1") == 0) {
		unsetenv("KOBITO_OMP_REEXEC");
		return 0;
	}
	if (getenv("KOBITO_OMP_REEXEC") != NULL)
		return -1;
	if (setenv("OMP_THREAD_LIMIT", "1", 1) != 0 ||
	    setenv("KOBITO_OMP_REEXEC", "1", 1) != 0)
		return -1;
	execv("/proc/self/exe", argv);
	/* Exec failed (no /proc?): carry on with tesseract's threads. */
	unsetenv("KOBITO_OMP_REEXEC");
	return -1;
}

int
ocr_env_ok(void)
{
	int (*limit)(void);

	/* libgomp arrives with libtesseract; ask it what it read at load. */
	*(void **)&limit = dlsym(RTLD_DEFAULT, "omp_get_thread_limit");
	if (limit == NULL)
		return 1;
	return limit() == 1;
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
