/* SPDX-License-Identifier: ISC */
/*
 * check_cli_otel.c: the --otel-* options against the OTEL_* variables
 * they stand for, as a user gives them.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "checktest.h"
#include "cli.h"
#include "otel.h"

#define ARGV_MAX	32

static enum cli_result
parse(struct config *c, char **err, ...)
{
	char		*argv[ARGV_MAX];
	int		 argc = 0;
	va_list		 ap;
	char		*w;

	argv[argc++] = (char *)"mcpbridge";
	va_start(ap, err);
	while ((w = va_arg(ap, char *)) != NULL && argc < ARGV_MAX - 1)
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	config_init(c);
	*err = NULL;
	return cli_parse(argc, argv, c, err);
}

static const char *
header(const struct config *c, const char *key)
{
	size_t	i;

	for (i = 0; i < c->otel.cfg.nheaders; i++)
		if (strcmp(c->otel.cfg.headers[i].key, key) == 0)
			return c->otel.cfg.headers[i].value;
	return NULL;
}

static void
clear_env(void)
{
	static const char *const names[] = {
		"OTEL_EXPORTER_OTLP_ENDPOINT",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS",
		"OTEL_SERVICE_NAME", "OTEL_SDK_DISABLED",
		"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
		"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_RESOURCE_ATTRIBUTES",
		"CHECK_OTEL_SECRET",
	};
	size_t	i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		unsetenv(names[i]);
}

START_TEST(test_off_by_default)
{
	struct config	c;
	char		*err;

	clear_env();
	ck_assert_int_eq(parse(&c, &err, "serve", "--", "s", NULL), CLI_OK);
	ck_assert_ptr_null(c.otel.cfg.traces_url);
	ck_assert_ptr_null(c.otel.warn);
	config_free(&c);
}
END_TEST

START_TEST(test_option_beats_variable)
{
	struct config		c;
	struct serve_config	sc;
	char			*err;
	const struct otel_attr	*a;

	clear_env();
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://env:1/t", 1);
	setenv("OTEL_SERVICE_NAME", "from-env", 1);
	ck_assert_int_eq(parse(&c, &err, "serve", "--", "s", NULL), CLI_OK);
	ck_assert_str_eq(c.otel.cfg.traces_url, "http://env:1/t");
	config_free(&c);

	/* --otel-endpoint beats both endpoint variables. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-endpoint",
	    "http://opt:4318/", "--otel-service-name", "svc",
	    "--otel-timeout", "2s", "--otel-batch-delay", "50ms",
	    "--otel-capture-content", "--", "s", NULL), CLI_OK);
	ck_assert_str_eq(c.otel.cfg.traces_url, "http://opt:4318/v1/traces");
	a = otel_attrs_get(&c.otel.cfg.resource, "service.name");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->v.s, "svc");
	ck_assert_int_eq(c.otel.cfg.timeout_ms, 2000);
	cli_serve_config(&c, &sc);
	ck_assert_ptr_eq(sc.otel, &c.otel.cfg);
	ck_assert_uint_eq(sc.otel_delay_ms, 50);
	ck_assert_int_eq(sc.otel_capture_content, 1);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-traces-endpoint",
	    "http://opt:9/x", "--", "s", NULL), CLI_OK);
	ck_assert_str_eq(c.otel.cfg.traces_url, "http://opt:9/x");
	config_free(&c);

	/* Client mode takes them too. */
	{
		struct client_config	cc;

		ck_assert_int_eq(parse(&c, &err, "client", "--otel-endpoint",
		    "http://opt:4318", "--otel-batch-delay", "1s",
		    "http://127.0.0.1:8000/mcp", NULL), CLI_OK);
		cli_client_config(&c, &cc);
		ck_assert_str_eq(cc.otel->traces_url,
		    "http://opt:4318/v1/traces");
		ck_assert_uint_eq(cc.otel_delay_ms, 1000);
		config_free(&c);
	}

	/* --no-otel beats them all. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--no-otel", "--", "s",
	    NULL), CLI_OK);
	ck_assert_ptr_null(c.otel.cfg.traces_url);
	config_free(&c);
	clear_env();
}
END_TEST

START_TEST(test_headers_are_secrets)
{
	struct config	c;
	char		*err;

	clear_env();
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318", 1);
	setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=hunter2", 1);
	ck_assert_int_eq(parse(&c, &err, "serve", "--", "s", NULL), CLI_OK);
	ck_assert_str_eq(header(&c, "api-key"), "hunter2");
	/* Read, then gone: the child does not inherit it. */
	ck_assert_ptr_null(getenv("OTEL_EXPORTER_OTLP_HEADERS"));
	config_free(&c);

	/* --otel-child-headers leaves it to the child. */
	setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=hunter2", 1);
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-child-headers",
	    "--", "s", NULL), CLI_OK);
	ck_assert_str_eq(getenv("OTEL_EXPORTER_OTLP_HEADERS"),
	    "api-key=hunter2");
	config_free(&c);

	/* Export off: nothing was read, nothing is taken from the child. */
	setenv("OTEL_SDK_DISABLED", "true", 1);
	ck_assert_int_eq(parse(&c, &err, "serve", "--", "s", NULL), CLI_OK);
	ck_assert_ptr_nonnull(getenv("OTEL_EXPORTER_OTLP_HEADERS"));
	config_free(&c);
	unsetenv("OTEL_SDK_DISABLED");

	/* The options replace the variables' headers; a value keeps its
	 * commas, spaces and percent signs; ${VAR} is expanded, then VAR
	 * is gone too. */
	setenv("CHECK_OTEL_SECRET", "s3cr%t, x", 1);
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-header",
	    "Authorization=Bearer ${CHECK_OTEL_SECRET}", "--otel-header",
	    "x-team=a,b", "--", "s", NULL), CLI_OK);
	ck_assert_str_eq(header(&c, "Authorization"), "Bearer s3cr%t, x");
	ck_assert_str_eq(header(&c, "x-team"), "a,b");
	ck_assert_ptr_null(header(&c, "api-key"));
	ck_assert_ptr_null(getenv("CHECK_OTEL_SECRET"));
	config_free(&c);

	/* Errors never quote a value. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-header",
	    "bad name=hunter2", "--", "s", NULL), CLI_ERROR);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	free(err);
	config_free(&c);
	setenv("OTEL_EXPORTER_OTLP_HEADERS", "novalue-hunter2", 1);
	ck_assert_int_eq(parse(&c, &err, "serve", "--", "s", NULL),
	    CLI_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "OTEL_EXPORTER_OTLP_HEADERS"));
	ck_assert_ptr_null(strstr(err, "hunter2"));
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-header",
	    "a=${CHECK_OTEL_UNSET_hunter2}", "--", "s", NULL), CLI_ERROR);
	free(err);
	config_free(&c);
	clear_env();
}
END_TEST

START_TEST(test_errors_and_warnings)
{
	struct config	c;
	char		*err;

	clear_env();
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-endpoint",
	    "ftp://x", "--", "s", NULL), CLI_ERROR);
	ck_assert_str_eq(err, "OpenTelemetry: OTEL_EXPORTER_OTLP_ENDPOINT is "
	    "not an http or https URL (or the --otel-* option that stands "
	    "for it)");
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-sampler", "coin",
	    "--", "s", NULL), CLI_ERROR);
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-sampler",
	    "traceidratio:2", "--", "s", NULL), CLI_ERROR);
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-timeout", "0",
	    "--", "s", NULL), CLI_ERROR);
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve",
	    "--otel-resource-attributes", "novalue", "--", "s", NULL),
	    CLI_ERROR);
	free(err);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-endpoint",
	    "http://h", "--otel-sampler", "parentbased_traceidratio:0.25",
	    "--", "s", NULL), CLI_OK);
	ck_assert_int_eq(c.otel.cfg.sampler.parent_based, 1);
	ck_assert(c.otel.cfg.sampler.ratio == 0.25);
	ck_assert_ptr_null(c.otel.warn);
	config_free(&c);

	/* A variable's mistake is a warning, kept for the log. */
	setenv("OTEL_TRACES_SAMPLER", "coin", 1);
	ck_assert_int_eq(parse(&c, &err, "serve", "--otel-endpoint",
	    "http://h", "--", "s", NULL), CLI_OK);
	ck_assert_ptr_nonnull(c.otel.warn);
	ck_assert_ptr_nonnull(strstr(c.otel.warn, "OTEL_TRACES_SAMPLER"));
	config_free(&c);
	clear_env();
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("cli_otel");
	TCase	*tc = tcase_create("options");

	tcase_add_test(tc, test_off_by_default);
	tcase_add_test(tc, test_option_beats_variable);
	tcase_add_test(tc, test_headers_are_secrets);
	tcase_add_test(tc, test_errors_and_warnings);
	suite_add_tcase(s, tc);
	return s;
}
