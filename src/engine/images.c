/* images.c: the image model: pull jobs, names, list/inspect/history, tag
 * and remove. SQL lives here; documents come from the content store. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/containers.h"
#include "engine/engine_internal.h"
#include "engine/images.h"
#include "image/archive.h"
#include "image/pull.h"
#include "image/push.h"
#include "base/reference.h"

/* --- small SQL helpers ----------------------------------------------------------------- */

static sqlite3 *dbh(struct berth_engine *e)
{
	return berth_db_handle(e->db);
}

static sqlite3_stmt *prepare(struct berth_engine *e, const char *sql, berth_error_t *err)
{
	return berth_db_prepare(e->db, sql, err);
}

static void finish(struct berth_engine *e, sqlite3_stmt *st)
{
	berth_db_finish(e->db, st);
}

static int step_done(struct berth_engine *e, sqlite3_stmt *st, berth_error_t *err)
{
	int rc = sqlite3_step(st);

	finish(e, st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return berth_make_error(err, EIO, "state store: %s", sqlite3_errmsg(dbh(e)));
	return 0;
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static json_t *jstr_take(char *s)
{
	json_t *j = json_string(s ? s : "");
	free(s);
	return j;
}

/* --- names ------------------------------------------------------------------------------ */

/* "docker.io/library/busybox:latest" -> "busybox:latest" (docker's RepoTags form). */
static char *familiar(const char *full)
{
	struct berth_ref r;
	char *out;

	if (berth_ref_parse(full, &r, NULL) < 0)
		return xstrdup(full);
	out = berth_ref_familiar(&r);
	berth_ref_release(&r);
	return out;
}

static char *image_by_ref(struct berth_engine *e, const char *ref)
{
	sqlite3_stmt *st = prepare(e, "SELECT image_id FROM image_refs WHERE ref = ?", NULL);
	char *id = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = col_text(st, 0);
	finish(e, st);
	return id;
}

static bool is_hex(const char *s)
{
	return *s && strspn(s, "0123456789abcdef") == strlen(s) && strlen(s) <= 64;
}

/* A full or short image ID: unique prefix of the hex part. */
static char *image_by_id_prefix(struct berth_engine *e, const char *hex, berth_error_t *err)
{
	cleanup_free char *pattern = xasprintf("sha256:%s*", hex);
	sqlite3_stmt *st = prepare(e, "SELECT id FROM images WHERE id GLOB ? LIMIT 2", err);
	char *id = NULL;
	int n = 0;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == 0)
			id = col_text(st, 0);
	}
	finish(e, st);
	if (n > 1) {
		free(id);
		berth_make_error(err, EINVAL, "multiple IDs found with provided prefix: %s", hex);
		return NULL;
	}
	return id;
}

/* Finds an image as docker does: a full ID, a name (tag or digest), then a
 * unique ID prefix. ENOENT: "No such image: NAME". */
static char *resolve_image(struct berth_engine *e, const char *name, berth_error_t *err)
{
	struct berth_ref r;
	char *id = NULL;

	if (strncmp(name, "sha256:", 7) == 0 && is_hex(name + 7)) {
		id = image_by_id_prefix(e, name + 7, err);
		if (id || (err && *err))
			return id;
	}
	if (berth_ref_parse(name, &r, NULL) == 0) {
		cleanup_free char *full = NULL;
		berth_ref_default_tag(&r);
		if (r.digest) {
			cleanup_free char *n = berth_ref_name(&r);
			full = xasprintf("%s@%s", n, r.digest);
		} else
			full = berth_ref_string(&r);
		berth_ref_release(&r);
		id = image_by_ref(e, full);
		if (id)
			return id;
	}
	if (is_hex(name)) {
		id = image_by_id_prefix(e, name, err);
		if (id || (err && *err))
			return id;
	}
	berth_make_error(err, ENOENT, "No such image: %s", name);
	return NULL;
}

static json_t *refs_of(struct berth_engine *e, const char *id, bool digests)
{
	sqlite3_stmt *st =
	    prepare(e,
		    "SELECT ref FROM image_refs WHERE image_id = ? AND is_digest = ? "
		    "ORDER BY ref",
		    NULL);
	json_t *arr = json_array();

	if (st == NULL)
		return arr;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, digests ? 1 : 0);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(
		    arr, jstr_take(familiar((const char *)sqlite3_column_text(st, 0))));
	finish(e, st);
	return arr;
}

struct image_row {
	char *id, *os, *arch, *variant; /* owned */
	int64_t created, size, stored_at;
	json_t *layers, *manifests; /* owned */
	json_t *config;		    /* owned: the config document, or NULL */
};

static void row_release(struct image_row *r)
{
	free(r->id);
	free(r->os);
	free(r->arch);
	free(r->variant);
	json_decref(r->layers);
	json_decref(r->manifests);
	json_decref(r->config);
	memset(r, 0, sizeof(*r));
}

#define ROW_COLUMNS "id, created, size, os, arch, variant, layers, manifests, stored_at"

static void row_read(struct berth_engine *e, sqlite3_stmt *st, struct image_row *r)
{
	cleanup_free char *config = NULL;
	const char *layers = (const char *)sqlite3_column_text(st, 6);
	const char *manifests = (const char *)sqlite3_column_text(st, 7);

	r->id = col_text(st, 0);
	r->created = sqlite3_column_int64(st, 1);
	r->size = sqlite3_column_int64(st, 2);
	r->os = col_text(st, 3);
	r->arch = col_text(st, 4);
	r->variant = col_text(st, 5);
	r->layers = json_loads(layers ? layers : "[]", 0, NULL);
	r->manifests = json_loads(manifests ? manifests : "[]", 0, NULL);
	r->stored_at = sqlite3_column_int64(st, 8);
	if (berth_store_read(e->store, r->id, BERTH_CONFIG_MAX_BYTES, &config, NULL) >= 0)
		r->config = json_loads(config, 0, NULL);
}

static int row_get(struct berth_engine *e, const char *id, struct image_row *r, berth_error_t *err)
{
	sqlite3_stmt *st = prepare(e, "SELECT " ROW_COLUMNS " FROM images WHERE id = ?", err);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_read(e, st, r);
	finish(e, st);
	if (rc != SQLITE_ROW)
		return berth_make_error(err, ENOENT, "No such image: %s", id);
	return 0;
}

static char *named_ref(const char *name);

/* --- pull and push jobs ----------------------------------------------------------------------------- */

enum job_kind {
	JOB_PULL,
	JOB_PUSH,
	JOB_SAVE,
	JOB_LOAD,
	JOB_DIST
};

struct berth_image_job {
	enum job_kind kind;
	struct berth_engine *e;		/* borrowed: outlives its jobs */
	struct berth_ref ref;		/* owned */
	char *ref_text;			/* owned: normalised, with tag or digest */
	struct berth_platform platform; /* owned */
	bool has_platform;
	struct berth_registry_auth auth;   /* owned */
	struct berth_registry_options reg; /* mirrors/insecure owned (copies) */
	struct berth_pull_opts opts;
	atomic_int cancel;
	pthread_mutex_t lock; /* guards pending, posted */
	json_t *pending;      /* progress lines not yet delivered */
	bool posted;
	bool detached; /* loop thread only: the caller went away */
	berth_job_msg_cb on_msg;
	berth_job_done_cb on_done;
	void *data;
	struct berth_pulled_image result;  /* JOB_PULL */
	char *image_id;			   /* owned, JOB_PUSH: what is pushed */
	json_t *manifests;		   /* owned, JOB_PUSH: its stored manifest digests */
	char pushed[BERTH_DIGEST_LEN + 1]; /* JOB_PUSH: the manifest digest */
	int64_t pushed_size;
	struct berth_saved_image *saved; /* owned, JOB_SAVE */
	size_t n_saved;
	struct berth_loaded_image *loaded; /* owned, JOB_LOAD */
	size_t n_loaded;
	int fd;	      /* owned: JOB_SAVE writes the archive to it, JOB_LOAD reads it */
	json_t *dist; /* owned, JOB_DIST: the distribution inspect answer */
	berth_error_t err;
	pthread_t thread;	      /* joined by job_finish, or at shutdown */
	struct berth_image_job *next; /* e->image_jobs */
};

