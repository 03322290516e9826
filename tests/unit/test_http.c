/*
 * test_http.c - the HTTP client (common/http.c) and the http.request action
 * (agent/act_http.c) against a real libmicrohttpd server on loopback.
 *
 * The server below is started once with a thread per connection, on a port
 * the kernel picks, and answers by path: /ok, /echo, /status/NNN,
 * /flaky?n=K (503 for the first K hits), /slow, /drop (closes without an
 * answer), /big?n=N, /chunked?n=N, /manyheaders, /redirect, /retry-after,
 * /latin1.  It counts hits per path, so retry counts are checked on the
 * server's side as well as the client's.
 *
 * The action is driven through a small stand-in for the run context: the
 * act_* functions are defined here (the test binary links these instead of
 * the engine's), recording log lines and secrets so the tests can assert
 * what was logged and masked.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <microhttpd.h>

#include "action.h"
#include "buf.h"
#include "http.h"
#include "policy.h"
#include "xmalloc.h"

extern const struct action http_actions[];

/* ---- the test server ------------------------------------------------ */

#define MAX_PATHS	32

struct server {
	struct MHD_Daemon	*d;
	unsigned		 port;
	pthread_mutex_t		 mu;
	struct {
		char	path[64];
		int	hits;
	}			 counts[MAX_PATHS];
};

static struct server srv = { .mu = PTHREAD_MUTEX_INITIALIZER };

struct sreq {
	struct buf	body;
};

static void
count_hit(const char *path)
{
	int i;

	pthread_mutex_lock(&srv.mu);
	for (i = 0; i < MAX_PATHS; i++) {
		if (srv.counts[i].path[0] == '\0')
			snprintf(srv.counts[i].path, sizeof(srv.counts[i].path),
			    "%s", path);
		if (strcmp(srv.counts[i].path, path) == 0) {
			srv.counts[i].hits++;
			break;
		}
	}
	pthread_mutex_unlock(&srv.mu);
}

static int
hits(const char *path)
{
	int i, n = 0;

	pthread_mutex_lock(&srv.mu);
	for (i = 0; i < MAX_PATHS; i++)
		if (strcmp(srv.counts[i].path, path) == 0)
			n = srv.counts[i].hits;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

static void
reset_hits(void)
{
	pthread_mutex_lock(&srv.mu);
	memset(srv.counts, 0, sizeof(srv.counts));
	pthread_mutex_unlock(&srv.mu);
}

static long
arg_long(struct MHD_Connection *c, const char *name, long def)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    name);

	return v ? strtol(v, NULL, 10) : def;
}

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *ctype,
    const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *copy = xmalloc(len + 1);

	memcpy(copy, body, len);
	r = MHD_create_response_from_buffer_with_free_callback(len, copy, free);
	if (ctype != NULL)
		MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	json_t *obj = cls, *prev;

	(void)kind;
	if (value == NULL)
		value = "";
	prev = json_object_get(obj, key);
	if (prev == NULL)
		json_object_set_new(obj, key, json_string(value));
	else if (json_is_array(prev))
		json_array_append_new(prev, json_string(value));
	else
		json_object_set_new(obj, key, json_pack("[O,s]", prev, value));
	return MHD_YES;
}

/* /echo: the request as JSON {method, headers (lower-case), args, body}. */
static enum MHD_Result
echo(struct MHD_Connection *c, const char *method, struct sreq *q)
{
	json_t *headers = json_object(), *lower = json_object(), *args, *v;
	const char *k;
	enum MHD_Result ret;
	char *text;

	MHD_get_connection_values(c, MHD_HEADER_KIND, collect, headers);
	json_object_foreach(headers, k, v) {
		char name[128];
		size_t i;

		for (i = 0; k[i] != '\0' && i + 1 < sizeof(name); i++)
			name[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ?
			    k[i] + 32 : k[i]);
		name[i] = '\0';
		json_object_set(lower, name, v);
	}
	json_decref(headers);
	args = json_object();
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, args);
	v = json_pack("{s:s,s:o,s:o,s:s%}", "method", method, "headers", lower,
	    "args", args, "body", buf_str(&q->body), q->body.len);
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	ret = answer(c, 200, "application/json", text, strlen(text));
	free(text);
	return ret;
}

struct chunked {
	size_t	left;
};

static ssize_t
chunk_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct chunked *ch = cls;
	size_t n = ch->left < max ? ch->left : max;

	(void)pos;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > 500)
		n = 500;
	memset(buf, 'c', n);
	ch->left -= n;
	return (ssize_t)n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static enum MHD_Result
