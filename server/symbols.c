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

struct frame {
    TSNode node;
    uint32_t next, count; /* the next named child to visit */
    json_t *children;     /* where symbols found under `node` go (borrowed) */
    const char *container;
    bool in_class; /* directly in a class body: functions are methods */
};

static void push(struct frame **stack, size_t *n, size_t *cap, TSNode node, json_t *children,
                 const char *container, bool in_class)
{
    MG_GROW(*stack, *cap, *n + 1);
    (*stack)[(*n)++] =
        (struct frame){node, 0, ts_node_named_child_count(node), children, container, in_class};
}

/* One class or function as a DocumentSymbol (or SymbolInformation when
 * `flat`); NULL when its name is missing or cannot be sent. */
static json_t *symbol(const struct server *srv, const struct doc *doc, TSNode def, bool is_class,
                      bool in_class, const char *container, bool flat)
{
    TSNode name = ts_node_child_by_field_name(def, "name", 4);
    if (ts_node_is_null(name) || ts_node_is_missing(name))
        return NULL;
    /* The range covers the decorators too. */
    TSNode whole = def;
    TSNode parent = ts_node_parent(def);
    if (!ts_node_is_null(parent) && strcmp(ts_node_type(parent), "decorated_definition") == 0)
        whole = parent;
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

json_t *srv_document_symbols(const struct server *srv, const struct doc *doc)
{
    json_t *top = json_array();
    if (doc->tree == NULL)
        return top;
    bool flat = !srv->client_hierarchical_syms;
    struct frame *stack = NULL;
    size_t n = 0, cap = 0;
    push(&stack, &n, &cap, ts_tree_root_node(doc->tree), top, NULL, false);
    while (n > 0) {
        struct frame *f = &stack[n - 1];
        if (f->next == f->count) {
            n--;
            continue;
        }
        TSNode child = ts_node_named_child(f->node, f->next++);
        const char *type = ts_node_type(child);
        bool is_class = strcmp(type, "class_definition") == 0;
        bool is_func = strcmp(type, "function_definition") == 0;
        /* Copy what push() may move before using it. */
        json_t *children = f->children;
        const char *container = f->container;
        bool in_class = f->in_class;
        if (!is_class && !is_func) {
            if (holds_statements(type))
                push(&stack, &n, &cap, child, children, container, in_class);
            continue;
        }
        json_t *sym = symbol(srv, doc, child, is_class, in_class, container, flat);
        if (sym == NULL)
            continue;
        json_array_append_new(children, sym);
        TSNode body = ts_node_child_by_field_name(child, "body", 4);
        if (!ts_node_is_null(body)) {
            /* The symbol (owned by its parent array) keeps the name alive. */
            const char *name = json_string_value(json_object_get(sym, "name"));
            push(&stack, &n, &cap, body, flat ? children : json_object_get(sym, "children"), name,
                 is_class);
        }
    }
    free(stack);
    return top;
}
