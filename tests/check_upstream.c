/* SPDX-License-Identifier: ISC */
/*
 * check_upstream.c: real children and sockets on a real event loop.
 *
 * Every wait is bounded twice: in loop turns and in wall time (a ticking
 * timer makes sure each turn returns).  Check forks each test, so a test
 * may change process-wide state (log level, stderr, subreaper).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "checktest.h"
#include "log.h"
#include "upstream.h"

#define H_MAX_MSGS	32
#define H_MAX_EVENTS	16
#define RUN_MAX_TURNS	100000
#define RUN_TICK_MS	20
#define CAPTURE_MAX	(256 * 1024)

/* Everything the callbacks saw; owns the messages. */
struct h {
	struct event_base	*base;
	struct upstream		*u;

	json_object		*msgs[H_MAX_MSGS];
	int			 nmsgs;
	int			 ups;
	int			 downs;
	int			 stopped;
	int			 spawn_failed;
	char			 spawn_cause[256];
	char			 cause[128];
	int			 will_restart;
	int64_t			 t_up[H_MAX_EVENTS];
	int64_t			 t_down[H_MAX_EVENTS];
	int			 delay[H_MAX_EVENTS];	/* at each down */

	/* What the callbacks should do. */
	json_object		*send_on_up;
	int			 send_result;
	uint64_t		 stop_at_restarts;	/* 0: never */
	int			 stop_on_down;
	int			 free_on_stopped;
	int			 healthy_on_up;		/* upstream_healthy */
	const char		*remove_on_down;	/* a file, once */

	/* The socket peer, for connect mode. */
	int			 lfd;
	struct event		*ev_listen;
	struct bufferevent	*peer;
	struct evbuffer		*peer_in;
	int			 accepts;
};

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
h_message(void *arg, json_object *msg)
{
	struct h	*h = arg;

	ck_assert_int_lt(h->nmsgs, H_MAX_MSGS);
	h->msgs[h->nmsgs++] = msg;
}

static void
h_up(void *arg)
{
	struct h	*h = arg;

	if (h->ups < H_MAX_EVENTS)
		h->t_up[h->ups] = now_ms();
	h->ups++;
	if (h->send_on_up != NULL)
		h->send_result = upstream_send(h->u, h->send_on_up);
	if (h->healthy_on_up)
		upstream_healthy(h->u);
	if (h->stop_at_restarts != 0 &&
	    upstream_stats(h->u)->restarts >= h->stop_at_restarts)
		upstream_stop(h->u);
}

static void
h_down(void *arg, const char *cause, int will_restart)
{
	struct h	*h = arg;

	if (h->downs < H_MAX_EVENTS) {
		h->t_down[h->downs] = now_ms();
		h->delay[h->downs] = upstream_restart_delay(h->u);
	}
	h->downs++;
	snprintf(h->cause, sizeof h->cause, "%s", cause);
	h->will_restart = will_restart;
	if (h->remove_on_down != NULL) {
		ck_assert_int_eq(unlink(h->remove_on_down), 0);
		h->remove_on_down = NULL;
	}
	if (h->stop_on_down)
		upstream_stop(h->u);
}

static void
h_spawn_failed(void *arg, const char *cause)
{
	struct h	*h = arg;

	h->spawn_failed++;
	snprintf(h->spawn_cause, sizeof h->spawn_cause, "%s", cause);
}

static void
h_stopped(void *arg)
{
	struct h	*h = arg;

	h->stopped++;
	if (h->free_on_stopped) {
		upstream_free(h->u);
		h->u = NULL;
	}
}

static const struct upstream_ops h_ops = {
	.on_message = h_message,
	.on_up = h_up,
	.on_down = h_down,
	.on_spawn_failed = h_spawn_failed,
	.on_stopped = h_stopped,
};

static void
h_init(struct h *h)
{
	struct event_config	*cfg;

	memset(h, 0, sizeof *h);
	/* libevent's default clock is coarse (a few ms): timers could look
	 * early to the timing assertions below. */
	cfg = event_config_new();
	ck_assert_ptr_nonnull(cfg);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	h->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	ck_assert_ptr_nonnull(h->base);
	h->lfd = -1;
}

static void
h_config(struct upstream_config *uc, char *const *argv)
{
	memset(uc, 0, sizeof *uc);
	uc->argv = argv;
	uc->restart = UPSTREAM_RESTART_NO;
	uc->kill_timeout_ms = 2000;
	uc->tag = "kid";
}

static void
h_done(struct h *h)
{
	int	i;

	if (h->u != NULL)
		upstream_free(h->u);
	for (i = 0; i < h->nmsgs; i++)
		json_object_put(h->msgs[i]);
	if (h->send_on_up != NULL)
		json_object_put(h->send_on_up);
	if (h->peer != NULL)
		bufferevent_free(h->peer);
	if (h->peer_in != NULL)
		evbuffer_free(h->peer_in);
	if (h->ev_listen != NULL)
		event_free(h->ev_listen);
	if (h->lfd != -1)
		close(h->lfd);
	event_base_free(h->base);
}

static void
tick(evutil_socket_t fd, short events, void *arg)
{
	/* Only here so that each loop turn returns. */
}

/* Runs the loop until cond holds or timeout_ms passed; returns cond. */
static int
run_until(struct h *h, int (*cond)(struct h *), int timeout_ms)
{
	struct event	*ev;
	struct timeval	 tv = { 0, RUN_TICK_MS * 1000 };
	int64_t		 start = now_ms();
	int		 i;

	ev = event_new(h->base, -1, EV_PERSIST, tick, NULL);
	event_add(ev, &tv);
	for (i = 0; i < RUN_MAX_TURNS; i++) {
		if (cond != NULL && cond(h))
			break;
		if (now_ms() - start >= timeout_ms)
			break;
		event_base_loop(h->base, EVLOOP_ONCE);
	}
	event_free(ev);
	return cond != NULL ? cond(h) : 1;
}

