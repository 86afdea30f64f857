/* D100-D107, D419, DOC101/DOC102/DOC104: missing, empty and stale
 * docstrings, with quick-fixes that write them.
 *
 * Missing (D1xx) and empty (D419) docstrings follow Ruff's pydocstyle rules:
 * which definitions are public comes from pyast.h (Ruff's visibility), the
 * dispatch between codes is Ruff's not_missing(), and D419 applies to every
 * definition with a single-part string docstring, public or not.
 *
 * Stale docstrings (pydoclint's codes): for a function whose docstring has an
 * argument section (Google "Args:", NumPy "Parameters" over dashes, Sphinx
 * ":param x:"), the parameters the signature has and the section does not
 * document (DOC101), the ones it documents that the signature no longer has
 * (DOC102), and, when both sets agree, a section that lists them in another
 * order (DOC104). All three offer one fix, which brings the section in line
 * with the signature: new entries for the missing parameters, the vanished
 * ones removed, the rest reordered, every word the author wrote kept.
 *
 * The D1xx quick-fix inserts a stub in the configured style (or the style
 * the file's docstrings already use, else Google): a summary derived from the
 * name, the parameters with their annotations, Returns or Yields when the
 * function returns or yields a value, and Raises listing the exception
 * classes the body raises itself. Stubs are quick-fixes only (safe = false):
 * a stub is a start, not documentation.
 *
 * Cost: one statement-level scan of the module (pyast), then per definition
 * its docstring's lines; bodies are scanned only for the stubs of
 * undocumented public functions, each body once, nested scopes excluded. */
#include "analyzer.h"
#include "index.h"
#include "mg.h"
#include "pyast.h"
#include "summary.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rules ----------------------------------------------------------------- */

static const struct an_rule rules[] = {
    {"D100", "undocumented-public-module", AN_INFO, "Missing docstring in public module", 0},
    {"D101", "undocumented-public-class", AN_INFO, "Missing docstring in public class", 0},
    {"D102", "undocumented-public-method", AN_INFO, "Missing docstring in public method", 0},
    {"D103", "undocumented-public-function", AN_INFO, "Missing docstring in public function", 0},
    {"D104", "undocumented-public-package", AN_INFO, "Missing docstring in public package", 0},
    {"D105", "undocumented-magic-method", AN_INFO, "Missing docstring in magic method", 0},
    {"D106", "undocumented-public-nested-class", AN_INFO,
     "Missing docstring in public nested class", 0},
    {"D107", "undocumented-public-init", AN_INFO, "Missing docstring in `__init__`", 0},
    {"D419", "empty-docstring", AN_WARNING, "Docstring is empty", 0},
    {"DOC101", "docstring-missing-parameter", AN_WARNING,
     "Docstring does not document parameter `x`", 0},
    {"DOC102", "docstring-extraneous-parameter", AN_WARNING,
     "Docstring documents `x`, which is not a parameter", 0},
    {"DOC104", "docstring-parameter-order", AN_WARNING,
     "Docstring documents the parameters in another order than the signature", 0},
};

static enum an_severity severity_of(const char *code)
{
    for (size_t i = 0; i < MG_ARRAY_LEN(rules); i++)
        if (strcmp(rules[i].code, code) == 0)
            return rules[i].severity;
    return AN_WARNING;
}

/* ---- one run ------------------------------------------------------------- */

struct ctx {
    const struct pdoc *doc;
    const struct an_opts *opts;
    struct diag_list *out;
    struct py_module m;
    enum an_doc_style style; /* AUTO until a stub needs it */
    const char *nl;          /* the file's newline: "\n" or "\r\n" */
    char unit[16];           /* one level of indentation, found on demand */
    bool unit_known;
    bool lazy_fixes; /* stubs are deferred (an_opts.lazy_fixes) */
    /* The escape analysis of this module, made for the first stub that
     * needs it (see stub_escapes). */
    bool esc_built;
    struct sum_module *esc_m;
    struct idx_view *esc_v;
};

static const char *T(const struct ctx *c)
{
    return c->doc->text;
}

/* ---- lines ------------------------------------------------------------------ */

static uint32_t line_start(const struct ctx *c, uint32_t off)
{
    while (off > 0 && T(c)[off - 1] != '\n')
        off--;
    return off;
}

/* The end of the line holding `off`: its '\r' or '\n', or the end of text. */
static uint32_t line_end(const struct ctx *c, uint32_t off)
{
    const char *t = T(c);
    size_t len = c->doc->len;
    while (off < len && t[off] != '\n')
        off++;
    if (off > 0 && off <= len && t[off - 1] == '\r' && (off == len || t[off] == '\n'))
        off--;
    return off;
}

/* The start of the line after the one holding `off` (or the end of text). */
static uint32_t next_line(const struct ctx *c, uint32_t off)
{
    const char *t = T(c);
    size_t len = c->doc->len;
    while (off < len && t[off] != '\n')
        off++;
    return off < len ? off + 1 : (uint32_t)len;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\f';
}

/* The end of the indentation of the line starting at `ls`. */
static uint32_t indent_end(const struct ctx *c, uint32_t ls)
{
    while (ls < c->doc->len && is_space(T(c)[ls]))
        ls++;
    return ls;
}

static bool blank_between(const struct ctx *c, uint32_t s, uint32_t e)
{
    for (uint32_t i = s; i < e; i++)
        if (!is_space(T(c)[i]) && T(c)[i] != '\r' && T(c)[i] != '\n' && T(c)[i] != '\v')
            return false;
    return true;
}

/* ---- emitting ------------------------------------------------------------- */

/* What stub_fix() gives under an_opts.lazy_fixes: stubs are the costly
 * fixes (hundreds of them in an undocumented module), built on demand. */
static struct an_fix deferred_fix_marker;
#define DEFERRED_FIX (&deferred_fix_marker)

/* Add a finding; takes `msg` and `fix` (may be NULL or DEFERRED_FIX) and frees them. A
 * "# noqa" on the line of `noqa_also` counts too when it is not -1. */
static void emit_noqa(struct ctx *c, const char *code, uint32_t start, uint32_t end, char *msg,
                      struct an_fix *fix, int64_t noqa_also)
{
    struct an_diag d = {0};
    if (noqa_also >= 0) {
        d.has_noqa_also = true;
        d.noqa_also = (uint32_t)noqa_also;
    }
    snprintf(d.code, sizeof(d.code), "%s", code);
    d.severity = severity_of(code);
    d.start = start;
    d.end = end;
    d.message = msg;
    if (fix == DEFERRED_FIX) {
        d.fixes_deferred = true;
        fix = NULL;
    } else if (fix != NULL) {
        d.fixes = fix;
        d.n_fixes = 1;
    }
    diag_list_add(c->out, &d);
    free(msg);
    if (fix != NULL) {
        for (size_t i = 0; i < fix->n_edits; i++)
            free(fix->edits[i].new_text);
        free(fix->edits);
        free(fix->title);
        free(fix);
    }
}

static void emit(struct ctx *c, const char *code, uint32_t start, uint32_t end, char *msg,
                 struct an_fix *fix)
{
    emit_noqa(c, code, start, end, msg, fix, -1);
}

/* A growable list of edits; merged and sorted into a fix at the end. */
struct edits {
    struct an_edit *v;
    size_t n, cap;
};

static void edits_add(struct edits *es, uint32_t s, uint32_t e, char *text)
{
    MG_GROW(es->v, es->cap, es->n + 1);
    es->v[es->n++] = (struct an_edit){.start = s, .end = e, .new_text = text};
}

static int edit_cmp(const void *a, const void *b)
{
    const struct an_edit *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    /* an insertion goes before a replacement starting at the same place */
    return (x->end > y->end) - (x->end < y->end);
}

/* Sort, then merge edits that touch (an insertion at the start or end of a
 * deletion, two insertions at one point) into one, so the fix's edits are
 * sorted and disjoint. Takes the edits. */
static struct an_fix *edits_to_fix(struct edits *es, char *title)
{
    qsort(es->v, es->n, sizeof(*es->v), edit_cmp);
    size_t k = 0;
    for (size_t i = 0; i < es->n; i++) {
        if (k > 0 && es->v[i].start <= es->v[k - 1].end) {
            struct an_edit *prev = &es->v[k - 1];
            char *joined = xasprintf("%s%s", prev->new_text, es->v[i].new_text);
            free(prev->new_text);
            free(es->v[i].new_text);
            prev->new_text = joined;
            if (es->v[i].end > prev->end)
                prev->end = es->v[i].end;
            continue;
        }
        es->v[k++] = es->v[i];
    }
    struct an_fix *fix = xcalloc(1, sizeof(*fix));
    fix->title = title;
    fix->edits = es->v;
    fix->n_edits = k;
    fix->safe = false;
    es->v = NULL;
    es->n = es->cap = 0;
    return fix;
}

static void edits_release(struct edits *es)
{
    for (size_t i = 0; i < es->n; i++)
        free(es->v[i].new_text);
    free(es->v);
    memset(es, 0, sizeof(*es));
}

/* ---- names to summaries ----------------------------------------------------- */

static bool is_upper(char ch)
{
    return ch >= 'A' && ch <= 'Z';
}

