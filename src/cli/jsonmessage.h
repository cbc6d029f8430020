/* jsonmessage.h: docker's JSON message streams (pull, push, load) drawn as
 * moby's pkg/jsonmessage does.
 *
 * On a terminal each message with an id and progress owns a line that is
 * redrawn in place (cursor up, erase line, cursor down) with a progress bar
 * from progressDetail. Elsewhere every message is printed once as
 * "id: status", and messages whose progress would draw a bar are skipped.
 * A message with errorDetail ends the stream with that message. */
#ifndef BERTH_CLI_JSONMESSAGE_H
#define BERTH_CLI_JSONMESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

/* Most per-id lines tracked on a terminal; more ids restart the count, as
 * a message without id does. */
#define BERTH_JSONMESSAGE_MAX_IDS 4096

struct berth_jsonmessage;

/* Called with the `aux` member of a message (borrowed); such messages are
 * not displayed. */
typedef void (*berth_jsonmessage_aux_cb)(const json_t *aux, void *data);

/* A display writing to OUT (borrowed), drawn for a terminal when TERMINAL;
 * WIDTH is the terminal's width (0: unknown, docker assumes 200). */
struct berth_jsonmessage *berth_jsonmessage_new(struct berth_strbuf *out, bool terminal, int width);

void berth_jsonmessage_set_aux(struct berth_jsonmessage *jm, berth_jsonmessage_aux_cb cb,
			       void *data);

/* Sets the clock used for the time left (tests); 0 means the real one. */
void berth_jsonmessage_set_now(struct berth_jsonmessage *jm, int64_t unix_sec);

/* Displays the message in LINE (one JSON object). Returns 0, or < 0 with
 * the in-band error (errorDetail.message; code kept in the errno slot when
 * it is one) or a decoding error. */
int berth_jsonmessage_display(struct berth_jsonmessage *jm, const char *line, size_t len,
			      berth_error_t *err);

void berth_jsonmessage_free(struct berth_jsonmessage *jm);

/* JSONProgress.String(): "[==>   ]  1.2MB/5MB 3s" for PROGRESS (the
 * progressDetail object) at terminal WIDTH and time NOW (unix seconds). */
void berth_jsonmessage_progress(struct berth_strbuf *out, const json_t *progress, int width,
				int64_t now);

#endif
