/* networks.c: see networks.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/container_internal.h"
#include "engine/engine_internal.h"
#include "engine/events.h"
#include "engine/networks.h"
#include "net/ipam.h"
#include "net/netlink.h"
#include "net/nft.h"
#include "net/proxy.h"
#include "net/resolver.h"

#define DEFAULT_BRIDGE	"berth0"
#define MAX_NETWORKS	1024
#define MAX_ALIASES	64
#define MAX_PORTS	1024

struct network {
	struct network *next;
	char id[65];
	char *name;   /* owned */
	char *driver; /* owned: bridge, host or null */
	char *bridge; /* owned: the Linux bridge (bridge driver), else NULL */
	struct berth_ipv4_prefix subnet, range;
	bool has_subnet, has_range;
	uint32_t gateway;
	bool internal, attachable, builtin;
	json_t *labels, *options; /* owned objects */
	int64_t created_ns;
	bool up; /* its bridge was made (or found) by this daemon */
};

static struct network *find_exact(struct berth_engine *e, const char *name)
{
	struct network *n;

	for (n = e->networks; n; n = n->next)
		if (strcmp(n->name, name) == 0 || strcmp(n->id, name) == 0)
			return n;
	return NULL;
}

/* By name, full ID or unique ID prefix, as docker looks networks up. */
static struct network *net_find(struct berth_engine *e, const char *ref, berth_error_t *err)
{
	struct network *n, *hit = NULL;
	size_t len = ref ? strlen(ref) : 0;
	int hits = 0;

	if (len == 0)
		goto missing;
	if ((n = find_exact(e, ref)))
		return n;
	for (n = e->networks; n; n = n->next)
		if (strncmp(n->id, ref, len) == 0) {
			hit = n;
			hits++;
		}
	if (hits == 1)
		return hit;
	if (hits > 1) {
		berth_make_error(err, EINVAL, "network %s is ambiguous (%d matches found based on ID prefix)", ref, hits);
		return NULL;
	}
missing:
	berth_make_error(err, ENOENT, "network %s not found", ref ? ref : "");
	return NULL;
}

static void net_free(struct network *n)
{
	if (n == NULL)
		return;
	free(n->name);
	free(n->driver);
	free(n->bridge);
	json_decref(n->labels);
	json_decref(n->options);
	free(n);
}

/* --- the store ---------------------------------------------------------------------------- */

static json_t *net_doc(const struct network *n)
{
	char sub[19] = "", range[19] = "", gw[16] = "";

	if (n->has_subnet) {
		berth_ipam_format_prefix(&n->subnet, sub);
		berth_ipam_format_addr(n->gateway, gw);
	}
	if (n->has_range)
		berth_ipam_format_prefix(&n->range, range);
	return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:b, s:b, s:b, s:O, s:O, s:I}", "Name",
			 n->name, "Driver", n->driver, "Bridge", n->bridge, "Subnet", sub, "IPRange",
			 range, "Gateway", gw, "Internal", n->internal, "Attachable", n->attachable,
			 "Builtin", n->builtin, "Labels", n->labels, "Options", n->options, "Created",
			 (json_int_t)n->created_ns);
}

