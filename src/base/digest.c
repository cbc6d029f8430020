#include "config.h"

#include <nettle/base64.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/xalloc.h"

struct berth_sha256 {
	struct sha256_ctx ctx;
};

struct berth_sha256 *berth_sha256_new(void)
{
	struct berth_sha256 *h = xzalloc(sizeof(*h));

	sha256_init(&h->ctx);
	return h;
}

void berth_sha256_update(struct berth_sha256 *h, const void *data, size_t len)
{
	if (len)
		sha256_update(&h->ctx, len, data);
}

void berth_sha256_final(struct berth_sha256 *h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[SHA256_DIGEST_SIZE];
	unsigned int n = SHA256_DIGEST_SIZE, i;

	sha256_digest(&h->ctx, SHA256_DIGEST_SIZE, md);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < n; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[7 + 2 * n] = '\0';
}

void berth_sha256_free(struct berth_sha256 *h)
{
	free(h);
}

void berth_sha256_digest(const void *data, size_t len, char *out)
{
	struct berth_sha256 *h = berth_sha256_new();

	berth_sha256_update(h, data, len);
	berth_sha256_final(h, out);
	berth_sha256_free(h);
}

char *berth_base64_encode(const void *data, size_t len)
{
	size_t n = BASE64_ENCODE_RAW_LENGTH(len);
	char *out = xmalloc(n + 1);

	base64_encode_raw(out, len, data);
	out[n] = '\0';
	return out;
}

char *berth_base64_decode(const char *text, size_t len, size_t *out_len)
{
	struct base64_decode_ctx ctx;
	size_t n = BASE64_DECODE_LENGTH(len);
	uint8_t *out = xmalloc(n + 1);

	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &n, out, len, text) || !base64_decode_final(&ctx)) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*out_len = n;
	return (char *)out;
}
