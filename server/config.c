/* margin's configuration (see config.h): layers of settings, pyproject.toml
 * read through the tree-sitter TOML grammar, and the merge per file.
 *
 * Every setting is a row of `options`: its dotted kebab-case name, its kind
 * and where it lands in struct an_opts. A layer records, per row, whether
 * its source set it; cfg_resolve() takes each setting from the editor (or
 * the command line) when set there, else from the pyproject.toml, else the
 * default. An analyzer's new option is one row here (and a line in
 * docs/configuration.md). */
#include "config.h"
#include "internal.h"
#include "log.h"
#include "mg.h"
#include "rpc.h"
#include "walk.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const TSLanguage *tree_sitter_toml(void);

/* pyproject.toml files over this size are refused. */
#define CFG_MAX_FILE (4u << 20)
/* A TOML document nested deeper than this is refused (our walks recurse). */
#define CFG_MAX_DEPTH 64
/* At most this many syntax errors are reported per file. */
#define CFG_MAX_SYNTAX_ERRORS 5

/* ---- problems ---------------------------------------------------------- */

static void problem_add(struct cfg_problems *p, int severity, uint32_t start, uint32_t end,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem_add(struct cfg_problems *p, int severity, uint32_t start, uint32_t end,
                        const char *fmt, ...)
{
    if (p == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    MG_GROW(p->items, p->cap, p->n + 1);
    p->items[p->n++] = (struct cfg_problem){severity, start, end, msg};
}

void cfg_problems_release(struct cfg_problems *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i].message);
    free(p->items);
    memset(p, 0, sizeof(*p));
}

bool cfg_problems_have_error(const struct cfg_problems *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].severity == 1)
            return true;
    return false;
}

/* ---- the settings ------------------------------------------------------ */

enum opt_kind {
    K_CODES,   /* rule codes or prefixes: a list, or a comma-separated string */
    K_STRINGS, /* a list of strings */
    K_BOOL,
    K_ENUM,   /* one of `names` */
    K_STRING, /* checked by `check` */
    K_PFI,    /* per-file-ignores: {glob: codes} */
};

#define NO_FIELD ((size_t)-1)

struct option {
    const char *name;  /* dotted kebab-case, as documented */
    const char *alias; /* another accepted name, or NULL */
    enum opt_kind kind;
    size_t off, off_n;           /* the an_opts field (and its count), or NO_FIELD */
    const char *const *names;    /* K_ENUM */
    bool (*check)(const char *); /* K_STRING */
    const char *expected;        /* for messages */
};

static const char *const doc_styles[] = {"auto", "google", "numpy", "sphinx", NULL};
static const char *const show_names[] = {"changed", "all", NULL};

static bool target_version_ok(const char *s)
{
    /* "py3" then the minor version: py37 .. py314 and on. */
    if (strncmp(s, "py3", 3) != 0 || !isdigit((unsigned char)s[3]))
        return false;
    for (const char *p = s + 3; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return strlen(s) <= 5;
}

static bool review_base_ok(const char *s)
{
    /* "" clears the base; anything else must be safe to hand to git. */
    if (*s == '\0')
        return true;
    if (*s == '-' || strlen(s) > 256)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

_Static_assert(sizeof(enum an_doc_style) == sizeof(int), "enum settings are written as int");

#define LIST(field) offsetof(struct an_opts, field), offsetof(struct an_opts, n_##field)

enum {
    O_SELECT,
    O_IGNORE,
    O_EXTEND_SELECT,
    O_EXTEND_IGNORE,
    O_PFI,
    O_TARGET_VERSION,
    O_REVIEW_BASE,
    O_REVIEW_SHOW,
    O_FIRST_PLAIN, /* from here on: copied into an_opts as they are */
};

static const struct option options[] = {
    [O_SELECT] = {"select", NULL, K_CODES, LIST(select), NULL, NULL, "a list of rule codes"},
    [O_IGNORE] = {"ignore", NULL, K_CODES, LIST(ignore), NULL, NULL, "a list of rule codes"},
    [O_EXTEND_SELECT] = {"extend-select", NULL, K_CODES, NO_FIELD, NO_FIELD, NULL, NULL,
                         "a list of rule codes"},
    [O_EXTEND_IGNORE] = {"extend-ignore", NULL, K_CODES, NO_FIELD, NO_FIELD, NULL, NULL,
                         "a list of rule codes"},
    [O_PFI] = {"per-file-ignores", NULL, K_PFI, NO_FIELD, NO_FIELD, NULL, NULL,
               "a table of glob = [rule codes]"},
    [O_TARGET_VERSION] = {"target-version", NULL, K_STRING, NO_FIELD, NO_FIELD, NULL,
                          target_version_ok, "a Python version such as \"py39\""},
    [O_REVIEW_BASE] = {"review.base", NULL, K_STRING, NO_FIELD, NO_FIELD, NULL, review_base_ok,
                       "a git ref (a branch, tag, commit or \"merge-base\")"},
    [O_REVIEW_SHOW] = {"review.show", NULL, K_ENUM, NO_FIELD, NO_FIELD, show_names, NULL, NULL},
    /* The analyzers' options. */
    {"docstring-style", NULL, K_ENUM, offsetof(struct an_opts, docstring_style), NO_FIELD,
     doc_styles, NULL, NULL},
    {"logger-objects", "exceptions.logger-objects", K_STRINGS, LIST(exc_logger_objects), NULL, NULL,
     "a list of strings"},
    {"logger-callables", "exceptions.logger-callables", K_STRINGS, LIST(exc_logger_callables), NULL,
     NULL, "a list of strings"},
    {"check-typed-exception", "exceptions.check-typed-exception", K_BOOL,
     offsetof(struct an_opts, exc_check_typed_exception), NO_FIELD, NULL, NULL, "true or false"},
    {"allowed-unused-imports", "imports.allowed-unused-imports", K_STRINGS,
     LIST(allowed_unused_imports), NULL, NULL, "a list of module names"},
    {"suppress-none-returning", "annotations.suppress-none-returning", K_BOOL,
     offsetof(struct an_opts, ann_suppress_none_returning), NO_FIELD, NULL, NULL, "true or false"},
    {"mypy-init-return", "annotations.mypy-init-return", K_BOOL,
     offsetof(struct an_opts, ann_mypy_init_return), NO_FIELD, NULL, NULL, "true or false"},
    {"ignore-fully-untyped", "annotations.ignore-fully-untyped", K_BOOL,
     offsetof(struct an_opts, ann_ignore_fully_untyped), NO_FIELD, NULL, NULL, "true or false"},
    {"suppress-dummy-args", "annotations.suppress-dummy-args", K_BOOL,
     offsetof(struct an_opts, ann_suppress_dummy_args), NO_FIELD, NULL, NULL, "true or false"},
};
#define N_OPTIONS MG_ARRAY_LEN(options)

struct pfi_entry {
    char *glob;
    char **codes;
    size_t n;
};

struct cfg_value {
    bool set;
    char **list; /* K_CODES, K_STRINGS */
    size_t n;
    int i;   /* K_BOOL, K_ENUM */
    char *s; /* K_STRING */
    struct pfi_entry *pfi;
    size_t n_pfi;
};

struct cfg_layer {
    struct cfg_value v[N_OPTIONS];
};

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static char **strv_copy(char *const *v, size_t n)
{
    if (n == 0)
        return NULL;
    char **c = xcalloc(n, sizeof(*c));
    for (size_t i = 0; i < n; i++)
        c[i] = xstrdup(v[i]);
    return c;
}

static void value_release(struct cfg_value *v)
{
    strv_free(v->list, v->n);
    free(v->s);
    for (size_t i = 0; i < v->n_pfi; i++) {
        free(v->pfi[i].glob);
        strv_free(v->pfi[i].codes, v->pfi[i].n);
    }
    free(v->pfi);
    memset(v, 0, sizeof(*v));
}

void cfg_layer_free(struct cfg_layer *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < N_OPTIONS; i++)
        value_release(&l->v[i]);
    free(l);
}

/* "Extend-Select", "extend_select", "extendSelect" -> "extendselect". */
static void normalise(const char *s, size_t n, struct mg_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '-' || c == '_')
            continue;
        char lc = (char)tolower(c);
        mg_buf_add(out, &lc, 1);
    }
}

