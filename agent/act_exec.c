/*
 * act_exec.c - the exec action: run a program with an argument list (never
 * through a shell), feed it stdin, capture stdout and stderr up to a cap,
 * and stop it when the step times out or the run is cancelled.
 *
 * The program runs in its own process group, so that stopping it (SIGTERM,
 * then SIGKILL after a grace period) reaches the children it started too,
 * and so that a Ctrl-C meant for kobito is not delivered to it directly.
 * One poll loop moves stdin and both outputs and notices the exit through
 * a pidfd (or, on an old kernel, a short poll interval), so neither side
 * can block the other and the child is always reaped.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "buf.h"
#include "charset.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

extern char **environ;

#define DEFAULT_MAX_OUTPUT	(1024 * 1024)
/* Between SIGTERM and SIGKILL. */
#define KILL_GRACE_MS		2000
/* How long output may still arrive after the program exited, from
 * background processes that kept its pipes open. */
#define DRAIN_GRACE_MS		500

/* A scalar argument as text (numbers allowed); NULL for other types. */
static char *
scalar_text(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: {
		/* The shortest text that reads back the same: 0.1, not
		 * 0.10000000000000001. */
		double d = json_real_value(v);
		char *t = xasprintf("%.15g", d);

		if (strtod(t, NULL) != d) {
			free(t);
			t = xasprintf("%.17g", d);
		}
		return t;
	}
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	default:
		return NULL;
	}
}

static void
free_vec(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/*
 * The environment: kobito's own, with env's keys set (null unsets), but
 * never the KOBITO_SECRET_ variables: a program gets a secret only when
 * the script hands it one (env: {TOKEN: ${secrets.x}}), so that the run
 * knows to mask it.
 */
static char **
make_env(struct act *a, json_t *env)
{
	size_t n = 0, k = 0;
	const char *key;
	json_t *v;
	char **out;

	for (char **e = environ; *e != NULL; e++)
		n++;
	out = xcalloc(n + json_object_size(env) + 1, sizeof *out);
	for (char **e = environ; *e != NULL; e++) {
		size_t klen = strcspn(*e, "=");
		int replaced = 0;

		json_object_foreach(env, key, v)
			if (strlen(key) == klen && strncmp(key, *e, klen) == 0)
				replaced = 1;
		if (!replaced && strncmp(*e, "KOBITO_SECRET_", 14) != 0)
			out[k++] = xstrdup(*e);
	}
	json_object_foreach(env, key, v) {
		char *text;

		if (*key == '\0' || strchr(key, '=') != NULL) {
			act_fail(a, "env: '%s' is not a variable name", key);
			free_vec(out);
			return NULL;
		}
		if (json_is_null(v))
			continue;
		if ((text = scalar_text(v)) == NULL) {
			act_fail(a, "env: the value of '%s' must be text", key);
			free_vec(out);
			return NULL;
		}
		out[k++] = xasprintf("%s=%s", key, text);
		free(text);
	}
	return out;
}

/*
 * Find prog in the PATH of envp, as execvp would; NULL with *err set.  A
 * relative path with a slash is taken from cwd, where the child will be.
 */
static char *
resolve(const char *prog, char **envp, const char *cwd, int *err)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";

	if (strchr(prog, '/') != NULL) {
		char *there = prog[0] != '/' && cwd != NULL ?
		    xasprintf("%s/%s", cwd, prog) : xstrdup(prog);
		int ok = access(there, X_OK) == 0;

		*err = errno;
		free(there);
		return ok ? xstrdup(prog) : NULL;
	}
	for (char **e = envp; *e != NULL; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	*err = ENOENT;
	for (const char *p = path; ; ) {
		size_t n = strcspn(p, ":");
		char *cand = n ? xasprintf("%.*s/%s", (int)n, p, prog) :
		    xasprintf("./%s", prog);
		struct stat st;

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(cand, X_OK) == 0) {
				/* A relative PATH entry means kobito's working
				 * directory, not the child's. */
				char *abs = cand[0] == '/' ? NULL :
				    realpath(cand, NULL);

				if (abs != NULL) {
					free(cand);
					cand = abs;
				}
				return cand;
			}
			*err = EACCES;
		}
		free(cand);
		if (p[n] == '\0')
			return NULL;
		p += n + 1;
	}
}