static bool is_lower_or_digit(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Summaries of common dunders, in the words of CPython's own slot docs. */
static const char *const dunder_summaries[][2] = {
    {"__init__", "Initialize self."},
    {"__new__", "Create and return a new object."},
    {"__call__", "Call self as a function."},
    {"__repr__", "Return repr(self)."},
    {"__str__", "Return str(self)."},
    {"__hash__", "Return hash(self)."},
    {"__len__", "Return len(self)."},
    {"__iter__", "Implement iter(self)."},
    {"__next__", "Implement next(self)."},
    {"__bool__", "Return True if self else False."},
    {"__eq__", "Return self==value."},
    {"__ne__", "Return self!=value."},
    {"__lt__", "Return self<value."},
    {"__le__", "Return self<=value."},
    {"__gt__", "Return self>value."},
    {"__ge__", "Return self>=value."},
    {"__contains__", "Return key in self."},
    {"__getitem__", "Return self[key]."},
    {"__setitem__", "Set self[key] to value."},
    {"__delitem__", "Delete self[key]."},
    {"__getattr__", "Return getattr(self, name)."},
    {"__setattr__", "Implement setattr(self, name, value)."},
    {"__delattr__", "Implement delattr(self, name)."},
    {"__enter__", "Enter the runtime context."},
    {"__exit__", "Exit the runtime context."},
    {"__aenter__", "Enter the asynchronous runtime context."},
    {"__aexit__", "Exit the asynchronous runtime context."},
    {"__aiter__", "Return an awaitable asynchronous iterator."},
    {"__anext__", "Return a value or raise StopAsyncIteration."},
    {"__await__", "Return an iterator to be used in await expression."},
    {"__del__", "Called when the instance is about to be destroyed."},
    {"__format__", "Return a formatted version of the object."},
    {"__add__", "Return self+value."},
    {"__sub__", "Return self-value."},
    {"__mul__", "Return self*value."},
    {"__post_init__", "Finish initializing self."},
};

/* A one-line summary from an identifier: "get_user_by_id" -> "Get user by
 * id.", "HTTPServerError" -> "HTTP server error." (camel case split for
 * classes and modules), acronyms kept, other words lowercased. */
static void summary_from_name(struct mg_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; py_name_is_magic(s, len) && i < MG_ARRAY_LEN(dunder_summaries); i++)
        if (strlen(dunder_summaries[i][0]) == len && memcmp(dunder_summaries[i][0], s, len) == 0) {
            mg_buf_adds(b, dunder_summaries[i][1]);
            return;
        }
    size_t words = 0, i = 0;
    while (i < len) {
        while (i < len && s[i] == '_')
            i++;
        if (i == len)
            break;
        size_t w = i;
        /* a word: up to '_' or a camel-case boundary */
        size_t j = i + 1;
        while (j < len && s[j] != '_') {
            bool boundary = (is_upper(s[j]) && is_lower_or_digit(s[j - 1])) ||
                            (is_upper(s[j]) && is_upper(s[j - 1]) && j + 1 < len &&
                             s[j + 1] >= 'a' && s[j + 1] <= 'z');
            if (boundary)
                break;
            j++;
        }
        bool acronym = j - w > 1;
        for (size_t k = w; k < j; k++)
            if (!is_upper(s[k]) && !(s[k] >= '0' && s[k] <= '9'))
                acronym = false;
        if (words++ > 0)
            mg_buf_adds(b, " ");
        for (size_t k = w; k < j; k++) {
            char ch = s[k];
            if (!acronym && is_upper(ch))
                ch = (char)(ch - 'A' + 'a');
            if (k == w && words == 1 && ch >= 'a' && ch <= 'z')
                ch = (char)(ch - 'a' + 'A');
            mg_buf_add(b, &ch, 1);
        }
        i = j;
    }
    if (words == 0)
        mg_buf_add(b, s, len);
    mg_buf_adds(b, ".");
}

/* ---- annotations -------------------------------------------------------- */

/* An annotation as one line: newlines and their indentation dropped next to
 * brackets, else one space; a trailing comma before a closing bracket
 * dropped; a quoted annotation unquoted. NULL when it holds a comment. */
static char *annotation_text(const struct ctx *c, TSNode ann)
{
    uint32_t len;
    const char *s = py_text(c->doc, ann, &len);
    if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0] &&
        memchr(s + 1, s[0], len - 2) == NULL && memchr(s, '\\', len) == NULL) {
        s++;
        len -= 2;
    }
    struct mg_buf b = {0};
    for (uint32_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '#') {
            mg_buf_release(&b);
            return NULL;
        }
        if (ch == '\\' && i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r'))
            continue;
        if (ch == '\n' || ch == '\r' || is_space(ch)) {
            uint32_t j = i;
            bool newline = false;
            while (j < len && (s[j] == '\n' || s[j] == '\r' || is_space(s[j]))) {
                newline |= s[j] == '\n';
                j++;
            }
            char prev = b.len > 0 ? b.data[b.len - 1] : '(';
            char next = j < len ? s[j] : ')';
            bool near_bracket = prev == '(' || prev == '[' || prev == '{' || next == ')' ||
                                next == ']' || next == '}';
            if (!(newline && near_bracket) && !(near_bracket && (prev == '(' || prev == '[')))
                mg_buf_adds(&b, " ");
            i = j - 1;
            continue;
        }
        if (ch == ')' || ch == ']' || ch == '}') {
            /* drop a trailing ", " before the bracket */
            while (b.len > 0 && (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == ','))
                b.len--;
        }
        mg_buf_add(&b, &ch, 1);
    }
    if (b.data == NULL)
        mg_buf_add(&b, "", 0);
    b.data[b.len] = '\0';
    return mg_buf_detach(&b, NULL);
}

/* For a generator's return annotation (Iterator[T], Generator[T, S, R],
 * AsyncIterator[T] ..., possibly qualified), the yield type T; else NULL. */
static char *yield_type(const char *ann)
{
    if (ann == NULL)
        return NULL;
    const char *open = strchr(ann, '[');
    if (open == NULL)
        return NULL;
    const char *base = open;
    while (base > ann && base[-1] != '.')
        base--;
    static const char *const gens[] = {"Iterator",      "Iterable",      "Generator",
                                       "AsyncIterator", "AsyncIterable", "AsyncGenerator"};
    bool ok = false;
    for (size_t i = 0; i < MG_ARRAY_LEN(gens); i++)
        if ((size_t)(open - base) == strlen(gens[i]) && memcmp(base, gens[i], open - base) == 0)
            ok = true;
    if (!ok)
        return NULL;
    int depth = 0;
    const char *p = open + 1;
    for (const char *q = p; *q; q++) {
        if (*q == '[' || *q == '(' || *q == '{')
            depth++;
        else if ((*q == ']' || *q == ')' || *q == '}') && depth > 0)
            depth--;
        else if ((*q == ',' || *q == ']') && depth == 0)
            return q > p ? xstrndup(p, (size_t)(q - p)) : NULL;
    }
    return NULL;
}

/* ---- what a body does -------------------------------------------------- */

struct body_facts {
    bool returns_value;
    bool yields;
    char **raises; /* dotted names, first appearance first */
    size_t n_raises, cap_raises;
};

static void facts_release(struct body_facts *f)
{
    for (size_t i = 0; i < f->n_raises; i++)
        free(f->raises[i]);
    free(f->raises);
    memset(f, 0, sizeof(*f));
}

/* Record the exception class `n` names: a dotted name whose last part starts
 * with a capital (`raise err` re-raises a variable: not a class we know). */
static void add_raise(const struct ctx *c, struct body_facts *f, TSNode n)
{
    if (py_is(n, "call"))
        n = ts_node_child_by_field_name(n, "function", 8);
    TSNode last = n;
    if (py_is(n, "attribute"))
        last = ts_node_child_by_field_name(n, "attribute", 9);
    else if (!py_is(n, "identifier"))
        return;
    TSNode head = n;
    for (int k = 0; k < 32 && py_is(head, "attribute"); k++)
        head = ts_node_child_by_field_name(head, "object", 6);
    if (!py_is(head, "identifier"))
        return;
    uint32_t llen;
    const char *l = py_text(c->doc, last, &llen);
    if (llen == 0 || !is_upper(l[0]))
        return;
    /* an abstract placeholder, not an exception callers handle */
    if (llen == 19 && memcmp(l, "NotImplementedError", 19) == 0)
        return;
    uint32_t len;
    const char *s = py_text(c->doc, n, &len);
    struct mg_buf b = {0};
    for (uint32_t i = 0; i < len; i++)
        if (!is_space(s[i]) && s[i] != '\n' && s[i] != '\r' && s[i] != '\\')
            mg_buf_add(&b, s + i, 1);
    if (b.data == NULL)
        return;
    char *name = mg_buf_detach(&b, NULL);
    for (size_t i = 0; i < f->n_raises; i++)
        if (strcmp(f->raises[i], name) == 0) {
            free(name);
            return;
        }
    MG_GROW(f->raises, f->cap_raises, f->n_raises + 1);
    f->raises[f->n_raises++] = name;
}

/* The exception classes an except clause catches, for a bare `raise` in it. */
static void add_caught(const struct ctx *c, struct body_facts *f, TSNode clause)
{
    TSNode v = ts_node_child_by_field_name(clause, "value", 5);
    if (ts_node_is_null(v)) {
        /* older grammars: the first named child before the block */
        TSNode first = ts_node_named_child(clause, 0);
        if (!py_is(first, "block"))
            v = first;
    }
    if (py_is(v, "as_pattern"))
        v = ts_node_named_child(v, 0);
    if (py_is(v, "list_splat")) /* except* E */
        v = ts_node_named_child(v, 0);
    if (py_is(v, "parenthesized_expression"))
        v = ts_node_named_child(v, 0);
    if (py_is(v, "tuple")) {
        for (uint32_t i = 0; i < ts_node_named_child_count(v); i++)
            add_raise(c, f, ts_node_named_child(v, i));
    } else if (!ts_node_is_null(v)) {
        add_raise(c, f, v);
    }
}

/* Grammar symbols the body scan tells apart, looked up in init (symbols
 * compare faster than type names). Read-only afterwards. */
enum {
    Y_RETURN,
    Y_YIELD,
    Y_RAISE,
    Y_EXCEPT,
    Y_EXCEPT_GROUP,
    Y_ERROR,
    Y_FIRST_SCOPE,                      /* nodes whose insides are another scope */
    Y_FIRST_HOLDER = Y_FIRST_SCOPE + 8, /* statements whose children may be statements */
    Y_COUNT = Y_FIRST_HOLDER + 13,
};

static const char *const sym_names[Y_COUNT] = {
    "return_statement",
    "yield",
    "raise_statement",
    "except_clause",
    "except_group_clause",
    "ERROR",
    "function_definition",
    "class_definition",
    "decorated_definition",
    "lambda",
    "generator_expression",
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "block",
    "if_statement",
    "elif_clause",
    "else_clause",
    "for_statement",
    "while_statement",
    "try_statement",
    "except_clause",
    "finally_clause",
    "except_group_clause",
    "with_statement",
    "match_statement",
    "case_clause",
};

static TSSymbol syms[Y_COUNT];

static int init(const TSLanguage *lang)
{
    for (int i = 0; i < Y_COUNT; i++)
        syms[i] = strcmp(sym_names[i], "ERROR") == 0
                      ? (TSSymbol)-1 /* ts_builtin_sym_error */
                      : ts_language_symbol_for_name(lang, sym_names[i],
                                                    (uint32_t)strlen(sym_names[i]), true);
    return 0;
}

