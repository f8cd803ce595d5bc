/* SPDX-License-Identifier: ISC */
/*
 * check_principal.c: session owners from (iss, sub) (principal.c):
 * stable, apart for other users or issuers, never a static token's.
 */
#include "config.h"

#include <check.h>

#include "checktest.h"
#include "principal.h"

START_TEST(test_principal)
{
	uint64_t	a = principal_id("https://as.example", "alice");

	ck_assert(a & PRINCIPAL_OAUTH_BIT);
	ck_assert_uint_eq(a, principal_id("https://as.example", "alice"));
	ck_assert_uint_ne(a, principal_id("https://as.example", "bob"));
	ck_assert_uint_ne(a, principal_id("https://as2.example", "alice"));
	/* The separator: ("ab", "c") is not ("a", "bc"). */
	ck_assert_uint_ne(principal_id("ab", "c"), principal_id("a", "bc"));
	ck_assert(principal_id("", "") & PRINCIPAL_OAUTH_BIT);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("principal");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_principal);
	suite_add_tcase(s, tc);
	return s;
}
