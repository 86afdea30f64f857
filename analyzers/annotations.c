/* ANN001-ANN003, ANN201-ANN206: missing type hints, with fixes that insert
 * only the annotations margin can prove from the code.
 *
 * Findings follow Ruff's flake8-annotations rules (ANN101/ANN102 are gone
 * from Ruff and are not reported): one per parameter without an annotation
 * (the implicit receiver of a method that is not a staticmethod excepted,
 * whatever its name), one per function without a return annotation, coded by
 * what the function is (classmethod, staticmethod, `__init__` and other
 * dunder methods, then public or private as pyast.h decides). Implementations
 * that follow their @overload stubs are skipped, as Ruff does. The options of
 * struct an_opts (ann_*) are Ruff's, off by default.
 *
 * Fixes are quick-fixes only (safe = false: an annotation is a promise to
 * every caller), and only for what the code proves:
 *   - a return type from the returned expressions when each is a literal,
 *     an f-string, a comparison that always gives a bool, `not`/`and`/`or`
 *     of those, or a display (list, set, dict, tuple) of uniform literals;
 *     `None` for bare returns and for falling off the end;
 *   - `-> NoReturn` (3.11+: `Never`) when every path raises and none raises
 *     NotImplementedError (an abstract placeholder: its overrides return);
 *   - the fixed return types of dunder methods (`__str__` -> str, ...),
 *     unless the body returns something else;
 *   - `x: int = 0` for a parameter whose default is a scalar literal;
 *   - never for generators, stubs (`...` bodies, abstract or overload stubs
 *     with empty bodies, methods of Protocols), or functions with syntax
 *     errors.
 * A name from typing (Optional, Union, NoReturn, Never) is used through an
 * existing import when there is one, else imported once in the module's
 * import block. Every finding of a function also offers "annotate the
 * function": all of its provable annotations in one fix.
 *
 * Cost: pyast's statement scan, then per function its parameters; a body is
 * walked (iteratively, nested scopes skipped) only when its return type is
 * missing. The control-flow outcome analysis recurses on statement nesting
 * and gives up (no fix) beyond a fixed depth. */
#include "analyzer.h"
#include "mg.h"
#include "pyast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rules ----------------------------------------------------------------- */

static const struct an_rule rules[] = {
    {"ANN001", "missing-type-function-argument", AN_INFO,
     "Missing type annotation for function argument `x`", 0},
    {"ANN002", "missing-type-args", AN_INFO, "Missing type annotation for `*args`", 0},
    {"ANN003", "missing-type-kwargs", AN_INFO, "Missing type annotation for `**kwargs`", 0},
    {"ANN201", "missing-return-type-undocumented-public-function", AN_INFO,
     "Missing return type annotation for public function `f`", 0},
    {"ANN202", "missing-return-type-private-function", AN_INFO,
     "Missing return type annotation for private function `f`", 0},
    {"ANN204", "missing-return-type-special-method", AN_INFO,
     "Missing return type annotation for special method `f`", 0},
    {"ANN205", "missing-return-type-static-method", AN_INFO,
     "Missing return type annotation for staticmethod `f`", 0},
    {"ANN206", "missing-return-type-class-method", AN_INFO,
     "Missing return type annotation for classmethod `f`", 0},
};

/* ---- names an annotation may use ------------------------------------------ */

/* The names margin's annotations are spelt with. A binding of one of them
 * where the annotation is evaluated (the module, an enclosing class or
 * function) makes the annotation mean something else, so no fix uses it. */
enum name_id {
    NM_INT,
    NM_FLOAT,
    NM_COMPLEX,
    NM_STR,
    NM_BYTES,
    NM_BOOL,
    NM_LIST,
    NM_SET,
    NM_DICT,
    NM_TUPLE,
    NM_OPTIONAL,
    NM_UNION,
    NM_NORETURN,
    NM_NEVER,
    NM_TYPING,
    NM_COUNT
};

static const char *const name_text[NM_COUNT] = {
    "int",  "float", "complex",  "str",   "bytes",    "bool",  "list",   "set",
    "dict", "tuple", "Optional", "Union", "NoReturn", "Never", "typing",
};

static int name_lookup(const char *s, size_t len)
{
    for (int i = 0; i < NM_COUNT; i++)
        if (strlen(name_text[i]) == len && memcmp(name_text[i], s, len) == 0)
            return i;
    return -1;
}

static bool ident_char(char ch)
{
    return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9');
}

/* The bits of the names the annotation text `s` uses as bare names (words
 * not after a '.'). */
