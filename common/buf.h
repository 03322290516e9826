/*
 * buf.h - a growable byte buffer with a size cap.
 *
 * Every buffer that may hold untrusted input (HTTP bodies, OCR text, process
 * output, logs) has a cap, so a hostile or runaway peer can never grow it
 * without bound.  The contents are always NUL-terminated for convenience;
 * the terminator is not counted in len.
 */
#ifndef KOBITO_BUF_H
#define KOBITO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* owned; NULL until the first append */
	size_t	 len;
	size_t	 size;		/* allocated bytes */
	size_t	 cap;		/* maximum len; 0 means BUF_DEFAULT_CAP */
};

#define BUF_DEFAULT_CAP	(64u * 1024 * 1024)

/* Initialise an empty buffer that will refuse to grow past cap bytes. */
void	 buf_init(struct buf *b, size_t cap);
/* Free the contents; the buffer may be reused after buf_init. */
void	 buf_free(struct buf *b);
void	 buf_reset(struct buf *b);
/* Append; return 0, or -1 (nothing appended) when the cap would be passed. */
int	 buf_append(struct buf *b, const void *p, size_t n);
int	 buf_puts(struct buf *b, const char *s);
int	 buf_putc(struct buf *b, char c);
int	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* The contents ("" when empty); valid until the next change. */
const char *buf_str(const struct buf *b);
/* Hand the contents to the caller (who frees them) and reset the buffer. */
char	*buf_detach(struct buf *b, size_t *lenp);

#endif
