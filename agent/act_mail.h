/*
 * act_mail.h - what the mail actions' files share (act_mail.c,
 * act_mail_send.c); not for other modules.
 */
#ifndef KOBITO_ACT_MAIL_H
#define KOBITO_ACT_MAIL_H

#include "action.h"
#include "mailconn.h"

/*
 * The account of the step's arguments (server, user, password, ca_file,
 * timeout) into *o, whose strings are borrowed from the arguments.  The
 * password must come from secrets; it is masked, and the login is refused
 * for a server its secret's allow list does not take.  0, or -1 after
 * act_fail.
 */
int	 mail_account(struct act *, const char *what, struct mailconn_opts *o);
/* The step's deadline and cancellation into *o. */
void	 mail_bind(struct act *, struct mailconn_opts *o);
/* act_cancelled for libcurl's progress callback (arg is the act). */
int	 mail_cancelled(void *arg);
/* A flag list (seen, flagged, answered, draft, keywords) in IMAP syntax,
 * a new string; NULL after act_fail naming what. */
char	*mail_flags(struct act *, json_t *list, const char *what);

extern const struct action_arg mail_send_args[];
int	 mail_send(struct act *);

#endif