static void job_unlink(struct berth_image_job *j)
{
	struct berth_image_job **pp;

	for (pp = &j->e->image_jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

static void job_free(struct berth_image_job *j)
{
	job_unlink(j);
	berth_ref_release(&j->ref);
	free(j->ref_text);
	berth_platform_release(&j->platform);
	berth_registry_auth_release(&j->auth);
	json_decref(j->reg.mirrors);
	json_decref(j->reg.insecure);
	json_decref(j->pending);
	berth_pulled_image_release(&j->result);
	free(j->image_id);
	json_decref(j->manifests);
	for (size_t i = 0; i < j->n_saved; i++) {
		free((char *)j->saved[i].id);
		json_decref(j->saved[i].repo_tags);
		json_decref(j->saved[i].repo_digests);
		json_decref(j->saved[i].manifests);
		json_decref(j->saved[i].layer_blobs);
	}
	free(j->saved);
	berth_loaded_images_free(j->loaded, j->n_loaded);
	json_decref(j->dist);
	if (j->fd >= 0)
		close(j->fd);
	berth_error_release(&j->err);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void job_flush(void *data)
{
	struct berth_image_job *j = data;
	json_t *batch, *msg;
	size_t i;

	pthread_mutex_lock(&j->lock);
	batch = j->pending;
	j->pending = json_array();
	j->posted = false;
	pthread_mutex_unlock(&j->lock);
	json_array_foreach (batch, i, msg)
		if (!j->detached)
			j->on_msg(j->data, json_incref(msg));
	json_decref(batch);
}

/* Worker thread: queue a line and make sure the loop will deliver it. */
static void job_progress(void *data, json_t *msg)
{
	struct berth_image_job *j = data;
	bool post;

	pthread_mutex_lock(&j->lock);
	json_array_append_new(j->pending, msg);
	post = !j->posted;
	j->posted = true;
	pthread_mutex_unlock(&j->lock);
	if (post)
		berth_loop_post(j->e->loop, job_flush, j);
}

static json_t *string_array(char *const *items, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

/* Records the pulled image and its names in one transaction. *OLD_ID gets
 * what the tag pointed at before (NULL if nothing). */
struct new_image {
	const char *id;
	int64_t created, size;
	const char *os, *arch, *variant;
	char *const *chain_ids;
	size_t n_layers;
	json_t *manifests; /* borrowed */
};

/* Inside a transaction: the image row (an existing one gains manifests). */
static int insert_image(struct berth_engine *e, const struct new_image *img, berth_error_t *err)
{
	json_t *layers = string_array(img->chain_ids, img->n_layers);
	cleanup_free char *layers_text = json_dumps(layers, JSON_COMPACT);
	cleanup_free char *manifests_text = json_dumps(img->manifests, JSON_COMPACT);
	sqlite3_stmt *st;

	json_decref(layers);
	st = prepare(
	    e,
	    "INSERT INTO images (id, created, size, os, arch, variant, layers, manifests, stored_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
	    "manifests = (SELECT json_group_array(DISTINCT value) FROM "
	    "(SELECT value FROM json_each(images.manifests) UNION "
	    "SELECT value FROM json_each(excluded.manifests)))",
	    err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, img->created);
	sqlite3_bind_int64(st, 3, img->size);
	sqlite3_bind_text(st, 4, img->os ? img->os : "linux", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, img->arch ? img->arch : "", -1, SQLITE_STATIC);
	if (img->variant)
		sqlite3_bind_text(st, 6, img->variant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, layers_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, manifests_text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, berth_time_now_ns() / 1000000000LL);
	return step_done(e, st, err);
}

/* Inside a transaction: REF now names image ID. */
static int set_ref(struct berth_engine *e, const char *ref, bool is_digest, const char *id,
		   berth_error_t *err)
{
	sqlite3_stmt *st =
	    prepare(e,
		    "INSERT OR REPLACE INTO image_refs (ref, is_digest, image_id, tagged_at) "
		    "VALUES (?, ?, ?, ?)",
		    err);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, is_digest);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, berth_time_now_ns() / 1000000000LL);
	return step_done(e, st, err);
}

/* Records the pulled image and its names in one transaction. *OLD_ID gets
 * what the tag pointed at before (NULL if nothing). */
static int record_image(struct berth_image_job *j, char **old_id, berth_error_t *err)
{
	struct berth_engine *e = j->e;
	const struct berth_pulled_image *r = &j->result;
	cleanup_free char *name = berth_ref_name(&j->ref);
	cleanup_free char *digest_ref = xasprintf("%s@%s", name, r->manifest_digest);
	json_t *manifests = json_array();
	struct new_image img = { .id = r->image_id,
				 .created = r->config.created,
				 .size = r->size,
				 .os = r->config.platform.os,
				 .arch = r->config.platform.arch,
				 .variant = r->config.platform.variant,
				 .chain_ids = r->chain_ids,
				 .n_layers = r->n_layers,
				 .manifests = manifests };
	int ret;

	json_array_append_new(manifests, json_string(r->manifest_digest));
	if (r->platform_manifest)
		json_array_append_new(manifests, json_string(r->platform_manifest));
	*old_id = image_by_ref(e, j->ref.digest ? digest_ref : j->ref_text);
	ret = berth_engine_exec(e, "BEGIN IMMEDIATE", err);
	if (ret == 0)
		ret = insert_image(e, &img, err);
	if (ret == 0 && !j->ref.digest)
		ret = set_ref(e, j->ref_text, false, r->image_id, err);
	if (ret == 0)
		ret = set_ref(e, digest_ref, true, r->image_id, err);
	if (ret == 0)
		ret = berth_engine_exec(e, "COMMIT", err);
	else
		berth_engine_exec(e, "ROLLBACK", NULL);
	json_decref(manifests);
	return ret;
}

static void finish_pull(struct berth_image_job *j)
{
	cleanup_free char *old_id = NULL, *fam = NULL, *digest = NULL, *status = NULL;

	if (record_image(j, &old_id, &j->err) < 0)
		return;
	digest = xasprintf("Digest: %s", j->result.manifest_digest);
	fam = familiar(j->ref_text);
	status =
	    xasprintf("Status: %s for %s",
		      old_id && strcmp(old_id, j->result.image_id) == 0 ? "Image is up to date"
									: "Downloaded newer image",
		      fam);
	if (!j->detached) {
		j->on_msg(j->data, json_pack("{s:s}", "status", digest));
		j->on_msg(j->data, json_pack("{s:s}", "status", status));
	}
	{
		/* docker: Actor.ID "busybox:latest", name "busybox" */
		cleanup_free char *repo = berth_ref_familiar_name(&j->ref);
		berth_events_publish(j->e->events, "image", "pull", fam,
				     json_pack("{s:s}", "name", repo));
	}
}

/* dockerd records the pushed manifest as a RepoDigest of the image. */
static void finish_push(struct berth_image_job *j)
{
	cleanup_free char *name = berth_ref_name(&j->ref);
	cleanup_free char *ref = xasprintf("%s@%s", name, j->pushed);
	cleanup_free char *fam = familiar(j->ref_text);
	sqlite3_stmt *st =
	    prepare(j->e,
		    "INSERT OR REPLACE INTO image_refs (ref, is_digest, image_id, tagged_at) "
		    "SELECT ?, 1, id, ? FROM images WHERE id = ?",
		    &j->err);

	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, berth_time_now_ns() / 1000000000LL);
	sqlite3_bind_text(st, 3, j->image_id, -1, SQLITE_STATIC);
	if (step_done(j->e, st, &j->err) == 0)
		berth_events_publish(j->e->events, "image", "push", fam,
				     json_pack("{s:s}", "name", fam));
}

/* Records what a load brought, moving tags as docker does, and says so. */
static void finish_load(struct berth_image_job *j)
{
	struct berth_engine *e = j->e;
	int ret = berth_engine_exec(e, "BEGIN IMMEDIATE", &j->err);
	size_t i, k;

	for (i = 0; ret == 0 && i < j->n_loaded; i++) {
		const struct berth_loaded_image *l = &j->loaded[i];
		struct new_image img = { .id = l->id,
					 .created = l->created,
					 .size = l->size,
					 .os = l->os,
					 .arch = l->arch,
					 .variant = l->variant,
					 .chain_ids = l->chain_ids,
					 .n_layers = l->n_layers,
					 .manifests = l->manifests };
		ret = insert_image(e, &img, &j->err);
		for (k = 0; ret == 0 && k < json_array_size(l->repo_tags); k++)
			ret = set_ref(e, json_string_value(json_array_get(l->repo_tags, k)), false,
				      l->id, &j->err);
		for (k = 0; ret == 0 && k < json_array_size(l->repo_digests); k++)
			ret = set_ref(e, json_string_value(json_array_get(l->repo_digests, k)),
				      true, l->id, &j->err);
	}
	if (ret == 0)
		ret = berth_engine_exec(e, "COMMIT", &j->err);
	if (ret < 0) {
		berth_engine_exec(e, "ROLLBACK", NULL);
		return;
	}
	for (i = 0; i < j->n_loaded; i++) {
		const struct berth_loaded_image *l = &j->loaded[i];
		json_t *tag;
		json_array_foreach (l->repo_tags, k, tag) {
			cleanup_free char *fam = familiar(json_string_value(tag));
			cleanup_free char *line = xasprintf("Loaded image: %s\n", fam);
			if (!j->detached)
				j->on_msg(j->data, json_pack("{s:s}", "stream", line));
			berth_events_publish(e->events, "image", "load", l->id,
					     json_pack("{s:s}", "name", fam));
		}
		if (json_array_size(l->repo_tags) == 0) {
			cleanup_free char *line = xasprintf("Loaded image ID: %s\n", l->id);
			if (!j->detached)
				j->on_msg(j->data, json_pack("{s:s}", "stream", line));
			berth_events_publish(e->events, "image", "load", l->id,
					     json_pack("{s:s}", "name", l->id));
		}
	}
}

static void job_finish(void *data)
{
	struct berth_image_job *j = data;

	/* posting this was the thread's last act: the join is immediate */
	pthread_join(j->thread, NULL);
	job_flush(j);
	if (j->err == NULL && j->kind == JOB_PULL)
		finish_pull(j);
	else if (j->err == NULL && j->kind == JOB_PUSH)
		finish_push(j);
	else if (j->err == NULL && j->kind == JOB_LOAD)
		finish_load(j);
	else if (j->err && j->kind == JOB_SAVE)
		berth_log_warn("save: %s", j->err->msg);
	else if (j->err == NULL && j->kind == JOB_DIST && !j->detached)
		j->on_msg(j->data, json_incref(j->dist));
	if (!j->detached)
		j->on_done(j->data, j->err);
	berth_engine_trim_later(j->e);
	job_free(j);
}

/* GET /distribution/{name}/json: what the registry has for the name. */
static json_t *distribution_inspect(struct berth_image_job *j, berth_error_t *err)
{
	const char *reference = j->ref.digest ? j->ref.digest : j->ref.tag;
	struct berth_registry *reg =
	    berth_registry_new(&j->reg, j->ref.domain, j->ref.path, &j->auth, false, err);
	struct berth_registry_doc doc = { 0 };
	struct berth_manifest m = { 0 };
	json_t *platforms = json_array(), *out = NULL;
	size_t i;

	if (reg == NULL || berth_registry_get_manifest(reg, reference, &doc, err) < 0 ||
	    berth_manifest_parse(doc.body, doc.len, doc.content_type, &m, err) < 0)
		goto done;
	for (i = 0; m.kind == BERTH_MANIFEST_INDEX && i < m.n_manifests; i++) {
		const struct berth_platform *p = &m.manifests[i].platform;
		json_t *pj;
		if (!m.manifests[i].has_platform)
			continue;
		pj = json_pack("{s:s, s:s}", "architecture", p->arch ? p->arch : "", "os",
			       p->os ? p->os : "");
		if (p->variant)
			json_object_set_new(pj, "variant", json_string(p->variant));
		json_array_append_new(platforms, pj);
	}
	if (m.kind == BERTH_MANIFEST_IMAGE) {
		/* a single manifest: its platform is in the config */
		char *cfg = NULL;
		struct berth_image_config ic = { 0 };
		ssize_t n = berth_store_read(j->e->store, m.config.digest, BERTH_CONFIG_MAX_BYTES,
					     &cfg, NULL);
		if (n >= 0 && berth_image_config_parse(cfg, (size_t)n, &ic, NULL) == 0)
			json_array_append_new(
			    platforms, json_pack("{s:s, s:s}", "architecture",
						 ic.platform.arch ? ic.platform.arch : "", "os",
						 ic.platform.os ? ic.platform.os : ""));
		berth_image_config_release(&ic);
		free(cfg);
	}
	out = json_pack("{s:{s:s, s:s, s:I}, s:O}", "Descriptor", "mediaType", m.media_type,
			"digest", doc.digest, "size", (json_int_t)doc.len, "Platforms", platforms);
done:
	json_decref(platforms);
	berth_manifest_release(&m);
	berth_registry_doc_release(&doc);
	berth_registry_free(reg);
	return out;
}

static void *job_thread(void *arg)
{
	struct berth_image_job *j = arg;

	if (j->kind == JOB_PULL) {
		berth_pull(&j->opts, &j->ref, &j->result, &j->err);
	} else if (j->kind == JOB_SAVE) {
		berth_image_save(j->e->store, j->saved, j->n_saved, j->fd, &j->err);
		close(j->fd); /* the end of the archive for the reader */
		j->fd = -1;
	} else if (j->kind == JOB_LOAD) {
		berth_image_load(j->e->store, j->e->layers_dir, j->fd, &j->loaded, &j->n_loaded,
				 &j->err);
	} else if (j->kind == JOB_DIST) {
		j->dist = distribution_inspect(j, &j->err);
	} else {
		struct berth_push_opts po = { .store = j->opts.store,
					      .registry = j->opts.registry,
					      .auth = j->opts.auth,
					      .progress = job_progress,
					      .progress_data = j,
					      .cancel = &j->cancel };
		berth_push(&po, &j->ref, j->image_id, j->manifests, j->pushed, &j->pushed_size,
			   &j->err);
	}
	/* the last touch of J: job_finish joins this thread, then frees J */
	berth_loop_post(j->e->loop, job_finish, j);
	return NULL;
}

static struct berth_image_job *job_new(struct berth_engine *e, enum job_kind kind,
				       const struct berth_registry_auth *auth,
				       berth_job_msg_cb on_msg, berth_job_done_cb on_done,
				       void *data)
{
	struct berth_image_job *j = xzalloc(sizeof(*j));

	j->kind = kind;
	j->e = e;
	j->fd = -1;
	if (auth) {
		j->auth.username = auth->username ? xstrdup(auth->username) : NULL;
		j->auth.password = auth->password ? xstrdup(auth->password) : NULL;
		j->auth.identity_token =
		    auth->identity_token ? xstrdup(auth->identity_token) : NULL;
		j->auth.registry_token =
		    auth->registry_token ? xstrdup(auth->registry_token) : NULL;
	}
	j->reg.mirrors = json_deep_copy(e->cfg.registry_mirrors);
	j->reg.insecure = json_deep_copy(e->cfg.insecure_registries);
	j->reg.max_attempts = e->cfg.max_download_attempts;
	j->reg.user_agent = "berth/" BERTH_VERSION;
	j->opts.store = e->store;
	j->opts.layers_dir = e->layers_dir;
	j->opts.registry = &j->reg;
	j->opts.auth = &j->auth;
	j->opts.max_concurrent = e->cfg.max_concurrent_downloads;
	j->opts.progress = job_progress;
	j->opts.progress_data = j;
	j->opts.cancel = &j->cancel;
	j->on_msg = on_msg;
	j->on_done = on_done;
	j->data = data;
	j->pending = json_array();
	pthread_mutex_init(&j->lock, NULL);
	return j;
}

static int job_start(struct berth_image_job *j, berth_error_t *err)
{
	int rc = pthread_create(&j->thread, NULL, job_thread, j);

	if (rc != 0) {
		job_free(j);
		return berth_make_error(err, EAGAIN, "cannot start a worker thread");
	}
	j->next = j->e->image_jobs;
	j->e->image_jobs = j;
	return 0;
}

struct berth_image_job *berth_engine_pull(struct berth_engine *e, const char *ref,
					  const struct berth_platform *platform,
					  const struct berth_registry_auth *auth,
					  berth_job_msg_cb on_msg, berth_job_done_cb on_done,
					  void *data, berth_error_t *err)
{
	struct berth_image_job *j = job_new(e, JOB_PULL, auth, on_msg, on_done, data);

	if (berth_ref_parse(ref, &j->ref, err) < 0) {
		job_free(j);
		return NULL;
	}
	berth_ref_default_tag(&j->ref);
	j->ref_text = berth_ref_string(&j->ref);
	if (platform) {
		berth_platform_copy(&j->platform, platform);
		j->has_platform = true;
		j->opts.platform = &j->platform;
	}
	return job_start(j, err) < 0 ? NULL : j;
}

struct berth_image_job *berth_engine_push(struct berth_engine *e, const char *name, const char *tag,
					  const struct berth_registry_auth *auth,
					  berth_job_msg_cb on_msg, berth_job_done_cb on_done,
					  void *data, berth_error_t *err)
{
	struct berth_image_job *j = job_new(e, JOB_PUSH, auth, on_msg, on_done, data);
	cleanup_free char *text = tag && *tag ? xasprintf("%s:%s", name, tag) : xstrdup(name);
	struct image_row r = { 0 };

	if (berth_ref_parse(text, &j->ref, err) < 0 ||
	    (j->ref.digest &&
	     berth_make_error(err, EINVAL, "cannot push a digest reference") < 0)) {
		job_free(j);
		return NULL;
	}
	berth_ref_default_tag(&j->ref);
	j->ref_text = berth_ref_string(&j->ref);
	j->image_id = image_by_ref(e, j->ref_text);
	if (j->image_id == NULL || row_get(e, j->image_id, &r, NULL) < 0) {
		berth_make_error(err, ENOENT, "An image does not exist locally with the tag: %s",
				 text);
		job_free(j);
		return NULL;
	}
	j->manifests = json_incref(r.manifests);
	row_release(&r);
	return job_start(j, err) < 0 ? NULL : j;
}

/* The compressed blob each layer was made from (layer.json). */
static json_t *layer_blobs(struct berth_engine *e, json_t *chains, berth_error_t *err)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach (chains, i, it) {
		cleanup_free char *dir = berth_layer_dir(e->layers_dir, json_string_value(it));
		cleanup_free char *path = xasprintf("%s/layer.json", dir);
		cleanup_free char *text = NULL;
		json_t *meta;

		if (berth_fs_read_file(path, 64 * 1024, &text, err) < 0) {
			json_decref(out);
			return NULL;
		}
		meta = json_loads(text, 0, NULL);
		json_array_append(out, json_object_get(meta, "blob"));
		json_decref(meta);
	}
	return out;
}

