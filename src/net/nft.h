/* nft.h: berth's packet filtering and NAT, with libnftables.
 *
 * berth owns one table, `ip berth`, and rebuilds it whole from a model of
 * its networks and published ports each time either changes: the script
 * deletes the table and declares it again in one nft transaction, so a
 * crash or a restart never leaves half of it and there are never
 * duplicates. What it does (as dockerd with userland-proxy off):
 *   - nat prerouting and output: packets for a local address (fib daddr
 *     type local) to a published port are DNATed to the container
 *     (HOST_IP 0 matches any local address, else only that one);
 *   - nat postrouting: a network that is not internal is masqueraded
 *     towards any other interface; packets from 127.0.0.0/8 leaving
 *     through a bridge (the loopback path of a published port reached at
 *     127.0.0.1: the bridge has route_localnet=1) are masqueraded; so is
 *     a container reaching its own published port (hairpin);
 *   - filter forward: no traffic between two berth bridges (isolation);
 *     an internal network's bridge forwards nothing to or from another
 *     interface.
 * Another tool's `ip filter` FORWARD chain with policy drop (dockerd's,
 * iptables-nft) would drop berth's forwarded packets (with br_netfilter,
 * even those between two containers of one bridge): berth_nft_apply adds
 * accept rules there, as podman's netavark does.
 *
 * libnftables is loaded with dlopen on first use (as libcurl is: see
 * base/lazylib.h): an idle daemon does not carry it. */
#ifndef BERTH_NET_NFT_H
#define BERTH_NET_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "net/ipam.h"

struct berth_nft_network {
	const char *bridge;		 /* interface name */
	struct berth_ipv4_prefix subnet;
	bool internal;			 /* --internal: no traffic off the bridge */
};

struct berth_nft_port {
	bool udp;		/* else tcp */
	uint32_t host_ip;	/* host order; 0: every local address */
	uint16_t host_port;
	uint32_t ctr_ip;	/* the container's address on BRIDGE */
	uint16_t ctr_port;
	const char *bridge;
};

struct berth_nft_model {
	const struct berth_nft_network *nets;
	size_t n_nets;
	const struct berth_nft_port *ports;
	size_t n_ports;
};

/* The script that declares berth's table for M (pure; the caller frees
 * it): `table ip berth {}` then `delete table ip berth` then the table
 * with its chains and rules, so that running it replaces whatever was
 * there. Bridge names are quoted; they come from berth, never from a
 * client. */
char *berth_nft_render(const struct berth_nft_model *m);

/* Applies M in one nft transaction: berth_nft_render's script plus, when
 * `ip filter` has a FORWARD chain, the deletion (by handle) of the rules
 * there whose comment is "berth" and the insertion of
 *   iifname "<bridge>" accept comment "berth"
 *   oifname "<bridge>" ct state established,related accept comment "berth"
 * for each bridge of M (each network is reachable from the host and
 * answers it; isolation between bridges stays with berth's own forward
 * chain, which runs first). EINVAL "cannot load libnftables.so.1: ..."
 * when the library is missing, EIO with nft's error text when the
 * kernel refuses. */
int berth_nft_apply(const struct berth_nft_model *m, berth_error_t *err);

/* Removes berth's table and its rules in `ip filter` FORWARD (0 when
 * there are none). */
int berth_nft_remove(berth_error_t *err);

#endif
