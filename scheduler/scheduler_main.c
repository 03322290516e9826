/*
 * scheduler_main.c - bin/kobito-scheduler: the daemon and its admin
 * subcommands.
 *
 *   kobito-scheduler --db FILE --listen HOST:PORT --scripts DIR
 *                    [--config FILE] [--key-file FILE] [--port-file FILE]
 *                    [--threads N]
 *   kobito-scheduler token create --db FILE --role ROLE --name NAME
 *   kobito-scheduler agent-token create --db FILE --name AGENT
 *   kobito-scheduler routes [--json]
 *
 * The daemon binds the socket itself (so "--listen 127.0.0.1:0" can ask
 * the kernel for a free port, written to --port-file once listening),
 * takes the database lock, applies migrations, loads the scripts
 * directory and the config file's schedules, gives live leases one more
 * TTL (agents could not heartbeat while it was down), and serves until
 * SIGTERM or SIGINT.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "auth.h"
#include "dirauth.h"
#include "fsutil.h"
#include "jobs.h"
#include "query.h"
#include "queues.h"
#include "schedules.h"
#include "scripts.h"
#include "secrets.h"
#include "store.h"
#include "timeutil.h"
#include "web.h"
#include "xmalloc.h"
#include "ydoc.h"

static const char usage[] =
"usage: kobito-scheduler --db FILE --listen HOST:PORT --scripts DIR\n"
"                        [--config FILE] [--key-file FILE] [--port-file FILE]\n"
"                        [--threads N] [--kpi-config FILE] [--dashboard DIR]\n"
"                        [--tls-cert FILE --tls-key FILE] [--secure-cookies]\n"
"       kobito-scheduler user set|list --db FILE ... (see docs/kpi.md)\n"
"       kobito-scheduler token create --db FILE --role ROLE --name NAME\n"
"       kobito-scheduler agent-token create --db FILE --name AGENT\n"
"       kobito-scheduler routes [--json]\n";

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("kobito-scheduler: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* --- the config file -------------------------------------------------- */

/* A setting of the config file: where it goes and its range. */
struct setting {
	const char	*section;	/* NULL: top level */
	const char	*key;
	size_t		 off;		/* into struct settings */
	int		 is_size;	/* size_t, else int64_t */
	long long	 min, max;
};

/* Everything the config file may set. */
struct settings {
	struct api_config	 api;
	int64_t			 threads, retention, artifacts;
	char			*timezone;
	json_t			*schedules;	/* from the file, or NULL */
};

#define OFF(f)	offsetof(struct settings, f)
static const struct setting settings_table[] = {
	{ NULL, "lease_ttl_ms", OFF(api.lease_ttl_ms), 0, 1000, 86400000 },
	{ NULL, "wait_max_ms", OFF(api.wait_max_ms), 0, 0, 300000 },
	{ NULL, "retention_days", OFF(retention), 0, 0, 36500 },
	{ NULL, "threads", OFF(threads), 0, 1, 256 },
	{ "limits", "body_bytes", OFF(api.body_max), 1, 1024, 1LL << 30 },
	{ "limits", "artifact_bytes", OFF(api.artifact_max), 1, 1024,
	    1LL << 31 },
	{ "limits", "header_bytes", OFF(api.header_max), 1, 1024, 1 << 20 },
	{ "limits", "artifacts_per_run", OFF(artifacts), 0, 1, 100000 },
	{ "limits", "connections", OFF(api.max_connections), 2, 16, 1000000 },
	{ "limits", "connections_per_address",
	    OFF(api.connections_per_address), 2, 1, 1000000 },
	{ "limits", "header_timeout_ms", OFF(api.header_timeout_ms), 0, 100,
	    600000 },
	{ "jobs", "max_attempts", OFF(api.jobs.max_attempts), 2, 1, 100 },
	{ "jobs", "backoff_ms", OFF(api.jobs.backoff_ms), 0, 0, 86400000 },
	{ "jobs", "backoff_max_ms", OFF(api.jobs.backoff_max_ms), 0, 0,
	    7 * 86400000LL },
	{ "jobs", "timeout_ms", OFF(api.jobs.timeout_ms), 0, 1000,
	    7 * 86400000LL },
};
#undef OFF

