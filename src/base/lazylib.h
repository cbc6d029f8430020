/* lazylib.h: the dlopen loader behind archive_dl.h, curl_dl.h and
 * isal_dl.h: BERTH_LAZYLIB_DEFINE(lib, LIB, SONAME) defines one library's
 * berth_<lib>_dl_load and berth_<lib>_api_get, filling its table from the
 * BERTH_<LIB>_FUNCS list the first time either is called (thread-safe). */
#ifndef BERTH_BASE_LAZYLIB_H
#define BERTH_BASE_LAZYLIB_H

#include <pthread.h>

#include "base/error.h"

/* One library: loaded once, its handle kept for the process's life. */
struct berth_lazylib {
	const char *soname;
	pthread_once_t once;
	void *handle;
	char error[256]; /* why it could not be loaded, "" when it was */
};

/* dlopen()s L's library; NULL (and L's error set) when it cannot. */
void *berth_lazylib_open(struct berth_lazylib *l);
/* NAME in L's library; NULL (and L's error set) when it is missing. */
void *berth_lazylib_symbol(struct berth_lazylib *l, const char *name);
/* 0, or L's error as EINVAL. */
int berth_lazylib_result(struct berth_lazylib *l, berth_error_t *err);
/* TABLE, or abort() with L's error logged. */
void *berth_lazylib_table(struct berth_lazylib *l, void *table);

/* In <lib>_dl.h: the table of BERTH_<LIB>_FUNCS, and
 *   int berth_<lib>_dl_load(berth_error_t *err): loads the library (once,
 *     thread-safe); EINVAL "cannot load ..." when it is missing. Called
 *     where an operation starts, to fail it cleanly.
 *   struct berth_<lib>_api *berth_<lib>_api_get(void): the loaded table,
 *     loading it first if needed (aborting with a message if it cannot be:
 *     an entry point should have called berth_<lib>_dl_load). */
#define BERTH_LAZYLIB_MEMBER(f) __typeof__(f) *f;
#define BERTH_LAZYLIB_DECLARE(lib, LIB)                                                          \
	struct berth_##lib##_api {                                                               \
		BERTH_##LIB##_FUNCS(BERTH_LAZYLIB_MEMBER)                                        \
	};                                                                                       \
	int berth_##lib##_dl_load(berth_error_t *err);                                           \
	struct berth_##lib##_api *berth_##lib##_api_get(void);

/* In the one .c file of a library: its loader. */
#define BERTH_LAZYLIB_DEFINE(lib, LIB, SONAME)                                                   \
	static struct berth_##lib##_api lib##_api;                                               \
	static struct berth_lazylib lib##_lib = { .soname = SONAME, .once = PTHREAD_ONCE_INIT }; \
	static void lib##_load_once(void)                                                        \
	{                                                                                        \
		if (berth_lazylib_open(&lib##_lib) == NULL)                                      \
			return;                                                                  \
		BERTH_##LIB##_FUNCS(BERTH_LAZYLIB_SYM_##lib)                                     \
	}                                                                                        \
	int berth_##lib##_dl_load(berth_error_t *err)                                            \
	{                                                                                        \
		pthread_once(&lib##_lib.once, lib##_load_once);                                  \
		return berth_lazylib_result(&lib##_lib, err);                                    \
	}                                                                                        \
	struct berth_##lib##_api *berth_##lib##_api_get(void)                                    \
	{                                                                                        \
		pthread_once(&lib##_lib.once, lib##_load_once);                                  \
		return berth_lazylib_table(&lib##_lib, &lib##_api);                              \
	}

#endif
