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

int
url_check(const char *url, int allow_http, char **err)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL;
	int	 rv = -1;

	if ((u = curl_url()) == NULL)
		fatalx("curl_url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		xasprintf(err, "'%s' is not a URL", url);
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0)
		rv = 0;
	else if (strcasecmp(scheme, "http") != 0)
		xasprintf(err, "the URL must be http:// or https://, not %s://",
		    scheme);
	else if (!allow_http && !url_is_loopback(host))
		xasprintf(err, "plain http:// is only allowed to loopback "
		    "addresses; use https:// or --allow-http");
	else
		rv = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rv;
}

int
url_resolve(const char *base, const char *ref, char **out, char **err)
{
	CURLU		*u = NULL, *b = NULL;
	char		*abs = NULL, *p[6] = { NULL };
	int		 rv = -1, i;
	static const CURLUPart parts[3] = {
		CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT
	};

	*out = NULL;
	if (ref[0] == '\0' || strpbrk(ref, "\r\n") != NULL) {
		xasprintf(err, "the endpoint event is empty or malformed");
		return -1;
	}
	if ((u = curl_url()) == NULL || (b = curl_url()) == NULL)
		fatalx("curl_url");
	/* Setting a relative URL on a handle that has one resolves it. */
	if (curl_url_set(b, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &abs, 0) != CURLUE_OK) {
		xasprintf(err, "the endpoint '%s' is not a usable URI", ref);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		if (curl_url_get(b, parts[i], &p[i], CURLU_DEFAULT_PORT) !=
		    CURLUE_OK ||
		    curl_url_get(u, parts[i], &p[i + 3], CURLU_DEFAULT_PORT) !=
		    CURLUE_OK || strcasecmp(p[i], p[i + 3]) != 0) {
			xasprintf(err, "the endpoint '%s' is not on the "
			    "server's origin", ref);
			goto out;
		}
	}
	*out = xstrdup(abs);
	rv = 0;
out:
	for (i = 0; i < 6; i++)
		curl_free(p[i]);
	curl_free(abs);
	curl_url_cleanup(u);
	curl_url_cleanup(b);
	return rv;
}
