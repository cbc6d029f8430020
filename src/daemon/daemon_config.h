/* config.h: `berth daemon` flags and daemon.json, with dockerd's key names
 * and rules: unknown keys are an error, and so is a key given both as a
 * flag and in the file. */
#ifndef BERTH_DAEMON_DAEMON_CONFIG_H
#define BERTH_DAEMON_DAEMON_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "engine/engine.h"

/* Largest daemon.json accepted. */
#define BERTH_CONFIG_MAX_BYTES (1024 * 1024)

struct berth_daemon_config {
	struct berth_engine_config engine; /* owned */
	json_t *hosts;			   /* owned: array of "unix:///path" */
	char *config_file;		   /* owned */
	char *pidfile;			   /* owned */
	char *log_level;		   /* owned */
	char *log_format;		   /* owned: "text" or "json" */
	json_t *flags;	      /* owned: daemon.json-style object of what the command line set */
	json_t *ignored;      /* owned: known dockerd keys berth does not act on yet */
	bool config_file_set; /* --config-file given: the file must exist */
	bool show_help, show_version;
};

/* Parses ARGV (argv[0] = "daemon") into CFG, defaults filled in; flags are
 * remembered for the conflict check of berth_daemon_config_load_file. */
int berth_daemon_config_parse_args(struct berth_daemon_config *cfg, int argc, char **argv,
				   berth_error_t *err);

/* Reads CFG->config_file (a missing default file is fine) and merges it.
 * Errors: unknown keys, keys also given as flags, wrong value types. */
int berth_daemon_config_load_file(struct berth_daemon_config *cfg, bool file_required,
				  berth_error_t *err);

/* Merges the daemon.json text TEXT into CFG (exposed for tests and fuzzing).
 * NAME is used in messages. */
int berth_daemon_config_merge_json(struct berth_daemon_config *cfg, const char *text, size_t len,
				   const char *name, berth_error_t *err);

void berth_daemon_config_release(struct berth_daemon_config *cfg);

/* The usage text of `berth daemon --help`. */
const char *berth_daemon_config_usage(void);

#endif
