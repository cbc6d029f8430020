/* test_format.c: the --format machinery of the CLI: Go text/template subset,
 * Go value printing and JSON, tabwriter, docker's formatter, units; plus the
 * option parser and host parsing the commands build on.
 *
 * Expected strings come from Go (text/template, fmt, encoding/json) and the
 * docker CLI, checked against docker 28's own output where it can run
 * templates without a daemon. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "cli/format.h"
#include "cli/opts.h"
#include "cli/units.h"
#include "http/client.h"

struct render_case {
	const char *tmpl;
	const char *data; /* JSON, or NULL for nil data */
	const char *want;
};

/* Parses and runs TMPL on DATA; returns the output or "ERR: msg" (caller frees). */
static char *render(const char *tmpl, const char *data, unsigned flags)
{
	berth_error_t err = NULL;
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	json_t *j = data ? json_loads(data, JSON_DECODE_ANY, NULL) : NULL;
	struct berth_template *t;
	char *res;

	if (data)
		assert_non_null(j);
	t = berth_template_parse("", tmpl, &err);
	if (t == NULL) {
		res = strdup(err->msg);
		berth_error_release(&err);
		json_decref(j);
		berth_strbuf_release(&out);
		return res;
	}
	if (berth_template_execute(t, j, flags, &out, &err) < 0) {
		size_t n = strlen(err->msg) + 6;
		res = malloc(n);
		snprintf(res, n, "ERR: %s", err->msg);
		berth_error_release(&err);
		berth_strbuf_release(&out);
	} else {
		res = berth_strbuf_steal(&out);
	}
	berth_template_free(t);
	json_decref(j);
	return res;
}

