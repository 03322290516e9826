/*
 * schedconf.c - the scheduler's options and configuration file (see
 * schedconf.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schedconf.h"
#include "xmalloc.h"
#include "ydoc.h"

#define O(f)	offsetof(struct schedconf, f)
const struct opt schedconf_opts[] = {
	{ "db", OPT_TEXT, "FILE", O(db), 0, 0, NULL, OPT_REQUIRED,
	    "The SQLite database (created when missing)." },
	{ "listen", OPT_TEXT, "HOST:PORT", O(listen), 0, 0, NULL, OPT_REQUIRED,
	    "Where to serve the API and the dashboard; port 0 asks for a free "
	    "one ([::1]:8470 for IPv6)." },
	{ "scripts", OPT_TEXT, "DIR", O(scripts), 0, 0, NULL, OPT_REQUIRED,
	    "The scripts directory: every valid *.yaml in it is stored as the "
	    "current version of its script at start." },
	{ "config", OPT_TEXT, "FILE", O(config), 0, 0, NULL, OPT_NOCONF,
	    "The configuration file (YAML): these options and the settings of "
	    "kobito-scheduler(8), CONFIGURATION." },
	{ "key-file", OPT_TEXT, "FILE", O(key_file), 0, 0, NULL, 0,
	    "The key that seals secrets, 64 hex characters, created 0600 when "
	    "missing (default: the database's path with .key)." },
	{ "port-file", OPT_TEXT, "FILE", O(port_file), 0, 0, NULL, 0,
	    "Write the port bound to this file once listening." },
	{ "threads", OPT_INT, "N", O(threads), 1, 256, NULL, 0,
	    "HTTP worker threads (default 32)." },
	{ "kpi-config", OPT_TEXT, "FILE", O(kpi_config), 0, 0, NULL, 0,
	    "The KPI targets and the departments (default: config/kpi.yaml "
	    "of the source tree, /etc/kobito/kpi.yaml when packaged)." },
	{ "dashboard", OPT_TEXT, "DIR", O(dashboard), 0, 0, NULL, 0,
	    "The dashboard's files (default: dashboard/ of the source tree)." },
	{ "tls-cert", OPT_TEXT, "FILE", O(tls_cert), 0, 0, NULL, 0,
	    "Serve HTTPS with this certificate (PEM, the chain after it); "
	    "with --tls-key.  Every answer then says "
	    "Strict-Transport-Security and cookies are Secure." },
	{ "tls-key", OPT_TEXT, "FILE", O(tls_key), 0, 0, NULL, 0,
	    "The certificate's private key (PEM), readable by its owner only "
	    "(0600): one others may read is refused." },
	{ "secure-cookies", OPT_FLAG, NULL, O(secure_cookies), 0, 0, NULL, 0,
	    "Mark the login cookies Secure though this program serves HTTP: "
	    "for a TLS proxy in front of it." },
};
#undef O
const size_t schedconf_nopts = sizeof schedconf_opts / sizeof schedconf_opts[0];

/* --- the settings of the file only ---------------------------------------- */

/* A setting of the config file: where it goes and its range. */
struct setting {
	const char	*section;	/* NULL: top level */
	const char	*key;
	size_t		 off;		/* into struct schedconf */
	int		 is_size;	/* 1 size_t, 2 int, else int64_t */
	long long	 min, max;
};

#define OFF(f)	offsetof(struct schedconf, f)
static const struct setting settings_table[] = {
	{ NULL, "lease_ttl_ms", OFF(api.lease_ttl_ms), 0, 1000, 86400000 },
	{ NULL, "wait_max_ms", OFF(api.wait_max_ms), 0, 0, 300000 },
	{ NULL, "retention_days", OFF(retention), 0, 0, 36500 },
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

/* Keys of the file besides the options'. */
static const char *const file_keys[] = {
	"timezone", "lease_ttl_ms", "wait_max_ms", "retention_days", "limits",
	"jobs", "schedules", "retention", "directory", NULL,
};

/* The config file's typed getters print the problem. */
static void
config_report(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "kobito-scheduler: %s\n", msg);
}

static const struct ysink config_sink = { config_report, NULL };

void
schedconf_init(struct schedconf *c, struct opts *o,
    const char *const *synopsis)
{
	memset(c, 0, sizeof *c);
	api_config_defaults(&c->api);
	c->threads = c->api.threads;
	c->retention = c->api.retention.default_ms / 86400000;
	c->retention_ms = -1;
	c->artifacts = c->api.artifacts_per_run;
	c->timezone = xstrdup("Asia/Tokyo");
	memset(o, 0, sizeof *o);
	o->prog = "kobito-scheduler";
	o->synopsis = synopsis;
	o->summary = "The scheduler: the HTTP API the agents and people use, "
	    "the dashboard, the job queue, the schedules and the KPI ledger.  "
	    "`kobito-scheduler COMMAND --help` describes each command.";
	o->table = schedconf_opts;
	o->n = schedconf_nopts;
	o->out = c;
}

