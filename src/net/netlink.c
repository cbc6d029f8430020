/* netlink.c: see netlink.h.
 *
 * Each exported call opens one rtnetlink socket (struct nl), sends its
 * requests one at a time with NLM_F_ACK and reads until the ACK, so an
 * answer always belongs to the request just sent. The kernel's extended
 * ACK message (NETLINK_EXT_ACK), when it gives one, is added to the error
 * text: "create veth veth0: Invalid argument (Invalid MTU)".
 *
 * Work inside another network namespace runs on a short-lived thread that
 * joins it with setns() and opens its own socket there (nl_in_netns): a
 * netlink socket belongs to the namespace of the thread that opened it,
 * and the caller's thread never changes namespace. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "net/ipam.h"
#include "net/netlink.h"

/* One buffer for a request and its answers. MNL_SOCKET_BUFFER_SIZE is not
 * a constant (it depends on the page size) and a single RTM_NEWLINK answer
 * can exceed a 4 KiB page; libmnl reports a truncated answer (ENOSPC). */
#define NL_BUF_SIZE 16384
/* The longest extended-ACK message kept for an error text. */
#define NL_EXT_MSG_MAX 128
#define NL_MAC_LEN     6

struct nl {
	struct mnl_socket *sock; /* owned */
	unsigned int portid;
	unsigned int seq;
	mnl_cb_t parse;		      /* data messages of the current request, or NULL */
	void *parse_data;	      /* borrowed: for PARSE */
	char ext_msg[NL_EXT_MSG_MAX]; /* the kernel's reason for the last refusal, or "" */
	char buf[NL_BUF_SIZE];
};

static void nl_closep(struct nl *nl)
{
	int saved = errno;

	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
	errno = saved;
}

#define cleanup_nl __attribute__((cleanup(nl_closep)))

/* What RTM_GETLINK tells of a link. */
struct link_info {
	int index;
	char kind[IFNAMSIZ]; /* IFLA_INFO_KIND ("bridge", "veth"), or "" */
	uint8_t mac[NL_MAC_LEN];
	bool has_mac;
};

/* Sets *ERR to "<context>: <strerror(E)>[ (<kernel's reason>)]" and
 * returns -E. NL may be NULL (no kernel reason). */
__attribute__((format(printf, 4, 5))) static int fail(berth_error_t *err, const struct nl *nl,
						      int e, const char *fmt, ...)
{
	cleanup_free char *ctx = NULL;
	const char *ext = nl ? nl->ext_msg : "";
	va_list ap;

	if (e <= 0)
		e = EIO;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	if (ext[0] != '\0')
		berth_make_error(err, e, "%s: %s (%s)", ctx, strerror(e), ext);
	else
		berth_make_error(err, e, "%s: %s", ctx, strerror(e));
	return -e;
}

/* Whether NAME is a valid interface name: 1..IFNAMSIZ-1 bytes, not "."
 * or "..", no '/' or ':' (the kernel's dev_valid_name), and, stricter than
 * the kernel, printable ASCII only: no whitespace or control bytes, so
 * that a name is safe to log. */
static bool name_ok(const char *name)
{
	unsigned char c;
	size_t len, i;

	if (name == NULL)
		return false;
	len = strnlen(name, IFNAMSIZ);
	if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)name[i];
		if (c <= ' ' || c > '~' || c == '/' || c == ':')
			return false;
	}
	return true;
}

static int bad_name(berth_error_t *err, const char *what, const char *name)
{
	char safe[4 * IFNAMSIZ];

	if (name == NULL)
		return fail(err, NULL, EINVAL, "%s: no name", what);
	berth_log_escape(safe, sizeof(safe), name, strnlen(name, 2 * IFNAMSIZ));
	return fail(err, NULL, EINVAL, "%s: invalid interface name `%s`", what, safe);
}

/* Keeps the kernel's extended-ACK message (NLMSGERR_ATTR_MSG). */
static int ext_ack_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: an ACK (error 0) ends the request; a refusal sets errno
 * and keeps the kernel's reason. */
