/*
 * notify.c - notification rules, the events they catch and the
 * deliveries made of them (see notify.h).  Each kind of event is one row
 * of the table below: how to find what happened, and what to say.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "queues.h"
#include "secrets.h"
#include "xmalloc.h"

/* Seen keys are kept this long, then forgotten. */
#define SEEN_KEEP_MS	(30LL * 86400000)

static const char *const channels[] = { "webhook", "mail", NULL };

/* --- rules ---------------------------------------------------------------- */

struct rule {
	char		*name, *event, *script, *queue, *agent;
	char		*channel, *target, *department;
	int64_t		 after_ms;
};

static void
rule_free(struct rule *r)
{
	free(r->name);
	free(r->event);
	free(r->script);
	free(r->queue);
	free(r->agent);
	free(r->channel);
	free(r->target);
	free(r->department);
	memset(r, 0, sizeof *r);
}

/* --- events ----------------------------------------------------------------- */

/* What a scan of one rule found: deliveries to queue. */
struct found {
	json_t		*out;	/* [{subject, payload}] */
};

static int seen(struct conn *, const char *rule, const char *key);
static int mark(struct conn *, const char *rule, const char *key,
    int64_t now);

static json_t *
str_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() :
	    json_string(col_text(st, col));
}

/* Jobs of the rule's script that failed since its cursor, one each. */
static int
scan_failed(struct conn *c, const struct rule *r, int64_t now,
    struct found *f)
{
	sqlite3_stmt *st;
	int64_t cursor = 0, last = 0;
	char *text;

	st = conn_stmt(c, "SELECT value FROM notify_cursor WHERE rule = ?");
	bind_text(st, 1, r->name);
	if (sqlite3_step(st) == SQLITE_ROW)
		cursor = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = conn_stmt(c, "SELECT t.id, j.id, j.script, t.to_state, t.reason"
	    " FROM job_transitions t JOIN jobs j ON j.id = t.job_id"
	    " WHERE t.id > ?1 AND t.to_state IN ('failed', 'timed_out')"
	    " AND (?2 IS NULL OR j.script = ?2) ORDER BY t.id LIMIT 500");
	sqlite3_bind_int64(st, 1, cursor);
	bind_text(st, 2, r->script);
	while (sqlite3_step(st) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		text = xasprintf("【kobito】ボット %s のジョブ %lld が%sしました: "
		    "%s", col_text(st, 2), (long long)sqlite3_column_int64(st,
		    1), strcmp(col_text(st, 3), "failed") == 0 ? "失敗" :
		    "時間切れで停止", col_text(st, 4));
		json_array_append_new(f->out, json_pack("{s:s, s:{s:I, s:s,"
		    " s:s, s:s}}", "text", text, "job", "id",
		    (json_int_t)sqlite3_column_int64(st, 1), "script",
		    col_text(st, 2), "state", col_text(st, 3), "reason",
		    col_text(st, 4)));
		free(text);
	}
	sqlite3_reset(st);
	if (last == 0)
		return 0;
	st = conn_stmt(c, "INSERT INTO notify_cursor (rule, value) VALUES"
	    " (?1, ?2) ON CONFLICT (rule) DO UPDATE SET value = ?2");
	bind_text(st, 1, r->name);
	sqlite3_bind_int64(st, 2, last);
	(void)now;
	return conn_step(c, st, NULL, 0);
}

/*
 * Items of the rule's queue that sql finds (id, reference, queue, the
 * time that makes the episode: entered review, deadline), not told yet:
 * one delivery for all of them.
 */