static int
set_one(struct schedconf *c, const struct setting *st, const struct ynode *v)
{
	char what[64];
	long long n;
	char *p = (char *)c + st->off;

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

/*
 * A retention time: a duration with its unit (90d, 12h, 30m; 0 keeps for
 * ever), since a bare number of seconds would be a surprise here.
 */
static int
retention_time(const struct ynode *v, const char *what, int64_t *ms)
{
	long long n;

	if (ynode_duration(v, what, &n, &config_sink) != 0)
		return -1;
	if (n != 0 && strspn(v->value, "0123456789. ") == v->len) {
		ysink_report(&config_sink, v, "%s: give a unit: %sd for days "
		    "(or h, m, s)", what, v->value);
		return -1;
	}
	*ms = n;
	return 0;
}

/* retention: { default: 90d, departments: { NAME: 10y-in-days, ... } } */
static int
load_retention(struct schedconf *c, const struct ynode *sec)
{
	static const char *const keys[] = { "default", "departments", NULL };
	const struct ynode *v, *d;
	char what[256];
	size_t i;

	if (ynode_want(sec, YNODE_MAP, "retention", &config_sink) != 0 ||
	    ynode_check_keys(sec, "retention", keys, &config_sink) != 0)
		return -1;
	if ((v = ynode_get(sec, "default")) != NULL &&
	    retention_time(v, "retention.default", &c->retention_ms) != 0)
		return -1;
	if ((d = ynode_get(sec, "departments")) == NULL)
		return 0;
	if (ynode_want(d, YNODE_MAP, "retention.departments",
	    &config_sink) != 0)
		return -1;
	c->keep = xcalloc(d->n ? d->n : 1, sizeof *c->keep);
	for (i = 0; i < d->n; i++) {
		snprintf(what, sizeof what, "retention.departments.%s",
		    d->keys[i]->value);
		if (retention_time(d->items[i], what, &c->keep[i].ms) != 0)
			return -1;
		c->keep[i].department = xstrdup(d->keys[i]->value);
		c->nkeep = i + 1;
	}
	return 0;
}

static int
load_settings(struct schedconf *c, const struct ynode *root, const char *path)
{
	const struct ynode *sec, *v;
	const char *tz;
	size_t i;

	for (i = 0; i < sizeof settings_table / sizeof settings_table[0]; i++) {
		sec = root;
		if (settings_table[i].section != NULL) {
			sec = ynode_get(root, settings_table[i].section);
			if (sec == NULL)
				continue;
			if (check_section(sec, settings_table[i].section) != 0)
				return -1;
		}
		if ((v = ynode_get(sec, settings_table[i].key)) != NULL &&
		    set_one(c, &settings_table[i], v) != 0)
			return -1;
	}
	if ((v = ynode_get(root, "timezone")) != NULL) {
		if ((tz = ynode_text(v, "timezone", &config_sink)) == NULL)
			return -1;
		free(c->timezone);
		c->timezone = xstrdup(tz);
	}
	if ((v = ynode_get(root, "retention")) != NULL &&
	    load_retention(c, v) != 0)
		return -1;
	if ((v = ynode_get(root, "schedules")) != NULL) {
		if (ynode_want(v, YNODE_SEQ, "schedules", &config_sink) != 0)
			return -1;
		json_decref(c->schedules);
		c->schedules = ynode_to_json(v);
		/* Keep positions for messages: store line:col beside each. */
		for (i = 0; i < v->n; i++)
			json_object_set_new(json_array_get(c->schedules, i),
			    "_pos", json_sprintf("%s:%d:%d", path,
			    v->items[i]->line, v->items[i]->col));
	}
	return 0;
}

int
schedconf_load(struct schedconf *c, struct opts *o, const char *path)
{
	char err[512];
	struct ydoc *doc = ydoc_load_file(path, err, sizeof err);
	int rc = -1;

	if (doc == NULL) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		return -1;
	}
	if (doc->root == NULL) {
		ydoc_free(doc);
		return 0;
	}
	if (opts_config(o, doc->root, file_keys, &config_sink) == 0 &&
	    load_settings(c, doc->root, path) == 0)
		rc = 0;
	ydoc_free(doc);
	return rc;
}

void
schedconf_release(struct schedconf *c)
{
	char **texts[] = { &c->db, &c->listen, &c->scripts, &c->config,
	    &c->key_file, &c->port_file, &c->kpi_config, &c->dashboard,
	    &c->tls_cert, &c->tls_key, &c->timezone };
	size_t i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		free(*texts[i]);
		*texts[i] = NULL;
	}
	json_decref(c->schedules);
	c->schedules = NULL;
	for (i = 0; i < c->nkeep; i++)
		free((char *)(uintptr_t)c->keep[i].department);
	free(c->keep);
	c->keep = NULL;
	c->nkeep = 0;
}

char *
schedconf_db(struct schedconf *c, const char *db, const char *config)
{
	struct opts o;
	char *out = NULL;

	memset(&o, 0, sizeof o);
	o.prog = "kobito-scheduler";
	o.table = schedconf_opts;
	o.n = schedconf_nopts;
	o.out = c;
	o.given = xcalloc(o.n + 1, 1);
	if (db == NULL && config == NULL && access(SCHEDCONF_DEFAULT, F_OK) == 0)
		config = SCHEDCONF_DEFAULT;
	if (config != NULL && schedconf_load(c, &o, config) != 0)
		goto out;
	if (db != NULL)
		out = xstrdup(db);
	else if (c->db != NULL)
		out = xstrdup(c->db);
	else if (config != NULL)
		fprintf(stderr, "kobito-scheduler: %s has no db: setting; give "
		    "--db FILE\n", config);
	else
		fprintf(stderr, "kobito-scheduler: no database: give --db FILE "
		    "or --config FILE (%s does not exist)\n", SCHEDCONF_DEFAULT);
out:
	free(o.given);
	return out;
}
