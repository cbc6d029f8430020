/* nft.c: see nft.h.
 *
 * Every change is one nft script run with one nft_run_cmd_from_buffer, so
 * the kernel applies it as one transaction: all of it or nothing. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/cleanup.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "net/nft.h"

/* The loader: define the table while the real names are visible, then
 * include nft_dl.h again to call every function through it. */
#define BERTH_LAZYLIB_LOADER 1
#include "net/nft_dl.h"
#define BERTH_LAZYLIB_SYM_nft(f) *(void **)&nft_api.f = berth_lazylib_symbol(&nft_lib, #f);
BERTH_LAZYLIB_DEFINE(nft, NFT, "libnftables.so.1")
#undef BERTH_LAZYLIB_LOADER
#include "net/nft_dl.h"

/* Creating an empty table is a no-op when it exists: deleting it then
 * never fails, so the script replaces the table or creates it. */
#define NFT_DROP_TABLE "table ip berth {}\ndelete table ip berth\n"
/* The comment that marks berth's rules in another tool's FORWARD chain. */
#define NFT_COMMENT "berth"
/* Bytes of `list` output parsed (dockerd's FORWARD chain is a few KB). */
#define NFT_LIST_MAX (16u << 20)
/* Bytes of nft's error text kept in an error message. */
#define NFT_ERROR_MAX 512
/* The FORWARD rules' handles are read before the transaction: another
 * tool changing that chain in between makes it fail, so read again. */
#define NFT_ATTEMPTS 3
/* Linux's IFNAMSIZ, with the NUL. */
#define NFT_IFNAMSIZ 16

/* Serialises list-then-apply between threads of the daemon. */
static pthread_mutex_t nft_lock = PTHREAD_MUTEX_INITIALIZER;

static void nft_unlockp(pthread_mutex_t **m)
{
	if (*m)
		pthread_mutex_unlock(*m);
}

static void nft_ctxp_free(struct nft_ctx **ctx)
{
	int saved = errno;

	if (*ctx)
		nft_ctx_free(*ctx);
	*ctx = NULL;
	errno = saved;
}

static void nft_json_decrefp(json_t **j)
{
	json_decref(*j);
	*j = NULL;
}

#define cleanup_nft_ctx	   __attribute__((cleanup(nft_ctxp_free)))
#define cleanup_nft_json   __attribute__((cleanup(nft_json_decrefp)))
#define cleanup_nft_unlock __attribute__((cleanup(nft_unlockp)))


/* True when NETS[I]'s bridge already appeared before I (two networks on
 * one bridge get its rules once). */
static bool bridge_seen(const struct berth_nft_model *m, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(m->nets[j].bridge, m->nets[i].bridge) == 0)
			return true;
	return false;
}

/* One published port in chain `ports`. */
static void render_port(struct berth_strbuf *sb, const struct berth_nft_port *p)
{
	char host[16], ctr[16];

	berth_strbuf_puts(sb, "\t\t");
	if (p->host_ip != 0) {
		berth_ipam_format_addr(p->host_ip, host);
		berth_strbuf_printf(sb, "ip daddr %s ", host);
	}
	berth_ipam_format_addr(p->ctr_ip, ctr);
	berth_strbuf_printf(sb, "%s dport %u dnat to %s:%u\n", p->udp ? "udp" : "tcp",
			    (unsigned)p->host_port, ctr, (unsigned)p->ctr_port);
}

/* The nat chains that DNAT a local address's published ports: from the
 * outside (prerouting) and from the host itself (output). */
static void render_dnat(struct berth_strbuf *sb, const struct berth_nft_model *m)
{
	berth_strbuf_puts(sb, "\tchain prerouting {\n"
			      "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
			      "\t\tfib daddr type local jump ports\n"
			      "\t}\n"
			      "\tchain output {\n"
			      "\t\ttype nat hook output priority -100; policy accept;\n"
			      "\t\tfib daddr type local jump ports\n"
			      "\t}\n"
			      "\tchain ports {\n");
	for (size_t i = 0; i < m->n_ports; i++)
		render_port(sb, &m->ports[i]);
	berth_strbuf_puts(sb, "\t}\n");
}

