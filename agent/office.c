/*
 * office.c - finding and loading the office module (office.h).
 *
 * The module exports one action table per prefix; the symbols are listed
 * once, in office_syms[].  The same names are declared weak here: in a
 * program linked with the module's objects they resolve to the linked
 * tables and the file is never opened; in the programs they are null and
 * the tables come from dlsym() on the module.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "office.h"
#include "xmalloc.h"

extern const struct action xlsx_actions[] __attribute__((weak));
extern const struct action pdf_actions[] __attribute__((weak));
extern const struct action mail_actions[] __attribute__((weak));

static const struct office_sym {
	const char		*prefix;	/* of the action names */
	const char		*symbol;	/* the table in the module */
	const struct action	*linked;	/* the table when linked in */
} office_syms[] = {
	{ "xlsx.", "xlsx_actions", xlsx_actions },
	{ "pdf.", "pdf_actions", pdf_actions },
	{ "mail.", "mail_actions", mail_actions },
};

#define NSYMS	(sizeof office_syms / sizeof office_syms[0])

/* Where the module may be, relative to the program's directory. */
static const char *const office_places[] = {
	"kobito-office.so",			/* bin/, build-san/bin/ */
	"../lib/kobito/kobito-office.so",	/* PREFIX/bin/ */
};

/* The one process-wide piece of state: written once, then only read. */
static struct {
	pthread_once_t		 found_once;
	char			*path;
	pthread_once_t		 load_once;
	const struct action	*tables[NSYMS + 1];
	char			 err[512];
} office = { PTHREAD_ONCE_INIT, NULL, PTHREAD_ONCE_INIT, { NULL }, "" };

int
office_provides(const char *name)
{
	size_t i;

	for (i = 0; i < NSYMS; i++)
		if (strncmp(name, office_syms[i].prefix,
		    strlen(office_syms[i].prefix)) == 0)
			return 1;
	return 0;
}

/* Whether the tables are linked into this program (all or none are). */
static int
linked_in(void)
{
	return office_syms[0].linked != NULL;
}

static void
find_once(void)
{
	char exe[PATH_MAX], *slash, *p;
	ssize_t n;
	size_t i;

	if (linked_in())
		return;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	for (i = 0; office.path == NULL &&
	    i < sizeof office_places / sizeof office_places[0]; i++) {
		p = xasprintf("%s/%s", exe, office_places[i]);
		office.path = realpath(p, NULL);
		free(p);
	}
}

const char *
office_path(void)
{
	pthread_once(&office.found_once, find_once);
	return office.path;
}

static void
load_once(void)
{
	const char *path;
	void *h;
	size_t i;

	if (linked_in()) {
		for (i = 0; i < NSYMS; i++)
			office.tables[i] = office_syms[i].linked;
		return;
	}
	if ((path = office_path()) == NULL) {
		snprintf(office.err, sizeof office.err, "the office module "
		    "(kobito-office.so, with the xlsx, pdf and mail actions) "
		    "is not installed beside the program or in ../lib/kobito");
		return;
	}
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(office.err, sizeof office.err, "cannot load the "
		    "office module: %s", dlerror());
		return;
	}
	for (i = 0; i < NSYMS; i++) {
		office.tables[i] = dlsym(h, office_syms[i].symbol);
		if (office.tables[i] == NULL) {
			snprintf(office.err, sizeof office.err, "the office "
			    "module %s has no %s", path, office_syms[i].symbol);
			office.tables[0] = NULL;
			return;
		}
	}
	/* The handle stays open for the process: the tables point into it. */
}

const struct action *const *
office_tables(char *err, size_t errlen)
{
	pthread_once(&office.load_once, load_once);
	if (office.tables[0] != NULL)
		return office.tables;
	snprintf(err, errlen, "%s", office.err);
	return NULL;
}
