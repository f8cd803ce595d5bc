/* SPDX-License-Identifier: ISC */
/*
 * exitcodes.h: the process exit statuses (sysexits.h values), listed in
 * the man page.  Facts with no code: the modes pick them, so they sit
 * below the modes, not in cli.h.
 */
#ifndef MCPBRIDGE_EXITCODES_H
#define MCPBRIDGE_EXITCODES_H

#define EXIT_USAGE	64	/* bad command line */
#define EXIT_RPCERROR	65	/* client --oneshot: a JSON-RPC error answer */
#define EXIT_UNAVAILABLE 69	/* the upstream could not be started or reached */
#define EXIT_SOFTWARE	70	/* internal error (fatal) */
#define EXIT_OSERR	71	/* the system refused: bind, fork, ... */
#define EXIT_TEMPFAIL	75	/* client: a request timed out */
#define EXIT_PROTOCOL	76	/* client: the server answered with an HTTP error,
				   or with something that is not MCP */
#define EXIT_NOPERM	77	/* client: the server refused the credentials */
#define EXIT_CONFIG	78	/* serve --config: the file has an error */

#endif
