#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/archive_dl.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "image/archive.h"
#include "image/manifest.h"
#include "image/pull.h"
#include "base/reference.h"

#define COPY_BUF (128 * 1024)

/* --- save ------------------------------------------------------------------------------------ */

static int archive_fail(struct archive *a, berth_error_t *err, const char *what)
{
	return berth_make_error(err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "%s: %s", what,
				archive_error_string(a) ? archive_error_string(a)
							: "archive error");
}

static int put_header(struct archive *a, const char *name, int64_t size, berth_error_t *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 0, 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : archive_fail(a, err, name);
}

static int put_buffer(struct archive *a, const char *name, const char *data, size_t len,
		      berth_error_t *err)
{
	if (put_header(a, name, (int64_t)len, err) < 0)
		return -1;
	if (len && archive_write_data(a, data, len) != (la_ssize_t)len)
		return archive_fail(a, err, name);
	return 0;
}

static int put_blob(struct archive *a, struct berth_store *s, const char *digest, json_t *written,
		    berth_error_t *err)
{
	cleanup_free char *name = xasprintf("blobs/sha256/%s", digest + 7);
	cleanup_free char *buf = NULL;
	cleanup_close int fd = -1;
	int64_t size;

	if (json_object_get(written, digest))
		return 0;
	size = berth_store_size(s, digest, err);
	fd = size < 0 ? -1 : berth_store_open_blob(s, digest, err);
	if (fd < 0)
		return berth_error_wrap(err, "save");
	if (put_header(a, name, size, err) < 0)
		return -1;
	buf = xmalloc(COPY_BUF);
	for (;;) {
		ssize_t n = read(fd, buf, COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_make_error(err, errno, "read blob %s: %s", digest,
						strerror(errno));
		if (n == 0)
			break;
		if (archive_write_data(a, buf, (size_t)n) != n)
			return archive_fail(a, err, name);
	}
	json_object_set_new(written, digest, json_true());
	return 0;
}

static json_t *blob_paths(json_t *digests)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach (digests, i, it)
		json_array_append_new(out,
				      json_sprintf("blobs/sha256/%s", json_string_value(it) + 7));
	return out;
}

/* index.json entries: the image manifests the store has, one per tag. */
static void add_index_entries(struct berth_store *s, const struct berth_saved_image *img,
			      json_t *index)
{
	json_t *it, *tag;
	size_t i, k;

	json_array_foreach (img->manifests, i, it) {
		const char *d = json_string_value(it);
		cleanup_free char *text = NULL;
		struct berth_manifest m;
		ssize_t n = berth_store_read(s, d, BERTH_MANIFEST_MAX_BYTES, &text, NULL);

		if (n < 0 || berth_manifest_parse(text, (size_t)n, NULL, &m, NULL) < 0)
			continue;
		if (m.kind == BERTH_MANIFEST_IMAGE && strcmp(m.config.digest, img->id) == 0) {
			json_array_foreach (img->repo_tags, k, tag)
				json_array_append_new(
				    index,
				    json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", m.media_type,
					      "digest", d, "size", (json_int_t)n, "annotations",
					      "io.containerd.image.name", json_string_value(tag)));
			if (json_array_size(img->repo_tags) == 0)
				json_array_append_new(
				    index, json_pack("{s:s, s:s, s:I}", "mediaType", m.media_type,
						     "digest", d, "size", (json_int_t)n));
		}
		berth_manifest_release(&m);
	}
}

static int save_image(struct archive *a, struct berth_store *s, const struct berth_saved_image *img,
		      json_t *written, json_t *manifest, json_t *index, berth_error_t *err)
{
	json_t *it;
	size_t i;

	if (put_blob(a, s, img->id, written, err) < 0)
		return -1;
	json_array_foreach (img->layer_blobs, i, it)
		if (put_blob(a, s, json_string_value(it), written, err) < 0)
			return -1;
	json_array_foreach (img->manifests, i, it)
		if (berth_store_has(s, json_string_value(it)) &&
		    put_blob(a, s, json_string_value(it), written, err) < 0)
			return -1;
	json_array_append_new(
	    manifest, json_pack("{s:s+, s:O, s:o, s:O}", "Config", "blobs/sha256/", img->id + 7,
				"RepoTags", img->repo_tags, "Layers", blob_paths(img->layer_blobs),
				"RepoDigests", img->repo_digests));
	add_index_entries(s, img, index);
	return 0;
}

