/* SPDX-License-Identifier: ISC */
/*
 * check_auth.c: the constant-time compare, token loading and checking,
 * Host and Origin rules (auth.c), and token buckets (ratelimit.c).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "checktest.h"
#include "env.h"
#include "ratelimit.h"

START_TEST(test_equal)
{
	ck_assert_int_eq(auth_equal("abc", 3, "abc", 3), 1);
	ck_assert_int_eq(auth_equal("", 0, "", 0), 1);
	ck_assert_int_eq(auth_equal("abc", 3, "abd", 3), 0);
	ck_assert_int_eq(auth_equal("xbc", 3, "abc", 3), 0);
	/* Prefixes and extensions, both ways. */
	ck_assert_int_eq(auth_equal("ab", 2, "abc", 3), 0);
	ck_assert_int_eq(auth_equal("abc", 3, "ab", 2), 0);
	ck_assert_int_eq(auth_equal("", 0, "a", 1), 0);
	ck_assert_int_eq(auth_equal("a", 1, "", 0), 0);
	/* A NUL inside counts like any byte. */
	ck_assert_int_eq(auth_equal("a\0b", 3, "a\0c", 3), 0);
	ck_assert_int_eq(auth_equal("a\0b", 3, "a\0b", 3), 1);
	/* Bytes differing only in the high bit. */
	ck_assert_int_eq(auth_equal("\x80", 1, "\x00", 1), 0);
}
END_TEST

