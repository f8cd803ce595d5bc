/*
 * serve.h: `mcpbridge serve`: wires the upstream, the multiplexer and the
 * HTTP side to one event loop and owns signals and timers.
 */
#ifndef MCPBRIDGE_SERVE_H
#define MCPBRIDGE_SERVE_H

struct config;

/* Runs until stopped by a signal (or the upstream is gone for good);
 * returns the process exit status. */
int	serve_run(const struct config *);

#endif
