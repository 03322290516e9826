/*
 * http.c - HTTP client on libcurl: one exchange with retries, backoff,
 * timeouts capped by a deadline, cancellation and capped buffers.
 *
 * Each attempt runs the libcurl easy interface on the client's handle, so
 * consecutive requests (and retries) reuse the open connection.  The callbacks
 * write into the response directly and refuse data past the caps, which
 * makes libcurl abort the transfer instead of buffering without bound.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "textutil.h"
#include "xmalloc.h"

struct http_client {
	CURL	*curl;
};

/* State of one attempt, shared with the libcurl callbacks. */
struct attempt {
	const struct http_request	*req;
	struct http_response		*resp;
	size_t				 header_bytes;
	int				 too_big;	/* body past max_body */
	int				 headers_too_big;
	int				 cancelled;
	long				 retry_after_ms; /* -1 when absent */
	CURL				*curl;
	char				 refused[256];	/* url_refused said */
};

/* How libcurl's failures map onto ours; codes not listed are transfer errors. */
static const struct {
	CURLcode	 code;
	enum http_error	 kind;
} curl_errors[] = {
	{ CURLE_UNSUPPORTED_PROTOCOL,	HTTP_ERR_USAGE },
	{ CURLE_URL_MALFORMAT,		HTTP_ERR_USAGE },
	{ CURLE_BAD_FUNCTION_ARGUMENT,	HTTP_ERR_USAGE },
	{ CURLE_COULDNT_RESOLVE_PROXY,	HTTP_ERR_CONNECT },
	{ CURLE_COULDNT_RESOLVE_HOST,	HTTP_ERR_CONNECT },
	{ CURLE_COULDNT_CONNECT,	HTTP_ERR_CONNECT },
	{ CURLE_OPERATION_TIMEDOUT,	HTTP_ERR_TIMEOUT },
	{ CURLE_FILESIZE_EXCEEDED,	HTTP_ERR_TOO_BIG },
	{ CURLE_ABORTED_BY_CALLBACK,	HTTP_ERR_CANCELLED },
	{ CURLE_SSL_CONNECT_ERROR,	HTTP_ERR_TLS },
	{ CURLE_PEER_FAILED_VERIFICATION, HTTP_ERR_TLS },
	{ CURLE_SSL_ENGINE_NOTFOUND,	HTTP_ERR_TLS },
	{ CURLE_SSL_ENGINE_SETFAILED,	HTTP_ERR_TLS },
	{ CURLE_SSL_CERTPROBLEM,	HTTP_ERR_TLS },
	{ CURLE_SSL_CIPHER,		HTTP_ERR_TLS },
	{ CURLE_SSL_CACERT_BADFILE,	HTTP_ERR_TLS },
	{ CURLE_SSL_CRL_BADFILE,	HTTP_ERR_TLS },
	{ CURLE_SSL_ISSUER_ERROR,	HTTP_ERR_TLS },
	{ CURLE_SSL_PINNEDPUBKEYNOTMATCH, HTTP_ERR_TLS },
	{ CURLE_SSL_INVALIDCERTSTATUS,	HTTP_ERR_TLS },
	{ CURLE_USE_SSL_FAILED,		HTTP_ERR_TLS },
};

/* Transfer errors that another attempt would only repeat. */
static const CURLcode permanent_errors[] = {
	CURLE_TOO_MANY_REDIRECTS,
	CURLE_REMOTE_ACCESS_DENIED,
	CURLE_LOGIN_DENIED,
};

