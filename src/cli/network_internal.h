/* network_internal.h: what the network commands (cmd_network*.c) share:
 * their options, the request bodies docker's client sends for them, the
 * rows of `network ls`, the network as docker's typed templates see it,
 * and the small Go behaviours they need (pflag's comma-separated lists,
 * net.ParseCIDR, time.Time's String). */
#ifndef BERTH_CLI_NETWORK_INTERNAL_H
#define BERTH_CLI_NETWORK_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "cli/opts.h"

/* Options of `network create`; strings point into argv. The list options
 * hold the values as given: the "strings" ones (subnet, ip_range,
 * gateway) are comma-separated, as pflag's StringSlice reads them. */
struct berth_cli_network_create_opts {
	bool attachable, config_only, ingress, internal;
	int ipv4, ipv6; /* BERTH_OPT_TRIBOOL: only sent when given */
	struct berth_strv aux_address, gateway, ip_range, ipam_opt, label, opt, subnet;
	const char *config_from, *driver, *ipam_driver, *scope;
};

/* Options of `network connect`. */
struct berth_cli_network_connect_opts {
	struct berth_strv alias, driver_opt, link, link_local_ip; /* alias, driver_opt and
								    link_local_ip: CSV */
	const char *gw_priority, *ip, *ip6;
};

/* pflag's StringSlice value: S read as one CSV record, its fields appended
 * to OUT (an array of strings). "" gives no field. A malformed record is
 * encoding/csv's error ("parse error on line 1, column 2: bare \" in
 * non-quoted-field"). */
int berth_cli_csv_split(const char *s, json_t *out, berth_error_t *err);

/* The body of POST /networks/create for NAME and O as docker's client
 * sends it (fields in Go's order, maps sorted), after docker's checks of
 * the IPAM flags (createIPAMConfig) with their messages. *OUT is the
 * caller's. */
int berth_cli_network_create_body(const struct berth_cli_network_create_opts *o, const char *name,
				  json_t **out, berth_error_t *err);

/* The body of POST /networks/{id}/connect for CONTAINER and O, or docker's
 * error for a bad --driver-opt or --gw-priority. *OUT is the caller's. */
int berth_cli_network_connect_body(const struct berth_cli_network_connect_opts *o,
				   const char *container, json_t **out, berth_error_t *err);

/* Go's time.Time String() of the RFC 3339 time S, as json decoding gives
 * it: "2024-05-01 10:00:00.5 +0000 UTC" (a zone offset that is the local
 * zone's prints its name, another one "+0200 +0200"). The zero time for
 * NULL or a string that does not parse. Caller frees. */
char *berth_cli_go_time_string(const char *s);

/* The rows of `network ls` for NETWORKS (the GET /networks array), sorted
 * by name as sortorder.NaturalLess sorts: objects with the fields of
 * docker's networkContext as strings, keys sorted. */
json_t *berth_cli_network_rows(const json_t *networks, bool trunc);

/* The template `network ls` renders for SOURCE (--format or the config's
 * networksFormat; NULL or "" is "table") and QUIET, as docker's NewFormat.
 * Caller frees. */
char *berth_cli_network_format(const char *source, bool quiet);

/* The network RAW (GET /networks/{id}) as docker's network.Inspect struct
 * shows it to the template TEXT: its fields in Go's order with their zero
 * values, ".ID" and the time.Time ".Created" when TEXT uses them. */
json_t *berth_cli_network_typed(const json_t *raw, const char *text);

/* A copy of the object M (consumed) with its keys sorted, as Go marshals
 * a map. */
json_t *berth_cli_sorted_object(json_t *m);

/* The fields of every value in V (the occurrences of a StringSlice flag,
 * checked when the flags were read) as one array. Caller's. */
json_t *berth_cli_csv_values(const struct berth_strv *v);

/* berth_cli_csv_split as an option validator: only checks S. */
int berth_cli_csv_check(const char *s, berth_error_t *err);

/* "/networks/NAME[/SUFFIX]" with NAME escaped as a path segment. */
char *berth_cli_network_path(const char *name, const char *suffix);

/* strings.TrimSpace of S, or docker's client error ("invalid network name
 * or ID: value is empty") for KIND when nothing is left. *OUT is the
 * caller's. */
int berth_cli_network_trim_id(const char *kind, const char *s, char **out, berth_error_t *err);

#endif
