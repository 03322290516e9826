/*
 * opts.h - a program's options as one table: read from the command line
 * and from its configuration file, printed as --help and as the options of
 * its man page.
 *
 * A program declares a const table of struct opt and a struct of its own
 * to receive the values; each entry names its field by offset.  The long
 * option --key-file is the configuration key key_file.  The command line
 * wins over the file, the file over the defaults the program put in its
 * struct before parsing.  --help and the man page's SYNOPSIS and OPTIONS
 * are printed from the same table (the hidden --help-man prints the roff
 * that tools/mkman.sh puts into the page), so the documentation cannot
 * drift from the program; tests/e2e/man_pages.sh checks the built pages
 * against --help.
 *
 * Ownership: text and list values are copies owned by the program's struct
 * and freed by opts_release(); the defaults a program puts in a text field
 * before parsing must therefore be NULL or a copy it gives away.
 */
#ifndef KOBITO_OPTS_H
#define KOBITO_OPTS_H

#include <stddef.h>
#include <stdio.h>

struct ynode;
struct ysink;

enum opt_kind {
	OPT_FLAG,	/* no argument (in the file true or false): int */
	OPT_TEXT,	/* a string: char * */
	OPT_INT,	/* a whole number from min to max: long long */
	OPT_WORD,	/* one of words[]: int, the word's value */
	OPT_LIST,	/* repeatable, comma lists (a list in the file): struct opt_list */
};

/* Flags of an entry. */
#define OPT_NOCONF	0x1	/* command line only (--config itself) */
#define OPT_REQUIRED	0x2	/* must be given, on the line or in the file */

struct opt_word {
	const char	*text;
	int		 value;
};

struct opt {
	const char		*name;	/* the long option, without "--" */
	enum opt_kind		 kind;
	const char		*arg;	/* the value's name: "FILE"; NULL for flags */
	size_t			 off;	/* of the field in the program's struct */
	long long		 min, max;	/* OPT_INT */
	const struct opt_word	*words;	/* OPT_WORD: ends with a NULL text */
	int			 flags;
	const char		*help;	/* one or two sentences */
};

struct opt_list {
	char		**v;
	size_t		 n;
};

/* One parse: a table and the struct it fills. */
struct opts {
	const char		*prog;		/* "kobito-agent" */
	const char		*const *synopsis; /* lines, NULL-terminated */
	const char		*summary;	/* what it does, a sentence or more */
	const struct opt	*table;
	size_t			 n;
	void			*out;
	unsigned char		*given;		/* per entry: on the command line */
};

/*
 * Parse argv[start..] (getopt_long, options may follow operands unless
 * "--").  Returns 0 with *next at the first operand; 1 after --help or
 * --help-man printed what was asked (exit 0); -1 after saying what is
 * wrong and printing the usage on stderr (exit 2).
 */
int	opts_parse(struct opts *, int argc, char **argv, int start, int *next);
/*
 * Apply the settings of a configuration file's mapping root that the
 * command line did not give.  Keys the program reads itself are listed in
 * extra (NULL-terminated; may be NULL); any other key is refused with
 * "file:line:col: unknown key ...".  0, or -1 after reporting to sink.
 */
int	opts_config(struct opts *, const struct ynode *root,
	    const char *const *extra, const struct ysink *);
/* Whether the entry of that name was given on the command line. */
int	opts_given(const struct opts *, const char *name);
/*
 * The entries with OPT_REQUIRED that are still unset: "--db" (or
 * "--db and --listen"); 0 when all are set, else -1 after saying so.
 */
int	opts_check_required(const struct opts *);
/* The synopsis and the options, as --help prints them. */
void	opts_usage(const struct opts *, FILE *);
/* The same as roff: SYNOPSIS, DESCRIPTION (the summary), OPTIONS. */
void	opts_man(const struct opts *, FILE *);
/*
 * A subcommand's part of its program's man page: a .SS headed with its
 * prog ("kobito-scheduler init"), its synopsis, summary and options.
 */
void	opts_man_command(const struct opts *, FILE *);
/* Free the text and list values and the parse's own memory. */
void	opts_release(struct opts *);

#endif
