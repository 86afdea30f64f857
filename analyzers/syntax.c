/* E999: syntax errors. Turns tree-sitter's ERROR and MISSING nodes into
 * findings with a narrow range and a message saying what is wrong, in the
 * words CPython and Ruff use ("expected ':'", "'(' was never closed",
 * "unterminated string literal", ...).
 *
 * tree-sitter's error recovery does not say which token was unexpected: an
 * ERROR node holds whatever the parser set aside, often a valid prefix of a
 * statement glued to the next line. So each ERROR's tokens are read again,
 * in order, looking for the first thing that cannot be Python: a character
 * outside the language, an unterminated string, a bracket that is unmatched
 * or never closed, a logical line that ends where it cannot (after an
 * operator, a compound header without ':'), two expressions side by side.
 * Compound statements whose header swallowed the next line are caught
 * before their ERRORs are. Only when nothing is found does the message fall
 * back to naming the ERROR's first token, and then only if no error nested
 * inside it explains more.
 *
 * Cost: the walk descends only into subtrees with an error, and each ERROR
 * is read once, so a clean 15,000-line file costs one pass over the
 * top-level statements. Nothing recurses: the walk uses a TSTreeCursor and a
 * heap stack, so 10,000 nested brackets are fine. At most SYN_MAX_FINDINGS
 * findings are reported per file, then one saying the rest were left out.
 *
 * Not found here, because tree-sitter-python parses them without an error:
 * indentation mistakes ("unexpected indent" where no block is open, an
 * unindent that matches no outer level), an empty block ('def f():' then
 * nothing indented), keywords used as names ('else: pass' is an annotated
 * assignment to a variable called else) and Python 2 forms the grammar still
 * accepts (print and exec statements, 'except E, e'). NEEDSWORK: they need a
 * pass over every statement, which belongs with incremental re-analysis of
 * changed ranges rather than on the error path. */
#include "analyzer.h"
#include "log.h"
#include "mg.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYN_CODE         "E999"
#define SYN_MAX_FINDINGS 100  /* per file: a binary blob must not flood the editor */
#define SYN_MSG_MAX      200  /* bytes of one message */
#define SYN_QUOTE_CHARS  24   /* code points of a token quoted in a message */
#define SYN_SCAN_LIMIT   4096 /* bytes looked at around a token for layout */

/* tree-sitter's symbol for ERROR nodes (ts_builtin_sym_error in parser.h,
 * which users of api.h do not include). */
#define SYN_SYM_ERROR ((TSSymbol)-1)

/* ---- what each grammar symbol is to us ---- */

/* Token properties. */
enum {
    TK_OPEN = 1u << 0,        /* ( [ { */
    TK_CLOSE = 1u << 1,       /* ) ] } */
    TK_ENDS_EXPR = 1u << 2,   /* may end an expression: a name, a literal, a closer */
    TK_STARTS_EXPR = 1u << 3, /* starts an expression (and cannot follow one) */
    TK_NEEDS_EXPR = 1u << 4,  /* an expression must follow: '=', '+', 'and' ... */
    TK_NEEDS_NAME = 1u << 5,  /* a name must follow: 'def', 'import', 'as' ... */
    TK_NO_START = 1u << 6,    /* cannot start an expression: ')', ':', 'in' ... */
    TK_COMPOUND = 1u << 7,    /* begins a compound statement's header */
};

/* Tokens the scan tells apart. */
enum kid {
    K_NONE,
    K_IDENT,
    K_STRING,
    K_STRING_START,
    K_STRING_PART, /* content or escape inside a string */
    K_STRING_END,
    K_LPAREN,
    K_RPAREN,
    K_LBRACKET,
    K_RBRACKET,
    K_LBRACE,
    K_RBRACE,
    K_COLON,
    K_SEMI,
    K_DOT,
    K_STAR,
    K_STARSTAR,
    K_SLASH,
    K_EQ,
    K_AS,
    K_ASYNC,
    K_CLASS,
    K_DEF,
    K_ELIF,
    K_ELSE,
    K_EXCEPT,
    K_EXCEPT_STAR,
    K_FINALLY,
    K_FOR,
    K_FROM,
    K_IF,
    K_IMPORT,
    K_IN,
    K_NOT,
    K_TRY,
    K_WHILE,
    K_WITH,
};

struct kw {
    const char *text;
    unsigned flags;
    enum kid kid;
};

#define OP  (TK_NEEDS_EXPR | TK_NO_START) /* a binary operator */
#define KW  TK_NO_START                   /* a statement keyword */
#define HDR (TK_COMPOUND | TK_NO_START)   /* begins a compound header */

/* Tokens by text; anonymous symbols are named by their text. Keywords are
 * also matched against identifiers: in error recovery tree-sitter lexes
 * 'return' or 'else' as a name. Sorted (strcmp) for bsearch. */
static const struct kw kw_table[] = {
    {"!=", OP, K_NONE},
    {"%", OP, K_NONE},
    {"%=", OP, K_NONE},
    {"&", OP, K_NONE},
    {"&=", OP, K_NONE},
    {"(", TK_OPEN, K_LPAREN},
    {")", TK_CLOSE | TK_ENDS_EXPR | TK_NO_START, K_RPAREN},
    {"*", 0, K_STAR}, /* '*' and '/' alone also separate parameters */
    {"**", 0, K_STARSTAR},
    {"**=", OP, K_NONE},
    {"*=", OP, K_NONE},
    {"+", TK_NEEDS_EXPR, K_NONE},
    {"+=", OP, K_NONE},
    {",", TK_NO_START, K_NONE},
    {"-", TK_NEEDS_EXPR, K_NONE},
    {"-=", OP, K_NONE},
    {"->", OP, K_NONE},
    {".", TK_NEEDS_NAME | TK_NO_START, K_DOT},
    {"/", TK_NO_START, K_SLASH},
    {"//", OP, K_NONE},
    {"//=", OP, K_NONE},
    {"/=", OP, K_NONE},
    {":", TK_NO_START, K_COLON},
    {":=", OP, K_NONE},
    {";", TK_NO_START, K_SEMI},
    {"<", OP, K_NONE},
    {"<<", OP, K_NONE},
    {"<<=", OP, K_NONE},
    {"<=", OP, K_NONE},
    {"<>", OP, K_NONE},
    {"=", OP, K_EQ},
    {"==", OP, K_NONE},
    {">", OP, K_NONE},
    {">=", OP, K_NONE},
    {">>", OP, K_NONE},
    {">>=", OP, K_NONE},
    {"@", OP, K_NONE},
    {"@=", OP, K_NONE},
    {"False", TK_ENDS_EXPR | TK_STARTS_EXPR, K_NONE},
    {"None", TK_ENDS_EXPR | TK_STARTS_EXPR, K_NONE},
    {"True", TK_ENDS_EXPR | TK_STARTS_EXPR, K_NONE},
    {"[", TK_OPEN, K_LBRACKET},
    {"]", TK_CLOSE | TK_ENDS_EXPR | TK_NO_START, K_RBRACKET},
    {"^", OP, K_NONE},
    {"^=", OP, K_NONE},
    {"and", OP, K_NONE},
    {"as", TK_NEEDS_NAME | TK_NO_START, K_AS},
    {"assert", TK_NEEDS_EXPR | KW, K_NONE},
    {"async", HDR, K_ASYNC},
    {"await", TK_NEEDS_EXPR | TK_STARTS_EXPR, K_NONE},
    {"break", KW, K_NONE},
    {"class", HDR | TK_NEEDS_NAME, K_CLASS},
    {"continue", KW, K_NONE},
    {"def", HDR | TK_NEEDS_NAME, K_DEF},
    {"del", TK_NEEDS_EXPR | KW, K_NONE},
    {"elif", HDR | TK_NEEDS_EXPR, K_ELIF},
    {"else", HDR | TK_NEEDS_EXPR, K_ELSE}, /* needs one only in 'a if b else c' */
    {"except", HDR, K_EXCEPT},
    {"except*", HDR | TK_NEEDS_EXPR, K_EXCEPT_STAR},
    {"finally", HDR, K_FINALLY},
    {"for", HDR | TK_NEEDS_EXPR, K_FOR},
    {"from", TK_NEEDS_EXPR | KW, K_FROM},
    {"global", TK_NEEDS_NAME | KW, K_NONE},
    {"if", HDR | TK_NEEDS_EXPR, K_IF},
    {"import", TK_NEEDS_NAME | KW, K_IMPORT},
    {"in", OP, K_IN},
    {"is", OP, K_NONE},
    {"lambda", TK_STARTS_EXPR, K_NONE},
    {"nonlocal", TK_NEEDS_NAME | KW, K_NONE},
    {"not", TK_NEEDS_EXPR | TK_STARTS_EXPR, K_NOT},
    {"or", OP, K_NONE},
    {"pass", KW, K_NONE},
    {"raise", KW, K_NONE},
    {"return", KW, K_NONE},
    {"try", HDR, K_TRY},
    {"while", HDR | TK_NEEDS_EXPR, K_WHILE},
    {"with", HDR | TK_NEEDS_EXPR, K_WITH},
    {"yield", 0, K_NONE},
    {"{", TK_OPEN, K_LBRACE},
    {"|", OP, K_NONE},
    {"|=", OP, K_NONE},
    {"}", TK_CLOSE | TK_ENDS_EXPR | TK_NO_START, K_RBRACE},
    {"~", TK_NEEDS_EXPR, K_NONE},
};

