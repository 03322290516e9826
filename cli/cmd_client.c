/*
 * cmd_client.c - the commands that talk to the scheduler: trigger, jobs,
 * runs, logs, agents, schedules and token.
 *
 * Each is a thin layer over the scheduler's HTTP API (docs/api.md) through
 * agent/client.h: people get aligned tables, programs get the API's JSON
 * with --json.  Every command takes --scheduler URL (or KOBITO_SCHEDULER)
 * and a token from --token-file FILE or KOBITO_TOKEN.  An HTTP error is
 * printed with its status and the scheduler's message and exits 1.
 */
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "buf.h"
#include "client.h"
#include "cmd.h"
#include "cmd_client.h"
#include "opts.h"
#include "timeutil.h"
#include "width.h"
#include "xmalloc.h"
#include "ydoc.h"

/* --- connection options shared by every command -------------------------- */

/* struct conn, COMMON_OPTS, struct column: cmd_client.h */

/* Handle a common option; 1 when c was one, 0 when it was not. */
static int
common_opt(struct conn *cn, int c, const char *arg)
{
	switch (c) {
	case 'S':
		cn->url = arg;
		return 1;
	case 'K':
		cn->token_file = arg;
		return 1;
	case 'j':
		cn->json = 1;
		return 1;
	}
	return 0;
}

/* --- the configuration file ------------------------------------------------ */

/* What the file may say: where the scheduler is, and the token. */
struct clientconf {
	char		*scheduler, *token_file;
	int		 json;
};

#define CO(f)	offsetof(struct clientconf, f)
const struct opt cmd_client_opts[] = {
	{ "scheduler", OPT_TEXT, "URL", CO(scheduler), 0, 0, NULL, 0,
	    "The scheduler (default: KOBITO_SCHEDULER, else scheduler: of the "
	    "configuration file)." },
	{ "token-file", OPT_TEXT, "FILE", CO(token_file), 0, 0, NULL, 0,
	    "A file whose first line is the token (default: KOBITO_TOKEN, "
	    "else token_file: of the configuration file)." },
	{ "json", OPT_FLAG, NULL, CO(json), 0, 0, NULL, OPT_NOCONF,
	    "Print the API's JSON instead of a table." },
};
#undef CO
const size_t cmd_client_nopts = sizeof cmd_client_opts /
    sizeof cmd_client_opts[0];

static void
config_report(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "kobito: %s\n", msg);
}

/*
 * The configuration file: KOBITO_CONFIG, else the user's
 * ($XDG_CONFIG_HOME or ~/.config)/kobito/kobito.yaml, else
 * /etc/kobito/kobito.yaml; the first that exists.  A new string or NULL.
 */
static char *
config_path(void)
{
	const char *env = getenv("KOBITO_CONFIG"), *xdg, *home;
	char *p;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if ((xdg = getenv("XDG_CONFIG_HOME")) != NULL && *xdg == '/')
		p = xasprintf("%s/kobito/kobito.yaml", xdg);
	else if ((home = getenv("HOME")) != NULL && *home == '/')
		p = xasprintf("%s/.config/kobito/kobito.yaml", home);
	else
		p = NULL;
	if (p != NULL && access(p, F_OK) == 0)
		return p;
	free(p);
	return access(CMD_SYSTEM_CONFIG, F_OK) == 0 ?
	    xstrdup(CMD_SYSTEM_CONFIG) : NULL;
}

