/* Exception handlers that catch too much, swallow what they catch, or lose
 * the chain:
 *
 *   E722   bare `except:` (pycodestyle)                                CWE-396
 *   BLE001 `except Exception`/`BaseException` (flake8-blind-except)    CWE-396
 *   S110   a handler that is only `pass` (flake8-bandit)               CWE-390
 *   S112   a handler that is only `continue` (flake8-bandit)           CWE-390
 *   B904   `raise X` in a handler without `from` (flake8-bugbear)      CWE-755
 *   MG301  a handler of specific types that drops the exception        CWE-390
 *
 * E722 to B904 follow Ruff's implementations (bare_except.rs,
 * blind_except.rs, try_except_pass.rs, try_except_continue.rs,
 * raise_without_from_inside_except.rs), including which nested statements
 * each one looks into; docs/rules/<CODE>.md say where we differ and why.
 *
 * How: one walk over the statements of the file (never into expressions)
 * collects the handlers with their context (enclosing function, enclosing
 * loops), the imports and the loggers the file creates. It enters only
 * compound statements whose text holds "except", "import" or a logger
 * factory's name (found beforehand with memmem), so code without handlers
 * costs a few comparisons per top-level statement. Then each handler is
 * judged with the recognisers below, which walk only the handler's own
 * body. Everything is iterative: TSTreeCursor walks with explicit stacks,
 * so 2,000 nested blocks or 10,000 nested brackets cost memory, not stack.
 * Cost is linear in the statements walked plus the nodes of handler bodies
 * (a body inside a nested handler is read again by the outer handler's
 * checks, most of which stop at nested `try`, `def` and `class` as Ruff's
 * do). A file without "except" costs one memmem. About 1.3 ms for 15,000
 * lines of the standard library, 2.5 ms for 20,000 lines of Neutron dense
 * with handlers (350 of them).
 *
 * Recognisers shared with the workspace "what escapes" pass live in
 * exc_common.{c,h}: exc_handler_parse (types, bound name, body, except*),
 * exc_raise_parse, exc_raise_is_reraise, exc_with_is_save_and_reraise and
 * the exc_kids_* iterator. Those meant for reuse that are still here:
 * catch_find_broad, handler_reraises, qualified_name with note_import (names to
 * dotted import paths), is_logger_factory_call, logger_object,
 * logger_call_level, logger_call_logs_traceback, handler_logs_traceback,
 * handler_swallows. They are static and take a `struct ctx`, of which they
 * read only the file facts (text, root, imports, loggers, options). */
#include "analyzer.h"
#include "exc_common.h"
#include "log.h"
#include "mg.h"

#include <stdlib.h>
#include <string.h>

/* tree-sitter's symbol for ERROR nodes (ts_builtin_sym_error). */
#define EXC_SYM_ERROR ((TSSymbol)-1)

#define EXC_TYPE_QUOTE_MAX 40 /* bytes of a handler's type quoted in a message */
#define EXC_QNAME_MAX      256
#define EXC_QNAME_PARTS    32
#define EXC_LOGGER_MESSAGE "Ignored exception"
#define EXC_MAX_LOOPS      8

/* ---- node kinds --------------------------------------------------------- */

enum kind {
    K_OTHER,
    /* statements and their clauses */
    K_MODULE,
    K_BLOCK,
    K_TRY,
    K_EXCEPT,
    K_EXCEPT_GROUP,
    K_ELSE,
    K_ELIF,
    K_FINALLY,
    K_IF,
    K_FOR,
    K_WHILE,
    K_WITH,
    K_WITH_CLAUSE,
    K_WITH_ITEM,
    K_MATCH,
    K_CASE,
    K_FUNCDEF,
    K_CLASSDEF,
    K_DECORATED,
    K_RAISE,
    K_RETURN,
    K_PASS,
    K_CONTINUE,
    K_BREAK,
    K_EXPR_STMT,
    K_DELETE,
    K_IMPORT,
    K_IMPORT_FROM,
    K_FUTURE_IMPORT,
    K_ASSERT,
    K_PRINT,
    K_EXEC,
    K_TYPE_ALIAS,
    /* expressions and their parts */
    K_ASSIGNMENT,
    K_AUG_ASSIGNMENT,
    K_NAMED_EXPR,
    K_IDENTIFIER,
    K_ATTRIBUTE,
    K_CALL,
    K_SUBSCRIPT,
    K_ARGLIST,
    K_KEYWORD_ARG,
    K_TUPLE,
    K_PAREN,
    K_AS_PATTERN,
    K_AS_TARGET,
    K_LIST_SPLAT,
    K_ALIASED_IMPORT,
    K_DOTTED_NAME,
    K_COMMENT,
    K_STRING,
    K_STRING_START,
    K_STRING_END,
    K_CONCAT_STRING,
    K_TRUE,
    K_FALSE,
    K_NONE,
    K_INTEGER,
    K_FLOAT,
    K_ELLIPSIS,
    K_LIST,
    K_SET,
    K_DICT,
    K_YIELD,
    K_AWAIT,
    K_LAMBDA,
    K_ERROR,
    /* tokens */
    T_FROM,
    T_AS,
    T_COMMA,
    T_EXCEPT,
    T_EXCEPT_STAR,
};

struct kind_name {
    const char *name;
    bool named;
    enum kind kind;
};

static const struct kind_name kind_names[] = {
    {"module", true, K_MODULE},
    {"block", true, K_BLOCK},
    {"try_statement", true, K_TRY},
    {"except_clause", true, K_EXCEPT},
    {"except_group_clause", true, K_EXCEPT_GROUP},
    {"else_clause", true, K_ELSE},
    {"elif_clause", true, K_ELIF},
    {"finally_clause", true, K_FINALLY},
    {"if_statement", true, K_IF},
    {"for_statement", true, K_FOR},
    {"while_statement", true, K_WHILE},
    {"with_statement", true, K_WITH},
    {"with_clause", true, K_WITH_CLAUSE},
    {"with_item", true, K_WITH_ITEM},
    {"match_statement", true, K_MATCH},
    {"case_clause", true, K_CASE},
    {"function_definition", true, K_FUNCDEF},
    {"class_definition", true, K_CLASSDEF},
    {"decorated_definition", true, K_DECORATED},
    {"raise_statement", true, K_RAISE},
    {"return_statement", true, K_RETURN},
    {"pass_statement", true, K_PASS},
    {"continue_statement", true, K_CONTINUE},
    {"break_statement", true, K_BREAK},
    {"expression_statement", true, K_EXPR_STMT},
    {"delete_statement", true, K_DELETE},
    {"import_statement", true, K_IMPORT},
    {"import_from_statement", true, K_IMPORT_FROM},
    {"future_import_statement", true, K_FUTURE_IMPORT},
    {"assert_statement", true, K_ASSERT},
    {"print_statement", true, K_PRINT},
    {"exec_statement", true, K_EXEC},
    {"type_alias_statement", true, K_TYPE_ALIAS},
    {"assignment", true, K_ASSIGNMENT},
    {"augmented_assignment", true, K_AUG_ASSIGNMENT},
    {"named_expression", true, K_NAMED_EXPR},
    {"identifier", true, K_IDENTIFIER},
    {"attribute", true, K_ATTRIBUTE},
    {"call", true, K_CALL},
    {"subscript", true, K_SUBSCRIPT},
    {"argument_list", true, K_ARGLIST},
    {"keyword_argument", true, K_KEYWORD_ARG},
    {"tuple", true, K_TUPLE},
    {"parenthesized_expression", true, K_PAREN},
    {"as_pattern", true, K_AS_PATTERN},
    {"as_pattern_target", true, K_AS_TARGET},
    {"list_splat", true, K_LIST_SPLAT},
    {"aliased_import", true, K_ALIASED_IMPORT},
    {"dotted_name", true, K_DOTTED_NAME},
    {"comment", true, K_COMMENT},
    {"string", true, K_STRING},
    {"string_start", true, K_STRING_START},
    {"string_end", true, K_STRING_END},
    {"concatenated_string", true, K_CONCAT_STRING},
    {"true", true, K_TRUE},
    {"false", true, K_FALSE},
    {"none", true, K_NONE},
    {"integer", true, K_INTEGER},
    {"float", true, K_FLOAT},
    {"ellipsis", true, K_ELLIPSIS},
    {"list", true, K_LIST},
    {"set", true, K_SET},
    {"dictionary", true, K_DICT},
    {"yield", true, K_YIELD},
    {"await", true, K_AWAIT},
    {"lambda", true, K_LAMBDA},
    {"from", false, T_FROM},
    {"as", false, T_AS},
    {",", false, T_COMMA},
    {"except", false, T_EXCEPT},
    {"except*", false, T_EXCEPT_STAR},
};

/* Fields the recognisers read. */
enum field {
    F_BODY,
    F_VALUE,
    F_ALIAS,
    F_CAUSE,
    F_FUNCTION,
    F_ARGUMENTS,
    F_NAME,
    F_OBJECT,
    F_ATTRIBUTE,
    F_LEFT,
    F_RIGHT,
    F_MODULE_NAME,
    F_ALTERNATIVE,
    F__COUNT,
};

static const char *const field_names[F__COUNT] = {
    "body",   "value",     "alias", "cause", "function",    "arguments",   "name",
    "object", "attribute", "left",  "right", "module_name", "alternative",
};

/* Built by init(); read-only while runs go on. */
static uint8_t *kinds; /* enum kind by grammar symbol */
static uint32_t n_kinds;
static TSFieldId fields[F__COUNT];

