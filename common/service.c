/*
 * service.c - readiness, status and watchdog pings for systemd, through
 * libsystemd's sd_notify (see service.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "service.h"
#include "xmalloc.h"

static void
notify(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap), *line;

	line = xasprintf("%sSTATUS=%s", prefix, msg);
	sd_notify(0, line);
	free(line);
	free(msg);
}

void
service_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify("READY=1\n", fmt, ap);
	va_end(ap);
}

void
service_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify("", fmt, ap);
	va_end(ap);
}

void
service_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

int64_t
service_watchdog_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	return (int64_t)(usec / 2000);
}

void
service_alive(void)
{
	sd_notify(0, "WATCHDOG=1");
}
