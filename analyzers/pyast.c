/* Python facts read off a tree-sitter-python tree: see pyast.h.
 *
 * The module scan is one pre-order walk with a single TSTreeCursor that
 * descends only into statement containers (module, blocks, compound
 * statements and their clauses, definitions): expressions are never
 * entered, so the cost follows the number of statements, and the cursor
 * plus a heap stack of open definitions replaces recursion. ERROR nodes are
 * not entered: what the parser could not place is not analysed. */
#include "pyast.h"
#include "mg.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- node text ----------------------------------------------------------- */

const char *py_text(const struct pdoc *doc, TSNode n, uint32_t *len_out)
{
    if (ts_node_is_null(n)) {
        if (len_out)
            *len_out = 0;
        return "";
    }
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    if (e > doc->len)
        e = (uint32_t)doc->len;
    if (s > e)
        s = e;
    if (len_out)
        *len_out = e - s;
    return doc->text + s;
}

bool py_text_eq(const struct pdoc *doc, TSNode n, const char *s)
{
    if (ts_node_is_null(n))
        return false;
    uint32_t len;
    const char *t = py_text(doc, n, &len);
    return strlen(s) == len && memcmp(t, s, len) == 0;
}

bool py_is(TSNode n, const char *type)
{
    return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}

bool py_name_is_magic(const char *s, size_t len)
{
    return len >= 2 && s[0] == '_' && s[1] == '_' && s[len - 2] == '_' && s[len - 1] == '_';
}

/* Field ids, looked up once (ts_node_child_by_field_name searches the
 * field names on every call). The tables depend only on the grammar, so
 * they are shared by every thread once built. */
enum field {
    F_MODULE_NAME,
    F_NAME,
    F_ALIAS,
    F_RIGHT,
    F_LEFT,
    F_FUNCTION,
    F_ARGUMENTS,
    F_OBJECT,
    F_ATTRIBUTE,
    F_BODY,
    F_DEFINITION,
    F_PARAMETERS,
    F_TYPE,
    F_VALUE,
    F_COUNT,
};

static const char *const field_names[F_COUNT] = {
    "module_name", "name",      "alias", "right",      "left",       "function", "arguments",
    "object",      "attribute", "body",  "definition", "parameters", "type",     "value"};
static TSFieldId field_ids[F_COUNT];
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

static void fields_init(void)
{
    const TSLanguage *lang = tree_sitter_python();
    for (int i = 0; i < F_COUNT; i++)
        field_ids[i] =
            ts_language_field_id_for_name(lang, field_names[i], (uint32_t)strlen(field_names[i]));
}

static TSNode field(TSNode n, enum field f)
{
    pthread_once(&fields_once, fields_init);
    return ts_node_child_by_field_id(n, field_ids[f]);
}

/* ---- module privacy from the path ---------------------------------------- */

/* Ruff's is_private_module: starts with '_' and is not a dunder. */
static bool private_component(const char *s, size_t len)
{
    return len > 0 && s[0] == '_' && !py_name_is_magic(s, len);
}

static void path_facts(const char *path, struct py_module *m)
{
    m->is_public = true;
    if (path == NULL)
        return;
    size_t len = strlen(path);
    m->is_stub = len >= 4 && strcmp(path + len - 4, ".pyi") == 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '/' && path[j] != '\\')
            j++;
        size_t clen = j - i;
        if (j == len) { /* the file name: its stem counts */
            const char *name = path + i;
            m->is_package = (clen == 11 && memcmp(name, "__init__.py", 11) == 0) ||
                            (clen == 12 && memcmp(name, "__init__.pyi", 12) == 0);
            const char *dot = NULL;
            for (size_t k = 0; k < clen; k++)
                if (name[k] == '.')
                    dot = name + k;
            if (dot != NULL && dot != name)
                clen = (size_t)(dot - name);
        }
        if (private_component(path + i, clen))
            m->is_public = false;
        i = j + 1;
    }
}

/* ---- imports and __all__ --------------------------------------------------- */

static void add_import(struct py_module *m, TSNode local, TSNode module, TSNode member)
{
    MG_GROW(m->imports, m->cap_imports, m->n_imports + 1);
    struct py_import *im = &m->imports[m->n_imports++];
    im->local_start = ts_node_start_byte(local);
    im->local_end = ts_node_end_byte(local);
    im->module_start = ts_node_start_byte(module);
    im->module_end = ts_node_end_byte(module);
    if (ts_node_is_null(member)) {
        im->member_start = im->member_end = im->module_end;
    } else {
        im->member_start = ts_node_start_byte(member);
        im->member_end = ts_node_end_byte(member);
    }
}