static bool name_is(const char *name, const char *norm)
{
    struct mg_buf b = {0};
    normalise(name, strlen(name), &b);
    bool eq = strcmp(b.data ? b.data : "", norm) == 0;
    mg_buf_release(&b);
    return eq;
}

/* ---- reading a layer from JSON ----------------------------------------- */

/* Where each key of a converted pyproject.toml is, by its dotted path. */
struct loc {
    char *path;
    uint32_t key_start, key_end, val_start, val_end;
};

struct locs {
    struct loc *items;
    size_t n, cap;
};

static void locs_release(struct locs *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->items[i].path);
    free(ls->items);
    memset(ls, 0, sizeof(*ls));
}

static const struct loc *locs_find(const struct locs *ls, const char *path)
{
    if (ls == NULL)
        return NULL;
    for (size_t i = ls->n; i-- > 0;)
        if (strcmp(ls->items[i].path, path) == 0)
            return &ls->items[i];
    return NULL;
}

struct reader {
    struct cfg_problems *probs;
    const struct locs *locs; /* NULL for editor settings */
    const char *prefix;      /* dotted path of the settings table in `locs` */
    bool warn_unknown;
    bool failed;
};

/* A problem at the value (or the key) of setting `path` (relative to the
 * settings table). */
static void reader_problem(struct reader *r, int severity, bool at_key, const char *path,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void reader_problem(struct reader *r, int severity, bool at_key, const char *path,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    uint32_t s = 0, e = 0;
    if (r->locs != NULL) {
        char *full = xasprintf("%s.%s", r->prefix, path);
        const struct loc *l = locs_find(r->locs, full);
        free(full);
        if (l != NULL) {
            s = at_key ? l->key_start : l->val_start;
            e = at_key ? l->key_end : l->val_end;
        }
    }
    problem_add(r->probs, severity, s, e, "%s", msg);
    free(msg);
    if (severity == 1)
        r->failed = true;
}

/* Split a comma- or space-separated string of codes. */
static void split_codes(const char *s, char ***out, size_t *n)
{
    size_t cap = 0;
    while (*s) {
        size_t k = strcspn(s, ", \t");
        if (k) {
            MG_GROW(*out, cap, *n + 1);
            (*out)[(*n)++] = xstrndup(s, k);
        }
        s += k + (s[k] != '\0');
    }
}

static bool code_known(const char *code)
{
    if (strcmp(code, "ALL") == 0)
        return true;
    size_t n;
    const struct an_rule *rules = an_rules(&n);
    size_t len = strlen(code);
    for (size_t i = 0; i < n; i++)
        if (strncmp(rules[i].code, code, len) == 0)
            return true;
    return false;
}

/* A list of codes (or strings): upper-cased and checked for K_CODES. */
static bool read_list(struct reader *r, const char *path, json_t *v, bool codes, char ***out,
                      size_t *n)
{
    *out = NULL;
    *n = 0;
    if (codes && json_is_string(v)) {
        split_codes(json_string_value(v), out, n);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e)) {
                strv_free(*out, *n);
                *out = NULL;
                *n = 0;
                return false;
            }
            (*out) = xrealloc(*out, (*n + 1) * sizeof(**out));
            (*out)[(*n)++] = xstrdup(json_string_value(e));
        }
    } else {
        return false;
    }
    if (codes) {
        for (size_t i = 0; i < *n; i++) {
            for (char *c = (*out)[i]; *c; c++)
                *c = (char)toupper((unsigned char)*c);
            if (!code_known((*out)[i]))
                reader_problem(r, 2, false, path, "'%s' in '%s' matches no rule", (*out)[i], path);
        }
    }
    return true;
}

static void read_value(struct reader *r, size_t oi, const char *path, json_t *v,
                       struct cfg_layer *layer)
{
    const struct option *o = &options[oi];
    struct cfg_value *val = &layer->v[oi];
    value_release(val);
    bool ok = true;
    switch (o->kind) {
    case K_CODES:
    case K_STRINGS:
        ok = read_list(r, path, v, o->kind == K_CODES, &val->list, &val->n);
        break;
    case K_BOOL:
        ok = json_is_boolean(v);
        val->i = json_is_true(v);
        break;
    case K_ENUM: {
        const char *s = json_string_value(v);
        ok = false;
        for (int k = 0; s != NULL && o->names[k] != NULL; k++) {
            if (strcasecmp(s, o->names[k]) == 0) {
                val->i = k;
                ok = true;
            }
        }
        if (!ok) {
            struct mg_buf b = {0};
            for (int k = 0; o->names[k] != NULL; k++)
                mg_buf_addf(&b, "%s'%s'", k ? (o->names[k + 1] ? ", " : " or ") : "", o->names[k]);
            reader_problem(r, 1, false, path, "'%s' must be %s", path, b.data);
            mg_buf_release(&b);
            return;
        }
        break;
    }
    case K_STRING:
        ok = json_is_string(v) && o->check(json_string_value(v));
        if (ok)
            val->s = xstrdup(json_string_value(v));
        break;
    case K_PFI: {
        ok = json_is_object(v);
        const char *glob;
        json_t *codes;
        json_object_foreach(v, glob, codes)
        {
            struct pfi_entry e = {xstrdup(glob), NULL, 0};
            char *sub = xasprintf("%s.%s", path, glob);
            bool good = read_list(r, sub, codes, true, &e.codes, &e.n);
            if (!good)
                reader_problem(r, 1, false, sub, "'%s' in '%s' must be a list of rule codes", glob,
                               path);
            free(sub);
            val->pfi = xrealloc(val->pfi, (val->n_pfi + 1) * sizeof(*val->pfi));
            val->pfi[val->n_pfi++] = e;
        }
        break;
    }
    }
    if (!ok) {
        reader_problem(r, 1, false, path, "'%s' must be %s", path, o->expected);
        value_release(val);
        return;
    }
    val->set = true;
}

/* Read the settings of table `obj`, whose keys are under group `group`
 * ("" at the top, "review" in [tool.margin.review]). */
static void read_table(struct reader *r, json_t *obj, const char *group, struct cfg_layer *layer)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char *path = *group ? xasprintf("%s.%s", group, key) : xstrdup(key);
        struct mg_buf norm = {0};
        normalise(path, strlen(path), &norm);
        const char *nk = norm.data ? norm.data : "";
        bool done = false;
        for (size_t i = 0; i < N_OPTIONS && !done; i++) {
            if (name_is(options[i].name, nk) ||
                (options[i].alias != NULL && name_is(options[i].alias, nk))) {
                read_value(r, i, path, v, layer);
                done = true;
            }
        }
        if (!done && json_is_object(v)) {
            /* A group of settings: [tool.margin.review], {"exceptions": {...}}. */
            size_t nl = strlen(nk);
            for (size_t i = 0; i < 2 * N_OPTIONS && !done; i++) {
                const char *name = i < N_OPTIONS ? options[i].name : options[i - N_OPTIONS].alias;
                if (name == NULL)
                    continue;
                struct mg_buf on = {0};
                normalise(name, strlen(name), &on);
                done = strncmp(on.data, nk, nl) == 0 && on.data[nl] == '.';
                mg_buf_release(&on);
            }
            if (done)
                read_table(r, v, path, layer);
        }
        if (!done) {
            if (r->warn_unknown)
                reader_problem(r, 2, true, path, "unknown setting '%s'", path);
            else
                LOGD("ignoring unknown setting '%s'", path);
        }
        mg_buf_release(&norm);
        free(path);
    }
}

