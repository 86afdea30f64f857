/* Python facts read off a tree-sitter-python tree, shared by the analyzers:
 * node text, the definitions of a module (functions, methods, classes) with
 * their kind, decorators and Ruff's visibility, docstrings, and the
 * parameters of a function. Everything works in byte offsets into the
 * borrowed pdoc text, walks without recursion, and keeps no state between
 * calls, so it may run on several threads at once. */
#ifndef MG_PYAST_H
#define MG_PYAST_H

#include "analyzer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

/* ---- node text ----------------------------------------------------------- */

/* The text of `n` (borrowed from doc->text; not NUL-terminated at the node's
 * end) and its length in *len_out (may be NULL). A null node gives "" and 0. */
const char *py_text(const struct pdoc *doc, TSNode n, uint32_t *len_out);

/* Whether the text of `n` is exactly `s` (NUL-terminated). False for a null
 * node. */
bool py_text_eq(const struct pdoc *doc, TSNode n, const char *s);

/* Whether `n` is a non-null node of grammar type `type` ("identifier"). */
bool py_is(TSNode n, const char *type);

/* Whether identifier-like text [s, s+len) is a dunder/magic name: starts and
 * ends with "__" (Ruff's is_magic: "__init__", "__call__", also "__"). */
bool py_name_is_magic(const char *s, size_t len);

/* ---- definitions --------------------------------------------------------- */

/* What a definition is, from where it is defined (Ruff's MemberKind): a
 * function whose nearest enclosing definition is the module, a class or
 * nested class (a method), or a function (a nested function); a class at
 * module level, or inside any other definition (a nested class). Blocks of
 * if/for/while/try/with/match do not count: a def under `if x:` at module
 * level is a module function. */
enum py_def_kind {
    PY_FUNCTION,        /* def at module level */
    PY_METHOD,          /* def directly in a class body */
    PY_NESTED_FUNCTION, /* def inside a def */
    PY_CLASS,           /* class at module level */
    PY_NESTED_CLASS,    /* class inside a class or a def */
};

/* Facts about a definition, as bits of py_def.flags. Decorators are
 * matched after resolving the module's imports (`import typing as t` makes
 * `@t.overload` an overload; a bare `@overload` counts only when imported
 * from typing or typing_extensions), and a called decorator counts as its
 * callee (`@foo.bar(1)` as `foo.bar`), as Ruff does. */
enum py_def_flag {
    PY_ASYNC = 1u << 0,        /* async def */
    PY_MAGIC = 1u << 1,        /* name starts and ends with "__" */
    PY_STATICMETHOD = 1u << 2, /* @staticmethod */
    PY_CLASSMETHOD = 1u << 3,  /* @classmethod */
    PY_PROPERTY = 1u << 4,     /* @property, @functools.cached_property, @abc.abstractproperty */
    PY_SETTER = 1u << 5,       /* @<own name>.setter (not called) */
    PY_DELETER = 1u << 6,      /* @<own name>.deleter (not called) */
    PY_OVERLOAD = 1u << 7,     /* @typing.overload / typing_extensions.overload */
    PY_OVERRIDE = 1u << 8,     /* @typing.override / typing_extensions.override */
    PY_DECORATED = 1u << 9,    /* has any decorator */
};

/* One function or class definition. Nodes borrow the tree. */
struct py_def {
    TSNode node;  /* function_definition or class_definition */
    TSNode outer; /* the decorated_definition around it, else == node */
    TSNode name;  /* its identifier */
    TSNode body;  /* its block; a null node when the parser found none */
    int parent;   /* index of the enclosing definition in py_module.defs, -1: the module */
    enum py_def_kind kind;
    unsigned flags; /* enum py_def_flag bits */
    /* Ruff's visibility: false when the module is private, the name starts
     * with '_' (methods: unless magic), the parent definition is private, it
     * is a nested function or a class inside a function, it is a module-level
     * function or class the module's __all__ does not list, or a method is a
     * property setter or deleter. */
    bool is_public;
    /* It meets the document's scope (pdoc.scope); the bodies of
     * definitions outside it are not read, so their nested definitions
     * are missing. Always true without a scope. */
    bool in_scope;
};

/* One import binding: `local` is bound to the dotted name `qualified`
 * (byte ranges of the document; a qualified name may be split across
 * two ranges for `from a.b import c`: module then member). */
struct py_import {
    uint32_t local_start, local_end;   /* the bound name */
    uint32_t module_start, module_end; /* "typing", "os.path", ".", "..pkg" */
    uint32_t member_start, member_end; /* from-imports: the member; else equal (empty) */
};

