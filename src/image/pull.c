#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "image/layer.h"
#include "image/pull.h"

#define PROGRESS_INTERVAL_NS 200000000LL /* at most 5 progress lines a second per layer */

struct pull {
	const struct berth_pull_opts *o;
	const struct berth_ref *ref;
	struct berth_registry_options reg_opts;
	struct berth_manifest manifest; /* the image manifest */
	struct berth_pulled_image *out;
	pthread_mutex_t lock; /* guards next_layer and first_err */
	size_t next_layer;
	berth_error_t first_err;
	bool *skip;	 /* layers already present */
	bool had_config; /* the image was in the store before this pull */
};

/* --- helpers ------------------------------------------------------------------------- */

static void progress(const struct pull *p, json_t *msg)
{
	if (p->o->progress)
		p->o->progress(p->o->progress_data, msg);
	else
		json_decref(msg);
}

static const char *short_id(const char *digest, char *buf)
{
	snprintf(buf, 13, "%s", digest + 7);
	return buf;
}

static void layer_status(const struct pull *p, size_t i, const char *status)
{
	char id[16];
	progress(p, json_pack("{s:s, s:{}, s:s}", "status", status, "progressDetail", "id",
			      short_id(p->manifest.layers[i].digest, id)));
}

static bool cancelled(const struct pull *p)
{
	return p->o->cancel && atomic_load(p->o->cancel);
}

static char *human(int64_t n)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	return xasprintf("%.4g%s", v, units[u]);
}