static bool sym_in(TSSymbol s, int first, int last)
{
    for (int i = first; i < last; i++)
        if (s == syms[i])
            return true;
    return false;
}

/* What `body` returns, yields and raises itself (nested scopes excluded).
 * One cursor walk of the body, no recursion. `return` and `raise` are
 * statements, so the walk stays among statements; only a body whose text
 * mentions "yield" is walked through its expressions too. */
static void scan_body(const struct ctx *c, TSNode body, struct body_facts *f)
{
    memset(f, 0, sizeof(*f));
    if (ts_node_is_null(body))
        return;
    uint32_t bs = ts_node_start_byte(body), be = ts_node_end_byte(body);
    if (be > c->doc->len)
        return;
    bool expressions = memmem(T(c) + bs, be - bs, "yield", 5) != NULL;
    if (!expressions && memmem(T(c) + bs, be - bs, "return", 6) == NULL &&
        memmem(T(c) + bs, be - bs, "raise", 5) == NULL)
        return; /* nothing to find */
    struct {
        TSNode clause;
        uint32_t depth;
    } *ex = NULL;
    size_t n_ex = 0, cap_ex = 0;
    TSTreeCursor cur = ts_tree_cursor_new(body);
    uint32_t depth = 0;
    for (;;) {
        while (n_ex > 0 && ex[n_ex - 1].depth >= depth)
            n_ex--;
        TSNode n = ts_tree_cursor_current_node(&cur);
        TSSymbol t = ts_node_symbol(n);
        bool descend = ts_node_is_named(n) && !sym_in(t, Y_FIRST_SCOPE, Y_FIRST_HOLDER) &&
                       t != syms[Y_ERROR] &&
                       (expressions || depth == 0 || sym_in(t, Y_FIRST_HOLDER, Y_COUNT));
        if (t == syms[Y_RETURN]) {
            TSNode v = ts_node_named_child(n, 0);
            if (!ts_node_is_null(v) && !py_is(v, "none") && !py_is(v, "comment"))
                f->returns_value = true;
        } else if (t == syms[Y_YIELD]) {
            f->yields = true;
        } else if (t == syms[Y_EXCEPT] || t == syms[Y_EXCEPT_GROUP]) {
            MG_GROW(ex, cap_ex, n_ex + 1);
            ex[n_ex].clause = n;
            ex[n_ex++].depth = depth;
        } else if (t == syms[Y_RAISE]) {
            TSNode v = ts_node_named_child(n, 0);
            if (ts_node_is_null(v) || py_is(v, "comment")) {
                if (n_ex > 0)
                    add_caught(c, f, ex[n_ex - 1].clause);
            } else {
                add_raise(c, f, v);
            }
            descend = false;
        }
        if (descend && ts_tree_cursor_goto_first_child(&cur)) {
            depth++;
            continue;
        }
        bool done = false;
        while (!ts_tree_cursor_goto_next_sibling(&cur)) {
            if (depth == 0 || !ts_tree_cursor_goto_parent(&cur)) {
                done = true;
                break;
            }
            depth--;
        }
        if (done || depth == 0)
            break;
    }
    ts_tree_cursor_delete(&cur);
    free(ex);
}

/* Add to f->raises what may escape the function at `def` through the calls
 * in its body (the escape analysis: workspace-wide with an index, else
 * within this file), named by class as docstrings name them. */
static void stub_escapes(struct ctx *c, TSNode def, struct body_facts *f)
{
    if (!c->esc_built) {
        c->esc_built = true;
        const struct pdoc *d = c->doc;
        const struct sum_module *im = d->index && d->path ? idx_module_at(d->index, d->path) : NULL;
        c->esc_m = sum_build(d, im ? im->name : "__main__", im ? im->is_package : false);
        c->esc_v = idx_view_new(d->index, c->esc_m);
    }
    uint32_t at = ts_node_start_byte(def);
    for (size_t i = 0; i < c->esc_m->n_funcs; i++) {
        if (c->esc_m->funcs[i].def_start != at)
            continue;
        for (size_t k = 0; k < idx_view_n_escapes(c->esc_v, i); k++) {
            const char *q = idx_view_escape(c->esc_v, i, k);
            const char *dot = strrchr(q, '.');
            const char *name = dot ? dot + 1 : q;
            bool dup = false;
            for (size_t j = 0; j < f->n_raises && !dup; j++) {
                const char *r = strrchr(f->raises[j], '.');
                dup = strcmp(r ? r + 1 : f->raises[j], name) == 0;
            }
            /* an abstract placeholder, not an exception callers handle */
            if (dup || strcmp(name, "NotImplementedError") == 0)
                continue;
            MG_GROW(f->raises, f->cap_raises, f->n_raises + 1);
            f->raises[f->n_raises++] = xstrdup(name);
        }
        break;
    }
}

/* ---- style ------------------------------------------------------------ */

static bool ieq(const char *s, size_t len, const char *w)
{
    size_t n = strlen(w);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = s[i], b = w[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

static bool in_list(const char *s, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ieq(s, len, list[i]))
            return true;
    return false;
}

/* Section names (lowercase). Argument sections first in each list. */
static const char *const google_arg_sections[] = {
    "args",         "arguments",         "parameters", "params",
    "keyword args", "keyword arguments", "other args", "other arguments",
    "other params", "other parameters",  "kwargs",
};
static const char *const google_sections[] = {
    "returns", "return", "raises", "yields", "yield", "attributes", "examples",
    "example", "note",   "notes",  "todo",   "warns", "see also",
};
static const char *const numpy_arg_sections[] = {
    "parameters",
    "other parameters",
};
static const char *const numpy_sections[] = {
    "returns", "yields",   "receives",   "raises",     "warns",   "warnings",   "see also",
    "notes",   "examples", "references", "attributes", "methods", "parameters", "other parameters",
};

/* Whether [s, e) is a NumPy underline: dashes only. */
static bool is_underline(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '-')
            return false;
    return true;
}

/* ---- docstring lines ----------------------------------------------------- */

struct dline {
    uint32_t start, end; /* the line, without its newline */
    uint32_t text;       /* its first non-blank byte (== end when blank) */
    uint32_t tend;       /* the end of its text, trailing blanks excluded */
    int indent;          /* columns, tabs to multiples of 8 */
};

struct dlines {
    struct dline *v;
    size_t n, cap;
    uint32_t cs, ce; /* the docstring's contents */
};

static void split_lines(const struct ctx *c, uint32_t cs, uint32_t ce, struct dlines *L)
{
    memset(L, 0, sizeof(*L));
    L->cs = cs;
    L->ce = ce;
    const char *t = T(c);
    uint32_t i = cs;
    for (;;) {
        uint32_t e = i;
        while (e < ce && t[e] != '\n')
            e++;
        uint32_t end = (e > i && t[e - 1] == '\r') ? e - 1 : e;
        struct dline d = {.start = i, .end = end};
        int col = 0;
        uint32_t k = i;
        while (k < end && is_space(t[k])) {
            col = t[k] == '\t' ? (col / 8 + 1) * 8 : col + 1;
            k++;
        }
        d.text = k;
        d.indent = col;
        uint32_t te = end;
        while (te > k && is_space(t[te - 1]))
            te--;
        d.tend = te;
        MG_GROW(L->v, L->cap, L->n + 1);
        L->v[L->n++] = d;
        if (e >= ce)
            break;
        i = e + 1;
    }
}

static bool dblank(const struct dline *d)
{
    return d->text == d->tend;
}

/* The start of the line after line i (the contents end for the last). */
static uint32_t after_dline(const struct dlines *L, size_t i)
{
    return i + 1 < L->n ? L->v[i + 1].start : L->ce;
}

/* ---- argument sections ---------------------------------------------------- */

enum sec_kind { SEC_GOOGLE, SEC_NUMPY, SEC_SPHINX };

struct dname {
    uint32_t s, e; /* the name as written, stars included */
    uint32_t ns;   /* the name without its stars */
};

struct entry {
    size_t first, last; /* lines */
    size_t type_first;  /* Sphinx: the ":type x:" field's lines, else SIZE_MAX */
    size_t type_last;
    size_t name0, n_names;     /* into args.names */
    uint32_t names_s, names_e; /* NumPy: the "x, y" part of the line */
    int sig; /* the signature index of its first name that is a parameter, else -1 */
};

struct section {
    enum sec_kind kind;
    size_t header, content; /* header line; first line after the header (and dashes) */
    size_t end;             /* one past its last line */
    size_t e0, n_entries;   /* into args.entries */
    int indent;             /* the header's (Sphinx: the first field's) */
};

struct args {
    bool open_kwargs; /* the function takes **kwargs: any name may be a keyword */
    struct dlines L;
    struct section *secs;
    size_t n_secs, cap_secs;
    struct entry *entries;
    size_t n_entries, cap_entries;
    struct dname *names;
    size_t n_names, cap_names;
};

static void args_release(struct args *a)
{
    free(a->L.v);
    free(a->secs);
    free(a->entries);
    free(a->names);
    memset(a, 0, sizeof(*a));
}

static bool ident_byte(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || (unsigned char)ch >= 0x80;
}

/* An identifier with up to two leading stars at t[i]; its end, or i. */
static uint32_t scan_name(const char *t, uint32_t i, uint32_t end)
{
    uint32_t k = i;
    while (k < end && k - i < 2 && t[k] == '*')
        k++;
    if (k >= end || !ident_byte(t[k]) || (t[k] >= '0' && t[k] <= '9'))
        return i;
    while (k < end && ident_byte(t[k]))
        k++;
    return k;
}

static void add_name(struct args *a, const char *t, uint32_t s, uint32_t e)
{
    MG_GROW(a->names, a->cap_names, a->n_names + 1);
    uint32_t ns = s;
    while (ns < e && t[ns] == '*')
        ns++;
    a->names[a->n_names++] = (struct dname){.s = s, .e = e, .ns = ns};
}

/* A Google entry line: `name (type): ...` or `name: ...`. Returns whether
 * it is one, adding the name. */
