/*
 * pkce.h: the random and encoded strings an OAuth client makes: PKCE code
 * verifiers and their S256 challenges (RFC 7636), state values, and the
 * base64 both need.  No I/O but the system's random source.
 */
#ifndef MCPBRIDGE_PKCE_H
#define MCPBRIDGE_PKCE_H

#include <stddef.h>

/* base64 of len bytes: the standard alphabet with padding, or (url) the
 * URL-safe alphabet without padding.  The caller frees the string. */
char	*pkce_base64(const void *, size_t len, int url);
/* nbytes random bytes as unpadded base64url: a code verifier (32 bytes
 * give 43 characters, the least RFC 7636 allows) or a state value. */
char	*pkce_random_string(size_t nbytes);
/* BASE64URL(SHA256(ASCII(verifier))): the S256 code challenge. */
char	*pkce_challenge(const char *verifier);

#endif
