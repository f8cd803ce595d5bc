/* SPDX-License-Identifier: ISC */
/*
 * fuzz_http.c: the HTTP side of `mcpbridge serve` on arbitrary requests,
 * through a real evhttp listener on loopback.
 *
 * Each input gets a fresh bridge (event base, multiplexer, HTTP layer)
 * whose child is a fake in this process: it answers initialize and every
 * request at once (tools/list with a tool whose argument rides in an
 * Mcp-Param-Region header), except the tool "hold" (never answered: the
 * POST stays held) and "progress", "log" and "sample" (a notification or
 * a server request first, so the answer goes out as an event stream).
 *
 * Input: one configuration byte (short timers, small limits, tokens, the
 * protocol version of the "@S" session), then pieces, each a control byte, a
 * two-byte length and that many bytes written on a new connection.  In a
 * piece "@S" becomes the id of a live Streamable HTTP session and "@L" that
 * of a live legacy session (made by the harness when asked for), so the
 * checks after the session lookup are reached too.  The control byte says
 * whether the client leaves at once (reset), or after a pause, or stays
 * to the end.  All connections end with a reset, the bridge is freed, and
 * the sanitizers report any leak or use after free.
 *
 * Checked besides: every response starts with a status line whose code
 * is one the bridge or evhttp may send (never 500, say).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "cli.h"
#include "fuzz.h"
#include "http.h"
#include "jsonrpc.h"
#include "log.h"
#include "mux.h"
#include "serve.h"

#define MAX_CONNS	8
#define MAX_PIECE	8192
#define KEEP_BYTES	4096	/* of each connection's response */

struct conn {
	int		 fd;
	size_t		 got;
	char		 head[KEEP_BYTES];
};

struct harness {
	struct event_base	*base;
	struct mux		*mux;
	struct http		*http;
	int			 pumping;
	json_object		*childq;	/* what the child says next */
	struct conn		 conns[MAX_CONNS + 2];
	size_t			 nconns;
	const char		*version;	/* of the "@S" session */
	char			 sid[128];	/* Streamable HTTP session */
	char			 lsid[128];	/* legacy session */
};

static struct config	 cfg;
static struct serve_config scfg;	/* from cfg, as main.c makes it */
static int		 port;

/* ---- the fake child ---- */

static json_object *
child_result(json_object *req, json_object *result)
{
	return jsonrpc_result_new(jsonrpc_id(req), result);
}

static void
child_hears(struct harness *h, json_object *msg)
{
	json_object	*params, *p, *token, *r;
	const char	*method, *tool = NULL;

	if (jsonrpc_classify(msg) != JSONRPC_REQUEST)
		return;
	method = jsonrpc_method(msg);
	params = jsonrpc_params(msg);
	if (strcmp(method, "initialize") == 0) {
		r = json_object_new_object();
		json_object_object_add(r, "protocolVersion",
		    json_object_new_string("2025-06-18"));
		p = json_object_new_object();
		json_object_object_add(p, "tools", json_object_new_object());
		json_object_object_add(r, "capabilities", p);
		json_object_array_add(h->childq, child_result(msg, r));
		return;
	}
	if (strcmp(method, "tools/list") == 0) {
		/* A tool with an x-mcp-header argument: 2026-07-28 calls
		 * to it have their Mcp-Param-Region checked. */
		r = json_tokener_parse("{\"tools\":[{\"name\":\"region\","
		    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
		    "\"region\":{\"type\":\"string\",\"x-mcp-header\":"
		    "\"Region\"}}}}]}");
		json_object_array_add(h->childq, child_result(msg, r));
		return;
	}
	if (strcmp(method, "tools/call") == 0 && json_object_object_get_ex(
	    params, "name", &p) && json_object_is_type(p, json_type_string))
		tool = json_object_get_string(p);
	if (tool != NULL && strcmp(tool, "hold") == 0)
		return;
	if (tool != NULL && strcmp(tool, "progress") == 0 &&
	    (token = jsonrpc_progress_token(msg)) != NULL) {
		p = json_object_new_object();
		json_object_object_add(p, "progressToken",
		    jsonrpc_id_copy(token));
		json_object_object_add(p, "progress", json_object_new_int(1));
		json_object_array_add(h->childq, jsonrpc_notification_new(
		    "notifications/progress", p));
	} else if (tool != NULL && strcmp(tool, "log") == 0) {
		p = json_object_new_object();
		json_object_object_add(p, "level",
		    json_object_new_string("error"));
		json_object_object_add(p, "data", json_object_new_string("x"));
		json_object_array_add(h->childq, jsonrpc_notification_new(
		    "notifications/message", p));
	} else if (tool != NULL && strcmp(tool, "sample") == 0) {
		json_object_array_add(h->childq, jsonrpc_request_new(1000,
		    "roots/list", NULL));
	}
	r = json_object_new_object();
	if (params != NULL)
		json_object_object_add(r, "echo", json_object_get(params));
	json_object_array_add(h->childq, child_result(msg, r));
}

