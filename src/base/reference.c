/* reference.c: docker's image reference grammar (distribution/reference),
 * as a hand-written scanner instead of a regular expression engine.
 *
 * The grammar, as docker writes it:
 *   reference   := name [ ":" tag ] [ "@" digest ]
 *   name        := [domain "/"] remote-name
 *   domain      := host [":" port]
 *   host        := domain-name | "[" ipv6 "]"
 *   domain-name := component ("." component)*,  component = [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?
 *   remote-name := path-comp ("/" path-comp)*
 *   path-comp   := [a-z0-9]+ (sep [a-z0-9]+)*,   sep = "." | "_" | "__" | "-"+
 *   tag         := [\w][\w.-]{0,127}
 *   digest      := algo ":" [0-9a-fA-F]{32,},   algo = [A-Za-z][A-Za-z0-9]* ([-_+.] same)*
 *
 * Normalisation (ParseNormalizedNamed) decides the domain from the first
 * component alone, then the whole string is matched against the grammar,
 * exactly in docker's order, so that error texts are docker's too. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/xalloc.h"
#include "base/reference.h"

#define DEFAULT_DOMAIN	      "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX	      "library/"
#define DEFAULT_TAG	      "latest"
#define TAG_MAX_LEN	      128
#define DIGEST_HEX_MIN	      32

#define ERR_FORMAT	       "invalid reference format"
#define ERR_UPPERCASE	       "repository name must be lowercase"
#define ERR_TOO_LONG	       "repository name must not be more than 255 characters"
#define ERR_DIGEST_FORMAT      "invalid checksum digest format"
#define ERR_DIGEST_LENGTH      "invalid checksum digest length"
#define ERR_DIGEST_UNSUPPORTED "unsupported digest algorithm"

/* Character classes, one table lookup per byte. */
enum {
	C_LOWER = 1 << 0,  /* a-z */
	C_UPPER = 1 << 1,  /* A-Z */
	C_DIGIT = 1 << 2,  /* 0-9 */
	C_XLOWER = 1 << 3, /* 0-9 a-f */
	C_XDIGIT = 1 << 4, /* 0-9 a-f A-F */
	C_WORD = 1 << 5,   /* \w: A-Z a-z 0-9 _ */
};

static const uint8_t cls[256] = {
	['0' ... '9'] = C_DIGIT | C_XLOWER | C_XDIGIT | C_WORD,
	['a' ... 'f'] = C_LOWER | C_XLOWER | C_XDIGIT | C_WORD,
	['g' ... 'z'] = C_LOWER | C_WORD,
	['A' ... 'F'] = C_UPPER | C_XDIGIT | C_WORD,
	['G' ... 'Z'] = C_UPPER | C_WORD,
	['_'] = C_WORD,
};

static bool is(char c, unsigned mask)
{
	return (cls[(unsigned char)c] & mask) != 0;
}

/* Counts the bytes of S[0..N) in class MASK from the start. */
static size_t span(const char *s, size_t n, unsigned mask)
{
	size_t i = 0;

	while (i < n && is(s[i], mask))
		i++;
	return i;
}

/* The span of S[0..N) up to the first byte in REJECT, or N. */
static size_t span_until(const char *s, size_t n, const char *reject)
{
	size_t i = 0;

	while (i < n && strchr(reject, s[i]) == NULL)
		i++;
	return i;
}

/* Separator between alphanumeric runs of a path component: "." "_" "__" or
 * any run of "-". Returns its length, or 0 if S does not start with one. */
static size_t path_separator(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 0;
	if (s[0] == '.')
		return 1;
	if (s[0] == '_')
		return n > 1 && s[1] == '_' ? 2 : 1;
	while (i < n && s[i] == '-')
		i++;
	return i;
}

