/* test_nft.c: unit tests of net/nft.c.
 *
 * The renderer is pure: its script is compared as text. The tests that
 * apply a model run in a child process in a network namespace of its own
 * (nftables rulesets are per namespace): the host's ruleset is never
 * touched. Without CAP_SYS_ADMIN they skip. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/error.h"
#include "net/nft.h"
#include "net/nft_dl.h"

/* The child's exit status when it cannot make a network namespace. */
#define CHILD_SKIP 77

/* br-aaa: 172.18.0.0/16; br-bbb: 172.19.0.0/16, internal */
static const struct berth_nft_network two_nets[] = {
	{ "br-aaa", { 0xac120000u, 16 }, false },
	{ "br-bbb", { 0xac130000u, 16 }, true },
};

static const struct berth_nft_port two_ports[] = {
	/* tcp 8080 on every local address → 172.18.0.2:80 */
	{ false, 0, 8080, 0xac120002u, 80, "br-aaa" },
	/* udp 127.0.0.1:5353 → 172.19.0.3:53 */
	{ true, 0x7f000001u, 5353, 0xac130003u, 53, "br-bbb" },
};

/* Occurrences of NEEDLE in S. */
static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static const char expected_empty[] =
    "table ip berth {}\n"
    "delete table ip berth\n"
    "table ip berth {\n"
    "\tchain prerouting {\n"
    "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
    "\t\tfib daddr type local jump ports\n"
    "\t}\n"
    "\tchain output {\n"
    "\t\ttype nat hook output priority -100; policy accept;\n"
    "\t\tfib daddr type local jump ports\n"
    "\t}\n"
    "\tchain ports {\n"
    "\t}\n"
    "\tchain postrouting {\n"
    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
    "\t}\n"
    "\tchain forward {\n"
    "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
    "\t}\n"
    "}\n";

static void test_render_empty(void **state)
{
	struct berth_nft_model m = { NULL, 0, NULL, 0 };
	char *s = berth_nft_render(&m);

	(void)state;
	assert_string_equal(s, expected_empty);
	free(s);
}

static void test_render_two_networks(void **state)
{
	struct berth_nft_model m = { two_nets, 2, NULL, 0 };
	char *s = berth_nft_render(&m);

	(void)state;
	assert_string_equal(s, "table ip berth {}\n"
			       "delete table ip berth\n"
			       "table ip berth {\n"
			       "\tchain prerouting {\n"
			       "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
			       "\t\tfib daddr type local jump ports\n"
			       "\t}\n"
			       "\tchain output {\n"
			       "\t\ttype nat hook output priority -100; policy accept;\n"
			       "\t\tfib daddr type local jump ports\n"
			       "\t}\n"
			       "\tchain ports {\n"
			       "\t}\n"
			       "\tchain postrouting {\n"
			       "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
			       "\t\tip saddr 172.18.0.0/16 oifname != \"br-aaa\" masquerade\n"
			       "\t\tip saddr 127.0.0.0/8 oifname \"br-aaa\" masquerade\n"
			       "\t\tip saddr 172.18.0.0/16 ip daddr 172.18.0.0/16 ct status dnat "
			       "oifname \"br-aaa\" masquerade\n"
			       "\t\tip saddr 127.0.0.0/8 oifname \"br-bbb\" masquerade\n"
			       "\t\tip saddr 172.19.0.0/16 ip daddr 172.19.0.0/16 ct status dnat "
			       "oifname \"br-bbb\" masquerade\n"
			       "\t}\n"
			       "\tchain forward {\n"
			       "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
			       "\t\tiifname \"br-aaa\" oifname \"br-bbb\" drop\n"
			       "\t\tiifname \"br-bbb\" oifname \"br-aaa\" drop\n"
			       "\t\toifname \"br-aaa\" iifname != \"br-aaa\" ct state "
			       "new,invalid,untracked ct status & dnat == 0 drop\n"
			       "\t\toifname \"br-bbb\" iifname != \"br-bbb\" ct state "
			       "new,invalid,untracked ct status & dnat == 0 drop\n"
			       "\t\tiifname \"br-bbb\" oifname != \"br-bbb\" drop\n"
			       "\t\toifname \"br-bbb\" iifname != \"br-bbb\" drop\n"
			       "\t}\n"
			       "}\n");
	free(s);
}