static int init(const TSLanguage *lang)
{
    free(kinds);
    n_kinds = ts_language_symbol_count(lang);
    kinds = xcalloc(n_kinds, sizeof(*kinds));
    bool seen[MG_ARRAY_LEN(kind_names)] = {0};
    for (uint32_t i = 0; i < n_kinds; i++) {
        const char *name = ts_language_symbol_name(lang, (TSSymbol)i);
        TSSymbolType type = ts_language_symbol_type(lang, (TSSymbol)i);
        if (name == NULL || type == TSSymbolTypeAuxiliary)
            continue;
        for (size_t j = 0; j < MG_ARRAY_LEN(kind_names); j++) {
            if (kind_names[j].named == (type == TSSymbolTypeRegular) &&
                strcmp(name, kind_names[j].name) == 0) {
                kinds[i] = (uint8_t)kind_names[j].kind;
                seen[j] = true;
            }
        }
    }
    for (size_t j = 0; j < MG_ARRAY_LEN(kind_names); j++)
        if (!seen[j] && kind_names[j].kind != K_EXCEPT_GROUP)
            LOGW("the grammar has no node type '%s'", kind_names[j].name);
    for (size_t f = 0; f < F__COUNT; f++) {
        fields[f] =
            ts_language_field_id_for_name(lang, field_names[f], (uint32_t)strlen(field_names[f]));
        if (fields[f] == 0)
            LOGW("the grammar has no field '%s'", field_names[f]);
    }
    return exc_init(lang);
}

static void fini(void)
{
    exc_fini();
    free(kinds);
    kinds = NULL;
    n_kinds = 0;
}

static enum kind kind_of(TSNode n)
{
    TSSymbol s = ts_node_symbol(n);
    if (s == EXC_SYM_ERROR)
        return K_ERROR;
    return s < n_kinds ? (enum kind)kinds[s] : K_OTHER;
}

static TSNode field(TSNode n, enum field f)
{
    return ts_node_child_by_field_id(n, fields[f]);
}

/* ---- per-run state ------------------------------------------------------ */

/* A set of byte strings, each with an optional value (open addressing). */
struct name_ent {
    const char *key; /* borrowed from the text */
    uint32_t len;
    char *val; /* owned; may be NULL */
};

struct names {
    struct name_ent *slots;
    size_t cap, n;
};

/* One handler found by the walk, with what the checks need of its
 * surroundings. */
struct site {
    TSNode handler;
    TSNode try_stmt;
    uint32_t scope_start, scope_end; /* enclosing function, else the file */
    /* The loops around the try in the same function, innermost first,
     * each entered through its body (not its else clause). */
    TSNode loops[EXC_MAX_LOOPS];
    size_t n_loops;
};

/* The statement right after a loop, in the same block. */
struct after_loop {
    uint32_t loop_start;
    TSNode next;
};

/* Sorted byte offsets of the places a word occurs in the text. */
struct offsets {
    uint32_t *at;
    size_t n, cap;
    bool built;
};

static const char *const bind_names[] = {"err", "exc", "error", "err_", "exc_"};

enum rule_id { R_E722, R_BLE001, R_S110, R_S112, R_B904, R_MG301, R__COUNT };

struct ctx {
    const char *text;
    uint32_t len;
    TSNode root;
    const struct an_opts *opts;
    struct diag_list *out;
    bool on[R__COUNT];

    struct names imports; /* bound name -> dotted path it was imported as */
    struct names loggers; /* last parts of names assigned a logger in the file */
    /* First module-level `NAME = <logger factory>(...)`, for fixes. */
    uint32_t logger_start, logger_end, logger_stmt_start;
    bool has_logger;

    struct site *sites;
    size_t n_sites, cap_sites;
    struct after_loop *loops;
    size_t n_loops, cap_loops;
    struct offsets words[MG_ARRAY_LEN(bind_names)]; /* whole words, built when needed */
    /* Where "except", "import" and the logger factories' names occur: the
     * walk enters only compound statements holding one. */
    struct offsets hot;
    struct offsets factories; /* the logger factories' names only */
    struct offsets excepts;   /* "except" only */
};

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static struct name_ent *names_find(const struct names *t, const char *s, size_t n)
{
    if (t->cap == 0)
        return NULL;
    for (size_t i = hash_bytes(s, n) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        struct name_ent *e = &t->slots[i];
        if (e->key == NULL)
            return NULL;
        if (e->len == n && memcmp(e->key, s, n) == 0)
            return e;
    }
}

/* Add or replace; takes `val` (may be NULL). */
static void names_put(struct names *t, const char *s, size_t n, char *val)
{
    if ((t->n + 1) * 2 > t->cap) {
        struct names bigger = {xcalloc(t->cap ? t->cap * 2 : 16, sizeof(struct name_ent)),
                               t->cap ? t->cap * 2 : 16, 0};
        for (size_t i = 0; i < t->cap; i++) {
            struct name_ent *e = &t->slots[i];
            if (e->key == NULL)
                continue;
            size_t j = hash_bytes(e->key, e->len) & (bigger.cap - 1);
            while (bigger.slots[j].key != NULL)
                j = (j + 1) & (bigger.cap - 1);
            bigger.slots[j] = *e;
            bigger.n++;
        }
        free(t->slots);
        *t = bigger;
    }
    struct name_ent *e = names_find(t, s, n);
    if (e != NULL) {
        free(e->val);
        e->val = val;
        return;
    }
    size_t i = hash_bytes(s, n) & (t->cap - 1);
    while (t->slots[i].key != NULL)
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = (struct name_ent){s, (uint32_t)n, val};
    t->n++;
}

static void names_release(struct names *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i].val);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* ---- text helpers ------------------------------------------------------- */

/* Append where `word` occurs in the text, starting a word (and, when
 * `whole`, ending one too). */
static void offsets_find(const struct ctx *c, const char *word, bool whole, struct offsets *o)
{
    size_t n = strlen(word);
    const char *p = c->text, *stop = c->text + c->len;
    while (p < stop && (p = mg_memmem(p, (size_t)(stop - p), word, n)) != NULL) {
        size_t at = (size_t)(p - c->text);
        if ((at == 0 || !mg_is_ident_byte(c->text[at - 1])) &&
            (!whole || at + n >= c->len || !mg_is_ident_byte(c->text[at + n]))) {
            MG_GROW(o->at, o->cap, o->n + 1);
            o->at[o->n++] = (uint32_t)at;
        }
        p += n;
    }
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The index of the first offset at or after `start`. */
static size_t offsets_lower(const struct offsets *o, uint32_t start)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->at[mid] < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether an offset lies in [start, end). */
static bool offsets_within(const struct offsets *o, uint32_t start, uint32_t end)
{
    size_t i = offsets_lower(o, start);
    return i < o->n && o->at[i] < end;
}

static const char *node_text(const struct ctx *c, TSNode n, uint32_t *len)
{
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    if (e > c->len)
        e = c->len;
    if (s > e)
        s = e;
    *len = e - s;
    return c->text + s;
}

static bool node_is(const struct ctx *c, TSNode n, const char *s)
{
    uint32_t len;
    const char *t = node_text(c, n, &len);
    return len == strlen(s) && memcmp(t, s, len) == 0;
}

/* The named children of a node, comments left out: exc_kids_* of
 * exc_common.h (tree-sitter 0.20's ts_node_named_child(n, i) walks from the
 * first child each time, which makes loops over a long block quadratic). */

/* The first named child of `n` that is not a comment, or a null node. */
static TSNode first_named(TSNode n)
{
    TSNode ch = {0};
    struct exc_kids k;
    exc_kids_begin(&k, n);
    if (!exc_kids_next(&k, &ch))
        ch = (TSNode){0};
    exc_kids_end(&k);
    return ch;
}

/* The last named child of `n` that is not a comment, or a null node. */
static TSNode last_named(TSNode n)
{
    TSNode last = {0}, ch;
    struct exc_kids k;
    exc_kids_begin(&k, n);
    while (exc_kids_next(&k, &ch))
        last = ch;
    exc_kids_end(&k);
    return last;
}

/* `(x)` -> `x`, however deep. */
static TSNode unparen(TSNode n)
{
    while (!ts_node_is_null(n) && kind_of(n) == K_PAREN) {
        TSNode inner = first_named(n);
        if (ts_node_is_null(inner))
            break;
        n = inner;
    }
    return n;
}

/* ---- walking ------------------------------------------------------------ */

enum visit { V_NEXT, V_SKIP, V_STOP };

/* Called for every node under the walk's root, in order, with the kind of
 * its parent. V_SKIP: do not look inside this node. */
typedef enum visit (*visit_fn)(struct ctx *c, TSNode n, enum kind parent, void *arg);

/* Pre-order walk of the descendants of `root` (not `root` itself). Returns
 * whether the visitor stopped it. Iterative: depth costs heap, not stack. */
static bool walk(struct ctx *c, TSNode root, visit_fn fn, void *arg)
{
    TSTreeCursor cur = ts_tree_cursor_new(root);
    uint8_t *parents = NULL; /* kinds along the cursor's path */
    size_t cap = 0, depth = 0;
    bool stopped = false;
    MG_GROW(parents, cap, 1);
    parents[0] = (uint8_t)kind_of(root);
    if (!ts_tree_cursor_goto_first_child(&cur))
        goto out;
    depth = 1;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        enum visit v = fn(c, n, (enum kind)parents[depth - 1], arg);
        if (v == V_STOP) {
            stopped = true;
            break;
        }
        if (v == V_NEXT && ts_tree_cursor_goto_first_child(&cur)) {
            MG_GROW(parents, cap, depth + 1);
            parents[depth++] = (uint8_t)kind_of(n);
            continue;
        }
        while (!ts_tree_cursor_goto_next_sibling(&cur)) {
            if (depth <= 1 || !ts_tree_cursor_goto_parent(&cur))
                goto out;
            depth--;
        }
    }
out:
    free(parents);
    ts_tree_cursor_delete(&cur);
    return stopped;
}

/* ---- recognisers: handlers ---------------------------------------------- */

/* An `except` clause taken apart: struct exc_handler and
 * exc_handler_parse() of exc_common.h. */

/* Whether `n` names the builtin Exception or BaseException, bare or as
 * `builtins.X`; *which gets the name. Shadowing (a module-level `class
 * Exception`) is not tracked. */
