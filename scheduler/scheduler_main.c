/*
 * scheduler_main.c - bin/kobito-scheduler: the daemon, and a table of its
 * admin commands (admin.h; `kobito-scheduler --help` lists them all).
 *
 *   kobito-scheduler --config FILE | --db FILE --listen HOST:PORT
 *                    --scripts DIR [OPTION]...
 *
 * The daemon binds the socket itself (so "--listen 127.0.0.1:0" can ask
 * the kernel for a free port, written to --port-file once listening),
 * takes the database lock, applies migrations, loads the scripts
 * directory and the config file's schedules, gives live leases one more
 * TTL (agents could not heartbeat while it was down), tells systemd it is
 * ready, and serves until SIGTERM or SIGINT.
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

#include "admin.h"
#include "api.h"
#include "auth.h"
#include "dirauth.h"
#include "fsutil.h"
#include "jobs.h"
#include "query.h"
#include "queues.h"
#include "schedconf.h"
#include "schedules.h"
#include "scripts.h"
#include "secrets.h"
#include "service.h"
#include "store.h"
#include "timeutil.h"
#include "web.h"
#include "xmalloc.h"
#include "ydoc.h"

/*
 * Every way to call the program, for --help and the man page: the daemon,
 * each admin command's own synopsis (admin.h), the others.
 */
static const char daemon_synopsis[] =
	"--config FILE | --db FILE --listen HOST:PORT --scripts DIR [OPTION]...";
static const char *const other_synopsis[] = {
	"user set|list --db FILE ... (see docs/kpi.md)",
	"routes [--json]",
	"COMMAND --help",
};

/* The lines, as a NULL-terminated array; free with free_synopsis(). */
static char **
make_synopsis(void)
{
	size_t i, j, n = 0, cap = 2 + sizeof other_synopsis /
	    sizeof other_synopsis[0];
	char **lines;

	for (i = 0; i < admin_ncmds; i++)
		for (j = 0; admin_cmds[i].synopsis[j] != NULL; j++)
			cap++;
	lines = xcalloc(cap, sizeof *lines);
	lines[n++] = xstrdup(daemon_synopsis);
	for (i = 0; i < admin_ncmds; i++)
		for (j = 0; admin_cmds[i].synopsis[j] != NULL; j++)
			lines[n++] = xasprintf("%s %s", admin_cmds[i].name,
			    admin_cmds[i].synopsis[j]);
	for (i = 0; i < sizeof other_synopsis / sizeof other_synopsis[0]; i++)
		lines[n++] = xstrdup(other_synopsis[i]);
	return lines;
}

static void
free_synopsis(char **lines)
{
	size_t i;

	for (i = 0; lines[i] != NULL; i++)
		free(lines[i]);
	free(lines);
}

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

/* The daemon's part of the man page: its options and every command's. */
static void
print_man(struct opts *o)
{
	struct opts co;
	char prog[64];
	size_t i;

	opts_man(o, stdout);
	fputs(".SH COMMANDS\n", stdout);
	for (i = 0; i < admin_ncmds; i++) {
		admin_opts(&admin_cmds[i], &co, prog, sizeof prog);
		opts_man_command(&co, stdout);
	}
}