static bool google_entry(struct args *a, const char *t, const struct dline *d)
{
    uint32_t e = scan_name(t, d->text, d->tend);
    if (e == d->text)
        return false;
    uint32_t k = e;
    while (k < d->tend && is_space(t[k]))
        k++;
    if (k < d->tend && t[k] == '(') {
        int depth = 0;
        for (; k < d->tend; k++) {
            if (t[k] == '(')
                depth++;
            else if (t[k] == ')' && --depth == 0)
                break;
        }
        if (k >= d->tend)
            return false;
        k++;
        while (k < d->tend && is_space(t[k]))
            k++;
    }
    if (k >= d->tend || t[k] != ':')
        return false;
    add_name(a, t, d->text, e);
    return true;
}

/* A NumPy entry line: `x`, `x : int`, `x, y : int`, `*args`. */
static bool numpy_entry(struct args *a, const char *t, const struct dline *d, uint32_t *names_e)
{
    uint32_t stop = d->tend;
    for (uint32_t k = d->text; k < d->tend; k++)
        if (t[k] == ':') {
            stop = k;
            break;
        }
    while (stop > d->text && is_space(t[stop - 1]))
        stop--;
    size_t before = a->n_names;
    uint32_t k = d->text;
    for (;;) {
        uint32_t e = scan_name(t, k, stop);
        if (e == k) {
            a->n_names = before;
            return false;
        }
        add_name(a, t, k, e);
        k = e;
        while (k < stop && is_space(t[k]))
            k++;
        if (k == stop)
            break;
        if (t[k] != ',') {
            a->n_names = before;
            return false;
        }
        k++;
        while (k < stop && is_space(t[k]))
            k++;
    }
    *names_e = stop;
    return true;
}

static const char *const sphinx_param_fields[] = {"param",    "parameter", "arg",
                                                  "argument", "key",       "keyword"};

/* A Sphinx field line ":param [type] name: ...". Sets *is_type for ":type
 * name:". Returns whether it is one, with the name's range. */
