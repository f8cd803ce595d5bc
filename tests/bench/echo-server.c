/* SPDX-License-Identifier: ISC */
/*
 * echo-server.c: a small, fast stdio MCP server for benchmarks.
 *
 * It answers initialize, ping, tools/list and tools/call of its one tool,
 * echo ({"message": "..."} back as one text item), and nothing else;
 * notifications and responses are ignored.  No event loop: it reads stdin
 * in large blocks, answers every complete line and writes all the answers
 * of a block with one write, so a pipelined client pays one system call
 * per batch, not per message.
 *
 *	echo-server [--swap N] [--delay MS]
 *
 * --swap N answers every Nth call with the message of the call before it:
 * a wrong answer on purpose, for checking that a load generator notices.
 *
 * --delay MS makes it the kind of server that answers one request at a
 * time: each call takes MS milliseconds (at most ECHO_MAX_DELAY_MS) and
 * is answered before the next is read, however many are waiting, as a
 * single-threaded server doing I/O would.  One such child is the limit
 * of whatever is in front of it (scripts/bench, "--children").
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define ECHO_READ_SIZE		(64 * 1024)
#define ECHO_MAX_LINE		(16 * 1024 * 1024)
#define ECHO_DEFAULT_VERSION	"2025-06-18"
#define ECHO_MAX_DELAY_MS	60000

struct echo_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

struct echo {
	struct echo_buf		 out;
	struct json_tokener	*tok;
	unsigned long		 swap;		/* 0: never */
	unsigned long		 calls;
	char			*last;		/* previous call's message */
	unsigned long		 delay_ms;	/* 0: none */
};

static void __attribute__((noreturn))
echo_die(const char *what)
{
	fprintf(stderr, "echo-server: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
echo_reserve(struct echo_buf *b, size_t more)
{
	size_t	cap;

	if (b->len + more <= b->cap)
		return;
	cap = b->cap == 0 ? ECHO_READ_SIZE : b->cap;
	while (cap < b->len + more)
		cap *= 2;
	if ((b->p = realloc(b->p, cap)) == NULL)
		echo_die("realloc");
	b->cap = cap;
}

static void
echo_add(struct echo_buf *b, const char *s, size_t len)
{
	echo_reserve(b, len);
	memcpy(b->p + b->len, s, len);
	b->len += len;
}

static void
echo_adds(struct echo_buf *b, const char *s)
{
	echo_add(b, s, strlen(s));
}

/* A JSON value, compact, as json-c writes it. */
static void
echo_add_json(struct echo_buf *b, json_object *v)
{
	size_t		 len;
	const char	*s;

	s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	echo_add(b, s, len);
}

static void
echo_flush(struct echo_buf *b)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < b->len) {
		n = write(STDOUT_FILENO, b->p + off, b->len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				exit(0);
			echo_die("write");
		}
		off += (size_t)n;
	}
	b->len = 0;
}

