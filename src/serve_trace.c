/* SPDX-License-Identifier: ISC */
/*
 * serve_trace.c: the spans of `mcpbridge serve` (serve_trace.h), named and
 * attributed as the OpenTelemetry semantic conventions for MCP say.
 *
 * Every span open is one struct strace in one hash map, by a key that
 * says what it is and which id its end comes back with:
 *   "s\n" SESSION "\n" ID	a client's request (SERVER), ID as JSON;
 *   "c\n" SRV "\n" CID		its round trip to the child (CLIENT), by
 *				the server's id (serve_trace_server: each
 *				server's mux numbers its own) and the id
 *				that mux gave the child's copy;
 *   "q\n" SESSION "\n" BID	a request of the child's to a client
 *				(CLIENT), by the id the client sees.
 * A SERVER span knows its open round trip; when it ends (answered,
 * cancelled, its session gone) the round trip ends too, so a request the
 * child never answers leaves nothing open; but for an input_required
 * round, whose round trip goes on until the client's retry starts the
 * next (or the child answers, or it is abandoned).  Spans that are not sampled
 * are not built (sp NULL), but their context still goes to the child.
 * What is still open after SERVE_TRACE_ABANDON_MS ends as abandoned.
 *
 * Nothing secret goes in: no header, no token; the session id as a hash;
 * the principal as its keyed hash (enduser.id); arguments and results
 * only with --otel-capture-content; the secrets serve knows redacted
 * from every string of a span as it ends (otel_redact_span).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "clock.h"
#include "curl_event.h"
#include "hmap.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "otel.h"
#include "otel_export.h"
#include "otel_redact.h"
#include "principal.h"
#include "rawjson.h"
#include "serve.h"
#include "serve_trace.h"
#include "session.h"
#include "tracectx.h"
#include "xmalloc.h"

/* mcp.session.id: this many hex digits of the id's SHA-256. */

enum strace_kind {
	STRACE_SERVER,		/* a client's request */
	STRACE_CHILD,		/* its round trip to the child */
	STRACE_SREQ,		/* a request of the child's to a client */
};

struct strace {
	TAILQ_ENTRY(strace)	 entry;		/* open, oldest first */
	char			*key;
	uint64_t		 h;
	enum strace_kind	 kind;
	unsigned		 srv;		/* serve_trace_server's id */
	struct tracectx		 ctx;		/* its own */
	struct otel_span	*sp;		/* NULL: not sampled */
	char			 sid[SESSION_ID_MAX + 1]; /* "" none */
	uint64_t		 start_ms;
	struct strace		*child;		/* SERVER: its round trip */
	struct strace		*server;	/* CHILD: whose round trip */
	long			 pool;		/* CHILD: the shared child it
						   went to, -1 none (yet) */
};
TAILQ_HEAD(straces, strace);

struct serve_trace {
	/* What no span records (serve_trace_secret) */
	struct otel_redact	 secrets;
	const struct serve_config *cfg;
	struct curl_event	*ce;
	struct otel_export	*exp;
	struct hmap		 map;
	struct straces		 open;
	size_t			 nopen;
	const char		*child_transport;	/* network.transport */
	/* serve --config with several servers: the client's request id of
	 * an id of the aggregated endpoint's session at a server
	 * (serve_trace_set_agg), and its SERVER spans' side */
	json_object		*(*agg_id)(void *, struct mux_session *,
				    json_object *);
	void			*agg_arg;
	struct serve_trace_server agg;
};

static int
strace_match(const void *v, const void *key)
{
	const struct strace	*t = v;

	return strcmp(t->key, key) == 0;
}

static struct strace *
strace_find(struct serve_trace *st, const char *key)
{
	return hmap_find(&st->map, hmap_hash_str(key), strace_match, key);
}

/* The session id of ms, "" for none.  A stateless (2026-07-28) request
 * has one too, its own: the keys of two clients' id 1 differ. */
static const char *
strace_sid(struct mux_session *ms)
{
	const struct session	*sess;

	if (ms == NULL || (sess = mux_session_data(ms)) == NULL)
		return "";
	return sess->id;
}

/* A session the client knows (not a stateless request's). */
static int
strace_has_session(struct mux_session *ms)
{
	const struct session	*sess;

	return ms != NULL && (sess = mux_session_data(ms)) != NULL &&
	    sess->kind != SESSION_STATELESS;
}