static void test_render_ports(void **state)
{
	struct berth_nft_model m = { two_nets, 2, two_ports, 2 };
	char *s = berth_nft_render(&m);

	(void)state;
	assert_non_null(strstr(s, "\tchain ports {\n"
				  "\t\ttcp dport 8080 dnat to 172.18.0.2:80\n"
				  "\t\tip daddr 127.0.0.1 udp dport 5353 dnat to 172.19.0.3:53\n"
				  "\t}\n"));
	free(s);
}

/* Two networks on one bridge: its rules once (loopback masquerade, the
 * drop of new connections from elsewhere), each subnet's own, and no
 * isolation from itself. */
static void test_render_shared_bridge(void **state)
{
	static const struct berth_nft_network nets[] = {
		{ "br-aaa", { 0xac120000u, 16 }, false },
		{ "br-aaa", { 0xac140000u, 16 }, false }, /* 172.20.0.0/16 */
	};
	struct berth_nft_model m = { nets, 2, NULL, 0 };
	char *s = berth_nft_render(&m);

	(void)state;
	assert_string_equal(s, "table ip berth {}\n"
			       "delete table ip berth\n"
			       "table ip berth {\n"
			       "\tchain prerouting {\n"
			       "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
			       "\t\tfib daddr type local jump ports\n"
			       "\t}\n"
			       "\tchain output {\n"
			       "\t\ttype nat hook output priority -100; policy accept;\n"
			       "\t\tfib daddr type local jump ports\n"
			       "\t}\n"
			       "\tchain ports {\n"
			       "\t}\n"
			       "\tchain postrouting {\n"
			       "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
			       "\t\tip saddr 172.18.0.0/16 oifname != \"br-aaa\" masquerade\n"
			       "\t\tip saddr 127.0.0.0/8 oifname \"br-aaa\" masquerade\n"
			       "\t\tip saddr 172.18.0.0/16 ip daddr 172.18.0.0/16 ct status dnat "
			       "oifname \"br-aaa\" masquerade\n"
			       "\t\tip saddr 172.20.0.0/16 oifname != \"br-aaa\" masquerade\n"
			       "\t\tip saddr 172.20.0.0/16 ip daddr 172.20.0.0/16 ct status dnat "
			       "oifname \"br-aaa\" masquerade\n"
			       "\t}\n"
			       "\tchain forward {\n"
			       "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
			       "\t\toifname \"br-aaa\" iifname != \"br-aaa\" ct state "
			       "new,invalid,untracked ct status & dnat == 0 drop\n"
			       "\t}\n"
			       "}\n");
	free(s);
}

/* What would change the script's meaning is refused before nft runs (so
 * this test never touches the host's ruleset). */
static void test_apply_refuses_bad_model(void **state)
{
	static const struct berth_nft_network quote[] = { { "br\" accept", { 0, 8 }, false } };
	static const struct berth_nft_network longname[] = {
		{ "br-0123456789abc", { 0, 8 }, false },
	};
	static const struct berth_nft_network prefix[] = { { "br-x", { 0, 33 }, false } };
	const struct berth_nft_model bad[] = {
		{ quote, 1, NULL, 0 },
		{ longname, 1, NULL, 0 },
		{ prefix, 1, NULL, 0 },
	};
	berth_error_t err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(berth_nft_apply(&bad[i], &err) < 0);
		assert_int_equal(berth_error_code(err), EINVAL);
		berth_error_release(&err);
	}
}

/* ---- in a network namespace of its own ---- */

#define CHILD_CHECK(cond)                                                                        \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			_exit(1);                                                                \
		}                                                                                \
	} while (0)

/* CMD's text output (the caller frees it), or NULL when nft refuses it. */
static char *nft_out(const char *cmd)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	char *out = NULL;

	if (ctx == NULL)
		return NULL;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_HANDLE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, cmd) == 0)
		out = strdup(nft_ctx_get_output_buffer(ctx));
	else
		fprintf(stderr, "nft `%s`: %s", cmd, nft_ctx_get_error_buffer(ctx));
	nft_ctx_free(ctx);
	return out;
}

/* Occurrences of NEEDLE in CMD's output; (size_t)-1 when CMD fails. */
static size_t count_in(const char *cmd, const char *needle)
{
	char *out = nft_out(cmd);
	size_t n = out ? count(out, needle) : (size_t)-1;

	free(out);
	return n;
}

static int apply(const struct berth_nft_model *m)
{
	berth_error_t err = NULL;
	int ret = berth_nft_apply(m, &err);

	if (ret < 0) {
		fprintf(stderr, "berth_nft_apply: %s\n", err->msg);
		berth_error_release(&err);
	}
	return ret;
}