/* Masquerading: a network's traffic leaving its bridge (unless internal),
 * the loopback path of a published port, and hairpin. */
static void render_postrouting(struct berth_strbuf *sb, const struct berth_nft_model *m)
{
	char subnet[19];

	berth_strbuf_puts(sb, "\tchain postrouting {\n"
			      "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	for (size_t i = 0; i < m->n_nets; i++) {
		const struct berth_nft_network *n = &m->nets[i];

		berth_ipam_format_prefix(&n->subnet, subnet);
		if (!n->internal)
			berth_strbuf_printf(sb, "\t\tip saddr %s oifname != \"%s\" masquerade\n",
					    subnet, n->bridge);
		if (!bridge_seen(m, i))
			berth_strbuf_printf(
			    sb, "\t\tip saddr 127.0.0.0/8 oifname \"%s\" masquerade\n", n->bridge);
		berth_strbuf_printf(sb,
				    "\t\tip saddr %s ip daddr %s ct status dnat oifname \"%s\" "
				    "masquerade\n",
				    subnet, subnet, n->bridge);
	}
	berth_strbuf_puts(sb, "\t}\n");
}

/* Isolation. Priority filter - 10 runs it before iptables-nft's FORWARD
 * (priority filter), whose accept rules from berth_nft_apply would
 * otherwise let traffic between two bridges through. */
static void render_forward(struct berth_strbuf *sb, const struct berth_nft_model *m)
{
	berth_strbuf_puts(sb,
			  "\tchain forward {\n"
			  "\t\ttype filter hook forward priority filter - 10; policy accept;\n");
	for (size_t i = 0; i < m->n_nets; i++) {
		const char *a = m->nets[i].bridge;

		if (bridge_seen(m, i))
			continue;
		for (size_t j = 0; j < m->n_nets; j++)
			if (strcmp(a, m->nets[j].bridge) != 0 && !bridge_seen(m, j))
				berth_strbuf_printf(sb, "\t\tiifname \"%s\" oifname \"%s\" drop\n",
						    a, m->nets[j].bridge);
	}
	/* from elsewhere into a bridge: replies, and new connections only to
	 * a published port (DNAT), as docker's DOCKER chain */
	for (size_t i = 0; i < m->n_nets; i++) {
		const char *b = m->nets[i].bridge;

		if (bridge_seen(m, i))
			continue;
		berth_strbuf_printf(sb,
				    "\t\toifname \"%s\" iifname != \"%s\" ct state "
				    "new,invalid,untracked ct status & dnat == 0 drop\n",
				    b, b);
	}
	for (size_t i = 0; i < m->n_nets; i++) {
		const char *x = m->nets[i].bridge;

		if (!m->nets[i].internal)
			continue;
		berth_strbuf_printf(sb, "\t\tiifname \"%s\" oifname != \"%s\" drop\n", x, x);
		berth_strbuf_printf(sb, "\t\toifname \"%s\" iifname != \"%s\" drop\n", x, x);
	}
	berth_strbuf_puts(sb, "\t}\n");
}

char *berth_nft_render(const struct berth_nft_model *m)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;

	berth_strbuf_puts(&sb, NFT_DROP_TABLE "table ip berth {\n");
	render_dnat(&sb, m);
	render_postrouting(&sb, m);
	render_forward(&sb, m);
	berth_strbuf_puts(&sb, "}\n");
	return berth_strbuf_steal(&sb);
}

/* A bridge name nft can quote and Linux accepts: 1..15 of [A-Za-z0-9_.-]. */
static bool valid_ifname(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= NFT_IFNAMSIZ)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The rendered script quotes bridge names and prints prefixes as given:
 * refuse what would make it mean something else. */
