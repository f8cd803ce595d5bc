/* SPDX-License-Identifier: ISC */
/*
 * modern.h: MCP 2026-07-28, the stateless ("modern") revision, as the bridge
 * serves it in front of a legacy (initialize-era) stdio child.  The pure
 * parts: which era a request belongs to, what its headers and _meta must
 * say and the HTTP status of an answer, how a legacy child's results and
 * errors look to a modern client, server/discover from the child's
 * initialize result, subscriptions/listen filters and tagging, and the
 * integrity-protected requestState.  No I/O but modern_key_new.
 *
 * The stateful part (ids, input_required rounds, listen streams) lives in
 * the mux (mux_modern_client.c, mux_modern_child.c), which calls these.
 * Every json_object returned is new; arguments are borrowed unless said
 * otherwise.
 */
#ifndef MCPBRIDGE_MODERN_H
#define MCPBRIDGE_MODERN_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "mcpwire.h"	/* MODERN_META_* */

/*
 * Hints a stdio child that knows the bridge may put in the _meta of a
 * request it sends (sampling, elicitation, roots); the bridge removes them
 * before anybody sees the request.  relatedRequestId is the id (as the
 * child received it) of the request it is working on, which settles whom
 * the question is for; inputKey names the question in an
 * InputRequiredResult's inputRequests.
 */
#define MODERN_HINT_RELATED	"mcpbridge/relatedRequestId"
#define MODERN_HINT_KEY		"mcpbridge/inputKey"

/* How long an input_required state stays valid by default. */
#define MODERN_STATE_TTL_MS	600000

enum modern_era {
	MODERN_ERA_LEGACY = 0,	/* initialize and sessions (<= 2025-11-25) */
	MODERN_ERA_MODERN,	/* per-request _meta (2026-07-28) */
};

/*
 * A POST to the MCP endpoint is modern when its body carries the modern
 * _meta (protocolVersion or clientCapabilities) or its
 * MCP-Protocol-Version header (version, may be NULL) names no legacy
 * revision.  Batches are legacy.  msg NULL: the header alone decides (a
 * GET or DELETE).
 */
enum modern_era	 modern_era(json_object *msg, const char *version);

/* Looks a request header up by name, case-insensitively; NULL if absent,
 * modern_header_repeated (compared by address) if it came more than once. */
typedef const char *(*modern_header_cb)(void *arg, const char *name);
extern const char modern_header_repeated[];

/*
 * A modern request's headers against its body and its _meta, in the order
 * the revision's reference server checks them: MCP-Protocol-Version
 * present (-32020), _meta protocolVersion and clientCapabilities present
 * (-32602), header equal to _meta (-32020), version supported (-32022 with
 * data.supported and data.requested), Mcp-Method (-32020), Mcp-Name for
 * tools/call, prompts/get and resources/read (-32020, base64 sentinel
 * decoded), logLevel (-32602).  A checked header that came twice is a
 * mismatch (-32020): routing on one copy and acting on the other is what
 * the mirrored headers are there to prevent.  NULL if all is well; else
 * the error response, with the request's id, and *status its HTTP status
 * (400).
 */
json_object	*modern_check(json_object *msg, modern_header_cb, void *arg,
		    int *status);
/*
 * A tools/call's Mcp-Param-* headers against its arguments, given the
 * tool's x-mcp-header annotations (spec, see mcpwire_tool_headers):
 * each argument the body holds must come in its header, decoding (plain
 * or =?base64?...?=) to the text a client derives from it, and no such
 * header may name a value the body lacks.  NULL if all is well; else the
 * error response (-32020, HTTP 400) with the request's id.
 */
json_object	*modern_check_params(json_object *msg, modern_header_cb,
		    void *arg, json_object *spec);
/* The _meta part of modern_check alone (for requests that came without
 * HTTP headers): NULL or an error object ({code, message, data?}). */
json_object	*modern_check_meta(json_object *msg);

/* The HTTP status for a final answer: 404 for -32601, 400 for the
 * invalid-request family and the MCP errors, else 200. */
int		 modern_http_status(json_object *answer);

/* What the bridge does with a modern method. */
enum modern_method {
	MODERN_FORWARD = 0,	/* to the child, id rewritten */
	MODERN_DISCOVER,	/* server/discover: the bridge answers */
	MODERN_LISTEN,		/* subscriptions/listen: the bridge serves */
	MODERN_REMOVED,		/* legacy only, or server-to-client: -32601 */
};
enum modern_method modern_method(const char *);
/* May this method's result be input_required (tools/call, prompts/get,
 * resources/read)? */
int		 modern_method_mrtr(const char *);
/* Does this method's result carry caching hints? */
int		 modern_method_cacheable(const char *);

/* The request's params as a legacy child takes them: no modern _meta
 * keys, no inputResponses or requestState.  NULL for NULL. */
json_object	*modern_legacy_params(json_object *params);

/* Legacy server capabilities as modern ones (known members only). */
json_object	*modern_capabilities(json_object *legacy);
/* server/discover's result from the child's initialize result. */
json_object	*modern_discover(json_object *init_result);
/*
 * A child's result for method, as a modern client expects it: resultType
 * "complete" unless it has one, io.modelcontextprotocol/serverInfo in
 * _meta (server_info may be NULL) and, for complete results of cacheable
 * methods, ttlMs 0 and cacheScope "private" unless present.
 */
