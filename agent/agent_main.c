/*
 * agent_main.c - bin/kobito-agent: the command line around agentd.c.
 *
 *   kobito-agent --config FILE | --scheduler URL --token-file FILE
 *                [OPTION]...
 *
 * Its options are one table (opts.h): the command line, the configuration
 * file, --help and kobito-agent(8) all come from it.
 * With --run-job it is instead the child that runs one job (agentd.c
 * starts it that way; it is not meant to be typed).
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentconf.h"
#include "agentd.h"
#include "opts.h"
#include "xmalloc.h"
#include "ydoc.h"

/* The options, as opts.h fills them; then handed to agentd as agentd_opts. */
struct agentv {
	char		*scheduler, *token_file, *name, *spool, *config;
	char		*web_profiles, *ca_file;
	struct opt_list	 labels, displays;
	long long	 slots, poll_wait;
	int		 allow_root, on_term, isolation, verbose;
};

static const struct opt_word on_term_words[] = {
	{ "release", AGENTD_TERM_RELEASE },
	{ "finish", AGENTD_TERM_FINISH },
	{ NULL, 0 },
};

static const struct opt_word isolation_words[] = {
	{ "auto", AGENTD_ISOLATE_AUTO },
	{ "thread", AGENTD_ISOLATE_THREAD },
	{ "process", AGENTD_ISOLATE_PROCESS },
	{ NULL, 0 },
};

#define O(f)	offsetof(struct agentv, f)
static const struct opt agent_opts[] = {
	{ "scheduler", OPT_TEXT, "URL", O(scheduler), 0, 0, NULL, OPT_REQUIRED,
	    "The scheduler, e.g. http://10.0.0.5:8470 (default: "
	    "KOBITO_SCHEDULER from the environment)." },
	{ "token-file", OPT_TEXT, "FILE", O(token_file), 0, 0, NULL,
	    OPT_REQUIRED,
	    "The agent's token (kba_...), the first line of FILE; keep it "
	    "0600." },
	{ "name", OPT_TEXT, "NAME", O(name), 0, 0, NULL, 0,
	    "The agent's name, the one its token was made for (default: the "
	    "host name)." },
	{ "labels", OPT_LIST, "L1,L2", O(labels), 0, 0, NULL, 0,
	    "What this machine offers (display, ocr:jpn, ...): a job runs "
	    "here only when its script requires nothing else." },
	{ "slots", OPT_INT, "N", O(slots), 1, 256, NULL, 0,
	    "Jobs run at once (default 1)." },
	{ "display", OPT_LIST, ":N", O(displays), 0, 0, NULL, 0,
	    "An X display this agent may drive (repeat, or a comma list, for "
	    "several); adds the label display." },
	{ "spool", OPT_TEXT, "DIR", O(spool), 0, 0, NULL, 0,
	    "Where results wait for the scheduler and jobs keep their files "
	    "(default $XDG_STATE_HOME/kobito-agent)." },
	{ "allow-root", OPT_FLAG, NULL, O(allow_root), 0, 0, NULL, 0,
	    "Run even as root (refused otherwise)." },
	{ "on-term", OPT_WORD, "release|finish", O(on_term), 0, 0,
	    on_term_words, 0,
	    "On SIGTERM, finish the step and hand each job back (release, "
	    "the default) or finish the jobs (finish)." },
	{ "isolation", OPT_WORD, "auto|thread|process", O(isolation), 0, 0,
	    isolation_words, 0,
	    "Where a job runs: in a thread when its actions allow, else in a "
	    "child process (auto, the default); or always one way." },
	{ "poll-wait", OPT_INT, "MS", O(poll_wait), 0, 60000, NULL, 0,
	    "How long one long poll for work waits, in milliseconds (default "
	    "30000)." },
	{ "web-profiles", OPT_TEXT, "DIR", O(web_profiles), 0, 0, NULL, 0,
	    "The persistent browser profiles this agent offers, a directory "
	    "each under DIR." },
	{ "ca-file", OPT_TEXT, "FILE", O(ca_file), 0, 0, NULL, 0,
	    "The CA certificates (PEM) that the scheduler's HTTPS certificate "
	    "is checked against, for a scheduler with a private CA (default: "
	    "the system's)." },
	{ "verbose", OPT_FLAG, NULL, O(verbose), 0, 0, NULL, 0,
	    "One line per job started and finished." },
	{ "config", OPT_TEXT, "FILE", O(config), 0, 0, NULL, OPT_NOCONF,
	    "A configuration file (YAML) holding any of these options, as "
	    "/etc/kobito/agent.yaml does when packaged; the command line "
	    "wins." },
};
#undef O