static int net_save(struct berth_engine *e, const struct network *n, berth_error_t *err)
{
	json_t *doc = net_doc(n);
	cleanup_free char *text = json_dumps(doc, JSON_COMPACT);
	sqlite3_stmt *st;
	int rc;

	json_decref(doc);
	st = berth_db_prepare(e->db,
			      "INSERT INTO networks (id, name, doc) VALUES (?, ?, ?) "
			      "ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
			      err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	berth_db_finish(e->db, st);
	if (rc != SQLITE_DONE)
		return berth_make_error(err, EIO, "state store: %s",
					sqlite3_errmsg(berth_db_handle(e->db)));
	return 0;
}

static int net_delete_row(struct berth_engine *e, const struct network *n, berth_error_t *err)
{
	sqlite3_stmt *st = berth_db_prepare(e->db, "DELETE FROM networks WHERE id = ?", err);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	berth_db_finish(e->db, st);
	if (rc != SQLITE_DONE)
		return berth_make_error(err, EIO, "state store: %s",
					sqlite3_errmsg(berth_db_handle(e->db)));
	return 0;
}

static struct network *net_from_doc(const char *id, const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	struct network *n;
	const char *s;

	if (!json_is_object(doc) || strlen(id) != 64) {
		json_decref(doc);
		return NULL;
	}
	n = xzalloc(sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->name = xstrdup(json_string_value(json_object_get(doc, "Name")) ?: "");
	n->driver = xstrdup(json_string_value(json_object_get(doc, "Driver")) ?: "bridge");
	if ((s = json_string_value(json_object_get(doc, "Bridge"))))
		n->bridge = xstrdup(s);
	if ((s = json_string_value(json_object_get(doc, "Subnet"))) && *s &&
	    berth_ipam_parse_prefix(s, false, &n->subnet, NULL) == 0)
		n->has_subnet = true;
	if ((s = json_string_value(json_object_get(doc, "IPRange"))) && *s &&
	    berth_ipam_parse_prefix(s, false, &n->range, NULL) == 0)
		n->has_range = true;
	if ((s = json_string_value(json_object_get(doc, "Gateway"))) && *s)
		(void)berth_ipam_parse_addr(s, &n->gateway, NULL);
	n->internal = json_is_true(json_object_get(doc, "Internal"));
	n->attachable = json_is_true(json_object_get(doc, "Attachable"));
	n->builtin = json_is_true(json_object_get(doc, "Builtin"));
	n->labels = json_incref(json_object_get(doc, "Labels"));
	n->options = json_incref(json_object_get(doc, "Options"));
	if (!json_is_object(n->labels)) {
		json_decref(n->labels);
		n->labels = json_object();
	}
	if (!json_is_object(n->options)) {
		json_decref(n->options);
		n->options = json_object();
	}
	n->created_ns = json_integer_value(json_object_get(doc, "Created"));
	json_decref(doc);
	if (strcmp(n->driver, "bridge") == 0 && (!n->bridge || !n->has_subnet)) {
		net_free(n);
		return NULL;
	}
	return n;
}

/* --- IPAM over the networks -------------------------------------------------------------- */

/* The IPv4 networks of the host's interfaces other than berth's bridges:
 * a default subnet must not shadow them (docker0, a VPN, the LAN). */
static size_t host_prefixes(struct berth_engine *e, struct berth_ipv4_prefix *out, size_t max)
{
	struct ifaddrs *ifa = NULL, *i;
	size_t n = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && n < max; i = i->ifa_next) {
		struct network *net;
		uint32_t a, m;
		uint8_t len = 0;
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		for (net = e->networks; net; net = net->next)
			if (net->bridge && strcmp(net->bridge, i->ifa_name) == 0)
				break;
		if (net)
			continue;
		a = ntohl(((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr);
		m = ntohl(((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr.s_addr);
		while (len < 32 && (m & (0x80000000u >> len)))
			len++;
		if ((a >> 24) == 127)
			continue;
		out[n].addr = a & berth_ipam_mask(len);
		out[n].len = len;
		n++;
	}
	freeifaddrs(ifa);
	return n;
}

/* daemon.json's default-address-pools (checked when the file was read:
 * daemon_config.c), or docker's defaults. */
static size_t address_pools(struct berth_engine *e, struct berth_ipam_pool *out, size_t max)
{
	const json_t *it;
	size_t i, n = 0;

	json_array_foreach (e->cfg.address_pools, i, it) {
		if (n >= max ||
		    berth_ipam_parse_prefix(json_string_value(json_object_get(it, "base")), false,
					    &out[n].base, NULL) < 0)
			continue;
		out[n].size = (uint8_t)json_integer_value(json_object_get(it, "size"));
		n++;
	}
	if (n == 0)
		for (n = 0; n < berth_ipam_n_default_pools && n < max; n++)
			out[n] = berth_ipam_default_pools[n];
	return n;
}

/* The first IPv4 address of the host's interface NAME and its prefix
 * (false when it has none). */
static bool iface_addr(const char *name, uint32_t *addr, struct berth_ipv4_prefix *net)
{
	struct ifaddrs *ifa = NULL, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		uint32_t m;
		uint8_t len = 0;
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask ||
		    strcmp(i->ifa_name, name) != 0)
			continue;
		*addr = ntohl(((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr);
		m = ntohl(((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr.s_addr);
		while (len < 32 && (m & (0x80000000u >> len)))
			len++;
		net->addr = *addr & berth_ipam_mask(len);
		net->len = len;
		found = len > 0 && len <= 30;
	}
	freeifaddrs(ifa);
	return found;
}

static int pick_subnet(struct berth_engine *e, struct berth_ipv4_prefix *out, berth_error_t *err)
{
	struct berth_ipv4_prefix used[MAX_NETWORKS + 64];
	struct berth_ipam_pool pools[64];
	size_t n_pools = address_pools(e, pools, 64), n = 0;
	struct network *net;

	for (net = e->networks; net && n < MAX_NETWORKS; net = net->next)
		if (net->has_subnet)
			used[n++] = net->subnet;
	n += host_prefixes(e, used + n, 64);
	return berth_ipam_next_subnet(pools, n_pools, used, n, out, err);
}

/* --- containers' endpoints ----------------------------------------------------------------- */

/* The networks C is configured for: its EndpointsConfig keys (create puts
 * the NetworkMode's network there), none for host, none and container:. */
static const json_t *endpoints_config(const struct container *c)
{
	return json_object_get(json_object_get(c->request, "NetworkingConfig"), "EndpointsConfig");
}

static const char *mode_network(const char *mode)
{
	if (mode == NULL || !*mode || strcmp(mode, "default") == 0)
		return "bridge";
	if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 ||
	    strncmp(mode, "container:", 10) == 0)
		return NULL;
	return mode;
}

static bool uses_network(const struct container *c, const struct network *n)
{
	const json_t *ep = endpoints_config(c);
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)ep, key, v)
		if (strcmp(key, n->name) == 0 || strcmp(key, n->id) == 0)
			return true;
	return false;
}

/* The running endpoints of C (from its net state), by network name. */
static json_t *live_endpoints(const struct container *c)
{
	return json_object_get(c->net, "Networks");
}

/* Addresses in use on N by running containers. */
static size_t used_addrs(struct berth_engine *e, const struct network *n, uint32_t *out,
			 size_t max)
{
	struct container *c;
	size_t k = 0;

	for (c = e->containers; c && k < max; c = c->next) {
		const json_t *eps[2] = { json_object_get(live_endpoints(c), n->name),
					 json_object_get(json_object_get(c->prep_net, "Networks"),
							 n->name) };
		uint32_t a;
		for (size_t i = 0; i < 2 && k < max; i++)
			if (eps[i] &&
			    berth_ipam_parse_addr(json_string_value(json_object_get(eps[i], "IPAddress")),
						  &a, NULL) == 0)
				out[k++] = a;
	}
	return k;
}

static void mac_for(uint32_t addr, char out[18])
{
	snprintf(out, 18, "02:42:%02x:%02x:%02x:%02x", addr >> 24, (addr >> 16) & 255,
		 (addr >> 8) & 255, addr & 255);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	int i;

	if (s == NULL || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* sysctls dockerd sets: forwarding, and 127.0.0.1 DNATed out of BRIDGE */
static void write_sysctl(const char *path, const char *value)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || berth_fs_write_all(fd, value, strlen(value)) < 0)
		berth_log_warn("sysctl %s=%s: %s", path, value, strerror(errno));
}

static int bridge_up(struct berth_engine *e, struct network *n, berth_error_t *err)
{
	char path[128];

	(void)e;
	if (n->up)
		return 0;
	if (berth_nl_bridge_ensure(n->bridge, n->gateway, n->subnet.len, 0, err) < 0)
		return -1;
	write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", n->bridge);
	write_sysctl(path, "1");
	n->up = true;
	return 0;
}

/* --- published ports -------------------------------------------------------------------------- */

/* A reserved host port: the daemon holds a bound socket on it while the
 * container runs, so that no other program takes it (and one that has it
 * makes the start fail). */
static int reserve_port(bool udp, uint32_t ip, uint16_t port, uint16_t *bound, berth_error_t *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(ip) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	char ipbuf[16];

	if (fd < 0)
		return berth_make_error(err, errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e2 = errno;
		close(fd);
		berth_ipam_format_addr(ip, ipbuf);
		if (e2 == EADDRINUSE)
			return berth_make_error(err, EEXIST,
						"Bind for %s:%u failed: port is already allocated",
						ipbuf, (unsigned)port);
		return berth_make_error(err, e2, "Bind for %s:%u failed: %s", ipbuf, (unsigned)port,
					strerror(e2));
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		*bound = ntohs(sa.sin_port);
	return fd;
}

void net_release_ports(struct container *c)
{
	size_t i;

	for (i = 0; i < c->n_port_fds; i++)
		close(c->port_fds[i]);
	free(c->port_fds);
	c->port_fds = NULL;
	c->n_port_fds = 0;
	for (i = 0; i < c->n_proxies; i++)
		berth_proxy_free(c->proxies[i]);
	free(c->proxies);
	c->proxies = NULL;
	c->n_proxies = 0;
}

/* The IPv6 side of a port (TCP or UDP) published on every address: a relay on
 * [::]:PORT (net/proxy.h), listed as docker lists docker-proxy's. A host
 * without IPv6 has none. EXPLICIT: a port the user chose, which must be
 * free on IPv6 too; a random one that is taken there is left IPv4-only. */
static int publish_v6(struct berth_loop *loop, struct container *c, bool udp, uint16_t port,
		      uint32_t ctr_ip, uint16_t ctr_port, bool explicit, berth_error_t *err)
{
	berth_error_t e2 = NULL;
	uint16_t bound = 0;
	struct berth_proxy *p = berth_proxy_new(loop, udp, port, ctr_ip, ctr_port, &bound, &e2);

	if (p == NULL) {
		int code = berth_error_code(e2);
		if (code == EAFNOSUPPORT || (code == EEXIST && !explicit)) {
			berth_error_release(&e2);
			return 0;
		}
		*err = e2;
		return -1;
	}
	c->proxies = xrealloc(c->proxies, sizeof(*c->proxies) * (c->n_proxies + 1));
	c->proxies[c->n_proxies++] = p;
	return 1;
}

/* "80/tcp" → 80, udp. */
static int parse_port_key(const char *key, uint16_t *port, bool *udp)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(key, &end, 10);
	if (errno || end == key || v < 1 || v > 65535)
		return -1;
	if (*end == '\0' || strcmp(end, "/tcp") == 0)
		*udp = false;
	else if (strcmp(end, "/udp") == 0)
		*udp = true;
	else
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* The bindings C asks for: PortBindings, plus with PublishAllPorts a
 * random host port for every exposed port that has none. A new object. */
static json_t *wanted_bindings(const struct container *c)
{
	const json_t *hc = cont_hc(c);
	json_t *out = json_deep_copy(json_object_get(hc, "PortBindings"));
	const json_t *exposed = json_object_get(c->request, "ExposedPorts");
	const char *key;
	json_t *v;

	if (!json_is_object(out)) {
		json_decref(out);
		out = json_object();
	}
	if (json_is_true(json_object_get(hc, "PublishAllPorts")))
		json_object_foreach ((json_t *)exposed, key, v)
			if (!json_array_size(json_object_get(out, key)))
				json_object_set_new(out, key, json_pack("[{s:s, s:s}]", "HostIp",
									"", "HostPort", ""));
	return out;
}

/* Reserves C's ports and fills PORTS (NetworkSettings.Ports) and MODEL
 * entries; on failure releases what it took. */
static int publish(struct berth_loop *loop, struct container *c, const char *bridge,
		   uint32_t ctr_ip, json_t *ports, berth_error_t *err)
{
	json_t *want = wanted_bindings(c), *v, *b;
	const json_t *exposed = json_object_get(c->request, "ExposedPorts");
	const char *key;
	size_t i;

	json_object_foreach ((json_t *)exposed, key, v)
		json_object_set_new(ports, key, json_null());
	json_object_foreach (want, key, v) {
		uint16_t cport;
		bool udp;
		cleanup_free char *norm = NULL;
		json_t *list = json_array();
		if (parse_port_key(key, &cport, &udp) < 0) {
			json_decref(list);
			json_decref(want);
			net_release_ports(c);
			return berth_make_error(err, EINVAL, "invalid port specification: \"%s\"", key);
		}
		norm = xasprintf("%u/%s", (unsigned)cport, udp ? "udp" : "tcp");
		json_array_foreach (v, i, b) {
			const char *hip = json_string_value(json_object_get(b, "HostIp"));
			const char *hport = json_string_value(json_object_get(b, "HostPort"));
			uint32_t ip = 0;
			long hp = 0, hp_last = 0;
			uint16_t bound = 0;
			char ipbuf[16], portbuf[8];
			int fd = -1;
			if (hip && *hip && berth_ipam_parse_addr(hip, &ip, NULL) < 0) {
				json_decref(list);
				json_decref(want);
				net_release_ports(c);
				return berth_make_error(err, EINVAL, "invalid IP address: %s", hip);
			}
			if (hport && *hport) {
				char *end;
				hp = hp_last = strtol(hport, &end, 10);
				if (*end == '-') /* "8000-8010": the first one free */
					hp_last = strtol(end + 1, &end, 10);
				if (*end || hp < 0 || hp > 65535 || hp_last < hp || hp_last > 65535 ||
				    (hp == 0 && hp_last != 0)) {
					json_decref(list);
					json_decref(want);
					net_release_ports(c);
					return berth_make_error(err, EINVAL, "invalid port: %s", hport);
				}
			}
			if (c->n_port_fds >= MAX_PORTS) {
				json_decref(list);
				json_decref(want);
				net_release_ports(c);
				return berth_make_error(err, E2BIG, "too many published ports");
			}
			for (; fd < 0 && hp <= hp_last; hp++) {
				berth_error_release(err);
				fd = reserve_port(udp, ip, (uint16_t)hp, &bound, err);
			}
			if (fd < 0) {
				json_decref(list);
				json_decref(want);
				net_release_ports(c);
				return -1;
			}
			c->port_fds = xrealloc(c->port_fds, sizeof(int) * (c->n_port_fds + 1));
			c->port_fds[c->n_port_fds++] = fd;
			berth_ipam_format_addr(ip, ipbuf);
			snprintf(portbuf, sizeof(portbuf), "%u", (unsigned)bound);
			json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:i, s:i, s:b}",
							      "HostIp", ipbuf, "HostPort",
							      portbuf, "Bridge", bridge, "CtrIp",
							      (int)ctr_ip, "CtrPort", (int)cport,
							      "Udp", udp));
			if (ip == 0) {
				int r = publish_v6(loop, c, udp, bound, ctr_ip, cport,
						   hport && *hport && strcmp(hport, "0") != 0, err);
				if (r < 0) {
					json_decref(list);
					json_decref(want);
					net_release_ports(c);
					return -1;
				}
				if (r > 0)
					json_array_append_new(
					    list, json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:b}", "HostIp",
							    "::", "HostPort", portbuf, "Bridge", bridge,
							    "CtrIp", (int)ctr_ip, "CtrPort", (int)cport,
							    "Udp", udp, "Proxy", true));
			}
		}
		json_object_set_new(ports, norm, list);
	}
	json_decref(want);
	return 0;
}

/* --- nftables ----------------------------------------------------------------------------------- */

/* Rebuilds berth's nftables table from the bridge networks that are up
 * and the running containers' ports. */
/* The marker file says the table is in place: a daemon start (even after
 * a crash) then rebuilds or empties it; without one, an idle daemon never
 * loads libnftables. Written whenever that changes. */
