/* Incremental analysis; see incr.h. */
#include "incr.h"
#include "log.h"
#include "mg.h"
#include "pyast.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ANALYZERS 32

/* Sorted, disjoint byte ranges. */
struct ranges {
    uint32_t (*v)[2];
    size_t n, cap;
};

struct incr {
    bool valid;                         /* doc->diags came from here and may be carried over */
    size_t lines;                       /* the text's lines then (pos_index) */
    const struct idx_index *index;      /* the workspace index they were made with */
    struct imp_words *f401;             /* F401's candidate names then; NULL when F401 is off */
    struct ranges ctx;                  /* the module's statements other than definitions */
    struct ranges watch[MAX_ANALYZERS]; /* what each watching analyzer read */
    struct py_module facts;             /* the module's imports and __all__ (no definitions) */
    bool has_facts;
};

/* ---- ranges ---------------------------------------------------------------- */

static void ranges_add(struct ranges *r, uint32_t a, uint32_t b)
{
    MG_GROW(r->v, r->cap, r->n + 1);
    r->v[r->n][0] = a;
    r->v[r->n++][1] = b;
}

static int range_cmp(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    return a[0] != b[0] ? (a[0] < b[0] ? -1 : 1) : (a[1] < b[1] ? -1 : a[1] > b[1]);
}

/* Sort and merge ranges that overlap or touch. */
static void ranges_normalize(struct ranges *r)
{
    if (r->n < 2)
        return;
    qsort(r->v, r->n, sizeof(*r->v), range_cmp);
    size_t w = 0;
    for (size_t i = 1; i < r->n; i++) {
        if (r->v[i][0] <= r->v[w][1]) {
            if (r->v[i][1] > r->v[w][1])
                r->v[w][1] = r->v[i][1];
        } else {
            w++;
            r->v[w][0] = r->v[i][0];
            r->v[w][1] = r->v[i][1];
        }
    }
    r->n = w + 1;
}

/* Whether [a, b) meets a range of normalized `r`. */
static bool ranges_meet(const struct ranges *r, uint32_t a, uint32_t b)
{
    return an_ranges_meet((const uint32_t(*)[2])r->v, r->n, a, b);
}

static void ranges_free(struct ranges *r)
{
    free(r->v);
    memset(r, 0, sizeof(*r));
}

/* ---- the edit, in old and new offsets ------------------------------------------- */

/* The lines the edits touched: [lo, hi) of the new text, which was
 * [lo, old_hi) before; `delta` = hi - old_hi. */
struct span {
    uint32_t lo, hi, old_hi;
    int64_t delta;
};

static uint32_t line_start(const char *t, uint32_t at)
{
    while (at > 0 && t[at - 1] != '\n')
        at--;
    return at;
}

/* The end of the line holding `at`, past its '\n'. */
static uint32_t line_end(const char *t, size_t len, uint32_t at)
{
    const char *nl = at < len ? memchr(t + at, '\n', len - at) : NULL;
    return nl != NULL ? (uint32_t)(nl - t) + 1 : (uint32_t)len;
}

/* Where old offset x is now, or false when the edited lines held it. */
static bool shift(const struct span *s, uint32_t *x)
{
    if (*x < s->lo)
        return true;
    if (*x >= s->old_hi) {
        *x = (uint32_t)((int64_t)*x + s->delta);
        return true;
    }
    return false;
}

/* A fix's edits may look one line further (the blank lines around a removed
 * import): they must keep clear of the lines around the edit too. */
static bool shift_fix(const struct span *s, uint32_t *x)
{
    return !(*x + 1 >= s->lo && *x <= s->old_hi) && shift(s, x);
}

/* Shift every offset of `d` (with `apply`; else only look); false, with
 * `d` partly shifted, when the edited lines held one. */
static bool shift_offsets(const struct span *s, struct an_diag *d, bool apply)
{
    uint32_t scratch;
#define SHIFT(fn, off) (apply ? fn(s, &(off)) : (scratch = (off), fn(s, &scratch)))
    if (!SHIFT(shift, d->start) || !SHIFT(shift, d->end) ||
        (d->has_noqa_also && !SHIFT(shift, d->noqa_also)))
        return false;
    for (size_t i = 0; i < d->n_related; i++)
        if (d->related[i].path == NULL &&
            (!SHIFT(shift, d->related[i].start) || !SHIFT(shift, d->related[i].end)))
            return false;
    for (size_t i = 0; i < d->n_fixes; i++)
        for (size_t j = 0; j < d->fixes[i].n_edits; j++)
            if (!SHIFT(shift_fix, d->fixes[i].edits[j].start) ||
                !SHIFT(shift_fix, d->fixes[i].edits[j].end))
                return false;
#undef SHIFT
    return true;
}

