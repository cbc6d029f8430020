/* test_reference.c: image references, with the edge cases of docker's own
 * reference_test.go and normalize_test.go. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/xalloc.h"
#include "base/reference.h"

#define F64	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define HEX64	    "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
#define HEX64_UPPER "1A3F5E7D9C1B3A5F7E9D1C3B5A7F9E1D3C5B7A9F1E3D5D7C9B1A3F5E7D9C1B3A"
#define DGST	    "sha256:" F64

#define ERR_FORMAT "invalid reference format"

struct good_case {
	const char *in;
	const char *domain;
	const char *path;
	const char *full;     /* berth_ref_string after berth_ref_default_tag */
	const char *familiar; /* berth_ref_familiar after the default tag */
};

static const struct good_case good[] = {
	{ "busybox", "docker.io", "library/busybox", "docker.io/library/busybox:latest",
	  "busybox:latest" },
	{ "busybox:1.36", "docker.io", "library/busybox", "docker.io/library/busybox:1.36",
	  "busybox:1.36" },
	{ "library/busybox", "docker.io", "library/busybox", "docker.io/library/busybox:latest",
	  "busybox:latest" },
	{ "docker.io/busybox", "docker.io", "library/busybox", "docker.io/library/busybox:latest",
	  "busybox:latest" },
	{ "index.docker.io/library/busybox", "docker.io", "library/busybox",
	  "docker.io/library/busybox:latest", "busybox:latest" },
	{ "index.docker.io/debian", "docker.io", "library/debian",
	  "docker.io/library/debian:latest", "debian:latest" },
	{ "me/app:1", "docker.io", "me/app", "docker.io/me/app:1", "me/app:1" },
	{ "docker.io/library/a/b", "docker.io", "library/a/b", "docker.io/library/a/b:latest",
	  "library/a/b:latest" },
	{ "localhost/x", "localhost", "x", "localhost/x:latest", "localhost/x:latest" },
	{ "localhost/library/debian", "localhost", "library/debian",
	  "localhost/library/debian:latest", "localhost/library/debian:latest" },
	{ "localhost:5000/x:y@" DGST, "localhost:5000", "x", "localhost:5000/x:y@" DGST,
	  "localhost:5000/x:y@" DGST },
	{ "127.0.0.1:5000/me/bb:1", "127.0.0.1:5000", "me/bb", "127.0.0.1:5000/me/bb:1",
	  "127.0.0.1:5000/me/bb:1" },
	{ "192.168.0.1", "docker.io", "library/192.168.0.1", "docker.io/library/192.168.0.1:latest",
	  "192.168.0.1:latest" },
	{ "192.168.0.1:80", "docker.io", "library/192.168.0.1", "docker.io/library/192.168.0.1:80",
	  "192.168.0.1:80" },
	{ "test.com:5000", "docker.io", "library/test.com", "docker.io/library/test.com:5000",
	  "test.com:5000" },
	{ "foo_bar.com:8080", "docker.io", "library/foo_bar.com",
	  "docker.io/library/foo_bar.com:8080", "foo_bar.com:8080" },
	{ "Foo.com/x", "Foo.com", "x", "Foo.com/x:latest", "Foo.com/x:latest" },
	{ "LOCALDOMAIN/debian", "LOCALDOMAIN", "debian", "LOCALDOMAIN/debian:latest",
	  "LOCALDOMAIN/debian:latest" },
	{ "Docker/docker", "Docker", "docker", "Docker/docker:latest", "Docker/docker:latest" },
	{ "[::1]:5000/repo", "[::1]:5000", "repo", "[::1]:5000/repo:latest",
	  "[::1]:5000/repo:latest" },
	{ "[2001:db8::1]/repo:tag", "[2001:db8::1]", "repo", "[2001:db8::1]/repo:tag",
	  "[2001:db8::1]/repo:tag" },
	{ "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian",
	  "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
	  "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest" },
	{ "busybox@" DGST, "docker.io", "library/busybox", "docker.io/library/busybox@" DGST,
	  "busybox@" DGST },
	{ "busybox:tag@" DGST, "docker.io", "library/busybox",
	  "docker.io/library/busybox:tag@" DGST, "busybox:tag@" DGST },
	{ "lowercase:Uppercase", "docker.io", "library/lowercase",
	  "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase" },
	{ "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
	  "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
	  "sub-dom1.foo.com/bar/baz/quux:some-long-tag" },
	{ "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io",
	  "test.example.com/my-app", "b.gcr.io/test.example.com/my-app:test.example.com",
	  "b.gcr.io/test.example.com/my-app:test.example.com" },
	{ "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage",
	  "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com" },
	{ "docker---rules/docker", "docker.io", "docker---rules/docker",
	  "docker.io/docker---rules/docker:latest", "docker---rules/docker:latest" },
	{ "dock__er/docker", "docker.io", "dock__er/docker", "docker.io/dock__er/docker:latest",
	  "dock__er/docker:latest" },
	{ "d/docker", "docker.io", "d/docker", "docker.io/d/docker:latest", "d/docker:latest" },
	{ "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io",
	  "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
	  "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:"
	  "latest",
	  "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest" },
	{ "docker.io/" HEX64, "docker.io", "library/" HEX64, "docker.io/library/" HEX64 ":latest",
	  HEX64 ":latest" },
	/* docker leaves the domain empty when the first component looks like
	 * a host but only parses as a path */
	{ "a_b.com/x", "", "a_b.com/x", "a_b.com/x:latest", "a_b.com/x:latest" },
	{ "foo.com:5000/a.b_c__d-e--f/g", "foo.com:5000", "a.b_c__d-e--f/g",
	  "foo.com:5000/a.b_c__d-e--f/g:latest", "foo.com:5000/a.b_c__d-e--f/g:latest" },
};