char *berth_progress_bar(int64_t current, int64_t total)
{
	char bar[51];
	cleanup_free char *c = human(current), *t = NULL;
	int width = 50, filled, i;

	if (total <= 0)
		return xasprintf("%8s", c);
	t = human(total);
	filled = (int)((double)current / (double)total * width);
	if (filled > width)
		filled = width;
	for (i = 0; i < width; i++)
		bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
	bar[width] = '\0';
	return xasprintf("[%s] %8s/%s", bar, c, t);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *berth_layer_dir(const char *layers_dir, const char *chain_id)
{
	return xasprintf("%s/%s", layers_dir, chain_id + strlen("sha256:"));
}

int64_t berth_layer_size(const char *layers_dir, const char *chain_id, berth_error_t *err)
{
	cleanup_free char *dir = berth_layer_dir(layers_dir, chain_id);
	cleanup_free char *path = xasprintf("%s/layer.json", dir);
	cleanup_free char *text = NULL;
	json_t *j;
	int64_t size;

	if (berth_fs_read_file(path, 64 * 1024, &text, err) < 0)
		return -1;
	j = json_loads(text, 0, NULL);
	size = json_integer_value(json_object_get(j, "size"));
	json_decref(j);
	return size;
}

/* --- resolving the reference ------------------------------------------------------------ */

static int fetch_manifest(struct pull *p, struct berth_registry *reg, const char *reference,
			  struct berth_manifest *m, char **digest, berth_error_t *err)
{
	struct berth_registry_doc doc;
	char stored[BERTH_DIGEST_LEN + 1];
	int ret = berth_registry_get_manifest(reg, reference, &doc, err);

	if (ret < 0)
		return ret;
	ret = berth_manifest_parse(doc.body, doc.len, doc.content_type, m, err);
	if (ret == 0)
		ret = berth_store_put(p->o->store, doc.body, doc.len, stored, err);
	if (ret == 0 && digest)
		*digest = xstrdup(doc.digest);
	berth_registry_doc_release(&doc);
	return ret;
}

static int resolve(struct pull *p, struct berth_registry *reg, berth_error_t *err)
{
	const char *reference = p->ref->digest ? p->ref->digest : p->ref->tag;
	struct berth_platform host;
	const struct berth_platform *want = p->o->platform;
	cleanup_free char *picked = NULL;
	struct berth_manifest top;
	int idx, ret;

	if (fetch_manifest(p, reg, reference, &top, &p->out->manifest_digest, err) < 0)
		return -1;
	if (top.kind == BERTH_MANIFEST_IMAGE) {
		p->manifest = top;
		return 0;
	}
	berth_platform_host(&host);
	idx = berth_manifest_select(&top, want ? want : &host, err);
	berth_platform_release(&host);
	if (idx < 0) {
		berth_manifest_release(&top);
		return -1;
	}
	picked = xstrdup(top.manifests[idx].digest);
	berth_manifest_release(&top);
	p->out->platform_manifest = xstrdup(picked);
	ret = fetch_manifest(p, reg, picked, &p->manifest, NULL, err);
	if (ret == 0 && p->manifest.kind != BERTH_MANIFEST_IMAGE)
		ret = berth_make_error(err, EINVAL, "manifest %s is an index inside an index",
				       picked);
	return ret;
}

/* --- the config ------------------------------------------------------------------------ */

struct membuf {
	struct berth_blob_writer *w;
};

static int config_data(void *data, const void *buf, size_t len, berth_error_t *err)
{
	struct membuf *m = data;
	return berth_blob_writer_write(m->w, buf, len, err);
}

static int fetch_config(struct pull *p, struct berth_registry *reg, berth_error_t *err)
{
	const struct berth_descriptor *d = &p->manifest.config;
	cleanup_free char *body = NULL;
	struct membuf m = { NULL };
	ssize_t len;

	if (d->size > BERTH_CONFIG_MAX_BYTES)
		return berth_make_error(err, EINVAL, "image config %s is larger than %d bytes",
					d->digest, BERTH_CONFIG_MAX_BYTES);
	p->had_config = berth_store_has(p->o->store, d->digest);
	if (!p->had_config) {
		m.w = berth_store_blob_begin(p->o->store, d->digest, d->size,
					     BERTH_CONFIG_MAX_BYTES, err);
		if (m.w == NULL)
			return -1;
		if (berth_registry_get_blob(reg, d->digest, d->size, config_data, NULL, &m, err) <
		    0) {
			berth_blob_writer_abort(m.w);
			return berth_error_wrap(err, "fetch image config %s", d->digest);
		}
		if (berth_blob_writer_commit(m.w, NULL, err) < 0)
			return berth_error_wrap(err, "image config");
	}
	len = berth_store_read(p->o->store, d->digest, BERTH_CONFIG_MAX_BYTES, &body, err);
	if (len < 0 || berth_image_config_parse(body, (size_t)len, &p->out->config, err) < 0)
		return -1;
	if (p->out->config.n_diff_ids != p->manifest.n_layers)
		return berth_make_error(err, EINVAL,
					"image config has %zu layers but the manifest %zu",
					p->out->config.n_diff_ids, p->manifest.n_layers);
	p->out->image_id = xstrdup(d->digest);
	return 0;
}

/* --- layers ------------------------------------------------------------------------------ */

struct layer_job {
	struct pull *p;
	size_t i;
	const struct berth_descriptor *d;
	struct berth_registry *reg; /* borrowed: this worker's client */
	struct berth_blob_writer *w;
	int pipe_w;
	int64_t got, last_report;
	berth_error_t dl_err;
	int dl_ret;
};

static void report_download(struct layer_job *j)
{
	char id[16];
	cleanup_free char *bar = berth_progress_bar(j->got, j->d->size);

	progress(j->p, json_pack("{s:s, s:{s:I, s:I}, s:s, s:s}", "status", "Downloading",
				 "progressDetail", "current", (json_int_t)j->got, "total",
				 (json_int_t)j->d->size, "progress", bar, "id",
				 short_id(j->d->digest, id)));
}

/* Each chunk goes to the blob file (hashed) and on to the unpacker. */
static int layer_data(void *data, const void *buf, size_t len, berth_error_t *err)
{
	struct layer_job *j = data;
	int64_t now;

	if (cancelled(j->p))
		return berth_make_error(err, ECANCELED, "pull cancelled");
	if (berth_blob_writer_write(j->w, buf, len, err) < 0)
		return -1;
	if (berth_fs_write_all(j->pipe_w, buf, len) < 0)
		return berth_make_error(err, ECANCELED, "layer unpack stopped");
	j->got += (int64_t)len;
	now = mono_ns();
	if (now - j->last_report >= PROGRESS_INTERVAL_NS) {
		j->last_report = now;
		report_download(j);
	}
	return 0;
}

static void *download_thread(void *arg)
{
	struct layer_job *j = arg;

	j->dl_ret = berth_registry_get_blob(j->reg, j->d->digest, j->d->size, layer_data, NULL, j,
					    &j->dl_err);
	close(j->pipe_w);
	j->pipe_w = -1;
	return NULL;
}

static int write_layer_meta(const char *dir, const char *diff_id, int64_t size, const char *blob,
			    berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/layer.json", dir);
	json_t *j = json_pack("{s:s, s:I, s:s}", "diff_id", diff_id, "size", (json_int_t)size,
			      "blob", blob);
	cleanup_free char *text = json_dumps(j, JSON_COMPACT);
	int ret = berth_fs_write_atomic(path, text, strlen(text), 0600, err);

	json_decref(j);
	return ret;
}

/* Moves the finished layer into place; a concurrent pull may have won. */
static int publish_layer(const char *tmp, const char *final, berth_error_t *err)
{
	cleanup_free char *parent = xstrdup(final);
	cleanup_close int dfd = -1;

	if (rename(tmp, final) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			return berth_make_error(err, errno, "rename `%s`: %s", final,
						strerror(errno));
		berth_fs_remove_tree_contents(tmp, NULL);
		rmdir(tmp);
		return 0;
	}
	*strrchr(parent, '/') = '\0';
	dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

static int unpack_layer(struct layer_job *j, const char *tmp, struct berth_layer_stats *st,
			berth_error_t *err)
{
	cleanup_free char *diff = xasprintf("%s/diff", tmp);
	cleanup_close int dfd = -1, pipe_r = -1;
	berth_error_t uerr = NULL;
	pthread_t th;
	int fds[2], uret;

	if (mkdir(tmp, 0700) < 0 || mkdir(diff, 0755) < 0)
		return berth_make_error(err, errno, "mkdir `%s`: %s", diff, strerror(errno));
	dfd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || pipe2(fds, O_CLOEXEC) < 0)
		return berth_make_error(err, errno, "layer dir: %s", strerror(errno));
	pipe_r = fds[0];
	j->pipe_w = fds[1];
	if (pthread_create(&th, NULL, download_thread, j) != 0) {
		close(j->pipe_w);
		return berth_make_error(err, EAGAIN, "cannot start a download thread");
	}
	uret = berth_layer_unpack_fd(pipe_r, dfd, st, &uerr);
	/* an unpack that stopped early makes the download fail with EPIPE */
	close(steal_fd(&pipe_r));
	pthread_join(th, NULL);
	/* the first failure is the one to report: an unpack that stopped (disk
	 * full, hostile entry) makes the download fail with ECANCELED */
	if (j->dl_ret < 0 && !(uret < 0 && berth_error_code(j->dl_err) == ECANCELED)) {
		berth_error_release(&uerr);
		*err = steal_pointer(&j->dl_err);
		return -1;
	}
	berth_error_release(&j->dl_err);
	if (uret < 0) {
		/* bytes that are not what the manifest promised explain a bad archive */
		berth_error_t cerr = NULL;
		if (j->dl_ret == 0 && berth_blob_writer_check(j->w, &cerr) < 0) {
			berth_error_release(&uerr);
			*err = cerr;
			return -1;
		}
		*err = uerr;
		return -1;
	}
	return 0;
}

static int pull_layer_once(struct layer_job *j, const char *final, berth_error_t *err)
{
	struct pull *p = j->p;
	cleanup_free char *tmp = berth_store_tmp_path(p->o->store, "layer");
	const char *want_diff = p->out->config.diff_ids[j->i];
	struct berth_layer_stats st = { 0 };
	int64_t usage = 0;
	int ret;

	j->got = 0;
	j->w = berth_store_blob_begin(p->o->store, j->d->digest, j->d->size, 0, err);
	if (j->w == NULL)
		return -1;
	ret = unpack_layer(j, tmp, &st, err);
	if (ret == 0) {
		layer_status(p, j->i, "Verifying Checksum");
		ret = berth_blob_writer_commit(steal_pointer(&j->w), NULL, err);
	}
	if (ret == 0 && strcmp(st.diff_id, want_diff) != 0)
		ret = berth_make_error(err, EINVAL, "layer %s: diff_id mismatch: want %s, got %s",
				       j->d->digest, want_diff, st.diff_id);
	if (ret == 0) {
		/* dockerd's layer size: file bytes, not tar bytes */
		cleanup_free char *diff = xasprintf("%s/diff", tmp);
		usage = berth_fs_usage(diff, err);
		ret = usage < 0 ? -1 : write_layer_meta(tmp, st.diff_id, usage, j->d->digest, err);
	}
	if (ret == 0) {
		layer_status(p, j->i, "Download complete");
		ret = publish_layer(tmp, final, err);
	}
	berth_blob_writer_abort(steal_pointer(&j->w));
	if (ret < 0) {
		berth_fs_remove_tree_contents(tmp, NULL);
		rmdir(tmp);
		return ret;
	}
	p->out->layer_sizes[j->i] = usage;
	return 0;
}

int berth_layer_install_from_blob(struct berth_store *store, const char *layers_dir,
				  const char *chain_id, const char *diff_id, const char *blob,
				  int64_t *size, berth_error_t *err)
{
	cleanup_free char *final = berth_layer_dir(layers_dir, chain_id);
	cleanup_free char *tmp = NULL, *diff = NULL;
	cleanup_close int in = -1, dfd = -1;
	struct berth_layer_stats st = { 0 };
	int64_t usage;
	int ret;

	*size = berth_layer_size(layers_dir, chain_id, NULL);
	if (*size >= 0)
		return 0;
	in = berth_store_open_blob(store, blob, err);
	if (in < 0)
		return -1;
	tmp = berth_store_tmp_path(store, "layer");
	diff = xasprintf("%s/diff", tmp);
	if (mkdir(tmp, 0700) < 0 || mkdir(diff, 0755) < 0 ||
	    (dfd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ret = berth_make_error(err, errno, "layer dir `%s`: %s", diff, strerror(errno));
		goto out;
	}
	ret = berth_layer_unpack_fd(in, dfd, &st, err);
	if (ret == 0 && strcmp(st.diff_id, diff_id) != 0)
		ret = berth_make_error(err, EINVAL, "layer %s: diff_id mismatch: want %s, got %s",
				       blob, diff_id, st.diff_id);
	usage = ret == 0 ? berth_fs_usage(diff, err) : -1;
	if (ret == 0)
		ret = usage < 0 ? -1 : write_layer_meta(tmp, st.diff_id, usage, blob, err);
	if (ret == 0)
		ret = publish_layer(tmp, final, err);
	if (ret == 0)
		*size = usage;
out:
	if (ret < 0) {
		berth_fs_remove_tree_contents(tmp, NULL);
		rmdir(tmp);
	}
	return ret;
}

static int pull_layer(struct pull *p, struct berth_registry *reg, size_t i, berth_error_t *err)
{
	struct layer_job j = {
		.p = p, .i = i, .d = &p->manifest.layers[i], .reg = reg, .pipe_w = -1
	};
	cleanup_free char *final = berth_layer_dir(p->o->layers_dir, p->out->chain_ids[i]);
	int attempt, max = p->o->registry->max_attempts > 0 ? p->o->registry->max_attempts : 1;

	for (attempt = 1;; attempt++) {
		int ret = pull_layer_once(&j, final, err);
		int code = berth_error_code(*err);
		if (ret == 0)
			break;
		if (attempt >= max || cancelled(p) || (code != EIO && code != ETIMEDOUT))
			return ret;
		berth_log_info("pull: layer %s: %s; retrying", j.d->digest, (*err)->msg);
		berth_error_release(err);
	}
	layer_status(p, i, "Extracting");
	layer_status(p, i, "Pull complete");
	return 0;
}

static void *layer_worker(void *arg)
{
	struct pull *p = arg;
	berth_error_t err = NULL;
	struct berth_registry *reg = berth_registry_new(p->o->registry, p->ref->domain,
							p->ref->path, p->o->auth, false, &err);

	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->lock);
		while (p->next_layer < p->manifest.n_layers && p->skip[p->next_layer])
			p->next_layer++;
		i = p->next_layer++;
		if (p->first_err || i >= p->manifest.n_layers) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);
		if (reg == NULL || pull_layer(p, reg, i, &err) < 0) {
			pthread_mutex_lock(&p->lock);
			if (p->first_err == NULL)
				p->first_err = steal_pointer(&err);
			pthread_mutex_unlock(&p->lock);
			berth_error_release(&err);
			break;
		}
	}
	berth_registry_free(reg);
	return NULL;
}