static const char *const top_keys[] = {
	"timezone", "lease_ttl_ms", "wait_max_ms", "retention_days", "threads",
	"limits", "jobs", "schedules", "directory", NULL,
};

/* The config file's typed getters print the problem. */
static void
config_report(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "kobito-scheduler: %s\n", msg);
}

static const struct ysink config_sink = { config_report, NULL };

static int
set_one(struct settings *s, const struct setting *st, const struct ynode *v)
{
	char what[64];
	long long n;
	char *p = (char *)s + st->off;

	snprintf(what, sizeof what, "%s%s%s", st->section ? st->section : "",
	    st->section ? "." : "", st->key);
	if (ynode_int(v, what, st->min, st->max, &n, &config_sink) != 0)
		return -1;
	if (st->is_size == 1)
		*(size_t *)(void *)p = (size_t)n;
	else if (st->is_size == 2)
		*(int *)(void *)p = (int)n;
	else
		*(int64_t *)(void *)p = (int64_t)n;
	return 0;
}

/* A section's settings must all be known: 0, or -1 when one is not. */
static int
check_section(const struct ynode *sec, const char *section)
{
	const char *keys[sizeof settings_table / sizeof settings_table[0] + 1];
	size_t i, n = 0;

	if (ynode_want(sec, YNODE_MAP, section, &config_sink) != 0)
		return -1;
	for (i = 0; i < sizeof settings_table / sizeof settings_table[0]; i++)
		if (settings_table[i].section != NULL &&
		    strcmp(settings_table[i].section, section) == 0)
			keys[n++] = settings_table[i].key;
	keys[n] = NULL;
	return ynode_check_keys(sec, section, keys, &config_sink) ? -1 : 0;
}

static int
load_config(const char *path, struct settings *s)
{
	char err[512];
	struct ydoc *doc = ydoc_load_file(path, err, sizeof err);
	const struct ynode *root, *sec, *v;
	const char *tz;
	size_t i;
	int rc = -1;

	if (doc == NULL) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		return -1;
	}
	root = doc->root;
	if (root == NULL) {
		ydoc_free(doc);
		return 0;
	}
	if (ynode_want(root, YNODE_MAP, "the configuration", &config_sink) !=
	    0 || ynode_check_keys(root, "the configuration", top_keys,
	    &config_sink) != 0)
		goto out;
	for (i = 0; i < sizeof settings_table / sizeof settings_table[0]; i++) {
		sec = root;
		if (settings_table[i].section != NULL) {
			sec = ynode_get(root, settings_table[i].section);
			if (sec == NULL)
				continue;
			if (check_section(sec, settings_table[i].section) != 0)
				goto out;
		}
		if ((v = ynode_get(sec, settings_table[i].key)) != NULL &&
		    set_one(s, &settings_table[i], v) != 0)
			goto out;
	}
	if ((v = ynode_get(root, "timezone")) != NULL) {
		if ((tz = ynode_text(v, "timezone", &config_sink)) == NULL)
			goto out;
		free(s->timezone);
		s->timezone = xstrdup(tz);
	}
	if ((v = ynode_get(root, "schedules")) != NULL) {
		if (ynode_want(v, YNODE_SEQ, "schedules", &config_sink) != 0)
			goto out;
		s->schedules = ynode_to_json(v);
		/* Keep positions for messages: store line:col beside each. */
		for (i = 0; i < v->n; i++)
			json_object_set_new(json_array_get(s->schedules, i),
			    "_pos", json_sprintf("%s:%d:%d", path,
			    v->items[i]->line, v->items[i]->col));
	}
	rc = 0;
out:
	ydoc_free(doc);
	return rc;
}

/*
 * A PEM file for HTTPS, as text; a private key (secret set) must not be
 * readable by anyone but its owner.  Dies with the reason.
 */
static char *
read_pem(const char *path, int secret)
{
	struct stat sb;
	char err[512], *data;
	size_t len;

	if (fsutil_read(path, 1024 * 1024, &data, &len, err, sizeof err) != 0)
		die("%s", err);
	if (secret && stat(path, &sb) == 0 && (sb.st_mode & 077) != 0) {
		sodium_memzero(data, len);
		free(data);
		die("--tls-key '%s' is readable by others (mode %03o); make it "
		    "0600", path, (unsigned)(sb.st_mode & 0777));
	}
	if (strstr(data, "-----BEGIN ") == NULL)
		die("'%s' is not PEM (no -----BEGIN line)", path);
	return data;
}

