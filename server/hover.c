/* textDocument/hover: on a function's name or on a call, the exceptions
 * that may escape it through the project's own code, with one path each
 * (the escape analysis of analyzers/index.h). */
#include "index.h"
#include "internal.h"
#include "mg.h"
#include "rpc.h"
#include "summary.h"
#include "wsindex.h"

#include <stdlib.h>
#include <string.h>

/* The last component of a dotted name: "pkg.mod.Class.get" -> "get". */
static const char *last_part(const char *q)
{
    const char *dot = strrchr(q, '.');
    return dot ? dot + 1 : q;
}

/* A file's name without its folders, for the compact path. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "`load` → `_get` → `raise NotFound` (plugin.py:120)" into b. */
static void add_path(struct mg_buf *b, const struct doc *doc, const struct idx_step *steps,
                     size_t n, const char *type)
{
    /* Each step is in a function; the last one raises. */
    for (size_t i = 0; i < n; i++) {
        const struct idx_step *st = &steps[i];
        mg_buf_addf(b, "%s`%s`", i > 0 ? " → " : "", last_part(st->qname));
        if (st->is_raise)
            mg_buf_addf(b, " → `raise %s`", last_part(type));
    }
    if (n > 0) {
        const struct idx_step *last = &steps[n - 1];
        const char *file = last->path ? last->path : doc->path;
        if (file != NULL)
            mg_buf_addf(b, " (%s:%u)", base_name(file), last->line + 1);
    }
}

static const char *view_escape(const struct idx_view *v, size_t func, size_t call, size_t k)
{
    (void)call;
    return idx_view_escape(v, func, k);
}

static size_t view_path(const struct idx_view *v, size_t func, size_t call, size_t k,
                        struct idx_step *out, size_t cap)
{
    (void)call;
    return idx_view_path(v, func, k, out, cap);
}

/* The markdown of one escape set; `name` is what the hover is on. */
static char *markdown(const struct doc *doc, const struct idx_view *v, size_t func, size_t call,
                      bool is_call, const char *name)
{
    size_t n = is_call ? idx_view_callee_n_escapes(v, func, call) : idx_view_n_escapes(v, func);
    bool complete = is_call ? idx_view_callee_complete(v, func, call) : idx_view_complete(v, func);
    struct mg_buf b = {0};
    if (n == 0) {
        mg_buf_addf(&b, "No exception escapes `%s` through the project's code", name);
        mg_buf_adds(&b, complete ? "." : " that margin could follow.");
        return mg_buf_detach(&b, NULL);
    }
    mg_buf_addf(&b, "**May raise** (through the project's code) from `%s`:\n\n", name);
    for (size_t k = 0; k < n; k++) {
        const char *type =
            is_call ? idx_view_callee_escape(v, func, call, k) : view_escape(v, func, call, k);
        struct idx_step steps[IDX_MAX_PATH];
        size_t ns = is_call ? idx_view_callee_path(v, func, call, k, steps, IDX_MAX_PATH)
                            : view_path(v, func, call, k, steps, IDX_MAX_PATH);
        mg_buf_addf(&b, "- `%s`: ", type);
        add_path(&b, doc, steps, ns, type);
        mg_buf_adds(&b, "\n");
    }
    if (!complete)
        mg_buf_adds(&b, "\nSome calls could not be followed: other exceptions may escape too.");
    return mg_buf_detach(&b, NULL);
}

json_t *srv_hover(struct server *srv, struct doc *doc, json_t *params, struct srv_err *err)
{
    uint32_t off;
    if (srv_position_bytes(srv, doc, json_object_get(params, "position"), &off) != 0) {
        srv_err_set(err, RPC_INVALID_PARAMS, "hover needs a 'position'");
        return NULL;
    }
    if (doc->tree == NULL)
        return NULL;
    struct pdoc pd;
    doc_pdoc(doc, &pd);
    bool is_package = false;
    char *modname = doc->path ? idx_module_name(doc->path, &is_package) : NULL;
    struct sum_module *m = sum_build(&pd, modname ? modname : "__main__", is_package);
    free(modname);
    struct idx_view *v = idx_view_new(wsi_live_index(srv->windex), m);

    /* A function's name, or the innermost call around the position. */
    json_t *result = NULL;
    size_t func = SIZE_MAX, call = SIZE_MAX;
    bool is_call = false;
    uint32_t best = UINT32_MAX, rs = 0, re = 0;
    for (size_t i = 0; i < m->n_funcs; i++) {
        const struct sum_func *f = &m->funcs[i];
        if (off >= f->name_start && off <= f->name_end) {
            func = i;
            rs = f->name_start, re = f->name_end;
            break;
        }
        for (size_t c = 0; c < f->n_calls; c++) {
            const struct sum_call *sc = &f->calls[c];
            if (off >= sc->start && off <= sc->end && sc->end - sc->start < best) {
                best = sc->end - sc->start;
                func = i, call = c, is_call = true;
                rs = sc->start, re = sc->end;
            }
        }
    }
    if (func != SIZE_MAX && (!is_call || idx_view_callee(v, func, call) != NULL)) {
        const char *name =
            is_call ? last_part(idx_view_callee(v, func, call)) : last_part(m->funcs[func].qname);
        char *md = markdown(doc, v, func, call, is_call, name);
        result = json_pack("{s:{s:s, s:s}, s:o}", "contents", "kind", "markdown", "value", md,
                           "range", srv_range(srv, doc, rs, re));
        free(md);
    }
    idx_view_free(v);
    sum_free(m);
    return result;
}
