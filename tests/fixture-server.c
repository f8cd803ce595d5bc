/* SPDX-License-Identifier: ISC */
/*
 * fixture-server.c: mcpbridge-test-server, the stdio MCP server behind the
 * bridge in the integration tests.  Built for the tests, never installed:
 * the knobs below dump the environment, crash and print garbage on
 * request (src/example-server.c is the installed demo).  The es_ prefix
 * is from its days as the example server.
 *
 * Every integration test uses it, the official conformance suite too
 * (@modelcontextprotocol/conformance, server scenarios), which reaches it
 * through the bridge.  One JSON-RPC message (or batch) per line on stdin,
 * one per line on stdout, logs on stderr.  Single-threaded and
 * asynchronous: while a tool waits for a timer or for the client's answer
 * to one of our requests, other requests are served.
 *
 * Conformance fixture (behaviour fixed by the suite's scenarios):
 *   tools      test_simple_text, test_image_content, test_audio_content,
 *              test_embedded_resource, test_multiple_content_types,
 *              test_tool_with_logging, test_tool_with_progress,
 *              test_error_handling, test_sampling, test_elicitation,
 *              test_elicitation_sep1034_defaults,
 *              test_elicitation_sep1330_enums, test_reconnection,
 *              json_schema_2020_12_tool, plus echo and add_numbers
 *   resources  test://static-text, test://static-binary,
 *              test://watched-resource, template test://template/{id}/data
 *   prompts    test_simple_prompt, test_prompt_with_arguments,
 *              test_prompt_with_embedded_resource, test_prompt_with_image
 *   also       completion/complete, logging/setLevel, resources/subscribe,
 *              ping, batches
 *   2026-07-28 (through the bridge, which turns questions into
 *              input_required results): test_input_required_result_*
 *              (elicitation, sampling, list_roots, request_state,
 *              tampered_state, multiple_inputs, multi_round, capabilities),
 *              the prompt test_input_required_result_prompt,
 *              test_missing_capability, test_streaming_elicitation,
 *              test_logging_tool, test_trigger_tool_change,
 *              test_trigger_prompt_change
 *
 * Test knobs (tools):
 *   exit {code}            exit at once with that status, without answering
 *   crash {signal}         die by SIGSEGV ("segv", default) or abort()
 *   print_garbage {text}   write a non-JSON line to stdout, then answer
 *   trace_meta             answer with the call's _meta traceparent,
 *                          tracestate and baggage, as JSON text
 *   long_line {bytes}      answer with a text of that many bytes
 *   delay {ms, message, log, stubborn, after_log, after_ms}  answer
 *                          after ms milliseconds;
 *                          log: send it as an info log line first;
 *                          stubborn: go on (and answer) if cancelled;
 *                          after_log: send it as an info log line
 *                          after_ms (default 100) after the answer
 *   progress {steps, ms}   send steps progress notifications, ms apart
 *   sample, elicit, roots  send sampling/createMessage, elicitation/create,
 *                          roots/list to the client; return its answer as
 *                          JSON text ({force:true} skips the capability
 *                          check; sample's wait_ms: ask that much later)
 *   notify_list_changed {list, pad}  send notifications/<list>/list_changed
 *                          for tools, prompts, resources or all; pad adds
 *                          params._meta.pad, a string of that many bytes
 *   trigger_update {uri, force} send notifications/resources/updated for
 *                          subscribed URIs (or uri; force sends it even
 *                          without a subscription)
 *   log {level, message}   send a notifications/message (level-filtered)
 *   report_env {name}      the value of an environment variable, or the
 *                          sorted names of all of them
 *   received {count}       the last count raw lines read from stdin, one
 *                          text item each, oldest first, this call included
 *
 * Environment knobs:
 *   TEST_SERVER_BANNER=text           print text as a line on stdout at start
 *   TEST_SERVER_STARTUP_DELAY_MS=n    wait n ms before reading stdin
 *   TEST_SERVER_EXIT_AFTER=n          exit (status 0) once n requests have
 *                                     been read; work still pending is lost
 *
 *                                     (initialize and ping count; the
 *                                     nth is answered if it can be at once)
 *
 * Requests we send to the client use string ids "srv-1", "srv-2", ...; an
 * answer is matched by that id.  Their _meta names the request they are
 * for (mcpbridge/relatedRequestId) and, for the 2026-07-28 tools, the
 * question's key (mcpbridge/inputKey): hints for a bridge in front.  They are sent only if the client declared
 * the capability in initialize (before any initialize, all are assumed):
 * a bridge in front must declare sampling, elicitation and roots for
 * test_sampling and test_elicitation* to ask rather than return isError.
 * The log lines of test_tool_with_logging and test_logging_tool name
 * their request the same way (the other tools' lines name none).
 * A cancelled call is never answered; if it was waiting for the client we
 * send notifications/cancelled for our own request.  An unknown resource
 * URI is -32002 "Resource not found" with data {uri}.
 *
 * At EOF on stdin, calls that wait for the client are dropped, calls that
 * wait on a timer finish (for at most ES_DRAIN_MS), stdout is flushed and
 * the server exits with status 0.
 *
 * Traces: an instrumented MCP server when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (the other OTEL_* variables
 * as mcpbridge reads them; service.name "mcpbridge-test-server" unless
 * OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say; the batch delay in
 * OTEL_BSP_SCHEDULE_DELAY, milliseconds).  Each request it serves is a
 * SERVER span under the _meta traceparent it came with (a new trace when
 * none or malformed); each request it sends the client (sampling,
 * elicitation, roots) is a CLIENT span under it, whose context goes in
 * that request's _meta.traceparent.  Spans go out on the event loop
 * (src/otel_export.c), never holding up an answer; what is queued at
 * exit gets ES_OTEL_FLUSH_MS to leave.  Without those variables nothing
 * changes, _meta included.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "clock.h"
#include "curl_event.h"
#include "jsonparse.h"
#include "log.h"
#include "otel.h"
#include "otel_export.h"
#include "tracectx.h"
#include "xmalloc.h"

#define ES_NAME			"mcpbridge-test-server"
#define ES_LINE_MAX		(64 * 1024 * 1024)	/* longest input line */
#define ES_OUT_HIGH		(8 * 1024 * 1024)	/* stop reading above */
#define ES_OUT_LOW		(1024 * 1024)		/* resume below */
#define ES_DRAIN_MS		5000	/* grace for timer work after EOF */
#define ES_DELAY_MAX_MS		600000
#define ES_LONG_LINE_MAX	(256 * 1024 * 1024)
#define ES_RECEIVED_KEEP	100
#define ES_RECEIVED_BYTES	(64 * 1024)	/* kept of each raw line */
#define ES_SUBSCRIBE_NOTIFY_MS	100
#define ES_RECONNECT_MS		300
#define ES_ASKS_MAX		4	/* questions one call asks at once */
#define ES_OTEL_FLUSH_MS	3000	/* for the last spans at exit */

#define JSONRPC_PARSE_ERROR	-32700
#define JSONRPC_INVALID_REQUEST	-32600
#define JSONRPC_METHOD_NOT_FOUND -32601
#define JSONRPC_INVALID_PARAMS	-32602
#define MCP_RESOURCE_NOT_FOUND	-32002

#define ES_JSON_FLAGS \
	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A 1x1 PNG and a tiny silent WAV, generated for this file. */
#define ES_PNG_BASE64 \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElE" \
	"QVR42mNQSDgAAAHkAUGi6zIMAAAAAElFTkSuQmCC"
#define ES_WAV_BASE64 \
	"UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0" \
	"YQgAAACAgICAgICAgA=="

struct es_call;

/*
 * A tool is a step function.  It runs first with step 0 and reply NULL;
 * a multi-step tool then arms a timer (es_call_sleep) or asks the client
 * (es_call_ask) and returns; it runs again with step incremented, with the
 * client's whole response message as reply.  Every path ends in exactly
 * one of es_call_result, es_call_error or es_call_drop.
 */
struct es_tool {
	const char	*name;
	const char	*description;
	const char	*schema;	/* inputSchema as JSON text */
	void		(*fn)(struct es_call *, struct json_object *);
};

/* The answers of one batch, sent together once every member is done. */
struct es_batch {
	struct json_object	*replies;	/* array */
	int			 refs;	/* members pending, +1 while read */
};

/* A request being served. */
struct es_call {
	TAILQ_ENTRY(es_call)	 entry;
	struct json_object	*id;		/* the client's, exact type */
	struct json_object	*params;	/* or NULL; args and token
						   point into it */
	struct json_object	*args;		/* tools/call arguments */
	struct json_object	*token;		/* _meta.progressToken */
	struct es_batch		*batch;		/* NULL if not in a batch */
	const struct es_tool	*tool;
	int			 step;
	int64_t			 n;		/* tool scratch: steps */
	int64_t			 ms;		/* tool scratch: delay */
	struct event		*timer;
	char			*wait_id;	/* our request to the client */
	/* Several questions at once (es_call_ask_key): the tool runs again
	 * with answers ({key: response}) once all are answered. */
	char			*waits[ES_ASKS_MAX];
	char			*wait_keys[ES_ASKS_MAX];
	size_t			 nwaits;
	struct json_object	*answers;
	char			*note;		/* tool scratch: text */
	/* Traces on: its context (traced) and its SERVER span (NULL:
	 * not sampled), which the call owns until it ends. */
	int			 traced;
	struct tracectx		 ctx;
	struct otel_span	*sp;
};
TAILQ_HEAD(es_calls, es_call);

/* A request of ours to the client, traced: its CLIENT span until the
 * answer comes or its call ends. */
struct es_ask {
	TAILQ_ENTRY(es_ask)	 entry;
	const struct es_call	*call;
	char			*id;		/* ours, "srv-N" */
	struct otel_span	*sp;
};
TAILQ_HEAD(es_asks, es_ask);

/* A resources/subscribe. */
struct es_sub {
	TAILQ_ENTRY(es_sub)	 entry;
	char			*uri;
	struct event		*timer;		/* first notification */
};
TAILQ_HEAD(es_subs, es_sub);

static struct event_base	*es_base;
static struct bufferevent	*es_in;
static struct bufferevent	*es_out;
static struct event		*es_start_timer;
static struct event		*es_drain_timer;
static struct es_calls		 es_calls = TAILQ_HEAD_INITIALIZER(es_calls);
static struct es_subs		 es_subs = TAILQ_HEAD_INITIALIZER(es_subs);
static struct json_object	*es_tools_cache;	/* tools/list array */
static struct json_object	*es_client_caps;	/* from initialize */
static unsigned long long	 es_next_id;
static unsigned long long	 es_requests;
static unsigned long long	 es_exit_after;
static unsigned int		 es_watched_rev;
static int			 es_log_min;	/* index into es_log_levels */
static int			 es_closing;	/* stdin done, draining */
static int			 es_finishing;	/* exit once stdout is empty */
static int			 es_paused;	/* stdin off: stdout backlog */
static int			 es_discarding;	/* skipping an overlong line */
static int			 es_fd_flags[2] = { -1, -1 };
static char			*es_received[ES_RECEIVED_KEEP];
static size_t			 es_received_next;
static struct curl_event	*es_curl;
static struct otel_export	*es_exp;	/* NULL: traces off */
static struct otel_sampler	 es_sampler;
static struct es_asks		 es_asks = TAILQ_HEAD_INITIALIZER(es_asks);

static const char *const es_versions[] = {
	"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25",
};
#define ES_VERSION_LATEST "2025-11-25"

/* MCP log levels, least severe first (RFC 5424 names). */
static const char *const es_log_levels[] = {
	"debug", "info", "notice", "warning", "error", "critical", "alert",
	"emergency",
};
#define ES_NLOG_LEVELS (sizeof es_log_levels / sizeof es_log_levels[0])
#define ES_LOG_INFO 1

extern char	**environ;

static void	es_shutdown(int, const char *);
static void	es_finish(void);
static int	es_env_number(const char *, unsigned long long,
		    unsigned long long *);

/* ---- JSON helpers ---- */

/* Parses one of our own literals; a bad one is a bug, so fatal. */
static struct json_object *
es_parse(const char *text)
{
	struct json_object	*obj;

	if ((obj = json_tokener_parse(text)) == NULL)
		fatalx("bad built-in JSON: %.60s", text);
	return obj;
}

static const char *
es_get_string(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *
es_get_object(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static void
es_add_string(struct json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, json_object_new_string(value));
}

static struct json_object *
es_text_item(const char *text)
{
	struct json_object	*item;

	item = json_object_new_object();
	es_add_string(item, "type", "text");
	es_add_string(item, "text", text);
	return item;
}

static struct json_object *
es_image_item(void)
{
	struct json_object	*item;

	item = json_object_new_object();
	es_add_string(item, "type", "image");
	es_add_string(item, "data", ES_PNG_BASE64);
	es_add_string(item, "mimeType", "image/png");
	return item;
}

static struct json_object *
es_resource_item(const char *uri, const char *mime, const char *text)
{
	struct json_object	*item, *res;

	res = json_object_new_object();
	es_add_string(res, "uri", uri);
	es_add_string(res, "mimeType", mime);
	es_add_string(res, "text", text);
	item = json_object_new_object();
	es_add_string(item, "type", "resource");
	json_object_object_add(item, "resource", res);
	return item;
}

/* A tool result: {content: [items...], isError?}. Takes the items. */
static struct json_object *
es_content_result(int is_error, struct json_object *content)
{
	struct json_object	*result;

	result = json_object_new_object();
	json_object_object_add(result, "content", content);
	if (is_error)
		json_object_object_add(result, "isError",
		    json_object_new_boolean(1));
	return result;
}

/* ---- output ---- */

/* One message a line; json-c escapes newlines inside strings. */
static void
es_send(struct json_object *msg)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(msg, ES_JSON_FLAGS, &len);
	bufferevent_write(es_out, s, len);
	bufferevent_write(es_out, "\n", 1);
}

static void
es_send_raw(const char *line)
{
	bufferevent_write(es_out, line, strlen(line));
	bufferevent_write(es_out, "\n", 1);
}

/* Takes params (may be NULL). */
static void
es_notify(const char *method, struct json_object *params)
{
	struct json_object	*msg;

	msg = json_object_new_object();
	es_add_string(msg, "jsonrpc", "2.0");
	es_add_string(msg, "method", method);
	if (params != NULL)
		json_object_object_add(msg, "params", params);
	es_send(msg);
	json_object_put(msg);
}

/*
 * notifications/message, if the client's logging/setLevel lets it; with
 * about (a request's id, or NULL) its _meta names the request, as a
 * question's does, for a bridge in front.
 */
