/* `margin check`: walk the named paths (walk.c), then analyse the files on
 * a pool of worker threads and report the findings in a fixed order.
 *
 * Threads. The main thread walks the tree first and sorts the list (by
 * path, component by component), then settles each file's configuration
 * (config.c: the command line over the nearest pyproject.toml) and, with
 * --diff, its changed lines (review.c: git, run from this thread only).
 * N workers (one per CPU, at most one per file) then take files from that
 * list in order through a shared index under one mutex. Each worker owns a
 * TSParser and a line index, and has a 256 MiB stack: Debian's tree-sitter
 * 0.20.7 recurses on deeply nested input. A worker turns a file's findings
 * into lines and columns (a struct rep_file); the main thread hands file i
 * to the report writer (report.c) as soon as files 0..i are done, so the
 * output is the same whatever the number of threads. Findings within a
 * file come sorted from an_run_all() (by offset, then code).
 *
 * --fix applies the safe fixes (diag_list_fix_all) in rounds, re-parsing
 * and re-analysing after each, and writes the file back only when the text
 * changed and the fixes did not turn parsing code into a syntax error.
 *
 * Exit status: 2 when anything could not be checked (bad usage, a missing
 * path, an unreadable file or directory, a file that is not UTF-8 or is
 * over CHECK_MAX_FILE, a pyproject.toml whose [tool.margin] is broken, a
 * file --fix could not write); otherwise 1 when there are findings (0 with
 * --exit-zero); otherwise 0. 2 wins over 1: the run was incomplete. */
#include "check.h"
#include "analyzer.h"
#include "config.h"
#include "depth.h"
#include "log.h"
#include "mg.h"
#include "pos.h"
#include "report.h"
#include "review.h"
#include "walk.h"
#include "wsindex.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tree_sitter/api.h>
#include <unistd.h>
#include <uv.h>

/* Files over this many bytes are refused, as LSP bodies over 64 MiB are. */
#define CHECK_MAX_FILE (64u << 20)
/* Stack of each worker thread; halved (down to CHECK_MIN_STACK) when the
 * system refuses it. Only the pages touched are ever committed. */
#define CHECK_STACK     ((size_t)256 << 20)
#define CHECK_MIN_STACK ((size_t)16 << 20)
#define CHECK_MAX_JOBS  256
/* Parse time limit: 5 s, plus 2 us a byte (0.5 MB/s; tree-sitter parses
 * Python at 2-4 MB/s on one core). */
#define CHECK_PARSE_BASE_US     5000000u
#define CHECK_PARSE_US_PER_BYTE 2u
/* --fix: rounds of fixing before margin gives up (a fix that keeps
 * re-creating its finding must not loop forever). */
#define CHECK_FIX_ROUNDS 10

enum job_state { JOB_CHECKED, JOB_VANISHED, JOB_FAILED };

/* One entry of the walk list and what became of it. The main thread sets
 * `cfg` and `lines` before the workers start; one worker writes the rest,
 * read by the main thread once `done` is set (under run.mu). */
struct job {
    const struct walk_entry *in;
    struct cfg_resolved cfg;
    const struct rv_lines *lines; /* --diff: the changed lines; NULL: every line */
    struct rep_file *res;         /* the findings, NULL when none */
    char *err;                    /* message for stderr, NULL when none */
    size_t n_findings, n_fixed;
    enum job_state state;
    bool done;
};

struct run {
    struct job *jobs;
    size_t n_jobs;
    size_t next; /* the next job to hand out */
    uv_mutex_t mu;
    uv_cond_t cv; /* a job is done */
    bool fix;
    bool all_fixes;          /* keep every alternative fix (SARIF), not only the first */
    struct idx_index *index; /* the workspace index (MG310/MG311), or NULL */
};

struct worker {
    struct run *run;
    uv_thread_t tid;
    TSParser *parser;
    struct pos_index ix;
};

/* ---- small helpers ----------------------------------------------------- */