static void rules_mark(struct berth_engine *e)
{
	cleanup_free char *marker = xasprintf("%s/nft-applied", e->cfg.exec_root);
	char text[32];
	int n;

	if (e->nft_applied) {
		n = snprintf(text, sizeof(text), "%016llx\n", (unsigned long long)e->nft_hash);
		(void)berth_fs_write_replace(marker, text, (size_t)n, 0600, NULL);
	} else {
		(void)unlink(marker);
	}
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* A digest of M that does not depend on the order of its networks and
 * ports: the marker keeps the last one applied, so that a restart that
 * would write the same table again (no libnftables loaded) can skip it. */
static uint64_t model_hash(const struct berth_nft_model *m)
{
	uint64_t sum = m->n_nets * 0x9e3779b97f4a7c15ull + m->n_ports * 0xc2b2ae3d27d4eb4full;
	size_t i;

	for (i = 0; i < m->n_nets; i++) {
		const struct berth_nft_network *n = &m->nets[i];
		uint64_t h = fnv(0xcbf29ce484222325ull, n->bridge, strlen(n->bridge));
		h = fnv(h, &n->subnet.addr, sizeof(n->subnet.addr));
		h = fnv(h, &n->subnet.len, sizeof(n->subnet.len));
		sum += fnv(h, &n->internal, sizeof(n->internal));
	}
	for (i = 0; i < m->n_ports; i++) {
		const struct berth_nft_port *p = &m->ports[i];
		uint64_t h = fnv(0x84222325cbf29ce4ull, p->bridge ? p->bridge : "",
				 p->bridge ? strlen(p->bridge) : 0);
		h = fnv(h, &p->udp, sizeof(p->udp));
		h = fnv(h, &p->host_ip, sizeof(p->host_ip));
		h = fnv(h, &p->host_port, sizeof(p->host_port));
		h = fnv(h, &p->ctr_ip, sizeof(p->ctr_ip));
		sum += fnv(h, &p->ctr_port, sizeof(p->ctr_port));
	}
	return sum;
}

static int apply_rules(struct berth_engine *e, berth_error_t *err)
{
	struct berth_nft_network nets[MAX_NETWORKS];
	struct berth_nft_port *ports = NULL;
	struct berth_nft_model m = { nets, 0, NULL, 0 };
	struct network *n;
	struct container *c;
	size_t np = 0;
	uint64_t hash;
	int ret;

	for (n = e->networks; n && m.n_nets < MAX_NETWORKS; n = n->next)
		if (n->bridge && n->up)
			nets[m.n_nets++] = (struct berth_nft_network){ n->bridge, n->subnet,
								       n->internal };
	for (c = e->containers; c; c = c->next) {
		const char *key;
		json_t *list, *b;
		size_t i;
		json_object_foreach (json_object_get(c->net, "Ports"), key, list) {
			json_array_foreach (list, i, b) {
				uint32_t hip = 0;
				if (json_is_true(json_object_get(b, "Proxy")))
					continue; /* IPv6: relayed by the daemon */
				(void)berth_ipam_parse_addr(
				    json_string_value(json_object_get(b, "HostIp")), &hip, NULL);
				ports = xrealloc(ports, sizeof(*ports) * (np + 1));
				ports[np++] = (struct berth_nft_port){
					json_is_true(json_object_get(b, "Udp")),
					hip,
					(uint16_t)atoi(json_string_value(json_object_get(b, "HostPort"))
							   ?: "0"),
					(uint32_t)json_integer_value(json_object_get(b, "CtrIp")),
					(uint16_t)json_integer_value(json_object_get(b, "CtrPort")),
					json_string_value(json_object_get(b, "Bridge")),
				};
			}
		}
	}
	m.ports = ports;
	m.n_ports = np;
	hash = model_hash(&m);
	/* nothing to have, nothing there; or exactly what is there already */
	if ((m.n_nets == 0 && np == 0 && !e->nft_applied) || (e->nft_applied && hash == e->nft_hash)) {
		free(ports);
		return 0;
	}
	ret = berth_nft_apply(&m, err);
	free(ports);
	if (ret == 0) {
		e->nft_applied = m.n_nets > 0 || np > 0;
		e->nft_hash = hash;
		rules_mark(e);
	}
	return ret;
}

/* --- attach and detach ---------------------------------------------------------------------- */

/* A user-defined bridge: its containers have the embedded DNS. */
static bool user_bridge(const struct network *n)
{
	return n && n->bridge && strcmp(n->name, "bridge") != 0;
}

/* The names C answers to on N (docker's DNSNames): its name, its
 * aliases there and its short ID; NULL on the default bridge, which has
 * no names. */
static json_t *dns_names(const struct container *c, const struct network *n, const json_t *cfg)
{
	json_t *out, *a;
	char id12[13];
	size_t i;

	if (!user_bridge(n))
		return NULL;
	out = json_array();
	json_array_append_new(out, json_string(c->name + 1));
	json_array_foreach (json_object_get(cfg, "Aliases"), i, a)
		if (json_is_string(a) && i < MAX_ALIASES)
			json_array_append(out, a);
	snprintf(id12, sizeof(id12), "%.12s", c->id);
	json_array_append_new(out, json_string(id12));
	return out;
}

/* One endpoint of C on the bridge network N (CFG: its EndpointConfig) in
 * the namespace NSFD, named IFNAME there, with the default route when
 * ROUTE and N is not internal: an address (--ip or the next free one), a
 * MAC, a veth pair. Added to NETWORKS (the state's object). */
static int attach_one(struct berth_engine *e, struct container *c, struct network *n,
		      const json_t *cfg, int nsfd, const char *ifname, bool route, json_t *networks,
		      berth_error_t *err)
{
	uint32_t used[1024], addr = 0;
	size_t n_used;
	const char *want = json_string_value(
	    json_object_get(json_object_get(cfg, "IPAMConfig"), "IPv4Address"));
	const char *mac_s = json_string_value(json_object_get(cfg, "MacAddress"));
	char macbuf[18], ipbuf[16], gwbuf[16], hostif[16], epid[65];
	uint8_t mac[6];
	struct berth_nl_endpoint ep;

	if (bridge_up(e, n, err) < 0)
		return -1;
	n_used = used_addrs(e, n, used, 1024);
	if (want && *want) {
		if (berth_ipam_parse_addr(want, &addr, err) < 0)
			return -1;
		if (!berth_ipam_contains(&n->subnet, addr))
			return berth_make_error(err, EINVAL,
						"no configured subnet or ip-range contain the IP address %s",
						want);
		for (size_t i = 0; i < n_used; i++)
			if (used[i] == addr)
				return berth_make_error(err, EEXIST, "Address already in use");
	} else if (berth_ipam_next_addr(&n->subnet, n->has_range ? &n->range : NULL, n->gateway,
					used, n_used, &addr, err) < 0) {
		return -1;
	}
	if (mac_s && *mac_s) {
		if (parse_mac(mac_s, mac) < 0)
			return berth_make_error(err, EINVAL, "invalid MAC address: %s", mac_s);
		snprintf(macbuf, sizeof(macbuf), "%s", mac_s);
	} else {
		mac_for(addr, macbuf);
		(void)parse_mac(macbuf, mac);
	}
	cont_random_id(epid);
	snprintf(hostif, sizeof(hostif), "veth%.7s", epid);
	/* an internal network gives no way out: no default route */
	ep = (struct berth_nl_endpoint){ n->bridge, hostif, nsfd, ifname, addr, n->subnet.len, mac,
					 route && !n->internal ? n->gateway : 0, 0 };
	if (berth_nl_endpoint_create(&ep, err) < 0)
		return -1;
	berth_ipam_format_addr(addr, ipbuf);
	berth_ipam_format_addr(n->gateway, gwbuf);
	json_object_set_new(
	    networks, n->name,
	    json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:b, s:O?, s:O?, s:o?}", "NetworkID",
		      n->id, "EndpointID", epid, "Gateway", gwbuf, "IPAddress", ipbuf,
		      "IPPrefixLen", (int)n->subnet.len, "MacAddress", macbuf, "Interface", ifname,
		      "Bridge", n->bridge, "Routed", route && !n->internal, "Aliases",
		      json_object_get(cfg, "Aliases"), "IPAMConfig",
		      json_object_get(cfg, "IPAMConfig"), "DNSNames", dns_names(c, n, cfg)));
	return 0;
}

static int open_netns(struct berth_engine *e, const struct container *c, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/netns/%s", e->cfg.exec_root, c->id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return berth_make_error(err, errno, "network namespace of %s: %s", c->id,
					strerror(errno));
	return fd;
}

/* The links of C's networks, one attach_one each, the default route
 * through the first one that is not internal. *OUT: the new state
 * ({"Networks": ..., "Ports": {}}), NULL without networks. *CHANGED when a
 * bridge came up (the rules need it). */
static int attach_links(struct berth_engine *e, struct container *c, json_t **out, bool *changed,
			berth_error_t *err)
{
	const json_t *epc = endpoints_config(c);
	cleanup_close int nsfd = -1;
	json_t *state, *cfg;
	const char *key;
	int idx = 0;
	bool routed = false;

	*out = NULL;
	if (json_object_size(epc) == 0)
		return 0;
	nsfd = open_netns(e, c, err);
	if (nsfd < 0)
		return -1;
	state = json_pack("{s:o, s:o}", "Networks", json_object(), "Ports", json_object());
	json_object_foreach ((json_t *)epc, key, cfg) {
		struct network *n = find_exact(e, key);
		char ifname[16];
		if (n == NULL) {
			json_decref(state);
			return berth_make_error(err, ENOENT, "network %s not found", key);
		}
		if (strcmp(n->driver, "bridge") != 0)
			continue;
		*changed = *changed || !n->up;
		snprintf(ifname, sizeof(ifname), "eth%d", idx++);
		if (attach_one(e, c, n, cfg, nsfd, ifname, !routed,
			       json_object_get(state, "Networks"), err) < 0) {
			json_decref(state);
			return -1;
		}
		routed = routed || !n->internal;
	}
	*out = state;
	return 0;
}

