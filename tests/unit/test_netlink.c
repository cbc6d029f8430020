/* test_netlink.c: unit tests of net/netlink.c.
 *
 * The host's network is never touched: each test forks a child that
 * unshares a network namespace of its own (the "host" of the test) and
 * makes further ones for "containers". The child checks what it can see
 * with ioctls, getifaddrs, /proc/self/net/route and a raw RTM_GETLINK, and
 * reports through its exit status: 0 passed, SKIP_STATUS skipped (no
 * privilege, or no bridge/veth support), anything else failed (the reason
 * is on stderr). An alarm bounds each child. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "net/netlink.h"

#define SKIP_STATUS	77
#define CHILD_TIMEOUT_S 20
#define BR		"br-berthtest"
#define NET(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

/* The child's error slot: every call under test gets &err. */
static berth_error_t err;

static __attribute__((noreturn)) void die(int line, const char *what, int ret)
{
	fprintf(stderr, "test_netlink.c:%d: %s (returned %d; error: %s)\n", line, what, ret,
		err ? err->msg : "none");
	_exit(1);
}

#define CHECK(cond)                              \
	do {                                     \
		if (!(cond))                     \
			die(__LINE__, #cond, 0); \
	} while (0)

/* CALL succeeds and leaves err alone. */
#define OK(call)                                  \
	do {                                      \
		int r_ = (call);                  \
		if (r_ < 0 || err != NULL)        \
			die(__LINE__, #call, r_); \
	} while (0)

/* CALL fails with -CODE and err says CODE (and has a message). */
#define FAILS(call, code)                                                                   \
	do {                                                                                \
		int r_ = (call);                                                            \
		if (r_ != -(code) || berth_error_code(err) != (code) || err->msg == NULL || \
		    err->msg[0] == '\0')                                                    \
			die(__LINE__, #call " should fail with " #code, r_);                \
		berth_error_release(&err);                                                  \
	} while (0)

/* In a forked child in a new network namespace, runs FN; the test passes,
 * fails or skips on the child's exit status. */
static void run_in_netns(void (*fn)(void))
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(CHILD_TIMEOUT_S);
		if (unshare(CLONE_NEWNET) < 0) {
			fprintf(stderr, "skip: unshare(CLONE_NEWNET): %s\n", strerror(errno));
			_exit(errno == EPERM ? SKIP_STATUS : 1);
		}
		fn();
		berth_error_release(&err);
		exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS)
		skip();
	if (WIFSIGNALED(status))
		fprintf(stderr, "child killed by signal %d\n", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The bridge BR with 10.99.0.1/24; skips when the kernel has no bridges. */
static void make_bridge(void)
{
	int ret = berth_nl_bridge_ensure(BR, NET(10, 99, 0, 1), 24, 1400, &err);

	if (ret == -EOPNOTSUPP) {
		fprintf(stderr, "skip: no bridge support: %s\n", err->msg);
		_exit(SKIP_STATUS);
	}
	OK(ret);
}

static int ns_fd_self(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	return fd;
}

/* A new network namespace (a "container"); the child stays where it is. */
static int new_netns(void)
{
	cleanup_close int self = ns_fd_self();
	int fd;

	CHECK(unshare(CLONE_NEWNET) == 0);
	fd = ns_fd_self();
	CHECK(setns(self, CLONE_NEWNET) == 0);
	return fd;
}

static int ifreq_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(s >= 0);
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	return ioctl(s, req, ifr);
}

static bool link_up(const char *name)
{
	struct ifreq ifr;

	return ifreq_ioctl(name, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
}

static int link_mtu(const char *name)
{
	struct ifreq ifr;

	return ifreq_ioctl(name, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : -1;
}

/* How many IPv4 addresses NAME has; *FIRST and *MASK: the first one's
 * (host order). */
static int ipv4_addrs(const char *name, uint32_t *first, uint32_t *mask)
{
	struct ifaddrs *all = NULL, *i;
	int n = 0;

	CHECK(getifaddrs(&all) == 0);
	for (i = all; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, name))
			continue;
		if (n++ == 0) {
			*first =
			    ntohl(((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr);
			*mask =
			    ntohl(((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr.s_addr);
		}
	}
	freeifaddrs(all);
	return n;
}

/* The gateway (host order) of IFACE's default route, or 0: read from
 * /proc/self/net/route, which shows the reader's namespace. */
static uint32_t default_gateway(const char *iface)
{
	cleanup_file FILE *f = fopen("/proc/self/net/route", "re");
	char line[256], dev[IFNAMSIZ + 1];
	unsigned int dst, gw;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%16s %x %x", dev, &dst, &gw) == 3 && dst == 0 &&
		    strcmp(dev, iface) == 0)
			return ntohl(gw); /* printed as the raw network-order word */
	}
	return 0;
}

static int master_attr_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == IFLA_MASTER)
		*(uint32_t *)data = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int master_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), master_attr_cb, data);
}

