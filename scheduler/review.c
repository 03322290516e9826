/*
 * review.c - the review side of work queues (see review.h): locks, the
 * template's validation of corrected values, approval and rejection, the
 * reviewer's minutes, and the inbox.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "kpi.h"
#include "normalize.h"
#include "review.h"
#include "xmalloc.h"

/* --- validation ------------------------------------------------------------- */

/* A field's spec from its review entry; -1 with why when it is not one. */
static int
spec_of(const json_t *f, struct norm_spec *spec, char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(f, "kind"));
	const char *s;
	json_t *list, *v;
	size_t i;

	memset(spec, 0, sizeof *spec);
	spec->decimals = -1;
	if (kind == NULL)
		kind = "text";
	if (norm_kind_parse(kind, &spec->kind) != 0) {
		snprintf(err, errlen, "unknown kind '%s'", kind);
		return -1;
	}
	if ((s = json_string_value(json_object_get(f, "whitelist"))) != NULL)
		spec->whitelist = xstrdup(s);
	if ((s = json_string_value(json_object_get(f, "pattern"))) != NULL)
		spec->pattern = xstrdup(s);
	list = json_object_get(f, "list");
	if (json_is_array(list) && json_array_size(list) > 0) {
		spec->list = xcalloc(json_array_size(list), sizeof *spec->list);
		json_array_foreach(list, i, v)
			if (json_is_string(v))
				spec->list[spec->nlist++] =
				    xstrdup(json_string_value(v));
	}
	spec->dmy = json_is_true(json_object_get(f, "dmy"));
	if (json_is_integer(json_object_get(f, "decimals")))
		spec->decimals = (int)json_integer_value(json_object_get(f,
		    "decimals"));
	return norm_spec_compile(spec, err, errlen);
}

/* The text of a value as typed or read: strings as they are. */
static char *
text_of(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return xstrdup("");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return norm_value_text(v);
}

/* Normalise one field: its value into out, or its error into errors. */
static void
check_field(const char *name, const json_t *f, const json_t *given,
    json_t *out, json_t *errors)
{
	struct norm_spec spec;
	json_t *v = NULL;
	unsigned flags;
	char err[256], *text;
	int required = json_is_true(json_object_get(f, "required"));

	if (given == NULL)
		given = json_object_get(f, "value");
	if (spec_of(f, &spec, err, sizeof err) != 0) {
		json_object_set_new(errors, name, json_sprintf("the template "
		    "spec is unusable: %s", err));
		norm_spec_free(&spec);
		return;
	}
	if (spec.kind == NORM_SEAL) {
		/* A seal is seen, not typed: yes or no. */
		if (json_is_boolean(given))
			json_object_set_new(out, name,
			    json_boolean(json_is_true(given)));
		else
			json_object_set_new(errors, name,
			    json_string("expected yes or no (a seal)"));
		norm_spec_free(&spec);
		return;
	}
	text = text_of(given);
	if (norm_apply(&spec, text, &v, &flags, err, sizeof err) == 0) {
		json_object_set_new(out, name, v);
	} else if (strcmp(err, "empty") == 0 && !required) {
		json_object_set_new(out, name, json_null());
	} else {
		json_object_set_new(errors, name, json_string(
		    strcmp(err, "empty") == 0 ? "required" : err));
	}
	free(text);
	norm_spec_free(&spec);
}