/* strerror(), lowercased like margin's other messages, into buf. */
static const char *errstr(int err, char *buf, size_t n)
{
    const char *s = strerror_r(err, buf, n); /* GNU: may return a static string */
    if (s != buf)
        snprintf(buf, n, "%s", s);
    if (buf[0] != '\0' && buf[1] != '\0' && !isupper((unsigned char)buf[1]))
        buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

/* ---- positions --------------------------------------------------------- */

/* The last position computed, so that many findings on one long line cost
 * O(line) in all rather than O(line) each. */
struct cursor {
    uint32_t off, line, col;
    bool valid;
};

/* 0-based line and column (in code points) of byte `off`. */
static void locate(const struct pos_index *ix, const char *text, size_t len, struct cursor *cur,
                   uint32_t off, uint32_t *line, uint32_t *col)
{
    if (off > len)
        off = (uint32_t)len;
    if (cur != NULL && cur->valid && cur->off <= off && off - cur->off < 4096 &&
        pos_line_of(ix, off) == cur->line) {
        *line = cur->line;
        *col = cur->col + pos_units(text, cur->off, off, POS_UTF32);
    } else {
        pos_from_offset(ix, text, len, off, POS_UTF32, line, col);
    }
    if (cur != NULL)
        *cur = (struct cursor){off, *line, *col, true};
}

/* ---- findings -> lines and columns ------------------------------------- */

static struct rep_file *render(struct worker *wk, const char *path, const char *text, size_t len,
                               const struct diag_list *l, bool all_fixes)
{
    struct rep_file *f = rep_file_new(path);
    struct cursor cs = {0}, ce = {0};
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        uint32_t l0, c0, l1, c1;
        locate(&wk->ix, text, len, &cs, d->start, &l0, &c0);
        locate(&wk->ix, text, len, &ce, d->end, &l1, &c1);
        struct rep_finding *r =
            rep_file_add(f, d->code, d->severity, l0 + 1, c0 + 1, l1 + 1, c1 + 1, d->message);
        size_t n_fixes = all_fixes ? d->n_fixes : (d->n_fixes ? 1 : 0);
        for (size_t k = 0; k < n_fixes; k++) {
            const struct an_fix *x = &d->fixes[k];
            struct rep_fix *rx = rep_finding_add_fix(r, x->title, x->safe);
            for (size_t e = 0; e < x->n_edits; e++) {
                const struct an_edit *ed = &x->edits[e];
                uint32_t a0, b0, a1, b1;
                locate(&wk->ix, text, len, NULL, ed->start, &a0, &b0);
                locate(&wk->ix, text, len, NULL, ed->end, &a1, &b1);
                rep_fix_add_edit(rx, a0 + 1, b0 + 1, a1 + 1, b1 + 1, ed->new_text);
            }
        }
    }
    return f;
}

/* ---- one file ---------------------------------------------------------- */

static void job_fail(struct job *job, char *msg)
{
    job->state = JOB_FAILED;
    free(job->err);
    job->err = msg;
}

/* Write `text` (after `bom` when set) over the file at `path`: into a new
 * file beside it, then renamed over it, so a failure leaves the old text.
 * Keeps the file's permission bits; writes through a symbolic link to its
 * target. Returns 0 or an errno value. */
static int write_back(const char *path, bool bom, const char *text, size_t len)
{
    char *real = realpath(path, NULL);
    if (real == NULL)
        return errno;
    struct stat st;
    int rc = 0;
    char *tmp = xasprintf("%s.margin-XXXXXX", real);
    int fd = -1;
    if (stat(real, &st) != 0) {
        rc = errno;
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = errno;
        goto out;
    }
    if (fchmod(fd, st.st_mode & 07777) != 0) {
        rc = errno;
        goto out;
    }
    struct {
        const char *p;
        size_t n;
    } parts[] = {{"\xEF\xBB\xBF", bom ? 3u : 0u}, {text, len}};
    for (size_t i = 0; i < MG_ARRAY_LEN(parts) && rc == 0; i++) {
        const char *p = parts[i].p;
        size_t n = parts[i].n;
        while (n > 0) {
            ssize_t w = write(fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = errno;
                break;
            }
            p += w;
            n -= (size_t)w;
        }
    }
    if (rc == 0 && close(fd) != 0)
        rc = errno;
    fd = -1;
    if (rc == 0 && rename(tmp, real) != 0)
        rc = errno;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    free(real);
    return rc;
}