struct bad_case {
	const char *in;
	const char *msg;
};

static const struct bad_case bad[] = {
	{ "Busybox", ERR_FORMAT ": repository name (library/Busybox) must be lowercase" },
	{ "docker/Docker", ERR_FORMAT ": repository name (docker/Docker) must be lowercase" },
	{ "docker.io/docker/Docker",
	  ERR_FORMAT ": repository name (docker/Docker) must be lowercase" },
	{ "localhost:5000/Foo:tag", ERR_FORMAT ": repository name (Foo) must be lowercase" },
	{ "test:5000/Uppercase/lowercase:tag",
	  ERR_FORMAT ": repository name (Uppercase/lowercase) must be lowercase" },
	/* the host-looking first component is not a valid domain, and the
	 * name would only be valid in lowercase: Parse's own error */
	{ "Foo_bar/x", "repository name must be lowercase" },
	{ HEX64,
	  "invalid repository name (" HEX64 "), cannot specify 64-byte hexadecimal strings" },
	{ "", ERR_FORMAT },
	{ "busybox:", ERR_FORMAT },
	{ ":tag", ERR_FORMAT },
	{ ":justtag", ERR_FORMAT },
	{ "@" DGST, ERR_FORMAT },
	{ "a..b", ERR_FORMAT },
	{ "a//b", ERR_FORMAT },
	{ "docker///docker", ERR_FORMAT },
	{ "docker/", ERR_FORMAT },
	{ "-docker", ERR_FORMAT },
	{ "-docker/docker", ERR_FORMAT },
	{ "docker-/docker", ERR_FORMAT },
	{ "-docker.io/docker/docker", ERR_FORMAT },
	{ "____/____", ERR_FORMAT },
	{ "_docker/_docker", ERR_FORMAT },
	{ "dock..er/docker", ERR_FORMAT },
	{ "dock_.er/docker", ERR_FORMAT },
	{ "dock-.er/docker", ERR_FORMAT },
	{ "aa/asdf$$^/aa", ERR_FORMAT },
	{ "https://github.com/docker/docker", ERR_FORMAT },
	{ "[fc00::1]", ERR_FORMAT },
	{ "[fc00::1]:5000", ERR_FORMAT },
	{ "fc00::1:5000/debian", ERR_FORMAT },
	{ "[fe80::1%eth0]:5000/debian", ERR_FORMAT },
	{ "[2001:db8:3:4::192.0.2.33]:5000/debian", ERR_FORMAT },
	{ "[]:5000/x", ERR_FORMAT },
	{ "host:/x", ERR_FORMAT },
	{ "host:50a0/x", ERR_FORMAT },
	{ "busybox:tag:tag", ERR_FORMAT },
	{ "busybox:-tag", ERR_FORMAT },
	{ "busybox@sha256:abc", ERR_FORMAT },
	{ "busybox@" DGST "@" DGST, ERR_FORMAT },
	{ "busy box", ERR_FORMAT },
	{ "busybox\n", ERR_FORMAT },
	{ "repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length" },
	{ "validname@invaliddigest:" F64, "unsupported digest algorithm" },
	{ "validname@sha512:" F64 F64, "unsupported digest algorithm" },
	/* docker checks case up to the first ':', digest algorithm included */
	{ "validname@SHA256:" F64,
	  ERR_FORMAT ": repository name (library/validname@SHA256) must be lowercase" },
	{ "busybox@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
	  "invalid checksum digest format" },
	{ "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_"
	  "valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_"
	  "because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_"
	  "is_greater_than_255/docker",
	  "repository name must not be more than 255 characters" },
};