static double
number(const json_t *values, const char *name)
{
	const json_t *v = json_object_get(values, name);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The step equals is written in: its decimals, else 1 or 0.01. */
static double
unit_of(const json_t *review, const char *name, double v)
{
	json_t *d = json_object_get(json_object_get(json_object_get(review,
	    "fields"), name), "decimals");

	if (json_is_integer(d) && json_integer_value(d) >= 0 &&
	    json_integer_value(d) < 10)
		return pow(10, -(double)json_integer_value(d));
	return v == floor(v) ? 1 : 0.01;
}

/* Why values v do not satisfy c, into msg. */
static void
describe(const struct form_check *c, const double *v, size_t n, char *msg,
    size_t len)
{
	double got = 0;
	size_t i;

	switch (c->kind) {
	case FORM_CHECK_SUM:
		for (i = 0; i + 1 < n; i++)
			got += v[i];
		snprintf(msg, len, "does not add up: the sum is %.2f, %s is "
		    "%.2f", got, c->equals, v[n - 1]);
		break;
	case FORM_CHECK_PRODUCT:
		for (got = 1, i = 0; i + 1 < n; i++)
			got *= v[i];
		snprintf(msg, len, "does not match the product: %.2f, %s is "
		    "%.2f", got, c->equals, v[n - 1]);
		break;
	case FORM_CHECK_TAX:
		snprintf(msg, len, "is not the tax: %g%% of %s is %.2f, %s is "
		    "%.2f", c->rate, c->terms[0], v[0] * c->rate / 100,
		    c->equals, v[n - 1]);
		break;
	}
}

/*
 * The template's checks across fields (form.h: sums, products, tax at a
 * rate) on the normalised values: each {check..., ok, message}.  A check
 * whose fields are not all known is not judged (their own errors say
 * why); an empty optional term of a sum adds nothing.
 */
static json_t *
check_all(const json_t *review, const json_t *values, json_t *errors)
{
	json_t *out = json_array(), *cj, *res;
	struct form_check c;
	double v[33];
	char msg[256];
	size_t i, j, n;
	int known, ok;

	json_array_foreach(json_object_get(review, "checks"), i, cj) {
		if (form_check_from_json(cj, &c, msg, sizeof msg) != 0) {
			form_check_clear(&c);
			continue;
		}
		known = c.nterms < 32;
		for (j = n = 0; known && j < c.nterms; j++) {
			v[n] = number(values, c.terms[j]);
			if (isnan(v[n]) && c.kind == FORM_CHECK_SUM &&
			    json_is_null(json_object_get(values, c.terms[j])))
				v[n] = 0;
			known = !isnan(v[n++]);
		}
		v[n] = number(values, c.equals);
		known = known && !isnan(v[n++]);
		ok = known && form_check_holds(&c, v, n, unit_of(review,
		    c.equals, v[n - 1]));
		res = json_deep_copy(cj);
		json_object_set_new(res, "ok", json_boolean(ok));
		if (known && !ok) {
			describe(&c, v, n, msg, sizeof msg);
			json_object_set_new(res, "message", json_string(msg));
			if (json_object_get(errors, c.equals) == NULL)
				json_object_set_new(errors, c.equals,
				    json_string(msg));
		}
		json_array_append_new(out, res);
		form_check_clear(&c);
	}
	return out;
}

json_t *
review_check(const json_t *review, const json_t *values)
{
	json_t *out = json_object(), *errors = json_object(), *f, *checks;
	const char *name;

	json_object_foreach((json_t *)json_object_get(review, "fields"), name,
	    f)
		check_field(name, f, json_object_get(values, name), out,
		    errors);
	checks = check_all(review, out, errors);
	return json_pack("{s:b, s:o, s:o, s:o}", "ok",
	    json_object_size(errors) == 0, "values", out, "errors", errors,
	    "checks", checks);
}

/* --- locks -------------------------------------------------------------------- */

/* The review state of an item. */
struct rstate {
	enum qstate	 state;
	char		 lock_user[128];
	int64_t		 lock_until;
	int64_t		 opened_at;
	int64_t		 review_ms;
	int64_t		 run_id;
	json_t		*review;
};

static int
rstate_read(struct conn *c, int64_t id, struct rstate *r, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT state, lock_user, lock_until,"
	    " lock_opened_at, review_ms, review_run_id, review FROM queue_items"
	    " WHERE id = ?");
	int rc;

	memset(r, 0, sizeof *r);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		snprintf(err, errlen, rc == SQLITE_DONE ? "no queue item %lld" :
		    "database: cannot read queue item %lld", (long long)id);
		return rc == SQLITE_DONE ? QUEUES_NOT_FOUND : QUEUES_ERROR;
	}
	if (qstate_parse(col_text(st, 0), &r->state) != 0)
		abort();
	snprintf(r->lock_user, sizeof r->lock_user, "%s", col_text(st, 1));
	r->lock_until = sqlite3_column_int64(st, 2);
	r->opened_at = sqlite3_column_int64(st, 3);
	r->review_ms = sqlite3_column_int64(st, 4);
	r->run_id = sqlite3_column_int64(st, 5);
	r->review = json_loads(col_text(st, 6), 0, NULL);
	sqlite3_reset(st);
	if (r->state != QS_NEEDS_REVIEW) {
		snprintf(err, errlen, "queue item %lld is %s, not waiting for "
		    "review", (long long)id, qstate_name(r->state));
		json_decref(r->review);
		r->review = NULL;
		return QUEUES_CONFLICT;
	}
	return QUEUES_OK;
}

