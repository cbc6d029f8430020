/* template_exec.c: executes a parsed template on JSON data, following Go's
 * text/template/exec.go: dot, variables with scopes that end at {{end}},
 * pipelines that pass each result on as the last argument of the next
 * command, and Go's printing of the final values.
 *
 * Every eval_* function returns a new reference (NULL is the invalid value)
 * and, on error, records it in the state and returns NULL; callers test
 * s->failed. Execution is bounded by steps and output bytes. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/format.h"
#include "cli/template_internal.h"

struct var {
	const char *name; /* borrowed from the tree */
	json_t *val;	  /* owned reference, NULL for invalid */
};

enum control {
	CTL_NONE,
	CTL_BREAK,
	CTL_CONTINUE
};

struct exec {
	const struct berth_template *t;
	unsigned flags;
	struct berth_strbuf *out; /* borrowed */
	size_t out_start;
	struct var *vars; /* owned */
	size_t nvars, capvars;
	uint64_t steps;
	enum control ctl;
	bool failed;
	berth_error_t *err;
};

static json_t *eval_pipeline(struct exec *s, json_t *dot, const struct tnode *pipe, bool declare);
static void walk(struct exec *s, json_t *dot, const struct tnode *n);

/* Go's ErrorContext: "NAME:LINE:COL" (COL is the 0-based byte in the line)
 * and the node's text, cut at 20 bytes. */
__attribute__((format(printf, 3, 4))) static void exec_error(struct exec *s, const struct tnode *n,
							     const char *fmt, ...)
{
	const char *text = s->t->text;
	size_t line_start = n->pos, ctx_len = n->src_len;
	cleanup_free char *msg = NULL;
	va_list ap;

	if (s->failed)
		return;
	s->failed = true;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	while (line_start > 0 && text[line_start - 1] != '\n')
		line_start--;
	berth_make_error(s->err, EINVAL, "template: %s:%d:%zu: executing \"%s\" at <%.*s%s>: %s",
			 s->t->name, n->line, n->pos - line_start, s->t->name,
			 (int)(ctx_len > 20 ? 20 : ctx_len), text + n->pos,
			 ctx_len > 20 ? "..." : "", msg);
}

static bool step(struct exec *s, const struct tnode *n)
{
	if (s->failed)
		return false;
	if (++s->steps > s->t->max_steps) {
		exec_error(s, n, "template execution exceeds %llu steps",
			   (unsigned long long)s->t->max_steps);
		return false;
	}
	return true;
}

static void emit_bytes(struct exec *s, const struct tnode *n, const char *data, size_t len)
{
	if (s->out->len - s->out_start + len > s->t->max_output) {
		exec_error(s, n, "template output exceeds %zu bytes", s->t->max_output);
		return;
	}
	berth_strbuf_append(s->out, data, len);
}

static void print_value(struct exec *s, const struct tnode *n, const json_t *v)
{
	cleanup_strbuf struct berth_strbuf tmp = BERTH_STRBUF_INIT;

	berth_tvalue_print(&tmp, v, true);
	emit_bytes(s, n, tmp.buf ? tmp.buf : "", tmp.len);
}

/* ---- variables ---- */

static void push_var(struct exec *s, const char *name, json_t *val)
{
	if (s->nvars == s->capvars) {
		s->capvars = s->capvars ? s->capvars * 2 : 8;
		s->vars = xrealloc(s->vars, s->capvars * sizeof(*s->vars));
	}
	s->vars[s->nvars].name = name;
	s->vars[s->nvars].val = val ? json_incref(val) : NULL;
	s->nvars++;
}

static void pop_vars(struct exec *s, size_t mark)
{
	while (s->nvars > mark) {
		s->nvars--;
		json_decref(s->vars[s->nvars].val);
	}
}

static struct var *find_var(struct exec *s, const char *name)
{
	for (size_t i = s->nvars; i-- > 0;)
		if (strcmp(s->vars[i].name, name) == 0)
			return &s->vars[i];
	return NULL;
}

