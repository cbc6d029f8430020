/* test_manifest.c: manifests, indexes, image configs, platforms and chain
 * IDs. The documents at the top are verbatim copies of what the fixture
 * registry serves (busybox as OCI, redis:7 as Docker schema 2). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/error.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "image/manifest.h"

/* GET /v2/library/busybox/manifests/latest (Accept: OCI index) */
static const char busybox_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
    "\"sha256:d4e61d86fe6855c96425dff4899d72b2ca1e1a37d2447366fa4ddd54bfe438c6\",\"size\":405,"
    "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},{\"mediaType\":"
    "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
    "\"sha256:a72e4a75bdcf0750b50d85d44c77072f57c26c27b4e4ca53e8160f19e46acab7\",\"size\":405,"
    "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}]}";
#define BUSYBOX_INDEX_DIGEST \
	"sha256:4340088aa7312756b7845ac662f0def57cd261f6820ea9f6baada719481f16aa"

/* the linux/amd64 entry of that index */
static const char busybox_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
    "\"sha256:d8cd4b7b443e7aafe8a84ae921b49775f79e58690be08f7bbfb2eea911050179\",\"size\":377},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":"
    "\"sha256:765a1af1d37e3391e67040590649e26afb33c16a7c23d6ec3d4e31f6154b42e9\",\"size\":"
    "1088342}]}";
#define BUSYBOX_MANIFEST_DIGEST \
	"sha256:d4e61d86fe6855c96425dff4899d72b2ca1e1a37d2447366fa4ddd54bfe438c6"

static const char busybox_config[] =
    "{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
    "\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],"
    "\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
    "\"sha256:756fe5d06b644949dddf4b2b5d216b9233074982e181c5c42e1faf0855b1ebda\"]},\"history\":"
    "[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"busybox-static 1.35.0 (amd64)\"}]}\n";
#define BUSYBOX_CONFIG_DIGEST \
	"sha256:d8cd4b7b443e7aafe8a84ae921b49775f79e58690be08f7bbfb2eea911050179"

/* GET /v2/library/redis/manifests/7: Docker schema 2 */
static const char redis_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
    "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":739,"
    "\"digest\":\"sha256:3bb9848c9ed900497abdf8f01e49c58108ad9519ec92006f6dca73fe0b5335dc\"},"
    "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":"
    "29982202,\"digest\":"
    "\"sha256:bc007c8f969bae2277da6ccdfd11007acdfce8f721e844eab71a6f01e9dbea58\"},{"
    "\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":5288992,"
    "\"digest\":\"sha256:330266b9ad64e4b7a161dff01e2d2acdb56fc2b2f2db96ae0994872b208bc4f0\"}]}";
#define REDIS_MANIFEST_DIGEST \
	"sha256:348189367bb1404859b38adc4a37472bdbd191787caf8b9aa4c46017c01175aa"

static const char redis_config[] =
    "{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
    "\"config\":{\"ExposedPorts\":{\"6379/tcp\":{}},\"Env\":[\"PATH=/usr/local/sbin:/usr/local/"
    "bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"REDIS_VERSION=7.0.15\"],\"Entrypoint\":["
    "\"docker-entrypoint.sh\"],\"Cmd\":[\"redis-server\",\"--protected-mode\",\"no\",\"--bind\","
    "\"0.0.0.0\"],\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/data\"},\"rootfs\":{\"type\":"
    "\"layers\",\"diff_ids\":["
    "\"sha256:f099ceb3b1edb1b366f32e19fdbe5a4d9fa784af9f0c5c79638c8737e4e4d4ca\","
    "\"sha256:b18297dc28d0992fa204c4da2a86e4bc790d2202162715ad60f0ffa37eab6ed1\"]},\"history\":["
    "{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"mmdebstrap --variant=minbase "
    "bookworm\"},{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"apt-get install "
    "redis-server redis-tools\"}]}\n";
#define REDIS_CONFIG_DIGEST \
	"sha256:3bb9848c9ed900497abdf8f01e49c58108ad9519ec92006f6dca73fe0b5335dc"

#define D1		  "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2		  "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define OCI_CONFIG	  "{\"mediaType\":\"" BERTH_MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":2}"
#define LAYER(mt, dg, sz) "{\"mediaType\":\"" mt "\",\"digest\":\"" dg "\",\"size\":" sz "}"
#define OCI_LAYER	  LAYER(BERTH_MT_OCI_LAYER_GZIP, D2, "3")
#define ENTRY(dg, plat) \
	"{\"mediaType\":\"" BERTH_MT_DOCKER_MANIFEST "\",\"digest\":\"" dg "\",\"size\":7" plat "}"
#define PLAT(os, arch) ",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\"}"
#define PLATV(os, arch, v) \
	",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\",\"variant\":\"" v "\"}"

static int parse(const char *body, const char *ct, struct berth_manifest *m, berth_error_t *err)
{
	return berth_manifest_parse(body, strlen(body), ct, m, err);
}

static void assert_digest(const char *doc, const char *expected)
{
	char d[BERTH_DIGEST_LEN + 1];

	berth_sha256_digest(doc, strlen(doc), d);
	assert_string_equal(d, expected);
}

static void test_test_data_is_verbatim(void **state)
{
	assert_digest(busybox_index, BUSYBOX_INDEX_DIGEST);
	assert_digest(busybox_manifest, BUSYBOX_MANIFEST_DIGEST);
	assert_digest(busybox_config, BUSYBOX_CONFIG_DIGEST);
	assert_digest(redis_manifest, REDIS_MANIFEST_DIGEST);
	assert_digest(redis_config, REDIS_CONFIG_DIGEST);
}

static void test_busybox_index(void **state)
{
	berth_error_t err = NULL;
	struct berth_manifest m;

	assert_int_equal(parse(busybox_index, BERTH_MT_OCI_INDEX, &m, &err), 0);
	assert_int_equal(m.kind, BERTH_MANIFEST_INDEX);
	assert_string_equal(m.media_type, BERTH_MT_OCI_INDEX);
	assert_int_equal(m.n_manifests, 2);
	assert_int_equal(m.n_layers, 0);
	assert_true(m.manifests[0].has_platform);
	assert_string_equal(m.manifests[0].digest, BUSYBOX_MANIFEST_DIGEST);
	assert_string_equal(m.manifests[0].media_type, BERTH_MT_OCI_MANIFEST);
	assert_int_equal(m.manifests[0].size, 405);
	assert_string_equal(m.manifests[0].platform.os, "linux");
	assert_string_equal(m.manifests[0].platform.arch, "amd64");
	assert_null(m.manifests[0].platform.variant);
	assert_string_equal(m.manifests[1].platform.arch, "arm64");
	assert_string_equal(m.manifests[1].platform.variant, "v8");
	assert_null(m.manifests[1].annotations);
	berth_manifest_release(&m);
	berth_manifest_release(&m);
	berth_manifest_release(NULL);

	/* parameters and case of the Content-Type do not matter */
	assert_int_equal(parse(busybox_index,
			       " Application/VND.oci.image.index.v1+json ; charset=utf-8", &m,
			       &err),
			 0);
	berth_manifest_release(&m);
	/* a generic Content-Type does not contradict the body */
	assert_int_equal(parse(busybox_index, "application/json", &m, &err), 0);
	berth_manifest_release(&m);
}

