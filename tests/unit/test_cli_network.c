/* test_cli_network.c: the client side of the network commands: the
 * create, connect and disconnect requests (compared, byte for byte, with
 * the bodies the docker 28 CLI sent for the same flags), docker's checks
 * of the IPAM flags and their messages, pflag's comma-separated lists,
 * the rows of `network ls`, the typed view inspect templates see, Go's
 * time.Time String and sortorder.NaturalLess. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/container_internal.h"
#include "cli/network_internal.h"

/* `docker network create n1` */
static const char create_default[] =
    "{\"Driver\":\"bridge\",\"Scope\":\"\",\"IPAM\":{\"Driver\":\"default\",\"Options\":{},\"Config\":[]},"
    "\"Internal\":false,\"Attachable\":false,\"Ingress\":false,\"ConfigOnly\":false,\"ConfigFrom\":null,"
    "\"Options\":{},\"Labels\":{},\"Name\":\"n1\"}";

/* `docker network create --subnet 10.1.0.0/16 --subnet 10.2.0.0/16 --ip-range 10.1.1.0/24
 * --gateway 10.2.0.1 --aux-address b=10.1.0.5 --aux-address a=10.1.0.4 --ipam-driver foo
 * --ipam-opt z=1 --ipam-opt y=2 --label l2=v --label l1 -o b=1 -o a=2 --internal --attachable
 * --ingress --config-only --config-from cf --scope local --ipv4=false --ipv6 -d macvlan n2` */
static const char create_full[] =
    "{\"Driver\":\"macvlan\",\"Scope\":\"local\",\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPAM\":{\"Dri"
    "ver\":\"foo\",\"Options\":{\"y\":\"2\",\"z\":\"1\"},\"Config\":[{\"Subnet\":\"10.1.0.0/16\",\"IPRange\":\"1"
    "0.1.1.0/24\",\"AuxiliaryAddresses\":{\"a\":\"10.1.0.4\",\"b\":\"10.1.0.5\"}},{\"Subnet\":\"10.2.0.0/16\""
    ",\"Gateway\":\"10.2.0.1\"}]},\"Internal\":true,\"Attachable\":true,\"Ingress\":true,\"ConfigOnly\":tr"
    "ue,\"ConfigFrom\":{\"Network\":\"cf\"},\"Options\":{\"a\":\"2\",\"b\":\"1\"},\"Labels\":{\"l1\":\"\",\"l2\":"
    "\"v\"},\"Name\":\"n2\"}";

/* `docker network connect n1 c1` */
static const char connect_default[] =
    "{\"Container\":\"c1\",\"EndpointConfig\":{\"IPAMConfig\":{},\"Links\":null,\"Aliases\":[],\"MacAddre"
    "ss\":\"\",\"DriverOpts\":{},\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IP"
    "Address\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixL"
    "en\":0,\"DNSNames\":null}}";

/* `docker network connect --alias a1,a2 --alias a3 --ip 10.0.0.2 --ip6 fd00::2 --link x:y
 * --link z --link-local-ip 169.254.0.1 --driver-opt b=1 --driver-opt ' a = 2' --gw-priority -5
 * n1 c1` */
static const char connect_full[] =
    "{\"Container\":\"c1\",\"EndpointConfig\":{\"IPAMConfig\":{\"IPv4Address\":\"10.0.0.2\",\"IPv6Addres"
    "s\":\"fd00::2\",\"LinkLocalIPs\":[\"169.254.0.1\"]},\"Links\":[\"x:y\",\"z\"],\"Aliases\":[\"a1\",\"a2"
    "\",\"a3\"],\"MacAddress\":\"\",\"DriverOpts\":{\"a\":\"2\",\"b\":\"1\"},\"GwPriority\":-5,\"NetworkID\":"
    "\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"Gl"
    "obalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}";

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static void push_all(struct berth_strv *v, const char *const *vals)
{
	for (; *vals; vals++)
		berth_strv_push(v, *vals);
}

static void release_create(struct berth_cli_network_create_opts *o)
{
	struct berth_strv *lists[] = { &o->aux_address, &o->gateway, &o->ip_range, &o->ipam_opt,
				       &o->label,	&o->opt,     &o->subnet };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(lists); i++)
		berth_strv_release(lists[i]);
}