/* Applies twice: the table's rules are there, once. */
static void child_apply_twice(void)
{
	const struct berth_nft_model m = { two_nets, 2, two_ports, 2 };
	const char *list = "list table ip berth";

	CHILD_CHECK(apply(&m) == 0);
	for (int round = 0; round < 2; round++) {
		char *out = nft_out(list);

		CHILD_CHECK(out != NULL);
		CHILD_CHECK(count(out, "tcp dport 8080 dnat to 172.18.0.2:80") == 1);
		CHILD_CHECK(count(out, "ip daddr 127.0.0.1 udp dport 5353 dnat to 172.19.0.3:53") ==
			    1);
		CHILD_CHECK(count(out, "fib daddr type local jump ports") == 2);
		CHILD_CHECK(count(out, "oifname != \"br-aaa\" masquerade") == 1);
		CHILD_CHECK(count(out, "oifname != \"br-bbb\" masquerade") == 0);
		CHILD_CHECK(count(out, "ct status dnat") == 2);
		CHILD_CHECK(count(out, "iifname \"br-aaa\" oifname \"br-bbb\" drop") == 1);
		/* nft lists `ct status & dnat == 0` as `ct status ! dnat` */
		CHILD_CHECK(count(out, "oifname \"br-aaa\" iifname != \"br-aaa\" ct state "
				       "invalid,new,untracked ct status ! dnat drop") == 1);
		CHILD_CHECK(count(out, "oifname \"br-bbb\" iifname != \"br-bbb\" ct state "
				       "invalid,new,untracked ct status ! dnat drop") == 1);
		CHILD_CHECK(count(out, "ct state") == 2);
		CHILD_CHECK(count(out, " drop") == 6);
		CHILD_CHECK(count(out, "masquerade") == 5);
		free(out);
		if (round == 0)
			CHILD_CHECK(apply(&m) == 0);
	}
	/* a smaller model replaces the table whole */
	const struct berth_nft_model one = { two_nets, 1, NULL, 0 };
	CHILD_CHECK(apply(&one) == 0);
	CHILD_CHECK(count_in(list, "dnat to") == 0);
	CHILD_CHECK(count_in(list, "br-bbb") == 0);
	CHILD_CHECK(count_in(list, "masquerade") == 3);
	CHILD_CHECK(count_in(list, "oifname \"br-aaa\" iifname != \"br-aaa\" ct state "
				   "invalid,new,untracked ct status ! dnat drop") == 1);
	CHILD_CHECK(count_in(list, " drop") == 1);
}

/* True when `iptables -S FORWARD` (run in this namespace) exits 0: a
 * chain with an expression iptables-nft does not know makes it fail
 * ("chain `FORWARD' in table `filter' is incompatible"). True as well
 * when iptables is not installed. */
