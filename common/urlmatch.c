/*
 * urlmatch.c - destinations as host, *.domain, host:port or URL prefix,
 * and the URLs that lie within them (see urlmatch.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "urlmatch.h"
#include "xmalloc.h"

/* A URL or a destination taken apart. */
struct where {
	char	*scheme;	/* "http", "imaps", ...; NULL: any of them */
	char	*host;		/* lower case, no brackets, no final dot */
	long	 port;		/* 0: any */
	char	*path;		/* NULL: any */
	int	 wild;		/* host is a *.domain suffix */
};

static void
where_free(struct where *w)
{
	free(w->scheme);
	free(w->host);
	free(w->path);
	memset(w, 0, sizeof *w);
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The host as compared: lower case, without [] and a final dot. */
static char *
clean_host(const char *h, size_t n)
{
	char *s;

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	s = xstrndup(h, n);
	lower(s);
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

/* The schemes kobito sends secrets over: the web's and mail's. */
static const char *const schemes[] = {
	"http", "https", "imap", "imaps", "smtp", "smtps",
};

static int
scheme_known(const char *scheme)
{
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (strcmp(scheme, schemes[i]) == 0)
			return 1;
	return 0;
}

/* A full URL by libcurl, of a scheme above; -1 when it is not one. */
static int
parse_url(const char *url, struct where *w, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	int rc = -1;

	memset(w, 0, sizeof *w);
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		snprintf(err, errlen, "not a URL that can be parsed");
		goto out;
	}
	lower(scheme);
	if (!scheme_known(scheme)) {
		snprintf(err, errlen, "not an http(s)://, imap(s):// or "
		    "smtp(s):// URL");
		goto out;
	}
	w->scheme = xstrdup(scheme);
	w->host = clean_host(host, strlen(host));
	w->port = strtol(port, NULL, 10);
	w->path = xstrdup(path);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	if (rc != 0)
		where_free(w);
	return rc;
}

/* Whether s is a host name, an IPv4 address or a bracketed IPv6 one. */
static int
host_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	if (s[0] == '[')
		return n > 2 && s[n - 1] == ']' &&
		    strspn(s + 1, "0123456789abcdefABCDEF:.") == n - 2;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return 0;
	return 1;
}

/* "host", "*.domain", "host:port", "[v6]:port". */
static int
parse_host_pattern(const char *p, struct where *w, char *err, size_t errlen)
{
	const char *colon, *end;
	size_t n;

	memset(w, 0, sizeof *w);
	if (strncmp(p, "*.", 2) == 0) {
		w->wild = 1;
		p += 2;
	}
	if (p[0] == '[')
		colon = (end = strchr(p, ']')) != NULL && end[1] == ':' ?
		    end + 1 : NULL;
	else
		colon = strchr(p, ':');
	n = colon ? (size_t)(colon - p) : strlen(p);
	if (!host_ok(p, n)) {
		snprintf(err, errlen, "'%s' is not a host, host:port or URL",
		    p);
		return -1;
	}
	if (colon != NULL) {
		char *e;

		w->port = strtol(colon + 1, &e, 10);
		if (*e != '\0' || w->port < 1 || w->port > 65535) {
			snprintf(err, errlen, "'%s' has no port from 1 to "
			    "65535 after the ':'", p);
			return -1;
		}
	}
	w->host = clean_host(p, n);
	return 0;
}

static int
parse_pattern(const char *p, struct where *w, char *err, size_t errlen)
{
	if (strstr(p, "://") != NULL) {
		if (parse_url(p, w, err, errlen) != 0)
			return -1;
		return 0;
	}
	return parse_host_pattern(p, w, err, errlen);
}

/* Whether path lies at or under prefix, segment by segment. */
static int
path_within(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0 || strcmp(prefix, "/") == 0)
		return 1;
	if (strncmp(path, prefix, n) != 0)
		return 0;
	return prefix[n - 1] == '/' || path[n] == '\0' || path[n] == '/';
}

static int
host_within(const char *host, const struct where *p)
{
	size_t h = strlen(host), d = strlen(p->host);

	if (!p->wild)
		return strcmp(host, p->host) == 0;
	return h > d + 1 && host[h - d - 1] == '.' &&
	    strcmp(host + h - d, p->host) == 0;
}

static int
within(const struct where *u, const struct where *p)
{
	if (p->scheme != NULL && strcmp(u->scheme, p->scheme) != 0)
		return 0;
	if (!host_within(u->host, p))
		return 0;
	if (p->port != 0 && u->port != p->port)
		return 0;
	return p->path == NULL || path_within(u->path, p->path);
}

int
urlmatch_check(const char *pattern, char *err, size_t errlen)
{
	struct where w;

	if (parse_pattern(pattern, &w, err, errlen) != 0)
		return -1;
	where_free(&w);
	return 0;
}

int
urlmatch_url_ok(const char *url, char *err, size_t errlen)
{
	struct where w;

	if (parse_url(url, &w, err, errlen) != 0)
		return -1;
	where_free(&w);
	return 0;
}

int
urlmatch_any(const char *const *patterns, size_t n, const char *url)
{
	struct where u, p;
	char err[128];
	size_t i;
	int yes = 0;

	if (parse_url(url, &u, err, sizeof err) != 0)
		return 0;
	for (i = 0; i < n && !yes; i++) {
		if (parse_pattern(patterns[i], &p, err, sizeof err) != 0)
			continue;
		yes = within(&u, &p);
		where_free(&p);
	}
	where_free(&u);
	return yes;
}

int
urlmatch(const char *pattern, const char *url)
{
	return urlmatch_any(&pattern, 1, url);
}
