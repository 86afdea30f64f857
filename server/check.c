/* `margin check`: walk the named paths (walk.c), then analyse the files on
 * a pool of worker threads and print the findings in a fixed order.
 *
 * Threads. The main thread walks the tree first and sorts the list (by
 * path, component by component). N workers (one per CPU, at most one per
 * file) then take files from that list in order through a shared index
 * under one mutex. Each worker owns a TSParser and a line index, and has a
 * 256 MiB stack: Debian's tree-sitter 0.20.7 recurses on deeply nested
 * input. A worker renders a file's findings (text or JSON) into a string of
 * its own; the main thread prints file i as soon as files 0..i are done, so
 * the output is the same whatever the number of threads and memory holds
 * only what is waiting to be printed. Findings within a file come sorted
 * from an_run_all() (by offset, hence line and column, then code).
 *
 * Exit status: 2 when anything could not be checked (bad usage, a missing
 * path, an unreadable file or directory, a file that is not UTF-8 or is
 * over CHECK_MAX_FILE); otherwise 1 when there are findings (0 with
 * --exit-zero); otherwise 0. 2 wins over 1: the run was incomplete. */
#include "check.h"
#include "analyzer.h"
#include "depth.h"
#include "log.h"
#include "mg.h"
#include "pos.h"
#include "walk.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
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

enum check_format { FMT_TEXT, FMT_JSON };

enum job_state { JOB_CHECKED, JOB_VANISHED, JOB_FAILED };

/* One entry of the walk list and what became of it. Written by one worker,
 * read by the main thread once `done` is set (under run.mu). */
struct job {
    const struct walk_entry *in;
    char *out; /* rendered findings, NULL when none */
    char *err; /* message for stderr, NULL when none */
    size_t n_findings;
    enum job_state state;
    bool done;
};

struct run {
    struct job *jobs;
    size_t n_jobs;
    size_t next; /* the next job to hand out */
    uv_mutex_t mu;
    uv_cond_t cv; /* a job is done */
    const struct an_opts *opts;
    enum check_format fmt;
};

struct worker {
    struct run *run;
    uv_thread_t tid;
    TSParser *parser;
    struct pos_index ix;
    struct mg_buf out;
};

/* ---- small helpers ----------------------------------------------------- */

/* Offset of the first byte that is not part of well-formed UTF-8 (no
 * overlong forms, surrogates or code points past U+10FFFF), or len. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if ((v & UINT64_C(0x8080808080808080)) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1Fu;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07u;
        } else {
            return i;
        }
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            return i;
        if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))
            return i;
        i += n;
    }
    return len;
}

/* A JSON string of `s`, with each byte that is not UTF-8 (a path can hold
 * anything) replaced by U+FFFD: jansson refuses invalid UTF-8. */
static json_t *jstr(const char *s)
{
    size_t len = strlen(s);
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = utf8_check(u, len);
    if (bad == len)
        return json_stringn(s, len);
    struct mg_buf b = {0};
    size_t i = 0;
    while (i < len) {
        size_t ok = utf8_check(u + i, len - i);
        mg_buf_add(&b, s + i, ok);
        i += ok;
        if (i < len) {
            mg_buf_adds(&b, "\xEF\xBF\xBD");
            i++;
        }
    }
    json_t *j = json_stringn(b.data, b.len);
    mg_buf_release(&b);
    return j;
}

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

static const char *severity_name(enum an_severity s)
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

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
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

/* ---- rendering --------------------------------------------------------- */

static void render_text(struct worker *wk, const char *path, const char *text, size_t len,
                        const struct diag_list *l)
{
    struct cursor cur = {0};
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        uint32_t line, col;
        locate(&wk->ix, text, len, &cur, d->start, &line, &col);
        mg_buf_addf(&wk->out, "%s:%u:%u: %s ", path, line + 1, col + 1, d->code);
        /* One finding, one line. */
        for (const char *m = d->message; *m != '\0'; m++)
            mg_buf_add(&wk->out, (*m == '\n' || *m == '\r') ? " " : m, 1);
        mg_buf_add(&wk->out, "\n", 1);
    }
}

static void set_pos(json_t *o, const char *kline, const char *kcol, uint32_t line, uint32_t col)
{
    json_object_set_new(o, kline, json_integer((json_int_t)line + 1));
    json_object_set_new(o, kcol, json_integer((json_int_t)col + 1));
}