/* The file's keys that are options: agentconf.h leaves them to us. */
static const char *const option_keys[] = {
	"scheduler", "token_file", "name", "labels", "slots", "display",
	"spool", "allow_root", "on_term", "isolation", "poll_wait",
	"web_profiles", "ca_file", "verbose", NULL,
};

static const char *const agent_synopsis[] = {
	"--config FILE | --scheduler URL --token-file FILE [OPTION]...",
	"--version",
	NULL,
};

/* The configuration file's problems, printed as they are found. */
static void
config_report(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "kobito-agent: %s\n", msg);
}

static int
load_config(struct opts *o, const char *path)
{
	static const struct ysink sink = { config_report, NULL };
	char err[512];
	struct ydoc *doc = ydoc_load_file(path, err, sizeof err);
	int rc;

	if (doc == NULL) {
		fprintf(stderr, "kobito-agent: %s\n", err);
		return -1;
	}
	/* The rest of the file is agentconf.h's (policy, work_dirs). */
	rc = opts_config(o, doc->root, agentconf_keys, &sink);
	ydoc_free(doc);
	return rc;
}

/*
 * The persistent browser profiles this agent offers (web.open profile:):
 * the web actions find them through the environment, which every job's
 * process inherits.  Set before any thread exists.
 */
static int
web_profiles(const char *dir)
{
	struct stat st;
	char *abs;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (abs = realpath(dir, NULL)) == NULL) {
		fprintf(stderr, "kobito-agent: --web-profiles: '%s' is not a "
		    "directory\n", dir);
		return -1;
	}
	setenv("KOBITO_WEB_PROFILES", abs, 1);
	free(abs);
	return 0;
}

int
main(int argc, char **argv)
{
	struct agentv v;
	struct agentd_opts o;
	struct opts op;
	const char *env;
	int rc, next;

	if (argc == 2 && strcmp(argv[1], "--run-job") == 0)
		return agentd_child(0, 1);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("kobito-agent %s\n", AGENTD_VERSION);
		return 0;
	}
	memset(&v, 0, sizeof v);
	v.slots = 1;
	v.poll_wait = 30000;
	v.on_term = AGENTD_TERM_RELEASE;
	v.isolation = AGENTD_ISOLATE_AUTO;
	if ((env = getenv("KOBITO_SCHEDULER")) != NULL && *env != '\0')
		v.scheduler = xstrdup(env);
	memset(&op, 0, sizeof op);
	op.prog = "kobito-agent";
	op.synopsis = agent_synopsis;
	op.summary = "The agent: takes jobs from the scheduler, runs them with "
	    "the same engine as `kobito run`, and delivers their results, also "
	    "across its own restarts and the scheduler's.";
	op.table = agent_opts;
	op.n = sizeof agent_opts / sizeof agent_opts[0];
	op.out = &v;
	if ((rc = opts_parse(&op, argc, argv, 1, &next)) == 0 &&
	    next != argc) {
		fprintf(stderr, "kobito-agent: unexpected argument '%s'\n",
		    argv[next]);
		rc = -1;
	}
	if (rc == 0 && v.config != NULL && load_config(&op, v.config) != 0)
		rc = -2;
	if (rc == 0 && opts_check_required(&op) != 0)
		rc = -1;
	if (rc == 0 && v.web_profiles != NULL && web_profiles(v.web_profiles) !=
	    0)
		rc = -1;
	if (rc != 0) {
		opts_release(&op);
		return rc > 0 ? 0 : rc == -2 ? 1 : 2;
	}
	memset(&o, 0, sizeof o);
	o.scheduler = v.scheduler;
	o.token_file = v.token_file;
	o.name = v.name;
	o.labels = (const char *const *)v.labels.v;
	o.nlabels = v.labels.n;
	o.displays = (const char *const *)v.displays.v;
	o.ndisplays = v.displays.n;
	o.slots = (int)v.slots;
	o.spool = v.spool;
	o.allow_root = v.allow_root;
	o.on_term = (enum agentd_on_term)v.on_term;
	o.isolation = (enum agentd_isolation)v.isolation;
	o.poll_wait_ms = (long)v.poll_wait;
	o.self_exe = "/proc/self/exe";
	o.verbose = v.verbose;
	o.config = v.config;
	o.ca_file = v.ca_file;
	o.config_keys = option_keys;
	rc = agentd_run(&o);
	opts_release(&op);
	return rc;
}
