/*
 * api_conns.h - the API's defences at the connection level, against
 * clients that open connections and never finish a request (slowloris):
 * a cap on connections in all and per client address (libmicrohttpd
 * enforces both; api_conns_limit() sizes the first to the open-file
 * limit), a deadline for a request's headers, and a log that repeated
 * complaints cannot flood.
 */
#ifndef KOBITO_API_CONNS_H
#define KOBITO_API_CONNS_H

#include <stdarg.h>
#include <microhttpd.h>

#include "api_int.h"

/* One open connection (owned by the list in struct api). */
struct peer {
	int		 fd;
	int64_t		 since;		/* monotonic ms: waiting for headers */
	int		 in_request;	/* its headers are in */
	int		 shut;		/* timed out: shut down already */
	struct peer	*prev, *next;
};

/*
 * The connection limit to give libmicrohttpd: cfg.max_connections, but
 * never so many that accepting them would run out of file descriptors
 * (the process's open-file limit less what the database, the threads and
 * the scripts need).
 */
unsigned	 api_conns_limit(const struct api *);

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback (cls: the api). */
void		 api_conns_notify(void *cls, struct MHD_Connection *,
		    void **socket_context,
		    enum MHD_ConnectionNotificationCode toe);
/* A request's headers are in: its connection has no header deadline. */
void		 api_conns_begun(struct api *, struct MHD_Connection *);
/* A request is over: the connection waits for the next one's headers. */
void		 api_conns_done(struct api *, struct MHD_Connection *);
/*
 * Shut down connections whose headers did not arrive within
 * cfg.header_timeout_ms (the ticker calls this); libmicrohttpd then
 * closes them.  Returns how many.
 */
int		 api_conns_expire(struct api *, int64_t mono);
/* Free what is left of the list (after the server stopped). */
void		 api_conns_clear(struct api *);

/*
 * libmicrohttpd's logger: at most API_LOG_BURST lines a minute, then a
 * count of the lines left out.
 */
#define API_LOG_BURST	20
void		 api_conns_log(void *cls, const char *fmt, va_list ap);
/* Report the lines left out once their minute is over (the ticker). */
void		 api_conns_log_flush(struct api *, int64_t mono);

#endif