static json_t *fix_json(const struct worker *wk, const char *text, size_t len,
                        const struct an_fix *f)
{
    json_t *edits = json_array();
    for (size_t i = 0; i < f->n_edits; i++) {
        const struct an_edit *e = &f->edits[i];
        uint32_t l0, c0, l1, c1;
        locate(&wk->ix, text, len, NULL, e->start, &l0, &c0);
        locate(&wk->ix, text, len, NULL, e->end, &l1, &c1);
        json_t *je = json_object();
        set_pos(je, "line", "column", l0, c0);
        set_pos(je, "end_line", "end_column", l1, c1);
        json_object_set_new(je, "content", jstr(e->new_text ? e->new_text : ""));
        json_array_append_new(edits, je);
    }
    json_t *j = json_object();
    json_object_set_new(j, "title", jstr(f->title ? f->title : ""));
    json_object_set_new(j, "safe", json_boolean(f->safe));
    json_object_set_new(j, "edits", edits);
    return j;
}

/* One compact object per finding, "  {...}", joined by ",\n". */
static void render_json(struct worker *wk, const char *path, const char *text, size_t len,
                        const struct diag_list *l)
{
    struct cursor cs = {0}, ce = {0};
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        uint32_t l0, c0, l1, c1;
        locate(&wk->ix, text, len, &cs, d->start, &l0, &c0);
        locate(&wk->ix, text, len, &ce, d->end, &l1, &c1);
        json_t *o = json_object();
        json_object_set_new(o, "file", jstr(path));
        set_pos(o, "line", "column", l0, c0);
        set_pos(o, "end_line", "end_column", l1, c1);
        json_object_set_new(o, "code", jstr(d->code));
        json_object_set_new(o, "message", jstr(d->message ? d->message : ""));
        json_object_set_new(o, "severity", json_string(severity_name(d->severity)));
        json_object_set_new(o, "fix",
                            d->n_fixes ? fix_json(wk, text, len, &d->fixes[0]) : json_null());
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (s == NULL)
            continue; /* jansson out of memory: nothing sane to print */
        if (i > 0)
            mg_buf_adds(&wk->out, ",\n");
        mg_buf_adds(&wk->out, "  ");
        mg_buf_adds(&wk->out, s);
        free(s);
    }
}

/* ---- one file ---------------------------------------------------------- */

static void job_fail(struct job *job, char *msg)
{
    job->state = JOB_FAILED;
    job->err = msg;
}

/* Read the whole file into a NUL-terminated heap buffer. Returns 0, or an
 * errno value; -1 when the file is over CHECK_MAX_FILE. */
static int read_file(const char *path, char **text_out, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno;
    struct stat st;
    size_t cap = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = st.st_size > (off_t)CHECK_MAX_FILE ? CHECK_MAX_FILE + 1u : (size_t)st.st_size + 1;
    if (cap < 4096)
        cap = 4096;
    char *buf = xmalloc(cap + 1);
    size_t len = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            if (cap > CHECK_MAX_FILE) {
                rc = -1;
                break;
            }
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = errno;
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (rc == 0 && len > CHECK_MAX_FILE)
        rc = -1;
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *text_out = buf;
    *len_out = len;
    return 0;
}

static void check_file(struct worker *wk, struct job *job)
{
    const char *path = job->in->path;
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len);
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
    size_t bad = utf8_check((const unsigned char *)buf, len);
    if (bad != len) {
        job_fail(job, xasprintf("%s: not valid UTF-8 (byte %zu)", path, bad));
        free(buf);
        return;
    }
    /* A UTF-8 byte order mark is not part of the code: editors hide it,
     * so columns on line 1 do not count it. */
    const char *text = buf;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
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
    struct pdoc doc = {.path = path, .text = text, .len = len, .tree = tree};
    struct diag_list l;
    diag_list_init(&l);
    an_run_all(&doc, wk->run->opts, &l);
    ts_tree_delete(tree);

    if (l.n > 0) {
        pos_index_release(&wk->ix);
        pos_index_init(&wk->ix);
        pos_index_build(&wk->ix, text, len);
        if (wk->run->fmt == FMT_JSON)
            render_json(wk, path, text, len, &l);
        else
            render_text(wk, path, text, len, &l);
        job->out = mg_buf_detach(&wk->out, NULL);
    }
    job->n_findings = l.n;
    job->state = JOB_CHECKED;
    diag_list_release(&l);
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
    mg_buf_release(&wk->out);
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
    "\n"
    "options:\n"
    "  --format FORMAT   'text' (default): path:line:col: CODE message,\n"
    "                    or 'json': an array of findings\n"
    "  --select CODES    report only these rule codes or prefixes\n"
    "                    (comma-separated, repeatable; ALL selects every rule)\n"
    "  --ignore CODES    never report these codes or prefixes\n"
    "  --exit-zero       exit 0 even when there are findings\n"
    "  -j, --jobs N      analyse with N threads (default: one per CPU)\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit status: 0 no findings, 1 findings, 2 usage error or a path that\n"
    "could not be checked (2 wins over 1)\n";

struct check_args {
    enum check_format fmt;
    struct an_opts opts;
    size_t cap_select, cap_ignore;
    char **paths;
    size_t n_paths, cap_paths;
    unsigned jobs; /* 0: one per CPU */
    bool exit_zero;
};