static unsigned names_used(const char *s)
{
    unsigned mask = 0;
    size_t i = 0, n = strlen(s);
    while (i < n) {
        if (!ident_char(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && ident_char(s[j]))
            j++;
        int id = name_lookup(s + i, j - i);
        if (id >= 0 && (i == 0 || s[i - 1] != '.'))
            mask |= 1u << id;
        i = j;
    }
    return mask;
}

/* ---- context ---------------------------------------------------------------- */

struct ctx {
    const struct pdoc *doc;
    const struct an_opts *opts;
    struct diag_list *out;
    struct py_module m;
    unsigned minor; /* target Python 3.<minor> */
    const char *nl;
    /* Module facts for the typing import, made on first need. */
    bool have_top;
    TSNode *top_imports; /* import statements that are direct children of the module */
    size_t n_top_imports, cap_top_imports;
    TSNode first_stmt;     /* the module's first statement (null when none) */
    TSNode docstring_stmt; /* the module docstring's statement, or null */
    /* Per scope (index 0: the module; 1 + i: definition i): the names of
     * name_text it binds other than by `from typing import X`, as bits;
     * bit 31 set when computed. */
    unsigned *scope_names;
};

static const char *T(const struct ctx *c)
{
    return c->doc->text;
}

static TSNode field(TSNode n, const char *name)
{
    return ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
}

/* Debian's tree-sitter 0.20.7 crashes on a null node here. */
static uint32_t named_count(TSNode n)
{
    return ts_node_is_null(n) ? 0 : ts_node_named_child_count(n);
}

/* The named children of a node, comments skipped, with a cursor: fetching
 * the i-th child costs i in tree-sitter 0.20.7, so a loop over a wide node
 * (a module, a long display) must not index.
 *     struct kids k = kids_of(n); TSNode x;
 *     while (kids_next(&k, &x)) ...;
 *     kids_end(&k);                                                    */
struct kids {
    TSTreeCursor cur;
    bool valid, started;
};

static struct kids kids_of(TSNode n)
{
    struct kids k = {.valid = !ts_node_is_null(n)};
    if (k.valid)
        k.cur = ts_tree_cursor_new(n);
    return k;
}

static bool kids_next(struct kids *k, TSNode *out)
{
    while (k->valid) {
        bool ok = k->started ? ts_tree_cursor_goto_next_sibling(&k->cur)
                             : ts_tree_cursor_goto_first_child(&k->cur);
        k->started = true;
        if (!ok)
            return false;
        TSNode n = ts_tree_cursor_current_node(&k->cur);
        if (ts_node_is_named(n) && !py_is(n, "comment")) {
            *out = n;
            return true;
        }
    }
    return false;
}

static void kids_end(struct kids *k)
{
    if (k->valid)
        ts_tree_cursor_delete(&k->cur);
    k->valid = false;
}

static bool enabled(const struct ctx *c, const char *code)
{
    return an_rule_enabled(c->opts, code);
}

/* ---- bindings of a scope ---------------------------------------------------- */

#define SCOPE_DONE (1u << 31)

static bool stmt_container(const char *t)
{
    static const char *const types[] = {
        "block",          "if_statement",         "elif_clause",
        "else_clause",    "for_statement",        "while_statement",
        "try_statement",  "except_clause",        "except_group_clause",
        "finally_clause", "with_statement",       "match_statement",
        "case_clause",    "decorated_definition",
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(types); i++)
        if (strcmp(t, types[i]) == 0)
            return true;
    return false;
}

static void bind_name(const struct ctx *c, TSNode id, unsigned *mask)
{
    if (!py_is(id, "identifier"))
        return;
    uint32_t len;
    const char *s = py_text(c->doc, id, &len);
    int k = name_lookup(s, len);
    if (k >= 0)
        *mask |= 1u << k;
}

/* An assignment target: a name, or a flat tuple/list of names. */
static void bind_target(const struct ctx *c, TSNode t, unsigned *mask)
{
    if (py_is(t, "identifier")) {
        bind_name(c, t, mask);
        return;
    }
    const char *ty = ts_node_is_null(t) ? "" : ts_node_type(t);
    if (strcmp(ty, "pattern_list") != 0 && strcmp(ty, "tuple_pattern") != 0 &&
        strcmp(ty, "list_pattern") != 0 && strcmp(ty, "tuple") != 0 && strcmp(ty, "list") != 0 &&
        strcmp(ty, "expression_list") != 0)
        return;
    struct kids k = kids_of(t);
    TSNode e;
    while (kids_next(&k, &e)) {
        if (py_is(e, "list_splat_pattern") || py_is(e, "list_splat"))
            e = ts_node_named_child(e, 0);
        bind_name(c, e, mask);
    }
    kids_end(&k);
}

static bool module_is(const struct ctx *c, TSNode module, const char *name)
{
    return py_is(module, "dotted_name") && py_text_eq(c->doc, module, name);
}

static void bind_import(const struct ctx *c, TSNode stmt, unsigned *mask)
{
    bool from = py_is(stmt, "import_from_statement");
    bool typing = from && module_is(c, field(stmt, "module_name"), "typing");
    TSTreeCursor cur = ts_tree_cursor_new(stmt);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            const char *f = ts_tree_cursor_current_field_name(&cur);
            if (f == NULL || strcmp(f, "name") != 0)
                continue;
            TSNode n = ts_tree_cursor_current_node(&cur);
            if (py_is(n, "aliased_import")) {
                TSNode name = field(n, "name"), alias = field(n, "alias");
                /* `from typing import Optional as Optional` keeps the meaning. */
                uint32_t a, b;
                const char *x = py_text(c->doc, name, &a), *y = py_text(c->doc, alias, &b);
                if (!(typing && a == b && memcmp(x, y, a) == 0))
                    bind_name(c, alias, mask);
            } else if (py_is(n, "dotted_name") && named_count(n) > 0) {
                /* `import a.b` binds `a`; `from m import a` binds `a`. The
                 * module `typing` bound as `typing` is the typing module. */
                TSNode first = ts_node_named_child(n, 0);
                if (typing)
                    continue;
                if (!from && py_text_eq(c->doc, n, "typing"))
                    continue;
                bind_name(c, first, mask);
            }
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
}

/* The names `scope` (the module, or a definition's block) binds, walking its
 * statements and compound statements but not nested scopes' bodies. */
static unsigned scope_bindings(const struct ctx *c, TSNode scope)
{
    unsigned mask = 0;
    if (ts_node_is_null(scope))
        return 0;
    TSTreeCursor cur = ts_tree_cursor_new(scope);
    uint32_t depth = 0;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        const char *t = ts_node_type(n);
        bool descend = depth == 0 || stmt_container(t);
        if (strcmp(t, "function_definition") == 0 || strcmp(t, "class_definition") == 0) {
            bind_name(c, field(n, "name"), &mask);
            descend = false;
        } else if (strcmp(t, "expression_statement") == 0) {
            TSNode e = ts_node_named_child(n, 0);
            /* a = b = 1 nests assignments to the right */
            for (int k = 0; k < 64 && (py_is(e, "assignment") || py_is(e, "augmented_assignment"));
                 k++) {
                bind_target(c, field(e, "left"), &mask);
                e = field(e, "right");
            }
        } else if (strcmp(t, "import_statement") == 0 || strcmp(t, "import_from_statement") == 0) {
            bind_import(c, n, &mask);
        } else if (strcmp(t, "for_statement") == 0) {
            bind_target(c, field(n, "left"), &mask);
        } else if (strcmp(t, "with_statement") == 0) {
            /* `with x as name:` targets */
            TSNode clause = ts_node_named_child(n, 0);
            uint32_t k = py_is(clause, "with_clause") ? named_count(clause) : 0;
            for (uint32_t i = 0; i < k; i++) {
                TSNode v = field(ts_node_named_child(clause, i), "value");
                if (py_is(v, "as_pattern")) {
                    TSNode tg = field(v, "alias");
                    if (py_is(tg, "as_pattern_target"))
                        bind_target(c, ts_node_named_child(tg, 0), &mask);
                }
            }
        } else if (strcmp(t, "except_clause") == 0) {
            uint32_t k = named_count(n);
            for (uint32_t i = 0; i < k; i++) {
                TSNode v = ts_node_named_child(n, i);
                if (py_is(v, "as_pattern")) {
                    TSNode tg = field(v, "alias");
                    if (py_is(tg, "as_pattern_target"))
                        bind_target(c, ts_node_named_child(tg, 0), &mask);
                }
            }
        }
        if (descend && ts_tree_cursor_goto_first_child(&cur)) {
            depth++;
            continue;
        }
        while (!ts_tree_cursor_goto_next_sibling(&cur)) {
            if (depth == 0 || !ts_tree_cursor_goto_parent(&cur))
                goto done;
            depth--;
        }
        if (depth == 0)
            break;
    }
done:
    ts_tree_cursor_delete(&cur);
    return mask;
}

/* The names bound where definition `di`'s annotations are evaluated: its
 * enclosing definitions (their bodies and, for functions, parameters) and
 * the module. A superset: class scopes further out do not count in Python,
 * but a name bound there is still a bad name to annotate with. */
static unsigned names_bound_around(struct ctx *c, int di)
{
    unsigned mask = 0;
    if (!(c->scope_names[0] & SCOPE_DONE))
        c->scope_names[0] = scope_bindings(c, ts_tree_root_node(c->doc->tree)) | SCOPE_DONE;
    mask |= c->scope_names[0];
    for (int p = c->m.defs[di].parent; p >= 0; p = c->m.defs[p].parent) {
        unsigned *slot = &c->scope_names[1 + p];
        if (!(*slot & SCOPE_DONE)) {
            const struct py_def *pd = &c->m.defs[p];
            unsigned s = scope_bindings(c, pd->body);
            struct py_param *ps;
            size_t np = py_params(c->doc, pd, &ps);
            for (size_t i = 0; i < np; i++)
                bind_name(c, ps[i].name, &s);
            free(ps);
            *slot = s | SCOPE_DONE;
        }
        mask |= *slot;
    }
    return mask & ~SCOPE_DONE;
}

/* ---- the typing import -------------------------------------------------------- */

static void scan_top(struct ctx *c)
{
    if (c->have_top)
        return;
    c->have_top = true;
    TSNode root = ts_tree_root_node(c->doc->tree);
    TSNode ds = py_docstring(c->doc, root);
    struct kids k = kids_of(root);
    TSNode s;
    while (kids_next(&k, &s)) {
        const char *t = ts_node_type(s);
        if (ts_node_is_null(c->first_stmt)) {
            c->first_stmt = s;
            if (!ts_node_is_null(ds) && ts_node_start_byte(ds) >= ts_node_start_byte(s) &&
                ts_node_end_byte(ds) <= ts_node_end_byte(s))
                c->docstring_stmt = s;
        }
        if (strcmp(t, "import_statement") == 0 || strcmp(t, "import_from_statement") == 0 ||
            strcmp(t, "future_import_statement") == 0) {
            MG_GROW(c->top_imports, c->cap_top_imports, c->n_top_imports + 1);
            c->top_imports[c->n_top_imports++] = s;
        }
    }
    kids_end(&k);
}

/* Where a new statement goes after statement `s`: the start of the next line
 * when only blanks or a comment follow `s` on its line, else right after `s`
 * (then the new text starts with a newline: `import a; x = 1` becomes
 * `import a\nfrom typing import X; x = 1`). */
static void insert_after(const struct ctx *c, TSNode s, const char *stmt, struct an_edit *e)
{
    uint32_t end = ts_node_end_byte(s), i = end;
    while (i < c->doc->len && (T(c)[i] == ' ' || T(c)[i] == '\t'))
        i++;
    if (i < c->doc->len && T(c)[i] == '#')
        while (i < c->doc->len && T(c)[i] != '\n' && T(c)[i] != '\r')
            i++;
    if (i < c->doc->len && (T(c)[i] == '\n' || T(c)[i] == '\r')) {
        if (T(c)[i] == '\r' && i + 1 < c->doc->len && T(c)[i + 1] == '\n')
            i++;
        *e = (struct an_edit){i + 1, i + 1, xasprintf("%s%s", stmt, c->nl)};
    } else if (i >= c->doc->len) {
        *e = (struct an_edit){(uint32_t)c->doc->len, (uint32_t)c->doc->len,
                              xasprintf("%s%s", c->nl, stmt)};
    } else {
        *e = (struct an_edit){end, end, xasprintf("%s%s", c->nl, stmt)};
    }
}

/* How definition `di` can name typing's `member_id`: its spelling into buf,
 * and in *e an edit that imports it (new_text NULL when none is needed).
 * Only imports at the top level of the module, before the definition,
 * count. In order: `from typing import X [as Y]` (unless X is bound to
 * something else too), `import typing [as t]` (t.X), adding X to the last
 * `from typing import ...`, a new `from typing import X` after the last
 * import (or the module docstring, or at the top). False when no spelling
 * is safe. */