/* How a node is read. */
enum sym_class {
    SC_NODE,   /* an inner node: read its leaves */
    SC_TOKEN,  /* a token */
    SC_SKIP,   /* a comment or line continuation: not code */
    SC_STRING, /* a whole string: one token, its inside is not Python tokens */
    SC_BLOCK,  /* a block: its statements are read by the walk, not as tokens */
};

/* Node kinds the walk tests. */
enum {
    ST_COMPOUND = 1u << 0,  /* header up to ':' */
    ST_CONDITION = 1u << 1, /* if/elif/while: '=' there meant '==' */
    ST_DECORATOR = 1u << 2,
};

struct syminfo {
    uint16_t flags; /* TK_* */
    uint8_t kid;    /* enum kid */
    uint8_t cls;    /* enum sym_class */
    uint8_t st;     /* ST_* */
};

struct named {
    const char *type;
    struct syminfo info;
};

#define EXPR (TK_ENDS_EXPR | TK_STARTS_EXPR)

static const struct named named_table[] = {
    {"identifier", {EXPR, K_IDENT, SC_TOKEN, 0}},
    {"integer", {EXPR, K_NONE, SC_TOKEN, 0}},
    {"float", {EXPR, K_NONE, SC_TOKEN, 0}},
    {"true", {EXPR, K_NONE, SC_TOKEN, 0}},
    {"false", {EXPR, K_NONE, SC_TOKEN, 0}},
    {"none", {EXPR, K_NONE, SC_TOKEN, 0}},
    {"ellipsis", {EXPR, K_NONE, SC_TOKEN, 0}},
    {"string", {EXPR, K_STRING, SC_STRING, 0}},
    {"string_start", {0, K_STRING_START, SC_TOKEN, 0}},
    {"string_content", {0, K_STRING_PART, SC_TOKEN, 0}},
    {"escape_sequence", {0, K_STRING_PART, SC_TOKEN, 0}},
    {"escape_interpolation", {0, K_STRING_PART, SC_TOKEN, 0}},
    {"string_end", {0, K_STRING_END, SC_TOKEN, 0}},
    {"comment", {0, K_NONE, SC_SKIP, 0}},
    {"line_continuation", {0, K_NONE, SC_SKIP, 0}},
    {"block", {0, K_NONE, SC_BLOCK, 0}},
    {"decorator", {0, K_NONE, SC_NODE, ST_DECORATOR}},
    {"if_statement", {0, K_NONE, SC_NODE, ST_COMPOUND | ST_CONDITION}},
    {"elif_clause", {0, K_NONE, SC_NODE, ST_COMPOUND | ST_CONDITION}},
    {"while_statement", {0, K_NONE, SC_NODE, ST_COMPOUND | ST_CONDITION}},
    {"else_clause", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"for_statement", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"with_statement", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"try_statement", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"except_clause", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"except_group_clause", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"finally_clause", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"function_definition", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"class_definition", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"match_statement", {0, K_NONE, SC_NODE, ST_COMPOUND}},
    {"case_clause", {0, K_NONE, SC_NODE, ST_COMPOUND}},
};

/* Soft keywords: names that begin a statement without being an expression. */
static const char *const soft_keywords[] = {"match", "case", "type", "print", "exec"};

/* Per grammar symbol, built by init(); read-only while runs go on. */
static struct syminfo *syms;
static uint32_t n_syms;

static int kw_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct kw *)elem)->text);
}

static const struct kw *kw_find(const char *text)
{
    return bsearch(text, kw_table, MG_ARRAY_LEN(kw_table), sizeof(kw_table[0]), kw_cmp);
}

static int init(const TSLanguage *lang)
{
    for (size_t i = 1; i < MG_ARRAY_LEN(kw_table); i++)
        assert(strcmp(kw_table[i - 1].text, kw_table[i].text) < 0);
    bool seen[MG_ARRAY_LEN(named_table)] = {0};
    free(syms);
    n_syms = ts_language_symbol_count(lang);
    syms = xcalloc(n_syms, sizeof(*syms));
    for (uint32_t i = 0; i < n_syms; i++) {
        const char *name = ts_language_symbol_name(lang, (TSSymbol)i);
        TSSymbolType type = ts_language_symbol_type(lang, (TSSymbol)i);
        struct syminfo *s = &syms[i];
        s->cls = SC_NODE;
        if (name == NULL)
            continue;
        if (type == TSSymbolTypeAnonymous) {
            const struct kw *k = kw_find(name);
            s->cls = SC_TOKEN;
            if (k != NULL) {
                s->flags = (uint16_t)k->flags;
                s->kid = (uint8_t)k->kid;
            }
        } else if (type == TSSymbolTypeRegular) {
            for (size_t j = 0; j < MG_ARRAY_LEN(named_table); j++) {
                if (strcmp(name, named_table[j].type) == 0) {
                    *s = named_table[j].info;
                    seen[j] = true;
                }
            }
        }
    }
    /* A grammar upgrade that renames a node weakens the messages; say so. */
    for (size_t j = 0; j < MG_ARRAY_LEN(named_table); j++)
        if (!seen[j])
            LOGW("the grammar has no node type '%s'", named_table[j].type);
    return 0;
}

static void fini(void)
{
    free(syms);
    syms = NULL;
    n_syms = 0;
}

/* Whether `ch` is one of `set` (never for NUL, unlike strchr). */
static bool char_in(char ch, const char *set)
{
    return ch != '\0' && strchr(set, ch) != NULL;
}

static bool is_error(TSNode n)
{
    return ts_node_symbol(n) == SYN_SYM_ERROR;
}

