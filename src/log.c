/* SPDX-License-Identifier: ISC */
/*
 * log.c: leveled logging to stderr (or --log-file), as text or as one JSON
 * object a line.  libevent's own messages are routed through here too.
 * It never calls xmalloc, whose failures it logs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "utf8.h"

static enum log_level	 log_level = LOG_LEVEL_INFO;
static enum log_format	 log_format = LOG_FORMAT_TEXT;
static const char	*log_progname = "mcpbridge";
/* --log-file: its descriptor and name, for log_reopen; -1: stderr. */
static int		 log_fd = -1;
static char		 log_file_path[PATH_MAX];
/* A write to the --log-file failed and that was said on stderr (once a
 * file). */
static int		 log_file_told;
/* LOG_SOURCE_*: 1 on, 0 off, -1 as the level says (log_source_on). */
static int		 log_sources[LOG_SOURCES] = { -1, -1 };

/*
 * Every line is made here with a few appends and written with write(2).
 * Access log lines (one per request, the hot path) stay here until the
 * flush timer (log_set_base), the buffer is full, log_flush, SIGHUP
 * (log_reopen), exit (atexit), or any other line: those are written at
 * once, after what is buffered, so the order holds.  It never grows: a
 * piece that does not fit flushes it first, and a line bigger than all
 * of it is written straight through.  log_buf_pid: the process whose
 * lines these are; a forked child never writes its parent's.
 *
 * A reader that stops reading (a pipe to `| logger`, a stuck journald
 * or FIFO) must not stop the event loop: such a sink is written without
 * blocking (log_sink).  [log_buf_off, log_buf_len) is what is not
 * written yet; it stays, in order, for the timer to try again.  A line
 * that does not fit behind it is dropped whole and counted
 * (log_dropped); the first line taken after a gap is preceded by a
 * warning saying how many were lost.  A line never goes out in part and
 * then loses its rest: while a line is being made only the whole lines
 * before it are written (log_line marks its start), and a line that went
 * out in part (log_line_out) finishes before anything else.
 */
static char		 log_buf[LOG_BUFFER_SIZE];
static size_t		 log_buf_off;
static size_t		 log_buf_len;
static pid_t		 log_buf_pid;
/* The line being made (log_line_begin to log_line_end): where it starts
 * in log_buf; part of it is written already (it cannot be dropped now);
 * it is being dropped (its further pieces are ignored); it is being cut
 * (a line longer than the buffer whose reader stopped halfway). */
static int		 log_in_line;
static size_t		 log_line;
static int		 log_line_out;
static int		 log_line_drop;
static int		 log_line_cut;
/* Lines dropped and not said yet; all of them, for log_lines_dropped. */
static unsigned long long log_dropped;
static unsigned long long log_dropped_total;

/*
 * Where lines go: stderr or the --log-file, each looked at once (by
 * log_sink).  A pipe or FIFO gets a file description of our own with
 * O_NONBLOCK, never the flag on stderr's, which the shell that started us
 * shares; a socket (systemd's journal stream) is sent to with
 * MSG_DONTWAIT; a file or terminal is written as it is (a write there
 * does not wait for a reader).
 */
enum log_sink_kind {
	LOG_SINK_UNKNOWN = 0,
	LOG_SINK_BLOCKING,
	LOG_SINK_NONBLOCKING,
	LOG_SINK_SOCKET,
};
struct log_sink {
	enum log_sink_kind	 kind;
	int			 fd;	/* what to write to */
	int			 own;	/* fd is ours to close */
};
static struct log_sink	 log_sink_err, log_sink_file;

/* The time stamp up to the second and "progname[pid]: ", made anew when
 * the second changes (log_stamp). */
static time_t		 log_stamp_sec = -1;
static char		 log_stamp_head[32];
static size_t		 log_stamp_len;
static char		 log_who[64];
static size_t		 log_who_len;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static int
log_out(void)
{
	return log_fd != -1 ? log_fd : STDERR_FILENO;
}