static int
es_notify_log_for(int level, const char *text, struct json_object *about)
{
	struct json_object	*params, *meta;

	if (level < es_log_min)
		return 0;
	params = json_object_new_object();
	es_add_string(params, "level", es_log_levels[level]);
	es_add_string(params, "logger", ES_NAME);
	es_add_string(params, "data", text);
	if (about != NULL) {
		meta = json_object_new_object();
		json_object_object_add(meta, "mcpbridge/relatedRequestId",
		    json_object_get(about));
		json_object_object_add(params, "_meta", meta);
	}
	es_notify("notifications/message", params);
	return 1;
}

static int
es_notify_log(int level, const char *text)
{
	return es_notify_log_for(level, text, NULL);
}

static void
es_notify_progress(struct json_object *token, int64_t progress, int64_t total,
    const char *message)
{
	struct json_object	*params;

	params = json_object_new_object();
	json_object_object_add(params, "progressToken", json_object_get(token));
	json_object_object_add(params, "progress",
	    json_object_new_int64(progress));
	json_object_object_add(params, "total", json_object_new_int64(total));
	es_add_string(params, "message", message);
	es_notify("notifications/progress", params);
}

static void
es_notify_updated(const char *uri)
{
	struct json_object	*params;

	params = json_object_new_object();
	es_add_string(params, "uri", uri);
	es_notify("notifications/resources/updated", params);
}

/*
 * Writes what is queued with blocking writes, for the paths that leave
 * without going back to the loop (exit and crash knobs).
 */
static void
es_flush_sync(void)
{
	struct evbuffer	*out = bufferevent_get_output(es_out);
	int		 n;

	if (es_fd_flags[1] != -1)
		fcntl(STDOUT_FILENO, F_SETFL, es_fd_flags[1] & ~O_NONBLOCK);
	while (evbuffer_get_length(out) > 0) {
		if ((n = evbuffer_write(out, STDOUT_FILENO)) > 0 ||
		    (n == -1 && errno == EINTR))
			continue;
		break;
	}
}

/* Gives the descriptors back as we found them: they may be shared. */
static void
es_restore_fds(void)
{
	int	fd;

	for (fd = 0; fd < 2; fd++) {
		if (es_fd_flags[fd] != -1)
			fcntl(fd, F_SETFL, es_fd_flags[fd]);
	}
}

/* Emits into the batch being assembled, or straight out. Takes msg. */
static void
es_emit(struct es_batch *b, struct json_object *msg)
{
	if (b != NULL) {
		json_object_array_add(b->replies, msg);
		return;
	}
	es_send(msg);
	json_object_put(msg);
}

static void
es_batch_unref(struct es_batch *b)
{
	if (--b->refs > 0)
		return;
	/* A batch of notifications only gets no answer at all. */
	if (json_object_array_length(b->replies) > 0)
		es_send(b->replies);
	json_object_put(b->replies);
	free(b);
}

/* Takes data (may be NULL). id NULL means JSON null. */
static struct json_object *
es_error_msg(struct json_object *id, int code, const char *message,
    struct json_object *data)
{
	struct json_object	*msg, *err;

	err = json_object_new_object();
	json_object_object_add(err, "code", json_object_new_int(code));
	es_add_string(err, "message", message);
	if (data != NULL)
		json_object_object_add(err, "data", data);
	msg = json_object_new_object();
	es_add_string(msg, "jsonrpc", "2.0");
	json_object_object_add(msg, "id", json_object_get(id));
	json_object_object_add(msg, "error", err);
	return msg;
}

/* ---- traces ---- */

/* service.name is ours unless the variables name one. */
static const char *
es_otel_getenv(const char *name, void *arg)
{
	struct otel_kv	*kv;
	const char	*v = getenv(name);
	char		*why = NULL;
	size_t		 n, i;
	int		 named = 0;

	if (v != NULL || strcmp(name, "OTEL_SERVICE_NAME") != 0)
		return v;
	if ((v = getenv("OTEL_RESOURCE_ATTRIBUTES")) != NULL) {
		if (otel_kv_parse(v, OTEL_MAX_RESOURCE_ATTRS, &kv, &n,
		    &why) == -1) {
			free(why);	/* otel_config_read says why */
			return ES_NAME;
		}
		for (i = 0; i < n; i++)
			named |= strcmp(kv[i].key, "service.name") == 0;
		otel_kv_free(kv, n);
	}
	return named ? NULL : ES_NAME;
}

/* Export is on if the variables say so; trouble with them leaves it off
 * (logged): a fixture that cannot trace still serves. */
static void
es_otel_init(void)
{
	struct otel_config		 cfg;
	struct curl_event_config	 cc;
	struct otel_export_limits	 lim;
	unsigned long long		 delay;
	char				*warn = NULL, *err = NULL;

	if (otel_config_read(&cfg, es_otel_getenv, NULL, &warn, &err) == -1) {
		log_warnx("traces off: %s", err);
		free(err);
		free(warn);
		otel_config_free(&cfg);
		return;
	}
	if (warn != NULL)
		log_warnx("%s", warn);
	free(warn);
	if (cfg.traces_url == NULL) {
		otel_config_free(&cfg);
		return;
	}
	if (es_env_number("OTEL_BSP_SCHEDULE_DELAY", ES_DELAY_MAX_MS,
	    &delay) == -1)
		delay = 0;	/* the exporter's default */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	memset(&cc, 0, sizeof cc);
	cc.connect_timeout_ms = cfg.timeout_ms;
	es_curl = curl_event_new(es_base, &cc);
	memset(&lim, 0, sizeof lim);
	lim.delay_ms = (long)delay;
	es_sampler = cfg.sampler;
	/* The exporter copies what it needs (URL, headers, resource). */
	es_exp = otel_export_new(es_base, &cfg, &lim, &otel_export_curl,
	    es_curl);
	otel_config_free(&cfg);
	/* Not the URL: it may hold credentials. */
	log_info("exporting traces over OTLP/HTTP (JSON)");
}

static void
es_otel_flushed(void *arg)
{
	event_base_loopexit(es_base, NULL);
}

/* The spans still queued, sent within ES_OTEL_FLUSH_MS; then the
 * exporter goes.  The loop's other business is over by now. */
static void
es_otel_finish(void)
{
	if (es_exp == NULL)
		return;
	otel_export_flush(es_exp, clock_ms() + ES_OTEL_FLUSH_MS,
	    es_otel_flushed, NULL);
	event_base_dispatch(es_base);
	otel_export_free(es_exp);
	curl_event_free(es_curl);
	es_exp = NULL;
	es_curl = NULL;
	curl_global_cleanup();
}

/* A JSON-RPC id as span text: a string as is, a number in decimal. */
static const char *
es_id_text(struct json_object *id)
{
	return json_object_get_string(id);
}

/*
 * The SERVER span of request c (msg): its parent is the traceparent in
 * msg's params._meta, else it starts a trace; the sampler decides as
 * mcpbridge's does.  Named and attributed as the MCP semantic
 * conventions say.
 */
static void
es_span_start(struct es_call *c, struct json_object *msg, const char *method)
{
	struct tracectx		 parent;
	struct otel_span	*sp;
	const char		*target = NULL, *uri;
	char			*name;
	int			 remote, sampled;

	if (es_exp == NULL)
		return;
	if ((remote = tracectx_from_meta(msg, &parent) == 0)) {
		sampled = otel_sample(&es_sampler, &parent, parent.trace_id);
		tracectx_new_child(&parent, &c->ctx, sampled);
	} else {
		tracectx_new_trace(&c->ctx, 0);
		if ((sampled = otel_sample(&es_sampler, NULL,
		    c->ctx.trace_id)))
			c->ctx.flags |= TRACECTX_FLAG_SAMPLED;
	}
	c->traced = 1;
	if (!sampled)
		return;
	sp = c->sp = otel_span_new(method, OTEL_KIND_SERVER, &c->ctx,
	    remote ? &parent : NULL, remote, otel_now_ns());
	otel_attr_str(&sp->attrs, "mcp.method.name", method);
	if (strcmp(method, "tools/call") == 0) {
		otel_attr_str(&sp->attrs, "gen_ai.operation.name",
		    "execute_tool");
		if ((target = es_get_string(c->params, "name")) != NULL)
			otel_attr_str(&sp->attrs, "gen_ai.tool.name", target);
	} else if (strcmp(method, "prompts/get") == 0) {
		if ((target = es_get_string(c->params, "name")) != NULL)
			otel_attr_str(&sp->attrs, "gen_ai.prompt.name", target);
	} else if (strncmp(method, "resources/", 10) == 0 &&
	    (uri = es_get_string(c->params, "uri")) != NULL)
		otel_attr_str(&sp->attrs, "mcp.resource.uri", uri);
	if (target != NULL) {
		xasprintf(&name, "%s %s", method, target);
		otel_span_rename(sp, name);
		free(name);
	}
	otel_attr_str(&sp->attrs, "jsonrpc.request.id", es_id_text(c->id));
	otel_attr_str(&sp->attrs, "network.transport", "pipe");
}

/* An answer's outcome on sp: an error's code, a tool's isError, or (no
 * answer at all) cancelled. */
static void
es_span_outcome(struct otel_span *sp, struct json_object *reply)
{
	struct json_object	*err, *code, *result, *v;
	char			 buf[24];
	const char		*type = NULL;

	if (reply == NULL)
		type = "cancelled";
	else if ((err = es_get_object(reply, "error")) != NULL) {
		type = "_OTHER";
		if (json_object_object_get_ex(err, "code", &code) &&
		    json_object_is_type(code, json_type_int)) {
			snprintf(buf, sizeof buf, "%lld",
			    (long long)json_object_get_int64(code));
			otel_attr_str(&sp->attrs, "rpc.response.status_code",
			    buf);
			type = buf;
		}
	} else if ((result = es_get_object(reply, "result")) != NULL &&
	    json_object_object_get_ex(result, "isError", &v) &&
	    json_object_get_boolean(v))
		type = "tool_error";
	if (type == NULL)
		return;
	otel_attr_str(&sp->attrs, "error.type", type);
	otel_span_status(sp, OTEL_STATUS_ERROR, NULL);
}

/* Ends sp with reply's outcome and hands it to the exporter (gone only
 * for what es_free_all drops after the last flush). */
static void
es_span_export(struct otel_span *sp, struct json_object *reply)
{
	if (es_exp == NULL) {
		otel_span_free(sp);
		return;
	}
	es_span_outcome(sp, reply);
	otel_span_end(sp, otel_now_ns());
	otel_export_span(es_exp, sp);
}

/*
 * A request of c's to the client (msg, id ours): its context, a child of
 * c's, goes in msg's params._meta; its CLIENT span waits for the answer.
 */
static void
es_ask_start(struct es_call *c, const char *id, const char *method,
    struct json_object *msg)
{
	struct tracectx	 ctx;
	struct es_ask	*a;

	if (!c->traced)
		return;
	tracectx_new_child(&c->ctx, &ctx, tracectx_sampled(&c->ctx));
	if (tracectx_to_meta(msg, &ctx) == -1)
		fatalx("%s: our own _meta is not an object", __func__);
	if (!tracectx_sampled(&ctx))
		return;
	a = xcalloc(1, sizeof *a);
	a->call = c;
	a->id = xstrdup(id);
	a->sp = otel_span_new(method, OTEL_KIND_CLIENT, &ctx, &c->ctx, 0,
	    otel_now_ns());
	otel_attr_str(&a->sp->attrs, "mcp.method.name", method);
	otel_attr_str(&a->sp->attrs, "jsonrpc.request.id", id);
	otel_attr_str(&a->sp->attrs, "network.transport", "pipe");
	TAILQ_INSERT_TAIL(&es_asks, a, entry);
}

static void
es_ask_end(struct es_ask *a, struct json_object *reply)
{
	TAILQ_REMOVE(&es_asks, a, entry);
	es_span_export(a->sp, reply);
	free(a->id);
	free(a);
}

/* The client's answer (msg) to our request id, if traced. */
static void
es_ask_answered(const char *id, struct json_object *msg)
{
	struct es_ask	*a;

	TAILQ_FOREACH(a, &es_asks, entry) {
		if (strcmp(a->id, id) == 0) {
			es_ask_end(a, msg);
			return;
		}
	}
}

/* c ends with reply (NULL: none): its span and its questions still
 * open, unanswered. */
static void
es_span_end(struct es_call *c, struct json_object *reply)
{
	struct es_ask	*a, *next;

	for (a = TAILQ_FIRST(&es_asks); a != NULL; a = next) {
		next = TAILQ_NEXT(a, entry);
		if (a->call == c)
			es_ask_end(a, NULL);
	}
	if (c->sp != NULL)
		es_span_export(c->sp, reply);
	c->sp = NULL;
}

/* ---- calls ---- */

static struct es_call *
es_call_new(struct json_object *id, struct json_object *params,
    struct es_batch *b)
{
	struct es_call		*c;
	struct json_object	*meta, *token;

	c = xcalloc(1, sizeof *c);
	c->id = json_object_get(id);
	c->params = json_object_get(params);
	if ((meta = es_get_object(params, "_meta")) != NULL &&
	    json_object_object_get_ex(meta, "progressToken", &token) &&
	    (json_object_is_type(token, json_type_string) ||
	    json_object_is_type(token, json_type_int)))
		c->token = token;
	if ((c->batch = b) != NULL)
		b->refs++;
	TAILQ_INSERT_TAIL(&es_calls, c, entry);
	return c;
}

/* The one place a call ends: unlinks, frees, releases its batch. */
static void
es_call_free(struct es_call *c, struct json_object *reply)
{
	struct es_batch	*b = c->batch;
	size_t		 i;

	es_span_end(c, reply);
	TAILQ_REMOVE(&es_calls, c, entry);
	if (c->timer != NULL)
		event_free(c->timer);
	json_object_put(c->id);
	json_object_put(c->params);
	free(c->wait_id);
	for (i = 0; i < ES_ASKS_MAX; i++) {
		free(c->waits[i]);
		free(c->wait_keys[i]);
	}
	json_object_put(c->answers);
	free(c->note);
	free(c);

	if (b != NULL) {
		if (reply != NULL)
			json_object_array_add(b->replies, reply);
		es_batch_unref(b);
	} else if (reply != NULL) {
		es_send(reply);
		json_object_put(reply);
	}
	if (es_closing && TAILQ_EMPTY(&es_calls))
		es_finish();
}

/* Takes result. */
static void
es_call_result(struct es_call *c, struct json_object *result)
{
	struct json_object	*msg;

	msg = json_object_new_object();
	es_add_string(msg, "jsonrpc", "2.0");
	json_object_object_add(msg, "id", json_object_get(c->id));
	json_object_object_add(msg, "result", result);
	es_call_free(c, msg);
}

