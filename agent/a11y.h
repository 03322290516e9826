/*
 * a11y.h - finding controls by what they are: the AT-SPI boundary.
 *
 * Desktop applications describe their controls to screen readers through
 * the platform's accessibility interface - on Linux AT-SPI, which GTK, Qt,
 * LibreOffice, Firefox, Chromium and Java Swing (through the ATK bridge,
 * libatk-wrapper-java) all speak over a D-Bus "accessibility bus".  A
 * control found there by its role and name ("push button" 登録) is found
 * whatever the theme, font or window size, and can be acted on directly:
 * its Action interface clicks it, EditableText types into it, Text and
 * Value read it, Selection and Table choose and read rows - without a
 * pixel.  a11y.c is the one file that calls libatspi; it converts at the
 * boundary (GError, GArray, g_free, object references) to 0 / -1, UTF-8
 * strings from xmalloc and messages in a11y_error().
 *
 * The bus.  libatspi finds it once per process, from the environment:
 * AT_SPI_BUS_ADDRESS, else the AT_SPI_BUS property of the display's root
 * window (set by at-spi-bus-launcher), else the session bus
 * (DBUS_SESSION_BUS_ADDRESS).  a11y_open() reads the display's property
 * itself and puts it in AT_SPI_BUS_ADDRESS before libatspi starts, so the
 * display the run drives decides (and reaches the bus first: libatspi ends
 * the process when it cannot); a process talks to one accessibility
 * bus (the agent runs each UI job in a process of its own).  Applications
 * must have accessibility on: GTK does unless NO_AT_BRIDGE=1, Java needs
 * -Djavax.accessibility.assistive_technologies=
 * org.GNOME.Accessibility.AtkWrapper.
 *
 * Selectors.  A control is named by any of: the application's name, the
 * top-level window's name, the role ("push button", "text", "check box",
 * "combo box", "table"; "button", "edit", "checkbox" and a few more are
 * taken as aliases) and the name - an unnamed control (a text field) takes
 * the name of the label that labels it.  Strings match exactly, as a
 * substring or as POSIX extended regular expressions.  Only controls that
 * are showing count.  Several matches are an error unless nth says which;
 * path names a chain of controls, each below the one before (by role,
 * "role:name" or "role:name#n"), for trees where role and name alone do
 * not tell.
 */
#ifndef KOBITO_A11Y_H
#define KOBITO_A11Y_H

#include <stddef.h>

#include <jansson.h>

struct a11y;
struct a11y_node;

enum a11y_match {
	A11Y_EXACT,
	A11Y_CONTAINS,
	A11Y_REGEX,
};

/* What names a control; NULL fields are not asked. */
struct a11y_sel {
	const char		*app;
	const char		*window;
	const char		*role;
	const char		*name;
	enum a11y_match		 match;		/* for app, window and name */
	int			 nth;		/* from 1; 0: the only one */
	const char *const	*path;		/* from the window down */
	size_t			 npath;
};

/* a11y_info states and interfaces */
#define A11Y_ENABLED	0x01
#define A11Y_SHOWING	0x02
#define A11Y_FOCUSED	0x04
#define A11Y_CHECKED	0x08
#define A11Y_EDITABLE	0x10
#define A11Y_SELECTED	0x20

/* What a control is; the strings are owned (a11y_info_clear). */
struct a11y_info {
	char	*app, *window, *role, *name;
	int	 x, y, w, h;		/* on the screen; w 0 when unknown */
	int	 wx, wy, ww, wh;	/* its top-level window, likewise */
	long	 pid;			/* its program, 0 when unknown */
	unsigned states;
	char	*actions;		/* its actions, "click, activate" */
};

/*
 * Connect to the accessibility bus of display (see above).  Returns the
 * connection, or NULL with a message in err.  The caller closes it.
 */
struct a11y	*a11y_open(const char *display, char *err, size_t errlen);
void		 a11y_close(struct a11y *);
/* The message of the last failure; valid until the next call. */
const char	*a11y_error(const struct a11y *);

/* "role 'push button' and name '登録' in window '...'", for messages. */
char		*a11y_sel_describe(const struct a11y_sel *);

/*
 * Find the control sel names: 1 with *out (freed with a11y_node_free),
 * 0 when it is not there (now), -1 with a message (an invalid regular
 * expression or path; several controls match and nth does not say which:
 * the message lists them).
 */
int		 a11y_find(struct a11y *, const struct a11y_sel *,
		    struct a11y_node **out);
void		 a11y_node_free(struct a11y_node *);

/*
 * The controls most like sel in the windows it names (or all), nearest
 * first, max of them: lines "[push button] '登録する' in '...' (distance
 * 2)".  What an error for a control that is not there shows.  The caller
 * frees the text.
 */
char		*a11y_nearest(struct a11y *, const struct a11y_sel *,
		    size_t max);

/*
 * The tree of controls, one line each, indented by depth, with the
 * selector that finds it: of the applications whose name is app and the
 * windows whose name is window (NULL: all; matched as match says), down
 * to depth levels below a window (0: all).  The caller frees the text;
 * NULL with a message.
 */
char		*a11y_tree(struct a11y *, const char *app, const char *window,
		    enum a11y_match match, int depth);

/* What a control is. */
int		 a11y_node_info(struct a11y *, struct a11y_node *,
		    struct a11y_info *);
void		 a11y_info_clear(struct a11y_info *);

/*
 * Click a control through its Action interface (click, press, toggle,
 * jump, open).  0 when done, 1 when it has no such action, -1 with a
 * message.  Beware: at-spi2-atk 2.46 runs a GTK 3 action inside its D-Bus
 * dispatch, so an action that opens a modal dialog leaves the application
 * deaf to the bus until the dialog closes (act_a11y.c clicks with the
 * mouse when it can).
 */
int		 a11y_click(struct a11y *, struct a11y_node *);
/* Give a control the keyboard focus. */
int		 a11y_focus(struct a11y *, struct a11y_node *);
/*
 * Insert text at the caret of an editable control (EditableText): 0, 1
 * when it has no EditableText (type keys into it instead), -1.
 */
int		 a11y_insert(struct a11y *, struct a11y_node *,
		    const char *text);
/*
 * A control's contents: its text (Text), else its value (Value), else its
 * name.  NULL with a message.  The caller frees it.
 */
char		*a11y_read(struct a11y *, struct a11y_node *);
/*
 * Choose item, by its visible text, in a combo box, list or table (a
 * table's row holding a cell with that text).  0, or -1 with a message
 * naming the items there are.
 */
int		 a11y_select(struct a11y *, struct a11y_node *,
		    const char *item, enum a11y_match match);
/*
 * A table or tree control read as rows: {"columns": [...], "rows":
 * [[...], ...], "records": [{column: cell}, ...]}.  NULL with a message.
 */
json_t		*a11y_table(struct a11y *, struct a11y_node *);

#endif
