/*
 * api_ticker.h - the API's ticker thread: it answers long polls whose
 * time is up, expires leases, fires schedules, wakes agents for jobs that
 * became due, records when agents and tokens were last seen and purges
 * old runs.
 */
#ifndef KOBITO_API_TICKER_H
#define KOBITO_API_TICKER_H

#include "api_int.h"

/* The thread's body (p is the struct api); returns when a->stopping. */
void		*api_ticker_main(void *p);

#endif
