/*
 * api_web.h - the bridge to web.c: the dashboard's files, sessions, users
 * and KPI routes are rows of the API's table served by web.c's handlers.
 */
#ifndef KOBITO_API_WEB_H
#define KOBITO_API_WEB_H

#include "api_int.h"

/* Run the web.c handler of r's route (404 without a dashboard). */
enum hres	 api_h_web(struct api *, struct req *);

#endif
