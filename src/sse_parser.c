/* SPDX-License-Identifier: ISC */
/*
 * sse_parser.c: the event-stream interpretation of the HTML standard's
 * Server-Sent Events, with limits.
 *
 * A line that arrives whole inside one chunk is parsed in place; only a
 * line split across chunks is copied into the line buffer.  The data
 * buffer holds the current event's data lines.  Both are bounded by
 * max_event: a line or an event past it poisons the event, which is then
 * dropped when its blank line comes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sse_parser.h"
#include "xmalloc.h"

/* Room for "retry: ", "event: ", an id and the like on top of the data. */
#define SSE_PARSER_LINE_SLACK	(SSE_PARSER_MAX_ID + 64)
/* The event type's longest accepted length. */
#define SSE_PARSER_MAX_TYPE	256

struct sse_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

struct sse_parser {
	size_t		 max_event;
	sse_event_cb	 cb;
	void		*arg;

	struct sse_buf	 line;		/* a line split across chunks */
	int		 line_skip;	/* the current line is over the cap */
	int		 after_cr;	/* a CR ended a line: skip one LF */
	int		 started;	/* past the first line (BOM check) */

	struct sse_buf	 data;		/* this event's data lines */
	int		 has_data;	/* at least one data field */
	int		 poisoned;	/* this event is over the cap */
	char		 type[SSE_PARSER_MAX_TYPE + 1];
	char		 id[SSE_PARSER_MAX_ID + 1];	/* last event id */
	int		 has_id;
	int		 event_id;	/* this event set the id */
	int64_t		 retry;

	uint64_t	 events;
	uint64_t	 rejected;
};

