/* isal_dl.h: ISA-L's inflate, loaded with dlopen the first time a layer
 * is inflated (only pulls and loads need it). */
#ifndef BERTH_BASE_ISAL_DL_H
#define BERTH_BASE_ISAL_DL_H

#include <isa-l/igzip_lib.h>

#include "base/lazylib.h"

#define BERTH_ISAL_FUNCS(X)                                                                     \
	X(isal_inflate)                                                                         \
	X(isal_inflate_init)                                                                    \
	X(isal_inflate_reset)

BERTH_LAZYLIB_DECLARE(isal, ISAL)

/* From here on every listed function is called through the table (the
 * loader, base/lazylib.c, defines BERTH_LAZYLIB_LOADER to see the names). */
#ifndef BERTH_LAZYLIB_LOADER
#define isal_inflate (berth_isal_api_get()->isal_inflate)
#define isal_inflate_init (berth_isal_api_get()->isal_inflate_init)
#define isal_inflate_reset (berth_isal_api_get()->isal_inflate_reset)
#endif

#endif
