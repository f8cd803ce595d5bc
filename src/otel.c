/* SPDX-License-Identifier: ISC */
/*
 * otel.c: spans, the sampler, the OTEL_* settings and the OTLP/HTTP JSON
 * encoding (otel.h).
 *
 * Who owns what: a span owns its strings, attributes and events; an
 * otel_attrs owns its keys and string values; otel_config owns its URL,
 * headers and resource.  Every string that goes into a span is copied,
 * cut to its limit on a UTF-8 boundary, and mended where it is not UTF-8
 * (OTLP strings must be), so a peer's bytes never make the batch invalid.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "log.h"
#include "otel.h"
#include "url.h"
#include "utf8.h"
#include "xmalloc.h"

/* 2^56: the range of the randomness TraceIdRatioBased reads. */
#define OTEL_RANDOM_RANGE	72057594037927936.0
/* Span flags (OTLP SpanFlags): the parent's remoteness is known, and it
 * is remote; the low 8 bits are the W3C trace flags. */
#define OTEL_SPAN_FLAGS_HAS_IS_REMOTE	0x100
#define OTEL_SPAN_FLAGS_IS_REMOTE	0x200

/* ---- strings ---- */

/*
 * s, at most max bytes of it, as well-formed UTF-8: a sequence that would
 * pass max is left out whole, a byte that starts none becomes U+FFFD.
 */
static char *
otel_text(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), at = 0, i = 0, n;
	char			*out;

	out = xmalloc((len < max ? len : max) * 3 + 1);
	while (i < len) {
		if ((n = utf8_len(p + i, len - i)) == 0) {
			if (at + 3 > max)
				break;
			memcpy(out + at, "\xef\xbf\xbd", 3);
			at += 3;
			i++;
			continue;
		}
		if (at + n > max)
			break;
		memcpy(out + at, p + i, n);
		at += n;
		i += n;
	}
	out[at] = '\0';
	return out;
}

static void
warn_add(char **warn, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *all;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (*warn == NULL)
		*warn = msg;
	else {
		xasprintf(&all, "%s; %s", *warn, msg);
		free(*warn);
		free(msg);
		*warn = all;
	}
}

char *
otel_json_str(json_object *o, const char *key)
{
	json_object	*v;
	const char	*s;
	char		*out;
	size_t		 len, i, at = 0;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	out = xmalloc(len * 3 + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '\0') {
			memcpy(out + at, "\xef\xbf\xbd", 3);
			at += 3;
		} else
			out[at++] = s[i];
	}
	out[at] = '\0';
	return out;
}

/* ---- attributes ---- */

void
otel_attrs_init(struct otel_attrs *a, size_t max)
{
	memset(a, 0, sizeof *a);
	a->max = max;
}

static void
otel_attr_value_free(struct otel_attr *at)
{
	if (at->type == OTEL_STRING)
		free(at->v.s);
	at->v.s = NULL;
}

void
otel_attrs_clear(struct otel_attrs *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].key);
		otel_attr_value_free(&a->v[i]);
	}
	free(a->v);
	otel_attrs_init(a, a->max);
}

const struct otel_attr *
otel_attrs_get(const struct otel_attrs *a, const char *key)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, key) == 0)
			return &a->v[i];
	return NULL;
}

/* The slot for key (its old value freed), or NULL: dropped, counted. */
static struct otel_attr *
otel_attr_slot(struct otel_attrs *a, const char *key)
{
	struct otel_attr	*at;
	size_t			 i;

	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].key, key) == 0) {
			otel_attr_value_free(&a->v[i]);
			return &a->v[i];
		}
	}
	if (a->n == a->max) {
		a->dropped++;
		return NULL;
	}
	if (a->v == NULL)
		a->v = xcalloc(a->max, sizeof *a->v);
	at = &a->v[a->n++];
	at->key = otel_text(key, OTEL_MAX_NAME_LEN);
	return at;
}

void
otel_attr_str(struct otel_attrs *a, const char *key, const char *value)
{
	struct otel_attr	*at;

	if ((at = otel_attr_slot(a, key)) == NULL)
		return;
	at->type = OTEL_STRING;
	at->v.s = otel_text(value != NULL ? value : "", OTEL_MAX_VALUE_LEN);
}

/*
 * A session id is a bearer-like handle in the legacy transport (who knows
 * it may use the session), and telemetry goes to other people's systems:
 * spans carry a hash, enough to group a session's spans, useless to use it.
 */
