/* cmd_network_create.c: `berth network create`: docker's checks of the
 * IPAM flags (createIPAMConfig, with Go's net.ParseCIDR and IPNet.Contains
 * underneath), the request docker's client sends, and the new network's ID.
 *
 * The "strings" flags (--subnet, --ip-range, --gateway) are comma-separated
 * as pflag's StringSlice reads them, with encoding/csv's quoting. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/network_internal.h"

/* Longest address text tried as an IP (an IPv6 with an IPv4 tail fits). */
#define IP_TEXT_MAX 64

/* ---- pflag's StringSlice ---- */

static int csv_error(berth_error_t *err, size_t col, bool bare)
{
	return berth_make_error(err, EINVAL, "parse error on line 1, column %zu: %s", col,
				bare ? "bare \" in non-quoted-field"
				     : "extraneous or missing \" in quoted-field");
}

/* One quoted field starting at S[I] (the quote); its text goes to FIELD.
 * Returns the index after it or < 0 for encoding/csv's error. */
static long csv_quoted(const char *s, size_t i, struct berth_strbuf *field, berth_error_t *err)
{
	size_t len = strlen(s);

	for (i++; i < len; i++) {
		if (s[i] != '"') {
			berth_strbuf_append(field, s + i, 1);
			continue;
		}
		if (s[i + 1] == '"') { /* "" is a quote */
			berth_strbuf_append(field, "\"", 1);
			i++;
			continue;
		}
		if (s[i + 1] == ',' || s[i + 1] == '\0')
			return (long)i + 1;
		return csv_error(err, i + 1, false);
	}
	return csv_error(err, len + 1, false);
}

int berth_cli_csv_split(const char *s, json_t *out, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf field = BERTH_STRBUF_INIT;
	json_t *fields;
	size_t i = 0;

	if (*s == '\0') /* pflag reads "" as no value at all */
		return 0;
	fields = json_array();
	for (;;) {
		berth_strbuf_reset(&field);
		berth_strbuf_append(&field, "", 0);
		if (s[i] == '"') {
			long next = csv_quoted(s, i, &field, err);
			if (next < 0) {
				json_decref(fields);
				return -1;
			}
			i = (size_t)next;
		} else {
			size_t n = strcspn(s + i, ",\"");
			if (s[i + n] == '"') {
				json_decref(fields);
				return csv_error(err, i + n + 1, true);
			}
			berth_strbuf_append(&field, s + i, n);
			i += n;
		}
		json_array_append_new(fields, json_string(field.buf));
		if (s[i] == '\0')
			break;
		i++; /* the comma: a field follows, if only an empty one */
	}
	json_array_extend(out, fields);
	json_decref(fields);
	return 0;
}

json_t *berth_cli_csv_values(const struct berth_strv *v)
{
	json_t *out = json_array();

	for (size_t i = 0; i < v->n; i++) {
		berth_error_t ignored = NULL;
		if (berth_cli_csv_split(v->v[i], out, &ignored) < 0)
			berth_error_release(&ignored);
	}
	return out;
}

int berth_cli_csv_check(const char *s, berth_error_t *err)
{
	json_t *tmp = json_array();
	int ret = berth_cli_csv_split(s, tmp, err);

	json_decref(tmp);
	return ret;
}

/* ---- Go's net package ---- */

/* An address as Go's net.IP sees it: IPv4 (also an IPv4-mapped IPv6) in
 * the first 4 bytes, or 16 bytes of IPv6. */
struct ip {
	bool v4;
	uint8_t b[16];
};

struct ipnet {
	struct ip ip;
	unsigned bits; /* prefix length, of 32 or of 128 */
};

/* net.ParseIP: false when S is no address. */
static bool parse_ip(const char *s, struct ip *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= IP_TEXT_MAX)
		return false;
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->v4 = true;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->b) != 1)
		return false;
	if (memcmp(out->b, mapped, sizeof(mapped)) == 0) { /* ip.To4() */
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		out->v4 = true;
	}
	return true;
}

/* net.ParseCIDR: the address in *IP (may be NULL) and the network in *NET,
 * or Go's "invalid CIDR address: S". */
