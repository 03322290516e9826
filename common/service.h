/*
 * service.h - telling the service manager how a daemon is doing.
 *
 * Under systemd (Type=notify) a daemon says when it is ready to serve
 * (READY=1, after it listens), when it stops (STOPPING=1), and, when the
 * unit has WatchdogSec=, that it is alive (WATCHDOG=1).  The liveness
 * ping must come from the loop that does the daemon's work, after that
 * work went through (the scheduler's ticker after its store write, the
 * agent's poller after each poll), never from a timer thread of its own:
 * a daemon whose work is stuck must stop pinging and be restarted.
 * Outside systemd (no NOTIFY_SOCKET) every call does nothing.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef KOBITO_SERVICE_H
#define KOBITO_SERVICE_H

#include <stdint.h>

/* READY=1 with a status line (printf format). */
void	service_ready(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* STATUS=... alone. */
void	service_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	service_stopping(void);
/*
 * How often the watchdog wants a ping, in milliseconds (half its
 * timeout), or 0 when there is no watchdog for this process.
 */
int64_t	service_watchdog_ms(void);
/* WATCHDOG=1: the caller's loop did its work just now. */
void	service_alive(void);

#endif
