/*
 * framer.h: newline-delimited JSON framing (the stdio transport of MCP).
 *
 * The framer pulls every complete line out of an evbuffer, accepts "\n" and
 * "\r\n", parses each line as JSON and hands the value to a callback.  A line
 * longer than the cap is logged, discarded up to its newline and counted; a
 * line that is not JSON (servers print banners) is logged at warn, skipped
 * and counted.  Neither is fatal.
 */
#ifndef MCPBRIDGE_FRAMER_H
#define MCPBRIDGE_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct evbuffer;

/* Called once per JSON value; the callee owns msg (json_object_put it). */
typedef void (*framer_cb)(void *arg, json_object *msg);

struct framer {
	size_t		 max_line;	/* bytes, without the newline */
	int		 discarding;	/* inside an oversized line */
	const char	*tag;		/* names the peer in log lines */
	uint64_t	 lines;		/* JSON values delivered */
	uint64_t	 oversized;	/* lines dropped for length */
	uint64_t	 nonjson;	/* lines dropped for not being JSON */
};

void	framer_init(struct framer *, size_t max_line, const char *tag);
/* Delivers every complete line now in `in`; leaves a partial line there. */
void	framer_drain(struct framer *, struct evbuffer *in, framer_cb, void *arg);
/* At EOF: a final line without a newline is delivered too. */
void	framer_eof(struct framer *, struct evbuffer *in, framer_cb, void *arg);
/* Serialises msg compactly onto out followed by "\n". */
void	framer_write(struct evbuffer *out, json_object *msg);

#endif
