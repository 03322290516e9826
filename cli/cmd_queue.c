/*
 * cmd_queue.c - kobito queue: work queues from the command line.
 *
 *   kobito queue list
 *   kobito queue show NAME [--state S] [--limit N]     the queue's items
 *   kobito queue show ID                               one item, its history
 *   kobito queue add NAME [--reference R] [--payload JSON] [--priority N]
 *                    [--sla-minutes N] [--file PATH]...
 *   kobito queue add NAME --items FILE                 a JSON list, or lines
 *   kobito queue retry ID [--reason TEXT]
 *   kobito queue export NAME [--state S] [--format csv|jsonl] [--output FILE]
 *
 * A thin layer over the API (docs/api.md, "Work queues"), like the other
 * commands of cmd_client.c, whose connection options it takes.  A
 * duplicate reference is refused by the scheduler: add says so and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cmd.h"
#include "cmd_client.h"
#include "fsutil.h"
#include "textutil.h"
#include "xmalloc.h"

#define FILE_MAX	(64u * 1024 * 1024)

static const char usage_text[] =
"usage: kobito queue list " COMMON_USAGE "\n"
"       kobito queue show NAME|ID [--state S] [--limit N] " COMMON_USAGE "\n"
"       kobito queue add NAME [--reference R] [--payload JSON] [--priority N]\n"
"                        [--sla-minutes N] [--file PATH]... | --items FILE\n"
"       kobito queue retry ID [--reason TEXT]\n"
"       kobito queue export NAME [--state S] [--format csv|jsonl] [--output FILE]\n";

static int
usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

/* A count of one state from a queue's "counts". */
static char *
cell_count(const json_t *row, const char *key)
{
	return xasprintf("%lld", (long long)json_integer_value(json_object_get(
	    json_object_get(row, "counts"), key)));
}

/* An age in milliseconds as people read it: 45s, 12m, 3h, 2d. */
static char *
cell_age(const json_t *row, const char *key)
{
	json_t *v = json_object_get(row, key);
	long long s;

	if (!json_is_integer(v))
		return xstrdup("-");
	s = json_integer_value(v) / 1000;
	if (s < 120)
		return xasprintf("%llds", s);
	if (s < 7200)
		return xasprintf("%lldm", s / 60);
	if (s < 172800)
		return xasprintf("%lldh", s / 3600);
	return xasprintf("%lldd", s / 86400);
}

static const struct column queue_columns[] = {
	{ "NAME", "name", cli_cell_plain, 0 },
	{ "DEPARTMENT", "department_path", cli_cell_plain, 0 },
	{ "NEW", "new", cell_count, 1 },
	{ "WORKING", "in_progress", cell_count, 1 },
	{ "REVIEW", "needs_review", cell_count, 1 },
	{ "DONE", "done", cell_count, 1 },
	{ "FAILED", "failed", cell_count, 1 },
	{ "ABANDONED", "abandoned", cell_count, 1 },
	{ "OLDEST", "oldest_new_ms", cell_age, 1 },
	{ "SLA BREACHED", "sla_breached", cli_cell_plain, 1 },
	{ NULL, NULL, NULL, 0 },
};

static const struct column item_columns[] = {
	{ "ID", "id", cli_cell_plain, 1 },
	{ "REFERENCE", "reference", cli_cell_plain, 0 },
	{ "STATE", "state", cli_cell_plain, 0 },
	{ "PRIO", "priority", cli_cell_plain, 1 },
	{ "TRY", "attempt", cli_cell_plain, 1 },
	{ "CREATED", "created_at", cli_cell_time, 0 },
	{ "UPDATED", "updated_at", cli_cell_time, 0 },
	{ "ERROR", "error", cli_cell_plain, 0 },
	{ NULL, NULL, NULL, 0 },
};

static const struct column move_columns[] = {
	{ "AT", "at", cli_cell_time, 0 },
	{ "FROM", "from", cli_cell_plain, 0 },
	{ "TO", "to", cli_cell_plain, 0 },
	{ "BY", "actor", cli_cell_plain, 0 },
	{ "WHY", "reason", cli_cell_plain, 0 },
	{ NULL, NULL, NULL, 0 },
};

/* Options of the subcommands: long name -> slot in vals. */
enum { O_STATE, O_LIMIT, O_REFERENCE, O_PAYLOAD, O_PRIORITY, O_SLA,
	O_ITEMS, O_REASON, O_FORMAT, O_OUTPUT, O_FILE, O_N };