static void set_var(struct var *v, json_t *val)
{
	json_decref(v->val);
	v->val = val ? json_incref(val) : NULL;
}

/* ---- fields ---- */

static json_t *eval_field(struct exec *s, const struct tnode *n, json_t *recv, const char *name,
			  bool has_args)
{
	json_t *v;

	if (recv == NULL) {
		if (s->flags & BERTH_TEMPLATE_MISSINGKEY_ERROR)
			exec_error(s, n, "nil data; no entry for key \"%s\"", name);
		return NULL;
	}
	if (json_is_null(recv)) {
		exec_error(s, n, "nil pointer evaluating interface {}.%s", name);
		return NULL;
	}
	if (!json_is_object(recv)) {
		exec_error(s, n, "can't evaluate field %s in type %s", name,
			   berth_tvalue_type_name(recv));
		return NULL;
	}
	if (has_args) {
		exec_error(s, n, "%s is not a method but has arguments", name);
		return NULL;
	}
	v = berth_tvalue_field(recv, name);
	if (v == NULL && (s->flags & BERTH_TEMPLATE_MISSINGKEY_ERROR))
		exec_error(s, n, "map has no entry for key \"%s\"", name);
	return v ? json_incref(v) : NULL;
}

/* RECV (a new reference, consumed) followed by .A.B...; only the last field
 * may see arguments, which JSON fields never accept. */
static json_t *eval_chain(struct exec *s, const struct tnode *n, json_t *recv, bool has_args)
{
	for (size_t i = 0; i < n->nidents && !s->failed; i++) {
		json_t *next =
		    eval_field(s, n, recv, n->idents[i], has_args && i + 1 == n->nidents);
		json_decref(recv);
		recv = next;
	}
	if (s->failed) {
		json_decref(recv);
		return NULL;
	}
	return recv;
}

static json_t *eval_variable(struct exec *s, const struct tnode *n, bool has_args)
{
	struct var *v = find_var(s, n->text);

	if (v == NULL) {
		exec_error(s, n, "undefined variable: %s", n->text);
		return NULL;
	}
	if (n->nidents == 0 && has_args) {
		exec_error(s, n, "can't give argument to non-function %s", n->text);
		return NULL;
	}
	return eval_chain(s, n, v->val ? json_incref(v->val) : NULL, has_args);
}

/* ---- constants and arguments ---- */

static json_t *constant(const struct tnode *n)
{
	switch (n->type) {
	case TN_NIL:
		return json_null();
	case TN_BOOL:
		return json_boolean(n->b);
	case TN_NUMBER:
		return n->is_int ? json_integer(n->i) : json_real(n->f);
	case TN_STRING:
		return json_stringn_nocheck(n->text, n->len);
	default:
		return NULL;
	}
}

static json_t *call_function(struct exec *s, json_t *dot, const struct tnode *cmd,
			     const struct tnode *ident, json_t *final, bool has_final);

static json_t *eval_arg(struct exec *s, json_t *dot, const struct tnode *n, const struct tnode *cmd)
{
	if (!step(s, n))
		return NULL;
	switch (n->type) {
	case TN_DOT:
		return dot ? json_incref(dot) : NULL;
	case TN_FIELD:
		return eval_chain(s, n, dot ? json_incref(dot) : NULL, false);
	case TN_VARIABLE:
		return eval_variable(s, n, false);
	case TN_CHAIN:
		return eval_chain(s, n, eval_pipeline(s, dot, n->pipe, true), false);
	case TN_PIPE:
		return eval_pipeline(s, dot, n, true);
	case TN_IDENT:
		return call_function(s, dot, NULL, n, NULL, false);
	default:
		return constant(n);
	}
}

/* ---- functions ---- */