/* path-comp: alphanumeric runs joined by single separators. */
static bool match_path_component(const char *s, size_t n)
{
	size_t i = 0, k;

	for (;;) {
		k = span(s + i, n - i, C_LOWER | C_DIGIT);
		if (k == 0)
			return false;
		i += k;
		if (i == n)
			return true;
		k = path_separator(s + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
}

static bool match_remote_name(const char *s, size_t n)
{
	size_t i = 0, k;

	for (;;) {
		k = span_until(s + i, n - i, "/");
		if (!match_path_component(s + i, k))
			return false;
		i += k;
		if (i == n)
			return true;
		i++; /* the '/' */
	}
}

/* [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool match_domain_component(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!is(s[i], C_LOWER | C_UPPER | C_DIGIT) && s[i] != '-')
			return false;
	return true;
}

static bool match_domain_name(const char *s, size_t n)
{
	size_t i = 0, k;

	for (;;) {
		k = span_until(s + i, n - i, ".");
		if (!match_domain_component(s + i, k))
			return false;
		i += k;
		if (i == n)
			return true;
		i++;
	}
}

/* host [":" port], host being a domain name or "[" [a-fA-F0-9:]+ "]". */
static bool match_domain(const char *s, size_t n)
{
	size_t host_len, k;

	if (n > 0 && s[0] == '[') {
		k = 1;
		while (k < n && (is(s[k], C_XDIGIT) || s[k] == ':'))
			k++;
		if (k == 1 || k == n || s[k] != ']')
			return false;
		host_len = k + 1;
	} else {
		host_len = span_until(s, n, ":");
		if (!match_domain_name(s, host_len))
			return false;
	}
	if (host_len == n)
		return true;
	if (s[host_len] != ':' || host_len + 1 == n)
		return false;
	return span(s + host_len + 1, n - host_len - 1, C_DIGIT) == n - host_len - 1;
}

static bool match_tag(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > TAG_MAX_LEN || !is(s[0], C_WORD))
		return false;
	for (i = 1; i < n; i++)
		if (!is(s[i], C_WORD) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* docker's digestPat: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ":" xdigit{32,} */
static bool match_digest_pattern(const char *s, size_t n)
{
	size_t i = 0, hex;

	for (;;) {
		if (i == n || !is(s[i], C_LOWER | C_UPPER))
			return false;
		i += 1 + span(s + i + 1, n - i - 1, C_LOWER | C_UPPER | C_DIGIT);
		if (i < n && strchr("-_+.", s[i]) != NULL) {
			i++;
			continue;
		}
		break;
	}
	if (i == n || s[i] != ':')
		return false;
	i++;
	hex = span(s + i, n - i, C_XDIGIT);
	return hex >= DIGEST_HEX_MIN && i + hex == n;
}

/* go-digest's DigestRegexp: [a-z0-9]+([.+_-][a-z0-9]+)* ":" [a-zA-Z0-9=_-]+ */
static bool match_oci_digest(const char *s, size_t n)
{
	size_t i = 0, k;

	for (;;) {
		k = span(s + i, n - i, C_LOWER | C_DIGIT);
		if (k == 0)
			return false;
		i += k;
		if (i < n && strchr(".+_-", s[i]) != NULL) {
			i++;
			continue;
		}
		break;
	}
	if (i == n || s[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if (!is(s[i], C_WORD) && s[i] != '=' && s[i] != '-')
			return false;
	return true;
}

/* The digest algorithms go-digest knows, with their hex lengths. Only
 * sha256 is usable: the content store addresses everything by sha256. */
static const struct {
	const char *name;
	size_t hex_len;
	bool supported;
} digest_algorithms[] = {
	{ "sha256", 64, true },
	{ "sha384", 96, false },
	{ "sha512", 128, false },
};

int berth_digest_check(const char *s, berth_error_t *err)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t i, alg_len, enc_len;

	/* go-digest's Validate, step by step */
	if (colon == NULL || colon == s || colon[1] == '\0')
		return berth_make_error(err, EINVAL, ERR_DIGEST_FORMAT);
	alg_len = (size_t)(colon - s);
	enc_len = strlen(colon + 1);
	for (i = 0; i < BERTH_ARRAY_SIZE(digest_algorithms); i++) {
		if (strlen(digest_algorithms[i].name) != alg_len ||
		    memcmp(s, digest_algorithms[i].name, alg_len) != 0)
			continue;
		if (!digest_algorithms[i].supported)
			return berth_make_error(err, EINVAL, ERR_DIGEST_UNSUPPORTED);
		if (enc_len != digest_algorithms[i].hex_len)
			return berth_make_error(err, EINVAL, ERR_DIGEST_LENGTH);
		if (span(colon + 1, enc_len, C_XLOWER) != enc_len)
			return berth_make_error(err, EINVAL, ERR_DIGEST_FORMAT);
		return 0;
	}
	if (!match_oci_digest(s, strlen(s)))
		return berth_make_error(err, EINVAL, ERR_DIGEST_FORMAT);
	return berth_make_error(err, EINVAL, ERR_DIGEST_UNSUPPORTED);
}

bool berth_digest_valid(const char *s)
{
	if (s == NULL)
		return false;
	if (strlen(s) == 64 && span(s, 64, C_XLOWER) == 64)
		return true;
	return berth_digest_is_sha256(s);
}

/* Where the parts of a matched reference lie in the string. */
struct ref_spans {
	size_t domain_len; /* 0: no domain */
	size_t path_off, path_len;
	size_t tag_off, tag_len;       /* tag_len 0: none */
	size_t digest_off, digest_len; /* digest_len 0: none */
};

/* [":" tag] ["@" digest] from S[I..N) to the end. */
static bool match_suffix(const char *s, size_t n, size_t i, struct ref_spans *sp)
{
	size_t k;

	sp->tag_len = sp->digest_len = 0;
	if (i < n && s[i] == ':') {
		k = span_until(s + i + 1, n - i - 1, "@");
		if (!match_tag(s + i + 1, k))
			return false;
		sp->tag_off = i + 1;
		sp->tag_len = k;
		i += 1 + k;
	}
	if (i < n && s[i] == '@') {
		if (!match_digest_pattern(s + i + 1, n - i - 1))
			return false;
		sp->digest_off = i + 1;
		sp->digest_len = n - i - 1;
		i = n;
	}
	return i == n;
}

/* A remote name starting at OFF, ending at the first ':' or '@'. */
static bool match_name_from(const char *s, size_t n, size_t off, struct ref_spans *sp)
{
	size_t k = span_until(s + off, n - off, ":@");

	if (!match_remote_name(s + off, k))
		return false;
	sp->path_off = off;
	sp->path_len = k;
	return match_suffix(s, n, off + k, sp);
}

/* The anchored reference pattern. As the regular expression prefers the
 * optional domain, the split with a domain is tried first. */
static bool match_reference(const char *s, struct ref_spans *sp)
{
	size_t n = strlen(s);
	const char *slash = strchr(s, '/');

	memset(sp, 0, sizeof(*sp));
	if (slash && match_domain(s, (size_t)(slash - s)) &&
	    match_name_from(s, n, (size_t)(slash - s) + 1, sp)) {
		sp->domain_len = (size_t)(slash - s);
		return true;
	}
	sp->domain_len = 0;
	return match_name_from(s, n, 0, sp);
}

static char *lowercase_dup(const char *s)
{
	char *r = xstrdup(s);
	char *p;

	for (p = r; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

static bool has_uppercase(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is(s[i], C_UPPER))
			return true;
	return false;
}

/* docker's Parse on an already normalised string: grammar, then the
 * length of the path, then the digest's algorithm and encoding. */
static int parse_full(const char *s, struct berth_ref *out, berth_error_t *err)
{
	struct ref_spans sp;
	cleanup_free char *lower = NULL;
	int ret;

	if (!match_reference(s, &sp)) {
		lower = lowercase_dup(s);
		if (strcmp(lower, s) != 0 && match_reference(lower, &sp))
			return berth_make_error(err, EINVAL, ERR_UPPERCASE);
		return berth_make_error(err, EINVAL, ERR_FORMAT);
	}
	if (sp.path_len > BERTH_REF_MAX_NAME)
		return berth_make_error(err, EINVAL, ERR_TOO_LONG);
	if (sp.digest_len) {
		cleanup_free char *digest = xstrndup(s + sp.digest_off, sp.digest_len);
		ret = berth_digest_check(digest, err);
		if (ret < 0)
			return ret;
		out->digest = steal_pointer(&digest);
	}
	out->domain = xstrndup(s, sp.domain_len);
	out->path = xstrndup(s + sp.path_off, sp.path_len);
	if (sp.tag_len)
		out->tag = xstrndup(s + sp.tag_off, sp.tag_len);
	return 0;
}

/* The first component names a registry when it looks like a host: it has
 * a '.' or ':', is "localhost", or has uppercase letters (namespaces never
 * do). Docker Hub names without a namespace get "library/". */
static char *normalise(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t first = slash ? (size_t)(slash - s) : 0;
	const char *domain = DEFAULT_DOMAIN, *rest = s;
	cleanup_free char *dom = NULL;

	if (slash && ((first == 9 && memcmp(s, "localhost", 9) == 0) || memchr(s, '.', first) ||
		      memchr(s, ':', first) || has_uppercase(s, first))) {
		dom = xstrndup(s, first);
		domain = strcmp(dom, LEGACY_DEFAULT_DOMAIN) == 0 ? DEFAULT_DOMAIN : dom;
		rest = slash + 1;
	}
	if (strcmp(domain, DEFAULT_DOMAIN) == 0 && strchr(rest, '/') == NULL)
		return xasprintf("%s/%s%s", domain, OFFICIAL_PREFIX, rest);
	return xasprintf("%s/%s", domain, rest);
}

static bool is_identifier(const char *s)
{
	return strlen(s) == 64 && span(s, 64, C_XLOWER) == 64;
}

int berth_ref_parse(const char *s, struct berth_ref *out, berth_error_t *err)
{
	cleanup_free char *full = NULL;
	const char *remote, *colon;
	int ret;

	memset(out, 0, sizeof(*out));
	if (s == NULL || strlen(s) > BERTH_REF_MAX_LEN)
		return berth_make_error(err, EINVAL, ERR_FORMAT);
	if (is_identifier(s))
		return berth_make_error(err, EINVAL,
					"invalid repository name (%s), cannot specify 64-byte "
					"hexadecimal strings",
					s);
	full = normalise(s);
	/* the remote name is checked for case before the grammar, up to the
	 * first ':' after the domain, as docker does (digests included) */
	remote = strchr(full, '/') + 1;
	colon = strchr(remote, ':');
	if (has_uppercase(remote, colon ? (size_t)(colon - remote) : strlen(remote)))
		return berth_make_error(
		    err, EINVAL, ERR_FORMAT ": repository name (%.*s) must be lowercase",
		    (int)(colon ? (size_t)(colon - remote) : strlen(remote)), remote);
	ret = parse_full(full, out, err);
	if (ret < 0)
		berth_ref_release(out);
	return ret;
}

void berth_ref_default_tag(struct berth_ref *r)
{
	if (r->tag == NULL && r->digest == NULL)
		r->tag = xstrdup(DEFAULT_TAG);
}

/* NAME plus ":tag" and "@digest" when present. */
static char *with_suffix(char *name, const struct berth_ref *r)
{
	char *s = xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
			    r->digest ? "@" : "", r->digest ? r->digest : "");

	free(name);
	return s;
}

char *berth_ref_name(const struct berth_ref *r)
{
	if (r->domain == NULL || r->domain[0] == '\0')
		return xstrdup(r->path);
	return xasprintf("%s/%s", r->domain, r->path);
}

char *berth_ref_string(const struct berth_ref *r)
{
	return with_suffix(berth_ref_name(r), r);
}

char *berth_ref_familiar_name(const struct berth_ref *r)
{
	const size_t plen = strlen(OFFICIAL_PREFIX);

	if (r->domain == NULL || strcmp(r->domain, DEFAULT_DOMAIN) != 0)
		return berth_ref_name(r);
	/* only "library/x" loses its prefix, not "library/x/y" */
	if (strncmp(r->path, OFFICIAL_PREFIX, plen) == 0 && strchr(r->path + plen, '/') == NULL)
		return xstrdup(r->path + plen);
	return xstrdup(r->path);
}

char *berth_ref_familiar(const struct berth_ref *r)
{
	return with_suffix(berth_ref_familiar_name(r), r);
}

void berth_ref_release(struct berth_ref *r)
{
	if (r == NULL)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

bool berth_ref_name_only(const struct berth_ref *r)
{
	return r->tag == NULL && r->digest == NULL;
}

int berth_ref_check_any(const char *s, berth_error_t *err)
{
	struct berth_ref r;
	berth_error_t ignored = NULL;

	if (s && is_identifier(s))
		return 0;
	if (s && strchr(s, ':') && berth_digest_check(s, &ignored) == 0)
		return 0;
	berth_error_release(&ignored);
	if (berth_ref_parse(s, &r, err) < 0)
		return -1;
	berth_ref_release(&r);
	return 0;
}