static const struct option long_opts[] = {
	{ "state", required_argument, NULL, 1000 + O_STATE },
	{ "limit", required_argument, NULL, 1000 + O_LIMIT },
	{ "reference", required_argument, NULL, 1000 + O_REFERENCE },
	{ "payload", required_argument, NULL, 1000 + O_PAYLOAD },
	{ "priority", required_argument, NULL, 1000 + O_PRIORITY },
	{ "sla-minutes", required_argument, NULL, 1000 + O_SLA },
	{ "items", required_argument, NULL, 1000 + O_ITEMS },
	{ "reason", required_argument, NULL, 1000 + O_REASON },
	{ "format", required_argument, NULL, 1000 + O_FORMAT },
	{ "output", required_argument, NULL, 1000 + O_OUTPUT },
	{ "file", required_argument, NULL, 1000 + O_FILE },
	COMMON_OPTS,
	{ NULL, 0, NULL, 0 },
};

struct args {
	struct conn	 cn;
	const char	*v[O_N];
	const char	*files[16];
	int		 nfiles;
	const char	*what;		/* the NAME or ID operand */
};

/* Parse the options after the subcommand; 0, or 2 for a usage error. */
static int
parse(int argc, char **argv, struct args *a, int operand)
{
	int c;

	memset(a, 0, sizeof *a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (cli_common_opt(&a->cn, c, optarg))
			continue;
		if (c == 1000 + O_FILE) {
			if (a->nfiles == 16) {
				fprintf(stderr, "kobito: at most 16 --file\n");
				return 2;
			}
			a->files[a->nfiles++] = optarg;
			continue;
		}
		if (c < 1000 || c >= 1000 + O_N)
			return usage();
		a->v[c - 1000] = optarg;
	}
	if (operand) {
		if (optind != argc - 1)
			return usage();
		a->what = argv[optind];
	} else if (optind != argc)
		return usage();
	return cli_conn_open(&a->cn);
}

static int
q_list(int argc, char **argv)
{
	struct args a;
	json_t *res;
	int rc;

	if ((rc = parse(argc, argv, &a, 0)) != 0)
		return rc;
	if ((res = cli_api(&a.cn, "GET", "/api/queues", NULL, NULL)) == NULL) {
		cli_conn_close(&a.cn);
		return 1;
	}
	if (a.cn.json)
		cli_print_json(res);
	else if (json_array_size(json_object_get(res, "queues")) == 0)
		printf("no queues\n");
	else
		cli_print_table(queue_columns, json_object_get(res, "queues"));
	json_decref(res);
	cli_conn_close(&a.cn);
	return 0;
}

/* One item: its fields, then its moves. */
static void
print_item(const json_t *it)
{
	static const char *const keys[] = {
		"id", "queue", "reference", "state", "priority", "attempt",
		"max_attempts", "deadline", "error", "exception", "created_by",
		"created_at", "updated_at", NULL,
	};
	const char *const *k;
	char *t, *v;

	for (k = keys; *k != NULL; k++) {
		v = cli_cell_plain(it, *k);
		printf("%-13s %s\n", *k, v);
		free(v);
	}
	t = json_dumps(json_object_get(it, "payload"), JSON_COMPACT);
	printf("%-13s %s\n", "payload", t ? t : "null");
	free(t);
	if (!json_is_null(json_object_get(it, "reviewed"))) {
		t = json_dumps(json_object_get(it, "reviewed"), JSON_COMPACT);
		printf("%-13s %s\n", "reviewed", t);
		free(t);
	}
	printf("\n");
	cli_print_table(move_columns, json_object_get(it, "transitions"));
}

static int
q_show(int argc, char **argv)
{
	struct args a;
	json_t *res;
	char *path, *enc;
	int rc;

	if ((rc = parse(argc, argv, &a, 1)) != 0)
		return rc;
	if (text_parse_id(a.what) > 0) {
		path = xasprintf("/api/queue-items/%s", a.what);
	} else {
		enc = text_percent_encode(a.what);
		path = xasprintf("/api/queues/%s/items", enc);
		free(enc);
		enc = path;
		path = client_path(enc, (const char *const[]){ "state",
		    a.v[O_STATE], "limit", a.v[O_LIMIT], NULL });
		free(enc);
	}
	res = cli_api(&a.cn, "GET", path, NULL, NULL);
	free(path);
	if (res == NULL) {
		cli_conn_close(&a.cn);
		return 1;
	}
	if (a.cn.json)
		cli_print_json(res);
	else if (json_object_get(res, "items") == NULL)
		print_item(res);
	else if (json_array_size(json_object_get(res, "items")) == 0)
		printf("no items\n");
	else
		cli_print_table(item_columns, json_object_get(res, "items"));
	json_decref(res);
	cli_conn_close(&a.cn);
	return 0;
}

