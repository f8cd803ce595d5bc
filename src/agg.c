/* SPDX-License-Identifier: ISC */
/*
 * agg.c: the aggregated endpoint (agg.h).  A client session (struct
 * agg_session) has a link per server it needed: a Streamable HTTP session
 * of that server's mux, opened with the client's own initialize (so the
 * mux knows what the client can be asked), and used with ids of our own
 * (sid) that are also the stream numbers: the mux's answer to a request,
 * and what the server sends about it (progress, log lines, its requests),
 * come back on the request's stream, so each is routed to the client
 * request that caused it.
 *
 * A client request (struct agg_req) has one part per server it went to:
 * a list one part per server, a call one.  Lists merge in server order;
 * names become NAME<sep>name (agg_name), URIs mcpbridge+NAME:uri
 * (agg_uri: the server's own follows unchanged, so templates stay
 * templates and the way back is exact), and a list's cursor says which
 * servers have more and where (agg_cursor_encode).
 *
 * The servers' own requests get ids of the client session's (cid) and
 * their answers go back under the server's id.  The tool filters are the
 * muxes' (mux_config.tools): a hidden tool never reaches us.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "agg.h"
#include "base64.h"
#include "hmap.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "modern.h"
#include "rawjson.h"
#include "xmalloc.h"

/* At most this many [server, cursor] pairs in a cursor. */
#define AGG_CURSOR_PAIRS_MAX	128

struct agg_server {
	const char		*name;
	struct mux		*mux;
	int			 gone;
	/* The OAuth scopes its routes need beside the bridge's, owned */
	char			**scopes;
	size_t			 nscopes;
};

/* A message for a link whose initialize is not answered yet. */
struct agg_pend {
	json_object		*msg;
	uint64_t		 sid;
	TAILQ_ENTRY(agg_pend)	 entry;
};

/* A client session's session at one server. */
struct agg_link {
	struct agg_session	*as;
	size_t			 server;
	struct mux_session	*ms;		/* NULL: not open */
	uint64_t		 init_sid;	/* 0: initialized */
	TAILQ_HEAD(, agg_pend)	 queue;
};

enum agg_req_kind {
	AGG_REQ_LIST = 0,	/* fanned out, merged */
	AGG_REQ_CALL,		/* one server's answer, passed on */
	AGG_REQ_ALL,		/* fanned out, answered {} */
	AGG_REQ_LISTEN,		/* 2026-07-28 subscriptions/listen, merged */
};

/*
 * The methods routed to servers: a list (its array's key) or a call, and
 * what names the item: a name (NAME<sep>name) or a URI
 * (AGG_URI_SCHEME NAME ":" uri).  completion/complete names its target
 * in params.ref, by name or URI by its type.
 */
struct agg_method {
	const char		*method;
	enum agg_req_kind	 kind;
	const char		*key;
	const char		*field;
	int			 uri;
	const char		*what;
};

static const struct agg_method agg_methods[] = {
	{ "tools/list", AGG_REQ_LIST, "tools", "name", 0, "tool" },
	{ "prompts/list", AGG_REQ_LIST, "prompts", "name", 0, "prompt" },
	{ "resources/list", AGG_REQ_LIST, "resources", "uri", 1, "resource" },
	{ "resources/templates/list", AGG_REQ_LIST, "resourceTemplates",
	    "uriTemplate", 1, "resource template" },
	{ "tools/call", AGG_REQ_CALL, NULL, "name", 0, "tool" },
	{ "prompts/get", AGG_REQ_CALL, NULL, "name", 0, "prompt" },
	{ "resources/read", AGG_REQ_CALL, NULL, "uri", 1, "resource" },
	{ "resources/subscribe", AGG_REQ_CALL, NULL, "uri", 1, "resource" },
	{ "resources/unsubscribe", AGG_REQ_CALL, NULL, "uri", 1, "resource" },
	{ "completion/complete", AGG_REQ_CALL, "ref", NULL, 0, "reference" },
};

struct agg_part {
	struct agg_req		*req;
	size_t			 server;
	uint64_t		 sid;		/* 0: not in flight */
	char			*cursor;	/* the server's, for lists */
	json_object		*result;	/* a list's answer */
};

struct agg_req {
	struct agg_session	*as;
	json_object		*id;		/* the client's (a copy) */
	uint64_t		 stream;	/* the client's */
	enum agg_req_kind	 kind;
	const struct agg_method	*m;		/* NULL: logging/setLevel */
	int			 cancelled;
	/* A list's: when its parts in flight are given up (agg_tick
	 * sets it at its first tick, 0 before). */
	uint64_t		 deadline;
	size_t			 waiting;	/* parts in flight */
	struct agg_part		*parts;
	size_t			 nparts;
	TAILQ_ENTRY(agg_req)	 entry;
};

/* A server's request waiting for the client's answer. */
struct agg_sreq {
	struct agg_link		*link;
	json_object		*id;		/* the server's (a copy) */
	int64_t			 cid;		/* the client's */
	/* Its _meta.progressToken (a copy), or NULL.  The client is
	 * shown cid instead: two servers may use the same token, and
	 * its progress must reach the one that asked. */
	json_object		*ptoken;
	TAILQ_ENTRY(agg_sreq)	 entry;
};

/* A client's batch being answered: its members' answers, gathered into
 * the one final answer of its stream (agg_out). */
struct agg_batch {
	uint64_t		 stream;
	size_t			 waiting;	/* requests not answered */
	json_object		*answers;	/* an array */
	TAILQ_ENTRY(agg_batch)	 entry;
};

struct agg_session {
	struct agg		*agg;
	enum mux_transport	 transport;
	void			*data;
	uint64_t		 principal;
	int			 initialized;
	char			*version;
	json_object		*init;		/* the client's initialize params */
	char			*level;		/* logging/setLevel's, or NULL */
	/* The current request's token's scopes (owned), or all of them */
	char			**grant;
	size_t			 ngrant;
	int			 grant_all;
	struct agg_link		**links;	/* by server, NULL: none yet */
	int			 away;		/* agg_session_away */
	size_t			 nlinks;
	TAILQ_HEAD(, agg_req)	 reqs;
	TAILQ_HEAD(, agg_sreq)	 sreqs;
	size_t			 nsreqs;
	TAILQ_HEAD(, agg_batch)	 batches;
	int64_t			 next_cid;
	TAILQ_ENTRY(agg_session) entry;
};

struct agg_qout {
	struct agg_out		 out;
	TAILQ_ENTRY(agg_qout)	 entry;
};

struct agg {
	char			*sep;
	uint64_t		 list_timeout_ms;	/* 0: none */
	char			*name;
	char			*version;
	struct agg_server	*servers;
	size_t			 nservers;
	struct hmap		 links;		/* by mux session */
	struct hmap		 parts;		/* by sid */
	uint64_t		 next_sid;
	TAILQ_HEAD(, agg_session) sessions;
	TAILQ_HEAD(, agg_qout)	 outs;
	/* Merged name -> [server name, original] of every tool (prompt)
	 * a list showed, the last list's word for it: a call goes where
	 * the list said, never to another server whose name with the
	 * separator happens to prefix it too.  At most AGG_SHORT_MAX
	 * members each; a shortened name beyond is left out of the list,
	 * another routed by its prefix (agg_resolve). */
	json_object		*tools;
	json_object		*prompts;
};

static void	agg_send(struct agg *, struct agg_link *, json_object *,
		    uint64_t);
static void	agg_part_done(struct agg *, struct agg_part *, json_object *);
static json_object *agg_with(json_object *, const char *, json_object *);
static json_object *agg_server_info(struct agg *);

static int
agg_link_match(const void *v, const void *key)
{
	return ((const struct agg_link *)v)->ms == key;
}

static int
agg_part_match(const void *v, const void *key)
{
	return ((const struct agg_part *)v)->sid == *(const uint64_t *)key;
}

/* ---- names and cursors ---- */

int
agg_separator_valid(const char *sep)
{
	size_t	i, n;

	if (sep == NULL || (n = strlen(sep)) == 0 || n > AGG_SEPARATOR_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (!(sep[i] >= 'a' && sep[i] <= 'z') &&
		    !(sep[i] >= 'A' && sep[i] <= 'Z') &&
		    !(sep[i] >= '0' && sep[i] <= '9') &&
		    strchr("_.-", sep[i]) == NULL)
			return 0;
	}
	return 1;
}

void
agg_name(const char *sep, const char *server, const char *name, char *buf)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		*full;
	size_t		 len, i, keep = AGG_NAME_MAX - AGG_HASH_HEX - 1;

	len = (size_t)xasprintf(&full, "%s%s%s", server, sep, name);
	if (len <= AGG_NAME_MAX) {
		memcpy(buf, full, len + 1);
		free(full);
		return;
	}
	/* Deterministic: the same name is cut the same way every time, in
	 * every process, so a client's call of it finds it again. */
	if (EVP_Digest(full, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < AGG_HASH_HEX / 2)
		fatalx("SHA-256 failed");
	memcpy(buf, full, keep);
	buf[keep] = '-';
	for (i = 0; i < AGG_HASH_HEX / 2; i++)
		snprintf(buf + keep + 1 + 2 * i, 3, "%02x", md[i]);
	free(full);
}

char *
agg_cursor_encode(json_object *pairs)
{
	const char	*text;
	size_t		 len;

	text = json_object_to_json_string_length(pairs,
	    JSON_C_TO_STRING_PLAIN, &len);
	return base64_encode(text, len, BASE64_URL | BASE64_NOPAD);
}