static void test_csv(void **state)
{
	static const struct {
		const char *in, *out; /* out: the fields as JSON, or the error */
	} cases[] = {
		{ "", "[]" },
		{ "a", "[\"a\"]" },
		{ "a,b", "[\"a\",\"b\"]" },
		{ ",", "[\"\",\"\"]" },
		{ "a,", "[\"a\",\"\"]" },
		{ "\"a,b\",c", "[\"a,b\",\"c\"]" },
		{ "\"a\"\"b\"", "[\"a\\\"b\"]" },
		{ " a ,b", "[\" a \",\"b\"]" },
		{ "\"a",
		  "parse error on line 1, column 3: extraneous or missing \" in quoted-field" },
		{ "a\"b", "parse error on line 1, column 2: bare \" in non-quoted-field" },
		{ "\"a\"b",
		  "parse error on line 1, column 3: extraneous or missing \" in quoted-field" },
		{ "x,\"a",
		  "parse error on line 1, column 5: extraneous or missing \" in quoted-field" },
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		cleanup_error berth_error_t err = NULL;
		json_t *out = json_array();
		if (berth_cli_csv_split(cases[i].in, out, &err) == 0) {
			cleanup_free char *s = dump(out);
			assert_string_equal(s, cases[i].out);
		} else {
			assert_string_equal(err->msg, cases[i].out);
			berth_error_release(&err);
			assert_true(berth_cli_csv_check(cases[i].in, &err) < 0);
		}
		json_decref(out);
	}
}

static void test_create_body(void **state)
{
	struct berth_cli_network_create_opts o = { 0 };
	cleanup_error berth_error_t err = NULL;
	json_t *b = NULL;
	char *s;

	(void)state;
	assert_int_equal(berth_cli_network_create_body(&o, "n1", &b, &err), 0);
	s = dump(b);
	assert_string_equal(s, create_default);
	free(s);
	json_decref(b);

	push_all(&o.subnet, (const char *const[]){ "10.1.0.0/16", "10.2.0.0/16", NULL });
	push_all(&o.ip_range, (const char *const[]){ "10.1.1.0/24", NULL });
	push_all(&o.gateway, (const char *const[]){ "10.2.0.1", NULL });
	push_all(&o.aux_address, (const char *const[]){ "b=10.1.0.5", "a=10.1.0.4", NULL });
	push_all(&o.ipam_opt, (const char *const[]){ "z=1", "y=2", NULL });
	push_all(&o.label, (const char *const[]){ "l2=v", "l1", NULL });
	push_all(&o.opt, (const char *const[]){ "b=1", "a=2", NULL });
	o.ipam_driver = "foo";
	o.internal = o.attachable = o.ingress = o.config_only = true;
	o.config_from = "cf";
	o.scope = "local";
	o.ipv4 = BERTH_OPT_SET_FALSE;
	o.ipv6 = BERTH_OPT_SET_TRUE;
	o.driver = "macvlan";
	assert_int_equal(berth_cli_network_create_body(&o, "n2", &b, &err), 0);
	s = dump(b);
	assert_string_equal(s, create_full);
	free(s);
	json_decref(b);
	release_create(&o);
}

/* The message for --subnet SUBNETS --ip-range RANGES --gateway GATEWAYS
 * --aux-address AUX (comma-separated each, NULL for none), or "" when
 * they pass. */
static char *ipam_error(const char *subnets, const char *ranges, const char *gateways,
			const char *aux)
{
	struct berth_cli_network_create_opts o = { 0 };
	berth_error_t err = NULL;
	json_t *b = NULL;
	char *msg;

	if (subnets)
		berth_strv_push(&o.subnet, subnets);
	if (ranges)
		berth_strv_push(&o.ip_range, ranges);
	if (gateways)
		berth_strv_push(&o.gateway, gateways);
	if (aux)
		berth_strv_push(&o.aux_address, aux);
	if (berth_cli_network_create_body(&o, "n", &b, &err) == 0) {
		json_decref(b);
		msg = xstrdup("");
	} else {
		msg = xstrdup(err->msg);
		berth_error_release(&err);
	}
	release_create(&o);
	return msg;
}

static void check_ipam(const char *sub, const char *range, const char *gw, const char *aux,
		       const char *want)
{
	cleanup_free char *got = ipam_error(sub, range, gw, aux);

	assert_string_equal(got, want);
}

