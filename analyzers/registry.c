/* The only place that knows every analyzer. Runs them, keeps the findings
 * the user selected and no "# noqa" suppresses, and sorts them. */
#include "analyzer.h"
#include "log.h"
#include "mg.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

extern const struct analyzer an_syntax;

static const struct analyzer *const analyzers[] = {
    &an_syntax, /* E999: syntax errors */
};

/* Every analyzer's rules in one table, made once. */
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

/* Whether the line holding byte `off` has a comment suppressing `code`. */
static bool noqa_on_line(const struct pdoc *doc, uint32_t off, const char *code)
{
    if (doc->tree == NULL)
        return false;
    if (off > doc->len)
        off = (uint32_t)doc->len;
    uint32_t ls = off, le = off;
    while (ls > 0 && doc->text[ls - 1] != '\n' && doc->text[ls - 1] != '\r')
        ls--;
    while (le < doc->len && doc->text[le] != '\n' && doc->text[le] != '\r')
        le++;
    const char *hash = memchr(doc->text + ls, '#', le - ls);
    TSNode root = ts_tree_root_node(doc->tree);
    while (hash != NULL) {
        uint32_t at = (uint32_t)(hash - doc->text);
        TSNode n = ts_node_descendant_for_byte_range(root, at, at + 1);
        if (strcmp(ts_node_type(n), "comment") == 0) {
            uint32_t end = ts_node_end_byte(n);
            return an_noqa_matches(doc->text + at, (end < le ? end : le) - at, code);
        }
        hash = memchr(hash + 1, '#', le - at - 1);
    }
    return false;
}

static bool suppressed(const struct pdoc *doc, const struct an_diag *d)
{
    return noqa_on_line(doc, d->start, d->code) ||
           (d->has_noqa_also && noqa_on_line(doc, d->noqa_also, d->code));
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

int an_run_all(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out)
{
    for (size_t i = 0; i < MG_ARRAY_LEN(analyzers); i++) {
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
                if (!an_rule_enabled(opts, d->code) || suppressed(doc, d))
                    continue;
                MG_GROW(out->items, out->cap, out->n + 1);
                out->items[out->n++] = *d;
                memset(d, 0, sizeof(*d));
            }
        }
        diag_list_release(&mine);
    }
    diag_list_sort(out);
    return 0;
}
