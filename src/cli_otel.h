/* SPDX-License-Identifier: ISC */
/*
 * cli_otel.h: the --otel-* options of both modes.  Each stands for an
 * OTEL_* variable and beats it: cli_otel_read hands otel_config_read a
 * getter that looks at the options first and then at the environment,
 * so that otel.c stays the one parser of those settings.
 */
#ifndef MCPBRIDGE_CLI_OTEL_H
#define MCPBRIDGE_CLI_OTEL_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "otel.h"

/* Option values of their own, above cli.c's. */
enum {
	CLI_OPT_OTEL_FIRST = 1000,
	CLI_OPT_OTEL_ENDPOINT = CLI_OPT_OTEL_FIRST,
	CLI_OPT_OTEL_TRACES_ENDPOINT,
	CLI_OPT_OTEL_HEADER,
	CLI_OPT_OTEL_SERVICE_NAME,
	CLI_OPT_OTEL_RESOURCE_ATTRIBUTES,
	CLI_OPT_OTEL_SAMPLER,
	CLI_OPT_OTEL_TIMEOUT,
	CLI_OPT_OTEL_BATCH_DELAY,
	CLI_OPT_OTEL_CAPTURE_CONTENT,
	CLI_OPT_OTEL_CHILD_HEADERS,
	CLI_OPT_NO_OTEL,
	CLI_OPT_OTEL_LAST = CLI_OPT_NO_OTEL,
};

#define CLI_OTEL_OPTIONS \
	{ "otel-endpoint", required_argument, NULL, CLI_OPT_OTEL_ENDPOINT }, \
	{ "otel-traces-endpoint", required_argument, NULL, \
	    CLI_OPT_OTEL_TRACES_ENDPOINT }, \
	{ "otel-header", required_argument, NULL, CLI_OPT_OTEL_HEADER }, \
	{ "otel-service-name", required_argument, NULL, \
	    CLI_OPT_OTEL_SERVICE_NAME }, \
	{ "otel-resource-attributes", required_argument, NULL, \
	    CLI_OPT_OTEL_RESOURCE_ATTRIBUTES }, \
	{ "otel-sampler", required_argument, NULL, CLI_OPT_OTEL_SAMPLER }, \
	{ "otel-timeout", required_argument, NULL, CLI_OPT_OTEL_TIMEOUT }, \
	{ "otel-batch-delay", required_argument, NULL, \
	    CLI_OPT_OTEL_BATCH_DELAY }, \
	{ "otel-capture-content", no_argument, NULL, \
	    CLI_OPT_OTEL_CAPTURE_CONTENT }, \
	{ "otel-child-headers", no_argument, NULL, \
	    CLI_OPT_OTEL_CHILD_HEADERS }, \
	{ "no-otel", no_argument, NULL, CLI_OPT_NO_OTEL }

/* The most --otel-header options. */
#define CLI_OTEL_MAX_HEADERS	OTEL_MAX_HEADERS

struct cli_otel {
	/* As given (NULL, 0: not given); the strings are ours. */
	char		*endpoint;
	char		*traces_endpoint;
	char		**headers;	/* NAME=VALUE, ${VAR} unexpanded */
	size_t		 nheaders;
	char		*service_name;
	char		*resource_attributes;
	char		*sampler;
	char		*sampler_arg;
	char		*timeout;	/* milliseconds, as text */
	uint64_t	 batch_delay_ms;
	int		 capture_content;
	int		 child_headers;
	int		 disabled;

	/* What cli_otel_read made of them and the environment. */
	char		*joined_headers;	/* while reading only */
	struct otel_config cfg;		/* traces_url NULL: export is off */
	char		*warn;		/* log once at start, or NULL */
};

/* An --otel-* option (ch in CLI_OPT_OTEL_FIRST..LAST): 0, or -1 and
 * *err, which never quotes a header's value. */
int	cli_otel_option(struct cli_otel *, int ch, const char *arg,
	    char **err);
/*
 * The settings, options over variables, into o->cfg (and warnings into
 * o->warn).  With export on, the header variables leave the environment
 * (the child never inherits them) unless --otel-child-headers, and so do
 * the variables an --otel-header's ${VAR} named.  -1 and *err if export
 * cannot work as given (never quoting a value).
 */
int	cli_otel_read(struct cli_otel *, char **err);
void	cli_otel_free(struct cli_otel *);

#endif
