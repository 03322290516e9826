/*
 * act_mail.c - mail: mail.fetch takes messages out of an IMAP folder,
 * mail.move and mail.flag file them afterwards; mail.send (in
 * act_mail_send.c) sends one.  Reference: docs/actions-mail.md.
 *
 * The protocol is libcurl's (common/imap.c), the messages are taken
 * apart by GMime (common/mime_parse.c).  What this file adds is the
 * script's side: the account comes from the arguments, the password only
 * from secrets (and masked); one IMAP connection per account serves the
 * whole run (a per-run slot), so that fetching and then moving each
 * message after its item is done costs no new logins; a search is built
 * from a mapping; messages are read without taking them (\Seen is given
 * back unless asked for); each message becomes one mapping of the
 * output, its attachments saved as files; a message too large or that
 * does not parse is reported, never dropped.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "act_mail.h"
#include "fsutil.h"
#include "imap.h"
#include "mime.h"
#include "timeutil.h"
#include "xmalloc.h"

#define DEFAULT_LIMIT		200
#define DEFAULT_MAX_MB		25
#define MAX_FILENAME		180	/* bytes of a saved attachment's name */

/* --- the account ---------------------------------------------------------- */

int
mail_account(struct act *a, const char *what, struct mailconn_opts *o)
{
	const char *pw = act_str(a, "password", NULL);

	memset(o, 0, sizeof *o);
	o->url = act_str(a, "server", "");
	o->user = act_str(a, "user", NULL);
	o->password = pw;
	o->ca_file = act_str(a, "ca_file", NULL);
	/* An empty param means "not given", as scripts pass them on. */
	if (o->user != NULL && *o->user == '\0')
		o->user = NULL;
	if (o->ca_file != NULL && *o->ca_file == '\0')
		o->ca_file = NULL;
	if (pw != NULL && *pw == '\0')
		o->password = pw = NULL;
	if (pw != NULL) {
		act_secret(a, pw);
		if (!act_arg_secret(a, "password"))
			return act_fail(a, "password: give it from secrets "
			    "(${secrets.NAME}), never in the script or a "
			    "param");
		if (o->user == NULL)
			return act_fail(a, "%s: a password needs a user", what);
	}
	/* The login goes only where its secret may go (its allow list). */
	{
		const char *parts[] = { o->user, o->password };

		if (act_send_ok(a, o->url, parts, 2) != 0)
			return -1;
	}
	o->timeout_ms = (long)(act_num(a, "timeout", 60) * 1000);
	if (o->timeout_ms <= 0)
		return act_fail(a, "timeout: must be more than 0 seconds");
	return 0;
}

/* Deadline and cancellation of this step, for a connection that outlives
 * the steps (the slot below). */
void
mail_bind(struct act *a, struct mailconn_opts *o)
{
	int64_t left = act_remaining_ms(a);

	o->deadline_ms = left == INT64_MAX ? 0 : time_mono_ms() + left;
	o->cancelled = mail_cancelled;
	o->arg = a;
}

int
mail_cancelled(void *arg)
{
	return act_cancelled(arg);
}

struct account {
	struct imap	*imap;
};

static void *
account_open(struct act *a)
{
	struct mailconn_opts o;
	struct account *acc;
	char err[512];

	if (mail_account(a, "server", &o) != 0)
		return NULL;
	mail_bind(a, &o);
	acc = xcalloc(1, sizeof *acc);
	if ((acc->imap = imap_open(&o, err, sizeof err)) == NULL) {
		free(acc);
		act_fail(a, "%s", err);
		return NULL;
	}
	return acc;
}

static void
account_close(void *p)
{
	struct account *acc = p;

	imap_close(acc->imap);
	free(acc);
}

