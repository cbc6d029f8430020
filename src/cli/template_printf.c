/* template_printf.c: Go's fmt.Sprintf for the template function printf.
 *
 * Verbs: %v %s %q %d %b %o %x %X %c %U %e %E %f %F %g %G %t %T %%, with the
 * flags "-+# 0", width and precision. Go's error forms are kept:
 * %!d(string=x), %!s(MISSING), %!(EXTRA int=1), %!(NOVERB). Widths count
 * UTF-8 runes, as Go does. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/format.h"
#include "cli/template_internal.h"

/* Caps width and precision so that a template cannot ask for gigabytes. */
#define PRINTF_MAX_WIDTH 4096

struct spec {
	bool minus, plus, sharp, zero, space;
	int width; /* -1: none */
	int prec;  /* -1: none */
	char verb;
};

static size_t rune_count(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Appends S padded to the width of SP. */
static void pad(struct berth_strbuf *out, const struct spec *sp, const char *s, size_t len,
		bool numeric)
{
	size_t runes = rune_count(s, len);
	size_t fill = sp->width > 0 && (size_t)sp->width > runes ? (size_t)sp->width - runes : 0;
	char c = sp->zero && !sp->minus ? '0' : ' ';
	size_t sign = 0;

	if (sp->minus) {
		berth_strbuf_append(out, s, len);
		for (size_t i = 0; i < fill; i++)
			berth_strbuf_puts(out, " ");
		return;
	}
	/* zeros go between the sign and the digits */
	if (c == '0' && numeric && len > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' '))
		sign = 1;
	berth_strbuf_append(out, s, sign);
	for (size_t i = 0; i < fill; i++)
		berth_strbuf_append(out, &c, 1);
	berth_strbuf_append(out, s + sign, len - sign);
}

/* The short escapes of Go's strconv.Quote. */
static const char *const quote_escapes[0x60] = {
	['\a'] = "\\a", ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",	 ['\r'] = "\\r",
	['\t'] = "\\t", ['\v'] = "\\v", ['"'] = "\\\"", ['\\'] = "\\\\",
};

void berth_format_quote(struct berth_strbuf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	berth_strbuf_puts(out, "\"");
	for (size_t i = 0; i < len;) {
		size_t n = berth_tvalue_utf8_len(u + i, len - i);
		const char *esc = u[i] < 0x60 ? quote_escapes[u[i]] : NULL;

		if (esc)
			berth_strbuf_puts(out, esc);
		else if (n == 0 || u[i] < 0x20 || u[i] == 0x7f)
			berth_strbuf_printf(out, "\\x%02x", u[i]);
		else
			berth_strbuf_append(out, s + i, n);
		i += n ? n : 1;
	}
	berth_strbuf_puts(out, "\"");
}

static void bad_verb(struct berth_strbuf *out, char verb, const json_t *v)
{
	berth_strbuf_printf(out, "%%!%c(", verb);
	if (v == NULL || json_is_null(v)) {
		berth_strbuf_puts(out, "<nil>)");
		return;
	}
	berth_strbuf_printf(out, "%s=", berth_tvalue_type_name(v));
	berth_tvalue_print(out, v, false);
	berth_strbuf_puts(out, ")");
}

static void fmt_int(struct berth_strbuf *out, const struct spec *sp, long long v)
{
	cleanup_strbuf struct berth_strbuf num = BERTH_STRBUF_INIT;
	unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	char digits[80];
	size_t nd = 0;
	unsigned base = sp->verb == 'b'			       ? 2
			: sp->verb == 'o'		       ? 8
			: (sp->verb == 'x' || sp->verb == 'X') ? 16
							       : 10;
	const char *set = sp->verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";

	do {
		digits[nd++] = set[mag % base];
		mag /= base;
	} while (mag);
	while (sp->prec >= 0 && nd < (size_t)sp->prec && nd < sizeof(digits))
		digits[nd++] = '0';
	if (v < 0)
		berth_strbuf_puts(&num, "-");
	else if (sp->plus)
		berth_strbuf_puts(&num, "+");
	else if (sp->space)
		berth_strbuf_puts(&num, " ");
	if (sp->sharp && base != 10)
		berth_strbuf_puts(&num, base == 2	  ? "0b"
					: base == 8	  ? "0"
					: sp->verb == 'X' ? "0X"
							  : "0x");
	while (nd)
		berth_strbuf_append(&num, &digits[--nd], 1);
	pad(out, sp, num.buf, num.len, sp->prec < 0);
}

