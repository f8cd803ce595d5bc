/* SPDX-License-Identifier: ISC */
/*
 * ratelimit.h: token buckets, one per key (a client's token or address):
 * rate requests a second, bursts up to burst.  The clock is passed in, so
 * tests need no waiting.  No I/O.
 */
#ifndef MCPBRIDGE_RATELIMIT_H
#define MCPBRIDGE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* At most max_keys buckets: past that a new key evicts the least
 * recently used one (after the full ones). */
struct ratelimit *ratelimit_new(double rate, double burst, size_t max_keys);
void		 ratelimit_free(struct ratelimit *);
/* Takes one token from key's bucket: 0 if there was one, otherwise the
 * milliseconds until there is (a Retry-After). */
uint64_t	 ratelimit_take(struct ratelimit *, const char *key, uint64_t now_ms);
/* The same answer without taking anything (nor adding a bucket). */
uint64_t	 ratelimit_wait(struct ratelimit *, const char *key, uint64_t now_ms);
/* Forgets buckets that have filled up again (they are as good as new);
 * call now and then. */
void		 ratelimit_prune(struct ratelimit *, uint64_t now_ms);
size_t		 ratelimit_count(const struct ratelimit *);

#endif