/* Drains the multiplexer; what the child says goes back in at once. */
static void
pump(void *arg)
{
	struct harness	*h = arg;
	struct mux_out	 o;
	json_object	*msg;

	if (h->pumping)
		return;
	h->pumping = 1;
	for (;;) {
		if (mux_next(h->mux, &o)) {
			switch (o.kind) {
			case MUX_OUT_CHILD:
				child_hears(h, o.msg);
				json_object_put(o.msg);
				break;
			case MUX_OUT_SESSION:
			case MUX_OUT_SESSION_END:
				http_deliver(h->http, &o);
				break;
			default:
				if (o.msg != NULL)
					json_object_put(o.msg);
				break;
			}
			continue;
		}
		if (json_object_array_length(h->childq) == 0)
			break;
		msg = json_object_get(json_object_array_get_idx(h->childq, 0));
		json_object_array_del_idx(h->childq, 0, 1);
		mux_child_recv(h->mux, NULL, msg);
	}
	http_delivered(h->http);
	h->pumping = 0;
}

/* ---- the clients ---- */

static struct conn *
conn_open(struct harness *h)
{
	struct sockaddr_in	 sin;
	struct conn		*c;
	struct linger		 lg = { 1, 0 };
	int			 fd;

	if (h->nconns == sizeof h->conns / sizeof h->conns[0])
		return NULL;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	/* Leave with a reset: no TIME_WAIT piles up at thousands a second. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c = &h->conns[h->nconns++];
	c->fd = fd;
	c->got = 0;
	return c;
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* Reads what arrived; 1 if anything did. */
static int
conn_read(struct conn *c)
{
	char	buf[16384];
	ssize_t	n;
	int	any = 0;

	while (c->fd != -1 && (n = recv(c->fd, buf, sizeof buf, 0)) > 0) {
		any = 1;
		if (c->got < KEEP_BYTES) {
			if ((size_t)n > KEEP_BYTES - c->got)
				n = (ssize_t)(KEEP_BYTES - c->got);
			memcpy(c->head + c->got, buf, (size_t)n);
		}
		c->got += (size_t)n;
	}
	return any;
}

/* Runs the bridge until the clients hear nothing more for a while. */
static void
spin(struct harness *h, int quiet)
{
	size_t	i;
	int	idle = 0, turns = 0, any;

	while (idle < quiet && turns++ < 200) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		any = 0;
		for (i = 0; i < h->nconns; i++)
			any |= conn_read(&h->conns[i]);
		idle = any ? 0 : idle + 1;
	}
}

static int
status_ok(int code)
{
	static const int ok[] = { 200, 202, 204, 400, 401, 403, 404, 405, 406,
		408, 409, 411, 413, 414, 415, 417, 429, 431, 501, 503,
		505 };
	size_t	i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		if (ok[i] == code)
			return 1;
	}
	return 0;
}