/* One entry per image; several names of one image share it. */
static int add_saved(struct berth_engine *e, struct berth_image_job *j, const char *name,
		     berth_error_t *err)
{
	cleanup_free char *id = resolve_image(e, name, err);
	cleanup_free char *ref = named_ref(name);
	struct berth_saved_image *si = NULL;
	struct image_row r = { 0 };
	size_t i;

	if (id == NULL)
		return -1;
	for (i = 0; i < j->n_saved; i++)
		if (strcmp(j->saved[i].id, id) == 0)
			si = &j->saved[i];
	if (si == NULL) {
		if (row_get(e, id, &r, err) < 0)
			return -1;
		j->saved = xrealloc(j->saved, sizeof(*j->saved) * (j->n_saved + 1));
		si = &j->saved[j->n_saved];
		memset(si, 0, sizeof(*si));
		si->layer_blobs = layer_blobs(e, r.layers, err);
		if (si->layer_blobs == NULL) {
			row_release(&r);
			return berth_error_wrap(err, "image %s", name);
		}
		j->n_saved++;
		si->id = xstrdup(id);
		si->repo_tags = json_array();
		si->repo_digests = refs_of(e, id, true);
		si->manifests = json_incref(r.manifests);
		row_release(&r);
	}
	if (ref && !strchr(ref, '@'))
		json_array_append_new(si->repo_tags, jstr_take(familiar(ref)));
	return 0;
}