json_object	*modern_result(const char *method, json_object *result,
		    json_object *server_info);
/* A child's error for method: -32002 (resource not found, legacy) is
 * -32602 now; anything else as it is.  Returns the error object. */
json_object	*modern_error(const char *method, json_object *error);
/* -32021 with data.requiredCapabilities (an object, consumed). */
json_object	*modern_missing_capability(json_object *required);

/* Input requests. */
/* The key of a child's request in inputRequests: its inputKey hint, or
 * its id as text.  Caller frees. */
char		*modern_input_key(json_object *child_request);
/* {method, params} of a child's request, hints removed. */
json_object	*modern_input_request(json_object *child_request);
/* The child's request with the hints removed from its params._meta (for
 * legacy clients); msg itself if it has none (a new reference either way). */
json_object	*modern_strip_hints(json_object *child_request);
/* The relatedRequestId hint of a child's request, or NULL (borrowed). */
json_object	*modern_hint_related(json_object *child_request);
/* Checks params.inputResponses: absent or an object of objects.  0, or -1
 * with *why. */
int		 modern_input_responses_ok(json_object *params, const char **why);

/* subscriptions/listen. */
#define MODERN_LISTEN_TOOLS		0x1
#define MODERN_LISTEN_PROMPTS		0x2
#define MODERN_LISTEN_RESOURCES		0x4
#define MODERN_LISTEN_SUBSCRIBE		0x8	/* resourceSubscriptions */
/* params.notifications: the flags asked for and the URIs (borrowed array,
 * may be NULL).  -1 with *why if malformed. */
int		 modern_listen_parse(json_object *params, unsigned *flags,
		    json_object **uris, const char **why);
/* The flags a legacy server's capabilities can honour. */
unsigned	 modern_listen_supported(json_object *capabilities);
/* notifications/subscriptions/acknowledged for listen id. */
json_object	*modern_listen_ack(json_object *id, unsigned flags,
		    json_object *uris);
/* The filter object of a listen request or its acknowledgement. */
json_object	*modern_listen_filter(unsigned flags, json_object *uris);
/* A notification tagged with the listen request's id. */
json_object	*modern_listen_tag(json_object *notification, json_object *id);
/* The graceful end of a subscription: the listen request's result. */
json_object	*modern_listen_end(json_object *id);
/* The listen flag a child notification answers to, or 0. */
unsigned	 modern_listen_flag(const char *method);

/*
 * A child that speaks 2026-07-28 itself (mux_modern_child.c passes modern
 * clients' traffic through and translates for legacy ones).
 */
/* A server/discover result: 1 if it lists 2026-07-28, 0 if it lists only
 * other versions, -1 if it is no DiscoverResult. */
int		 modern_discover_check(json_object *result);
/* A legacy InitializeResult made from a DiscoverResult (protocolVersion
 * the latest legacy one; serverInfo from _meta, or a placeholder). */
json_object	*modern_legacy_init(json_object *discover);
/* A legacy client's params as a 2026-07-28 request's: _meta gets the
 * protocolVersion, clientCapabilities (caps, or {}), clientInfo (info, if
 * any) and logLevel (level, if any).  params may be NULL. */
json_object	*modern_request_params(json_object *params,
		    json_object *caps, json_object *info, const char *level);
/* A 2026-07-28 result for a legacy client: no resultType, ttlMs or
 * cacheScope. */
json_object	*modern_legacy_result(json_object *result);
/* _meta's subscriptionId of a notification's params or a result, or NULL
 * (borrowed). */
json_object	*modern_subscription_id(json_object *params_or_result);
/* The notification without its subscriptionId tag. */
json_object	*modern_listen_untag(json_object *notification);
/* A listen result with its subscriptionId tag (if any) set to id. */
json_object	*modern_result_retag(json_object *result, json_object *id);

/*
 * requestState: what the bridge needs to find the child's pending request
 * again, sealed with HMAC-SHA-256 under the instance's key and bound to
 * the method, the name (tool, prompt or URI) and the principal (the
 * caller's token; 0 without auth).
 */
#define MODERN_KEY_LEN	32
struct modern_state {
	uint64_t	cid;		/* the request's id towards the child */
	uint64_t	round;
	uint64_t	expires;	/* monotonic ms */
	uint64_t	principal;
};
/* 32 random bytes (getrandom, else /dev/urandom; fatal if neither). */
void		 modern_key_new(unsigned char key[MODERN_KEY_LEN]);
/* Caller frees. */
char		*modern_state_seal(const unsigned char key[MODERN_KEY_LEN],
		    const struct modern_state *, const char *method,
		    const char *name);
/* 0 and *out, or -1 if malformed or its tag does not verify. */
int		 modern_state_open(const unsigned char key[MODERN_KEY_LEN],
		    const char *text, const char *method, const char *name,
		    struct modern_state *out);

/* The name that binds a request: params.name, or params.uri for
 * resources/read; NULL if none (borrowed). */
const char	*modern_request_name(const char *method, json_object *params);

#endif