/* The errno of a write the --log-file refused, not said yet (0: none):
 * log_flush says it once the buffer it was writing is free. */
static int		 log_file_failed;

static void	log_emit(enum log_level, const char *, const char *, size_t);
static void	log_arm(void);

static void
log_sink_close(struct log_sink *k)
{
	if (k->own)
		close(k->fd);
	memset(k, 0, sizeof *k);
}

/* The sink of fd: see struct log_sink.  fd is the --log-file's own
 * (file 1) or stderr (0).  Without /proc, a pipe on stderr is written
 * as before, blocking. */
static void
log_sink_open(struct log_sink *k, int fd, int file)
{
	struct stat	st;
	char		proc[32];
	int		fl;

	k->kind = LOG_SINK_BLOCKING;
	k->fd = fd;
	k->own = 0;
	if (fstat(fd, &st) == -1)
		return;
	if (S_ISSOCK(st.st_mode))
		k->kind = LOG_SINK_SOCKET;
	else if (S_ISFIFO(st.st_mode) && file) {
		if ((fl = fcntl(fd, F_GETFL)) != -1 &&
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != -1)
			k->kind = LOG_SINK_NONBLOCKING;
	} else if (S_ISFIFO(st.st_mode)) {
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		if ((k->fd = open(proc, O_WRONLY | O_NONBLOCK |
		    O_CLOEXEC)) == -1) {
			k->fd = fd;
			return;
		}
		k->kind = LOG_SINK_NONBLOCKING;
		k->own = 1;
	}
}

static struct log_sink *
log_sink(void)
{
	struct log_sink	*k;

	k = log_fd != -1 ? &log_sink_file : &log_sink_err;
	if (k->kind == LOG_SINK_UNKNOWN)
		log_sink_open(k, log_out(), log_fd != -1);
	return k;
}

/*
 * Writes what of buf the sink takes now: the bytes taken.  *stall: it
 * would block (a reader that does not keep up).  A sink that refuses
 * (a full disk, /dev/full) takes the bytes to lose them, as before; a
 * --log-file that does is said once on stderr rather than losing the
 * log in silence.
 */
