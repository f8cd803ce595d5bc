/* SPDX-License-Identifier: ISC */
/*
 * client_trace.c: OpenTelemetry spans of `mcpbridge client` (issue 23).
 *
 * Each request of the local client is a CLIENT span (the bridge calls the
 * remote server), named and attributed as the MCP semantic conventions
 * say, under the local client's own context if its _meta has one.  Our
 * span's context replaces that traceparent in the request itself (the
 * message is ours: parsed from stdin), so that every POST of it, retries
 * and new sessions included, carries it to the server.  Its answer on
 * stdout gives the outcome; the span ends when the request is freed.
 * Retries are events.  The exporter shares the client's curl_event;
 * under a test's HTTP there is none.  stdout is the protocol: nothing
 * here writes to it.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "client_int.h"
#include "clock.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "otel.h"
#include "otel_export.h"
#include "tracectx.h"
#include "xmalloc.h"

/* mcp.session.id: this many hex digits of the id's SHA-256. */

struct client_span {
	struct otel_span	*sp;	/* NULL: not sampled */
	struct tracectx		 ctx;
	/* A request of the server's: the id the local client answers. */
	char			*id;
	TAILQ_ENTRY(client_span) entry;
};
TAILQ_HEAD(client_spans, client_span);

/* The server's requests the local client has yet to answer. */
struct client_trace_in {
	struct client_spans	 open;
	size_t			 n;
};

/* server.address and server.port of the URL. */
static void
client_trace_server(struct otel_span *sp, const char *url)
{
	const char	*p, *end, *colon;
	char		*host;
	long		 port;

	if ((p = strstr(url, "://")) == NULL)
		return;
	port = strncmp(url, "https", 5) == 0 ? 443 : 80;
	p += 3;
	end = p + strcspn(p, "/?#");
	if ((colon = strchr(p, '@')) != NULL && colon < end)
		p = colon + 1;		/* no user or password */
	if (*p == '[') {
		colon = memchr(p, ']', (size_t)(end - p));
		if (colon == NULL)
			return;
		host = xstrndup(p + 1, (size_t)(colon - p - 1));
		colon = colon + 1 < end && colon[1] == ':' ? colon + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		host = xstrndup(p, (size_t)((colon != NULL ? colon : end) - p));
	}
	if (colon != NULL)
		port = strtol(colon + 1, NULL, 10);
	otel_attr_str(&sp->attrs, "server.address", host);
	otel_attr_int(&sp->attrs, "server.port", port);
	free(host);
}

void
client_trace_request(struct cmsg *cm)
{
	struct client		*c = cm->c;
	struct client_span	*cs;
	struct tracectx		 parent, *pp = NULL;
	json_object		*params, *id;
	const char		*method;
	char			*name, *target = NULL;
	int			 sampled;

	if (c->otel == NULL || cm->kind != JSONRPC_REQUEST || cm->internal)
		return;
	cs = xcalloc(1, sizeof *cs);
	cm->span = cs;
	if (tracectx_from_meta(cm->msg, &parent) == 0)
		pp = &parent;
	if (pp != NULL) {
		sampled = otel_sample(&c->cfg->otel->sampler, pp,
		    pp->trace_id);
		tracectx_new_child(pp, &cs->ctx, sampled);
	} else {
		tracectx_new_trace(&cs->ctx, 0);
		sampled = otel_sample(&c->cfg->otel->sampler, NULL,
		    cs->ctx.trace_id);
		if (sampled)
			cs->ctx.flags |= TRACECTX_FLAG_SAMPLED;
	}
	/* The server's spans go under ours. */
	tracectx_to_meta(cm->msg, &cs->ctx);
	if (!sampled)
		return;
	method = jsonrpc_method(cm->msg);
	params = jsonrpc_params(cm->msg);
	if (strcmp(method, "tools/call") == 0 ||
	    strcmp(method, "prompts/get") == 0)
		target = otel_json_str(params, "name");
	if (target != NULL)
		xasprintf(&name, "%s %s", method, target);
	else
		name = xstrdup(method);
	cs->sp = otel_span_new(name, OTEL_KIND_CLIENT, &cs->ctx, pp,
	    pp != NULL, otel_now_ns());
	free(name);
	otel_attr_str(&cs->sp->attrs, "mcp.method.name", method);
	if (strcmp(method, "tools/call") == 0) {
		otel_attr_str(&cs->sp->attrs, "gen_ai.operation.name",
		    "execute_tool");
		if (target != NULL)
			otel_attr_str(&cs->sp->attrs, "gen_ai.tool.name",
			    target);
		if (c->cfg->otel_capture_content &&
		    (params = jsonrpc_get(params, "arguments",
		    json_type_object)) != NULL)
			otel_redact_attr_json(&c->otel_secrets,
			    &cs->sp->attrs, "gen_ai.tool.call.arguments",
			    params);
	} else if (strcmp(method, "prompts/get") == 0 && target != NULL)
		otel_attr_str(&cs->sp->attrs, "gen_ai.prompt.name", target);
	free(target);
	id = jsonrpc_id(cm->msg);
	otel_attr_str(&cs->sp->attrs, "jsonrpc.request.id",
	    json_object_is_type(id, json_type_string) ?
	    json_object_get_string(id) : json_object_to_json_string_ext(id,
	    JSON_C_TO_STRING_PLAIN));
	otel_attr_str(&cs->sp->attrs, "network.transport", "tcp");
	otel_attr_str(&cs->sp->attrs, "network.protocol.name", "http");
	client_trace_server(cs->sp, c->url);
}

