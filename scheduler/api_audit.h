/*
 * api_audit.h - the audit log of the scheduler's API: every change and
 * every refused change, written in the transaction of the change.
 */
#ifndef KOBITO_API_AUDIT_H
#define KOBITO_API_AUDIT_H

#include "api_int.h"

/* Whether the request may change something (any method but GET, HEAD). */
int		 api_mutating(const struct req *);
/* Insert the request's audit row on c (inside a write). */
int		 api_audit_insert(struct conn *, struct req *);

/*
 * A handler's change: runs in a durable write; sets the reply; returns
 * non-zero to have its changes rolled back.
 */
typedef int (*api_write_fn)(struct conn *, struct api *, struct req *,
    void *arg);

/*
 * Run fn in a durable write with the request's audit row.  fn sets the
 * reply; it returns non-zero to have its changes rolled back (the audit
 * row of the refusal is still written; with r->audit_count set, the call
 * is counted as an anonymous refusal instead).  -1 when a commit failed
 * (the reply is then a 500).
 */
int		 api_write_audited(struct api *, struct req *, api_write_fn fn,
		    void *arg);
/*
 * Audit a call refused before its handler ran: a change refused to a
 * known caller is a row; any call refused to an anonymous one (no valid
 * token or session; or r->audit_count) is counted for its address and
 * minute, written as one row when the minute is over.
 */
void		 api_audit_refusal(struct api *, struct req *);
/*
 * Write the counts of anonymous refusals of the minutes that are over
 * (all of them when all is set: at the end) as audit rows.
 */
void		 api_audit_flush(struct api *, int all);
/* Free the counts not written (after the last flush). */
void		 api_audit_clear(struct api *);

/* GET /api/audit */
enum hres	 api_h_audit(struct api *, struct req *);

#endif