static void scan_import(struct py_module *m, TSNode stmt, bool from)
{
    TSNode module = from ? field(stmt, F_MODULE_NAME) : (TSNode){0};
    pthread_once(&fields_once, fields_init);
    TSTreeCursor c = ts_tree_cursor_new(stmt);
    if (ts_tree_cursor_goto_first_child(&c)) {
        do {
            if (ts_tree_cursor_current_field_id(&c) != field_ids[F_NAME])
                continue;
            TSNode n = ts_tree_cursor_current_node(&c);
            TSNode name = n, alias = {0};
            if (py_is(n, "aliased_import")) {
                name = field(n, F_NAME);
                alias = field(n, F_ALIAS);
            }
            if (!py_is(name, "dotted_name") || ts_node_named_child_count(name) == 0)
                continue;
            if (from) {
                if (ts_node_is_null(module))
                    continue;
                add_import(m, ts_node_is_null(alias) ? name : alias, module, name);
            } else if (!ts_node_is_null(alias)) {
                add_import(m, alias, name, (TSNode){0});
            } else {
                /* `import os.path` binds `os` to the module `os`. */
                TSNode first = ts_node_named_child(name, 0);
                add_import(m, first, first, (TSNode){0});
            }
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
}

/* Collect the plain string literals among the elements of list/tuple/
 * set `n` (a bare `'a', 'b'` too; or `n` itself when it is a string), after unwrapping binary `+`
 * chains, parentheses and list()/tuple() calls. An explicit stack: a long
 * `a + b + c + ...` chain nests to the left. */
static void collect_all_strings(const struct pdoc *doc, struct py_module *m, TSNode n)
{
    TSNode *stack = NULL;
    size_t sp = 0, cap = 0;
    MG_GROW(stack, cap, 1);
    stack[sp++] = n;
    while (sp > 0) {
        TSNode x = stack[--sp];
        if (ts_node_is_null(x))
            continue;
        const char *t = ts_node_type(x);
        if (strcmp(t, "binary_operator") == 0 || strcmp(t, "parenthesized_expression") == 0) {
            MG_GROW(stack, cap, sp + 2);
            if (strcmp(t, "binary_operator") == 0) {
                stack[sp++] = field(x, F_RIGHT);
                stack[sp++] = field(x, F_LEFT);
            } else {
                stack[sp++] = ts_node_named_child(x, 0);
            }
        } else if (strcmp(t, "call") == 0) {
            /* list([...]) and tuple((...)), as Ruff allows. */
            TSNode fn = field(x, F_FUNCTION), args = field(x, F_ARGUMENTS);
            if ((py_text_eq(doc, fn, "list") || py_text_eq(doc, fn, "tuple")) &&
                ts_node_named_child_count(args) == 1) {
                MG_GROW(stack, cap, sp + 1);
                stack[sp++] = ts_node_named_child(args, 0);
            }
        } else if (strcmp(t, "list") == 0 || strcmp(t, "tuple") == 0 || strcmp(t, "set") == 0 ||
                   strcmp(t, "expression_list") == 0 || strcmp(t, "string") == 0) {
            bool single = strcmp(t, "string") == 0;
            TSTreeCursor c = ts_tree_cursor_new(x);
            bool ok = single || ts_tree_cursor_goto_first_child(&c);
            while (ok) {
                TSNode e = single ? x : ts_tree_cursor_current_node(&c);
                uint32_t s, end, ol;
                if (py_is(e, "string") && py_string_contents(doc, e, &s, &end, &ol)) {
                    /* Only plain literals: an f-string or bytes is no name. */
                    bool plain = true;
                    for (uint32_t k = ts_node_start_byte(e); k < ts_node_start_byte(e) + ol; k++) {
                        char ch = doc->text[k];
                        if (ch == 'f' || ch == 'F' || ch == 'b' || ch == 'B' || ch == 't' ||
                            ch == 'T')
                            plain = false;
                    }
                    if (plain) {
                        MG_GROW(m->all_names, m->cap_all_names, m->n_all_names + 1);
                        m->all_names[m->n_all_names][0] = s;
                        m->all_names[m->n_all_names][1] = end;
                        m->n_all_names++;
                    }
                }
                if (single)
                    break;
                ok = ts_tree_cursor_goto_next_sibling(&c);
            }
            ts_tree_cursor_delete(&c);
        }
    }
    free(stack);
}

/* A module-level expression statement assigning __all__ (=, +=, or an
 * annotated assignment, even without a value), as Ruff's Export bindings.
 * Like Ruff, __all__.extend() / .append() are not read. */
static void scan_all(const struct pdoc *doc, struct py_module *m, TSNode stmt)
{
    TSNode e = ts_node_named_child(stmt, 0);
    const char *t = ts_node_type(e);
    if (strcmp(t, "assignment") != 0 && strcmp(t, "augmented_assignment") != 0)
        return;
    if (!py_text_eq(doc, field(e, F_LEFT), "__all__"))
        return;
    m->has_all = true;
    collect_all_strings(doc, m, field(e, F_RIGHT));
}

bool py_module_exports(const struct pdoc *doc, const struct py_module *m, const char *s, size_t len)
{
    for (size_t i = 0; i < m->n_all_names; i++) {
        uint32_t a = m->all_names[i][0], b = m->all_names[i][1];
        if (b - a == len && memcmp(doc->text + a, s, len) == 0)
            return true;
    }
    return false;
}

/* ---- qualified names ------------------------------------------------------- */

static bool buf_add(char *buf, size_t size, size_t *at, const char *s, size_t len)
{
    if (*at + len + 1 > size)
        return false;
    memcpy(buf + *at, s, len);
    *at += len;
    buf[*at] = '\0';
    return true;
}

bool py_qualified_name(const struct pdoc *doc, const struct py_module *m, TSNode n, char *buf,
                       size_t size)
{
    if (size == 0)
        return false;
    buf[0] = '\0';
    if (py_is(n, "decorator"))
        n = ts_node_named_child(n, 0);
    if (py_is(n, "call"))
        n = field(n, F_FUNCTION);
    /* Walk down the attribute chain's objects to the leftmost name; the
     * chain is short (a.b.c), but bound the walk anyway. */
    TSNode head = n;
    int steps = 0;
    while (py_is(head, "attribute") && steps++ < 64)
        head = field(head, F_OBJECT);
    if (!py_is(head, "identifier"))
        return false;
    uint32_t hlen;
    const char *h = py_text(doc, head, &hlen);
    size_t at = 0;
    bool mapped = false;
    /* The last import binding the name wins, as at run time. */
    for (size_t i = m->n_imports; i-- > 0;) {
        const struct py_import *im = &m->imports[i];
        if (im->local_end - im->local_start != hlen ||
            memcmp(doc->text + im->local_start, h, hlen) != 0)
            continue;
        if (!buf_add(buf, size, &at, doc->text + im->module_start,
                     im->module_end - im->module_start))
            return buf[0] = '\0', false;
        if (im->member_end > im->member_start) {
            if (at > 0 && buf[at - 1] != '.' && !buf_add(buf, size, &at, ".", 1))
                return buf[0] = '\0', false;
            if (!buf_add(buf, size, &at, doc->text + im->member_start,
                         im->member_end - im->member_start))
                return buf[0] = '\0', false;
        }
        mapped = true;
        break;
    }
    if (!mapped && !buf_add(buf, size, &at, h, hlen))
        return buf[0] = '\0', false;
    /* Then the attributes after the head, in order: the text from the end
     * of the head to the end of `n`, without spaces or comments. */
    uint32_t tail_start = ts_node_end_byte(head), tail_end = ts_node_end_byte(n);
    for (uint32_t k = tail_start; k < tail_end && k < doc->len; k++) {
        char ch = doc->text[k];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\\' || ch == '(' ||
            ch == ')')
            continue;
        if (ch == '#') { /* a comment inside a parenthesised chain: give up */
            buf[0] = '\0';
            return false;
        }
        if (!buf_add(buf, size, &at, &ch, 1))
            return buf[0] = '\0', false;
    }
    return true;
}

/* ---- the definition walk --------------------------------------------------- */

/* The grammar symbols the walk tells apart, looked up once per scan
 * (comparing symbols, not type names, keeps the walk cheap). */
enum {
    S_FUNCTION,
    S_CLASS,
    S_DECORATED,
    S_EXPRESSION_STATEMENT,
    S_IMPORT,
    S_IMPORT_FROM,
    S_FIRST_CONTAINER, /* node types whose children may hold statements */
    S_LAST = S_FIRST_CONTAINER + 13,
};

static const char *const sym_names[S_LAST] = {
    "function_definition",
    "class_definition",
    "decorated_definition",
    "expression_statement",
    "import_statement",
    "import_from_statement",
    "block",
    "if_statement",
    "elif_clause",
    "else_clause",
    "for_statement",
    "while_statement",
    "try_statement",
    "except_clause",
    "except_group_clause",
    "finally_clause",
    "with_statement",
    "match_statement",
    "case_clause",
};

struct syms {
    TSSymbol v[S_LAST];
};

static void syms_init(const TSLanguage *lang, struct syms *sy)
{
    for (int i = 0; i < S_LAST; i++)
        sy->v[i] =
            ts_language_symbol_for_name(lang, sym_names[i], (uint32_t)strlen(sym_names[i]), true);
}

static bool is_container(const struct syms *sy, TSSymbol s)
{
    for (int i = S_FIRST_CONTAINER; i < S_LAST; i++)
        if (s == sy->v[i])
            return true;
    return false;
}

/* Whether `n` may hold a definition: a line of its text starts (after
 * indentation) with "def", "class", "async" or a decorator's "@". A cheap
 * superset (a line of a string counts too), so most function bodies need no
 * walk at all. */
static bool may_define(const struct pdoc *doc, TSNode n)
{
    uint32_t len;
    const char *s = py_text(doc, n, &len);
    const char *end = s + len, *p = s;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\f'))
            p++;
        size_t left = (size_t)(end - p);
        if (left > 0 && *p == '@')
            return true;
        if (left >= 4 && memcmp(p, "def", 3) == 0 && (p[3] == ' ' || p[3] == '\t'))
            return true;
        if (left >= 6 && (memcmp(p, "class", 5) == 0 || memcmp(p, "async", 5) == 0) &&
            (p[5] == ' ' || p[5] == '\t'))
            return true;
        const char *nl = memchr(p, '\n', left);
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return false;
}

struct open_def {
    int def;
    uint32_t depth;
};

static unsigned decorator_flags(const struct pdoc *doc, const struct py_module *m,
                                const struct py_def *d)
{
    unsigned flags = 0;
    if (ts_node_eq(d->outer, d->node))
        return 0;
    uint32_t nlen;
    const char *name = py_text(doc, d->name, &nlen);
    TSTreeCursor c = ts_tree_cursor_new(d->outer);
    if (ts_tree_cursor_goto_first_child(&c)) {
        do {
            TSNode deco = ts_tree_cursor_current_node(&c);
            if (!py_is(deco, "decorator"))
                continue;
            flags |= PY_DECORATED;
            TSNode e = ts_node_named_child(deco, 0);
            /* @name.setter / @name.deleter, uncalled (Ruff's method_visibility). */
            if (py_is(e, "attribute") && py_is(field(e, F_OBJECT), "identifier")) {
                uint32_t olen;
                const char *o = py_text(doc, field(e, F_OBJECT), &olen);
                if (olen == nlen && memcmp(o, name, nlen) == 0) {
                    TSNode attr = field(e, F_ATTRIBUTE);
                    if (py_text_eq(doc, attr, "setter"))
                        flags |= PY_SETTER;
                    else if (py_text_eq(doc, attr, "deleter"))
                        flags |= PY_DELETER;
                }
            }
            char q[128];
            if (!py_qualified_name(doc, m, e, q, sizeof(q)))
                continue;
            if (strcmp(q, "staticmethod") == 0 || strcmp(q, "builtins.staticmethod") == 0)
                flags |= PY_STATICMETHOD;
            else if (strcmp(q, "classmethod") == 0 || strcmp(q, "builtins.classmethod") == 0)
                flags |= PY_CLASSMETHOD;
            else if (strcmp(q, "property") == 0 || strcmp(q, "builtins.property") == 0 ||
                     strcmp(q, "functools.cached_property") == 0 ||
                     strcmp(q, "abc.abstractproperty") == 0 ||
                     strcmp(q, "types.DynamicClassAttribute") == 0)
                flags |= PY_PROPERTY;
            else if (strcmp(q, "typing.overload") == 0 ||
                     strcmp(q, "typing_extensions.overload") == 0)
                flags |= PY_OVERLOAD;
            else if (strcmp(q, "typing.override") == 0 ||
                     strcmp(q, "typing_extensions.override") == 0)
                flags |= PY_OVERRIDE;
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
    return flags;
}

static void add_def(const struct pdoc *doc, struct py_module *m, TSNode node, TSNode outer,
                    int parent)
{
    MG_GROW(m->defs, m->cap_defs, m->n_defs + 1);
    struct py_def *d = &m->defs[m->n_defs++];
    memset(d, 0, sizeof(*d));
    d->node = node;
    d->outer = outer;
    d->in_scope = an_in_scope(doc, ts_node_start_byte(outer), ts_node_end_byte(outer));
    /* Out of scope, a definition is a place holder: its name and body
     * are looked up only if a definition in scope needs them. */
    if (d->in_scope) {
        d->name = field(node, F_NAME);
        d->body = field(node, F_BODY);
    }
    d->parent = parent;
    bool is_class = strcmp(ts_node_type(node), "class_definition") == 0;
    if (parent < 0) {
        d->kind = is_class ? PY_CLASS : PY_FUNCTION;
    } else {
        enum py_def_kind pk = m->defs[parent].kind;
        bool in_class = pk == PY_CLASS || pk == PY_NESTED_CLASS;
        if (is_class)
            d->kind = PY_NESTED_CLASS;
        else
            d->kind = in_class ? PY_METHOD : PY_NESTED_FUNCTION;
    }
}

/* Ruff's Definitions::resolve, one definition at a time (parents first). */
static bool visible(const struct pdoc *doc, const struct py_module *m, const struct py_def *d)
{
    uint32_t len;
    const char *name = py_text(doc, d->name, &len);
    bool underscore = len > 0 && name[0] == '_';
    bool parent_public = d->parent < 0 ? m->is_public : m->defs[d->parent].is_public;
    if (!parent_public)
        return false;
    switch (d->kind) {
    case PY_CLASS:
    case PY_FUNCTION:
        if (m->has_all && !py_module_exports(doc, m, name, len))
            return false;
        return !underscore;
    case PY_NESTED_CLASS: {
        enum py_def_kind pk = m->defs[d->parent].kind;
        if (pk == PY_FUNCTION || pk == PY_NESTED_FUNCTION || pk == PY_METHOD)
            return false;
        return !underscore;
    }
    case PY_NESTED_FUNCTION:
        return false;
    case PY_METHOD:
        if (d->flags & (PY_SETTER | PY_DELETER))
            return false;
        return !underscore || (d->flags & PY_MAGIC);
    }
    return false;
}

static void module_copy(struct py_module *to, const struct py_module *from)
{
    struct py_def *defs = to->defs;
    struct py_import *imports = to->imports;
    uint32_t(*all_names)[2] = to->all_names;
    size_t cap_defs = to->cap_defs, cap_imports = to->cap_imports, cap_all = to->cap_all_names;
    *to = *from;
    to->defs = defs, to->imports = imports, to->all_names = all_names;
    to->cap_defs = cap_defs, to->cap_imports = cap_imports, to->cap_all_names = cap_all;
    MG_GROW(to->defs, to->cap_defs, from->n_defs);
    MG_GROW(to->imports, to->cap_imports, from->n_imports);
    MG_GROW(to->all_names, to->cap_all_names, from->n_all_names);
    if (from->n_defs)
        memcpy(to->defs, from->defs, from->n_defs * sizeof(*to->defs));
    if (from->n_imports)
        memcpy(to->imports, from->imports, from->n_imports * sizeof(*to->imports));
    if (from->n_all_names)
        memcpy(to->all_names, from->all_names, from->n_all_names * sizeof(*to->all_names));
}

void py_module_memo_release(struct py_module_memo *memo)
{
    py_module_release(&memo->m);
    memo->full = false;
}

static int module_scan(const struct pdoc *doc, struct py_module *m);

int py_module_scan(const struct pdoc *doc, struct py_module *m)
{
    if (doc->memo != NULL && doc->memo->full) {
        module_copy(m, &doc->memo->m);
        return 0;
    }
    int rc = module_scan(doc, m);
    if (doc->memo != NULL && rc == 0) {
        module_copy(&doc->memo->m, m);
        doc->memo->full = true;
    }
    return rc;
}

/* Walk the definitions at and under `start` (the module, or one of its
 * statements) into m->defs; with `facts`, also the module-level imports
 * and __all__ (only when walking from the module). */
static void walk_defs(const struct pdoc *doc, struct py_module *m, const struct syms *sy,
                      TSNode start, bool facts)
{
    struct open_def *open = NULL;
    size_t n_open = 0, cap_open = 0;
    TSNode decorated = {0}; /* the decorated_definition last entered */
    TSTreeCursor c = ts_tree_cursor_new(start);
    uint32_t depth = 0;
    for (;;) {
        while (n_open > 0 && open[n_open - 1].depth >= depth)
            n_open--;
        TSNode n = ts_tree_cursor_current_node(&c);
        TSSymbol sym = ts_node_symbol(n);
        int parent = n_open > 0 ? open[n_open - 1].def : -1;
        bool descend = false;
        uint32_t jump = UINT32_MAX; /* descend straight to the child at this byte */
        if (sym == sy->v[S_FUNCTION] || sym == sy->v[S_CLASS]) {
            bool wrapped = !ts_node_is_null(decorated) &&
                           ts_node_end_byte(decorated) == ts_node_end_byte(n) &&
                           ts_node_start_byte(decorated) < ts_node_start_byte(n);
            add_def(doc, m, n, wrapped ? decorated : n, parent);
            MG_GROW(open, cap_open, n_open + 1);
            open[n_open].def = (int)(m->n_defs - 1);
            open[n_open++].depth = depth;
            /* Only the body may hold definitions: skip name and parameters;
             * and a body whose text has no "def" or "class" holds none, so
             * most function bodies are not walked at all. */
            struct py_def *added = &m->defs[m->n_defs - 1];
            TSNode body = added->body;
            descend = added->in_scope && !ts_node_is_null(body) && may_define(doc, body);
            if (descend)
                jump = ts_node_start_byte(body);
        } else if (sym == sy->v[S_DECORATED]) {
            decorated = n;
            TSNode def = field(n, F_DEFINITION);
            descend = !ts_node_is_null(def);
            if (descend)
                jump = ts_node_start_byte(def);
        } else if (depth == 0 || is_container(sy, sym)) {
            descend = true; /* the module, blocks, compound statements */
        } else if (parent < 0 && facts) {
            if (sym == sy->v[S_EXPRESSION_STATEMENT])
                scan_all(doc, m, n);
            else if (sym == sy->v[S_IMPORT])
                scan_import(m, n, false);
            else if (sym == sy->v[S_IMPORT_FROM])
                scan_import(m, n, true);
        }
        if (descend &&
            (jump == UINT32_MAX ? ts_tree_cursor_goto_first_child(&c)
                                : ts_tree_cursor_goto_first_child_for_byte(&c, jump) >= 0)) {
            depth++;
            continue;
        }
        for (;;) {
            if (depth == 0)
                goto done; /* never to the siblings of `start` */
            if (ts_tree_cursor_goto_next_sibling(&c))
                break;
            if (!ts_tree_cursor_goto_parent(&c))
                goto done;
            depth--;
        }
    }
done:
    ts_tree_cursor_delete(&c);
    free(open);
}

/* Whether module statement `n` is a definition (decorated or not). */
static bool is_def_stmt(const struct syms *sy, TSNode n)
{
    TSSymbol sym = ts_node_symbol(n);
    return sym == sy->v[S_FUNCTION] || sym == sy->v[S_CLASS] || sym == sy->v[S_DECORATED];
}

/* With a scope and the module's facts (pdoc.facts): only the module's
 * definitions that meet the scope, and the definition before each (an
 * @overload stub before its implementation), are walked; imports and
 * __all__ come from the facts. False when that cannot be told apart from
 * a whole scan (a statement before holds definitions of its own). */
static bool scan_scoped(const struct pdoc *doc, struct py_module *m, const struct syms *sy)
{
    const struct py_module *f = doc->facts;
    MG_GROW(m->imports, m->cap_imports, f->n_imports);
    MG_GROW(m->all_names, m->cap_all_names, f->n_all_names);
    if (f->n_imports)
        memcpy(m->imports, f->imports, f->n_imports * sizeof(*m->imports));
    if (f->n_all_names)
        memcpy(m->all_names, f->all_names, f->n_all_names * sizeof(*m->all_names));
    m->n_imports = f->n_imports;
    m->n_all_names = f->n_all_names;
    m->has_all = f->has_all;
    TSNode root = ts_tree_root_node(doc->tree);
    uint32_t done = 0; /* module statements before this byte are walked */
    for (size_t r = 0; r < doc->n_scope; r++) {
        TSTreeCursor c = ts_tree_cursor_new(root);
        if (ts_tree_cursor_goto_first_child_for_byte(&c, doc->scope[r][0]) < 0) {
            ts_tree_cursor_delete(&c);
            continue;
        }
        bool need_prev = true;
        do {
            TSNode n = ts_tree_cursor_current_node(&c);
            uint32_t ns = ts_node_start_byte(n);
            if (ns >= doc->scope[r][1])
                break;
            if (ns < done || !is_def_stmt(sy, n))
                continue;
            if (need_prev) {
                /* The definition before it, past comments and statements
                 * that define nothing. */
                need_prev = false;
                TSNode p = ts_node_prev_sibling(n);
                for (int k = 0; !ts_node_is_null(p) && k < 64; k++, p = ts_node_prev_sibling(p)) {
                    if (is_def_stmt(sy, p)) {
                        if (ts_node_start_byte(p) >= done)
                            walk_defs(doc, m, sy, p, false);
                        break;
                    }
                    if (strcmp(ts_node_type(p), "comment") != 0 && may_define(doc, p)) {
                        ts_tree_cursor_delete(&c);
                        return false;
                    }
                }
                if (!ts_node_is_null(p) && !is_def_stmt(sy, p)) {
                    ts_tree_cursor_delete(&c);
                    return false; /* too far to look */
                }
            }
            walk_defs(doc, m, sy, n, false);
            done = ts_node_end_byte(n);
        } while (ts_tree_cursor_goto_next_sibling(&c));
        ts_tree_cursor_delete(&c);
    }
    return true;
}

static int module_scan(const struct pdoc *doc, struct py_module *m)
{
    m->n_defs = m->n_imports = m->n_all_names = 0;
    m->has_all = m->is_package = m->is_stub = false;
    path_facts(doc->path, m);
    if (doc->tree == NULL)
        return 0;
    TSNode root = ts_tree_root_node(doc->tree);
    m->has_errors = ts_node_has_error(root);

    struct syms sy;
    syms_init(ts_tree_language(doc->tree), &sy);
    if (doc->scope == NULL || doc->facts == NULL || !scan_scoped(doc, m, &sy)) {
        m->n_defs = m->n_imports = m->n_all_names = 0;
        m->has_all = false;
        walk_defs(doc, m, &sy, root, true);
    }

    /* Decorators need every import; visibility needs the parents first,
     * which the pre-order walk guarantees. */
    for (size_t i = 0; i < m->n_defs; i++) {
        struct py_def *d = &m->defs[i];
        /* Outside the scope only the definition just before one inside
         * matters (an @overload stub before its implementation). */
        if (!d->in_scope) {
            if (i + 1 >= m->n_defs || !m->defs[i + 1].in_scope)
                continue;
            d->name = field(d->node, F_NAME);
            d->body = field(d->node, F_BODY);
        }
        uint32_t len;
        const char *name = py_text(doc, d->name, &len);
        d->flags = decorator_flags(doc, m, d);
        if (py_name_is_magic(name, len))
            d->flags |= PY_MAGIC;
        if (ts_node_child_count(d->node) > 0 && py_text_eq(doc, ts_node_child(d->node, 0), "async"))
            d->flags |= PY_ASYNC;
        d->is_public = visible(doc, m, d);
    }
    return 0;
}

void py_module_release(struct py_module *m)
{
    free(m->defs);
    free(m->imports);
    free(m->all_names);
    memset(m, 0, sizeof(*m));
}

/* ---- docstrings ------------------------------------------------------------ */

/* Whether string node `str` is a plain, raw or unicode literal. */
static bool plain_string(const struct pdoc *doc, TSNode str)
{
    uint32_t s, e, ol;
    if (!py_string_contents(doc, str, &s, &e, &ol))
        return false;
    /* No prefix, or one of r R u U ("ur" is not Python 3). */
    const char *p = doc->text + ts_node_start_byte(str);
    if (ol == 0 || p[0] == '\'' || p[0] == '"')
        return true;
    return (p[0] == 'r' || p[0] == 'R' || p[0] == 'u' || p[0] == 'U') && ol > 1 &&
           (p[1] == '\'' || p[1] == '"');
}

bool py_string_contents(const struct pdoc *doc, TSNode str, uint32_t *start, uint32_t *end,
                        uint32_t *open_len)
{
    if (!py_is(str, "string") || ts_node_child_count(str) < 2)
        return false;
    TSNode first = ts_node_child(str, 0);
    TSNode last = ts_node_child(str, ts_node_child_count(str) - 1);
    if (!py_is(first, "string_start"))
        return false;
    uint32_t s = ts_node_end_byte(first);
    uint32_t e = py_is(last, "string_end") ? ts_node_start_byte(last) : ts_node_end_byte(str);
    if (e < s || e > doc->len)
        return false;
    *start = s;
    *end = e;
    if (open_len)
        *open_len = s - ts_node_start_byte(str);
    return true;
}

TSNode py_docstring(const struct pdoc *doc, TSNode body)
{
    TSNode none = {0};
    if (ts_node_is_null(body))
        return none;
    /* The first named child that is not a comment; comments are few, so
     * indexing from the start stays cheap. */
    TSNode first = none;
    uint32_t count = ts_node_named_child_count(body);
    for (uint32_t i = 0; i < count; i++) {
        TSNode ch = ts_node_named_child(body, i);
        if (!py_is(ch, "comment")) {
            first = ch;
            break;
        }
    }
    if (!py_is(first, "expression_statement") || ts_node_named_child_count(first) != 1)
        return none;
    TSNode e = ts_node_named_child(first, 0);
    /* ("""doc""") is still a docstring: parentheses make no node in Python's
     * AST. Bound the unwrapping: ((((...)))) may be deep. */
    for (int k = 0; k < 64 && py_is(e, "parenthesized_expression"); k++) {
        if (ts_node_named_child_count(e) != 1)
            return none;
        e = ts_node_named_child(e, 0);
    }
    if (py_is(e, "string"))
        return plain_string(doc, e) ? e : none;
    if (py_is(e, "concatenated_string")) {
        uint32_t n = ts_node_named_child_count(e);
        for (uint32_t i = 0; i < n; i++) {
            TSNode part = ts_node_named_child(e, i);
            if (py_is(part, "comment"))
                continue;
            if (!py_is(part, "string") || !plain_string(doc, part))
                return none;
        }
        return e;
    }
    return none;
}

/* ---- parameters ------------------------------------------------------------ */

size_t py_params(const struct pdoc *doc, const struct py_def *def, struct py_param **out)
{
    (void)doc;
    *out = NULL;
    if (def->kind == PY_CLASS || def->kind == PY_NESTED_CLASS)
        return 0;
    TSNode params = field(def->node, F_PARAMETERS);
    if (ts_node_is_null(params))
        return 0;
    struct py_param *v = NULL;
    size_t n = 0, cap = 0;
    bool kwonly = false;
    TSTreeCursor c = ts_tree_cursor_new(params);
    if (ts_tree_cursor_goto_first_child(&c)) {
        do {
            TSNode p = ts_tree_cursor_current_node(&c);
            if (!ts_node_is_named(p))
                continue;
            const char *t = ts_node_type(p);
            if (strcmp(t, "positional_separator") == 0) {
                for (size_t i = 0; i < n; i++)
                    if (v[i].kind == PY_PARAM_PLAIN)
                        v[i].kind = PY_PARAM_POSONLY;
                continue;
            }
            if (strcmp(t, "keyword_separator") == 0) {
                kwonly = true;
                continue;
            }
            struct py_param q = {.node = p};
            TSNode inner = p; /* what carries the name */
            if (strcmp(t, "identifier") == 0) {
                q.name = p;
            } else if (strcmp(t, "typed_parameter") == 0) {
                q.annotation = field(p, F_TYPE);
                inner = ts_node_named_child(p, 0);
            } else if (strcmp(t, "default_parameter") == 0 ||
                       strcmp(t, "typed_default_parameter") == 0) {
                q.name = field(p, F_NAME);
                q.annotation = field(p, F_TYPE);
                q.default_value = field(p, F_VALUE);
            } else if (strcmp(t, "list_splat_pattern") == 0 ||
                       strcmp(t, "dictionary_splat_pattern") == 0) {
                /* handled below through `inner` */
            } else {
                continue; /* comments, ERROR, tuple parameters of Python 2 */
            }
            if (ts_node_is_null(q.name)) {
                if (py_is(inner, "identifier")) {
                    q.name = inner;
                } else if (py_is(inner, "list_splat_pattern") ||
                           py_is(inner, "dictionary_splat_pattern")) {
                    q.kind =
                        py_is(inner, "list_splat_pattern") ? PY_PARAM_VARARGS : PY_PARAM_KWARGS;
                    TSNode id = ts_node_named_child(inner, 0);
                    if (!py_is(id, "identifier"))
                        continue;
                    q.name = id;
                } else {
                    continue;
                }
            }
            if (q.kind == PY_PARAM_VARARGS) {
                kwonly = true;
            } else if (q.kind != PY_PARAM_KWARGS && kwonly) {
                q.kind = PY_PARAM_KWONLY;
            }
            MG_GROW(v, cap, n + 1);
            v[n++] = q;
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
    if (def->kind == PY_METHOD && !(def->flags & PY_STATICMETHOD) && n > 0 &&
        (v[0].kind == PY_PARAM_PLAIN || v[0].kind == PY_PARAM_POSONLY))
        v[0].implicit = true;
    *out = v;
    return n;
}
