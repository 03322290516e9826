/*
 * mime_parse.c - a message taken apart with GMime: its decoded headers,
 * its text body and its attachments (mime.h).
 *
 * GMime finds the parts and undoes their transfer encodings (7bit, 8bit,
 * binary, quoted-printable, base64, uuencode); every text - header
 * values, bodies, filenames - is read from the raw bytes by mime_text.c,
 * which knows how Japanese mail really writes them.  Address headers are
 * recoded to UTF-8 words before GMime parses them, so that its decoding
 * of the names cannot go wrong.
 *
 * The text body is every inline text/plain part in order (one of each
 * multipart/alternative, the plain one preferred), joined by an empty
 * line, with LF line ends and no blank lines at its end; with no plain
 * part, the first HTML part converted to text.
 * Everything else that is a leaf - a file, an inline image, a forwarded
 * message (message/rfc822, kept whole as .eml) - is an attachment.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "htmltext.h"
#include "mime.h"
#include "xmalloc.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_init(void)
{
	g_mime_init();
}

void
mime_init(void)
{
	pthread_once(&gmime_once, gmime_init);
}

/* What the walk over the parts gathers. */
struct walk {
	struct mime_message	*m;
	const struct mime_limits *lim;
	GMimeParserOptions	*opts;
	struct buf		 text;
	int			 ntext;
	size_t			 nparts;
	size_t			 dropped;
	size_t			 nwarn;
};

static void
warn(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	char line[512];

	if (w->nwarn >= 50)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < w->nwarn; i++)
		if (strcmp(w->m->warnings[i], line) == 0)
			return;
	w->m->warnings = xreallocarray(w->m->warnings, w->nwarn + 2,
	    sizeof *w->m->warnings);
	w->m->warnings[w->nwarn++] = xstrdup(line);
	w->m->warnings[w->nwarn] = NULL;
}

/* The raw value of the first header called name, or NULL; borrowed. */
static const char *
raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = g_mime_header_list_get_count(hl);

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);

		if (strcasecmp(g_mime_header_get_name(h), name) == 0)
			return g_mime_header_get_raw_value(h);
	}
	return NULL;
}

static void
addr_push(struct mime_addrs *out, const char *name, const char *addr)
{
	out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
	out->v[out->n].name = mime_header_decode(name ? name : "");
	out->v[out->n].addr = xstrdup(addr ? addr : "");
	out->n++;
}

static void
addrs_from_list(InternetAddressList *l, struct mime_addrs *out)
{
	int n = l ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia))
			addrs_from_list(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), out);
		else
			addr_push(out, internet_address_get_name(ia),
			    internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)));
	}
}

static void
addrs_from_raw(GMimeParserOptions *opts, const char *raw,
    struct mime_addrs *out)
{
	InternetAddressList *l;
	char *rec;

	if (raw == NULL)
		return;
	rec = mime_header_recode(raw);
	if ((l = internet_address_list_parse(opts, rec)) != NULL) {
		addrs_from_list(l, out);
		g_object_unref(l);
	}
	free(rec);
}

static char *
message_id(const char *raw)
{
	char *g, *s;

	if (raw == NULL || (g = g_mime_utils_decode_message_id(raw)) == NULL)
		return NULL;
	s = *g ? xstrdup(g) : NULL;
	g_free(g);
	return s;
}

static char *
references(GMimeParserOptions *opts, const char *raw)
{
	GMimeReferences *r;
	struct buf b;
	int n;

	if (raw == NULL || (r = g_mime_references_parse(opts, raw)) == NULL)
		return NULL;
	buf_init(&b, 0);
	n = g_mime_references_length(r);
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "",
		    g_mime_references_get_message_id(r, i));
	g_mime_references_free(r);
	if (b.data == NULL)
		return NULL;
	return buf_detach(&b, NULL);
}

static char *
iso_date(const char *raw)
{
	GDateTime *dt;
	char *g, *s;

	if (raw == NULL || (dt = g_mime_utils_header_decode_date(raw)) == NULL)
		return NULL;
	g = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z");
	g_date_time_unref(dt);
	s = g ? xstrdup(g) : NULL;
	g_free(g);
	return s;
}

/* The decoded content of a part (transfer encoding undone). */
static char *
part_bytes(GMimePart *p, size_t *len)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(p);
	GMimeStream *mem;
	GByteArray *ba;
	char *out;

	*len = 0;
	if (dw == NULL)
		return xstrdup("");
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	out = xmalloc(ba->len + 1);
	memcpy(out, ba->data, ba->len);
	out[ba->len] = '\0';
	*len = ba->len;
	g_object_unref(mem);
	return out;
}

