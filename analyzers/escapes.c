/* What escapes a function, against what its docstring says:
 *
 *   MG310  an exception may escape a public, documented function but its
 *          Raises section does not name it (nor a base class of it)
 *   MG311  the Raises section names an exception that can no longer escape
 *
 * The escape set comes from the workspace index (index.h): the function's
 * own raises plus what its callees let through, minus what the enclosing
 * try statements catch, by the class hierarchy. This document is
 * summarised afresh (summary.h) and analysed as a view against the index
 * (pdoc.index), or alone when there is none: the cost of a run is this
 * module's summary and fixpoint, never the workspace's.
 *
 * MG311 speaks only when the set is known to be whole (every call resolved,
 * transitively) and the documented class is the workspace's own or another
 * library's: built-in exceptions also come from operations we do not model
 * (`d[k]`, `a / b`, unpacking), so a documented KeyError is never stale.
 *
 * Raises sections: Google ("Raises:" then indented "X: text" entries),
 * NumPy ("Raises" over dashes, then "X" entries with indented text) and
 * Sphinx (":raises X: text", also :raise:, :except:, :exception:). */
#include "analyzer.h"
#include "exc_common.h"
#include "index.h"
#include "mg.h"
#include "pyast.h"
#include "summary.h"

#include <stdlib.h>
#include <string.h>

#define ESC_MAX_DOCUMENTED 64

enum style { ST_GOOGLE, ST_NUMPY, ST_SPHINX };

/* One documented name. */
struct dname {
    uint32_t s, e; /* bytes of the document */
};

/* One Raises entry: its names and the lines it spans. */
struct dentry {
    uint32_t first_ls; /* start of its first line */
    uint32_t last_le;  /* after the newline of its last line (or the content end) */
    struct dname names[4];
    size_t n_names;
};

struct raises {
    bool found;
    enum style style;
    uint32_t header_ls; /* Google/NumPy: start of the header line */
    uint32_t blank_ls;  /* start of the blank line before the header, else header_ls */
    uint32_t end_le;    /* after the section's last line */
    uint32_t entry_col; /* indentation of entries (bytes) */
    struct dentry ent[ESC_MAX_DOCUMENTED];
    size_t n;
};

static int init(const TSLanguage *lang)
{
    return exc_init(lang);
}

static void fini(void)
{
    exc_fini();
}

/* ---- reading the docstring ---------------------------------------------- */

struct line {
    uint32_t ls, le, next; /* start, end (before newline), start of the next line */
    uint32_t ind;          /* indentation in bytes */
    uint32_t ts;           /* first non-blank byte */
    bool blank;
};

static size_t split(const char *t, uint32_t cs, uint32_t ce, struct line **out)
{
    struct line *v = NULL;
    size_t n = 0, cap = 0;
    uint32_t i = cs;
    for (;;) {
        uint32_t ls = i;
        while (i < ce && t[i] != '\n')
            i++;
        uint32_t le = i > ls && t[i - 1] == '\r' ? i - 1 : i;
        uint32_t ts = ls;
        while (ts < le && (t[ts] == ' ' || t[ts] == '\t'))
            ts++;
        MG_GROW(v, cap, n + 1);
        v[n++] = (struct line){ls, le, i < ce ? i + 1 : ce, ts - ls, ts, ts == le};
        if (i >= ce)
            break;
        i++;
    }
    *out = v;
    return n;
}

static bool line_is(const char *t, const struct line *l, const char *w)
{
    size_t n = strlen(w);
    return l->le - l->ts == n && memcmp(t + l->ts, w, n) == 0;
}

static bool is_dashes(const char *t, const struct line *l)
{
    if (l->blank)
        return false;
    for (uint32_t i = l->ts; i < l->le; i++)
        if (t[i] != '-')
            return false;
    return l->le - l->ts >= 3;
}

static bool name_byte(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || (unsigned char)ch >= 0x80;
}

