/* strbuf.h: a growable byte buffer, always NUL-terminated. */
#ifndef BERTH_BASE_STRBUF_H
#define BERTH_BASE_STRBUF_H

#include <stddef.h>

struct berth_strbuf {
	char *buf; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
};

#define BERTH_STRBUF_INIT  \
	{                  \
		NULL, 0, 0 \
	}

void berth_strbuf_append(struct berth_strbuf *sb, const void *data, size_t len);
void berth_strbuf_puts(struct berth_strbuf *sb, const char *s);
void berth_strbuf_printf(struct berth_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Drops the first N bytes. */
void berth_strbuf_consume(struct berth_strbuf *sb, size_t n);
void berth_strbuf_reset(struct berth_strbuf *sb);
/* Returns the buffer (caller owns it, never NULL) and empties SB. */
char *berth_strbuf_steal(struct berth_strbuf *sb);
void berth_strbuf_release(struct berth_strbuf *sb);

#define cleanup_strbuf __attribute__((cleanup(berth_strbuf_release)))

#endif
