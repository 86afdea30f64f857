/* Module summaries (see summary.h). One TSTreeCursor walk over the whole
 * tree with a heap stack of frames (one per depth), so any nesting costs
 * memory, not C stack. Expressions are walked too: calls live in them.
 * ERROR subtrees and lambda bodies are not entered. */
#include "summary.h"
#include "exc_common.h"
#include "mg.h"
#include "pyast.h"

#include <stdlib.h>
#include <string.h>

/* What holds for the children of the node at one depth. */
struct frame {
    int32_t func;         /* the function whose code this is, or SUM_NONE */
    int32_t cls_scope;    /* the class whose body this is directly, or SUM_NONE */
    int32_t cls;          /* the class of the nearest method around, or SUM_NONE */
    int32_t ctx;          /* the innermost try body around, in `func` */
    int32_t try_made;     /* a try statement's own context (for its body block) */
    int32_t h_ctx, h_idx; /* the innermost handler around, in `func` */
    int32_t h_seen;       /* a try statement: its handlers met so far */
    TSNode h_name;        /* its bound name */
    bool in_raise;        /* a raise statement: its direct call is the raised class */
};

struct walk {
    const struct pdoc *doc;
    struct sum_module *m;
    /* Lazy mode: function bodies are walked only when wanted; `defs` holds
     * each function's node (by index) until then. */
    bool lazy;
    TSNode *defs;
    size_t cap_defs;
};

/* The 0-based line and UTF-16 column where `n` starts. */
static void node_pos(const struct pdoc *doc, TSNode n, uint32_t *line, uint32_t *col16)
{
    TSPoint pt = ts_node_start_point(n);
    uint32_t at = ts_node_start_byte(n);
    *line = pt.row;
    uint32_t from = pt.column <= at ? at - pt.column : 0, units = 0;
    for (uint32_t i = from; i < at && i < doc->len; i++) {
        unsigned char ch = (unsigned char)doc->text[i];
        if ((ch & 0xC0) != 0x80)
            units += ch >= 0xF0 ? 2 : 1;
    }
    *col16 = units;
}

static char *node_dup(const struct pdoc *doc, TSNode n)
{
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    if (e > doc->len)
        e = (uint32_t)doc->len;
    if (s > e)
        s = e;
    return xstrndup(doc->text + s, e - s);
}

/* The text of `n` without blanks, line continuations and comments. */
static char *clean_dup(const struct pdoc *doc, TSNode n)
{
    char *raw = node_dup(doc, n), *w = raw;
    bool comment = false;
    for (const char *r = raw; *r; r++) {
        if (comment) {
            comment = *r != '\n';
            continue;
        }
        if (*r == '#')
            comment = true;
        else if (*r != ' ' && *r != '\t' && *r != '\n' && *r != '\r' && *r != '\\')
            *w++ = *r;
    }
    *w = '\0';
    return raw;
}

/* The dotted text of an identifier or attribute chain of identifiers
 * (`a.b.c`, spaces and comments removed), or NULL. Bounded by the node's
 * size; iterative. */
static char *dotted(const struct pdoc *doc, TSNode n)
{
    n = exc_unparen(n);
    if (ts_node_is_null(n))
        return NULL;
    enum exc_kind k = exc_kind_of(n);
    if (k == EXC_K_IDENTIFIER)
        return node_dup(doc, n);
    if (k != EXC_K_ATTRIBUTE)
        return NULL;
    /* Check the chain is identifiers only, then copy without blanks. */
    TSNode cur = n;
    size_t parts = 0;
    while (exc_kind_of(cur) == EXC_K_ATTRIBUTE) {
        TSNode a = ts_node_child_by_field_name(cur, "attribute", 9);
        if (ts_node_is_null(a) || exc_kind_of(a) != EXC_K_IDENTIFIER || ++parts > 64)
            return NULL;
        cur = ts_node_child_by_field_name(cur, "object", 6);
        if (ts_node_is_null(cur))
            return NULL;
    }
    if (exc_kind_of(cur) != EXC_K_IDENTIFIER)
        return NULL;
    return clean_dup(doc, n);
}

