/* ipam.c: see ipam.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "net/ipam.h"

#define POOL16(b) { { 0xac000000u | (b) << 16, 16 }, 16 }
const struct berth_ipam_pool berth_ipam_default_pools[] = {
	/* docker's: 172.17.0.0/16 .. 172.31.0.0/16, then 192.168.0.0/16 in /20s */
	POOL16(17u), POOL16(18u), POOL16(19u), POOL16(20u), POOL16(21u),
	POOL16(22u), POOL16(23u), POOL16(24u), POOL16(25u), POOL16(26u),
	POOL16(27u), POOL16(28u), POOL16(29u), POOL16(30u), POOL16(31u),
	{ { 0xc0a80000u, 16 }, 20 },
};
const size_t berth_ipam_n_default_pools =
    sizeof(berth_ipam_default_pools) / sizeof(berth_ipam_default_pools[0]);

uint32_t berth_ipam_mask(uint8_t len)
{
	return len == 0 ? 0 : len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1);
}

/* One decimal octet 0..255 without leading zeros (no octal surprises). */
static const char *octet(const char *s, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 4) {
		v = v * 10 + (unsigned)(s[n] - '0');
		n++;
	}
	if (n == 0 || n > 3 || v > 255 || (n > 1 && s[0] == '0'))
		return NULL;
	*out = v;
	return s + n;
}

/* "a.b.c.d" at the start of S: the rest, or NULL. */
static const char *addr_prefix(const char *s, uint32_t *out)
{
	uint32_t a = 0;
	unsigned o;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0) {
			if (*s != '.')
				return NULL;
			s++;
		}
		s = octet(s, &o);
		if (s == NULL)
			return NULL;
		a = a << 8 | o;
	}
	*out = a;
	return s;
}

int berth_ipam_parse_addr(const char *s, uint32_t *out, berth_error_t *err)
{
	const char *end = s ? addr_prefix(s, out) : NULL;

	if (end == NULL || *end)
		return berth_make_error(err, EINVAL, "invalid IPv4 address: %s", s ? s : "");
	return 0;
}

int berth_ipam_parse_prefix(const char *s, bool allow_host_bits, struct berth_ipv4_prefix *out,
			    berth_error_t *err)
{
	const char *end = s ? addr_prefix(s, &out->addr) : NULL;
	unsigned len = 0;
	int n = 0;

	if (end == NULL || *end != '/')
		return berth_make_error(err, EINVAL, "invalid CIDR address: %s", s ? s : "");
	end++;
	while (end[n] >= '0' && end[n] <= '9' && n < 3)
		len = len * 10 + (unsigned)(end[n++] - '0');
	if (n == 0 || end[n] || len > 32 || (n > 1 && end[0] == '0'))
		return berth_make_error(err, EINVAL, "invalid CIDR address: %s", s);
	out->len = (uint8_t)len;
	if (out->addr & ~berth_ipam_mask(out->len)) {
		char want[19];
		struct berth_ipv4_prefix p = { out->addr & berth_ipam_mask(out->len), out->len };
		if (!allow_host_bits) {
			berth_ipam_format_prefix(&p, want);
			return berth_make_error(err, EINVAL, "invalid subnet %s: it should be %s", s,
						want);
		}
		out->addr = p.addr;
	}
	return 0;
}

void berth_ipam_format_addr(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

void berth_ipam_format_prefix(const struct berth_ipv4_prefix *p, char out[19])
{
	char a[16], buf[24];

	berth_ipam_format_addr(p->addr, a);
	snprintf(buf, sizeof(buf), "%s/%u", a, (unsigned)(p->len & 63));
	snprintf(out, 19, "%.18s", buf);
}

bool berth_ipam_contains(const struct berth_ipv4_prefix *p, uint32_t addr)
{
	return (addr & berth_ipam_mask(p->len)) == p->addr;
}

bool berth_ipam_overlaps(const struct berth_ipv4_prefix *a, const struct berth_ipv4_prefix *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;

	return (a->addr & berth_ipam_mask(len)) == (b->addr & berth_ipam_mask(len));
}

int berth_ipam_next_subnet(const struct berth_ipam_pool *pools, size_t n_pools,
			   const struct berth_ipv4_prefix *used, size_t n_used,
			   struct berth_ipv4_prefix *out, berth_error_t *err)
{
	size_t p, u;

	for (p = 0; p < n_pools; p++) {
		const struct berth_ipam_pool *pool = &pools[p];
		uint64_t step, n, i;

		if (pool->size < pool->base.len || pool->size > 32)
			continue;
		step = (uint64_t)1 << (32 - pool->size);
		n = (uint64_t)1 << (pool->size - pool->base.len);
		for (i = 0; i < n; i++) {
			struct berth_ipv4_prefix cand = {
				(uint32_t)((pool->base.addr & berth_ipam_mask(pool->base.len)) +
					   i * step),
				pool->size
			};
			for (u = 0; u < n_used; u++)
				if (berth_ipam_overlaps(&cand, &used[u]))
					break;
			if (u == n_used) {
				*out = cand;
				return 0;
			}
		}
	}
	return berth_make_error(err, ENOSPC,
				"could not find an available, non-overlapping IPv4 address pool "
				"among the defaults to assign to the network");
}

static bool is_used(uint32_t a, const uint32_t *used, size_t n_used)
{
	size_t i;

	for (i = 0; i < n_used; i++)
		if (used[i] == a)
			return true;
	return false;
}

int berth_ipam_next_addr(const struct berth_ipv4_prefix *subnet,
			 const struct berth_ipv4_prefix *range, uint32_t gateway,
			 const uint32_t *used, size_t n_used, uint32_t *out, berth_error_t *err)
{
	const struct berth_ipv4_prefix *r = range ? range : subnet;
	uint32_t first = r->addr & berth_ipam_mask(r->len);
	uint64_t count = (uint64_t)1 << (32 - r->len), i;
	uint32_t net = subnet->addr, bcast = subnet->addr | ~berth_ipam_mask(subnet->len);

	for (i = 0; i < count; i++) {
		uint32_t a = first + (uint32_t)i;
		if (!berth_ipam_contains(subnet, a))
			continue;
		if (subnet->len < 31 && (a == net || a == bcast))
			continue;
		if (a == gateway || is_used(a, used, n_used))
			continue;
		*out = a;
		return 0;
	}
	return berth_make_error(err, ENOSPC, "no available IPv4 addresses on this network's address pools");
}