static int check_model(const struct berth_nft_model *m, berth_error_t *err)
{
	for (size_t i = 0; i < m->n_nets; i++) {
		if (!valid_ifname(m->nets[i].bridge))
			return berth_make_error(err, EINVAL, "network %zu: invalid bridge name", i);
		if (m->nets[i].subnet.len > 32)
			return berth_make_error(err, EINVAL,
						"network %zu: invalid prefix length %u", i,
						(unsigned)m->nets[i].subnet.len);
	}
	return 0;
}

/* EIO with the first of nft's errors, on one line: its message and the
 * command it refers to ("Error: ...", then the command, then carets).
 * Warnings printed before it are skipped. */
static int nft_error(const char *text, berth_error_t *err)
{
	const char *first, *cmd, *end;
	int len, cmd_len;

	if (text == NULL || *text == '\0')
		return berth_make_error(err, EIO, "nft: failed without a message");
	first = strstr(text, "Error:");
	if (first == NULL)
		first = text;
	while (first > text && first[-1] != '\n')
		first--;
	end = strchr(first, '\n');
	len = end ? (int)(end - first) : (int)strlen(first);
	cmd = end ? end + 1 : "";
	end = strchr(cmd, '\n');
	cmd_len = end ? (int)(end - cmd) : (int)strlen(cmd);
	if (len > NFT_ERROR_MAX)
		len = NFT_ERROR_MAX;
	if (cmd_len > NFT_ERROR_MAX)
		cmd_len = NFT_ERROR_MAX;
	if (cmd_len == 0 || strstr(cmd, "Error:") == cmd)
		return berth_make_error(err, EIO, "nft: %.*s", len, first);
	return berth_make_error(err, EIO, "nft: %.*s in `%.*s`", len, first, cmd_len, cmd);
}

/* Runs CMDS in one transaction with output FLAGS; *OUT (when OUT is not
 * NULL) gets what nft printed. A new context each time: its cache is
 * never stale. */
static int nft_run(const char *cmds, unsigned int flags, char **out, berth_error_t *err)
{
	cleanup_nft_ctx struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx == NULL)
		return berth_make_error(err, ENOMEM, "nft: cannot create a context");
	nft_ctx_output_set_flags(ctx, flags);
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0)
		return berth_make_error(err, EIO, "nft: cannot buffer its output");
	if (nft_run_cmd_from_buffer(ctx, cmds) != 0)
		return nft_error(nft_ctx_get_error_buffer(ctx), err);
	if (out != NULL)
		*out = xstrdup(nft_ctx_get_output_buffer(ctx));
	return 0;
}

/* CMD's output in JSON, with handles; the caller decrefs it. */
static json_t *nft_list(const char *cmd, berth_error_t *err)
{
	cleanup_free char *out = NULL;
	json_error_t jerr;
	json_t *root;

	if (nft_run(cmd, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE, &out, err) < 0)
		return NULL;
	if (strlen(out) > NFT_LIST_MAX) {
		berth_make_error(err, EIO, "nft: `%s` printed more than %u bytes", cmd,
				 NFT_LIST_MAX);
		return NULL;
	}
	root = json_loads(out, 0, &jerr);
	if (root == NULL)
		berth_make_error(err, EIO, "nft: `%s` printed invalid json: %s", cmd, jerr.text);
	return root;
}

/* True when OBJ (a "chain" or "rule" object) belongs to `ip filter`, and
 * its chain is FORWARD. */
static bool in_ip_filter_forward(json_t *obj, const char *name_key)
{
	const char *family = json_string_value(json_object_get(obj, "family"));
	const char *table = json_string_value(json_object_get(obj, "table"));
	const char *name = json_string_value(json_object_get(obj, name_key));

	return family && table && name && strcmp(family, "ip") == 0 &&
	       strcmp(table, "filter") == 0 && strcmp(name, "FORWARD") == 0;
}

/* 1 when `ip filter` has a FORWARD chain, 0 when not. */
static int forward_exists(berth_error_t *err)
{
	cleanup_nft_json json_t *root = nft_list("list chains ip", err);
	json_t *item;
	size_t i;

	if (root == NULL)
		return -1;
	json_array_foreach (json_object_get(root, "nftables"), i, item) {
		json_t *chain = json_object_get(item, "chain");

		if (chain != NULL && in_ip_filter_forward(chain, "name"))
			return 1;
	}
	return 0;
}