int berth_image_save(struct berth_store *store, const struct berth_saved_image *images, size_t n,
		     int fd, berth_error_t *err)
{
	if (berth_archive_dl_load(err) < 0)
		return -1;
	struct archive *a = archive_write_new();
	json_t *written = json_object(), *manifest = json_array(), *index = json_array();
	cleanup_free char *mtext = NULL, *itext = NULL;
	json_t *idx;
	size_t i;
	int ret = 0;

	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		ret = archive_fail(a, err, "save");
	for (i = 0; ret == 0 && i < n; i++)
		ret = save_image(a, store, &images[i], written, manifest, index, err);
	if (ret == 0) {
		static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
		idx = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
				BERTH_MT_OCI_INDEX, "manifests", index);
		mtext = json_dumps(manifest, JSON_COMPACT);
		itext = json_dumps(idx, JSON_COMPACT);
		json_decref(idx);
		ret = put_buffer(a, "oci-layout", layout, strlen(layout), err);
		if (ret == 0)
			ret = put_buffer(a, "index.json", itext, strlen(itext), err);
		if (ret == 0)
			ret = put_buffer(a, "manifest.json", mtext, strlen(mtext), err);
	}
	if (archive_write_close(a) != ARCHIVE_OK && ret == 0)
		ret = archive_fail(a, err, "save");
	archive_write_free(a);
	json_decref(written);
	json_decref(manifest);
	json_decref(index);
	return ret;
}

/* --- load ------------------------------------------------------------------------------------ */

struct loader {
	struct berth_store *store;
	const char *layers_dir;
	json_t *files; /* archive path -> blob digest */
	json_t *links; /* archive path -> link target (old docker-archives dedupe with symlinks) */
	char *manifest_json, *index_json; /* owned */
	size_t entries;
};

static char *clean_path(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (*p == '/')
		p++;
	return xstrdup(p);
}

static int read_meta(struct archive *a, const char *name, int64_t size, char **out,
		     berth_error_t *err)
{
	char *buf;
	la_ssize_t n;

	if (size < 0 || size > BERTH_ARCHIVE_MAX_META)
		return berth_make_error(err, EINVAL, "%s is larger than %d bytes", name,
					BERTH_ARCHIVE_MAX_META);
	buf = xmalloc((size_t)size + 1);
	n = archive_read_data(a, buf, (size_t)size);
	if (n != size) {
		free(buf);
		return berth_make_error(err, EIO, "read %s: %s", name,
					archive_error_string(a) ? archive_error_string(a)
								: "truncated");
	}
	buf[size] = '\0';
	free(*out);
	*out = buf;
	return 0;
}

/* Stores one file of the archive as a blob; blobs/sha256/<hex> must hash to <hex>. */
static int store_entry(struct loader *l, struct archive *a, const char *path, int64_t size,
		       berth_error_t *err)
{
	cleanup_free char *expected = NULL;
	struct berth_blob_writer *w;
	char digest[BERTH_DIGEST_LEN + 1];
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	if (strncmp(path, "blobs/sha256/", 13) == 0) {
		expected = xasprintf("sha256:%s", path + 13);
		if (!berth_digest_is_sha256(expected))
			return berth_make_error(err, EINVAL, "invalid blob name `%.100s`", path);
	}
	w = berth_store_blob_begin(l->store, expected, size, 0, err);
	if (w == NULL)
		return -1;
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (berth_blob_writer_write(w, buf, len, err) < 0) {
			berth_blob_writer_abort(w);
			return -1;
		}
	}
	if (r != ARCHIVE_EOF) {
		berth_blob_writer_abort(w);
		return archive_fail(a, err, path);
	}
	if (berth_blob_writer_commit(w, digest, err) < 0)
		return berth_error_wrap(err, "`%.100s`", path);
	json_object_set_new(l->files, path, json_string(digest));
	return 0;
}