/* --- the embedded DNS (net/resolver.h) ------------------------------------------------------ */

static struct container *cont_by_id(struct berth_engine *e, const char *id)
{
	struct container *c;

	for (c = e->containers; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

/* NAME (lower case) is one of DNSNAMES, or one of them with ".NET". */
static bool names_match(const json_t *dnsnames, const char *net, const char *name)
{
	size_t i, l;
	json_t *v;

	json_array_foreach (dnsnames, i, v) {
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		l = strlen(s);
		if (strcasecmp(s, name) == 0 ||
		    (strncasecmp(s, name, l) == 0 && name[l] == '.' && strcasecmp(name + l + 1, net) == 0))
			return true;
	}
	return false;
}

static int add_addr(uint32_t *addrs, size_t max, int n, const json_t *ep)
{
	uint32_t a;

	if ((size_t)n >= max ||
	    berth_ipam_parse_addr(json_string_value(json_object_get(ep, "IPAddress")), &a, NULL) < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (addrs[i] == a)
			return n;
	addrs[n] = a;
	return n + 1;
}

/* One link, "target:alias" or docker's "/target:/c/alias": *ALIAS (in
 * LINK's string) and the target container, NULL when it is gone (or the
 * link is malformed, *ALIAS NULL then). */
static struct container *parse_link(struct berth_engine *e, const json_t *link,
				    const char **alias)
{
	const char *s = json_string_value(link), *colon;
	char target[256];

	*alias = NULL;
	if (s == NULL || (colon = strchr(s, ':')) == NULL)
		return NULL;
	*alias = strrchr(colon + 1, '/') ? strrchr(colon + 1, '/') + 1 : colon + 1;
	snprintf(target, sizeof(target), "%.*s", (int)(colon - s), s);
	return cont_find(e, target[0] == '/' ? target + 1 : target, NULL);
}

/* T's address on the default bridge, or NULL. */
static const char *bridge_ip(const struct container *t)
{
	return t ? json_string_value(json_object_get(json_object_get(live_endpoints(t), "bridge"),
						     "IPAddress"))
		 : NULL;
}

/* --link target:alias of C (HostConfig.Links and the endpoints' Links):
 * the target when NAME is its alias, else NULL. */
static struct container *link_target(struct berth_engine *e, const json_t *links,
				     const char *name)
{
	const char *alias;
	struct container *t;
	size_t i;
	json_t *v;

	json_array_foreach (links, i, v) {
		t = parse_link(e, v, &alias);
		if (alias && strcasecmp(alias, name) == 0)
			return t;
	}
	return NULL;
}

uint32_t net_host_gateway(struct berth_engine *e, const struct container *c)
{
	const char *key;
	json_t *cfg;
	struct network *n;
	uint32_t a;

	if (e->cfg.host_gateway_ip && berth_ipam_parse_addr(e->cfg.host_gateway_ip, &a, NULL) == 0)
		return a;
	json_object_foreach ((json_t *)endpoints_config(c), key, cfg)
		if ((n = find_exact(e, key)) && n->bridge && !n->internal && n->gateway)
			return n->gateway;
	n = find_exact(e, "bridge");
	return n ? n->gateway : 0;
}

static int dns_lookup(void *data, const char *owner, const char *name, uint32_t *addrs, size_t max)
{
	struct berth_engine *e = data;
	struct container *c = cont_by_id(e, owner), *d, *t;
	bool known = false;
	const char *key;
	json_t *ep;
	int n = 0;

	if (c == NULL)
		return -1;
	if (strcmp(name, "host.docker.internal") == 0) {
		addrs[0] = net_host_gateway(e, c);
		return addrs[0] ? 1 : 0;
	}
	json_object_foreach (live_endpoints(c), key, ep) {
		struct network *net = find_exact(e, key);
		const json_t *links = json_object_get(
		    json_object_get(endpoints_config(c), key), "Links");
		if (!user_bridge(net))
			continue;
		for (d = e->containers; d; d = d->next) {
			const json_t *dep = json_object_get(live_endpoints(d), key);
			if (dep && names_match(json_object_get(dep, "DNSNames"), key, name)) {
				known = true;
				n = add_addr(addrs, max, n, dep);
			}
		}
		/* a link's alias is C's own name for the target */
		t = link_target(e, json_object_get(cont_hc(c), "Links"), name);
		if (t == NULL)
			t = link_target(e, links, name);
		if (t && (ep = json_object_get(live_endpoints(t), key))) {
			known = true;
			n = add_addr(addrs, max, n, ep);
		}
	}
	return known ? n : -1;
}

static int dns_reverse(void *data, const char *owner, uint32_t addr, char out[254])
{
	struct berth_engine *e = data;
	struct container *c = cont_by_id(e, owner), *d;
	const char *key;
	struct network *n;
	json_t *ep;
	bool ours = false;

	for (n = e->networks; n; n = n->next)
		ours = ours || (n->bridge && berth_ipam_contains(&n->subnet, addr));
	if (c == NULL || !ours)
		return ours ? 0 : -1;
	json_object_foreach (live_endpoints(c), key, ep) {
		if (!user_bridge(find_exact(e, key)))
			continue;
		for (d = e->containers; d; d = d->next) {
			const json_t *dep = json_object_get(live_endpoints(d), key);
			uint32_t a;
			if (dep &&
			    berth_ipam_parse_addr(json_string_value(json_object_get(dep, "IPAddress")),
						  &a, NULL) == 0 &&
			    a == addr) {
				snprintf(out, 254, "%s.%s", d->name + 1, key);
				return 1;
			}
		}
	}
	return 0;
}

static int port_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* The exposed ports of T (its request's and its image's), each as
 * port << 1 | udp, sorted, at most MAX into OUT. */
static size_t exposed_ports(const struct container *t, uint32_t *out, size_t max)
{
	const json_t *sets[2] = { json_object_get(t->request, "ExposedPorts"),
				  json_object_get(t->image_config, "ExposedPorts") };
	size_t n = 0, i, k;
	const char *key;
	json_t *v;

	for (i = 0; i < 2; i++)
		json_object_foreach ((json_t *)sets[i], key, v) {
			uint16_t port;
			bool udp, dup = false;
			if (n >= max || parse_port_key(key, &port, &udp) < 0)
				continue;
			for (k = 0; k < n; k++)
				dup = dup || out[k] == ((uint32_t)port << 1 | udp);
			if (!dup)
				out[n++] = (uint32_t)port << 1 | udp;
		}
	qsort(out, n, sizeof(*out), port_cmp);
	return n;
}

void net_link_env(struct berth_engine *e, const struct container *c, json_t *env)
{
	const json_t *links = json_object_get(cont_hc(c), "Links");
	size_t i, k, n;
	json_t *v, *ev;

	if (json_object_get(endpoints_config(c), "bridge") == NULL)
		return;
	json_array_foreach (links, i, v) {
		const char *alias, *ip;
		struct container *t = parse_link(e, v, &alias);
		char up[256];
		uint32_t ports[64];
		if ((ip = bridge_ip(t)) == NULL)
			continue;
		/* docker's legacy link variables: ALIAS_PORT..., ALIAS_NAME, ALIAS_ENV_... */
		for (k = 0; alias[k] && k < sizeof(up) - 1; k++)
			up[k] = alias[k] == '-' ? '_' : (char)toupper((unsigned char)alias[k]);
		up[k] = '\0';
		n = exposed_ports(t, ports, BERTH_ARRAY_SIZE(ports));
		if (n > 0)
			json_array_append_new(env, json_sprintf("%s_PORT=%s://%s:%u", up,
								ports[0] & 1 ? "udp" : "tcp", ip,
								(unsigned)(ports[0] >> 1)));
		for (k = 0; k < n; k++) {
			const char *proto = ports[k] & 1 ? "udp" : "tcp", *PROTO = ports[k] & 1 ? "UDP" : "TCP";
			unsigned p = (unsigned)(ports[k] >> 1);
			json_array_append_new(env, json_sprintf("%s_PORT_%u_%s=%s://%s:%u", up, p, PROTO,
								proto, ip, p));
			json_array_append_new(env, json_sprintf("%s_PORT_%u_%s_ADDR=%s", up, p, PROTO, ip));
			json_array_append_new(env, json_sprintf("%s_PORT_%u_%s_PORT=%u", up, p, PROTO, p));
			json_array_append_new(env,
					      json_sprintf("%s_PORT_%u_%s_PROTO=%s", up, p, PROTO, proto));
		}
		json_array_append_new(env, json_sprintf("%s_NAME=%s/%s", up, c->name, alias));
		json_array_foreach (json_object_get(t->request, "Env"), k, ev) {
			const char *kv = json_string_value(ev), *eq;
			if (kv == NULL || (eq = strchr(kv, '=')) == NULL ||
			    strncmp(kv, "HOME=", 5) == 0 || strncmp(kv, "PATH=", 5) == 0)
				continue;
			json_array_append_new(env, json_sprintf("%s_ENV_%s", up, kv));
		}
	}
}

void net_link_hosts(struct berth_engine *e, const struct container *c, struct berth_strbuf *b)
{
	const json_t *links = json_object_get(cont_hc(c), "Links");
	size_t i;
	json_t *v;

	if (json_object_get(endpoints_config(c), "bridge") == NULL)
		return;
	json_array_foreach (links, i, v) {
		const char *alias, *ip;
		struct container *t = parse_link(e, v, &alias);
		if ((ip = bridge_ip(t)) != NULL)
			berth_strbuf_printf(b, "%s\t%s %.12s %s\n", ip, alias, t->id, t->name + 1);
	}
}

void net_renamed(struct container *c, const char *old)
{
	const char *key;
	json_t *ep, *v;
	size_t i;

	json_object_foreach (live_endpoints(c), key, ep)
		json_array_foreach (json_object_get(ep, "DNSNames"), i, v)
			if (strcmp(json_string_value(v) ?: "", old + 1) == 0)
				json_string_set(v, c->name + 1);
}

bool net_uses_resolver(struct berth_engine *e, const struct container *c)
{
	const char *key;
	json_t *cfg;

	json_object_foreach ((json_t *)endpoints_config(c), key, cfg)
		if (user_bridge(find_exact(e, key)))
			return true;
	return false;
}

/* Starts C's resolver when it runs on a user-defined network (NSFD: its
 * namespace, or -1 to open it). */
static int dns_listen(struct berth_engine *e, struct container *c, int nsfd, berth_error_t *err)
{
	const json_t *dns = json_object_get(cont_hc(c), "Dns");
	const char *ups[3];
	cleanup_close int own = -1;
	const char *key;
	json_t *ep, *v;
	bool user = false;
	size_t i, n = 0;

	if (json_array_size(dns) == 0)
		dns = e->cfg.dns;

	json_object_foreach (live_endpoints(c), key, ep)
		user = user || user_bridge(find_exact(e, key));
	if (!user)
		return 0;
	if (e->resolver == NULL)
		e->resolver = berth_resolver_new(e->loop, dns_lookup, dns_reverse, e);
	json_array_foreach (dns, i, v)
		if (json_is_string(v) && n < BERTH_ARRAY_SIZE(ups))
			ups[n++] = json_string_value(v);
	if (nsfd < 0 && (nsfd = own = open_netns(e, c, err)) < 0)
		return -1;
	return berth_resolver_listen(e->resolver, c->id, nsfd, ups, n, err);
}

/* connect of a running container: one more endpoint, now. */
static int connect_running(struct berth_engine *e, struct container *c, struct network *n,
			   const json_t *cfg, berth_error_t *err)
{
	cleanup_close int nsfd = -1;
	json_t *networks, *ep;
	const char *key;
	bool routed = false, up = n->up;
	char ifname[16];
	int k;

	if (c->net == NULL)
		c->net = json_pack("{s:o, s:o}", "Networks", json_object(), "Ports", json_object());
	networks = json_object_get(c->net, "Networks");
	json_object_foreach (networks, key, ep)
		routed = routed || json_is_true(json_object_get(ep, "Routed"));
	/* the first ethN the container does not have */
	for (k = 0;; k++) {
		bool taken = false;
		snprintf(ifname, sizeof(ifname), "eth%d", k);
		json_object_foreach (networks, key, ep)
			taken = taken ||
				strcmp(json_string_value(json_object_get(ep, "Interface")) ?: "", ifname) == 0;
		if (!taken)
			break;
	}
	nsfd = open_netns(e, c, err);
	if (nsfd < 0 || attach_one(e, c, n, cfg, nsfd, ifname, !routed, networks, err) < 0)
		return -1;
	if (!up && apply_rules(e, err) < 0)
		return -1;
	return dns_listen(e, c, nsfd, err);
}

/* disconnect of a running container: its endpoint on N goes now. */
static int disconnect_running(struct berth_engine *e, struct container *c, struct network *n,
			      berth_error_t *err)
{
	json_t *networks = json_object_get(c->net, "Networks");
	json_t *ep = json_object_get(networks, n->name), *list, *b;
	cleanup_close int nsfd = -1;
	const char *key;
	size_t i;

	if (ep == NULL)
		return 0;
	json_object_foreach (json_object_get(c->net, "Ports"), key, list)
		json_array_foreach (list, i, b)
			if (strcmp(json_string_value(json_object_get(b, "Bridge")) ?: "", n->bridge) == 0)
				return berth_make_error(err, ENOSYS,
							"disconnecting the network a container publishes "
							"ports on is not implemented yet: stop it first");
	nsfd = open_netns(e, c, err);
	if (nsfd < 0 ||
	    berth_nl_link_delete_in(nsfd, json_string_value(json_object_get(ep, "Interface")), err) < 0)
		return -1;
	json_object_del(networks, n->name);
	return 0;
}

int net_shared_with(struct berth_engine *e, const struct container *c, struct container **other,
		    berth_error_t *err)
{
	const char *mode = json_string_value(json_object_get(cont_hc(c), "NetworkMode"));

	*other = NULL;
	if (mode == NULL || strncmp(mode, "container:", 10) != 0)
		return 0;
	*other = cont_find(e, mode + 10, err);
	if (*other == NULL)
		return -1;
	if (*other == c)
		return berth_make_error(err, EINVAL, "cannot join own network");
	if (!crun_running(*other)) {
		char id[65];
		snprintf(id, sizeof(id), "%s", (*other)->id);
		*other = NULL;
		return berth_make_error(err, EINVAL,
					"cannot join network of a non running container: %s", id);
	}
	return 0;
}

int net_prepare(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	bool changed = false;

	net_unprepare(c);
	if (attach_links(e, c, &c->prep_net, &changed, err) < 0)
		return -1;
	if (changed && apply_rules(e, err) < 0) {
		net_unprepare(c);
		return -1;
	}
	return 0;
}

void net_unprepare(struct container *c)
{
	json_decref(c->prep_net);
	c->prep_net = NULL;
}

int net_attach(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	bool changed = false;
	json_t *state = NULL, *ep;
	const char *key;

	if (c->prep_net) { /* done at the prepare: the ports and rules remain */
		state = c->prep_net;
		c->prep_net = NULL;
	} else if (attach_links(e, c, &state, &changed, err) < 0) {
		return -1;
	}
	json_decref(c->net);
	c->net = state;
	if (state == NULL)
		return 0;
	/* ports go to the first network's address */
	json_object_foreach (json_object_get(state, "Networks"), key, ep) {
		uint32_t addr = 0;
		(void)berth_ipam_parse_addr(json_string_value(json_object_get(ep, "IPAddress")),
					    &addr, NULL);
		if (publish(e->loop, c, json_string_value(json_object_get(ep, "Bridge")), addr,
			    json_object_get(state, "Ports"), err) < 0)
			goto fail;
		break;
	}
	changed = changed || json_object_size(json_object_get(state, "Ports")) > 0;
	if (changed && apply_rules(e, err) < 0)
		goto fail;
	if (dns_listen(e, c, -1, err) < 0)
		goto fail;
	return 0;
fail:
	json_decref(c->net);
	c->net = NULL;
	net_release_ports(c);
	return -1;
}

void net_detach(struct berth_engine *e, struct container *c)
{
	berth_error_t err = NULL;
	bool had_ports = json_object_size(json_object_get(c->net, "Ports")) > 0;

	berth_resolver_stop(e->resolver, c->id);
	if (c->net == NULL)
		return;
	/* the veth pair goes with the namespace (crun_leftovers_undo) */
	json_decref(c->net);
	c->net = NULL;
	net_release_ports(c);
	if (had_ports && apply_rules(e, &err) < 0) {
		berth_log_warn("container %s: nftables: %s", c->id, err->msg);
		berth_error_release(&err);
	}
}

/* After a restart: running containers hold their ports again. */
void net_adopt(struct berth_engine *e, struct container *c)
{
	const char *key;
	json_t *list, *b;
	size_t i;

	json_object_foreach (json_object_get(c->net, "Ports"), key, list) {
		json_array_foreach (list, i, b) {
			uint32_t ip = 0;
			uint16_t bound = 0, hp;
			berth_error_t err = NULL;
			int fd;
			hp = (uint16_t)atoi(json_string_value(json_object_get(b, "HostPort")) ?: "0");
			if (json_is_true(json_object_get(b, "Proxy"))) {
				if (publish_v6(e->loop, c, json_is_true(json_object_get(b, "Udp")), hp,
					       (uint32_t)json_integer_value(json_object_get(b, "CtrIp")),
					       (uint16_t)json_integer_value(json_object_get(b, "CtrPort")),
					       true, &err) < 0) {
					berth_log_warn("container %s: %s", c->id, err->msg);
					berth_error_release(&err);
				}
				continue;
			}
			(void)berth_ipam_parse_addr(json_string_value(json_object_get(b, "HostIp")),
						    &ip, NULL);
			fd = reserve_port(json_is_true(json_object_get(b, "Udp")), ip, hp, &bound, &err);
			if (fd < 0) {
				berth_log_warn("container %s: %s", c->id, err->msg);
				berth_error_release(&err);
				continue;
			}
			c->port_fds = xrealloc(c->port_fds, sizeof(int) * (c->n_port_fds + 1));
			c->port_fds[c->n_port_fds++] = fd;
		}
	}
	{
		struct network *n;
		json_t *ep;
		json_object_foreach (live_endpoints(c), key, ep)
			if ((n = find_exact(e, key)) && n->bridge)
				n->up = berth_nl_link_exists(n->bridge);
	}
	{
		berth_error_t err = NULL;
		if (dns_listen(e, c, -1, &err) < 0) {
			berth_log_warn("container %s: %s", c->id, err->msg);
			berth_error_release(&err);
		}
	}
}

/* After loading the containers: berth's rules as they must be. */
void net_rules_init(struct berth_engine *e)
{
	berth_error_t err = NULL;
	cleanup_free char *marker = xasprintf("%s/nft-applied", e->cfg.exec_root);

	cleanup_free char *text = NULL;
	struct network *n;

	/* rules survive a daemon's crash, not a reboot (nor does the marker);
	 * the bridges there have theirs: with the same containers' ports the
	 * table stays as the last daemon left it, and libnftables unloaded */
	e->nft_applied = berth_fs_read_file(marker, 64, &text, NULL) >= 0;
	if (e->nft_applied) {
		/* a table flushed meanwhile (nft flush ruleset) is made again */
		e->nft_hash = berth_nl_nft_table_exists("berth") == 1 ? strtoull(text, NULL, 16) : 0;
		for (n = e->networks; n; n = n->next)
			if (n->bridge && !n->up)
				n->up = berth_nl_link_exists(n->bridge);
	}
	if (apply_rules(e, &err) < 0) {
		berth_log_warn("nftables: %s", err->msg);
		berth_error_release(&err);
	}
}


/* --- what inspect and list show ------------------------------------------------------------- */

static json_t *endpoint_view(const struct network *n, const json_t *live, const json_t *cfg)
{
	return json_pack(
	    "{s:O?, s:O?, s:O?, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:n, s:O?}",
	    "IPAMConfig", json_object_get(cfg, "IPAMConfig"), "Links", json_object_get(cfg, "Links"),
	    "Aliases", json_object_get(cfg, "Aliases"), "MacAddress",
	    json_string_value(json_object_get(live, "MacAddress")) ?: "", "NetworkID",
	    n ? n->id : "", "EndpointID", json_string_value(json_object_get(live, "EndpointID")) ?: "",
	    "Gateway", json_string_value(json_object_get(live, "Gateway")) ?: "", "IPAddress",
	    json_string_value(json_object_get(live, "IPAddress")) ?: "", "IPPrefixLen",
	    (int)json_integer_value(json_object_get(live, "IPPrefixLen")), "IPv6Gateway", "",
	    "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "DriverOpts", "DNSNames",
	    json_object_get(live, "DNSNames"));
}

/* NetworkSettings.Networks of C: every configured network, with its
 * address while C runs; host and none show as themselves. */
json_t *net_networks_view(struct berth_engine *e, const struct container *c)
{
	const char *mode = json_string_value(json_object_get(cont_hc(c), "NetworkMode"));
	json_t *out = json_object(), *cfg;
	const char *key;

	if (mode && (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0)) {
		struct network *n = find_exact(e, mode);
		json_object_set_new(out, mode, endpoint_view(n, NULL, NULL));
		return out;
	}
	json_object_foreach ((json_t *)endpoints_config(c), key, cfg) {
		struct network *n = find_exact(e, key);
		json_object_set_new(out, n ? n->name : key,
				    endpoint_view(n, json_object_get(live_endpoints(c), n ? n->name : key), cfg));
	}
	return out;
}

/* NetworkSettings.Ports as docker prints it. */
json_t *net_ports_view(const struct container *c)
{
	json_t *out = json_object(), *list, *b;
	const char *key;
	size_t i;

	if (c->net == NULL) {
		return out;
	}
	json_object_foreach (json_object_get(c->net, "Ports"), key, list) {
		json_t *l;
		if (!json_is_array(list)) {
			json_object_set_new(out, key, json_null());
			continue;
		}
		l = json_array();
		json_array_foreach (list, i, b)
			json_array_append_new(l, json_pack("{s:O, s:O}", "HostIp",
							   json_object_get(b, "HostIp"), "HostPort",
							   json_object_get(b, "HostPort")));
		json_object_set_new(out, key, l);
	}
	return out;
}

/* The first network's address of C ("" when none), for the top-level
 * NetworkSettings fields. */
const json_t *net_primary(const struct container *c)
{
	const char *key;
	json_t *ep;

	json_object_foreach (live_endpoints(c), key, ep)
		return ep;
	return NULL;
}

/* list's Ports: [{IP, PrivatePort, PublicPort, Type}]. */
json_t *net_ports_summary(const struct container *c)
{
	json_t *out = json_array(), *list, *b;
	const char *key;
	size_t i;

	json_object_foreach (json_object_get(c->net, "Ports"), key, list) {
		uint16_t port;
		bool udp;
		if (parse_port_key(key, &port, &udp) < 0)
			continue;
		if (!json_is_array(list)) {
			json_array_append_new(out, json_pack("{s:i, s:s}", "PrivatePort", (int)port,
							     "Type", udp ? "udp" : "tcp"));
			continue;
		}
		json_array_foreach (list, i, b)
			json_array_append_new(
			    out, json_pack("{s:O, s:i, s:i, s:s}", "IP", json_object_get(b, "HostIp"),
					   "PrivatePort", (int)port, "PublicPort",
					   atoi(json_string_value(json_object_get(b, "HostPort")) ?: "0"),
					   "Type", udp ? "udp" : "tcp"));
	}
	return out;
}

/* --- create's checks --------------------------------------------------------------------- */

/* HostConfig.PortBindings as docker checks it at create. */
static int check_port_bindings(const json_t *pb, berth_error_t *err)
{
	const char *key;
	json_t *list, *b;
	size_t i, total = 0;

	if (pb == NULL || json_is_null(pb))
		return 0;
	if (!json_is_object(pb))
		return berth_make_error(err, EINVAL, "invalid PortBindings: an object is expected");
	json_object_foreach ((json_t *)pb, key, list) {
		uint16_t port;
		bool udp;
		if (parse_port_key(key, &port, &udp) < 0)
			return berth_make_error(err, EINVAL, "invalid port specification: \"%s\"", key);
		if (json_is_null(list))
			continue;
		if (!json_is_array(list))
			return berth_make_error(err, EINVAL, "invalid port bindings for %s", key);
		json_array_foreach (list, i, b) {
			const char *hip = json_string_value(json_object_get(b, "HostIp"));
			uint32_t ip;
			if (!json_is_object(b) || ++total > MAX_PORTS)
				return berth_make_error(err, EINVAL, "invalid port bindings for %s", key);
			if (hip && *hip && berth_ipam_parse_addr(hip, &ip, NULL) < 0)
				return berth_make_error(
				    err, strchr(hip, ':') ? ENOSYS : EINVAL,
				    strchr(hip, ':') ? "IPv6 host addresses are not implemented yet: %s"
						     : "invalid IP address: %s",
				    hip);
		}
	}
	return 0;
}

/* HostConfig.Links as docker checks them at create: each "name:alias"
 * well-formed; on the default bridge the target must exist (400 "could not
 * get container for X") and not use the host's network; never with
 * --network host. On user-defined networks they are names of the
 * embedded DNS, looked up as they are queried. */
static int check_links(struct berth_engine *e, const json_t *hc, const char *mode,
		       const char *mnet, berth_error_t *err)
{
	const json_t *links = json_object_get(hc, "Links");
	size_t i;
	json_t *v;

	if (json_array_size(links) > 0 && mode && strcmp(mode, "host") == 0)
		return berth_make_error(err, EINVAL,
					"conflicting options: host type networking can't be used "
					"with links. This would result in undefined behavior");
	json_array_foreach (links, i, v) {
		const char *s = json_string_value(v), *colon;
		char target[256];
		struct container *t;
		berth_error_t e2 = NULL;
		if (s == NULL || !*s || *s == ':' || strlen(s) >= sizeof(target))
			return berth_make_error(err, EINVAL, "invalid link: %s", s ? s : "(not a string)");
		colon = strchr(s, ':');
		snprintf(target, sizeof(target), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
		if (mnet == NULL || strcmp(mnet, "bridge") != 0)
			continue;
		t = cont_find(e, target[0] == '/' ? target + 1 : target, &e2);
		if (t == NULL) {
			berth_make_error(err, EINVAL, "could not get container for %s: %s", target,
					 e2 ? e2->msg : "not found");
			berth_error_release(&e2);
			return -1;
		}
		if (strcmp(json_string_value(json_object_get(cont_hc(t), "NetworkMode")) ?: "",
			   "host") == 0)
			return berth_make_error(err, EINVAL,
						"conflicting options: host type networking can't be "
						"used with links. This would result in undefined "
						"behavior");
	}
	return 0;
}

int net_check_request(struct berth_engine *e, json_t *req, berth_error_t *err)
{
	json_t *hc = json_object_get(req, "HostConfig");
	const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));
	const char *mnet = mode_network(mode);
	json_t *nc = json_object_get(req, "NetworkingConfig"), *epc, *cfg;
	const char *key;
	void *tmp;

	if (!json_is_object(nc)) {
		nc = json_object();
		json_object_set_new(req, "NetworkingConfig", nc);
	}
	epc = json_object_get(nc, "EndpointsConfig");
	if (!json_is_object(epc)) {
		epc = json_object();
		json_object_set_new(nc, "EndpointsConfig", epc);
	}
	/* container:<name|id>: its namespace at start; it must exist now */
	if (mode && strncmp(mode, "container:", 10) == 0 && !cont_find(e, mode + 10, err))
		return -1;
	if (check_port_bindings(json_object_get(hc, "PortBindings"), err) < 0 ||
	    check_links(e, hc, mode, mnet, err) < 0)
		return -1;
	if (mnet == NULL) {
		if (json_object_size(epc) > 0)
			return berth_make_error(err, EINVAL,
						"container cannot be connected to network endpoints "
						"with --network %s",
						mode);
		return 0;
	}
	if (!find_exact(e, mnet) && !net_find(e, mnet, err))
		return -1;
	/* keys by network name; the NetworkMode's network is one of them */
	json_object_foreach_safe (epc, tmp, key, cfg) {
		/* the CLI keys the NetworkMode's endpoint by the mode: "default" */
		struct network *n = net_find(e, strcmp(key, "default") == 0 ? "bridge" : key, err);
		if (n == NULL)
			return -1;
		if (!json_is_object(cfg))
			return berth_make_error(err, EINVAL, "invalid endpoint settings for %s", key);
		if (strcmp(n->driver, "bridge") != 0)
			return berth_make_error(err, EINVAL,
						"container cannot be disconnected from host network or "
						"connected to host network");
		if (json_array_size(json_object_get(cfg, "Aliases")) > MAX_ALIASES)
			return berth_make_error(err, E2BIG, "too many aliases");
		if (strcmp(key, n->name) != 0) {
			json_incref(cfg);
			json_object_del(epc, key);
			json_object_set_new(epc, n->name, cfg);
		}
	}
	{
		struct network *n = net_find(e, mnet, err);
		if (n == NULL)
			return -1;
		if (!json_object_get(epc, n->name))
			json_object_set_new(epc, n->name, json_object());
		if (n->builtin && strcmp(n->name, "bridge") == 0) {
			json_object_foreach (epc, key, cfg)
				if (json_array_size(json_object_get(cfg, "Aliases")) > 0)
					return berth_make_error(
					    err, EINVAL,
					    "network-scoped alias is supported only for containers "
					    "in user defined networks");
		}
	}
	return 0;
}

/* --- the API ------------------------------------------------------------------------------ */

static json_t *net_view(struct berth_engine *e, const struct network *n, bool containers)
{
	char created[64], sub[19], gw[16], range[19];
	json_t *config = json_array(), *cs = json_object();
	struct container *c;

	berth_time_format_rfc3339nano(n->created_ns, created, sizeof(created));
	if (n->has_subnet) {
		json_t *one;
		berth_ipam_format_prefix(&n->subnet, sub);
		berth_ipam_format_addr(n->gateway, gw);
		one = json_pack("{s:s, s:s}", "Subnet", sub, "Gateway", gw);
		if (n->has_range) {
			berth_ipam_format_prefix(&n->range, range);
			json_object_set_new(one, "IPRange", json_string(range));
		}
		json_array_append_new(config, one);
	}
	for (c = e->containers; containers && c; c = c->next) {
		json_t *ep = json_object_get(live_endpoints(c), n->name);
		char addr[24];
		if (ep == NULL)
			continue;
		snprintf(addr, sizeof(addr), "%s/%d",
			 json_string_value(json_object_get(ep, "IPAddress")) ?: "",
			 (int)json_integer_value(json_object_get(ep, "IPPrefixLen")));
		json_object_set_new(cs, c->id,
				    json_pack("{s:s, s:O, s:O, s:s, s:s}", "Name", c->name + 1,
					      "EndpointID", json_object_get(ep, "EndpointID"),
					      "MacAddress", json_object_get(ep, "MacAddress"),
					      "IPv4Address", addr, "IPv6Address", ""));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:n, s:o}, s:b, s:b, s:b, "
			 "s:{s:s}, s:b, s:o, s:O, s:O}",
			 "Name", n->name, "Id", n->id, "Created", created, "Scope", "local",
			 "Driver", n->driver, "EnableIPv6", 0, "IPAM", "Driver", "default",
			 "Options", "Config", config, "Internal", n->internal, "Attachable",
			 n->attachable, "Ingress", 0, "ConfigFrom", "Network", "", "ConfigOnly", 0,
			 "Containers", cs, "Options", n->options, "Labels", n->labels);
}

static bool in_use(struct berth_engine *e, const struct network *n)
{
	struct container *c;

	for (c = e->containers; c; c = c->next)
		if (json_object_get(live_endpoints(c), n->name) ||
		    (crun_running(c) && uses_network(c, n)))
			return true;
	return false;
}

json_t *berth_engine_networks_list(struct berth_engine *e, const struct berth_filters *f,
				   berth_error_t *err)
{
	static const char *const allowed[] = { "name",	"id",	 "label",    "label!", "driver",
					       "type",	"scope", "dangling", NULL };
	json_t *out = json_array();
	struct network *n;

	if (f && berth_filters_validate(f, allowed, err) < 0) {
		json_decref(out);
		return NULL;
	}
	for (n = e->networks; n; n = n->next) {
		if (f && berth_filters_has(f, "name")) {
			size_t i, k = berth_filters_count(f, "name");
			bool hit = false;
			for (i = 0; i < k; i++)
				hit = hit || strstr(n->name, berth_filters_value(f, "name", i));
			if (!hit)
				continue;
		}
		if (f && !berth_filters_fuzzy_match(f, "id", n->id))
			continue;
		if (f && !berth_filters_match(f, "driver", n->driver))
			continue;
		if (f && !berth_filters_match(f, "scope", "local"))
			continue;
		if (f && !berth_filters_match(f, "type", n->builtin ? "builtin" : "custom"))
			continue;
		if (f && !berth_filters_match_labels(f, "label", n->labels))
			continue;
		if (f && berth_filters_count(f, "label!") > 0 &&
		    berth_filters_match_labels(f, "label!", n->labels))
			continue;
		if (f && berth_filters_count(f, "dangling") > 0) {
			const char *d = berth_filters_value(f, "dangling", 0);
			bool want = strcmp(d, "true") == 0 || strcmp(d, "1") == 0;
			if (!want && strcmp(d, "false") != 0 && strcmp(d, "0") != 0) {
				json_decref(out);
				berth_make_error(err, EINVAL, "invalid filter 'dangling=%s'", d);
				return NULL;
			}
			if (want != (!n->builtin && !in_use(e, n)))
				continue;
		}
		json_array_append_new(out, net_view(e, n, false));
	}
	return out;
}

json_t *berth_engine_network_inspect(struct berth_engine *e, const char *id, berth_error_t *err)
{
	struct network *n = net_find(e, id, err);

	return n ? net_view(e, n, true) : NULL;
}

static bool valid_name(const char *s)
{
	size_t i, len = s ? strlen(s) : 0;

	if (len == 0 || len > 128)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      (i > 0 && (ch == '_' || ch == '.' || ch == '-'))))
			return false;
	}
	return true;
}

