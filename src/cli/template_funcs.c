/* template_funcs.c: the functions a docker template can call (Go's builtins
 * and docker's templates.go), and how values print: Go's %v (fmt) and
 * Go's encoding/json, which is what docker's {{json .}} emits.
 *
 * A function returns a new reference, or NULL with *err set: EDOM for an
 * argument of the wrong type (reported as Go's evalArg reports it), any
 * other code for a failure of the call ("error calling NAME: ..."). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/format.h"
#include "cli/template_internal.h"

/* JSON nesting beyond this prints as "..." (jansson parses 2048 deep). */
#define PRINT_MAX_DEPTH 4096

/* ---- value helpers ---- */

const char *berth_tvalue_type_name(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return "<nil>";
	if (json_is_string(v))
		return "string";
	if (json_is_integer(v))
		return "int";
	if (json_is_real(v))
		return "float64";
	if (json_is_boolean(v))
		return "bool";
	if (json_is_array(v))
		return "[]interface {}";
	return "map[string]interface {}";
}

bool berth_tvalue_truth(const json_t *v)
{
	if (v == NULL)
		return false;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return true;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

json_t *berth_tvalue_field(const json_t *obj, const char *name)
{
	const char *k;
	json_t *v;

	v = json_object_get(obj, name);
	if (v)
		return v;
	/* the object is not modified; jansson's iteration macro wants non-const */
	json_object_foreach ((json_t *)obj, k, v)
		if (strcasecmp(k, name) == 0)
			return v;
	return NULL;
}

/* The shortest digits are found by trying precisions until the text reads
 * back as the same double, as strconv does with its shortest mode. */
void berth_tvalue_format_float(struct berth_strbuf *out, double f, char fmt)
{
	char buf[64], digits[32];
	int prec, exp10 = 0, nd = 0;
	char *e;

	if (isnan(f) || isinf(f)) {
		berth_strbuf_puts(out, isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (signbit(f)) {
		berth_strbuf_puts(out, "-");
		f = -f;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
	for (e = buf; *e && *e != 'e'; e++)
		if (*e >= '0' && *e <= '9')
			digits[nd++] = *e;
	exp10 = atoi(e + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (f == 0)
		exp10 = 0;
	if (fmt == 'g')
		fmt = (exp10 < -4 || exp10 >= 6) ? 'e' : 'f';
	else if (fmt == 'J')
		fmt = (f != 0 && (f < 1e-6 || f >= 1e21)) ? 'E' : 'f';
	if (fmt == 'e' || fmt == 'E') {
		berth_strbuf_printf(out, "%c%s%s", digits[0], nd > 1 ? "." : "", digits + 1);
		/* Go's JSON writes e-7 where fmt writes e-07 */
		if (fmt == 'E' && exp10 < 0 && exp10 > -10)
			berth_strbuf_printf(out, "e-%d", -exp10);
		else
			berth_strbuf_printf(out, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
		return;
	}
	if (exp10 < 0) {
		berth_strbuf_puts(out, "0.");
		for (int i = -1; i > exp10; i--)
			berth_strbuf_puts(out, "0");
		berth_strbuf_puts(out, digits);
		return;
	}
	for (int i = 0; i <= exp10 || i < nd; i++) {
		if (i == exp10 + 1)
			berth_strbuf_puts(out, ".");
		berth_strbuf_append(out, i < nd ? &digits[i] : "0", 1);
	}
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_rec(struct berth_strbuf *out, const json_t *v, int depth);

/* map[k:v k2:v2], keys sorted as Go's fmt sorts them */
static void print_object(struct berth_strbuf *out, const json_t *v, int depth)
{
	size_t n = json_object_size(v), i = 0;
	cleanup_free const char **keys = xcalloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *val;

	json_object_foreach ((json_t *)v, k, val)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	berth_strbuf_puts(out, "map[");
	for (i = 0; i < n; i++) {
		if (i)
			berth_strbuf_puts(out, " ");
		berth_strbuf_printf(out, "%s:", keys[i]);
		print_rec(out, json_object_get(v, keys[i]), depth + 1);
	}
	berth_strbuf_puts(out, "]");
}

static void print_rec(struct berth_strbuf *out, const json_t *v, int depth)
{
	if (depth > PRINT_MAX_DEPTH) {
		berth_strbuf_puts(out, "...");
		return;
	}
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		berth_strbuf_append(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		berth_strbuf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		berth_tvalue_format_float(out, json_real_value(v), 'g');
		break;
	case JSON_TRUE:
		berth_strbuf_puts(out, "true");
		break;
	case JSON_FALSE:
		berth_strbuf_puts(out, "false");
		break;
	case JSON_ARRAY:
		berth_strbuf_puts(out, "[");
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				berth_strbuf_puts(out, " ");
			print_rec(out, json_array_get(v, i), depth + 1);
		}
		berth_strbuf_puts(out, "]");
		break;
	case JSON_OBJECT:
		print_object(out, v, depth);
		break;
	default:
		berth_strbuf_puts(out, "<nil>");
		break;
	}
}

void berth_tvalue_print(struct berth_strbuf *out, const json_t *v, bool top)
{
	if (v == NULL && top) {
		berth_strbuf_puts(out, "<no value>");
		return;
	}
	print_rec(out, v, 0);
	berth_strbuf_append(out, "", 0);
}

size_t berth_tvalue_utf8_len(const unsigned char *s, size_t avail)
{
	size_t n = s[0] < 0x80			 ? 1
		   : s[0] >= 0xf0 && s[0] < 0xf5 ? 4
		   : s[0] >= 0xe0		 ? 3
		   : s[0] >= 0xc2		 ? 2
						 : 0;
	uint32_t r;

	if (n == 0 || n > avail)
		return 0;
	if (n == 1)
		return 1;
	r = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (r < 0x800 || (r >= 0xd800 && r < 0xe000))) ||
	    (n == 4 && (r < 0x10000 || r > 0x10ffff)))
		return 0;
	return n;
}

/* The short escapes of Go's encoding/json (\b and \f since Go 1.22). */
static const char *const json_escapes[0x60] = {
	['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\r'] = "\\r",
	['\t'] = "\\t", ['\b'] = "\\b",	 ['\f'] = "\\f",
};

/* Go's encoding/json string encoder with SetEscapeHTML(false). */
static void json_string_go(struct berth_strbuf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	berth_strbuf_puts(out, "\"");
	while (i < len) {
		size_t n = berth_tvalue_utf8_len(u + i, len - i);
		const char *esc = u[i] < 0x60 ? json_escapes[u[i]] : NULL;

		if (esc)
			berth_strbuf_puts(out, esc);
		else if (u[i] < 0x20)
			berth_strbuf_printf(out, "\\u%04x", u[i]);
		else if (n == 0)
			berth_strbuf_puts(out, "\\ufffd"); /* invalid UTF-8 */
		else if (n == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
			 (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
			berth_strbuf_printf(out, "\\u202%c", u[i + 2] == 0xa8 ? '8' : '9');
		else
			berth_strbuf_append(out, s + i, n);
		i += n ? n : 1;
	}
	berth_strbuf_puts(out, "\"");
}

static void json_rec(struct berth_strbuf *out, const json_t *v, int depth)
{
	const char *k;
	json_t *val;
	bool first = true;

	if (depth > PRINT_MAX_DEPTH) {
		berth_strbuf_puts(out, "null");
		return;
	}
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		json_string_go(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		berth_strbuf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		berth_tvalue_format_float(out, json_real_value(v), 'J');
		break;
	case JSON_TRUE:
		berth_strbuf_puts(out, "true");
		break;
	case JSON_FALSE:
		berth_strbuf_puts(out, "false");
		break;
	case JSON_ARRAY:
		berth_strbuf_puts(out, "[");
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				berth_strbuf_puts(out, ",");
			json_rec(out, json_array_get(v, i), depth + 1);
		}
		berth_strbuf_puts(out, "]");
		break;
	case JSON_OBJECT:
		berth_strbuf_puts(out, "{");
		json_object_foreach ((json_t *)v, k, val) {
			if (!first)
				berth_strbuf_puts(out, ",");
			first = false;
			json_string_go(out, k, strlen(k));
			berth_strbuf_puts(out, ":");
			json_rec(out, val, depth + 1);
		}
		berth_strbuf_puts(out, "}");
		break;
	default:
		berth_strbuf_puts(out, "null");
		break;
	}
}

void berth_tvalue_json(struct berth_strbuf *out, const json_t *v)
{
	json_rec(out, v, 0);
}

void berth_format_json(struct berth_strbuf *out, const json_t *v)
{
	json_rec(out, v, 0);
}

void berth_format_value(struct berth_strbuf *out, const json_t *v)
{
	berth_tvalue_print(out, v, false);
}

/* ---- argument checks ---- */

static int want_string(const json_t *v, berth_error_t *err)
{
	if (v == NULL)
		return berth_make_error(err, EDOM, "invalid value; expected string");
	if (!json_is_string(v))
		return berth_make_error(err, EDOM, "wrong type for value; expected string; got %s",
					berth_tvalue_type_name(v));
	return 0;
}

static int want_int(const json_t *v, int64_t *out, berth_error_t *err)
{
	double d;

	if (v == NULL)
		return berth_make_error(err, EDOM, "invalid value; expected int");
	/* Go accepts an integral float constant (2.0, 1e3) where an int is wanted */
	d = json_is_real(v) ? json_real_value(v) : 0.5;
	if (d > -9.2e18 && d < 9.2e18 && d == (double)(int64_t)d) {
		*out = (int64_t)d;
		return 0;
	}
	if (!json_is_integer(v))
		return berth_make_error(err, EDOM, "wrong type for value; expected int; got %s",
					berth_tvalue_type_name(v));
	*out = json_integer_value(v);
	return 0;
}

static json_t *new_string(const char *s, size_t len)
{
	return json_stringn_nocheck(s, len);
}

/* ---- docker's functions (cli/templates/templates.go) ---- */

/* docker's json: encoding/json with SetEscapeHTML(false), trailing newline
 * trimmed; an invalid value becomes nil, hence "null". */
static json_t *fn_json(json_t **a, size_t n, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;

	berth_tvalue_json(&sb, a[0]);
	return new_string(sb.buf, sb.len);
}

/* strings.Split: "" splits into UTF-8 sequences, and splitting "" gives
 * one empty element (printed as []), as in Go. */
static json_t *fn_split(json_t **a, size_t n, berth_error_t *err)
{
	const char *s, *sep, *p;
	size_t slen, seplen;
	json_t *arr;

	if (want_string(a[0], err) < 0 || want_string(a[1], err) < 0)
		return NULL;
	s = json_string_value(a[0]);
	slen = json_string_length(a[0]);
	sep = json_string_value(a[1]);
	seplen = json_string_length(a[1]);
	arr = json_array();
	if (seplen == 0) { /* Go splits after each UTF-8 sequence */
		for (size_t i = 0; i < slen;) {
			size_t k = berth_tvalue_utf8_len((const unsigned char *)s + i, slen - i);
			k = k ? k : 1;
			json_array_append_new(arr, new_string(s + i, k));
			i += k;
		}
		return arr;
	}
	for (p = s;;) {
		const char *hit = memmem(p, slen - (size_t)(p - s), sep, seplen);
		if (hit == NULL)
			break;
		json_array_append_new(arr, new_string(p, (size_t)(hit - p)));
		p = hit + seplen;
	}
	json_array_append_new(arr, new_string(p, slen - (size_t)(p - s)));
	return arr;
}

/* strings.Join takes []string: docker's typed fields ([]string Names,
 * Args) pass, an array holding anything but strings is Go's type error. */
static json_t *fn_join(json_t **a, size_t n, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;

	if (a[0] == NULL)
		return berth_make_error(err, EDOM, "invalid value; expected []string"), NULL;
	if (!json_is_array(a[0]) && !json_is_null(a[0]))
		return berth_make_error(err, EDOM,
					"wrong type for value; expected []string; got %s",
					berth_tvalue_type_name(a[0])),
		       NULL;
	if (want_string(a[1], err) < 0)
		return NULL;
	for (size_t i = 0; i < json_array_size(a[0]); i++) {
		json_t *e = json_array_get(a[0], i);
		if (!json_is_string(e))
			return berth_make_error(
				   err, EDOM,
				   "wrong type for value; expected []string; got []interface {}"),
			       NULL;
		if (i)
			berth_strbuf_append(&sb, json_string_value(a[1]), json_string_length(a[1]));
		berth_strbuf_append(&sb, json_string_value(e), json_string_length(e));
	}
	return new_string(sb.buf ? sb.buf : "", sb.len);
}

/* Case pairs of Latin-1, Latin Extended-A, Greek and Cyrillic: the scripts
 * container names and labels use in practice. Other runes stay as they are. */
static uint32_t rune_upper(uint32_t r)
{
	if ((r >= 'a' && r <= 'z') || (r >= 0xe0 && r <= 0xfe && r != 0xf7) ||
	    (r >= 0x3b1 && r <= 0x3cb && r != 0x3c2) || (r >= 0x430 && r <= 0x44f))
		return r - 32;
	if (r == 0xff)
		return 0x178;
	if (r == 0x3c2)
		return 0x3a3;
	if (r >= 0x450 && r <= 0x45f)
		return r - 80;
	if (((r >= 0x100 && r <= 0x137) || (r >= 0x14a && r <= 0x177)) && (r & 1))
		return r - 1;
	if (((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e)) && !(r & 1))
		return r - 1;
	return r;
}

static uint32_t rune_lower(uint32_t r)
{
	if ((r >= 'A' && r <= 'Z') || (r >= 0xc0 && r <= 0xde && r != 0xd7) ||
	    (r >= 0x391 && r <= 0x3ab && r != 0x3a2) || (r >= 0x410 && r <= 0x42f))
		return r + 32;
	if (r == 0x178)
		return 0xff;
	if (r >= 0x400 && r <= 0x40f)
		return r + 80;
	if (((r >= 0x100 && r <= 0x137) || (r >= 0x14a && r <= 0x177)) && !(r & 1))
		return r + 1;
	if (((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e)) && (r & 1))
		return r + 1;
	return r;
}

static uint32_t decode_rune(const unsigned char *s, size_t n)
{
	uint32_t r = n == 1 ? s[0] : (uint32_t)(s[0] & (0x7f >> n));

	for (size_t i = 1; i < n; i++)
		r = (r << 6) | (s[i] & 0x3f);
	return r;
}

static void encode_rune(struct berth_strbuf *out, uint32_t r)
{
	unsigned char b[4];
	size_t n = r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4;

	b[0] = (unsigned char)(n == 1	? r
			       : n == 2 ? 0xc0 | (r >> 6)
			       : n == 3 ? 0xe0 | (r >> 12)
					: 0xf0 | (r >> 18));
	for (size_t i = 1; i < n; i++)
		b[i] = (unsigned char)(0x80 | ((r >> (6 * (n - 1 - i))) & 0x3f));
	berth_strbuf_append(out, b, n);
}

/* Go's isSeparator for strings.Title: letters, digits and '_' join words;
 * other ASCII separates; other runes join (approximating unicode.IsLetter). */
static bool is_title_separator(uint32_t r)
{
	if (r >= 0x80)
		return r == 0xa0 || r == 0x2000 || r == 0x3000;
	return !(r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') ||
		 (r >= 'A' && r <= 'Z'));
}

enum case_mode {
	CASE_UPPER,
	CASE_LOWER,
	CASE_TITLE
};

static json_t *change_case(json_t *v, enum case_mode mode, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	const unsigned char *s;
	size_t len;
	uint32_t prev = ' ';

	if (want_string(v, err) < 0)
		return NULL;
	s = (const unsigned char *)json_string_value(v);
	len = json_string_length(v);
	for (size_t i = 0; i < len;) {
		size_t n = berth_tvalue_utf8_len(s + i, len - i);
		uint32_t r;
		if (n == 0) { /* invalid UTF-8 passes through */
			berth_strbuf_append(&sb, s + i, 1);
			i++;
			prev = 'x';
			continue;
		}
		r = decode_rune(s + i, n);
		if (mode == CASE_UPPER || (mode == CASE_TITLE && is_title_separator(prev)))
			encode_rune(&sb, rune_upper(r));
		else if (mode == CASE_LOWER)
			encode_rune(&sb, rune_lower(r));
		else
			berth_strbuf_append(&sb, s + i, n);
		prev = r;
		i += n;
	}
	return new_string(sb.buf ? sb.buf : "", sb.len);
}

static json_t *fn_title(json_t **a, size_t n, berth_error_t *err)
{
	return change_case(a[0], CASE_TITLE, err);
}

static json_t *fn_lower(json_t **a, size_t n, berth_error_t *err)
{
	return change_case(a[0], CASE_LOWER, err);
}

static json_t *fn_upper(json_t **a, size_t n, berth_error_t *err)
{
	return change_case(a[0], CASE_UPPER, err);
}

/* Caps the spaces pad may add, so that a template cannot ask for gigabytes. */
#define PAD_MAX 4096

static json_t *fn_pad(json_t **a, size_t n, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	int64_t pre, post;

	if (want_string(a[0], err) < 0 || want_int(a[1], &pre, err) < 0 ||
	    want_int(a[2], &post, err) < 0)
		return NULL;
	if (json_string_length(a[0]) == 0)
		return json_incref(a[0]);
	if (pre < 0 || post < 0)
		return berth_make_error(err, EINVAL, "strings: negative Repeat count"), NULL;
	if (pre > PAD_MAX || post > PAD_MAX)
		return berth_make_error(err, EINVAL, "pad larger than %d", PAD_MAX), NULL;
	for (int64_t i = 0; i < pre; i++)
		berth_strbuf_puts(&sb, " ");
	berth_strbuf_append(&sb, json_string_value(a[0]), json_string_length(a[0]));
	for (int64_t i = 0; i < post; i++)
		berth_strbuf_puts(&sb, " ");
	return new_string(sb.buf, sb.len);
}

/* truncateWithLength: the first N bytes, as Go slices strings. */
static json_t *fn_truncate(json_t **a, size_t n, berth_error_t *err)
{
	int64_t len;

	if (want_string(a[0], err) < 0 || want_int(a[1], &len, err) < 0)
		return NULL;
	if (len >= 0 && (uint64_t)len >= json_string_length(a[0]))
		return json_incref(a[0]);
	if (len < 0)
		return berth_make_error(err, EINVAL,
					"runtime error: slice bounds out of range [:%lld]",
					(long long)len),
		       NULL;
	return new_string(json_string_value(a[0]), (size_t)len);
}

/* HeaderFunctions: headers stay as they are; arguments must be strings */
static json_t *fn_header_identity(json_t **a, size_t n, berth_error_t *err)
{
	if (want_string(a[0], err) < 0)
		return NULL;
	return json_incref(a[0]);
}

/* ---- Go's builtins ---- */

static json_t *fn_not(json_t **a, size_t n, berth_error_t *err)
{
	return json_boolean(!berth_tvalue_truth(a[0]));
}

/* Go's len counts bytes of a string, not runes. */
static json_t *fn_len(json_t **a, size_t n, berth_error_t *err)
{
	if (a[0] == NULL)
		return berth_make_error(err, EDOM, "invalid value; expected reflect.Value"), NULL;
	if (json_is_string(a[0]))
		return json_integer((json_int_t)json_string_length(a[0]));
	if (json_is_array(a[0]))
		return json_integer((json_int_t)json_array_size(a[0]));
	if (json_is_object(a[0]))
		return json_integer((json_int_t)json_object_size(a[0]));
	if (json_is_null(a[0]))
		return berth_make_error(err, EINVAL, "len of nil pointer"), NULL;
	return berth_make_error(err, EINVAL, "len of type %s", berth_tvalue_type_name(a[0])), NULL;
}

/* One step of Go's index. A missing map key yields Go's zero value of the
 * element type; the maps the API returns (Labels, Options, Details) are
 * map[string]string, so that zero value is "", which docker prints. */
static json_t *index_one(json_t *item, json_t *idx, berth_error_t *err)
{
	int64_t i;

	if (json_is_object(item)) {
		json_t *v;
		if (!json_is_string(idx))
			return berth_make_error(err, EINVAL, "value has type %s; should be string",
						berth_tvalue_type_name(idx)),
			       NULL;
		v = json_object_get(item, json_string_value(idx));
		/* a missing key gives the zero value; maps the API returns hold strings */
		return v ? json_incref(v) : json_string("");
	}
	if (!json_is_array(item) && !json_is_string(item))
		return berth_make_error(err, EINVAL, "can't index item of type %s",
					berth_tvalue_type_name(item)),
		       NULL;
	if (!json_is_integer(idx))
		return berth_make_error(err, EINVAL, "cannot index slice/array with type %s",
					berth_tvalue_type_name(idx)),
		       NULL;
	i = json_integer_value(idx);
	if (json_is_string(item)) {
		if (i < 0 || (size_t)i >= json_string_length(item))
			return berth_make_error(err, EINVAL, "index out of range: %lld",
						(long long)i),
			       NULL;
		return json_integer((unsigned char)json_string_value(item)[i]);
	}
	if (i < 0 || (size_t)i >= json_array_size(item))
		return berth_make_error(err, EINVAL, "index out of range: %lld", (long long)i),
		       NULL;
	return json_incref(json_array_get(item, (size_t)i));
}

static json_t *fn_index(json_t **a, size_t n, berth_error_t *err)
{
	json_t *item;

	if (a[0] == NULL || json_is_null(a[0]))
		return berth_make_error(err, EINVAL, "index of untyped nil"), NULL;
	item = json_incref(a[0]);
	for (size_t i = 1; i < n && item; i++) {
		json_t *next;
		if (a[i] == NULL || json_is_null(a[i])) {
			json_decref(item);
			return berth_make_error(err, EINVAL, "cannot index slice/array with nil"),
			       NULL;
		}
		next = index_one(item, a[i], err);
		json_decref(item);
		item = next;
	}
	return item;
}

static json_t *fn_slice(json_t **a, size_t n, berth_error_t *err)
{
	int64_t idx[3] = { 0, 0, 0 };
	size_t len;
	json_t *out;

	if (a[0] == NULL || json_is_null(a[0]))
		return berth_make_error(err, EINVAL, "slice of untyped nil"), NULL;
	if (!json_is_string(a[0]) && !json_is_array(a[0]))
		return berth_make_error(err, EINVAL, "can't slice item of type %s",
					berth_tvalue_type_name(a[0])),
		       NULL;
	len = json_is_string(a[0]) ? json_string_length(a[0]) : json_array_size(a[0]);
	if (n > 4 || (json_is_string(a[0]) && n == 4))
		return berth_make_error(err, EINVAL, "too many slice indexes: %zu", n - 1), NULL;
	idx[1] = (int64_t)len;
	for (size_t i = 1; i < n; i++) {
		if (!json_is_integer(a[i]))
			return berth_make_error(err, EINVAL,
						"cannot index slice/array with type %s",
						berth_tvalue_type_name(a[i])),
			       NULL;
		idx[i - 1] = json_integer_value(a[i]);
		if (idx[i - 1] < 0 || (size_t)idx[i - 1] > len)
			return berth_make_error(err, EINVAL, "index out of range: %lld",
						(long long)idx[i - 1]),
			       NULL;
	}
	if (idx[0] > idx[1])
		return berth_make_error(err, EINVAL, "invalid slice index: %lld > %lld",
					(long long)idx[0], (long long)idx[1]),
		       NULL;
	if (json_is_string(a[0]))
		return new_string(json_string_value(a[0]) + idx[0], (size_t)(idx[1] - idx[0]));
	out = json_array();
	for (int64_t i = idx[0]; i < idx[1]; i++)
		json_array_append(out, json_array_get(a[0], (size_t)i));
	return out;
}

/* fmt.Sprint adds spaces between operands when neither is a string;
 * fmt.Sprintln always does and ends with a newline. */
static json_t *sprint(json_t **a, size_t n, bool ln)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (ln || (!json_is_string(a[i]) && !json_is_string(a[i - 1]))))
			berth_strbuf_puts(&sb, " ");
		berth_tvalue_print(&sb, a[i], false);
	}
	if (ln)
		berth_strbuf_puts(&sb, "\n");
	return new_string(sb.buf ? sb.buf : "", sb.len);
}

static json_t *fn_print(json_t **a, size_t n, berth_error_t *err)
{
	return sprint(a, n, false);
}

static json_t *fn_println(json_t **a, size_t n, berth_error_t *err)
{
	return sprint(a, n, true);
}

static json_t *fn_printf(json_t **a, size_t n, berth_error_t *err)
{
	if (want_string(a[0], err) < 0)
		return NULL;
	return berth_tfunc_printf(a, n, err);
}

/* ---- comparisons (Go's eq, ne, lt, le, gt, ge) ---- */

enum kind {
	K_INVALID,
	K_BOOL,
	K_NUM,
	K_STRING,
	K_OTHER
};

static enum kind kind_of(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return K_INVALID;
	if (json_is_boolean(v))
		return K_BOOL;
	if (json_is_number(v))
		return K_NUM;
	if (json_is_string(v))
		return K_STRING;
	return K_OTHER;
}

/* Orders two values of one kind. Unlike Go, an integer and a float compare
 * by value: JSON does not keep Go's int/float64 distinction (a float64
 * field holding 2.0 arrives as 2), so Go's "incompatible types" error
 * would fire on data that was well typed on the server. */
static int cmp_values(const json_t *x, const json_t *y)
{
	if (json_is_integer(x) && json_is_integer(y))
		return (json_integer_value(x) > json_integer_value(y)) -
		       (json_integer_value(x) < json_integer_value(y));
	if (json_is_number(x)) {
		double dx = json_number_value(x), dy = json_number_value(y);
		return (dx > dy) - (dx < dy);
	}
	if (json_is_string(x)) {
		size_t lx = json_string_length(x), ly = json_string_length(y);
		int c = memcmp(json_string_value(x), json_string_value(y), lx < ly ? lx : ly);
		return c ? c : (lx > ly) - (lx < ly);
	}
	return json_is_true(x) == json_is_true(y) ? 0 : 1;
}

/* 1 if equal, 0 if not, -1 with *err on incomparable types. */
static int eq_one(const json_t *x, const json_t *y, berth_error_t *err)
{
	enum kind kx = kind_of(x), ky = kind_of(y);

	if (kx == K_INVALID || ky == K_INVALID)
		return kx == ky;
	if (kx != ky)
		return berth_make_error(err, EINVAL, "incompatible types for comparison"), -1;
	if (kx == K_OTHER)
		return berth_make_error(err, EINVAL, "non-comparable type %s",
					berth_tvalue_type_name(x)),
		       -1;
	return cmp_values(x, y) == 0;
}

static json_t *fn_eq(json_t **a, size_t n, berth_error_t *err)
{
	if (n < 2)
		return berth_make_error(err, EINVAL, "missing argument for comparison"), NULL;
	for (size_t i = 1; i < n; i++) {
		int r = eq_one(a[0], a[i], err);
		if (r < 0)
			return NULL;
		if (r)
			return json_true();
	}
	return json_false();
}

static json_t *fn_ne(json_t **a, size_t n, berth_error_t *err)
{
	int r = eq_one(a[0], a[1], err);

	return r < 0 ? NULL : json_boolean(!r);
}

/* <0, 0, >0; or -2 with *err set for types that do not order. */
static int order(json_t **a, berth_error_t *err, int *out)
{
	enum kind kx = kind_of(a[0]), ky = kind_of(a[1]);

	if (kx == K_BOOL || kx == K_OTHER || kx == K_INVALID || ky == K_BOOL || ky == K_OTHER ||
	    ky == K_INVALID)
		return berth_make_error(err, EINVAL, "invalid type for comparison");
	if (kx != ky)
		return berth_make_error(err, EINVAL, "incompatible types for comparison");
	*out = cmp_values(a[0], a[1]);
	return 0;
}

static json_t *fn_lt(json_t **a, size_t n, berth_error_t *err)
{
	int c;
	return order(a, err, &c) < 0 ? NULL : json_boolean(c < 0);
}

static json_t *fn_le(json_t **a, size_t n, berth_error_t *err)
{
	int c;
	return order(a, err, &c) < 0 ? NULL : json_boolean(c <= 0);
}

static json_t *fn_gt(json_t **a, size_t n, berth_error_t *err)
{
	int c;
	return order(a, err, &c) < 0 ? NULL : json_boolean(c > 0);
}

static json_t *fn_ge(json_t **a, size_t n, berth_error_t *err)
{
	int c;
	return order(a, err, &c) < 0 ? NULL : json_boolean(c >= 0);
}

/* and/or are evaluated lazily by the executor; these run only when all
 * arguments are already values (never, but the table needs an entry). */
static json_t *fn_and_or(json_t **a, size_t n, berth_error_t *err)
{
	return a[n - 1] ? json_incref(a[n - 1]) : NULL;
}

static const struct tfunc funcs[] = {
	{ "and", 1, -1, fn_and_or, NULL },
	{ "eq", 1, -1, fn_eq, NULL },
	{ "ge", 2, 2, fn_ge, NULL },
	{ "gt", 2, 2, fn_gt, NULL },
	{ "index", 1, -1, fn_index, NULL },
	{ "join", 2, 2, fn_join, fn_header_identity },
	{ "json", 1, 1, fn_json, fn_header_identity },
	{ "le", 2, 2, fn_le, NULL },
	{ "len", 1, 1, fn_len, NULL },
	{ "lower", 1, 1, fn_lower, fn_header_identity },
	{ "lt", 2, 2, fn_lt, NULL },
	{ "ne", 2, 2, fn_ne, NULL },
	{ "not", 1, 1, fn_not, NULL },
	{ "or", 1, -1, fn_and_or, NULL },
	{ "pad", 3, 3, fn_pad, NULL },
	{ "print", 0, -1, fn_print, NULL },
	{ "printf", 1, -1, fn_printf, NULL },
	{ "println", 0, -1, fn_println, NULL },
	{ "slice", 1, -1, fn_slice, NULL },
	{ "split", 2, 2, fn_split, fn_header_identity },
	{ "title", 1, 1, fn_title, fn_header_identity },
	{ "truncate", 2, 2, fn_truncate, fn_header_identity },
	{ "upper", 1, 1, fn_upper, fn_header_identity },
};

const struct tfunc *berth_tfunc_lookup(const char *name)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(funcs); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	return NULL;
}