static char *
lower_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *t, *s;

	if (ct == NULL)
		return xstrdup("application/octet-stream");
	t = g_mime_content_type_get_mime_type(ct);
	s = g_ascii_strdown(t, -1);
	g_free(t);
	t = xstrdup(s);
	g_free(s);
	return t;
}

static const struct {
	const char	*type;
	const char	*ext;
} exts[] = {
	{ "application/pdf", ".pdf" }, { "image/png", ".png" },
	{ "image/jpeg", ".jpg" }, { "image/gif", ".gif" },
	{ "image/tiff", ".tif" }, { "text/plain", ".txt" },
	{ "text/html", ".html" }, { "text/csv", ".csv" },
	{ "message/rfc822", ".eml" }, { "application/zip", ".zip" },
	{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	    ".xlsx" },
	{ "application/vnd.ms-excel", ".xls" },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	    ".docx" },
	{ "application/msword", ".doc" },
};

static const char *
ext_for(const char *type)
{
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (strcmp(exts[i].type, type) == 0)
			return exts[i].ext;
	return ".bin";
}

/* The filename the sender gave: Content-Disposition's, else the
 * Content-Type's name; NULL when neither. */
static char *
part_filename(GMimeObject *obj)
{
	char *fn = mime_param(raw_header(obj, "Content-Disposition"),
	    "filename");

	if (fn == NULL || *fn == '\0') {
		free(fn);
		fn = mime_param(raw_header(obj, "Content-Type"), "name");
	}
	if (fn != NULL && *fn == '\0') {
		free(fn);
		fn = NULL;
	}
	return fn;
}

static int
disposition_is(GMimeObject *obj, const char *what)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
	const char *v = d ? g_mime_content_disposition_get_disposition(d) : NULL;

	return v != NULL && strcasecmp(v, what) == 0;
}

static void
add_attachment(struct walk *w, GMimeObject *obj, char *type, char *fn,
    char *data, size_t len)
{
	struct mime_message *m = w->m;
	struct mime_attachment *a;
	const char *cid = g_mime_object_get_content_id(obj);
	size_t max = w->lim && w->lim->max_attachments ?
	    w->lim->max_attachments : MIME_MAX_ATTACHMENTS;

	if (m->natt >= max) {
		w->dropped++;
		free(type);
		free(fn);
		free(data);
		return;
	}
	m->att = xreallocarray(m->att, m->natt + 1, sizeof *m->att);
	a = &m->att[m->natt++];
	memset(a, 0, sizeof *a);
	a->named = fn != NULL;
	a->filename = fn ? fn : xasprintf("attachment-%zu%s", m->natt,
	    ext_for(type));
	a->content_type = type;
	a->content_id = cid && *cid ? xstrdup(cid) : NULL;
	a->is_inline = disposition_is(obj, "inline") ||
	    (a->content_id != NULL && !disposition_is(obj, "attachment"));
	a->data = data;
	a->len = len;
}

/* The blank lines and blanks a body ends with go. */
static void
trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
}

