/* test_ipam.c: unit tests of net/ipam.c. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/ipam.h"

static uint32_t A(const char *s)
{
	uint32_t a = 0;

	assert_int_equal(berth_ipam_parse_addr(s, &a, NULL), 0);
	return a;
}

static struct berth_ipv4_prefix P(const char *s)
{
	struct berth_ipv4_prefix p = { 0, 0 };

	assert_int_equal(berth_ipam_parse_prefix(s, false, &p, NULL), 0);
	return p;
}

static void test_parse_format(void **state)
{
	static const char *const bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
					   "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1..2.3", "1.2.3.-4" };
	struct berth_ipv4_prefix p;
	berth_error_t err = NULL;
	char buf[19];
	uint32_t a;
	size_t i;

	(void)state;
	assert_int_equal(A("172.17.0.1"), 0xac110001u);
	assert_int_equal(A("0.0.0.0"), 0);
	assert_int_equal(A("255.255.255.255"), 0xffffffffu);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(berth_ipam_parse_addr(bad[i], &a, &err) < 0);
		assert_int_equal(berth_error_code(err), EINVAL);
		berth_error_release(&err);
	}
	p = P("10.1.0.0/16");
	assert_int_equal(p.addr, 0x0a010000u);
	assert_int_equal(p.len, 16);
	berth_ipam_format_prefix(&p, buf);
	assert_string_equal(buf, "10.1.0.0/16");
	p = P("255.255.255.255/32");
	berth_ipam_format_prefix(&p, buf);
	assert_string_equal(buf, "255.255.255.255/32");
	berth_ipam_format_addr(0xc0a80a01u, buf);
	assert_string_equal(buf, "192.168.10.1");
	/* docker's wording for host bits */
	assert_true(berth_ipam_parse_prefix("172.18.0.1/16", false, &p, &err) < 0);
	assert_string_equal(err->msg, "invalid subnet 172.18.0.1/16: it should be 172.18.0.0/16");
	berth_error_release(&err);
	assert_int_equal(berth_ipam_parse_prefix("172.18.0.1/16", true, &p, NULL), 0);
	assert_int_equal(p.addr, 0xac120000u);
	assert_true(berth_ipam_parse_prefix("1.2.3.4/33", false, &p, NULL) < 0);
	assert_true(berth_ipam_parse_prefix("1.2.3.4/", false, &p, NULL) < 0);
	assert_true(berth_ipam_parse_prefix("1.2.3.4", false, &p, NULL) < 0);
	assert_true(berth_ipam_parse_prefix("1.2.3.0/024", false, &p, NULL) < 0);
	assert_int_equal(berth_ipam_parse_prefix("0.0.0.0/0", false, &p, NULL), 0);
}

static void test_overlap(void **state)
{
	struct berth_ipv4_prefix a = P("172.17.0.0/16"), b = P("172.17.5.0/24"),
				 c = P("172.18.0.0/16"), all = P("0.0.0.0/0");

	(void)state;
	assert_true(berth_ipam_overlaps(&a, &b));
	assert_true(berth_ipam_overlaps(&b, &a));
	assert_false(berth_ipam_overlaps(&a, &c));
	assert_true(berth_ipam_overlaps(&all, &c));
	assert_true(berth_ipam_contains(&a, A("172.17.255.255")));
	assert_false(berth_ipam_contains(&a, A("172.18.0.0")));
	assert_int_equal(berth_ipam_mask(0), 0);
	assert_int_equal(berth_ipam_mask(32), 0xffffffffu);
	assert_int_equal(berth_ipam_mask(20), 0xfffff000u);
}

