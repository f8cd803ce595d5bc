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

/*
 * serve --config with several servers: SIGHUP parses the command line,
 * and so the file, anew.  Each parse is a generation, kept to the end:
 * the servers it started borrow its strings.
 */
struct main_gen {
	struct config		 cfg;
	struct serve_named	*named;
	size_t			 n;
};

struct main_reload {
	int			  argc;
	char			**argv;
	const struct config	 *running;	/* the parse it started with */
	struct main_gen		**gens;
	size_t			  ngens;
};

/* The named servers of cfg (several), each its config and fingerprint;
 * max_queue: the session queue's size without --max-queue, raised to
 * hold the largest answers of any (0: leave it). */
static struct serve_named *
main_named(const struct config *cfg, size_t *max_queue)
{
	struct serve_named	*named;
	size_t			 i;

	named = xcalloc(cfg->nservers, sizeof *named);
	for (i = 0; i < cfg->nservers; i++) {
		named[i].name = cfg->conf->servers[i].name;
		cli_serve_config(&cfg->servers[i], &named[i].cfg);
		named[i].fingerprint = cli_server_fingerprint(cfg, i);
		if (max_queue != NULL && cfg->serve.http.max_queue == 0 &&
		    named[i].cfg.http.max_queue > *max_queue)
			*max_queue = named[i].cfg.http.max_queue;
	}
	return named;
}

static void
main_named_free(struct serve_named *named, size_t n)
{
	size_t	i;

	for (i = 0; named != NULL && i < n; i++)
		free((char *)named[i].fingerprint);
	free(named);
}

/* serve_reload_cb: the servers as the file names them now. */
static int
main_reload(void *arg, const struct serve_named **named, size_t *n)
{
	struct main_reload	*r = arg;
	struct main_gen		*g;
	char			*err = NULL, *line, *end, **keys;
	size_t			 i;

	g = xcalloc(1, sizeof *g);
	config_init(&g->cfg);
	if (cli_parse(r->argc, r->argv, &g->cfg, &err) != CLI_OK) {
		/* What --check would say, line by line. */
		for (line = err; line != NULL && *line != '\0';
		    line = end + 1) {
			end = strchr(line, '\n');
			log_error("reload: %.*s", (int)(end != NULL ?
			    end - line : (ptrdiff_t)strlen(line)), line);
			if (end == NULL)
				break;
		}
		goto fail;
	}
	if (g->cfg.nservers < 2) {
		log_error("reload: %s names %zu server%s; a bridge started "
		    "with several reloads several (restart it for one)",
		    g->cfg.conf->file, g->cfg.conf->nservers,
		    g->cfg.conf->nservers == 1 ? "" : "s");
		goto fail;
	}
	/* The listener, its paths and limits, the tokens' file, the log:
	 * they stay as the bridge started, and the log says so rather than
	 * leave a changed port looking applied. */
	keys = cli_conf_restart_keys(r->running, &g->cfg);
	for (i = 0; keys != NULL && keys[i] != NULL; i++)
		log_warnx("reload: %s: mcpbridge.%s changed: a setting of the "
		    "whole bridge, applied at its next start",
		    g->cfg.conf->file, keys[i]);
	xfreev(keys);
	g->n = g->cfg.nservers;
	g->named = main_named(&g->cfg, NULL);
	r->gens = xreallocarray(r->gens, r->ngens + 1, sizeof *r->gens);
	r->gens[r->ngens++] = g;
	*named = g->named;
	*n = g->n;
	return 0;

fail:
	free(err);
	config_free(&g->cfg);
	free(g);
	return -1;
}

int
main(int argc, char **argv)
{
	struct config		 cfg;
	struct serve_config	 scfg;
	struct client_config	 ccfg;
	struct serve_named	*named;
	struct main_reload	 reload;
	size_t			 i;
	char			*err = NULL, *line, *end;
	const char		*mode;
	enum cli_result		 res;
	locale_t		 cloc;
	int			 status, early, json, n;

	/*
	 * The format before the options are parsed for real: an error on
	 * the way (a usage error, a fatal one) is one line of the log an
	 * operator asked for, JSON included, wherever --log-format is.
	 * Without it: a --config file's, if it was read before the error.
	 */
	early = cli_log_format(argc, argv);
	log_init(LOG_LEVEL_INFO, early == LOG_FORMAT_JSON ? LOG_FORMAT_JSON :
	    LOG_FORMAT_TEXT, "mcpbridge");
	config_init(&cfg);
	res = cli_parse(argc, argv, &cfg, &err);
	json = early != -1 ? early == LOG_FORMAT_JSON :
	    cfg.log_format == LOG_FORMAT_JSON;
	if (json)
		log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, "mcpbridge");
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
			n = (int)(end != NULL ? end - line :
			    (ptrdiff_t)strlen(line));
			if (json)
				log_error("%.*s", n, line);
			else
				fprintf(stderr, "mcpbridge: %.*s\n", n, line);
			if (end == NULL)
				break;
		}
		free(err);
		config_free(&cfg);
		return EXIT_CONFIG;
	case CLI_ERROR:
		/* The error and where to read more: the whole help would
		 * push the error off the screen. */
		mode = cfg.mode == CLI_MODE_SERVE ? "serve " :
		    cfg.mode == CLI_MODE_CLIENT ? "client " : "";
		if (json) {
			log_error("%s", err);
			log_info("Run 'mcpbridge %s--help' for the options.",
			    mode);
		} else
			fprintf(stderr, "mcpbridge: %s\nRun 'mcpbridge %s--help' "
			    "for the options.\n", err, mode);
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
	/* Said once: the OTEL_* settings that were ignored. */
	if (cfg.otel.warn != NULL)
		log_warnx("OpenTelemetry: %s", cfg.otel.warn);
	/* A peer that goes away must be an error return, not a signal; so
	 * must a --log-file at the file-size limit (EFBIG, said once like a
	 * full disk), which SIGXFSZ would kill the bridge for. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);

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
			status = serve_run_servers(&scfg, named, 1, NULL, NULL);
			free(named);
			break;
		}
		/* serve --config with several servers: each its own, and
		 * SIGHUP reads them anew.  Without --max-queue, each
		 * session's queue holds two of the largest answers any
		 * server may send. */
		named = main_named(&cfg, &scfg.http.max_queue);
		if (cfg.watch)
			scfg.watch = cfg.conf->file;
		memset(&reload, 0, sizeof reload);
		reload.argc = argc;
		reload.argv = argv;
		reload.running = &cfg;
		status = serve_run_servers(&scfg, named, cfg.nservers,
		    main_reload, &reload);
		main_named_free(named, cfg.nservers);
		for (i = 0; i < reload.ngens; i++) {
			main_named_free(reload.gens[i]->named,
			    reload.gens[i]->n);
			config_free(&reload.gens[i]->cfg);
			free(reload.gens[i]);
		}
		free(reload.gens);
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