static int
got_msg(struct h *h)
{
	return h->nmsgs >= 1;
}

static int
got_down(struct h *h)
{
	return h->downs >= 1;
}

static int
got_spawn_failed(struct h *h)
{
	return h->spawn_failed >= 1;
}

static int
got_stopped(struct h *h)
{
	return h->stopped >= 1;
}

static const char *
msg_string(json_object *msg, const char *key)
{
	json_object	*v;

	ck_assert(json_object_object_get_ex(msg, key, &v));
	return json_object_get_string(v);
}

/* ---- capturing our own stderr, where the log goes ---- */

struct capture {
	int	fd;
	int	saved;
};

static void
capture_start(struct capture *c)
{
	char	path[] = "/tmp/check_upstream.log.XXXXXX";

	ck_assert_int_ne(c->fd = mkstemp(path), -1);
	unlink(path);
	fflush(stderr);
	ck_assert_int_ne(c->saved = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(dup2(c->fd, STDERR_FILENO), -1);
}

/* Returns what was logged; the caller frees it. */
static char *
capture_end(struct capture *c)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;

	fflush(stderr);
	ck_assert_int_ne(dup2(c->saved, STDERR_FILENO), -1);
	close(c->saved);
	buf = malloc(CAPTURE_MAX + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(lseek(c->fd, 0, SEEK_SET), 0);
	while (len < CAPTURE_MAX &&
	    (n = read(c->fd, buf + len, CAPTURE_MAX - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(c->fd);
	return buf;
}

/* Longest run of c in s. */
static size_t
longest_run(const char *s, char c)
{
	size_t	best = 0, run = 0;

	for (; *s != '\0'; s++) {
		run = *s == c ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* Occurrences of needle in s. */
static int
count(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* ---- temporary directories ---- */

static void
tmpdir_make(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/check_upstream.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
tmpdir_remove(const char *dir, const char *file)
{
	char	path[PATH_MAX];

	if (file != NULL) {
		snprintf(path, sizeof path, "%s/%s", dir, file);
		unlink(path);
	}
	rmdir(dir);
}

/* ---- processes ---- */

/*
 * Whether pid is gone, waiting up to timeout_ms.  As a subreaper we reap
 * the orphan ourselves; otherwise init does and kill() starts to fail.
 */
static int
wait_gone(pid_t pid, int timeout_ms, int subreaper)
{
	int64_t	start = now_ms();
	int	status, i;

	for (i = 0; i < 1000; i++) {
		if (subreaper && waitpid(pid, &status, WNOHANG) == pid)
			return kill(pid, 0) == -1 && errno == ESRCH;
		if (!subreaper && kill(pid, 0) == -1 && errno == ESRCH)
			return 1;
		if (now_ms() - start >= timeout_ms)
			break;
		usleep(10 * 1000);
	}
	return 0;
}

static pid_t
read_pid(const char *path)
{
	FILE	*f;
	long	 pid = -1;

	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

static int
become_subreaper(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
#else
	return 0;
#endif
}

/* ---- tests ---- */

START_TEST(test_echo_roundtrip)
{
	char *const		 argv[] = { "/bin/sh", "-c",
	    "while read -r l; do printf '%s\\n' \"$l\"; done", NULL };
	const char		*line = "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"method\":\"ping\",\"params\":{\"s\":\"a/b \\n c\"}}";
	struct upstream_config	 uc;
	const struct upstream_stats *st;
	struct h		 h;
	pid_t			 pid;
	int64_t			 t0;

	h_init(&h);
	h_config(&uc, argv);
	uc.kill_timeout_ms = 3000;
	h.send_on_up = json_tokener_parse(line);
	ck_assert_ptr_nonnull(h.send_on_up);
	h.send_result = -2;
	h.free_on_stopped = 1;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);

	ck_assert_int_eq(upstream_start(h.u), 0);
	/* on_up came from upstream_start; it could send at once. */
	ck_assert_int_eq(h.ups, 1);
	ck_assert_int_eq(h.send_result, 0);
	ck_assert(upstream_is_up(h.u));
	ck_assert_int_gt(pid = upstream_pid(h.u), 0);

	ck_assert(run_until(&h, got_msg, 5000));
	ck_assert_int_eq(h.nmsgs, 1);
	ck_assert(json_object_equal(h.msgs[0], h.send_on_up));
	st = upstream_stats(h.u);
	ck_assert_uint_eq(st->messages_out, 1);
	ck_assert_uint_eq(st->messages_in, 1);
	ck_assert_uint_eq(st->bytes_out, strlen(line) + 1);
	ck_assert_uint_eq(st->bytes_in, strlen(line) + 1);
	ck_assert_uint_eq(st->starts, 1);

	/* It exits on stdin EOF: no signal needed, well within the timeout.
	 * on_stopped frees the upstream. */
	t0 = now_ms();
	upstream_stop(h.u);
	ck_assert(!upstream_is_up(h.u));
	ck_assert(run_until(&h, got_stopped, 5000));
	ck_assert_int_lt(now_ms() - t0, 2500);
	ck_assert_ptr_null(h.u);
	ck_assert_int_eq(h.downs, 0);
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	h_done(&h);
}
END_TEST

START_TEST(test_exit_status)
{
	char *const		 argv[] = { "/bin/sh", "-c", "exit 3", NULL };
	struct upstream_config	 uc;
	const struct upstream_stats *st;
	struct h		 h;
	json_object		*msg;

	h_init(&h);
	h_config(&uc, argv);
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_down, 5000));
	ck_assert_str_eq(h.cause, "exited with status 3");
	ck_assert_int_eq(h.will_restart, 0);
	st = upstream_stats(h.u);
	ck_assert(WIFEXITED(st->last_status));
	ck_assert_int_eq(WEXITSTATUS(st->last_status), 3);
	ck_assert(!upstream_is_up(h.u));
	ck_assert_int_eq(upstream_pid(h.u), -1);
	msg = json_object_new_object();
	ck_assert_int_eq(upstream_send(h.u, msg), -1);
	json_object_put(msg);

	/* restart=no: nothing comes back. */
	run_until(&h, NULL, 300);
	ck_assert_int_eq(h.ups, 1);
	ck_assert_int_eq(h.downs, 1);
	ck_assert_uint_eq(st->restarts, 0);

	/* Stopping what is not running: on_stopped, but not from inside
	 * upstream_stop. */
	upstream_stop(h.u);
	ck_assert_int_eq(h.stopped, 0);
	ck_assert(run_until(&h, got_stopped, 2000));
	ck_assert_int_eq(h.stopped, 1);
	h_done(&h);
}
END_TEST

START_TEST(test_killed_by_signal)
{
	char *const		 argv[] = { "/bin/sh", "-c", "kill -9 $$",
	    NULL };
	struct upstream_config	 uc;
	struct h		 h;

	h_init(&h);
	h_config(&uc, argv);
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_down, 5000));
	/* Read after the child's name in a log line: "child killed by
	 * signal 9 (SIGKILL)". */
	ck_assert_str_eq(h.cause, "killed by signal 9 (SIGKILL)");
	ck_assert(WIFSIGNALED(upstream_stats(h.u)->last_status));
	h_done(&h);
}
END_TEST

START_TEST(test_stderr_relayed)
{
	char *const		 argv[] = { "/bin/sh", "-c",
	    "echo 'hello from stderr' >&2;"
	    "head -c 20000 /dev/zero | tr '\\0' a >&2; echo >&2;"
	    "echo 'after the long one' >&2;"
	    "printf 'no newline' >&2", NULL };
	struct upstream_config	 uc;
	struct capture		 cap;
	struct h		 h;
	char			*log;

	log_set_level(LOG_LEVEL_INFO);
	h_init(&h);
	h_config(&uc, argv);
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	capture_start(&cap);
	ck_assert_int_eq(upstream_start(h.u), 0);
	run_until(&h, got_down, 5000);
	log = capture_end(&cap);
	ck_assert_int_eq(h.downs, 1);

	ck_assert_ptr_nonnull(strstr(log, "[kid] hello from stderr\n"));
	ck_assert_ptr_nonnull(strstr(log, "[kid] after the long one\n"));
	/* The last line had no newline; the child's end flushed it. */
	ck_assert_ptr_nonnull(strstr(log, "[kid] no newline\n"));
	/* The 20000-byte line was cut at 8 KiB, and its tail dropped. */
	ck_assert_uint_eq(longest_run(log, 'a'), 8192);
	ck_assert_int_eq(count(log, "[kid] aa"), 1);
	free(log);
	h_done(&h);
}
END_TEST

START_TEST(test_env_and_cwd)
{
	char *const		 argv[] = { "/bin/sh", "-c",
	    "printf '{\"v\":\"%s\",\"d\":\"%s\"}\\n' \"$FOO\" \"$(pwd -P)\"",
	    NULL };
	char *const		 env[] = { "FOO=bar baz", NULL };
	struct upstream_config	 uc;
	struct h		 h;
	char			 dir[64], real[PATH_MAX];

	tmpdir_make(dir, sizeof dir);
	ck_assert_ptr_nonnull(realpath(dir, real));
	h_init(&h);
	h_config(&uc, argv);
	uc.env = env;
	uc.cwd = dir;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_msg, 5000));
	ck_assert_str_eq(msg_string(h.msgs[0], "v"), "bar baz");
	ck_assert_str_eq(msg_string(h.msgs[0], "d"), real);
	/* Only the child's environment changed. */
	ck_assert_ptr_null(getenv("FOO"));
	run_until(&h, got_down, 5000);
	ck_assert_str_eq(h.cause, "exited with status 0");
	h_done(&h);
	tmpdir_remove(dir, NULL);
}
END_TEST

START_TEST(test_bad_cwd_and_command)
{
	char *const		 sh[] = { "/bin/sh", "-c", "exit 0", NULL };
	char *const		 missing[] = { "/nonexistent/mcp-server",
	    NULL };
	char *const		 noexec[] = { "/dev/null", NULL };
	struct upstream_config	 uc;
	struct capture		 cap;
	struct h		 h;
	char			*log;

	/* An exec that fails is known in upstream_start, at error level,
	 * with the reason: nothing starts, no on_up, no on_down. */
	log_set_level(LOG_LEVEL_ERROR);
	capture_start(&cap);

	h_init(&h);
	h_config(&uc, sh);
	uc.cwd = "/nonexistent/dir";
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), -1);
	ck_assert_int_eq(h.ups, 0);
	ck_assert_int_eq(upstream_pid(h.u), -1);
	h_done(&h);

	h_init(&h);
	h_config(&uc, missing);
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), -1);
	ck_assert_int_eq(h.ups, 0);
	h_done(&h);

	h_init(&h);
	h_config(&uc, noexec);
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), -1);
	h_done(&h);

	log = capture_end(&cap);
	ck_assert_ptr_nonnull(strstr(log, "error: kid: cannot run '/bin/sh' "
	    "in '/nonexistent/dir': No such file or directory"));
	ck_assert_ptr_nonnull(strstr(log, "error: kid: cannot run "
	    "'/nonexistent/mcp-server': No such file or directory"));
	ck_assert_ptr_nonnull(strstr(log, "error: kid: cannot run "
	    "'/dev/null': Permission denied"));
	free(log);
}
END_TEST