/* The ifindex of the link NAME's master (its bridge), or 0: a plain
 * RTM_GETLINK, independent of the code under test. */
static uint32_t link_master(const char *name)
{
	char buf[16384];
	struct mnl_socket *s = mnl_socket_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	uint32_t master = 0;
	ssize_t n;

	CHECK(s != NULL && mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) == 0);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)if_nametoindex(name);
	CHECK(ifm->ifi_index > 0);
	CHECK(mnl_socket_sendto(s, nlh, nlh->nlmsg_len) >= 0);
	n = mnl_socket_recvfrom(s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(s), master_msg_cb, &master) >= 0);
	mnl_socket_close(s);
	return master;
}

static void bad_names_child(void)
{
	static const char *const bad[] = {
		"",	 "0123456789abcdef", "a/b", "a b", "a\tb", "a\nb", ".", "..", "a:b",
		"a\x01", "a\xc3\xa9",
	};
	struct berth_nl_endpoint ep = {
		.bridge = BR,
		.host_if = "vethtest0",
		.netns_fd = 0,
		.ifname = "eth0",
	};
	uint8_t mac[6];
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		FAILS(berth_nl_bridge_ensure(bad[i], 0, 0, 0, &err), EINVAL);
		FAILS(berth_nl_link_delete(bad[i], &err), EINVAL);
		CHECK(!berth_nl_link_exists(bad[i]));
		FAILS(berth_nl_link_mac(0, bad[i], mac, &err), EINVAL);
		FAILS(berth_nl_link_delete_in(0, bad[i], &err), EINVAL);
		ep.ifname = bad[i];
		FAILS(berth_nl_endpoint_create(&ep, &err), EINVAL);
		ep.ifname = "eth0";
		ep.host_if = bad[i];
		FAILS(berth_nl_endpoint_create(&ep, &err), EINVAL);
		ep.host_if = "vethtest0";
		ep.bridge = bad[i];
		FAILS(berth_nl_endpoint_create(&ep, &err), EINVAL);
		ep.bridge = BR;
	}
	FAILS(berth_nl_bridge_ensure(NULL, 0, 0, 0, &err), EINVAL);
	CHECK(!berth_nl_link_exists(NULL));
	FAILS(berth_nl_bridge_ensure("brx", NET(10, 0, 0, 1), 33, 0, &err), EINVAL);
	/* nothing was made */
	CHECK(!berth_nl_link_exists(BR) && !berth_nl_link_exists("vethtest0"));
	/* IFNAMSIZ-1 bytes is the longest name */
	OK(berth_nl_bridge_ensure("abcdefghijklmno", 0, 0, 0, &err));
	CHECK(berth_nl_link_exists("abcdefghijklmno"));
}

/* Names are checked before anything is sent. */
static void test_bad_names(void **state)
{
	run_in_netns(bad_names_child);
}