char *sum_relative(const struct sum_module *m, const char *rel, size_t len)
{
    size_t dots = 0;
    while (dots < len && rel[dots] == '.')
        dots++;
    if (dots == 0)
        return xstrndup(rel, len);
    /* The package the module is in: a package is its own. */
    size_t base = strlen(m->name);
    size_t up = m->is_package ? dots - 1 : dots;
    for (size_t i = 0; i < up; i++) {
        while (base > 0 && m->name[base - 1] != '.')
            base--;
        if (base == 0)
            return NULL;
        base--; /* drop the dot */
    }
    if (base == 0 && dots - (m->is_package ? 1 : 0) > 0 && up > 0)
        return NULL;
    struct mg_buf b = {0};
    mg_buf_add(&b, m->name, base);
    if (len > dots) {
        if (base > 0)
            mg_buf_adds(&b, ".");
        mg_buf_add(&b, rel + dots, len - dots);
    }
    return mg_buf_detach(&b, NULL);
}

static void add_import(struct sum_module *m, char *local, char *target)
{
    if (local == NULL || target == NULL) {
        free(local);
        free(target);
        return;
    }
    MG_GROW(m->imports, m->cap_imports, m->n_imports + 1);
    m->imports[m->n_imports++] = (struct sum_import){local, target};
}

/* `import a.b` binds a -> a; `import a.b as x` binds x -> a.b. */
static void note_import(struct walk *w, TSNode stmt)
{
    struct exc_kids k;
    TSNode ch;
    exc_kids_begin(&k, stmt);
    while (exc_kids_next(&k, &ch)) {
        if (py_is(ch, "dotted_name")) {
            char *full = clean_dup(w->doc, ch);
            char *dot = strchr(full, '.');
            char *local = xstrndup(full, dot ? (size_t)(dot - full) : strlen(full));
            char *target = xstrdup(local);
            free(full);
            add_import(w->m, local, target);
        } else if (py_is(ch, "aliased_import")) {
            TSNode name = ts_node_child_by_field_name(ch, "name", 4);
            TSNode alias = ts_node_child_by_field_name(ch, "alias", 5);
            if (!ts_node_is_null(name) && !ts_node_is_null(alias))
                add_import(w->m, node_dup(w->doc, alias), clean_dup(w->doc, name));
        }
    }
    exc_kids_end(&k);
}

/* `from M import a, b as c` binds a -> M.a, c -> M.b (M made absolute). */
static void note_import_from(struct walk *w, TSNode stmt)
{
    struct exc_kids k;
    TSNode ch;
    char *mod = NULL;
    bool first = true;
    exc_kids_begin(&k, stmt);
    while (exc_kids_next(&k, &ch)) {
        if (first) {
            first = false;
            char *raw = clean_dup(w->doc, ch);
            mod = sum_relative(w->m, raw, strlen(raw));
            free(raw);
            if (mod == NULL)
                break;
            continue;
        }
        TSNode name = ch, alias = ch;
        if (py_is(ch, "aliased_import")) {
            name = ts_node_child_by_field_name(ch, "name", 4);
            alias = ts_node_child_by_field_name(ch, "alias", 5);
        } else if (!py_is(ch, "dotted_name")) {
            continue;
        }
        if (ts_node_is_null(name) || ts_node_is_null(alias))
            continue;
        char *member = clean_dup(w->doc, name);
        char *target = mod[0] ? xasprintf("%s.%s", mod, member) : xstrdup(member);
        free(member);
        add_import(w->m, clean_dup(w->doc, alias), target);
    }
    exc_kids_end(&k);
    free(mod);
}

static void note_import_stmt(struct walk *w, TSNode stmt)
{
    if (py_is(stmt, "import_from_statement"))
        note_import_from(w, stmt);
    else
        note_import(w, stmt);
}

/* Statements at module or class level worth entering. */
static bool holds_definitions(enum exc_kind k)
{
    switch (k) {
    case EXC_K_BLOCK:
    case EXC_K_TRY:
    case EXC_K_EXCEPT:
    case EXC_K_EXCEPT_GROUP:
    case EXC_K_ELSE:
    case EXC_K_FINALLY:
    case EXC_K_FUNCDEF:
    case EXC_K_CLASSDEF:
    case EXC_K_DECORATED:
    case EXC_K_WITH:
    case EXC_K_COMPOUND:
        return true;
    default:
        return false;
    }
}

/* Whether `n` certainly holds no call: no '(' in its text. Only asked of
 * nodes up to 4 KiB, so that deep nesting cannot make it quadratic. */
