/*
 * http.h: the HTTP face of `mcpbridge serve`: one listener, both MCP HTTP
 * transports (legacy HTTP+SSE and Streamable HTTP), probes.
 *
 * The HTTP layer turns requests into mux_session_* calls and mux outs into
 * HTTP responses and SSE events.  It never talks to the child: after every
 * call into the mux it calls the pump it was given, and the pump (serve.c)
 * drains the mux, sending MUX_OUT_CHILD* to the upstream and handing
 * MUX_OUT_SESSION and MUX_OUT_SESSION_END back through http_deliver.  So
 * http_deliver may run inside the HTTP layer's own request handlers.
 */
#ifndef MCPBRIDGE_HTTP_H
#define MCPBRIDGE_HTTP_H

struct event_base;
struct config;
struct mux;
struct mux_out;
struct http;

typedef void (*http_pump_cb)(void *arg);

struct http	*http_new(struct event_base *, const struct config *, struct mux *,
		    http_pump_cb, void *pump_arg);
/* Binds --host/--port, logs the address (and prints the URL on stdout with
 * --print-url).  -1 with a log line on failure. */
int		 http_listen(struct http *);
/* Takes a MUX_OUT_SESSION (consuming out->msg) or MUX_OUT_SESSION_END. */
void		 http_deliver(struct http *, struct mux_out *);
/* Shutting down: /readyz turns 503, no new sessions are accepted. */
void		 http_drain(struct http *);
void		 http_free(struct http *);

#endif
