/* image_internal.h: what the image commands (cmd_image*.c, cmd_pull.c,
 * cmd_push.c) share: raw API transfers the buffered client does not offer
 * (extra headers, bodies streamed from or to a file descriptor), docker's
 * argument-count errors, the small formatting helpers of docker's
 * image and history contexts, and the inspect and prune plumbing that the
 * network and container commands use as well. */
#ifndef BERTH_CLI_IMAGE_INTERNAL_H
#define BERTH_CLI_IMAGE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "cli/cli.h"
#include "base/reference.h"
#include "cli/jsonmessage.h"
#include "http/client.h"

struct berth_template;

/* One streamed API call. Set what applies; the rest stays zero/-1. */
struct berth_cli_image_xfer {
	const char *method;
	const char *path;	      /* unversioned, escaped (berth_cli_image_path) */
	const char *query;	      /* encoded, may be NULL */
	const char *registry_auth;    /* X-Registry-Auth value, or NULL */
	int in_fd;		      /* request body read from here (application/x-tar), or -1 */
	int out_fd;		      /* response body copied here, or -1 */
	berth_client_line_cb line_cb; /* else the body is cut into lines for this */
	void *cb_data;
	/* else each piece of the body goes here as it comes (cb_data); < 0 stops */
	int (*data_cb)(const char *data, size_t len, void *cb_data);
	bool json_body; /* out: the Content-Type is application/json (set before the body) */
	/* out, owned (caller frees): the X-Docker-Container-Path-Stat header of
	 * a container archive answer (set before the body), or NULL */
	char *path_stat;
};

/* Runs X on the client's daemon (negotiating first). A status >= 400 is an
 * error with docker's message ("Error response from daemon: ..."), as
 * berth_client_call_json; a failed write to out_fd is the write's errno. */
int berth_cli_image_xfer_run(struct berth_client *c, struct berth_cli_image_xfer *x,
			     berth_error_t *err);

/* docker's checkResponseErr for a response with STATUS >= 400: the JSON
 * `message` as "Error response from daemon: MESSAGE", the body as text when
 * it is not JSON; the errno follows the status (404 ENOENT, ...). */
int berth_cli_image_http_error(long status, const char *content_type, const char *body, size_t len,
			       const char *path, berth_error_t *err);

/* The X-Registry-Auth value for REF's registry, from the docker config as
 * the docker CLI finds it ("e30=" when there is none). Problems with the
 * config are warnings on stderr, never errors. Caller frees. */
char *berth_cli_image_registry_auth(const struct berth_ref *ref);

/* Runs X and displays its body, a JSON message stream, on stdout (nothing
 * when QUIET) as docker's jsonmessage does; AUX (may be NULL) gets the aux
 * members. An in-band error ends it with that error's message. */
int berth_cli_image_stream(struct berth_client *c, struct berth_cli_image_xfer *x, bool quiet,
			   berth_jsonmessage_aux_cb aux, void *aux_data, berth_error_t *err);

/* "/images/NAME/SUFFIX" with NAME escaped as Go's url.URL escapes a path
 * ("/" ":" "@" kept, " " "%" "?" "#" encoded). Caller frees. */
char *berth_cli_image_path(const char *name, const char *suffix);

/* docker's argument errors (cli.ExactArgs, RequiresMinArgs, ...) for the
 * command at PATH ("berth image tag") with USE ("tag SOURCE TARGET"):
 * "berth: 'PATH' requires N arguments" and the usage lines. Returns < 0. */
int berth_cli_image_args_exact(const char *path, const char *use, size_t want, berth_error_t *err);
int berth_cli_image_args_min(const char *path, const char *use, size_t want, berth_error_t *err);
int berth_cli_image_args_max(const char *path, const char *use, size_t max, berth_error_t *err);

/* strings.TrimSpace of S[0..LEN) (isspace bytes). Caller frees. */
char *berth_cli_trim_space(const char *s, size_t len);

/* docker's FilterOpt: "name=value" (validates an option value). */
int berth_cli_image_validate_filter(const char *value, berth_error_t *err);

/* The `filters` query value for FILTERS ("name=value" each, names lower-
 * cased and both trimmed, as docker's FilterOpt), plus KEY=VALUE when KEY
 * is not NULL; NULL when there is no filter at all. Caller frees. */
char *berth_cli_image_filters(const struct berth_strv *filters, const char *key, const char *value);

/* An error with errno E and the message "FMT...: <strerror(E)>", worded as
 * Go words errno values ("open x: no such file or directory"). */
