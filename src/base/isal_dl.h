/* isal_dl.h: ISA-L's inflate, loaded with dlopen the first time a layer
 * is inflated (only pulls and loads need it). */
#ifndef BERTH_BASE_ISAL_DL_H
#define BERTH_BASE_ISAL_DL_H

#include <isa-l/igzip_lib.h>

#include "base/error.h"

#define BERTH_ISAL_FUNCS(X)                                                                     \
	X(isal_inflate)                                                                         \
	X(isal_inflate_init)                                                                    \
	X(isal_inflate_reset)

struct berth_isal_api {
#define BERTH_ISAL_MEMBER(f) __typeof__(f) *f;
	BERTH_ISAL_FUNCS(BERTH_ISAL_MEMBER)
#undef BERTH_ISAL_MEMBER
};

/* Loads the library (once, thread-safe); EINVAL "cannot load ..." when it
 * is missing. Call it where an operation starts, to fail it cleanly. */
int berth_isal_dl_load(berth_error_t *err);

/* The loaded table, loading it first if needed (aborting with a message if
 * it cannot be: an entry point should have called berth_isal_dl_load). */
struct berth_isal_api *berth_isal_api_get(void);

/* From here on every listed function is called through the table (the
 * loader, base/lazylib.c, defines BERTH_LAZYLIB_LOADER to see the names). */
#ifndef BERTH_LAZYLIB_LOADER
#define isal_inflate (berth_isal_api_get()->isal_inflate)
#define isal_inflate_init (berth_isal_api_get()->isal_inflate_init)
#define isal_inflate_reset (berth_isal_api_get()->isal_inflate_reset)
#endif

#endif
