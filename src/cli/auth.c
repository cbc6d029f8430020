/* auth.c: ~/.docker/config.json credentials and the X-Registry-Auth header,
 * following the docker CLI's configfile, credentials.fileStore and
 * registry.EncodeAuthConfig. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "cli/auth.h"

#define CONFIG_FILE_NAME "config.json"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- base64 ---- */

char *berth_auth_base64url(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		out[o++] = b64_url[(v >> 18) & 63];
		out[o++] = b64_url[(v >> 12) & 63];
		out[o++] = n > 1 ? b64_url[(v >> 6) & 63] : '=';
		out[o++] = n > 2 ? b64_url[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_std, c) : NULL;
	return p ? (int)(p - b64_std) : -1;
}

static int corrupt(berth_error_t *err, size_t at)
{
	return berth_make_error(err, EINVAL, "illegal base64 data at input byte %zu", at);
}

/* The end of a padded quantum, at the first '=' (index I) after J digits,
 * with Go's error positions: "=" or "==" then nothing but newlines. */
static int decode_padding(const char *in, size_t i, size_t j, berth_error_t *err)
{
	size_t si = i + 1;

	if (j < 2)
		return corrupt(err, i);
	if (j == 2) {
		while (in[si] == '\r' || in[si] == '\n')
			si++;
		if (in[si] == '\0')
			return corrupt(err, si);
		if (in[si] != '=')
			return corrupt(err, si - 1);
		si++;
	}
	while (in[si] == '\r' || in[si] == '\n')
		si++;
	return in[si] ? corrupt(err, si) : 0;
}

/* Go's StdEncoding.Decode: quanta of four, '\r' and '\n' skipped, padding
 * required; the error names the offending byte. */
int berth_auth_base64_decode(const char *in, char **out, size_t *len, berth_error_t *err)
{
	cleanup_free unsigned char *buf = xmalloc(strlen(in) / 4 * 3 + 4);
	size_t i = 0, o = 0, j = 0;
	uint32_t v = 0;

	for (; in[i]; i++) {
		int d;
		if (in[i] == '\r' || in[i] == '\n')
			continue;
		if (in[i] == '=') {
			if (decode_padding(in, i, j, err) < 0)
				return -1;
			break;
		}
		d = b64_value(in[i]);
		if (d < 0)
			return corrupt(err, i);
		v = v << 6 | (uint32_t)d;
		if (++j == 4) {
			buf[o++] = (unsigned char)(v >> 16);
			buf[o++] = (unsigned char)(v >> 8);
			buf[o++] = (unsigned char)v;
			j = 0;
			v = 0;
		}
	}
	if (j > 0 && in[i] != '=') /* ends inside a quantum */
		return corrupt(err, i - j);
	if (j > 1) {
		v <<= 6 * (4 - j);
		buf[o++] = (unsigned char)(v >> 16);
		if (j == 3)
			buf[o++] = (unsigned char)(v >> 8);
	}
	buf[o] = '\0';
	*len = o;
	*out = (char *)steal_pointer(&buf);
	return (int)o;
}

/* ---- config.json ---- */

char *berth_auth_config_dir(void)
{
	const char *env = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");

	if (env && *env)
		return xstrdup(env);
	return xasprintf("%s/.docker", home && *home ? home : "");
}

static char *string_field(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? xstrdup(s) : NULL;
}

/* docker's decodeAuth: base64 "user:password", user not empty, NULs
 * trimmed from the password. */
static int decode_auth(const char *auth, char **user, char **password, berth_error_t *err)
{
	cleanup_free char *dec = NULL;
	const char *colon;
	size_t len, plen;

	if (berth_auth_base64_decode(auth, &dec, &len, err) < 0)
		return -1;
	colon = memchr(dec, ':', len);
	if (colon == NULL || colon == dec)
		return berth_make_error(err, EINVAL, "Invalid auth configuration file");
	plen = len - (size_t)(colon + 1 - dec);
	while (plen && colon[plen] == '\0')
		plen--;
	*user = xstrndup(dec, (size_t)(colon - dec));
	*password = xstrndup(colon + 1, plen);
	return 0;
}

/* As docker's LoadFromReader: every `auth` must decode, else the file is
 * reported broken (and berth then uses no credentials at all). */