struct cfg_layer *cfg_layer_from_json(json_t *v, struct cfg_problems *probs)
{
    struct cfg_layer *layer = xcalloc(1, sizeof(*layer));
    if (v == NULL || json_is_null(v))
        return layer;
    if (!json_is_object(v)) {
        problem_add(probs, 1, 0, 0, "settings must be an object");
        cfg_layer_free(layer);
        return NULL;
    }
    json_t *nested = json_object_get(v, "margin");
    if (json_is_object(nested))
        v = nested;
    struct reader r = {.probs = probs, .prefix = ""};
    read_table(&r, v, "", layer);
    if (r.failed) {
        cfg_layer_free(layer);
        return NULL;
    }
    return layer;
}

/* ---- TOML -------------------------------------------------------------- */

struct toml {
    const char *text;
    size_t len;
    struct cfg_problems *probs;
    struct locs *locs;
    json_t **defined; /* tables defined by a [header] or inline: not to be reopened */
    size_t n_defined, cap_defined;
    bool failed;
};

static void toml_error(struct toml *t, TSNode n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void toml_error(struct toml *t, TSNode n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    problem_add(t->probs, 1, ts_node_start_byte(n), ts_node_end_byte(n), "%s", msg);
    free(msg);
    t->failed = true;
}

static bool is_defined(const struct toml *t, const json_t *o)
{
    for (size_t i = 0; i < t->n_defined; i++)
        if (t->defined[i] == o)
            return true;
    return false;
}

static void mark_defined(struct toml *t, json_t *o)
{
    MG_GROW(t->defined, t->cap_defined, t->n_defined + 1);
    t->defined[t->n_defined++] = o;
}

static void put_utf8(struct mg_buf *b, uint32_t cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | cp >> 6);
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | cp >> 12);
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | cp >> 18);
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    mg_buf_add(b, s, n);
}

/* The value of a string or quoted key node (heap), or NULL with an error. */
static char *toml_string(struct toml *t, TSNode n)
{
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    const char *p = t->text + s;
    size_t len = e - s;
    char q = len ? p[0] : '"';
    size_t dl = (len >= 6 && (memcmp(p, "\"\"\"", 3) == 0 || memcmp(p, "'''", 3) == 0)) ? 3 : 1;
    if (len < 2 * dl) {
        toml_error(t, n, "unterminated string");
        return NULL;
    }
    const char *c = p + dl, *end = p + len - dl;
    if (dl == 3) {
        /* A newline right after the opening delimiter is trimmed. */
        if (c < end && *c == '\n')
            c++;
        else if (end - c >= 2 && c[0] == '\r' && c[1] == '\n')
            c += 2;
    }
    struct mg_buf b = {0};
    if (q == '\'') {
        mg_buf_add(&b, c, (size_t)(end - c));
        char *out = mg_buf_detach(&b, NULL);
        return out != NULL ? out : xstrdup("");
    }
    while (c < end) {
        if (*c != '\\') {
            mg_buf_add(&b, c, 1);
            c++;
            continue;
        }
        c++;
        if (c >= end)
            break;
        char x = *c++;
        uint32_t cp = 0;
        int hex = 0;
        switch (x) {
        case 'b':
            mg_buf_adds(&b, "\b");
            break;
        case 't':
            mg_buf_adds(&b, "\t");
            break;
        case 'n':
            mg_buf_adds(&b, "\n");
            break;
        case 'f':
            mg_buf_adds(&b, "\f");
            break;
        case 'r':
            mg_buf_adds(&b, "\r");
            break;
        case 'e':
            mg_buf_adds(&b, "\x1b");
            break;
        case '"':
            mg_buf_adds(&b, "\"");
            break;
        case '\\':
            mg_buf_adds(&b, "\\");
            break;
        case 'x':
            hex = 2;
            break;
        case 'u':
            hex = 4;
            break;
        case 'U':
            hex = 8;
            break;
        default:
            if (dl == 3 && (x == ' ' || x == '\t' || x == '\r' || x == '\n')) {
                /* A line-ending backslash: drop the whitespace up to the next text. */
                c--;
                while (c < end && strchr(" \t\r\n", *c) != NULL)
                    c++;
                break;
            }
            toml_error(t, n, "unknown escape '\\%c' in a string", x);
            mg_buf_release(&b);
            return NULL;
        }
        if (hex) {
            for (int k = 0; k < hex; k++, c++) {
                if (c >= end || !isxdigit((unsigned char)*c)) {
                    toml_error(t, n, "bad escape '\\%c' in a string", x);
                    mg_buf_release(&b);
                    return NULL;
                }
                cp = cp << 4 |
                     (uint32_t)(isdigit((unsigned char)*c) ? *c - '0' : (tolower(*c) - 'a' + 10));
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                toml_error(t, n, "escape '\\%c' is not a Unicode scalar value", x);
                mg_buf_release(&b);
                return NULL;
            }
            put_utf8(&b, cp);
        }
    }
    char *out = mg_buf_detach(&b, NULL);
    return out != NULL ? out : xstrdup("");
}

/* The segments of a key node (bare, quoted or dotted). Returns false (with
 * an error) when a quoted segment is bad. */
static bool toml_key(struct toml *t, TSNode n, char ***segs, size_t *n_segs, size_t *cap)
{
    const char *type = ts_node_type(n);
    if (strcmp(type, "dotted_key") == 0) {
        for (uint32_t i = 0; i < ts_node_named_child_count(n); i++)
            if (!toml_key(t, ts_node_named_child(n, i), segs, n_segs, cap))
                return false;
        return true;
    }
    char *s;
    if (strcmp(type, "quoted_key") == 0) {
        s = toml_string(t, n);
        if (s == NULL)
            return false;
    } else {
        s = xstrndup(t->text + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n));
    }
    MG_GROW(*segs, *cap, *n_segs + 1);
    (*segs)[(*n_segs)++] = s;
    return true;
}

static bool is_key_node(TSNode n)
{
    const char *type = ts_node_type(n);
    return strcmp(type, "bare_key") == 0 || strcmp(type, "quoted_key") == 0 ||
           strcmp(type, "dotted_key") == 0;
}

static char *join_path(const char *prefix, char *const *segs, size_t n)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, prefix);
    for (size_t i = 0; i < n; i++) {
        if (b.len)
            mg_buf_adds(&b, ".");
        mg_buf_adds(&b, segs[i]);
    }
    char *s = mg_buf_detach(&b, NULL);
    return s != NULL ? s : xstrdup("");
}

static json_t *toml_value(struct toml *t, TSNode n, const char *path, int depth);

/* The number of a TOML integer, float or special float. */
static json_t *toml_number(struct toml *t, TSNode n, bool is_float)
{
    char buf[128];
    size_t len = ts_node_end_byte(n) - ts_node_start_byte(n);
    if (len >= sizeof(buf)) {
        toml_error(t, n, "number too long");
        return NULL;
    }
    size_t k = 0;
    for (const char *p = t->text + ts_node_start_byte(n); len--; p++)
        if (*p != '_')
            buf[k++] = *p;
    buf[k] = '\0';
    char *end;
    errno = 0;
    if (is_float) {
        const char *s = buf + (buf[0] == '+' || buf[0] == '-');
        if (strcmp(s, "inf") == 0 || strcmp(s, "nan") == 0)
            return json_string(buf); /* JSON has no such numbers; nothing margin reads is one */
        double d = strtod(buf, &end);
        if (*end != '\0' || !isfinite(d)) {
            toml_error(t, n, "bad float '%s'", buf);
            return NULL;
        }
        return json_real(d);
    }
    int base = 10;
    const char *digits = buf;
    bool neg = false;
    if (*digits == '+' || *digits == '-')
        neg = *digits++ == '-';
    if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o' || digits[1] == 'b')) {
        base = digits[1] == 'x' ? 16 : digits[1] == 'o' ? 8 : 2;
        digits += 2;
    }
    unsigned long long u = strtoull(digits, &end, base);
    if (*end != '\0' || errno == ERANGE || u > (unsigned long long)INT64_MAX + neg) {
        toml_error(t, n, "integer '%s' is out of range", buf);
        return NULL;
    }
    return json_integer(neg ? (json_int_t)(0 - u) : (json_int_t)u);
}