static int nl_ack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (off < mnl_nlmsg_get_payload_len(nlh))
			(void)mnl_attr_parse(nlh, (unsigned int)off, ext_ack_attr_cb, nl);
	}
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

static int nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_STOP;
}

static int nl_overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	errno = ENOSPC;
	return MNL_CB_ERROR;
}

static int nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;

	return nl->parse ? nl->parse(nlh, nl->parse_data) : MNL_CB_OK;
}

/* Opens NL's socket in the calling thread's network namespace. */
static int nl_open(struct nl *nl, berth_error_t *err)
{
	int one = 1;

	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (nl->sock == NULL)
		return fail(err, NULL, errno, "open rtnetlink socket");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return fail(err, NULL, errno, "bind rtnetlink socket");
	/* best effort (older kernels): the kernel's reason for a refusal,
	 * and ACKs that do not repeat the request */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	return 0;
}

/* Starts a request of TYPE in NL's buffer. */
static struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Sends NLH (built in NL's buffer) and reads the answers up to its ACK;
 * data messages go to PARSE (may be NULL). Returns 0 or -errno, with the
 * kernel's reason in nl->ext_msg when it gave one. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t parse, void *data)
{
	/* not const: libmnl 1.0.4 takes a plain pointer; never written */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nl_ack_cb,
		[NLMSG_DONE] = nl_done_cb,
		[NLMSG_OVERRUN] = nl_overrun_cb,
	};
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	nl->ext_msg[0] = '\0';
	nl->parse = parse;
	nl->parse_data = data;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return errno ? -errno : -EIO;
	do {
		do
			n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return errno ? -errno : -EIO;
		errno = 0;
		ret = mnl_cb_run2(nl->buf, (size_t)n, seq, nl->portid, nl_data_cb, nl, ctl,
				  BERTH_ARRAY_SIZE(ctl));
	} while (ret == MNL_CB_OK);
	if (ret < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static int linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_info *info = data;
	size_t len;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) == 0) {
		len = strnlen(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
		if (len >= sizeof(info->kind))
			len = sizeof(info->kind) - 1;
		memcpy(info->kind, mnl_attr_get_payload(attr), len);
		info->kind[len] = '\0';
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_info *info = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(attr) == NL_MAC_LEN) {
			memcpy(info->mac, mnl_attr_get_payload(attr), NL_MAC_LEN);
			info->has_mac = true;
		}
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
			(void)mnl_attr_parse_nested(attr, linkinfo_attr_cb, info);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *info = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return MNL_CB_OK;
	memset(info, 0, sizeof(*info));
	info->index = ifm->ifi_index;
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, info);
}

/* Looks up the link NAME. Returns 0 or -errno (-ENODEV: none). */
static int nl_get_link(struct nl *nl, const char *name, struct link_info *info)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_GETLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	int ret;

	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	memset(info, 0, sizeof(*info));
	ret = nl_talk(nl, nlh, link_msg_cb, info);
	if (ret == 0 && info->index <= 0)
		ret = -ENODEV;
	return ret;
}

/* Sets the link INDEX (or NAME when INDEX is 0) up, with MTU if > 0. */
static int nl_link_up(struct nl *nl, int index, const char *name, unsigned int mtu)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_SETLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	if (index == 0)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* Deletes the link NAME. Returns 0 or -errno (-ENODEV: none). */
static int nl_del_link(struct nl *nl, const char *name)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_DELLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* Gives the link INDEX the IPv4 address ADDR/PREFIX_LEN (host order).
 * Having it already is success. */
static int nl_add_addr(struct nl *nl, int index, uint32_t addr, uint8_t prefix_len)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint32_t host_mask = prefix_len ? ~UINT32_C(0) << (32 - prefix_len) : 0;
	int ret;

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix_len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)index;
	mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(addr));
	mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(addr));
	/* as `ip addr add ... brd +` and docker do; /31 and /32 have none */
	if (prefix_len < 31)
		mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(addr | ~host_mask));
	ret = nl_talk(nl, nlh, NULL, NULL);
	return ret == -EEXIST ? 0 : ret;
}