/* Line ends as scripts want them: CRLF (and a lone CR) become LF. */
static size_t
lf_only(char *s)
{
	char *r, *w;

	for (r = w = s; *r != '\0'; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
leaf(struct walk *w, GMimeObject *obj, int other_alt)
{
	char *type = lower_type(obj), *fn = part_filename(obj), *data, *cs;
	size_t len;
	int lossy = 0;

	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj));
		GMimeStream *mem = g_mime_stream_mem_new();
		GByteArray *ba;

		if (inner != NULL)
			g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL,
			    mem);
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		data = xmalloc(ba->len + 1);
		memcpy(data, ba->data, ba->len);
		len = ba->len;
		g_object_unref(mem);
		if (fn == NULL && inner != NULL) {
			const char *subj = raw_header(GMIME_OBJECT(inner),
			    "Subject");
			char *s = mime_header_decode(subj ? subj : "");

			if (*s != '\0')
				fn = xasprintf("%s.eml", s);
			free(s);
		}
		add_attachment(w, obj, type, fn, data, len);
		return;
	}
	if (!GMIME_IS_PART(obj)) {
		free(type);
		free(fn);
		return;
	}
	data = part_bytes(GMIME_PART(obj), &len);
	if (fn == NULL && !disposition_is(obj, "attachment") &&
	    (strcmp(type, "text/plain") == 0 || strcmp(type, "text/html") == 0)) {
		char *txt;
		size_t n;

		cs = mime_param(raw_header(obj, "Content-Type"), "charset");
		txt = mime_text_decode(cs, data, len, &n, &lossy);
		n = lf_only(txt);
		if (lossy)
			warn(w, "the %s body is not valid %s: the bytes that "
			    "do not decode were replaced by U+FFFD", type,
			    cs && *cs ? cs : "text in any known charset");
		if (strcmp(type, "text/plain") == 0 && other_alt) {
			free(txt);	/* another rendering of the text taken */
		} else if (strcmp(type, "text/plain") == 0) {
			if (w->ntext++ > 0)
				buf_puts(&w->text, "\n\n");
			buf_append(&w->text, txt, n);
			if (w->m->charset == NULL && cs != NULL)
				w->m->charset = xstrdup(cs);
			free(txt);
		} else if (w->m->html == NULL) {
			trim_end(txt);
			w->m->html = txt;
			if (w->m->charset == NULL && cs != NULL)
				w->m->charset = xstrdup(cs);
		} else
			free(txt);
		free(cs);
		free(data);
		free(type);
		return;
	}
	add_attachment(w, obj, type, fn, data, len);
}

/* In an alternative: the plain text one, else the last (the richest). */
static GMimeObject *
pick_alternative(GMimeMultipart *mp)
{
	int n = g_mime_multipart_get_count(mp);
	GMimeObject *last = NULL;

	for (int i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		GMimeContentType *ct = g_mime_object_get_content_type(c);

		if (ct && g_mime_content_type_is_type(ct, "text", "plain"))
			return c;
		last = c;
	}
	return last;
}

/*
 * Walk a part.  other_alt: inside an alternative that is not the one
 * taken for the text, whose own plain text is left out, while its HTML
 * and its files (the images of an HTML rendering) are kept.
 */
static void
walk_parts(struct walk *w, GMimeObject *obj, int depth, int other_alt)
{
	if (obj == NULL)
		return;
	if (++w->nparts > (w->lim && w->lim->max_parts ? w->lim->max_parts :
	    MIME_MAX_PARTS) || depth > 50) {
		w->dropped++;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		int n = g_mime_multipart_get_count(mp);
		GMimeObject *best = NULL;

		if (ct && g_mime_content_type_is_type(ct, "multipart",
		    "alternative"))
			best = pick_alternative(mp);
		for (int i = 0; i < n; i++) {
			GMimeObject *c = g_mime_multipart_get_part(mp, i);

			walk_parts(w, c, depth + 1, other_alt ||
			    (best != NULL && c != best));
		}
		return;
	}
	leaf(w, obj, other_alt);
}

static GMimeParserOptions *
parser_options(void)
{
	GMimeParserOptions *o = g_mime_parser_options_new();

	g_mime_parser_options_set_rfc2047_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(o, TRUE);
	return o;
}

int
mime_parse(const char *data, size_t len, const struct mime_limits *lim,
    struct mime_message *m, char *err, size_t errlen)
{
	struct walk w;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *top;
	const char *subj;

	mime_init();
	memset(m, 0, sizeof *m);
	memset(&w, 0, sizeof w);
	w.m = m;
	w.lim = lim;
	buf_init(&w.text, 0);
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	w.opts = parser_options();
	msg = g_mime_parser_construct_message(parser, w.opts);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL) {
		g_mime_parser_options_free(w.opts);
		buf_free(&w.text);
		snprintf(err, errlen, "not a mail message (no header could be "
		    "read)");
		return -1;
	}
	top = GMIME_OBJECT(msg);
	subj = raw_header(top, "Subject");
	m->subject = mime_header_decode(subj ? subj : "");
	addrs_from_raw(w.opts, raw_header(top, "From"), &m->from);
	addrs_from_raw(w.opts, raw_header(top, "To"), &m->to);
	addrs_from_raw(w.opts, raw_header(top, "Cc"), &m->cc);
	addrs_from_raw(w.opts, raw_header(top, "Reply-To"), &m->reply_to);
	m->date = iso_date(raw_header(top, "Date"));
	m->message_id = message_id(raw_header(top, "Message-ID"));
	m->in_reply_to = message_id(raw_header(top, "In-Reply-To"));
	m->references = references(w.opts, raw_header(top, "References"));
	walk_parts(&w, g_mime_message_get_mime_part(msg), 0, 0);
	if (w.dropped > 0)
		warn(&w, "%zu parts were left out: a message may carry at "
		    "most %zu attachments and %zu parts", w.dropped,
		    lim && lim->max_attachments ? lim->max_attachments :
		    (size_t)MIME_MAX_ATTACHMENTS, lim && lim->max_parts ?
		    lim->max_parts : (size_t)MIME_MAX_PARTS);
	if (w.ntext > 0) {
		buf_puts(&w.text, "");
		m->text = buf_detach(&w.text, NULL);
		trim_end(m->text);
	} else {
		buf_free(&w.text);
		m->text = m->html ? htmltext_convert(m->html, strlen(m->html)) :
		    xstrdup("");
	}
	g_mime_parser_options_free(w.opts);
	g_object_unref(msg);
	return 0;
}

