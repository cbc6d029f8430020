/* fuzz_manifest.c: manifest / index decoding with each Content-Type, index
 * selection, image configs, chain IDs and platform specifiers. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
	NULL,
	BERTH_MT_OCI_INDEX,
	BERTH_MT_DOCKER_LIST,
	BERTH_MT_OCI_MANIFEST,
	BERTH_MT_DOCKER_MANIFEST,
	"application/vnd.docker.distribution.manifest.v1+prettyjws",
	"application/json; charset=utf-8",
	"",
};

static const char *const wanted[] = {
	"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v5", "linux/386", "linux/amd64/v3",
};

static void fuzz_select(const struct berth_manifest *m)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(wanted); i++) {
		berth_error_t err = NULL;
		struct berth_platform p;
		int ret;

		if (berth_platform_parse(wanted[i], &p, &err) < 0)
			abort();
		ret = berth_manifest_select(m, &p, &err);
		if (ret >= (int)m->n_manifests)
			abort();
		berth_error_release(&err);
		berth_platform_release(&p);
	}
	for (i = 0; i < m->n_manifests; i++) {
		struct berth_platform host;

		if (!m->manifests[i].has_platform)
			continue;
		berth_platform_host(&host);
		berth_platform_match(&host, &m->manifests[i].platform);
		berth_platform_match(&m->manifests[i].platform, &host);
		free(berth_platform_string(&m->manifests[i].platform));
		berth_platform_release(&host);
	}
}

static void fuzz_config(const char *data, size_t size)
{
	berth_error_t err = NULL;
	struct berth_image_config c;
	char **chain;
	size_t i;

	if (berth_image_config_parse(data, size, &c, &err) < 0) {
		berth_error_release(&err);
		return;
	}
	chain = berth_chain_ids(c.diff_ids, c.n_diff_ids);
	for (i = 0; i < c.n_diff_ids; i++)
		free(chain[i]);
	free(chain);
	berth_image_config_release(&c);
}

static void fuzz_platform(const char *data, size_t size)
{
	cleanup_free char *s = xstrndup(data, size < 300 ? size : 300);
	berth_error_t err = NULL;
	struct berth_platform p;

	if (berth_platform_parse(s, &p, &err) == 0) {
		free(berth_platform_string(&p));
		berth_platform_release(&p);
	}
	berth_error_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	berth_error_t err = NULL;
	struct berth_manifest m;

	if (size == 0 || size > 100 * 1024)
		return 0;
	/* the first byte picks the Content-Type; the rest is the document */
	if (berth_manifest_parse(body + 1, size - 1,
				 content_types[data[0] % BERTH_ARRAY_SIZE(content_types)], &m,
				 &err) == 0) {
		if (m.kind == BERTH_MANIFEST_INDEX)
			fuzz_select(&m);
		berth_manifest_release(&m);
	}
	berth_error_release(&err);
	fuzz_config(body, size);
	fuzz_platform(body, size);
	return 0;
}
