/* ipam.h: IPv4 address management for bridge networks, pure logic.
 *
 * Addresses are uint32_t in host byte order. A prefix is a network address
 * (host bits zero) and a length 0..32. Docker's rules: a network's subnet
 * comes from the daemon's default-address-pools (base, size) unless given;
 * no two networks' subnets overlap; the gateway is the subnet's first
 * address unless given; containers get addresses from the ip-range (or the
 * subnet), never the network, broadcast or gateway address. */
#ifndef BERTH_NET_IPAM_H
#define BERTH_NET_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct berth_ipv4_prefix {
	uint32_t addr; /* the network address, host order */
	uint8_t len;   /* 0..32 */
};

/* "a.b.c.d" → *OUT. EINVAL with docker's wording on anything else. */
int berth_ipam_parse_addr(const char *s, uint32_t *out, berth_error_t *err);
/* "a.b.c.d/n" → *OUT. Host bits set are refused as docker does
 * ("invalid subnet 172.18.0.1/16: it should be 172.18.0.0/16") unless
 * ALLOW_HOST_BITS (then they are cleared). */
int berth_ipam_parse_prefix(const char *s, bool allow_host_bits, struct berth_ipv4_prefix *out,
			    berth_error_t *err);
/* Writes "a.b.c.d" (16 bytes with the NUL) and "a.b.c.d/n" (19). */
void berth_ipam_format_addr(uint32_t a, char out[16]);
void berth_ipam_format_prefix(const struct berth_ipv4_prefix *p, char out[19]);

uint32_t berth_ipam_mask(uint8_t len);
bool berth_ipam_contains(const struct berth_ipv4_prefix *p, uint32_t addr);
bool berth_ipam_overlaps(const struct berth_ipv4_prefix *a, const struct berth_ipv4_prefix *b);

/* One of daemon.json's default-address-pools: subnets of SIZE bits carved
 * from BASE. */
struct berth_ipam_pool {
	struct berth_ipv4_prefix base;
	uint8_t size;
};
/* docker's defaults: 172.17.0.0/16 .. 172.31.0.0/16 (size 16) and
 * 192.168.0.0/16 in /20s. */
extern const struct berth_ipam_pool berth_ipam_default_pools[];
extern const size_t berth_ipam_n_default_pools;

/* The first subnet of the pools, in order, that overlaps none of USED.
 * ENOSPC "could not find an available, non-overlapping IPv4 address pool
 * among the defaults to assign to the network" when there is none. */
int berth_ipam_next_subnet(const struct berth_ipam_pool *pools, size_t n_pools,
			   const struct berth_ipv4_prefix *used, size_t n_used,
			   struct berth_ipv4_prefix *out, berth_error_t *err);

/* The lowest address of RANGE (or of SUBNET when RANGE is NULL) inside
 * SUBNET that is not SUBNET's network or broadcast address (for lengths <
 * 31), not GATEWAY and not in USED (any order). ENOSPC "no available IPv4
 * addresses on this network's address pools" when there is none. */
int berth_ipam_next_addr(const struct berth_ipv4_prefix *subnet,
			 const struct berth_ipv4_prefix *range, uint32_t gateway,
			 const uint32_t *used, size_t n_used, uint32_t *out, berth_error_t *err);

#endif