/* The line breaks in s (LF, CRLF or a lone CR, as pos.c counts them). */
static uint32_t count_breaks(const char *s)
{
    uint32_t k = 0;
    for (; *s != '\0'; s++)
        k += *s == '\n' || (*s == '\r' && s[1] != '\n');
    return k;
}

/* Analyse the parsed text: every analyzer, the per-file-ignores, the
 * changed-line filter (which needs wk->ix built for `text`). */
static void analyse(struct worker *wk, struct job *job, const char *path, const char *text,
                    size_t len, TSTree *tree, const struct rv_lines *lines, struct diag_list *l)
{
    struct pdoc doc = {
        .path = path, .text = text, .len = len, .tree = tree, .index = wk->run->index};
    diag_list_init(l);
    an_run_all(&doc, &job->cfg.opts, l);
    cfg_resolved_filter(&job->cfg, l);
    if (lines != NULL)
        rv_filter(lines, &wk->ix, l, CFG_SHOW_CHANGED);
}

static void index_text(struct worker *wk, const char *text, size_t len)
{
    pos_index_release(&wk->ix);
    pos_index_init(&wk->ix);
    pos_index_build(&wk->ix, text, len);
}

/* How many findings of `l` fix-all took a fix of: their first safe fix's
 * first edit is among `taken`. */
static size_t count_fixed(const struct diag_list *l, const struct an_edit **taken, size_t n)
{
    size_t fixed = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        for (size_t j = 0; j < d->n_fixes; j++) {
            if (!d->fixes[j].safe)
                continue;
            for (size_t t = 0; t < n && d->fixes[j].n_edits; t++)
                if (taken[t] == &d->fixes[j].edits[0]) {
                    fixed++;
                    break;
                }
            break;
        }
    }
    return fixed;
}

