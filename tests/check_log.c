/* SPDX-License-Identifier: ISC */
/*
 * check_log.c: the log's lines (log.c) as a reader of --log-file sees
 * them: access lines wait in a bounded buffer and come out when it is
 * full, on log_flush, before any other line, on reopen and at exit, in
 * order and whole; the lines keep their text and JSON forms.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "checktest.h"
#include "log.h"

static char	dir[] = "/tmp/check_log.XXXXXX";
static char	path[sizeof dir + 16], moved[sizeof dir + 16];
/* What the file holds (read_log), NUL-terminated. */
static char	got[8 * LOG_BUFFER_SIZE];
static size_t	got_len;

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/log", dir);
	snprintf(moved, sizeof moved, "%s/log.1", dir);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT, "t");
	ck_assert_int_eq(log_open_file(path), 0);
}

static void
teardown(void)
{
	unlink(path);
	unlink(moved);
	rmdir(dir);
	memcpy(dir + sizeof dir - 7, "XXXXXX", 6);
}

static size_t
read_log(const char *p)
{
	int	fd;
	ssize_t	n;

	got_len = 0;
	if ((fd = open(p, O_RDONLY)) == -1)
		return 0;
	while ((n = read(fd, got + got_len, sizeof got - 1 - got_len)) > 0)
		got_len += (size_t)n;
	close(fd);
	got[got_len] = '\0';
	return got_len;
}

static size_t
count_lines(const char *text, const char *needle)
{
	size_t		 n = 0;
	const char	*p = text;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* a and b are found in got, a first. */
#define ck_assert_before(a, b) do {					\
	const char *a_ = (a), *b_ = (b);				\
	ck_assert_ptr_nonnull(a_);					\
	ck_assert_ptr_nonnull(b_);					\
	ck_assert_int_lt(a_ - got, b_ - got);				\
} while (0)

static void
request(const char *path_, int status)
{
	struct log_request	r;

	memset(&r, 0, sizeof r);
	r.http_method = "POST";
	r.path = path_;
	r.status = status;
	r.latency_ms = 12;
	r.session = "0123456789abcdef";
	r.method = "tools/call";
	r.peer = "127.0.0.1";
	log_request(&r);
}

START_TEST(test_text_line)
{
	request("/mcp", 200);
	ck_assert_uint_eq(read_log(path), 0);	/* buffered */
	ck_assert_uint_gt(log_buffered(), 0);
	log_flush();
	ck_assert_uint_eq(log_buffered(), 0);
	ck_assert_uint_gt(read_log(path), 0);
	/* "2026-12-07T10:00:00.123Z t[pid]: info: ..." */
	ck_assert_int_eq(got[4], '-');
	ck_assert_int_eq(got[10], 'T');
	ck_assert_int_eq(got[19], '.');
	ck_assert_int_eq(got[23], 'Z');
	ck_assert_ptr_nonnull(strstr(got, " t["));
	ck_assert_ptr_nonnull(strstr(got, "]: info: 127.0.0.1 POST /mcp 200 "
	    "12ms session 01234567 tools/call\n"));
	ck_assert_int_eq(got[got_len - 1], '\n');
}
END_TEST

START_TEST(test_text_escapes)
{
	struct log_request	r;

	memset(&r, 0, sizeof r);
	r.path = "/a\nb\x7f";
	r.status = 404;
	r.note = "too big";
	log_request(&r);
	log_flush();
	read_log(path);
	ck_assert_ptr_nonnull(strstr(got, "info: - - /a\\x0ab\\x7f 404 0ms "
	    "(too big)\n"));
}
END_TEST

START_TEST(test_json_line)
{
	struct log_request	r;

	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, "t");
	memset(&r, 0, sizeof r);
	r.http_method = "GET";
	r.path = "/q\"\\\x01\xff\xc3\xa9";
	r.status = 200;
	r.latency_ms = 3;
	r.session = "abc";
	r.peer = "::1";
	log_request(&r);
	log_warnx("w\tx");
	read_log(path);
	ck_assert_int_eq(strncmp(got, "{\"time\":\"", 9), 0);
	ck_assert_ptr_nonnull(strstr(got, "Z\",\"level\":\"info\",\"msg\":"
	    "\"request\",\"http_method\":\"GET\",\"path\":\"/q\\\"\\\\\\u0001"
	    "\\ufffd\xc3\xa9\",\"status\":200,\"latency_ms\":3,\"session\":"
	    "\"abc\",\"peer\":\"::1\"}\n{\"time\":\""));
	ck_assert_ptr_nonnull(strstr(got, "\",\"level\":\"warn\",\"msg\":"
	    "\"w\\tx\"}\n"));
}
END_TEST

/* A request on a named server's route names it, in both formats. */
START_TEST(test_server_field)
{
	struct log_request	r;

	memset(&r, 0, sizeof r);
	r.http_method = "POST";
	r.path = "/servers/fs/mcp";
	r.status = 200;
	r.latency_ms = 4;
	r.server = "fs";
	r.session = "0123456789abcdef";
	r.method = "tools/list";
	r.peer = "127.0.0.1";
	log_request(&r);
	log_flush();
	read_log(path);
	ck_assert_ptr_nonnull(strstr(got, "info: 127.0.0.1 POST "
	    "/servers/fs/mcp 200 4ms server fs session 01234567 "
	    "tools/list\n"));
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, "t");
	log_request(&r);
	log_flush();
	read_log(path);
	ck_assert_ptr_nonnull(strstr(got, "\"status\":200,\"latency_ms\":4,"
	    "\"server\":\"fs\",\"session\":\"01234567\",\"method\":"
	    "\"tools/list\",\"peer\":\"127.0.0.1\"}\n"));
}
END_TEST

