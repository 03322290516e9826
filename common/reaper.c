/*
 * reaper.c - a guard process that kills a program's whole tree when its
 * owner goes (see reaper.h for the why).
 *
 * The guard's side (guard_*) runs between fork() and _exit()/exec in a
 * process that may have been forked from a multi-threaded one, so it makes
 * system calls only: no malloc, no stdio, no locks.  Its strings were all
 * prepared by the owner before the fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reaper.h"

#define GRACE_MS	2000	/* from SIGTERM to SIGKILL */

/* The descriptors of the guard, after it has tidied its table. */
enum {
	FD_LIFELINE = 0,	/* read end; EOF means "clean up now" */
	FD_LOG = 1,		/* and 2: the program's output */
	FD_KEEP = 3,		/* held until the end, when given */
};

/* What the guard needs, all prepared before the fork. */
struct guard {
	char *const	*argv;
	char *const	*envp;
	const char	*rm_argv[5];	/* NULL rm_argv[0]: nothing to remove */
	int		 has_keep;
	char		 children_path[64];
};

/* --- the guard (async-signal-safe only) ---------------------------------- */

static int64_t
guard_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Signal every direct child (orphans from below are re-parented here). */
static void
guard_signal_children(const struct guard *g, int sig)
{
	char buf[4096];
	ssize_t n;
	long pid = 0;
	int fd, in = 0;

	if ((fd = open(g->children_path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (buf[i] - '0');
				in = 1;
			} else if (in) {
				if (pid > 1)
					kill((pid_t)pid, sig);
				pid = 0;
				in = 0;
			}
		}
	}
	if (in && pid > 1)
		kill((pid_t)pid, sig);
	close(fd);
}

/* Reap what has exited; non-zero once no child is left. */
static int
guard_reap(void)
{
	pid_t w;

	for (;;) {
		w = waitpid(-1, NULL, WNOHANG);
		if (w > 0)
			continue;
		return w < 0 && errno == ECHILD;
	}
}

static void
guard_kill_all(const struct guard *g, pid_t prog, int sfd)
{
	struct signalfd_siginfo si;
	struct pollfd p = { sfd, POLLIN, 0 };
	int64_t until = guard_now_ms() + GRACE_MS;
	int64_t left;

	kill(-prog, SIGTERM);
	guard_signal_children(g, SIGTERM);
	while (!guard_reap() && (left = until - guard_now_ms()) > 0) {
		/* The signal only wakes us: what it says is not needed. */
		if (poll(&p, 1, (int)left) > 0 &&
		    read(sfd, &si, sizeof si) < 0 && errno != EAGAIN &&
		    errno != EINTR)
			break;
		/* Orphans that arrived meanwhile get the same request. */
		guard_signal_children(g, SIGTERM);
	}
	for (;;) {
		kill(-prog, SIGKILL);
		guard_signal_children(g, SIGKILL);
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			break;
	}
}

static void
guard_exec_program(const struct guard *g, const sigset_t *none)
{
	struct sigaction dfl;
	int fd;

	setpgid(0, 0);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, NULL);
	sigprocmask(SIG_SETMASK, none, NULL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	close_range(3, ~0U, 0);
	execve(g->argv[0], g->argv, g->envp);
	_exit(127);
}

