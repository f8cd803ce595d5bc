/* SPDX-License-Identifier: ISC */
/*
 * pkce.c: code verifiers, S256 challenges and state values for the OAuth
 * authorization code flow (RFC 7636), over the kernel's random source and
 * libcrypto's SHA-256.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base64.h"
#include "entropy.h"
#include "log.h"
#include "pkce.h"
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
	unsigned char	digest[SHA256_DIGEST_LENGTH];
	unsigned int	dlen = 0;

	if (!EVP_Digest(verifier, strlen(verifier), digest, &dlen,
	    EVP_sha256(), NULL) || dlen != sizeof digest)
		fatalx("pkce: SHA-256 failed");
	return base64_encode(digest, sizeof digest, BASE64_URL | BASE64_NOPAD);
}
