/* format.c: Go's text/tabwriter (as forked by docker's formatter) and
 * docker's formatter.Context, which turns a --format value into rows. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/format.h"

/* Cells per line beyond which tabs are plain text: the column layout
 * recurses once per column, and the text may come from a template. */
#define TABWRITER_MAX_CELLS 512

struct tw_cell {
	size_t size;  /* bytes */
	size_t width; /* runes */
	bool htab;    /* ended by a tab */
};

struct tw_line {
	struct tw_cell *cells; /* owned */
	size_t n, cap;
};

struct tw {
	struct berth_strbuf *out; /* borrowed */
	size_t minwidth, padding;
	struct berth_strbuf buf; /* owned: the text of the buffered cells */
	size_t pos;		 /* buf offset up to which cell.width is counted */
	struct tw_cell cell;	 /* the incomplete cell */
	struct tw_line *lines;	 /* owned */
	size_t nlines, caplines;
	size_t *widths; /* owned: the column widths while formatting */
	size_t nwidths, capwidths;
};

static void tw_add_line(struct tw *w)
{
	if (w->nlines == w->caplines) {
		w->caplines = w->caplines ? w->caplines * 2 : 16;
		w->lines = xrealloc(w->lines, w->caplines * sizeof(*w->lines));
	}
	memset(&w->lines[w->nlines++], 0, sizeof(struct tw_line));
}

static void tw_reset(struct tw *w)
{
	for (size_t i = 0; i < w->nlines; i++)
		free(w->lines[i].cells);
	w->nlines = 0;
	berth_strbuf_reset(&w->buf);
	berth_strbuf_append(&w->buf, "", 0); /* never NULL: cells index into it */
	w->pos = 0;
	memset(&w->cell, 0, sizeof(w->cell));
	tw_add_line(w);
}

static void tw_update_width(struct tw *w)
{
	for (size_t i = w->pos; i < w->buf.len; i++)
		if (((unsigned char)w->buf.buf[i] & 0xc0) != 0x80)
			w->cell.width++;
	w->pos = w->buf.len;
}

/* Ends the current cell; returns the number of cells in the line. */
static size_t tw_terminate_cell(struct tw *w, bool htab)
{
	struct tw_line *l = &w->lines[w->nlines - 1];

	w->cell.htab = htab;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->cells = xrealloc(l->cells, l->cap * sizeof(*l->cells));
	}
	l->cells[l->n++] = w->cell;
	memset(&w->cell, 0, sizeof(w->cell));
	return l->n;
}

static void tw_pad(struct tw *w, size_t textw, size_t cellw)
{
	for (size_t i = textw; i < cellw; i++)
		berth_strbuf_append(w->out, " ", 1);
}

static size_t tw_write_lines(struct tw *w, size_t pos, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct tw_line *l = &w->lines[i];

		for (size_t j = 0; j < l->n; j++) {
			const struct tw_cell *c = &l->cells[j];
			berth_strbuf_append(w->out, w->buf.buf + pos, c->size);
			pos += c->size;
			if (j < w->nwidths)
				tw_pad(w, c->width, w->widths[j]);
		}
		if (i + 1 == w->nlines) {
			/* the last buffered line has no newline yet */
			berth_strbuf_append(w->out, w->buf.buf + pos, w->cell.size);
			pos += w->cell.size;
		} else {
			berth_strbuf_append(w->out, "\n", 1);
		}
	}
	return pos;
}

/* Go's Writer.format: a column block is a run of consecutive lines that
 * have a cell in this column; its width is the widest cell plus padding. */
static size_t tw_format(struct tw *w, size_t pos, size_t line0, size_t line1)
{
	size_t column = w->nwidths;

	for (size_t this = line0; this < line1; this ++) {
		size_t width = w->minwidth;

		if (column + 1 >= w->lines[this].n)
			continue;
		pos = tw_write_lines(w, pos, line0, this);
		line0 = this;
		for (; this < line1 && column + 1 < w->lines[this].n; this ++) {
			size_t cw = w->lines[this].cells[column].width + w->padding;
			if (cw > width)
				width = cw;
		}
		if (w->nwidths == w->capwidths) {
			w->capwidths = w->capwidths ? w->capwidths * 2 : 16;
			w->widths = xrealloc(w->widths, w->capwidths * sizeof(*w->widths));
		}
		w->widths[w->nwidths++] = width;
		pos = tw_format(w, pos, line0, this);
		w->nwidths--;
		line0 = this;
	}
	return tw_write_lines(w, pos, line0, line1);
}

static void tw_flush(struct tw *w)
{
	if (w->cell.size > 0)
		tw_terminate_cell(w, false);
	tw_format(w, 0, 0, w->nlines);
	tw_reset(w);
}