static bool no_call_in(const struct pdoc *doc, TSNode n)
{
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    if (e > doc->len || e - s > 4096)
        return false;
    return memchr(doc->text + s, '(', e - s) == NULL;
}

static int32_t add_try(struct sum_func *f, int32_t parent)
{
    MG_GROW(f->tries, f->cap_tries, f->n_tries + 1);
    f->tries[f->n_tries] = (struct sum_try){.parent = parent};
    return (int32_t)f->n_tries++;
}

static void handler_add_type(struct sum_handler *h, char *name)
{
    if (name == NULL) {
        h->catch_all = true; /* `except errors:` a variable; we cannot tell what it holds */
        return;
    }
    h->types = xrealloc(h->types, (h->n_types + 1) * sizeof(*h->types));
    h->types[h->n_types++] = name;
}

/* The handlers of `try_stmt`, in order, into context `ctx` of `f`. */
static void note_handlers(struct walk *w, struct sum_func *f, int32_t ctx, TSNode try_stmt)
{
    struct exc_kids k;
    TSNode ch;
    exc_kids_begin(&k, try_stmt);
    while (exc_kids_next(&k, &ch)) {
        enum exc_kind kind = exc_kind_of(ch);
        if (kind != EXC_K_EXCEPT && kind != EXC_K_EXCEPT_GROUP)
            continue;
        struct sum_try *t = &f->tries[ctx];
        t->handlers = xrealloc(t->handlers, (t->n_handlers + 1) * sizeof(*t->handlers));
        struct sum_handler *h = &t->handlers[t->n_handlers++];
        memset(h, 0, sizeof(*h));
        struct exc_handler eh;
        if (!exc_handler_parse(ch, &eh))
            continue; /* catches nothing we can name, and nothing for sure */
        if (ts_node_is_null(eh.type)) {
            h->catch_all = true;
            continue;
        }
        if (exc_kind_of(eh.type) != EXC_K_TUPLE) {
            handler_add_type(h, dotted(w->doc, eh.type));
            continue;
        }
        /* Tuples nest without bound: an explicit stack. */
        TSNode *stack = NULL;
        size_t n = 0, cap = 0;
        MG_GROW(stack, cap, 1);
        stack[n++] = eh.type;
        while (n > 0) {
            TSNode tup = stack[--n];
            struct exc_kids e;
            TSNode el;
            exc_kids_begin(&e, tup);
            while (exc_kids_next(&e, &el)) {
                el = exc_unparen(el);
                if (exc_kind_of(el) == EXC_K_TUPLE) {
                    MG_GROW(stack, cap, n + 1);
                    stack[n++] = el;
                } else {
                    handler_add_type(h, dotted(w->doc, el));
                }
            }
            exc_kids_end(&e);
        }
        free(stack);
    }
    exc_kids_end(&k);
}

static void mark_transparent(struct sum_module *m, const struct frame *p)
{
    if (p->func < 0 || p->h_ctx < 0)
        return;
    struct sum_try *t = &m->funcs[p->func].tries[p->h_ctx];
    if ((size_t)p->h_idx < t->n_handlers)
        t->handlers[p->h_idx].transparent = true;
}

static bool same_text(const struct pdoc *doc, TSNode a, TSNode b)
{
    uint32_t as = ts_node_start_byte(a), ae = ts_node_end_byte(a);
    uint32_t bs = ts_node_start_byte(b), be = ts_node_end_byte(b);
    return ae - as == be - bs && ae <= doc->len && be <= doc->len &&
           memcmp(doc->text + as, doc->text + bs, ae - as) == 0;
}

static void note_raise(struct walk *w, const struct frame *p, TSNode n)
{
    struct sum_module *m = w->m;
    TSNode exc, cause;
    exc_raise_parse(n, &exc, &cause);
    if (ts_node_is_null(exc)) {
        if (ts_node_is_null(cause))
            mark_transparent(m, p); /* bare raise */
        return;
    }
    if (p->h_ctx >= 0 && !ts_node_is_null(p->h_name) && exc_kind_of(exc) == EXC_K_IDENTIFIER &&
        same_text(w->doc, exc, p->h_name)) {
        mark_transparent(m, p); /* raise err */
        return;
    }
    TSNode cls = exc_unparen(exc);
    if (exc_kind_of(cls) == EXC_K_CALL)
        cls = ts_node_child_by_field_name(cls, "function", 8);
    struct sum_func *f = &m->funcs[p->func];
    MG_GROW(f->raises, f->cap_raises, f->n_raises + 1);
    f->raises[f->n_raises++] = (struct sum_raise){
        .type = dotted(w->doc, cls),
        .start = ts_node_start_byte(n),
        .end = ts_node_end_byte(n),
        .ctx = p->ctx,
    };
    node_pos(w->doc, n, &f->raises[f->n_raises - 1].line, &f->raises[f->n_raises - 1].col16);
}