int berth_engine_save(struct berth_engine *e, json_t *names, int *out_fd, berth_error_t *err)
{
	struct berth_image_job *j = job_new(e, JOB_SAVE, NULL, NULL, NULL, NULL);
	json_t *it;
	size_t i;
	int fds[2];

	j->detached = true; /* nothing to report: the archive is the answer */
	json_array_foreach (names, i, it)
		if (add_saved(e, j, json_string_value(it), err) < 0) {
			job_free(j);
			return -1;
		}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		job_free(j);
		return berth_make_error(err, errno, "pipe: %s", strerror(errno));
	}
	j->fd = fds[1];
	if (job_start(j, err) < 0) {
		close(fds[0]);
		return -1;
	}
	*out_fd = fds[0];
	return 0;
}

struct berth_image_job *berth_engine_distribution(struct berth_engine *e, const char *name,
						  const struct berth_registry_auth *auth,
						  berth_job_msg_cb on_result,
						  berth_job_done_cb on_done, void *data,
						  berth_error_t *err)
{
	struct berth_image_job *j = job_new(e, JOB_DIST, auth, on_result, on_done, data);

	if (berth_ref_parse(name, &j->ref, err) < 0) {
		job_free(j);
		return NULL;
	}
	berth_ref_default_tag(&j->ref);
	j->ref_text = berth_ref_string(&j->ref);
	return job_start(j, err) < 0 ? NULL : j;
}

struct berth_image_job *berth_engine_load(struct berth_engine *e, int fd, berth_job_msg_cb on_msg,
					  berth_job_done_cb on_done, void *data, berth_error_t *err)
{
	struct berth_image_job *j = job_new(e, JOB_LOAD, NULL, on_msg, on_done, data);

	j->fd = fd;
	return job_start(j, err) < 0 ? NULL : j;
}

void berth_engine_image_jobs_stop(struct berth_engine *e)
{
	struct berth_image_job *j;

	for (j = e->image_jobs; j; j = j->next) {
		j->detached = true;
		atomic_store(&j->cancel, 1);
	}
	/* A cancelled transfer stops at its next chunk or stall timeout. The
	 * loop no longer runs, so a job_finish already posted never will: the
	 * job is freed here, once its thread is gone. */
	while (e->image_jobs) {
		struct timespec deadline;
		j = e->image_jobs;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 60;
		if (pthread_timedjoin_np(j->thread, NULL, &deadline) != 0) {
			berth_log_warn("an image job did not stop in time; leaving it");
			pthread_detach(j->thread);
			e->image_jobs = j->next;
			continue;
		}
		job_free(j);
	}
}

void berth_image_job_cancel(struct berth_image_job *job)
{
	atomic_store(&job->cancel, 1);
}