/*
 * ms is the aggregated endpoint's session at a server: its data is the
 * client's HTTP session, whose own session (sess->ms) is the agg's.  Its
 * ids are the agg's, not the client's: its answers end no client span
 * (the agg's own answer does, serve_trace_agg_out) and its end is not
 * the client session's.
 */
static int
strace_agg_link(struct mux_session *ms)
{
	const struct session	*sess;

	return ms != NULL && (sess = mux_session_data(ms)) != NULL &&
	    sess->ms != (void *)ms;
}

/* The client's id of a request id of session ms: id itself, or for the
 * agg's session at a server the client request it is part of (NULL:
 * none, the agg's own). */
static json_object *
strace_client_id(struct serve_trace *st, struct mux_session *ms,
    json_object *id)
{
	if (!strace_agg_link(ms))
		return id;
	return st->agg_id != NULL && id != NULL ?
	    st->agg_id(st->agg_arg, ms, id) : NULL;
}

/* An id as text: a string as it is, a number in decimal; NULL for none. */
static const char *
strace_id_text(json_object *id)
{
	if (id == NULL || json_object_is_type(id, json_type_null))
		return NULL;
	if (json_object_is_type(id, json_type_string))
		return json_object_get_string(id);
	return json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN);
}

/* The key of a client's request: the id as JSON, so "1" and 1 differ. */
static char *
strace_server_key(const char *sid, json_object *id)
{
	char	*key;

	xasprintf(&key, "s\n%s\n%s", sid,
	    json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
	return key;
}

static struct strace *
strace_new(struct serve_trace *st, char *key, enum strace_kind kind,
    const char *sid)
{
	struct strace	*t;

	t = xcalloc(1, sizeof *t);
	t->key = key;
	t->h = hmap_hash_str(key);
	t->kind = kind;
	snprintf(t->sid, sizeof t->sid, "%s", sid);
	t->start_ms = clock_ms();
	t->pool = -1;
	hmap_add(&st->map, t->h, t);
	TAILQ_INSERT_TAIL(&st->open, t, entry);
	st->nopen++;
	return t;
}

void
serve_trace_secret(struct serve_trace *st, const char *value)
{
	if (st != NULL)
		otel_redact_add(&st->secrets, value);
}

void
serve_trace_bearer(struct serve_trace *st, const char *token, size_t len)
{
	if (st != NULL)
		otel_redact_token(&st->secrets, token, len);
}

/* Name and the attributes a request's method and params give. */
static void
strace_method_attrs(struct serve_trace *st, struct otel_span *sp,
    json_object *msg)
{
	const char	*method = jsonrpc_method(msg);
	json_object	*params = jsonrpc_params(msg), *args;
	char		*name, *target = NULL, *v;

	otel_attr_str(&sp->attrs, "mcp.method.name", method);
	if (strcmp(method, "tools/call") == 0) {
		otel_attr_str(&sp->attrs, "gen_ai.operation.name",
		    "execute_tool");
		if ((target = otel_json_str(params, "name")) != NULL)
			otel_attr_str(&sp->attrs, "gen_ai.tool.name", target);
		/* Parsed if raw (rawjson_request): what is redacted is
		 * json-c's text, whatever escapes the client wrote. */
		if (st->cfg->otel_capture_content) {
			args = rawjson_get(params, "arguments",
			    json_type_object);
			otel_redact_attr_json(&st->secrets, &sp->attrs,
			    "gen_ai.tool.call.arguments", args);
			json_object_put(args);
		}
	} else if (strcmp(method, "prompts/get") == 0) {
		if ((target = otel_json_str(params, "name")) != NULL)
			otel_attr_str(&sp->attrs, "gen_ai.prompt.name",
			    target);
	} else if (strncmp(method, "resources/", 10) == 0 &&
	    (v = otel_json_str(params, "uri")) != NULL) {
		otel_attr_str(&sp->attrs, "mcp.resource.uri", v);
		free(v);
	}
	if (target != NULL) {
		/* The target is the client's: cut like any name. */
		xasprintf(&name, "%s %s", method, target);
		otel_span_rename(sp, name);
		free(name);
		free(target);
	}
}

/* Ends t (and a SERVER span's open round trip), exports it, frees it. */
static void
strace_end(struct serve_trace *st, struct strace *t, const char *error_type)
{
	uint64_t	now = otel_now_ns();

	if (t->child != NULL) {
		t->child->server = NULL;
		strace_end(st, t->child, error_type);
	}
	if (t->server != NULL)
		t->server->child = NULL;
	if (t->sp != NULL) {
		if (error_type != NULL && t->sp->status != OTEL_STATUS_ERROR) {
			otel_attr_str(&t->sp->attrs, "error.type", error_type);
			otel_span_status(t->sp, OTEL_STATUS_ERROR, NULL);
		}
		otel_span_end(t->sp, now);
		/* Whatever a client wrote (an id, a tool name, a URI) may
		 * be a secret the bridge knows. */
		otel_redact_span(&st->secrets, t->sp);
		otel_export_span(st->exp, t->sp);
	}
	hmap_del(&st->map, t->h, t);
	TAILQ_REMOVE(&st->open, t, entry);
	st->nopen--;
	free(t->key);
	free(t);
}

/* Whose keys are at most this many characters of methods, in the
 * attribute that lists them. */
#define STRACE_METHODS_MAX	256

/*
 * A 2026-07-28 round: a result that asks the client questions
 * (input_required: the child's sampling, elicitation, roots requests) is
 * an event of the request's span, with the methods asked; the retry that
 * answers them, an event of its own span.
 */
static void
strace_input_required(struct strace *t, json_object *result)
{
	struct otel_event	*ev;
	json_object		*asks;
	const char		*m;
	char			 methods[STRACE_METHODS_MAX + 1] = "";
	int64_t			 n = 0;

	if (t->sp == NULL || result == NULL ||
	    (m = jsonrpc_get_str(result, "resultType")) == NULL ||
	    strcmp(m, "input_required") != 0)
		return;
	if ((asks = jsonrpc_get(result, "inputRequests",
	    json_type_object)) != NULL) {
		json_object_object_foreach(asks, key, ask) {
			(void)key;
			n++;
			if ((m = jsonrpc_get_str(ask, "method")) != NULL &&
			    strlen(methods) + strlen(m) + 1 < sizeof methods)
				snprintf(methods + strlen(methods),
				    sizeof methods - strlen(methods), "%s%s",
				    methods[0] != '\0' ? "," : "", m);
		}
	}
	if ((ev = otel_span_event(t->sp, "mcp.input_required",
	    otel_now_ns())) == NULL)
		return;
	otel_attr_int(&ev->attrs, "mcp.input_required.count", n);
	otel_attr_str(&ev->attrs, "mcp.input_required.methods", methods);
}

/* An answer that is an input_required round. */
static int
strace_asks(json_object *ans)
{
	const char	*m;

	m = jsonrpc_get_str(jsonrpc_get(ans, "result", json_type_object),
	    "resultType");
	return m != NULL && strcmp(m, "input_required") == 0;
}

/* An answer's outcome on t's span: error.type and status from an error,
 * or a tool result with isError. */
static void
strace_outcome(struct serve_trace *st, struct strace *t, json_object *ans)
{
	json_object	*err, *code, *result;
	char		 buf[24];

	if (t->sp == NULL)
		return;
	if ((err = jsonrpc_get(ans, "error", json_type_object)) != NULL) {
		if ((code = jsonrpc_get(err, "code", json_type_int)) != NULL) {
			snprintf(buf, sizeof buf, "%lld",
			    (long long)json_object_get_int64(code));
			otel_attr_str(&t->sp->attrs, "error.type", buf);
			otel_attr_str(&t->sp->attrs,
			    "rpc.response.status_code", buf);
		} else
			otel_attr_str(&t->sp->attrs, "error.type", "_OTHER");
		/* The message may quote what the client sent. */
		otel_span_status(t->sp, OTEL_STATUS_ERROR,
		    st->cfg->otel_capture_content ?
		    jsonrpc_get_str(err, "message") : NULL);
		return;
	}
	/* A result passed through unparsed (rawjson.h) is written as the
	 * child wrote it; nothing is found inside it. */
	if (jsonrpc_member(ans, "result", &result) && !rawjson_is(result) &&
	    !json_object_is_type(result, json_type_object))
		result = NULL;
	if (t->kind == STRACE_SERVER)
		strace_input_required(t, result);
	if (t->kind == STRACE_SERVER && st->cfg->otel_capture_content &&
	    result != NULL && t->sp->name != NULL &&
	    strncmp(t->sp->name, "tools/call", 10) == 0)
		otel_redact_attr_json(&st->secrets, &t->sp->attrs,
		    "gen_ai.tool.call.result", result);
	if (mcpwire_tool_error(result)) {
		otel_attr_str(&t->sp->attrs, "error.type", "tool_error");
		otel_span_status(t->sp, OTEL_STATUS_ERROR, NULL);
	}
}

/* ---- the client's requests ---- */

/*
 * enduser.id: who the request's token speaks for, never the token nor
 * the OAuth subject: "oauth:" and the principal's keyed hash
 * (principal.h: stable while the process runs, meaningless outside it),
 * or "token:" and a static token's number in the order given.
 */
static void
strace_enduser(struct otel_span *sp, const struct session *sess)
{
	char			 buf[32];

	if (sess == NULL || sess->token == 0)
		return;
	if (sess->token & PRINCIPAL_OAUTH_BIT)
		snprintf(buf, sizeof buf, "oauth:%016" PRIx64,
		    sess->token & ~PRINCIPAL_OAUTH_BIT);
	else
		snprintf(buf, sizeof buf, "token:%" PRIu64, sess->token);
	otel_attr_str(&sp->attrs, "enduser.id", buf);
}

/* Whose span: the server's name (serve --config). */
static void
strace_server_attr(const struct serve_trace_server *v, struct otel_span *sp)
{
	if (v->name != NULL)
		otel_attr_str(&sp->attrs, "mcpbridge.server.name", v->name);
}

/* sess: the client's HTTP session (NULL: none); version: what it
 * negotiated, or NULL. */
static void
strace_server_start(const struct serve_trace_server *v,
    const struct session *sess, const char *version, json_object *msg,
    const struct http_trace_info *info)
{
	struct serve_trace	*st = v->st;
	struct tracectx		 parent, *pp = NULL;
	struct strace		*t;
	struct otel_event	*ev;
	const char		*sid = sess != NULL ? sess->id : "", *idt, *ver;
	json_object		*id = jsonrpc_id(msg), *answers;
	char			*key;
	int			 sampled;

	if (jsonrpc_classify(msg) != JSONRPC_REQUEST ||
	    st->nopen >= SERVE_TRACE_OPEN_MAX)
		return;
	key = strace_server_key(sid, id);
	if ((t = strace_find(st, key)) != NULL)
		strace_end(st, t, "_OTHER");	/* an id used twice */
	/* _meta first, the headers else; a malformed one is no parent. */
	if (tracectx_from_meta(msg, &parent) == 0 ||
	    (info->traceparent != NULL && tracectx_extract(info->traceparent,
	    strlen(info->traceparent), info->tracestate, info->tracestate ==
	    NULL ? 0 : strlen(info->tracestate), &parent) == 0))
		pp = &parent;
	t = strace_new(st, key, STRACE_SERVER, sid);
	t->srv = v->id;
	if (pp != NULL) {
		sampled = otel_sample(&st->cfg->otel->sampler, pp,
		    pp->trace_id);
		tracectx_new_child(pp, &t->ctx, sampled);
	} else {
		tracectx_new_trace(&t->ctx, 0);
		sampled = otel_sample(&st->cfg->otel->sampler, NULL,
		    t->ctx.trace_id);
		if (sampled)
			t->ctx.flags |= TRACECTX_FLAG_SAMPLED;
	}
	if (!sampled)
		return;
	t->sp = otel_span_new(jsonrpc_method(msg), OTEL_KIND_SERVER, &t->ctx,
	    pp, pp != NULL, otel_now_ns());
	strace_method_attrs(st, t->sp, msg);
	strace_server_attr(v, t->sp);
	if ((idt = strace_id_text(id)) != NULL)
		otel_attr_str(&t->sp->attrs, "jsonrpc.request.id", idt);
	if (sess != NULL && sess->kind != SESSION_STATELESS)
		otel_attr_session_id(&t->sp->attrs, sid);
	strace_enduser(t->sp, sess);
	/* The header, else what the session negotiated (the legacy
	 * transport sends none), else what an initialize asks. */
	if ((ver = info->version) == NULL)
		ver = version;
	if (ver == NULL && strcmp(jsonrpc_method(msg), "initialize") == 0)
		ver = jsonrpc_get_str(jsonrpc_params(msg), "protocolVersion");
	if (ver != NULL)
		otel_attr_str(&t->sp->attrs, "mcp.protocol.version", ver);
	otel_attr_str(&t->sp->attrs, "network.transport", "tcp");
	otel_attr_str(&t->sp->attrs, "network.protocol.name", "http");
	otel_attr_str(&t->sp->attrs, "network.protocol.version", "1.1");
	if (info->peer != NULL)
		otel_attr_str(&t->sp->attrs, "client.address", info->peer);
	/* The retry of an input_required round, with the answers. */
	if ((answers = jsonrpc_get(jsonrpc_params(msg), "inputResponses",
	    json_type_object)) != NULL &&
	    (ev = otel_span_event(t->sp, "mcp.input_responses",
	    otel_now_ns())) != NULL)
		otel_attr_int(&ev->attrs, "mcp.input_responses.count",
		    json_object_object_length(answers));
}

static void
strace_http(const struct serve_trace_server *v, const struct session *sess,
    const char *version, json_object *msg, const struct http_trace_info *info)
{
	size_t	i;

	if (!json_object_is_type(msg, json_type_array)) {
		strace_server_start(v, sess, version, msg, info);
		return;
	}
	for (i = 0; i < json_object_array_length(msg); i++)
		strace_server_start(v, sess, version,
		    json_object_array_get_idx(msg, i), info);
}

void
serve_trace_http(void *arg, struct mux_session *ms, json_object *msg,
    const struct http_trace_info *info)
{
	strace_http(arg, ms != NULL ? mux_session_data(ms) : NULL,
	    ms != NULL ? mux_session_version(ms) : NULL, msg, info);
}

void
serve_trace_set_agg(struct serve_trace *st,
    json_object *(*fn)(void *, struct mux_session *, json_object *),
    void *arg, unsigned id)
{
	st->agg_id = fn;
	st->agg_arg = arg;
	st->agg.st = st;
	st->agg.id = id;
	st->agg.name = NULL;
}

void
serve_trace_agg_http(struct serve_trace *st, void *data, const char *version,
    json_object *msg, const struct http_trace_info *info)
{
	strace_http(&st->agg, data, version, msg, info);
}

/* ---- the round trip to the child ---- */

int
serve_trace_child_request(void *arg, struct mux_session *ms,
    json_object *msg, uint64_t cid, struct tracectx *ctx)
{
	const struct serve_trace_server	*v = arg;
	struct serve_trace		*st = v->st;
	struct strace			*srv, *t;
	json_object			*cause;
	char				*key, buf[24];

	if ((cause = strace_client_id(st, ms, jsonrpc_id(msg))) == NULL)
		return -1;
	key = strace_server_key(strace_sid(ms), cause);
	srv = strace_find(st, key);
	free(key);
	if (srv == NULL)
		return -1;
	if (srv->child != NULL)		/* retried: the last one counts */
		strace_end(st, srv->child, NULL);
	xasprintf(&key, "c\n%u\n%llu", v->id, (unsigned long long)cid);
	/* A 2026-07-28 client came back with answers: the round the child
	 * waited for them in ends, the next is this request's. */
	if ((t = strace_find(st, key)) != NULL)
		strace_end(st, t, NULL);
	t = strace_new(st, key, STRACE_CHILD, srv->sid);
	t->srv = v->id;
	t->server = srv;
	srv->child = t;
	tracectx_new_child(&srv->ctx, &t->ctx, tracectx_sampled(&srv->ctx));
	*ctx = t->ctx;
	if (srv->sp == NULL)
		return 0;
	t->sp = otel_span_new(srv->sp->name, OTEL_KIND_CLIENT, &t->ctx,
	    &srv->ctx, 0, otel_now_ns());
	strace_method_attrs(st, t->sp, msg);
	strace_server_attr(v, t->sp);
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)cid);
	otel_attr_str(&t->sp->attrs, "jsonrpc.request.id", buf);
	otel_attr_str(&t->sp->attrs, "network.transport", st->child_transport);
	return 0;
}

