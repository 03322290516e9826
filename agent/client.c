/*
 * client.c - the scheduler API client: JSON over common/http.h.
 *
 * Deliberately thin: paths, methods and bodies are the callers' (they follow
 * docs/api.md); this file adds the base URL, the token, the JSON encoding
 * both ways and error messages people can read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "fsutil.h"
#include "http.h"
#include "textutil.h"
#include "xmalloc.h"

struct client {
	char			*base;
	char			*token;
	char			*ca_file;	/* or NULL */
	struct http_client	*http;
	int			(*cancelled)(void *);
	void			*cancel_arg;
};

struct client *
client_new(const char *base_url, const char *token)
{
	struct client *c = xcalloc(1, sizeof *c);
	size_t n = strlen(base_url);

	while (n > 0 && base_url[n - 1] == '/')
		n--;
	c->base = xstrndup(base_url, n);
	c->token = token ? xstrdup(token) : NULL;
	c->http = http_client_new();
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	http_client_free(c->http);
	free(c->base);
	free(c->ca_file);
	if (c->token != NULL) {
		/* Do not leave the token in freed memory. */
		memset(c->token, 0, strlen(c->token));
		free(c->token);
	}
	free(c);
}

void
client_set_ca_file(struct client *c, const char *path)
{
	free(c->ca_file);
	c->ca_file = path ? xstrdup(path) : NULL;
}

void
client_set_cancel(struct client *c, int (*fn)(void *), void *arg)
{
	c->cancelled = fn;
	c->cancel_arg = arg;
}

int
client_send(struct client *c, const char *method, const char *path,
    const char *content_type, const void *data, size_t len, long timeout_ms,
    int attempts, struct client_reply *rep)
{
	struct http_request req = { 0 };
	struct http_response resp;
	const char *headers[3];
	char *url, *ct = NULL;
	json_error_t je;
	int rc;

	memset(rep, 0, sizeof *rep);
	url = xasprintf("%s%s", c->base, path);
	headers[0] = "Accept: application/json";
	headers[1] = NULL;
	if (data != NULL) {
		ct = xasprintf("Content-Type: %s", content_type);
		headers[1] = ct;
	}
	headers[2] = NULL;
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = data;
	req.body_len = len;
	req.bearer = c->token;
	req.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;
	req.attempts = attempts > 0 ? attempts : 1;
	req.delay_ms = 200;
	req.max_body = CLIENT_MAX_BODY;
	req.no_redirects = 1;
	req.cancelled = c->cancelled;
	req.arg = c->cancel_arg;
	req.ca_file = c->ca_file;
	rc = http_send(c->http, &req, &resp);
	rep->duration_ms = resp.duration_ms;
	if (rc != 0) {
		snprintf(rep->err, sizeof rep->err, "%s", resp.err);
		http_response_free(&resp);
		free(url);
		free(ct);
		return -1;
	}
	rep->status = resp.status;
	if (resp.body.len > 0) {
		rep->text_len = resp.body.len;
		rep->text = buf_detach(&resp.body, NULL);
		rep->body = json_loadb(rep->text, rep->text_len, 0, &je);
	}
	http_response_free(&resp);
	free(url);
	free(ct);
	return 0;
}

int
client_call(struct client *c, const char *method, const char *path,
    const json_t *body, long timeout_ms, int attempts,
    struct client_reply *rep)
{
	char *text = NULL;
	int rc;

	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		memset(rep, 0, sizeof *rep);
		snprintf(rep->err, sizeof rep->err, "cannot encode the "
		    "request body as JSON");
		return -1;
	}
	rc = client_send(c, method, path, "application/json", text,
	    text ? strlen(text) : 0, timeout_ms, attempts, rep);
	free(text);
	return rc;
}

void
client_reply_free(struct client_reply *rep)
{
	json_decref(rep->body);
	free(rep->text);
	rep->body = NULL;
	rep->text = NULL;
}

const char *
client_reply_error(const struct client_reply *rep, char *buf, size_t len)
{
	const char *msg = NULL, *reason;
	json_t *e;

	if (rep->status == 0) {
		snprintf(buf, len, "no response: %s", rep->err);
		return buf;
	}
	/* {"error": "text"} or {"error": {"message": "text"}}. */
	e = json_object_get(rep->body, "error");
	if (json_is_string(e))
		msg = json_string_value(e);
	else if (json_is_object(e))
		msg = json_string_value(json_object_get(e, "message"));
	if (msg == NULL)
		msg = json_string_value(json_object_get(rep->body, "message"));
	reason = http_reason(rep->status);
	if (msg != NULL)
		snprintf(buf, len, "%ld %s: %s", rep->status, reason, msg);
	else if (rep->text != NULL && rep->body == NULL)
		snprintf(buf, len, "%ld %s: %.*s", rep->status, reason,
		    text_utf8_prefix(rep->text, 200), rep->text);
	else
		snprintf(buf, len, "%ld %s", rep->status, reason);
	text_utf8_trim_partial(buf);
	return buf;
}

char *
client_read_token(const char *path, char *err, size_t errlen)
{
	char *data, *s, *e;
	size_t len;

	if (fsutil_read(path, 64 * 1024, &data, &len, err, errlen) != 0)
		return NULL;
	s = data;
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	e = s + strcspn(s, "\r\n");
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e == s) {
		snprintf(err, errlen, "'%s' holds no token", path);
		memset(data, 0, len);
		free(data);
		return NULL;
	}
	s = xstrndup(s, (size_t)(e - s));
	memset(data, 0, len);
	free(data);
	return s;
}

char *
client_path(const char *path, const char *const *nv)
{
	struct buf q;
	char *out;

	buf_init(&q, 64 * 1024);
	for (; nv[0] != NULL; nv += 2) {
		if (nv[1] != NULL)
			http_form_append(&q, nv[0], nv[1]);
	}
	out = q.len > 0 ? xasprintf("%s%s%s", path, strchr(path, '?') ?
	    "&" : "?", buf_str(&q)) : xstrdup(path);
	buf_free(&q);
	return out;
}
