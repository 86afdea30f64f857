/* Reviewing the change (see review.h): changed-line maps, git through
 * uv_spawn, `margin check --diff`, and the language server's review base.
 *
 * In the editor, a document's map comes from its text at the base (`git
 * cat-file`) diffed in-process against the buffer, so unsaved edits count
 * from the start; later edits shift the map (rv_lines_edit) without
 * running git, and a save re-resolves the base (HEAD may have moved) and
 * re-diffs. `margin check --diff` asks git for the whole repository's
 * `git diff -U0` once instead. Every git child has a time limit. */
#include "review.h"
#include "internal.h"
#include "log.h"
#include "mg.h"
#include "rpc.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

extern char **environ;

/* Output caps: a whole repository's diff, one file's text at the base. */
#define RV_MAX_DIFF ((size_t)256 << 20)
#define RV_MAX_BLOB ((size_t)64 << 20)
/* Myers' diff gives up past this many differences (then the whole region
 * between the common prefix and suffix counts as changed). */
#define RV_MAX_D 1024

/* ---- line maps --------------------------------------------------------- */

void rv_lines_init(struct rv_lines *m)
{
    memset(m, 0, sizeof(*m));
}

void rv_lines_release(struct rv_lines *m)
{
    free(m->items);
    rv_lines_init(m);
}

void rv_lines_copy(struct rv_lines *dst, const struct rv_lines *src)
{
    rv_lines_release(dst);
    dst->whole = src->whole;
    if (src->n) {
        MG_GROW(dst->items, dst->cap, src->n);
        memcpy(dst->items, src->items, src->n * sizeof(*src->items));
        dst->n = src->n;
    }
}

void rv_lines_add(struct rv_lines *m, uint32_t first, uint32_t last)
{
    if (first > last)
        return;
    /* The common case appends in order. */
    if (m->n == 0 || m->items[m->n - 1].last < first) {
        if (m->n > 0 && (uint64_t)m->items[m->n - 1].last + 1 == first) {
            m->items[m->n - 1].last = last;
            return;
        }
        MG_GROW(m->items, m->cap, m->n + 1);
        m->items[m->n++] = (struct rv_range){first, last};
        return;
    }
    /* Otherwise merge: keep what lies wholly before or after (not adjacent). */
    size_t w = 0, i = 0, alloc = m->n + 1;
    struct rv_range *out = xcalloc(alloc, sizeof(*out));
    while (i < m->n && (uint64_t)m->items[i].last + 1 < first)
        out[w++] = m->items[i++];
    struct rv_range r = {first, last};
    while (i < m->n && m->items[i].first <= (uint64_t)last + 1) {
        if (m->items[i].first < r.first)
            r.first = m->items[i].first;
        if (m->items[i].last > r.last)
            r.last = m->items[i].last;
        i++;
    }
    out[w++] = r;
    while (i < m->n)
        out[w++] = m->items[i++];
    free(m->items);
    m->items = out;
    m->n = w;
    m->cap = alloc;
}

bool rv_lines_touches(const struct rv_lines *m, uint32_t first, uint32_t last)
{
    if (m->whole)
        return true;
    size_t lo = 0, hi = m->n;
    while (lo < hi) { /* the first range ending at or after `first` */
        size_t mid = lo + (hi - lo) / 2;
        if (m->items[mid].last < first)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->items[lo].first <= last;
}

void rv_lines_edit(struct rv_lines *m, uint32_t l0, uint32_t l1, uint32_t k)
{
    if (m->whole)
        return;
    if (l1 < l0)
        l1 = l0;
    int64_t delta = (int64_t)k - (int64_t)(l1 - l0);
    struct rv_lines out;
    rv_lines_init(&out);
    for (size_t i = 0; i < m->n; i++) {
        struct rv_range r = m->items[i];
        if (r.first < l0)
            rv_lines_add(&out, r.first, r.last < l0 ? r.last : l0 - 1);
    }
    rv_lines_add(&out, l0, (uint32_t)(l0 + k));
    for (size_t i = 0; i < m->n; i++) {
        struct rv_range r = m->items[i];
        if (r.last > l1) {
            int64_t f = (int64_t)(r.first > l1 ? r.first : l1 + 1) + delta;
            int64_t l = (int64_t)r.last + delta;
            if (l > UINT32_MAX)
                l = UINT32_MAX;
            if (f > UINT32_MAX)
                continue;
            rv_lines_add(&out, (uint32_t)f, (uint32_t)l);
        }
    }
    rv_lines_release(m);
    *m = out;
}

/* ---- an in-process line diff ------------------------------------------- */

struct line {
    uint64_t hash;
    const char *p;
    uint32_t len;
};

static struct line *split_lines(const char *text, size_t len, size_t *n_out)
{
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, text, len);
    size_t n = ix.n;
    /* A text ending in a break has an empty last line; a diff ignores it. */
    if (n > 0 && ix.starts[n - 1] == len)
        n--;
    struct line *lines = xcalloc(n ? n : 1, sizeof(*lines));
    for (size_t i = 0; i < n; i++) {
        uint32_t s = ix.starts[i], e = i + 1 < ix.n ? ix.starts[i + 1] : (uint32_t)len;
        uint64_t h = 1469598103934665603u; /* FNV-1a */
        for (uint32_t k = s; k < e; k++)
            h = (h ^ (unsigned char)text[k]) * 1099511628211u;
        lines[i] = (struct line){h, text + s, e - s};
    }
    pos_index_release(&ix);
    *n_out = n;
    return lines;
}