START_TEST(test_restart_backoff)
{
	char *const		 argv[] = { "/bin/sh", "-c", "exit 1", NULL };
	struct upstream_config	 uc;
	const struct upstream_stats *st;
	struct h		 h;
	int			 i;

	h_init(&h);
	h_config(&uc, argv);
	uc.restart = UPSTREAM_RESTART_ON_FAILURE;
	uc.backoff_min_ms = 50;
	uc.backoff_max_ms = 10000;
	h.stop_at_restarts = 3;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_stopped, 10000));

	st = upstream_stats(h.u);
	ck_assert_uint_eq(st->restarts, 3);
	ck_assert_uint_eq(st->starts, 4);
	ck_assert_int_eq(h.ups, 4);
	/* The fourth exit came during the stop: on_stopped, not on_down. */
	ck_assert_int_eq(h.downs, 3);
	ck_assert_int_eq(h.will_restart, 1);
	ck_assert_str_eq(h.cause, "exited with status 1");
	/* 50, 100, 200 ms: each wait at least twice the one before.  Only
	 * lower bounds: a busy machine may be late, never early (2 ms for
	 * the rounding of our stamps).  Up to up, not down to up: on_down
	 * runs after the timer is armed, and may be late itself. */
	for (i = 0; i < 3; i++)
		ck_assert_int_ge(h.t_up[i + 1] - h.t_up[i], (50 << i) - 2);
	h_done(&h);
}
END_TEST

