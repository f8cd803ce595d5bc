/* SPDX-License-Identifier: ISC */
/*
 * clock.h: the monotonic clock every timer and deadline reads, in
 * milliseconds, and milliseconds as the struct timeval libevent takes.
 * Wall-clock time (token expiry, log stamps) is not this.
 */
#ifndef MCPBRIDGE_CLOCK_H
#define MCPBRIDGE_CLOCK_H

#include <sys/time.h>

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
uint64_t	clock_ms(void);

/* ms milliseconds into *tv, for evtimer_add and the like. */
void		clock_tv(struct timeval *tv, uint64_t ms);

#endif
