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

#include <errno.h>

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
static char	fifo[sizeof dir + 16];
/* What the file holds (read_log), NUL-terminated. */
static char	got[8 * LOG_BUFFER_SIZE];
static size_t	got_len;

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/log", dir);
	snprintf(moved, sizeof moved, "%s/log.1", dir);
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT, "t");
	ck_assert_int_eq(log_open_file(path), 0);
}

static void
teardown(void)
{
	unlink(path);
	unlink(moved);
	unlink(fifo);
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

/*
 * A log reader that stops reading: --log-file is a FIFO whose reader
 * holds it open and reads nothing (its pipe made as small as it goes,
 * one page).  The read end, not blocking; the log writes to the FIFO.
 */
static int
stalled_fifo(void)
{
	int	rfd;

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_ne(rfd = open(fifo, O_RDONLY | O_NONBLOCK), -1);
	ck_assert_int_ne(fcntl(rfd, F_SETPIPE_SZ, 4096), -1);
	ck_assert_int_eq(log_open_file(fifo), 0);
	return rfd;
}

/* The reader reads again: what is in the pipe, appended to got, then
 * what the log had waiting, until nothing more comes. */
static void
read_fifo(int rfd)
{
	ssize_t	n;
	int	i, idle = 0;

	for (i = 0; i < 100000 && idle < 2; i++) {
		n = read(rfd, got + got_len, sizeof got - 1 - got_len);
		if (n > 0) {
			got_len += (size_t)n;
			idle = 0;
			continue;
		}
		ck_assert(n == -1 && errno == EAGAIN);
		if (log_buffered() == 0)
			idle++;
		log_flush();
	}
	ck_assert_int_lt(i, 100000);
	got[got_len] = '\0';
}

#define ACCESS_LINE	" POST /mcp 200 12ms session 01234567 tools/call\n"
#define DROPPED \
	" log lines were dropped: the log reader did not keep up\n"

/* Every line in got is whole: an access line or the warning; the
 * number the warnings say, summed. */
static unsigned long long
check_whole(size_t *access)
{
	char			*p = got, *nl;
	unsigned long long	 dropped = 0;
	const char		*w;

	*access = 0;
	while ((nl = strchr(p, '\n')) != NULL) {
		ck_assert_int_eq(p[4], '-');
		ck_assert_int_eq(p[23], 'Z');
		if (strncmp(nl + 1 - strlen(ACCESS_LINE), ACCESS_LINE,
		    strlen(ACCESS_LINE)) == 0)
			(*access)++;
		else {
			ck_assert_ptr_nonnull(w = strstr(p, "]: warn: "));
			ck_assert_int_lt(w - p, nl - p);
			dropped += strtoull(w + 9, NULL, 10);
			ck_assert_int_eq(strncmp(strchr(w + 9, ' '), DROPPED,
			    strlen(DROPPED)), 0);
		}
		p = nl + 1;
	}
	ck_assert_int_eq(*p, '\0');	/* nothing after the last line */
	return dropped;
}

/*
 * The reader stops: the log never waits for it.  What does not fit is
 * dropped whole and counted; when it reads again every line it gets is
 * whole, the warning says how many it missed, and the lines after come
 * after it.
 */
START_TEST(test_stall_drops_whole)
{
	unsigned long long	before = log_lines_dropped(), dropped;
	size_t			i, access;
	int			rfd = stalled_fifo();

	for (i = 0; i < 3000; i++) {
		request("/mcp", 200);
		ck_assert_uint_le(log_buffered(), LOG_BUFFER_SIZE);
	}
	log_flush();
	ck_assert_uint_gt(log_buffered(), LOG_BUFFER_SIZE - 200);
	ck_assert_uint_gt(log_lines_dropped(), before);
	got_len = 0;
	read_fifo(rfd);
	dropped = check_whole(&access);
	ck_assert_uint_eq(dropped, log_lines_dropped() - before);
	ck_assert_uint_eq(access + dropped, 3000);
	/* Later lines come after the warning. */
	request("/mcp", 200);
	log_info("later");
	read_fifo(rfd);
	ck_assert_before(strstr(got, DROPPED), strstr(got, "info: later\n"));
	ck_assert_uint_eq(count_lines(got, DROPPED), 1);
	ck_assert_uint_eq(count_lines(got, ACCESS_LINE), access + 1);
	close(rfd);
}
END_TEST

/* A line taken while earlier ones were dropped has the warning in front
 * of it, in JSON as well: the order of the log is the order of time. */
START_TEST(test_stall_warning_in_order)
{
	char	*w;
	size_t	i;
	ssize_t	n;
	int	rfd;

	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, "t");
	rfd = stalled_fifo();
	for (i = 0; i < 2000; i++)
		request("/before", 200);
	log_info("dropped");	/* the buffer is full: this goes too */
	/* The reader takes a little; the timer writes what it can, then
	 * the next line is taken, after the warning. */
	ck_assert_int_gt(n = read(rfd, got, sizeof got - 1), 0);
	got_len = (size_t)n;
	log_flush();
	request("/after", 200);
	read_fifo(rfd);
	ck_assert_ptr_null(strstr(got, "\"msg\":\"dropped\""));
	ck_assert_ptr_nonnull(w = strstr(got, "\"level\":\"warn\",\"msg\":\""));
	ck_assert_int_eq(strncmp(strchr(w + 23, ' '), " log lines were "
	    "dropped: the log reader did not keep up\"}\n", 58), 0);
	ck_assert_before(strstr(got, "/before"), w);
	ck_assert_before(w, strstr(got, "\"path\":\"/after\""));
	/* No /before after the warning. */
	ck_assert_ptr_null(strstr(w, "/before"));
	close(rfd);
}
END_TEST

