/*
 * mime_build.c - a message to send, built with GMime (mime.h).
 *
 * Everything is UTF-8: the subject and display names as RFC 2047 words,
 * the text body (and its HTML alternative) in base64 or quoted-printable,
 * whichever GMime finds shorter, filenames as RFC 2231 parameters (what
 * every current client reads, Outlook and Thunderbird included), files in
 * base64.  Lines end in CRLF, as SMTP wants them and as an .eml file
 * opens on Windows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "fsutil.h"
#include "mime.h"
#include "xmalloc.h"

static const struct {
	const char	*ext;
	const char	*type;
} types[] = {
	{ ".pdf", "application/pdf" }, { ".png", "image/png" },
	{ ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
	{ ".gif", "image/gif" }, { ".tif", "image/tiff" },
	{ ".tiff", "image/tiff" }, { ".txt", "text/plain" },
	{ ".csv", "text/csv" }, { ".html", "text/html" },
	{ ".htm", "text/html" }, { ".eml", "message/rfc822" },
	{ ".zip", "application/zip" }, { ".json", "application/json" },
	{ ".xml", "application/xml" },
	{ ".xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ ".xls", "application/vnd.ms-excel" },
	{ ".docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ ".doc", "application/msword" },
};

static const char *
type_for(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof types / sizeof types[0];
	    i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* Append the addresses of text to list; -1 with err when one is bad. */
static int
add_addrs(InternetAddressList *list, const char *text, const char *what,
    char *err, size_t errlen)
{
	struct mime_addrs a;
	char why[256];

	if (mime_addrs_parse(text, &a, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s: %s", what, why);
		return -1;
	}
	for (size_t i = 0; i < a.n; i++) {
		InternetAddress *ia = internet_address_mailbox_new(
		    *a.v[i].name ? a.v[i].name : NULL, a.v[i].addr);

		internet_address_list_add(list, ia);
		g_object_unref(ia);
	}
	mime_addrs_free(&a);
	return 0;
}

static int
add_addr_list(InternetAddressList *list, const char *const *v,
    const char *what, char *err, size_t errlen)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (add_addrs(list, v[i], what, err, errlen) != 0)
			return -1;
	return 0;
}

static GMimeObject *
text_part(const char *subtype, const char *text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);

	g_mime_text_part_set_text(tp, text);
	return GMIME_OBJECT(tp);
}

static GMimeObject *
file_part(const struct mime_file *f, size_t max, char *err, size_t errlen)
{
	const char *fn = f->filename, *type, *slash;
	char *data, *major, why[512];
	size_t len;
	GMimeStream *s;
	GMimeDataWrapper *dw;
	GMimePart *p;

	if (fn == NULL || *fn == '\0')
		fn = (slash = strrchr(f->path, '/')) ? slash + 1 : f->path;
	if (fsutil_read(f->path, max, &data, &len, why, sizeof why) != 0) {
		snprintf(err, errlen, "attachment: %s", why);
		return NULL;
	}
	type = f->content_type ? f->content_type : type_for(fn);
	major = xstrdup(type);
	if (strchr(major, '/') == NULL) {
		snprintf(err, errlen, "attachment '%s': content type '%s' is "
		    "not type/subtype", fn, type);
		free(major);
		free(data);
		return NULL;
	}
	*strchr(major, '/') = '\0';
	p = g_mime_part_new_with_type(major, strchr(type, '/') + 1);
	free(major);
	s = g_mime_stream_mem_new_with_buffer(data, len);
	free(data);
	dw = g_mime_data_wrapper_new_with_stream(s,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(p, dw);
	g_object_unref(dw);
	g_object_unref(s);
	g_mime_part_set_filename(p, fn);
	g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(p);
}

/* The body: text, or text and HTML as alternatives, then the files. */
static GMimeObject *
body(const struct mime_draft *d, char *err, size_t errlen)
{
	GMimeObject *b = text_part("plain", d->text ? d->text : "");
	GMimeMultipart *mixed;

	if (d->html != NULL) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype(
		    "alternative");
		GMimeObject *h = text_part("html", d->html);

		g_mime_multipart_add(alt, b);
		g_mime_multipart_add(alt, h);
		g_object_unref(b);
		g_object_unref(h);
		b = GMIME_OBJECT(alt);
	}
	if (d->nfiles == 0)
		return b;
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, b);
	g_object_unref(b);
	for (size_t i = 0; i < d->nfiles; i++) {
		GMimeObject *f = file_part(&d->files[i], d->max_file ?
		    d->max_file : FSUTIL_READ_CAP, err, errlen);

		if (f == NULL) {
			g_object_unref(mixed);
			return NULL;
		}
		g_mime_multipart_add(mixed, f);
		g_object_unref(f);
	}
	return GMIME_OBJECT(mixed);
}

