/* SPDX-License-Identifier: ISC */
/*
 * checktest.h: the one main of the Check programs (tests/libchecktest.a).
 * Each tests/check_<module>.c holds its tests and check_suite(); main()
 * is checktest.c's, which runs that suite through check_main().
 */
#ifndef MCPBRIDGE_CHECKTEST_H
#define MCPBRIDGE_CHECKTEST_H

#include <check.h>

/* The program's suite: each check_<module>.c defines it. */
Suite	*check_suite(void);

int	 check_main(Suite *);

#endif
