/* db.h: the state store, SQLite in WAL mode under the data root.
 *
 * The schema carries a version (PRAGMA user_version) and is brought up to
 * date by an ordered list of migrations, each in one transaction, so a crash
 * mid-migration leaves the previous version intact. */
#ifndef BERTH_ENGINE_DB_H
#define BERTH_ENGINE_DB_H

#include <sqlite3.h>
#include <stddef.h>

#include "base/error.h"

struct berth_db;

/* Opens (creating if needed) the database at PATH and migrates it. A store
 * written by a newer berth (higher schema version) is refused. */
struct berth_db *berth_db_open(const char *path, berth_error_t *err);
void berth_db_close(struct berth_db *db);

/* The schema version in force, and the one this build writes. */
int berth_db_schema_version(struct berth_db *db);
int berth_db_latest_schema_version(void);

sqlite3 *berth_db_handle(struct berth_db *db);

/* A prepared statement for SQL, kept for reuse: pass it to berth_db_finish
 * (never sqlite3_finalize), which resets it for the next caller. A
 * statement still in use is not handed out twice. NULL with *ERR set. */
sqlite3_stmt *berth_db_prepare(struct berth_db *db, const char *sql, berth_error_t *err);
void berth_db_finish(struct berth_db *db, sqlite3_stmt *st);

/* Runs SQL (a statement without results) with the N strings ARGS bound
 * to its parameters in order; EIO with sqlite's text on failure. */
int berth_db_run(struct berth_db *db, const char *sql, const char *const *args, size_t n,
		 berth_error_t *err);

/* Key/value metadata (engine id, ...). Returns a new string or NULL (ENOENT). */
char *berth_db_meta_get(struct berth_db *db, const char *key, berth_error_t *err);
int berth_db_meta_set(struct berth_db *db, const char *key, const char *value, berth_error_t *err);

#endif
