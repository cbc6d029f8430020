/* proxy.h: a TCP relay on the daemon's loop, for published ports on IPv6.
 *
 * berth publishes ports with nftables DNAT on IPv4 (net/nft.h). A client
 * that connects to [::1]:port or another IPv6 address of the host (a
 * "localhost" that resolves to ::1 first) cannot be DNATed to a container's
 * IPv4 address, so, like docker's docker-proxy on [::], the daemon listens
 * there and relays each connection (or UDP client) to the container.
 * Bounded: a number of connections or flows per listener and a buffer per
 * direction. Loop thread only. */
#ifndef BERTH_NET_PROXY_H
#define BERTH_NET_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

struct berth_loop;
struct berth_proxy;

/* Listens on [::]:PORT (IPv6 only: IPv4 has the DNAT rules), TCP or
 * UDP, and relays every connection (TCP) or client (UDP: a flow per client
 * address, dropped after 90 s without traffic) to TARGET_IP:TARGET_PORT
 * (IPv4, host order). *BOUND gets the port (PORT 0: the kernel picks).
 * EEXIST "port is already allocated" when the port is taken; EAFNOSUPPORT
 * when the host has no IPv6. */
struct berth_proxy *berth_proxy_new(struct berth_loop *loop, bool udp, uint16_t port,
				    uint32_t target_ip, uint16_t target_port, uint16_t *bound,
				    berth_error_t *err);
/* Closes the listener and every connection. NULL is fine. */
void berth_proxy_free(struct berth_proxy *p);

#endif