static void fmt_float(struct berth_strbuf *out, const struct spec *sp, double v)
{
	cleanup_strbuf struct berth_strbuf num = BERTH_STRBUF_INIT;
	char cfmt[32];

	if ((sp->verb == 'g' || sp->verb == 'G') && sp->prec < 0) {
		/* Go's %g without a precision is the shortest representation */
		if (v >= 0 && sp->plus)
			berth_strbuf_puts(&num, "+");
		berth_tvalue_format_float(&num, v, 'g');
		if (sp->verb == 'G')
			for (size_t i = 0; i < num.len; i++)
				if (num.buf[i] == 'e')
					num.buf[i] = 'E';
	} else {
		snprintf(cfmt, sizeof(cfmt), "%%%s%s.%d%c", sp->plus ? "+" : "",
			 sp->space ? " " : "", sp->prec < 0 ? 6 : sp->prec, sp->verb);
		berth_strbuf_printf(&num, cfmt, v);
	}
	pad(out, sp, num.buf, num.len, true);
}

static void fmt_string_verb(struct berth_strbuf *out, const struct spec *sp, const json_t *v)
{
	cleanup_strbuf struct berth_strbuf s = BERTH_STRBUF_INIT;
	const char *str = json_string_value(v);
	size_t len = json_string_length(v);

	if (sp->verb == 'q') {
		berth_format_quote(&s, str, len);
	} else if (sp->verb == 'x' || sp->verb == 'X') {
		for (size_t i = 0; i < len; i++)
			berth_strbuf_printf(&s, sp->verb == 'x' ? "%02x" : "%02X",
					    (unsigned char)str[i]);
	} else {
		size_t cut = len;
		if (sp->prec >= 0) { /* precision counts runes */
			size_t runes = 0;
			for (cut = 0; cut < len; cut++)
				if (((unsigned char)str[cut] & 0xc0) != 0x80 &&
				    runes++ == (size_t)sp->prec)
					break;
		}
		berth_strbuf_append(&s, str, cut);
	}
	pad(out, sp, s.buf ? s.buf : "", s.len, false);
}

static void fmt_value_verb(struct berth_strbuf *out, const struct spec *sp, const json_t *v)
{
	cleanup_strbuf struct berth_strbuf s = BERTH_STRBUF_INIT;

	berth_tvalue_print(&s, v, false);
	pad(out, sp, s.buf ? s.buf : "", s.len, false);
}

static void fmt_char(struct berth_strbuf *out, const struct spec *sp, long long r)
{
	cleanup_strbuf struct berth_strbuf s = BERTH_STRBUF_INIT;
	unsigned long c =
	    r < 0 || r > 0x10ffff || (r >= 0xd800 && r < 0xe000) ? 0xfffd : (unsigned long)r;
	char b[4];
	size_t n;

	if (sp->verb == 'U') {
		berth_strbuf_printf(&s, "U+%04lX", c);
		pad(out, sp, s.buf, s.len, false);
		return;
	}
	n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	b[0] = (char)(n == 1   ? c
		      : n == 2 ? 0xc0 | (c >> 6)
		      : n == 3 ? 0xe0 | (c >> 12)
			       : 0xf0 | (c >> 18));
	for (size_t i = 1; i < n; i++)
		b[i] = (char)(0x80 | ((c >> (6 * (n - 1 - i))) & 0x3f));
	if (sp->verb == 'q') {
		berth_strbuf_puts(&s, "'");
		berth_strbuf_append(&s, b, n);
		berth_strbuf_puts(&s, "'");
	} else {
		berth_strbuf_append(&s, b, n);
	}
	pad(out, sp, s.buf, s.len, false);
}

