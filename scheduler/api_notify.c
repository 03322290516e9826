/*
 * api_notify.c - notifications (see notify.h): their rules and mail
 * settings over HTTP, the deliveries for the dashboard, and the notifier
 * thread that finds events and sends them.
 *
 * The thread is the scheduler's own, apart from those that serve the API
 * and the ticker: a webhook that hangs or a mail server that is slow
 * holds up nothing but the next notification.  It looks twice a second;
 * each delivery is one HTTP POST (or one SMTP transaction) of at most 10
 * seconds, its outcome written back before the next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_notify.h"
#include "api_watch.h"
#include "http.h"
#include "mime.h"
#include "notify.h"
#include "queues.h"
#include "smtp.h"
#include "textutil.h"
#include "timeutil.h"
#include "urlmatch.h"
#include "xmalloc.h"

#define SEND_TIMEOUT_MS	10000L
#define LOOK_MS		500
#define BATCH		16	/* deliveries sent per look */

/* --- routes --------------------------------------------------------------- */

struct nq {
	struct api	*a;
	const char	*depts;
	int		 limit;
	int64_t		 before;
	json_t		*out;
	int		 deliveries;
};

static int
list_read(struct conn *c, void *p)
{
	struct nq *q = p;

	q->out = q->deliveries ? notify_deliveries(c, q->depts, q->a->tf,
	    q->limit, q->before) : notify_rules(c, q->depts, q->a->tf);
	return 0;
}

static enum hres
list(struct api *a, struct req *r, int deliveries)
{
	struct nq q = { a, NULL, 100, 0, NULL, deliveries };
	char *depts = api_perm_depts(a, r, ROLE_VIEWER);
	const char *v;

	if ((v = api_query_arg(r, "limit")) != NULL &&
	    ((q.limit = (int)text_parse_id(v)) == 0 || q.limit > 1000)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "limit: expected 1-1000");
		free(depts);
		return H_DONE;
	}
	if ((v = api_query_arg(r, "before")) != NULL)
		q.before = text_parse_id(v);
	q.depts = depts;
	store_read(a->st, list_read, &q);
	free(depts);
	api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

enum hres
api_h_notify_rules(struct api *a, struct req *r)
{
	return list(a, r, 0);
}

enum hres
api_h_notify_deliveries(struct api *a, struct req *r)
{
	return list(a, r, 1);
}

struct rulew {
	char	 dept[PERM_DEPT_MAX];
};

/*
 * The department a rule belongs to: as given, else its queue's, else its
 * script's owner's, else the whole organisation.
 */
static void
rule_department(struct conn *c, struct api *a, struct req *r, char *out,
    size_t len)
{
	const char *given = json_string_value(json_object_get(r->in,
	    "department"));
	const char *q = json_string_value(json_object_get(r->in, "queue"));
	const char *s = json_string_value(json_object_get(r->in, "script"));
	const struct script *sc;
	char digest[65], dept[256], err[128];
	int64_t id;

	dept[0] = '\0';
	if (given != NULL)
		snprintf(dept, sizeof dept, "%s", given);
	else if (q != NULL)
		queues_find(c, q, &id, dept, sizeof dept, err, sizeof err);
	else if (s != NULL && scripts_current(c, s, digest) == 0 &&
	    (sc = scripts_get(a->sc, c, digest)) != NULL && sc->owner)
		snprintf(dept, sizeof dept, "%s", sc->owner);
	perm_dept_code(a->kpi, dept, out, len);
}

static int
rule_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct rulew *w = p;
	char err[256], old[PERM_DEPT_MAX];
	int created;

	rule_department(c, a, r, w->dept, sizeof w->dept);
	if (api_perm_need(a, r, w->dept, ROLE_ENGINEER, "notification rule",
	    r->args[0]) != 0)
		return -1;
	if (notify_rule_department(c, r->args[0], old, sizeof old) == 0 &&
	    strcmp(old, w->dept) != 0 && api_perm_need(a, r, old,
	    ROLE_ENGINEER, "notification rule", r->args[0]) != 0)
		return -1;
	if (notify_rule_put(c, r->args[0], r->in, w->dept, time_wall_ms(),
	    &created, err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	api_reply_json(r, created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:s, s:s, s:b}", "name", r->args[0], "department",
	    w->dept, "created", created));
	return 0;
}

enum hres
api_h_notify_rule_put(struct api *a, struct req *r)
{
	struct rulew w;

	memset(&w, 0, sizeof w);
	r->detail = json_pack("{s:s, s:O?}", "name", r->args[0], "event",
	    json_object_get(r->in, "event"));
	api_write_audited(a, r, rule_write, &w);
	return H_DONE;
}