static json_object *
echo_get(json_object *o, const char *key)
{
	json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* {"jsonrpc":"2.0","id":<id>,"result": ... the caller ends it. */
static void
echo_begin(struct echo *e, json_object *id, const char *key)
{
	echo_adds(&e->out, "{\"jsonrpc\":\"2.0\",\"id\":");
	echo_add_json(&e->out, id);
	echo_adds(&e->out, ",\"");
	echo_adds(&e->out, key);
	echo_adds(&e->out, "\":");
}

static void
echo_error(struct echo *e, json_object *id, int code, const char *message)
{
	char	num[32];

	echo_begin(e, id, "error");
	snprintf(num, sizeof num, "%d", code);
	echo_adds(&e->out, "{\"code\":");
	echo_adds(&e->out, num);
	echo_adds(&e->out, ",\"message\":\"");
	echo_adds(&e->out, message);
	echo_adds(&e->out, "\"}}\n");
}

/* --delay: the call's work, then its answer out before the next. */
static void
echo_work(struct echo *e)
{
	struct timespec	ts;

	if (e->delay_ms == 0)
		return;
	echo_flush(&e->out);
	ts.tv_sec = (time_t)(e->delay_ms / 1000);
	ts.tv_nsec = (long)(e->delay_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
echo_call(struct echo *e, json_object *id, json_object *params)
{
	json_object	*name, *args, *msg, *wrong;

	name = echo_get(params, "name");
	if (name == NULL || !json_object_is_type(name, json_type_string) ||
	    strcmp(json_object_get_string(name), "echo") != 0) {
		echo_error(e, id, -32602, "Unknown tool");
		return;
	}
	args = echo_get(params, "arguments");
	msg = echo_get(args, "message");
	if (msg == NULL || !json_object_is_type(msg, json_type_string)) {
		echo_error(e, id, -32602, "echo takes a string message");
		return;
	}
	echo_work(e);
	echo_begin(e, id, "result");
	echo_adds(&e->out, "{\"content\":[{\"type\":\"text\",\"text\":");
	e->calls++;
	if (e->swap != 0 && e->calls % e->swap == 0 && e->last != NULL) {
		/* On purpose: the previous caller's message. */
		wrong = json_object_new_string(e->last);
		echo_add_json(&e->out, wrong);
		json_object_put(wrong);
	} else
		echo_add_json(&e->out, msg);
	echo_adds(&e->out, "}]}}\n");
	if (e->delay_ms != 0)
		echo_flush(&e->out);
	if (e->swap != 0) {
		free(e->last);
		if ((e->last = strdup(json_object_get_string(msg))) == NULL)
			echo_die("strdup");
	}
}

static void
echo_message(struct echo *e, json_object *m)
{
	json_object	*id, *method, *params, *v;
	const char	*name;

	method = echo_get(m, "method");
	id = echo_get(m, "id");
	if (method == NULL || id == NULL ||
	    !json_object_is_type(method, json_type_string))
		return;			/* notification or response */
	name = json_object_get_string(method);
	params = echo_get(m, "params");

	if (strcmp(name, "tools/call") == 0)
		echo_call(e, id, params);
	else if (strcmp(name, "initialize") == 0) {
		echo_begin(e, id, "result");
		echo_adds(&e->out, "{\"protocolVersion\":");
		v = echo_get(params, "protocolVersion");
		if (v != NULL && json_object_is_type(v, json_type_string))
			echo_add_json(&e->out, v);
		else
			echo_adds(&e->out, "\"" ECHO_DEFAULT_VERSION "\"");
		echo_adds(&e->out, ",\"capabilities\":{\"tools\":{}},"
		    "\"serverInfo\":{\"name\":\"mcpbridge-bench-echo\","
		    "\"version\":\"1\"}}}\n");
	} else if (strcmp(name, "ping") == 0) {
		echo_begin(e, id, "result");
		echo_adds(&e->out, "{}}\n");
	} else if (strcmp(name, "tools/list") == 0) {
		echo_begin(e, id, "result");
		echo_adds(&e->out, "{\"tools\":[{\"name\":\"echo\","
		    "\"description\":\"Returns the message\",\"inputSchema\":"
		    "{\"type\":\"object\",\"properties\":{\"message\":"
		    "{\"type\":\"string\"}},\"required\":[\"message\"]}}]}}\n");
	} else
		echo_error(e, id, -32601, "Method not found");
}

static void
echo_line(struct echo *e, const char *p, size_t len)
{
	json_object	*m;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	json_tokener_reset(e->tok);
	m = json_tokener_parse_ex(e->tok, p, (int)len);
	if (m == NULL || json_tokener_get_error(e->tok) != json_tokener_success) {
		json_object_put(m);
		fprintf(stderr, "echo-server: skipping a line that is not "
		    "JSON\n");
		return;
	}
	if (json_object_is_type(m, json_type_object))
		echo_message(e, m);
	json_object_put(m);
}

int
main(int argc, char **argv)
{
	struct echo	 e;
	struct echo_buf	 in;
	char		*nl, *start, *end;
	ssize_t		 n;
	size_t		 used;
	int		 i;

	memset(&e, 0, sizeof e);
	memset(&in, 0, sizeof in);
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--swap") == 0)
			e.swap = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--delay") == 0) {
			e.delay_ms = strtoul(argv[i + 1], &end, 10);
			if (*end != '\0' || e.delay_ms > ECHO_MAX_DELAY_MS)
				break;
		} else
			break;
	}
	if (i != argc) {
		fprintf(stderr, "usage: echo-server [--swap N] [--delay MS]\n");
		return 2;
	}
	if ((e.tok = json_tokener_new_ex(64)) == NULL)
		echo_die("json_tokener_new");

	for (;;) {
		echo_reserve(&in, ECHO_READ_SIZE);
		n = read(STDIN_FILENO, in.p + in.len, in.cap - in.len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			echo_die("read");
		}
		if (n == 0)
			break;
		in.len += (size_t)n;

		start = in.p;
		while ((nl = memchr(start, '\n', in.len - (size_t)(start -
		    in.p))) != NULL) {
			echo_line(&e, start, (size_t)(nl - start));
			start = nl + 1;
		}
		used = (size_t)(start - in.p);
		memmove(in.p, start, in.len - used);
		in.len -= used;
		if (in.len > ECHO_MAX_LINE) {
			fprintf(stderr, "echo-server: line too long\n");
			return 1;
		}
		if (e.out.len > 0)
			echo_flush(&e.out);
	}
	json_tokener_free(e.tok);
	free(e.last);
	free(e.out.p);
	free(in.p);
	return 0;
}