/*
 * The time a lock that lapsed was really open: up to its last renewal
 * (the lock lasts lock_ms beyond it), never negative.
 */
static int64_t
lapsed_ms(const struct rstate *r, int64_t lock_ms)
{
	int64_t d = r->lock_until - lock_ms - r->opened_at;

	return d > 0 ? d : 0;
}

static int
set_lock(struct conn *c, int64_t id, const char *user, int64_t until,
    int64_t opened, int64_t review_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE queue_items SET lock_user = ?2,"
	    " lock_until = ?3, lock_opened_at = ?4, review_ms = ?5"
	    " WHERE id = ?1");

	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, user);
	if (user != NULL) {
		sqlite3_bind_int64(st, 3, until);
		sqlite3_bind_int64(st, 4, opened);
	}
	sqlite3_bind_int64(st, 5, review_ms);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

int
review_open(struct conn *c, int64_t id, const char *user, int64_t now,
    int64_t lock_ms, int *renewed, char *err, size_t errlen)
{
	struct rstate r;
	int rc, mine, live;

	*renewed = 0;
	if ((rc = rstate_read(c, id, &r, err, errlen)) != QUEUES_OK)
		return rc;
	json_decref(r.review);
	live = r.lock_user[0] != '\0' && r.lock_until > now;
	mine = strcmp(r.lock_user, user) == 0;
	if (live && !mine) {
		snprintf(err, errlen, "queue item %lld is open by %s",
		    (long long)id, r.lock_user);
		return QUEUES_LOCKED;
	}
	if (live) {	/* renewed: the same span goes on */
		*renewed = 1;
		return set_lock(c, id, user, now + lock_ms, r.opened_at,
		    r.review_ms, err, errlen);
	}
	if (r.lock_user[0] != '\0')	/* a lapsed lock: its span counts */
		r.review_ms += lapsed_ms(&r, lock_ms);
	return set_lock(c, id, user, now + lock_ms, now, r.review_ms, err,
	    errlen);
}

/* The lock must be user's and live: QUEUES_OK, else the refusal. */
static int
must_hold(const struct rstate *r, int64_t id, const char *user, int64_t now,
    char *err, size_t errlen)
{
	if (r->lock_user[0] == '\0' || r->lock_until <= now) {
		snprintf(err, errlen, "queue item %lld is not open: open it "
		    "first", (long long)id);
		return QUEUES_CONFLICT;
	}
	if (strcmp(r->lock_user, user) != 0) {
		snprintf(err, errlen, "queue item %lld is open by %s",
		    (long long)id, r->lock_user);
		return QUEUES_LOCKED;
	}
	return QUEUES_OK;
}

int
review_close(struct conn *c, int64_t id, const char *user, int64_t now,
    char *err, size_t errlen)
{
	struct rstate r;
	int rc;

	if ((rc = rstate_read(c, id, &r, err, errlen)) != QUEUES_OK)
		return rc;
	json_decref(r.review);
	if ((rc = must_hold(&r, id, user, now, err, errlen)) != QUEUES_OK)
		return rc;
	return set_lock(c, id, NULL, 0, 0, r.review_ms + (now - r.opened_at),
	    err, errlen);
}

/*
 * The reviewer's minutes go to the ledger row of the run that sent the
 * item to review, or wait for it (kpi_review_minutes).
 */
static int
charge(struct conn *c, int64_t run_id, double minutes, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (run_id <= 0 || minutes <= 0)
		return QUEUES_OK;
	rc = kpi_add_fix_minutes(c, run_id, minutes, err, errlen);
	if (rc < 0)
		return QUEUES_ERROR;
	if (rc == 0)
		return QUEUES_OK;
	st = conn_stmt(c, "INSERT INTO kpi_review_minutes (run_id, minutes)"
	    " VALUES (?1, ?2) ON CONFLICT (run_id) DO UPDATE SET"
	    " minutes = minutes + ?2");
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_double(st, 2, minutes);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

/* Store the decision's common part: who, when, how long. */
static int
decided(struct conn *c, int64_t id, const char *user, const json_t *values,
    int64_t now, int64_t ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE queue_items SET"
	    " review_values = ?2, reviewed_by = ?3, reviewed_at = ?4,"
	    " review_ms = ?5 WHERE id = ?1");

	sqlite3_bind_int64(st, 1, id);
	if (values != NULL)
		sqlite3_bind_text(st, 2, json_dumps(values, JSON_COMPACT), -1,
		    free);
	bind_text(st, 3, user);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, ms);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

