/* SPDX-License-Identifier: ISC */
/*
 * check_file.c: reading a small file whole (file.c): the size bound,
 * the first bytes of a larger one, and the refusals the token store
 * relies on (a symbolic link, not a regular file, shared with others).
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checktest.h"
#include "file.h"

static char	dir[] = "/tmp/check_file.XXXXXX";
static char	path[sizeof dir + 16], link_path[sizeof dir + 16];

static void
put(const char *p, const char *text, size_t len, mode_t mode)
{
	int	fd;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(chmod(p, mode), 0);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/f", dir);
	snprintf(link_path, sizeof link_path, "%s/l", dir);
}

static void
teardown(void)
{
	unlink(path);
	unlink(link_path);
	rmdir(dir);
	memcpy(dir + sizeof dir - 7, "XXXXXX", 6);
}

START_TEST(test_read_whole)
{
	struct file	f;

	put(path, "a\0b\n", 4, 0644);
	ck_assert_int_eq(file_read(&f, path, 4, 0), 0);
	ck_assert_int_eq(f.fail, FILE_OK);
	ck_assert_uint_eq(f.len, 4);
	ck_assert_mem_eq(f.data, "a\0b\n", 5);
	ck_assert_int_eq(f.mode & 0777, 0644);
	file_free(&f);
	ck_assert_ptr_null(f.data);

	/* One byte over the bound: refused, not cut. */
	ck_assert_int_eq(file_read(&f, path, 3, 0), -1);
	ck_assert_int_eq(f.fail, FILE_TOO_BIG);
	ck_assert_ptr_null(f.data);

	/* FILE_HEAD: the first bytes, whatever the size. */
	ck_assert_int_eq(file_read(&f, path, 3, FILE_HEAD), 0);
	ck_assert_uint_eq(f.len, 3);
	ck_assert_mem_eq(f.data, "a\0b", 4);
	file_free(&f);

	put(path, "", 0, 0600);
	ck_assert_int_eq(file_read(&f, path, 10, 0), 0);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_str_eq(f.data, "");
	file_free(&f);
}
END_TEST

START_TEST(test_refusals)
{
	struct file	f;

	ck_assert_int_eq(file_read(&f, path, 10, 0), -1);
	ck_assert_int_eq(f.fail, FILE_OPEN);
	ck_assert_int_eq(f.error, ENOENT);

	put(path, "x", 1, 0640);
	ck_assert_int_eq(file_read(&f, path, 10, FILE_PRIVATE), -1);
	ck_assert_int_eq(f.fail, FILE_SHARED);
	ck_assert_int_eq(f.mode & 0777, 0640);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(file_read(&f, path, 10,
	    FILE_NOFOLLOW | FILE_OURS | FILE_PRIVATE), 0);
	ck_assert_str_eq(f.data, "x");
	file_free(&f);

	/* A symbolic link is followed unless FILE_NOFOLLOW. */
	ck_assert_int_eq(symlink(path, link_path), 0);
	ck_assert_int_eq(file_read(&f, link_path, 10, 0), 0);
	file_free(&f);
	ck_assert_int_eq(file_read(&f, link_path, 10, FILE_NOFOLLOW), -1);
	ck_assert_int_eq(f.fail, FILE_OPEN);
	ck_assert_int_eq(f.error, ELOOP);

	/* A directory opens, but is no file of ours. */
	ck_assert_int_eq(file_read(&f, dir, 10, FILE_OURS), -1);
	ck_assert_int_eq(f.fail, FILE_NOT_OURS);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("file");
	TCase	*tc = tcase_create("disk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_whole);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}