static void
es_call_error(struct es_call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
es_call_error(struct es_call *c, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	*message;

	va_start(ap, fmt);
	xvasprintf(&message, fmt, ap);
	va_end(ap);
	es_call_free(c, es_error_msg(c->id, code, message, NULL));
	free(message);
}

/* Ends a call with no answer at all (cancelled, or we are leaving). */
static void
es_call_drop(struct es_call *c)
{
	es_call_free(c, NULL);
}

static void
es_call_text(struct es_call *c, int is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
es_call_text(struct es_call *c, int is_error, const char *fmt, ...)
{
	struct json_object	*content;
	va_list			 ap;
	char			*text;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	content = json_object_new_array();
	json_object_array_add(content, es_text_item(text));
	free(text);
	es_call_result(c, es_content_result(is_error, content));
}

static void
es_call_timercb(evutil_socket_t fd, short events, void *arg)
{
	struct es_call	*c = arg;

	c->step++;
	c->tool->fn(c, NULL);
}

static void
es_call_sleep(struct es_call *c, int64_t ms)
{
	struct timeval	tv;

	if (c->timer == NULL)
		c->timer = evtimer_new(es_base, es_call_timercb, c);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/*
 * Sends a request to the client on behalf of c, with id (ours) and key (a
 * name for the question, or NULL).  Takes params.  Its _meta tells a
 * bridge in front which request of its own this is for
 * (mcpbridge/relatedRequestId) and what to call the question
 * (mcpbridge/inputKey); anybody else ignores them.
 */
static void
es_send_ask(struct es_call *c, const char *id, const char *key,
    const char *method, struct json_object *params)
{
	struct json_object	*msg, *meta;

	if ((meta = es_get_object(params, "_meta")) == NULL) {
		meta = json_object_new_object();
		json_object_object_add(params, "_meta", meta);
	}
	json_object_object_add(meta, "mcpbridge/relatedRequestId",
	    json_object_get(c->id));
	if (key != NULL)
		es_add_string(meta, "mcpbridge/inputKey", key);
	msg = json_object_new_object();
	es_add_string(msg, "jsonrpc", "2.0");
	es_add_string(msg, "id", id);
	es_add_string(msg, "method", method);
	json_object_object_add(msg, "params", params);
	es_ask_start(c, id, method, msg);
	es_send(msg);
	json_object_put(msg);
}

static void
es_call_ask(struct es_call *c, const char *method, struct json_object *params)
{
	xasprintf(&c->wait_id, "srv-%llu", ++es_next_id);
	es_send_ask(c, c->wait_id, NULL, method, params);
}

/* One of several questions asked at once, named key.  Takes params. */
static void
es_call_ask_key(struct es_call *c, const char *key, const char *method,
    struct json_object *params)
{
	size_t	i;

	for (i = 0; i < ES_ASKS_MAX && c->waits[i] != NULL; i++)
		;
	if (i == ES_ASKS_MAX)
		fatalx("%s: too many questions at once", __func__);
	xasprintf(&c->waits[i], "srv-%llu", ++es_next_id);
	c->wait_keys[i] = xstrdup(key);
	c->nwaits++;
	if (c->answers == NULL)
		c->answers = json_object_new_object();
	es_send_ask(c, c->waits[i], key, method, params);
}

/*
 * A cancelled call is never answered; if it waits for the client, the
 * client is told our own request is moot too.
 */
static void
es_call_cancel(struct es_call *c, const char *reason)
{
	struct json_object	*params;
	size_t			 i;

	if (c->wait_id != NULL && !es_closing) {
		params = json_object_new_object();
		es_add_string(params, "requestId", c->wait_id);
		es_add_string(params, "reason", reason);
		es_notify("notifications/cancelled", params);
	}
	for (i = 0; i < ES_ASKS_MAX && !es_closing; i++) {
		if (c->waits[i] == NULL)
			continue;
		params = json_object_new_object();
		es_add_string(params, "requestId", c->waits[i]);
		es_add_string(params, "reason", reason);
		es_notify("notifications/cancelled", params);
	}
	es_call_drop(c);
}

/* Whether the client declared capability name (lenient before initialize). */
static int
es_client_can(const char *name)
{
	struct json_object	*v;

	if (es_client_caps == NULL)
		return 1;
	return json_object_object_get_ex(es_client_caps, name, &v);
}

/* ---- tool arguments: on a bad one, answer -32602 and return -1 ---- */

static int
es_arg_string(struct es_call *c, const char *key, int required,
    const char **out)
{
	struct json_object	*v;

	*out = NULL;
	if (c->args == NULL || !json_object_object_get_ex(c->args, key, &v) ||
	    json_object_is_type(v, json_type_null)) {
		if (!required)
			return 0;
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "Missing required argument: %s", key);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "Argument %s must be a string", key);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

static int
es_arg_int(struct es_call *c, const char *key, int64_t def, int64_t min,
    int64_t max, int64_t *out)
{
	struct json_object	*v;
	double			 d;

	*out = def;
	if (c->args == NULL || !json_object_object_get_ex(c->args, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	/* 5.0 is an integer too; clients in JavaScript cannot tell. */
	d = json_object_get_double(v);
	if (json_object_is_type(v, json_type_int))
		*out = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double) && d > -9e18 &&
	    d < 9e18 && d == (double)(int64_t)d)
		*out = (int64_t)d;
	else {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "Argument %s must be an integer", key);
		return -1;
	}
	if (*out < min || *out > max) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "Argument %s must be between %lld and %lld", key,
		    (long long)min, (long long)max);
		return -1;
	}
	return 0;
}

