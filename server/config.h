/* margin's configuration: the editor's settings (or the command line's)
 * over `[tool.margin]` in the nearest pyproject.toml, merged per file into
 * the an_opts the analyzers read. pyproject.toml is parsed with the
 * tree-sitter TOML grammar; a broken file is reported with positions and
 * the last configuration read from it in good order stays in force. */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"

/* review.show: what becomes of findings on lines the change did not touch. */
enum cfg_show { CFG_SHOW_CHANGED = 0, CFG_SHOW_ALL = 1 };

/* One thing wrong with a source of settings. */
struct cfg_problem {
    int severity;        /* 1 error (the source is refused), 2 warning (LSP's values) */
    uint32_t start, end; /* bytes of the pyproject.toml; 0, 0 for editor settings */
    char *message;
};

struct cfg_problems {
    struct cfg_problem *items;
    size_t n, cap;
};

void cfg_problems_release(struct cfg_problems *p);
bool cfg_problems_have_error(const struct cfg_problems *p);

/* One source of settings: the editor's, the command line's, or the
 * [tool.margin] table of one pyproject.toml. Records which settings it sets. */
struct cfg_layer;

/* Settings as JSON: {select, ignore, ...} itself or nested under "margin".
 * Keys may be kebab-case, snake_case or camelCase. Returns a new layer, or
 * NULL when a setting has the wrong type (the reasons are appended to
 * `probs`). Unknown settings are warnings. NULL or JSON null gives an empty
 * layer. */
struct cfg_layer *cfg_layer_from_json(json_t *v, struct cfg_problems *probs);

/* The [tool.margin] table of a pyproject.toml's text. Returns a new layer
 * (empty when there is no such table), or NULL when the file does not parse
 * as TOML or a setting is wrong (problems carry byte ranges). *has_margin
 * tells whether the file has (or, when broken, seems to have) the table. */
struct cfg_layer *cfg_layer_from_toml(const char *text, size_t len, bool *has_margin,
                                      struct cfg_problems *probs);

void cfg_layer_free(struct cfg_layer *l); /* NULL is fine */

/* TOML text -> JSON (tables as objects, dates as strings). Returns a new
 * reference, or NULL with problems appended when the text is not TOML.
 * Exposed for the tests. */
json_t *cfg_toml_to_json(const char *text, size_t len, struct cfg_problems *probs);

/* The settings in force for one file. */
struct cfg_resolved {
    struct an_opts opts; /* owns its strings */
    char **pfi;          /* per-file-ignores that match this file */
    size_t n_pfi;
    char *review_base; /* NULL when none */
    enum cfg_show review_show;
    char *target_version; /* "py38", or NULL */
};

/* Merge `over` (the editor or command line; may be NULL) over `file` (the
 * pyproject's layer; may be NULL) for the file at `path` (absolute).
 * Per-file-ignores match `path` relative to `file_dir` (the pyproject's
 * folder) for the file's patterns and to `over_dir` for the editor's; a
 * NULL dir matches against `path` as given. Release with
 * cfg_resolved_release(). */
void cfg_resolve(const struct cfg_layer *file, const char *file_dir, const struct cfg_layer *over,
                 const char *over_dir, const char *path, struct cfg_resolved *out);
void cfg_resolved_release(struct cfg_resolved *r);

/* Drop the findings that per-file-ignores exclude (whatever `select` says). */
void cfg_resolved_filter(const struct cfg_resolved *r, struct diag_list *l);

/* Free the strings and lists of `opts` that cfg_resolve() made. */
void cfg_opts_release(struct an_opts *opts);

/* One pyproject.toml as last read. */
struct cfg_file {
    char *path, *dir; /* absolute */
    char *text;       /* as last read (NUL-terminated), for the problems' positions */
    size_t len;
    bool has_margin;
    struct cfg_layer *good;       /* the last configuration read in good order, or NULL */
    struct cfg_problems problems; /* of the last read */
    bool problems_shown;          /* for the user of the store: published or printed */
    bool published;               /* the language server showed problems for it (to clear later) */
};

/* The pyproject.toml files read so far, and which one governs each folder. */
struct cfg_store {
    struct cfg_file **files;
    size_t n_files, cap_files;
    struct cfg_dir *dirs; /* folder -> governing file (or none), a cache */
    size_t n_dirs, cap_dirs;
};

void cfg_store_init(struct cfg_store *s);
void cfg_store_release(struct cfg_store *s);

/* The pyproject.toml governing the file at `path` (absolute): the nearest
 * one with a [tool.margin] table, looking in the file's folder and up to
 * `stop` (inclusive; NULL: no limit), and never above a folder that holds
 * `.git`. Reads and caches; borrowed until cfg_store_reload() or release.
 * NULL when there is none. */
struct cfg_file *cfg_store_find(struct cfg_store *s, const char *path, const char *stop);

/* A pyproject.toml changed (or appeared, or went): forget the folder cache
 * and re-read `path` if it was read before, keeping its last good layer
 * when the new text is broken. Returns the entry when it is known (its
 * problems are the new ones), else NULL. */
struct cfg_file *cfg_store_reload(struct cfg_store *s, const char *path);

#endif
