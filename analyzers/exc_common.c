/* Shared recognisers of exception handling (see exc_common.h). Moved here
 * from exceptions.c so that the workspace summaries (summary.c) give the
 * same answers as the local rules. */
#include "exc_common.h"
#include "log.h"
#include "mg.h"

#include <stdlib.h>
#include <string.h>

/* tree-sitter's symbol for ERROR nodes (ts_builtin_sym_error). */
#define EXC_SYM_ERROR ((TSSymbol)-1)

struct kind_name {
    const char *name;
    bool named;
    enum exc_kind kind;
};

static const struct kind_name kind_names[] = {
    {"block", true, EXC_K_BLOCK},
    {"try_statement", true, EXC_K_TRY},
    {"except_clause", true, EXC_K_EXCEPT},
    {"except_group_clause", true, EXC_K_EXCEPT_GROUP},
    {"else_clause", true, EXC_K_ELSE},
    {"finally_clause", true, EXC_K_FINALLY},
    {"function_definition", true, EXC_K_FUNCDEF},
    {"class_definition", true, EXC_K_CLASSDEF},
    {"decorated_definition", true, EXC_K_DECORATED},
    {"raise_statement", true, EXC_K_RAISE},
    {"with_statement", true, EXC_K_WITH},
    {"with_clause", true, EXC_K_WITH_CLAUSE},
    {"with_item", true, EXC_K_WITH_ITEM},
    {"identifier", true, EXC_K_IDENTIFIER},
    {"attribute", true, EXC_K_ATTRIBUTE},
    {"call", true, EXC_K_CALL},
    {"tuple", true, EXC_K_TUPLE},
    {"parenthesized_expression", true, EXC_K_PAREN},
    {"as_pattern", true, EXC_K_AS_PATTERN},
    {"as_pattern_target", true, EXC_K_AS_TARGET},
    {"list_splat", true, EXC_K_LIST_SPLAT},
    {"comment", true, EXC_K_COMMENT},
    {"lambda", true, EXC_K_LAMBDA},
    {"string", true, EXC_K_STRING},
    {"concatenated_string", true, EXC_K_STRING},
    {"if_statement", true, EXC_K_COMPOUND},
    {"elif_clause", true, EXC_K_COMPOUND},
    {"for_statement", true, EXC_K_COMPOUND},
    {"while_statement", true, EXC_K_COMPOUND},
    {"match_statement", true, EXC_K_COMPOUND},
    {"case_clause", true, EXC_K_COMPOUND},
    {"import_statement", true, EXC_K_IMPORT},
    {"import_from_statement", true, EXC_K_IMPORT},
    {"expression_statement", true, EXC_K_EXPR_STMT},
    {"return_statement", true, EXC_K_RETURN},
    {"as", false, EXC_T_AS},
    {",", false, EXC_T_COMMA},
    {"except", false, EXC_T_EXCEPT},
    {"except*", false, EXC_T_EXCEPT_STAR},
};

/* Built by exc_init(); read-only while runs go on. */
static uint8_t *kinds;
static uint32_t n_kinds;
static unsigned users;
static TSFieldId f_alias, f_cause, f_value, f_function, f_attribute;

int exc_init(const TSLanguage *lang)
{
    if (users++ > 0)
        return 0;
    n_kinds = ts_language_symbol_count(lang);
    kinds = xcalloc(n_kinds, sizeof(*kinds));
    for (uint32_t i = 0; i < n_kinds; i++) {
        const char *name = ts_language_symbol_name(lang, (TSSymbol)i);
        TSSymbolType type = ts_language_symbol_type(lang, (TSSymbol)i);
        if (name == NULL || type == TSSymbolTypeAuxiliary)
            continue;
        for (size_t j = 0; j < MG_ARRAY_LEN(kind_names); j++)
            if (kind_names[j].named == (type == TSSymbolTypeRegular) &&
                strcmp(name, kind_names[j].name) == 0)
                kinds[i] = (uint8_t)kind_names[j].kind;
    }
    f_alias = ts_language_field_id_for_name(lang, "alias", 5);
    f_cause = ts_language_field_id_for_name(lang, "cause", 5);
    f_value = ts_language_field_id_for_name(lang, "value", 5);
    f_function = ts_language_field_id_for_name(lang, "function", 8);
    f_attribute = ts_language_field_id_for_name(lang, "attribute", 9);
    return 0;
}