static int
es_arg_bool(struct es_call *c, const char *key, int *out)
{
	struct json_object	*v;

	*out = 0;
	if (c->args == NULL || !json_object_object_get_ex(c->args, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "Argument %s must be a boolean", key);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int
es_arg_number(struct es_call *c, const char *key, double *out)
{
	struct json_object	*v;

	if (c->args == NULL || !json_object_object_get_ex(c->args, key, &v) ||
	    (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "Argument %s must be a number", key);
		return -1;
	}
	*out = json_object_get_double(v);
	return 0;
}

/* ---- client answers ---- */

/* The error message of a response, or NULL if it is a result. */
static const char *
es_reply_error(struct json_object *reply)
{
	struct json_object	*err;
	const char		*message;

	if ((err = es_get_object(reply, "error")) == NULL) {
		if (es_get_object(reply, "result") == NULL)
			return "malformed response";
		return NULL;
	}
	if ((message = es_get_string(err, "message")) == NULL)
		message = "error without message";
	return message;
}

/* The text of a sampling result: content is one item or (tools) a list. */
static const char *
es_sampling_text(struct json_object *result)
{
	struct json_object	*content, *item;
	const char		*text;
	size_t			 i;

	if (!json_object_object_get_ex(result, "content", &content))
		return NULL;
	if (json_object_is_type(content, json_type_object))
		return es_get_string(content, "text");
	if (!json_object_is_type(content, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(content); i++) {
		item = json_object_array_get_idx(content, i);
		if ((text = es_get_string(item, "text")) != NULL)
			return text;
	}
	return NULL;
}

/* "action=accept, content={...}" of an elicitation result. */
static char *
es_elicit_summary(struct json_object *result)
{
	struct json_object	*content;
	const char		*action, *json;
	char			*s;

	if ((action = es_get_string(result, "action")) == NULL)
		action = "unknown";
	if ((content = es_get_object(result, "content")) != NULL)
		json = json_object_to_json_string_ext(content, ES_JSON_FLAGS);
	else
		json = "{}";
	xasprintf(&s, "action=%s, content=%s", action, json);
	return s;
}

/* ---- conformance tools ---- */

static void
es_tool_simple_text(struct es_call *c, struct json_object *reply)
{
	es_call_text(c, 0, "This is a simple text response for testing.");
}

static void
es_tool_image_content(struct es_call *c, struct json_object *reply)
{
	struct json_object	*content;

	content = json_object_new_array();
	json_object_array_add(content, es_image_item());
	es_call_result(c, es_content_result(0, content));
}

static void
es_tool_audio_content(struct es_call *c, struct json_object *reply)
{
	struct json_object	*content, *item;

	item = json_object_new_object();
	es_add_string(item, "type", "audio");
	es_add_string(item, "data", ES_WAV_BASE64);
	es_add_string(item, "mimeType", "audio/wav");
	content = json_object_new_array();
	json_object_array_add(content, item);
	es_call_result(c, es_content_result(0, content));
}

static void
es_tool_embedded_resource(struct es_call *c, struct json_object *reply)
{
	struct json_object	*content;

	content = json_object_new_array();
	json_object_array_add(content, es_resource_item(
	    "test://embedded-resource", "text/plain",
	    "This is an embedded resource content."));
	es_call_result(c, es_content_result(0, content));
}

static void
es_tool_multiple_content_types(struct es_call *c, struct json_object *reply)
{
	struct json_object	*content;

	content = json_object_new_array();
	json_object_array_add(content,
	    es_text_item("Multiple content types test:"));
	json_object_array_add(content, es_image_item());
	json_object_array_add(content, es_resource_item(
	    "test://mixed-content-resource", "application/json",
	    "{\"test\":\"data\",\"value\":123}"));
	es_call_result(c, es_content_result(0, content));
}

/* Three info lines, 50 ms apart, so they arrive during the call. */
static void
es_tool_with_logging(struct es_call *c, struct json_object *reply)
{
	static const char *const lines[] = {
		"Tool execution started",
		"Tool processing data",
		"Tool execution completed",
	};

	/* Named, as below: the conformance scenario's lines reach its call
	 * through a bridge whatever other clients' calls do meanwhile. */
	es_notify_log_for(ES_LOG_INFO, lines[c->step], c->id);
	if (c->step < 2) {
		es_call_sleep(c, 50);
		return;
	}
	es_call_text(c, 0, "Tool with logging executed successfully");
}

/* 0, 50 and 100 of 100, 50 ms apart; without a token only the delays. */
static void
es_tool_with_progress(struct es_call *c, struct json_object *reply)
{
	char	message[64];

	if (c->token != NULL) {
		snprintf(message, sizeof message, "Completed %d of 100",
		    c->step * 50);
		es_notify_progress(c->token, c->step * 50, 100, message);
	}
	if (c->step < 2) {
		es_call_sleep(c, 50);
		return;
	}
	es_call_text(c, 0, "Progress tool completed (token %s)",
	    c->token != NULL ? json_object_get_string(c->token) : "none");
}

static void
es_tool_error_handling(struct es_call *c, struct json_object *reply)
{
	es_call_text(c, 1,
	    "This tool intentionally returns an error for testing");
}

static void
es_tool_sampling(struct es_call *c, struct json_object *reply)
{
	struct json_object	*params, *messages, *msg, *result;
	const char		*prompt, *error, *text;

	if (c->step == 0) {
		if (es_arg_string(c, "prompt", 1, &prompt) == -1)
			return;
		if (!es_client_can("sampling")) {
			es_call_text(c, 1, "Client does not support sampling");
			return;
		}
		msg = json_object_new_object();
		es_add_string(msg, "role", "user");
		json_object_object_add(msg, "content", es_text_item(prompt));
		messages = json_object_new_array();
		json_object_array_add(messages, msg);
		params = json_object_new_object();
		json_object_object_add(params, "messages", messages);
		json_object_object_add(params, "maxTokens",
		    json_object_new_int(100));
		es_call_ask(c, "sampling/createMessage", params);
		return;
	}
	if ((error = es_reply_error(reply)) != NULL) {
		es_call_text(c, 1, "Sampling not supported or error: %s",
		    error);
		return;
	}
	result = es_get_object(reply, "result");
	if ((text = es_sampling_text(result)) == NULL)
		text = "No response";
	es_call_text(c, 0, "LLM response: %s", text);
}

/*
 * The elicitation tools differ only in the request; the answer is
 * reported the same way.
 */
static void
es_elicit_step(struct es_call *c, struct json_object *reply,
    const char *message, const char *schema, const char *prefix)
{
	struct json_object	*params;
	const char		*error;
	char			*summary;

	if (c->step == 0) {
		if (!es_client_can("elicitation")) {
			es_call_text(c, 1,
			    "Client does not support elicitation");
			return;
		}
		params = json_object_new_object();
		es_add_string(params, "message", message);
		json_object_object_add(params, "requestedSchema",
		    es_parse(schema));
		es_call_ask(c, "elicitation/create", params);
		return;
	}
	if ((error = es_reply_error(reply)) != NULL) {
		es_call_text(c, 1, "Elicitation not supported or error: %s",
		    error);
		return;
	}
	summary = es_elicit_summary(es_get_object(reply, "result"));
	es_call_text(c, 0, "%s: %s", prefix, summary);
	free(summary);
}

static void
es_tool_elicitation(struct es_call *c, struct json_object *reply)
{
	const char	*message = NULL;

	if (c->step == 0 && es_arg_string(c, "message", 1, &message) == -1)
		return;
	es_elicit_step(c, reply, message,
	    "{\"type\":\"object\",\"properties\":{"
	    "\"username\":{\"type\":\"string\","
	    "\"description\":\"User's response\"},"
	    "\"email\":{\"type\":\"string\","
	    "\"description\":\"User's email address\"}},"
	    "\"required\":[\"username\",\"email\"]}",
	    "User response");
}

static void
es_tool_elicitation_defaults(struct es_call *c, struct json_object *reply)
{
	es_elicit_step(c, reply,
	    "Please review and update the form fields with defaults",
	    "{\"type\":\"object\",\"properties\":{"
	    "\"name\":{\"type\":\"string\",\"description\":\"User name\","
	    "\"default\":\"John Doe\"},"
	    "\"age\":{\"type\":\"integer\",\"description\":\"User age\","
	    "\"default\":30},"
	    "\"score\":{\"type\":\"number\",\"description\":\"User score\","
	    "\"default\":95.5},"
	    "\"status\":{\"type\":\"string\",\"description\":\"User status\","
	    "\"enum\":[\"active\",\"inactive\",\"pending\"],"
	    "\"default\":\"active\"},"
	    "\"verified\":{\"type\":\"boolean\","
	    "\"description\":\"Verification status\",\"default\":true}},"
	    "\"required\":[]}",
	    "Elicitation completed");
}

static void
es_tool_elicitation_enums(struct es_call *c, struct json_object *reply)
{
	es_elicit_step(c, reply,
	    "Please select options from the enum fields",
	    "{\"type\":\"object\",\"properties\":{"
	    "\"untitledSingle\":{\"type\":\"string\","
	    "\"description\":\"Select one option\","
	    "\"enum\":[\"option1\",\"option2\",\"option3\"]},"
	    "\"titledSingle\":{\"type\":\"string\","
	    "\"description\":\"Select one option with titles\",\"oneOf\":["
	    "{\"const\":\"value1\",\"title\":\"First Option\"},"
	    "{\"const\":\"value2\",\"title\":\"Second Option\"},"
	    "{\"const\":\"value3\",\"title\":\"Third Option\"}]},"
	    "\"legacyEnum\":{\"type\":\"string\","
	    "\"description\":\"Select one option (legacy)\","
	    "\"enum\":[\"opt1\",\"opt2\",\"opt3\"],"
	    "\"enumNames\":[\"Option One\",\"Option Two\",\"Option Three\"]},"
	    "\"untitledMulti\":{\"type\":\"array\","
	    "\"description\":\"Select multiple options\","
	    "\"minItems\":1,\"maxItems\":3,\"items\":{\"type\":\"string\","
	    "\"enum\":[\"option1\",\"option2\",\"option3\"]}},"
	    "\"titledMulti\":{\"type\":\"array\","
	    "\"description\":\"Select multiple options with titles\","
	    "\"minItems\":1,\"maxItems\":3,\"items\":{\"anyOf\":["
	    "{\"const\":\"value1\",\"title\":\"First Choice\"},"
	    "{\"const\":\"value2\",\"title\":\"Second Choice\"},"
	    "{\"const\":\"value3\",\"title\":\"Third Choice\"}]}}},"
	    "\"required\":[]}",
	    "Elicitation completed");
}

/*
 * Over HTTP this tool closes the SSE stream mid-call (SEP-1699).  Over
 * stdio only the bridge can do that, so the answer is simply late enough
 * for the bridge to close the stream and the client to come back.
 */
static void
es_tool_reconnection(struct es_call *c, struct json_object *reply)
{
	if (c->step == 0) {
		if (es_arg_int(c, "ms", ES_RECONNECT_MS, 0, ES_DELAY_MAX_MS,
		    &c->ms) == -1)
			return;
		es_call_sleep(c, c->ms);
		return;
	}
	es_call_text(c, 0, "Reconnection test completed successfully. If "
	    "you received this, the client properly reconnected after "
	    "stream closure.");
}

static void
es_tool_json_schema_2020_12(struct es_call *c, struct json_object *reply)
{
	es_call_text(c, 0, "JSON Schema 2020-12 tool called with: %s",
	    c->args != NULL ?
	    json_object_to_json_string_ext(c->args, ES_JSON_FLAGS) : "{}");
}

/* Used by benchmarks: one lookup, one answer, nothing else. */
static void
es_tool_echo(struct es_call *c, struct json_object *reply)
{
	const char	*text;

	if (es_arg_string(c, "message", 0, &text) == -1)
		return;
	if (text == NULL && es_arg_string(c, "text", 1, &text) == -1)
		return;
	es_call_text(c, 0, "%s", text);
}

/*
 * The trace context this call came with (SEP-414: params._meta's
 * traceparent, tracestate and baggage), as JSON text: what a bridge in
 * front wrote there (issue 23's tests).  Absent keys are null.
 */
static void
es_tool_trace_meta(struct es_call *c, struct json_object *reply)
{
	static const char *const keys[] = { "traceparent", "tracestate",
	    "baggage" };
	struct json_object	*meta = NULL, *out, *v;
	size_t			 i;

	if (c->params != NULL)
		json_object_object_get_ex(c->params, "_meta", &meta);
	out = json_object_new_object();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = NULL;
		if (meta != NULL)
			json_object_object_get_ex(meta, keys[i], &v);
		json_object_object_add(out, keys[i], json_object_get(v));
	}
	es_call_text(c, 0, "%s", json_object_to_json_string_ext(out,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
}

/* Its argument rides in a header too (2026-07-28 x-mcp-header): what an
 * HTTP server in front must check against the body. */
static void
es_tool_region(struct es_call *c, struct json_object *reply)
{
	const char	*region;

	if (es_arg_string(c, "region", 1, &region) == -1)
		return;
	es_call_text(c, 0, "region: %s", region);
}

/* Integral values print without a fraction, as a client would expect. */
static void
es_format_number(char *buf, size_t size, double v)
{
	if (v == (double)(long long)v && v > -1e15 && v < 1e15)
		snprintf(buf, size, "%lld", (long long)v);
	else
		snprintf(buf, size, "%.17g", v);
}

static void
es_tool_add_numbers(struct es_call *c, struct json_object *reply)
{
	double	a, b;
	char	sa[64], sb[64], sum[64];

	if (es_arg_number(c, "a", &a) == -1 || es_arg_number(c, "b", &b) == -1)
		return;
	es_format_number(sa, sizeof sa, a);
	es_format_number(sb, sizeof sb, b);
	es_format_number(sum, sizeof sum, a + b);
	es_call_text(c, 0, "The sum of %s and %s is %s", sa, sb, sum);
}

/* ---- test knobs ---- */

static void
es_tool_exit(struct es_call *c, struct json_object *reply)
{
	int64_t	code;

	if (es_arg_int(c, "code", 0, 0, 255, &code) == -1)
		return;
	log_info("exit tool: exiting with status %lld", (long long)code);
	es_flush_sync();
	es_restore_fds();
	/* _exit: no leak report, no atexit, just gone like a real crash. */
	_exit((int)code);
}

static void
es_tool_crash(struct es_call *c, struct json_object *reply)
{
	const char	*how;
	int		 sig;

	if (es_arg_string(c, "signal", 0, &how) == -1)
		return;
	if (how == NULL || strcmp(how, "segv") == 0)
		sig = SIGSEGV;
	else if (strcmp(how, "abort") == 0)
		sig = SIGABRT;
	else {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "signal must be \"segv\" or \"abort\"");
		return;
	}
	log_info("crash tool: raising %s", how != NULL ? how : "segv");
	/* Earlier answers must not die with us: tests look for them. */
	es_flush_sync();
	es_restore_fds();
	/* Sanitizers catch SIGSEGV and exit instead; tests want the signal. */
	signal(sig, SIG_DFL);
	if (sig == SIGABRT)
		abort();
	raise(sig);
	_exit(128 + sig);
}

static void
es_tool_print_garbage(struct es_call *c, struct json_object *reply)
{
	const char	*text;

	if (es_arg_string(c, "text", 0, &text) == -1)
		return;
	if (text == NULL)
		text = "this line is not JSON";
	else if (strchr(text, '\n') != NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "text must be one line");
		return;
	}
	es_send_raw(text);
	es_call_text(c, 0, "printed a non-JSON line");
}

static void
es_tool_long_line(struct es_call *c, struct json_object *reply)
{
	struct json_object	*content, *item;
	int64_t			 bytes;
	char			*text;

	if (es_arg_int(c, "bytes", 0, 0, ES_LONG_LINE_MAX, &bytes) == -1)
		return;
	text = xmalloc((size_t)bytes + 1);
	memset(text, 'x', (size_t)bytes);
	text[bytes] = '\0';
	item = json_object_new_object();
	es_add_string(item, "type", "text");
	json_object_object_add(item, "text",
	    json_object_new_string_len(text, (int)bytes));
	free(text);
	content = json_object_new_array();
	json_object_array_add(content, item);
	es_call_result(c, es_content_result(0, content));
}

/* delay's after_log: a line about a call already answered (arg: the
 * text, ours to free). */
static void
es_after_logcb(evutil_socket_t fd, short events, void *arg)
{
	char	*text = arg;

	es_notify_log(ES_LOG_INFO, text);
	free(text);
}

static void
es_tool_delay(struct es_call *c, struct json_object *reply)
{
	const char	*message;
	char		*after = NULL;
	int64_t		 after_ms;
	int		 stubborn;
	struct timeval	 tv;

	if (c->step == 0) {
		if (es_arg_int(c, "ms", 0, 0, ES_DELAY_MAX_MS, &c->ms) == -1 ||
		    es_arg_string(c, "message", 0, &message) == -1 ||
		    es_arg_string(c, "log", 0, &message) == -1 ||
		    es_arg_bool(c, "stubborn", &stubborn) == -1 ||
		    es_arg_string(c, "after_log", 0, &message) == -1 ||
		    es_arg_int(c, "after_ms", 100, 0, ES_DELAY_MAX_MS,
		    &after_ms) == -1)
			return;
		es_call_sleep(c, c->ms);
		return;
	}
	es_arg_string(c, "log", 0, &message);
	if (message != NULL)
		es_notify_log(ES_LOG_INFO, message);
	/* The call is gone once answered: take what comes after first. */
	es_arg_string(c, "after_log", 0, &message);
	es_arg_int(c, "after_ms", 100, 0, ES_DELAY_MAX_MS, &after_ms);
	if (message != NULL)
		after = xstrdup(message);
	es_arg_string(c, "message", 0, &message);
	if (message != NULL)
		es_call_text(c, 0, "%s", message);
	else
		es_call_text(c, 0, "waited %lld ms", (long long)c->ms);
	if (after != NULL) {
		tv.tv_sec = after_ms / 1000;
		tv.tv_usec = (after_ms % 1000) * 1000;
		if (event_base_once(es_base, -1, EV_TIMEOUT, es_after_logcb,
		    after, &tv) == -1) {
			log_warnx("after_log: cannot arm a timer");
			free(after);
		}
	}
}

/* steps notifications 1..steps of steps, the first after ms. */
static void
es_tool_progress(struct es_call *c, struct json_object *reply)
{
	char	message[64];

	if (c->step == 0) {
		if (es_arg_int(c, "steps", 5, 1, 10000, &c->n) == -1 ||
		    es_arg_int(c, "ms", 50, 0, ES_DELAY_MAX_MS, &c->ms) == -1)
			return;
		es_call_sleep(c, c->ms);
		return;
	}
	if (c->token != NULL) {
		snprintf(message, sizeof message, "step %d of %lld", c->step,
		    (long long)c->n);
		es_notify_progress(c->token, c->step, c->n, message);
	}
	if (c->step < c->n) {
		es_call_sleep(c, c->ms);
		return;
	}
	es_call_text(c, 0, "progress: %lld steps done", (long long)c->n);
}

/* The whole answer (result or error) back as compact JSON text. */
static void
es_knob_reply(struct es_call *c, struct json_object *reply)
{
	struct json_object	*v;
	int			 is_error = 0;

	if (!json_object_object_get_ex(reply, "result", &v)) {
		is_error = 1;
		if (!json_object_object_get_ex(reply, "error", &v))
			v = reply;
	}
	es_call_text(c, is_error, "%s",
	    json_object_to_json_string_ext(v, ES_JSON_FLAGS));
}

/* Sends method to the client unless it lacks capability (and no force). */
static void
es_knob_ask(struct es_call *c, const char *capability, const char *method,
    struct json_object *params)
{
	int	force;

	if (es_arg_bool(c, "force", &force) == -1) {
		json_object_put(params);
		return;
	}
	if (!force && !es_client_can(capability)) {
		json_object_put(params);
		es_call_text(c, 1, "Client does not support %s", capability);
		return;
	}
	es_call_ask(c, method, params);
}

static void
es_tool_sample(struct es_call *c, struct json_object *reply)
{
	struct json_object	*params, *messages, *msg;
	const char		*prompt;
	int64_t			 max_tokens;

	/* wait_ms: step 0 sleeps, step 1 asks; else step 0 asks. */
	if (c->step == 0 && (es_arg_int(c, "wait_ms", 0, 0, ES_DELAY_MAX_MS,
	    &c->ms) == -1 || c->ms > 0)) {
		if (c->ms > 0)
			es_call_sleep(c, c->ms);
		return;
	}
	if (c->step > (c->ms > 0)) {
		es_knob_reply(c, reply);
		return;
	}
	if (es_arg_string(c, "prompt", 0, &prompt) == -1 ||
	    es_arg_int(c, "maxTokens", 100, 1, INT_MAX, &max_tokens) == -1)
		return;
	msg = json_object_new_object();
	es_add_string(msg, "role", "user");
	json_object_object_add(msg, "content",
	    es_text_item(prompt != NULL ? prompt : "Say hello."));
	messages = json_object_new_array();
	json_object_array_add(messages, msg);
	params = json_object_new_object();
	json_object_object_add(params, "messages", messages);
	json_object_object_add(params, "maxTokens",
	    json_object_new_int64(max_tokens));
	es_knob_ask(c, "sampling", "sampling/createMessage", params);
}

static void
es_tool_elicit(struct es_call *c, struct json_object *reply)
{
	struct json_object	*params;
	const char		*message;

	if (c->step > 0) {
		es_knob_reply(c, reply);
		return;
	}
	if (es_arg_string(c, "message", 0, &message) == -1)
		return;
	params = json_object_new_object();
	es_add_string(params, "message",
	    message != NULL ? message : "Please enter a value");
	json_object_object_add(params, "requestedSchema", es_parse(
	    "{\"type\":\"object\",\"properties\":{\"value\":"
	    "{\"type\":\"string\",\"description\":\"A value\"}}}"));
	es_knob_ask(c, "elicitation", "elicitation/create", params);
}

static void
es_tool_roots(struct es_call *c, struct json_object *reply)
{
	if (c->step > 0) {
		es_knob_reply(c, reply);
		return;
	}
	es_knob_ask(c, "roots", "roots/list", json_object_new_object());
}

static void
es_tool_notify_list_changed(struct es_call *c, struct json_object *reply)
{
	static const char *const lists[] = { "tools", "prompts", "resources" };
	struct json_object	*params, *meta;
	const char		*list;
	char			*method, *text;
	int64_t			 pad;
	size_t			 i, sent = 0;

	if (es_arg_string(c, "list", 0, &list) == -1 ||
	    es_arg_int(c, "pad", 0, 0, ES_LONG_LINE_MAX, &pad) == -1)
		return;
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		if (list != NULL && strcmp(list, "all") != 0 &&
		    strcmp(list, lists[i]) != 0)
			continue;
		/* A big notification for every session: what a bridge in
		 * front holds per session shows. */
		params = NULL;
		if (pad > 0) {
			text = xmalloc((size_t)pad + 1);
			memset(text, 'x', (size_t)pad);
			text[pad] = '\0';
			meta = json_object_new_object();
			json_object_object_add(meta, "pad",
			    json_object_new_string_len(text, (int)pad));
			free(text);
			params = json_object_new_object();
			json_object_object_add(params, "_meta", meta);
		}
		xasprintf(&method, "notifications/%s/list_changed", lists[i]);
		es_notify(method, params);
		free(method);
		sent++;
	}
	if (sent == 0) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "list must be tools, prompts, resources or all");
		return;
	}
	es_call_text(c, 0, "sent %zu list_changed notification(s)", sent);
}

