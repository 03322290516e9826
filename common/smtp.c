/*
 * smtp.c - one message sent over SMTP with libcurl (smtp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"
#include "xmalloc.h"

struct source {
	const char	*p;
	size_t		 left;
};

static size_t
on_read(char *dst, size_t size, size_t n, void *arg)
{
	struct source *s = arg;
	size_t k = size * n < s->left ? size * n : s->left;

	memcpy(dst, s->p, k);
	s->p += k;
	s->left -= k;
	return k;
}

int
smtp_send(const struct mailconn_opts *o, const char *from,
    const char *const *rcpt, size_t n, const char *msg, size_t len,
    char *err, size_t errlen)
{
	struct mailconn c;
	struct curl_slist *to = NULL;
	struct source src = { msg, len };
	const char *at = strchr(from, '@');
	char *url, *mfrom, doing[300];
	CURLcode rc;
	int ret = -1;

	if (mailconn_init(&c, "smtp", "smtps", o, err, errlen) != 0) {
		mailconn_free(&c);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *r = xasprintf("<%s>", rcpt[i]);

		to = curl_slist_append(to, r);
		free(r);
	}
	/* The URL's path is the name given in EHLO: the sender's domain. */
	url = xasprintf("%s/%s", c.base, at ? at + 1 : "localhost");
	mfrom = xasprintf("<%s>", from);
	curl_easy_setopt(c.curl, CURLOPT_URL, url);
	curl_easy_setopt(c.curl, CURLOPT_MAIL_FROM, mfrom);
	curl_easy_setopt(c.curl, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(c.curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c.curl, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c.curl, CURLOPT_READDATA, &src);
	curl_easy_setopt(c.curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	snprintf(doing, sizeof doing, "sending to %s", c.host);
	rc = mailconn_perform(&c, 64 * 1024);
	if (rc == CURLE_OK)
		ret = 0;
	else
		mailconn_describe(&c, rc, doing, err, errlen);
	curl_slist_free_all(to);
	free(url);
	free(mfrom);
	mailconn_free(&c);
	return ret;
}
