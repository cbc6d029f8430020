/* cmd_network.c: `berth network`, docker's management command for
 * networks, and its smaller subcommands: rm, prune, connect and
 * disconnect (create, ls and inspect have files of their own). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"
#include "cli/network_internal.h"

static const char prune_warning[] =
    "WARNING! This will remove all custom networks not used by at least one container.\n"
    "Are you sure you want to continue?";

/* ---- shared ---- */

char *berth_cli_network_path(const char *name, const char *suffix)
{
	cleanup_free char *img = berth_cli_image_path(name, suffix);

	return xasprintf("/networks/%s", img + strlen("/images/"));
}

int berth_cli_network_trim_id(const char *kind, const char *s, char **out, berth_error_t *err)
{
	cleanup_free char *trimmed = berth_cli_trim_space(s, strlen(s));

	if (*trimmed == '\0')
		return berth_make_error(err, EINVAL, "invalid %s name or ID: value is empty", kind);
	*out = steal_pointer(&trimmed);
	return 0;
}

/* ---- rm ---- */

struct rm_opts {
	bool force;
};

static const struct berth_opt rm_options[] = {
	{ "force", 'f', BERTH_OPT_BOOL, offsetof(struct rm_opts, force), NULL,
	  "Do not error if the network does not exist", NULL, NULL },
};

static int delete_one(struct berth_client *c, const char *name, berth_error_t *err)
{
	cleanup_free char *id = NULL;
	cleanup_free char *path = NULL;

	if (berth_cli_network_trim_id("network", name, &id, err) < 0)
		return -1;
	path = berth_cli_network_path(id, NULL);
	return berth_client_call_json(c, "DELETE", path, NULL, NULL, NULL, err);
}

struct rm_run {
	bool force;
	bool failed; /* out: an error was printed */
};

/* The berth_cli_each_fn of rm: an error is printed here, as it comes, and
 * not joined (none for a missing network with --force). */
static int remove_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	struct rm_run *r = arg;
	berth_error_t e = NULL;

	if (delete_one(c, name, &e) == 0)
		return 0;
	if (!(r->force && berth_error_code(e) == ENOENT)) {
		fprintf(stderr, "%s\n", e->msg);
		r->failed = true;
	}
	berth_error_release(&e);
	return 1; /* nothing to print on stdout */
}

/* docker's runRemove: each error on stderr as it comes, each name removed
 * on stdout, then "exit status 1" when any failed. */
static int run_rm(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		  berth_error_t *err)
{
	const struct rm_opts *o = opts;
	struct rm_run r = { .force = o->force };

	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	if (berth_cli_each(cli, args, remove_one, &r, true, err) < 0)
		return -1;
	return r.failed ? berth_make_error(err, EIO, "exit status 1") : 0;
}

/* ---- prune ---- */

static int run_prune(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		     berth_error_t *err)
{
	const struct berth_cli_prune_opts *o = opts;
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	const json_t *deleted;
	json_t *report = NULL, *id;
	size_t i;

	/* a "no" is docker's cancelled error: nothing printed, status 0 */
	if (!o->force && !berth_cli_image_confirm(prune_warning))
		return 0;
	if (berth_cli_prune_post(cli, "/networks/prune", &o->filter, NULL, &report, err) < 0)
		return -1;
	deleted = json_object_get(report, "NetworksDeleted");
	if (json_array_size(deleted) > 0) {
		berth_strbuf_puts(&out, "Deleted Networks:\n");
		json_array_foreach (deleted, i, id)
			berth_strbuf_printf(&out, "%s\n", json_string_value(id) ?: "");
		berth_strbuf_puts(&out, "\n");
	}
	berth_cli_print(&out);
	json_decref(report);
	return 0;
}

/* ---- connect and disconnect ---- */

#define K(f) offsetof(struct berth_cli_network_connect_opts, f)

