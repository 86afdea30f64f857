/* The directory walker of `margin check` and its gitignore matcher.
 *
 * What is skipped under a directory the user named (the named paths
 * themselves are always walked or checked):
 *  - directories named like tool and VCS caches or virtual environments
 *    (skip_names below), and any directory holding a pyvenv.cfg;
 *  - symbolic links to directories (never followed: no loops, no escaping
 *    the tree); symbolic links to files are checked like files;
 *  - whatever the .gitignore files say: the one in every walked directory,
 *    and, when the named directory is inside a git repository, the ones in
 *    the repository root and the directories down to the named one, plus
 *    .git/info/exclude. A deeper file overrides a shallower one and a later
 *    line an earlier one, as in git. core.excludesFile is not read.
 *  - files not ending in ".py" (".pyi" stubs are not checked: the analyzers
 *    are written for code, not stubs).
 *
 * The walk runs on one thread, before any file is read. Entries are listed
 * in readdir() order; walk_list_sort() makes the result deterministic. */
#include "walk.h"
#include "mg.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest .gitignore read; the rest of a bigger one is ignored. */
#define WALK_MAX_IGNORE_FILE (4u << 20)

/* Directories never descended into (unless named by the user). */
static const char *const skip_names[] = {
    ".git",          ".hg",     ".svn",  ".bzr",           "__pycache__", "node_modules",
    ".venv",         "venv",    ".tox",  ".nox",           ".mypy_cache", ".ruff_cache",
    ".pytest_cache", ".pytype", ".eggs", "__pypackages__", ".direnv",     ".ipynb_checkpoints",
};

/* strerror(), lowercased as margin's messages are ("no such file ..."),
 * in `buf`. The walk runs on one thread, so strerror() is safe here. */
static const char *errstr(int err, char *buf, size_t n)
{
    snprintf(buf, n, "%s", strerror(err));
    if (buf[0] != '\0' && buf[1] != '\0' && !isupper((unsigned char)buf[1]))
        buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

/* ---- the list ---------------------------------------------------------- */

void walk_list_init(struct walk_list *l)
{
    memset(l, 0, sizeof(*l));
}

void walk_list_release(struct walk_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].path);
        free(l->items[i].error);
    }
    free(l->items);
    walk_list_init(l);
}

static struct walk_entry *list_push(struct walk_list *l, const char *path)
{
    MG_GROW(l->items, l->cap, l->n + 1);
    struct walk_entry *e = &l->items[l->n++];
    memset(e, 0, sizeof(*e));
    e->path = xstrdup(path);
    return e;
}

static void list_push_error(struct walk_list *l, const char *path, char *msg)
{
    list_push(l, path)->error = msg;
}

int walk_path_cmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    while (*x != '\0' && *x == *y) {
        x++;
        y++;
    }
    unsigned cx = *x == '/' ? 1u : (*x == '\0' ? 0u : (unsigned)*x + 1u);
    unsigned cy = *y == '/' ? 1u : (*y == '\0' ? 0u : (unsigned)*y + 1u);
    return cx < cy ? -1 : (cx > cy ? 1 : 0);
}

static int cmp_entry(const void *a, const void *b)
{
    const struct walk_entry *x = a, *y = b;
    int c = walk_path_cmp(x->path, y->path);
    if (c != 0)
        return c;
    /* Errors first, then the user's own naming: the survivor of a
     * duplicate is the most informative entry. */
    if ((x->error != NULL) != (y->error != NULL))
        return x->error != NULL ? -1 : 1;
    if (x->named != y->named)
        return x->named ? -1 : 1;
    return 0;
}

void walk_list_sort(struct walk_list *l)
{
    if (l->n < 2)
        return;
    qsort(l->items, l->n, sizeof(*l->items), cmp_entry);
    size_t w = 1;
    for (size_t r = 1; r < l->n; r++) {
        if (strcmp(l->items[w - 1].path, l->items[r].path) == 0) {
            free(l->items[r].path);
            free(l->items[r].error);
            continue;
        }
        l->items[w++] = l->items[r];
    }
    l->n = w;
}

/* ---- glob matching (after git's wildmatch.c, always WM_PATHNAME) ------- */

enum { WM_MATCH = 0, WM_NOMATCH = 1, WM_ABORT_ALL = -1, WM_ABORT_TO_STARSTAR = -2 };