void
serve_trace_child_in(const struct serve_trace_server *v, json_object *msg)
{
	struct serve_trace	*st = v->st;
	struct strace		*t;
	json_object		*id;
	char			 key[48];

	if (jsonrpc_classify(msg) != JSONRPC_RESPONSE ||
	    !json_object_is_type(id = jsonrpc_id(msg), json_type_int))
		return;
	snprintf(key, sizeof key, "c\n%u\n%lld", v->id,
	    (long long)json_object_get_int64(id));
	if ((t = strace_find(st, key)) == NULL)
		return;
	strace_outcome(st, t, msg);
	strace_end(st, t, NULL);
}

/* ---- what goes to a client ---- */

/*
 * The mux's span_server hook: a request of the child's goes to session
 * ms as bid, for the client's request cause (or NULL: the mux cannot
 * tell which).  Its parent is the child's own context (an instrumented
 * child), else that request's round trip (or its SERVER span between
 * rounds), else nothing: a trace of its own rather than a guess.
 */
int
serve_trace_server_request(void *arg, struct mux_session *ms,
    json_object *msg, uint64_t bid, json_object *cause, struct tracectx *ctx)
{
	const struct serve_trace_server	*v = arg;
	struct serve_trace	*st = v->st;
	struct tracectx		 parent, *pp = NULL;
	struct strace		*t, *srv = NULL;
	const char		*sid = strace_sid(ms);
	char			*key, buf[24];
	int			 remote = 0;

	if (st->nopen >= SERVE_TRACE_OPEN_MAX)
		return -1;
	if (cause != NULL)
		cause = strace_client_id(st, ms, cause);
	if (cause != NULL) {
		key = strace_server_key(sid, cause);
		srv = strace_find(st, key);
		free(key);
	}
	if (tracectx_from_meta(msg, &parent) == 0) {
		pp = &parent;
		remote = 1;
	} else if (srv != NULL)
		pp = srv->child != NULL ? &srv->child->ctx : &srv->ctx;
	xasprintf(&key, "q\n%s\n%llu", sid, (unsigned long long)bid);
	if ((t = strace_find(st, key)) != NULL)
		strace_end(st, t, "_OTHER");
	t = strace_new(st, key, STRACE_SREQ, sid);
	t->srv = v->id;
	if (pp != NULL)
		tracectx_new_child(pp, &t->ctx, tracectx_sampled(pp));
	else {
		tracectx_new_trace(&t->ctx, 0);
		if (otel_sample(&st->cfg->otel->sampler, NULL, t->ctx.trace_id))
			t->ctx.flags |= TRACECTX_FLAG_SAMPLED;
	}
	*ctx = t->ctx;
	if (!tracectx_sampled(&t->ctx))
		return 0;
	t->sp = otel_span_new(jsonrpc_method(msg), OTEL_KIND_CLIENT,
	    &t->ctx, pp, remote, otel_now_ns());
	otel_attr_str(&t->sp->attrs, "mcp.method.name", jsonrpc_method(msg));
	strace_server_attr(v, t->sp);
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)bid);
	otel_attr_str(&t->sp->attrs, "jsonrpc.request.id", buf);
	if (strace_has_session(ms))
		otel_attr_session_id(&t->sp->attrs, sid);
	otel_attr_str(&t->sp->attrs, "network.transport", "tcp");
	otel_attr_str(&t->sp->attrs, "network.protocol.name", "http");
	return 0;
}