static bool typing_member(struct ctx *c, int di, int member_id, char *buf, size_t size,
                          struct an_edit *e)
{
    const char *member = name_text[member_id];
    *e = (struct an_edit){0};
    scan_top(c);
    uint32_t at = ts_node_start_byte(c->m.defs[di].outer);
    unsigned bound = names_bound_around(c, di);
    bool member_free = !(bound & (1u << member_id));
    TSNode from_typing = {0}, last_import = {0};
    char imported[64] = "", typing_alias[64] = "";
    for (size_t i = 0; i < c->n_top_imports; i++) {
        TSNode s = c->top_imports[i];
        if (ts_node_end_byte(s) > at)
            break;
        last_import = s;
        bool from = py_is(s, "import_from_statement");
        if (from && !module_is(c, field(s, "module_name"), "typing"))
            continue;
        bool wildcard = false;
        TSTreeCursor cur = ts_tree_cursor_new(s);
        if (ts_tree_cursor_goto_first_child(&cur)) {
            do {
                TSNode n = ts_tree_cursor_current_node(&cur);
                if (py_is(n, "wildcard_import"))
                    wildcard = true;
                const char *f = ts_tree_cursor_current_field_name(&cur);
                if (f == NULL || strcmp(f, "name") != 0)
                    continue;
                TSNode name = n, alias = {0};
                if (py_is(n, "aliased_import")) {
                    name = field(n, "name");
                    alias = field(n, "alias");
                }
                uint32_t len;
                const char *bind = py_text(c->doc, ts_node_is_null(alias) ? name : alias, &len);
                if (len == 0 || len >= sizeof(imported))
                    continue;
                if (from && py_text_eq(c->doc, name, member)) {
                    /* The alias, or the member itself when nothing else binds it. */
                    bool plain = len == strlen(member) && memcmp(bind, member, len) == 0;
                    if (!plain || member_free) {
                        memcpy(imported, bind, len);
                        imported[len] = '\0';
                    }
                } else if (!from && py_text_eq(c->doc, name, "typing")) {
                    bool plain = len == 6 && memcmp(bind, "typing", 6) == 0;
                    if (!plain || !(bound & (1u << NM_TYPING))) {
                        memcpy(typing_alias, bind, len);
                        typing_alias[len] = '\0';
                    }
                }
            } while (ts_tree_cursor_goto_next_sibling(&cur));
        }
        ts_tree_cursor_delete(&cur);
        if (from && !wildcard)
            from_typing = s;
    }
    if (imported[0] != '\0') {
        snprintf(buf, size, "%s", imported);
        return true;
    }
    if (typing_alias[0] != '\0') {
        snprintf(buf, size, "%s.%s", typing_alias, member);
        return true;
    }
    if (!member_free)
        return false;
    snprintf(buf, size, "%s", member);
    if (!ts_node_is_null(from_typing)) {
        /* After the last name of `from typing import a, b` (or of its
         * parenthesised form, before any trailing comma). */
        TSNode last = {0}, module = field(from_typing, "module_name"), x;
        struct kids k = kids_of(from_typing);
        while (kids_next(&k, &x))
            if ((py_is(x, "dotted_name") || py_is(x, "aliased_import")) && !ts_node_eq(x, module))
                last = x;
        kids_end(&k);
        if (!ts_node_is_null(last)) {
            uint32_t p = ts_node_end_byte(last);
            *e = (struct an_edit){p, p, xasprintf(", %s", member)};
            return true;
        }
    }
    char *stmt = xasprintf("from typing import %s", member);
    if (!ts_node_is_null(last_import)) {
        insert_after(c, last_import, stmt, e);
    } else if (!ts_node_is_null(c->docstring_stmt) && ts_node_end_byte(c->docstring_stmt) <= at) {
        insert_after(c, c->docstring_stmt, stmt, e);
    } else if (!ts_node_is_null(c->first_stmt) && ts_node_start_byte(c->first_stmt) <= at) {
        /* At the start of the first statement's line: after any leading
         * comments, a shebang or an encoding line. */
        uint32_t p = ts_node_start_byte(c->first_stmt);
        while (p > 0 && T(c)[p - 1] != '\n' && T(c)[p - 1] != '\r')
            p--;
        /* PEP 8's blank lines between the imports and what follows. */
        const char *t = ts_node_type(c->first_stmt);
        bool def = strcmp(t, "function_definition") == 0 || strcmp(t, "class_definition") == 0 ||
                   strcmp(t, "decorated_definition") == 0;
        *e = (struct an_edit){p, p, xasprintf("%s%s%s%s", stmt, c->nl, c->nl, def ? c->nl : "")};
    }
    free(stmt);
    /* The import must come before the definition. */
    if (e->new_text == NULL || e->start > at) {
        free(e->new_text);
        *e = (struct an_edit){0};
        return false;
    }
    return true;
}

/* ---- literal types ---------------------------------------------------------------- */

/* A union of up to TY_MAX types, each spelt as an annotation ("int",
 * "list[str]", "None"). Numbers merge along the numeric tower (an int is
 * acceptable where a float is), a bare container merges into the same
 * container with parameters (`[]` is a list[int] too). */
#define TY_MAX 6
#define TY_LEN 112
struct tyset {
    int n;
    bool unknown;
    char t[TY_MAX][TY_LEN];
};

static int num_rank(const char *t)
{
    if (strcmp(t, "bool") == 0)
        return 1;
    if (strcmp(t, "int") == 0)
        return 2;
    if (strcmp(t, "float") == 0)
        return 3;
    if (strcmp(t, "complex") == 0)
        return 4;
    return 0;
}

static const char *rank_name(int r)
{
    static const char *const names[] = {"", "bool", "int", "float", "complex"};
    return names[r];
}

static size_t base_len(const char *t)
{
    const char *b = strchr(t, '[');
    return b ? (size_t)(b - t) : strlen(t);
}

static void ty_add(struct tyset *s, const char *t)
{
    if (s->unknown)
        return;
    if (strlen(t) >= TY_LEN) {
        s->unknown = true;
        return;
    }
    int r = num_rank(t);
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->t[i], t) == 0)
            return;
        int ri = num_rank(s->t[i]);
        if (r && ri) {
            if (r > ri)
                snprintf(s->t[i], TY_LEN, "%s", rank_name(r));
            return;
        }
        size_t bi = base_len(s->t[i]), bt = base_len(t);
        if (bi == bt && memcmp(s->t[i], t, bi) == 0 && strcmp(t, "None") != 0) {
            if (t[bt] == '\0')
                return; /* bare into parametrised */
            if (s->t[i][bi] == '\0') {
                snprintf(s->t[i], TY_LEN, "%s", t);
                return;
            }
        }
    }
    if (s->n == TY_MAX) {
        s->unknown = true;
        return;
    }
    snprintf(s->t[s->n++], TY_LEN, "%s", t);
}

/* The one type of `s`, or NULL when it is unknown, empty or a union. */
static const char *ty_single(const struct tyset *s)
{
    return !s->unknown && s->n == 1 ? s->t[0] : NULL;
}

static bool is_scalar(const char *t)
{
    return num_rank(t) || strcmp(t, "str") == 0 || strcmp(t, "bytes") == 0 ||
           strcmp(t, "None") == 0;
}

#define INFER_DEPTH 24

static void infer(const struct ctx *c, TSNode n, struct tyset *s, int depth);

/* The type of a string literal: str (f-strings too), bytes, or unknown for
 * t-strings (templates, not str). */
static const char *string_type(const struct ctx *c, TSNode str)
{
    if (!py_is(str, "string"))
        return NULL;
    const char *p = T(c) + ts_node_start_byte(str);
    const char *type = "str";
    for (; *p != '\'' && *p != '"' && *p != '\0'; p++) {
        if (*p == 'b' || *p == 'B')
            type = "bytes";
        else if (*p == 't' || *p == 'T')
            return NULL;
    }
    return type;
}

static bool ends_with_j(const struct ctx *c, TSNode n)
{
    uint32_t len;
    const char *s = py_text(c->doc, n, &len);
    return len > 0 && (s[len - 1] == 'j' || s[len - 1] == 'J');
}

