/*
 * test_api.c - requests handled without a socket (api_handle()): the
 * route table, the path and query checks, authentication, the body's
 * parsing and a handler's database write, as over HTTP; and a long poll
 * that does not wait.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "api.h"
#include "auth.h"
#include "timeutil.h"
#include "xmalloc.h"

struct fixture {
	char		 dir[64];
	struct store	*st;
	struct scripts	*sc;
	struct sched	*sched;
	struct secrets	 sk;
	struct tfmt	 tf;
	struct api	*api;
	char		 admin[AUTH_TOKEN_LEN + 1];
	char		 agent[AUTH_TOKEN_LEN + 1];
	char		 err[512];
};

struct tokw {
	enum role	 role;
	const char	*name;
	char		*out;
};

static int
token_fn(struct conn *c, void *p)
{
	struct tokw *t = p;
	int64_t id;

	return auth_token_create(c, t->role, t->name, "test", time_wall_ms(),
	    t->out, &id, NULL, 0);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct api_config cfg;
	struct tokw t;
	char *path;

	if (sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-api-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	path = xasprintf("%s/sched.db", f->dir);
	f->st = store_open(path, STORE_WRITER, f->err, sizeof f->err);
	free(path);
	path = xasprintf("%s/sched.key", f->dir);
	if (f->st == NULL || secrets_load_key(&f->sk, path, 1, f->err,
	    sizeof f->err) != 0 || tfmt_init(&f->tf, "Asia/Tokyo", f->err,
	    sizeof f->err) != 0) {
		fprintf(stderr, "%s\n", f->err);
		free(path);
		return -1;
	}
	free(path);
	f->sc = scripts_new();
	f->sched = sched_new();
	api_config_defaults(&cfg);
	f->api = api_new(f->st, f->sc, f->sched, &f->sk, &f->tf, &cfg);
	t.role = ROLE_ADMIN;
	t.name = "root";
	t.out = f->admin;
	if (store_write(f->st, token_fn, &t, f->err, sizeof f->err) != 0)
		return -1;
	t.role = ROLE_AGENT;
	t.name = "pc-1";
	t.out = f->agent;
	if (store_write(f->st, token_fn, &t, f->err, sizeof f->err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	int rc;

	api_stop(f->api);
	api_free(f->api);
	store_close(f->st);
	scripts_free(f->sc);
	sched_free(f->sched);
	secrets_clear(&f->sk);
	tfmt_free(&f->tf);
	rc = system(cmd);
	free(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Call method url with token (or none) and body (or none); the status. */
static int
call(struct fixture *f, const char *method, const char *url,
    const char *token, const char *body, struct api_answer *ans)
{
	char auth[AUTH_TOKEN_LEN + 16];
	const char *hdr[4];
	struct api_call c;
	size_t n = 0;

	memset(&c, 0, sizeof c);
	c.method = method;
	c.url = url;
	if (token != NULL) {
		snprintf(auth, sizeof auth, "Bearer %s", token);
		hdr[2 * n] = "Authorization";
		hdr[2 * n + 1] = auth;
		n++;
	}
	if (body != NULL) {
		hdr[2 * n] = "Content-Type";
		hdr[2 * n + 1] = "application/json";
		n++;
		c.body = body;
		c.bodylen = strlen(body);
	}
	c.headers = hdr;
	c.nheaders = n;
	assert_int_equal(api_handle(f->api, &c, ans), 0);
	return ans->status;
}

/* The answer's JSON member key as a string ("" when absent). */
static const char *
member(struct api_answer *ans, const char *key, char *buf, size_t len)
{
	json_t *j = json_loadb(ans->body, ans->len, 0, NULL);
	json_t *v = json_object_get(j, key);

	snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) :
	    "");
	json_decref(j);
	return buf;
}