/* Set segs[0..n) = value under `table`; dotted keys make tables on the way. */
static bool toml_set(struct toml *t, json_t *table, char *const *segs, size_t n, json_t *value,
                     TSNode key)
{
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *child = json_object_get(table, segs[i]);
        if (child == NULL) {
            child = json_object();
            json_object_set_new(table, segs[i], child);
        } else if (!json_is_object(child) || is_defined(t, child)) {
            toml_error(t, key, "key '%s' is already defined", segs[i]);
            return false;
        }
        table = child;
    }
    if (json_object_get(table, segs[n - 1]) != NULL) {
        toml_error(t, key, "key '%s' is defined twice", segs[n - 1]);
        return false;
    }
    json_object_set_new(table, segs[n - 1], value);
    return true;
}

/* A `pair` node into `table` (whose dotted path is `prefix`). */
static void toml_pair(struct toml *t, json_t *table, const char *prefix, TSNode pair, int depth)
{
    TSNode key = ts_node_named_child(pair, 0);
    TSNode val = ts_node_named_child(pair, ts_node_named_child_count(pair) - 1);
    char **segs = NULL;
    size_t n = 0, cap = 0;
    if (ts_node_is_null(key) || ts_node_is_null(val) || !is_key_node(key) ||
        !toml_key(t, key, &segs, &n, &cap) || n == 0) {
        if (!t->failed)
            toml_error(t, pair, "bad key");
        strv_free(segs, n);
        return;
    }
    char *path = join_path(prefix, segs, n);
    json_t *v = toml_value(t, val, path, depth + 1);
    if (v != NULL) {
        if (toml_set(t, table, segs, n, v, key)) {
            MG_GROW(t->locs->items, t->locs->cap, t->locs->n + 1);
            t->locs->items[t->locs->n++] =
                (struct loc){xstrdup(path), ts_node_start_byte(key), ts_node_end_byte(key),
                             ts_node_start_byte(val), ts_node_end_byte(val)};
        } else {
            json_decref(v);
        }
    }
    free(path);
    strv_free(segs, n);
}

static json_t *toml_value(struct toml *t, TSNode n, const char *path, int depth)
{
    if (depth > CFG_MAX_DEPTH) {
        toml_error(t, n, "nested too deeply");
        return NULL;
    }
    const char *type = ts_node_type(n);
    if (strcmp(type, "string") == 0) {
        char *s = toml_string(t, n);
        if (s == NULL)
            return NULL;
        json_t *j = json_string(s);
        if (j == NULL)
            toml_error(t, n, "string is not valid UTF-8");
        free(s);
        return j;
    }
    if (strcmp(type, "integer") == 0 || strcmp(type, "float") == 0)
        return toml_number(t, n, type[0] == 'f');
    if (strcmp(type, "boolean") == 0)
        return json_boolean(t->text[ts_node_start_byte(n)] == 't');
    if (strcmp(type, "array") == 0) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < ts_node_named_child_count(n); i++) {
            TSNode c = ts_node_named_child(n, i);
            if (strcmp(ts_node_type(c), "comment") == 0)
                continue;
            json_t *v = toml_value(t, c, path, depth + 1);
            if (v == NULL) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, v);
        }
        return arr;
    }
    if (strcmp(type, "inline_table") == 0) {
        json_t *obj = json_object();
        for (uint32_t i = 0; i < ts_node_named_child_count(n); i++) {
            TSNode c = ts_node_named_child(n, i);
            if (strcmp(ts_node_type(c), "pair") == 0)
                toml_pair(t, obj, path, c, depth + 1);
        }
        mark_defined(t, obj); /* inline tables are closed */
        return obj;
    }
    /* Dates and times: their text. */
    json_t *j =
        json_stringn(t->text + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n));
    if (j == NULL)
        toml_error(t, n, "bad value");
    return j;
}

/* The table a [header] or [[header]] names, made as needed. */
static json_t *toml_header(struct toml *t, json_t *root, TSNode node, bool array, char **path_out)
{
    TSNode key = ts_node_named_child(node, 0);
    char **segs = NULL;
    size_t n = 0, cap = 0;
    json_t *table = NULL;
    if (ts_node_is_null(key) || !is_key_node(key) || !toml_key(t, key, &segs, &n, &cap) || n == 0) {
        if (!t->failed)
            toml_error(t, node, "bad table header");
        goto out;
    }
    json_t *cur = root;
    for (size_t i = 0; i < n; i++) {
        bool last = i + 1 == n;
        json_t *child = json_object_get(cur, segs[i]);
        if (last && array) {
            if (child == NULL) {
                child = json_array();
                json_object_set_new(cur, segs[i], child);
                mark_defined(t, child);
            } else if (!json_is_array(child) || !is_defined(t, child)) {
                toml_error(t, key, "'%s' is already defined and is not an array of tables",
                           segs[i]);
                goto out;
            }
            json_t *o = json_object();
            json_array_append_new(child, o);
            table = o;
            break;
        }
        if (child == NULL) {
            child = json_object();
            json_object_set_new(cur, segs[i], child);
        } else if (json_is_array(child) && is_defined(t, child) && json_array_size(child) > 0) {
            child = json_array_get(child, json_array_size(child) - 1);
        } else if (!json_is_object(child)) {
            toml_error(t, key, "key '%s' is already defined and is not a table", segs[i]);
            goto out;
        }
        if (last) {
            if (is_defined(t, child)) {
                toml_error(t, key, "table [%s] is defined twice",
                           (*path_out = join_path("", segs, n)));
                free(*path_out);
                *path_out = NULL;
                goto out;
            }
            mark_defined(t, child);
            table = child;
        }
        cur = child;
    }
    if (table != NULL)
        *path_out = join_path("", segs, n);
out:
    strv_free(segs, n);
    return table;
}

/* Report the syntax errors of the tree (at most a few). */
static void toml_syntax_errors(struct toml *t, TSNode root)
{
    size_t found = 0;
    TSTreeCursor c = ts_tree_cursor_new(root);
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&c);
        bool descend = ts_node_has_error(n);
        if (ts_node_is_missing(n)) {
            toml_error(t, n, "syntax error: missing '%s'", ts_node_type(n));
            found++;
            descend = false;
        } else if (strcmp(ts_node_type(n), "ERROR") == 0) {
            /* Point at the first bad token rather than the whole error span. */
            uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
            const char *nl = memchr(t->text + s, '\n', e - s);
            if (nl != NULL && (uint32_t)(nl - t->text) > s)
                e = (uint32_t)(nl - t->text);
            /* Quote the start of it, printable ASCII only (the text may be anything). */
            char near[24];
            size_t k = 0;
            for (uint32_t i = s; i < e && k + 1 < sizeof(near); i++)
                near[k++] = t->text[i] >= ' ' && t->text[i] < 0x7f ? t->text[i] : '?';
            near[k] = '\0';
            if (k == 0)
                problem_add(t->probs, 1, s, e, "syntax error: this is not TOML");
            else
                problem_add(t->probs, 1, s, e, "syntax error: this is not TOML: '%s%s'", near,
                            e - s > k ? "..." : "");
            t->failed = true;
            found++;
            descend = false;
        }
        if (found >= CFG_MAX_SYNTAX_ERRORS)
            break;
        if (descend && ts_tree_cursor_goto_first_child(&c))
            continue;
        while (!ts_tree_cursor_goto_next_sibling(&c))
            if (!ts_tree_cursor_goto_parent(&c))
                goto done;
    }
done:
    ts_tree_cursor_delete(&c);
}