/* Adds the default route via GATEWAY (host order) out of the link INDEX. */
static int nl_add_default_route(struct nl *nl, int index, uint32_t gateway)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gateway));
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
	return nl_talk(nl, nlh, NULL, NULL);
}

static const char *ip_str(uint32_t addr, char buf[INET_ADDRSTRLEN])
{
	berth_ipam_format_addr(addr, buf);
	return buf;
}

/* Deletes NAME in NL's namespace; a missing link is success. */
static int link_delete(struct nl *nl, const char *name, berth_error_t *err)
{
	int ret = nl_del_link(nl, name);

	if (ret == -ENODEV || ret == -ENOENT)
		return 0;
	if (ret < 0)
		return fail(err, nl, -ret, "delete link %s", name);
	return 0;
}

/* What a function run in another namespace works on; each uses its own
 * fields. All borrowed from the caller, which waits for the thread. */
struct ns_args {
	const struct berth_nl_endpoint *ep;
	const char *ifname;
	uint8_t *mac;
};

typedef int (*nl_ns_fn)(struct nl *nl, struct ns_args *args, berth_error_t *err);

struct ns_call {
	int netns_fd;
	nl_ns_fn fn;
	struct ns_args *args;
	berth_error_t *err; /* set by the thread, read after the join */
	int ret;
};

static void *ns_call_thread(void *data)
{
	struct ns_call *c = data;
	cleanup_nl struct nl nl = { .sock = NULL };

	/* this thread only: it ends right after, nothing else runs on it */
	if (setns(c->netns_fd, CLONE_NEWNET) < 0) {
		c->ret = fail(c->err, NULL, errno, "join network namespace (fd %d)", c->netns_fd);
		return NULL;
	}
	c->ret = nl_open(&nl, c->err);
	if (c->ret >= 0)
		c->ret = c->fn(&nl, c->args, c->err);
	return NULL;
}

/* Runs FN with a socket opened inside the network namespace NETNS_FD, on
 * a thread of its own, and returns what FN returned (*ERR set by it). */
static int nl_in_netns(int netns_fd, nl_ns_fn fn, struct ns_args *args, berth_error_t *err)
{
	struct ns_call c = { .netns_fd = netns_fd, .fn = fn, .args = args, .err = err };
	pthread_t t;
	int e;

	if (netns_fd < 0)
		return fail(err, NULL, EBADF, "network namespace fd %d", netns_fd);
	e = pthread_create(&t, NULL, ns_call_thread, &c);
	if (e != 0)
		return fail(err, NULL, e, "start network namespace thread");
	e = pthread_join(t, NULL);
	if (e != 0) /* cannot happen for a joinable thread of ours */
		abort();
	return c.ret;
}

static int bridge_create(struct nl *nl, const char *name, struct link_info *br, berth_error_t *err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct nlattr *linkinfo;
	int ret;

	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, linkinfo);
	ret = nl_talk(nl, nlh, NULL, NULL);
	if (ret < 0 && ret != -EEXIST)
		return fail(err, nl, -ret, "create bridge %s", name);
	/* made now, or there already (maybe by a concurrent call): a bridge? */
	ret = nl_get_link(nl, name, br);
	if (ret < 0)
		return fail(err, nl, -ret, "create bridge %s: look it up", name);
	if (strcmp(br->kind, "bridge") != 0) {
		berth_make_error(err, EEXIST, "create bridge %s: %s (a link of kind `%s`)", name,
				 strerror(EEXIST), br->kind[0] ? br->kind : "none");
		return -EEXIST;
	}
	return 0;
}