/* The run's connection to the account the step names. */
static struct imap *
account(struct act *a)
{
	struct mailconn_opts o;
	struct account *acc;
	char *key;

	if (mail_account(a, "server", &o) != 0)
		return NULL;
	key = xasprintf("mail.imap %s %s", o.url, o.user ? o.user : "");
	acc = act_slot(a, key, account_open, account_close);
	free(key);
	if (acc == NULL)
		return NULL;
	mail_bind(a, &o);
	imap_bind(acc->imap, &o);
	return acc->imap;
}

/* --- searches --------------------------------------------------------------- */

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* "2024-04-01" as IMAP's "1-Apr-2024"; -1 when it is no date. */
static int
imap_date(const char *iso, char *out, size_t outlen)
{
	int y, m, d, n = 0;

	if (sscanf(iso, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    iso[n] != '\0' || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	snprintf(out, outlen, "%d-%s-%04d", d, months[m - 1], y);
	return 0;
}

static const struct {
	const char	*key;
	const char	*imap;		/* the search key, or NULL for flags */
	const char	*yes, *no;	/* for flags: true and false */
} search_keys[] = {
	{ "unseen", NULL, "UNSEEN", "SEEN" },
	{ "seen", NULL, "SEEN", "UNSEEN" },
	{ "flagged", NULL, "FLAGGED", "UNFLAGGED" },
	{ "answered", NULL, "ANSWERED", "UNANSWERED" },
	{ "from", "FROM", NULL, NULL },
	{ "to", "TO", NULL, NULL },
	{ "cc", "CC", NULL, NULL },
	{ "subject", "SUBJECT", NULL, NULL },
	{ "body", "BODY", NULL, NULL },
	{ "text", "TEXT", NULL, NULL },
	{ "since", "SINCE", NULL, NULL },
	{ "before", "BEFORE", NULL, NULL },
	{ "on", "ON", NULL, NULL },
};

/* The IMAP search key for the search mapping; NULL after act_fail. */
static char *
search_criteria(struct act *a)
{
	json_t *s = act_arg(a, "search"), *v;
	const char *k;
	struct buf b;

	buf_init(&b, 0);
	json_object_foreach(s, k, v) {
		size_t i, n = sizeof search_keys / sizeof search_keys[0];
		char date[32], *q;

		for (i = 0; i < n && strcmp(search_keys[i].key, k) != 0; i++)
			;
		if (json_is_null(v))
			continue;
		if (i == n) {
			act_fail(a, "search: unknown key '%s' (known: unseen, "
			    "seen, flagged, answered, from, to, cc, subject, "
			    "body, text, since, before, on)", k);
			goto fail;
		}
		if (b.len > 0)
			buf_putc(&b, ' ');
		if (search_keys[i].imap == NULL) {
			if (!json_is_boolean(v)) {
				act_fail(a, "search.%s: must be true or false",
				    k);
				goto fail;
			}
			buf_puts(&b, json_is_true(v) ? search_keys[i].yes :
			    search_keys[i].no);
			continue;
		}
		if (!json_is_string(v) || json_string_length(v) == 0) {
			act_fail(a, "search.%s: must be a non-empty string", k);
			goto fail;
		}
		if (strcmp(k, "since") == 0 || strcmp(k, "before") == 0 ||
		    strcmp(k, "on") == 0) {
			if (imap_date(json_string_value(v), date,
			    sizeof date) != 0) {
				act_fail(a, "search.%s: '%s' is not a date "
				    "(YYYY-MM-DD)", k, json_string_value(v));
				goto fail;
			}
			buf_printf(&b, "%s %s", search_keys[i].imap, date);
			continue;
		}
		q = imap_quote(json_string_value(v));
		buf_printf(&b, "%s %s", search_keys[i].imap, q);
		free(q);
	}
	buf_puts(&b, "");
	return buf_detach(&b, NULL);
fail:
	buf_free(&b);
	return NULL;
}

/* --- one message as the step's output ----------------------------------------- */

static json_t *
addr_json(const struct mime_addr *ad)
{
	return json_pack("{s:s, s:s}", "name", ad->name, "address", ad->addr);
}

static json_t *
addrs_json(const struct mime_addrs *l)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(arr, addr_json(&l->v[i]));
	return arr;
}

/*
 * A file name that is safe in a folder: no directories, no control
 * characters, no leading dot, not too long (cut at a character boundary,
 * the extension kept).
 */
static char *
safe_name(const char *fn)
{
	const char *slash = strrchr(fn, '/'), *bs = strrchr(fn, '\\');
	const char *dot;
	char *s, *p;
	size_t len, ext;

	if (bs != NULL && (slash == NULL || bs > slash))
		slash = bs;
	s = xstrdup(slash ? slash + 1 : fn);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F || *p == ':' ||
		    *p == '*' || *p == '?' || *p == '"' || *p == '<' ||
		    *p == '>' || *p == '|')
			*p = '_';
	for (p = s; *p == '.' || *p == ' '; p++)
		;
	memmove(s, p, strlen(p) + 1);
	if (*s == '\0') {
		free(s);
		return xstrdup("attachment");
	}
	len = strlen(s);
	if (len <= MAX_FILENAME)
		return s;
	dot = strrchr(s, '.');
	ext = dot && strlen(dot) <= 10 ? strlen(dot) : 0;
	len = MAX_FILENAME - ext;
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	memmove(s + len, s + strlen(s) - ext, ext + 1);
	return s;
}

