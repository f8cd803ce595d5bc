/* SPDX-License-Identifier: ISC */
/*
 * hmap.c: a small open-addressing hash table of pointers (hmap.h).  The
 * table keeps each value's hash next to it so most probes never touch the
 * value.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "xmalloc.h"

uint64_t
hmap_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

uint64_t
hmap_hash_bytes(const char *p, size_t len)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	while (len-- > 0) {
		h ^= (unsigned char)*p++;
		h *= UINT64_C(0x100000001b3);
	}
	return hmap_mix(h);
}

/* hmap_hash_bytes(s, strlen(s)), in one pass: session ids and rate-limit
 * keys are hashed on every request. */
uint64_t
hmap_hash_str(const char *s)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return hmap_mix(h);
}

uint64_t
hmap_hash_ptr(const void *p)
{
	return hmap_mix((uint64_t)(uintptr_t)p);
}

void *
hmap_find(const struct hmap *hm, uint64_t h, hmap_match_cb match,
    const void *key)
{
	size_t	i;

	if (hm->n == 0)
		return NULL;
	for (i = h & hm->mask; hm->slot[i].v != NULL; i = (i + 1) & hm->mask) {
		if (hm->slot[i].h == h && match(hm->slot[i].v, key))
			return hm->slot[i].v;
	}
	return NULL;
}

static void
hmap_grow(struct hmap *hm)
{
	struct hmap_slot	*old = hm->slot;
	size_t			 oldcap, cap, i, j;

	oldcap = old == NULL ? 0 : hm->mask + 1;
	cap = oldcap == 0 ? 16 : oldcap * 2;
	hm->slot = xcalloc(cap, sizeof *hm->slot);
	hm->mask = cap - 1;
	for (i = 0; i < oldcap; i++) {
		if (old[i].v == NULL)
			continue;
		for (j = old[i].h & hm->mask; hm->slot[j].v != NULL;
		    j = (j + 1) & hm->mask)
			;
		hm->slot[j] = old[i];
	}
	free(old);
}

void
hmap_add(struct hmap *hm, uint64_t h, void *v)
{
	size_t	i;

	if (hm->slot == NULL || (hm->n + 1) * 2 > hm->mask + 1)
		hmap_grow(hm);
	for (i = h & hm->mask; hm->slot[i].v != NULL; i = (i + 1) & hm->mask)
		;
	hm->slot[i].h = h;
	hm->slot[i].v = v;
	hm->n++;
}

void
hmap_del(struct hmap *hm, uint64_t h, const void *v)
{
	size_t	i, j, k;

	if (hm->n == 0)
		return;
	for (i = h & hm->mask; hm->slot[i].v != v; i = (i + 1) & hm->mask) {
		if (hm->slot[i].v == NULL)
			return;
	}
	hm->n--;
	j = i;
	for (;;) {
		hm->slot[i].v = NULL;
		for (;;) {
			j = (j + 1) & hm->mask;
			if (hm->slot[j].v == NULL)
				return;
			k = hm->slot[j].h & hm->mask;
			/* An entry whose home is cyclically in (i, j] stays. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		hm->slot[i] = hm->slot[j];
		i = j;
	}
}

void
hmap_clear(struct hmap *hm)
{
	free(hm->slot);
	hm->slot = NULL;
	hm->mask = 0;
	hm->n = 0;
}

void *
hmap_next(const struct hmap *hm, size_t *i)
{
	void	*v;

	for (; hm->slot != NULL && *i <= hm->mask; (*i)++) {
		if ((v = hm->slot[*i].v) != NULL) {
			(*i)++;
			return v;
		}
	}
	return NULL;
}
