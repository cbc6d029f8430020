#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/format.h"
#include "cli/opts.h"

void berth_strv_push(struct berth_strv *v, const char *s)
{
	v->v = xrealloc(v->v, (v->n + 2) * sizeof(*v->v));
	v->v[v->n++] = s;
	v->v[v->n] = NULL;
}

void berth_strv_release(struct berth_strv *v)
{
	if (v == NULL)
		return;
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static const struct berth_opt *find_long(const struct berth_opt *t, size_t n, const char *name,
					 size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && strncmp(t[i].name, name, len) == 0)
			return &t[i];
	return NULL;
}

/* -h is not in the tables: like cobra's help flag it is implicit and hidden. */
static const struct berth_opt *find_short(const struct berth_opt *t, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].shorthand == c)
			return &t[i];
	return NULL;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* "-f, --filter" or "--format", as pflag names a flag in messages. */
static char *flag_label(const struct berth_opt *o)
{
	if (o->shorthand)
		return xasprintf("-%c, --%s", o->shorthand, o->name);
	return xasprintf("--%s", o->name);
}

static int set_value(const struct berth_opt *o, void *opts, const char *value, berth_error_t *err)
{
	char *field = (char *)opts + o->offset;
	cleanup_free char *label = NULL;
	bool b;

	switch (o->type) {
	case BERTH_OPT_BOOL:
	case BERTH_OPT_TRIBOOL:
		if (parse_bool(value, &b) < 0) {
			label = flag_label(o);
			return berth_make_error(
			    err, EINVAL,
			    "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax",
			    value, label, value);
		}
		if (o->type == BERTH_OPT_TRIBOOL)
			*(int *)field = b ? BERTH_OPT_SET_TRUE : BERTH_OPT_SET_FALSE;
		else
			*(bool *)field = b;
		return 0;
	case BERTH_OPT_STRING:
	case BERTH_OPT_LIST:
		if (o->validate && o->validate(value, err) < 0) {
			cleanup_strbuf struct berth_strbuf q = BERTH_STRBUF_INIT;
			label = flag_label(o);
			berth_format_quote(&q, value, strlen(value)); /* pflag's %q */
			return berth_error_wrap(err, "invalid argument %s for \"%s\" flag", q.buf,
						label);
		}
		if (o->type == BERTH_OPT_STRING)
			*(const char **)field = value;
		else
			berth_strv_push((struct berth_strv *)field, value);
		return 0;
	}
	return berth_make_error(err, EINVAL, "bad option type");
}

/* "--name", "--name=value" or "--name value"; *I advances past what it used. */
static int parse_long(const struct berth_opt *t, size_t n, int argc, char **argv, int *i,
		      void *opts, berth_error_t *err)
{
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct berth_opt *o = find_long(t, n, arg, len);

	if (len == 4 && strncmp(arg, "help", 4) == 0)
		return BERTH_OPTS_HELP;
	if (o == NULL)
		return berth_make_error(err, EINVAL, "unknown flag: --%.*s", (int)len, arg);
	if (eq)
		return set_value(o, opts, eq + 1, err);
	if (o->type == BERTH_OPT_BOOL || o->type == BERTH_OPT_TRIBOOL)
		return set_value(o, opts, "true", err);
	if (*i + 1 >= argc)
		return berth_make_error(err, EINVAL, "flag needs an argument: --%s", o->name);
	return set_value(o, opts, argv[++*i], err);
}

/* "-abc": booleans, then possibly one option taking the rest or the next arg. */
static int parse_short(const struct berth_opt *t, size_t n, int argc, char **argv, int *i,
		       void *opts, berth_error_t *err)
{
	const char *arg = argv[*i] + 1;

	for (size_t k = 0; arg[k]; k++) {
		const struct berth_opt *o = find_short(t, n, arg[k]);
		const char *rest = arg + k + 1;

		if (o == NULL && arg[k] == 'h')
			return BERTH_OPTS_HELP;
		if (o == NULL) /* pflag names the shorthands from the bad one on */
			return berth_make_error(err, EINVAL, "unknown shorthand flag: '%c' in -%s",
						arg[k], arg + k);
		if (*rest == '=')
			return set_value(o, opts, rest + 1, err);
		if (o->type == BERTH_OPT_BOOL || o->type == BERTH_OPT_TRIBOOL) {
			if (set_value(o, opts, "true", err) < 0)
				return -1;
			continue;
		}
		if (*rest)
			return set_value(o, opts, rest, err);
		if (*i + 1 >= argc)
			return berth_make_error(err, EINVAL, "flag needs an argument: '%c' in -%s",
						arg[k], arg + k);
		return set_value(o, opts, argv[++*i], err);
	}
	return 0;
}

/* --help is answered only after every argument was read, as pflag does:
 * a bad flag anywhere still reports its error first. */