int berth_nl_bridge_ensure(const char *name, uint32_t addr, uint8_t prefix_len, unsigned mtu,
			   berth_error_t *err)
{
	cleanup_nl struct nl nl = { .sock = NULL };
	struct link_info br;
	char ip[INET_ADDRSTRLEN];
	int ret;

	if (!name_ok(name))
		return bad_name(err, "create bridge", name);
	if (prefix_len > 32)
		return fail(err, NULL, EINVAL, "create bridge %s: prefix length %u", name,
			    prefix_len);
	ret = nl_open(&nl, err);
	if (ret < 0)
		return ret;
	ret = bridge_create(&nl, name, &br, err);
	if (ret < 0)
		return ret;
	if (addr != 0) {
		ret = nl_add_addr(&nl, br.index, addr, prefix_len);
		if (ret < 0)
			return fail(err, &nl, -ret, "add address %s/%u to bridge %s",
				    ip_str(addr, ip), prefix_len, name);
	}
	ret = nl_link_up(&nl, br.index, NULL, mtu);
	if (ret < 0)
		return fail(err, &nl, -ret, "set bridge %s up", name);
	return 0;
}

int berth_nl_link_delete(const char *name, berth_error_t *err)
{
	cleanup_nl struct nl nl = { .sock = NULL };
	int ret;

	if (!name_ok(name))
		return bad_name(err, "delete link", name);
	ret = nl_open(&nl, err);
	if (ret < 0)
		return ret;
	return link_delete(&nl, name, err);
}

bool berth_nl_link_exists(const char *name)
{
	return name_ok(name) && if_nametoindex(name) != 0;
}

int berth_nl_nft_table_exists(const char *name)
{
	char buf[8192];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned seq = 1;
	ssize_t n;
	int ret = -1;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nl == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_IPV4;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	/* the table (NEWTABLE), then the ack; or an error */
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		int r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL);
		if (r == MNL_CB_ERROR) {
			ret = errno == ENOENT ? 0 : -1;
			break;
		}
		if (r == MNL_CB_OK)
			ret = 1; /* the table's description came */
		if (r == MNL_CB_STOP)
			break;
	}
out:
	mnl_socket_close(nl);
	return ret;
}

static int endpoint_check(const struct berth_nl_endpoint *ep, berth_error_t *err)
{
	if (!name_ok(ep->bridge))
		return bad_name(err, "create endpoint: bridge", ep->bridge);
	if (!name_ok(ep->host_if))
		return bad_name(err, "create endpoint: host interface", ep->host_if);
	if (!name_ok(ep->ifname))
		return bad_name(err, "create endpoint: container interface", ep->ifname);
	if (ep->prefix_len > 32)
		return fail(err, NULL, EINVAL, "create endpoint %s: prefix length %u", ep->host_if,
			    ep->prefix_len);
	if (ep->netns_fd < 0)
		return fail(err, NULL, EBADF, "create endpoint %s: network namespace fd %d",
			    ep->host_if, ep->netns_fd);
	return 0;
}

/* One RTM_NEWLINK makes the pair: HOST_IF here, attached to the bridge
 * BRIDGE_INDEX and up; its peer made right in the container's namespace
 * under its final name IFNAME (so no rename is needed), with its MAC and
 * MTU. The kernel does all of it or none. The peer cannot be set up in
 * the same request: the kernel configures it before the two ends are
 * paired, and a veth without its peer refuses to open (ENOTCONN). */
