/* SPDX-License-Identifier: ISC */
/*
 * check_hmap.c: the hash table of pointers (hmap.c): values found by key
 * through the caller's match, growth past the load limit, colliding
 * hashes, backward-shift deletion keeping every probe chain whole, and a
 * walk over every value.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checktest.h"
#include "hmap.h"

#define ITEMS	1000

struct item {
	char	 key[16];
	int	 seen;
};

static int
item_match(const void *v, const void *key)
{
	return strcmp(((const struct item *)v)->key, key) == 0;
}

static struct item *
items_new(size_t n)
{
	struct item	*it;
	size_t		 i;

	it = calloc(n, sizeof *it);
	ck_assert_ptr_nonnull(it);
	for (i = 0; i < n; i++)
		snprintf(it[i].key, sizeof it[i].key, "k%zu", i);
	return it;
}

START_TEST(test_hmap_empty)
{
	struct hmap	hm;
	struct item	it = { "a", 0 };
	size_t		i = 0;

	memset(&hm, 0, sizeof hm);
	ck_assert_ptr_null(hmap_find(&hm, hmap_hash_str("a"), item_match, "a"));
	ck_assert_ptr_null(hmap_next(&hm, &i));
	/* Removing from an empty table, or what is not there, is harmless. */
	hmap_del(&hm, hmap_hash_str("a"), &it);
	hmap_add(&hm, hmap_hash_str("a"), &it);
	hmap_del(&hm, hmap_hash_str("b"), "b");
	ck_assert_uint_eq(hm.n, 1);
	hmap_clear(&hm);
	ck_assert_uint_eq(hm.n, 0);
	ck_assert_ptr_null(hm.slot);
	ck_assert_ptr_null(hmap_find(&hm, hmap_hash_str("a"), item_match, "a"));
}
END_TEST

START_TEST(test_hmap_add_find_del)
{
	struct hmap	 hm;
	struct item	*it = items_new(ITEMS);
	size_t		 i;

	memset(&hm, 0, sizeof hm);
	for (i = 0; i < ITEMS; i++)
		hmap_add(&hm, hmap_hash_str(it[i].key), &it[i]);
	ck_assert_uint_eq(hm.n, ITEMS);
	/* Grown past the load limit: at most half full, a power of two. */
	ck_assert_uint_ge(hm.mask + 1, 2 * ITEMS);
	ck_assert_uint_eq((hm.mask + 1) & hm.mask, 0);
	for (i = 0; i < ITEMS; i++)
		ck_assert_ptr_eq(hmap_find(&hm, hmap_hash_str(it[i].key),
		    item_match, it[i].key), &it[i]);
	ck_assert_ptr_null(hmap_find(&hm, hmap_hash_str("nope"), item_match,
	    "nope"));
	/* Every other one out: the rest still found, the removed not. */
	for (i = 0; i < ITEMS; i += 2)
		hmap_del(&hm, hmap_hash_str(it[i].key), &it[i]);
	ck_assert_uint_eq(hm.n, ITEMS / 2);
	for (i = 0; i < ITEMS; i++)
		ck_assert_ptr_eq(hmap_find(&hm, hmap_hash_str(it[i].key),
		    item_match, it[i].key), i % 2 == 0 ? NULL : &it[i]);
	/* And back in. */
	for (i = 0; i < ITEMS; i += 2)
		hmap_add(&hm, hmap_hash_str(it[i].key), &it[i]);
	for (i = 0; i < ITEMS; i++)
		ck_assert_ptr_eq(hmap_find(&hm, hmap_hash_str(it[i].key),
		    item_match, it[i].key), &it[i]);
	hmap_clear(&hm);
	free(it);
}
END_TEST

/*
 * Every value under one hash, and hashes whose home slots wrap around the
 * end of the table: deleting from the middle of a chain must shift the
 * rest back so that each is still found from its home.
 */