/* Whether the agent's policy lets prog (as resolve() found it) run. */
static int
allowed(struct act *a, const char *prog, const char *cwd)
{
	char *abs = prog[0] == '/' || cwd == NULL ? xstrdup(prog) :
	    xasprintf("%s/%s", cwd, prog);
	int rc = act_allow_program(a, abs);

	free(abs);
	return rc;
}

/*
 * In the child: take the pipes as stdio, leave kobito's signal set-up and
 * descriptors behind, and exec.  Only async-signal-safe calls.  On failure
 * the errno goes to errfd, preceded by which stage failed.
 */
static void
child(const char *prog, char **argv, char **envp, const char *cwd,
    int in, int out, int errout, int errfd)
{
	struct sigaction sa;
	sigset_t none;
	int report[2];

	setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	{
		int from[3] = { in, out, errout };

		for (int fd = 0; fd < 3; fd++) {
			/* dup2 onto itself would keep close-on-exec. */
			if (from[fd] == fd ? fcntl(fd, F_SETFD, 0) < 0 :
			    dup2(from[fd], fd) < 0) {
				report[0] = 0;
				goto fail;
			}
		}
	}
	/* Everything else is closed at exec (errfd reports until then). */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (cwd != NULL && chdir(cwd) != 0) {
		report[0] = 1;
		goto fail;
	}
	execve(prog, argv, envp);
	report[0] = 2;
fail:
	report[1] = errno;
	if (write(errfd, report, sizeof report) < 0)
		_exit(127);
	_exit(127);
}

/* Append up to the cap, counting what had to be dropped. */
static void
collect(struct buf *b, const char *p, size_t n, size_t *dropped)
{
	size_t room = b->cap - b->len;

	if (n > room) {
		*dropped += n - room;
		n = room;
	}
	buf_append(b, p, n);
}

/* Write to the stdin pipe without dying of SIGPIPE if the program has
 * closed it: SIGPIPE is blocked and a pending one consumed. */
static ssize_t
write_stdin(int fd, const char *p, size_t n)
{
	sigset_t pipe, old;
	struct timespec zero = { 0, 0 };
	ssize_t w;
	int saved;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	w = write(fd, p, n);
	saved = errno;
	if (w < 0 && errno == EPIPE)
		while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return w;
}

struct proc {
	pid_t		 pid;
	int		 status;
	int		 reaped;
	int		 pidfd;
	int		 in, out, err;		/* our ends; -1 when closed */
	const char	*stdin_data;
	size_t		 stdin_len, stdin_off;
	struct buf	 obuf, ebuf;
	size_t		 odrop, edrop;
	int		 timed_out, cancelled;
	int		 killed;		/* 0, SIGTERM or SIGKILL sent */
};

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void
reap(struct proc *p, int block)
{
	pid_t r;

	if (p->reaped)
		return;
	do
		r = waitpid(p->pid, &p->status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid || (r < 0 && errno == ECHILD))
		p->reaped = 1;
}

/* Read what is available on *fd into b; close it at end of file. */
static void
drain(int *fd, struct buf *b, size_t *dropped)
{
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(*fd, chunk, sizeof chunk);
		if (n > 0) {
			collect(b, chunk, (size_t)n, dropped);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close_fd(fd);
		return;
	}
}

/*
 * The poll loop: runs until the program has exited and its output is
 * read, stopping it at deadline (monotonic ms, 0 for none) or when the
 * run is cancelled.
 */