/* "<a> <b>" from ids written with or without their brackets. */
static char *
bracket_ids(const char *ids)
{
	struct buf b;
	char *copy = xstrdup(ids), *tok, *save = NULL;

	buf_init(&b, 0);
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		size_t n = strlen(tok);

		if (tok[0] == '<' && tok[n - 1] == '>')
			buf_printf(&b, "%s%s", b.len ? " " : "", tok);
		else
			buf_printf(&b, "%s<%s>", b.len ? " " : "", tok);
	}
	free(copy);
	buf_puts(&b, "");
	return buf_detach(&b, NULL);
}

static int
headers(GMimeMessage *msg, const struct mime_draft *d, char *msgid,
    size_t msgidlen, char *err, size_t errlen)
{
	InternetAddressList *from = g_mime_message_get_from(msg);
	InternetAddress *ia;
	GDateTime *now;
	const char *domain;
	char *id, *ids;

	if (add_addrs(from, d->from ? d->from : "", "from", err, errlen) != 0)
		return -1;
	if (internet_address_list_length(from) != 1) {
		snprintf(err, errlen, "from: give exactly one address, not %d",
		    internet_address_list_length(from));
		return -1;
	}
	if (add_addr_list(g_mime_message_get_addresses(msg,
	    GMIME_ADDRESS_TYPE_TO), d->to, "to", err, errlen) != 0 ||
	    add_addr_list(g_mime_message_get_addresses(msg,
	    GMIME_ADDRESS_TYPE_CC), d->cc, "cc", err, errlen) != 0)
		return -1;
	if (d->reply_to != NULL && add_addrs(g_mime_message_get_reply_to(msg),
	    d->reply_to, "reply_to", err, errlen) != 0)
		return -1;
	g_mime_message_set_subject(msg, d->subject ? d->subject : "",
	    "utf-8");
	now = g_date_time_new_now_local();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	ia = internet_address_list_get_address(from, 0);
	domain = strchr(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(ia)), '@') + 1;
	id = g_mime_utils_generate_message_id(domain);
	g_mime_message_set_message_id(msg, id);
	snprintf(msgid, msgidlen, "%s", id);
	g_free(id);
	if (d->in_reply_to != NULL && *d->in_reply_to != '\0') {
		ids = bracket_ids(d->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", ids,
		    NULL);
		free(ids);
	}
	if (d->references != NULL && *d->references != '\0') {
		ids = bracket_ids(d->references);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", ids,
		    NULL);
		free(ids);
	}
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Mailer", "kobito",
	    NULL);
	return 0;
}

int
mime_build(const struct mime_draft *d, struct buf *out, char *msgid,
    size_t msgidlen, char *err, size_t errlen)
{
	GMimeMessage *msg;
	GMimeObject *b;
	GMimeFormatOptions *fo;
	GMimeStream *mem;
	GByteArray *ba;
	int rc = -1;

	mime_init();
	msg = g_mime_message_new(TRUE);
	if (headers(msg, d, msgid, msgidlen, err, errlen) != 0 ||
	    (b = body(d, err, errlen)) == NULL)
		goto out;
	g_mime_message_set_mime_part(msg, b);
	g_object_unref(b);
	g_mime_object_encode(GMIME_OBJECT(msg), GMIME_ENCODING_CONSTRAINT_7BIT);
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	mem = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem);
	g_mime_format_options_free(fo);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (buf_append(out, ba->data, ba->len) != 0)
		snprintf(err, errlen, "the message is larger than %zu bytes",
		    out->cap);
	else
		rc = 0;
	g_object_unref(mem);
out:
	g_object_unref(msg);
	return rc;
}
