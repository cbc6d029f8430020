/* test_dns.c: unit tests of net/dns.c, on hand-built packets. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/dns.h"

/* What `dig web.example A` (BIND 9.18) sends: id 0x1234, RD and AD set,
 * one question, and an OPT record (UDP size 1232) carrying a COOKIE. */
/* clang-format off */
static const uint8_t dig_edns[] = {
	0x12, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
	0x00, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
	0x00, 0x0a, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
};
/* `dig +noedns web.example A` */
static const uint8_t dig_plain[] = {
	0x12, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
	0x00, 0x01, 0x00, 0x01,
};
/* clang-format on */

struct pkt {
	uint8_t b[1024];
	size_t n;
};

static void put(struct pkt *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put8(struct pkt *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void header(struct pkt *p, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
		   uint16_t ar)
{
	p->n = 0;
	put16(p, 0xbeef);
	put16(p, flags);
	put16(p, qd);
	put16(p, an);
	put16(p, ns);
	put16(p, ar);
}

/* Labels of LEN bytes of FILL each, then the root. */
static void labels(struct pkt *p, const size_t *lens, size_t n, char fill)
{
	uint8_t buf[255];
	size_t i;

	memset(buf, fill, sizeof(buf));
	for (i = 0; i < n; i++) {
		put8(p, (uint8_t)lens[i]);
		put(p, buf, lens[i]);
	}
	put8(p, 0);
}

/* A query for the dotted NAME ("" for the root), no EDNS. */
static void query(struct pkt *p, uint16_t flags, const char *name, uint16_t type)
{
	const char *s = name, *dot;
	size_t l;

	header(p, flags, 1, 0, 0, 0);
	while (*s) {
		dot = strchr(s, '.');
		l = dot ? (size_t)(dot - s) : strlen(s);
		put8(p, (uint8_t)l);
		put(p, s, l);
		s += l + (dot != NULL);
	}
	put8(p, 0);
	put16(p, type);
	put16(p, BERTH_DNS_CLASS_IN);
}

static void parse_ok(const uint8_t *msg, size_t len, struct berth_dns_query *q)
{
	berth_error_t err = NULL;

	assert_int_equal(berth_dns_parse_query(msg, len, q, &err), 0);
	assert_null(err);
}

/* Refused with EINVAL and a message containing WHY. */
static void parse_bad(const uint8_t *msg, size_t len, const char *why)
{
	struct berth_dns_query q;
	berth_error_t err = NULL;

	assert_true(berth_dns_parse_query(msg, len, &q, &err) < 0);
	assert_non_null(err);
	assert_int_equal(berth_error_code(err), EINVAL);
	if (why && strstr(err->msg, why) == NULL)
		fail_msg("`%s` does not say `%s`", err->msg, why);
	berth_error_release(&err);
}

static void test_parse_dig(void **state)
{
	struct berth_dns_query q;

	(void)state;
	parse_ok(dig_edns, sizeof(dig_edns), &q);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.flags, 0x0120);
	assert_true(q.flags & BERTH_DNS_FLAG_RD);
	assert_string_equal(q.qname, "web.example");
	assert_int_equal(q.qtype, BERTH_DNS_TYPE_A);
	assert_int_equal(q.qclass, BERTH_DNS_CLASS_IN);
	assert_int_equal(q.question_off, 12);
	assert_int_equal(q.question_len, 17);
	assert_true(q.edns);
	assert_int_equal(q.edns_udp_size, 1232);

	parse_ok(dig_plain, sizeof(dig_plain), &q);
	assert_string_equal(q.qname, "web.example");
	assert_int_equal(q.question_len, 17);
	assert_false(q.edns);
	assert_int_equal(q.edns_udp_size, 0);
}

static void test_case_folding(void **state)
{
	struct berth_dns_query q;
	struct pkt p;
	uint8_t out[512];
	uint32_t a = 0x0a000002u;
	ssize_t n;

	(void)state;
	query(&p, 0x0100, "WeB.ExAmPlE", BERTH_DNS_TYPE_A);
	parse_ok(p.b, p.n, &q);
	assert_string_equal(q.qname, "web.example");
	/* the reply echoes the client's case (DNS 0x20 clients check it) */
	n = berth_dns_build_reply(&q, p.b, p.n, 0, &a, 1, 600, out, sizeof(out));
	assert_int_equal(n, 29 + 16);
	assert_memory_equal(out + 12, "\003WeB\007ExAmPlE", 13);
	/* only ASCII letters fold; other printable bytes pass as they are */
	query(&p, 0x0100, "_HTTP._tcp.A-b_9~", BERTH_DNS_TYPE_A);
	parse_ok(p.b, p.n, &q);
	assert_string_equal(q.qname, "_http._tcp.a-b_9~");
	/* the root */
	query(&p, 0x0100, "", 2);
	parse_ok(p.b, p.n, &q);
	assert_string_equal(q.qname, "");
	assert_int_equal(q.question_len, 5);
}

static void test_name_limits(void **state)
{
	static const size_t l63[] = { 63 }, l64[] = { 64 };
	static const size_t n253[] = { 63, 63, 63, 61 }, n254[] = { 63, 63, 63, 62 };
	struct berth_dns_query q;
	size_t many[127], i;
	struct pkt p;

	(void)state;
	for (i = 0; i < 127; i++)
		many[i] = 1;
	header(&p, 0x0100, 1, 0, 0, 0);
	labels(&p, l63, 1, 'X');
	put16(&p, 1);
	put16(&p, 1);
	parse_ok(p.b, p.n, &q);
	assert_int_equal(strlen(q.qname), 63);
	assert_int_equal(q.qname[0], 'x');

	header(&p, 0x0100, 1, 0, 0, 0);
	labels(&p, l64, 1, 'x');
	put16(&p, 1);
	put16(&p, 1);
	parse_bad(p.b, p.n, "label longer than 63");

	header(&p, 0x0100, 1, 0, 0, 0);
	labels(&p, n253, 4, 'a');
	put16(&p, 1);
	put16(&p, 1);
	parse_ok(p.b, p.n, &q);
	assert_int_equal(strlen(q.qname), BERTH_DNS_NAME_MAX);
	assert_int_equal(q.question_len, 255 + 4);

	header(&p, 0x0100, 1, 0, 0, 0);
	labels(&p, n254, 4, 'a');
	put16(&p, 1);
	put16(&p, 1);
	parse_bad(p.b, p.n, "longer than 253");

	/* 127 one-byte labels are 253 characters, 128 are too many */
	header(&p, 0x0100, 1, 0, 0, 0);
	labels(&p, many, 127, 'a');
	put16(&p, 1);
	put16(&p, 1);
	parse_ok(p.b, p.n, &q);
	assert_int_equal(strlen(q.qname), 253);
	header(&p, 0x0100, 1, 0, 0, 0);
	put8(&p, 1);
	put8(&p, 'b');
	labels(&p, many, 127, 'a');
	put16(&p, 1);
	put16(&p, 1);
	parse_bad(p.b, p.n, "longer than 253");
}

static void test_bad_labels(void **state)
{
	static const uint8_t bytes[] = { '.', ' ', 0x00, 0x7f, 0xff, '\t' };
	static const uint8_t types[] = { 0x40, 0x41, 0x80, 0xbf };
	struct pkt p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bytes); i++) {
		header(&p, 0x0100, 1, 0, 0, 0);
		put8(&p, 3);
		put8(&p, 'a');
		put8(&p, bytes[i]);
		put8(&p, 'b');
		put8(&p, 0);
		put16(&p, 1);
		put16(&p, 1);
		parse_bad(p.b, p.n, "bad character");
	}
	/* label types 01 and 10 (lengths 64..191) */
	for (i = 0; i < sizeof(types); i++) {
		header(&p, 0x0100, 1, 0, 0, 0);
		put8(&p, types[i]);
		put8(&p, 0);
		put16(&p, 1);
		put16(&p, 1);
		parse_bad(p.b, p.n, "label longer than 63");
	}
	/* a label running past the end of the message */
	header(&p, 0x0100, 1, 0, 0, 0);
	put8(&p, 10);
	put(&p, "abc", 3);
	parse_bad(p.b, p.n, "truncated");
}