static void test_busybox_manifest(void **state)
{
	berth_error_t err = NULL;
	struct berth_manifest m;

	assert_int_equal(parse(busybox_manifest, NULL, &m, &err), 0);
	assert_int_equal(m.kind, BERTH_MANIFEST_IMAGE);
	assert_string_equal(m.media_type, BERTH_MT_OCI_MANIFEST);
	assert_string_equal(m.config.media_type, BERTH_MT_OCI_CONFIG);
	assert_string_equal(m.config.digest, BUSYBOX_CONFIG_DIGEST);
	assert_int_equal(m.config.size, 377);
	assert_int_equal(m.n_layers, 1);
	assert_string_equal(m.layers[0].media_type, BERTH_MT_OCI_LAYER_GZIP);
	assert_int_equal(m.layers[0].size, 1088342);
	assert_false(m.layers[0].has_platform);
	berth_manifest_release(&m);
}

static void test_redis_manifest(void **state)
{
	berth_error_t err = NULL;
	struct berth_manifest m;

	assert_int_equal(parse(redis_manifest, BERTH_MT_DOCKER_MANIFEST, &m, &err), 0);
	assert_int_equal(m.kind, BERTH_MANIFEST_IMAGE);
	assert_string_equal(m.media_type, BERTH_MT_DOCKER_MANIFEST);
	assert_string_equal(m.config.media_type, BERTH_MT_DOCKER_CONFIG);
	assert_string_equal(m.config.digest, REDIS_CONFIG_DIGEST);
	assert_int_equal(m.config.size, 739);
	assert_int_equal(m.n_layers, 2);
	assert_string_equal(m.layers[0].media_type, BERTH_MT_DOCKER_LAYER);
	assert_int_equal(m.layers[0].size, 29982202);
	assert_string_equal(
	    m.layers[1].digest,
	    "sha256:330266b9ad64e4b7a161dff01e2d2acdb56fc2b2f2db96ae0994872b208bc4f0");
	assert_int_equal(m.layers[1].size, 5288992);
	berth_manifest_release(&m);
}

static void test_media_type_sources(void **state)
{
	static const struct {
		const char *body, *ct, *media_type;
		enum berth_manifest_kind kind;
	} cases[] = {
		/* the Content-Type fills in a body without mediaType */
		{ "{\"schemaVersion\":2,\"config\":" OCI_CONFIG ",\"layers\":[]}",
		  BERTH_MT_OCI_MANIFEST, BERTH_MT_OCI_MANIFEST, BERTH_MANIFEST_IMAGE },
		{ "{\"schemaVersion\":2,\"manifests\":[]}", BERTH_MT_DOCKER_LIST,
		  BERTH_MT_DOCKER_LIST, BERTH_MANIFEST_INDEX },
		/* neither: an OCI document, known by its shape */
		{ "{\"schemaVersion\":2,\"manifests\":[]}", NULL, BERTH_MT_OCI_INDEX,
		  BERTH_MANIFEST_INDEX },
		{ "{\"schemaVersion\":2,\"config\":" OCI_CONFIG ",\"layers\":[" OCI_LAYER "]}",
		  "application/octet-stream", BERTH_MT_OCI_MANIFEST, BERTH_MANIFEST_IMAGE },
		/* OCI fields docker does not use are accepted */
		{ "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_MANIFEST
		  "\",\"artifactType\":"
		  "\"application/vnd.example+json\",\"config\":" OCI_CONFIG
		  ",\"layers\":[" OCI_LAYER
		  "],\"subject\":" LAYER(BERTH_MT_OCI_MANIFEST, D1, "9") ",\"annotations\":{\"a\":"
									 "\"b\"}}",
		  NULL, BERTH_MT_OCI_MANIFEST, BERTH_MANIFEST_IMAGE },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_error_t err = NULL;
		struct berth_manifest m;

		if (parse(cases[i].body, cases[i].ct, &m, &err) < 0)
			fail_msg("case %zu: %s", i, err->msg);
		assert_string_equal(m.media_type, cases[i].media_type);
		assert_int_equal(m.kind, cases[i].kind);
		berth_manifest_release(&m);
	}
}