/* Names in [s, e): "X", "X, Y", "`X`", ":exc:`~pkg.X`", "X or Y". */
static void add_names(const char *t, uint32_t s, uint32_t e, struct dentry *en)
{
    uint32_t i = s;
    while (i < e && en->n_names < MG_ARRAY_LEN(en->names)) {
        if (t[i] == ':' && i + 1 < e && t[i + 1] != ' ') { /* a role: skip ":exc:" */
            uint32_t j = i + 1;
            while (j < e && t[j] != ':' && t[j] != ' ')
                j++;
            i = j + 1;
            continue;
        }
        if (!name_byte(t[i]) || t[i] == '.') {
            i++;
            continue;
        }
        uint32_t ns = i;
        while (i < e && name_byte(t[i]))
            i++;
        if (!(i - ns == 2 && memcmp(t + ns, "or", 2) == 0))
            en->names[en->n_names++] = (struct dname){ns, i};
    }
}

static const char *const sphinx_keys[] = {":raises ", ":raise ", ":except ", ":exception "};

/* Find the Raises section of the docstring contents [cs, ce). */
static void parse_raises(const char *t, uint32_t cs, uint32_t ce, struct raises *r)
{
    memset(r, 0, sizeof(*r));
    struct line *L;
    size_t n = split(t, cs, ce, &L);
    for (size_t i = 1; i < n && !r->found; i++) {
        const struct line *h = &L[i];
        bool numpy = line_is(t, h, "Raises") && i + 1 < n && is_dashes(t, &L[i + 1]);
        bool google = line_is(t, h, "Raises:");
        if (!numpy && !google)
            continue;
        r->found = true;
        r->style = numpy ? ST_NUMPY : ST_GOOGLE;
        r->header_ls = h->ls;
        r->blank_ls = L[i - 1].blank && i > 1 ? L[i - 1].ls : h->ls;
        r->end_le = numpy ? L[i + 1].next : h->next;
        int entry_ind = numpy ? (int)h->ind : -1;
        struct dentry *cur = NULL;
        for (size_t j = i + (numpy ? 2 : 1); j < n; j++) {
            const struct line *x = &L[j];
            if (x->blank)
                continue;
            if (x->ind < h->ind + (numpy ? 0u : 1u))
                break;
            if (numpy && j + 1 < n && is_dashes(t, &L[j + 1]))
                break; /* the next NumPy section */
            if (entry_ind < 0)
                entry_ind = (int)x->ind;
            if (x->ind == (uint32_t)entry_ind && r->n < ESC_MAX_DOCUMENTED) {
                cur = &r->ent[r->n++];
                memset(cur, 0, sizeof(*cur));
                cur->first_ls = x->ls;
                uint32_t ne = x->le;
                if (!numpy) {
                    const char *colon = memchr(t + x->ts, ':', x->le - x->ts);
                    if (colon != NULL)
                        ne = (uint32_t)(colon - t);
                    /* "X: text" or "X (detail): text" */
                    const char *paren = memchr(t + x->ts, '(', ne - x->ts);
                    if (paren != NULL)
                        ne = (uint32_t)(paren - t);
                }
                add_names(t, x->ts, ne, cur);
            } else if (x->ind < (uint32_t)entry_ind) {
                break;
            }
            if (cur != NULL) {
                cur->last_le = x->next;
                r->end_le = x->next;
            }
        }
        r->entry_col = entry_ind < 0 ? h->ind + 4 : (uint32_t)entry_ind;
    }
    for (size_t i = 1; i < n && !r->found; i++) {
        for (size_t k = 0; k < MG_ARRAY_LEN(sphinx_keys); k++) {
            size_t kl = strlen(sphinx_keys[k]);
            const struct line *x = &L[i];
            if (x->le - x->ts <= kl || memcmp(t + x->ts, sphinx_keys[k], kl) != 0)
                continue;
            const char *colon = memchr(t + x->ts + kl, ':', x->le - x->ts - kl);
            if (colon == NULL || r->n >= ESC_MAX_DOCUMENTED)
                continue;
            struct dentry *en = &r->ent[r->n++];
            memset(en, 0, sizeof(*en));
            en->first_ls = x->ls;
            en->last_le = x->next;
            for (size_t j = i + 1; j < n && !L[j].blank && L[j].ind > x->ind; j++)
                en->last_le = L[j].next;
            add_names(t, x->ts + (uint32_t)kl, (uint32_t)(colon - t), en);
            r->entry_col = x->ind;
        }
    }
    if (!r->found && r->n > 0) {
        r->found = true;
        r->style = ST_SPHINX;
        r->end_le = r->ent[r->n - 1].last_le;
    }
    free(L);
}