static void
test_routes_and_auth(void **state)
{
	struct fixture *f = *state;
	struct api_answer a;
	char buf[256];

	assert_int_equal(call(f, "GET", "/health", NULL, NULL, &a), 200);
	assert_string_equal(member(&a, "status", buf, sizeof buf), "ok");
	api_answer_clear(&a);
	assert_int_equal(call(f, "GET", "/api/whoami", NULL, NULL, &a), 401);
	assert_string_equal(member(&a, "error", buf, sizeof buf),
	    "missing bearer token");
	api_answer_clear(&a);
	assert_int_equal(call(f, "GET", "/api/whoami", f->admin, NULL, &a),
	    200);
	assert_string_equal(member(&a, "name", buf, sizeof buf), "root");
	api_answer_clear(&a);
	assert_int_equal(call(f, "GET", "/api/nothing", f->admin, NULL, &a),
	    404);
	api_answer_clear(&a);
	assert_int_equal(call(f, "PATCH", "/api/jobs", f->admin, NULL, &a),
	    405);
	api_answer_clear(&a);
	assert_int_equal(call(f, "GET", "/api/tokens", f->agent, NULL, &a),
	    403);
	api_answer_clear(&a);
	/* The query, decoded as over HTTP: "+" and %XX. */
	assert_int_equal(call(f, "GET", "/api/jobs?state=queu%65d&limit=5",
	    f->admin, NULL, &a), 200);
	api_answer_clear(&a);
	assert_int_equal(call(f, "GET", "/api/jobs?limit=lots", f->admin,
	    NULL, &a), 400);
	api_answer_clear(&a);
}

static void
test_hostile_input(void **state)
{
	struct fixture *f = *state;
	struct api_answer a;
	char buf[256];

	assert_int_equal(call(f, "PUT", "/api/secrets/a%00b", f->admin,
	    "{\"value\": \"x\"}", &a), 400);
	assert_non_null(strstr(member(&a, "error", buf, sizeof buf), "NUL"));
	api_answer_clear(&a);
	assert_int_equal(call(f, "GET", "/api/audit?actor=root%00x", f->admin,
	    NULL, &a), 400);
	api_answer_clear(&a);
	assert_int_equal(call(f, "GET", "/api/audit?actor=%ff", f->admin,
	    NULL, &a), 400);
	api_answer_clear(&a);
	assert_int_equal(call(f, "PUT", "/api/secrets/ab", f->admin,
	    "{\"value\": \"x\", \"value\": \"y\"}", &a), 400);
	assert_non_null(strstr(member(&a, "error", buf, sizeof buf),
	    "duplicate"));
	api_answer_clear(&a);
	assert_int_equal(call(f, "PUT", "/api/secrets/ab", f->admin,
	    "[1, 2]", &a), 400);
	api_answer_clear(&a);
	/* A handler's write: the secret is stored, and listed. */
	assert_int_equal(call(f, "PUT", "/api/secrets/ab", f->admin,
	    "{\"value\": \"a long secret\"}", &a), 200);
	api_answer_clear(&a);
	assert_int_equal(call(f, "GET", "/api/secrets", f->admin, NULL, &a),
	    200);
	assert_non_null(strstr(a.body, "\"ab\""));
	assert_null(strstr(a.body, "a long secret"));
	api_answer_clear(&a);
}

static void
test_long_poll_does_not_wait(void **state)
{
	struct fixture *f = *state;
	struct api_answer a;
	int64_t t0;

	assert_int_equal(call(f, "POST", "/api/agents/register", f->agent,
	    "{\"name\": \"pc-1\"}", &a), 200);
	api_answer_clear(&a);
	t0 = time_mono_ms();
	assert_int_equal(call(f, "POST", "/api/agents/lease", f->agent,
	    "{\"agent_id\": 1, \"wait_ms\": 60000}", &a), 204);
	assert_true(time_mono_ms() - t0 < 5000);
	api_answer_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_and_auth, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile_input, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_poll_does_not_wait,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