/*
 * The command is removed while it runs: the restart cannot run it, which
 * on_spawn_failed tells with the reason (at once, not after a timeout),
 * and it is tried again with backoff; back in place, it runs again.
 */
START_TEST(test_restart_cannot_run)
{
	struct upstream_config	 uc;
	struct capture		 cap;
	struct h		 h;
	char			 dir[64], path[PATH_MAX], want[PATH_MAX + 64];
	char			*argv[2], *log;
	FILE			*f;

	tmpdir_make(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/server", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("#!/bin/sh\nexit 1\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	argv[0] = path;
	argv[1] = NULL;

	log_set_level(LOG_LEVEL_ERROR);
	capture_start(&cap);
	h_init(&h);
	h_config(&uc, argv);
	uc.restart = UPSTREAM_RESTART_ON_FAILURE;
	uc.backoff_min_ms = 50;
	uc.backoff_max_ms = 50;
	h.remove_on_down = path;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_spawn_failed, 5000));
	snprintf(want, sizeof want, "cannot run '%s': No such file or "
	    "directory", path);
	ck_assert_str_eq(h.spawn_cause, want);
	ck_assert_str_eq(upstream_error(h.u), want);
	ck_assert_int_eq(h.ups, 1);
	ck_assert_int_eq(h.downs, 1);
	ck_assert_int_eq(upstream_is_up(h.u), 0);

	/* Back in place: the next attempt runs it. */
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("#!/bin/sh\nexit 1\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	h.stop_at_restarts = 1;
	ck_assert(run_until(&h, got_stopped, 5000));
	ck_assert_int_eq(h.ups, 2);
	ck_assert_ptr_null(upstream_error(h.u));
	h_done(&h);
	log = capture_end(&cap);
	ck_assert_ptr_nonnull(strstr(log, "error: kid: cannot run '"));
	free(log);
	tmpdir_remove(dir, "server");
}
END_TEST

/* A child found working before it dies is restarted after the shortest
 * delay every time; the backoff is for those that die before. */
START_TEST(test_backoff_reset_when_healthy)
{
	char *const		 argv[] = { "/bin/sh", "-c", "exit 1", NULL };
	struct upstream_config	 uc;
	struct capture		 cap;
	struct h		 h;
	char			*log, *p;
	int			 i, n;

	/* With an on_down, upstream's delay line is a debug one: its
	 * owner tells the user (upstream_restart_delay). */
	log_set_level(LOG_LEVEL_DEBUG);
	h_init(&h);
	h_config(&uc, argv);
	uc.restart = UPSTREAM_RESTART_ON_FAILURE;
	uc.backoff_min_ms = 50;
	uc.backoff_max_ms = 10000;
	h.healthy_on_up = 1;
	h.stop_at_restarts = 5;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	capture_start(&cap);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_stopped, 10000));
	log = capture_end(&cap);
	ck_assert_int_eq(h.ups, 6);
	/* 5 x 50 ms, where doubling would wait 50 + 100 + ... + 800 ms.
	 * The delays chosen are in the log, whatever the load; the clock
	 * only shows none was shorter (up to up: the timer was armed after
	 * the child came up and died). */
	for (n = 0, p = log; (p = strstr(p, "kid: restarting in ")) != NULL;
	    n++, p++)
		ck_assert_msg(strncmp(p, "kid: restarting in 50 ms\n", 25) == 0,
		    "a longer delay: %.40s", p);
	ck_assert_int_eq(n, 5);
	/* ... and the owner learns it, for its line. */
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(h.delay[i], 50);
	for (i = 0; i < 5; i++)
		ck_assert_int_ge(h.t_up[i + 1] - h.t_up[i], 50 - 2);
	free(log);
	h_done(&h);
}
END_TEST

START_TEST(test_no_restart_after_success)
{
	char *const		 argv[] = { "/bin/sh", "-c", "exit 0", NULL };
	struct upstream_config	 uc;
	struct h		 h;

	h_init(&h);
	h_config(&uc, argv);
	uc.restart = UPSTREAM_RESTART_ON_FAILURE;
	uc.backoff_min_ms = 10;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_down, 5000));
	ck_assert_str_eq(h.cause, "exited with status 0");
	ck_assert_int_eq(h.will_restart, 0);
	run_until(&h, NULL, 300);
	ck_assert_int_eq(h.ups, 1);
	ck_assert_uint_eq(upstream_stats(h.u)->restarts, 0);
	h_done(&h);
}
END_TEST

