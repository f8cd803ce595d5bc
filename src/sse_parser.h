/* SPDX-License-Identifier: ISC */
/*
 * sse_parser.h: an incremental parser for text/event-stream bodies, the
 * receiving side of Server-Sent Events (client mode reads them from the
 * remote server).
 *
 * Bytes go in as they arrive, in chunks of any size; complete events come
 * out through a callback.  Lines may end in CRLF, LF or CR, even when the
 * CR and the LF arrive in different chunks.  Fields are event, data (one
 * or more lines, joined with "\n"), id and retry; comment lines (":...")
 * and unknown fields are ignored.  An event whose data would exceed the cap
 * is dropped whole, logged and counted; nothing buffered ever grows past
 * the cap plus a line.
 */
#ifndef MCPBRIDGE_SSE_PARSER_H
#define MCPBRIDGE_SSE_PARSER_H

#include <stddef.h>
#include <stdint.h>

/* The longest event id kept; a longer id is ignored. */
#define SSE_PARSER_MAX_ID	1024

struct sse_event {
	const char	*type;		/* "message" unless the event says */
	const char	*data;		/* NUL-terminated; may contain NULs */
	size_t		 len;		/* of data */
	const char	*id;		/* the last event id, "" if none */
	int		 own_id;	/* the id came with this event, not
					   carried over from an earlier one */
};

/* The event and its strings are valid only during the call. */
typedef void (*sse_event_cb)(void *arg, const struct sse_event *);

struct sse_parser;

/* max_event bounds an event's data (and so any one line). */
struct sse_parser *sse_parser_new(size_t max_event, sse_event_cb, void *arg);
void		 sse_parser_free(struct sse_parser *);
/* Parses len bytes; calls the callback for each complete event. */
void		 sse_parser_feed(struct sse_parser *, const char *, size_t);
/* The stream ended (or is being reopened): a partial event is discarded.
 * The last event id and the retry value are kept, as a reconnection needs
 * them. */
void		 sse_parser_reset(struct sse_parser *);
/* The last event id seen ("" if none) and whether any was seen. */
const char	*sse_parser_last_id(const struct sse_parser *);
int		 sse_parser_has_id(const struct sse_parser *);
/* The last "retry" value in milliseconds, or -1 if none was sent. */
int64_t		 sse_parser_retry(const struct sse_parser *);
/* Counters: events delivered, events dropped for size. */
uint64_t	 sse_parser_events(const struct sse_parser *);
uint64_t	 sse_parser_rejected(const struct sse_parser *);

#endif
