/* SPDX-License-Identifier: ISC */
/*
 * trace.c: the message trace's lines (trace.h says what a line holds and
 * what never shows), and the table of requests awaiting their answers
 * that gives an answer its latency.  It formats; log.c writes.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsonrpc.h"
#include "log.h"
#include "rawjson.h"
#include "trace.h"
#include "xmalloc.h"

#define TRACE_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | \
				 JSON_C_TO_STRING_NOSLASHESCAPE)

/* A request whose answer will go the other way (dir is the answer's). */
struct trace_pending {
	int		 used;
	enum trace_dir	 dir;
	unsigned	 copy;		/* the pool copy it went to, or 0 */
	uint64_t	 at;
	uint64_t	 seq;		/* the oldest goes when the table is full */
	char		 label[TRACE_LABEL_LEN + 1];
	char		 id[TRACE_ID_MAX + 1];
	char		 method[TRACE_METHOD_MAX + 1];
};

struct trace {
	enum trace_mode		 mode;
	/* Each secret as given and as JSON writes it inside a string. */
	char			*secrets[TRACE_SECRETS_MAX * 2];
	size_t			 nsecrets;
	/* Requests' own bearer tokens, the last used last: each as
	 * given and as JSON writes it (NULL when the same). */
	struct {
		char		*raw;
		char		*json;
	}			 tokens[TRACE_TOKENS_MAX];
	size_t			 ntokens;
	struct trace_pending	 pending[TRACE_PENDING_MAX];
	uint64_t		 seq;
	char			 line[TRACE_LINE_MAX];
};

static const char *const trace_dir_names[TRACE_DIRS] = {
	[TRACE_CLIENT_IN] = "client>bridge",
	[TRACE_CLIENT_OUT] = "bridge>client",
	[TRACE_CHILD_OUT] = "bridge>child",
	[TRACE_CHILD_IN] = "child>bridge",
	[TRACE_STDIN] = "stdin>bridge",
	[TRACE_STDOUT] = "bridge>stdout",
	[TRACE_SERVER_OUT] = "bridge>server",
	[TRACE_SERVER_IN] = "server>bridge",
};

/*
 * Member names whose values are secrets, compared without case, '-' or
 * '_' ("api_key", "apiKey", "API-KEY").  Exact names: "maxTokens" and
 * "progressToken" are no secrets.
 */
static const char *const trace_secret_keys[] = {
	"password", "passwd", "passphrase", "secret", "clientsecret", "token",
	"accesstoken", "refreshtoken", "idtoken", "sessiontoken", "apikey",
	"authorization", "auth", "bearer", "cookie", "privatekey", NULL
};

struct trace *
trace_new(enum trace_mode mode)
{
	struct trace	*t;

	if (mode == TRACE_OFF)
		return NULL;
	t = xcalloc(1, sizeof *t);
	t->mode = mode;
	return t;
}

void
trace_free(struct trace *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsecrets; i++)
		free(t->secrets[i]);
	for (i = 0; i < t->ntokens; i++) {
		free(t->tokens[i].raw);
		free(t->tokens[i].json);
	}
	free(t);
}

/* value as JSON writes it inside a string, or NULL if the same. */
static char *
trace_json_form(const char *value, size_t vlen)
{
	json_object	*s;
	const char	*text;
	char		*out = NULL;
	size_t		 len;

	s = json_object_new_string_len(value, (int)vlen);
	text = json_object_to_json_string_length(s, TRACE_JSON_FLAGS, &len);
	if (text != NULL && len >= 2 && (len - 2 != vlen ||
	    memcmp(text + 1, value, len - 2) != 0))
		out = xstrndup(text + 1, len - 2);
	json_object_put(s);
	return out;
}

void
trace_token(struct trace *t, const char *token, size_t len)
{
	size_t	i;

	if (t == NULL || t->mode != TRACE_BODY || token == NULL ||
	    len < TRACE_SECRET_MIN)
		return;
	/* Known: it becomes the last used. */
	for (i = 0; i < t->ntokens; i++) {
		if (strlen(t->tokens[i].raw) == len &&
		    memcmp(t->tokens[i].raw, token, len) == 0)
			break;
	}
	if (i == t->ntokens && t->ntokens == TRACE_TOKENS_MAX) {
		i = 0;		/* the least recently used goes */
		free(t->tokens[0].raw);
		free(t->tokens[0].json);
		t->tokens[0].raw = xstrndup(token, len);
		t->tokens[0].json = trace_json_form(token, len);
	} else if (i == t->ntokens) {
		t->tokens[i].raw = xstrndup(token, len);
		t->tokens[i].json = trace_json_form(token, len);
		t->ntokens++;
	}
	if (i + 1 < t->ntokens) {
		char	*raw = t->tokens[i].raw, *json = t->tokens[i].json;

		memmove(&t->tokens[i], &t->tokens[i + 1],
		    (t->ntokens - i - 1) * sizeof t->tokens[0]);
		t->tokens[t->ntokens - 1].raw = raw;
		t->tokens[t->ntokens - 1].json = json;
	}
}