/* dir/name, or dir/name (2).ext when a file of that name was saved. */
static char *
unique_path(const char *dir, const char *name, json_t *taken)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);
	char *path = xasprintf("%s/%s", dir, name);

	for (int k = 2; json_object_get(taken, path) != NULL; k++) {
		free(path);
		path = xasprintf("%s/%.*s (%d)%s", dir, (int)stem, name, k,
		    name + stem);
	}
	json_object_set_new(taken, path, json_true());
	return path;
}

static int
save_attachments(struct act *a, const struct mime_message *m, uint32_t uid,
    const char *dir, const char *pattern, json_t *list)
{
	json_t *taken = json_object();
	char *sub = xasprintf("%s/%u", dir, uid), err[512], *eml;
	int rc = 0;

	/* The name save_eml keeps the message under is never an attachment's. */
	eml = xasprintf("%s/message.eml", sub);
	json_object_set_new(taken, eml, json_true());
	free(eml);

	for (size_t i = 0; i < m->natt && rc == 0; i++) {
		const struct mime_attachment *at = &m->att[i];
		char *name = safe_name(at->filename), *path = NULL;
		int save = pattern == NULL ||
		    fnmatch(pattern, at->filename, FNM_CASEFOLD) == 0;

		if (save) {
			path = unique_path(sub, name, taken);
			if (fsutil_mkdir_p(sub, err, sizeof err) != 0 ||
			    fsutil_write_atomic(path, at->data, at->len, -1,
			    err, sizeof err) != 0)
				rc = act_fail(a, "message %u: cannot save the "
				    "attachment '%s': %s", uid, at->filename,
				    err);
		}
		json_array_append_new(list, json_pack("{s:s, s:s?, s:s, s:I, "
		    "s:b, s:s?}", "filename", at->filename, "path", path,
		    "content_type", at->content_type, "size",
		    (json_int_t)at->len, "inline", at->is_inline,
		    "content_id", at->content_id));
		free(name);
		free(path);
	}
	free(sub);
	json_decref(taken);
	return rc;
}

static json_t *
flags_json(const char *flags)
{
	json_t *arr = json_array();
	char *copy = xstrdup(flags), *tok, *save = NULL;

	/* \Recent belongs to the session, not the message. */
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		if (strcasecmp(tok, "\\Recent") != 0)
			json_array_append_new(arr, json_string(tok));
	free(copy);
	return arr;
}

