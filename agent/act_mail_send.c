/*
 * act_mail_send.c - mail.send: one message built (common/mime_build.c)
 * and sent over SMTP (common/smtp.c).  Reference: docs/actions-mail.md.
 *
 * The message is built the same way whether it is sent or not, so a dry
 * run writes exactly the .eml that would have gone (into eml:, or the
 * run's folder as an artifact) and sends nothing.  Recipients are the
 * union of to, cc and bcc; bcc never appears in the headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "act_mail.h"
#include "buf.h"
#include "fsutil.h"
#include "mime.h"
#include "smtp.h"
#include "xmalloc.h"

#define MAX_ATTACHMENT	(25u * 1024 * 1024)
#define MAX_MESSAGE	(64u * 1024 * 1024)

const struct action_arg mail_send_args[] = {
	{ "server", ARG_STRING, 1, "smtps://host[:port] (TLS) or smtp://host[:port] (STARTTLS)" },
	{ "user", ARG_STRING, 0, "the login name, when the server asks for one" },
	{ "password", ARG_STRING, 0, "the password, from secrets (masked)" },
	{ "ca_file", ARG_STRING, 0, "extra trusted CA certificates, PEM (a private CA)" },
	{ "timeout", ARG_NUMBER, 0, "seconds for the exchange with the server (default 60)" },
	{ "from", ARG_STRING, 1, "the sender: \"名前 <address>\" or an address" },
	{ "to", ARG_ANY, 1, "a recipient or a list of them" },
	{ "cc", ARG_ANY, 0, "recipients in copy" },
	{ "bcc", ARG_ANY, 0, "hidden recipients (not in the headers)" },
	{ "reply_to", ARG_STRING, 0, "where answers should go" },
	{ "subject", ARG_STRING, 1, "the subject (Japanese welcome)" },
	{ "text", ARG_STRING, 0, "the text body" },
	{ "html", ARG_STRING, 0, "an HTML body, sent as an alternative to the text" },
	{ "attachments", ARG_LIST, 0, "files: paths, or {path, filename, content_type}" },
	{ "in_reply_to", ARG_STRING, 0, "the message_id answered (threads the reply)" },
	{ "references", ARG_STRING, 0, "message ids of the thread, space separated" },
	{ "eml", ARG_STRING, 0, "also write the message to this .eml file" },
	{ NULL, 0, 0, NULL },
};

/* A string or a list of strings as a NULL-terminated vector (borrowed
 * strings); NULL with *bad set when it is neither. */
static const char **
string_list(json_t *v, int *bad)
{
	const char **out;
	json_t *e;
	size_t i;

	*bad = 0;
	if (v == NULL || json_is_null(v))
		return xcalloc(1, sizeof *out);
	if (json_is_string(v)) {
		out = xcalloc(2, sizeof *out);
		out[0] = json_string_value(v);
		return out;
	}
	if (!json_is_array(v)) {
		*bad = 1;
		return NULL;
	}
	out = xcalloc(json_array_size(v) + 1, sizeof *out);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			free(out);
			*bad = 1;
			return NULL;
		}
		out[i] = json_string_value(e);
	}
	return out;
}

/* The attachments argument as struct mime_file[]; NULL after act_fail. */
static struct mime_file *
files_arg(struct act *a, size_t *n)
{
	json_t *l = act_arg(a, "attachments"), *e;
	struct mime_file *f;
	size_t i;

	*n = 0;
	f = xcalloc(json_array_size(l) + 1, sizeof *f);
	json_array_foreach(l, i, e) {
		if (json_is_string(e)) {
			f[i].path = json_string_value(e);
			continue;
		}
		f[i].path = json_string_value(json_object_get(e, "path"));
		f[i].filename = json_string_value(json_object_get(e,
		    "filename"));
		f[i].content_type = json_string_value(json_object_get(e,
		    "content_type"));
		if (!json_is_object(e) || f[i].path == NULL) {
			free(f);
			act_fail(a, "attachments: item %zu must be a path or "
			    "{path, filename, content_type}", i + 1);
			return NULL;
		}
	}
	*n = json_array_size(l);
	return f;
}

/* Every address of the lists, once each, into *rcpt (strings owned). */
static int
recipients(struct act *a, const char **lists[3], char ***rcpt, size_t *n)
{
	static const char *const names[] = { "to", "cc", "bcc" };
	struct mime_addrs ad;
	char err[512];

	*rcpt = NULL;
	*n = 0;
	for (int l = 0; l < 3; l++) {
		for (size_t i = 0; lists[l][i] != NULL; i++) {
			if (mime_addrs_parse(lists[l][i], &ad, err,
			    sizeof err) != 0)
				return act_fail(a, "%s: %s", names[l], err);
			for (size_t k = 0; k < ad.n; k++) {
				size_t j;

				for (j = 0; j < *n; j++)
					if (strcasecmp((*rcpt)[j],
					    ad.v[k].addr) == 0)
						break;
				if (j < *n)
					continue;
				*rcpt = xreallocarray(*rcpt, *n + 1,
				    sizeof **rcpt);
				(*rcpt)[(*n)++] = xstrdup(ad.v[k].addr);
			}
			mime_addrs_free(&ad);
		}
	}
	if (*n == 0)
		return act_fail(a, "to: give at least one recipient");
	return 0;
}