/* Elements of a display into one type ("list[int]"), or unknown. */
static void infer_display(const struct ctx *c, TSNode n, const char *kind, struct tyset *s,
                          int depth)
{
    bool dict = strcmp(kind, "dict") == 0, tuple = strcmp(kind, "tuple") == 0;
    struct tyset keys = {0}, vals = {0};
    char buf[TY_LEN * 2] = "";
    size_t at = 0;
    uint32_t count = 0;
    bool bad = false;
    struct kids k = kids_of(n);
    TSNode e;
    while (!bad && kids_next(&k, &e)) {
        count++;
        if (dict) {
            bad = !py_is(e, "pair");
            infer(c, field(e, "key"), &keys, depth + 1);
            infer(c, field(e, "value"), &vals, depth + 1);
        } else if (tuple) {
            struct tyset one = {0};
            infer(c, e, &one, depth + 1);
            const char *et = ty_single(&one);
            bad = et == NULL || count > 8;
            if (!bad)
                at +=
                    (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s", count > 1 ? ", " : "", et);
            bad |= at >= sizeof(buf);
        } else {
            infer(c, e, &vals, depth + 1);
        }
        bad |= keys.unknown || vals.unknown;
    }
    kids_end(&k);
    if (bad) {
        s->unknown = true;
        return;
    }
    char out[TY_LEN * 3];
    if (count == 0) {
        snprintf(out, sizeof(out), "%s", tuple ? "tuple[()]" : kind);
    } else if (tuple) {
        snprintf(out, sizeof(out), "tuple[%s]", buf);
    } else if (dict) {
        const char *kt = ty_single(&keys), *vt = ty_single(&vals);
        if (kt == NULL || vt == NULL) {
            s->unknown = true;
            return;
        }
        snprintf(out, sizeof(out), "dict[%s, %s]", kt, vt);
    } else {
        const char *vt = ty_single(&vals);
        if (vt == NULL) {
            s->unknown = true;
            return;
        }
        snprintf(out, sizeof(out), "%s[%s]", kind, vt);
    }
    ty_add(s, out);
}

/* Whether every operator of comparison `n` always gives a bool (`is`, `in`
 * and their negations; `==`, `<` ... may be overloaded to give anything). */
static bool comparison_always_bool(TSNode n)
{
    bool always = true;
    TSTreeCursor cur = ts_tree_cursor_new(n);
    bool ok = ts_tree_cursor_goto_first_child(&cur);
    for (; ok && always; ok = ts_tree_cursor_goto_next_sibling(&cur)) {
        TSNode op = ts_tree_cursor_current_node(&cur);
        if (ts_node_is_named(op))
            continue;
        const char *t = ts_node_type(op);
        always = strcmp(t, "is") == 0 || strcmp(t, "in") == 0 || strcmp(t, "not") == 0 ||
                 strcmp(t, "is not") == 0 || strcmp(t, "not in") == 0;
    }
    ts_tree_cursor_delete(&cur);
    return always;
}

static void infer_binary(const struct ctx *c, TSNode n, struct tyset *s, int depth)
{
    struct tyset l = {0}, r = {0};
    infer(c, field(n, "left"), &l, depth + 1);
    infer(c, field(n, "right"), &r, depth + 1);
    const char *a = ty_single(&l), *b = ty_single(&r);
    TSNode opn = field(n, "operator");
    const char *op = ts_node_is_null(opn) ? "" : ts_node_type(opn);
    if (a == NULL || b == NULL) {
        s->unknown = true;
        return;
    }
    int ra = num_rank(a), rb = num_rank(b), rm = ra > rb ? ra : rb;
    const char *res = NULL;
    if (ra && rb) {
        if (strcmp(op, "+") == 0 || strcmp(op, "-") == 0 || strcmp(op, "*") == 0)
            res = rank_name(rm < 2 ? 2 : rm);
        else if (strcmp(op, "/") == 0)
            res = rm == 4 ? "complex" : "float";
        else if ((strcmp(op, "//") == 0 || strcmp(op, "%") == 0) && rm < 4)
            res = rank_name(rm < 2 ? 2 : rm);
        else if ((strcmp(op, "&") == 0 || strcmp(op, "|") == 0 || strcmp(op, "^") == 0) && rm <= 2)
            res = rm == 1 ? "bool" : "int";
        else if ((strcmp(op, "<<") == 0 || strcmp(op, ">>") == 0) && rm <= 2)
            res = "int";
    } else if (strcmp(op, "+") == 0 && strcmp(a, b) == 0 &&
               (strcmp(a, "str") == 0 || strcmp(a, "bytes") == 0)) {
        res = a;
    } else if (strcmp(op, "*") == 0 && (strcmp(a, "str") == 0 || strcmp(a, "bytes") == 0) &&
               (rb == 1 || rb == 2)) {
        res = a;
    } else if (strcmp(op, "*") == 0 && (strcmp(b, "str") == 0 || strcmp(b, "bytes") == 0) &&
               (ra == 1 || ra == 2)) {
        res = b;
    }
    if (res == NULL)
        s->unknown = true;
    else
        ty_add(s, res);
}

static void infer(const struct ctx *c, TSNode n, struct tyset *s, int depth)
{
    if (s->unknown)
        return;
    if (ts_node_is_null(n) || depth > INFER_DEPTH) {
        s->unknown = true;
        return;
    }
    const char *t = ts_node_type(n);
    if (strcmp(t, "parenthesized_expression") == 0) {
        TSNode inner = {0};
        uint32_t k = named_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode e = ts_node_named_child(n, i);
            if (!py_is(e, "comment")) {
                inner = e;
                break;
            }
        }
        infer(c, inner, s, depth + 1);
    } else if (strcmp(t, "integer") == 0) {
        ty_add(s, ends_with_j(c, n) ? "complex" : "int");
    } else if (strcmp(t, "float") == 0) {
        ty_add(s, ends_with_j(c, n) ? "complex" : "float");
    } else if (strcmp(t, "true") == 0 || strcmp(t, "false") == 0 ||
               strcmp(t, "not_operator") == 0) {
        ty_add(s, "bool");
    } else if (strcmp(t, "none") == 0) {
        ty_add(s, "None");
    } else if (strcmp(t, "string") == 0) {
        const char *st = string_type(c, n);
        if (st == NULL)
            s->unknown = true;
        else
            ty_add(s, st);
    } else if (strcmp(t, "concatenated_string") == 0) {
        const char *first = NULL;
        bool bad = false;
        struct kids k = kids_of(n);
        TSNode e;
        while (!bad && kids_next(&k, &e)) {
            const char *st = string_type(c, e);
            bad = st == NULL || (first != NULL && strcmp(first, st) != 0);
            first = st;
        }
        kids_end(&k);
        if (bad || first == NULL)
            s->unknown = true;
        else
            ty_add(s, first);
    } else if (strcmp(t, "boolean_operator") == 0) {
        /* `a and b` / `a or b` gives one of its operands. */
        infer(c, field(n, "left"), s, depth + 1);
        infer(c, field(n, "right"), s, depth + 1);
    } else if (strcmp(t, "conditional_expression") == 0) {
        infer(c, ts_node_named_child(n, 0), s, depth + 1);
        infer(c, ts_node_named_child(n, 2), s, depth + 1);
    } else if (strcmp(t, "comparison_operator") == 0) {
        if (comparison_always_bool(n)) {
            ty_add(s, "bool");
            return;
        }
        /* Between literals of builtin types, every comparison is a bool. */
        bool bad = false;
        struct kids k = kids_of(n);
        TSNode e;
        while (!bad && kids_next(&k, &e)) {
            struct tyset one = {0};
            infer(c, e, &one, depth + 1);
            const char *et = ty_single(&one);
            bad = et == NULL || !is_scalar(et);
        }
        kids_end(&k);
        if (bad)
            s->unknown = true;
        else
            ty_add(s, "bool");
    } else if (strcmp(t, "unary_operator") == 0) {
        struct tyset one = {0};
        infer(c, field(n, "argument"), &one, depth + 1);
        const char *et = ty_single(&one);
        TSNode opn = field(n, "operator");
        const char *op = ts_node_is_null(opn) ? "" : ts_node_type(opn);
        int r = et ? num_rank(et) : 0;
        if (r && (strcmp(op, "-") == 0 || strcmp(op, "+") == 0))
            ty_add(s, rank_name(r < 2 ? 2 : r));
        else if ((r == 1 || r == 2) && strcmp(op, "~") == 0)
            ty_add(s, "int");
        else
            s->unknown = true;
    } else if (strcmp(t, "binary_operator") == 0) {
        infer_binary(c, n, s, depth);
    } else if (strcmp(t, "list") == 0) {
        infer_display(c, n, "list", s, depth);
    } else if (strcmp(t, "set") == 0) {
        infer_display(c, n, "set", s, depth);
    } else if (strcmp(t, "tuple") == 0 || strcmp(t, "expression_list") == 0) {
        infer_display(c, n, "tuple", s, depth);
    } else if (strcmp(t, "dictionary") == 0) {
        infer_display(c, n, "dict", s, depth);
    } else {
        s->unknown = true;
    }
}

/* ---- a function's body: returns, yields and how it can end ----------------------- */

/* Outcomes a statement or block may have, as bits. */
enum {
    O_FALL = 1,  /* completes normally */
    O_RET = 2,   /* return */
    O_RAISE = 4, /* raise */
    O_NIE = 8,   /* raise NotImplementedError */
    O_BRK = 16,  /* break */
    O_CONT = 32, /* continue */
};

#define FLOW_DEPTH 48

struct body {
    TSNode *returns; /* return statements of the function itself, reachable or not */
    size_t n_returns, cap_returns;
    bool generator; /* a yield of its own */
    int outcome;    /* O_* bits of the whole body */
    bool give_up;   /* statements nested too deeply to follow */
};

