/*
 * main.c: parse the command line and run a mode.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "client.h"
#include "log.h"
#include "serve.h"

int
main(int argc, char **argv)
{
	struct config		 cfg;
	char			*err = NULL;
	enum cli_result		 res;
	int			 status;

	config_init(&cfg);
	res = cli_parse(argc, argv, &cfg, &err);
	switch (res) {
	case CLI_HELP:
		cli_usage(stdout, cfg.mode);
		config_free(&cfg);
		return 0;
	case CLI_VERSION:
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		config_free(&cfg);
		return 0;
	case CLI_ERROR:
		fprintf(stderr, "mcpbridge: %s\n", err);
		cli_usage(stderr, cfg.mode);
		free(err);
		config_free(&cfg);
		return EXIT_USAGE;
	case CLI_OK:
		break;
	}

	log_init(cfg.log_level, cfg.log_format, "mcpbridge");
	/* A peer that goes away must be an error return, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	switch (cfg.mode) {
	case CLI_MODE_SERVE:
		status = serve_run(&cfg);
		break;
	case CLI_MODE_CLIENT:
		status = client_run(&cfg);
		break;
	default:
		status = EXIT_USAGE;
		break;
	}
	config_free(&cfg);
	return status;
}
