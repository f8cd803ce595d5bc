/* SPDX-License-Identifier: ISC */
/*
 * client_modern.h: the pure side of `mcpbridge client` speaking MCP
 * 2026-07-28 (the stateless, "modern" revision) to a server while the local
 * stdio client keeps its legacy flow (initialize, server-to-client requests).
 * What a server/discover answer says about the server's era, the local
 * initialize result built from a DiscoverResult, the request as it goes on
 * the wire (_meta, new id, inputResponses, requestState), and
 * input_required results turned into requests for the local client
 * (x-mcp-header and the Mcp-Param-* values are in mcpwire.h); and for a local client that speaks
 * 2026-07-28 itself (passed through), what tells one and its listen's
 * subscriptionId put back.  No I/O; client.c keeps the state.
 *
 * Every json_object returned is new; arguments are borrowed unless said
 * otherwise.  On error, functions that take char **err set it to a one-line
 * reason the caller frees.
 */
#ifndef MCPBRIDGE_CLIENT_MODERN_H
#define MCPBRIDGE_CLIENT_MODERN_H

#include <json-c/json.h>

#include "jsonrpc.h"

/* The one modern revision the bridge speaks. */
#define CLIENT_MODERN_VERSION		MCP_VERSION_2026_07_28
/* inputRequests accepted in one input_required result. */
#define CLIENT_MODERN_MAX_INPUTS	64

/* What the answer to a server/discover says. */
enum client_modern_probe {
	CLIENT_MODERN_PROBE_MODERN,	/* a DiscoverResult naming our version */
	CLIENT_MODERN_PROBE_RETRY,	/* -32022 that lists our version: again */
	CLIENT_MODERN_PROBE_LEGACY,	/* not a modern server: initialize */
	CLIENT_MODERN_PROBE_FAIL,	/* modern, but unusable: *why says why */
};

/*
 * status is the HTTP status (200 when the answer came on an event stream),
 * body the parsed answer or NULL.  A DiscoverResult, or a 400 with a modern
 * error (-32020, -32021, -32022), comes from a modern server; anything
 * else (404, 405, a legacy session error, -32601) from a legacy one.  A
 * server whose versions are all legacy ones is legacy too.
 */
enum client_modern_probe client_modern_probe(long status, json_object *body,
		    char **why);

/* How the bridge treats a method from the local client in the modern era. */
enum client_modern_local {
	CLIENT_MODERN_SEND,		/* a request for the server */
	CLIENT_MODERN_ANSWER,		/* ping, logging/setLevel: {} */
	CLIENT_MODERN_SWALLOW,		/* notifications: none go to the server */
	CLIENT_MODERN_LISTEN,		/* resources/(un)subscribe: the stream */
};
enum client_modern_local client_modern_local(const char *method,
		    int is_request);

/* The level of a logging/setLevel request, or NULL if it names none the
 * protocol knows (borrowed from msg). */
const char	*client_modern_log_level(json_object *msg);

/*
 * The legacy initialize result for the local client's initialize (its
 * message, for the protocolVersion it asked for) from a DiscoverResult:
 * that version if the bridge speaks it, else the latest legacy one; the
 * server's capabilities (list changes and resource subscriptions are
 * relayed from a subscriptions/listen stream); serverInfo; instructions.
 */
json_object	*client_modern_init_result(json_object *discover,
		    json_object *init);

/*
 * The request msg as it goes to the server: id replaced, params._meta
 * carrying protocolVersion, clientCapabilities and clientInfo (from the
 * local client's initialize message init, which may be NULL), and logLevel
 * when not NULL; inputResponses and requestState added when not NULL
 * (responses is copied; state is the server's string, shared, so that it
 * goes back exactly, NULs and all).  Keys of the local client's own _meta
 * stay.
 */
json_object	*client_modern_request(json_object *msg, json_object *id,
		    json_object *init, const char *log_level,
		    json_object *responses, json_object *state);

/*
 * A result: 1 if input_required (and well formed), 0 if complete (also
 * when resultType is absent), -1 and *err if it is malformed or of a kind
 * the bridge does not know.
 */
int		 client_modern_result_kind(json_object *result, char **err);
/*
 * The request for the local client that one inputRequests entry stands
 * for, with the given id: elicitation/create, sampling/createMessage or
 * roots/list.  NULL and *err for anything else.
 */
json_object	*client_modern_input_request(json_object *req, json_object *id,
		    char **err);

/*
 * A local client that speaks 2026-07-28 itself gets its traffic passed
 * through (client.c).  Its first request tells: 1 for server/discover or
 * a request whose _meta names a protocolVersion later than every legacy
 * one, 0 for initialize or anything else.
 */
int		 client_modern_local_era(json_object *msg);
/* 1 if msg is notifications/cancelled for the request with this id. */
int		 client_modern_cancels(json_object *msg, json_object *id);

/*
 * A message from the server on a passed-through request's stream, for the
 * local client: a new copy whose _meta subscriptionId (a notification's
 * params, or a result) is the local id where it was the wire id, as is a
 * notifications/cancelled's requestId; anything else unchanged.
 */
json_object	*client_modern_retag(json_object *msg, json_object *wire_id,
		    json_object *local_id);

#endif