static int
rule_delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	(void)a;
	(void)p;
	if (notify_rule_delete(c, r->args[0]) != 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no notification rule "
		    "'%s'", r->args[0]);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "deleted",
	    r->args[0]));
	return 0;
}

enum hres
api_h_notify_rule_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	api_write_audited(a, r, rule_delete_write, NULL);
	return H_DONE;
}

static int
mail_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	char err[256];

	(void)a;
	(void)p;
	if (notify_mail_put(c, r->in, time_wall_ms(), err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_incref(r->in));
	return 0;
}

enum hres
api_h_notify_mail_put(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:O?}", "server", json_object_get(r->in,
	    "server"));
	api_write_audited(a, r, mail_write, NULL);
	return H_DONE;
}

static int
mail_read(struct conn *c, void *p)
{
	*(json_t **)p = notify_mail_get(c);
	return 0;
}

enum hres
api_h_notify_mail(struct api *a, struct req *r)
{
	json_t *m = NULL;

	store_read(a->st, mail_read, &m);
	api_reply_json(r, MHD_HTTP_OK, m ? m : json_object());
	return H_DONE;
}

/* --- the notifier thread ------------------------------------------------------ */

struct scanw {
	int64_t		 now;
	int		 made;
};

static int
scan_write(struct conn *c, void *p)
{
	struct scanw *w = p;

	return notify_scan(c, w->now, &w->made);
}

struct dueq {
	int64_t		 now;
	json_t		*out;
	json_t		*mail;
};

static int
due_read(struct conn *c, void *p)
{
	struct dueq *q = p;

	notify_due(c, q->now, BATCH, q->out);
	if (json_array_size(q->out) > 0)
		q->mail = notify_mail_get(c);
	return 0;
}

struct secq {
	struct api	*a;
	const char	*name;
	json_t		*out;
};

static int
secret_read(struct conn *c, void *p)
{
	struct secq *q = p;
	json_t *names = json_pack("[s]", q->name);

	q->out = secrets_get(c, q->a->sk, names);
	json_decref(names);
	return 0;
}

/* The value and allow list of secret name (a new object), or NULL. */
static json_t *
secret(struct api *a, const char *name)
{
	struct secq q = { a, name, NULL };
	json_t *v;

	store_read(a->st, secret_read, &q);
	v = json_incref(json_object_get(q.out, name));
	json_decref(q.out);
	return v;
}

static int
stop_asked(void *arg)
{
	struct api *a = arg;

	return atomic_load(&a->stopping);
}

/* POST the delivery's JSON to the URL its secret holds. */
static int
send_webhook(struct api *a, struct http_client *hc, json_t *d, long *status,
    char *why, size_t whylen)
{
	json_t *sec = secret(a, json_string_value(json_object_get(d,
	    "target"))), *allow, *pat;
	const char *url = json_string_value(json_object_get(sec, "value"));
	const char *payload = json_string_value(json_object_get(d, "payload"));
	const char *pats[32];
	const char *const headers[] = { "Content-Type: application/json; "
	    "charset=utf-8", NULL };
	struct http_request req;
	struct http_response resp;
	size_t i, n = 0;
	int ok = 0;

	*status = 0;
	if (url == NULL) {
		snprintf(why, whylen, "no secret '%s' holds the webhook's URL",
		    json_string_value(json_object_get(d, "target")));
		json_decref(sec);
		return 0;
	}
	/* A webhook URL goes only where its own secret may go. */
	allow = json_object_get(sec, "allow");
	json_array_foreach(allow, i, pat)
		if (n < 32 && json_is_string(pat))
			pats[n++] = json_string_value(pat);
	if (!urlmatch_any(pats, n, url)) {
		snprintf(why, whylen, "the allow list of secret '%s' does not "
		    "take its own URL", json_string_value(json_object_get(d,
		    "target")));
		json_decref(sec);
		return 0;
	}
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.body = payload;
	req.body_len = strlen(payload);
	req.timeout_ms = SEND_TIMEOUT_MS;
	req.attempts = 1;		/* the delivery is retried, not the call */
	req.max_body = 64 * 1024;
	req.cancelled = stop_asked;
	req.arg = a;
	if (http_send(hc, &req, &resp) == 0) {
		*status = resp.status;
		ok = resp.status >= 200 && resp.status < 300;
		if (!ok)
			snprintf(why, whylen, "the webhook answered %ld",
			    resp.status);
	} else
		snprintf(why, whylen, "%s", resp.err);
	http_response_free(&resp);
	json_decref(sec);
	return ok;
}