/* Fill what the command line and the environment left unset. */
static int
conn_config(struct conn *cn)
{
	static const struct ysink sink = { config_report, NULL };
	struct clientconf cc;
	struct opts o;
	struct ydoc *doc;
	char *path, err[512];
	int rc = 0;

	if ((path = config_path()) == NULL)
		return 0;
	if ((doc = ydoc_load_file(path, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito: %s\n", err);
		free(path);
		return -1;
	}
	memset(&cc, 0, sizeof cc);
	memset(&o, 0, sizeof o);
	o.prog = "kobito";
	o.table = cmd_client_opts;
	o.n = cmd_client_nopts;
	o.out = &cc;
	o.given = xcalloc(o.n, 1);
	if (opts_config(&o, doc->root, NULL, &sink) != 0)
		rc = -1;
	if (rc == 0 && cn->url == NULL && cc.scheduler != NULL)
		cn->url = cn->owned_url = xstrdup(cc.scheduler);
	if (rc == 0 && cn->token_file == NULL && cc.token_file != NULL)
		cn->token_file = cn->owned_token_file = xstrdup(cc.token_file);
	opts_release(&o);
	ydoc_free(doc);
	free(path);
	return rc;
}

static void
conn_close(struct conn *cn)
{
	client_free(cn->client);
	cn->client = NULL;
	free(cn->owned_url);
	free(cn->owned_token_file);
	cn->owned_url = cn->owned_token_file = NULL;
}

static int
has_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0';
}

/*
 * Open the connection: 0, or 2 (usage) with a message.  The command
 * line wins, then the environment, then the configuration file.
 */
static int
conn_open(struct conn *cn)
{
	char *token = NULL, err[512];

	if (cn->url == NULL && has_env("KOBITO_SCHEDULER"))
		cn->url = getenv("KOBITO_SCHEDULER");
	if ((cn->url == NULL || (cn->token_file == NULL &&
	    !has_env("KOBITO_TOKEN"))) && conn_config(cn) != 0)
		goto usage;
	if (cn->url == NULL || *cn->url == '\0') {
		fprintf(stderr, "kobito: no scheduler: give --scheduler URL, "
		    "set KOBITO_SCHEDULER or scheduler: in kobito.yaml\n");
		goto usage;
	}
	if (cn->token_file != NULL) {
		if ((token = client_read_token(cn->token_file, err,
		    sizeof err)) == NULL) {
			fprintf(stderr, "kobito: %s\n", err);
			goto usage;
		}
	} else if (has_env("KOBITO_TOKEN")) {
		token = xstrdup(getenv("KOBITO_TOKEN"));
	} else {
		fprintf(stderr, "kobito: no token: give --token-file FILE, set "
		    "KOBITO_TOKEN or token_file: in kobito.yaml\n");
		goto usage;
	}
	cn->client = client_new(cn->url, token);
	memset(token, 0, strlen(token));
	free(token);
	return 0;
usage:
	conn_close(cn);
	return 2;
}

/*
 * Call the API; on success return the JSON body (a new reference, an empty
 * object when there was none) and on failure print the error and return
 * NULL.  GETs are retried on a connection failure.
 */
static json_t *
api(struct conn *cn, const char *method, const char *path, json_t *body,
    long *status)
{
	struct client_reply rep;
	char why[600];
	json_t *out;
	int rc, get = strcmp(method, "GET") == 0;

	rc = client_call(cn->client, method, path, body, 0, get ? 3 : 1,
	    &rep);
	if (status != NULL)
		*status = rep.status;
	if (rc != 0 || rep.status < 200 || rep.status >= 300) {
		fprintf(stderr, "kobito: %s %s: %s\n", method, path,
		    client_reply_error(&rep, why, sizeof why));
		client_reply_free(&rep);
		return NULL;
	}
	out = rep.body ? json_incref(rep.body) : json_object();
	client_reply_free(&rep);
	return out;
}

static void
print_json(const json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text != NULL)
		printf("%s\n", text);
	free(text);
}

static int
parse_num(const char *opt, const char *arg, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "kobito: %s needs a whole number from %ld to "
		    "%ld, not '%s'\n", opt, lo, hi, arg);
		return -1;
	}
	*out = v;
	return 0;
}

/* --- tables --------------------------------------------------------------- */