static bool line_eq(const struct line *a, const struct line *b)
{
    return a->hash == b->hash && a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

void rv_lines_from_texts(struct rv_lines *m, const char *base, size_t base_len, const char *now,
                         size_t now_len)
{
    rv_lines_release(m);
    size_t na, nb;
    struct line *a = split_lines(base, base_len, &na);
    struct line *b = split_lines(now, now_len, &nb);
    size_t pre = 0;
    while (pre < na && pre < nb && line_eq(&a[pre], &b[pre]))
        pre++;
    size_t suf = 0;
    while (suf < na - pre && suf < nb - pre && line_eq(&a[na - 1 - suf], &b[nb - 1 - suf]))
        suf++;
    const struct line *A = a + pre, *B = b + pre;
    long N = (long)(na - pre - suf), M = (long)(nb - pre - suf);
    if (M == 0)
        goto out; /* only deletions: no line of `now` changed */
    if (N == 0) {
        rv_lines_add(m, (uint32_t)pre, (uint32_t)(pre + (size_t)M - 1));
        goto out;
    }
    /* Myers: v[k] is the furthest x on diagonal k; trace keeps v after each
     * d (2d+1 entries at trace[d*d]) for the walk back. */
    long max = N + M < RV_MAX_D ? N + M : RV_MAX_D;
    long *v = xcalloc((size_t)(2 * max + 3), sizeof(*v));
    long *trace = NULL;
    size_t cap_trace = 0;
    long off = max + 1, D = -1;
    for (long d = 0; d <= max && D < 0; d++) {
        for (long k = -d; k <= d; k += 2) {
            long x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                              : v[off + k - 1] + 1;
            long y = x - k;
            while (x < N && y < M && line_eq(&A[x], &B[y])) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= N && y >= M)
                D = d;
        }
        MG_GROW(trace, cap_trace, (size_t)((d + 1) * (d + 1)));
        for (long k = -d; k <= d; k++)
            trace[d * d + k + d] = v[off + k];
    }
    if (D < 0) {
        rv_lines_add(m, (uint32_t)pre, (uint32_t)(pre + (size_t)M - 1));
    } else {
        /* Walk back from (N, M); each insertion is a changed line of `now`. */
        uint32_t *changed = xcalloc((size_t)D + 1, sizeof(*changed));
        size_t n_changed = 0;
        long x = N, y = M;
        for (long d = D; d > 0; d--) {
            const long *pv = trace + (d - 1) * (d - 1) + (d - 1); /* pv[k], |k| <= d-1 */
            long k = x - y;
            bool down = k == -d || (k != d && pv[k - 1] < pv[k + 1]);
            long pk = down ? k + 1 : k - 1;
            long px = pv[pk], py = px - pk;
            if (down)
                changed[n_changed++] = (uint32_t)py;
            x = px;
            y = py;
        }
        for (size_t i = n_changed; i-- > 0;)
            rv_lines_add(m, (uint32_t)pre + changed[i], (uint32_t)pre + changed[i]);
        free(changed);
    }
    free(trace);
    free(v);
out:
    free(a);
    free(b);
}

/* ---- unified diffs ----------------------------------------------------- */

/* Undo git's C-style quoting of a path ("a\tb" with escapes); heap. */
static char *unquote(const char *s, size_t n)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return xstrndup(s, n);
    struct mg_buf b = {0};
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c != '\\' || i + 2 >= n) {
            mg_buf_add(&b, &c, 1);
            continue;
        }
        c = s[++i];
        static const char from[] = "abtnvfr\"\\", to[] = "\a\b\t\n\v\f\r\"\\";
        const char *f = strchr(from, c);
        if (f != NULL && c != '\0') {
            mg_buf_add(&b, &to[f - from], 1);
        } else if (c >= '0' && c <= '7') {
            int v = 0;
            for (int k = 0; k < 3 && i + 1 < n && s[i] >= '0' && s[i] <= '7'; k++, i++)
                v = v * 8 + (s[i] - '0');
            i--;
            char ch = (char)v;
            mg_buf_add(&b, &ch, 1);
        } else {
            mg_buf_add(&b, &c, 1);
        }
    }
    char *out = mg_buf_detach(&b, NULL);
    return out != NULL ? out : xstrdup("");
}