static bool iptables_reads_forward(void)
{
	static const char iptables[] = "/usr/sbin/iptables";
	int status;
	pid_t pid;

	if (access(iptables, X_OK) != 0) {
		fprintf(stderr, "%s missing: not checking that it reads FORWARD\n", iptables);
		return true;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		/* its listing on /dev/null, its errors on stderr */
		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(126);
		execl(iptables, "iptables", "-S", "FORWARD", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* With an iptables-like FORWARD chain (policy drop): two berth rules per
 * bridge there (plain accepts, so that iptables-nft still reads the
 * chain), whatever was there before, and nothing else touched. */
static void child_forward(void)
{
	const struct berth_nft_model m = { two_nets, 2, two_ports, 2 };
	const struct berth_nft_model one = { two_nets, 1, NULL, 0 };
	const char *fwd = "list chain ip filter FORWARD";
	berth_error_t err = NULL;
	char *out;

	free(nft_out("add table ip filter\n"
		     "add chain ip filter FORWARD { type filter hook forward priority 0; "
		     "policy drop; }\n"
		     "add rule ip filter FORWARD iifname \"eth9\" accept comment \"other\"\n"
		     "add rule ip filter FORWARD iifname \"br-old\" accept comment \"berth\"\n"));
	CHILD_CHECK(count_in(fwd, "comment \"berth\"") == 1);
	for (int round = 0; round < 2; round++) {
		CHILD_CHECK(apply(&m) == 0);
		out = nft_out(fwd);
		CHILD_CHECK(out != NULL);
		CHILD_CHECK(count(out, "comment \"berth\"") == 4);
		/* whole rules (a tab before, the handle after): nothing but
		 * the interface match, which iptables-nft can read */
		CHILD_CHECK(count(out, "\tiifname \"br-aaa\" accept comment \"berth\" # handle ") ==
			    1);
		CHILD_CHECK(count(out, "\toifname \"br-aaa\" accept comment \"berth\" # handle ") ==
			    1);
		CHILD_CHECK(count(out, "\tiifname \"br-bbb\" accept comment \"berth\" # handle ") ==
			    1);
		CHILD_CHECK(count(out, "\toifname \"br-bbb\" accept comment \"berth\" # handle ") ==
			    1);
		CHILD_CHECK(count(out, "ct ") == 0);
		CHILD_CHECK(count(out, "br-old") == 0);
		CHILD_CHECK(count(out, "iifname \"eth9\" accept comment \"other\"") == 1);
		CHILD_CHECK(count(out, "policy drop") == 1);
		free(out);
		CHILD_CHECK(iptables_reads_forward());
	}
	CHILD_CHECK(apply(&one) == 0);
	CHILD_CHECK(count_in(fwd, "comment \"berth\"") == 2);
	CHILD_CHECK(count_in(fwd, "br-bbb") == 0);

	CHILD_CHECK(berth_nft_remove(&err) == 0);
	CHILD_CHECK(err == NULL);
	CHILD_CHECK(count_in("list tables ip", "berth") == 0);
	CHILD_CHECK(count_in(fwd, "comment \"berth\"") == 0);
	CHILD_CHECK(count_in(fwd, "comment \"other\"") == 1);
	/* and again, with nothing to remove */
	CHILD_CHECK(berth_nft_remove(&err) == 0);
}

/* Removing from an empty ruleset (no berth table, no `ip filter`). */
static void child_remove_nothing(void)
{
	berth_error_t err = NULL;

	CHILD_CHECK(berth_nft_remove(&err) == 0);
	CHILD_CHECK(err == NULL);
	CHILD_CHECK(count_in("list ruleset", "table") == 0);
}

/* Without CAP_NET_ADMIN (in a namespace of its own all the same): EIO
 * with nft's text, for apply and remove. */
static void child_refused(void)
{
	const struct berth_nft_model m = { two_nets, 2, two_ports, 2 };
	berth_error_t apply_err = NULL, remove_err = NULL;
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int r1, r2;

	CHILD_CHECK(saved >= 0 && null >= 0);
	CHILD_CHECK(setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0);
	/* libnftables itself prints "you must be root" on stderr */
	dup2(null, STDERR_FILENO);
	r1 = berth_nft_apply(&m, &apply_err);
	r2 = berth_nft_remove(&remove_err);
	dup2(saved, STDERR_FILENO);
	CHILD_CHECK(r1 < 0 && berth_error_code(apply_err) == EIO);
	CHILD_CHECK(strstr(apply_err->msg, "nft: ") != NULL);
	CHILD_CHECK(strchr(apply_err->msg, '\n') == NULL);
	CHILD_CHECK(r2 < 0 && berth_error_code(remove_err) == EIO);
	berth_error_release(&apply_err);
	berth_error_release(&remove_err);
}

/* Runs FN in a child in a new network namespace; skips when the child
 * cannot make one. */
static void in_netns(void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		berth_error_t err = NULL;

		if (unshare(CLONE_NEWNET) < 0)
			_exit(errno == EPERM ? CHILD_SKIP : 2);
		if (berth_nft_dl_load(&err) < 0) {
			fprintf(stderr, "%s\n", err->msg);
			_exit(CHILD_SKIP);
		}
		fn();
		fflush(NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == CHILD_SKIP) {
		print_message("skipped: no network namespace (EPERM) or no libnftables\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_netns_apply_twice(void **state)
{
	(void)state;
	in_netns(child_apply_twice);
}

static void test_netns_forward(void **state)
{
	(void)state;
	in_netns(child_forward);
}

static void test_netns_remove_nothing(void **state)
{
	(void)state;
	in_netns(child_remove_nothing);
}

static void test_netns_refused(void **state)
{
	(void)state;
	in_netns(child_refused);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_empty),
		cmocka_unit_test(test_render_two_networks),
		cmocka_unit_test(test_render_ports),
		cmocka_unit_test(test_render_shared_bridge),
		cmocka_unit_test(test_apply_refuses_bad_model),
		cmocka_unit_test(test_netns_remove_nothing),
		cmocka_unit_test(test_netns_apply_twice),
		cmocka_unit_test(test_netns_forward),
		cmocka_unit_test(test_netns_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
