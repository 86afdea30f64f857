/* The workspace index for the escape analysis: module name -> summary
 * (summary.h), the resolution of calls and names across modules (imports,
 * relative imports, re-exports, methods through self/cls/super and the
 * workspace base classes), Python's built-in exception hierarchy plus the
 * workspace's exception classes, and each function's escape set: what it
 * raises itself plus what its callees let through, minus what the enclosing
 * try statements catch, with one witness path per escaping type.
 *
 * An index is built (idx_put for each module, then idx_finish, which
 * resolves everything and computes every escape set by a worklist fixpoint
 * over the call graph) and is read-only afterwards: any number of threads
 * may query it. A document being edited is analysed as a view
 * (idx_view_new): its own fresh summary stands for the index's copy of the
 * module, its functions are recomputed against the index's final sets of
 * everything else, so a query costs the one module, not the workspace. */
#ifndef MG_INDEX_H
#define MG_INDEX_H

#include "summary.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idx_index;
struct idx_view;

/* The dotted module name of the file at `path`: its stem, prefixed by the
 * names of the folders above it that hold an __init__.py (walking up until
 * one does not). *is_package tells whether the file is an __init__.py.
 * Looks at the file system (stat only). Caller frees; NULL for a path that
 * is not a .py/.pyi file. */
char *idx_module_name(const char *path, bool *is_package);

struct idx_index *idx_new(void);
void idx_free(struct idx_index *ix);

/* Add the summary of a module, replacing one with the same path (or, for
 * modules without a path, the same name). Takes `m`. The escape sets are
 * stale until idx_finish(). */
void idx_put(struct idx_index *ix, struct sum_module *m);

/* Drop the module at `path`, if any. */
void idx_remove(struct idx_index *ix, const char *path);

/* Resolve every call and compute every escape set; bumps the generation.
 * Cost: linear in the summaries times the fixpoint's rounds (bounded: sets
 * only grow, to at most IDX_MAX_ESCAPES types each). */
void idx_finish(struct idx_index *ix);

/* The module indexed for `path`, or NULL (borrowed; valid until the next
 * idx_put/idx_remove). No I/O. */
const struct sum_module *idx_module_at(const struct idx_index *ix, const char *path);

uint64_t idx_generation(const struct idx_index *ix);
size_t idx_n_modules(const struct idx_index *ix);
size_t idx_n_functions(const struct idx_index *ix);

#define IDX_MAX_ESCAPES 64
#define IDX_MAX_PATH    32

/* ---- views: one module against the index -------------------------------- */

/* Analyse module `m` (borrowed; outlives the view) against `ix` (may be
 * NULL: the module alone; borrowed, must be finished and outlive the view).
 * Never NULL. */
struct idx_view *idx_view_new(const struct idx_index *ix, const struct sum_module *m);
void idx_view_free(struct idx_view *v);

/* The escape set of m->funcs[func]: count, and the k-th type as a
 * qualified name ("KeyError", "pkg.errors.NotFound"), borrowed from the
 * view or the index. */
size_t idx_view_n_escapes(const struct idx_view *v, size_t func);
const char *idx_view_escape(const struct idx_view *v, size_t func, size_t k);

/* Whether the escape set is known to be whole: every raise names a class,
 * every call (transitively) resolved to a workspace function or a harmless
 * builtin. Only then can a documented exception be called stale. */
bool idx_view_complete(const struct idx_view *v, size_t func);

/* One step of a witness path. Strings are borrowed. */
struct idx_step {
    const char *path;  /* the file, NULL when unknown */
    const char *qname; /* the function the step is in */
    bool is_raise;     /* the last step: the raise statement; else a call */
    bool local;        /* in the view's own module (start/end are its bytes) */
    uint32_t start, end;
    uint32_t line, col16; /* 0-based line and UTF-16 column of start */
};

/* The witness path of the k-th escape of m->funcs[func], from the function
 * down to the raise, into out[0..cap). Returns the number of steps. */
size_t idx_view_path(const struct idx_view *v, size_t func, size_t k, struct idx_step *out,
                     size_t cap);

/* The qualified name of `dotted`, written at module level in m (imports,
 * the module's own definitions, re-exports; else as written). Caller
 * frees. */
char *idx_view_resolve(const struct idx_view *v, const char *dotted);

/* Whether class `type` is `base` or derives from it (both qualified),
 * through the built-in hierarchy and the workspace's classes. A type whose
 * ancestry leaves the workspace counts as an Exception. */
bool idx_view_is_subclass(const struct idx_view *v, const char *type, const char *base);

/* The qualified name of the function called at m->funcs[func].calls[call],
 * or NULL when it did not resolve (borrowed). */
const char *idx_view_callee(const struct idx_view *v, size_t func, size_t call);

/* The same for the workspace function called at m->funcs[func].calls[call]
 * (for hover on a call): its escape set, whether that set is whole, and a
 * witness path from the callee down to the raise. 0 / NULL / false when the
 * call did not resolve to a workspace function. */
size_t idx_view_callee_n_escapes(const struct idx_view *v, size_t func, size_t call);
const char *idx_view_callee_escape(const struct idx_view *v, size_t func, size_t call, size_t k);
bool idx_view_callee_complete(const struct idx_view *v, size_t func, size_t call);
size_t idx_view_callee_path(const struct idx_view *v, size_t func, size_t call, size_t k,
                            struct idx_step *out, size_t cap);

#endif