static void
sse_buf_append(struct sse_buf *b, const char *p, size_t len)
{
	size_t	need;

	need = b->len + len + 1;
	if (need > b->cap) {
		b->cap = b->cap == 0 ? 256 : b->cap;
		while (b->cap < need)
			b->cap *= 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
}

struct sse_parser *
sse_parser_new(size_t max_event, sse_event_cb cb, void *arg)
{
	struct sse_parser	*p;

	p = xcalloc(1, sizeof *p);
	p->max_event = max_event;
	p->cb = cb;
	p->arg = arg;
	p->retry = -1;
	return p;
}

void
sse_parser_free(struct sse_parser *p)
{
	if (p == NULL)
		return;
	free(p->line.p);
	free(p->data.p);
	free(p);
}

static void
sse_parser_clear_event(struct sse_parser *p)
{
	p->data.len = 0;
	p->has_data = 0;
	p->event_id = 0;
	p->poisoned = 0;
	p->type[0] = '\0';
}

void
sse_parser_reset(struct sse_parser *p)
{
	sse_parser_clear_event(p);
	p->line.len = 0;
	p->line_skip = 0;
	p->after_cr = 0;
	p->started = 0;
	/* Keep the last event id and retry: the reconnection uses them. */
	if (p->line.cap > 64 * 1024) {
		free(p->line.p);
		memset(&p->line, 0, sizeof p->line);
	}
	if (p->data.cap > 64 * 1024) {
		free(p->data.p);
		memset(&p->data, 0, sizeof p->data);
	}
}

static void
sse_parser_dispatch(struct sse_parser *p)
{
	struct sse_event	ev;

	if (p->poisoned) {
		p->rejected++;
		log_warnx("sse: dropping an event over %zu bytes",
		    p->max_event);
		sse_parser_clear_event(p);
		return;
	}
	if (!p->has_data) {
		/* No data field: nothing to deliver (the id still counts). */
		sse_parser_clear_event(p);
		return;
	}
	/* Data lines were joined with "\n" after each; drop the last. */
	if (p->data.len > 0)
		p->data.len--;
	sse_buf_append(&p->data, "", 0);	/* NUL-terminate */
	ev.type = p->type[0] != '\0' ? p->type : "message";
	ev.data = p->data.p;
	ev.len = p->data.len;
	ev.id = p->id;
	ev.own_id = p->event_id;
	p->events++;
	p->cb(p->arg, &ev);
	sse_parser_clear_event(p);
}

static int
sse_parser_digits(const char *s, size_t len, int64_t *out)
{
	int64_t	v = 0;
	size_t	i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One complete line, without its terminator. */
static void
sse_parser_line(struct sse_parser *p, const char *s, size_t len)
{
	const char	*colon, *value;
	size_t		 nlen, vlen;

	if (!p->started) {
		p->started = 1;
		if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;
			len -= 3;
		}
	}
	if (len == 0) {
		sse_parser_dispatch(p);
		return;
	}
	if (s[0] == ':')
		return;		/* a comment: keep-alives look like this */

	if ((colon = memchr(s, ':', len)) != NULL) {
		nlen = (size_t)(colon - s);
		value = colon + 1;
		vlen = len - nlen - 1;
		if (vlen > 0 && value[0] == ' ') {
			value++;
			vlen--;
		}
	} else {
		nlen = len;
		value = "";
		vlen = 0;
	}

	if (nlen == 4 && memcmp(s, "data", 4) == 0) {
		p->has_data = 1;
		if (p->poisoned)
			return;
		if (p->data.len + vlen + 1 > p->max_event) {
			p->poisoned = 1;
			return;
		}
		sse_buf_append(&p->data, value, vlen);
		sse_buf_append(&p->data, "\n", 1);
	} else if (nlen == 5 && memcmp(s, "event", 5) == 0) {
		if (vlen > SSE_PARSER_MAX_TYPE) {
			p->poisoned = 1;
			return;
		}
		memcpy(p->type, value, vlen);
		p->type[vlen] = '\0';
	} else if (nlen == 2 && memcmp(s, "id", 2) == 0) {
		/* An id with a NUL is ignored, as the standard says; so is
		 * one longer than we are willing to send back. */
		if (memchr(value, '\0', vlen) != NULL ||
		    vlen > SSE_PARSER_MAX_ID)
			return;
		memcpy(p->id, value, vlen);
		p->id[vlen] = '\0';
		p->has_id = 1;
		p->event_id = 1;
	} else if (nlen == 5 && memcmp(s, "retry", 5) == 0) {
		int64_t	v;

		if (sse_parser_digits(value, vlen, &v) == 0)
			p->retry = v;
	}
	/* Any other field is ignored. */
}

/* Part of a line that continues in a later chunk. */
static void
sse_parser_partial(struct sse_parser *p, const char *s, size_t len)
{
	if (p->line_skip)
		return;
	if (p->line.len + len > p->max_event + SSE_PARSER_LINE_SLACK) {
		/* Too long to be anything we accept: forget it, and the
		 * event it belongs to. */
		p->line_skip = 1;
		p->poisoned = 1;
		p->line.len = 0;
		return;
	}
	sse_buf_append(&p->line, s, len);
}

void
sse_parser_feed(struct sse_parser *p, const char *s, size_t len)
{
	const char	*end = s + len, *eol;
	size_t		 n;

	while (s < end) {
		if (p->after_cr) {
			p->after_cr = 0;
			if (*s == '\n') {
				s++;
				continue;
			}
		}
		/* Find the next CR or LF. */
		for (eol = s; eol < end && *eol != '\r' && *eol != '\n'; eol++)
			;
		n = (size_t)(eol - s);
		if (eol == end) {
			sse_parser_partial(p, s, n);
			break;
		}
		if (p->line_skip) {
			/* The end of an over-long line: dropped. */
			p->line_skip = 0;
		} else if (p->line.len == 0) {
			if (n > p->max_event + SSE_PARSER_LINE_SLACK)
				p->poisoned = 1;
			else
				sse_parser_line(p, s, n);
		} else {
			sse_parser_partial(p, s, n);
			if (p->line_skip)
				p->line_skip = 0;
			else
				sse_parser_line(p, p->line.p, p->line.len);
			p->line.len = 0;
		}
		if (*eol == '\r')
			p->after_cr = 1;
		s = eol + 1;
	}
}

const char *
sse_parser_last_id(const struct sse_parser *p)
{
	return p->id;
}

int
sse_parser_has_id(const struct sse_parser *p)
{
	return p->has_id;
}

int64_t
sse_parser_retry(const struct sse_parser *p)
{
	return p->retry;
}

uint64_t
sse_parser_events(const struct sse_parser *p)
{
	return p->events;
}

uint64_t
sse_parser_rejected(const struct sse_parser *p)
{
	return p->rejected;
}