static void test_next_subnet(void **state)
{
	struct berth_ipv4_prefix used[20] = { { 0, 0 } }, out;
	berth_error_t err = NULL;
	char buf[19];
	size_t n = 0;

	(void)state;
	assert_int_equal(berth_ipam_next_subnet(berth_ipam_default_pools,
						berth_ipam_n_default_pools, used, n, &out, NULL), 0);
	berth_ipam_format_prefix(&out, buf);
	assert_string_equal(buf, "172.17.0.0/16");
	used[n++] = out;
	used[n++] = P("172.18.3.0/24"); /* a user subnet inside the next pool */
	assert_int_equal(berth_ipam_next_subnet(berth_ipam_default_pools,
						berth_ipam_n_default_pools, used, n, &out, NULL), 0);
	berth_ipam_format_prefix(&out, buf);
	assert_string_equal(buf, "172.19.0.0/16");
	/* every 172 pool taken: 192.168.0.0/20, then 192.168.16.0/20 */
	n = 0;
	used[n++] = P("172.16.0.0/12");
	assert_int_equal(berth_ipam_next_subnet(berth_ipam_default_pools,
						berth_ipam_n_default_pools, used, n, &out, NULL), 0);
	berth_ipam_format_prefix(&out, buf);
	assert_string_equal(buf, "192.168.0.0/20");
	used[n++] = out;
	assert_int_equal(berth_ipam_next_subnet(berth_ipam_default_pools,
						berth_ipam_n_default_pools, used, n, &out, NULL), 0);
	berth_ipam_format_prefix(&out, buf);
	assert_string_equal(buf, "192.168.16.0/20");
	used[n++] = P("192.168.0.0/16");
	assert_true(berth_ipam_next_subnet(berth_ipam_default_pools, berth_ipam_n_default_pools,
					   used, n, &out, &err) < 0);
	assert_int_equal(berth_error_code(err), ENOSPC);
	berth_error_release(&err);
	/* a custom pool: 10.10.0.0/16 in /24s */
	{
		struct berth_ipam_pool pool = { P("10.10.0.0/16"), 24 };
		n = 0;
		used[n++] = P("10.10.0.0/24");
		assert_int_equal(berth_ipam_next_subnet(&pool, 1, used, n, &out, NULL), 0);
		berth_ipam_format_prefix(&out, buf);
		assert_string_equal(buf, "10.10.1.0/24");
	}
}

static void test_next_addr(void **state)
{
	struct berth_ipv4_prefix sub = P("172.20.0.0/16"), range = P("172.20.5.0/24"),
				 tiny = P("10.0.0.0/30"), p31 = P("10.0.0.0/31");
	uint32_t gw = A("172.20.0.1"), used[4], out;
	berth_error_t err = NULL;

	(void)state;
	assert_int_equal(berth_ipam_next_addr(&sub, NULL, gw, NULL, 0, &out, NULL), 0);
	assert_int_equal(out, A("172.20.0.2"));
	used[0] = A("172.20.0.2");
	used[1] = A("172.20.0.3");
	assert_int_equal(berth_ipam_next_addr(&sub, NULL, gw, used, 2, &out, NULL), 0);
	assert_int_equal(out, A("172.20.0.4"));
	/* --ip-range: from its start (its network address is a usable host) */
	assert_int_equal(berth_ipam_next_addr(&sub, &range, gw, used, 2, &out, NULL), 0);
	assert_int_equal(out, A("172.20.5.0"));
	/* a /30: network .0, gateway .1, one host .2, broadcast .3 */
	assert_int_equal(berth_ipam_next_addr(&tiny, NULL, A("10.0.0.1"), NULL, 0, &out, NULL), 0);
	assert_int_equal(out, A("10.0.0.2"));
	used[0] = A("10.0.0.2");
	assert_true(berth_ipam_next_addr(&tiny, NULL, A("10.0.0.1"), used, 1, &out, &err) < 0);
	assert_int_equal(berth_error_code(err), ENOSPC);
	berth_error_release(&err);
	/* a /31 has no network nor broadcast address */
	assert_int_equal(berth_ipam_next_addr(&p31, NULL, A("10.0.0.0"), NULL, 0, &out, NULL), 0);
	assert_int_equal(out, A("10.0.0.1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_next_subnet),
		cmocka_unit_test(test_next_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