static int read_entries(struct loader *l, struct archive *a, berth_error_t *err)
{
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		cleanup_free char *path =
		    clean_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
		int64_t size = archive_entry_size(e);
		int ret = 0;

		if (++l->entries > BERTH_ARCHIVE_MAX_ENTRIES)
			return berth_make_error(err, EINVAL, "the archive has more than %d entries",
						BERTH_ARCHIVE_MAX_ENTRIES);
		if (archive_entry_filetype(e) == AE_IFLNK) {
			const char *t = archive_entry_symlink(e);
			if (t)
				json_object_set_new(l->links, path, json_string(t));
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (strcmp(path, "manifest.json") == 0)
			ret = read_meta(a, path, size, &l->manifest_json, err);
		else if (strcmp(path, "index.json") == 0)
			ret = read_meta(a, path, size, &l->index_json, err);
		else if (strcmp(path, "repositories") == 0 || strcmp(path, "oci-layout") == 0)
			continue;
		else
			ret = store_entry(l, a, path, size, err);
		if (ret < 0)
			return -1;
	}
	if (r != ARCHIVE_EOF)
		return archive_fail(a, err, "read the archive");
	return 0;
}

/* The blob for an archive path, following old docker-archive symlinks
 * ("<id>/layer.tar -> ../<other>/layer.tar") a few levels at most. */
static const char *blob_for(struct loader *l, const char *path)
{
	cleanup_free char *cur = xstrdup(path);
	int depth;

	for (depth = 0; depth < 8; depth++) {
		const char *d = json_string_value(json_object_get(l->files, cur));
		const char *t;
		char *dir, *next;

		if (d)
			return d;
		t = json_string_value(json_object_get(l->links, cur));
		if (t == NULL)
			return NULL;
		dir = xstrdup(cur);
		*(strrchr(dir, '/') ? strrchr(dir, '/') : dir) = '\0';
		/* "../x/layer.tar" relative to the link's directory */
		if (strncmp(t, "../", 3) == 0 && strchr(dir, '/') == NULL)
			next = clean_path(t + 3);
		else
			next = *dir ? xasprintf("%s/%s", dir, t) : clean_path(t);
		free(dir);
		free(cur);
		cur = next;
	}
	return NULL;
}

static json_t *normalise_names(json_t *names, bool digests, berth_error_t *err)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach (names, i, it) {
		struct berth_ref r;
		if (!json_is_string(it) || berth_ref_parse(json_string_value(it), &r, err) < 0 ||
		    (digests && r.digest == NULL) || (!digests && r.digest)) {
			if (json_is_string(it) && (err == NULL || *err == NULL))
				berth_make_error(err, EINVAL,
						 "invalid image name `%.200s` in the archive",
						 json_string_value(it));
			if (err && *err == NULL)
				berth_make_error(err, EINVAL, "invalid image name in the archive");
			json_decref(out);
			return NULL;
		}
		berth_ref_default_tag(&r);
		if (digests) {
			cleanup_free char *n = berth_ref_name(&r);
			json_array_append_new(out, json_sprintf("%s@%s", n, r.digest));
		} else {
			char *full = berth_ref_string(&r);
			json_array_append_new(out, json_string(full));
			free(full);
		}
		berth_ref_release(&r);
	}
	return out;
}

static int install_layers(struct loader *l, struct berth_loaded_image *img,
			  const struct berth_image_config *cfg, char **blobs, berth_error_t *err)
{
	size_t i;

	img->n_layers = cfg->n_diff_ids;
	img->chain_ids = berth_chain_ids(cfg->diff_ids, cfg->n_diff_ids);
	img->layer_sizes = xcalloc(cfg->n_diff_ids + 1, sizeof(int64_t));
	for (i = 0; i < cfg->n_diff_ids; i++) {
		if (berth_layer_install_from_blob(l->store, l->layers_dir, img->chain_ids[i],
						  cfg->diff_ids[i], blobs[i], &img->layer_sizes[i],
						  err) < 0)
			return -1;
		img->size += img->layer_sizes[i];
	}
	return 0;
}