/* One verb applied to one argument. */
static void fmt_arg(struct berth_strbuf *out, const struct spec *sp, const json_t *v)
{
	char verb = sp->verb;

	if (verb == 'v') {
		fmt_value_verb(out, sp, v);
	} else if (verb == 'T') {
		const char *t = berth_tvalue_type_name(v);
		pad(out, sp, t, strlen(t), false);
	} else if (json_is_string(v) && strchr("sqxX", verb)) {
		fmt_string_verb(out, sp, v);
	} else if ((json_is_array(v) || json_is_object(v)) && verb == 's') {
		fmt_value_verb(out, sp, v);
	} else if (json_is_integer(v) && strchr("cqU", verb)) {
		fmt_char(out, sp, json_integer_value(v));
	} else if (json_is_integer(v) && strchr("dboxX", verb)) {
		fmt_int(out, sp, json_integer_value(v));
	} else if (json_is_number(v) && strchr("eEfFgG", verb)) {
		/* JSON loses Go's int/float distinction: integers print as floats too */
		fmt_float(out, sp, json_number_value(v));
	} else if (json_is_boolean(v) && verb == 't') {
		pad(out, sp, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5, false);
	} else {
		bad_verb(out, verb, v);
	}
}

static int parse_num(const char **p)
{
	int n = 0;

	while (**p >= '0' && **p <= '9') {
		if (n < PRINTF_MAX_WIDTH)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n > PRINTF_MAX_WIDTH ? PRINTF_MAX_WIDTH : n;
}

/* Reads flags, width, precision and the verb after a '%'. */
static const char *parse_spec(const char *p, const char *end, struct spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->width = sp->prec = -1;
	for (; p < end && strchr("-+# 0", *p) && *p; p++) {
		sp->minus |= *p == '-';
		sp->plus |= *p == '+';
		sp->sharp |= *p == '#';
		sp->zero |= *p == '0';
		sp->space |= *p == ' ';
	}
	if (p < end && *p >= '0' && *p <= '9')
		sp->width = parse_num(&p);
	if (p < end && *p == '.') {
		p++;
		sp->prec = parse_num(&p);
	}
	sp->verb = p < end ? *p++ : '\0';
	return p;
}

json_t *berth_tfunc_printf(json_t **a, size_t n, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	const char *p = json_string_value(a[0]);
	const char *end = p + json_string_length(a[0]);
	size_t argi = 1;

	while (p < end) {
		const char *pct = memchr(p, '%', (size_t)(end - p));
		struct spec sp;

		if (pct == NULL) {
			berth_strbuf_append(&out, p, (size_t)(end - p));
			break;
		}
		berth_strbuf_append(&out, p, (size_t)(pct - p));
		p = parse_spec(pct + 1, end, &sp);
		if (sp.verb == '\0')
			berth_strbuf_puts(&out, "%!(NOVERB)");
		else if (sp.verb == '%')
			berth_strbuf_puts(&out, "%");
		else if (argi >= n)
			berth_strbuf_printf(&out, "%%!%c(MISSING)", sp.verb);
		else
			fmt_arg(&out, &sp, a[argi++]);
	}
	if (argi < n) {
		berth_strbuf_puts(&out, "%!(EXTRA ");
		for (size_t i = argi; i < n; i++) {
			berth_strbuf_printf(&out, "%s%s=", i > argi ? ", " : "",
					    berth_tvalue_type_name(a[i]));
			berth_tvalue_print(&out, a[i], false);
		}
		berth_strbuf_puts(&out, ")");
	}
	return json_stringn_nocheck(out.buf ? out.buf : "", out.len);
}
