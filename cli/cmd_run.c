/*
 * cmd_run.c - `kobito run`, `kobito validate` and `kobito actions`: running
 * and checking scripts on the author's own machine, exactly as an agent
 * will run them later.
 */
#include <getopt.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "cmd.h"
#include "engine.h"
#include "expr.h"
#include "script.h"
#include "urlmatch.h"
#include "xmalloc.h"
#include "ydoc.h"

/*
 * Set by SIGINT, SIGTERM and SIGHUP: the engine stops at the next step (or
 * key), and the run ends the usual way, giving back what it holds (the
 * keycodes bound for typing among them).
 */
static atomic_int stop_requested;	/* lock-free: set by a signal */

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* How events are shown to a person. */
struct printer {
	FILE	*out;
};

static void
indent(FILE *f, json_int_t depth)
{
	json_int_t i;

	for (i = 0; i < depth + 1; i++)
		fputs("  ", f);
}

static void
print_event(void *arg, const json_t *ev)
{
	struct printer *p = arg;
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *status, *err;
	json_int_t depth = json_integer_value(json_object_get(ev, "depth"));

	if (strcmp(type, "step_end") == 0) {
		status = json_string_value(json_object_get(ev, "status"));
		err = json_string_value(json_object_get(ev, "error"));
		indent(p->out, depth);
		fprintf(p->out, "%-5s %s (%s) %" JSON_INTEGER_FORMAT " ms",
		    strcmp(status, "succeeded") == 0 ? "ok" :
		    strcmp(status, "skipped") == 0 ? "skip" : "FAIL",
		    json_string_value(json_object_get(ev, "step")),
		    json_string_value(json_object_get(ev, "action")),
		    json_integer_value(json_object_get(ev, "duration_ms")));
		if (err != NULL)
			fprintf(p->out, ": %s", err);
		fputc('\n', p->out);
	} else if (strcmp(type, "item_end") == 0) {
		err = json_string_value(json_object_get(ev, "error"));
		fprintf(p->out, "  item %" JSON_INTEGER_FORMAT ": %s%s%s\n",
		    json_integer_value(json_object_get(ev, "index")) + 1,
		    json_string_value(json_object_get(ev, "status")),
		    err ? ": " : "", err ? err : "");
	} else if (strcmp(type, "log") == 0) {
		const char *level = json_string_value(json_object_get(ev,
		    "level"));

		fprintf(p->out, "  %s %s\n", strcmp(level, "info") == 0 ?
		    "|" : strcmp(level, "warn") == 0 ? "! warning:" :
		    "! error:", json_string_value(json_object_get(ev,
		    "message")));
	} else if (strcmp(type, "artifact") == 0) {
		fprintf(p->out, "  + artifact %s\n",
		    json_string_value(json_object_get(ev, "path")));
	}
	fflush(p->out);
}

static void
print_diag(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->nwarnings; i++)
		fprintf(stderr, "%s\n", d->warnings[i]);
	for (i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->msgs[i]);
}

/*
 * --params FILE: a YAML mapping of param names to values, for long lists;
 * values keep their YAML types.  A --param given too wins over the file.
 */
