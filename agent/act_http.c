/*
 * act_http.c - the http.request action: call a web API from a script.
 *
 * Turns the step's arguments into a struct http_request (query string,
 * headers, a JSON, form or raw body, basic or bearer authentication, retry
 * policy) and the struct http_response into the step's output.  The HTTP
 * work, retries included, is common/http.c's; this file adds the script's
 * concerns: secrets are registered for masking before anything is logged,
 * the step's timeout caps every attempt, a stop request cancels the
 * transfer, a dry run sends nothing, and a status >= 400 fails the step with
 * the start of the server's answer.  Reference: docs/actions-http.md.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <strings.h>

#include "action.h"
#include "textutil.h"
#include "buf.h"
#include "http.h"
#include "xmalloc.h"

#define ERR_BODY_CHARS	200	/* of the response body, in a failure message */
#define MAX_ATTEMPTS	100
#define CLIENT_SLOT	"http.client"

static int http_request_run(struct act *);

static const struct action_arg request_args[] = {
	{ "method", ARG_STRING, 0, "GET (default), POST, PUT, PATCH, DELETE, HEAD, ..." },
	{ "url", ARG_STRING, 1, "http:// or https:// URL" },
	{ "query", ARG_MAP, 0, "parameters appended to the URL, URL-encoded" },
	{ "headers", ARG_MAP, 0, "request headers, name: value" },
	{ "json", ARG_ANY, 0, "value sent as a JSON body (Content-Type application/json)" },
	{ "form", ARG_MAP, 0, "fields sent as application/x-www-form-urlencoded" },
	{ "body", ARG_STRING, 0, "raw body text" },
	{ "auth", ARG_MAP, 0, "{basic: {user, password}} or {bearer: TOKEN}; masked in logs" },
	{ "timeout", ARG_NUMBER, 0, "seconds per attempt (default 30), capped by the step's timeout" },
	{ "retry", ARG_MAP, 0, "{attempts: 3, delay: 500ms, backoff: 2.0}; attempts 1 = no retry" },
	{ "retry_post", ARG_BOOL, 0, "retry POST and PATCH like GET (default false)" },
	{ "verify_tls", ARG_BOOL, 0, "check the server's certificate and name (default true)" },
	{ "ca_file", ARG_PATH_READ, 0, "extra trusted CA certificates, PEM" },
	{ "fail_on_status", ARG_BOOL, 0, "fail the step when the status is 400 or more (default true)" },
	{ "max_body", ARG_INT, 0, "largest response body accepted, bytes (default 10 MiB)" },
	{ "follow_redirects", ARG_BOOL, 0, "follow up to 10 redirects (default true)" },
	{ NULL, ARG_ANY, 0, NULL },
};

static const struct action_out request_out[] = {
	{ "status", ARG_INT, "the HTTP status (0 for a request not sent in a "
	    "dry run)" },
	{ "headers", ARG_MAP, "the response headers, names in lower case" },
	{ "body", ARG_STRING, "the response body as text" },
	{ "json", ARG_ANY, "the body parsed, when it is JSON; else null" },
	{ "duration_ms", ARG_INT, "how long the exchange took" },
	{ "attempts", ARG_INT, "how many tries it took" },
	{ NULL, 0, NULL },
};

