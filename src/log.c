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
/* --log-file: the stream and its name, for log_reopen; NULL: stderr. */
static FILE		*log_file;
static char		 log_file_path[PATH_MAX];
/* A write to log_file failed and that was said on stderr (once a file). */
static int		 log_file_told;
/* LOG_SOURCE_*: 1 on, 0 off, -1 as the level says (log_source_on). */
static int		 log_sources[LOG_SOURCES] = { -1, -1 };

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static FILE *
log_out(void)
{
	return log_file != NULL ? log_file : stderr;
}

/*
 * Ends a line: flushed, and a --log-file that takes no writes (a full
 * disk, /dev/full) said once on stderr rather than losing the log in
 * silence.  Called with f locked.
 */
static void
log_flush(FILE *f)
{
	if (fflush(f) != EOF && !ferror(f))
		return;
	if (f != stderr && !log_file_told) {
		fprintf(stderr, "%s: cannot write to --log-file %s: %s; log "
		    "lines are lost until it takes writes again\n",
		    log_progname, log_file_path, strerror(errno));
		log_file_told = 1;
	}
	clearerr(f);
}

/* Appends, close-on-exec (the child must not inherit it); created
 * readable by its group, as logs usually are. */
static FILE *
log_fopen(const char *path)
{
	FILE	*f;
	int	 fd, saved;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return NULL;
	if ((f = fdopen(fd, "a")) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return f;
}

int
log_open_file(const char *path)
{
	FILE	*f;

	if (strlen(path) >= sizeof log_file_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((f = log_fopen(path)) == NULL)
		return -1;
	if (log_file != NULL)
		fclose(log_file);
	log_file = f;
	log_file_told = 0;
	memcpy(log_file_path, path, strlen(path) + 1);
	return 0;
}

int
log_reopen(void)
{
	FILE	*f;

	if (log_file == NULL)
		return 0;
	if ((f = log_fopen(log_file_path)) == NULL) {
		log_error("SIGHUP: cannot reopen --log-file %s: %s; still "
		    "writing to the old one", log_file_path, strerror(errno));
		return -1;
	}
	fclose(log_file);
	log_file = f;
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

void
log_init(enum log_level level, enum log_format format, const char *progname)
{
	log_level = level;
	log_format = format;
	if (progname != NULL)
		log_progname = progname;
	event_set_log_callback(log_libevent);
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

/*
 * Writes s as the inside of a JSON string.  What the child writes on its
 * stderr is any bytes: a byte that is not part of well-formed UTF-8
 * becomes U+FFFD, so that every line stays JSON a collector can read.
 */
static void
log_json_string(FILE *f, const char *s, size_t len)
{
	size_t		 i, n;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			n = utf8_len((const unsigned char *)s + i, len - i);
			if (n == 0)
				fputs("\\ufffd", f);
			else
				fwrite(s + i, 1, n, f);
			i += n == 0 ? 0 : n - 1;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

/* Text form keeps control characters out of the operator's terminal. */
static void
log_text_string(FILE *f, const char *s, size_t len)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

/* The time stamp both formats start with. */
static void
log_stamp(char *buf, size_t size)
{
	struct timeval	 tv;
	struct tm	 tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

/* Writes one line; the caller decided that it is shown. */
static void
log_emit(enum log_level level, const char *tag, const char *msg, size_t len)
{
	char		 stamp[64];
	FILE		*f = log_out();

	log_stamp(stamp, sizeof stamp);

	flockfile(f);
	if (log_format == LOG_FORMAT_JSON) {
		fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",", stamp,
		    log_level_names[level]);
		if (tag != NULL) {
			fputs("\"source\":\"", f);
			log_json_string(f, tag, strlen(tag));
			fputs("\",", f);
		}
		fputs("\"msg\":\"", f);
		log_json_string(f, msg, len);
		fputs("\"}\n", f);
	} else {
		fprintf(f, "%s %s[%ld]: %s: ", stamp, log_progname,
		    (long)getpid(), log_level_names[level]);
		if (tag != NULL)
			fprintf(f, "[%s] ", tag);
		log_text_string(f, msg, len);
		fputc('\n', f);
	}
	log_flush(f);
	funlockfile(f);
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
log_json_field(FILE *f, const char *name, const char *value, size_t len)
{
	fprintf(f, ",\"%s\":\"", name);
	log_json_string(f, value, len);
	fputc('"', f);
}

void
log_request(const struct log_request *r)
{
	char	 stamp[64];
	FILE	*f = log_out();

	if (!log_source_on(LOG_SOURCE_ACCESS))
		return;
	log_stamp(stamp, sizeof stamp);
	flockfile(f);
	if (log_format == LOG_FORMAT_JSON) {
		fprintf(f, "{\"time\":\"%s\",\"level\":\"info\",\"msg\":"
		    "\"request\"", stamp);
		if (r->http_method != NULL)
			log_json_field(f, "http_method", r->http_method,
			    strlen(r->http_method));
		if (r->path != NULL)
			log_json_field(f, "path", r->path, strlen(r->path));
		fprintf(f, ",\"status\":%d,\"latency_ms\":%lu", r->status,
		    r->latency_ms);
		if (r->session != NULL)
			log_json_field(f, "session", r->session,
			    strnlen(r->session, 8));
		if (r->method != NULL)
			log_json_field(f, "method", r->method,
			    strlen(r->method));
		if (r->peer != NULL)
			log_json_field(f, "peer", r->peer, strlen(r->peer));
		if (r->note != NULL)
			log_json_field(f, "note", r->note, strlen(r->note));
		fputs("}\n", f);
	} else {
		fprintf(f, "%s %s[%ld]: info: %s ", stamp, log_progname,
		    (long)getpid(), r->peer != NULL ? r->peer : "-");
		log_text_string(f, r->http_method != NULL ? r->http_method :
		    "-", r->http_method != NULL ? strlen(r->http_method) : 1);
		fputc(' ', f);
		log_text_string(f, r->path != NULL ? r->path : "-",
		    r->path != NULL ? strlen(r->path) : 1);
		fprintf(f, " %d %lums", r->status, r->latency_ms);
		if (r->session != NULL)
			fprintf(f, " session %.8s", r->session);
		if (r->method != NULL) {
			fputc(' ', f);
			log_text_string(f, r->method, strlen(r->method));
		}
		if (r->note != NULL)
			fprintf(f, " (%s)", r->note);
		fputc('\n', f);
	}
	log_flush(f);
	funlockfile(f);
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
	char	 stamp[64];
	FILE	*f = log_out();

	log_stamp(stamp, sizeof stamp);
	flockfile(f);
	if (log_format == LOG_FORMAT_JSON) {
		fprintf(f, "{\"time\":\"%s\",\"level\":\"trace\",\"msg\":\"",
		    stamp);
		log_json_string(f, line, len);
		fputs("\"}\n", f);
	} else {
		fprintf(f, "%s %s[%ld]: trace: ", stamp, log_progname,
		    (long)getpid());
		log_text_string(f, line, len);
		fputc('\n', f);
	}
	log_flush(f);
	funlockfile(f);
}
