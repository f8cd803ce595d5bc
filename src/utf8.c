/* SPDX-License-Identifier: ISC */
/*
 * utf8.c: the external definition of utf8_len (C99 inline: the body is in
 * utf8.h, for the callers to inline).
 */
#include "config.h"

#include "utf8.h"

extern inline size_t utf8_len(const unsigned char *p, size_t n);