static void check_file(struct worker *wk, struct job *job)
{
    const char *path = job->in->path;
    char *buf = NULL;
    size_t len = 0;
    int rc = mg_read_file(path, CHECK_MAX_FILE, &buf, &len);
    if (rc != 0) {
        char eb[256];
        if (rc == ENOENT && !job->in->named)
            job->state = JOB_VANISHED; /* deleted since the walk: nothing to check */
        else if (rc == -1)
            job_fail(job,
                     xasprintf("%s: file too large (over %u MiB)", path, CHECK_MAX_FILE >> 20));
        else
            job_fail(job, xasprintf("%s: cannot read: %s", path, errstr(rc, eb, sizeof(eb))));
        return;
    }
    size_t bad = mg_utf8_valid_prefix(buf, len);
    if (bad != len) {
        job_fail(job, xasprintf("%s: not valid UTF-8 (byte %zu)", path, bad));
        free(buf);
        return;
    }
    /* A UTF-8 byte order mark is not part of the code: editors hide it,
     * so columns on line 1 do not count it. */
    const char *text = buf;
    bool bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0;
    if (bom) {
        text += 3;
        len -= 3;
    }
    /* Below 16 KiB no parse stack can come near 65536 entries (see depth.h). */
    if (len >= 16384 && depth_estimate(text, len) > DEPTH_LIMIT) {
        job_fail(job, xasprintf("%s: nested too deeply to parse", path));
        free(buf);
        return;
    }
    /* Error recovery can go quadratic on some garbage ("a := ;" repeated
     * 40,000 times parses for minutes): give up after a time that valid
     * code, at a few MB/s, never needs. */
    uint64_t limit_us = CHECK_PARSE_BASE_US + (uint64_t)len * CHECK_PARSE_US_PER_BYTE;
    ts_parser_set_timeout_micros(wk->parser, limit_us);
    TSTree *tree = ts_parser_parse_string(wk->parser, NULL, text, (uint32_t)len);
    if (tree == NULL) {
        ts_parser_reset(wk->parser);
        job_fail(job, xasprintf("%s: parsing took too long (over %u s)", path,
                                (unsigned)(limit_us / 1000000)));
        free(buf);
        return;
    }

    /* The changed-line map follows the fixes, as it follows edits in the editor. */
    struct rv_lines lines;
    rv_lines_init(&lines);
    if (job->lines != NULL)
        rv_lines_copy(&lines, job->lines);
    const struct rv_lines *filter = job->lines != NULL ? &lines : NULL;
    char *fixed_text = NULL; /* the text after the fixes, when any applied */
    struct diag_list l;
    index_text(wk, text, len);
    analyse(wk, job, path, text, len, tree, filter, &l);
    for (unsigned round = 0; wk->run->fix && round < CHECK_FIX_ROUNDS; round++) {
        const struct an_edit **taken;
        size_t n = diag_list_fix_all(&l, &taken);
        if (n == 0) {
            free(taken);
            break;
        }
        size_t new_len;
        char *new_text = an_apply_edits(text, len, taken, n, &new_len);
        TSTree *new_tree = ts_parser_parse_string(wk->parser, NULL, new_text, (uint32_t)new_len);
        bool broke = new_tree == NULL || (ts_node_has_error(ts_tree_root_node(new_tree)) &&
                                          !ts_node_has_error(ts_tree_root_node(tree)));
        if (broke) {
            /* A safe fix must never break the code: keep the last good text. */
            free(job->err);
            job->err =
                xasprintf("%s: warning: the fixes would make a syntax error; not applied", path);
            if (new_tree != NULL)
                ts_tree_delete(new_tree);
            free(new_text);
            free(taken);
            break;
        }
        job->n_fixed += count_fixed(&l, taken, n);
        /* Follow the edits from the last, so earlier line numbers stay put. */
        if (filter != NULL)
            for (size_t t = n; t-- > 0;)
                rv_lines_edit(&lines, pos_line_of(&wk->ix, taken[t]->start),
                              pos_line_of(&wk->ix, taken[t]->end),
                              count_breaks(taken[t]->new_text));
        free(taken);
        diag_list_release(&l);
        ts_tree_delete(tree);
        tree = new_tree;
        free(fixed_text);
        fixed_text = new_text;
        text = new_text;
        len = new_len;
        index_text(wk, text, len);
        analyse(wk, job, path, text, len, tree, filter, &l);
    }
    ts_tree_delete(tree);

    if (fixed_text != NULL) {
        rc = write_back(path, bom, fixed_text, len);
        if (rc != 0) {
            char eb[256];
            job_fail(job,
                     xasprintf("%s: cannot write the fixes: %s", path, errstr(rc, eb, sizeof(eb))));
            job->n_fixed = 0;
        }
    }
    if (l.n > 0)
        job->res = render(wk, path, text, len, &l, wk->run->all_fixes);
    job->n_findings = l.n;
    if (job->state != JOB_FAILED)
        job->state = JOB_CHECKED;
    diag_list_release(&l);
    rv_lines_release(&lines);
    free(fixed_text);
    free(buf);
}

static void worker_main(void *arg)
{
    struct worker *wk = arg;
    struct run *run = wk->run;
    wk->parser = ts_parser_new();
    bool ok = ts_parser_set_language(wk->parser, tree_sitter_python());
    pos_index_init(&wk->ix);
    for (;;) {
        uv_mutex_lock(&run->mu);
        size_t i = run->next;
        while (i < run->n_jobs && run->jobs[i].in->error != NULL)
            i++; /* errors from the walk: the main thread prints them */
        run->next = i + 1;
        uv_mutex_unlock(&run->mu);
        if (i >= run->n_jobs)
            break;
        struct job *job = &run->jobs[i];
        if (ok)
            check_file(wk, job);
        else
            job_fail(job, xasprintf("%s: cannot parse: grammar version mismatch", job->in->path));
        uv_mutex_lock(&run->mu);
        job->done = true;
        uv_cond_broadcast(&run->cv);
        uv_mutex_unlock(&run->mu);
    }
    pos_index_release(&wk->ix);
    ts_parser_delete(wk->parser);
}

/* ---- command line ------------------------------------------------------ */