int
review_approve(struct conn *c, int64_t id, const char *user, json_t *values,
    int64_t now, double *minutes, json_t **result, char *err, size_t errlen)
{
	struct rstate r;
	char *actor = NULL, *why = NULL;
	int64_t ms;
	int rc;

	*result = NULL;
	if ((rc = rstate_read(c, id, &r, err, errlen)) != QUEUES_OK)
		return rc;
	if ((rc = must_hold(&r, id, user, now, err, errlen)) != QUEUES_OK)
		goto out;
	if (values != NULL && !json_is_object(values)) {
		snprintf(err, errlen, "values: expected an object");
		rc = QUEUES_INVALID;
		goto out;
	}
	*result = review_check(r.review, values);
	if (!json_is_true(json_object_get(*result, "ok"))) {
		snprintf(err, errlen, "the values do not pass the template's "
		    "checks");
		rc = QUEUES_INVALID;
		goto out;
	}
	ms = r.review_ms + (now - r.opened_at);
	*minutes = (double)ms / 60000.0;
	actor = xasprintf("user:%s", user);
	why = xasprintf("approved after %.1f min of review", *minutes);
	if ((rc = decided(c, id, user, json_object_get(*result, "values"),
	    now, ms, err, errlen)) != QUEUES_OK ||
	    (rc = queues_move(c, id, QS_NEEDS_REVIEW, QS_REVIEWED, actor, why,
	    now, err, errlen)) != QUEUES_OK ||
	    (rc = queues_move(c, id, QS_REVIEWED, QS_NEW, "scheduler",
	    "back to the bot with the reviewed values", now, err, errlen)) !=
	    QUEUES_OK)
		goto out;
	rc = charge(c, r.run_id, *minutes, err, errlen);
out:
	free(actor);
	free(why);
	json_decref(r.review);
	return rc;
}

int
review_reject(struct conn *c, int64_t id, const char *user,
    const char *reason, int64_t now, double *minutes, char *err,
    size_t errlen)
{
	struct rstate r;
	sqlite3_stmt *st;
	char *actor = NULL, *why = NULL;
	int64_t ms;
	int rc;

	if (reason == NULL || *reason == '\0') {
		snprintf(err, errlen, "reason: required to reject");
		return QUEUES_INVALID;
	}
	if ((rc = rstate_read(c, id, &r, err, errlen)) != QUEUES_OK)
		return rc;
	json_decref(r.review);
	if ((rc = must_hold(&r, id, user, now, err, errlen)) != QUEUES_OK)
		return rc;
	ms = r.review_ms + (now - r.opened_at);
	*minutes = (double)ms / 60000.0;
	st = conn_stmt(c, "UPDATE queue_items SET error = ?2,"
	    " exception = 'business' WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, reason);
	if (conn_step(c, st, err, errlen) != 0)
		return QUEUES_ERROR;
	actor = xasprintf("user:%s", user);
	why = xasprintf("rejected after %.1f min of review: %s", *minutes,
	    reason);
	if ((rc = decided(c, id, user, NULL, now, ms, err, errlen)) ==
	    QUEUES_OK && (rc = queues_move(c, id, QS_NEEDS_REVIEW, QS_FAILED,
	    actor, why, now, err, errlen)) == QUEUES_OK)
		rc = charge(c, r.run_id, *minutes, err, errlen);
	free(actor);
	free(why);
	return rc;
}

/* --- the inbox ------------------------------------------------------------- */

static json_t *
tcol(queues_time_fn tf, void *targ, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return tf ? tf(targ, sqlite3_column_int64(st, col)) :
	    json_integer(sqlite3_column_int64(st, col));
}

static json_t *
inbox_items(struct conn *c, const char *review, int limit, int64_t now,
    queues_time_fn tf, void *targ)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT i.id, q.name, q.department,"
	    " i.reference, json_extract(i.review, '$.reason'), i.entered_at,"
	    " i.lock_user, CASE WHEN i.lock_until > ?1 THEN i.lock_until END,"
	    " i.deadline, q.title FROM queue_items i INDEXED BY"
	    " queue_items_review JOIN queues q ON q.id = i.queue_id"
	    " WHERE i.state = 'needs_review' AND (?2 IS NULL OR q.department"
	    " IN (SELECT value FROM json_each(?2))) ORDER BY i.entered_at, i.id"
	    " LIMIT ?3");
	json_t *a = json_array();
	int n = 0;

	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, review);
	sqlite3_bind_int(st, 3, limit);
	while (n < limit && sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(a, json_pack("{s:I, s:s, s:s?, s:s, s:s?,"
		    " s:s?, s:o, s:I, s:s?, s:o, s:o}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "queue", col_text(st, 1),
		    "title", sqlite3_column_type(st, 9) == SQLITE_NULL ? NULL :
		    col_text(st, 9),
		    "department", col_text(st, 2),
		    "reference", sqlite3_column_type(st, 3) == SQLITE_NULL ?
		    NULL : col_text(st, 3),
		    "reason", sqlite3_column_type(st, 4) == SQLITE_NULL ?
		    NULL : col_text(st, 4),
		    "entered_at", tcol(tf, targ, st, 5),
		    "waiting_ms", (json_int_t)(now -
		    sqlite3_column_int64(st, 5)),
		    "locked_by", sqlite3_column_type(st, 7) == SQLITE_NULL ?
		    NULL : col_text(st, 6),
		    "locked_until", tcol(tf, targ, st, 7),
		    "deadline", sqlite3_column_int64(st, 8) ==
		    QUEUES_NO_DEADLINE ? json_null() : tcol(tf, targ, st, 8)));
		n++;
	}
	sqlite3_reset(st);
	return a;
}

