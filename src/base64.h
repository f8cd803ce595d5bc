/* SPDX-License-Identifier: ISC */
/*
 * base64.h: base64 (RFC 4648) in both alphabets, written once: the
 * =?base64?...?= header values, the sealed requestState, PKCE strings
 * and client_secret_basic.
 */
#ifndef MCPBRIDGE_BASE64_H
#define MCPBRIDGE_BASE64_H

#include <stddef.h>

#define BASE64_URL	0x01	/* '-' and '_' for '+' and '/' (RFC 4648 5) */
#define BASE64_NOPAD	0x02	/* no '=' at the end */

/* len bytes encoded, NUL-terminated (caller frees). */
char	*base64_encode(const void *in, size_t len, int flags);

/*
 * Strict decoding of len characters into out (room for len * 3 / 4 + 1
 * bytes), the length in *outlen.  BASE64_URL picks the alphabet and
 * BASE64_NOPAD the padding rule: with padding, the input is a multiple of
 * four with at most two '=' at the end; without, no '=' at all and never
 * a lone last character.  The unused bits of the last character must be
 * zero.  -1 on anything else.
 */
int	 base64_decode(const char *in, size_t len, unsigned char *out,
	    size_t *outlen, int flags);

#endif