static struct es_sub *
es_sub_find(const char *uri)
{
	struct es_sub	*s;

	TAILQ_FOREACH(s, &es_subs, entry) {
		if (strcmp(s->uri, uri) == 0)
			return s;
	}
	return NULL;
}

static void
es_tool_trigger_update(struct es_call *c, struct json_object *reply)
{
	struct es_sub	*s;
	const char	*uri;
	int		 force, sent = 0;

	if (es_arg_string(c, "uri", 0, &uri) == -1 ||
	    es_arg_bool(c, "force", &force) == -1)
		return;
	if (uri == NULL || strcmp(uri, "test://watched-resource") == 0)
		es_watched_rev++;
	if (uri != NULL) {
		if (force || es_sub_find(uri) != NULL) {
			es_notify_updated(uri);
			sent++;
		}
	} else {
		TAILQ_FOREACH(s, &es_subs, entry) {
			es_notify_updated(s->uri);
			sent++;
		}
	}
	es_call_text(c, 0, "sent %d resources/updated notification(s)", sent);
}

static void
es_tool_log(struct es_call *c, struct json_object *reply)
{
	const char	*level, *message;
	size_t		 i;

	if (es_arg_string(c, "level", 0, &level) == -1 ||
	    es_arg_string(c, "message", 0, &message) == -1)
		return;
	if (level == NULL)
		level = "info";
	for (i = 0; i < ES_NLOG_LEVELS; i++) {
		if (strcmp(level, es_log_levels[i]) == 0)
			break;
	}
	if (i == ES_NLOG_LEVELS) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Unknown level: %s",
		    level);
		return;
	}
	if (es_notify_log((int)i, message != NULL ? message : "log tool"))
		es_call_text(c, 0, "sent");
	else
		es_call_text(c, 0, "filtered (level below %s)",
		    es_log_levels[es_log_min]);
}

static int
es_strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names only when listing: values may hold secrets worth not echoing. */
static void
es_tool_report_env(struct es_call *c, struct json_object *reply)
{
	const char	 *name, *value;
	char		**names, *all, *eq, *p;
	size_t		  n, i, len;

	if (es_arg_string(c, "name", 0, &name) == -1)
		return;
	if (name != NULL) {
		if ((value = getenv(name)) == NULL)
			es_call_text(c, 1, "%s is not set", name);
		else
			es_call_text(c, 0, "%s", value);
		return;
	}
	for (n = 0; environ[n] != NULL; n++)
		;
	names = xcalloc(n + 1, sizeof *names);
	len = 1;
	for (i = 0; i < n; i++) {
		if ((eq = strchr(environ[i], '=')) == NULL)
			names[i] = xstrdup(environ[i]);
		else
			names[i] = xstrndup(environ[i],
			    (size_t)(eq - environ[i]));
		len += strlen(names[i]) + 1;
	}
	qsort(names, n, sizeof *names, es_strcmp_ptr);
	all = xmalloc(len);
	p = all;
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = '\n';
		len = strlen(names[i]);
		memcpy(p, names[i], len);
		p += len;
		free(names[i]);
	}
	*p = '\0';
	free(names);
	es_call_text(c, 0, "%s", all);
	free(all);
}

static void
es_tool_received(struct es_call *c, struct json_object *reply)
{
	struct json_object	*content;
	int64_t			 count;
	size_t			 i, slot;

	if (es_arg_int(c, "count", 10, 1, ES_RECEIVED_KEEP, &count) == -1)
		return;
	content = json_object_new_array();
	for (i = (size_t)count; i > 0; i--) {
		slot = (es_received_next + ES_RECEIVED_KEEP - i) %
		    ES_RECEIVED_KEEP;
		if (es_received[slot] != NULL)
			json_object_array_add(content,
			    es_text_item(es_received[slot]));
	}
	es_call_result(c, es_content_result(0, content));
}

/*
 * 2026-07-28 fixture (the conformance suite's stateless scenarios, through
 * the bridge).  The questions are asked as legacy requests; the bridge
 * turns them into input_required results and the retries back into
 * answers, so only the question keys and the final texts are set here.
 */

#define ES_SCHEMA_NAME \
	"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}," \
	"\"required\":[\"name\"]}"
static void	es_add_message(struct json_object *, struct json_object *);

#define ES_SCHEMA_OK \
	"{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}}," \
	"\"required\":[\"ok\"]}"

/* An elicitation/create asking message with schema, as question key. */
static void
es_ask_elicit(struct es_call *c, const char *key, const char *message,
    const char *schema)
{
	struct json_object	*params;

	params = json_object_new_object();
	es_add_string(params, "message", message);
	json_object_object_add(params, "requestedSchema", es_parse(schema));
	es_call_ask_key(c, key, "elicitation/create", params);
}

static void
es_ask_sample(struct es_call *c, const char *key, const char *prompt,
    int max_tokens)
{
	struct json_object	*params, *messages, *msg;

	msg = json_object_new_object();
	es_add_string(msg, "role", "user");
	json_object_object_add(msg, "content", es_text_item(prompt));
	messages = json_object_new_array();
	json_object_array_add(messages, msg);
	params = json_object_new_object();
	json_object_object_add(params, "messages", messages);
	json_object_object_add(params, "maxTokens",
	    json_object_new_int(max_tokens));
	es_call_ask_key(c, key, "sampling/createMessage", params);
}

/* The result of answer key, or NULL (an error, or no answer). */
static struct json_object *
es_answer(struct json_object *answers, const char *key)
{
	return es_get_object(es_get_object(answers, key), "result");
}

/* A string field of an elicitation answer's content. */
static const char *
es_answer_field(struct json_object *answers, const char *key,
    const char *field)
{
	return es_get_string(es_get_object(es_answer(answers, key),
	    "content"), field);
}

static void
es_tool_ir_elicitation(struct es_call *c, struct json_object *answers)
{
	const char	*name;

	if (c->step == 0) {
		es_ask_elicit(c, "user_name", "What is your name?",
		    ES_SCHEMA_NAME);
		return;
	}
	if ((name = es_answer_field(answers, "user_name", "name")) == NULL) {
		es_call_text(c, 1, "No name was given");
		return;
	}
	es_call_text(c, 0, "Hello, %s!", name);
}

static void
es_tool_ir_sampling(struct es_call *c, struct json_object *answers)
{
	const char	*text;

	if (c->step == 0) {
		es_ask_sample(c, "capital_question",
		    "What is the capital of France?", 100);
		return;
	}
	if ((text = es_sampling_text(es_answer(answers,
	    "capital_question"))) == NULL) {
		es_call_text(c, 1, "No sampling result");
		return;
	}
	es_call_text(c, 0, "LLM response: %s", text);
}

static void
es_tool_ir_list_roots(struct es_call *c, struct json_object *answers)
{
	struct json_object	*roots;

	if (c->step == 0) {
		es_call_ask_key(c, "client_roots", "roots/list",
		    json_object_new_object());
		return;
	}
	if (!json_object_object_get_ex(es_answer(answers, "client_roots"),
	    "roots", &roots)) {
		es_call_text(c, 1, "No roots");
		return;
	}
	es_call_text(c, 0, "Client roots: %s",
	    json_object_to_json_string_ext(roots, ES_JSON_FLAGS));
}

/* Also the tampered-state tool: the bridge keeps the state honest. */
static void
es_tool_ir_request_state(struct es_call *c, struct json_object *answers)
{
	if (c->step == 0) {
		es_ask_elicit(c, "confirm", "Please confirm", ES_SCHEMA_OK);
		return;
	}
	if (es_answer(answers, "confirm") == NULL) {
		es_call_text(c, 1, "Not confirmed");
		return;
	}
	es_call_text(c, 0, "state-ok: confirmation received");
}

static void
es_tool_ir_multiple(struct es_call *c, struct json_object *answers)
{
	struct json_object	*roots;
	const char		*name, *greeting;

	if (c->step == 0) {
		es_ask_elicit(c, "user_name", "What is your name?",
		    ES_SCHEMA_NAME);
		es_ask_sample(c, "greeting", "Generate a greeting", 50);
		es_call_ask_key(c, "client_roots", "roots/list",
		    json_object_new_object());
		return;
	}
	name = es_answer_field(answers, "user_name", "name");
	greeting = es_sampling_text(es_answer(answers, "greeting"));
	json_object_object_get_ex(es_answer(answers, "client_roots"), "roots",
	    &roots);
	es_call_text(c, 0, "name=%s, greeting=%s, roots=%zu",
	    name != NULL ? name : "(none)",
	    greeting != NULL ? greeting : "(none)",
	    json_object_is_type(roots, json_type_array) ?
	    json_object_array_length(roots) : (size_t)0);
}

static void
es_tool_ir_multi_round(struct es_call *c, struct json_object *answers)
{
	const char	*v;

	switch (c->step) {
	case 0:
		es_ask_elicit(c, "step1", "Step 1: What is your name?",
		    ES_SCHEMA_NAME);
		return;
	case 1:
		if ((v = es_answer_field(answers, "step1", "name")) == NULL) {
			es_call_text(c, 1, "Step 1 was not answered");
			return;
		}
		c->note = xstrdup(v);
		es_ask_elicit(c, "step2",
		    "Step 2: What is your favorite color?",
		    "{\"type\":\"object\",\"properties\":{\"color\":"
		    "{\"type\":\"string\"}},\"required\":[\"color\"]}");
		return;
	default:
		if ((v = es_answer_field(answers, "step2", "color")) == NULL) {
			es_call_text(c, 1, "Step 2 was not answered");
			return;
		}
		es_call_text(c, 0, "%s likes %s", c->note, v);
		return;
	}
}

/* Only what the client can do: the bridge refuses the rest at once. */
static void
es_tool_ir_capabilities(struct es_call *c, struct json_object *answers)
{
	if (c->step == 0) {
		es_ask_elicit(c, "user_name", "What is your name?",
		    ES_SCHEMA_NAME);
		es_ask_sample(c, "capital_question",
		    "What is the capital of France?", 100);
		return;
	}
	es_call_text(c, 0, "elicitation %s, sampling %s",
	    es_answer(answers, "user_name") != NULL ? "answered" : "refused",
	    es_answer(answers, "capital_question") != NULL ? "answered" :
	    "refused");
}

/* Needs sampling; fails (a JSON-RPC error) when the client lacks it. */
static void
es_tool_missing_capability(struct es_call *c, struct json_object *answers)
{
	struct json_object	*err;
	const char		*text;

	if (c->step == 0) {
		es_ask_sample(c, "sample", "Say hello.", 50);
		return;
	}
	if ((err = es_get_object(es_get_object(answers, "sample"),
	    "error")) != NULL) {
		es_call_error(c, json_object_get_int(json_object_object_get(err,
		    "code")), "%s", es_get_string(err, "message") != NULL ?
		    es_get_string(err, "message") : "sampling failed");
		return;
	}
	text = es_sampling_text(es_answer(answers, "sample"));
	es_call_text(c, 0, "LLM response: %s", text != NULL ? text : "");
}

static void
es_tool_streaming_elicitation(struct es_call *c, struct json_object *answers)
{
	if (c->step == 0) {
		es_ask_elicit(c, "user_name", "What is your name?",
		    ES_SCHEMA_NAME);
		return;
	}
	es_call_text(c, 0, "Streaming elicitation %s",
	    es_answer(answers, "user_name") != NULL ? "answered" : "refused");
}

static void
es_tool_logging_tool(struct es_call *c, struct json_object *reply)
{
	/* The conformance fixture's lines name their call: a bridge in front
	 * gets them to it even while other clients' calls run or wait. */
	es_notify_log_for(1, "test_logging_tool: starting", c->id);
	es_notify_log_for(1, "test_logging_tool: done", c->id);
	es_call_text(c, 0, "Logged two messages at info");
}

static void
es_tool_trigger_tool_change(struct es_call *c, struct json_object *reply)
{
	es_notify("notifications/tools/list_changed", NULL);
	es_call_text(c, 0, "sent notifications/tools/list_changed");
}

static void
es_tool_trigger_prompt_change(struct es_call *c, struct json_object *reply)
{
	es_notify("notifications/prompts/list_changed", NULL);
	es_call_text(c, 0, "sent notifications/prompts/list_changed");
}

/* prompts/get test_input_required_result_prompt, as a two-step tool. */
static void
es_prompt_ir(struct es_call *c, struct json_object *answers)
{
	struct json_object	*result, *messages;
	const char		*context;
	char			*text;

	if (c->step == 0) {
		es_ask_elicit(c, "user_context",
		    "What context should the prompt use?",
		    "{\"type\":\"object\",\"properties\":{\"context\":"
		    "{\"type\":\"string\"}},\"required\":[\"context\"]}");
		return;
	}
	if ((context = es_answer_field(answers, "user_context",
	    "context")) == NULL)
		context = "(none given)";
	xasprintf(&text, "Answer with this context in mind: %s", context);
	messages = json_object_new_array();
	es_add_message(messages, es_text_item(text));
	free(text);
	result = json_object_new_object();
	es_add_string(result, "description",
	    "A prompt that asks the user for context first");
	json_object_object_add(result, "messages", messages);
	es_call_result(c, result);
}

#define ES_SCHEMA_NONE "{\"type\":\"object\",\"properties\":{}}"

