#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/curl_dl.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "image/manifest.h"
#include "image/registry.h"

#define DOCKER_HUB	"https://registry-1.docker.io"
#define MAX_ENDPOINTS	16
#define MAX_AUTH_HEADER 4096

struct endpoint {
	char *base;    /* owned: "https://host:port" */
	bool insecure; /* skip TLS verification */
	bool mirror;
};

struct berth_registry {
	struct endpoint endpoints[MAX_ENDPOINTS];
	size_t n_endpoints, current;	 /* current: the endpoint that last worked */
	char *domain, *repo;		 /* owned */
	struct berth_registry_auth auth; /* owned copy */
	bool push;
	int max_attempts;
	char *user_agent;    /* owned */
	char *authorization; /* owned: "Bearer x" / "Basic x" for the current endpoint */
};

/* --- X-Registry-Auth --------------------------------------------------------- */

/* Go's base64.URLEncoding or StdEncoding, padded or not. */
static char *b64_decode(const char *in, size_t *outlen)
{
	size_t n = strlen(in), i, padded = (n + 3) / 4 * 4;
	cleanup_free char *s = xmalloc(padded + 1);

	for (i = 0; i < n; i++)
		s[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	for (; i < padded; i++)
		s[i] = '=';
	s[padded] = '\0';
	return berth_base64_decode(s, padded, outlen);
}

static char *b64_encode(const void *in, size_t len)
{
	return berth_base64_encode(in, len);
}

static char *json_str_dup(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v && *v ? xstrdup(v) : NULL;
}

int berth_registry_auth_decode(const char *header, struct berth_registry_auth *out,
			       berth_error_t *err)
{
	cleanup_free char *raw = NULL;
	json_error_t jerr;
	json_t *j;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (header == NULL || *header == '\0')
		return 0;
	if (strlen(header) > 64 * 1024)
		return berth_make_error(err, EINVAL, "X-Registry-Auth header is too large");
	raw = b64_decode(header, &len);
	if (raw == NULL)
		return berth_make_error(err, EINVAL, "invalid X-Registry-Auth header: not base64");
	j = json_loadb(raw, len, 0, &jerr);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return berth_make_error(err, EINVAL, "invalid X-Registry-Auth header: %s",
					jerr.text);
	}
	out->username = json_str_dup(j, "username");
	out->password = json_str_dup(j, "password");
	out->identity_token = json_str_dup(j, "identitytoken");
	out->registry_token = json_str_dup(j, "registrytoken");
	/* "auth" is base64("user:password"), as in config.json */
	if (out->username == NULL && json_string_value(json_object_get(j, "auth"))) {
		size_t alen;
		cleanup_free char *up =
		    b64_decode(json_string_value(json_object_get(j, "auth")), &alen);
		char *colon = up ? strchr(up, ':') : NULL;
		if (colon) {
			out->username = xstrndup(up, (size_t)(colon - up));
			out->password = xstrdup(colon + 1);
		}
	}
	json_decref(j);
	return 0;
}

void berth_registry_auth_release(struct berth_registry_auth *a)
{
	if (a == NULL)
		return;
	free(a->username);
	free(a->password);
	free(a->identity_token);
	free(a->registry_token);
	memset(a, 0, sizeof(*a));
}

static void auth_copy(struct berth_registry_auth *dst, const struct berth_registry_auth *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src == NULL)
		return;
	dst->username = src->username ? xstrdup(src->username) : NULL;
	dst->password = src->password ? xstrdup(src->password) : NULL;
	dst->identity_token = src->identity_token ? xstrdup(src->identity_token) : NULL;
	dst->registry_token = src->registry_token ? xstrdup(src->registry_token) : NULL;
}

/* --- endpoints --------------------------------------------------------------- */

/* The host part of "host:port", "[v6]:port". */
static char *host_of(const char *domain)
{
	const char *colon;

	if (domain[0] == '[') {
		const char *close = strchr(domain, ']');
		return xstrndup(domain + 1,
				close ? (size_t)(close - domain - 1) : strlen(domain + 1));
	}
	colon = strrchr(domain, ':');
	return xstrndup(domain, colon ? (size_t)(colon - domain) : strlen(domain));
}

