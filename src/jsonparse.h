/* SPDX-License-Identifier: ISC */
/*
 * jsonparse.h: the one way the bridge reads JSON a peer sent (an HTTP
 * body, a line from the child, an answer or SSE event from a server, a
 * line from the local client).
 */
#ifndef MCPBRIDGE_JSONPARSE_H
#define MCPBRIDGE_JSONPARSE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * Arrays and objects nested deeper than this are refused: json-c and the
 * code that walks a message recurse, and JSON schemas need some room.
 * Documented in mcpbridge(1), LIMITS.
 */
#define JSONPARSE_MAX_DEPTH	128

/*
 * At most this many integers json-c cannot carry (outside -2^63 ..
 * 2^64-1) in one text; a text with more is refused.  Documented in
 * mcpbridge(1), LIMITS.
 */
#define JSONPARSE_MAX_BIG_INTEGERS	256

/*
 * Parses exactly one JSON text (RFC 8259) of len bytes, white space
 * around it allowed; the text need not be NUL-terminated.  Refused, where
 * json-c would take them or change them: NaN, Infinity, leading zeros,
 * "1.", raw control characters in strings, invalid UTF-8, nesting deeper
 * than JSONPARSE_MAX_DEPTH, the integer -0, a string "id" member of a
 * message (or of a message in a batch) with a lone UTF-16 surrogate
 * escape (json-c would write U+FFFD: a different id, and ids collide).
 *
 * An integer outside -2^63 .. 2^64-1, which json-c would clamp, comes
 * back as a json_type_double that writes its original digits (so never
 * an integer id); more than JSONPARSE_MAX_BIG_INTEGERS of them, or any
 * beside a duplicate member name, and the text is refused.
 *
 * Returns a new object, or NULL with *cause (if not NULL) set to a static
 * string fit for a log line.
 */
json_object	*jsonparse_strict(const char *p, size_t len, const char **cause);
/*
 * The same, and an object with a member name twice is refused too (json-c
 * keeps the last, silently): for what a person writes, such as the
 * --config file, where the first of two "fs" servers must not vanish.  So
 * is a member name holding a NUL (\u0000), which json-c cuts short there.
 */
json_object	*jsonparse_strict_unique(const char *p, size_t len,
		    const char **cause);
/*
 * A request an HTTP client sent, parsed as jsonparse_strict parses it,
 * except that where the text is one object whose "method" is "tools/call"
 * and whose "params" object has an "arguments" object, that object is
 * made by hold_new from its own bytes (p, len: the value as the client
 * wrote it, white space inside included) rather than built: the bridge
 * only passes it on (issue 20).  Not when the arguments hold an integer
 * past 64 bits, a \uDxxx escape or a line break (a child reads a message
 * a line), when a member name at the top is spelt with escapes, when
 * "arguments" is given twice, nor when json-c builds the tree (a number
 * with a fraction or an exponent, or a \u0000 or \uDxxx escape, outside
 * the arguments): then, and for a batch, the tree is built as by
 * jsonparse_strict.  hold_new owns nothing of the text.
 */
typedef json_object	*(*jsonparse_hold_fn)(const char *p, size_t len);
json_object	*jsonparse_request(const char *p, size_t len,
		    const char **cause, jsonparse_hold_fn hold_new);
/*
 * A new reference to the one json-c string "2.0" every message shares (as
 * its "jsonrpc" member, and any other "2.0" a text holds): making and
 * freeing one per message cost a few hundred instructions (issue 20).
 * Shared, it must never be changed in place; nothing in the bridge sets
 * a string's value.  It lives until exit.
 */
json_object	*jsonparse_version(void);
/*
 * Where: for a text jsonparse_strict_unique refused for a name given twice
 * or a NUL in a name (its grammar checked), calls cb with the path of each
 * member whose name an earlier member of the same object has (what:
 * "duplicate key") or whose name holds a NUL ("the name holds a NUL
 * character"), in document order: the names from the top joined by '.',
 * an array's element as "[i]" ("mcpServers.fs", "a[2].b"), names with
 * their escapes decoded, a NUL shown as '?'.  Returns how many.
 */
size_t		 jsonparse_duplicates(const char *p, size_t len,
		    void (*cb)(const char *path, const char *what, void *arg),
		    void *arg);
/* 1 if cause, set by jsonparse_strict or jsonparse_strict_unique, says
 * the text was refused for its member names only (its grammar is sound):
 * jsonparse_duplicates then says where. */
int		 jsonparse_names_refused(const char *cause);

/*
 * 1 if the JSON string whose text, quotes stripped, is p[0..len) (its
 * grammar already checked, as by jsonparse_strict) has a \u escape of a
 * UTF-16 surrogate that is not half of a pair: json-c would write U+FFFD
 * in its place, so as an id it would name another request.
 */
int		 jsonparse_lone_surrogate(const char *p, size_t len);

/*
 * The raw pass-through of a child's answers (issue 20): a line that is
 * exactly {"jsonrpc":"2.0","id":N,"result":R}, members in any order, each
 * once, names written plainly, N an integer from 1 to 2^53 - 1, R any
 * value jsonparse_strict takes that needs no mending: no integer past 64
 * bits, no \uDxxx escape (json-c would change a lone surrogate) and,
 * where R is an object, no "task" member (the bridge keeps track of
 * those).  Checked with the same grammar as jsonparse_strict, nothing
 * built.  1 with *a filled when the line is such an answer; 0 when it is
 * not, or the scan is not sure: then the caller parses it in full.
 */
struct jsonparse_answer {
	int64_t		 id;
	size_t		 result_off;	/* where R starts in the line */
	size_t		 result_len;
};
int		 jsonparse_answer(const char *p, size_t len,
		    struct jsonparse_answer *a);

#endif
