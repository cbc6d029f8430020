/* fuzz_dns.c: DNS messages as containers send them to the embedded
 * resolver (queries), and as upstream servers answer (responses). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The PTR answer and the reverse-name parse, as the resolver does for a
 * parsed query; the cap (1 to 512) varies so TC and ENOSPC are reached. An
 * address read back from QNAME must print as QNAME. */
static void ptr_and_reverse(const struct berth_dns_query *q, const uint8_t *data, size_t size)
{
	uint8_t out[BERTH_DNS_UDP_MAX];
	char name[BERTH_DNS_NAME_MAX + 1];
	uint32_t a;
	ssize_t n;

	n = berth_dns_build_ptr_reply(q, data, size, "web.my-net", 600, out,
				      sizeof(out) - (size & 0x1ff));
	if (n > 0 && berth_dns_check_response(out, (size_t)n) != 0)
		abort();
	if (berth_dns_reverse_addr(q->qname, &a) == 0) {
		snprintf(name, sizeof(name), "%u.%u.%u.%u.in-addr.arpa", a & 0xff, (a >> 8) & 0xff,
			 (a >> 16) & 0xff, a >> 24);
		if (strcmp(name, q->qname) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t addrs[] = { 0xac120002u, 0xac120003u, 0x0a000001u };
	berth_error_t err = NULL;
	struct berth_dns_query q;
	uint8_t out[BERTH_DNS_UDP_MAX], copy[BERTH_DNS_UDP_MAX];
	uint16_t id;
	ssize_t n;

	if (size > 4096)
		return 0;
	if (berth_dns_parse_query(data, size, &q, &err) == 0) {
		/* the cap varies with the input so truncation is reached */
		n = berth_dns_build_reply(&q, data, size, size & 3, addrs, 3, 600, out,
					  sizeof(out) - (size & 0xff));
		if (n > 0 && berth_dns_check_response(out, (size_t)n) != 0)
			abort(); /* a reply of ours must pass our own check */
		ptr_and_reverse(&q, data, size);
		/* in place, as the resolver may do */
		if (size <= sizeof(copy)) {
			memcpy(copy, data, size);
			(void)berth_dns_build_reply(&q, copy, size, 0, addrs, 3, 60, copy,
						    sizeof(copy));
		}
	}
	berth_error_release(&err);
	if (berth_dns_check_response(data, size) == 0 && size <= sizeof(copy)) {
		memcpy(copy, data, size);
		if (berth_dns_get_id(copy, size, &id) == 0)
			berth_dns_set_id(copy, (uint16_t)~id);
	}
	return 0;
}