void
mime_addrs_free(struct mime_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].addr);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

void
mime_message_free(struct mime_message *m)
{
	free(m->message_id);
	free(m->subject);
	mime_addrs_free(&m->from);
	mime_addrs_free(&m->to);
	mime_addrs_free(&m->cc);
	mime_addrs_free(&m->reply_to);
	free(m->date);
	free(m->in_reply_to);
	free(m->references);
	free(m->text);
	free(m->html);
	free(m->charset);
	for (size_t i = 0; i < m->natt; i++) {
		free(m->att[i].filename);
		free(m->att[i].content_type);
		free(m->att[i].content_id);
		free(m->att[i].data);
	}
	free(m->att);
	for (size_t i = 0; m->warnings != NULL && m->warnings[i] != NULL; i++)
		free(m->warnings[i]);
	free(m->warnings);
	memset(m, 0, sizeof *m);
}

/* Split an address list at the commas outside quotes, brackets and
 * comments; each piece a new string in *out, the count returned. */
static size_t
split_list(const char *text, char ***out)
{
	const char *p = text, *start = text;
	int quote = 0, angle = 0, paren = 0;
	size_t n = 0;

	*out = NULL;
	for (;; p++) {
		if (*p == '\\' && quote && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"' && !paren)
			quote = !quote;
		else if (!quote && *p == '(')
			paren++;
		else if (!quote && *p == ')' && paren > 0)
			paren--;
		else if (!quote && !paren && *p == '<')
			angle++;
		else if (!quote && !paren && *p == '>' && angle > 0)
			angle--;
		if (*p == '\0' || (*p == ',' && !quote && !angle && !paren)) {
			const char *a = start, *b = p;

			while (a < b && (*a == ' ' || *a == '\t'))
				a++;
			while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
				b--;
			if (b > a) {
				*out = xreallocarray(*out, n + 1, sizeof **out);
				(*out)[n++] = xstrndup(a, (size_t)(b - a));
			}
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	return n;
}

/* Whether addr looks like local@domain.tld. */
static int
addr_ok(const char *addr)
{
	const char *at = strchr(addr, '@');

	return at != NULL && at != addr && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL && strchr(at + 1, '.') != NULL &&
	    strpbrk(addr, " \t\r\n<>\"") == NULL;
}

int
mime_addrs_parse(const char *text, struct mime_addrs *out, char *err,
    size_t errlen)
{
	GMimeParserOptions *o;
	char **pieces;
	size_t n = split_list(text, &pieces), i;
	int rc = 0;

	mime_init();
	memset(out, 0, sizeof *out);
	o = g_mime_parser_options_new();
	for (i = 0; i < n && rc == 0; i++) {
		InternetAddressList *l = internet_address_list_parse(o,
		    pieces[i]);
		struct mime_addrs one = { NULL, 0 };

		if (l != NULL) {
			addrs_from_list(l, &one);
			g_object_unref(l);
		}
		if (one.n != 1 || !addr_ok(one.v[0].addr)) {
			snprintf(err, errlen, "'%s' is not a mail address",
			    pieces[i]);
			rc = -1;
		} else
			addr_push(out, one.v[0].name, one.v[0].addr);
		mime_addrs_free(&one);
	}
	for (i = 0; i < n; i++)
		free(pieces[i]);
	free(pieces);
	g_mime_parser_options_free(o);
	if (rc == 0 && out->n == 0) {
		snprintf(err, errlen, "'%s' holds no mail address", text);
		rc = -1;
	}
	if (rc != 0)
		mime_addrs_free(out);
	return rc;
}
