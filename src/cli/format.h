/* format.h: docker's --format machinery for the CLI.
 *
 * - berth_template_*: the subset of Go's text/template that docker's
 *   templates use, executed on JSON (jansson) data, with docker's extra
 *   functions (json, split, join, title, lower, upper, pad, truncate).
 * - berth_formatter_*: docker's formatter.Context: "table" and "json"
 *   directives, rows, header row, tab-aligned columns.
 * - berth_tabwriter_format: Go's text/tabwriter (elastic tabstops).
 *
 * The template text is untrusted input: parsing and execution are bounded in
 * size, nesting depth, steps and output, and never abort. */
#ifndef BERTH_CLI_FORMAT_H
#define BERTH_CLI_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

/* Largest template accepted, in bytes. */
#define BERTH_TEMPLATE_MAX_SIZE (256 * 1024)
/* Deepest nesting of {{if}}/{{range}}/{{with}} and parentheses. */
#define BERTH_TEMPLATE_MAX_DEPTH 100
/* Default cap on the output of one execution, in bytes. */
#define BERTH_TEMPLATE_MAX_OUTPUT (16 * 1024 * 1024)
/* Default cap on evaluation steps of one execution (nested ranges multiply). */
#define BERTH_TEMPLATE_MAX_STEPS 10000000ULL

/* Execution flags. */
enum {
	/* docker's HeaderFunctions: json, split, join, title, lower, upper and
	 * truncate return their first argument (used to render table headers). */
	BERTH_TEMPLATE_HEADER = 1 << 0,
	/* a missing map key is an error, as Go's missingkey=error option */
	BERTH_TEMPLATE_MISSINGKEY_ERROR = 1 << 1,
};

struct berth_template;

/* Parses TEXT as a template called NAME (used in messages). On a syntax
 * error returns NULL with EINVAL and Go's message, e.g.
 * "template: NAME:1: unclosed action" (docker adds "template parsing error: "). */
struct berth_template *berth_template_parse(const char *name, const char *text, berth_error_t *err);

/* Lowers the output and step caps of T (for fuzzing); 0 keeps a cap as is. */
void berth_template_set_limits(struct berth_template *t, size_t max_output, uint64_t max_steps);

/* Executes T with DATA (borrowed; NULL is Go's nil data) as dot, appending
 * to OUT. FLAGS is a mask of BERTH_TEMPLATE_*. On an execution error,
 * returns < 0 with Go's message ("template: NAME:1:2: executing ..."); what
 * was written before the error stays in OUT, as with Go. */
int berth_template_execute(const struct berth_template *t, const json_t *data, unsigned flags,
			   struct berth_strbuf *out, berth_error_t *err);

void berth_template_free(struct berth_template *t);

/* Appends V as Go's encoding/json encodes it: compact, keys in their order,
 * no HTML escaping, floats in Go's shortest form. NULL encodes as null. */
void berth_format_json(struct berth_strbuf *out, const json_t *v);

/* Appends V as Go's fmt prints it with %v: strings raw, map[k:v], [a b],
 * <nil> for null and NULL. */
void berth_format_value(struct berth_strbuf *out, const json_t *v);

/* Appends S quoted as Go's strconv.Quote does ("a\"b\n"). */
void berth_format_quote(struct berth_strbuf *out, const char *s, size_t len);

/* Go's text/tabwriter over TEXT: cells end at tabs, columns are as wide as
 * their widest cell plus PADDING (at least MINWIDTH), padded with spaces.
 * A line without tabs ends a column block. Appends to OUT. */
void berth_tabwriter_format(struct berth_strbuf *out, const char *text, size_t len, int minwidth,
			    int padding);

struct berth_formatter;

/* docker's formatter.Context for FORMAT: "table[ TEMPLATE]" renders a
 * header row and aligned columns, "json" is {{json .}}, anything else is a
 * template per row. Literal "\t" and "\n" in FORMAT become tab and newline.
 * TABLE_DEFAULT replaces a bare "table". Syntax errors are EINVAL,
 * "template parsing error: ...". */
struct berth_formatter *berth_formatter_new(const char *format, const char *table_default,
					    berth_error_t *err);

/* True when the format is a table. */
bool berth_formatter_is_table(const struct berth_formatter *f);

/* Renders one row (DATA borrowed) followed by a newline. */
int berth_formatter_add(struct berth_formatter *f, const json_t *data, berth_error_t *err);

/* Appends the result to OUT: for tables, the header row (the template run
 * on HEADER, an object of field name to column title, with the header
 * functions) and the rows, aligned; else the rows as they are. Resets F. */
void berth_formatter_flush(struct berth_formatter *f, const json_t *header,
			   struct berth_strbuf *out);

void berth_formatter_free(struct berth_formatter *f);

#endif
