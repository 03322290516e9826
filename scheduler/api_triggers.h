/*
 * api_triggers.h - file triggers over HTTP: their definitions (engineers),
 * the folders an agent watches, and the agent's report of settled files.
 */
#ifndef KOBITO_API_TRIGGERS_H
#define KOBITO_API_TRIGGERS_H

#include "api_agents.h"
#include "api_int.h"

enum hres	 api_h_file_triggers(struct api *, struct req *);
enum hres	 api_h_file_trigger_put(struct api *, struct req *);
enum hres	 api_h_file_trigger_delete(struct api *, struct req *);
enum hres	 api_h_watches(struct api *, struct req *);
enum hres	 api_h_file_trigger_fire(struct api *, struct req *);

#endif