json_object *
agg_cursor_decode(const char *s, size_t len)
{
	unsigned char	*raw;
	size_t		 rawlen, i, n;
	json_object	*o = NULL, *p, *a, *b;
	const char	*cause;

	if (len == 0 || len > AGG_CURSOR_MAX)
		return NULL;
	raw = xmalloc(len * 3 / 4 + 1);
	if (base64_decode(s, len, raw, &rawlen, BASE64_URL | BASE64_NOPAD) ==
	    -1 || (o = jsonparse_strict((const char *)raw, rawlen,
	    &cause)) == NULL)
		goto fail;
	if (!json_object_is_type(o, json_type_array) ||
	    (n = json_object_array_length(o)) == 0 || n > AGG_CURSOR_PAIRS_MAX)
		goto fail;
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(o, i);
		if (!json_object_is_type(p, json_type_array) ||
		    json_object_array_length(p) != 2)
			goto fail;
		a = json_object_array_get_idx(p, 0);
		b = json_object_array_get_idx(p, 1);
		if (!json_object_is_type(a, json_type_string) ||
		    !json_object_is_type(b, json_type_string))
			goto fail;
	}
	free(raw);
	return o;
fail:
	json_object_put(o);
	free(raw);
	return NULL;
}

/* ---- the agg ---- */

struct agg *
agg_new(const struct agg_config *cfg)
{
	struct agg	*a;

	a = xcalloc(1, sizeof *a);
	a->sep = xstrdup(cfg->separator != NULL ? cfg->separator :
	    AGG_DEFAULT_SEPARATOR);
	a->name = xstrdup(cfg->name != NULL ? cfg->name : "mcpbridge");
	a->version = xstrdup(cfg->version != NULL ? cfg->version : "");
	a->next_sid = 1;
	TAILQ_INIT(&a->sessions);
	TAILQ_INIT(&a->outs);
	a->list_timeout_ms = cfg->list_timeout_ms;
	a->tools = json_object_new_object();
	a->prompts = json_object_new_object();
	return a;
}

static void
agg_strings_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
agg_free(struct agg *a)
{
	struct agg_qout	*q;
	size_t		 i;

	if (a == NULL)
		return;
	while (!TAILQ_EMPTY(&a->sessions))
		agg_session_close(a, TAILQ_FIRST(&a->sessions));
	while ((q = TAILQ_FIRST(&a->outs)) != NULL) {
		TAILQ_REMOVE(&a->outs, q, entry);
		json_object_put(q->out.msg);
		free(q);
	}
	hmap_clear(&a->links);
	hmap_clear(&a->parts);
	json_object_put(a->tools);
	json_object_put(a->prompts);
	for (i = 0; i < a->nservers; i++)
		agg_strings_free(a->servers[i].scopes, a->servers[i].nscopes);
	free(a->servers);
	free(a->sep);
	free(a->name);
	free(a->version);
	free(a);
}

int
agg_names_overlap(const char *sep, const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), ls = strlen(sep), w;

	if (la > lb)
		return agg_names_overlap(sep, b, a);
	/* b = a + w: "a" sep t = "b" sep u needs sep = (w sep)[0, ls),
	 * i.e. w a start of sep, and sep repeating every |w|.  A longer
	 * w starts with sep, which no name holds. */
	w = lb - la;
	return w > 0 && w < ls && strncmp(a, b, la) == 0 &&
	    strncmp(b + la, sep, w) == 0 &&
	    strncmp(sep + w, sep, ls - w) == 0;
}

size_t
agg_add_server(struct agg *a, const char *name, struct mux *mux)
{
	size_t	i;

	for (i = 0; i < a->nservers; i++)
		if (!a->servers[i].gone &&
		    agg_names_overlap(a->sep, a->servers[i].name, name))
			log_warnx("servers %s and %s: a merged name may be "
			    "either's (with --tool-separator '%s'); a call "
			    "goes where the last list showed it, one no list "
			    "showed that both could own is refused",
			    a->servers[i].name, name, a->sep);
	a->servers = xreallocarray(a->servers, a->nservers + 1,
	    sizeof *a->servers);
	a->servers[a->nservers].name = name;
	a->servers[a->nservers].mux = mux;
	a->servers[a->nservers].gone = 0;
	a->servers[a->nservers].scopes = NULL;
	a->servers[a->nservers].nscopes = 0;
	return a->nservers++;
}

void
agg_server_scopes(struct agg *a, size_t i, const char *const *scopes,
    size_t n)
{
	struct agg_server	*srv = &a->servers[i];
	size_t			 j;

	agg_strings_free(srv->scopes, srv->nscopes);
	srv->scopes = xcalloc(n > 0 ? n : 1, sizeof *srv->scopes);
	for (j = 0; j < n; j++)
		srv->scopes[j] = xstrdup(scopes[j]);
	srv->nscopes = n;
}

/* The request being received holds server i's own scopes. */
static int
agg_allowed(const struct agg *a, const struct agg_session *as, size_t i)
{
	const struct agg_server	*srv = &a->servers[i];
	size_t			 j, k;

	if (as->grant_all)
		return 1;
	for (j = 0; j < srv->nscopes; j++) {
		for (k = 0; k < as->ngrant; k++)
			if (strcmp(srv->scopes[j], as->grant[k]) == 0)
				break;
		if (k == as->ngrant)
			return 0;
	}
	return 1;
}

int
agg_next(struct agg *a, struct agg_out *out)
{
	struct agg_qout	*q;

	if ((q = TAILQ_FIRST(&a->outs)) == NULL)
		return 0;
	TAILQ_REMOVE(&a->outs, q, entry);
	*out = q->out;
	free(q);
	return 1;
}

int
agg_ready(const struct agg *a)
{
	size_t	i;

	for (i = 0; i < a->nservers; i++)
		if (!a->servers[i].gone && mux_ready(a->servers[i].mux))
			return 1;
	return 0;
}

int
agg_tool_named(const struct agg *a, const char *tool)
{
	return json_object_object_get_ex(a->tools, tool, NULL);
}

/* The names listed of what ("tool", "prompt"). */
static json_object *
agg_listed(const struct agg *a, const char *what)
{
	return strcmp(what, "tool") == 0 ? a->tools : a->prompts;
}

static int	agg_resolve(const struct agg *, const char *, const char *,
		    size_t *, char **);

json_object *
agg_tool_headers(const struct agg *a, const char *tool)
{
	json_object	*spec;
	char		*orig;
	size_t		 srv;

	if (agg_resolve(a, "tool", tool, &srv, &orig) < 0)
		return NULL;
	spec = mux_tool_headers(a->servers[srv].mux, orig);
	free(orig);
	return spec;
}

static void
agg_batch_free(struct agg_session *as, struct agg_batch *b)
{
	TAILQ_REMOVE(&as->batches, b, entry);
	json_object_put(b->answers);
	free(b);
}

/*
 * msg (consumed; NULL: a cancelled request's end) for the client.  The
 * final answer of a batch's member is gathered: the last one sends them
 * all as the stream's final (NULL if every member was cancelled).
 */
static void
agg_out(struct agg *a, struct agg_session *as, uint64_t stream, int final,
    json_object *msg)
{
	struct agg_qout		*q;
	struct agg_batch	*b;

	if (final) {
		TAILQ_FOREACH(b, &as->batches, entry)
			if (b->stream == stream)
				break;
		if (b != NULL) {
			if (msg != NULL)
				json_object_array_add(b->answers, msg);
			if (--b->waiting > 0)
				return;
			msg = json_object_array_length(b->answers) > 0 ?
			    json_object_get(b->answers) : NULL;
			agg_batch_free(as, b);
		}
	}
	q = xcalloc(1, sizeof *q);
	q->out.kind = MUX_OUT_SESSION;
	q->out.session = as;
	q->out.data = as->data;
	q->out.stream = stream;
	q->out.final = final;
	q->out.msg = msg;
	TAILQ_INSERT_TAIL(&a->outs, q, entry);
}

