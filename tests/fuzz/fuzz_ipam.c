/* fuzz_ipam.c: IPv4 addresses and subnets as clients give them (network
 * create's Subnet, Gateway, IPRange; --ip; default-address-pools). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "net/ipam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_error_t err = NULL;
	struct berth_ipv4_prefix p, q;
	char buf[19], *text;
	uint32_t a, out;

	if (size > 256)
		return 0;
	text = xstrndup((const char *)data, size);
	if (berth_ipam_parse_addr(text, &a, &err) == 0)
		berth_ipam_format_addr(a, buf);
	berth_error_release(&err);
	if (berth_ipam_parse_prefix(text, size & 1, &p, &err) == 0) {
		berth_ipam_format_prefix(&p, buf);
		q = p;
		(void)berth_ipam_overlaps(&p, &q);
		/* bounded: at most 2^8 candidates from a /24 or smaller */
		if (p.len >= 24 &&
		    berth_ipam_next_addr(&p, NULL, p.addr + 1, &p.addr, 1, &out, &err) == 0)
			berth_ipam_format_addr(out, buf);
		berth_error_release(&err);
	}
	berth_error_release(&err);
	free(text);
	return 0;
}