static const struct berth_opt connect_options[] = {
	{ "alias", 0, BERTH_OPT_LIST, K(alias), "strings",
	  "Add network-scoped alias for the container", NULL, berth_cli_csv_check },
	{ "driver-opt", 0, BERTH_OPT_LIST, K(driver_opt), "strings",
	  "driver options for the network", NULL, berth_cli_csv_check },
	{ "gw-priority", 0, BERTH_OPT_STRING, K(gw_priority), "int",
	  "Highest gw-priority provides the default gateway. Accepts positive and negative "
	  "values.",
	  NULL, berth_cli_validate_int },
	{ "ip", 0, BERTH_OPT_STRING, K(ip), "string", "IPv4 address (e.g., \"172.30.100.104\")",
	  NULL, NULL },
	{ "ip6", 0, BERTH_OPT_STRING, K(ip6), "string", "IPv6 address (e.g., \"2001:db8::33\")",
	  NULL, NULL },
	{ "link", 0, BERTH_OPT_LIST, K(link), "list", "Add link to another container", NULL,
	  berth_cli_validate_link },
	{ "link-local-ip", 0, BERTH_OPT_LIST, K(link_local_ip), "strings",
	  "Add a link-local address for the container", NULL, berth_cli_csv_check },
};

/* convertDriverOpt: "k=v", both trimmed; a missing "=" or key is an
 * error. Keys sorted as Go marshals a map. */
static int driver_opts(const struct berth_strv *opts, json_t **out, berth_error_t *err)
{
	json_t *all = berth_cli_csv_values(opts), *m = json_object(), *v;
	size_t i;

	json_array_foreach (all, i, v) {
		const char *s = json_string_value(v), *eq = strchr(s, '=');
		cleanup_free char *k = berth_cli_trim_space(s, eq ? (size_t)(eq - s) : 0);
		cleanup_free char *val = eq ? berth_cli_trim_space(eq + 1, strlen(eq + 1)) : NULL;
		if (eq == NULL || *k == '\0') {
			json_decref(all);
			json_decref(m);
			return berth_make_error(err, EINVAL,
						"invalid key/value pair format in driver options");
		}
		json_object_set_new(m, k, json_string(val));
	}
	json_decref(all);
	*out = berth_cli_sorted_object(m);
	return 0;
}

