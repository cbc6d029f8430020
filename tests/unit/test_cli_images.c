/* test_cli_images.c: the client side of the image commands: docker's
 * config.json credentials and the X-Registry-Auth header, base64 as Go
 * does it, image references on the client, and jsonmessage rendering.
 *
 * Expected headers were recorded from the docker 28 CLI talking to a stub
 * daemon; progress bars and terminal sequences are the bytes docker's
 * jsonmessage wrote for the same streams. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/auth.h"
#include "base/reference.h"
#include "cli/jsonmessage.h"

/* ---- helpers ---- */

static char *tmp_dir;

static int make_tmp(void **state)
{
	char tmpl[] = "/tmp/test_cli_images.XXXXXX";

	(void)state;
	tmp_dir = xstrdup(mkdtemp(tmpl));
	return 0;
}

static int remove_tmp(void **state)
{
	cleanup_free char *cfg = xasprintf("%s/config.json", tmp_dir);

	(void)state;
	unlink(cfg);
	rmdir(tmp_dir);
	free(tmp_dir);
	return 0;
}

static void write_config(const char *text)
{
	cleanup_free char *path = xasprintf("%s/config.json", tmp_dir);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Loads the config written last and returns the header for DOMAIN, or
 * "ERR: msg" when loading or resolving failed. HELPER gets the helper. */
static char *header_for(const char *domain, const char **helper_out, char **helper_copy)
{
	struct berth_docker_config *cfg = NULL;
	berth_error_t err = NULL;
	struct berth_auth_config a;
	const char *helper = NULL;
	char *res;

	if (berth_auth_load_config(tmp_dir, &cfg, &err) < 0) {
		res = xasprintf("ERR: %s", err->msg);
		berth_error_release(&err);
		berth_docker_config_free(cfg);
		return res;
	}
	if (berth_auth_resolve(cfg, domain, &a, &helper, &err) < 0) {
		res = xasprintf("ERR: %s", err->msg);
		berth_error_release(&err);
	} else {
		res = berth_auth_encode(&a);
		berth_auth_config_release(&a);
	}
	if (helper_copy)
		*helper_copy = helper ? xstrdup(helper) : NULL;
	(void)helper_out;
	berth_docker_config_free(cfg);
	return res;
}

static void expect_header(const char *domain, const char *want)
{
	cleanup_free char *got = header_for(domain, NULL, NULL);

	assert_string_equal(got, want);
}

/* ---- base64 ---- */

static void test_base64url(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "", "" },	   { "{}", "e30=" },	   { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "\xfb\xff", "-_8=" }, /* the URL alphabet: '-' and '_' for '+' and '/' */
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		cleanup_free char *got = berth_auth_base64url(cases[i].in, strlen(cases[i].in));
		assert_string_equal(got, cases[i].want);
	}
}

static void test_base64_decode(void **state)
{
	/* error positions as Go's StdEncoding.Decode reports them */
	static const struct {
		const char *in;
		const char *want; /* decoded text, or "ERR n" */
	} cases[] = {
		{ "dXNlcjpwYXNz", "user:pass" },
		{ "dXNlcjpwYXNz\n", "user:pass" },
		{ "dXNl\r\ncjpwYXNz", "user:pass" },
		{ "dXM=", "us" },
		{ "dQ==", "u" },
		{ "", "" },
		{ "!!!", "ERR 0" },
		{ "dXM", "ERR 0" },
		{ "dXNlc", "ERR 4" },
		{ "dX=", "ERR 3" },
		{ "dX=x", "ERR 2" },
		{ "dXM=x", "ERR 4" },
		{ "d===", "ERR 1" },
		{ "dXNl*", "ERR 4" },
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		cleanup_free char *out = NULL;
		cleanup_free char *got = NULL;
		berth_error_t err = NULL;
		size_t len = 0;

		if (berth_auth_base64_decode(cases[i].in, &out, &len, &err) < 0) {
			unsigned at = 0;
			assert_int_equal(
			    sscanf(err->msg, "illegal base64 data at input byte %u", &at), 1);
			got = xasprintf("ERR %u", at);
			berth_error_release(&err);
		} else {
			got = xstrndup(out, len);
		}
		if (strcmp(got, cases[i].want) != 0)
			print_error("decode [%s]: want %s, got %s\n", cases[i].in, cases[i].want,
				    got);
		assert_string_equal(got, cases[i].want);
	}
}

