/* SPDX-License-Identifier: ISC */
/*
 * main.c: parse the command line and run a mode.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "exitcodes.h"
#include "log.h"
#include "serve.h"
#include "xmalloc.h"

int
main(int argc, char **argv)
{
	struct config		 cfg;
	struct serve_config	 scfg;
	struct client_config	 ccfg;
	struct serve_named	*named;
	size_t			 i;
	char			*err = NULL, *line, *end;
	enum cli_result		 res;
	locale_t		 cloc;
	int			 status;

	config_init(&cfg);
	res = cli_parse(argc, argv, &cfg, &err);
	switch (res) {
	case CLI_HELP:
		cli_usage(stdout, cfg.mode);
		config_free(&cfg);
		return 0;
	case CLI_VERSION:
		printf("%s %s\n%s\n%s license: see the LICENSE file"
		    " that comes with the source.\n", PACKAGE_NAME,
		    PACKAGE_VERSION, PACKAGE_COPYRIGHT, PACKAGE_LICENSE);
		config_free(&cfg);
		return 0;
	case CLI_CONFIG_ERROR:
		/* Each error on its own line, all of them: a file is fixed
		 * in one go, not one error a run. */
		for (line = err; *line != '\0'; line = end + 1) {
			end = strchr(line, '\n');
			fprintf(stderr, "mcpbridge: %.*s\n", (int)(end != NULL ?
			    end - line : (ptrdiff_t)strlen(line)), line);
			if (end == NULL)
				break;
		}
		free(err);
		config_free(&cfg);
		return EXIT_CONFIG;
	case CLI_ERROR:
		/* The error and where to read more: the whole help would
		 * push the error off the screen. */
		fprintf(stderr, "mcpbridge: %s\nRun 'mcpbridge %s--help' for "
		    "the options.\n", err, cfg.mode == CLI_MODE_SERVE ?
		    "serve " : cfg.mode == CLI_MODE_CLIENT ? "client " : "");
		free(err);
		config_free(&cfg);
		return EXIT_USAGE;
	case CLI_OK:
		break;
	}
	if (cfg.check) {
		cli_check_report(stdout, &cfg);
		config_free(&cfg);
		return 0;
	}

	/*
	 * The C locale, as the program has always run in (it never calls
	 * setlocale), but as this thread's own locale object: json-c
	 * switches LC_NUMERIC to "C" around every parse, and from the C
	 * locale object glibc's duplocale, newlocale and freelocale return
	 * at once instead of building a locale (and reading LOCPATH) per
	 * message.
	 */
	if ((cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0)) != (locale_t)0)
		uselocale(cloc);
	log_init(cfg.log_level, cfg.log_format, "mcpbridge");
	log_set_source(LOG_SOURCE_ACCESS, cfg.access_log);
	log_set_source(LOG_SOURCE_CHILD, cfg.child_stderr);
	/* Said on stderr, the log's place until the file is open. */
	if (cfg.log_file != NULL && log_open_file(cfg.log_file) == -1) {
		log_error("cannot open --log-file %s: %s", cfg.log_file,
		    strerror(errno));
		config_free(&cfg);
		return EXIT_USAGE;
	}
	/* A peer that goes away must be an error return, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	switch (cfg.mode) {
	case CLI_MODE_SERVE:
		cli_serve_config(&cfg, &scfg);
		if (cfg.nservers == 0 && (cfg.conf == NULL ||
		    cfg.conf->nservers == 0)) {
			status = serve_run(&scfg);
			break;
		}
		if (cfg.nservers == 0) {
			/* One server from a file: as `serve -- CMD`, and on
			 * /servers/NAME/ too. */
			named = xcalloc(1, sizeof *named);
			named->name = cfg.conf->servers[0].name;
			named->cfg = scfg;
			status = serve_run_servers(&scfg, named, 1);
			free(named);
			break;
		}
		/* serve --config with several servers: each its own. */
		named = xcalloc(cfg.nservers, sizeof *named);
		for (i = 0; i < cfg.nservers; i++) {
			named[i].name = cfg.conf->servers[i].name;
			cli_serve_config(&cfg.servers[i], &named[i].cfg);
			/* Without --max-queue, each session's queue holds two
			 * of the largest answers any server may send. */
			if (cfg.serve.http.max_queue == 0 &&
			    named[i].cfg.http.max_queue > scfg.http.max_queue)
				scfg.http.max_queue =
				    named[i].cfg.http.max_queue;
		}
		status = serve_run_servers(&scfg, named, cfg.nservers);
		free(named);
		break;
	case CLI_MODE_CLIENT:
		cli_client_config(&cfg, &ccfg);
		status = client_run(&ccfg);
		break;
	default:
		status = EXIT_USAGE;
		break;
	}
	config_free(&cfg);
	return status;
}