int berth_cli_image_syserr(berth_error_t *err, int e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* stringid.TruncateID: without "sha256:", at most 12 characters. */
char *berth_cli_image_short_id(const char *id);

/* Go's time.Unix(SEC, 0).String() in local time:
 * "2024-01-01 00:00:00 +0000 UTC". */
void berth_cli_image_time_string(struct berth_strbuf *out, int64_t sec);

/* units.HumanDuration(now - SEC) + " ago": "2 years ago". */
void berth_cli_image_time_ago(struct berth_strbuf *out, int64_t sec);

/* Appends V as Go's json.Marshal on a map (a formatter context's
 * MarshalJSON) writes it: keys as they are, <, > and & escaped. */
void berth_cli_image_json_row(struct berth_strbuf *out, const json_t *v);

/* Renders ROWS (objects) through FORMAT as docker's formatter.Context
 * does, with HEADER for tables. "json" prints each row with
 * berth_cli_image_json_row, since docker's contexts marshal themselves,
 * and a field a row lacks is an error naming CTX_TYPE, the Go type of
 * docker's context ("*formatter.imageContext"), as on a Go struct. */
int berth_cli_image_write_rows(const char *format, const json_t *rows, const json_t *header,
			       const char *ctx_type, berth_error_t *err);

/* POST PATH ("/images/prune") as docker's prune commands do: the filters
 * FILTER, then EXTRA (a "name=value", may be NULL), then the config's
 * pruneFilters (command.PruneFilters: not one that contradicts a label
 * filter already there). *REPORT is the caller's. */
int berth_cli_prune_post(struct berth_cli *cli, const char *path, const struct berth_strv *filter,
			 const char *extra, json_t **report, berth_error_t *err);

/* Go's json.Indent(dst, src, "", "    ") of the valid JSON S, or
 * json.Compact when COMPACT, appended to OUT (docker's inspect output). */
void berth_cli_image_indent_json(struct berth_strbuf *out, const char *s, size_t len, bool compact);

/* The field chain (".Config.Nope") at which the template TEXT stopped with
 * the "map has no entry for key" error MSG; NULL for other errors. Caller
 * frees. */
char *berth_cli_image_missing_chain(const char *msg, const char *text);

/* GET PATH?QUERY (QUERY may be NULL): the body in *BODY (caller frees) and
 * *LEN, or for a status >= 400 docker's error (berth_cli_image_http_error). */
int berth_cli_get_raw(struct berth_client *c, const char *path, const char *query, char **body,
		      size_t *len, berth_error_t *err);

/* True when the template TEXT uses the field NAME: ".NAME" not followed by
 * more of an identifier. */
bool berth_cli_template_uses_field(const char *text, const char *name);

/* docker's raw inspect run: T on OBJ turned into a Go map (keys sorted),
 * missingkey=error. OUT is emptied first, so that what a failed typed run
 * wrote there is gone. */
int berth_cli_inspect_run_raw(const struct berth_template *t, const json_t *obj,
			      struct berth_strbuf *out, berth_error_t *err);

/* What an inspect command knows of its objects. */
struct berth_cli_inspect_ops {
	/* Fetches the object NAME: its JSON in *BODY (caller frees) and
	 * *LEN, or docker's error for it. */
	int (*fetch)(struct berth_client *c, const char *name, void *arg, char **body, size_t *len,
		     berth_error_t *err);
	/* Runs T (its text TEXT) on the object OBJ into OUT (empty), as
	 * docker's TemplateInspector does for that kind of object. */
	int (*run)(const struct berth_template *t, const char *text, const json_t *obj, void *arg,
		   struct berth_strbuf *out, berth_error_t *err);
};

/* docker's inspect.Inspect over NAMES, with OPS (ARG is theirs): for a
 * FORMAT that is NULL or "" the objects as one JSON array indented as
 * json.Indent, for "json" compact, else the template FORMAT run on each
 * (a line each; status 64 when it does not parse). What was found is
 * printed, then the errors of the others, joined a line each, are
 * returned. */
int berth_cli_inspect(struct berth_cli *cli, const char *format, const struct berth_strv *names,
		      const struct berth_cli_inspect_ops *ops, void *arg, berth_error_t *err);

/* docker's prompt.Confirm: QUESTION and " [y/N] " on stdout, true for a
 * line that is "y" or "Y" on stdin. */
bool berth_cli_image_confirm(const char *question);

/* True when stdout is a terminal (docker's Out().IsTerminal()). */
bool berth_cli_image_stdout_is_tty(void);

/* The width of stdout's terminal, which docker's progress bars use; 0 when
 * unknown. */
int berth_cli_image_stdout_width(void);

/* The number from key K of object O (0 when absent). */
int64_t berth_cli_image_num(const json_t *o, const char *k);
/* The string from key K of object O ("" when absent). */
const char *berth_cli_image_str(const json_t *o, const char *k);

#endif
