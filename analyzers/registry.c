/* The only place that knows every analyzer. Runs them, keeps the findings
 * the user selected and no "# noqa" suppresses, and sorts them. */
#include "analyzer.h"
#include "pyast.h"
#include "log.h"
#include "mg.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const struct analyzer an_syntax;
extern const struct analyzer an_docstrings;
extern const struct analyzer an_exceptions;
extern const struct analyzer an_imports;
extern const struct analyzer an_annotations;
extern const struct analyzer an_escapes;

static const struct analyzer *const analyzers[] = {
    &an_syntax,      /* E999: syntax errors */
    &an_docstrings,  /* D1xx, D419, DOC10x: missing, empty or stale docstrings */
    &an_exceptions,  /* E722, BLE001, S110, S112, B904, MG301: exception handlers */
    &an_imports,     /* F401: unused imports */
    &an_annotations, /* ANN001-ANN206: missing type hints */
    &an_escapes,     /* MG310, MG311: what escapes vs. the Raises section */
};

/* Every analyzer's rules in one table, made once. */
_Static_assert(MG_ARRAY_LEN(analyzers) <= 32, "an_run_some() takes a 32-bit mask");

static struct an_rule *all_rules;
static size_t n_all_rules;
static pthread_once_t rules_once = PTHREAD_ONCE_INIT;

static void collect_rules(void)
{
    for (size_t i = 0; i < MG_ARRAY_LEN(analyzers); i++)
        n_all_rules += analyzers[i]->n_rules;
    all_rules = xcalloc(n_all_rules, sizeof(*all_rules));
    size_t k = 0;
    for (size_t i = 0; i < MG_ARRAY_LEN(analyzers); i++)
        for (size_t j = 0; j < analyzers[i]->n_rules; j++)
            all_rules[k++] = analyzers[i]->rules[j];
}

const struct an_rule *an_rules(size_t *n_out)
{
    pthread_once(&rules_once, collect_rules);
    *n_out = n_all_rules;
    return all_rules;
}

const struct an_rule *an_rule_find(const char *code)
{
    size_t n;
    const struct an_rule *rules = an_rules(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rules[i].code, code) == 0)
            return &rules[i];
    return NULL;
}

/* Length of the longest prefix in `list` that matches `code`, or -1. */
static int best_prefix(char *const *list, size_t n, const char *code)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        const char *p = list[i];
        int len;
        if (strcmp(p, "ALL") == 0)
            len = 0;
        else if (strncmp(code, p, strlen(p)) == 0)
            len = (int)strlen(p);
        else
            continue;
        if (len > best)
            best = len;
    }
    return best;
}

bool an_rule_enabled(const struct an_opts *opts, const char *code)
{
    if (opts == NULL)
        return true;
    int sel = opts->n_select ? best_prefix(opts->select, opts->n_select, code) : 0;
    int ign = best_prefix(opts->ignore, opts->n_ignore, code);
    return sel >= 0 && sel > ign;
}

/* --- noqa ----------------------------------------------------------------- */

/* A rule code at s: letters then digits ("F401"); returns its length or 0. */
static size_t code_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && isalpha((unsigned char)s[i]))
        i++;
    if (i == 0)
        return 0;
    size_t d = i;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    return i > d ? i : 0;
}

bool an_noqa_matches(const char *c, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i] != '#')
            continue;
        size_t j = i + 1;
        while (j < n && (c[j] == ' ' || c[j] == '\t'))
            j++;
        if (n - j < 4 || strncasecmp(c + j, "noqa", 4) != 0)
            continue;
        j += 4;
        if (j < n && !(c[j] == ':' || c[j] == ' ' || c[j] == '\t' || c[j] == '#'))
            continue; /* "# noqabc" is not a directive */
        size_t k = j;
        while (k < n && (c[k] == ' ' || c[k] == '\t'))
            k++;
        if (k >= n || c[k] != ':')
            return true; /* a bare "# noqa" suppresses everything */
        k++;
        bool any = false;
        for (;;) {
            while (k < n && (c[k] == ' ' || c[k] == '\t' || c[k] == ','))
                k++;
            size_t len = code_len(c + k, n - k);
            if (len == 0)
                break;
            any = true;
            if (len <= strlen(code) && strncasecmp(code, c + k, len) == 0)
                return true;
            k += len;
        }
        /* "# noqa:" with no valid code: Ruff warns and treats it as blanket. */
        if (!any)
            return true;
    }
    return false;
}

/* The last line looked at for a "# noqa", and where its comment is: many
 * findings share a line (20,000 names of one import), and finding the line
 * again for each would be quadratic. */