/* A line longer than the buffer, whose reader stalls halfway and reads
 * again within LOG_LINE_WAIT_MS: it goes out whole, before the next. */
START_TEST(test_long_line_finishes_first)
{
	static char	big[3 * LOG_BUFFER_SIZE];
	pid_t		pid;
	int		rfd, status, out;
	ssize_t		n;

	rfd = stalled_fifo();
	memset(big, 'x', sizeof big - 1);
	big[0] = '/';
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		/* The reader: asleep a while, then reading to the end. */
		char	b[4096];

		/* Not a writer of the FIFO: it would never end. */
		if (log_open_file(path) == -1)
			_exit(1);
		out = open(moved, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		usleep(50 * 1000);
		fcntl(rfd, F_SETFL, 0);
		while ((n = read(rfd, b, sizeof b)) > 0)
			if (write(out, b, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	close(rfd);
	request(big, 200);
	request("/after", 200);
	/* The FIFO's last writer goes: the reader sees its end. */
	ck_assert_int_eq(log_open_file(path), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	read_log(moved);
	ck_assert_ptr_nonnull(strstr(got, big));
	ck_assert_ptr_null(strstr(got, LOG_CUT_MARK));
	ck_assert_before(strstr(got, big), strstr(got, "/after"));
	ck_assert_uint_eq(count_lines(got, "\n"), 2);
}
END_TEST

/* One whose reader does not come back: cut after LOG_LINE_WAIT_MS and
 * marked so, counted; a line that has not started when the reader is
 * behind is dropped whole. */
START_TEST(test_long_line_cut)
{
	static char		big[3 * LOG_BUFFER_SIZE];
	unsigned long long	before = log_lines_dropped();
	size_t			access;
	char			*cut;
	int			rfd = stalled_fifo();

	memset(big, 'x', sizeof big - 1);
	big[0] = '/';
	request(big, 200);
	ck_assert_uint_eq(log_lines_dropped(), before + 1);
	got_len = 0;
	read_fifo(rfd);
	ck_assert_ptr_nonnull(cut = strstr(got, LOG_CUT_MARK "\n"));
	ck_assert_ptr_nonnull(strstr(got, "1" DROPPED));
	ck_assert_ptr_null(strstr(got, big));
	/* Now the reader is behind with whole lines waiting: a long line
	 * is dropped whole, nothing of it goes out. */
	memmove(got, cut + strlen(LOG_CUT_MARK) + 1,
	    got_len - (size_t)(cut + strlen(LOG_CUT_MARK) + 1 - got) + 1);
	got_len = strlen(got);
	while (log_buffered() < LOG_BUFFER_SIZE / 2)
		request("/mcp", 200);
	request(big, 200);
	read_fifo(rfd);
	ck_assert_ptr_null(strstr(got, "xxxxxxxxxxxxxxxxxxxxxxxx"));
	ck_assert_uint_ge(check_whole(&access), 1);
	close(rfd);
}
END_TEST

/* A line longer than the buffer that is the first taken after a gap:
 * the warning goes out in front of it, as in front of any other (and
 * another after it, for the line itself, cut: nobody reads on). */
START_TEST(test_long_line_after_gap)
{
	static char	big[3 * LOG_BUFFER_SIZE];
	unsigned long long before = log_lines_dropped();
	ssize_t		n;
	size_t		i;
	int		rfd = stalled_fifo();

	/* A pipe that takes all of the buffer at once, and more. */
	ck_assert_int_ne(fcntl(rfd, F_SETPIPE_SZ, 2 * LOG_BUFFER_SIZE), -1);
	memset(big, 'x', sizeof big - 1);
	big[0] = '/';
	for (i = 0; i < 3000; i++)
		request("/mcp", 200);
	ck_assert_uint_gt(log_lines_dropped(), before);
	/* The reader empties the pipe; nothing flushes the buffer. */
	got_len = 0;
	while ((n = read(rfd, got + got_len, sizeof got - 1 - got_len)) > 0)
		got_len += (size_t)n;
	request(big, 200);
	read_fifo(rfd);
	ck_assert_before(strstr(got, DROPPED), strstr(got, " POST /xxx"));
	ck_assert_ptr_null(strstr(strstr(got, DROPPED), ACCESS_LINE));
	/* No reader came back for it: cut, and said so after. */
	ck_assert_before(strstr(got, LOG_CUT_MARK "\n"),
	    strstr(got, "]: warn: 1" DROPPED));
	ck_assert_uint_eq(count_lines(got, DROPPED), 2);
	close(rfd);
}
END_TEST

/* A forked child never writes its parent's waiting lines, nor says its
 * parent's dropped ones; its own line goes out (at exit, when the
 * reader reads again). */
START_TEST(test_stall_fork)
{
	char	want[64];
	pid_t	pid, w = 0;
	int	rfd = stalled_fifo(), status;
	size_t	i;

	for (i = 0; i < 2000; i++)
		request("/parent", 200);
	ck_assert_uint_gt(log_lines_dropped(), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		log_info("child line");
		exit(0);	/* waits for the reader, LOG_EXIT_WAIT_MS */
	}
	got_len = 0;
	/* Read while the child waits at its exit. */
	for (i = 0; i < 2000 && (w = waitpid(pid, &status, WNOHANG)) == 0;
	    i++) {
		ssize_t n = read(rfd, got + got_len, sizeof got - 1 - got_len);

		if (n > 0)
			got_len += (size_t)n;
		else
			usleep(1000);
	}
	ck_assert_int_eq(w, pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	read_fifo(rfd);
	ck_assert_uint_eq(count_lines(got, "child line"), 1);
	snprintf(want, sizeof want, " t[%ld]: warn:", (long)pid);
	ck_assert_ptr_null(strstr(got, want));
	snprintf(want, sizeof want, " t[%ld]: info: 127", (long)pid);
	ck_assert_ptr_null(strstr(got, want));
	snprintf(want, sizeof want, " t[%ld]: warn:", (long)getpid());
	ck_assert_uint_eq(count_lines(got, want), 1);
	close(rfd);
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
	tcase_add_test(tc, test_stall_drops_whole);
	tcase_add_test(tc, test_stall_warning_in_order);
	tcase_add_test(tc, test_long_line_finishes_first);
	tcase_add_test(tc, test_long_line_cut);
	tcase_add_test(tc, test_long_line_after_gap);
	tcase_add_test(tc, test_stall_fork);
	suite_add_tcase(s, tc);
	return s;
}