static int
scan_items(struct conn *c, const struct rule *r, int64_t now, const char *sql,
    const char *what, struct found *f)
{
	sqlite3_stmt *st = conn_stmt(c, sql);
	json_t *items = json_array();
	int64_t oldest = now;
	char key[96], *text;

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, r->after_ms);
	bind_text(st, 3, r->queue);
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(key, sizeof key, "item:%lld:%lld",
		    (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 3));
		if (seen(c, r->name, key) || mark(c, r->name, key, now) != 0)
			continue;
		if (sqlite3_column_int64(st, 3) < oldest)
			oldest = sqlite3_column_int64(st, 3);
		json_array_append_new(items, json_pack("{s:I, s:o, s:s, s:I}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "reference", str_or_null(st, 1), "queue", col_text(st, 2),
		    "since_ms", (json_int_t)(now - sqlite3_column_int64(st,
		    3))));
	}
	sqlite3_reset(st);
	if (json_array_size(items) == 0) {
		json_decref(items);
		return 0;
	}
	text = xasprintf("【kobito】%zu件の書類が%s（最長 %.0f 分）",
	    json_array_size(items), what, floor((double)(now - oldest) /
	    60000.0));
	json_array_append_new(f->out, json_pack("{s:s, s:o}", "text", text,
	    "items", items));
	free(text);
	return 0;
}

static int
scan_review(struct conn *c, const struct rule *r, int64_t now,
    struct found *f)
{
	return scan_items(c, r, now, "SELECT i.id, i.reference, q.name,"
	    " i.entered_at FROM queue_items i JOIN queues q ON"
	    " q.id = i.queue_id WHERE i.state = 'needs_review'"
	    " AND i.entered_at <= ?1 - ?2 AND (?3 IS NULL OR q.name = ?3)"
	    " ORDER BY i.id LIMIT 500", "確認待ちです", f);
}

static int
scan_sla(struct conn *c, const struct rule *r, int64_t now, struct found *f)
{
	return scan_items(c, r, now, "SELECT i.id, i.reference, q.name,"
	    " i.deadline FROM queue_items i JOIN queues q ON q.id = i.queue_id"
	    " WHERE i.state IN ('new', 'in_progress', 'needs_review',"
	    " 'reviewed') AND i.deadline <= ?1 - ?2"
	    " AND (?3 IS NULL OR q.name = ?3) ORDER BY i.id LIMIT 500",
	    "期限を過ぎました", f);
}

/* Agents silent for the rule's minutes: one delivery each. */
static int
scan_offline(struct conn *c, const struct rule *r, int64_t now,
    struct found *f)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, name, last_seen FROM"
	    " agents WHERE registered_at IS NOT NULL AND last_seen <= ?1 - ?2"
	    " AND (?3 IS NULL OR name = ?3) ORDER BY id");
	char key[96], *text;

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, r->after_ms);
	bind_text(st, 3, r->agent);
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(key, sizeof key, "agent:%lld:%lld",
		    (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 2));
		if (seen(c, r->name, key) || mark(c, r->name, key, now) != 0)
			continue;
		text = xasprintf("【kobito】エージェント %s から %.0f 分応答が"
		    "ありません", col_text(st, 1), floor((double)(now -
		    sqlite3_column_int64(st, 2)) / 60000.0));
		json_array_append_new(f->out, json_pack("{s:s, s:{s:I, s:s,"
		    " s:I}}", "text", text, "agent", "id",
		    (json_int_t)sqlite3_column_int64(st, 0), "name",
		    col_text(st, 1), "silent_ms", (json_int_t)(now -
		    sqlite3_column_int64(st, 2))));
		free(text);
	}
	sqlite3_reset(st);
	return 0;
}

/* The kinds of event: how each is found. */
static const struct {
	const char	*name;
	int		(*scan)(struct conn *, const struct rule *, int64_t,
			    struct found *);
	int		 has_minutes;	/* the rule's minutes mean something */
	const char	*filter;	/* which of script, queue, agent */
} events[] = {
	{ "run_failed", scan_failed, 0, "script" },
	{ "review_waiting", scan_review, 1, "queue" },
	{ "sla_breach", scan_sla, 0, "queue" },
	{ "agent_offline", scan_offline, 1, "agent" },
};

