/* fuzz_template.c: the --format template engine on untrusted input.
 * The first line of the input is the template, the rest is the JSON data
 * (nil data when it does not parse). Each template also runs as a table
 * (header functions and the tabwriter), as docker's formatter does. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "cli/format.h"

#define FUZZ_MAX_INPUT (100 * 1024)
/* small caps keep each run fast; the limits themselves are what is tested */
#define FUZZ_MAX_OUTPUT (64 * 1024)
#define FUZZ_MAX_STEPS	20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *tmpl, const json_t *j, unsigned flags)
{
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	struct berth_strbuf aligned = BERTH_STRBUF_INIT;
	berth_error_t err = NULL;
	struct berth_template *t = berth_template_parse("fuzz", tmpl, &err);

	if (t == NULL) {
		berth_error_release(&err);
		return;
	}
	berth_template_set_limits(t, FUZZ_MAX_OUTPUT, FUZZ_MAX_STEPS);
	if (berth_template_execute(t, j, flags, &out, &err) < 0)
		berth_error_release(&err);
	berth_tabwriter_format(&aligned, out.buf ? out.buf : "", out.len, 10, 3);
	berth_strbuf_release(&aligned);
	berth_strbuf_release(&out);
	berth_template_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl;
	char *tmpl;
	json_t *j = NULL;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	nl = memchr(data, '\n', size);
	tmpl = xstrndup((const char *)data, nl ? (size_t)(nl - (const char *)data) : size);
	if (nl)
		j = json_loadb(nl + 1, size - (size_t)(nl + 1 - (const char *)data),
			       JSON_DECODE_ANY, NULL);
	run(tmpl, j, 0);
	run(tmpl, j, BERTH_TEMPLATE_HEADER | BERTH_TEMPLATE_MISSINGKEY_ERROR);
	json_decref(j);
	free(tmpl);
	return 0;
}