static void note_call(struct walk *w, const struct frame *p, TSNode call)
{
    TSNode fn = ts_node_child_by_field_name(call, "function", 8);
    if (ts_node_is_null(fn))
        return;
    struct sum_call c = {.kind = SUM_CALL_OTHER,
                         .start = ts_node_start_byte(fn),
                         .end = ts_node_end_byte(fn),
                         .ctx = p->ctx};
    node_pos(w->doc, fn, &c.line, &c.col16);
    fn = exc_unparen(fn);
    if (exc_kind_of(fn) == EXC_K_IDENTIFIER) {
        c.kind = SUM_CALL_NAME;
        c.name = node_dup(w->doc, fn);
    } else if (exc_kind_of(fn) == EXC_K_ATTRIBUTE) {
        TSNode obj = exc_unparen(ts_node_child_by_field_name(fn, "object", 6));
        TSNode attr = ts_node_child_by_field_name(fn, "attribute", 9);
        if (!ts_node_is_null(obj) && !ts_node_is_null(attr)) {
            if (exc_kind_of(obj) == EXC_K_CALL) {
                TSNode sfn = ts_node_child_by_field_name(obj, "function", 8);
                if (exc_kind_of(sfn) == EXC_K_IDENTIFIER && py_text_eq(w->doc, sfn, "super")) {
                    c.kind = SUM_CALL_SUPER;
                    c.name = node_dup(w->doc, attr);
                }
            } else if (exc_kind_of(obj) == EXC_K_IDENTIFIER && py_text_eq(w->doc, obj, "self")) {
                c.kind = SUM_CALL_SELF;
                c.name = node_dup(w->doc, attr);
            } else if (exc_kind_of(obj) == EXC_K_IDENTIFIER && py_text_eq(w->doc, obj, "cls")) {
                c.kind = SUM_CALL_CLS;
                c.name = node_dup(w->doc, attr);
            } else if ((c.name = dotted(w->doc, fn)) != NULL) {
                c.kind = SUM_CALL_DOTTED;
            }
        }
    }
    struct sum_func *f = &w->m->funcs[p->func];
    MG_GROW(f->calls, f->cap_calls, f->n_calls + 1);
    f->calls[f->n_calls++] = c;
}

static const char *prefix_of(const struct sum_module *m, const struct frame *p)
{
    if (p->cls_scope >= 0)
        return m->classes[p->cls_scope].qname;
    if (p->func >= 0)
        return m->funcs[p->func].qname;
    return m->name;
}

static int32_t note_function(struct walk *w, const struct frame *p, TSNode n)
{
    struct sum_module *m = w->m;
    TSNode name = ts_node_child_by_field_name(n, "name", 4);
    if (ts_node_is_null(name))
        return SUM_NONE;
    char *id = node_dup(w->doc, name);
    MG_GROW(m->funcs, m->cap_funcs, m->n_funcs + 1);
    struct sum_func *f = &m->funcs[m->n_funcs];
    memset(f, 0, sizeof(*f));
    f->qname = xasprintf("%s.%s", prefix_of(m, p), id);
    free(id);
    f->name_start = ts_node_start_byte(name);
    f->name_end = ts_node_end_byte(name);
    f->def_start = ts_node_start_byte(n);
    f->is_method = p->cls_scope >= 0;
    f->cls = f->is_method ? p->cls_scope : p->cls;
    f->parent = p->func;
    return (int32_t)m->n_funcs++;
}