static bool is_broad_name(const struct ctx *c, TSNode n, const char **which)
{
    static const char *const broad[] = {"Exception", "BaseException"};
    TSNode id = n;
    if (kind_of(n) == K_ATTRIBUTE) {
        TSNode obj = field(n, F_OBJECT);
        if (ts_node_is_null(obj) || kind_of(obj) != K_IDENTIFIER || !node_is(c, obj, "builtins"))
            return false;
        id = field(n, F_ATTRIBUTE);
    }
    if (ts_node_is_null(id) || kind_of(id) != K_IDENTIFIER)
        return false;
    for (size_t i = 0; i < MG_ARRAY_LEN(broad); i++) {
        if (node_is(c, id, broad[i])) {
            *which = broad[i];
            return true;
        }
    }
    return false;
}

/* The first Exception/BaseException caught by `type` (itself or an element
 * of a tuple, nested tuples included), like Ruff's contains_blind_exception.
 * Returns a null node when there is none. */
static TSNode catch_find_broad(const struct ctx *c, TSNode type, const char **which)
{
    if (ts_node_is_null(type))
        return type;
    type = unparen(type);
    if (is_broad_name(c, type, which))
        return type;
    if (kind_of(type) != K_TUPLE)
        return (TSNode){0};
    /* Tuples nest without bound: walk them with a cursor, entering only
     * tuples and parentheses. */
    TSTreeCursor cur = ts_tree_cursor_new(type);
    TSNode found = {0};
    size_t depth = 0;
    if (ts_tree_cursor_goto_first_child(&cur)) {
        depth = 1;
        for (;;) {
            TSNode n = ts_tree_cursor_current_node(&cur);
            enum kind k = kind_of(n);
            if (is_broad_name(c, n, which)) {
                found = n;
                break;
            }
            if ((k == K_TUPLE || k == K_PAREN) && ts_tree_cursor_goto_first_child(&cur)) {
                depth++;
                continue;
            }
            bool done = false;
            while (!ts_tree_cursor_goto_next_sibling(&cur)) {
                if (depth <= 1 || !ts_tree_cursor_goto_parent(&cur)) {
                    done = true;
                    break;
                }
                depth--;
            }
            if (done)
                break;
        }
    }
    ts_tree_cursor_delete(&cur);
    return found;
}

/* exc_raise_parse() and exc_raise_is_reraise() of exc_common.h take a raise
 * statement apart and tell a re-raise (Ruff's BLE001 semantics). */

/* The callee of a call with its last dotted part: `a.b.f(...)` -> "f". */
static bool call_tail(const struct ctx *c, TSNode call, const char **s, uint32_t *len)
{
    TSNode fn = field(call, F_FUNCTION);
    if (ts_node_is_null(fn))
        return false;
    if (kind_of(fn) == K_ATTRIBUTE)
        fn = field(fn, F_ATTRIBUTE);
    if (ts_node_is_null(fn) || kind_of(fn) != K_IDENTIFIER)
        return false;
    *s = node_text(c, fn, len);
    return true;
}

/* `with excutils.save_and_reraise_exception():` (oslo.utils) is told by
 * exc_with_is_save_and_reraise() of exc_common.h. */

/* Statement walks that follow Ruff's StatementVisitor: into the bodies of
 * compound statements, not into expressions, nested `try` statements,
 * functions or classes. */
static enum visit stmt_scope(TSNode n, enum kind k)
{
    switch (k) {
    case K_TRY:
    case K_FUNCDEF:
    case K_CLASSDEF:
    case K_DECORATED:
    case K_ERROR:
        return V_SKIP;
    case K_BLOCK:
    case K_IF:
    case K_ELIF:
    case K_ELSE:
    case K_FOR:
    case K_WHILE:
    case K_WITH:
    case K_MATCH:
    case K_CASE:
        return V_NEXT;
    default:
        return V_SKIP; /* an expression or a simple statement */
    }
}

struct reraise_arg {
    TSNode name;
};

static enum visit reraise_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    const struct reraise_arg *a = arg;
    enum kind k = kind_of(n);
    if (k == K_RAISE)
        return exc_raise_is_reraise(c->text, c->len, n, a->name) ? V_STOP : V_SKIP;
    if (k == K_WITH && exc_with_is_save_and_reraise(c->text, c->len, n))
        return V_STOP;
    return stmt_scope(n, k);
}

/* Whether the handler re-raises what it caught (Ruff's ReraiseVisitor for
 * BLE001, plus oslo's save_and_reraise_exception). */
static bool handler_reraises(struct ctx *c, const struct exc_handler *h)
{
    struct reraise_arg a = {h->name};
    return walk(c, h->block, reraise_visit, &a);
}

/* ---- recognisers: names and loggers ------------------------------------- */

/* The dotted name of `n` (an identifier or a chain of attributes on one),
 * its first part replaced by what it was imported as, into buf. Returns
 * its length, or -1 when `n` is no dotted name or it does not fit.
 * *imported tells whether the first part was an import. */
static int qualified_name(const struct ctx *c, TSNode n, char *buf, size_t cap, bool *imported)
{
    TSNode parts[EXC_QNAME_PARTS];
    size_t k = 0;
    *imported = false;
    while (!ts_node_is_null(n) && kind_of(n) == K_ATTRIBUTE) {
        if (k == EXC_QNAME_PARTS)
            return -1;
        parts[k++] = field(n, F_ATTRIBUTE);
        if (ts_node_is_null(parts[k - 1]))
            return -1;
        n = field(n, F_OBJECT);
    }
    if (ts_node_is_null(n) || kind_of(n) != K_IDENTIFIER)
        return -1;
    uint32_t len;
    const char *root = node_text(c, n, &len);
    const struct name_ent *imp = names_find(&c->imports, root, len);
    size_t at = 0;
    if (imp != NULL && imp->val != NULL) {
        *imported = true;
        root = imp->val;
        len = (uint32_t)strlen(imp->val);
    }
    if (len + 1 > cap)
        return -1;
    memcpy(buf, root, len);
    at = len;
    while (k > 0) {
        uint32_t plen;
        const char *p = node_text(c, parts[--k], &plen);
        if (at + 1 + plen + 1 > cap)
            return -1;
        buf[at++] = '.';
        memcpy(buf + at, p, plen);
        at += plen;
    }
    buf[at] = '\0';
    return (int)at;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
    size_t pn = strlen(p);
    return n >= pn && memcmp(s, p, pn) == 0;
}

static bool has_suffix(const char *s, size_t n, const char *p)
{
    size_t pn = strlen(p);
    return n >= pn && memcmp(s + n - pn, p, pn) == 0;
}

/* Whether a name reads as a logger's: Ruff's heuristic (starts with "log"
 * or "LOG"; ends with "logger", "logging", "LOGGER" or "LOGGING") plus
 * leading underscores ("_log", "__logger") and "*_log", "*_LOG",
 * "*Logger". */
static bool name_looks_like_logger(const char *s, size_t n)
{
    while (n > 0 && *s == '_')
        s++, n--;
    if (n == 0)
        return false;
    static const char *const prefixes[] = {"log", "LOG"};
    static const char *const suffixes[] = {"logger", "logging", "LOGGER", "LOGGING",
                                           "Logger", "_log",    "_LOG"};
    for (size_t i = 0; i < MG_ARRAY_LEN(prefixes); i++)
        if (has_prefix(s, n, prefixes[i]))
            return true;
    for (size_t i = 0; i < MG_ARRAY_LEN(suffixes); i++)
        if (has_suffix(s, n, suffixes[i]))
            return true;
    return false;
}

/* A configured name pattern: "*" matches any run of characters at its
 * start and/or end ("audit", "*_audit", "audit*", "*audit*"). */
static bool glob_matches(const char *pat, const char *s, size_t n)
{
    size_t pn = strlen(pat);
    bool lead = pn > 0 && pat[0] == '*';
    bool trail = pn > (size_t)lead && pat[pn - 1] == '*';
    const char *core = pat + lead;
    size_t cn = pn - lead - trail;
    if (!lead && !trail)
        return cn == n && memcmp(core, s, n) == 0;
    if (lead && trail)
        return cn == 0 || (n >= cn && memmem(s, n, core, cn) != NULL);
    if (lead)
        return n >= cn && memcmp(s + n - cn, core, cn) == 0;
    return n >= cn && memcmp(s, core, cn) == 0;
}

static bool in_list(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] != NULL && strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* The last part of a dotted expression: `self.log` -> `log`. */
static bool tail_name(const struct ctx *c, TSNode n, const char **s, uint32_t *len)
{
    if (!ts_node_is_null(n) && kind_of(n) == K_ATTRIBUTE)
        n = field(n, F_ATTRIBUTE);
    if (ts_node_is_null(n) || kind_of(n) != K_IDENTIFIER)
        return false;
    *s = node_text(c, n, len);
    return true;
}

/* Calls that make a logger: logging.getLogger / Logger / LoggerAdapter,
 * oslo_log's log.getLogger, structlog.get_logger, and anything whose
 * callee is called getLogger, get_logger or getChild. */
static bool is_logger_factory_call(const struct ctx *c, TSNode call)
{
    static const char *const factories[] = {
        "logging.getLogger",      "logging.Logger",       "logging.LoggerAdapter",
        "oslo_log.log.getLogger", "structlog.get_logger", "structlog.getLogger",
    };
    static const char *const tails[] = {"getLogger", "get_logger", "getChild"};
    if (kind_of(call) != K_CALL)
        return false;
    char qn[EXC_QNAME_MAX];
    bool imported;
    if (qualified_name(c, field(call, F_FUNCTION), qn, sizeof(qn), &imported) >= 0)
        for (size_t i = 0; i < MG_ARRAY_LEN(factories); i++)
            if (strcmp(qn, factories[i]) == 0)
                return true;
    const char *s;
    uint32_t len;
    if (!call_tail(c, call, &s, &len))
        return false;
    for (size_t i = 0; i < MG_ARRAY_LEN(tails); i++)
        if (len == strlen(tails[i]) && memcmp(s, tails[i], len) == 0)
            return true;
    return false;
}

/* Whether `obj` (the `x` of a call `x.method(...)`) is a logger. As Ruff's
 * is_logger_candidate: an inline `logging.getLogger(...)`; when `obj` was
 * imported, only the logging module itself, flask's current_app.logger and
 * the configured dotted names; otherwise a name that reads as a logger's.
 * Also: names this file assigns a logger to, and configured patterns. */