static bool ip_in_cidr(const char *ip, const char *cidr)
{
	cleanup_free char *net = xstrdup(cidr);
	char *slash = strchr(net, '/');
	unsigned char a[16], b[16];
	int bits, af, nbytes, i;

	if (slash == NULL)
		return false;
	*slash = '\0';
	bits = atoi(slash + 1);
	af = strchr(net, ':') ? AF_INET6 : AF_INET;
	nbytes = af == AF_INET ? 4 : 16;
	if (inet_pton(af, net, a) != 1 || inet_pton(af, ip, b) != 1 || bits < 0 ||
	    bits > nbytes * 8)
		return false;
	for (i = 0; i < nbytes && bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((a[i] & mask) != (b[i] & mask))
			return false;
	}
	return true;
}

/* dockerd treats loopback and the insecure-registries list (names or CIDRs
 * matching an IP literal) as insecure: https without verification, then
 * plain http. */
static bool is_insecure(const char *domain, json_t *insecure)
{
	cleanup_free char *host = host_of(domain);
	json_t *it;
	size_t i;

	if (strcmp(host, "localhost") == 0 || ip_in_cidr(host, "127.0.0.0/8") ||
	    strcmp(host, "::1") == 0)
		return true;
	json_array_foreach (insecure, i, it) {
		const char *v = json_string_value(it);
		if (v && (strcmp(v, domain) == 0 || strcmp(v, host) == 0 || ip_in_cidr(host, v)))
			return true;
	}
	return false;
}

static void add_endpoint(struct berth_registry *r, const char *base, bool insecure, bool mirror)
{
	size_t l;

	if (r->n_endpoints >= MAX_ENDPOINTS)
		return;
	r->endpoints[r->n_endpoints].base = xstrdup(base);
	l = strlen(r->endpoints[r->n_endpoints].base);
	while (l > 0 && r->endpoints[r->n_endpoints].base[l - 1] == '/')
		r->endpoints[r->n_endpoints].base[--l] = '\0';
	r->endpoints[r->n_endpoints].insecure = insecure;
	r->endpoints[r->n_endpoints].mirror = mirror;
	r->n_endpoints++;
}

static void add_host_endpoints(struct berth_registry *r, const char *domain, json_t *insecure,
			       bool mirror)
{
	cleanup_free char *https = xasprintf("https://%s", domain);
	cleanup_free char *http = xasprintf("http://%s", domain);

	if (is_insecure(domain, insecure)) {
		add_endpoint(r, https, true, mirror);
		add_endpoint(r, http, true, mirror);
	} else
		add_endpoint(r, https, false, mirror);
}

static void resolve_endpoints(struct berth_registry *r, const struct berth_registry_options *o)
{
	json_t *it;
	size_t i;

	if (strcmp(r->domain, "docker.io") != 0) {
		add_host_endpoints(r, r->domain, o->insecure, false);
		return;
	}
	if (!r->push) {
		json_array_foreach (o->mirrors, i, it) {
			const char *m = json_string_value(it);
			bool plain = strncmp(m, "http://", 7) == 0;
			const char *hostpart = m + (plain			     ? 7
						    : strncmp(m, "https://", 8) == 0 ? 8
										     : 0);
			cleanup_free char *host = xstrndup(hostpart, strcspn(hostpart, "/"));
			add_endpoint(r, m, plain || is_insecure(host, o->insecure), true);
		}
	}
	add_endpoint(r, DOCKER_HUB, false, false);
}

struct berth_registry *berth_registry_new(const struct berth_registry_options *opts,
					  const char *domain, const char *repo,
					  const struct berth_registry_auth *auth, bool push,
					  berth_error_t *err)
{
	struct berth_registry *r;

	if (berth_curl_dl_load(err) < 0)
		return NULL;
	r = xzalloc(sizeof(*r));

	r->domain = xstrdup(domain);
	r->repo = xstrdup(repo);
	r->push = push;
	r->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 1;
	r->user_agent = xstrdup(opts->user_agent ? opts->user_agent : "berth/" BERTH_VERSION);
	auth_copy(&r->auth, auth);
	resolve_endpoints(r, opts);
	if (r->auth.registry_token)
		r->authorization = xasprintf("Bearer %s", r->auth.registry_token);
	return r;
}