/* How wide a UTF-8 string shows in a terminal: East Asian wide = 2. */
static size_t
text_width(const char *s)
{
	size_t w = 0, n = strlen(s), k;
	uint32_t cp;

	while (n > 0) {
		k = width_utf8_decode(s, n, &cp);
		if (k == 0)
			k = 1;
		if ((cp >= 0x1100 && cp <= 0x115F) ||
		    (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
		    (cp >= 0xAC00 && cp <= 0xD7A3) ||
		    (cp >= 0xF900 && cp <= 0xFAFF) ||
		    (cp >= 0xFE30 && cp <= 0xFE4F) ||
		    (cp >= 0xFF00 && cp <= 0xFF60) ||
		    (cp >= 0xFFE0 && cp <= 0xFFE6) ||
		    (cp >= 0x1F300 && cp <= 0x1F64F) ||
		    (cp >= 0x20000 && cp <= 0x3FFFD))
			w += 2;
		else if (cp >= 0x20)
			w += 1;
		s += k;
		n -= k;
	}
	return w;
}

static char *
cell_plain(const json_t *row, const char *key)
{
	const json_t *v = json_object_get(row, key), *x;
	struct buf b;
	size_t i;

	if (v == NULL || json_is_null(v))
		return xstrdup("-");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%.1f", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "yes" : "no");
	if (json_is_array(v)) {
		buf_init(&b, 4096);
		json_array_foreach(v, i, x) {
			char *t;
			json_t *tmp = json_pack("{s:O}", "v", x);

			t = cell_plain(tmp, "v");
			json_decref(tmp);
			buf_printf(&b, "%s%s", i ? "," : "", t);
			free(t);
		}
		if (b.len == 0)
			buf_puts(&b, "-");
		return buf_detach(&b, NULL);
	}
	return json_dumps(v, JSON_COMPACT);
}

/* "2026-11-25T13:40:01.123+09:00" -> "2026-11-25 13:40:01". */
static char *
cell_time(const json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));

	if (s == NULL)
		return xstrdup("-");
	if (strlen(s) >= 19 && s[10] == 'T')
		return xasprintf("%.10s %.8s", s, s + 11);
	return xstrdup(s);
}

static char *
cell_ms(const json_t *row, const char *key)
{
	const json_t *v = json_object_get(row, key);
	double ms;

	if (!json_is_number(v))
		return xstrdup("-");
	ms = json_number_value(v);
	if (ms < 1000)
		return xasprintf("%.0f ms", ms);
	if (ms < 120000)
		return xasprintf("%.1f s", ms / 1000);
	return xasprintf("%.1f min", ms / 60000);
}

/* "attempt/max". */
static char *
cell_attempt(const json_t *row, const char *key)
{
	(void)key;
	return xasprintf("%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(row, "attempt")),
	    json_integer_value(json_object_get(row, "max_attempts")));
}

/* Items "succeeded/failed". */
static char *
cell_items(const json_t *row, const char *key)
{
	const json_t *it = json_object_get(row, key);

	if (!json_is_object(it))
		return xstrdup("-");
	return xasprintf("%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(it, "succeeded")),
	    json_integer_value(json_object_get(it, "failed")));
}

static char *
cell_online(const json_t *row, const char *key)
{
	return xstrdup(json_is_true(json_object_get(row, key)) ? "online" :
	    "offline");
}

static char *
cell_enabled(const json_t *row, const char *key)
{
	return xstrdup(json_is_false(json_object_get(row, key)) ? "off" :
	    "on");
}

