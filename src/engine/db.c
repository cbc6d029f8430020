#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "engine/db.h"

/* Statements kept prepared, keyed by their SQL text: parsing a query again
 * cost ~0.1 ms on every create, start and removal. */
#define STMT_CACHE_SIZE 32
struct cached_stmt {
	char *sql; /* owned; NULL: a free slot */
	sqlite3_stmt *st;
	bool busy; /* handed out, not finished yet */
};

struct berth_db {
	sqlite3 *h;
	int version;
	struct cached_stmt cache[STMT_CACHE_SIZE];
};

/* Each entry takes the schema from version i to i+1. Never edit an entry
 * that has shipped: add a new one (STYLE rule 14). */
static const char *const migrations[] = {
	/* 1: metadata */
	"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);",
	/* 2: images and their names */
	"CREATE TABLE images ("
	"  id TEXT PRIMARY KEY NOT NULL," /* sha256 of the config */
	"  created INTEGER NOT NULL,"	  /* unix seconds, from the config */
	"  size INTEGER NOT NULL,"	  /* unpacked bytes */
	"  os TEXT NOT NULL, arch TEXT NOT NULL, variant TEXT,"
	"  layers TEXT NOT NULL,"    /* JSON array of chain IDs, bottom first */
	"  manifests TEXT NOT NULL," /* JSON array of manifest digests kept for it */
	"  stored_at INTEGER NOT NULL);"
	"CREATE TABLE image_refs ("
	"  ref TEXT PRIMARY KEY NOT NULL," /* docker.io/library/busybox:latest or name@sha256:.. */
	"  is_digest INTEGER NOT NULL,"
	"  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  tagged_at INTEGER NOT NULL);"
	"CREATE INDEX image_refs_by_image ON image_refs(image_id);",
	/* 3: containers: the create request, image and state as one document */
	"CREATE TABLE containers ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  name TEXT UNIQUE NOT NULL," /* with the leading '/' */
	"  created INTEGER NOT NULL,"  /* unix nanoseconds */
	"  doc TEXT NOT NULL);",
	/* 4: networks: name, driver, IPAM, options and labels as one document */
	"CREATE TABLE networks ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  name TEXT UNIQUE NOT NULL,"
	"  doc TEXT NOT NULL);",
	/* 5: volumes: driver, labels, options, created, anonymous as one document */
	"CREATE TABLE volumes ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  doc TEXT NOT NULL);",
};

int berth_db_latest_schema_version(void)
{
	return (int)BERTH_ARRAY_SIZE(migrations);
}

static int exec_sql(struct berth_db *db, const char *sql, berth_error_t *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = berth_make_error(err, EIO, "sqlite: %s", msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

static int read_version(struct berth_db *db, berth_error_t *err)
{
	sqlite3_stmt *st = NULL;
	int v;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return berth_make_error(err, EIO, "sqlite: %s", sqlite3_errmsg(db->h));
	}
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(struct berth_db *db, berth_error_t *err)
{
	int latest = berth_db_latest_schema_version();

	if (db->version > latest)
		return berth_make_error(
		    err, EPROTO, "the store has schema version %d, newer than this berth (%d)",
		    db->version, latest);
	while (db->version < latest) {
		cleanup_free char *sql =
		    xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
			      migrations[db->version], db->version + 1);
		if (exec_sql(db, sql, err) < 0) {
			exec_sql(db, "ROLLBACK", NULL);
			return berth_error_wrap(err, "migrate the store to schema version %d",
						db->version + 1);
		}
		db->version++;
	}
	return 0;
}

struct berth_db *berth_db_open(const char *path, berth_error_t *err)
{
	struct berth_db *db = xzalloc(sizeof(*db));
	int rc = sqlite3_open_v2(
	    path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		berth_make_error(err, EIO, "open `%s`: %s", path,
				 db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		berth_db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, 5000);
	/* WAL + synchronous=NORMAL never corrupts on a crash; FULL costs an fsync per commit. */
	if (exec_sql(db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
		     err) < 0 ||
	    (db->version = read_version(db, err)) < 0 || migrate(db, err) < 0) {
		berth_error_wrap(err, "state store `%s`", path);
		berth_db_close(db);
		return NULL;
	}
	return db;
}

void berth_db_close(struct berth_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < STMT_CACHE_SIZE; i++) {
		sqlite3_finalize(db->cache[i].st);
		free(db->cache[i].sql);
	}
	sqlite3_close(db->h);
	free(db);
}

int berth_db_schema_version(struct berth_db *db)
{
	return db->version;
}

sqlite3 *berth_db_handle(struct berth_db *db)
{
	return db->h;
}

sqlite3_stmt *berth_db_prepare(struct berth_db *db, const char *sql, berth_error_t *err)
{
	struct cached_stmt *slot = NULL;
	sqlite3_stmt *st = NULL;
	size_t i;

	for (i = 0; i < STMT_CACHE_SIZE; i++) {
		struct cached_stmt *cs = &db->cache[i];

		if (cs->sql == NULL) {
			if (slot == NULL)
				slot = cs;
		} else if (!cs->busy && strcmp(cs->sql, sql) == 0) {
			cs->busy = true;
			return cs->st;
		}
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, slot ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) !=
	    SQLITE_OK) {
		berth_make_error(err, EIO, "state store: %s", sqlite3_errmsg(db->h));
		sqlite3_finalize(st);
		return NULL;
	}
	if (slot) {
		slot->sql = xstrdup(sql);
		slot->st = st;
		slot->busy = true;
	}
	return st;
}

void berth_db_finish(struct berth_db *db, sqlite3_stmt *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT_CACHE_SIZE; i++)
		if (db->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			db->cache[i].busy = false;
			return;
		}
	sqlite3_finalize(st);
}

char *berth_db_meta_get(struct berth_db *db, const char *key, berth_error_t *err)
{
	sqlite3_stmt *st = NULL;
	char *ret = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		berth_make_error(err, EIO, "sqlite: %s", sqlite3_errmsg(db->h));
		return NULL;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = xstrdup((const char *)sqlite3_column_text(st, 0));
	else if (rc == SQLITE_DONE)
		berth_make_error(err, ENOENT, "no meta key `%s`", key);
	else
		berth_make_error(err, EIO, "sqlite: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return ret;
}

int berth_db_meta_set(struct berth_db *db, const char *key, const char *value, berth_error_t *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", -1,
			       &st, NULL) != SQLITE_OK)
		return berth_make_error(err, EIO, "sqlite: %s", sqlite3_errmsg(db->h));
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return berth_make_error(err, EIO, "sqlite: %s", sqlite3_errmsg(db->h));
	return 0;
}

int berth_db_run(struct berth_db *db, const char *sql, const char *const *args, size_t n,
		 berth_error_t *err)
{
	sqlite3_stmt *st = berth_db_prepare(db, sql, err);
	size_t i;
	int rc;

	if (st == NULL)
		return -1;
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, (int)i + 1, args[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	berth_db_finish(db, st);
	if (rc != SQLITE_DONE)
		return berth_make_error(err, EIO, "state store: %s", sqlite3_errmsg(db->h));
	return 0;
}
