/* SPDX-License-Identifier: ISC */
/*
 * upstream.h: the stdio MCP server behind the bridge, either a child process
 * we spawn or a socket (unix:PATH, tcp:HOST:PORT) speaking the same framing.
 *
 * The rest of the program sees only messages and up/down events.  The
 * upstream restarts (or reconnects) by itself according to its policy, with
 * exponential backoff; each time it goes down the user is told with on_down,
 * with on_spawn_failed when a restart cannot run the command, and with on_up
 * when it is back.  The backoff grows while the upstream dies
 * before it works, and starts over when the user says it works
 * (upstream_healthy) or after UPSTREAM_BACKOFF_RESET_MS up.
 */
#ifndef MCPBRIDGE_UPSTREAM_H
#define MCPBRIDGE_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

struct event_base;
struct framer_peek;
struct upstream;

enum upstream_restart {
	UPSTREAM_RESTART_NO = 0,
	UPSTREAM_RESTART_ON_FAILURE,	/* restart unless it exited with 0 */
	UPSTREAM_RESTART_ALWAYS,
};

#define UPSTREAM_DEFAULT_MAX_MESSAGE	(16u * 1024 * 1024)
#define UPSTREAM_DEFAULT_KILL_TIMEOUT_MS 5000
#define UPSTREAM_BACKOFF_MIN_MS		100
#define UPSTREAM_BACKOFF_MAX_MS		30000
#define UPSTREAM_BACKOFF_RESET_MS	60000
/* Bytes queued towards the child's stdin before upstream_send refuses. */
#define UPSTREAM_DEFAULT_MAX_OUTPUT	(64u * 1024 * 1024)

struct upstream_config {
	char *const	*argv;		/* command and arguments; NULL if connect */
	char *const	*env;		/* extra KEY=VALUE entries, NULL-terminated; may be NULL */
	const char	*cwd;		/* may be NULL */
	const char	*connect;	/* "unix:PATH" or "tcp:HOST:PORT"; NULL to spawn;
					   with dial, what log lines name */
	/* A socket made by the caller instead (serve's remote servers): dial
	 * returns a connected stream socket upstream then owns, or -1 with a
	 * cause in buf (retried with backoff like a refused connect).  why,
	 * if not NULL, may name the cause when the socket ends (else
	 * "connection closed"). */
	int		(*dial)(void *dial_arg, char *buf, size_t size);
	const char	*(*why)(void *dial_arg);
	void		*dial_arg;
	size_t		 max_message;	/* line cap, bytes */
	size_t		 max_output;	/* queued bytes towards the upstream */
	int		 kill_timeout_ms;
	enum upstream_restart restart;
	/* Backoff bounds; 0 means the defaults above (tests shorten them). */
	int		 backoff_min_ms;
	int		 backoff_max_ms;
	int		 backoff_reset_ms;
	const char	*tag;		/* names it in log lines, e.g. "child" */
	/* Plain answers come with their result raw (rawjson.h): for a
	 * caller that looks into the results it needs (the mux) and no
	 * further. */
	int		 raw_answers;
};

struct upstream_ops {
	/* One JSON value (object or batch array) read from the upstream; the
	 * callee owns msg. */
	void	(*on_message)(void *arg, json_object *msg);
	/* Spawned, or connected: ready for upstream_send. */
	void	(*on_up)(void *arg);
	/* Gone (exited or disconnected).  cause is a short human text such as
	 * "exited with status 1" or "killed by signal 9".  will_restart says
	 * whether a restart (reconnect) has been scheduled. */
	void	(*on_down)(void *arg, const char *cause, int will_restart);
	/* A restart could not run the command (missing, not executable, a
	 * bad cwd): cause is upstream_error's text.  Another attempt is
	 * scheduled, with backoff.  May be NULL. */
	void	(*on_spawn_failed)(void *arg, const char *cause);
	/* upstream_stop finished: nothing is left running. May be NULL. */
	void	(*on_stopped)(void *arg);
	/* A line was dropped unread (over max_message, or not JSON), when
	 * it ended; what its two ends showed (framer.h).  May be NULL. */
	void	(*on_dropped)(void *arg, const struct framer_peek *);
};

struct upstream_stats {
	uint64_t	starts;		/* successful spawns/connects */
	uint64_t	restarts;	/* of which restarts */
	uint64_t	messages_in;
	uint64_t	messages_out;
	uint64_t	bytes_in;
	uint64_t	bytes_out;
	uint64_t	oversized;	/* lines dropped for length */
	uint64_t	nonjson;	/* lines dropped for not being JSON */
	int		last_status;	/* raw wait status of the last exit, -1 if none */
};

/* The config is copied; argv/env strings are copied too. */
struct upstream	*upstream_new(struct event_base *, const struct upstream_config *,
		    const struct upstream_ops *, void *arg);
/* Spawns or connects; -1 (with a log line) if that failed at once, a
 * command that cannot run (missing, not executable, a bad cwd) included:
 * that is known before upstream_start returns.  A connect that fails is
 * retried with backoff and is not an error here. */
int		 upstream_start(struct upstream *);
/* Why the last start or restart could not run the command ("cannot run
 * 'x': No such file or directory"), or NULL if it could. */
const char	*upstream_error(const struct upstream *);
/* Queues msg (not consumed) as one compact line.  -1 if the upstream is not
 * up or its output queue is over max_output. */
int		 upstream_send(struct upstream *, json_object *msg);
/* upstream_send for a message already written: len bytes at s, one line
 * of JSON text (copied). */
int		 upstream_send_text(struct upstream *, const char *s,
		    size_t len);
int		 upstream_is_up(const struct upstream *);
pid_t		 upstream_pid(const struct upstream *);	/* -1 when none */
/* When it last came up (clock_ms), 0 when it is not up. */
uint64_t	 upstream_up_since(const struct upstream *);
const struct upstream_stats *upstream_stats(const struct upstream *);
/* The delay in ms of the restart (or reconnect) waiting, -1 if none: for
 * on_down's line, the one that tells of the event. */
int		 upstream_restart_delay(const struct upstream *);
/* The user found the upstream working (it completed its handshake): the
 * backoff starts over, so its next restart comes after backoff_min_ms. */
void		 upstream_healthy(struct upstream *);
/* Graceful stop, no restart: close stdin, wait kill_timeout_ms, SIGTERM the
 * process group, wait again, SIGKILL.  on_stopped is called when both pipe EOF
 * and waitpid have happened (or at once if nothing is running). */
void		 upstream_stop(struct upstream *);
/* Frees; the upstream must be stopped (or never started). */
void		 upstream_free(struct upstream *);

#endif
