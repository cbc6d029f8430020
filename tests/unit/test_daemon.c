/* test_daemon.c: daemon.json rules, routing and API versions, event
 * filters, and the state store's migrations. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "daemon/daemon_config.h"
#include "engine/db.h"
#include "engine/events.h"
#include "http/server.h"

static int parse(struct berth_daemon_config *cfg, const char *json, berth_error_t *err)
{
	char *argv[] = { (char *)"daemon", (char *)"--data-root", (char *)"/x", NULL };

	if (berth_daemon_config_parse_args(cfg, 3, argv, err) < 0)
		return -1;
	return berth_daemon_config_merge_json(cfg, json, strlen(json), "daemon.json", err);
}

static void test_config_ok(void **state)
{
	struct berth_daemon_config cfg;
	berth_error_t err = NULL;

	assert_int_equal(parse(&cfg,
			       "{\"registry-mirrors\":[\"http://127.0.0.1:5000\"],"
			       "\"insecure-registries\":[\"127.0.0.1:5000\"],\"debug\":true,"
			       "\"labels\":[\"a=b\"],\"dns\":[\"1.1.1.1\"],\"bip\":\"10.9.0.1/24\"}",
			       &err),
			 0);
	assert_string_equal(cfg.engine.data_root, "/x");
	assert_true(cfg.engine.debug);
	assert_string_equal(cfg.log_level, "debug");
	assert_int_equal(json_array_size(cfg.engine.registry_mirrors), 1);
	assert_int_equal(json_array_size(cfg.ignored), 1);
	assert_string_equal(json_string_value(json_array_get(cfg.ignored, 0)), "bip");
	assert_int_equal(json_array_size(cfg.engine.dns), 1);
	assert_true(cfg.engine.live_restore);
	berth_daemon_config_release(&cfg);
}

static void test_config_unknown_key(void **state)
{
	struct berth_daemon_config cfg;
	berth_error_t err = NULL;

	assert_true(parse(&cfg, "{\"foo\":1,\"debug\":true}", &err) < 0);
	assert_non_null(
	    strstr(err->msg, "the following directives don't match any configuration option: foo"));
	berth_error_release(&err);
	berth_daemon_config_release(&cfg);
}

static void test_config_conflict(void **state)
{
	struct berth_daemon_config cfg;
	berth_error_t err = NULL;

	assert_true(parse(&cfg, "{\"data-root\":\"/y\"}", &err) < 0);
	assert_non_null(
	    strstr(err->msg, "specified both as a flag and in the configuration file: data-root"));
	berth_error_release(&err);
	berth_daemon_config_release(&cfg);
}

static void test_config_bad_values(void **state)
{
	static const char *const bad[] = {
		"{\"debug\":\"yes\"}",
		"{\"labels\":[1]}",
		"{\"labels\":[\"nolabel\"]}",
		"{\"hosts\":[\"tcp://0.0.0.0:2375\"]}",
		"{\"log-level\":\"loud\"}",
		"[1]",
		"{",
		"{\"max-concurrent-downloads\":-1}",
		"{\"a\":1,\"a\":2}",
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		struct berth_daemon_config cfg;
		berth_error_t err = NULL;
		assert_true(parse(&cfg, bad[i], &err) < 0);
		assert_int_equal(err->code, EINVAL);
		berth_error_release(&err);
		berth_daemon_config_release(&cfg);
	}
}

static void test_config_flags(void **state)
{
	char *argv[] = { (char *)"daemon",
			 (char *)"-H",
			 (char *)"unix:///tmp/a.sock",
			 (char *)"--debug",
			 (char *)"--registry-mirror=http://m",
			 (char *)"--registry-mirror",
			 (char *)"https://n",
			 NULL };
	char *bad[] = { (char *)"daemon", (char *)"--nope", NULL };
	struct berth_daemon_config cfg;
	berth_error_t err = NULL;

	assert_int_equal(berth_daemon_config_parse_args(&cfg, 7, argv, &err), 0);
	assert_string_equal(json_string_value(json_array_get(cfg.hosts, 0)), "unix:///tmp/a.sock");
	assert_int_equal(json_array_size(cfg.engine.registry_mirrors), 2);
	assert_true(cfg.engine.debug);
	berth_daemon_config_release(&cfg);
	assert_true(berth_daemon_config_parse_args(&cfg, 2, bad, &err) < 0);
	assert_string_equal(err->msg, "unknown flag: --nope");
	berth_error_release(&err);
	berth_daemon_config_release(&cfg);
}

static struct berth_http_server_config route_cfg(void)
{
	struct berth_http_server_config c = { 0 };

	c.routes = berth_api_routes(&c.n_routes);
	c.api_min_major = 1;
	c.api_min_minor = 24;
	c.api_max_major = 1;
	c.api_max_minor = 47;
	return c;
}

static void test_routes(void **state)
{
	struct berth_http_server_config c = route_cfg();
	const struct berth_route *r;
	char *verr = NULL, *param = NULL;
	int v;

	r = berth_http_route_test(&c, "GET", "/v1.41/version", &v, &verr, &param);
	assert_non_null(r);
	assert_string_equal(r->pattern, "/version");
	assert_int_equal(v, 1041);
	assert_null(verr);
	r = berth_http_route_test(&c, "GET", "/version", &v, &verr, &param);
	assert_int_equal(v, 1047);
	r = berth_http_route_test(&c, "HEAD", "/_ping", &v, &verr, &param);
	assert_non_null(r);
	r = berth_http_route_test(&c, "GET", "/nope", &v, &verr, &param);
	assert_null(r);
	r = berth_http_route_test(&c, "GET", "/v1.99/version", &v, &verr, &param);
	assert_string_equal(
	    verr, "client version 1.99 is too new. Maximum supported API version is 1.47");
	free(verr);
	r = berth_http_route_test(&c, "GET", "/v1.12/version", &v, &verr, &param);
	assert_string_equal(
	    verr,
	    "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version");
	free(verr);
	r = berth_http_route_test(&c, "GET", "/images/docker.io/library/busybox/json", &v, &verr,
				  &param);
	assert_non_null(r);
	assert_string_equal(r->pattern, "/images/{name*}/json");
	assert_string_equal(param, "docker.io/library/busybox");
	free(param);
	r = berth_http_route_test(&c, "DELETE", "/containers/abc", &v, &verr, &param);
	assert_non_null(r);
	assert_string_equal(param, "abc");
	free(param);
	r = berth_http_route_test(&c, "GET", "/containers//json", &v, &verr, &param);
	assert_null(r);
}

static void test_event_filters(void **state)
{
	struct berth_event ev = { .type = (char *)"container",
				  .action = (char *)"exec_start: sh -c true",
				  .actor_id = (char *)"abcdef",
				  .scope = "local" };
	berth_error_t err = NULL;
	struct berth_filters *f;

	ev.attributes =
	    json_pack("{s:s, s:s, s:s}", "name", "web", "image", "busybox", "tier", "front");
	f = berth_filters_parse(
	    "{\"event\":[\"exec_start\"],\"container\":[\"we\"],\"label\":[\"tier=front\"]}", &err);
	assert_true(berth_event_match(&ev, f));
	berth_filters_free(f);
	f = berth_filters_parse("{\"type\":[\"daemon\"]}", &err);
	assert_false(berth_event_match(&ev, f));
	berth_filters_free(f);
	f = berth_filters_parse("{\"image\":[\"busybox\"],\"container\":[\"abc\"]}", &err);
	assert_true(berth_event_match(&ev, f));
	berth_filters_free(f);
	f = berth_filters_parse("{\"container\":[\"zzz\"]}", &err);
	assert_false(berth_event_match(&ev, f));
	berth_filters_free(f);
	{
		json_t *j = berth_event_to_json(&ev, true);
		assert_string_equal(json_string_value(json_object_get(j, "status")),
				    "exec_start: sh -c true");
		assert_string_equal(json_string_value(json_object_get(j, "from")), "busybox");
		json_decref(j);
		j = berth_event_to_json(&ev, false);
		assert_null(json_object_get(j, "status"));
		json_decref(j);
	}
	json_decref(ev.attributes);
}

static void test_db_migrations(void **state)
{
	char dir[] = "/tmp/berth-db-XXXXXX";
	cleanup_free char *path = NULL;
	berth_error_t err = NULL;
	struct berth_db *db;
	char *v;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/berth.db", dir);
	db = berth_db_open(path, &err);
	assert_non_null(db);
	assert_int_equal(berth_db_schema_version(db), berth_db_latest_schema_version());
	assert_int_equal(berth_db_meta_set(db, "k", "v", &err), 0);
	berth_db_close(db);
	db = berth_db_open(path, &err);
	assert_non_null(db);
	v = berth_db_meta_get(db, "k", &err);
	assert_string_equal(v, "v");
	free(v);
	assert_null(berth_db_meta_get(db, "missing", &err));
	assert_int_equal(err->code, ENOENT);
	berth_error_release(&err);
	/* a store from a newer berth is refused, not downgraded */
	assert_int_equal(
	    sqlite3_exec(berth_db_handle(db), "PRAGMA user_version = 999", NULL, NULL, NULL),
	    SQLITE_OK);
	berth_db_close(db);
	assert_null(berth_db_open(path, &err));
	assert_non_null(strstr(err->msg, "newer than this berth"));
	berth_error_release(&err);
	assert_int_equal(berth_fs_remove_tree_contents(dir, &err), 0);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_ok),	cmocka_unit_test(test_config_unknown_key),
		cmocka_unit_test(test_config_conflict), cmocka_unit_test(test_config_bad_values),
		cmocka_unit_test(test_config_flags),	cmocka_unit_test(test_routes),
		cmocka_unit_test(test_event_filters),	cmocka_unit_test(test_db_migrations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
