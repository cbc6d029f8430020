/* archive_dl.c: libarchive loaded when `berth cp` runs (archive_dl.h). */
#include "config.h"

#define BERTH_ARCHIVE_DL_LOADER 1

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#include "cli/archive_dl.h"

#ifdef __APPLE__
#define LIBARCHIVE_NAME "libarchive.13.dylib"
#else
#define LIBARCHIVE_NAME "libarchive.so.13"
#endif

struct berth_archive_api berth_archive_api;

int berth_archive_dl_load(berth_error_t *err)
{
	static bool loaded;
	void *h;

	if (loaded)
		return 0;
	h = dlopen(LIBARCHIVE_NAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return berth_make_error(err, EINVAL, "cannot load libarchive: %s", dlerror());
#define BERTH_ARCHIVE_LOAD(f)                                                                   \
	*(void **)&berth_archive_api.f = dlsym(h, #f);                                            \
	if (berth_archive_api.f == NULL)                                                          \
		return berth_make_error(err, EINVAL, "cannot load libarchive: no %s", #f);
	BERTH_ARCHIVE_FUNCS(BERTH_ARCHIVE_LOAD)
#undef BERTH_ARCHIVE_LOAD
	loaded = true; /* the handle stays open for the process's life */
	return 0;
}