/* A dry run sends GET and HEAD (reads) and only describes the others. */
const struct action http_actions[] = {
	{ "http.request", "send an HTTP request; output status, headers, body, json",
	    request_args, http_request_run, 0, NULL, ARG_MAP, request_out,
	    ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

/* Everything built from the arguments, released by request_free(). */
struct built {
	struct http_request	 req;
	char			*method;
	char			*url;		/* with the query string */
	char			*shown;		/* url without user:password@ */
	char		       **headers;	/* NULL-terminated */
	size_t			 nheaders;
	char			*body;
	size_t			 body_len;
};

/* Header names whose values are secrets whatever their origin. */
static const char *const secret_header_words[] = {
	"authorization", "cookie", "token", "secret", "password", "api-key",
	"apikey", "api_key",
};

static void
request_free(struct built *b)
{
	size_t i;

	for (i = 0; i < b->nheaders; i++) {
		/* Header values may hold secrets; do not leave them in the heap. */
		explicit_bzero(b->headers[i], strlen(b->headers[i]));
		free(b->headers[i]);
	}
	free(b->headers);
	free(b->method);
	free(b->url);
	free(b->shown);
	free(b->body);
}

static void
header_push(struct built *b, char *line)
{
	b->headers = xreallocarray(b->headers, b->nheaders + 2,
	    sizeof(*b->headers));
	b->headers[b->nheaders++] = line;
	b->headers[b->nheaders] = NULL;
}

/*
 * A scalar as text, the way it reads in a URL or header: strings as they
 * are, integers in decimal, reals in the shortest form that round-trips.
 * NULL for lists, mappings and null.
 */
static char *
scalar_text(const json_t *v)
{
	char tmp[64];
	double d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		d = json_real_value(v);
		snprintf(tmp, sizeof(tmp), "%.15g", d);
		if (strtod(tmp, NULL) != d)
			snprintf(tmp, sizeof(tmp), "%.17g", d);
		return xstrdup(tmp);
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	default:
		return NULL;
	}
}

/*
 * Append every pair of obj (a mapping named what) to b, URL-encoded; a list
 * value repeats the name, null is left out.  -1 after act_fail.
 */
static int
encode_pairs(struct act *act, const char *what, json_t *obj, struct buf *b)
{
	const char *key;
	json_t *v, *item;
	size_t i;

	json_object_foreach(obj, key, v) {
		json_t *one[1] = { v };
		json_t **vals = one;
		size_t n = 1;

		if (json_is_null(v))
			continue;
		if (json_is_array(v)) {
			n = json_array_size(v);
			vals = NULL;
		}
		for (i = 0; i < n; i++) {
			char *text;
			int r;

			item = vals ? vals[i] : json_array_get(v, i);
			if ((text = scalar_text(item)) == NULL)
				return act_fail(act, "%s.%s: expected a string, "
				    "number, boolean or a list of them", what,
				    key);
			r = http_form_append(b, key, text);
			free(text);
			if (r != 0)
				return act_fail(act, "%s: longer than %zu bytes",
				    what, b->cap);
		}
	}
	return 0;
}

/* The URL with the query mapping added before any #fragment. */
static int
build_url(struct act *act, struct built *b, const char *url)
{
	json_t *query = act_arg(act, "query");
	struct buf q, out;
	size_t base;

	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		char *shown = http_url_redact(url);

		act_fail(act, "url: \"%s\" is not an http:// or https:// URL",
		    shown);
		free(shown);
		return -1;
	}
	if (query == NULL || json_object_size(query) == 0) {
		b->url = xstrdup(url);
		return 0;
	}
	buf_init(&q, 0);
	if (encode_pairs(act, "query", query, &q) != 0) {
		buf_free(&q);
		return -1;
	}
	base = strcspn(url, "#");
	buf_init(&out, 0);
	buf_append(&out, url, base);
	if (q.len > 0) {
		const char *qm = memchr(url, '?', base);

		if (qm == NULL)
			buf_putc(&out, '?');
		else if (url[base - 1] != '?' && url[base - 1] != '&')
			buf_putc(&out, '&');
		buf_append(&out, q.data, q.len);
	}
	buf_puts(&out, url + base);
	b->url = buf_detach(&out, NULL);
	buf_free(&q);
	return 0;
}

/* A header name is an RFC 9110 token. */
static int
valid_header_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return 0;
	return 1;
}

static int
secret_header(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(secret_header_words) /
	    sizeof(secret_header_words[0]); i++)
		if (strcasestr(name, secret_header_words[i]) != NULL)
			return 1;
	return 0;
}

