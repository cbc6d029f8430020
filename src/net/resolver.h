/* resolver.h: the embedded DNS server of user-defined networks, docker's
 * 127.0.0.11.
 *
 * Each container on a user-defined network gets a UDP and a TCP socket on
 * 127.0.0.11:53 inside its own network namespace, opened by the daemon (on
 * a short-lived thread that joins the namespace) and served from the
 * daemon's event loop. A query is answered from what the engine knows (the
 * lookup callbacks: container names, aliases, links, as seen from the
 * container that asks) or else forwarded, from the host's namespace, to
 * the container's upstream servers (--dns, or the host's resolv.conf), and
 * the answer relayed back. Every packet from a container or an upstream is
 * untrusted: net/dns.c checks it, forwards are bounded in number and time.
 * Loop thread only. */
#ifndef BERTH_NET_RESOLVER_H
#define BERTH_NET_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define BERTH_RESOLVER_ADDR "127.0.0.11"

/* docker's nameservers when a host has none a container can reach */
#define BERTH_RESOLVER_N_FALLBACK 2
extern const char *const berth_resolver_fallback[BERTH_RESOLVER_N_FALLBACK];

struct berth_loop;
struct berth_resolver;

/* The IPv4 addresses (host order) of NAME (lower case, no trailing dot) as
 * the container OWNER sees them, up to MAX into ADDRS. Returns how many,
 * 0 for a name of berth's without addresses, or -1 when berth does not
 * know the name (the query is forwarded). */
typedef int (*berth_resolver_lookup_fn)(void *data, const char *owner, const char *name,
					uint32_t *addrs, size_t max);
/* The name of ADDR for a reverse (PTR) query of OWNER into OUT (254
 * bytes): 1, 0 when ADDR is one of berth's networks' but has no name
 * (NXDOMAIN), -1 when it is none of berth's (forwarded). */
typedef int (*berth_resolver_reverse_fn)(void *data, const char *owner, uint32_t addr,
					 char out[254]);

struct berth_resolver *berth_resolver_new(struct berth_loop *loop, berth_resolver_lookup_fn lookup,
					  berth_resolver_reverse_fn reverse, void *data);
/* Closes every socket and drops every forward in flight. NULL is fine. */
void berth_resolver_free(struct berth_resolver *r);

/* Starts serving OWNER (a container ID) on 127.0.0.11:53 in the network
 * namespace NETNS_FD. UPSTREAMS: the servers to forward to (IPv4 or IPv6
 * literals, N_UPSTREAMS of them), or none for those of the host's
 * /etc/resolv.conf. Serving an owner again replaces its upstreams and
 * keeps its sockets. */
int berth_resolver_listen(struct berth_resolver *r, const char *owner, int netns_fd,
			  const char *const *upstreams, size_t n_upstreams, berth_error_t *err);
/* Stops serving OWNER: closes its sockets (they hold its namespace) and
 * drops its forwards in flight. Unknown owners are fine. */
void berth_resolver_stop(struct berth_resolver *r, const char *owner);

/* The servers queries are forwarded to when a container has no --dns: the
 * nameservers of RESOLV_CONF (the text of a resolv.conf), IPv4 and IPv6,
 * without 127.0.0.11, at most MAX into OUT (each 46 bytes). Docker's
 * fallback, Google's public servers, when there are none. Pure; for the
 * tests. */
size_t berth_resolver_host_servers(const char *resolv_conf, char (*out)[46], size_t max);

#endif