static int check_auths(const json_t *auths, berth_error_t *err)
{
	const char *key;
	json_t *entry;

	json_object_foreach ((json_t *)auths, key, entry) {
		const char *auth = json_string_value(json_object_get(entry, "auth"));
		cleanup_free char *user = NULL;
		cleanup_free char *password = NULL;

		if (auth && *auth && decode_auth(auth, &user, &password, err) < 0)
			return -1;
	}
	return 0;
}

static int read_config(const char *path, json_t **root, berth_error_t *err)
{
	cleanup_file FILE *f = fopen(path, "re");
	json_error_t jerr;
	struct stat st;

	*root = NULL;
	if (f == NULL && errno == ENOENT)
		return 0;
	if (f == NULL) {
		int e = errno;
		char msg[128];
		snprintf(msg, sizeof(msg), "%s", strerror(e));
		msg[0] = (char)tolower((unsigned char)msg[0]); /* as Go words errno */
		return berth_make_error(err, e, "loading config file: open %s: %s", path, msg);
	}
	if (fstat(fileno(f), &st) == 0 && st.st_size > BERTH_AUTH_MAX_CONFIG)
		return berth_make_error(err, EFBIG,
					"parsing config file (%s): larger than %d bytes", path,
					BERTH_AUTH_MAX_CONFIG);
	*root = json_loadf(f, JSON_DISABLE_EOF_CHECK, &jerr);
	if (*root == NULL && jerr.position == 0 && feof(f))
		return 0;  /* an empty file is an empty config, as Go's io.EOF */
	if (*root == NULL) /* Go's decoder says "unexpected EOF" for a cut file */
		return berth_make_error(err, EINVAL, "parsing config file (%s): %s", path,
					strstr(jerr.text, "end of file") ? "unexpected EOF"
									 : jerr.text);
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return berth_make_error(err, EINVAL,
					"parsing config file (%s): json: cannot unmarshal into "
					"configfile.ConfigFile",
					path);
	}
	return 0;
}

static void config_fill(struct berth_docker_config *cfg)
{
	json_t *v;

	cfg->images_format = string_field(cfg->root, "imagesFormat");
	cfg->creds_store = string_field(cfg->root, "credsStore");
	v = json_object_get(cfg->root, "credHelpers");
	cfg->cred_helpers = json_is_object(v) ? v : NULL;
	v = json_object_get(cfg->root, "auths");
	cfg->auths = json_is_object(v) ? v : NULL;
}

int berth_auth_load_config(const char *dir, struct berth_docker_config **out, berth_error_t *err)
{
	struct berth_docker_config *cfg = xzalloc(sizeof(*cfg));
	int ret;

	cfg->path = xasprintf("%s/%s", dir, CONFIG_FILE_NAME);
	ret = read_config(cfg->path, &cfg->root, err);
	if (cfg->root == NULL)
		cfg->root = json_object();
	config_fill(cfg);
	if (ret == 0 && cfg->auths && check_auths(cfg->auths, err) < 0) {
		berth_error_wrap(err, "parsing config file (%s)", cfg->path);
		cfg->auths = NULL;
		ret = -1;
	}
	*out = cfg;
	return ret;
}

char *berth_auth_config_string(const char *key)
{
	cleanup_free char *dir = berth_auth_config_dir();
	struct berth_docker_config *cfg = NULL;
	berth_error_t ignored = NULL;
	char *out;

	berth_auth_load_config(dir, &cfg, &ignored);
	berth_error_release(&ignored);
	out = string_field(cfg->root, key);
	berth_docker_config_free(cfg);
	return out;
}

void berth_docker_config_free(struct berth_docker_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->images_format);
	free(cfg->creds_store);
	json_decref(cfg->root);
	free(cfg);
}

/* ---- lookup ---- */

/* docker's credentials.ConvertToHostname: the host[:port] of a URL, or
 * what comes before the first '/'. */
static char *to_hostname(const char *key)
{
	const char *sep = strstr(key, "://");
	const char *host = sep ? sep + 3 : key;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host));

	if (sep == NULL)
		return xstrndup(key, strcspn(key, "/"));
	if (at)
		host = at + 1;
	return xstrndup(host, (size_t)(end - host));
}

static const json_t *find_entry(const json_t *auths, const char *key, const char **found)
{
	const char *k;
	json_t *entry;

	*found = key;
	entry = json_object_get(auths, key);
	if (entry)
		return entry;
	json_object_foreach ((json_t *)auths, k, entry) {
		cleanup_free char *host = to_hostname(k);
		if (strcmp(host, key) == 0) {
			*found = k;
			return entry;
		}
	}
	return NULL;
}