START_TEST(test_always_restarts_success)
{
	char *const		 argv[] = { "/bin/sh", "-c", "exit 0", NULL };
	struct upstream_config	 uc;
	struct h		 h;

	h_init(&h);
	h_config(&uc, argv);
	uc.restart = UPSTREAM_RESTART_ALWAYS;
	uc.backoff_min_ms = 10;
	h.stop_at_restarts = 1;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_stopped, 5000));
	ck_assert_int_eq(h.ups, 2);
	ck_assert_int_eq(h.downs, 1);
	ck_assert_int_eq(h.will_restart, 1);
	h_done(&h);
}
END_TEST

START_TEST(test_stop_in_on_down)
{
	char *const		 argv[] = { "/bin/sh", "-c", "exit 1", NULL };
	struct upstream_config	 uc;
	struct h		 h;

	h_init(&h);
	h_config(&uc, argv);
	uc.restart = UPSTREAM_RESTART_ALWAYS;
	uc.backoff_min_ms = 10;
	h.stop_on_down = 1;
	h.free_on_stopped = 1;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_stopped, 5000));
	ck_assert_int_eq(h.will_restart, 1);
	/* The restart that was scheduled was cancelled by the stop. */
	run_until(&h, NULL, 200);
	ck_assert_int_eq(h.ups, 1);
	ck_assert_int_eq(h.stopped, 1);
	ck_assert_ptr_null(h.u);
	h_done(&h);
}
END_TEST

START_TEST(test_stop_stubborn_child)
{
	char *const		 argv[] = { "/bin/sh", "-c",
	    "trap '' TERM; echo '{\"ready\":1}'; while :; do sleep 1; done",
	    NULL };
	struct upstream_config	 uc;
	struct h		 h;
	int64_t			 t0, took;
	int			 status;

	h_init(&h);
	h_config(&uc, argv);
	uc.kill_timeout_ms = 200;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	/* Past the trap before we stop it. */
	ck_assert(run_until(&h, got_msg, 5000));
	t0 = now_ms();
	upstream_stop(h.u);
	ck_assert(run_until(&h, got_stopped, 10000));
	took = now_ms() - t0;
	/* stdin EOF, 200 ms, SIGTERM (ignored), 200 ms, SIGKILL. */
	ck_assert_int_ge(took, 2 * 200 - 2);
	ck_assert_int_lt(took, 5000);
	status = upstream_stats(h.u)->last_status;
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
	ck_assert_int_eq(h.downs, 0);
	h_done(&h);
}
END_TEST

START_TEST(test_stop_kills_grandchild)
{
	struct upstream_config	 uc;
	struct h		 h;
	char			 dir[64], file[PATH_MAX], cmd[PATH_MAX + 128];
	char			*argv[] = { "/bin/sh", "-c", cmd, NULL };
	int			 subreaper;
	pid_t			 gpid;

	subreaper = become_subreaper();
	tmpdir_make(dir, sizeof dir);
	snprintf(file, sizeof file, "%s/pid", dir);
	snprintf(cmd, sizeof cmd, "sleep 300 & echo $! > '%s'; echo '{}'; "
	    "exec sleep 300", file);

	h_init(&h);
	h_config(&uc, argv);
	uc.kill_timeout_ms = 200;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_msg, 5000));
	gpid = read_pid(file);
	ck_assert_int_eq(kill(gpid, 0), 0);

	upstream_stop(h.u);
	ck_assert(run_until(&h, got_stopped, 5000));
	/* SIGTERM to the group got both; the wrapper alone would not do. */
	ck_assert(WIFSIGNALED(upstream_stats(h.u)->last_status));
	ck_assert_int_eq(WTERMSIG(upstream_stats(h.u)->last_status), SIGTERM);
	ck_assert(wait_gone(gpid, 2000, subreaper));
	h_done(&h);
	tmpdir_remove(dir, "pid");
}
END_TEST

START_TEST(test_exit_kills_grandchild)
{
	struct upstream_config	 uc;
	struct h		 h;
	char			 dir[64], file[PATH_MAX], cmd[PATH_MAX + 128];
	char			*argv[] = { "/bin/sh", "-c", cmd, NULL };
	int			 subreaper;
	pid_t			 gpid;

	subreaper = become_subreaper();
	tmpdir_make(dir, sizeof dir);
	snprintf(file, sizeof file, "%s/pid", dir);
	/* The grandchild holds stdout open after the wrapper exits. */
	snprintf(cmd, sizeof cmd, "sleep 300 & echo $! > '%s'; echo '{}'; "
	    "exit 1", file);

	h_init(&h);
	h_config(&uc, argv);
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_down, 5000));
	ck_assert_str_eq(h.cause, "exited with status 1");
	ck_assert_int_eq(h.nmsgs, 1);
	gpid = read_pid(file);
	ck_assert(wait_gone(gpid, 2000, subreaper));
	h_done(&h);
	tmpdir_remove(dir, "pid");
}
END_TEST

START_TEST(test_stdout_closed_while_running)
{
	char *const		 argv[] = { "/bin/sh", "-c",
	    "exec >&-; sleep 300", NULL };
	struct upstream_config	 uc;
	struct h		 h;

	h_init(&h);
	h_config(&uc, argv);
	uc.kill_timeout_ms = 100;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	/* It can no longer answer: it is terminated, and said so. */
	ck_assert(run_until(&h, got_down, 5000));
	ck_assert_str_eq(h.cause, "killed by signal 15 (SIGTERM)");
	ck_assert_int_eq(h.will_restart, 0);
	h_done(&h);
}
END_TEST