/* The style to write a new section in: what the docstring shows, else the
 * configured one, else Google. */
static enum style style_of(const char *t, uint32_t cs, uint32_t ce, const struct an_opts *o)
{
    struct line *L;
    size_t n = split(t, cs, ce, &L);
    enum style s = o->docstring_style == AN_DOC_STYLE_NUMPY    ? ST_NUMPY
                   : o->docstring_style == AN_DOC_STYLE_SPHINX ? ST_SPHINX
                                                               : ST_GOOGLE;
    for (size_t i = 1; i < n; i++) {
        if (i + 1 < n && is_dashes(t, &L[i + 1]) && !L[i].blank) {
            s = ST_NUMPY;
            break;
        }
        if (L[i].le > L[i].ts + 7 && memcmp(t + L[i].ts, ":param ", 7) == 0) {
            s = ST_SPHINX;
            break;
        }
        if (L[i].le > L[i].ts && t[L[i].le - 1] == ':' &&
            (line_is(t, &L[i], "Args:") || line_is(t, &L[i], "Returns:") ||
             line_is(t, &L[i], "Arguments:") || line_is(t, &L[i], "Yields:"))) {
            s = ST_GOOGLE;
            break;
        }
    }
    free(L);
    return s;
}

/* Whether the docstring has sections (Google headers, NumPy underlined
 * headers, Sphinx fields). Summary-only docstrings are not checked, as
 * pylint ignores docstrings of no known style and pydoclint skips short
 * docstrings by default. */
static bool has_sections(const char *t, uint32_t cs, uint32_t ce)
{
    static const char *const google[] = {
        "Args:",    "Arguments:",  "Parameters:",   "Params:",
        "Returns:", "Return:",     "Yields:",       "Yield:",
        "Raises:",  "Attributes:", "Example:",      "Examples:",
        "Note:",    "Notes:",      "Keyword Args:", "Keyword Arguments:",
        "Warns:",   "Todo:",       "See Also:",     "Other Parameters:",
    };
    struct line *L;
    size_t n = split(t, cs, ce, &L);
    bool yes = false;
    for (size_t i = 1; i < n && !yes; i++) {
        if (L[i].blank)
            continue;
        if (i + 1 < n && is_dashes(t, &L[i + 1]))
            yes = true;
        for (size_t k = 0; k < MG_ARRAY_LEN(google) && !yes; k++)
            yes = line_is(t, &L[i], google[k]);
        if (!yes && t[L[i].ts] == ':') {
            static const char *const fields[] = {":param", ":return", ":rtype", ":raise",
                                                 ":type",  ":yield",  ":except"};
            for (size_t k = 0; k < MG_ARRAY_LEN(fields) && !yes; k++)
                yes = L[i].le - L[i].ts > strlen(fields[k]) &&
                      memcmp(t + L[i].ts, fields[k], strlen(fields[k])) == 0;
        }
    }
    free(L);
    return yes;
}

/* Ruff's DOC501 leaves out abstract methods and stubs: a body that is only
 * a docstring, `pass`, `...` or `raise NotImplementedError`. */