static void
agg_error(struct agg *a, struct agg_session *as, uint64_t stream,
    json_object *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
agg_error(struct agg *a, struct agg_session *as, uint64_t stream,
    json_object *id, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	agg_out(a, as, stream, 1, jsonrpc_error_new(id, code, text, NULL));
	free(text);
}

/* ---- links ---- */

static struct agg_link *
agg_link(struct agg *a, struct agg_session *as, size_t i)
{
	struct agg_link	*l;

	if (i >= as->nlinks) {
		as->links = xreallocarray(as->links, a->nservers,
		    sizeof *as->links);
		memset(as->links + as->nlinks, 0,
		    (a->nservers - as->nlinks) * sizeof *as->links);
		as->nlinks = a->nservers;
	}
	if ((l = as->links[i]) == NULL) {
		l = xcalloc(1, sizeof *l);
		l->as = as;
		l->server = i;
		TAILQ_INIT(&l->queue);
		as->links[i] = l;
	}
	return l;
}

/* Opens l at its server's mux: the client's initialize goes first. */
static void
agg_link_open(struct agg *a, struct agg_link *l)
{
	struct agg_session	*as = l->as;
	struct mux		*mux = a->servers[l->server].mux;
	json_object		*params;

	/* A 2026-07-28 request's: a request of the same era there, which
	 * carries what it needs in its _meta; no handshake. */
	if (as->transport == MUX_TRANSPORT_STATELESS) {
		l->ms = mux_session_new(mux, MUX_TRANSPORT_STATELESS, as->data);
		mux_session_set_principal(l->ms, as->principal);
		hmap_add(&a->links, hmap_hash_ptr(l->ms), l);
		return;
	}
	l->ms = mux_session_new(mux, MUX_TRANSPORT_STREAMABLE, as->data);
	mux_session_set_principal(l->ms, as->principal);
	mux_session_away(l->ms, as->away);
	hmap_add(&a->links, hmap_hash_ptr(l->ms), l);
	l->init_sid = a->next_sid++;
	params = as->init != NULL ? jsonrpc_copy(as->init) :
	    json_object_new_object();
	mux_session_recv(mux, l->ms, jsonrpc_request_new((int64_t)l->init_sid,
	    "initialize", params), l->init_sid);
}

static void
agg_sreq_free(struct agg_session *as, struct agg_sreq *sr)
{
	TAILQ_REMOVE(&as->sreqs, sr, entry);
	as->nsreqs--;
	json_object_put(sr->id);
	json_object_put(sr->ptoken);
	free(sr);
}

/*
 * l's session at its server is over (why: its end, a failed initialize;
 * NULL: the client's, nothing is owed): what waits there is answered with
 * an error naming the server, and the next request opens it anew.
 */
static void
agg_link_close(struct agg *a, struct agg_link *l, const char *why)
{
	struct agg_session	*as = l->as;
	struct agg_pend		*p;
	struct agg_part		*part;
	struct agg_sreq		*sr, *next;
	struct agg_req		*req, *rnext;
	json_object		*err;
	size_t			 i;

	if (l->ms != NULL) {
		hmap_del(&a->links, hmap_hash_ptr(l->ms), l);
		mux_session_close(a->servers[l->server].mux, l->ms);
		l->ms = NULL;
	}
	l->init_sid = 0;
	while ((p = TAILQ_FIRST(&l->queue)) != NULL) {
		TAILQ_REMOVE(&l->queue, p, entry);
		json_object_put(p->msg);
		free(p);
	}
	for (sr = TAILQ_FIRST(&as->sreqs); sr != NULL; sr = next) {
		next = TAILQ_NEXT(sr, entry);
		if (sr->link == l)
			agg_sreq_free(as, sr);
	}
	if (why == NULL)
		return;
	/* The requests that were there: each part gets its error (a
	 * request may end, and free others' parts, so start again). */
	for (req = TAILQ_FIRST(&as->reqs); req != NULL; req = rnext) {
		rnext = TAILQ_NEXT(req, entry);
		for (i = 0; i < req->nparts; i++) {
			part = &req->parts[i];
			if (part->server != l->server || part->sid == 0)
				continue;
			err = jsonrpc_error_new(NULL, JSONRPC_SERVER_ERROR, why,
			    NULL);
			agg_part_done(a, part, err);
			rnext = TAILQ_FIRST(&as->reqs);
			break;
		}
	}
}

/* msg (consumed) for l's server, as request sid (or a notification). */
static void
agg_send(struct agg *a, struct agg_link *l, json_object *msg, uint64_t sid)
{
	struct agg_pend	*p;

	if (l->ms == NULL)
		agg_link_open(a, l);
	if (l->init_sid != 0) {
		p = xcalloc(1, sizeof *p);
		p->msg = msg;
		p->sid = sid;
		TAILQ_INSERT_TAIL(&l->queue, p, entry);
		return;
	}
	mux_session_recv(a->servers[l->server].mux, l->ms, msg, sid);
}

/* l's initialize was answered. */
static void
agg_link_initialized(struct agg *a, struct agg_link *l, json_object *msg)
{
	struct agg_server	*srv = &a->servers[l->server];
	struct agg_pend		*p;
	json_object		*err, *params;
	const char		*why;
	char			*text;

	l->init_sid = 0;
	if ((err = jsonrpc_get(msg, "error", json_type_object)) != NULL) {
		why = jsonrpc_get_str(err, "message");
		xasprintf(&text, "Server %s is not available: %s", srv->name,
		    why != NULL ? why : "it refused to initialize");
		log_warnx("aggregated endpoint: %s", text);
		agg_link_close(a, l, text);
		free(text);
		return;
	}
	mux_session_recv(srv->mux, l->ms, jsonrpc_notification_new(
	    "notifications/initialized", NULL), a->next_sid++);
	if (l->as->level != NULL) {
		/* Its answer has no part: dropped when it comes. */
		params = json_object_new_object();
		jsonrpc_add(params, "level",
		    json_object_new_string(l->as->level));
		mux_session_recv(srv->mux, l->ms, jsonrpc_request_new(
		    (int64_t)a->next_sid, "logging/setLevel", params),
		    a->next_sid);
		a->next_sid++;
	}
	/* Sending may close l (an answer cannot come synchronously from a
	 * mux, but keep to the queue's own order and look each time). */
	while (l->ms != NULL && (p = TAILQ_FIRST(&l->queue)) != NULL) {
		TAILQ_REMOVE(&l->queue, p, entry);
		mux_session_recv(srv->mux, l->ms, p->msg, p->sid);
		free(p);
	}
}

/* ---- client requests ---- */

static struct agg_req *
agg_req_new(struct agg_session *as, json_object *msg, uint64_t stream,
    enum agg_req_kind kind, size_t nparts)
{
	struct agg_req	*req;

	req = xcalloc(1, sizeof *req);
	req->as = as;
	req->id = jsonrpc_id_copy(jsonrpc_id(msg));
	req->stream = stream;
	req->kind = kind;
	req->parts = xcalloc(nparts > 0 ? nparts : 1, sizeof *req->parts);
	TAILQ_INSERT_TAIL(&as->reqs, req, entry);
	return req;
}

static void
agg_req_free(struct agg *a, struct agg_req *req)
{
	size_t	i;

	TAILQ_REMOVE(&req->as->reqs, req, entry);
	for (i = 0; i < req->nparts; i++) {
		if (req->parts[i].sid != 0)
			hmap_del(&a->parts, hmap_mix(req->parts[i].sid),
			    &req->parts[i]);
		free(req->parts[i].cursor);
		json_object_put(req->parts[i].result);
	}
	json_object_put(req->id);
	free(req->parts);
	free(req);
}

/* Sends msg (consumed), with the part's new id, to its server. */
static void
agg_part_send(struct agg *a, struct agg_part *part, json_object *msg)
{
	json_object	*copy;
	const char	*drop[] = { "id", NULL };

	part->sid = a->next_sid++;
	hmap_add(&a->parts, hmap_mix(part->sid), part);
	part->req->waiting++;
	copy = jsonrpc_copy_shallow(msg, drop);
	json_object_put(msg);
	jsonrpc_add(copy, "id", json_object_new_int64((int64_t)part->sid));
	agg_send(a, agg_link(a, part->req->as, part->server), copy, part->sid);
}

/* One server's answer (consumed) to its part of a list. */
static void
agg_list_part(struct agg *a, struct agg_part *part, json_object *msg)
{
	const char	*name = a->servers[part->server].name, *why = NULL;
	json_object	*result = NULL, *err;

	/* Most answers pass the mux unparsed (rawjson.h): look inside. */
	if (json_object_object_get_ex(msg, "result", &result))
		result = rawjson_is(result) ? rawjson_parse(result, &why) :
		    json_object_get(result);
	if (result != NULL &&
	    jsonrpc_get(result, part->req->m->key, json_type_array) != NULL) {
		part->result = result;
		json_object_put(msg);
		return;
	}
	json_object_put(result);
	err = jsonrpc_get(msg, "error", json_type_object);
	if (err != NULL)
		why = jsonrpc_get_str(err, "message");
	if (err != NULL && json_object_get_int(json_object_object_get(err,
	    "code")) == JSONRPC_METHOD_NOT_FOUND)
		log_debug("aggregated %s: server %s has none",
		    part->req->m->method, name);
	else
		log_warnx("aggregated %s: server %s left out: %s",
		    part->req->m->method, name, why != NULL ? why :
		    "no list in its answer");
	json_object_put(msg);
}

/* Remembers a name listed (to route its calls, to name it in the
 * metrics); 0, or -1 if it cannot be and must be left out. */
static int
agg_remember(struct agg *a, const char *what, const char *exposed,
    const char *server, const char *orig, int shortened)
{
	json_object	*map = agg_listed(a, what), *v;

	if (!json_object_object_get_ex(map, exposed, NULL) &&
	    json_object_object_length(map) >= AGG_SHORT_MAX) {
		if (!shortened)
			return 0;
		log_warnx("aggregated list: %s%s%s left out: more than "
		    "%d shortened names", server, a->sep, orig,
		    AGG_SHORT_MAX);
		return -1;
	}
	v = json_object_new_array();
	json_object_array_add(v, json_object_new_string(server));
	json_object_array_add(v, json_object_new_string(orig));
	json_object_object_add(map, exposed, v);
	return 0;
}

/* Every part of a list answered: the merged answer. */
static void
agg_list_done(struct agg *a, struct agg_req *req)
{
	struct agg_session	*as = req->as;
	struct agg_part		*part;
	json_object		*items, *seen, *list, *item, *copy, *v, *pairs;
	json_object		*result, *pair;
	const struct agg_method	*m = req->m;
	const char		*name, *server, *next;
	const char		*drop[] = { m->field, NULL };
	char			 exposed[AGG_NAME_MAX + 1], *cursor, *uri;
	size_t			 i, j, n;

	items = json_object_new_array();
	seen = json_object_new_object();
	pairs = json_object_new_array();
	for (i = 0; i < req->nparts; i++) {
		part = &req->parts[i];
		if (part->result == NULL)
			continue;
		server = a->servers[part->server].name;
		list = jsonrpc_get(part->result, m->key, json_type_array);
		n = json_object_array_length(list);
		for (j = 0; j < n; j++) {
			item = json_object_array_get_idx(list, j);
			if ((name = jsonrpc_get_str(item, m->field)) == NULL)
				continue;
			if (m->uri) {
				/* One server's URIs are its own: no clash. */
				uri = agg_uri(server, name);
				copy = jsonrpc_copy_shallow(item, drop);
				json_object_object_add(copy, m->field,
				    json_object_new_string(uri));
				free(uri);
				json_object_array_add(items, copy);
				continue;
			}
			agg_name(a->sep, server, name, exposed);
			if (json_object_object_get_ex(seen, exposed, &v)) {
				log_warnx("aggregated %s: %s %s of server %s "
				    "left out: its name %s is taken by %s",
				    m->method, m->what, name, server, exposed,
				    json_object_get_string(v));
				continue;
			}
			if (agg_remember(a, m->what, exposed, server, name,
			    strlen(server) + strlen(a->sep) + strlen(name) >
			    AGG_NAME_MAX) == -1)
				continue;
			xasprintf(&cursor, "%s %s of server %s", m->what, name,
			    server);
			json_object_object_add(seen, exposed,
			    json_object_new_string(cursor));
			free(cursor);
			copy = jsonrpc_copy_shallow(item, drop);
			jsonrpc_add(copy, "name",
			    json_object_new_string(exposed));
			json_object_array_add(items, copy);
		}
		if ((next = jsonrpc_get_str(part->result, "nextCursor")) !=
		    NULL) {
			pair = json_object_new_array();
			json_object_array_add(pair,
			    json_object_new_string(server));
			json_object_array_add(pair,
			    json_object_new_string(next));
			json_object_array_add(pairs, pair);
		}
	}
	result = json_object_new_object();
	json_object_object_add(result, m->key, items);
	if (json_object_array_length(pairs) > 0) {
		cursor = agg_cursor_encode(pairs);
		jsonrpc_add(result, "nextCursor",
		    json_object_new_string(cursor));
		free(cursor);
	}
	json_object_put(pairs);
	json_object_put(seen);
	if (as->transport == MUX_TRANSPORT_STATELESS) {
		/* As a 2026-07-28 server answers: the bridge's. */
		v = agg_server_info(a);
		copy = modern_result(m->method, result, v);
		json_object_put(v);
		json_object_put(result);
		result = copy;
	}
	agg_out(a, as, req->stream, 1, jsonrpc_result_new(req->id, result));
}

/* A resources/read answer (consumed) with its contents' URIs merged
 * ones (a new message). */
static json_object *
agg_read_result(struct agg *a, size_t server, json_object *msg)
{
	json_object	*result, *contents, *c, *copy, *out;
	const char	*uri, *cause;
	char		*merged;
	size_t		 i, n;

	if (!json_object_object_get_ex(msg, "result", &result))
		return msg;
	result = rawjson_is(result) ? rawjson_parse(result, &cause) :
	    json_object_get(result);
	if ((contents = jsonrpc_get(result, "contents", json_type_array)) ==
	    NULL) {
		json_object_put(result);
		return msg;
	}
	out = json_object_new_array();
	n = json_object_array_length(contents);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(contents, i);
		if ((uri = jsonrpc_get_str(c, "uri")) == NULL) {
			json_object_array_add(out, json_object_get(c));
			continue;
		}
		merged = agg_uri(a->servers[server].name, uri);
		copy = agg_with(c, "uri", json_object_new_string(merged));
		free(merged);
		json_object_array_add(out, copy);
	}
	copy = agg_with(msg, "result", agg_with(result, "contents", out));
	json_object_put(result);
	json_object_put(msg);
	return copy;
}