/* Manifest digests in the store whose image is IMG (to keep for push/save). */
static void find_manifests(struct loader *l, struct berth_loaded_image *img, json_t *index)
{
	json_t *cands = json_array(), *it, *m;
	size_t i;

	json_array_foreach (json_object_get(index, "manifests"), i, m)
		json_array_append(cands, json_object_get(m, "digest"));
	json_array_foreach (img->repo_digests, i, it) {
		const char *at = strchr(json_string_value(it), '@');
		if (at)
			json_array_append_new(cands, json_string(at + 1));
	}
	json_array_foreach (cands, i, it) {
		const char *d = json_string_value(it);
		if (d && berth_store_has(l->store, d))
			json_array_append(img->manifests, it);
	}
	json_decref(cands);
}

static int load_one(struct loader *l, const char *config_blob, char **blobs, size_t n_blobs,
		    json_t *tags, json_t *digests, json_t *index, struct berth_loaded_image *img,
		    berth_error_t *err)
{
	cleanup_free char *text = NULL;
	struct berth_image_config cfg = { 0 };
	ssize_t len = berth_store_read(l->store, config_blob, BERTH_CONFIG_MAX_BYTES, &text, err);
	int ret;

	if (len < 0 || berth_image_config_parse(text, (size_t)len, &cfg, err) < 0)
		return berth_error_wrap(err, "image config %s", config_blob);
	if (cfg.n_diff_ids != n_blobs) {
		berth_image_config_release(&cfg);
		return berth_make_error(err, EINVAL,
					"image %s: %zu layers in the archive, %zu in its config",
					config_blob, n_blobs, cfg.n_diff_ids);
	}
	img->id = xstrdup(config_blob);
	img->created = cfg.created;
	img->os = xstrdup(cfg.platform.os ? cfg.platform.os : "linux");
	img->arch = xstrdup(cfg.platform.arch ? cfg.platform.arch : "");
	img->variant = cfg.platform.variant ? xstrdup(cfg.platform.variant) : NULL;
	img->repo_tags = normalise_names(tags, false, err);
	img->repo_digests = img->repo_tags ? normalise_names(digests, true, err) : NULL;
	img->manifests = json_array();
	ret = img->repo_digests ? install_layers(l, img, &cfg, blobs, err) : -1;
	if (ret == 0)
		find_manifests(l, img, index);
	berth_image_config_release(&cfg);
	return ret;
}

static int from_manifest_json(struct loader *l, json_t *list, json_t *index,
			      struct berth_loaded_image **out, size_t *n_out, berth_error_t *err)
{
	json_t *entry;
	size_t i;

