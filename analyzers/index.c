/* The workspace index and the escape analysis (see index.h).
 *
 * A "universe" is a set of function nodes whose escape sets are computed
 * together: the whole index at idx_finish(), or one module for a view. A
 * node's callees may live in another universe (a view calls into the
 * index): those are final and never recomputed. Escape entries record how
 * the type got there (a raise of the function, or a call and the callee it
 * came from); entries are only ever added after the callee's, so following
 * them is a finite walk (also bounded by IDX_MAX_PATH). */
#include "index.h"
#include "mg.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define IDX_MAX_HOPS  8  /* re-export chains */
#define IDX_MAX_CLASS 64 /* classes visited for one subclass or method query */

/* ---- a string-keyed hash map ------------------------------------------- */

struct map_ent {
    const char *key; /* borrowed */
    void *val;
};

struct map {
    struct map_ent *slots;
    size_t cap, n;
};

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void *map_getn(const struct map *t, const char *s, size_t n)
{
    if (t->cap == 0)
        return NULL;
    for (size_t i = hash_str(s, n) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        const struct map_ent *e = &t->slots[i];
        if (e->key == NULL)
            return NULL;
        if (strncmp(e->key, s, n) == 0 && e->key[n] == '\0')
            return e->val;
    }
}

static void *map_get(const struct map *t, const char *s)
{
    return map_getn(t, s, strlen(s));
}

/* Add unless present (the first binding wins). */
static void map_put(struct map *t, const char *key, void *val)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct map_ent *slots = xcalloc(cap, sizeof(*slots));
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slots[i].key == NULL)
                continue;
            size_t j = hash_str(t->slots[i].key, strlen(t->slots[i].key)) & (cap - 1);
            while (slots[j].key != NULL)
                j = (j + 1) & (cap - 1);
            slots[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    size_t n = strlen(key);
    size_t i = hash_str(key, n) & (t->cap - 1);
    while (t->slots[i].key != NULL) {
        if (strcmp(t->slots[i].key, key) == 0)
            return;
        i = (i + 1) & (t->cap - 1);
    }
    t->slots[i] = (struct map_ent){key, val};
    t->n++;
}

