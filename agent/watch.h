/*
 * watch.h - file triggers on the agent: the folders the scheduler names
 * for this agent (GET /api/agents/watches) are watched, and when the
 * files of one have all stayed unchanged for the trigger's settle time,
 * they are reported (POST /api/file-triggers/NAME/fire), once per set;
 * the scheduler starts the trigger's script (see scheduler/triggers.h).
 */
#ifndef KOBITO_WATCH_H
#define KOBITO_WATCH_H

#include "agentd_state.h"

/*
 * The watcher thread (arg: the struct agentd): runs until the agent is
 * told to stop.  The list of watches is asked for at start and every 5 s
 * (a trigger defined now is watched within 5 s).
 */
void		*watch_main(void *arg);

#endif
