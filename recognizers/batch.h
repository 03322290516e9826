/*
 * batch.h - run OCR work on every core, one tesseract engine per thread.
 *
 * A pool of worker threads is started on first use and kept for the life
 * of the process, so each worker's engines (see ocr.h) are initialised once
 * and reused by every later batch.  Items are handed out one at a time from
 * a shared counter, so a slow page does not hold up the others.
 */
#ifndef KOBITO_BATCH_H
#define KOBITO_BATCH_H

#include <stddef.h>

/*
 * Call fn(i, arg) for every i in [0, n) on up to nthreads workers (0 or
 * less: one per processor), and return when all calls have returned.
 * Batches from several threads run one after another.  fn must not call
 * batch_run() itself.
 */
void	batch_run(size_t n, int nthreads, void (*fn)(size_t i, void *arg),
	    void *arg);

/* Stop the workers and free their engines (before exit, for leak checks);
 * a later batch_run() starts them again. */
void	batch_shutdown(void);

#endif