void berth_image_job_detach(struct berth_image_job *job)
{
	job->detached = true;
	atomic_store(&job->cancel, 1);
}

/* --- reading images -------------------------------------------------------------------------- */

static json_t *config_field(const struct image_row *r, const char *key)
{
	return json_object_get(r->config, key);
}

static json_t *labels_of(const struct image_row *r)
{
	json_t *l = json_object_get(config_field(r, "config"), "Labels");
	return json_is_object(l) ? l : NULL;
}

/* docker matches `reference` filters against the familiar name:tag and the
 * name alone. */
static bool ref_matches(const struct berth_filters *f, const char *full)
{
	cleanup_free char *name = xstrndup(full, strcspn(full, "@"));
	char *colon = strrchr(name, ':');
	size_t k;

	if (colon && !strchr(colon, '/'))
		*colon = '\0';
	for (k = 0; k < berth_filters_count(f, "reference"); k++) {
		const char *pat = berth_filters_value(f, "reference", k);
		if (fnmatch(pat, full, 0) == 0 || fnmatch(pat, name, 0) == 0)
			return true;
	}
	return false;
}

/* With a reference filter, an image shows only the names that match. */
static void keep_matching(json_t *names, const struct berth_filters *f)
{
	size_t i = 0;

	while (i < json_array_size(names)) {
		if (ref_matches(f, json_string_value(json_array_get(names, i))))
			i++;
		else
			json_array_remove(names, i);
	}
}

static json_t *image_summary(struct berth_engine *e, const struct image_row *r, int api_version,
			     const struct berth_filters *f)
{
	json_t *labels = labels_of(r);
	json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:o, s:i}", "Id", r->id,
			      "ParentId", "", "RepoTags", refs_of(e, r->id, false), "RepoDigests",
			      refs_of(e, r->id, true), "Created", (json_int_t)r->created, "Size",
			      (json_int_t)r->size, "SharedSize", (json_int_t)-1, "Labels",
			      labels ? json_incref(labels) : json_object(), "Containers", -1);

	if (api_version < 1044)
		json_object_set_new(j, "VirtualSize", json_integer(r->size));
	if (f && berth_filters_has(f, "reference")) {
		keep_matching(json_object_get(j, "RepoTags"), f);
		keep_matching(json_object_get(j, "RepoDigests"), f);
	}
	return j;
}

struct rows {
	struct image_row *v; /* owned */
	size_t n;
};

