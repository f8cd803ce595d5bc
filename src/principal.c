/* SPDX-License-Identifier: ISC */
/*
 * principal.c: (iss, sub) to a session owner id with a keyed hash.  No
 * table: nothing to intern, refcount or free, and the id of a principal
 * is the same for every session and every token it presents.
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "entropy.h"
#include "log.h"
#include "principal.h"

#define PRINCIPAL_KEY_LEN	32

static unsigned char	principal_key[PRINCIPAL_KEY_LEN];
static int		principal_keyed;

uint64_t
principal_id(const char *iss, const char *sub)
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];
	unsigned char	 out[EVP_MAX_MD_SIZE];
	size_t		 outlen = 0;
	uint64_t	 id = 0;
	int		 i;

	if (!principal_keyed) {
		entropy_get(principal_key, sizeof principal_key);
		principal_keyed = 1;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* A failure here is libcrypto missing HMAC or SHA-256: fatal, as
	 * OOM is. */
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		fatalx("principal: no HMAC in libcrypto");
	if (!EVP_MAC_init(ctx, principal_key, sizeof principal_key, params) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)iss,
	    strlen(iss) + 1) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)sub, strlen(sub)) ||
	    !EVP_MAC_final(ctx, out, &outlen, sizeof out) || outlen < 8)
		fatalx("principal: HMAC-SHA256 failed");
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	for (i = 0; i < 8; i++)
		id = id << 8 | out[i];
	return id | PRINCIPAL_OAUTH_BIT;
}
