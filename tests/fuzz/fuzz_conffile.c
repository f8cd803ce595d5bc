/* SPDX-License-Identifier: ISC */
/*
 * fuzz_conffile.c: the --config file (conffile.c) and its settings as
 * options (cli.c), on arbitrary text.
 *
 * The input is the file.  conffile_parse must say yes exactly when it
 * counted no error, keep at most CONFFILE_MAX_ERRORS lines, each naming
 * the file, and hand back only servers of the shape it promises: a valid
 * name, one of a command (non-empty), a URL or a "connect" setting, env
 * entries KEY=VALUE and headers "Name: value".  Then the same text goes
 * through `serve --config FILE --check`, the path every file takes:
 * whatever the values, the parse ends in a result, never a crash or a
 * leak, and a config it takes has the file's servers.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "conffile.h"
#include "fuzz.h"
#include "log.h"

static char	fuzz_path[] = "/tmp/fuzz_conffile.XXXXXX";
static int	fuzz_fd = -1;

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_conffile");
	fuzz_fd = mkstemp(fuzz_path);
	FUZZ_CHECK(fuzz_fd != -1, "mkstemp");
	atexit(fuzz_cleanup);
	return 0;
}

static void
check_server(const struct conffile_server *srv)
{
	size_t	i, len = strlen(srv->name);
	int	kinds;

	FUZZ_CHECK(len > 0 && len <= CONFFILE_NAME_MAX && srv->name[0] != '.',
	    "name '%s'", srv->name);
	kinds = (srv->command != NULL) + (srv->url != NULL) +
	    (srv->bridge != NULL && json_object_object_get_ex(srv->bridge,
	    "connect", NULL));
	FUZZ_CHECK(kinds == 1, "%s: %d kinds", srv->name, kinds);
	FUZZ_CHECK(srv->command == NULL || srv->command[0][0] != '\0',
	    "%s: empty command", srv->name);
	for (i = 0; i < srv->nenv; i++)
		FUZZ_CHECK(strchr(srv->env[i], '=') != NULL &&
		    srv->env[i][0] != '=', "%s: env %zu", srv->name, i);
	FUZZ_CHECK(srv->env == NULL || srv->env[srv->nenv] == NULL, "env end");
	for (i = 0; i < srv->nheaders; i++)
		FUZZ_CHECK(strstr(srv->headers[i], ": ") != NULL &&
		    strpbrk(srv->headers[i], "\r\n") == NULL, "header %zu", i);
	FUZZ_CHECK(srv->url == NULL || (srv->env == NULL &&
	    srv->cwd == NULL), "%s: a url with env or cwd", srv->name);
}

static void
check_cli(const char *text, size_t len, const struct conffile *cf)
{
	struct config		 c;
	char			*argv[] = { (char *)"mcpbridge", (char *)"serve",
				    (char *)"--config", fuzz_path,
				    (char *)"--check", NULL };
	char			*err = NULL;
	enum cli_result		 res;

	FUZZ_CHECK(ftruncate(fuzz_fd, 0) == 0 &&
	    pwrite(fuzz_fd, text, len, 0) == (ssize_t)len, "write");
	config_init(&c);
	res = cli_parse(5, argv, &c, &err);
	FUZZ_CHECK(res == CLI_OK || res == CLI_ERROR ||
	    res == CLI_CONFIG_ERROR, "result %d", (int)res);
	FUZZ_CHECK((res == CLI_OK) == (err == NULL), "err with %d", (int)res);
	if (res == CLI_OK) {
		FUZZ_CHECK(c.check && c.conf != NULL, "no conf");
		FUZZ_CHECK(c.conf->nservers == cf->nservers, "servers %zu %zu",
		    c.conf->nservers, cf->nservers);
		FUZZ_CHECK(cf->nservers < 2 || c.nservers == cf->nservers,
		    "server configs %zu", c.nservers);
		if (cf->nservers == 1 && cf->servers[0].command != NULL)
			FUZZ_CHECK(c.serve.command != NULL && strcmp(
			    c.serve.command[0], cf->servers[0].command[0]) == 0,
			    "command");
	}
	free(err);
	config_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conffile	 cf;
	const char	*text = (const char *)data;
	size_t		 i, lines = 0;
	int		 r;

	r = conffile_parse(&cf, "f.json", text, size);
	FUZZ_CHECK((r == 0) == (cf.nerrors == 0), "r %d, %zu errors", r,
	    cf.nerrors);
	FUZZ_CHECK((cf.errors == NULL) == (cf.nerrors == 0), "errors text");
	for (i = 0; cf.errors != NULL && cf.errors[i] != '\0'; i++) {
		if (i == 0 || cf.errors[i - 1] == '\n')
			FUZZ_CHECK(strncmp(cf.errors + i, "f.json: ", 8) == 0,
			    "line without the file: %s", cf.errors + i);
		lines += cf.errors[i] == '\n';
	}
	FUZZ_CHECK(lines == (cf.nerrors < CONFFILE_MAX_ERRORS ? cf.nerrors :
	    CONFFILE_MAX_ERRORS), "%zu lines, %zu errors", lines, cf.nerrors);
	if (r == 0) {
		FUZZ_CHECK(cf.nservers <= CONFFILE_MAX_SERVERS, "servers");
		for (i = 0; i < cf.nservers; i++)
			check_server(&cf.servers[i]);
	}
	/* Whatever the shape, a JSON object goes on to the options. */
	if (json_object_is_type(cf.root, json_type_object))
		check_cli(text, size, &cf);
	conffile_free(&cf);
	return 0;
}
