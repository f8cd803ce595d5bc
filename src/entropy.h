/* SPDX-License-Identifier: ISC */
/*
 * entropy.h: random bytes from the kernel, for session ids, the
 * requestState key and OAuth's PKCE strings.
 */
#ifndef MCPBRIDGE_ENTROPY_H
#define MCPBRIDGE_ENTROPY_H

#include <stddef.h>

/* len random bytes into buf (getrandom, else /dev/urandom); fatal if
 * neither gives them. */
void	entropy_get(void *buf, size_t len);

#endif
