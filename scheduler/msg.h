/*
 * msg.h - the scheduler's messages in the language of the person who
 * reads them.  The API answers in English unless the request prefers
 * Japanese (Accept-Language: ja; the dashboard sends the language it
 * shows); the messages people meet most (refusals, things not found,
 * logins) have a Japanese text in one catalogue, keyed by the English
 * printf format, with the same conversions in the same order (a unit
 * test holds every pair to that).
 */
#ifndef KOBITO_MSG_H
#define KOBITO_MSG_H

#include <stdarg.h>
#include <stddef.h>

/* Whether an Accept-Language value (may be NULL) prefers Japanese. */
int		 msg_japanese(const char *accept_language);
/*
 * The format to use for fmt (an English printf format): its Japanese one
 * when japanese is set and the catalogue has it, else fmt.
 */
const char	*msg_fmt(const char *fmt, int japanese);
/*
 * Format a message (an English printf format and its arguments) into out
 * in Japanese when japanese is set and the catalogue has it: its format,
 * or for "%s", the whole message passed.
 */
void		 msg_vformat(char *out, size_t len, int japanese,
		    const char *fmt, va_list ap)
		    __attribute__((format(printf, 4, 0)));
/* A kind of object ("job", "run", ...) as a word of the language. */
const char	*msg_word(const char *word, int japanese);
/* The catalogue's i-th pair, for the tests: 0 and both, or -1 past it. */
int		 msg_pair(int i, const char **en, const char **ja);

#endif
