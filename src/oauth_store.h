/* SPDX-License-Identifier: ISC */
/*
 * oauth_store.h: OAuth state at rest, one JSON file per MCP server in a
 * private directory (0700; files 0600), replaced atomically (a temporary
 * file, fsync, rename, fsync of the directory), with a lock file (flock)
 * that serializes sign-ins between processes.
 *
 * The store never logs what it holds.
 */
#ifndef MCPBRIDGE_OAUTH_STORE_H
#define MCPBRIDGE_OAUTH_STORE_H

#include <json-c/json.h>

struct oauth_store;

/* The default directory: $XDG_CONFIG_HOME/mcpbridge, else
 * $HOME/.config/mcpbridge; NULL if neither variable is set.  Caller frees. */
char		*oauth_store_default_dir(void);

/* Opens (creating it and its parents, 0700) dir and the store of the
 * server at url, whose file names are derived from a hash of url.  A
 * directory that others may enter is made private; one owned by another
 * user is refused.  NULL with *err (caller frees) on failure. */
struct oauth_store *oauth_store_open(const char *dir, const char *url,
		    char **err);
void		 oauth_store_close(struct oauth_store *);

/* The file's path (for messages and tests). */
const char	*oauth_store_path(const struct oauth_store *);

/* Takes the lock without waiting: 1 if taken (or already held), 0 if
 * another process holds it, -1 if locking failed (errno). */
int		 oauth_store_trylock(struct oauth_store *);
void		 oauth_store_unlock(struct oauth_store *);

/* The stored document, or NULL when there is none, it is not ours (the
 * server differs), or it is unsafe (readable by others: it is then left
 * alone and will be replaced).  A new reference: the caller puts it. */
json_object	*oauth_store_load(struct oauth_store *);
/* Replaces the stored document atomically; -1 with *err on failure. */
int		 oauth_store_save(struct oauth_store *, json_object *,
		    char **err);
/* Removes the stored document, if any. */
void		 oauth_store_remove(struct oauth_store *);

#endif
