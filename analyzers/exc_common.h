/* Recognisers of exception handling shared by the exceptions analyzer and
 * the workspace summaries: an `except` clause taken apart, the parts of a
 * `raise`, whether a raise re-raises what a handler caught, oslo's
 * save_and_reraise_exception, and a comment-skipping child iterator. They
 * read node kinds from a table built once by exc_init(); afterwards every
 * function is pure and thread-safe. Offsets are bytes of the borrowed text. */
#ifndef MG_EXC_COMMON_H
#define MG_EXC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

/* Build the node-kind table for `lang`. Reference counted: every caller of
 * exc_init() calls exc_fini() once. Call before any thread uses the
 * recognisers. Returns 0. */
int exc_init(const TSLanguage *lang);
void exc_fini(void);

/* The node kinds the recognisers (and their users) tell apart. */
enum exc_kind {
    EXC_K_OTHER,
    EXC_K_BLOCK,
    EXC_K_TRY,
    EXC_K_EXCEPT,
    EXC_K_EXCEPT_GROUP,
    EXC_K_ELSE,
    EXC_K_FINALLY,
    EXC_K_FUNCDEF,
    EXC_K_CLASSDEF,
    EXC_K_DECORATED,
    EXC_K_RAISE,
    EXC_K_WITH,
    EXC_K_WITH_CLAUSE,
    EXC_K_WITH_ITEM,
    EXC_K_IDENTIFIER,
    EXC_K_ATTRIBUTE,
    EXC_K_CALL,
    EXC_K_TUPLE,
    EXC_K_PAREN,
    EXC_K_AS_PATTERN,
    EXC_K_AS_TARGET,
    EXC_K_LIST_SPLAT,
    EXC_K_COMMENT,
    EXC_K_LAMBDA,
    EXC_K_ERROR,
    EXC_K_STRING,    /* string, concatenated_string */
    EXC_K_COMPOUND,  /* if/elif/for/while/match/case: statements holding blocks */
    EXC_K_IMPORT,    /* import_statement, import_from_statement */
    EXC_K_EXPR_STMT, /* expression_statement */
    EXC_K_RETURN,    /* return_statement */
    EXC_T_AS,
    EXC_T_COMMA,
    EXC_T_EXCEPT,
    EXC_T_EXCEPT_STAR,
};

enum exc_kind exc_kind_of(TSNode n);

/* The named children of a node, comments left out, in O(children). */
struct exc_kids {
    TSTreeCursor cur;
    bool more;
};
void exc_kids_begin(struct exc_kids *k, TSNode n);
/* The next named child that is not a comment; false at the end. */
bool exc_kids_next(struct exc_kids *k, TSNode *out);
void exc_kids_end(struct exc_kids *k);

/* The first named child that is not a comment, or a null node. */
TSNode exc_first_named(TSNode n);
/* `(x)` -> `x`, however deep. */
TSNode exc_unparen(TSNode n);

/* An `except` clause taken apart. */
struct exc_handler {
    TSNode node;
    TSNode type;         /* the caught expression (unparenthesised), null when bare */
    TSNode type_written; /* the same as written, with its parentheses */
    TSNode name;         /* the bound identifier, null when none */
    TSNode alias;        /* whatever follows `as`, null when none (may not be a name) */
    TSNode block;
    uint32_t kw_start, kw_end; /* the `except` keyword */
    uint32_t header_end;       /* end of the type or alias: where `:` follows */
    bool star;                 /* except* */
};

/* Take an except_clause / except_group_clause apart. Handles `except E as
 * n`, `except (A, B) as n`, Python 2's `except E, n`, and `except* E` (which
 * tree-sitter-python 0.23 parses as an except_clause whose value is a
 * list_splat). Returns false for what is not a well-formed handler. */
bool exc_handler_parse(TSNode node, struct exc_handler *h);

/* The parts of a raise statement: the raised expression and the cause
 * (null nodes when absent). */
void exc_raise_parse(TSNode raise, TSNode *exc, TSNode *cause);

/* Whether `raise` re-raises what the handler caught, as Ruff's BLE001
 * counts it: a bare `raise`, `raise name`, `raise name from X` or `raise X
 * from name` where `name` is the handler's bound name (`name_node`, may be
 * null). `text` is the document's text, `len` its length. */
bool exc_raise_is_reraise(const char *text, uint32_t len, TSNode raise, TSNode name_node);

/* `with excutils.save_and_reraise_exception():` (oslo.utils), which
 * re-raises the exception being handled when its block ends. */
bool exc_with_is_save_and_reraise(const char *text, uint32_t len, TSNode with);

#endif