static bool is_stub_or_abstract(const struct pdoc *doc, const struct py_def *d)
{
    if (d->flags & PY_DECORATED) {
        uint32_t s = ts_node_start_byte(d->outer), e = ts_node_start_byte(d->node);
        if (memmem(doc->text + s, e - s, "abstractmethod", 14) != NULL)
            return true;
    }
    struct exc_kids k;
    TSNode st;
    bool stub = true;
    size_t i = 0;
    exc_kids_begin(&k, d->body);
    while (stub && exc_kids_next(&k, &st)) {
        uint32_t len;
        const char *s = py_text(doc, st, &len);
        if (i++ == 0 && py_is(st, "expression_statement") &&
            py_is(ts_node_named_child(st, 0), "string"))
            continue;
        stub = py_is(st, "pass_statement") || (len == 3 && memcmp(s, "...", 3) == 0) ||
               (py_is(st, "raise_statement") && len >= 25 &&
                memmem(s, len, "NotImplementedError", 19) != NULL);
    }
    exc_kids_end(&k);
    return stub;
}

/* ---- matching ----------------------------------------------------------- */

static const char *last_part(const char *q)
{
    const char *d = strrchr(q, '.');
    return d ? d + 1 : q;
}

/* Built-in exceptions that operations raise without any call we see. */
static bool implicit_builtin(const char *q)
{
    static const char *const implicit[] = {
        "BaseException",
        "Exception",
        "LookupError",
        "KeyError",
        "IndexError",
        "AttributeError",
        "TypeError",
        "ValueError",
        "ArithmeticError",
        "ZeroDivisionError",
        "OverflowError",
        "StopIteration",
        "StopAsyncIteration",
        "AssertionError",
        "NameError",
        "UnboundLocalError",
        "RecursionError",
        "MemoryError",
        "RuntimeError",
        "ImportError",
        "ModuleNotFoundError",
        "UnicodeError",
        "UnicodeDecodeError",
        "UnicodeEncodeError",
        "KeyboardInterrupt",
        "SystemExit",
        "GeneratorExit",
        "OSError",
        "IOError",
        "EnvironmentError",
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(implicit); i++)
        if (strcmp(implicit[i], q) == 0)
            return true;
    return false;
}

struct doc_name {
    char *text; /* as written */
    char *q;    /* resolved */
    size_t entry;
};

/* Whether documented `d` covers escaping `t`. */
static bool covers(const struct idx_view *v, const struct doc_name *d, const char *t)
{
    if (idx_view_is_subclass(v, t, d->q))
        return true;
    /* Unresolved documentation ("errors.NotFound" with errors not imported):
     * a dotted suffix of the qualified name. */
    size_t tl = strlen(t), dl = strlen(d->text);
    return dl <= tl && strcmp(t + tl - dl, d->text) == 0 && (dl == tl || t[tl - dl - 1] == '.');
}

/* ---- findings ----------------------------------------------------------- */

struct run {
    const struct pdoc *doc;
    const struct an_opts *opts;
    struct diag_list *out;
    const struct sum_module *m;
    struct idx_view *v;
};

static const char *short_name(const char *qname)
{
    return last_part(qname);
}

static char *path_base(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return xstrdup(s ? s + 1 : p ? p : "");
}

/* relatedInformation: one entry per step of the witness path. */
static size_t related_for(struct run *R, size_t fi, size_t k, struct an_related *rel, size_t cap)
{
    struct idx_step steps[IDX_MAX_PATH];
    size_t n = idx_view_path(R->v, fi, k, steps, IDX_MAX_PATH);
    size_t out = 0;
    for (size_t i = 0; i < n && out < cap; i++) {
        struct an_related *r = &rel[out++];
        memset(r, 0, sizeof(*r));
        const struct idx_step *s = &steps[i];
        char *where = path_base(s->path);
        if (s->is_raise)
            r->message =
                xasprintf("`raise %s` in `%s` at %s:%u", short_name(idx_view_escape(R->v, fi, k)),
                          short_name(s->qname), where, s->line + 1);
        else
            r->message =
                xasprintf("`%s` calls `%s` at %s:%u", short_name(s->qname),
                          i + 1 < n ? short_name(steps[i + 1].qname) : "?", where, s->line + 1);
        free(where);
        if (s->local) {
            r->start = s->start;
            r->end = s->end;
        } else {
            r->path = (char *)s->path;
            r->line = s->line;
            r->character = s->col16;
        }
    }
    return out;
}