int berth_cli_network_connect_body(const struct berth_cli_network_connect_opts *o,
				   const char *container, json_t **out, berth_error_t *err)
{
	json_t *dopts = NULL, *ipam = json_object(), *lli;
	int64_t prio = 0;

	if (driver_opts(&o->driver_opt, &dopts, err) < 0) {
		json_decref(ipam);
		return -1;
	}
	if (o->gw_priority && !berth_cli_parse_int(o->gw_priority, &prio)) {
		json_decref(ipam);
		json_decref(dopts);
		return berth_make_error(err, EINVAL,
					"strconv.ParseInt: parsing \"%s\": invalid syntax",
					o->gw_priority);
	}
	/* EndpointIPAMConfig: every field omitempty */
	if (o->ip && *o->ip)
		json_object_set_new(ipam, "IPv4Address", json_string(o->ip));
	if (o->ip6 && *o->ip6)
		json_object_set_new(ipam, "IPv6Address", json_string(o->ip6));
	lli = berth_cli_csv_values(&o->link_local_ip);
	if (json_array_size(lli))
		json_object_set_new(ipam, "LinkLocalIPs", lli);
	else
		json_decref(lli);
	*out = json_pack(
	    "{s:s, s:{s:o, s:o, s:o, s:s, s:o, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:n}}",
	    "Container", container, "EndpointConfig", "IPAMConfig", ipam, "Links",
	    o->link.n ? json_pack("[]") : json_null(), "Aliases", berth_cli_csv_values(&o->alias),
	    "MacAddress", "", "DriverOpts", dopts, "GwPriority", (json_int_t)prio, "NetworkID", "",
	    "EndpointID", "", "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
	    "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "DNSNames");
	for (size_t i = 0; i < o->link.n; i++)
		json_array_append_new(
		    json_object_get(json_object_get(*out, "EndpointConfig"), "Links"),
		    json_string(o->link.v[i]));
	return 0;
}

/* The network and container arguments, trimmed as docker's client does. */
static int two_ids(struct berth_cli *cli, const struct berth_strv *args, char **net, char **ctr,
		   berth_error_t *err)
{
	if (args->n != 2)
		return berth_cli_args_exact(cli, 2, err);
	if (berth_cli_network_trim_id("network", args->v[0], net, err) < 0)
		return -1;
	return berth_cli_network_trim_id("container", args->v[1], ctr, err);
}

/* POST /networks/NET/WHAT with BODY. */
static int post(struct berth_cli *cli, const char *net, const char *what, json_t *body,
		berth_error_t *err)
{
	cleanup_free char *path = berth_cli_network_path(net, what);
	cleanup_free char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	struct berth_client *c;

	json_decref(body);
	if (berth_cli_client(cli, &c, err) < 0)
		return -1;
	return berth_client_call_json(c, "POST", path, NULL, text, NULL, err);
}

static int run_connect(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		       berth_error_t *err)
{
	cleanup_free char *net = NULL;
	cleanup_free char *ctr = NULL;
	json_t *body = NULL;

	if (args->n != 2)
		return berth_cli_args_exact(cli, 2, err);
	/* docker checks the driver options before the names */
	if (berth_cli_network_connect_body(opts, args->v[1], &body, err) < 0)
		return -1;
	if (two_ids(cli, args, &net, &ctr, err) < 0) {
		json_decref(body);
		return -1;
	}
	json_object_set_new(body, "Container", json_string(ctr));
	return post(cli, net, "connect", body, err);
}

struct disconnect_opts {
	bool force;
};

static const struct berth_opt disconnect_options[] = {
	{ "force", 'f', BERTH_OPT_BOOL, offsetof(struct disconnect_opts, force), NULL,
	  "Force the container to disconnect from a network", NULL, NULL },
};

static int run_disconnect(struct berth_cli *cli, void *opts, const struct berth_strv *args,
			  berth_error_t *err)
{
	const struct disconnect_opts *o = opts;
	cleanup_free char *net = NULL;
	cleanup_free char *ctr = NULL;

	if (two_ids(cli, args, &net, &ctr, err) < 0)
		return -1;
	return post(cli, net, "disconnect",
		    json_pack("{s:s, s:b}", "Container", ctr, "Force", o->force), err);
}

/* ---- the table ---- */

const struct berth_command berth_cmd_network_rm = {
	.name = "rm",
	.use = "rm NETWORK [NETWORK...]",
	.short_desc = "Remove one or more networks",
	.aliases = "network rm, network remove",
	.opts = rm_options,
	.nopts = BERTH_ARRAY_SIZE(rm_options),
	.opts_size = sizeof(struct rm_opts),
	.takes_args = true,
	.run = run_rm,
};

const struct berth_command berth_cmd_network_prune = {
	.name = "prune",
	.use = "prune [OPTIONS]",
	.short_desc = "Remove all unused networks",
	.opts = berth_cli_prune_options,
	.nopts = BERTH_ARRAY_SIZE(berth_cli_prune_options),
	.opts_size = sizeof(struct berth_cli_prune_opts),
	.run = run_prune,
};

const struct berth_command berth_cmd_network_connect = {
	.name = "connect",
	.use = "connect [OPTIONS] NETWORK CONTAINER",
	.short_desc = "Connect a container to a network",
	.opts = connect_options,
	.nopts = BERTH_ARRAY_SIZE(connect_options),
	.opts_size = sizeof(struct berth_cli_network_connect_opts),
	.takes_args = true,
	.run = run_connect,
};

const struct berth_command berth_cmd_network_disconnect = {
	.name = "disconnect",
	.use = "disconnect [OPTIONS] NETWORK CONTAINER",
	.short_desc = "Disconnect a container from a network",
	.opts = disconnect_options,
	.nopts = BERTH_ARRAY_SIZE(disconnect_options),
	.opts_size = sizeof(struct disconnect_opts),
	.takes_args = true,
	.run = run_disconnect,
};

/* in docker's order, which is by name */
static const struct berth_command *const network_subs[] = {
	&berth_cmd_network_connect, &berth_cmd_network_create, &berth_cmd_network_disconnect,
	&berth_cmd_network_inspect, &berth_cmd_network_ls,     &berth_cmd_network_prune,
	&berth_cmd_network_rm,
};

const struct berth_command berth_cmd_network = {
	.name = "network",
	.use = "network",
	.short_desc = "Manage networks",
	.group = BERTH_CMD_MANAGEMENT,
	.subs = network_subs,
	.nsubs = BERTH_ARRAY_SIZE(network_subs),
};
