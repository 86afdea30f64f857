/* The analyzer interface: pure functions from a parsed document to findings
 * and fixes, in byte offsets. The registry (registry.c) lists every analyzer,
 * runs them, filters by the selected rule codes and sorts the findings. */
#ifndef MG_ANALYZER_H
#define MG_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

/* The tree-sitter-python grammar (compiled from subprojects/). */
const TSLanguage *tree_sitter_python(void);

/* LSP's DiagnosticSeverity values. */
enum an_severity { AN_ERROR = 1, AN_WARNING = 2, AN_INFO = 3, AN_HINT = 4 };

/* "error", "warning", "information", "hint" (LSP's names). */
const char *an_severity_name(enum an_severity s);

/* LSP's DiagnosticTag values, as bits. */
enum an_tag { AN_TAG_UNNECESSARY = 1u << 0, AN_TAG_DEPRECATED = 1u << 1 };

struct idx_index;

/* One document as analyzers see it, borrowed for one run. */
struct pdoc {
    const char *uri;  /* may be NULL (margin check) */
    const char *path; /* file system path when known, else NULL */
    const char *text; /* UTF-8, NUL-terminated at text[len] */
    size_t len;
    const TSTree *tree;
    int64_t version;
    /* The workspace index (index.h), read-only; NULL when there is none
     * (analyzers then look at this document alone). */
    const struct idx_index *index;
};

struct an_edit {
    uint32_t start, end; /* bytes of the document: replace [start, end) */
    char *new_text;
};

struct an_fix {
    char *title;
    struct an_edit *edits; /* sorted, non-overlapping */
    size_t n_edits;
    bool safe; /* may be applied by fix-all without asking */
};

/* Where else to look (LSP relatedInformation). */
struct an_related {
    uint32_t start, end; /* bytes of this document (when path is NULL) */
    char *message;
    /* Another file: its path, and the 0-based line and UTF-16 character of
     * the place there (an empty range). NULL: this document. */
    char *path;
    uint32_t line, character;
};

struct an_diag {
    char code[8]; /* "F401", "MG101" */
    enum an_severity severity;
    unsigned tags; /* enum an_tag bits */
    uint32_t start, end;
    char *message;
    struct an_fix *fixes; /* alternatives; the user picks one */
    size_t n_fixes;
    struct an_related *related;
    size_t n_related;
    /* A "# noqa" on the line of `start` suppresses the finding; so does one
     * on the line of `noqa_also` when `has_noqa_also` (e.g. the first line
     * of a multi-line import). */
    bool has_noqa_also;
    uint32_t noqa_also;
    /* Fixes were left out under an_opts.lazy_fixes; a run without it has them. */
    bool fixes_deferred;
};

/* What the user configured, read-only for analyzers. */
struct an_opts {
    char **select; /* rule codes or prefixes; NULL/0 means every rule */
    size_t n_select;
    char **ignore;
    size_t n_ignore;
    /* The caller (the language server, on every keystroke) asks again, with
     * this false, when a fix is wanted: analyzers whose fixes are expensive
     * to build may leave them out and set an_diag.fixes_deferred instead. */
    bool lazy_fixes;
    /* docstrings: the style docstring stubs are written in. AUTO (zero):
     * the style most of the file's docstrings use, else Google. */
    enum an_doc_style {
        AN_DOC_STYLE_AUTO = 0,
        AN_DOC_STYLE_GOOGLE,
        AN_DOC_STYLE_NUMPY,
        AN_DOC_STYLE_SPHINX,
    } docstring_style;
    /* exceptions (analyzers/exceptions.c); zero: Ruff's defaults. */
    char **exc_logger_objects; /* more loggers: name patterns matched against the last part of
                                  `x.y.audit` ("audit", "*_audit", "audit*"), or dotted paths
                                  matched against what the object was imported as
                                  ("pkg.log.LOG"; Ruff's logger-objects) */
    size_t n_exc_logger_objects;
    char **exc_logger_callables; /* dotted callables that log the exception being handled
                                    ("sentry_sdk.capture_exception"; Ruff's logger-callables) */
    size_t n_exc_logger_callables;
    bool exc_check_typed_exception; /* S110/S112 also for handlers of specific types (Ruff's
                                       flake8-bandit.check-typed-exception) */
    /* imports (analyzers/imports.c, F401) */
    char **allowed_unused_imports; /* modules whose imports are never reported, submodules
                                      included ("hvplot" covers "hvplot.pandas" and `from
                                      hvplot import x`); Ruff's allowed-unused-imports */
    size_t n_allowed_unused_imports;
    /* annotations (analyzers/annotations.c, ANN); zero: Ruff's defaults. */
    unsigned ann_target_minor;        /* the fixes' spelling targets Python 3.<n> (10: `X | None`,
                                         11: `Never`); 0: 3.9, the oldest supported */
    bool ann_suppress_none_returning; /* no ANN2xx when every return gives None */
    bool ann_mypy_init_return;        /* `__init__` may omit `-> None` when an argument is typed */
    bool ann_ignore_fully_untyped;    /* nothing for functions with no annotation at all */
    bool ann_suppress_dummy_args;     /* no ANN00x for `_`, `_unused` (dummy names) */
};

