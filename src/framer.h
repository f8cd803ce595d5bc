/* SPDX-License-Identifier: ISC */
/*
 * framer.h: newline-delimited JSON framing (the stdio transport of MCP).
 *
 * The framer pulls every complete line out of an evbuffer, accepts "\n",
 * "\r\n" and a lone "\r" as line ends, parses each line as JSON and hands
 * the value to a callback.  A line longer than the cap is logged, discarded
 * up to its newline and counted; a line that is not JSON (servers print
 * banners) is logged at warn, skipped and counted.  Neither is fatal, and
 * for either, whoever asked is told what its two ends show (struct
 * framer_peek).
 */
#ifndef MCPBRIDGE_FRAMER_H
#define MCPBRIDGE_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct evbuffer;

/* Called once per JSON value; the callee owns msg (json_object_put it). */
typedef void (*framer_cb)(void *arg, json_object *msg);

/* Why a line was dropped unread. */
enum framer_drop {
	FRAMER_DROP_OVERSIZED = 0,	/* over max_line */
	FRAMER_DROP_INVALID,		/* not JSON the parse policy takes */
};

/* How much of each end of a dropped line is looked at (struct framer_peek):
 * JSON-RPC answers name their id near one end, before the result (Python's
 * json.dumps) or after it (the TypeScript SDK). */
#define FRAMER_PEEK_MAX		4096

/*
 * What the two ends of a dropped line show, read before it goes: enough to
 * answer the request it was meant to answer, or to refuse the request it
 * was.  The first and the last FRAMER_PEEK_MAX bytes are looked at for
 * members of the top-level object: from the start forward, from the
 * final '}' backward (a member in the middle of a larger line is missed).
 * The look is lenient, so a line that breaks the policy further on (a
 * NaN in a result) still shows its id; of an "id" given twice the last
 * seen counts, as json-c keeps the last.
 */
struct framer_peek {
	enum framer_drop drop;
	const char	*reason;	/* FRAMER_DROP_INVALID: why, static
					   text fit for a message */
	json_object	*id;		/* top-level "id", number or string;
					   NULL if not seen.  Borrowed. */
	int		 method;	/* a top-level "method" was seen: a
					   request or notification */
	int		 answer;	/* a top-level "result" or "error" was
					   seen: an answer (if no method) */
	int		 early;		/* reported before its end (see
					   framer_dropped_cb) */
	size_t		 len;		/* bytes of the line, without its end;
					   0 if early (not known yet) */
	size_t		 max_line;	/* the cap (the one it broke) */
};

/*
 * Called once per dropped line.  An oversized line is discarded as it
 * arrives; once its first FRAMER_PEEK_MAX bytes are in, if they show an
 * answer (an "id" and a "result" or "error", no "method") it is reported
 * at once (early set, the start alone looked at): a child that writes a
 * huge or endless answer fails its request now, not at a line end that
 * may never come.  A second "id" at the end then goes unseen, but JSON-RPC
 * has one.  Any other dropped line is reported when it ends (its newline,
 * or EOF), from both ends.  When a report comes depends on the line's
 * bytes alone, not on how reads cut them.  A blank line is not dropped
 * but skipped, and not reported.
 */
typedef void (*framer_dropped_cb)(void *arg, const struct framer_peek *);

struct framer {
	size_t		 max_line;	/* bytes, without the newline */
	/* The partial line at the front of scan_in: its first scanned bytes
	 * hold no line end, so the next search starts past them (a long line
	 * in small reads is searched once, not once a read). */
	const struct evbuffer *scan_in;
	size_t		 scanned;
	int		 discarding;	/* inside an oversized line */
	int		 reported;	/* ... reported early already */
	const char	*tag;		/* names the peer in log lines */
	framer_dropped_cb on_dropped;	/* may be NULL */
	void		*dropped_arg;
	/* A plain answer (rawjson_answer) is delivered with its result
	 * raw, not parsed: for whoever only passes answers on. */
	int		 raw_answers;
	uint64_t	 lines;		/* JSON values delivered */
	uint64_t	 oversized;	/* lines dropped for length */
	uint64_t	 nonjson;	/* lines dropped for not being JSON */
	/* The oversized line being discarded: its length so far, its first
	 * and its last FRAMER_PEEK_MAX bytes (they overlap on a short one). */
	size_t		 dlen;
	size_t		 headlen;
	size_t		 taillen;
	char		 head[FRAMER_PEEK_MAX];
	char		 tail[FRAMER_PEEK_MAX];
};

void	framer_init(struct framer *, size_t max_line, const char *tag);
/* Asks to be told of each dropped line (cb NULL: not any more). */
void	framer_set_dropped(struct framer *, framer_dropped_cb, void *arg);
/*
 * Delivers every complete line now in `in`; leaves a partial line there.
 * Between calls `in` may only grow at its end: the framer remembers how
 * far it has searched the partial line (another buffer, or a shorter one,
 * starts the search over).
 */
void	framer_drain(struct framer *, struct evbuffer *in, framer_cb, void *arg);
/* At EOF: a final line without a newline is delivered too. */
void	framer_eof(struct framer *, struct evbuffer *in, framer_cb, void *arg);
/* Serialises msg compactly onto out followed by "\n". */
void	framer_write(struct evbuffer *out, json_object *msg);
/* The len bytes at s, one line of JSON text, onto out followed by "\n". */
void	framer_write_text(struct evbuffer *out, const char *s, size_t len);
/*
 * What the last n bytes of a line, p, show of its top-level object: scans
 * back from the final '}' over strings, scalars and nested values, and
 * notes the members at depth 1 in pk (id, method, answer) as far as it can
 * follow, stopping at the start of p (which may fall inside a string) or
 * at anything that is not JSON.  The id is new (json_object_put it).
 */
void	framer_peek_tail(const char *p, size_t n, struct framer_peek *pk);
/*
 * What the first n bytes of a line, p, show of its top-level object: walks
 * its members forward from the opening '{' and notes them in pk (a later
 * "id" replaces an earlier one, as in json-c) as far as it can follow.
 * Returns 1 if the line opens an object.  The id is new.
 */
int	framer_peek_head(const char *p, size_t n, struct framer_peek *pk);

#endif