/* Upload a file for queue: {name, sha256}, or NULL after a message. */
static json_t *
upload(struct args *a, const char *queue, const char *path)
{
	struct client_reply rep;
	const char *base = strrchr(path, '/');
	char *data, *url, *enc, err[512], why[600];
	size_t len;
	json_t *out = NULL;

	if (fsutil_read(path, FILE_MAX, &data, &len, err, sizeof err) != 0) {
		fprintf(stderr, "kobito: --file: %s\n", err);
		return NULL;
	}
	enc = text_percent_encode(queue);
	url = xasprintf("/api/queues/%s/files", enc);
	free(enc);
	if (client_send(a->cn.client, "POST", url, "application/octet-stream",
	    data, len, 0, 1, &rep) == 0 && rep.status == 201)
		out = json_pack("{s:s, s:O}", "name", base ? base + 1 : path,
		    "sha256", json_object_get(rep.body, "sha256"));
	else
		fprintf(stderr, "kobito: POST %s: %s\n", url,
		    client_reply_error(&rep, why, sizeof why));
	client_reply_free(&rep);
	free(url);
	free(data);
	return out;
}

/* The items of --items FILE: a JSON list, or one JSON object a line. */
static json_t *
read_items(const char *path)
{
	json_error_t je;
	json_t *v;

	v = json_load_file(path, JSON_DECODE_ANY, &je);
	if (v == NULL)
		v = json_load_file(path, JSON_DISABLE_EOF_CHECK, &je);
	if (json_is_array(v))
		return v;
	json_decref(v);
	{
		FILE *f = fopen(path, "r");
		json_t *list = json_array(), *it;
		char *line = NULL;
		size_t cap = 0;
		int n = 0;

		if (f == NULL) {
			fprintf(stderr, "kobito: --items: cannot open '%s'\n",
			    path);
			json_decref(list);
			return NULL;
		}
		while (getline(&line, &cap, f) > 0) {
			n++;
			if (line[strspn(line, " \t\r\n")] == '\0')
				continue;
			if ((it = json_loads(line, 0, &je)) == NULL ||
			    !json_is_object(it)) {
				fprintf(stderr, "kobito: %s:%d:%d: expected a "
				    "JSON object per line%s%s\n", path, n,
				    it ? 1 : je.column, it ? "" : ": ",
				    it ? "" : je.text);
				json_decref(it);
				json_decref(list);
				free(line);
				fclose(f);
				return NULL;
			}
			json_array_append_new(list, it);
		}
		free(line);
		fclose(f);
		return list;
	}
}

/* One item from the options. */
static json_t *
item_from_options(struct args *a, const char *queue)
{
	json_t *it = json_object(), *payload, *files, *f;
	json_error_t je;
	long n;
	int i;

	if (a->v[O_REFERENCE] != NULL)
		json_object_set_new(it, "reference",
		    json_string(a->v[O_REFERENCE]));
	if (a->v[O_PAYLOAD] != NULL) {
		payload = json_loads(a->v[O_PAYLOAD], 0, &je);
		if (!json_is_object(payload)) {
			fprintf(stderr, "kobito: --payload: expected a JSON "
			    "object%s%s\n", payload ? "" : ": ",
			    payload ? "" : je.text);
			json_decref(payload);
			json_decref(it);
			return NULL;
		}
		json_object_set_new(it, "payload", payload);
	}
	if (a->v[O_PRIORITY] != NULL) {
		n = strtol(a->v[O_PRIORITY], NULL, 10);
		json_object_set_new(it, "priority", json_integer(n));
	}
	if (a->v[O_SLA] != NULL)
		json_object_set_new(it, "sla_minutes",
		    json_integer(strtol(a->v[O_SLA], NULL, 10)));
	if (a->nfiles > 0) {
		files = json_array();
		for (i = 0; i < a->nfiles; i++) {
			if ((f = upload(a, queue, a->files[i])) == NULL) {
				json_decref(files);
				json_decref(it);
				return NULL;
			}
			json_array_append_new(files, f);
		}
		json_object_set_new(it, "files", files);
	}
	return it;
}