static int32_t note_class(struct walk *w, const struct frame *p, TSNode n)
{
    struct sum_module *m = w->m;
    TSNode name = ts_node_child_by_field_name(n, "name", 4);
    if (ts_node_is_null(name))
        return SUM_NONE;
    char *id = node_dup(w->doc, name);
    MG_GROW(m->classes, m->cap_classes, m->n_classes + 1);
    struct sum_class *c = &m->classes[m->n_classes];
    memset(c, 0, sizeof(*c));
    c->qname = xasprintf("%s.%s", prefix_of(m, p), id);
    free(id);
    c->name_start = ts_node_start_byte(name);
    c->name_end = ts_node_end_byte(name);
    TSNode sup = ts_node_child_by_field_name(n, "superclasses", 12);
    if (!ts_node_is_null(sup)) {
        struct exc_kids k;
        TSNode b;
        exc_kids_begin(&k, sup);
        while (exc_kids_next(&k, &b)) {
            char *d = dotted(w->doc, b);
            if (d == NULL)
                continue;
            c->bases = xrealloc(c->bases, (c->n_bases + 1) * sizeof(*c->bases));
            c->bases[c->n_bases++] = d;
        }
        exc_kids_end(&k);
    }
    return (int32_t)m->n_classes++;
}

/* Walk the descendants of `root` with `top` as the frame of `root`
 * itself. */
static void walk_tree(struct walk *w, TSNode root, struct frame top)
{
    const struct pdoc *doc = w->doc;
    struct sum_module *m = w->m;
    struct frame *st = NULL;
    size_t cap = 0;
    MG_GROW(st, cap, 1);
    st[0] = top;
    TSTreeCursor cur = ts_tree_cursor_new(root);
    size_t depth = 0;
    if (!ts_tree_cursor_goto_first_child(&cur))
        goto out;
    depth = 1;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        struct frame *p = &st[depth - 1];
        struct frame f = *p;
        f.try_made = SUM_NONE;
        f.in_raise = false;
        bool descend = ts_node_is_named(n);
        enum exc_kind kind = exc_kind_of(n);
        if (p->func < 0 && !holds_definitions(kind)) {
            /* Module and class level: only definitions, imports and the
             * statements that may hold them matter. */
            if (kind == EXC_K_IMPORT && p->cls_scope < 0)
                note_import_stmt(w, n);
            descend = false;
            kind = EXC_K_OTHER;
        } else if (p->func >= 0 && !holds_definitions(kind) && kind != EXC_K_RAISE &&
                   kind != EXC_K_CALL && descend && no_call_in(doc, n)) {
            descend = false; /* an expression or simple statement without a call */
        }
        switch (kind) {
        case EXC_K_ERROR:
        case EXC_K_LAMBDA:
        case EXC_K_STRING:
            descend = false;
            break;
        case EXC_K_FUNCDEF: {
            int32_t i = note_function(w, p, n);
            if (i < 0) {
                descend = false;
                break;
            }
            f.func = i;
            f.cls = m->funcs[i].cls;
            if (w->lazy) {
                MG_GROW(w->defs, w->cap_defs, (size_t)i + 1);
                w->defs[i] = n;
                descend = false;
                break;
            }
            m->funcs[i].walked = true;
            f.cls_scope = SUM_NONE;
            f.ctx = f.h_ctx = SUM_NONE;
            f.h_name = (TSNode){0};
            break;
        }
        case EXC_K_CLASSDEF: {
            int32_t i = note_class(w, p, n);
            if (i < 0) {
                descend = false;
                break;
            }
            f.func = SUM_NONE; /* a class body is not its function's code */
            f.cls_scope = i;
            f.ctx = f.h_ctx = SUM_NONE;
            break;
        }
        case EXC_K_TRY:
            if (p->func >= 0) {
                f.try_made = add_try(&m->funcs[p->func], p->ctx);
                f.h_seen = 0;
                note_handlers(w, &m->funcs[p->func], f.try_made, n);
            }
            break;
        case EXC_K_BLOCK:
            if (p->try_made >= 0)
                f.ctx = p->try_made;
            break;
        case EXC_K_EXCEPT:
        case EXC_K_EXCEPT_GROUP:
            if (p->try_made >= 0) {
                struct exc_handler eh;
                f.h_ctx = p->try_made;
                f.h_idx = p->h_seen++;
                f.h_name = exc_handler_parse(n, &eh) ? eh.name : (TSNode){0};
            }
            break;
        case EXC_K_RAISE:
            if (p->func >= 0) {
                note_raise(w, p, n);
                f.in_raise = true;
            }
            break;
        case EXC_K_WITH:
            if (p->func >= 0 && p->h_ctx >= 0 &&
                exc_with_is_save_and_reraise(doc->text, (uint32_t)doc->len, n))
                mark_transparent(m, p);
            break;
        case EXC_K_CALL:
            if (p->func >= 0 && !p->in_raise)
                note_call(w, p, n);
            break;
        default:
            break;
        }
        if (descend && ts_tree_cursor_goto_first_child(&cur)) {
            MG_GROW(st, cap, depth + 1);
            st[depth++] = f;
            continue;
        }
        while (!ts_tree_cursor_goto_next_sibling(&cur)) {
            if (depth <= 1 || !ts_tree_cursor_goto_parent(&cur))
                goto out;
            depth--;
        }
    }