void rv_parse_unified(const char *diff, size_t len,
                      void (*fn)(void *ud, const char *path, const struct rv_lines *m), void *ud)
{
    char *path = NULL;
    struct rv_lines m;
    rv_lines_init(&m);
    const char *p = diff, *end = diff + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        if (n >= 4 && memcmp(p, "+++ ", 4) == 0) {
            if (path != NULL)
                fn(ud, path, &m);
            free(path);
            path = NULL;
            rv_lines_release(&m);
            const char *s = p + 4;
            size_t sn = n - 4;
            if (sn > 0 && s[sn - 1] == '\t') /* git adds a tab after names with spaces */
                sn--;
            char *name = unquote(s, sn);
            if (strncmp(name, "b/", 2) == 0)
                path = xstrdup(name + 2);
            free(name); /* "/dev/null": a deletion, no lines of the new side */
        } else if (n >= 3 && memcmp(p, "@@ ", 3) == 0 && path != NULL) {
            const char *plus = memchr(p, '+', n);
            if (plus != NULL) {
                char *e;
                unsigned long c = strtoul(plus + 1, &e, 10), d = 1;
                if (*e == ',')
                    d = strtoul(e + 1, &e, 10);
                if (d > 0 && c > 0)
                    rv_lines_add(&m, (uint32_t)(c - 1), (uint32_t)(c - 1 + d - 1));
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (path != NULL)
        fn(ud, path, &m);
    free(path);
    rv_lines_release(&m);
}

/* ---- filtering --------------------------------------------------------- */

void rv_filter(const struct rv_lines *m, const struct pos_index *ix, struct diag_list *l,
               enum cfg_show show)
{
    if (m == NULL || m->whole)
        return;
    struct diag_list dropped;
    diag_list_init(&dropped);
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct an_diag *d = &l->items[i];
        uint32_t first = pos_line_of(ix, d->start);
        uint32_t last = pos_line_of(ix, d->end > d->start ? d->end - 1 : d->start);
        if (last < first)
            last = first;
        if (!rv_lines_touches(m, first, last)) {
            if (show == CFG_SHOW_ALL) {
                d->severity = AN_HINT;
                char *msg =
                    xasprintf("%s (pre-existing: on a line this change did not touch)", d->message);
                free(d->message);
                d->message = msg;
            } else {
                MG_GROW(dropped.items, dropped.cap, dropped.n + 1);
                dropped.items[dropped.n++] = *d;
                continue;
            }
        }
        l->items[w++] = *d;
    }
    l->n = w;
    diag_list_release(&dropped);
}

/* ---- git ---------------------------------------------------------------- */

struct git_run {
    uv_loop_t loop;
    uv_process_t proc;
    uv_pipe_t out, err;
    uv_timer_t timer;
    struct mg_buf obuf, ebuf;
    size_t max_out;
    int open_pipes;
    bool exited, timed_out, too_big, timer_closed;
    int64_t status;
    int term_signal;
};

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void finish_if_done(struct git_run *g)
{
    /* The timer keeps the loop going until the child and both pipes are
     * done: a grandchild holding a pipe open cannot make us wait forever. */
    if (g->exited && g->open_pipes == 0 && !g->timer_closed) {
        g->timer_closed = true;
        uv_timer_stop(&g->timer);
        uv_close((uv_handle_t *)&g->timer, on_closed);
    }
}

static void on_pipe_closed(uv_handle_t *h)
{
    struct git_run *g = h->data;
    g->open_pipes--;
    finish_if_done(g);
}

static void close_pipe(uv_pipe_t *p)
{
    if (!uv_is_closing((uv_handle_t *)p))
        uv_close((uv_handle_t *)p, on_pipe_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = xmalloc(65536);
    buf->len = 65536;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct git_run *g = s->data;
    bool is_out = s == (uv_stream_t *)&g->out;
    if (n > 0) {
        struct mg_buf *b = is_out ? &g->obuf : &g->ebuf;
        size_t cap = is_out ? g->max_out : 4096;
        size_t take = b->len + (size_t)n > cap ? (cap > b->len ? cap - b->len : 0) : (size_t)n;
        mg_buf_add(b, buf->base, take);
        if (take < (size_t)n && is_out) {
            g->too_big = true;
            if (!g->exited)
                uv_process_kill(&g->proc, SIGKILL);
            close_pipe(&g->out);
        }
    } else if (n < 0) {
        close_pipe((uv_pipe_t *)s);
    }
    free(buf->base);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
    struct git_run *g = p->data;
    g->exited = true;
    g->status = status;
    g->term_signal = term_signal;
    uv_close((uv_handle_t *)p, on_closed);
    finish_if_done(g);
}

static void on_timeout(uv_timer_t *t)
{
    struct git_run *g = t->data;
    g->timed_out = true;
    if (!g->exited)
        uv_process_kill(&g->proc, SIGKILL);
    close_pipe(&g->out);
    close_pipe(&g->err);
}

/* environ, minus what we set, plus what keeps git quiet and non-interactive. */
static char **git_env(void)
{
    static const char *const ours[] = {"GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0",
                                       "GIT_PAGER=cat", "LC_ALL=C"};
    size_t n = 0;
    while (environ != NULL && environ[n] != NULL)
        n++;
    char **env = xcalloc(n + MG_ARRAY_LEN(ours) + 1, sizeof(*env));
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t k = 0; k < MG_ARRAY_LEN(ours) && !replaced; k++) {
            size_t kl = (size_t)(strchr(ours[k], '=') - ours[k]) + 1;
            replaced = strncmp(environ[i], ours[k], kl) == 0;
        }
        if (!replaced)
            env[w++] = environ[i];
    }
    for (size_t k = 0; k < MG_ARRAY_LEN(ours); k++)
        env[w++] = (char *)ours[k];
    env[w] = NULL;
    return env;
}

static char *first_line(const char *s, size_t n)
{
    while (n > 0 && (*s == '\n' || *s == ' '))
        s++, n--;
    const char *nl = memchr(s, '\n', n);
    size_t k = nl ? (size_t)(nl - s) : n;
    /* "fatal: not a git repository ..." -> "not a git repository ..." */
    if (k > 7 && strncmp(s, "fatal: ", 7) == 0)
        s += 7, k -= 7;
    else if (k > 7 && strncmp(s, "error: ", 7) == 0)
        s += 7, k -= 7;
    return xstrndup(s, k);
}

int rv_git(const char *cwd, const char *const *args, unsigned timeout_ms, size_t max_out,
           struct rv_git_out *res)
{
    memset(res, 0, sizeof(*res));
    res->exit_status = -1;
    struct stat st;
    if (stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        res->err = xasprintf("folder '%s' does not exist", cwd);
        res->out = xstrdup("");
        return -1;
    }
    size_t n_args = 0;
    while (args[n_args] != NULL)
        n_args++;
    const char *pre[] = {"git", "--no-pager", "-c", "core.quotepath=off"};
    char **argv = xcalloc(MG_ARRAY_LEN(pre) + n_args + 1, sizeof(*argv));
    size_t a = 0;
    for (size_t i = 0; i < MG_ARRAY_LEN(pre); i++)
        argv[a++] = (char *)pre[i];
    for (size_t i = 0; i < n_args; i++)
        argv[a++] = (char *)args[i];
    char **env = git_env();