static json_t *
message_json(const struct mime_message *m, const struct imap_info *in,
    const char *folder)
{
	json_t *warn = json_array();
	json_t *from = m->from.n > 0 ? addr_json(&m->from.v[0]) : json_null();

	for (size_t i = 0; m->warnings != NULL && m->warnings[i] != NULL; i++)
		json_array_append_new(warn, json_string(m->warnings[i]));
	return json_pack("{s:I, s:s, s:s?, s:s, s:o, s:o, s:o, s:o, s:s?, "
	    "s:s, s:s?, s:s?, s:s?, s:s?, s:I, s:o, s:o}",
	    "uid", (json_int_t)in->uid, "folder", folder,
	    "message_id", m->message_id, "subject", m->subject,
	    "from", from, "to", addrs_json(&m->to), "cc", addrs_json(&m->cc),
	    "reply_to", m->reply_to.n > 0 ? addr_json(&m->reply_to.v[0]) :
	    json_null(), "date", m->date, "text", m->text, "html", m->html,
	    "charset", m->charset, "in_reply_to", m->in_reply_to,
	    "references", m->references, "size", (json_int_t)in->size,
	    "flags", flags_json(in->flags), "warnings", warn);
}

/* The message as received, DIR/UID/message.eml; its path, or NULL after
 * act_fail. */
static char *
save_raw(struct act *a, const struct buf *raw, uint32_t uid, const char *dir)
{
	char *sub = xasprintf("%s/%u", dir, uid), *path, err[512];

	path = xasprintf("%s/message.eml", sub);
	if (fsutil_mkdir_p(sub, err, sizeof err) != 0 ||
	    fsutil_write_atomic(path, raw->data, raw->len, -1, err,
	    sizeof err) != 0) {
		act_fail(a, "message %u: cannot save it: %s", uid, err);
		free(path);
		path = NULL;
	}
	free(sub);
	return path;
}

/* --- mail.fetch ----------------------------------------------------------- */

struct fetch {
	const char		*folder;
	const char		*dir;		/* where attachments go */
	const char		*pattern;
	int			 save_eml;	/* keep the message as received */
	uint64_t		 max_bytes;
	uint32_t		*uids;
	size_t			 n;
	struct imap_info	*info;
	uint32_t		*taken;		/* fetched, for move and flags */
	size_t			 ntaken;
	uint32_t		*unseen;	/* fetched that were not \Seen */
	size_t			 nunseen;
};

static void
fetch_free(struct fetch *f)
{
	free(f->uids);
	free(f->info);
	free(f->taken);
	free(f->unseen);
}

/* Fetch, parse and save one message; its mapping to messages. */
static int
fetch_one(struct act *a, struct imap *im, struct fetch *f,
    const struct imap_info *in, json_t *messages, json_t *skipped)
{
	struct mime_message m;
	struct buf raw;
	json_t *mj, *atts;
	char err[1024], *eml = NULL;

	if (in->uid == 0)
		return 0;	/* gone since the search */
	if (in->size > f->max_bytes) {
		json_array_append_new(skipped, json_pack("{s:I, s:I, s:s}",
		    "uid", (json_int_t)in->uid, "size", (json_int_t)in->size,
		    "reason", "larger than max_size_mb"));
		act_log(a, "message %u skipped: %llu bytes, larger than "
		    "max_size_mb", in->uid, (unsigned long long)in->size);
		return 0;
	}
	buf_init(&raw, (size_t)f->max_bytes + 65536);
	if (imap_fetch(im, f->folder, in->uid, &raw, err, sizeof err) != 0) {
		buf_free(&raw);
		return act_fail(a, "%s", err);
	}
	f->taken[f->ntaken++] = in->uid;
	if (!in->seen)
		f->unseen[f->nunseen++] = in->uid;
	if (mime_parse(raw.data, raw.len, NULL, &m, err, sizeof err) != 0) {
		json_array_append_new(skipped, json_pack("{s:I, s:I, s:s}",
		    "uid", (json_int_t)in->uid, "size", (json_int_t)raw.len,
		    "reason", err));
		act_log(a, "message %u skipped: %s", in->uid, err);
		mime_message_free(&m);
		buf_free(&raw);
		return 0;
	}
	if (f->save_eml && (eml = save_raw(a, &raw, in->uid, f->dir)) == NULL) {
		buf_free(&raw);
		mime_message_free(&m);
		return -1;
	}
	buf_free(&raw);
	atts = json_array();
	if (save_attachments(a, &m, in->uid, f->dir, f->pattern, atts) != 0) {
		json_decref(atts);
		mime_message_free(&m);
		free(eml);
		return -1;
	}
	mj = message_json(&m, in, f->folder);
	json_object_set_new(mj, "attachments", atts);
	json_object_set_new(mj, "eml", eml ? json_string(eml) : json_null());
	free(eml);
	json_array_append_new(messages, mj);
	mime_message_free(&m);
	return 0;
}

