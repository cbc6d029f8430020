/* lazylib_net.c: the tables of libcurl and ISA-L (lazylib.h), loaded
 * the first time the daemon talks to a registry or inflates a layer. */
#include "config.h"

#define BERTH_LAZYLIB_LOADER 1

#include "base/curl_dl.h"
#include "base/isal_dl.h"
#include "base/lazylib.h"

#ifdef __APPLE__
#define CURL_SONAME "libcurl.4.dylib"
#define ISAL_SONAME "libisal.2.dylib"
#else
#define CURL_SONAME "libcurl.so.4"
#define ISAL_SONAME "libisal.so.2"
#endif

#define BERTH_LAZYLIB_SYM_curl(f) *(void **)&curl_api.f = berth_lazylib_symbol(&curl_lib, #f);
BERTH_LAZYLIB_DEFINE(curl, CURL, CURL_SONAME)

#define BERTH_LAZYLIB_SYM_isal(f) *(void **)&isal_api.f = berth_lazylib_symbol(&isal_lib, #f);
BERTH_LAZYLIB_DEFINE(isal, ISAL, ISAL_SONAME)
