/* SPDX-License-Identifier: ISC */
/*
 * mcpwire.h: the MCP wire vocabulary shared by both ends of the bridge: the
 * protocol revisions; the _meta keys and error codes of MCP 2026-07-28; how
 * a value goes into an Mcp-* header; what an RFC 9110 token is (header
 * names here, auth-scheme and parameter names in oauth.c's challenge
 * parser); and the revision's x-mcp-header rules
 * (which tool annotations are valid, and the Mcp-Param-* headers a
 * tools/call carries).  client.c makes the headers, modern.c checks
 * them, the mux (mux_route.c) remembers a child's annotations.
 * No I/O.
 *
 * Every json_object returned is new; arguments are borrowed unless said
 * otherwise.  On error, functions that take char **err set it to a one-line
 * reason the caller frees.
 */
#ifndef MCPBRIDGE_MCPWIRE_H
#define MCPBRIDGE_MCPWIRE_H

#include <json-c/json.h>

/* MCP revisions the bridge knows, oldest first (jsonrpc.c says which of
 * them it speaks in the legacy era). */
#define MCP_VERSION_2024_11_05	"2024-11-05"
#define MCP_VERSION_2025_03_26	"2025-03-26"
#define MCP_VERSION_2025_06_18	"2025-06-18"
#define MCP_VERSION_2025_11_25	"2025-11-25"
#define MCP_VERSION_2026_07_28	"2026-07-28"
#define MCP_VERSION_LATEST_LEGACY MCP_VERSION_2025_11_25

/* MCP 2026-07-28 errors. */
#define MCP_ERROR_HEADER_MISMATCH	-32020
#define MCP_ERROR_MISSING_CAPABILITY	-32021
#define MCP_ERROR_UNSUPPORTED_VERSION	-32022

/* The _meta key that ties a message to a task (MCP 2025-11-25 tasks). */
#define MCP_META_RELATED_TASK	"io.modelcontextprotocol/related-task"

/* The _meta keys of MCP 2026-07-28. */
#define MODERN_META_VERSION	"io.modelcontextprotocol/protocolVersion"
#define MODERN_META_INFO	"io.modelcontextprotocol/clientInfo"
#define MODERN_META_CAPS	"io.modelcontextprotocol/clientCapabilities"
#define MODERN_META_LOGLEVEL	"io.modelcontextprotocol/logLevel"
#define MODERN_META_SERVERINFO	"io.modelcontextprotocol/serverInfo"
#define MODERN_META_SUBSCRIPTION "io.modelcontextprotocol/subscriptionId"

/* The MCP log levels (logging/setLevel, notifications/message and
 * MODERN_META_LOGLEVEL), ranked from 0, the most verbose ("debug"), to
 * MCPWIRE_NLEVELS - 1 ("emergency"). */
#define MCPWIRE_NLEVELS		8

/* x-mcp-header annotations accepted in one tool, and schema depth walked. */
#define MCPWIRE_MAX_HEADERS	64
#define MCPWIRE_MAX_DEPTH	32
/* The most tools whose x-mcp-header annotations are remembered. */
#define MCPWIRE_MAX_TOOLS	10000

/* The rank of a level name, or -1 if name is NULL or no level. */
int		 mcpwire_level(const char *name);
/* 1 if a tools/call result (parsed, raw or NULL) says isError: true. */
int		 mcpwire_tool_error(json_object *result);
/* The name of a level rank in [0, MCPWIRE_NLEVELS), else NULL. */
const char	*mcpwire_level_name(int rank);

/* What opens a base64-encoded header value, =?base64?...?= */
#define MCPWIRE_B64_OPEN	"=?base64?"

/* A value for the Mcp-Method, Mcp-Name or an Mcp-Param-* header: as it is
 * if it is plain printable ASCII, else =?base64?...?= (caller frees). */
char		*mcpwire_header_value(const char *);
/*
 * A header value as a client sends Mcp-Name: surrounding blanks dropped,
 * then "=?base64?...?=" decoded (strict: standard alphabet, padding).
 * Returns a NUL-terminated copy (the decoded bytes may hold NULs: *len
 * tells), or NULL if it has characters a header value may not have or the
 * base64 is broken.
 */
char		*mcpwire_header_decode(const char *, size_t *len);

/* RFC 9110 5.6.2: 1 if the byte c (as unsigned char) is a tchar: an ASCII
 * letter or digit or one of !#$%&'*+-.^_`|~ (so no control, space,
 * separator or byte past 0x7e). */
int		 mcpwire_tchar(int c);
/* 1 if s is an RFC 9110 token: 1*tchar (not empty). */
int		 mcpwire_token(const char *s);

/*
 * A tool's x-mcp-header annotations, checked as the revision requires: a
 * non-empty RFC 9110 token, unique case-insensitively, on a property of
 * type string, integer or boolean, reached from the root through
 * "properties" alone.  0 and *spec a new array of {"name", "path": [...]}
 * (empty when the tool has none); -1 and *err when the tool is invalid.
 */
int		 mcpwire_tool_headers(json_object *tool, json_object **spec,
		    char **err);
/*
 * Records tool's annotations in table (name -> spec; table may be NULL),
 * at most MCPWIRE_MAX_TOOLS of them.  -1 and *err if they are
 * invalid: the tool is then forgotten.
 */
int		 mcpwire_learn_tool(json_object *table, json_object *tool,
		    char **err);
/*
 * Drops the tools with invalid annotations from a tools/list result, in
 * place (and from table), and records the annotations of the others in
 * table (tool name -> spec, at most MCPWIRE_MAX_TOOLS of them).
 * Returns a new array of "name: reason" lines, one per dropped
 * tool, for the caller to log.
 */
json_object	*mcpwire_filter_tools(json_object *result,
		    json_object *table);
/*
 * The Mcp-Param-* headers for a tools/call: a new object header name ->
 * value (base64 sentinel where needed; "" is a real empty value).
 * Arguments that are absent or null get no header.
 */
json_object	*mcpwire_param_headers(json_object *spec,
		    json_object *arguments);

#endif