/* The headers mapping; *has_ctype tells whether it sets Content-Type. */
static int
build_headers(struct act *act, struct built *b, int *has_ctype)
{
	json_t *headers = act_arg(act, "headers"), *v;
	const char *name;

	*has_ctype = 0;
	if (headers == NULL)
		return 0;
	json_object_foreach(headers, name, v) {
		char *text;

		if (!valid_header_name(name))
			return act_fail(act, "headers: \"%s\" is not a valid "
			    "header name", name);
		if (json_is_null(v))
			continue;
		if ((text = scalar_text(v)) == NULL)
			return act_fail(act, "headers.%s: expected a string or "
			    "number", name);
		if (secret_header(name))
			act_secret(act, text);
		if (strpbrk(text, "\r\n") != NULL) {
			free(text);
			return act_fail(act, "headers.%s: the value contains "
			    "a line break", name);
		}
		if (strcasecmp(name, "Content-Type") == 0)
			*has_ctype = 1;
		header_push(b, xasprintf("%s: %s", name, text));
		explicit_bzero(text, strlen(text));
		free(text);
	}
	return 0;
}

/* The body from json, form or body (at most one). */
static int
build_body(struct act *act, struct built *b, int has_ctype)
{
	static const char *const kinds[] = { "json", "form", "body" };
	json_t *v[3];
	const char *ctype = NULL;
	int i, given = 0;

	for (i = 0; i < 3; i++) {
		v[i] = act_arg(act, kinds[i]);
		if (v[i] != NULL && json_is_null(v[i]))
			v[i] = NULL;
		given += v[i] != NULL;
	}
	if (given > 1)
		return act_fail(act, "give only one of json, form and body");
	if (v[0] != NULL) {
		b->body = json_dumps(v[0], JSON_COMPACT | JSON_ENCODE_ANY);
		if (b->body == NULL)
			return act_fail(act, "json: the value cannot be "
			    "encoded as JSON");
		b->body_len = strlen(b->body);
		ctype = "application/json";
	} else if (v[1] != NULL) {
		struct buf f;

		buf_init(&f, 0);
		if (encode_pairs(act, "form", v[1], &f) != 0) {
			buf_free(&f);
			return -1;
		}
		b->body = buf_detach(&f, &b->body_len);
		ctype = "application/x-www-form-urlencoded";
	} else if (v[2] != NULL) {
		b->body = xstrndup(json_string_value(v[2]),
		    json_string_length(v[2]));
		b->body_len = json_string_length(v[2]);
	}
	if (ctype != NULL && !has_ctype)
		header_push(b, xasprintf("Content-Type: %s", ctype));
	if (b->body != NULL) {
		b->req.body = b->body;
		b->req.body_len = b->body_len;
	}
	return 0;
}

/*
 * The credentials of a basic-auth header as they travel (base64 of
 * user:password), registered as a secret: a server that echoes the header
 * in an error must not put it in the log.
 */
static void
basic_secret(struct act *act, const char *user, const char *password)
{
	char *pair = xasprintf("%s:%s", user, password), *b64;
	size_t n = strlen(pair), size = sodium_base64_encoded_len(n,
	    sodium_base64_VARIANT_ORIGINAL);

	b64 = xmalloc(size);
	sodium_bin2base64(b64, size, (const unsigned char *)pair, n,
	    sodium_base64_VARIANT_ORIGINAL);
	act_secret(act, b64);
	sodium_memzero(pair, n);
	free(pair);
	free(b64);
}