static double
time_compare(const char *a, const char *b, size_t len, int rounds)
{
	struct timespec	t0, t1;
	volatile int	sink = 0;
	int		i;

	/* The thread's CPU time: what the compare costs, not how long a
	 * loaded machine kept us waiting for a CPU. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (i = 0; i < rounds; i++)
		sink += auth_equal(a, len, b, len);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	(void)sink;
	return (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec);
}

/*
 * Where two strings differ must not change the time: a mismatch in the
 * first byte costs what a mismatch in the last byte costs.  Timing is
 * noisy, so take the best of several runs and allow a wide margin; an
 * early-exit compare differs by the full length (a factor of ~100 here).
 */
START_TEST(test_equal_constant_time)
{
	enum { LEN = 4096, ROUNDS = 2000, RUNS = 7 };
	char	*secret, *first, *last;
	double	 tf, tl, best_first = 1e18, best_last = 1e18;
	int	 i;

	secret = malloc(LEN);
	first = malloc(LEN);
	last = malloc(LEN);
	ck_assert_ptr_nonnull(secret);
	memset(secret, 'k', LEN);
	memcpy(first, secret, LEN);
	memcpy(last, secret, LEN);
	first[0] = 'x';
	last[LEN - 1] = 'x';
	for (i = 0; i < RUNS; i++) {
		tf = time_compare(first, secret, LEN, ROUNDS);
		tl = time_compare(last, secret, LEN, ROUNDS);
		if (tf < best_first)
			best_first = tf;
		if (tl < best_last)
			best_last = tl;
	}
	ck_assert_msg(best_first * 3 > best_last && best_last * 3 > best_first,
	    "first-byte mismatch %.0f ns, last-byte %.0f ns", best_first,
	    best_last);
	free(secret);
	free(first);
	free(last);
}
END_TEST

START_TEST(test_parse_and_check)
{
	struct auth	*a;
	char		*err;

	a = auth_parse("# comment\n  alpha-token \n\nbeta\r\n", 1, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(auth_count(a), 2);
	ck_assert_int_eq(auth_check(a, "Bearer alpha-token"), 0);
	ck_assert_int_eq(auth_check(a, "bearer beta"), 1);
	ck_assert_int_eq(auth_check(a, "Bearer   beta  "), 1);
	ck_assert_int_eq(auth_check(a, "Bearer beta x"), -1);
	ck_assert_int_eq(auth_check(a, "Bearer bet"), -1);
	ck_assert_int_eq(auth_check(a, "Bearer betaa"), -1);
	ck_assert_int_eq(auth_check(a, "Bearer"), -1);
	ck_assert_int_eq(auth_check(a, "Bearer "), -1);
	ck_assert_int_eq(auth_check(a, "Basic beta"), -1);
	ck_assert_int_eq(auth_check(a, "Bearerbeta"), -1);
	ck_assert_int_eq(auth_check(a, "beta"), -1);
	ck_assert_int_eq(auth_check(a, NULL), -1);
	/* "# comment" is a token in a variable, not a comment. */
	auth_free(a);

	a = auth_parse("one, two,three\nfour", 0, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(auth_count(a), 4);
	ck_assert_int_eq(auth_check(a, "Bearer three"), 2);
	ck_assert_int_eq(auth_check(a, "Bearer four"), 3);
	auth_free(a);

	ck_assert_ptr_null(auth_parse(" \n# only a comment\n", 1, &err));
	ck_assert_ptr_nonnull(err);
	free(err);
	ck_assert_ptr_null(auth_parse("has space", 0, &err));
	free(err);
	ck_assert_ptr_null(auth_parse(",,", 0, &err));
	free(err);
}
END_TEST

/* SIGHUP reloads the token file: a token that stays keeps its number (the
 * sessions it opened stay its own), a new one gets a number never used. */
START_TEST(test_inherit)
{
	struct auth	*old, *fresh;
	char		*err;

	old = auth_parse("alpha\nbeta\ngamma\n", 1, &err);
	ck_assert_ptr_nonnull(old);
	fresh = auth_parse("delta\ngamma\nalpha\n", 1, &err);
	ck_assert_ptr_nonnull(fresh);
	auth_inherit(fresh, old);
	ck_assert_int_eq(auth_check(fresh, "Bearer alpha"), 0);
	ck_assert_int_eq(auth_check(fresh, "Bearer gamma"), 2);
	ck_assert_int_eq(auth_check(fresh, "Bearer delta"), 3);
	ck_assert_int_eq(auth_check(fresh, "Bearer beta"), -1);
	auth_free(old);
	/* beta's number is not handed out again, nor delta's. */
	old = fresh;
	fresh = auth_parse("beta\nepsilon\ndelta\n", 1, &err);
	ck_assert_ptr_nonnull(fresh);
	auth_inherit(fresh, old);
	ck_assert_int_eq(auth_check(fresh, "Bearer beta"), 4);
	ck_assert_int_eq(auth_check(fresh, "Bearer epsilon"), 5);
	ck_assert_int_eq(auth_check(fresh, "Bearer delta"), 3);
	auth_free(old);
	auth_free(fresh);
}
END_TEST

START_TEST(test_load)
{
	struct auth	*a;
	char		 path[] = "/tmp/check_auth.XXXXXX", *err;
	int		 fd;

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "s3cret\n", 7), 7);
	close(fd);
	a = auth_load_file(path, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(auth_check(a, "Bearer s3cret"), 0);
	auth_free(a);
	unlink(path);
	ck_assert_ptr_null(auth_load_file(path, &err));
	ck_assert_ptr_nonnull(strstr(err, path));
	free(err);

	setenv("CHECK_AUTH_TOKENS", "a1,b2", 1);
	a = auth_load_env("CHECK_AUTH_TOKENS", &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(auth_check(a, "Bearer b2"), 1);
	auth_free(a);
	/* Read once, then gone: no child inherits the tokens. */
	ck_assert_ptr_null(getenv("CHECK_AUTH_TOKENS"));
	ck_assert_ptr_null(auth_load_env("CHECK_AUTH_TOKENS", &err));
	/* The message names the variable, never a value. */
	ck_assert_ptr_nonnull(strstr(err, "CHECK_AUTH_TOKENS"));
	free(err);
}
END_TEST

START_TEST(test_hosts)
{
	char			*hosts[] = { "mcp.example.com", NULL };
	struct auth_origins	 lo = { .loopback = 1 };
	struct auth_origins	 any = { .loopback = 0 };
	struct auth_origins	 listed = { .loopback = 1, .hosts = hosts,
				    .nhosts = 1 };

	ck_assert_int_eq(auth_host_ok(&lo, "localhost"), 1);
	ck_assert_int_eq(auth_host_ok(&lo, "LOCALHOST:8000"), 1);
	ck_assert_int_eq(auth_host_ok(&lo, "127.0.0.1:1"), 1);
	ck_assert_int_eq(auth_host_ok(&lo, "[::1]:80"), 1);
	ck_assert_int_eq(auth_host_ok(&lo, "evil.example.com"), 0);
	ck_assert_int_eq(auth_host_ok(&lo, "localhost.evil.example.com"), 0);
	ck_assert_int_eq(auth_host_ok(&lo, "127.0.0.1.nip.io"), 0);
	ck_assert_int_eq(auth_host_ok(&lo, "[::1"), 0);
	ck_assert_int_eq(auth_host_ok(&lo, NULL), 1);
	ck_assert_int_eq(auth_host_ok(&any, "anything.example"), 1);
	ck_assert_int_eq(auth_host_ok(&listed, "mcp.example.com:443"), 1);
	ck_assert_int_eq(auth_host_ok(&listed, "MCP.example.com"), 1);
	ck_assert_int_eq(auth_host_ok(&listed, "localhost"), 1);
	ck_assert_int_eq(auth_host_ok(&listed, "other.example.com"), 0);
	listed.loopback = 0;
	ck_assert_int_eq(auth_host_ok(&listed, "other.example.com"), 0);
}
END_TEST

START_TEST(test_origins)
{
	char			*origins[] = { "https://app.example.com", NULL };
	char			*cors[] = { "http://localhost:3000", NULL };
	char			*star[] = { "*", NULL };
	struct auth_origins	 lo = { .loopback = 1 };
	struct auth_origins	 o = { .loopback = 0, .origins = origins,
				    .norigins = 1, .cors = cors, .ncors = 1 };
	struct auth_origins	 s = { .loopback = 1, .cors = star,
				    .ncors = 1 };

	ck_assert_int_eq(auth_origin_ok(&lo, NULL, "localhost"), 1);
	ck_assert_int_eq(auth_origin_ok(&lo, "http://localhost:5173", NULL), 1);
	ck_assert_int_eq(auth_origin_ok(&lo, "https://[::1]", NULL), 1);
	/* Same origin as the Host: the Host check is what refuses it. */
	ck_assert_int_eq(auth_origin_ok(&lo, "http://evil.example.com",
	    "evil.example.com"), 1);
	ck_assert_int_eq(auth_origin_ok(&lo, "null", NULL), 0);
	ck_assert_int_eq(auth_origin_ok(&lo, "http://localhost/path", NULL), 0);
	ck_assert_int_eq(auth_origin_ok(&lo, "ftp://localhost", NULL), 0);
	/* Same origin as the Host, on any listener. */
	ck_assert_int_eq(auth_origin_ok(&o, "https://mcp.example.com",
	    "mcp.example.com"), 1);
	ck_assert_int_eq(auth_origin_ok(&o, "https://app.example.com", NULL), 1);
	ck_assert_int_eq(auth_origin_ok(&o, "https://app.example.com:8443",
	    NULL), 0);
	ck_assert_int_eq(auth_origin_ok(&o, "http://localhost:3000", NULL), 1);
	ck_assert_int_eq(auth_origin_ok(&o, "http://localhost:3001", NULL), 0);
	ck_assert_int_eq(auth_cors_ok(&o, "http://localhost:3000"), 1);
	ck_assert_int_eq(auth_cors_ok(&o, "https://app.example.com"), 0);
	ck_assert_int_eq(auth_cors_ok(&o, NULL), 0);
	ck_assert_int_eq(auth_cors_ok(&s, "https://anywhere.example"), 1);
	ck_assert_int_eq(auth_origin_ok(&s, "https://anywhere.example", NULL),
	    1);
}
END_TEST

START_TEST(test_ratelimit)
{
	struct ratelimit	*rl = ratelimit_new(10, 10, 100);
	uint64_t		 now = 1000000, wait;
	int			 i;

	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(ratelimit_take(rl, "a", now), 0);
	wait = ratelimit_take(rl, "a", now);
	ck_assert_uint_ge(wait, 90);
	ck_assert_uint_le(wait, 100);
	/* Another key has its own bucket. */
	ck_assert_uint_eq(ratelimit_take(rl, "b", now), 0);
	/* 100 ms later one token is back, and only one. */
	ck_assert_uint_eq(ratelimit_take(rl, "a", now + 100), 0);
	ck_assert_uint_gt(ratelimit_take(rl, "a", now + 100), 0);
	ck_assert_uint_eq(ratelimit_count(rl), 2);
	/* Full buckets are forgotten; a used one stays until it fills. */
	ratelimit_prune(rl, now + 500);
	ck_assert_uint_eq(ratelimit_count(rl), 1);
	ratelimit_prune(rl, now + 5000);
	ck_assert_uint_eq(ratelimit_count(rl), 0);
	/* A clock going backwards gives nothing away. */
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(ratelimit_take(rl, "c", now), 0);
	ck_assert_uint_gt(ratelimit_take(rl, "c", now - 1000), 0);
	ratelimit_free(rl);
}
END_TEST

/* A table of at most three keys: a new one evicts the least recently
 * used; a peek takes nothing and adds nothing. */
START_TEST(test_ratelimit_bounded)
{
	struct ratelimit	*rl = ratelimit_new(1, 2, 3);
	uint64_t		 now = 1000000, wait;

	ck_assert_uint_eq(ratelimit_wait(rl, "a", now), 0);
	ck_assert_uint_eq(ratelimit_count(rl), 0);
	ck_assert_uint_eq(ratelimit_take(rl, "a", now), 0);
	ck_assert_uint_eq(ratelimit_take(rl, "a", now), 0);
	wait = ratelimit_wait(rl, "a", now);
	ck_assert_uint_ge(wait, 999);
	ck_assert_uint_le(wait, 1000);
	ck_assert_uint_eq(ratelimit_wait(rl, "a", now), wait);
	ck_assert_uint_eq(ratelimit_take(rl, "b", now), 0);
	ck_assert_uint_eq(ratelimit_take(rl, "c", now), 0);
	ck_assert_uint_eq(ratelimit_count(rl), 3);
	/* d evicts a, the least recently used. */
	ck_assert_uint_eq(ratelimit_take(rl, "d", now), 0);
	ck_assert_uint_eq(ratelimit_count(rl), 3);
	ck_assert_uint_eq(ratelimit_wait(rl, "a", now), 0);
	/* b used again: e evicts c, and b keeps its count. */
	ck_assert_uint_eq(ratelimit_take(rl, "b", now), 0);
	ck_assert_uint_eq(ratelimit_take(rl, "e", now), 0);
	ck_assert_uint_eq(ratelimit_count(rl), 3);
	ck_assert_uint_gt(ratelimit_wait(rl, "b", now), 0);
	ck_assert_uint_gt(ratelimit_take(rl, "b", now), 0);
	/* Full buckets go first, before anybody's count is lost. */
	ck_assert_uint_eq(ratelimit_take(rl, "f", now + 5000), 0);
	ck_assert_uint_eq(ratelimit_count(rl), 1);
	ratelimit_free(rl);
}
END_TEST

/* Thousands of keys: pruning frees exactly the full buckets while it
 * walks them, and every other bucket keeps its count. */
START_TEST(test_ratelimit_many)
{
	struct ratelimit	*rl = ratelimit_new(1, 2, 10000);
	uint64_t		 now = 1000000;
	char			 key[32];
	size_t			 i;

	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "10.0.%zu.%zu", i / 256, i % 256);
		ck_assert_uint_eq(ratelimit_take(rl, key, now), 0);
		if (i % 2 == 1)
			ck_assert_uint_eq(ratelimit_take(rl, key, now), 0);
	}
	ck_assert_uint_eq(ratelimit_count(rl), 5000);
	/* A second on: the even keys are full again, the odd have one. */
	ratelimit_prune(rl, now + 1000);
	ck_assert_uint_eq(ratelimit_count(rl), 2500);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "10.0.%zu.%zu", i / 256, i % 256);
		ck_assert_uint_eq(ratelimit_wait(rl, key, now + 1000), 0);
		if (i % 2 == 1) {
			ck_assert_uint_eq(ratelimit_take(rl, key, now + 1000),
			    0);
			ck_assert_uint_gt(ratelimit_wait(rl, key, now + 1000),
			    0);
		}
	}
	ck_assert_uint_eq(ratelimit_count(rl), 2500);
	ratelimit_free(rl);
}
END_TEST