static void test_truncated(void **state)
{
	struct pkt p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dig_edns); i++)
		parse_bad(dig_edns, i, NULL);
	for (i = 0; i < sizeof(dig_plain); i++)
		parse_bad(dig_plain, i, NULL);
	parse_bad(dig_plain, 11, "truncated header");
	parse_bad(dig_plain, 24, "truncated name");
	parse_bad(dig_plain, 25, "truncated question");
	parse_bad(dig_plain, 28, "truncated question");
	parse_bad(dig_edns, sizeof(dig_edns) - 1, "truncated additional record");
	parse_bad(NULL, 0, "no message");
	/* and one byte too many */
	p.n = 0;
	put(&p, dig_plain, sizeof(dig_plain));
	put8(&p, 0);
	parse_bad(p.b, p.n, "trailing bytes");
	p.n = 0;
	put(&p, dig_edns, sizeof(dig_edns));
	put8(&p, 0);
	parse_bad(p.b, p.n, "trailing bytes");
}

static void test_compression_pointer(void **state)
{
	struct pkt p;

	(void)state;
	header(&p, 0x0100, 1, 0, 0, 0);
	put16(&p, 0xc00c); /* points at itself */
	put16(&p, 1);
	put16(&p, 1);
	parse_bad(p.b, p.n, "compression pointer");
	header(&p, 0x0100, 1, 0, 0, 0);
	put8(&p, 3);
	put(&p, "web", 3);
	put16(&p, 0xc000);
	put16(&p, 1);
	put16(&p, 1);
	parse_bad(p.b, p.n, "compression pointer");
}