/* Findings of one run. Owns every string and array it holds. */
struct diag_list {
    struct an_diag *items;
    size_t n, cap;
};

void diag_list_init(struct diag_list *l);
void diag_list_release(struct diag_list *l);
/* Deep-copies `d` (message, fixes, related) into `out`; the caller keeps its
 * own. Returns 0. */
int diag_list_add(struct diag_list *out, const struct an_diag *d);
/* Convenience: add a finding without fixes; message is printf-formatted. */
int diag_list_addf(struct diag_list *out, const char *code, enum an_severity sev, unsigned tags,
                   uint32_t start, uint32_t end, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Sort by (start, end, code) and drop exact duplicates (same range, code, message). */
void diag_list_sort(struct diag_list *l);

/* The edits fix-all applies: the first safe fix of every finding, in order,
 * skipping a fix any of whose edits overlaps (or touches the same insertion
 * point as) an edit already taken; those wait for the next round. Returns
 * the count and sets *out to a heap array (caller frees the array only) of
 * pointers into `l`, sorted by position. */
size_t diag_list_fix_all(const struct diag_list *l, const struct an_edit ***out);

/* Apply sorted, non-overlapping `edits` to text[0, len). Returns a new
 * NUL-terminated heap string (caller frees) and its length in *len_out. */
char *an_apply_edits(const char *text, size_t len, const struct an_edit *const *edits, size_t n,
                     size_t *len_out);

/* One rule, as listed in analyzers/RULES.md. */
struct an_rule {
    const char *code;
    const char *name; /* kebab-case */
    enum an_severity severity;
    const char *summary;
    int cwe; /* 0 when none */
};

struct analyzer {
    const char *name;            /* "syntax" */
    const struct an_rule *rules; /* the codes this analyzer reports */
    size_t n_rules;
    int (*init)(const TSLanguage *lang); /* compile queries; may be NULL */
    void (*fini)(void);                  /* may be NULL */
    /* Append findings for `doc` to `out`. Must not crash or recurse without
     * bound on any tree, however broken or deep. Returns 0 or -MG_*. */
    int (*run)(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out);
};

/* Every analyzer's rules, in registry order; the rule of `code`, or NULL. */
const struct an_rule *an_rule_find(const char *code);
const struct an_rule *an_rules(size_t *n_out);

/* Whether a "# noqa" comment in the comment starting at text[at] (the '#')
 * suppresses `code`: a bare "# noqa", or "# noqa: CODES" listing `code` or a
 * prefix of it (codes separated by commas and/or spaces; any case; "noqa"
 * may come after other text in the comment, as in "# type: ignore # noqa"). */
bool an_noqa_matches(const char *comment, size_t len, const char *code);

/* Whether `code` is enabled under `opts`: the most specific matching
 * select/ignore prefix decides ("ALL" selects everything); a tie ignores. */
bool an_rule_enabled(const struct an_opts *opts, const char *code);

/* Compile every analyzer's queries. Call once before any run; thread-safe
 * runs afterwards. Returns 0 or the first failure. */
int an_init_all(const TSLanguage *lang);
void an_fini_all(void);

/* Run every analyzer on `doc`, keep the enabled findings that no "# noqa"
 * comment suppresses, sort them. An analyzer that fails is logged and
 * skipped. Returns 0. */
int an_run_all(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out);

#endif
