/* SPDX-License-Identifier: ISC */
/*
 * tls.c: the TLS server context and bufferevents.  See tls.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "xmalloc.h"

#ifdef HAVE_EVENT_OPENSSL

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct tls {
	SSL_CTX		*ctx;
};

int
tls_available(void)
{
	return 1;
}

/* OpenSSL's reason for the last failure ("no start line"), for the end
 * of a message that has already said what was wrong in our words. */
static char *
tls_error(void)
{
	const char	*reason;
	unsigned long	 e;

	/* The earliest error is the specific one ("no start line"); the
	 * later ones say only where it surfaced ("PEM lib"). */
	e = ERR_peek_error();
	reason = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return xstrdup(reason != NULL ? reason : "unknown error");
}

/* Whether we may read path; else the error names the option and errno,
 * which OpenSSL's own message ("system library::...") hides. */
static int
tls_readable(const char *option, const char *path, char **err)
{
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(err, "cannot read %s %s: %s", option, path,
		    strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

struct tls *
tls_new(const char *cert_file, const char *key_file, char **err)
{
	struct tls	*t;
	char		*why = NULL;
	int		 mismatch;

	*err = NULL;
	t = xcalloc(1, sizeof *t);
	if ((t->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		why = tls_error();
		xasprintf(err, "TLS: %s", why);
		goto fail;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (tls_readable("--tls-cert", cert_file, err) == -1 ||
	    tls_readable("--tls-key", key_file, err) == -1)
		goto fail;
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
		why = tls_error();
		xasprintf(err, "--tls-cert %s: not a PEM certificate (chain) "
		    "that OpenSSL accepts: %s", cert_file, why);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file,
	    SSL_FILETYPE_PEM) != 1) {
		/* A key that reads well but belongs to another certificate
		 * fails here already, not in SSL_CTX_check_private_key. */
		mismatch = ERR_GET_REASON(ERR_peek_error()) ==
		    X509_R_KEY_VALUES_MISMATCH;
		why = tls_error();
		if (mismatch)
			xasprintf(err, "--tls-key %s does not match --tls-cert "
			    "%s: %s", key_file, cert_file, why);
		else
			xasprintf(err, "--tls-key %s: not a PEM private key "
			    "that OpenSSL accepts: %s", key_file, why);
		goto fail;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		why = tls_error();
		xasprintf(err, "--tls-key %s does not match --tls-cert %s: %s",
		    key_file, cert_file, why);
		goto fail;
	}
	return t;

fail:
	free(why);
	tls_free(t);
	return NULL;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->ctx != NULL)
		SSL_CTX_free(t->ctx);
	free(t);
}

struct bufferevent *
tls_bufferevent(struct tls *t, struct event_base *base)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL)
		return NULL;
	/* The bufferevent owns ssl from here (BEV_OPT_CLOSE_ON_FREE). */
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Clients that close without close_notify are common and harmless
	 * here: every message is framed by HTTP. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

#else /* !HAVE_EVENT_OPENSSL */

int
tls_available(void)
{
	return 0;
}

struct tls *
tls_new(const char *cert_file, const char *key_file, char **err)
{
	*err = xstrdup("TLS is not available: mcpbridge was built without "
	    "libevent_openssl");
	return NULL;
}

void
tls_free(struct tls *t)
{
}

struct bufferevent *
tls_bufferevent(struct tls *t, struct event_base *base)
{
	return NULL;
}

#endif