serve(struct MHD_Connection *c, const char *url, const char *method,
    struct sreq *q)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char tmp[512];

	if (strcmp(url, "/ok") == 0) {
		static const char body[] = "{\"hello\":\"世界\"}";

		r = MHD_create_response_from_buffer_with_free_callback(
		    strlen(body), xstrdup(body), free);
		MHD_add_response_header(r, "Content-Type",
		    "application/json; charset=utf-8");
		MHD_add_response_header(r, "X-Multi", "a");
		MHD_add_response_header(r, "X-Multi", "b");
		MHD_add_response_header(r, "X-Spaced", "  padded value  ");
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/echo") == 0)
		return echo(c, method, q);
	if (strncmp(url, "/status/", 8) == 0) {
		long st = strtol(url + 8, NULL, 10), len = arg_long(c, "len", 0);

		if (len > 0) {
			char *body = xmalloc((size_t)len);

			for (long i = 0; i < len; i++)
				body[i] = (char)('a' + i % 26);
			ret = answer(c, (unsigned)st, "text/plain", body,
			    (size_t)len);
			free(body);
			return ret;
		}
		snprintf(tmp, sizeof(tmp), "{\"error\":\"amount must be a "
		    "positive integer\",\n  \"field\":\"amount\",\"status\":%ld}",
		    st);
		return answer(c, (unsigned)st, "application/json", tmp,
		    strlen(tmp));
	}
	if (strcmp(url, "/flaky") == 0) {
		if (hits(url) <= arg_long(c, "n", 0))
			return answer(c, 503, "application/json",
			    "{\"error\":\"down\"}", 16);
		return answer(c, 200, "text/plain", "up", 2);
	}
	if (strcmp(url, "/retry-after") == 0) {
		if (hits(url) == 1) {
			r = MHD_create_response_from_buffer_with_free_callback(
			    4, xstrdup("down"), free);
			MHD_add_response_header(r, "Retry-After", "1");
			ret = MHD_queue_response(c, 503, r);
			MHD_destroy_response(r);
			return ret;
		}
		return answer(c, 200, "text/plain", "up", 2);
	}
	if (strcmp(url, "/slow") == 0) {
		sleep_ms(arg_long(c, "ms", 1500));
		return answer(c, 200, "text/plain", "late", 4);
	}
	if (strcmp(url, "/drop") == 0)
		return MHD_NO;
	if (strcmp(url, "/big") == 0) {
		long n = arg_long(c, "n", 0);
		char *body = xmalloc((size_t)n + 1);

		memset(body, 'b', (size_t)n);
		ret = answer(c, 200, "text/plain", body, (size_t)n);
		free(body);
		return ret;
	}
	if (strcmp(url, "/chunked") == 0) {
		struct chunked *ch = xmalloc(sizeof(*ch));

		ch->left = (size_t)arg_long(c, "n", 0);
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
		    chunk_reader, ch, free);
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/manyheaders") == 0) {
		char name[32], value[1001];
		int i;

		memset(value, 'h', 1000);
		value[1000] = '\0';
		r = MHD_create_response_from_buffer_with_free_callback(2,
		    xstrdup("ok"), free);
		for (i = 0; i < 80; i++) {
			snprintf(name, sizeof(name), "X-Filler-%d", i);
			MHD_add_response_header(r, name, value);
		}
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/redirect-away") == 0) {
		/* The same server under another name. */
		char *to = xasprintf("http://localhost:%u/ok", srv.port);

		r = MHD_create_response_from_buffer_with_free_callback(0,
		    xstrdup(""), free);
		MHD_add_response_header(r, "Location", to);
		free(to);
		ret = MHD_queue_response(c, 302, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/redirect") == 0) {
		r = MHD_create_response_from_buffer_with_free_callback(0,
		    xstrdup(""), free);
		MHD_add_response_header(r, "Location", "/ok");
		ret = MHD_queue_response(c, 302, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/latin1") == 0)
		return answer(c, 200, "text/plain; charset=iso-8859-1",
		    "caf\xe9 ok", 8);
	return answer(c, 404, "application/json", "{\"error\":\"no\"}", 14);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct sreq *q = *con_cls;

	(void)cls; (void)version;
	if (q == NULL) {
		q = xcalloc(1, sizeof(*q));
		buf_init(&q->body, 1024 * 1024);
		*con_cls = q;
		count_hit(url);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		buf_append(&q->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return serve(c, url, method, q);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct sreq *q = *con_cls;

	(void)cls; (void)c; (void)toe;
	if (q != NULL) {
		buf_free(&q->body);
		free(q);
	}
	*con_cls = NULL;
}

static int
server_start(void **state)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;

	(void)state;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(512 * 1024),
	    MHD_OPTION_END);
	if (srv.d == NULL)
		return -1;
	info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	srv.port = info->port;
	return 0;
}

static int
server_stop(void **state)
{
	(void)state;
	MHD_stop_daemon(srv.d);
	return 0;
}

static char *
url_for(const char *path)
{
	return xasprintf("http://127.0.0.1:%u%s", srv.port, path);
}

/* ---- client-side helpers -------------------------------------------- */

struct logs {
	char	*lines[32];
	int	 n;
};

static void
log_collect(void *arg, const char *line)
{
	struct logs *l = arg;

	assert_true(l->n < 32);
	l->lines[l->n++] = xstrdup(line);
}

static void
logs_free(struct logs *l)
{
	while (l->n > 0)
		free(l->lines[--l->n]);
}

static int
setup(void **state)
{
	(void)state;
	reset_hits();
	return 0;
}

/* A request to path with logging into l and short retry delays. */
static struct http_request
request(const char *method, const char *url, struct logs *l)
{
	struct http_request r = { 0 };

	r.method = method;
	r.url = url;
	r.delay_ms = 20;
	r.log = log_collect;
	r.arg = l;
	return r;
}

static void
test_get_headers_and_body(void **state)
{
	struct logs l = { 0 };
	char *url = url_for("/ok");
	struct http_request r = request(NULL, url, &l);
	struct http_response resp;
	char prefix[128];

	(void)state;
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.reason, "OK");
	assert_int_equal(resp.error, HTTP_OK);
	assert_int_equal(resp.attempts, 1);
	assert_string_equal(buf_str(&resp.body), "{\"hello\":\"世界\"}");
	assert_string_equal(http_response_header(&resp, "x-multi"), "a, b");
	assert_string_equal(http_response_header(&resp, "X-MULTI"), "a, b");
	assert_string_equal(http_response_header(&resp, "x-spaced"),
	    "padded value");
	assert_null(http_response_header(&resp, "x-absent"));
	assert_true(http_response_is_json(&resp));
	for (size_t i = 0; i < resp.nheaders; i++)
		for (const char *p = resp.headers[i].name; *p; p++)
			assert_false(*p >= 'A' && *p <= 'Z');
	assert_int_equal(l.n, 1);
	snprintf(prefix, sizeof(prefix), "GET %s -> 200 (", url);
	assert_memory_equal(l.lines[0], prefix, strlen(prefix));
	assert_non_null(strstr(l.lines[0], " ms)"));
	assert_null(strstr(l.lines[0], "attempt"));
	assert_int_equal(hits("/ok"), 1);
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

static void
test_retry_backoff_until_success(void **state)
{
	struct logs l = { 0 };
	char *url = url_for("/flaky?n=2");
	struct http_request r = request("GET", url, &l);
	struct http_response resp;

	(void)state;
	r.delay_ms = 60;
	r.backoff = 2.0;
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(hits("/flaky"), 3);
	/* Waits of 60 then 120 ms. */
	assert_true(resp.duration_ms >= 180);
	assert_true(resp.duration_ms < 2000);
	assert_int_equal(l.n, 3);
	assert_non_null(strstr(l.lines[0], "-> 503 ("));
	assert_non_null(strstr(l.lines[0], "attempt 1/3; retrying in 60 ms"));
	assert_non_null(strstr(l.lines[1], "attempt 2/3; retrying in 120 ms"));
	assert_non_null(strstr(l.lines[2], "-> 200 ("));
	assert_non_null(strstr(l.lines[2], "attempt 3/3"));
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

static void
test_retry_gives_up_with_last_status(void **state)
{
	struct logs l = { 0 };
	char *url = url_for("/flaky?n=100");
	struct http_request r = request("GET", url, &l);
	struct http_response resp;

	(void)state;
	r.attempts = 4;
	r.delay_ms = -1;	/* no wait at all */
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	assert_int_equal(resp.status, 503);
	assert_string_equal(resp.reason, "Service Unavailable");
	assert_int_equal(resp.attempts, 4);
	assert_int_equal(hits("/flaky"), 4);
	assert_int_equal(l.n, 4);
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

/* Attempts made for method on path, with the given retry_post. */
static int
attempts_for(const char *method, const char *path, int retry_post)
{
	struct logs l = { 0 };
	char *url = url_for(path);
	struct http_request r = request(method, url, &l);
	struct http_response resp;
	int n;

	r.retry_post = retry_post;
	r.delay_ms = -1;
	r.timeout_ms = 400;
	if (strcmp(method, "POST") == 0) {
		r.body = "{}";
		r.body_len = 2;
	}
	http_send(NULL, &r, &resp);
	n = resp.attempts;
	http_response_free(&resp);
	logs_free(&l);
	free(url);
	return n;
}

static void
test_post_retry_rule(void **state)
{
	(void)state;
	/* 500 may mean the server acted: POST is not repeated... */
	assert_int_equal(attempts_for("POST", "/status/500", 0), 1);
	assert_int_equal(hits("/status/500"), 1);
	/* ...unless the script says duplicates are harmless. */
	assert_int_equal(attempts_for("POST", "/status/500", 1), 3);
	/* GET, PUT and DELETE are idempotent: repeated on any 5xx. */
	assert_int_equal(attempts_for("GET", "/status/500", 0), 3);
	assert_int_equal(attempts_for("PUT", "/status/500", 0), 3);
	assert_int_equal(attempts_for("PATCH", "/status/500", 0), 1);
	/* 502/503/504 say the request was not handled: POST is repeated. */
	assert_int_equal(attempts_for("POST", "/status/502", 0), 3);
	assert_int_equal(attempts_for("POST", "/status/503", 0), 3);
	assert_int_equal(attempts_for("POST", "/status/504", 0), 3);
	assert_int_equal(hits("/status/503"), 3);
	/* 4xx is final for everyone. */
	assert_int_equal(attempts_for("GET", "/status/404", 0), 1);
	assert_int_equal(attempts_for("POST", "/status/422", 1), 1);
	/* A connection closed after the request was sent: only GET retries. */
	assert_int_equal(attempts_for("GET", "/drop", 0), 3);
	assert_int_equal(attempts_for("POST", "/drop", 0), 1);
	assert_int_equal(attempts_for("POST", "/drop", 1), 3);
	assert_int_equal(hits("/drop"), 7);
	/* A timeout after sending: GET retries, POST does not. */
	assert_int_equal(attempts_for("POST", "/slow?ms=1000", 0), 1);
	assert_int_equal(hits("/slow"), 1);
}

/* A loopback port nobody listens on. */
static unsigned
closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
test_connection_refused(void **state)
{
	struct logs l = { 0 };
	char *url = xasprintf("http://127.0.0.1:%u/api/invoices", closed_port());
	struct http_request r = request("POST", url, &l);
	struct http_response resp;

	(void)state;
	r.body = "{}";
	r.body_len = 2;
	/* Nothing was sent, so even POST is retried. */
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_CONNECT);
	assert_int_equal(resp.status, 0);
	assert_int_equal(resp.attempts, 3);
	assert_string_equal(resp.err,
	    "cannot connect: Connection refused (after 3 attempts)");
	assert_int_equal(l.n, 3);
	assert_non_null(strstr(l.lines[0], "POST http://127.0.0.1:"));
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

static void
test_timeout(void **state)
{
	struct logs l = { 0 };
	char *url = url_for("/slow?ms=1500");
	struct http_request r = request("GET", url, &l);
	struct http_response resp;

	(void)state;
	r.timeout_ms = 250;
	r.attempts = 2;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_TIMEOUT);
	assert_int_equal(resp.attempts, 2);
	assert_true(resp.duration_ms >= 500);
	assert_true(resp.duration_ms < 1400);
	assert_non_null(strstr(resp.err, "timed out"));
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

static void
test_deadline_caps_timeout_and_retries(void **state)
{
	struct logs l = { 0 };
	char *url = url_for("/slow?ms=1500");
	struct http_request r = request("GET", url, &l);
	struct http_response resp;

	(void)state;
	r.timeout_ms = 30000;
	r.attempts = 5;
	r.deadline_ms = http_now_ms() + 300;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_TIMEOUT);
	assert_int_equal(resp.attempts, 1);
	assert_true(resp.duration_ms >= 250);
	assert_true(resp.duration_ms < 1000);
	assert_int_equal(l.n, 1);
	assert_non_null(strstr(l.lines[0], "no time left to retry"));
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

static void
test_body_cap(void **state)
{
	struct logs l = { 0 };
	char *big = url_for("/big?n=100000"), *exact = url_for("/big?n=1000");
	char *chunked = url_for("/chunked?n=100000");
	struct http_request r = request("GET", big, &l);
	struct http_response resp;

	(void)state;
	r.max_body = 1000;
	/* Content-Length says too much: refused, and not retried. */
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_TOO_BIG);
	assert_int_equal(resp.attempts, 1);
	assert_string_equal(resp.err, "response body larger than 1000 bytes");
	assert_true(resp.body.len <= 1000);
	http_response_free(&resp);
	/* No length announced: the buffer's cap stops it. */
	r.url = chunked;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_TOO_BIG);
	assert_string_equal(resp.err, "response body larger than 1000 bytes");
	assert_true(resp.body.len <= 1000);
	http_response_free(&resp);
	/* Even when the very first piece is over the cap. */
	r.max_body = 100;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_string_equal(resp.err, "response body larger than 100 bytes");
	assert_int_equal(resp.body.len, 0);
	http_response_free(&resp);
	r.max_body = 1000;
	/* HEAD announces the length of a body it does not send: no limit. */
	r.method = "HEAD";
	r.url = big;
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(http_response_header(&resp, "content-length"),
	    "100000");
	http_response_free(&resp);
	r.method = "GET";
	/* Exactly at the cap is fine. */
	r.url = exact;
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	assert_int_equal(resp.body.len, 1000);
	http_response_free(&resp);
	logs_free(&l);
	free(big);
	free(exact);
	free(chunked);
}

static void
test_header_cap(void **state)
{
	struct logs l = { 0 };
	char *url = url_for("/manyheaders");
	struct http_request r = request("GET", url, &l);
	struct http_response resp;

	(void)state;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_TOO_BIG);
	assert_non_null(strstr(resp.err, "headers larger than"));
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

static int64_t cancel_at;

static int
cancel_after(void *arg)
{
	(void)arg;
	return http_now_ms() >= cancel_at;
}

static void
test_cancel(void **state)
{
	char *url = url_for("/slow?ms=1500");
	struct http_request r = { .url = url, .cancelled = cancel_after };
	struct http_response resp;

	(void)state;
	cancel_at = http_now_ms() + 200;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_CANCELLED);
	assert_int_equal(resp.attempts, 1);
	assert_true(resp.duration_ms < 1000);
	http_response_free(&resp);
	/* Also while waiting between attempts. */
	free(url);
	url = url_for("/flaky?n=100");
	r.url = url;
	r.delay_ms = 5000;
	cancel_at = http_now_ms() + 200;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_CANCELLED);
	assert_true(resp.duration_ms < 1000);
	http_response_free(&resp);
	free(url);
}

