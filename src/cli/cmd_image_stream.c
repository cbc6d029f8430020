/* cmd_image_stream.c: what pull, push and load share: the registry
 * credentials sent along, and the JSON message stream drawn on stdout. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/auth.h"
#include "cli/image_internal.h"

char *berth_cli_image_registry_auth(const struct berth_ref *ref)
{
	cleanup_free char *dir = berth_auth_config_dir();
	cleanup_error berth_error_t err = NULL;
	struct berth_docker_config *cfg = NULL;
	struct berth_auth_config auth;
	const char *helper = NULL;
	char *encoded;

	if (berth_auth_load_config(dir, &cfg, &err) < 0) {
		fprintf(stderr, "WARNING: Error %s\n", err->msg);
		berth_error_release(&err);
	}
	if (berth_auth_resolve(cfg, ref->domain, &auth, &helper, &err) < 0) {
		fprintf(stderr, "WARNING: Error parsing config file (%s): %s\n", cfg->path,
			err->msg);
		berth_error_release(&err);
	}
	if (helper)
		fprintf(stderr,
			"WARNING: credential helper \"docker-credential-%s\" is not supported yet; "
			"using only the credentials stored in %s\n",
			helper, cfg->path);
	encoded = berth_auth_encode(&auth);
	berth_auth_config_release(&auth);
	berth_docker_config_free(cfg);
	return encoded;
}

struct stream_state {
	struct berth_jsonmessage *jm; /* owned */
	struct berth_strbuf out;      /* owned: what one message drew */
	bool quiet;
	berth_error_t err; /* owned: the in-band error that ended the stream */
};

static int on_message(const char *line, size_t len, void *data)
{
	struct stream_state *st = data;
	int ret = berth_jsonmessage_display(st->jm, line, len, &st->err);

	if (!st->quiet)
		berth_cli_print(&st->out);
	berth_strbuf_reset(&st->out);
	return ret;
}

int berth_cli_image_stream(struct berth_client *c, struct berth_cli_image_xfer *x, bool quiet,
			   berth_jsonmessage_aux_cb aux, void *aux_data, berth_error_t *err)
{
	/* quiet output goes nowhere, which is not a terminal */
	bool tty = !quiet && berth_cli_image_stdout_is_tty();
	struct stream_state st = { .quiet = quiet };
	int ret;

	st.jm = berth_jsonmessage_new(&st.out, tty, tty ? berth_cli_image_stdout_width() : 0);
	berth_jsonmessage_set_aux(st.jm, aux, aux_data);
	x->line_cb = on_message;
	x->cb_data = &st;
	ret = berth_cli_image_xfer_run(c, x, err);
	if (ret == 0 && st.err) {
		*err = steal_pointer(&st.err);
		ret = -1;
	}
	berth_error_release(&st.err);
	berth_jsonmessage_free(st.jm);
	berth_strbuf_release(&st.out);
	return ret;
}
