/* lazylib.c: the dlopen loader (lazylib.h), and libarchive's table. */
#include "config.h"

#define BERTH_LAZYLIB_LOADER 1

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/archive_dl.h"
#include "base/lazylib.h"
#include "base/log.h"

#ifdef __APPLE__
#define ARCHIVE_SONAME "libarchive.13.dylib"
#else
#define ARCHIVE_SONAME "libarchive.so.13"
#endif

void *berth_lazylib_open(struct berth_lazylib *l)
{
	l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (l->handle == NULL)
		snprintf(l->error, sizeof(l->error), "cannot load %s: %s", l->soname, dlerror());
	return l->handle;
}

void *berth_lazylib_symbol(struct berth_lazylib *l, const char *name)
{
	void *p = dlsym(l->handle, name);

	if (p == NULL && l->error[0] == '\0')
		snprintf(l->error, sizeof(l->error), "cannot load %s: no %s", l->soname, name);
	return p;
}

int berth_lazylib_result(struct berth_lazylib *l, berth_error_t *err)
{
	return l->error[0] ? berth_make_error(err, EINVAL, "%s", l->error) : 0;
}

void *berth_lazylib_table(struct berth_lazylib *l, void *table)
{
	if (l->error[0]) {
		berth_log_error("%s", l->error);
		abort();
	}
	return table;
}

#define BERTH_LAZYLIB_SYM_archive(f) *(void **)&archive_api.f = berth_lazylib_symbol(&archive_lib, #f);
BERTH_LAZYLIB_DEFINE(archive, ARCHIVE, ARCHIVE_SONAME)