static int
event_index(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof events / sizeof events[0]; i++)
		if (strcmp(events[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
seen(struct conn *c, const char *rule, const char *key)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT 1 FROM notify_seen"
	    " WHERE rule = ? AND key = ?");
	int found;

	bind_text(st, 1, rule);
	bind_text(st, 2, key);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

static int
mark(struct conn *c, const char *rule, const char *key, int64_t now)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT OR IGNORE INTO notify_seen"
	    " (rule, key, at) VALUES (?, ?, ?)");

	bind_text(st, 1, rule);
	bind_text(st, 2, key);
	sqlite3_bind_int64(st, 3, now);
	return conn_step(c, st, NULL, 0);
}

/* --- rules: storage ------------------------------------------------------------- */

static int
name_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 64 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* A string member, NULL when absent; -1 when not a string of 1-200. */
static int
opt_str(const json_t *in, const char *key, const char **out, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(in, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 200) {
		snprintf(err, errlen, "%s: expected a string of 1-200 bytes",
		    key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
notify_rule_put(struct conn *c, const char *name, const json_t *in,
    const char *department, int64_t now, int *created, char *err,
    size_t errlen)
{
	const char *event, *script, *queue, *agent, *channel, *target;
	json_t *mins = json_object_get(in, "minutes"),
	    *en = json_object_get(in, "enabled");
	sqlite3_stmt *st;
	double minutes = 0;
	int k, i, ok = 0;

	*created = 0;
	if (!name_ok(name)) {
		snprintf(err, errlen, "name: expected a letter and up to 63 of "
		    "a-z 0-9 _ -");
		return -1;
	}
	if (opt_str(in, "event", &event, err, errlen) != 0 ||
	    opt_str(in, "script", &script, err, errlen) != 0 ||
	    opt_str(in, "queue", &queue, err, errlen) != 0 ||
	    opt_str(in, "agent", &agent, err, errlen) != 0 ||
	    opt_str(in, "channel", &channel, err, errlen) != 0 ||
	    opt_str(in, "target", &target, err, errlen) != 0)
		return -1;
	if ((k = event_index(event)) < 0) {
		snprintf(err, errlen, "event: expected run_failed, "
		    "review_waiting, sla_breach or agent_offline");
		return -1;
	}
	for (i = 0; channel != NULL && channels[i] != NULL; i++)
		ok |= strcmp(channel, channels[i]) == 0;
	if (!ok) {
		snprintf(err, errlen, "channel: expected webhook or mail");
		return -1;
	}
	if (target == NULL || (strcmp(channel, "webhook") == 0 &&
	    !secrets_name_ok(target))) {
		snprintf(err, errlen, "target: expected %s",
		    strcmp(channel, "webhook") == 0 ? "the name of the secret "
		    "that holds the webhook's URL" : "the addresses to mail");
		return -1;
	}
	if (mins != NULL && (!json_is_number(mins) ||
	    (minutes = json_number_value(mins)) < 0 || minutes > 525600 ||
	    !isfinite(minutes))) {
		snprintf(err, errlen, "minutes: expected 0 to 525600");
		return -1;
	}
	if (en != NULL && !json_is_boolean(en)) {
		snprintf(err, errlen, "enabled: expected true or false");
		return -1;
	}
	if ((script && strcmp(events[k].filter, "script") != 0) ||
	    (queue && strcmp(events[k].filter, "queue") != 0) ||
	    (agent && strcmp(events[k].filter, "agent") != 0)) {
		snprintf(err, errlen, "%s: a rule for %s narrows by %s only",
		    script ? "script" : queue ? "queue" : "agent", event,
		    events[k].filter);
		return -1;
	}
	st = conn_stmt(c, "SELECT 1 FROM notify_rules WHERE name = ?");
	bind_text(st, 1, name);
	*created = sqlite3_step(st) != SQLITE_ROW;
	sqlite3_reset(st);
	st = conn_stmt(c, "INSERT INTO notify_rules (name, event, script,"
	    " queue, agent, after_ms, channel, target, department, enabled,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?11) ON CONFLICT (name) DO UPDATE SET"
	    " event = ?2, script = ?3, queue = ?4, agent = ?5, after_ms = ?6,"
	    " channel = ?7, target = ?8, department = ?9, enabled = ?10,"
	    " updated_at = ?11");
	bind_text(st, 1, name);
	bind_text(st, 2, event);
	bind_text(st, 3, script);
	bind_text(st, 4, queue);
	bind_text(st, 5, agent);
	sqlite3_bind_int64(st, 6, (int64_t)llround(minutes * 60000));
	bind_text(st, 7, channel);
	bind_text(st, 8, target);
	bind_text(st, 9, department ? department : "");
	sqlite3_bind_int(st, 10, en == NULL || json_is_true(en));
	sqlite3_bind_int64(st, 11, now);
	if (conn_step(c, st, err, errlen) != 0)
		return -1;
	if (!*created)
		return 0;
	/* Failures from now on, not those before the rule. */
	st = conn_stmt(c, "INSERT OR REPLACE INTO notify_cursor (rule, value)"
	    " SELECT ?, coalesce(max(id), 0) FROM job_transitions");
	bind_text(st, 1, name);
	return conn_step(c, st, err, errlen);
}

int
notify_rule_delete(struct conn *c, const char *name)
{
	static const char *const sql[] = {
		"DELETE FROM notify_rules WHERE name = ?",
		"DELETE FROM notify_seen WHERE rule = ?",
		"DELETE FROM notify_cursor WHERE rule = ?",
	};
	sqlite3_stmt *st;
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		st = conn_stmt(c, sql[i]);
		bind_text(st, 1, name);
		if (conn_step(c, st, NULL, 0) != 0)
			return -1;
		if (i == 0)
			n = conn_changes(c);
	}
	return n == 1 ? 0 : -1;
}

json_t *
notify_rules(struct conn *c, const char *depts, const struct tfmt *tf)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT name, event, script, queue,"
	    " agent, after_ms, channel, target, department, enabled,"
	    " updated_at FROM notify_rules WHERE ?1 IS NULL OR department IN"
	    " (SELECT value FROM json_each(?1)) ORDER BY name");
	json_t *a = json_array();

	bind_text(st, 1, depts);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o,"
		    " s:f, s:s, s:s, s:s, s:b, s:o}", "name", col_text(st, 0),
		    "event", col_text(st, 1), "script", str_or_null(st, 2),
		    "queue", str_or_null(st, 3), "agent", str_or_null(st, 4),
		    "minutes", (double)sqlite3_column_int64(st, 5) / 60000.0,
		    "channel", col_text(st, 6), "target", col_text(st, 7),
		    "department", col_text(st, 8), "enabled",
		    sqlite3_column_int(st, 9), "updated_at",
		    tfmt_col(tf, st, 10)));
	sqlite3_reset(st);
	return json_pack("{s:o}", "rules", a);
}