/* After the fetch: \Seen back where it was, then flags and the move. */
static int
fetch_after(struct act *a, struct imap *im, struct fetch *f)
{
	const char *move = act_str(a, "move_to", NULL);
	json_t *add = act_arg(a, "add_flags");
	char err[1024], *flags = NULL;
	int mark = act_bool(a, "mark_seen", 0);

	if (add != NULL && (flags = mail_flags(a, add, "add_flags")) == NULL)
		return -1;
	if (!mark && imap_store(im, f->folder, f->unseen, f->nunseen, 0,
	    "\\Seen", err, sizeof err) != 0)
		goto fail;
	if (act_dry_run(a)) {
		if (flags != NULL || move != NULL)
			act_log(a, "dry run: %zu messages would be %s%s%s",
			    f->ntaken, flags ? "flagged " : "", flags ? flags :
			    "", move ? " and moved" : "");
		free(flags);
		return 0;
	}
	if (flags != NULL && imap_store(im, f->folder, f->taken, f->ntaken, 1,
	    flags, err, sizeof err) != 0)
		goto fail;
	if (move != NULL && imap_move(im, f->folder, f->taken, f->ntaken, move,
	    err, sizeof err) != 0)
		goto fail;
	free(flags);
	return 0;
fail:
	free(flags);
	return act_fail(a, "%s", err);
}

