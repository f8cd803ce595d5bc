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

#include "entropy.h"
#include "log.h"
#include "pkce.h"
#include "sha256.h"
#include "xmalloc.h"

char *
pkce_base64(const void *buf, size_t len, int url)
{
	static const char	 std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char	 safe[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char		*abc = url ? safe : std;
	const unsigned char	*p = buf;
	size_t			 i, o = 0;
	unsigned		 v;
	char			*out;

	out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i < len; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = abc[(v >> 6) & 63];
		else if (!url)
			out[o++] = '=';
		if (i + 2 < len)
			out[o++] = abc[v & 63];
		else if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

char *
pkce_random_string(size_t nbytes)
{
	unsigned char	 raw[96];
	char		*s;

	if (nbytes > sizeof raw)
		fatalx("pkce_random_string: %zu bytes", nbytes);
	entropy_get(raw, nbytes);
	s = pkce_base64(raw, nbytes, 1);
	memset(raw, 0, sizeof raw);
	return s;
}

char *
pkce_challenge(const char *verifier)
{
	unsigned char	digest[SHA256_LEN];

	sha256(verifier, strlen(verifier), digest);
	return pkce_base64(digest, sizeof digest, 1);
}
