/* store.h: the content store: blobs by digest under <data-root>/blobs.
 *
 * A blob becomes visible only after its bytes matched the expected digest
 * (and size): writers stream into <data-root>/tmp, hash on the way, fsync,
 * and rename into blobs/sha256/<hex> on commit. Blobs are shared by every
 * image that references them; readers verify nothing again (the file name is
 * the proof). Thread-safe: no shared mutable state beyond the filesystem. */
#ifndef BERTH_IMAGE_STORE_H
#define BERTH_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

struct berth_store;
struct berth_blob_writer;

/* Opens the store under DATA_ROOT (blobs/sha256 and tmp/ must exist). */
struct berth_store *berth_store_open(const char *data_root, berth_error_t *err);
void berth_store_free(struct berth_store *s);

/* Starts a blob. EXPECTED is the digest it must have ("sha256:<hex>", NULL
 * when unknown: the digest is then whatever the bytes hash to) and
 * EXPECTED_SIZE its size (-1 when unknown). MAX_SIZE bounds what is
 * accepted (0 = no bound beyond the disk). */
struct berth_blob_writer *berth_store_blob_begin(struct berth_store *s, const char *expected,
						 int64_t expected_size, int64_t max_size,
						 berth_error_t *err);
int berth_blob_writer_write(struct berth_blob_writer *w, const void *data, size_t len,
			    berth_error_t *err);
/* Bytes written so far. */
int64_t berth_blob_writer_size(const struct berth_blob_writer *w);
/* Verifies digest and size, makes the blob visible, and frees W in every
 * case. A mismatch is EINVAL ("digest mismatch: want X, got Y"). OUT_DIGEST
 * (BERTH_DIGEST_LEN + 1 bytes, may be NULL) gets the digest. */
int berth_blob_writer_commit(struct berth_blob_writer *w, char *out_digest, berth_error_t *err);
/* Checks digest and size like commit but publishes nothing; W can then
 * only be aborted. For telling a corrupt download from a bad archive. */
int berth_blob_writer_check(struct berth_blob_writer *w, berth_error_t *err);
/* Drops what was written and frees W. NULL is fine. */
void berth_blob_writer_abort(struct berth_blob_writer *w);

/* Stores DATA whole (manifests, configs) and returns its digest in OUT. */
int berth_store_put(struct berth_store *s, const void *data, size_t len, char *out_digest,
		    berth_error_t *err);
bool berth_store_has(struct berth_store *s, const char *digest);
/* Opens a blob read-only (O_CLOEXEC). ENOENT when absent. */
int berth_store_open_blob(struct berth_store *s, const char *digest, berth_error_t *err);
/* Reads a blob of at most MAX bytes whole. Returns its length. */
ssize_t berth_store_read(struct berth_store *s, const char *digest, size_t max, char **out,
			 berth_error_t *err);
/* Size in bytes, or -1 with ENOENT. */
int64_t berth_store_size(struct berth_store *s, const char *digest, berth_error_t *err);
int berth_store_delete(struct berth_store *s, const char *digest, berth_error_t *err);
/* Path of the blob file (whether or not it exists). Caller frees. */
char *berth_store_blob_path(struct berth_store *s, const char *digest);
/* A new unique path under the store's tmp/ with PREFIX. Caller frees. */
char *berth_store_tmp_path(struct berth_store *s, const char *prefix);

#endif