static bool logger_object(const struct ctx *c, TSNode obj)
{
    if (ts_node_is_null(obj))
        return false;
    if (kind_of(obj) == K_CALL)
        return is_logger_factory_call(c, obj);
    char qn[EXC_QNAME_MAX];
    bool imported;
    int qlen = qualified_name(c, obj, qn, sizeof(qn), &imported);
    const struct an_opts *o = c->opts;
    /* Ruff does not resolve relative imports (`from .log import logger`):
     * such names are judged by how they read. */
    if (qlen >= 0 && imported && qn[0] != '.') {
        if (strcmp(qn, "logging") == 0 || strcmp(qn, "flask.current_app.logger") == 0)
            return true;
        return o != NULL && in_list(o->exc_logger_objects, o->n_exc_logger_objects, qn);
    }
    const char *s;
    uint32_t len;
    if (!tail_name(c, obj, &s, &len))
        return false;
    if (name_looks_like_logger(s, len) || names_find(&c->loggers, s, len) != NULL)
        return true;
    if (o != NULL) {
        for (size_t i = 0; i < o->n_exc_logger_objects; i++) {
            const char *p = o->exc_logger_objects[i];
            if (p == NULL)
                continue;
            if (strchr(p, '.') != NULL ? qlen >= 0 && strcmp(p, qn) == 0 : glob_matches(p, s, len))
                return true;
        }
    }
    return false;
}

enum log_level_kind {
    LVL_NONE,  /* not a logging call */
    LVL_DEBUG, /* debug or below */
    LVL_ABOVE, /* info and above, or a level we cannot read */
};

static const char *const log_methods_debug[] = {"debug", "trace"};
static const char *const log_methods_above[] = {"info",  "warn",      "warning", "error",
                                                "fatal", "exception", "critical"};

static bool word_in(const char *s, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (n == strlen(list[i]) && memcmp(s, list[i], n) == 0)
            return true;
    return false;
}

/* logger_object(), or (`loose`) any object whose name reads as a logger's
 * even when it was imported (`from distutils import log`), which Ruff's
 * BLE001 does not accept but MG301 may. */
static bool logger_object_or_loose(const struct ctx *c, TSNode obj, bool loose)
{
    const char *s;
    uint32_t len;
    return logger_object(c, obj) ||
           (loose && tail_name(c, obj, &s, &len) && name_looks_like_logger(s, len));
}

/* The method name of a call on a logger (`LOG.error(...)` -> "error"), or
 * of a call of a function imported from logging (`from logging import
 * exception`). False when the call is not a logger's. */
static bool logger_call_method(const struct ctx *c, TSNode call, bool loose, const char **m,
                               uint32_t *mlen)
{
    TSNode fn = field(call, F_FUNCTION);
    if (ts_node_is_null(fn))
        return false;
    if (kind_of(fn) == K_ATTRIBUTE) {
        TSNode attr = field(fn, F_ATTRIBUTE);
        if (ts_node_is_null(attr) || !logger_object_or_loose(c, field(fn, F_OBJECT), loose))
            return false;
        *m = node_text(c, attr, mlen);
        return true;
    }
    if (kind_of(fn) != K_IDENTIFIER)
        return false;
    char qn[EXC_QNAME_MAX];
    bool imported;
    int qlen = qualified_name(c, fn, qn, sizeof(qn), &imported);
    if (qlen < 0 || !imported || !has_prefix(qn, (size_t)qlen, "logging.") ||
        strchr(qn + 8, '.') != NULL)
        return false;
    const char *real = qn + 8; /* the local name may be an alias: read the real one */
    *m = real;
    *mlen = (uint32_t)strlen(real);
    return true;
}

/* The keyword argument `name=...` of a call, or a null node. */
static TSNode call_keyword(const struct ctx *c, TSNode call, const char *name)
{
    TSNode args = field(call, F_ARGUMENTS);
    if (ts_node_is_null(args) || kind_of(args) != K_ARGLIST)
        return (TSNode){0};
    TSNode a, found = {0};
    struct exc_kids k;
    exc_kids_begin(&k, args);
    while (exc_kids_next(&k, &a)) {
        if (kind_of(a) != K_KEYWORD_ARG)
            continue;
        TSNode key = field(a, F_NAME);
        if (!ts_node_is_null(key) && node_is(c, key, name)) {
            found = field(a, F_VALUE);
            break;
        }
    }
    exc_kids_end(&k);
    return found;
}

/* Whether `v` is known to be false (Ruff's Truthiness: False, None, 0,
 * empty literals). Unknown values count as true, as in Ruff. */
static bool known_falsy(const struct ctx *c, TSNode v)
{
    v = unparen(v);
    switch (kind_of(v)) {
    case K_FALSE:
    case K_NONE:
        return true;
    case K_INTEGER:
    case K_FLOAT: {
        uint32_t len;
        const char *t = node_text(c, v, &len);
        for (uint32_t i = 0; i < len; i++)
            if (t[i] != '0' && t[i] != '.' && t[i] != '_' && t[i] != 'x' && t[i] != 'X' &&
                t[i] != 'o' && t[i] != 'O' && t[i] != 'b' && t[i] != 'B' && t[i] != 'j' &&
                t[i] != 'J' && t[i] != 'e' && t[i] != 'E' && t[i] != '+' && t[i] != '-')
                return false;
        return true;
    }
    case K_STRING: {
        /* Empty: nothing between its quotes (no content, no escape, no
         * interpolation). */
        uint32_t count = ts_node_named_child_count(v);
        for (uint32_t i = 0; i < count; i++) {
            enum kind k = kind_of(ts_node_named_child(v, i));
            if (k != K_STRING_START && k != K_STRING_END)
                return false;
        }
        return true;
    }
    case K_TUPLE:
    case K_LIST:
    case K_DICT:
    case K_SET:
        return ts_node_named_child_count(v) == 0;
    default:
        return false;
    }
}

/* The first positional argument of a call, or a null node. */
static TSNode call_first_arg(TSNode call)
{
    TSNode args = field(call, F_ARGUMENTS);
    if (ts_node_is_null(args) || kind_of(args) != K_ARGLIST)
        return (TSNode){0};
    TSNode a = first_named(args);
    if (ts_node_is_null(a) || kind_of(a) == K_KEYWORD_ARG)
        return (TSNode){0};
    return a;
}

/* How a call logs: not at all (not a logger's call), at debug level, or
 * above. `LOG.log(level, ...)` is read from its level when it is a
 * DEBUG/TRACE constant or a number up to 10. `loose`: see
 * logger_object_or_loose(). */
static enum log_level_kind logger_call_level(const struct ctx *c, TSNode call, bool loose)
{
    const char *m;
    uint32_t mlen;
    if (kind_of(call) != K_CALL || !logger_call_method(c, call, loose, &m, &mlen))
        return LVL_NONE;
    if (word_in(m, mlen, log_methods_debug, MG_ARRAY_LEN(log_methods_debug)))
        return LVL_DEBUG;
    if (word_in(m, mlen, log_methods_above, MG_ARRAY_LEN(log_methods_above)))
        return LVL_ABOVE;
    if (mlen == 3 && memcmp(m, "log", 3) == 0) {
        TSNode lvl = call_first_arg(call);
        const char *s;
        uint32_t len;
        if (ts_node_is_null(lvl))
            return LVL_ABOVE;
        if (kind_of(lvl) == K_INTEGER) {
            s = node_text(c, lvl, &len);
            long v = len < 8 ? strtol(s, NULL, 10) : 100;
            return v <= 10 ? LVL_DEBUG : LVL_ABOVE;
        }
        if (tail_name(c, lvl, &s, &len) &&
            (has_suffix(s, len, "DEBUG") || has_suffix(s, len, "TRACE")))
            return LVL_DEBUG;
        return LVL_ABOVE;
    }
    return LVL_NONE; /* setLevel, isEnabledFor, ...: not logging */
}

/* Whether a call logs the exception with its traceback: `.exception(...)`
 * on a logger, any level method with a truthy `exc_info`, or a configured
 * callable (Ruff's logger-callables). */
static bool logger_call_logs_traceback(const struct ctx *c, TSNode call)
{
    if (kind_of(call) != K_CALL)
        return false;
    const struct an_opts *o = c->opts;
    if (o != NULL && o->n_exc_logger_callables > 0) {
        char qn[EXC_QNAME_MAX];
        bool imported;
        if (qualified_name(c, field(call, F_FUNCTION), qn, sizeof(qn), &imported) >= 0 &&
            in_list(o->exc_logger_callables, o->n_exc_logger_callables, qn))
            return true;
    }
    const char *m;
    uint32_t mlen;
    if (!logger_call_method(c, call, false, &m, &mlen))
        return false;
    if (mlen == 9 && memcmp(m, "exception", 9) == 0)
        return true;
    if (!word_in(m, mlen, log_methods_debug, MG_ARRAY_LEN(log_methods_debug)) &&
        !word_in(m, mlen, log_methods_above, MG_ARRAY_LEN(log_methods_above)) &&
        !(mlen == 3 && memcmp(m, "log", 3) == 0))
        return false;
    TSNode v = call_keyword(c, call, "exc_info");
    return !ts_node_is_null(v) && !known_falsy(c, v);
}

static enum visit logs_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    enum kind k = kind_of(n);
    if (k == K_EXPR_STMT) {
        TSNode e = first_named(n);
        return !ts_node_is_null(e) && logger_call_logs_traceback(c, e) ? V_STOP : V_SKIP;
    }
    return stmt_scope(n, k);
}

/* Whether the handler logs the traceback in one of its statements (Ruff's
 * LogExceptionVisitor: expression statements that are such a call). */
static bool handler_logs_traceback(struct ctx *c, const struct exc_handler *h)
{
    return walk(c, h->block, logs_visit, NULL);
}

/* ---- the walk over the file --------------------------------------------- */