static void
strace_answered(struct serve_trace *st, const char *sid, json_object *msg)
{
	struct strace	*t;
	char		*key;

	if (jsonrpc_classify(msg) != JSONRPC_RESPONSE)
		return;
	key = strace_server_key(sid, jsonrpc_id(msg));
	t = strace_find(st, key);
	free(key);
	if (t == NULL)
		return;
	strace_outcome(st, t, msg);
	/* An error while the round trip is open is the bridge's (the child
	 * went, the request timed out): the round trip failed too. */
	if (t->child != NULL && jsonrpc_get(msg, "error",
	    json_type_object) != NULL)
		strace_outcome(st, t->child, msg);
	/* A round that asks the client ends this request, not the child's
	 * work: its round trip goes on until the client's retry. */
	if (t->child != NULL && strace_asks(msg)) {
		t->child->server = NULL;
		t->child = NULL;
	}
	strace_end(st, t, NULL);
}

void
serve_trace_session_out(struct serve_trace *st, struct mux_session *ms,
    json_object **msg)
{
	const char	*sid = strace_sid(ms);
	size_t		 i;

	if (strace_agg_link(ms))
		return;		/* the agg's part, not the client's answer */
	if (json_object_is_type(*msg, json_type_array)) {
		for (i = 0; i < json_object_array_length(*msg); i++)
			strace_answered(st, sid,
			    json_object_array_get_idx(*msg, i));
		return;
	}
	switch (jsonrpc_classify(*msg)) {
	case JSONRPC_RESPONSE:
		strace_answered(st, sid, *msg);
		break;
	default:
		break;
	}
}