static json_t *
inbox_departments(struct conn *c, const char *see, int64_t now)
{
	/* Each figure from its index: a full queue costs no table scan. */
	sqlite3_stmt *st = conn_stmt(c, "SELECT q.department, q.name,"
	    " (SELECT count(*) FROM queue_items WHERE queue_id = q.id"
	    "  AND state = 'needs_review'),"
	    " (SELECT min(entered_at) FROM queue_items WHERE queue_id = q.id"
	    "  AND state = 'needs_review'),"
	    " (SELECT count(*) FROM queue_items WHERE queue_id = q.id"
	    "  AND state = 'new'),"
	    " (SELECT count(*) FROM queue_items WHERE queue_id = q.id"
	    "  AND state = 'in_progress'),"
	    " (SELECT count(*) FROM queue_items INDEXED BY queue_items_sla"
	    "  WHERE deadline < ?1 AND state IN ('new', 'in_progress',"
	    "  'needs_review', 'reviewed') AND queue_id = q.id),"
	    " (SELECT created_at FROM queue_items WHERE queue_id = q.id"
	    "  AND state = 'new' ORDER BY id LIMIT 1)"
	    " FROM queues q WHERE ?2 IS NULL OR q.department IN (SELECT value"
	    " FROM json_each(?2)) ORDER BY q.department, q.name");
	json_t *a = json_array();

	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, see);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:o, s:I,"
		    " s:I, s:I, s:o}", "department", col_text(st, 0), "queue",
		    col_text(st, 1), "waiting",
		    (json_int_t)sqlite3_column_int64(st, 2), "oldest_ms",
		    sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null() :
		    json_integer(now - sqlite3_column_int64(st, 3)),
		    "new", (json_int_t)sqlite3_column_int64(st, 4),
		    "in_progress", (json_int_t)sqlite3_column_int64(st, 5),
		    "sla_breached", (json_int_t)sqlite3_column_int64(st, 6),
		    "oldest_new_ms", sqlite3_column_type(st, 7) ==
		    SQLITE_NULL ? json_null() :
		    json_integer(now - sqlite3_column_int64(st, 7))));
	}
	sqlite3_reset(st);
	return a;
}

json_t *
review_inbox(struct conn *c, const char *review, const char *see, int limit,
    int64_t now, queues_time_fn tf, void *targ)
{
	if (limit < 1 || limit > 1000)
		limit = 100;
	return json_pack("{s:o, s:o}", "items", inbox_items(c, review, limit,
	    now, tf, targ), "departments", inbox_departments(c, see, now));
}