static void rows_release(struct rows *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		row_release(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

/* Every image, newest first. */
static int all_rows(struct berth_engine *e, struct rows *rs, berth_error_t *err)
{
	sqlite3_stmt *st =
	    prepare(e, "SELECT " ROW_COLUMNS " FROM images ORDER BY created DESC, id", err);

	memset(rs, 0, sizeof(*rs));
	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		rs->v = xrealloc(rs->v, sizeof(*rs->v) * (rs->n + 1));
		memset(&rs->v[rs->n], 0, sizeof(*rs->v));
		row_read(e, st, &rs->v[rs->n++]);
	}
	finish(e, st);
	return 0;
}

/* --- list ------------------------------------------------------------------------------------- */

static bool dangling(struct berth_engine *e, const struct image_row *r)
{
	json_t *tags = refs_of(e, r->id, false);
	bool d = json_array_size(tags) == 0;

	json_decref(tags);
	return d;
}

/* docker matches `reference` filters against the familiar name and name:tag. */
static int time_bound(struct berth_engine *e, const struct berth_filters *f, const char *key,
		      int64_t *out, berth_error_t *err)
{
	cleanup_free char *id = NULL;
	struct image_row r = { 0 };
	const char *v;

	*out = -1;
	if (berth_filters_count(f, key) == 0)
		return 0;
	v = berth_filters_value(f, key, 0);
	id = resolve_image(e, v, err);
	if (id == NULL || row_get(e, id, &r, err) < 0)
		return -1;
	*out = r.created;
	row_release(&r);
	return 0;
}

json_t *berth_engine_images_list(struct berth_engine *e, const struct berth_filters *f,
				 bool digests, int api_version, berth_error_t *err)
{
	static const char *const allowed[] = { "dangling",  "label", "before", "since",
					       "reference", "until", NULL };
	int64_t before, since;
	int want_dangling = -1;
	struct rows rs;
	json_t *sum;
	json_t *out;
	size_t i;

	if (berth_filters_validate(f, allowed, err) < 0)
		return NULL;
	if (berth_filters_count(f, "dangling") > 0) {
		const char *v = berth_filters_value(f, "dangling", 0);
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			want_dangling = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			want_dangling = 0;
		else {
			berth_make_error(err, EINVAL, "invalid filter 'dangling=%s'", v);
			return NULL;
		}
	}
	if (time_bound(e, f, "before", &before, err) < 0 ||
	    time_bound(e, f, "since", &since, err) < 0 || all_rows(e, &rs, err) < 0)
		return NULL;
	out = json_array();
	for (i = 0; i < rs.n; i++) {
		const struct image_row *r = &rs.v[i];
		if ((want_dangling >= 0 && dangling(e, r) != (want_dangling == 1)) ||
		    (before >= 0 && r->created >= before) || (since >= 0 && r->created <= since) ||
		    !berth_filters_match_labels(f, "label", labels_of(r)))
			continue;
		sum = image_summary(e, r, api_version, f);
		if (berth_filters_has(f, "reference") &&
		    json_array_size(json_object_get(sum, "RepoTags")) == 0 &&
		    json_array_size(json_object_get(sum, "RepoDigests")) == 0) {
			json_decref(sum);
			continue;
		}
		json_array_append_new(out, sum);
	}
	rows_release(&rs);
	(void)digests; /* RepoDigests are always listed, as dockerd does */
	return out;
}

int berth_engine_images_count(struct berth_engine *e)
{
	sqlite3_stmt *st = prepare(e, "SELECT count(*) FROM images", NULL);
	int n = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	finish(e, st);
	return n;
}

json_t *berth_engine_images_df(struct berth_engine *e, int64_t *layers_size)
{
	json_t *out = json_array(), *seen = json_object(), *it;
	struct rows rs;
	size_t i, k;

	*layers_size = 0;
	if (all_rows(e, &rs, NULL) < 0) {
		json_decref(seen);
		return out;
	}
	for (i = 0; i < rs.n; i++) {
		json_t *sum = image_summary(e, &rs.v[i], 1047, NULL);
		json_object_set_new(sum, "Containers",
				    json_integer(berth_engine_image_containers(e, rs.v[i].id)));
		json_array_append_new(out, sum);
		json_array_foreach (rs.v[i].layers, k, it) {
			const char *chain = json_string_value(it);
			if (chain && !json_object_get(seen, chain)) {
				int64_t sz = berth_layer_size(e->layers_dir, chain, NULL);
				json_object_set_new(seen, chain, json_true());
				if (sz > 0)
					*layers_size += sz;
			}
		}
	}
	rows_release(&rs);
	json_decref(seen);
	return out;
}

/* --- inspect and history ------------------------------------------------------------------------ */

static json_t *str_or_empty(json_t *v)
{
	return json_is_string(v) ? json_incref(v) : json_string("");
}

static json_t *graph_driver(struct berth_engine *e, const struct image_row *r)
{
	size_t n = json_array_size(r->layers), i;
	struct berth_strbuf lower = BERTH_STRBUF_INIT;
	cleanup_free char *top = NULL;
	json_t *data = json_object();

	for (i = n; i-- > 0;) {
		cleanup_free char *dir =
		    berth_layer_dir(e->layers_dir, json_string_value(json_array_get(r->layers, i)));
		if (i == n - 1) {
			top = xasprintf("%s/diff", dir);
			continue;
		}
		berth_strbuf_printf(&lower, "%s%s/diff", lower.len ? ":" : "", dir);
	}
	if (lower.len)
		json_object_set_new(data, "LowerDir", json_string(lower.buf));
	if (top)
		json_object_set_new(data, "UpperDir", json_string(top));
	berth_strbuf_release(&lower);
	/* moby marshals Data before Name */
	return json_pack("{s:o, s:s}", "Data", data, "Name", "overlay2");
}

static json_t *inspect_row(struct berth_engine *e, const struct image_row *r, int api_version)
{
	json_t *cfg = config_field(r, "config");
	json_t *rootfs = json_object_get(r->config, "rootfs");
	json_t *diff_ids = json_object_get(rootfs, "diff_ids");
	char last_tag[48] = "0001-01-01T00:00:00Z";
	json_t *j;

	j = json_pack(
	    "{s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:O, s:s, s:s, s:I, s:o, s:{s:s, s:o}, s:{s:s}}",
	    "Id", r->id, "RepoTags", refs_of(e, r->id, false), "RepoDigests",
	    refs_of(e, r->id, true), "Parent", "", "Comment",
	    str_or_empty(config_field(r, "comment")), "Created",
	    str_or_empty(config_field(r, "created")), "DockerVersion",
	    str_or_empty(config_field(r, "docker_version")), "Author",
	    str_or_empty(config_field(r, "author")), "Config",
	    json_is_object(cfg) ? cfg : json_null(), "Architecture", r->arch, "Os", r->os, "Size",
	    (json_int_t)r->size, "GraphDriver", graph_driver(e, r), "RootFS", "Type", "layers",
	    "Layers", json_is_array(diff_ids) ? json_incref(diff_ids) : json_array(), "Metadata",
	    "LastTagTime", last_tag);
	if (r->variant && *r->variant)
		json_object_set_new(j, "Variant", json_string(r->variant));
	if (api_version < 1044)
		json_object_set_new(j, "VirtualSize", json_integer(r->size));
	if (api_version < 1045) {
		json_t *cc = json_object_get(r->config, "container_config");
		json_object_set_new(j, "Container",
				    str_or_empty(json_object_get(r->config, "container")));
		json_object_set(j, "ContainerConfig", json_is_object(cc) ? cc : json_null());
	}
	return j;
}

json_t *berth_engine_image_inspect(struct berth_engine *e, const char *name, int api_version,
				   berth_error_t *err)
{
	cleanup_free char *id = resolve_image(e, name, err);
	struct image_row r = { 0 };
	json_t *j;

	if (id == NULL || row_get(e, id, &r, err) < 0)
		return NULL;
	j = inspect_row(e, &r, api_version);
	row_release(&r);
	return j;
}

static int64_t parse_created(json_t *v)
{
	int64_t ns;

	if (!json_is_string(v) ||
	    berth_time_parse_timestamp(json_string_value(v), 0, &ns, NULL) < 0)
		return 0;
	return ns / 1000000000LL;
}

json_t *berth_engine_image_history(struct berth_engine *e, const char *name, berth_error_t *err)
{
	cleanup_free char *id = resolve_image(e, name, err);
	struct image_row r = { 0 };
	json_t *hist, *out, *h;
	size_t i, layer = 0, n;

	if (id == NULL || row_get(e, id, &r, err) < 0)
		return NULL;
	hist = json_object_get(r.config, "history");
	out = json_array();
	n = json_array_size(hist);
	json_array_foreach (hist, i, h) {
		bool empty = json_is_true(json_object_get(h, "empty_layer"));
		int64_t size = 0;
		if (!empty && layer < json_array_size(r.layers))
			size = berth_layer_size(
			    e->layers_dir, json_string_value(json_array_get(r.layers, layer++)),
			    NULL);
		/* newest first, as docker prints it */
		json_array_insert_new(
		    out, 0,
		    json_pack("{s:s, s:I, s:o, s:o, s:I, s:o}", "Id",
			      i + 1 == n ? r.id : "<missing>", "Created",
			      (json_int_t)parse_created(json_object_get(h, "created")), "CreatedBy",
			      str_or_empty(json_object_get(h, "created_by")), "Tags",
			      i + 1 == n ? refs_of(e, r.id, false) : json_null(), "Size",
			      (json_int_t)(size > 0 ? size : 0), "Comment",
			      str_or_empty(json_object_get(h, "comment"))));
	}
	if (n == 0)
		json_array_append_new(out, json_pack("{s:s, s:I, s:s, s:o, s:I, s:s}", "Id", r.id,
						     "Created", (json_int_t)r.created, "CreatedBy",
						     "", "Tags", refs_of(e, r.id, false), "Size",
						     (json_int_t)r.size, "Comment", ""));
	row_release(&r);
	return out;
}

/* --- tag and remove ---------------------------------------------------------------------------------- */

int berth_engine_image_tag(struct berth_engine *e, const char *name, const char *repo,
			   const char *tag, berth_error_t *err)
{
	cleanup_free char *id = resolve_image(e, name, err);
	cleanup_free char *text = NULL, *full = NULL, *fam = NULL;
	struct berth_ref r;
	sqlite3_stmt *st;

	if (id == NULL)
		return -1;
	if (repo == NULL || *repo == '\0')
		return berth_make_error(err, EINVAL,
					"repository name must have at least one component");
	text = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
	if (berth_ref_parse(text, &r, err) < 0)
		return -1;
	if (r.digest) {
		berth_ref_release(&r);
		return berth_make_error(err, EINVAL,
					"refusing to create a tag with a digest reference");
	}
	berth_ref_default_tag(&r);
	full = berth_ref_string(&r);
	fam = berth_ref_familiar(&r);
	berth_ref_release(&r);
	st = prepare(
	    e,
	    "INSERT OR REPLACE INTO image_refs (ref, is_digest, image_id, tagged_at) VALUES (?, 0, ?, ?)",
	    err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, full, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, berth_time_now_ns() / 1000000000LL);
	if (step_done(e, st, err) < 0)
		return -1;
	berth_events_publish(e->events, "image", "tag", id, json_pack("{s:s}", "name", fam));
	return 0;
}

static bool still_used(struct berth_engine *e, const char *column, const char *value)
{
	cleanup_free char *sql =
	    xasprintf("SELECT 1 FROM images, json_each(images.%s) WHERE value = ? LIMIT 1", column);
	sqlite3_stmt *st = prepare(e, sql, NULL);
	bool used = true; /* when in doubt, keep */

	if (st == NULL)
		return true;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	used = sqlite3_step(st) == SQLITE_ROW;
	finish(e, st);
	if (used || strcmp(column, "layers") != 0)
		return used;
	/* a container's rootfs keeps its layers, even after a forced rmi */
	st = prepare(e,
		     "SELECT 1 FROM containers, json_each(json_extract(containers.doc, '$.Layers')) "
		     "WHERE value = ? LIMIT 1",
		     NULL);
	if (st == NULL)
		return true;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	used = sqlite3_step(st) == SQLITE_ROW;
	finish(e, st);
	return used;
}

/* Removes a layer directory and its compressed blob. */
static void drop_layer(struct berth_engine *e, const char *chain)
{
	cleanup_free char *dir = berth_layer_dir(e->layers_dir, chain);
	cleanup_free char *meta = xasprintf("%s/layer.json", dir);
	cleanup_free char *text = NULL;
	berth_error_t err = NULL;

	if (berth_fs_read_file(meta, 64 * 1024, &text, NULL) >= 0) {
		json_t *j = json_loads(text, 0, NULL);
		const char *blob = json_string_value(json_object_get(j, "blob"));
		if (blob)
			berth_store_delete(e->store, blob, NULL);
		json_decref(j);
	}
	/* layer.json goes first: a half-removed dir is not a layer any more */
	unlink(meta);
	if (berth_fs_remove_tree_contents(dir, &err) < 0 || rmdir(dir) < 0) {
		berth_log_warn("remove layer %s: %s", chain, err ? err->msg : strerror(errno));
		berth_error_release(&err);
	}
}

/* After the rows are gone: the files only this image used. */
static void drop_image_files(struct berth_engine *e, const struct image_row *r, json_t *out)
{
	json_t *it;
	size_t i;

	berth_store_delete(e->store, r->id, NULL);
	json_array_foreach (r->manifests, i, it)
		if (!still_used(e, "manifests", json_string_value(it)))
			berth_store_delete(e->store, json_string_value(it), NULL);
	for (i = json_array_size(r->layers); i-- > 0;) {
		const char *chain = json_string_value(json_array_get(r->layers, i));
		if (chain == NULL || still_used(e, "layers", chain))
			continue;
		drop_layer(e, chain);
		json_array_append_new(out, json_pack("{s:s}", "Deleted", chain));
	}
}

static int delete_refs(struct berth_engine *e, const char *id, const char *only_ref, json_t *out,
		       berth_error_t *err)
{
	sqlite3_stmt *st = prepare(
	    e,
	    only_ref ? "SELECT ref FROM image_refs WHERE ref = ?"
		     : "SELECT ref FROM image_refs WHERE image_id = ? ORDER BY is_digest, ref",
	    err);
	json_t *refs = json_array(), *it;
	size_t i;
	int ret = 0;

	if (st == NULL) {
		json_decref(refs);
		return -1;
	}
	sqlite3_bind_text(st, 1, only_ref ? only_ref : id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(refs, json_string((const char *)sqlite3_column_text(st, 0)));
	finish(e, st);
	json_array_foreach (refs, i, it) {
		cleanup_free char *fam = familiar(json_string_value(it));
		st = prepare(e, "DELETE FROM image_refs WHERE ref = ?", err);
		if (st == NULL) {
			ret = -1;
			break;
		}
		sqlite3_bind_text(st, 1, json_string_value(it), -1, SQLITE_STATIC);
		if ((ret = step_done(e, st, err)) < 0)
			break;
		json_array_append_new(out, json_pack("{s:s}", "Untagged", fam));
		berth_events_publish(e->events, "image", "untag", id,
				     json_pack("{s:s}", "name", fam));
	}
	json_decref(refs);
	return ret;
}

/* After untagging TAG_REF ("name:tag"): when no other tag of that name
 * points at the image, its "name@digest" references are removed too. */
static int drop_orphan_digests(struct berth_engine *e, const char *id, const char *tag_ref,
			       json_t *out, berth_error_t *err)
{
	cleanup_free char *name = xstrndup(tag_ref, (size_t)(strrchr(tag_ref, ':') - tag_ref));
	cleanup_free char *tag_prefix = xasprintf("%s:", name);
	cleanup_free char *digest_prefix = xasprintf("%s@", name);
	sqlite3_stmt *st =
	    prepare(e,
		    "SELECT ref, is_digest FROM image_refs WHERE image_id = ? AND "
		    "(substr(ref, 1, length(?2)) = ?2 OR substr(ref, 1, length(?3)) = ?3)",
		    err);
	json_t *digests = json_array(), *it;
	bool tag_left = false;
	size_t i;
	int ret = 0;

	if (st == NULL) {
		json_decref(digests);
		return -1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tag_prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, digest_prefix, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (sqlite3_column_int(st, 1))
			json_array_append_new(digests, json_string(r));
		else if (!strchr(r + strlen(tag_prefix), '/'))
			tag_left = true;
	}
	finish(e, st);
	json_array_foreach (digests, i, it)
		if (!tag_left && ret == 0)
			ret = delete_refs(e, id, json_string_value(it), out, err);
	json_decref(digests);
	return ret;
}

static int count_refs(struct berth_engine *e, const char *id, int is_digest)
{
	sqlite3_stmt *st = prepare(
	    e,
	    is_digest < 0 ? "SELECT count(*) FROM image_refs WHERE image_id = ?"
			  : "SELECT count(*) FROM image_refs WHERE image_id = ? AND is_digest = ?",
	    NULL);
	int n = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (is_digest >= 0)
		sqlite3_bind_int(st, 2, is_digest);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	finish(e, st);
	return n;
}

static bool still_image(struct berth_engine *e, const char *id)
{
	sqlite3_stmt *st = prepare(e, "SELECT 1 FROM images WHERE id = ?", NULL);
	bool there = true;

	if (st == NULL)
		return true;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	there = sqlite3_step(st) == SQLITE_ROW;
	finish(e, st);
	return there;
}

/* The stored reference NAME stands for, if NAME is a name (not an ID). */
static char *named_ref(const char *name)
{
	struct berth_ref r;
	char *full = NULL;

	if (is_hex(name) || (strncmp(name, "sha256:", 7) == 0) ||
	    berth_ref_parse(name, &r, NULL) < 0)
		return NULL;
	berth_ref_default_tag(&r);
	if (r.digest) {
		cleanup_free char *n = berth_ref_name(&r);
		full = xasprintf("%s@%s", n, r.digest);
	} else
		full = berth_ref_string(&r);
	berth_ref_release(&r);
	return full;
}

json_t *berth_engine_image_remove(struct berth_engine *e, const char *name, bool force,
				  bool noprune, berth_error_t *err)
{
	cleanup_free char *id = resolve_image(e, name, err);
	cleanup_free char *ref = named_ref(name);
	struct image_row r = { 0 };
	json_t *out;
	int ret;

	const char *running, *stopped;
	bool keep_image;

	if (id == NULL || row_get(e, id, &r, err) < 0)
		return NULL;
	running = berth_engine_image_user(e, id, true);
	stopped = berth_engine_image_user(e, id, false);
	/* moby's conflicts: a running container is a hard one, a stopped one
	 * a soft one (force overrides); by name, the last tag of an image in
	 * use is kept unless forced */
	if (ref && !force && count_refs(e, id, 0) <= 1 && (running || stopped)) {
		row_release(&r);
		berth_make_error(err, EEXIST,
				 "conflict: unable to remove repository reference \"%s\" (must force) "
				 "- container %.12s is using its referenced image %.12s",
				 name, running ? running : stopped, id + 7);
		return NULL;
	}
	if (ref == NULL && count_refs(e, id, 0) <= 1 && (running || (stopped && !force))) {
		row_release(&r);
		berth_make_error(err, EEXIST,
				 "conflict: unable to delete %.12s (%s) - image is being used by %s "
				 "container %.12s",
				 id + 7, running ? "cannot be forced" : "must be forced",
				 running ? "running" : "stopped", running ? running : stopped);
		return NULL;
	}
	keep_image = running || (stopped && !force);
	if (ref == NULL && count_refs(e, id, 0) > 1 && !force) {
		row_release(&r);
		berth_make_error(
		    err, EEXIST,
		    "conflict: unable to delete %.12s (must be forced) - image is referenced in multiple repositories",
		    id + 7);
		return NULL;
	}
	out = json_array();
	ret = berth_engine_exec(e, "BEGIN IMMEDIATE", err);
	if (ret == 0)
		ret = delete_refs(e, id, ref, out, err);
	/* moby: once a repository has no tag left on the image, its digest
	 * names go too; by ID, every name goes */
	if (ret == 0 && ref && !strchr(ref, '@'))
		ret = drop_orphan_digests(e, id, ref, out, err);
	else if (ret == 0 && ref == NULL)
		ret = delete_refs(e, id, NULL, out, err);
	if (ret == 0 && count_refs(e, id, -1) == 0 && !keep_image) {
		sqlite3_stmt *st = prepare(e, "DELETE FROM images WHERE id = ?", err);
		ret = st ? 0 : -1;
		if (st) {
			sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
			ret = step_done(e, st, err);
		}
		if (ret == 0)
			json_array_append_new(out, json_pack("{s:s}", "Deleted", id));
	}
	if (ret == 0)
		ret = berth_engine_exec(e, "COMMIT", err);
	if (ret < 0) {
		berth_engine_exec(e, "ROLLBACK", NULL);
		json_decref(out);
		row_release(&r);
		return NULL;
	}
	if (count_refs(e, id, -1) == 0 && !still_image(e, id)) {
		drop_image_files(e, &r, out);
		berth_events_publish(e->events, "image", "delete", id,
				     json_pack("{s:s}", "name", id));
	}
	(void)noprune;
	row_release(&r);
	return out;
}

static void drop_unused_layers(struct berth_engine *e);
static void drop_unused_blobs(struct berth_engine *e);

/* --- prune ------------------------------------------------------------------------------------------- */

static int64_t total_layers_size(struct berth_engine *e)
{
	int64_t size = 0;
	json_t *df = berth_engine_images_df(e, &size);

	json_decref(df);
	return size;
}

static bool prune_candidate(struct berth_engine *e, const struct image_row *r,
			    const struct berth_filters *f, bool only_dangling, int64_t until)
{
	size_t i;

	if (only_dangling && !dangling(e, r))
		return false;
	if (until >= 0 && r->created * 1000000000LL >= until)
		return false;
	if (!berth_filters_match_labels(f, "label", labels_of(r)))
		return false;
	/* label!=k=v: keep images that carry it */
	for (i = 0; i < berth_filters_count(f, "label!"); i++) {
		json_t *one = json_pack("{s:[s]}", "label", berth_filters_value(f, "label!", i));
		cleanup_free char *text = json_dumps(one, JSON_COMPACT);
		struct berth_filters *neg = berth_filters_parse(text, NULL);
		bool has = neg && berth_filters_match_labels(neg, "label", labels_of(r));
		berth_filters_free(neg);
		json_decref(one);
		if (has)
			return false;
	}
	return true;
}

json_t *berth_engine_images_prune(struct berth_engine *e, const struct berth_filters *f,
				  berth_error_t *err)
{
	static const char *const allowed[] = { "dangling", "until", "label", "label!", NULL };
	bool only_dangling = true;
	int64_t until = -1, before;
	json_t *deleted = json_array();
	struct rows rs;
	size_t i;

	if (berth_filters_validate(f, allowed, err) < 0)
		goto fail;
	if (berth_filters_count(f, "dangling") > 0) {
		const char *v = berth_filters_value(f, "dangling", 0);
		only_dangling = !(strcmp(v, "false") == 0 || strcmp(v, "0") == 0);
	}
	if (berth_filters_count(f, "until") > 0 &&
	    berth_time_parse_timestamp(berth_filters_value(f, "until", 0), berth_time_now_ns(),
				       &until, err) < 0)
		goto fail;
	if (all_rows(e, &rs, err) < 0)
		goto fail;
	before = total_layers_size(e);
	for (i = 0; i < rs.n; i++) {
		json_t *out;
		if (!prune_candidate(e, &rs.v[i], f, only_dangling, until))
			continue;
		/* images that containers use stay */
		if (berth_engine_image_user(e, rs.v[i].id, true) ||
		    berth_engine_image_user(e, rs.v[i].id, false))
			continue;
		out = berth_engine_image_remove(e, rs.v[i].id, true, false, NULL);
		if (out)
			json_array_extend(deleted, out);
		json_decref(out);
	}
	rows_release(&rs);
	drop_unused_layers(e);
	drop_unused_blobs(e);
	return json_pack("{s:o, s:I}", "ImagesDeleted", deleted, "SpaceReclaimed",
			 (json_int_t)(before - total_layers_size(e)));
fail:
	json_decref(deleted);
	return NULL;
}

/* --- reconciling after a crash ------------------------------------------------------------------ */

/* Layer directories no image uses: what interrupted pulls left (kept so the
 * next pull reuses them) or a crashed rmi did not finish. Removed by prune
 * when no job runs, so a pull in progress never loses its layers. */
static void drop_unused_layers(struct berth_engine *e)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (e->image_jobs)
		return;
	d = opendir(e->layers_dir);
	while (d && (de = readdir(d)) != NULL) {
		cleanup_free char *chain = NULL;
		if (strlen(de->d_name) != 64 || !is_hex(de->d_name))
			continue;
		chain = xasprintf("sha256:%s", de->d_name);
		if (!still_used(e, "layers", chain)) {
			berth_log_info("prune: removing unused layer %s", chain);
			drop_layer(e, chain);
		}
	}
}

/* The blob each remaining layer was made from. */
static void layer_blobs_in_use(struct berth_engine *e, json_t *keep)
{
	cleanup_dir DIR *d = opendir(e->layers_dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		cleanup_free char *meta = NULL, *text = NULL;
		json_t *j;
		if (strlen(de->d_name) != 64 || !is_hex(de->d_name))
			continue;
		meta = xasprintf("%s/%s/layer.json", e->layers_dir, de->d_name);
		if (berth_fs_read_file(meta, 64 * 1024, &text, NULL) < 0)
			continue;
		j = json_loads(text, 0, NULL);
		if (json_is_string(json_object_get(j, "blob")))
			json_object_set_new(keep, json_string_value(json_object_get(j, "blob")),
					    json_true());
		json_decref(j);
	}
}

/* Blobs nothing refers to any more (configs, manifests, compressed layers of
 * records removed by a crash or by hand): removed by prune when no job
 * runs, since a running pull stores blobs before it records the image. */
static void drop_unused_blobs(struct berth_engine *e)
{
	cleanup_free char *dir = xasprintf("%s/blobs/sha256", e->cfg.data_root);
	cleanup_dir DIR *d = NULL;
	json_t *keep = json_object();
	struct dirent *de;
	struct rows rs;
	size_t i, k;

	if (e->image_jobs || all_rows(e, &rs, NULL) < 0) {
		json_decref(keep);
		return;
	}
	for (i = 0; i < rs.n; i++) {
		json_object_set_new(keep, rs.v[i].id, json_true());
		for (k = 0; k < json_array_size(rs.v[i].manifests); k++)
			json_object_set_new(keep,
					    json_string_value(json_array_get(rs.v[i].manifests, k)),
					    json_true());
	}
	rows_release(&rs);
	layer_blobs_in_use(e, keep);
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		cleanup_free char *digest = NULL;
		if (strlen(de->d_name) != 64 || !is_hex(de->d_name))
			continue;
		digest = xasprintf("sha256:%s", de->d_name);
		if (!json_object_get(keep, digest))
			berth_store_delete(e->store, digest, NULL);
	}
	json_decref(keep);
}