static json_t *toml_convert(const char *text, size_t len, struct cfg_problems *probs,
                            struct locs *locs)
{
    struct toml t = {.text = text, .len = len, .probs = probs, .locs = locs};
    if (len > CFG_MAX_FILE) {
        problem_add(probs, 1, 0, 0, "file too large (over %u MiB)", CFG_MAX_FILE >> 20);
        return NULL;
    }
    TSParser *parser = ts_parser_new();
    if (!ts_parser_set_language(parser, tree_sitter_toml())) {
        ts_parser_delete(parser);
        problem_add(probs, 1, 0, 0, "the TOML grammar's ABI is refused by this tree-sitter");
        return NULL;
    }
    ts_parser_set_timeout_micros(parser, 2000000);
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    ts_parser_delete(parser);
    if (tree == NULL) {
        problem_add(probs, 1, 0, 0, "parsing took too long");
        return NULL;
    }
    TSNode root = ts_tree_root_node(tree);
    json_t *doc = json_object();
    if (ts_node_has_error(root)) {
        toml_syntax_errors(&t, root);
    } else {
        json_t *table = doc;
        char *prefix = xstrdup("");
        for (uint32_t i = 0; i < ts_node_named_child_count(root) && !t.failed; i++) {
            TSNode n = ts_node_named_child(root, i);
            const char *type = ts_node_type(n);
            if (strcmp(type, "pair") == 0) {
                toml_pair(&t, doc, "", n, 0);
                continue;
            }
            bool array = strcmp(type, "table_array_element") == 0;
            if (!array && strcmp(type, "table") != 0)
                continue; /* comments */
            free(prefix);
            prefix = NULL;
            table = toml_header(&t, doc, n, array, &prefix);
            if (table == NULL)
                break;
            for (uint32_t k = 1; k < ts_node_named_child_count(n) && !t.failed; k++) {
                TSNode p = ts_node_named_child(n, k);
                if (strcmp(ts_node_type(p), "pair") == 0)
                    toml_pair(&t, table, prefix, p, 0);
            }
        }
        free(prefix);
    }
    ts_tree_delete(tree);
    free(t.defined);
    if (t.failed) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

json_t *cfg_toml_to_json(const char *text, size_t len, struct cfg_problems *probs)
{
    struct locs locs = {0};
    json_t *j = toml_convert(text, len, probs, &locs);
    locs_release(&locs);
    return j;
}

/* Whether broken text seems to hold a [tool.margin] table: the table
 * cannot be read, but its errors must still be shown. */
static bool mentions_margin(const char *text, size_t len)
{
    static const char needle[] = "tool.margin";
    return memmem(text, len, needle, sizeof(needle) - 1) != NULL;
}

struct cfg_layer *cfg_layer_from_toml(const char *text, size_t len, bool *has_margin,
                                      struct cfg_problems *probs)
{
    struct locs locs = {0};
    *has_margin = false;
    json_t *doc = toml_convert(text, len, probs, &locs);
    if (doc == NULL) {
        *has_margin = mentions_margin(text, len);
        locs_release(&locs);
        return NULL;
    }
    struct cfg_layer *layer = xcalloc(1, sizeof(*layer));
    json_t *margin = json_object_get(json_object_get(doc, "tool"), "margin");
    if (margin != NULL) {
        *has_margin = true;
        struct reader r = {
            .probs = probs, .locs = &locs, .prefix = "tool.margin", .warn_unknown = true};
        if (!json_is_object(margin)) {
            reader_problem(&r, 1, false, "", "'tool.margin' must be a table");
        } else {
            read_table(&r, margin, "", layer);
        }
        if (r.failed) {
            cfg_layer_free(layer);
            layer = NULL;
        }
    }
    json_decref(doc);
    locs_release(&locs);
    return layer;
}

/* ---- merging ----------------------------------------------------------- */

/* `path` relative to `dir` ("/a/b" and "/a/b/c/d.py" -> "c/d.py"), or NULL
 * when it is not below it. NULL dir: `path` itself. */
static const char *relative_to(const char *path, const char *dir)
{
    if (dir == NULL)
        return path;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (strncmp(path, dir, n) != 0)
        return NULL;
    if (n == 1 && dir[0] == '/')
        return path + 1;
    if (path[n] != '/')
        return NULL;
    return path + n + 1;
}

/* Whether per-file-ignores pattern `glob` covers `rel`: the path, one of
 * the folders it is in (gitignore's rule), or, for a pattern without a '/',
 * the file's name. */
static bool pfi_matches(const char *pattern, const char *rel)
{
    while (pattern[0] == '.' && pattern[1] == '/')
        pattern += 2;
    /* "tests/" names a folder: what is in it matches (the folder walk below). */
    char *glob = xstrdup(pattern);
    size_t gl = strlen(glob);
    while (gl > 1 && glob[gl - 1] == '/')
        glob[--gl] = '\0';
    if (gl == 0) {
        free(glob);
        return false;
    }
    bool hit = walk_glob_match(glob, rel);
    if (!hit && strchr(pattern, '/') == NULL) {
        const char *base = strrchr(rel, '/');
        hit = base != NULL && walk_glob_match(glob, base + 1);
    }
    char *p = xstrdup(rel);
    for (char *s = strrchr(p, '/'); s != NULL && !hit; s = strrchr(p, '/')) {
        *s = '\0';
        hit = walk_glob_match(glob, p);
    }
    free(p);
    free(glob);
    return hit;
}

static void append_codes(char ***list, size_t *n, char *const *more, size_t n_more)
{
    if (n_more == 0)
        return;
    *list = xrealloc(*list, (*n + n_more) * sizeof(**list));
    for (size_t i = 0; i < n_more; i++)
        (*list)[(*n)++] = xstrdup(more[i]);
}

static const struct cfg_value *pick(const struct cfg_layer *file, const struct cfg_layer *over,
                                    size_t oi)
{
    if (over != NULL && over->v[oi].set)
        return &over->v[oi];
    if (file != NULL && file->v[oi].set)
        return &file->v[oi];
    return NULL;
}

static void add_pfi(struct cfg_resolved *out, const struct cfg_layer *l, const char *dir,
                    const char *path)
{
    if (l == NULL || !l->v[O_PFI].set)
        return;
    const char *rel = relative_to(path, dir);
    if (rel == NULL)
        return;
    const struct cfg_value *v = &l->v[O_PFI];
    for (size_t i = 0; i < v->n_pfi; i++)
        if (pfi_matches(v->pfi[i].glob, rel))
            append_codes(&out->pfi, &out->n_pfi, v->pfi[i].codes, v->pfi[i].n);
}

void cfg_resolve(const struct cfg_layer *file, const char *file_dir, const struct cfg_layer *over,
                 const char *over_dir, const char *path, struct cfg_resolved *out)
{
    memset(out, 0, sizeof(*out));
    struct an_opts *o = &out->opts;
    /* select: the editor's or else the file's, then both extend-selects.
     * With no select every rule is on; extend-select then adds nothing,
     * except to outrank a broader ignore, so it rides on "ALL". */
    const struct cfg_value *sel = pick(file, over, O_SELECT);
    if (sel != NULL)
        append_codes(&o->select, &o->n_select, sel->list, sel->n);
    const struct cfg_layer *layers[2] = {file, over};
    for (int k = 0; k < 2; k++) {
        const struct cfg_layer *l = layers[k];
        if (l == NULL || !l->v[O_EXTEND_SELECT].set || l->v[O_EXTEND_SELECT].n == 0)
            continue;
        if (o->n_select == 0) {
            char *all = "ALL";
            append_codes(&o->select, &o->n_select, &all, 1);
        }
        append_codes(&o->select, &o->n_select, l->v[O_EXTEND_SELECT].list, l->v[O_EXTEND_SELECT].n);
    }
    const struct cfg_value *ign = pick(file, over, O_IGNORE);
    if (ign != NULL)
        append_codes(&o->ignore, &o->n_ignore, ign->list, ign->n);
    for (int k = 0; k < 2; k++)
        if (layers[k] != NULL && layers[k]->v[O_EXTEND_IGNORE].set)
            append_codes(&o->ignore, &o->n_ignore, layers[k]->v[O_EXTEND_IGNORE].list,
                         layers[k]->v[O_EXTEND_IGNORE].n);
    add_pfi(out, file, file_dir, path);
    add_pfi(out, over, over_dir, path);

    const struct cfg_value *v = pick(file, over, O_TARGET_VERSION);
    out->target_version = v ? xstrdup(v->s) : NULL;
    /* "py3N": the annotation fixes spell for 3.N (validated when read). */
    o->ann_target_minor = v ? (unsigned)atoi(v->s + 3) : 0;
    v = pick(file, over, O_REVIEW_BASE);
    out->review_base = v && v->s[0] ? xstrdup(v->s) : NULL;
    v = pick(file, over, O_REVIEW_SHOW);
    out->review_show = v ? (enum cfg_show)v->i : CFG_SHOW_CHANGED;

    for (size_t i = O_FIRST_PLAIN; i < N_OPTIONS; i++) {
        const struct option *opt = &options[i];
        v = pick(file, over, i);
        if (v == NULL || opt->off == NO_FIELD)
            continue;
        char *base = (char *)o;
        switch (opt->kind) {
        case K_CODES:
        case K_STRINGS: {
            char **list = strv_copy(v->list, v->n);
            memcpy(base + opt->off, &list, sizeof(list));
            memcpy(base + opt->off_n, &v->n, sizeof(v->n));
            break;
        }
        case K_BOOL: {
            bool b = v->i != 0;
            memcpy(base + opt->off, &b, sizeof(b));
            break;
        }
        case K_ENUM:
            memcpy(base + opt->off, &v->i, sizeof(v->i));
            break;
        case K_STRING:
        case K_PFI:
            break;
        }
    }
}

void cfg_opts_release(struct an_opts *o)
{
    char *base = (char *)o;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option *opt = &options[i];
        if (opt->off == NO_FIELD || (opt->kind != K_CODES && opt->kind != K_STRINGS))
            continue;
        char **list;
        size_t n;
        memcpy(&list, base + opt->off, sizeof(list));
        memcpy(&n, base + opt->off_n, sizeof(n));
        strv_free(list, n);
    }
    memset(o, 0, sizeof(*o));
}