/* A name the environment holds twice: both values are wiped, not only
 * the one getenv finds, and the name is gone. */
START_TEST(test_env_forget_twice)
{
	extern char	**environ;
	char		**saved = environ;
	char		 *fake[4];
	char		  one[] = "CHECK_AUTH_TWICE=first-secret";
	char		  two[] = "CHECK_AUTH_TWICE=second-secret";
	char		  other[] = "CHECK_AUTH_OTHER=kept";
	size_t		  i, n = strlen("CHECK_AUTH_TWICE=");

	fake[0] = one;
	fake[1] = other;
	fake[2] = two;
	fake[3] = NULL;
	environ = fake;
	env_forget("CHECK_AUTH_TWICE");
	ck_assert_ptr_null(getenv("CHECK_AUTH_TWICE"));
	ck_assert_str_eq(getenv("CHECK_AUTH_OTHER"), "kept");
	environ = saved;
	for (i = n; i < sizeof one - 1; i++)
		ck_assert_msg(one[i] == '\0', "first value left at %zu", i);
	for (i = n; i < sizeof two - 1; i++)
		ck_assert_msg(two[i] == '\0', "second value left at %zu", i);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("auth");
	TCase	*tc = tcase_create("tokens");
	TCase	*to = tcase_create("hosts and origins");
	TCase	*tr = tcase_create("rate limit");

	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_equal_constant_time);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parse_and_check);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_inherit);
	tcase_add_test(tc, test_env_forget_twice);
	suite_add_tcase(s, tc);
	tcase_add_test(to, test_hosts);
	tcase_add_test(to, test_origins);
	suite_add_tcase(s, to);
	tcase_add_test(tr, test_ratelimit);
	tcase_add_test(tr, test_ratelimit_bounded);
	tcase_add_test(tr, test_ratelimit_many);
	suite_add_tcase(s, tr);
	return s;
}
