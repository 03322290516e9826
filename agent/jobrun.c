/*
 * jobrun.c - running a job's script: in the agent's thread, or in a
 * process of its own (see "Isolation" in agentd.h).
 *
 * A run in its own process is this program again with --run-job, fed the
 * job as one JSON object on a pipe (secrets never go through argv or the
 * environment) and read back as JSON lines: {"event": ...} per event,
 * then {"summary": ...}.  Cancellation goes by signal; a process that
 * ignores it for CHILD_KILL_GRACE_MS is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentd_state.h"
#include "buf.h"
#include "engine.h"
#include "jobrun.h"
#include "policy.h"
#include "reporter.h"
#include "sandbox.h"
#include "script.h"
#include "timeutil.h"
#include "xmalloc.h"

#define CHILD_KILL_GRACE_MS	10000	/* cancel ignored this long: SIGKILL */
#define CHILD_OUTPUT_CAP	(64u * 1024 * 1024)

/* A summary for a run that never got going. */
json_t *
jobrun_failed(const struct job *j, const char *error)
{
	json_t *lease_script = json_object_get(j->lease, "script");

	return json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:{s:i, s:i, s:[]}, "
	    "s:f, s:f, s:i, s:[], s:[], s:n}",
	    "run_id", j->run_id,
	    "script", json_string_value(json_object_get(lease_script, "name")),
	    "digest", json_string_value(json_object_get(lease_script,
	    "digest")),
	    "status", "failed", "error", error,
	    "items", "succeeded", 0, "failed", 0, "failures",
	    "minutes_saved", 0.0, "vendor_minutes_saved", 0.0,
	    "duration_ms", 0, "steps", "artifacts", "output");
}

static const char *
job_display(const struct job *j)
{
	return j->display >= 0 ? j->d->displays[j->display] : NULL;
}

