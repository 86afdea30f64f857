/* Building the workspace index from files (see wsindex.h). Each worker
 * thread reads, parses and summarises files handed out by a shared
 * counter; the summaries are put into the index in the order of `paths`,
 * so the index does not depend on the thread count. */
#include "wsindex.h"
#include "mg.h"
#include "walk.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define WSI_MAX_FILE    (64u << 20)
#define WSI_PARSE_US    5000000u /* as margin check: valid code never needs this long */
#define WSI_US_PER_BYTE 2u

struct shared {
    const char *const *paths;
    size_t n, next;
    atomic_bool *cancel; /* may be NULL */
    struct sum_module **out;
    uv_mutex_t mu;
};

static struct sum_module *summarise(TSParser *parser, const char *path, const char *text,
                                    size_t len, const TSTree *tree)
{
    bool pkg;
    char *name = idx_module_name(path, &pkg);
    if (name == NULL)
        return NULL;
    TSTree *own = NULL;
    if (tree == NULL) {
        ts_parser_set_timeout_micros(parser, WSI_PARSE_US + (uint64_t)len * WSI_US_PER_BYTE);
        own = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
        if (own == NULL) {
            ts_parser_reset(parser);
            free(name);
            return NULL;
        }
        tree = own;
    }
    struct pdoc doc = {.path = path, .text = text, .len = len, .tree = tree};
    struct sum_module *m = sum_build(&doc, name, pkg);
    free(name);
    if (own != NULL)
        ts_tree_delete(own);
    return m;
}

static void worker(void *arg)
{
    struct shared *s = arg;
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    for (;;) {
        uv_mutex_lock(&s->mu);
        size_t i = s->next++;
        uv_mutex_unlock(&s->mu);
        if (i >= s->n || (s->cancel != NULL && atomic_load(s->cancel)))
            break;
        size_t len = 0;
        char *text = NULL;
        if (mg_read_file(s->paths[i], WSI_MAX_FILE, &text, &len) != 0 || len > UINT32_MAX) {
            free(text);
            continue;
        }
        const char *t = text;
        if (len >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0)
            t += 3, len -= 3;
        s->out[i] = summarise(parser, s->paths[i], t, len, NULL);
        free(text);
    }
    ts_parser_delete(parser);
}

static struct idx_index *build(const char *const *paths, size_t n, size_t n_threads,
                               atomic_bool *cancel)
{
    struct idx_index *ix = idx_new();
    struct shared s = {
        .paths = paths, .n = n, .cancel = cancel, .out = n ? xcalloc(n, sizeof(*s.out)) : NULL};
    uv_mutex_init(&s.mu);
    if (n_threads == 0)
        n_threads = uv_available_parallelism();
    if (n_threads > n)
        n_threads = n;
    uv_thread_t *tids = n_threads ? xcalloc(n_threads, sizeof(*tids)) : NULL;
    size_t started = 0;
    for (size_t i = 0; i < n_threads; i++) {
        uv_thread_options_t o = {.flags = UV_THREAD_HAS_STACK_SIZE, .stack_size = 8u << 20};
        if (uv_thread_create_ex(&tids[started], &o, worker, &s) == 0)
            started++;
    }
    if (started == 0 && n > 0)
        worker(&s); /* no threads: do it here */
    for (size_t i = 0; i < started; i++)
        uv_thread_join(&tids[i]);
    for (size_t i = 0; i < n; i++)
        if (s.out[i] != NULL)
            idx_put(ix, s.out[i]);
    idx_finish(ix);
    free(tids);
    free(s.out);
    uv_mutex_destroy(&s.mu);
    return ix;
}

struct idx_index *wsi_build(const char *const *paths, size_t n, size_t n_threads)
{
    return build(paths, n, n_threads, NULL);
}

void wsi_update_text(struct idx_index *ix, const char *path, const char *text, size_t len,
                     const TSTree *tree)
{
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    struct sum_module *m = summarise(parser, path, text, len, tree);
    ts_parser_delete(parser);
    if (m != NULL)
        idx_put(ix, m);
    idx_finish(ix);
}

/* ---- the language server's index ---------------------------------------- */

