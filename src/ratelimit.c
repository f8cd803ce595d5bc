/* SPDX-License-Identifier: ISC */
/*
 * ratelimit.c: token buckets in a hash table.  A bucket holds up to burst
 * tokens and gains rate a second; a request takes one.  A full bucket is
 * the same as no bucket, so ratelimit_prune frees those and memory stays
 * proportional to the clients seen in the last burst/rate seconds.  The
 * table holds at most max_keys buckets: a new key beyond that frees the
 * full ones first, then the least recently used (its client starts over:
 * many addresses buy an attacker that much anyway).
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "ratelimit.h"
#include "xmalloc.h"

struct ratelimit_bucket {
	char			*key;
	uint64_t		 h;		/* hmap_hash_str(key) */
	double			 tokens;
	uint64_t		 last_ms;
	TAILQ_ENTRY(ratelimit_bucket) lru;	/* least recently used first */
};

struct ratelimit {
	double			 rate;		/* tokens a millisecond */
	double			 burst;
	size_t			 count;
	size_t			 max_keys;
	struct hmap		 hash;		/* key -> bucket */
	TAILQ_HEAD(, ratelimit_bucket) lru;	/* every bucket */
};

static int
ratelimit_match(const void *v, const void *key)
{
	return strcmp(((const struct ratelimit_bucket *)v)->key, key) == 0;
}

struct ratelimit *
ratelimit_new(double rate, double burst, size_t max_keys)
{
	struct ratelimit	*rl;

	rl = xcalloc(1, sizeof *rl);
	rl->rate = rate / 1000.0;
	rl->burst = burst < 1.0 ? 1.0 : burst;
	rl->max_keys = max_keys < 1 ? 1 : max_keys;
	TAILQ_INIT(&rl->lru);
	return rl;
}

static void
ratelimit_bucket_free(struct ratelimit *rl, struct ratelimit_bucket *b)
{
	hmap_del(&rl->hash, b->h, b);
	TAILQ_REMOVE(&rl->lru, b, lru);
	free(b->key);
	free(b);
	rl->count--;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	while (!TAILQ_EMPTY(&rl->lru))
		ratelimit_bucket_free(rl, TAILQ_FIRST(&rl->lru));
	hmap_clear(&rl->hash);
	free(rl);
}

/* Brings a bucket's tokens up to now. */
static void
ratelimit_refill(struct ratelimit *rl, struct ratelimit_bucket *b,
    uint64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rl->rate;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
	}
	b->last_ms = now_ms;
}

static struct ratelimit_bucket *
ratelimit_find(struct ratelimit *rl, const char *key, uint64_t h)
{
	return hmap_find(&rl->hash, h, ratelimit_match, key);
}

/* Milliseconds until b (brought up to now) has a token; 0 if it has. */
static uint64_t
ratelimit_delay(const struct ratelimit *rl, const struct ratelimit_bucket *b)
{
	double		wait;
	uint64_t	ms;

	if (b->tokens >= 1.0)
		return 0;
	if (rl->rate <= 0.0)
		return UINT64_MAX;
	wait = (1.0 - b->tokens) / rl->rate;
	ms = (uint64_t)wait;
	if ((double)ms < wait)
		ms++;
	return ms == 0 ? 1 : ms;
}

uint64_t
ratelimit_take(struct ratelimit *rl, const char *key, uint64_t now_ms)
{
	struct ratelimit_bucket	*b;
	uint64_t		 h = hmap_hash_str(key);

	if ((b = ratelimit_find(rl, key, h)) == NULL) {
		if (rl->count >= rl->max_keys)
			ratelimit_prune(rl, now_ms);
		if (rl->count >= rl->max_keys)
			ratelimit_bucket_free(rl, TAILQ_FIRST(&rl->lru));
		b = xcalloc(1, sizeof *b);
		b->key = xstrdup(key);
		b->h = h;
		b->tokens = rl->burst;
		b->last_ms = now_ms;
		hmap_add(&rl->hash, h, b);
		TAILQ_INSERT_TAIL(&rl->lru, b, lru);
		rl->count++;
	} else {
		TAILQ_REMOVE(&rl->lru, b, lru);
		TAILQ_INSERT_TAIL(&rl->lru, b, lru);
	}
	ratelimit_refill(rl, b, now_ms);
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	return ratelimit_delay(rl, b);
}

uint64_t
ratelimit_wait(struct ratelimit *rl, const char *key, uint64_t now_ms)
{
	struct ratelimit_bucket	*b;

	if ((b = ratelimit_find(rl, key, hmap_hash_str(key))) == NULL)
		return 0;
	ratelimit_refill(rl, b, now_ms);
	return ratelimit_delay(rl, b);
}

void
ratelimit_prune(struct ratelimit *rl, uint64_t now_ms)
{
	struct ratelimit_bucket	*b, *next;

	/* Along the LRU list: deleting from the table moves its slots. */
	for (b = TAILQ_FIRST(&rl->lru); b != NULL; b = next) {
		next = TAILQ_NEXT(b, lru);
		ratelimit_refill(rl, b, now_ms);
		if (b->tokens >= rl->burst)
			ratelimit_bucket_free(rl, b);
	}
}

size_t
ratelimit_count(const struct ratelimit *rl)
{
	return rl->count;
}