void berth_registry_free(struct berth_registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_endpoints; i++)
		free(r->endpoints[i].base);
	free(r->domain);
	free(r->repo);
	free(r->user_agent);
	free(r->authorization);
	berth_registry_auth_release(&r->auth);
	free(r);
}

const char *berth_registry_endpoint(const struct berth_registry *r)
{
	return r->n_endpoints ? r->endpoints[r->current].base : "";
}

void berth_registry_doc_release(struct berth_registry_doc *d)
{
	if (d == NULL)
		return;
	free(d->body);
	free(d->content_type);
	free(d->digest);
	memset(d, 0, sizeof(*d));
}

/* --- one HTTP exchange ------------------------------------------------------- */

struct xfer {
	const char *method;
	char *url; /* owned */
	const char *accept;
	const char *content_type;
	const char *body; /* borrowed: request body in memory */
	size_t body_len, body_off;
	int body_fd; /* or from a file, -1 */
	int64_t body_size;
	bool follow; /* follow redirects (blob GETs) */
	/* response */
	long status;
	struct berth_strbuf buf; /* error bodies, or the body when CB is NULL */
	size_t max;		 /* bound on BUF */
	bool too_large;
	berth_registry_data_cb cb;
	void *cb_data;
	int64_t cb_max, received;
	berth_error_t cb_err;
	char *hdr_content_type, *hdr_digest, *hdr_location, *hdr_www_auth; /* owned */
	CURL *h;
};

static void xfer_reset_response(struct xfer *x)
{
	x->status = 0;
	berth_strbuf_reset(&x->buf);
	x->too_large = false;
	x->received = 0;
	berth_error_release(&x->cb_err);
	free(x->hdr_content_type);
	free(x->hdr_digest);
	free(x->hdr_location);
	free(x->hdr_www_auth);
	x->hdr_content_type = x->hdr_digest = x->hdr_location = x->hdr_www_auth = NULL;
	x->body_off = 0;
	if (x->body_fd >= 0)
		(void)lseek(x->body_fd, 0, SEEK_SET);
}

static void xfer_release(struct xfer *x)
{
	xfer_reset_response(x);
	berth_strbuf_release(&x->buf);
	free(x->url);
}

static void take_header(char **dst, const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	const char *v;

	if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return;
	v = line + nlen + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	len -= (size_t)(v - line);
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	free(*dst);
	*dst = xstrndup(v, len > MAX_AUTH_HEADER ? MAX_AUTH_HEADER : len);
}

static size_t on_header(char *line, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;

	/* a new status line starts a new response (redirects, 100-continue) */
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		free(x->hdr_content_type);
		free(x->hdr_digest);
		free(x->hdr_www_auth);
		x->hdr_content_type = x->hdr_digest = x->hdr_www_auth = NULL;
	}
	take_header(&x->hdr_content_type, line, len, "Content-Type");
	take_header(&x->hdr_digest, line, len, "Docker-Content-Digest");
	take_header(&x->hdr_location, line, len, "Location");
	take_header(&x->hdr_www_auth, line, len, "WWW-Authenticate");
	return len;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (x->cb && code >= 200 && code < 300) {
		if (x->cb_max >= 0 && x->received + (int64_t)len > x->cb_max) {
			berth_make_error(&x->cb_err, EINVAL,
					 "the registry sent more than the %lld bytes announced",
					 (long long)x->cb_max);
			return 0;
		}
		x->received += (int64_t)len;
		if (x->cb(x->cb_data, ptr, len, &x->cb_err) < 0)
			return 0;
		return len;
	}
	/* documents and error bodies are small: bounded, never trusted further */
	if (x->buf.len + len > x->max) {
		x->too_large = true;
		return 0;
	}
	berth_strbuf_append(&x->buf, ptr, len);
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t want = size * n;

	if (x->body_fd >= 0) {
		ssize_t r;
		do
			r = read(x->body_fd, buf, want);
		while (r < 0 && errno == EINTR);
		return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
	}
	if (want > x->body_len - x->body_off)
		want = x->body_len - x->body_off;
	memcpy(buf, x->body + x->body_off, want);
	x->body_off += want;
	return want;
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return EPROTO;
	case CURLE_WRITE_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
		return ECANCELED;
	default:
		return EIO;
	}
}

