#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "image/store.h"

struct berth_store {
	char *root;  /* owned: data root */
	char *blobs; /* owned: <root>/blobs/sha256 */
	char *tmp;   /* owned: <root>/tmp */
	atomic_uint_fast64_t seq;
};

struct berth_blob_writer {
	struct berth_store *store; /* borrowed */
	char *tmp_path;		   /* owned */
	int fd;
	struct berth_sha256 *hash;
	char *expected; /* owned or NULL */
	int64_t expected_size, max_size, written;
};

struct berth_store *berth_store_open(const char *data_root, berth_error_t *err)
{
	struct berth_store *s = xzalloc(sizeof(*s));

	s->root = xstrdup(data_root);
	s->blobs = xasprintf("%s/blobs/sha256", data_root);
	s->tmp = xasprintf("%s/tmp", data_root);
	if (berth_fs_mkdir_p(s->blobs, 0700, err) < 0 || berth_fs_mkdir_p(s->tmp, 0700, err) < 0) {
		berth_store_free(s);
		return NULL;
	}
	return s;
}

void berth_store_free(struct berth_store *s)
{
	if (s == NULL)
		return;
	free(s->root);
	free(s->blobs);
	free(s->tmp);
	free(s);
}

char *berth_store_blob_path(struct berth_store *s, const char *digest)
{
	return xasprintf("%s/%s", s->blobs, digest + strlen("sha256:"));
}

char *berth_store_tmp_path(struct berth_store *s, const char *prefix)
{
	uint64_t n = atomic_fetch_add(&s->seq, 1);
	return xasprintf("%s/%s-%d-%llu", s->tmp, prefix, (int)getpid(), (unsigned long long)n);
}

static int check_digest(const char *digest, berth_error_t *err)
{
	if (!berth_digest_is_sha256(digest))
		return berth_make_error(err, EINVAL, "invalid or unsupported digest `%.80s`",
					digest ? digest : "");
	return 0;
}

struct berth_blob_writer *berth_store_blob_begin(struct berth_store *s, const char *expected,
						 int64_t expected_size, int64_t max_size,
						 berth_error_t *err)
{
	struct berth_blob_writer *w;

	if (expected && check_digest(expected, err) < 0)
		return NULL;
	w = xzalloc(sizeof(*w));
	w->store = s;
	w->tmp_path = berth_store_tmp_path(s, "blob");
	w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		berth_make_error(err, errno, "create `%s`: %s", w->tmp_path, strerror(errno));
		free(w->tmp_path);
		free(w);
		return NULL;
	}
	w->hash = berth_sha256_new();
	w->expected = expected ? xstrdup(expected) : NULL;
	w->expected_size = expected_size;
	w->max_size = max_size;
	return w;
}

int berth_blob_writer_write(struct berth_blob_writer *w, const void *data, size_t len,
			    berth_error_t *err)
{
	const char *p = data;
	size_t left = len;

	if (w->expected_size >= 0 && w->written + (int64_t)len > w->expected_size)
		return berth_make_error(
		    err, EINVAL, "blob %s is larger than its announced %lld bytes",
		    w->expected ? w->expected : "", (long long)w->expected_size);
	if (w->max_size > 0 && w->written + (int64_t)len > w->max_size)
		return berth_make_error(err, EFBIG, "blob is larger than %lld bytes",
					(long long)w->max_size);
	while (left > 0) {
		ssize_t n = write(w->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_make_error(err, errno, "write blob: %s", strerror(errno));
		p += n;
		left -= (size_t)n;
	}
	berth_sha256_update(w->hash, data, len);
	w->written += (int64_t)len;
	return 0;
}

int64_t berth_blob_writer_size(const struct berth_blob_writer *w)
{
	return w->written;
}

void berth_blob_writer_abort(struct berth_blob_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	unlink(w->tmp_path);
	berth_sha256_free(w->hash);
	free(w->tmp_path);
	free(w->expected);
	free(w);
}

static int verify(struct berth_blob_writer *w, char *got, berth_error_t *err)
{
	berth_sha256_final(w->hash, got);
	if (w->expected_size >= 0 && w->written != w->expected_size)
		return berth_make_error(err, EINVAL,
					"blob %s: size mismatch: want %lld bytes, got %lld", got,
					(long long)w->expected_size, (long long)w->written);
	if (w->expected && strcmp(w->expected, got) != 0)
		return berth_make_error(err, EINVAL, "digest mismatch: want %s, got %s",
					w->expected, got);
	return 0;
}

int berth_blob_writer_check(struct berth_blob_writer *w, berth_error_t *err)
{
	char got[BERTH_DIGEST_LEN + 1];

	return verify(w, got, err);
}

int berth_blob_writer_commit(struct berth_blob_writer *w, char *out_digest, berth_error_t *err)
{
	char got[BERTH_DIGEST_LEN + 1];
	cleanup_free char *path = NULL;
	int ret = 0;

	ret = verify(w, got, err);
	if (ret == 0 && fsync(w->fd) < 0)
		ret = berth_make_error(err, errno, "fsync blob: %s", strerror(errno));
	if (ret == 0) {
		path = berth_store_blob_path(w->store, got);
		/* an existing blob with that name has the same content */
		if (rename(w->tmp_path, path) < 0)
			ret = berth_make_error(err, errno, "rename blob into `%s`: %s", path,
					       strerror(errno));
	}
	if (ret == 0 && out_digest)
		memcpy(out_digest, got, sizeof(got));
	berth_blob_writer_abort(w);
	return ret;
}

int berth_store_put(struct berth_store *s, const void *data, size_t len, char *out_digest,
		    berth_error_t *err)
{
	struct berth_blob_writer *w = berth_store_blob_begin(s, NULL, -1, 0, err);

	if (w == NULL)
		return -1;
	if (berth_blob_writer_write(w, data, len, err) < 0) {
		berth_blob_writer_abort(w);
		return -1;
	}
	return berth_blob_writer_commit(w, out_digest, err);
}

bool berth_store_has(struct berth_store *s, const char *digest)
{
	cleanup_free char *path = NULL;

	if (!berth_digest_is_sha256(digest))
		return false;
	path = berth_store_blob_path(s, digest);
	return access(path, F_OK) == 0;
}

int berth_store_open_blob(struct berth_store *s, const char *digest, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	int fd;

	if (check_digest(digest, err) < 0)
		return -1;
	path = berth_store_blob_path(s, digest);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_make_error(err, errno, "blob %s: %s", digest, strerror(errno));
	return fd;
}

ssize_t berth_store_read(struct berth_store *s, const char *digest, size_t max, char **out,
			 berth_error_t *err)
{
	cleanup_free char *path = NULL;

	if (check_digest(digest, err) < 0)
		return -1;
	path = berth_store_blob_path(s, digest);
	return berth_fs_read_file(path, max, out, err);
}

int64_t berth_store_size(struct berth_store *s, const char *digest, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	struct stat st;

	if (check_digest(digest, err) < 0)
		return -1;
	path = berth_store_blob_path(s, digest);
	if (stat(path, &st) < 0)
		return berth_make_error(err, errno, "blob %s: %s", digest, strerror(errno));
	return (int64_t)st.st_size;
}

int berth_store_delete(struct berth_store *s, const char *digest, berth_error_t *err)
{
	cleanup_free char *path = NULL;

	if (check_digest(digest, err) < 0)
		return -1;
	path = berth_store_blob_path(s, digest);
	if (unlink(path) < 0 && errno != ENOENT)
		return berth_make_error(err, errno, "delete blob %s: %s", digest, strerror(errno));
	return 0;
}