/* the messages of the docker 28 CLI for the same flags */
static void test_ipam_errors(void **state)
{
	(void)state;
	check_ipam("10.1.0.0/16", NULL, "10.2.0.1", NULL,
		   "no matching subnet for gateway 10.2.0.1");
	check_ipam(NULL, "10.1.0.0/24", NULL, NULL,
		   "every ip-range or gateway must have a corresponding subnet");
	check_ipam("10.1.0.0/16,10.1.2.0/24", NULL, NULL, NULL,
		   "multiple overlapping subnet configuration is not supported");
	check_ipam("10.1.0.0/16", "bar", NULL, NULL, "invalid CIDR address: bar");
	check_ipam("10.1.0.0/16", NULL, "bar", NULL, "no matching subnet for gateway bar");
	check_ipam("10.1.0.0/16,10.2.0.0/16", "10.1.1.0/24,10.1.2.0/24", NULL, NULL,
		   "cannot configure multiple ranges (10.1.2.0/24, 10.1.1.0/24) on the same subnet "
		   "(10.1.0.0/16)");
	check_ipam("10.1.0.0/16,10.2.0.0/16", NULL, "10.1.0.1,10.1.0.2", NULL,
		   "cannot configure multiple gateways (10.1.0.2, 10.1.0.1) for the same subnet "
		   "(10.1.0.0/16)");
	check_ipam("foo,bar", NULL, NULL, NULL, "invalid subnet: invalid CIDR address: bar");
	check_ipam("10.1.0.0/16,bar", NULL, NULL, NULL,
		   "invalid subnet: invalid CIDR address: bar");
	check_ipam("10.1.0.0/16", NULL, NULL, "a=10.9.0.1",
		   "no matching subnet for aux-address 10.9.0.1");
	check_ipam("10.1.0.0/16", "10.1.0.0/33", NULL, NULL, "invalid CIDR address: 10.1.0.0/33");
	check_ipam(",", NULL, NULL, NULL, "invalid subnet: invalid CIDR address: ");
	check_ipam("10.1.0.0/16,2001:db8::/64", NULL, "2001:db8::1,2001:db9::1", NULL,
		   "no matching subnet for gateway 2001:db9::1");
	/* an IPv4-mapped /112 is the IPv4 /16 for Go */
	check_ipam("::ffff:10.1.0.0/112,10.1.2.0/24", NULL, NULL, NULL,
		   "multiple overlapping subnet configuration is not supported");
	check_ipam("10.1.0.0/16,10.2.0.0/16", "10.1.1.0/24", "10.2.0.1", "a=10.1.0.4", "");
	/* one subnet is the daemon's to judge */
	check_ipam("foo", NULL, NULL, NULL, "");
}

static void test_connect_body(void **state)
{
	struct berth_cli_network_connect_opts o = { 0 };
	cleanup_error berth_error_t err = NULL;
	json_t *b = NULL;
	char *s;

	(void)state;
	assert_int_equal(berth_cli_network_connect_body(&o, "c1", &b, &err), 0);
	s = dump(b);
	assert_string_equal(s, connect_default);
	free(s);
	json_decref(b);

	push_all(&o.alias, (const char *const[]){ "a1,a2", "a3", NULL });
	push_all(&o.link, (const char *const[]){ "x:y", "z", NULL });
	push_all(&o.link_local_ip, (const char *const[]){ "169.254.0.1", NULL });
	push_all(&o.driver_opt, (const char *const[]){ "b=1", " a = 2", NULL });
	o.ip = "10.0.0.2";
	o.ip6 = "fd00::2";
	o.gw_priority = "-5";
	assert_int_equal(berth_cli_network_connect_body(&o, "c1", &b, &err), 0);
	s = dump(b);
	assert_string_equal(s, connect_full);
	free(s);
	json_decref(b);

	berth_strv_push(&o.driver_opt, " =x");
	assert_true(berth_cli_network_connect_body(&o, "c1", &b, &err) < 0);
	assert_string_equal(err->msg, "invalid key/value pair format in driver options");
	berth_strv_release(&o.alias);
	berth_strv_release(&o.link);
	berth_strv_release(&o.link_local_ip);
	berth_strv_release(&o.driver_opt);
}

static void test_go_time(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "2026-11-27T12:24:13.025305279Z", "2026-11-27 12:24:13.025305279 +0000 UTC" },
		{ "2026-11-27T12:24:13.5000Z", "2026-11-27 12:24:13.5 +0000 UTC" },
		{ "2026-11-27T12:24:13.000Z", "2026-11-27 12:24:13 +0000 UTC" },
		{ "2026-11-27T12:24:13Z", "2026-11-27 12:24:13 +0000 UTC" },
		{ "2026-11-27T12:24:13.1234567891Z", "2026-11-27 12:24:13.123456789 +0000 UTC" },
		/* an offset that is not the local zone's */
		{ "2026-11-27T12:24:13+02:00", "2026-11-27 12:24:13 +0200 +0200" },
		{ "2026-11-27T12:24:13-05:30", "2026-11-27 12:24:13 -0530 -0530" },
		/* the local zone's offset prints its name */
		{ "2026-07-01T10:00:00+02:00", "2026-07-01 10:00:00 +0200 CEST" },
		{ "garbage", "0001-01-01 00:00:00 +0000 UTC" },
		{ "2026-11-27T12:24:13", "0001-01-01 00:00:00 +0000 UTC" },
	};
	char *saved = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;

	(void)state;
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		cleanup_free char *s = berth_cli_go_time_string(cases[i].in);
		assert_string_equal(s, cases[i].out);
	}
	{
		cleanup_free char *s = berth_cli_go_time_string(NULL);
		assert_string_equal(s, "0001-01-01 00:00:00 +0000 UTC");
	}
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

