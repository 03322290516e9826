/*
 * api_artifacts.h - artifacts: files a run uploads (screenshots, reports)
 * and the route that serves them back.
 */
#ifndef KOBITO_API_ARTIFACTS_H
#define KOBITO_API_ARTIFACTS_H

#include "api_int.h"

/*
 * Headers of a file served back (an artifact, a queue item's file): a
 * download unless it is a raster image, never sniffed, inert.  name is
 * [A-Za-z0-9._-].
 */
void		 api_file_disposition(struct req *, const char *name,
		    const char *ctype);

enum hres	 api_h_artifact(struct api *, struct req *);	/* upload */
enum hres	 api_h_artifact_get(struct api *, struct req *);

#endif