struct noqa_cache {
    bool valid;
    uint32_t ls, le; /* the line: [ls, le) */
    bool has_comment;
    uint32_t comment, comment_end; /* the comment: [comment, comment_end) */
};

/* Whether the line holding byte `off` has a comment suppressing `code`. */
static bool noqa_on_line(const struct pdoc *doc, struct noqa_cache *c, uint32_t off,
                         const char *code)
{
    if (doc->tree == NULL)
        return false;
    if (off > doc->len)
        off = (uint32_t)doc->len;
    if (!c->valid || off < c->ls || off > c->le) {
        uint32_t ls = off, le = off;
        while (ls > 0 && doc->text[ls - 1] != '\n' && doc->text[ls - 1] != '\r')
            ls--;
        while (le < doc->len && doc->text[le] != '\n' && doc->text[le] != '\r')
            le++;
        *c = (struct noqa_cache){.valid = true, .ls = ls, .le = le};
        const char *hash = memchr(doc->text + ls, '#', le - ls);
        TSNode root = ts_tree_root_node(doc->tree);
        while (hash != NULL) {
            uint32_t at = (uint32_t)(hash - doc->text);
            TSNode n = ts_node_descendant_for_byte_range(root, at, at + 1);
            if (strcmp(ts_node_type(n), "comment") == 0) {
                uint32_t end = ts_node_end_byte(n);
                c->has_comment = true;
                c->comment = at;
                c->comment_end = end < le ? end : le;
                break;
            }
            hash = memchr(hash + 1, '#', le - at - 1);
        }
    }
    return c->has_comment &&
           an_noqa_matches(doc->text + c->comment, c->comment_end - c->comment, code);
}

/* File-level suppressions: "# margin: noqa" or "# ruff: noqa", optionally
 * with ": CODES", in a comment on a line of its own; and flake8's bare
 * "# flake8: noqa", which Ruff honours too (with codes flake8 ignores it). Kept as the text after
 * the tool's name, with a '#' in front, so an_noqa_matches() reads it. */
#define FILE_NOQA_MAX 8
struct file_noqa {
    char *directive[FILE_NOQA_MAX];
    size_t n;
};