/* One statement-level walk of a body with one cursor (children are never
 * fetched by index: that costs their number per call in tree-sitter
 * 0.20.7). Each function below is entered with the cursor on a node and
 * leaves it there. */
struct flow {
    const struct ctx *c;
    TSTreeCursor cur;
    struct body *b;
};

static int flow_stmt(struct flow *f, TSNode s, int depth);

/* The cursor is on a block: the outcomes of its statements in order. The
 * statements after one that cannot complete are still walked, for their
 * return statements (Ruff's return visitor sees them too). */
static int flow_block(struct flow *f, int depth)
{
    if (depth > FLOW_DEPTH) {
        f->b->give_up = true;
        return O_FALL;
    }
    int cur = O_FALL;
    if (!ts_tree_cursor_goto_first_child(&f->cur))
        return O_FALL;
    do {
        TSNode s = ts_tree_cursor_current_node(&f->cur);
        if (!ts_node_is_named(s) || py_is(s, "comment"))
            continue;
        int o = flow_stmt(f, s, depth);
        if (cur & O_FALL)
            cur = (cur & ~O_FALL) | o;
    } while (ts_tree_cursor_goto_next_sibling(&f->cur));
    ts_tree_cursor_goto_parent(&f->cur);
    return cur;
}

/* The cursor is on a clause (elif, else, except, finally, case): the
 * outcomes of its block. */
static int flow_clause(struct flow *f, int depth)
{
    int r = O_FALL;
    if (!ts_tree_cursor_goto_first_child(&f->cur))
        return r;
    do {
        TSNode n = ts_tree_cursor_current_node(&f->cur);
        if (py_is(n, "block"))
            r = flow_block(f, depth + 1);
    } while (ts_tree_cursor_goto_next_sibling(&f->cur));
    ts_tree_cursor_goto_parent(&f->cur);
    return r;
}

static bool raises_not_implemented(const struct ctx *c, TSNode raise)
{
    TSNode e = ts_node_named_child(raise, 0);
    if (py_is(e, "call"))
        e = field(e, "function");
    return py_text_eq(c->doc, e, "NotImplementedError") || py_text_eq(c->doc, e, "NotImplemented");
}

/* Whether a with statement's context managers may swallow an exception
 * raised in its body: contextlib.suppress, pytest.raises, assertRaises. */
static bool with_may_suppress(const struct ctx *c, TSNode stmt)
{
    TSNode clause = ts_node_named_child(stmt, 0);
    uint32_t k = py_is(clause, "with_clause") ? named_count(clause) : 0;
    for (uint32_t i = 0; i < k; i++) {
        TSNode v = field(ts_node_named_child(clause, i), "value");
        if (py_is(v, "as_pattern"))
            v = ts_node_named_child(v, 0);
        if (!py_is(v, "call"))
            continue;
        TSNode fn = field(v, "function");
        if (py_is(fn, "attribute"))
            fn = field(fn, "attribute");
        uint32_t len;
        const char *s = py_text(c->doc, fn, &len);
        if ((len == 8 && memcmp(s, "suppress", 8) == 0) ||
            (len == 6 && memcmp(s, "raises", 6) == 0) ||
            (len >= 12 && memcmp(s, "assertRaises", 12) == 0))
            return true;
    }
    return false;
}

static bool truthy_constant(const struct ctx *c, TSNode cond)
{
    return py_is(cond, "true") || (py_is(cond, "integer") && !py_text_eq(c->doc, cond, "0"));
}

/* A match case that matches anything: `case _:` or `case name:` unguarded. */
static bool irrefutable_case(TSNode clause)
{
    if (!ts_node_is_null(field(clause, "guard")))
        return false;
    uint32_t k = named_count(clause);
    for (uint32_t i = 0; i < k; i++) {
        TSNode p = ts_node_named_child(clause, i);
        if (!py_is(p, "case_pattern"))
            continue;
        if (named_count(p) == 0)
            return true; /* _ */
        TSNode inner = ts_node_named_child(p, 0);
        return named_count(p) == 1 && py_is(inner, "dotted_name") && named_count(inner) == 1;
    }
    return false;
}

/* The parts of a compound statement, by kind. */
enum part { P_BLOCK, P_ELSE, P_HANDLERS, P_FINALLY, P_ELIF, P_CASES, P_COUNT };

struct parts {
    int o[P_COUNT];    /* the union of the outcomes of each kind of part */
    bool has[P_COUNT]; /* whether there is such a part */
    bool total;        /* a match has an irrefutable case */
};

/* The cursor is on a compound statement: the outcomes of its parts. */
static void flow_parts(struct flow *f, int depth, struct parts *p)
{
    memset(p, 0, sizeof(*p));
    if (!ts_tree_cursor_goto_first_child(&f->cur))
        return;
    do {
        TSNode n = ts_tree_cursor_current_node(&f->cur);
        if (!ts_node_is_named(n))
            continue;
        const char *t = ts_node_type(n);
        int part = -1, o = 0;
        if (strcmp(t, "block") == 0) {
            part = P_BLOCK;
            o = flow_block(f, depth + 1);
            /* A match statement's block holds its cases. */
            if (ts_tree_cursor_goto_first_child(&f->cur)) {
                do {
                    TSNode cc = ts_tree_cursor_current_node(&f->cur);
                    if (py_is(cc, "case_clause")) {
                        p->o[P_CASES] |= flow_clause(f, depth + 1);
                        p->has[P_CASES] = true;
                        p->total |= irrefutable_case(cc);
                    }
                } while (ts_tree_cursor_goto_next_sibling(&f->cur));
                ts_tree_cursor_goto_parent(&f->cur);
            }
        } else if (strcmp(t, "else_clause") == 0) {
            part = P_ELSE;
        } else if (strcmp(t, "elif_clause") == 0) {
            part = P_ELIF;
        } else if (strcmp(t, "except_clause") == 0 || strcmp(t, "except_group_clause") == 0) {
            part = P_HANDLERS;
        } else if (strcmp(t, "finally_clause") == 0) {
            part = P_FINALLY;
        }
        if (part < 0)
            continue;
        if (part != P_BLOCK)
            o = flow_clause(f, depth);
        p->o[part] |= o;
        p->has[part] = true;
    } while (ts_tree_cursor_goto_next_sibling(&f->cur));
    ts_tree_cursor_goto_parent(&f->cur);
}

static int flow_stmt(struct flow *f, TSNode s, int depth)
{
    const struct ctx *c = f->c;
    const char *t = ts_node_type(s);
    /* Most statements are simple: tell them by their first letter. */
    if (t[0] == '\0' || strchr("rbciwftm", t[0]) == NULL)
        return O_FALL;
    if (strcmp(t, "return_statement") == 0) {
        MG_GROW(f->b->returns, f->b->cap_returns, f->b->n_returns + 1);
        f->b->returns[f->b->n_returns++] = s;
        return O_RET;
    }
    if (strcmp(t, "raise_statement") == 0)
        return raises_not_implemented(c, s) ? O_NIE : O_RAISE;
    if (strcmp(t, "break_statement") == 0)
        return O_BRK;
    if (strcmp(t, "continue_statement") == 0)
        return O_CONT;
    bool is_if = strcmp(t, "if_statement") == 0, is_while = strcmp(t, "while_statement") == 0,
         is_for = strcmp(t, "for_statement") == 0, is_try = strcmp(t, "try_statement") == 0,
         is_with = strcmp(t, "with_statement") == 0, is_match = strcmp(t, "match_statement") == 0;
    if (!(is_if || is_while || is_for || is_try || is_with || is_match))
        return O_FALL; /* simple statements, and nested definitions */
    /* A compound statement that has no return, raise or break in its text
     * completes (or loops forever, which annotates the same): no need to
     * walk it. */
    uint32_t ss = ts_node_start_byte(s), se = ts_node_end_byte(s);
    if (se <= c->doc->len && ss < se && memmem(T(c) + ss, se - ss, "return", 6) == NULL &&
        memmem(T(c) + ss, se - ss, "raise", 5) == NULL &&
        memmem(T(c) + ss, se - ss, "break", 5) == NULL)
        return O_FALL;
    struct parts p;
    flow_parts(f, depth, &p);
    if (is_if) {
        int r = p.o[P_BLOCK] | p.o[P_ELIF] | p.o[P_ELSE];
        return p.has[P_ELSE] ? r : r | O_FALL;
    }
    if (is_while || is_for) {
        /* The else runs when the loop ends without a break; `while True:`
         * ends only by a break. */
        int b = p.o[P_BLOCK];
        int r = b & (O_RET | O_RAISE | O_NIE);
        if (b & O_BRK)
            r |= O_FALL;
        if (!(is_while && truthy_constant(c, field(s, "condition"))))
            r |= p.has[P_ELSE] ? p.o[P_ELSE] : O_FALL;
        return r;
    }
    if (is_try) {
        int b = p.o[P_BLOCK];
        int r = b & ~O_FALL;
        if (b & O_FALL)
            r |= p.has[P_ELSE] ? p.o[P_ELSE] : O_FALL;
        if (p.has[P_HANDLERS]) /* any statement of the body may raise */
            r |= p.o[P_HANDLERS];
        if (p.has[P_FINALLY]) /* a finally that cannot complete decides */
            r = (p.o[P_FINALLY] & O_FALL) ? r | (p.o[P_FINALLY] & ~O_FALL) : p.o[P_FINALLY];
        return r;
    }
    if (is_with) {
        /* Its context manager may swallow what the body raises. */
        int b = p.o[P_BLOCK];
        if ((b & (O_RAISE | O_NIE)) || with_may_suppress(c, s))
            b |= O_FALL;
        return b;
    }
    return p.total ? p.o[P_CASES] : p.o[P_CASES] | O_FALL; /* match */
}

