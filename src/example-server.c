/* SPDX-License-Identifier: ISC */
/*
 * example-server.c: mcpbridge-example-server, the demo MCP server that
 * `make install` puts next to mcpbridge, to try the bridge with:
 *
 *	mcpbridge serve -- mcpbridge-example-server
 *
 * It speaks MCP over stdio as any stdio server does: one JSON-RPC message
 * per line on stdin, one per line on stdout, its log on stderr.  It
 * offers
 *   tools      echo {text}        the text back
 *              add {a, b}         the sum of two numbers
 *              sample {prompt}    asks the client's model for an answer
 *                                 (sampling/createMessage) and returns it
 *   resource   demo://readme      a short text
 *   prompt     greet {name}       a message asking to greet someone
 * and answers initialize (protocol 2024-11-05 to 2025-11-25), ping,
 * tools/list and tools/call, resources/list and resources/read,
 * prompts/list and prompts/get.  Anything else is -32601.  The bridge
 * serves it to clients of 2026-07-28 too, translating for it.
 *
 * It reads nothing but its stdin and does nothing on request but the
 * above: no files, no environment, no test knobs (those are in the test
 * fixture, tests/fixture-server.c).  A line that does not fit in
 * EX_LINE_MAX bytes is refused and skipped; at EOF on stdin it exits with
 * status 0.
 *
 * While a sample call waits for the client's answer other requests are
 * served: the call is kept in ex_samples until the answer (a response
 * with our request's id) or a notifications/cancelled for it comes.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jsonparse.h"
#include "log.h"
#include "xmalloc.h"

#define EX_NAME		"mcpbridge-example-server"
/* A line from stdin, its newline included, fits in this many bytes. */
#define EX_LINE_MAX		(1024 * 1024)
/* At most this many sample calls wait for the client at once. */
#define EX_SAMPLES_MAX		16
/* The maxTokens a sample call asks the model for. */
#define EX_SAMPLE_TOKENS	200

/* JSON-RPC 2.0 and MCP error codes. */
#define EX_PARSE_ERROR		-32700
#define EX_INVALID_REQUEST	-32600
#define EX_METHOD_NOT_FOUND	-32601
#define EX_INVALID_PARAMS	-32602
#define EX_RESOURCE_NOT_FOUND	-32002

/* The protocol versions we speak, newest first. */
static const char *const ex_versions[] = {
	"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05",
};

/* A sample call waiting for the client's answer to our request. */
struct ex_sample {
	json_object	*call_id;	/* the tools/call; NULL: unused */
	char		 ask_id[32];	/* our question's id */
};
static struct ex_sample	 ex_samples[EX_SAMPLES_MAX];
static unsigned long	 ex_next_ask;

/* What the client declared in initialize (we own it). */
static json_object	*ex_client_caps;

/* The line being read from stdin, bounded. */
static char		 ex_buf[EX_LINE_MAX];

/* ---- writing ---- */