/* Another line writes what waits first: the order holds. */
START_TEST(test_order)
{
	request("/first", 200);
	log_info("second");
	request("/third", 200);
	read_log(path);
	ck_assert_ptr_nonnull(strstr(got, "/first"));
	ck_assert_ptr_nonnull(strstr(got, "second"));
	ck_assert_before(strstr(got, "/first"), strstr(got, "second"));
	ck_assert_ptr_null(strstr(got, "/third"));
	log_flush();
	read_log(path);
	ck_assert_before(strstr(got, "second"), strstr(got, "/third"));
}
END_TEST

/* A full buffer is written, never grown; no line is lost or cut. */
START_TEST(test_full_flushes)
{
	size_t	i, n = 0;

	for (i = 0; n == 0; i++) {
		request("/mcp", 200);
		ck_assert_uint_le(log_buffered(), LOG_BUFFER_SIZE);
		n = read_log(path);
		ck_assert_uint_lt(i, LOG_BUFFER_SIZE);
	}
	/* It was written when the next line did not fit. */
	ck_assert_uint_gt(n, LOG_BUFFER_SIZE - 200);
	ck_assert_uint_le(n, LOG_BUFFER_SIZE);
	for (; i < 3000; i++)
		request("/mcp", 200);
	log_flush();
	read_log(path);
	ck_assert_uint_eq(count_lines(got, " POST /mcp 200 12ms session "
	    "01234567 tools/call\n"), 3000);
	ck_assert_uint_eq(count_lines(got, "\n"), 3000);
}
END_TEST

/* A line longer than the whole buffer goes out whole, in order. */
START_TEST(test_huge_line)
{
	static char	big[LOG_BUFFER_SIZE + 100];

	memset(big, 'x', sizeof big - 1);
	big[0] = '/';
	request("/before", 200);
	request(big, 200);
	request("/after", 200);
	ck_assert_uint_le(log_buffered(), LOG_BUFFER_SIZE);
	log_flush();
	read_log(path);
	ck_assert_ptr_nonnull(strstr(got, big));
	ck_assert_before(strstr(got, "/before"), strstr(got, big));
	ck_assert_before(strstr(got, big), strstr(got, "/after"));
	ck_assert_uint_eq(count_lines(got, "\n"), 3);
}
END_TEST

/* The lines owed to a file go to it before a reopen starts another. */
START_TEST(test_reopen)
{
	request("/old", 200);
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(log_reopen(), 1);
	request("/new", 200);
	log_flush();
	read_log(moved);
	ck_assert_ptr_nonnull(strstr(got, "/old"));
	ck_assert_ptr_null(strstr(got, "/new"));
	read_log(path);
	ck_assert_ptr_nonnull(strstr(got, "log file"));
	ck_assert_ptr_nonnull(strstr(got, "/new"));
	ck_assert_ptr_null(strstr(got, "/old"));
}
END_TEST

/* exit() writes what waits; a forked child never writes its parent's
 * lines (its own go out as usual). */
START_TEST(test_exit_and_fork)
{
	pid_t	pid;
	int	status;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		request("/at-exit", 200);
		exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	read_log(path);
	ck_assert_uint_eq(count_lines(got, "/at-exit"), 1);

	request("/parent", 200);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		log_info("child line");
		exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	log_flush();
	read_log(path);
	ck_assert_uint_eq(count_lines(got, "/parent"), 1);
	ck_assert_uint_eq(count_lines(got, "child line"), 1);
}
END_TEST

/*
 * With an event base, the lines wait for a timer (LOG_FLUSH_DELAY_MS
 * after the first), not for the end of the loop turn: a turn under load
 * is a few dozen requests, and a write per turn cost more than the
 * rest of the log.
 */
START_TEST(test_flush_timer)
{
	struct event_base	*base;

	ck_assert_ptr_nonnull(base = event_base_new());
	log_set_base(base);
	request("/one", 200);
	request("/two", 200);
	/* A turn of the loop with nothing else to do writes nothing. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_gt(log_buffered(), 0);
	ck_assert_uint_eq(read_log(path), 0);
	/* The timer does, in one go (the loop waits for it: it is the
	 * only event). */
	ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_uint_eq(log_buffered(), 0);
	read_log(path);
	ck_assert_before(strstr(got, "/one"), strstr(got, "/two"));
	/* And again for the next line. */
	request("/three", 200);
	ck_assert_uint_gt(log_buffered(), 0);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_uint_eq(log_buffered(), 0);
	read_log(path);
	ck_assert_ptr_nonnull(strstr(got, "/three"));
	/* Without the base, nothing is left behind. */
	request("/four", 200);
	log_set_base(NULL);
	read_log(path);
	ck_assert_ptr_nonnull(strstr(got, "/four"));
	event_base_free(base);
}
END_TEST

/* --access-log off: nothing is made, nothing waits. */
START_TEST(test_access_off)
{
	log_set_source(LOG_SOURCE_ACCESS, 0);
	request("/mcp", 200);
	ck_assert_uint_eq(log_buffered(), 0);
	log_set_source(LOG_SOURCE_ACCESS, -1);
	log_set_level(LOG_LEVEL_WARN);
	request("/mcp", 200);
	ck_assert_uint_eq(log_buffered(), 0);
	log_flush();
	ck_assert_uint_eq(read_log(path), 0);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("buffer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_text_line);
	tcase_add_test(tc, test_text_escapes);
	tcase_add_test(tc, test_json_line);
	tcase_add_test(tc, test_server_field);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_full_flushes);
	tcase_add_test(tc, test_huge_line);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_exit_and_fork);
	tcase_add_test(tc, test_access_off);
	tcase_add_test(tc, test_flush_timer);
	suite_add_tcase(s, tc);
	return s;
}