/* ---- config.json and the header ---- */

static void test_auth_entries(void **state)
{
	(void)state;
	write_config("{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"dXNlcjpwYXNz\"},"
		     "\"https://index.docker.io/v1/\":{\"identitytoken\":\"tok<&>\"}}}");
	/* recorded from docker 28 against a stub daemon, same config */
	expect_header("127.0.0.1:5000", "eyJ1c2VybmFtZSI6InVzZXIiLCJwYXNzd29yZCI6InBhc3MiLCJzZXJ2"
					"ZXJhZGRyZXNzIjoiMTI3LjAuMC4xOjUwMDAifQ==");
	expect_header("docker.io", "eyJzZXJ2ZXJhZGRyZXNzIjoiaHR0cHM6Ly9pbmRleC5kb2NrZXIuaW8vdjEv"
				   "IiwiaWRlbnRpdHl0b2tlbiI6InRva1x1MDAzY1x1MDAyNlx1MDAzZSJ9");
	/* nothing for this registry: docker sends {} */
	expect_header("other.example:5000", "e30=");
}

/* The header's JSON, decoded back, for readable expectations. */
static char *header_json(const char *domain)
{
	cleanup_free char *h = header_for(domain, NULL, NULL);
	cleanup_free char *std = xstrdup(h);
	char *out = NULL;
	berth_error_t err = NULL;
	size_t len;

	for (char *p = std; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	if (berth_auth_base64_decode(std, &out, &len, &err) < 0) {
		berth_error_release(&err);
		return xasprintf("bad header %s", h);
	}
	return out;
}

static void expect_json(const char *domain, const char *want)
{
	cleanup_free char *got = header_json(domain);

	assert_string_equal(got, want);
}

static void test_auth_lookup(void **state)
{
	(void)state;
	/* a key naming the registry as a URL matches its host:port */
	write_config(
	    "{\"auths\":{\"https://reg.example:5000/v2/\":{\"auth\":\"YTpi\","
	    "\"email\":\"e@x\"},\"plain.example\":{\"username\":\"u\",\"password\":\"p\"}}}");
	expect_json("reg.example:5000", "{\"username\":\"a\",\"password\":\"b\",\"email\":\"e@x\","
					"\"serveraddress\":\"https://reg.example:5000/v2/\"}");
	expect_json("plain.example",
		    "{\"username\":\"u\",\"password\":\"p\",\"serveraddress\":\"plain.example\"}");
	/* Docker Hub is only ever the index key, never "docker.io" */
	write_config("{\"auths\":{\"docker.io\":{\"auth\":\"YTpi\"}}}");
	expect_json("docker.io", "{}");
	/* a password keeps its colons; trailing NULs go */
	write_config("{\"auths\":{\"r.example\":{\"auth\":\"dTpwOnE6AA==\"}}}");
	expect_json("r.example",
		    "{\"username\":\"u\",\"password\":\"p:q:\",\"serveraddress\":\"r.example\"}");
	/* registrytoken and escaping of control characters */
	write_config("{\"auths\":{\"r.example\":{\"registrytoken\":\"a\\nb\\u0001\\u2028\"}}}");
	expect_json("r.example", "{\"serveraddress\":\"r.example\",\"registrytoken\":"
				 "\"a\\nb\\u0001\\u2028\"}");
}

static void test_auth_broken(void **state)
{
	cleanup_free char *got = NULL;
	cleanup_free char *want = NULL;

	(void)state;
	/* docker: "WARNING: Error parsing config file (PATH): illegal base64 data ..." */
	write_config("{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"!!!\"}}}");
	got = header_for("127.0.0.1:5000", NULL, NULL);
	want = xasprintf("ERR: parsing config file (%s/config.json): illegal base64 data at "
			 "input byte 0",
			 tmp_dir);
	assert_string_equal(got, want);
	free(got);
	free(want);
	write_config("{\"auths\":{\"r\":{\"auth\":\"OnBhc3M=\"}}}"); /* ":pass" */
	got = header_for("r", NULL, NULL);
	want = xasprintf("ERR: parsing config file (%s/config.json): Invalid auth configuration "
			 "file",
			 tmp_dir);
	assert_string_equal(got, want);
	free(got);
	free(want);
	write_config("{\"auths\": ");
	got = header_for("r", NULL, NULL);
	want = xasprintf("ERR: parsing config file (%s/config.json): unexpected EOF", tmp_dir);
	assert_string_equal(got, want);
	/* an empty file is an empty config, as in docker */
	write_config("");
	expect_header("r", "e30=");
}

static void test_auth_config_fields(void **state)
{
	struct berth_docker_config *cfg = NULL;
	berth_error_t err = NULL;
	cleanup_free char *helper = NULL;
	cleanup_free char *h = NULL;

	(void)state;
	write_config("{\"imagesFormat\":\"table {{.ID}}\",\"credsStore\":\"pass\","
		     "\"credHelpers\":{\"gcr.io\":\"gcloud\"},"
		     "\"auths\":{\"gcr.io\":{\"auth\":\"YTpi\"}}}");
	assert_int_equal(berth_auth_load_config(tmp_dir, &cfg, &err), 0);
	assert_string_equal(cfg->images_format, "table {{.ID}}");
	assert_string_equal(cfg->creds_store, "pass");
	berth_docker_config_free(cfg);
	/* a helper is reported, and the auths entry still used */
	h = header_for("gcr.io", NULL, &helper);
	assert_string_equal(helper, "gcloud");
	assert_string_not_equal(h, "e30=");
	free(helper);
	free(h);
	h = header_for("docker.io", NULL, &helper);
	assert_string_equal(helper, "pass");
	assert_string_equal(h, "e30=");
}

static void test_auth_missing_file(void **state)
{
	struct berth_docker_config *cfg = NULL;
	berth_error_t err = NULL;
	struct berth_auth_config a;
	cleanup_free char *h = NULL;

	(void)state;
	assert_int_equal(berth_auth_load_config("/nonexistent-berth-dir", &cfg, &err), 0);
	assert_int_equal(berth_auth_resolve(cfg, "docker.io", &a, NULL, &err), 0);
	h = berth_auth_encode(&a);
	assert_string_equal(h, "e30=");
	berth_auth_config_release(&a);
	berth_docker_config_free(cfg);
}

static void test_config_dir(void **state)
{
	cleanup_free char *d1 = NULL;
	cleanup_free char *d2 = NULL;
	char *old = getenv("DOCKER_CONFIG") ? xstrdup(getenv("DOCKER_CONFIG")) : NULL;

	(void)state;
	setenv("DOCKER_CONFIG", "/x/y", 1);
	d1 = berth_auth_config_dir();
	assert_string_equal(d1, "/x/y");
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", "/home/h", 1);
	d2 = berth_auth_config_dir();
	assert_string_equal(d2, "/home/h/.docker");
	if (old)
		setenv("DOCKER_CONFIG", old, 1);
	free(old);
}

/* ---- references ---- */

static void test_imageref(void **state)
{
	static const struct {
		const char *in;
		const char *full;     /* after TagNameOnly, or "ERR: msg" */
		const char *familiar; /* FamiliarString after TagNameOnly */
		const char *domain;
	} cases[] = {
		{ "busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io" },
		{ "me/app:1", "docker.io/me/app:1", "me/app:1", "docker.io" },
		{ "index.docker.io/library/redis:7", "docker.io/library/redis:7", "redis:7",
		  "docker.io" },
		{ "127.0.0.1:5000/me/bb:1", "127.0.0.1:5000/me/bb:1", "127.0.0.1:5000/me/bb:1",
		  "127.0.0.1:5000" },
		{ "localhost/x", "localhost/x:latest", "localhost/x:latest", "localhost" },
		{ "busybox@sha256:4340088aa7312756b7845ac662f0def57cd261f6820ea9f6baada719481f16aa",
		  "docker.io/library/busybox@sha256:4340088aa7312756b7845ac662f0def57cd261f6820ea9f6baada719481f16aa",
		  "busybox@sha256:4340088aa7312756b7845ac662f0def57cd261f6820ea9f6baada719481f16aa",
		  "docker.io" },
		{ "Bad/Name",
		  "ERR: invalid reference format: repository name (Name) must be lowercase", NULL,
		  NULL },
		{ "bad name", "ERR: invalid reference format", NULL, NULL },
		{ "busybox:", "ERR: invalid reference format", NULL, NULL },
		{ "d8cd4b7b443e7aafe8a84ae921b49775f79e58690be08f7bbfb2eea911050179",
		  "ERR: invalid repository name (d8cd4b7b443e7aafe8a84ae921b49775f79e58690be08f7bbfb2eea911050179), cannot specify 64-byte hexadecimal strings",
		  NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		struct berth_ref r;
		berth_error_t err = NULL;
		cleanup_free char *full = NULL;
		cleanup_free char *fam = NULL;

		if (berth_ref_parse(cases[i].in, &r, &err) < 0) {
			full = xasprintf("ERR: %s", err->msg);
			berth_error_release(&err);
			assert_string_equal(full, cases[i].full);
			continue;
		}
		berth_ref_default_tag(&r);
		full = berth_ref_string(&r);
		fam = berth_ref_familiar(&r);
		assert_string_equal(full, cases[i].full);
		assert_string_equal(fam, cases[i].familiar);
		assert_string_equal(r.domain, cases[i].domain);
		berth_ref_release(&r);
	}
}

static void test_imageref_any(void **state)
{
	berth_error_t err = NULL;

	(void)state;
	/* ParseAnyReference takes IDs and digests that names refuse */
	assert_int_equal(
	    berth_ref_check_any(
		"d8cd4b7b443e7aafe8a84ae921b49775f79e58690be08f7bbfb2eea911050179", &err),
	    0);
	assert_int_equal(
	    berth_ref_check_any(
		"sha256:d8cd4b7b443e7aafe8a84ae921b49775f79e58690be08f7bbfb2eea911050179", &err),
	    0);
	assert_int_equal(berth_ref_check_any("d8cd4b", &err), 0);
	assert_true(berth_ref_check_any("bad name", &err) < 0);
	assert_string_equal(err->msg, "invalid reference format");
	berth_error_release(&err);
}

/* ---- jsonmessage ---- */

/* Renders the JSON lines of STREAM; returns the output, and "\nERR: msg"
 * appended when the stream ended with an error. */
static char *render(const char *stream, bool terminal, int width)
{
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	struct berth_jsonmessage *jm = berth_jsonmessage_new(&out, terminal, width);
	cleanup_free char *copy = xstrdup(stream);
	char *save = NULL;

	berth_jsonmessage_set_now(jm, 1700000000);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		berth_error_t err = NULL;
		if (berth_jsonmessage_display(jm, l, strlen(l), &err) < 0) {
			berth_strbuf_printf(&out, "\nERR: %s", err->msg);
			berth_error_release(&err);
			break;
		}
	}
	berth_jsonmessage_free(jm);
	berth_strbuf_append(&out, "", 0);
	return berth_strbuf_steal(&out);
}

static const char pull_stream[] =
    "{\"status\":\"Pulling from library/nginx\",\"id\":\"latest\"}\n"
    "{\"status\":\"Already exists\",\"progressDetail\":{},\"id\":\"bc007c8f969b\"}\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"b9d9dd529215\"}\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":15951,\"total\":5902303},"
    "\"progress\":\"[>  ]  15.95kB/5.902MB\",\"id\":\"b9d9dd529215\"}\n"
    "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"b9d9dd529215\"}\n"
    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"b9d9dd529215\"}\n"
    "{\"status\":\"Digest: sha256:31bd\"}\n"
    "{\"status\":\"Status: Downloaded newer image for nginx:latest\"}\n";

static void test_stream_plain(void **state)
{
	cleanup_free char *got = render(pull_stream, false, 0);

	(void)state;
	/* docker's output off a terminal: bars skipped, each status once */
	assert_string_equal(got, "latest: Pulling from library/nginx\n"
				 "bc007c8f969b: Already exists\n"
				 "b9d9dd529215: Pulling fs layer\n"
				 "b9d9dd529215: Download complete\n"
				 "b9d9dd529215: Pull complete\n"
				 "Digest: sha256:31bd\n"
				 "Status: Downloaded newer image for nginx:latest\n");
}

static void test_stream_terminal(void **state)
{
	cleanup_free char *got = render(pull_stream, true, 150);

	(void)state;
	/* the bytes docker 28 wrote on a 150-column terminal for this stream */
	assert_string_equal(
	    got, "latest: Pulling from library/nginx\n"
		 "\n\033[1A\033[2K\rbc007c8f969b: Already exists \r\033[1B"
		 "\n\033[1A\033[2K\rb9d9dd529215: Pulling fs layer \r\033[1B"
		 "\033[1A\033[2K\rb9d9dd529215: Downloading "
		 "[>                                                  ]  15.95kB/5.902MB\r\033[1B"
		 "\033[1A\033[2K\rb9d9dd529215: Download complete \r\033[1B"
		 "\033[1A\033[2K\rb9d9dd529215: Pull complete \r\033[1B"
		 "Digest: sha256:31bd\n"
		 "Status: Downloaded newer image for nginx:latest\n");
}

static void test_stream_error(void **state)
{
	cleanup_free char *got = render(
	    "{\"status\":\"Pulling from x/y\",\"id\":\"1\"}\n"
	    "{\"errorDetail\":{\"message\":\"corrupt or truncated layer\"},\"error\":\"corrupt or "
	    "truncated layer\"}\n"
	    "{\"status\":\"never shown\"}\n",
	    false, 0);
	cleanup_free char *bad = render("{\"status\":\"a\"}\nnot json\n", false, 0);

	(void)state;
	assert_string_equal(got, "1: Pulling from x/y\n\nERR: corrupt or truncated layer");
	assert_true(strstr(bad, "a\n\nERR: invalid JSON message from daemon") == bad);
}

static void test_stream_other_fields(void **state)
{
	cleanup_free char *got =
	    render("{\"stream\":\"Loaded image: busybox:latest\\n\"}\n"
		   "{\"status\":\"s\",\"from\":\"img\",\"id\":\"x\"}\n"
		   "{\"status\":\"Extracting\",\"progress\":\"[==> ] 1B/2B\",\"id\":\"x\"}\n"
		   "{\"aux\":{\"Tag\":\"1\"}}\n",
		   false, 0);

	(void)state;
	/* a deprecated `progress` text without progressDetail is printed as is */
	assert_string_equal(got, "Loaded image: busybox:latest\n"
				 "x: (from img) s\n"
				 "x: Extracting [==> ] 1B/2B");
}

static void test_progress_string(void **state)
{
	static const struct {
		const char *detail;
		int width;
		const char *want;
	} cases[] = {
		{ "{}", 200, "" },
		{ "{\"current\":15951,\"total\":5902303}", 200,
		  "[>                                                  ]  15.95kB/5.902MB" },
		{ "{\"current\":5892096,\"total\":5902303}", 111,
		  "[=================================================> ]  5.892MB/5.902MB" },
		/* no bar at 110 columns and less */
		{ "{\"current\":15951,\"total\":5902303}", 110, " 15.95kB/5.902MB" },
		{ "{\"current\":1230000}", 200, "  1.23MB" },
		{ "{\"current\":3,\"total\":10,\"units\":\"items\"}", 200,
		  "[===============>                                   ] 3/10 items" },
		{ "{\"current\":3,\"units\":\"items\"}", 200, "3 items" },
		{ "{\"current\":30,\"total\":10}", 60, "     30B" },
		{ "{\"current\":5,\"total\":10,\"hidecounts\":true}", 200,
		  "[=========================>                         ] " },
		/* half done in 10s: 10s left; then the hour form */
		{ "{\"current\":1000000,\"total\":2000000,\"start\":1699999990}", 80,
		  "     1MB/2MB 10s" },
		{ "{\"current\":1000,\"total\":2000000,\"start\":1699999990}", 80,
		  "     1kB/2MB 5h33m10s" },
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		json_t *p = json_loads(cases[i].detail, 0, NULL);
		struct berth_strbuf out = BERTH_STRBUF_INIT;

		berth_jsonmessage_progress(&out, p, cases[i].width, 1700000000);
		berth_strbuf_append(&out, "", 0);
		if (strcmp(out.buf, cases[i].want) != 0)
			print_error("progress %s: want [%s] got [%s]\n", cases[i].detail,
				    cases[i].want, out.buf);
		assert_string_equal(out.buf, cases[i].want);
		berth_strbuf_release(&out);
		json_decref(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_base64_decode),
		cmocka_unit_test(test_auth_entries),
		cmocka_unit_test(test_auth_lookup),
		cmocka_unit_test(test_auth_broken),
		cmocka_unit_test(test_auth_config_fields),
		cmocka_unit_test(test_auth_missing_file),
		cmocka_unit_test(test_config_dir),
		cmocka_unit_test(test_imageref),
		cmocka_unit_test(test_imageref_any),
		cmocka_unit_test(test_stream_plain),
		cmocka_unit_test(test_stream_terminal),
		cmocka_unit_test(test_stream_error),
		cmocka_unit_test(test_stream_other_fields),
		cmocka_unit_test(test_progress_string),
	};

	return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