static int
serve(int argc, char **argv)
{
	struct schedconf set;
	struct opts o;
	char *cert = NULL, *tlskey = NULL;
	struct dirauth *directory;
	struct web *web;
	struct bootw boot;
	struct store *st = NULL;
	struct scripts *sc;
	struct sched *sched;
	struct secrets sk;
	struct tfmt tf;
	struct api *api;
	char err[512], *keyfile, **synopsis;
	sigset_t sigs;
	struct rlimit rl;
	int fd, port = 0, sig, next, rc;

	synopsis = make_synopsis();
	schedconf_init(&set, &o, (const char *const *)synopsis);
	if (argc == 2 && strcmp(argv[1], "--help-man") == 0) {
		print_man(&o);
		rc = 1;
	} else if ((rc = opts_parse(&o, argc, argv, 1, &next)) == 0 &&
	    next != argc) {
		fprintf(stderr, "kobito-scheduler: unknown command '%s'\n",
		    argv[next]);
		rc = -1;
	}
	free_synopsis(synopsis);
	o.synopsis = NULL;
	if (rc != 0) {
		opts_release(&o);
		schedconf_release(&set);
		return rc > 0 ? 0 : 2;
	}
	/* A bad file is a failure, a missing option a usage error. */
	if (set.config != NULL && schedconf_load(&set, &o, set.config) != 0)
		rc = 1;
	else if (opts_check_required(&o) != 0)
		rc = 2;
	if (rc != 0) {
		opts_release(&o);
		schedconf_release(&set);
		return rc;
	}
	set.api.threads = (int)set.threads;
	set.api.retention.default_ms = set.retention_ms >= 0 ?
	    set.retention_ms : set.retention * 86400000;
	set.api.retention.keep = set.keep;
	set.api.retention.n = set.nkeep;
	set.api.artifacts_per_run = (int)set.artifacts;
	set.api.watchdog_ms = service_watchdog_ms();
	if (set.api.jobs.backoff_max_ms < set.api.jobs.backoff_ms)
		die("jobs.backoff_max_ms must not be below jobs.backoff_ms");
	if (sodium_init() < 0)
		die("cannot initialise libsodium");
	if ((set.tls_cert == NULL) != (set.tls_key == NULL))
		die("--tls-cert and --tls-key go together");
	if (set.tls_cert != NULL) {
		cert = read_pem(set.tls_cert, 0);
		tlskey = read_pem(set.tls_key, 1);
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

	service_status("opening %s", set.db);
	if ((st = store_open(set.db, STORE_LOCK | STORE_WRITER, err,
	    sizeof err)) == NULL)
		die("%s", err);
	keyfile = set.key_file ? xstrdup(set.key_file) :
	    xasprintf("%s.key", set.db);
	if (secrets_load_key(&sk, keyfile, 1, err, sizeof err) != 0)
		die("%s", err);
	free(keyfile);
	sc = scripts_new();
	sched = sched_new();
	memset(&boot, 0, sizeof boot);
	boot.sc = sc;
	boot.sched = sched;
	boot.schedules = set.schedules;
	boot.now = time_wall_ms();
	boot.ttl = set.api.lease_ttl_ms;
	if (scripts_load_dir(sc, set.scripts, &boot.dir, &boot.ndir, err,
	    sizeof err) != 0)
		die("%s", err);
	if (store_write(st, boot_fn, &boot, err, sizeof err) != 0)
		die("cannot load the scripts and schedules: %s", err);
	free(boot.dir);
	if (boot.failed)
		die("%s: the schedules above do not validate", set.config);

	if ((web = web_setup(st, set.kpi_config, set.dashboard, err,
	    sizeof err)) == NULL)
		die("%s", err);
	if ((fd = listen_on(set.listen, &port, err, sizeof err)) < 0)
		die("%s", err);
	directory = load_directory(set.config, web_kpi(web));
	web_set_directory(web, directory);
	web_set_secrets(web, &sk);
	/* Cookies go only over HTTPS: ours, or a proxy's in front of us. */
	web_set_secure_cookies(web, cert != NULL || set.secure_cookies);
	api = api_new(st, sc, sched, &sk, &tf, &set.api);
	api_set_web(api, web);
	if (api_start(api, fd, err, sizeof err) != 0)
		die("%s", err);
	if (set.port_file != NULL && write_port_file(set.port_file, port) != 0)
		die("cannot write the port file");
	fprintf(stderr, "kobito-scheduler: listening on %s (port %d), database "
	    "'%s', %zu scripts from '%s', %d threads\n", set.listen, port,
	    set.db, boot.ndir, set.scripts, set.api.threads);
	service_ready("listening on %s (port %d), %zu scripts", set.listen,
	    port, boot.ndir);

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
	}
	fprintf(stderr, "kobito-scheduler: %s: stopping\n", strsignal(sig));
	service_stopping();
	api_stop(api);
	api_free(api);
	web_free(web);
	dirauth_free(directory);
	store_close(st);
	scripts_free(sc);
	sched_free(sched);
	secrets_clear(&sk);
	tfmt_free(&tf);
	free(cert);
	if (tlskey != NULL)
		sodium_memzero(tlskey, strlen(tlskey));
	free(tlskey);
	opts_release(&o);
	schedconf_release(&set);
	return 0;
}

/* The commands that are not the daemon, by name. */
struct command {
	const char	*name;
	int		(*fn)(int, char **);
};

static const struct command commands[] = {
	{ "user", web_cmd_user },
	{ "routes", cmd_routes },
};

int
main(int argc, char **argv)
{
	size_t i;

	if (argc > 1) {
		for (i = 0; i < admin_ncmds; i++)
			if (strcmp(argv[1], admin_cmds[i].name) == 0)
				return admin_cmds[i].fn(argc - 1, argv + 1);
		for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].fn(argc - 1, argv + 1);
	}
	return serve(argc, argv);
}
