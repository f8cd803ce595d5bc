/* SPDX-License-Identifier: ISC */
/*
 * check_base64.c: the codec (base64.c): the RFC 4648 section 10 vectors
 * in both alphabets, with and without padding, and the inputs the
 * strict decoder refuses (the =?base64?...?= headers and the sealed
 * requestState rely on one spelling per value).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "checktest.h"

static const struct {
	const char	*raw, *enc;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

/* in decoded with flags, or NULL if refused. */
static char *
decode(const char *in, int flags)
{
	unsigned char	*out;
	size_t		 len = strlen(in), n = 12345;

	out = malloc(len * 3 / 4 + 1);
	ck_assert_ptr_nonnull(out);
	if (base64_decode(in, len, out, &n, flags) == -1) {
		free(out);
		return NULL;
	}
	ck_assert_uint_le(n, len * 3 / 4);
	out[n] = '\0';
	return (char *)out;
}

static int
decodes_to(const char *in, int flags, const char *want)
{
	char	*s;
	int	 ok;

	if ((s = decode(in, flags)) == NULL)
		return 0;
	ok = strcmp(s, want) == 0;
	free(s);
	return ok;
}

START_TEST(test_rfc4648)
{
	const int	 url = BASE64_URL | BASE64_NOPAD;
	char		*s, nopad[16];
	size_t		 i;

	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		s = base64_encode(vectors[i].raw, strlen(vectors[i].raw), 0);
		ck_assert_str_eq(s, vectors[i].enc);
		free(s);
		ck_assert(decodes_to(vectors[i].enc, 0, vectors[i].raw));

		snprintf(nopad, sizeof nopad, "%.*s",
		    (int)strcspn(vectors[i].enc, "="), vectors[i].enc);
		s = base64_encode(vectors[i].raw, strlen(vectors[i].raw), url);
		ck_assert_str_eq(s, nopad);
		free(s);
		ck_assert(decodes_to(nopad, url, vectors[i].raw));
		s = base64_encode(vectors[i].raw, strlen(vectors[i].raw),
		    BASE64_NOPAD);
		ck_assert_str_eq(s, nopad);
		free(s);
	}
}
END_TEST

START_TEST(test_alphabets)
{
	const unsigned char	 raw[] = { 0xfb, 0xff, 0xbf };
	unsigned char		 out[8];
	char			*s;
	size_t			 n;

	s = base64_encode(raw, sizeof raw, 0);
	ck_assert_str_eq(s, "+/+/");
	free(s);
	s = base64_encode(raw, sizeof raw, BASE64_URL);
	ck_assert_str_eq(s, "-_-_");
	free(s);
	s = base64_encode(raw, 2, BASE64_URL);
	ck_assert_str_eq(s, "-_8=");
	free(s);
	s = base64_encode(raw, 2, BASE64_URL | BASE64_NOPAD);
	ck_assert_str_eq(s, "-_8");
	free(s);

	ck_assert_int_eq(base64_decode("+/+/", 4, out, &n, 0), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(out, raw, 3);
	ck_assert_int_eq(base64_decode("-_-_", 4, out, &n,
	    BASE64_URL | BASE64_NOPAD), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(out, raw, 3);
	/* Each alphabet alone. */
	ck_assert_int_eq(base64_decode("-_-_", 4, out, &n, 0), -1);
	ck_assert_int_eq(base64_decode("+/+/", 4, out, &n,
	    BASE64_URL | BASE64_NOPAD), -1);
}
END_TEST

START_TEST(test_strict)
{
	const int	url = BASE64_URL | BASE64_NOPAD;

	/* Padded: a multiple of four, '=' only at the end, two at most. */
	ck_assert_ptr_null(decode("Zg", 0));
	ck_assert_ptr_null(decode("Zg=", 0));
	ck_assert_ptr_null(decode("Zm9vYg=", 0));
	ck_assert_ptr_null(decode("Z===", 0));
	ck_assert_ptr_null(decode("Zg==Zg==", 0));
	ck_assert_ptr_null(decode("Zm=v", 0));
	/* Unused bits must be zero: one value, one spelling. */
	ck_assert_ptr_null(decode("Zh==", 0));
	ck_assert_ptr_null(decode("Zm9=", 0));
	ck_assert(decodes_to("Zm8=", 0, "fo"));
	/* Nothing outside the alphabet: blanks, line breaks, NUL. */
	ck_assert_ptr_null(decode("Zm9v ", 0));
	ck_assert_ptr_null(decode("Zm9v\nYmFy", 0));
	ck_assert_ptr_null(decode("Zm 9", 0));

	/* Unpadded: no '=', no lone last character, zero unused bits. */
	ck_assert_ptr_null(decode("Zg==", url));
	ck_assert_ptr_null(decode("Zm9vY", url));
	ck_assert_ptr_null(decode("Zh", url));
	ck_assert(decodes_to("Zg", url, "f"));
	ck_assert(decodes_to("", url, ""));
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("base64");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_rfc4648);
	tcase_add_test(tc, test_alphabets);
	tcase_add_test(tc, test_strict);
	suite_add_tcase(s, tc);
	return s;
}