struct wsi_live {
    uv_work_t req;
    char **roots;
    size_t n_roots;
    struct idx_index *ix;        /* what analyses read; main thread only */
    struct idx_index *built;     /* the worker's result, handed over in after_build */
    struct sum_module **pending; /* documents saved during the build */
    size_t n_pending, cap_pending;
    atomic_bool cancel;
    bool building, freeing;
    void (*ready)(void *ud);
    void *ud;
};

static bool under_roots(const struct wsi_live *l, const char *path)
{
    for (size_t i = 0; i < l->n_roots; i++) {
        size_t n = strlen(l->roots[i]);
        if (strncmp(path, l->roots[i], n) == 0 && (path[n] == '/' || l->roots[i][n - 1] == '/'))
            return true;
    }
    return false;
}

static void live_release(struct wsi_live *l)
{
    for (size_t i = 0; i < l->n_roots; i++)
        free(l->roots[i]);
    free(l->roots);
    for (size_t i = 0; i < l->n_pending; i++)
        sum_free(l->pending[i]);
    free(l->pending);
    idx_free(l->ix);
    idx_free(l->built);
    free(l);
}

static void do_build(uv_work_t *req)
{
    struct wsi_live *l = req->data;
    struct walk_list files;
    walk_list_init(&files);
    for (size_t i = 0; i < l->n_roots && !atomic_load(&l->cancel); i++)
        walk_add(&files, l->roots[i]);
    walk_list_sort(&files);
    const char **paths = xcalloc(files.n + 1, sizeof(*paths));
    size_t n = 0;
    for (size_t i = 0; i < files.n && n < WSI_MAX_FILES; i++)
        if (files.items[i].error == NULL)
            paths[n++] = files.items[i].path;
    /* Leave a core to the loop's thread. */
    size_t threads = uv_available_parallelism();
    threads = threads > 1 ? threads - 1 : 1;
    l->built = build(paths, n, threads, &l->cancel);
    free(paths);
    walk_list_release(&files);
}

static void after_build(uv_work_t *req, int status)
{
    struct wsi_live *l = req->data;
    l->building = false;
    if (l->freeing) {
        live_release(l);
        return;
    }
    if (status != 0) {
        idx_free(l->built);
        l->built = NULL;
        return;
    }
    l->ix = l->built;
    l->built = NULL;
    bool saved = l->n_pending > 0;
    for (size_t i = 0; i < l->n_pending; i++)
        idx_put(l->ix, l->pending[i]);
    l->n_pending = 0;
    if (saved)
        idx_finish(l->ix);
    if (l->ready != NULL)
        l->ready(l->ud);
}

struct wsi_live *wsi_live_start(void *loop, char *const *roots, size_t n_roots,
                                void (*ready)(void *ud), void *ud)
{
    struct wsi_live *l = xcalloc(1, sizeof(*l));
    l->roots = n_roots ? xcalloc(n_roots, sizeof(*l->roots)) : NULL;
    for (size_t i = 0; i < n_roots; i++)
        l->roots[i] = xstrdup(roots[i]);
    l->n_roots = n_roots;
    l->ready = ready;
    l->ud = ud;
    atomic_init(&l->cancel, false);
    l->req.data = l;
    if (loop != NULL && n_roots > 0 &&
        uv_queue_work((uv_loop_t *)loop, &l->req, do_build, after_build) == 0)
        l->building = true;
    return l;
}

const struct idx_index *wsi_live_index(const struct wsi_live *l)
{
    return l != NULL ? l->ix : NULL;
}

void wsi_live_update(struct wsi_live *l, const struct pdoc *doc)
{
    if (l == NULL || doc->path == NULL || doc->tree == NULL || !under_roots(l, doc->path))
        return;
    bool pkg;
    char *name = idx_module_name(doc->path, &pkg);
    if (name == NULL)
        return;
    struct sum_module *m = sum_build(doc, name, pkg);
    free(name);
    if (l->ix == NULL) {
        if (!l->building) {
            sum_free(m);
            return;
        }
        MG_GROW(l->pending, l->cap_pending, l->n_pending + 1);
        l->pending[l->n_pending++] = m;
        return;
    }
    idx_put(l->ix, m);
    idx_finish(l->ix);
}

void wsi_live_free(struct wsi_live *l)
{
    if (l == NULL)
        return;
    if (l->building) {
        atomic_store(&l->cancel, true);
        l->freeing = true;
        return;
    }
    live_release(l);
}