static void test_header_rejects(void **state)
{
	struct pkt p;

	(void)state;
	query(&p, 0x8180, "web", 1);
	parse_bad(p.b, p.n, "QR=1");
	query(&p, 0x1100, "web", 1); /* opcode 2, STATUS */
	parse_bad(p.b, p.n, "opcode");
	query(&p, 0x2800, "web", 1); /* opcode 5, UPDATE */
	parse_bad(p.b, p.n, "opcode");
	header(&p, 0x0100, 0, 0, 0, 0);
	parse_bad(p.b, p.n, "QDCOUNT");
	query(&p, 0x0100, "web", 1);
	p.b[5] = 2;
	parse_bad(p.b, p.n, "QDCOUNT");
	query(&p, 0x0100, "web", 1);
	p.b[7] = 1;
	parse_bad(p.b, p.n, "answer or authority");
	query(&p, 0x0100, "web", 1);
	p.b[9] = 1;
	parse_bad(p.b, p.n, "answer or authority");
	query(&p, 0x0100, "web", 1);
	p.b[11] = 2;
	parse_bad(p.b, p.n, "more than one additional");
	/* an additional record that is not OPT, then OPT with a name */
	query(&p, 0x0100, "web", 1);
	p.b[11] = 1;
	put8(&p, 0);
	put16(&p, BERTH_DNS_TYPE_A);
	put16(&p, 1);
	put16(&p, 0);
	put16(&p, 0);
	put16(&p, 0);
	parse_bad(p.b, p.n, "not an EDNS OPT");
	query(&p, 0x0100, "web", 1);
	p.b[11] = 1;
	put8(&p, 1);
	put8(&p, 'x');
	put8(&p, 0);
	put16(&p, BERTH_DNS_TYPE_OPT);
	put16(&p, 512);
	put16(&p, 0);
	put16(&p, 0);
	put16(&p, 0);
	parse_bad(p.b, p.n, "not an EDNS OPT");
	/* OPT whose RDLENGTH runs past the end */
	query(&p, 0x0100, "web", 1);
	p.b[11] = 1;
	put8(&p, 0);
	put16(&p, BERTH_DNS_TYPE_OPT);
	put16(&p, 4096);
	put16(&p, 0);
	put16(&p, 0);
	put16(&p, 1);
	parse_bad(p.b, p.n, "truncated additional record");
}

