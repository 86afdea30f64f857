/* One open document (text, line index, tree-sitter tree, last findings)
 * and the store of them. Text edits are mirrored into the tree with
 * ts_tree_edit(); doc_reparse() then parses incrementally with the old tree. */
#ifndef MG_DOC_H
#define MG_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#include "analyzer.h"
#include "mg.h"
#include "pos.h"

/* What changed since the last analysis (see incr.c): every edit lies in
 * [lo, hi) of the current text, which was [lo, hi - delta) then; the old
 * text of the lines edited is kept for word checks; tree-sitter's changed
 * ranges of the reparses since are in current offsets. `all`: anything may
 * have changed (a new text, no tree before, too much to track). */
struct doc_changes {
    bool all, any;
    bool removed_newline; /* some edit removed a line break */
    bool replaced;        /* the whole text was replaced: old offsets mean nothing */
    uint32_t lo, hi;
    int64_t delta;
    struct mg_buf old_lines;
    struct mg_buf old_words; /* the old text each edit replaced, widened to whole words */
    uint32_t (*changed)[2];
    size_t n_changed, cap_changed;
};

/* Forget the changes: the findings are up to date with the text. */
void doc_changes_reset(struct doc_changes *ch);

struct incr;

struct doc {
    char *uri;
    char *path; /* file path for file:// URIs, else NULL */
    int64_t version;
    char *text; /* UTF-8 as the client sent it, NUL-terminated at text[len] */
    size_t len, cap;
    struct pos_index lines;
    TSTree *tree;           /* NULL before the first doc_reparse() */
    bool needs_parse;       /* text changed since the tree was parsed */
    bool too_deep;          /* depth_estimate() over DEPTH_LIMIT: not parsed (see depth.h) */
    bool depth_unknown;     /* an edit may have deepened the text past what depth_slack covers */
    uint32_t depth_slack;   /* how much deeper edits may make the text before a rescan */
    bool needs_analyze;     /* tree (or settings) changed since `diags` */
    struct diag_list diags; /* computed with an_opts.lazy_fixes: some fixes deferred */
    int64_t diags_version;  /* the version `diags` were computed for */
    struct diag_list full;  /* the same findings with every fix, made on demand */
    bool full_valid;        /* `full` matches `diags` */
    uint64_t result_id;     /* bumped whenever `diags` change (pull diagnostics) */
    uint64_t next_serial;   /* for an_diag.serial */
    struct doc_changes changes;
    struct incr *incr; /* incremental analysis state (incr.c); NULL until the first analysis */
};

/* A new document holding a copy of text[0, len). Never NULL. */
struct doc *doc_new(const char *uri, int64_t version, const char *text, size_t len);
void doc_free(struct doc *doc);

/* Replace the text of [start, end) with `text` (`len` bytes) and edit the
 * syntax tree to match. Does not reparse. Returns 0, or -MG_ERANGE when the
 * range is outside the document (the document is left unchanged). */
int doc_splice(struct doc *doc, uint32_t start, uint32_t end, const char *text, size_t len);

/* Replace the whole text (a full-sync change); the next parse is fresh. */
void doc_set_text(struct doc *doc, const char *text, size_t len);

/* Parse if the text changed, reusing the old tree. Returns 0; -MG_EDEPTH
 * when the text is nested too deeply for tree-sitter 0.20.7 to parse safely
 * (the tree is dropped: doc->tree is NULL); -MG_EINVAL when parsing took
 * too long (the tree is dropped too; the next change parses afresh). */
int doc_reparse(struct doc *doc, TSParser *parser);

/* The borrowed view analyzers take. Valid until the next change. */
void doc_pdoc(const struct doc *doc, struct pdoc *out);

/* The store: open documents by URI. */
struct docs {
    struct doc **items;
    size_t n, cap;
};
void docs_init(struct docs *ds);
void docs_release(struct docs *ds); /* frees every document */
struct doc *docs_find(const struct docs *ds, const char *uri);
/* Takes ownership of `doc`; replaces (and frees) a document with the same URI. */
void docs_put(struct docs *ds, struct doc *doc);
/* Frees the document; returns false when it was not open. */
bool docs_remove(struct docs *ds, const char *uri);

/* "file:///a%20b.py" -> "/a b.py" (heap); NULL for other schemes or bad escapes. */
char *doc_uri_to_path(const char *uri);
/* "/a b.py" -> "file:///a%20b.py" (heap). */
char *doc_path_to_uri(const char *path);

#endif
