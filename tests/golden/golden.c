/* Golden-fixture runner: analyse one Python fixture with every analyzer and
 * compare the findings with the fixture's .expected file.
 *
 *   golden FIXTURE.py          exit 0 when the findings match, 1 with a diff
 *   UPDATE_GOLDENS=1 golden F  rewrite F's .expected instead
 *
 * One line per finding, the format `margin check` prints:
 *
 *   L:C-L:C CODE severity message
 *
 * Lines and columns are 1-based; columns count Unicode code points (bytes
 * that are not UTF-8 count one each). Each fix a finding offers follows it,
 * as the line changes it makes:
 *
 *     fix (safe): Remove unused import 'os'
 *       @@ 3
 *       -import os
 *
 * and the file ends with what fix-all (every safe fix) does, under
 * "fix-all:". Every fix is also checked, whatever the golden says: the fixed
 * text must not add a syntax error, and analysing it again must report
 * nothing that was not reported before (the fixed finding aside).
 *
 * Only the rules the fixture's folder has fixtures for are reported (and
 * E999), so each analyzer's fixtures show its own findings.
 *
 * Links the analyzers only, not the server: line and column are computed
 * here. */
#include "analyzer.h"
#include "mg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether `c` starts a UTF-8 sequence (is not a continuation byte). A byte
 * that is not UTF-8 at all counts as one column, like a replacement char. */
static bool starts_char(const char *text, size_t i)
{
    unsigned char c = (unsigned char)text[i];
    if ((c & 0xc0) != 0x80)
        return true;
    /* A continuation byte counts only when it continues nothing. */
    size_t back = 0;
    while (back < 3 && back < i && ((unsigned char)text[i - back - 1] & 0xc0) == 0x80)
        back++;
    if (back == i || back == 3)
        return true;
    unsigned char lead = (unsigned char)text[i - back - 1];
    size_t need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
    return back >= need;
}

/* 1-based line and code-point column of byte `off` (clamped to the text). */
static void line_col(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
    if (off > len)
        off = len;
    unsigned l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (starts_char(text, i)) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Split `s` into lines (in place); returns the count. */
static size_t split_lines(char *s, char ***out)
{
    size_t n = 0, cap = 0;
    char **v = NULL;
    while (*s != '\0') {
        char *nl = strchr(s, '\n');
        MG_GROW(v, cap, n + 1);
        v[n++] = s;
        if (nl == NULL)
            break;
        *nl = '\0';
        s = nl + 1;
    }
    *out = v;
    return n;
}

/* A line diff (longest common subsequence; fixtures are small). */
static void print_diff(const char *exp_path, const char *py, const char *want, const char *got)
{
    char *w = xstrdup(want), *g = xstrdup(got);
    char **a, **b;
    size_t na = split_lines(w, &a), nb = split_lines(g, &b);
    size_t *lcs = xcalloc((na + 1) * (nb + 1), sizeof(*lcs));
#define LCS(i, j) lcs[(i) * (nb + 1) + (j)]
    for (size_t i = na; i-- > 0;)
        for (size_t j = nb; j-- > 0;)
            LCS(i, j) = strcmp(a[i], b[j]) == 0
                            ? LCS(i + 1, j + 1) + 1
                            : (LCS(i + 1, j) > LCS(i, j + 1) ? LCS(i + 1, j) : LCS(i, j + 1));
    printf("--- %s\n+++ findings on %s\n", exp_path, py);
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        if (i < na && j < nb && strcmp(a[i], b[j]) == 0) {
            printf(" %s\n", a[i]);
            i++, j++;
        } else if (i < na && (j == nb || LCS(i + 1, j) >= LCS(i, j + 1))) {
            printf("-%s\n", a[i++]);
        } else {
            printf("+%s\n", b[j++]);
        }
    }
#undef LCS
    free(lcs);
    free(a);
    free(b);
    free(w);
    free(g);
}

static int write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t n = strlen(s);
    bool ok = fwrite(s, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* `path` with its ".py" suffix replaced by `ext`. Caller frees. */
static char *sibling(const char *path, const char *ext)
{
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".py") == 0)
        n -= 3;
    return xasprintf("%.*s%s", (int)n, path, ext);
}

/* Lines of `s` as a vector of [start, end) pairs (without the "\n"). */
struct lines {
    const char **p;
    size_t *n;
    size_t count, cap_p, cap_n;
};

static void lines_of(const char *s, size_t len, struct lines *out)
{
    memset(out, 0, sizeof(*out));
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - s) : len;
        MG_GROW(out->p, out->cap_p, out->count + 1);
        MG_GROW(out->n, out->cap_n, out->count + 1);
        out->p[out->count] = s + i;
        out->n[out->count++] = e - i;
        i = e + 1;
    }
}

static void lines_release(struct lines *l)
{
    free(l->p);
    free(l->n);
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
    return a->n[i] == b->n[j] && memcmp(a->p[i], b->p[j], a->n[i]) == 0;
}