static int class_match(const unsigned char *name, size_t n, unsigned char c, bool *known)
{
    static const struct {
        const char *name;
        int (*fn)(int);
    } classes[] = {
        {"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank}, {"cntrl", iscntrl},
        {"digit", isdigit}, {"graph", isgraph}, {"lower", islower}, {"print", isprint},
        {"punct", ispunct}, {"space", isspace}, {"upper", isupper}, {"xdigit", isxdigit},
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(classes); i++) {
        if (strlen(classes[i].name) == n && memcmp(classes[i].name, name, n) == 0) {
            *known = true;
            return c < 128 && classes[i].fn(c) != 0;
        }
    }
    *known = false;
    return 0;
}

/* Recursion depth is bounded by the number of '*' runs in the pattern; the
 * abort codes keep the backtracking polynomial (see git's wildmatch.c). */
static int dowild(const unsigned char *p, const unsigned char *text)
{
    const unsigned char *pattern = p;
    unsigned char p_ch;

    for (; (p_ch = *p) != '\0'; text++, p++) {
        unsigned char t_ch = *text, prev_ch;
        int matched, negated, match_slash;
        if (t_ch == '\0' && p_ch != '*')
            return WM_ABORT_ALL;
        switch (p_ch) {
        case '\\':
            p_ch = *++p;
            if (p_ch == '\0')
                return WM_ABORT_ALL; /* a trailing backslash matches nothing */
            if (t_ch != p_ch)
                return WM_NOMATCH;
            continue;
        default:
            if (t_ch != p_ch)
                return WM_NOMATCH;
            continue;
        case '?':
            if (t_ch == '/')
                return WM_NOMATCH;
            continue;
        case '*':
            if (*++p == '*') {
                /* p is on the second star; p[-2] is before the first. */
                bool starts = p - pattern < 2 || p[-2] == '/';
                while (*++p == '*') {
                }
                if (starts && (*p == '\0' || *p == '/' || (p[0] == '\\' && p[1] == '/'))) {
                    /* "**" as a whole component: try zero directories first. */
                    if (p[0] == '/' && dowild(p + 1, text) == WM_MATCH)
                        return WM_MATCH;
                    match_slash = 1;
                } else {
                    match_slash = 0;
                }
            } else {
                match_slash = 0;
            }
            if (*p == '\0') {
                /* A trailing "**" matches everything; a trailing '*' only
                 * what has no further '/'. */
                if (!match_slash && strchr((const char *)text, '/') != NULL)
                    return WM_NOMATCH;
                return WM_MATCH;
            } else if (!match_slash && *p == '/') {
                /* "*" + "/" matches up to the next slash, which the loop
                 * then consumes with the pattern's '/'. */
                const char *slash = strchr((const char *)text, '/');
                if (slash == NULL)
                    return WM_NOMATCH;
                text = (const unsigned char *)slash;
                break;
            }
            for (;;) {
                if (t_ch == '\0')
                    break;
                if (*p != '*' && *p != '?' && *p != '[' && *p != '\\') {
                    /* A literal follows: skip ahead to its next occurrence. */
                    p_ch = *p;
                    while ((t_ch = *text) != '\0' && (match_slash || t_ch != '/')) {
                        if (t_ch == p_ch)
                            break;
                        text++;
                    }
                    if (t_ch != p_ch)
                        return WM_NOMATCH;
                }
                if ((matched = dowild(p, text)) != WM_NOMATCH) {
                    if (!match_slash || matched != WM_ABORT_TO_STARSTAR)
                        return matched;
                } else if (!match_slash && t_ch == '/') {
                    return WM_ABORT_TO_STARSTAR;
                }
                t_ch = *++text;
            }
            return WM_ABORT_ALL;
        case '[':
            p_ch = *++p;
            negated = p_ch == '!' || p_ch == '^';
            if (negated)
                p_ch = *++p;
            prev_ch = 0;
            matched = 0;
            do {
                if (p_ch == '\0')
                    return WM_ABORT_ALL;
                if (p_ch == '\\') {
                    p_ch = *++p;
                    if (p_ch == '\0')
                        return WM_ABORT_ALL;
                    if (t_ch == p_ch)
                        matched = 1;
                } else if (p_ch == '-' && prev_ch != 0 && p[1] != '\0' && p[1] != ']') {
                    p_ch = *++p;
                    if (p_ch == '\\') {
                        p_ch = *++p;
                        if (p_ch == '\0')
                            return WM_ABORT_ALL;
                    }
                    if (t_ch <= p_ch && t_ch >= prev_ch)
                        matched = 1;
                    p_ch = 0; /* so that prev_ch becomes 0: no range after a range */
                } else if (p_ch == '[' && p[1] == ':') {
                    const unsigned char *s = p += 2;
                    while ((p_ch = *p) != '\0' && p_ch != ']')
                        p++;
                    if (p_ch == '\0')
                        return WM_ABORT_ALL;
                    if (p - s < 1 || p[-1] != ':') {
                        /* No ":]": an ordinary '[' in the set. */
                        p = s - 2;
                        p_ch = '[';
                        if (t_ch == p_ch)
                            matched = 1;
                        continue;
                    }
                    bool known;
                    if (class_match(s, (size_t)(p - s - 1), t_ch, &known))
                        matched = 1;
                    if (!known)
                        return WM_ABORT_ALL;
                    p_ch = 0;
                } else if (t_ch == p_ch) {
                    matched = 1;
                }
            } while (prev_ch = p_ch, (p_ch = *++p) != ']');
            if (matched == negated || t_ch == '/')
                return WM_NOMATCH;
            continue;
        }
    }
    return *text != '\0' ? WM_NOMATCH : WM_MATCH;
}

bool walk_glob_match(const char *pattern, const char *path)
{
    return dowild((const unsigned char *)pattern, (const unsigned char *)path) == WM_MATCH;
}

/* ---- .gitignore -------------------------------------------------------- */

struct ignore_pat {
    char *glob;
    bool negated;  /* "!pattern" */
    bool dir_only; /* "pattern/" */
    bool anchored; /* had a '/' before its end: matched against the whole path */
};

struct walk_ignore {
    struct ignore_pat *pats;
    size_t n, cap;
};

/* git's trim_trailing_spaces(): drop unescaped trailing spaces. */
static void trim_trailing_spaces(char *buf)
{
    char *last_space = NULL;
    for (char *p = buf; *p != '\0'; p++) {
        switch (*p) {
        case ' ':
            if (last_space == NULL)
                last_space = p;
            break;
        case '\\':
            p++;
            if (*p == '\0')
                return;
            last_space = NULL;
            break;
        default:
            last_space = NULL;
        }
    }
    if (last_space != NULL)
        *last_space = '\0';
}

static void ignore_add_line(struct walk_ignore *ig, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0 || line[0] == '#')
        return;
    char *buf = xstrndup(line, len);
    trim_trailing_spaces(buf);
    char *s = buf;
    struct ignore_pat pat = {0};
    if (*s == '!') {
        pat.negated = true;
        s++;
    }
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '/') {
        pat.dir_only = true;
        s[--n] = '\0';
    }
    if (n == 0 || memchr(s, '\0', n) != NULL) {
        free(buf);
        return;
    }
    pat.anchored = strchr(s, '/') != NULL;
    if (*s == '/')
        s++;
    if (*s == '\0') {
        free(buf);
        return;
    }
    pat.glob = xstrdup(s);
    free(buf);
    MG_GROW(ig->pats, ig->cap, ig->n + 1);
    ig->pats[ig->n++] = pat;
}