static const struct es_tool es_tools[] = {
	{ "test_simple_text", "Tests simple text content response",
	  ES_SCHEMA_NONE, es_tool_simple_text },
	{ "test_image_content", "Tests image content response",
	  ES_SCHEMA_NONE, es_tool_image_content },
	{ "test_audio_content", "Tests audio content response",
	  ES_SCHEMA_NONE, es_tool_audio_content },
	{ "test_embedded_resource", "Tests embedded resource content response",
	  ES_SCHEMA_NONE, es_tool_embedded_resource },
	{ "test_multiple_content_types",
	  "Tests response with multiple content types (text, image, resource)",
	  ES_SCHEMA_NONE, es_tool_multiple_content_types },
	{ "test_tool_with_logging",
	  "Tests tool that emits log messages during execution",
	  ES_SCHEMA_NONE, es_tool_with_logging },
	{ "test_tool_with_progress",
	  "Tests tool that reports progress notifications",
	  ES_SCHEMA_NONE, es_tool_with_progress },
	{ "test_error_handling", "Tests error response handling",
	  ES_SCHEMA_NONE, es_tool_error_handling },
	{ "test_sampling",
	  "Tests server-initiated sampling (LLM completion request)",
	  "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":"
	  "\"string\",\"description\":\"The prompt to send to the LLM\"}},"
	  "\"required\":[\"prompt\"]}", es_tool_sampling },
	{ "test_elicitation",
	  "Tests server-initiated elicitation (user input request)",
	  "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":"
	  "\"string\",\"description\":\"The message to show the user\"}},"
	  "\"required\":[\"message\"]}", es_tool_elicitation },
	{ "test_elicitation_sep1034_defaults",
	  "Tests elicitation with default values per SEP-1034",
	  ES_SCHEMA_NONE, es_tool_elicitation_defaults },
	{ "test_elicitation_sep1330_enums",
	  "Tests elicitation with enum schema improvements per SEP-1330",
	  ES_SCHEMA_NONE, es_tool_elicitation_enums },
	{ "test_reconnection",
	  "Tests SSE stream disconnection and client reconnection (SEP-1699): "
	  "answers after ms (default 300) so the bridge can close the stream "
	  "mid-call",
	  "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":\"integer\","
	  "\"minimum\":0}}}", es_tool_reconnection },
	{ "json_schema_2020_12_tool",
	  "Tool with JSON Schema 2020-12 features for conformance testing "
	  "(SEP-1613)",
	  "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	  "\"type\":\"object\",\"$defs\":{\"address\":{\"$anchor\":"
	  "\"addressDef\",\"type\":\"object\",\"properties\":{\"street\":"
	  "{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},"
	  "\"properties\":{\"name\":{\"type\":\"string\"},\"address\":"
	  "{\"$ref\":\"#/$defs/address\"},\"contactMethod\":{\"type\":"
	  "\"string\",\"enum\":[\"phone\",\"email\"]},\"phone\":{\"type\":"
	  "\"string\"},\"email\":{\"type\":\"string\"}},"
	  "\"allOf\":[{\"anyOf\":[{\"required\":[\"phone\"]},"
	  "{\"required\":[\"email\"]}]}],"
	  "\"if\":{\"properties\":{\"contactMethod\":{\"const\":\"phone\"}},"
	  "\"required\":[\"contactMethod\"]},"
	  "\"then\":{\"required\":[\"phone\"]},"
	  "\"else\":{\"required\":[\"email\"]},"
	  "\"additionalProperties\":false}", es_tool_json_schema_2020_12 },
	{ "test_input_required_result_elicitation",
	  "Asks the user's name (elicitation, key user_name), then greets",
	  ES_SCHEMA_NONE, es_tool_ir_elicitation },
	{ "test_input_required_result_sampling",
	  "Asks the client's LLM the capital of France (key "
	  "capital_question)", ES_SCHEMA_NONE, es_tool_ir_sampling },
	{ "test_input_required_result_list_roots",
	  "Asks the client's roots (key client_roots)", ES_SCHEMA_NONE,
	  es_tool_ir_list_roots },
	{ "test_input_required_result_request_state",
	  "Asks for a confirmation (key confirm); answers state-ok",
	  ES_SCHEMA_NONE, es_tool_ir_request_state },
	{ "test_input_required_result_tampered_state",
	  "Asks for a confirmation (key confirm); the bridge refuses altered "
	  "requestState", ES_SCHEMA_NONE, es_tool_ir_request_state },
	{ "test_input_required_result_multiple_inputs",
	  "Asks three things at once: elicitation, sampling and roots",
	  ES_SCHEMA_NONE, es_tool_ir_multiple },
	{ "test_input_required_result_multi_round",
	  "Asks a name (step1), then a colour (step2)", ES_SCHEMA_NONE,
	  es_tool_ir_multi_round },
	{ "test_input_required_result_capabilities",
	  "Asks elicitation and sampling at once; reports which the client "
	  "answered", ES_SCHEMA_NONE, es_tool_ir_capabilities },
	{ "test_missing_capability",
	  "Needs sampling: a JSON-RPC error if the client cannot",
	  ES_SCHEMA_NONE, es_tool_missing_capability },
	{ "test_streaming_elicitation", "Asks the user's name (elicitation)",
	  ES_SCHEMA_NONE, es_tool_streaming_elicitation },
	{ "test_logging_tool", "Sends two log messages at info, then answers",
	  ES_SCHEMA_NONE, es_tool_logging_tool },
	{ "test_trigger_tool_change",
	  "Sends notifications/tools/list_changed", ES_SCHEMA_NONE,
	  es_tool_trigger_tool_change },
	{ "test_trigger_prompt_change",
	  "Sends notifications/prompts/list_changed", ES_SCHEMA_NONE,
	  es_tool_trigger_prompt_change },
	{ "echo", "Returns the message (or text) argument as text content",
	  "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":"
	  "\"string\",\"description\":\"Text to return\"},\"text\":{\"type\":"
	  "\"string\",\"description\":\"Same as message\"}}}", es_tool_echo },
	{ "region", "Returns region, an argument that 2026-07-28 clients "
	  "also send in the Mcp-Param-Region header",
	  "{\"type\":\"object\",\"properties\":{\"region\":{\"type\":"
	  "\"string\",\"x-mcp-header\":\"Region\"}},"
	  "\"required\":[\"region\"]}", es_tool_region },
	{ "add_numbers", "Add two numbers together",
	  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\","
	  "\"description\":\"First number\"},\"b\":{\"type\":\"number\","
	  "\"description\":\"Second number\"}},\"required\":[\"a\",\"b\"]}",
	  es_tool_add_numbers },
	{ "exit", "Test knob: exits at once with status code (default 0) "
	  "without answering",
	  "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":"
	  "\"integer\",\"minimum\":0,\"maximum\":255}}}", es_tool_exit },
	{ "crash", "Test knob: dies by SIGSEGV (signal \"segv\", default) or "
	  "abort() (\"abort\")",
	  "{\"type\":\"object\",\"properties\":{\"signal\":{\"type\":"
	  "\"string\",\"enum\":[\"segv\",\"abort\"]}}}", es_tool_crash },
	{ "trace_meta", "Test knob: returns the traceparent, tracestate and "
	  "baggage of the call's _meta as JSON text", ES_SCHEMA_NONE,
	  es_tool_trace_meta },
	{ "print_garbage", "Test knob: writes a non-JSON line (text) to "
	  "stdout, then answers",
	  "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":"
	  "\"string\"}}}", es_tool_print_garbage },
	{ "long_line", "Test knob: answers with a text of bytes bytes (one "
	  "long line)",
	  "{\"type\":\"object\",\"properties\":{\"bytes\":{\"type\":"
	  "\"integer\",\"minimum\":0}},\"required\":[\"bytes\"]}",
	  es_tool_long_line },
	{ "delay", "Test knob: answers after ms milliseconds with message",
	  "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":\"integer\","
	  "\"minimum\":0},\"message\":{\"type\":\"string\"},"
	  "\"log\":{\"type\":\"string\"},\"stubborn\":{\"type\":"
	  "\"boolean\"},\"after_log\":{\"type\":\"string\"},"
	  "\"after_ms\":{\"type\":\"integer\",\"minimum\":0}},"
	  "\"required\":[\"ms\"]}", es_tool_delay },
	{ "progress", "Test knob: sends steps (default 5) progress "
	  "notifications ms (default 50) apart, then answers",
	  "{\"type\":\"object\",\"properties\":{\"steps\":{\"type\":"
	  "\"integer\",\"minimum\":1},\"ms\":{\"type\":\"integer\","
	  "\"minimum\":0}}}", es_tool_progress },
	{ "sample", "Test knob: sends sampling/createMessage to the client "
	  "and returns its answer as JSON text (force skips the capability "
	  "check)",
	  "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":"
	  "\"string\"},\"maxTokens\":{\"type\":\"integer\",\"minimum\":1},"
	  "\"force\":{\"type\":\"boolean\"},\"wait_ms\":{\"type\":"
	  "\"integer\",\"minimum\":0}}}", es_tool_sample },
	{ "elicit", "Test knob: sends elicitation/create to the client and "
	  "returns its answer as JSON text (force skips the capability check)",
	  "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":"
	  "\"string\"},\"force\":{\"type\":\"boolean\"}}}", es_tool_elicit },
	{ "roots", "Test knob: sends roots/list to the client and returns its "
	  "answer as JSON text (force skips the capability check)",
	  "{\"type\":\"object\",\"properties\":{\"force\":{\"type\":"
	  "\"boolean\"}}}", es_tool_roots },
	{ "notify_list_changed", "Test knob: sends notifications/<list>/"
	  "list_changed for tools, prompts, resources or all (default); pad "
	  "adds params._meta.pad, a string of that many bytes",
	  "{\"type\":\"object\",\"properties\":{\"list\":{\"type\":\"string\","
	  "\"enum\":[\"tools\",\"prompts\",\"resources\",\"all\"]},"
	  "\"pad\":{\"type\":\"integer\"}}}",
	  es_tool_notify_list_changed },
	{ "trigger_update", "Test knob: sends notifications/resources/updated "
	  "for every subscribed URI, or for uri if subscribed (or force)",
	  "{\"type\":\"object\",\"properties\":{\"uri\":{\"type\":\"string\"},"
	  "\"force\":{\"type\":\"boolean\"}}}", es_tool_trigger_update },
	{ "log", "Test knob: sends a notifications/message at level (default "
	  "info), subject to logging/setLevel",
	  "{\"type\":\"object\",\"properties\":{\"level\":{\"type\":\"string\","
	  "\"enum\":[\"debug\",\"info\",\"notice\",\"warning\",\"error\","
	  "\"critical\",\"alert\",\"emergency\"]},\"message\":{\"type\":"
	  "\"string\"}}}", es_tool_log },
	{ "report_env", "Test knob: returns the value of environment variable "
	  "name, or the sorted names of all variables",
	  "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":"
	  "\"string\"}}}", es_tool_report_env },
	{ "received", "Test knob: returns the last count (default 10, max 100) "
	  "raw lines read from stdin, one text item each, oldest first",
	  "{\"type\":\"object\",\"properties\":{\"count\":{\"type\":"
	  "\"integer\",\"minimum\":1,\"maximum\":100}}}", es_tool_received },
};
#define ES_NTOOLS (sizeof es_tools / sizeof es_tools[0])

/* Built once: the schemas are literals and never change. */
static void
es_tools_init(void)
{
	struct json_object	*tool;
	size_t			 i;

	es_tools_cache = json_object_new_array();
	for (i = 0; i < ES_NTOOLS; i++) {
		tool = json_object_new_object();
		es_add_string(tool, "name", es_tools[i].name);
		es_add_string(tool, "description", es_tools[i].description);
		json_object_object_add(tool, "inputSchema",
		    es_parse(es_tools[i].schema));
		json_object_array_add(es_tools_cache, tool);
	}
}

/* ---- methods ---- */

static void
es_initialize(struct es_call *c)
{
	struct json_object	*result, *caps, *info;
	const char		*want, *version = ES_VERSION_LATEST;
	size_t			 i;

	if ((want = es_get_string(c->params, "protocolVersion")) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "Missing protocolVersion");
		return;
	}
	for (i = 0; i < sizeof es_versions / sizeof es_versions[0]; i++) {
		if (strcmp(want, es_versions[i]) == 0)
			version = es_versions[i];
	}
	json_object_put(es_client_caps);
	if ((caps = es_get_object(c->params, "capabilities")) != NULL)
		es_client_caps = json_object_get(caps);
	else
		es_client_caps = json_object_new_object();

	result = json_object_new_object();
	es_add_string(result, "protocolVersion", version);
	json_object_object_add(result, "capabilities", es_parse(
	    "{\"tools\":{\"listChanged\":true},"
	    "\"resources\":{\"subscribe\":true,\"listChanged\":true},"
	    "\"prompts\":{\"listChanged\":true},"
	    "\"logging\":{},\"completions\":{}}"));
	info = json_object_new_object();
	es_add_string(info, "name", ES_NAME);
	es_add_string(info, "version", PACKAGE_VERSION);
	json_object_object_add(result, "serverInfo", info);
	es_add_string(result, "instructions",
	    "The test fixture of mcpbridge. It implements the "
	    "conformance fixture (test_* tools, test:// resources, test_* "
	    "prompts) and test knobs such as echo, delay, sample and exit; "
	    "see the tool descriptions.");
	log_info("initialize: client asked %s, answering %s", want, version);
	es_call_result(c, result);
}

static void
es_ping(struct es_call *c)
{
	es_call_result(c, json_object_new_object());
}

static void
es_tools_list(struct es_call *c)
{
	struct json_object	*result;

	result = json_object_new_object();
	json_object_object_add(result, "tools",
	    json_object_get(es_tools_cache));
	es_call_result(c, result);
}

static void
es_tools_call(struct es_call *c)
{
	struct json_object	*args;
	const char		*name;
	size_t			 i;

	if ((name = es_get_string(c->params, "name")) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Missing tool name");
		return;
	}
	for (i = 0; i < ES_NTOOLS; i++) {
		if (strcmp(name, es_tools[i].name) == 0)
			break;
	}
	if (i == ES_NTOOLS) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Unknown tool: %s",
		    name);
		return;
	}
	if (json_object_object_get_ex(c->params, "arguments", &args) &&
	    !json_object_is_type(args, json_type_null)) {
		if (!json_object_is_type(args, json_type_object)) {
			es_call_error(c, JSONRPC_INVALID_PARAMS,
			    "arguments must be an object");
			return;
		}
		c->args = args;
	}
	c->tool = &es_tools[i];
	c->tool->fn(c, NULL);
}

/* ---- resources ---- */

static const struct es_resource {
	const char	*uri;
	const char	*name;
	const char	*title;
	const char	*description;
	const char	*mime;
} es_resources[] = {
	{ "test://static-text", "static-text", "Static Text Resource",
	  "A static text resource for testing", "text/plain" },
	{ "test://static-binary", "static-binary", "Static Binary Resource",
	  "A static binary resource (image) for testing", "image/png" },
	{ "test://watched-resource", "watched-resource", "Watched Resource",
	  "A resource that changes on every trigger_update call; subscribe "
	  "to hear of it", "text/plain" },
};
#define ES_NRESOURCES (sizeof es_resources / sizeof es_resources[0])

#define ES_TEMPLATE		"test://template/{id}/data"
#define ES_TEMPLATE_PREFIX	"test://template/"
#define ES_TEMPLATE_SUFFIX	"/data"

static void
es_resources_list(struct es_call *c)
{
	struct json_object	*result, *list, *item;
	size_t			 i;

	list = json_object_new_array();
	for (i = 0; i < ES_NRESOURCES; i++) {
		item = json_object_new_object();
		es_add_string(item, "uri", es_resources[i].uri);
		es_add_string(item, "name", es_resources[i].name);
		es_add_string(item, "title", es_resources[i].title);
		es_add_string(item, "description", es_resources[i].description);
		es_add_string(item, "mimeType", es_resources[i].mime);
		json_object_array_add(list, item);
	}
	result = json_object_new_object();
	json_object_object_add(result, "resources", list);
	es_call_result(c, result);
}