/* Record what an import binds: `import a.b` binds a -> "a"; `import a.b as
 * c` binds c -> "a.b"; `from m import x as y` binds y -> "m.x" (relative
 * modules keep their dots, so they never match a known module). One table
 * for the file, the last import of a name winning: an import inside a
 * function is taken to bind the name everywhere. NEEDSWORK: scopes, for
 * the escape analysis. */
static void note_import(struct ctx *c, TSNode stmt, enum kind k)
{
    char prefix[EXC_QNAME_MAX] = "";
    if (k == K_IMPORT_FROM) {
        TSNode mod = field(stmt, F_MODULE_NAME);
        uint32_t len;
        if (ts_node_is_null(mod))
            return;
        const char *t = node_text(c, mod, &len);
        if (len + 2 > sizeof(prefix))
            return;
        /* A dotted name may hold spaces ("a . b"): keep only name
         * characters and dots. */
        size_t at = 0;
        for (uint32_t i = 0; i < len; i++)
            if (mg_is_ident_byte(t[i]) || t[i] == '.')
                prefix[at++] = t[i];
        prefix[at++] = '.';
        prefix[at] = '\0';
    }
    TSTreeCursor cur = ts_tree_cursor_new(stmt);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            if (ts_tree_cursor_current_field_id(&cur) != fields[F_NAME])
                continue;
            TSNode n = ts_tree_cursor_current_node(&cur);
            TSNode dotted = n, bound = n;
            bool aliased = kind_of(n) == K_ALIASED_IMPORT;
            if (aliased) {
                dotted = field(n, F_NAME);
                bound = field(n, F_ALIAS);
            }
            if (ts_node_is_null(dotted) || ts_node_is_null(bound) ||
                kind_of(dotted) != K_DOTTED_NAME)
                continue;
            if (!aliased)
                bound = first_named(dotted); /* `import a.b` binds `a` */
            if (ts_node_is_null(bound) || kind_of(bound) != K_IDENTIFIER)
                continue;
            uint32_t dlen, blen;
            const char *d = node_text(c, dotted, &dlen);
            const char *b = node_text(c, bound, &blen);
            struct mg_buf v = {0};
            mg_buf_adds(&v, prefix);
            if (k == K_IMPORT && !aliased)
                mg_buf_add(&v, b, blen);
            else
                for (uint32_t i = 0; i < dlen; i++)
                    if (mg_is_ident_byte(d[i]) || d[i] == '.')
                        mg_buf_add(&v, d + i, 1);
            names_put(&c->imports, b, blen, mg_buf_detach(&v, NULL));
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
}

/* `X = logging.getLogger(...)` (and `self.x = ...`, `a = b = ...`): remember
 * the names. `module_level`: the first such plain name becomes the logger
 * fixes use. */
static void note_assignment(struct ctx *c, TSNode stmt, bool module_level)
{
    if (!offsets_within(&c->factories, ts_node_start_byte(stmt), ts_node_end_byte(stmt)))
        return;
    TSNode a = first_named(stmt);
    if (ts_node_is_null(a) || kind_of(a) != K_ASSIGNMENT)
        return;
    /* Find the value at the end of a chain `a = b = value`. */
    TSNode value = a;
    for (int i = 0; i < 64 && !ts_node_is_null(value) && kind_of(value) == K_ASSIGNMENT; i++)
        value = field(value, F_RIGHT);
    if (ts_node_is_null(value) || !is_logger_factory_call(c, value))
        return;
    for (TSNode t = a; !ts_node_is_null(t) && kind_of(t) == K_ASSIGNMENT; t = field(t, F_RIGHT)) {
        TSNode left = field(t, F_LEFT);
        const char *s;
        uint32_t len;
        if (!tail_name(c, left, &s, &len))
            continue;
        names_put(&c->loggers, s, len, NULL);
        if (module_level && !c->has_logger && kind_of(left) == K_IDENTIFIER) {
            c->has_logger = true;
            c->logger_start = ts_node_start_byte(left);
            c->logger_end = ts_node_end_byte(left);
            c->logger_stmt_start = ts_node_start_byte(stmt);
        }
    }
}

/* Whether the main walk enters a node of kind `k`: statements that hold
 * statements. */
static bool holds_statements(enum kind k)
{
    switch (k) {
    case K_MODULE:
    case K_BLOCK:
    case K_ERROR:
    case K_TRY:
    case K_EXCEPT:
    case K_EXCEPT_GROUP:
    case K_ELSE:
    case K_ELIF:
    case K_FINALLY:
    case K_IF:
    case K_FOR:
    case K_WHILE:
    case K_WITH:
    case K_MATCH:
    case K_CASE:
    case K_FUNCDEF:
    case K_CLASSDEF:
    case K_DECORATED:
        return true;
    default:
        return false;
    }
}

struct frame {
    TSNode node;
    TSNode prev; /* the previous statement in this block (not a comment) */
    uint8_t kind;
    bool has_prev;
};

/* A handler found at path[top]: note it with its context. */
static void note_handler(struct ctx *c, const struct frame *path, size_t top)
{
    if (top < 1 || path[top - 1].kind != K_TRY)
        return;
    struct site s = {.handler = path[top].node, .try_stmt = path[top - 1].node};
    s.scope_start = 0;
    s.scope_end = c->len;
    bool loops_done = false;
    for (size_t i = top - 1; i-- > 0;) {
        enum kind k = (enum kind)path[i].kind;
        if (k == K_FUNCDEF || k == K_CLASSDEF) {
            if (k == K_FUNCDEF) {
                s.scope_start = ts_node_start_byte(path[i].node);
                s.scope_end = ts_node_end_byte(path[i].node);
            }
            break;
        }
        if (!loops_done && (k == K_FOR || k == K_WHILE)) {
            /* Entered through its else clause: the try is not retried. */
            if (path[i + 1].kind != K_BLOCK || s.n_loops == EXC_MAX_LOOPS)
                loops_done = true;
            else
                s.loops[s.n_loops++] = path[i].node;
        }
    }
    MG_GROW(c->sites, c->cap_sites, c->n_sites + 1);
    c->sites[c->n_sites++] = s;
}

static void note_statement(struct ctx *c, struct frame *path, size_t top)
{
    struct frame *f = &path[top];
    enum kind k = (enum kind)f->kind;
    if (k == K_EXCEPT || k == K_EXCEPT_GROUP) {
        note_handler(c, path, top);
    } else if (k == K_IMPORT || k == K_IMPORT_FROM) {
        note_import(c, f->node, k);
    } else if (k == K_EXPR_STMT) {
        bool module_level = true;
        for (size_t i = 0; i < top && module_level; i++)
            module_level = path[i].kind != K_FUNCDEF && path[i].kind != K_CLASSDEF;
        note_assignment(c, f->node, module_level);
    }
    /* The statement after a loop, for the retry check. */
    if (k != K_COMMENT && ts_node_is_named(f->node) && f->has_prev &&
        (kind_of(f->prev) == K_FOR || kind_of(f->prev) == K_WHILE)) {
        MG_GROW(c->loops, c->cap_loops, c->n_loops + 1);
        c->loops[c->n_loops++] = (struct after_loop){ts_node_start_byte(f->prev), f->node};
    }
}

/* One pass over the statements of the file: imports, loggers, handlers. */
static void walk_file(struct ctx *c, TSNode root)
{
    TSTreeCursor cur = ts_tree_cursor_new(root);
    struct frame *path = NULL;
    size_t cap = 0, top = 0;
    MG_GROW(path, cap, 1);
    path[0] = (struct frame){.node = root, .kind = (uint8_t)kind_of(root)};
    if (!holds_statements((enum kind)path[0].kind) || !ts_tree_cursor_goto_first_child(&cur))
        goto out;
    top = 1;
    MG_GROW(path, cap, 2);
    memset(&path[1], 0, sizeof(path[1]));
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        struct frame *f = &path[top];
        f->node = n;
        f->kind = (uint8_t)kind_of(n);
        note_statement(c, path, top);
        /* An ERROR node may hold thousands of loose tokens: enter it only
         * for the handlers in it (its imports and loggers are lost). */
        if (holds_statements((enum kind)f->kind) &&
            offsets_within(f->kind == K_ERROR ? &c->excepts : &c->hot, ts_node_start_byte(n),
                           ts_node_end_byte(n)) &&
            ts_tree_cursor_goto_first_child(&cur)) {
            MG_GROW(path, cap, top + 2);
            top++;
            memset(&path[top], 0, sizeof(path[top]));
            continue;
        }
        for (;;) {
            /* Moving on from path[top].node: it becomes the previous
             * statement unless it is a comment or a token. */
            struct frame *g = &path[top];
            if (ts_node_is_named(g->node) && g->kind != K_COMMENT) {
                g->prev = g->node;
                g->has_prev = true;
            }
            if (ts_tree_cursor_goto_next_sibling(&cur))
                break;
            if (top <= 1 || !ts_tree_cursor_goto_parent(&cur))
                goto out;
            top--;
        }
    }
out:
    free(path);
    ts_tree_cursor_delete(&cur);
}

/* ---- findings and fixes ------------------------------------------------- */

static void add(struct ctx *c, enum rule_id r, uint32_t start, uint32_t end, const char *msg,
                struct an_fix *fix)
{
    static const char *const codes[R__COUNT] = {"E722", "BLE001", "S110", "S112", "B904", "MG301"};
    struct an_diag d = {0};
    snprintf(d.code, sizeof(d.code), "%s", codes[r]);
    d.severity = AN_WARNING;
    d.start = start;
    d.end = end;
    d.message = (char *)msg;
    d.fixes = fix;
    d.n_fixes = fix != NULL ? 1 : 0;
    diag_list_add(c->out, &d);
}

/* The end of the last statement of a block (a block's own range may run on
 * over trailing comments). */
static uint32_t block_end(TSNode block)
{
    TSNode last = last_named(block);
    return ts_node_end_byte(ts_node_is_null(last) ? block : last);
}