static int veth_create(struct nl *nl, const struct berth_nl_endpoint *ep, int bridge_index)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct ifinfomsg *peer_ifm;
	struct nlattr *linkinfo, *data, *peer;

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ep->host_if);
	if (ep->mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, ep->mtu);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)bridge_index);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* the peer's attributes follow an ifinfomsg of its own */
	peer_ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer_ifm));
	peer_ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ep->ifname);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)ep->netns_fd);
	if (ep->mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, ep->mtu);
	if (ep->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, NL_MAC_LEN, ep->mac);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* In the container's namespace: the peer up with its address, loopback
 * up, the default route (it needs the address's network). */
static int peer_setup(struct nl *nl, struct ns_args *args, berth_error_t *err)
{
	const struct berth_nl_endpoint *ep = args->ep;
	struct link_info peer;
	char ip[INET_ADDRSTRLEN];
	int ret;

	ret = nl_get_link(nl, ep->ifname, &peer);
	if (ret < 0)
		return fail(err, nl, -ret, "container interface %s", ep->ifname);
	ret = nl_link_up(nl, peer.index, NULL, 0);
	if (ret < 0)
		return fail(err, nl, -ret, "set %s up", ep->ifname);
	if (ep->addr != 0) {
		ret = nl_add_addr(nl, peer.index, ep->addr, ep->prefix_len);
		if (ret < 0)
			return fail(err, nl, -ret, "add address %s/%u to %s", ip_str(ep->addr, ip),
				    ep->prefix_len, ep->ifname);
	}
	ret = nl_link_up(nl, 0, "lo", 0);
	if (ret < 0)
		return fail(err, nl, -ret, "set lo up");
	if (ep->gateway != 0) {
		ret = nl_add_default_route(nl, peer.index, ep->gateway);
		if (ret < 0)
			return fail(err, nl, -ret, "add default route via %s dev %s",
				    ip_str(ep->gateway, ip), ep->ifname);
	}
	return 0;
}

int berth_nl_endpoint_create(const struct berth_nl_endpoint *ep, berth_error_t *err)
{
	cleanup_nl struct nl nl = { .sock = NULL };
	struct ns_args args = { .ep = ep };
	struct link_info br;
	int ret, del;

	ret = endpoint_check(ep, err);
	if (ret < 0)
		return ret;
	ret = nl_open(&nl, err);
	if (ret < 0)
		return ret;
	ret = nl_get_link(&nl, ep->bridge, &br);
	if (ret < 0)
		return fail(err, &nl, -ret, "create endpoint %s: bridge %s", ep->host_if,
			    ep->bridge);
	if (strcmp(br.kind, "bridge") != 0)
		return fail(err, NULL, EINVAL, "create endpoint %s: %s is not a bridge",
			    ep->host_if, ep->bridge);
	ret = veth_create(&nl, ep, br.index);
	if (ret < 0)
		return fail(err, &nl, -ret, "create veth %s (peer %s)", ep->host_if, ep->ifname);
	ret = nl_in_netns(ep->netns_fd, peer_setup, &args, err);
	if (ret < 0) {
		/* the peer goes with it; *err already tells the first failure */
		del = nl_del_link(&nl, ep->host_if);
		if (del < 0 && del != -ENODEV)
			berth_log_warn("delete veth %s after a failed setup: %s", ep->host_if,
				       strerror(-del));
		(void)berth_error_wrap(err, "create endpoint %s", ep->host_if);
		return ret;
	}
	return 0;
}

static int link_mac_in(struct nl *nl, struct ns_args *args, berth_error_t *err)
{
	struct link_info info;
	int ret;

	ret = nl_get_link(nl, args->ifname, &info);
	if (ret < 0)
		return fail(err, nl, -ret, "link %s", args->ifname);
	if (!info.has_mac)
		return fail(err, NULL, EINVAL, "link %s: no ethernet address", args->ifname);
	memcpy(args->mac, info.mac, NL_MAC_LEN);
	return 0;
}

int berth_nl_link_mac(int netns_fd, const char *ifname, uint8_t mac[6], berth_error_t *err)
{
	struct ns_args args = { .ifname = ifname, .mac = mac };

	if (!name_ok(ifname))
		return bad_name(err, "link address", ifname);
	return nl_in_netns(netns_fd, link_mac_in, &args, err);
}

static int link_delete_in(struct nl *nl, struct ns_args *args, berth_error_t *err)
{
	return link_delete(nl, args->ifname, err);
}

int berth_nl_link_delete_in(int netns_fd, const char *ifname, berth_error_t *err)
{
	struct ns_args args = { .ifname = ifname };

	if (!name_ok(ifname))
		return bad_name(err, "delete link", ifname);
	return nl_in_netns(netns_fd, link_delete_in, &args, err);
}
