/*
 * batch.c - the worker pool behind batch_run().
 *
 * Workers sleep on a condition variable until a batch is posted, take
 * items by incrementing next under the lock, and signal done when the last
 * item of the batch finishes.  Worker k only takes items when k < limit,
 * so a batch can use fewer threads than the pool has.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "batch.h"
#include "ocr.h"
#include "xmalloc.h"

/* The process's one pool; all fields are guarded by lock. */
static struct batch_pool {
	pthread_mutex_t	 run;		/* one batch at a time */
	pthread_mutex_t	 lock;
	pthread_cond_t	 work;
	pthread_cond_t	 done;
	pthread_t	*threads;
	int		 nthreads;
	int		 stop;
	/* the batch being run */
	void		(*fn)(size_t, void *);
	void		*arg;
	size_t		 next, n, active;
	int		 limit;
} batch_pool = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
	NULL, 0, 0, NULL, NULL, 0, 0, 0, 0,
};

static void *
worker(void *p)
{
	struct batch_pool *bp = &batch_pool;
	int id = (int)(intptr_t)p;

	pthread_mutex_lock(&bp->lock);
	for (;;) {
		size_t i;

		while (!bp->stop && (bp->fn == NULL || bp->next >= bp->n ||
		    id >= bp->limit))
			pthread_cond_wait(&bp->work, &bp->lock);
		if (bp->stop)
			break;
		i = bp->next++;
		bp->active++;
		pthread_mutex_unlock(&bp->lock);
		bp->fn(i, bp->arg);
		pthread_mutex_lock(&bp->lock);
		if (--bp->active == 0 && bp->next >= bp->n)
			pthread_cond_broadcast(&bp->done);
	}
	pthread_mutex_unlock(&bp->lock);
	ocr_thread_release();
	return NULL;
}

void
batch_run(size_t n, int nthreads, void (*fn)(size_t, void *), void *arg)
{
	struct batch_pool *bp = &batch_pool;

	if (n == 0)
		return;
	if (nthreads <= 0)
		nthreads = ocr_ncpu();
	if ((size_t)nthreads > n)
		nthreads = (int)n;
	pthread_mutex_lock(&bp->run);
	pthread_mutex_lock(&bp->lock);
	while (bp->nthreads < nthreads) {
		bp->threads = xreallocarray(bp->threads, bp->nthreads + 1,
		    sizeof *bp->threads);
		if (pthread_create(&bp->threads[bp->nthreads], NULL, worker,
		    (void *)(intptr_t)bp->nthreads) != 0) {
			if (bp->nthreads == 0) {
				fprintf(stderr, "kobito: cannot start an OCR "
				    "worker thread\n");
				abort();
			}
			nthreads = bp->nthreads;	/* make do */
			break;
		}
		bp->nthreads++;
	}
	bp->fn = fn;
	bp->arg = arg;
	bp->next = 0;
	bp->n = n;
	bp->active = 0;
	bp->limit = nthreads;
	pthread_cond_broadcast(&bp->work);
	while (bp->next < bp->n || bp->active > 0)
		pthread_cond_wait(&bp->done, &bp->lock);
	bp->fn = NULL;
	bp->arg = NULL;
	pthread_mutex_unlock(&bp->lock);
	pthread_mutex_unlock(&bp->run);
}

void
batch_shutdown(void)
{
	struct batch_pool *bp = &batch_pool;
	int i;

	pthread_mutex_lock(&bp->run);
	pthread_mutex_lock(&bp->lock);
	bp->stop = 1;
	pthread_cond_broadcast(&bp->work);
	pthread_mutex_unlock(&bp->lock);
	for (i = 0; i < bp->nthreads; i++)
		pthread_join(bp->threads[i], NULL);
	pthread_mutex_lock(&bp->lock);
	free(bp->threads);
	bp->threads = NULL;
	bp->nthreads = 0;
	bp->stop = 0;
	pthread_mutex_unlock(&bp->lock);
	pthread_mutex_unlock(&bp->run);
}