static void tw_append(struct tw *w, const char *s, size_t len)
{
	berth_strbuf_append(&w->buf, s, len);
	w->cell.size += len;
}

static bool tw_is_break(struct tw *w, char ch)
{
	if (ch == '\n' || ch == '\f')
		return true;
	return (ch == '\t' || ch == '\v') && w->lines[w->nlines - 1].n < TABWRITER_MAX_CELLS;
}

static void tw_write(struct tw *w, const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = text[i];
		size_t ncells;

		if (!tw_is_break(w, ch))
			continue;
		tw_append(w, text + n, i - n);
		tw_update_width(w);
		n = i + 1;
		ncells = tw_terminate_cell(w, ch == '\t');
		if (ch == '\n' || ch == '\f') {
			tw_add_line(w);
			/* a line without cells ends every column block: flush */
			if (ch == '\f' || ncells == 1)
				tw_flush(w);
		}
	}
	tw_append(w, text + n, len - n);
	tw_update_width(w);
}

void berth_tabwriter_format(struct berth_strbuf *out, const char *text, size_t len, int minwidth,
			    int padding)
{
	struct tw w = {
		.out = out,
		.minwidth = minwidth > 0 ? (size_t)minwidth : 0,
		.padding = padding > 0 ? (size_t)padding : 0,
	};

	tw_reset(&w);
	tw_write(&w, text, len);
	tw_flush(&w);
	for (size_t i = 0; i < w.nlines; i++)
		free(w.lines[i].cells);
	free(w.lines);
	free(w.widths);
	berth_strbuf_release(&w.buf);
	berth_strbuf_append(out, "", 0);
}

/* ---- formatter.Context ---- */

struct berth_formatter {
	bool table;
	struct berth_template *tmpl; /* owned */
	struct berth_strbuf rows;    /* owned */
};

/* docker's preFormat: strip "table", map "json", trim spaces, and turn the
 * two-character sequences \t and \n into tab and newline. */
static char *pre_format(const char *format, bool *table)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	const char *s = format;
	size_t len;

	*table = strncmp(format, "table", 5) == 0;
	if (*table)
		s += 5;
	else if (strcmp(format, "json") == 0)
		s = "{{json .}}";
	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && (s[i + 1] == 't' || s[i + 1] == 'n')) {
			berth_strbuf_puts(&sb, s[i + 1] == 't' ? "\t" : "\n");
			i++;
			continue;
		}
		berth_strbuf_append(&sb, s + i, 1);
	}
	berth_strbuf_append(&sb, "", 0);
	return berth_strbuf_steal(&sb);
}

struct berth_formatter *berth_formatter_new(const char *format, const char *table_default,
					    berth_error_t *err)
{
	struct berth_formatter *f;
	cleanup_free char *text = NULL;
	bool table;

	if (table_default && strcmp(format, "table") == 0)
		format = table_default;
	text = pre_format(format, &table);
	f = xzalloc(sizeof(*f));
	f->table = table;
	f->tmpl = berth_template_parse("", text, err);
	if (f->tmpl == NULL) {
		free(f);
		return berth_error_wrap(err, "template parsing error"), NULL;
	}
	return f;
}

bool berth_formatter_is_table(const struct berth_formatter *f)
{
	return f->table;
}

int berth_formatter_add(struct berth_formatter *f, const json_t *data, berth_error_t *err)
{
	if (berth_template_execute(f->tmpl, data, 0, &f->rows, err) < 0)
		return berth_error_wrap(err, "template parsing error");
	berth_strbuf_append(&f->rows, "\n", 1);
	return 0;
}

void berth_formatter_flush(struct berth_formatter *f, const json_t *header,
			   struct berth_strbuf *out)
{
	cleanup_strbuf struct berth_strbuf text = BERTH_STRBUF_INIT;
	berth_error_t ignored = NULL;

	if (!f->table) {
		berth_strbuf_append(out, f->rows.buf ? f->rows.buf : "", f->rows.len);
		berth_strbuf_reset(&f->rows);
		return;
	}
	/* docker ignores errors of the header run and keeps what it wrote */
	if (berth_template_execute(f->tmpl, header, BERTH_TEMPLATE_HEADER, &text, &ignored) < 0)
		berth_error_release(&ignored);
	berth_strbuf_append(&text, "\n", 1);
	berth_strbuf_append(&text, f->rows.buf ? f->rows.buf : "", f->rows.len);
	berth_tabwriter_format(out, text.buf, text.len, 10, 3);
	berth_strbuf_reset(&f->rows);
}

void berth_formatter_free(struct berth_formatter *f)
{
	if (f == NULL)
		return;
	berth_template_free(f->tmpl);
	berth_strbuf_release(&f->rows);
	free(f);
}