static void
check_response(struct conn *c)
{
	size_t	n = c->got < KEEP_BYTES ? c->got : KEEP_BYTES, i;
	int	code;

	if (n == 0)
		return;
	FUZZ_CHECK(memcmp(c->head, "HTTP/", n < 5 ? n : 5) == 0,
	    "bad status line: %.*s", (int)(n < 40 ? n : 40), c->head);
	/* evhttp answers with the version numbers the request named, as it
	 * read them: "HTTP/1.11", "HTTP/1.-1". */
	for (i = 5; i < n && i < 32 && c->head[i] != ' '; i++)
		;
	if (i + 4 > n)
		return;		/* it left before the rest came */
	FUZZ_CHECK(c->head[i] == ' ', "bad status line: %.*s",
	    (int)(n < 40 ? n : 40), c->head);
	code = atoi(c->head + i + 1);
	FUZZ_CHECK(status_ok(code), "status %d", code);
}

/* Finds "name: value" in a response head; copies the value. */
static int
find_header(const struct conn *c, const char *name, char *out, size_t outlen)
{
	size_t	n = c->got < KEEP_BYTES ? c->got : KEEP_BYTES, len, i, j;

	len = strlen(name);
	for (i = 0; i + len + 2 < n; i++) {
		if ((i == 0 || c->head[i - 1] == '\n') &&
		    strncasecmp(c->head + i, name, len) == 0 &&
		    c->head[i + len] == ':') {
			i += len + 1;
			while (i < n && c->head[i] == ' ')
				i++;
			for (j = 0; i + j < n && j + 1 < outlen &&
			    c->head[i + j] != '\r' && c->head[i + j] != '\n'; j++)
				out[j] = c->head[i + j];
			out[j] = '\0';
			return j > 0;
		}
	}
	return 0;
}

static void
conn_send(struct conn *c, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0 && (n = send(c->fd, p, len, MSG_NOSIGNAL)) > 0) {
		p += n;
		len -= (size_t)n;
	}
}

/* A Streamable HTTP session for "@S". */
static void
make_session(struct harness *h)
{
	char		 body[512], req[1024];
	struct conn	*c;
	int		 len, blen;

	if ((c = conn_open(h)) == NULL)
		return;
	blen = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
	    "\"%s\",\"capabilities\":{\"roots\":{}},\"clientInfo\":"
	    "{\"name\":\"f\",\"version\":\"1\"}}}", h->version);
	len = snprintf(req, sizeof req, "POST /mcp HTTP/1.1\r\n"
	    "Host: localhost\r\nAuthorization: Bearer fuzz\r\n"
	    "Content-Type: application/json\r\n"
	    "Accept: application/json, text/event-stream\r\n"
	    "Content-Length: %d\r\n\r\n%s", blen, body);
	conn_send(c, req, (size_t)len);
	spin(h, 4);
	if (!find_header(c, "Mcp-Session-Id", h->sid, sizeof h->sid))
		snprintf(h->sid, sizeof h->sid, "none");
}

/* A legacy session for "@L"; its event stream stays open. */
static void
make_legacy(struct harness *h)
{
	static const char req[] = "GET /sse HTTP/1.1\r\nHost: localhost\r\n"
	    "Authorization: Bearer fuzz\r\nAccept: text/event-stream\r\n\r\n";
	struct conn	*c;
	const char	*p;
	size_t		 n, i;

	if ((c = conn_open(h)) == NULL)
		return;
	conn_send(c, req, sizeof req - 1);
	spin(h, 4);
	snprintf(h->lsid, sizeof h->lsid, "none");
	n = c->got < KEEP_BYTES ? c->got : KEEP_BYTES;
	if ((p = memmem(c->head, n, "sessionId=", 10)) == NULL)
		return;
	p += 10;
	for (i = 0; i + 1 < sizeof h->lsid && p + i < c->head + n &&
	    p[i] != '\r' && p[i] != '\n'; i++)
		h->lsid[i] = p[i];
	h->lsid[i] = '\0';
}

/* The piece with its placeholders filled in. */
static struct evbuffer *
expand(struct harness *h, const uint8_t *p, size_t len)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 i;

	for (i = 0; i < len; i++) {
		if (p[i] == '@' && i + 1 < len && p[i + 1] == 'S') {
			if (h->sid[0] == '\0')
				make_session(h);
			evbuffer_add(b, h->sid, strlen(h->sid));
			i++;
		} else if (p[i] == '@' && i + 1 < len && p[i + 1] == 'L') {
			if (h->lsid[0] == '\0')
				make_legacy(h);
			evbuffer_add(b, h->lsid, strlen(h->lsid));
			i++;
		} else
			evbuffer_add(b, p + i, 1);
	}
	return b;
}