/* A content item of a tool's or a prompt's result, with the URI of a
 * resource link or an embedded resource merged (a new object), or NULL
 * if it has none. */
static json_object *
agg_content_item(struct agg *a, size_t server, json_object *c)
{
	json_object	*r, *v;
	const char	*type, *uri;
	char		*merged;

	if ((type = jsonrpc_get_str(c, "type")) == NULL)
		return NULL;
	if (strcmp(type, "resource_link") == 0 &&
	    (uri = jsonrpc_get_str(c, "uri")) != NULL) {
		merged = agg_uri(a->servers[server].name, uri);
		v = agg_with(c, "uri", json_object_new_string(merged));
		free(merged);
		return v;
	}
	if (strcmp(type, "resource") == 0 &&
	    (r = jsonrpc_get(c, "resource", json_type_object)) != NULL &&
	    (uri = jsonrpc_get_str(r, "uri")) != NULL) {
		merged = agg_uri(a->servers[server].name, uri);
		v = agg_with(c, "resource", agg_with(r, "uri",
		    json_object_new_string(merged)));
		free(merged);
		return v;
	}
	return NULL;
}

/*
 * A tools/call or prompts/get answer (consumed), with the URIs of the
 * resources it links or embeds merged, so that the client can read them
 * here (a new message, or msg as it was if it has none).  An answer that
 * passed the mux unparsed is parsed only if its text shows a "uri".
 */
static json_object *
agg_call_result(struct agg *a, size_t server, json_object *msg, int prompt)
{
	json_object	*result, *list, *out, *item, *c, *m;
	const char	*cause, *text;
	size_t		 i, n, changed = 0;

	if (!json_object_object_get_ex(msg, "result", &result))
		return msg;
	text = json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN);
	if (text == NULL || strstr(text, "\"uri\"") == NULL)
		return msg;
	result = rawjson_is(result) ? rawjson_parse(result, &cause) :
	    json_object_get(result);
	if ((list = jsonrpc_get(result, prompt ? "messages" : "content",
	    json_type_array)) == NULL) {
		json_object_put(result);
		return msg;
	}
	out = json_object_new_array();
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(list, i);
		/* A prompt's message holds one content item. */
		c = prompt ? jsonrpc_get(item, "content", json_type_object) :
		    item;
		if (c != NULL && (m = agg_content_item(a, server, c)) !=
		    NULL) {
			if (prompt)
				m = agg_with(item, "content", m);
			json_object_array_add(out, m);
			changed++;
		} else
			json_object_array_add(out, json_object_get(item));
	}
	if (changed == 0) {
		json_object_put(out);
		json_object_put(result);
		return msg;
	}
	m = agg_with(msg, "result", agg_with(result, prompt ? "messages" :
	    "content", out));
	json_object_put(result);
	json_object_put(msg);
	return m;
}

/*
 * A part's answer (consumed): msg a response, or NULL (the request was
 * cancelled at the server).  The request ends when its last part does.
 */
static void
agg_part_done(struct agg *a, struct agg_part *part, json_object *msg)
{
	struct agg_req	*req = part->req;
	struct agg_session *as = req->as;
	json_object	*copy;
	const char	*drop[] = { "id", NULL };

	hmap_del(&a->parts, hmap_mix(part->sid), part);
	part->sid = 0;
	req->waiting--;
	if (req->kind == AGG_REQ_CALL) {
		if (msg == NULL) {
			agg_out(a, as, req->stream, 1, NULL);
		} else {
			if (strcmp(req->m->method, "resources/read") == 0)
				msg = agg_read_result(a, part->server, msg);
			else if (strcmp(req->m->method, "tools/call") == 0)
				msg = agg_call_result(a, part->server, msg, 0);
			else if (strcmp(req->m->method, "prompts/get") == 0)
				msg = agg_call_result(a, part->server, msg, 1);
			copy = jsonrpc_copy_shallow(msg, drop);
			jsonrpc_add(copy, "id", jsonrpc_id_copy(req->id));
			agg_out(a, as, req->stream, 1, copy);
			json_object_put(msg);
		}
		agg_req_free(a, req);
		return;
	}
	if (msg != NULL && req->kind == AGG_REQ_LIST && !req->cancelled)
		agg_list_part(a, part, msg);
	else
		json_object_put(msg);
	if (req->waiting > 0)
		return;
	if (req->cancelled)
		agg_out(a, as, req->stream, 1, NULL);
	else if (req->kind == AGG_REQ_LIST)
		agg_list_done(a, req);
	else if (req->kind == AGG_REQ_LISTEN)
		agg_out(a, as, req->stream, 1, modern_listen_end(req->id));
	else
		agg_out(a, as, req->stream, 1, jsonrpc_result_new(req->id,
		    json_object_new_object()));
	agg_req_free(a, req);
}

/* A list's parts still in flight are given up: each server is left out
 * (its late answer dropped, as its request is over), the list answered
 * with the others'.  req is freed. */
static void
agg_list_expire(struct agg *a, struct agg_req *req)
{
	struct agg_part	*part;
	json_object	*params;
	size_t		 i, left = req->waiting;

	/* left first: the part that answers the list frees req. */
	for (i = 0; left > 0 && i < req->nparts; i++) {
		part = &req->parts[i];
		if (part->sid == 0)
			continue;
		log_warnx("aggregated %s: server %s left out: no answer "
		    "within %llu ms (--aggregate-timeout)", req->m->method,
		    a->servers[part->server].name,
		    (unsigned long long)a->list_timeout_ms);
		params = json_object_new_object();
		jsonrpc_add(params, "requestId",
		    json_object_new_int64((int64_t)part->sid));
		jsonrpc_add(params, "reason", json_object_new_string(
		    "no answer within --aggregate-timeout"));
		agg_send(a, agg_link(a, req->as, part->server),
		    jsonrpc_notification_new("notifications/cancelled", params),
		    a->next_sid++);
		/* The last one answers the list and frees req. */
		left--;
		agg_part_done(a, part, NULL);
	}
}

void
agg_tick(struct agg *a, uint64_t now_ms)
{
	struct agg_session	*as;
	struct agg_req		*req, *next;

	if (a->list_timeout_ms == 0)
		return;
	TAILQ_FOREACH(as, &a->sessions, entry) {
		for (req = TAILQ_FIRST(&as->reqs); req != NULL; req = next) {
			next = TAILQ_NEXT(req, entry);
			if (req->kind != AGG_REQ_LIST || req->cancelled ||
			    req->waiting == 0)
				continue;
			if (req->deadline == 0)
				req->deadline = now_ms + a->list_timeout_ms;
			else if (now_ms >= req->deadline)
				agg_list_expire(a, req);
		}
	}
}

/* The server (index) is down or gone: left out, with a log line. */
static int
agg_server_usable(struct agg *a, size_t i)
{
	return !a->servers[i].gone && mux_ready(a->servers[i].mux);
}

static size_t
agg_server_find(const struct agg *a, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < a->nservers; i++)
		if (!a->servers[i].gone && strlen(a->servers[i].name) == len &&
		    strncmp(a->servers[i].name, name, len) == 0)
			return i;
	return a->nservers;
}

