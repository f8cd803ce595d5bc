/*
 * url.h: the URL policy of client mode and its OAuth sign-in: which URLs
 * the bridge may talk to (https://, or plain http:// to this machine
 * unless allowed), and a server's endpoint resolved against the URL it
 * came from.  Parsing is libcurl's (CURLU); no I/O.  On error, functions
 * that take char **err set it to a one-line reason the caller frees.
 */
#ifndef MCPBRIDGE_URL_H
#define MCPBRIDGE_URL_H

/* http:// or https://; plain http only to loopback unless allow_http. */
int	url_check(const char *url, int allow_http, char **err);
/* Resolves a legacy endpoint (often a relative path) against the SSE URL
 * and insists on the same scheme, host and port; *out is the absolute URL. */
int	url_resolve(const char *base, const char *ref, char **out, char **err);

#endif
