/* diag_list: the owning list of findings (see analyzer.h). */
#include "analyzer.h"
#include "mg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *an_severity_name(enum an_severity s)
{
    switch (s) {
    case AN_ERROR:
        return "error";
    case AN_WARNING:
        return "warning";
    case AN_INFO:
        return "information";
    case AN_HINT:
        return "hint";
    }
    return "warning";
}

void diag_list_init(struct diag_list *l)
{
    memset(l, 0, sizeof(*l));
}

static void fix_release(struct an_fix *f)
{
    for (size_t i = 0; i < f->n_edits; i++)
        free(f->edits[i].new_text);
    free(f->edits);
    free(f->title);
}

void an_diag_release(struct an_diag *d)
{
    for (size_t i = 0; i < d->n_fixes; i++)
        fix_release(&d->fixes[i]);
    free(d->fixes);
    for (size_t i = 0; i < d->n_related; i++) {
        free(d->related[i].message);
        free(d->related[i].path);
    }
    free(d->related);
    free(d->message);
    free(d->encoded);
}

void diag_list_watch(struct diag_list *l, uint32_t start, uint32_t end)
{
    MG_GROW(l->watch, l->cap_watch, l->n_watch + 1);
    l->watch[l->n_watch][0] = start;
    l->watch[l->n_watch++][1] = end;
}

void diag_list_release(struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        an_diag_release(&l->items[i]);
    free(l->items);
    free(l->watch);
    diag_list_init(l);
}

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

int diag_list_add(struct diag_list *out, const struct an_diag *d)
{
    MG_GROW(out->items, out->cap, out->n + 1);
    struct an_diag *c = &out->items[out->n++];
    *c = *d;
    c->code[sizeof(c->code) - 1] = '\0';
    c->message = dup_or_empty(d->message);
    c->encoded = NULL; /* the server's cache is never shared */
    c->encoded_len = 0;
    c->has_pos = false;
    c->fixes = d->n_fixes ? xcalloc(d->n_fixes, sizeof(*c->fixes)) : NULL;
    for (size_t i = 0; i < d->n_fixes; i++) {
        const struct an_fix *f = &d->fixes[i];
        struct an_fix *g = &c->fixes[i];
        g->title = dup_or_empty(f->title);
        g->safe = f->safe;
        g->n_edits = f->n_edits;
        g->edits = f->n_edits ? xcalloc(f->n_edits, sizeof(*g->edits)) : NULL;
        for (size_t j = 0; j < f->n_edits; j++) {
            g->edits[j] = f->edits[j];
            g->edits[j].new_text = dup_or_empty(f->edits[j].new_text);
        }
    }
    c->related = d->n_related ? xcalloc(d->n_related, sizeof(*c->related)) : NULL;
    for (size_t i = 0; i < d->n_related; i++) {
        c->related[i] = d->related[i];
        c->related[i].message = dup_or_empty(d->related[i].message);
        c->related[i].path = d->related[i].path ? xstrdup(d->related[i].path) : NULL;
    }
    return 0;
}

int diag_list_addf(struct diag_list *out, const char *code, enum an_severity sev, unsigned tags,
                   uint32_t start, uint32_t end, const char *fmt, ...)
{
    struct an_diag d = {.severity = sev, .tags = tags, .start = start, .end = end};
    snprintf(d.code, sizeof(d.code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    d.message = xvasprintf(fmt, ap);
    va_end(ap);
    int rc = diag_list_add(out, &d);
    free(d.message);
    return rc;
}

int an_diag_cmp(const struct an_diag *x, const struct an_diag *y)
{
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    int c = strcmp(x->code, y->code);
    if (c != 0)
        return c;
    return strcmp(x->message, y->message);
}

static int cmp_diag(const void *a, const void *b)
{
    return an_diag_cmp(a, b);
}

void diag_list_sort(struct diag_list *l)
{
    if (l->n < 2)
        return;
    qsort(l->items, l->n, sizeof(*l->items), cmp_diag);
    size_t w = 1;
    for (size_t r = 1; r < l->n; r++) {
        if (cmp_diag(&l->items[w - 1], &l->items[r]) == 0) {
            an_diag_release(&l->items[r]);
            continue;
        }
        l->items[w++] = l->items[r];
    }
    l->n = w;
}

static bool edits_clash(const struct an_edit *a, const struct an_edit *b)
{
    /* Overlapping ranges clash, and so do two insertions at one point: their
     * order would be a guess. */
    if (a->start == a->end && b->start == b->end)
        return a->start == b->start;
    return a->start < b->end && b->start < a->end;
}

static int cmp_edit_ptr(const void *x, const void *y)
{
    const struct an_edit *a = *(const struct an_edit *const *)x;
    const struct an_edit *b = *(const struct an_edit *const *)y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end < b->end ? -1 : a->end > b->end;
}

size_t diag_list_fix_all(const struct diag_list *l, const struct an_edit ***out)
{
    const struct an_edit **taken = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        const struct an_fix *fix = NULL;
        for (size_t j = 0; j < d->n_fixes && fix == NULL; j++)
            if (d->fixes[j].safe)
                fix = &d->fixes[j];
        if (fix == NULL)
            continue;
        bool clash = false;
        for (size_t e = 0; e < fix->n_edits && !clash; e++)
            for (size_t t = 0; t < n && !clash; t++)
                clash = edits_clash(&fix->edits[e], taken[t]);
        if (clash)
            continue;
        for (size_t e = 0; e < fix->n_edits; e++) {
            MG_GROW(taken, cap, n + 1);
            taken[n++] = &fix->edits[e];
        }
    }
    if (n > 1)
        qsort(taken, n, sizeof(*taken), cmp_edit_ptr);
    *out = taken;
    return n;
}

char *an_apply_edits(const char *text, size_t len, const struct an_edit *const *edits, size_t n,
                     size_t *len_out)
{
    struct mg_buf b = {0};
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = edits[i]->start < len ? edits[i]->start : len;
        size_t e = edits[i]->end < len ? edits[i]->end : len;
        if (s < at) /* not sorted or overlapping: a caller's bug; keep what is sane */
            s = at;
        if (e < s)
            e = s;
        mg_buf_add(&b, text + at, s - at);
        mg_buf_adds(&b, edits[i]->new_text);
        at = e;
    }
    mg_buf_add(&b, text + at, len - at);
    return mg_buf_detach(&b, len_out);
}