static const char usage_text[] =
    "usage: margin check [OPTIONS] [PATH...]\n"
    "\n"
    "Check the named Python files, and the *.py files under the named\n"
    "directories (default: the current directory). Directories skip .git,\n"
    "__pycache__, node_modules, virtual environments, tool caches and what\n"
    ".gitignore ignores; a file named here is checked whatever its name.\n"
    "Settings come from [tool.margin] in the nearest pyproject.toml; the\n"
    "options below override them.\n"
    "\n"
    "options:\n"
    "  --format FORMAT   'text' (default): path:line:col: CODE message;\n"
    "                    'json': an array of findings; 'sarif': SARIF 2.1.0;\n"
    "                    'github': GitHub Actions workflow annotations;\n"
    "                    'markdown': a review report grouped by concern\n"
    "  --diff BASE       report only findings on lines changed against the git\n"
    "                    ref BASE (a branch, a commit, HEAD, or 'merge-base':\n"
    "                    the merge-base of HEAD with the default branch),\n"
    "                    uncommitted edits included; files git does not know\n"
    "                    count as wholly changed\n"
    "  --fix             apply the safe fixes to the files in place\n"
    "  --statistics      count the findings per rule instead of listing them\n"
    "                    (text or json)\n"
    "  --select CODES    report only these rule codes or prefixes\n"
    "                    (comma-separated, repeatable; ALL selects every rule)\n"
    "  --ignore CODES    never report these codes or prefixes\n"
    "  --extend-select CODES, --extend-ignore CODES\n"
    "                    add to the configured select or ignore lists\n"
    "  --isolated        ignore pyproject.toml files\n"
    "  --exit-zero       exit 0 even when there are findings\n"
    "  -j, --jobs N      analyse with N threads (default: one per CPU)\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit status: 0 no findings, 1 findings, 2 usage error, a path that\n"
    "could not be checked or a broken [tool.margin] (2 wins over 1)\n";

/* The code lists of the command line, in the order of the `code_opts` names. */
enum { CL_SELECT, CL_IGNORE, CL_EXTEND_SELECT, CL_EXTEND_IGNORE, CL_N };
static const char *const code_opts[CL_N] = {"--select", "--ignore", "--extend-select",
                                            "--extend-ignore"};

struct check_args {
    int fmt; /* enum rep_format */
    char **codes[CL_N];
    size_t n_codes[CL_N], cap_codes[CL_N];
    bool set_codes[CL_N];
    char **paths;
    size_t n_paths, cap_paths;
    unsigned jobs; /* 0: one per CPU */
    const char *diff_base;
    bool exit_zero, fix, statistics, isolated;
};

static void args_release(struct check_args *a)
{
    for (int k = 0; k < CL_N; k++) {
        for (size_t i = 0; i < a->n_codes[k]; i++)
            free(a->codes[k][i]);
        free(a->codes[k]);
    }
    free(a->paths);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    fprintf(
        stderr,
        "margin check: %s\nusage: margin check [OPTIONS] [PATH...]; see 'margin check --help'\n",
        msg);
    free(msg);
    return 2;
}

/* Split "E9,F401" into upper-cased codes appended to *list. */
static void add_codes(char ***list, size_t *n, size_t *cap, const char *value)
{
    const char *p = value;
    while (*p != '\0') {
        size_t k = strcspn(p, ",");
        const char *s = p, *e = p + k;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s) {
            char *code = xstrndup(s, (size_t)(e - s));
            for (char *c = code; *c != '\0'; c++)
                *c = (char)toupper((unsigned char)*c);
            size_t n_rules;
            const struct an_rule *rules = an_rules(&n_rules);
            bool known = strcmp(code, "ALL") == 0;
            for (size_t i = 0; i < n_rules && !known; i++)
                known = strncmp(rules[i].code, code, strlen(code)) == 0;
            if (!known)
                fprintf(stderr, "margin check: warning: '%s' matches no rule\n", code);
            MG_GROW(*list, *cap, *n + 1);
            (*list)[(*n)++] = code;
        }
        p += k;
        if (*p == ',')
            p++;
    }
}

