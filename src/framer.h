/*
 * framer.h: newline-delimited JSON framing (the stdio transport of MCP).
 *
 * The framer pulls every complete line out of an evbuffer, accepts "\n",
 * "\r\n" and a lone "\r" as line ends, parses each line as JSON and hands
 * the value to a callback.  A line longer than the cap is logged, discarded
 * up to its newline and counted, and whoever asked is told what its start
 * shows (struct framer_peek); a line that is not JSON (servers print
 * banners) is logged at warn, skipped and counted.  Neither is fatal.
 */
#ifndef MCPBRIDGE_FRAMER_H
#define MCPBRIDGE_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct evbuffer;

/* Called once per JSON value; the callee owns msg (json_object_put it). */
typedef void (*framer_cb)(void *arg, json_object *msg);

/*
 * What the beginning of an oversized line shows, read before it is
 * dropped: enough to answer the request it was meant to answer.  Only a
 * bounded prefix is looked at, so an "id" after a large member is missed.
 */
struct framer_peek {
	json_object	*id;		/* top-level "id", number or string;
					   NULL if not seen.  Borrowed. */
	int		 method;	/* a top-level "method" was seen: a
					   request or notification */
	size_t		 len;		/* bytes of the line seen so far */
	size_t		 max_line;	/* the cap it broke */
};

/* Called once per oversized line, as soon as it is over the cap. */
typedef void (*framer_oversized_cb)(void *arg, const struct framer_peek *);

struct framer {
	size_t		 max_line;	/* bytes, without the newline */
	int		 discarding;	/* inside an oversized line */
	const char	*tag;		/* names the peer in log lines */
	framer_oversized_cb on_oversized;	/* may be NULL */
	void		*oversized_arg;
	uint64_t	 lines;		/* JSON values delivered */
	uint64_t	 oversized;	/* lines dropped for length */
	uint64_t	 nonjson;	/* lines dropped for not being JSON */
};

void	framer_init(struct framer *, size_t max_line, const char *tag);
/* Asks to be told of each oversized line (cb NULL: not any more). */
void	framer_set_oversized(struct framer *, framer_oversized_cb, void *arg);
/* Delivers every complete line now in `in`; leaves a partial line there. */
void	framer_drain(struct framer *, struct evbuffer *in, framer_cb, void *arg);
/* At EOF: a final line without a newline is delivered too. */
void	framer_eof(struct framer *, struct evbuffer *in, framer_cb, void *arg);
/* Serialises msg compactly onto out followed by "\n". */
void	framer_write(struct evbuffer *out, json_object *msg);

#endif