static void run_cases(const struct render_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *got = render(cases[i].tmpl, cases[i].data, 0);
		if (strcmp(got, cases[i].want) != 0)
			print_error("template %s\n  want [%s]\n  got  [%s]\n", cases[i].tmpl,
				    cases[i].want, got);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static const char sample[] =
    "{\"A\":\"x\",\"B\":{\"C\":3,\"D\":{\"E\":\"deep\"}},\"N\":null,\"F\":15000000.0,\"G\":1.5,"
    "\"L\":[1,\"a\",null],\"S\":[\"a\",\"b\"],\"M\":{\"z\":1,\"a\":[true]},\"T\":true,\"Z\":0,"
    "\"ApiVersion\":\"1.47\",\"Labels\":{\"com.x\":\"y\"}}";

static void test_fields(void **state)
{
	static const struct render_case cases[] = {
		{ "hello", NULL, "hello" },
		{ "{{.A}}", sample, "x" },
		{ "{{.B.C}} {{.B.D.E}}", sample, "3 deep" },
		{ "{{.Missing}}", sample, "<no value>" },
		{ "{{.Missing.X}}", sample, "<no value>" },
		{ "{{.N}}", sample, "<nil>" },
		{ "{{.}}", "\"s\"", "s" },
		{ "{{.}}", NULL, "<no value>" },
		/* Go struct field names stand for JSON keys that differ in case */
		{ "{{.APIVersion}}", sample, "1.47" },
		{ "{{$.A}}{{with .B}}{{$.A}}{{.C}}{{end}}", sample, "xx3" },
		{ "{{(.B).C}}", sample, "3" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_printing(void **state)
{
	static const struct render_case cases[] = {
		{ "{{.F}} {{.G}}", sample, "1.5e+07 1.5" },
		{ "{{.L}}", sample, "[1 a <nil>]" },
		{ "{{.M}}", sample, "map[a:[true] z:1]" },
		{ "{{.T}} {{.Z}}", sample, "true 0" },
		{ "{{1.5}} {{1e6}} {{100000.0}} {{0x1F}} {{-3}} {{1e3}} {{.5}} {{0o17}} {{017}} {{1_000}} {{'a'}}",
		  NULL, "1.5 1e+06 100000 31 -3 1000 0.5 15 15 1000 97" },
		{ "{{\"\\x41\\101\\u00e9\\n\"}}", NULL, "AA\xc3\xa9\n" },
		{ "{{`raw\\n`}}", NULL, "raw\\n" },
		{ "{{\"\\n\"}}", NULL, "\n" },
		{ "{{true}} {{false}}", NULL, "true false" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_json(void **state)
{
	static const struct render_case cases[] = {
		{ "{{json .}}", "{\"b\":1,\"a\":[true,null,\"x\"]}",
		  "{\"b\":1,\"a\":[true,null,\"x\"]}" },
		{ "{{json .B}}", sample, "{\"C\":3,\"D\":{\"E\":\"deep\"}}" },
		{ "{{.B | json}}", sample, "{\"C\":3,\"D\":{\"E\":\"deep\"}}" },
		{ "{{json .Missing}}", sample, "null" },
		/* no HTML escaping, as docker's SetEscapeHTML(false); U+2028 escaped as Go does */
		{ "{{json \"a<b>&\\u2028\\t\\u0001\"}}", NULL, "\"a<b>&\\u2028\\t\\u0001\"" },
		{ "{{json 1.5}} {{json 1e21}} {{json 0.0000001}} {{json 100.0}}", NULL,
		  "1.5 1e+21 1e-7 100" },
		{ "{{json .F}}", sample, "15000000" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_docker_functions(void **state)
{
	static const struct render_case cases[] = {
		{ "{{upper .A}} {{lower \"MiX\"}} {{.A | upper}}", sample, "X mix X" },
		{ "{{title \"hello world-foo bar_baz\"}}", NULL, "Hello World-Foo Bar_baz" },
		{ "{{title \"h\xc3\xa9llo w\xc3\xb6rld\"}} {{upper \"h\xc3\xa9llo\"}} {{lower \"\xd0\x9f\xd0\xa0\"}}",
		  NULL, "H\xc3\xa9llo W\xc3\xb6rld H\xc3\x89LLO \xd0\xbf\xd1\x80" },
		{ "{{join .S \", \"}}", sample, "a, b" },
		{ "{{split \"a,b,c\" \",\"}} {{split \"\" \",\"}} {{split \"abc\" \"\"}} {{len (split \"a,b\" \",\")}}",
		  NULL, "[a b c] [] [a b c] 2" },
		{ "{{pad \"x\" 2 3}}|{{pad \"\" 1 1}}|", NULL, "  x   ||" },
		{ "{{truncate \"abcdef\" 3}} {{truncate \"abc\" 10}}", NULL, "abc abc" },
		{ "{{println \"a\" 1}}", NULL, "a 1\n" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_builtins(void **state)
{
	static const struct render_case cases[] = {
		{ "{{len .S}} {{len .M}} {{len .A}}", sample, "2 2 1" },
		{ "{{index .M \"z\"}} {{index .S 1}} {{index .Labels \"com.x\"}}", sample,
		  "1 b y" },
		{ "[{{index .Labels \"missing\"}}]", sample, "[]" },
		{ "{{index \"abc\" 1}} {{slice \"abcdef\" 1 3}} {{slice .S 1}}", sample,
		  "98 bc [b]" },
		{ "{{eq .A \"x\"}} {{eq .A \"y\" \"x\"}} {{ne 1 2}} {{eq .Missing nil}}", sample,
		  "true true true true" },
		{ "{{lt \"a\" \"b\"}} {{le 2 2}} {{gt 3 1}} {{ge 1 2}}", NULL,
		  "true true true false" },
		{ "{{and 1 0 2}} {{or 0 \"\" \"z\"}} {{not true}} {{and .A .T}}", sample,
		  "0 z false true" },
		{ "{{print 1 2 \"a\" \"b\" 3 nil}}", NULL, "1 2ab3 <nil>" },
		{ "{{printf \"%5s|%-5d|%05.2f|%q|%x|%t|%s|%v|%d\" \"ab\" 42 3.14159 \"hi\\n\" 255 true 5 1.5 \"x\"}}",
		  NULL, "   ab|42   |03.14|\"hi\\n\"|ff|true|%!s(int=5)|1.5|%!d(string=x)" },
		{ "{{printf \"%g %v %e %.3g %G\" 0.000012345 123456789.0 1.5 1234.5678 1e21}}",
		  NULL, "1.2345e-05 1.23456789e+08 1.500000e+00 1.23e+03 1E+21" },
		{ "{{printf \"%d %s\"}}|{{printf \"x\" 1 \"a\"}}|{{printf \"%\"}}", NULL,
		  "%!d(MISSING) %!s(MISSING)|x%!(EXTRA int=1, string=a)|%!(NOVERB)" },
		{ "{{printf \"%c %U %q %X %o %b %#x %+d %T\" 65 9731 66 \"hi\" 8 5 255 3 1.5}}",
		  NULL, "A U+2603 'B' 6869 10 101 0xff +3 float64" },
		{ "{{\"a\" | printf \"%s-%s\" \"b\"}}", NULL, "b-a" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_control(void **state)
{
	static const struct render_case cases[] = {
		{ "{{if .A}}yes{{else}}no{{end}} {{if .Z}}yes{{else}}no{{end}}", sample, "yes no" },
		{ "{{if .Z}}a{{else if .N}}b{{else if .T}}c{{else}}d{{end}}", sample, "c" },
		{ "{{with .B}}{{.C}}{{else}}none{{end}} {{with .Missing}}x{{else}}none{{end}}",
		  sample, "3 none" },
		{ "{{with .Z}}x{{else with .A}}{{.}}{{end}}", sample, "x" },
		{ "{{range .S}}[{{.}}]{{end}}", sample, "[a][b]" },
		{ "{{range $i, $v := .S}}{{$i}}={{$v}};{{end}}", sample, "0=a;1=b;" },
		{ "{{range $k, $v := .M}}{{$k}} {{end}}", sample, "a z " },
		{ "{{range $v := .M}}{{$v}} {{end}}", sample, "[true] 1 " },
		{ "{{range .Missing}}x{{else}}empty{{end}} {{range .N}}x{{else}}nil{{end}}", sample,
		  "empty nil" },
		{ "{{range 3}}{{.}}{{end}} {{range 0}}x{{else}}zero{{end}}", NULL, "012 zero" },
		{ "{{range .L}}{{if eq (printf \"%v\" .) \"a\"}}{{break}}{{end}}{{.}}{{end}}",
		  sample, "1" },
		{ "{{range .S}}{{if eq . \"a\"}}{{continue}}{{end}}{{.}}{{end}}", sample, "b" },
		{ "{{$x := 5}}{{$x}}{{$x = 6}}{{$x}}", NULL, "56" },
		{ "{{range .S}}{{$y := .}}{{$y}}{{end}}", sample, "ab" },
		{ "{{if and 1 (eq 1 1)}}ok{{end}}", NULL, "ok" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_whitespace(void **state)
{
	static const struct render_case cases[] = {
		{ "a  {{- \"b\" -}}  c", NULL, "abc" },
		{ "{{- \" a \" -}}  {{/* c */}} x {{- 3 }}", NULL, " a  x3" },
		{ "a\n{{- /* comment */ -}}\nb", NULL, "ab" },
		{ "{{-3}} {{- 3}}", NULL, "-33" },
		{ "{{.A\n}}", sample, "x" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_parse_errors(void **state)
{
	static const struct render_case cases[] = {
		{ "{{.Foo", NULL, "template: :1: unclosed action" },
		{ "{{foo}}", NULL, "template: :1: function \"foo\" not defined" },
		{ "{{if}}", NULL, "template: :1: missing value for if" },
		{ "{{end}}", NULL, "template: :1: unexpected {{end}}" },
		{ "{{else}}", NULL, "template: :1: unexpected {{else}}" },
		{ "{{if .A}}", NULL, "template: :1: unexpected EOF" },
		{ "{{.A | 3}}", NULL, "template: :1: non executable command in pipeline stage 2" },
		{ "{{\"unterminated}}", NULL, "template: :1: unterminated quoted string" },
		{ "{{$x}}", NULL, "template: :1: undefined variable \"$x\"" },
		{ "{{)}}", NULL, "template: :1: unexpected right paren" },
		{ "{{(.A}}", NULL, "template: :1: unclosed left paren" },
		{ "{{.A.}}", NULL, "template: :1: unexpected <.> in operand" },
		{ "{{}}", NULL, "template: :1: missing value for command" },
		{ "{{break}}", NULL, "template: :1: {{break}} outside {{range}}" },
		{ "{{3.A}}", NULL, "template: :1: bad number syntax: \"3.A\"" },
		{ "{{\"a\".B}}", NULL, "template: :1: unexpected . after term \"\\\"a\\\"\"" },
		{ "{{if 1}}{{else}}{{else}}{{end}}", NULL,
		  "template: :1: expected end; found {{else}}" },
		{ "{{range $a, $b, $c := .}}{{end}}", NULL,
		  "template: :1: too many declarations in range" },
		{ "{{/* x", NULL, "template: :1: unclosed comment" },
		{ "{{/* x */ .A}}", NULL, "template: :1: comment ends before closing delimiter" },
		{ "{{ @ }}", NULL, "template: :1: unexpected \"@\" in command" },
		{ "{{ .A:=1 }}", NULL, "template: :1: unexpected \":=\" in operand" },
		{ "{{'ab'}}", NULL, "template: :1: malformed character constant: 'ab'" },
		{ "{{\"\\q\"}}", NULL, "template: :1: invalid syntax" },
		{ "line1\n{{if 1}}\n{{end}}{{end}}", NULL, "template: :3: unexpected {{end}}" },
		{ "{{3-}}", NULL, "template: :1: bad number syntax: \"3-\"" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_exec_errors(void **state)
{
	static const struct render_case cases[] = {
		{ "{{upper 1}}", NULL,
		  "ERR: template: :1:2: executing \"\" at <upper 1>: wrong type for value; expected string; got int" },
		{ "{{upper .Missing}}", "{}",
		  "ERR: template: :1:2: executing \"\" at <upper .Missing>: invalid value; expected string" },
		{ "{{index .L 5}}", sample,
		  "ERR: template: :1:2: executing \"\" at <index .L 5>: error calling index: index out of range: 5" },
		{ "{{.A.B}}", sample,
		  "ERR: template: :1:2: executing \"\" at <.A.B>: can't evaluate field B in type string" },
		{ "{{.N.B}}", sample,
		  "ERR: template: :1:2: executing \"\" at <.N.B>: nil pointer evaluating interface {}.B" },
		{ "x{{range .A}}{{end}}", sample,
		  "ERR: template: :1:3: executing \"\" at <range>: range can't iterate over x" },
		{ "{{nil}}", NULL,
		  "ERR: template: :1:2: executing \"\" at <nil>: nil is not a command" },
		{ "{{and}}", NULL,
		  "ERR: template: :1:2: executing \"\" at <and>: wrong number of args for and: want at least 1 got 0" },
		{ "{{eq .S .S}}", sample,
		  "ERR: template: :1:2: executing \"\" at <eq .S .S>: error calling eq: non-comparable type []interface {}" },
		{ "{{join .L \",\"}}", sample,
		  "ERR: template: :1:2: executing \"\" at <join .L \",\">: wrong type for value; expected []string; got []interface {}" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_partial_output_kept(void **state)
{
	char *got = render("ab{{upper 1}}", NULL, 0);

	assert_true(strncmp(got, "ERR: ", 5) == 0);
	free(got);
}

static void test_missingkey_error(void **state)
{
	char *got = render("{{.ClientInfo.Version}}", "{\"ClientInfo\":{\"Version\":\"1\"}}",
			   BERTH_TEMPLATE_MISSINGKEY_ERROR);

	assert_string_equal(got, "1");
	free(got);
	got = render("{{.ServerVersion}}", "{\"ClientInfo\":{}}", BERTH_TEMPLATE_MISSINGKEY_ERROR);
	assert_string_equal(
	    got,
	    "ERR: template: :1:2: executing \"\" at <.ServerVersion>: map has no entry for key \"ServerVersion\"");
	free(got);
}

static void test_header_functions(void **state)
{
	char *got = render("{{json .A}}|{{upper .B}}|{{truncate .A 1}}|{{split .A \",\"}}",
			   "{\"A\":\"COL A\",\"B\":\"Col b\"}", BERTH_TEMPLATE_HEADER);

	assert_string_equal(got, "COL A|Col b|COL A|COL A");
	free(got);
}

/* untrusted templates: bounded steps, output and nesting, never a crash */
static void test_limits(void **state)
{
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	berth_error_t err = NULL;
	struct berth_template *t;
	struct berth_strbuf deep = BERTH_STRBUF_INIT;
	char *got;

	t = berth_template_parse("", "{{range 100000}}{{range 100000}}{{end}}{{end}}", &err);
	assert_non_null(t);
	berth_template_set_limits(t, 0, 100000);
	assert_true(berth_template_execute(t, NULL, 0, &out, &err) < 0);
	assert_non_null(strstr(err->msg, "steps"));
	berth_error_release(&err);
	berth_template_free(t);

	t = berth_template_parse("", "{{range 1000}}0123456789{{end}}", &err);
	berth_template_set_limits(t, 1000, 0);
	assert_true(berth_template_execute(t, NULL, 0, &out, &err) < 0);
	assert_true(out.len <= 1000);
	assert_non_null(strstr(err->msg, "output exceeds"));
	berth_error_release(&err);
	berth_template_free(t);
	berth_strbuf_release(&out);

	for (int i = 0; i <= BERTH_TEMPLATE_MAX_DEPTH; i++)
		berth_strbuf_puts(&deep, "{{if 1}}");
	got = render(deep.buf, NULL, 0);
	assert_non_null(strstr(got, "nesting too deep"));
	free(got);
	berth_strbuf_release(&deep);
	got = render("{{pad \"x\" 100000000 0}}", NULL, 0);
	assert_true(strncmp(got, "ERR: ", 5) == 0);
	free(got);
}

static void test_tabwriter(void **state)
{
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	static const char in[] =
	    "Client:\n Version:\t28.2.2\n API version:\t1.47\n\nServer:\n Engine:\n  Version:\t1\n";

	berth_tabwriter_format(&out, in, strlen(in), 20, 1);
	assert_string_equal(
	    out.buf, "Client:\n Version:           28.2.2\n API version:       1.47\n\nServer:\n"
		     " Engine:\n  Version:          1\n");
	berth_strbuf_release(&out);
	/* columns grow to the widest cell; a line without tabs ends the block */
	berth_tabwriter_format(&out, "a\tbb\tc\nccc\td\te\nx\n1\t2\n",
			       strlen("a\tbb\tc\nccc\td\te\nx\n1\t2\n"), 0, 3);
	assert_string_equal(out.buf, "a     bb   c\nccc   d    e\nx\n1   2\n");
	berth_strbuf_release(&out);
	/* widths count runes, not bytes */
	berth_tabwriter_format(&out, "\xc3\xa9\tx\nab\ty\n", strlen("\xc3\xa9\tx\nab\ty\n"), 0, 1);
	assert_string_equal(out.buf, "\xc3\xa9  x\nab y\n");
	berth_strbuf_release(&out);
}

static void test_formatter_table(void **state)
{
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	berth_error_t err = NULL;
	json_t *row1 = json_pack("{s:s, s:s}", "Type", "Images", "Size", "1.09MB");
	json_t *row2 = json_pack("{s:s, s:s}", "Type", "Local Volumes", "Size", "0B");
	json_t *header = json_pack("{s:s, s:s}", "Type", "TYPE", "Size", "SIZE");
	struct berth_formatter *f =
	    berth_formatter_new("table", "table {{.Type}}\\t{{.Size}}", &err);

	assert_non_null(f);
	assert_true(berth_formatter_is_table(f));
	assert_int_equal(berth_formatter_add(f, row1, &err), 0);
	assert_int_equal(berth_formatter_add(f, row2, &err), 0);
	berth_formatter_flush(f, header, &out);
	assert_string_equal(out.buf,
			    "TYPE            SIZE\nImages          1.09MB\nLocal Volumes   0B\n");
	berth_formatter_free(f);
	berth_strbuf_release(&out);

	f = berth_formatter_new("json", NULL, &err);
	assert_false(berth_formatter_is_table(f));
	berth_formatter_add(f, row1, &err);
	berth_formatter_flush(f, header, &out);
	assert_string_equal(out.buf, "{\"Type\":\"Images\",\"Size\":\"1.09MB\"}\n");
	berth_formatter_free(f);
	berth_strbuf_release(&out);

	assert_null(berth_formatter_new("{{.Foo", NULL, &err));
	assert_string_equal(err->msg, "template parsing error: template: :1: unclosed action");
	berth_error_release(&err);
	json_decref(row1);
	json_decref(row2);
	json_decref(header);
}

static void test_units(void **state)
{
	char buf[BERTH_UNITS_BUFSIZE];

	assert_string_equal(berth_units_human_size(0, buf, sizeof(buf)), "0B");
	assert_string_equal(berth_units_human_size(1092588, buf, sizeof(buf)), "1.093MB");
	assert_string_equal(berth_units_human_size_prec(1092588, 3, buf, sizeof(buf)), "1.09MB");
	assert_string_equal(berth_units_human_size(5000, buf, sizeof(buf)), "5kB");
	assert_string_equal(berth_units_human_size(-1, buf, sizeof(buf)), "-1B");
	assert_string_equal(berth_units_bytes_size(33328439296.0, buf, sizeof(buf)), "31.04GiB");
	assert_string_equal(berth_units_bytes_size(1024, buf, sizeof(buf)), "1KiB");
}

struct test_opts {
	bool verbose;
	const char *format;
	struct berth_strv filter;
};

static const struct berth_opt test_table[] = {
	{ "verbose", 'v', BERTH_OPT_BOOL, offsetof(struct test_opts, verbose), NULL, "Verbose",
	  NULL, NULL },
	{ "format", 'f', BERTH_OPT_STRING, offsetof(struct test_opts, format), "string", "Format",
	  NULL, NULL },
	{ "filter", 0, BERTH_OPT_LIST, offsetof(struct test_opts, filter), "filter", "Filter", NULL,
	  NULL },
};

static int parse(int argc, char **argv, struct test_opts *o, struct berth_strv *args,
		 berth_error_t *err)
{
	memset(o, 0, sizeof(*o));
	memset(args, 0, sizeof(*args));
	return berth_opts_parse(test_table, 3, argc, argv, true, o, args, err);
}

static void test_opts_parse(void **state)
{
	char *a1[] = {
		"-vf", "{{.X}}", "pos", "--filter=a=b", "--filter", "c=d", "--", "--verbose"
	};
	char *a2[] = { "--format" };
	char *a3[] = { "-x" };
	char *a4[] = { "--verbose=maybe" };
	char *a5[] = { "--help" };
	struct test_opts o;
	struct berth_strv args;
	berth_error_t err = NULL;

	assert_int_equal(parse(8, a1, &o, &args, &err), 0);
	assert_true(o.verbose);
	assert_string_equal(o.format, "{{.X}}");
	assert_int_equal(o.filter.n, 2);
	assert_string_equal(o.filter.v[1], "c=d");
	assert_int_equal(args.n, 2);
	assert_string_equal(args.v[1], "--verbose");
	berth_strv_release(&o.filter);
	berth_strv_release(&args);

	assert_true(parse(1, a2, &o, &args, &err) < 0);
	assert_string_equal(err->msg, "flag needs an argument: --format");
	berth_error_release(&err);
	assert_true(parse(1, a3, &o, &args, &err) < 0);
	assert_string_equal(err->msg, "unknown shorthand flag: 'x' in -x");
	berth_error_release(&err);
	assert_true(parse(1, a4, &o, &args, &err) < 0);
	assert_string_equal(err->msg, "invalid argument \"maybe\" for \"-v, --verbose\" flag: "
				      "strconv.ParseBool: parsing \"maybe\": invalid syntax");
	berth_error_release(&err);
	assert_int_equal(parse(1, a5, &o, &args, &err), BERTH_OPTS_HELP);
	berth_strv_release(&args);
}

static void test_opts_usage(void **state)
{
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	static const struct berth_opt fmt[] = {
		{ "format", 'f', BERTH_OPT_STRING, 0, "string",
		  "Format output using a custom template:\n'json':             Print in JSON format\n"
		  "'TEMPLATE':         Print output using the given Go template.\n"
		  "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
		  NULL, NULL },
	};

	/* the same wrapping as `docker version --help` on an 80-column terminal */
	berth_opts_usage(&out, fmt, 1, 79);
	assert_string_equal(
	    out.buf, "  -f, --format string   Format output using a custom template:\n"
		     "                        'json':             Print in JSON format\n"
		     "                        'TEMPLATE':         Print output using the given\n"
		     "                        Go template.\n"
		     "                        Refer to https://docs.docker.com/go/formatting/\n"
		     "                        for more information about formatting output with\n"
		     "                        templates\n");
	berth_strbuf_release(&out);
}

static void test_hosts(void **state)
{
	static const struct {
		const char *in, *want;
	} ok[] = {
		{ NULL, "unix://" BERTH_DEFAULT_SOCKET },
		{ "", "unix://" BERTH_DEFAULT_SOCKET },
		{ "unix://", "unix://" BERTH_DEFAULT_SOCKET },
		{ "unix:///tmp/b.sock", "unix:///tmp/b.sock" },
		{ "tcp://1.2.3.4", "tcp://1.2.3.4:2375" },
		{ "tcp://:9", "tcp://localhost:9" },
		{ "localhost:1", "tcp://localhost:1" },
		{ "tcp://[::1]:5", "tcp://[::1]:5" },
	};
	static const char *const bad[] = { "foo://x", "tcp://a:b:c", "tcp://h:port",
					   "unix://a://b" };
	berth_error_t err = NULL;
	char *out;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(berth_client_parse_host(ok[i].in, &out, &err), 0);
		assert_string_equal(out, ok[i].want);
		free(out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(berth_client_parse_host(bad[i], &out, &err) < 0);
		berth_error_release(&err);
	}
}

static void test_query(void **state)
{
	char *q = NULL;

	berth_client_query_add(&q, "filters", "{\"type\":{\"container\":true}}");
	berth_client_query_add(&q, "since", "1.5");
	assert_string_equal(q, "filters=%7B%22type%22%3A%7B%22container%22%3Atrue%7D%7D&since=1.5");
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_printing),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_docker_functions),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_exec_errors),
		cmocka_unit_test(test_partial_output_kept),
		cmocka_unit_test(test_missingkey_error),
		cmocka_unit_test(test_header_functions),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_tabwriter),
		cmocka_unit_test(test_formatter_table),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_opts_parse),
		cmocka_unit_test(test_opts_usage),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