static void
test_retry_after(void **state)
{
	struct logs l = { 0 };
	char *url = url_for("/retry-after");
	struct http_request r = request("GET", url, &l);
	struct http_response resp;

	(void)state;
	r.delay_ms = 10;
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_true(resp.duration_ms >= 1000);
	assert_non_null(strstr(l.lines[0], "retrying in 1000 ms"));
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

static void
test_request_sent_as_given(void **state)
{
	static const char *const headers[] = { "X-Trace: 42",
	    "Content-Type: application/json", NULL };
	struct logs l = { 0 };
	char *url = url_for("/echo?a=1");
	struct http_request r = request("post", url, &l);
	struct http_response resp;
	json_t *echo;

	(void)state;
	r.headers = headers;
	r.body = "{\"vendor\":\"株式会社さくら\"}";
	r.body_len = strlen(r.body);
	r.bearer = "tok-SECRET-123";
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	echo = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	assert_non_null(echo);
	assert_string_equal(json_string_value(json_object_get(echo, "method")),
	    "POST");
	assert_string_equal(json_string_value(json_object_get(echo, "body")),
	    r.body);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "headers"), "authorization")), "Bearer tok-SECRET-123");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "headers"), "x-trace")), "42");
	assert_null(json_object_get(json_object_get(echo, "headers"), "expect"));
	json_decref(echo);
	/* The log names the request, never the token. */
	assert_int_equal(l.n, 1);
	assert_null(strstr(l.lines[0], "SECRET"));
	assert_null(strstr(l.lines[0], "uthorization"));
	http_response_free(&resp);
	logs_free(&l);

	/* Basic authentication, and user:password@ kept out of the log. */
	free(url);
	url = xasprintf("http://u:pw-SECRET@127.0.0.1:%u/echo", srv.port);
	r = request("GET", url, &l);
	r.user = "山田";
	r.password = "p@ss:SECRET";
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	echo = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "headers"), "authorization")),
	    "Basic 5bGx55SwOnBAc3M6U0VDUkVU");
	json_decref(echo);
	assert_null(strstr(l.lines[0], "SECRET"));
	assert_non_null(strstr(l.lines[0], "GET http://127.0.0.1:"));
	http_response_free(&resp);
	logs_free(&l);
	free(url);
}