static void test_annotations_and_foreign_layers(void **state)
{
	static const char doc[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_DOCKER_MANIFEST "\",\"config\":{"
	    "\"mediaType\":\"" BERTH_MT_DOCKER_CONFIG "\",\"digest\":\"" D1 "\",\"size\":2},"
	    "\"layers\":[{\"mediaType\":\"" BERTH_MT_DOCKER_FOREIGN "\",\"digest\":\"" D2 "\","
	    "\"size\":0,\"urls\":[\"https://example.com/layer\"],\"annotations\":{\"k\":\"v\"}},"
	    "{\"mediaType\":\"" BERTH_MT_OCI_LAYER_ZSTD "\",\"digest\":\"" D1 "\",\"size\":"
	    "1099511627776}]}";
	berth_error_t err = NULL;
	struct berth_manifest m;

	assert_int_equal(parse(doc, NULL, &m, &err), 0);
	assert_int_equal(m.n_layers, 2);
	assert_non_null(m.layers[0].annotations);
	assert_string_equal(json_string_value(json_object_get(m.layers[0].annotations, "k")), "v");
	assert_int_equal(m.layers[0].size, 0);
	assert_int_equal(m.layers[1].size, (int64_t)1 << 40);
	berth_manifest_release(&m);
}

static void test_schema1(void **state)
{
	static const struct {
		const char *body, *ct;
	} cases[] = {
		{ "{\"schemaVersion\":1,\"name\":\"library/busybox\",\"tag\":\"latest\",\"fsLayers\":[]}",
		  NULL },
		{ "{\"schemaVersion\":1}",
		  "application/vnd.docker.distribution.manifest.v1+prettyjws" },
		{ "{\"schemaVersion\":2}", "application/vnd.docker.distribution.manifest.v1+json" },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_error_t err = NULL;
		struct berth_manifest m;

		assert_true(parse(cases[i].body, cases[i].ct, &m, &err) < 0);
		assert_int_equal(berth_error_code(err), ENOTSUP);
		assert_non_null(strstr(err->msg, "unsupported manifest format: schema 1"));
		assert_null(m.media_type);
		berth_error_release(&err);
	}
}

struct bad_doc {
	const char *body;
	const char *ct;
	const char *msg; /* the whole message */
};

#define MANIFEST(layers) "{\"schemaVersion\":2,\"config\":" OCI_CONFIG ",\"layers\":[" layers "]}"
#define INDEX(entries)	 "{\"schemaVersion\":2,\"manifests\":[" entries "]}"

static const struct bad_doc bad_docs[] = {
	{ "", NULL, "invalid manifest: '[' or '{' expected near end of file" },
	{ "{", NULL, "invalid manifest: string or '}' expected near end of file" },
	{ "[]", NULL, "invalid manifest: a manifest must be a JSON object" },
	{ "{\"schemaVersion\":2,\"schemaVersion\":2}", NULL,
	  "invalid manifest: duplicate object key near '\"schemaVersion\"'" },
	{ "{}", NULL, "invalid manifest: missing `schemaVersion`" },
	{ "{\"schemaVersion\":\"2\"}", NULL,
	  "invalid manifest: `schemaVersion` must be an integer" },
	{ "{\"schemaVersion\":3}", NULL, "invalid manifest: unsupported schemaVersion 3" },
	{ "{\"schemaVersion\":2}", NULL, "invalid manifest: unknown manifest format" },
	{ "{\"schemaVersion\":2,\"mediaType\":42}", NULL,
	  "invalid manifest: `mediaType` must be a string" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"text/html\"}", NULL,
	  "invalid manifest: unsupported manifest media type text/html" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"<script>\"}", NULL,
	  "invalid manifest: invalid manifest media type" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_CONFIG "\"}", NULL,
	  "invalid manifest: unsupported manifest media type " BERTH_MT_OCI_CONFIG },
	/* body and Content-Type contradict each other */
	{ busybox_index, BERTH_MT_DOCKER_LIST,
	  "invalid manifest: manifest media type " BERTH_MT_OCI_INDEX
	  " does not match the content type " BERTH_MT_DOCKER_LIST },
	{ redis_manifest, BERTH_MT_OCI_MANIFEST,
	  "invalid manifest: manifest media type " BERTH_MT_DOCKER_MANIFEST
	  " does not match the content type " BERTH_MT_OCI_MANIFEST },
	{ busybox_manifest, BERTH_MT_OCI_INDEX,
	  "invalid manifest: manifest media type " BERTH_MT_OCI_MANIFEST
	  " does not match the content type " BERTH_MT_OCI_INDEX },
	/* the shape contradicts the media type */
	{ "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_INDEX "\",\"manifests\":[],"
	  "\"layers\":[]}",
	  NULL, "invalid manifest: an index has no config or layers" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\",\"manifests\":[]}",
	  NULL, "invalid manifest: an image manifest has no manifests list" },
	/* config */
	{ "{\"schemaVersion\":2,\"layers\":[]}", NULL, "invalid manifest: missing `config`" },
	{ "{\"schemaVersion\":2,\"config\":[],\"layers\":[]}", NULL,
	  "invalid manifest: config: a descriptor must be an object" },
	{ "{\"schemaVersion\":2,\"config\":" OCI_LAYER ",\"layers\":[]}", NULL,
	  "invalid manifest: config: unsupported media type " BERTH_MT_OCI_LAYER_GZIP },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" BERTH_MT_OCI_CONFIG "\",\"size\":1},"
	  "\"layers\":[]}",
	  NULL, "invalid manifest: config: missing `digest`" },
	/* layers */
	{ "{\"schemaVersion\":2,\"config\":" OCI_CONFIG "}", NULL,
	  "invalid manifest: missing `layers`" },
	{ "{\"schemaVersion\":2,\"config\":" OCI_CONFIG ",\"layers\":{}}", NULL,
	  "invalid manifest: `layers` must be an array" },
	{ MANIFEST("1"), NULL, "invalid manifest: layers[0]: a descriptor must be an object" },
	{ MANIFEST(OCI_LAYER "," LAYER("application/x-foo", D1, "1")), NULL,
	  "invalid manifest: layers[1]: unsupported media type application/x-foo" },
	{ MANIFEST(LAYER("application/vnd.in-toto+json", D1, "1")), NULL,
	  "invalid manifest: layers[0]: unsupported media type application/vnd.in-toto+json" },
	{ MANIFEST(LAYER("tar", D1, "1")), NULL,
	  "invalid manifest: layers[0]: `mediaType` is not a valid media type" },
	{ MANIFEST("{\"digest\":\"" D1 "\",\"size\":1}"), NULL,
	  "invalid manifest: layers[0]: missing `mediaType`" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER, "sha256:xyz", "1")), NULL,
	  "invalid manifest: layers[0]: invalid checksum digest length" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER,
			 "sha256:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
			 "1")),
	  NULL, "invalid manifest: layers[0]: invalid checksum digest format" },
	{ MANIFEST(LAYER(
	      BERTH_MT_OCI_LAYER,
	      "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
	      "1")),
	  NULL, "invalid manifest: layers[0]: unsupported digest algorithm" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER, "md5:d41d8cd98f00b204e9800998ecf8427e", "1")), NULL,
	  "invalid manifest: layers[0]: unsupported digest algorithm" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER, "", "1")), NULL,
	  "invalid manifest: layers[0]: invalid checksum digest format" },
	{ MANIFEST("{\"mediaType\":\"" BERTH_MT_OCI_LAYER "\",\"digest\":7,\"size\":1}"), NULL,
	  "invalid manifest: layers[0]: `digest` must be a string" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER, D1, "-1")), NULL,
	  "invalid manifest: layers[0]: invalid size -1" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER, D1, "1099511627777")), NULL,
	  "invalid manifest: layers[0]: invalid size 1099511627777" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER, D1, "99999999999999999999999")), NULL,
	  "invalid manifest: too big integer" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER, D1, "1.5")), NULL,
	  "invalid manifest: layers[0]: `size` must be an integer" },
	{ MANIFEST(LAYER(BERTH_MT_OCI_LAYER, D1, "\"10\"")), NULL,
	  "invalid manifest: layers[0]: `size` must be an integer" },
	{ MANIFEST("{\"mediaType\":\"" BERTH_MT_OCI_LAYER "\",\"digest\":\"" D1 "\"}"), NULL,
	  "invalid manifest: layers[0]: missing `size`" },
	{ MANIFEST("{\"mediaType\":\"" BERTH_MT_OCI_LAYER "\",\"digest\":\"" D1
		   "\",\"size\":1,\"urls\":\"x\"}"),
	  NULL, "invalid manifest: layers[0]: `urls` must be an array of strings" },
	{ MANIFEST("{\"mediaType\":\"" BERTH_MT_OCI_LAYER "\",\"digest\":\"" D1
		   "\",\"size\":1,\"annotations\":{\"a\":1}}"),
	  NULL, "invalid manifest: layers[0]: `annotations` must be an object of strings" },
	{ "{\"schemaVersion\":2,\"config\":" OCI_CONFIG ",\"layers\":[],\"annotations\":[]}", NULL,
	  "invalid manifest: `annotations` must be an object of strings" },
	{ "{\"schemaVersion\":2,\"config\":" OCI_CONFIG ",\"layers\":[],\"subject\":{}}", NULL,
	  "invalid manifest: subject: missing `mediaType`" },
	{ "{\"schemaVersion\":2,\"config\":" OCI_CONFIG ",\"layers\":[],\"artifactType\":\"x\"}",
	  NULL, "invalid manifest: `artifactType` is not a valid media type" },
	/* index entries */
	{ INDEX("{}"), NULL, "invalid manifest: manifests[0]: missing `mediaType`" },
	{ INDEX(ENTRY(D1, ",\"platform\":[]")), NULL,
	  "invalid manifest: manifests[0]: `platform` must be an object" },
	{ INDEX(ENTRY(D1, PLAT("linux", "amd64")) "," ENTRY(D2, ",\"platform\":{\"os\":\"linux\"}")),
	  NULL, "invalid manifest: manifests[1]: platform: missing `architecture`" },
	{ INDEX(ENTRY(D1, ",\"platform\":{\"architecture\":\"amd64\"}")), NULL,
	  "invalid manifest: manifests[0]: platform: missing `os`" },
	{ INDEX(ENTRY(D1,
		      ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":8}")),
	  NULL, "invalid manifest: manifests[0]: platform: `variant` must be a string" },
	{ INDEX(ENTRY(D1, ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\","
			  "\"os.features\":[1]}")),
	  NULL,
	  "invalid manifest: manifests[0]: platform: `os.features` must be an array of strings" },
	{ "{\"schemaVersion\":2,\"manifests\":{}}", NULL,
	  "invalid manifest: `manifests` must be an array" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_INDEX "\"}", NULL,
	  "invalid manifest: missing `manifests`" },
	/* NUL bytes, raw or escaped */
	{ "{\"schemaVersion\":2,\"mediaType\":\"a\\u0000b\"}", NULL,
	  "invalid manifest: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"'" },
};

