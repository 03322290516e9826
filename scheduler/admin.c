/*
 * admin.c - the scheduler's admin commands (see admin.h): the first start
 * (init) and the tokens.  Each finds its database as schedconf.h says and
 * works on it with the store's own functions, so what it writes is what
 * the daemon would have written.
 */
#include <sys/stat.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "admin.h"
#include "audit.h"
#include "auth.h"
#include "backup.h"
#include "schedconf.h"
#include "secrets.h"
#include "store.h"
#include "textutil.h"
#include "timeutil.h"
#include "web.h"
#include "xmalloc.h"

void
admin_opts(const struct admin_cmd *cmd, struct opts *o, char *prog,
    size_t proglen)
{
	memset(o, 0, sizeof *o);
	snprintf(prog, proglen, "kobito-scheduler %s", cmd->name);
	o->prog = prog;
	o->synopsis = cmd->synopsis;
	o->summary = cmd->summary;
	o->table = cmd->table;
	o->n = cmd->n;
}

/* Parse a command's arguments into vals; -1 usage (2), 1 help (0), 0. */
static int
parse(const char *name, int argc, char **argv, void *vals, int *next)
{
	const struct admin_cmd *cmd = NULL;
	struct opts o;
	char prog[64];
	size_t i;
	int rc;

	for (i = 0; i < admin_ncmds; i++)
		if (strcmp(admin_cmds[i].name, name) == 0)
			cmd = &admin_cmds[i];
	admin_opts(cmd, &o, prog, sizeof prog);
	o.out = vals;
	rc = opts_parse(&o, argc, argv, 1, next);
	free(o.given);
	return rc;
}

/*
 * Files the service's user cannot open are no use: as root, refuse to
 * create (or replace) them in a directory that belongs to someone else.
 */