/* Returns -1 when parsing went well, else the exit status to return. */
static int args_parse(struct check_args *a, int argc, char **argv)
{
    bool only_paths = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_paths || arg[0] != '-' || strcmp(arg, "-") == 0) {
            MG_GROW(a->paths, a->cap_paths, a->n_paths + 1);
            a->paths[a->n_paths++] = argv[i];
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_paths = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        static const struct {
            const char *name;
            size_t off;
        } flags[] = {
            {"--exit-zero", offsetof(struct check_args, exit_zero)},
            {"--fix", offsetof(struct check_args, fix)},
            {"--statistics", offsetof(struct check_args, statistics)},
            {"--isolated", offsetof(struct check_args, isolated)},
        };
        bool is_flag = false;
        for (size_t k = 0; k < MG_ARRAY_LEN(flags) && !is_flag; k++) {
            if (strcmp(arg, flags[k].name) == 0) {
                *(bool *)((char *)a + flags[k].off) = true;
                is_flag = true;
            }
        }
        if (is_flag)
            continue;
        /* The options that take a value: "--opt value" or "--opt=value". */
        static const char *const valued[] = {"--format", "--output-format", "--select",
                                             "--ignore", "--extend-select", "--extend-ignore",
                                             "--diff",   "--jobs",          "-j"};
        const char *name = NULL, *value = NULL;
        for (size_t k = 0; k < MG_ARRAY_LEN(valued); k++) {
            size_t n = strlen(valued[k]);
            if (strncmp(arg, valued[k], n) != 0)
                continue;
            if (arg[n] == '=') {
                value = arg + n + 1;
            } else if (arg[n] == '\0') {
                if (i + 1 >= argc)
                    return usage_error("option '%s' needs a value", arg);
                value = argv[++i];
            } else if (strcmp(valued[k], "-j") == 0 && isdigit((unsigned char)arg[n])) {
                value = arg + n; /* -j4 */
            } else {
                continue;
            }
            name = valued[k];
            break;
        }
        if (name == NULL)
            return usage_error("unknown option '%s'", arg);
        int code_opt = -1;
        for (int k = 0; k < CL_N; k++)
            if (strcmp(name, code_opts[k]) == 0)
                code_opt = k;
        if (strcmp(name, "--format") == 0 || strcmp(name, "--output-format") == 0) {
            a->fmt = rep_format_parse(value);
            if (a->fmt < 0)
                return usage_error("unknown format '%s' (expected 'text', 'json', 'sarif', "
                                   "'github' or 'markdown')",
                                   value);
        } else if (code_opt >= 0) {
            add_codes(&a->codes[code_opt], &a->n_codes[code_opt], &a->cap_codes[code_opt], value);
            a->set_codes[code_opt] = true;
        } else if (strcmp(name, "--diff") == 0) {
            if (!rv_ref_ok(value))
                return usage_error("bad review base '%s' (expected a git branch, tag or commit)",
                                   value);
            a->diff_base = value;
        } else {
            char *end;
            errno = 0;
            unsigned long j = strtoul(value, &end, 10);
            if (errno != 0 || end == value || *end != '\0' || j < 1 || j > CHECK_MAX_JOBS)
                return usage_error("bad number of jobs '%s' (expected 1 to 256)", value);
            a->jobs = (unsigned)j;
        }
    }
    if (a->statistics && a->fmt != REP_TEXT && a->fmt != REP_JSON)
        return usage_error("--statistics works with --format text or json");
    return -1;
}

/* The command line's settings as a layer over the pyproject.toml files. */
static struct cfg_layer *args_layer(const struct check_args *a)
{
    static const char *const keys[CL_N] = {"select", "ignore", "extend-select", "extend-ignore"};
    json_t *o = json_object();
    for (int k = 0; k < CL_N; k++) {
        if (!a->set_codes[k])
            continue;
        json_t *arr = json_array();
        for (size_t i = 0; i < a->n_codes[k]; i++)
            json_array_append_new(arr, json_string(a->codes[k][i]));
        json_object_set_new(o, keys[k], arr);
    }
    struct cfg_problems probs = {0};
    struct cfg_layer *l = cfg_layer_from_json(o, &probs);
    json_decref(o);
    cfg_problems_release(&probs); /* codes are plain strings: nothing can be wrong */
    return l;
}

/* ---- the run ----------------------------------------------------------- */

