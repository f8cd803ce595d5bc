/* SPDX-License-Identifier: ISC */
/*
 * check_utf8.c: the one UTF-8 check (utf8.c) against the encoder's side
 * of RFC 3629: every scalar value encodes to a sequence it takes whole,
 * and of every byte sequence it takes exactly those.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "checktest.h"
#include "utf8.h"

/* The UTF-8 encoding of the scalar value cp into out; its length. */
static size_t
encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Every scalar value (not the surrogates) is taken whole, not one byte
 * short, and followed by anything. */
START_TEST(test_every_scalar)
{
	unsigned char	b[5];
	uint32_t	cp;
	size_t		n;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = encode(cp, b);
		b[n] = 0xff;
		/* Not ck_assert: each of those writes to Check's log, three
		 * million system calls that a loaded machine makes slow
		 * enough to time the test out. */
		if (utf8_len(b, n) != n || utf8_len(b, n + 1) != n ||
		    (n > 1 && utf8_len(b, n - 1) != 0))
			ck_abort_msg("U+%04X: %zu, %zu, %zu of %zu bytes",
			    (unsigned)cp, utf8_len(b, n), utf8_len(b, n + 1),
			    n > 1 ? utf8_len(b, n - 1) : 0, n);
	}
}
END_TEST

/*
 * Of all sequences that start with a byte of 0x80 or more, it takes as
 * many as there are scalar values of that length: none else (an overlong
 * form, a surrogate, a value past U+10FFFF, a stray byte).  Four-byte
 * ones run over every first three bytes and a last byte at the edges.
 */
START_TEST(test_nothing_else)
{
	static const unsigned char	last[] = { 0x00, 0x7f, 0x80, 0xbf,
					    0xc0, 0xff };
	unsigned char	b[4];
	unsigned	i, j, k, l;
	size_t		n2 = 0, n3 = 0, n4 = 0, n;

	for (i = 0x80; i <= 0xff; i++) {
		b[0] = (unsigned char)i;
		b[1] = b[2] = b[3] = 0x00;
		/* Not taken alone, a lead byte wants more. */
		ck_assert_uint_eq(utf8_len(b, 4), 0);
		for (j = 0; j <= 0xff; j++) {
			b[1] = (unsigned char)j;
			b[2] = 0x00;
			if ((n = utf8_len(b, 2)) == 2)
				n2++;
			ck_assert_uint_eq(n, utf8_len(b, 4));
			for (k = 0; k <= 0xff; k++) {
				b[2] = (unsigned char)k;
				if (utf8_len(b, 3) == 3)
					n3++;
				for (l = 0; l < sizeof last; l++) {
					b[3] = last[l];
					if (utf8_len(b, 4) == 4)
						n4++;
				}
			}
		}
	}
	ck_assert_uint_eq(n2, 0x800 - 0x80);
	ck_assert_uint_eq(n3, 0x10000 - 0x800 - 0x800);
	/* Two of the six last bytes are continuation bytes. */
	ck_assert_uint_eq(n4, (0x110000 - 0x10000) / 64 * 2);
}
END_TEST

START_TEST(test_examples)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} cases[] = {
		{ "a", 1 },
		{ "\xc3\xa9", 2 },		/* U+00E9 */
		{ "\xe2\x82\xac", 3 },		/* U+20AC */
		{ "\xf0\x9f\x98\x80", 4 },	/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4 },	/* U+10FFFF */
		{ "\xef\xbf\xbd", 3 },		/* U+FFFD */
		{ "\x80", 0 },			/* a stray continuation */
		{ "\xc0\xaf", 0 },		/* overlong '/' */
		{ "\xc1\xbf", 0 },
		{ "\xe0\x9f\xbf", 0 },		/* overlong U+07FF */
		{ "\xed\xa0\x80", 0 },		/* U+D800 */
		{ "\xed\xbf\xbf", 0 },		/* U+DFFF */
		{ "\xf0\x8f\xbf\xbf", 0 },	/* overlong U+FFFF */
		{ "\xf4\x90\x80\x80", 0 },	/* U+110000 */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xfe", 0 },
		{ "\xc3" "a", 0 },		/* cut short */
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(utf8_len((const unsigned char *)cases[i].s,
		    strlen(cases[i].s)) == cases[i].len, "case %zu", i);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("utf8");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_every_scalar);
	tcase_add_test(tc, test_nothing_else);
	tcase_add_test(tc, test_examples);
	suite_add_tcase(s, tc);
	return s;
}
