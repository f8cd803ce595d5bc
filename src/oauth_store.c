/* SPDX-License-Identifier: ISC */
/*
 * oauth_store.c: OAuth tokens and client registrations at rest.
 *
 * One document per MCP server: DIR/oauth-HASH.json, HASH being the first
 * 64 bits of the SHA-256 of the server's URL, with the URL inside so that
 * a collision is noticed.  DIR is private (0700, ours); the file is 0600
 * and only ever replaced whole: written to a temporary file in DIR, synced,
 * renamed over the old one, and the directory synced.  A reader therefore
 * sees the old document or the new one, never half of one.
 *
 * DIR/oauth-HASH.lock is never renamed, so flock on it means one thing for
 * every process: this one is signing in to that server.  The others wait
 * and then read what it stored.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "file.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"
#include "oauth_store.h"
#include "xmalloc.h"

/* A bigger document is not ours. */
#define OAUTH_STORE_MAX		(1024 * 1024)
#define OAUTH_STORE_VERSION	1

struct oauth_store {
	char	*dir;
	char	*url;
	char	*path;		/* DIR/oauth-HASH.json */
	char	*lockpath;	/* DIR/oauth-HASH.lock */
	char	*tmpl;		/* DIR/.oauth-HASH.json.XXXXXX */
	int	 lockfd;
	int	 locked;
};

char *
oauth_store_default_dir(void)
{
	const char	*v;
	char		*dir;

	if ((v = getenv("XDG_CONFIG_HOME")) != NULL && v[0] == '/')
		xasprintf(&dir, "%s/mcpbridge", v);
	else if ((v = getenv("HOME")) != NULL && v[0] == '/')
		xasprintf(&dir, "%s/.config/mcpbridge", v);
	else
		return NULL;
	return dir;
}

/* mkdir -p, each new directory 0700. */
static int
oauth_store_mkdirs(const char *dir)
{
	char	*p, *s;

	s = xstrdup(dir);
	for (p = s + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, 0700) == -1 && errno != EEXIST) {
			free(s);
			return -1;
		}
		*p = '/';
	}
	free(s);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

struct oauth_store *
oauth_store_open(const char *dir, const char *url, char **err)
{
	struct oauth_store	*s;
	struct stat		 sb;
	unsigned char		 digest[SHA256_DIGEST_LENGTH];
	unsigned int		 dlen = 0;
	char			 hex[17];
	size_t			 i;

	if (dir[0] == '\0') {
		xasprintf(err, "the OAuth store needs a directory");
		return NULL;
	}
	if (oauth_store_mkdirs(dir) == -1) {
		xasprintf(err, "cannot create %s: %s", dir, strerror(errno));
		return NULL;
	}
	if (lstat(dir, &sb) == -1) {
		xasprintf(err, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(sb.st_mode)) {
		xasprintf(err, "%s is not a directory", dir);
		return NULL;
	}
	if (sb.st_uid != geteuid()) {
		xasprintf(err, "%s belongs to another user", dir);
		return NULL;
	}
	if ((sb.st_mode & 077) != 0) {
		if (chmod(dir, 0700) == -1) {
			xasprintf(err, "%s is open to others and cannot be "
			    "made private: %s", dir, strerror(errno));
			return NULL;
		}
		log_warnx("%s was open to others: made it private (0700)",
		    dir);
	}

	if (!EVP_Digest(url, strlen(url), digest, &dlen, EVP_sha256(),
	    NULL) || dlen != sizeof digest)
		fatalx("oauth_store: SHA-256 failed");
	for (i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	s = xcalloc(1, sizeof *s);
	s->dir = xstrdup(dir);
	s->url = xstrdup(url);
	xasprintf(&s->path, "%s/oauth-%s.json", dir, hex);
	xasprintf(&s->lockpath, "%s/oauth-%s.lock", dir, hex);
	xasprintf(&s->tmpl, "%s/.oauth-%s.json.XXXXXX", dir, hex);
	s->lockfd = -1;
	return s;
}

void
oauth_store_close(struct oauth_store *s)
{
	if (s == NULL)
		return;
	if (s->lockfd != -1)
		close(s->lockfd);	/* drops the lock */
	free(s->dir);
	free(s->url);
	free(s->path);
	free(s->lockpath);
	free(s->tmpl);
	free(s);
}

const char *
oauth_store_path(const struct oauth_store *s)
{
	return s->path;
}

int
oauth_store_trylock(struct oauth_store *s)
{
	if (s->locked)
		return 1;
	if (s->lockfd == -1 && (s->lockfd = open(s->lockpath,
	    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return -1;
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -1;
	}
	s->locked = 1;
	return 1;
}

void
oauth_store_unlock(struct oauth_store *s)
{
	if (!s->locked)
		return;
	flock(s->lockfd, LOCK_UN);
	s->locked = 0;
}

json_object *
oauth_store_load(struct oauth_store *s)
{
	struct file	 f;
	json_object	*doc;
	const char	*server;

	if (file_read(&f, s->path, OAUTH_STORE_MAX,
	    FILE_NOFOLLOW | FILE_OURS | FILE_PRIVATE) == -1) {
		switch (f.fail) {
		case FILE_OPEN:
			if (f.error != ENOENT) {
				errno = f.error;
				log_warn("%s", s->path);
			}
			break;
		case FILE_SHARED:
			log_warnx("ignoring %s: others may read it; it will be "
			    "replaced", s->path);
			break;
		default:
			log_warnx("ignoring %s: not a file of ours", s->path);
			break;
		}
		return NULL;
	}
	/* The project's one JSON policy: a document it refuses (one with
	 * trailing bytes, say) is ignored below like a torn one. */
	doc = jsonparse_strict(f.data, f.len, NULL);
	file_free(&f);
	if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
	    (server = jsonrpc_get_str(doc, "server")) == NULL ||
	    strcmp(server, s->url) != 0) {
		log_warnx("ignoring %s: not this server's", s->path);
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

static int
oauth_store_write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
oauth_store_save(struct oauth_store *s, json_object *doc, char **err)
{
	const char	*text;
	char		*tmp;
	int		 fd, dfd;

	json_object_object_add(doc, "server", json_object_new_string(s->url));
	json_object_object_add(doc, "version",
	    json_object_new_int(OAUTH_STORE_VERSION));
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);

	tmp = xstrdup(s->tmpl);
	if ((fd = mkstemp(tmp)) == -1) {
		xasprintf(err, "cannot create a file in %s: %s", s->dir,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0600) == -1 ||
	    oauth_store_write_all(fd, text, strlen(text)) == -1 ||
	    oauth_store_write_all(fd, "\n", 1) == -1 || fsync(fd) == -1) {
		xasprintf(err, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, s->path) == -1) {
		xasprintf(err, "cannot rename %s to %s: %s", tmp, s->path,
		    strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	/* The rename itself must survive a crash. */
	if ((dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

void
oauth_store_remove(struct oauth_store *s)
{
	if (unlink(s->path) == -1 && errno != ENOENT)
		log_warn("%s", s->path);
}