static const struct {
	long		 status;
	const char	*reason;
} reasons[] = {
	{ 100, "Continue" }, { 101, "Switching Protocols" },
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 203, "Non-Authoritative Information" }, { 204, "No Content" },
	{ 205, "Reset Content" }, { 206, "Partial Content" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
	{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 402, "Payment Required" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
	{ 411, "Length Required" }, { 412, "Precondition Failed" },
	{ 413, "Payload Too Large" }, { 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" }, { 421, "Misdirected Request" },
	{ 422, "Unprocessable Entity" }, { 423, "Locked" },
	{ 425, "Too Early" }, { 426, "Upgrade Required" },
	{ 428, "Precondition Required" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 451, "Unavailable For Legal Reasons" },
	{ 500, "Internal Server Error" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
	{ 507, "Insufficient Storage" }, { 511, "Network Authentication Required" },
};

/* Methods that may be repeated without changing the outcome (RFC 9110 9.2.2). */
static const char *const idempotent_methods[] = {
	"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE",
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	/* Process-wide and never undone: libcurl is used until exit. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "kobito: curl_global_init failed\n");
		abort();
	}
}

int64_t
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
http_reason(long status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "";
}

int
http_method_idempotent(const char *method)
{
	size_t i;

	for (i = 0; i < sizeof(idempotent_methods) /
	    sizeof(idempotent_methods[0]); i++)
		if (strcasecmp(method, idempotent_methods[i]) == 0)
			return 1;
	return 0;
}

char *
http_url_redact(const char *url)
{
	const char *auth, *end, *at;
	struct buf b;

	auth = strstr(url, "://");
	if (auth == NULL)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return xstrdup(url);
	buf_init(&b, 0);
	buf_append(&b, url, (size_t)(auth - url));
	buf_puts(&b, at + 1);
	return buf_detach(&b, NULL);
}

int
http_form_append(struct buf *b, const char *name, const char *value)
{
	const char *parts[2] = { name, value };
	size_t mark = b->len;
	char *enc;
	int i, r;

	if (b->len > 0 && buf_putc(b, '&') != 0)
		goto fail;
	for (i = 0; i < 2; i++) {
		if (i == 1 && buf_putc(b, '=') != 0)
			goto fail;
		enc = text_percent_encode(parts[i]);
		r = buf_puts(b, enc);
		free(enc);
		if (r != 0)
			goto fail;
	}
	return 0;
fail:
	/* Leave the buffer as it was, not with half a pair. */
	b->len = mark;
	if (b->data != NULL)
		b->data[mark] = '\0';
	return -1;
}

struct http_client *
http_client_new(void)
{
	struct http_client *c;

	pthread_once(&curl_once, curl_init_once);
	c = xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		/* Only fails when out of memory, which xmalloc also aborts on. */
		fprintf(stderr, "kobito: curl_easy_init failed\n");
		abort();
	}
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

static void
headers_clear(struct http_response *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	resp->headers = NULL;
	resp->nheaders = 0;
}

void
http_response_free(struct http_response *resp)
{
	headers_clear(resp);
	buf_free(&resp->body);
}

const char *
http_response_header(const struct http_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

int
http_response_is_json(const struct http_response *resp)
{
	const char *ct = http_response_header(resp, "content-type");
	size_t n;

	if (ct == NULL)
		return 0;
	n = strcspn(ct, "; \t");
	if (n == strlen("application/json") &&
	    strncasecmp(ct, "application/json", n) == 0)
		return 1;
	return n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* Store one header, joining the value to an earlier one of the same name. */
static void
header_add(struct http_response *resp, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	struct http_header *h;
	size_t i;

	for (i = 0; i < resp->nheaders; i++) {
		h = &resp->headers[i];
		if (strlen(h->name) == nlen && strncasecmp(h->name, name, nlen) == 0) {
			char *joined = xasprintf("%s, %.*s", h->value, (int)vlen,
			    value);

			free(h->value);
			h->value = joined;
			return;
		}
	}
	resp->headers = xreallocarray(resp->headers, resp->nheaders + 1,
	    sizeof(*resp->headers));
	h = &resp->headers[resp->nheaders++];
	h->name = xstrndup(name, nlen);
	for (i = 0; i < nlen; i++)
		h->name[i] = (char)tolower((unsigned char)h->name[i]);
	h->value = xstrndup(value, vlen);
}

/* Parse "HTTP/1.1 422 Unprocessable Entity" for its reason phrase. */
static void
status_line(struct attempt *a, const char *line, size_t len)
{
	const char *p = memchr(line, ' ', len), *end = line + len;

	a->resp->reason[0] = '\0';
	if (p == NULL)
		return;
	while (p < end && *p == ' ')
		p++;
	while (p < end && isdigit((unsigned char)*p))
		p++;
	while (p < end && *p == ' ')
		p++;
	snprintf(a->resp->reason, sizeof(a->resp->reason), "%.*s",
	    (int)(end - p), p);
	text_utf8_trim_partial(a->resp->reason);
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct attempt *a = arg;
	size_t len = size * n, nlen;
	const char *colon, *v, *end;

	a->header_bytes += len;
	if (a->header_bytes > HTTP_MAX_HEADER_BYTES) {
		a->headers_too_big = 1;
		return 0;
	}
	end = data + len;
	while (end > data && (end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end - data >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 100 Continue). */
		headers_clear(a->resp);
		a->retry_after_ms = -1;
		status_line(a, data, (size_t)(end - data));
		return len;
	}
	if (end == data)
		return len;
	if ((*data == ' ' || *data == '\t') && a->resp->nheaders > 0) {
		/* An obsolete folded continuation of the previous header. */
		struct http_header *h = &a->resp->headers[a->resp->nheaders - 1];
		char *joined;

		v = data;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		joined = xasprintf("%s %.*s", h->value, (int)(end - v), v);
		free(h->value);
		h->value = joined;
		return len;
	}
	colon = memchr(data, ':', (size_t)(end - data));
	if (colon == NULL || colon == data)
		return len;	/* not a header; ignore it rather than fail */
	nlen = (size_t)(colon - data);
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	header_add(a->resp, data, nlen, v, (size_t)(end - v));
	if (nlen == 11 && strncasecmp(data, "retry-after", 11) == 0) {
		char *e, *s = xstrndup(v, (size_t)(end - v));
		long secs;

		errno = 0;
		secs = strtol(s, &e, 10);
		/* Only delta-seconds; an HTTP-date is ignored. */
		if (errno == 0 && e != s && *e == '\0' && secs >= 0)
			a->retry_after_ms = secs > HTTP_MAX_RETRY_AFTER_MS / 1000 ?
			    HTTP_MAX_RETRY_AFTER_MS : secs * 1000;
		free(s);
	}
	return len;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct attempt *a = arg;

	if (buf_append(&a->resp->body, data, size * n) != 0) {
		a->too_big = 1;
		return 0;
	}
	return size * n;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct attempt *a = arg;

	(void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
	if (a->req->cancelled != NULL && a->req->cancelled(a->req->arg)) {
		a->cancelled = 1;
		return 1;
	}
	return 0;
}

static void
logf_(const struct http_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
logf_(const struct http_request *req, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (req->log == NULL)
		return;
	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	req->log(req->arg, line);
	free(line);
}

/* A method is a token of letters (RFC 9110 9.1, restricted for sanity). */
static int
valid_method(const char *m)
{
	if (*m == '\0' || strlen(m) > 32)
		return 0;
	for (; *m != '\0'; m++)
		if (!isalpha((unsigned char)*m) && *m != '-' && *m != '_')
			return 0;
	return 1;
}

/* The header list for the request, or NULL with resp->err set. */
static int
build_headers(const struct http_request *req, struct curl_slist **out,
    struct http_response *resp)
{
	struct curl_slist *list = NULL, *l;
	const char *const *h;
	char *line;

	/* No "Expect: 100-continue" round trip before larger bodies. */
	list = curl_slist_append(list, "Expect:");
	if (list == NULL)
		goto oom;
	for (h = req->headers; h != NULL && *h != NULL; h++) {
		const char *colon = strchr(*h, ':');

		if (strpbrk(*h, "\r\n") != NULL || colon == NULL || colon == *h) {
			/* Quote only the name: the value may be a secret. */
			snprintf(resp->err, sizeof(resp->err),
			    "header \"%.*s\" is not \"Name: value\" on one line",
			    (int)(colon ? colon - *h : (int)strcspn(*h, "\r\n")),
			    *h);
			curl_slist_free_all(list);
			return -1;
		}
		if ((l = curl_slist_append(list, *h)) == NULL)
			goto oom;
		list = l;
	}
	if (req->bearer != NULL) {
		if (strpbrk(req->bearer, "\r\n") != NULL) {
			snprintf(resp->err, sizeof(resp->err),
			    "bearer token contains a line break");
			curl_slist_free_all(list);
			return -1;
		}
		line = xasprintf("Authorization: Bearer %s", req->bearer);
		l = curl_slist_append(list, line);
		/* Do not leave the token lying around in freed memory. */
		explicit_bzero(line, strlen(line));
		free(line);
		if (l == NULL)
			goto oom;
		list = l;
	}
	*out = list;
	return 0;
oom:
	fprintf(stderr, "kobito: out of memory (curl_slist_append)\n");
	abort();
}

/* Before each request of an attempt (the first and each redirect's). */
static int
prereq(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	struct attempt *a = arg;
	char *url = NULL;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	if (curl_easy_getinfo(a->curl, CURLINFO_EFFECTIVE_URL, &url) !=
	    CURLE_OK || url == NULL)
		return CURL_PREREQFUNC_ABORT;
	if (a->req->url_refused(a->req->arg, url, a->refused,
	    sizeof a->refused) != 0) {
		if (a->refused[0] == '\0')
			snprintf(a->refused, sizeof a->refused, "refused");
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

/* Configure the handle for one attempt. */
static void
setup(CURL *c, const struct http_request *req, const char *method,
    struct curl_slist *headers, struct attempt *a, long timeout_ms,
    char *errbuf)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kobito/1");
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req->no_redirects ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, req->no_verify_tls ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, req->no_verify_tls ? 0L : 2L);
	if (req->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
	/* Refuse an announced oversized body before reading it; a HEAD
	 * answer announces the size of a body it does not carry. */
	if (strcmp(method, "HEAD") != 0)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
		    (curl_off_t)a->resp->body.cap);
	if (req->url_refused != NULL && !req->no_redirects) {
		a->curl = c;
		curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, prereq);
		curl_easy_setopt(c, CURLOPT_PREREQDATA, a);
	}
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, a);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (req->user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    req->password ? req->password : "");
	}

	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (req->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
}

static enum http_error
classify(CURLcode rc, const struct attempt *a)
{
	size_t i;

	if (a->refused[0] != '\0')
		return HTTP_ERR_USAGE;
	if (a->too_big || a->headers_too_big)
		return HTTP_ERR_TOO_BIG;
	if (a->cancelled)
		return HTTP_ERR_CANCELLED;
	for (i = 0; i < sizeof(curl_errors) / sizeof(curl_errors[0]); i++)
		if (curl_errors[i].code == rc)
			return curl_errors[i].kind;
	return HTTP_ERR_TRANSFER;
}

static int
permanent(CURLcode rc)
{
	size_t i;

	for (i = 0; i < sizeof(permanent_errors) / sizeof(permanent_errors[0]); i++)
		if (permanent_errors[i] == rc)
			return 1;
	return 0;
}

/* Whether the outcome of an attempt allows another, by the header's rule. */
static int
retryable(const struct http_request *req, const char *method,
    const struct http_response *resp, CURLcode rc, int sent)
{
	int free_retry = req->retry_post || http_method_idempotent(method);

	if (resp->error == HTTP_OK) {
		if (resp->status < 500 || resp->status > 599)
			return 0;
		return free_retry || resp->status == 502 ||
		    resp->status == 503 || resp->status == 504;
	}
	switch (resp->error) {
	case HTTP_ERR_CONNECT:
		return 1;
	case HTTP_ERR_TIMEOUT:
	case HTTP_ERR_TRANSFER:
		return !permanent(rc) && (free_retry || !sent);
	default:
		return 0;
	}
}

/* Sleep ms milliseconds in short slices; -1 when cancelled meanwhile. */
static int
wait_ms(const struct http_request *req, int64_t ms)
{
	int64_t until = http_now_ms() + ms;

	for (;;) {
		int64_t left = until - http_now_ms();
		struct timespec ts;

		if (req->cancelled != NULL && req->cancelled(req->arg))
			return -1;
		if (left <= 0)
			return 0;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* Message for a failed attempt, in lower case; never a header or body. */
static void
describe(struct http_response *resp, CURLcode rc, const char *errbuf,
    const struct attempt *a, long os_errno)
{
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);

	if (a->refused[0] != '\0') {
		snprintf(resp->err, sizeof(resp->err), "%s", a->refused);
		return;
	}
	switch (resp->error) {
	case HTTP_ERR_TOO_BIG:
		if (a->headers_too_big)
			snprintf(resp->err, sizeof(resp->err),
			    "response headers larger than %u bytes",
			    HTTP_MAX_HEADER_BYTES);
		else
			snprintf(resp->err, sizeof(resp->err),
			    "response body larger than %zu bytes",
			    resp->body.cap);
		break;
	case HTTP_ERR_CANCELLED:
		snprintf(resp->err, sizeof(resp->err), "cancelled");
		break;
	case HTTP_ERR_TIMEOUT:
		snprintf(resp->err, sizeof(resp->err), "timed out (%.*s)",
		    text_utf8_prefix(why, 200), why);
		break;
	case HTTP_ERR_CONNECT:
		/* libcurl's text hides the reason ("Couldn't connect to
		 * server"); the system's error says it ("Connection refused"). */
		if (rc == CURLE_COULDNT_CONNECT && os_errno != 0)
			snprintf(resp->err, sizeof(resp->err),
			    "cannot connect: %s", strerror((int)os_errno));
		else
			snprintf(resp->err, sizeof(resp->err),
			    "cannot connect: %.*s", text_utf8_prefix(why, 200),
			    why);
		break;
	default:
		snprintf(resp->err, sizeof(resp->err), "%.*s",
		    text_utf8_prefix(why, 240), why);
		break;
	}
}

int
http_send(struct http_client *client, const struct http_request *req,
    struct http_response *resp)
{
	struct http_client *own = NULL;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE], method[40];
	const char *m = req->method ? req->method : "GET";
	char *shown = NULL;
	int64_t start = http_now_ms(), wait = 0;
	double delay;
	int attempts, n, i, result = -1;

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, req->max_body ? req->max_body :
	    HTTP_DEFAULT_MAX_BODY);
	resp->error = HTTP_ERR_USAGE;

	if (req->url == NULL || *req->url == '\0') {
		snprintf(resp->err, sizeof(resp->err), "no URL given");
		return -1;
	}
	if (!valid_method(m)) {
		snprintf(resp->err, sizeof(resp->err),
		    "\"%.*s\" is not an HTTP method", text_utf8_prefix(m, 40),
		    m);
		return -1;
	}
	for (i = 0; m[i] != '\0'; i++)
		method[i] = (char)toupper((unsigned char)m[i]);
	method[i] = '\0';
	if (req->url_refused != NULL && req->url_refused(req->arg, req->url,
	    resp->err, sizeof(resp->err)) != 0)
		return -1;
	if (build_headers(req, &headers, resp) != 0)
		return -1;
	if (client == NULL)
		client = own = http_client_new();
	shown = http_url_redact(req->url);

	attempts = req->attempts > 0 ? req->attempts : HTTP_DEFAULT_ATTEMPTS;
	delay = req->delay_ms > 0 ? (double)req->delay_ms :
	    req->delay_ms < 0 ? 0.0 : (double)HTTP_DEFAULT_DELAY_MS;

	for (n = 1; ; n++) {
		struct attempt a = { .req = req, .resp = resp,
		    .retry_after_ms = -1 };
		long timeout = req->timeout_ms > 0 ? req->timeout_ms :
		    HTTP_DEFAULT_TIMEOUT_MS;
		long request_size = 0;
		int64_t t0;
		CURLcode rc;

		if (req->deadline_ms > 0) {
			int64_t left = req->deadline_ms - http_now_ms();

			if (left <= 0) {
				resp->error = HTTP_ERR_TIMEOUT;
				snprintf(resp->err, sizeof(resp->err),
				    "no time left before the deadline");
				break;
			}
			if (left < timeout)
				timeout = (long)left;
		}
		resp->status = 0;
		resp->reason[0] = '\0';
		resp->error = HTTP_OK;
		resp->err[0] = '\0';
		headers_clear(resp);
		buf_reset(&resp->body);
		errbuf[0] = '\0';

		setup(client->curl, req, method, headers, &a, timeout, errbuf);
		t0 = http_now_ms();
		rc = curl_easy_perform(client->curl);
		resp->attempts = n;
		curl_easy_getinfo(client->curl, CURLINFO_REQUEST_SIZE,
		    &request_size);
		if (rc == CURLE_OK && !a.too_big && !a.headers_too_big) {
			curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE,
			    &resp->status);
			/* The standard phrase, so that messages do not vary
			 * with the server; the server's for unknown codes. */
			if (http_reason(resp->status)[0] != '\0')
				snprintf(resp->reason, sizeof(resp->reason),
				    "%s", http_reason(resp->status));
		} else {
			resp->status = 0;
			long os_errno = 0;

			curl_easy_getinfo(client->curl, CURLINFO_OS_ERRNO,
			    &os_errno);
			resp->error = classify(rc, &a);
			describe(resp, rc, errbuf, &a, os_errno);
		}

		wait = -1;
		if (n < attempts && retryable(req, method, resp, rc,
		    request_size > 0)) {
			double w = delay * pow(req->backoff >= 1.0 ?
			    req->backoff : HTTP_DEFAULT_BACKOFF, n - 1);

			if (w > 3600000.0)
				w = 3600000.0;
			wait = (int64_t)w;
			if (a.retry_after_ms > wait)
				wait = a.retry_after_ms;
			if (req->deadline_ms > 0 &&
			    http_now_ms() + wait >= req->deadline_ms)
				wait = -2;	/* no time for another try */
		}

		{
			char what[300], tail[80] = "";
			int64_t took = http_now_ms() - t0;

			if (resp->error == HTTP_OK)
				snprintf(what, sizeof(what), "%ld", resp->status);
			else
				snprintf(what, sizeof(what), "%s", resp->err);
			if (wait >= 0)
				snprintf(tail, sizeof(tail),
				    ", attempt %d/%d; retrying in %lld ms", n,
				    attempts, (long long)wait);
			else if (wait == -2)
				snprintf(tail, sizeof(tail),
				    ", attempt %d/%d; no time left to retry",
				    n, attempts);
			else if (n > 1)
				snprintf(tail, sizeof(tail), ", attempt %d/%d",
				    n, attempts);
			logf_(req, "%s %s -> %s (%lld ms)%s", method, shown,
			    what, (long long)took, tail);
		}

		if (wait < 0)
			break;
		if (wait_ms(req, wait) != 0) {
			resp->error = HTTP_ERR_CANCELLED;
			snprintf(resp->err, sizeof(resp->err),
			    "cancelled while waiting to retry");
			break;
		}
	}

	if (resp->error == HTTP_OK) {
		result = 0;
	} else if (resp->attempts > 1 && resp->error != HTTP_ERR_CANCELLED) {
		char tmp[sizeof(resp->err)];

		snprintf(tmp, sizeof(tmp), "%s", resp->err);
		snprintf(resp->err, sizeof(resp->err), "%.*s (after %d attempts)",
		    text_utf8_prefix(tmp, 200), tmp, resp->attempts);
	}
	resp->duration_ms = http_now_ms() - start;
	curl_slist_free_all(headers);
	/* Drop the handle's pointers into our stack before returning. */
	curl_easy_setopt(client->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(client->curl, CURLOPT_ERRORBUFFER, NULL);
	http_client_free(own);
	free(shown);
	return result;
}