static void
test_bad_requests_refused(void **state)
{
	static const char *const injected[] = {
	    "X-A: fine\r\nX-Evil: SECRET", NULL };
	char *url = url_for("/echo");
	struct http_request r = { .url = url, .headers = injected };
	struct http_response resp;

	(void)state;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_USAGE);
	assert_null(strstr(resp.err, "SECRET"));
	http_response_free(&resp);
	r.headers = NULL;
	r.method = "GE T";
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_USAGE);
	http_response_free(&resp);
	r.method = NULL;
	r.url = "file:///etc/passwd";
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_USAGE);
	assert_int_equal(resp.attempts, 1);
	http_response_free(&resp);
	assert_int_equal(hits("/echo"), 0);
	free(url);
}

static void
test_redirects(void **state)
{
	struct http_client *c = http_client_new();
	char *url = url_for("/redirect");
	struct http_request r = { .url = url };
	struct http_response resp;

	(void)state;
	assert_int_equal(http_send(c, &r, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(buf_str(&resp.body), "{\"hello\":\"世界\"}");
	http_response_free(&resp);
	r.no_redirects = 1;
	assert_int_equal(http_send(c, &r, &resp), 0);
	assert_int_equal(resp.status, 302);
	assert_string_equal(http_response_header(&resp, "location"), "/ok");
	http_response_free(&resp);
	http_client_free(c);
	free(url);
}

/* Read a whole small file into a new string; NULL when unreadable. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

/*
 * TLS: a server with a certificate made now (so that it is valid whatever
 * the clock says) for IP 127.0.0.1 only.  Verification is on by default,
 * its failure is not retried, and ca_file or no_verify_tls get through.
 */
static void
test_tls_verified_by_default(void **state)
{
	char dir[] = "/tmp/kobito-tls.XXXXXX", cmd[1024], *cert, *key, *url;
	char *ca, *byname;
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	struct http_request r = { .delay_ms = -1 };
	struct http_response resp;
	unsigned port;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -keyout %s/k.pem -out "
	    "%s/c.pem -days 2 -subj /CN=127.0.0.1 -addext "
	    "subjectAltName=IP:127.0.0.1 -addext "
	    "basicConstraints=critical,CA:TRUE >/dev/null 2>&1", dir, dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
		skip();		/* no openssl program to make a certificate */
	}
	ca = xasprintf("%s/c.pem", dir);
	cert = slurp(ca);
	snprintf(cmd, sizeof(cmd), "%s/k.pem", dir);
	key = slurp(cmd);
	assert_non_null(cert);
	assert_non_null(key);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0,
	    NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
	    MHD_OPTION_END);
	assert_non_null(d);
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	url = xasprintf("https://127.0.0.1:%u/ok", port);
	byname = xasprintf("https://localhost:%u/ok", port);

	/* An unknown issuer: refused, once, before any request is made. */
	r.url = url;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_TLS);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(hits("/ok"), 0);
	http_response_free(&resp);
	/* Trusted through ca_file. */
	r.ca_file = ca;
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(buf_str(&resp.body), "{\"hello\":\"世界\"}");
	http_response_free(&resp);
	/* Trusted, but not for that name: the host is checked too. */
	r.url = byname;
	assert_int_equal(http_send(NULL, &r, &resp), -1);
	assert_int_equal(resp.error, HTTP_ERR_TLS);
	http_response_free(&resp);
	/* Checks off: the caller's choice. */
	r.ca_file = NULL;
	r.url = url;
	r.no_verify_tls = 1;
	assert_int_equal(http_send(NULL, &r, &resp), 0);
	assert_int_equal(resp.status, 200);
	http_response_free(&resp);
	assert_int_equal(hits("/ok"), 2);

	MHD_stop_daemon(d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(url);
	free(byname);
	free(ca);
	free(cert);
	free(key);
}

