/*
 * jobrun.h - running one job's script, in a thread or a process of its
 * own (the isolation rule is in agentd.h).
 *
 * Each returns the run's summary (a new reference): the engine's, or one
 * made up for a run that could not start or whose process died.  Events go
 * to the job's queue (reporter_enqueue) as they happen.
 */
#ifndef KOBITO_JOBRUN_H
#define KOBITO_JOBRUN_H

#include <jansson.h>

#include "agentd_state.h"

/* Run j's script in the calling thread. */
json_t		*jobrun_here(struct job *j);
/* Run j's script in a child process (kobito-agent --run-job). */
json_t		*jobrun_child(struct job *j);
/* A summary for a run that never got going, failed with error. */
json_t		*jobrun_failed(const struct job *j, const char *error);
/*
 * The child's side: read one job (JSON) from in_fd, run it, write JSON
 * lines to out_fd.  Returns the exit status.
 */
int		 jobrun_child_main(int in_fd, int out_fd);

#endif
