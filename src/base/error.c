#include "config.h"

#include <stdarg.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/xalloc.h"

int berth_make_error(berth_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;
	struct berth_error *e = xzalloc(sizeof(*e));

	va_start(ap, fmt);
	e->msg = xvasprintf(fmt, ap);
	va_end(ap);
	e->code = code;
	if (err)
		*err = e;
	else {
		free(e->msg);
		free(e);
	}
	return -code - 1;
}

int berth_error_wrap(berth_error_t *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -(*err)->code - 1;
}

void berth_error_release(berth_error_t *err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

int berth_error_code(const berth_error_t err)
{
	return err ? err->code : 0;
}
