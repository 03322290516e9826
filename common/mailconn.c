/*
 * mailconn.c - one libcurl handle per mail server, with the policy of
 * mailconn.h: URL checks, TLS required and verified, timeouts cut to the
 * deadline, cancellation, and the server's last reply kept for errors.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailconn.h"
#include "timeutil.h"
#include "xmalloc.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init(void)
{
	/* Process-wide and never undone; libcurl counts the callers. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "kobito: curl_global_init failed\n");
		abort();
	}
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct mailconn *c = arg;

	if (buf_append(&c->body, data, size * n) != 0)
		return 0;	/* past the cap: the transfer fails */
	return size * n;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct mailconn *c = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return c->cancelled != NULL && c->cancelled(c->arg) ? 1 : 0;
}

/* Whether a reply line (its IMAP tag taken off) says something failed. */
static int
is_refusal(const char *p, size_t len)
{
	if (len >= 3 && p[0] >= '4' && p[0] <= '5' && p[1] >= '0' &&
	    p[1] <= '9' && p[2] >= '0' && p[2] <= '9')
		return 1;	/* SMTP 4xx, 5xx */
	if (len >= 2 && p[0] == '*' && p[1] == ' ') {
		p += 2;
		len -= 2;
	}
	return (len >= 3 && strncmp(p, "NO ", 3) == 0) ||
	    (len >= 4 && strncmp(p, "BAD ", 4) == 0);
}

/*
 * Keep the server's first refusal of a transfer (an IMAP NO or BAD, an
 * SMTP 4xx or 5xx): what follows it is the goodbye.  Only what comes in
 * is looked at: what goes out carries the login.  Literal data (message
 * bodies) comes as CURLINFO_DATA_IN and is not a reply.
 */
static int
on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct mailconn *c = arg;
	const char *p = data, *end = data + size, *nl;

	(void)h;
	if (type != CURLINFO_HEADER_IN || c->reply[0] != '\0')
		return 0;
	while (p < end && c->reply[0] == '\0') {
		size_t len;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
			len--;
		/* An IMAP tag ("C004 NO ...") means nothing to a reader. */
		if (len > 1 && p[0] >= 'A' && p[0] <= 'Z' && p[1] >= '0' &&
		    p[1] <= '9') {
			size_t k = 1;

			while (k < len && p[k] >= '0' && p[k] <= '9')
				k++;
			if (k < len && p[k] == ' ') {
				p += k + 1;
				len -= k + 1;
			}
		}
		if (is_refusal(p, len)) {
			if (len >= sizeof c->reply)
				len = sizeof c->reply - 1;
			memcpy(c->reply, p, len);
			c->reply[len] = '\0';
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int
mailconn_init(struct mailconn *c, const char *plain, const char *tls,
    const struct mailconn_opts *o, char *err, size_t errlen)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL,
	    *user = NULL, *pass = NULL;
	int rc = -1;

	memset(c, 0, sizeof *c);
	pthread_once(&curl_once, curl_init);
	buf_init(&c->body, 0);
	u = curl_url();
	if (o->url == NULL || curl_url_set(u, CURLUPART_URL, o->url, 0) !=
	    CURLUE_OK) {
		snprintf(err, errlen, "server: '%s' is not a URL such as "
		    "%s://mail.example.jp", o->url ? o->url : "", tls);
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
	if (scheme == NULL || (strcasecmp(scheme, plain) != 0 &&
	    strcasecmp(scheme, tls) != 0)) {
		snprintf(err, errlen, "server: the URL must start with %s:// "
		    "(TLS) or %s:// (STARTTLS), not '%s'", tls, plain,
		    scheme ? scheme : "");
		goto out;
	}
	if (user != NULL || pass != NULL) {
		snprintf(err, errlen, "server: no user or password in the URL; "
		    "give user, and password from secrets");
		goto out;
	}
	if (path != NULL && strcmp(path, "/") != 0 && *path != '\0') {
		snprintf(err, errlen, "server: the URL has a path ('%s'); give "
		    "only scheme://host[:port]", path);
		goto out;
	}
	c->tls = strcasecmp(scheme, tls) == 0;
	if (!c->tls && o->allow_plaintext && o->password != NULL) {
		snprintf(err, errlen, "server: a password is never sent without "
		    "TLS; use %s:// or STARTTLS", tls);
		goto out;
	}
	c->base = xasprintf("%s://%s:%s", c->tls ? tls : plain, host, port);
	c->host = xasprintf("%s:%s", host, port);
	c->user = o->user ? xstrdup(o->user) : NULL;
	c->password = o->password ? xstrdup(o->password) : NULL;
	c->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : MAILCONN_TIMEOUT_MS;
	c->deadline_ms = o->deadline_ms;
	c->cancelled = o->cancelled;
	c->arg = o->arg;

	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		goto out;
	}
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, c->tls ? tls : plain);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    MAILCONN_CONNECT_MS);
	curl_easy_setopt(c->curl, CURLOPT_USE_SSL, c->tls ||
	    !o->allow_plaintext ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca_file);
	if (c->user != NULL)
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
	if (c->password != NULL)
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(c->curl, CURLOPT_DEBUGDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_VERBOSE, 1L);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return rc;
}

void
mailconn_free(struct mailconn *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->user);
	free(c->ca_file);
	free(c->base);
	free(c->host);
	buf_free(&c->body);
	memset(c, 0, sizeof *c);
}

CURLcode
mailconn_perform(struct mailconn *c, size_t body_cap)
{
	long t = c->timeout_ms;

	if (c->deadline_ms != 0) {
		int64_t left = c->deadline_ms - time_mono_ms();

		if (left <= 0)
			return CURLE_OPERATION_TIMEDOUT;
		if (left < t)
			t = (long)left;
	}
	buf_free(&c->body);
	buf_init(&c->body, body_cap);
	c->reply[0] = '\0';
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, t);
	return curl_easy_perform(c->curl);
}

void
mailconn_describe(struct mailconn *c, CURLcode rc, const char *doing,
    char *err, size_t errlen)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
	long oserr = 0;
	char said[600] = "";

	if (c->reply[0] != '\0')
		snprintf(said, sizeof said, " (the server said: %s)", c->reply);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
		snprintf(err, errlen, "%s: cannot connect to %s: %s", doing,
		    c->host, oserr ? strerror((int)oserr) : why);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(err, errlen, "%s: TLS with %s failed: %s%s", doing,
		    c->host, why, c->ca_file ? "" :
		    " (for a server with a private CA, give ca_file)");
		break;
	case CURLE_USE_SSL_FAILED:
		snprintf(err, errlen, "%s: %s does not offer STARTTLS; kobito "
		    "does not log in without TLS", doing, c->host);
		break;
	case CURLE_LOGIN_DENIED:
		snprintf(err, errlen, "%s: %s refused the user name or "
		    "password%s", doing, c->host, said);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "%s: %s did not answer in time", doing,
		    c->host);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		snprintf(err, errlen, "%s: cancelled", doing);
		break;
	case CURLE_WRITE_ERROR:
		snprintf(err, errlen, "%s: the answer from %s is larger than "
		    "%zu bytes", doing, c->host, c->body.cap);
		break;
	default:
		if (c->reply[0] != '\0')
			snprintf(err, errlen, "%s: %s refused: %s", doing,
			    c->host, c->reply);
		else
			snprintf(err, errlen, "%s: %s", doing, why);
		break;
	}
}
