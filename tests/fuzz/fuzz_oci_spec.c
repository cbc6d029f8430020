/* fuzz_oci_spec.c: config.json parsing (every field, limits, NULs in
 * strings), lone `process` objects (exec --process), mount option lists
 * and the sysctl rules applied to what parsed. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "runtime/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the input split at commas, as a mount's options */
static void fuzz_options(const char *data, size_t size)
{
	cleanup_free char *s = xstrndup(data, size < 4096 ? size : 4096);
	const char *opts[64];
	struct berth_spec_mount m = { 0 };
	berth_error_t err = NULL;
	size_t n = 0;
	char *p, *save = NULL;

	for (p = strtok_r(s, ",", &save); p && n < 64; p = strtok_r(NULL, ",", &save))
		opts[n++] = p;
	if (berth_spec_mount_options(&m, opts, n, &err) < 0)
		berth_error_release(&err);
	free(m.data);
}

static void use_spec(const struct berth_spec *s)
{
	size_t i;

	for (i = 0; i < s->n_sysctl; i++)
		(void)berth_spec_sysctl_allowed(s->sysctl_keys[i], s);
	for (i = 0; i < s->process.n_rlimits; i++)
		(void)berth_spec_rlimit_name(s->process.rlimits[i].resource);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	berth_error_t err = NULL;
	struct berth_spec *s;
	struct berth_spec_process p;
	json_t *pdoc = NULL;

	if (size > 100 * 1024)
		return 0;
	s = berth_spec_parse(doc, size, "/bundle", &err);
	if (s)
		use_spec(s);
	berth_spec_free(s);
	berth_error_release(&err);
	if (berth_spec_process_parse(doc, size, &p, &pdoc, &err) == 0) {
		berth_spec_process_release(&p);
		json_decref(pdoc);
	}
	berth_error_release(&err);
	fuzz_options(doc, size);
	return 0;
}
