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
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "log.h"
#include "pkce.h"
#include "sha256.h"
#include "xmalloc.h"

void
pkce_random(void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

#ifdef HAVE_GETRANDOM
	while (got < len) {
		n = getrandom(p + got, len - got, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
#endif
	if (got == len)
		return;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		fatal("/dev/urandom");
	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal("/dev/urandom");
		got += (size_t)n;
	}
	close(fd);
}

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
	pkce_random(raw, nbytes);
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