static void test_bad_documents(void **state)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(bad_docs); i++) {
		berth_error_t err = NULL;
		struct berth_manifest m;

		if (parse(bad_docs[i].body, bad_docs[i].ct, &m, &err) >= 0)
			fail_msg("case %zu parsed, expected `%s`", i, bad_docs[i].msg);
		assert_int_equal(berth_error_code(err), EINVAL);
		if (strcmp(err->msg, bad_docs[i].msg) != 0)
			fail_msg("case %zu: got `%s`, expected `%s`", i, err->msg, bad_docs[i].msg);
		assert_null(m.media_type);
		assert_null(m.layers);
		assert_null(m.manifests);
		assert_null(m.config.digest);
		berth_error_release(&err);
	}
}

/* A manifest with N layers, or an index with N entries. */
static char *many(size_t n, bool index)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	size_t i;

	berth_strbuf_puts(&sb, index ? "{\"schemaVersion\":2,\"manifests\":["
				     : "{\"schemaVersion\":2,\"config\":" OCI_CONFIG
				       ",\"layers\":[");
	for (i = 0; i < n; i++)
		berth_strbuf_printf(&sb, "%s%s", i ? "," : "",
				    index ? ENTRY(D1, PLAT("linux", "amd64")) : OCI_LAYER);
	berth_strbuf_puts(&sb, "]}");
	return berth_strbuf_steal(&sb);
}

static void test_limits(void **state)
{
	cleanup_free char *ok_layers = many(BERTH_MANIFEST_MAX_LAYERS, false);
	cleanup_free char *bad_layers = many(BERTH_MANIFEST_MAX_LAYERS + 1, false);
	cleanup_free char *ok_entries = many(BERTH_INDEX_MAX_ENTRIES, true);
	cleanup_free char *bad_entries = many(BERTH_INDEX_MAX_ENTRIES + 1, true);
	cleanup_free char *huge = xmalloc(BERTH_MANIFEST_MAX_BYTES + 2);
	cleanup_free char *deep = xmalloc(100001);
	berth_error_t err = NULL;
	struct berth_manifest m;

	assert_int_equal(parse(ok_layers, NULL, &m, &err), 0);
	assert_int_equal(m.n_layers, BERTH_MANIFEST_MAX_LAYERS);
	berth_manifest_release(&m);
	assert_true(parse(bad_layers, NULL, &m, &err) < 0);
	assert_string_equal(err->msg, "invalid manifest: too many layers (257, the limit is 256)");
	berth_error_release(&err);

	assert_int_equal(parse(ok_entries, NULL, &m, &err), 0);
	assert_int_equal(m.n_manifests, BERTH_INDEX_MAX_ENTRIES);
	berth_manifest_release(&m);
	assert_true(parse(bad_entries, NULL, &m, &err) < 0);
	assert_string_equal(err->msg,
			    "invalid manifest: too many manifests (1025, the limit is 1024)");
	berth_error_release(&err);

	/* the size is checked before any parsing */
	memset(huge, ' ', BERTH_MANIFEST_MAX_BYTES + 1);
	huge[BERTH_MANIFEST_MAX_BYTES + 1] = '\0';
	assert_true(parse(huge, NULL, &m, &err) < 0);
	assert_int_equal(berth_error_code(err), EINVAL);
	assert_string_equal(err->msg,
			    "manifest is too large (4194305 bytes, the limit is 4194304)");
	berth_error_release(&err);
	assert_true(berth_manifest_parse(NULL, 0, NULL, &m, &err) < 0);
	berth_error_release(&err);

	/* deep nesting is refused by the JSON parser's own depth limit */
	memset(deep, '[', 100000);
	deep[100000] = '\0';
	assert_true(parse(deep, NULL, &m, &err) < 0);
	assert_int_equal(berth_error_code(err), EINVAL);
	berth_error_release(&err);
}

/* An index with the shape of Docker Hub's busybox manifest list, plus a
 * buildkit attestation entry. */
#define Z(n) "sha256:000000000000000000000000000000000000000000000000000000000000000" n
static const char multi_arch[] = INDEX(
    ENTRY(Z("0"), PLAT("linux", "amd64")) "," ENTRY(Z("1"), PLATV("linux", "arm", "v5")) "," ENTRY(Z("2"), PLATV("linux", "arm", "v6")) "," ENTRY(
	Z("3"),
	PLATV(
	    "linux", "arm",
	    "v7")) "," ENTRY(Z("4"),
			     PLATV(
				 "linux",
				 "arm64",
				 "v8")) "," ENTRY(Z("5"),
						  PLAT(
						      "linux",
						      "386")) "," ENTRY(Z("6"),
									PLAT(
									    "linux",
									    "ppc64le")) "," ENTRY(Z("7"),
												  PLAT(
												      "linux",
												      "s390x")) ","
														"{\"mediaType\":\"" BERTH_MT_OCI_MANIFEST
														"\",\"digest\":\"" D1
														"\",\"size\":1,"
														"\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"},"
														"\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}}");

