/* digest.h: streaming SHA-256 and content digests as the OCI specs write
 * them ("sha256:<64 lowercase hex>"), and base64: nettle's, which GnuTLS
 * (under libmicrohttpd) loads anyway; OpenSSL's initialisation cost 1.4 MB
 * of RSS in an idle daemon (docs/ARCHITECTURE.md). */
#ifndef BERTH_BASE_DIGEST_H
#define BERTH_BASE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define BERTH_DIGEST_LEN 71 /* "sha256:" + 64 hex */

struct berth_sha256;

struct berth_sha256 *berth_sha256_new(void);
void berth_sha256_update(struct berth_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into OUT (at least BERTH_DIGEST_LEN + 1 bytes). The
 * hash may not be updated afterwards. */
void berth_sha256_final(struct berth_sha256 *h, char *out);
void berth_sha256_free(struct berth_sha256 *h);

/* One-shot digest of DATA into OUT. */
void berth_sha256_digest(const void *data, size_t len, char *out);

/* True for "sha256:" followed by exactly 64 lowercase hex digits. */
static inline bool berth_digest_is_sha256(const char *s)
{
	if (s == NULL || strncmp(s, "sha256:", 7) != 0 || strlen(s) != BERTH_DIGEST_LEN)
		return false;
	for (size_t i = 7; i < BERTH_DIGEST_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Standard base64 of DATA, padded, NUL-terminated (caller frees). */
char *berth_base64_encode(const void *data, size_t len);

/* Decodes standard, padded base64 TEXT[0..LEN); NULL when it is not.
 * The result is NUL-terminated; *OUT_LEN excludes the NUL. */
char *berth_base64_decode(const char *text, size_t len, size_t *out_len);

#endif