static int
q_add(int argc, char **argv)
{
	struct args a;
	json_t *items, *it, *res, *body;
	char *path, *enc;
	size_t i;
	int rc, dups = 0;

	if ((rc = parse(argc, argv, &a, 1)) != 0)
		return rc;
	if (a.v[O_ITEMS] != NULL) {
		items = read_items(a.v[O_ITEMS]);
	} else {
		items = json_array();
		if ((it = item_from_options(&a, a.what)) != NULL)
			json_array_append_new(items, it);
		else {
			json_decref(items);
			items = NULL;
		}
	}
	if (items == NULL) {
		cli_conn_close(&a.cn);
		return 1;
	}
	body = json_pack("{s:o}", "items", items);
	enc = text_percent_encode(a.what);
	path = xasprintf("/api/queues/%s/items", enc);
	free(enc);
	res = cli_api(&a.cn, "POST", path, body, NULL);
	free(path);
	json_decref(body);
	if (res == NULL) {
		cli_conn_close(&a.cn);
		return 1;
	}
	if (a.cn.json)
		cli_print_json(res);
	json_array_foreach(json_object_get(res, "items"), i, it) {
		if (json_is_true(json_object_get(it, "duplicate"))) {
			dups++;
			fprintf(stderr, "kobito: %s\n", json_string_value(
			    json_object_get(it, "error")));
		} else if (!a.cn.json)
			printf("%lld\n", (long long)json_integer_value(
			    json_object_get(it, "id")));
	}
	json_decref(res);
	cli_conn_close(&a.cn);
	return dups > 0 ? 1 : 0;
}

static int
q_retry(int argc, char **argv)
{
	struct args a;
	json_t *res, *body;
	char *path;
	int rc;

	if ((rc = parse(argc, argv, &a, 1)) != 0)
		return rc;
	if (text_parse_id(a.what) == 0) {
		fprintf(stderr, "kobito: queue retry: expected an item id, not "
		    "'%s'\n", a.what);
		cli_conn_close(&a.cn);
		return 2;
	}
	path = xasprintf("/api/queue-items/%s/retry", a.what);
	body = json_pack("{s:s?}", "reason", a.v[O_REASON]);
	res = cli_api(&a.cn, "POST", path, body, NULL);
	json_decref(body);
	free(path);
	if (res == NULL) {
		cli_conn_close(&a.cn);
		return 1;
	}
	if (a.cn.json)
		cli_print_json(res);
	else
		printf("item %s: %s\n", a.what, json_string_value(
		    json_object_get(res, "state")));
	json_decref(res);
	cli_conn_close(&a.cn);
	return 0;
}

static int
q_export(int argc, char **argv)
{
	struct args a;
	struct client_reply rep;
	char *path, *enc, *url, why[600], err[512];
	int rc;

	if ((rc = parse(argc, argv, &a, 1)) != 0)
		return rc;
	enc = text_percent_encode(a.what);
	path = xasprintf("/api/queues/%s/export", enc);
	free(enc);
	url = client_path(path, (const char *const[]){ "state", a.v[O_STATE],
	    "format", a.v[O_FORMAT] ? a.v[O_FORMAT] : "csv", NULL });
	free(path);
	rc = client_call(a.cn.client, "GET", url, NULL, 0, 3, &rep);
	if (rc != 0 || rep.status != 200) {
		fprintf(stderr, "kobito: GET %s: %s\n", url,
		    client_reply_error(&rep, why, sizeof why));
		rc = 1;
	} else if (a.v[O_OUTPUT] != NULL) {
		rc = fsutil_write_atomic(a.v[O_OUTPUT], rep.text ? rep.text :
		    "", rep.text_len, 0644, err, sizeof err) == 0 ? 0 : 1;
		if (rc != 0)
			fprintf(stderr, "kobito: %s\n", err);
	} else {
		fwrite(rep.text ? rep.text : "", 1, rep.text_len, stdout);
		rc = ferror(stdout) ? 1 : 0;
	}
	client_reply_free(&rep);
	free(url);
	cli_conn_close(&a.cn);
	return rc;
}

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} subcommands[] = {
	{ "list", q_list },
	{ "show", q_show },
	{ "add", q_add },
	{ "retry", q_retry },
	{ "export", q_export },
};

int
cmd_queue(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	fprintf(stderr, "kobito: queue: unknown subcommand '%s'\n", argv[1]);
	return usage();
}
