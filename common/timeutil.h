/*
 * timeutil.h - clocks: monotonic milliseconds for durations and deadlines,
 * wall-clock ISO 8601 text for logs and records.
 */
#ifndef KOBITO_TIMEUTIL_H
#define KOBITO_TIMEUTIL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock. */
int64_t	 time_mono_ms(void);
/* Microseconds on the monotonic clock, for overheads below a millisecond. */
int64_t	 time_mono_us(void);
/* Milliseconds since the epoch on the wall clock. */
int64_t	 time_wall_ms(void);
/* "2026-11-25T13:40:01.123+09:00" in local time; returns buf. */
char	*time_iso_local(int64_t wall_ms, char *buf, size_t len);
/* Sleep for ms milliseconds, waking early when *stop becomes non-zero. */
void	 time_sleep_ms(int64_t ms, const atomic_int *stop);

#endif