/* The only statement of a block, or a null node when it has more or none. */
static TSNode block_single(TSNode block)
{
    TSNode only = {0}, ch;
    struct exc_kids k;
    exc_kids_begin(&k, block);
    if (!exc_kids_next(&k, &only) || exc_kids_next(&k, &ch))
        only = (TSNode){0};
    exc_kids_end(&k);
    return only;
}

/* E722's exception: a bare `raise` (or oslo's save_and_reraise_exception
 * block) among the handler's own statements. */
static bool block_reraises_at_top(const struct ctx *c, TSNode block)
{
    bool found = false;
    TSNode ch;
    struct exc_kids k;
    exc_kids_begin(&k, block);
    while (!found && exc_kids_next(&k, &ch)) {
        enum kind kd = kind_of(ch);
        if (kd == K_RAISE) {
            TSNode exc, cause;
            exc_raise_parse(ch, &exc, &cause);
            found = ts_node_is_null(exc) && ts_node_is_null(cause);
        } else if (kd == K_WITH) {
            found = exc_with_is_save_and_reraise(c->text, c->len, ch);
        }
    }
    exc_kids_end(&k);
    return found;
}

static void check_e722(struct ctx *c, const struct exc_handler *h)
{
    if (!ts_node_is_null(h->type) || block_reraises_at_top(c, h->block))
        return;
    /* `except:` -> `except Exception:` stops catching KeyboardInterrupt and
     * SystemExit: offered (never applied by fix-all) only where BLE001
     * will not then report the handler, so the fix leaves nothing behind. */
    struct an_edit e = {h->kw_end, h->kw_end, " Exception"};
    struct an_fix fix = {"Replace with `except Exception:`", &e, 1, false};
    bool fixable = handler_reraises(c, h) || handler_logs_traceback(c, h);
    add(c, R_E722, h->kw_start, h->kw_end, "Do not use bare `except`", fixable ? &fix : NULL);
}

static void check_ble001(struct ctx *c, const struct exc_handler *h)
{
    const char *which = NULL;
    TSNode broad = catch_find_broad(c, h->type, &which);
    if (ts_node_is_null(broad) || handler_reraises(c, h) || handler_logs_traceback(c, h))
        return;
    char *msg = xasprintf("Do not catch blind exception: `%s`", which);
    add(c, R_BLE001, ts_node_start_byte(broad), ts_node_end_byte(broad), msg, NULL);
    free(msg);
}

/* A fix that replaces the handler's lone `pass` with a call logging the
 * exception, through the module's logger, defined before the handler. */
static bool pass_to_log_fix(const struct ctx *c, const struct exc_handler *h, struct an_fix *fix,
                            struct an_edit *e, char **title)
{
    TSNode only = block_single(h->block);
    if (!c->has_logger || ts_node_is_null(only) || kind_of(only) != K_PASS ||
        c->logger_stmt_start >= ts_node_start_byte(h->node))
        return false;
    int n = (int)(c->logger_end - c->logger_start);
    const char *logger = c->text + c->logger_start;
    e->start = ts_node_start_byte(only);
    e->end = ts_node_end_byte(only);
    e->new_text = xasprintf("%.*s.exception(\"%s\")", n, logger, EXC_LOGGER_MESSAGE);
    *title = xasprintf("Log the exception with `%.*s.exception()`", n, logger);
    *fix = (struct an_fix){*title, e, 1, false};
    return true;
}

/* S110 / S112 for this handler (whether enabled or not). */
static enum rule_id bandit_rule(const struct ctx *c, const struct exc_handler *h, bool untyped)
{
    TSNode only = block_single(h->block);
    bool typed_too = c->opts != NULL && c->opts->exc_check_typed_exception;
    if (ts_node_is_null(only) || !(untyped || typed_too))
        return R__COUNT;
    if (kind_of(only) == K_PASS)
        return R_S110;
    if (kind_of(only) == K_CONTINUE)
        return R_S112;
    return R__COUNT;
}

static void check_bandit(struct ctx *c, const struct exc_handler *h, enum rule_id r)
{
    uint32_t start = ts_node_start_byte(h->node), end = block_end(h->block);
    if (r == R_S112) {
        add(c, r, start, end, "`try`-`except`-`continue` detected, consider logging the exception",
            NULL);
        return;
    }
    struct an_fix fix;
    struct an_edit e;
    char *title = NULL;
    bool fixable = pass_to_log_fix(c, h, &fix, &e, &title);
    add(c, r, start, end, "`try`-`except`-`pass` detected, consider logging the exception",
        fixable ? &fix : NULL);
    if (fixable) {
        free(e.new_text);
        free(title);
    }
}

/* ---- B904 ---- */

/* Ruff's RaiseStatementVisitor: the bodies of if/elif/else, of for and
 * while (not their else clauses), of with and of match cases; not nested
 * try statements, functions or classes. */
static enum visit raises_scope(TSNode n, enum kind k, enum kind parent)
{
    if (k == K_ELSE && (parent == K_FOR || parent == K_WHILE))
        return V_SKIP;
    return stmt_scope(n, k);
}

struct b904_arg {
    const struct exc_handler *h;
    const struct site *s;
};

/* Whether the identifier bind_names[w] occurs in [start, end) (not the
 * word in a comment or a string). */
static bool word_used_in(struct ctx *c, size_t w, uint32_t start, uint32_t end)
{
    struct offsets *o = &c->words[w];
    if (!o->built) {
        offsets_find(c, bind_names[w], true, o);
        o->built = true;
    }
    uint32_t n = (uint32_t)strlen(bind_names[w]);
    for (size_t i = offsets_lower(o, start); i < o->n && o->at[i] < end; i++) {
        TSNode id = ts_node_descendant_for_byte_range(c->root, o->at[i], o->at[i] + n);
        if (kind_of(id) == K_IDENTIFIER)
            return true;
    }
    return false;
}

static void report_b904(struct ctx *c, const struct exc_handler *h, const struct site *s,
                        TSNode raise, TSNode exc)
{
    const char *msg = h->star ? "Within an `except*` clause, raise exceptions with `raise ... "
                                "from err` or `raise ... from None` to distinguish them from "
                                "errors in exception handling"
                              : "Within an `except` clause, raise exceptions with `raise ... "
                                "from err` or `raise ... from None` to distinguish them from "
                                "errors in exception handling";
    struct an_edit edits[2];
    struct an_fix fix = {NULL, edits, 0, false};
    char *title = NULL;
    uint32_t at = ts_node_end_byte(exc);
    if (!ts_node_is_null(h->name)) {
        uint32_t len;
        const char *name = node_text(c, h->name, &len);
        edits[0] = (struct an_edit){at, at, xasprintf(" from %.*s", (int)len, name)};
        fix.n_edits = 1;
        title = xasprintf("Raise from `%.*s`", (int)len, name);
    } else if (ts_node_is_null(h->alias) && !ts_node_is_null(h->type)) {
        /* Bind the exception to a name the enclosing scope does not use:
         * the handler deletes its name when it ends. */
        for (size_t w = 0; w < MG_ARRAY_LEN(bind_names); w++) {
            if (word_used_in(c, w, s->scope_start, s->scope_end))
                continue;
            uint32_t type_end = ts_node_end_byte(h->type_written);
            edits[0] = (struct an_edit){type_end, type_end, xasprintf(" as %s", bind_names[w])};
            edits[1] = (struct an_edit){at, at, xasprintf(" from %s", bind_names[w])};
            fix.n_edits = 2;
            title = xasprintf("Bind the exception as `%s` and raise from it", bind_names[w]);
            break;
        }
    }
    fix.title = title;
    add(c, R_B904, ts_node_start_byte(raise), ts_node_end_byte(raise), msg,
        fix.n_edits > 0 ? &fix : NULL);
    for (size_t i = 0; i < fix.n_edits; i++)
        free(edits[i].new_text);
    free(title);
}

static enum visit b904_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    const struct b904_arg *a = arg;
    enum kind k = kind_of(n);
    if (k != K_RAISE)
        return raises_scope(n, k, parent);
    TSNode exc, cause;
    exc_raise_parse(n, &exc, &cause);
    if (!ts_node_is_null(cause) || ts_node_is_null(exc))
        return V_SKIP;
    if (!ts_node_is_null(a->h->name) && kind_of(exc) == K_IDENTIFIER) {
        uint32_t l1, l2;
        const char *t1 = node_text(c, exc, &l1), *t2 = node_text(c, a->h->name, &l2);
        if (l1 == l2 && memcmp(t1, t2, l1) == 0)
            return V_SKIP; /* `raise e`: a re-raise */
    }
    report_b904(c, a->h, a->s, n, exc);
    return V_SKIP;
}

/* ---- MG301 ---- */

/* A typed handler whose exception vanishes: it neither re-raises, nor
 * returns, yields or assigns anything, nor calls anything but a logger at
 * debug level. Most such handlers in real code are deliberate (EAFP:
 * `try: os.remove(p) except FileNotFoundError: pass`), and a finding there
 * costs more trust than it earns, so MG301 stays silent wherever the code
 * shows the ignoring was meant:
 *
 *   - the handler says why: a comment or a string in it, or a log call at
 *     debug level, whose message records the decision ("port %s already
 *     deleted, ignoring");
 *   - the try has an `else`: the handler is the other branch of a test;
 *   - the try body only imports, or imports and the handler catches
 *     ImportError: an optional import;
 *   - the try body does one thing (one simple statement, or one `with` /
 *     `for` header): the caught type names that operation's expected
 *     failure, as contextlib.suppress() would;
 *   - the caught types are control flow (StopIteration, GeneratorExit,
 *     KeyboardInterrupt, SystemExit, ...);
 *   - the try body returns or raises, or ends with `break`/`continue`:
 *     the code after the try is the failure path (an `else` turned
 *     inside out); or it ends with `self.fail(...)` (a test);
 *   - the try sits in a loop over candidates (`for x in xs:`, `while
 *     cond:`) and leaves the loop when it succeeds: failing means "try the
 *     next one";
 *   - the try sits in a retry loop (`for _ in range(n):`, `while
 *     attempts < n:`) that leaves on success and gives up loudly: its
 *     `else`, or the statement after it (after the outer loop, when the
 *     retry loop ends an outer loop's body), raises or logs above debug
 *     level. A retry loop that gives up quietly is reported whatever its
 *     body: the last failure is lost. Other loops (`while cond:` searches
 *     and polls, `while True:`) leave the handler to the rules above.
 *
 * What is left is a handler that silently drops the failure of several
 * operations at once, which is where a lost exception hides a bug. */