static bool sphinx_field(const char *t, const struct dline *d, bool *is_type, uint32_t *ns,
                         uint32_t *ne)
{
    uint32_t k = d->text;
    if (k >= d->tend || t[k] != ':')
        return false;
    uint32_t w = ++k;
    while (k < d->tend && ((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z')))
        k++;
    bool param = in_list(t + w, k - w, sphinx_param_fields, MG_ARRAY_LEN(sphinx_param_fields));
    *is_type = ieq(t + w, k - w, "type");
    if ((!param && !*is_type) || k >= d->tend || !is_space(t[k]))
        return false;
    /* the field's closing ':' */
    uint32_t close = k;
    while (close < d->tend && t[close] != ':')
        close++;
    if (close >= d->tend)
        return false;
    uint32_t e = close;
    while (e > k && is_space(t[e - 1]))
        e--;
    uint32_t s = e;
    while (s > k && !is_space(t[s - 1]))
        s--;
    if (s == e || scan_name(t, s, e) != e)
        return false;
    *ns = s;
    *ne = e;
    return true;
}

static void add_section(struct args *a, enum sec_kind kind, size_t header, size_t content,
                        int indent)
{
    MG_GROW(a->secs, a->cap_secs, a->n_secs + 1);
    a->secs[a->n_secs++] = (struct section){
        .kind = kind, .header = header, .content = content, .indent = indent, .e0 = a->n_entries};
}

static struct entry *new_entry(struct args *a, size_t line)
{
    MG_GROW(a->entries, a->cap_entries, a->n_entries + 1);
    struct entry *en = &a->entries[a->n_entries++];
    *en = (struct entry){.first = line,
                         .last = line,
                         .type_first = SIZE_MAX,
                         .type_last = SIZE_MAX,
                         .name0 = a->n_names,
                         .sig = -1};
    a->secs[a->n_secs - 1].n_entries++;
    return en;
}

/* Forget the section just added: it holds no entries we can read (free
 * text under an "Arguments:" header is the author's own layout, not a list
 * to compare). */
static void drop_section(struct args *a, size_t names0, size_t entries0)
{
    a->n_names = names0;
    a->n_entries = entries0;
    a->n_secs--;
}

/* Whether line i starts a NumPy section (a header over an underline). */
static bool numpy_header_at(const char *t, const struct dlines *L, size_t i, bool args_only)
{
    if (i + 1 >= L->n || dblank(&L->v[i]))
        return false;
    const struct dline *d = &L->v[i], *u = &L->v[i + 1];
    if (!is_underline(t + u->text, u->tend - u->text))
        return false;
    size_t len = d->tend - d->text;
    return args_only
               ? in_list(t + d->text, len, numpy_arg_sections, MG_ARRAY_LEN(numpy_arg_sections))
               : in_list(t + d->text, len, numpy_sections, MG_ARRAY_LEN(numpy_sections));
}

/* Whether line i is a Google section header: a known name and a colon. */
static bool google_header_at(const char *t, const struct dline *d, bool args_only)
{
    size_t len = d->tend - d->text;
    if (len < 2 || t[d->tend - 1] != ':')
        return false;
    const char *s = t + d->text;
    if (args_only)
        return in_list(s, len - 1, google_arg_sections, MG_ARRAY_LEN(google_arg_sections));
    return in_list(s, len - 1, google_arg_sections, MG_ARRAY_LEN(google_arg_sections)) ||
           in_list(s, len - 1, google_sections, MG_ARRAY_LEN(google_sections));
}

/* Find the argument sections of the docstring whose contents are [cs, ce). */
static void parse_args(const struct ctx *c, uint32_t cs, uint32_t ce, struct args *a)
{
    memset(a, 0, sizeof(*a));
    split_lines(c, cs, ce, &a->L);
    const char *t = T(c);
    const struct dlines *L = &a->L;
    bool sphinx_open = false;
    /* Line 0 follows the opening quotes: the summary, never a section. */
    size_t i = 1;
    while (i < L->n) {
        const struct dline *d = &L->v[i];
        if (dblank(d)) {
            i++;
            continue;
        }
        if (numpy_header_at(t, L, i, true)) {
            size_t names0 = a->n_names, entries0 = a->n_entries;
            add_section(a, SEC_NUMPY, i, i + 2, d->indent);
            size_t j = i + 2;
            struct entry *cur = NULL;
            while (j < L->n) {
                const struct dline *x = &L->v[j];
                if (dblank(x)) {
                    j++;
                    continue;
                }
                if (x->indent < d->indent || numpy_header_at(t, L, j, false) ||
                    google_header_at(t, x, false))
                    break;
                if (x->indent == d->indent) {
                    uint32_t ne;
                    size_t before = a->n_names;
                    if (!numpy_entry(a, t, x, &ne))
                        break; /* prose at the section's level ends it */
                    a->n_names = before;
                    cur = new_entry(a, j);
                    numpy_entry(a, t, x, &ne);
                    cur->n_names = a->n_names - cur->name0;
                    cur->names_s = x->text;
                    cur->names_e = ne;
                } else if (cur != NULL) {
                    cur->last = j;
                }
                j++;
            }
            a->secs[a->n_secs - 1].end = cur ? cur->last + 1 : i + 2;
            if (cur == NULL)
                drop_section(a, names0, entries0);
            i = j;
            continue;
        }
        if (google_header_at(t, d, true)) {
            size_t names0 = a->n_names, entries0 = a->n_entries;
            add_section(a, SEC_GOOGLE, i, i + 1, d->indent);
            size_t j = i + 1;
            int entry_indent = -1;
            bool freeform = false;
            struct entry *cur = NULL;
            while (j < L->n) {
                const struct dline *x = &L->v[j];
                if (dblank(x)) {
                    j++;
                    continue;
                }
                if (x->indent <= d->indent)
                    break;
                if (entry_indent < 0)
                    entry_indent = x->indent;
                size_t before = a->n_names;
                if (x->indent <= entry_indent && google_entry(a, t, x)) {
                    a->n_names = before;
                    cur = new_entry(a, j);
                    google_entry(a, t, x);
                    cur->n_names = 1;
                } else if (x->indent <= entry_indent) {
                    freeform = true; /* "x -- text": not Google's entries */
                } else if (cur != NULL) {
                    cur->last = j;
                }
                j++;
            }
            a->secs[a->n_secs - 1].end = cur ? cur->last + 1 : i + 1;
            if (freeform || cur == NULL)
                drop_section(a, names0, entries0);
            i = j;
            continue;
        }
        bool is_type;
        uint32_t ns, ne;
        if (sphinx_field(t, d, &is_type, &ns, &ne)) {
            /* the block: the field and its more-indented continuation lines */
            size_t last = i;
            for (size_t j = i + 1; j < L->n; j++) {
                if (dblank(&L->v[j]) || L->v[j].indent <= d->indent)
                    break;
                last = j;
            }
            if (!is_type) {
                if (!sphinx_open) {
                    add_section(a, SEC_SPHINX, i, i, d->indent);
                    sphinx_open = true;
                }
                struct entry *en = new_entry(a, i);
                en->last = last;
                add_name(a, t, ns, ne);
                en->n_names = 1;
                a->secs[a->n_secs - 1].end = last + 1;
            }
            i = last + 1;
            continue;
        }
        i++;
    }
    /* Sphinx: attach each ":type x:" field to the ":param x:" entry. */
    for (size_t k = 1; k < L->n; k++) {
        bool is_type;
        uint32_t ns, ne;
        if (!sphinx_field(t, &L->v[k], &is_type, &ns, &ne) || !is_type)
            continue;
        size_t last = k;
        for (size_t j = k + 1; j < L->n; j++) {
            if (dblank(&L->v[j]) || L->v[j].indent <= L->v[k].indent)
                break;
            last = j;
        }
        for (size_t s = 0; s < a->n_secs; s++) {
            if (a->secs[s].kind != SEC_SPHINX)
                continue;
            for (size_t e = a->secs[s].e0; e < a->secs[s].e0 + a->secs[s].n_entries; e++) {
                struct dname *nm = &a->names[a->entries[e].name0];
                if (nm->e - nm->ns == ne - ns && memcmp(t + nm->ns, t + ns, ne - ns) == 0 &&
                    a->entries[e].type_first == SIZE_MAX) {
                    a->entries[e].type_first = k;
                    a->entries[e].type_last = last;
                    if (last + 1 > a->secs[s].end)
                        a->secs[s].end = last + 1;
                }
            }
        }
    }
}

/* ---- style detection --------------------------------------------------- */

/* Which styles the docstring [cs, ce) shows, as bits (1 << style). */
static unsigned styles_of(const struct ctx *c, uint32_t cs, uint32_t ce)
{
    if (memchr(T(c) + cs, '\n', ce - cs) == NULL)
        return 0; /* one line: no sections */
    struct dlines L;
    split_lines(c, cs, ce, &L);
    const char *t = T(c);
    unsigned bits = 0;
    for (size_t i = 1; i < L.n; i++) {
        const struct dline *d = &L.v[i];
        if (dblank(d))
            continue;
        if (numpy_header_at(t, &L, i, false))
            bits |= 1u << AN_DOC_STYLE_NUMPY;
        else if (google_header_at(t, d, false))
            bits |= 1u << AN_DOC_STYLE_GOOGLE;
        else if (t[d->text] == ':') {
            static const char *const fields[] = {":param ", ":type ",   ":returns:", ":return:",
                                                 ":rtype:", ":raises ", ":yields:",  ":keyword "};
            for (size_t k = 0; k < MG_ARRAY_LEN(fields); k++)
                if (d->tend - d->text >= strlen(fields[k]) &&
                    memcmp(t + d->text, fields[k], strlen(fields[k])) == 0)
                    bits |= 1u << AN_DOC_STYLE_SPHINX;
        }
    }
    free(L.v);
    return bits;
}

static void docstring_range(const struct ctx *c, TSNode body, uint32_t *cs, uint32_t *ce, bool *ok)
{
    TSNode ds = py_docstring(c->doc, body);
    *ok = py_is(ds, "string") && py_string_contents(c->doc, ds, cs, ce, NULL);
}

static enum an_doc_style resolve_style(struct ctx *c)
{
    if (c->style != AN_DOC_STYLE_AUTO)
        return c->style;
    size_t votes[4] = {0};
    uint32_t cs, ce;
    bool ok;
    docstring_range(c, ts_tree_root_node(c->doc->tree), &cs, &ce, &ok);
    if (ok) {
        unsigned b = styles_of(c, cs, ce);
        for (int s = 1; s < 4; s++)
            votes[s] += (b >> s) & 1u;
    }
    for (size_t i = 0; i < c->m.n_defs; i++) {
        docstring_range(c, c->m.defs[i].body, &cs, &ce, &ok);
        if (!ok)
            continue;
        unsigned b = styles_of(c, cs, ce);
        for (int s = 1; s < 4; s++)
            votes[s] += (b >> s) & 1u;
    }
    enum an_doc_style best = AN_DOC_STYLE_GOOGLE;
    if (votes[AN_DOC_STYLE_NUMPY] > votes[best])
        best = AN_DOC_STYLE_NUMPY;
    if (votes[AN_DOC_STYLE_SPHINX] > votes[best])
        best = AN_DOC_STYLE_SPHINX;
    c->style = best;
    return best;
}

static const char *style_name(enum an_doc_style s)
{
    switch (s) {
    case AN_DOC_STYLE_NUMPY:
        return "NumPy";
    case AN_DOC_STYLE_SPHINX:
        return "Sphinx";
    default:
        return "Google";
    }
}

/* ---- indentation ---------------------------------------------------------- */

/* The whitespace before the first non-blank byte of the line holding `off`. */
static void line_indent(const struct ctx *c, uint32_t off, struct mg_buf *b)
{
    uint32_t ls = line_start(c, off);
    mg_buf_add(b, T(c) + ls, indent_end(c, ls) - ls);
    if (b->data == NULL)
        mg_buf_add(b, "", 0);
}

/* The first statement of a block, comments aside (a null node if none). */
static TSNode first_statement(TSNode block)
{
    TSNode none = {0};
    if (ts_node_is_null(block))
        return none;
    uint32_t n = ts_node_named_child_count(block);
    for (uint32_t i = 0; i < n; i++) {
        TSNode s = ts_node_named_child(block, i);
        if (!py_is(s, "comment"))
            return s;
    }
    return none;
}

/* One level of indentation: what the first block laid out on its own lines
 * adds to its header's indentation; four spaces when no block shows it. */
static const char *indent_unit(struct ctx *c)
{
    if (c->unit_known)
        return c->unit;
    c->unit_known = true;
    strcpy(c->unit, "    ");
    for (size_t i = 0; i < c->m.n_defs; i++) {
        const struct py_def *d = &c->m.defs[i];
        TSNode s = first_statement(d->body);
        if (ts_node_is_null(s))
            continue;
        uint32_t hs = line_start(c, ts_node_start_byte(d->node));
        uint32_t bs = line_start(c, ts_node_start_byte(s));
        if (bs == hs || indent_end(c, bs) != ts_node_start_byte(s))
            continue;
        uint32_t hi = indent_end(c, hs) - hs, bi = indent_end(c, bs) - bs;
        if (bi <= hi || memcmp(T(c) + hs, T(c) + bs, hi) != 0 || bi - hi >= sizeof(c->unit))
            continue;
        memcpy(c->unit, T(c) + bs + hi, bi - hi);
        c->unit[bi - hi] = '\0';
        break;
    }
    return c->unit;
}

/* ---- stubs ---------------------------------------------------------------- */

/* Lines of a docstring under construction (without indentation). */
struct slines {
    char **v;
    size_t n, cap;
};

static void sl_addf(struct slines *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sl_addf(struct slines *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    MG_GROW(s->v, s->cap, s->n + 1);
    s->v[s->n++] = xvasprintf(fmt, ap);
    va_end(ap);
}

static void sl_release(struct slines *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* The text of a parameter entry as written in `style` (one or two lines
 * for Sphinx), for a parameter called `name` (stars included) with the
 * annotation `ann` (may be NULL). `sub` is the indentation Google adds. */
static void entry_lines(struct slines *s, enum an_doc_style style, const char *name,
                        const char *ann, const char *sub)
{
    const char *bare = name;
    while (*bare == '*')
        bare++;
    switch (style) {
    case AN_DOC_STYLE_NUMPY:
        if (ann)
            sl_addf(s, "%s : %s", name, ann);
        else
            sl_addf(s, "%s", name);
        break;
    case AN_DOC_STYLE_SPHINX:
        sl_addf(s, ":param %s:", bare);
        if (ann)
            sl_addf(s, ":type %s: %s", bare, ann);
        break;
    default:
        if (ann)
            sl_addf(s, "%s%s (%s):", sub, name, ann);
        else
            sl_addf(s, "%s%s:", sub, name);
        break;
    }
}

/* A parameter's name with its stars, "*args" */
static char *param_display_name(const struct ctx *c, const struct py_param *p)
{
    uint32_t len;
    const char *s = py_text(c->doc, p->name, &len);
    const char *stars = p->kind == PY_PARAM_VARARGS ? "*" : p->kind == PY_PARAM_KWARGS ? "**" : "";
    return xasprintf("%s%.*s", stars, (int)len, s);
}

static bool is_none_annotation(const char *a)
{
    static const char *const none[] = {"None",
                                       "NoReturn",
                                       "Never",
                                       "typing.NoReturn",
                                       "typing.Never",
                                       "typing_extensions.Never",
                                       "typing_extensions.NoReturn"};
    for (size_t i = 0; i < MG_ARRAY_LEN(none); i++)
        if (strcmp(a, none[i]) == 0)
            return true;
    return false;
}

/* The stub's lines for definition `d` (NULL: the module), unindented. */
static void stub_lines(struct ctx *c, const struct py_def *d, struct slines *s)
{
    enum an_doc_style style = resolve_style(c);
    struct mg_buf sum = {0};
    if (d == NULL) {
        /* the module: its file's stem, or its package's folder */
        const char *p = c->doc->path ? c->doc->path : c->doc->uri;
        size_t len = p ? strlen(p) : 0;
        size_t e = len;
        while (e > 0 && (p[e - 1] == '/' || p[e - 1] == '\\'))
            e--;
        size_t b = e;
        while (b > 0 && p[b - 1] != '/' && p[b - 1] != '\\')
            b--;
        if (c->m.is_package && b > 0) {
            e = b - 1;
            b = e;
            while (b > 0 && p[b - 1] != '/' && p[b - 1] != '\\')
                b--;
        } else {
            for (size_t k = e; k > b; k--)
                if (p[k - 1] == '.') {
                    e = k - 1;
                    break;
                }
        }
        summary_from_name(&sum, p ? p + b : "", e - b);
    } else {
        uint32_t nlen;
        const char *name = py_text(c->doc, d->name, &nlen);
        summary_from_name(&sum, name, nlen);
    }
    sl_addf(s, "%s", sum.data);
    mg_buf_release(&sum);
    if (d == NULL || d->kind == PY_CLASS || d->kind == PY_NESTED_CLASS)
        return;

    struct py_param *ps;
    size_t np = py_params(c->doc, d, &ps);
    bool any = false;
    const char *sub = indent_unit(c);
    for (size_t i = 0; i < np; i++) {
        if (ps[i].implicit)
            continue;
        if (!any) {
            sl_addf(s, "%s", "");
            if (style == AN_DOC_STYLE_GOOGLE)
                sl_addf(s, "Args:");
            else if (style == AN_DOC_STYLE_NUMPY) {
                sl_addf(s, "Parameters");
                sl_addf(s, "----------");
            }
            any = true;
        }
        char *name = param_display_name(c, &ps[i]);
        char *ann = ts_node_is_null(ps[i].annotation) ? NULL : annotation_text(c, ps[i].annotation);
        entry_lines(s, style, name, ann, sub);
        free(name);
        free(ann);
    }
    free(ps);

    struct body_facts f;
    scan_body(c, d->body, &f);
    stub_escapes(c, d->node, &f);
    TSNode rt = ts_node_child_by_field_name(d->node, "return_type", 11);
    char *ret = ts_node_is_null(rt) ? NULL : annotation_text(c, rt);
    bool is_init = py_text_eq(c->doc, d->name, "__init__");
    if (f.yields) {
        char *yt = yield_type(ret);
        if (style == AN_DOC_STYLE_SPHINX) {
            if (!any)
                sl_addf(s, "%s", "");
            sl_addf(s, ":yields:%s%s", yt ? " " : "", yt ? yt : "");
        } else {
            sl_addf(s, "%s", "");
            if (style == AN_DOC_STYLE_NUMPY) {
                sl_addf(s, "Yields");
                sl_addf(s, "------");
                if (yt)
                    sl_addf(s, "%s", yt);
            } else {
                sl_addf(s, "Yields:");
                if (yt)
                    sl_addf(s, "%s%s", sub, yt);
            }
        }
        any = true;
        free(yt);
    } else if (!is_init && !(d->flags & PY_PROPERTY) &&
               (f.returns_value || (ret != NULL && !is_none_annotation(ret)))) {
        if (style == AN_DOC_STYLE_SPHINX) {
            if (!any)
                sl_addf(s, "%s", "");
            sl_addf(s, ":returns:");
            if (ret)
                sl_addf(s, ":rtype: %s", ret);
        } else {
            sl_addf(s, "%s", "");
            if (style == AN_DOC_STYLE_NUMPY) {
                sl_addf(s, "Returns");
                sl_addf(s, "-------");
                if (ret)
                    sl_addf(s, "%s", ret);
            } else {
                sl_addf(s, "Returns:");
                if (ret)
                    sl_addf(s, "%s%s", sub, ret);
            }
        }
        any = true;
    }
    free(ret);
    for (size_t i = 0; i < f.n_raises; i++) {
        if (style == AN_DOC_STYLE_SPHINX) {
            if (!any)
                sl_addf(s, "%s", "");
            sl_addf(s, ":raises %s:", f.raises[i]);
        } else {
            if (i == 0) {
                sl_addf(s, "%s", "");
                if (style == AN_DOC_STYLE_NUMPY) {
                    sl_addf(s, "Raises");
                    sl_addf(s, "------");
                } else {
                    sl_addf(s, "Raises:");
                }
            }
            sl_addf(s, "%s%s", style == AN_DOC_STYLE_NUMPY ? "" : sub, f.raises[i]);
        }
        any = true;
    }
    facts_release(&f);
}

/* The stub as source text: every line after `indent` (blank lines bare),
 * in quotes, lines joined with the file's newline, no newline at the end. */
static char *stub_text(struct ctx *c, const struct slines *s, const char *indent)
{
    bool backslash = false, dq = false;
    for (size_t i = 0; i < s->n; i++) {
        backslash |= strchr(s->v[i], '\\') != NULL;
        dq |= strstr(s->v[i], "\"\"\"") != NULL;
    }
    /* a summary ending in '"' would close the quotes early */
    const char *q = dq || (s->n == 1 && s->v[0][strlen(s->v[0]) - 1] == '"') ? "'''" : "\"\"\"";
    struct mg_buf b = {0};
    mg_buf_addf(&b, "%s%s%s%s", indent, backslash ? "r" : "", q, s->v[0]);
    if (s->n == 1) {
        mg_buf_adds(&b, q);
    } else {
        for (size_t i = 1; i < s->n; i++) {
            mg_buf_adds(&b, c->nl);
            if (s->v[i][0] != '\0')
                mg_buf_addf(&b, "%s%s", indent, s->v[i]);
        }
        mg_buf_addf(&b, "%s%s%s", c->nl, indent, q);
    }
    return mg_buf_detach(&b, NULL);
}

/* The ':' that ends definition d's header (the last direct ':' child
 * before the body); a null node when the parser found none. */
static TSNode header_colon(const struct py_def *d)
{
    TSNode colon = {0};
    uint32_t body = ts_node_is_null(d->body) ? UINT32_MAX : ts_node_start_byte(d->body);
    TSTreeCursor cur = ts_tree_cursor_new(d->node);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (ts_node_start_byte(ch) >= body)
                break;
            if (!ts_node_is_named(ch) && strcmp(ts_node_type(ch), ":") == 0)
                colon = ch;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return colon;
}

/* The quick-fix inserting a stub into definition d (NULL: the module). */
static struct an_fix *stub_fix(struct ctx *c, const struct py_def *d)
{
    if (c->lazy_fixes)
        return DEFERRED_FIX;
    struct slines s = {0};
    struct edits es = {0};
    struct mg_buf ind = {0};
    struct an_fix *fix = NULL;
    if (d == NULL) {
        if (c->doc->path == NULL && c->doc->uri == NULL)
            goto out;
        /* after the first lines' comments (shebang, encoding, licence) */
        uint32_t pos = 0;
        while (pos < c->doc->len) {
            uint32_t ie = indent_end(c, pos);
            if (ie >= c->doc->len || T(c)[ie] != '#')
                break;
            pos = next_line(c, pos);
        }
        stub_lines(c, NULL, &s);
        char *text = stub_text(c, &s, "");
        char *ins;
        bool at_eof_no_nl = pos == c->doc->len && pos > 0 && T(c)[pos - 1] != '\n';
        bool code_follows = pos < c->doc->len && !blank_between(c, pos, line_end(c, pos));
        ins = xasprintf("%s%s%s%s", at_eof_no_nl ? c->nl : "", text, c->nl,
                        code_follows ? c->nl : "");
        free(text);
        edits_add(&es, pos, pos, ins);
    } else {
        if (ts_node_has_error(d->node))
            goto out;
        TSNode colon = header_colon(d);
        TSNode first = first_statement(d->body);
        if (ts_node_is_null(colon) || ts_node_is_null(first))
            goto out;
        uint32_t ce = ts_node_end_byte(colon), fs = ts_node_start_byte(first);
        bool one_line = memchr(T(c) + ce, '\n', fs - ce) == NULL;
        stub_lines(c, d, &s);
        if (one_line) {
            if (!blank_between(c, ce, fs))
                goto out;
            line_indent(c, ts_node_start_byte(d->node), &ind);
            mg_buf_adds(&ind, indent_unit(c));
            char *text = stub_text(c, &s, ind.data);
            edits_add(&es, ce, fs, xasprintf("%s%s%s%s", c->nl, text, c->nl, ind.data));
            free(text);
        } else {
            line_indent(c, fs, &ind);
            if (indent_end(c, line_start(c, fs)) != fs)
                goto out; /* the first statement does not start its line */
            char *text = stub_text(c, &s, ind.data);
            uint32_t at = next_line(c, ce);
            edits_add(&es, at, at, xasprintf("%s%s", text, c->nl));
            free(text);
        }
    }
    fix = edits_to_fix(
        &es, xasprintf("Insert a docstring stub (%s style)", style_name(resolve_style(c))));
out:
    edits_release(&es);
    sl_release(&s);
    mg_buf_release(&ind);
    return fix;
}

/* ---- missing and empty docstrings ------------------------------------------ */

static const char *missing_code(const struct ctx *c, const struct py_def *d)
{
    switch (d->kind) {
    case PY_CLASS:
        return "D101";
    case PY_NESTED_CLASS:
        return "D106";
    case PY_FUNCTION:
    case PY_NESTED_FUNCTION:
        return (d->flags & PY_OVERLOAD) ? NULL : "D103";
    case PY_METHOD:
        if (d->flags & (PY_OVERLOAD | PY_OVERRIDE))
            return NULL;
        if (py_text_eq(c->doc, d->name, "__init__"))
            return "D107";
        if (py_text_eq(c->doc, d->name, "__new__") || py_text_eq(c->doc, d->name, "__call__"))
            return "D102";
        if (d->flags & PY_MAGIC)
            return "D105";
        return "D102";
    }
    return NULL;
}

/* D419 on a single-string docstring whose contents are blank. */
static void check_empty(struct ctx *c, TSNode ds)
{
    uint32_t cs, ce;
    if (!py_is(ds, "string") || !py_string_contents(c->doc, ds, &cs, &ce, NULL))
        return;
    if (!blank_between(c, cs, ce))
        return;
    /* Ruff reads the noqa of a multi-line string on its last line. */
    emit_noqa(c, "D419", ts_node_start_byte(ds), ts_node_end_byte(ds),
              xstrdup("Docstring is empty"), NULL, (int64_t)ts_node_end_byte(ds) - 1);
}

/* ---- stale parameter sections ------------------------------------------- */

/* The signature index of the name [s, e) (stars excluded), or -1. */
static int sig_index(const struct ctx *c, const struct py_param *ps, size_t np, uint32_t s,
                     uint32_t e)
{
    for (size_t i = 0; i < np; i++)
        if (!ps[i].implicit) {
            uint32_t len;
            const char *n = py_text(c->doc, ps[i].name, &len);
            if (len == e - s && memcmp(n, T(c) + s, len) == 0)
                return (int)i;
        }
    return -1;
}

/* Whether the name [s, e) is the implicit receiver's (self, cls): an entry
 * for it is neither missing nor extra, and is left alone. */
static bool names_implicit(const struct ctx *c, const struct py_param *ps, size_t np, uint32_t s,
                           uint32_t e)
{
    if (np == 0 || !ps[0].implicit)
        return false;
    uint32_t len;
    const char *n = py_text(c->doc, ps[0].name, &len);
    return len == e - s && memcmp(n, T(c) + s, len) == 0;
}

/* The lines an entry spans: [first, last] and its Sphinx type field. */
static uint32_t entry_start(const struct args *a, const struct entry *en)
{
    return a->L.v[en->first].start;
}

static uint32_t entry_end(const struct args *a, const struct entry *en)
{
    return after_dline(&a->L, en->last);
}

/* The text of an entry (its lines, plus a Sphinx type field), ending with a
 * newline; `nl` when the entry's last line had none (the closing quotes
 * follow it). */
static void entry_text(const struct ctx *c, const struct args *a, const struct entry *en,
                       struct mg_buf *b)
{
    uint32_t s = entry_start(a, en), e = entry_end(a, en);
    mg_buf_add(b, T(c) + s, e - s);
    if (e == a->L.ce && (b->len == 0 || b->data[b->len - 1] != '\n')) {
        /* the last line, its indentation-only tail before the quotes dropped */
        while (b->len > 0 && is_space(b->data[b->len - 1]))
            b->len--;
        mg_buf_adds(b, c->nl);
    }
    if (en->type_first != SIZE_MAX) {
        uint32_t ts = a->L.v[en->type_first].start, te = after_dline(&a->L, en->type_last);
        mg_buf_add(b, T(c) + ts, te - ts);
        if (te == a->L.ce) {
            while (b->len > 0 && is_space(b->data[b->len - 1]))
                b->len--;
            mg_buf_adds(b, c->nl);
        }
    }
}

/* The indentation (as written) of a section's entries. */
static void entry_prefix(struct ctx *c, const struct args *a, const struct section *sec,
                         struct mg_buf *b)
{
    if (sec->n_entries > 0) {
        const struct dline *d = &a->L.v[a->entries[sec->e0].first];
        mg_buf_add(b, T(c) + d->start, d->text - d->start);
    } else {
        const struct dline *d = &a->L.v[sec->header];
        mg_buf_add(b, T(c) + d->start, d->text - d->start);
        if (sec->kind == SEC_GOOGLE)
            mg_buf_adds(b, indent_unit(c));
    }
    if (b->data == NULL)
        mg_buf_add(b, "", 0);
}

/* New entries for the missing parameters `miss` (signature indices), as
 * text at entry indentation `prefix`, each line ending in a newline. */
static char *new_entries_text(struct ctx *c, const struct section *sec, const struct py_param *ps,
                              const int *miss, size_t n_miss, const char *prefix)
{
    enum an_doc_style style = sec->kind == SEC_NUMPY    ? AN_DOC_STYLE_NUMPY
                              : sec->kind == SEC_SPHINX ? AN_DOC_STYLE_SPHINX
                                                        : AN_DOC_STYLE_GOOGLE;
    struct slines s = {0};
    for (size_t i = 0; i < n_miss; i++) {
        const struct py_param *p = &ps[miss[i]];
        char *name = param_display_name(c, p);
        char *ann = ts_node_is_null(p->annotation) ? NULL : annotation_text(c, p->annotation);
        entry_lines(&s, style, name, ann, "");
        free(name);
        free(ann);
    }
    struct mg_buf b = {0};
    for (size_t i = 0; i < s.n; i++)
        mg_buf_addf(&b, "%s%s%s", prefix, s.v[i], c->nl);
    sl_release(&s);
    if (b.data == NULL)
        mg_buf_add(&b, "", 0);
    return mg_buf_detach(&b, NULL);
}

/* Whether an entry documents nothing the signature has (all its names
 * vanished); `keep` counts the names that remain. */
static size_t entry_kept(const struct ctx *c, const struct args *a, const struct entry *en,
                         const struct py_param *ps, size_t np)
{
    size_t keep = 0;
    for (size_t k = 0; k < en->n_names; k++) {
        const struct dname *nm = &a->names[en->name0 + k];
        if (a->open_kwargs || sig_index(c, ps, np, nm->ns, nm->e) >= 0 ||
            names_implicit(c, ps, np, nm->ns, nm->e))
            keep++;
    }
    return keep;
}

/* The edits bringing section `si` in line with the signature: `miss` are
 * the missing parameters this section receives. */
static void sync_section(struct ctx *c, const struct args *a, size_t si, const struct py_param *ps,
                         size_t np, const int *miss, size_t n_miss, struct edits *es)
{
    const struct section *sec = &a->secs[si];
    const struct entry *E = a->entries + sec->e0;
    size_t n = sec->n_entries;
    struct mg_buf prefix = {0};
    entry_prefix(c, a, sec, &prefix);

    /* Are the kept entries in signature order? */
    int last = -1;
    bool ordered = true;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (entry_kept(c, a, &E[i], ps, np) == 0)
            continue;
        kept++;
        if (E[i].sig < 0)
            continue;
        if (E[i].sig < last)
            ordered = false;
        last = E[i].sig;
    }

    if (kept == 0 && n_miss == 0 && sec->kind != SEC_SPHINX) {
        /* Nothing left: remove the section, header to last entry, and the
         * blank line before it. */
        const struct dline *L = a->L.v;
        size_t h = sec->header;
        uint32_t e = after_dline(&a->L, sec->end - 1), s;
        if (e == a->L.ce && (e == a->L.cs || T(c)[e - 1] != '\n')) {
            /* it runs into the closing quotes: cut from the end of the text
             * before it, so the quotes follow that text */
            size_t p = h;
            while (p > 1 && dblank(&L[p - 1]))
                p--;
            s = L[p - 1].tend;
        } else {
            s = h > 1 && dblank(&L[h - 1]) ? L[h - 1].start : L[h].start;
        }
        edits_add(es, s, e, xstrdup(""));
        mg_buf_release(&prefix);
        return;
    }

    if (ordered) {
        /* Minimal edits: delete the vanished, insert each missing one after
         * the entry of the parameter before it. */
        for (size_t i = 0; i < n; i++) {
            size_t keep = entry_kept(c, a, &E[i], ps, np);
            if (keep == E[i].n_names)
                continue;
            if (keep == 0) {
                edits_add(es, entry_start(a, &E[i]), entry_end(a, &E[i]), xstrdup(""));
                if (E[i].type_first != SIZE_MAX)
                    edits_add(es, a->L.v[E[i].type_first].start, after_dline(&a->L, E[i].type_last),
                              xstrdup(""));
                continue;
            }
            /* NumPy "x, y : int" with y gone: rewrite the names. */
            struct mg_buf b = {0};
            for (size_t k = 0; k < E[i].n_names; k++) {
                const struct dname *nm = &a->names[E[i].name0 + k];
                if (!a->open_kwargs && sig_index(c, ps, np, nm->ns, nm->e) < 0 &&
                    !names_implicit(c, ps, np, nm->ns, nm->e))
                    continue;
                mg_buf_addf(&b, "%s%.*s", b.len ? ", " : "", (int)(nm->e - nm->s), T(c) + nm->s);
            }
            edits_add(es, E[i].names_s, E[i].names_e, mg_buf_detach(&b, NULL));
        }
        /* Insertions at one place are joined in signature order (qsort is
         * not stable). */
        uint32_t last_at = UINT32_MAX;
        size_t last_edit = 0;
        for (size_t m = 0; m < n_miss; m++) {
            /* after the kept entry with the greatest signature index below */
            int best = -1;
            size_t at_entry = SIZE_MAX;
            for (size_t i = 0; i < n; i++) {
                if (entry_kept(c, a, &E[i], ps, np) == 0 || E[i].sig < 0)
                    continue;
                if (E[i].sig < miss[m] && E[i].sig > best) {
                    best = E[i].sig;
                    at_entry = i;
                }
            }
            uint32_t at;
            if (at_entry != SIZE_MAX) {
                const struct entry *en = &E[at_entry];
                size_t lastl = en->type_last != SIZE_MAX && en->type_last > en->last ? en->type_last
                                                                                     : en->last;
                at = after_dline(&a->L, lastl);
            } else {
                /* before the first kept entry, else where entries start */
                size_t first = SIZE_MAX;
                for (size_t i = 0; i < n && first == SIZE_MAX; i++)
                    if (entry_kept(c, a, &E[i], ps, np) > 0)
                        first = i;
                if (first != SIZE_MAX)
                    at = entry_start(a, &E[first]);
                else if (n > 0)
                    at = entry_start(a, &E[0]);
                else
                    at = after_dline(&a->L, sec->content - 1);
            }
            char *text = new_entries_text(c, sec, ps, &miss[m], 1, prefix.data);
            if (at == last_at) {
                char *joined = xasprintf("%s%s", es->v[last_edit].new_text, text);
                free(es->v[last_edit].new_text);
                free(text);
                es->v[last_edit].new_text = joined;
                continue;
            }
            edits_add(es, at, at, text);
            last_at = at;
            last_edit = es->n - 1;
        }
        mg_buf_release(&prefix);
        return;
    }

    /* Out of order: rewrite the span from the first entry to the last with
     * the kept entries and the new ones in signature order. Blank lines
     * between entries are kept as the separator; other text found between
     * them (Sphinx fields) follows the entries. */
    size_t first_line = SIZE_MAX, last_line = 0;
    for (size_t i = 0; i < n; i++) {
        if (E[i].first < first_line)
            first_line = E[i].first;
        size_t l =
            E[i].type_last != SIZE_MAX && E[i].type_last > E[i].last ? E[i].type_last : E[i].last;
        if (l > last_line)
            last_line = l;
    }
    /* which lines belong to an entry */
    size_t span = last_line - first_line + 1;
    bool *owned = xcalloc(span, sizeof(*owned));
    for (size_t i = 0; i < n; i++) {
        for (size_t l = E[i].first; l <= E[i].last; l++)
            owned[l - first_line] = true;
        if (E[i].type_first != SIZE_MAX)
            for (size_t l = E[i].type_first; l <= E[i].type_last; l++)
                owned[l - first_line] = true;
    }
    bool blank_sep = false;
    struct mg_buf other = {0};
    for (size_t l = first_line; l <= last_line; l++) {
        if (owned[l - first_line])
            continue;
        if (dblank(&a->L.v[l])) {
            blank_sep = true;
            continue;
        }
        uint32_t s = a->L.v[l].start, e = after_dline(&a->L, l);
        mg_buf_add(&other, T(c) + s, e - s);
    }
    free(owned);
    /* kept entries and missing parameters, by signature index */
    struct mg_buf b = {0};
    size_t emitted = 0;
    for (size_t p = 0; p <= np; p++) {
        for (size_t i = 0; i < n; i++) {
            bool here = p < np ? E[i].sig == (int)p : E[i].sig < 0;
            if (!here || entry_kept(c, a, &E[i], ps, np) == 0)
                continue;
            if (emitted++ > 0 && blank_sep)
                mg_buf_adds(&b, c->nl);
            entry_text(c, a, &E[i], &b);
        }
        for (size_t m = 0; p < np && m < n_miss; m++)
            if (miss[m] == (int)p) {
                if (emitted++ > 0 && blank_sep)
                    mg_buf_adds(&b, c->nl);
                char *t = new_entries_text(c, sec, ps, &miss[m], 1, prefix.data);
                mg_buf_adds(&b, t);
                free(t);
            }
    }
    if (other.data)
        mg_buf_add(&b, other.data, other.len);
    mg_buf_release(&other);
    uint32_t s = a->L.v[first_line].start, e = after_dline(&a->L, last_line);
    if (b.data == NULL)
        mg_buf_add(&b, "", 0);
    edits_add(es, s, e, mg_buf_detach(&b, NULL));
    mg_buf_release(&prefix);
}

/* When the closing quotes share the last line with text ("x: foo."""), an
 * edit reaching them works in whole lines, so give the quotes a line of
 * their own, indented as the opening quotes' line: the edits that end there
 * and start a line (or insert there) get a newline before and the
 * indentation after. */
static void closing_quotes_line(const struct ctx *c, const struct args *a, TSNode ds,
                                struct edits *es)
{
    uint32_t ce = a->L.ce;
    if (ce == a->L.cs || T(c)[ce - 1] == '\n' || dblank(&a->L.v[a->L.n - 1]))
        return;
    uint32_t ls = line_start(c, ts_node_start_byte(ds));
    for (size_t i = 0; i < es->n; i++) {
        struct an_edit *e = &es->v[i];
        size_t tl = strlen(e->new_text);
        if (e->end != ce || (tl > 0 && e->new_text[tl - 1] != '\n'))
            continue;
        bool at_line_start = e->start > a->L.cs && T(c)[e->start - 1] == '\n';
        if (e->start != ce && !at_line_start)
            continue;
        char *t = xasprintf("%s%s%.*s", e->start == ce ? c->nl : "", e->new_text,
                            (int)(indent_end(c, ls) - ls), T(c) + ls);
        free(e->new_text);
        e->new_text = t;
    }
}

static char *name_list(const struct ctx *c, uint32_t (*names)[2], size_t n)
{
    struct mg_buf b = {0};
    for (size_t i = 0; i < n; i++)
        mg_buf_addf(&b, "%s`%.*s`", i ? ", " : "", (int)(names[i][1] - names[i][0]),
                    T(c) + names[i][0]);
    return mg_buf_detach(&b, NULL);
}

static void check_params(struct ctx *c, const struct py_def *d, TSNode ds)
{
    uint32_t cs, ce;
    if (!py_is(ds, "string") || !py_string_contents(c->doc, ds, &cs, &ce, NULL))
        return;
    /* cheap pre-filter: no section word, no work */
    if (memmem(T(c) + cs, ce - cs, "aram", 4) == NULL &&
        memmem(T(c) + cs, ce - cs, "rg", 2) == NULL &&
        memmem(T(c) + cs, ce - cs, "ARAM", 4) == NULL &&
        memmem(T(c) + cs, ce - cs, "RG", 2) == NULL &&
        memmem(T(c) + cs, ce - cs, ":key", 4) == NULL)
        return;
    struct args a;
    parse_args(c, cs, ce, &a);
    if (a.n_secs == 0) {
        args_release(&a);
        return;
    }
    struct py_param *ps;
    size_t np = py_params(c->doc, d, &ps);
    for (size_t i = 0; i < np; i++)
        a.open_kwargs |= ps[i].kind == PY_PARAM_KWARGS;

    /* documented names -> signature indices; the extra ones */
    uint32_t(*extra)[2] = NULL;
    size_t n_extra = 0, cap_extra = 0;
    bool *documented = xcalloc(np + 1, sizeof(*documented));
    for (size_t e = 0; e < a.n_entries; e++) {
        struct entry *en = &a.entries[e];
        for (size_t k = 0; k < en->n_names; k++) {
            const struct dname *nm = &a.names[en->name0 + k];
            int si = sig_index(c, ps, np, nm->ns, nm->e);
            if (si >= 0) {
                documented[si] = true;
                if (en->sig < 0)
                    en->sig = si;
                continue;
            }
            if (names_implicit(c, ps, np, nm->ns, nm->e) || a.open_kwargs)
                continue; /* with **kwargs, other names may be keyword arguments */
            bool dup = false;
            for (size_t x = 0; x < n_extra; x++)
                dup |= extra[x][1] - extra[x][0] == nm->e - nm->ns &&
                       memcmp(T(c) + extra[x][0], T(c) + nm->ns, nm->e - nm->ns) == 0;
            if (dup)
                continue;
            MG_GROW(extra, cap_extra, n_extra + 1);
            extra[n_extra][0] = nm->ns;
            extra[n_extra++][1] = nm->e;
        }
    }
    int *miss_idx = NULL;
    size_t n_missing = 0, cap_mi = 0;
    for (size_t i = 0; i < np; i++) {
        if (ps[i].implicit || documented[i])
            continue;
        uint32_t len;
        const char *nm = py_text(c->doc, ps[i].name, &len);
        if (len > 0 && nm[0] == '_')
            continue; /* private parameters need no entry (Ruff's D417) */
        MG_GROW(miss_idx, cap_mi, n_missing + 1);
        miss_idx[n_missing++] = (int)i;
    }
    /* order, section by section, when nothing is missing or extra */
    bool misordered = false;
    if (n_missing == 0 && n_extra == 0) {
        for (size_t s = 0; s < a.n_secs; s++) {
            int last = -1;
            for (size_t e = a.secs[s].e0; e < a.secs[s].e0 + a.secs[s].n_entries; e++) {
                int si = a.entries[e].sig;
                if (si < 0)
                    continue;
                if (si < last)
                    misordered = true;
                last = si;
            }
        }
    }
    if (n_missing == 0 && n_extra == 0 && !misordered)
        goto out;

    uint32_t ns = ts_node_start_byte(d->name), ne = ts_node_end_byte(d->name);
    /* the missing parameters go to the section documenting the parameter
     * before them (else after them, else the first section) */
    const char *codes[3] = {NULL, NULL, NULL};
    char *msgs[3] = {NULL, NULL, NULL};
    size_t nf = 0;
    if (n_missing > 0) {
        struct mg_buf lb = {0};
        for (size_t i = 0; i < n_missing; i++) {
            char *nm = param_display_name(c, &ps[miss_idx[i]]);
            mg_buf_addf(&lb, "%s`%s`", i ? ", " : "", nm);
            free(nm);
        }
        char *l = mg_buf_detach(&lb, NULL);
        codes[nf] = "DOC101";
        msgs[nf++] =
            xasprintf("Docstring does not document parameter%s %s", n_missing > 1 ? "s" : "", l);
        free(l);
    }
    if (n_extra > 0) {
        char *l = name_list(c, extra, n_extra);
        codes[nf] = "DOC102";
        msgs[nf++] = n_extra > 1 ? xasprintf("Docstring documents %s, which are not parameters", l)
                                 : xasprintf("Docstring documents %s, which is not a parameter", l);
        free(l);
    }
    if (misordered) {
        codes[nf] = "DOC104";
        msgs[nf++] = xstrdup("Docstring documents the parameters in another order than the "
                             "signature");
    }
    for (size_t f = 0; f < nf; f++) {
        struct edits es = {0};
        int *per = xcalloc(n_missing + 1, sizeof(*per));
        for (size_t s = 0; s < a.n_secs; s++) {
            size_t k = 0;
            for (size_t m = 0; m < n_missing; m++) {
                /* the section of the nearest documented parameter before */
                size_t target = 0;
                int best = -1;
                bool found = false;
                for (size_t e = 0; e < a.n_entries; e++) {
                    int si = a.entries[e].sig;
                    if (si >= 0 && si < miss_idx[m] && si > best) {
                        best = si;
                        found = true;
                        for (size_t t = 0; t < a.n_secs; t++)
                            if (e >= a.secs[t].e0 && e < a.secs[t].e0 + a.secs[t].n_entries)
                                target = t;
                    }
                }
                if (!found) {
                    int after = INT32_MAX;
                    for (size_t e = 0; e < a.n_entries; e++) {
                        int si = a.entries[e].sig;
                        if (si > miss_idx[m] && si < after) {
                            after = si;
                            for (size_t t = 0; t < a.n_secs; t++)
                                if (e >= a.secs[t].e0 && e < a.secs[t].e0 + a.secs[t].n_entries)
                                    target = t;
                        }
                    }
                }
                if (target == s)
                    per[k++] = miss_idx[m];
            }
            sync_section(c, &a, s, ps, np, per, k, &es);
        }
        free(per);
        closing_quotes_line(c, &a, ds, &es);
        struct an_fix *fix = edits_to_fix(&es, xstrdup("Update the docstring's parameters"));
        emit(c, codes[f], ns, ne, msgs[f], fix);
    }

out:
    free(extra);
    free(miss_idx);
    free(documented);
    free(ps);
    args_release(&a);
}

/* ---- the analyzer ----------------------------------------------------------- */

static void check_module(struct ctx *c)
{
    TSNode root = ts_tree_root_node(c->doc->tree);
    TSNode ds = py_docstring(c->doc, root);
    if (!ts_node_is_null(ds)) {
        check_empty(c, ds);
        return;
    }
    if (c->m.is_stub || !c->m.is_public)
        return;
    const char *code = c->m.is_package ? "D104" : "D100";
    emit(c, code, 0, 0,
         xstrdup(c->m.is_package ? "Missing docstring in public package"
                                 : "Missing docstring in public module"),
         stub_fix(c, NULL));
}

static void check_def(struct ctx *c, const struct py_def *d)
{
    TSNode ds = py_docstring(c->doc, d->body);
    if (ts_node_is_null(ds)) {
        if (c->m.is_stub || !d->is_public)
            return;
        const char *code = missing_code(c, d);
        if (code == NULL)
            return;
        const char *msg = NULL;
        for (size_t i = 0; i < MG_ARRAY_LEN(rules); i++)
            if (strcmp(rules[i].code, code) == 0)
                msg = rules[i].summary;
        emit(c, code, ts_node_start_byte(d->name), ts_node_end_byte(d->name), xstrdup(msg),
             stub_fix(c, d));
        return;
    }
    check_empty(c, ds);
    if (d->kind != PY_CLASS && d->kind != PY_NESTED_CLASS)
        check_params(c, d, ds);
}

static int run(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out)
{
    if (doc->tree == NULL)
        return 0;
    struct ctx c = {.doc = doc, .opts = opts, .out = out, .nl = "\n"};
    c.style = opts ? opts->docstring_style : AN_DOC_STYLE_AUTO;
    c.lazy_fixes = opts != NULL && opts->lazy_fixes;
    const char *nl = memchr(doc->text, '\n', doc->len);
    if (nl != NULL && nl > doc->text && nl[-1] == '\r')
        c.nl = "\r\n";
    py_module_scan(doc, &c.m);
    check_module(&c);
    for (size_t i = 0; i < c.m.n_defs; i++)
        if (c.m.defs[i].in_scope)
            check_def(&c, &c.m.defs[i]);
    py_module_release(&c.m);
    idx_view_free(c.esc_v);
    sum_free(c.esc_m);
    return 0;
}

const struct analyzer an_docstrings = {
    .name = "docstrings",
    .rules = rules,
    .n_rules = MG_ARRAY_LEN(rules),
    .init = init,
    .run = run,
    .locality = AN_PER_DEFINITION,
};