/* Whether `block` has a yield of its own: every node is visited, but not
 * nested functions, classes and lambdas. */
static bool has_yield(TSNode block)
{
    bool found = false;
    TSTreeCursor cur = ts_tree_cursor_new(block);
    uint32_t depth = 0;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        const char *t = ts_node_type(n);
        bool descend = true;
        if (depth > 0 && (strcmp(t, "function_definition") == 0 ||
                          strcmp(t, "class_definition") == 0 || strcmp(t, "lambda") == 0)) {
            descend = false;
        } else if (strcmp(t, "yield") == 0) {
            found = true;
            break;
        }
        if (descend && ts_tree_cursor_goto_first_child(&cur)) {
            depth++;
            continue;
        }
        for (;;) {
            if (depth == 0)
                goto done;
            if (ts_tree_cursor_goto_next_sibling(&cur))
                break;
            ts_tree_cursor_goto_parent(&cur);
            depth--;
        }
    }
done:
    ts_tree_cursor_delete(&cur);
    return found;
}

/* The returns, yields and outcome of a function's body. The text decides
 * which walks are needed: yields hide in expressions, so every node is
 * visited only when the body says "yield" somewhere (a comment, a string or
 * a nested function's may be all there is). */
static void scan_body(const struct ctx *c, TSNode block, struct body *b)
{
    b->outcome = O_FALL;
    if (ts_node_is_null(block))
        return;
    uint32_t s = ts_node_start_byte(block), e = ts_node_end_byte(block);
    if (e > c->doc->len || e <= s)
        return;
    /* Without a return or raise, the body can only fall off its end (or
     * loop forever): no walk needed. */
    if (memmem(T(c) + s, e - s, "return", 6) != NULL ||
        memmem(T(c) + s, e - s, "raise", 5) != NULL) {
        struct flow f = {.c = c, .cur = ts_tree_cursor_new(block), .b = b};
        b->outcome = flow_block(&f, 0);
        ts_tree_cursor_delete(&f.cur);
    }
    if (memmem(T(c) + s, e - s, "yield", 5) != NULL)
        b->generator = has_yield(block);
}

/* The value of a return statement, or a null node for a bare return. */
static TSNode return_value(TSNode ret)
{
    uint32_t k = named_count(ret);
    for (uint32_t i = 0; i < k; i++) {
        TSNode e = ts_node_named_child(ret, i);
        if (!py_is(e, "comment"))
            return e;
    }
    return (TSNode){0};
}

static bool is_none_value(TSNode v)
{
    for (int k = 0; k < 64 && py_is(v, "parenthesized_expression"); k++)
        v = ts_node_named_child(v, 0);
    return py_is(v, "none");
}

/* Ruff's is_none_returning: every return gives None (or nothing). */
static bool none_returning(const struct body *b)
{
    for (size_t i = 0; i < b->n_returns; i++) {
        TSNode v = return_value(b->returns[i]);
        if (!ts_node_is_null(v) && !is_none_value(v))
            return false;
    }
    return true;
}

/* A body that does nothing: only pass, `...`, and string expressions. Sets
 * *only_ellipsis when `...` is the only statement besides strings. */
static bool empty_body(TSNode block, bool *only_ellipsis)
{
    bool ellipsis = false, pass = false, empty = true;
    struct kids k = kids_of(block);
    TSNode s;
    while (empty && kids_next(&k, &s)) {
        if (py_is(s, "pass_statement")) {
            pass = true;
            continue;
        }
        TSNode e = named_count(s) == 1 ? ts_node_named_child(s, 0) : (TSNode){0};
        if (!py_is(s, "expression_statement") || ts_node_is_null(e))
            empty = false;
        else if (py_is(e, "ellipsis"))
            ellipsis = true;
        else if (!py_is(e, "string") && !py_is(e, "concatenated_string"))
            empty = false;
    }
    kids_end(&k);
    *only_ellipsis = empty && ellipsis && !pass;
    return empty;
}

static bool is_abstract(const struct ctx *c, const struct py_def *d)
{
    if (ts_node_eq(d->outer, d->node))
        return false;
    bool found = false;
    uint32_t k = named_count(d->outer);
    for (uint32_t i = 0; i < k && !found; i++) {
        TSNode deco = ts_node_named_child(d->outer, i);
        char q[128];
        if (!py_is(deco, "decorator") || !py_qualified_name(c->doc, &c->m, deco, q, sizeof(q)))
            continue;
        found = strcmp(q, "abc.abstractmethod") == 0 || strcmp(q, "abc.abstractclassmethod") == 0 ||
                strcmp(q, "abc.abstractstaticmethod") == 0 ||
                strcmp(q, "abc.abstractproperty") == 0;
    }
    return found;
}

/* Whether the class of method `d` lists a Protocol among its bases. */
static bool in_protocol(const struct ctx *c, const struct py_def *d)
{
    if (d->kind != PY_METHOD || d->parent < 0)
        return false;
    TSNode bases = field(c->m.defs[d->parent].node, "superclasses");
    uint32_t k = named_count(bases);
    for (uint32_t i = 0; i < k; i++) {
        TSNode b = ts_node_named_child(bases, i);
        if (py_is(b, "subscript"))
            b = field(b, "value");
        if (py_is(b, "attribute"))
            b = field(b, "attribute");
        if (py_text_eq(c->doc, b, "Protocol"))
            return true;
    }
    return false;
}

/* A stub: nothing to infer a return type from. */
static bool is_stub(const struct ctx *c, const struct py_def *d)
{
    bool only_ellipsis = false;
    if (!empty_body(d->body, &only_ellipsis))
        return false;
    return only_ellipsis || c->m.is_stub || (d->flags & PY_OVERLOAD) || is_abstract(c, d) ||
           in_protocol(c, d);
}

/* The return type of dunder `name` fixed by the data model, or NULL. */
static const char *dunder_type(const char *name, size_t len)
{
    static const char *const table[][2] = {
        {"__str__", "str"},
        {"__repr__", "str"},
        {"__format__", "str"},
        {"__bytes__", "bytes"},
        {"__len__", "int"},
        {"__length_hint__", "int"},
        {"__hash__", "int"},
        {"__int__", "int"},
        {"__index__", "int"},
        {"__float__", "float"},
        {"__complex__", "complex"},
        {"__bool__", "bool"},
        {"__contains__", "bool"},
        {"__eq__", "bool"},
        {"__ne__", "bool"},
        {"__instancecheck__", "bool"},
        {"__subclasscheck__", "bool"},
        {"__init__", "None"},
        {"__del__", "None"},
        {"__setattr__", "None"},
        {"__delattr__", "None"},
        {"__setitem__", "None"},
        {"__delitem__", "None"},
        {"__set__", "None"},
        {"__delete__", "None"},
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(table); i++)
        if (strlen(table[i][0]) == len && memcmp(table[i][0], name, len) == 0)
            return table[i][1];
    return NULL;
}

/* What the body proves about the return type. */
enum ret_kind {
    RET_UNKNOWN,
    RET_TYPES,    /* the union in `types` */
    RET_NORETURN, /* every path raises */
};

static enum ret_kind infer_return(const struct ctx *c, const struct py_def *d, const struct body *b,
                                  struct tyset *types)
{
    memset(types, 0, sizeof(*types));
    if (b->generator)
        return RET_UNKNOWN;
    (void)d;
    int o = b->outcome;
    if (b->give_up)
        return RET_UNKNOWN;
    if (b->n_returns == 0 && !(o & O_FALL) && (o & (O_RAISE | O_NIE)))
        return (o & O_NIE) ? RET_UNKNOWN : RET_NORETURN;
    for (size_t i = 0; i < b->n_returns && !types->unknown; i++) {
        TSNode v = return_value(b->returns[i]);
        if (ts_node_is_null(v))
            ty_add(types, "None");
        else
            infer(c, v, types, 0);
    }
    /* Falling off the end returns None; so does a body that never ends. */
    if ((o & O_FALL) || b->n_returns == 0)
        ty_add(types, "None");
    return types->unknown ? RET_UNKNOWN : RET_TYPES;
}