static bool shift_diag(const struct span *s, struct an_diag *d)
{
    return shift_offsets(s, d, true);
}

/* Whether any offset of `d` (old offsets) lies on the edited lines. */
static bool diag_touched(const struct span *s, const struct an_diag *d)
{
    return !shift_offsets(s, (struct an_diag *)d, false);
}

/* ---- units ------------------------------------------------------------------------ */

static bool is_type(TSNode n, const char *type)
{
    return strcmp(ts_node_type(n), type) == 0;
}

/* A definition, seen through its decorators: "function_definition",
 * "class_definition", or NULL for another statement. */
static const char *def_kind(TSNode n, TSNode *def)
{
    *def = n;
    if (is_type(n, "decorated_definition")) {
        *def = ts_node_child_by_field_name(n, "definition", 10);
        if (ts_node_is_null(*def))
            return NULL;
    }
    if (is_type(*def, "function_definition"))
        return "function";
    if (is_type(*def, "class_definition"))
        return "class";
    return NULL;
}

/* Add to `units` what must be analysed again in the class `n` (decorated
 * or not) whose definition is `cls`, for the edits in `dirty`. */
static void class_units(TSNode n, TSNode cls, const struct ranges *dirty, struct ranges *units)
{
    uint32_t ns = ts_node_start_byte(n), ne = ts_node_end_byte(n);
    TSNode body = ts_node_child_by_field_name(cls, "body", 4);
    if (ts_node_is_null(body) || !is_type(body, "block") ||
        ranges_meet(dirty, ns, ts_node_start_byte(body))) {
        ranges_add(units, ns, ne); /* the header: the whole class */
        return;
    }
    TSTreeCursor c = ts_tree_cursor_new(body);
    if (ts_tree_cursor_goto_first_child(&c)) {
        do {
            TSNode k = ts_tree_cursor_current_node(&c), def;
            if (is_type(k, "comment") ||
                !ranges_meet(dirty, ts_node_start_byte(k), ts_node_end_byte(k)))
                continue;
            const char *kind = def_kind(k, &def);
            if (kind == NULL || strcmp(kind, "function") != 0) {
                ranges_add(units, ns, ne); /* the class's own statements */
                break;
            }
            ranges_add(units, ts_node_start_byte(k), ts_node_end_byte(k));
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
}

/* The units meeting `dirty` (normalized, not empty); *ctx set when a
 * module statement other than a definition meets it. One pass over the
 * module's statements from the first edit on. */
static void units_in(TSNode root, const struct ranges *dirty, struct ranges *units, bool *ctx)
{
    uint32_t last = dirty->v[dirty->n - 1][1];
    TSTreeCursor c = ts_tree_cursor_new(root);
    if (ts_tree_cursor_goto_first_child_for_byte(&c, dirty->v[0][0]) >= 0) {
        do {
            TSNode n = ts_tree_cursor_current_node(&c), def;
            uint32_t ns = ts_node_start_byte(n), ne = ts_node_end_byte(n);
            if (ns >= last)
                break;
            if (is_type(n, "comment") || !ranges_meet(dirty, ns, ne))
                continue;
            const char *kind = def_kind(n, &def);
            if (kind == NULL)
                *ctx = true;
            else if (strcmp(kind, "class") == 0)
                class_units(n, def, dirty, units);
            else
                ranges_add(units, ns, ne);
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
}

/* The module's statements that are not definitions or comments. */
static void ctx_collect(TSNode root, struct ranges *ctx)
{
    ctx->n = 0;
    TSTreeCursor c = ts_tree_cursor_new(root);
    if (ts_tree_cursor_goto_first_child(&c)) {
        do {
            TSNode n = ts_tree_cursor_current_node(&c), def;
            if (!is_type(n, "comment") && def_kind(n, &def) == NULL)
                ranges_add(ctx, ts_node_start_byte(n), ts_node_end_byte(n));
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
    ranges_normalize(ctx);
}

/* ---- the module's facts ---------------------------------------------------------- */

/* The module's imports and __all__ from a whole scan: the one in `memo`
 * when the analyzers made it, else a new one (the definitions are
 * dropped: their nodes belong to this tree only). */
static void facts_collect(struct incr *in, const struct pdoc *pd, struct py_module_memo *memo)
{
    in->has_facts = true;
    if (memo->full) { /* the analyzers scanned the whole module already: take it */
        py_module_release(&in->facts);
        in->facts = memo->m;
        memset(&memo->m, 0, sizeof(memo->m));
        memo->full = false;
        in->facts.n_defs = 0;
        return;
    }
    struct pdoc whole_doc = *pd;
    whole_doc.scope = NULL;
    whole_doc.n_scope = 0;
    whole_doc.memo = NULL;
    whole_doc.facts = NULL;
    py_module_scan(&whole_doc, &in->facts);
    in->facts.n_defs = 0;
}

/* Move the facts to the current text; they lie in module statements the
 * edit did not touch (else the module's statements changed: collect). */
static void facts_shift(struct incr *in, const struct span *s)
{
    struct py_module *m = &in->facts;
    bool ok = true;
    for (size_t i = 0; i < m->n_imports && ok; i++) {
        struct py_import *p = &m->imports[i];
        ok = shift(s, &p->local_start) && shift(s, &p->local_end) && shift(s, &p->module_start) &&
             shift(s, &p->module_end) && shift(s, &p->member_start) && shift(s, &p->member_end);
    }
    for (size_t i = 0; i < m->n_all_names && ok; i++)
        ok = shift(s, &m->all_names[i][0]) && shift(s, &m->all_names[i][1]);
    in->has_facts = ok;
}

/* ---- words --------------------------------------------------------------------- */

/* Whether one of the NULL-ended `words` is a substring of s[0, n). */
static bool has_word(const char *const *words, const char *s, size_t n)
{
    for (size_t i = 0; words != NULL && words[i] != NULL; i++)
        if (mg_memmem(s, n, words[i], strlen(words[i])) != NULL)
            return true;
    return false;
}

/* The words of every incremental decision: a noqa comment may suppress
 * anything, and the findings' filters read it at file level too. */
static const char *const always_words[] = {"noqa", NULL};
/* Any import may add names F401 follows. */
static const char *const f401_words[] = {"import", NULL};

/* Whether s[0, n) holds a type comment (`# type: ...`), which F401 reads
 * as code. */
static bool has_type_comment(const char *s, size_t n)
{
    for (const char *p = memchr(s, '#', n); p != NULL;
         p = memchr(p + 1, '#', n - (size_t)(p + 1 - s))) {
        const char *q = p + 1, *end = s + n;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (end - q < 4 || memcmp(q, "type", 4) != 0)
            continue;
        q += 4;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (q < end && *q == ':')
            return true;
        if (p + 1 >= end)
            break;
    }
    return false;
}

/* Whether every edit since the last analysis stayed inside one comment:
 * then it was one before too (the text up to the edits is the same, and
 * no line break came or went), and only noqa and type comments matter to
 * F401 (the callers look for those on the edited lines). */
static bool in_comment(const struct doc *doc, const TSTree *tree)
{
    const struct doc_changes *ch = &doc->changes;
    if (!ch->any || ch->removed_newline || ch->n_changed > 0 ||
        memchr(doc->text + ch->lo, '\n', ch->hi - ch->lo) != NULL)
        return false;
    TSNode n = ts_node_descendant_for_byte_range(ts_tree_root_node(tree), ch->lo, ch->hi);
    if (strcmp(ts_node_type(n), "comment") != 0 || ts_node_start_byte(n) >= ch->lo ||
        ts_node_end_byte(n) < ch->hi)
        return false;
    return true;
}

/* The texts an edit's effects show in: the words the edits replaced, the
 * words they made, and the lines tree-sitter reads differently. Words, not
 * lines: typing beside a name does not make the name edited. Returns the
 * count (heap arrays; caller frees). */
static size_t edited_texts(const struct doc *doc, const struct span *s, const char ***texts,
                           size_t **lens)
{
    const struct doc_changes *ch = &doc->changes;
    const char *t = doc->text;
    size_t n = 0;
    *texts = xmalloc((ch->n_changed + 2) * sizeof(**texts));
    *lens = xmalloc((ch->n_changed + 2) * sizeof(**lens));
    (*texts)[n] = ch->old_words.data ? ch->old_words.data : "";
    (*lens)[n++] = ch->old_words.len;
    if (ch->any) {
        uint32_t a = ch->lo, b = ch->hi;
        while (a > s->lo && mg_is_ident_byte(t[a - 1]))
            a--;
        while (b < s->hi && mg_is_ident_byte(t[b]))
            b++;
        (*texts)[n] = t + a;
        (*lens)[n++] = b - a;
    }
    for (size_t k = 0; k < ch->n_changed; k++) {
        uint32_t a = line_start(t, ch->changed[k][0]);
        uint32_t b = line_end(t, doc->len, ch->changed[k][1]);
        (*texts)[n] = t + a;
        (*lens)[n++] = b - a;
    }
    return n;
}

/* Whether the edited texts hold one of `words` or (when `names` is not
 * NULL) one of F401's names. */
static bool edited_hit(const struct doc *doc, const struct span *s, const struct imp_words *names,
                       const char *const *words)
{
    const char **texts;
    size_t *lens;
    size_t n = edited_texts(doc, s, &texts, &lens);
    bool hit = false;
    for (size_t k = 0; k < n && !hit; k++)
        hit = has_word(words, texts[k], lens[k]) ||
              (names != NULL && imp_words_in(names, texts[k], lens[k]));
    free(texts);
    free(lens);
    return hit;
}

/* F401 for the names the edit touched (imp_words_closure): their import
 * statements' ranges go to `ranges`, the names to `only`. False: run it
 * whole. */
static bool f401_partial(const struct doc *doc, const struct span *s, const struct pdoc *pd,
                         struct mg_buf *only, struct ranges *ranges)
{
    struct imp_words *now = imp_words_new(pd);
    const char **texts;
    size_t *lens;
    size_t n = edited_texts(doc, s, &texts, &lens);
    uint32_t(*r)[2];
    size_t nr;
    bool ok = imp_words_closure(now, pd, texts, lens, n, only, &r, &nr);
    for (size_t k = 0; ok && k < nr; k++)
        ranges_add(ranges, r[k][0], r[k][1]);
    ranges_normalize(ranges);
    free(r);
    free(texts);
    free(lens);
    imp_words_free(now);
    return ok;
}

/* ---- running ------------------------------------------------------------------- */

void incr_stamp(struct doc *doc, struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        l->items[i].serial = doc->next_serial++;
        l->items[i].born = doc->version;
    }
}

static bool verify_wanted(void)
{
    static int wanted = -1;
    if (wanted < 0) {
        const char *v = getenv("MARGIN_VERIFY_INCREMENTAL");
        wanted = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
    }
    return wanted;
}

/* The client's view of a finding, as far as its encoded JSON goes. */
static bool same_face(const struct an_diag *a, const struct an_diag *b)
{
    return a->start == b->start && a->end == b->end && strcmp(a->code, b->code) == 0 &&
           strcmp(a->message, b->message) == 0 && a->severity == b->severity &&
           a->tags == b->tags && (a->n_fixes > 0) == (b->n_fixes > 0) &&
           a->fixes_deferred == b->fixes_deferred && a->n_related == b->n_related;
}

/* Give each finding of `fresh` that `prev` (findings made before, already
 * shifted to the current text) holds too the old one's serial, version,
 * position and JSON: a finding made again is the same finding to the
 * client, whose data keeps naming it. The others get new serials. Both
 * lists are sorted here; `prev` is released. */
static void carry_identities(struct doc *doc, struct diag_list *prev, struct diag_list *fresh)
{
    diag_list_sort(prev);
    diag_list_sort(fresh);
    size_t i = 0;
    for (size_t k = 0; k < fresh->n; k++) {
        struct an_diag *f = &fresh->items[k];
        while (i < prev->n && (prev->items[i].start < f->start ||
                               (prev->items[i].start == f->start && prev->items[i].end < f->end) ||
                               (prev->items[i].start == f->start && prev->items[i].end == f->end &&
                                strcmp(prev->items[i].code, f->code) < 0)))
            i++;
        struct an_diag *p = NULL;
        for (size_t j = i;
             j < prev->n && prev->items[j].start == f->start && prev->items[j].end == f->end &&
             strcmp(prev->items[j].code, f->code) == 0;
             j++)
            if (prev->items[j].encoded != (char *)1 && same_face(&prev->items[j], f)) {
                p = &prev->items[j];
                break;
            }
        if (p == NULL) {
            f->serial = doc->next_serial++;
            f->born = doc->version;
            continue;
        }
        f->serial = p->serial;
        f->born = p->born;
        f->has_pos = p->has_pos;
        memcpy(f->pos, p->pos, sizeof(f->pos));
        free(f->encoded);
        f->encoded = p->encoded;
        f->encoded_len = p->encoded_len;
        f->encoded_rest = p->encoded_rest;
        memcpy(f->encoded_pos, p->encoded_pos, sizeof(f->encoded_pos));
        f->encoded_severity = p->encoded_severity;
        p->encoded = (char *)1; /* taken: matched once */
    }
    for (size_t j = 0; j < prev->n; j++)
        if (prev->items[j].encoded == (char *)1)
            prev->items[j].encoded = NULL;
    diag_list_release(prev);
}

/* Merge sorted `from` into sorted `into` (what diag_list_sort() would
 * make of both: duplicates dropped), in one pass; `from` is emptied. */
static void merge_sorted(struct diag_list *into, struct diag_list *from)
{
    if (from->n == 0) {
        diag_list_release(from);
        return;
    }
    struct an_diag *v = xmalloc((into->n + from->n) * sizeof(*v));
    size_t i = 0, j = 0, n = 0;
    while (i < into->n || j < from->n) {
        struct an_diag *next;
        if (j >= from->n || (i < into->n && an_diag_cmp(&into->items[i], &from->items[j]) <= 0))
            next = &into->items[i++];
        else
            next = &from->items[j++];
        if (n > 0 && an_diag_cmp(&v[n - 1], next) == 0)
            an_diag_release(next);
        else
            v[n++] = *next;
    }
    free(into->items);
    into->items = v;
    into->n = into->cap = n;
    from->n = 0;
    diag_list_release(from);
}

/* Shift `d` (old offsets) to the current text, its position too; false
 * when the edit touched it. */
static bool carry(const struct span *s, int64_t dlines, struct an_diag *d)
{
    /* An end after the edited lines moves by whole lines (a range may
     * hold the edit: an E999 running to the end of the file). */
    bool start_after = d->start >= s->old_hi, end_after = d->end >= s->old_hi;
    if (!shift_diag(s, d))
        return false;
    if (start_after && d->has_pos)
        d->pos[0] = (uint32_t)((int64_t)d->pos[0] + dlines);
    if (end_after && d->has_pos)
        d->pos[2] = (uint32_t)((int64_t)d->pos[2] + dlines);
    return true;
}

/* Run the analyzers of `mask` on the whole file, each watching one into
 * its own list so its watch ranges are kept apart. Findings go to `out`. */
static void run_mask(struct incr *in, const struct pdoc *whole_doc, const struct an_opts *opts,
                     unsigned mask, struct py_module_memo *memo, struct diag_list *out)
{
    /* One scan of the module for all of them (and for facts_collect()). */
    struct pdoc shared = *whole_doc;
    shared.memo = memo;
    const struct pdoc *pd = &shared;
    size_t na;
    const struct analyzer *const *an = an_analyzers(&na);
    unsigned plain = 0;
    for (size_t i = 0; i < na; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (!an[i]->watches) {
            plain |= 1u << i;
            continue;
        }
        struct diag_list mine;
        diag_list_init(&mine);
        an_run_some(pd, opts, 1u << i, &mine);
        in->watch[i].n = 0;
        for (size_t k = 0; k < mine.n_watch; k++)
            ranges_add(&in->watch[i], mine.watch[k][0], mine.watch[k][1]);
        ranges_normalize(&in->watch[i]);
        for (size_t k = 0; k < mine.n; k++) {
            MG_GROW(out->items, out->cap, out->n + 1);
            out->items[out->n++] = mine.items[k];
        }
        mine.n = 0;
        diag_list_release(&mine);
    }
    if (plain)
        an_run_some(pd, opts, plain, out);
    free(out->watch);
    out->watch = NULL;
    out->n_watch = out->cap_watch = 0;
}

static bool f401_on(const struct an_opts *opts)
{
    return an_rule_enabled(opts, "F401");
}

/* A whole analysis. `prev`: the findings before, shifted to the current
 * text (their identities carry over), released here. */
static void whole(struct doc *doc, struct incr *in, const struct pdoc *pd,
                  const struct an_opts *opts, const struct cfg_resolved *cfg,
                  struct diag_list *prev, struct diag_list *out)
{
    struct py_module_memo memo = {0};
    run_mask(in, pd, opts, ~0u, &memo, out);
    cfg_resolved_filter(cfg, out);
    carry_identities(doc, prev, out);
    imp_words_free(in->f401);
    in->f401 = f401_on(opts) ? imp_words_new(pd) : NULL;
    ctx_collect(ts_tree_root_node(pd->tree), &in->ctx);
    facts_collect(in, pd, &memo);
    py_module_memo_release(&memo);
    in->index = pd->index;
    in->lines = doc->lines.n;
    in->valid = true;
}

/* Compare the findings of `a` and `b` (sorted) as a client would see them. */
static bool same_findings(const struct diag_list *a, const struct diag_list *b, const char *uri)
{
    bool same = a->n == b->n;
    for (size_t i = 0; same && i < a->n; i++) {
        const struct an_diag *x = &a->items[i], *y = &b->items[i];
        same = x->start == y->start && x->end == y->end && strcmp(x->code, y->code) == 0 &&
               strcmp(x->message, y->message) == 0 && x->severity == y->severity &&
               x->n_fixes == y->n_fixes && x->fixes_deferred == y->fixes_deferred &&
               x->n_related == y->n_related;
        for (size_t k = 0; same && k < x->n_related; k++)
            same = x->related[k].start == y->related[k].start &&
                   x->related[k].end == y->related[k].end;
        for (size_t k = 0; same && k < x->n_fixes; k++) {
            same = x->fixes[k].n_edits == y->fixes[k].n_edits;
            for (size_t j = 0; same && j < x->fixes[k].n_edits; j++)
                same = x->fixes[k].edits[j].start == y->fixes[k].edits[j].start &&
                       x->fixes[k].edits[j].end == y->fixes[k].edits[j].end &&
                       strcmp(x->fixes[k].edits[j].new_text, y->fixes[k].edits[j].new_text) == 0;
        }
        if (!same)
            LOGE("incremental analysis of %s differs at finding %zu: %s %u-%u '%s' vs %s %u-%u "
                 "'%s'",
                 uri, i, x->code, x->start, x->end, x->message, y->code, y->start, y->end,
                 y->message);
    }
    if (a->n != b->n)
        LOGE("incremental analysis of %s: %zu findings, a whole one %zu", uri, a->n, b->n);
    return same;
}

void incr_analyze(struct doc *doc, const struct pdoc *pd, const struct cfg_resolved *cfg,
                  struct diag_list *out)
{
    diag_list_init(out);
    if (doc->incr == NULL)
        doc->incr = xcalloc(1, sizeof(*doc->incr));
    struct incr *in = doc->incr;
    struct doc_changes *ch = &doc->changes;
    struct an_opts opts = cfg->opts;
    opts.lazy_fixes = true;
    size_t na;
    const struct analyzer *const *an = an_analyzers(&na);

    /* The edited lines. */
    const char *t = doc->text;
    struct span s = {UINT32_MAX, UINT32_MAX, UINT32_MAX, 0}; /* no edit: nothing shifts */
    if (ch->any) {
        s.lo = line_start(t, ch->lo);
        s.hi = line_end(t, doc->len, ch->hi);
        s.delta = ch->delta;
        s.old_hi = (uint32_t)((int64_t)s.hi - ch->delta);
    }
    int64_t dlines = (int64_t)doc->lines.n - (int64_t)in->lines;

    if (!in->valid || ch->all || pd->index != in->index || na > MAX_ANALYZERS) {
        /* The findings before still name theirs, unless the text was
         * replaced (or they were made some other way). */
        struct diag_list prev;
        diag_list_init(&prev);
        for (size_t i = 0; i < doc->diags.n; i++) {
            struct an_diag *d = &doc->diags.items[i];
            if (in->valid && !ch->replaced && carry(&s, dlines, d)) {
                MG_GROW(prev.items, prev.cap, prev.n + 1);
                prev.items[prev.n++] = *d;
            } else {
                an_diag_release(d);
            }
        }
        doc->diags.n = 0;
        diag_list_release(&doc->diags);
        whole(doc, in, pd, &opts, cfg, &prev, out);
        return;
    }
    if (!ch->any && ch->n_changed == 0) {
        *out = doc->diags; /* a reparse that changed nothing */
        diag_list_init(&doc->diags);
        return;
    }
    struct ranges dirty = {0};
    if (ch->any)
        ranges_add(&dirty, s.lo, s.hi);
    for (size_t i = 0; i < ch->n_changed; i++)
        ranges_add(&dirty, line_start(t, ch->changed[i][0]),
                   line_end(t, doc->len, ch->changed[i][1]));
    ranges_normalize(&dirty);

    /* What meets them: definitions to analyse again, or module statements. */
    TSNode root = ts_tree_root_node(pd->tree);
    struct ranges units = {0};
    bool ctx = false;
    if (dirty.n > 0)
        units_in(root, &dirty, &units, &ctx);
    ranges_normalize(&units);
    /* The module statements of the last analysis, where they are now. */
    for (size_t i = 0; i < in->ctx.n && !ctx; i++) {
        uint32_t a = in->ctx.v[i][0], b = in->ctx.v[i][1];
        if (b > s.lo && a < s.old_hi) {
            ctx = true;
        } else if (!shift(&s, &a) || !shift(&s, &b)) {
            ctx = true;
        } else {
            in->ctx.v[i][0] = a;
            in->ctx.v[i][1] = b;
            ctx = ranges_meet(&dirty, a, b);
        }
    }

    /* Words in the edited text, old and new. */
    const char *old_text = ch->old_lines.data ? ch->old_lines.data : "";
    size_t old_len = ch->old_lines.len;
    bool noqa = has_word(always_words, old_text, old_len);
    for (size_t i = 0; i < dirty.n && !noqa; i++)
        noqa = has_word(always_words, t + dirty.v[i][0], dirty.v[i][1] - dirty.v[i][0]);

    /* Decide per analyzer: run whole, run on `units`, run for some names
     * (F401), or keep. */
    unsigned run_whole = 0, run_units = 0, run_partial = 0;
    struct mg_buf only = {0};
    struct ranges f401_ranges = {0};
    for (size_t i = 0; i < na; i++) {
        const struct analyzer *a = an[i];
        bool w = noqa;
        if (a->locality == AN_PER_DEFINITION) {
            w = w || ctx || has_word(a->cross_words, old_text, old_len);
            for (size_t k = 0; k < units.n && !w; k++)
                w = has_word(a->cross_words, t + units.v[k][0], units.v[k][1] - units.v[k][0]);
            if (w)
                run_whole |= 1u << i;
            else if (units.n > 0)
                run_units |= 1u << i;
        } else if (strcmp(a->name, "imports") == 0 && in->f401 != NULL) {
            bool typed = has_type_comment(old_text, old_len);
            for (size_t k = 0; k < dirty.n && !typed; k++)
                typed = has_type_comment(t + dirty.v[k][0], dirty.v[k][1] - dirty.v[k][0]);
            if (w || typed) {
                w = true; /* a noqa or a type comment on the edited lines */
            } else if (in_comment(doc, pd->tree)) {
                /* only a comment changed: keep */
            } else if (edited_hit(doc, &s, NULL, f401_words)) {
                w = true; /* an import statement */
            } else if (edited_hit(doc, &s, in->f401, NULL)) {
                /* A name an import binds: those imports only, if they
                 * can be told apart. */
                if (f401_partial(doc, &s, pd, &only, &f401_ranges))
                    run_partial |= 1u << i;
                else
                    w = true;
            }
            if (w)
                run_whole |= 1u << i;
        } else if (a->watches) {
            w = w || ctx || edited_hit(doc, &s, NULL, a->cross_words);
            /* What it read, where it is now. */
            struct ranges *wr = &in->watch[i];
            for (size_t k = 0; k < wr->n && !w; k++) {
                uint32_t x = wr->v[k][0], y = wr->v[k][1];
                if ((y > s.lo && x < s.old_hi) || !shift(&s, &x) || !shift(&s, &y)) {
                    w = true;
                } else {
                    wr->v[k][0] = x;
                    wr->v[k][1] = y;
                    w = ranges_meet(&dirty, x, y);
                }
            }
            if (w)
                run_whole |= 1u << i;
        } else {
            run_whole |= 1u << i; /* F401 off, or reads everything */
        }
    }
    /* A finding that cannot be shifted, and that its analyzer would not
     * make again, sends that analyzer over the whole file. A finding on
     * the edited lines is made again only if units cover them all. */
    bool span_covered = false;
    for (size_t k = 0; k < units.n && ch->any; k++)
        span_covered |= units.v[k][0] <= s.lo && units.v[k][1] >= s.hi;
    for (size_t i = 0; i < doc->diags.n && ch->any; i++) {
        const struct an_diag *d = &doc->diags.items[i];
        unsigned bit = 1u << d->analyzer;
        if ((run_whole & bit) || !diag_touched(&s, d))
            continue;
        if (run_units & bit) {
            uint32_t x = d->start;
            if (shift(&s, &x) ? ranges_meet(&units, x, x) : span_covered)
                continue;
        }
        if (run_partial & bit) {
            uint32_t x = d->start;
            if (shift(&s, &x) && ranges_meet(&f401_ranges, x, x))
                continue;
        }
        run_whole |= bit;
        run_units &= ~bit;
        run_partial &= ~bit;
    }

    /* Carry over what stands; what is analysed again may come back the
     * same (carry_identities). */
    struct diag_list fresh, prev;
    diag_list_init(&fresh);
    diag_list_init(&prev);
    for (size_t i = 0; i < doc->diags.n; i++) {
        struct an_diag *d = &doc->diags.items[i];
        unsigned bit = 1u << d->analyzer;
        if (!carry(&s, dlines, d)) {
            an_diag_release(d);
            continue;
        }
        bool keep = !(run_whole & bit) &&
                    !((run_units & bit) && ranges_meet(&units, d->start, d->start)) &&
                    !((run_partial & bit) && ranges_meet(&f401_ranges, d->start, d->start));
        struct diag_list *to = keep ? out : &prev;
        MG_GROW(to->items, to->cap, to->n + 1);
        to->items[to->n++] = *d;
    }
    doc->diags.n = 0;
    diag_list_release(&doc->diags);

    /* Analyse what changed. */
    struct py_module_memo memo = {0};
    if (run_whole)
        run_mask(in, pd, &opts, run_whole, &memo, &fresh);
    if (run_units) {
        struct pdoc scoped = *pd;
        scoped.scope = (const uint32_t(*)[2])units.v;
        scoped.n_scope = units.n;
        if (!ctx && in->has_facts) {
            facts_shift(in, &s);
            scoped.facts = in->has_facts ? &in->facts : NULL;
        }
        struct diag_list part;
        diag_list_init(&part);
        an_run_some(&scoped, &opts, run_units, &part);
        for (size_t i = 0; i < part.n; i++) {
            struct an_diag *d = &part.items[i];
            if (ranges_meet(&units, d->start, d->start)) {
                MG_GROW(fresh.items, fresh.cap, fresh.n + 1);
                fresh.items[fresh.n++] = *d;
            } else {
                an_diag_release(d);
            }
        }
        part.n = 0;
        diag_list_release(&part);
    }
    if (run_partial) {
        struct pdoc some = *pd;
        some.only_names = only.data;
        struct diag_list part;
        diag_list_init(&part);
        an_run_some(&some, &opts, run_partial, &part);
        for (size_t i = 0; i < part.n; i++) {
            struct an_diag *d = &part.items[i];
            if (ranges_meet(&f401_ranges, d->start, d->start)) {
                MG_GROW(fresh.items, fresh.cap, fresh.n + 1);
                fresh.items[fresh.n++] = *d;
            } else {
                an_diag_release(d);
            }
        }
        part.n = 0;
        diag_list_release(&part);
    }
    mg_buf_release(&only);
    ranges_free(&f401_ranges);
    cfg_resolved_filter(cfg, &fresh);
    carry_identities(doc, &prev, &fresh); /* sorts `fresh` */
    merge_sorted(out, &fresh);

    for (size_t i = 0; i < na; i++)
        if ((run_whole & (1u << i)) && strcmp(an[i]->name, "imports") == 0) {
            imp_words_free(in->f401);
            in->f401 = f401_on(&opts) ? imp_words_new(pd) : NULL;
        }
    if (ctx) {
        ctx_collect(root, &in->ctx);
        facts_collect(in, pd, &memo);
    } else if (!run_units && in->has_facts) {
        facts_shift(in, &s); /* kept in step with the text */
    }
    py_module_memo_release(&memo);
    in->lines = doc->lines.n;
    LOGD("%s v%lld: incremental, %zu units, whole %#x, units %#x, by name %#x", doc->uri,
         (long long)doc->version, units.n, run_whole, run_units, run_partial);
    ranges_free(&dirty);
    ranges_free(&units);

    if (verify_wanted()) {
        struct diag_list check;
        diag_list_init(&check);
        an_run_all(pd, &opts, &check);
        cfg_resolved_filter(cfg, &check);
        diag_list_sort(&check);
        if (!same_findings(out, &check, doc->uri))
            abort();
        diag_list_release(&check);
    }
}

void incr_forget(struct doc *doc)
{
    if (doc->incr != NULL)
        doc->incr->valid = false;
}

void incr_free(struct incr *in)
{
    if (in == NULL)
        return;
    imp_words_free(in->f401);
    ranges_free(&in->ctx);
    py_module_release(&in->facts);
    for (size_t i = 0; i < MAX_ANALYZERS; i++)
        ranges_free(&in->watch[i]);
    free(in);
}
