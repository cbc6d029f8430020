/* template_internal.h: the parse tree and helpers shared by the files of the
 * Go text/template subset (template_parse.c, template_exec.c, template_funcs.c).
 *
 * Data is JSON (jansson). A NULL json_t * stands for Go's invalid value, the
 * "<no value>" of a missing map key; JSON null stands for a nil interface. */
#ifndef BERTH_CLI_TEMPLATE_INTERNAL_H
#define BERTH_CLI_TEMPLATE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

enum tnode_type {
	/* statements */
	TN_LIST,
	TN_TEXT,
	TN_ACTION,
	TN_IF,
	TN_RANGE,
	TN_WITH,
	TN_BREAK,
	TN_CONTINUE,
	/* pipelines and their parts */
	TN_PIPE,
	TN_COMMAND,
	/* operands */
	TN_FIELD,    /* .A.B: idents */
	TN_VARIABLE, /* $x.A: name + idents */
	TN_CHAIN,    /* (pipe).A: base + idents */
	TN_DOT,
	TN_NIL,
	TN_BOOL,
	TN_NUMBER,
	TN_STRING,
	TN_IDENT, /* a function name */
};

struct tnode {
	enum tnode_type type;
	int line;	/* 1-based line of the node's first token */
	size_t pos;	/* byte offset in the template, for error context */
	size_t src_len; /* length of the node's source text from pos */

	/* Nodes own their strings and arrays; the template's node list owns the
	 * nodes, so kids/pipe/list pointers are borrowed. */
	char *text;    /* owned: TEXT and STRING bytes, VARIABLE and IDENT name */
	size_t len;    /* length of text (strings may hold NUL bytes) */
	char **idents; /* owned: field names of FIELD, VARIABLE, CHAIN */
	size_t nidents;

	struct tnode **kids; /* LIST statements, PIPE commands, COMMAND args */
	size_t nkids;

	struct tnode *pipe;	 /* ACTION/IF/RANGE/WITH pipeline; CHAIN base */
	struct tnode *list;	 /* IF/RANGE/WITH body */
	struct tnode *else_list; /* IF/RANGE/WITH else part, may be NULL */

	char *decl[2]; /* owned: PIPE declared variables ("$x") */
	int ndecl;
	bool is_assign; /* PIPE: `=` rather than `:=` */

	bool b;	     /* BOOL */
	bool is_int; /* NUMBER: integer constant */
	int64_t i;
	double f;
};

struct berth_template {
	char *name;	      /* owned */
	char *text;	      /* owned: the source, for error context */
	struct tnode *root;   /* borrowed: a TN_LIST, kept alive by nodes */
	struct tnode **nodes; /* owned: every node of the tree */
	size_t nnodes;
	size_t max_output;
	uint64_t max_steps;
};

/* One builtin function. CALL gets ARGS (NULL entries are invalid values)
 * and returns a new reference, or NULL with *err set. */
struct tfunc {
	const char *name;
	int min_args;
	int max_args; /* -1: variadic */
	json_t *(*call)(json_t **args, size_t nargs, berth_error_t *err);
	/* docker's HeaderFunctions variant, used for table headers; NULL keeps CALL */
	json_t *(*header_call)(json_t **args, size_t nargs, berth_error_t *err);
};

/* The builtin named NAME (len bytes), or NULL. */
const struct tfunc *berth_tfunc_lookup(const char *name);

/* Go's truth: false for invalid, nil, false, 0, and empty strings/arrays/maps. */
bool berth_tvalue_truth(const json_t *v);

/* Go's type name of V for error messages ("string", "int", "[]interface {}"). */
const char *berth_tvalue_type_name(const json_t *v);

/* Appends V as Go's fmt prints it with %v (the template's default output).
 * NULL prints "<no value>" when TOP is set (an action's result), else "<nil>". */
void berth_tvalue_print(struct berth_strbuf *out, const json_t *v, bool top);

/* Appends V as Go's encoding/json would (compact, no HTML escaping). */
void berth_tvalue_json(struct berth_strbuf *out, const json_t *v);

/* Looks up field NAME in object OBJ: exact key first, then ASCII
 * case-insensitively, since JSON keys stand in for Go struct fields whose
 * names differ from the keys only in case ("ApiVersion" vs APIVersion). */
json_t *berth_tvalue_field(const json_t *obj, const char *name);

/* Go's strconv.FormatFloat(F, FMT, -1, 64), the shortest digits that read
 * back as F: FMT 'g' as fmt's %v (exponent when exp < -4 || exp >= 6),
 * 'J' as encoding/json (exponent below 1e-6 and from 1e21, "e-7"), 'e', 'f'. */
void berth_tvalue_format_float(struct berth_strbuf *out, double f, char fmt);

/* Length of the valid UTF-8 sequence at S (1..4), or 0 if it is invalid. */
size_t berth_tvalue_utf8_len(const unsigned char *s, size_t avail);

/* Go's fmt.Sprintf for the printf function: ARGS[0] is the format string. */
json_t *berth_tfunc_printf(json_t **args, size_t nargs, berth_error_t *err);

/* Frees a tree made by the parser (NULL is fine). */
void berth_tnode_free(struct tnode *n);

#endif