void
trace_secret(struct trace *t, const char *value)
{
	json_object	*s;
	const char	*text;
	size_t		 len;

	size_t		 i;

	if (t == NULL || value == NULL || strlen(value) < TRACE_SECRET_MIN ||
	    t->nsecrets + 2 > TRACE_SECRETS_MAX * 2)
		return;
	/* Given again after each SIGHUP: once is enough. */
	for (i = 0; i < t->nsecrets; i++) {
		if (strcmp(t->secrets[i], value) == 0)
			return;
	}
	t->secrets[t->nsecrets++] = xstrdup(value);
	/* JSON may write it otherwise ("\"", "\n", "\u0001"): that too. */
	s = json_object_new_string(value);
	text = json_object_to_json_string_length(s, TRACE_JSON_FLAGS, &len);
	if (text != NULL && len >= 2 && (len - 2 != strlen(value) ||
	    memcmp(text + 1, value, len - 2) != 0))
		t->secrets[t->nsecrets++] = xstrndup(text + 1, len - 2);
	json_object_put(s);
}

int
trace_mode_parse(const char *arg, enum trace_mode *out)
{
	if (arg == NULL)
		*out = TRACE_ON;
	else if (strcmp(arg, "body") == 0)
		*out = TRACE_BODY;
	else
		return -1;
	return 0;
}

/* ---- latency ---- */

static const char *
trace_label(const char *label)
{
	return label != NULL && *label != '\0' ? label : "-";
}

static int
trace_pending_live(const struct trace_pending *p, uint64_t now)
{
	return p->used && (now < p->at || now - p->at <= TRACE_PENDING_TTL_MS);
}

/* A request in dir: its answer will come in dir ^ 1. */
static void
trace_pending_add(struct trace *t, enum trace_dir dir, unsigned copy,
    const char *label, const char *id, const char *method, uint64_t now)
{
	struct trace_pending	*p, *slot = NULL;
	size_t			 i;

	for (i = 0; i < TRACE_PENDING_MAX; i++) {
		p = &t->pending[i];
		if (!trace_pending_live(p, now)) {
			slot = p;
			break;
		}
		if (slot == NULL || p->seq < slot->seq)
			slot = p;
	}
	slot->used = 1;
	slot->dir = (enum trace_dir)(dir ^ 1);
	slot->copy = copy;
	slot->at = now;
	slot->seq = ++t->seq;
	snprintf(slot->label, sizeof slot->label, "%s", label);
	snprintf(slot->id, sizeof slot->id, "%s", id);
	snprintf(slot->method, sizeof slot->method, "%s", method);
}

/* The request an answer in dir answers, taken off the table; NULL if
 * none was seen (or it was forgotten, or expired).  An answer of a
 * pool's copy answers a request sent to that copy only: the copies
 * number their requests alike. */
static struct trace_pending *
trace_pending_take(struct trace *t, enum trace_dir dir, unsigned copy,
    const char *label, const char *id, uint64_t now)
{
	struct trace_pending	*p, *found = NULL;
	size_t			 i;

	for (i = 0; i < TRACE_PENDING_MAX; i++) {
		p = &t->pending[i];
		if (!p->used)
			continue;
		if (!trace_pending_live(p, now)) {
			p->used = 0;
			continue;
		}
		if (p->dir == dir && p->copy == copy &&
		    strncmp(p->label, label,
		    TRACE_LABEL_LEN) == 0 && strcmp(p->id, id) == 0 &&
		    (found == NULL || p->seq < found->seq))
			found = p;
	}
	if (found != NULL)
		found->used = 0;
	return found;
}

/* ---- bodies ---- */