/* An answer's outcome on sp: error.type and status. */
static void
client_trace_status(struct otel_span *sp, json_object *msg)
{
	json_object	*err, *code;
	char		 buf[24];

	if ((err = jsonrpc_get(msg, "error", json_type_object)) == NULL)
		return;
	if ((code = jsonrpc_get(err, "code", json_type_int)) != NULL) {
		snprintf(buf, sizeof buf, "%lld", (long long)
		    json_object_get_int64(code));
		otel_attr_str(&sp->attrs, "error.type", buf);
		otel_attr_str(&sp->attrs, "rpc.response.status_code", buf);
	} else
		otel_attr_str(&sp->attrs, "error.type", "_OTHER");
	otel_span_status(sp, OTEL_STATUS_ERROR, NULL);
}

static void
client_trace_in_end(struct client *c, struct client_span *cs,
    const char *error_type)
{
	TAILQ_REMOVE(&c->otel_in->open, cs, entry);
	c->otel_in->n--;
	if (cs->sp != NULL) {
		if (error_type != NULL) {
			otel_attr_str(&cs->sp->attrs, "error.type",
			    error_type);
			otel_span_status(cs->sp, OTEL_STATUS_ERROR, NULL);
		}
		otel_span_end(cs->sp, otel_now_ns());
		otel_redact_span(&c->otel_secrets, cs->sp);
		otel_export_span(c->otel, cs->sp);
	}
	free(cs->id);
	free(cs);
}

/*
 * A request of the server's on its way to the local client (sampling,
 * elicitation, roots): a SERVER span (the bridge receives it) under the
 * server's context in its _meta, which the local client gets replaced by
 * the span's own.  It ends with the local client's answer.
 */
static void
client_trace_in_start(struct client *c, json_object *msg)
{
	struct client_span	*cs;
	struct tracectx		 parent, *pp = NULL;
	const char		*id;

	if (c->otel_in->n >= CLIENT_TRACE_IN_MAX)
		return;
	cs = xcalloc(1, sizeof *cs);
	id = json_object_to_json_string_ext(jsonrpc_id(msg),
	    JSON_C_TO_STRING_PLAIN);
	cs->id = xstrdup(id);
	TAILQ_INSERT_TAIL(&c->otel_in->open, cs, entry);
	c->otel_in->n++;
	if (tracectx_from_meta(msg, &parent) == 0)
		pp = &parent;
	if (pp != NULL)
		tracectx_new_child(pp, &cs->ctx, otel_sample(
		    &c->cfg->otel->sampler, pp, pp->trace_id));
	else {
		tracectx_new_trace(&cs->ctx, 0);
		if (otel_sample(&c->cfg->otel->sampler, NULL,
		    cs->ctx.trace_id))
			cs->ctx.flags |= TRACECTX_FLAG_SAMPLED;
	}
	tracectx_to_meta(msg, &cs->ctx);
	if (!tracectx_sampled(&cs->ctx))
		return;
	cs->sp = otel_span_new(jsonrpc_method(msg), OTEL_KIND_SERVER,
	    &cs->ctx, pp, pp != NULL, otel_now_ns());
	otel_attr_str(&cs->sp->attrs, "mcp.method.name", jsonrpc_method(msg));
	otel_attr_str(&cs->sp->attrs, "jsonrpc.request.id",
	    json_object_is_type(jsonrpc_id(msg), json_type_string) ?
	    json_object_get_string(jsonrpc_id(msg)) : id);
	otel_attr_str(&cs->sp->attrs, "network.transport", "tcp");
	otel_attr_str(&cs->sp->attrs, "network.protocol.name", "http");
	client_trace_server(cs->sp, c->url);
}

void
client_trace_answer(struct client *c, json_object *msg)
{
	struct cmsg	*cm;

	if (c->otel == NULL)
		return;
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_RESPONSE:
		if ((cm = cmsg_find(c, jsonrpc_id(msg))) != NULL)
			client_trace_outcome(cm, msg);
		break;
	case JSONRPC_REQUEST:
		client_trace_in_start(c, msg);
		break;
	default:
		break;
	}
}

