/*
 * api_auth.h - who is calling: bearer tokens (with a cache), the
 * dashboard's session cookie, when tokens and agents were last seen, and
 * the token routes.
 */
#ifndef KOBITO_API_AUTH_H
#define KOBITO_API_AUTH_H

#include "api_int.h"

/* Who the bearer token belongs to, into r->who: 0, or -1 when no one. */
int		 api_authenticate(struct api *, struct req *,
		    const char *token);
/*
 * A call without a bearer token: a browser's session cookie stands for
 * one (web.c).  0 when r->who is set, else 1 with the refusal made.
 */
int		 api_session_auth(struct api *, struct req *,
		    const char *method);
/* Forget every cached token (after a revocation or a user change). */
void		 api_tcache_clear(struct api *);
/* Remember that r's token (and agent) were seen now (flushed by the ticker). */
void		 api_note_caller(struct api *, struct req *);
/* Free what t holds and empty it. */
void		 api_touches_clear(struct touches *t);

enum hres	 api_h_whoami(struct api *, struct req *);
enum hres	 api_h_tokens(struct api *, struct req *);
enum hres	 api_h_token_create(struct api *, struct req *);
enum hres	 api_h_token_revoke(struct api *, struct req *);

#endif