struct swallow_arg {
    bool handled;   /* the handler does something with the failure */
    bool debug_log; /* it logs at debug level */
    bool comment;   /* it explains itself in a comment or a string */
};

static enum visit swallow_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    struct swallow_arg *a = arg;
    switch (kind_of(n)) {
    case K_COMMENT:
        a->comment = true;
        return V_SKIP;
    case K_EXPR_STMT: {
        TSNode e = first_named(n);
        if (!ts_node_is_null(e) && (kind_of(e) == K_STRING || kind_of(e) == K_CONCAT_STRING)) {
            a->comment = true;
            return V_SKIP;
        }
        return V_NEXT;
    }
    case K_CALL:
        if (logger_call_level(c, n, true) == LVL_DEBUG) {
            a->debug_log = true;
            return V_SKIP; /* what its arguments compute is for the message */
        }
        a->handled = true;
        return V_STOP;
    case K_RAISE:
    case K_RETURN:
    case K_YIELD:
    case K_AWAIT:
    case K_ASSIGNMENT:
    case K_AUG_ASSIGNMENT:
    case K_NAMED_EXPR:
    case K_DELETE:
    case K_IMPORT:
    case K_IMPORT_FROM:
    case K_FUTURE_IMPORT:
    case K_WITH:
    case K_FOR:
    case K_ASSERT:
    case K_PRINT:
    case K_EXEC:
    case K_TYPE_ALIAS:
    case K_BREAK:
    case K_CONTINUE:
    case K_FUNCDEF:
    case K_CLASSDEF:
    case K_DECORATED:
    case K_ERROR:
        a->handled = true;
        return V_STOP;
    case K_LAMBDA:
        return V_SKIP;
    default:
        return V_NEXT;
    }
}

/* Whether the handler does something with the exception, or explains in
 * a comment why it does not. */
static void handler_swallows(struct ctx *c, const struct exc_handler *h, struct swallow_arg *a)
{
    memset(a, 0, sizeof(*a));
    /* A comment between `except ...:` and the first statement belongs to
     * the clause, not to its block. */
    uint32_t count = ts_node_named_child_count(h->node);
    for (uint32_t i = 0; i < count; i++)
        if (kind_of(ts_node_named_child(h->node, i)) == K_COMMENT)
            a->comment = true;
    walk(c, h->block, swallow_visit, a);
}

static enum visit runs_code_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    switch (kind_of(n)) {
    case K_CALL:
        /* Logging is not what the try is for. */
        return logger_call_level(c, n, true) != LVL_NONE ? V_SKIP : V_STOP;
    case K_AWAIT:
    case K_ATTRIBUTE:
    case K_SUBSCRIPT:
    case K_RAISE:
    case K_IMPORT:
    case K_IMPORT_FROM:
    case K_DELETE:
    case K_ASSERT:
    case K_PRINT:
    case K_EXEC:
        return V_STOP;
    case K_LAMBDA:
    case K_FUNCDEF:
    case K_CLASSDEF:
    case K_DECORATED:
        return V_SKIP;
    default:
        return V_NEXT;
    }
}

/* Whether the try body is one statement that may fail: of its own
 * statements, at most one runs code (a call other than logging, an
 * attribute, a subscript, an import...); a compound statement counts
 * once, whatever it holds (`with open(p) as f: lines.extend(f)`, or
 * `if windows: h.Close() else: os.close(fd)`). */
static bool try_body_does_one_thing(struct ctx *c, TSNode body)
{
    unsigned ops = 0;
    TSTreeCursor cur = ts_tree_cursor_new(body);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode n = ts_tree_cursor_current_node(&cur);
            if (!ts_node_is_named(n) || kind_of(n) == K_COMMENT)
                continue;
            if (runs_code_visit(c, n, K_BLOCK, NULL) == V_STOP || walk(c, n, runs_code_visit, NULL))
                ops++;
        } while (ops <= 1 && ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return ops <= 1;
}

static bool is_import_error(const struct ctx *c, TSNode n)
{
    static const char *const names[] = {"ImportError", "ModuleNotFoundError"};
    const char *s;
    uint32_t len;
    return tail_name(c, n, &s, &len) && word_in(s, len, names, MG_ARRAY_LEN(names));
}

/* An optional import: the try body only imports, or it imports and the
 * handler catches ImportError. The failure is the answer, not an error. */
static bool is_optional_import(const struct ctx *c, const struct exc_handler *h, TSNode body)
{
    bool any = false, only = true;
    TSNode ch;
    struct exc_kids k;
    exc_kids_begin(&k, body);
    while (exc_kids_next(&k, &ch)) {
        if (kind_of(ch) == K_IMPORT || kind_of(ch) == K_IMPORT_FROM)
            any = true;
        else
            only = false;
    }
    exc_kids_end(&k);
    if (!any)
        return false;
    if (only)
        return true;
    TSNode t = h->type;
    if (kind_of(t) != K_TUPLE)
        return is_import_error(c, t);
    bool found = false;
    exc_kids_begin(&k, t);
    while (!found && exc_kids_next(&k, &t))
        found = is_import_error(c, unparen(t));
    exc_kids_end(&k);
    return found;
}

static bool is_flow_name(const struct ctx *c, TSNode n)
{
    static const char *const flow[] = {"StopIteration", "StopAsyncIteration", "GeneratorExit",
                                       "KeyboardInterrupt", "SystemExit"};
    const char *s;
    uint32_t len;
    return kind_of(n) == K_IDENTIFIER && tail_name(c, n, &s, &len) &&
           word_in(s, len, flow, MG_ARRAY_LEN(flow));
}

/* Whether every type the handler catches is a control-flow exception. */
static bool catches_only_flow(const struct ctx *c, const struct exc_handler *h)
{
    if (kind_of(h->type) != K_TUPLE)
        return is_flow_name(c, h->type);
    bool any = false, all = true;
    TSNode el;
    struct exc_kids k;
    exc_kids_begin(&k, h->type);
    while (all && exc_kids_next(&k, &el)) {
        all = is_flow_name(c, unparen(el));
        any = true;
    }
    exc_kids_end(&k);
    return any && all;
}

static enum visit loud_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    enum kind k = kind_of(n);
    if (k == K_RAISE || (k == K_CALL && logger_call_level(c, n, true) == LVL_ABOVE))
        return V_STOP;
    if (k == K_FUNCDEF || k == K_CLASSDEF || k == K_DECORATED || k == K_LAMBDA)
        return V_SKIP;
    return V_NEXT;
}

/* Whether `n` raises or logs above debug level, itself or inside. */
static bool is_loud(struct ctx *c, TSNode n)
{
    enum kind k = kind_of(n);
    if (k == K_RAISE)
        return true;
    if (k == K_EXPR_STMT) {
        TSNode e = first_named(n);
        if (!ts_node_is_null(e) && kind_of(e) == K_CALL &&
            logger_call_level(c, e, true) == LVL_ABOVE)
            return true;
    }
    return walk(c, n, loud_visit, NULL);
}

static enum visit exits_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    enum kind k = kind_of(n);
    /* A break in a nested loop leaves only that loop, but this only asks
     * whether success ends the looping: erring towards yes reports less. */
    if (k == K_RETURN || k == K_BREAK)
        return V_STOP;
    if (k == K_FUNCDEF || k == K_CLASSDEF || k == K_DECORATED || k == K_LAMBDA)
        return V_SKIP;
    return V_NEXT;
}

static int after_loop_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct after_loop *)a)->loop_start;
    uint32_t y = ((const struct after_loop *)b)->loop_start;
    return x < y ? -1 : x > y;
}

static enum visit retry_name_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    static const char *const words[] = {"retr", "attempt", "tries", "tried",
                                        "RETR", "ATTEMPT", "TRIES"};
    if (kind_of(n) != K_IDENTIFIER)
        return V_NEXT;
    uint32_t len;
    const char *t = node_text(c, n, &len);
    for (size_t i = 0; i < MG_ARRAY_LEN(words); i++)
        if (memmem(t, len, words[i], strlen(words[i])) != NULL)
            return V_STOP;
    return V_SKIP;
}

/* A retry loop counts its attempts: `for ... in range(...)` (or
 * itertools.count/repeat), or a `while` whose condition names them
 * (`while attempts < 3:`, `while retries:`). Any other `for` walks
 * candidates, any other `while` searches or polls. */
static bool is_retry_loop(struct ctx *c, TSNode loop)
{
    if (kind_of(loop) == K_WHILE) {
        TSNode cond = first_named(loop);
        return !ts_node_is_null(cond) && (retry_name_visit(c, cond, K_WHILE, NULL) == V_STOP ||
                                          walk(c, cond, retry_name_visit, NULL));
    }
    TSNode iter = field(loop, F_RIGHT);
    const char *s;
    uint32_t len;
    static const char *const counters[] = {"range", "xrange", "count", "repeat"};
    return !ts_node_is_null(iter) && kind_of(iter) == K_CALL && call_tail(c, iter, &s, &len) &&
           word_in(s, len, counters, MG_ARRAY_LEN(counters));
}

static enum visit leaves_visit(struct ctx *c, TSNode n, enum kind parent, void *arg)
{
    enum kind k = kind_of(n);
    if (k == K_RETURN || k == K_RAISE)
        return V_STOP;
    if (k == K_FUNCDEF || k == K_CLASSDEF || k == K_DECORATED || k == K_LAMBDA)
        return V_SKIP;
    return V_NEXT;
}

/* Whether the try body leaves on success or jumps on purpose: a `return`
 * or `raise` in it (the code after the try is then the failure path, an
 * `else` turned inside out; a `raise` of the caught type is a goto), or a
 * last statement that is `break` / `continue`, or that fails
 * (`self.fail(...)`, `pytest.fail(...)`: a test expecting the exception). */