/* Print rows (an array of objects) as an aligned table. */
static void
print_table(const struct column *cols, const json_t *rows)
{
	size_t ncols, i, c, nrows = json_array_size(rows);
	size_t *width;
	char ***cells;

	for (ncols = 0; cols[ncols].title != NULL; ncols++)
		;
	width = xcalloc(ncols, sizeof *width);
	cells = xcalloc(nrows + 1, sizeof *cells);
	for (c = 0; c < ncols; c++)
		width[c] = text_width(cols[c].title);
	for (i = 0; i < nrows; i++) {
		cells[i] = xcalloc(ncols, sizeof **cells);
		for (c = 0; c < ncols; c++) {
			cells[i][c] = cols[c].cell(json_array_get(rows, i),
			    cols[c].key);
			if (text_width(cells[i][c]) > width[c])
				width[c] = text_width(cells[i][c]);
		}
	}
	for (i = 0; i <= nrows; i++) {
		for (c = 0; c < ncols; c++) {
			const char *t = i == 0 ? cols[c].title :
			    cells[i - 1][c];
			size_t pad = width[c] - text_width(t);
			int last = c + 1 == ncols;

			if (cols[c].right)
				printf("%*s%s", (int)pad, "", t);
			else
				printf("%s%*s", t, last ? 0 : (int)pad, "");
			printf(last ? "\n" : "  ");
		}
	}
	for (i = 0; i < nrows; i++) {
		for (c = 0; c < ncols; c++)
			free(cells[i][c]);
		free(cells[i]);
	}
	free(cells);
	free(width);
}

/*
 * The common shape of the list commands: GET path, then print the array
 * under key as a table (or the whole answer as JSON).
 */
static int
list_and_print(struct conn *cn, const char *path, const char *key,
    const struct column *cols)
{
	json_t *res = api(cn, "GET", path, NULL, NULL);
	json_t *rows;

	if (res == NULL)
		return 1;
	rows = json_object_get(res, key);
	if (cn->json)
		print_json(res);
	else if (json_array_size(rows) == 0)
		printf("no %s\n", key);
	else
		print_table(cols, rows);
	json_decref(res);
	return 0;
}

/* --- trigger ---------------------------------------------------------------- */

static const char *const final_states[] = {
	"succeeded", "failed", "cancelled", "timed_out", NULL,
};

static int
is_final(const char *state)
{
	const char *const *p;

	for (p = final_states; state != NULL && *p != NULL; p++) {
		if (strcmp(*p, state) == 0)
			return 1;
	}
	return 0;
}

/* Print the log lines of run after *after; advance *after. */
static void
print_new_logs(struct conn *cn, json_int_t run, json_int_t *after)
{
	char *path, *a = xasprintf("%" JSON_INTEGER_FORMAT, *after);
	const char *nv[] = { "after", a, "limit", "1000", NULL };
	char *base = xasprintf("/api/runs/%" JSON_INTEGER_FORMAT "/logs", run);
	json_t *res, *line;
	size_t i;

	path = client_path(base, nv);
	res = api(cn, "GET", path, NULL, NULL);
	free(path);
	free(base);
	free(a);
	if (res == NULL)
		return;
	json_array_foreach(json_object_get(res, "logs"), i, line) {
		char *t = cell_time(line, "time");

		fprintf(stderr, "  %s %-5s %s\n", t,
		    json_string_value(json_object_get(line, "level")) ?
		    json_string_value(json_object_get(line, "level")) : "",
		    json_string_value(json_object_get(line, "message")) ?
		    json_string_value(json_object_get(line, "message")) : "");
		free(t);
		if (json_integer_value(json_object_get(line, "seq")) > *after)
			*after = json_integer_value(json_object_get(line,
			    "seq"));
	}
	json_decref(res);
}

/*
 * Wait until job id is final, following its runs' log lines on stderr.
 * Returns the final job (a new reference) or NULL.
 */
static json_t *
wait_job(struct conn *cn, json_int_t id)
{
	char *path = xasprintf("/api/jobs/%" JSON_INTEGER_FORMAT, id);
	json_int_t run = 0, after = 0;
	json_t *job = NULL, *r;
	const char *state;

	for (;;) {
		json_decref(job);
		if ((job = api(cn, "GET", path, NULL, NULL)) == NULL)
			break;
		state = json_string_value(json_object_get(job, "state"));
		r = json_object_get(job, "run_id");
		if (json_is_integer(r) && json_integer_value(r) != run) {
			run = json_integer_value(r);
			after = 0;
			if (!cn->json)
				fprintf(stderr, "job %" JSON_INTEGER_FORMAT
				    ": attempt %" JSON_INTEGER_FORMAT " on %s\n",
				    id, json_integer_value(json_object_get(job,
				    "attempt")), json_string_value(
				    json_object_get(job, "agent")) ?
				    json_string_value(json_object_get(job,
				    "agent")) : "an agent");
		}
		if (run != 0 && !cn->json)
			print_new_logs(cn, run, &after);
		if (is_final(state))
			break;
		time_sleep_ms(250, NULL);
	}
	free(path);
	return job;
}

