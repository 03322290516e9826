/*
 * timeutil.c - clocks and sleeping.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "timeutil.h"

int64_t
time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
time_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
time_iso_local(int64_t wall_ms, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char date[32], zone[24];
	int off;

	localtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	off = (int)(tm.tm_gmtoff / 60);
	snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+',
	    (off < 0 ? -off : off) / 60 % 100, (off < 0 ? -off : off) % 60);
	snprintf(buf, len, "%s.%03d%s", date, (int)(wall_ms % 1000), zone);
	return buf;
}

void
time_sleep_ms(int64_t ms, const atomic_int *stop)
{
	struct timespec ts;
	int64_t slice;

	/* Sleep in slices so that a stop request is noticed quickly. */
	while (ms > 0 && (stop == NULL || *stop == 0)) {
		slice = ms > 50 ? 50 : ms;
		ts.tv_sec = (time_t)(slice / 1000);
		ts.tv_nsec = (long)(slice % 1000) * 1000000;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= slice;
	}
}