/* Selects from DOC for the platform spec WANT: the entry index, or -1 and
 * the error message in *MSG. */
static int select_in(const char *doc, const char *want, char **msg)
{
	berth_error_t err = NULL;
	struct berth_manifest m;
	struct berth_platform p;
	int ret;

	*msg = NULL;
	if (parse(doc, NULL, &m, &err) < 0)
		fail_msg("parse: %s", err->msg);
	if (berth_platform_parse(want, &p, &err) < 0)
		fail_msg("platform `%s`: %s", want, err->msg);
	ret = berth_manifest_select(&m, &p, &err);
	if (ret < 0) {
		assert_int_equal(berth_error_code(err), ENOENT);
		*msg = xstrdup(err->msg);
		ret = -1;
	}
	berth_error_release(&err);
	berth_platform_release(&p);
	berth_manifest_release(&m);
	return ret;
}

static void test_select(void **state)
{
	static const struct {
		const char *doc;
		const char *want;
		int expected;
	} cases[] = {
		{ busybox_index, "linux/amd64", 0 },
		{ busybox_index, "linux/arm64", 1 },
		{ busybox_index, "linux/arm64/v8", 1 },
		{ busybox_index, "aarch64", 1 },
		{ busybox_index, "linux/x86_64", 0 },
		{ busybox_index, "linux/arm", -1 },
		{ busybox_index, "linux/386", -1 },
		{ busybox_index, "windows/amd64", -1 },
		{ multi_arch, "linux/amd64", 0 },
		{ multi_arch, "linux/arm64/v8", 4 },
		{ multi_arch, "linux/arm64", 4 },
		{ multi_arch, "linux/arm", 3 }, /* arm means arm/v7 */
		{ multi_arch, "linux/arm/v7", 3 },
		{ multi_arch, "linux/armhf", 3 },
		{ multi_arch, "linux/arm/v6", 2 },
		{ multi_arch, "linux/armel", 2 },
		{ multi_arch, "linux/arm/v5", 1 },
		{ multi_arch, "linux/386", 5 },
		{ multi_arch, "linux/i386", 5 },
		{ multi_arch, "linux/ppc64le", 6 },
		{ multi_arch, "linux/s390x", 7 },
		{ multi_arch, "linux/riscv64", -1 },
		/* compatible fallbacks, best first, as containerd's platforms.Only */
		{ INDEX(ENTRY(D1, PLATV("linux", "arm", "v5")) "," ENTRY(
		      D2, PLATV("linux", "arm", "v7"))),
		  "linux/arm64", 1 },
		{ INDEX(ENTRY(D1, PLATV("linux", "arm", "v5")) "," ENTRY(
		      D2, PLATV("linux", "arm", "v6"))),
		  "linux/arm/v7", 1 },
		{ INDEX(ENTRY(D1, PLATV("linux", "arm", "v7"))), "linux/arm/v5", -1 },
		{ INDEX(ENTRY(D1, PLAT("linux", "386"))), "linux/amd64", 0 },
		{ INDEX(ENTRY(D1, PLAT("linux", "amd64"))), "linux/386", -1 },
		{ INDEX(ENTRY(D1, PLATV("linux", "arm64", "v8")) "," ENTRY(D2,
									   PLAT("linux", "arm64"))),
		  "linux/arm64", 0 },
		{ INDEX(ENTRY(D1, PLAT("linux", "aarch64"))), "linux/arm64/v8", 0 },
		{ INDEX(ENTRY(D1, PLATV("linux", "arm64", "v9")) "," ENTRY(D2,
									   PLAT("linux", "arm64"))),
		  "linux/arm64/v9", 0 },
		{ INDEX(ENTRY(D1, PLAT("linux", "arm64"))), "linux/arm64/v9.2", 0 },
		{ INDEX(ENTRY(D1, PLATV("linux", "arm64", "v9"))), "linux/arm64", -1 },
		{ INDEX(ENTRY(D1, PLATV("linux", "amd64", "v3")) "," ENTRY(D2,
									   PLAT("linux", "amd64"))),
		  "linux/amd64", 1 },
		{ INDEX(ENTRY(D1, PLAT("linux", "amd64")) "," ENTRY(D2,
								    PLATV("linux", "amd64", "v2"))),
		  "linux/amd64/v3", 1 },
		/* an entry without platform matches anything, after the others */
		{ INDEX(ENTRY(D1, "") "," ENTRY(D2, PLAT("linux", "amd64"))), "linux/amd64", 1 },
		{ INDEX(ENTRY(D1, "") "," ENTRY(D2, PLAT("linux", "amd64"))), "linux/s390x", 0 },
		/* only image manifests are candidates */
		{ INDEX("{\"mediaType\":\"" BERTH_MT_OCI_INDEX "\",\"digest\":\"" D1
			"\",\"size\":1" PLAT("linux", "amd64") "}"),
		  "linux/amd64", -1 },
		{ INDEX(""), "linux/amd64", -1 },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		cleanup_free char *msg = NULL;
		int got = select_in(cases[i].doc, cases[i].want, &msg);
		if (got != cases[i].expected)
			fail_msg("case %zu (%s): got %d, expected %d (%s)", i, cases[i].want, got,
				 cases[i].expected, msg ? msg : "");
	}
}

static void test_select_errors(void **state)
{
	cleanup_free char *msg = NULL;
	berth_error_t err = NULL;
	struct berth_manifest m;
	struct berth_platform p = { .os = (char *)"linux",
				    .arch = (char *)"arm64",
				    .variant = (char *)"v8" };

	assert_int_equal(select_in(busybox_index, "linux/arm/v7", &msg), -1);
	assert_string_equal(msg,
			    "no matching manifest for linux/arm/v7 in the manifest list entries");
	assert_int_equal(parse(INDEX(ENTRY(D1, PLAT("linux", "amd64"))), NULL, &m, &err), 0);
	assert_int_equal(berth_manifest_select(&m, &p, &err), -ENOENT - 1);
	assert_string_equal(err->msg,
			    "no matching manifest for linux/arm64/v8 in the manifest list entries");
	berth_error_release(&err);
	berth_manifest_release(&m);

	assert_int_equal(parse(redis_manifest, NULL, &m, &err), 0);
	assert_true(berth_manifest_select(&m, &p, &err) < 0);
	assert_int_equal(berth_error_code(err), EINVAL);
	berth_error_release(&err);
	berth_manifest_release(&m);
}