/* tools/list, prompts/list: fanned out, with a cursor of ours or not. */
static void
agg_list(struct agg *a, struct agg_session *as, json_object *msg,
    uint64_t stream, const struct agg_method *am)
{
	struct agg_req	*req;
	json_object	*params, *pairs = NULL, *pair, *m, *p;
	const char	*cursor, *name, *drop[] = { "params", NULL };
	const char	*pdrop[] = { "cursor", NULL };
	size_t		 i, n, srv;

	params = jsonrpc_params(msg);
	if ((cursor = jsonrpc_get_str(params, "cursor")) != NULL &&
	    (pairs = agg_cursor_decode(cursor, strlen(cursor))) == NULL) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid cursor");
		json_object_put(msg);
		return;
	}
	n = pairs != NULL ? json_object_array_length(pairs) : a->nservers;
	req = agg_req_new(as, msg, stream, AGG_REQ_LIST, n);
	req->m = am;
	for (i = 0; i < n; i++) {
		if (pairs != NULL) {
			pair = json_object_array_get_idx(pairs, i);
			name = json_object_get_string(
			    json_object_array_get_idx(pair, 0));
			srv = agg_server_find(a, name, strlen(name));
			if (srv == a->nservers) {
				log_warnx("aggregated %s: server %s of the "
				    "cursor is gone", am->method, name);
				continue;
			}
		} else
			srv = i;
		if (!agg_server_usable(a, srv)) {
			if (!a->servers[srv].gone)
				log_warnx("aggregated %s: server %s left out: "
				    "it is not ready", am->method,
				    a->servers[srv].name);
			continue;
		}
		if (!agg_allowed(a, as, srv)) {
			log_debug("aggregated %s: server %s left out: the "
			    "token lacks its scopes", am->method,
			    a->servers[srv].name);
			continue;
		}
		req->parts[req->nparts].req = req;
		req->parts[req->nparts].server = srv;
		req->nparts++;
	}
	for (i = 0; i < req->nparts; i++) {
		m = jsonrpc_copy_shallow(msg, drop);
		p = jsonrpc_copy_shallow(params, pdrop);
		if (pairs != NULL) {
			pair = NULL;
			for (n = 0; n < json_object_array_length(pairs); n++) {
				pair = json_object_array_get_idx(pairs, n);
				name = json_object_get_string(
				    json_object_array_get_idx(pair, 0));
				if (strcmp(name, a->servers[
				    req->parts[i].server].name) == 0)
					break;
			}
			jsonrpc_add(p, "cursor", json_object_get(
			    json_object_array_get_idx(pair, 1)));
		}
		jsonrpc_add(m, "params", p);
		agg_part_send(a, &req->parts[i], m);
	}
	json_object_put(pairs);
	json_object_put(msg);
	if (req->nparts == 0) {
		agg_list_done(a, req);
		agg_req_free(a, req);
	}
}

/*
 * Which server a merged name of what ("tool", "prompt") is of, and its
 * own name there (*orig, a new string): a name listed by what its list
 * said; any other by its prefix, if exactly one way to cut it after a
 * separator names a server (with "a" and "a_" and "__", "a____y" may be
 * a's "__y" or a_'s "_y").  -1 if none, -2 if several.
 */
static int
agg_resolve(const struct agg *a, const char *what, const char *exposed,
    size_t *server, char **orig)
{
	json_object	*v;
	const char	*s, *cut = NULL;
	size_t		 i, seplen = strlen(a->sep), found = a->nservers;

	if (json_object_object_get_ex(agg_listed(a, what), exposed, &v)) {
		s = json_object_get_string(json_object_array_get_idx(v, 0));
		if ((i = agg_server_find(a, s, strlen(s))) == a->nservers)
			return -1;
		*server = i;
		*orig = xstrdup(json_object_get_string(
		    json_object_array_get_idx(v, 1)));
		return 0;
	}
	for (s = strstr(exposed, a->sep); s != NULL;
	    s = strstr(s + 1, a->sep)) {
		if (s == exposed || s[seplen] == '\0')
			continue;
		if ((i = agg_server_find(a, exposed, (size_t)(s - exposed))) ==
		    a->nservers)
			continue;
		if (found != a->nservers)
			return -2;
		found = i;
		cut = s + seplen;
	}
	if (found == a->nservers)
		return -1;
	*server = found;
	*orig = xstrdup(cut);
	return 0;
}

char *
agg_uri(const char *server, const char *uri)
{
	char	*s;

	xasprintf(&s, "%s%s:%s", AGG_URI_SCHEME, server, uri);
	return s;
}

/* Which server a merged URI is of, and its own URI there (*orig, a new
 * string); -1 if none. */
static int
agg_resolve_uri(const struct agg *a, const char *uri, size_t *server,
    char **orig)
{
	const char	*name, *colon;
	size_t		 i;

	if (strncmp(uri, AGG_URI_SCHEME, strlen(AGG_URI_SCHEME)) != 0)
		return -1;
	name = uri + strlen(AGG_URI_SCHEME);
	/* A server's name holds no ':'. */
	if ((colon = strchr(name, ':')) == NULL || colon[1] == '\0' ||
	    (i = agg_server_find(a, name, (size_t)(colon - name))) ==
	    a->nservers)
		return -1;
	*server = i;
	*orig = xstrdup(colon + 1);
	return 0;
}

/* A copy of o whose member key is the string v (o's other members
 * shared). */
static json_object *
agg_with(json_object *o, const char *key, json_object *v)
{
	const char	*drop[] = { key, NULL };
	json_object	*copy;

	copy = jsonrpc_copy_shallow(o, drop);
	json_object_object_add(copy, key, v);
	return copy;
}

/*
 * What names a call's item: the object (*target) and its member (*field)
 * holding a name or, *uri set, a URI.  completion/complete names it in
 * params.ref, a prompt's or a resource's (template's) by its type: -1 if
 * it names neither.
 */
static int
agg_target(const struct agg_method *am, json_object *params,
    json_object **target, const char **field, int *uri)
{
	const char	*type;

	*target = params;
	*field = am->field;
	*uri = am->uri;
	if (am->key == NULL)
		return 0;
	*target = jsonrpc_get(params, am->key, json_type_object);
	type = jsonrpc_get_str(*target, "type");
	if (type != NULL && strcmp(type, "ref/prompt") == 0)
		*field = "name";
	else if (type != NULL && strcmp(type, "ref/resource") == 0) {
		*field = "uri";
		*uri = 1;
	} else
		return -1;
	return 0;
}

const char *
agg_route(const struct agg *a, json_object *msg, char **tool)
{
	const struct agg_method	*am = NULL;
	json_object		*target, *v;
	const char		*method, *field;
	char			*orig;
	size_t			 i, srv;
	int			 uri, r;

	*tool = NULL;
	if (jsonrpc_classify(msg) != JSONRPC_REQUEST ||
	    (method = jsonrpc_method(msg)) == NULL)
		return NULL;
	for (i = 0; i < sizeof agg_methods / sizeof agg_methods[0]; i++)
		if (agg_methods[i].kind == AGG_REQ_CALL &&
		    strcmp(method, agg_methods[i].method) == 0)
			am = &agg_methods[i];
	if (am == NULL || agg_target(am, jsonrpc_params(msg), &target,
	    &field, &uri) == -1 ||
	    (v = jsonrpc_get(target, field, json_type_string)) == NULL ||
	    strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return NULL;
	r = uri ? agg_resolve_uri(a, json_object_get_string(v), &srv, &orig) :
	    agg_resolve(a, field == am->field ? am->what : "prompt",
	    json_object_get_string(v), &srv, &orig);
	if (r < 0)
		return NULL;
	if (strcmp(method, "tools/call") == 0)
		*tool = orig;
	else
		free(orig);
	return a->servers[srv].name;
}

/* A call (tools/call, prompts/get, resources/read, ...): to the one
 * server its name or URI says, under the server's own. */
static void
agg_call(struct agg *a, struct agg_session *as, json_object *msg,
    uint64_t stream, const struct agg_method *am)
{
	struct agg_req	*req;
	json_object	*params, *target, *m, *v;
	const char	*field;
	char		*orig;
	size_t		 srv;
	int		 uri, r;

	params = jsonrpc_params(msg);
	if (agg_target(am, params, &target, &field, &uri) == -1) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid params: no ref/prompt or "
		    "ref/resource");
		goto done;
	}
	if ((v = jsonrpc_get(target, field, json_type_string)) == NULL) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid params: no %s %s",
		    am->what, field);
		goto done;
	}
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		r = -1;
	else if (uri)
		r = agg_resolve_uri(a, json_object_get_string(v), &srv, &orig);
	else
		r = agg_resolve(a, field == am->field ? am->what : "prompt",
		    json_object_get_string(v), &srv, &orig);
	if (r == -2) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Ambiguous %s: %s may be of more "
		    "than one server; list them first", am->what,
		    json_object_get_string(v));
		goto done;
	}
	if (r < 0) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Unknown %s: %s", am->what,
		    json_object_get_string(v));
		goto done;
	}
	if (!agg_allowed(a, as, srv)) {
		/* http asks for the scopes first (agg_route): a token
		 * reaches here without them only by a way it does not. */
		log_warnx("aggregated endpoint: %s of %s refused: the token "
		    "lacks server %s's scopes", am->method,
		    json_object_get_string(v), a->servers[srv].name);
		agg_error(a, as, stream, jsonrpc_id(msg), JSONRPC_SERVER_ERROR,
		    "Forbidden: server %s needs scopes the token lacks",
		    a->servers[srv].name);
		free(orig);
		goto done;
	}
	if (strcmp(am->method, "tools/call") == 0 &&
	    !mux_tool_allowed(a->servers[srv].mux, orig)) {
		/* The server's mux would refuse it too, under its own
		 * name: the client's is the one it knows. */
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Tool not allowed: %s",
		    json_object_get_string(v));
		free(orig);
		goto done;
	}
	if (!agg_server_usable(a, srv)) {
		/* Not the name or URI the client sent: a URI may carry a
		 * token, and the access log has the request anyway. */
		log_warnx("aggregated endpoint: %s refused: server %s is not "
		    "ready", am->method, a->servers[srv].name);
		agg_error(a, as, stream, jsonrpc_id(msg), JSONRPC_SERVER_ERROR,
		    "Server %s is not available", a->servers[srv].name);
		free(orig);
		goto done;
	}
	req = agg_req_new(as, msg, stream, AGG_REQ_CALL, 1);
	req->m = am;
	req->parts[0].req = req;
	req->parts[0].server = srv;
	req->nparts = 1;
	v = json_object_new_string(orig);
	free(orig);
	if (am->key != NULL) {
		v = agg_with(target, field, v);
		field = am->key;
	}
	m = agg_with(msg, "params", agg_with(params, field, v));
	agg_part_send(a, &req->parts[0], m);
done:
	json_object_put(msg);
}