static int
load_params_file(const char *path, json_t *params)
{
	struct ydoc *doc;
	struct ynode *root;
	char err[1024];
	size_t i;

	if ((doc = ydoc_load_file(path, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito: %s\n", err);
		return -1;
	}
	root = doc->root;
	if (root == NULL || root->kind != YNODE_MAP) {
		fprintf(stderr, "kobito: %s: params must be a mapping of names "
		    "to values\n", path);
		ydoc_free(doc);
		return -1;
	}
	for (i = 0; i < root->n; i++) {
		if (root->keys[i]->kind != YNODE_SCALAR) {
			fprintf(stderr, "kobito: %s:%d:%d: a param name must be "
			    "a scalar\n", path, root->keys[i]->line,
			    root->keys[i]->col);
			ydoc_free(doc);
			return -1;
		}
		if (json_object_get(params, root->keys[i]->value) == NULL)
			json_object_set_new(params, root->keys[i]->value,
			    ynode_to_json(root->items[i]));
	}
	ydoc_free(doc);
	return 0;
}

/*
 * Secrets for local runs: a YAML mapping of names to values, each either
 * the value alone ("name: s3cr3t", which may be typed or given to a
 * program but never sent over HTTP) or {value: V, allow: [DEST...]}, the
 * destinations http.* may send it to (urlmatch.h).  The file must be
 * readable by its owner only.
 */

/* The secrets file's typed getters print the problem. */
static void
secrets_report(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "kobito: %s\n", msg);
}

static const struct ysink secrets_sink = { secrets_report, NULL };

/* One secret: its value, or {value, allow}; NULL after a message. */
static json_t *
secret_entry(const struct ynode *n)
{
	static const char *const keys[] = { "value", "allow", NULL };
	const struct ynode *v, *list;
	json_t *allow;
	const char *s;
	char err[256];
	size_t i;

	if (n->kind == YNODE_SCALAR)
		return json_string(n->value);
	if (ynode_want(n, YNODE_MAP, "a secret", &secrets_sink) != 0 ||
	    ynode_check_keys(n, "a secret", keys, &secrets_sink) != 0)
		return NULL;
	if ((v = ynode_get(n, "value")) == NULL) {
		ysink_report(&secrets_sink, n, "a secret needs a value");
		return NULL;
	}
	if (ynode_text(v, "value", &secrets_sink) == NULL)
		return NULL;
	allow = json_array();
	if ((list = ynode_get(n, "allow")) != NULL) {
		if (ynode_want(list, YNODE_SEQ, "allow", &secrets_sink) != 0)
			goto fail;
		for (i = 0; i < list->n; i++) {
			if ((s = ynode_text(list->items[i], "allow",
			    &secrets_sink)) == NULL)
				goto fail;
			if (urlmatch_check(s, err, sizeof err) != 0) {
				ysink_report(&secrets_sink, list->items[i],
				    "allow: %s", err);
				goto fail;
			}
			json_array_append_new(allow, json_string(s));
		}
	}
	return json_pack("{s:s, s:o}", "value", v->value, "allow", allow);
fail:
	json_decref(allow);
	return NULL;
}

static json_t *
load_secrets(const char *path)
{
	struct ydoc *doc;
	struct ynode *root;
	struct stat st;
	char err[1024];
	json_t *sec, *e;
	size_t i;

	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
		fprintf(stderr, "kobito: secrets file '%s' can be read by "
		    "others than its owner (mode %04o): make it private with "
		    "chmod 600 '%s'\n", path, (unsigned)(st.st_mode & 07777),
		    path);
		return NULL;
	}
	if ((doc = ydoc_load_file(path, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito: %s\n", err);
		return NULL;
	}
	root = doc->root;
	if (root == NULL) {
		fprintf(stderr, "kobito: %s: secrets must be a mapping of "
		    "names to values\n", path);
		ydoc_free(doc);
		return NULL;
	}
	if (ynode_want(root, YNODE_MAP, "secrets", &secrets_sink) != 0) {
		ydoc_free(doc);
		return NULL;
	}
	sec = json_object();
	for (i = 0; i < root->n; i++) {
		if (ynode_text(root->keys[i], "a secret's name",
		    &secrets_sink) == NULL ||
		    (e = secret_entry(root->items[i])) == NULL) {
			json_decref(sec);
			ydoc_free(doc);
			return NULL;
		}
		json_object_set_new(sec, root->keys[i]->value, e);
	}
	ydoc_free(doc);
	return sec;
}

int
cmd_param_add(json_t *params, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (eq == NULL || eq == arg) {
		fprintf(stderr, "kobito: --param needs NAME=VALUE, not '%s'\n",
		    arg);
		return -1;
	}
	name = xstrndup(arg, (size_t)(eq - arg));
	json_object_set_new(params, name, json_string(eq + 1));
	free(name);
	return 0;
}

static int
needs_display(const struct script *s)
{
	size_t i;

	for (i = 0; i < s->nrequires; i++) {
		if (strcmp(s->requires[i], "display") == 0)
			return 1;
	}
	return 0;
}

static void
print_summary(FILE *f, const json_t *sum)
{
	const json_t *items = json_object_get(sum, "items");

	fprintf(f, "%s: %s in %" JSON_INTEGER_FORMAT " ms; items %"
	    JSON_INTEGER_FORMAT " succeeded, %" JSON_INTEGER_FORMAT
	    " failed; %.1f minutes saved (%.1f for businesses)\n",
	    json_string_value(json_object_get(sum, "script")),
	    json_string_value(json_object_get(sum, "status")),
	    json_integer_value(json_object_get(sum, "duration_ms")),
	    json_integer_value(json_object_get(items, "succeeded")),
	    json_integer_value(json_object_get(items, "failed")),
	    json_number_value(json_object_get(sum, "minutes_saved")),
	    json_number_value(json_object_get(sum, "vendor_minutes_saved")));
	if (json_object_get(sum, "error") && !json_is_null(json_object_get(sum,
	    "error")))
		fprintf(f, "error: %s\n", json_string_value(json_object_get(sum,
		    "error")));
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "param", required_argument, NULL, 'p' },
		{ "params", required_argument, NULL, 'P' },
		{ "secrets", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "display", required_argument, NULL, 'd' },
		{ "artifacts", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts opts;
	struct printer printer;
	struct diag diag = { NULL, 0 };
	struct script *s;
	struct run *r;
	json_t *params = json_object(), *secrets = NULL, *sum;
	const char *secrets_file = NULL, *params_file = NULL;
	int c, json = 0, quiet = 0, rc = 2;
	char err[1024], *text;

	memset(&opts, 0, sizeof opts);
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:P:s:njd:a:q", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cmd_param_add(params, optarg) != 0)
				goto out;
			break;
		case 'P':
			params_file = optarg;
			break;
		case 's':
			secrets_file = optarg;
			break;
		case 'n':
			opts.dry_run = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'd':
			opts.display = optarg;
			break;
		case 'a':
			opts.artifacts_dir = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			fprintf(stderr, "usage: kobito run FILE [--param "
			    "NAME=VALUE]... [--params FILE.yaml] [--secrets "
			    "FILE] [--dry-run] [--json] [--display :N] "
			    "[--artifacts DIR]\n");
			goto out;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: kobito run FILE [options]\n");
		goto out;
	}
	if (params_file != NULL && load_params_file(params_file, params) != 0)
		goto out;
	s = script_load(argv[optind], &diag);
	print_diag(&diag);
	diag_free(&diag);
	if (s == NULL)
		goto out;
	if (needs_display(s) && !opts.dry_run && (opts.display == NULL ||
	    *opts.display == '\0') && getenv("DISPLAY") == NULL) {
		fprintf(stderr, "kobito: %s requires a display: give --display "
		    ":N or set DISPLAY\n", s->path);
		script_free(s);
		goto out;
	}
	if (secrets_file != NULL &&
	    (secrets = load_secrets(secrets_file)) == NULL) {
		script_free(s);
		goto out;
	}
	opts.params = params;
	opts.secrets = secrets;
	printer.out = json ? stderr : stdout;
	if (!quiet) {
		opts.on_event = print_event;
		opts.event_arg = &printer;
	}
	opts.cancel = &stop_requested;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if ((r = run_new(s, &opts, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito: %s\n", err);
		script_free(s);
		goto out;
	}
	if (!quiet)
		fprintf(printer.out, "run %s (%s)%s\n", s->name,
		    s->title ? s->title : s->path,
		    opts.dry_run ? " - dry run" : "");
	rc = run_exec(r) == 0 ? 0 : 1;
	sum = run_summary(r);
	if (json) {
		text = json_dumps(sum, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
	} else {
		print_summary(stdout, sum);
	}
	json_decref(sum);
	run_free(r);
	script_free(s);
out:
	json_decref(params);
	json_decref(secrets);
	return rc;
}

int
cmd_validate(int argc, char **argv)
{
	struct diag diag = { NULL, 0 };
	struct script *s;
	int i, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: kobito validate FILE...\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		s = script_load(argv[i], &diag);
		print_diag(&diag);
		diag_free(&diag);
		if (s == NULL) {
			bad = 1;
			continue;
		}
		printf("%s: ok (%s, %zu steps)\n", argv[i], s->name,
		    s->steps.n);
		script_free(s);
	}
	return bad;
}

/* An action's output shape: {type, keys: [{name, type, help}]} or null
 * when the action does not declare it. */
static json_t *
output_json(const struct action *a)
{
	const struct action_out *o;
	json_t *keys;

	if (a->out_type == ARG_ANY)
		return json_null();
	keys = json_array();
	for (o = a->out; o != NULL && o->name != NULL; o++)
		json_array_append_new(keys, json_pack("{s:s, s:s, s:s}",
		    "name", o->name, "type", arg_type_name(o->type), "help",
		    o->help ? o->help : ""));
	return json_pack("{s:s, s:o}", "type", arg_type_name(a->out_type),
	    "keys", keys);
}

static void
action_json(const struct action *a, void *arg)
{
	json_t *list = arg, *args = json_array();
	const struct action_arg *spec;

	for (spec = a->args; spec && spec->name; spec++)
		json_array_append_new(args, json_pack("{s:s, s:s, s:b, s:s}",
		    "name", spec->name, "type", arg_type_name(spec->type),
		    "required", spec->required, "help",
		    spec->help ? spec->help : ""));
	json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o, s:s, "
	    "s:b}", "name", a->name, "summary", a->summary, "args", args,
	    "output", output_json(a), "dry_run", action_dry_name(a->dry),
	    "needs_display", (a->flags & ACTION_UI) != 0));
}

static void
action_text(const struct action *a, void *arg)
{
	const struct action_arg *spec;

	const struct action_out *o;

	(void)arg;
	printf("%-18s %s\n", a->name, a->summary);
	for (spec = a->args; spec && spec->name; spec++)
		printf("    %-14s %s%s - %s\n", spec->name,
		    arg_type_name(spec->type), spec->required ?
		    ", required" : "", spec->help ? spec->help : "");
	if (a->out_type != ARG_ANY) {
		printf("    output: %s", arg_type_name(a->out_type));
		for (o = a->out; o != NULL && o->name != NULL; o++)
			printf("%s%s", o == a->out ? " {" : ", ", o->name);
		printf("%s\n", a->out != NULL && a->out->name ? "}" : "");
	}
	printf("    dry run: %s\n", a->dry == ACTION_DRY_READ ? "runs (reads "
	    "only)" : a->dry == ACTION_DRY_SELF ? "runs, describes its writes" :
	    "not run");
}

static void
function_text(const char *name, const char *summary, void *arg)
{
	(void)arg;
	printf("  %-14s %s\n", name, summary);
}

int
cmd_actions(int argc, char **argv)
{
	json_t *list;
	char *text, err[512];

	if (action_load_all(err, sizeof err) != 0) {
		fprintf(stderr, "kobito actions: %s\n", err);
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "--json") == 0) {
		list = json_array();
		action_foreach(action_json, list);
		text = json_dumps(list, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(list);
		return 0;
	}
	action_foreach(action_text, NULL);
	printf("\nexpression functions and filters:\n");
	expr_foreach_function(function_text, NULL);
	return 0;
}
