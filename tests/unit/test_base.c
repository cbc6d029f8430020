/* test_base.c: error, strbuf, fs, filters and time parsing. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/filters.h"
#include "base/fs.h"
#include "base/jsonlog.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/xalloc.h"

static void test_error_wrap(void **state)
{
	berth_error_t err = NULL;
	int r = berth_make_error(&err, ENOENT, "no such thing `%s`", "x");

	assert_int_equal(r, -ENOENT - 1);
	assert_int_equal(berth_error_wrap(&err, "pull `%s`", "busybox"), -ENOENT - 1);
	assert_string_equal(err->msg, "pull `busybox`: no such thing `x`");
	assert_int_equal(berth_error_code(err), ENOENT);
	berth_error_release(&err);
	assert_null(err);
	berth_error_release(&err);
}

static void test_strbuf(void **state)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	char *s;

	berth_strbuf_puts(&sb, "hello");
	berth_strbuf_printf(&sb, " %d", 42);
	assert_string_equal(sb.buf, "hello 42");
	berth_strbuf_consume(&sb, 6);
	assert_string_equal(sb.buf, "42");
	s = berth_strbuf_steal(&sb);
	assert_string_equal(s, "42");
	assert_null(sb.buf);
	free(s);
}

static void test_log_escape(void **state)
{
	char out[32];

	berth_log_escape(out, sizeof(out), "a\nb\"", 4);
	assert_string_equal(out, "a\\x0ab\\x22");
}

static void test_fs_atomic(void **state)
{
	char dir[] = "/tmp/berth-test-XXXXXX";
	cleanup_free char *path = NULL, *sub = NULL, *text = NULL;
	berth_error_t err = NULL;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/a/b/file", dir);
	sub = xasprintf("%s/a/b", dir);
	assert_int_equal(berth_fs_mkdir_p(sub, 0755, &err), 0);
	assert_int_equal(berth_fs_write_atomic(path, "data", 4, 0644, &err), 0);
	assert_int_equal(berth_fs_read_file(path, 100, &text, &err), 4);
	assert_string_equal(text, "data");
	{
		char *t2 = NULL;
		assert_true(berth_fs_read_file(path, 2, &t2, &err) < 0);
		assert_int_equal(err->code, EFBIG);
		berth_error_release(&err);
	}
	assert_int_equal(berth_fs_remove_tree_contents(dir, &err), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_filters_forms(void **state)
{
	berth_error_t err = NULL;
	struct berth_filters *a = berth_filters_parse(
	    "{\"type\":{\"container\":true},\"label\":{\"a=b\":true,\"c\":true}}", &err);
	struct berth_filters *b = berth_filters_parse("{\"type\":[\"container\",\"image\"]}", &err);
	json_t *labels = json_pack("{s:s, s:s}", "a", "b", "c", "");

	assert_non_null(a);
	assert_non_null(b);
	assert_true(berth_filters_match(a, "type", "container"));
	assert_false(berth_filters_match(a, "type", "image"));
	assert_true(berth_filters_match(b, "type", "image"));
	assert_true(berth_filters_match(a, "event", "anything"));
	assert_true(berth_filters_match_labels(a, "label", labels));
	json_object_set_new(labels, "a", json_string("x"));
	assert_false(berth_filters_match_labels(a, "label", labels));
	assert_int_equal(berth_filters_count(b, "type"), 2);
	assert_true(berth_filters_fuzzy_match(b, "type", "containerd"));
	assert_false(berth_filters_fuzzy_match(b, "type", "volume"));
	json_decref(labels);
	berth_filters_free(a);
	berth_filters_free(b);
}

static void test_filters_invalid(void **state)
{
	static const char *const allowed[] = { "type", NULL };
	static const char *const bad[] = { "[",		  "[]",
					   "{\"a\":1}",	  "{\"a\":{\"b\":1}}",
					   "{\"a\":[1]}", "{\"a\":[],\"a\":[]}" };
	berth_error_t err = NULL;
	struct berth_filters *f;
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		assert_null(berth_filters_parse(bad[i], &err));
		assert_int_equal(err->code, EINVAL);
		berth_error_release(&err);
	}
	f = berth_filters_parse("{\"nope\":[\"x\"]}", &err);
	assert_non_null(f);
	assert_true(berth_filters_validate(f, allowed, &err) < 0);
	assert_string_equal(err->msg, "invalid filter 'nope'");
	berth_error_release(&err);
	berth_filters_free(f);
	f = berth_filters_parse(NULL, &err);
	assert_non_null(f);
	assert_true(berth_filters_match(f, "x", "y"));
	berth_filters_free(f);
}

static void test_duration(void **state)
{
	int64_t ns;
	berth_error_t err = NULL;

	assert_int_equal(berth_time_parse_duration("1h30m", &ns, &err), 0);
	assert_true(ns == 5400LL * 1000000000LL);
	assert_int_equal(berth_time_parse_duration("1.5s", &ns, &err), 0);
	assert_true(ns == 1500000000LL);
	assert_int_equal(berth_time_parse_duration("300ms", &ns, &err), 0);
	assert_true(ns == 300000000LL);
	assert_true(berth_time_parse_duration("10", &ns, &err) < 0);
	berth_error_release(&err);
	assert_true(berth_time_parse_duration("abc", &ns, &err) < 0);
	berth_error_release(&err);
}

static void test_timestamp(void **state)
{
	int64_t ns, now = 1700000000LL * 1000000000LL;
	berth_error_t err = NULL;
	char buf[48];

	assert_int_equal(berth_time_parse_timestamp("0", now, &ns, &err), 0);
	assert_true(ns == 0);
	assert_int_equal(berth_time_parse_timestamp("1700000000.5", now, &ns, &err), 0);
	assert_true(ns == 1700000000500000000LL);
	assert_int_equal(berth_time_parse_timestamp("10m", now, &ns, &err), 0);
	assert_true(ns == now - 600LL * 1000000000LL);
	assert_int_equal(berth_time_parse_timestamp("2023-11-14T22:13:20Z", now, &ns, &err), 0);
	assert_true(ns == now);
	assert_int_equal(berth_time_parse_timestamp("2023-11-14T23:13:20+01:00", now, &ns, &err),
			 0);
	assert_true(ns == now);
	assert_true(berth_time_parse_timestamp("yesterday", now, &ns, &err) < 0);
	assert_string_equal(err->msg, "failed to parse value as time or duration: \"yesterday\"");
	berth_error_release(&err);
	assert_string_equal(berth_time_format_rfc3339nano(now + 120000000, buf, sizeof(buf)),
			    "2023-11-14T22:13:20.12Z");
	assert_string_equal(berth_time_format_rfc3339nano(now, buf, sizeof(buf)),
			    "2023-11-14T22:13:20Z");
	assert_string_equal(berth_time_human_duration(3LL * 60 * 1000000000LL, buf, sizeof(buf)),
			    "3 minutes");
}

struct collected {
	struct berth_strbuf text;
	int n;
};

static int collect(void *data, const struct berth_jsonlog_entry *e)
{
	struct collected *c = data;

	berth_strbuf_printf(&c->text, "%s:%.*s", e->stream, (int)e->len, e->log);
	c->n++;
	return 0;
}

static void test_jsonlog(void **state)
{
	char dir[] = "/tmp/berth-log-XXXXXX";
	cleanup_free char *path = NULL, *text = NULL;
	struct berth_jsonlog_query q = {
		.tail = -1, .stdout_ = true, .stderr_ = true, .max_files = 3
	};
	struct collected c = { BERTH_STRBUF_INIT, 0 };
	berth_error_t err = NULL;
	struct berth_jsonlog_writer *w;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/c-json.log", dir);
	w = berth_jsonlog_open(path, 0, 1, &err);
	assert_non_null(w);
	assert_int_equal(berth_jsonlog_write(w, "stdout", "one\ntw", 6, 1000000000LL, false, &err),
			 0);
	assert_int_equal(berth_jsonlog_write(w, "stderr", "err\n", 4, 2000000000LL, false, &err),
			 0);
	assert_int_equal(
	    berth_jsonlog_write(w, "stdout", "o\n\xff\n", 4, 3000000000LL, false, &err), 0);
	berth_jsonlog_close(w);
	assert_true(berth_fs_read_file(path, 4096, &text, &err) > 0);
	assert_non_null(strstr(
	    text,
	    "{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"1970-01-01T00:00:01Z\"}\n"));
	assert_int_equal(berth_jsonlog_read(path, &q, collect, &c, &err), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.text.buf,
			    "stdout:one\nstderr:err\nstdout:two\nstdout:\xef\xbf\xbd\n");
	berth_strbuf_reset(&c.text);
	c.n = 0;
	q.tail = 2;
	q.stderr_ = false;
	berth_jsonlog_read(path, &q, collect, &c, &err);
	assert_string_equal(c.text.buf, "stdout:two\nstdout:\xef\xbf\xbd\n");
	berth_strbuf_reset(&c.text);
	q.tail = -1;
	q.stderr_ = true;
	q.since_ns = 2000000000LL;
	q.until_ns = 2500000000LL;
	berth_jsonlog_read(path, &q, collect, &c, &err);
	assert_string_equal(c.text.buf, "stderr:err\n");
	berth_strbuf_release(&c.text);
	assert_int_equal(berth_fs_remove_tree_contents(dir, &err), 0);
	rmdir(dir);
}

static void test_jsonlog_rotate(void **state)
{
	char dir[] = "/tmp/berth-log-XXXXXX";
	cleanup_free char *path = NULL, *r1 = NULL, *r3 = NULL;
	struct berth_jsonlog_query q = {
		.tail = -1, .stdout_ = true, .stderr_ = true, .max_files = 3
	};
	struct collected c = { BERTH_STRBUF_INIT, 0 };
	berth_error_t err = NULL;
	struct berth_jsonlog_writer *w;
	int i;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/c-json.log", dir);
	r1 = xasprintf("%s.1", path);
	r3 = xasprintf("%s.3", path);
	w = berth_jsonlog_open(path, 200, 3, &err);
	for (i = 0; i < 20; i++) {
		char line[16];
		snprintf(line, sizeof(line), "line %02d\n", i);
		assert_int_equal(
		    berth_jsonlog_write(w, "stdout", line, strlen(line), (int64_t)i, false, &err),
		    0);
	}
	berth_jsonlog_close(w);
	assert_int_equal(access(r1, F_OK), 0);
	assert_int_not_equal(access(r3, F_OK), 0);
	berth_jsonlog_read(path, &q, collect, &c, &err);
	/* the newest lines survive, in order */
	assert_non_null(strstr(c.text.buf, "stdout:line 19\n"));
	assert_null(strstr(c.text.buf, "line 00"));
	assert_true(c.n < 20 && c.n >= 5);
	berth_strbuf_release(&c.text);
	assert_int_equal(berth_fs_remove_tree_contents(dir, &err), 0);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_wrap),    cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_log_escape),    cmocka_unit_test(test_fs_atomic),
		cmocka_unit_test(test_filters_forms), cmocka_unit_test(test_filters_invalid),
		cmocka_unit_test(test_duration),      cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_jsonlog),	      cmocka_unit_test(test_jsonlog_rotate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
