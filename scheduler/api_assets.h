/*
 * api_assets.h - assets: settings a bot reads that are not secret (an
 * office's folder, a form's URL, a fiscal year's budget code), kept by
 * the scheduler per department and handed out with a lease, read in a
 * script as ${assets.NAME}.  Names, departments and last changes are
 * listed; values are written, never shown again by the API (like
 * secrets', they may still not belong on every screen), though a bot
 * may log them.
 */
#ifndef KOBITO_API_ASSETS_H
#define KOBITO_API_ASSETS_H

#include "api_int.h"

/*
 * The assets the script of version digest may read: those of its
 * department and of the departments above it, and the whole
 * organisation's, as a new object {name: value}.
 */
json_t		*api_job_assets(struct api *, struct conn *, const char *digest);

enum hres	 api_h_assets(struct api *, struct req *);
enum hres	 api_h_asset_put(struct api *, struct req *);
enum hres	 api_h_asset_delete(struct api *, struct req *);

#endif