static void test_platform_parse(void **state)
{
	static const char *const cases[][2] = {
		{ "linux/amd64", "linux/amd64" },
		{ "linux/arm64", "linux/arm64" },
		{ "linux/arm64/v8", "linux/arm64/v8" },
		{ "linux/arm64/8", "linux/arm64/v8" },
		{ "linux/aarch64", "linux/arm64" },
		{ "linux/x86_64", "linux/amd64" },
		{ "linux/x86-64", "linux/amd64" },
		{ "linux/amd64/v1", "linux/amd64" },
		{ "linux/amd64/v3", "linux/amd64/v3" },
		{ "linux/armhf", "linux/arm" },
		{ "linux/armel", "linux/arm/v6" },
		{ "linux/arm", "linux/arm" },
		{ "linux/arm/7", "linux/arm/v7" },
		{ "linux/arm/v6", "linux/arm/v6" },
		{ "linux/i386", "linux/386" },
		{ "linux/arm64/v9.0", "linux/arm64/v9" },
		{ "Linux/AMD64", "linux/amd64" },
		{ "macos/arm64", "darwin/arm64" },
		{ "arm64", "linux/arm64" },
		{ "aarch64", "linux/arm64" },
		{ "armhf", "linux/arm" },
		{ "s390x", "linux/s390x" },
		{ "windows(10.0.17763)/amd64", "windows/amd64" },
		{ "windows(10.0.17763+win32k)/amd64", "windows/amd64" },
		{ "linux/riscv64", "linux/riscv64" },
		{ "plan9/whatever", "plan9/whatever" },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_error_t err = NULL;
		struct berth_platform p;
		cleanup_free char *s = NULL;

		if (berth_platform_parse(cases[i][0], &p, &err) < 0)
			fail_msg("`%s`: %s", cases[i][0], err->msg);
		s = berth_platform_string(&p);
		if (strcmp(s, cases[i][1]) != 0)
			fail_msg("`%s`: got `%s`, expected `%s`", cases[i][0], s, cases[i][1]);
		berth_platform_release(&p);
	}
}

static void test_platform_parse_details(void **state)
{
	berth_error_t err = NULL;
	struct berth_platform p, host, copy;

	assert_int_equal(berth_platform_parse("windows(10.0.17763)/amd64", &p, &err), 0);
	assert_string_equal(p.os_version, "10.0.17763");
	berth_platform_release(&p);
	assert_int_equal(berth_platform_parse("windows(10%2E0)/amd64", &p, &err), 0);
	assert_string_equal(p.os_version, "10.0");
	berth_platform_copy(&copy, &p);
	assert_string_equal(copy.os_version, "10.0");
	assert_null(copy.variant);
	berth_platform_release(&copy);
	berth_platform_release(&p);

	/* an OS alone takes the host's architecture */
	berth_platform_host(&host);
	assert_int_equal(berth_platform_parse("linux", &p, &err), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.arch, host.arch);
	berth_platform_release(&p);
	berth_platform_release(&host);
	berth_platform_release(&host);
	berth_platform_release(NULL);
}

static void test_platform_parse_errors(void **state)
{
	static const char *const cases[][2] = {
		{ "foobar",
		  "\"foobar\": unknown operating system or architecture: invalid argument" },
		{ "linux/*", "\"linux/*\": wildcards not yet supported: invalid argument" },
		{ "linux/amd64/v1/x",
		  "\"linux/amd64/v1/x\": cannot parse platform specifier: invalid argument" },
		{ "linux/a/b/c/d",
		  "\"c/d\" is an invalid component of \"linux/a/b/c/d\": platform specifier component "
		  "must match \"^[A-Za-z0-9_.-]+$\": invalid argument" },
		{ "linux//amd64",
		  "\"\" is an invalid component of \"linux//amd64\": platform specifier component "
		  "must match \"^[A-Za-z0-9_.-]+$\": invalid argument" },
		{ "linux/amd 64",
		  "\"amd 64\" is an invalid component of \"linux/amd 64\": platform specifier "
		  "component must match \"^[A-Za-z0-9_.-]+$\": invalid argument" },
		{ "",
		  "\"\" is an invalid OS component of \"\": OSAndVersion specifier component must "
		  "match \"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:\\\\+[A-Za-z0-9_.%-]+)*)"
		  "\\\\))?$\": invalid argument" },
		{ "lin\"ux/amd64",
		  "\"lin\\\"ux\" is an invalid OS component of \"lin\\\"ux/amd64\": OSAndVersion "
		  "specifier component must match \"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:"
		  "\\\\+[A-Za-z0-9_.%-]+)*)\\\\))?$\": invalid argument" },
		{ "windows(10%zz)/amd64",
		  "\"windows(10%zz)/amd64\" has an invalid OS version \"10%zz\": invalid URL escape" },
	};
	static const char *const invalid_os[] = {
		"linux(",	    "linux()x/amd64",	 "linux(1)(2)/amd64",
		"linux(1+)/amd64",  "linux(1++a)/amd64", "(1)/amd64",
		"linux(1/2)/amd64", "li.nux/amd64",
	};
	size_t i;
	char long_spec[300];

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_error_t err = NULL;
		struct berth_platform p;

		if (berth_platform_parse(cases[i][0], &p, &err) >= 0)
			fail_msg("`%s` parsed", cases[i][0]);
		assert_int_equal(berth_error_code(err), EINVAL);
		if (strcmp(err->msg, cases[i][1]) != 0)
			fail_msg("`%s`: got `%s`, expected `%s`", cases[i][0], err->msg,
				 cases[i][1]);
		assert_null(p.os);
		assert_null(p.arch);
		berth_error_release(&err);
	}
	for (i = 0; i < BERTH_ARRAY_SIZE(invalid_os); i++) {
		berth_error_t err = NULL;
		struct berth_platform p;

		if (berth_platform_parse(invalid_os[i], &p, &err) >= 0)
			fail_msg("`%s` parsed", invalid_os[i]);
		assert_non_null(strstr(err->msg, "is an invalid OS component"));
		berth_error_release(&err);
	}
	memset(long_spec, 'a', sizeof(long_spec) - 1);
	long_spec[sizeof(long_spec) - 1] = '\0';
	{
		berth_error_t err = NULL;
		struct berth_platform p;

		assert_true(berth_platform_parse(long_spec, &p, &err) < 0);
		berth_error_release(&err);
		assert_true(berth_platform_parse(NULL, &p, &err) < 0);
		berth_error_release(&err);
	}
}

