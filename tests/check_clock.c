/* SPDX-License-Identifier: ISC */
/*
 * check_clock.c: the monotonic clock (clock.c) never runs backwards and
 * moves with time; milliseconds become a struct timeval exactly.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <time.h>

#include "checktest.h"
#include "clock.h"

START_TEST(test_clock_ms)
{
	struct timespec	 nap = { 0, 20 * 1000 * 1000 };
	uint64_t	 a, b;
	int		 i;

	a = clock_ms();
	for (i = 0; i < 1000; i++) {
		b = clock_ms();
		ck_assert_uint_ge(b, a);
		a = b;
	}
	nanosleep(&nap, NULL);
	b = clock_ms();
	ck_assert_uint_ge(b - a, 20);
	ck_assert_uint_lt(b - a, 10000);
}
END_TEST

START_TEST(test_clock_tv)
{
	struct timeval	tv;

	clock_tv(&tv, 0);
	ck_assert_int_eq(tv.tv_sec, 0);
	ck_assert_int_eq(tv.tv_usec, 0);
	clock_tv(&tv, 999);
	ck_assert_int_eq(tv.tv_sec, 0);
	ck_assert_int_eq(tv.tv_usec, 999000);
	clock_tv(&tv, 1000);
	ck_assert_int_eq(tv.tv_sec, 1);
	ck_assert_int_eq(tv.tv_usec, 0);
	clock_tv(&tv, 86400001);
	ck_assert_int_eq(tv.tv_sec, 86400);
	ck_assert_int_eq(tv.tv_usec, 1000);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("clock");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_clock_ms);
	tcase_add_test(tc, test_clock_tv);
	suite_add_tcase(s, tc);
	return s;
}
