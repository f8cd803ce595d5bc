/*
 * client.h: `mcpbridge client URL`: newline-delimited JSON-RPC on stdin and
 * stdout towards a local MCP client, Streamable HTTP or legacy HTTP+SSE
 * towards the remote server, with reconnection and re-initialization; MCP
 * 2026-07-28 to servers that speak it (client_modern.h translates).
 */
#ifndef MCPBRIDGE_CLIENT_H
#define MCPBRIDGE_CLIENT_H

#include <time.h>

struct config;

/* Runs until stdin ends and every answer is written, or a signal; returns
 * the process exit status (0, or the EXIT_* of the first failure). */
int	client_run(const struct config *);

/* The pure parts, for cli.c and the tests.  On error each returns -1 and
 * sets *err to a one-line reason (the caller frees it). */

/* A Retry-After header's value (delta-seconds or an HTTP-date, which is
 * read against now) as milliseconds to wait, at most max_ms; -1 if it is
 * NULL or unreadable. */
long	client_retry_after(const char *value, time_t now, long max_ms);
/* "Name: value" with a token name and no line breaks. */
int	client_header_check(const char *header, char **err);
/* Expands ${VAR} from the environment; an unset VAR is an error.  The
 * error never contains the value. */
int	client_expand_env(const char *in, char **out, char **err);

#endif