static const struct syminfo *sym_of(TSNode n)
{
    static const struct syminfo none = {0, K_NONE, SC_NODE, 0};
    TSSymbol s = ts_node_symbol(n);
    return s < n_syms ? &syms[s] : &none;
}

/* ---- tokens ---- */

struct ctx {
    const char *text;
    uint32_t len;
    struct diag_list *out;
    size_t n_found;
    bool stop; /* the cap was reached */
};

/* One token of an ERROR or of a compound statement's header; or a whole
 * subtree without errors, which is valid and balanced inside, so only its
 * edges matter. */
struct tok {
    uint32_t start, end;
    uint32_t lead_end; /* end of the first token */
    uint16_t flags;
    uint8_t kid;      /* K_NONE for a subtree */
    uint8_t lead_kid; /* of the first token */
    bool lexical;     /* an ERROR leaf: text that no token matches */
    bool is_name;     /* an identifier that is no keyword */
    bool lead_name;   /* the first token is such a name */
    bool whole;       /* a subtree */
};

static TSNode first_leaf(TSNode n);

/* Fill `t` from the leaf (or string) `n`. Returns false for what is not
 * code: comments, line continuations, MISSING nodes. */
static bool tok_from_node(const struct ctx *c, TSNode n, struct tok *t)
{
    memset(t, 0, sizeof(*t));
    if (ts_node_is_missing(n))
        return false;
    t->start = ts_node_start_byte(n);
    t->end = ts_node_end_byte(n);
    if (t->end > c->len)
        t->end = c->len;
    if (t->start > t->end)
        t->start = t->end;
    t->lead_end = t->end;
    if (is_error(n) && ts_node_child_count(n) == 0) {
        t->lexical = true;
        return true;
    }
    const struct syminfo *s = sym_of(n);
    if (s->cls == SC_SKIP)
        return false;
    if (s->cls == SC_NODE && ts_node_child_count(n) > 0) { /* a whole subtree */
        struct tok ft;
        t->lead_end = t->end;
        if (tok_from_node(c, first_leaf(n), &ft)) {
            t->flags = ft.flags & (TK_STARTS_EXPR | TK_NO_START);
            t->lead_kid = ft.kid;
            t->lead_end = ft.end;
            t->lead_name = ft.is_name;
        }
        unsigned char last = t->end > t->start ? (unsigned char)c->text[t->end - 1] : ' ';
        if (last >= 0x80 || last == '_' || (last >= '0' && last <= '9') ||
            ((last | 0x20) >= 'a' && (last | 0x20) <= 'z') || char_in((char)last, ")]}'\""))
            t->flags |= TK_ENDS_EXPR;
        t->whole = true;
        return true;
    }
    t->flags = s->flags;
    t->kid = s->kid;
    t->lead_kid = s->kid;
    t->lead_end = t->end;
    if (t->kid == K_IDENT) {
        /* A keyword lexed as a name during error recovery is a keyword. */
        char word[10];
        uint32_t len = t->end - t->start;
        const char *p = c->text + t->start;
        if (len >= 2 && len < sizeof(word) && p[0] >= 'a' && p[0] <= 'z') {
            memcpy(word, p, len);
            word[len] = '\0';
            const struct kw *k = kw_find(word);
            if (k != NULL) {
                t->flags = (uint16_t)k->flags;
                t->kid = (uint8_t)k->kid;
                t->lead_kid = t->kid;
                return true;
            }
        }
        t->is_name = true;
        t->lead_name = true;
    }
    return true;
}

/* ---- the leaves of one subtree ---- */

/* Yields the leaves of a subtree in order; strings, blocks and subtrees
 * without errors come out whole. Iterative: the cursor keeps the path. */
struct leaves {
    const struct ctx *c;
    TSTreeCursor cur;
    uint32_t depth; /* below the root the iterator was made for */
    bool started, done;
};

static void leaves_init(struct leaves *it, const struct ctx *c, TSNode root)
{
    it->c = c;
    it->cur = ts_tree_cursor_new(root);
    it->depth = 0;
    it->started = false;
    it->done = false;
}

static void leaves_release(struct leaves *it)
{
    ts_tree_cursor_delete(&it->cur);
}

/* Whether to read `n` as one token. Strings and blocks always. A subtree
 * without errors is valid and balanced inside, but error recovery builds
 * such subtrees across line ends ('x = 1 +' then 'y' makes '1 + y'), which
 * the layout rules must see; so only when its line ends cannot matter: it
 * is on one line, or all inside brackets, or a compound statement. */
static bool is_whole(const struct ctx *c, TSNode n)
{
    const struct syminfo *si = sym_of(n);
    if (si->cls == SC_STRING || si->cls == SC_BLOCK)
        return true;
    if (ts_node_has_error(n) || ts_node_child_count(n) == 0)
        return false;
    if ((si->st & ST_COMPOUND) || ts_node_start_point(n).row == ts_node_end_point(n).row)
        return true;
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b <= a + 1 || b > c->len)
        return false;
    char open = c->text[a], close = c->text[b - 1];
    return (open == '(' && close == ')') || (open == '[' && close == ']') ||
           (open == '{' && close == '}');
}

/* The next leaf, or false when the subtree is done. *depth_out is its depth
 * below the root (1 for a child of the root). */
static bool leaves_next(struct leaves *it, TSNode *out, uint32_t *depth_out)
{
    if (it->done)
        return false;
    if (it->started) {
        for (;;) {
            if (it->depth > 0 && ts_tree_cursor_goto_next_sibling(&it->cur))
                break;
            if (it->depth == 0 || !ts_tree_cursor_goto_parent(&it->cur)) {
                it->done = true;
                return false;
            }
            it->depth--;
        }
    }
    it->started = true;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&it->cur);
        if (is_whole(it->c, n) || !ts_tree_cursor_goto_first_child(&it->cur)) {
            *out = n;
            *depth_out = it->depth;
            return true;
        }
        it->depth++;
    }
}

/* The first leaf of `n` (a string counts as one). */
static TSNode first_leaf(TSNode n)
{
    while (ts_node_child_count(n) > 0 && sym_of(n)->cls != SC_STRING)
        n = ts_node_child(n, 0);
    return n;
}

/* ---- text ---- */

/* Whether [a, b), the space between two tokens, ends a line: holds a newline
 * that no backslash continues. A newline that ends a comment always counts. */
static bool gap_breaks_line(const struct ctx *c, uint32_t a, uint32_t b)
{
    if (b > c->len)
        b = c->len;
    for (uint32_t i = a; i < b; i++) {
        char ch = c->text[i];
        if (ch == '\n') {
            return true;
        } else if (ch == '#') {
            return memchr(c->text + i, '\n', b - i) != NULL;
        } else if (ch == '\\') {
            uint32_t j = i + 1;
            if (j < b && c->text[j] == '\r')
                j++;
            if (j < b && c->text[j] == '\n')
                i = j;
        }
    }
    return false;
}

/* Whether only blanks precede byte `pos` on its line. */
static bool starts_line(const struct ctx *c, uint32_t pos)
{
    for (uint32_t i = pos; i > 0 && pos - i < SYN_SCAN_LIMIT; i--) {
        char ch = c->text[i - 1];
        if (ch == '\n')
            return true;
        if (ch != ' ' && ch != '\t' && ch != '\f' && ch != '\r')
            return false;
    }
    return pos < SYN_SCAN_LIMIT;
}

/* The first byte at or after `pos` that is not a blank or a backslash
 * continuation; '\n' for a line end, a comment or the end of the text. */