out:
    ts_tree_cursor_delete(&cur);
    free(st);
}

static struct sum_module *module_new(const struct pdoc *doc, const char *name, bool is_package)
{
    struct sum_module *m = xcalloc(1, sizeof(*m));
    m->name = xstrdup(name ? name : "");
    m->path = doc->path ? xstrdup(doc->path) : NULL;
    m->is_package = is_package;
    return m;
}

static const struct frame root_frame = {.func = SUM_NONE,
                                        .cls_scope = SUM_NONE,
                                        .cls = SUM_NONE,
                                        .ctx = SUM_NONE,
                                        .try_made = SUM_NONE,
                                        .h_ctx = SUM_NONE};

struct sum_module *sum_build(const struct pdoc *doc, const char *name, bool is_package)
{
    struct sum_module *m = module_new(doc, name, is_package);
    if (doc->tree != NULL) {
        struct walk w = {.doc = doc, .m = m};
        walk_tree(&w, ts_tree_root_node(doc->tree), root_frame);
    }
    return m;
}

static const char *last_part(const char *q)
{
    const char *d = strrchr(q, '.');
    return d ? d + 1 : q;
}

/* Walk the body of function `i` (lazy mode), once. */
static void walk_function(struct walk *w, size_t i)
{
    struct sum_func *f = &w->m->funcs[i];
    if (f->walked)
        return;
    f->walked = true;
    struct frame top = root_frame;
    top.func = (int32_t)i;
    top.cls = f->cls;
    walk_tree(w, w->defs[i], top);
}

/* Names (borrowed) with the index of what bears them, sorted by name. */
struct by_name {
    struct named {
        const char *name;
        size_t i;
    } * v;
    size_t n, cap;
};

static void by_name_add(struct by_name *b, const char *name, size_t i)
{
    MG_GROW(b->v, b->cap, b->n + 1);
    b->v[b->n].name = name;
    b->v[b->n++].i = i;
}

static int named_cmp(const void *x, const void *y)
{
    const struct named *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c != 0 ? c : (a->i > b->i) - (a->i < b->i);
}

static void by_name_sort(struct by_name *b)
{
    if (b->n > 1)
        qsort(b->v, b->n, sizeof(*b->v), named_cmp);
}