int
cmd_trigger(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "param", required_argument, NULL, 'p' },
		{ "priority", required_argument, NULL, 'P' },
		{ "idempotency-key", required_argument, NULL, 'k' },
		{ "wait", no_argument, NULL, 'w' },
		COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct conn cn = { 0 };
	json_t *params = json_object(), *body, *res, *job;
	const char *key = NULL, *state;
	long prio = 0, status = 0;
	int c, wait = 0, have_prio = 0, rc = 2;
	json_int_t id;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:P:k:wS:K:j", longopts, NULL))
	    != -1) {
		if (common_opt(&cn, c, optarg))
			continue;
		switch (c) {
		case 'p':
			if (cmd_param_add(params, optarg) != 0)
				goto out;
			break;
		case 'P':
			if (parse_num("--priority", optarg, -1000, 1000,
			    &prio) != 0)
				goto out;
			have_prio = 1;
			break;
		case 'k':
			key = optarg;
			break;
		case 'w':
			wait = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	if ((rc = conn_open(&cn)) != 0)
		goto out;
	body = json_pack("{s:s, s:O}", "script", argv[optind], "params",
	    params);
	if (have_prio)
		json_object_set_new(body, "priority", json_integer(prio));
	if (key != NULL)
		json_object_set_new(body, "idempotency_key", json_string(key));
	res = api(&cn, "POST", "/api/jobs", body, &status);
	json_decref(body);
	if (res == NULL) {
		rc = 1;
		goto out;
	}
	id = json_integer_value(json_object_get(res, "job_id"));
	if (!wait) {
		if (cn.json)
			print_json(res);
		else if (json_is_false(json_object_get(res, "created")))
			printf("job %" JSON_INTEGER_FORMAT " already exists "
			    "for that idempotency key (%s); nothing queued\n",
			    id, json_string_value(json_object_get(res,
			    "state")) ? json_string_value(json_object_get(res,
			    "state")) : "?");
		else
			printf("job %" JSON_INTEGER_FORMAT " queued\n", id);
		json_decref(res);
		rc = 0;
		goto out;
	}
	json_decref(res);
	if ((job = wait_job(&cn, id)) == NULL) {
		rc = 1;
		goto out;
	}
	state = json_string_value(json_object_get(job, "state"));
	if (cn.json)
		print_json(job);
	else
		printf("job %" JSON_INTEGER_FORMAT ": %s\n", id, state);
	rc = state != NULL && strcmp(state, "succeeded") == 0 ? 0 : 1;
	json_decref(job);
	goto out;
usage:
	fprintf(stderr, "usage: kobito trigger NAME [--param K=V]... "
	    "[--priority N] [--idempotency-key K] [--wait] "
	    COMMON_USAGE "\n");
	rc = 2;
out:
	conn_close(&cn);
	json_decref(params);
	return rc;
}

/* --- the list commands ------------------------------------------------------ */

static const struct column job_columns[] = {
	{ "ID", "id", cell_plain, 1 },
	{ "SCRIPT", "script", cell_plain, 0 },
	{ "STATE", "state", cell_plain, 0 },
	{ "ATTEMPT", "attempt", cell_attempt, 1 },
	{ "PRIO", "priority", cell_plain, 1 },
	{ "AGENT", "agent", cell_plain, 0 },
	{ "BY", "triggered_by", cell_plain, 0 },
	{ "CREATED", "created_at", cell_time, 0 },
	{ "UPDATED", "updated_at", cell_time, 0 },
	{ NULL, NULL, NULL, 0 },
};

static const struct column run_columns[] = {
	{ "ID", "id", cell_plain, 1 },
	{ "JOB", "job_id", cell_plain, 1 },
	{ "TRY", "attempt", cell_plain, 1 },
	{ "SCRIPT", "script", cell_plain, 0 },
	{ "STATUS", "status", cell_plain, 0 },
	{ "AGENT", "agent", cell_plain, 0 },
	{ "STARTED", "started_at", cell_time, 0 },
	{ "TOOK", "duration_ms", cell_ms, 1 },
	{ "ITEMS OK/NG", "items", cell_items, 1 },
	{ "MIN SAVED", "minutes_saved", cell_plain, 1 },
	{ "ERROR", "error", cell_plain, 0 },
	{ NULL, NULL, NULL, 0 },
};

static const struct column agent_columns[] = {
	{ "ID", "id", cell_plain, 1 },
	{ "NAME", "name", cell_plain, 0 },
	{ "STATUS", "online", cell_online, 0 },
	{ "SLOTS", "slots", cell_plain, 1 },
	{ "LABELS", "labels", cell_plain, 0 },
	{ "JOBS", "jobs", cell_plain, 0 },
	{ "VERSION", "version", cell_plain, 0 },
	{ "LAST SEEN", "last_seen", cell_time, 0 },
	{ NULL, NULL, NULL, 0 },
};

static const struct column schedule_columns[] = {
	{ "NAME", "name", cell_plain, 0 },
	{ "SCRIPT", "script", cell_plain, 0 },
	{ "CRON", "cron", cell_plain, 0 },
	{ "TZ", "tz", cell_plain, 0 },
	{ "CALENDAR", "calendar", cell_plain, 0 },
	{ "MISFIRE", "misfire", cell_plain, 0 },
	{ "OVERLAP", "overlap", cell_plain, 0 },
	{ "ON", "enabled", cell_enabled, 0 },
	{ "NEXT", "next_fire", cell_time, 0 },
	{ "LAST", "last_fire", cell_time, 0 },
	{ NULL, NULL, NULL, 0 },
};

/*
 * A list command: its name, its API path and answer key, its columns, and
 * the filters it takes (long option -> query parameter).
 */
struct filter {
	const char	*option;
	const char	*param;
};

struct listing {
	const char		*name;
	const char		*path;
	const char		*key;
	const struct column	*columns;
	const struct filter	*filters;	/* NULL-terminated */
};

static const struct filter job_filters[] = {
	{ "state", "state" }, { "script", "script" }, { "limit", "limit" },
	{ "before", "before" }, { NULL, NULL },
};

static const struct filter run_filters[] = {
	{ "job", "job" }, { "script", "script" }, { "status", "status" },
	{ "limit", "limit" }, { "before", "before" }, { NULL, NULL },
};

static const struct filter no_filters[] = {
	{ NULL, NULL },
};

static const struct listing listings[] = {
	{ "jobs", "/api/jobs", "jobs", job_columns, job_filters },
	{ "runs", "/api/runs", "runs", run_columns, run_filters },
	{ "agents", "/api/agents", "agents", agent_columns, no_filters },
	{ "schedules", "/api/schedules", "schedules", schedule_columns,
	    no_filters },
};

static int
run_listing(const struct listing *l, int argc, char **argv)
{
	struct option longopts[16];
	const char *values[8] = { NULL };
	const char *nv[2 * 8 + 1];
	struct conn cn = { 0 };
	size_t nf, i, k = 0;
	char *path;
	int c, rc;
	static const struct option common[] = { COMMON_OPTS };

	for (nf = 0; l->filters[nf].option != NULL; nf++) {
		longopts[nf].name = l->filters[nf].option;
		longopts[nf].has_arg = required_argument;
		longopts[nf].flag = NULL;
		longopts[nf].val = 1000 + (int)nf;
	}
	for (i = 0; i < 3; i++)
		longopts[nf + i] = common[i];
	memset(&longopts[nf + 3], 0, sizeof longopts[0]);
	optind = 1;
	while ((c = getopt_long(argc, argv, "S:K:j", longopts, NULL)) != -1) {
		if (common_opt(&cn, c, optarg))
			continue;
		if (c >= 1000 && c < 1000 + (int)nf) {
			values[c - 1000] = optarg;
			continue;
		}
		goto usage;
	}
	if (optind != argc)
		goto usage;
	if ((rc = conn_open(&cn)) != 0)
		return rc;
	for (i = 0; i < nf; i++) {
		nv[k++] = l->filters[i].param;
		nv[k++] = values[i];
	}
	nv[k] = NULL;
	path = client_path(l->path, nv);
	rc = list_and_print(&cn, path, l->key, l->columns);
	free(path);
	conn_close(&cn);
	return rc;
usage:
	fprintf(stderr, "usage: kobito %s", l->name);
	for (i = 0; i < nf; i++)
		fprintf(stderr, " [--%s X]", l->filters[i].option);
	fprintf(stderr, " " COMMON_USAGE "\n");
	return 2;
}

static int
listing_named(const char *name, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof listings / sizeof listings[0]; i++) {
		if (strcmp(listings[i].name, name) == 0)
			return run_listing(&listings[i], argc, argv);
	}
	abort();	/* every caller below names a row of listings[] */
}