static void
es_resources_templates_list(struct es_call *c)
{
	struct json_object	*result, *list, *item;

	item = json_object_new_object();
	es_add_string(item, "uriTemplate", ES_TEMPLATE);
	es_add_string(item, "name", "template");
	es_add_string(item, "title", "Resource Template");
	es_add_string(item, "description",
	    "A resource template with parameter substitution");
	es_add_string(item, "mimeType", "application/json");
	list = json_object_new_array();
	json_object_array_add(list, item);
	result = json_object_new_object();
	json_object_object_add(result, "resourceTemplates", list);
	es_call_result(c, result);
}

/* The {id} of a template URI, or NULL if uri does not match it. */
static char *
es_template_id(const char *uri)
{
	size_t	plen = strlen(ES_TEMPLATE_PREFIX);
	size_t	slen = strlen(ES_TEMPLATE_SUFFIX);
	size_t	len = strlen(uri), idlen;

	if (len <= plen + slen || strncmp(uri, ES_TEMPLATE_PREFIX, plen) != 0 ||
	    strcmp(uri + len - slen, ES_TEMPLATE_SUFFIX) != 0)
		return NULL;
	idlen = len - plen - slen;
	if (memchr(uri + plen, '/', idlen) != NULL)
		return NULL;
	return xstrndup(uri + plen, idlen);
}

static void
es_resources_read(struct es_call *c)
{
	struct json_object	*result, *contents, *item, *data;
	const char		*uri;
	char			*id, *text;

	if ((uri = es_get_string(c->params, "uri")) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Missing uri");
		return;
	}
	item = json_object_new_object();
	es_add_string(item, "uri", uri);
	if (strcmp(uri, "test://static-text") == 0) {
		es_add_string(item, "mimeType", "text/plain");
		es_add_string(item, "text",
		    "This is the content of the static text resource.");
	} else if (strcmp(uri, "test://static-binary") == 0) {
		es_add_string(item, "mimeType", "image/png");
		es_add_string(item, "blob", ES_PNG_BASE64);
	} else if (strcmp(uri, "test://watched-resource") == 0) {
		xasprintf(&text, "Watched resource content, revision %u",
		    es_watched_rev);
		es_add_string(item, "mimeType", "text/plain");
		es_add_string(item, "text", text);
		free(text);
	} else if ((id = es_template_id(uri)) != NULL) {
		data = json_object_new_object();
		es_add_string(data, "id", id);
		json_object_object_add(data, "templateTest",
		    json_object_new_boolean(1));
		xasprintf(&text, "Data for ID: %s", id);
		es_add_string(data, "data", text);
		free(text);
		free(id);
		es_add_string(item, "mimeType", "application/json");
		es_add_string(item, "text",
		    json_object_to_json_string_ext(data, ES_JSON_FLAGS));
		json_object_put(data);
	} else {
		json_object_put(item);
		data = json_object_new_object();
		es_add_string(data, "uri", uri);
		es_call_free(c, es_error_msg(c->id, MCP_RESOURCE_NOT_FOUND,
		    "Resource not found", data));
		return;
	}
	contents = json_object_new_array();
	json_object_array_add(contents, item);
	result = json_object_new_object();
	json_object_object_add(result, "contents", contents);
	es_call_result(c, result);
}

static void
es_sub_free(struct es_sub *s)
{
	TAILQ_REMOVE(&es_subs, s, entry);
	event_free(s->timer);
	free(s->uri);
	free(s);
}

static void
es_sub_timercb(evutil_socket_t fd, short events, void *arg)
{
	struct es_sub	*s = arg;

	es_notify_updated(s->uri);
}

/*
 * Any URI may be subscribed.  A first updated notification follows soon,
 * so a test can see the subscription work without a trigger_update.
 */
static void
es_resources_subscribe(struct es_call *c)
{
	struct es_sub	*s;
	struct timeval	 tv = { 0, ES_SUBSCRIBE_NOTIFY_MS * 1000 };
	const char	*uri;

	if ((uri = es_get_string(c->params, "uri")) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Missing uri");
		return;
	}
	if ((s = es_sub_find(uri)) == NULL) {
		s = xcalloc(1, sizeof *s);
		s->uri = xstrdup(uri);
		s->timer = evtimer_new(es_base, es_sub_timercb, s);
		TAILQ_INSERT_TAIL(&es_subs, s, entry);
	}
	evtimer_add(s->timer, &tv);
	es_call_result(c, json_object_new_object());
}

static void
es_resources_unsubscribe(struct es_call *c)
{
	struct es_sub	*s;
	const char	*uri;

	if ((uri = es_get_string(c->params, "uri")) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Missing uri");
		return;
	}
	if ((s = es_sub_find(uri)) != NULL)
		es_sub_free(s);
	es_call_result(c, json_object_new_object());
}

/* ---- prompts ---- */

static const struct es_prompt {
	const char	*name;
	const char	*title;
	const char	*description;
	const char	*arguments;	/* JSON array text */
} es_prompts[] = {
	{ "test_simple_prompt", "Simple Test Prompt",
	  "A simple prompt without arguments", "[]" },
	{ "test_prompt_with_arguments", "Prompt With Arguments",
	  "A prompt with required arguments",
	  "[{\"name\":\"arg1\",\"description\":\"First test argument\","
	  "\"required\":true},{\"name\":\"arg2\",\"description\":"
	  "\"Second test argument\",\"required\":true}]" },
	{ "test_prompt_with_embedded_resource", "Prompt With Embedded Resource",
	  "A prompt that includes an embedded resource",
	  "[{\"name\":\"resourceUri\",\"description\":"
	  "\"URI of the resource to embed\",\"required\":true}]" },
	{ "test_prompt_with_image", "Prompt With Image",
	  "A prompt that includes image content", "[]" },
	{ "test_input_required_result_prompt", "Prompt That Asks First",
	  "A prompt that asks the user for context (elicitation) first",
	  "[]" },
};
#define ES_NPROMPTS (sizeof es_prompts / sizeof es_prompts[0])

/* The prompt that asks first runs as a tool does. */
static const struct es_tool es_prompt_ir_tool = {
	"test_input_required_result_prompt", NULL, NULL, es_prompt_ir,
};

static const struct es_prompt *
es_prompt_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ES_NPROMPTS; i++) {
		if (strcmp(name, es_prompts[i].name) == 0)
			return &es_prompts[i];
	}
	return NULL;
}

static void
es_prompts_list(struct es_call *c)
{
	struct json_object	*result, *list, *item;
	size_t			 i;

	list = json_object_new_array();
	for (i = 0; i < ES_NPROMPTS; i++) {
		item = json_object_new_object();
		es_add_string(item, "name", es_prompts[i].name);
		es_add_string(item, "title", es_prompts[i].title);
		es_add_string(item, "description", es_prompts[i].description);
		json_object_object_add(item, "arguments",
		    es_parse(es_prompts[i].arguments));
		json_object_array_add(list, item);
	}
	result = json_object_new_object();
	json_object_object_add(result, "prompts", list);
	es_call_result(c, result);
}

/* Takes content. */
static void
es_add_message(struct json_object *messages, struct json_object *content)
{
	struct json_object	*msg;

	msg = json_object_new_object();
	es_add_string(msg, "role", "user");
	json_object_object_add(msg, "content", content);
	json_object_array_add(messages, msg);
}

static void
es_prompts_get(struct es_call *c)
{
	const struct es_prompt	*p;
	struct json_object	*args, *result, *messages, *spec, *arg;
	const char		*name, *argname, *a1, *a2, *uri;
	char			*text;
	size_t			 i;

	if ((name = es_get_string(c->params, "name")) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Missing prompt name");
		return;
	}
	if ((p = es_prompt_find(name)) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Unknown prompt: %s",
		    name);
		return;
	}
	args = es_get_object(c->params, "arguments");
	spec = es_parse(p->arguments);
	for (i = 0; i < json_object_array_length(spec); i++) {
		arg = json_object_array_get_idx(spec, i);
		argname = es_get_string(arg, "name");
		if (es_get_string(args, argname) == NULL) {
			/* argname lives in spec: answer before freeing it. */
			es_call_error(c, JSONRPC_INVALID_PARAMS,
			    "Missing required argument: %s", argname);
			json_object_put(spec);
			return;
		}
	}
	json_object_put(spec);

	if (strcmp(p->name, "test_input_required_result_prompt") == 0) {
		c->tool = &es_prompt_ir_tool;
		c->tool->fn(c, NULL);
		return;
	}
	messages = json_object_new_array();
	if (strcmp(p->name, "test_simple_prompt") == 0)
		es_add_message(messages,
		    es_text_item("This is a simple prompt for testing."));
	else if (strcmp(p->name, "test_prompt_with_arguments") == 0) {
		a1 = es_get_string(args, "arg1");
		a2 = es_get_string(args, "arg2");
		xasprintf(&text, "Prompt with arguments: arg1='%s', arg2='%s'",
		    a1, a2);
		es_add_message(messages, es_text_item(text));
		free(text);
	} else if (strcmp(p->name, "test_prompt_with_embedded_resource") == 0) {
		uri = es_get_string(args, "resourceUri");
		es_add_message(messages, es_resource_item(uri, "text/plain",
		    "Embedded resource content for testing."));
		es_add_message(messages, es_text_item(
		    "Please process the embedded resource above."));
	} else {
		es_add_message(messages, es_image_item());
		es_add_message(messages,
		    es_text_item("Please analyze the image above."));
	}
	result = json_object_new_object();
	es_add_string(result, "description", p->description);
	json_object_object_add(result, "messages", messages);
	es_call_result(c, result);
}

/* ---- completion and logging ---- */

static void
es_complete_add(struct json_object *values, const char *const *candidates,
    const char *prefix)
{
	size_t	len = strlen(prefix);

	for (; *candidates != NULL; candidates++) {
		if (strncmp(*candidates, prefix, len) == 0)
			json_object_array_add(values,
			    json_object_new_string(*candidates));
	}
}

static void
es_completion_complete(struct es_call *c)
{
	static const char *const words[] = {
		"alpha", "apple", "beta", "hello", "help", "test", "testValue1",
		"testValue2", "world", NULL,
	};
	static const char *const uris[] = {
		"test://static-text", "test://static-binary",
		"test://watched-resource", NULL,
	};
	static const char *const ids[] = { "1", "2", "3", "42", "123", NULL };
	struct json_object	*ref, *argument, *values, *completion, *result;
	const char		*type, *name, *value, *target;

	ref = es_get_object(c->params, "ref");
	argument = es_get_object(c->params, "argument");
	if (ref == NULL || argument == NULL ||
	    (type = es_get_string(ref, "type")) == NULL ||
	    (name = es_get_string(argument, "name")) == NULL ||
	    (value = es_get_string(argument, "value")) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "completion/complete needs ref and argument {name, value}");
		return;
	}
	values = json_object_new_array();
	if (strcmp(type, "ref/prompt") == 0) {
		if ((target = es_get_string(ref, "name")) == NULL ||
		    es_prompt_find(target) == NULL) {
			json_object_put(values);
			es_call_error(c, JSONRPC_INVALID_PARAMS,
			    "Unknown prompt");
			return;
		}
		if (strcmp(name, "resourceUri") == 0)
			es_complete_add(values, uris, value);
		else if (strcmp(name, "arg1") == 0 || strcmp(name, "arg2") == 0)
			es_complete_add(values, words, value);
	} else if (strcmp(type, "ref/resource") == 0) {
		if ((target = es_get_string(ref, "uri")) == NULL) {
			json_object_put(values);
			es_call_error(c, JSONRPC_INVALID_PARAMS, "Missing uri");
			return;
		}
		if (strcmp(target, ES_TEMPLATE) == 0 && strcmp(name, "id") == 0)
			es_complete_add(values, ids, value);
	} else {
		json_object_put(values);
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "Unknown ref type: %s", type);
		return;
	}
	completion = json_object_new_object();
	json_object_object_add(completion, "total",
	    json_object_new_int((int)json_object_array_length(values)));
	json_object_object_add(completion, "values", values);
	json_object_object_add(completion, "hasMore",
	    json_object_new_boolean(0));
	result = json_object_new_object();
	json_object_object_add(result, "completion", completion);
	es_call_result(c, result);
}

static void
es_logging_set_level(struct es_call *c)
{
	const char	*level;
	size_t		 i;

	if ((level = es_get_string(c->params, "level")) == NULL) {
		es_call_error(c, JSONRPC_INVALID_PARAMS, "Missing level");
		return;
	}
	for (i = 0; i < ES_NLOG_LEVELS; i++) {
		if (strcmp(level, es_log_levels[i]) == 0) {
			es_log_min = (int)i;
			es_call_result(c, json_object_new_object());
			return;
		}
	}
	es_call_error(c, JSONRPC_INVALID_PARAMS, "Unknown level: %s", level);
}

static const struct es_method {
	const char	*name;
	void		(*fn)(struct es_call *);
} es_methods[] = {
	{ "initialize", es_initialize },
	{ "ping", es_ping },
	{ "tools/list", es_tools_list },
	{ "tools/call", es_tools_call },
	{ "resources/list", es_resources_list },
	{ "resources/templates/list", es_resources_templates_list },
	{ "resources/read", es_resources_read },
	{ "resources/subscribe", es_resources_subscribe },
	{ "resources/unsubscribe", es_resources_unsubscribe },
	{ "prompts/list", es_prompts_list },
	{ "prompts/get", es_prompts_get },
	{ "completion/complete", es_completion_complete },
	{ "logging/setLevel", es_logging_set_level },
};

/* ---- dispatch ---- */

static void
es_handle_request(struct json_object *msg, struct json_object *id,
    const char *method, struct json_object *params, struct es_batch *b)
{
	struct es_call	*c;
	size_t		 i;

	es_requests++;
	c = es_call_new(id, params, b);
	es_span_start(c, msg, method);
	if (params != NULL && !json_object_is_type(params, json_type_object)) {
		es_call_error(c, JSONRPC_INVALID_PARAMS,
		    "params must be an object");
		return;
	}
	for (i = 0; i < sizeof es_methods / sizeof es_methods[0]; i++) {
		if (strcmp(method, es_methods[i].name) == 0) {
			es_methods[i].fn(c);
			return;
		}
	}
	es_call_error(c, JSONRPC_METHOD_NOT_FOUND, "Method not found: %s",
	    method);
}