static char next_char(const struct ctx *c, uint32_t pos)
{
    for (uint32_t i = pos; i < c->len && i - pos < SYN_SCAN_LIMIT; i++) {
        char ch = c->text[i];
        if (ch == ' ' || ch == '\t' || ch == '\f')
            continue;
        if (ch == '\\' && i + 1 < c->len && c->text[i + 1] == '\n') {
            i++;
            continue;
        }
        if (ch == '\\' && i + 2 < c->len && c->text[i + 1] == '\r' && c->text[i + 2] == '\n') {
            i += 2;
            continue;
        }
        return ch == '\r' || ch == '#' ? '\n' : ch;
    }
    return '\n';
}

/* Decode the UTF-8 code point at s[0..n). Returns its length, or 0 when the
 * bytes are not UTF-8 (then *cp is the first byte). */
static int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    *cp = s[0];
    if (s[0] < 0x80)
        return 1;
    int len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || s[0] > 0xf4 || (size_t)len > n)
        return 0;
    uint32_t v = s[0] & (0x3fu >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* What CPython calls a non-printable character. */
static bool cp_unprintable(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2064) || cp == 0xfeff;
}

/* `text[start, end)` for a message: its first line, at most SYN_QUOTE_CHARS
 * code points ("..." when cut), control characters and non-UTF-8 bytes
 * escaped, so that the message is valid UTF-8 on one line. */
static void quote_into(const struct ctx *c, uint32_t start, uint32_t end, char *buf, size_t size)
{
    size_t w = 0;
    int chars = 0;
    bool cut = false;
    if (end > c->len)
        end = c->len;
    for (uint32_t i = start; i < end;) {
        if (chars == SYN_QUOTE_CHARS || w + 12 >= size) {
            cut = true;
            break;
        }
        const unsigned char *s = (const unsigned char *)c->text + i;
        uint32_t cp;
        int n = utf8_decode(s, end - i, &cp);
        if (n == 0) {
            w += (size_t)snprintf(buf + w, size - w, "\\x%02x", s[0]);
            i++;
        } else if (cp == '\n' || cp == '\r') {
            cut = true;
            break;
        } else if (cp_unprintable(cp)) {
            w += (size_t)snprintf(buf + w, size - w, cp < 0x100 ? "\\x%02x" : "\\u%04x", cp);
            i += (uint32_t)n;
        } else {
            memcpy(buf + w, s, (size_t)n);
            w += (size_t)n;
            i += (uint32_t)n;
        }
        chars++;
    }
    if (cut && w + 4 < size) {
        memcpy(buf + w, "...", 3);
        w += 3;
    }
    buf[w] = '\0';
}

/* 1-based line of byte `pos`, counted from the start of node `near`. */
static uint32_t line_of(const struct ctx *c, TSNode near, uint32_t pos)
{
    uint32_t line = ts_node_start_point(near).row + 1;
    uint32_t from = ts_node_start_byte(near);
    for (uint32_t i = pos; i < from; i++)
        line -= c->text[i] == '\n';
    for (uint32_t i = from; i < pos && i < c->len; i++)
        line += c->text[i] == '\n';
    return line;
}

/* ---- findings ---- */

struct finding {
    uint32_t start, end;
    char msg[SYN_MSG_MAX];
};

