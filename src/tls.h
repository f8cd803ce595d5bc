/* SPDX-License-Identifier: ISC */
/*
 * tls.h: HTTPS for `mcpbridge serve`: a server context from a certificate
 * chain and a key, and the OpenSSL bufferevents evhttp reads through.
 * Built without libevent_openssl, tls_available() is 0 and tls_new fails.
 */
#ifndef MCPBRIDGE_TLS_H
#define MCPBRIDGE_TLS_H

struct bufferevent;
struct event_base;
struct tls;

int		 tls_available(void);
/* NULL with *err set (caller frees) if the files do not load or match. */
struct tls	*tls_new(const char *cert_file, const char *key_file, char **err);
void		 tls_free(struct tls *);
/* A new server-side TLS bufferevent with no socket yet (evhttp sets it). */
struct bufferevent *tls_bufferevent(struct tls *, struct event_base *);

#endif
