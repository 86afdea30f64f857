/* The outputs of `margin check`: text, JSON, SARIF 2.1.0, GitHub workflow
 * annotations, a Markdown review report, and per-rule statistics. Findings
 * arrive one file at a time, already in line/column form; the streaming
 * formats print at once, the others gather and print in rep_finish(). */
#ifndef MG_REPORT_H
#define MG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyzer.h"

enum rep_format { REP_TEXT, REP_JSON, REP_SARIF, REP_GITHUB, REP_MARKDOWN };

/* "text", "json", "sarif", "github", "markdown" -> format; -1 when unknown. */
int rep_format_parse(const char *name);

/* Lines and columns are 1-based; columns count code points; end columns
 * are exclusive (the character after the range). */
struct rep_edit {
    uint32_t line, col, end_line, end_col;
    char *text;
};

struct rep_fix {
    char *title;
    bool safe;
    struct rep_edit *edits;
    size_t n_edits;
};

struct rep_finding {
    char code[8];
    enum an_severity severity;
    uint32_t line, col, end_line, end_col;
    char *message;
    struct rep_fix *fixes; /* alternatives, as the analyzer offered them */
    size_t n_fixes;
};

/* One checked file and its findings (sorted by position). */
struct rep_file {
    char *path;
    struct rep_finding *items;
    size_t n, cap;
};

/* A new, empty file entry (never NULL); rep_add() or rep_file_free() frees it. */
struct rep_file *rep_file_new(const char *path);
/* Append a finding; copies `message` and nothing else (fixes are added with
 * rep_finding_add_fix()). Returns the new finding. */
struct rep_finding *rep_file_add(struct rep_file *f, const char *code, enum an_severity sev,
                                 uint32_t line, uint32_t col, uint32_t end_line, uint32_t end_col,
                                 const char *message);
/* Append a fix with no edits; copies `title`. */
struct rep_fix *rep_finding_add_fix(struct rep_finding *d, const char *title, bool safe);
/* Append an edit; copies `text`. */
void rep_fix_add_edit(struct rep_fix *x, uint32_t line, uint32_t col, uint32_t end_line,
                      uint32_t end_col, const char *text);
void rep_file_free(struct rep_file *f);

struct rep_opts {
    enum rep_format fmt;
    bool statistics;       /* per-rule counts instead of the findings (text, json) */
    const char *diff_base; /* the --diff base, or NULL */
};

/* What the run did, for the summaries. */
struct rep_totals {
    size_t checked, with_findings, findings, errors;
    size_t fixed, fixed_files; /* --fix */
};

struct rep;

/* A writer to `out` (borrowed; stays open). Never NULL. */
struct rep *rep_new(const struct rep_opts *opts, FILE *out);
/* Report one file; takes ownership of `f`. Call in output order. */
void rep_add(struct rep *r, struct rep_file *f);
/* A path that could not be checked (the message also went to stderr):
 * SARIF lists it as a tool notification, Markdown counts it. Copies `msg`. */
void rep_add_error(struct rep *r, const char *msg);
/* Write what the format writes at the end and free the writer. */
void rep_finish(struct rep *r, const struct rep_totals *t);

/* The concern a rule belongs to in the review report: "Security",
 * "Exceptions", "Docstrings", "Type hints", "Imports", "Syntax" or
 * "Other". Never NULL. */
const char *rep_concern(const char *code);

#endif
