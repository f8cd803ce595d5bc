/*
 * serve.h: `mcpbridge serve`: wires the upstream, the multiplexer and the
 * HTTP side to one event loop and owns signals and timers.
 */
#ifndef MCPBRIDGE_SERVE_H
#define MCPBRIDGE_SERVE_H

struct config;
struct http_config;

/* Runs until stopped by a signal (or the upstream is gone for good);
 * returns the process exit status. */
int	serve_run(const struct config *);
/* What the HTTP side takes from the command line (the strings stay
 * cfg's); for serve_run and the HTTP fuzzer. */
void	serve_http_config(const struct config *, struct http_config *);

#endif