static void net_event(struct berth_engine *e, const struct network *n, const char *action,
		      const char *container)
{
	json_t *attrs = json_pack("{s:s, s:s}", "name", n->name, "type", n->driver);

	if (container)
		json_object_set_new(attrs, "container", json_string(container));
	berth_events_publish(e->events, "network", action, n->id, attrs);
}

static struct network *new_network(const char *name, const char *driver)
{
	struct network *n = xzalloc(sizeof(*n));

	cont_random_id(n->id);
	n->name = xstrdup(name);
	n->driver = xstrdup(driver);
	n->labels = json_object();
	n->options = json_object();
	n->created_ns = berth_time_now_ns();
	return n;
}

json_t *berth_engine_network_create(struct berth_engine *e, const json_t *body,
				    berth_error_t *err)
{
	const char *name = json_string_value(json_object_get(body, "Name"));
	const char *driver = json_string_value(json_object_get(body, "Driver"));
	const json_t *ipam = json_object_get(body, "IPAM"), *labels = json_object_get(body, "Labels"),
		     *opts = json_object_get(body, "Options"), *cfgs, *it;
	struct network *n, *o;
	size_t i, count = 0;

	if (!json_is_object(body))
		return berth_make_error(err, EINVAL, "invalid network config"), NULL;
	if (!valid_name(name))
		return berth_make_error(err, EINVAL, "invalid name: \"%s\"", name ? name : ""), NULL;
	if (driver == NULL || !*driver)
		driver = "bridge";
	if (strcmp(driver, "bridge") != 0)
		return berth_make_error(err, ENOSYS,
					"plugin \"%s\" not found: berth has the bridge driver only",
					driver),
		       NULL;
	if (find_exact(e, name))
		return berth_make_error(err, EEXIST, "network with name %s already exists", name),
		       NULL;
	if (json_is_true(json_object_get(body, "EnableIPv6")))
		return berth_make_error(err, ENOSYS, "IPv6 networks are not implemented yet"), NULL;
	if ((labels && !json_is_object(labels) && !json_is_null(labels)) ||
	    (opts && !json_is_object(opts) && !json_is_null(opts)))
		return berth_make_error(err, EINVAL, "invalid network config: Labels and Options are objects"), NULL;
	for (o = e->networks; o; o = o->next)
		count++;
	if (count >= MAX_NETWORKS)
		return berth_make_error(err, ENOSPC, "too many networks"), NULL;
	n = new_network(name, driver);
	if (json_is_object(labels)) {
		const char *k;
		json_object_foreach ((json_t *)labels, k, it)
			if (json_is_string(it))
				json_object_set(n->labels, k, (json_t *)it);
	}
	if (json_is_object(opts)) {
		const char *k;
		json_object_foreach ((json_t *)opts, k, it)
			if (json_is_string(it))
				json_object_set(n->options, k, (json_t *)it);
	}
	n->internal = json_is_true(json_object_get(body, "Internal"));
	n->attachable = json_is_true(json_object_get(body, "Attachable"));
	cfgs = json_object_get(ipam, "Config");
	if ((ipam && !json_is_object(ipam) && !json_is_null(ipam)) ||
	    (cfgs && !json_is_array(cfgs) && !json_is_null(cfgs))) {
		net_free(n);
		return berth_make_error(err, EINVAL, "invalid network config: IPAM.Config is a list"), NULL;
	}
	if (json_array_size(cfgs) > 1) {
		net_free(n);
		return berth_make_error(err, ENOSYS, "more than one IPv4 subnet per network is not implemented yet"), NULL;
	}
	json_array_foreach (cfgs, i, it) {
		const char *sub = json_string_value(json_object_get(it, "Subnet"));
		const char *range = json_string_value(json_object_get(it, "IPRange"));
		const char *gw = json_string_value(json_object_get(it, "Gateway"));
		if (sub && *sub) {
			if (berth_ipam_parse_prefix(sub, false, &n->subnet, err) < 0) {
				net_free(n);
				return NULL;
			}
			n->has_subnet = true;
		}
		if (range && *range) {
			if (!n->has_subnet ||
			    berth_ipam_parse_prefix(range, false, &n->range, err) < 0) {
				if (!n->has_subnet)
					berth_make_error(err, EINVAL, "ip-range %s requires a subnet", range);
				net_free(n);
				return NULL;
			}
			if (n->range.len < n->subnet.len || !berth_ipam_contains(&n->subnet, n->range.addr)) {
				net_free(n);
				return berth_make_error(err, EINVAL, "invalid ip-range %s: it must be within the subnet %s", range, sub), NULL;
			}
			n->has_range = true;
		}
		if (gw && *gw) {
			if (!n->has_subnet || berth_ipam_parse_addr(gw, &n->gateway, err) < 0 ||
			    !berth_ipam_contains(&n->subnet, n->gateway)) {
				if (!err || !*err)
					berth_make_error(err, EINVAL, "invalid gateway %s: it must be within the subnet", gw);
				net_free(n);
				return NULL;
			}
		}
	}
	if (n->has_subnet) {
		for (o = e->networks; o; o = o->next)
			if (o->has_subnet && berth_ipam_overlaps(&o->subnet, &n->subnet)) {
				char a[19];
				berth_ipam_format_prefix(&n->subnet, a);
				net_free(n);
				return berth_make_error(err, EEXIST,
							"invalid pool request: Pool overlaps with other one on this address space (%s, network %s)",
							a, o->name),
				       NULL;
			}
		if (n->subnet.len > 30) {
			net_free(n);
			return berth_make_error(err, EINVAL, "subnet too small: a bridge network needs a /30 or larger"), NULL;
		}
	} else if (pick_subnet(e, &n->subnet, err) < 0) {
		net_free(n);
		return NULL;
	} else {
		n->has_subnet = true;
	}
	if (n->gateway == 0)
		n->gateway = n->subnet.addr + 1;
	{
		const char *bn = json_string_value(json_object_get(n->options, "com.docker.network.bridge.name"));
		if (bn && *bn) {
			if (strlen(bn) > 15) {
				net_free(n);
				return berth_make_error(err, EINVAL, "bridge name %s is longer than 15 bytes", bn), NULL;
			}
			n->bridge = xstrdup(bn);
		} else {
			n->bridge = xasprintf("br-%.12s", n->id);
		}
	}
	if (net_save(e, n, err) < 0) {
		net_free(n);
		return NULL;
	}
	n->next = e->networks;
	e->networks = n;
	net_event(e, n, "create", NULL);
	return json_pack("{s:s, s:s}", "Id", n->id, "Warning", "");
}