json_t *
jobrun_here(struct job *j)
{
	struct run_link link;
	struct run_opts opts;
	struct run *r;
	json_t *sum;
	char err[1024];

	memset(&opts, 0, sizeof opts);
	opts.params = json_object_get(j->lease, "params");
	opts.secrets = json_object_get(j->lease, "secrets");
	opts.assets = json_object_get(j->lease, "assets");
	opts.display = job_display(j);
	opts.artifacts_dir = j->artdir;
	opts.run_id = j->run_id;
	opts.on_event = reporter_on_event;
	opts.event_arg = j;
	opts.cancel = &j->cancel;
	opts.policy = j->d->conf.policy;
	opts.workdir = j->workdir;
	link.url = j->d->o->scheduler;
	link.token = j->d->token;
	link.job_id = j->job_id;
	link.lease_token = j->token;
	opts.link = &link;
	opts.item_key = j->job_id;
	if ((r = run_new(j->script, &opts, err, sizeof err)) == NULL)
		return jobrun_failed(j, err);
	run_exec(r);
	sum = run_summary(r);
	run_free(r);
	return sum;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line from the child: an event or the summary. */
static void
child_line(struct job *j, const char *line, size_t len, json_t **sum)
{
	json_t *msg = json_loadb(line, len, 0, NULL), *v;

	if (msg == NULL) {
		agentd_say("job %s: the run's process wrote a line that is not JSON",
		    j->job_id);
		return;
	}
	if ((v = json_object_get(msg, "event")) != NULL)
		reporter_enqueue(j, v);
	else if ((v = json_object_get(msg, "summary")) != NULL &&
	    json_is_object(v)) {
		json_decref(*sum);
		*sum = json_incref(v);
	}
	json_decref(msg);
}

/*
 * What the child needs to confine itself: the policy, its working and
 * job directories, and whether to enter the sandbox with what else it
 * may read.
 */
static void
confinement(const struct job *j, json_t *job)
{
	struct agentd *d = j->d;
	json_t *reads;
	size_t i;

	json_object_set_new(job, "workdir", json_string(j->workdir));
	if (d->conf.policy == NULL)
		return;
	json_object_set_new(job, "policy", policy_to_json(d->conf.policy));
	if (d->sandbox == 0)
		return;
	reads = json_array();
	for (i = 0; d->reads[i] != NULL; i++)
		json_array_append_new(reads, json_string(d->reads[i]));
	json_object_set_new(job, "sandbox", json_pack("{s:[s, s], s:o}",
	    "dirs", j->workdir, j->dir, "reads", reads));
}

/*
 * Run the script in a child process: this program with --run-job, fed the
 * job on a pipe (secrets never go through argv or the environment), read
 * back as JSON lines.  Cancellation goes by signal; a child that ignores
 * it for CHILD_KILL_GRACE_MS is killed.
 */
json_t *
jobrun_child(struct job *j)
{
	int in[2], out[2], status, sent_cancel = 0, sent_stop = 0, killed = 0;
	json_t *job, *sum = NULL;
	struct pollfd pfd;
	struct buf acc;
	int64_t cancel_at = 0;
	sigset_t none;
	char *text, chunk[65536], *nl, why[256];
	char *const child_argv[] = { "kobito-agent", "--run-job", NULL };
	ssize_t n;
	pid_t pid, parent;

	if (pipe2(in, O_CLOEXEC) != 0)
		return jobrun_failed(j, "cannot create a pipe for the run");
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return jobrun_failed(j, "cannot create a pipe for the run");
	}
	job = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:s?, s:s, s:s,"
	    " s:{s:s, s:s, s:s, s:s}}",
	    "name", json_string_value(json_object_get(json_object_get(j->lease,
	    "script"), "name")),
	    "source", json_string_value(json_object_get(json_object_get(
	    j->lease, "script"), "source")),
	    "files", json_object_get(json_object_get(j->lease, "script"),
	    "files"),
	    "params", json_object_get(j->lease, "params"),
	    "secrets", json_object_get(j->lease, "secrets"),
	    "assets", json_object_get(j->lease, "assets"),
	    "display", job_display(j), "artifacts_dir", j->artdir,
	    "run_id", j->run_id,
	    "link", "url", j->d->o->scheduler, "token", j->d->token,
	    "job_id", j->job_id, "lease_token", j->token);
	confinement(j, job);
	text = json_dumps(job, JSON_COMPACT);
	json_decref(job);
	sigemptyset(&none);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls until exec.  The child dies
		 * with the thread that started it, so a killed agent never
		 * leaves a run going that another agent will run again. */
		dup2(in[0], 0);
		dup2(out[1], 1);
		close_range(3, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(j->d->o->self_exe, child_argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		free(text);
		return jobrun_failed(j, "cannot start a process for the run");
	}
	/* The child reads the whole job before it writes anything, so this
	 * cannot deadlock on a full pipe. */
	if (text == NULL || write_all(in[1], text, strlen(text)) != 0)
		agentd_say("job %s: cannot hand the job to its process: %s",
		    j->job_id, strerror(errno));
	close(in[1]);
	free(text);

	buf_init(&acc, CHILD_OUTPUT_CAP);
	pfd.fd = out[0];
	pfd.events = POLLIN;
	for (;;) {
		if (j->cancel && !sent_cancel) {
			kill(pid, SIGUSR1);
			sent_cancel = 1;
			cancel_at = time_mono_ms();
		}
		if (atomic_load(&j->stop_after_step) && !sent_stop) {
			kill(pid, SIGUSR2);
			sent_stop = 1;
		}
		if (sent_cancel && !killed &&
		    time_mono_ms() - cancel_at > CHILD_KILL_GRACE_MS) {
			agentd_say("job %s: the run ignored its cancellation for %d "
			    "s; killing it", j->job_id,
			    CHILD_KILL_GRACE_MS / 1000);
			kill(pid, SIGKILL);
			killed = 1;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(out[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_append(&acc, chunk, (size_t)n) != 0) {
			agentd_say("job %s: the run's process wrote a line longer "
			    "than %u bytes; killing it", j->job_id,
			    CHILD_OUTPUT_CAP);
			kill(pid, SIGKILL);
			killed = 1;
			buf_reset(&acc);
		}
		while (acc.len > 0 && (nl = memchr(acc.data, '\n', acc.len))) {
			size_t len = (size_t)(nl - acc.data);

			child_line(j, acc.data, len, &sum);
			memmove(acc.data, nl + 1, acc.len - len - 1);
			acc.len -= len + 1;
			acc.data[acc.len] = '\0';
		}
	}
	close(out[0]);
	buf_free(&acc);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (sum != NULL)
		return sum;
	if (WIFSIGNALED(status))
		snprintf(why, sizeof why, "the run's process was ended by "
		    "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(why, sizeof why, "the run's process exited with "
		    "status %d without a result", WEXITSTATUS(status));
	return jobrun_failed(j, why);
}

/* --- the child side ------------------------------------------------------ */

struct child {
	atomic_int	 cancel;
	atomic_int	 stop_after_step;
	int		 out;
	int		 broken;
	sigset_t	 sigs;
};

static void *
child_signals(void *arg)
{
	struct child *c = arg;
	int sig;

	for (;;) {
		if (sigwait(&c->sigs, &sig) != 0)
			continue;
		if (sig == SIGUSR2)
			c->stop_after_step = 1;
		else
			c->cancel = 1;
	}
	return NULL;
}

static void
child_emit(struct child *c, const char *key, const json_t *v)
{
	json_t *msg;
	char *text;
	size_t len;

	if (c->broken)
		return;
	msg = json_pack("{s:O}", key, (json_t *)v);
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		return;
	/* One write per line keeps lines whole. */
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	if (write_all(c->out, text, len) != 0) {
		/* The agent is gone: nobody will see the result. */
		c->broken = 1;
		c->cancel = 1;
	}
	free(text);
}

static void
child_event(void *arg, const json_t *ev)
{
	struct child *c = arg;
	const char *type = json_string_value(json_object_get(ev, "type"));

	child_emit(c, "event", ev);
	if (type != NULL && strcmp(type, "step_end") == 0 &&
	    c->stop_after_step)
		c->cancel = 1;
}

static void
child_fail(struct child *c, const char *name, const char *error)
{
	json_t *s = json_pack("{s:s?, s:s, s:s, s:{s:i, s:i, s:[]}, s:f, "
	    "s:f, s:i, s:[], s:[], s:n}", "script", name, "status", "failed",
	    "error", error, "items", "succeeded", 0, "failed", 0, "failures",
	    "minutes_saved", 0.0, "vendor_minutes_saved", 0.0, "duration_ms",
	    0, "steps", "artifacts", "output");

	child_emit(c, "summary", s);
	json_decref(s);
}

/* The strings of a JSON array, NULL-terminated (borrowed from it). */
static const char **
strings_of(const json_t *arr)
{
	const char **v = xcalloc(json_array_size(arr) + 1, sizeof *v);
	const json_t *e;
	size_t i, n = 0;

	json_array_foreach(arr, i, e)
		if (json_is_string(e))
			v[n++] = json_string_value(e);
	return v;
}

/*
 * Before anything of the script runs: the policy for the actions, the
 * sandbox when the agent asks for it, the working directory (also for
 * temporary files).  -1 after reporting a failed run.
 */
static int
child_confine(struct child *c, const json_t *job, struct policy **pol)
{
	const json_t *sb = json_object_get(job, "sandbox");
	const char *wd = json_string_value(json_object_get(job, "workdir"));
	const char **dirs, **reads;
	const char *name = json_string_value(json_object_get(job, "name"));
	char err[1024];
	int rc = 0;

	*pol = NULL;
	if (json_object_get(job, "policy") != NULL &&
	    (*pol = policy_from_json(json_object_get(job, "policy"), err,
	    sizeof err)) == NULL) {
		child_fail(c, name, err);
		return -1;
	}
	if (sb != NULL) {
		dirs = strings_of(json_object_get(sb, "dirs"));
		reads = strings_of(json_object_get(sb, "reads"));
		if (sandbox_enter(*pol, dirs, reads, err, sizeof err) < 0) {
			child_fail(c, name, err);
			rc = -1;
		}
		free(dirs);
		free(reads);
	}
	if (rc == 0 && wd != NULL) {
		if (chdir(wd) != 0) {
			snprintf(err, sizeof err, "cannot enter the working "
			    "directory '%s': %s", wd, strerror(errno));
			child_fail(c, name, err);
			rc = -1;
		} else {
			setenv("TMPDIR", wd, 1);
		}
	}
	if (rc != 0) {
		policy_free(*pol);
		*pol = NULL;
	}
	return rc;
}

int
jobrun_child_main(int in_fd, int out_fd)
{
	struct child c;
	struct run_link link;
	struct run_opts opts;
	struct diag diag = { NULL, 0 };
	struct script *s;
	struct run *r;
	struct policy *pol;
	struct buf in;
	json_t *job, *sum, *lj;
	pthread_t t;
	char chunk[65536], err[1024], *name;
	const char *src;
	ssize_t n;
	size_t i;

	memset(&c, 0, sizeof c);
	c.out = out_fd;
	sigemptyset(&c.sigs);
	sigaddset(&c.sigs, SIGUSR1);
	sigaddset(&c.sigs, SIGUSR2);
	sigaddset(&c.sigs, SIGTERM);
	sigaddset(&c.sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &c.sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&t, NULL, child_signals, &c) != 0) {
		fprintf(stderr, "kobito-agent: cannot start a thread\n");
		return 1;
	}
	buf_init(&in, CHILD_OUTPUT_CAP);
	while ((n = read(in_fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(&in, chunk, (size_t)n) != 0) {
			fprintf(stderr, "kobito-agent --run-job: cannot read "
			    "the job\n");
			buf_free(&in);
			return 1;
		}
	}
	job = json_loadb(buf_str(&in), in.len, 0, NULL);
	buf_free(&in);
	if (!json_is_object(job)) {
		fprintf(stderr, "kobito-agent --run-job: the job on standard "
		    "input is not a JSON object\n");
		json_decref(job);
		return 1;
	}
	if (child_confine(&c, job, &pol) != 0) {
		json_decref(job);
		return 0;
	}
	src = json_string_value(json_object_get(job, "source"));
	name = xasprintf("%s.yaml", json_string_value(json_object_get(job,
	    "name")) ? json_string_value(json_object_get(job, "name")) :
	    "script");
	/* Included sub-flows come with the script, never from this disk. */
	s = src ? script_load_bundle(name, src, strlen(src),
	    json_object_get(job, "files"), &diag) : NULL;
	if (s == NULL) {
		struct buf m;

		buf_init(&m, 64 * 1024);
		buf_puts(&m, "the script does not load on this agent:");
		for (i = 0; i < diag.n; i++)
			buf_printf(&m, " %s;", diag.msgs[i]);
		child_fail(&c, json_string_value(json_object_get(job, "name")),
		    buf_str(&m));
		buf_free(&m);
		diag_free(&diag);
		policy_free(pol);
		free(name);
		json_decref(job);
		return 0;
	}
	memset(&opts, 0, sizeof opts);
	opts.params = json_object_get(job, "params");
	opts.secrets = json_object_get(job, "secrets");
	opts.assets = json_object_get(job, "assets");
	opts.display = json_string_value(json_object_get(job, "display"));
	opts.artifacts_dir = json_string_value(json_object_get(job,
	    "artifacts_dir"));
	opts.run_id = json_string_value(json_object_get(job, "run_id"));
	opts.on_event = child_event;
	opts.event_arg = &c;
	opts.cancel = &c.cancel;
	opts.policy = pol;
	opts.workdir = json_string_value(json_object_get(job, "workdir"));
	lj = json_object_get(job, "link");
	link.url = json_string_value(json_object_get(lj, "url"));
	link.token = json_string_value(json_object_get(lj, "token"));
	link.job_id = json_string_value(json_object_get(lj, "job_id"));
	link.lease_token = json_string_value(json_object_get(lj,
	    "lease_token"));
	opts.link = link.url != NULL ? &link : NULL;
	opts.item_key = link.job_id;
	if ((r = run_new(s, &opts, err, sizeof err)) == NULL) {
		child_fail(&c, s->name, err);
	} else {
		run_exec(r);
		sum = run_summary(r);
		child_emit(&c, "summary", sum);
		json_decref(sum);
		run_free(r);
	}
	script_free(s);
	policy_free(pol);
	free(name);
	json_decref(job);
	return 0;
}
