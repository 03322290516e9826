/*
 * review.h - people check what a bot could not read: the review side of
 * work queues (queues.h).
 *
 * A bot sends an item to review with what to check (queues_to_review):
 *
 *   {"reason": "total: low_confidence (58.1)",
 *    "image": "inv-004.png",              a file of the item: the scan
 *    "template": "invoice_en",
 *    "fields": {NAME: {"label", "value", "raw", "confidence", "box":
 *               [x, y, w, h], "status", "reason", "readings": [...],
 *               "kind", "pattern", "list", "whitelist", "decimals",
 *               "dmy", "required"}, ...},
 *    "checks": [CHECK, ...]}      as form.h writes them: sums, products,
 *                                 tax at a rate (form_check_json)
 *
 * A reviewer opens the item (it is then locked to them: nobody else may
 * open it until they approve, reject, close it, or stop renewing the
 * lock), corrects values, and approves: every value is normalised and
 * validated as the template says (the field's kind - dates, era dates,
 * amounts, codes -, its pattern, list and whitelist, required fields, and
 * the checks across fields: sums, products, tax), and only values that
 * pass are stored.  The item then goes
 * back to the bot (needs_review -> reviewed -> new) with the values, or,
 * rejected with a reason, fails as a business exception.
 *
 * The time the item was open (from open to approve or reject, spans
 * added when it was opened more than once) is measured and written to
 * the KPI ledger as exception minutes of the run that sent it to review
 * (kpi_add_fix_minutes; kept in kpi_review_minutes until that run's row
 * exists).
 *
 * Only people who hold the operator role in the queue's department (or
 * above it) and admins may open, approve or reject: the API's routes
 * check it (perm.h) before these functions run.
 *
 * The functions taking a struct conn work inside a write (or read)
 * transaction and return QUEUES_OK or a negative QUEUES_* code with a
 * message in err.
 */
#ifndef KOBITO_REVIEW_H
#define KOBITO_REVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "queues.h"

/* How long an open item stays locked without a renewal. */
#define REVIEW_LOCK_MS		120000

/*
 * Validate values (name -> text or value, borrowed) against review (the
 * request above, borrowed).  Returns a new object:
 *   {"ok": bool, "values": {name: normalised}, "errors": {name: why},
 *    "checks": [{"sum", "equals", "ok", "message"}]}
 * Fields of review missing from values keep the bot's value.  Pure: no
 * database.
 */
json_t	*review_check(const json_t *review, const json_t *values);

/*
 * Open item id for user (lock it for lock_ms, or renew the lock they
 * hold: *renewed is then set).  QUEUES_LOCKED naming who has it;
 * QUEUES_CONFLICT when it is not waiting for review.
 */
int	review_open(struct conn *, int64_t id, const char *user, int64_t now,
	    int64_t lock_ms, int *renewed, char *err, size_t errlen);
/* Close it without a decision: the lock goes, the time counted so far stays. */
int	review_close(struct conn *, int64_t id, const char *user, int64_t now,
	    char *err, size_t errlen);

/*
 * Approve with values (borrowed): validated (QUEUES_INVALID, with the
 * review_check result in *result), stored, and the item back to the bot.
 * The user must hold the lock.  *minutes receives the review time.
 * *result (a new reference, or NULL) is set in every case it was built.
 */
int	review_approve(struct conn *, int64_t id, const char *user,
	    json_t *values, int64_t now, double *minutes, json_t **result,
	    char *err, size_t errlen);
/* Reject: the item fails as a business exception with the reason. */
int	review_reject(struct conn *, int64_t id, const char *user,
	    const char *reason, int64_t now, double *minutes, char *err,
	    size_t errlen);

/*
 * The items waiting for review in the departments of review (a JSON
 * array of department codes as text, NULL: every one), oldest first
 * (limit items), and the figures of the queues of the departments of see
 * (the same form): {"items": [{id, queue, title, department, reference,
 * reason, entered_at, waiting_ms, locked_by, locked_until, deadline}],
 * "departments": [{department, queue, waiting, oldest_ms, new,
 * in_progress, sla_breached, oldest_new_ms}]}.
 */
json_t	*review_inbox(struct conn *, const char *review, const char *see,
	    int limit, int64_t now, queues_time_fn tf, void *targ);

#endif
