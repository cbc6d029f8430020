/* template_parse.c: lexer and parser of the Go text/template subset used by
 * docker's --format flags. The structure follows Go's text/template/parse
 * (lex.go, parse.go) so that errors read the same: "template: NAME:LINE: MSG".
 *
 * The whole template is lexed up front into a token array; the parser walks
 * it with arbitrary look-ahead. Every node the parser makes is recorded in the
 * template's node list, which owns them: an error anywhere simply abandons the
 * tree and the list frees it, so parse functions need no unwinding code. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/format.h"
#include "cli/template_internal.h"

enum tok_type {
	T_ERROR,
	T_EOF,
	T_TEXT,
	T_LEFT,
	T_RIGHT,
	T_SPACE,
	T_FIELD,
	T_VARIABLE,
	T_IDENT,
	T_STRING,
	T_RAWSTRING,
	T_NUMBER,
	T_CHARCONST,
	T_BOOL,
	T_NIL,
	T_DOT,
	T_PIPE,
	T_LPAREN,
	T_RPAREN,
	T_DECLARE,
	T_ASSIGN,
	T_CHAR,
	T_KEYWORD, /* keywords follow; item String() prints them as <word> */
	T_IF,
	T_ELSE,
	T_END,
	T_RANGE,
	T_WITH,
	T_BREAK,
	T_CONTINUE,
	T_DEFINE,
	T_TEMPLATE,
	T_BLOCK,
};

struct token {
	enum tok_type type;
	size_t pos;
	size_t len;
	int line;
	char *msg; /* owned: T_ERROR message */
};

struct lexer {
	const char *in;
	size_t n;
	size_t p;
	int line;
	int paren_depth;
	struct token *toks; /* owned */
	size_t ntoks, cap;
	bool done;
};