void cfg_resolved_release(struct cfg_resolved *r)
{
    cfg_opts_release(&r->opts);
    strv_free(r->pfi, r->n_pfi);
    free(r->review_base);
    free(r->target_version);
    memset(r, 0, sizeof(*r));
}

void cfg_resolved_filter(const struct cfg_resolved *r, struct diag_list *l)
{
    if (r->n_pfi == 0)
        return;
    struct an_opts only = {.select = r->pfi, .n_select = r->n_pfi};
    struct diag_list dropped;
    diag_list_init(&dropped);
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (an_rule_enabled(&only, l->items[i].code)) {
            MG_GROW(dropped.items, dropped.cap, dropped.n + 1);
            dropped.items[dropped.n++] = l->items[i];
        } else {
            l->items[w++] = l->items[i];
        }
    }
    l->n = w;
    diag_list_release(&dropped); /* it owns the dropped findings' memory now */
}

/* ---- the pyproject.toml store ------------------------------------------ */

struct cfg_dir {
    char *dir;
    struct cfg_file *file; /* NULL: no pyproject.toml with [tool.margin] governs it */
};

void cfg_store_init(struct cfg_store *s)
{
    memset(s, 0, sizeof(*s));
}

static void dirs_clear(struct cfg_store *s)
{
    for (size_t i = 0; i < s->n_dirs; i++)
        free(s->dirs[i].dir);
    s->n_dirs = 0;
}

static void file_free(struct cfg_file *f)
{
    free(f->path);
    free(f->dir);
    free(f->text);
    cfg_layer_free(f->good);
    cfg_problems_release(&f->problems);
    free(f);
}

void cfg_store_release(struct cfg_store *s)
{
    dirs_clear(s);
    free(s->dirs);
    for (size_t i = 0; i < s->n_files; i++)
        file_free(s->files[i]);
    free(s->files);
    memset(s, 0, sizeof(*s));
}

/* Read the file into f: a new good layer replaces the old; a broken file
 * keeps the old one. Returns false when the file cannot be read at all. */
static bool file_read(struct cfg_file *f)
{
    cfg_problems_release(&f->problems);
    free(f->text);
    f->text = NULL;
    f->len = 0;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    struct mg_buf b = {0};
    char chunk[65536];
    bool ok = true;
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ok = false;
            break;
        }
        if (r == 0)
            break;
        mg_buf_add(&b, chunk, (size_t)r);
        if (b.len > CFG_MAX_FILE)
            break;
    }
    close(fd);
    if (!ok) {
        mg_buf_release(&b);
        problem_add(&f->problems, 1, 0, 0, "cannot read the file");
        f->text = xstrdup("");
        return true;
    }
    f->text = mg_buf_detach(&b, &f->len);
    if (f->text == NULL)
        f->text = xstrdup("");
    bool has = false;
    struct cfg_layer *l = cfg_layer_from_toml(f->text, f->len, &has, &f->problems);
    f->has_margin = has;
    if (l != NULL) {
        cfg_layer_free(f->good);
        f->good = l;
    } else if (f->good != NULL) {
        problem_add(&f->problems, 2, 0, 0,
                    "[tool.margin] is not used until this is fixed; the settings read before stay");
    }
    f->problems_shown = false;
    return true;
}

static struct cfg_file *store_file(struct cfg_store *s, const char *path)
{
    for (size_t i = 0; i < s->n_files; i++)
        if (strcmp(s->files[i]->path, path) == 0)
            return s->files[i];
    return NULL;
}

/* The entry of the pyproject.toml at `path`, read when first seen; NULL
 * when there is no such file. */
static struct cfg_file *store_get(struct cfg_store *s, const char *dir)
{
    char *path = xasprintf("%s%spyproject.toml", dir, strcmp(dir, "/") == 0 ? "" : "/");
    struct cfg_file *f = store_file(s, path);
    if (f != NULL) {
        free(path);
        return f;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(path);
        return NULL;
    }
    f = xcalloc(1, sizeof(*f));
    f->path = path;
    f->dir = xstrdup(dir);
    file_read(f);
    MG_GROW(s->files, s->cap_files, s->n_files + 1);
    s->files[s->n_files++] = f;
    return f;
}

static bool has_git(const char *dir)
{
    char *p = xasprintf("%s/.git", dir);
    struct stat st;
    bool yes = stat(p, &st) == 0;
    free(p);
    return yes;
}

struct cfg_file *cfg_store_find(struct cfg_store *s, const char *path, const char *stop)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        free(dir);
        return NULL;
    }
    *(slash == dir ? slash + 1 : slash) = '\0';
    /* The folders looked at, to cache the answer for each. */
    char **seen = NULL;
    size_t n_seen = 0, cap_seen = 0;
    struct cfg_file *found = NULL;
    for (;;) {
        bool cached = false;
        for (size_t i = 0; i < s->n_dirs; i++) {
            if (strcmp(s->dirs[i].dir, dir) == 0) {
                found = s->dirs[i].file;
                cached = true;
                break;
            }
        }
        if (cached)
            break;
        MG_GROW(seen, cap_seen, n_seen + 1);
        seen[n_seen++] = xstrdup(dir);
        struct cfg_file *f = store_get(s, dir);
        if (f != NULL && f->has_margin) {
            found = f;
            break;
        }
        if (strcmp(dir, "/") == 0 || (stop != NULL && strcmp(dir, stop) == 0) || has_git(dir))
            break;
        char *up = strrchr(dir, '/');
        *(up == dir ? up + 1 : up) = '\0';
    }
    for (size_t i = 0; i < n_seen; i++) {
        MG_GROW(s->dirs, s->cap_dirs, s->n_dirs + 1);
        s->dirs[s->n_dirs++] = (struct cfg_dir){seen[i], found};
    }
    free(seen);
    free(dir);
    return found;
}

struct cfg_file *cfg_store_reload(struct cfg_store *s, const char *path)
{
    dirs_clear(s);
    struct cfg_file *f = store_file(s, path);
    if (f == NULL)
        return NULL;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        /* Gone: it governs nothing now, and has nothing to complain about. */
        cfg_problems_release(&f->problems);
        f->has_margin = false;
        cfg_layer_free(f->good);
        f->good = NULL;
        f->problems_shown = false;
        return f;
    }
    file_read(f);
    return f;
}