/* ---- findings and fixes ------------------------------------------------------------ */

/* One missing annotation of a function, and what would fill it. */
struct miss {
    const char *code;
    uint32_t start, end; /* the parameter's or the function's name */
    char *message;
    char *label;           /* "x: int", "-> None"; NULL when nothing is provable */
    bool deferred;         /* a fix was not looked for (an_opts.lazy_fixes) */
    struct an_edit edit;   /* the annotation */
    struct an_edit import; /* new_text NULL when no import is needed */
};

struct fn {
    struct miss *v;
    size_t n, cap;
};

static void fn_release(struct fn *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].message);
        free(f->v[i].label);
        free(f->v[i].edit.new_text);
        free(f->v[i].import.new_text);
    }
    free(f->v);
    memset(f, 0, sizeof(*f));
}

static struct miss *fn_add(struct fn *f, const char *code, TSNode at, char *message)
{
    MG_GROW(f->v, f->cap, f->n + 1);
    struct miss *m = &f->v[f->n++];
    memset(m, 0, sizeof(*m));
    m->code = code;
    m->start = ts_node_start_byte(at);
    m->end = ts_node_end_byte(at);
    m->message = message;
    return m;
}

/* Ruff's default dummy-variable-rgx: ^(_+|(_+[a-zA-Z0-9_]*[a-zA-Z0-9]+?))$ */
static bool dummy_name(const char *s, size_t len)
{
    if (len == 0 || s[0] != '_')
        return false;
    bool all_underscores = true;
    for (size_t i = 0; i < len; i++) {
        if (!ident_char(s[i]))
            return false;
        all_underscores &= s[i] == '_';
    }
    return all_underscores || s[len - 1] != '_';
}

/* The annotation a parameter's default proves: a scalar literal's type. */
static const char *default_type(const struct ctx *c, TSNode v)
{
    static const char *const scalars[] = {"bool", "int", "float", "complex", "str", "bytes"};
    if (!(py_is(v, "integer") || py_is(v, "float") || py_is(v, "string") ||
          py_is(v, "concatenated_string") || py_is(v, "true") || py_is(v, "false") ||
          py_is(v, "unary_operator")))
        return NULL;
    struct tyset s = {0};
    infer(c, v, &s, INFER_DEPTH - 2);
    const char *t = ty_single(&s);
    /* A string of static storage: `s` dies here. */
    for (size_t i = 0; t != NULL && i < MG_ARRAY_LEN(scalars); i++)
        if (strcmp(t, scalars[i]) == 0)
            return scalars[i];
    return NULL;
}

static void fix_param(struct ctx *c, int di, const struct py_param *p, struct miss *m)
{
    if (ts_node_is_null(p->default_value))
        return;
    const char *t = default_type(c, p->default_value);
    if (t == NULL)
        return;
    unsigned bound = names_bound_around(c, di);
    if (names_used(t) & bound)
        return;
    uint32_t ne = ts_node_end_byte(p->name), vs = ts_node_start_byte(p->default_value);
    /* `x=0` and `x = 0` become `x: int = 0` (PEP 8 wants spaces around the
     * `=` of an annotated default); anything else between the name and the
     * value (a comment, a line break) is kept. */
    bool simple = vs > ne;
    int eqs = 0;
    for (uint32_t i = ne; i < vs && simple; i++) {
        char ch = T(c)[i];
        if (ch == '=')
            eqs++;
        else if (ch != ' ' && ch != '\t')
            simple = false;
    }
    if (simple && eqs == 1)
        m->edit = (struct an_edit){ne, vs, xasprintf(": %s = ", t)};
    else
        m->edit = (struct an_edit){ne, ne, xasprintf(": %s", t)};
    uint32_t len;
    const char *name = py_text(c->doc, p->name, &len);
    m->label = xasprintf("%.*s: %s", (int)len, name, t);
}

static void fix_return(struct ctx *c, int di, const struct body *b, const char *dunder,
                       struct miss *m)
{
    const struct py_def *d = &c->m.defs[di];
    if (b->generator)
        return;
    struct tyset types;
    enum ret_kind k = infer_return(c, d, b, &types);
    char ann[TY_MAX * (TY_LEN + 2) + 128] = ""; /* fits any union: never truncated */
    int need = -1;                              /* a typing member the annotation needs */
    if (dunder != NULL) {
        /* The data model fixes the type, unless the body proves it returns
         * something else (an int where a float is due is fine). */
        if (k == RET_TYPES && !is_stub(c, d)) {
            const char *got = ty_single(&types);
            if (got == NULL)
                return;
            int rg = num_rank(got), rd = num_rank(dunder);
            if (strcmp(got, dunder) != 0 && !(rg && rd && rg <= rd))
                return;
        }
        snprintf(ann, sizeof(ann), "%s", dunder);
    } else if (is_stub(c, d) || k == RET_UNKNOWN) {
        return;
    } else if (k == RET_NORETURN) {
        /* A method that always raises is usually there to be overridden:
         * NoReturn would forbid its overrides to return. */
        if (d->kind == PY_METHOD)
            return;
        need = c->minor >= 11 ? NM_NEVER : NM_NORETURN;
    } else {
        bool has_none = false;
        int others = 0;
        for (int i = 0; i < types.n; i++) {
            if (strcmp(types.t[i], "None") == 0)
                has_none = true;
            else
                others++;
        }
        if (others == 0 || (!has_none && others == 1) || c->minor >= 10) {
            size_t at = 0;
            for (int i = 0; i < types.n; i++)
                if (strcmp(types.t[i], "None") != 0)
                    at += (size_t)snprintf(ann + at, sizeof(ann) - at, "%s%s", at ? " | " : "",
                                           types.t[i]);
            if (has_none)
                snprintf(ann + at, sizeof(ann) - at, "%s", at ? " | None" : "None");
        } else {
            need = (has_none && others == 1) ? NM_OPTIONAL : NM_UNION;
        }
    }
    char member[96] = "";
    if (need >= 0) {
        if (!typing_member(c, di, need, member, sizeof(member), &m->import))
            return;
        if (need == NM_NEVER || need == NM_NORETURN) {
            snprintf(ann, sizeof(ann), "%s", member);
        } else {
            size_t at = (size_t)snprintf(ann, sizeof(ann), "%s[", member);
            int first = 1;
            for (int i = 0; i < types.n; i++)
                if (strcmp(types.t[i], "None") != 0) {
                    at += (size_t)snprintf(ann + at, sizeof(ann) - at, "%s%s", first ? "" : ", ",
                                           types.t[i]);
                    first = 0;
                }
            if (need == NM_UNION && types.n > 0) {
                bool has_none = false;
                for (int i = 0; i < types.n; i++)
                    has_none |= strcmp(types.t[i], "None") == 0;
                if (has_none)
                    at += (size_t)snprintf(ann + at, sizeof(ann) - at, ", None");
            }
            snprintf(ann + at, sizeof(ann) - at, "]");
        }
    }
    /* Container parameters (list[int]) need 3.9; older targets get none. */
    if (c->minor < 9 && (strstr(ann, "list[") || strstr(ann, "dict[") || strstr(ann, "set[") ||
                         strstr(ann, "tuple["))) {
        free(m->import.new_text);
        m->import = (struct an_edit){0};
        return;
    }
    unsigned bound = names_bound_around(c, di);
    unsigned used = names_used(ann) & ~(need >= 0 ? 1u << need : 0u);
    if (used & bound) {
        free(m->import.new_text);
        m->import = (struct an_edit){0};
        return;
    }
    TSNode params = field(d->node, "parameters");
    if (ts_node_is_null(params)) {
        free(m->import.new_text);
        m->import = (struct an_edit){0};
        return;
    }
    uint32_t p = ts_node_end_byte(params);
    m->edit = (struct an_edit){p, p, xasprintf(" -> %s", ann)};
    m->label = xasprintf("-> %s", ann);
}

