/* error.h: the error type, after crun's libcrun_error_t.
 *
 * On success a function returns >= 0 (or non-NULL) and leaves *err untouched.
 * On failure it returns < 0 (or NULL) and sets *err exactly once; the caller
 * returns it, wraps it with context, or releases it on purpose. */
#ifndef BERTH_BASE_ERROR_H
#define BERTH_BASE_ERROR_H

struct berth_error {
	int code;  /* errno value; 0 when none applies */
	char *msg; /* owned */
};
typedef struct berth_error *berth_error_t;

/* Sets *err to a new error with errno CODE and a formatted message.
 * Returns -CODE-1 so that it can be returned directly (always < 0). */
int berth_make_error(berth_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message of *err with formatted context: "ctx: old".
 * Returns the same negative value berth_make_error returned. */
int berth_error_wrap(berth_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees *err (NULL is fine) and sets it to NULL. */
void berth_error_release(berth_error_t *err);

/* The errno of *err, or 0. */
int berth_error_code(const berth_error_t err);

#define cleanup_error __attribute__((cleanup(berth_error_release)))

#endif
