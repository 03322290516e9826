/* api_scripts.h - scripts: uploading, listing, showing a version. */
#ifndef KOBITO_API_SCRIPTS_H
#define KOBITO_API_SCRIPTS_H

#include "api_int.h"

enum hres	 api_h_script_upload(struct api *, struct req *);
enum hres	 api_h_scripts(struct api *, struct req *);
enum hres	 api_h_script(struct api *, struct req *);
/* GET /api/scripts/{name}/diff?from=D&to=D: a unified diff. */
enum hres	 api_h_script_diff(struct api *, struct req *);
/* POST /api/scripts/{name}/rollback {"digest": D}. */
enum hres	 api_h_script_rollback(struct api *, struct req *);
/* PUT /api/scripts/{name}/shared: {"shared": true | false}. */
enum hres	 api_h_script_shared(struct api *, struct req *);
/*
 * What the caller may do with a script of department dept (shared or
 * not): {"department", "shared", "may_run", "may_edit"} set on o.
 */
void		 api_script_may(struct api *, struct req *, json_t *o,
		    const char *dept, int shared);

#endif
