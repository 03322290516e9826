/*
 * api_artifacts.h - artifacts: files a run uploads (screenshots, reports)
 * and the route that serves them back.
 */
#ifndef KOBITO_API_ARTIFACTS_H
#define KOBITO_API_ARTIFACTS_H

#include "api_int.h"

enum hres	 api_h_artifact(struct api *, struct req *);	/* upload */
enum hres	 api_h_artifact_get(struct api *, struct req *);

#endif