static const struct {
	const char *word;
	enum tok_type type;
} keywords[] = {
	{ "if", T_IF },
	{ "else", T_ELSE },
	{ "end", T_END },
	{ "range", T_RANGE },
	{ "with", T_WITH },
	{ "break", T_BREAK },
	{ "continue", T_CONTINUE },
	{ "define", T_DEFINE },
	{ "template", T_TEMPLATE },
	{ "block", T_BLOCK },
	{ "true", T_BOOL },
	{ "false", T_BOOL },
	{ "nil", T_NIL },
};

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Bytes >= 0x80 count as letters: Go accepts any Unicode letter in names. */
static bool is_alnum(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

static int lpeek(const struct lexer *l, size_t off)
{
	return l->p + off < l->n ? (unsigned char)l->in[l->p + off] : -1;
}

static bool lhas(const struct lexer *l, size_t at, const char *s)
{
	size_t k = strlen(s);
	return at <= l->n && l->n - at >= k && memcmp(l->in + at, s, k) == 0;
}

static void emit(struct lexer *l, enum tok_type type, size_t pos, size_t len)
{
	struct token *t;

	if (l->ntoks == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->toks = xrealloc(l->toks, l->cap * sizeof(*l->toks));
	}
	t = &l->toks[l->ntoks++];
	t->type = type;
	t->pos = pos;
	t->len = len;
	t->line = l->line;
	t->msg = NULL;
}

__attribute__((format(printf, 2, 3))) static void lex_error(struct lexer *l, const char *fmt, ...)
{
	va_list ap;

	emit(l, T_ERROR, l->p, 0);
	va_start(ap, fmt);
	l->toks[l->ntoks - 1].msg = xvasprintf(fmt, ap);
	va_end(ap);
	l->done = true;
}

/* Go's %#U: U+0041 'A'. */
static void lex_bad_char(struct lexer *l, const char *what, int c)
{
	if (c >= 0x20 && c < 0x7f)
		lex_error(l, "%s: U+%04X '%c'", what, (unsigned)c, c);
	else
		lex_error(l, "%s: U+%04X", what, (unsigned)c);
}

static void count_lines(struct lexer *l, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (l->in[i] == '\n')
			l->line++;
}

/* " -}}": any space, a minus, then the right delimiter. */
static bool at_right_trim(const struct lexer *l, size_t at)
{
	return at + 1 < l->n && is_space((unsigned char)l->in[at]) && l->in[at + 1] == '-' &&
	       lhas(l, at + 2, "}}");
}

static bool at_terminator(const struct lexer *l)
{
	int c = lpeek(l, 0);

	if (c == -1 || is_space(c) || strchr(".,|:()", c))
		return true;
	return lhas(l, l->p, "}}");
}

static void skip_space_after_trim(struct lexer *l)
{
	size_t s = l->p;

	while (l->p < l->n && is_space((unsigned char)l->in[l->p]))
		l->p++;
	count_lines(l, s, l->p);
}

static void lex_comment(struct lexer *l)
{
	const char *end = NULL;
	size_t start = l->p;

	for (size_t i = l->p + 2; i + 1 < l->n; i++)
		if (l->in[i] == '*' && l->in[i + 1] == '/') {
			end = l->in + i;
			break;
		}
	if (end == NULL) {
		lex_error(l, "unclosed comment");
		return;
	}
	l->p = (size_t)(end - l->in) + 2;
	count_lines(l, start, l->p);
	if (at_right_trim(l, l->p)) {
		l->p += 4;
		skip_space_after_trim(l);
	} else if (lhas(l, l->p, "}}")) {
		l->p += 2;
	} else {
		lex_error(l, "comment ends before closing delimiter");
	}
}

enum lex_text_result {
	LEX_TEXT_EOF,
	LEX_TEXT_COMMENT,
	LEX_TEXT_ACTION
};

/* Text up to the next "{{", honouring a "{{- " trim marker, then the left
 * delimiter or a whole comment. */
static enum lex_text_result lex_text(struct lexer *l)
{
	const char *q = NULL;
	size_t start = l->p, end;
	bool trim;

	for (size_t i = l->p; i + 1 < l->n; i++)
		if (l->in[i] == '{' && l->in[i + 1] == '{') {
			q = l->in + i;
			break;
		}
	end = q ? (size_t)(q - l->in) : l->n;
	trim =
	    q && end + 3 < l->n && l->in[end + 2] == '-' && is_space((unsigned char)l->in[end + 3]);
	l->p = end;
	if (trim)
		while (end > start && is_space((unsigned char)l->in[end - 1]))
			end--;
	if (end > start)
		emit(l, T_TEXT, start, end - start);
	count_lines(l, start, l->p);
	if (q == NULL)
		return LEX_TEXT_EOF;
	l->p += 2 + (trim ? 2 : 0);
	if (lhas(l, l->p, "/*")) {
		lex_comment(l);
		return LEX_TEXT_COMMENT;
	}
	emit(l, T_LEFT, (size_t)(q - l->in), 2);
	return LEX_TEXT_ACTION;
}

static void lex_space(struct lexer *l)
{
	size_t start = l->p;

	while (l->p < l->n && is_space((unsigned char)l->in[l->p]))
		l->p++;
	/* a space right before "-}}" belongs to the trim marker */
	if (at_right_trim(l, l->p - 1)) {
		l->p--;
		if (l->p == start)
			return;
	}
	emit(l, T_SPACE, start, l->p - start);
	count_lines(l, start, l->p);
}

static void lex_quote(struct lexer *l, char close, enum tok_type type, const char *unterminated)
{
	size_t start = l->p++;

	for (;;) {
		int c = lpeek(l, 0);
		if (c == -1 || (c == '\n' && close != '`')) {
			lex_error(l, "%s", unterminated);
			return;
		}
		l->p++;
		if (c == '\\' && close != '`') {
			c = lpeek(l, 0);
			if (c == -1 || c == '\n') {
				lex_error(l, "%s", unterminated);
				return;
			}
			l->p++;
		} else if (c == close) {
			break;
		}
	}
	emit(l, type, start, l->p - start);
	count_lines(l, start, l->p);
}

static void accept_run(struct lexer *l, const char *set)
{
	while (lpeek(l, 0) != -1 && strchr(set, lpeek(l, 0)))
		l->p++;
}

static bool accept(struct lexer *l, const char *set)
{
	if (lpeek(l, 0) != -1 && strchr(set, lpeek(l, 0))) {
		l->p++;
		return true;
	}
	return false;
}

/* Go's scanNumber: sign, base prefix, digits, fraction, exponent, 'i'. */
static bool scan_number(struct lexer *l)
{
	const char *digits = "0123456789_";

	accept(l, "+-");
	if (accept(l, "0")) {
		if (accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (accept(l, "oO"))
			digits = "01234567_";
		else if (accept(l, "bB"))
			digits = "01_";
	}
	accept_run(l, digits);
	if (accept(l, "."))
		accept_run(l, digits);
	if (strlen(digits) == 11 && accept(l, "eE")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	accept(l, "i");
	if (lpeek(l, 0) != -1 && is_alnum(lpeek(l, 0))) {
		l->p++;
		return false;
	}
	return true;
}

static void lex_number(struct lexer *l)
{
	size_t start = l->p;
	bool ok = scan_number(l);

	/* a sign right after a number starts the imaginary part of 1+2i */
	if (ok && (lpeek(l, 0) == '+' || lpeek(l, 0) == '-'))
		ok = scan_number(l) && l->in[l->p - 1] == 'i';
	if (!ok) {
		lex_error(l, "bad number syntax: \"%.*s\"", (int)(l->p - start), l->in + start);
		return;
	}
	emit(l, T_NUMBER, start, l->p - start);
}

/* true/false/nil are keywords too: Go's lexer gives them their own item
 * types, and so they cannot name functions or fields. */
static enum tok_type keyword_type(const char *s, size_t len)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(keywords); i++)
		if (strlen(keywords[i].word) == len && memcmp(keywords[i].word, s, len) == 0)
			return keywords[i].type;
	return T_IDENT;
}

/* Identifiers, fields (".Name") and variables ("$name"): PREFIX bytes, then a
 * run of alphanumerics that must end at a terminator. */
static void lex_word(struct lexer *l, size_t prefix, enum tok_type type)
{
	size_t start = l->p;

	l->p += prefix;
	while (lpeek(l, 0) != -1 && is_alnum(lpeek(l, 0)))
		l->p++;
	if (!at_terminator(l)) {
		lex_bad_char(l, "bad character", lpeek(l, 0));
		return;
	}
	if (type == T_IDENT)
		type = keyword_type(l->in + start, l->p - start);
	emit(l, type, start, l->p - start);
}

/* ".5" is a number, ".Name" a field and a lone "." is dot; a dot must end
 * at a terminator, which is what rejects "..X" and ".A." as Go does. */
static void lex_field_or_dot(struct lexer *l)
{
	int c = lpeek(l, 1);

	if (c >= '0' && c <= '9') {
		lex_number(l);
		return;
	}
	if (c == -1 || !is_alnum(c)) {
		l->p++;
		if (!at_terminator(l)) {
			lex_bad_char(l, "bad character", lpeek(l, 0));
			return;
		}
		emit(l, T_DOT, l->p - 1, 1);
		return;
	}
	lex_word(l, 1, T_FIELD);
}

static void lex_right_delim(struct lexer *l, bool trim)
{
	if (l->paren_depth > 0) {
		lex_error(l, "unclosed left paren");
		return;
	}
	l->p += trim ? 2 : 0;
	emit(l, T_RIGHT, l->p, 2);
	l->p += 2;
	if (trim)
		skip_space_after_trim(l);
}

static void lex_punct(struct lexer *l, int c)
{
	if (c == ':') {
		if (lpeek(l, 1) != '=') {
			lex_error(l, "expected :=");
			return;
		}
		emit(l, T_DECLARE, l->p, 2);
		l->p += 2;
		return;
	}
	if (c == '(')
		l->paren_depth++;
	if (c == ')' && --l->paren_depth < 0) {
		lex_error(l, "unexpected right paren");
		return;
	}
	emit(l,
	     c == '='	? T_ASSIGN
	     : c == '|' ? T_PIPE
	     : c == '(' ? T_LPAREN
	     : c == ')' ? T_RPAREN
			: T_CHAR,
	     l->p, 1);
	l->p++;
}

/* One token inside an action. Returns false when the action ended. */
static bool lex_action_token(struct lexer *l)
{
	int c = lpeek(l, 0);

	if (at_right_trim(l, l->p) || lhas(l, l->p, "}}")) {
		lex_right_delim(l, at_right_trim(l, l->p));
		return false;
	}
	if (c == -1)
		lex_error(l, "unclosed action");
	else if (is_space(c))
		lex_space(l);
	else if (c == '"')
		lex_quote(l, '"', T_STRING, "unterminated quoted string");
	else if (c == '`')
		lex_quote(l, '`', T_RAWSTRING, "unterminated raw quoted string");
	else if (c == '\'')
		lex_quote(l, '\'', T_CHARCONST, "unterminated character constant");
	else if (c == '$')
		lex_word(l, 1, T_VARIABLE);
	else if (c == '.')
		lex_field_or_dot(l);
	else if (c == '+' || c == '-' || (c >= '0' && c <= '9'))
		lex_number(l);
	else if (is_alnum(c))
		lex_word(l, 0, T_IDENT);
	else if (c < 0x7f && c > 0x20)
		lex_punct(l, c);
	else
		lex_bad_char(l, "unrecognized character in action", c);
	return !l->done;
}

static void lex_all(struct lexer *l)
{
	while (!l->done) {
		enum lex_text_result r = lex_text(l);
		if (r == LEX_TEXT_EOF)
			break;
		if (r == LEX_TEXT_ACTION)
			while (lex_action_token(l))
				;
	}
	if (!l->done)
		emit(l, T_EOF, l->n, 0);
}

/* ---- parser ---- */

struct parser {
	struct berth_template *t;
	struct token *toks; /* borrowed from the lexer */
	size_t ntoks, i;
	char **vars; /* borrowed names of the variables in scope */
	size_t nvars, capvars;
	int range_depth;
	int depth;
	struct tnode **nodes; /* owned until handed to the template */
	size_t nnodes, capnodes;
	berth_error_t *err;
	bool failed;
};

static struct tnode *new_node(struct parser *p, enum tnode_type type, const struct token *tok)
{
	struct tnode *n = xzalloc(sizeof(*n));

	n->type = type;
	n->pos = tok->pos;
	n->line = tok->line;
	n->src_len = tok->len;
	if (p->nnodes == p->capnodes) {
		p->capnodes = p->capnodes ? p->capnodes * 2 : 32;
		p->nodes = xrealloc(p->nodes, p->capnodes * sizeof(*p->nodes));
	}
	p->nodes[p->nnodes++] = n;
	return n;
}

static void add_kid(struct tnode *n, struct tnode *kid)
{
	n->kids = xrealloc(n->kids, (n->nkids + 1) * sizeof(*n->kids));
	n->kids[n->nkids++] = kid;
}

static void add_ident(struct tnode *n, const char *s, size_t len)
{
	n->idents = xrealloc(n->idents, (n->nidents + 1) * sizeof(*n->idents));
	n->idents[n->nidents++] = xstrndup(s, len);
}

/* Records the first error only; later calls are ignored. Returns NULL so
 * that parse functions can `return perror_at(...)`. */
__attribute__((format(printf, 3, 4))) static void *perror_at(struct parser *p, int line,
							     const char *fmt, ...)
{
	va_list ap;
	cleanup_free char *msg = NULL;

	if (p->failed)
		return NULL;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	p->failed = true;
	berth_make_error(p->err, EINVAL, "template: %s:%d: %s", p->t->name, line, msg);
	return NULL;
}

/* Statement terminators reported by parse_list. */
enum {
	TERM_NONE = 0,
	TERM_END,
	TERM_ELSE
};

static struct token *tok_at(const struct parser *p, size_t i)
{
	return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

/* Reading past the end keeps returning the last token (EOF or an error). */
static struct token *cur(struct parser *p)
{
	return tok_at(p, p->i);
}

static struct token *next_tok(struct parser *p)
{
	struct token *t = cur(p);
	p->i++;
	return t;
}

static struct token *peek_non_space(struct parser *p)
{
	while (cur(p)->type == T_SPACE)
		p->i++;
	return cur(p);
}

static struct token *next_non_space(struct parser *p)
{
	peek_non_space(p);
	return next_tok(p);
}

/* Go's item.String(): EOF, the error text, <keyword>, or a %q of the token
 * cut at 10 bytes. */
static char *tok_describe(const struct parser *p, const struct token *t)
{
	const char *s = p->t->text + t->pos;

	if (t->type == T_EOF)
		return xstrdup("EOF");
	if (t->type == T_ERROR)
		return xstrdup(t->msg);
	if (t->type > T_KEYWORD || t->type == T_DOT || t->type == T_NIL)
		return xasprintf("<%.*s>", (int)t->len, s);
	if (t->len > 10)
		return xasprintf("\"%.10s\"...", s);
	return xasprintf("\"%.*s\"", (int)t->len, s);
}

static void *unexpected(struct parser *p, const struct token *t, const char *context)
{
	cleanup_free char *d = tok_describe(p, t);

	if (t->type == T_ERROR)
		return perror_at(p, t->line, "%s", d);
	return perror_at(p, t->line, "unexpected %s in %s", d, context);
}

static void push_var(struct parser *p, char *name)
{
	if (p->nvars == p->capvars) {
		p->capvars = p->capvars ? p->capvars * 2 : 8;
		p->vars = xrealloc(p->vars, p->capvars * sizeof(*p->vars));
	}
	p->vars[p->nvars++] = name;
}

static struct tnode *parse_pipeline(struct parser *p, const char *context, enum tok_type end);
static struct tnode *parse_list(struct parser *p, int *terminator);

static void put_utf8(struct berth_strbuf *out, uint32_t r)
{
	char b[4];
	size_t n;

	if (r < 0x80) {
		b[0] = (char)r;
		n = 1;
	} else if (r < 0x800) {
		b[0] = (char)(0xc0 | (r >> 6));
		b[1] = (char)(0x80 | (r & 0x3f));
		n = 2;
	} else if (r < 0x10000) {
		b[0] = (char)(0xe0 | (r >> 12));
		b[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		b[2] = (char)(0x80 | (r & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (r >> 18));
		b[1] = (char)(0x80 | ((r >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((r >> 6) & 0x3f));
		b[3] = (char)(0x80 | (r & 0x3f));
		n = 4;
	}
	berth_strbuf_append(out, b, n);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One escape sequence of Go's strconv.Unquote at S (just after the
 * backslash); *used gets its length. Returns the code point, or -1. A
 * \x or octal escape yields a raw byte, flagged by *is_byte. */
static long unescape_one(const char *s, size_t avail, char quote, size_t *used, bool *is_byte)
{
	static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
	size_t need = 0;
	long v = 0;

	*is_byte = false;
	if (avail == 0)
		return -1;
	for (size_t i = 0; simple[i]; i += 2)
		if (s[0] == simple[i]) {
			*used = 1;
			return (unsigned char)simple[i + 1];
		}
	if (s[0] == quote) {
		*used = 1;
		return quote;
	}
	if (s[0] >= '0' && s[0] <= '7') {
		for (size_t i = 0; i < 3; i++) {
			if (i >= avail || s[i] < '0' || s[i] > '7')
				return -1;
			v = v * 8 + (s[i] - '0');
		}
		*used = 3;
		*is_byte = true;
		return v > 255 ? -1 : v;
	}
	need = s[0] == 'x' ? 2 : s[0] == 'u' ? 4 : s[0] == 'U' ? 8 : 0;
	if (need == 0 || avail < need + 1)
		return -1;
	for (size_t i = 1; i <= need; i++) {
		int h = hexval((unsigned char)s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	*used = need + 1;
	*is_byte = s[0] == 'x';
	if (!*is_byte && (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)))
		return -1;
	return v;
}

/* Go's strconv.Unquote for "..." and `...` tokens. */
static int unquote(const char *s, size_t len, struct berth_strbuf *out)
{
	if (s[0] == '`') {
		for (size_t i = 1; i + 1 < len; i++)
			if (s[i] != '\r') /* Go drops carriage returns from raw strings */
				berth_strbuf_append(out, s + i, 1);
		berth_strbuf_append(out, "", 0);
		return 0;
	}
	berth_strbuf_append(out, "", 0);
	for (size_t i = 1; i + 1 < len; i++) {
		size_t used;
		bool is_byte;
		long r;

		if (s[i] != '\\') {
			berth_strbuf_append(out, s + i, 1);
			continue;
		}
		r = unescape_one(s + i + 1, len - i - 2, '"', &used, &is_byte);
		if (r < 0)
			return -1;
		if (is_byte) {
			char b = (char)r;
			berth_strbuf_append(out, &b, 1);
		} else {
			put_utf8(out, (uint32_t)r);
		}
		i += used;
	}
	return 0;
}

/* A 'x' character constant: its code point, or -1. */
static long unquote_char(const char *s, size_t len)
{
	size_t used = 0;
	bool is_byte;
	long r;
	const unsigned char *u = (const unsigned char *)s + 1;
	size_t body = len - 2;

	if (len < 3)
		return -1;
	if (u[0] == '\\') {
		r = unescape_one(s + 2, body - 1, '\'', &used, &is_byte);
		return used + 1 == body ? r : -1;
	}
	if (u[0] < 0x80)
		return body == 1 ? u[0] : -1;
	/* a multi-byte UTF-8 rune */
	used = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc0 ? 2 : 0;
	if (used == 0 || used != body)
		return -1;
	r = u[0] & (0x3f >> (used - 1));
	for (size_t i = 1; i < used; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -1;
		r = (r << 6) | (u[i] & 0x3f);
	}
	return r;
}

/* Go's strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes. */
static int parse_go_int(const char *s, int64_t *out)
{
	const char *q = s;
	bool neg = false;
	int base = 10;
	unsigned long long v;
	char *end;

	if (*q == '+' || *q == '-')
		neg = *q++ == '-';
	if (q[0] == '0' && q[1] != '\0') {
		base = strchr("xX", q[1])   ? 16
		       : strchr("oO", q[1]) ? 8
		       : strchr("bB", q[1]) ? 2
					    : 8;
		q += base == 8 && !strchr("oO", q[1]) ? 1 : 2;
	}
	if (*q == '\0' || *q == '+' || *q == '-' || *q == ' ')
		return -1;
	errno = 0;
	v = strtoull(q, &end, base);
	if (*end != '\0' || errno)
		return -1;
	if (v > (neg ? 9223372036854775808ULL : 9223372036854775807ULL))
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* Go's parse.newNumber, without complex numbers: an integer constant when
 * the text is one (or a float with an integral value), else a float. */
static struct tnode *parse_number(struct parser *p, const struct token *tok)
{
	struct tnode *n = new_node(p, TN_NUMBER, tok);
	const char *s = p->t->text + tok->pos;
	cleanup_free char *clean = xmalloc(tok->len + 1);
	size_t k = 0;
	char *end;

	if (tok->type == T_CHARCONST) {
		long r = unquote_char(s, tok->len);
		if (r < 0)
			return perror_at(p, tok->line, "malformed character constant: %.*s",
					 (int)tok->len, s);
		n->is_int = true;
		n->i = r;
		n->f = (double)r;
		return n;
	}
	for (size_t i = 0; i < tok->len; i++)
		if (s[i] != '_')
			clean[k++] = s[i];
	clean[k] = '\0';
	if (parse_go_int(clean, &n->i) == 0) {
		n->is_int = true;
		n->f = (double)n->i;
		return n;
	}
	errno = 0;
	n->f = strtod(clean, &end);
	if (k == 0 || *end != '\0' || errno || strpbrk(clean, "xXoObBi"))
		return perror_at(p, tok->line, "illegal number syntax: \"%.*s\"", (int)tok->len, s);
	/* 1e3 and 2.0 are floats, though usable where an int is wanted */
	if (n->f < 9.2e18 && n->f > -9.2e18 && n->f == (double)(int64_t)n->f)
		n->i = (int64_t)n->f;
	return n;
}

static struct tnode *parse_string(struct parser *p, const struct token *tok)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	struct tnode *n;

	if (unquote(p->t->text + tok->pos, tok->len, &sb) < 0)
		return perror_at(p, tok->line, "invalid syntax");
	n = new_node(p, TN_STRING, tok);
	n->len = sb.len;
	n->text = berth_strbuf_steal(&sb);
	return n;
}

static struct tnode *use_var(struct parser *p, const struct token *tok)
{
	const char *s = p->t->text + tok->pos;
	struct tnode *n;

	for (size_t i = p->nvars; i-- > 0;)
		if (strlen(p->vars[i]) == tok->len && memcmp(p->vars[i], s, tok->len) == 0) {
			n = new_node(p, TN_VARIABLE, tok);
			n->text = xstrndup(s, tok->len);
			return n;
		}
	return perror_at(p, tok->line, "undefined variable \"%.*s\"", (int)tok->len, s);
}

static struct tnode *parse_ident(struct parser *p, const struct token *tok)
{
	const char *s = p->t->text + tok->pos;
	cleanup_free char *name = xstrndup(s, tok->len);
	struct tnode *n;

	if (berth_tfunc_lookup(name) == NULL)
		return perror_at(p, tok->line, "function \"%s\" not defined", name);
	n = new_node(p, TN_IDENT, tok);
	n->text = steal_pointer(&name);
	return n;
}

/* A term is one operand without its .Field accessors. Function names are
 * resolved here, at parse time, so that an unknown name is a parse error
 * ("function "x" not defined") like Go's, before any data is fetched. */
static struct tnode *parse_term(struct parser *p)
{
	struct token *tok = next_non_space(p);
	struct tnode *n;

	switch (tok->type) {
	case T_IDENT:
		return parse_ident(p, tok);
	case T_DOT:
		return new_node(p, TN_DOT, tok);
	case T_NIL:
		return new_node(p, TN_NIL, tok);
	case T_VARIABLE:
		return use_var(p, tok);
	case T_FIELD:
		n = new_node(p, TN_FIELD, tok);
		add_ident(n, p->t->text + tok->pos + 1, tok->len - 1);
		return n;
	case T_BOOL:
		n = new_node(p, TN_BOOL, tok);
		n->b = p->t->text[tok->pos] == 't';
		return n;
	case T_NUMBER:
	case T_CHARCONST:
		return parse_number(p, tok);
	case T_STRING:
	case T_RAWSTRING:
		return parse_string(p, tok);
	case T_LPAREN:
		if (++p->depth > BERTH_TEMPLATE_MAX_DEPTH)
			return perror_at(p, tok->line, "template nesting too deep");
		n = parse_pipeline(p, "parenthesized pipeline", T_RPAREN);
		p->depth--;
		return n;
	default:
		p->i--;
		return NULL;
	}
}

/* Go quotes the term with %q: "\"a\"". */
static struct tnode *after_term_error(struct parser *p, const struct tnode *n)
{
	cleanup_strbuf struct berth_strbuf q = BERTH_STRBUF_INIT;

	for (size_t i = 0; i < n->src_len; i++) {
		char c = p->t->text[n->pos + i];
		if (c == '"' || c == '\\')
			berth_strbuf_append(&q, "\\", 1);
		berth_strbuf_append(&q, &c, 1);
	}
	return perror_at(p, cur(p)->line, "unexpected . after term \"%s\"", q.buf ? q.buf : "");
}

/* A term followed by .Field accessors. */
static struct tnode *parse_operand(struct parser *p)
{
	struct tnode *n = parse_term(p);
	struct tnode *chain;

	if (n == NULL || cur(p)->type != T_FIELD)
		return n;
	switch (n->type) {
	case TN_BOOL:
	case TN_STRING:
	case TN_NUMBER:
	case TN_NIL:
	case TN_DOT:
		return after_term_error(p, n);
	case TN_FIELD:
	case TN_VARIABLE:
		chain = n;
		break;
	default:
		chain = new_node(p, TN_CHAIN, cur(p));
		chain->pos = n->pos;
		chain->pipe = n;
		break;
	}
	while (cur(p)->type == T_FIELD) {
		struct token *f = next_tok(p);
		add_ident(chain, p->t->text + f->pos + 1, f->len - 1);
		chain->src_len = f->pos + f->len - chain->pos;
	}
	return chain;
}

/* A command is operands separated by spaces up to "|", "}}" or ")"; the
 * space tokens matter here, since "(x).A" and "(x) .A" differ. */
static struct tnode *parse_command(struct parser *p)
{
	struct tnode *cmd = new_node(p, TN_COMMAND, peek_non_space(p));

	for (;;) {
		struct tnode *op;
		struct token *tok;

		peek_non_space(p);
		op = parse_operand(p);
		if (p->failed)
			return NULL;
		if (op)
			add_kid(cmd, op);
		tok = next_tok(p);
		if (tok->type == T_SPACE)
			continue;
		if (tok->type == T_RIGHT || tok->type == T_RPAREN)
			p->i--;
		else if (tok->type != T_PIPE)
			return unexpected(p, tok, "operand");
		break;
	}
	if (cmd->nkids == 0)
		return perror_at(p, cur(p)->line, "empty command");
	cmd->src_len = tok_at(p, p->i - 1)->pos + tok_at(p, p->i - 1)->len - cmd->pos;
	return cmd;
}

/* `$x :=`, `$x =` or, in a range, `$k, $v :=` at the start of a pipeline.
 * Go needs three tokens of look-ahead here: in "$x foo" the variable is an
 * argument, not a declaration. */
static void parse_decls(struct parser *p, struct tnode *pipe, const char *context)
{
	for (;;) {
		size_t save = p->i;
		struct token *v = peek_non_space(p), *nx;

		if (v->type != T_VARIABLE) {
			p->i = save;
			return;
		}
		next_tok(p);
		nx = peek_non_space(p);
		if (nx->type != T_DECLARE && nx->type != T_ASSIGN &&
		    !(nx->type == T_CHAR && p->t->text[nx->pos] == ',')) {
			p->i = save;
			return;
		}
		next_tok(p);
		pipe->decl[pipe->ndecl++] = xstrndup(p->t->text + v->pos, v->len);
		push_var(p, pipe->decl[pipe->ndecl - 1]);
		if (nx->type != T_CHAR) {
			pipe->is_assign = nx->type == T_ASSIGN;
			return;
		}
		if (strcmp(context, "range") != 0 || pipe->ndecl >= 2) {
			perror_at(p, nx->line, "too many declarations in %s", context);
			return;
		}
		if (peek_non_space(p)->type != T_VARIABLE) {
			perror_at(p, nx->line, "range can only initialize variables");
			return;
		}
	}
}

static bool is_command_start(enum tok_type t)
{
	switch (t) {
	case T_BOOL:
	case T_CHARCONST:
	case T_DOT:
	case T_FIELD:
	case T_IDENT:
	case T_NUMBER:
	case T_NIL:
	case T_RAWSTRING:
	case T_STRING:
	case T_VARIABLE:
	case T_LPAREN:
		return true;
	default:
		return false;
	}
}

static struct tnode *check_pipeline(struct parser *p, struct tnode *pipe, const char *context,
				    int line)
{
	if (pipe->nkids == 0)
		return perror_at(p, line, "missing value for %s", context);
	/* only the first command may be a constant: with A|B|C, stage 2 is B */
	for (size_t i = 1; i < pipe->nkids; i++) {
		enum tnode_type t = pipe->kids[i]->kids[0]->type;
		if (t == TN_BOOL || t == TN_DOT || t == TN_NIL || t == TN_NUMBER || t == TN_STRING)
			return perror_at(p, line, "non executable command in pipeline stage %zu",
					 i + 1);
	}
	return pipe;
}

static struct tnode *parse_pipeline(struct parser *p, const char *context, enum tok_type end)
{
	struct tnode *pipe = new_node(p, TN_PIPE, peek_non_space(p));

	parse_decls(p, pipe, context);
	while (!p->failed) {
		struct token *tok = next_non_space(p);
		struct tnode *cmd;

		if (tok->type == end) {
			pipe->src_len = tok->pos - pipe->pos;
			return check_pipeline(p, pipe, context, tok->line);
		}
		if (!is_command_start(tok->type))
			return unexpected(p, tok, context);
		p->i--;
		cmd = parse_command(p);
		if (cmd == NULL)
			return NULL;
		add_kid(pipe, cmd);
	}
	return NULL;
}

/* The part after {{if pipeline}}, {{range pipeline}} or {{with pipeline}}:
 * body, optional else part, {{end}}. Variables declared inside go out of
 * scope at the end. */
static struct tnode *parse_control(struct parser *p, enum tnode_type type, const char *context,
				   const struct token *kw)
{
	size_t nvars = p->nvars;
	struct tnode *n = new_node(p, type, kw);
	int term = 0;

	if (++p->depth > BERTH_TEMPLATE_MAX_DEPTH)
		return perror_at(p, kw->line, "template nesting too deep");
	n->pipe = parse_pipeline(p, context, T_RIGHT);
	if (type == TN_RANGE)
		p->range_depth++;
	if (n->pipe)
		n->list = parse_list(p, &term);
	if (type == TN_RANGE)
		p->range_depth--;
	if (p->failed)
		return NULL;
	if (term == TERM_ELSE) {
		struct token *t = peek_non_space(p);
		if ((type == TN_IF && t->type == T_IF) || (type == TN_WITH && t->type == T_WITH)) {
			/* {{else if b}} is {{else}}{{if b}}...{{end}}, sharing the one {{end}} */
			next_tok(p);
			n->else_list = new_node(p, TN_LIST, t);
			add_kid(n->else_list, parse_control(p, type, context, t));
		} else {
			n->else_list = parse_list(p, &term);
			if (!p->failed && term != TERM_END)
				perror_at(p, cur(p)->line, "expected end; found {{else}}");
		}
	}
	p->nvars = nvars;
	p->depth--;
	return p->failed ? NULL : n;
}

static struct tnode *expect_right(struct parser *p, const char *context, struct tnode *n)
{
	struct token *t = next_non_space(p);

	if (t->type != T_RIGHT)
		return unexpected(p, t, context);
	return n;
}

/* What follows "{{". *TERM is set to TERM_END or TERM_ELSE for those two. */
static struct tnode *parse_action(struct parser *p, int *term)
{
	struct token *kw = next_non_space(p);
	const char *s = p->t->text + kw->pos;
	struct tnode *n;

	switch (kw->type) {
	case T_IF:
		return parse_control(p, TN_IF, "if", kw);
	case T_RANGE:
		return parse_control(p, TN_RANGE, "range", kw);
	case T_WITH:
		return parse_control(p, TN_WITH, "with", kw);
	case T_END:
		*term = TERM_END;
		return expect_right(p, "end", new_node(p, TN_LIST, kw));
	case T_ELSE:
		*term = TERM_ELSE;
		n = new_node(p, TN_LIST, kw);
		if (peek_non_space(p)->type == T_IF || peek_non_space(p)->type == T_WITH)
			return n;
		return expect_right(p, "else", n);
	case T_BREAK:
	case T_CONTINUE:
		n = new_node(p, kw->type == T_BREAK ? TN_BREAK : TN_CONTINUE, kw);
		if (expect_right(p, kw->type == T_BREAK ? "{{break}}" : "{{continue}}", n) == NULL)
			return NULL;
		if (p->range_depth == 0)
			return perror_at(p, kw->line, "{{%.*s}} outside {{range}}", (int)kw->len,
					 s);
		return n;
	case T_DEFINE:
	case T_TEMPLATE:
	case T_BLOCK:
		return perror_at(p, kw->line, "{{%.*s}} is not supported", (int)kw->len, s);
	default:
		p->i--;
		n = new_node(p, TN_ACTION, kw);
		n->pipe = parse_pipeline(p, "command", T_RIGHT);
		return n->pipe ? n : NULL;
	}
}

static struct tnode *parse_text_or_action(struct parser *p, int *term)
{
	struct token *tok = next_non_space(p);
	struct tnode *n;

	*term = 0;
	if (tok->type == T_TEXT) {
		n = new_node(p, TN_TEXT, tok);
		n->text = xstrndup(p->t->text + tok->pos, tok->len);
		n->len = tok->len;
		return n;
	}
	if (tok->type == T_LEFT)
		return parse_action(p, term);
	return unexpected(p, tok, "input");
}

/* Statements up to {{end}} or {{else}} (reported in *TERM); EOF is an error.
 * The terminator's own tokens are consumed; the caller decides whether an
 * {{else}} is allowed where it appeared. */
static struct tnode *parse_list(struct parser *p, int *terminator)
{
	struct tnode *list = new_node(p, TN_LIST, peek_non_space(p));

	while (!p->failed && peek_non_space(p)->type != T_EOF) {
		int term = 0;
		struct tnode *n = parse_text_or_action(p, &term);
		if (n == NULL)
			return NULL;
		if (term) {
			*terminator = term;
			return list;
		}
		add_kid(list, n);
	}
	return perror_at(p, cur(p)->line, "unexpected EOF");
}

static struct tnode *parse_top(struct parser *p)
{
	struct tnode *root = new_node(p, TN_LIST, &p->toks[0]);

	while (!p->failed && cur(p)->type != T_EOF) {
		int term = 0;
		struct tnode *n = parse_text_or_action(p, &term);
		if (n == NULL)
			return NULL;
		if (term)
			return perror_at(p, cur(p)->line, "unexpected {{%s}}",
					 term == TERM_END ? "end" : "else");
		add_kid(root, n);
	}
	return root;
}

void berth_tnode_free(struct tnode *n)
{
	if (n == NULL)
		return;
	free(n->text);
	for (size_t i = 0; i < n->nidents; i++)
		free(n->idents[i]);
	free(n->idents);
	free(n->kids);
	free(n->decl[0]);
	free(n->decl[1]);
	free(n);
}

void berth_template_free(struct berth_template *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nnodes; i++)
		berth_tnode_free(t->nodes[i]);
	free(t->nodes);
	free(t->name);
	free(t->text);
	free(t);
}

static void lexer_release(struct lexer *l)
{
	for (size_t i = 0; i < l->ntoks; i++)
		free(l->toks[i].msg);
	free(l->toks);
}

struct berth_template *berth_template_parse(const char *name, const char *text, berth_error_t *err)
{
	struct berth_template *t = xzalloc(sizeof(*t));
	struct lexer l = { .line = 1 };
	struct parser p = { .t = t, .err = err };

	t->name = xstrdup(name ? name : "");
	t->text = xstrdup(text);
	t->max_output = BERTH_TEMPLATE_MAX_OUTPUT;
	t->max_steps = BERTH_TEMPLATE_MAX_STEPS;
	if (strlen(text) > BERTH_TEMPLATE_MAX_SIZE) {
		berth_make_error(err, EINVAL, "template: %s: template larger than %d bytes",
				 t->name, BERTH_TEMPLATE_MAX_SIZE);
		berth_template_free(t);
		return NULL;
	}
	l.in = t->text;
	l.n = strlen(t->text);
	lex_all(&l);
	p.toks = l.toks;
	p.ntoks = l.ntoks;
	push_var(&p, (char *)"$");
	t->root = parse_top(&p);
	t->nodes = p.nodes;
	t->nnodes = p.nnodes;
	free(p.vars);
	lexer_release(&l);
	if (t->root == NULL) {
		berth_template_free(t);
		return NULL;
	}
	return t;
}
