/* SPDX-License-Identifier: ISC */
/*
 * clock.c: CLOCK_MONOTONIC in milliseconds, read afresh on each call
 * (deadlines and timers must not move with the wall clock, nor lag a
 * loop turn behind as libevent's cached time does).
 */
#include "config.h"

#include <sys/time.h>

#include <stdint.h>
#include <time.h>

#include "clock.h"

uint64_t
clock_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
clock_tv(struct timeval *tv, uint64_t ms)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms % 1000) * 1000);
}
