/* netlink.h: links, addresses and routes for bridge networks, over
 * rtnetlink with libmnl.
 *
 * Every call opens its own NETLINK_ROUTE socket, sends one or a few
 * requests with NLM_F_ACK and checks every answer: an error is returned as
 * -errno with *ERR set ("create bridge br-0123456789ab: File exists").
 * Calls act in the calling thread's network namespace, except where a
 * namespace fd is given: that part runs on a short-lived thread that
 * joins the namespace (setns), so the caller's namespace never changes.
 * Safe to call from any thread. Names are checked (IFNAMSIZ-1 bytes at
 * most, no '/' or whitespace) before anything is sent. */
#ifndef BERTH_NET_NETLINK_H
#define BERTH_NET_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* Makes the bridge NAME if it is missing (an existing link of another kind
 * is EEXIST), gives it ADDR/PREFIX_LEN if it lacks that address (host
 * order; ADDR 0: none), MTU if > 0, and sets it up. Idempotent. */
int berth_nl_bridge_ensure(const char *name, uint32_t addr, uint8_t prefix_len, unsigned mtu,
			   berth_error_t *err);

/* Deletes the link NAME; 0 when there is none. */
int berth_nl_link_delete(const char *name, berth_error_t *err);

/* Whether a link NAME exists (in the caller's namespace). */
bool berth_nl_link_exists(const char *name);
/* Whether the nftables table NAME of family ip exists: 1, 0, or -1 when
 * the kernel cannot say. A plain netlink query: no libnftables. */
int berth_nl_nft_table_exists(const char *name);

/* One container's attachment to a bridge. */
struct berth_nl_endpoint {
	const char *bridge;   /* the bridge HOST_IF joins */
	const char *host_if;  /* the host end of the veth pair, e.g. "veth1a2b3c4" */
	int netns_fd;	      /* the container's network namespace */
	const char *ifname;   /* the peer's name in there, e.g. "eth0" */
	uint32_t addr;	      /* the peer's address, host order */
	uint8_t prefix_len;   /* of the network */
	const uint8_t *mac;   /* 6 bytes for the peer, or NULL: the kernel's */
	uint32_t gateway;     /* the default route via this address; 0: none */
	unsigned mtu;	      /* > 0: set on both ends */
};

/* Creates the veth pair HOST_IF / peer, attaches HOST_IF to BRIDGE and
 * sets it up, moves the peer into NETNS_FD, renames it IFNAME there,
 * gives it its MAC (if any), MTU, address, sets it up, and adds the
 * default route via GATEWAY (when not 0; a second network's endpoint
 * passes 0). On failure nothing of it is left (the host end is deleted,
 * which deletes its peer). */
int berth_nl_endpoint_create(const struct berth_nl_endpoint *ep, berth_error_t *err);

/* The MAC address of IFNAME inside NETNS_FD (6 bytes into MAC). */
int berth_nl_link_mac(int netns_fd, const char *ifname, uint8_t mac[6], berth_error_t *err);

/* Deletes IFNAME inside NETNS_FD (and so its veth peer); 0 when missing. */
int berth_nl_link_delete_in(int netns_fd, const char *ifname, berth_error_t *err);

#endif
