/*
 * sandbox.h - the kernel's enforcement of a policy (policy.h) on one job.
 *
 * Landlock, Linux's unprivileged sandbox: a process restricts itself, and
 * every process it starts, to the file hierarchies it names; nothing can
 * lift the restriction afterwards.  The agent runs a confined job in a
 * process of its own (agentd.c), and that process calls sandbox_enter()
 * before the script's first step, so the restriction binds the job and
 * the programs it runs, never the agent.
 *
 * What a confined job's process may do:
 *   - read, write, create and remove beneath its working directory and its
 *     job directory (artifacts), and beneath the policy's read-write roots;
 *   - read beneath the read-only roots and the policy's system directories
 *     (libraries, /etc, /proc), read and write /dev/null;
 *   - when the policy lists programs, execute only those (and the loader
 *     or interpreter each names, and the helpers kobito runs itself, such as
 *     Ghostscript for PDF pages);
 *   - since Landlock ABI 6, send signals only to processes of its own
 *     sandbox (not to the agent).
 * Without Landlock in the kernel (ABI < 1) sandbox_enter() fails and says
 * so; the agent checks sandbox_abi() at start.
 */
#ifndef KOBITO_SANDBOX_H
#define KOBITO_SANDBOX_H

#include <stddef.h>

struct policy;

/*
 * The Landlock ABI version of the running kernel (1 and up), or 0 when
 * the kernel lacks it or has it disabled (why in err).
 */
int	sandbox_abi(char *err, size_t errlen);

/*
 * Restrict this process (and every process it will start) by pol: see
 * above.  dirs are extra read-write directories (the job's working and
 * job directories), reads extra read-only paths (X authority file,
 * kobito's own files); both NULL-terminated, entries that do not exist
 * are skipped.  Sets no_new_privs.  Returns the ABI used, or -1 with
 * err.  Call it in a process of its own: it cannot be undone.
 */
int	sandbox_enter(const struct policy *pol, const char *const *dirs,
	    const char *const *reads, char *err, size_t errlen);

#endif