static void test_natural_cmp(void **state)
{
	(void)state;
	assert_true(berth_cli_natural_cmp("net2", "net10") < 0);
	assert_true(berth_cli_natural_cmp("net10", "net2") > 0);
	assert_true(berth_cli_natural_cmp("net1", "net-a") < 0); /* digits first */
	assert_true(berth_cli_natural_cmp("a1", "a01") < 0);	 /* fewer zeros first */
	assert_true(berth_cli_natural_cmp("a0", "a00") < 0);
	assert_true(berth_cli_natural_cmp("abc", "abd") < 0);
	assert_true(berth_cli_natural_cmp("ab", "abc") < 0);
	assert_int_equal(berth_cli_natural_cmp("x12y", "x12y"), 0);
	assert_true(berth_cli_natural_cmp("80/tcp -> 0.0.0.0:8080", "443/tcp -> 0.0.0.0:8443") < 0);
	assert_true(berth_cli_natural_cmp("90/udp", "443/tcp") < 0);
}

static void test_ls_rows(void **state)
{
	json_t *nets = json_loads(
	    "[{\"Name\":\"net10\",\"Id\":\"0123456789abcdef0123\",\"Created\":\"2026-11-27T12:24:13.5Z\","
	    "\"Scope\":\"local\",\"Driver\":\"bridge\",\"Internal\":true,\"Labels\":{\"b\":\"2\",\"a\":\"\"}},"
	    "{\"Name\":\"net2\",\"Id\":\"fedcba9876543210fedc\",\"Scope\":\"local\",\"Driver\":\"null\","
	    "\"EnableIPv4\":true,\"Labels\":null}]",
	    0, NULL);
	json_t *rows = berth_cli_network_rows(nets, true);
	cleanup_free char *s = dump(rows);

	(void)state;
	assert_string_equal(
	    s,
	    "[{\"CreatedAt\":\"0001-01-01 00:00:00 +0000 UTC\",\"Driver\":\"null\",\"ID\":\"fedcba9876"
	    "54\",\"IPv4\":\"true\",\"IPv6\":\"false\",\"Internal\":\"false\",\"Labels\":\"\",\"Name\":\"n"
	    "et2\",\"Scope\":\"local\"},{\"CreatedAt\":\"2026-11-27 12:24:13.5 +0000 UTC\",\"Driver\":\"b"
	    "ridge\",\"ID\":\"0123456789ab\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal\":\"true\",\"L"
	    "abels\":\"a=,b=2\",\"Name\":\"net10\",\"Scope\":\"local\"}]");
	json_decref(rows);
	rows = berth_cli_network_rows(nets, false);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "ID")),
			    "0123456789abcdef0123");
	json_decref(rows);
	json_decref(nets);
}

static void check_format(const char *source, bool quiet, const char *want)
{
	cleanup_free char *f = berth_cli_network_format(source, quiet);

	assert_string_equal(f, want);
}

static void test_ls_format(void **state)
{
	(void)state;
	check_format(NULL, false, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}");
	check_format("table", false, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}");
	check_format("", true, "{{.ID}}");
	check_format("raw", true, "network_id: {{.ID}}");
	check_format("raw", false,
		     "network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: "
		     "{{.Scope}}\\n");
	check_format("{{.Name}}", true, "{{.Name}}");
	check_format("json", false, "json");
}