static int edit_cmp(const void *a, const void *b)
{
    const struct an_edit *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* A fix of the given edits (copied; the import first, once). */
static void make_fix(struct an_fix *fix, char *title, const struct miss *const *ms, size_t n)
{
    fix->title = title;
    fix->safe = false;
    fix->edits = xcalloc(n * 2, sizeof(*fix->edits));
    fix->n_edits = 0;
    bool have_import = false;
    for (size_t i = 0; i < n; i++) {
        if (ms[i]->import.new_text != NULL && !have_import) {
            have_import = true;
            struct an_edit e = ms[i]->import;
            e.new_text = xstrdup(e.new_text);
            fix->edits[fix->n_edits++] = e;
        }
        struct an_edit e = ms[i]->edit;
        e.new_text = xstrdup(e.new_text);
        fix->edits[fix->n_edits++] = e;
    }
    qsort(fix->edits, fix->n_edits, sizeof(*fix->edits), edit_cmp);
}

static void fix_release(struct an_fix *fix)
{
    for (size_t i = 0; i < fix->n_edits; i++)
        free(fix->edits[i].new_text);
    free(fix->edits);
    free(fix->title);
}

#define WHOLE_MAX 32

static void emit_function(struct ctx *c, const struct py_def *d, struct fn *f)
{
    /* The annotations the function fix makes: every provable one of an
     * enabled rule. */
    const struct miss **all = xcalloc(f->n + 1, sizeof(*all));
    size_t n_all = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].label != NULL && enabled(c, f->v[i].code))
            all[n_all++] = &f->v[i];
    struct an_fix whole = {0};
    /* Each finding carries its own copy: bound the copies (a signature of
     * thousands of defaults would otherwise cost their square). */
    if (n_all >= 2 && n_all <= WHOLE_MAX) {
        uint32_t len;
        const char *name = py_text(c->doc, d->name, &len);
        struct mg_buf t = {0};
        mg_buf_addf(&t, "Annotate `%.*s`: ", (int)len, name);
        for (size_t i = 0; i < n_all && i < 3; i++)
            mg_buf_addf(&t, "%s`%s`", i ? ", " : "", all[i]->label);
        if (n_all > 3)
            mg_buf_addf(&t, " and %zu more", n_all - 3);
        make_fix(&whole, mg_buf_detach(&t, NULL), all, n_all);
    }
    for (size_t i = 0; i < f->n; i++) {
        struct miss *m = &f->v[i];
        struct an_fix fixes[2];
        size_t nf = 0;
        if (m->label != NULL) {
            const struct miss *one = m;
            const char *colon = m->label[0] == '-' ? NULL : strchr(m->label, ':');
            char *title = colon != NULL
                              ? xasprintf("Add type annotation: `%s`", colon + 2)
                              : xasprintf("Add return type annotation: `%s`", m->label + 3);
            make_fix(&fixes[nf++], title, &one, 1);
        }
        /* Offered where it fixes the finding too: a quick-fix that left its
         * own finding in place would read as a broken promise. */
        if (whole.title != NULL && m->label != NULL)
            fixes[nf++] = whole;
        struct an_diag diag = {0};
        snprintf(diag.code, sizeof(diag.code), "%s", m->code);
        diag.severity = AN_INFO;
        diag.start = m->start;
        diag.end = m->end;
        diag.message = m->message;
        diag.fixes = nf ? fixes : NULL;
        diag.n_fixes = nf;
        diag.fixes_deferred = m->deferred;
        diag_list_add(c->out, &diag);
        if (m->label != NULL)
            fix_release(&fixes[0]);
    }
    if (whole.title != NULL)
        fix_release(&whole);
    free(all);
}

/* Ruff's flake8_annotations::rules::definition for function `di`. */
static void check_function(struct ctx *c, int di)
{
    const struct py_def *d = &c->m.defs[di];
    const struct an_opts *o = c->opts;
    bool suppress_dummy = o && o->ann_suppress_dummy_args;
    bool is_method = d->kind == PY_METHOD;
    bool can_fix = !ts_node_has_error(d->outer);
    /* Under lazy_fixes the findings say a fix may exist; a code action
     * asks again without it (inference reads the whole body). */
    bool lazy = can_fix && o && o->lazy_fixes;
    if (lazy)
        can_fix = false;
    uint32_t nlen;
    const char *name = py_text(c->doc, d->name, &nlen);
    struct fn f = {0};
    bool typed_arg = false, typed_receiver = false;

    struct py_param *ps;
    size_t np = py_params(c->doc, d, &ps);
    for (size_t i = 0; i < np; i++) {
        const struct py_param *p = &ps[i];
        if (p->implicit) {
            typed_receiver = !ts_node_is_null(p->annotation);
            continue;
        }
        if (!ts_node_is_null(p->annotation)) {
            typed_arg = true;
            continue;
        }
        uint32_t len;
        const char *pn = py_text(c->doc, p->name, &len);
        if (suppress_dummy && dummy_name(pn, len))
            continue;
        const char *code = p->kind == PY_PARAM_VARARGS  ? "ANN002"
                           : p->kind == PY_PARAM_KWARGS ? "ANN003"
                                                        : "ANN001";
        char *msg =
            p->kind == PY_PARAM_VARARGS
                ? xasprintf("Missing type annotation for `*%.*s`", (int)len, pn)
            : p->kind == PY_PARAM_KWARGS
                ? xasprintf("Missing type annotation for `**%.*s`", (int)len, pn)
                : xasprintf("Missing type annotation for function argument `%.*s`", (int)len, pn);
        struct miss *m = fn_add(&f, code, p->name, msg);
        if (can_fix && enabled(c, code))
            fix_param(c, di, p, m);
        m->deferred = lazy;
    }
    free(ps);

    bool typed_return = !ts_node_is_null(field(d->node, "return_type"));
    if (!typed_return) {
        struct body b = {0};
        bool need_body = can_fix || (o && o->ann_suppress_none_returning);
        if (need_body)
            scan_body(c, d->body, &b);
        if (!(o && o->ann_suppress_none_returning && none_returning(&b))) {
            const char *code = NULL, *what = NULL, *dunder = NULL;
            bool magic = (d->flags & PY_MAGIC) != 0;
            if (is_method && (d->flags & PY_CLASSMETHOD)) {
                code = "ANN206", what = "classmethod";
            } else if (is_method && (d->flags & PY_STATICMETHOD)) {
                code = "ANN205", what = "staticmethod";
            } else if (is_method && nlen == 8 && memcmp(name, "__init__", 8) == 0) {
                if (!(o && o->ann_mypy_init_return && typed_arg))
                    code = "ANN204", what = "special method";
                dunder = "None";
            } else if (is_method && magic) {
                code = "ANN204", what = "special method";
                dunder = dunder_type(name, nlen);
            } else if (d->is_public) {
                code = "ANN201", what = "public function";
            } else {
                code = "ANN202", what = "private function";
            }
            if (code != NULL) {
                struct miss *m = fn_add(&f, code, d->name,
                                        xasprintf("Missing return type annotation for %s `%.*s`",
                                                  what, (int)nlen, name));
                /* The special-method branch only fixes known dunders. */
                bool fixable = strcmp(code, "ANN204") != 0 || dunder != NULL;
                if (can_fix && fixable && enabled(c, code))
                    fix_return(c, di, &b, dunder, m);
                m->deferred = lazy && fixable;
            }
        }
        free(b.returns);
    }

    if (o && o->ann_ignore_fully_untyped && !typed_arg && !typed_return && !typed_receiver) {
        fn_release(&f);
        return;
    }
    emit_function(c, d, &f);
    fn_release(&f);
}

static bool same_name(const struct ctx *c, const struct py_def *a, const struct py_def *b)
{
    uint32_t la, lb;
    const char *sa = py_text(c->doc, a->name, &la), *sb = py_text(c->doc, b->name, &lb);
    return la == lb && memcmp(sa, sb, la) == 0;
}

static bool is_function(const struct py_def *d)
{
    return d->kind == PY_FUNCTION || d->kind == PY_METHOD || d->kind == PY_NESTED_FUNCTION;
}

static int run(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out)
{
    if (doc->tree == NULL)
        return 0;
    struct ctx c = {.doc = doc, .opts = opts, .out = out, .nl = "\n"};
    c.minor = opts && opts->ann_target_minor ? opts->ann_target_minor : 9;
    const char *nl = memchr(doc->text, '\n', doc->len);
    if (nl != NULL && nl > doc->text && nl[-1] == '\r')
        c.nl = "\r\n";
    py_module_scan(doc, &c.m);
    c.scope_names = xcalloc(c.m.n_defs + 1, sizeof(*c.scope_names));
    for (size_t i = 0; i < c.m.n_defs; i++) {
        const struct py_def *d = &c.m.defs[i];
        if (!is_function(d) || !d->in_scope)
            continue;
        /* An implementation after its @overload stubs (Ruff: the previous
         * definition in the same body is an overload of the same name). */
        const struct py_def *prev = NULL;
        for (size_t j = i; j-- > 0 && (int)j != d->parent;)
            if (c.m.defs[j].parent == d->parent) {
                prev = &c.m.defs[j];
                break;
            }
        bool overload_impl = prev != NULL && is_function(prev) && (prev->flags & PY_OVERLOAD) &&
                             !(d->flags & PY_OVERLOAD) && same_name(&c, prev, d);
        if (overload_impl)
            continue;
        check_function(&c, (int)i);
    }
    free(c.scope_names);
    free(c.top_imports);
    py_module_release(&c.m);
    return 0;
}

/* An implementation after its @overload stubs is not checked. */
static const char *const cross_words[] = {"overload", NULL};

const struct analyzer an_annotations = {
    .name = "annotations",
    .rules = rules,
    .n_rules = MG_ARRAY_LEN(rules),
    .run = run,
    .locality = AN_PER_DEFINITION,
    .cross_words = cross_words,
};
