/* SPDX-License-Identifier: ISC */
/*
 * sse.c: Server-Sent Events encoding (the parser is sse_parser.c).
 *
 * The format (HTML standard, "Server-sent events"): an event is a run of
 * "field: value" lines ended by a blank line; a line starting with ':' is a
 * comment.  A data value cannot hold a line break, so multi-line data goes
 * out as several data lines, which the client joins with LF.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>

#include "sse.h"

static int
sse_field_valid(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

/* The fields before the data; added piece by piece: a printf per field
 * cost more than the rest of an event. */
static void
sse_head(struct evbuffer *out, const char *event, const char *id,
    int retry_ms)
{
	if (event != NULL) {
		evbuffer_add(out, "event: ", 7);
		evbuffer_add(out, event, strlen(event));
		evbuffer_add(out, "\n", 1);
	}
	if (id != NULL) {
		evbuffer_add(out, "id: ", 4);
		evbuffer_add(out, id, strlen(id));
		evbuffer_add(out, "\n", 1);
	}
	if (retry_ms >= 0)
		evbuffer_add_printf(out, "retry: %d\n", retry_ms);
}

int
sse_event(struct evbuffer *out, const char *event, const char *id,
    const char *data, size_t len, int retry_ms)
{
	size_t	start, i;

	if (!sse_field_valid(event) || !sse_field_valid(id))
		return -1;
	sse_head(out, event, id, retry_ms);

	/* One data line per line of data; CRLF, LF and CR all end one. */
	start = 0;
	for (i = 0; i < len; i++) {
		if (data[i] != '\r' && data[i] != '\n')
			continue;
		evbuffer_add(out, "data: ", 6);
		evbuffer_add(out, data + start, i - start);
		evbuffer_add(out, "\n", 1);
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			i++;
		start = i + 1;
	}
	evbuffer_add(out, "data: ", 6);
	if (len > start)
		evbuffer_add(out, data + start, len - start);
	evbuffer_add(out, "\n\n", 2);
	return 0;
}

int
sse_event_ref(struct evbuffer *out, const char *event, const char *id,
    const char *data, size_t len,
    void (*cleanup)(const void *, size_t, void *), void *arg)
{
	if (!sse_field_valid(event) || !sse_field_valid(id) || len == 0 ||
	    memchr(data, '\n', len) != NULL || memchr(data, '\r', len) != NULL)
		return -1;
	sse_head(out, event, id, -1);
	evbuffer_add(out, "data: ", 6);
	if (evbuffer_add_reference(out, data, len, cleanup, arg) == -1) {
		/* No memory for the reference (it does not call cleanup
		 * then): a copy will do. */
		evbuffer_add(out, data, len);
		cleanup(data, len, arg);
	}
	evbuffer_add(out, "\n\n", 2);
	return 0;
}

void
sse_retry(struct evbuffer *out, int retry_ms)
{
	evbuffer_add_printf(out, "retry: %d\n\n", retry_ms);
}

void
sse_comment(struct evbuffer *out, const char *text)
{
	const char	*p;

	evbuffer_add(out, ":", 1);
	if (text != NULL && *text != '\0') {
		evbuffer_add(out, " ", 1);
		for (p = text; *p != '\0'; p++)
			evbuffer_add(out, (*p == '\r' || *p == '\n') ? " " : p, 1);
	}
	evbuffer_add(out, "\n\n", 2);
}
