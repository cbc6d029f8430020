/* test_resolver.c: unit tests of the pure part of net/resolver.c, the
 * parsing of the host's resolv.conf into upstream servers. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/resolver.h"

#define SLOTS 8 /* more than any test asks for: the rest must stay untouched */

/* Runs berth_resolver_host_servers(TEXT, MAX) and checks that it returns
 * exactly the NULL-terminated list WANT and writes nothing past MAX. */
static void expect(const char *text, size_t max, const char *const *want)
{
	char out[SLOTS][46];
	size_t n, i, nwant = 0;

	assert_true(max < SLOTS);
	memset(out, 0x5a, sizeof(out));
	while (want[nwant])
		nwant++;
	n = berth_resolver_host_servers(text, out, max);
	if (n != nwant)
		fail_msg("%zu servers instead of %zu for `%s`", n, nwant, text);
	for (i = 0; i < n; i++)
		assert_string_equal(out[i], want[i]);
	for (i = max; i < SLOTS; i++)
		assert_int_equal(out[i][0], 0x5a);
}

#define EXPECT(text, max, ...) expect((text), (max), (const char *const[]){ __VA_ARGS__, NULL })

static const char *const fallback[] = { "8.8.8.8", "8.8.4.4", NULL };

static void test_ipv4_ipv6(void **state)
{
	(void)state;
	EXPECT("nameserver 1.1.1.1\nnameserver 2001:4860:4860::8888\n", 3, "1.1.1.1",
	       "2001:4860:4860::8888");
	/* a full systemd-resolved stub file */
	EXPECT(
	    "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\n"
	    "# Do not edit.\n"
	    "\n"
	    "nameserver 127.0.0.53\n"
	    "options edns0 trust-ad\n"
	    "search example.com\n",
	    3, "127.0.0.53");
	EXPECT("nameserver ::1\nnameserver ::ffff:10.0.0.1\n", 3, "::1", "::ffff:10.0.0.1");
	/* the longest IPv6 literal: 45 characters, 46 bytes with the NUL */
	EXPECT("nameserver 0000:0000:0000:0000:0000:ffff:255.255.255.255\n", 3,
	       "0000:0000:0000:0000:0000:ffff:255.255.255.255");
}

static void test_blanks_and_comments(void **state)
{
	(void)state;
	EXPECT("nameserver\t9.9.9.9\n", 3, "9.9.9.9");
	EXPECT("nameserver \t \t1.0.0.1\t \n", 3, "1.0.0.1");
	EXPECT("nameserver 1.2.3.4 # the office\n", 3, "1.2.3.4");
	EXPECT("nameserver 1.2.3.4#office\n", 3, "1.2.3.4");
	EXPECT("nameserver 1.2.3.4;office\n", 3, "1.2.3.4");
	EXPECT("nameserver 1.2.3.4\t; office\n", 3, "1.2.3.4");
	EXPECT("nameserver 2001:db8::1#x\n", 3, "2001:db8::1");
	/* CRLF line ends */
	EXPECT("nameserver 1.2.3.4\r\nnameserver 5.6.7.8\r\n", 3, "1.2.3.4", "5.6.7.8");
	/* only the first word counts, as in glibc */
	EXPECT("nameserver 1.2.3.4 5.6.7.8\n", 3, "1.2.3.4");
	/* commented-out lines */
	EXPECT("# nameserver 5.5.5.5\n; nameserver 6.6.6.6\nnameserver 7.7.7.7\n", 3, "7.7.7.7");
}

static void test_skipped(void **state)
{
	(void)state;
	/* ours: forwarding to it would loop */
	EXPECT("nameserver 127.0.0.11\nnameserver 1.2.3.4\n", 3, "1.2.3.4");
	/* zones are the host's business */
	EXPECT("nameserver fe80::1%eth0\nnameserver 2001:db8::53\n", 3, "2001:db8::53");
	EXPECT("nameserver 1.2.3.256\n"
	       "nameserver 1.2.3.4.5\n"
	       "nameserver example.com\n"
	       "nameserver 2001:db8::g\n"
	       "nameserver 2001:db8:::1\n"
	       "nameserver -1.2.3.4\n"
	       "nameserver 10.0.0.1\n",
	       3, "10.0.0.1");
	/* a word too long for any address, and one longer than the scratch buffer */
	EXPECT("nameserver 0000:0000:0000:0000:0000:ffff:0255.255.255.255\n"
	       "nameserver "
	       "1111111111111111111111111111111111111111111111111111111111111111111111111111\n"
	       "nameserver 10.0.0.2\n",
	       3, "10.0.0.2");
	/* skipped entries do not count toward MAX */
	EXPECT("nameserver 127.0.0.11\nnameserver bad\nnameserver 1.1.1.1\nnameserver 2.2.2.2\n", 2,
	       "1.1.1.1", "2.2.2.2");
}

