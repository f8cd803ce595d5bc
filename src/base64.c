/* SPDX-License-Identifier: ISC */
/*
 * base64.c: the encoder and the strict decoder.  Strict, because a
 * decoded value is compared or checked afterwards (a header against the
 * body, a sealed state against its tag): two spellings of one value
 * must not both pass.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "base64.h"
#include "xmalloc.h"

static const char	base64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char	base64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
base64_encode(const void *in, size_t len, int flags)
{
	const char		*abc = (flags & BASE64_URL) ? base64_url : base64_std;
	const unsigned char	*p = in;
	size_t			 i, o = 0;
	unsigned		 v;
	char			*out;
	int			 pad = !(flags & BASE64_NOPAD);

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
		else if (pad)
			out[o++] = '=';
		if (i + 2 < len)
			out[o++] = abc[v & 63];
		else if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static int
base64_value(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int
base64_decode(const char *in, size_t len, unsigned char *out,
    size_t *outlen, int flags)
{
	size_t		 i, n = 0, pad = 0;
	uint32_t	 acc = 0;
	int		 v, bits = 0, url = (flags & BASE64_URL) != 0;

	if (!(flags & BASE64_NOPAD)) {
		if (len % 4 != 0)
			return -1;
		while (pad < 2 && len > 0 && in[len - 1] == '=') {
			len--;
			pad++;
		}
	} else if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = base64_value((unsigned char)in[i], url)) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	*outlen = n;
	return 0;
}