/* --- the whole pull --------------------------------------------------------------------------- */

static int check_layers(struct pull *p, berth_error_t *err)
{
	size_t i, n = p->manifest.n_layers, present = 0;

	p->skip = xcalloc(n + 1, sizeof(bool));
	for (i = 0; i < n; i++) {
		const struct berth_descriptor *d = &p->manifest.layers[i];
		int64_t size = berth_layer_size(p->o->layers_dir, p->out->chain_ids[i], NULL);

		p->out->blob_digests[i] = xstrdup(d->digest);
		if (strcmp(d->media_type, BERTH_MT_DOCKER_FOREIGN) == 0)
			return berth_make_error(err, ENOTSUP,
						"foreign (non-Linux) layers are not supported");
		if (size >= 0) {
			p->skip[i] = true;
			p->out->layer_sizes[i] = size;
			present++;
		}
	}
	/* an image already here: docker prints no layer lines at all */
	if (p->had_config && present == n)
		return 0;
	for (i = 0; i < n; i++)
		layer_status(p, i, p->skip[i] ? "Already exists" : "Pulling fs layer");
	return 0;
}

static int run_workers(struct pull *p, berth_error_t *err)
{
	size_t n = (size_t)(p->o->max_concurrent > 0 ? p->o->max_concurrent : 3), started = 0, i;
	pthread_t *th = xcalloc(n, sizeof(pthread_t));

	for (i = 0; i < n && i < p->manifest.n_layers; i++) {
		if (pthread_create(&th[i], NULL, layer_worker, p) != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	if (p->first_err) {
		*err = steal_pointer(&p->first_err);
		return -1;
	}
	if (started == 0 && p->manifest.n_layers > 0) {
		for (i = 0; i < p->manifest.n_layers; i++)
			if (!p->skip[i])
				return berth_make_error(err, EAGAIN,
							"cannot start download threads");
	}
	return 0;
}

int berth_pull(const struct berth_pull_opts *o, const struct berth_ref *ref,
	       struct berth_pulled_image *out, berth_error_t *err)
{
	struct pull p = { .o = o, .ref = ref, .out = out };
	struct berth_registry *reg;
	size_t i, n;
	int ret;

	memset(out, 0, sizeof(*out));
	pthread_mutex_init(&p.lock, NULL);
	reg = berth_registry_new(o->registry, ref->domain, ref->path, o->auth, false, err);
	ret = reg ? resolve(&p, reg, err) : -1;
	/* docker answers an unknown name with an HTTP error, before any progress */
	if (ret == 0) {
		cleanup_free char *status = xasprintf("Pulling from %s", ref->path);
		progress(&p, json_pack("{s:s, s:s}", "status", status, "id",
				       ref->digest ? ref->digest
				       : ref->tag  ? ref->tag
						   : "latest"));
		ret = fetch_config(&p, reg, err);
	}
	berth_registry_free(reg);
	if (ret < 0)
		goto out;
	n = p.manifest.n_layers;
	out->n_layers = n;
	out->chain_ids = berth_chain_ids(out->config.diff_ids, n);
	out->blob_digests = xcalloc(n + 1, sizeof(char *));
	out->layer_sizes = xcalloc(n + 1, sizeof(int64_t));
	ret = check_layers(&p, err);
	if (ret == 0)
		ret = run_workers(&p, err);
	for (i = 0; ret == 0 && i < n; i++)
		out->size += out->layer_sizes[i];
out:
	berth_manifest_release(&p.manifest);
	free(p.skip);
	berth_error_release(&p.first_err);
	pthread_mutex_destroy(&p.lock);
	if (ret < 0)
		berth_pulled_image_release(out);
	return ret;
}

void berth_pulled_image_release(struct berth_pulled_image *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_layers; i++) {
		free(p->chain_ids ? p->chain_ids[i] : NULL);
		free(p->blob_digests ? p->blob_digests[i] : NULL);
	}
	free(p->chain_ids);
	free(p->blob_digests);
	free(p->layer_sizes);
	free(p->manifest_digest);
	free(p->platform_manifest);
	free(p->image_id);
	berth_image_config_release(&p->config);
	memset(p, 0, sizeof(*p));
}