struct walk_ignore *walk_ignore_new(const char *text, size_t len)
{
    struct walk_ignore *ig = xcalloc(1, sizeof(*ig));
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        /* A line holding a NUL byte is not a pattern git would use either. */
        if (memchr(text + i, '\0', end - i) == NULL)
            ignore_add_line(ig, text + i, end - i);
        i = end + 1;
    }
    return ig;
}

void walk_ignore_free(struct walk_ignore *ig)
{
    if (ig == NULL)
        return;
    for (size_t i = 0; i < ig->n; i++)
        free(ig->pats[i].glob);
    free(ig->pats);
    free(ig);
}

int walk_ignore_match(const struct walk_ignore *ig, const char *path, bool is_dir)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    for (size_t i = ig->n; i-- > 0;) {
        const struct ignore_pat *p = &ig->pats[i];
        if (p->dir_only && !is_dir)
            continue;
        if (walk_glob_match(p->glob, p->anchored ? path : base))
            return p->negated ? -1 : 1;
    }
    return 0;
}

/* ---- the walk ---------------------------------------------------------- */

/* One .gitignore in force: its patterns apply to rel + base. */
struct level {
    struct walk_ignore *ig;
    size_t base;
};

struct walker {
    struct walk_list *out;
    struct mg_buf path; /* the current path as printed; "" stands for "." */
    struct mg_buf rel;  /* the same, relative to the topmost .gitignore directory */
    struct level *levels;
    size_t n_levels, cap_levels;
};