/* What a scan of a whole module found. */
struct py_module {
    struct py_def *defs; /* in source order; a parent comes before its children */
    size_t n_defs, cap_defs;
    struct py_import *imports; /* module-level imports (also under if/try/with) */
    size_t n_imports, cap_imports;
    /* __all__ at module level (under if/try too): every plain string
     * literal in the list/tuple (or `+` of them, or list()/tuple() of one) of
     * every assignment, annotated or augmented assignment to __all__, as
     * byte ranges of their contents. As Ruff, __all__.extend()/.append()
     * are not read, and an assignment of anything else still counts. */
    uint32_t (*all_names)[2];
    size_t n_all_names, cap_all_names;
    bool has_all;    /* the module assigns __all__ (so unlisted top-level names are private) */
    bool is_public;  /* no component of pdoc->path, nor its stem, starts with '_' (dunders excepted)
                      */
    bool is_package; /* pdoc->path's file name is __init__.py or __init__.pyi */
    bool is_stub;    /* pdoc->path ends with ".pyi" */
    bool has_errors; /* the tree has ERROR/MISSING nodes (definitions inside ERRORs are skipped) */
};

/* Scan `doc` (tree and path; a NULL path means a public, non-package,
 * non-stub module) into `m`, which the caller zeroes first or reuses after
 * py_module_release(). Walks statements only, never expressions, with one
 * tree cursor and a heap stack: any nesting depth. A function body is
 * entered only when one of its lines starts with def/class/async/@, so the
 * cost follows the module's and classes' statements, not the whole file.
 * Definitions inside ERROR nodes are not found. With a scope (pdoc.scope)
 * the bodies of definitions outside it are not entered. Returns 0 (allocation
 * failures abort). Thread-safe. */
int py_module_scan(const struct pdoc *doc, struct py_module *m);

/* Free what py_module_scan() allocated; `m` may then be scanned again. */
void py_module_release(struct py_module *m);

/* A scan kept for the other analyzers of one run (pdoc.memo): the first
 * py_module_scan() of the run fills it, the others copy it. */
struct py_module_memo {
    bool full;
    struct py_module m;
};
void py_module_memo_release(struct py_module_memo *memo);

/* The dotted name a decorator or other expression `n` refers to, after
 * resolving the module's imports, into buf (NUL-terminated, at most `size`
 * bytes with the NUL): `@t.overload` with `import typing as t` gives
 * "typing.overload"; a call gives its callee's name; a name that is not
 * imported stays as written ("staticmethod", "foo.bar"). Returns false (buf
 * = "") when `n` is not a dotted name or does not fit. */
bool py_qualified_name(const struct pdoc *doc, const struct py_module *m, TSNode n, char *buf,
                       size_t size);

/* Whether the module's __all__ lists the text [s, s+len). */
bool py_module_exports(const struct pdoc *doc, const struct py_module *m, const char *s,
                       size_t len);

/* ---- docstrings ---------------------------------------------------------- */

/* The docstring of a body: `body` is the module node or a definition's
 * block. The docstring is the first statement (comments aside) when it is
 * an expression statement made of a string literal alone, possibly in
 * parentheses: plain, raw (r) or unicode (u) prefixes, not f-strings, not
 * bytes, not t-strings. Returns the `string` node, or a `concatenated_string`
 * whose parts all qualify (Ruff counts it as a docstring but does not check
 * its text), or a null node when there is no docstring. */
TSNode py_docstring(const struct pdoc *doc, TSNode body);

/* For a `string` node: the byte range of its contents between the quotes
 * (*start, *end), and the length of its opening quote with prefix ("r\"\"\""
 * is 4) in *open_len (may be NULL). Returns false for other nodes. */
bool py_string_contents(const struct pdoc *doc, TSNode str, uint32_t *start, uint32_t *end,
                        uint32_t *open_len);

/* ---- parameters ---------------------------------------------------------- */

enum py_param_kind {
    PY_PARAM_PLAIN,   /* positional-or-keyword */
    PY_PARAM_POSONLY, /* before a '/' */
    PY_PARAM_KWONLY,  /* after '*' or '*args' */
    PY_PARAM_VARARGS, /* *args */
    PY_PARAM_KWARGS,  /* **kwargs */
};

/* One parameter of a function. The '*' and '/' markers are not parameters.
 * Nodes borrow the tree; absent parts are null nodes. */
struct py_param {
    TSNode node;       /* the whole parameter */
    TSNode name;       /* its identifier (for *args: "args", without the star) */
    TSNode annotation; /* the `type` node, or null */
    TSNode default_value;
    enum py_param_kind kind;
    /* The implicit receiver: the first positional parameter of a method
     * that is not a @staticmethod (whatever it is called), as Ruff skips. */
    bool implicit;
};

/* The parameters of definition `def` (a function; classes have none) in
 * order, into a heap array *out (caller frees; NULL when there are none).
 * Returns the count. */
size_t py_params(const struct pdoc *doc, const struct py_def *def, struct py_param **out);

#endif
