#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/xalloc.h"

struct berth_sha256 {
	EVP_MD_CTX *ctx;
};

struct berth_sha256 *berth_sha256_new(void)
{
	struct berth_sha256 *h = xzalloc(sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		abort();
	return h;
}

void berth_sha256_update(struct berth_sha256 *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, data, len);
}

void berth_sha256_final(struct berth_sha256 *h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < n; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[7 + 2 * n] = '\0';
}

void berth_sha256_free(struct berth_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void berth_sha256_digest(const void *data, size_t len, char *out)
{
	struct berth_sha256 *h = berth_sha256_new();

	berth_sha256_update(h, data, len);
	berth_sha256_final(h, out);
	berth_sha256_free(h);
}