static void buf_truncate(struct mg_buf *b, size_t len)
{
    b->len = len;
    if (b->data != NULL)
        b->data[len] = '\0';
}

static void buf_join(struct mg_buf *b, const char *name)
{
    if (b->len > 0 && b->data[b->len - 1] != '/')
        mg_buf_add(b, "/", 1);
    mg_buf_adds(b, name);
}

/* Read a whole small file; NULL when it cannot be read (for any reason). */
static char *read_small(const char *path, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    struct mg_buf b = {0};
    char chunk[8192];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        mg_buf_add(&b, chunk, (size_t)r);
        if (b.len >= WALK_MAX_IGNORE_FILE)
            break;
    }
    close(fd);
    return mg_buf_detach(&b, len_out);
}

/* Push the ignore file at `file` (if readable) applying to paths below rel
 * offset `base`. */
static void push_ignore(struct walker *w, const char *file, size_t base)
{
    size_t len;
    char *text = read_small(file, &len);
    if (text == NULL)
        return;
    struct walk_ignore *ig = walk_ignore_new(text, len);
    free(text);
    if (ig->n == 0) {
        walk_ignore_free(ig);
        return;
    }
    MG_GROW(w->levels, w->cap_levels, w->n_levels + 1);
    w->levels[w->n_levels++] = (struct level){ig, base};
}

static void pop_ignores(struct walker *w, size_t keep)
{
    while (w->n_levels > keep)
        walk_ignore_free(w->levels[--w->n_levels].ig);
}

static bool is_ignored(const struct walker *w, bool is_dir)
{
    for (size_t i = w->n_levels; i-- > 0;) {
        const struct level *lv = &w->levels[i];
        if (lv->base > w->rel.len)
            continue;
        int r = walk_ignore_match(lv->ig, w->rel.data + lv->base, is_dir);
        if (r != 0)
            return r > 0;
    }
    return false;
}

static bool skipped_name(const char *name)
{
    for (size_t i = 0; i < MG_ARRAY_LEN(skip_names); i++)
        if (strcmp(name, skip_names[i]) == 0)
            return true;
    return false;
}

static bool is_venv(const char *dir)
{
    char *cfg = xasprintf("%s/pyvenv.cfg", dir);
    struct stat st;
    bool yes = stat(cfg, &st) == 0 && S_ISREG(st.st_mode);
    free(cfg);
    return yes;
}

static bool is_py(const char *name)
{
    size_t n = strlen(name);
    return n >= 3 && strcmp(name + n - 3, ".py") == 0;
}

struct dent {
    char *name;
    unsigned char type;
};

static void walk_dir(struct walker *w);

static void walk_entry(struct walker *w, const struct dent *de)
{
    size_t plen = w->path.len, rlen = w->rel.len;
    buf_join(&w->path, de->name);
    buf_join(&w->rel, de->name);
    unsigned char type = de->type;
    struct stat st;
    if (type == DT_UNKNOWN) {
        if (lstat(w->path.data, &st) != 0)
            goto out; /* vanished */
        type = S_ISDIR(st.st_mode)   ? DT_DIR
               : S_ISREG(st.st_mode) ? DT_REG
               : S_ISLNK(st.st_mode) ? DT_LNK
                                     : DT_UNKNOWN;
    }
    if (type == DT_LNK) {
        /* Links to files are checked; links to directories are never
         * followed; dangling links are left out. */
        if (stat(w->path.data, &st) != 0 || !S_ISREG(st.st_mode))
            goto out;
        type = DT_REG;
    }
    if (type == DT_DIR) {
        if (!skipped_name(de->name) && !is_ignored(w, true) && !is_venv(w->path.data))
            walk_dir(w);
    } else if (type == DT_REG) {
        if (is_py(de->name) && !is_ignored(w, false))
            list_push(w->out, w->path.data);
    }
out:
    buf_truncate(&w->path, plen);
    buf_truncate(&w->rel, rlen);
}