    struct git_run *g = xcalloc(1, sizeof(*g));
    g->max_out = max_out;
    int rc = uv_loop_init(&g->loop);
    if (rc != 0) {
        res->err = xasprintf("cannot run git: %s", uv_strerror(rc));
        goto out_free;
    }
    uv_pipe_init(&g->loop, &g->out, 0);
    uv_pipe_init(&g->loop, &g->err, 0);
    g->out.data = g->err.data = g->proc.data = g->timer.data = g;
    g->open_pipes = 2;
    uv_timer_init(&g->loop, &g->timer);
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&g->out},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&g->err},
    };
    uv_process_options_t po = {
        .exit_cb = on_exit_cb,
        .file = "git",
        .args = argv,
        .env = env,
        .cwd = cwd,
        .stdio_count = 3,
        .stdio = stdio,
    };
    rc = uv_spawn(&g->loop, &g->proc, &po);
    if (rc != 0) {
        if (rc == UV_ENOENT)
            res->err = xstrdup("git is not installed (not found on PATH)");
        else
            res->err = xasprintf("cannot run git: %s", uv_strerror(rc));
        /* libuv needs the process handle closed even when the spawn failed. */
        uv_close((uv_handle_t *)&g->proc, on_closed);
        uv_close((uv_handle_t *)&g->out, on_closed);
        uv_close((uv_handle_t *)&g->err, on_closed);
        uv_close((uv_handle_t *)&g->timer, on_closed);
        uv_run(&g->loop, UV_RUN_DEFAULT);
        goto out_loop;
    }
    uv_read_start((uv_stream_t *)&g->out, on_alloc, on_read);
    uv_read_start((uv_stream_t *)&g->err, on_alloc, on_read);
    uv_timer_start(&g->timer, on_timeout, timeout_ms, 0);
    uv_run(&g->loop, UV_RUN_DEFAULT);

    if (g->timed_out) {
        res->err = xasprintf("git %s timed out after %u s", args[0], (timeout_ms + 999) / 1000);
    } else if (g->too_big) {
        res->err = xasprintf("git %s printed more than %zu MiB", args[0], max_out >> 20);
    } else if (g->term_signal != 0) {
        res->err = xasprintf("git %s was killed by signal %d", args[0], g->term_signal);
    } else {
        res->exit_status = (int)g->status;
        if (g->status != 0)
            res->err = g->ebuf.len
                           ? first_line(g->ebuf.data, g->ebuf.len)
                           : xasprintf("git %s exited with status %d", args[0], (int)g->status);
    }
out_loop:
    uv_loop_close(&g->loop);
out_free:
    res->out = mg_buf_detach(&g->obuf, &res->len);
    if (res->out == NULL)
        res->out = xstrdup("");
    mg_buf_release(&g->ebuf);
    free(g);
    free(env);
    free(argv);
    return res->err == NULL ? 0 : -1;
}

void rv_git_out_release(struct rv_git_out *out)
{
    free(out->out);
    free(out->err);
    memset(out, 0, sizeof(*out));
}

