/*
 * office.h - the office module: the actions on workbooks, PDFs and mail
 * (xlsx.*, pdf.*, mail.*), loaded the first time a script names one.
 *
 * Their libraries (poppler, cairo, pango, qpdf, libxlsxwriter, libzip,
 * expat, freexl, GMime, libxml2 and GLib beneath them) add some 10 MB to
 * the start-up of any process linked with them, and most runs read no
 * office file.  So these actions and the code under them are built into
 * kobito-office.so, beside the programs (PREFIX/lib/kobito/ once
 * installed), and loaded with dlopen() when an action name with one of
 * the module's prefixes is looked up.  The module calls back into the
 * program's own functions, which the programs export (-rdynamic).
 *
 * A program linked with the module's objects (the unit tests, fixtures)
 * uses their tables directly and never loads the file.
 *
 * Thread-safe: the module is loaded once, under pthread_once(), and stays
 * loaded for the life of the process.
 */
#ifndef KOBITO_OFFICE_H
#define KOBITO_OFFICE_H

#include <stddef.h>

struct action;

/* Whether the action called name would be the module's ("xlsx.read"). */
int			 office_provides(const char *name);
/*
 * The module's action tables, a NULL-terminated array (static), loading
 * the module the first time.  NULL with a message in err when it cannot
 * be loaded.
 */
const struct action *const *office_tables(char *err, size_t errlen);
/*
 * The module's file (static), for a sandbox to let a job read it; NULL
 * when there is none (the tables are linked in, or it is missing).
 */
const char		*office_path(void);

#endif
