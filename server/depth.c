/* depth_estimate(): see depth.h.
 *
 * The model. Tree-sitter's LR stack holds, for each open bracket, what was
 * pending outside it, and within one bracket level (or one logical line)
 * the tokens not yet reduced. Left-associative operators, '.', commas and
 * the end of a statement let the parser reduce what came before, so they
 * reset the count of their level; prefix operators ('-', 'not', 'await',
 * 'lambda', '*'), right-associative ones ('**', '=', ':=', if/else) and
 * ':' do not, and their pending tokens are kept in `base`. Each block
 * indentation level costs INDENT_COST entries (a compound statement's
 * header stays on the stack until its block ends). The numbers err on the
 * high side; the only cost of erring is a refused file, and DEPTH_LIMIT
 * leaves real code (which stays under ~500) far below it. */
#include "depth.h"
#include "mg.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define INDENT_COST 16u

struct level {
    uint64_t base;        /* pending entries that a binary operator cannot reduce */
    uint64_t operand;     /* entries of the operand being built */
    uint64_t before;      /* the parent's operand before this bracket opened */
    bool call;            /* opened right after an operand: a call or subscript */
    unsigned char closer; /* the byte that closes it */
};

struct scan {
    const unsigned char *s;
    size_t len, i;
    struct level *lv;
    size_t n_lv, cap_lv;
    uint64_t outer; /* sum of base + operand over every level but the top */
    uint32_t *indent;
    size_t n_indent, cap_indent;
    uint64_t max;
    bool prev_operand, prev_string;
};

static struct level *top(struct scan *sc)
{
    return &sc->lv[sc->n_lv - 1];
}

static void note(struct scan *sc)
{
    struct level *t = top(sc);
    uint64_t est = sc->outer + t->base + t->operand + INDENT_COST * (sc->n_indent - 1);
    if (est > sc->max)
        sc->max = est;
}

static void operand(struct scan *sc, bool is_string)
{
    if (!(is_string && sc->prev_string)) /* "a" "b": one concatenated string */
        top(sc)->operand++;
    sc->prev_operand = true;
    sc->prev_string = is_string;
}

/* A prefix or right-associative token: nothing before it reduces. */
static void prefix(struct scan *sc, unsigned width)
{
    struct level *t = top(sc);
    t->base += t->operand + width;
    t->operand = 0;
    sc->prev_operand = sc->prev_string = false;
}

/* A left-associative binary operator: the left side reduces to one entry. */
static void binary(struct scan *sc)
{
    top(sc)->operand = 2;
    sc->prev_operand = sc->prev_string = false;
}

static void open_bracket(struct scan *sc, unsigned char c)
{
    struct level *t = top(sc);
    struct level child = {.before = t->operand,
                          .call = sc->prev_operand,
                          .closer = c == '(' ? ')' : (c == '[' ? ']' : '}')};
    t->operand++;
    sc->outer += t->base + t->operand;
    MG_GROW(sc->lv, sc->cap_lv, sc->n_lv + 1);
    sc->lv[sc->n_lv++] = child;
    sc->prev_operand = sc->prev_string = false;
}

static void close_bracket(struct scan *sc, unsigned char c)
{
    if (sc->n_lv > 1 && top(sc)->closer != c) {
        /* A stray or mismatched closer closes nothing: the parser keeps
         * what is open and the token itself stays pending. */
        operand(sc, false);
        return;
    }
    if (sc->n_lv > 1) {
        struct level child = sc->lv[--sc->n_lv];
        struct level *t = top(sc);
        sc->outer -= t->base + t->operand;
        t->operand = child.call ? child.before : child.before + 1;
    }
    sc->prev_operand = true;
    sc->prev_string = false;
}

static void end_statement(struct scan *sc)
{
    struct level *t = top(sc);
    t->base = t->operand = 0;
    sc->prev_operand = sc->prev_string = false;
}

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool word_is(const unsigned char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && memcmp(w, kw, n) == 0;
}

/* Whether word w[0, n) is a string prefix (r, b, u, f, t and pairs); sets
 * *interp for f- and t-strings. */