static void __attribute__((noreturn))
guard_main(const struct guard *g, int lifeline, int logfd, int keep)
{
	struct signalfd_siginfo si;
	struct sigaction ign;
	struct pollfd p[2];
	sigset_t set, none;
	pid_t prog, w;
	int a, b, c = -1, sfd, status;
	char byte;

	setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Descriptors to 0 (lifeline), 1 and 2 (log), 3 (keep); no others. */
	a = fcntl(lifeline, F_DUPFD, 10);
	b = fcntl(logfd, F_DUPFD, 10);
	if (g->has_keep)
		c = fcntl(keep, F_DUPFD, 10);
	if (a < 0 || b < 0 || (g->has_keep && c < 0))
		_exit(126);
	dup2(a, FD_LIFELINE);
	dup2(b, FD_LOG);
	dup2(b, FD_LOG + 1);
	if (g->has_keep)
		dup2(c, FD_KEEP);
	close_range(g->has_keep ? FD_KEEP + 1 : FD_KEEP, ~0U, 0);

	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, NULL);
	sigemptyset(&none);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
		_exit(126);

	prog = fork();
	if (prog == 0)
		guard_exec_program(g, &none);
	if (prog < 0)
		_exit(126);
	setpgid(prog, prog);	/* also here: no race with the first kill */

	p[0].fd = FD_LIFELINE;
	p[0].events = POLLIN;
	p[1].fd = sfd;
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents != 0 && read(FD_LIFELINE, &byte, 1) <= 0)
			break;	/* the owner closed it, or died */
		if (p[1].revents == 0)
			continue;
		if (read(sfd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo != SIGCHLD)
			break;
		while ((w = waitpid(-1, &status, WNOHANG)) > 0 && w != prog)
			;
		if (w == prog)
			break;	/* the program ended on its own */
	}
	guard_kill_all(g, prog, sfd);
	if (g->rm_argv[0] != NULL) {
		close(FD_LOG);
		execve(g->rm_argv[0], (char *const *)g->rm_argv, g->envp);
	}
	_exit(0);
}

/* --- the owner's side ---------------------------------------------------- */

int
reaper_spawn(struct reaper *r, char *const argv[], char *const envp[],
    const char *log_path, const char *remove_dir, int keep_fd, char *err,
    size_t errlen)
{
	struct guard g;
	int life[2], logfd;
	pid_t pid;

	r->guard = 0;
	r->lifeline = -1;
	if (argv[0] == NULL || argv[0][0] != '/') {
		snprintf(err, errlen, "the program to guard needs an absolute "
		    "path");
		return -1;
	}
	memset(&g, 0, sizeof g);
	g.argv = argv;
	g.envp = envp;
	g.has_keep = keep_fd >= 0;
	if (remove_dir != NULL) {
		g.rm_argv[0] = "/bin/rm";
		g.rm_argv[1] = "-rf";
		g.rm_argv[2] = "--";
		g.rm_argv[3] = remove_dir;
	}
	logfd = open(log_path ? log_path : "/dev/null",
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s",
		    log_path ? log_path : "/dev/null", strerror(errno));
		return -1;
	}
	if (pipe2(life, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "cannot create a pipe: %s",
		    strerror(errno));
		close(logfd);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		/* The guard learns its own pid only now. */
		pid_t self = getpid();
		char *p = g.children_path + sizeof g.children_path;
		const char *pre = "/proc/self/task/";
		size_t k;

		/* "/proc/self/task/<pid>/children", built without stdio. */
		*--p = '\0';
		for (k = strlen("/children"); k > 0; k--)
			*--p = "/children"[k - 1];
		do {
			*--p = (char)('0' + self % 10);
			self /= 10;
		} while (self > 0);
		for (k = strlen(pre); k > 0; k--)
			*--p = pre[k - 1];
		memmove(g.children_path, p, strlen(p) + 1);
		close(life[1]);
		guard_main(&g, life[0], logfd, keep_fd);
	}
	close(life[0]);
	close(logfd);
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		close(life[1]);
		return -1;
	}
	r->guard = pid;
	r->lifeline = life[1];
	return 0;
}

int
reaper_running(struct reaper *r)
{
	pid_t w;

	if (r->guard <= 0)
		return 0;
	while ((w = waitpid(r->guard, NULL, WNOHANG)) < 0 && errno == EINTR)
		;
	if (w == 0)
		return 1;
	r->guard = 0;	/* exited (or was never ours to wait for) */
	return 0;
}

void
reaper_stop(struct reaper *r)
{
	if (r->lifeline >= 0) {
		close(r->lifeline);
		r->lifeline = -1;
	}
	if (r->guard > 0) {
		while (waitpid(r->guard, NULL, 0) < 0 && errno == EINTR)
			;
		r->guard = 0;
	}
}
