/* SPDX-License-Identifier: ISC */
/*
 * cli_otel.c: the --otel-* options (cli_otel.h).  Header values are
 * secrets: no message here quotes one, and the joined list is wiped once
 * otel_config_read has copied it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_otel.h"
#include "compat.h"
#include "env.h"
#include "otel.h"
#include "xmalloc.h"

/* The longest --otel-batch-delay, and --otel-timeout's range. */
#define CLI_OTEL_DELAY_MAX_MS	60000

static void
cli_otel_set(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? xstrdup(s) : NULL;
}

/* A header name: an HTTP token. */
static int
cli_otel_token(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("!#$%&'*+-.^_`|~", s[i]) == NULL &&
		    !((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

int
cli_otel_option(struct cli_otel *o, int ch, const char *arg, char **err)
{
	struct otel_sampler	 smp;
	struct otel_kv		*kv;
	const char		*colon, *eq;
	char			*name, *why = NULL;
	uint64_t		 ms;
	size_t			 n;

	switch (ch) {
	case CLI_OPT_OTEL_ENDPOINT:
	case CLI_OPT_OTEL_TRACES_ENDPOINT:
		if (*arg == '\0') {
			xasprintf(err, "--otel-%sendpoint wants a URL",
			    ch == CLI_OPT_OTEL_ENDPOINT ? "" : "traces-");
			return -1;
		}
		cli_otel_set(ch == CLI_OPT_OTEL_ENDPOINT ? &o->endpoint :
		    &o->traces_endpoint, arg);
		return 0;
	case CLI_OPT_OTEL_HEADER:
		/* The value may be a secret: the messages never quote it. */
		eq = strchr(arg, '=');
		if (eq == NULL || !cli_otel_token(arg, (size_t)(eq - arg)) ||
		    strpbrk(arg, "\r\n") != NULL) {
			xasprintf(err, "--otel-header wants NAME=VALUE, a "
			    "header name and a value without line breaks");
			return -1;
		}
		if (o->nheaders == CLI_OTEL_MAX_HEADERS) {
			xasprintf(err, "more than %d --otel-header options",
			    CLI_OTEL_MAX_HEADERS);
			return -1;
		}
		o->headers = xreallocarray(o->headers, o->nheaders + 2,
		    sizeof *o->headers);
		o->headers[o->nheaders++] = xstrdup(arg);
		o->headers[o->nheaders] = NULL;
		return 0;
	case CLI_OPT_OTEL_SERVICE_NAME:
		if (*arg == '\0') {
			xasprintf(err, "--otel-service-name wants a name");
			return -1;
		}
		cli_otel_set(&o->service_name, arg);
		return 0;
	case CLI_OPT_OTEL_RESOURCE_ATTRIBUTES:
		/* Given explicitly, a malformed list is an error, not the
		 * variable's warning. */
		if (otel_kv_parse(arg, OTEL_MAX_RESOURCE_ATTRS, &kv, &n,
		    &why) == -1) {
			xasprintf(err, "--otel-resource-attributes wants "
			    "KEY=VALUE,...: %s", why);
			free(why);
			return -1;
		}
		if (kv != NULL)
			otel_kv_free(kv, n);
		cli_otel_set(&o->resource_attributes, arg);
		return 0;
	case CLI_OPT_OTEL_SAMPLER:
		colon = strchr(arg, ':');
		name = colon != NULL ? xstrndup(arg, (size_t)(colon - arg)) :
		    xstrdup(arg);
		otel_sampler_set(&smp, name, colon != NULL ? colon + 1 : NULL,
		    &why);
		if (why != NULL || *name == '\0') {
			xasprintf(err, "--otel-sampler wants always_on, "
			    "always_off, traceidratio:RATIO or parentbased_ of "
			    "one of them, not '%s'", arg);
			free(why);
			free(name);
			return -1;
		}
		free(o->sampler);
		o->sampler = name;
		cli_otel_set(&o->sampler_arg, colon != NULL ? colon + 1 : "");
		return 0;
	case CLI_OPT_OTEL_TIMEOUT:
	case CLI_OPT_OTEL_BATCH_DELAY:
		if (cli_parse_duration(arg, &ms) == -1 || ms == 0 ||
		    ms > CLI_OTEL_DELAY_MAX_MS) {
			xasprintf(err, "%s wants a duration from 1ms to %ds, "
			    "not '%s'", ch == CLI_OPT_OTEL_TIMEOUT ?
			    "--otel-timeout" : "--otel-batch-delay",
			    CLI_OTEL_DELAY_MAX_MS / 1000, arg);
			return -1;
		}
		if (ch == CLI_OPT_OTEL_BATCH_DELAY) {
			o->batch_delay_ms = ms;
			return 0;
		}
		free(o->timeout);
		xasprintf(&o->timeout, "%llu", (unsigned long long)ms);
		return 0;
	case CLI_OPT_OTEL_CAPTURE_CONTENT:
		o->capture_content = 1;
		return 0;
	case CLI_OPT_OTEL_CHILD_HEADERS:
		o->child_headers = 1;
		return 0;
	case CLI_OPT_NO_OTEL:
		o->disabled = 1;
		return 0;
	}
	xasprintf(err, "internal: unhandled option %d", ch);
	return -1;
}

/* The options first, then the environment ("" reads as unset). */
static const char *
cli_otel_getenv(const char *name, void *arg)
{
	struct cli_otel	*o = arg;
	int		 given = o->endpoint != NULL ||
			    o->traces_endpoint != NULL;

	if (strcmp(name, "OTEL_SDK_DISABLED") == 0)
		return o->disabled ? "true" : given ? "" : getenv(name);
	if (strcmp(name, "OTEL_TRACES_EXPORTER") == 0)
		return given ? "" : getenv(name);
	if (strcmp(name, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == 0)
		return o->traces_endpoint != NULL ? o->traces_endpoint :
		    o->endpoint != NULL ? "" : getenv(name);
	if (strcmp(name, "OTEL_EXPORTER_OTLP_ENDPOINT") == 0)
		return o->endpoint != NULL ? o->endpoint : getenv(name);
	if (strcmp(name, "OTEL_EXPORTER_OTLP_TRACES_HEADERS") == 0)
		return o->joined_headers != NULL ? o->joined_headers :
		    getenv(name);
	if (strcmp(name, "OTEL_EXPORTER_OTLP_HEADERS") == 0)
		return o->joined_headers != NULL ? "" : getenv(name);
	if (strcmp(name, "OTEL_SERVICE_NAME") == 0)
		return o->service_name != NULL ? o->service_name :
		    getenv(name);
	if (strcmp(name, "OTEL_RESOURCE_ATTRIBUTES") == 0)
		return o->resource_attributes != NULL ?
		    o->resource_attributes : getenv(name);
	if (strcmp(name, "OTEL_TRACES_SAMPLER") == 0)
		return o->sampler != NULL ? o->sampler : getenv(name);
	if (strcmp(name, "OTEL_TRACES_SAMPLER_ARG") == 0)
		return o->sampler != NULL ? o->sampler_arg : getenv(name);
	if (strcmp(name, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") == 0 ||
	    strcmp(name, "OTEL_EXPORTER_OTLP_TIMEOUT") == 0)
		return o->timeout != NULL ? o->timeout : getenv(name);
	return getenv(name);
}

/* Appends s's n bytes to *buf, percent-encoding what the list syntax
 * (otel_kv_parse) would read otherwise. */
static void
cli_otel_append(char **buf, size_t *len, const char *s, size_t n,
    int encode)
{
	size_t	i;

	*buf = xrealloc(*buf, *len + 3 * n + 2);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (encode && (c <= ' ' || c >= 0x7f || c == '%' ||
		    c == ',')) {
			snprintf(*buf + *len, 4, "%%%02X", c);
			*len += 3;
		} else
			(*buf)[(*len)++] = (char)c;
	}
	(*buf)[*len] = '\0';
}

/* The --otel-header options as one OTEL_EXPORTER_OTLP_HEADERS value. */
static int
cli_otel_join(struct cli_otel *o, char **err)
{
	char	*h, *why = NULL, *eq;
	size_t	 i, len = 0;

	for (i = 0; i < o->nheaders; i++) {
		if (env_expand(o->headers[i], "--otel-header", &h,
		    &why) == -1) {
			xasprintf(err, "--otel-header: %s", why);
			free(why);
			return -1;
		}
		eq = strchr(h, '=');
		if (i > 0)
			cli_otel_append(&o->joined_headers, &len, ",", 1, 0);
		cli_otel_append(&o->joined_headers, &len, h,
		    (size_t)(eq - h) + 1, 0);
		cli_otel_append(&o->joined_headers, &len, eq + 1,
		    strlen(eq + 1), 1);
		explicit_bzero(h, strlen(h));
		free(h);
	}
	return 0;
}

int
cli_otel_read(struct cli_otel *o, char **err)
{
	char	*why = NULL;
	size_t	 i;
	int	 rc = 0;

	otel_config_free(&o->cfg);
	free(o->warn);
	o->warn = NULL;
	if (o->nheaders > 0 && cli_otel_join(o, err) == -1)
		rc = -1;
	else if (otel_config_read(&o->cfg, cli_otel_getenv, o, &o->warn,
	    &why) == -1) {
		/* Say which options, too: the cause names the variable. */
		xasprintf(err, "OpenTelemetry: %s (or the --otel-* option "
		    "that stands for it)", why);
		free(why);
		rc = -1;
	}
	if (o->joined_headers != NULL) {
		explicit_bzero(o->joined_headers, strlen(o->joined_headers));
		free(o->joined_headers);
		o->joined_headers = NULL;
	}
	if (rc == -1 || o->cfg.traces_url == NULL)
		return rc;
	/* Read: the secrets need not stay where a child would find them. */
	for (i = 0; i < o->nheaders; i++)
		env_forget_refs(o->headers[i]);
	if (!o->child_headers) {
		env_forget("OTEL_EXPORTER_OTLP_HEADERS");
		env_forget("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
	}
	return 0;
}

void
cli_otel_free(struct cli_otel *o)
{
	size_t	i;

	free(o->endpoint);
	free(o->traces_endpoint);
	for (i = 0; i < o->nheaders; i++)
		free(o->headers[i]);
	free(o->headers);
	free(o->service_name);
	free(o->resource_attributes);
	free(o->sampler);
	free(o->sampler_arg);
	free(o->timeout);
	otel_config_free(&o->cfg);
	free(o->warn);
	memset(o, 0, sizeof *o);
}