START_TEST(test_two_children_one_loop)
{
	char *const		 quick[] = { "/bin/sh", "-c", "exit 2", NULL };
	char *const		 waits[] = { "/bin/sh", "-c",
	    "read -r l; exit 5", NULL };
	struct upstream_config	 uc;
	struct h		 a, b;
	pid_t			 pid;

	/* Both watch SIGCHLD; each must reap only its own child. */
	h_init(&a);
	memset(&b, 0, sizeof b);
	b.base = a.base;
	b.lfd = -1;
	h_config(&uc, waits);
	b.u = upstream_new(b.base, &uc, &h_ops, &b);
	ck_assert_int_eq(upstream_start(b.u), 0);
	h_config(&uc, quick);
	a.u = upstream_new(a.base, &uc, &h_ops, &a);
	ck_assert_int_eq(upstream_start(a.u), 0);

	ck_assert(run_until(&a, got_down, 5000));
	ck_assert_str_eq(a.cause, "exited with status 2");
	run_until(&b, NULL, 100);
	ck_assert_int_eq(b.downs, 0);
	ck_assert(upstream_is_up(b.u));
	ck_assert_int_gt(pid = upstream_pid(b.u), 0);
	ck_assert_int_eq(kill(pid, 0), 0);

	upstream_stop(b.u);
	ck_assert(run_until(&b, got_stopped, 5000));
	ck_assert(WIFEXITED(upstream_stats(b.u)->last_status));
	ck_assert_int_eq(WEXITSTATUS(upstream_stats(b.u)->last_status), 5);
	upstream_free(b.u);
	h_done(&a);
}
END_TEST

START_TEST(test_counters)
{
	char *const		 argv[] = { "/bin/sh", "-c",
	    "echo banner; echo '{\"id\":1}';"
	    "printf '{\"pad\":\"%0200d\"}\\n' 0;"
	    "echo '{\"id\":2}'", NULL };
	struct upstream_config	 uc;
	const struct upstream_stats *st;
	struct h		 h;
	json_object		*v;

	h_init(&h);
	h_config(&uc, argv);
	uc.max_message = 64;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_down, 5000));
	ck_assert_int_eq(h.nmsgs, 2);
	ck_assert(json_object_object_get_ex(h.msgs[0], "id", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(h.msgs[1], "id", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	st = upstream_stats(h.u);
	ck_assert_uint_eq(st->nonjson, 1);
	ck_assert_uint_eq(st->oversized, 1);
	ck_assert_uint_eq(st->messages_in, 2);
	/* banner\n, {"id":1}\n, {"pad":"0...0"}\n, {"id":2}\n */
	ck_assert_uint_eq(st->bytes_in, 7 + 9 + (8 + 200 + 3) + 9);
	h_done(&h);
}
END_TEST

START_TEST(test_send_refused)
{
	char *const		 argv[] = { "/bin/sh", "-c", "exec sleep 300",
	    NULL };
	struct upstream_config	 uc;
	struct h		 h;
	json_object		*msg;
	size_t			 len;
	int			 i, sent = 0, want;

	h_init(&h);
	h_config(&uc, argv);
	uc.max_output = 1024;
	uc.kill_timeout_ms = 100;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	msg = json_tokener_parse("{\"jsonrpc\":\"2.0\",\"method\":\"x\","
	    "\"params\":{\"pad\":\"0123456789012345678901234567890123456789"
	    "0123456789\"}}");
	ck_assert_ptr_nonnull(msg);
	len = strlen(json_object_to_json_string_ext(msg,
	    JSON_C_TO_STRING_PLAIN)) + 1;

	/* Not started: refused. */
	ck_assert_int_eq(upstream_send(h.u, msg), -1);
	ck_assert_int_eq(upstream_start(h.u), 0);
	/* Without running the loop nothing is written: the queue grows until
	 * it reaches max_output, then sends are refused. */
	for (i = 0; i < 100; i++) {
		if (upstream_send(h.u, msg) == -1)
			break;
		sent++;
	}
	want = (int)((1024 + len - 1) / len);
	ck_assert_int_eq(sent, want);
	ck_assert_int_eq(upstream_send(h.u, msg), -1);
	ck_assert_uint_eq(upstream_stats(h.u)->messages_out, (uint64_t)want);

	upstream_stop(h.u);
	ck_assert_int_eq(upstream_send(h.u, msg), -1);
	ck_assert(run_until(&h, got_stopped, 5000));
	json_object_put(msg);
	h_done(&h);
}
END_TEST

START_TEST(test_free_without_stop)
{
	char *const		 argv[] = { "/bin/sh", "-c", "exec sleep 300",
	    NULL };
	struct upstream_config	 uc;
	struct h		 h;
	pid_t			 pid;

	/* Never started: free is fine, and so is stop then free. */
	h_init(&h);
	h_config(&uc, argv);
	upstream_free(upstream_new(h.base, &uc, &h_ops, &h));
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	upstream_stop(h.u);
	ck_assert(run_until(&h, got_stopped, 2000));
	upstream_free(h.u);

	/* Freed while running (a caller bug): it must not outlive us. */
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	pid = upstream_pid(h.u);
	ck_assert_int_gt(pid, 0);
	upstream_free(h.u);
	h.u = NULL;
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	h_done(&h);
}
END_TEST

/* ---- connect mode: the test is the server ---- */

static void
peer_read(struct bufferevent *bev, void *arg)
{
	struct h	*h = arg;

	evbuffer_add_buffer(h->peer_in, bufferevent_get_input(bev));
}

static void
peer_event(struct bufferevent *bev, short what, void *arg)
{
	struct h	*h = arg;

	bufferevent_free(h->peer);
	h->peer = NULL;
}

static void
peer_accept(evutil_socket_t fd, short events, void *arg)
{
	struct h	*h = arg;
	int		 c;

	if ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC)) == -1)
		return;
	ck_assert_ptr_null(h->peer);
	h->accepts++;
	h->peer = bufferevent_socket_new(h->base, c, BEV_OPT_CLOSE_ON_FREE);
	ck_assert_ptr_nonnull(h->peer);
	bufferevent_setcb(h->peer, peer_read, NULL, peer_event, h);
	bufferevent_enable(h->peer, EV_READ|EV_WRITE);
}

