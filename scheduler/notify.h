/*
 * notify.h - telling people when something needs them: rules, the events
 * they catch, and the deliveries made of them.
 *
 * A rule names an event and where to say it:
 *
 *   run_failed      a job of the rule's script (any when none) ended
 *                   failed or timed out
 *   review_waiting  items of the rule's queue (any when none) have waited
 *                   for review longer than the rule's minutes
 *   sla_breach      items of the rule's queue passed their deadline
 *                   unfinished
 *   agent_offline   the rule's agent (any when none) has not been heard
 *                   from for the rule's minutes
 *
 * and a channel: "webhook" (an HTTP POST of JSON to the URL held by the
 * secret the rule names - the URLs of incoming webhooks carry their
 * credentials, so they are sealed like any secret, and the secret's
 * allow list must take the URL) or "mail" (to the rule's addresses,
 * through the SMTP server of the notification settings).  The JSON has
 * "text" (one line, what Teams, Slack and LINE WORKS incoming webhooks
 * show) beside "event", "rule" and the details.
 *
 * notify_scan() turns what happened since into deliveries: each event
 * is told once per rule (notify_seen remembers it: a job, an item's
 * episode of waiting, an agent's silence), items of one scan in one
 * delivery.  A separate thread of the scheduler sends them (never the
 * threads that serve the API or the ticker); a failed delivery is tried
 * again after 1, 2, 4 ... s (at most 5 min apart), NOTIFY_ATTEMPTS times
 * in all, and every attempt is kept for the dashboard.
 *
 * Every function runs inside a write (or read) transaction on the given
 * connection and takes "now" from its caller.  0, or -1 with a message.
 */
#ifndef KOBITO_NOTIFY_H
#define KOBITO_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "query.h"
#include "store.h"

#define NOTIFY_ATTEMPTS		8
#define NOTIFY_BACKOFF_MS	1000
#define NOTIFY_BACKOFF_MAX_MS	300000

/*
 * Create or replace a rule from its JSON (as PUT /api/notifications/rules
 * takes it: {event, script, queue, agent, minutes, channel, target,
 * department, enabled}); *created says which.  -1 with a message naming
 * the field.
 */
int	notify_rule_put(struct conn *, const char *name, const json_t *in,
	    const char *department, int64_t now, int *created, char *err,
	    size_t errlen);
/* 0 when deleted, -1 when there was none. */
int	notify_rule_delete(struct conn *, const char *name);
/* {"rules": [...]} of the departments of depts (JSON text; NULL: all). */
json_t	*notify_rules(struct conn *, const char *depts, const struct tfmt *);
/* The department of rule name into out: 0, or -1 when there is none. */
int	notify_rule_department(struct conn *, const char *name, char *out,
	    size_t outlen);

/* The mail settings: {server, from, user, password_secret, ca_file}. */
int	notify_mail_put(struct conn *, const json_t *in, int64_t now,
	    char *err, size_t errlen);
/* A new reference, or NULL when there are none. */
json_t	*notify_mail_get(struct conn *);

/*
 * Find the events of every enabled rule since the last scan and queue a
 * delivery for each (or each rule's batch).  *made counts them.
 */
int	notify_scan(struct conn *, int64_t now, int *made);

/*
 * Deliveries due at now (pending, next attempt passed), at most max,
 * appended to out as {id, rule, channel, target, subject, payload,
 * attempts}.
 */
int	notify_due(struct conn *, int64_t now, int max, json_t *out);
/*
 * Record an attempt of delivery id: delivered (ok), or failed with
 * status (0: no answer) and why; after NOTIFY_ATTEMPTS failures the
 * delivery is failed for good.
 */
int	notify_attempted(struct conn *, int64_t id, int ok, long status,
	    const char *why, int64_t now);
/* {"deliveries": [...], "next_before"} newest first, of depts (as above). */
json_t	*notify_deliveries(struct conn *, const char *depts,
	    const struct tfmt *, int limit, int64_t before);

#define NOTIFY_SCHEMA_SQL \
	"CREATE TABLE notify_rules (name TEXT PRIMARY KEY," \
	"  event TEXT NOT NULL, script TEXT, queue TEXT, agent TEXT," \
	"  after_ms INTEGER NOT NULL DEFAULT 0, channel TEXT NOT NULL," \
	"  target TEXT NOT NULL, department TEXT NOT NULL DEFAULT ''," \
	"  enabled INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL," \
	"  updated_at INTEGER NOT NULL);" \
	"CREATE TABLE notify_seen (rule TEXT NOT NULL, key TEXT NOT NULL," \
	"  at INTEGER NOT NULL, PRIMARY KEY (rule, key)) WITHOUT ROWID;" \
	"CREATE TABLE notify_cursor (rule TEXT PRIMARY KEY," \
	"  value INTEGER NOT NULL);" \
	"CREATE TABLE notify_deliveries (id INTEGER PRIMARY KEY," \
	"  rule TEXT NOT NULL, event TEXT NOT NULL, channel TEXT NOT NULL," \
	"  target TEXT NOT NULL, department TEXT NOT NULL DEFAULT ''," \
	"  subject TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL," \
	"  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL," \
	"  last_status INTEGER, last_error TEXT," \
	"  created_at INTEGER NOT NULL, delivered_at INTEGER);" \
	"CREATE INDEX notify_deliveries_due ON notify_deliveries(next_at)" \
	"  WHERE state = 'pending';" \
	"CREATE TABLE notify_settings (key TEXT PRIMARY KEY," \
	"  value TEXT NOT NULL, updated_at INTEGER NOT NULL);"

#endif