void exc_fini(void)
{
    if (users == 0 || --users > 0)
        return;
    free(kinds);
    kinds = NULL;
    n_kinds = 0;
}

enum exc_kind exc_kind_of(TSNode n)
{
    TSSymbol s = ts_node_symbol(n);
    if (s == EXC_SYM_ERROR)
        return EXC_K_ERROR;
    return s < n_kinds ? (enum exc_kind)kinds[s] : EXC_K_OTHER;
}

void exc_kids_begin(struct exc_kids *k, TSNode n)
{
    k->cur = ts_tree_cursor_new(n);
    k->more = ts_tree_cursor_goto_first_child(&k->cur);
}

bool exc_kids_next(struct exc_kids *k, TSNode *out)
{
    while (k->more) {
        TSNode n = ts_tree_cursor_current_node(&k->cur);
        k->more = ts_tree_cursor_goto_next_sibling(&k->cur);
        if (ts_node_is_named(n) && exc_kind_of(n) != EXC_K_COMMENT) {
            *out = n;
            return true;
        }
    }
    return false;
}

void exc_kids_end(struct exc_kids *k)
{
    ts_tree_cursor_delete(&k->cur);
}

TSNode exc_first_named(TSNode n)
{
    TSNode ch = {0};
    struct exc_kids k;
    exc_kids_begin(&k, n);
    if (!exc_kids_next(&k, &ch))
        ch = (TSNode){0};
    exc_kids_end(&k);
    return ch;
}

TSNode exc_unparen(TSNode n)
{
    while (!ts_node_is_null(n) && exc_kind_of(n) == EXC_K_PAREN) {
        TSNode inner = exc_first_named(n);
        if (ts_node_is_null(inner))
            break;
        n = inner;
    }
    return n;
}

bool exc_handler_parse(TSNode node, struct exc_handler *h)
{
    memset(h, 0, sizeof(*h));
    h->node = node;
    enum exc_kind k = exc_kind_of(node);
    if (k != EXC_K_EXCEPT && k != EXC_K_EXCEPT_GROUP)
        return false;
    h->star = k == EXC_K_EXCEPT_GROUP;
    bool after_as = false, have_kw = false;
    TSTreeCursor cur = ts_tree_cursor_new(node);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            enum exc_kind ck = exc_kind_of(ch);
            if (ck == EXC_T_EXCEPT || ck == EXC_T_EXCEPT_STAR) {
                h->kw_start = ts_node_start_byte(ch);
                h->kw_end = ts_node_end_byte(ch);
                h->star = h->star || ck == EXC_T_EXCEPT_STAR;
                have_kw = true;
            } else if (ck == EXC_T_AS || ck == EXC_T_COMMA) {
                after_as = true;
            } else if (ck == EXC_K_BLOCK) {
                h->block = ch;
            } else if (ck == EXC_K_COMMENT || !ts_node_is_named(ch)) {
                continue;
            } else if (after_as) {
                h->alias = ch;
            } else if (ts_node_is_null(h->type)) {
                h->type = ch;
            }
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    if (!have_kw || ts_node_is_null(h->block))
        return false;
    h->header_end = h->kw_end;
    if (!ts_node_is_null(h->type) && exc_kind_of(h->type) == EXC_K_AS_PATTERN) {
        /* `E as n`: the pattern's first child is the type, its alias the name. */
        TSNode pat = h->type;
        h->type = exc_first_named(pat);
        h->alias = ts_node_child_by_field_id(pat, f_alias);
        if (!ts_node_is_null(h->alias) && exc_kind_of(h->alias) == EXC_K_AS_TARGET)
            h->alias = exc_first_named(h->alias);
        if (ts_node_is_null(h->type))
            return false;
        h->header_end = ts_node_end_byte(pat);
    } else if (!ts_node_is_null(h->type)) {
        h->header_end = ts_node_end_byte(ts_node_is_null(h->alias) ? h->type : h->alias);
    }
    if (!ts_node_is_null(h->type) && exc_kind_of(h->type) == EXC_K_LIST_SPLAT) {
        h->star = true;
        h->type = exc_first_named(h->type);
        if (ts_node_is_null(h->type))
            return false;
    }
    h->type_written = h->type;
    h->type = exc_unparen(h->type);
    if (!ts_node_is_null(h->alias) && exc_kind_of(h->alias) == EXC_K_IDENTIFIER)
        h->name = h->alias;
    return true;
}