static bool string_prefix(const unsigned char *w, size_t n, bool *interp)
{
    if (n > 2)
        return false;
    *interp = false;
    for (size_t k = 0; k < n; k++) {
        switch (w[k] | 0x20) {
        case 'f':
        case 't':
            *interp = true;
            break;
        case 'r':
        case 'b':
        case 'u':
            break;
        default:
            return false;
        }
    }
    return true;
}

/* Skip a string literal starting at the quote sc->s[sc->i]. In f-strings
 * the brackets and operators of the replacement fields count, roughly:
 * two entries per open bracket and one per operator character. */
static void string(struct scan *sc, bool interp)
{
    const unsigned char *s = sc->s;
    unsigned char q = s[sc->i];
    bool triple = sc->i + 2 < sc->len && s[sc->i + 1] == q && s[sc->i + 2] == q;
    size_t i = sc->i + (triple ? 3 : 1);
    uint64_t depth = 0, extra = 0, max_extra = 0;
    while (i < sc->len) {
        unsigned char c = s[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == q && (!triple || (i + 2 < sc->len && s[i + 1] == q && s[i + 2] == q))) {
            i += triple ? 3 : 1;
            break;
        }
        if (!triple && (c == '\n' || c == '\r'))
            break; /* unterminated: the newline ends it */
        if (interp) {
            if (c == '{' || c == '(' || c == '[') {
                if (c == '{' && depth == 0 && i + 1 < sc->len && s[i + 1] == '{') {
                    i += 2; /* "{{" is a literal brace */
                    continue;
                }
                depth++;
                extra += 2;
            } else if (c == '}' || c == ')' || c == ']') {
                if (depth > 0) {
                    depth--;
                    extra = extra >= 2 ? extra - 2 : 0;
                }
            } else if (depth > 0 && strchr("+-*/%@&|^~<>=!:", c) != NULL) {
                extra++;
            }
            if (extra > max_extra)
                max_extra = extra;
        }
        i++;
    }
    sc->i = i;
    operand(sc, true);
    top(sc)->operand += max_extra;
    note(sc);
    top(sc)->operand -= max_extra;
}

static void word(struct scan *sc)
{
    const unsigned char *w = sc->s + sc->i;
    size_t n = 0;
    while (sc->i + n < sc->len && is_ident(w[n]))
        n++;
    bool interp;
    if (sc->i + n < sc->len && (w[n] == '\'' || w[n] == '"') && string_prefix(w, n, &interp)) {
        sc->i += n;
        string(sc, interp);
        return;
    }
    sc->i += n;
    if (word_is(w, n, "and") || word_is(w, n, "or") || word_is(w, n, "is") || word_is(w, n, "in") ||
        word_is(w, n, "not")) {
        if (sc->prev_operand)
            binary(sc); /* "a and b", "a not in b" */
        else
            prefix(sc, 1);
    } else if (word_is(w, n, "lambda") || word_is(w, n, "await") || word_is(w, n, "yield") ||
               word_is(w, n, "if") || word_is(w, n, "else") || word_is(w, n, "for") ||
               word_is(w, n, "async") || word_is(w, n, "from")) {
        prefix(sc, 1);
    } else {
        operand(sc, false);
    }
}

static void number(struct scan *sc)
{
    while (sc->i < sc->len && (is_ident(sc->s[sc->i]) || sc->s[sc->i] == '.'))
        sc->i++;
    operand(sc, false);
}

/* At the start of a logical line: track the indentation levels. */
static void indentation(struct scan *sc)
{
    uint32_t width = 0;
    size_t i = sc->i;
    for (; i < sc->len; i++) {
        unsigned char c = sc->s[i];
        if (c == ' ')
            width++;
        else if (c == '\t')
            width = (width / 8 + 1) * 8;
        else if (c != '\f')
            break;
    }
    sc->i = i;
    if (i >= sc->len || sc->s[i] == '\n' || sc->s[i] == '\r' || sc->s[i] == '#')
        return; /* blank or comment line */
    while (sc->n_indent > 1 && sc->indent[sc->n_indent - 1] > width)
        sc->n_indent--;
    if (width > sc->indent[sc->n_indent - 1]) {
        MG_GROW(sc->indent, sc->cap_indent, sc->n_indent + 1);
        sc->indent[sc->n_indent++] = width;
    }
}