static void bridge_ensure_child(void)
{
	uint32_t addr = 0, mask = 0;

	make_bridge();
	CHECK(berth_nl_link_exists(BR));
	CHECK(link_up(BR));
	CHECK(link_mtu(BR) == 1400);
	CHECK(ipv4_addrs(BR, &addr, &mask) == 1);
	CHECK(addr == NET(10, 99, 0, 1) && mask == NET(255, 255, 255, 0));
	/* idempotent: the same call again changes nothing */
	OK(berth_nl_bridge_ensure(BR, NET(10, 99, 0, 1), 24, 1400, &err));
	CHECK(ipv4_addrs(BR, &addr, &mask) == 1);
	CHECK(link_up(BR) && link_mtu(BR) == 1400);
	/* no address, no MTU: left as they are */
	OK(berth_nl_bridge_ensure(BR, 0, 0, 0, &err));
	CHECK(ipv4_addrs(BR, &addr, &mask) == 1 && link_mtu(BR) == 1400);
	/* a new MTU is applied */
	OK(berth_nl_bridge_ensure(BR, NET(10, 99, 0, 1), 24, 1450, &err));
	CHECK(link_mtu(BR) == 1450);
	/* a bridge without an address */
	OK(berth_nl_bridge_ensure("br-bare", 0, 0, 0, &err));
	CHECK(link_up("br-bare") && ipv4_addrs("br-bare", &addr, &mask) == 0);
	/* a link of another kind (loopback has none) */
	FAILS(berth_nl_bridge_ensure("lo", NET(10, 98, 0, 1), 24, 0, &err), EEXIST);
	CHECK(ipv4_addrs("lo", &addr, &mask) == 0);
}

static void test_bridge_ensure(void **state)
{
	run_in_netns(bridge_ensure_child);
}

static void link_delete_child(void)
{
	cleanup_close int cfd = new_netns();

	OK(berth_nl_link_delete("nosuch0", &err));
	OK(berth_nl_link_delete_in(cfd, "nosuch0", &err));
	make_bridge();
	OK(berth_nl_link_delete(BR, &err));
	CHECK(!berth_nl_link_exists(BR));
	OK(berth_nl_link_delete(BR, &err));
	/* a bad namespace fd */
	FAILS(berth_nl_link_delete_in(-1, "eth0", &err), EBADF);
}

static void test_link_delete(void **state)
{
	run_in_netns(link_delete_child);
}

/* In the namespace NS_FD, the checks of one endpoint; then back to HOME. */
static void check_container(int ns_fd, int home, const char *ifname, unsigned int mtu,
			    uint32_t addr, uint32_t gateway)
{
	uint32_t a = 0, mask = 0;

	CHECK(setns(ns_fd, CLONE_NEWNET) == 0);
	CHECK(berth_nl_link_exists(ifname));
	CHECK(link_up(ifname) && link_up("lo"));
	CHECK(link_mtu(ifname) == (int)mtu);
	CHECK(ipv4_addrs(ifname, &a, &mask) == 1);
	CHECK(a == addr && mask == NET(255, 255, 255, 0));
	CHECK(default_gateway(ifname) == gateway);
	CHECK(setns(home, CLONE_NEWNET) == 0);
}

static void endpoint_create_child(void)
{
	static const uint8_t mac[6] = { 0x02, 0x42, 0x0a, 0x63, 0x00, 0x02 };
	cleanup_close int home = ns_fd_self();
	cleanup_close int cfd = new_netns();
	struct berth_nl_endpoint ep = {
		.bridge = BR,
		.host_if = "vethtest0",
		.netns_fd = cfd,
		.ifname = "eth0",
		.addr = NET(10, 99, 0, 2),
		.prefix_len = 24,
		.mac = mac,
		.gateway = NET(10, 99, 0, 1),
		.mtu = 1400,
	};
	uint8_t got[6] = { 0 };

	make_bridge();
	OK(berth_nl_endpoint_create(&ep, &err));
	/* the host end: here, up, on the bridge; the peer is not here */
	CHECK(berth_nl_link_exists("vethtest0") && !berth_nl_link_exists("eth0"));
	CHECK(link_up("vethtest0") && link_mtu("vethtest0") == 1400);
	CHECK(link_master("vethtest0") == if_nametoindex(BR));
	OK(berth_nl_link_mac(cfd, "eth0", got, &err));
	CHECK(memcmp(got, mac, sizeof(mac)) == 0);
	check_container(cfd, home, "eth0", 1400, NET(10, 99, 0, 2), NET(10, 99, 0, 1));

	/* a second network: no gateway, the kernel's MAC, default MTU */
	OK(berth_nl_bridge_ensure("br-two", NET(10, 98, 0, 1), 24, 0, &err));
	ep = (struct berth_nl_endpoint){
		.bridge = "br-two",
		.host_if = "vethtest1",
		.netns_fd = cfd,
		.ifname = "eth1",
		.addr = NET(10, 98, 0, 2),
		.prefix_len = 24,
	};
	OK(berth_nl_endpoint_create(&ep, &err));
	CHECK(link_master("vethtest1") == if_nametoindex("br-two"));
	memset(got, 0, sizeof(got));
	OK(berth_nl_link_mac(cfd, "eth1", got, &err));
	CHECK(memcmp(got, (uint8_t[6]){ 0 }, sizeof(got)) != 0 && !(got[0] & 1));
	check_container(cfd, home, "eth1", 1500, NET(10, 98, 0, 2), 0);
	check_container(cfd, home, "eth0", 1400, NET(10, 99, 0, 2), NET(10, 99, 0, 1));

	/* deleting the container end deletes the host end */
	OK(berth_nl_link_delete_in(cfd, "eth0", &err));
	CHECK(!berth_nl_link_exists("vethtest0") && berth_nl_link_exists("vethtest1"));
	OK(berth_nl_link_delete_in(cfd, "eth0", &err));
	FAILS(berth_nl_link_mac(cfd, "eth0", got, &err), ENODEV);
	/* and the other way round */
	OK(berth_nl_link_delete("vethtest1", &err));
	FAILS(berth_nl_link_mac(cfd, "eth1", got, &err), ENODEV);
}