static int parse_cidr(const char *s, struct ip *ip, struct ipnet *net, berth_error_t *err)
{
	const char *slash = strchr(s, '/');
	cleanup_free char *addr = slash ? xstrndup(s, (size_t)(slash - s)) : NULL;
	size_t digits = slash ? strspn(slash + 1, "0123456789") : 0;
	struct ip a;
	unsigned long n;
	bool v6;

	if (addr == NULL || digits == 0 || digits > 6 || slash[1 + digits] != '\0')
		return berth_make_error(err, EINVAL, "invalid CIDR address: %s", s);
	v6 = strchr(addr, ':') != NULL;
	n = strtoul(slash + 1, NULL, 10);
	if (!parse_ip(addr, &a) || n > (v6 ? 128 : 32))
		return berth_make_error(err, EINVAL, "invalid CIDR address: %s", s);
	if (ip)
		*ip = a;
	net->ip = a;
	/* an IPv4-mapped network keeps what its mask says of the IPv4 part */
	net->bits = !v6 ? (unsigned)n : a.v4 ? (n > 96 ? (unsigned)n - 96 : 0) : (unsigned)n;
	return 0;
}

/* IPNet.Contains */
static bool net_contains(const struct ipnet *net, const struct ip *ip)
{
	unsigned bits = net->bits;

	if (net->ip.v4 != ip->v4)
		return false;
	for (size_t i = 0; bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
		uint8_t mask = (uint8_t)(bits >= 8 ? 0xff : 0xff << (8 - bits));
		if ((net->ip.b[i] & mask) != (ip->b[i] & mask))
			return false;
	}
	return true;
}

/* subnetMatches: whether SUBNET holds DATA (an address, or a CIDR's
 * address), with docker's errors for a subnet or CIDR that does not parse. */
static int subnet_matches(const char *subnet, const char *data, bool *ok, berth_error_t *err)
{
	struct ipnet net, ignored;
	struct ip ip;

	if (parse_cidr(subnet, NULL, &net, err) < 0)
		return berth_error_wrap(err, "invalid subnet");
	if (strchr(data, '/')) {
		if (parse_cidr(data, &ip, &ignored, err) < 0)
			return -1;
	} else if (!parse_ip(data, &ip)) {
		*ok = false; /* Contains(nil) */
		return 0;
	}
	*ok = net_contains(&net, &ip);
	return 0;
}

/* ---- createIPAMConfig ---- */

/* Every subnet, none overlapping another: CONFIGS gets {"Subnet": s}. */
static int ipam_subnets(const json_t *subnets, json_t *configs, berth_error_t *err)
{
	size_t i, k;
	json_t *s, *c;

	json_array_foreach (subnets, i, s) {
		const char *sub = json_string_value(s);
		json_array_foreach (configs, k, c) {
			const char *other = json_string_value(json_object_get(c, "Subnet"));
			bool ok1 = false, ok2 = false;
			if (subnet_matches(sub, other, &ok1, err) < 0 ||
			    subnet_matches(other, sub, &ok2, err) < 0)
				return -1;
			if (ok1 || ok2)
				return berth_make_error(
				    err, EINVAL,
				    "multiple overlapping subnet configuration is not supported");
		}
		json_array_append_new(configs, json_pack("{s:s}", "Subnet", sub));
	}
	return 0;
}

/* The ip-ranges (KEY "IPRange") or gateways (KEY "Gateway") of VALUES,
 * each in the subnet that holds it, one per subnet. */
static int ipam_assign(const json_t *values, const char *key, json_t *configs, berth_error_t *err)
{
	bool range = strcmp(key, "IPRange") == 0;
	size_t i, k;
	json_t *v, *c;

	json_array_foreach (values, i, v) {
		const char *val = json_string_value(v);
		bool match = false;
		json_array_foreach (configs, k, c) {
			const char *sub = json_string_value(json_object_get(c, "Subnet"));
			const char *had = json_string_value(json_object_get(c, key));
			struct ipnet ignored;
			bool ok = false;
			if ((range && parse_cidr(val, NULL, &ignored, err) < 0) ||
			    subnet_matches(sub, val, &ok, err) < 0)
				return -1;
			if (!ok)
				continue;
			if (had)
				return berth_make_error(
				    err, EINVAL,
				    range
					? "cannot configure multiple ranges (%s, %s) on the same subnet (%s)"
					: "cannot configure multiple gateways (%s, %s) for the same subnet (%s)",
				    val, had, sub);
			json_object_set_new(c, key, json_string(val));
			match = true;
		}
		if (!match)
			return berth_make_error(err, EINVAL, "no matching subnet for %s %s",
						range ? "range" : "gateway", val);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *berth_cli_sorted_object(json_t *m)
{
	cleanup_free const char **keys = xcalloc(json_object_size(m) + 1, sizeof(*keys));
	json_t *out = json_object(), *val;
	const char *k;
	size_t n = 0;

	json_object_foreach (m, k, val)
		keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(m, keys[i]));
	json_decref(m);
	return out;
}

/* MapOpts: "k=v" (or "k", an empty value) into an object, later ones win,
 * keys sorted. */
static json_t *kv_map(const struct berth_strv *v)
{
	json_t *m = json_object();

	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strchr(v->v[i], '=');
		cleanup_free char *key =
		    xstrndup(v->v[i], eq ? (size_t)(eq - v->v[i]) : strlen(v->v[i]));
		json_object_set_new(m, key, json_string(eq ? eq + 1 : ""));
	}
	return berth_cli_sorted_object(m);
}