/* Appends to SB the deletion of every rule of `ip filter` FORWARD whose
 * comment is "berth". */
static int forward_delete_ours(struct berth_strbuf *sb, berth_error_t *err)
{
	cleanup_nft_json json_t *root = nft_list("list chain ip filter FORWARD", err);
	json_t *item;
	size_t i;

	if (root == NULL)
		return -1;
	json_array_foreach (json_object_get(root, "nftables"), i, item) {
		json_t *rule = json_object_get(item, "rule");
		const char *comment = json_string_value(json_object_get(rule, "comment"));
		json_t *handle = json_object_get(rule, "handle");

		if (rule == NULL || !in_ip_filter_forward(rule, "chain") || comment == NULL ||
		    strcmp(comment, NFT_COMMENT) != 0 || !json_is_integer(handle))
			continue;
		berth_strbuf_printf(
		    sb, "delete rule ip filter FORWARD handle %" JSON_INTEGER_FORMAT "\n",
		    json_integer_value(handle));
	}
	return 0;
}

/* Appends to SB what keeps `ip filter` FORWARD (when it exists) from
 * dropping M's traffic: its berth rules deleted, and for each bridge of M
 * (none when M is NULL) the two accept rules. 1 when the chain exists, 0
 * (and nothing appended) when not. */
static int forward_script(const struct berth_nft_model *m, struct berth_strbuf *sb,
			  berth_error_t *err)
{
	int ret = forward_exists(err);

	if (ret <= 0)
		return ret;
	if (forward_delete_ours(sb, err) < 0)
		return -1;
	for (size_t i = 0; m != NULL && i < m->n_nets; i++) {
		const char *b = m->nets[i].bridge;

		if (bridge_seen(m, i))
			continue;
		berth_strbuf_printf(sb,
				    "insert rule ip filter FORWARD iifname \"%s\" accept "
				    "comment \"" NFT_COMMENT "\"\n",
				    b);
		/* plain: iptables-nft must still read the chain (`iptables -S`
		 * fails on a native ct expression); the state check is in
		 * berth's own forward chain, which runs first */
		berth_strbuf_printf(sb,
				    "insert rule ip filter FORWARD oifname \"%s\" accept "
				    "comment \"" NFT_COMMENT "\"\n",
				    b);
	}
	return 1;
}

/* Runs BASE plus the FORWARD part for M in one transaction. The FORWARD
 * part is read from the kernel first: when the transaction fails, another
 * tool (dockerd, firewalld) may have changed that chain in between, so it
 * is read again. */
static int apply_script(const char *base, const struct berth_nft_model *m, berth_error_t *err)
{
	cleanup_nft_unlock pthread_mutex_t *lock = NULL;
	bool forward;
	int ret;

	ret = berth_nft_dl_load(err);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&nft_lock);
	lock = &nft_lock;
	for (int attempt = 1;; attempt++) {
		cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;

		berth_strbuf_puts(&sb, base);
		ret = forward_script(m, &sb, err);
		if (ret < 0)
			return berth_error_wrap(err, "`ip filter` FORWARD");
		forward = ret > 0;
		ret = nft_run(sb.buf, 0, NULL, err);
		if (ret >= 0 || !forward || attempt == NFT_ATTEMPTS)
			return ret;
		berth_error_release(err);
	}
}

int berth_nft_apply(const struct berth_nft_model *m, berth_error_t *err)
{
	cleanup_free char *script = NULL;
	int ret;

	ret = check_model(m, err);
	if (ret < 0)
		return ret;
	script = berth_nft_render(m);
	ret = apply_script(script, m, err);
	if (ret < 0)
		return ret;
	return 0;
}

int berth_nft_remove(berth_error_t *err)
{
	int ret = apply_script(NFT_DROP_TABLE, NULL, err);

	if (ret < 0)
		return ret;
	return 0;
}