uint32_t depth_estimate(const char *text, size_t len)
{
    struct scan sc = {.s = (const unsigned char *)text, .len = len};
    MG_GROW(sc.lv, sc.cap_lv, 1);
    sc.lv[sc.n_lv++] = (struct level){0};
    MG_GROW(sc.indent, sc.cap_indent, 1);
    sc.indent[sc.n_indent++] = 0;
    bool line_start = true, has_token = false;
    while (sc.i < len && sc.max <= DEPTH_LIMIT) {
        if (line_start) {
            line_start = false;
            indentation(&sc);
            continue;
        }
        unsigned char c = sc.s[sc.i];
        if (c == '#' ||
            (c == '\\' && sc.i + 1 < len && (sc.s[sc.i + 1] == '\n' || sc.s[sc.i + 1] == '\r'))) {
            /* Comments and line continuations are extras: tokens that stay
             * on the stack until the next reduction takes them in, so a
             * long run of them counts like a long run of operands. */
            if (c == '#') {
                while (sc.i < len && sc.s[sc.i] != '\n' && sc.s[sc.i] != '\r')
                    sc.i++;
            } else {
                sc.i += 2; /* "\\\r\n" leaves a '\n': a blank line */
            }
            top(&sc)->operand++;
            note(&sc);
            continue;
        }
        if (c == '\n' || c == '\r') {
            sc.i++;
            if (sc.n_lv == 1) {
                /* Only a complete statement reduces what is pending: not a
                 * line of comments, and not a line ending in an operator
                 * or keyword ("a if"), after which the scanner emits no
                 * NEWLINE and the expression goes on. */
                if (has_token && sc.prev_operand)
                    end_statement(&sc);
                has_token = false;
                line_start = true;
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\f') {
            sc.i++;
            continue;
        }
        has_token = true;
        if (c == '\'' || c == '"') {
            string(&sc, false);
            continue;
        }
        if (is_ident_start(c)) {
            word(&sc);
        } else if (c >= '0' && c <= '9') {
            number(&sc);
        } else if (c == '.' && sc.i + 1 < len && sc.s[sc.i + 1] >= '0' && sc.s[sc.i + 1] <= '9' &&
                   !sc.prev_operand) {
            number(&sc);
        } else {
            sc.i++;
            switch (c) {
            case '(':
            case '[':
            case '{':
                open_bracket(&sc, c);
                break;
            case ')':
            case ']':
            case '}':
                close_bracket(&sc, c);
                break;
            case ',':
                top(&sc)->base = 0;
                top(&sc)->operand = 1;
                sc.prev_operand = sc.prev_string = false;
                break;
            case ';':
                if (sc.n_lv == 1 && sc.prev_operand)
                    end_statement(&sc);
                else
                    prefix(&sc, 1);
                break;
            case '.':
                if (sc.i + 1 < len && sc.s[sc.i] == '.' && sc.s[sc.i + 1] == '.') {
                    sc.i += 2;
                    operand(&sc, false); /* ... */
                } else {
                    binary(&sc);
                }
                break;
            case '*':
                if (sc.i < len && sc.s[sc.i] == '*') {
                    sc.i++;
                    prefix(&sc, 2); /* right-associative, or **kwargs; in error
                                       recovery maybe two '*' tokens */
                    break;
                }
                /* fall through */
            case '+':
            case '-':
            case '/':
            case '%':
            case '@':
            case '&':
            case '|':
            case '^':
            case '<':
            case '>':
            case '!':
                if (sc.prev_operand)
                    binary(&sc);
                else
                    prefix(&sc, 1);
                break;
            default: /* '=', ':', '~' and stray bytes */
                prefix(&sc, 1);
                break;
            }
        }
        note(&sc);
    }
    free(sc.lv);
    free(sc.indent);
    return sc.max > UINT32_MAX ? UINT32_MAX : (uint32_t)sc.max;
}