static int
mail_fetch(struct act *a)
{
	struct fetch f;
	struct imap *im;
	json_t *messages, *skipped;
	char err[1024], *criteria, *dir = NULL;
	long long limit = act_int(a, "limit", DEFAULT_LIMIT);
	double mb = act_num(a, "max_size_mb", DEFAULT_MAX_MB);
	size_t total;
	int rc = -1;

	memset(&f, 0, sizeof f);
	f.folder = act_str(a, "folder", "INBOX");
	f.pattern = act_str(a, "attachments", NULL);
	f.save_eml = act_bool(a, "save_eml", 0);
	if (limit < 1 || mb <= 0)
		return act_fail(a, "%s must be more than 0", limit < 1 ?
		    "limit" : "max_size_mb");
	f.max_bytes = (uint64_t)(mb * 1024 * 1024);
	if ((criteria = search_criteria(a)) == NULL)
		return -1;
	if ((im = account(a)) == NULL) {
		free(criteria);
		return -1;
	}
	if (imap_search(im, f.folder, criteria, &f.uids, &f.n, err,
	    sizeof err) != 0) {
		free(criteria);
		return act_fail(a, "%s", err);
	}
	free(criteria);
	total = f.n;
	if (f.n > (size_t)limit)
		f.n = (size_t)limit;	/* the oldest first */
	f.info = xcalloc(f.n + 1, sizeof *f.info);
	f.taken = xcalloc(f.n + 1, sizeof *f.taken);
	f.unseen = xcalloc(f.n + 1, sizeof *f.unseen);
	if (f.n > 0 && imap_info(im, f.folder, f.uids, f.n, f.info, err,
	    sizeof err) != 0) {
		fetch_free(&f);
		return act_fail(a, "%s", err);
	}
	if (act_str(a, "save_to", NULL) != NULL)
		f.dir = act_str(a, "save_to", NULL);
	else
		f.dir = dir = act_artifact_path(a, "mail");
	messages = json_array();
	skipped = json_array();
	for (size_t i = 0; i < f.n; i++) {
		if (act_cancelled(a)) {
			act_fail(a, "cancelled");
			goto out;
		}
		if (fetch_one(a, im, &f, &f.info[i], messages, skipped) != 0)
			goto out;
	}
	if (fetch_after(a, im, &f) != 0)
		goto out;
	a->out = json_pack("{s:s, s:I, s:I, s:O, s:O, s:s}", "folder",
	    f.folder, "count", (json_int_t)json_array_size(messages),
	    "remaining", (json_int_t)(total - f.n), "messages", messages,
	    "skipped", skipped, "attachments_dir", f.dir);
	act_log(a, "%zu messages from '%s'%s", json_array_size(messages),
	    f.folder, total > f.n ? " (more remain: limit)" : "");
	rc = 0;
out:
	if (rc != 0 && f.nunseen > 0)	/* leave unread what was unread */
		imap_store(im, f.folder, f.unseen, f.nunseen, 0, "\\Seen", err,
		    sizeof err);
	json_decref(messages);
	json_decref(skipped);
	free(dir);
	fetch_free(&f);
	return rc;
}

/* --- mail.move and mail.flag ---------------------------------------------- */

static const struct {
	const char	*name;
	const char	*imap;
} flag_names[] = {
	{ "seen", "\\Seen" }, { "flagged", "\\Flagged" },
	{ "answered", "\\Answered" }, { "draft", "\\Draft" },
};

char *
mail_flags(struct act *a, json_t *list, const char *what)
{
	struct buf b;
	json_t *v;
	size_t i;

	if (json_is_string(list)) {
		json_t *one = json_pack("[O]", list);
		char *s = mail_flags(a, one, what);

		json_decref(one);
		return s;
	}
	buf_init(&b, 0);
	json_array_foreach(list, i, v) {
		const char *f = json_string_value(v), *p;
		size_t k, n = sizeof flag_names / sizeof flag_names[0];

		if (f == NULL || *f == '\0')
			goto bad;
		for (k = 0; k < n && strcasecmp(flag_names[k].name, f) != 0; k++)
			;
		if (k < n) {
			buf_printf(&b, "%s%s", b.len ? " " : "",
			    flag_names[k].imap);
			continue;
		}
		/* A keyword of the user's: an IMAP atom. */
		for (p = f; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) && strchr("$_-.", *p) ==
			    NULL)
				goto bad;
		buf_printf(&b, "%s%s", b.len ? " " : "", f);
	}
	if (b.len == 0)
		goto bad;
	return buf_detach(&b, NULL);
bad:
	buf_free(&b);
	act_fail(a, "%s: give flags as seen, flagged, answered, draft or "
	    "keywords of letters, digits and $_-.", what);
	return NULL;
}

/* The uid argument: one number or a list; *n set.  NULL after act_fail. */
static uint32_t *
uid_arg(struct act *a, size_t *n)
{
	json_t *v = act_arg(a, "uid"), *e;
	uint32_t *out;
	size_t i;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 1 || json_integer_value(v) >
		    UINT32_MAX) {
			act_fail(a, "uid: must be a message's uid (a number "
			    "from 1)");
			return NULL;
		}
		out = xcalloc(2, sizeof *out);
		out[0] = (uint32_t)json_integer_value(v);
		*n = 1;
		return out;
	}
	if (!json_is_array(v)) {
		act_fail(a, "uid: give a message's uid or a list of them");
		return NULL;
	}
	out = xcalloc(json_array_size(v) + 1, sizeof *out);
	json_array_foreach(v, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 1 ||
		    json_integer_value(e) > UINT32_MAX) {
			free(out);
			act_fail(a, "uid: item %zu is not a uid", i + 1);
			return NULL;
		}
		out[i] = (uint32_t)json_integer_value(e);
	}
	*n = json_array_size(v);
	return out;
}