static void walk_dir(struct walker *w)
{
    const char *dir = w->path.len ? w->path.data : ".";
    DIR *d = opendir(dir);
    char eb[128];
    if (d == NULL) {
        if (errno != ENOENT && errno != ENOTDIR)
            list_push_error(
                w->out, dir,
                xasprintf("%s: cannot read directory: %s", dir, errstr(errno, eb, sizeof(eb))));
        return;
    }
    struct dent *ents = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            err = errno;
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        MG_GROW(ents, cap, n + 1);
        ents[n++] = (struct dent){xstrdup(e->d_name), e->d_type};
    }
    closedir(d);
    if (err != 0)
        list_push_error(
            w->out, dir,
            xasprintf("%s: cannot read directory: %s", dir, errstr(err, eb, sizeof(eb))));

    size_t keep = w->n_levels, plen = w->path.len;
    buf_join(&w->path, ".gitignore");
    push_ignore(w, w->path.data, w->rel.len ? w->rel.len + 1 : 0);
    buf_truncate(&w->path, plen);

    for (size_t i = 0; i < n; i++) {
        walk_entry(w, &ents[i]);
        free(ents[i].name);
    }
    free(ents);
    pop_ignores(w, keep);
}

/* When `path` is inside a git repository, load the ignore files of the
 * repository above it (.git/info/exclude, then each .gitignore from the
 * root down to the parent of `path`) and make w->rel relative to the root. */
static void load_repo_ignores(struct walker *w, const char *path)
{
    char *abs = realpath(path, NULL);
    if (abs == NULL)
        return;
    char *root = xstrdup(abs);
    bool found = false;
    for (;;) {
        bool top = strcmp(root, "/") == 0;
        char *git = xasprintf("%s/.git", top ? "" : root);
        struct stat st;
        found = lstat(git, &st) == 0;
        free(git);
        if (found || top)
            break;
        char *slash = strrchr(root, '/');
        if (slash == NULL)
            break;
        if (slash == root)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    if (!found)
        goto out;

    struct mg_buf dir = {0};
    mg_buf_adds(&dir, strcmp(root, "/") == 0 ? "" : root);
    size_t dlen = dir.len;
    mg_buf_adds(&dir, "/.git/info/exclude");
    push_ignore(w, dir.data, 0);
    buf_truncate(&dir, dlen);

    /* `sub`: the named directory relative to the root ("" when it is it). */
    const char *sub = abs + strlen(root);
    while (*sub == '/')
        sub++;
    const char *c = sub;
    for (;;) {
        /* The .gitignore of the directory so far; the named directory's
         * own is read by walk_dir(). */
        if (*c == '\0')
            break;
        dlen = dir.len;
        mg_buf_adds(&dir, "/.gitignore");
        push_ignore(w, dir.data, c == sub ? 0 : (size_t)(c - sub));
        buf_truncate(&dir, dlen);
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        mg_buf_add(&dir, "/", 1);
        mg_buf_add(&dir, c, n);
        c += n;
        while (*c == '/')
            c++;
    }
    mg_buf_release(&dir);
    buf_truncate(&w->rel, 0);
    mg_buf_adds(&w->rel, sub);
out:
    free(root);
    free(abs);
}

void walk_add(struct walk_list *l, const char *path)
{
    struct stat st;
    char eb[128];
    if (stat(path, &st) != 0) {
        list_push_error(l, path,
                        xasprintf("margin check: '%s': %s", path, errstr(errno, eb, sizeof(eb))));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        list_push(l, path)->named = true;
        return;
    }
    struct walker w = {.out = l};
    /* Printed paths start with the directory as given, less trailing
     * slashes; "." is left out ("a.py", not "./a.py"). */
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    mg_buf_add(&w.path, path, (n == 1 && path[0] == '.') ? 0 : n);
    mg_buf_add(&w.rel, "", 0);
    load_repo_ignores(&w, path);
    walk_dir(&w);
    pop_ignores(&w, 0);
    free(w.levels);
    mg_buf_release(&w.path);
    mg_buf_release(&w.rel);
}