void exc_raise_parse(TSNode raise, TSNode *exc, TSNode *cause)
{
    *cause = ts_node_child_by_field_id(raise, f_cause);
    *exc = (TSNode){0};
    struct exc_kids k;
    TSNode ch;
    exc_kids_begin(&k, raise);
    while (exc_kids_next(&k, &ch)) {
        if (ts_node_eq(ch, *cause))
            continue;
        *exc = ch;
        break;
    }
    exc_kids_end(&k);
}

static const char *text_of(const char *text, uint32_t len, TSNode n, uint32_t *out)
{
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    if (e > len)
        e = len;
    if (s > e)
        s = e;
    *out = e - s;
    return text + s;
}

bool exc_raise_is_reraise(const char *text, uint32_t len, TSNode raise, TSNode name_node)
{
    TSNode exc, cause;
    exc_raise_parse(raise, &exc, &cause);
    if (ts_node_is_null(exc) && ts_node_is_null(cause))
        return true;
    if (ts_node_is_null(name_node))
        return false;
    uint32_t nlen;
    const char *name = text_of(text, len, name_node, &nlen);
    TSNode cands[2] = {exc, cause};
    for (size_t i = 0; i < 2; i++) {
        TSNode x = cands[i];
        if (ts_node_is_null(x) || exc_kind_of(x) != EXC_K_IDENTIFIER)
            continue;
        uint32_t xl;
        const char *t = text_of(text, len, x, &xl);
        if (xl == nlen && memcmp(t, name, xl) == 0)
            return true;
    }
    return false;
}

bool exc_with_is_save_and_reraise(const char *text, uint32_t len, TSNode with)
{
    static const char want[] = "save_and_reraise_exception";
    bool found = false;
    struct exc_kids kc, ki;
    TSNode clause, item;
    exc_kids_begin(&kc, with);
    while (!found && exc_kids_next(&kc, &clause)) {
        if (exc_kind_of(clause) != EXC_K_WITH_CLAUSE)
            continue;
        exc_kids_begin(&ki, clause);
        while (!found && exc_kids_next(&ki, &item)) {
            if (exc_kind_of(item) != EXC_K_WITH_ITEM)
                continue;
            TSNode v = ts_node_child_by_field_id(item, f_value);
            if (!ts_node_is_null(v) && exc_kind_of(v) == EXC_K_AS_PATTERN)
                v = exc_first_named(v);
            if (ts_node_is_null(v) || exc_kind_of(v) != EXC_K_CALL)
                continue;
            TSNode fn = ts_node_child_by_field_id(v, f_function);
            if (!ts_node_is_null(fn) && exc_kind_of(fn) == EXC_K_ATTRIBUTE)
                fn = ts_node_child_by_field_id(fn, f_attribute);
            if (ts_node_is_null(fn) || exc_kind_of(fn) != EXC_K_IDENTIFIER)
                continue;
            uint32_t fl;
            const char *s = text_of(text, len, fn, &fl);
            found = fl == sizeof(want) - 1 && memcmp(s, want, fl) == 0;
        }
        exc_kids_end(&ki);
    }
    exc_kids_end(&kc);
    return found;
}