/* auth: {basic: {user, password}} or {bearer: TOKEN}; secrets registered. */
static int
build_auth(struct act *act, struct built *b)
{
	json_t *auth = act_arg(act, "auth"), *v;
	const char *kind;

	if (auth == NULL)
		return 0;
	if (json_object_size(auth) != 1)
		return act_fail(act, "auth: expected exactly one of basic and "
		    "bearer");
	json_object_foreach(auth, kind, v) {
		if (strcmp(kind, "bearer") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0)
				return act_fail(act, "auth.bearer: expected a "
				    "non-empty token");
			act_secret(act, json_string_value(v));
			b->req.bearer = json_string_value(v);
		} else if (strcmp(kind, "basic") == 0) {
			json_t *user = json_object_get(v, "user");
			json_t *pw = json_object_get(v, "password");
			const char *key;
			json_t *x;

			if (!json_is_object(v))
				return act_fail(act, "auth.basic: expected "
				    "{user, password}");
			json_object_foreach(v, key, x)
				if (strcmp(key, "user") != 0 &&
				    strcmp(key, "password") != 0)
					return act_fail(act, "auth.basic.%s: "
					    "unknown; expected user and "
					    "password", key);
			if (!json_is_string(user))
				return act_fail(act, "auth.basic.user: expected "
				    "a string");
			if (pw != NULL && !json_is_string(pw))
				return act_fail(act, "auth.basic.password: "
				    "expected a string");
			if (pw != NULL)
				act_secret(act, json_string_value(pw));
			b->req.user = json_string_value(user);
			b->req.password = pw ? json_string_value(pw) : "";
			basic_secret(act, b->req.user, b->req.password);
		} else {
			return act_fail(act, "auth.%s: unknown; expected basic "
			    "or bearer", kind);
		}
	}
	return 0;
}

/*
 * retry: {attempts, delay, backoff}, with the module's defaults; delay is
 * a duration (500ms, 1.5s, or a number of seconds), and delay_ms the old
 * spelling in milliseconds, still read (the loader warns).
 */
static int
build_retry(struct act *act, struct built *b)
{
	json_t *retry = act_arg(act, "retry"), *v;
	const char *key;

	b->req.attempts = HTTP_DEFAULT_ATTEMPTS;
	b->req.delay_ms = HTTP_DEFAULT_DELAY_MS;
	b->req.backoff = HTTP_DEFAULT_BACKOFF;
	if (retry == NULL)
		return 0;
	json_object_foreach(retry, key, v) {
		if (strcmp(key, "attempts") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > MAX_ATTEMPTS)
				return act_fail(act, "retry.attempts: expected "
				    "an integer from 1 to %d", MAX_ATTEMPTS);
			b->req.attempts = (int)json_integer_value(v);
		} else if (strcmp(key, "delay") == 0) {
			long long ms = -1;

			if ((json_is_number(v) && json_number_value(v) >= 0 &&
			    json_number_value(v) <= 3600 && (ms = (long long)(
			    json_number_value(v) * 1000)) >= 0) ||
			    (json_is_string(v) && text_parse_duration(
			    json_string_value(v), &ms) == 0 && ms <= 3600000))
				/* In the module 0 means "default"; -1 none. */
				b->req.delay_ms = ms == 0 ? -1 : (long)ms;
			else
				return act_fail(act, "retry.delay: expected a "
				    "duration such as 500ms or 2s, up to 1h");
		} else if (strcmp(key, "delay_ms") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 3600000)
				return act_fail(act, "retry.delay_ms: expected "
				    "an integer from 0 to 3600000");
			/* In the module 0 means "default"; -1 means none. */
			b->req.delay_ms = json_integer_value(v) == 0 ? -1 :
			    (long)json_integer_value(v);
		} else if (strcmp(key, "backoff") == 0) {
			if (!json_is_number(v) || json_number_value(v) < 1.0 ||
			    json_number_value(v) > 10.0)
				return act_fail(act, "retry.backoff: expected a "
				    "number from 1 to 10");
			b->req.backoff = json_number_value(v);
		} else {
			return act_fail(act, "retry.%s: unknown; expected "
			    "attempts, delay or backoff", key);
		}
	}
	return 0;
}

static void
log_line(void *arg, const char *line)
{
	act_log(arg, "%s", line);
}

static int
cancelled(void *arg)
{
	return act_cancelled(arg);
}

static void *
client_open(struct act *act)
{
	(void)act;
	return http_client_new();
}

static void
client_close(void *client)
{
	http_client_free(client);
}

/* The agent's policy on hosts, for the URL and every redirect. */
static int
url_refused(void *arg, const char *url, char *why, size_t whylen)
{
	struct act *act = arg;

	if (act_allow_url(act, url) == 0)
		return 0;
	snprintf(why, whylen, "%s", act->err);
	return 1;
}

