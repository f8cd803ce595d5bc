/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h: what the libFuzzer targets share: the entry points, a reader
 * that turns the input into choices, and a check that stops the run.
 *
 * A target reads its choices with fuzz_byte and friends; past the end of
 * the input every read returns 0, so any input is a complete program.
 */
#ifndef MCPBRIDGE_FUZZ_H
#define MCPBRIDGE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* A broken invariant: say which and abort, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

struct fuzz_in {
	const uint8_t	*p;
	size_t		 left;
};

static inline void
fuzz_in_init(struct fuzz_in *in, const uint8_t *data, size_t size)
{
	in->p = data;
	in->left = size;
}

static inline int
fuzz_more(const struct fuzz_in *in)
{
	return in->left > 0;
}

static inline unsigned
fuzz_byte(struct fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static inline unsigned
fuzz_u16(struct fuzz_in *in)
{
	unsigned	v = fuzz_byte(in);

	return v | (fuzz_byte(in) << 8);
}

/* A number in [0, n), n > 0. */
static inline unsigned
fuzz_pick(struct fuzz_in *in, unsigned n)
{
	return (n <= 256 ? fuzz_byte(in) : fuzz_u16(in)) % n;
}

/* Up to max bytes of the input, as they are: *len says how many. */
static inline const uint8_t *
fuzz_bytes(struct fuzz_in *in, size_t max, size_t *len)
{
	const uint8_t	*p = in->p;

	*len = max < in->left ? max : in->left;
	in->p += *len;
	in->left -= *len;
	return p;
}

#endif