static int
trace_secret_key(const char *key)
{
	char	norm[32];
	size_t	n = 0;
	int	i;

	for (; *key != '\0'; key++) {
		if (*key == '-' || *key == '_')
			continue;
		if (n + 1 >= sizeof norm)
			return 0;
		norm[n++] = (char)tolower((unsigned char)*key);
	}
	norm[n] = '\0';
	for (i = 0; trace_secret_keys[i] != NULL; i++) {
		if (strcmp(norm, trace_secret_keys[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Replaces the values of members named like secrets in o (a copy: the
 * message itself is shared and never modified); returns 1 if there were
 * any.  With edit 0 it only looks.
 */
static int
trace_redact_keys(json_object *o, int edit)
{
	size_t	i, n;
	int	found = 0;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			if (trace_secret_key(key)) {
				found = 1;
				if (!edit)
					return 1;
				json_object_object_add(o, key,
				    json_object_new_string(TRACE_REDACTED));
			} else if (trace_redact_keys(val, edit)) {
				found = 1;
				if (!edit)
					return 1;
			}
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (trace_redact_keys(json_object_array_get_idx(o, i),
			    edit)) {
				found = 1;
				if (!edit)
					return 1;
			}
		}
		break;
	default:
		break;
	}
	return found;
}

/*
 * Appends text (len bytes) to dst (at *at, room to size) with every
 * secret replaced, stopping at TRACE_BODY_MAX bytes of body (then "...").
 * A secret is matched in the whole text, so one the cut falls in is still
 * replaced whole.
 */
/* The k-th value to redact: the secrets, then each token's two forms
 * (NULL for a JSON form that is the token itself). */
static const char *
trace_secret_at(const struct trace *t, size_t k)
{
	if (k < t->nsecrets)
		return t->secrets[k];
	k -= t->nsecrets;
	return k % 2 == 0 ? t->tokens[k / 2].raw : t->tokens[k / 2].json;
}

static void
trace_body(const struct trace *t, const char *text, size_t len, char *dst,
    size_t *at, size_t size)
{
	const char	*secret;
	size_t		 i = 0, k, slen, start = *at, n = *at, max;
	unsigned char	 c;
	int		 hit, cut = 0;

	max = start + TRACE_BODY_MAX;
	if (max > size - 4)
		max = size - 4;
	while (i < len) {
		if (n >= max) {
			cut = 1;
			break;
		}
		hit = 0;
		for (k = 0; k < t->nsecrets + 2 * t->ntokens; k++) {
			secret = trace_secret_at(t, k);
			if (secret == NULL)
				continue;
			slen = strlen(secret);
			if (len - i >= slen &&
			    memcmp(text + i, secret, slen) == 0) {
				hit = 1;
				i += slen;
				slen = sizeof TRACE_REDACTED - 1;
				if (slen > max - n) {
					slen = max - n;
					cut = 1;
				}
				memcpy(dst + n, TRACE_REDACTED, slen);
				n += slen;
				break;
			}
		}
		if (cut)
			break;
		if (!hit)
			dst[n++] = text[i++];
	}
	if (cut) {
		/* Cut between characters, not inside one. */
		for (k = n; k > start && n - k < 4; k--) {
			c = (unsigned char)dst[k - 1];
			if ((c & 0xc0) == 0x80)
				continue;
			slen = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (n - (k - 1) < slen)
				n = k - 1;
			break;
		}
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
	*at = n;
}

/* ---- the line ---- */

/* The id or method s as the line's head shows it, known secrets
 * replaced as in the body (one in an id shows in both), at most max
 * bytes of it (then "..."): into out, of max + 4 bytes at least. */
static const char *
trace_head(const struct trace *t, const char *s, char *out, size_t max)
{
	char	 buf[TRACE_BODY_MAX + 8];
	size_t	 at = 0;

	trace_body(t, s, strlen(s), buf, &at, sizeof buf);
	if (at > max) {
		memcpy(buf + max, "...", 4);
		at = max + 3;
	}
	memcpy(out, buf, at + 1);
	return out;
}

size_t
trace_format(struct trace *t, enum trace_dir dir, const char *label,
    json_object *msg, uint64_t now, char *buf, size_t size)
{
	return trace_format_copy(t, dir, 0, label, msg, now, buf, size);
}

/* The FROM>TO field: a pool's copy named by its number ("bridge>child2")
 * after the end it is. */
static const char *
trace_ends(enum trace_dir dir, unsigned copy, char *buf, size_t size)
{
	if (copy == 0 || (dir != TRACE_CHILD_OUT && dir != TRACE_CHILD_IN))
		return trace_dir_names[dir];
	if (dir == TRACE_CHILD_OUT)
		snprintf(buf, size, "bridge>child%u", copy);
	else
		snprintf(buf, size, "child%u>bridge", copy);
	return buf;
}

size_t
trace_format_copy(struct trace *t, enum trace_dir dir, unsigned copy,
    const char *label, json_object *msg, uint64_t now, char *buf, size_t size)
{
	static const char *const kinds[] = {
		[JSONRPC_INVALID] = "invalid",
		[JSONRPC_REQUEST] = "request",
		[JSONRPC_NOTIFICATION] = "notification",
		[JSONRPC_RESPONSE] = "response",
		[JSONRPC_BATCH] = "batch",
	};
	enum jsonrpc_kind	 kind = jsonrpc_classify(msg);
	struct trace_pending	*p = NULL;
	json_object		*id, *err, *code, *redacted, *tree;
	const char		*method = NULL, *ids = NULL, *text, *what;
	char			 idbuf[TRACE_ID_MAX + 1];
	char			 idshow[TRACE_ID_MAX + 4];
	char			 mshow[TRACE_METHOD_MAX + 4];
	char			 ends[32];
	size_t			 len = 0, n;
	int			 r;

	if (size < TRACE_LINE_MAX || dir >= TRACE_DIRS) {
		if (size > 0)
			buf[0] = '\0';
		return 0;
	}
	label = trace_label(label);
	what = kinds[kind];
	idbuf[0] = '\0';
	if (kind == JSONRPC_REQUEST || kind == JSONRPC_NOTIFICATION)
		method = jsonrpc_method(msg);
	if ((kind == JSONRPC_REQUEST || kind == JSONRPC_RESPONSE) &&
	    (id = jsonrpc_id(msg)) != NULL) {
		ids = json_object_to_json_string_ext(id, TRACE_JSON_FLAGS);
		if (ids == NULL)
			ids = "";
		snprintf(idbuf, sizeof idbuf, "%s", ids);
		/* Shown from the whole id: a secret the cut falls in goes
		 * whole too. */
		ids = trace_head(t, ids, idshow, TRACE_ID_MAX);
	}
	if (kind == JSONRPC_REQUEST)
		trace_pending_add(t, dir, copy, label, idbuf, method, now);
	else if (kind == JSONRPC_RESPONSE) {
		p = trace_pending_take(t, dir, copy, label, idbuf, now);
		if (p != NULL)
			method = p->method;
		if (json_object_object_get_ex(msg, "error", &err))
			what = "error";
	}
	/* A raw value (rawjson.h: a client's tools/call arguments) as
	 * json-c writes its tree: its secrets, however the client spelt
	 * them, and its members named like secrets are found as the rest. */
	tree = rawjson_tree(msg);
	text = json_object_to_json_string_length(tree, TRACE_JSON_FLAGS, &len);

	r = snprintf(buf, size, "%.*s %s %s", TRACE_LABEL_LEN, label,
	    trace_ends(dir, copy, ends, sizeof ends), what);
	n = (size_t)r;
	if (method != NULL)
		n += (size_t)snprintf(buf + n, size - n, " %s",
		    trace_head(t, method, mshow, TRACE_METHOD_MAX));
	if (ids != NULL)
		n += (size_t)snprintf(buf + n, size - n, " id=%s", ids);
	n += (size_t)snprintf(buf + n, size - n, " %zuB", len);
	if (p != NULL)
		n += (size_t)snprintf(buf + n, size - n, " %" PRIu64 "ms",
		    now >= p->at ? now - p->at : 0);
	if (kind == JSONRPC_RESPONSE && json_object_object_get_ex(msg,
	    "error", &err) && (code = jsonrpc_get(err, "code",
	    json_type_int)) != NULL)
		n += (size_t)snprintf(buf + n, size - n, " code=%" PRId64,
		    json_object_get_int64(code));
	if (t->mode == TRACE_BODY && text != NULL) {
		redacted = NULL;
		if (trace_redact_keys(tree, 0)) {
			redacted = jsonrpc_copy(tree);
			trace_redact_keys(redacted, 1);
			text = json_object_to_json_string_length(redacted,
			    TRACE_JSON_FLAGS, &len);
		}
		buf[n++] = ' ';
		trace_body(t, text, len, buf, &n, size);
		if (redacted != NULL)
			json_object_put(redacted);
	}
	json_object_put(tree);
	return n;
}

void
trace_msg(struct trace *t, enum trace_dir dir, const char *label,
    json_object *msg)
{
	trace_msg_copy(t, dir, 0, label, msg);
}

void
trace_msg_copy(struct trace *t, enum trace_dir dir, unsigned copy,
    const char *label, json_object *msg)
{
	size_t	n, i;

	if (t == NULL || msg == NULL)
		return;
	/* One line a message: a batch's are its members. */
	if (jsonrpc_classify(msg) == JSONRPC_BATCH) {
		for (i = 0; i < json_object_array_length(msg); i++)
			trace_msg_copy(t, dir, copy, label,
			    json_object_array_get_idx(msg, i));
		return;
	}
	n = trace_format_copy(t, dir, copy, label, msg, clock_ms(), t->line,
	    sizeof t->line);
	log_trace(t->line, n);
}