static void map_release(struct map *t)
{
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* Interned strings: one copy each, stable pointers. */
struct pool {
    struct map set;
};

static const char *intern(struct pool *p, const char *s)
{
    const char *have = map_get(&p->set, s);
    if (have != NULL)
        return have;
    char *copy = xstrdup(s);
    map_put(&p->set, copy, copy);
    return copy;
}

static void pool_release(struct pool *p)
{
    for (size_t i = 0; i < p->set.cap; i++)
        free(p->set.slots[i].val);
    map_release(&p->set);
}

/* ---- Python's built-in exceptions (3.11), child -> parent -------------- */

static const char *const builtin_exc[][2] = {
    {"BaseException", NULL},
    {"BaseExceptionGroup", "BaseException"},
    {"GeneratorExit", "BaseException"},
    {"KeyboardInterrupt", "BaseException"},
    {"SystemExit", "BaseException"},
    {"Exception", "BaseException"},
    {"ArithmeticError", "Exception"},
    {"FloatingPointError", "ArithmeticError"},
    {"OverflowError", "ArithmeticError"},
    {"ZeroDivisionError", "ArithmeticError"},
    {"AssertionError", "Exception"},
    {"AttributeError", "Exception"},
    {"BufferError", "Exception"},
    {"EOFError", "Exception"},
    {"ExceptionGroup", "Exception"}, /* also BaseExceptionGroup */
    {"ImportError", "Exception"},
    {"ModuleNotFoundError", "ImportError"},
    {"LookupError", "Exception"},
    {"IndexError", "LookupError"},
    {"KeyError", "LookupError"},
    {"MemoryError", "Exception"},
    {"NameError", "Exception"},
    {"UnboundLocalError", "NameError"},
    {"OSError", "Exception"},
    {"EnvironmentError", "Exception"}, /* an alias of OSError */
    {"IOError", "Exception"},          /* an alias of OSError */
    {"BlockingIOError", "OSError"},
    {"ChildProcessError", "OSError"},
    {"ConnectionError", "OSError"},
    {"BrokenPipeError", "ConnectionError"},
    {"ConnectionAbortedError", "ConnectionError"},
    {"ConnectionRefusedError", "ConnectionError"},
    {"ConnectionResetError", "ConnectionError"},
    {"FileExistsError", "OSError"},
    {"FileNotFoundError", "OSError"},
    {"InterruptedError", "OSError"},
    {"IsADirectoryError", "OSError"},
    {"NotADirectoryError", "OSError"},
    {"PermissionError", "OSError"},
    {"ProcessLookupError", "OSError"},
    {"TimeoutError", "OSError"},
    {"ReferenceError", "Exception"},
    {"RuntimeError", "Exception"},
    {"NotImplementedError", "RuntimeError"},
    {"RecursionError", "RuntimeError"},
    {"StopAsyncIteration", "Exception"},
    {"StopIteration", "Exception"},
    {"SyntaxError", "Exception"},
    {"IndentationError", "SyntaxError"},
    {"TabError", "IndentationError"},
    {"SystemError", "Exception"},
    {"TypeError", "Exception"},
    {"ValueError", "Exception"},
    {"UnicodeError", "ValueError"},
    {"UnicodeDecodeError", "UnicodeError"},
    {"UnicodeEncodeError", "UnicodeError"},
    {"UnicodeTranslateError", "UnicodeError"},
    {"Warning", "Exception"},
    {"BytesWarning", "Warning"},
    {"DeprecationWarning", "Warning"},
    {"EncodingWarning", "Warning"},
    {"FutureWarning", "Warning"},
    {"ImportWarning", "Warning"},
    {"PendingDeprecationWarning", "Warning"},
    {"ResourceWarning", "Warning"},
    {"RuntimeWarning", "Warning"},
    {"SyntaxWarning", "Warning"},
    {"UnicodeWarning", "Warning"},
    {"UserWarning", "Warning"},
};

/* The parent of a built-in exception; *found tells whether it is one. */
static const char *builtin_parent(const char *name, bool *found)
{
    if (strncmp(name, "builtins.", 9) == 0)
        name += 9;
    for (size_t i = 0; i < MG_ARRAY_LEN(builtin_exc); i++) {
        if (strcmp(builtin_exc[i][0], name) == 0) {
            *found = true;
            return builtin_exc[i][1];
        }
    }
    *found = false;
    return NULL;
}

/* Builtins whose calls raise nothing worth documenting (for completeness
 * only: a call to anything else unresolved makes the set incomplete). */
static const char *const benign_builtins[] = {
    "isinstance", "issubclass", "len",      "print",     "repr",      "id",     "type",
    "callable",   "hasattr",    "bool",     "str",       "super",     "sorted", "list",
    "tuple",      "dict",       "set",      "frozenset", "enumerate", "zip",    "range",
    "any",        "all",        "reversed", "object",    "vars",      "locals", "globals",
};

/* ---- function nodes and universes --------------------------------------- */

struct fn;

struct esc {
    const char *type; /* qualified; interned in some pool that outlives the entry */
    int32_t raise;    /* index into the function's raises, or -1 */
    int32_t call;     /* index into its calls, or -1 */
    const struct fn *via;
};

/* A try context with its caught types resolved. */
struct rctx {
    int32_t parent;
    bool all;
    const char **types; /* interned */
    size_t n_types;
};

struct fn {
    const struct sum_module *m;
    const struct sum_func *f;
    const struct fn **callees; /* per call; NULL: did not resolve (or benign) */
    const char **callee_names; /* per call: the qualified callee, interned, or NULL */
    struct rctx *ctxs;         /* per try */
    struct esc *esc;
    size_t n_esc, cap_esc;
    uint32_t *callers; /* universe indices */
    size_t n_callers, cap_callers;
    bool complete, queued;
};

struct cls {
    const struct sum_module *m;
    const struct sum_class *c;
    const char **bases; /* resolved, interned; NULL until resolved */
    size_t n_bases;
    bool resolving;
};

struct uni {
    struct fn *fns;
    size_t n;
    struct pool pool;
    struct map funcs;   /* qname -> struct fn * */
    struct map classes; /* qname -> struct cls * */
    struct cls *cls_arr;
    size_t n_cls;
};

struct idx_index {
    struct sum_module **mods;
    size_t n_mods, cap_mods;
    struct map by_name; /* module name -> struct sum_module * (rebuilt by finish) */
    struct uni u;
    bool finished;
    uint64_t generation;
};

struct idx_view {
    const struct idx_index *ix;
    const struct sum_module *m;
    struct uni u;
};

/* Lookups across the view's universe and the index's, the view's module
 * standing for the index's copy of it. */
struct scope {
    const struct idx_index *ix;
    struct uni *own;                /* being computed */
    const struct sum_module *shade; /* the index's module of this name is hidden; may be NULL */
};

static bool hidden(const struct scope *s, const struct sum_module *m)
{
    return s->shade != NULL && m != s->shade && strcmp(m->name, s->shade->name) == 0;
}

static const struct fn *find_fn(const struct scope *s, const char *q)
{
    const struct fn *f = map_get(&s->own->funcs, q);
    if (f == NULL && s->ix != NULL && &s->ix->u != s->own) {
        f = map_get(&s->ix->u.funcs, q);
        if (f != NULL && hidden(s, f->m))
            f = NULL;
    }
    return f;
}

static struct cls *find_cls(const struct scope *s, const char *q)
{
    struct cls *c = map_get(&s->own->classes, q);
    if (c == NULL && s->ix != NULL && &s->ix->u != s->own) {
        c = map_get(&s->ix->u.classes, q);
        if (c != NULL && hidden(s, c->m))
            c = NULL;
    }
    return c;
}

static const struct sum_module *find_mod(const struct scope *s, const char *name, size_t n)
{
    if (s->shade != NULL && strlen(s->shade->name) == n && strncmp(s->shade->name, name, n) == 0)
        return s->shade;
    if (s->ix == NULL)
        return NULL;
    return map_getn(&s->ix->by_name, name, n);
}

/* Whether module m defines `name` at top level (a function or class). */
static bool defines(const struct scope *s, const struct sum_module *m, const char *name, size_t len)
{
    char *q = xasprintf("%s.%.*s", m->name, (int)len, name);
    bool yes = find_fn(s, q) != NULL || find_cls(s, q) != NULL;
    free(q);
    return yes;
}

/* Follow re-exports: `pkg.f` where pkg/__init__.py does `from .impl import
 * f` becomes `pkg.impl.f`. Takes and returns a heap string. */
static char *chase(const struct scope *s, char *q)
{
    for (int hop = 0; hop < IDX_MAX_HOPS; hop++) {
        if (find_fn(s, q) != NULL || find_cls(s, q) != NULL)
            return q;
        bool moved = false;
        for (size_t i = strlen(q); i-- > 0;) {
            if (q[i] != '.')
                continue;
            const struct sum_module *mod = find_mod(s, q, i);
            if (mod == NULL)
                continue;
            const char *rest = q + i + 1;
            const char *dot = strchr(rest, '.');
            size_t first = dot ? (size_t)(dot - rest) : strlen(rest);
            const char *t = sum_import_find(mod, rest, first);
            if (t == NULL)
                break;
            char *nq = xasprintf("%s%s", t, dot ? dot : "");
            if (strcmp(nq, q) == 0) {
                free(nq);
                break;
            }
            free(q);
            q = nq;
            moved = true;
            break;
        }
        if (!moved)
            break;
    }
    return q;
}

/* The qualified name of `dotted` written in module m, inside the function
 * with qualified name `fscope` (may be NULL). Caller frees. */
static char *resolve(const struct scope *s, const struct sum_module *m, const char *fscope,
                     const char *dotted)
{
    const char *dot = strchr(dotted, '.');
    size_t first = dot ? (size_t)(dot - dotted) : strlen(dotted);
    const char *rest = dot ? dot : "";
    if (fscope != NULL) {
        char *q = xasprintf("%s.%.*s", fscope, (int)first, dotted);
        if (find_fn(s, q) != NULL || find_cls(s, q) != NULL) {
            char *full = xasprintf("%s%s", q, rest);
            free(q);
            return full;
        }
        free(q);
    }
    const char *t = sum_import_find(m, dotted, first);
    if (defines(s, m, dotted, first) && t == NULL)
        return chase(s, xasprintf("%s.%s", m->name, dotted));
    if (t != NULL)
        return chase(s, xasprintf("%s%s", t, rest));
    return chase(s, xstrdup(dotted));
}

static void resolve_bases(const struct scope *s, struct pool *pool, struct cls *c)
{
    if (c->bases != NULL || c->c->n_bases == 0)
        return;
    c->bases = xcalloc(c->c->n_bases, sizeof(*c->bases));
    for (size_t i = 0; i < c->c->n_bases; i++) {
        char *q = resolve(s, c->m, NULL, c->c->bases[i]);
        c->bases[i] = intern(pool, q);
        free(q);
    }
    c->n_bases = c->c->n_bases;
}

/* Breadth-first over `start` and its bases; calls `fn` on each class name
 * until it returns true. Bounded by IDX_MAX_CLASS. */
static bool classes_bfs(const struct scope *s, const char *start,
                        bool (*fn)(const struct scope *, const char *, void *), void *arg,
                        bool skip_start)
{
    const char *queue[IDX_MAX_CLASS];
    size_t head = 0, tail = 0;
    queue[tail++] = start;
    while (head < tail) {
        const char *q = queue[head++];
        if (!(skip_start && head == 1) && fn(s, q, arg))
            return true;
        const struct cls *c = find_cls(s, q);
        if (c != NULL) {
            for (size_t i = 0; i < c->n_bases && tail < IDX_MAX_CLASS; i++) {
                bool seen = false;
                for (size_t j = 0; j < tail && !seen; j++)
                    seen = strcmp(queue[j], c->bases[i]) == 0;
                if (!seen)
                    queue[tail++] = c->bases[i];
            }
            continue;
        }
        bool found;
        const char *parent = builtin_parent(q, &found);
        if (parent != NULL && tail < IDX_MAX_CLASS)
            queue[tail++] = parent;
    }
    return false;
}

static bool is_named(const struct scope *s, const char *q, void *arg)
{
    (void)s;
    const char *base = arg;
    if (strncmp(q, "builtins.", 9) == 0)
        q += 9;
    return strcmp(q, base) == 0;
}

/* Whether the ancestry of `type` reaches a root we know (a built-in). */
static bool is_known_root(const struct scope *s, const char *q, void *arg)
{
    (void)arg;
    bool found;
    builtin_parent(q, &found);
    return found && find_cls(s, q) == NULL;
}

static bool subclass(const struct scope *s, const char *type, const char *base)
{
    if (strncmp(base, "builtins.", 9) == 0)
        base += 9;
    if (strcmp(base, "BaseException") == 0)
        return true;
    if (classes_bfs(s, type, is_named, (void *)base, false))
        return true;
    /* Ancestry that leaves the workspace (a base we cannot see) is taken to
     * be an Exception, as nearly all are. */
    return strcmp(base, "Exception") == 0 && !classes_bfs(s, type, is_known_root, NULL, false);
}

struct method_arg {
    const char *name;
    const struct fn *found;
};

static bool has_method(const struct scope *s, const char *q, void *arg)
{
    struct method_arg *a = arg;
    char *m = xasprintf("%s.%s", q, a->name);
    a->found = find_fn(s, m);
    free(m);
    return a->found != NULL;
}

static const struct fn *method_lookup(const struct scope *s, const char *cls, const char *name,
                                      bool skip_self)
{
    struct method_arg a = {name, NULL};
    classes_bfs(s, cls, has_method, &a, skip_self);
    return a.found;
}

/* ---- building a universe ------------------------------------------------ */

static void uni_add_module(struct uni *u, const struct sum_module *m)
{
    for (size_t i = 0; i < m->n_classes; i++) {
        /* cls_arr is sized beforehand; see uni_build. */
        struct cls *c = &u->cls_arr[u->n_cls++];
        *c = (struct cls){.m = m, .c = &m->classes[i]};
        map_put(&u->classes, m->classes[i].qname, c);
    }
    for (size_t i = 0; i < m->n_funcs; i++) {
        struct fn *f = &u->fns[u->n++];
        memset(f, 0, sizeof(*f));
        f->m = m;
        f->f = &m->funcs[i];
        map_put(&u->funcs, m->funcs[i].qname, f);
    }
}

static void uni_build(struct uni *u, const struct sum_module *const *mods, size_t n_mods)
{
    size_t nf = 0, nc = 0;
    for (size_t i = 0; i < n_mods; i++) {
        nf += mods[i]->n_funcs;
        nc += mods[i]->n_classes;
    }
    u->fns = nf ? xcalloc(nf, sizeof(*u->fns)) : NULL;
    u->cls_arr = nc ? xcalloc(nc, sizeof(*u->cls_arr)) : NULL;
    for (size_t i = 0; i < n_mods; i++)
        uni_add_module(u, mods[i]);
}

static void uni_release(struct uni *u)
{
    for (size_t i = 0; i < u->n; i++) {
        struct fn *f = &u->fns[i];
        free(f->callees);
        free(f->callee_names);
        for (size_t j = 0; f->ctxs && j < f->f->n_tries; j++)
            free(f->ctxs[j].types);
        free(f->ctxs);
        free(f->esc);
        free(f->callers);
    }
    free(u->fns);
    for (size_t i = 0; i < u->n_cls; i++)
        free(u->cls_arr[i].bases);
    free(u->cls_arr);
    map_release(&u->funcs);
    map_release(&u->classes);
    pool_release(&u->pool);
    memset(u, 0, sizeof(*u));
}

static bool has_type(const struct fn *f, const char *t)
{
    for (size_t i = 0; i < f->n_esc; i++)
        if (f->esc[i].type == t || strcmp(f->esc[i].type, t) == 0)
            return true;
    return false;
}

static bool caught(const struct scope *s, const struct fn *f, int32_t ctx, const char *t)
{
    for (int guard = 0; ctx >= 0 && (size_t)ctx < f->f->n_tries && guard < 4096; guard++) {
        const struct rctx *c = &f->ctxs[ctx];
        if (c->all)
            return true;
        for (size_t i = 0; i < c->n_types; i++)
            if (subclass(s, t, c->types[i]))
                return true;
        ctx = c->parent < ctx ? c->parent : -1;
    }
    return false;
}

static void add_esc(struct fn *f, const char *t, int32_t raise, int32_t call, const struct fn *via)
{
    MG_GROW(f->esc, f->cap_esc, f->n_esc + 1);
    f->esc[f->n_esc++] = (struct esc){t, raise, call, via};
}

/* Whether a raised name is a class: a workspace class, a built-in
 * exception, or (outside the workspace) a capitalised last part. */
static bool names_class(const struct scope *s, const char *q)
{
    if (find_cls(s, q) != NULL)
        return true;
    if (find_fn(s, q) != NULL)
        return false;
    bool found;
    builtin_parent(q, &found);
    if (found)
        return true;
    const char *last = strrchr(q, '.');
    last = last ? last + 1 : q;
    return *last >= 'A' && *last <= 'Z';
}

static bool is_benign(const char *name)
{
    for (size_t i = 0; i < MG_ARRAY_LEN(benign_builtins); i++)
        if (strcmp(benign_builtins[i], name) == 0)
            return true;
    bool found;
    builtin_parent(name, &found);
    return found; /* constructing an exception object raises nothing */
}

/* Resolve the calls, catches and own raises of every node of `u`. */
static void uni_resolve(const struct scope *s, struct uni *u)
{
    for (size_t i = 0; i < u->n_cls; i++)
        resolve_bases(s, &u->pool, &u->cls_arr[i]);
    for (size_t i = 0; i < u->n; i++) {
        struct fn *fn = &u->fns[i];
        const struct sum_func *f = fn->f;
        const char *fscope = f->qname;
        fn->complete = f->walked; /* a body not read may raise anything */
        fn->ctxs = f->n_tries ? xcalloc(f->n_tries, sizeof(*fn->ctxs)) : NULL;
        for (size_t t = 0; t < f->n_tries; t++) {
            struct rctx *c = &fn->ctxs[t];
            c->parent = f->tries[t].parent;
            for (size_t h = 0; h < f->tries[t].n_handlers; h++) {
                const struct sum_handler *sh = &f->tries[t].handlers[h];
                if (sh->transparent)
                    continue;
                c->all = c->all || sh->catch_all;
                for (size_t k = 0; k < sh->n_types; k++) {
                    char *q = resolve(s, fn->m, fscope, sh->types[k]);
                    c->types = xrealloc(c->types, (c->n_types + 1) * sizeof(*c->types));
                    c->types[c->n_types++] = intern(&u->pool, q);
                    free(q);
                }
            }
        }
        for (size_t r = 0; r < f->n_raises; r++) {
            const struct sum_raise *sr = &f->raises[r];
            if (sr->type == NULL) {
                fn->complete = false;
                continue;
            }
            char *q = resolve(s, fn->m, fscope, sr->type);
            if (!names_class(s, q)) {
                fn->complete = false; /* `raise err`: a variable */
            } else {
                const char *t = intern(&u->pool, q);
                if (!caught(s, fn, sr->ctx, t) && !has_type(fn, t) && fn->n_esc < IDX_MAX_ESCAPES)
                    add_esc(fn, t, (int32_t)r, -1, NULL);
            }
            free(q);
        }
        fn->callees = f->n_calls ? xcalloc(f->n_calls, sizeof(*fn->callees)) : NULL;
        fn->callee_names = f->n_calls ? xcalloc(f->n_calls, sizeof(*fn->callee_names)) : NULL;
        for (size_t c = 0; c < f->n_calls; c++) {
            const struct sum_call *sc = &f->calls[c];
            const struct fn *callee = NULL;
            bool ok = false;
            const char *cls = f->cls >= 0 ? fn->m->classes[f->cls].qname : NULL;
            switch (sc->kind) {
            case SUM_CALL_NAME:
            case SUM_CALL_DOTTED: {
                char *q = resolve(s, fn->m, fscope, sc->name);
                callee = find_fn(s, q);
                if (callee == NULL && find_cls(s, q) != NULL) {
                    callee = method_lookup(s, q, "__init__", false);
                    ok = true; /* a workspace class without __init__ of its own */
                }
                if (callee == NULL && !ok && sc->kind == SUM_CALL_NAME && strcmp(q, sc->name) == 0)
                    ok = is_benign(q);
                free(q);
                break;
            }
            case SUM_CALL_SELF:
            case SUM_CALL_CLS:
            case SUM_CALL_SUPER:
                if (cls != NULL)
                    callee = method_lookup(s, cls, sc->name, sc->kind == SUM_CALL_SUPER);
                break;
            default:
                break;
            }
            fn->callees[c] = callee;
            if (callee != NULL)
                fn->callee_names[c] = callee->f->qname;
            if (callee == NULL && !ok)
                fn->complete = false;
            if (callee != NULL && callee >= u->fns && callee < u->fns + u->n) {
                struct fn *ce = (struct fn *)callee;
                MG_GROW(ce->callers, ce->cap_callers, ce->n_callers + 1);
                ce->callers[ce->n_callers++] = (uint32_t)i;
            }
        }
    }
}

/* The worklist fixpoint over `u`. */
static void uni_solve(const struct scope *s, struct uni *u)
{
    uint32_t *queue = u->n ? xmalloc(u->n * sizeof(*queue)) : NULL;
    size_t head = 0, count = u->n; /* a ring of at most u->n entries */
    for (size_t i = 0; i < u->n; i++) {
        queue[i] = (uint32_t)i;
        u->fns[i].queued = true;
    }
    while (count > 0) {
        struct fn *fn = &u->fns[queue[head]];
        head = (head + 1) % u->n;
        count--;
        fn->queued = false;
        bool changed = false;
        for (size_t c = 0; c < fn->f->n_calls; c++) {
            const struct fn *ce = fn->callees[c];
            if (ce == NULL)
                continue;
            if (!ce->complete && fn->complete) {
                fn->complete = false;
                changed = true;
            }
            for (size_t e = 0; e < ce->n_esc && fn->n_esc < IDX_MAX_ESCAPES; e++) {
                const char *t = ce->esc[e].type;
                /* A base class's `raise NotImplementedError` stands for the
                 * override that runs instead: it does not travel. */
                if (strcmp(t, "NotImplementedError") == 0 || has_type(fn, t) ||
                    caught(s, fn, fn->f->calls[c].ctx, t))
                    continue;
                add_esc(fn, t, -1, (int32_t)c, ce);
                changed = true;
            }
        }
        if (!changed)
            continue;
        for (size_t k = 0; k < fn->n_callers; k++) {
            struct fn *caller = &u->fns[fn->callers[k]];
            if (caller->queued)
                continue;
            caller->queued = true;
            queue[(head + count) % u->n] = fn->callers[k];
            count++;
        }
    }
    free(queue);
}

/* ---- the index ------------------------------------------------------------ */

struct idx_index *idx_new(void)
{
    return xcalloc(1, sizeof(struct idx_index));
}

void idx_free(struct idx_index *ix)
{
    if (ix == NULL)
        return;
    uni_release(&ix->u);
    map_release(&ix->by_name);
    for (size_t i = 0; i < ix->n_mods; i++)
        sum_free(ix->mods[i]);
    free(ix->mods);
    free(ix);
}

static bool same_module(const struct sum_module *a, const struct sum_module *b)
{
    if (a->path != NULL || b->path != NULL)
        return a->path != NULL && b->path != NULL && strcmp(a->path, b->path) == 0;
    return strcmp(a->name, b->name) == 0;
}

static void invalidate(struct idx_index *ix)
{
    uni_release(&ix->u);
    map_release(&ix->by_name);
    ix->finished = false;
}

void idx_put(struct idx_index *ix, struct sum_module *m)
{
    invalidate(ix);
    for (size_t i = 0; i < ix->n_mods; i++) {
        if (same_module(ix->mods[i], m)) {
            sum_free(ix->mods[i]);
            ix->mods[i] = m;
            return;
        }
    }
    MG_GROW(ix->mods, ix->cap_mods, ix->n_mods + 1);
    ix->mods[ix->n_mods++] = m;
}

void idx_remove(struct idx_index *ix, const char *path)
{
    for (size_t i = 0; i < ix->n_mods; i++) {
        if (ix->mods[i]->path != NULL && strcmp(ix->mods[i]->path, path) == 0) {
            invalidate(ix);
            sum_free(ix->mods[i]);
            ix->mods[i] = ix->mods[--ix->n_mods];
            return;
        }
    }
}

void idx_finish(struct idx_index *ix)
{
    invalidate(ix);
    for (size_t i = 0; i < ix->n_mods; i++)
        map_put(&ix->by_name, ix->mods[i]->name, ix->mods[i]);
    uni_build(&ix->u, (const struct sum_module *const *)ix->mods, ix->n_mods);
    struct scope s = {ix, &ix->u, NULL};
    uni_resolve(&s, &ix->u);
    uni_solve(&s, &ix->u);
    ix->finished = true;
    ix->generation++;
}

const struct sum_module *idx_module_at(const struct idx_index *ix, const char *path)
{
    for (size_t i = 0; path != NULL && i < ix->n_mods; i++)
        if (ix->mods[i]->path != NULL && strcmp(ix->mods[i]->path, path) == 0)
            return ix->mods[i];
    return NULL;
}

uint64_t idx_generation(const struct idx_index *ix)
{
    return ix->generation;
}

size_t idx_n_modules(const struct idx_index *ix)
{
    return ix->n_mods;
}

size_t idx_n_functions(const struct idx_index *ix)
{
    return ix->u.n;
}

char *idx_module_name(const char *path, bool *is_package)
{
    *is_package = false;
    size_t n = strlen(path);
    size_t ext = n >= 4 && strcmp(path + n - 4, ".pyi") == 0  ? 4
                 : n >= 3 && strcmp(path + n - 3, ".py") == 0 ? 3
                                                              : 0;
    if (ext == 0)
        return NULL;
    const char *slash = strrchr(path, '/');
    const char *stem = slash ? slash + 1 : path;
    size_t stem_len = (size_t)(path + n - ext - stem);
    *is_package = stem_len == 8 && strncmp(stem, "__init__", 8) == 0;
    /* Parts, innermost first, then reversed. */
    struct mg_buf b = {0};
    /* Walk up the real folders: `margin check .` inside a package still
     * finds the packages above. */
    char *rel = xstrndup(path, slash ? (size_t)(slash - path) : 0);
    char *dir = realpath(rel[0] ? rel : (slash ? "/" : "."), NULL);
    free(rel);
    if (dir == NULL)
        dir = xstrdup("");
    char **parts = NULL;
    size_t n_parts = 0, cap = 0;
    if (!*is_package) {
        MG_GROW(parts, cap, 1);
        parts[n_parts++] = xstrndup(stem, stem_len);
    }
    for (int depth = 0; depth < 64; depth++) {
        char *init = xasprintf("%s/__init__.py", dir[0] ? dir : ".");
        struct stat st;
        bool pkg = stat(init, &st) == 0 && S_ISREG(st.st_mode);
        if (!pkg) {
            free(init);
            init = xasprintf("%s/__init__.pyi", dir[0] ? dir : ".");
            pkg = stat(init, &st) == 0 && S_ISREG(st.st_mode);
        }
        free(init);
        if (!pkg)
            break;
        char *s = strrchr(dir, '/');
        const char *name = s ? s + 1 : dir;
        if (name[0] == '\0')
            break;
        MG_GROW(parts, cap, n_parts + 1);
        parts[n_parts++] = xstrdup(name);
        if (s == NULL)
            break;
        *s = '\0';
    }
    free(dir);
    for (size_t i = n_parts; i-- > 0;) {
        mg_buf_adds(&b, parts[i]);
        if (i > 0)
            mg_buf_adds(&b, ".");
        free(parts[i]);
    }
    free(parts);
    if (b.len == 0)
        mg_buf_adds(&b, *is_package ? "__init__" : "");
    return mg_buf_detach(&b, NULL);
}

/* ---- views ---------------------------------------------------------------- */

struct idx_view *idx_view_new(const struct idx_index *ix, const struct sum_module *m)
{
    struct idx_view *v = xcalloc(1, sizeof(*v));
    v->ix = ix != NULL && ix->finished ? ix : NULL;
    v->m = m;
    uni_build(&v->u, &m, 1);
    struct scope s = {v->ix, &v->u, m};
    uni_resolve(&s, &v->u);
    uni_solve(&s, &v->u);
    return v;
}

void idx_view_free(struct idx_view *v)
{
    if (v == NULL)
        return;
    uni_release(&v->u);
    free(v);
}

size_t idx_view_n_escapes(const struct idx_view *v, size_t func)
{
    return func < v->u.n ? v->u.fns[func].n_esc : 0;
}

const char *idx_view_escape(const struct idx_view *v, size_t func, size_t k)
{
    return v->u.fns[func].esc[k].type;
}

bool idx_view_complete(const struct idx_view *v, size_t func)
{
    return func < v->u.n && v->u.fns[func].complete;
}

const char *idx_view_callee(const struct idx_view *v, size_t func, size_t call)
{
    if (func >= v->u.n || call >= v->u.fns[func].f->n_calls)
        return NULL;
    return v->u.fns[func].callee_names[call];
}

/* The witness path of type `t` escaping `fn`, from it down to the raise. */
static size_t path_from(const struct idx_view *v, const struct fn *fn, const char *t,
                        struct idx_step *out, size_t cap)
{
    size_t n = 0;
    while (fn != NULL && n < cap && n < IDX_MAX_PATH) {
        const struct esc *e = NULL;
        for (size_t i = 0; i < fn->n_esc && e == NULL; i++)
            if (strcmp(fn->esc[i].type, t) == 0)
                e = &fn->esc[i];
        if (e == NULL)
            break;
        struct idx_step *st = &out[n++];
        st->path = fn->m->path;
        st->qname = fn->f->qname;
        st->local = fn->m == v->m;
        st->is_raise = e->raise >= 0;
        if (st->is_raise) {
            const struct sum_raise *r = &fn->f->raises[e->raise];
            st->start = r->start, st->end = r->end, st->line = r->line, st->col16 = r->col16;
            break;
        }
        const struct sum_call *c = &fn->f->calls[e->call];
        st->start = c->start, st->end = c->end, st->line = c->line, st->col16 = c->col16;
        fn = e->via;
    }
    return n;
}

size_t idx_view_path(const struct idx_view *v, size_t func, size_t k, struct idx_step *out,
                     size_t cap)
{
    if (func >= v->u.n || k >= v->u.fns[func].n_esc)
        return 0;
    const struct fn *fn = &v->u.fns[func];
    return path_from(v, fn, fn->esc[k].type, out, cap);
}

static const struct fn *callee_fn(const struct idx_view *v, size_t func, size_t call)
{
    if (func >= v->u.n || call >= v->u.fns[func].f->n_calls)
        return NULL;
    return v->u.fns[func].callees[call];
}

size_t idx_view_callee_n_escapes(const struct idx_view *v, size_t func, size_t call)
{
    const struct fn *f = callee_fn(v, func, call);
    return f ? f->n_esc : 0;
}

const char *idx_view_callee_escape(const struct idx_view *v, size_t func, size_t call, size_t k)
{
    const struct fn *f = callee_fn(v, func, call);
    return f && k < f->n_esc ? f->esc[k].type : NULL;
}

bool idx_view_callee_complete(const struct idx_view *v, size_t func, size_t call)
{
    const struct fn *f = callee_fn(v, func, call);
    return f != NULL && f->complete;
}

size_t idx_view_callee_path(const struct idx_view *v, size_t func, size_t call, size_t k,
                            struct idx_step *out, size_t cap)
{
    const struct fn *f = callee_fn(v, func, call);
    if (f == NULL || k >= f->n_esc)
        return 0;
    return path_from(v, f, f->esc[k].type, out, cap);
}

char *idx_view_resolve(const struct idx_view *v, const char *dotted)
{
    struct scope s = {v->ix, (struct uni *)&v->u, v->m};
    return resolve(&s, v->m, NULL, dotted);
}

bool idx_view_is_subclass(const struct idx_view *v, const char *type, const char *base)
{
    struct scope s = {v->ix, (struct uni *)&v->u, v->m};
    return subclass(&s, type, base);
}
