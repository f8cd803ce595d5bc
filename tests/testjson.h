/* SPDX-License-Identifier: ISC */
/*
 * testjson.h: JSON helpers for the Check tests that speak JSON-RPC (mux,
 * modern), in tests/libchecktest.a (testjson.c).  JSON is written with '
 * for " (and printf formats) to keep the tests readable; paths are dotted
 * ("result.task.taskId").  They assert (ck_assert) on bad input.
 */
#ifndef MCPBRIDGE_TESTJSON_H
#define MCPBRIDGE_TESTJSON_H

#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* The JSON text of fmt (' for "), parsed; the caller owns it. */
json_object	*Jv(const char *fmt, va_list);
json_object	*J(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* o as plain JSON text, owned by o. */
const char	*S(json_object *o);
/* o at a dotted path ("result.task.taskId"), borrowed, or NULL. */
json_object	*P(json_object *o, const char *path);
/* The string at path, or NULL. */
const char	*PS(json_object *o, const char *path);
/* The integer at path, asserting it is one. */
int64_t		 PI(json_object *o, const char *path);

#endif