int
notify_rule_department(struct conn *c, const char *name, char *out,
    size_t outlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT department FROM notify_rules"
	    " WHERE name = ?");
	int rc = -1;

	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, outlen, "%s", col_text(st, 0));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* --- mail settings ------------------------------------------------------------ */

int
notify_mail_put(struct conn *c, const json_t *in, int64_t now, char *err,
    size_t errlen)
{
	static const char *const keys[] = {
		"server", "from", "user", "password_secret", "ca_file", NULL,
	};
	const char *const *k, *v;
	sqlite3_stmt *st;

	for (k = keys; *k != NULL; k++)
		if (opt_str(in, *k, &v, err, errlen) != 0)
			return -1;
	if (json_string_value(json_object_get(in, "server")) == NULL ||
	    json_string_value(json_object_get(in, "from")) == NULL) {
		snprintf(err, errlen, "server and from: required");
		return -1;
	}
	if ((v = json_string_value(json_object_get(in, "password_secret"))) !=
	    NULL && !secrets_name_ok(v)) {
		snprintf(err, errlen, "password_secret: expected a secret's "
		    "name");
		return -1;
	}
	st = conn_stmt(c, "INSERT INTO notify_settings (key, value, updated_at)"
	    " VALUES ('mail', ?1, ?2) ON CONFLICT (key) DO UPDATE SET"
	    " value = ?1, updated_at = ?2");
	sqlite3_bind_text(st, 1, json_dumps(in, JSON_COMPACT), -1, free);
	sqlite3_bind_int64(st, 2, now);
	return conn_step(c, st, err, errlen);
}