/* Go 1.18's and/or evaluate their arguments lazily and return the deciding
 * argument itself (not a bool), so {{or .A "default"}} yields a value and
 * {{and .X .X.Y}} does not evaluate .X.Y when .X is empty. */
static json_t *call_and_or(struct exec *s, json_t *dot, const struct tnode *cmd, bool is_or,
			   json_t *final, bool has_final)
{
	json_t *v = NULL;

	for (size_t i = 1; i < cmd->nkids; i++) {
		json_decref(v);
		v = eval_arg(s, dot, cmd->kids[i], cmd);
		if (s->failed)
			return NULL;
		if (berth_tvalue_truth(v) == is_or)
			return v;
	}
	if (has_final) {
		json_decref(v);
		v = final ? json_incref(final) : NULL;
	}
	return v;
}

static bool check_arity(struct exec *s, const struct tnode *n, const struct tfunc *f, size_t nargs)
{
	if ((int)nargs < f->min_args && f->max_args < 0) {
		exec_error(s, n, "wrong number of args for %s: want at least %d got %zu", f->name,
			   f->min_args, nargs);
		return false;
	}
	if ((int)nargs < f->min_args || (f->max_args >= 0 && (int)nargs > f->max_args)) {
		exec_error(s, n, "wrong number of args for %s: want %d got %zu", f->name,
			   f->min_args, nargs);
		return false;
	}
	return true;
}

static json_t *invoke(struct exec *s, const struct tnode *n, const struct tfunc *f, json_t **args,
		      size_t nargs)
{
	json_t *(*call)(json_t **, size_t, berth_error_t *) = f->call;
	berth_error_t ferr = NULL;
	json_t *res;

	if ((s->flags & BERTH_TEMPLATE_HEADER) && f->header_call)
		call = f->header_call;
	res = call(args, nargs, &ferr);
	if (res == NULL) {
		/* argument type errors read as Go's evalArg errors, the rest as
		 * errors returned by the function */
		if (ferr->code == EDOM)
			exec_error(s, n, "%s", ferr->msg);
		else
			exec_error(s, n, "error calling %s: %s", f->name, ferr->msg);
		berth_error_release(&ferr);
	}
	return res;
}

/* Calls the function named by IDENT with the arguments of CMD (NULL when the
 * function appears bare as an argument) and the pipeline's FINAL value. */
static json_t *call_function(struct exec *s, json_t *dot, const struct tnode *cmd,
			     const struct tnode *ident, json_t *final, bool has_final)
{
	const struct tfunc *f = berth_tfunc_lookup(ident->text);
	size_t given = cmd ? cmd->nkids - 1 : 0, nargs = given + (has_final ? 1 : 0);
	json_t **args;
	json_t *res = NULL;

	if (f == NULL) {
		exec_error(s, ident, "\"%s\" is not a defined function", ident->text);
		return NULL;
	}
	if (cmd && (strcmp(f->name, "and") == 0 || strcmp(f->name, "or") == 0) && nargs > 0)
		return call_and_or(s, dot, cmd, f->name[0] == 'o', final, has_final);
	if (!check_arity(s, ident, f, nargs))
		return NULL;
	args = xcalloc(nargs + 1, sizeof(*args));
	for (size_t i = 0; i < given && !s->failed; i++)
		args[i] = eval_arg(s, dot, cmd->kids[i + 1], cmd);
	if (has_final && final)
		args[given] = json_incref(final);
	if (!s->failed)
		res = invoke(s, cmd ? cmd : ident, f, args, nargs);
	for (size_t i = 0; i < nargs; i++)
		json_decref(args[i]);
	free(args);
	return res;
}

/* One command of a pipeline. FINAL is the previous command's result; it is
 * passed as the last argument, and only functions may take arguments:
 * Go rejects {{.A | .B}} with "can't give argument to non-function". */