/* Mail the delivery's text to the rule's addresses. */
static int
send_mail(struct api *a, json_t *settings, json_t *d, char *why,
    size_t whylen)
{
	struct mailconn_opts o;
	struct mime_draft draft;
	struct mime_addrs to, from;
	struct buf msg;
	json_t *payload, *sec = NULL;
	const char **rcpt, **tol, *pw = NULL, *ps;
	char msgid[256], *text, *details;
	size_t i;
	int ok = 0;

	if (settings == NULL) {
		snprintf(why, whylen, "no mail settings (PUT "
		    "/api/notifications/mail)");
		return 0;
	}
	if (mime_addrs_parse(json_string_value(json_object_get(d, "target")),
	    &to, why, whylen) != 0)
		return 0;
	if (mime_addrs_parse(json_string_value(json_object_get(settings,
	    "from")), &from, why, whylen) != 0 || from.n == 0) {
		mime_addrs_free(&to);
		return 0;
	}
	if ((ps = json_string_value(json_object_get(settings,
	    "password_secret"))) != NULL) {
		sec = secret(a, ps);
		pw = json_string_value(json_object_get(sec, "value"));
	}
	payload = json_loads(json_string_value(json_object_get(d, "payload")),
	    0, NULL);
	details = json_dumps(payload, JSON_INDENT(2) | JSON_SORT_KEYS);
	text = xasprintf("%s\n\n%s\n", json_string_value(json_object_get(d,
	    "subject")), details ? details : "");
	rcpt = xcalloc(to.n + 1, sizeof *rcpt);
	tol = xcalloc(to.n + 1, sizeof *tol);
	for (i = 0; i < to.n; i++)
		rcpt[i] = tol[i] = to.v[i].addr;
	memset(&draft, 0, sizeof draft);
	draft.from = json_string_value(json_object_get(settings, "from"));
	draft.to = tol;
	draft.subject = json_string_value(json_object_get(d, "subject"));
	draft.text = text;
	buf_init(&msg, 1024 * 1024);
	memset(&o, 0, sizeof o);
	o.url = json_string_value(json_object_get(settings, "server"));
	o.user = json_string_value(json_object_get(settings, "user"));
	o.password = pw;
	o.ca_file = json_string_value(json_object_get(settings, "ca_file"));
	o.timeout_ms = SEND_TIMEOUT_MS;
	o.cancelled = stop_asked;
	o.arg = a;
	if (mime_build(&draft, &msg, msgid, sizeof msgid, why, whylen) == 0 &&
	    smtp_send(&o, from.v[0].addr, rcpt, to.n, msg.data, msg.len, why,
	    whylen) == 0)
		ok = 1;
	buf_free(&msg);
	free(rcpt);
	free(tol);
	free(text);
	free(details);
	json_decref(payload);
	json_decref(sec);
	mime_addrs_free(&to);
	mime_addrs_free(&from);
	return ok;
}

struct attw {
	int64_t		 id;
	int		 ok;
	long		 status;
	const char	*why;
};

static int
attempted_write(struct conn *c, void *p)
{
	struct attw *w = p;

	return notify_attempted(c, w->id, w->ok, w->status, w->why,
	    time_wall_ms());
}

void *
api_notifier_main(void *arg)
{
	struct api *a = arg;
	struct http_client *hc = http_client_new();
	struct scanw sw;
	struct dueq q;
	struct attw w;
	json_t *d;
	char why[512];
	size_t i;

	while (!atomic_load(&a->stopping)) {
		sw.now = time_wall_ms();
		sw.made = 0;
		if (store_write(a->st, scan_write, &sw, NULL, 0) == 0 &&
		    sw.made > 0)
			api_changed(a);	/* the deliveries page shows them */
		q.now = time_wall_ms();
		q.out = json_array();
		q.mail = NULL;
		store_read(a->st, due_read, &q);
		json_array_foreach(q.out, i, d) {
			if (atomic_load(&a->stopping))
				break;
			why[0] = '\0';
			memset(&w, 0, sizeof w);
			w.id = json_integer_value(json_object_get(d, "id"));
			if (strcmp(json_string_value(json_object_get(d,
			    "channel")), "mail") == 0)
				w.ok = send_mail(a, q.mail, d, why, sizeof why);
			else
				w.ok = send_webhook(a, hc, d, &w.status, why,
				    sizeof why);
			w.why = why;
			if (store_write(a->st, attempted_write, &w, NULL,
			    0) == 0)
				api_changed(a);
		}
		json_decref(q.out);
		json_decref(q.mail);
		time_sleep_ms(LOOK_MS, &a->stopping);
	}
	http_client_free(hc);
	return NULL;
}
