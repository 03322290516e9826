/*
 * api_conns.c - the API's defences at the connection level (see
 * api_conns.h).
 *
 * libmicrohttpd's connection timeout counts idle time only, so a client
 * sending one header byte every minute keeps a connection (and a file
 * descriptor) forever; many of them used to stop the scheduler.  Every
 * connection is listed here from the moment it is accepted with the time
 * it began waiting for a request's headers; the ticker shuts down those
 * that waited too long.  The list's lock is also held while
 * libmicrohttpd reports a connection closed, which it does before it
 * closes the socket, so shutting one down never touches a descriptor
 * that was closed and reused.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_conns.h"
#include "timeutil.h"
#include "xmalloc.h"

unsigned
api_conns_limit(const struct api *a)
{
	struct rlimit rl;
	rlim_t spare = 64 + 4 * (rlim_t)a->cfg.threads, max;

	max = (rlim_t)a->cfg.max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		if (rl.rlim_cur < spare + 16)
			max = 16;
		else if (rl.rlim_cur - spare < max)
			max = rl.rlim_cur - spare;
	}
	return (unsigned)max;
}

static struct peer *
peer_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void
api_conns_notify(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct api *a = cls;
	const union MHD_ConnectionInfo *ci;
	struct peer *p;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		p = xcalloc(1, sizeof *p);
		p->fd = ci != NULL ? ci->connect_fd : -1;
		p->since = time_mono_ms();
		pthread_mutex_lock(&a->pmu);
		p->next = a->peers;
		if (a->peers != NULL)
			a->peers->prev = p;
		a->peers = p;
		pthread_mutex_unlock(&a->pmu);
		*socket_context = p;
		return;
	}
	if ((p = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&a->pmu);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		a->peers = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	pthread_mutex_unlock(&a->pmu);
	free(p);
	*socket_context = NULL;
}

void
api_conns_begun(struct api *a, struct MHD_Connection *conn)
{
	struct peer *p = peer_of(conn);

	if (p == NULL)
		return;
	pthread_mutex_lock(&a->pmu);
	p->in_request = 1;
	pthread_mutex_unlock(&a->pmu);
}

void
api_conns_done(struct api *a, struct MHD_Connection *conn)
{
	struct peer *p = peer_of(conn);

	if (p == NULL)
		return;
	pthread_mutex_lock(&a->pmu);
	p->in_request = 0;
	p->since = time_mono_ms();
	pthread_mutex_unlock(&a->pmu);
}

int
api_conns_expire(struct api *a, int64_t mono)
{
	struct peer *p;
	int n = 0;

	pthread_mutex_lock(&a->pmu);
	for (p = a->peers; p != NULL; p = p->next) {
		if (p->in_request || p->shut || p->fd < 0 ||
		    mono - p->since < a->cfg.header_timeout_ms)
			continue;
		/* libmicrohttpd sees the end of the stream and closes it. */
		shutdown(p->fd, SHUT_RDWR);
		p->shut = 1;
		n++;
	}
	pthread_mutex_unlock(&a->pmu);
	return n;
}

void
api_conns_clear(struct api *a)
{
	struct peer *p, *next;

	for (p = a->peers; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	a->peers = NULL;
}

/*
 * Start a new minute when the last one is over: the number of lines left
 * out in it (to report), else 0.  lmu held.
 */
static unsigned
log_roll(struct api *a, int64_t mono)
{
	unsigned dropped;

	if (mono - a->log_window < 60000)
		return 0;
	dropped = a->log_dropped;
	a->log_window = mono;
	a->log_lines = 0;
	a->log_dropped = 0;
	return dropped;
}

static void
log_dropped(unsigned n)
{
	if (n > 0)
		fprintf(stderr, "kobito-scheduler: http: %u more messages "
		    "left out in the last minute\n", n);
}

void
api_conns_log(void *cls, const char *fmt, va_list ap)
{
	struct api *a = cls;
	unsigned dropped;
	int print;

	pthread_mutex_lock(&a->lmu);
	dropped = log_roll(a, time_mono_ms());
	print = a->log_lines < API_LOG_BURST;
	if (print)
		a->log_lines++;
	else
		a->log_dropped++;
	pthread_mutex_unlock(&a->lmu);
	log_dropped(dropped);
	if (!print)
		return;
	fputs("kobito-scheduler: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void
api_conns_log_flush(struct api *a, int64_t mono)
{
	unsigned dropped;

	pthread_mutex_lock(&a->lmu);
	dropped = a->log_dropped > 0 ? log_roll(a, mono) : 0;
	pthread_mutex_unlock(&a->lmu);
	log_dropped(dropped);
}
