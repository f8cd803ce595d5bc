/* SPDX-License-Identifier: ISC */
/*
 * log.h: the one place messages for the operator go: stderr, or the
 * --log-file; never stdout, which in client mode belongs to the protocol.
 */
#ifndef MCPBRIDGE_LOG_H
#define MCPBRIDGE_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_format {
	LOG_FORMAT_TEXT = 0,
	LOG_FORMAT_JSON,
};

/*
 * Lines that are not the program's own: the access log (log_request) and
 * the child's stderr (log_relay with LOG_TAG_CHILD).  Each is on, off, or
 * (-1, the default) shown when the level is info or louder, so quieting
 * the program's own lines need not hide them, nor the other way round.
 */
enum log_source {
	LOG_SOURCE_ACCESS = 0,
	LOG_SOURCE_CHILD,
	LOG_SOURCES
};
#define LOG_TAG_CHILD	"child"

void	 log_init(enum log_level, enum log_format, const char *progname);
void	 log_set_level(enum log_level);
void	 log_set_source(enum log_source, int on);
/* --log-file: log to path (appended) instead of stderr; -1 with errno. */
int	 log_open_file(const char *path);
/* SIGHUP: opens the --log-file path anew (logrotate moved the old one);
 * 1 if it did; -1 if it failed, keeping the old stream and logging why
 * there, at error level; 0 without --log-file. */
int	 log_reopen(void);
/* "error", "warn", "info", "debug" in any case, and "err", "warning". */
int	 log_level_parse(const char *, enum log_level *);
/* level made louder (> 0) or quieter (< 0) by so many steps, clamped. */
enum log_level log_level_step(enum log_level, int louder);
int	 log_format_parse(const char *, enum log_format *);
/* The format log_init set: for what is said outside the log's lines. */
enum log_format log_get_format(void);

/* log_warn adds strerror(errno); log_warnx does not. */
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_vlog(enum log_level, int with_errno, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
/* One HTTP request, for the access log (info level).  Text: one readable
 * line; JSON: one object with a field for each member.  NULL strings and
 * a negative session are left out. */
struct log_request {
	const char	*http_method;
	const char	*path;
	int		 status;
	unsigned long	 latency_ms;
	const char	*session;	/* the first 8 characters are logged */
	const char	*method;	/* JSON-RPC method, if any */
	const char	*peer;
	const char	*note;		/* why it was refused, if it was */
	const char	*server;	/* a named server's route: its name */
};
void	 log_request(const struct log_request *);
/*
 * Access log lines are buffered (log.c), at most LOG_BUFFER_SIZE bytes:
 * a full buffer is written at once, and so is all of it before any other
 * line, at log_reopen and at exit.  With log_set_base, a timer writes
 * them at most LOG_FLUSH_DELAY_MS after the first of them came, in one
 * write however many requests came meanwhile (NULL: no more; before the
 * base is freed).  log_flush writes it now.  log_buffered: the bytes
 * waiting.
 */
#define LOG_BUFFER_SIZE		(64 * 1024)
#define LOG_FLUSH_DELAY_MS	100
/*
 * A pipe, FIFO or socket is written without blocking: a reader that
 * stops reading leaves what is not written in the buffer, for the timer;
 * lines that do not fit are dropped whole and counted, and the first
 * line after them is preceded by a warning "N log lines were dropped:
 * the log reader did not keep up" (at most LOG_DROPPED_WARN_MAX bytes).
 * A line longer than the buffer goes out as it is made; once part of it
 * has, the reader is waited for, LOG_LINE_WAIT_MS at most for the line,
 * and then its rest is lost: it ends in LOG_CUT_MARK (counted dropped).
 * At exit, what is left waits up to LOG_EXIT_WAIT_MS for the reader.
 * log_lines_dropped: how many lines were dropped so far.
 */
#define LOG_DROPPED_WARN_MAX	256
#define LOG_LINE_WAIT_MS	1000
#define LOG_EXIT_WAIT_MS	1000
#define LOG_CUT_MARK		" [cut: the log reader did not keep up]"
struct event_base;
void	 log_set_base(struct event_base *);
void	 log_flush(void);
size_t	 log_buffered(void);
unsigned long long log_lines_dropped(void);
/* A line relayed from somewhere else (the child's stderr), tagged. */
void	 log_relay(enum log_level, const char *tag, const char *line, size_t len);
/* A message trace line (trace.c), shown whatever the level. */
void	 log_trace(const char *line, size_t len);
__attribute__((noreturn)) void fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
