/*
 * ocr.h - tesseract engines kept for the life of the process, one per
 * thread per language set, and the recognition calls kobito makes on them.
 *
 * Initialising a tesseract engine reads its traineddata (tens of
 * milliseconds for eng, more for jpn); recognising a single-line zone takes
 * a few milliseconds.  So engines are created on first use and kept: each
 * thread owns its engines (a TessBaseAPI must not be shared between threads
 * at the same time), they are found again by language string, and they are
 * freed when the thread exits or calls ocr_thread_release().
 *
 * Images are leptonica PIX; coordinates are pixels of the image given.
 * Confidences are tesseract's, 0 to 100.
 *
 * OpenMP: libtesseract runs parts of its LSTM in OpenMP parallel regions.
 * kobito parallelises across pages instead (one engine per thread), and on
 * a two-core machine tesseract's own threads make a dense page several times
 * slower.  libgomp reads OMP_THREAD_LIMIT once, in its constructor, when the
 * shared library is loaded.  libtesseract is therefore not linked but loaded
 * with dlopen() when the first engine is made, after OMP_THREAD_LIMIT=1 has
 * been put in the environment (unless the caller set it otherwise).
 */
#ifndef KOBITO_OCR_H
#define KOBITO_OCR_H

#include <stddef.h>

struct Pix;
struct ocr_engine;

/* Page segmentation modes kobito uses (tesseract's numbering). */
enum ocr_psm {
	OCR_PSM_AUTO = 3,		/* a whole page */
	OCR_PSM_BLOCK_VERT = 5,		/* a block of vertical text */
	OCR_PSM_BLOCK = 6,		/* a uniform block of text */
	OCR_PSM_LINE = 7,		/* a single line */
	OCR_PSM_WORD = 8,		/* a single word */
	OCR_PSM_SPARSE = 11,		/* scattered text, no order */
	OCR_PSM_RAW_LINE = 13,		/* a line, bypassing tesseract's layout */
};

struct ocr_symbol {
	char	*text;			/* UTF-8, owned: usually one character */
	int	 x, y, w, h;
	float	 conf;
};

struct ocr_word {
	char	*text;			/* UTF-8, owned */
	struct ocr_symbol *syms;	/* its characters, owned */
	size_t	 nsyms;
	int	 x, y, w, h;		/* box in the image recognised */
	float	 conf;			/* word confidence, 0..100 */
	float	 conf_min;		/* lowest symbol confidence in the word */
	int	 line;			/* index of its text line, from 0 */
	int	 block;			/* index of its block, from 0 */
};

struct ocr_result {
	struct ocr_word	*words;		/* in reading order */
	size_t		 nwords;
	int		 nlines;
	char		*text;		/* tesseract's UTF-8 text, owned */
};

/*
 * The calling thread's engine for lang ("eng", "jpn", "jpn+eng",
 * "jpn_vert"), initialised on first use.  The engine stays owned by the
 * thread: do not free it, do not hand it to another thread.  NULL, with a
 * message in err, when the language data cannot be loaded.
 */
struct ocr_engine	*ocr_engine_get(const char *lang, char *err,
			    size_t errlen);

/*
 * Recognise pix (any depth; not kept after the call) with the given page
 * segmentation mode, telling tesseract the image is dpi dots per inch.
 * Fills *res, which the caller frees with ocr_result_free().  Returns 0, or
 * -1 with a message in err.
 */
int	ocr_recognize(struct ocr_engine *, struct Pix *pix, enum ocr_psm psm,
	    int dpi, struct ocr_result *res, char *err, size_t errlen);

void	ocr_result_free(struct ocr_result *);

/*
 * Blank stretches of a text line measured on the image (x0 <= x < x1 in
 * the recognised image's pixels, or y for vertical text), wide enough to be
 * spaces.  Tesseract's symbol boxes are too rough for Japanese spacing;
 * the image is not.
 */
struct ocr_gaps {
	const int	*v;		/* pairs x0, x1 */
	size_t		 n;
	int		 ink0, ink1;	/* first and last column with ink */
};

/*
 * Words [from, to) of res joined into text (the caller frees it): lines
 * are separated by '\n' and Latin words by a space.  With cjk set (a
 * Japanese model read it) spaces come from the page instead, character by
 * character: the jpn models split Japanese lines into "words" at arbitrary
 * points and may run two words into one, so a space is put where the gap
 * between two characters is wide (as between a family and a given name),
 * and between Latin words; with gaps, where a measured gap lies between
 * two characters instead.  A line of full-width characters alone (names,
 * their kana) is placed by counting character pitches from the start of
 * the ink, since LSTM symbol boxes can be off by a whole character.
 * vertical: the text runs top to bottom.
 */
char	*ocr_join(const struct ocr_result *res, size_t from, size_t to,
	    int cjk, int vertical, const struct ocr_gaps *gaps);

/* The language string an engine was made for (borrowed). */
const char	*ocr_engine_lang(const struct ocr_engine *);

/*
 * Free the calling thread's engines now (threads that exit have theirs
 * freed automatically; the main thread calls this before exit so that leak
 * checkers see a clean heap).
 */
void	ocr_thread_release(void);

/*
 * Load libtesseract now, if it is not yet (it is loaded on first use
 * otherwise).  Call it from the main thread before starting workers: the
 * load puts OMP_THREAD_LIMIT in the environment, and setenv() must not run
 * while other threads read it.  0, or -1 with a message in err.
 */
int	ocr_load(char *err, size_t errlen);

/* Whether the running process has OpenMP limited to one thread (true too
 * before libtesseract is loaded, since the load will see to it). */
int	ocr_env_ok(void);

/* The number of processors to use for batches (at least 1). */
int	ocr_ncpu(void);

#endif
