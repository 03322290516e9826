/*
 * api_artifacts.c - artifacts (see api_artifacts.h): a run's agent
 * uploads files with its lease token; users read them back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>
#include <sodium.h>

#include "api_artifacts.h"
#include "api_audit.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

struct artw {
	int64_t		 id;
	const char	*token, *name, *ctype;
};

static int
artifact_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct artw *w = p;
	char err[256];
	int rc;

	rc = jobs_artifact(c, w->id, w->token, w->name, w->ctype, r->body.data,
	    r->body.len, a->cfg.artifacts_per_run, time_wall_ms(), err,
	    sizeof err);
	if (rc != JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:s, s:I}", "name",
	    w->name, "size", (json_int_t)r->body.len));
	return 0;
}

static int
artifact_name_ok(const char *n)
{
	size_t len = strlen(n);

	return len >= 1 && len <= 128 && n[0] != '.' &&
	    strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == len;
}

/* A content type to store: printable ASCII, 1-128 bytes. */
static int
ctype_ok(const char *t)
{
	size_t i;

	if (t == NULL || t[0] == '\0' || strlen(t) > 128)
		return 0;
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e)
			return 0;
	return 1;
}

enum hres
api_h_artifact(struct api *a, struct req *r)
{
	struct artw w;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];

	memset(&w, 0, sizeof w);
	if ((w.id = text_parse_id(r->args[0])) == 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no job '%s'",
		    r->args[0]);
		goto refused;
	}
	w.token = api_query_arg(r, "lease_token");
	w.name = api_query_arg(r, "name");
	if (w.token == NULL || w.name == NULL) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "lease_token and name are required query parameters");
		goto refused;
	}
	if (!artifact_name_ok(w.name)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "name: expected 1-128 "
		    "characters of A-Z a-z 0-9 . _ -, not starting with '.'");
		goto refused;
	}
	w.ctype = api_value(r, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ctype_ok(w.ctype))
		w.ctype = "application/octet-stream";
	r->detail = json_pack("{s:I, s:s, s:I}", "job_id", (json_int_t)w.id,
	    "name", w.name, "size", (json_int_t)r->body.len);
	api_write_audited(a, r, artifact_write, &w);
	if (r->status == MHD_HTTP_CREATED) {
		crypto_hash_sha256(hash, (const unsigned char *)
		    (r->body.data ? r->body.data : ""), r->body.len);
		sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
		json_object_set_new(r->out, "sha256", json_string(hex));
	}
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

/*
 * Artifacts come from scripts, so from anyone who can write one: an HTML
 * file served from the dashboard's origin would run with the session of
 * whoever opens it.  Only raster images are shown inline (a page shows
 * screenshots); anything else is a download.  Every artifact is served
 * without sniffing and under a sandboxing policy, so that even one opened
 * directly is an inert document of no origin.
 */
static const char *const inline_types[] = {
	"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp",
};

void
api_file_disposition(struct req *r, const char *name, const char *ctype)
{
	size_t i, n;
	int show = 0;
	char *v;

	for (i = 0; i < sizeof inline_types / sizeof inline_types[0]; i++) {
		n = strlen(inline_types[i]);
		if (ctype != NULL && strncasecmp(ctype, inline_types[i], n) ==
		    0 && (ctype[n] == '\0' || ctype[n] == ';'))
			show = 1;
	}
	/* name is [A-Za-z0-9._-] (artifact_name_ok): safe in quotes. */
	v = xasprintf("%s; filename=\"%s\"", show ? "inline" : "attachment",
	    name);
	api_add_header(r, "Content-Disposition", v);
	free(v);
	api_add_header(r, "X-Content-Type-Options", "nosniff");
	api_add_header(r, "Content-Security-Policy", API_CSP_INERT);
}

struct artq {
	int64_t		 run;
	const char	*name;
	char		*data;
	size_t		 len;
	char		*ctype;
};

static int
artifact_read(struct conn *c, void *p)
{
	struct artq *q = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT data, content_type FROM"
	    " artifacts WHERE run_id = ? AND name = ?");

	sqlite3_bind_int64(st, 1, q->run);
	bind_text(st, 2, q->name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		q->len = (size_t)sqlite3_column_bytes(st, 0);
		q->data = xmalloc(q->len + 1);
		if (q->len)
			memcpy(q->data, sqlite3_column_blob(st, 0), q->len);
		q->ctype = col_strdup(st, 1);
	}
	sqlite3_reset(st);
	return 0;
}

enum hres
api_h_artifact_get(struct api *a, struct req *r)
{
	struct artq q;

	memset(&q, 0, sizeof q);
	q.run = text_parse_id(r->args[0]);
	q.name = r->args[1];
	if (q.run > 0)
		store_read(a->st, artifact_read, &q);
	if (q.data == NULL) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND,
		    "no artifact '%s' in run '%s'", r->args[1], r->args[0]);
		return H_DONE;
	}
	r->status = MHD_HTTP_OK;
	r->raw = q.data;
	r->rawlen = q.len;
	r->ctype = q.ctype;
	api_file_disposition(r, q.name, q.ctype);
	return H_DONE;
}