static const char *helper_for(const struct berth_docker_config *cfg, const char *key)
{
	const char *h = json_string_value(json_object_get(cfg->cred_helpers, key));

	if (h && *h)
		return h;
	return cfg->creds_store;
}

int berth_auth_resolve(const struct berth_docker_config *cfg, const char *domain,
		       struct berth_auth_config *out, const char **helper, berth_error_t *err)
{
	const char *key = strcmp(domain, "docker.io") == 0 ? BERTH_AUTH_INDEX_SERVER : domain;
	const json_t *entry;
	const char *auth, *found;

	memset(out, 0, sizeof(*out));
	if (helper)
		*helper = helper_for(cfg, key);
	entry = find_entry(cfg->auths, key, &found);
	if (!json_is_object(entry))
		return 0;
	out->username = string_field(entry, "username");
	out->password = string_field(entry, "password");
	out->email = string_field(entry, "email");
	out->identitytoken = string_field(entry, "identitytoken");
	out->registrytoken = string_field(entry, "registrytoken");
	out->serveraddress = xstrdup(found);
	auth = json_string_value(json_object_get(entry, "auth"));
	if (auth && *auth) {
		free(out->username);
		free(out->password);
		out->username = out->password = NULL;
		if (decode_auth(auth, &out->username, &out->password, err) < 0) {
			berth_auth_config_release(out);
			return -1;
		}
	}
	return 0;
}

void berth_auth_config_release(struct berth_auth_config *a)
{
	if (a == NULL)
		return;
	free(a->username);
	free(a->password);
	free(a->auth);
	free(a->email);
	free(a->serveraddress);
	free(a->identitytoken);
	free(a->registrytoken);
	memset(a, 0, sizeof(*a));
}

/* ---- the header ---- */

/* Length of the UTF-8 sequence at S, or 0 when it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;

	if (s[0] >= 0xf5 || (s[0] >= 0x80 && s[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* A string as Go's json.Marshal writes it: HTML characters and U+2028/9
 * escaped, invalid UTF-8 replaced with U+FFFD. */
static void go_json_string(struct berth_strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	berth_strbuf_puts(sb, "\"");
	while (*s) {
		size_t n;
		if (*s == '"' || *s == '\\') {
			berth_strbuf_printf(sb, "\\%c", *s++);
		} else if (*s < 0x20 || *s == '<' || *s == '>' || *s == '&') {
			const char *esc = *s == '\n'   ? "\\n"
					  : *s == '\r' ? "\\r"
					  : *s == '\t' ? "\\t"
					  : *s == '\b' ? "\\b"
					  : *s == '\f' ? "\\f"
						       : NULL;
			if (esc)
				berth_strbuf_puts(sb, esc);
			else
				berth_strbuf_printf(sb, "\\u00%02x", *s);
			s++;
		} else if (*s < 0x80) {
			berth_strbuf_append(sb, s++, 1);
		} else if ((n = utf8_len(s)) == 0) {
			berth_strbuf_puts(sb, "\\ufffd");
			s++;
		} else if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 &&
			   (s[2] == 0xa8 || s[2] == 0xa9)) {
			berth_strbuf_printf(sb, "\\u202%c", s[2] == 0xa8 ? '8' : '9');
			s += 3;
		} else {
			berth_strbuf_append(sb, s, n);
			s += n;
		}
	}
	berth_strbuf_puts(sb, "\"");
}

char *berth_auth_encode(const struct berth_auth_config *a)
{
	const char *names[] = { "username",	 "password",	  "auth",	  "email",
				"serveraddress", "identitytoken", "registrytoken" };
	const char *values[] = { a->username,	   a->password,	     a->auth,	      a->email,
				 a->serveraddress, a->identitytoken, a->registrytoken };
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	bool first = true;

	berth_strbuf_puts(&sb, "{");
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(names); i++) {
		if (values[i] == NULL || *values[i] == '\0')
			continue;
		berth_strbuf_printf(&sb, "%s\"%s\":", first ? "" : ",", names[i]);
		go_json_string(&sb, values[i]);
		first = false;
	}
	berth_strbuf_puts(&sb, "}");
	return berth_auth_base64url(sb.buf, sb.len);
}