/* logging/setLevel: every server opened now, and those opened later. */
static void
agg_set_level(struct agg *a, struct agg_session *as, json_object *msg,
    uint64_t stream)
{
	struct agg_req	*req;
	const char	*level;
	size_t		 i;

	level = jsonrpc_get_str(jsonrpc_params(msg), "level");
	if (mcpwire_level(level) < 0) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid log level");
		json_object_put(msg);
		return;
	}
	free(as->level);
	as->level = xstrdup(level);
	req = agg_req_new(as, msg, stream, AGG_REQ_ALL, as->nlinks);
	for (i = 0; i < as->nlinks; i++) {
		if (as->links[i] == NULL || as->links[i]->ms == NULL)
			continue;
		req->parts[req->nparts].req = req;
		req->parts[req->nparts].server = i;
		req->nparts++;
	}
	for (i = 0; i < req->nparts; i++)
		agg_part_send(a, &req->parts[i], json_object_get(msg));
	json_object_put(msg);
	if (req->nparts == 0) {
		agg_out(a, as, stream, 1, jsonrpc_result_new(req->id,
		    json_object_new_object()));
		agg_req_free(a, req);
	}
}

static json_object *
agg_server_info(struct agg *a)
{
	json_object	*v;

	v = json_object_new_object();
	jsonrpc_add(v, "name", json_object_new_string(a->name));
	jsonrpc_add(v, "version", json_object_new_string(a->version));
	return v;
}

/* The merged capabilities, and the instructions naming the servers: of
 * those as's token may use (another's instructions are its own). */
static json_object *
agg_initialize_result(struct agg *a, const struct agg_session *as,
    const char *version)
{
	json_object	*result, *caps, *info, *theirs, *c, *v, *tools;
	json_object	*prompts;
	int		 tools_lc = 0, prompts_lc = 0, unknown = 0;
	int		 res = 0, res_lc = 0, res_sub = 0, compl = 0;
	char		*text, *more;
	const char	*ins;
	size_t		 i, n;

	xasprintf(&text, "This endpoint of mcpbridge aggregates the MCP "
	    "servers");
	for (i = 0, n = 0; i < a->nservers; i++) {
		if (a->servers[i].gone)
			continue;
		/* Every server's capabilities (a token may step up within
		 * the session), the names of those it may use. */
		if (agg_allowed(a, as, i)) {
			xasprintf(&more, "%s%s %s", text, n++ > 0 ? "," : "",
			    a->servers[i].name);
			free(text);
			text = more;
		}
		if ((info = mux_child_info(a->servers[i].mux)) == NULL) {
			unknown = 1;
			continue;
		}
		theirs = jsonrpc_get(info, "capabilities", json_type_object);
		c = jsonrpc_get(theirs, "tools", json_type_object);
		if (json_object_get_boolean(jsonrpc_get(c, "listChanged",
		    json_type_boolean)))
			tools_lc = 1;
		c = jsonrpc_get(theirs, "prompts", json_type_object);
		if (json_object_get_boolean(jsonrpc_get(c, "listChanged",
		    json_type_boolean)))
			prompts_lc = 1;
		if ((c = jsonrpc_get(theirs, "resources",
		    json_type_object)) != NULL) {
			res = 1;
			if (json_object_get_boolean(jsonrpc_get(c,
			    "listChanged", json_type_boolean)))
				res_lc = 1;
			if (json_object_get_boolean(jsonrpc_get(c,
			    "subscribe", json_type_boolean)))
				res_sub = 1;
		}
		if (jsonrpc_get(theirs, "completions", json_type_object) !=
		    NULL)
			compl = 1;
	}
	xasprintf(&more, "%s: each tool and prompt is named after its "
	    "server, as SERVER%sNAME, and each resource's URI is %sSERVER: "
	    "and the server's own.", text, a->sep, AGG_URI_SCHEME);
	free(text);
	text = more;
	for (i = 0; i < a->nservers; i++) {
		if (a->servers[i].gone || !agg_allowed(a, as, i) ||
		    (info = mux_child_info(a->servers[i].mux)) == NULL ||
		    (ins = jsonrpc_get_str(info, "instructions")) == NULL)
			continue;
		xasprintf(&more, "%s\n\n%s: %s", text, a->servers[i].name, ins);
		free(text);
		text = more;
	}

	caps = json_object_new_object();
	tools = json_object_new_object();
	/* A server not ready yet may say so when it is. */
	if (tools_lc || unknown)
		jsonrpc_add(tools, "listChanged", json_object_new_boolean(1));
	jsonrpc_add(caps, "tools", tools);
	prompts = json_object_new_object();
	if (prompts_lc || unknown)
		jsonrpc_add(prompts, "listChanged", json_object_new_boolean(1));
	jsonrpc_add(caps, "prompts", prompts);
	if (res || unknown) {
		v = json_object_new_object();
		if (res_sub || unknown)
			jsonrpc_add(v, "subscribe", json_object_new_boolean(1));
		if (res_lc || unknown)
			jsonrpc_add(v, "listChanged",
			    json_object_new_boolean(1));
		jsonrpc_add(caps, "resources", v);
	}
	if (compl)
		jsonrpc_add(caps, "completions", json_object_new_object());
	jsonrpc_add(caps, "logging", json_object_new_object());

	result = json_object_new_object();
	jsonrpc_add(result, "protocolVersion", json_object_new_string(version));
	jsonrpc_add(result, "capabilities", caps);
	jsonrpc_add(result, "serverInfo", agg_server_info(a));
	jsonrpc_add(result, "instructions", json_object_new_string(text));
	free(text);
	return result;
}

static void
agg_initialize(struct agg *a, struct agg_session *as, json_object *msg,
    uint64_t stream)
{
	json_object	*params, *init, *v;
	const char	*asked, *version;

	if (as->initialized) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_REQUEST, "Session already initialized");
		json_object_put(msg);
		return;
	}
	params = jsonrpc_params(msg);
	asked = jsonrpc_get_str(params, "protocolVersion");
	version = jsonrpc_version_supported(asked) ? asked :
	    MCP_VERSION_LATEST_LEGACY;
	as->version = xstrdup(version);
	/* What each server's session will be opened with. */
	init = json_object_new_object();
	jsonrpc_add(init, "protocolVersion", json_object_new_string(version));
	v = jsonrpc_get(params, "capabilities", json_type_object);
	jsonrpc_add(init, "capabilities", v != NULL ? json_object_get(v) :
	    json_object_new_object());
	if ((v = jsonrpc_get(params, "clientInfo", json_type_object)) != NULL)
		jsonrpc_add(init, "clientInfo", json_object_get(v));
	as->init = init;
	as->initialized = 1;
	agg_out(a, as, stream, 1, jsonrpc_result_new(jsonrpc_id(msg),
	    agg_initialize_result(a, as, version)));
	json_object_put(msg);
}

/*
 * 2026-07-28 subscriptions/listen: one listen at every ready server, for
 * the lists it asks about and the URIs of that server it names; one
 * acknowledgement to the client, of what some server honours; what the
 * servers then send comes tagged with the client's listen id, and the
 * subscription ends when every server's has (agg_session_finish).
 */
static void
agg_listen(struct agg *a, struct agg_session *as, json_object *msg,
    uint64_t stream)
{
	struct agg_req	*req;
	json_object	*uris, *theirs, *merged, *params, *m, *info;
	const char	*why, *uri;
	unsigned	 flags, honoured = 0;
	char		*orig;
	size_t		 i, j, n, srv;

	if (modern_listen_parse(jsonrpc_params(msg), &flags, &uris,
	    &why) == -1) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "%s", why);
		json_object_put(msg);
		return;
	}
	req = agg_req_new(as, msg, stream, AGG_REQ_LISTEN, a->nservers);
	merged = json_object_new_array();
	for (i = 0; i < a->nservers; i++) {
		if (!agg_server_usable(a, i) || !agg_allowed(a, as, i))
			continue;
		theirs = json_object_new_array();
		n = uris != NULL ? json_object_array_length(uris) : 0;
		for (j = 0; j < n; j++) {
			uri = json_object_get_string(
			    json_object_array_get_idx(uris, j));
			if (uri == NULL ||
			    agg_resolve_uri(a, uri, &srv, &orig) == -1)
				continue;
			if (srv == i) {
				json_object_array_add(theirs,
				    json_object_new_string(orig));
				json_object_array_add(merged,
				    json_object_new_string(uri));
			}
			free(orig);
		}
		info = mux_child_info(a->servers[i].mux);
		honoured |= flags & modern_listen_supported(jsonrpc_get(info,
		    "capabilities", json_type_object));
		params = agg_with(jsonrpc_params(msg), "notifications",
		    modern_listen_filter(flags, theirs));
		json_object_put(theirs);
		m = agg_with(msg, "params", params);
		req->parts[req->nparts].req = req;
		req->parts[req->nparts].server = i;
		agg_part_send(a, &req->parts[req->nparts++], m);
	}
	agg_out(a, as, stream, 0, modern_listen_ack(req->id, honoured,
	    (honoured & MODERN_LISTEN_SUBSCRIBE) ? merged : NULL));
	json_object_put(merged);
	json_object_put(msg);
}

void
agg_session_finish(struct agg *a, struct agg_session *as)
{
	struct agg_req	*req;
	size_t		 i;

	TAILQ_FOREACH(req, &as->reqs, entry) {
		if (req->kind != AGG_REQ_LISTEN)
			continue;
		if (req->waiting == 0) {
			agg_out(a, as, req->stream, 1,
			    modern_listen_end(req->id));
			agg_req_free(a, req);
			return;
		}
		for (i = 0; i < req->nparts; i++)
			if (req->parts[i].sid != 0)
				mux_session_finish(a->servers[
				    req->parts[i].server].mux,
				    agg_link(a, as, req->parts[i].server)->ms);
		return;
	}
}

