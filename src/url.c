/* SPDX-License-Identifier: ISC */
/*
 * url.c: which URLs the bridge talks to, and a server's endpoint resolved
 * against the URL it came from.  See url.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "log.h"
#include "url.h"
#include "xmalloc.h"

/* What a scheme and host may be: https:// anywhere, plain http:// only to
 * loopback unless allowed. */
enum url_rule {
	URL_OK,
	URL_NOT_HTTP,		/* neither http:// nor https:// */
	URL_FAR_HTTP,		/* plain http:// beyond loopback */
};

CURLU *
url_parse(const char *url)
{
	CURLU	*u;

	if ((u = curl_url()) == NULL)
		fatalx("curl_url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

char *
url_part(CURLU *u, CURLUPart what, unsigned flags)
{
	char	*s, *r;

	if (curl_url_get(u, what, &s, flags) != CURLUE_OK)
		return xstrdup("");
	r = xstrdup(s);
	curl_free(s);
	return r;
}

/* localhost, 127.0.0.0/8 as a dotted quad, or ::1 (libcurl's host part
 * has it in brackets). */
static int
url_is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0 ||
	    strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0)
		return 1;
	/* 127.0.0.0/8 written as a dotted quad */
	if (strncmp(host, "127.", 4) == 0 &&
	    strspn(host, "0123456789.") == strlen(host))
		return 1;
	return 0;
}

static enum url_rule
url_rule(const char *scheme, const char *host, int allow_http)
{
	if (strcasecmp(scheme, "https") == 0)
		return URL_OK;
	if (strcasecmp(scheme, "http") != 0)
		return URL_NOT_HTTP;
	if (!allow_http && !url_is_loopback(host))
		return URL_FAR_HTTP;
	return URL_OK;
}

int
url_check(const char *url, int allow_http, char **err)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL;
	int	 rv = -1;

	/* Not url_part: a URL without a host (file:///x) is no URL here,
	 * where url_part would give "" and the scheme's message. */
	if ((u = url_parse(url)) == NULL ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		xasprintf(err, "'%s' is not a URL", url);
		goto out;
	}
	switch (url_rule(scheme, host, allow_http)) {
	case URL_OK:
		rv = 0;
		break;
	case URL_NOT_HTTP:
		xasprintf(err, "the URL must be http:// or https://, not %s://",
		    scheme);
		break;
	case URL_FAR_HTTP:
		xasprintf(err, "plain http:// is only allowed to loopback "
		    "addresses; use https:// or --allow-http");
		break;
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rv;
}

int
url_check_browser(const char *url, int allow_http, char **err)
{
	static const char	 safe[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?[]@&=+,%";
	CURLU			*u;
	char			*scheme, *host;
	size_t			 bad;
	int			 ok;

	if ((bad = strspn(url, safe)) != strlen(url)) {
		xasprintf(err, "the authorization URL has a character that has "
		    "no place in it (0x%02x at %zu): refused",
		    (unsigned char)url[bad], bad);
		return -1;
	}
	if ((u = url_parse(url)) == NULL) {
		xasprintf(err, "the authorization URL is not a URL: refused");
		return -1;
	}
	scheme = url_part(u, CURLUPART_SCHEME, 0);
	host = url_part(u, CURLUPART_HOST, 0);
	ok = url_rule(scheme, host, allow_http) == URL_OK;
	if (!ok)
		xasprintf(err, "the authorization URL is not https:// (nor "
		    "http:// to this machine): refused");
	free(scheme);
	free(host);
	curl_url_cleanup(u);
	return ok ? 0 : -1;
}

int
url_same_origin(const char *a, const char *b)
{
	CURLU		*ua, *ub;
	char		*pa, *pb;
	int		 same = 1, i;
	static const CURLUPart parts[3] = {
		CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT
	};

	ua = url_parse(a);
	ub = url_parse(b);
	if (ua == NULL || ub == NULL)
		same = 0;
	for (i = 0; same && i < 3; i++) {
		pa = url_part(ua, parts[i], CURLU_DEFAULT_PORT);
		pb = url_part(ub, parts[i], CURLU_DEFAULT_PORT);
		same = *pa != '\0' && strcasecmp(pa, pb) == 0;
		free(pa);
		free(pb);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

int
url_loopback_port(const char *uri)
{
	static const char	 prefix[] = "http://127.0.0.1:";
	long			 port;

	if (uri == NULL || strncmp(uri, prefix, sizeof prefix - 1) != 0)
		return 0;
	port = strtol(uri + sizeof prefix - 1, NULL, 10);
	return port > 0 && port < 65536 ? (int)port : 0;
}

int
url_resolve(const char *base, const char *ref, char **out, char **err)
{
	CURLU		*u;
	char		*abs = NULL;
	int		 rv = -1;

	*out = NULL;
	if (ref[0] == '\0' || strpbrk(ref, "\r\n") != NULL) {
		xasprintf(err, "the endpoint event is empty or malformed");
		return -1;
	}
	/* Setting a relative URL on a handle that has one resolves it. */
	if ((u = url_parse(base)) == NULL ||
	    curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &abs, 0) != CURLUE_OK) {
		xasprintf(err, "the endpoint '%s' is not a usable URI", ref);
		goto out;
	}
	if (!url_same_origin(base, abs)) {
		xasprintf(err, "the endpoint '%s' is not on the server's "
		    "origin", ref);
		goto out;
	}
	*out = xstrdup(abs);
	rv = 0;
out:
	curl_free(abs);
	curl_url_cleanup(u);
	return rv;
}
