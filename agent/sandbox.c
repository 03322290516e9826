/*
 * sandbox.c - Landlock for a confined job (see sandbox.h).
 *
 * Through the raw system calls of <linux/landlock.h> (glibc has no
 * wrappers).  The rights handled are those of the kernel's ABI version, so
 * a newer kernel confines more (truncation since ABI 3, device ioctls since
 * 5, signals since 6) and an older one what it can; the constants newer
 * than Debian 12's header are the kernel's stable values.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/landlock.h>

#include "policy.h"
#include "sandbox.h"
#include "xmalloc.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#endif
#define SCOPE_SIGNAL			(1ULL << 1)	/* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6 (the header may be older). */
struct ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

#define FS_READ		(LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_READ_DIR)
/* The rights that apply to a file (not a directory). */
#define FS_FILE		(LANDLOCK_ACCESS_FS_EXECUTE | \
			 LANDLOCK_ACCESS_FS_WRITE_FILE | \
			 LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_TRUNCATE | \
			 LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* Ghostscript renders PDF pages for OCR (recognizers/pages.c). */
static const char *const helpers[] = { "/usr/bin/gs", NULL };

int
sandbox_abi(char *err, size_t errlen)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);

	if (v >= 1)
		return (int)v;
	snprintf(err, errlen, "this kernel %s Landlock (%s)",
	    errno == EOPNOTSUPP ? "has disabled" : "lacks",
	    errno == EOPNOTSUPP ? "add 'landlock' to the lsm= boot parameter" :
	    "Linux 5.13 or later with CONFIG_SECURITY_LANDLOCK");
	return 0;
}

/* Every file-system right the kernel's ABI version knows. */
static uint64_t
fs_rights(int abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;	/* ABI 1 */

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

/*
 * Allow access beneath path (masked to what a file takes when it is not a
 * directory).  A path that does not exist is skipped.
 */
static int
allow(int ruleset, const char *path, uint64_t access, uint64_t handled,
    char *err, size_t errlen)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd, rc;

	access &= handled;
	if (access == 0)
		return 0;
	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, errlen, "sandbox: cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= FS_FILE;
	memset(&pb, 0, sizeof pb);
	pb.allowed_access = access;
	pb.parent_fd = fd;
	rc = (int)syscall(__NR_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	if (rc != 0)
		snprintf(err, errlen, "sandbox: cannot add a rule for '%s': %s",
		    path, strerror(errno));
	close(fd);
	return rc;
}

/*
 * The interpreter a program names: "#!/bin/sh" or an ELF PT_INTERP
 * (/lib64/ld-linux-x86-64.so.2); NULL when none.
 */
static char *
interpreter(const char *path)
{
	unsigned char head[256];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	char *out = NULL;
	ssize_t n;
	int fd, i;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = pread(fd, head, sizeof head - 1, 0);
	if (n > 2 && head[0] == '#' && head[1] == '!') {
		char *p = (char *)head + 2;

		head[n] = '\0';
		p += strspn(p, " \t");
		p[strcspn(p, " \t\r\n")] = '\0';
		if (*p == '/')
			out = xstrdup(p);
	} else if (n >= (ssize_t)sizeof eh && memcmp(head, ELFMAG, SELFMAG) ==
	    0 && head[EI_CLASS] == ELFCLASS64) {
		memcpy(&eh, head, sizeof eh);
		for (i = 0; out == NULL && i < eh.e_phnum && i < 64; i++) {
			char interp[PATH_MAX];

			if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff +
			    (uint64_t)i * eh.e_phentsize)) != sizeof ph)
				break;
			if (ph.p_type != PT_INTERP || ph.p_filesz == 0 ||
			    ph.p_filesz >= sizeof interp)
				continue;
			if (pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) !=
			    (ssize_t)ph.p_filesz)
				break;
			interp[ph.p_filesz - 1] = '\0';
			out = xstrdup(interp);
		}
	}
	close(fd);
	return out;
}

/* Allow executing program, its interpreter and the interpreter's. */
static int
allow_program(int ruleset, const char *program, uint64_t handled, char *err,
    size_t errlen)
{
	char *cur = xstrdup(program), *next;
	int depth, rc = 0;

	for (depth = 0; cur != NULL && depth < 3 && rc == 0; depth++) {
		rc = allow(ruleset, cur, LANDLOCK_ACCESS_FS_EXECUTE |
		    LANDLOCK_ACCESS_FS_READ_FILE, handled, err, errlen);
		next = interpreter(cur);
		free(cur);
		cur = next;
	}
	free(cur);
	return rc;
}

/* Add the policy's rules (and the job's directories) to ruleset. */
static int
add_rules(int ruleset, const struct policy *pol, const char *const *dirs,
    const char *const *reads, uint64_t handled, char *err, size_t errlen)
{
	uint64_t rw = handled & ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE;
	size_t i;

	for (i = 0; dirs != NULL && dirs[i] != NULL; i++)
		if (allow(ruleset, dirs[i], rw, handled, err, errlen) != 0)
			return -1;
	for (i = 0; i < pol->nfiles; i++)
		if (allow(ruleset, pol->files[i].path, pol->files[i].write ?
		    rw : FS_READ, handled, err, errlen) != 0)
			return -1;
	for (i = 0; i < pol->nsystem; i++)
		if (allow(ruleset, pol->system[i], FS_READ, handled, err,
		    errlen) != 0)
			return -1;
	for (i = 0; reads != NULL && reads[i] != NULL; i++)
		if (allow(ruleset, reads[i], FS_READ, handled, err, errlen) !=
		    0)
			return -1;
	if (allow(ruleset, "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE,
	    handled, err, errlen) != 0)
		return -1;
	for (i = 0; i < pol->nprograms; i++)
		if (allow_program(ruleset, pol->programs[i], handled, err,
		    errlen) != 0)
			return -1;
	for (i = 0; pol->has_programs && helpers[i] != NULL; i++)
		if (access(helpers[i], X_OK) == 0 &&
		    allow_program(ruleset, helpers[i], handled, err,
		    errlen) != 0)
			return -1;
	return 0;
}

int
sandbox_enter(const struct policy *pol, const char *const *dirs,
    const char *const *reads, char *err, size_t errlen)
{
	struct ruleset_attr attr;
	size_t attr_size;
	int abi, ruleset;

	if ((abi = sandbox_abi(err, errlen)) < 1)
		return -1;
	memset(&attr, 0, sizeof attr);
	if (pol->has_files)
		attr.handled_access_fs = fs_rights(abi);
	if (!pol->has_programs)
		attr.handled_access_fs &= ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE;
	else
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_EXECUTE;
	attr_size = sizeof(struct landlock_ruleset_attr);
	if (abi >= 6) {
		attr.scoped = SCOPE_SIGNAL;
		attr_size = sizeof attr;
	}
	ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, attr_size,
	    0);
	if (ruleset < 0) {
		snprintf(err, errlen, "sandbox: cannot create a Landlock "
		    "ruleset (ABI %d): %s", abi, strerror(errno));
		return -1;
	}
	if (add_rules(ruleset, pol, dirs, reads, attr.handled_access_fs, err,
	    errlen) != 0) {
		close(ruleset);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(__NR_landlock_restrict_self, ruleset, 0) != 0) {
		snprintf(err, errlen, "sandbox: cannot enter the Landlock "
		    "sandbox: %s", strerror(errno));
		close(ruleset);
		return -1;
	}
	close(ruleset);
	return abi;
}