static void finding_set(struct finding *f, uint32_t start, uint32_t end, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finding_set(struct finding *f, uint32_t start, uint32_t end, const char *fmt, ...)
{
    f->start = start;
    f->end = end < start ? start : end;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
}

static void report(struct ctx *c, const struct finding *f)
{
    if (c->stop)
        return;
    uint32_t start = f->start > c->len ? c->len : f->start;
    uint32_t end = f->end > c->len ? c->len : f->end;
    if (end < start)
        end = start;
    if (c->n_found == SYN_MAX_FINDINGS) {
        diag_list_addf(c->out, SYN_CODE, AN_ERROR, 0, start, end,
                       "too many syntax errors; only the first %d are reported", SYN_MAX_FINDINGS);
        c->stop = true;
        return;
    }
    /* A missing ':' or closing bracket, where tree-sitter's recovery knows
     * exactly which token it lacked, gets a quick-fix that inserts it. It is
     * a guess at the author's intent, so never part of fix-all. */
    static const char *const insertable[] = {":", ")", "]", "}"};
    for (size_t i = 0; i < MG_ARRAY_LEN(insertable) && start == end; i++) {
        char want[16];
        snprintf(want, sizeof(want), "expected '%s'", insertable[i]);
        if (strcmp(f->msg, want) != 0)
            continue;
        char title[32];
        snprintf(title, sizeof(title), "Insert '%s'", insertable[i]);
        struct an_edit edit = {start, end, (char *)insertable[i]};
        struct an_fix fix = {title, &edit, 1, false};
        struct an_diag d = {.code = SYN_CODE,
                            .severity = AN_ERROR,
                            .start = start,
                            .end = end,
                            .message = (char *)f->msg,
                            .fixes = &fix,
                            .n_fixes = 1};
        diag_list_add(c->out, &d);
        c->n_found++;
        return;
    }
    diag_list_addf(c->out, SYN_CODE, AN_ERROR, 0, start, end, "%s", f->msg);
    c->n_found++;
}

static void finding_unexpected(const struct ctx *c, struct finding *f, const struct tok *t)
{
    char q[SYN_QUOTE_CHARS * 4 + 16];
    quote_into(c, t->start, t->lead_end, q, sizeof(q));
    finding_set(f, t->start, t->lead_end, "unexpected token '%s'", q);
}

static void finding_comma(struct finding *f, const struct tok *t)
{
    finding_set(f, t->start, t->lead_end, "invalid syntax: perhaps you forgot a comma");
}

/* Text no token matches, reported at its first character. */
static void finding_lexical(const struct ctx *c, struct finding *f, uint32_t pos)
{
    if (pos >= c->len) {
        finding_set(f, c->len, c->len, "invalid syntax");
        return;
    }
    const unsigned char *s = (const unsigned char *)c->text + pos;
    uint32_t cp;
    int n = utf8_decode(s, c->len - pos, &cp);
    if (n == 0) {
        finding_set(f, pos, pos + 1, "invalid UTF-8 byte 0x%02x", s[0]);
    } else if (cp == 0) {
        finding_set(f, pos, pos + 1, "source code cannot contain null bytes");
    } else if (cp_unprintable(cp)) {
        finding_set(f, pos, pos + (uint32_t)n, "invalid non-printable character U+%04X", cp);
    } else if (cp < 0x80 && !char_in((char)cp, "$?`")) {
        /* Python has tokens made of this character: the token is wrong. */
        struct tok t = {.start = pos, .end = pos + 1, .lead_end = pos + 1};
        finding_unexpected(c, f, &t);
    } else {
        finding_set(f, pos, pos + (uint32_t)n, "invalid character '%.*s' (U+%04X)", n,
                    (const char *)s, cp);
    }
}

/* At the opening quote(s) `t` of a string that never ends. */
static void finding_unterminated(const struct ctx *c, struct finding *f, const struct tok *t)
{
    bool triple = t->end - t->start >= 3 && (memcmp(c->text + t->end - 3, "\"\"\"", 3) == 0 ||
                                             memcmp(c->text + t->end - 3, "'''", 3) == 0);
    finding_set(f, t->start, t->end,
                triple ? "unterminated triple-quoted string literal"
                       : "unterminated string literal");
}

/* ---- reading one ERROR node ---- */

struct opener {
    uint32_t pos;
    char ch;
    bool fstring; /* the replacement field of an unterminated f-string */
};

struct scan {
    struct ctx *c;
    TSNode err;
    bool bracketed; /* a bracket of an enclosing node is open around the ERROR */
    struct opener *stack;
    size_t n_open, cap_open;

    /* the logical line being read */
    bool have_prev, have_first;
    struct tok prev, first, second;
    uint32_t line_ntok;      /* tokens read on the line */
    uint32_t line_ifs;       /* 'if' expressions on the line still without 'else' */
    bool line_colon;         /* a ':' outside brackets */
    const char *header_kind; /* the line was a whole compound header, nothing after */

    /* a string_start that no string_end followed */
    bool str_pending;
    struct tok str;

    /* a problem inside this ERROR's brackets, which stands once they close;
     * if they never do, "never closed" is the better message */
    bool tent;
    size_t tent_level;
    struct finding tent_f;

    bool done;
    struct finding f;

    /* for the fallbacks */
    bool have_lead, lead_block, saw_handler;
    struct tok lead; /* the first token (or the first of a leading block) */
};

static void scan_found(struct scan *s, const struct finding *f)
{
    if (s->done)
        return;
    if (s->n_open > 0) {
        if (!s->tent) {
            s->tent = true;
            s->tent_level = s->n_open;
            s->tent_f = *f;
        }
        return;
    }
    s->f = *f;
    s->done = true;
}

static void scan_fail(struct scan *s, const struct finding *f)
{
    s->f = *f;
    s->done = true;
}

static void scan_expected_after(struct scan *s, const struct tok *t, const char *what)
{
    struct finding f;
    finding_set(&f, t->end, t->end, "expected %s", what);
    scan_found(s, &f);
}

static bool in_list(const char *s, size_t n, const char *const *list, size_t n_list)
{
    for (size_t i = 0; i < n_list; i++)
        if (strlen(list[i]) == n && memcmp(s, list[i], n) == 0)
            return true;
    return false;
}

/* Whether `t` is a soft keyword leading its line ('match x:', 'type X = int'). */
static bool is_soft_lead(const struct scan *s, const struct tok *t)
{
    return t->is_name && s->have_first && s->first.start == t->start &&
           in_list(s->c->text + t->start, t->end - t->start, soft_keywords,
                   MG_ARRAY_LEN(soft_keywords));
}

/* How CPython names a compound statement in "expected an indented block
 * after ...", from its first token and the one after. */
static const char *compound_kind(const struct tok *first, const struct tok *second)
{
    static const struct {
        enum kid kid;
        const char *kind;
    } kinds[] = {
        {K_DEF, "function definition"},
        {K_CLASS, "class definition"},
        {K_IF, "'if' statement"},
        {K_ELIF, "'elif' statement"},
        {K_ELSE, "'else' statement"},
        {K_FOR, "'for' statement"},
        {K_WHILE, "'while' statement"},
        {K_WITH, "'with' statement"},
        {K_TRY, "'try' statement"},
        {K_EXCEPT, "'except' statement"},
        {K_EXCEPT_STAR, "'except*' statement"},
        {K_FINALLY, "'finally' statement"},
    };
    const struct tok *t = first->kid == K_ASYNC && second != NULL ? second : first;
    for (size_t i = 0; i < MG_ARRAY_LEN(kinds); i++)
        if (t->kid == kinds[i].kid)
            return kinds[i].kind;
    return "compound statement";
}

/* The logical line ended after `last`: at a newline outside brackets
 * (`newline`), at a ';', or with the ERROR before a newline. */
static void scan_line_end(struct scan *s, const struct tok *last, bool newline)
{
    bool compound = s->have_first && (s->first.flags & TK_COMPOUND);
    bool from_line = s->have_first && s->first.kid == K_FROM;
    bool leads = s->have_first && s->first.start == last->start;
    s->header_kind = NULL;
    if ((last->flags & TK_NEEDS_NAME) && !(last->kid == K_DOT && from_line))
        scan_expected_after(s, last, "name");
    else if ((last->flags & TK_NEEDS_EXPR) && !(leads && last->kid == K_ELSE))
        scan_expected_after(s, last, "expression");
    else if (last->kid == K_STARSTAR || last->kid == K_SLASH || (last->kid == K_STAR && !from_line))
        scan_expected_after(s, last, "expression");
    else if (last->kid == K_COLON && s->have_first && !compound && !is_soft_lead(s, &s->first) &&
             newline)
        scan_expected_after(s, last, "expression"); /* 'x:', 'lambda x:' */
    else if (compound && !s->line_colon && newline)
        scan_expected_after(s, last, "':'");
    else if (s->line_ifs > 0 && !s->line_colon)
        scan_expected_after(s, last, "'else' after 'if' expression");
    else if (compound && last->kid == K_COLON && newline)
        s->header_kind = compound_kind(&s->first, s->line_ntok > 1 ? &s->second : NULL);
    s->have_first = false;
    s->line_colon = false;
    s->line_ifs = 0;
    s->line_ntok = 0;
}

static char bracket_char(const struct tok *t)
{
    switch (t->kid) {
    case K_LPAREN:
        return '(';
    case K_RPAREN:
        return ')';
    case K_LBRACKET:
        return '[';
    case K_RBRACKET:
        return ']';
    case K_LBRACE:
        return '{';
    default:
        return '}';
    }
}

static char closer_of(char open)
{
    return open == '(' ? ')' : open == '[' ? ']' : '}';
}

/* A closing bracket that matches nothing, or the wrong thing, is the
 * problem whatever came before it ('x = ]'). Returns true when so. */
static bool scan_close_check(struct scan *s, const struct tok *t)
{
    char ch = bracket_char(t);
    struct finding f;
    if (s->n_open == 0) {
        if (s->bracketed)
            finding_unexpected(s->c, &f, t);
        else
            finding_set(&f, t->start, t->end, "unmatched '%c'", ch);
        scan_fail(s, &f);
        return true;
    }
    const struct opener *o = &s->stack[s->n_open - 1];
    if (closer_of(o->ch) == ch)
        return false;
    uint32_t l1 = line_of(s->c, s->err, o->pos), l2 = line_of(s->c, s->err, t->start);
    if (l1 == l2)
        finding_set(&f, t->start, t->end,
                    "closing parenthesis '%c' does not match opening parenthesis '%c'", ch, o->ch);
    else
        finding_set(&f, t->start, t->end,
                    "closing parenthesis '%c' does not match opening parenthesis '%c' on line %u",
                    ch, o->ch, l1);
    scan_fail(s, &f);
    return true;
}

/* Whether two neighbours on one line cannot be; records the finding. */
static void scan_pair(struct scan *s, const struct tok *p, const struct tok *t)
{
    struct finding f;
    if ((p->flags & TK_NEEDS_NAME) && !t->lead_name) {
        enum kid k = t->lead_kid;
        bool ok = (p->kid == K_IMPORT && (k == K_LPAREN || k == K_STAR)) ||
                  (p->kid == K_DOT && (k == K_DOT || k == K_IMPORT)) ||
                  (p->kid == K_AS && (k == K_LPAREN || k == K_LBRACKET));
        if (!ok)
            scan_expected_after(s, p, "name");
    } else if ((p->flags & TK_NEEDS_EXPR) && (t->flags & TK_NO_START)) {
        enum kid k = t->lead_kid;
        bool ok = (p->kid == K_NOT && k == K_IN) || (p->kid == K_ELSE && k == K_COLON) ||
                  (p->kid == K_FROM && k == K_DOT);
        if (!ok)
            scan_expected_after(s, p, "expression");
    } else if ((p->flags & TK_ENDS_EXPR) && (t->flags & TK_STARTS_EXPR) &&
               !(p->kid == K_STRING && t->kid == K_STRING) && !is_soft_lead(s, p)) {
        /* 'x = 10 20', 'print(1 2)' */
        if (s->n_open > 0 || s->bracketed)
            finding_comma(&f, t);
        else
            finding_unexpected(s->c, &f, t);
        scan_found(s, &f);
    }
}

static void scan_token(struct scan *s, const struct tok *t)
{
    struct ctx *c = s->c;
    struct finding f;
    bool outside = s->n_open == 0 && !s->bracketed;

    if (!s->have_lead) {
        s->have_lead = true;
        s->lead = *t;
    }
    if (t->lead_kid == K_EXCEPT || t->lead_kid == K_EXCEPT_STAR || t->lead_kid == K_FINALLY)
        s->saw_handler = true;

    /* A string that never ended: what followed its quote was lexed as code. */
    if (s->str_pending) {
        bool in_field = s->n_open > 0 && s->stack[s->n_open - 1].fstring;
        bool fstring = false; /* the prefix has f (or t, PEP 750) */
        for (uint32_t i = s->str.start; i < s->str.end && !char_in(c->text[i], "'\""); i++)
            fstring = fstring || char_in(c->text[i], "fFtT");
        if (t->kid == K_STRING_END) {
            s->str_pending = false;
        } else if (!(t->kid == K_STRING_PART || in_field || (t->kid == K_LBRACE && fstring))) {
            finding_unterminated(c, &f, &s->str);
            scan_fail(s, &f);
            return;
        }
    }
    if (t->lexical) {
        finding_lexical(c, &f, t->start);
        scan_fail(s, &f);
        return;
    }
    if ((t->flags & TK_CLOSE) && scan_close_check(s, t))
        return;

    /* Layout: a newline outside brackets ends the logical line. */
    bool breaks = s->have_prev && outside && gap_breaks_line(c, s->prev.end, t->start);
    if (breaks) {
        scan_line_end(s, &s->prev, true);
        if (s->done)
            return;
    }
    s->header_kind = NULL; /* something follows the header */
    if (!s->have_prev ? starts_line(c, t->start) : breaks) {
        s->have_first = true;
        s->first = *t;
        s->line_ntok = 0;
    }
    if (s->have_prev && !breaks) {
        scan_pair(s, &s->prev, t);
        if (s->done)
            return;
    }

    if (t->kid == K_STRING_START && !s->str_pending) {
        s->str_pending = true;
        s->str = *t;
    }
    if (t->flags & TK_OPEN) {
        MG_GROW(s->stack, s->cap_open, s->n_open + 1);
        s->stack[s->n_open].pos = t->start;
        s->stack[s->n_open].ch = bracket_char(t);
        s->stack[s->n_open].fstring = s->str_pending && t->kid == K_LBRACE;
        s->n_open++;
    } else if (t->flags & TK_CLOSE) {
        s->n_open--;
        if (s->tent && s->n_open < s->tent_level) {
            scan_fail(s, &s->tent_f); /* its brackets closed: the problem stands */
            return;
        }
    }
    if (s->n_open == 0) {
        if (t->kid == K_COLON) {
            s->line_colon = true;
        } else if (t->kid == K_IF && s->line_ntok > 0) {
            s->line_ifs++;
        } else if (t->kid == K_ELSE) {
            s->line_ifs -= s->line_ifs > 0;
        } else if (t->kid == K_SEMI && !s->bracketed) {
            if (s->have_prev)
                scan_line_end(s, &s->prev, false);
            s->have_prev = false;
            return;
        }
    }
    if (s->have_first && s->line_ntok == 1)
        s->second = *t;
    s->prev = *t;
    s->have_prev = true;
    s->line_ntok++;
}

/* Whether every child of `n` but comments is a decorator (and one is). */
static bool only_decorators(TSNode n)
{
    TSTreeCursor cur = ts_tree_cursor_new(n);
    bool any = false, all = true;
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            const struct syminfo *si = sym_of(ts_tree_cursor_current_node(&cur));
            if (si->st & ST_DECORATOR)
                any = true;
            else if (si->cls != SC_SKIP)
                all = false;
        } while (all && ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return any && all;
}

/* Where the ERROR sits, as the walk knows it. */
struct error_site {
    TSNode next;       /* the next sibling (null node when none) */
    bool bracketed;    /* an enclosing bracket is open around it */
    bool after_expr;   /* the previous sibling ends an expression */
    bool in_condition; /* a child of an if/elif/while statement */
};

/* The fallbacks, when the tokens showed nothing: returns false when the
 * finding only names the first token. */
static bool scan_fallback(struct scan *s, const struct error_site *site)
{
    struct ctx *c = s->c;
    if (s->lead_block) {
        finding_set(&s->f, s->lead.start, s->lead.end, "unexpected indent");
        return true;
    }
    if (only_decorators(s->err)) {
        finding_set(&s->f, ts_node_start_byte(s->err), ts_node_end_byte(s->err),
                    "expected 'def' or 'class' after decorator");
        return true;
    }
    if (s->lead.kid == K_TRY && !s->saw_handler) {
        finding_set(&s->f, s->lead.start, s->lead.end, "expected 'except' or 'finally' block");
        return true;
    }
    if (s->lead.kid == K_EQ && site->in_condition) {
        finding_set(&s->f, s->lead.start, s->lead.end,
                    "invalid syntax: maybe you meant '==' or ':=' instead of '='");
        return true;
    }
    if (site->bracketed && site->after_expr && (s->lead.flags & TK_STARTS_EXPR)) {
        /* 'foo(a b)': the ERROR is 'b', after the expression 'a' */
        finding_comma(&s->f, &s->lead);
        return true;
    }
    /* 'x = 10 20': the ERROR holds '10'; the stray token is the next one. */
    struct tok nt;
    if (!ts_node_is_null(site->next) && s->have_prev && (s->prev.flags & TK_ENDS_EXPR) &&
        tok_from_node(c, first_leaf(site->next), &nt) && (nt.flags & TK_STARTS_EXPR) &&
        !(s->prev.kid == K_STRING && nt.kid == K_STRING) &&
        !gap_breaks_line(c, s->prev.end, nt.start)) {
        if (site->bracketed)
            finding_comma(&s->f, &nt);
        else
            finding_unexpected(c, &s->f, &nt);
        return true;
    }
    finding_unexpected(c, &s->f, &s->lead);
    return false;
}

/* Describe the ERROR node `err` in one finding. Returns false when the
 * finding is only the fallback naming the first token: errors nested in
 * `err` may explain more. */
static bool scan_error(struct ctx *c, TSNode err, const struct error_site *site,
                       struct finding *out)
{
    struct scan s;
    memset(&s, 0, sizeof(s));
    s.c = c;
    s.err = err;
    s.bracketed = site->bracketed;

    struct leaves it;
    leaves_init(&it, c, err);
    TSNode leaf;
    uint32_t depth;
    while (!s.done && leaves_next(&it, &leaf, &depth)) {
        if (sym_of(leaf)->cls == SC_BLOCK) {
            /* A block's statements are the walk's business. It ends the line
             * before it; leading the ERROR, it is an unexpected indent. */
            struct tok bt;
            if (!s.have_lead && !s.lead_block && tok_from_node(c, first_leaf(leaf), &bt)) {
                s.lead_block = true;
                s.lead = bt;
            }
            if (s.have_prev && s.n_open == 0 && !s.bracketed)
                scan_line_end(&s, &s.prev, true);
            s.header_kind = NULL;
            s.have_prev = false;
            s.have_first = false;
            continue;
        }
        struct tok t;
        if (tok_from_node(c, leaf, &t))
            scan_token(&s, &t);
    }
    leaves_release(&it);

    bool specific = true;
    if (s.done) {
        /* found while reading */
    } else if (s.str_pending) {
        if (s.n_open > 0 && s.stack[s.n_open - 1].fstring) {
            uint32_t p = s.stack[s.n_open - 1].pos;
            finding_set(&s.f, p, p + 1, "f-string: expecting '}'");
        } else {
            finding_unterminated(c, &s.f, &s.str);
        }
    } else if (s.n_open > 0) {
        /* CPython names the innermost bracket still open at the end. */
        const struct opener *o = &s.stack[s.n_open - 1];
        finding_set(&s.f, o->pos, o->pos + 1, "'%c' was never closed", o->ch);
    } else if (s.tent) {
        s.f = s.tent_f;
    } else {
        if (s.have_prev) {
            /* What comes after the ERROR: a line end, or a token that
             * cannot follow its last one ('f(a=)', 'def f() -> :'). */
            char nc = next_char(c, ts_node_end_byte(err));
            const struct tok *p = &s.prev;
            if (nc == '\n' && !s.bracketed) {
                scan_line_end(&s, p, true);
            } else if (char_in(nc, ")]}:,;=")) {
                if (p->flags & TK_NEEDS_NAME)
                    scan_expected_after(&s, p, "name");
                else if (((p->flags & TK_NEEDS_EXPR) && !(p->kid == K_ELSE && nc == ':')) ||
                         p->kid == K_STARSTAR || (p->kid == K_STAR && nc != ',') ||
                         (p->kid == K_SLASH && nc != ',' && nc != ')'))
                    scan_expected_after(&s, p, "expression");
            } else if (p->kid == K_DEF || p->kid == K_CLASS) {
                scan_expected_after(&s, p, "name"); /* 'def (x):' */
            }
        }
        if (s.done) {
            /* found at the end */
        } else if (s.header_kind != NULL) {
            /* 'class A:' and then a line that is not indented */
            finding_set(&s.f, s.prev.end, s.prev.end, "expected an indented block after %s",
                        s.header_kind);
        } else if (s.have_lead || s.lead_block) {
            specific = scan_fallback(&s, site);
        } else {
            finding_set(&s.f, ts_node_start_byte(err), ts_node_end_byte(err), "invalid syntax");
            specific = false;
        }
    }
    *out = s.f;
    free(s.stack);
    return specific;
}

/* ---- compound statement headers ---- */

/* 'if x == 1\n    print(1)\nelse:' parses as an if_statement whose condition
 * swallowed the next line, with ERRORs inside. A compound statement's header
 * never spans lines outside brackets, so a line break there means the ':' is
 * missing at the end of the first line. Returns true and fills `f` and
 * `*header_end` (where the ':' or the block starts) when so. */
static bool header_broken(const struct ctx *c, TSNode stmt, struct finding *f, uint32_t *header_end)
{
    struct leaves it;
    leaves_init(&it, c, stmt);
    TSNode leaf;
    uint32_t depth, open = 0;
    bool have_prev = false, found = false;
    struct tok prev = {0}, t;
    *header_end = ts_node_end_byte(stmt);
    while (leaves_next(&it, &leaf, &depth)) {
        const struct syminfo *si = sym_of(leaf);
        if (depth == 1 &&
            (si->cls == SC_BLOCK || (si->kid == K_COLON && !ts_node_is_missing(leaf)))) {
            *header_end = ts_node_start_byte(leaf);
            break;
        }
        if (!tok_from_node(c, leaf, &t))
            continue;
        if (!found && have_prev && open == 0 && gap_breaks_line(c, prev.end, t.start)) {
            finding_set(f, prev.end, prev.end, "expected ':'");
            found = true;
        }
        if (t.flags & TK_OPEN)
            open++;
        else if ((t.flags & TK_CLOSE) && open > 0)
            open--;
        prev = t;
        have_prev = true;
    }
    leaves_release(&it);
    return found;
}

/* ---- MISSING nodes ---- */

static bool streq(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

/* tree-sitter inserted `n` (zero-width) to go on; say what was expected. */
static void missing_message(TSNode n, const char *field, const char *parent_type, struct finding *f,
                            uint32_t at)
{
    const char *type = ts_node_type(n);
    if (!ts_node_is_named(n)) {
        finding_set(f, at, at, "expected '%s'", type);
    } else if (strcmp(type, "identifier") == 0) {
        /* The cheapest node, a name, stands in where any expression would
         * do; say "name" only where Python requires one. */
        bool name = streq(field, "name") || streq(field, "alias") || streq(field, "attribute") ||
                    streq(parent_type, "dotted_name") || streq(parent_type, "aliased_import") ||
                    streq(parent_type, "global_statement") ||
                    streq(parent_type, "nonlocal_statement") || streq(parent_type, "parameters") ||
                    streq(parent_type, "lambda_parameters");
        finding_set(f, at, at, name ? "expected name" : "expected expression");
    } else if (strcmp(type, "block") == 0 || strcmp(type, "_indent") == 0) {
        finding_set(f, at, at, "expected an indented block");
    } else if (strcmp(type, "string_end") == 0) {
        finding_set(f, at, at, "unterminated string literal");
    } else {
        char words[64];
        size_t w = 0;
        for (const char *p = type + (type[0] == '_'); *p != '\0' && w + 1 < sizeof(words); p++)
            words[w++] = *p == '_' ? ' ' : *p;
        words[w] = '\0';
        finding_set(f, at, at, "expected %s", words);
    }
}

/* ---- keywords swallowed as names ---- */

/* The last leaf of `n`, comments aside (a string counts as one). */
static TSNode last_leaf(TSNode n)
{
    while (ts_node_child_count(n) > 0 && sym_of(n)->cls != SC_STRING) {
        uint32_t i = ts_node_child_count(n);
        TSNode ch = ts_node_child(n, --i);
        while (i > 0 && sym_of(ch)->cls == SC_SKIP)
            ch = ts_node_child(n, --i);
        n = ch;
    }
    return n;
}

/* Whether leaf `n` is a keyword lexed as a name, first on its line. */
static bool keyword_as_name(const struct ctx *c, TSNode n, struct tok *kw)
{
    return sym_of(n)->kid == K_IDENT && tok_from_node(c, n, kw) && !kw->is_name &&
           starts_line(c, kw->start);
}

/* 'from m import' then 'def f(x):' on the next line: error recovery reads
 * the keyword as the name imported ('import def'), the statement looks
 * whole, and the ERROR starts at 'f(x):'. Or 'x =' then 'if y:', where the
 * ERROR is the 'if'. The mistake is the unfinished line before the
 * keyword. `prev` is the sibling before the ERROR, `err` the ERROR; true
 * and `f` filled when a keyword lexed as a name ends `prev` or begins `err`,
 * first on its line, after a token in `prev` that wanted more. */
static bool swallowed_keyword(const struct ctx *c, TSNode prev, TSNode err, struct finding *f)
{
    struct tok kw, before;
    if (!keyword_as_name(c, last_leaf(prev), &kw) && !keyword_as_name(c, first_leaf(err), &kw))
        return false;
    uint32_t p = kw.start, lo = ts_node_start_byte(prev);
    for (int tries = 0; tries < 64; tries++) {
        while (p > lo && char_in(c->text[p - 1], " \t\f\r\n\\"))
            p--;
        if (p <= lo)
            return false;
        TSNode b = ts_node_descendant_for_byte_range(prev, p - 1, p);
        if (sym_of(b)->cls == SC_SKIP) {
            p = ts_node_start_byte(b); /* a comment: look before it */
            continue;
        }
        if (!tok_from_node(c, b, &before) || before.end != p)
            return false;
        if (before.flags & TK_NEEDS_NAME)
            finding_set(f, p, p, "expected name");
        else if (before.flags & TK_NEEDS_EXPR)
            finding_set(f, p, p, "expected expression");
        else
            return false;
        return true;
    }
    return false;
}

/* ---- the walk ---- */

struct frame {
    TSNode node;
    uint32_t open;          /* brackets opened among the children seen so far */
    uint32_t silent_before; /* children starting before this are explained */
    bool silent;            /* inside an explained ERROR: look for blocks only */
    bool children_silent;
    bool bracketed;      /* an ancestor's bracket is open around this node */
    bool prev_ends_expr; /* the last child seen ends an expression */
    bool has_prev;
    TSNode prev_child; /* the last child seen, comments aside */
    /* An ERROR whose tokens explain nothing: its fallback finding, reported
     * when the walk leaves it only if nothing inside was (n_found == mark). */
    struct finding *weak;
    size_t weak_mark;
};

static void frame_enter(struct frame *f, const struct frame *parent, TSNode n)
{
    memset(f, 0, sizeof(*f));
    f->node = n;
    if (parent == NULL)
        return;
    f->silent =
        parent->silent || parent->children_silent || ts_node_start_byte(n) < parent->silent_before;
    f->bracketed = parent->bracketed || parent->open > 0;
    if (sym_of(n)->cls == SC_BLOCK) {
        /* A block's statements stand on their own, even inside a broken
         * statement, and are never inside brackets. */
        f->silent = false;
        f->bracketed = false;
    }
}

/* A child of `parent` is done: count its brackets. */
static void frame_after_child(struct frame *parent, TSNode child)
{
    if (ts_node_is_missing(child))
        return;
    const struct syminfo *si = sym_of(child);
    if (si->cls != SC_SKIP) {
        parent->prev_child = child;
        parent->has_prev = true;
    }
    if (si->flags & TK_OPEN) {
        parent->open++;
        parent->prev_ends_expr = false;
    } else if (si->flags & TK_CLOSE) {
        parent->open -= parent->open > 0;
        parent->prev_ends_expr = true;
    } else if (ts_node_is_named(child)) {
        if (si->cls != SC_SKIP)
            parent->prev_ends_expr = !is_error(child);
    } else {
        parent->prev_ends_expr = false;
    }
}

/* Visit node `n` (the cursor's) in frame `fr`; returns whether to descend. */
static bool visit(struct ctx *c, TSTreeCursor *cur, struct frame *fr, const struct frame *parent,
                  uint32_t last_end)
{
    TSNode n = fr->node;
    struct finding f;
    if (!ts_node_has_error(n))
        return false;
    if (ts_node_is_missing(n)) {
        if (!fr->silent) {
            /* On the end of the token before, where editors show it. */
            uint32_t at = ts_node_start_byte(n);
            if (last_end < at)
                at = last_end;
            missing_message(n, ts_tree_cursor_current_field_name(cur),
                            parent ? ts_node_type(parent->node) : NULL, &f, at);
            report(c, &f);
        }
        return false;
    }
    if (is_error(n)) {
        if (fr->silent) {
            fr->children_silent = true;
            return true;
        }
        struct error_site site = {
            .bracketed = fr->bracketed,
            .after_expr = parent != NULL && parent->prev_ends_expr,
            .in_condition = parent != NULL && (sym_of(parent->node)->st & ST_CONDITION),
        };
        if (parent != NULL && parent->has_prev && swallowed_keyword(c, parent->prev_child, n, &f)) {
            report(c, &f);
            fr->children_silent = true;
            return true;
        }
        if (parent != NULL) {
            TSTreeCursor peek = ts_tree_cursor_copy(cur);
            if (ts_tree_cursor_goto_next_sibling(&peek))
                site.next = ts_tree_cursor_current_node(&peek);
            ts_tree_cursor_delete(&peek);
        }
        if (scan_error(c, n, &site, &f)) {
            report(c, &f);
            fr->children_silent = true;
        } else {
            fr->weak = xmalloc(sizeof(*fr->weak));
            *fr->weak = f;
            fr->weak_mark = c->n_found;
        }
        return true;
    }
    uint32_t header_end;
    if (!fr->silent && (sym_of(n)->st & ST_COMPOUND) && header_broken(c, n, &f, &header_end)) {
        report(c, &f);
        fr->silent_before = header_end;
    }
    return true;
}

static int run(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out)
{
    (void)opts;
    if (syms == NULL || doc == NULL || doc->tree == NULL || doc->text == NULL)
        return -MG_EINVAL;
    TSNode root = ts_tree_root_node(doc->tree);
    if (!ts_node_has_error(root))
        return 0;

    struct ctx c = {.text = doc->text, .out = out};
    c.len = doc->len > UINT32_MAX ? UINT32_MAX : (uint32_t)doc->len;

    size_t cap = 64, depth = 0;
    struct frame *stack = xmalloc(cap * sizeof(*stack));
    frame_enter(&stack[0], NULL, root);
    uint32_t last_end = 0; /* end of the last node left, for zero-width findings */
    TSTreeCursor cur = ts_tree_cursor_new(root);
    for (;;) {
        bool descend =
            !c.stop && visit(&c, &cur, &stack[depth], depth ? &stack[depth - 1] : NULL, last_end);
        if (descend && ts_tree_cursor_goto_first_child(&cur)) {
            MG_GROW(stack, cap, depth + 2);
            depth++;
            frame_enter(&stack[depth], &stack[depth - 1], ts_tree_cursor_current_node(&cur));
            continue;
        }
        /* Leave nodes until one has a next sibling. */
        for (;;) {
            struct frame *fr = &stack[depth];
            if (fr->weak != NULL) {
                if (c.n_found == fr->weak_mark)
                    report(&c, fr->weak);
                free(fr->weak);
                fr->weak = NULL;
            }
            if (!ts_node_is_missing(fr->node) && sym_of(fr->node)->cls != SC_SKIP &&
                ts_node_end_byte(fr->node) > last_end)
                last_end = ts_node_end_byte(fr->node);
            if (depth == 0 || c.stop)
                goto out;
            frame_after_child(&stack[depth - 1], fr->node);
            if (ts_tree_cursor_goto_next_sibling(&cur)) {
                frame_enter(fr, &stack[depth - 1], ts_tree_cursor_current_node(&cur));
                break;
            }
            ts_tree_cursor_goto_parent(&cur);
            depth--;
        }
    }
out:
    for (size_t i = 0; i <= depth; i++)
        free(stack[i].weak);
    ts_tree_cursor_delete(&cur);
    free(stack);
    return 0;
}

static const struct an_rule rules[] = {
    {SYN_CODE, "syntax-error", AN_ERROR, "the code does not parse", 0},
};

const struct analyzer an_syntax = {
    .name = "syntax",
    .rules = rules,
    .n_rules = MG_ARRAY_LEN(rules),
    .init = init,
    .fini = fini,
    .run = run,
};