/* Writes msg as one line on stdout and drops our reference to it. */
static void
ex_send(json_object *msg)
{
	const char	*s;
	size_t		 len, off = 0;
	ssize_t		 n;
	char		*line;

	s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(s);
	line = xmalloc(len + 1);
	memcpy(line, s, len);
	line[len++] = '\n';
	while (off < len) {
		if ((n = write(STDOUT_FILENO, line + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			/* Nobody reads our answers any more. */
			fatal("stdout");
		}
		off += (size_t)n;
	}
	free(line);
	json_object_put(msg);
}

static json_object *
ex_message(json_object *id)
{
	json_object	*msg;

	msg = json_object_new_object();
	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "id", json_object_get(id));
	return msg;
}

/* Answers the request id with result (taken). */
static void
ex_result(json_object *id, json_object *result)
{
	json_object	*msg;

	msg = ex_message(id);
	json_object_object_add(msg, "result", result);
	ex_send(msg);
}

/* Answers the request id (NULL: we could not read it) with an error. */
static void
ex_error(json_object *id, int code, const char *message, json_object *data)
{
	json_object	*msg, *error;

	error = json_object_new_object();
	json_object_object_add(error, "code", json_object_new_int(code));
	json_object_object_add(error, "message",
	    json_object_new_string(message));
	if (data != NULL)
		json_object_object_add(error, "data", data);
	msg = ex_message(id);
	json_object_object_add(msg, "error", error);
	ex_send(msg);
}

/* A tool's result: one text item; is_error marks a failed call. */
static void
ex_tool_text(json_object *id, int is_error, const char *text)
{
	json_object	*result, *content, *item;

	item = json_object_new_object();
	json_object_object_add(item, "type", json_object_new_string("text"));
	json_object_object_add(item, "text", json_object_new_string(text));
	content = json_object_new_array();
	json_object_array_add(content, item);
	result = json_object_new_object();
	json_object_object_add(result, "content", content);
	if (is_error)
		json_object_object_add(result, "isError",
		    json_object_new_boolean(1));
	ex_result(id, result);
}

/* ---- reading messages ---- */

static json_object *
ex_get(json_object *o, const char *key, enum json_type type)
{
	json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *
ex_get_string(json_object *o, const char *key)
{
	json_object	*v;

	if ((v = ex_get(o, key, json_type_string)) == NULL)
		return NULL;
	return json_object_get_string(v);
}

/* A number argument (integer or not) into *out; -1 if missing. */
static int
ex_get_number(json_object *o, const char *key, double *out)
{
	json_object	*v;

	if ((v = ex_get(o, key, json_type_int)) == NULL &&
	    (v = ex_get(o, key, json_type_double)) == NULL)
		return -1;
	*out = json_object_get_double(v);
	return 0;
}

/* ---- tools ---- */

/* What tools/list shows. */
static const char ex_tools_json[] = "["
    "{\"name\":\"echo\",\"description\":\"Returns the text it is given.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"text\":"
    "{\"type\":\"string\",\"description\":\"What to echo\"}},"
    "\"required\":[\"text\"]}},"
    "{\"name\":\"add\",\"description\":\"Adds two numbers.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"number\"}},"
    "\"required\":[\"a\",\"b\"]}},"
    "{\"name\":\"sample\",\"description\":\"Asks the client's language "
    "model to answer a prompt (MCP sampling) and returns its answer.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"prompt\":"
    "{\"type\":\"string\",\"description\":\"What to ask the model\"}},"
    "\"required\":[\"prompt\"]}}"
    "]";

static void
ex_tool_echo(json_object *id, json_object *args)
{
	const char	*text;

	if ((text = ex_get_string(args, "text")) == NULL) {
		ex_tool_text(id, 1, "echo needs a string argument \"text\"");
		return;
	}
	ex_tool_text(id, 0, text);
}

static void
ex_tool_add(json_object *id, json_object *args)
{
	double	 a, b;
	char	 sum[64];

	if (ex_get_number(args, "a", &a) == -1 ||
	    ex_get_number(args, "b", &b) == -1) {
		ex_tool_text(id, 1, "add needs two numbers, \"a\" and \"b\"");
		return;
	}
	snprintf(sum, sizeof sum, "%.15g", a + b);
	ex_tool_text(id, 0, sum);
}

static int
ex_client_can_sample(void)
{
	return ex_get(ex_client_caps, "sampling", json_type_object) != NULL;
}

/*
 * Sends the client a sampling/createMessage for the prompt and keeps the
 * call; ex_sample_answer finishes it.
 */
static void
ex_tool_sample(json_object *id, json_object *args)
{
	struct ex_sample	*s = NULL;
	json_object		*params, *messages, *msg, *content, *meta;
	json_object		*req;
	const char		*prompt;
	size_t			 i;

	if ((prompt = ex_get_string(args, "prompt")) == NULL) {
		ex_tool_text(id, 1,
		    "sample needs a string argument \"prompt\"");
		return;
	}
	if (!ex_client_can_sample()) {
		ex_tool_text(id, 1, "This client does not offer sampling.");
		return;
	}
	for (i = 0; i < EX_SAMPLES_MAX; i++) {
		if (ex_samples[i].call_id == NULL) {
			s = &ex_samples[i];
			break;
		}
	}
	if (s == NULL) {
		ex_tool_text(id, 1,
		    "Too many sample calls at once; try later.");
		return;
	}
	s->call_id = json_object_get(id);
	snprintf(s->ask_id, sizeof s->ask_id, "ask-%lu", ++ex_next_ask);

	content = json_object_new_object();
	json_object_object_add(content, "type", json_object_new_string("text"));
	json_object_object_add(content, "text", json_object_new_string(prompt));
	msg = json_object_new_object();
	json_object_object_add(msg, "role", json_object_new_string("user"));
	json_object_object_add(msg, "content", content);
	messages = json_object_new_array();
	json_object_array_add(messages, msg);
	params = json_object_new_object();
	json_object_object_add(params, "messages", messages);
	json_object_object_add(params, "maxTokens",
	    json_object_new_int(EX_SAMPLE_TOKENS));
	/*
	 * Which call this question is for: mcpbridge, which serves many
	 * clients from this one process, asks the right one (and removes the
	 * hint).  Any other client ignores it.
	 */
	meta = json_object_new_object();
	json_object_object_add(meta, "mcpbridge/relatedRequestId",
	    json_object_get(id));
	json_object_object_add(params, "_meta", meta);

	req = json_object_new_object();
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_string(s->ask_id));
	json_object_object_add(req, "method",
	    json_object_new_string("sampling/createMessage"));
	json_object_object_add(req, "params", params);
	ex_send(req);
}

/* The text of a sampling result's content (an item or a list of them). */
static const char *
ex_sample_text(json_object *result)
{
	json_object	*content, *item;
	const char	*text;
	size_t		 i;

	if ((content = ex_get(result, "content", json_type_object)) != NULL)
		return ex_get_string(content, "text");
	if ((content = ex_get(result, "content", json_type_array)) == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(content); i++) {
		item = json_object_array_get_idx(content, i);
		if ((text = ex_get_string(item, "text")) != NULL)
			return text;
	}
	return NULL;
}

/* The client answered our sampling request: finish its call. */
static void
ex_sample_answer(struct ex_sample *s, json_object *msg)
{
	json_object	*result, *error;
	const char	*text, *why;
	char		*line;

	if ((result = ex_get(msg, "result", json_type_object)) != NULL) {
		if ((text = ex_sample_text(result)) != NULL)
			ex_tool_text(s->call_id, 0, text);
		else
			ex_tool_text(s->call_id, 1,
			    "The model's answer has no text.");
	} else {
		error = ex_get(msg, "error", json_type_object);
		if ((why = ex_get_string(error, "message")) == NULL)
			why = "no reason given";
		xasprintf(&line, "Sampling failed: %s", why);
		ex_tool_text(s->call_id, 1, line);
		free(line);
	}
	json_object_put(s->call_id);
	s->call_id = NULL;
}

static void
ex_tools_list(json_object *id)
{
	json_object	*result;

	result = json_object_new_object();
	json_object_object_add(result, "tools",
	    json_tokener_parse(ex_tools_json));
	ex_result(id, result);
}

static void
ex_tools_call(json_object *id, json_object *params)
{
	json_object	*args;
	const char	*name;

	if ((name = ex_get_string(params, "name")) == NULL) {
		ex_error(id, EX_INVALID_PARAMS, "Missing tool name", NULL);
		return;
	}
	args = ex_get(params, "arguments", json_type_object);
	if (strcmp(name, "echo") == 0)
		ex_tool_echo(id, args);
	else if (strcmp(name, "add") == 0)
		ex_tool_add(id, args);
	else if (strcmp(name, "sample") == 0)
		ex_tool_sample(id, args);
	else
		ex_error(id, EX_INVALID_PARAMS, "Unknown tool", NULL);
}

/* ---- resources and prompts ---- */

#define EX_README_URI	"demo://readme"
#define EX_README_TEXT	"This is mcpbridge-example-server, the demo " \
	"MCP server bundled with mcpbridge. Try its tools echo, add and " \
	"sample, and its prompt greet.\n"

static void
ex_resources_list(json_object *id)
{
	ex_result(id, json_tokener_parse("{\"resources\":[{\"uri\":\""
	    EX_README_URI "\",\"name\":\"readme\",\"title\":\"About this "
	    "server\",\"mimeType\":\"text/plain\"}]}"));
}

static void
ex_resources_read(json_object *id, json_object *params)
{
	json_object	*result, *contents, *item, *data;
	const char	*uri;

	if ((uri = ex_get_string(params, "uri")) == NULL) {
		ex_error(id, EX_INVALID_PARAMS, "Missing uri", NULL);
		return;
	}
	if (strcmp(uri, EX_README_URI) != 0) {
		data = json_object_new_object();
		json_object_object_add(data, "uri",
		    json_object_new_string(uri));
		ex_error(id, EX_RESOURCE_NOT_FOUND, "Resource not found", data);
		return;
	}
	item = json_object_new_object();
	json_object_object_add(item, "uri", json_object_new_string(uri));
	json_object_object_add(item, "mimeType",
	    json_object_new_string("text/plain"));
	json_object_object_add(item, "text",
	    json_object_new_string(EX_README_TEXT));
	contents = json_object_new_array();
	json_object_array_add(contents, item);
	result = json_object_new_object();
	json_object_object_add(result, "contents", contents);
	ex_result(id, result);
}

static void
ex_prompts_list(json_object *id)
{
	ex_result(id, json_tokener_parse("{\"prompts\":[{\"name\":\"greet\","
	    "\"description\":\"Asks the model to greet someone.\","
	    "\"arguments\":[{\"name\":\"name\",\"description\":\"Whom to "
	    "greet\",\"required\":true}]}]}"));
}

static void
ex_prompts_get(json_object *id, json_object *params)
{
	json_object	*result, *messages, *msg, *content;
	const char	*name, *who;
	char		*text;

	if ((name = ex_get_string(params, "name")) == NULL ||
	    strcmp(name, "greet") != 0) {
		ex_error(id, EX_INVALID_PARAMS, "Unknown prompt", NULL);
		return;
	}
	if ((who = ex_get_string(ex_get(params, "arguments", json_type_object),
	    "name")) == NULL) {
		ex_error(id, EX_INVALID_PARAMS,
		    "greet needs the argument \"name\"", NULL);
		return;
	}
	xasprintf(&text, "Please greet %s warmly, in one sentence.", who);
	content = json_object_new_object();
	json_object_object_add(content, "type", json_object_new_string("text"));
	json_object_object_add(content, "text", json_object_new_string(text));
	free(text);
	msg = json_object_new_object();
	json_object_object_add(msg, "role", json_object_new_string("user"));
	json_object_object_add(msg, "content", content);
	messages = json_object_new_array();
	json_object_array_add(messages, msg);
	result = json_object_new_object();
	json_object_object_add(result, "description",
	    json_object_new_string("A greeting"));
	json_object_object_add(result, "messages", messages);
	ex_result(id, result);
}

/* ---- the session ---- */

static void
ex_initialize(json_object *id, json_object *params)
{
	json_object	*result, *info, *caps;
	const char	*want, *version = ex_versions[0];
	size_t		 i;

	if ((want = ex_get_string(params, "protocolVersion")) == NULL) {
		ex_error(id, EX_INVALID_PARAMS, "Missing protocolVersion",
		    NULL);
		return;
	}
	/* The client's version if we speak it, else our newest. */
	for (i = 0; i < sizeof ex_versions / sizeof ex_versions[0]; i++) {
		if (strcmp(want, ex_versions[i]) == 0)
			version = ex_versions[i];
	}
	json_object_put(ex_client_caps);
	caps = ex_get(params, "capabilities", json_type_object);
	ex_client_caps = caps != NULL ? json_object_get(caps) : NULL;

	info = json_object_new_object();
	json_object_object_add(info, "name", json_object_new_string(EX_NAME));
	json_object_object_add(info, "version",
	    json_object_new_string(PACKAGE_VERSION));
	result = json_object_new_object();
	json_object_object_add(result, "protocolVersion",
	    json_object_new_string(version));
	json_object_object_add(result, "capabilities", json_tokener_parse(
	    "{\"tools\":{},\"resources\":{},\"prompts\":{}}"));
	json_object_object_add(result, "serverInfo", info);
	json_object_object_add(result, "instructions", json_object_new_string(
	    "A demo server bundled with mcpbridge: the tools echo, add and "
	    "sample, the resource " EX_README_URI " and the prompt greet."));
	log_info("initialize: client asked %s, answering %s", want, version);
	ex_result(id, result);
}

static void
ex_request(json_object *id, const char *method, json_object *params)
{
	if (strcmp(method, "initialize") == 0)
		ex_initialize(id, params);
	else if (strcmp(method, "ping") == 0)
		ex_result(id, json_object_new_object());
	else if (strcmp(method, "tools/list") == 0)
		ex_tools_list(id);
	else if (strcmp(method, "tools/call") == 0)
		ex_tools_call(id, params);
	else if (strcmp(method, "resources/list") == 0)
		ex_resources_list(id);
	else if (strcmp(method, "resources/read") == 0)
		ex_resources_read(id, params);
	else if (strcmp(method, "prompts/list") == 0)
		ex_prompts_list(id);
	else if (strcmp(method, "prompts/get") == 0)
		ex_prompts_get(id, params);
	else
		ex_error(id, EX_METHOD_NOT_FOUND, "Method not found", NULL);
}

/* The client gave up on a call: a waiting sample call is dropped. */
static void
ex_cancelled(json_object *params)
{
	json_object	*rid, *note, *p;
	size_t		 i;

	if (!json_object_object_get_ex(params, "requestId", &rid))
		return;
	for (i = 0; i < EX_SAMPLES_MAX; i++) {
		if (ex_samples[i].call_id == NULL ||
		    !json_object_equal(ex_samples[i].call_id, rid))
			continue;
		/* Our own question is moot now: say so. */
		p = json_object_new_object();
		json_object_object_add(p, "requestId",
		    json_object_new_string(ex_samples[i].ask_id));
		json_object_object_add(p, "reason",
		    json_object_new_string("the tool call was cancelled"));
		note = json_object_new_object();
		json_object_object_add(note, "jsonrpc",
		    json_object_new_string("2.0"));
		json_object_object_add(note, "method",
		    json_object_new_string("notifications/cancelled"));
		json_object_object_add(note, "params", p);
		ex_send(note);
		json_object_put(ex_samples[i].call_id);
		ex_samples[i].call_id = NULL;
	}
}

/* A response from the client: the answer to one of our questions. */
static void
ex_response(json_object *msg)
{
	const char	*id;
	size_t		 i;

	if ((id = ex_get_string(msg, "id")) == NULL)
		return;
	for (i = 0; i < EX_SAMPLES_MAX; i++) {
		if (ex_samples[i].call_id != NULL &&
		    strcmp(ex_samples[i].ask_id, id) == 0) {
			ex_sample_answer(&ex_samples[i], msg);
			return;
		}
	}
	log_warnx("an answer to no question of ours (id %s)", id);
}

/* One line from stdin: a request, a notification or a response. */
static void
ex_line(const char *line, size_t len)
{
	json_object	*msg, *id, *params;
	const char	*method, *cause;
	int		 has_id, good_id;

	if (strspn(line, " \t\r") == len)
		return;
	if ((msg = jsonparse_strict(line, len, &cause)) == NULL) {
		log_warnx("stdin: a line that is not JSON-RPC (%s)", cause);
		ex_error(NULL, EX_PARSE_ERROR, "Parse error", NULL);
		return;
	}
	if (!json_object_is_type(msg, json_type_object)) {
		/* MCP from 2025-06-18 on has no batches. */
		ex_error(NULL, EX_INVALID_REQUEST, "Invalid Request", NULL);
		goto done;
	}
	has_id = json_object_object_get_ex(msg, "id", &id);
	good_id = has_id && (json_object_is_type(id, json_type_string) ||
	    json_object_is_type(id, json_type_int));
	method = ex_get_string(msg, "method");
	params = ex_get(msg, "params", json_type_object);
	if (!json_object_object_get_ex(msg, "method", NULL)) {
		/* An answer to one of our questions, or nothing at all. */
		if (has_id)
			ex_response(msg);
		else
			ex_error(NULL, EX_INVALID_REQUEST, "Invalid Request",
			    NULL);
		goto done;
	}
	if (method == NULL || (has_id && !good_id)) {
		ex_error(good_id ? id : NULL, EX_INVALID_REQUEST,
		    "Invalid Request", NULL);
		goto done;
	}
	if (!has_id) {
		if (strcmp(method, "notifications/cancelled") == 0)
			ex_cancelled(params);
		/* Any other notification needs nothing from us. */
		goto done;
	}
	ex_request(id, method, params);
done:
	json_object_put(msg);
}

/*
 * Reads stdin to EOF, line by line.  A line that does not fit in ex_buf is
 * answered with an error once and skipped up to its newline.
 */
static void
ex_read_loop(void)
{
	size_t	 len = 0, start;
	ssize_t	 n;
	char	*nl;
	int	 skipping = 0;

	for (;;) {
		n = read(STDIN_FILENO, ex_buf + len, sizeof ex_buf - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("stdin");
		}
		if (n == 0)
			break;
		len += (size_t)n;
		start = 0;
		while ((nl = memchr(ex_buf + start, '\n', len - start)) !=
		    NULL) {
			*nl = '\0';
			if (!skipping)
				ex_line(ex_buf + start,
				    (size_t)(nl - (ex_buf + start)));
			skipping = 0;
			start = (size_t)(nl - ex_buf) + 1;
		}
		memmove(ex_buf, ex_buf + start, len - start);
		len -= start;
		if (skipping || len == sizeof ex_buf) {
			if (!skipping) {
				log_warnx("stdin: line longer than %d bytes, "
				    "skipped", EX_LINE_MAX);
				ex_error(NULL, EX_INVALID_REQUEST,
				    "Invalid Request: line too long", NULL);
			}
			skipping = 1;
			len = 0;
		}
	}
	/* A last line without its newline still counts. */
	if (len > 0 && !skipping && len < sizeof ex_buf) {
		ex_buf[len] = '\0';
		ex_line(ex_buf, len);
	}
}

int
main(int argc, char **argv)
{
	size_t	 i;

	if (argc > 1) {
		if (strcmp(argv[1], "--version") == 0 ||
		    strcmp(argv[1], "-V") == 0) {
			printf("%s %s\n", EX_NAME, PACKAGE_VERSION);
			return 0;
		}
		fprintf(stderr, "usage: %s [--version]\n"
		    "A demo MCP server on stdin and stdout, to try "
		    "mcpbridge with:\n"
		    "    mcpbridge serve -- %s\n", EX_NAME, EX_NAME);
		return 1;
	}
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT, EX_NAME);
	/* A write to a closed stdout fails with EPIPE, and we leave. */
	signal(SIGPIPE, SIG_IGN);
	log_info("ready: tools echo, add and sample");

	ex_read_loop();

	for (i = 0; i < EX_SAMPLES_MAX; i++)
		json_object_put(ex_samples[i].call_id);
	json_object_put(ex_client_caps);
	log_info("stdin closed, exiting");
	return 0;
}