START_TEST(test_hmap_collisions)
{
	struct hmap	 hm;
	struct item	*it = items_new(64);
	uint64_t	 h[64];
	size_t		 i, j;

	memset(&hm, 0, sizeof hm);
	for (i = 0; i < 8; i++) {
		h[i] = 42;
		hmap_add(&hm, h[i], &it[i]);
	}
	ck_assert_uint_eq(hm.mask + 1, 16);
	/* Homes 14, 15 and 0 next to the chain at 10..: it wraps. */
	for (i = 8; i < 12; i++) {
		h[i] = 13 + (i - 8);
		hmap_add(&hm, h[i], &it[i]);
	}
	ck_assert_uint_eq(hm.mask + 1, 32);
	for (i = 0; i < 12; i++)
		ck_assert_ptr_eq(hmap_find(&hm, h[i], item_match, it[i].key),
		    &it[i]);
	/* A table of 32 with homes at 30 and 31 chained over the end. */
	hmap_clear(&hm);
	for (i = 0; i < 12; i++) {
		h[i] = i < 6 ? 30 : 31 + 32 * i;
		hmap_add(&hm, h[i], &it[i]);
	}
	for (j = 0; j < 12; j++) {
		hmap_del(&hm, h[j], &it[j]);
		ck_assert_ptr_null(hmap_find(&hm, h[j], item_match, it[j].key));
		for (i = j + 1; i < 12; i++)
			ck_assert_ptr_eq(hmap_find(&hm, h[i], item_match,
			    it[i].key), &it[i]);
	}
	ck_assert_uint_eq(hm.n, 0);
	/* Removing by identity: of two under one hash and key, that one. */
	memcpy(it[1].key, it[0].key, sizeof it[0].key);
	hmap_add(&hm, 7, &it[0]);
	hmap_add(&hm, 7, &it[1]);
	hmap_del(&hm, 7, &it[0]);
	ck_assert_ptr_eq(hmap_find(&hm, 7, item_match, it[0].key), &it[1]);
	hmap_clear(&hm);
	free(it);
}
END_TEST

START_TEST(test_hmap_next)
{
	struct hmap	 hm;
	struct item	*it = items_new(ITEMS);
	size_t		 i, n;
	struct item	*v;

	memset(&hm, 0, sizeof hm);
	for (i = 0; i < ITEMS; i++)
		hmap_add(&hm, hmap_hash_str(it[i].key), &it[i]);
	for (i = 0; i < ITEMS; i += 3)
		hmap_del(&hm, hmap_hash_str(it[i].key), &it[i]);
	n = 0;
	i = 0;
	while ((v = hmap_next(&hm, &i)) != NULL) {
		ck_assert_int_eq(v->seen, 0);
		v->seen = 1;
		n++;
	}
	ck_assert_uint_eq(n, hm.n);
	/* The end stays the end. */
	ck_assert_ptr_null(hmap_next(&hm, &i));
	for (i = 0; i < ITEMS; i++)
		ck_assert_int_eq(it[i].seen, i % 3 != 0);
	hmap_clear(&hm);
	free(it);
}
END_TEST

START_TEST(test_hmap_hash)
{
	int	a, b;

	/* FNV-1a 64 of the bytes, so length counts and NUL is a byte. */
	ck_assert_uint_eq(hmap_hash_str("abc"), hmap_hash_bytes("abc", 3));
	ck_assert_uint_eq(hmap_hash_str("s.0123456789abcdef\xff\x80"),
	    hmap_hash_bytes("s.0123456789abcdef\xff\x80", 20));
	ck_assert_uint_eq(hmap_hash_str(""), hmap_hash_bytes("", 0));
	ck_assert_uint_ne(hmap_hash_bytes("ab\0", 3), hmap_hash_bytes("ab", 2));
	ck_assert_uint_ne(hmap_hash_str("ab"), hmap_hash_str("ba"));
	ck_assert_uint_eq(hmap_hash_bytes("", 0),
	    hmap_mix(UINT64_C(0xcbf29ce484222325)));
	ck_assert_uint_ne(hmap_mix(1), hmap_mix(2));
	ck_assert_uint_eq(hmap_hash_ptr(&a), hmap_hash_ptr(&a));
	ck_assert_uint_ne(hmap_hash_ptr(&a), hmap_hash_ptr(&b));
	/* Neighbouring small keys land in different low bits. */
	ck_assert_uint_ne(hmap_mix(1) & 15, hmap_mix(2) & 15);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("hmap");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_hmap_empty);
	tcase_add_test(tc, test_hmap_add_find_del);
	tcase_add_test(tc, test_hmap_collisions);
	tcase_add_test(tc, test_hmap_next);
	tcase_add_test(tc, test_hmap_hash);
	suite_add_tcase(s, tc);
	return s;
}