static void test_platform_match(void **state)
{
	static const struct {
		const char *want, *os, *arch, *variant;
		bool match;
	} cases[] = {
		{ "linux/arm64", "linux", "arm64", "v8", true },
		{ "linux/arm64/v8", "linux", "arm64", NULL, true },
		{ "linux/arm64/v8", "linux", "aarch64", NULL, true },
		{ "linux/arm64/v8", "linux", "arm64", "v9", false },
		{ "linux/arm64", "linux", "arm64", "v9", true },
		{ "linux/amd64", "linux", "arm64", NULL, false },
		{ "linux/amd64", "linux", "x86_64", NULL, true },
		{ "linux/amd64", "windows", "amd64", NULL, false },
		{ "linux/amd64", "Linux", "AMD64", NULL, true },
		{ "linux/arm", "linux", "arm", "v6", true },
		{ "linux/arm/v7", "linux", "arm", NULL, true },
		{ "linux/arm/v7", "linux", "arm", "7", true },
		{ "linux/arm/v7", "linux", "arm", "v6", false },
		{ "linux/arm/v6", "linux", "armel", NULL, true },
		{ "linux/386", "linux", "i386", NULL, true },
		{ "linux/amd64/v2", "linux", "amd64", NULL, false },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_error_t err = NULL;
		struct berth_platform want;
		struct berth_platform cand = { .os = (char *)cases[i].os,
					       .arch = (char *)cases[i].arch,
					       .variant = (char *)cases[i].variant };

		assert_int_equal(berth_platform_parse(cases[i].want, &want, &err), 0);
		if (berth_platform_match(&want, &cand) != cases[i].match)
			fail_msg("case %zu: %s vs %s/%s/%s", i, cases[i].want, cases[i].os,
				 cases[i].arch, cases[i].variant ? cases[i].variant : "");
		berth_platform_release(&want);
	}
}

static void test_platform_host(void **state)
{
	struct berth_platform p;
	struct utsname u;
	cleanup_free char *s = NULL;

	berth_platform_host(&p);
	assert_string_equal(p.os, "linux");
	assert_non_null(p.arch);
	assert_int_equal(uname(&u), 0);
	if (strcmp(u.machine, "x86_64") == 0) {
		assert_string_equal(p.arch, "amd64");
		assert_null(p.variant);
	} else if (strcmp(u.machine, "aarch64") == 0) {
		assert_string_equal(p.arch, "arm64");
		assert_string_equal(p.variant, "v8");
	}
	s = berth_platform_string(&p);
	assert_true(strncmp(s, "linux/", 6) == 0);
	berth_platform_release(&p);
	assert_null(p.os);
}

static void test_platform_string(void **state)
{
	struct berth_platform p = { 0 };
	char *s;

	s = berth_platform_string(&p);
	assert_string_equal(s, "unknown");
	free(s);
	p.os = (char *)"linux";
	s = berth_platform_string(&p);
	assert_string_equal(s, "linux");
	free(s);
	p.arch = (char *)"arm";
	p.variant = (char *)"";
	s = berth_platform_string(&p);
	assert_string_equal(s, "linux/arm");
	free(s);
}

static void test_config_real(void **state)
{
	berth_error_t err = NULL;
	struct berth_image_config c;

	assert_int_equal(berth_image_config_parse(redis_config, strlen(redis_config), &c, &err), 0);
	assert_string_equal(c.platform.os, "linux");
	assert_string_equal(c.platform.arch, "amd64");
	assert_null(c.platform.variant);
	assert_int_equal(c.n_diff_ids, 2);
	assert_string_equal(
	    c.diff_ids[0],
	    "sha256:f099ceb3b1edb1b366f32e19fdbe5a4d9fa784af9f0c5c79638c8737e4e4d4ca");
	assert_int_equal(c.created, 1704067200);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(c.json, "config"), "WorkingDir")),
	    "/data");
	berth_image_config_release(&c);
	berth_image_config_release(&c);
	berth_image_config_release(NULL);

	assert_int_equal(berth_image_config_parse(busybox_config, strlen(busybox_config), &c, &err),
			 0);
	assert_int_equal(c.n_diff_ids, 1);
	berth_image_config_release(&c);
}

static void test_config_created(void **state)
{
	static const struct {
		const char *created;
		int64_t expected;
		bool ok;
	} cases[] = {
		{ "2024-01-01T00:00:00Z", 1704067200, true },
		{ "2023-06-15T10:20:30.123+02:00", 1686817230, true },
		{ "2023-06-15T10:20:30.123456789012Z", 1686824430, true },
		{ "1969-12-31T23:59:59Z", -1, true },
		{ "2000-02-29T12:00:00-05:30", 951845400, true },
		{ "0001-01-01T00:00:00Z", -62135596800LL, true },
		{ "2001-02-29T00:00:00Z", 0, false },
		{ "2024-13-01T00:00:00Z", 0, false },
		{ "2024-01-01T24:00:00Z", 0, false },
		{ "2024-01-01T00:00:60Z", 0, false },
		{ "2024-01-01 00:00:00Z", 0, false },
		{ "2024-01-01T00:00:00", 0, false },
		{ "2024-01-01T00:00:00.Z", 0, false },
		{ "2024-01-01T00:00:00+0200", 0, false },
		{ "2024-01-01T00:00:00+24:00", 0, false },
		{ "yesterday", 0, false },
		{ "", 0, false },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_error_t err = NULL;
		struct berth_image_config c;
		cleanup_free char *doc = xasprintf(
		    "{\"created\":\"%s\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		    cases[i].created);
		int ret = berth_image_config_parse(doc, strlen(doc), &c, &err);

		if (cases[i].ok != (ret == 0))
			fail_msg("`%s`: %s", cases[i].created, ret < 0 ? err->msg : "accepted");
		if (ret == 0)
			assert_int_equal(c.created, cases[i].expected);
		else
			assert_string_equal(err->msg, "invalid `created` time");
		berth_error_release(&err);
		berth_image_config_release(&c);
	}
}

#define ROOTFS "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]}"

static void test_config_bad(void **state)
{
	static const char *const cases[][2] = {
		{ "[]", "an image config must be a JSON object" },
		{ "{\"os\":\"linux\"", "invalid image config: '}' expected near end of file" },
		{ "{}", "invalid rootfs in image configuration" },
		{ "{\"rootfs\":null}", "invalid rootfs in image configuration" },
		{ "{\"rootfs\":{\"type\":\"layer\"}}", "invalid rootfs in image configuration" },
		{ "{\"rootfs\":{\"type\":1}}", "invalid rootfs in image configuration" },
		{ "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":{}}}",
		  "`rootfs.diff_ids` must be an array" },
		{ "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[1]}}",
		  "rootfs.diff_ids[0] must be a string" },
		{ "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"sha256:x\"]}}",
		  "rootfs.diff_ids[1]: invalid checksum digest length" },
		{ "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha512:" D1 "\"]}}",
		  "rootfs.diff_ids[0]: unsupported digest algorithm" },
		{ "{\"architecture\":42," ROOTFS "}", "`architecture` must be a string" },
		{ "{\"os\":[]," ROOTFS "}", "`os` must be a string" },
		{ "{\"created\":1," ROOTFS "}", "`created` must be a string" },
		{ "{\"history\":{}," ROOTFS "}", "`history` must be an array" },
		{ "{\"history\":[1]," ROOTFS "}", "history[0] must be an object" },
		{ "{\"history\":[{},{\"created\":\"x\"}]," ROOTFS "}",
		  "history[1]: invalid `created`" },
		{ "{\"history\":[{\"empty_layer\":\"yes\"}]," ROOTFS "}",
		  "history[0]: invalid `empty_layer`" },
		{ "{\"history\":[{\"created_by\":[]}]," ROOTFS "}",
		  "history[0]: invalid `created_by`" },
		{ "{\"config\":[]," ROOTFS "}", "`config` must be an object" },
		{ "{\"config\":{\"Env\":\"A=b\"}," ROOTFS "}", "config: invalid `Env`" },
		{ "{\"config\":{\"Env\":[1]}," ROOTFS "}", "config: invalid `Env`" },
		{ "{\"config\":{\"Cmd\":{}}," ROOTFS "}", "config: invalid `Cmd`" },
		{ "{\"config\":{\"Labels\":{\"a\":1}}," ROOTFS "}", "config: invalid `Labels`" },
		{ "{\"config\":{\"User\":0}," ROOTFS "}", "config: invalid `User`" },
		{ "{\"config\":{\"ExposedPorts\":[]}," ROOTFS "}",
		  "config: invalid `ExposedPorts`" },
		{ "{\"config\":{\"Healthcheck\":{\"Retries\":\"3\"}}," ROOTFS "}",
		  "config: invalid `Retries`" },
		{ "{\"config\":{\"StopTimeout\":1.5}," ROOTFS "}",
		  "config: invalid `StopTimeout`" },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_error_t err = NULL;
		struct berth_image_config c;

		if (berth_image_config_parse(cases[i][0], strlen(cases[i][0]), &c, &err) >= 0)
			fail_msg("case %zu parsed", i);
		assert_int_equal(berth_error_code(err), EINVAL);
		if (strcmp(err->msg, cases[i][1]) != 0)
			fail_msg("case %zu: got `%s`, expected `%s`", i, err->msg, cases[i][1]);
		assert_null(c.json);
		assert_null(c.diff_ids);
		assert_null(c.platform.os);
		berth_error_release(&err);
	}
}