static void unlink_network(struct berth_engine *e, struct network *n)
{
	struct network **pp;

	for (pp = &e->networks; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			return;
		}
}

static int remove_network(struct berth_engine *e, struct network *n, berth_error_t *err)
{
	if (n->builtin)
		return berth_make_error(err, EPERM, "%s is a pre-defined network and cannot be removed",
					n->name);
	if (in_use(e, n))
		return berth_make_error(err, EBUSY,
					"error while removing network: network %s id %s has active endpoints",
					n->name, n->id);
	if (net_delete_row(e, n, err) < 0)
		return -1;
	/* created containers prepared with a link to it start afresh */
	for (struct container *c = e->containers; c; c = c->next)
		if (json_object_get(json_object_get(c->prep_net, "Networks"), n->name))
			crun_unprepare(e, c);
	unlink_network(e, n);
	if (n->bridge) {
		berth_error_t e2 = NULL;
		if (berth_nl_link_delete(n->bridge, &e2) < 0) {
			berth_log_warn("network %s: delete bridge %s: %s", n->name, n->bridge, e2->msg);
			berth_error_release(&e2);
		}
		if (n->up && apply_rules(e, &e2) < 0) {
			berth_log_warn("nftables: %s", e2->msg);
			berth_error_release(&e2);
		}
	}
	/* stopped containers configured for it keep its name, as docker's do */
	net_event(e, n, "destroy", NULL);
	net_free(n);
	return 0;
}

