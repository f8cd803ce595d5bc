/*
 * jsonparse.h: the one way the bridge reads JSON a peer sent (an HTTP
 * body, a line from the child, an answer or SSE event from a server, a
 * line from the local client).
 */
#ifndef MCPBRIDGE_JSONPARSE_H
#define MCPBRIDGE_JSONPARSE_H

#include <stddef.h>

#include <json-c/json.h>

/*
 * Arrays and objects nested deeper than this are refused: json-c and the
 * code that walks a message recurse, and JSON schemas need some room.
 * Documented in mcpbridge(1), LIMITS.
 */
#define JSONPARSE_MAX_DEPTH	128

/*
 * Parses exactly one JSON text (RFC 8259) of len bytes, white space
 * around it allowed; the text need not be NUL-terminated.  Refused, where
 * json-c would take them or change them: NaN, Infinity, leading zeros,
 * "1.", raw control characters in strings, invalid UTF-8, nesting deeper
 * than JSONPARSE_MAX_DEPTH, and integers json-c cannot carry unchanged
 * (outside -2^63 .. 2^64-1, and -0): RFC 8259 section 6 lets a parser
 * limit the range of numbers, and refusing beats passing on a different
 * number (or colliding request ids).
 *
 * Returns a new object, or NULL with *cause (if not NULL) set to a static
 * string fit for a log line.
 */
json_object	*jsonparse_strict(const char *p, size_t len, const char **cause);

#endif