void
serve_trace_agg_out(struct serve_trace *st, void *data, json_object *msg)
{
	const struct session	*sess = data;
	size_t			 i;

	if (sess == NULL || msg == NULL)
		return;
	if (json_object_is_type(msg, json_type_array)) {
		for (i = 0; i < json_object_array_length(msg); i++)
			strace_answered(st, sess->id,
			    json_object_array_get_idx(msg, i));
	} else if (jsonrpc_classify(msg) == JSONRPC_RESPONSE)
		strace_answered(st, sess->id, msg);
}

void
serve_trace_agg_end(struct serve_trace *st, void *data)
{
	const struct session	*sess = data;
	struct strace		*t;

	if (sess == NULL)
		return;
again:
	TAILQ_FOREACH(t, &st->open, entry) {
		if (strcmp(t->sid, sess->id) != 0 || t->kind != STRACE_SERVER)
			continue;
		if (t->sp != NULL)
			otel_span_event(t->sp, "mcp.session.end",
			    otel_now_ns());
		strace_end(st, t, "session_end");
		goto again;
	}
}

/* ---- what comes from a client ---- */

void
serve_trace_client_in(struct serve_trace *st, struct mux_session *ms,
    json_object *msg)
{
	const char	*sid = strace_sid(ms);
	struct strace	*t;
	json_object	*rid;
	char		*key;
	size_t		 i;

	if (json_object_is_type(msg, json_type_array)) {
		for (i = 0; i < json_object_array_length(msg); i++)
			serve_trace_client_in(st, ms,
			    json_object_array_get_idx(msg, i));
		return;
	}
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_RESPONSE:
		/* The answer to a request of the child's. */
		xasprintf(&key, "q\n%s\n%s", sid,
		    json_object_to_json_string_ext(jsonrpc_id(msg),
		    JSON_C_TO_STRING_PLAIN));
		t = strace_find(st, key);
		free(key);
		if (t != NULL) {
			strace_outcome(st, t, msg);
			strace_end(st, t, NULL);
		}
		break;
	case JSONRPC_NOTIFICATION:
		if (strcmp(jsonrpc_method(msg), "notifications/cancelled") != 0 ||
		    !json_object_object_get_ex(jsonrpc_params(msg),
		    "requestId", &rid))
			break;
		if ((rid = strace_client_id(st, ms, rid)) == NULL)
			break;
		key = strace_server_key(sid, rid);
		t = strace_find(st, key);
		free(key);
		if (t != NULL)
			strace_end(st, t, "cancelled");
		break;
	default:
		break;
	}
}