int berth_engine_network_remove(struct berth_engine *e, const char *id, berth_error_t *err)
{
	struct network *n = net_find(e, id, err);

	return n ? remove_network(e, n, err) : -1;
}

json_t *berth_engine_networks_prune(struct berth_engine *e, const struct berth_filters *f,
				    berth_error_t *err)
{
	static const char *const allowed[] = { "until", "label", "label!", NULL };
	json_t *deleted = json_array();
	struct network *n, *next;
	int64_t until = 0;

	if (f && berth_filters_validate(f, allowed, err) < 0) {
		json_decref(deleted);
		return NULL;
	}
	if (f && berth_filters_count(f, "until") > 0 &&
	    berth_time_parse_timestamp(berth_filters_value(f, "until", 0), berth_time_now_ns(),
				       &until, err) < 0) {
		json_decref(deleted);
		return NULL;
	}
	for (n = e->networks; n; n = next) {
		cleanup_free char *name = NULL;
		next = n->next;
		if (n->builtin || in_use(e, n))
			continue;
		if (until && n->created_ns >= until)
			continue;
		if (f && !berth_filters_match_labels(f, "label", n->labels))
			continue;
		if (f && berth_filters_count(f, "label!") > 0 &&
		    berth_filters_match_labels(f, "label!", n->labels))
			continue;
		name = xstrdup(n->name);
		if (remove_network(e, n, NULL) == 0)
			json_array_append_new(deleted, json_string(name));
	}
	return json_pack("{s:o}", "NetworksDeleted", deleted);
}