bool rv_ref_ok(const char *ref)
{
    if (ref == NULL || *ref == '\0' || *ref == '-' || strlen(ref) > 256)
        return false;
    for (const unsigned char *p = (const unsigned char *)ref; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

char *rv_toplevel(const char *dir, char **err)
{
    const char *args[] = {"rev-parse", "--show-toplevel", NULL};
    struct rv_git_out o;
    char *top = NULL;
    if (rv_git(dir, args, RV_GIT_TIMEOUT_MS, 1 << 16, &o) == 0) {
        chomp(o.out);
        top = realpath(o.out, NULL);
        if (top == NULL)
            top = xstrdup(o.out);
    } else if (o.exit_status > 0) {
        *err = xasprintf("'%s' is not in a git repository", dir);
    } else {
        *err = xstrdup(o.err);
    }
    rv_git_out_release(&o);
    return top;
}

/* The commit `ref` names, or NULL. */
static char *verify(const char *top, const char *ref, char **err)
{
    char *spec = xasprintf("%s^{commit}", ref);
    const char *args[] = {"rev-parse", "--verify", "--quiet", "--end-of-options", spec, NULL};
    struct rv_git_out o;
    char *sha = NULL;
    if (rv_git(top, args, RV_GIT_TIMEOUT_MS, 1 << 16, &o) == 0) {
        chomp(o.out);
        sha = xstrdup(o.out);
    } else if (err != NULL) {
        *err = o.exit_status > 0 ? xasprintf("no such branch, tag or commit in %s", top)
                                 : xstrdup(o.err);
    }
    rv_git_out_release(&o);
    free(spec);
    return sha;
}

char *rv_resolve(const char *top, const char *ref, char **err)
{
    if (!rv_ref_ok(ref)) {
        *err = xasprintf("'%s' cannot be a review base (a branch, tag or commit)", ref);
        return NULL;
    }
    if (strcmp(ref, "merge-base") != 0)
        return verify(top, ref, err);
    /* The default branch: what origin's HEAD points at, else main or master. */
    char *branch = NULL;
    const char *sym[] = {"symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", NULL};
    struct rv_git_out o;
    if (rv_git(top, sym, RV_GIT_TIMEOUT_MS, 1 << 16, &o) == 0) {
        chomp(o.out);
        if (rv_ref_ok(o.out))
            branch = xstrdup(o.out);
    } else if (o.exit_status < 0) {
        *err = xstrdup(o.err);
        rv_git_out_release(&o);
        return NULL;
    }
    rv_git_out_release(&o);
    static const char *const fallbacks[] = {"main", "master"};
    for (size_t i = 0; branch == NULL && i < MG_ARRAY_LEN(fallbacks); i++) {
        char *sha = verify(top, fallbacks[i], NULL);
        if (sha != NULL)
            branch = xstrdup(fallbacks[i]);
        free(sha);
    }
    if (branch == NULL) {
        *err = xasprintf("no default branch (origin/HEAD, main or master) in %s", top);
        return NULL;
    }
    const char *mb[] = {"merge-base", "HEAD", branch, NULL};
    char *sha = NULL;
    if (rv_git(top, mb, RV_GIT_TIMEOUT_MS, 1 << 16, &o) == 0) {
        chomp(o.out);
        sha = xstrdup(o.out);
    } else {
        *err = o.exit_status > 0 ? xasprintf("HEAD and '%s' have no merge-base in %s", branch, top)
                                 : xstrdup(o.err);
    }
    rv_git_out_release(&o);
    free(branch);
    return sha;
}

/* `path` (absolute, real) relative to `top`, or NULL when outside it. */
static const char *rel_to(const char *path, const char *top)
{
    size_t n = strlen(top);
    if (strcmp(top, "/") == 0)
        return path + 1;
    if (strncmp(path, top, n) != 0 || path[n] != '/')
        return NULL;
    return path + n + 1;
}

/* ---- margin check --diff ------------------------------------------------ */

struct diff_file {
    char *path; /* relative to the top level */
    struct rv_lines lines;
};

struct diff_repo {
    char *top;
    bool failed;
    struct diff_file *files; /* sorted by path once loaded */
    size_t n_files, cap_files;
    char **tracked; /* sorted */
    size_t n_tracked;
};

struct diff_dir {
    char *dir;
    ssize_t repo; /* index into repos, or -1 */
};

struct rv_diff {
    char *base;
    char **said; /* messages already given: each is given once */
    size_t n_said;
    struct diff_repo *repos;
    size_t n_repos, cap_repos;
    struct diff_dir *dirs;
    size_t n_dirs, cap_dirs;
};

static const struct rv_lines rv_unchanged = {0};
static const struct rv_lines rv_all = {.whole = true};

struct rv_diff *rv_diff_new(const char *base)
{
    struct rv_diff *d = xcalloc(1, sizeof(*d));
    d->base = xstrdup(base);
    return d;
}

void rv_diff_free(struct rv_diff *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_repos; i++) {
        struct diff_repo *r = &d->repos[i];
        for (size_t k = 0; k < r->n_files; k++) {
            free(r->files[k].path);
            rv_lines_release(&r->files[k].lines);
        }
        free(r->files);
        for (size_t k = 0; k < r->n_tracked; k++)
            free(r->tracked[k]);
        free(r->tracked);
        free(r->top);
    }
    free(d->repos);
    for (size_t i = 0; i < d->n_dirs; i++)
        free(d->dirs[i].dir);
    free(d->dirs);
    for (size_t i = 0; i < d->n_said; i++)
        free(d->said[i]);
    free(d->said);
    free(d->base);
    free(d);
}

static void add_diff_file(void *ud, const char *path, const struct rv_lines *m)
{
    struct diff_repo *r = ud;
    MG_GROW(r->files, r->cap_files, r->n_files + 1);
    struct diff_file *f = &r->files[r->n_files++];
    f->path = xstrdup(path);
    rv_lines_init(&f->lines);
    rv_lines_copy(&f->lines, m);
}

static int cmp_diff_file(const void *a, const void *b)
{
    return strcmp(((const struct diff_file *)a)->path, ((const struct diff_file *)b)->path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load the repository's diff against the base; returns 0 or -1 with *err. */
static int repo_load(struct diff_repo *r, const char *base, char **err)
{
    char *why = NULL;
    char *sha = rv_resolve(r->top, base, &why);
    if (sha == NULL) {
        *err = xasprintf("cannot diff against '%s': %s; reporting every line of the files in %s",
                         base, why, r->top);
        free(why);
        return -1;
    }
    const char *dargs[] = {"diff",
                           "--no-color",
                           "--no-ext-diff",
                           "--no-textconv",
                           "--src-prefix=a/",
                           "--dst-prefix=b/",
                           "--ignore-submodules",
                           "-M",
                           "-U0",
                           sha,
                           "--",
                           NULL};
    struct rv_git_out o;
    int rc = rv_git(r->top, dargs, RV_GIT_TIMEOUT_MS, RV_MAX_DIFF, &o);
    if (rc == 0) {
        rv_parse_unified(o.out, o.len, add_diff_file, r);
        if (r->n_files > 1)
            qsort(r->files, r->n_files, sizeof(*r->files), cmp_diff_file);
    } else {
        *err = xasprintf("cannot diff against '%s': %s; reporting every line of the files in %s",
                         base, o.err, r->top);
    }
    rv_git_out_release(&o);
    if (rc == 0) {
        const char *largs[] = {"ls-files", "-z", NULL};
        rc = rv_git(r->top, largs, RV_GIT_TIMEOUT_MS, RV_MAX_DIFF, &o);
        if (rc == 0) {
            size_t cap = 0;
            for (const char *p = o.out; p < o.out + o.len; p += strlen(p) + 1) {
                MG_GROW(r->tracked, cap, r->n_tracked + 1);
                r->tracked[r->n_tracked++] = xstrdup(p);
            }
            if (r->n_tracked > 1)
                qsort(r->tracked, r->n_tracked, sizeof(*r->tracked), cmp_str);
        } else {
            *err = xasprintf("cannot list the files git knows: %s; reporting every line of the "
                             "files in %s",
                             o.err, r->top);
        }
        rv_git_out_release(&o);
    }
    free(sha);
    return rc;
}

const struct rv_lines *rv_diff_lines(struct rv_diff *d, const char *path, char **err)
{
    *err = NULL;
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        free(dir);
        return NULL;
    }
    *(slash == dir ? slash + 1 : slash) = '\0';
    ssize_t ri = -2;
    for (size_t i = 0; i < d->n_dirs && ri == -2; i++)
        if (strcmp(d->dirs[i].dir, dir) == 0)
            ri = d->dirs[i].repo;
    if (ri == -2) {
        char *why = NULL;
        char *top = rv_toplevel(dir, &why);
        ri = -1;
        if (top == NULL) {
            bool said = false;
            for (size_t i = 0; i < d->n_said && !said; i++)
                said = strcmp(d->said[i], why) == 0;
            if (!said) {
                *err = xasprintf("%s; reporting every line", why);
                d->said = xrealloc(d->said, (d->n_said + 1) * sizeof(*d->said));
                d->said[d->n_said++] = why;
            } else {
                free(why);
            }
        } else {
            for (size_t i = 0; i < d->n_repos && ri < 0; i++)
                if (strcmp(d->repos[i].top, top) == 0)
                    ri = (ssize_t)i;
            if (ri < 0) {
                MG_GROW(d->repos, d->cap_repos, d->n_repos + 1);
                struct diff_repo *r = &d->repos[d->n_repos];
                memset(r, 0, sizeof(*r));
                r->top = top;
                top = NULL;
                ri = (ssize_t)d->n_repos++;
                r->failed = repo_load(r, d->base, err) != 0;
            }
            free(top);
        }
        MG_GROW(d->dirs, d->cap_dirs, d->n_dirs + 1);
        d->dirs[d->n_dirs++] = (struct diff_dir){xstrdup(dir), ri};
    }
    free(dir);
    if (ri < 0 || d->repos[ri].failed)
        return NULL;
    struct diff_repo *r = &d->repos[ri];
    const char *rel = rel_to(path, r->top);
    if (rel == NULL)
        return &rv_all;
    struct diff_file key = {.path = (char *)rel};
    struct diff_file *f = bsearch(&key, r->files, r->n_files, sizeof(*r->files), cmp_diff_file);
    if (f != NULL)
        return &f->lines;
    if (bsearch(&rel, r->tracked, r->n_tracked, sizeof(*r->tracked), cmp_str) != NULL)
        return &rv_unchanged;
    return &rv_all; /* git does not know it: wholly new */
}

/* ---- the language server's review base --------------------------------- */

/* folder -> top level of its work tree (or why there is none) */
struct lsp_dir {
    char *dir, *top, *err;
    bool reported;
};

/* (top level, ref) -> commit (or why there is none) */
struct lsp_repo {
    char *top, *ref, *sha, *err;
    bool reported; /* the status (or the failure) was shown to the user */
};

/* One open document's map. */
struct lsp_doc {
    char *uri;
    char *top, *ref, *sha; /* what the map was made against; NULL when inactive */
    bool active;           /* the map applies */
    bool restale;          /* the whole text was replaced: re-diff before use */
    char *base_text;       /* the file at the base; NULL when not there (wholly new) */
    size_t base_len;
    struct rv_lines lines;
};

struct srv_review {
    char *override; /* margin.review.setBase; "" means no base */
    bool has_override;
    struct lsp_dir *dirs;
    size_t n_dirs, cap_dirs;
    struct lsp_repo *repos;
    size_t n_repos, cap_repos;
    struct lsp_doc *docs;
    size_t n_docs, cap_docs;
};

static struct srv_review *review_of(struct server *srv)
{
    if (srv->settings.review == NULL)
        srv->settings.review = xcalloc(1, sizeof(struct srv_review));
    return srv->settings.review;
}

static void lsp_doc_release(struct lsp_doc *d)
{
    free(d->uri);
    free(d->top);
    free(d->ref);
    free(d->sha);
    free(d->base_text);
    rv_lines_release(&d->lines);
}

static void repos_clear(struct srv_review *rv)
{
    for (size_t i = 0; i < rv->n_repos; i++) {
        free(rv->repos[i].top);
        free(rv->repos[i].ref);
        free(rv->repos[i].sha);
        free(rv->repos[i].err);
    }
    rv->n_repos = 0;
}

void srv__review_release(struct server *srv)
{
    struct srv_review *rv = srv->settings.review;
    if (rv == NULL)
        return;
    for (size_t i = 0; i < rv->n_dirs; i++) {
        free(rv->dirs[i].dir);
        free(rv->dirs[i].top);
        free(rv->dirs[i].err);
    }
    free(rv->dirs);
    repos_clear(rv);
    free(rv->repos);
    for (size_t i = 0; i < rv->n_docs; i++)
        lsp_doc_release(&rv->docs[i]);
    free(rv->docs);
    free(rv->override);
    free(rv);
    srv->settings.review = NULL;
}

static void show(struct server *srv, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void show(struct server *srv, int type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    LOGI("%s", msg);
    json_t *params = json_pack("{s:i, s:s}", "type", type, "message", msg);
    if (params != NULL)
        srv__notify(srv, "window/showMessage", params);
    free(msg);
}

static struct lsp_doc *doc_state(struct srv_review *rv, const char *uri, bool make)
{
    for (size_t i = 0; i < rv->n_docs; i++)
        if (strcmp(rv->docs[i].uri, uri) == 0)
            return &rv->docs[i];
    if (!make)
        return NULL;
    MG_GROW(rv->docs, rv->cap_docs, rv->n_docs + 1);
    struct lsp_doc *d = &rv->docs[rv->n_docs++];
    memset(d, 0, sizeof(*d));
    d->uri = xstrdup(uri);
    return d;
}

static struct lsp_dir *dir_state(struct srv_review *rv, const char *dir)
{
    for (size_t i = 0; i < rv->n_dirs; i++)
        if (strcmp(rv->dirs[i].dir, dir) == 0)
            return &rv->dirs[i];
    MG_GROW(rv->dirs, rv->cap_dirs, rv->n_dirs + 1);
    struct lsp_dir *d = &rv->dirs[rv->n_dirs++];
    d->dir = xstrdup(dir);
    d->err = NULL;
    d->reported = false;
    d->top = rv_toplevel(dir, &d->err);
    return d;
}

static struct lsp_repo *repo_state(struct srv_review *rv, const char *top, const char *ref)
{
    for (size_t i = 0; i < rv->n_repos; i++)
        if (strcmp(rv->repos[i].top, top) == 0 && strcmp(rv->repos[i].ref, ref) == 0)
            return &rv->repos[i];
    MG_GROW(rv->repos, rv->cap_repos, rv->n_repos + 1);
    struct lsp_repo *r = &rv->repos[rv->n_repos++];
    memset(r, 0, sizeof(*r));
    r->top = xstrdup(top);
    r->ref = xstrdup(ref);
    r->sha = rv_resolve(top, ref, &r->err);
    return r;
}

/* Tell the user, once per repository and base, what the review is against. */
static void report_repo(struct server *srv, struct lsp_repo *r)
{
    if (r->reported)
        return;
    r->reported = true;
    if (r->sha != NULL)
        show(srv, 3, "margin: reviewing the changes against '%s' (%.10s) in %s", r->ref, r->sha,
             r->top);
    else
        show(srv, 2, "margin: cannot review against '%s': %s; showing the findings of every line",
             r->ref, r->err);
}

/* The base text of `rel` at `sha`; NULL when the file is not there. */
static char *blob(const char *top, const char *sha, const char *rel, size_t *len)
{
    char *spec = xasprintf("%s:%s", sha, rel);
    const char *args[] = {"cat-file", "blob", spec, NULL};
    struct rv_git_out o;
    char *text = NULL;
    if (rv_git(top, args, RV_GIT_TIMEOUT_MS, RV_MAX_BLOB, &o) == 0) {
        text = o.out;
        *len = o.len;
        o.out = NULL;
    }
    rv_git_out_release(&o);
    free(spec);
    return text;
}

/* (Re)make the document's map against `ref`. */
static void doc_load(struct server *srv, struct lsp_doc *ld, const struct doc *doc, const char *ref)
{
    free(ld->ref);
    ld->ref = xstrdup(ref);
    ld->active = false;
    if (doc->path == NULL)
        return; /* not a file: nothing to diff against */
    struct srv_review *rv = review_of(srv);
    char *real = realpath(doc->path, NULL);
    char *dir = xstrdup(real != NULL ? real : doc->path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *(slash == dir ? slash + 1 : slash) = '\0';
    if (real == NULL) {
        /* Not on disk (yet): its folder may still be in a repository. */
        char *rd = realpath(dir, NULL);
        if (rd != NULL) {
            free(dir);
            dir = rd;
        }
    }
    struct lsp_dir *ds = dir_state(rv, dir);
    if (ds->top == NULL) {
        if (!ds->reported)
            show(srv, 2,
                 "margin: cannot review against '%s': %s; showing the findings of every line", ref,
                 ds->err ? ds->err : "no repository");
        ds->reported = true;
        free(ld->top);
        ld->top = NULL;
        free(real);
        free(dir);
        return;
    }
    free(ld->top);
    ld->top = xstrdup(ds->top);
    struct lsp_repo *r = repo_state(rv, ds->top, ref);
    report_repo(srv, r);
    if (r->sha == NULL) {
        free(real);
        free(dir);
        return;
    }
    free(ld->sha);
    ld->sha = xstrdup(r->sha);
    free(ld->base_text);
    ld->base_text = NULL;
    ld->base_len = 0;
    char *path_for_rel = real;
    if (path_for_rel == NULL) {
        const char *base = strrchr(doc->path, '/');
        path_for_rel = xasprintf("%s%s", dir, base ? base : "");
    }
    const char *rel = rel_to(path_for_rel, ds->top);
    if (rel != NULL)
        ld->base_text = blob(ds->top, r->sha, rel, &ld->base_len);
    rv_lines_release(&ld->lines);
    if (ld->base_text == NULL)
        ld->lines.whole = true; /* not in the base: wholly new */
    else
        rv_lines_from_texts(&ld->lines, ld->base_text, ld->base_len, doc->text, doc->len);
    ld->active = true;
    ld->restale = false;
    if (path_for_rel != real)
        free(path_for_rel);
    free(real);
    free(dir);
}

/* The base in force for a document whose settings say `configured`. */
static const char *base_for(struct srv_review *rv, const char *configured)
{
    if (rv->has_override)
        return rv->override[0] ? rv->override : NULL;
    return configured;
}

bool srv__review_wanted(struct server *srv, const struct cfg_resolved *cfg)
{
    return base_for(review_of(srv), cfg->review_base) != NULL;
}

void srv__review_filter(struct server *srv, struct doc *doc, const struct cfg_resolved *cfg,
                        struct diag_list *l)
{
    struct srv_review *rv = review_of(srv);
    const char *ref = base_for(rv, cfg->review_base);
    if (ref == NULL) {
        struct lsp_doc *ld = doc_state(rv, doc->uri, false);
        if (ld != NULL && ld->ref != NULL) {
            free(ld->ref);
            ld->ref = NULL;
            ld->active = false;
        }
        return;
    }
    struct lsp_doc *ld = doc_state(rv, doc->uri, true);
    if (ld->ref == NULL || strcmp(ld->ref, ref) != 0) {
        doc_load(srv, ld, doc, ref);
    } else if (ld->active && ld->sha != NULL && ld->top != NULL) {
        /* The base moved (a save re-resolved it): make the map anew. */
        struct lsp_repo *r = repo_state(rv, ld->top, ref);
        report_repo(srv, r);
        if (r->sha == NULL)
            ld->active = false;
        else if (strcmp(r->sha, ld->sha) != 0)
            doc_load(srv, ld, doc, ref);
    }
    if (!ld->active)
        return;
    if (ld->restale && ld->base_text != NULL) {
        rv_lines_from_texts(&ld->lines, ld->base_text, ld->base_len, doc->text, doc->len);
        ld->restale = false;
    }
    rv_filter(&ld->lines, &doc->lines, l, cfg->review_show);
}

static uint32_t breaks_in(const char *s, size_t n)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'));
    return k;
}

void srv__review_edit(struct server *srv, struct doc *doc, bool whole, uint32_t start, uint32_t end,
                      const char *text, size_t len)
{
    struct srv_review *rv = srv->settings.review;
    struct lsp_doc *ld = rv ? doc_state(rv, doc->uri, false) : NULL;
    if (ld == NULL || !ld->active)
        return;
    if (whole) {
        ld->restale = true; /* a full-text change: diff again (it costs O(text) anyway) */
        return;
    }
    /* A "\r\n" split by the edit's start makes no new line of its own:
     * pos.c counts breaks the same way, and the map only needs to be
     * conservative (too many changed lines, never too few). */
    rv_lines_edit(&ld->lines, pos_line_of(&doc->lines, start), pos_line_of(&doc->lines, end),
                  breaks_in(text, len));
}

void srv__review_saved(struct server *srv, struct doc *doc)
{
    struct srv_review *rv = srv->settings.review;
    struct lsp_doc *ld = rv ? doc_state(rv, doc->uri, false) : NULL;
    if (ld == NULL || ld->ref == NULL)
        return;
    /* Re-resolve the base of this repository (a commit moves HEAD), then
     * diff the buffer again: edits undone before the save stop counting. */
    if (ld->top != NULL) {
        for (size_t i = 0; i < rv->n_repos; i++) {
            struct lsp_repo *r = &rv->repos[i];
            if (strcmp(r->top, ld->top) != 0 || strcmp(r->ref, ld->ref) != 0)
                continue;
            char *err = NULL;
            char *sha = rv_resolve(r->top, r->ref, &err);
            bool changed =
                (sha == NULL) != (r->sha == NULL) || (sha != NULL && strcmp(sha, r->sha) != 0);
            free(r->sha);
            free(r->err);
            r->sha = sha;
            r->err = err;
            if (changed)
                r->reported = false;
        }
    }
    ld->restale = true;
    doc->needs_analyze = true;
    doc->changes.all = true;
    srv->dirty = true;
}

void srv__review_closed(struct server *srv, const char *uri)
{
    struct srv_review *rv = srv->settings.review;
    if (rv == NULL)
        return;
    for (size_t i = 0; i < rv->n_docs; i++) {
        if (strcmp(rv->docs[i].uri, uri) != 0)
            continue;
        lsp_doc_release(&rv->docs[i]);
        rv->docs[i] = rv->docs[--rv->n_docs];
        return;
    }
}

/* Forget every map and resolution: the base changed. */
static void review_reset(struct server *srv)
{
    struct srv_review *rv = review_of(srv);
    repos_clear(rv);
    for (size_t i = 0; i < rv->n_dirs; i++)
        rv->dirs[i].reported = false;
    for (size_t i = 0; i < rv->n_docs; i++)
        lsp_doc_release(&rv->docs[i]);
    rv->n_docs = 0;
    for (size_t i = 0; i < srv->docs.n; i++) {
        srv->docs.items[i]->needs_analyze = true;
        srv->docs.items[i]->changes.all = true;
    }
    srv->dirty = true;
}

json_t *srv__execute_command(struct server *srv, json_t *params, struct srv_err *err)
{
    const char *cmd = json_string_value(json_object_get(params, "command"));
    if (cmd == NULL) {
        srv_err_set(err, RPC_INVALID_PARAMS, "executeCommand needs a 'command'");
        return NULL;
    }
    if (strcmp(cmd, "margin.review.setBase") != 0) {
        srv_err_set(err, RPC_INVALID_PARAMS, "unknown command '%s'", cmd);
        return NULL;
    }
    json_t *args = json_object_get(params, "arguments");
    json_t *arg = json_is_array(args) ? json_array_get(args, 0) : NULL;
    if ((args != NULL && !json_is_array(args)) || json_array_size(args) > 1 ||
        (arg != NULL && !json_is_string(arg) && !json_is_null(arg))) {
        srv_err_set(err, RPC_INVALID_PARAMS,
                    "margin.review.setBase takes one argument: a git ref, \"\" for none, or null "
                    "to follow the settings");
        return NULL;
    }
    struct srv_review *rv = review_of(srv);
    const char *base = json_string_value(arg);
    if (base != NULL && base[0] != '\0' && !rv_ref_ok(base)) {
        srv_err_set(err, RPC_INVALID_PARAMS,
                    "'%s' cannot be a review base (a branch, tag, commit or \"merge-base\")", base);
        return NULL;
    }
    if (arg == NULL && args != NULL && json_array_size(args) == 0) {
        /* No argument: only report what is in force. */
    } else {
        free(rv->override);
        rv->override = base ? xstrdup(base) : NULL;
        rv->has_override = base != NULL;
        review_reset(srv);
    }
    if (rv->has_override && rv->override[0] == '\0')
        show(srv, 3, "margin: no review base; showing the findings of every line");
    else if (rv->has_override)
        show(srv, 3, "margin: review base set to '%s'", rv->override);
    else
        show(srv, 3, "margin: the review base follows the settings");
    return json_pack("{s:s?, s:s}", "base", rv->has_override ? rv->override : NULL, "source",
                     rv->has_override ? "command" : "settings");
}