/* The first entry named `name`, or b->n. */
static size_t by_name_find(const struct by_name *b, const char *name)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(b->v[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->n && strcmp(b->v[lo].name, name) == 0 ? lo : b->n;
}

struct sum_module *sum_build_for(const struct pdoc *doc, const char *name, bool is_package,
                                 const uint32_t *wanted, size_t n_wanted)
{
    struct sum_module *m = module_new(doc, name, is_package);
    if (doc->tree == NULL)
        return m;
    struct walk w = {.doc = doc, .m = m, .lazy = true};
    walk_tree(&w, ts_tree_root_node(doc->tree), root_frame);
    /* A worklist over functions: the wanted ones, then every function of
     * this module whose name one of the walked ones calls (by last name:
     * over-approximating costs a walk, never a wrong answer). */
    size_t *work = NULL, n_work = 0, cap_work = 0;
    for (size_t i = 0; i < m->n_funcs; i++)
        for (size_t k = 0; k < n_wanted; k++)
            if (m->funcs[i].def_start == wanted[k]) {
                MG_GROW(work, cap_work, n_work + 1);
                work[n_work++] = i;
            }
    bool *queued = m->n_funcs ? xcalloc(m->n_funcs, sizeof(*queued)) : NULL;
    for (size_t k = 0; k < n_work; k++)
        queued[work[k]] = true;
    /* The functions and classes by last name, for the calls' lookups;
     * functions nested in walked ones come later and are searched apart. */
    struct by_name funcs = {0}, classes = {0};
    for (size_t i = 0; i < m->n_funcs; i++)
        by_name_add(&funcs, last_part(m->funcs[i].qname), i);
    for (size_t i = 0; i < m->n_classes; i++)
        by_name_add(&classes, last_part(m->classes[i].qname), i);
    by_name_sort(&funcs);
    by_name_sort(&classes);
    size_t indexed = m->n_funcs;
    bool inits_queued = false;
    for (size_t k = 0; k < n_work; k++) {
        size_t before = m->n_funcs;
        walk_function(&w, work[k]);
        if (m->n_funcs > before) { /* nested functions found */
            queued = xrealloc(queued, m->n_funcs * sizeof(*queued));
            memset(queued + before, 0, (m->n_funcs - before) * sizeof(*queued));
        }
        const struct sum_func *f = &m->funcs[work[k]];
        for (size_t c = 0; c < f->n_calls; c++) {
            if (f->calls[c].name == NULL)
                continue;
            const char *want = last_part(f->calls[c].name);
            /* `Cls(...)` runs an __init__, maybe a base class's: any. */
            bool init =
                (f->calls[c].kind == SUM_CALL_NAME || f->calls[c].kind == SUM_CALL_DOTTED) &&
                by_name_find(&classes, want) < classes.n;
            for (int pass = 0; pass < 1 + init; pass++) {
                const char *callee = pass == 0 ? want : "__init__";
                /* The indexed __init__s need queueing once. */
                if (pass == 0 || !inits_queued)
                    for (size_t j = by_name_find(&funcs, callee);
                         j < funcs.n && strcmp(funcs.v[j].name, callee) == 0; j++)
                        if (!queued[funcs.v[j].i]) {
                            queued[funcs.v[j].i] = true;
                            MG_GROW(work, cap_work, n_work + 1);
                            work[n_work++] = funcs.v[j].i;
                        }
                for (size_t i = indexed; i < m->n_funcs; i++)
                    if (!queued[i] && strcmp(last_part(m->funcs[i].qname), callee) == 0) {
                        queued[i] = true;
                        MG_GROW(work, cap_work, n_work + 1);
                        work[n_work++] = i;
                    }
            }
            inits_queued |= init;
            f = &m->funcs[work[k]]; /* funcs may have moved */
        }
    }
    free(funcs.v);
    free(classes.v);
    free(queued);
    free(work);
    free(w.defs);
    return m;
}

const char *sum_import_find(const struct sum_module *m, const char *local, size_t len)
{
    /* Later bindings win, as at run time. */
    for (size_t i = m->n_imports; i-- > 0;)
        if (strlen(m->imports[i].local) == len && memcmp(m->imports[i].local, local, len) == 0)
            return m->imports[i].target;
    return NULL;
}

void sum_free(struct sum_module *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_imports; i++) {
        free(m->imports[i].local);
        free(m->imports[i].target);
    }
    free(m->imports);
    for (size_t i = 0; i < m->n_classes; i++) {
        for (size_t j = 0; j < m->classes[i].n_bases; j++)
            free(m->classes[i].bases[j]);
        free(m->classes[i].bases);
        free(m->classes[i].qname);
    }
    free(m->classes);
    for (size_t i = 0; i < m->n_funcs; i++) {
        struct sum_func *f = &m->funcs[i];
        free(f->qname);
        for (size_t j = 0; j < f->n_raises; j++)
            free(f->raises[j].type);
        free(f->raises);
        for (size_t j = 0; j < f->n_calls; j++)
            free(f->calls[j].name);
        free(f->calls);
        for (size_t j = 0; j < f->n_tries; j++) {
            for (size_t k = 0; k < f->tries[j].n_handlers; k++) {
                for (size_t t = 0; t < f->tries[j].handlers[k].n_types; t++)
                    free(f->tries[j].handlers[k].types[t]);
                free(f->tries[j].handlers[k].types);
            }
            free(f->tries[j].handlers);
        }
        free(f->tries);
    }
    free(m->funcs);
    free(m->name);
    free(m->path);
    free(m);
}