int
cmd_jobs(int argc, char **argv)
{
	return listing_named("jobs", argc, argv);
}

int
cmd_runs(int argc, char **argv)
{
	return listing_named("runs", argc, argv);
}

int
cmd_agents(int argc, char **argv)
{
	return listing_named("agents", argc, argv);
}

int
cmd_schedules(int argc, char **argv)
{
	return listing_named("schedules", argc, argv);
}

/* --- logs ------------------------------------------------------------------ */

int
cmd_logs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct conn cn = { 0 };
	json_t *res, *all = json_array(), *line, *run;
	json_int_t after = 0, next;
	long id;
	char *base, *path, *runpath, a[32];
	const char *status;
	size_t i, got;
	int c, follow = 0, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fS:K:j", longopts, NULL)) != -1) {
		if (common_opt(&cn, c, optarg))
			continue;
		if (c == 'f') {
			follow = 1;
			continue;
		}
		goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	if (parse_num("RUN", argv[optind], 1, LONG_MAX, &id) != 0) {
		json_decref(all);
		return 2;
	}
	if ((rc = conn_open(&cn)) != 0) {
		json_decref(all);
		return rc;
	}
	base = xasprintf("/api/runs/%ld/logs", id);
	runpath = xasprintf("/api/runs/%ld", id);
	rc = 0;
	for (;;) {
		const char *nv[] = { "after", a, "limit", "1000", NULL };

		snprintf(a, sizeof a, "%" JSON_INTEGER_FORMAT, after);
		path = client_path(base, nv);
		res = api(&cn, "GET", path, NULL, NULL);
		free(path);
		if (res == NULL) {
			rc = 1;
			break;
		}
		got = json_array_size(json_object_get(res, "logs"));
		json_array_foreach(json_object_get(res, "logs"), i, line) {
			if (cn.json) {
				json_array_append(all, line);
			} else {
				char *t = cell_time(line, "time");
				const char *step = json_string_value(
				    json_object_get(line, "step"));

				printf("%s %-5s %s%s%s%s\n", t,
				    json_string_value(json_object_get(line,
				    "level")) ? json_string_value(
				    json_object_get(line, "level")) : "",
				    step ? "[" : "", step ? step : "",
				    step ? "] " : "",
				    json_string_value(json_object_get(line,
				    "message")) ? json_string_value(
				    json_object_get(line, "message")) : "");
				free(t);
			}
		}
		fflush(stdout);
		next = json_integer_value(json_object_get(res, "next_after"));
		json_decref(res);
		if (next > after)
			after = next;
		if (got > 0)
			continue;	/* more may be waiting */
		if (!follow)
			break;
		/* Following: stop once the run is over and drained. */
		if ((run = api(&cn, "GET", runpath, NULL, NULL)) == NULL) {
			rc = 1;
			break;
		}
		status = json_string_value(json_object_get(run, "status"));
		c = status != NULL && strcmp(status, "running") != 0;
		json_decref(run);
		if (c)
			break;
		time_sleep_ms(500, NULL);
	}
	if (cn.json && rc == 0) {
		json_t *out = json_pack("{s:O}", "logs", all);

		print_json(out);
		json_decref(out);
	}
	free(base);
	free(runpath);
	json_decref(all);
	conn_close(&cn);
	return rc;