/* The --aux-address entries, each in the subnets that hold it. */
static int ipam_aux(const json_t *aux, json_t *configs, berth_error_t *err)
{
	const char *name;
	json_t *v, *c;
	size_t k;

	json_object_foreach ((json_t *)aux, name, v) {
		bool match = false;
		json_array_foreach (configs, k, c) {
			const char *sub = json_string_value(json_object_get(c, "Subnet"));
			json_t *m;
			bool ok = false;
			if (subnet_matches(sub, json_string_value(v), &ok, err) < 0)
				return -1;
			if (!ok)
				continue;
			if ((m = json_object_get(c, "AuxiliaryAddresses")) == NULL)
				json_object_set_new(c, "AuxiliaryAddresses", m = json_object());
			json_object_set(m, name, v);
			match = true;
		}
		if (!match)
			return berth_make_error(err, EINVAL,
						"no matching subnet for aux-address %s",
						json_string_value(v));
	}
	return 0;
}

/* An IPAMConfig's fields in Go's order (Subnet, IPRange, Gateway,
 * AuxiliaryAddresses), the empty ones left out. */
static json_t *ipam_ordered(const json_t *configs)
{
	static const char *const order[] = { "Subnet", "IPRange", "Gateway", "AuxiliaryAddresses" };
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach (configs, i, c) {
		json_t *o = json_object();
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(order); k++)
			if (json_object_get(c, order[k]))
				json_object_set(o, order[k], json_object_get(c, order[k]));
		json_array_append_new(out, o);
	}
	return out;
}

static int ipam_config(const struct berth_cli_network_create_opts *o, json_t **out,
		       berth_error_t *err)
{
	json_t *subnets = berth_cli_csv_values(&o->subnet),
	       *ranges = berth_cli_csv_values(&o->ip_range);
	json_t *gateways = berth_cli_csv_values(&o->gateway), *aux = kv_map(&o->aux_address);
	json_t *configs = json_array();
	int ret = 0;

	if (json_array_size(subnets) < json_array_size(ranges) ||
	    json_array_size(subnets) < json_array_size(gateways))
		ret = berth_make_error(
		    err, EINVAL, "every ip-range or gateway must have a corresponding subnet");
	if (ret == 0)
		ret = ipam_subnets(subnets, configs, err);
	if (ret == 0)
		ret = ipam_assign(ranges, "IPRange", configs, err);
	if (ret == 0)
		ret = ipam_assign(gateways, "Gateway", configs, err);
	if (ret == 0)
		ret = ipam_aux(aux, configs, err);
	if (ret == 0)
		*out = json_pack("{s:s, s:o, s:o}", "Driver",
				 o->ipam_driver ? o->ipam_driver : "default", "Options",
				 kv_map(&o->ipam_opt), "Config", ipam_ordered(configs));
	json_decref(subnets);
	json_decref(ranges);
	json_decref(gateways);
	json_decref(aux);
	json_decref(configs);
	return ret;
}

/* ---- the request ---- */

int berth_cli_network_create_body(const struct berth_cli_network_create_opts *o, const char *name,
				  json_t **out, berth_error_t *err)
{
	json_t *ipam = NULL, *b;

	if (ipam_config(o, &ipam, err) < 0)
		return -1;
	b = json_pack("{s:s, s:s}", "Driver", o->driver ? o->driver : "bridge", "Scope",
		      o->scope ? o->scope : "");
	if (o->ipv4)
		json_object_set_new(b, "EnableIPv4", json_boolean(o->ipv4 == BERTH_OPT_SET_TRUE));
	if (o->ipv6)
		json_object_set_new(b, "EnableIPv6", json_boolean(o->ipv6 == BERTH_OPT_SET_TRUE));
	json_object_set_new(b, "IPAM", ipam);
	json_object_set_new(b, "Internal", json_boolean(o->internal));
	json_object_set_new(b, "Attachable", json_boolean(o->attachable));
	json_object_set_new(b, "Ingress", json_boolean(o->ingress));
	json_object_set_new(b, "ConfigOnly", json_boolean(o->config_only));
	json_object_set_new(b, "ConfigFrom",
			    o->config_from && *o->config_from
				? json_pack("{s:s}", "Network", o->config_from)
				: json_null());
	json_object_set_new(b, "Options", kv_map(&o->opt));
	json_object_set_new(b, "Labels", kv_map(&o->label));
	json_object_set_new(b, "Name", json_string(name));
	*out = b;
	return 0;
}