/* ---- one run ---- */

static int
pick_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, p = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		p = ntohs(sin.sin_port);
	close(fd);
	return p;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_http");
	/* As in main.c: a client that resets its connection costs the
	 * bridge an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	config_init(&cfg);
	cfg.mode = CLI_MODE_SERVE;
	if ((port = pick_port()) == -1)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness		 h;
	struct mux_config	 mc;
	struct fuzz_in		 in;
	struct evbuffer		*b;
	struct conn		*c;
	const uint8_t		*p;
	size_t			 len, i;
	unsigned		 conf, ctl;
	int			 tries;

	memset(&h, 0, sizeof h);
	fuzz_in_init(&in, data, size);
	conf = fuzz_byte(&in);
	cfg.serve.http.port = port;
	cfg.serve.http.keepalive_ms = (conf & 1) ? 1 : CLI_DEFAULT_KEEPALIVE_MS;
	cfg.serve.http.max_body = (conf & 2) ? 64 : CLI_DEFAULT_MAX_BODY;
	/* 0: the default */
	cfg.serve.http.max_queue = (conf & 4) ? 256 : 0;
	cfg.serve.http.auth_token_env = (conf & 8) ? "FUZZ_HTTP_TOKENS" : NULL;
	/* The bridge takes the tokens out of its environment once read
	 * (they must never reach a child): put them back for each run. */
	setenv("FUZZ_HTTP_TOKENS", "fuzz,other", 1);
	/* 2025-11-25 sessions are primed and polled (SEP-1699). */
	h.version = (conf & 16) ? "2025-11-25" : "2025-06-18";

	h.base = event_base_new();
	memset(&mc, 0, sizeof mc);
	h.mux = mux_new(&mc);
	h.childq = json_object_new_array();
	cli_serve_config(&cfg, &scfg);
	h.http = http_new(h.base, &scfg.http, h.mux, pump, &h);
	FUZZ_CHECK(h.http != NULL, "http_new failed");
	for (tries = 0; http_listen(h.http) == -1; tries++) {
		/* Somebody took the port: take another. */
		FUZZ_CHECK(tries < 5, "cannot listen");
		http_free(h.http);
		port = cfg.serve.http.port = pick_port();
		setenv("FUZZ_HTTP_TOKENS", "fuzz,other", 1);
		cli_serve_config(&cfg, &scfg);
		h.http = http_new(h.base, &scfg.http, h.mux, pump, &h);
	}
	mux_child_up(h.mux, NULL);
	pump(&h);

	while (fuzz_more(&in)) {
		ctl = fuzz_byte(&in);
		p = fuzz_bytes(&in, fuzz_u16(&in) % MAX_PIECE, &len);
		b = expand(&h, p, len);
		if ((c = conn_open(&h)) != NULL) {
			len = evbuffer_get_length(b);
			if ((ctl & 3) == 1 && len > 1) {
				/* In two parts, the server running between. */
				conn_send(c, (const char *)evbuffer_pullup(b,
				    -1), len / 2);
				spin(&h, 1);
				evbuffer_drain(b, len / 2);
				len = evbuffer_get_length(b);
			}
			conn_send(c, (const char *)evbuffer_pullup(b, -1), len);
			if ((ctl & 3) == 2)
				conn_close(c);		/* gone at once */
			spin(&h, 1 + (ctl >> 4));
			if ((ctl & 3) == 3)
				conn_close(c);		/* gone mid-answer */
		}
		evbuffer_free(b);
	}

	spin(&h, 3);
	for (i = 0; i < h.nconns; i++)
		check_response(&h.conns[i]);
	for (i = 0; i < h.nconns; i++)
		conn_close(&h.conns[i]);
	spin(&h, 3);

	http_free(h.http);
	mux_free(h.mux);
	json_object_put(h.childq);
	event_base_loop(h.base, EVLOOP_NONBLOCK);
	event_base_free(h.base);
	return 0;
}
