/*
 * delivery.h - a finished job's result (or release), from the spool to
 * the scheduler.
 *
 * A record (the result or release, the events not yet sent, the
 * artifacts to upload) is written to the spool, then sent once at once:
 * results without artifacts that finish together go in one
 * POST /api/results (one call by whichever worker finds none on its way);
 * anything else alone, with fallbacks for a scheduler that refuses the
 * events or the size, or does not know /api/results.  A record that could
 * not be delivered is kept durably in the outbox, and the deliverer thread
 * retries it with backoff until the scheduler acknowledges or refuses it.
 */
#ifndef KOBITO_DELIVERY_H
#define KOBITO_DELIVERY_H

#include <jansson.h>

#include "agentd_state.h"

/*
 * Spool and deliver the record rec of the job key (rec is consumed: it
 * is owned by whichever thread ends up sending it).  Returns once the
 * record was sent or, failing that, handed to the deliverer.
 */
void		 delivery_submit(struct agentd *, const char *key, json_t *rec);
/* The scheduler answered again: every waiting record may go now. */
void		 delivery_scheduler_back(struct agentd *);
/*
 * The deliverer thread (arg: the struct agentd): runs until
 * d->deliver_quit is set, then makes one last pass with short timeouts.
 */
void		*delivery_main(void *arg);
/* Free what delivery keeps in d, once every thread has stopped. */
void		 delivery_release(struct agentd *);

#endif