static int
mail_move(struct act *a)
{
	const char *folder = act_str(a, "folder", "INBOX"),
	    *to = act_str(a, "to", "");
	struct imap *im;
	uint32_t *uids;
	size_t n = 0;
	char err[1024];
	int rc = 0;

	if (*to == '\0')
		return act_fail(a, "to: give the folder to move to");
	if ((uids = uid_arg(a, &n)) == NULL)
		return -1;
	if (act_dry_run(a)) {
		act_log(a, "dry run: %zu messages would move from '%s' to '%s'",
		    n, folder, to);
	} else if ((im = account(a)) == NULL)
		rc = -1;
	else if (imap_move(im, folder, uids, n, to, err, sizeof err) != 0)
		rc = act_fail(a, "%s", err);
	if (rc == 0)
		a->out = json_pack("{s:s, s:s, s:I}", "folder", folder, "to",
		    to, "count", (json_int_t)n);
	free(uids);
	return rc;
}

static int
mail_flag(struct act *a)
{
	const char *folder = act_str(a, "folder", "INBOX");
	json_t *add = act_arg(a, "add"), *del = act_arg(a, "remove");
	char *fa = NULL, *fd = NULL, err[1024];
	struct imap *im = NULL;
	uint32_t *uids;
	size_t n = 0;
	int rc = -1;

	if (add == NULL && del == NULL)
		return act_fail(a, "give add, remove or both");
	if ((uids = uid_arg(a, &n)) == NULL)
		return -1;
	if ((add != NULL && (fa = mail_flags(a, add, "add")) == NULL) ||
	    (del != NULL && (fd = mail_flags(a, del, "remove")) == NULL))
		goto out;
	if (act_dry_run(a)) {
		act_log(a, "dry run: %zu messages would get +(%s) -(%s)", n,
		    fa ? fa : "", fd ? fd : "");
	} else if ((im = account(a)) == NULL ||
	    (fa != NULL && imap_store(im, folder, uids, n, 1, fa, err,
	    sizeof err) != 0) || (fd != NULL && imap_store(im, folder, uids,
	    n, 0, fd, err, sizeof err) != 0)) {
		if (im != NULL)
			act_fail(a, "%s", err);
		goto out;
	}
	a->out = json_pack("{s:s, s:I}", "folder", folder, "count",
	    (json_int_t)n);
	rc = 0;
out:
	free(fa);
	free(fd);
	free(uids);
	return rc;
}

/* --- the table -------------------------------------------------------------- */

#define ACCOUNT_ARGS \
	{ "server", ARG_STRING, 1, "imaps://host[:port] (TLS) or imap://host[:port] (STARTTLS)" }, \
	{ "user", ARG_STRING, 1, "the login name" }, \
	{ "password", ARG_STRING, 1, "the password, from secrets (masked)" }, \
	{ "ca_file", ARG_STRING, 0, "extra trusted CA certificates, PEM (a private CA)" }, \
	{ "timeout", ARG_NUMBER, 0, "seconds for one exchange with the server (default 60)" }, \
	{ "folder", ARG_STRING, 0, "the folder (default INBOX); Japanese names welcome" }

