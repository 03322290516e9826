/*
 * urlmatch.h - whether a URL lies within an allowed destination.
 *
 * Where a secret may be sent, which URLs a param may name, which hosts a
 * script may reach: each is a list of destinations, written one of these
 * ways:
 *
 *   procure.city.lg.jp             any URL to that host, any port
 *   *.city.lg.jp                   any host under city.lg.jp (not itself)
 *   127.0.0.1:8931                 that host on that port
 *   https://procure.city.lg.jp/api/   that scheme, host and port (the
 *                                  scheme's own when none is written), and
 *                                  paths at or under /api/ ("/api" would
 *                                  match /api and /api/x, never /apix)
 *
 * Hosts compare without regard to case; an IPv6 address is written in
 * brackets ([::1]:8080).  URLs are taken apart by libcurl's URL parser,
 * the one that sends them, so that what is checked is where the request
 * goes: "http://allowed@evil/" is evil, "/api/../admin" is /admin, and
 * only the schemes secrets travel over match anything: http and https,
 * and mail's imap, imaps, smtp and smtps.
 */
#ifndef KOBITO_URLMATCH_H
#define KOBITO_URLMATCH_H

#include <stddef.h>

/* 0 when pattern is a destination as above, else -1 and why in err. */
int	urlmatch_check(const char *pattern, char *err, size_t errlen);
/* Whether url is a URL of those schemes that lies within pattern. */
int	urlmatch(const char *pattern, const char *url);
/* Whether url lies within any of the n patterns. */
int	urlmatch_any(const char *const *patterns, size_t n, const char *url);
/*
 * Whether url is an absolute URL of those schemes libcurl can parse; when
 * not, -1 and why in err.
 */
int	urlmatch_url_ok(const char *url, char *err, size_t errlen);

#endif