static void test_endpoint_create(void **state)
{
	run_in_netns(endpoint_create_child);
}

static void endpoint_failure_child(void)
{
	cleanup_close int home = ns_fd_self();
	cleanup_close int cfd = new_netns();
	cleanup_close int not_ns = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct berth_nl_endpoint ep = {
		.bridge = BR,
		.host_if = "vethtest0",
		.netns_fd = cfd,
		.ifname = "eth0",
		.addr = NET(10, 99, 0, 2),
		.prefix_len = 24,
		.gateway = NET(10, 99, 0, 1),
	};

	/* no bridge yet */
	FAILS(berth_nl_endpoint_create(&ep, &err), ENODEV);
	CHECK(!berth_nl_link_exists("vethtest0"));
	/* "lo" is not a bridge */
	ep.bridge = "lo";
	FAILS(berth_nl_endpoint_create(&ep, &err), EINVAL);
	ep.bridge = BR;
	make_bridge();
	/* the container part fails (gateway off the network): all undone */
	ep.gateway = NET(192, 168, 77, 1);
	CHECK(berth_nl_endpoint_create(&ep, &err) < 0 && err != NULL);
	berth_error_release(&err);
	CHECK(!berth_nl_link_exists("vethtest0"));
	CHECK(setns(cfd, CLONE_NEWNET) == 0);
	CHECK(!berth_nl_link_exists("eth0"));
	CHECK(setns(home, CLONE_NEWNET) == 0);
	/* not a namespace */
	ep.gateway = NET(10, 99, 0, 1);
	ep.netns_fd = not_ns;
	CHECK(berth_nl_endpoint_create(&ep, &err) < 0 && err != NULL);
	berth_error_release(&err);
	CHECK(!berth_nl_link_exists("vethtest0"));
	ep.netns_fd = -1;
	FAILS(berth_nl_endpoint_create(&ep, &err), EBADF);
	/* a host end that exists already is not ours to delete */
	ep.netns_fd = cfd;
	OK(berth_nl_endpoint_create(&ep, &err));
	ep.ifname = "eth1";
	FAILS(berth_nl_endpoint_create(&ep, &err), EEXIST);
	CHECK(berth_nl_link_exists("vethtest0"));
	/* a peer name taken in the container */
	ep.host_if = "vethtest1";
	ep.ifname = "eth0";
	ep.gateway = 0;
	FAILS(berth_nl_endpoint_create(&ep, &err), EEXIST);
	CHECK(!berth_nl_link_exists("vethtest1"));
	check_container(cfd, home, "eth0", 1500, NET(10, 99, 0, 2), NET(10, 99, 0, 1));
}

/* A failed endpoint_create leaves nothing behind. */
static void test_endpoint_create_failure(void **state)
{
	run_in_netns(endpoint_failure_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bridge_ensure),
		cmocka_unit_test(test_link_delete),
		cmocka_unit_test(test_endpoint_create),
		cmocka_unit_test(test_endpoint_create_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