static void
agg_client_request(struct agg *a, struct agg_session *as, json_object *msg,
    uint64_t stream)
{
	const char	*method = jsonrpc_method(msg);
	json_object	*init;
	size_t		 i;

	if (as->transport == MUX_TRANSPORT_STATELESS) {
		/* 2026-07-28: each request on its own, no handshake. */
		if (strcmp(method, "server/discover") == 0) {
			init = agg_initialize_result(a, as,
			    MCP_VERSION_2026_07_28);
			agg_out(a, as, stream, 1, jsonrpc_result_new(
			    jsonrpc_id(msg), modern_discover(init)));
			json_object_put(init);
			json_object_put(msg);
			return;
		}
		if (strcmp(method, "subscriptions/listen") == 0) {
			agg_listen(a, as, msg, stream);
			return;
		}
		if (strcmp(method, "initialize") == 0 ||
		    strcmp(method, "logging/setLevel") == 0) {
			agg_error(a, as, stream, jsonrpc_id(msg),
			    JSONRPC_METHOD_NOT_FOUND, "Method not found: %s "
			    "is not served by the aggregated endpoint to %s "
			    "clients", method, MCP_VERSION_2026_07_28);
			json_object_put(msg);
			return;
		}
		as->initialized = 1;
	}
	if (strcmp(method, "initialize") == 0) {
		agg_initialize(a, as, msg, stream);
		return;
	}
	if (strcmp(method, "ping") == 0) {
		agg_out(a, as, stream, 1, jsonrpc_result_new(jsonrpc_id(msg),
		    json_object_new_object()));
		json_object_put(msg);
		return;
	}
	if (!as->initialized) {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_INVALID_REQUEST,
		    "Session not initialized: send initialize first");
		json_object_put(msg);
		return;
	}
	for (i = 0; i < sizeof agg_methods / sizeof agg_methods[0]; i++) {
		if (strcmp(method, agg_methods[i].method) != 0)
			continue;
		if (agg_methods[i].kind == AGG_REQ_LIST)
			agg_list(a, as, msg, stream, &agg_methods[i]);
		else
			agg_call(a, as, msg, stream, &agg_methods[i]);
		return;
	}
	if (strcmp(method, "logging/setLevel") == 0)
		agg_set_level(a, as, msg, stream);
	else {
		agg_error(a, as, stream, jsonrpc_id(msg),
		    JSONRPC_METHOD_NOT_FOUND, "Method not found: %s is not "
		    "served by the aggregated endpoint", method);
		json_object_put(msg);
	}
}

static void
agg_client_notification(struct agg *a, struct agg_session *as,
    json_object *msg)
{
	const char	*method = jsonrpc_method(msg);
	struct agg_req	*req;
	struct agg_sreq	*sr;
	json_object	*id, *params, *n;
	size_t		 i;

	if (strcmp(method, "notifications/cancelled") == 0) {
		id = NULL;
		json_object_object_get_ex(jsonrpc_params(msg), "requestId",
		    &id);
		TAILQ_FOREACH(req, &as->reqs, entry) {
			if (id != NULL && jsonrpc_id_equal(req->id, id))
				break;
		}
		if (req == NULL || req->cancelled)
			goto done;
		req->cancelled = 1;
		for (i = 0; i < req->nparts; i++) {
			if (req->parts[i].sid == 0)
				continue;
			params = jsonrpc_copy_shallow(jsonrpc_params(msg),
			    (const char *[]){ "requestId", NULL });
			jsonrpc_add(params, "requestId", json_object_new_int64(
			    (int64_t)req->parts[i].sid));
			n = jsonrpc_notification_new(method, params);
			agg_send(a, agg_link(a, as, req->parts[i].server), n,
			    a->next_sid++);
		}
	} else if (strcmp(method, "notifications/progress") == 0) {
		/* On a server's request: to that server, under its token
		 * (agg_server_request showed the client the cid). */
		id = NULL;
		json_object_object_get_ex(jsonrpc_params(msg),
		    "progressToken", &id);
		TAILQ_FOREACH(sr, &as->sreqs, entry)
			if (sr->ptoken != NULL && id != NULL &&
			    json_object_is_type(id, json_type_int) &&
			    json_object_get_int64(id) == sr->cid)
				break;
		if (sr == NULL || sr->link->ms == NULL) {
			log_debug("aggregated endpoint: progress on no "
			    "request of a server dropped");
			goto done;
		}
		agg_send(a, sr->link, jsonrpc_notification_new(method,
		    agg_with(jsonrpc_params(msg), "progressToken",
		    json_object_get(sr->ptoken))), a->next_sid++);
	} else if (strcmp(method, "notifications/roots/list_changed") == 0) {
		for (i = 0; i < as->nlinks; i++)
			if (as->links[i] != NULL && as->links[i]->ms != NULL)
				agg_send(a, as->links[i], json_object_get(msg),
				    a->next_sid++);
	}
	/* notifications/initialized: each server's session had its own. */
done:
	json_object_put(msg);
}

/* The client answers a server's request. */
static void
agg_client_answer(struct agg *a, struct agg_session *as, json_object *msg)
{
	struct agg_sreq	*sr;
	json_object	*id = jsonrpc_id(msg), *copy;
	const char	*drop[] = { "id", NULL };

	TAILQ_FOREACH(sr, &as->sreqs, entry) {
		if (json_object_is_type(id, json_type_int) &&
		    json_object_get_int64(id) == sr->cid)
			break;
	}
	if (sr == NULL || sr->link->ms == NULL) {
		log_debug("aggregated endpoint: an answer to no request of a "
		    "server dropped");
		json_object_put(msg);
		return;
	}
	copy = jsonrpc_copy_shallow(msg, drop);
	jsonrpc_add(copy, "id", json_object_get(sr->id));
	json_object_put(msg);
	agg_send(a, sr->link, copy, a->next_sid++);
	agg_sreq_free(as, sr);
}

/*
 * A batch (2025-03-26 and before): each member as if it came alone, on
 * the batch's stream, its answers gathered into one (agg_out).  A member
 * that is no message, or an initialize, gets its error in the answer.
 */
static enum mux_recv
agg_batch(struct agg *a, struct agg_session *as, json_object *msg,
    uint64_t stream)
{
	struct agg_batch	*b;
	json_object		*m;
	const char		*method;
	size_t			 i, n, nreq = 0;
	enum jsonrpc_kind	 k;

	n = json_object_array_length(msg);
	for (i = 0; i < n; i++) {
		k = jsonrpc_classify(json_object_array_get_idx(msg, i));
		if (k != JSONRPC_NOTIFICATION && k != JSONRPC_RESPONSE)
			nreq++;
	}
	if (nreq > 0) {
		b = xcalloc(1, sizeof *b);
		b->stream = stream;
		b->waiting = nreq;
		b->answers = json_object_new_array();
		TAILQ_INSERT_TAIL(&as->batches, b, entry);
	}
	for (i = 0; i < n; i++) {
		m = json_object_get(json_object_array_get_idx(msg, i));
		switch (jsonrpc_classify(m)) {
		case JSONRPC_REQUEST:
			method = jsonrpc_method(m);
			if (strcmp(method, "initialize") == 0) {
				agg_error(a, as, stream, jsonrpc_id(m),
				    JSONRPC_INVALID_REQUEST, "Invalid Request: "
				    "initialize cannot be batched");
				json_object_put(m);
			} else
				agg_client_request(a, as, m, stream);
			break;
		case JSONRPC_NOTIFICATION:
			agg_client_notification(a, as, m);
			break;
		case JSONRPC_RESPONSE:
			agg_client_answer(a, as, m);
			break;
		default:
			agg_error(a, as, stream, NULL, JSONRPC_INVALID_REQUEST,
			    "Invalid Request");
			json_object_put(m);
			break;
		}
	}
	json_object_put(msg);
	return nreq > 0 ? MUX_RECV_REPLY : MUX_RECV_ACCEPTED;
}

enum mux_recv
agg_session_recv(struct agg *a, struct agg_session *as, json_object *msg,
    uint64_t stream)
{
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_REQUEST:
		agg_client_request(a, as, msg, stream);
		return MUX_RECV_REPLY;
	case JSONRPC_NOTIFICATION:
		agg_client_notification(a, as, msg);
		return MUX_RECV_ACCEPTED;
	case JSONRPC_RESPONSE:
		agg_client_answer(a, as, msg);
		return MUX_RECV_ACCEPTED;
	case JSONRPC_BATCH:
		if (as->transport != MUX_TRANSPORT_STATELESS)
			return agg_batch(a, as, msg, stream);
		agg_error(a, as, stream, NULL, JSONRPC_INVALID_REQUEST,
		    "Invalid Request: %s has no batches",
		    MCP_VERSION_2026_07_28);
		break;
	case JSONRPC_INVALID:
		agg_error(a, as, stream, NULL, JSONRPC_INVALID_REQUEST,
		    "Invalid Request");
		break;
	}
	json_object_put(msg);
	return MUX_RECV_INVALID;
}

/* ---- what the servers send ---- */

/* The client stream for what came on a link's stream: its request's. */
static uint64_t
agg_client_stream(struct agg *a, struct agg_link *l, uint64_t stream)
{
	struct agg_part	*part;

	if (stream == 0 || (part = hmap_find(&a->parts, hmap_mix(stream),
	    agg_part_match, &stream)) == NULL || part->req->as != l->as)
		return 0;
	return part->req->stream;
}