static void test_max(void **state)
{
	static const char text[] = "nameserver 1.1.1.1\nnameserver 2.2.2.2\n"
				   "nameserver 3.3.3.3\nnameserver 4.4.4.4\n";

	(void)state;
	EXPECT(text, 3, "1.1.1.1", "2.2.2.2", "3.3.3.3");
	EXPECT(text, 1, "1.1.1.1");
	EXPECT(text, 4, "1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4");
	expect(text, 0, (const char *const[]){ NULL });
	/* the fallback obeys MAX too */
	EXPECT("", 1, "8.8.8.8");
	expect("", 0, (const char *const[]){ NULL });
}

static void test_fallback(void **state)
{
	(void)state;
	expect("", 3, fallback);
	expect("\n\n\n", 3, fallback);
	expect("search example.com\noptions ndots:2\n", 3, fallback);
	expect("nameserver 127.0.0.11\n", 3, fallback);
	expect("nameserver fe80::1%eth0\n", 3, fallback);
	expect("nameserver bogus\n", 3, fallback);
	/* commented out */
	expect("#nameserver 1.2.3.4\n;nameserver 1.2.3.4\n", 3, fallback);
}

static void test_line_ends(void **state)
{
	(void)state;
	/* the last line without its newline */
	EXPECT("nameserver 1.2.3.4", 3, "1.2.3.4");
	EXPECT("search x\nnameserver 1.2.3.4\nnameserver 5.6.7.8", 3, "1.2.3.4", "5.6.7.8");
	EXPECT("nameserver 1.2.3.4 ", 3, "1.2.3.4");
	/* the keyword without an address, at the end or not */
	expect("nameserver", 3, fallback);
	expect("nameserver ", 3, fallback);
	expect("nameserver\t", 3, fallback);
	expect("nameserver\n", 3, fallback);
	expect("nameserver \t \n", 3, fallback);
	expect("nameserver #1.2.3.4\n", 3, fallback);
	/* the address is never taken from the next line */
	EXPECT("nameserver\n1.2.3.4\nnameserver \n5.6.7.8\nnameserver 9.9.9.9", 3, "9.9.9.9");
}

static void test_not_the_keyword(void **state)
{
	(void)state;
	expect("nameservers 1.2.3.4\n", 3, fallback);
	expect("nameserver1.2.3.4\n", 3, fallback);
	expect("nameserver:1.2.3.4\n", 3, fallback);
	expect("NAMESERVER 1.2.3.4\n", 3, fallback);
	expect("Nameserver 1.2.3.4\n", 3, fallback);
	expect("namesrv 1.2.3.4\n", 3, fallback);
	expect("name 1.2.3.4\n", 3, fallback);
	/* glibc does not skip blanks before the keyword either */
	expect(" nameserver 1.2.3.4\n", 3, fallback);
	expect("\tnameserver 1.2.3.4\n", 3, fallback);
	EXPECT("nameservers 1.2.3.4\nnameserver 5.6.7.8\n", 3, "5.6.7.8");
}

static void test_long_text(void **state)
{
	const char *const two[] = { "10.1.1.1", "10.2.2.2", NULL };
	size_t len = 128 * 1024, off;
	char *text = malloc(len + 1);

	(void)state;
	assert_non_null(text);
	/* a huge comment line, a huge word, then the servers */
	memset(text, '#', len);
	text[4000] = '\n';
	off = 4001;
	memcpy(text + off, "nameserver ", 11);
	off += 11;
	memset(text + off, '1', 60000);
	off += 60000;
	text[off++] = '\n';
	memcpy(text + off, "nameserver 10.1.1.1\nnameserver 10.2.2.2\n", 40);
	off += 40;
	text[off] = '\0';
	expect(text, 3, two);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_ipv6),	cmocka_unit_test(test_blanks_and_comments),
		cmocka_unit_test(test_skipped),		cmocka_unit_test(test_max),
		cmocka_unit_test(test_fallback),	cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_not_the_keyword), cmocka_unit_test(test_long_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