static json_t *eval_command(struct exec *s, json_t *dot, const struct tnode *cmd, json_t *final,
			    bool has_final)
{
	const struct tnode *first = cmd->kids[0];
	bool has_args = cmd->nkids > 1 || has_final;

	if (!step(s, cmd))
		return NULL;
	switch (first->type) {
	case TN_FIELD:
		return eval_chain(s, first, dot ? json_incref(dot) : NULL, has_args);
	case TN_CHAIN:
		return eval_chain(s, first, eval_pipeline(s, dot, first->pipe, true), has_args);
	case TN_VARIABLE:
		return eval_variable(s, first, has_args);
	case TN_IDENT:
		return call_function(s, dot, cmd, first, final, has_final);
	default:
		break;
	}
	if (first->type == TN_NIL) {
		exec_error(s, first, "nil is not a command");
		return NULL;
	}
	if (has_args) {
		exec_error(s, first, "can't give argument to non-function %.*s",
			   (int)first->src_len, s->t->text + first->pos);
		return NULL;
	}
	if (first->type == TN_PIPE)
		return eval_pipeline(s, dot, first, true);
	if (first->type == TN_DOT)
		return dot ? json_incref(dot) : NULL;
	return constant(first);
}

/* Runs the commands of PIPE; with DECLARE, binds its variables. */
static json_t *eval_pipeline(struct exec *s, json_t *dot, const struct tnode *pipe, bool declare)
{
	json_t *v = NULL;

	for (size_t i = 0; i < pipe->nkids && !s->failed; i++) {
		json_t *next = eval_command(s, dot, pipe->kids[i], v, i > 0);
		json_decref(v);
		v = next;
	}
	if (s->failed) {
		json_decref(v);
		return NULL;
	}
	for (int i = 0; declare && i < pipe->ndecl; i++) {
		struct var *var = pipe->is_assign ? find_var(s, pipe->decl[i]) : NULL;
		if (var)
			set_var(var, v);
		else
			push_var(s, pipe->decl[i], v);
	}
	return v;
}

/* ---- statements ---- */

/* Variables declared in the condition ({{if $x := .A}}) are visible in
 * both branches and end with the {{end}}, hence the mark and pop. */
static void walk_if_with(struct exec *s, json_t *dot, const struct tnode *n)
{
	size_t mark = s->nvars;
	json_t *v = eval_pipeline(s, dot, n->pipe, true);

	if (!s->failed) {
		if (berth_tvalue_truth(v))
			walk(s, n->type == TN_WITH ? v : dot, n->list);
		else if (n->else_list)
			walk(s, dot, n->else_list);
	}
	json_decref(v);
	pop_vars(s, mark);
}

/* One pass of a range body: the variables get the key and the element, as
 * Go's setTopVar does ({{range $v := x}} binds the element). */