static void args_release(struct check_args *a)
{
    for (size_t i = 0; i < a->opts.n_select; i++)
        free(a->opts.select[i]);
    for (size_t i = 0; i < a->opts.n_ignore; i++)
        free(a->opts.ignore[i]);
    free(a->opts.select);
    free(a->opts.ignore);
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
        if (strcmp(arg, "--exit-zero") == 0) {
            a->exit_zero = true;
            continue;
        }
        /* The options that take a value: "--opt value" or "--opt=value". */
        static const char *const valued[] = {"--format", "--output-format", "--select",
                                             "--ignore", "--jobs",          "-j"};
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
        if (strcmp(name, "--format") == 0 || strcmp(name, "--output-format") == 0) {
            if (strcmp(value, "text") == 0)
                a->fmt = FMT_TEXT;
            else if (strcmp(value, "json") == 0)
                a->fmt = FMT_JSON;
            else
                return usage_error("unknown format '%s' (expected 'text' or 'json')", value);
        } else if (strcmp(name, "--select") == 0) {
            add_codes(&a->opts.select, &a->opts.n_select, &a->cap_select, value);
        } else if (strcmp(name, "--ignore") == 0) {
            add_codes(&a->opts.ignore, &a->opts.n_ignore, &a->cap_ignore, value);
        } else {
            char *end;
            errno = 0;
            unsigned long j = strtoul(value, &end, 10);
            if (errno != 0 || end == value || *end != '\0' || j < 1 || j > CHECK_MAX_JOBS)
                return usage_error("bad number of jobs '%s' (expected 1 to 256)", value);
            a->jobs = (unsigned)j;
        }
    }
    return -1;
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

struct totals {
    size_t checked, with_findings, findings, errors;
};

/* Print the jobs in order as they finish; return the totals. */
static struct totals print_all(struct run *run)
{
    struct totals t = {0};
    bool first = true;
    for (size_t i = 0; i < run->n_jobs; i++) {
        struct job *job = &run->jobs[i];
        if (job->in->error != NULL) {
            fflush(stdout);
            fprintf(stderr, "%s\n", job->in->error);
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
        }
        if (job->state == JOB_FAILED)
            t.errors++;
        else if (job->state == JOB_CHECKED)
            t.checked++;
        if (job->out != NULL) {
            if (run->fmt == FMT_JSON)
                fputs(first ? "\n" : ",\n", stdout);
            fputs(job->out, stdout);
            first = false;
        }
        if (job->n_findings > 0) {
            t.with_findings++;
            t.findings += job->n_findings;
        }
        free(job->out);
        free(job->err);
        job->out = job->err = NULL;
    }
    if (run->fmt == FMT_JSON)
        fputs(first ? "]\n" : "\n]\n", stdout);
    return t;
}

static void print_summary(const struct totals *t)
{
    if (t->findings > 0)
        printf("Found %zu %s in %zu %s", t->findings, plural(t->findings, "finding", "findings"),
               t->with_findings, plural(t->with_findings, "file", "files"));
    else if (t->errors == 0)
        printf("All checks passed");
    else
        printf("No findings");
    printf(" (%zu %s checked", t->checked, plural(t->checked, "file", "files"));
    if (t->errors > 0)
        printf("; %zu %s could not be checked", t->errors, plural(t->errors, "path", "paths"));
    printf(").\n");
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

    struct run run = {.n_jobs = files.n, .opts = &a.opts, .fmt = a.fmt};
    run.jobs = xcalloc(files.n ? files.n : 1, sizeof(*run.jobs));
    size_t n_files = 0;
    for (size_t i = 0; i < files.n; i++) {
        run.jobs[i].in = &files.items[i];
        n_files += files.items[i].error == NULL;
    }
    size_t n_workers = a.jobs ? a.jobs : uv_available_parallelism();
    if (n_workers > n_files)
        n_workers = n_files;
    if (n_workers < 1)
        n_workers = 1;

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
    if (run.fmt == FMT_JSON)
        fputs("[", stdout);
    struct totals t = print_all(&run);
    for (size_t i = 0; i < started; i++)
        uv_thread_join(&workers[i].tid);

    if (run.fmt == FMT_TEXT)
        print_summary(&t);
    if (t.checked == 0 && t.errors == 0)
        fprintf(stderr, "margin check: warning: no Python files found\n");
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "margin check: cannot write the output\n");
        t.errors++;
    }
    if (t.errors > 0)
        status = 2;
    else
        status = (t.findings > 0 && !a.exit_zero) ? 1 : 0;

out_run:
    free(workers);
    uv_cond_destroy(&run.cv);
    uv_mutex_destroy(&run.mu);
    free(run.jobs);
    an_fini_all();
out_args:
    walk_list_release(&files);
    args_release(&a);
    return status;
}
