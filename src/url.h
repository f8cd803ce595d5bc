/* SPDX-License-Identifier: ISC */
/*
 * url.h: the URL policy of client mode and its OAuth sign-in: which URLs
 * the bridge may talk to (https://, or plain http:// to this machine
 * unless allowed), which it may hand to a browser, where a token may go
 * (the same origin), and a server's endpoint resolved against the URL it
 * came from.  Parsing is libcurl's (CURLU); no I/O.  On error, functions
 * that take char **err set it to a one-line reason the caller frees.
 */
#ifndef MCPBRIDGE_URL_H
#define MCPBRIDGE_URL_H

#include <curl/curl.h>

/* http:// or https://; plain http only to loopback unless allow_http. */
int	url_check(const char *url, int allow_http, char **err);
/* A URL for a browser (an OAuth authorization URL): https:, or http: to
 * a loopback address (or to any host with allow_http; the sign-in never
 * allows that), made only of characters that are safe anywhere (no
 * quotes, spaces, $, `, ;, |, #, parentheses or control characters). */
int	url_check_browser(const char *url, int allow_http, char **err);
/* 1 if a and b are absolute URLs with the same scheme, host and port
 * (the scheme's default port filled in), whatever their case; else 0. */
int	url_same_origin(const char *a, const char *b);
/* The port of a loopback redirect URI as the sign-in makes them,
 * http://127.0.0.1:PORT/..., or 0 (NULL, another form, no valid port). */
int	url_loopback_port(const char *uri);
/* Resolves a legacy endpoint (often a relative path) against the SSE URL
 * and insists on the same scheme, host and port; *out is the absolute URL. */
int	url_resolve(const char *base, const char *ref, char **out, char **err);


/* The parsing the policy above is made of, for the sign-in's discovery
 * (oauth_discovery.c), which builds metadata URLs from a server's.  url
 * as a libcurl handle (curl_url_cleanup frees it), or NULL if it is not
 * an absolute URL. */
CURLU	*url_parse(const char *url);
/* A part of u as a string the caller frees: "" if u has none.  flags are
 * curl_url_get's (CURLU_DEFAULT_PORT, ...). */
char	*url_part(CURLU *u, CURLUPart what, unsigned flags);

#endif
