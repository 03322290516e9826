/* api_scripts.h - scripts: uploading, listing, showing a version. */
#ifndef KOBITO_API_SCRIPTS_H
#define KOBITO_API_SCRIPTS_H

#include "api_int.h"

enum hres	 api_h_script_upload(struct api *, struct req *);
enum hres	 api_h_scripts(struct api *, struct req *);
enum hres	 api_h_script(struct api *, struct req *);

#endif