usage:
	fprintf(stderr, "usage: kobito logs RUN [--follow] " COMMON_USAGE
	    "\n");
	json_decref(all);
	return 2;
}

/* --- token ------------------------------------------------------------------ */

int
cmd_token(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct conn cn = { 0 };
	const char *role = NULL, *name = NULL;
	json_t *body, *res;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "create") != 0)
		goto usage;
	optind = 2;
	while ((c = getopt_long(argc, argv, "r:n:S:K:j", longopts, NULL))
	    != -1) {
		if (common_opt(&cn, c, optarg))
			continue;
		if (c == 'r')
			role = optarg;
		else if (c == 'n')
			name = optarg;
		else
			goto usage;
	}
	if (optind != argc || role == NULL)
		goto usage;
	if (name == NULL && strcmp(role, "agent") == 0) {
		fprintf(stderr, "kobito: an agent token needs --name, the name "
		    "the agent will register with\n");
		return 2;
	}
	if (name == NULL) {
		/* A personal token: for whoever runs the command. */
		struct passwd *pw = getpwuid(getuid());

		name = getenv("USER") ? getenv("USER") : pw ? pw->pw_name :
		    NULL;
		if (name == NULL) {
			fprintf(stderr, "kobito: give --name: the user the "
			    "token is for\n");
			return 2;
		}
	}
	if ((rc = conn_open(&cn)) != 0)
		return rc;
	body = json_pack("{s:s, s:s}", "role", role, "name", name);
	res = api(&cn, "POST", "/api/tokens", body, NULL);
	json_decref(body);
	conn_close(&cn);
	if (res == NULL)
		return 1;
	if (cn.json) {
		print_json(res);
	} else {
		/* The token alone on stdout, so it can go straight into a
		 * file; what it is, on stderr. */
		printf("%s\n", json_string_value(json_object_get(res,
		    "token")));
		fprintf(stderr, "token %" JSON_INTEGER_FORMAT " for '%s' "
		    "(%s); it is shown only now\n",
		    json_integer_value(json_object_get(res, "id")),
		    json_string_value(json_object_get(res, "name")) ?
		    json_string_value(json_object_get(res, "name")) : "",
		    json_string_value(json_object_get(res, "role")) ?
		    json_string_value(json_object_get(res, "role")) : role);
	}
	json_decref(res);
	return 0;
usage:
	fprintf(stderr, "usage: kobito token create --role ROLE [--name N] "
	    COMMON_USAGE "\n");
	return 2;
}

/* --- for the other command files (cmd_client.h) --------------------------- */

int
cli_common_opt(struct conn *cn, int c, const char *arg)
{
	return common_opt(cn, c, arg);
}

int
cli_conn_open(struct conn *cn)
{
	return conn_open(cn);
}

void
cli_conn_close(struct conn *cn)
{
	conn_close(cn);
}

json_t *
cli_api(struct conn *cn, const char *method, const char *path, json_t *body,
    long *status)
{
	return api(cn, method, path, body, status);
}

void
cli_print_json(const json_t *v)
{
	print_json(v);
}

void
cli_print_table(const struct column *cols, const json_t *rows)
{
	print_table(cols, rows);
}

char *
cli_cell_plain(const json_t *row, const char *key)
{
	return cell_plain(row, key);
}

char *
cli_cell_time(const json_t *row, const char *key)
{
	return cell_time(row, key);
}
