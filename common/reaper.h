/*
 * reaper.h - run a program under a guard that leaves nothing behind.
 *
 * A browser driver starts a browser, which starts a dozen processes of its
 * own, some of which leave its process group (the crash handler calls
 * setsid and is re-parented).  Whatever happens to the process that asked
 * for them - a normal end, an abort, SIGKILL - none of them may outlive it.
 *
 * So the program is not started directly: a small guard process is forked
 * first.  The guard makes itself a child subreaper (orphans anywhere below
 * it become its children instead of init's), starts the program in a new
 * process group, and then waits on a "lifeline" pipe whose only write end
 * the owner holds.  When the owner closes it (reaper_stop) or dies (the
 * kernel closes it), or when the program exits on its own, the guard sends
 * SIGTERM to the program's group and to its own children, waits up to two
 * seconds, then SIGKILLs whatever is left, over and over, until it has no
 * child at all.  Only then does it remove the directory it was given (by
 * exec'ing rm -rf) and exit.  A descriptor handed over as keep_fd (a locked
 * file) stays open in the guard until that moment, so a lock on a browser
 * profile is released only when the browser is really gone.
 *
 * Everything after fork() in the guard is async-signal-safe, so the owner
 * may be multi-threaded.
 */
#ifndef KOBITO_REAPER_H
#define KOBITO_REAPER_H

#include <stddef.h>
#include <sys/types.h>

struct reaper {
	pid_t	 guard;		/* the guard process; 0 when none */
	int	 lifeline;	/* write end of the lifeline; -1 when closed */
};

/*
 * Start argv[0] (an absolute path) with envp under a new guard.  The
 * program's standard output and error are appended to log_path (NULL:
 * /dev/null); its standard input is /dev/null.  remove_dir (may be NULL)
 * is removed, recursively, after every process is gone.  keep_fd (-1:
 * none) is held open by the guard until then.  All strings are copied
 * before the fork; the caller keeps ownership.  Returns 0, or -1 with a
 * message in err.
 */
int	 reaper_spawn(struct reaper *, char *const argv[], char *const envp[],
	    const char *log_path, const char *remove_dir, int keep_fd,
	    char *err, size_t errlen);
/* Non-zero while the program runs (the guard ends soon after it does). */
int	 reaper_running(struct reaper *);
/*
 * Stop the program and everything below it, and wait until the guard has
 * removed remove_dir and exited.  Safe to call twice.
 */
void	 reaper_stop(struct reaper *);

#endif
