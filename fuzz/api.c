/*
 * api.c - fuzz target: the scheduler's request handling (scheduler/api.h),
 * in this process, on a temporary database.
 *
 * The scheduler's own server (libmicrohttpd, the route table, the
 * handlers, SQLite) runs here on a loopback port, set up once; each input
 * is one request sent to it on a connection of its own, so a crash in any
 * handler is this process's.  The first byte of an input says who asks:
 * its low three bits pick the bearer token (none, viewer, operator,
 * engineer, admin, agent), its top bit sends the rest verbatim (the fuzzer
 * then writes the HTTP itself).  Otherwise the rest is "METHOD PATH",
 * a newline, and the body, wrapped into a well-formed request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>

#include "api.h"
#include "auth.h"
#include "buf.h"
#include "fsutil.h"
#include "fuzz.h"
#include "http.h"
#include "timeutil.h"

#define REPLY_WAIT_MS	2000
/* A raw request may be incomplete or keep the connection alive: it has
 * had its answer once nothing more came for this long. */
#define RAW_IDLE_MS	300

static const enum role roles[] = {
	ROLE_NONE, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ENGINEER, ROLE_ADMIN,
	ROLE_AGENT,
};

static struct {
	struct store	*st;
	struct scripts	*sc;
	struct sched	*sched;
	struct secrets	 sk;
	struct tfmt	 tf;
	struct api	*api;
	int		 port;
	char		*dir;
	char		 token[sizeof roles / sizeof roles[0]][AUTH_TOKEN_LEN + 1];
} srv;

struct tok {
	enum role	 role;
	const char	*name;
	char		*out;
};

static int
make_token(struct conn *c, void *arg)
{
	struct tok *t = arg;
	int64_t id;
	char err[256];

	return auth_token_create(c, t->role, t->name, "fuzz", time_wall_ms(),
	    t->out, &id, err, sizeof err);
}

/* At exit: stop the server, remove its database. */
static void
cleanup(void)
{
	if (srv.api != NULL)
		api_stop(srv.api);
	if (srv.dir != NULL)
		fsutil_remove_tree(srv.dir);
}

static void
die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz api: %s: %s\n", what, err);
	exit(1);
}

/* A listening socket on a free loopback port. */
static int
listen_loopback(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		die("listen", strerror(errno));
	*port = ntohs(sa.sin_port);
	return fd;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const names[] = { NULL, "v", "o", "e", "a", "ag" };
	struct api_config cfg;
	struct tok t;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char err[512], *dir, *db, *key;
	size_t i;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		die("libsodium", "cannot initialise");
	dir = xasprintf("%s/kobito-fuzz-api.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die(dir, strerror(errno));
	srv.dir = dir;
	/* libcurl (and so OpenSSL) first: exit handlers run last-registered
	 * first, and the notifier thread that cleanup() joins must end before
	 * OpenSSL's own handler frees what each thread keeps. */
	http_client_free(http_client_new());
	atexit(cleanup);
	db = xasprintf("%s/sched.db", dir);
	key = xasprintf("%s/sched.key", dir);
	if ((srv.st = store_open(db, STORE_LOCK | STORE_WRITER, err,
	    sizeof err)) == NULL)
		die(db, err);
	if (secrets_load_key(&srv.sk, key, 1, err, sizeof err) != 0)
		die(key, err);
	if (tfmt_init(&srv.tf, "Asia/Tokyo", err, sizeof err) != 0)
		die("timezone", err);
	srv.sc = scripts_new();
	srv.sched = sched_new();
	for (i = 1; i < sizeof roles / sizeof roles[0]; i++) {
		t.role = roles[i];
		t.name = names[i];
		t.out = srv.token[i];
		if (store_write(srv.st, make_token, &t, err, sizeof err) != 0)
			die("token", err);
	}
	api_config_defaults(&cfg);
	cfg.threads = 2;
	cfg.wait_max_ms = 50;	/* a long poll must not stall the fuzzer */
	srv.api = api_new(srv.st, srv.sc, srv.sched, &srv.sk, &srv.tf, &cfg);
	if (api_start(srv.api, listen_loopback(&srv.port), err,
	    sizeof err) != 0)
		die("api_start", err);
	fprintf(stderr, "fuzz api: scheduler on 127.0.0.1:%d, database %s\n",
	    srv.port, db);
	free(db);
	free(key);
	return 0;
}

/* The request an input stands for. */
static void
build(const uint8_t *data, size_t size, struct buf *req)
{
	const char *p = (const char *)data + 1, *nl;
	size_t n = size - 1, line;
	unsigned who = data[0] & 0x07;

	if (data[0] & 0x80) {
		buf_append(req, p, n);
		return;
	}
	nl = memchr(p, '\n', n);
	line = nl ? (size_t)(nl - p) : n;
	buf_append(req, p, line);
	buf_printf(req, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "Content-Type: application/json\r\n");
	if (who > 0 && who < sizeof roles / sizeof roles[0])
		buf_printf(req, "Authorization: Bearer %s\r\n", srv.token[who]);
	n = nl ? n - line - 1 : 0;
	buf_printf(req, "Content-Length: %zu\r\n\r\n", n);
	if (nl != NULL)
		buf_append(req, nl + 1, n);
}

/* Send req and read the reply until the server closes (Connection:
 * close), or REPLY_WAIT_MS pass; a raw one until it is idle. */
static void
exchange(const struct buf *req, int raw)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	char chunk[65536];
	size_t off = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), first = 1;
	int64_t idle;
	int64_t end = time_mono_ms() + REPLY_WAIT_MS;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)srv.port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("connect", strerror(errno));
	while (off < req->len && (n = write(fd, req->data + off,
	    req->len - off)) > 0)
		off += (size_t)n;
	pfd.fd = fd;
	pfd.events = POLLIN;
	idle = time_mono_ms() + RAW_IDLE_MS;
	while (time_mono_ms() < end && (!raw || time_mono_ms() < idle)) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		idle = time_mono_ms() + RAW_IDLE_MS;
		if ((n = read(fd, chunk, sizeof chunk)) <= 0)
			break;
		/* KOBITO_FUZZ_VERBOSE=1: each answer's status line, to see
		 * what the seeds reach. */
		if (first && getenv("KOBITO_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz api: %.*s\n", (int)strcspn(chunk,
			    "\r\n") < n ? (int)strcspn(chunk, "\r\n") :
			    (int)n, chunk);
		first = 0;
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf req;

	if (size < 2)
		return 0;
	if (srv.api == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	buf_init(&req, 2 * size + 4096);
	build(data, size, &req);
	exchange(&req, (data[0] & 0x80) != 0);
	buf_free(&req);
	return 0;
}
