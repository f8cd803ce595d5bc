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

#include "ratelimit.h"
#include "xmalloc.h"

#define RATELIMIT_HASH_SIZE	1024

struct ratelimit_bucket {
	char			*key;
	double			 tokens;
	uint64_t		 last_ms;
	LIST_ENTRY(ratelimit_bucket) entry;
	TAILQ_ENTRY(ratelimit_bucket) lru;	/* least recently used first */
};

struct ratelimit {
	double			 rate;		/* tokens a millisecond */
	double			 burst;
	size_t			 count;
	size_t			 max_keys;
	LIST_HEAD(, ratelimit_bucket) hash[RATELIMIT_HASH_SIZE];
	TAILQ_HEAD(, ratelimit_bucket) lru;
};

static unsigned int
ratelimit_hash(const char *key)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h % RATELIMIT_HASH_SIZE;
}

struct ratelimit *
ratelimit_new(double rate, double burst, size_t max_keys)
{
	struct ratelimit	*rl;
	size_t			 i;

	rl = xcalloc(1, sizeof *rl);
	rl->rate = rate / 1000.0;
	rl->burst = burst < 1.0 ? 1.0 : burst;
	rl->max_keys = max_keys < 1 ? 1 : max_keys;
	for (i = 0; i < RATELIMIT_HASH_SIZE; i++)
		LIST_INIT(&rl->hash[i]);
	TAILQ_INIT(&rl->lru);
	return rl;
}

static void
ratelimit_bucket_free(struct ratelimit *rl, struct ratelimit_bucket *b)
{
	LIST_REMOVE(b, entry);
	TAILQ_REMOVE(&rl->lru, b, lru);
	free(b->key);
	free(b);
	rl->count--;
}

void
ratelimit_free(struct ratelimit *rl)
{
	size_t	i;

	if (rl == NULL)
		return;
	for (i = 0; i < RATELIMIT_HASH_SIZE; i++) {
		while (!LIST_EMPTY(&rl->hash[i]))
			ratelimit_bucket_free(rl, LIST_FIRST(&rl->hash[i]));
	}
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
ratelimit_find(struct ratelimit *rl, const char *key)
{
	struct ratelimit_bucket	*b;

	LIST_FOREACH(b, &rl->hash[ratelimit_hash(key)], entry) {
		if (strcmp(b->key, key) == 0)
			return b;
	}
	return NULL;
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

	if ((b = ratelimit_find(rl, key)) == NULL) {
		if (rl->count >= rl->max_keys)
			ratelimit_prune(rl, now_ms);
		if (rl->count >= rl->max_keys)
			ratelimit_bucket_free(rl, TAILQ_FIRST(&rl->lru));
		b = xcalloc(1, sizeof *b);
		b->key = xstrdup(key);
		b->tokens = rl->burst;
		b->last_ms = now_ms;
		LIST_INSERT_HEAD(&rl->hash[ratelimit_hash(key)], b, entry);
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

	if ((b = ratelimit_find(rl, key)) == NULL)
		return 0;
	ratelimit_refill(rl, b, now_ms);
	return ratelimit_delay(rl, b);
}

void
ratelimit_prune(struct ratelimit *rl, uint64_t now_ms)
{
	struct ratelimit_bucket	*b, *next;
	size_t			 i;

	for (i = 0; i < RATELIMIT_HASH_SIZE; i++) {
		for (b = LIST_FIRST(&rl->hash[i]); b != NULL; b = next) {
			next = LIST_NEXT(b, entry);
			ratelimit_refill(rl, b, now_ms);
			if (b->tokens >= rl->burst)
				ratelimit_bucket_free(rl, b);
		}
	}
}

size_t
ratelimit_count(const struct ratelimit *rl)
{
	return rl->count;
}