/* Write the built message to eml:, or in a dry run to the run's folder. */
static int
write_eml(struct act *a, const struct buf *msg, char **where)
{
	const char *eml = act_str(a, "eml", NULL);
	char err[512], *path;

	*where = NULL;
	if (eml == NULL && !act_dry_run(a))
		return 0;
	path = eml ? xstrdup(eml) : act_artifact_path(a, "message.eml");
	if (fsutil_mkdir_parent(path, err, sizeof err) != 0 ||
	    fsutil_write_atomic(path, msg->data, msg->len, -1, err,
	    sizeof err) != 0) {
		free(path);
		return act_fail(a, "eml: %s", err);
	}
	if (eml == NULL)
		act_artifact_add(a, path, "mail");
	*where = path;
	return 0;
}

int
mail_send(struct act *a)
{
	struct mailconn_opts o;
	struct mime_draft d;
	struct buf msg;
	struct mime_addrs from;
	struct mime_file *files = NULL;
	const char **lists[3] = { NULL, NULL, NULL };
	char **rcpt = NULL, msgid[512], err[1024], *eml = NULL;
	size_t nrcpt = 0, nfiles = 0;
	json_t *rj;
	int bad[3], rc = -1;

	if (mail_account(a, "server", &o) != 0)
		return -1;
	lists[0] = string_list(act_arg(a, "to"), &bad[0]);
	lists[1] = string_list(act_arg(a, "cc"), &bad[1]);
	lists[2] = string_list(act_arg(a, "bcc"), &bad[2]);
	buf_init(&msg, MAX_MESSAGE);
	for (int l = 0; l < 3; l++)
		if (bad[l]) {
			act_fail(a, "%s: give an address or a list of them",
			    l == 0 ? "to" : l == 1 ? "cc" : "bcc");
			goto out;
		}
	if (recipients(a, lists, &rcpt, &nrcpt) != 0 ||
	    (files = files_arg(a, &nfiles)) == NULL)
		goto out;
	if (mime_addrs_parse(act_str(a, "from", ""), &from, err,
	    sizeof err) != 0) {
		act_fail(a, "from: %s", err);
		goto out;
	}
	memset(&d, 0, sizeof d);
	d.from = act_str(a, "from", "");
	d.to = lists[0];
	d.cc = lists[1];
	d.reply_to = act_str(a, "reply_to", NULL);
	d.subject = act_str(a, "subject", "");
	d.text = act_str(a, "text", "");
	d.html = act_str(a, "html", NULL);
	d.in_reply_to = act_str(a, "in_reply_to", NULL);
	d.references = act_str(a, "references", NULL);
	d.files = files;
	d.nfiles = nfiles;
	d.max_file = MAX_ATTACHMENT;
	if (mime_build(&d, &msg, msgid, sizeof msgid, err, sizeof err) != 0) {
		act_fail(a, "%s", err);
		mime_addrs_free(&from);
		goto out;
	}
	if (write_eml(a, &msg, &eml) != 0) {
		mime_addrs_free(&from);
		goto out;
	}
	if (act_dry_run(a)) {
		act_log(a, "dry run: not sent to %zu recipients; the message "
		    "is in %s", nrcpt, eml);
	} else {
		const char *parts[] = { msg.data };

		/* A secret written into the message goes where it may, too. */
		if (act_send_ok(a, o.url, parts, 1) != 0) {
			mime_addrs_free(&from);
			goto out;
		}
		mail_bind(a, &o);
		if (smtp_send(&o, from.v[0].addr, (const char *const *)rcpt,
		    nrcpt, msg.data, msg.len, err, sizeof err) != 0) {
			act_fail(a, "%s", err);
			mime_addrs_free(&from);
			goto out;
		}
		act_log(a, "sent to %zu recipients (%zu bytes)", nrcpt,
		    msg.len);
	}
	rj = json_array();
	for (size_t i = 0; i < nrcpt; i++)
		json_array_append_new(rj, json_string(rcpt[i]));
	a->out = json_pack("{s:s, s:s, s:o, s:I, s:b, s:s?}", "message_id",
	    msgid, "from", from.v[0].addr, "recipients", rj, "size",
	    (json_int_t)msg.len, "sent", !act_dry_run(a), "eml", eml);
	mime_addrs_free(&from);
	rc = 0;
out:
	for (size_t i = 0; i < nrcpt; i++)
		free(rcpt[i]);
	free(rcpt);
	for (int l = 0; l < 3; l++)
		free(lists[l]);
	free(files);
	free(eml);
	buf_free(&msg);
	return rc;
}
