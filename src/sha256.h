/* SPDX-License-Identifier: ISC */
/*
 * sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), small and
 * dependency-free, for integrity tags the bridge makes and checks itself
 * (the 2026-07-28 requestState).  No I/O.
 */
#ifndef MCPBRIDGE_SHA256_H
#define MCPBRIDGE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN		32
#define SHA256_BLOCK_LEN	64

struct sha256 {
	uint32_t	h[8];
	uint64_t	bytes;		/* hashed so far */
	unsigned char	buf[SHA256_BLOCK_LEN];
	size_t		nbuf;
};

void	sha256_init(struct sha256 *);
void	sha256_update(struct sha256 *, const void *, size_t);
void	sha256_final(struct sha256 *, unsigned char out[SHA256_LEN]);
void	sha256(const void *, size_t, unsigned char out[SHA256_LEN]);

void	hmac_sha256(const void *key, size_t keylen, const void *msg,
	    size_t msglen, unsigned char out[SHA256_LEN]);

#endif