/* Performs X once against ENDPOINT. Returns 0 when an HTTP answer came
 * (any status, in x->status), < 0 on a transport failure. */
static int xfer_perform(struct berth_registry *r, const struct endpoint *ep, struct xfer *x,
			berth_error_t *err)
{
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	cleanup_free char *accept = NULL, *ctype = NULL, *authz = NULL;
	CURLcode rc;
	int ret = 0;

	x->h = curl_easy_init();
	if (x->h == NULL)
		return berth_make_error(err, ENOMEM, "cannot create an HTTP client");
	if (x->accept) {
		accept = xasprintf("Accept: %s", x->accept);
		hdrs = curl_slist_append(hdrs, accept);
	}
	if (x->content_type) {
		ctype = xasprintf("Content-Type: %s", x->content_type);
		hdrs = curl_slist_append(hdrs, ctype);
	}
	if (r->authorization) {
		authz = xasprintf("Authorization: %s", r->authorization);
		hdrs = curl_slist_append(hdrs, authz);
	}
	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, r->user_agent);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT, (long)BERTH_REGISTRY_CONNECT_TIMEOUT_S);
	curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_TIME, (long)BERTH_REGISTRY_STALL_TIMEOUT_S);
	curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, x->follow ? 1L : 0L);
	curl_easy_setopt(x->h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	if (ep->insecure) {
		curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(x->method, "HEAD") == 0)
		curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
	else if (strcmp(x->method, "GET") != 0) {
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, x->method);
		curl_easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(x->h, CURLOPT_READDATA, x);
		curl_easy_setopt(
		    x->h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)(x->body_fd >= 0 ? x->body_size : (int64_t)x->body_len));
	}
	rc = curl_easy_perform(x->h);
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x->too_large)) {
		if (x->cb_err) {
			*err = steal_pointer(&x->cb_err);
			ret = -1 - (*err)->code;
		} else
			ret = berth_make_error(err, curl_errno(rc), "%s %s: %s", x->method, x->url,
					       errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (x->too_large)
		ret = berth_make_error(err, EFBIG, "%s %s: the answer is larger than %zu bytes",
				       x->method, x->url, x->max);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(x->h);
	x->h = NULL;
	return ret;
}

/* --- errors ---------------------------------------------------------------------- */

/* "manifest unknown: manifest unknown", as docker prints an errcode list. */
static char *registry_error_text(const struct xfer *x)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	json_t *j = x->buf.len ? json_loadb(x->buf.buf, x->buf.len, 0, NULL) : NULL;
	json_t *errs = json_object_get(j, "errors"), *e;
	size_t i;

	json_array_foreach (errs, i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		char lower[128] = "";
		size_t k;

		for (k = 0; code && code[k] && k < sizeof(lower) - 1; k++)
			lower[k] = code[k] == '_' ? ' ' : (char)tolower((unsigned char)code[k]);
		lower[k] = '\0';
		if (i)
			berth_strbuf_puts(&sb, ", ");
		berth_strbuf_printf(&sb, "%.120s: %.500s", lower[0] ? lower : "error",
				    msg ? msg : "");
	}
	json_decref(j);
	if (sb.len == 0)
		berth_strbuf_printf(&sb, "unexpected status %ld from %s %s", x->status, x->method,
				    x->url);
	return berth_strbuf_steal(&sb);
}

static int status_error(const struct xfer *x, berth_error_t *err)
{
	cleanup_free char *text = registry_error_text(x);
	int code = x->status == 404			  ? ENOENT
		   : x->status == 401 || x->status == 403 ? EACCES
		   : x->status == 400 || x->status == 405 ? EINVAL
							  : EIO;

	return berth_make_error(err, code, "%s", text);
}

/* --- auth ------------------------------------------------------------------------ */

