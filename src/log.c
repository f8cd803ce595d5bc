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
#include <string.h>
#include <strings.h>
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
 * end of the event loop's turn (log_set_base), the buffer is full,
 * log_flush (serve.c's tick, within a second), SIGHUP (log_reopen), exit
 * (atexit), or any other line: those are written at once, after what is
 * buffered, so the order holds.  It never grows: a
 * piece that does not fit flushes it first, and one bigger than all of
 * it is written straight through.  log_buf_pid: the process whose lines
 * these are; a forked child never writes its parent's.
 */
static char		 log_buf[LOG_BUFFER_SIZE];
static size_t		 log_buf_len;
static pid_t		 log_buf_pid;
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

/* All of buf to fd, through short writes and signals; -1 with errno. */
static int
log_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The errno of a write the --log-file refused, not said yet (0: none):
 * log_flush says it once the buffer it was writing is free. */
static int		 log_file_failed;

static void	log_emit(enum log_level, const char *, const char *, size_t);

/*
 * Writes buf out.  A --log-file that takes no writes (a full disk,
 * /dev/full) is said once on stderr rather than losing the log in
 * silence.
 */
static void
log_write(const char *buf, size_t len)
{
	if (len == 0 || log_write_all(log_out(), buf, len) == 0)
		return;
	if (log_fd != -1 && !log_file_told) {
		log_file_failed = errno;
		log_file_told = 1;
	}
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

void
log_flush(void)
{
	int	saved = errno;

	if (log_buf_len > 0 && log_buf_pid == getpid())
		log_write(log_buf, log_buf_len);
	log_buf_len = 0;
	if (log_file_failed != 0)
		log_tell_file_failed();
	errno = saved;
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
	return log_buf_len;
}

/* Before a line of the program's own (rare: a system call is cheap
 * enough here): a forked child drops what its parent had buffered, so
 * that its own line goes out and the parent's never twice. */
static void
log_begin(void)
{
	if (log_buf_len > 0 && log_buf_pid != getpid())
		log_buf_len = 0;
}

static void
log_put(const char *s, size_t len)
{
	if (log_buf_len == 0)
		log_buf_pid = getpid();
	if (len > sizeof log_buf - log_buf_len) {
		log_flush();
		if (len > sizeof log_buf) {
			log_write(s, len);
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
	if (log_buf_len < sizeof log_buf && log_buf_len > 0)
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
	log_flush();
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	log_file_told = 0;
	memcpy(log_file_path, path, strlen(path) + 1);
	return 0;
}

int
log_reopen(void)
{
	int	fd;

	/* What the old file is owed goes to it, whatever happens next. */
	log_flush();
	if (log_fd == -1)
		return 0;
	if ((fd = log_fopen(log_file_path)) == -1) {
		log_error("SIGHUP: cannot reopen --log-file %s: %s; still "
		    "writing to the old one", log_file_path, strerror(errno));
		return -1;
	}
	close(log_fd);
	log_fd = fd;
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
	if (!log_atexit_set && atexit(log_flush) == 0)
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

/* Writes one line; the caller decided that it is shown. */
static void
log_emit(enum log_level level, const char *tag, const char *msg, size_t len)
{
	log_begin();
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
	static const struct timeval delay = {
		LOG_FLUSH_DELAY_MS / 1000, LOG_FLUSH_DELAY_MS % 1000 * 1000
	};

	if (!log_source_on(LOG_SOURCE_ACCESS))
		return;
	if (log_flush_ev != NULL && !log_flush_armed) {
		evtimer_add(log_flush_ev, &delay);
		log_flush_armed = 1;
	}
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
	log_flush();
}
