/* textDocument/documentSymbol: the outline of classes, functions and methods.
 * Walks statements only (expressions cannot hold a def), with an explicit
 * stack: 2,000 nested ifs must not exhaust the C stack. */
#include "internal.h"
#include "mg.h"

#include <stdlib.h>
#include <string.h>

enum { SYM_CLASS = 5, SYM_METHOD = 6, SYM_FUNCTION = 12 };

/* Node types whose children may be statements holding a definition. */
static bool holds_statements(const char *type)
{
    static const char *const types[] = {
        "module",        "block",          "if_statement",         "elif_clause",
        "else_clause",   "for_statement",  "while_statement",      "try_statement",
        "except_clause", "finally_clause", "with_statement",       "match_statement",
        "case_clause",   "ERROR",          "decorated_definition", "except_group_clause",
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(types); i++)
        if (strcmp(type, types[i]) == 0)
            return true;
    return false;
}

/* "(self, x: int = 0)" with runs of whitespace collapsed, at most 80 bytes. */
static char *signature(const struct doc *doc, TSNode params)
{
    struct mg_buf b = {0};
    uint32_t s = ts_node_start_byte(params), e = ts_node_end_byte(params);
    bool space = false;
    for (uint32_t i = s; i < e && b.len < 80; i++) {
        char c = doc->text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = true;
            continue;
        }
        if (space && b.len && b.data[b.len - 1] != '(' && c != ')')
            mg_buf_add(&b, " ", 1);
        space = false;
        mg_buf_add(&b, &c, 1);
    }
    if (b.len >= 80)
        mg_buf_adds(&b, "...");
    return mg_buf_detach(&b, NULL);
}

/* One class or function as a DocumentSymbol (or SymbolInformation when
 * `flat`); `whole` is the range to give (with the decorators). NULL when its
 * name is missing or cannot be sent. */
static json_t *symbol(const struct server *srv, const struct doc *doc, TSNode def, TSNode whole,
                      bool is_class, bool in_class, const char *container, bool flat)
{
    TSNode name = ts_node_child_by_field_name(def, "name", 4);
    if (ts_node_is_null(name) || ts_node_is_missing(name))
        return NULL;
    uint32_t ns = ts_node_start_byte(name), ne = ts_node_end_byte(name);
    char *sym_name = xstrndup(doc->text + ns, ne - ns);
    int kind = is_class ? SYM_CLASS : in_class ? SYM_METHOD : SYM_FUNCTION;
    json_t *range = srv_range(srv, doc, ts_node_start_byte(whole), ts_node_end_byte(whole));
    json_t *sym;
    if (flat) {
        sym = json_pack("{s:s, s:i, s:{s:s, s:o}}", "name", sym_name, "kind", kind, "location",
                        "uri", doc->uri, "range", range);
        if (sym && container)
            json_object_set_new(sym, "containerName", json_string(container));
    } else {
        sym = json_pack("{s:s, s:i, s:o, s:o, s:[]}", "name", sym_name, "kind", kind, "range",
                        range, "selectionRange", srv_range(srv, doc, ns, ne), "children");
        TSNode params = ts_node_child_by_field_name(def, "parameters", 10);
        if (sym && !is_class && !ts_node_is_null(params)) {
            char *sig = signature(doc, params);
            json_object_set_new(sym, "detail", json_string(sig));
            free(sig);
        }
    }
    free(sym_name);
    return sym;
}

/* What symbols found at one depth of the walk go into. */
struct frame {
    json_t *children;      /* borrowed: owned by the enclosing symbol or the result */
    const char *container; /* the enclosing definition's name, or NULL */
    bool in_class;         /* directly in a class body: functions are methods */
    bool in_def;           /* the children of a def: only its body leads on */
    bool decorated;        /* the children of a decorated_definition: `wrapper` */
    TSNode wrapper;
};

json_t *srv_document_symbols(const struct server *srv, const struct doc *doc)
{
    json_t *top = json_array();
    if (doc->tree == NULL)
        return top;
    bool flat = !srv->client_hierarchical_syms;
    /* A cursor walk: in tree-sitter 0.20.7 ts_node_named_child(i) and
     * ts_node_parent() are linear, which made a walk by index quadratic. */
    TSTreeCursor cur = ts_tree_cursor_new(ts_tree_root_node(doc->tree));
    struct frame *stack = NULL;
    size_t depth = 0, cap = 0;
    MG_GROW(stack, cap, 2);
    stack[0] = (struct frame){.children = top};
    if (!ts_tree_cursor_goto_first_child(&cur)) {
        ts_tree_cursor_delete(&cur);
        free(stack);
        return top;
    }
    depth = 1;
    stack[1] = stack[0];
    for (;;) {
        TSNode node = ts_tree_cursor_current_node(&cur);
        struct frame f = stack[depth];
        bool descend = false;
        struct frame inner = f;
        if (f.in_def) {
            /* Of a definition's children only its body can hold symbols. */
            const char *field = ts_tree_cursor_current_field_name(&cur);
            descend = field != NULL && strcmp(field, "body") == 0;
            inner.in_def = false;
            inner.decorated = false;
        } else if (ts_node_is_named(node)) {
            const char *type = ts_node_type(node);
            bool is_class = strcmp(type, "class_definition") == 0;
            bool is_func = strcmp(type, "function_definition") == 0;
            if (is_class || is_func) {
                /* The range covers the decorators too. */
                TSNode whole = f.decorated ? f.wrapper : node;
                json_t *sym =
                    symbol(srv, doc, node, whole, is_class, f.in_class, f.container, flat);
                if (sym != NULL) {
                    json_array_append_new(f.children, sym);
                    /* The symbol (owned by its parent array) keeps the name alive. */
                    inner = (struct frame){
                        .children = flat ? f.children : json_object_get(sym, "children"),
                        .container = json_string_value(json_object_get(sym, "name")),
                        .in_class = is_class,
                        .in_def = true,
                    };
                    descend = true;
                }
            } else {
                descend = holds_statements(type);
                inner.decorated = strcmp(type, "decorated_definition") == 0;
                inner.wrapper = node;
            }
        }
        if (descend && ts_tree_cursor_goto_first_child(&cur)) {
            MG_GROW(stack, cap, depth + 2);
            stack[++depth] = inner;
            continue;
        }
        /* Next sibling, or climb until there is one. */
        while (!ts_tree_cursor_goto_next_sibling(&cur)) {
            if (depth == 1 || !ts_tree_cursor_goto_parent(&cur)) {
                ts_tree_cursor_delete(&cur);
                free(stack);
                return top;
            }
            depth--;
        }
    }
}