int berth_opts_parse(const struct berth_opt *table, size_t n, int argc, char **argv,
		     bool interspersed, void *opts, struct berth_strv *args, berth_error_t *err)
{
	bool help = false;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int ret;

		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				berth_strv_push(args, argv[i]);
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			berth_strv_push(args, a);
			if (!interspersed) {
				for (i++; i < argc; i++)
					berth_strv_push(args, argv[i]);
				break;
			}
			continue;
		}
		ret = a[1] == '-' ? parse_long(table, n, argc, argv, &i, opts, err)
				  : parse_short(table, n, argc, argv, &i, opts, err);
		if (ret < 0)
			return ret;
		help |= ret == BERTH_OPTS_HELP;
	}
	return help ? BERTH_OPTS_HELP : 0;
}

/* ---- help ---- */

/* pflag's wrapN: splits S at the last blank before I bytes, or keeps it
 * whole when it fits within I + SLOP. */
static size_t wrap_n(const char *s, size_t i, size_t slop, size_t *skip)
{
	size_t len = strlen(s), w = 0, nl = 0;

	*skip = 0;
	if (i + slop > len)
		return len;
	for (size_t k = 0; k < i; k++) {
		if (s[k] == ' ' || s[k] == '\t' || s[k] == '\n')
			w = k;
		if (s[k] == '\n')
			nl = k;
	}
	if (w == 0)
		return len;
	*skip = 1;
	return nl > 0 && nl < w ? nl : w;
}

static void append_indented(struct berth_strbuf *out, const char *s, size_t len, size_t indent)
{
	for (size_t k = 0; k < len; k++) {
		berth_strbuf_append(out, s + k, 1);
		if (s[k] == '\n')
			for (size_t j = 0; j < indent; j++)
				berth_strbuf_puts(out, " ");
	}
}

/* pflag's wrap: the text after column INDENT, wrapped at COLS. */
static void wrap(struct berth_strbuf *out, size_t indent, size_t cols, const char *s)
{
	size_t width = cols > indent ? cols - indent : 0, n, skip;

	if (cols == 0 || width < 24) {
		append_indented(out, s, strlen(s), indent);
		return;
	}
	width -= 5; /* the slop lets a line run over rather than leave an orphan word */
	n = wrap_n(s, width, 5, &skip);
	append_indented(out, s, n, indent);
	s += n + skip;
	while (*s) {
		berth_strbuf_puts(out, "\n");
		for (size_t j = 0; j < indent; j++)
			berth_strbuf_puts(out, " ");
		n = wrap_n(s, width, 5, &skip);
		append_indented(out, s, n, indent);
		s += n + skip;
	}
}

static int cmp_opts(const void *a, const void *b)
{
	return strcmp((*(const struct berth_opt *const *)a)->name,
		      (*(const struct berth_opt *const *)b)->name);
}

void berth_opts_usage(struct berth_strbuf *out, const struct berth_opt *table, size_t n, int cols)
{
	cleanup_free const struct berth_opt **sorted = xcalloc(n + 1, sizeof(*sorted));
	cleanup_free char **heads = xcalloc(n + 1, sizeof(*heads));
	size_t maxlen = 0;

	size_t all = n;

	n = 0;
	for (size_t i = 0; i < all; i++)
		if (!table[i].hidden)
			sorted[n++] = &table[i];
	qsort(sorted, n, sizeof(*sorted), cmp_opts);
	for (size_t i = 0; i < n; i++) {
		const struct berth_opt *o = sorted[i];
		const char *tn = o->type_name ? o->type_name : "";
		heads[i] = o->shorthand ? xasprintf("  -%c, --%s%s%s", o->shorthand, o->name,
						    *tn ? " " : "", tn)
					: xasprintf("      --%s%s%s", o->name, *tn ? " " : "", tn);
		if (strlen(heads[i]) + 1 > maxlen)
			maxlen = strlen(heads[i]) + 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct berth_opt *o = sorted[i];
		/* pflag quotes the default of string flags only */
		bool quote = o->type == BERTH_OPT_STRING &&
			     (o->type_name == NULL || strcmp(o->type_name, "string") == 0);
		cleanup_free char *text =
		    o->def ? xasprintf("%s (default %s%s%s)", o->usage, quote ? "\"" : "", o->def,
				       quote ? "\"" : "")
			   : xstrdup(o->usage);

		/* Go's Fprintln(head, spacing, text) puts a blank between each */
		berth_strbuf_printf(out, "%s %*s ", heads[i], (int)(maxlen - strlen(heads[i])), "");
		wrap(out, maxlen + 2, cols > 0 ? (size_t)cols : 0, text);
		berth_strbuf_puts(out, "\n");
		free(heads[i]);
	}
}
