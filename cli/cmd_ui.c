/*
 * cmd_ui.c - kobito ui: looking at the desktop a script will drive.
 *
 *   kobito ui tree [--window TITLE] [--app NAME] [--match exact|contains|regex]
 *                  [--depth N] [--display :N]
 *
 * prints the controls of the running applications as the accessibility
 * bus describes them, one per line, indented, each with the target: that
 * finds it - the first step of writing a script against an application
 * nobody here wrote: find the button, copy its line.  --window and --app
 * keep to the windows and applications whose name contains TITLE and NAME
 * (or matches them as --match says).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a11y.h"
#include "cmd.h"
#include "ui.h"

static int
usage(void)
{
	fprintf(stderr, "usage: kobito ui tree [--window TITLE] [--app NAME] "
	    "[--match exact|contains|regex] [--depth N] [--display :N]\n");
	return 2;
}

static int
tree(int argc, char **argv)
{
	const char *display = getenv("DISPLAY"), *window = NULL, *app = NULL;
	enum a11y_match match = A11Y_CONTAINS;
	struct ui *ui;
	struct a11y *x;
	char err[1024], *bus, *text, *end;
	long depth = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--window") == 0)
			window = argv[++i];
		else if (strcmp(argv[i], "--app") == 0)
			app = argv[++i];
		else if (strcmp(argv[i], "--display") == 0)
			display = argv[++i];
		else if (strcmp(argv[i], "--depth") == 0) {
			depth = strtol(argv[++i], &end, 10);
			if (*end != '\0' || depth < 0 || depth > 1000)
				return usage();
		} else if (strcmp(argv[i], "--match") == 0) {
			i++;
			if (strcmp(argv[i], "exact") == 0)
				match = A11Y_EXACT;
			else if (strcmp(argv[i], "contains") == 0)
				match = A11Y_CONTAINS;
			else if (strcmp(argv[i], "regex") == 0)
				match = A11Y_REGEX;
			else
				return usage();
		} else
			return usage();
	}
	if (display == NULL || *display == '\0') {
		fprintf(stderr, "kobito: ui tree needs a display: give "
		    "--display :N or set DISPLAY\n");
		return 2;
	}
	if ((ui = ui_open(display, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito: %s\n", err);
		return 1;
	}
	bus = ui_root_text(ui, "AT_SPI_BUS");
	ui_close(ui);
	x = a11y_open(bus, err, sizeof err);
	free(bus);
	if (x == NULL) {
		fprintf(stderr, "kobito: %s\n", err);
		return 1;
	}
	if ((text = a11y_tree(x, app, window, match, (int)depth)) == NULL) {
		fprintf(stderr, "kobito: %s\n", a11y_error(x));
		a11y_close(x);
		return 1;
	}
	fputs(text, stdout);
	free(text);
	a11y_close(x);
	return 0;
}

int
cmd_ui(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "tree") == 0)
		return tree(argc - 1, argv + 1);
	return usage();
}