int berth_engine_images_reconcile(struct berth_engine *e, berth_error_t *err)
{
	struct rows rs;
	size_t i, k;

	if (all_rows(e, &rs, err) < 0)
		return -1;
	for (i = 0; i < rs.n; i++) {
		bool whole = berth_store_has(e->store, rs.v[i].id);
		for (k = 0; whole && k < json_array_size(rs.v[i].layers); k++)
			whole =
			    berth_layer_size(e->layers_dir,
					     json_string_value(json_array_get(rs.v[i].layers, k)),
					     NULL) >= 0;
		if (whole)
			continue;
		/* rows whose files are gone describe nothing usable */
		berth_log_warn("image %s lost its config or a layer; removing its record",
			       rs.v[i].id);
		json_decref(berth_engine_image_remove(e, rs.v[i].id, true, false, NULL));
	}
	rows_release(&rs);
	return 0;
}

/* --- for containers ------------------------------------------------------------------------------ */

int berth_engine_image_for_container(struct berth_engine *e, const char *name, char **id,
				     json_t **config, json_t **layers, berth_error_t *err)
{
	cleanup_free char *iid = resolve_image(e, name, err);
	struct image_row r = { 0 };

	if (iid == NULL || row_get(e, iid, &r, err) < 0)
		return -1;
	if (r.config == NULL) {
		row_release(&r);
		return berth_make_error(err, EIO, "image %s: config document is missing", iid);
	}
	*id = steal_pointer(&iid);
	*config = json_incref(r.config);
	*layers = json_incref(r.layers);
	row_release(&r);
	return 0;
}