/* Start up to n workers; returns how many run. */
static size_t start_workers(struct worker *w, size_t n)
{
    size_t started = 0;
    size_t stack = CHECK_STACK;
    while (started < n) {
        uv_thread_options_t o = {.flags = UV_THREAD_HAS_STACK_SIZE, .stack_size = stack};
        int rc = uv_thread_create_ex(&w[started].tid, &o, worker_main, &w[started]);
        if (rc == 0) {
            started++;
        } else if (stack > CHECK_MIN_STACK) {
            stack /= 2;
        } else {
            LOGW("cannot start worker thread: %s", uv_strerror(rc));
            break;
        }
    }
    return started;
}

/* Hand the jobs to the report in order as they finish; return the totals. */
static struct rep_totals print_all(struct run *run, struct rep *rep)
{
    struct rep_totals t = {0};
    for (size_t i = 0; i < run->n_jobs; i++) {
        struct job *job = &run->jobs[i];
        if (job->in->error != NULL) {
            fflush(stdout);
            fprintf(stderr, "%s\n", job->in->error);
            rep_add_error(rep, job->in->error);
            t.errors++;
            continue;
        }
        uv_mutex_lock(&run->mu);
        while (!job->done)
            uv_cond_wait(&run->cv, &run->mu);
        uv_mutex_unlock(&run->mu);
        if (job->err != NULL) {
            fflush(stdout);
            fprintf(stderr, "%s\n", job->err);
            if (job->state == JOB_FAILED)
                rep_add_error(rep, job->err);
        }
        if (job->state == JOB_FAILED)
            t.errors++;
        if (job->state == JOB_CHECKED)
            t.checked++;
        if (job->res != NULL)
            rep_add(rep, job->res);
        job->res = NULL;
        if (job->n_findings > 0) {
            t.with_findings++;
            t.findings += job->n_findings;
        }
        if (job->n_fixed > 0) {
            t.fixed += job->n_fixed;
            t.fixed_files++;
        }
        free(job->err);
        job->err = NULL;
    }
    return t;
}

