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
struct py_module;

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
    /* Where findings are wanted: sorted, disjoint byte ranges; NULL (and
     * n_scope 0) means the whole file. Analyzers whose struct analyzer has
     * `scoped` set may skip definitions and statements that lie outside
     * every range; they may still report findings outside (the caller
     * keeps only those it asked for). See an_in_scope(). */
    const uint32_t (*scope)[2];
    size_t n_scope;
    /* The registry's memo of py_module_scan() (pyast.h) for this run: the
     * analyzers that scan the module share one scan. NULL: none. */
    struct py_module_memo *memo;
    /* With a scope: the module's imports and __all__ (a struct py_module
     * whose definitions are left out) as a whole scan found them, in this
     * text's offsets; py_module_scan() then walks only the definitions in
     * scope. NULL: none. */
    const struct py_module *facts;
    /* Whole-file analyzers that can may report only the findings about
     * these names (NUL-separated, ending with an empty one); NULL: all.
     * F401 examines the imports of these names only. */
    const char *only_names;
};

/* Whether [start, end) meets one of doc's scope ranges (always true when
 * the document has no scope). */
bool an_in_scope(const struct pdoc *doc, uint32_t start, uint32_t end);
/* Whether [start, end) meets one of the n sorted, disjoint ranges `v` (an
 * empty [start, start) meets a range holding start). */
bool an_ranges_meet(const uint32_t (*v)[2], size_t n, uint32_t start, uint32_t end);

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
    /* Set by the registry: which analyzer (index in an_analyzers()) made it. */
    uint8_t analyzer;
    /* The language server's bookkeeping, not the analyzers': a serial
     * unique within the document, the version the finding was made for,
     * its range in the client's positions, and its encoded JSON (NULL
     * until encoded, freed with the list): the range, then from byte
     * `encoded_rest` on everything else. */
    uint64_t serial;
    int64_t born;
    bool has_pos;    /* pos holds the range as the client counts it */
    uint32_t pos[4]; /* start line, character, end line, character */
    char *encoded;
    uint32_t encoded_len, encoded_rest;
    uint32_t encoded_pos[4]; /* the pos `encoded` was made with */
    uint8_t encoded_severity;
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
    /* What a whole-file analyzer that `watches` read, for incremental
     * analysis: byte ranges of the document an edit must touch to change
     * its findings (besides its cross words). */
    uint32_t (*watch)[2];
    size_t n_watch, cap_watch;
};

void diag_list_init(struct diag_list *l);
void diag_list_release(struct diag_list *l);
/* Note that the findings depend on text[start, end) (see `watch`). */
void diag_list_watch(struct diag_list *l, uint32_t start, uint32_t end);
/* Free what one finding owns (not the finding itself). */
void an_diag_release(struct an_diag *d);
/* Deep-copies `d` (message, fixes, related) into `out`; the caller keeps its
 * own. Returns 0. */
int diag_list_add(struct diag_list *out, const struct an_diag *d);
/* Convenience: add a finding without fixes; message is printf-formatted. */
int diag_list_addf(struct diag_list *out, const char *code, enum an_severity sev, unsigned tags,
                   uint32_t start, uint32_t end, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Sort by (start, end, code) and drop exact duplicates (same range, code, message). */
void diag_list_sort(struct diag_list *l);
/* The order diag_list_sort() sorts by: <0, 0 (duplicates) or >0. */
int an_diag_cmp(const struct an_diag *a, const struct an_diag *b);

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
    /* What a finding depends on, for the language server's incremental
     * analysis. AN_WHOLE_FILE: anything in the file (re-run on every
     * change, unless an_unaffected says otherwise). AN_PER_DEFINITION: a
     * finding inside a top-level definition, or a method of a top-level
     * class, depends only on that definition's text, the class around it
     * and the module's statements other than definitions; a finding
     * elsewhere depends on the unit of text it is in. Such an analyzer
     * honours pdoc.scope. */
    enum an_locality { AN_WHOLE_FILE = 0, AN_PER_DEFINITION } locality;
    /* AN_PER_DEFINITION only: words whose presence in an edited
     * definition (before or after the edit) means findings in other
     * definitions may change too ("overload": an implementation follows
     * its stubs); the analyzer then runs on the whole file. Matched as
     * substrings. NULL-ended. */
    const char *const *cross_words;
    /* AN_WHOLE_FILE only: its findings depend on nothing but the ranges it
     * reports in diag_list.watch, the statements of the module that are
     * not definitions, the workspace index, and the presence of its
     * cross words in edited text. */
    bool watches;
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

/* The registry's analyzers, in order; the count in *n_out. */
const struct analyzer *const *an_analyzers(size_t *n_out);

/* an_run_all() for the analyzers whose bit (1u << index) is in `mask`,
 * appending to `out` unsorted, each finding tagged with its analyzer. */
int an_run_some(const struct pdoc *doc, const struct an_opts *opts, unsigned mask,
                struct diag_list *out);

/* F401 (imports.c), for incremental analysis: the names the document's
 * import statements may bind (pass 0's candidates) and `__all__`. An edit
 * whose old and new text hold none of them, nor `import`, cannot change
 * F401's findings elsewhere. The set copies what it needs: the document may
 * change afterwards. */
struct imp_words;
struct imp_words *imp_words_new(const struct pdoc *doc);
/* Whether s[0, n) holds one of the names as a whole word. */
bool imp_words_in(const struct imp_words *w, const char *s, size_t n);
/* With `w` made from `doc` (the current text): the names whose F401 findings an
 * edit of text holding the words of texts[0, n_texts) may change (the
 * names of the import statements binding one of those words, and of the
 * statements sharing a line with them), appended to `only` as pdoc's
 * only_names wants them, and those statements' byte ranges in *ranges
 * (a heap array, caller frees); with a statement in a block of imports
 * only, the block's statements too (their fix may be one `pass`). False
 * (nothing appended) when F401 must run whole: `__all__`, or what looked
 * like an indented import statement is not one. */
struct mg_buf;
bool imp_words_closure(const struct imp_words *w, const struct pdoc *doc, const char *const *texts,
                       const size_t *lens, size_t n_texts, struct mg_buf *only,
                       uint32_t (**ranges)[2], size_t *n_ranges);
void imp_words_free(struct imp_words *w);

#endif