static void
test_helpers(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	s = http_url_redact("https://user:pa@ss@example.jp:8443/p?q=a@b#f");
	assert_string_equal(s, "https://example.jp:8443/p?q=a@b#f");
	free(s);
	s = http_url_redact("http://example.jp/a@b");
	assert_string_equal(s, "http://example.jp/a@b");
	free(s);
	buf_init(&b, 0);
	assert_int_equal(http_form_append(&b, "name", "山田 太郎"), 0);
	assert_int_equal(http_form_append(&b, "q", "a&b=c+d~_.-"), 0);
	assert_string_equal(buf_str(&b), "name=%E5%B1%B1%E7%94%B0%20%E5%A4%AA"
	    "%E9%83%8E&q=a%26b%3Dc%2Bd~_.-");
	buf_free(&b);
	/* A full buffer is left as it was, not with half a pair. */
	buf_init(&b, 8);
	assert_int_equal(http_form_append(&b, "a", "1"), 0);
	assert_int_equal(http_form_append(&b, "bb", "2222"), -1);
	assert_string_equal(buf_str(&b), "a=1");
	buf_free(&b);
	assert_string_equal(http_reason(422), "Unprocessable Entity");
	assert_string_equal(http_reason(599), "");
	assert_true(http_method_idempotent("get"));
	assert_true(http_method_idempotent("DELETE"));
	assert_false(http_method_idempotent("POST"));
	assert_false(http_method_idempotent("PATCH"));
}

