/* SPDX-License-Identifier: ISC */
/*
 * remote.h: a remote MCP server (serve --config's "url") served like a
 * local one.  Each upstream of its server dials it through a link: the
 * dial makes a socket pair and runs client mode's HTTP session machine
 * (client_embed_new) on one end, on serve's event base; upstream.c reads
 * and writes the other end as it would a --connect socket.  So the mux
 * sees a shared child: messages in and out, up when dialled, down when
 * the remote session is lost (the cause is client mode's), reconnected
 * with upstream's backoff.
 */
#ifndef MCPBRIDGE_REMOTE_H
#define MCPBRIDGE_REMOTE_H

#include <stddef.h>

struct client_config;
struct event_base;
struct remote;
struct remote_link;

/*
 * From the server's settings (borrowed, alive as long as the remote):
 * its headers' ${VAR} are expanded here.  The variables then leave the
 * environment (no child inherits them); remote.c keeps their values for
 * the process, for other remote servers and those a reload adds.  The
 * values are never logged.  max_message: the server's
 * --max-message-size.  NULL and *err (the caller frees it; it names no
 * value) if a header cannot be made.
 */
struct remote	*remote_new(struct event_base *, const struct client_config *,
		    size_t max_message, char **err);
/*
 * Whether one "Name: value" header of a remote server can be made as
 * remote_new makes it (its ${VAR} set, no line break): 0, or -1 and *err
 * (the caller frees it; it names no value).  The file's check, at start
 * and at a reload, before anything is applied.
 */
int		 remote_header_check(const char *header, char **err);
/* Its URL as logs and /status show it: no credentials, no query. */
const char	*remote_shown(const struct remote *);
/* Every header value, for the traces to redact: i from 0 until NULL. */
const char	*remote_secret(const struct remote *, size_t i);
/* idle(arg) each time its last client is gone (a session it ended, a
 * bridge that stops); none until this is called. */
void		 remote_set_idle(struct remote *, void (*idle)(void *), void *);
/* No client runs (none dialled, or all finished). */
int		 remote_idle(const struct remote *);
/* The bridge stops: every client ends its session now (a DELETE), then
 * goes; idle follows. */
void		 remote_stop(struct remote *);
/* Frees it and every client still running (after its links). */
void		 remote_free(struct remote *);

/* One upstream's way to the remote: its upstream_config's dial, why and
 * dial_arg. */
struct remote_link *remote_link_new(struct remote *);
int		 remote_link_dial(void *link, char *buf, size_t size);
const char	*remote_link_why(void *link);
/* The client it dialled last finishes on its own. */
void		 remote_link_free(struct remote_link *);

#endif