/* The text of the indentation at the start of the line holding `off`. */
static char *indent_at(const char *t, uint32_t off)
{
    uint32_t ls = off;
    while (ls > 0 && t[ls - 1] != '\n')
        ls--;
    uint32_t e = ls;
    while (e < off && (t[e] == ' ' || t[e] == '\t'))
        e++;
    return xstrndup(t + ls, e - ls);
}

static const char *newline_of(const char *t, size_t len)
{
    const char *nl = memchr(t, '\n', len);
    return nl != NULL && nl > t && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* One entry's lines, each ending with a newline, for type `name`. */
static void entry_text(struct mg_buf *b, enum style st, const char *ind, const char *name,
                       const char *why, const char *nl)
{
    switch (st) {
    case ST_NUMPY:
        mg_buf_addf(b, "%s%s%s%s    %s%s", ind, name, nl, ind, why, nl);
        break;
    case ST_SPHINX:
        mg_buf_addf(b, "%s:raises %s: %s%s", ind, name, why, nl);
        break;
    default:
        mg_buf_addf(b, "%s%s: %s%s", ind, name, why, nl);
        break;
    }
}

struct missing {
    const char *type; /* qualified */
    size_t k;         /* its index in the escape set */
    char *why;
};

/* The fix for MG310: add every missing entry (all of them, so that one
 * application settles the function). */
static bool add_entries_fix(struct run *R, TSNode str, uint32_t cs, uint32_t ce,
                            const struct raises *r, const struct missing *miss, size_t n_miss,
                            struct an_fix *fix)
{
    const char *t = R->doc->text;
    const char *nl = newline_of(t, R->doc->len);
    char *base = indent_at(t, ts_node_start_byte(str));
    struct mg_buf b = {0};
    uint32_t at;
    if (r->found) {
        char *ind = xasprintf("%*s", (int)r->entry_col, "");
        /* after the section's last line; a section ending the docstring
         * without a newline gets one first */
        at = r->end_le;
        if (at == ce && (at == cs || t[at - 1] != '\n'))
            mg_buf_adds(&b, nl);
        for (size_t i = 0; i < n_miss; i++)
            entry_text(&b, r->style, ind, last_part(miss[i].type), miss[i].why, nl);
        free(ind);
        if (at == ce) /* the closing quotes go back on their own line */
            mg_buf_adds(&b, base);
    } else {
        enum style st = style_of(t, cs, ce, R->opts);
        /* before the closing quotes, after the last non-blank text */
        uint32_t e = ce;
        while (e > cs &&
               (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\n' || t[e - 1] == '\r'))
            e--;
        at = e;
        char *sub = xasprintf("%s%s", base, st == ST_GOOGLE ? "    " : "");
        /* Sphinx fields follow the last field directly */
        uint32_t ls = e;
        while (ls > cs && t[ls - 1] != '\n')
            ls--;
        while (ls < e && (t[ls] == ' ' || t[ls] == '\t'))
            ls++;
        bool after_field = st == ST_SPHINX && ls > cs && t[ls] == ':';
        mg_buf_addf(&b, "%s%s", nl, after_field ? "" : nl);
        if (st == ST_GOOGLE)
            mg_buf_addf(&b, "%sRaises:%s", base, nl);
        else if (st == ST_NUMPY)
            mg_buf_addf(&b, "%sRaises%s%s------%s", base, nl, base, nl);
        for (size_t i = 0; i < n_miss; i++)
            entry_text(&b, st, sub, last_part(miss[i].type), miss[i].why, nl);
        mg_buf_adds(&b, base);
        free(sub);
        /* what stood between the text and the quotes is replaced */
        fix->edits = xcalloc(1, sizeof(*fix->edits));
        fix->edits[0] = (struct an_edit){at, ce, mg_buf_detach(&b, NULL)};
        fix->n_edits = 1;
        free(base);
        return true;
    }
    free(base);
    fix->edits = xcalloc(1, sizeof(*fix->edits));
    fix->edits[0] = (struct an_edit){at, at, mg_buf_detach(&b, NULL)};
    fix->n_edits = 1;
    return true;
}

static void fix_free(struct an_fix *f)
{
    for (size_t i = 0; i < f->n_edits; i++)
        free(f->edits[i].new_text);
    free(f->edits);
    free(f->title);
}

static void check_function(struct run *R, const struct py_def *d, size_t fi)
{
    const char *t = R->doc->text;
    TSNode str = py_docstring(R->doc, d->body);
    uint32_t cs, ce;
    if (ts_node_is_null(str) || !py_string_contents(R->doc, str, &cs, &ce, NULL))
        return;
    struct raises r;
    parse_raises(t, cs, ce, &r);
    struct doc_name docs[ESC_MAX_DOCUMENTED];
    size_t n_docs = 0;
    for (size_t i = 0; i < r.n; i++)
        for (size_t j = 0; j < r.ent[i].n_names && n_docs < ESC_MAX_DOCUMENTED; j++) {
            struct doc_name *dn = &docs[n_docs++];
            dn->text = xstrndup(t + r.ent[i].names[j].s, r.ent[i].names[j].e - r.ent[i].names[j].s);
            dn->q = idx_view_resolve(R->v, dn->text);
            dn->entry = i;
        }
    size_t n_esc = idx_view_n_escapes(R->v, fi);
    struct missing *miss = n_esc ? xcalloc(n_esc, sizeof(*miss)) : NULL;
    size_t n_miss = 0;
    for (size_t k = 0; k < n_esc; k++) {
        const char *ty = idx_view_escape(R->v, fi, k);
        bool ok = false;
        for (size_t i = 0; i < n_docs && !ok; i++)
            ok = covers(R->v, &docs[i], ty);
        if (ok)
            continue;
        struct idx_step steps[IDX_MAX_PATH];
        size_t n = idx_view_path(R->v, fi, k, steps, IDX_MAX_PATH);
        miss[n_miss].type = ty;
        miss[n_miss].k = k;
        miss[n_miss].why = n > 1 ? xasprintf("Raised by `%s`.", short_name(steps[1].qname))
                                 : xstrdup("Raised directly.");
        n_miss++;
    }
    const char *fname = short_name(R->m->funcs[fi].qname);
    bool fixes = an_rule_enabled(R->opts, "MG310") && n_miss > 0;
    struct an_fix fix = {0};
    if (fixes && !R->opts->lazy_fixes) {
        add_entries_fix(R, str, cs, ce, &r, miss, n_miss, &fix);
        fix.title = n_miss == 1
                        ? xasprintf("Add `%s` to the Raises section", last_part(miss[0].type))
                        : xasprintf("Add the %zu missing exceptions to the Raises section", n_miss);
        fix.safe = false;
    }
    for (size_t i = 0; i < n_miss; i++) {
        struct an_related rel[IDX_MAX_PATH];
        struct an_diag dg = {.code = "MG310",
                             .severity = AN_WARNING,
                             .start = ts_node_start_byte(d->name),
                             .end = ts_node_end_byte(d->name)};
        dg.message = xasprintf("`%s` may escape `%s` but is not in its Raises section",
                               last_part(miss[i].type), fname);
        dg.related = rel;
        dg.n_related = related_for(R, fi, miss[i].k, rel, IDX_MAX_PATH);
        if (fix.n_edits) {
            dg.fixes = &fix;
            dg.n_fixes = 1;
        } else if (fixes) {
            dg.fixes_deferred = true;
        }
        diag_list_add(R->out, &dg);
        free(dg.message);
        for (size_t j = 0; j < dg.n_related; j++)
            free(rel[j].message);
        free(miss[i].why);
    }
    fix_free(&fix);
    free(miss);
    /* MG311: only on a whole escape set, only for classes whose every
     * escape we can see. */
    if (idx_view_complete(R->v, fi) && an_rule_enabled(R->opts, "MG311")) {
        for (size_t i = 0; i < n_docs; i++) {
            if (implicit_builtin(docs[i].q))
                continue;
            bool alive = false;
            for (size_t k = 0; k < n_esc && !alive; k++) {
                const char *ty = idx_view_escape(R->v, fi, k);
                alive = covers(R->v, &docs[i], ty) || idx_view_is_subclass(R->v, docs[i].q, ty);
            }
            if (alive)
                continue;
            const struct dentry *en = &r.ent[docs[i].entry];
            struct an_diag dg = {.code = "MG311",
                                 .severity = AN_WARNING,
                                 .start = ts_node_start_byte(d->name),
                                 .end = ts_node_end_byte(d->name)};
            dg.message = xasprintf("`%s` is in the Raises section of `%s` but cannot escape it",
                                   docs[i].text, fname);
            struct an_fix rm = {0};
            struct an_edit e = {0};
            if (en->n_names == 1) {
                /* the whole entry; the whole section when it is the only one */
                e.start = en->first_ls;
                e.end = en->last_le ? en->last_le : en->first_ls;
                if (r.n == 1 && r.style != ST_SPHINX) {
                    e.start = r.blank_ls;
                    e.end = r.end_le;
                } else if (r.n == 1) {
                    /* the blank line before a lone field goes too */
                    uint32_t p = e.start > cs ? e.start - 1 : cs, b = p;
                    while (b > cs && t[b - 1] != '\n')
                        b--;
                    bool blank = b < p;
                    for (uint32_t q = b; q < p && blank; q++)
                        blank = t[q] == ' ' || t[q] == '\t' || t[q] == '\r';
                    if (b > cs && (blank || b == p))
                        e.start = b;
                }
                if (e.end == ce) { /* keep the closing quotes' indentation */
                    uint32_t q = ce;
                    while (q > e.start && (t[q - 1] == ' ' || t[q - 1] == '\t'))
                        q--;
                    e.end = q;
                }
                e.new_text = "";
                rm.title = xasprintf("Remove `%s` from the Raises section", docs[i].text);
                rm.edits = &e;
                rm.n_edits = 1;
                dg.fixes = &rm;
                dg.n_fixes = 1;
            }
            diag_list_add(R->out, &dg);
            free(dg.message);
            free(rm.title);
        }
    }
    for (size_t i = 0; i < n_docs; i++) {
        free(docs[i].text);
        free(docs[i].q);
    }
}

static char *stem_name(const char *path, bool *pkg)
{
    *pkg = false;
    if (path == NULL)
        return xstrdup("__main__");
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    const char *dot = strrchr(s, '.');
    size_t n = dot ? (size_t)(dot - s) : strlen(s);
    *pkg = n == 8 && strncmp(s, "__init__", 8) == 0;
    return xstrndup(s, n);
}

/* Whether definition `d` is checked: a public function or method with a
 * docstring that has sections, not an overload, stub or abstract method. */
static bool is_candidate(const struct pdoc *doc, const struct py_def *d)
{
    if (!d->is_public || (d->kind != PY_FUNCTION && d->kind != PY_METHOD) ||
        (d->flags & PY_OVERLOAD))
        return false;
    TSNode str = py_docstring(doc, d->body);
    uint32_t cs, ce;
    return !ts_node_is_null(str) && py_string_contents(doc, str, &cs, &ce, NULL) &&
           has_sections(doc->text, cs, ce) && !is_stub_or_abstract(doc, d);
}

/* The scanned definition whose function_definition starts at `at`
 * (definitions come in source order). */
static const struct py_def *def_starting_at(const struct py_module *pm, uint32_t at)
{
    size_t lo = 0, hi = pm->n_defs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts_node_start_byte(pm->defs[mid].node) < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pm->n_defs && ts_node_start_byte(pm->defs[lo].node) == at ? &pm->defs[lo] : NULL;
}

static int run(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out)
{
    if (!an_rule_enabled(opts, "MG310") && !an_rule_enabled(opts, "MG311"))
        return 0;
    if (doc->index == NULL && mg_memmem(doc->text, doc->len, "aise", 4) == NULL)
        return 0; /* alone, no Raises section and no raise: nothing to say */
    struct py_module pm = {0};
    py_module_scan(doc, &pm);
    uint32_t *wanted = NULL;
    size_t n_wanted = 0, cap_wanted = 0;
    size_t *which = NULL;
    for (size_t i = 0; i < pm.n_defs; i++) {
        /* A function becomes a candidate when its docstring gains
         * sections: edits there matter even now. */
        const struct py_def *d = &pm.defs[i];
        TSNode str = d->is_public ? py_docstring(doc, d->body) : (TSNode){0};
        if (!ts_node_is_null(str))
            diag_list_watch(out, ts_node_start_byte(str), ts_node_end_byte(str));
        if (!is_candidate(doc, d))
            continue;
        MG_GROW(wanted, cap_wanted, n_wanted + 1);
        which = xrealloc(which, cap_wanted * sizeof(*which));
        which[n_wanted] = i;
        wanted[n_wanted++] = ts_node_start_byte(pm.defs[i].node);
    }
    if (n_wanted == 0) {
        py_module_release(&pm);
        return 0;
    }
    const struct sum_module *im = doc->index ? idx_module_at(doc->index, doc->path) : NULL;
    bool pkg = false;
    char *name = im ? xstrdup(im->name) : stem_name(doc->path, &pkg);
    if (im)
        pkg = im->is_package;
    /* Only the checked functions' bodies and what they call in this file
     * are read: the cost follows them, not the file. */
    struct sum_module *m = sum_build_for(doc, name, pkg, wanted, n_wanted);
    free(name);
    /* What the findings read: the bodies walked (a function not found
     * among the scanned definitions makes it the whole file). */
    for (size_t fi = 0; fi < m->n_funcs; fi++) {
        if (!m->funcs[fi].walked)
            continue;
        const struct py_def *d = def_starting_at(&pm, m->funcs[fi].def_start);
        if (d != NULL)
            diag_list_watch(out, ts_node_start_byte(d->outer), ts_node_end_byte(d->outer));
        else
            diag_list_watch(out, 0, (uint32_t)doc->len);
    }
    struct run R = {doc, opts, out, m, idx_view_new(doc->index, m)};
    for (size_t k = 0; k < n_wanted; k++)
        for (size_t fi = 0; fi < m->n_funcs; fi++)
            if (m->funcs[fi].def_start == wanted[k]) {
                check_function(&R, &pm.defs[which[k]], fi);
                break;
            }
    idx_view_free(R.v);
    sum_free(m);
    free(wanted);
    free(which);
    py_module_release(&pm);
    return 0;
}

static const struct an_rule rules[] = {
    {"MG310", "undocumented-escaping-exception", AN_WARNING,
     "An exception may escape a documented public function but its Raises section omits it", 0},
    {"MG311", "stale-raises-entry", AN_WARNING,
     "The Raises section names an exception that can no longer escape", 0},
};

/* A new or renamed definition, a raise, a class's bases, an import, a
 * decorator or __all__ may change what escapes anywhere. */
static const char *const cross_words[] = {"def", "class", "aise", "import", "__all__", "@", NULL};

const struct analyzer an_escapes = {
    .name = "escapes",
    .rules = rules,
    .n_rules = MG_ARRAY_LEN(rules),
    .init = init,
    .fini = fini,
    .run = run,
    .cross_words = cross_words,
    .watches = true,
};
