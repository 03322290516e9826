/*
 * api_secrets.h - secrets: the admin routes, and the secret values a
 * job's script references (handed out with its lease, masked out of
 * what its agent reports).
 */
#ifndef KOBITO_API_SECRETS_H
#define KOBITO_API_SECRETS_H

#include "api_int.h"
#include "mask.h"

/*
 * The secret values the script of version digest references, added to m
 * (for masking what agents send) and as a new object in *values (for the
 * lease); either may be NULL.
 */
void		 api_job_secrets(struct api *, struct conn *,
		    const char *digest, struct mask *m, json_t **values);
/*
 * v with every secret of the job's script masked (a new reference), on
 * the connection of the write that stores it.
 */
json_t		*api_mask_for_job(struct api *, struct conn *, int64_t job_id,
		    json_t *v);

enum hres	 api_h_secrets(struct api *, struct req *);
enum hres	 api_h_secret_put(struct api *, struct req *);
enum hres	 api_h_secret_delete(struct api *, struct req *);

#endif