static void
peer_listen(struct h *h, const char *path)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	h->lfd = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
	ck_assert_int_ne(h->lfd, -1);
	ck_assert_int_eq(bind(h->lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(h->lfd, 4), 0);
	h->ev_listen = event_new(h->base, h->lfd, EV_READ|EV_PERSIST,
	    peer_accept, h);
	event_add(h->ev_listen, NULL);
	h->peer_in = evbuffer_new();
}

/* Listens on 127.0.0.1, some free port; returns the port. */
static int
peer_listen_tcp(struct h *h)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->lfd = socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
	ck_assert_int_ne(h->lfd, -1);
	ck_assert_int_eq(bind(h->lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(h->lfd, 4), 0);
	ck_assert_int_eq(getsockname(h->lfd, (struct sockaddr *)&sin, &len),
	    0);
	h->ev_listen = event_new(h->base, h->lfd, EV_READ|EV_PERSIST,
	    peer_accept, h);
	event_add(h->ev_listen, NULL);
	h->peer_in = evbuffer_new();
	return ntohs(sin.sin_port);
}

static int
got_up_and_peer(struct h *h)
{
	return h->ups >= 1 && h->peer != NULL;
}

static int
got_reply(struct h *h)
{
	return evbuffer_get_length(h->peer_in) >= strlen("{\"id\":5}\n");
}

static int
got_reconnected(struct h *h)
{
	return h->ups >= 2 && h->peer != NULL;
}

START_TEST(test_unix_socket)
{
	struct upstream_config	 uc;
	const struct upstream_stats *st;
	struct h		 h;
	char			 dir[64], path[PATH_MAX], addr[PATH_MAX + 8];
	char			 reply[32];
	json_object		*msg;
	size_t			 n;

	tmpdir_make(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/sock", dir);
	snprintf(addr, sizeof addr, "unix:%s", path);

	h_init(&h);
	peer_listen(&h, path);
	h_config(&uc, NULL);
	uc.connect = addr;
	uc.restart = UPSTREAM_RESTART_ON_FAILURE;
	uc.backoff_min_ms = 30;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_up_and_peer, 5000));
	ck_assert_int_eq(upstream_pid(h.u), -1);
	ck_assert(upstream_is_up(h.u));

	/* Peer to upstream, split in two writes. */
	bufferevent_write(h.peer, "{\"hel", 5);
	run_until(&h, NULL, 50);
	ck_assert_int_eq(h.nmsgs, 0);
	bufferevent_write(h.peer, "lo\":1}\n", 7);
	ck_assert(run_until(&h, got_msg, 5000));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(h.msgs[0],
	    "hello")), 1);

	/* Upstream to peer. */
	msg = json_object_new_object();
	json_object_object_add(msg, "id", json_object_new_int(5));
	ck_assert_int_eq(upstream_send(h.u, msg), 0);
	json_object_put(msg);
	ck_assert(run_until(&h, got_reply, 5000));
	n = evbuffer_remove(h.peer_in, reply, sizeof reply - 1);
	reply[n] = '\0';
	ck_assert_str_eq(reply, "{\"id\":5}\n");

	/* The peer hangs up: down, then back by itself. */
	bufferevent_free(h.peer);
	h.peer = NULL;
	ck_assert(run_until(&h, got_down, 5000));
	ck_assert_str_eq(h.cause, "connection closed");
	ck_assert_int_eq(h.will_restart, 1);
	ck_assert(run_until(&h, got_reconnected, 5000));
	ck_assert_int_eq(h.accepts, 2);
	st = upstream_stats(h.u);
	ck_assert_uint_eq(st->starts, 2);
	ck_assert_uint_eq(st->restarts, 1);

	upstream_stop(h.u);
	ck_assert(run_until(&h, got_stopped, 5000));
	h_done(&h);
	tmpdir_remove(dir, "sock");
}
END_TEST

static int
got_up(struct h *h)
{
	return h->ups >= 1;
}

/* ---- a socket the caller dials (serve's remote servers) ---- */

/* The dialler: the first attempt fails, each next one is a socket pair
 * whose other end becomes the test's peer. */