/* ---- a stand-in run context for the action ---------------------------- */

struct run {
	json_t		*secrets;	/* array of strings */
	struct logs	 logs;
	int		 dry_run;
	int64_t		 remaining;
	int		 cancel;
	void		*slot;
	void		(*slot_close)(void *);
	struct policy	*policy;
};

int
act_fail(struct act *act, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(act->err, sizeof(act->err), fmt, ap);
	va_end(ap);
	return -1;
}

json_t *
act_arg(struct act *act, const char *name)
{
	json_t *v = json_object_get(act->args, name);

	return json_is_null(v) ? NULL : v;	/* as the engine does */
}

const char *
act_str(struct act *act, const char *name, const char *def)
{
	json_t *v = act_arg(act, name);

	return json_is_string(v) ? json_string_value(v) : def;
}

long long
act_int(struct act *act, const char *name, long long def)
{
	json_t *v = act_arg(act, name);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

double
act_num(struct act *act, const char *name, double def)
{
	json_t *v = act_arg(act, name);

	return json_is_number(v) ? json_number_value(v) : def;
}

int
act_bool(struct act *act, const char *name, int def)
{
	json_t *v = act_arg(act, name);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

void
act_log(struct act *act, const char *fmt, ...)
{
	va_list ap;
	char line[2048];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_collect(&act->run->logs, line);
}

int64_t
act_remaining_ms(const struct act *act)
{
	return act->run->remaining;
}

int
act_cancelled(const struct act *act)
{
	return act->run->cancel;
}

int
act_dry_run(const struct act *act)
{
	return act->run->dry_run;
}

void
act_secret(struct act *act, const char *value)
{
	json_array_append_new(act->run->secrets, json_string(value));
}

/* The engine binds secrets to destinations; these tests have none bound. */
int
act_send_ok(struct act *act, const char *url, const char *const *parts,
    size_t nparts)
{
	(void)act;
	(void)url;
	(void)parts;
	(void)nparts;
	return 0;
}

/* The recorded secrets replaced by "***", as the engine's mask does. */
char *
act_masked(struct act *act, const char *text)
{
	char *out = xstrdup(text), *hit, *next;
	json_t *v;
	size_t i;

	json_array_foreach(act->run->secrets, i, v) {
		const char *sv = json_string_value(v);

		while (*sv != '\0' && (hit = strstr(out, sv)) != NULL) {
			*hit = '\0';
			next = xasprintf("%s***%s", out, hit + strlen(sv));
			free(out);
			out = next;
		}
	}
	return out;
}

int
act_allow_url(struct act *act, const char *url)
{
	char err[512];

	if (policy_url(act->run->policy, url, err, sizeof(err)) != 0)
		return act_fail(act, "%s", err);
	return 0;
}

void *
act_slot(struct act *act, const char *key, void *(*open)(struct act *),
    void (*close_fn)(void *))
{
	assert_string_equal(key, "http.client");
	if (act->run->slot == NULL) {
		act->run->slot = open(act);
		act->run->slot_close = close_fn;
	}
	return act->run->slot;
}

static struct run the_run;

static int
run_setup(void **state)
{
	(void)state;
	reset_hits();
	memset(&the_run, 0, sizeof(the_run));
	the_run.secrets = json_array();
	the_run.remaining = INT64_MAX;
	return 0;
}

static int
run_teardown(void **state)
{
	(void)state;
	json_decref(the_run.secrets);
	logs_free(&the_run.logs);
	if (the_run.slot != NULL)
		the_run.slot_close(the_run.slot);
	return 0;
}

/* Run http.request with args given as JSON text (with %u for the port). */
static int
run_action(struct act *act, const char *args_fmt)
{
	char text[2048];
	json_error_t jerr;
	int rc;

	assert_string_equal(http_actions[0].name, "http.request");
	assert_null(http_actions[1].name);
	snprintf(text, sizeof(text), args_fmt, srv.port);
	memset(act, 0, sizeof(*act));
	act->run = &the_run;
	act->action = &http_actions[0];
	act->args = json_loads(text, 0, &jerr);
	if (act->args == NULL)
		fail_msg("bad test args: %s: %s", text, jerr.text);
	rc = act->action->run(act);
	json_decref(act->args);
	return rc;
}

static int
secret_registered(const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(the_run.secrets, i, v)
		if (strcmp(json_string_value(v), value) == 0)
			return 1;
	return 0;
}

static void
test_action_post_json(void **state)
{
	struct act act;
	json_t *echo, *sent, *want;
	char prefix[128];

	(void)state;
	assert_int_equal(run_action(&act, "{\"method\": \"POST\", "
	    "\"url\": \"http://127.0.0.1:%u/echo\", "
	    "\"auth\": {\"bearer\": \"tok-SECRET\"}, "
	    "\"query\": {\"q\": \"請求 書\", \"n\": [1, 2.5], \"skip\": null}, "
	    "\"json\": {\"vendor\": \"株式会社さくら\", \"amount\": 1200}}"), 0);
	assert_non_null(act.out);
	assert_int_equal(json_integer_value(json_object_get(act.out, "status")),
	    200);
	assert_int_equal(json_integer_value(json_object_get(act.out,
	    "attempts")), 1);
	assert_true(json_is_integer(json_object_get(act.out, "duration_ms")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    act.out, "headers"), "content-type")), "application/json");
	echo = json_object_get(act.out, "json");
	assert_true(json_is_object(echo));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "headers"), "content-type")), "application/json");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "args"), "q")), "請求 書");
	assert_int_equal(json_array_size(json_object_get(json_object_get(echo,
	    "args"), "n")), 2);
	assert_null(json_object_get(json_object_get(echo, "args"), "skip"));
	sent = json_loads(json_string_value(json_object_get(echo, "body")), 0,
	    NULL);
	want = json_pack("{s:s,s:i}", "vendor", "株式会社さくら", "amount", 1200);
	assert_true(json_equal(sent, want));
	json_decref(want);
	json_decref(sent);
	assert_true(secret_registered("tok-SECRET"));
	assert_int_equal(the_run.logs.n, 1);
	snprintf(prefix, sizeof(prefix), "POST http://127.0.0.1:%u/echo?q=",
	    srv.port);
	assert_memory_equal(the_run.logs.lines[0], prefix, strlen(prefix));
	assert_non_null(strstr(the_run.logs.lines[0], "-> 200 ("));
	assert_null(strstr(the_run.logs.lines[0], "SECRET"));
	json_decref(act.out);
}