static bool body_leaves(struct ctx *c, TSNode body)
{
    if (walk(c, body, leaves_visit, NULL))
        return true;
    TSNode last = last_named(body);
    if (ts_node_is_null(last))
        return false;
    enum kind k = kind_of(last);
    if (k == K_BREAK || k == K_CONTINUE)
        return true;
    TSNode e = k == K_EXPR_STMT ? first_named(last) : (TSNode){0};
    const char *s;
    uint32_t len;
    return !ts_node_is_null(e) && kind_of(e) == K_CALL && call_tail(c, e, &s, &len) && len == 4 &&
           memcmp(s, "fail", 4) == 0;
}

enum loop_verdict {
    LOOP_NONE,    /* not a try that ends a loop on success */
    LOOP_HANDLES, /* the loop makes the silence the handling */
    LOOP_SILENT,  /* a retry loop that gives up without a word */
};

/* For a try that leaves its loop on success: a search over candidates or
 * a poll (the next round is the handling), or a retry loop, which must
 * give up loudly. */
static enum loop_verdict loop_verdict(struct ctx *c, const struct site *s, TSNode body)
{
    if (s->n_loops == 0 || !walk(c, body, exits_visit, NULL))
        return LOOP_NONE;
    if (!is_retry_loop(c, s->loops[0]))
        return LOOP_HANDLES;
    /* Giving up: the loop's else, or the statement after it; when the
     * loop ends the body of an outer loop, what follows that one. */
    for (size_t i = 0; i < s->n_loops; i++) {
        TSNode else_clause = field(s->loops[i], F_ALTERNATIVE);
        if (!ts_node_is_null(else_clause) && is_loud(c, else_clause))
            return LOOP_HANDLES;
        struct after_loop key = {.loop_start = ts_node_start_byte(s->loops[i])};
        const struct after_loop *next =
            c->n_loops == 0
                ? NULL
                : bsearch(&key, c->loops, c->n_loops, sizeof(*c->loops), after_loop_cmp);
        if (next != NULL)
            return is_loud(c, next->next) ? LOOP_HANDLES : LOOP_SILENT;
    }
    return LOOP_SILENT;
}

/* The handler's type as written, on one line and cut short, for messages. */
static char *quote_type(const struct ctx *c, const struct exc_handler *h)
{
    uint32_t from = ts_node_start_byte(h->type_written), to = ts_node_end_byte(h->type_written);
    struct mg_buf b = {0};
    bool space = false;
    size_t n = 0;
    for (uint32_t i = from; i < to && i < c->len; i++) {
        char ch = c->text[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\\') {
            space = n > 0;
            continue;
        }
        if (space) {
            mg_buf_adds(&b, " ");
            n++;
            space = false;
        }
        if (n >= EXC_TYPE_QUOTE_MAX && ((unsigned char)ch & 0xc0) != 0x80) {
            mg_buf_adds(&b, "...");
            break;
        }
        mg_buf_add(&b, &ch, 1);
        n++;
    }
    if (b.data == NULL)
        mg_buf_add(&b, "", 0);
    return mg_buf_detach(&b, NULL);
}

static void check_mg301(struct ctx *c, const struct exc_handler *h, const struct site *s)
{
    struct swallow_arg a;
    handler_swallows(c, h, &a);
    if (a.handled || a.comment || a.debug_log || catches_only_flow(c, h))
        return;
    bool has_else = false;
    TSNode ch;
    struct exc_kids k;
    exc_kids_begin(&k, s->try_stmt);
    while (!has_else && exc_kids_next(&k, &ch))
        has_else = kind_of(ch) == K_ELSE;
    exc_kids_end(&k);
    if (has_else)
        return;
    TSNode body = field(s->try_stmt, F_BODY);
    if (ts_node_is_null(body))
        return;
    switch (loop_verdict(c, s, body)) {
    case LOOP_HANDLES:
        return;
    case LOOP_SILENT:
        break; /* whatever the body: the last failure is lost */
    case LOOP_NONE:
        if (is_optional_import(c, h, body) || try_body_does_one_thing(c, body) ||
            body_leaves(c, body))
            return;
        break;
    }
    char *type = quote_type(c, h);
    char *msg = xasprintf("`except %s:` swallows the exception: it is neither re-raised, "
                          "handled nor logged",
                          type);
    struct an_fix fix;
    struct an_edit e;
    char *title = NULL;
    bool fixable = pass_to_log_fix(c, h, &fix, &e, &title);
    add(c, R_MG301, h->kw_start, h->header_end, msg, fixable ? &fix : NULL);
    if (fixable) {
        free(e.new_text);
        free(title);
    }
    free(msg);
    free(type);
}

/* ---- running ------------------------------------------------------------ */

static void check_site(struct ctx *c, const struct site *s)
{
    struct exc_handler h;
    if (ts_node_has_error(s->handler) || !exc_handler_parse(s->handler, &h))
        return;
    const char *which = NULL;
    bool broad = !ts_node_is_null(h.type) && !ts_node_is_null(catch_find_broad(c, h.type, &which));
    bool untyped = ts_node_is_null(h.type) || broad;
    if (c->on[R_E722])
        check_e722(c, &h);
    if (c->on[R_BLE001] && broad)
        check_ble001(c, &h);
    enum rule_id bandit = bandit_rule(c, &h, untyped);
    if (bandit != R__COUNT && c->on[bandit])
        check_bandit(c, &h, bandit);
    if (c->on[R_B904]) {
        struct b904_arg a = {&h, s};
        walk(c, h.block, b904_visit, &a);
    }
    /* MG301 is for handlers of specific types; S110/S112 speak for it when
     * they report the same handler. */
    if (c->on[R_MG301] && !untyped && !(bandit != R__COUNT && c->on[bandit]))
        check_mg301(c, &h, s);
}

static int run(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out)
{
    if (doc->tree == NULL || doc->len > UINT32_MAX)
        return 0;
    static const char *const codes[R__COUNT] = {"E722", "BLE001", "S110", "S112", "B904", "MG301"};
    struct ctx c = {.text = doc->text,
                    .len = (uint32_t)doc->len,
                    .root = ts_tree_root_node(doc->tree),
                    .opts = opts,
                    .out = out};
    bool any = false;
    for (size_t r = 0; r < R__COUNT; r++)
        any |= c.on[r] = an_rule_enabled(opts, codes[r]);
    if (!any)
        return 0;
    /* No handler, no finding: most files of a workspace stop here. */
    offsets_find(&c, "except", false, &c.excepts);
    if (doc->scope != NULL) {
        /* Only the handlers in scope; imports and loggers anywhere still
         * count, since they are matched by name across the file. */
        size_t k = 0;
        for (size_t i = 0; i < c.excepts.n; i++)
            if (an_in_scope(doc, c.excepts.at[i], c.excepts.at[i] + 6))
                c.excepts.at[k++] = c.excepts.at[i];
        c.excepts.n = k;
    }
    if (c.excepts.n == 0) {
        free(c.excepts.at);
        return 0;
    }
    /* The words the walk looks for. "Logger" also finds LoggerAdapter. */
    static const char *const factory_words[] = {"getLogger", "get_logger", "getChild", "Logger"};
    for (size_t i = 0; i < MG_ARRAY_LEN(factory_words); i++)
        offsets_find(&c, factory_words[i], false, &c.factories);
    if (c.factories.n > 1)
        qsort(c.factories.at, c.factories.n, sizeof(*c.factories.at), u32_cmp);
    MG_GROW(c.hot.at, c.hot.cap, c.excepts.n);
    memcpy(c.hot.at, c.excepts.at, c.excepts.n * sizeof(*c.hot.at));
    c.hot.n = c.excepts.n;
    offsets_find(&c, "import", true, &c.hot);
    if (c.factories.n > 0) {
        MG_GROW(c.hot.at, c.hot.cap, c.hot.n + c.factories.n);
        memcpy(c.hot.at + c.hot.n, c.factories.at, c.factories.n * sizeof(*c.hot.at));
        c.hot.n += c.factories.n;
    }
    if (c.hot.n > 1)
        qsort(c.hot.at, c.hot.n, sizeof(*c.hot.at), u32_cmp);
    if (c.hot.n > 0)
        walk_file(&c, c.root);
    if (c.n_sites > 0) {
        if (c.n_loops > 1)
            qsort(c.loops, c.n_loops, sizeof(*c.loops), after_loop_cmp);
        for (size_t i = 0; i < c.n_sites; i++)
            check_site(&c, &c.sites[i]);
    }
    names_release(&c.imports);
    names_release(&c.loggers);
    free(c.sites);
    free(c.loops);
    for (size_t w = 0; w < MG_ARRAY_LEN(bind_names); w++)
        free(c.words[w].at);
    free(c.hot.at);
    free(c.factories.at);
    free(c.excepts.at);
    return 0;
}

static const struct an_rule rules[] = {
    {"E722", "bare-except", AN_WARNING, "bare `except:` catches everything, even Ctrl-C", 396},
    {"BLE001", "blind-except", AN_WARNING,
     "`except Exception` that neither re-raises nor logs the traceback", 396},
    {"S110", "try-except-pass", AN_WARNING, "a broad handler that is only `pass`", 390},
    {"S112", "try-except-continue", AN_WARNING, "a broad handler that is only `continue`", 390},
    {"B904", "raise-without-from-inside-except", AN_WARNING,
     "`raise X` in a handler without `from`", 755},
    {"MG301", "swallowed-exception", AN_WARNING,
     "a handler that drops the exception without a trace", 390},
};

/* Imports and loggers are matched by name across the whole file. */
static const char *const cross_words[] = {"import",   "getLogger", "get_logger",
                                          "getChild", "Logger",    NULL};

const struct analyzer an_exceptions = {
    .name = "exceptions",
    .rules = rules,
    .n_rules = MG_ARRAY_LEN(rules),
    .init = init,
    .fini = fini,
    .run = run,
    .locality = AN_PER_DEFINITION,
    .cross_words = cross_words,
};