static void test_typed(void **state)
{
	json_t *raw = json_loads(
	    "{\"Name\":\"n\",\"Id\":\"abc\",\"Created\":\"2026-11-27T12:24:13.5Z\",\"Scope\":\"local\","
	    "\"Driver\":\"bridge\",\"EnableIPv6\":false,\"IPAM\":{\"Driver\":\"default\",\"Options\":null,"
	    "\"Config\":[{\"Subnet\":\"10.0.0.0/24\",\"Gateway\":\"10.0.0.1\"}]},\"Internal\":false,"
	    "\"Attachable\":false,\"Ingress\":false,\"ConfigFrom\":{\"Network\":\"\"},\"ConfigOnly\":false,"
	    "\"Containers\":{\"c1\":{\"Name\":\"x\",\"IPv4Address\":\"10.0.0.2/24\"}},\"Options\":{},"
	    "\"Labels\":{}}",
	    0, NULL);
	json_t *t;
	char *s;

	(void)state;
	/* as json marshals network.Inspect */
	t = berth_cli_network_typed(raw, "{{json .}}");
	s = dump(t);
	assert_string_equal(
	    s,
	    "{\"Name\":\"n\",\"Id\":\"abc\",\"Created\":\"2026-11-27T12:24:13.5Z\",\"Scope\":\"local\",\"D"
	    "river\":\"bridge\",\"EnableIPv4\":false,\"EnableIPv6\":false,\"IPAM\":{\"Driver\":\"default\","
	    "\"Options\":null,\"Config\":[{\"Subnet\":\"10.0.0.0/24\",\"Gateway\":\"10.0.0.1\"}]},\"Inter"
	    "nal\":false,\"Attachable\":false,\"Ingress\":false,\"ConfigFrom\":{\"Network\":\"\"},\"Conf"
	    "igOnly\":false,\"Containers\":{\"c1\":{\"Name\":\"x\",\"EndpointID\":\"\",\"MacAddress\":\"\","
	    "\"IPv4Address\":\"10.0.0.2/24\",\"IPv6Address\":\"\"}},\"Options\":{},\"Labels\":{}}");
	free(s);
	json_decref(t);
	/* the Go fields a template names */
	t = berth_cli_network_typed(
	    raw, "{{.ID}} {{.Created}} {{.IPAM.Options}} {{range .IPAM.Config}}{{.IPRange}}{{end}} "
		 "{{.Peers}} {{.Services}}");
	assert_string_equal(json_string_value(json_object_get(t, "ID")), "abc");
	assert_null(json_object_get(t, "Id"));
	assert_string_equal(json_string_value(json_object_get(t, "Created")),
			    "2026-11-27 12:24:13.5 +0000 UTC");
	assert_true(json_is_object(json_object_get(json_object_get(t, "IPAM"), "Options")));
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(t, "IPAM"), "Config"), 0),
		"IPRange")),
	    "");
	assert_true(json_is_array(json_object_get(t, "Peers")));
	assert_true(json_is_object(json_object_get(t, "Services")));
	json_decref(t);
	json_decref(raw);
}

static void test_paths(void **state)
{
	cleanup_free char *p1 = berth_cli_network_path("my net", NULL);
	cleanup_free char *p2 = berth_cli_network_path("n1", "connect");
	cleanup_free char *id = NULL;
	cleanup_error berth_error_t err = NULL;

	(void)state;
	assert_string_equal(p1, "/networks/my%20net");
	assert_string_equal(p2, "/networks/n1/connect");
	assert_int_equal(berth_cli_network_trim_id("network", "  n1\t", &id, &err), 0);
	assert_string_equal(id, "n1");
	assert_true(berth_cli_network_trim_id("container", " ", &id, &err) < 0);
	assert_string_equal(err->msg, "invalid container name or ID: value is empty");
}

static void test_validators(void **state)
{
	cleanup_error berth_error_t err = NULL;

	(void)state;
	assert_int_equal(berth_cli_validate_label("a=b", &err), 0);
	assert_int_equal(berth_cli_validate_label("  a=b c", &err), 0);
	assert_true(berth_cli_validate_label("=x", &err) < 0);
	assert_string_equal(err->msg, "invalid label '=x': empty name");
	berth_error_release(&err);
	assert_true(berth_cli_validate_label("  =c", &err) < 0);
	assert_string_equal(err->msg, "invalid label '  =c': empty name");
	berth_error_release(&err);
	assert_true(berth_cli_validate_label("a b=c", &err) < 0);
	assert_string_equal(err->msg, "label 'a b' contains whitespaces");
	berth_error_release(&err);
	assert_int_equal(berth_cli_validate_link("a:b", &err), 0);
	assert_true(berth_cli_validate_link("a:b:c", &err) < 0);
	assert_string_equal(err->msg, "bad format for links: a:b:c");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),	    cmocka_unit_test(test_create_body),
		cmocka_unit_test(test_ipam_errors), cmocka_unit_test(test_connect_body),
		cmocka_unit_test(test_go_time),	    cmocka_unit_test(test_natural_cmp),
		cmocka_unit_test(test_ls_rows),	    cmocka_unit_test(test_ls_format),
		cmocka_unit_test(test_typed),	    cmocka_unit_test(test_paths),
		cmocka_unit_test(test_validators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