/* Reads `key="value"` out of a challenge's parameters. */
static char *challenge_param(const char *ch, const char *key)
{
	size_t klen = strlen(key);
	const char *p = ch;

	while ((p = strcasestr(p, key)) != NULL) {
		bool boundary = p == ch || p[-1] == ' ' || p[-1] == ',';
		if (boundary && p[klen] == '=') {
			const char *v = p + klen + 1, *end;
			if (*v == '"') {
				v++;
				end = strchr(v, '"');
			} else
				end = v + strcspn(v, ",");
			if (end == NULL)
				return NULL;
			return xstrndup(v, (size_t)(end - v));
		}
		p += klen;
	}
	return NULL;
}

static char *url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = xstrdup(e ? e : "");
	curl_free(e);
	return r;
}

/* Answers a 401's challenge: Basic uses the credentials directly; Bearer
 * fetches a token from the realm for this repository's scope. */
static int authenticate(struct berth_registry *r, const struct endpoint *ep, const char *challenge,
			berth_error_t *err)
{
	cleanup_free char *realm = NULL, *service = NULL, *svc = NULL, *scope = NULL;
	struct xfer x = { .method = "GET", .body_fd = -1, .max = BERTH_REGISTRY_MAX_TOKEN_BODY };
	struct endpoint token_ep = { .insecure = ep->insecure };
	json_t *j;
	const char *tok;
	int ret;

	if (strncasecmp(challenge, "Basic", 5) == 0) {
		cleanup_free char *up = NULL, *b = NULL;
		if (r->auth.username == NULL)
			return berth_make_error(err, EACCES,
						"unauthorized: authentication required");
		up = xasprintf("%s:%s", r->auth.username, r->auth.password ? r->auth.password : "");
		b = b64_encode(up, strlen(up));
		free(r->authorization);
		r->authorization = xasprintf("Basic %s", b);
		return 0;
	}
	if (strncasecmp(challenge, "Bearer", 6) != 0)
		return berth_make_error(err, EACCES, "unsupported auth challenge `%.100s`",
					challenge);
	realm = challenge_param(challenge, "realm");
	service = challenge_param(challenge, "service");
	if (realm == NULL ||
	    (strncmp(realm, "https://", 8) != 0 && strncmp(realm, "http://", 7) != 0))
		return berth_make_error(err, EACCES, "invalid auth challenge: bad realm");
	svc = url_escape(service ? service : "");
	{
		cleanup_free char *raw =
		    xasprintf("repository:%s:%s", r->repo, r->push ? "pull,push" : "pull");
		scope = url_escape(raw);
	}
	x.url =
	    xasprintf("%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?", svc, scope);
	/* the token request carries the user's credentials, not a stale token */
	free(r->authorization);
	r->authorization = NULL;
	if (r->auth.username) {
		cleanup_free char *up =
		    xasprintf("%s:%s", r->auth.username, r->auth.password ? r->auth.password : "");
		cleanup_free char *b = b64_encode(up, strlen(up));
		r->authorization = xasprintf("Basic %s", b);
	}
	ret = xfer_perform(r, &token_ep, &x, err);
	free(r->authorization);
	r->authorization = NULL;
	if (ret == 0 && (x.status < 200 || x.status >= 300))
		ret = status_error(&x, err);
	if (ret < 0) {
		xfer_release(&x);
		return berth_error_wrap(err, "get a token from %s", realm);
	}
	j = json_loadb(x.buf.buf ? x.buf.buf : "", x.buf.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (tok == NULL || *tok == '\0')
		tok = json_string_value(json_object_get(j, "access_token"));
	if (tok && *tok && strlen(tok) < 16 * 1024)
		r->authorization = xasprintf("Bearer %s", tok);
	else
		ret = berth_make_error(err, EACCES, "the token server %s sent no token", realm);
	json_decref(j);
	xfer_release(&x);
	return ret;
}

/* --- request with auth, retries and endpoint fallback ------------------------------ */

static bool retryable_status(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static void backoff(int attempt)
{
	long ms = 250L << (attempt < 5 ? attempt : 5);
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	if (ms > 4000)
		ts = (struct timespec){ .tv_sec = 4 };
	nanosleep(&ts, NULL);
}

/* Runs X against one endpoint: auth challenge answered once, 5xx and
 * stalled transfers retried with backoff. 0 with a 2xx/3xx status, or < 0. */
static int on_endpoint(struct berth_registry *r, const struct endpoint *ep, const char *path,
		       struct xfer *x, berth_registry_reset_cb reset, berth_error_t *err)
{
	bool authed = false;
	int attempt = 0;

	free(x->url);
	x->url = xasprintf("%s%s", ep->base, path);
	for (;;) {
		int ret;

		xfer_reset_response(x);
		if (attempt > 0 && reset)
			reset(x->cb_data);
		ret = xfer_perform(r, ep, x, err);
		if (ret < 0) {
			int code = berth_error_code(*err);
			/* bytes already handed over cannot be taken back without RESET */
			bool resumable = !(x->cb && x->received > 0 && reset == NULL);
			if ((code == ETIMEDOUT || code == EIO) && resumable &&
			    ++attempt < r->max_attempts) {
				berth_log_debug("registry: %s; retrying", (*err)->msg);
				berth_error_release(err);
				backoff(attempt);
				continue;
			}
			return ret;
		}
		if (x->status == 401 && !authed && x->hdr_www_auth) {
			authed = true;
			if (authenticate(r, ep, x->hdr_www_auth, err) < 0)
				return -1;
			continue;
		}
		if (retryable_status(x->status) && ++attempt < r->max_attempts) {
			backoff(attempt);
			continue;
		}
		if (x->status >= 200 && x->status < 400)
			return 0;
		return status_error(x, err);
	}
}

/* Tries the endpoints from the one that last worked: a transport failure
 * moves on (https -> http for insecure registries), and so does any failure
 * of a mirror, as docker does; digest and size errors never do. */
static int request(struct berth_registry *r, const char *path, struct xfer *x,
		   berth_registry_reset_cb reset, berth_error_t *err)
{
	cleanup_error berth_error_t mirror_err = NULL;
	size_t i;

	for (i = r->current; i < r->n_endpoints; i++) {
		const struct endpoint *ep = &r->endpoints[i];
		bool last = i + 1 == r->n_endpoints;
		int ret, code;

		if (i != r->current) {
			free(r->authorization);
			r->authorization = r->auth.registry_token
					       ? xasprintf("Bearer %s", r->auth.registry_token)
					       : NULL;
		}
		ret = on_endpoint(r, ep, path, x, reset, err);
		if (ret == 0) {
			r->current = i;
			return 0;
		}
		code = berth_error_code(*err);
		/* offline, a mirror's "not found" says more than Docker Hub's silence */
		if (last && mirror_err &&
		    (code == EHOSTUNREACH || code == ECONNREFUSED || code == ETIMEDOUT ||
		     code == EPROTO)) {
			berth_error_release(err);
			*err = steal_pointer(&mirror_err);
			return -1 - (*err)->code;
		}
		if (last || code == ECANCELED || (x->cb && x->received > 0 && !ep->mirror))
			return ret;
		if (ep->mirror && mirror_err == NULL && (code == ENOENT || code == EACCES)) {
			mirror_err = steal_pointer(err);
			continue;
		}
		if (ep->mirror || code == ECONNREFUSED || code == EPROTO || code == EHOSTUNREACH ||
		    (ep->insecure && strncmp(ep->base, "https://", 8) == 0 && x->status == 0)) {
			berth_log_debug("registry: %s: %s; trying the next endpoint", ep->base,
					(*err)->msg);
			berth_error_release(err);
			if (reset && x->received > 0)
				reset(x->cb_data);
			continue;
		}
		return ret;
	}
	return berth_make_error(err, EHOSTUNREACH, "no registry endpoint for `%s`", r->domain);
}

/* --- the operations ------------------------------------------------------------------ */

int berth_registry_get_manifest(struct berth_registry *r, const char *reference,
				struct berth_registry_doc *out, berth_error_t *err)
{
	struct xfer x = { .method = "GET",
			  .body_fd = -1,
			  .max = BERTH_MANIFEST_MAX_BYTES,
			  .accept = BERTH_MANIFEST_ACCEPT };
	cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", r->repo, reference);
	char digest[BERTH_DIGEST_LEN + 1];
	int ret;

	memset(out, 0, sizeof(*out));
	ret = request(r, path, &x, NULL, err);
	if (ret < 0) {
		xfer_release(&x);
		return ret;
	}
	berth_sha256_digest(x.buf.buf ? x.buf.buf : "", x.buf.len, digest);
	/* content addressing: a manifest asked for by digest must be that digest */
	if (strncmp(reference, "sha256:", 7) == 0 && strcmp(reference, digest) != 0) {
		xfer_release(&x);
		return berth_make_error(err, EINVAL, "manifest verification failed for digest %s",
					reference);
	}
	out->len = x.buf.len;
	out->body = berth_strbuf_steal(&x.buf);
	out->content_type = steal_pointer(&x.hdr_content_type);
	out->digest = xstrdup(digest);
	xfer_release(&x);
	return 0;
}

int berth_registry_get_blob(struct berth_registry *r, const char *digest, int64_t size,
			    berth_registry_data_cb cb, berth_registry_reset_cb reset, void *data,
			    berth_error_t *err)
{
	struct xfer x = { .method = "GET",
			  .body_fd = -1,
			  .max = BERTH_REGISTRY_MAX_ERROR_BODY,
			  .cb = cb,
			  .cb_data = data,
			  .cb_max = size,
			  .follow = true };
	cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", r->repo, digest);
	int ret = request(r, path, &x, reset, err);

	xfer_release(&x);
	return ret;
}

int berth_registry_blob_exists(struct berth_registry *r, const char *digest, berth_error_t *err)
{
	struct xfer x = { .method = "HEAD", .body_fd = -1, .max = BERTH_REGISTRY_MAX_ERROR_BODY };
	cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", r->repo, digest);
	int ret = request(r, path, &x, NULL, err);

	xfer_release(&x);
	if (ret < 0 && berth_error_code(*err) == ENOENT) {
		berth_error_release(err);
		return 0;
	}
	return ret < 0 ? ret : 1;
}

/* The upload Location may be relative to the registry; it keeps its query. */
static char *upload_url(const struct berth_registry *r, const char *location, const char *digest)
{
	cleanup_free char *d = url_escape(digest);
	const char *base = r->endpoints[r->current].base;

	if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0)
		return xasprintf("%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", d);
	return xasprintf("%s%s%s%sdigest=%s", base, location[0] == '/' ? "" : "/", location,
			 strchr(location, '?') ? "&" : "?", d);
}

int berth_registry_put_blob(struct berth_registry *r, const char *digest, int fd, int64_t size,
			    berth_error_t *err)
{
	struct xfer x = { .method = "POST", .body_fd = -1, .max = BERTH_REGISTRY_MAX_ERROR_BODY };
	cleanup_free char *path = xasprintf("/v2/%s/blobs/uploads/", r->repo);
	struct xfer put = { .method = "PUT",
			    .body_fd = fd,
			    .body_size = size,
			    .max = BERTH_REGISTRY_MAX_ERROR_BODY,
			    .content_type = "application/octet-stream" };
	int ret = request(r, path, &x, NULL, err);

	if (ret == 0 && x.hdr_location == NULL)
		ret = berth_make_error(err, EIO, "the registry gave no upload location");
	if (ret == 0) {
		/* the upload session lives on the endpoint that opened it */
		put.url = upload_url(r, x.hdr_location, digest);
		ret = xfer_perform(r, &r->endpoints[r->current], &put, err);
		if (ret == 0 && (put.status < 200 || put.status >= 300))
			ret = status_error(&put, err);
	}
	xfer_release(&x);
	xfer_release(&put);
	return ret;
}

int berth_registry_put_manifest(struct berth_registry *r, const char *reference,
				const char *media_type, const char *body, size_t len,
				berth_error_t *err)
{
	struct xfer x = { .method = "PUT",
			  .body_fd = -1,
			  .max = BERTH_REGISTRY_MAX_ERROR_BODY,
			  .body = body,
			  .body_len = len,
			  .content_type = media_type };
	cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", r->repo, reference);
	int ret = request(r, path, &x, NULL, err);

	xfer_release(&x);
	return ret;
}
