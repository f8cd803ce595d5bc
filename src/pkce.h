/* SPDX-License-Identifier: ISC */
/*
 * pkce.h: the random and encoded strings an OAuth client makes: PKCE code
 * verifiers and their S256 challenges (RFC 7636) and state values.  No
 * I/O but the system's random source.
 */
#ifndef MCPBRIDGE_PKCE_H
#define MCPBRIDGE_PKCE_H

#include <stddef.h>

/* nbytes random bytes as unpadded base64url: a code verifier (32 bytes
 * give 43 characters, the least RFC 7636 allows) or a state value. */
char	*pkce_random_string(size_t nbytes);
/* BASE64URL(SHA256(ASCII(verifier))): the S256 code challenge. */
char	*pkce_challenge(const char *verifier);

#endif