static const struct action_arg fetch_args[] = {
	ACCOUNT_ARGS,
	{ "search", ARG_MAP, 0, "unseen, from, to, cc, subject, body, text, since, before, on, flagged, answered (all must hold)" },
	{ "limit", ARG_INT, 0, "at most this many messages, the oldest first (default 200)" },
	{ "attachments", ARG_STRING, 0, "save only attachments whose name matches this pattern, e.g. *.pdf" },
	{ "save_to", ARG_STRING, 0, "folder for the attachments (default: the run's folder)" },
	{ "max_size_mb", ARG_NUMBER, 0, "skip (and report) larger messages (default 25)" },
	{ "save_eml", ARG_BOOL, 0, "also keep each message as received, as message.eml beside its attachments" },
	{ "mark_seen", ARG_BOOL, 0, "leave the messages read (default false: as they were)" },
	{ "add_flags", ARG_ANY, 0, "flags to set on the fetched messages: seen, flagged, answered or keywords" },
	{ "move_to", ARG_STRING, 0, "move the fetched messages to this folder (created when missing)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg move_args[] = {
	ACCOUNT_ARGS,
	{ "uid", ARG_ANY, 1, "the message's uid (from mail.fetch), or a list" },
	{ "to", ARG_STRING, 1, "the folder to move to (created when missing)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg flag_args[] = {
	ACCOUNT_ARGS,
	{ "uid", ARG_ANY, 1, "the message's uid (from mail.fetch), or a list" },
	{ "add", ARG_ANY, 0, "flags to set: seen, flagged, answered, draft or keywords" },
	{ "remove", ARG_ANY, 0, "flags to clear" },
	{ NULL, 0, 0, NULL },
};

/* What the actions give (docs/actions-mail.md). */
static const struct action_out fetch_out[] = {
	{ "folder", ARG_STRING, "the folder read" },
	{ "count", ARG_INT, "the messages fetched" },
	{ "remaining", ARG_INT, "those left for a later run (limit)" },
	{ "messages", ARG_LIST, "each message, decoded, with its attachments" },
	{ "skipped", ARG_LIST, "messages not downloaded (too large), and why" },
	{ "attachments_dir", ARG_STRING, "where the attachments were saved" },
	{ NULL, 0, NULL },
};

static const struct action_out send_out[] = {
	{ "message_id", ARG_STRING, "the Message-ID it was given" },
	{ "from", ARG_STRING, "the sender's address" },
	{ "recipients", ARG_LIST, "every address it went to" },
	{ "size", ARG_INT, "the message's size in bytes" },
	{ "sent", ARG_BOOL, "false in a dry run" },
	{ "eml", ARG_STRING, "where the message was written, if it was" },
	{ NULL, 0, NULL },
};

static const struct action_out move_out[] = {
	{ "folder", ARG_STRING, "the folder they were in" },
	{ "to", ARG_STRING, "the folder they went to" },
	{ "count", ARG_INT, "how many" },
	{ NULL, 0, NULL },
};

static const struct action_out flag_out[] = {
	{ "folder", ARG_STRING, "the folder" },
	{ "count", ARG_INT, "how many messages" },
	{ NULL, 0, NULL },
};

/*
 * Each says itself what it does in a dry run: fetch reads as usual but
 * neither flags nor moves, send writes the .eml only, move and flag log
 * what they would do.
 */
const struct action mail_actions[] = {
	{ "mail.fetch", "messages from an IMAP folder, decoded, attachments saved",
	    fetch_args, mail_fetch, 0, NULL, ARG_MAP, fetch_out,
	    ACTION_DRY_SELF },
	{ "mail.send", "send a message over SMTP (dry run: write the .eml)",
	    mail_send_args, mail_send, 0, NULL, ARG_MAP, send_out,
	    ACTION_DRY_SELF },
	{ "mail.move", "move messages to another IMAP folder", move_args,
	    mail_move, 0, NULL, ARG_MAP, move_out, ACTION_DRY_SELF },
	{ "mail.flag", "set or clear flags of messages", flag_args,
	    mail_flag, 0, NULL, ARG_MAP, flag_out, ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
