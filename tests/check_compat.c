/* SPDX-License-Identifier: ISC */
/*
 * check_compat.c: the stand-ins of src/compat/, tested on every system,
 * not only where configure picks them: each is compiled here under a name
 * of its own, so the system's function (if any) does not hide it.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "checktest.h"
#include "sockopt.h"

int	test_pipe2(int [2], int);
void	test_closefrom(int);
void	test_explicit_bzero(void *, size_t);
int	test_getentropy(void *, size_t);

#define pipe2 test_pipe2
#include "compat/pipe2.c"
#undef pipe2
#define closefrom test_closefrom
#include "compat/closefrom.c"
#undef closefrom
#define explicit_bzero test_explicit_bzero
#include "compat/explicit_bzero.c"
#undef explicit_bzero
#define getentropy test_getentropy
#include "compat/getentropy.c"
#undef getentropy

START_TEST(test_pipe2_flags)
{
	int	p[2], i;
	char	c;

	ck_assert_int_eq(test_pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	for (i = 0; i < 2; i++) {
		ck_assert(fcntl(p[i], F_GETFD) & FD_CLOEXEC);
		ck_assert(fcntl(p[i], F_GETFL) & O_NONBLOCK);
	}
	/* Non-blocking: an empty pipe says EAGAIN at once. */
	ck_assert_int_eq(read(p[0], &c, 1), -1);
	ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);

	ck_assert_int_eq(test_pipe2(p, 0), 0);
	ck_assert(!(fcntl(p[0], F_GETFD) & FD_CLOEXEC));
	ck_assert(!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
	close(p[0]);
	close(p[1]);

	errno = 0;
	ck_assert_int_eq(test_pipe2(p, O_APPEND), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_closefrom_closes)
{
	int	low, high, status;
	pid_t	pid;

	/* In a child of our own: it closes whatever is above, the test
	 * harness's descriptors included.  The exit status tells. */
	ck_assert_int_ne(low = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(high = fcntl(low, F_DUPFD, low + 5), -1);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		test_closefrom(low + 1);
		if (fcntl(low, F_GETFD) == -1)
			_exit(1);	/* below: must stay */
		if (fcntl(high, F_GETFD) != -1 || errno != EBADF)
			_exit(2);	/* above: must be gone */
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(low);
	close(high);
}
END_TEST

START_TEST(test_explicit_bzero_zeroes)
{
	unsigned char	buf[64];
	size_t		i;

	memset(buf, 0xa5, sizeof buf);
	test_explicit_bzero(buf + 8, 32);
	for (i = 0; i < sizeof buf; i++)
		ck_assert_int_eq(buf[i], i >= 8 && i < 40 ? 0 : 0xa5);
}
END_TEST

START_TEST(test_getentropy_bytes)
{
	unsigned char	a[256], b[256], big[257];

	ck_assert_int_eq(test_getentropy(a, sizeof a), 0);
	ck_assert_int_eq(test_getentropy(b, sizeof b), 0);
	/* Two draws of 2048 bits are never equal by chance. */
	ck_assert(memcmp(a, b, sizeof a) != 0);
	ck_assert_int_eq(test_getentropy(a, 0), 0);
	/* Over the limit, as the real one: all or nothing. */
	errno = 0;
	ck_assert_int_eq(test_getentropy(big, sizeof big), -1);
	ck_assert_int_eq(errno, EIO);
}
END_TEST

START_TEST(test_user_timeout)
{
	int		fd;
	unsigned int	got = 0;
	socklen_t	len = sizeof got;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	if (sockopt_user_timeout(fd, 60000) == 0) {
		/* Where the option exists, it holds what we set. */
#ifdef TCP_USER_TIMEOUT
		ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
		    &got, &len), 0);
		ck_assert_uint_eq(got, 60000);
#endif
	} else
		ck_assert_int_eq(errno, ENOPROTOOPT);
	close(fd);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("compat");
	TCase	*tc = tcase_create("stand-ins");

	tcase_add_test(tc, test_pipe2_flags);
	tcase_add_test(tc, test_closefrom_closes);
	tcase_add_test(tc, test_explicit_bzero_zeroes);
	tcase_add_test(tc, test_getentropy_bytes);
	tcase_add_test(tc, test_user_timeout);
	suite_add_tcase(s, tc);
	return s;
}