json_t *
notify_mail_get(struct conn *c)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT value FROM notify_settings"
	    " WHERE key = 'mail'");
	json_t *v = NULL;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = json_loads(col_text(st, 0), 0, NULL);
	sqlite3_reset(st);
	return v;
}

/* --- scanning and delivering ------------------------------------------------ */

/* Queue one delivery of rule r. */
static int
queue_delivery(struct conn *c, const struct rule *r, json_t *what,
    int64_t now)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO notify_deliveries (rule,"
	    " event, channel, target, department, subject, payload, state,"
	    " next_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " 'pending', ?8, ?8)");
	json_t *payload = json_deep_copy(what);

	json_object_set_new(payload, "event", json_string(r->event));
	json_object_set_new(payload, "rule", json_string(r->name));
	json_object_set_new(payload, "at_ms", json_integer(now));
	bind_text(st, 1, r->name);
	bind_text(st, 2, r->event);
	bind_text(st, 3, r->channel);
	bind_text(st, 4, r->target);
	bind_text(st, 5, r->department);
	bind_text(st, 6, json_string_value(json_object_get(what, "text")));
	sqlite3_bind_text(st, 7, json_dumps(payload, JSON_COMPACT), -1, free);
	sqlite3_bind_int64(st, 8, now);
	json_decref(payload);
	return conn_step(c, st, NULL, 0);
}

int
notify_scan(struct conn *c, int64_t now, int *made)
{
	sqlite3_stmt *st;
	struct rule *rules = NULL;
	struct found f;
	json_t *w;
	size_t n = 0, i, j;
	int k, rc = 0;

	*made = 0;
	st = conn_stmt(c, "SELECT name, event, script, queue, agent, after_ms,"
	    " channel, target, department FROM notify_rules WHERE enabled"
	    " ORDER BY name");
	while (sqlite3_step(st) == SQLITE_ROW) {
		rules = xreallocarray(rules, n + 1, sizeof *rules);
		rules[n].name = col_strdup(st, 0);
		rules[n].event = col_strdup(st, 1);
		rules[n].script = col_strdup(st, 2);
		rules[n].queue = col_strdup(st, 3);
		rules[n].agent = col_strdup(st, 4);
		rules[n].after_ms = sqlite3_column_int64(st, 5);
		rules[n].channel = col_strdup(st, 6);
		rules[n].target = col_strdup(st, 7);
		rules[n].department = col_strdup(st, 8);
		n++;
	}
	sqlite3_reset(st);
	for (i = 0; i < n && rc == 0; i++) {
		if ((k = event_index(rules[i].event)) < 0)
			continue;
		f.out = json_array();
		rc = events[k].scan(c, &rules[i], now, &f);
		json_array_foreach(f.out, j, w)
			if (rc == 0 && (rc = queue_delivery(c, &rules[i], w,
			    now)) == 0)
				(*made)++;
		json_decref(f.out);
	}
	for (i = 0; i < n; i++)
		rule_free(&rules[i]);
	free(rules);
	st = conn_stmt(c, "DELETE FROM notify_seen WHERE at < ?");
	sqlite3_bind_int64(st, 1, now - SEEN_KEEP_MS);
	if (rc == 0)
		rc = conn_step(c, st, NULL, 0);
	return rc;
}

