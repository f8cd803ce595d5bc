/* SPDX-License-Identifier: ISC */
/*
 * pkce.c: code verifiers, S256 challenges and state values for the OAuth
 * authorization code flow (RFC 7636), over the kernel's random source and
 * sha256.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "entropy.h"
#include "log.h"
#include "pkce.h"
#include "sha256.h"
#include "xmalloc.h"

char *
pkce_random_string(size_t nbytes)
{
	unsigned char	 raw[96];
	char		*s;

	if (nbytes > sizeof raw)
		fatalx("pkce_random_string: %zu bytes", nbytes);
	entropy_get(raw, nbytes);
	s = base64_encode(raw, nbytes, BASE64_URL | BASE64_NOPAD);
	memset(raw, 0, sizeof raw);
	return s;
}

char *
pkce_challenge(const char *verifier)
{
	unsigned char	digest[SHA256_LEN];

	sha256(verifier, strlen(verifier), digest);
	return base64_encode(digest, sizeof digest, BASE64_URL | BASE64_NOPAD);
}