/* ---- the ends of sessions, children and the bridge ---- */

void
serve_trace_session_end(struct serve_trace *st, struct mux_session *ms)
{
	const char	*sid = strace_sid(ms);
	struct strace	*t;
	int		 stateless;

	/* The agg's session at a server: the client's goes on (its end
	 * comes as serve_trace_agg_end). */
	if (*sid == '\0' || strace_agg_link(ms))
		return;
	/* Ending a SERVER span ends its round trip too: walk again.  A
	 * round trip without one (an input_required round the client never
	 * came back to) ends on its own; but a stateless request's: its
	 * retry comes as a request of its own, and the child waits. */
	stateless = !strace_has_session(ms);
again:
	TAILQ_FOREACH(t, &st->open, entry) {
		if (strcmp(t->sid, sid) != 0 || (t->kind == STRACE_CHILD &&
		    (t->server != NULL || stateless)))
			continue;
		if (t->sp != NULL)
			otel_span_event(t->sp, "mcp.session.end",
			    otel_now_ns());
		strace_end(st, t, "session_end");
		goto again;
	}
}

void
serve_trace_session_close(void *arg, struct mux_session *ms)
{
	const struct serve_trace_server	*v = arg;

	serve_trace_session_end(v->st, ms);
}

void
serve_trace_child_out(const struct serve_trace_server *v, size_t pool,
    json_object *msg)
{
	struct strace	*t;
	json_object	*id;
	char		 key[48];

	if (jsonrpc_classify(msg) != JSONRPC_REQUEST ||
	    !json_object_is_type(id = jsonrpc_id(msg), json_type_int))
		return;
	snprintf(key, sizeof key, "c\n%u\n%lld", v->id,
	    (long long)json_object_get_int64(id));
	if ((t = strace_find(v->st, key)) != NULL)
		t->pool = (long)pool;
}