/* The network ID and the container BODY names, for connect and disconnect. */
static int net_and_container(struct berth_engine *e, const char *id, const json_t *body,
			     struct network **n, struct container **c, berth_error_t *err)
{
	const char *cref = json_string_value(json_object_get(body, "Container"));

	*n = net_find(e, id, err);
	if (*n == NULL)
		return -1;
	if (!cref)
		return berth_make_error(err, EINVAL, "Container is required");
	*c = cont_find(e, cref, err);
	return *c ? 0 : -1;
}

int berth_engine_network_connect(struct berth_engine *e, const char *id, const json_t *body,
				 berth_error_t *err)
{
	const json_t *cfg = json_object_get(body, "EndpointConfig");
	struct network *n;
	struct container *c;
	json_t *epc;

	if (net_and_container(e, id, body, &n, &c, err) < 0)
		return -1;
	if (strcmp(n->driver, "bridge") != 0)
		return berth_make_error(err, EPERM,
					"container cannot be disconnected from host network or "
					"connected to host network");
	if (mode_network(json_string_value(json_object_get(cont_hc(c), "NetworkMode"))) == NULL)
		return berth_make_error(err, EPERM,
					"container sharing network namespace with another container or host cannot be connected to any other network");
	if (uses_network(c, n))
		return berth_make_error(err, EPERM,
					"endpoint with name %s already exists in network %s",
					c->name + 1, n->name);
	epc = json_object_get(json_object_get(c->request, "NetworkingConfig"), "EndpointsConfig");
	if (!json_is_object(epc))
		return berth_make_error(err, EIO, "container %s has no endpoint settings", c->id);
	if (json_array_size(json_object_get(cfg, "Aliases")) > MAX_ALIASES)
		return berth_make_error(err, E2BIG, "too many aliases");
	if (crun_running(c) && connect_running(e, c, n, json_is_object(cfg) ? cfg : NULL, err) < 0)
		return -1;
	/* a prepared start has links for the old set of networks */
	crun_unprepare(e, c);
	json_object_set_new(epc, n->name, json_is_object(cfg) ? json_deep_copy(cfg) : json_object());
	if (cont_save(e, c, err) < 0)
		return -1;
	net_event(e, n, "connect", c->id);
	return 0;
}

int berth_engine_network_disconnect(struct berth_engine *e, const char *id, const json_t *body,
				    berth_error_t *err)
{
	struct network *n;
	struct container *c;
	json_t *epc;

	if (net_and_container(e, id, body, &n, &c, err) < 0)
		return -1;
	if (!uses_network(c, n))
		return berth_make_error(err, EPERM, "container %s is not connected to network %s",
					c->id, n->name);
	if (crun_running(c) && disconnect_running(e, c, n, err) < 0)
		return -1;
	crun_unprepare(e, c);
	epc = json_object_get(json_object_get(c->request, "NetworkingConfig"), "EndpointsConfig");
	json_object_del(epc, n->name);
	json_object_del(epc, n->id);
	if (cont_save(e, c, err) < 0)
		return -1;
	net_event(e, n, "disconnect", c->id);
	return 0;
}

/* --- start and end ------------------------------------------------------------------------ */

static int add_builtin(struct berth_engine *e, const char *name, const char *driver,
		       berth_error_t *err)
{
	struct network *n = new_network(name, driver);

	n->builtin = true;
	if (strcmp(driver, "bridge") == 0) {
		n->bridge = xstrdup(DEFAULT_BRIDGE);
		/* a berth0 already up (an earlier data root, dockerd's docker0
		 * alike) keeps its address, as dockerd keeps docker0's */
		if (iface_addr(DEFAULT_BRIDGE, &n->gateway, &n->subnet)) {
			n->has_subnet = true;
		} else if (pick_subnet(e, &n->subnet, err) < 0) {
			net_free(n);
			return -1;
		} else {
			n->has_subnet = true;
			n->gateway = n->subnet.addr + 1;
		}
		json_object_set_new(n->options, "com.docker.network.bridge.default_bridge",
				    json_string("true"));
		json_object_set_new(n->options, "com.docker.network.bridge.enable_icc",
				    json_string("true"));
		json_object_set_new(n->options, "com.docker.network.bridge.enable_ip_masquerade",
				    json_string("true"));
		json_object_set_new(n->options, "com.docker.network.bridge.host_binding_ipv4",
				    json_string("0.0.0.0"));
		json_object_set_new(n->options, "com.docker.network.bridge.name",
				    json_string(DEFAULT_BRIDGE));
		json_object_set_new(n->options, "com.docker.network.driver.mtu",
				    json_string("1500"));
	}
	if (net_save(e, n, err) < 0) {
		net_free(n);
		return -1;
	}
	n->next = e->networks;
	e->networks = n;
	return 0;
}

int berth_engine_networks_load(struct berth_engine *e, berth_error_t *err)
{
	sqlite3_stmt *st = berth_db_prepare(e->db, "SELECT id, doc FROM networks", err);
	struct network **tail = &e->networks;
	static const char *const builtins[][2] = { { "none", "null" },
						   { "host", "host" },
						   { "bridge", "bridge" } };
	size_t i;

	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct network *n = net_from_doc((const char *)sqlite3_column_text(st, 0),
						 (const char *)sqlite3_column_text(st, 1));
		if (n == NULL)
			continue;
		*tail = n;
		tail = &n->next;
	}
	berth_db_finish(e->db, st);
	for (i = 0; i < BERTH_ARRAY_SIZE(builtins); i++)
		if (!find_exact(e, builtins[i][0]) &&
		    add_builtin(e, builtins[i][0], builtins[i][1], err) < 0)
			return -1;
	return 0;
}

void berth_engine_networks_free(struct berth_engine *e)
{
	struct network *n;

	berth_resolver_free(e->resolver);
	e->resolver = NULL;
	while ((n = e->networks)) {
		e->networks = n->next;
		net_free(n);
	}
}