/* "  noqa  " and nothing else (flake8's file-level form takes no codes). */
static bool bare_noqa(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (n - i < 4 || strncasecmp(s + i, "noqa", 4) != 0)
        return false;
    for (i += 4; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* The next "noqa", in any case, in [p, end): found by its rare 'q' (both
 * cases, with memchr); NULL when there is none. `qs` caches the next 'q'
 * and 'Q' (NULL: none left) between calls. */
static const char *next_noqa(const char *text, const char *p, const char *end, const char *qs[2])
{
    for (;;) {
        for (int k = 0; k < 2; k++)
            if (qs[k] != NULL && qs[k] < p + 2)
                qs[k] = p + 2 < end ? memchr(p + 2, k ? 'Q' : 'q', (size_t)(end - p - 2)) : NULL;
        const char *q = qs[0] == NULL   ? qs[1]
                        : qs[1] == NULL ? qs[0]
                        : qs[0] < qs[1] ? qs[0]
                                        : qs[1];
        if (q == NULL)
            return NULL;
        if (q - 2 >= text && q + 1 < end && (q[-2] | 0x20) == 'n' && (q[-1] | 0x20) == 'o' &&
            (q[1] | 0x20) == 'a')
            return q - 2;
        p = q - 1; /* past this q */
    }
}

static void file_noqa_find(const struct pdoc *doc, struct file_noqa *fq)
{
    static const char *const tools[] = {"margin:", "ruff:", "flake8:"};
    fq->n = 0;
    if (doc->tree == NULL)
        return;
    TSNode root = ts_tree_root_node(doc->tree);
    const char *text = doc->text, *end = doc->text + doc->len;
    /* Every directive holds "noqa": look only at the lines that do. */
    const char *qs[2] = {text, text};
    for (const char *hit = next_noqa(text, text, end, qs); hit != NULL && fq->n < FILE_NOQA_MAX;) {
        const char *t = hit;
        while (t > text && t[-1] != '\n')
            t--;
        const char *eol = memchr(hit, '\n', (size_t)(end - hit));
        if (eol == NULL)
            eol = end;
        const char *p = t;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        if (p < eol && *p == '#') {
            const char *q = p + 1;
            while (q < eol && (*q == ' ' || *q == '\t'))
                q++;
            for (size_t k = 0; k < MG_ARRAY_LEN(tools); k++) {
                size_t n = strlen(tools[k]);
                if ((size_t)(eol - q) < n || strncasecmp(q, tools[k], n) != 0)
                    continue;
                uint32_t at = (uint32_t)(p - doc->text);
                TSNode c = ts_node_descendant_for_byte_range(root, at, at + 1);
                if (strcmp(ts_node_type(c), "comment") != 0)
                    break;
                const char *rest = q + n;
                size_t len = (size_t)(eol - rest);
                if (strcmp(tools[k], "flake8:") == 0 && !bare_noqa(rest, len))
                    break;
                char *dir = xmalloc(len + 2);
                dir[0] = '#';
                memcpy(dir + 1, rest, len);
                dir[len + 1] = '\0';
                fq->directive[fq->n++] = dir;
                break;
            }
        }
        hit = eol < end ? next_noqa(text, eol + 1, end, qs) : NULL;
    }
}

static bool file_noqa_matches(const struct file_noqa *fq, const char *code)
{
    for (size_t i = 0; i < fq->n; i++)
        if (an_noqa_matches(fq->directive[i], strlen(fq->directive[i]), code))
            return true;
    return false;
}

static bool suppressed(const struct pdoc *doc, struct noqa_cache *c, const struct an_diag *d)
{
    return noqa_on_line(doc, c, d->start, d->code) ||
           (d->has_noqa_also && noqa_on_line(doc, c, d->noqa_also, d->code));
}

/* --- running -------------------------------------------------------------- */

int an_init_all(const TSLanguage *lang)
{
    size_t n;
    an_rules(&n);
    for (size_t i = 0; i < MG_ARRAY_LEN(analyzers); i++) {
        if (analyzers[i]->init == NULL)
            continue;
        int rc = analyzers[i]->init(lang);
        if (rc != 0) {
            LOGE("cannot initialise analyzer '%s': %s", analyzers[i]->name, mg_strerror(rc));
            return rc;
        }
    }
    return 0;
}

void an_fini_all(void)
{
    for (size_t i = 0; i < MG_ARRAY_LEN(analyzers); i++)
        if (analyzers[i]->fini != NULL)
            analyzers[i]->fini();
}

const struct analyzer *const *an_analyzers(size_t *n_out)
{
    *n_out = MG_ARRAY_LEN(analyzers);
    return analyzers;
}

bool an_ranges_meet(const uint32_t (*v)[2], size_t n, uint32_t start, uint32_t end)
{
    /* The first range that ends after `start`; it meets [start, end) when
     * it begins before `end`, or at `start` for an empty one. */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid][1] <= start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && (v[lo][0] < end || v[lo][0] <= start);
}

bool an_in_scope(const struct pdoc *doc, uint32_t start, uint32_t end)
{
    return doc->scope == NULL || an_ranges_meet(doc->scope, doc->n_scope, start, end);
}

int an_run_some(const struct pdoc *doc_in, const struct an_opts *opts, unsigned mask,
                struct diag_list *out)
{
    /* One scan of the module for every analyzer of this run. */
    struct py_module_memo memo = {0};
    struct pdoc shared = *doc_in;
    if (shared.memo == NULL)
        shared.memo = &memo;
    const struct pdoc *doc = &shared;
    struct file_noqa fq;
    file_noqa_find(doc, &fq);
    struct noqa_cache cache = {0};
    for (size_t i = 0; i < MG_ARRAY_LEN(analyzers); i++) {
        if (!(mask & (1u << i)))
            continue;
        struct diag_list mine;
        diag_list_init(&mine);
        int rc = analyzers[i]->run(doc, opts, &mine);
        if (rc != 0) {
            LOGW("analyzer '%s' failed on %s: %s", analyzers[i]->name,
                 doc->uri ? doc->uri : (doc->path ? doc->path : "<text>"), mg_strerror(rc));
        } else {
            /* Move the kept findings; the list owns their memory. */
            for (size_t j = 0; j < mine.n; j++) {
                struct an_diag *d = &mine.items[j];
                if (!an_rule_enabled(opts, d->code) || suppressed(doc, &cache, d) ||
                    file_noqa_matches(&fq, d->code))
                    continue;
                d->analyzer = (uint8_t)i;
                MG_GROW(out->items, out->cap, out->n + 1);
                out->items[out->n++] = *d;
                memset(d, 0, sizeof(*d));
            }
            for (size_t j = 0; j < mine.n_watch; j++)
                diag_list_watch(out, mine.watch[j][0], mine.watch[j][1]);
        }
        diag_list_release(&mine);
    }
    for (size_t i = 0; i < fq.n; i++)
        free(fq.directive[i]);
    py_module_memo_release(&memo);
    return 0;
}

int an_run_all(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out)
{
    an_run_some(doc, opts, ~0u, out);
    diag_list_sort(out);
    return 0;
}