void
serve_trace_child_down(const struct serve_trace_server *v,
    struct mux_session *child_session, size_t pool, const char *cause,
    int will_restart)
{
	struct serve_trace	*st = v->st;
	const char		*sid = strace_sid(child_session);
	struct strace		*t;
	struct otel_event	*ev;

	TAILQ_FOREACH(t, &st->open, entry) {
		if (t->kind != STRACE_SERVER || t->sp == NULL ||
		    t->srv != v->id)
			continue;
		/* A session's own child: that session's requests; a shared
		 * one: the requests whose round trip is at it. */
		if (*sid != '\0' ? strcmp(t->sid, sid) != 0 :
		    t->child == NULL || t->child->pool != (long)pool)
			continue;
		ev = otel_span_event(t->sp, will_restart ?
		    "mcp.child.restart" : "mcp.child.exit", otel_now_ns());
		if (ev != NULL && cause != NULL)
			otel_attr_str(&ev->attrs, "mcp.child.cause", cause);
		/* The round trip it was on, first of all. */
		if (t->child == NULL || t->child->sp == NULL)
			continue;
		ev = otel_span_event(t->child->sp, will_restart ?
		    "mcp.child.restart" : "mcp.child.exit", otel_now_ns());
		if (ev != NULL && cause != NULL)
			otel_attr_str(&ev->attrs, "mcp.child.cause", cause);
	}
}