/* ---- the language server's settings ------------------------------------- */

struct srv_config {
    struct cfg_layer *editor; /* the last good editor settings (NULL: none) */
    struct cfg_store store;
    char **roots; /* workspace folders (absolute paths) */
    size_t n_roots;
    bool watch_dynamic; /* the client registers file watchers on request */
};

static struct srv_config *config_of(struct server *srv)
{
    if (srv->settings.config == NULL) {
        srv->settings.config = xcalloc(1, sizeof(struct srv_config));
        cfg_store_init(&srv->settings.config->store);
    }
    return srv->settings.config;
}

void srv__config_release(struct server *srv)
{
    struct srv_config *c = srv->settings.config;
    if (c == NULL)
        return;
    cfg_layer_free(c->editor);
    cfg_store_release(&c->store);
    strv_free(c->roots, c->n_roots);
    free(c);
    srv->settings.config = NULL;
}

static void reanalyse_all(struct server *srv)
{
    for (size_t i = 0; i < srv->docs.n; i++) {
        srv->docs.items[i]->needs_analyze = true;
        srv->docs.items[i]->changes.all = true;
    }
    srv->dirty = true;
}

static bool layer_sets_anything(const struct cfg_layer *l)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (l->v[i].set)
            return true;
    return false;
}

int srv__apply_settings(struct server *srv, json_t *v, struct srv_err *err)
{
    if (v == NULL || json_is_null(v))
        return 0;
    struct srv_config *c = config_of(srv);
    struct cfg_problems probs = {0};
    struct cfg_layer *l = cfg_layer_from_json(v, &probs);
    /* eglot sends {"settings": {}} on every connect, and editors share one
     * settings object between servers: an object that says nothing to
     * margin (no "margin" key, no setting of ours) leaves the settings be. */
    if (l != NULL && json_is_object(v) && json_object_get(v, "margin") == NULL &&
        !layer_sets_anything(l)) {
        LOGD("settings without anything for margin: keeping the current ones");
        cfg_layer_free(l);
        cfg_problems_release(&probs);
        return 0;
    }
    for (size_t i = 0; i < probs.n; i++) {
        if (l == NULL && probs.items[i].severity == 1) {
            /* The first error answers; the old settings stay in force. */
            if (err->code == 0)
                srv_err_set(err, RPC_INVALID_PARAMS, "%s%s",
                            probs.items[i].message[0] == '\'' ? "setting " : "",
                            probs.items[i].message);
        } else if (probs.items[i].severity == 2) {
            srv_log_client(srv, 2, "setting %s", probs.items[i].message);
        }
    }
    cfg_problems_release(&probs);
    if (l == NULL)
        return -1;
    cfg_layer_free(c->editor);
    c->editor = l;
    reanalyse_all(srv);
    return 0;
}

static void add_root(struct srv_config *c, const char *uri)
{
    char *path = uri ? doc_uri_to_path(uri) : NULL;
    if (path == NULL)
        return;
    char *real = realpath(path, NULL);
    c->roots = xrealloc(c->roots, (c->n_roots + 1) * sizeof(*c->roots));
    c->roots[c->n_roots++] = real != NULL ? real : xstrdup(path);
    free(path);
}

char *const *srv__roots(struct server *srv, size_t *n)
{
    struct srv_config *c = config_of(srv);
    *n = c->n_roots;
    return c->roots;
}

int srv__config_initialize(struct server *srv, json_t *params, struct srv_err *err)
{
    struct srv_config *c = config_of(srv);
    json_t *folders = json_object_get(params, "workspaceFolders");
    size_t i;
    json_t *f;
    json_array_foreach(folders, i, f)
    {
        add_root(c, json_string_value(json_object_get(f, "uri")));
    }
    if (c->n_roots == 0) {
        const char *root_uri = json_string_value(json_object_get(params, "rootUri"));
        const char *root_path = json_string_value(json_object_get(params, "rootPath"));
        if (root_uri != NULL) {
            add_root(c, root_uri);
        } else if (root_path != NULL) {
            char *u = doc_path_to_uri(root_path);
            add_root(c, u);
            free(u);
        }
    }
    json_t *caps = json_object_get(params, "capabilities");
    json_t *w = json_object_get(json_object_get(caps, "workspace"), "didChangeWatchedFiles");
    c->watch_dynamic = json_is_true(json_object_get(w, "dynamicRegistration"));
    /* Bad initializationOptions must not leave the editor without a server
     * (Neovim sends [] for an empty Lua table): say so, and start with the
     * defaults. */
    struct srv_err opt_err = {0};
    if (srv__apply_settings(srv, json_object_get(params, "initializationOptions"), &opt_err) != 0)
        srv_log_client(srv, 2, "initializationOptions: %s; using the defaults",
                       opt_err.message ? opt_err.message : "not understood");
    free(opt_err.message);
    (void)err;
    return 0;
}

void srv__config_initialized(struct server *srv)
{
    struct srv_config *c = config_of(srv);
    if (!c->watch_dynamic)
        return;
    /* Ask to hear of pyproject.toml changes (workspace/didChangeWatchedFiles). */
    json_t *id = json_integer(++srv->next_request_id);
    json_t *params = json_pack("{s:[{s:s, s:s, s:{s:[{s:s}]}}]}", "registrations", "id",
                               "margin-pyproject", "method", "workspace/didChangeWatchedFiles",
                               "registerOptions", "watchers", "globPattern", "**/pyproject.toml");
    srv->send(srv, rpc_request(id, "client/registerCapability", params));
    json_decref(id);
}

static void refresh_pull(struct server *srv)
{
    if (srv->client_pull_diagnostics && srv->client_refresh_diagnostics) {
        json_t *id = json_integer(++srv->next_request_id);
        srv->send(srv, rpc_request(id, "workspace/diagnostic/refresh", NULL));
        json_decref(id);
    }
}

json_t *srv__did_change_configuration(struct server *srv, json_t *params, struct srv_err *err)
{
    if (srv__apply_settings(srv, json_object_get(params, "settings"), err) != 0)
        return NULL;
    /* A new review.base is seen by srv__review_filter() itself. */
    refresh_pull(srv);
    return NULL;
}

/* Publish a pyproject.toml's problems as its diagnostics (once per read). */
static void publish_problems(struct server *srv, struct cfg_file *f)
{
    if (f == NULL || f->problems_shown)
        return;
    f->problems_shown = true;
    if (f->problems.n == 0 && !f->published)
        return;
    char *uri = doc_path_to_uri(f->path);
    struct pos_index ix;
    pos_index_init(&ix);
    pos_index_build(&ix, f->text ? f->text : "", f->len);
    json_t *diags = json_array();
    for (size_t i = 0; i < f->problems.n; i++) {
        const struct cfg_problem *p = &f->problems.items[i];
        uint32_t l0, c0, l1, c1;
        pos_from_offset(&ix, f->text, f->len, p->start, srv->enc, &l0, &c0);
        pos_from_offset(&ix, f->text, f->len, p->end, srv->enc, &l1, &c1);
        json_t *d = json_pack("{s:{s:{s:I, s:I}, s:{s:I, s:I}}, s:i, s:s, s:s}", "range", "start",
                              "line", (json_int_t)l0, "character", (json_int_t)c0, "end", "line",
                              (json_int_t)l1, "character", (json_int_t)c1, "severity", p->severity,
                              "source", "margin", "message", p->message);
        if (d != NULL)
            json_array_append_new(diags, d);
        LOGW("%s:%u:%u: %s", f->path, l0 + 1, c0 + 1, p->message);
    }
    pos_index_release(&ix);
    f->published = f->problems.n > 0;
    srv__notify(srv, "textDocument/publishDiagnostics",
                json_pack("{s:s, s:o}", "uri", uri, "diagnostics", diags));
    free(uri);
}