static void test_good(void **state)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(good); i++) {
		berth_error_t err = NULL;
		struct berth_ref r;
		cleanup_free char *full = NULL;
		cleanup_free char *fam = NULL;

		if (berth_ref_parse(good[i].in, &r, &err) < 0)
			fail_msg("`%s`: %s", good[i].in, err->msg);
		assert_null(err);
		assert_string_equal(r.domain, good[i].domain);
		assert_string_equal(r.path, good[i].path);
		berth_ref_default_tag(&r);
		full = berth_ref_string(&r);
		fam = berth_ref_familiar(&r);
		assert_string_equal(full, good[i].full);
		assert_string_equal(fam, good[i].familiar);
		berth_ref_release(&r);
	}
}

static void test_bad(void **state)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		berth_error_t err = NULL;
		struct berth_ref r;

		if (berth_ref_parse(bad[i].in, &r, &err) >= 0)
			fail_msg("`%s` parsed, expected: %s", bad[i].in, bad[i].msg);
		assert_int_equal(berth_error_code(err), EINVAL);
		if (strcmp(err->msg, bad[i].msg) != 0)
			fail_msg("`%s`: got `%s`, expected `%s`", bad[i].in, err->msg, bad[i].msg);
		assert_null(r.domain);
		assert_null(r.path);
		assert_null(r.tag);
		assert_null(r.digest);
		berth_error_release(&err);
	}
}

/* Repeats C N times after PREFIX, then SUFFIX. */
static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
	cleanup_free char *mid = xmalloc(n + 1);

	memset(mid, c, n);
	mid[n] = '\0';
	return xasprintf("%s%s%s", prefix, mid, suffix);
}

static int parse_msg(const char *s, char **msg)
{
	berth_error_t err = NULL;
	struct berth_ref r;
	int ret = berth_ref_parse(s, &r, &err);

	*msg = ret < 0 ? xstrdup(err->msg) : NULL;
	berth_error_release(&err);
	berth_ref_release(&r);
	return ret;
}

static void test_limits(void **state)
{
	static const struct {
		const char *prefix;
		char c;
		size_t n;
		const char *suffix;
		const char *msg; /* NULL: valid */
	} cases[] = {
		/* tags: 128 characters at most */
		{ "busybox:", 'a', 128, "", NULL },
		{ "busybox:", 'a', 129, "", ERR_FORMAT },
		/* the path (not the domain) is at most 255 characters */
		{ "example.com/", 'a', 255, ":tag", NULL },
		{ "example.com/", 'a', 256, ":tag",
		  "repository name must not be more than 255 characters" },
		{ "domain/", 'a', 256, ":tag",
		  "repository name must not be more than 255 characters" },
		/* "library/" counts: 8 + 247 = 255 */
		{ "", 'a', 247, "", NULL },
		{ "", 'a', 248, "", "repository name must not be more than 255 characters" },
		/* a long domain is fine, the whole input is not */
		{ "", 'a', 1000, ".com/x", NULL },
		{ "", 'a', BERTH_REF_MAX_LEN, ".com/x", ERR_FORMAT },
		/* digests of 32 hex digits or more are well-formed */
		{ "x@md5:", 'f', 32, "", "unsupported digest algorithm" },
		{ "x@md5:", 'f', 31, "", ERR_FORMAT },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		cleanup_free char *s =
		    repeat(cases[i].prefix, cases[i].c, cases[i].n, cases[i].suffix);
		cleanup_free char *msg = NULL;
		int ret = parse_msg(s, &msg);

		if (cases[i].msg == NULL && ret < 0)
			fail_msg("case %zu: %s", i, msg);
		if (cases[i].msg && (ret >= 0 || strcmp(msg, cases[i].msg) != 0))
			fail_msg("case %zu: got `%s`, expected `%s`", i, msg ? msg : "ok",
				 cases[i].msg);
	}
	/* 127 components "a/" + "a": a long name made of short parts */
	{
		char buf[300];
		size_t k;
		cleanup_free char *msg = NULL;

		for (k = 0; k < 127; k++)
			memcpy(buf + 2 * k, "a/", 2);
		memcpy(buf + 254, "a:tag-puts-this-over-max", sizeof("a:tag-puts-this-over-max"));
		assert_int_equal(parse_msg(buf, &msg), 0);
	}
}