/* The changed lines between `before` and `after` as hunks "@@ L" (L: the
 * first changed line of `before`, 1-based) of "-old"/"+new" lines, each
 * line prefixed with `indent`. A longest-common-subsequence diff: fixtures
 * are small. */
static void render_change(struct mg_buf *b, const char *indent, const char *before, size_t blen,
                          const char *after, size_t alen)
{
    struct lines x, y;
    lines_of(before, blen, &x);
    lines_of(after, alen, &y);
    size_t nx = x.count, ny = y.count;
    size_t *lcs = xcalloc((nx + 1) * (ny + 1), sizeof(*lcs));
#define LCS(i, j) lcs[(i) * (ny + 1) + (j)]
    for (size_t i = nx; i-- > 0;)
        for (size_t j = ny; j-- > 0;)
            LCS(i, j) = line_eq(&x, i, &y, j)
                            ? LCS(i + 1, j + 1) + 1
                            : (LCS(i + 1, j) > LCS(i, j + 1) ? LCS(i + 1, j) : LCS(i, j + 1));
    size_t i = 0, j = 0;
    bool in_hunk = false, any = false;
    while (i < nx || j < ny) {
        if (i < nx && j < ny && line_eq(&x, i, &y, j)) {
            i++, j++;
            in_hunk = false;
            continue;
        }
        if (!in_hunk) {
            mg_buf_addf(b, "%s@@ %zu\n", indent, i + 1);
            in_hunk = any = true;
        }
        if (i < nx && (j == ny || LCS(i + 1, j) >= LCS(i, j + 1))) {
            mg_buf_addf(b, "%s-%.*s\n", indent, (int)x.n[i], x.p[i]);
            i++;
        } else {
            mg_buf_addf(b, "%s+%.*s\n", indent, (int)y.n[j], y.p[j]);
            j++;
        }
    }
#undef LCS
    if (!any)
        mg_buf_addf(b, "%s%s\n", indent,
                    blen == alen && memcmp(before, after, blen) == 0
                        ? "(no change)"
                        : "(only the newline at the end of the file changed)");
    free(lcs);
    lines_release(&x);
    lines_release(&y);
}

/* The rules a fixture is about: the codes of every fixture in its folder
 * (tests/fixtures/<analyzer>/<CODE>_<n>.py), plus E999 so that a fix adding
 * a syntax error is caught. Other analyzers' findings are left out: a
 * syntax fixture need not carry docstrings. */
static struct an_opts fixture_opts;

static void select_folder_codes(const char *py)
{
    const char *slash = strrchr(py, '/');
    char *dir = slash ? xstrndup(py, (size_t)(slash - py)) : xstrdup(".");
    size_t cap = 0;
    MG_GROW(fixture_opts.select, cap, 1);
    fixture_opts.select[fixture_opts.n_select++] = xstrdup("E999");
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        const char *u = strrchr(e->d_name, '_');
        size_t n = strlen(e->d_name);
        if (u == NULL || n < 4 || strcmp(e->d_name + n - 3, ".py") != 0)
            continue;
        char *code = xstrndup(e->d_name, (size_t)(u - e->d_name));
        bool dup = false;
        for (size_t i = 0; i < fixture_opts.n_select; i++)
            dup |= strcmp(fixture_opts.select[i], code) == 0;
        if (dup) {
            free(code);
            continue;
        }
        MG_GROW(fixture_opts.select, cap, fixture_opts.n_select + 1);
        fixture_opts.select[fixture_opts.n_select++] = code;
    }
    if (d != NULL)
        closedir(d);
    free(dir);
}

static void analyse(TSParser *parser, const char *path, const char *text, size_t len,
                    struct diag_list *out)
{
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    struct pdoc doc = {.path = path, .text = text, .len = len, .tree = tree, .version = 1};
    diag_list_init(out);
    an_run_all(&doc, &fixture_opts, out);
    ts_tree_delete(tree);
}

static size_t count_code(const struct diag_list *l, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strcmp(l->items[i].code, code) == 0;
    return n;
}

/* How often (code, message) occurs in `l`. */
static size_t count_same(const struct diag_list *l, const struct an_diag *d)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strcmp(l->items[i].code, d->code) == 0 && strcmp(l->items[i].message, d->message) == 0;
    return n;
}

/* Check a fixed text against the findings before the fix (`fixed_one`: the
 * finding the fix was for, or NULL for fix-all). Prints what is wrong and
 * returns false. Syntax-error fixes (E999) are guesses that may reveal the
 * next error, so only "adds no syntax error" is asked of other fixes. */