static void range_once(struct exec *s, const struct tnode *n, json_t *key, json_t *elem,
		       size_t base)
{
	size_t mark = s->nvars;

	if (n->pipe->ndecl == 1)
		set_var(&s->vars[base], elem);
	if (n->pipe->ndecl == 2) {
		set_var(&s->vars[base], key);
		set_var(&s->vars[base + 1], elem);
	}
	walk(s, elem, n->list);
	pop_vars(s, mark);
	if (s->ctl == CTL_CONTINUE)
		s->ctl = CTL_NONE;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t range_object(struct exec *s, const struct tnode *n, json_t *obj, size_t base)
{
	size_t count = json_object_size(obj), i = 0;
	cleanup_free const char **keys = xcalloc(count + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	json_object_foreach (obj, k, v)
		keys[i++] = k;
	qsort(keys, count, sizeof(*keys), cmp_str); /* Go visits map keys in order */
	for (i = 0; i < count && !s->failed && s->ctl != CTL_BREAK; i++) {
		json_t *key = json_string_nocheck(keys[i]);
		range_once(s, n, key, json_object_get(obj, keys[i]), base);
		json_decref(key);
	}
	return count;
}

static size_t range_items(struct exec *s, const struct tnode *n, json_t *v, size_t base)
{
	size_t count = 0;

	if (json_is_array(v)) {
		count = json_array_size(v);
		for (size_t i = 0; i < count && !s->failed && s->ctl != CTL_BREAK; i++) {
			json_t *key = json_integer((json_int_t)i);
			range_once(s, n, key, json_array_get(v, i), base);
			json_decref(key);
		}
	} else if (json_is_object(v)) {
		count = range_object(s, n, v, base);
	} else if (json_is_integer(v) && json_integer_value(v) > 0) {
		/* Go 1.22: range over an int counts from 0 */
		count = (size_t)json_integer_value(v);
		for (size_t i = 0; i < count && !s->failed && s->ctl != CTL_BREAK; i++) {
			json_t *num = json_integer((json_int_t)i);
			range_once(s, n, num, num, base);
			json_decref(num);
		}
	} else if (v != NULL && !json_is_null(v) && !json_is_integer(v)) {
		cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
		berth_tvalue_print(&sb, v, false);
		exec_error(s, n, "range can't iterate over %.100s", sb.buf ? sb.buf : "");
	}
	return count;
}

/* The range variables are pushed once, holding the whole value as Go's
 * evalPipeline leaves them, and then set per element; the pipeline is
 * therefore evaluated without binding them. */
static void walk_range(struct exec *s, json_t *dot, const struct tnode *n)
{
	size_t mark = s->nvars, count;
	json_t *v = eval_pipeline(s, dot, n->pipe, false);

	if (s->failed)
		return;
	for (int i = 0; i < n->pipe->ndecl; i++)
		push_var(s, n->pipe->decl[i], v);
	count = range_items(s, n, v, mark);
	s->ctl = CTL_NONE;
	if (!s->failed && count == 0 && n->else_list)
		walk(s, dot, n->else_list);
	json_decref(v);
	pop_vars(s, mark);
}

static void walk(struct exec *s, json_t *dot, const struct tnode *n)
{
	json_t *v;

	if (s->ctl != CTL_NONE || !step(s, n))
		return;
	switch (n->type) {
	case TN_LIST:
		for (size_t i = 0; i < n->nkids && !s->failed && s->ctl == CTL_NONE; i++)
			walk(s, dot, n->kids[i]);
		break;
	case TN_TEXT:
		emit_bytes(s, n, n->text, n->len);
		break;
	case TN_ACTION:
		v = eval_pipeline(s, dot, n->pipe, true);
		if (!s->failed && n->pipe->ndecl == 0) /* a declaration prints nothing */
			print_value(s, n, v);
		json_decref(v);
		break;
	case TN_IF:
	case TN_WITH:
		walk_if_with(s, dot, n);
		break;
	case TN_RANGE:
		walk_range(s, dot, n);
		break;
	case TN_BREAK:
		s->ctl = CTL_BREAK;
		break;
	case TN_CONTINUE:
		s->ctl = CTL_CONTINUE;
		break;
	default:
		exec_error(s, n, "unknown node");
		break;
	}
}

void berth_template_set_limits(struct berth_template *t, size_t max_output, uint64_t max_steps)
{
	if (max_output)
		t->max_output = max_output;
	if (max_steps)
		t->max_steps = max_steps;
}

int berth_template_execute(const struct berth_template *t, const json_t *data, unsigned flags,
			   struct berth_strbuf *out, berth_error_t *err)
{
	struct exec s = {
		.t = t,
		.flags = flags,
		.out = out,
		.out_start = out->len,
		.err = err,
	};
	/* dot is never modified, only referenced */
	json_t *dot = (json_t *)data;

	push_var(&s, "$", dot);
	walk(&s, dot, t->root);
	pop_vars(&s, 0);
	free(s.vars);
	berth_strbuf_append(out, "", 0); /* keep OUT a string even when empty */
	return s.failed ? -EINVAL - 1 : 0;
}