static void test_no_tag_with_digest(void **state)
{
	berth_error_t err = NULL;
	struct berth_ref r;
	cleanup_free char *name = NULL;
	cleanup_free char *fname = NULL;

	assert_int_equal(berth_ref_parse("127.0.0.1:5000/me/bb@" DGST, &r, &err), 0);
	assert_null(r.tag);
	assert_string_equal(r.digest, DGST);
	berth_ref_default_tag(&r);
	assert_null(r.tag);
	name = berth_ref_name(&r);
	fname = berth_ref_familiar_name(&r);
	assert_string_equal(name, "127.0.0.1:5000/me/bb");
	assert_string_equal(fname, "127.0.0.1:5000/me/bb");
	berth_ref_release(&r);
	berth_ref_release(&r);
	berth_ref_release(NULL);
}

static void test_familiar_name(void **state)
{
	static const char *const cases[][2] = {
		{ "busybox", "busybox" },
		{ "docker.io/library/busybox:1", "busybox" },
		{ "docker.io/dmcgowan/myapp", "dmcgowan/myapp" },
		{ "docker.io/library/a/b", "library/a/b" },
		{ "localhost/library/x", "localhost/library/x" },
		{ "quay.io/library/x", "quay.io/library/x" },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_error_t err = NULL;
		struct berth_ref r;
		cleanup_free char *fname = NULL;

		assert_int_equal(berth_ref_parse(cases[i][0], &r, &err), 0);
		fname = berth_ref_familiar_name(&r);
		assert_string_equal(fname, cases[i][1]);
		berth_ref_release(&r);
	}
}

static void test_digest_helpers(void **state)
{
	static const struct {
		const char *in;
		const char *msg;
	} checks[] = {
		{ DGST, NULL },
		{ "sha256:" F64 "f", "invalid checksum digest length" },
		{ "sha256:" HEX64, NULL },
		{ "sha256:g" F64, "invalid checksum digest length" },
		{ "sha256:" HEX64_UPPER, "invalid checksum digest format" },
		{ "sha512:" F64 F64, "unsupported digest algorithm" },
		{ "blake3:" F64, "unsupported digest algorithm" },
		{ "sha256", "invalid checksum digest format" },
		{ ":" F64, "invalid checksum digest format" },
		{ "sha256:", "invalid checksum digest format" },
		{ "Sha256:" F64, "invalid checksum digest format" },
		{ "sha 256:" F64, "invalid checksum digest format" },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(checks); i++) {
		berth_error_t err = NULL;
		int ret = berth_digest_check(checks[i].in, &err);

		if (checks[i].msg == NULL) {
			if (ret < 0)
				fail_msg("`%s`: %s", checks[i].in, err->msg);
			continue;
		}
		assert_true(ret < 0);
		assert_int_equal(berth_error_code(err), EINVAL);
		if (strcmp(err->msg, checks[i].msg) != 0)
			fail_msg("`%s`: got `%s`, expected `%s`", checks[i].in, err->msg,
				 checks[i].msg);
		berth_error_release(&err);
	}
	assert_true(berth_digest_valid(DGST));
	assert_true(berth_digest_valid(HEX64));
	assert_false(berth_digest_valid("sha256:" HEX64 "0"));
	assert_false(berth_digest_valid("SHA256:" HEX64));
	assert_false(berth_digest_valid(HEX64_UPPER));
	assert_false(berth_digest_valid(""));
	assert_false(berth_digest_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),	      cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),	      cmocka_unit_test(test_no_tag_with_digest),
		cmocka_unit_test(test_familiar_name), cmocka_unit_test(test_digest_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
