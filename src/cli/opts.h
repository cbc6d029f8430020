/* opts.h: a table-driven option parser with pflag's behaviour and messages,
 * shared by every command.
 *
 * Long options take "--name value" or "--name=value"; short ones "-f value",
 * "-fvalue", "-f=value", and booleans combine ("-Dv"). "--" ends options.
 * Values land in the command's options struct at each entry's offset:
 *   bool (BERTH_OPT_BOOL), const char * (BERTH_OPT_STRING, last one wins),
 *   struct berth_strv (BERTH_OPT_LIST, repeatable), int (BERTH_OPT_TRIBOOL).
 * A table may list "help" itself (docker does when -h means something else,
 * as --hostname for run); --help still asks for the help.
 * Strings point into argv; the parser copies nothing. */
#ifndef BERTH_CLI_OPTS_H
#define BERTH_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"

enum berth_opt_type {
	BERTH_OPT_BOOL,
	BERTH_OPT_STRING,
	BERTH_OPT_LIST,
	/* a bool that remembers whether it was given (pflag's Changed), in an
	 * int: 0 not given, BERTH_OPT_SET_FALSE or BERTH_OPT_SET_TRUE */
	BERTH_OPT_TRIBOOL,
};

#define BERTH_OPT_SET_FALSE 1
#define BERTH_OPT_SET_TRUE  2

struct berth_opt {
	const char *name; /* long name, without "--" */
	char shorthand;	  /* 0 when none */
	enum berth_opt_type type;
	size_t offset;	       /* of the value in the options struct */
	const char *type_name; /* shown in help after the name: "string", "list", "filter" */
	const char *usage;     /* help text; may hold newlines */
	const char *def;       /* default shown as (default "x"), or NULL */
	/* checks one value; the message follows "invalid argument ... flag: " */
	int (*validate)(const char *value, berth_error_t *err);
	bool hidden; /* accepted, not listed in the help (pflag's MarkHidden) */
};

/* A list of borrowed strings (pointing into argv). */
struct berth_strv {
	const char **v; /* owned array */
	size_t n;
};

void berth_strv_push(struct berth_strv *v, const char *s);
void berth_strv_release(struct berth_strv *v);

/* berth_opts_parse returns this when -h/--help was given. */
#define BERTH_OPTS_HELP 1

/* Parses ARGV[0..ARGC) (the arguments after the command name) against
 * TABLE into OPTS, collecting the other arguments in *ARGS. Unless
 * INTERSPERSED, parsing stops at the first non-option (which, with all
 * that follows, goes to *ARGS), as for the root command. Returns 0,
 * BERTH_OPTS_HELP, or < 0 with pflag's message ("unknown flag: --x"). */
int berth_opts_parse(const struct berth_opt *table, size_t n, int argc, char **argv,
		     bool interspersed, void *opts, struct berth_strv *args, berth_error_t *err);

/* Appends the option lines of TABLE as pflag's FlagUsagesWrapped(COLS):
 * sorted by name, descriptions aligned and wrapped. */
void berth_opts_usage(struct berth_strbuf *out, const struct berth_opt *table, size_t n, int cols);

#endif