	if (!json_is_array(list))
		return berth_make_error(err, EINVAL, "manifest.json is not a list");
	*out = xcalloc(json_array_size(list) + 1, sizeof(**out));
	json_array_foreach (list, i, entry) {
		json_t *layers = json_object_get(entry, "Layers"), *it;
		const char *cfgpath = json_string_value(json_object_get(entry, "Config"));
		const char *cfg = cfgpath ? blob_for(l, cfgpath) : NULL;
		size_t k, n = json_array_size(layers);
		char **blobs = xcalloc(n + 1, sizeof(char *));
		int ret = 0;

		*n_out = i + 1;
		json_array_foreach (layers, k, it) {
			const char *p = json_string_value(it);
			blobs[k] = p ? (char *)blob_for(l, p) : NULL;
			if (blobs[k] == NULL)
				ret = berth_make_error(err, EINVAL,
						       "layer `%.100s` is missing from the archive",
						       p ? p : "");
		}
		if (ret == 0 && cfg == NULL)
			ret = berth_make_error(err, EINVAL,
					       "config `%.100s` is missing from the archive",
					       cfgpath ? cfgpath : "");
		if (ret == 0)
			ret =
			    load_one(l, cfg, blobs, n, json_object_get(entry, "RepoTags"),
				     json_object_get(entry, "RepoDigests"), index, &(*out)[i], err);
		free(blobs);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* An OCI layout without manifest.json: names come from the annotations. */
static int from_index_json(struct loader *l, json_t *index, struct berth_loaded_image **out,
			   size_t *n_out, berth_error_t *err)
{
	json_t *descs = json_object_get(index, "manifests"), *d;
	size_t i;

	*out = xcalloc(json_array_size(descs) + 1, sizeof(**out));
	json_array_foreach (descs, i, d) {
		const char *digest = json_string_value(json_object_get(d, "digest"));
		json_t *ann = json_object_get(d, "annotations");
		const char *name =
		    json_string_value(json_object_get(ann, "io.containerd.image.name"));
		cleanup_free char *text = NULL;
		struct berth_manifest m;
		json_t *tags = json_array(), *none = json_array();
		char **blobs;
		ssize_t len;
		size_t k;
		int ret;

		if (name == NULL)
			name = json_string_value(
			    json_object_get(ann, "org.opencontainers.image.ref.name"));
		if (name)
			json_array_append_new(tags, json_string(name));
		len = digest
			  ? berth_store_read(l->store, digest, BERTH_MANIFEST_MAX_BYTES, &text, err)
			  : -1;
		if (len < 0 || berth_manifest_parse(text, (size_t)len, NULL, &m, err) < 0 ||
		    m.kind != BERTH_MANIFEST_IMAGE) {
			if (len >= 0 && err && *err == NULL)
				berth_make_error(err, ENOTSUP,
						 "nested indexes are not supported in archives");
			json_decref(tags);
			json_decref(none);
			return berth_error_wrap(err, "index.json entry %zu", i);
		}
		blobs = xcalloc(m.n_layers + 1, sizeof(char *));
		for (k = 0; k < m.n_layers; k++)
			blobs[k] = m.layers[k].digest;
		*n_out = i + 1;
		ret = load_one(l, m.config.digest, blobs, m.n_layers, tags, none, index, &(*out)[i],
			       err);
		free(blobs);
		berth_manifest_release(&m);
		json_decref(tags);
		json_decref(none);
		if (ret < 0)
			return -1;
	}
	return 0;
}

int berth_image_load(struct berth_store *store, const char *layers_dir, int fd,
		     struct berth_loaded_image **out, size_t *n_out, berth_error_t *err)
{
	if (berth_archive_dl_load(err) < 0)
		return -1;
	struct loader l = { .store = store, .layers_dir = layers_dir };
	struct archive *a = archive_read_new();
	json_t *manifest = NULL, *index = NULL;
	int ret = 0;

	*out = NULL;
	*n_out = 0;
	l.files = json_object();
	l.links = json_object();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, fd, COPY_BUF) != ARCHIVE_OK)
		ret = archive_fail(a, err, "read the archive");
	if (ret == 0)
		ret = read_entries(&l, a, err);
	if (ret == 0 && l.index_json)
		index = json_loads(l.index_json, 0, NULL);
	if (ret == 0 && l.manifest_json) {
		manifest = json_loads(l.manifest_json, 0, NULL);
		ret = manifest ? from_manifest_json(&l, manifest, index, out, n_out, err)
			       : berth_make_error(err, EINVAL, "manifest.json is not valid JSON");
	} else if (ret == 0 && index)
		ret = from_index_json(&l, index, out, n_out, err);
	else if (ret == 0)
		ret = berth_make_error(
		    err, EINVAL, "not an image archive: no manifest.json or index.json found");
	if (ret < 0) {
		berth_loaded_images_free(*out, *n_out);
		*out = NULL;
		*n_out = 0;
	}
	archive_read_free(a);
	json_decref(manifest);
	json_decref(index);
	json_decref(l.files);
	json_decref(l.links);
	free(l.manifest_json);
	free(l.index_json);
	return ret;
}

void berth_loaded_images_free(struct berth_loaded_image *imgs, size_t n)
{
	size_t i, k;

	for (i = 0; imgs && i < n; i++) {
		struct berth_loaded_image *m = &imgs[i];
		for (k = 0; m->chain_ids && k < m->n_layers; k++)
			free(m->chain_ids[k]);
		free(m->chain_ids);
		free(m->layer_sizes);
		free(m->id);
		free(m->os);
		free(m->arch);
		free(m->variant);
		json_decref(m->repo_tags);
		json_decref(m->repo_digests);
		json_decref(m->manifests);
	}
	free(imgs);
}