static void
es_handle_notification(const char *method, struct json_object *params)
{
	struct json_object	*rid;
	struct es_call		*c;
	const char		*reason;

	if (strcmp(method, "notifications/cancelled") != 0) {
		/* initialized, roots/list_changed, ...: nothing to do. */
		log_debug("notification %s", method);
		return;
	}
	if (params == NULL || !json_object_object_get_ex(params, "requestId",
	    &rid))
		return;
	TAILQ_FOREACH(c, &es_calls, entry) {
		if (json_object_equal(c->id, rid))
			break;
	}
	/* Unknown or already answered: the spec says ignore it. */
	if (c == NULL)
		return;
	if ((reason = es_get_string(params, "reason")) == NULL)
		reason = "no reason given";
	log_info("request %s cancelled: %s", json_object_get_string(rid),
	    reason);
	/* delay's stubborn: a server that works on whatever it is told. */
	if (c->args != NULL && json_object_get_boolean(json_object_object_get(
	    c->args, "stubborn")))
		return;
	es_call_cancel(c, "the request that asked was cancelled");
}

static void
es_handle_response(struct json_object *msg)
{
	struct json_object	*id, *answers;
	struct es_call		*c;
	const char		*s;
	size_t			 i;

	json_object_object_get_ex(msg, "id", &id);
	if (!json_object_is_type(id, json_type_string)) {
		log_warnx("response with id %s matches nothing we sent",
		    json_object_to_json_string_ext(id, ES_JSON_FLAGS));
		return;
	}
	s = json_object_get_string(id);
	es_ask_answered(s, msg);
	TAILQ_FOREACH(c, &es_calls, entry) {
		if (c->wait_id != NULL && strcmp(c->wait_id, s) == 0)
			break;
		for (i = 0; i < ES_ASKS_MAX; i++) {
			if (c->waits[i] == NULL || strcmp(c->waits[i], s) != 0)
				continue;
			/* One of several: the tool runs when all are in. */
			json_object_object_add(c->answers, c->wait_keys[i],
			    json_object_get(msg));
			free(c->waits[i]);
			free(c->wait_keys[i]);
			c->waits[i] = c->wait_keys[i] = NULL;
			if (--c->nwaits > 0)
				return;
			answers = c->answers;
			c->answers = NULL;
			c->step++;
			c->tool->fn(c, answers);
			json_object_put(answers);
			return;
		}
	}
	if (c == NULL) {
		log_warnx("response for %s matches nothing pending", s);
		return;
	}
	free(c->wait_id);
	c->wait_id = NULL;
	c->step++;
	c->tool->fn(c, msg);
}

/*
 * Requests get exactly one answer; notifications and responses none, so
 * a confused peer's error response can never start a ping-pong.
 */
static void
es_handle_message(struct json_object *msg, struct es_batch *b)
{
	struct json_object	*id = NULL, *params = NULL, *v;
	const char		*method, *version;
	int			 has_id, id_ok;

	if (!json_object_is_type(msg, json_type_object)) {
		es_emit(b, es_error_msg(NULL, JSONRPC_INVALID_REQUEST,
		    "Invalid Request", NULL));
		return;
	}
	has_id = json_object_object_get_ex(msg, "id", &id);
	id_ok = has_id && (json_object_is_type(id, json_type_string) ||
	    json_object_is_type(id, json_type_int));
	json_object_object_get_ex(msg, "params", &params);
	method = es_get_string(msg, "method");
	version = es_get_string(msg, "jsonrpc");

	if (method == NULL) {
		if (json_object_object_get_ex(msg, "result", &v) ||
		    json_object_object_get_ex(msg, "error", &v))
			es_handle_response(msg);
		else
			es_emit(b, es_error_msg(id_ok ? id : NULL,
			    JSONRPC_INVALID_REQUEST, "Invalid Request", NULL));
		return;
	}
	if (version == NULL || strcmp(version, "2.0") != 0) {
		if (has_id)
			es_emit(b, es_error_msg(id_ok ? id : NULL,
			    JSONRPC_INVALID_REQUEST, "Invalid Request", NULL));
		return;
	}
	if (!has_id) {
		es_handle_notification(method, params);
		return;
	}
	/* An id we cannot echo faithfully (null, 1.5, {}) is answered null. */
	if (!id_ok) {
		es_emit(b, es_error_msg(NULL, JSONRPC_INVALID_REQUEST,
		    "Invalid Request: bad id", NULL));
		return;
	}
	es_handle_request(msg, id, method, params, b);
}

static void
es_remember(const char *line, size_t len)
{
	if (len > ES_RECEIVED_BYTES)
		len = ES_RECEIVED_BYTES;
	free(es_received[es_received_next]);
	es_received[es_received_next] = xstrndup(line, len);
	es_received_next = (es_received_next + 1) % ES_RECEIVED_KEEP;
}

static void
es_handle_line(char *line, size_t len)
{
	struct json_object	*msg;
	struct es_batch		*b;
	size_t			 i;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	for (i = 0; i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t')
			break;
	}
	if (i == len)
		return;
	es_remember(line, len);

	/* As strict as the bridge, and as deep. */
	msg = jsonparse_strict(line, len, NULL);
	if (msg == NULL) {
		log_warnx("stdin: unparseable line (%zu bytes)", len);
		es_emit(NULL, es_error_msg(NULL, JSONRPC_PARSE_ERROR,
		    "Parse error", NULL));
		return;
	}

	if (!json_object_is_type(msg, json_type_array)) {
		es_handle_message(msg, NULL);
		json_object_put(msg);
		return;
	}
	if (json_object_array_length(msg) == 0) {
		es_emit(NULL, es_error_msg(NULL, JSONRPC_INVALID_REQUEST,
		    "Invalid Request: empty batch", NULL));
		json_object_put(msg);
		return;
	}
	/* The reference held while reading keeps the batch from flushing. */
	b = xcalloc(1, sizeof *b);
	b->replies = json_object_new_array();
	b->refs = 1;
	for (i = 0; i < json_object_array_length(msg); i++)
		es_handle_message(json_object_array_get_idx(msg, i), b);
	es_batch_unref(b);
	json_object_put(msg);
}

/* ---- stdin and stdout ---- */

static void
es_stdin_readcb(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct evbuffer_ptr p;
	size_t		 len;
	char		*line;

	for (;;) {
		if (es_closing)
			return;
		if (es_discarding) {
			p = evbuffer_search_eol(in, NULL, NULL,
			    EVBUFFER_EOL_LF);
			if (p.pos == -1) {
				evbuffer_drain(in, evbuffer_get_length(in));
				break;
			}
			evbuffer_drain(in, (size_t)p.pos + 1);
			es_discarding = 0;
			continue;
		}
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > ES_LINE_MAX) {
				log_warnx("stdin: line longer than %d bytes, "
				    "discarded", ES_LINE_MAX);
				evbuffer_drain(in, evbuffer_get_length(in));
				es_discarding = 1;
			}
			break;
		}
		es_handle_line(line, len);
		free(line);
		if (es_exit_after != 0 && es_requests >= es_exit_after) {
			es_shutdown(1, "TEST_SERVER_EXIT_AFTER reached");
			return;
		}
	}
	/* Stop reading while the reader of stdout lags behind. */
	if (evbuffer_get_length(bufferevent_get_output(es_out)) > ES_OUT_HIGH) {
		bufferevent_disable(es_in, EV_READ);
		es_paused = 1;
	}
}

static void
es_stdin_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 len;
	char		*line;

	if (what & BEV_EVENT_ERROR)
		log_warn("stdin");
	/* A last line without its newline still counts. */
	if (!es_discarding && (len = evbuffer_get_length(in)) > 0 &&
	    !es_closing) {
		line = xmalloc(len + 1);
		evbuffer_remove(in, line, len);
		line[len] = '\0';
		es_handle_line(line, len);
		free(line);
	}
	es_shutdown(0, "stdin closed");
}

static void
es_stdout_writecb(struct bufferevent *bev, void *arg)
{
	if (es_finishing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		event_base_loopexit(es_base, NULL);
		return;
	}
	if (es_paused && !es_closing) {
		es_paused = 0;
		bufferevent_enable(es_in, EV_READ);
	}
}

static void
es_stdout_eventcb(struct bufferevent *bev, short what, void *arg)
{
	/* Nobody is reading our answers any more: nothing left to do. */
	log_warn("stdout");
	event_base_loopexit(es_base, NULL);
}

static void
es_drain_timercb(evutil_socket_t fd, short events, void *arg)
{
	log_warnx("gave up waiting for pending work or stdout; exiting");
	event_base_loopexit(es_base, NULL);
}

static void
es_start_timercb(evutil_socket_t fd, short events, void *arg)
{
	bufferevent_enable(es_in, EV_READ);
}

/* Leave once stdout is empty. */
static void
es_finish(void)
{
	if (es_finishing)
		return;
	es_finishing = 1;
	if (evbuffer_get_length(bufferevent_get_output(es_out)) == 0)
		event_base_loopexit(es_base, NULL);
}

/*
 * Stops reading.  Calls that wait for the client can never finish and are
 * dropped; with drop_all so is everything else, else timer-driven calls
 * may finish within ES_DRAIN_MS.
 */
static void
es_shutdown(int drop_all, const char *why)
{
	struct es_call	*c, *next;
	struct timeval	 tv = { ES_DRAIN_MS / 1000, 0 };

	if (es_closing)
		return;
	log_info("%s, exiting", why);
	es_closing = 1;
	bufferevent_disable(es_in, EV_READ);
	if (es_start_timer != NULL)
		evtimer_del(es_start_timer);
	es_drain_timer = evtimer_new(es_base, es_drain_timercb, NULL);
	evtimer_add(es_drain_timer, &tv);
	for (c = TAILQ_FIRST(&es_calls); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (drop_all || c->wait_id != NULL || c->nwaits > 0)
			es_call_drop(c);
	}
	if (TAILQ_EMPTY(&es_calls))
		es_finish();
}

static int
es_env_number(const char *name, unsigned long long max,
    unsigned long long *out)
{
	const char	*s;
	char		*end;

	*out = 0;
	if ((s = getenv(name)) == NULL || *s == '\0')
		return 0;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *s == '-' || *out > max) {
		log_warnx("%s=%s: not a number up to %llu", name, s, max);
		return -1;
	}
	return 0;
}

/* stdin and stdout must not block the loop: a slow reader stalls nobody. */
static void
es_io_init(void)
{
	int	fd;

	for (fd = 0; fd < 2; fd++) {
		if ((es_fd_flags[fd] = fcntl(fd, F_GETFL)) == -1)
			fatal("fcntl(%d)", fd);
		if (fcntl(fd, F_SETFL, es_fd_flags[fd] | O_NONBLOCK) == -1)
			fatal("fcntl(%d, O_NONBLOCK)", fd);
	}
	es_in = bufferevent_socket_new(es_base, STDIN_FILENO, 0);
	es_out = bufferevent_socket_new(es_base, STDOUT_FILENO, 0);
	if (es_in == NULL || es_out == NULL)
		fatalx("bufferevent_socket_new failed");
	bufferevent_setcb(es_in, es_stdin_readcb, NULL, es_stdin_eventcb,
	    NULL);
	bufferevent_setcb(es_out, NULL, es_stdout_writecb, es_stdout_eventcb,
	    NULL);
	bufferevent_setwatermark(es_out, EV_WRITE, ES_OUT_LOW, 0);
	bufferevent_disable(es_in, EV_READ | EV_WRITE);
	bufferevent_enable(es_out, EV_WRITE);
}

static void
es_free_all(void)
{
	struct es_call	*c;
	size_t		 i;

	/* What this queues on stdout is freed with it, never written. */
	while ((c = TAILQ_FIRST(&es_calls)) != NULL)
		es_call_drop(c);
	while (!TAILQ_EMPTY(&es_subs))
		es_sub_free(TAILQ_FIRST(&es_subs));
	for (i = 0; i < ES_RECEIVED_KEEP; i++)
		free(es_received[i]);
	json_object_put(es_tools_cache);
	json_object_put(es_client_caps);
	if (es_start_timer != NULL)
		event_free(es_start_timer);
	if (es_drain_timer != NULL)
		event_free(es_drain_timer);
	bufferevent_free(es_in);
	bufferevent_free(es_out);
	event_base_free(es_base);
}

static __attribute__((noreturn)) void
es_usage(void)
{
	fprintf(stderr, "usage: %s [--version]\n"
	    "The stdio MCP server of mcpbridge's tests; see the comment at "
	    "the top of tests/fixture-server.c or tools/list.\n", ES_NAME);
	exit(1);
}

int
main(int argc, char **argv)
{
	struct event_config	*cfg;
	unsigned long long	 delay;
	const char		*banner;
	struct timeval		 tv;

	if (argc > 1) {
		if (strcmp(argv[1], "--version") == 0 ||
		    strcmp(argv[1], "-V") == 0) {
			printf("%s %s\n", ES_NAME, PACKAGE_VERSION);
			return 0;
		}
		es_usage();
	}
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT, ES_NAME);
	signal(SIGPIPE, SIG_IGN);

	if (es_env_number("TEST_SERVER_STARTUP_DELAY_MS", ES_DELAY_MAX_MS,
	    &delay) == -1 || es_env_number("TEST_SERVER_EXIT_AFTER",
	    ULLONG_MAX, &es_exit_after) == -1)
		return 1;

	/*
	 * epoll refuses regular files and /dev/null, and stdin may well be
	 * one of those; poll takes any descriptor.
	 */
	if ((cfg = event_config_new()) == NULL)
		fatalx("event_config_new failed");
	event_config_avoid_method(cfg, "epoll");
	if ((es_base = event_base_new_with_config(cfg)) == NULL)
		fatalx("event_base_new failed");
	event_config_free(cfg);

	es_tools_init();
	es_io_init();
	es_otel_init();
	if ((banner = getenv("TEST_SERVER_BANNER")) != NULL)
		es_send_raw(banner);
	if (delay > 0) {
		tv.tv_sec = (time_t)(delay / 1000);
		tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
		es_start_timer = evtimer_new(es_base, es_start_timercb, NULL);
		evtimer_add(es_start_timer, &tv);
	} else
		bufferevent_enable(es_in, EV_READ);
	log_info("ready (%s %s, %zu tools)", ES_NAME, PACKAGE_VERSION,
	    ES_NTOOLS);

	event_base_dispatch(es_base);
	/* Nothing more to do but send the last spans. */
	if (es_drain_timer != NULL)
		evtimer_del(es_drain_timer);
	es_otel_finish();

	es_free_all();
	es_restore_fds();
	return 0;
}