static size_t
log_send(const char *buf, size_t len, int *stall)
{
	struct log_sink	*k = log_sink();
	size_t		 done = 0;
	ssize_t		 n;

	*stall = 0;
	while (done < len) {
		if (k->kind == LOG_SINK_SOCKET)
			n = send(k->fd, buf + done, len - done,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(k->fd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    k->kind != LOG_SINK_BLOCKING) {
			*stall = 1;
			return done;
		}
		if (n == -1 && errno == ENOTSOCK &&
		    k->kind == LOG_SINK_SOCKET) {
			k->kind = LOG_SINK_BLOCKING;
			continue;
		}
		if (n == -1) {
			if (log_fd != -1 && !log_file_told) {
				log_file_failed = errno;
				log_file_told = 1;
			}
			return len;
		}
		done += (size_t)n;
	}
	return done;
}

/* Waits up to ms for the sink to take writes: 0 once it may, -1 when
 * the time is up. */
static int
log_wait(int ms)
{
	struct pollfd	pfd;
	int		n;

	pfd.fd = log_sink()->fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	do
		n = poll(&pfd, 1, ms < 0 ? 0 : ms);
	while (n == -1 && errno == EINTR);
	return n > 0 ? 0 : -1;
}

/* Milliseconds of a monotonic clock. */
static long long
log_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Writes what waits, as much as the sink takes: all of it, or, while a
 * line is being made that has not gone out in part, the whole lines
 * before it.  What is left moves to the front.  1 if the sink stalled.
 */
static int
log_drain(void)
{
	size_t	end, n;
	int	stall = 0;

	end = log_in_line && !log_line_out ? log_line : log_buf_len;
	if (log_buf_off < end) {
		n = log_send(log_buf + log_buf_off, end - log_buf_off, &stall);
		log_buf_off += n;
	}
	if (log_buf_off > 0) {
		memmove(log_buf, log_buf + log_buf_off,
		    log_buf_len - log_buf_off);
		log_buf_len -= log_buf_off;
		if (log_in_line)
			log_line = log_line > log_buf_off ?
			    log_line - log_buf_off : 0;
		log_buf_off = 0;
	}
	return stall;
}

/*
 * A --log-file that refused a write, said on stderr as any line is, in
 * the format asked for: a collector of JSON reads no other kind.  The
 * file's descriptor is set aside for that one line only.
 */
static void
log_tell_file_failed(void)
{
	char	msg[PATH_MAX + 256];
	int	n, fd, error = log_file_failed;

	log_file_failed = 0;
	n = snprintf(msg, sizeof msg, "cannot write to --log-file %s: %s; "
	    "log lines are lost until it takes writes again", log_file_path,
	    strerror(error));
	if (n < 0)
		return;
	fd = log_fd;
	log_fd = -1;
	log_emit(LOG_LEVEL_ERROR, NULL, msg,
	    (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
	log_fd = fd;
}

static void	log_dropped_say(void);

void
log_flush(void)
{
	int	saved = errno;

	if (log_buf_len > 0 && log_buf_pid != getpid())
		log_buf_len = log_buf_off = 0;
	log_drain();
	/* A gap with nothing taken after it: said once all before it is. */
	if (log_buf_len == 0 && log_dropped > 0 && !log_in_line) {
		log_dropped_say();
		log_drain();
	}
	if (log_buf_len > 0 || log_dropped > 0)
		log_arm();
	if (log_file_failed != 0 && log_buf_len == 0 && !log_in_line)
		log_tell_file_failed();
	errno = saved;
}

/* log_flush, waiting up to ms for a slow reader to take it all. */
static void
log_flush_wait(int ms)
{
	long long	end = log_now_ms() + ms;

	for (;;) {
		log_flush();
		if ((log_buf_len == 0 && log_dropped == 0) ||
		    log_buf_pid != getpid())
			break;
		if (log_now_ms() >= end ||
		    log_wait((int)(end - log_now_ms())) == -1)
			break;
	}
}

/* At exit: what is left may wait for a slow reader, LOG_EXIT_WAIT_MS
 * at most, so that the last lines (why it stopped) are not lost. */
static void
log_flush_at_exit(void)
{
	log_in_line = 0;
	log_line_out = log_line_drop = log_line_cut = 0;
	log_flush_wait(LOG_EXIT_WAIT_MS);
}

unsigned long long
log_lines_dropped(void)
{
	return log_dropped_total;
}

/* log_set_base: the timer that writes the buffered lines
 * LOG_FLUSH_DELAY_MS after the first of them.  Not at the end of each
 * loop turn: under load a turn handles a few dozen requests, and a
 * write (and a wake-up of whoever reads the pipe) per turn cost more
 * than all the formatting (issue 20). */
static struct event	*log_flush_ev;
static int		 log_flush_armed;

static void
log_flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	log_flush_armed = 0;
	log_flush();
}

/* The timer, for lines that wait: it comes round again while the
 * reader does not take them. */
static void
log_arm(void)
{
	static const struct timeval delay = {
		LOG_FLUSH_DELAY_MS / 1000, LOG_FLUSH_DELAY_MS % 1000 * 1000
	};

	if (log_flush_ev != NULL && !log_flush_armed) {
		evtimer_add(log_flush_ev, &delay);
		log_flush_armed = 1;
	}
}

void
log_set_base(struct event_base *base)
{
	if (log_flush_ev != NULL) {
		event_free(log_flush_ev);
		log_flush_ev = NULL;
	}
	log_flush_armed = 0;
	if (base != NULL && (log_flush_ev = evtimer_new(base,
	    log_flush_cb, NULL)) == NULL)
		fatalx("event_new");
	log_flush();
}

size_t
log_buffered(void)
{
	return log_buf_len - log_buf_off;
}

/* Before a line of the program's own (rare: a system call is cheap
 * enough here): a forked child drops what its parent had buffered, so
 * that its own line goes out and the parent's never twice; nor does it
 * say the parent's dropped lines or finish its parent's line. */
static void
log_begin(void)
{
	if (log_buf_len > 0 && log_buf_pid != getpid()) {
		log_buf_len = log_buf_off = 0;
		log_dropped = 0;
	}
}

static void	log_format_line(enum log_level, const char *, const char *,
		    size_t);

/* A line starts at the end of what waits. */
static void
log_line_begin(void)
{
	if (log_buf_off == log_buf_len)
		log_buf_off = log_buf_len = 0;
	log_in_line = 1;
	log_line = log_buf_len;
	log_line_out = log_line_drop = log_line_cut = 0;
}

/* The line being made is dropped whole: nothing of it went out. */
static void
log_line_lose(void)
{
	log_buf_len = log_line;
	log_line_drop = 1;
	log_arm();
}

/*
 * The warning for the lines dropped so far, appended (room for
 * LOG_DROPPED_WARN_MAX bytes was made sure of).  Its own line: the
 * marks of the line being made, if one is, are kept round it.
 */
static void
log_dropped_say(void)
{
	char	msg[96];
	int	n, in_line = log_in_line;
	size_t	line = log_line;

	n = snprintf(msg, sizeof msg, "%llu log lines were dropped: the "
	    "log reader did not keep up", log_dropped);
	log_dropped = 0;
	if (n < 0 || (size_t)n >= sizeof msg)
		return;
	log_in_line = 1;
	log_line = log_buf_len;
	log_line_drop = 0;
	log_format_line(LOG_LEVEL_WARN, NULL, msg, (size_t)n);
	log_in_line = in_line;
	log_line = line;
}

/* The warning, in front of what waits from start on (the line being
 * made): the order of the log is the order of time. */
static void
log_dropped_say_before(size_t start)
{
	static char	warn[LOG_DROPPED_WARN_MAX];
	size_t		n = log_buf_len;

	log_dropped_say();
	n = log_buf_len - n;
	memcpy(warn, log_buf + log_buf_len - n, n);
	memmove(log_buf + start + n, log_buf + start, log_buf_len - n - start);
	memcpy(log_buf + start, warn, n);
	log_line = start + n;
}

/*
 * The end of a line.  One dropped is counted; one cut gets its end.  A
 * line taken after a gap gets the warning in front of it (the order of
 * the log is the order of time), or is dropped too when there is no
 * room for both yet.
 */
static void
log_line_end(void)
{
	if (log_line_cut) {
		/* What of it waits is lost; its end goes out first. */
		log_buf_len = log_buf_off = 0;
		memcpy(log_buf, LOG_CUT_MARK "\n", sizeof LOG_CUT_MARK);
		log_buf_len = sizeof LOG_CUT_MARK;
		log_dropped++;
		log_dropped_total++;
	} else if (log_line_drop) {
		log_dropped++;
		log_dropped_total++;
	} else if (log_dropped > 0 && log_line_out) {
		log_line_drop = 1;	/* so that the warning is appended */
		log_in_line = 0;
		if (sizeof log_buf - log_buf_len >= LOG_DROPPED_WARN_MAX)
			log_dropped_say();
	} else if (log_dropped > 0) {
		log_drain();
		if (sizeof log_buf - log_buf_len < LOG_DROPPED_WARN_MAX) {
			log_line_lose();
			log_dropped++;
			log_dropped_total++;
		} else
			log_dropped_say_before(log_line);
	}
	log_in_line = 0;
	log_line_out = log_line_drop = log_line_cut = 0;
}

/*
 * A line longer than the buffer goes out as it is made: the piece s
 * after all that waits (the line's start).  Started only when all before
 * it is out, and dropped whole if the sink takes none of it; once it has
 * started, its rest must follow before anything else: the sink is waited
 * for, up to LOG_LINE_WAIT_MS for the line, and then the line is cut
 * (log_line_end marks it).  A blocking sink takes it all.
 */
static void
log_through(const char *s, size_t len)
{
	static long long	end;
	size_t			n, k;
	int			stall;

	if (!log_line_out) {
		if (log_dropped > 0 && sizeof log_buf - log_buf_len >=
		    LOG_DROPPED_WARN_MAX) {
			/* The warning first, then the line's start. */
			log_dropped_say_before(0);
			log_drain();
			if (log_line > 0) {	/* the warning waits */
				log_line_lose();
				return;
			}
		}
		/* All that waits is the line's start (log_put drained the
		 * rest), and none of it has gone out. */
		n = log_send(log_buf, log_buf_len, &stall);
		if (n == 0 && log_buf_len > 0) {
			log_line_lose();
			return;
		}
		log_buf_off = n;
		if (n == log_buf_len) {
			log_buf_off = log_buf_len = 0;
			k = log_send(s, len, &stall);
			if (k == 0 && n == 0) {
				log_line_lose();
				return;
			}
			s += k;
			len -= k;
		}
		log_line_out = 1;
		end = log_now_ms() + LOG_LINE_WAIT_MS;
	}
	for (;;) {
		log_drain();
		if (log_buf_len == 0 && len > 0) {
			n = log_send(s, len, &stall);
			s += n;
			len -= n;
		}
		if (len <= sizeof log_buf - log_buf_len) {
			memcpy(log_buf + log_buf_len, s, len);
			log_buf_len += len;
			return;
		}
		if (log_now_ms() >= end ||
		    log_wait((int)(end - log_now_ms())) == -1) {
			log_line_cut = log_line_drop = 1;
			return;
		}
	}
}

static void
log_put(const char *s, size_t len)
{
	if (log_line_drop)
		return;
	if (log_buf_len == 0)
		log_buf_pid = getpid();
	if (len > sizeof log_buf - log_buf_len) {
		log_drain();
		if (len <= sizeof log_buf - log_buf_len)
			;
		else if (log_line_out || log_line == 0) {
			log_through(s, len);
			return;
		} else {
			/* Whole lines wait before it: the reader is behind. */
			log_line_lose();
			return;
		}
		log_buf_pid = getpid();
	}
	memcpy(log_buf + log_buf_len, s, len);
	log_buf_len += len;
}

static void
log_puts(const char *s)
{
	log_put(s, strlen(s));
}

static void
log_putc(char c)
{
	if (log_buf_len < sizeof log_buf && log_buf_len > 0 && !log_line_drop)
		log_buf[log_buf_len++] = c;
	else
		log_put(&c, 1);
}

/* An unsigned number in decimal. */
static void
log_putu(unsigned long v)
{
	char	d[24];
	size_t	i = sizeof d;

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	log_put(d + i, sizeof d - i);
}

static void
log_puti(long v)
{
	if (v < 0) {
		log_putc('-');
		log_putu(0UL - (unsigned long)v);
	} else
		log_putu((unsigned long)v);
}

/* Appends, close-on-exec (the child must not inherit it); created
 * readable by its group, as logs usually are. */
static int
log_fopen(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_open_file(const char *path)
{
	int	fd;

	if (strlen(path) >= sizeof log_file_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = log_fopen(path)) == -1)
		return -1;
	log_flush_wait(LOG_EXIT_WAIT_MS);
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	log_sink_close(&log_sink_file);
	log_file_told = 0;
	memcpy(log_file_path, path, strlen(path) + 1);
	return 0;
}

int
log_reopen(void)
{
	int	fd;

	/* What the old file is owed goes to it, whatever happens next; a
	 * FIFO whose reader stalls is waited for LOG_EXIT_WAIT_MS at most,
	 * and what it did not take then goes to the new one. */
	log_flush_wait(LOG_EXIT_WAIT_MS);
	if (log_fd == -1)
		return 0;
	if ((fd = log_fopen(log_file_path)) == -1) {
		log_error("SIGHUP: cannot reopen --log-file %s: %s; still "
		    "writing to the old one", log_file_path, strerror(errno));
		return -1;
	}
	close(log_fd);
	log_fd = fd;
	log_sink_close(&log_sink_file);
	log_file_told = 0;
	log_info("SIGHUP: log file %s reopened", log_file_path);
	return 1;
}

static void
log_libevent(int severity, const char *msg)
{
	enum log_level	level;

	switch (severity) {
	case EVENT_LOG_DEBUG:
		level = LOG_LEVEL_DEBUG;
		break;
	case EVENT_LOG_MSG:
		level = LOG_LEVEL_INFO;
		break;
	case EVENT_LOG_WARN:
		level = LOG_LEVEL_WARN;
		break;
	default:
		level = LOG_LEVEL_ERROR;
		break;
	}
	log_relay(level, "libevent", msg, strlen(msg));
}

/* atexit(log_flush) was done: once a process. */
static int	log_atexit_set;

void
log_init(enum log_level level, enum log_format format, const char *progname)
{
	log_level = level;
	log_format = format;
	if (progname != NULL)
		log_progname = progname;
	log_stamp_sec = -1;
	event_set_log_callback(log_libevent);
	if (!log_atexit_set && atexit(log_flush_at_exit) == 0)
		log_atexit_set = 1;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

/* The names people type for a level, in any case: syslog's and
 * Python's ("warning", "err") besides ours. */
static const struct {
	const char	*name;
	enum log_level	 level;
} log_level_aliases[] = {
	{ "err", LOG_LEVEL_ERROR },
	{ "warning", LOG_LEVEL_WARN },
};

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t	i;

	for (i = 0; i < sizeof log_level_names / sizeof log_level_names[0]; i++) {
		if (strcasecmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	for (i = 0; i < sizeof log_level_aliases / sizeof log_level_aliases[0];
	    i++) {
		if (strcasecmp(s, log_level_aliases[i].name) == 0) {
			*out = log_level_aliases[i].level;
			return 0;
		}
	}
	return -1;
}

enum log_level
log_level_step(enum log_level level, int louder)
{
	int	l = (int)level + louder;

	if (l < (int)LOG_LEVEL_ERROR)
		l = LOG_LEVEL_ERROR;
	if (l > (int)LOG_LEVEL_DEBUG)
		l = LOG_LEVEL_DEBUG;
	return (enum log_level)l;
}

void
log_set_source(enum log_source src, int on)
{
	if (src < LOG_SOURCES)
		log_sources[src] = on;
}

/* Whether a source's lines are shown: its own switch if it was set,
 * else the level (they are info lines). */
static int
log_source_on(enum log_source src)
{
	if (log_sources[src] >= 0)
		return log_sources[src];
	return log_level >= LOG_LEVEL_INFO;
}

int
log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

enum log_format
log_get_format(void)
{
	return log_format;
}

static const char log_hex[] = "0123456789abcdef";

/*
 * Appends s as the inside of a JSON string.  What the child writes on its
 * stderr is any bytes: a byte that is not part of well-formed UTF-8
 * becomes U+FFFD, so that every line stays JSON a collector can read.
 * Runs of bytes that need nothing are appended at once.
 */
static void
log_json_string(const char *s, size_t len)
{
	size_t		 i, n, run = 0;
	unsigned char	 c;
	char		 u[6] = { '\\', 'u', '0', '0', 0, 0 };

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			n = utf8_len((const unsigned char *)s + i, len - i);
			if (n > 0) {
				i += n - 1;
				continue;
			}
		} else if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		log_put(s + run, i - run);
		run = i + 1;
		if (c >= 0x80)
			log_put("\\ufffd", 6);
		else if (c == '"' || c == '\\') {
			log_putc('\\');
			log_putc((char)c);
		} else if (c == '\n')
			log_put("\\n", 2);
		else if (c == '\r')
			log_put("\\r", 2);
		else if (c == '\t')
			log_put("\\t", 2);
		else {
			u[4] = log_hex[c >> 4];
			u[5] = log_hex[c & 0xf];
			log_put(u, sizeof u);
		}
	}
	log_put(s + run, len - run);
}

/* Text form keeps control characters out of the operator's terminal. */
static void
log_text_string(const char *s, size_t len)
{
	size_t		 i, run = 0;
	unsigned char	 c;
	char		 x[4] = { '\\', 'x', 0, 0 };

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		log_put(s + run, i - run);
		run = i + 1;
		x[2] = log_hex[c >> 4];
		x[3] = log_hex[c & 0xf];
		log_put(x, sizeof x);
	}
	log_put(s + run, len - run);
}

/*
 * The time stamp both formats start with, appended; in text form
 * followed by "progname[pid]: ".  What stays the same within a second is
 * made once a second: gmtime_r and formatting cost more than the rest
 * of a line.
 */
static void
log_stamp(int who)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 ms[5];
	unsigned	 m;
	int		 n;

	gettimeofday(&tv, NULL);
	if (tv.tv_sec != log_stamp_sec) {
		gmtime_r(&tv.tv_sec, &tm);
		n = snprintf(log_stamp_head, sizeof log_stamp_head,
		    "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		log_stamp_len = n > 0 && (size_t)n < sizeof log_stamp_head ?
		    (size_t)n : 0;
		n = snprintf(log_who, sizeof log_who, " %s[%ld]: ",
		    log_progname, (long)getpid());
		log_who_len = n > 0 && (size_t)n < sizeof log_who ?
		    (size_t)n : sizeof log_who - 1;
		log_stamp_sec = tv.tv_sec;
	}
	m = (unsigned)(tv.tv_usec / 1000);
	ms[0] = (char)('0' + m / 100);
	ms[1] = (char)('0' + m / 10 % 10);
	ms[2] = (char)('0' + m % 10);
	ms[3] = 'Z';
	log_put(log_stamp_head, log_stamp_len);
	log_put(ms, 4);
	if (who)
		log_put(log_who, log_who_len);
}

/* One line's text, appended. */
static void
log_format_line(enum log_level level, const char *tag, const char *msg,
    size_t len)
{
	if (log_format == LOG_FORMAT_JSON) {
		log_puts("{\"time\":\"");
		log_stamp(0);
		log_puts("\",\"level\":\"");
		log_puts(log_level_names[level]);
		log_puts("\",");
		if (tag != NULL) {
			log_puts("\"source\":\"");
			log_json_string(tag, strlen(tag));
			log_puts("\",");
		}
		log_puts("\"msg\":\"");
		log_json_string(msg, len);
		log_puts("\"}\n");
	} else {
		log_stamp(1);
		log_puts(log_level_names[level]);
		log_put(": ", 2);
		if (tag != NULL) {
			log_putc('[');
			log_puts(tag);
			log_put("] ", 2);
		}
		log_text_string(msg, len);
		log_putc('\n');
	}
}

/* Writes one line; the caller decided that it is shown. */
static void
log_emit(enum log_level level, const char *tag, const char *msg, size_t len)
{
	log_begin();
	log_line_begin();
	log_format_line(level, tag, msg, len);
	log_line_end();
	/* The program's own lines are rare and may say why it dies. */
	log_flush();
}

void
log_vlog(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	char	buf[4096];
	int	n, saved = errno;

	if (level > log_level)
		return;
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	if (with_errno && (size_t)n < sizeof buf - 1)
		n += snprintf(buf + n, sizeof buf - n, ": %s", strerror(saved));
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	log_emit(level, NULL, buf, (size_t)n);
	errno = saved;
}

static void
log_json_field(const char *name, const char *value, size_t len)
{
	log_put(",\"", 2);
	log_puts(name);
	log_put("\":\"", 3);
	log_json_string(value, len);
	log_putc('"');
}

/* Left in the buffer (see log_buf): written by the timer within
 * LOG_FLUSH_DELAY_MS (log_set_base), when full, or before the next line
 * of another kind. */
void
log_request(const struct log_request *r)
{
	if (!log_source_on(LOG_SOURCE_ACCESS))
		return;
	log_arm();
	log_line_begin();
	if (log_format == LOG_FORMAT_JSON) {
		log_puts("{\"time\":\"");
		log_stamp(0);
		log_puts("\",\"level\":\"info\",\"msg\":\"request\"");
		if (r->http_method != NULL)
			log_json_field("http_method", r->http_method,
			    strlen(r->http_method));
		if (r->path != NULL)
			log_json_field("path", r->path, strlen(r->path));
		log_puts(",\"status\":");
		log_puti(r->status);
		log_puts(",\"latency_ms\":");
		log_putu(r->latency_ms);
		if (r->server != NULL)
			log_json_field("server", r->server,
			    strlen(r->server));
		if (r->session != NULL)
			log_json_field("session", r->session,
			    strnlen(r->session, 8));
		if (r->method != NULL)
			log_json_field("method", r->method,
			    strlen(r->method));
		if (r->peer != NULL)
			log_json_field("peer", r->peer, strlen(r->peer));
		if (r->note != NULL)
			log_json_field("note", r->note, strlen(r->note));
		log_put("}\n", 2);
	} else {
		log_stamp(1);
		log_put("info: ", 6);
		log_puts(r->peer != NULL ? r->peer : "-");
		log_putc(' ');
		log_text_string(r->http_method != NULL ? r->http_method :
		    "-", r->http_method != NULL ? strlen(r->http_method) : 1);
		log_putc(' ');
		log_text_string(r->path != NULL ? r->path : "-",
		    r->path != NULL ? strlen(r->path) : 1);
		log_putc(' ');
		log_puti(r->status);
		log_putc(' ');
		log_putu(r->latency_ms);
		log_put("ms", 2);
		if (r->server != NULL) {
			log_put(" server ", 8);
			log_text_string(r->server, strlen(r->server));
		}
		if (r->session != NULL) {
			log_put(" session ", 9);
			log_put(r->session, strnlen(r->session, 8));
		}
		if (r->method != NULL) {
			log_putc(' ');
			log_text_string(r->method, strlen(r->method));
		}
		if (r->note != NULL) {
			log_put(" (", 2);
			log_puts(r->note);
			log_putc(')');
		}
		log_putc('\n');
	}
	log_line_end();
}

void
log_relay(enum log_level level, const char *tag, const char *line, size_t len)
{
	/* The child's stderr (serve.c tags it "child") is a source of its
	 * own: --child-stderr shows or hides it whatever the level. */
	if (tag != NULL && strcmp(tag, LOG_TAG_CHILD) == 0 &&
	    log_sources[LOG_SOURCE_CHILD] >= 0) {
		if (log_sources[LOG_SOURCE_CHILD])
			log_emit(level, tag, line, len);
		return;
	}
	if (level > log_level)
		return;
	log_emit(level, tag, line, len);
}

#define LOG_FN(name, level, with_errno)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	ap;						\
								\
	va_start(ap, fmt);					\
	log_vlog(level, with_errno, fmt, ap);			\
	va_end(ap);						\
}

LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_error, LOG_LEVEL_ERROR, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(70);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(70);
}

/*
 * A message trace line (trace.c): level "trace", shown whatever
 * --log-level says, since only --trace (or debug level) makes them.
 */
void
log_trace(const char *line, size_t len)
{
	log_begin();
	log_line_begin();
	if (log_format == LOG_FORMAT_JSON) {
		log_puts("{\"time\":\"");
		log_stamp(0);
		log_puts("\",\"level\":\"trace\",\"msg\":\"");
		log_json_string(line, len);
		log_puts("\"}\n");
	} else {
		log_stamp(1);
		log_put("trace: ", 7);
		log_text_string(line, len);
		log_putc('\n');
	}
	log_line_end();
	log_flush();
}
