/* SPDX-License-Identifier: ISC */
/*
 * principal.h: who a verified OAuth token speaks for, as the number a
 * session is bound to.  The principal is (iss, sub): a refreshed token
 * keeps it, another user or issuer gets another one.  Static bearer
 * tokens keep their small numbers (index + 1); OAuth principals have the
 * top bit set, so the two never meet.
 */
#ifndef MCPBRIDGE_PRINCIPAL_H
#define MCPBRIDGE_PRINCIPAL_H

#include <stdint.h>

/* Set in every OAuth principal id, never in a static token's. */
#define PRINCIPAL_OAUTH_BIT	((uint64_t)1 << 63)

/*
 * HMAC-SHA256 of iss, a NUL and sub under a key drawn from entropy.h
 * once per process, cut to 63 bits, with PRINCIPAL_OAUTH_BIT set.  Stable
 * within the process (sessions do not outlive it); unguessable outside,
 * so an id in a log line says nothing about the user.  Two principals
 * share an id with odds of 2^-63.
 */
uint64_t	principal_id(const char *iss, const char *sub);

#endif