static void test_reply_layout(void **state)
{
	/* clang-format off */
	static const uint8_t want[] = {
		0x12, 0x34, /* id */
		0x81, 0x80, /* QR, RD copied, RA; AA=0, AD not copied, NOERROR */
		0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
		3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x00, 0x01, 0x00, 0x01,
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04,
		172, 18, 0, 2,
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04,
		10, 1, 2, 3,
	};
	/* clang-format on */
	const uint32_t addrs[] = { 0xac120002u, 0x0a010203u };
	struct berth_dns_query q;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	parse_ok(dig_edns, sizeof(dig_edns), &q);
	memset(out, 0xaa, sizeof(out));
	n = berth_dns_build_reply(&q, dig_edns, sizeof(dig_edns), BERTH_DNS_RCODE_NOERROR, addrs, 2,
				  600, out, sizeof(out));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(out[n], 0xaa);
	assert_int_equal(berth_dns_check_response(out, (size_t)n), 0);

	/* the plain query gives the same reply */
	parse_ok(dig_plain, sizeof(dig_plain), &q);
	n = berth_dns_build_reply(&q, dig_plain, sizeof(dig_plain), 0, addrs, 2, 600, out,
				  sizeof(out));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void test_reply_flags(void **state)
{
	const uint32_t a = 0x0a000002u;
	struct berth_dns_query q;
	struct pkt p;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	/* no RD asked: none given; CD is copied; the TTL is written as is */
	query(&p, 0x0010, "db", BERTH_DNS_TYPE_A);
	parse_ok(p.b, p.n, &q);
	n = berth_dns_build_reply(&q, p.b, p.n, 0, &a, 1, 0x01020304u, out, sizeof(out));
	assert_int_equal(n, 12 + 8 + 16);
	assert_int_equal(out[0], 0xbe);
	assert_int_equal(out[1], 0xef);
	assert_int_equal(out[2], 0x80);
	assert_int_equal(out[3], 0x90);
	assert_memory_equal(out + 20 + 6, "\x01\x02\x03\x04\x00\x04\x0a\x00\x00\x02", 10);
	/* SERVFAIL: no answers even with addresses */
	query(&p, 0x0100, "db", BERTH_DNS_TYPE_A);
	parse_ok(p.b, p.n, &q);
	n = berth_dns_build_reply(&q, p.b, p.n, BERTH_DNS_RCODE_SERVFAIL, &a, 1, 600, out,
				  sizeof(out));
	assert_int_equal(n, 20);
	assert_memory_equal(out, "\xbe\xef\x81\x82\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	/* a reply in place, over the query itself */
	memset(out, 0, sizeof(out));
	memcpy(out, dig_edns, sizeof(dig_edns));
	parse_ok(out, sizeof(dig_edns), &q);
	n = berth_dns_build_reply(&q, out, sizeof(dig_edns), 0, &a, 1, 600, out, sizeof(out));
	assert_int_equal(n, 29 + 16);
	assert_memory_equal(out + 12, dig_plain + 12, 17);
	assert_memory_equal(out + 29,
			    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x02\x58\x00\x04\x0a\x00\x00\x02", 16);
}

static void test_nxdomain(void **state)
{
	/* clang-format off */
	static const uint8_t want[] = {
		0x12, 0x34, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x00, 0x01, 0x00, 0x01,
	};
	/* clang-format on */
	struct berth_dns_query q;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	parse_ok(dig_edns, sizeof(dig_edns), &q);
	n = berth_dns_build_reply(&q, dig_edns, sizeof(dig_edns), BERTH_DNS_RCODE_NXDOMAIN, NULL, 0,
				  600, out, sizeof(out));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void test_nodata_aaaa(void **state)
{
	const uint32_t a = 0xac120002u;
	struct berth_dns_query q;
	struct pkt p;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	query(&p, 0x0100, "web", BERTH_DNS_TYPE_AAAA);
	parse_ok(p.b, p.n, &q);
	assert_int_equal(q.qtype, BERTH_DNS_TYPE_AAAA);
	/* the name's A addresses are passed, and left out */
	n = berth_dns_build_reply(&q, p.b, p.n, BERTH_DNS_RCODE_NOERROR, &a, 1, 600, out,
				  sizeof(out));
	assert_int_equal(n, 12 + 9);
	assert_memory_equal(out, "\xbe\xef\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	assert_memory_equal(out + 12, "\003web\000\000\034\000\001", 9);
	/* an A question outside class IN is NODATA too */
	query(&p, 0x0100, "web", BERTH_DNS_TYPE_A);
	p.b[p.n - 1] = 3; /* CH */
	parse_ok(p.b, p.n, &q);
	n = berth_dns_build_reply(&q, p.b, p.n, 0, &a, 1, 600, out, sizeof(out));
	assert_int_equal(n, 12 + 9);
	assert_int_equal(out[7], 0);
}

static void test_truncation(void **state)
{
	uint32_t addrs[64];
	struct berth_dns_query q;
	uint8_t out[1024];
	ssize_t n;
	size_t i;

	(void)state;
	for (i = 0; i < 64; i++)
		addrs[i] = 0x0a000000u + (uint32_t)i;
	parse_ok(dig_edns, sizeof(dig_edns), &q);
	/* 512 bytes hold (512 - 29) / 16 = 30 records */
	memset(out, 0xaa, sizeof(out));
	n = berth_dns_build_reply(&q, dig_edns, sizeof(dig_edns), 0, addrs, 64, 600, out,
				  BERTH_DNS_UDP_MAX);
	assert_int_equal(n, 29 + 30 * 16);
	assert_int_equal(out[2], 0x83); /* QR, TC, RD */
	assert_int_equal(out[3], 0x80);
	assert_int_equal(out[6], 0);
	assert_int_equal(out[7], 30);
	assert_memory_equal(out + n - 4, "\x0a\x00\x00\x1d", 4); /* the 30th, 10.0.0.29 */
	for (i = (size_t)n; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xaa);
	/* exactly 30 fit without TC */
	n = berth_dns_build_reply(&q, dig_edns, sizeof(dig_edns), 0, addrs, 30, 600, out,
				  BERTH_DNS_UDP_MAX);
	assert_int_equal(n, 29 + 30 * 16);
	assert_int_equal(out[2], 0x81);
	/* room for the question and 15 bytes: no answer, TC */
	memset(out, 0xaa, sizeof(out));
	n = berth_dns_build_reply(&q, dig_edns, sizeof(dig_edns), 0, addrs, 1, 600, out, 29 + 15);
	assert_int_equal(n, 29);
	assert_int_equal(out[2], 0x83);
	assert_int_equal(out[7], 0);
	assert_int_equal(out[29], 0xaa);
	/* no room for the question: nothing written */
	memset(out, 0xaa, sizeof(out));
	errno = 0;
	assert_int_equal(
	    berth_dns_build_reply(&q, dig_edns, sizeof(dig_edns), 0, addrs, 1, 600, out, 28), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(out[0], 0xaa);
}

static void test_reply_bad_args(void **state)
{
	struct berth_dns_query q;
	uint8_t out[512];

	(void)state;
	parse_ok(dig_edns, sizeof(dig_edns), &q);
	errno = 0;
	assert_int_equal(
	    berth_dns_build_reply(&q, dig_edns, sizeof(dig_edns), 16, NULL, 0, 0, out, sizeof(out)),
	    -1);
	assert_int_equal(errno, EINVAL);
	/* Q's question does not fit in the given query */
	assert_int_equal(berth_dns_build_reply(&q, dig_edns, 28, 0, NULL, 0, 0, out, sizeof(out)),
			 -1);
	assert_int_equal(berth_dns_build_reply(&q, dig_edns, 3, 0, NULL, 0, 0, out, sizeof(out)),
			 -1);
	q.question_len = 1000;
	assert_int_equal(
	    berth_dns_build_reply(&q, dig_edns, sizeof(dig_edns), 0, NULL, 0, 0, out, sizeof(out)),
	    -1);
	assert_int_equal(berth_dns_build_reply(NULL, dig_edns, sizeof(dig_edns), 0, NULL, 0, 0, out,
					       sizeof(out)),
			 -1);
}

static void test_ids_and_responses(void **state)
{
	const uint32_t a = 0x0a000002u;
	struct berth_dns_query q;
	uint8_t msg[64], out[512];
	uint16_t id = 0;
	ssize_t n;

	(void)state;
	assert_int_equal(berth_dns_get_id(dig_edns, sizeof(dig_edns), &id), 0);
	assert_int_equal(id, 0x1234);
	assert_int_equal(berth_dns_get_id(dig_edns, 11, &id), -1);
	assert_int_equal(berth_dns_get_id(NULL, 12, &id), -1);
	memcpy(msg, dig_edns, sizeof(dig_edns));
	berth_dns_set_id(msg, 0xa55a);
	assert_int_equal(msg[0], 0xa5);
	assert_int_equal(msg[1], 0x5a);
	assert_memory_equal(msg + 2, dig_edns + 2, sizeof(dig_edns) - 2);

	/* a query is not a response */
	assert_int_equal(berth_dns_check_response(dig_edns, sizeof(dig_edns)), -1);
	parse_ok(dig_plain, sizeof(dig_plain), &q);
	n = berth_dns_build_reply(&q, dig_plain, sizeof(dig_plain), 0, &a, 1, 60, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(berth_dns_check_response(out, (size_t)n), 0);
	/* the question cut short, header too short */
	assert_int_equal(berth_dns_check_response(out, 28), -1);
	assert_int_equal(berth_dns_check_response(out, 20), -1);
	assert_int_equal(berth_dns_check_response(out, 11), -1);
	/* QDCOUNT 0 (a FORMERR reply may have no question) and 2 */
	out[5] = 0;
	assert_int_equal(berth_dns_check_response(out, 12), 0);
	out[5] = 2;
	assert_int_equal(berth_dns_check_response(out, (size_t)n), -1);
	/* a pointer in the question */
	out[5] = 1;
	out[12] = 0xc0;
	out[13] = 0x0c;
	assert_int_equal(berth_dns_check_response(out, (size_t)n), -1);
}

/* `dig -x 1.2.3.4` without EDNS: a PTR query for 4.3.2.1.in-addr.arpa. */
static void ptr_query(struct pkt *p, uint16_t type)
{
	query(p, 0x0100, "4.3.2.1.in-addr.arpa", type);
}

static void test_ptr_reply_layout(void **state)
{
	/* clang-format off */
	static const uint8_t want[] = {
		0xbe, 0xef, /* id */
		0x81, 0x80, /* QR, RD copied, RA; NOERROR */
		0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		1, '4', 1, '3', 1, '2', 1, '1', 7, 'i', 'n', '-', 'a', 'd', 'd', 'r',
		4, 'a', 'r', 'p', 'a', 0, 0x00, 0x0c, 0x00, 0x01,
		0xc0, 0x0c, /* the question's name */
		0x00, 0x0c, 0x00, 0x01, /* PTR, IN */
		0x00, 0x00, 0x02, 0x58, /* TTL 600 */
		0x00, 0x0b, /* rdlength */
		3, 'w', 'e', 'b', 5, 'm', 'y', 'n', 'e', 't', 0,
	};
	/* clang-format on */
	struct berth_dns_query q;
	struct pkt p;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	ptr_query(&p, BERTH_DNS_TYPE_PTR);
	parse_ok(p.b, p.n, &q);
	assert_int_equal(q.question_len, 26);
	memset(out, 0xaa, sizeof(out));
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, "web.mynet", 600, out, sizeof(out));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(out[n], 0xaa);
	assert_int_equal(berth_dns_check_response(out, (size_t)n), 0);

	/* in place, over the query, and a one-label name */
	memset(out, 0, sizeof(out));
	memcpy(out, p.b, p.n);
	n = berth_dns_build_ptr_reply(&q, out, p.n, "db", 0x01020304u, out, sizeof(out));
	assert_int_equal(n, 38 + 12 + 4);
	assert_memory_equal(out, want, 38);
	assert_memory_equal(out + 38, "\xc0\x0c\x00\x0c\x00\x01\x01\x02\x03\x04\x00\x04\002db\000",
			    16);
}

static void test_ptr_reply_edns_flags(void **state)
{
	struct berth_dns_query q;
	struct pkt p;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	/* CD copied, no RD asked; the OPT record is not echoed (ARCOUNT 0) */
	query(&p, 0x0010, "4.3.2.1.in-addr.arpa", BERTH_DNS_TYPE_PTR);
	p.b[11] = 1;
	put8(&p, 0);
	put16(&p, BERTH_DNS_TYPE_OPT);
	put16(&p, 1232);
	put16(&p, 0);
	put16(&p, 0);
	put16(&p, 0);
	parse_ok(p.b, p.n, &q);
	assert_true(q.edns);
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, "web", 60, out, sizeof(out));
	assert_int_equal(n, 38 + 12 + 5);
	assert_memory_equal(out, "\xbe\xef\x80\x90\x00\x01\x00\x01\x00\x00\x00\x00", 12);
}

static void test_ptr_reply_nodata(void **state)
{
	struct berth_dns_query q;
	struct pkt p;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	/* an A question for the same name: the header and question only */
	ptr_query(&p, BERTH_DNS_TYPE_A);
	parse_ok(p.b, p.n, &q);
	memset(out, 0xaa, sizeof(out));
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, "web.mynet", 600, out, sizeof(out));
	assert_int_equal(n, 38);
	assert_memory_equal(out, "\xbe\xef\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	assert_memory_equal(out + 12, p.b + 12, 26);
	assert_int_equal(out[n], 0xaa);
	/* AAAA on a container name */
	query(&p, 0x0100, "web", BERTH_DNS_TYPE_AAAA);
	parse_ok(p.b, p.n, &q);
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, "web.mynet", 600, out, sizeof(out));
	assert_int_equal(n, 12 + 9);
	assert_int_equal(out[7], 0);
	/* PTR outside class IN */
	ptr_query(&p, BERTH_DNS_TYPE_PTR);
	p.b[p.n - 1] = 3; /* CH */
	parse_ok(p.b, p.n, &q);
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, "web.mynet", 600, out, sizeof(out));
	assert_int_equal(n, 38);
	assert_int_equal(out[3], 0x80);
	assert_int_equal(out[7], 0);
}

static void test_ptr_reply_truncation(void **state)
{
	struct berth_dns_query q;
	struct pkt p;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	ptr_query(&p, BERTH_DNS_TYPE_PTR);
	parse_ok(p.b, p.n, &q);
	/* exactly enough: 38 + 12 + 11 */
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, "web.mynet", 600, out, 61);
	assert_int_equal(n, 61);
	assert_int_equal(out[2], 0x81);
	assert_int_equal(out[7], 1);
	/* one byte short: TC, no answer, nothing past the question */
	memset(out, 0xaa, sizeof(out));
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, "web.mynet", 600, out, 60);
	assert_int_equal(n, 38);
	assert_int_equal(out[2], 0x83); /* QR, TC, RD */
	assert_int_equal(out[3], 0x80);
	assert_int_equal(out[6], 0);
	assert_int_equal(out[7], 0);
	assert_int_equal(out[38], 0xaa);
	assert_int_equal(berth_dns_check_response(out, (size_t)n), 0);
	/* room for the question only */
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, "web.mynet", 600, out, 38);
	assert_int_equal(n, 38);
	assert_int_equal(out[2], 0x83);
	/* not even that: ENOSPC, nothing written */
	memset(out, 0xaa, sizeof(out));
	errno = 0;
	assert_int_equal(berth_dns_build_ptr_reply(&q, p.b, p.n, "web.mynet", 600, out, 37), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(out[0], 0xaa);
}

/* NAME refused with EINVAL, and nothing written. */
static void ptr_bad_name(const struct berth_dns_query *q, const struct pkt *p, const char *name)
{
	uint8_t out[512];

	memset(out, 0xaa, sizeof(out));
	errno = 0;
	if (berth_dns_build_ptr_reply(q, p->b, p->n, name, 600, out, sizeof(out)) != -1)
		fail_msg("`%s` accepted", name ? name : "(null)");
	assert_int_equal(errno, EINVAL);
	assert_int_equal(out[0], 0xaa);
}

static void test_ptr_reply_bad_names(void **state)
{
	char name[300];
	struct berth_dns_query q;
	struct pkt p;
	uint8_t out[512];
	ssize_t n;

	(void)state;
	ptr_query(&p, BERTH_DNS_TYPE_PTR);
	parse_ok(p.b, p.n, &q);
	ptr_bad_name(&q, &p, NULL);
	ptr_bad_name(&q, &p, "a..b");
	ptr_bad_name(&q, &p, "web.mynet.");
	ptr_bad_name(&q, &p, ".web");
	ptr_bad_name(&q, &p, ".");
	/* a label of 64 bytes; 63 is fine */
	memset(name, 'x', 64);
	name[64] = '\0';
	ptr_bad_name(&q, &p, name);
	name[63] = '\0';
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, name, 600, out, sizeof(out));
	assert_int_equal(n, 38 + 12 + 65);
	assert_int_equal(out[38 + 11], 65);
	assert_int_equal(out[38 + 12], 63);
	/* 63.63.63.61 is 253 characters (255 on the wire); 63.63.63.62 too long */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	n = berth_dns_build_ptr_reply(&q, p.b, p.n, name, 600, out, sizeof(out));
	assert_int_equal(n, 38 + 12 + 255);
	assert_int_equal(out[38 + 10], 0);
	assert_int_equal(out[38 + 11], 255);
	assert_int_equal(out[n - 1], 0);
	assert_int_equal(berth_dns_check_response(out, (size_t)n), 0);
	name[253] = 'a';
	name[254] = '\0';
	ptr_bad_name(&q, &p, name);
	/* a bad query is refused as by berth_dns_build_reply */
	errno = 0;
	assert_int_equal(berth_dns_build_ptr_reply(NULL, p.b, p.n, "web", 600, out, sizeof(out)),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(berth_dns_build_ptr_reply(&q, p.b, 20, "web", 600, out, sizeof(out)), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_reverse_addr(void **state)
{
	static const struct {
		const char *name;
		uint32_t addr;
	} good[] = {
		{ "4.3.2.1.in-addr.arpa", 0x01020304u },
		{ "2.0.18.172.in-addr.arpa", 0xac120002u },
		{ "0.0.0.0.in-addr.arpa", 0 },
		{ "255.255.255.255.in-addr.arpa", 0xffffffffu },
		{ "10.200.0.100.in-addr.arpa", 0x6400c80au },
	};
	static const char *const bad[] = {
		"01.2.3.4.in-addr.arpa",
		"1.2.3.00.in-addr.arpa",
		"1.2.003.4.in-addr.arpa",
		"256.2.3.4.in-addr.arpa",
		"1.2.3.999.in-addr.arpa",
		"1000.2.3.4.in-addr.arpa",
		"1.2.3.in-addr.arpa",
		"5.4.3.2.1.in-addr.arpa",
		"1..3.4.in-addr.arpa",
		".2.3.4.in-addr.arpa",
		"1.2.3..in-addr.arpa",
		"4.3.2.1.ip6.arpa",
		"4.3.2.1.in-addr.arpa.x",
		"4.3.2.1.in-addr.arpa.",
		"4.3.2.1.in-addr.arp",
		"4.3.2.1.xin-addr.arpa",
		"4.3.2.1in-addr.arpa",
		"4.3.2.1.IN-ADDR.ARPA",
		"a.b.c.d.in-addr.arpa",
		"4.3.2.1x.in-addr.arpa",
		"-4.3.2.1.in-addr.arpa",
		"+4.3.2.1.in-addr.arpa",
		" 4.3.2.1.in-addr.arpa",
		"0x4.3.2.1.in-addr.arpa",
		"4.3.2.1.0.in-addr.arpa",
		"in-addr.arpa",
		".in-addr.arpa",
		"",
		"garbage",
		"web.mynet",
	};
	struct berth_dns_query q;
	struct pkt p;
	uint32_t a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a = 0xdeadbeefu;
		if (berth_dns_reverse_addr(good[i].name, &a) != 0)
			fail_msg("`%s` refused", good[i].name);
		assert_int_equal(a, good[i].addr);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (berth_dns_reverse_addr(bad[i], &a) != -1)
			fail_msg("`%s` accepted", bad[i]);
	/* a qname as parsed: the wire's upper case is folded */
	query(&p, 0x0100, "4.3.2.1.IN-ADDR.Arpa", BERTH_DNS_TYPE_PTR);
	parse_ok(p.b, p.n, &q);
	assert_int_equal(berth_dns_reverse_addr(q.qname, &a), 0);
	assert_int_equal(a, 0x01020304u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_dig),
		cmocka_unit_test(test_case_folding),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_bad_labels),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_compression_pointer),
		cmocka_unit_test(test_header_rejects),
		cmocka_unit_test(test_reply_layout),
		cmocka_unit_test(test_reply_flags),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_nodata_aaaa),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_reply_bad_args),
		cmocka_unit_test(test_ids_and_responses),
		cmocka_unit_test(test_ptr_reply_layout),
		cmocka_unit_test(test_ptr_reply_edns_flags),
		cmocka_unit_test(test_ptr_reply_nodata),
		cmocka_unit_test(test_ptr_reply_truncation),
		cmocka_unit_test(test_ptr_reply_bad_names),
		cmocka_unit_test(test_reverse_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
