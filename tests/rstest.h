/* SPDX-License-Identifier: ISC */
/*
 * rstest.h: what the resource-server Check tests (check_jwks,
 * check_introspect, check_rsauth) share: a fake rsfetch that records
 * every request and answers only when the test says, clocks the test
 * moves, and Ed25519 keys with the JWK Sets and tokens made of them.
 */
#ifndef MCPBRIDGE_RSTEST_H
#define MCPBRIDGE_RSTEST_H

#include <stddef.h>
#include <stdint.h>

#include "rsfetch.h"

#define RST_ISSUER	"https://as.example"
#define RST_METADATA	"https://as.example/.well-known/" \
			    "oauth-authorization-server"
#define RST_JWKS_URI	"https://as.example/jwks"
#define RST_INTROSPECT	"https://as.example/introspect"
#define RST_RESOURCE	"https://bridge.example/mcp"
/* 2026-01-01T00:00:00Z. */
#define RST_NOW		1767225600LL

/* The most requests a test makes. */
#define RST_MAX_REQS	64

struct rst_req {
	char		*method;
	char		*url;
	char		*authorization;
	char		*body;
	rsfetch_cb	 cb;
	void		*arg;
	int		 live;		/* not answered nor cancelled */
};

extern const struct rsfetch_ops rst_ops;
/* Forget every request (none may be live). */
void		 rst_reset(void);
/* Requests started to url (all of them with NULL), and live ones. */
size_t		 rst_started(const char *url);
size_t		 rst_live(void);
/* The oldest live request to url, or NULL. */
struct rst_req	*rst_find(const char *url);
/* Answers it (the callback runs now) or fails it. */
void		 rst_answer(struct rst_req *, long status,
		    const char *cache_control, const char *body);
void		 rst_fail(struct rst_req *, const char *error);
/* Answers the live request to url; fails the test if there is none. */
void		 rst_answer_url(const char *url, long status,
		    const char *cache_control, const char *body);

/* The clocks: monotonic milliseconds and wall seconds, both moved by
 * rst_advance. */
uint64_t	 rst_clock_ms(void);
int64_t		 rst_time(void);
void		 rst_advance(int seconds);
void		 rst_clock_reset(void);

/* Two Ed25519 keys, made once before the tests fork. */
void		 rst_keys_init(void);
/* The metadata document of RST_ISSUER (caller frees nothing: static). */
const char	*rst_metadata(void);
/* A JWK Set with key k1 (kid "k1") and, if both, k2 ("k2"); caller
 * frees. */
char		*rst_jwks(int both);
/* An EdDSA token signed with key (1 or 2) under kid, with the default
 * claims (iss, aud, sub "alice", exp an hour on, scope "mcp") and
 * patch's members over them (a JSON object text or NULL). */
char		*rst_token(int key, const char *kid, const char *patch);

#endif