static bool fix_is_sound(TSParser *parser, const char *py, const char *what,
                         const struct diag_list *before, const struct an_diag *fixed_one,
                         const char *text, size_t len)
{
    struct diag_list after;
    analyse(parser, py, text, len, &after);
    bool ok = true;
    if (count_code(&after, "E999") > count_code(before, "E999") &&
        (fixed_one == NULL || strcmp(fixed_one->code, "E999") != 0)) {
        printf("%s: %s: the fixed text has a new syntax error\n", py, what);
        ok = false;
    }
    for (size_t i = 0; i < after.n && ok; i++) {
        const struct an_diag *d = &after.items[i];
        if (strcmp(d->code, "E999") == 0)
            continue;
        size_t allowed = count_same(before, d);
        if (fixed_one != NULL && strcmp(fixed_one->code, d->code) == 0 &&
            strcmp(fixed_one->message, d->message) == 0)
            allowed--;
        if (count_same(&after, d) > allowed) {
            printf("%s: %s: analysing the fixed text reports something new: %s %s\n", py, what,
                   d->code, d->message);
            ok = false;
        }
    }
    diag_list_release(&after);
    return ok;
}

/* The findings, their fixes and fix-all as the text the .expected file
 * holds (caller frees); *sound is cleared when a fix fails its checks. */
static char *render(TSParser *parser, const char *py, const char *text, size_t len,
                    const struct diag_list *l, bool *sound)
{
    struct mg_buf b = {0};
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        unsigned l1, c1, l2, c2;
        line_col(text, len, d->start, &l1, &c1);
        line_col(text, len, d->end, &l2, &c2);
        mg_buf_addf(&b, "%u:%u-%u:%u %s %s %s\n", l1, c1, l2, c2, d->code,
                    an_severity_name(d->severity), d->message);
        for (size_t f = 0; f < d->n_fixes; f++) {
            const struct an_fix *fix = &d->fixes[f];
            mg_buf_addf(&b, "  fix (%s): %s\n", fix->safe ? "safe" : "unsafe", fix->title);
            const struct an_edit **edits = xcalloc(fix->n_edits + 1, sizeof(*edits));
            for (size_t e = 0; e < fix->n_edits; e++)
                edits[e] = &fix->edits[e];
            size_t flen;
            char *fixed = an_apply_edits(text, len, edits, fix->n_edits, &flen);
            render_change(&b, "    ", text, len, fixed, flen);
            char *what = xasprintf("fix '%s' of %u:%u %s", fix->title, l1, c1, d->code);
            *sound &= fix_is_sound(parser, py, what, l, d, fixed, flen);
            free(what);
            free(fixed);
            free(edits);
        }
    }
    const struct an_edit **all;
    size_t n_all = diag_list_fix_all(l, &all);
    if (n_all > 0) {
        size_t flen;
        char *fixed = an_apply_edits(text, len, all, n_all, &flen);
        mg_buf_adds(&b, "fix-all:\n");
        render_change(&b, "  ", text, len, fixed, flen);
        *sound &= fix_is_sound(parser, py, "fix-all", l, NULL, fixed, flen);
        free(fixed);
    }
    free(all);
    if (b.data == NULL)
        mg_buf_add(&b, "", 0);
    return mg_buf_detach(&b, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: golden FIXTURE.py\n");
        return 2;
    }
    const char *py = argv[1];
    size_t len;
    char *text;
    int err = mg_read_file(py, SIZE_MAX, &text, &len);
    if (err != 0) {
        fprintf(stderr, "golden: cannot read '%s': %s\n", py, strerror(err));
        return 2;
    }

    const TSLanguage *lang = tree_sitter_python();
    if (an_init_all(lang) != 0) {
        fprintf(stderr, "golden: cannot initialise the analyzers\n");
        return 2;
    }
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, lang);
    select_folder_codes(py);
    struct diag_list l;
    analyse(parser, py, text, len, &l);
    bool sound = true;
    char *got = render(parser, py, text, len, &l, &sound);

    int rc = 0;
    char *exp_path = sibling(py, ".expected");
    if (getenv("UPDATE_GOLDENS") != NULL && strcmp(getenv("UPDATE_GOLDENS"), "0") != 0) {
        if (write_file(exp_path, got) != 0) {
            fprintf(stderr, "golden: cannot write '%s': %s\n", exp_path, strerror(errno));
            rc = 2;
        }
    } else {
        size_t elen;
        char *want = NULL;
        err = mg_read_file(exp_path, SIZE_MAX, &want, &elen);
        if (err != 0) {
            fprintf(stderr, "golden: cannot read '%s': %s\n", exp_path, strerror(err));
            rc = 2;
        } else if (strcmp(want, got) != 0) {
            print_diff(exp_path, py, want, got);
            printf("to accept: UPDATE_GOLDENS=1 meson test --suite golden\n");
            rc = 1;
        }
        free(want);
    }
    if (rc == 0 && !sound)
        rc = 1;

    free(exp_path);
    free(got);
    diag_list_release(&l);
    ts_parser_delete(parser);
    an_fini_all();
    for (size_t i = 0; i < fixture_opts.n_select; i++)
        free(fixture_opts.select[i]);
    free(fixture_opts.select);
    free(text);
    return rc;
}