/* Build the whole request; -1 after act_fail.  b is freed by the caller. */
static int
build(struct act *act, struct built *b)
{
	const char *url = act_str(act, "url", NULL);
	double timeout = act_num(act, "timeout", HTTP_DEFAULT_TIMEOUT_MS / 1000.0);
	long long max_body = act_int(act, "max_body", HTTP_DEFAULT_MAX_BODY);
	int has_ctype;

	memset(b, 0, sizeof(*b));
	/* Secrets first, so that nothing below can log them unmasked. */
	if (build_auth(act, b) != 0)
		return -1;
	if (url == NULL || *url == '\0')
		return act_fail(act, "url: required");
	b->method = xstrdup(act_str(act, "method", "GET"));
	for (char *p = b->method; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	if (build_url(act, b, url) != 0)
		return -1;
	b->shown = http_url_redact(b->url);
	if (!(timeout > 0) || timeout > 86400)
		return act_fail(act, "timeout: expected seconds from 0 to 86400, "
		    "not %g", timeout);
	if (max_body < 1 || (unsigned long long)max_body > SIZE_MAX / 2)
		return act_fail(act, "max_body: expected a positive number of "
		    "bytes");
	if (build_headers(act, b, &has_ctype) != 0 ||
	    build_body(act, b, has_ctype) != 0 ||
	    build_retry(act, b) != 0)
		return -1;
	b->req.method = b->method;
	b->req.url = b->url;
	b->req.headers = (const char *const *)b->headers;
	b->req.timeout_ms = (long)ceil(timeout * 1000);
	b->req.retry_post = act_bool(act, "retry_post", 0);
	b->req.no_verify_tls = !act_bool(act, "verify_tls", 1);
	b->req.ca_file = act_str(act, "ca_file", NULL);
	b->req.max_body = (size_t)max_body;
	b->req.no_redirects = !act_bool(act, "follow_redirects", 1);
	b->req.cancelled = cancelled;
	b->req.log = log_line;
	b->req.url_refused = url_refused;
	b->req.arg = act;
	return 0;
}

/*
 * Text as a JSON string; bytes that are not UTF-8 (a Shift_JIS page, a
 * binary file) become U+FFFD so that the output is still valid JSON.
 */
static json_t *
text_value(const char *s, size_t len)
{
	json_t *v = json_stringn(s, len);
	struct buf b;
	size_t i = 0;

	if (v != NULL)
		return v;
	buf_init(&b, len * 3 + 1);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 :
		    (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		json_t *probe;

		if (n > 0 && i + n <= len &&
		    (probe = json_stringn(s + i, n)) != NULL) {
			json_decref(probe);
			buf_append(&b, s + i, n);
			i += n;
		} else {
			buf_puts(&b, "\xEF\xBF\xBD");
			i++;
		}
	}
	v = json_stringn(buf_str(&b), b.len);
	buf_free(&b);
	return v;
}

/* The step's output from the response. */
static json_t *
output(struct act *act, const struct http_response *resp)
{
	json_t *out, *headers, *parsed = NULL;
	size_t i;

	headers = json_object();
	for (i = 0; i < resp->nheaders; i++)
		json_object_set_new(headers, resp->headers[i].name,
		    text_value(resp->headers[i].value,
		    strlen(resp->headers[i].value)));
	if (resp->body.len > 0 && http_response_is_json(resp)) {
		json_error_t jerr;

		parsed = json_loadb(resp->body.data, resp->body.len,
		    JSON_DECODE_ANY, &jerr);
		if (parsed == NULL)
			act_log(act, "response says JSON but does not parse: "
			    "%s (line %d, column %d)", act_json_error(&jerr),
			    jerr.line, jerr.column);
	}
	out = json_object();
	json_object_set_new(out, "status", json_integer(resp->status));
	json_object_set_new(out, "headers", headers);
	json_object_set_new(out, "body", text_value(buf_str(&resp->body),
	    resp->body.len));
	json_object_set_new(out, "json", parsed ? parsed : json_null());
	json_object_set_new(out, "duration_ms",
	    json_integer(resp->duration_ms));
	json_object_set_new(out, "attempts", json_integer(resp->attempts));
	return out;
}

/*
 * The first ERR_BODY_CHARS characters of the body on one line, masked
 * before it is cut: a secret the server echoes could otherwise be cut in
 * two, and its first half would no longer be known to the mask.
 */
static void
body_snippet(struct act *act, const struct http_response *resp, char *out,
    size_t size)
{
	char *masked = act_masked(act, buf_str(&resp->body));
	const unsigned char *p = (const unsigned char *)masked;
	const unsigned char *end = p + strlen(masked);
	size_t chars = 0, o = 0;
	int space = 0;

	while (p < end && *p != '\0' && (*p == ' ' || *p < 0x20))
		p++;	/* leading blanks */
	while (p < end && chars < ERR_BODY_CHARS) {
		size_t n = 1;

		if (*p < 0x20 || *p == 0x7f || *p == ' ') {
			space = 1;
			p++;
			continue;
		}
		if (space) {
			if (o + 1 >= size)
				break;
			out[o++] = ' ';
			chars++;
			space = 0;
		}
		if (*p >= 0x80)
			while (p + n < end && (p[n] & 0xC0) == 0x80 && n < 4)
				n++;
		if (o + n + 4 >= size)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		chars++;
	}
	if (p < end)
		o += (size_t)snprintf(out + o, size - o, "...");
	out[o] = '\0';
	free(masked);
}

/* Every secret the request carries may go where it goes, or -1. */
static int
check_secrets(struct act *act, const struct built *b)
{
	const char **parts = xcalloc(b->nheaders + 4, sizeof *parts);
	size_t i, n = 0;
	int rc;

	for (i = 0; i < b->nheaders; i++)
		parts[n++] = b->headers[i];
	parts[n++] = b->body;
	parts[n++] = b->req.bearer;
	parts[n++] = b->req.password;
	rc = act_send_ok(act, b->url, parts, n);
	free(parts);
	return rc;
}

static int
http_request_run(struct act *act)
{
	struct built b;
	struct http_response resp;
	struct http_client *client;
	int64_t remaining;
	int rc = -1;

	if (build(act, &b) != 0 || check_secrets(act, &b) != 0)
		goto out;

	if (act_dry_run(act) && strcmp(b.method, "GET") != 0 &&
	    strcmp(b.method, "HEAD") != 0) {
		act_log(act, "dry run: %s %s (not sent)", b.method, b.shown);
		act->out = json_pack("{s:i,s:o,s:s,s:n,s:i,s:i}", "status", 0,
		    "headers", json_object(), "body", "", "json",
		    "duration_ms", 0, "attempts", 0);
		rc = 0;
		goto out;
	}
	remaining = act_remaining_ms(act);
	if (remaining <= 0) {
		act_fail(act, "%s %s: no time left before the step's timeout",
		    b.method, b.shown);
		goto out;
	}
	if (remaining != INT64_MAX)
		b.req.deadline_ms = http_now_ms() + remaining;

	client = act_slot(act, CLIENT_SLOT, client_open, client_close);
	if (http_send(client, &b.req, &resp) != 0) {
		act_fail(act, "%s %s: %s", b.method, b.shown, resp.err);
		http_response_free(&resp);
		goto out;
	}
	if (resp.status >= 400 && act_bool(act, "fail_on_status", 1)) {
		char snippet[ERR_BODY_CHARS * 4 + 8];

		body_snippet(act, &resp, snippet, sizeof(snippet));
		act_fail(act, "%s %s: %ld %s%s%s", b.method, b.shown,
		    resp.status, resp.reason, snippet[0] ? ": " : "", snippet);
		http_response_free(&resp);
		goto out;
	}
	act->out = output(act, &resp);
	http_response_free(&resp);
	rc = 0;
out:
	request_free(&b);
	return rc;
}