/* ---- the command ---- */

#define C(f) offsetof(struct berth_cli_network_create_opts, f)

static const struct berth_opt create_options[] = {
	{ "attachable", 0, BERTH_OPT_BOOL, C(attachable), NULL,
	  "Enable manual container attachment", NULL, NULL },
	{ "aux-address", 0, BERTH_OPT_LIST, C(aux_address), "map",
	  "Auxiliary IPv4 or IPv6 addresses used by Network driver", "map[]", NULL },
	{ "config-from", 0, BERTH_OPT_STRING, C(config_from), "string",
	  "The network from which to copy the configuration", NULL, NULL },
	{ "config-only", 0, BERTH_OPT_BOOL, C(config_only), NULL,
	  "Create a configuration only network", NULL, NULL },
	{ "driver", 'd', BERTH_OPT_STRING, C(driver), "string", "Driver to manage the Network",
	  "bridge", NULL },
	{ "gateway", 0, BERTH_OPT_LIST, C(gateway), "strings",
	  "IPv4 or IPv6 Gateway for the master subnet", NULL, berth_cli_csv_check },
	{ "ingress", 0, BERTH_OPT_BOOL, C(ingress), NULL, "Create swarm routing-mesh network", NULL,
	  NULL },
	{ "internal", 0, BERTH_OPT_BOOL, C(internal), NULL,
	  "Restrict external access to the network", NULL, NULL },
	{ "ip-range", 0, BERTH_OPT_LIST, C(ip_range), "strings",
	  "Allocate container ip from a sub-range", NULL, berth_cli_csv_check },
	{ "ipam-driver", 0, BERTH_OPT_STRING, C(ipam_driver), "string",
	  "IP Address Management Driver", "default", NULL },
	{ "ipam-opt", 0, BERTH_OPT_LIST, C(ipam_opt), "map", "Set IPAM driver specific options",
	  "map[]", NULL },
	{ "ipv4", 0, BERTH_OPT_TRIBOOL, C(ipv4), NULL, "Enable or disable IPv4 address assignment",
	  "true", NULL },
	{ "ipv6", 0, BERTH_OPT_TRIBOOL, C(ipv6), NULL, "Enable or disable IPv6 address assignment",
	  NULL, NULL },
	{ "label", 0, BERTH_OPT_LIST, C(label), "list", "Set metadata on a network", NULL,
	  berth_cli_validate_label },
	{ "opt", 'o', BERTH_OPT_LIST, C(opt), "map", "Set driver specific options", "map[]", NULL },
	{ "scope", 0, BERTH_OPT_STRING, C(scope), "string", "Control the network's scope", NULL,
	  NULL },
	{ "subnet", 0, BERTH_OPT_LIST, C(subnet), "strings",
	  "Subnet in CIDR format that represents a network segment", NULL, berth_cli_csv_check },
};

static int run_create(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		      berth_error_t *err)
{
	cleanup_free char *body = NULL;
	struct berth_client *c;
	json_t *req = NULL, *resp = NULL;

	if (args->n != 1)
		return berth_cli_args_exact(cli, 1, err);
	if (berth_cli_network_create_body(opts, args->v[0], &req, err) < 0)
		return -1;
	body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "POST", "/networks/create", NULL, body, &resp, err) < 0)
		return -1;
	printf("%s\n", json_string_value(json_object_get(resp, "Id")) ?: "");
	fflush(stdout);
	json_decref(resp);
	return 0;
}

const struct berth_command berth_cmd_network_create = {
	.name = "create",
	.use = "create [OPTIONS] NETWORK",
	.short_desc = "Create a network",
	.opts = create_options,
	.nopts = BERTH_ARRAY_SIZE(create_options),
	.opts_size = sizeof(struct berth_cli_network_create_opts),
	.takes_args = true,
	.run = run_create,
};