static void test_config_lenient(void **state)
{
	/* null is "absent" (as Go decodes it), Cmd may be a string, and the
	 * OCI config fields docker ignores are fine */
	static const char doc[] =
	    "{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\",\"created\":null,"
	    "\"config\":{\"Cmd\":\"sh\",\"Entrypoint\":null,\"Labels\":null,\"Healthcheck\":{"
	    "\"Test\":[\"CMD\",\"true\"],\"Interval\":1000000000}},\"rootfs\":{\"type\":\"layers\","
	    "\"diff_ids\":null},\"history\":[{\"empty_layer\":true,\"comment\":\"x\"}],"
	    "\"os.version\":\"1\",\"unknown\":{\"x\":[1,2]}}";
	berth_error_t err = NULL;
	struct berth_image_config c;

	if (berth_image_config_parse(doc, strlen(doc), &c, &err) < 0)
		fail_msg("%s", err->msg);
	assert_string_equal(c.platform.arch, "arm64");
	assert_string_equal(c.platform.variant, "v8");
	assert_string_equal(c.platform.os_version, "1");
	assert_int_equal(c.n_diff_ids, 0);
	assert_null(c.diff_ids);
	assert_int_equal(c.created, 0);
	berth_image_config_release(&c);
}

static void test_config_limits(void **state)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	cleanup_free char *huge = xmalloc(BERTH_CONFIG_MAX_BYTES + 2);
	berth_error_t err = NULL;
	struct berth_image_config c;
	size_t i;

	berth_strbuf_puts(&sb, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (i = 0; i <= BERTH_MANIFEST_MAX_LAYERS; i++)
		berth_strbuf_printf(&sb, "%s\"%s\"", i ? "," : "", D1);
	berth_strbuf_puts(&sb, "]}}");
	assert_true(berth_image_config_parse(sb.buf, sb.len, &c, &err) < 0);
	assert_string_equal(err->msg, "too many layers (257, the limit is 256)");
	berth_error_release(&err);

	berth_strbuf_reset(&sb);
	berth_strbuf_puts(&sb, "{\"rootfs\":{\"type\":\"layers\"},\"history\":[");
	for (i = 0; i <= 4096; i++)
		berth_strbuf_printf(&sb, "%s{}", i ? "," : "");
	berth_strbuf_puts(&sb, "]}");
	assert_true(berth_image_config_parse(sb.buf, sb.len, &c, &err) < 0);
	assert_string_equal(err->msg, "too many history entries (4097, the limit is 4096)");
	berth_error_release(&err);

	memset(huge, ' ', BERTH_CONFIG_MAX_BYTES + 1);
	huge[BERTH_CONFIG_MAX_BYTES + 1] = '\0';
	assert_true(berth_image_config_parse(huge, BERTH_CONFIG_MAX_BYTES + 1, &c, &err) < 0);
	assert_non_null(strstr(err->msg, "image config is too large"));
	berth_error_release(&err);
}

static void test_chain_ids(void **state)
{
	/* redis:7's diff_ids and busybox's layer, chained by hand:
	 * printf 'sha256:f099... sha256:b182...' | sha256sum */
	char *const diffs[] = {
		"sha256:f099ceb3b1edb1b366f32e19fdbe5a4d9fa784af9f0c5c79638c8737e4e4d4ca",
		"sha256:b18297dc28d0992fa204c4da2a86e4bc790d2202162715ad60f0ffa37eab6ed1",
		"sha256:756fe5d06b644949dddf4b2b5d216b9233074982e181c5c42e1faf0855b1ebda",
	};
	char **chain = berth_chain_ids(diffs, 3);
	char **none = berth_chain_ids(NULL, 0);
	size_t i;

	assert_string_equal(chain[0], diffs[0]);
	assert_string_equal(
	    chain[1], "sha256:092bd5bd1592a8f6245d91398bb24e1dcd791dc5d21976f94349c63a766484cd");
	assert_string_equal(
	    chain[2], "sha256:38ae0a3fefbd127f5fb831414dbcdd18ed39d5ec7f9e8a37b5a30a4ecc40c56c");
	for (i = 0; i < 3; i++)
		free(chain[i]);
	free(chain);
	assert_non_null(none);
	free(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_test_data_is_verbatim),
		cmocka_unit_test(test_busybox_index),
		cmocka_unit_test(test_busybox_manifest),
		cmocka_unit_test(test_redis_manifest),
		cmocka_unit_test(test_media_type_sources),
		cmocka_unit_test(test_annotations_and_foreign_layers),
		cmocka_unit_test(test_schema1),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_select_errors),
		cmocka_unit_test(test_platform_parse),
		cmocka_unit_test(test_platform_parse_details),
		cmocka_unit_test(test_platform_parse_errors),
		cmocka_unit_test(test_platform_match),
		cmocka_unit_test(test_platform_host),
		cmocka_unit_test(test_platform_string),
		cmocka_unit_test(test_config_real),
		cmocka_unit_test(test_config_created),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_lenient),
		cmocka_unit_test(test_config_limits),
		cmocka_unit_test(test_chain_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