void
client_trace_local_answer(struct client *c, json_object *msg)
{
	struct client_span	*cs;
	const char		*id;

	if (c->otel == NULL || jsonrpc_classify(msg) != JSONRPC_RESPONSE)
		return;
	id = json_object_to_json_string_ext(jsonrpc_id(msg),
	    JSON_C_TO_STRING_PLAIN);
	TAILQ_FOREACH(cs, &c->otel_in->open, entry) {
		if (strcmp(cs->id, id) == 0)
			break;
	}
	if (cs == NULL)
		return;
	if (cs->sp != NULL)
		client_trace_status(cs->sp, msg);
	client_trace_in_end(c, cs, NULL);
}

void
client_trace_outcome(struct cmsg *cm, json_object *msg)
{
	struct client		*c = cm->c;
	struct otel_span	*sp;
	json_object		*result, *is;

	if (cm->span == NULL || (sp = cm->span->sp) == NULL)
		return;
	if (jsonrpc_get(msg, "error", json_type_object) != NULL) {
		client_trace_status(sp, msg);
		return;
	}
	result = jsonrpc_get(msg, "result", json_type_object);
	if (c->cfg->otel_capture_content && result != NULL &&
	    otel_attrs_get(&sp->attrs, "gen_ai.tool.name") != NULL)
		otel_redact_attr_json(&c->otel_secrets, &sp->attrs,
		    "gen_ai.tool.call.result", result);
	if ((is = jsonrpc_get(result, "isError", json_type_boolean)) != NULL &&
	    json_object_get_boolean(is)) {
		otel_attr_str(&sp->attrs, "error.type", "tool_error");
		otel_span_status(sp, OTEL_STATUS_ERROR, NULL);
	}
}

void
client_trace_retry(struct cmsg *cm, const char *why)
{
	struct otel_event	*ev;

	if (cm->span == NULL || cm->span->sp == NULL)
		return;
	if ((ev = otel_span_event(cm->span->sp, "mcp.client.retry",
	    otel_now_ns())) == NULL)
		return;
	otel_attr_int(&ev->attrs, "mcp.client.attempt", cm->attempts);
	otel_attr_str(&ev->attrs, "mcp.client.retry.cause", why);
}

void
client_trace_end(struct cmsg *cm)
{
	struct client		*c = cm->c;
	struct client_span	*cs = cm->span;

	if (cs == NULL)
		return;
	cm->span = NULL;
	if (cs->sp != NULL) {
		otel_attr_session_id(&cs->sp->attrs, c->session_id);
		/* A 2026-07-28 server negotiates none: each request says
		 * its version, this one. */
		if (c->protocol_version != NULL || c->era == ERA_MODERN)
			otel_attr_str(&cs->sp->attrs, "mcp.protocol.version",
			    c->protocol_version != NULL ? c->protocol_version :
			    MCP_VERSION_2026_07_28);
		otel_span_end(cs->sp, otel_now_ns());
		otel_redact_span(&c->otel_secrets, cs->sp);
		otel_export_span(c->otel, cs->sp);
	}
	free(cs);
}

void
client_trace_init(struct client *c)
{
	const struct client_config	*cfg = c->cfg;
	struct otel_export_limits	 lim;
	char				*shown;

	if (cfg->otel == NULL || cfg->otel->traces_url == NULL)
		return;
	if (c->ce == NULL) {
		log_debug("otel: no exporter under a test's HTTP");
		return;
	}
	memset(&lim, 0, sizeof lim);
	lim.delay_ms = (long)cfg->otel_delay_ms;
	c->otel = otel_export_new(c->base, cfg->otel, &lim, &otel_export_curl,
	    c->ce);
	shown = otel_url_shown(cfg->otel);
	log_info("exporting traces over OTLP/HTTP (JSON) to %s", shown);
	free(shown);
	c->otel_in = xcalloc(1, sizeof *c->otel_in);
	TAILQ_INIT(&c->otel_in->open);
}

static void
client_trace_flushed(void *arg)
{
	struct client	*c = arg;

	c->otel_flushed = 1;
	event_base_loopbreak(c->base);
}

void
client_trace_finish(struct client *c)
{
	if (c->otel == NULL)
		return;
	/* What the local client never answered. */
	while (!TAILQ_EMPTY(&c->otel_in->open))
		client_trace_in_end(c, TAILQ_FIRST(&c->otel_in->open),
		    "unanswered");
	/* The loop is over: only the export runs again, for a while. */
	if (c->in_ev != NULL)
		event_del(c->in_ev);
	if (c->out_ev != NULL)
		event_del(c->out_ev);
	otel_export_flush(c->otel, clock_ms() + CLIENT_TRACE_FLUSH_MS,
	    client_trace_flushed, c);
	if (!c->otel_flushed)
		event_base_dispatch(c->base);
}

void
client_trace_free(struct client *c)
{
	struct client_span	*cs;

	if (c->otel == NULL)
		return;
	while ((cs = TAILQ_FIRST(&c->otel_in->open)) != NULL) {
		TAILQ_REMOVE(&c->otel_in->open, cs, entry);
		otel_span_free(cs->sp);
		free(cs->id);
		free(cs);
	}
	free(c->otel_in);
	c->otel_in = NULL;
	otel_export_free(c->otel);
	c->otel = NULL;
}