/*
 * The directory logins of the config file's "directory" section, checked
 * against the KPI tree (known once the web front is set up), or NULL when
 * it has none.  Dies with file:line:col when it is wrong.
 */
static struct dirauth *
load_directory(const char *path, const struct kpi_config *kpi)
{
	struct ydoc *doc;
	const struct ynode *sec;
	struct dirauth *d = NULL;
	char err[512];

	if (path == NULL)
		return NULL;
	if ((doc = ydoc_load_file(path, err, sizeof err)) == NULL)
		die("%s", err);
	if (doc->root != NULL && (sec = ynode_get(doc->root,
	    "directory")) != NULL && (d = dirauth_load(sec, kpi, err,
	    sizeof err)) == NULL) {
		ydoc_free(doc);
		die("%s", err);
	}
	ydoc_free(doc);
	return d;
}

/* --- the listening socket ----------------------------------------------- */

/* Bind HOST:PORT ("[::1]:8080" for IPv6); the fd, or -1 with a message. */
static int
listen_on(const char *spec, int *port, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[256], *colon;
	const char *h, *p;
	int fd = -1, one = 1, rc;

	if (snprintf(host, sizeof host, "%s", spec) >= (int)sizeof host ||
	    (colon = strrchr(host, ':')) == NULL) {
		snprintf(err, errlen, "--listen '%s': expected HOST:PORT", spec);
		return -1;
	}
	*colon = '\0';
	p = colon + 1;
	h = host;
	if (host[0] == '[' && colon > host && colon[-1] == ']') {
		colon[-1] = '\0';
		h = host + 1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(*h ? h : NULL, p, &hints, &res)) != 0) {
		snprintf(err, errlen, "--listen '%s': %s", spec,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0)
			break;
		snprintf(err, errlen, "cannot listen on '%s': %s", spec,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* --- subcommands ---------------------------------------------------------- */

struct tokreq {
	enum role	 role;
	const char	*name;
	char		 token[AUTH_TOKEN_LEN + 1];
	int64_t		 id;
	char		 err[256];
};

static int
token_fn(struct conn *c, void *p)
{
	struct tokreq *t = p;

	return auth_token_create(c, t->role, t->name, "kobito-scheduler",
	    time_wall_ms(), t->token, &t->id, t->err, sizeof t->err);
}

/* token create / agent-token create */
static int
cmd_token(int argc, char **argv, int agent)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *role = agent ? "agent" : NULL;
	struct tokreq t;
	struct store *st;
	char err[512];
	int c;

	memset(&t, 0, sizeof t);
	if (argc < 2 || strcmp(argv[1], "create") != 0) {
		fputs(usage, stderr);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'r':
			if (agent)
				die("agent tokens have no --role");
			role = optarg;
			break;
		case 'n':
			t.name = optarg;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (db == NULL || role == NULL || t.name == NULL || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (role_parse(role, &t.role) != 0 || (!agent && t.role == ROLE_AGENT))
		die("--role: expected viewer, operator, engineer or admin, not "
		    "'%s'", role);
	if (sodium_init() < 0)
		die("cannot initialise libsodium");
	if ((st = store_open(db, 0, err, sizeof err)) == NULL)
		die("%s", err);
	if (store_write(st, token_fn, &t, err, sizeof err) != 0)
		die("cannot create the token: %s", t.err[0] ? t.err : err);
	store_close(st);
	printf("%s\n", t.token);
	fprintf(stderr, "kobito-scheduler: token %lld for %s '%s' created; it "
	    "is shown only this once\n", (long long)t.id, role, t.name);
	sodium_memzero(t.token, sizeof t.token);
	return 0;
}

static int
cmd_routes(int argc, char **argv)
{
	json_t *r = api_routes_json(), *v;
	size_t i;

	if (argc > 1 && strcmp(argv[1], "--json") == 0) {
		json_dumpf(r, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		json_array_foreach(r, i, v)
			printf("%-7s %-36s %-9s %s%s%s\n",
			    json_string_value(json_object_get(v, "method")),
			    json_string_value(json_object_get(v, "path")),
			    json_string_value(json_object_get(v, "role")),
			    json_string_value(json_object_get(v, "scope")),
			    json_is_string(json_object_get(v, "object")) ?
			    " " : "", json_is_string(json_object_get(v,
			    "object")) ? json_string_value(json_object_get(v,
			    "object")) : "");
	}
	json_decref(r);
	return 0;
}

/* --- the daemon ---------------------------------------------------------- */

struct bootw {
	struct scripts		 *sc;
	struct sched		 *sched;
	const struct script	**dir;
	size_t			  ndir;
	json_t			 *schedules;
	int64_t			  now;
	int64_t			  ttl;
	int			  failed;
};

/* Store the scripts directory and the config's schedules; extend leases. */
static int
boot_fn(struct conn *c, void *p)
{
	struct bootw *b = p;
	json_t *s, *errors, *def, *e;
	char err[256];
	size_t i, j;
	int created;

	for (i = 0; i < b->ndir; i++)
		if (scripts_store(c, b->dir[i], "dir", b->dir[i]->path, NULL,
		    b->now, &created, err, sizeof err) != 0) {
			fprintf(stderr, "kobito-scheduler: %s: %s\n",
			    b->dir[i]->path, err);
			return -1;
		}
	json_array_foreach(b->schedules, i, s) {
		const char *pos = json_string_value(json_object_get(s, "_pos"));

		json_object_del(s, "_pos");
		errors = json_array();
		def = sched_check(b->sched, c, b->sc, s, errors);
		json_array_foreach(errors, j, e)
			fprintf(stderr, "kobito-scheduler: %s: schedule: %s\n",
			    pos ? pos : "config", json_string_value(e));
		json_decref(errors);
		if (def == NULL) {
			b->failed = 1;
			continue;
		}
		if (sched_put(b->sched, c, def, "config", b->now, &created,
		    err, sizeof err) != 0) {
			fprintf(stderr, "kobito-scheduler: %s: %s\n",
			    pos ? pos : "config", err);
			b->failed = 1;
		}
		json_decref(def);
	}
	if (queues_extend_leases(c, b->now, b->ttl) != QUEUES_OK)
		return -1;
	return jobs_extend_leases(c, b->now, b->ttl) == JOBS_OK ? 0 : -1;
}

static int
write_port_file(const char *path, int port)
{
	char buf[32], err[512];
	int n = snprintf(buf, sizeof buf, "%d\n", port);

	if (fsutil_write_atomic(path, buf, (size_t)n, 0644, err,
	    sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		return -1;
	}
	return 0;
}

static int
serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "scripts", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "kpi-config", required_argument, NULL, 'K' },
		{ "dashboard", required_argument, NULL, 'D' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'Y' },
		{ "secure-cookies", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *listen_spec = NULL, *dir = NULL, *cfgpath = NULL;
	const char *keyfile = NULL, *portfile = NULL;
	const char *kpipath = NULL, *dashdir = NULL;
	const char *certpath = NULL, *tlskeypath = NULL;
	char *cert = NULL, *tlskey = NULL;
	int secure_cookies = 0;
	struct dirauth *directory;
	struct web *web;
	struct settings set;
	struct bootw boot;
	struct store *st = NULL;
	struct scripts *sc;
	struct sched *sched;
	struct secrets sk;
	struct tfmt tf;
	struct api *api;
	char err[512], *keydefault = NULL, *end;
	sigset_t sigs;
	struct rlimit rl;
	int c, fd, port = 0, sig;
	long threads = 0;

	memset(&set, 0, sizeof set);
	api_config_defaults(&set.api);
	set.threads = set.api.threads;
	set.retention = set.api.retention_days;
	set.artifacts = set.api.artifacts_per_run;
	set.timezone = xstrdup("Asia/Tokyo");
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'l': listen_spec = optarg; break;
		case 's': dir = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'p': portfile = optarg; break;
		case 'K': kpipath = optarg; break;
		case 'D': dashdir = optarg; break;
		case 'C': certpath = optarg; break;
		case 'Y': tlskeypath = optarg; break;
		case 'S': secure_cookies = 1; break;
		case 't':
			errno = 0;
			threads = strtol(optarg, &end, 10);
			if (errno || *end || threads < 1 || threads > 256)
				die("--threads: expected 1-256");
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (db == NULL || listen_spec == NULL || dir == NULL ||
	    optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (cfgpath != NULL && load_config(cfgpath, &set) != 0)
		return 1;
	set.api.threads = threads > 0 ? (int)threads : (int)set.threads;
	set.api.retention_days = (int)set.retention;
	set.api.artifacts_per_run = (int)set.artifacts;
	if (set.api.jobs.backoff_max_ms < set.api.jobs.backoff_ms)
		die("jobs.backoff_max_ms must not be below jobs.backoff_ms");
	if (sodium_init() < 0)
		die("cannot initialise libsodium");
	if ((certpath == NULL) != (tlskeypath == NULL))
		die("--tls-cert and --tls-key go together");
	if (certpath != NULL) {
		cert = read_pem(certpath, 0);
		tlskey = read_pem(tlskeypath, 1);
		set.api.tls_cert = cert;
		set.api.tls_key = tlskey;
	}
	if (tfmt_init(&tf, set.timezone, err, sizeof err) != 0)
		die("timezone: %s", err);

	/*
	 * Every agent holds a connection open (its long poll): allow as many
	 * descriptors as the system lets this user have.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	/* Threads started from here on inherit the blocked signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((st = store_open(db, STORE_LOCK | STORE_WRITER, err,
	    sizeof err)) == NULL)
		die("%s", err);
	if (keyfile == NULL)
		keyfile = keydefault = xasprintf("%s.key", db);
	if (secrets_load_key(&sk, keyfile, 1, err, sizeof err) != 0)
		die("%s", err);
	sc = scripts_new();
	sched = sched_new();
	memset(&boot, 0, sizeof boot);
	boot.sc = sc;
	boot.sched = sched;
	boot.schedules = set.schedules;
	boot.now = time_wall_ms();
	boot.ttl = set.api.lease_ttl_ms;
	if (scripts_load_dir(sc, dir, &boot.dir, &boot.ndir, err,
	    sizeof err) != 0)
		die("%s", err);
	if (store_write(st, boot_fn, &boot, err, sizeof err) != 0)
		die("cannot load the scripts and schedules: %s", err);
	free(boot.dir);
	if (boot.failed)
		die("%s: the schedules above do not validate", cfgpath);

	if ((web = web_setup(st, kpipath, dashdir, err, sizeof err)) == NULL)
		die("%s", err);
	if ((fd = listen_on(listen_spec, &port, err, sizeof err)) < 0)
		die("%s", err);
	directory = load_directory(cfgpath, web_kpi(web));
	web_set_directory(web, directory);
	web_set_secrets(web, &sk);
	/* Cookies go only over HTTPS: ours, or a proxy's in front of us. */
	web_set_secure_cookies(web, cert != NULL || secure_cookies);
	api = api_new(st, sc, sched, &sk, &tf, &set.api);
	api_set_web(api, web);
	if (api_start(api, fd, err, sizeof err) != 0)
		die("%s", err);
	if (portfile != NULL && write_port_file(portfile, port) != 0)
		die("cannot write the port file");
	fprintf(stderr, "kobito-scheduler: listening on %s (port %d), database "
	    "'%s', %zu scripts from '%s', %d threads\n", listen_spec, port, db,
	    boot.ndir, dir, set.api.threads);

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
	}
	fprintf(stderr, "kobito-scheduler: %s: stopping\n", strsignal(sig));
	api_stop(api);
	api_free(api);
	web_free(web);
	dirauth_free(directory);
	store_close(st);
	scripts_free(sc);
	sched_free(sched);
	secrets_clear(&sk);
	tfmt_free(&tf);
	json_decref(set.schedules);
	free(set.timezone);
	free(keydefault);
	free(cert);
	if (tlskey != NULL)
		sodium_memzero(tlskey, strlen(tlskey));
	free(tlskey);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return cmd_token(argc - 1, argv + 1, 0);
	if (argc > 1 && strcmp(argv[1], "agent-token") == 0)
		return cmd_token(argc - 1, argv + 1, 1);
	if (argc > 1 && strcmp(argv[1], "user") == 0)
		return web_cmd_user(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "routes") == 0)
		return cmd_routes(argc - 1, argv + 1);
	return serve(argc, argv);
}