static void
supervise(struct act *a, struct proc *p, int64_t deadline)
{
	int64_t kill_at = 0, drain_until = 0;

	for (;;) {
		struct pollfd fds[4];
		int nfds = 0, wait = 100, idx_in = -1, idx_out = -1;
		int idx_err = -1, idx_pid = -1;
		int64_t now = time_mono_ms();

		if (!p->reaped && p->pidfd < 0)
			reap(p, 0);
		if (p->reaped && drain_until == 0)
			drain_until = now + DRAIN_GRACE_MS;
		if (p->reaped && ((p->out < 0 && p->err < 0) ||
		    now >= drain_until))
			break;
		if (!p->reaped && !p->killed &&
		    ((deadline && now >= deadline) || act_cancelled(a))) {
			if (act_cancelled(a))
				p->cancelled = 1;
			else
				p->timed_out = 1;
			kill(-p->pid, SIGTERM);
			p->killed = SIGTERM;
			kill_at = now + KILL_GRACE_MS;
			close_fd(&p->in);
		}
		if (p->killed == SIGTERM && !p->reaped && now >= kill_at) {
			kill(-p->pid, SIGKILL);
			p->killed = SIGKILL;
		}
		if (p->in >= 0) {
			idx_in = nfds;
			fds[nfds++] = (struct pollfd){ p->in, POLLOUT, 0 };
		}
		if (p->out >= 0) {
			idx_out = nfds;
			fds[nfds++] = (struct pollfd){ p->out, POLLIN, 0 };
		}
		if (p->err >= 0) {
			idx_err = nfds;
			fds[nfds++] = (struct pollfd){ p->err, POLLIN, 0 };
		}
		if (!p->reaped && p->pidfd >= 0) {
			idx_pid = nfds;
			fds[nfds++] = (struct pollfd){ p->pidfd, POLLIN, 0 };
		}
		if (p->pidfd < 0 && !p->reaped)
			wait = 20;
		if (deadline && !p->killed && deadline - now < wait)
			wait = (int)(deadline - now);
		if (p->killed == SIGTERM && kill_at - now < wait)
			wait = (int)(kill_at - now);
		if (p->reaped && drain_until - now < wait)
			wait = (int)(drain_until - now);
		if (wait < 0)
			wait = 0;
		if (poll(fds, (nfds_t)nfds, wait) < 0) {
			if (errno == EINTR)
				continue;
			act_log(a, "exec: poll failed: %s", strerror(errno));
			break;
		}
		if (idx_in >= 0 && fds[idx_in].revents) {
			ssize_t w = write_stdin(p->in, p->stdin_data +
			    p->stdin_off, p->stdin_len - p->stdin_off);

			if (w > 0)
				p->stdin_off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    p->stdin_off == p->stdin_len)
				close_fd(&p->in);
		}
		if (idx_out >= 0 && fds[idx_out].revents)
			drain(&p->out, &p->obuf, &p->odrop);
		if (idx_err >= 0 && fds[idx_err].revents)
			drain(&p->err, &p->ebuf, &p->edrop);
		if (idx_pid >= 0 && fds[idx_pid].revents)
			reap(p, 1);
	}
	if (!p->reaped) {
		/* Only on a poll failure: do not leave it behind. */
		kill(-p->pid, SIGKILL);
		reap(p, 1);
	}
	if (p->killed)
		kill(-p->pid, SIGKILL);	/* stragglers of a stopped group */
}

/* Output text as UTF-8: decoded from encoding, or with bad bytes shown
 * as U+FFFD when it is not what it claims to be. */
static json_t *
output_text(const struct buf *b, const char *enc)
{
	char err[256], *text;
	size_t len;
	json_t *v;

	if (charset_decode(enc, buf_str(b), b->len, &text, &len, err,
	    sizeof err) != 0)
		text = charset_utf8_sanitize(buf_str(b), b->len, &len);
	v = json_stringn(text, len);
	free(text);
	return v ? v : json_string("");
}

/* The last non-empty line of text, for error messages. */
static void
last_line(const char *s, size_t len, char *out, size_t outlen)
{
	size_t end = len, start;

	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	start = end;
	while (start > 0 && s[start - 1] != '\n')
		start--;
	if (end - start > (size_t)text_utf8_prefix(s + start, 200))
		end = start + (size_t)text_utf8_prefix(s + start, 200);
	snprintf(out, outlen, "%.*s", (int)(end - start), s + start);
}

