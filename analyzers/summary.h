/* Per-module summaries for the workspace escape analysis: from one parsed
 * module, every function and method with the exceptions it raises itself,
 * the calls it makes, and the try/except contexts around both; and the
 * module's imports and classes with their bases. Names are kept as written
 * (dotted text); the index (index.h) resolves them. Pure and thread-safe
 * once exc_init() has run; one iterative walk of the tree. */
#ifndef MG_SUMMARY_H
#define MG_SUMMARY_H

#include "analyzer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUM_NONE (-1)

/* One `except` clause of a try context. */
struct sum_handler {
    char **types; /* dotted names as written, tuples flattened */
    size_t n_types;
    bool catch_all;   /* bare, or a caught expression that is not a dotted name */
    bool transparent; /* re-raises what it caught (bare raise, raise <bound>, oslo's
                         save_and_reraise_exception): catches nothing for good */
};

/* The body of one `try` statement in a function. */
struct sum_try {
    int32_t parent; /* the enclosing try context of the same function, or SUM_NONE */
    struct sum_handler *handlers;
    size_t n_handlers;
};

struct sum_raise {
    char *type; /* `raise X` / `raise X(...)`: "X" or "a.b.X"; NULL: an expression we cannot
                   name (`raise make_error()`, `raise self.err`) */
    uint32_t start, end;  /* the raise statement */
    uint32_t line, col16; /* where it starts: 0-based line, UTF-16 column */
    int32_t ctx;          /* the innermost try whose body holds it, or SUM_NONE */
};

enum sum_call_kind {
    SUM_CALL_NAME,   /* f(...) */
    SUM_CALL_DOTTED, /* a.b.f(...) */
    SUM_CALL_SELF,   /* self.m(...) */
    SUM_CALL_CLS,    /* cls.m(...) */
    SUM_CALL_SUPER,  /* super().m(...) */
    SUM_CALL_OTHER,  /* anything else: never resolved */
};

struct sum_call {
    enum sum_call_kind kind;
    char *name; /* NAME, DOTTED: the dotted text; SELF/CLS/SUPER: the method; OTHER: NULL */
    uint32_t start, end; /* the callee expression */
    uint32_t line, col16;
    int32_t ctx;
};

struct sum_func {
    char *qname;                   /* "pkg.mod.Class.meth"; nested: "pkg.mod.f.g" */
    uint32_t name_start, name_end; /* its identifier */
    uint32_t def_start;            /* the function_definition node */
    int32_t cls;                   /* the class it is a method of (also for its nested defs) */
    int32_t parent;                /* the enclosing function, or SUM_NONE */
    bool is_method;                /* defined directly in the class body */
    bool walked; /* its body was read (sum_build_for reads only some); else its raises and
                    calls are unknown */
    struct sum_raise *raises;
    size_t n_raises, cap_raises;
    struct sum_call *calls;
    size_t n_calls, cap_calls;
    struct sum_try *tries;
    size_t n_tries, cap_tries;
};

struct sum_class {
    char *qname;
    char **bases; /* dotted names as written; keyword arguments left out */
    size_t n_bases;
    uint32_t name_start, name_end;
};

/* `local` is bound to the absolute dotted name `target` (relative imports
 * resolved against the module's name). Module level only. */
struct sum_import {
    char *local;
    char *target;
};

struct sum_module {
    char *name; /* "pkg.sub.mod" */
    char *path; /* may be NULL */
    bool is_package;
    struct sum_import *imports;
    size_t n_imports, cap_imports;
    struct sum_class *classes;
    size_t n_classes, cap_classes;
    struct sum_func *funcs; /* a parent comes before its nested functions */
    size_t n_funcs, cap_funcs;
};

/* Summarise `doc` as the module `name` (a package's __init__ when
 * `is_package`). `doc->path` is copied when set. Returns a heap module
 * (sum_free() frees it); never NULL. */
struct sum_module *sum_build(const struct pdoc *doc, const char *name, bool is_package);
void sum_free(struct sum_module *m);

/* The same, reading only the bodies that matter to the functions whose
 * function_definition nodes start at the bytes `wanted` (n_wanted of
 * them): those, and the module's functions they call, transitively (by
 * name). Every function and class is listed; the others have `walked`
 * false. For one document being edited, where only a few functions are
 * checked. */
struct sum_module *sum_build_for(const struct pdoc *doc, const char *name, bool is_package,
                                 const uint32_t *wanted, size_t n_wanted);

/* The target `local` is imported as in `m`, or NULL. */
const char *sum_import_find(const struct sum_module *m, const char *local, size_t len);

/* Resolve a relative module `rel` ("." / "..x" / "x") written in module
 * `m` to an absolute dotted name. Caller frees; NULL when it climbs above
 * the top. */
char *sum_relative(const struct sum_module *m, const char *rel, size_t len);

#endif