void
otel_attr_session_id(struct otel_attrs *a, const char *sid)
{
	static const char	 hexdig[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;
	char			 hex[OTEL_SESSION_HASH_LEN + 1];

	if (sid == NULL || *sid == '\0')
		return;
	if (!EVP_Digest(sid, strlen(sid), md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen * 2 < OTEL_SESSION_HASH_LEN)
		fatalx("SHA-256 failed");
	for (i = 0; i < OTEL_SESSION_HASH_LEN / 2; i++) {
		hex[2 * i] = hexdig[md[i] >> 4];
		hex[2 * i + 1] = hexdig[md[i] & 0xf];
	}
	hex[OTEL_SESSION_HASH_LEN] = '\0';
	otel_attr_str(a, "mcp.session.id", hex);
}

void
otel_attr_int(struct otel_attrs *a, const char *key, int64_t value)
{
	struct otel_attr	*at;

	if ((at = otel_attr_slot(a, key)) == NULL)
		return;
	at->type = OTEL_INT;
	at->v.i = value;
}

void
otel_attr_bool(struct otel_attrs *a, const char *key, int value)
{
	struct otel_attr	*at;

	if ((at = otel_attr_slot(a, key)) == NULL)
		return;
	at->type = OTEL_BOOL;
	at->v.b = value != 0;
}

void
otel_attr_double(struct otel_attrs *a, const char *key, double value)
{
	struct otel_attr	*at;

	if ((at = otel_attr_slot(a, key)) == NULL)
		return;
	at->type = OTEL_DOUBLE;
	at->v.d = value;
}

/* ---- spans ---- */

uint64_t
otel_now_ns(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		fatal("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct otel_span *
otel_span_new(const char *name, enum otel_kind kind,
    const struct tracectx *ctx, const struct tracectx *parent,
    int parent_remote, uint64_t start_ns)
{
	struct otel_span	*sp;

	sp = xcalloc(1, sizeof *sp);
	sp->name = otel_text(name, OTEL_MAX_NAME_LEN);
	sp->kind = kind;
	sp->ctx = *ctx;
	if (parent != NULL) {
		memcpy(sp->parent_id, parent->span_id, sizeof sp->parent_id);
		sp->parent_remote = parent_remote != 0;
	}
	sp->start_ns = start_ns;
	sp->end_ns = start_ns;
	otel_attrs_init(&sp->attrs, OTEL_MAX_ATTRS);
	return sp;
}

void
otel_span_rename(struct otel_span *sp, const char *name)
{
	free(sp->name);
	sp->name = otel_text(name, OTEL_MAX_NAME_LEN);
}

void
otel_span_free(struct otel_span *sp)
{
	size_t	i;

	if (sp == NULL)
		return;
	for (i = 0; i < sp->nevents; i++) {
		free(sp->events[i].name);
		otel_attrs_clear(&sp->events[i].attrs);
	}
	free(sp->events);
	otel_attrs_clear(&sp->attrs);
	free(sp->status_msg);
	free(sp->name);
	free(sp);
}

void
otel_span_end(struct otel_span *sp, uint64_t end_ns)
{
	sp->end_ns = end_ns < sp->start_ns ? sp->start_ns : end_ns;
}

void
otel_span_status(struct otel_span *sp, enum otel_status status,
    const char *msg)
{
	sp->status = status;
	free(sp->status_msg);
	sp->status_msg = NULL;
	if (status == OTEL_STATUS_ERROR && msg != NULL)
		sp->status_msg = otel_text(msg, OTEL_MAX_VALUE_LEN);
}

struct otel_event *
otel_span_event(struct otel_span *sp, const char *name, uint64_t time_ns)
{
	struct otel_event	*ev;

	if (sp->nevents == OTEL_MAX_EVENTS) {
		sp->dropped_events++;
		return NULL;
	}
	if (sp->events == NULL)
		sp->events = xcalloc(OTEL_MAX_EVENTS, sizeof *sp->events);
	ev = &sp->events[sp->nevents++];
	ev->name = otel_text(name, OTEL_MAX_NAME_LEN);
	ev->time_ns = time_ns;
	otel_attrs_init(&ev->attrs, OTEL_MAX_EVENT_ATTRS);
	return ev;
}

/* ---- the sampler ---- */

void
otel_sampler_set(struct otel_sampler *s, const char *name, const char *arg,
    char **warn)
{
	static const struct {
		const char		*name;
		int			 parent_based;
		enum otel_sampler_root	 root;
	} known[] = {
		{ "always_on", 0, OTEL_SAMPLE_ALWAYS_ON },
		{ "always_off", 0, OTEL_SAMPLE_ALWAYS_OFF },
		{ "traceidratio", 0, OTEL_SAMPLE_RATIO },
		{ "parentbased_always_on", 1, OTEL_SAMPLE_ALWAYS_ON },
		{ "parentbased_always_off", 1, OTEL_SAMPLE_ALWAYS_OFF },
		{ "parentbased_traceidratio", 1, OTEL_SAMPLE_RATIO },
	};
	size_t	 i;
	double	 r = 1.0;
	char	*end;

	memset(s, 0, sizeof *s);
	s->parent_based = 1;
	s->root = OTEL_SAMPLE_ALWAYS_ON;
	s->ratio = 1.0;
	if (name != NULL && *name != '\0') {
		for (i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strcmp(name, known[i].name) == 0)
				break;
		if (i < sizeof known / sizeof known[0]) {
			s->parent_based = known[i].parent_based;
			s->root = known[i].root;
		} else
			warn_add(warn, "OTEL_TRACES_SAMPLER: %.64s is not "
			    "supported, using parentbased_always_on", name);
	}
	if (s->root != OTEL_SAMPLE_RATIO)
		return;
	if (arg != NULL && *arg != '\0') {
		errno = 0;
		r = strtod(arg, &end);
		if (errno != 0 || *end != '\0' || end == arg || isnan(r) ||
		    r < 0.0 || r > 1.0) {
			warn_add(warn, "OTEL_TRACES_SAMPLER_ARG: not a ratio "
			    "in [0, 1], using 1.0");
			r = 1.0;
		}
	}
	s->ratio = r;
	/* Below 2^-56 no trace id is sampled: the spec makes it off. */
	if (r * OTEL_RANDOM_RANGE < 1.0) {
		s->root = OTEL_SAMPLE_ALWAYS_OFF;
		return;
	}
	s->threshold = (uint64_t)OTEL_RANDOM_RANGE -
	    (uint64_t)(r * OTEL_RANDOM_RANGE + 0.5);
}

int
otel_sample(const struct otel_sampler *s, const struct tracectx *parent,
    const uint8_t trace_id[TRACECTX_TRACE_ID_LEN])
{
	uint64_t	r = 0;
	size_t		i;

	if (s->parent_based && parent != NULL)
		return tracectx_sampled(parent);
	switch (s->root) {
	case OTEL_SAMPLE_ALWAYS_ON:
		return 1;
	case OTEL_SAMPLE_ALWAYS_OFF:
		return 0;
	case OTEL_SAMPLE_RATIO:
		break;
	}
	/* The rightmost 7 bytes: the randomness W3C Level 2 promises. */
	for (i = TRACECTX_TRACE_ID_LEN - 7; i < TRACECTX_TRACE_ID_LEN; i++)
		r = r << 8 | trace_id[i];
	return r >= s->threshold;
}

/* ---- key=value lists ---- */

void
otel_kv_free(struct otel_kv *kv, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		if (kv[i].value != NULL) {
			/* Header values are secrets: leave no copy. */
			explicit_bzero(kv[i].value, strlen(kv[i].value));
			free(kv[i].value);
		}
	}
	free(kv);
}

static int
otel_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
otel_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* p[0..len) percent-decoded; NULL if an escape is broken or the result
 * holds a control character (it may become a header line). */
static char *
otel_pct_decode(const char *p, size_t len)
{
	char	*out = xmalloc(len + 1);
	size_t	 i, at = 0;
	int	 hi, lo;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '%') {
			if (i + 2 >= len)
				goto fail;
			hi = otel_hexval((unsigned char)p[i + 1]);
			lo = otel_hexval((unsigned char)p[i + 2]);
			if (hi < 0 || lo < 0)
				goto fail;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			goto fail;
		out[at++] = (char)c;
	}
	out[at] = '\0';
	return out;
fail:
	explicit_bzero(out, len + 1);
	free(out);
	return NULL;
}

int
otel_kv_parse(const char *s, size_t max, struct otel_kv **out, size_t *n,
    char **err)
{
	struct otel_kv	*kv = NULL;
	const char	*p, *end, *comma, *eq, *k, *v;
	char		*key;
	size_t		 nkv = 0, klen, vlen, i = 0;

	*out = NULL;
	*n = 0;
	if (strlen(s) > OTEL_MAX_ENV_LEN) {
		xasprintf(err, "longer than %d bytes", OTEL_MAX_ENV_LEN);
		return -1;
	}
	end = s + strlen(s);
	for (p = s; p <= end; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = end;
		k = p;
		while (k < comma && (*k == ' ' || *k == '\t'))
			k++;
		if (k == comma)
			continue;	/* an empty member */
		if ((eq = memchr(k, '=', (size_t)(comma - k))) == NULL) {
			xasprintf(err, "member %zu has no '='", nkv + 1);
			goto fail;
		}
		klen = (size_t)(eq - k);
		while (klen > 0 && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
			klen--;
		/* Keys are percent-encoded too; decoded, a token. */
		if ((key = otel_pct_decode(k, klen)) != NULL)
			for (i = 0; key[i] != '\0'; i++)
				if (!otel_tchar((unsigned char)key[i]))
					break;
		if (key == NULL || key[0] == '\0' || key[i] != '\0') {
			free(key);
			xasprintf(err, "member %zu has a malformed key",
			    nkv + 1);
			goto fail;
		}
		v = eq + 1;
		while (v < comma && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(comma - v);
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (nkv == max) {
			free(key);
			xasprintf(err, "more than %zu members", max);
			goto fail;
		}
		if (kv == NULL)
			kv = xcalloc(max, sizeof *kv);
		if ((kv[nkv].value = otel_pct_decode(v, vlen)) == NULL) {
			xasprintf(err, "the value of %.64s is malformed", key);
			free(key);
			goto fail;
		}
		kv[nkv].key = key;
		nkv++;
	}
	*out = kv;
	*n = nkv;
	return 0;
fail:
	if (kv != NULL)
		otel_kv_free(kv, nkv);
	return -1;
}

/* ---- settings ---- */

const char *
otel_getenv(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

/* A variable's value, NULL if unset or empty (the spec's "unset"). */
static const char *
otel_env(otel_env_fn get, void *arg, const char *name)
{
	const char	*v = get(name, arg);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The signal's variable, else the general one. */
static const char *
otel_env2(otel_env_fn get, void *arg, const char *traces, const char *all)
{
	const char	*v = otel_env(get, arg, traces);

	return v != NULL ? v : otel_env(get, arg, all);
}

static int
otel_headers_read(struct otel_config *cfg, otel_env_fn get, void *arg,
    char **err)
{
	static const char *const names[] = {
		"OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS",
	};
	struct otel_kv	*kv;
	size_t		 n, i, j, k;
	const char	*v;
	char		*why = NULL;

	for (i = 0; i < 2; i++) {
		if ((v = otel_env(get, arg, names[i])) == NULL)
			continue;
		if (otel_kv_parse(v, OTEL_MAX_HEADERS, &kv, &n, &why) == -1) {
			xasprintf(err, "%s: %s", names[i], why);
			free(why);
			return -1;
		}
		for (j = 0; j < n; j++) {
			/* The traces variable's win, whatever their case. */
			for (k = 0; k < cfg->nheaders; k++)
				if (strcasecmp(cfg->headers[k].key,
				    kv[j].key) == 0)
					break;
			if (k == cfg->nheaders) {
				if (cfg->nheaders == OTEL_MAX_HEADERS) {
					otel_kv_free(kv, n);
					xasprintf(err, "more than %d exporter "
					    "headers", OTEL_MAX_HEADERS);
					return -1;
				}
				cfg->headers = xreallocarray(cfg->headers,
				    cfg->nheaders + 1, sizeof *cfg->headers);
				cfg->nheaders++;
			} else {
				free(cfg->headers[k].key);
				explicit_bzero(cfg->headers[k].value,
				    strlen(cfg->headers[k].value));
				free(cfg->headers[k].value);
			}
			cfg->headers[k] = kv[j];
			kv[j].key = kv[j].value = NULL;
		}
		otel_kv_free(kv, n);
	}
	return 0;
}

static void
otel_resource_read(struct otel_config *cfg, otel_env_fn get, void *arg,
    char **warn)
{
	struct otel_kv	*kv = NULL;
	size_t		 n = 0, i;
	const char	*name, *v;
	char		*why = NULL;

	otel_attrs_init(&cfg->resource, OTEL_MAX_RESOURCE_ATTRS + 1);
	if ((v = otel_env(get, arg, "OTEL_RESOURCE_ATTRIBUTES")) != NULL &&
	    otel_kv_parse(v, OTEL_MAX_RESOURCE_ATTRS, &kv, &n, &why) == -1) {
		/* The spec: discard the whole value, report, go on. */
		warn_add(warn, "OTEL_RESOURCE_ATTRIBUTES ignored: %s", why);
		free(why);
		kv = NULL;
		n = 0;
	}
	name = otel_env(get, arg, "OTEL_SERVICE_NAME");
	for (i = 0; name == NULL && i < n; i++)
		if (strcmp(kv[i].key, "service.name") == 0)
			name = kv[i].value;
	otel_attr_str(&cfg->resource, "service.name",
	    name != NULL ? name : OTEL_SERVICE_DEFAULT);
	for (i = 0; i < n; i++)
		if (strcmp(kv[i].key, "service.name") != 0)
			otel_attr_str(&cfg->resource, kv[i].key, kv[i].value);
	if (kv != NULL)
		otel_kv_free(kv, n);
}

/* The traces URL: the signal's endpoint as is, or the general one with
 * the path appended (one slash between). */
static char *
otel_traces_url(otel_env_fn get, void *arg, const char **from)
{
	const char	*v;
	char		*url;
	size_t		 len;

	if ((v = otel_env(get, arg, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) !=
	    NULL) {
		*from = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
		return xstrdup(v);
	}
	if ((v = otel_env(get, arg, "OTEL_EXPORTER_OTLP_ENDPOINT")) == NULL)
		return NULL;
	*from = "OTEL_EXPORTER_OTLP_ENDPOINT";
	len = strlen(v);
	xasprintf(&url, "%s%s%s", v, len > 0 && v[len - 1] == '/' ? "" : "/",
	    OTEL_TRACES_PATH);
	return url;
}

int
otel_config_read(struct otel_config *cfg, otel_env_fn get, void *arg,
    char **warn, char **err)
{
	const char	*v, *from = NULL;
	char		*why = NULL, *end;
	long		 ms;

	memset(cfg, 0, sizeof *cfg);
	*err = NULL;
	otel_resource_read(cfg, get, arg, warn);
	otel_sampler_set(&cfg->sampler, otel_env(get, arg,
	    "OTEL_TRACES_SAMPLER"), otel_env(get, arg,
	    "OTEL_TRACES_SAMPLER_ARG"), warn);
	cfg->timeout_ms = OTEL_TIMEOUT_DEFAULT_MS;
	if ((v = otel_env2(get, arg, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
	    "OTEL_EXPORTER_OTLP_TIMEOUT")) != NULL) {
		errno = 0;
		ms = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || ms <= 0)
			warn_add(warn, "%s: not a positive number of "
			    "milliseconds, using %d", otel_env(get, arg,
			    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") != NULL ?
			    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" :
			    "OTEL_EXPORTER_OTLP_TIMEOUT",
			    OTEL_TIMEOUT_DEFAULT_MS);
		else
			cfg->timeout_ms = ms > OTEL_TIMEOUT_MAX_MS ?
			    OTEL_TIMEOUT_MAX_MS : ms;
	}

	if ((v = otel_env(get, arg, "OTEL_SDK_DISABLED")) != NULL &&
	    strcasecmp(v, "true") == 0)
		return 0;
	if ((v = otel_env(get, arg, "OTEL_TRACES_EXPORTER")) != NULL &&
	    strcmp(v, "otlp") != 0) {
		if (strcmp(v, "none") != 0)
			warn_add(warn, "OTEL_TRACES_EXPORTER: only otlp is "
			    "supported; traces are not exported");
		return 0;
	}
	if ((cfg->traces_url = otel_traces_url(get, arg, &from)) == NULL)
		return 0;
	if (url_check(cfg->traces_url, 1, &why) == -1) {
		/* Not the URL itself: it may carry credentials. */
		xasprintf(err, "%s is not an http or https URL", from);
		free(why);
		goto fail;
	}
	if (strcmp(from, "OTEL_EXPORTER_OTLP_ENDPOINT") == 0 &&
	    (v = otel_env(get, arg, from)) != NULL) {
		/* The path goes after it: a query or fragment would swallow
		 * it, and "http://" alone would make "v1" the host. */
		if (strpbrk(v, "?#") != NULL) {
			xasprintf(err, "%s has a query or fragment: the "
			    "traces path cannot follow it", from);
			goto fail;
		}
		if ((v = strstr(v, "://")) == NULL || v[3] == '\0' ||
		    v[3] == '/' || v[3] == '?' || v[3] == '#') {
			xasprintf(err, "%s has no host", from);
			goto fail;
		}
	}
	if ((v = otel_env2(get, arg, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	    "OTEL_EXPORTER_OTLP_PROTOCOL")) != NULL &&
	    strcmp(v, "http/json") != 0)
		warn_add(warn, "OTEL_EXPORTER_OTLP_PROTOCOL: %.32s is not "
		    "supported, sending http/json", v);
	if (otel_headers_read(cfg, get, arg, err) == -1)
		goto fail;
	return 0;
fail:
	otel_config_free(cfg);
	return -1;
}

char *
otel_url_shown(const struct otel_config *cfg)
{
	CURLU	*u;
	char	*scheme, *host, *port, *path, *out;

	if (cfg->traces_url == NULL || (u = url_parse(cfg->traces_url)) ==
	    NULL)
		return xstrdup("?");
	scheme = url_part(u, CURLUPART_SCHEME, 0);
	host = url_part(u, CURLUPART_HOST, 0);
	port = url_part(u, CURLUPART_PORT, 0);
	path = url_part(u, CURLUPART_PATH, 0);
	xasprintf(&out, "%s://%s%s%s%s", scheme, host, *port != '\0' ? ":" :
	    "", port, path);
	free(scheme);
	free(host);
	free(port);
	free(path);
	curl_url_cleanup(u);
	return out;
}

void
otel_config_free(struct otel_config *cfg)
{
	free(cfg->traces_url);
	if (cfg->headers != NULL)
		otel_kv_free(cfg->headers, cfg->nheaders);
	otel_attrs_clear(&cfg->resource);
	memset(cfg, 0, sizeof *cfg);
}

/* ---- OTLP/HTTP JSON ---- */

static json_object *
otel_u64(uint64_t v)
{
	char	buf[24];

	snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	return json_object_new_string(buf);
}

static json_object *
otel_any_value(const struct otel_attr *at)
{
	json_object	*o = json_object_new_object();
	char		 buf[40];

	switch (at->type) {
	case OTEL_STRING:
		json_object_object_add(o, "stringValue",
		    json_object_new_string(at->v.s));
		break;
	case OTEL_INT:
		snprintf(buf, sizeof buf, "%lld", (long long)at->v.i);
		json_object_object_add(o, "intValue",
		    json_object_new_string(buf));
		break;
	case OTEL_BOOL:
		json_object_object_add(o, "boolValue",
		    json_object_new_boolean(at->v.b));
		break;
	case OTEL_DOUBLE:
		/* proto3's JSON: the non-finite ones as strings. */
		if (isnan(at->v.d))
			json_object_object_add(o, "doubleValue",
			    json_object_new_string("NaN"));
		else if (isinf(at->v.d))
			json_object_object_add(o, "doubleValue",
			    json_object_new_string(at->v.d > 0 ? "Infinity" :
			    "-Infinity"));
		else {
			snprintf(buf, sizeof buf, "%.17g", at->v.d);
			json_object_object_add(o, "doubleValue",
			    json_object_new_double_s(at->v.d, buf));
		}
		break;
	}
	return o;
}

/* "attributes" (and its dropped count) into o, if there are any. */
static void
otel_add_attrs(json_object *o, const struct otel_attrs *a)
{
	json_object	*arr, *kv;
	size_t		 i;

	if (a->n > 0) {
		arr = json_object_new_array_ext((int)a->n);
		for (i = 0; i < a->n; i++) {
			kv = json_object_new_object();
			json_object_object_add(kv, "key",
			    json_object_new_string(a->v[i].key));
			json_object_object_add(kv, "value",
			    otel_any_value(&a->v[i]));
			json_object_array_add(arr, kv);
		}
		json_object_object_add(o, "attributes", arr);
	}
	if (a->dropped > 0)
		json_object_object_add(o, "droppedAttributesCount",
		    json_object_new_int64(a->dropped));
}

static json_object *
otel_span_json(const struct otel_span *sp)
{
	json_object	*o = json_object_new_object(), *evs, *ev, *st;
	char		 hex[2 * TRACECTX_TRACE_ID_LEN + 1];
	uint32_t	 flags;
	size_t		 i;

	tracectx_hex(sp->ctx.trace_id, TRACECTX_TRACE_ID_LEN, hex);
	json_object_object_add(o, "traceId", json_object_new_string(hex));
	tracectx_hex(sp->ctx.span_id, TRACECTX_SPAN_ID_LEN, hex);
	json_object_object_add(o, "spanId", json_object_new_string(hex));
	if (sp->ctx.tracestate[0] != '\0')
		json_object_object_add(o, "traceState",
		    json_object_new_string(sp->ctx.tracestate));
	if (!tracectx_zero(sp->parent_id, TRACECTX_SPAN_ID_LEN)) {
		tracectx_hex(sp->parent_id, TRACECTX_SPAN_ID_LEN, hex);
		json_object_object_add(o, "parentSpanId",
		    json_object_new_string(hex));
	}
	flags = (sp->ctx.flags & TRACECTX_FLAGS_KNOWN) |
	    OTEL_SPAN_FLAGS_HAS_IS_REMOTE |
	    (sp->parent_remote ? OTEL_SPAN_FLAGS_IS_REMOTE : 0);
	json_object_object_add(o, "flags", json_object_new_int64(flags));
	json_object_object_add(o, "name", json_object_new_string(sp->name));
	json_object_object_add(o, "kind", json_object_new_int(sp->kind));
	json_object_object_add(o, "startTimeUnixNano", otel_u64(sp->start_ns));
	json_object_object_add(o, "endTimeUnixNano", otel_u64(sp->end_ns));
	otel_add_attrs(o, &sp->attrs);
	if (sp->nevents > 0) {
		evs = json_object_new_array_ext((int)sp->nevents);
		for (i = 0; i < sp->nevents; i++) {
			ev = json_object_new_object();
			json_object_object_add(ev, "timeUnixNano",
			    otel_u64(sp->events[i].time_ns));
			json_object_object_add(ev, "name",
			    json_object_new_string(sp->events[i].name));
			otel_add_attrs(ev, &sp->events[i].attrs);
			json_object_array_add(evs, ev);
		}
		json_object_object_add(o, "events", evs);
	}
	if (sp->dropped_events > 0)
		json_object_object_add(o, "droppedEventsCount",
		    json_object_new_int64(sp->dropped_events));
	if (sp->status != OTEL_STATUS_UNSET) {
		st = json_object_new_object();
		if (sp->status_msg != NULL)
			json_object_object_add(st, "message",
			    json_object_new_string(sp->status_msg));
		json_object_object_add(st, "code",
		    json_object_new_int(sp->status));
		json_object_object_add(o, "status", st);
	}
	return o;
}

char *
otel_encode(const struct otel_attrs *resource, struct otel_span *const *spans,
    size_t n, size_t *len)
{
	json_object	*root, *rs, *rss, *res, *ss, *sss, *scope, *arr;
	const char	*text;
	size_t		 tlen, i;
	char		*out;

	arr = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++)
		json_object_array_add(arr, otel_span_json(spans[i]));
	scope = json_object_new_object();
	json_object_object_add(scope, "name",
	    json_object_new_string(OTEL_SCOPE_NAME));
	json_object_object_add(scope, "version",
	    json_object_new_string(PACKAGE_VERSION));
	ss = json_object_new_object();
	json_object_object_add(ss, "scope", scope);
	json_object_object_add(ss, "spans", arr);
	sss = json_object_new_array_ext(1);
	json_object_array_add(sss, ss);
	res = json_object_new_object();
	otel_add_attrs(res, resource);
	rs = json_object_new_object();
	json_object_object_add(rs, "resource", res);
	json_object_object_add(rs, "scopeSpans", sss);
	rss = json_object_new_array_ext(1);
	json_object_array_add(rss, rs);
	root = json_object_new_object();
	json_object_object_add(root, "resourceSpans", rss);

	text = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
	out = xstrndup(text, tlen);
	json_object_put(root);
	if (len != NULL)
		*len = tlen;
	return out;
}