static int
do_exec(struct act *a)
{
	json_t *jargv = act_arg(a, "argv"), *env = act_arg(a, "env"), *v;
	const char *cwd = act_str(a, "cwd", act_workdir(a));
	const char *enc = act_str(a, "encoding", "utf-8");
	json_t *jstdin = act_arg(a, "stdin");
	double timeout = act_num(a, "timeout", 0);
	long long max_output = act_int(a, "max_output", DEFAULT_MAX_OUTPUT);
	int check = act_bool(a, "check", 1), rc = -1, err = 0, code = 0;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int pexec[2] = { -1, -1 }, report[2];
	char **argv = NULL, **envp = NULL, *prog = NULL, line[256];
	char *stdin_text = NULL;
	int64_t start, deadline = 0, left;
	struct proc p;
	struct buf cl;
	size_t i;
	ssize_t n;

	memset(&p, 0, sizeof p);
	p.in = p.out = p.err = p.pidfd = -1;
	if (json_array_size(jargv) == 0)
		return act_fail(a, "argv must list the program and its "
		    "arguments");
	if (timeout < 0)
		return act_fail(a, "timeout must not be negative");
	if (max_output < 1)
		return act_fail(a, "max_output must be at least 1 byte");
	if (!charset_known(enc))
		return act_fail(a, "unknown encoding '%s'", enc);
	argv = xcalloc(json_array_size(jargv) + 1, sizeof *argv);
	buf_init(&cl, 4096);
	json_array_foreach(jargv, i, v) {
		if ((argv[i] = scalar_text(v)) == NULL) {
			act_fail(a, "argv[%zu] must be text, not a list or "
			    "mapping", i);
			goto out;
		}
		buf_printf(&cl, "%s%s", i ? " " : "", argv[i]);
	}
	if (argv[0][0] == '\0') {
		act_fail(a, "argv[0] (the program) must not be empty");
		goto out;
	}
	if (env != NULL && !json_is_object(env)) {
		act_fail(a, "env must be a mapping of names to values");
		goto out;
	}
	if ((envp = make_env(a, env)) == NULL)
		goto out;
	if (jstdin != NULL && (stdin_text = scalar_text(jstdin)) == NULL) {
		act_fail(a, "stdin must be text");
		goto out;
	}
	if (act_dry_run(a)) {
		act_log(a, "dry run: would run: %s%s%s", buf_str(&cl),
		    cwd ? " in " : "", cwd ? cwd : "");
		a->out = json_pack("{s:i, s:s, s:s, s:i, s:b}", "exit_code", 0,
		    "stdout", "", "stderr", "", "duration_ms", 0, "truncated",
		    0);
		rc = 0;
		goto out;
	}
	if ((prog = resolve(argv[0], envp, cwd, &err)) == NULL) {
		act_fail(a, "cannot run '%s': %s", argv[0], err == ENOENT &&
		    strchr(argv[0], '/') == NULL ? "not found in PATH" :
		    strerror(err));
		goto out;
	}
	if (allowed(a, prog, cwd) != 0)
		goto out;
	if ((stdin_text != NULL && pipe2(pin, O_CLOEXEC) != 0) ||
	    (stdin_text == NULL && (pin[0] = open("/dev/null",
	    O_RDONLY | O_CLOEXEC)) < 0) ||
	    pipe2(pout, O_CLOEXEC) != 0 || pipe2(perr, O_CLOEXEC) != 0 ||
	    pipe2(pexec, O_CLOEXEC) != 0) {
		act_fail(a, "cannot run '%s': %s", argv[0], strerror(errno));
		goto out;
	}
	start = time_mono_ms();
	if (timeout > 0)
		deadline = start + (int64_t)(timeout * 1000);
	left = act_remaining_ms(a);
	if (left != INT64_MAX && (deadline == 0 || start + left < deadline))
		deadline = start + left;
	if ((p.pid = fork()) < 0) {
		act_fail(a, "cannot run '%s': fork: %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if (p.pid == 0)
		child(prog, argv, envp, cwd, pin[0], pout[1], perr[1],
		    pexec[1]);
	setpgid(p.pid, p.pid);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	close_fd(&pexec[1]);
	/* The exec pipe closes at exec, or brings the reason it failed. */
	do
		n = read(pexec[0], report, sizeof report);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof report) {
		reap(&p, 1);
		if (report[0] == 1)
			act_fail(a, "cannot run '%s': cannot change to "
			    "directory '%s': %s", argv[0], cwd,
			    strerror(report[1]));
		else
			act_fail(a, "cannot run '%s': %s", argv[0],
			    strerror(report[1]));
		goto out;
	}
#ifdef SYS_pidfd_open
	p.pidfd = (int)syscall(SYS_pidfd_open, p.pid, 0);
#endif
	p.in = pin[1];
	pin[1] = -1;
	p.out = pout[0];
	pout[0] = -1;
	p.err = perr[0];
	perr[0] = -1;
	p.stdin_data = stdin_text;
	p.stdin_len = stdin_text ? strlen(stdin_text) : 0;
	if (p.in >= 0 && p.stdin_len == 0)
		close_fd(&p.in);
	if (p.in >= 0)
		fcntl(p.in, F_SETFL, fcntl(p.in, F_GETFL) | O_NONBLOCK);
	fcntl(p.out, F_SETFL, fcntl(p.out, F_GETFL) | O_NONBLOCK);
	fcntl(p.err, F_SETFL, fcntl(p.err, F_GETFL) | O_NONBLOCK);
	buf_init(&p.obuf, (size_t)max_output);
	buf_init(&p.ebuf, (size_t)max_output);
	supervise(a, &p, deadline);

	if (WIFEXITED(p.status))
		code = WEXITSTATUS(p.status);
	else if (WIFSIGNALED(p.status))
		code = 128 + WTERMSIG(p.status);
	a->out = json_pack("{s:i, s:o, s:o, s:I, s:b}",
	    "exit_code", code,
	    "stdout", output_text(&p.obuf, enc),
	    "stderr", output_text(&p.ebuf, enc),
	    "duration_ms", (json_int_t)(time_mono_ms() - start),
	    "truncated", p.odrop > 0 || p.edrop > 0);
	if (p.odrop > 0 || p.edrop > 0)
		act_log(a, "exec: output of '%s' cut at %lld bytes (%zu bytes "
		    "of stdout, %zu of stderr dropped)", argv[0], max_output,
		    p.odrop, p.edrop);
	last_line(buf_str(&p.ebuf), p.ebuf.len, line, sizeof line);
	if (p.cancelled)
		act_fail(a, "'%s' was stopped: the run was cancelled", argv[0]);
	else if (p.timed_out)
		act_fail(a, "'%s' timed out after %.3g s and was stopped "
		    "(%s)", argv[0], (double)(deadline - start) / 1000,
		    p.killed == SIGKILL ? "SIGKILL" : "SIGTERM");
	else if (WIFSIGNALED(p.status) && check)
		act_fail(a, "'%s' was killed by signal %d (%s)", argv[0],
		    WTERMSIG(p.status), strsignal(WTERMSIG(p.status)));
	else if (code != 0 && check)
		act_fail(a, "'%s' exited with status %d%s%s", argv[0], code,
		    line[0] ? ": " : "", line);
	else
		rc = 0;
	buf_free(&p.obuf);
	buf_free(&p.ebuf);
out:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	close_fd(&pexec[0]);
	close_fd(&pexec[1]);
	close_fd(&p.in);
	close_fd(&p.out);
	close_fd(&p.err);
	close_fd(&p.pidfd);
	buf_free(&cl);
	free(stdin_text);
	free(prog);
	free_vec(argv);
	free_vec(envp);
	return rc;
}

static const struct action_arg exec_args[] = {
	{ "argv", ARG_LIST, 1,
	    "the program (found in PATH) and its arguments; no shell" },
	{ "cwd", ARG_PATH_READ, 0, "the working directory" },
	{ "env", ARG_MAP, 0, "variables to set (null unsets one)" },
	{ "stdin", ARG_STRING, 0, "text to feed the program" },
	{ "timeout", ARG_NUMBER, 0,
	    "seconds before it is stopped (SIGTERM, then SIGKILL)" },
	{ "check", ARG_BOOL, 0, "fail the step on a non-zero exit "
	    "(default true)" },
	{ "max_output", ARG_INT, 0,
	    "bytes kept of stdout and of stderr each (default 1 MiB)" },
	{ "encoding", ARG_STRING, 0,
	    "encoding of the output (default utf-8; shift_jis, ...)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_out exec_out[] = {
	{ "exit_code", ARG_INT, "the exit status (128 + N for signal N)" },
	{ "stdout", ARG_STRING, "what it wrote to standard output" },
	{ "stderr", ARG_STRING, "what it wrote to standard error" },
	{ "duration_ms", ARG_INT, "how long it ran" },
	{ "truncated", ARG_BOOL, "whether output past max_output was cut" },
	{ NULL, 0, NULL },
};

const struct action exec_actions[] = {
	{ "exec", "run a program with arguments and capture its output",
	    exec_args, do_exec, 0, NULL, ARG_MAP, exec_out,
	    ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