/* Print a pyproject.toml's problems once: "path:line:col: error: message". */
static bool show_config_problems(struct cfg_file *f)
{
    bool error = false;
    if (f == NULL || f->problems_shown)
        return false;
    f->problems_shown = true;
    for (size_t i = 0; i < f->problems.n; i++) {
        const struct cfg_problem *p = &f->problems.items[i];
        uint32_t line = 1, col = 1;
        for (uint32_t k = 0; k < p->start && k < f->len; k++) {
            if (f->text[k] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        fflush(stdout);
        fprintf(stderr, "%s:%u:%u: %s: %s\n", f->path, line, col,
                p->severity == 1 ? "error" : "warning", p->message);
        error |= p->severity == 1;
    }
    if (error)
        fprintf(stderr, "margin check: %s: [tool.margin] is not used\n", f->path);
    return error;
}

/* Settle each job's configuration and changed lines. Returns whether a
 * configuration error was printed. */
static bool prepare_jobs(struct run *run, const struct check_args *a, struct cfg_store *store,
                         const struct cfg_layer *over, struct rv_diff *diff)
{
    bool config_error = false;
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        cwd[0] = '\0';
    for (size_t i = 0; i < run->n_jobs; i++) {
        struct job *job = &run->jobs[i];
        if (job->in->error != NULL)
            continue;
        char *real = realpath(job->in->path, NULL);
        const char *abs = real != NULL ? real : job->in->path;
        struct cfg_file *f = NULL;
        if (!a->isolated && real != NULL) {
            f = cfg_store_find(store, real, NULL);
            config_error |= show_config_problems(f);
        }
        cfg_resolve(f ? f->good : NULL, f ? f->dir : NULL, over, cwd[0] ? cwd : NULL, abs,
                    &job->cfg);
        if (diff != NULL && real != NULL) {
            char *err = NULL;
            job->lines = rv_diff_lines(diff, real, &err);
            if (err != NULL) {
                fflush(stdout);
                fprintf(stderr, "margin check: %s\n", err);
                free(err);
            }
        }
        free(real);
    }
    return config_error;
}

/* The workspace index of every file to check, when a job wants the
 * rules that read it (a second read and parse of each file). */
static struct idx_index *build_index(const struct run *run, size_t n_threads)
{
    const char **paths = xcalloc(run->n_jobs + 1, sizeof(*paths));
    size_t n = 0;
    bool wanted = false;
    for (size_t i = 0; i < run->n_jobs; i++) {
        const struct job *job = &run->jobs[i];
        if (job->in->error != NULL)
            continue;
        paths[n++] = job->in->path;
        wanted |=
            an_rule_enabled(&job->cfg.opts, "MG310") || an_rule_enabled(&job->cfg.opts, "MG311");
    }
    struct idx_index *ix = wanted && n > 0 ? wsi_build(paths, n, n_threads) : NULL;
    free(paths);
    return ix;
}

int check_main(int argc, char **argv)
{
    struct check_args a = {0};
    struct walk_list files;
    walk_list_init(&files);
    int status = args_parse(&a, argc, argv);
    if (status >= 0)
        goto out_args;
    status = 2;
    if (an_init_all(tree_sitter_python()) != 0) {
        fprintf(stderr, "margin check: cannot initialise the analyzers\n");
        goto out_args;
    }
    json_object_seed(0); /* before any thread makes an object */

    if (a.n_paths == 0)
        walk_add(&files, ".");
    for (size_t i = 0; i < a.n_paths; i++)
        walk_add(&files, a.paths[i]);
    walk_list_sort(&files);

    struct run run = {.n_jobs = files.n, .fix = a.fix, .all_fixes = a.fmt == REP_SARIF};
    run.jobs = xcalloc(files.n ? files.n : 1, sizeof(*run.jobs));
    size_t n_files = 0;
    for (size_t i = 0; i < files.n; i++) {
        run.jobs[i].in = &files.items[i];
        n_files += files.items[i].error == NULL;
    }
    struct cfg_store store;
    cfg_store_init(&store);
    struct cfg_layer *over = args_layer(&a);
    struct rv_diff *diff = a.diff_base ? rv_diff_new(a.diff_base) : NULL;
    bool config_error = prepare_jobs(&run, &a, &store, over, diff);

    size_t n_workers = a.jobs ? a.jobs : uv_available_parallelism();
    if (n_workers > n_files)
        n_workers = n_files;
    if (n_workers < 1)
        n_workers = 1;
    run.index = build_index(&run, a.jobs);

    uv_mutex_init(&run.mu);
    uv_cond_init(&run.cv);
    struct worker *workers = xcalloc(n_workers, sizeof(*workers));
    for (size_t i = 0; i < n_workers; i++)
        workers[i].run = &run;
    size_t started = n_files ? start_workers(workers, n_workers) : 0;
    if (n_files > 0 && started == 0) {
        fprintf(stderr, "margin check: cannot start a worker thread\n");
        goto out_run;
    }
    struct rep_opts ro = {
        .fmt = (enum rep_format)a.fmt, .statistics = a.statistics, .diff_base = a.diff_base};
    struct rep *rep = rep_new(&ro, stdout);
    struct rep_totals t = print_all(&run, rep);
    for (size_t i = 0; i < started; i++)
        uv_thread_join(&workers[i].tid);
    if (t.fixed > 0 && a.fmt != REP_TEXT && a.fmt != REP_MARKDOWN)
        fprintf(stderr, "margin check: fixed %zu finding%s in %zu file%s\n", t.fixed,
                t.fixed == 1 ? "" : "s", t.fixed_files, t.fixed_files == 1 ? "" : "s");
    rep_finish(rep, &t);

    if (t.checked == 0 && t.errors == 0)
        fprintf(stderr, "margin check: warning: no Python files found\n");
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "margin check: cannot write the output\n");
        t.errors++;
    }
    if (t.errors > 0 || config_error)
        status = 2;
    else
        status = (t.findings > 0 && !a.exit_zero) ? 1 : 0;

out_run:
    free(workers);
    idx_free(run.index);
    uv_cond_destroy(&run.cv);
    uv_mutex_destroy(&run.mu);
    for (size_t i = 0; i < run.n_jobs; i++) {
        cfg_resolved_release(&run.jobs[i].cfg);
        rep_file_free(run.jobs[i].res);
        free(run.jobs[i].err);
    }
    free(run.jobs);
    rv_diff_free(diff);
    cfg_layer_free(over);
    cfg_store_release(&store);
    an_fini_all();
out_args:
    walk_list_release(&files);
    args_release(&a);
    return status;
}