static void
test_action_status_fails_step(void **state)
{
	struct act act;
	char expect[512];

	(void)state;
	assert_int_equal(run_action(&act, "{\"method\": \"post\", "
	    "\"url\": \"http://127.0.0.1:%u/status/422\", \"json\": {}}"), -1);
	snprintf(expect, sizeof(expect), "POST http://127.0.0.1:%u/status/422: "
	    "422 Unprocessable Entity: {\"error\":\"amount must be a positive "
	    "integer\", \"field\":\"amount\",\"status\":422}", srv.port);
	assert_string_equal(act.err, expect);
	assert_null(act.out);
	/* Long bodies are cut at 200 characters. */
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/status/500?len=1000\", "
	    "\"retry\": {\"attempts\": 1}}"), -1);
	assert_non_null(strstr(act.err, ": 500 Internal Server Error: abcdef"));
	assert_int_equal(strlen(strstr(act.err, "abcdef")), 203);
	assert_string_equal(act.err + strlen(act.err) - 3, "...");
	/* fail_on_status: false hands the status to the script. */
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/status/404\", \"fail_on_status\": false}"), 0);
	assert_int_equal(json_integer_value(json_object_get(act.out, "status")),
	    404);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    act.out, "json"), "field")), "amount");
	json_decref(act.out);
}

static void
test_action_form_and_basic(void **state)
{
	struct act act;
	json_t *echo;

	(void)state;
	assert_int_equal(run_action(&act, "{\"method\": \"PUT\", "
	    "\"url\": \"http://127.0.0.1:%u/echo?x=1#frag\", "
	    "\"query\": {\"y\": true}, "
	    "\"headers\": {\"X-Api-Key\": \"key-SECRET\", \"X-Plain\": 7}, "
	    "\"auth\": {\"basic\": {\"user\": \"kobito\", "
	    "\"password\": \"pw-SECRET\"}}, "
	    "\"form\": {\"name\": \"山田 太郎\", \"n\": 3}}"), 0);
	echo = json_object_get(act.out, "json");
	assert_string_equal(json_string_value(json_object_get(echo, "method")),
	    "PUT");
	assert_string_equal(json_string_value(json_object_get(echo, "body")),
	    "name=%E5%B1%B1%E7%94%B0%20%E5%A4%AA%E9%83%8E&n=3");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "headers"), "content-type")),
	    "application/x-www-form-urlencoded");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "headers"), "x-plain")), "7");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "args"), "x")), "1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    echo, "args"), "y")), "true");
	assert_true(secret_registered("pw-SECRET"));
	assert_true(secret_registered("key-SECRET"));
	assert_false(secret_registered("7"));
	json_decref(act.out);
}

static void
test_action_argument_errors(void **state)
{
	static const struct {
		const char *args, *err;
	} cases[] = {
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"json\": 1, "
		  "\"body\": \"x\"}", "give only one of json, form and body" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"auth\": "
		  "{\"digest\": 1}}", "auth.digest: unknown; expected basic or "
		  "bearer" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"auth\": "
		  "{\"basic\": {\"password\": \"x\"}}}",
		  "auth.basic.user: expected a string" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"retry\": "
		  "{\"attempts\": 0}}",
		  "retry.attempts: expected an integer from 1 to 100" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"retry\": "
		  "{\"tries\": 2}}",
		  "retry.tries: unknown; expected attempts, delay or backoff" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"retry\": "
		  "{\"delay\": \"soon\"}}",
		  "retry.delay: expected a duration such as 500ms or 2s, up to 1h" },
		{ "{\"url\": \"ftp://u:SECRET@x/%u\"}",
		  "url: \"ftp://x/" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"headers\": "
		  "{\"X-A\": \"a\\r\\nX-B: b\"}}",
		  "headers.X-A: the value contains a line break" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"headers\": "
		  "{\"Bad Name\": \"a\"}}",
		  "headers: \"Bad Name\" is not a valid header name" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"query\": "
		  "{\"a\": {\"b\": 1}}}",
		  "query.a: expected a string, number, boolean or a list" },
		{ "{\"url\": \"http://127.0.0.1:%u/echo\", \"timeout\": 0}",
		  "timeout: expected seconds from 0 to 86400, not 0" },
	};
	struct act act;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run_action(&act, cases[i].args), -1);
		if (strncmp(act.err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: got \"%s\"", i, act.err);
		assert_null(strstr(act.err, "SECRET"));
		assert_null(act.out);
	}
	assert_int_equal(hits("/echo"), 0);
}