int
notify_due(struct conn *c, int64_t now, int max, json_t *out)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, rule, channel, target,"
	    " subject, payload, attempts FROM notify_deliveries INDEXED BY"
	    " notify_deliveries_due WHERE state = 'pending' AND next_at <= ?"
	    " ORDER BY next_at, id LIMIT ?");

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, max);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_pack("{s:I, s:s, s:s, s:s,"
		    " s:s, s:s, s:i}", "id",
		    (json_int_t)sqlite3_column_int64(st, 0), "rule",
		    col_text(st, 1), "channel", col_text(st, 2), "target",
		    col_text(st, 3), "subject", col_text(st, 4), "payload",
		    col_text(st, 5), "attempts", sqlite3_column_int(st, 6)));
	sqlite3_reset(st);
	return 0;
}

int
notify_attempted(struct conn *c, int64_t id, int ok, long status,
    const char *why, int64_t now)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT attempts FROM"
	    " notify_deliveries WHERE id = ?");
	int attempts = 0;
	int64_t wait;
	int i;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		attempts = sqlite3_column_int(st, 0) + 1;
	sqlite3_reset(st);
	for (wait = NOTIFY_BACKOFF_MS, i = 1; i < attempts &&
	    wait < NOTIFY_BACKOFF_MAX_MS; i++)
		wait *= 2;
	if (wait > NOTIFY_BACKOFF_MAX_MS)
		wait = NOTIFY_BACKOFF_MAX_MS;
	st = conn_stmt(c, "UPDATE notify_deliveries SET attempts = ?2,"
	    " state = ?3, next_at = ?4, last_status = ?5, last_error = ?6,"
	    " delivered_at = CASE WHEN ?3 = 'delivered' THEN ?7 END"
	    " WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, attempts);
	sqlite3_bind_text(st, 3, ok ? "delivered" : attempts >=
	    NOTIFY_ATTEMPTS ? "failed" : "pending", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now + wait);
	if (status > 0)
		sqlite3_bind_int64(st, 5, status);
	bind_text(st, 6, ok ? NULL : why);
	sqlite3_bind_int64(st, 7, now);
	return conn_step(c, st, NULL, 0);
}

json_t *
notify_deliveries(struct conn *c, const char *depts, const struct tfmt *tf,
    int limit, int64_t before)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, rule, event, channel,"
	    " target, subject, state, attempts, last_status, last_error,"
	    " created_at, delivered_at, next_at FROM notify_deliveries"
	    " WHERE id < ?1 AND (?2 IS NULL OR department IN (SELECT value"
	    " FROM json_each(?2))) ORDER BY id DESC LIMIT ?3");
	json_t *a = json_array();
	int64_t last = 0;
	int n = 0;

	sqlite3_bind_int64(st, 1, before > 0 ? before : INT64_MAX);
	bind_text(st, 2, depts);
	sqlite3_bind_int(st, 3, limit + 1);
	while (sqlite3_step(st) == SQLITE_ROW && n++ < limit) {
		last = sqlite3_column_int64(st, 0);
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:s,"
		    " s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "id",
		    (json_int_t)last, "rule", col_text(st, 1), "event",
		    col_text(st, 2), "channel", col_text(st, 3), "target",
		    col_text(st, 4), "subject", col_text(st, 5), "state",
		    col_text(st, 6), "attempts", sqlite3_column_int(st, 7),
		    "last_status", sqlite3_column_type(st, 8) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 8)),
		    "last_error", str_or_null(st, 9), "created_at",
		    tfmt_col(tf, st, 10), "delivered_at", tfmt_col(tf, st, 11),
		    "next_at", tfmt_col(tf, st, 12)));
	}
	sqlite3_reset(st);
	return json_pack("{s:o, s:o}", "deliveries", a, "next_before",
	    n > limit ? json_integer(last) : json_null());
}