/* A request of the server's: to the client, under an id of its own. */
static void
agg_server_request(struct agg *a, struct agg_link *l, json_object *msg,
    uint64_t stream)
{
	struct agg_session	*as = l->as;
	struct agg_sreq		*sr;
	json_object		*copy, *params, *meta, *token, *v;
	const char		*drop[] = { "id", NULL };

	if (as->nsreqs >= AGG_SERVER_REQUESTS_MAX) {
		log_warnx("aggregated endpoint: a request of server %s "
		    "refused: %d wait for the client already",
		    a->servers[l->server].name, AGG_SERVER_REQUESTS_MAX);
		mux_session_recv(a->servers[l->server].mux, l->ms,
		    jsonrpc_error_new(jsonrpc_id(msg), JSONRPC_SERVER_ERROR,
		    "Too many requests waiting for the client", NULL),
		    a->next_sid++);
		json_object_put(msg);
		return;
	}
	sr = xcalloc(1, sizeof *sr);
	sr->link = l;
	sr->id = jsonrpc_id_copy(jsonrpc_id(msg));
	sr->cid = ++as->next_cid;
	TAILQ_INSERT_TAIL(&as->sreqs, sr, entry);
	as->nsreqs++;
	copy = jsonrpc_copy_shallow(msg, drop);
	jsonrpc_add(copy, "id", json_object_new_int64(sr->cid));
	params = jsonrpc_params(msg);
	if ((meta = jsonrpc_get(params, "_meta", json_type_object)) != NULL &&
	    json_object_object_get_ex(meta, "progressToken", &token) &&
	    token != NULL) {
		sr->ptoken = jsonrpc_id_copy(token);
		v = agg_with(copy, "params", agg_with(params, "_meta",
		    agg_with(meta, "progressToken",
		    json_object_new_int64(sr->cid))));
		json_object_put(copy);
		copy = v;
	}
	agg_out(a, as, agg_client_stream(a, l, stream), 0, copy);
	json_object_put(msg);
}

static void
agg_server_notification(struct agg *a, struct agg_link *l, json_object *msg,
    uint64_t stream)
{
	struct agg_session	*as = l->as;
	struct agg_sreq		*sr;
	json_object		*id, *params;
	const char		*method = jsonrpc_method(msg), *uri;
	const char		*drop[] = { "requestId", NULL };
	char			*merged;
	struct agg_part		*part;
	struct agg_req		*listen;
	json_object		*n;

	if (strcmp(method, "notifications/cancelled") == 0) {
		/* Its own request to the client, under the client's id. */
		if (!json_object_object_get_ex(jsonrpc_params(msg),
		    "requestId", &id))
			goto drop;
		TAILQ_FOREACH(sr, &as->sreqs, entry)
			if (sr->link == l && jsonrpc_id_equal(sr->id, id))
				break;
		if (sr == NULL)
			goto drop;
		params = jsonrpc_copy_shallow(jsonrpc_params(msg), drop);
		jsonrpc_add(params, "requestId", json_object_new_int64(sr->cid));
		agg_sreq_free(as, sr);
		agg_out(a, as, agg_client_stream(a, l, stream), 0,
		    jsonrpc_notification_new(method, params));
		json_object_put(msg);
		return;
	}
	/* A listen's: the servers' acknowledgements were merged into one;
	 * the rest is tagged with the client's listen id. */
	part = stream != 0 ? hmap_find(&a->parts, hmap_mix(stream),
	    agg_part_match, &stream) : NULL;
	listen = part != NULL && part->req->as == as &&
	    part->req->kind == AGG_REQ_LISTEN ? part->req : NULL;
	if (listen != NULL && strcmp(method,
	    "notifications/subscriptions/acknowledged") == 0)
		goto drop;
	if (strcmp(method, "notifications/resources/updated") == 0) {
		/* The client subscribed to the merged URI. */
		if ((uri = jsonrpc_get_str(jsonrpc_params(msg), "uri")) ==
		    NULL)
			goto drop;
		merged = agg_uri(a->servers[l->server].name, uri);
		params = agg_with(jsonrpc_params(msg), "uri",
		    json_object_new_string(merged));
		free(merged);
		n = jsonrpc_notification_new(method, params);
		json_object_put(msg);
		msg = n;
	}
	if (listen != NULL) {
		n = modern_listen_tag(msg, listen->id);
		json_object_put(msg);
		msg = n;
	}
	agg_out(a, as, agg_client_stream(a, l, stream), 0, msg);
	return;
drop:
	log_debug("aggregated endpoint: %s of server %s dropped", method,
	    a->servers[l->server].name);
	json_object_put(msg);
}

int
agg_server_out(struct agg *a, struct mux_out *out)
{
	struct agg_link	*l;
	struct agg_part	*part;
	json_object	*msg;
	char		*why;

	if (out->session == NULL || (out->kind != MUX_OUT_SESSION &&
	    out->kind != MUX_OUT_SESSION_END) || (l = hmap_find(&a->links,
	    hmap_hash_ptr(out->session), agg_link_match, out->session)) ==
	    NULL)
		return 0;
	msg = out->msg;
	out->msg = NULL;
	if (out->kind == MUX_OUT_SESSION_END) {
		xasprintf(&why, "Server %s went away",
		    a->servers[l->server].name);
		agg_link_close(a, l, why);
		free(why);
		return 1;
	}
	if (out->final && l->init_sid != 0 && out->stream == l->init_sid) {
		if (msg != NULL)
			agg_link_initialized(a, l, msg);
		json_object_put(msg);
		return 1;
	}
	if (out->final) {
		part = hmap_find(&a->parts, hmap_mix(out->stream),
		    agg_part_match, &out->stream);
		if (part == NULL || part->req->as != l->as)
			json_object_put(msg);	/* its request is over */
		else
			agg_part_done(a, part, msg);
		return 1;
	}
	if (msg == NULL)
		return 1;
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_REQUEST:
		agg_server_request(a, l, msg, out->stream);
		break;
	case JSONRPC_NOTIFICATION:
		agg_server_notification(a, l, msg, out->stream);
		break;
	default:
		json_object_put(msg);
		break;
	}
	return 1;
}

void
agg_remove_server(struct agg *a, size_t i)
{
	struct agg_session	*as;
	char			*why;

	if (i >= a->nservers || a->servers[i].gone)
		return;
	a->servers[i].gone = 1;
	xasprintf(&why, "Server %s was removed", a->servers[i].name);
	TAILQ_FOREACH(as, &a->sessions, entry)
		if (i < as->nlinks && as->links[i] != NULL)
			agg_link_close(a, as->links[i], why);
	free(why);
}

json_object *
agg_client_id(const struct agg *a, const struct mux_session *ms,
    json_object *id)
{
	struct agg_link	*l;
	struct agg_part	*part;
	uint64_t	 sid;

	if (!json_object_is_type(id, json_type_int) ||
	    json_object_get_int64(id) <= 0 ||
	    (l = hmap_find(&a->links, hmap_hash_ptr(ms), agg_link_match,
	    ms)) == NULL)
		return NULL;
	sid = (uint64_t)json_object_get_int64(id);
	if ((part = hmap_find(&a->parts, hmap_mix(sid), agg_part_match,
	    &sid)) == NULL || part->req->as != l->as)
		return NULL;
	return part->req->id;
}

size_t
agg_sessions_at(const struct agg *a, const char *name)
{
	const struct agg_session	*as;
	size_t				 i, n = 0;

	if ((i = agg_server_find(a, name, strlen(name))) == a->nservers)
		return 0;
	TAILQ_FOREACH(as, &a->sessions, entry)
		if (as->transport != MUX_TRANSPORT_STATELESS &&
		    i < as->nlinks && as->links[i] != NULL &&
		    as->links[i]->ms != NULL)
			n++;
	return n;
}

void
agg_fail_all(struct agg *a, const char *why)
{
	struct agg_session	*as;
	struct agg_req		*req;

	TAILQ_FOREACH(as, &a->sessions, entry) {
		while ((req = TAILQ_FIRST(&as->reqs)) != NULL) {
			agg_out(a, as, req->stream, 1, jsonrpc_error_new(
			    req->id, JSONRPC_SERVER_ERROR, why, NULL));
			agg_req_free(a, req);
		}
	}
}

/* ---- sessions ---- */

struct agg_session *
agg_session_new(struct agg *a, enum mux_transport t, void *data)
{
	struct agg_session	*as;

	as = xcalloc(1, sizeof *as);
	as->agg = a;
	as->transport = t;
	as->data = data;
	TAILQ_INIT(&as->reqs);
	TAILQ_INIT(&as->sreqs);
	TAILQ_INIT(&as->batches);
	TAILQ_INSERT_TAIL(&a->sessions, as, entry);
	return as;
}

void *
agg_session_data(const struct agg_session *as)
{
	return as->data;
}

void
agg_session_set_principal(struct agg_session *as, uint64_t principal)
{
	as->principal = principal;
}

void
agg_session_away(struct agg_session *as, int away)
{
	size_t	i;

	as->away = away;
	for (i = 0; i < as->nlinks; i++)
		if (as->links[i] != NULL && as->links[i]->ms != NULL)
			mux_session_away(as->links[i]->ms, away);
}

void
agg_session_set_grant(struct agg_session *as, const char *const *scopes,
    size_t n, int all)
{
	size_t	i;

	agg_strings_free(as->grant, as->ngrant);
	as->grant = NULL;
	as->ngrant = 0;
	as->grant_all = all;
	if (all || n == 0)
		return;
	as->grant = xcalloc(n, sizeof *as->grant);
	for (i = 0; i < n; i++)
		as->grant[i] = xstrdup(scopes[i]);
	as->ngrant = n;
}

const char *
agg_session_version(const struct agg_session *as)
{
	return as->version;
}

void
agg_session_close(struct agg *a, struct agg_session *as)
{
	struct agg_qout	*q, *next;
	size_t		 i;

	while (!TAILQ_EMPTY(&as->reqs))
		agg_req_free(a, TAILQ_FIRST(&as->reqs));
	while (!TAILQ_EMPTY(&as->batches))
		agg_batch_free(as, TAILQ_FIRST(&as->batches));
	for (i = 0; i < as->nlinks; i++) {
		if (as->links[i] == NULL)
			continue;
		agg_link_close(a, as->links[i], NULL);
		free(as->links[i]);
	}
	for (q = TAILQ_FIRST(&a->outs); q != NULL; q = next) {
		next = TAILQ_NEXT(q, entry);
		if (q->out.session != as)
			continue;
		TAILQ_REMOVE(&a->outs, q, entry);
		json_object_put(q->out.msg);
		free(q);
	}
	TAILQ_REMOVE(&a->sessions, as, entry);
	json_object_put(as->init);
	agg_strings_free(as->grant, as->ngrant);
	free(as->links);
	free(as->level);
	free(as->version);
	free(as);
}
