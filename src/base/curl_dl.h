/* curl_dl.h: libcurl, loaded with dlopen the first time it is used.
 *
 * libcurl brings OpenSSL, Kerberos, LDAP, libssh2, nghttp2 and more: ~3 MB
 * of RSS in an idle daemon that has no registry to talk to. Include this
 * instead of <curl/curl.h> where libcurl is used (the registry client). A
 * function not listed fails to link. curl's type-checking macros are off:
 * its functions are called through pointers. */
#ifndef BERTH_BASE_CURL_DL_H
#define BERTH_BASE_CURL_DL_H

/* the type-checking wrappers of curl_easy_setopt/getinfo are macros */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "base/lazylib.h"

#define BERTH_CURL_FUNCS(X)                                                                     \
	X(curl_easy_cleanup)                                                                    \
	X(curl_easy_escape)                                                                     \
	X(curl_easy_getinfo)                                                                    \
	X(curl_easy_init)                                                                       \
	X(curl_easy_perform)                                                                    \
	X(curl_easy_setopt)                                                                     \
	X(curl_easy_strerror)                                                                   \
	X(curl_free)                                                                            \
	X(curl_slist_append)                                                                    \
	X(curl_slist_free_all)

BERTH_LAZYLIB_DECLARE(curl, CURL)

/* From here on every listed function is called through the table (the
 * loader, base/lazylib.c, defines BERTH_LAZYLIB_LOADER to see the names). */
#ifndef BERTH_LAZYLIB_LOADER
/* curl.h wraps these two in macros that check the argument count */
#undef curl_easy_getinfo
#undef curl_easy_setopt
#define curl_easy_cleanup (berth_curl_api_get()->curl_easy_cleanup)
#define curl_easy_escape (berth_curl_api_get()->curl_easy_escape)
#define curl_easy_getinfo (berth_curl_api_get()->curl_easy_getinfo)
#define curl_easy_init (berth_curl_api_get()->curl_easy_init)
#define curl_easy_perform (berth_curl_api_get()->curl_easy_perform)
#define curl_easy_setopt (berth_curl_api_get()->curl_easy_setopt)
#define curl_easy_strerror (berth_curl_api_get()->curl_easy_strerror)
#define curl_free (berth_curl_api_get()->curl_free)
#define curl_slist_append (berth_curl_api_get()->curl_slist_append)
#define curl_slist_free_all (berth_curl_api_get()->curl_slist_free_all)
#endif

#endif