void
serve_trace_tick(struct serve_trace *st, uint64_t now_ms)
{
	struct strace	*t;

	while ((t = TAILQ_FIRST(&st->open)) != NULL &&
	    now_ms - t->start_ms > SERVE_TRACE_ABANDON_MS) {
		if (t->server != NULL)
			t = t->server;	/* ends its round trip too */
		strace_end(st, t, "abandoned");
	}
}

void
serve_trace_flush(struct serve_trace *st, uint64_t deadline_ms,
    void (*done)(void *), void *arg)
{
	struct strace	*t;

	/* What is still open now never ends otherwise. */
	while ((t = TAILQ_FIRST(&st->open)) != NULL) {
		if (t->server != NULL)
			t = t->server;
		strace_end(st, t, "shutdown");
	}
	otel_export_flush(st->exp, deadline_ms, done, arg);
}

void
serve_trace_stats(const struct serve_trace *st, struct otel_export_stats *s)
{
	otel_export_stats(st->exp, s);
}

size_t
serve_trace_open(const struct serve_trace *st)
{
	return st->nopen;
}

struct serve_trace *
serve_trace_new(struct event_base *base, const struct serve_config *cfg)
{
	struct serve_trace		*st;
	struct curl_event_config	 cc;
	struct otel_export_limits	 lim;
	char				*shown;

	if (cfg->otel == NULL || cfg->otel->traces_url == NULL)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init");
	st = xcalloc(1, sizeof *st);
	st->cfg = cfg;
	TAILQ_INIT(&st->open);
	st->child_transport = cfg->connect == NULL ? "pipe" :
	    strncmp(cfg->connect, "unix:", 5) == 0 ? "unix" : "tcp";
	memset(&cc, 0, sizeof cc);
	cc.connect_timeout_ms = cfg->otel->timeout_ms;
	st->ce = curl_event_new(base, &cc);
	memset(&lim, 0, sizeof lim);
	lim.delay_ms = (long)cfg->otel_delay_ms;
	st->exp = otel_export_new(base, cfg->otel, &lim, &otel_export_curl,
	    st->ce);
	/* Not the whole URL: it may hold credentials. */
	shown = otel_url_shown(cfg->otel);
	log_info("exporting traces over OTLP/HTTP (JSON) to %s", shown);
	free(shown);
	return st;
}

void
serve_trace_free(struct serve_trace *st)
{
	struct strace	*t;

	if (st == NULL)
		return;
	while ((t = TAILQ_FIRST(&st->open)) != NULL) {
		if (t->server != NULL)
			t = t->server;
		strace_end(st, t, "shutdown");
	}
	hmap_clear(&st->map);
	otel_redact_clear(&st->secrets);
	otel_export_free(st->exp);
	curl_event_free(st->ce);
	free(st);
	curl_global_cleanup();
}
