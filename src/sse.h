/* SPDX-License-Identifier: ISC */
/*
 * sse.h: Server-Sent Events (the text/event-stream format of the HTML
 * standard): encoding events onto an evbuffer.  No I/O.  The receiving
 * side is sse_parser.h.
 */
#ifndef MCPBRIDGE_SSE_H
#define MCPBRIDGE_SSE_H

#include <stddef.h>

struct evbuffer;

/*
 * Appends one event.  event and id may be NULL (no field); neither may hold
 * CR, LF or NUL.  data (len bytes; NULL with len 0 is an empty data field)
 * is split at every CRLF, LF or CR into "data:" lines, so a client joins it
 * back with LF.  retry_ms < 0 sends no "retry:" field.  Returns -1 (and
 * appends nothing) if event or id is not a valid field value.
 */
int	 sse_event(struct evbuffer *, const char *event, const char *id,
	    const char *data, size_t len, int retry_ms);
/*
 * As sse_event without retry, for data of one line (no CR or LF, len > 0)
 * that out takes by reference instead of a copy: cleanup(data, len, arg)
 * runs once out (or the buffer it moves to) is done with it.  Returns -1,
 * appending nothing and not calling cleanup, if event or id is not a valid
 * field value or data is not one line: then sse_event copies it.
 */
int	 sse_event_ref(struct evbuffer *, const char *event, const char *id,
	    const char *data, size_t len,
	    void (*cleanup)(const void *, size_t, void *), void *arg);
/* Appends a block of only a "retry:" field: it sets the client's
 * reconnection time and is no event (no id, no data). */
void	 sse_retry(struct evbuffer *, int retry_ms);
/* Appends a comment line (": text") and a blank line; text may be NULL.
 * Line breaks in text are replaced by spaces. */
void	 sse_comment(struct evbuffer *, const char *text);

#endif