static int
h_dial(void *arg, char *buf, size_t size)
{
	struct h	*h = arg;
	int		 sv[2];

	if (h->accepts++ == 0) {
		snprintf(buf, size, "not yet");
		return -1;
	}
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(evutil_make_socket_nonblocking(sv[0]), 0);
	ck_assert_int_eq(evutil_make_socket_nonblocking(sv[1]), 0);
	ck_assert_ptr_null(h->peer);
	h->peer = bufferevent_socket_new(h->base, sv[1],
	    BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(h->peer, peer_read, NULL, peer_event, h);
	bufferevent_enable(h->peer, EV_READ|EV_WRITE);
	return sv[0];
}

static const char *h_why_text;

static const char *
h_why(void *arg)
{
	return h_why_text;
}

static int
got_two_downs(struct h *h)
{
	return h->downs >= 2;
}

START_TEST(test_dial)
{
	struct upstream_config	 uc;
	struct h		 h;
	char			 reply[32];
	json_object		*msg;
	size_t			 n;

	h_init(&h);
	h.peer_in = evbuffer_new();
	h_config(&uc, NULL);
	uc.connect = "https://example.com/mcp";
	uc.dial = h_dial;
	uc.why = h_why;
	uc.dial_arg = &h;
	uc.restart = UPSTREAM_RESTART_ALWAYS;
	uc.backoff_min_ms = 20;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	/* A failed dial is retried with backoff, as a refused connect. */
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_up_and_peer, 5000));
	ck_assert_int_eq(h.accepts, 2);
	ck_assert_int_eq(h.downs, 0);
	ck_assert_int_eq(upstream_pid(h.u), -1);

	bufferevent_write(h.peer, "{\"hello\":1}\n", 12);
	ck_assert(run_until(&h, got_msg, 5000));
	msg = json_object_new_object();
	json_object_object_add(msg, "id", json_object_new_int(5));
	ck_assert_int_eq(upstream_send(h.u, msg), 0);
	json_object_put(msg);
	ck_assert(run_until(&h, got_reply, 5000));
	n = evbuffer_remove(h.peer_in, reply, sizeof reply - 1);
	reply[n] = '\0';
	ck_assert_str_eq(reply, "{\"id\":5}\n");

	/* The dialled end closes: down with the dialler's cause, dialled
	 * again. */
	h_why_text = "the session was lost";
	bufferevent_free(h.peer);
	h.peer = NULL;
	ck_assert(run_until(&h, got_down, 5000));
	ck_assert_str_eq(h.cause, "the session was lost");
	ck_assert_int_eq(h.will_restart, 1);
	ck_assert(run_until(&h, got_reconnected, 5000));
	ck_assert_int_eq(h.accepts, 3);
	/* No cause of its own: the usual one. */
	h_why_text = NULL;
	bufferevent_free(h.peer);
	h.peer = NULL;
	ck_assert(run_until(&h, got_two_downs, 5000));
	ck_assert_str_eq(h.cause, "connection closed");

	upstream_stop(h.u);
	ck_assert(run_until(&h, got_stopped, 5000));
	h_done(&h);
}
END_TEST

START_TEST(test_unix_socket_late_listener)
{
	struct upstream_config	 uc;
	struct h		 h;
	char			 dir[64], path[PATH_MAX], addr[PATH_MAX + 8];

	tmpdir_make(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/sock", dir);
	snprintf(addr, sizeof addr, "unix:%s", path);

	h_init(&h);
	h_config(&uc, NULL);
	uc.connect = addr;
	uc.backoff_min_ms = 20;
	uc.backoff_max_ms = 100;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	/* Nobody listening yet: not an error, retried with backoff. */
	ck_assert_int_eq(upstream_start(h.u), 0);
	run_until(&h, NULL, 150);
	ck_assert_int_eq(h.ups, 0);
	ck_assert(!upstream_is_up(h.u));

	peer_listen(&h, path);
	ck_assert(run_until(&h, got_up, 5000));
	ck_assert_uint_eq(upstream_stats(h.u)->starts, 1);
	ck_assert_uint_eq(upstream_stats(h.u)->restarts, 0);
	ck_assert_int_eq(h.downs, 0);

	upstream_stop(h.u);
	ck_assert(run_until(&h, got_stopped, 5000));
	h_done(&h);
	tmpdir_remove(dir, "sock");

	/* A malformed address is an error at once. */
	h_init(&h);
	h_config(&uc, NULL);
	uc.connect = "bogus:somewhere";
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), -1);
	h_done(&h);
}
END_TEST

START_TEST(test_tcp_socket)
{
	struct upstream_config	 uc;
	struct h		 h;
	char			 addr[64];

	h_init(&h);
	snprintf(addr, sizeof addr, "tcp:127.0.0.1:%d", peer_listen_tcp(&h));
	h_config(&uc, NULL);
	uc.connect = addr;
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), 0);
	ck_assert(run_until(&h, got_up_and_peer, 5000));
	bufferevent_write(h.peer, "{\"id\":9}\r\n", 10);
	ck_assert(run_until(&h, got_msg, 5000));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(h.msgs[0],
	    "id")), 9);

	/* restart=no: a hang-up is final. */
	bufferevent_free(h.peer);
	h.peer = NULL;
	ck_assert(run_until(&h, got_down, 5000));
	ck_assert_int_eq(h.will_restart, 0);
	run_until(&h, NULL, 100);
	ck_assert_int_eq(h.accepts, 1);
	h_done(&h);

	/* A port without a host is an error at once. */
	h_init(&h);
	h_config(&uc, NULL);
	uc.connect = "tcp:8080";
	h.u = upstream_new(h.base, &uc, &h_ops, &h);
	ck_assert_int_eq(upstream_start(h.u), -1);
	h_done(&h);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	/*
	 * As the daemon does: a dead child's stdin is EPIPE, not death.  Set
	 * here, before Check forks the tests, for this program only.
	 */
	signal(SIGPIPE, SIG_IGN);
	s = suite_create("upstream");
	tc = tcase_create("child");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_echo_roundtrip);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_killed_by_signal);
	tcase_add_test(tc, test_stderr_relayed);
	tcase_add_test(tc, test_env_and_cwd);
	tcase_add_test(tc, test_bad_cwd_and_command);
	tcase_add_test(tc, test_restart_backoff);
	tcase_add_test(tc, test_restart_cannot_run);
	tcase_add_test(tc, test_backoff_reset_when_healthy);
	tcase_add_test(tc, test_no_restart_after_success);
	tcase_add_test(tc, test_always_restarts_success);
	tcase_add_test(tc, test_stop_in_on_down);
	tcase_add_test(tc, test_stop_stubborn_child);
	tcase_add_test(tc, test_stop_kills_grandchild);
	tcase_add_test(tc, test_exit_kills_grandchild);
	tcase_add_test(tc, test_stdout_closed_while_running);
	tcase_add_test(tc, test_two_children_one_loop);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_send_refused);
	tcase_add_test(tc, test_free_without_stop);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_unix_socket);
	tcase_add_test(tc, test_unix_socket_late_listener);
	tcase_add_test(tc, test_tcp_socket);
	tcase_add_test(tc, test_dial);
	suite_add_tcase(s, tc);
	return s;
}