/* A dry run reads for real: GET and HEAD are sent. */
static void
test_action_dry_run_reads(void **state)
{
	struct act act;

	(void)state;
	the_run.dry_run = 1;
	assert_int_equal(run_action(&act, "{\"method\": \"GET\", "
	    "\"url\": \"http://127.0.0.1:%u/echo\"}"), 0);
	assert_int_equal(hits("/echo"), 1);
	assert_int_equal(json_integer_value(json_object_get(act.out, "status")),
	    200);
	json_decref(act.out);
}

static void
test_action_dry_run_sends_nothing(void **state)
{
	struct act act;
	char expect[128];

	(void)state;
	the_run.dry_run = 1;
	assert_int_equal(run_action(&act, "{\"method\": \"POST\", "
	    "\"url\": \"http://127.0.0.1:%u/echo\", \"json\": [1]}"), 0);
	assert_int_equal(hits("/echo"), 0);
	assert_int_equal(the_run.logs.n, 1);
	snprintf(expect, sizeof(expect), "dry run: POST http://127.0.0.1:%u/echo "
	    "(not sent)", srv.port);
	assert_string_equal(the_run.logs.lines[0], expect);
	assert_int_equal(json_integer_value(json_object_get(act.out, "status")),
	    0);
	json_decref(act.out);
}

static void
test_action_step_timeout_and_cancel(void **state)
{
	struct act act;
	int64_t t0 = http_now_ms();

	(void)state;
	the_run.remaining = 300;
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/slow?ms=1500\"}"), -1);
	assert_true(http_now_ms() - t0 < 1000);
	assert_non_null(strstr(act.err, "timed out"));
	the_run.remaining = 0;
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/ok\"}"), -1);
	assert_non_null(strstr(act.err, "no time left"));
	the_run.remaining = INT64_MAX;
	the_run.cancel = 1;
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/slow?ms=1500\"}"), -1);
	assert_non_null(strstr(act.err, "cancelled"));
}

static void
test_action_odd_bodies(void **state)
{
	struct act act;

	(void)state;
	/* Bytes that are not UTF-8 still make a valid string. */
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/latin1\"}"), 0);
	assert_string_equal(json_string_value(json_object_get(act.out, "body")),
	    "caf\xEF\xBF\xBD ok");
	assert_true(json_is_null(json_object_get(act.out, "json")));
	json_decref(act.out);
	/* max_body applies to the action too. */
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/big?n=5000\", \"max_body\": 4096}"), -1);
	assert_non_null(strstr(act.err, "response body larger than 4096 bytes"));
}

/* The agent's policy on hosts: the URL and every redirect are checked
 * before a request is sent. */
static void
test_action_hosts_policy(void **state)
{
	struct policy pol;
	char *allowed = xasprintf("127.0.0.1:%u", srv.port);
	char *hosts[] = { allowed, NULL };
	struct act act;

	(void)state;
	memset(&pol, 0, sizeof(pol));
	pol.has_hosts = 1;
	pol.hosts = hosts;
	pol.nhosts = 1;
	the_run.policy = &pol;
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/ok\"}"), 0);
	json_decref(act.out);
	assert_int_equal(hits("/ok"), 1);
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://localhost:%u/ok\"}"), -1);
	assert_non_null(strstr(act.err, "the agent's policy does not allow "
	    "reaching 'http://localhost:"));
	assert_int_equal(run_action(&act, "{\"url\": "
	    "\"http://127.0.0.1:%u/redirect-away\"}"), -1);
	assert_non_null(strstr(act.err, "does not allow reaching "
	    "'http://localhost:"));
	/* Neither refused request reached the server. */
	assert_int_equal(hits("/ok"), 1);
	assert_int_equal(hits("/redirect-away"), 1);
	the_run.policy = NULL;
	free(allowed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_get_headers_and_body, setup),
		cmocka_unit_test_setup(test_retry_backoff_until_success, setup),
		cmocka_unit_test_setup(test_retry_gives_up_with_last_status,
		    setup),
		cmocka_unit_test_setup(test_post_retry_rule, setup),
		cmocka_unit_test_setup(test_connection_refused, setup),
		cmocka_unit_test_setup(test_timeout, setup),
		cmocka_unit_test_setup(test_deadline_caps_timeout_and_retries,
		    setup),
		cmocka_unit_test_setup(test_body_cap, setup),
		cmocka_unit_test_setup(test_header_cap, setup),
		cmocka_unit_test_setup(test_cancel, setup),
		cmocka_unit_test_setup(test_retry_after, setup),
		cmocka_unit_test_setup(test_request_sent_as_given, setup),
		cmocka_unit_test_setup(test_bad_requests_refused, setup),
		cmocka_unit_test_setup(test_redirects, setup),
		cmocka_unit_test_setup(test_tls_verified_by_default, setup),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test_setup_teardown(test_action_post_json,
		    run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_action_status_fails_step,
		    run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_action_form_and_basic,
		    run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_action_argument_errors,
		    run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(
		    test_action_dry_run_sends_nothing, run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_action_dry_run_reads,
		    run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(
		    test_action_step_timeout_and_cancel, run_setup,
		    run_teardown),
		cmocka_unit_test_setup_teardown(test_action_hosts_policy,
		    run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_action_odd_bodies,
		    run_setup, run_teardown),
	};

	return cmocka_run_group_tests(tests, server_start, server_stop);
}
