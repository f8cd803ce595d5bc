/* SPDX-License-Identifier: ISC */
/*
 * hmap.h: a small open-addressing hash table of pointers.
 *
 * Values are pointers to structs that carry their own key; the caller
 * hashes the key (hmap_hash_*) and says how a value matches one, so the
 * table never copies or frees what it holds.  Linear probing, load at most
 * 1/2, backward-shift deletion (no tombstones).  A zeroed struct hmap is
 * an empty table; hmap_clear gives its memory back.
 */
#ifndef MCPBRIDGE_HMAP_H
#define MCPBRIDGE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	uint64_t	 h;
	void		*v;		/* NULL: empty */
};

struct hmap {
	struct hmap_slot *slot;
	size_t		 mask;		/* capacity - 1 */
	size_t		 n;
};

typedef int	(*hmap_match_cb)(const void *v, const void *key);

/* A 64-bit finalizer: spreads an integer key over the table. */
uint64_t	 hmap_mix(uint64_t);
/* FNV-1a 64 of the bytes, mixed. */
uint64_t	 hmap_hash_bytes(const char *, size_t);
uint64_t	 hmap_hash_str(const char *);
/* A pointer as the key (its identity). */
uint64_t	 hmap_hash_ptr(const void *);

/* The value under h for which match(v, key) says yes, or NULL. */
void		*hmap_find(const struct hmap *, uint64_t h, hmap_match_cb,
		    const void *key);
/* The caller knows v's key is not in the table yet. */
void		 hmap_add(struct hmap *, uint64_t h, void *v);
/* Removes v itself (found by identity along h's probe chain). */
void		 hmap_del(struct hmap *, uint64_t h, const void *v);
void		 hmap_clear(struct hmap *);
/* The next value from slot *i on, *i moved past it; NULL at the end.
 * Start with *i = 0; the table must not change meanwhile. */
void		*hmap_next(const struct hmap *, size_t *i);

#endif