static int
check_owner(const char *path)
{
	char *copy = xstrdup(path), *dir = dirname(copy);
	struct stat sb;
	int rc = 0;

	if (geteuid() == 0 && stat(dir, &sb) == 0 && sb.st_uid != 0) {
		fprintf(stderr, "kobito-scheduler: '%s' belongs to uid %ld: run "
		    "this as that user (sudo -u kobito kobito-scheduler ...), "
		    "so that the scheduler can open what it creates\n", dir,
		    (long)sb.st_uid);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* Remove a database this command created and could not finish. */
static void
remove_db(const char *db)
{
	static const char *const ext[] = { "", "-wal", "-shm", ".lock" };
	char *p;
	size_t i;

	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		p = xasprintf("%s%s", db, ext[i]);
		unlink(p);
		free(p);
	}
}

/* --- init ---------------------------------------------------------------- */

struct initv {
	char		*db, *config, *admin, *key_file, *password_file;
	int		 password_stdin;
};

#define IO(f)	offsetof(struct initv, f)
static const struct opt init_opts[] = {
	{ "config", OPT_TEXT, "FILE", IO(config), 0, 0, NULL, 0,
	    "The scheduler's configuration file, for db:, key_file: and "
	    "listen: (default /etc/kobito/scheduler.yaml when it exists)." },
	{ "db", OPT_TEXT, "FILE", IO(db), 0, 0, NULL, 0,
	    "The database to create (instead of the configuration's db:)." },
	{ "admin", OPT_TEXT, "NAME", IO(admin), 0, 0, NULL, 0,
	    "The first admin's user name (default admin)." },
	{ "key-file", OPT_TEXT, "FILE", IO(key_file), 0, 0, NULL, 0,
	    "Where to create the key that seals secrets (default: the "
	    "configuration's key_file:, else the database's path with .key)." },
	{ "password-file", OPT_TEXT, "FILE", IO(password_file), 0, 0, NULL, 0,
	    "Read the admin's password from the first line of FILE." },
	{ "password-stdin", OPT_FLAG, NULL, IO(password_stdin), 0, 0, NULL, 0,
	    "Read the admin's password from standard input (asked twice, "
	    "without echo, on a terminal)." },
};
#undef IO

static const char *const init_synopsis[] = {
	"[--config FILE | --db FILE] [--admin NAME] [--key-file FILE] "
	"--password-file FILE | --password-stdin",
	NULL,
};

/* One line from the terminal without echo; NULL at end of input. */
static char *
ask(const char *prompt)
{
	struct termios old, quiet;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(prompt, stderr);
	tcgetattr(0, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(0, TCSAFLUSH, &quiet);
	n = getline(&line, &cap, stdin);
	tcsetattr(0, TCSAFLUSH, &old);
	fputc('\n', stderr);
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

static void
wipe(char *s)
{
	if (s != NULL)
		sodium_memzero(s, strlen(s));
	free(s);
}

/* The admin's password, from a file, a pipe or a terminal. */
static char *
init_password(const struct initv *v)
{
	char err[512], *a, *b;

	if (v->password_file != NULL || !isatty(0)) {
		a = web_read_password(v->password_file, err, sizeof err);
		if (a == NULL)
			fprintf(stderr, "kobito-scheduler: %s\n", err);
		return a;
	}
	if ((a = ask("password for the admin: ")) == NULL ||
	    (b = ask("the same again: ")) == NULL) {
		wipe(a);
		return NULL;
	}
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "kobito-scheduler: the two passwords differ\n");
		wipe(a);
		a = NULL;
	}
	wipe(b);
	return a;
}

struct initw {
	const char	*admin;
	const char	*password;
	int64_t		 users;
	char		 err[256];
};

static int
init_fn(struct conn *c, void *p)
{
	struct initw *w = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT count(*) FROM users");
	int created;

	if (sqlite3_step(st) == SQLITE_ROW)
		w->users = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (w->users > 0) {
		snprintf(w->err, sizeof w->err, "the database has %lld user(s) "
		    "already: it was set up before (add users with "
		    "kobito-scheduler user set)", (long long)w->users);
		return -1;
	}
	return web_user_set(c, NULL, w->admin, "admin", NULL, w->password, 0,
	    time_wall_ms(), &created, w->err, sizeof w->err);
}

static void
init_next(const char *db, const char *keyfile, const char *admin,
    const char *listen)
{
	printf("kobito-scheduler: created the database %s (schema version %d), "
	    "the key %s and the admin '%s'.\n\nNext:\n", db,
	    STORE_SCHEMA_VERSION, keyfile, admin);
	printf("  1. Start the scheduler:   systemctl enable --now "
	    "kobito-scheduler\n");
	printf("  2. Log in to the dashboard as '%s':   http://%s/\n", admin,
	    listen != NULL ? listen : "HOST:8470");
	printf("  3. For each agent machine, make its token here and copy it "
	    "there\n     (/etc/kobito/agent.token, mode 0600, owner "
	    "kobito-agent):\n       kobito-scheduler agent-token create "
	    "--name pc-042 > pc-042.token\n     then set scheduler: and "
	    "name: in its /etc/kobito/agent.yaml and run\n       systemctl "
	    "enable --now kobito-agent\n");
	printf("  4. Put scripts in the scripts directory (scripts: in "
	    "scheduler.yaml) or POST them.\n");
	printf("  5. Schedule backups: kobito-scheduler backup FILE (see "
	    "kobito-scheduler(8), BACKUPS).\n");
	printf("  6. Keep a copy of %s apart from the backups: without it "
	    "the secrets cannot be opened.\n", keyfile);
}

static int
cmd_init(int argc, char **argv)
{
	struct initv v;
	struct initw w;
	struct schedconf c;
	struct opts o;
	struct secrets sk;
	struct store *st = NULL;
	char err[512], *db = NULL, *keyfile = NULL, *password = NULL;
	int next, rc = 1, existed = 1;

	memset(&v, 0, sizeof v);
	if ((rc = parse("init", argc, argv, &v, &next)) != 0 || next != argc) {
		rc = rc > 0 ? 0 : 2;
		goto out;
	}
	rc = 1;
	if (v.password_file == NULL && !v.password_stdin) {
		fprintf(stderr, "kobito-scheduler init: give --password-file "
		    "FILE or --password-stdin (a password is never taken from "
		    "the command line)\n");
		rc = 2;
		goto out;
	}
	schedconf_init(&c, &o, NULL);
	if ((db = schedconf_db(&c, v.db, v.config)) == NULL)
		goto done;
	keyfile = v.key_file ? xstrdup(v.key_file) : c.key_file ?
	    xstrdup(c.key_file) : xasprintf("%s.key", db);
	if ((existed = access(db, F_OK) == 0))
		fprintf(stderr, "kobito-scheduler: %s exists; setting it up\n",
		    db);
	if (check_owner(db) != 0 || check_owner(keyfile) != 0)
		goto done;
	if ((password = init_password(&v)) == NULL)
		goto done;
	if (text_utf8_chars(password, strlen(password)) < WEB_PASSWORD_MIN ||
	    strlen(password) > WEB_PASSWORD_MAX) {
		fprintf(stderr, "kobito-scheduler: the password must have %d to "
		    "%d characters\n", WEB_PASSWORD_MIN, WEB_PASSWORD_MAX);
		goto done;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "kobito-scheduler: cannot initialise libsodium\n");
		goto done;
	}
	/* The lock: init while a scheduler runs on it is refused. */
	if ((st = store_open(db, STORE_LOCK, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		goto done;
	}
	memset(&w, 0, sizeof w);
	w.admin = v.admin ? v.admin : "admin";
	w.password = password;
	if (store_write(st, init_fn, &w, err, sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: %s\n", w.err[0] ? w.err : err);
		goto done;
	}
	if (secrets_load_key(&sk, keyfile, 1, err, sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		goto done;
	}
	secrets_clear(&sk);
	init_next(db, keyfile, w.admin, c.listen);
	rc = 0;
done:
	store_close(st);
	if (rc != 0 && st != NULL && !existed)
		remove_db(db);
	schedconf_release(&c);
	wipe(password);
	free(db);
	free(keyfile);
out:
	free(v.db);
	free(v.config);
	free(v.admin);
	free(v.key_file);
	free(v.password_file);
	return rc;
}

/* --- token create, agent-token create ------------------------------------ */

struct tokenv {
	char		*db, *config, *role, *name;
};

#define TO(f)	offsetof(struct tokenv, f)
static const struct opt token_opts[] = {
	{ "db", OPT_TEXT, "FILE", TO(db), 0, 0, NULL, 0,
	    "The database (instead of the configuration's db:)." },
	{ "config", OPT_TEXT, "FILE", TO(config), 0, 0, NULL, 0,
	    "The scheduler's configuration file, for db: (default "
	    "/etc/kobito/scheduler.yaml when it exists)." },
	{ "name", OPT_TEXT, "NAME", TO(name), 0, 0, NULL, 0,
	    "Whose token it is: a person, a program, or the agent's name." },
	/* Last: agent-token takes the others only. */
	{ "role", OPT_TEXT, "ROLE", TO(role), 0, 0, NULL, 0,
	    "viewer, operator, engineer or admin." },
};
#undef TO

static const char *const token_synopsis[] = {
	"create [--config FILE | --db FILE] --role ROLE --name NAME",
	NULL,
};

static const char *const agent_token_synopsis[] = {
	"create [--config FILE | --db FILE] --name AGENT",
	NULL,
};

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

static int
token_cmd(int argc, char **argv, int agent)
{
	struct tokenv v;
	struct tokreq t;
	struct schedconf c;
	struct opts o;
	struct store *st = NULL;
	char err[512], *db = NULL;
	int next, rc;

	memset(&v, 0, sizeof v);
	memset(&t, 0, sizeof t);
	if (argc == 2 && strncmp(argv[1], "--help", 6) == 0)
		return parse(argv[0], argc, argv, &v, &next) > 0 ? 0 : 2;
	if (argc < 2 || strcmp(argv[1], "create") != 0) {
		fprintf(stderr, "usage: kobito-scheduler %s %s\n", argv[0],
		    agent ? agent_token_synopsis[0] : token_synopsis[0]);
		return 2;
	}
	schedconf_init(&c, &o, NULL);
	if ((rc = parse(argv[0], argc - 1, argv + 1, &v, &next)) != 0 ||
	    next != argc - 1 || v.name == NULL || (agent && v.role != NULL) ||
	    (!agent && v.role == NULL)) {
		if (rc == 0)
			fprintf(stderr, "usage: kobito-scheduler %s %s\n",
			    argv[0], agent ? agent_token_synopsis[0] :
			    token_synopsis[0]);
		rc = rc > 0 ? 0 : 2;
		goto out;
	}
	rc = 1;
	t.name = v.name;
	t.role = ROLE_AGENT;
	if (!agent && (role_parse(v.role, &t.role) != 0 ||
	    t.role == ROLE_AGENT)) {
		fprintf(stderr, "kobito-scheduler: --role: expected viewer, "
		    "operator, engineer or admin, not '%s'\n", v.role);
		goto out;
	}
	if (sodium_init() < 0 || (db = schedconf_db(&c, v.db, v.config)) == NULL)
		goto out;
	if ((st = store_open(db, 0, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		goto out;
	}
	if (store_write(st, token_fn, &t, err, sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: cannot create the token: "
		    "%s\n", t.err[0] ? t.err : err);
		goto out;
	}
	printf("%s\n", t.token);
	fprintf(stderr, "kobito-scheduler: token %lld for %s '%s' created; it "
	    "is shown only this once\n", (long long)t.id,
	    agent ? "agent" : v.role, t.name);
	rc = 0;
out:
	sodium_memzero(t.token, sizeof t.token);
	store_close(st);
	schedconf_release(&c);
	free(db);
	free(v.db);
	free(v.config);
	free(v.role);
	free(v.name);
	return rc;
}

static int
cmd_token(int argc, char **argv)
{
	return token_cmd(argc, argv, 0);
}

static int
cmd_agent_token(int argc, char **argv)
{
	return token_cmd(argc, argv, 1);
}

/*
 * The options of audit verify, restore and backup, in one table: each
 * takes a run of it (audit the first three, restore the middle two,
 * backup the last three).
 */
struct dbv {
	char		*db, *config, *expect;
	long long	 keep;
};

#define DO(f)	offsetof(struct dbv, f)
static const struct opt db_opts[] = {
	{ "expect", OPT_TEXT, "ID:HASH", DO(expect), 0, 0, NULL, 0,
	    "The row ID must still be there with the hash HASH, as an "
	    "earlier verify printed it: the log was not cut short or "
	    "rewritten since." },
	{ "config", OPT_TEXT, "FILE", DO(config), 0, 0, NULL, 0,
	    "The scheduler's configuration file, for db: (default "
	    "/etc/kobito/scheduler.yaml when it exists)." },
	{ "db", OPT_TEXT, "FILE", DO(db), 0, 0, NULL, 0,
	    "The database (instead of the configuration's db:)." },
	{ "keep", OPT_INT, "N", DO(keep), 1, 100000, NULL, 0,
	    "When FILE is a directory: keep the newest N backups in it "
	    "(kobito-YYYYMMDD-HHMMSS.db), remove the older ones." },
};
#undef DO

/* --- audit verify ------------------------------------------------------------ */

static const char *const audit_synopsis[] = {
	"verify [--config FILE | --db FILE] [--expect ID:HASH]",
	NULL,
};

/* --expect ID:HASH into its parts; -1 after saying what is wrong. */
static int
parse_expect(const char *s, int64_t *id, const char **hash)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	char digits[24];

	*id = 0;
	*hash = NULL;
	if (s == NULL)
		return 0;
	if (colon != NULL && (size_t)(colon - s) < sizeof digits) {
		memcpy(digits, s, (size_t)(colon - s));
		digits[colon - s] = '\0';
		*id = text_parse_id(digits);
	}
	if (*id <= 0 ||
	    strlen(colon + 1) != AUDIT_HASH_HEX ||
	    strspn(colon + 1, "0123456789abcdef") != AUDIT_HASH_HEX) {
		fprintf(stderr, "kobito-scheduler: --expect: expected ID:HASH "
		    "(a row id, a colon, %d hex characters), not '%s'\n",
		    AUDIT_HASH_HEX, s);
		return -1;
	}
	*hash = colon + 1;
	return 0;
}

static int
verify_db(const char *db, int64_t id, const char *hash)
{
	struct audit_check k;
	struct conn c;
	int v, rc;

	/* Opened as it is (never created, its journal mode left alone). */
	memset(&c, 0, sizeof c);
	if (sqlite3_open_v2(db, &c.db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "kobito-scheduler: cannot open '%s': %s\n", db,
		    sqlite3_errmsg(c.db));
		conn_close(&c);
		return 1;
	}
	sqlite3_busy_timeout(c.db, STORE_BUSY_MS);
	if ((v = conn_schema_version(&c)) < AUDIT_SCHEMA) {
		fprintf(stderr, "kobito-scheduler: '%s' has schema version %d: "
		    "its audit log is chained when this scheduler first starts "
		    "on it\n", db, v);
		conn_close(&c);
		return 1;
	}
	rc = audit_verify(&c, id, hash, &k);
	conn_close(&c);
	if (rc < 0) {
		fprintf(stderr, "kobito-scheduler: %s\n", k.why);
		return 1;
	}
	if (rc > 0) {
		fprintf(stderr, "kobito-scheduler: the audit log of %s is "
		    "broken at row %lld: %s (%lld rows before it are intact)\n",
		    db, (long long)k.bad_id, k.why, (long long)k.rows);
		return 1;
	}
	printf("audit log intact: %lld rows", (long long)k.rows);
	if (k.last_id > 0)
		printf("; the last is %lld:%s\n(keep it apart and check "
		    "later with --expect %lld:%s)", (long long)k.last_id,
		    k.last_hash, (long long)k.last_id, k.last_hash);
	printf("\n");
	return 0;
}

static int
cmd_audit(int argc, char **argv)
{
	struct dbv v;
	struct schedconf c;
	struct opts o;
	const char *hash;
	char *db = NULL;
	int64_t id;
	int next, rc;

	memset(&v, 0, sizeof v);
	if (argc == 2 && strncmp(argv[1], "--help", 6) == 0)
		return parse(argv[0], argc, argv, &v, &next) > 0 ? 0 : 2;
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "usage: kobito-scheduler audit %s\n",
		    audit_synopsis[0]);
		return 2;
	}
	if ((rc = parse(argv[0], argc - 1, argv + 1, &v, &next)) != 0 ||
	    next != argc - 1) {
		if (rc == 0)
			fprintf(stderr, "usage: kobito-scheduler audit %s\n",
			    audit_synopsis[0]);
		rc = rc > 0 ? 0 : 2;
		goto out;
	}
	rc = 1;
	if (parse_expect(v.expect, &id, &hash) != 0)
		goto out;
	schedconf_init(&c, &o, NULL);
	db = schedconf_db(&c, v.db, v.config);
	schedconf_release(&c);
	if (db != NULL)
		rc = verify_db(db, id, hash);
out:
	free(db);
	free(v.db);
	free(v.config);
	free(v.expect);
	return rc;
}

/* --- backup, restore ----------------------------------------------------- */

static const char *const backup_synopsis[] = {
	"[--config FILE | --db FILE] [--keep N] FILE|DIR",
	NULL,
};

static const char *const restore_synopsis[] = {
	"[--config FILE | --db FILE] FILE",
	NULL,
};

/*
 * The database of a command that takes one operand (*file); NULL after
 * saying why (*rc: 0 after --help, 2 usage, 1 failure).
 */
static char *
db_and_file(const char *name, int argc, char **argv, const char **file,
    long long *keep, int *rc)
{
	struct dbv v;
	struct schedconf c;
	struct opts o;
	char *db = NULL;
	int next;

	memset(&v, 0, sizeof v);
	if ((*rc = parse(name, argc, argv, &v, &next)) != 0 ||
	    next != argc - 1) {
		if (*rc == 0)
			fprintf(stderr, "usage: kobito-scheduler %s %s\n", name,
			    keep ? backup_synopsis[0] : restore_synopsis[0]);
		*rc = *rc > 0 ? 0 : 2;
	} else {
		*file = argv[next];
		*rc = 1;
		if (keep != NULL)
			*keep = v.keep;
		schedconf_init(&c, &o, NULL);
		db = schedconf_db(&c, v.db, v.config);
		schedconf_release(&c);
	}
	free(v.db);
	free(v.config);
	return db;
}

static void
say_info(const char *verb, const char *from, const char *to,
    const struct backup_info *i, int64_t ms)
{
	fprintf(stderr, "kobito-scheduler: %s %s to %s: %lld jobs, %lld KPI "
	    "ledger rows, %.1f MB, schema version %d, in %lld ms\n", verb,
	    from, to, (long long)i->jobs, (long long)i->ledger,
	    (double)i->bytes / 1e6, i->schema, (long long)ms);
}

static int
cmd_backup(int argc, char **argv)
{
	struct backup_info info;
	const char *file = NULL;
	char err[512], *db, *named;
	int64_t t0 = time_mono_ms();
	long long keep = 0;
	int rc = 1, removed;

	if ((db = db_and_file("backup", argc, argv, &file, &keep, &rc)) == NULL)
		return rc;
	/* Into a directory: a new file named by the time. */
	named = backup_name(file, time_wall_ms());
	if (keep > 0 && named == NULL) {
		fprintf(stderr, "kobito-scheduler: backup: --keep needs a "
		    "directory, and '%s' is not one\n", file);
		goto out;
	}
	if (backup_take(db, named ? named : file, &info, err,
	    sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: backup: %s\n", err);
		goto out;
	}
	say_info("backed up", db, named ? named : file, &info,
	    time_mono_ms() - t0);
	/* The audit log's head, into the journal every night. */
	if (info.schema >= AUDIT_SCHEMA && verify_db(named ? named : file, 0, NULL) != 0)
		goto out;
	if (keep > 0) {
		if ((removed = backup_prune(file, (int)keep, err,
		    sizeof err)) < 0) {
			fprintf(stderr, "kobito-scheduler: backup: %s\n", err);
			goto out;
		}
		if (removed > 0)
			fprintf(stderr, "kobito-scheduler: removed %d older "
			    "backup(s) from %s, keeping %lld\n", removed, file,
			    keep);
	}
	rc = 0;
out:
	free(named);
	free(db);
	return rc;
}

static int
cmd_restore(int argc, char **argv)
{
	struct backup_info info;
	const char *file = NULL;
	char err[512], *db, *aside = NULL;
	int64_t t0 = time_mono_ms();
	int rc;

	if ((db = db_and_file("restore", argc, argv, &file, NULL, &rc)) == NULL)
		return rc;
	if (check_owner(db) != 0) {
		free(db);
		return 1;
	}
	if (backup_restore(file, db, &info, &aside, err, sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: restore: %s\n", err);
		free(db);
		return 1;
	}
	say_info("restored", file, db, &info, time_mono_ms() - t0);
	if (aside != NULL)
		fprintf(stderr, "kobito-scheduler: the database it replaced is "
		    "in %s\n", aside);
	if (info.schema < STORE_SCHEMA_VERSION)
		fprintf(stderr, "kobito-scheduler: its schema (version %d) is "
		    "upgraded to version %d when the scheduler starts\n",
		    info.schema, STORE_SCHEMA_VERSION);
	fprintf(stderr, "kobito-scheduler: the secrets open with the key that "
	    "sealed them: put back the key file of that time too\n");
	free(aside);
	free(db);
	return 0;
}

/* --- the table -------------------------------------------------------------- */

#define TABLE(t)	t, sizeof t / sizeof t[0]
const struct admin_cmd admin_cmds[] = {
	{ "init", cmd_init, init_synopsis,
	    "Set up a new scheduler: create the database and the key that "
	    "seals secrets, create the first admin with the password given "
	    "(never on the command line), and print what to do next.  Refused "
	    "while a scheduler runs on the database, and when it already has "
	    "users.", TABLE(init_opts) },
	{ "backup", cmd_backup, backup_synopsis,
	    "Copy the database to FILE while the scheduler runs (SQLite's "
	    "online backup API: the copy is the database as one commit left "
	    "it), check the copy and put it in place atomically.  FILE is a "
	    "standalone SQLite database; given a directory, the backup is a "
	    "new file in it named by the time.", db_opts + 1, 3 },
	{ "restore", cmd_restore, restore_synopsis,
	    "Replace the database with the backup FILE: refused while a "
	    "scheduler runs on it, or when FILE is damaged, not a kobito "
	    "database, or of a newer schema.  The database it replaces is kept "
	    "as DB.before-restore.", db_opts + 1, 2 },
	{ "audit", cmd_audit, audit_synopsis,
	    "Check the audit log's hash chain: every row as it was written, "
	    "none removed, added or moved; exit status 1, naming the first row "
	    "that breaks it, when one does.  Prints the last row's hash to "
	    "keep apart, for --expect later.  The scheduler may be running.",
	    db_opts, 3 },
	{ "token", cmd_token, token_synopsis,
	    "Create a token for a person or a program and print it once; the "
	    "scheduler may be running.", TABLE(token_opts) },
	{ "agent-token", cmd_agent_token, agent_token_synopsis,
	    "Create the token of an agent and print it once (see "
	    "kobito-agent(8)).", token_opts,
	    sizeof token_opts / sizeof token_opts[0] - 1 },
};
#undef TABLE
const size_t admin_ncmds = sizeof admin_cmds / sizeof admin_cmds[0];
