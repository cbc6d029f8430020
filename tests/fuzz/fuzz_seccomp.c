/* fuzz_seccomp.c: an OCI `linux.seccomp` object from untrusted JSON, built
 * into a libseccomp filter (never loaded). An array input is taken as a
 * capability list for docker's default profile instead. */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/error.h"
#include "runtime/linux/seccomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_error_t err = NULL;
	json_t *o, *profile;

	if (size > 100 * 1024)
		return 0;
	o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (o == NULL)
		return 0;
	if (json_is_array(o)) {
		profile = berth_seccomp_default_profile(o);
		if (berth_seccomp_check(profile, &err) < 0)
			abort(); /* the default profile always builds */
		json_decref(profile);
	} else if (berth_seccomp_check(o, &err) < 0) {
		berth_error_release(&err);
	}
	json_decref(o);
	return 0;
}