json_t *srv__did_change_watched_files(struct server *srv, json_t *params, struct srv_err *err)
{
    json_t *changes = json_object_get(params, "changes");
    if (!json_is_array(changes)) {
        srv_err_set(err, RPC_INVALID_PARAMS, "didChangeWatchedFiles needs a 'changes' array");
        return NULL;
    }
    struct srv_config *c = config_of(srv);
    bool any = false;
    size_t i;
    json_t *ch;
    json_array_foreach(changes, i, ch)
    {
        const char *uri = json_string_value(json_object_get(ch, "uri"));
        char *path = uri ? doc_uri_to_path(uri) : NULL;
        if (path == NULL)
            continue;
        const char *base = strrchr(path, '/');
        if (base != NULL && strcmp(base + 1, "pyproject.toml") == 0) {
            char *real = realpath(path, NULL);
            if (real == NULL) { /* deleted: its folder may still be real */
                char *dir = xstrndup(path, (size_t)(base - path));
                char *rd = realpath(dir[0] ? dir : "/", NULL);
                real = rd ? xasprintf("%s/pyproject.toml", strcmp(rd, "/") ? rd : "") : NULL;
                free(rd);
                free(dir);
            }
            struct cfg_file *f = cfg_store_reload(&c->store, real ? real : path);
            publish_problems(srv, f);
            free(real);
            any = true;
        }
        free(path);
    }
    if (any) {
        reanalyse_all(srv);
        refresh_pull(srv);
    }
    return NULL;
}

/* The workspace folder holding `path` (the deepest), or NULL. */
static const char *root_of(const struct srv_config *c, const char *path)
{
    const char *best = NULL;
    for (size_t i = 0; i < c->n_roots; i++) {
        if (relative_to(path, c->roots[i]) != NULL &&
            (best == NULL || strlen(c->roots[i]) > strlen(best)))
            best = c->roots[i];
    }
    return best;
}

void srv__doc_config(struct server *srv, const struct doc *doc, struct cfg_resolved *out)
{
    struct srv_config *c = config_of(srv);
    struct cfg_file *f = NULL;
    char *real = doc->path ? realpath(doc->path, NULL) : NULL;
    const char *path = real != NULL ? real : doc->path;
    const char *root = path ? root_of(c, path) : NULL;
    if (path != NULL && path[0] == '/') {
        f = cfg_store_find(&c->store, path, root);
        publish_problems(srv, f);
    }
    cfg_resolve(f ? f->good : NULL, f ? f->dir : NULL, c->editor, root, path ? path : "", out);
    free(real);
}

/* ---- the quick-fix "Ignore CODE on this line" -------------------------- */

/* The comment starting on [ls, le) of the document, or false. */
static bool line_comment(const struct doc *doc, uint32_t ls, uint32_t le, uint32_t *cs)
{
    if (doc->tree == NULL)
        return false;
    TSNode root = ts_tree_root_node(doc->tree);
    const char *hash = memchr(doc->text + ls, '#', le - ls);
    while (hash != NULL) {
        uint32_t at = (uint32_t)(hash - doc->text);
        TSNode n = ts_node_descendant_for_byte_range(root, at, at + 1);
        if (strcmp(ts_node_type(n), "comment") == 0) {
            *cs = at;
            return true;
        }
        hash = memchr(hash + 1, '#', le - at - 1);
    }
    return false;
}

/* The edit that makes line `line` ignore `code`: extend its "# noqa:
 * CODES" or append "  # noqa: CODE". False when no comment can go there
 * (the line ends inside a string or continues with a backslash). */
static bool noqa_edit(const struct doc *doc, uint32_t line, const char *code, uint32_t *start,
                      uint32_t *end, char **text)
{
    if (line >= doc->lines.n || doc->tree == NULL)
        return false;
    uint32_t ls = doc->lines.starts[line];
    uint32_t le = line + 1 < doc->lines.n ? doc->lines.starts[line + 1] : (uint32_t)doc->len;
    while (le > ls && (doc->text[le - 1] == '\n' || doc->text[le - 1] == '\r'))
        le--;
    uint32_t ce = le; /* end of the line's content */
    while (ce > ls && (doc->text[ce - 1] == ' ' || doc->text[ce - 1] == '\t'))
        ce--;
    uint32_t cs;
    bool has_comment = line_comment(doc, ls, le, &cs);
    if (!has_comment) {
        if (ce > ls && doc->text[ce - 1] == '\\')
            return false;
        TSNode root = ts_tree_root_node(doc->tree);
        uint32_t at = ce > ls ? ce - 1 : ls;
        for (TSNode n = ts_node_descendant_for_byte_range(root, at, at); !ts_node_is_null(n);
             n = ts_node_parent(n)) {
            const char *t = ts_node_type(n);
            if ((strcmp(t, "string") == 0 || strcmp(t, "string_content") == 0 ||
                 strcmp(t, "concatenated_string") == 0) &&
                ts_node_end_byte(n) > le)
                return false; /* the line ends inside a multi-line string */
        }
        *start = ce;
        *end = le;
        *text = xasprintf("%s# noqa: %s", ce > ls ? "  " : "", code);
        return true;
    }
    /* An existing "# noqa: A, B": add the code after the last one. */
    const char *c = doc->text + cs, *stop = doc->text + le;
    for (const char *h = c; h != NULL && h < stop; h = memchr(h + 1, '#', (size_t)(stop - h - 1))) {
        const char *p = h + 1;
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        if (stop - p < 4 || strncasecmp(p, "noqa", 4) != 0)
            continue;
        p += 4;
        const char *q = p;
        while (q < stop && (*q == ' ' || *q == '\t'))
            q++;
        if (q >= stop || *q != ':')
            return false; /* a bare "# noqa" already ignores everything */
        q++;
        const char *last = NULL;
        for (;;) {
            while (q < stop && (*q == ' ' || *q == '\t' || *q == ','))
                q++;
            const char *w = q;
            while (q < stop && isalnum((unsigned char)*q))
                q++;
            if (q == w)
                break;
            last = q;
        }
        if (last == NULL)
            return false;
        *start = *end = (uint32_t)(last - doc->text);
        *text = xasprintf(", %s", code);
        return true;
    }
    /* A comment without noqa: append one after it. */
    *start = ce;
    *end = le;
    *text = xasprintf("  # noqa: %s", code);
    return true;
}

void srv__noqa_actions(struct server *srv, struct doc *doc, json_t *params, json_t *actions)
{
    json_t *context = json_object_get(params, "context");
    if (!json_is_array(actions) || !srv__kind_wanted(json_object_get(context, "only"), "quickfix"))
        return;
    size_t i;
    json_t *diag;
    json_array_foreach(json_object_get(context, "diagnostics"), i, diag)
    {
        const char *source = json_string_value(json_object_get(diag, "source"));
        const char *code = json_string_value(json_object_get(diag, "code"));
        json_t *line_j =
            json_object_get(json_object_get(json_object_get(diag, "range"), "start"), "line");
        if (source == NULL || strcmp(source, "margin") != 0 || code == NULL ||
            !json_is_integer(line_j) || json_integer_value(line_j) < 0)
            continue;
        uint32_t line = (uint32_t)json_integer_value(line_j);
        /* Only for a finding the document has now (the line is encoding-free). */
        bool current = false;
        for (size_t k = 0; k < doc->diags.n && !current; k++)
            current = strcmp(doc->diags.items[k].code, code) == 0 &&
                      pos_line_of(&doc->lines, doc->diags.items[k].start) == line;
        uint32_t s, e;
        char *text;
        if (!current || !noqa_edit(doc, line, code, &s, &e, &text))
            continue;
        json_t *edit = json_pack("{s:o, s:s}", "range", srv_range(srv, doc, s, e), "newText", text);
        json_t *changes = json_object();
        json_object_set_new(changes, doc->uri, json_pack("[o]", edit));
        char *title = xasprintf("Ignore %s on this line", code);
        json_array_append_new(actions, json_pack("{s:s, s:s, s:[O], s:{s:o}}", "title", title,
                                                 "kind", "quickfix", "diagnostics", diag, "edit",
                                                 "changes", changes));
        free(title);
        free(text);
    }
}
