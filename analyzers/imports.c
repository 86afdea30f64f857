/* F401: unused imports, with fixes that remove exactly what is unused.
 *
 * A name bound by `import` or `from ... import` is unused when no load
 * that Python would resolve to that binding exists. Three passes:
 *
 *   0. Candidates. A scan of the text after each `import` keyword collects
 *      the names import statements may bind (a superset); then a scan of
 *      the text records where those names (and `__all__`) occur as words.
 *      A subtree with no such occurrence cannot matter and is never walked.
 *   1. Events. An iterative walk (a stack of tasks, no recursion) turns the
 *      tree into a stream of events in evaluation order, not text order:
 *      the right side of an assignment before its targets, a
 *      comprehension's clauses before its element, a function's decorators,
 *      defaults and annotations, then its name, then its body. Events are
 *      loads and bindings of candidate names, scope entries and exits, and
 *      the shape of control flow (branches, loops, try, with, match). It
 *      also records which names each scope binds (and `global`/`nonlocal`).
 *   2. Flow. The stream is replayed. Every scope keeps, for each candidate
 *      name it binds, the set of bindings that may reach the current point
 *      (reaching definitions over structured control flow: branches are
 *      merged, a loop body may see its own later bindings, a handler or a
 *      `finally` may see any binding of the `try` body). A load is resolved
 *      by Python's rules (function scopes, class bodies invisible from
 *      their methods, a class body falling back to globals, comprehensions,
 *      lambdas, `global`, `nonlocal`) and marks every binding that may
 *      reach it. A load inside a function body (or in an annotation, a
 *      string annotation, `__all__`) runs later: it marks what reaches the
 *      function's definition and everything bound after it. Every
 *      approximation errs towards "used": a false finding costs more than a
 *      missed one.
 *
 * An import rebound before any use (another import, an assignment, a def)
 * is unused, and the finding points at the rebinding. `import a` and
 * `import a.b` bind the same package and do not shadow each other.
 * Bindings that reach one point by different paths are alternative
 * definitions of one name: an unused import is spared when an alternative
 * is a fallback others may read (`except ImportError: x = None` at module
 * level) or an import the user keeps with a noqa. An import replacing a
 * name already read at module level is an override, hence used.
 *
 * Strings in type positions (annotations, typing subscripts such as
 * `Optional["X"]`, `cast`, `TypeVar`, `NewType`, `TypeAliasType`) and
 * `# type:` comments are parsed again, as expressions, with a second
 * parser made on demand; nested strings too, to a small depth. `Literal`
 * strings are not names.
 *
 * Fixes. Removing one name keeps everything else as written: parentheses,
 * trailing commas, the comments of other names. Removing a statement's
 * last name removes the statement and its line (and the blank lines that
 * would double up), or replaces it with `pass` when it was alone in its
 * block, or removes only it from a line of `;`-separated statements.
 * Findings whose single fixes would not compose (names of one statement,
 * statements sharing a line, every statement of a block) share a second,
 * joint fix, which is the one fix-all takes; their single fixes stay
 * offered but are not marked safe. Imports that test availability (in a
 * `try` catching ImportError) get no fix; in `__init__.py` the fixes make
 * the import a re-export instead; class-body imports are attributes others
 * may read, so their removal is offered but never safe.
 *
 * Cost: pass 0 is two scans of the text, pass 1 visits only subtrees
 * holding a candidate word, pass 2 is linear in the events (sets of
 * reaching bindings are small sorted arrays, capped); strings read as types
 * are parsed once per distinct content. */
#include "analyzer.h"
#include "log.h"
#include "mg.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMP_CODE       "F401"
#define NONE           UINT32_MAX
#define SET_MAX        64    /* a larger set of reaching bindings becomes "any" */
#define STR_MAX        16384 /* longest string annotation or type comment parsed */
#define STR_DEPTH      4     /* strings within strings */
#define TITLE_NAMES    3     /* names listed in a joint fix's title */
#define MAX_NAME_BYTES 4096  /* a longer identifier is not worth tracking */

/* ---- grammar tables, built once by init() ---- */

enum nk {
    NK_OTHER,
    NK_MODULE,
    NK_BLOCK,
    NK_ERROR,
    NK_COMMENT,
    NK_IDENTIFIER,
    NK_EXPRESSION_STATEMENT,
    NK_ASSIGNMENT,
    NK_AUGMENTED_ASSIGNMENT,
    NK_IMPORT_STATEMENT,
    NK_IMPORT_FROM_STATEMENT,
    NK_FUTURE_IMPORT_STATEMENT,
    NK_ALIASED_IMPORT,
    NK_DOTTED_NAME,
    NK_RELATIVE_IMPORT,
    NK_IMPORT_PREFIX,
    NK_WILDCARD_IMPORT,
    NK_FUNCTION_DEFINITION,
    NK_CLASS_DEFINITION,
    NK_DECORATED_DEFINITION,
    NK_DECORATOR,
    NK_PARAMETERS,
    NK_LAMBDA_PARAMETERS,
    NK_DEFAULT_PARAMETER,
    NK_TYPED_PARAMETER,
    NK_TYPED_DEFAULT_PARAMETER,
    NK_LIST_SPLAT_PATTERN,
    NK_DICTIONARY_SPLAT_PATTERN,
    NK_TUPLE_PATTERN,
    NK_LIST_PATTERN,
    NK_PATTERN_LIST,
    NK_IF_STATEMENT,
    NK_ELIF_CLAUSE,
    NK_ELSE_CLAUSE,
    NK_FOR_STATEMENT,
    NK_WHILE_STATEMENT,
    NK_TRY_STATEMENT,
    NK_EXCEPT_CLAUSE,
    NK_EXCEPT_GROUP_CLAUSE,
    NK_FINALLY_CLAUSE,
    NK_WITH_STATEMENT,
    NK_WITH_CLAUSE,
    NK_WITH_ITEM,
    NK_AS_PATTERN,
    NK_AS_PATTERN_TARGET,
    NK_MATCH_STATEMENT,
    NK_CASE_CLAUSE,
    NK_CASE_PATTERN,
    NK_CLASS_PATTERN,
    NK_KEYWORD_PATTERN,
    NK_SPLAT_PATTERN,
    NK_DICT_PATTERN,
    NK_UNION_PATTERN,
    NK_IF_CLAUSE,
    NK_DELETE_STATEMENT,
    NK_GLOBAL_STATEMENT,
    NK_NONLOCAL_STATEMENT,
    NK_TYPE_ALIAS_STATEMENT,
    NK_ATTRIBUTE,
    NK_CALL,
    NK_ARGUMENT_LIST,
    NK_KEYWORD_ARGUMENT,
    NK_SUBSCRIPT,
    NK_LAMBDA,
    NK_NAMED_EXPRESSION,
    NK_LIST_COMPREHENSION,
    NK_SET_COMPREHENSION,
    NK_GENERATOR_EXPRESSION,
    NK_DICTIONARY_COMPREHENSION,
    NK_FOR_IN_CLAUSE,
    NK_STRING,
    NK_CONCATENATED_STRING,
    NK_STRING_START,
    NK_STRING_CONTENT,
    NK_STRING_END,
    NK_INTERPOLATION,
    NK_TYPE,
    NK_GENERIC_TYPE,
    NK_TYPE_PARAMETER,
    NK_CONSTRAINED_TYPE,
    NK_SPLAT_TYPE,
    NK_MEMBER_TYPE,
    NK_LIST,
    NK_TUPLE,
    NK_PARENTHESIZED_EXPRESSION,
    NK_EXPRESSION_LIST,
    NK_LIST_SPLAT,
    NK_BINARY_OPERATOR,
    NK_PASS_STATEMENT,
};

static const struct {
    const char *name;
    uint8_t nk;
} nk_table[] = {
    {"module", NK_MODULE},
    {"block", NK_BLOCK},
    {"ERROR", NK_ERROR},
    {"comment", NK_COMMENT},
    {"identifier", NK_IDENTIFIER},
    {"expression_statement", NK_EXPRESSION_STATEMENT},
    {"assignment", NK_ASSIGNMENT},
    {"augmented_assignment", NK_AUGMENTED_ASSIGNMENT},
    {"import_statement", NK_IMPORT_STATEMENT},
    {"import_from_statement", NK_IMPORT_FROM_STATEMENT},
    {"future_import_statement", NK_FUTURE_IMPORT_STATEMENT},
    {"aliased_import", NK_ALIASED_IMPORT},
    {"dotted_name", NK_DOTTED_NAME},
    {"relative_import", NK_RELATIVE_IMPORT},
    {"import_prefix", NK_IMPORT_PREFIX},
    {"wildcard_import", NK_WILDCARD_IMPORT},
    {"function_definition", NK_FUNCTION_DEFINITION},
    {"class_definition", NK_CLASS_DEFINITION},
    {"decorated_definition", NK_DECORATED_DEFINITION},
    {"decorator", NK_DECORATOR},
    {"parameters", NK_PARAMETERS},
    {"lambda_parameters", NK_LAMBDA_PARAMETERS},
    {"default_parameter", NK_DEFAULT_PARAMETER},
    {"typed_parameter", NK_TYPED_PARAMETER},
    {"typed_default_parameter", NK_TYPED_DEFAULT_PARAMETER},
    {"list_splat_pattern", NK_LIST_SPLAT_PATTERN},
    {"dictionary_splat_pattern", NK_DICTIONARY_SPLAT_PATTERN},
    {"tuple_pattern", NK_TUPLE_PATTERN},
    {"list_pattern", NK_LIST_PATTERN},
    {"pattern_list", NK_PATTERN_LIST},
    {"if_statement", NK_IF_STATEMENT},
    {"elif_clause", NK_ELIF_CLAUSE},
    {"else_clause", NK_ELSE_CLAUSE},
    {"for_statement", NK_FOR_STATEMENT},
    {"while_statement", NK_WHILE_STATEMENT},
    {"try_statement", NK_TRY_STATEMENT},
    {"except_clause", NK_EXCEPT_CLAUSE},
    {"except_group_clause", NK_EXCEPT_GROUP_CLAUSE},
    {"finally_clause", NK_FINALLY_CLAUSE},
    {"with_statement", NK_WITH_STATEMENT},
    {"with_clause", NK_WITH_CLAUSE},
    {"with_item", NK_WITH_ITEM},
    {"as_pattern", NK_AS_PATTERN},
    {"as_pattern_target", NK_AS_PATTERN_TARGET},
    {"match_statement", NK_MATCH_STATEMENT},
    {"case_clause", NK_CASE_CLAUSE},
    {"case_pattern", NK_CASE_PATTERN},
    {"class_pattern", NK_CLASS_PATTERN},
    {"keyword_pattern", NK_KEYWORD_PATTERN},
    {"splat_pattern", NK_SPLAT_PATTERN},
    {"dict_pattern", NK_DICT_PATTERN},
    {"union_pattern", NK_UNION_PATTERN},
    {"if_clause", NK_IF_CLAUSE},
    {"delete_statement", NK_DELETE_STATEMENT},
    {"global_statement", NK_GLOBAL_STATEMENT},
    {"nonlocal_statement", NK_NONLOCAL_STATEMENT},
    {"type_alias_statement", NK_TYPE_ALIAS_STATEMENT},
    {"attribute", NK_ATTRIBUTE},
    {"call", NK_CALL},
    {"argument_list", NK_ARGUMENT_LIST},
    {"keyword_argument", NK_KEYWORD_ARGUMENT},
    {"subscript", NK_SUBSCRIPT},
    {"lambda", NK_LAMBDA},
    {"named_expression", NK_NAMED_EXPRESSION},
    {"list_comprehension", NK_LIST_COMPREHENSION},
    {"set_comprehension", NK_SET_COMPREHENSION},
    {"generator_expression", NK_GENERATOR_EXPRESSION},
    {"dictionary_comprehension", NK_DICTIONARY_COMPREHENSION},
    {"for_in_clause", NK_FOR_IN_CLAUSE},
    {"string", NK_STRING},
    {"concatenated_string", NK_CONCATENATED_STRING},
    {"string_start", NK_STRING_START},
    {"string_content", NK_STRING_CONTENT},
    {"string_end", NK_STRING_END},
    {"interpolation", NK_INTERPOLATION},
    {"type", NK_TYPE},
    {"generic_type", NK_GENERIC_TYPE},
    {"type_parameter", NK_TYPE_PARAMETER},
    {"constrained_type", NK_CONSTRAINED_TYPE},
    {"splat_type", NK_SPLAT_TYPE},
    {"member_type", NK_MEMBER_TYPE},
    {"list", NK_LIST},
    {"tuple", NK_TUPLE},
    {"parenthesized_expression", NK_PARENTHESIZED_EXPRESSION},
    {"expression_list", NK_EXPRESSION_LIST},
    {"list_splat", NK_LIST_SPLAT},
    {"binary_operator", NK_BINARY_OPERATOR},
    {"pass_statement", NK_PASS_STATEMENT},
};

enum field {
    F_NONE,
    F_NAME,
    F_ALIAS,
    F_VALUE,
    F_LEFT,
    F_RIGHT,
    F_TYPE,
    F_BODY,
    F_CONSEQUENCE,
    F_ALTERNATIVE,
    F_CONDITION,
    F_SUBJECT,
    F_GUARD,
    F_FUNCTION,
    F_ARGUMENTS,
    F_OBJECT,
    F_ATTRIBUTE,
    F_SUBSCRIPT,
    F_PARAMETERS,
    F_RETURN_TYPE,
    F_TYPE_PARAMETERS,
    F_SUPERCLASSES,
    F_MODULE_NAME,
    F_DEFINITION,
    F_KEY,
    F_OPERATOR,
};

static const struct {
    const char *name;
    uint8_t field;
} field_table[] = {
    {"name", F_NAME},
    {"alias", F_ALIAS},
    {"value", F_VALUE},
    {"left", F_LEFT},
    {"right", F_RIGHT},
    {"type", F_TYPE},
    {"body", F_BODY},
    {"consequence", F_CONSEQUENCE},
    {"alternative", F_ALTERNATIVE},
    {"condition", F_CONDITION},
    {"subject", F_SUBJECT},
    {"guard", F_GUARD},
    {"function", F_FUNCTION},
    {"arguments", F_ARGUMENTS},
    {"object", F_OBJECT},
    {"attribute", F_ATTRIBUTE},
    {"subscript", F_SUBSCRIPT},
    {"parameters", F_PARAMETERS},
    {"return_type", F_RETURN_TYPE},
    {"type_parameters", F_TYPE_PARAMETERS},
    {"superclasses", F_SUPERCLASSES},
    {"module_name", F_MODULE_NAME},
    {"definition", F_DEFINITION},
    {"key", F_KEY},
    {"operator", F_OPERATOR},
};

/* Per grammar symbol and field id; read-only while runs go on. */
static uint8_t *sym_nk;
static uint32_t n_syms;
static uint8_t *field_map;
static uint32_t n_fields;

static const TSLanguage *language;

static int init(const TSLanguage *lang)
{
    language = lang;
    free(sym_nk);
    free(field_map);
    n_syms = ts_language_symbol_count(lang);
    sym_nk = xcalloc(n_syms, 1);
    for (uint32_t i = 0; i < n_syms; i++) {
        const char *name = ts_language_symbol_name(lang, (TSSymbol)i);
        if (name == NULL || ts_language_symbol_type(lang, (TSSymbol)i) != TSSymbolTypeRegular)
            continue;
        for (size_t j = 0; j < MG_ARRAY_LEN(nk_table); j++)
            if (strcmp(name, nk_table[j].name) == 0)
                sym_nk[i] = nk_table[j].nk;
    }
    /* ERROR is a builtin symbol the loop above does not see. */
    n_fields = ts_language_field_count(lang) + 1;
    field_map = xcalloc(n_fields, 1);
    for (size_t j = 0; j < MG_ARRAY_LEN(field_table); j++) {
        TSFieldId id = ts_language_field_id_for_name(lang, field_table[j].name,
                                                     (uint32_t)strlen(field_table[j].name));
        if (id == 0 || id >= n_fields)
            LOGW("the grammar has no field '%s'", field_table[j].name);
        else
            field_map[id] = field_table[j].field;
    }
    return 0;
}

static void fini(void)
{
    free(sym_nk);
    free(field_map);
    sym_nk = field_map = NULL;
    n_syms = n_fields = 0;
    language = NULL;
}

static uint8_t nk_of(TSNode n)
{
    TSSymbol s = ts_node_symbol(n);
    if (s == (TSSymbol)-1)
        return NK_ERROR;
    return s < n_syms ? sym_nk[s] : NK_OTHER;
}

static uint8_t field_of(TSFieldId id)
{
    return id < n_fields ? field_map[id] : F_NONE;
}

/* ---- the run's state ---- */

enum name_flag {
    NAME_TRACKED = 1, /* bound by an import somewhere: a candidate name */
    NAME_ATTR = 2,    /* also read as an attribute (`x.name`) somewhere */
    NAME_ALIASED = 4, /* bound by `import a.b as name` somewhere */
};

struct name {
    uint32_t off, len, hash;
    uint8_t flags;
};

enum scope_kind { SK_MODULE, SK_CLASS, SK_FUNCTION, SK_LAMBDA, SK_COMP, SK_TYPEPARAMS, SK_LAZY };

struct scope {
    uint8_t kind;
    uint32_t parent;
    uint32_t push_ev; /* the EV_PUSH event: where the scope is defined in its parent */
    uint32_t first_slot;
    uint32_t saved_guard;
    uint32_t bind_off, bind_n; /* its bindings, in event order (pass 2) */
};

enum local_flag { LF_LOCAL = 1, LF_GLOBAL = 2, LF_NONLOCAL = 4 };

struct local {
    uint32_t scope, name, slot;
    uint8_t flags;
};

/* One candidate name bound in one scope: its flow state in pass 2. */
struct slot {
    uint32_t scope, name;
    uint32_t set;       /* bindings that may reach the current point */
    uint32_t min_defer; /* earliest anchor of a deferred load, or NONE */
    uint32_t last_load; /* event of the last load resolved here, or NONE */
    uint32_t first_bind, last_bind, next_in_scope;
    uint32_t stamp, acc, acc_count; /* merge scratch */
    bool all_used;
};

enum bind_flag {
    BF_IMPORT = 1,
    BF_NONKILL = 2, /* adds to what reaches, shadows nothing (walrus) */
    BF_FOREIGN = 4, /* via global/nonlocal: bound in another scope, later */
    BF_PACKAGE = 8, /* `import a` or `import a.b`: binds the package `a` */
    BF_WALRUS = 16,
};

/* Binding 0 is "unbound": the name may have no value here. */
struct binding {
    uint32_t name, scope, slot, ev, start, end;
    uint32_t killed_by; /* the binding that first shadowed it while unused, or 0 */
    uint32_t next;      /* in its slot */
    uint32_t item;      /* imports: the item, else NONE */
    uint16_t flags;
    bool used;
};

enum ev_kind {
    EV_LOAD,       /* a: name, b: scope, flags: deferred */
    EV_DEL,        /* a: name, b: scope */
    EV_UNBIND,     /* a: name, b: scope */
    EV_BIND,       /* a: binding */
    EV_PUSH,       /* a: scope */
    EV_POP,        /* a: scope */
    EV_BR_BEGIN,   /* */
    EV_BR_ARM,     /* the next alternative starts from the state at BR_BEGIN */
    EV_BR_END,     /* flags: exhaustive (some arm always runs) */
    EV_LOOP_BEGIN, /* a: range of the body, b: scope */
    EV_LOOP_END,   /* */
    EV_ADD_RANGE,  /* a: range, b: scope: whatever is bound in the range may reach here */
};

struct event {
    uint8_t kind, flags;
    uint32_t a, b;
};

struct range {
    uint32_t begin, end; /* events */
};

enum item_flag {
    IF_CANDIDATE = 1, /* may be reported */
    IF_AVAIL = 2,     /* in a try whose handler catches ImportError */
    IF_CLASS = 4,     /* in a class body */
    IF_MODULE = 8,    /* at module level */
    IF_SIMPLE = 16,   /* `import x` or `from m import x`: can become `x as x` */
};

/* One name of an import statement (every one, reported or not). */
struct item {
    uint32_t start, end; /* the dotted_name or aliased_import */
    uint32_t stmt, binding, name;
    uint32_t qual_off, qual_len; /* the qualified name, in quals */
    uint8_t flags;
};

struct stmt {
    uint32_t start, end;
    uint32_t prev_end, next_start; /* of the neighbouring statements of its block, or NONE */
    uint32_t block;
    uint32_t first_item, n_items;
    bool paren;
};

struct block {
    uint32_t count; /* statements, comments aside */
    bool module;
};

struct kid {
    TSNode node;
    uint8_t nk, field;
    bool named;
};

enum op {
    OP_STMT,
    OP_BLOCK,
    OP_EXPR,
    OP_TARGET,
    OP_DEL,
    OP_PATTERN,
    OP_ERRLOADS,
    OP_EVENT,    /* a: kind, b, c: its arguments (b = NONE: the current scope) */
    OP_MARK,     /* a: range, b: 0 begin / 1 end */
    OP_PUSH,     /* a: scope kind */
    OP_POP,      /* */
    OP_GUARD,    /* b: +1 / 0: -1 */
    OP_BINDNAME, /* node: identifier; a: bind flags */
    OP_UNBIND,   /* a: name */
};

enum ctx_bit {
    CX_ANNOT = 1,   /* a type expression: strings are forward references */
    CX_LITERAL = 2, /* inside Literal[...]: strings are values */
    CX_DEFER = 4,   /* evaluated later, if at all (annotations) */
};

struct task {
    TSNode node;
    uint8_t op, ctx;
    uint32_t a, b, c;
};

struct jent {
    uint32_t slot, old;
};

struct frame {
    uint32_t mark, res_start, n_arms;
};

struct armres {
    uint32_t slot, set;
};

struct setref {
    uint32_t off, n;
};

#define SET_EMPTY   0u
#define SET_UNBOUND 1u
#define SET_TOP     2u /* any binding of the slot */

struct imp {
    const struct pdoc *doc;
    const char *text;
    uint32_t len;
    const struct an_opts *opts;
    TSNode root;
    bool is_init;

    /* names */
    struct mg_buf chars;
    struct name *names;
    size_t n_names, cap_names;
    uint32_t *ntab, ntab_mask;
    uint64_t lenmask[256]; /* bit min(len, 63) set when a name of that first byte has it */
    uint32_t id_all;       /* "__all__" */

    bool has_dotted;     /* some `import a.b` (no alias) */
    struct mg_buf paths; /* attribute paths read from aliases: "b.c" of `x.b.c` */
    struct attr_use {
        uint32_t name, off, len;
    } * attrs;
    size_t n_attrs, cap_attrs;

    /* where candidate words occur */
    uint32_t *occ;
    size_t n_occ, cap_occ;

    /* pass 0's import statements, for incremental analysis (imp_words) */
    struct text_stmt {
        uint32_t start, end;      /* its first line's start to its last name */
        uint32_t first_id, n_ids; /* its names: text_ids[first_id, +n_ids) */
        bool indented;            /* not at the module's own indentation */
    } * text_stmts;
    size_t n_text_stmts, cap_text_stmts;
    uint32_t *text_ids;
    size_t n_text_ids, cap_text_ids;
    bool record_stmts;

    /* the walk */
    struct task *tasks;
    size_t n_tasks, cap_tasks;
    struct kid *kids;
    size_t n_kids, cap_kids;
    TSTreeCursor cur;
    uint32_t scope, guard;
    TSParser *sub; /* for strings and type comments, made on demand */
    /* What each distinct string read as a type refers to: annotations
     * repeat ("Optional[Node]"), and a parse costs tens of microseconds. */
    struct sub_entry {
        uint32_t hash, off, len, names_off, names_n;
        bool arrows;
    } * subs;
    size_t n_subs, cap_subs;
    uint32_t *subtab, subtab_mask;
    struct mg_buf sub_text;
    uint32_t *sub_names; /* names found, per entry */
    size_t n_sub_names, cap_sub_names;

    /* facts */
    struct event *ev;
    size_t n_ev, cap_ev;
    struct scope *scopes;
    size_t n_scopes, cap_scopes;
    struct binding *binds;
    size_t n_binds, cap_binds;
    struct slot *slots;
    size_t n_slots, cap_slots;
    struct local *locals;
    size_t n_locals, cap_locals;
    uint32_t *ltab, ltab_mask;
    struct range *ranges;
    size_t n_ranges, cap_ranges;
    struct item *items;
    size_t n_items, cap_items;
    struct stmt *stmts;
    size_t n_stmts, cap_stmts;
    struct block *blocks;
    size_t n_blocks, cap_blocks;
    struct mg_buf quals;

    /* __all__ at module level */
    uint32_t n_all_defs;
    bool all_fixable;
    TSNode all_value;

    /* pass 2 */
    uint32_t *pool;
    size_t n_pool, cap_pool;
    struct setref *sets;
    size_t n_sets, cap_sets;
    struct jent *journal;
    size_t n_journal, cap_journal;
    struct frame *frames;
    size_t n_frames, cap_frames;
    struct armres *res;
    size_t n_res, cap_res;
    uint32_t *scratch, *order, *touched;
    size_t cap_scratch, cap_order, cap_touched;
    uint32_t *peer;     /* union-find over bindings: alternatives of one name */
    uint32_t noqa_line; /* line start + 1 of the last noqa_at() answer, or 0 */
    bool noqa_result;
    uint32_t serial;
};

/* ---- small text helpers ---- */

/* ASCII bytes of identifiers: 1 may start one, 2 only continue one. Bytes
 * of UTF-8 sequences (>= 0x80) count as letters. */
static const unsigned char ident_class[128] = {
    ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2, ['7'] = 2,
    ['8'] = 2, ['9'] = 2, ['_'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
    ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
};

static bool is_ident_start(unsigned char ch)
{
    return ch >= 0x80 || ident_class[ch] == 1;
}

static bool is_ident_char(unsigned char ch)
{
    return ch >= 0x80 || ident_class[ch] != 0;
}

static bool is_hspace(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\f';
}

static uint32_t nstart(TSNode n)
{
    return ts_node_start_byte(n);
}

static uint32_t nend(TSNode n)
{
    return ts_node_end_byte(n);
}

/* The start of the line holding byte `p` of `t`. */
static uint32_t line_start_of(const char *t, uint32_t p)
{
    const char *nl = p > 0 ? memrchr(t, '\n', p) : NULL;
    return nl ? (uint32_t)(nl - t) + 1 : 0;
}

static bool text_is(const struct imp *c, TSNode n, const char *s)
{
    size_t len = strlen(s);
    uint32_t a = nstart(n), b = nend(n);
    return b - a == len && b <= c->len && memcmp(c->text + a, s, len) == 0;
}

/* ---- names ---- */

static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static uint32_t name_find(const struct imp *c, const char *p, size_t n)
{
    if (c->ntab == NULL || n == 0 || n > MAX_NAME_BYTES)
        return NONE;
    uint32_t h = hash_bytes(p, n);
    for (uint32_t i = h & c->ntab_mask;; i = (i + 1) & c->ntab_mask) {
        uint32_t id = c->ntab[i];
        if (id == 0)
            return NONE;
        const struct name *nm = &c->names[id - 1];
        if (nm->hash == h && nm->len == n && memcmp(c->chars.data + nm->off, p, n) == 0)
            return id - 1;
    }
}

static void ntab_put(struct imp *c, uint32_t id)
{
    for (uint32_t i = c->names[id].hash & c->ntab_mask;; i = (i + 1) & c->ntab_mask) {
        if (c->ntab[i] == 0) {
            c->ntab[i] = id + 1;
            return;
        }
    }
}

static uint32_t name_intern(struct imp *c, const char *p, size_t n)
{
    uint32_t id = name_find(c, p, n);
    if (id != NONE || n == 0 || n > MAX_NAME_BYTES)
        return id;
    if (c->ntab == NULL || (c->n_names + 1) * 2 > (size_t)c->ntab_mask + 1) {
        uint32_t size = c->ntab == NULL ? 64 : (c->ntab_mask + 1) * 2;
        free(c->ntab);
        c->ntab = xcalloc(size, sizeof(*c->ntab));
        c->ntab_mask = size - 1;
        for (uint32_t i = 0; i < c->n_names; i++)
            ntab_put(c, i);
    }
    MG_GROW(c->names, c->cap_names, c->n_names + 1);
    struct name *nm = &c->names[c->n_names];
    nm->off = (uint32_t)c->chars.len;
    nm->len = (uint32_t)n;
    nm->hash = hash_bytes(p, n);
    nm->flags = 0;
    mg_buf_add(&c->chars, p, n);
    id = (uint32_t)c->n_names++;
    ntab_put(c, id);
    unsigned char first = (unsigned char)p[0];
    c->lenmask[first] |= (uint64_t)1 << (n < 63 ? n : 63);
    return id;
}

/* The tracked name of identifier node `n`, or NONE. */
static uint32_t name_of(const struct imp *c, TSNode n)
{
    uint32_t a = nstart(n), b = nend(n);
    if (b > c->len || a >= b)
        return NONE;
    uint32_t id = name_find(c, c->text + a, b - a);
    return id != NONE && (c->names[id].flags & NAME_TRACKED) ? id : NONE;
}

/* ---- children ---- */

static void type_comment(struct imp *c, TSNode n);

/* Append the children of `n` to c->kids; returns the index of the first.
 * The caller truncates c->kids back to it when done. Type comments among
 * them are read here, so that every handler sees them. */
static uint32_t collect(struct imp *c, TSNode n, uint32_t *count)
{
    uint32_t base = (uint32_t)c->n_kids;
    ts_tree_cursor_reset(&c->cur, n);
    if (ts_tree_cursor_goto_first_child(&c->cur)) {
        do {
            MG_GROW(c->kids, c->cap_kids, c->n_kids + 1);
            struct kid *k = &c->kids[c->n_kids++];
            k->node = ts_tree_cursor_current_node(&c->cur);
            k->nk = nk_of(k->node);
            k->field = field_of(ts_tree_cursor_current_field_id(&c->cur));
            k->named = ts_node_is_named(k->node);
        } while (ts_tree_cursor_goto_next_sibling(&c->cur));
    }
    *count = (uint32_t)c->n_kids - base;
    for (uint32_t i = base; i < c->n_kids; i++)
        if (c->kids[i].nk == NK_COMMENT)
            type_comment(c, c->kids[i].node);
    return base;
}

/* The first child of `n` with `field`, or a null node. */
static TSNode kid_field(struct imp *c, uint32_t base, uint32_t count, uint8_t field)
{
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].field == field)
            return c->kids[base + i].node;
    return (TSNode){0};
}

/* The last name of a dotted reference: `b` of `a.b`, `x` of `x`. */
static bool last_name(const struct imp *c, TSNode n, const char **p, uint32_t *len)
{
    for (int guard = 0; guard < 2 && !ts_node_is_null(n); guard++) {
        uint8_t k = nk_of(n);
        if (k == NK_IDENTIFIER) {
            *p = c->text + nstart(n);
            *len = nend(n) - nstart(n);
            return nend(n) <= c->len;
        }
        if (k != NK_ATTRIBUTE)
            return false;
        n = ts_node_child_by_field_name(n, "attribute", 9);
    }
    return false;
}

static bool last_name_is(const struct imp *c, TSNode n, const char *s)
{
    const char *p;
    uint32_t len;
    return last_name(c, n, &p, &len) && len == strlen(s) && memcmp(p, s, len) == 0;
}

/* ---- facts ---- */

static uint32_t emit(struct imp *c, uint8_t kind, uint8_t flags, uint32_t a, uint32_t b)
{
    MG_GROW(c->ev, c->cap_ev, c->n_ev + 1);
    c->ev[c->n_ev] = (struct event){kind, flags, a, b};
    return (uint32_t)c->n_ev++;
}

static uint32_t new_range(struct imp *c)
{
    MG_GROW(c->ranges, c->cap_ranges, c->n_ranges + 1);
    c->ranges[c->n_ranges] = (struct range){0, 0};
    return (uint32_t)c->n_ranges++;
}

static uint32_t new_scope(struct imp *c, uint8_t kind, uint32_t parent)
{
    MG_GROW(c->scopes, c->cap_scopes, c->n_scopes + 1);
    struct scope *s = &c->scopes[c->n_scopes];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->parent = parent;
    s->first_slot = NONE;
    s->push_ev = (uint32_t)c->n_ev;
    return (uint32_t)c->n_scopes++;
}

static bool deferred_kind(uint8_t k)
{
    return k == SK_FUNCTION || k == SK_LAMBDA || k == SK_LAZY;
}

static uint64_t lkey(uint32_t scope, uint32_t name)
{
    return ((uint64_t)scope << 32 | name) * UINT64_C(0x9E3779B97F4A7C15);
}

static struct local *local_find(const struct imp *c, uint32_t scope, uint32_t name)
{
    if (c->ltab == NULL)
        return NULL;
    for (uint32_t i = (uint32_t)(lkey(scope, name) >> 32) & c->ltab_mask;;
         i = (i + 1) & c->ltab_mask) {
        uint32_t id = c->ltab[i];
        if (id == 0)
            return NULL;
        struct local *l = &c->locals[id - 1];
        if (l->scope == scope && l->name == name)
            return l;
    }
}

static void ltab_put(struct imp *c, uint32_t id)
{
    const struct local *l = &c->locals[id];
    for (uint32_t i = (uint32_t)(lkey(l->scope, l->name) >> 32) & c->ltab_mask;;
         i = (i + 1) & c->ltab_mask) {
        if (c->ltab[i] == 0) {
            c->ltab[i] = id + 1;
            return;
        }
    }
}

static struct local *local_get(struct imp *c, uint32_t scope, uint32_t name)
{
    struct local *l = local_find(c, scope, name);
    if (l != NULL)
        return l;
    if (c->ltab == NULL || (c->n_locals + 1) * 2 > (size_t)c->ltab_mask + 1) {
        uint32_t size = c->ltab == NULL ? 64 : (c->ltab_mask + 1) * 2;
        free(c->ltab);
        c->ltab = xcalloc(size, sizeof(*c->ltab));
        c->ltab_mask = size - 1;
        for (uint32_t i = 0; i < c->n_locals; i++)
            ltab_put(c, i);
    }
    MG_GROW(c->locals, c->cap_locals, c->n_locals + 1);
    l = &c->locals[c->n_locals];
    *l = (struct local){scope, name, NONE, 0};
    ltab_put(c, (uint32_t)c->n_locals++);
    return l;
}

/* Make `name` local to `scope` (unless declared global or nonlocal there);
 * returns its slot or NONE. */
static uint32_t declare_local(struct imp *c, uint32_t scope, uint32_t name)
{
    struct local *l = local_get(c, scope, name);
    if (l->flags & (LF_GLOBAL | LF_NONLOCAL))
        return NONE;
    l->flags |= LF_LOCAL;
    if (l->slot == NONE) {
        MG_GROW(c->slots, c->cap_slots, c->n_slots + 1);
        struct slot *s = &c->slots[c->n_slots];
        memset(s, 0, sizeof(*s));
        s->scope = scope;
        s->name = name;
        s->set = SET_UNBOUND;
        s->min_defer = NONE;
        s->last_load = NONE;
        s->first_bind = s->last_bind = NONE;
        s->next_in_scope = c->scopes[scope].first_slot;
        c->scopes[scope].first_slot = (uint32_t)c->n_slots;
        l->slot = (uint32_t)c->n_slots++;
    }
    return l->slot;
}

/* Bind tracked `name` in the current scope; returns the binding, or 0
 * when the binding is another scope's (global, nonlocal). */
static uint32_t bind(struct imp *c, uint32_t name, uint32_t start, uint32_t end, uint16_t flags,
                     uint32_t item)
{
    uint32_t s = c->scope;
    if (flags & BF_WALRUS) {
        while (s != 0 && c->scopes[s].kind == SK_COMP)
            s = c->scopes[s].parent;
        flags |= BF_NONKILL;
    }
    uint32_t slot = declare_local(c, s, name);
    if (c->n_binds == 0) { /* binding 0: "unbound" */
        MG_GROW(c->binds, c->cap_binds, 1);
        memset(&c->binds[0], 0, sizeof(c->binds[0]));
        c->binds[0].item = NONE;
        c->n_binds = 1;
    }
    MG_GROW(c->binds, c->cap_binds, c->n_binds + 1);
    uint32_t id = (uint32_t)c->n_binds++;
    struct binding *b = &c->binds[id];
    memset(b, 0, sizeof(*b));
    b->name = name;
    b->scope = s;
    b->slot = slot;
    b->start = start;
    b->end = end;
    b->item = item;
    b->next = NONE;
    b->flags = flags;
    if (slot == NONE) {
        b->flags |= BF_FOREIGN;
        b->ev = NONE;
        return id;
    }
    struct slot *sl = &c->slots[slot];
    if (sl->last_bind == NONE)
        sl->first_bind = id;
    else
        c->binds[sl->last_bind].next = id;
    sl->last_bind = id;
    b->ev = emit(c, EV_BIND, 0, id, 0);
    return id;
}

static void load(struct imp *c, uint32_t name, bool deferred)
{
    if (name != NONE)
        emit(c, EV_LOAD, deferred, name, c->scope);
}

/* ---- tasks ---- */

static void push_task(struct imp *c, uint8_t op, TSNode n, uint8_t ctx, uint32_t a, uint32_t b,
                      uint32_t cc)
{
    MG_GROW(c->tasks, c->cap_tasks, c->n_tasks + 1);
    c->tasks[c->n_tasks++] = (struct task){n, op, ctx, a, b, cc};
}

static void t_node(struct imp *c, uint8_t op, TSNode n, uint8_t ctx)
{
    if (!ts_node_is_null(n))
        push_task(c, op, n, ctx, 0, 0, 0);
}

static void t_ev(struct imp *c, uint8_t kind, uint32_t b, uint32_t cc)
{
    push_task(c, OP_EVENT, (TSNode){0}, 0, kind, b, cc);
}

static void t_mark(struct imp *c, uint32_t range, bool end)
{
    push_task(c, OP_MARK, (TSNode){0}, 0, range, end, 0);
}

static void t_push(struct imp *c, uint8_t kind)
{
    push_task(c, OP_PUSH, (TSNode){0}, 0, kind, 0, 0);
}

static void t_pop(struct imp *c)
{
    push_task(c, OP_POP, (TSNode){0}, 0, 0, 0, 0);
}

static void t_bindname(struct imp *c, TSNode id, uint32_t flags)
{
    if (!ts_node_is_null(id))
        push_task(c, OP_BINDNAME, id, 0, flags, 0, 0);
}

static uint32_t name_of(const struct imp *c, TSNode n);
static void load(struct imp *c, uint32_t name, bool deferred);

/* Named children of kids[base, base+count) as `op` tasks. A name read in
 * an expression is loaded at once rather than queued: nothing in one
 * expression can shadow an import (a walrus only adds a binding), and
 * loading early can only find more of what reaches. */
static void t_kids(struct imp *c, uint32_t base, uint32_t count, uint8_t op, uint8_t ctx)
{
    for (uint32_t i = 0; i < count; i++) {
        const struct kid *k = &c->kids[base + i];
        if (!k->named || k->nk == NK_COMMENT)
            continue;
        if (op == OP_EXPR && k->nk == NK_IDENTIFIER)
            load(c, name_of(c, k->node), (ctx & CX_DEFER) != 0);
        else
            t_node(c, k->nk == NK_ERROR ? OP_ERRLOADS : op, k->node, ctx);
    }
}

/* ---- strings and comments read as type expressions ---- */

/* A string literal without prefix letters that change it (f, b, t): its
 * content as written, in [*s, *e). */
static bool plain_string(TSNode n, const char *text, uint32_t len, uint32_t *s, uint32_t *e)
{
    uint32_t count = ts_node_child_count(n);
    if (count < 2 || count > 64)
        return false;
    TSNode first = ts_node_child(n, 0), last = ts_node_child(n, count - 1);
    if (nk_of(first) != NK_STRING_START || nk_of(last) != NK_STRING_END || ts_node_is_missing(last))
        return false;
    for (uint32_t i = 1; i + 1 < count; i++)
        if (nk_of(ts_node_child(n, i)) == NK_INTERPOLATION)
            return false;
    for (uint32_t i = nstart(first); i < nend(first) && i < len; i++) {
        char ch = text[i];
        if (ch == '\'' || ch == '"')
            break;
        if (strchr("fFbBtT", ch) != NULL)
            return false;
    }
    *s = nend(first);
    *e = nstart(last);
    return *s <= *e && *e <= len;
}

/* Whether `n` (in `text`) ends in `name`: `Literal` or `typing.Literal`. */
static bool ends_in(TSNode n, const char *text, uint32_t len, const char *name)
{
    if (!ts_node_is_null(n) && nk_of(n) == NK_ATTRIBUTE)
        n = ts_node_child_by_field_name(n, "attribute", 9);
    if (ts_node_is_null(n) || nk_of(n) != NK_IDENTIFIER || nend(n) > len)
        return false;
    size_t k = strlen(name);
    return nend(n) - nstart(n) == k && memcmp(text + nstart(n), name, k) == 0;
}

struct pending {
    char *text;
    uint32_t len;
    unsigned depth;
};

static void pending_add(struct pending **q, size_t *n, size_t *cap, const char *s, uint32_t len,
                        unsigned depth, bool arrows)
{
    if (len == 0 || len > STR_MAX || depth > STR_DEPTH)
        return;
    char *buf = xmalloc((size_t)len + 3);
    buf[0] = '(';
    memcpy(buf + 1, s, len);
    /* "(int, str) -> bool" in a type comment: a tuple will do. */
    for (uint32_t i = 1; arrows && i + 1 < len + 1; i++)
        if (buf[i] == '-' && buf[i + 1] == '>')
            buf[i] = ',', buf[i + 1] = ' ';
    buf[len + 1] = ')';
    buf[len + 2] = '\0';
    MG_GROW(*q, *cap, *n + 1);
    (*q)[(*n)++] = (struct pending){buf, len + 2, depth};
}

static void sub_load(struct imp *c, const char *buf, TSNode id)
{
    uint32_t a = nstart(id), b = nend(id);
    uint32_t name = name_find(c, buf + a, b - a);
    if (name != NONE && (c->names[name].flags & NAME_TRACKED)) {
        MG_GROW(c->sub_names, c->cap_sub_names, c->n_sub_names + 1);
        c->sub_names[c->n_sub_names++] = name;
    }
}

/* Whether `s` holds a word that is a candidate name: if not, parsing it
 * cannot find one. */
static bool has_candidate_word(const struct imp *c, const char *s, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        unsigned char ch = (unsigned char)s[i];
        if (!is_ident_char(ch)) {
            i++;
            continue;
        }
        uint32_t w = i++;
        while (i < len && is_ident_char((unsigned char)s[i]))
            i++;
        uint32_t id = ch >= '0' && ch <= '9' ? NONE : name_find(c, s + w, i - w);
        if (id != NONE && (c->names[id].flags & NAME_TRACKED))
            return true;
    }
    return false;
}

static void subtab_put(struct imp *c, uint32_t id)
{
    for (uint32_t i = c->subs[id].hash & c->subtab_mask;; i = (i + 1) & c->subtab_mask)
        if (c->subtab[i] == 0) {
            c->subtab[i] = id + 1;
            return;
        }
}

/* The cache entry of (s, arrows), or NONE. */
static uint32_t sub_find(const struct imp *c, const char *s, uint32_t len, bool arrows,
                         uint32_t hash)
{
    if (c->subtab == NULL)
        return NONE;
    for (uint32_t i = hash & c->subtab_mask;; i = (i + 1) & c->subtab_mask) {
        uint32_t id = c->subtab[i];
        if (id == 0)
            return NONE;
        const struct sub_entry *e = &c->subs[id - 1];
        if (e->hash == hash && e->len == len && e->arrows == arrows &&
            memcmp(c->sub_text.data + e->off, s, len) == 0)
            return id - 1;
    }
}

static void sub_remember(struct imp *c, const char *s, uint32_t len, bool arrows, uint32_t hash,
                         uint32_t names_off)
{
    if (c->subtab == NULL || (c->n_subs + 1) * 2 > (size_t)c->subtab_mask + 1) {
        uint32_t size = c->subtab == NULL ? 64 : (c->subtab_mask + 1) * 2;
        free(c->subtab);
        c->subtab = xcalloc(size, sizeof(*c->subtab));
        c->subtab_mask = size - 1;
        for (uint32_t i = 0; i < c->n_subs; i++)
            subtab_put(c, i);
    }
    MG_GROW(c->subs, c->cap_subs, c->n_subs + 1);
    c->subs[c->n_subs] = (struct sub_entry){
        hash,  (uint32_t)c->sub_text.len, len, names_off, (uint32_t)c->n_sub_names - names_off,
        arrows};
    mg_buf_add(&c->sub_text, s, len);
    subtab_put(c, (uint32_t)c->n_subs++);
}

static void parse_now(struct imp *c, const char *s, uint32_t len, bool arrows);

/* The names a parsed string refers to, into c->sub_names; strings inside
 * it join the queue. */
static void sub_walk(struct imp *c, const struct pending *p, TSNode root, struct pending **q,
                     size_t *nq, size_t *cq)
{
    TSTreeCursor cur = ts_tree_cursor_new(root);
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        bool descend = true;
        switch (nk_of(n)) {
        case NK_IDENTIFIER: {
            uint8_t f = field_of(ts_tree_cursor_current_field_id(&cur));
            if (f != F_ATTRIBUTE && f != F_NAME)
                sub_load(c, p->text, n);
            descend = false;
            break;
        }
        case NK_STRING: {
            uint32_t s, e;
            if (plain_string(n, p->text, p->len, &s, &e))
                pending_add(q, nq, cq, p->text + s, e - s, p->depth + 1, false);
            descend = false;
            break;
        }
        case NK_SUBSCRIPT:
        case NK_GENERIC_TYPE: {
            TSNode base = ts_node_named_child(n, 0);
            if (ends_in(base, p->text, p->len, "Literal")) {
                while (!ts_node_is_null(base) && nk_of(base) == NK_ATTRIBUTE)
                    base = ts_node_child_by_field_name(base, "object", 6);
                if (!ts_node_is_null(base) && nk_of(base) == NK_IDENTIFIER)
                    sub_load(c, p->text, base);
                descend = false;
            }
            break;
        }
        case NK_COMMENT:
            descend = false;
            break;
        default:
            break;
        }
        if (descend && ts_tree_cursor_goto_first_child(&cur))
            continue;
        while (!ts_tree_cursor_goto_next_sibling(&cur))
            if (!ts_tree_cursor_goto_parent(&cur))
                goto done;
    }
done:
    ts_tree_cursor_delete(&cur);
}

/* Read `s` (a string's content or a type comment) as an expression: its
 * names are deferred loads. */
static void parse_type_text(struct imp *c, const char *s, uint32_t len, bool arrows)
{
    if (len == 0 || len > STR_MAX || !has_candidate_word(c, s, len))
        return;
    uint32_t hash = hash_bytes(s, len);
    uint32_t hit = sub_find(c, s, len, arrows, hash);
    if (hit == NONE) {
        uint32_t names_off = (uint32_t)c->n_sub_names;
        parse_now(c, s, len, arrows);
        sub_remember(c, s, len, arrows, hash, names_off);
        hit = (uint32_t)c->n_subs - 1;
    }
    const struct sub_entry *e = &c->subs[hit];
    for (uint32_t i = 0; i < e->names_n; i++)
        load(c, c->sub_names[e->names_off + i], true);
}

static void parse_now(struct imp *c, const char *s, uint32_t len, bool arrows)
{
    struct pending *q = NULL;
    size_t nq = 0, cq = 0;
    pending_add(&q, &nq, &cq, s, len, 0, arrows);
    if (nq > 0 && c->sub == NULL) {
        c->sub = ts_parser_new();
        ts_parser_set_language(c->sub, language);
    }
    while (nq > 0) {
        struct pending p = q[--nq];
        TSTree *tree = ts_parser_parse_string(c->sub, NULL, p.text, p.len);
        if (tree != NULL) {
            sub_walk(c, &p, ts_tree_root_node(tree), &q, &nq, &cq);
            ts_tree_delete(tree);
        }
        free(p.text);
    }
    free(q);
}

/* `# type: List[int]` and `# type: (int) -> str` refer to names as
 * annotations do (mypy reads them); `# type: ignore` does not. */
static void type_comment(struct imp *c, TSNode n)
{
    uint32_t a = nstart(n), b = nend(n);
    if (b > c->len || b - a < 7 || c->text[a] != '#')
        return;
    const char *t = c->text;
    uint32_t i = a + 1;
    while (i < b && is_hspace(t[i]))
        i++;
    if (b - i < 5 || memcmp(t + i, "type:", 5) != 0)
        return;
    i += 5;
    while (i < b && is_hspace(t[i]))
        i++;
    if (b - i >= 6 && memcmp(t + i, "ignore", 6) == 0 &&
        (b - i == 6 || !is_ident_char((unsigned char)t[i + 6])))
        return;
    uint32_t e = i;
    while (e < b && t[e] != '#')
        e++;
    while (e > i && is_hspace(t[e - 1]))
        e--;
    if (e > i)
        parse_type_text(c, t + i, e - i, true);
}

/* ---- the walk ---- */

/* Whether [a, b) holds a candidate word. */
static bool occurs(const struct imp *c, uint32_t a, uint32_t b)
{
    size_t lo = 0, hi = c->n_occ;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->occ[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n_occ && c->occ[lo] < b;
}

/* The first named child of `n` that is no comment, or a null node. */
static TSNode first_named(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode r = {0};
    for (uint32_t i = 0; i < count && ts_node_is_null(r); i++)
        if (c->kids[base + i].named && c->kids[base + i].nk != NK_COMMENT)
            r = c->kids[base + i].node;
    c->n_kids = base;
    return r;
}

static void do_expr(struct imp *c, TSNode n, uint8_t ctx);
static void do_target(struct imp *c, TSNode n);

enum generic_kind { GK_NONE, GK_GENERIC, GK_LITERAL, GK_ANNOTATED };

/* What a subscript of `base` holds: type expressions for the typing
 * generics and the builtin ones (by their last name, as `typing.List` or
 * `List`), values for Literal, a type then metadata for Annotated. */
static uint8_t generic_kind(const struct imp *c, TSNode base)
{
    static const char *const generics[] = {
        "AbstractSet",
        "AsyncContextManager",
        "AsyncGenerator",
        "AsyncIterable",
        "AsyncIterator",
        "Awaitable",
        "Callable",
        "ChainMap",
        "ClassVar",
        "Collection",
        "Concatenate",
        "Container",
        "ContextManager",
        "Coroutine",
        "Counter",
        "DefaultDict",
        "Deque",
        "Dict",
        "Final",
        "FrozenSet",
        "Generator",
        "Generic",
        "IO",
        "ItemsView",
        "Iterable",
        "Iterator",
        "KeysView",
        "List",
        "Mapping",
        "MappingView",
        "Match",
        "MutableMapping",
        "MutableSequence",
        "MutableSet",
        "NotRequired",
        "Optional",
        "OrderedDict",
        "Pattern",
        "Protocol",
        "ReadOnly",
        "Required",
        "Reversible",
        "Sequence",
        "Set",
        "Tuple",
        "Type",
        "TypeGuard",
        "TypeIs",
        "Union",
        "Unpack",
        "ValuesView",
        "defaultdict",
        "deque",
        "dict",
        "frozenset",
        "list",
        "set",
        "tuple",
        "type",
    };
    const char *p;
    uint32_t len;
    if (!last_name(c, base, &p, &len))
        return GK_NONE;
    if (len == 7 && memcmp(p, "Literal", 7) == 0)
        return GK_LITERAL;
    if (len == 9 && memcmp(p, "Annotated", 9) == 0)
        return GK_ANNOTATED;
    for (size_t i = 0; i < MG_ARRAY_LEN(generics); i++)
        if (strlen(generics[i]) == len && memcmp(generics[i], p, len) == 0)
            return GK_GENERIC;
    return GK_NONE;
}

/* Context of the i-th element of a subscript of kind `gk`. */
static uint8_t element_ctx(uint8_t gk, uint8_t ctx, uint32_t i)
{
    switch (gk) {
    case GK_LITERAL:
        return ctx | CX_LITERAL;
    case GK_ANNOTATED:
        return i == 0 ? ctx | CX_ANNOT : (uint8_t)(ctx & ~(CX_ANNOT | CX_LITERAL));
    case GK_GENERIC:
        return ctx | CX_ANNOT;
    default:
        return ctx;
    }
}

static void do_subscript(struct imp *c, TSNode n, uint8_t ctx)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode value = kid_field(c, base, count, F_VALUE);
    t_node(c, OP_EXPR, value, ctx);
    uint8_t gk = ts_node_is_null(value) ? GK_NONE : generic_kind(c, value);
    if (gk == GK_NONE && (ctx & CX_ANNOT))
        gk = GK_GENERIC;
    uint32_t n_elts = 0, only = NONE;
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].field == F_SUBSCRIPT)
            n_elts++, only = i;
    if (n_elts == 1 &&
        (c->kids[base + only].nk == NK_EXPRESSION_LIST || c->kids[base + only].nk == NK_TUPLE)) {
        uint32_t n2, b2 = collect(c, c->kids[base + only].node, &n2);
        uint32_t k = 0;
        for (uint32_t i = 0; i < n2; i++) {
            const struct kid *e = &c->kids[b2 + i];
            if (e->named && e->nk != NK_COMMENT)
                t_node(c, e->nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, e->node,
                       element_ctx(gk, ctx, k++));
        }
        c->n_kids = b2;
    } else {
        uint32_t k = 0;
        for (uint32_t i = 0; i < count; i++) {
            const struct kid *e = &c->kids[base + i];
            if (e->field == F_SUBSCRIPT)
                t_node(c, e->nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, e->node,
                       element_ctx(gk, ctx, k++));
            else if (e->nk == NK_ERROR)
                t_node(c, OP_ERRLOADS, e->node, 0);
        }
    }
    c->n_kids = base;
}

/* `List[int]` in a type context: generic_type(identifier, type_parameter). */
static void do_generic(struct imp *c, TSNode n, uint8_t ctx)
{
    uint32_t count, base = collect(c, n, &count);
    uint8_t gk = GK_GENERIC;
    for (uint32_t i = 0; i < count; i++) {
        const struct kid *k = &c->kids[base + i];
        if (k->nk == NK_IDENTIFIER) {
            gk = generic_kind(c, k->node);
            if (gk == GK_NONE)
                gk = GK_GENERIC;
            t_node(c, OP_EXPR, k->node, ctx);
        } else if (k->nk == NK_TYPE_PARAMETER) {
            uint32_t n2, b2 = collect(c, k->node, &n2);
            uint32_t j = 0;
            for (uint32_t m = 0; m < n2; m++) {
                struct kid e = c->kids[b2 + m];
                if (!e.named || e.nk == NK_COMMENT)
                    continue;
                /* unwrap `type`, which would make its content a type again */
                TSNode inner = e.nk == NK_TYPE ? first_named(c, e.node) : e.node;
                if (!ts_node_is_null(inner))
                    t_node(c, nk_of(inner) == NK_ERROR ? OP_ERRLOADS : OP_EXPR, inner,
                           element_ctx(gk, ctx, j));
                j++;
            }
            c->n_kids = b2;
        } else if (k->named && k->nk != NK_COMMENT) {
            t_node(c, k->nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k->node, ctx);
        }
    }
    c->n_kids = base;
}

enum special { SP_NONE, SP_CAST, SP_TYPEVAR, SP_NEWTYPE, SP_ALIASTYPE };

static uint8_t special_call(const struct imp *c, TSNode fn)
{
    const char *p;
    uint32_t len;
    if (!last_name(c, fn, &p, &len))
        return SP_NONE;
#define IS(s) (len == sizeof(s) - 1 && memcmp(p, s, len) == 0)
    if (IS("cast"))
        return SP_CAST;
    if (IS("TypeVar"))
        return SP_TYPEVAR;
    if (IS("NewType"))
        return SP_NEWTYPE;
    if (IS("TypeAliasType"))
        return SP_ALIASTYPE;
#undef IS
    return SP_NONE;
}

static void exports(struct imp *c, TSNode value);

/* `__all__.extend(...)` or `__all__.append(...)` at module level. */
static bool is_all_call(struct imp *c, TSNode fn)
{
    if (c->scope != 0 || ts_node_is_null(fn) || nk_of(fn) != NK_ATTRIBUTE)
        return false;
    TSNode obj = ts_node_child_by_field_name(fn, "object", 6);
    TSNode attr = ts_node_child_by_field_name(fn, "attribute", 9);
    return !ts_node_is_null(obj) && nk_of(obj) == NK_IDENTIFIER && text_is(c, obj, "__all__") &&
           !ts_node_is_null(attr) &&
           (text_is(c, attr, "extend") || text_is(c, attr, "append") || text_is(c, attr, "remove"));
}

static void do_call(struct imp *c, TSNode n, uint8_t ctx)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode fn = kid_field(c, base, count, F_FUNCTION);
    TSNode args = kid_field(c, base, count, F_ARGUMENTS);
    t_node(c, OP_EXPR, fn, ctx);
    uint8_t sp = ts_node_is_null(fn) ? SP_NONE : special_call(c, fn);
    uint8_t plain = ctx & CX_DEFER, type = CX_ANNOT | CX_DEFER;
    bool all = is_all_call(c, fn);
    if (all)
        c->n_all_defs++;
    for (uint32_t i = 0; i < count; i++) /* stray ERRORs */
        if (c->kids[base + i].nk == NK_ERROR)
            t_node(c, OP_ERRLOADS, c->kids[base + i].node, 0);
    if (!ts_node_is_null(args) && nk_of(args) == NK_ARGUMENT_LIST) {
        uint32_t n2, b2 = collect(c, args, &n2);
        uint32_t pos = 0;
        for (uint32_t i = 0; i < n2; i++) {
            const struct kid k = c->kids[b2 + i]; /* a copy: exports() may move kids */
            if (!k.named || k.nk == NK_COMMENT)
                continue;
            if (k.nk == NK_ERROR) {
                t_node(c, OP_ERRLOADS, k.node, 0);
                continue;
            }
            if (k.nk == NK_KEYWORD_ARGUMENT) {
                TSNode kw = ts_node_child_by_field_name(k.node, "name", 4);
                TSNode v = ts_node_child_by_field_name(k.node, "value", 5);
                bool typed =
                    !ts_node_is_null(kw) &&
                    ((sp == SP_TYPEVAR && (text_is(c, kw, "bound") || text_is(c, kw, "default"))) ||
                     (sp == SP_ALIASTYPE && text_is(c, kw, "value")));
                t_node(c, OP_EXPR, v, typed ? type : plain);
                continue;
            }
            bool typed = (sp == SP_CAST && pos == 0) || (sp == SP_TYPEVAR && pos >= 1) ||
                         (sp == SP_NEWTYPE && pos == 1) || (sp == SP_ALIASTYPE && pos == 1);
            if (all && pos == 0)
                exports(c, k.node);
            t_node(c, OP_EXPR, k.node, typed ? type : plain);
            pos++;
        }
        c->n_kids = b2;
    } else {
        t_node(c, OP_EXPR, args, plain);
    }
    c->n_kids = base;
}

/* Strings naming module-level names in `__all__`: deferred loads there. */
static void exports(struct imp *c, TSNode value)
{
    TSNode *stack = NULL;
    size_t n = 0, cap = 0;
    MG_GROW(stack, cap, 1);
    stack[n++] = value;
    while (n > 0) {
        TSNode v = stack[--n];
        switch (nk_of(v)) {
        case NK_LIST:
        case NK_TUPLE:
        case NK_EXPRESSION_LIST:
        case NK_PARENTHESIZED_EXPRESSION: {
            uint32_t count, base = collect(c, v, &count);
            for (uint32_t i = count; i-- > 0;)
                if (c->kids[base + i].named) {
                    MG_GROW(stack, cap, n + 1);
                    stack[n++] = c->kids[base + i].node;
                }
            c->n_kids = base;
            break;
        }
        case NK_BINARY_OPERATOR: {
            TSNode op = ts_node_child_by_field_name(v, "operator", 8);
            if (ts_node_is_null(op) || !text_is(c, op, "+"))
                break;
            MG_GROW(stack, cap, n + 2);
            stack[n++] = ts_node_child_by_field_name(v, "right", 5);
            stack[n++] = ts_node_child_by_field_name(v, "left", 4);
            break;
        }
        case NK_STRING: {
            uint32_t s, e;
            if (plain_string(v, c->text, c->len, &s, &e)) {
                uint32_t name = name_find(c, c->text + s, e - s);
                if (name != NONE && (c->names[name].flags & NAME_TRACKED))
                    load(c, name, true);
            }
            break;
        }
        default:
            break;
        }
    }
    free(stack);
}

/* Parameters, in three phases: defaults (evaluated where the function is
 * defined), annotations, names (bound in the function). */
enum param_phase { PP_DEFAULTS, PP_ANNOTATIONS, PP_NAMES };

static void params(struct imp *c, TSNode ps, uint8_t phase)
{
    if (ts_node_is_null(ps))
        return;
    uint32_t count, base = collect(c, ps, &count);
    for (uint32_t i = 0; i < count; i++) {
        const struct kid k = c->kids[base + i]; /* a copy: collect() may move kids */
        if (!k.named || k.nk == NK_COMMENT)
            continue;
        TSNode p = k.node;
        switch (k.nk) {
        case NK_IDENTIFIER:
            if (phase == PP_NAMES)
                t_bindname(c, p, 0);
            break;
        case NK_DEFAULT_PARAMETER:
        case NK_TYPED_DEFAULT_PARAMETER:
        case NK_TYPED_PARAMETER: {
            uint32_t n2, b2 = collect(c, p, &n2);
            for (uint32_t j = 0; j < n2; j++) {
                const struct kid *e = &c->kids[b2 + j];
                if (e->field == F_VALUE && phase == PP_DEFAULTS)
                    t_node(c, e->nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, e->node, 0);
                else if (e->field == F_TYPE && phase == PP_ANNOTATIONS)
                    t_node(c, OP_EXPR, e->node, CX_ANNOT | CX_DEFER);
                else if (phase == PP_NAMES && e->named && e->nk != NK_COMMENT &&
                         (e->field == F_NAME || (k.nk == NK_TYPED_PARAMETER && e->field == F_NONE)))
                    t_node(c, OP_TARGET, e->node, 0);
            }
            c->n_kids = b2;
            break;
        }
        case NK_LIST_SPLAT_PATTERN:
        case NK_DICTIONARY_SPLAT_PATTERN:
        case NK_TUPLE_PATTERN:
            if (phase == PP_NAMES)
                t_node(c, OP_TARGET, p, 0);
            break;
        case NK_ERROR:
            if (phase == PP_DEFAULTS)
                t_node(c, OP_ERRLOADS, p, 0);
            break;
        default:
            break;
        }
    }
    c->n_kids = base;
}

/* Type parameters `[T: bound, *Ts, **P]`: their names are bound, their
 * bounds read (lazily) when `bounds`. */
static void type_params(struct imp *c, TSNode tp, bool bounds)
{
    if (ts_node_is_null(tp))
        return;
    uint32_t count, base = collect(c, tp, &count);
    for (uint32_t i = 0; i < count; i++) {
        const struct kid *k = &c->kids[base + i];
        if (k->nk != NK_TYPE)
            continue;
        TSNode inner = first_named(c, k->node);
        if (ts_node_is_null(inner))
            continue;
        uint8_t kind = nk_of(inner);
        if (kind == NK_IDENTIFIER) {
            t_bindname(c, inner, 0);
        } else if (kind == NK_CONSTRAINED_TYPE || kind == NK_SPLAT_TYPE) {
            uint32_t n2, b2 = collect(c, inner, &n2);
            bool first = true;
            for (uint32_t j = 0; j < n2; j++) {
                const struct kid *e = &c->kids[b2 + j];
                if (!e->named || e->nk == NK_COMMENT)
                    continue;
                if (first) {
                    TSNode id = e->nk == NK_TYPE ? first_named(c, e->node) : e->node;
                    if (!ts_node_is_null(id) && nk_of(id) == NK_IDENTIFIER)
                        t_bindname(c, id, 0);
                    first = false;
                } else if (bounds) {
                    t_node(c, OP_EXPR, c->kids[b2 + j].node, CX_ANNOT | CX_DEFER);
                }
            }
            c->n_kids = b2;
        } else if (bounds) {
            t_node(c, OP_EXPR, inner, CX_ANNOT | CX_DEFER);
        }
    }
    c->n_kids = base;
}

static void do_def(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode name = kid_field(c, base, count, F_NAME);
    TSNode ps = kid_field(c, base, count, F_PARAMETERS);
    TSNode ret = kid_field(c, base, count, F_RETURN_TYPE);
    TSNode tp = kid_field(c, base, count, F_TYPE_PARAMETERS);
    TSNode body = kid_field(c, base, count, F_BODY);
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].nk == NK_ERROR)
            t_node(c, OP_ERRLOADS, c->kids[base + i].node, 0);
    c->n_kids = base;
    params(c, ps, PP_DEFAULTS);
    if (!ts_node_is_null(tp)) {
        t_push(c, SK_TYPEPARAMS);
        type_params(c, tp, true);
    }
    params(c, ps, PP_ANNOTATIONS);
    t_node(c, OP_EXPR, ret, CX_ANNOT | CX_DEFER);
    if (!ts_node_is_null(tp))
        t_pop(c);
    /* The name is bound before the body runs: the body sees the function. */
    t_bindname(c, name, 0);
    t_push(c, SK_FUNCTION);
    type_params(c, tp, false);
    params(c, ps, PP_NAMES);
    t_node(c, OP_BLOCK, body, 0);
    t_pop(c);
}

/* Arguments of a class statement: bases and keywords. */
static void class_args(struct imp *c, TSNode args)
{
    if (ts_node_is_null(args))
        return;
    uint32_t count, base = collect(c, args, &count);
    for (uint32_t i = 0; i < count; i++) {
        const struct kid *k = &c->kids[base + i];
        if (!k->named || k->nk == NK_COMMENT)
            continue;
        t_node(c, k->nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k->node, 0);
    }
    c->n_kids = base;
}

static void do_class(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode name = kid_field(c, base, count, F_NAME);
    TSNode sup = kid_field(c, base, count, F_SUPERCLASSES);
    TSNode tp = kid_field(c, base, count, F_TYPE_PARAMETERS);
    TSNode body = kid_field(c, base, count, F_BODY);
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].nk == NK_ERROR)
            t_node(c, OP_ERRLOADS, c->kids[base + i].node, 0);
    c->n_kids = base;
    if (!ts_node_is_null(tp)) {
        t_push(c, SK_TYPEPARAMS);
        type_params(c, tp, true);
    }
    class_args(c, sup);
    t_push(c, SK_CLASS);
    t_node(c, OP_BLOCK, body, 0);
    t_pop(c);
    if (!ts_node_is_null(tp))
        t_pop(c);
    /* The body runs first; the name is bound after it. */
    t_bindname(c, name, 0);
}

static void do_lambda(struct imp *c, TSNode n, uint8_t ctx)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode ps = kid_field(c, base, count, F_PARAMETERS);
    TSNode body = kid_field(c, base, count, F_BODY);
    c->n_kids = base;
    params(c, ps, PP_DEFAULTS);
    t_push(c, SK_LAMBDA);
    params(c, ps, PP_NAMES);
    t_node(c, OP_EXPR, body, ctx & CX_DEFER);
    t_pop(c);
}

/* A comprehension: the first iterable is evaluated outside, the rest in
 * its own scope, clauses in order, the element last. */
static void do_comp(struct imp *c, TSNode n, uint8_t ctx)
{
    uint8_t x = ctx & CX_DEFER;
    uint32_t count, base = collect(c, n, &count);
    bool first = true;
    for (uint32_t i = 0; i < count && first; i++) {
        const struct kid *k = &c->kids[base + i];
        if (k->nk != NK_FOR_IN_CLAUSE)
            continue;
        uint32_t n2, b2 = collect(c, k->node, &n2);
        for (uint32_t j = 0; j < n2; j++)
            if (c->kids[b2 + j].field == F_RIGHT && c->kids[b2 + j].named)
                t_node(c, OP_EXPR, c->kids[b2 + j].node, x);
        c->n_kids = b2;
        first = false;
    }
    t_push(c, SK_COMP);
    first = true;
    TSNode body = {0};
    for (uint32_t i = 0; i < count; i++) {
        const struct kid *k = &c->kids[base + i];
        if (k->field == F_BODY) {
            body = k->node;
        } else if (k->nk == NK_FOR_IN_CLAUSE) {
            uint32_t n2, b2 = collect(c, k->node, &n2);
            for (uint32_t j = 0; j < n2 && !first; j++)
                if (c->kids[b2 + j].field == F_RIGHT && c->kids[b2 + j].named)
                    t_node(c, OP_EXPR, c->kids[b2 + j].node, x);
            for (uint32_t j = 0; j < n2; j++)
                if (c->kids[b2 + j].field == F_LEFT)
                    t_node(c, OP_TARGET, c->kids[b2 + j].node, 0);
            c->n_kids = b2;
            first = false;
        } else if (k->nk == NK_IF_CLAUSE || k->nk == NK_ERROR) {
            t_node(c, k->nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k->node, x);
        }
    }
    t_node(c, OP_EXPR, body, x);
    t_pop(c);
    c->n_kids = base;
}

static void do_string(struct imp *c, TSNode n, uint8_t ctx)
{
    uint32_t s, e;
    if ((ctx & CX_ANNOT) && !(ctx & CX_LITERAL) && plain_string(n, c->text, c->len, &s, &e)) {
        parse_type_text(c, c->text + s, e - s, false);
        return;
    }
    uint32_t count, base = collect(c, n, &count);
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].nk == NK_INTERPOLATION || c->kids[base + i].nk == NK_ERROR)
            t_node(c, c->kids[base + i].nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR,
                   c->kids[base + i].node, ctx & CX_DEFER);
    c->n_kids = base;
}

static void do_concat(struct imp *c, TSNode n, uint8_t ctx)
{
    uint32_t count, base = collect(c, n, &count);
    if ((ctx & CX_ANNOT) && !(ctx & CX_LITERAL)) {
        struct mg_buf b = {0};
        bool ok = true;
        for (uint32_t i = 0; i < count && ok; i++) {
            const struct kid *k = &c->kids[base + i];
            uint32_t s, e;
            if (k->nk == NK_STRING && plain_string(k->node, c->text, c->len, &s, &e))
                mg_buf_add(&b, c->text + s, e - s);
            else if (k->named && k->nk != NK_COMMENT)
                ok = false;
        }
        if (ok && b.len > 0 && b.len <= STR_MAX) {
            parse_type_text(c, b.data, (uint32_t)b.len, false);
            mg_buf_release(&b);
            c->n_kids = base;
            return;
        }
        mg_buf_release(&b);
    }
    t_kids(c, base, count, OP_EXPR, ctx & ~CX_ANNOT);
    c->n_kids = base;
}

/* `x.b.c` where x may be `import a as x`: `import a.b` is what makes
 * `x.b` work, so it is used (Ruff: sub-importation through an alias). */
static void note_attr_path(struct imp *c, TSNode n)
{
    TSNode o = n;
    uint32_t depth = 0;
    while (nk_of(o) == NK_ATTRIBUTE && depth++ < 64)
        o = ts_node_child_by_field_name(o, "object", 6);
    if (nk_of(o) != NK_IDENTIFIER)
        return;
    uint32_t name = name_of(c, o);
    if (name == NONE || !(c->names[name].flags & NAME_ALIASED))
        return;
    uint32_t a = nend(o) + 1, b = nend(n); /* "b.c", as written */
    if (a >= b)
        return;
    MG_GROW(c->attrs, c->cap_attrs, c->n_attrs + 1);
    c->attrs[c->n_attrs++] = (struct attr_use){name, (uint32_t)c->paths.len, 0};
    for (uint32_t i = a; i < b; i++) /* drop spaces, comments are not expected */
        if (!is_hspace(c->text[i]) && c->text[i] != '\n' && c->text[i] != '\r' &&
            c->text[i] != '\\')
            mg_buf_add(&c->paths, c->text + i, 1);
    c->attrs[c->n_attrs - 1].len = (uint32_t)c->paths.len - c->attrs[c->n_attrs - 1].off;
}

static void do_expr(struct imp *c, TSNode n, uint8_t ctx)
{
    switch (nk_of(n)) {
    case NK_IDENTIFIER:
        load(c, name_of(c, n), (ctx & CX_DEFER) != 0);
        return;
    case NK_ATTRIBUTE: {
        if (c->has_dotted)
            note_attr_path(c, n);
        uint32_t count, base = collect(c, n, &count);
        for (uint32_t i = 0; i < count; i++) {
            const struct kid *k = &c->kids[base + i];
            if (k->field == F_OBJECT || k->nk == NK_ERROR) {
                t_node(c, k->nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k->node, ctx);
            } else if (k->field == F_ATTRIBUTE) {
                uint32_t name = name_of(c, k->node);
                if (name != NONE)
                    c->names[name].flags |= NAME_ATTR;
            }
        }
        c->n_kids = base;
        return;
    }
    case NK_CALL:
        do_call(c, n, ctx);
        return;
    case NK_SUBSCRIPT:
        do_subscript(c, n, ctx);
        return;
    case NK_GENERIC_TYPE:
        do_generic(c, n, ctx);
        return;
    case NK_KEYWORD_ARGUMENT:
        t_node(c, OP_EXPR, ts_node_child_by_field_name(n, "value", 5), ctx);
        return;
    case NK_LAMBDA:
        do_lambda(c, n, ctx);
        return;
    case NK_LIST_COMPREHENSION:
    case NK_SET_COMPREHENSION:
    case NK_GENERATOR_EXPRESSION:
    case NK_DICTIONARY_COMPREHENSION:
        do_comp(c, n, ctx);
        return;
    case NK_NAMED_EXPRESSION: {
        uint32_t count, base = collect(c, n, &count);
        TSNode name = kid_field(c, base, count, F_NAME);
        t_node(c, OP_EXPR, kid_field(c, base, count, F_VALUE), ctx);
        c->n_kids = base;
        t_bindname(c, name, BF_WALRUS);
        return;
    }
    case NK_STRING:
        do_string(c, n, ctx);
        return;
    case NK_CONCATENATED_STRING:
        do_concat(c, n, ctx);
        return;
    case NK_TYPE: {
        uint32_t count, base = collect(c, n, &count);
        t_kids(c, base, count, OP_EXPR, ctx | CX_ANNOT);
        c->n_kids = base;
        return;
    }
    case NK_MEMBER_TYPE: { /* `a.b` in a type: only `a` is a name */
        uint32_t count, base = collect(c, n, &count);
        bool first = true;
        for (uint32_t i = 0; i < count; i++) {
            const struct kid *k = &c->kids[base + i];
            if (!k->named || k->nk == NK_COMMENT || (!first && k->nk == NK_IDENTIFIER))
                continue;
            t_node(c, k->nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k->node, ctx);
            first = false;
        }
        c->n_kids = base;
        return;
    }
    case NK_ERROR:
        t_node(c, OP_ERRLOADS, n, 0);
        return;
    case NK_COMMENT:
    case NK_STRING_START:
    case NK_STRING_CONTENT:
    case NK_STRING_END:
        return;
    default: {
        uint32_t count, base = collect(c, n, &count);
        t_kids(c, base, count, OP_EXPR, ctx);
        c->n_kids = base;
        return;
    }
    }
}

static void do_target(struct imp *c, TSNode n)
{
    switch (nk_of(n)) {
    case NK_IDENTIFIER: {
        uint32_t name = name_of(c, n);
        if (name != NONE)
            bind(c, name, nstart(n), nend(n), 0, NONE);
        return;
    }
    case NK_PATTERN_LIST:
    case NK_TUPLE_PATTERN:
    case NK_LIST_PATTERN:
    case NK_TUPLE:
    case NK_LIST:
    case NK_PARENTHESIZED_EXPRESSION:
    case NK_EXPRESSION_LIST:
    case NK_LIST_SPLAT_PATTERN:
    case NK_DICTIONARY_SPLAT_PATTERN:
    case NK_LIST_SPLAT:
    case NK_AS_PATTERN_TARGET: {
        uint32_t count, base = collect(c, n, &count);
        t_kids(c, base, count, OP_TARGET, 0);
        c->n_kids = base;
        return;
    }
    case NK_ERROR:
        t_node(c, OP_ERRLOADS, n, 0);
        return;
    default:
        do_expr(c, n, 0);
        return;
    }
}

static void do_del(struct imp *c, TSNode n)
{
    switch (nk_of(n)) {
    case NK_IDENTIFIER: {
        uint32_t name = name_of(c, n);
        if (name != NONE) {
            declare_local(c, c->scope, name);
            emit(c, EV_DEL, 0, name, c->scope);
        }
        return;
    }
    case NK_TUPLE:
    case NK_LIST:
    case NK_PARENTHESIZED_EXPRESSION:
    case NK_EXPRESSION_LIST: {
        uint32_t count, base = collect(c, n, &count);
        t_kids(c, base, count, OP_DEL, 0);
        c->n_kids = base;
        return;
    }
    default:
        do_expr(c, n, 0);
        return;
    }
}

/* A match pattern: captures bind, dotted names are values. */
static void do_pattern(struct imp *c, TSNode n)
{
    uint8_t kind = nk_of(n);
    uint32_t count, base = collect(c, n, &count);
    switch (kind) {
    case NK_IDENTIFIER:
        do_target(c, n);
        break;
    case NK_DOTTED_NAME: {
        uint32_t ids = 0;
        TSNode first = {0};
        for (uint32_t i = 0; i < count; i++)
            if (c->kids[base + i].nk == NK_IDENTIFIER && ids++ == 0)
                first = c->kids[base + i].node;
        if (ids == 1)
            do_target(c, first); /* a capture */
        else if (ids > 1)
            do_expr(c, first, 0); /* a value: `case os.sep:` */
        break;
    }
    case NK_CLASS_PATTERN:
    case NK_KEYWORD_PATTERN:
    case NK_DICT_PATTERN: {
        bool keyword = kind == NK_KEYWORD_PATTERN;
        for (uint32_t i = 0; i < count; i++) {
            const struct kid *k = &c->kids[base + i];
            if (!k->named || k->nk == NK_COMMENT)
                continue;
            if (keyword && k->nk == NK_IDENTIFIER) { /* the keyword's name */
                keyword = false;
                continue;
            }
            if ((kind == NK_CLASS_PATTERN || k->field == F_KEY) && k->nk == NK_DOTTED_NAME) {
                TSNode id = first_named(c, k->node);
                if (!ts_node_is_null(id))
                    t_node(c, OP_EXPR, id, 0);
            } else if (k->field != F_KEY) {
                t_node(c, k->nk == NK_ERROR ? OP_ERRLOADS : OP_PATTERN, k->node, 0);
            }
        }
        break;
    }
    case NK_AS_PATTERN:
    case NK_SPLAT_PATTERN:
        for (uint32_t i = 0; i < count; i++) {
            const struct kid *k = &c->kids[base + i];
            if (!k->named || k->nk == NK_COMMENT)
                continue;
            t_node(c, k->nk == NK_IDENTIFIER ? OP_TARGET : OP_PATTERN, k->node, 0);
        }
        break;
    case NK_ERROR:
        t_node(c, OP_ERRLOADS, n, 0);
        break;
    default:
        t_kids(c, base, count, OP_PATTERN, 0);
        break;
    }
    c->n_kids = base;
}

static void do_errloads(struct imp *c, TSNode n)
{
    if (nk_of(n) == NK_IDENTIFIER) {
        load(c, name_of(c, n), false);
        return;
    }
    uint32_t count, base = collect(c, n, &count);
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].named && c->kids[base + i].nk != NK_COMMENT)
            t_node(c, OP_ERRLOADS, c->kids[base + i].node, 0);
    c->n_kids = base;
}

/* ---- statements ---- */

static void do_block(struct imp *c, TSNode n, bool module)
{
    uint32_t count, base = collect(c, n, &count);
    MG_GROW(c->blocks, c->cap_blocks, c->n_blocks + 1);
    uint32_t id = (uint32_t)c->n_blocks++;
    c->blocks[id] = (struct block){0, module};
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].named && c->kids[base + i].nk != NK_COMMENT)
            c->blocks[id].count++;
    uint32_t prev_end = NONE;
    for (uint32_t i = 0; i < count; i++) {
        const struct kid *k = &c->kids[base + i];
        if (!k->named || k->nk == NK_COMMENT)
            continue;
        uint32_t next_start = NONE;
        for (uint32_t j = i + 1; j < count && next_start == NONE; j++)
            if (c->kids[base + j].named && c->kids[base + j].nk != NK_COMMENT)
                next_start = nstart(c->kids[base + j].node);
        push_task(c, k->nk == NK_ERROR ? OP_ERRLOADS : OP_STMT, k->node, 0, prev_end, next_start,
                  id);
        prev_end = nend(k->node);
    }
    c->n_kids = base;
}

/* "a.b.c" of a dotted_name, into `b`. */
static void dotted_text(struct imp *c, TSNode n, struct mg_buf *b)
{
    if (nk_of(n) == NK_IDENTIFIER) {
        mg_buf_add(b, c->text + nstart(n), nend(n) - nstart(n));
        return;
    }
    uint32_t count, base = collect(c, n, &count);
    bool first = true;
    for (uint32_t i = 0; i < count; i++) {
        TSNode k = c->kids[base + i].node;
        if (c->kids[base + i].nk != NK_IDENTIFIER)
            continue;
        if (!first)
            mg_buf_add(b, ".", 1);
        mg_buf_add(b, c->text + nstart(k), nend(k) - nstart(k));
        first = false;
    }
    c->n_kids = base;
}

/* The module of `from MODULE import`: ".", "..m", "a.b". */
static void module_text(struct imp *c, TSNode n, struct mg_buf *b)
{
    if (nk_of(n) != NK_RELATIVE_IMPORT) {
        dotted_text(c, n, b);
        return;
    }
    uint32_t count, base = collect(c, n, &count);
    for (uint32_t i = 0; i < count; i++) {
        TSNode k = c->kids[base + i].node;
        if (c->kids[base + i].nk == NK_IMPORT_PREFIX) {
            for (uint32_t j = nstart(k); j < nend(k); j++)
                if (c->text[j] == '.')
                    mg_buf_add(b, ".", 1);
        } else if (c->kids[base + i].nk == NK_DOTTED_NAME) {
            dotted_text(c, k, b);
        }
    }
    c->n_kids = base;
}

static bool allowed(const struct imp *c, const char *q, size_t len)
{
    if (c->opts == NULL)
        return false;
    for (size_t i = 0; i < c->opts->n_allowed_unused_imports; i++) {
        const char *a = c->opts->allowed_unused_imports[i];
        size_t n = a ? strlen(a) : 0;
        if (n > 0 && n <= len && memcmp(q, a, n) == 0 && (n == len || q[n] == '.'))
            return true;
    }
    return false;
}

/* One name of an import statement: an item, and its binding. */
static void import_item(struct imp *c, TSNode it, bool from, const struct mg_buf *prefix,
                        uint32_t stmt)
{
    TSNode name = it, alias = {0};
    if (nk_of(it) == NK_ALIASED_IMPORT) {
        name = ts_node_child_by_field_name(it, "name", 4);
        alias = ts_node_child_by_field_name(it, "alias", 5);
        if (ts_node_is_null(name) || ts_node_is_null(alias))
            return;
    }
    struct mg_buf full = {0};
    dotted_text(c, name, &full);
    if (full.len == 0) {
        mg_buf_release(&full);
        return;
    }
    TSNode bound = alias;
    if (ts_node_is_null(bound))
        bound = nk_of(name) == NK_IDENTIFIER ? name : ts_node_named_child(name, 0);
    uint32_t id = ts_node_is_null(bound) ? NONE : name_of(c, bound);

    MG_GROW(c->items, c->cap_items, c->n_items + 1);
    uint32_t ix = (uint32_t)c->n_items++;
    struct item *item = &c->items[ix];
    memset(item, 0, sizeof(*item));
    item->start = nstart(it);
    item->end = nend(it);
    item->stmt = stmt;
    item->name = id;
    item->qual_off = (uint32_t)c->quals.len;
    if (from) {
        mg_buf_add(&c->quals, prefix->data, prefix->len);
        if (prefix->len > 0 && prefix->data[prefix->len - 1] != '.')
            mg_buf_add(&c->quals, ".", 1);
    }
    mg_buf_add(&c->quals, full.data, full.len);
    item->qual_len = (uint32_t)c->quals.len - item->qual_off;
    bool dotted = memchr(full.data, '.', full.len) != NULL;
    bool reexport = !ts_node_is_null(alias) && nend(alias) - nstart(alias) == full.len &&
                    memcmp(c->text + nstart(alias), full.data, full.len) == 0;
    mg_buf_release(&full);

    uint8_t kind = c->scopes[c->scope].kind;
    item->flags = (c->guard > 0 ? IF_AVAIL : 0) | (kind == SK_CLASS ? IF_CLASS : 0) |
                  (c->scope == 0 ? IF_MODULE : 0) |
                  (ts_node_is_null(alias) && (from || !dotted) ? IF_SIMPLE : 0);
    if (id == NONE)
        return;
    uint16_t flags = BF_IMPORT | (!from && ts_node_is_null(alias) ? BF_PACKAGE : 0);
    item->binding = bind(c, id, item->start, item->end, flags, ix);
    item = &c->items[ix];
    /* `from _decimal import __doc__, __version__` sets module attributes. */
    const struct name *nm = &c->names[id];
    const char *bn = c->chars.data + nm->off;
    bool dunder = from && c->scope == 0 && nm->len > 4 && memcmp(bn, "__", 2) == 0 &&
                  memcmp(bn + nm->len - 2, "__", 2) == 0;
    if (!reexport && !dunder && !(c->binds[item->binding].flags & BF_FOREIGN) &&
        !allowed(c, c->quals.data + item->qual_off, item->qual_len))
        item->flags |= IF_CANDIDATE;
}

static void do_import(struct imp *c, const struct task *t)
{
    TSNode n = t->node;
    if (ts_node_has_error(n)) {
        t_node(c, OP_ERRLOADS, n, 0);
        return;
    }
    bool from = nk_of(n) == NK_IMPORT_FROM_STATEMENT;
    MG_GROW(c->stmts, c->cap_stmts, c->n_stmts + 1);
    uint32_t sid = (uint32_t)c->n_stmts++;
    struct stmt st = {nstart(n), nend(n), t->a, t->b, t->c, (uint32_t)c->n_items, 0, false};
    struct mg_buf prefix = {0};
    uint32_t count, base = collect(c, n, &count);
    for (uint32_t i = 0; i < count; i++) {
        struct kid k = c->kids[base + i];
        if (k.field == F_MODULE_NAME)
            module_text(c, k.node, &prefix);
        else if (!k.named && nend(k.node) - nstart(k.node) == 1 && c->text[nstart(k.node)] == '(')
            st.paren = true;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct kid k = c->kids[base + i];
        if (k.field == F_NAME && (k.nk == NK_DOTTED_NAME || k.nk == NK_ALIASED_IMPORT))
            import_item(c, k.node, from, &prefix, sid);
    }
    c->n_kids = base;
    mg_buf_release(&prefix);
    st.n_items = (uint32_t)c->n_items - st.first_item;
    c->stmts[sid] = st;
}

/* `__all__ = [...]` and friends at module level. */
static void note_all(struct imp *c, TSNode value, bool plain_assignment)
{
    c->n_all_defs++;
    if (ts_node_is_null(value))
        return;
    uint8_t k = nk_of(value);
    if (plain_assignment && c->n_all_defs == 1 &&
        (k == NK_LIST || k == NK_TUPLE || k == NK_EXPRESSION_LIST)) {
        c->all_fixable = true;
        c->all_value = value;
    }
    exports(c, value);
}

static void do_assignment(struct imp *c, TSNode n)
{
    TSNode *targets = NULL;
    size_t n_targets = 0, cap = 0;
    TSNode type = {0}, value = {0}, cur = n;
    for (bool outer = true;; outer = false) {
        uint32_t count, base = collect(c, cur, &count);
        TSNode left = kid_field(c, base, count, F_LEFT);
        TSNode right = kid_field(c, base, count, F_RIGHT);
        for (uint32_t i = 0; i < count; i++)
            if (c->kids[base + i].nk == NK_ERROR)
                t_node(c, OP_ERRLOADS, c->kids[base + i].node, 0);
        if (outer)
            type = kid_field(c, base, count, F_TYPE);
        c->n_kids = base;
        if (!ts_node_is_null(left)) {
            MG_GROW(targets, cap, n_targets + 1);
            targets[n_targets++] = left;
        }
        if (!ts_node_is_null(right) && nk_of(right) == NK_ASSIGNMENT) {
            cur = right;
            continue;
        }
        value = right;
        break;
    }
    bool type_alias = false;
    if (!ts_node_is_null(type)) {
        TSNode t = first_named(c, type);
        type_alias = !ts_node_is_null(t) && last_name_is(c, t, "TypeAlias");
    }
    t_node(c, OP_EXPR, value, type_alias ? CX_ANNOT : 0);
    t_node(c, OP_EXPR, type, CX_ANNOT | CX_DEFER);
    for (size_t i = 0; i < n_targets; i++) {
        if (!ts_node_is_null(value)) {
            t_node(c, OP_TARGET, targets[i], 0);
        } else if (nk_of(targets[i]) == NK_IDENTIFIER) {
            /* `x: int` binds nothing, but makes x local to a function. */
            uint32_t name = name_of(c, targets[i]);
            if (name != NONE && deferred_kind(c->scopes[c->scope].kind))
                declare_local(c, c->scope, name);
        } else {
            t_node(c, OP_EXPR, targets[i], 0);
        }
    }
    if (c->scope == 0 && n_targets == 1 && nk_of(targets[0]) == NK_IDENTIFIER &&
        text_is(c, targets[0], "__all__"))
        note_all(c, value, true);
    free(targets);
}

static void do_augmented(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode left = kid_field(c, base, count, F_LEFT);
    TSNode right = kid_field(c, base, count, F_RIGHT);
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].nk == NK_ERROR)
            t_node(c, OP_ERRLOADS, c->kids[base + i].node, 0);
    c->n_kids = base;
    t_node(c, OP_EXPR, right, 0);
    t_node(c, OP_EXPR, left, 0);
    if (!ts_node_is_null(left) && nk_of(left) == NK_IDENTIFIER) {
        t_bindname(c, left, 0);
        if (c->scope == 0 && text_is(c, left, "__all__"))
            note_all(c, right, false);
    }
}

static void do_if(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    bool has_else = false;
    t_node(c, OP_EXPR, kid_field(c, base, count, F_CONDITION), 0);
    t_ev(c, EV_BR_BEGIN, 0, 0);
    t_node(c, OP_BLOCK, kid_field(c, base, count, F_CONSEQUENCE), 0);
    for (uint32_t i = 0; i < count; i++) {
        struct kid k = c->kids[base + i];
        if (k.nk == NK_ERROR) {
            t_node(c, OP_ERRLOADS, k.node, 0);
            continue;
        }
        if (k.field != F_ALTERNATIVE)
            continue;
        t_ev(c, EV_BR_ARM, 0, 0);
        uint32_t n2, b2 = collect(c, k.node, &n2);
        if (k.nk == NK_ELIF_CLAUSE) {
            t_node(c, OP_EXPR, kid_field(c, b2, n2, F_CONDITION), 0);
            t_node(c, OP_BLOCK, kid_field(c, b2, n2, F_CONSEQUENCE), 0);
        } else {
            t_node(c, OP_BLOCK, kid_field(c, b2, n2, F_BODY), 0);
            has_else = true;
        }
        c->n_kids = b2;
    }
    t_ev(c, EV_BR_END, has_else, 0);
    c->n_kids = base;
}

/* The block of an else_clause (or any clause): its `body`, or its block. */
static TSNode clause_block(struct imp *c, TSNode clause)
{
    uint32_t count, base = collect(c, clause, &count);
    TSNode b = kid_field(c, base, count, F_BODY);
    for (uint32_t i = 0; i < count && ts_node_is_null(b); i++)
        if (c->kids[base + i].nk == NK_BLOCK)
            b = c->kids[base + i].node;
    c->n_kids = base;
    return b;
}

/* A loop's `else` runs after it, unless a break skipped it. */
static void loop_else(struct imp *c, TSNode alt)
{
    if (ts_node_is_null(alt))
        return;
    t_ev(c, EV_BR_BEGIN, 0, 0);
    t_node(c, OP_BLOCK, clause_block(c, alt), 0);
    t_ev(c, EV_BR_END, 0, 0);
}

static void do_loop(struct imp *c, TSNode n, bool is_for)
{
    uint32_t count, base = collect(c, n, &count);
    uint32_t r = new_range(c);
    if (is_for)
        t_node(c, OP_EXPR, kid_field(c, base, count, F_RIGHT), 0);
    t_ev(c, EV_LOOP_BEGIN, r, 0);
    t_mark(c, r, false);
    if (is_for)
        t_node(c, OP_TARGET, kid_field(c, base, count, F_LEFT), 0);
    else
        t_node(c, OP_EXPR, kid_field(c, base, count, F_CONDITION), 0);
    for (uint32_t i = 0; i < count; i++)
        if (c->kids[base + i].nk == NK_ERROR)
            t_node(c, OP_ERRLOADS, c->kids[base + i].node, 0);
    t_node(c, OP_BLOCK, kid_field(c, base, count, F_BODY), 0);
    t_mark(c, r, true);
    t_ev(c, EV_LOOP_END, 0, 0);
    TSNode alt = kid_field(c, base, count, F_ALTERNATIVE);
    c->n_kids = base;
    loop_else(c, alt);
}

/* The exception type of an except clause, if it catches ImportError. */
static bool catches_import_error(struct imp *c, TSNode h)
{
    TSNode t = {0};
    uint32_t count, base = collect(c, h, &count);
    for (uint32_t i = 0; i < count && ts_node_is_null(t); i++) {
        const struct kid *k = &c->kids[base + i];
        if (k->named && k->nk != NK_COMMENT && k->nk != NK_BLOCK && k->field != F_ALIAS)
            t = k->node;
    }
    c->n_kids = base;
    for (int guard = 0; guard < 4 && !ts_node_is_null(t); guard++) {
        uint8_t k = nk_of(t);
        if (k == NK_AS_PATTERN || k == NK_LIST_SPLAT || k == NK_PARENTHESIZED_EXPRESSION)
            t = ts_node_named_child(t, 0);
        else
            break;
    }
    if (ts_node_is_null(t))
        return false;
    uint32_t n2 = 1, b2 = 0;
    bool tuple = nk_of(t) == NK_TUPLE || nk_of(t) == NK_EXPRESSION_LIST;
    if (tuple)
        b2 = collect(c, t, &n2);
    bool found = false;
    for (uint32_t i = 0; i < n2 && !found; i++) {
        TSNode e = tuple ? c->kids[b2 + i].node : t;
        found = last_name_is(c, e, "ImportError") || last_name_is(c, e, "ModuleNotFoundError");
    }
    if (tuple)
        c->n_kids = b2;
    return found;
}

static void handler(struct imp *c, TSNode h)
{
    uint32_t count, base = collect(c, h, &count);
    TSNode body = {0}, alias = {0};
    for (uint32_t i = 0; i < count; i++) {
        struct kid k = c->kids[base + i];
        if (!k.named || k.nk == NK_COMMENT)
            continue;
        if (k.nk == NK_BLOCK) {
            body = k.node;
        } else if (k.field == F_ALIAS) {
            alias = k.node;
        } else if (k.nk == NK_AS_PATTERN) {
            uint32_t n2, b2 = collect(c, k.node, &n2);
            for (uint32_t j = 0; j < n2; j++) {
                struct kid e = c->kids[b2 + j];
                if (e.nk == NK_AS_PATTERN_TARGET)
                    alias = first_named(c, e.node);
                else if (e.named && e.nk != NK_COMMENT)
                    t_node(c, e.nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, e.node, 0);
            }
            c->n_kids = b2;
        } else {
            t_node(c, k.nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k.node, 0);
        }
    }
    c->n_kids = base;
    uint32_t name = NONE;
    if (!ts_node_is_null(alias) && nk_of(alias) == NK_IDENTIFIER) {
        t_bindname(c, alias, 0);
        name = name_of(c, alias);
    }
    t_node(c, OP_BLOCK, body, 0);
    if (name != NONE) /* `except E as e` deletes e at the end of the handler */
        push_task(c, OP_UNBIND, (TSNode){0}, 0, name, 0, 0);
}

/* try: the body then else as one alternative; each handler as another,
 * which may start anywhere in the body; finally after all of them, or
 * from anywhere. */
static void do_try(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode body = kid_field(c, base, count, F_BODY), els = {0}, fin = {0};
    bool guard = false;
    for (uint32_t i = 0; i < count; i++) {
        struct kid k = c->kids[base + i];
        if (k.nk == NK_ELSE_CLAUSE)
            els = k.node;
        else if (k.nk == NK_FINALLY_CLAUSE)
            fin = k.node;
        else if ((k.nk == NK_EXCEPT_CLAUSE || k.nk == NK_EXCEPT_GROUP_CLAUSE) && !guard)
            guard = catches_import_error(c, k.node);
    }
    uint32_t r = new_range(c), all = new_range(c);
    t_ev(c, EV_BR_BEGIN, 0, 0);
    t_mark(c, r, false);
    t_mark(c, all, false);
    if (guard)
        push_task(c, OP_GUARD, (TSNode){0}, 0, 0, 1, 0);
    t_node(c, OP_BLOCK, body, 0);
    if (guard)
        push_task(c, OP_GUARD, (TSNode){0}, 0, 0, 0, 0);
    t_mark(c, r, true);
    if (!ts_node_is_null(els))
        t_node(c, OP_BLOCK, clause_block(c, els), 0);
    for (uint32_t i = 0; i < count; i++) {
        struct kid k = c->kids[base + i];
        if (k.nk == NK_EXCEPT_CLAUSE || k.nk == NK_EXCEPT_GROUP_CLAUSE) {
            t_ev(c, EV_BR_ARM, 0, 0);
            t_ev(c, EV_ADD_RANGE, r, 0);
            handler(c, k.node);
        } else if (k.nk == NK_ERROR) {
            t_node(c, OP_ERRLOADS, k.node, 0);
        }
    }
    t_mark(c, all, true);
    t_ev(c, EV_BR_END, ts_node_is_null(fin), 0);
    if (!ts_node_is_null(fin)) {
        t_ev(c, EV_ADD_RANGE, all, 0);
        t_node(c, OP_BLOCK, clause_block(c, fin), 0);
    }
    c->n_kids = base;
}

/* with: a context manager may swallow an exception raised anywhere in
 * the body, so after it anything bound in the body may reach. */
static void do_with(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    for (uint32_t i = 0; i < count; i++) {
        struct kid k = c->kids[base + i];
        if (k.nk == NK_ERROR)
            t_node(c, OP_ERRLOADS, k.node, 0);
        if (k.nk != NK_WITH_CLAUSE)
            continue;
        uint32_t n2, b2 = collect(c, k.node, &n2);
        for (uint32_t j = 0; j < n2; j++) {
            struct kid item = c->kids[b2 + j];
            if (item.nk == NK_ERROR)
                t_node(c, OP_ERRLOADS, item.node, 0);
            if (item.nk != NK_WITH_ITEM)
                continue;
            TSNode v = ts_node_child_by_field_name(item.node, "value", 5);
            if (ts_node_is_null(v) || nk_of(v) != NK_AS_PATTERN) {
                t_node(c, OP_EXPR, v, 0);
                continue;
            }
            uint32_t n3, b3 = collect(c, v, &n3);
            for (uint32_t m = 0; m < n3; m++) {
                struct kid e = c->kids[b3 + m];
                if (!e.named || e.nk == NK_COMMENT)
                    continue;
                t_node(c, e.nk == NK_AS_PATTERN_TARGET ? OP_TARGET : OP_EXPR, e.node, 0);
            }
            c->n_kids = b3;
        }
        c->n_kids = b2;
    }
    uint32_t r = new_range(c);
    t_ev(c, EV_BR_BEGIN, 0, 0);
    t_mark(c, r, false);
    t_node(c, OP_BLOCK, kid_field(c, base, count, F_BODY), 0);
    t_mark(c, r, true);
    t_ev(c, EV_BR_END, 0, 0);
    t_ev(c, EV_ADD_RANGE, r, 0);
    c->n_kids = base;
}

static void do_match(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode body = {0};
    for (uint32_t i = 0; i < count; i++) {
        struct kid k = c->kids[base + i];
        if (k.field == F_SUBJECT || k.nk == NK_ERROR)
            t_node(c, k.nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k.node, 0);
        else if (k.field == F_BODY)
            body = k.node;
    }
    c->n_kids = base;
    if (ts_node_is_null(body))
        return;
    t_ev(c, EV_BR_BEGIN, 0, 0);
    bool first = true;
    uint32_t n2, b2 = collect(c, body, &n2);
    for (uint32_t i = 0; i < n2; i++) {
        struct kid k = c->kids[b2 + i];
        if (k.nk == NK_ERROR)
            t_node(c, OP_ERRLOADS, k.node, 0);
        if (k.nk != NK_CASE_CLAUSE)
            continue;
        if (!first)
            t_ev(c, EV_BR_ARM, 0, 0);
        first = false;
        uint32_t n3, b3 = collect(c, k.node, &n3);
        for (uint32_t j = 0; j < n3; j++) {
            struct kid e = c->kids[b3 + j];
            if (e.nk == NK_CASE_PATTERN)
                t_node(c, OP_PATTERN, e.node, 0);
            else if (e.field == F_GUARD || e.nk == NK_ERROR)
                t_node(c, e.nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, e.node, 0);
        }
        t_node(c, OP_BLOCK, kid_field(c, b3, n3, F_CONSEQUENCE), 0);
        c->n_kids = b3;
    }
    c->n_kids = b2;
    t_ev(c, EV_BR_END, 0, 0);
}

static void do_decl(struct imp *c, TSNode n, uint8_t flag)
{
    if (c->scope == 0)
        return;
    uint32_t count, base = collect(c, n, &count);
    for (uint32_t i = 0; i < count; i++) {
        if (c->kids[base + i].nk != NK_IDENTIFIER)
            continue;
        uint32_t name = name_of(c, c->kids[base + i].node);
        if (name == NONE)
            continue;
        struct local *l = local_get(c, c->scope, name);
        if (!(l->flags & LF_LOCAL))
            l->flags |= flag;
    }
    c->n_kids = base;
}

static void do_type_alias(struct imp *c, TSNode n)
{
    uint32_t count, base = collect(c, n, &count);
    TSNode left = kid_field(c, base, count, F_LEFT);
    TSNode right = kid_field(c, base, count, F_RIGHT);
    c->n_kids = base;
    TSNode name = {0}, tp = {0};
    TSNode l = ts_node_is_null(left) ? left : first_named(c, left);
    if (!ts_node_is_null(l) && nk_of(l) == NK_IDENTIFIER) {
        name = l;
    } else if (!ts_node_is_null(l) && nk_of(l) == NK_GENERIC_TYPE) {
        uint32_t n2, b2 = collect(c, l, &n2);
        for (uint32_t i = 0; i < n2; i++) {
            if (c->kids[b2 + i].nk == NK_IDENTIFIER && ts_node_is_null(name))
                name = c->kids[b2 + i].node;
            else if (c->kids[b2 + i].nk == NK_TYPE_PARAMETER)
                tp = c->kids[b2 + i].node;
        }
        c->n_kids = b2;
    }
    t_bindname(c, name, 0);
    t_push(c, SK_LAZY);
    type_params(c, tp, true);
    t_node(c, OP_EXPR, right, CX_ANNOT | CX_DEFER);
    t_pop(c);
}

static void do_stmt(struct imp *c, const struct task *t)
{
    TSNode n = t->node;
    switch (nk_of(n)) {
    case NK_MODULE:
        do_block(c, n, true);
        return;
    case NK_BLOCK:
        do_block(c, n, false);
        return;
    case NK_EXPRESSION_STATEMENT: {
        uint32_t count, base = collect(c, n, &count);
        for (uint32_t i = 0; i < count; i++) {
            struct kid k = c->kids[base + i];
            if (!k.named || k.nk == NK_COMMENT)
                continue;
            if (k.nk == NK_ASSIGNMENT)
                do_assignment(c, k.node);
            else if (k.nk == NK_AUGMENTED_ASSIGNMENT)
                do_augmented(c, k.node);
            else
                t_node(c, k.nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k.node, 0);
        }
        c->n_kids = base;
        return;
    }
    case NK_IMPORT_STATEMENT:
    case NK_IMPORT_FROM_STATEMENT:
        do_import(c, t);
        return;
    case NK_FUTURE_IMPORT_STATEMENT:
    case NK_PASS_STATEMENT:
        return;
    case NK_FUNCTION_DEFINITION:
        do_def(c, n);
        return;
    case NK_CLASS_DEFINITION:
        do_class(c, n);
        return;
    case NK_DECORATED_DEFINITION: {
        uint32_t count, base = collect(c, n, &count);
        for (uint32_t i = 0; i < count; i++) {
            struct kid k = c->kids[base + i];
            if (k.nk == NK_DECORATOR || k.nk == NK_ERROR)
                t_node(c, k.nk == NK_ERROR ? OP_ERRLOADS : OP_EXPR, k.node, 0);
            else if (k.field == F_DEFINITION)
                t_node(c, OP_STMT, k.node, 0);
        }
        c->n_kids = base;
        return;
    }
    case NK_IF_STATEMENT:
        do_if(c, n);
        return;
    case NK_FOR_STATEMENT:
        do_loop(c, n, true);
        return;
    case NK_WHILE_STATEMENT:
        do_loop(c, n, false);
        return;
    case NK_TRY_STATEMENT:
        do_try(c, n);
        return;
    case NK_WITH_STATEMENT:
        do_with(c, n);
        return;
    case NK_MATCH_STATEMENT:
        do_match(c, n);
        return;
    case NK_DELETE_STATEMENT: {
        uint32_t count, base = collect(c, n, &count);
        t_kids(c, base, count, OP_DEL, 0);
        c->n_kids = base;
        return;
    }
    case NK_GLOBAL_STATEMENT:
        do_decl(c, n, LF_GLOBAL);
        return;
    case NK_NONLOCAL_STATEMENT:
        do_decl(c, n, LF_NONLOCAL);
        return;
    case NK_TYPE_ALIAS_STATEMENT:
        do_type_alias(c, n);
        return;
    case NK_ERROR:
        t_node(c, OP_ERRLOADS, n, 0);
        return;
    default: { /* return, raise, assert, print, exec ... */
        uint32_t count, base = collect(c, n, &count);
        t_kids(c, base, count, OP_EXPR, 0);
        c->n_kids = base;
        return;
    }
    }
}

static void run_task(struct imp *c, const struct task *t)
{
    switch (t->op) {
    case OP_EVENT:
        if (t->a == EV_LOOP_BEGIN || t->a == EV_ADD_RANGE)
            emit(c, (uint8_t)t->a, 0, t->b, c->scope);
        else
            emit(c, (uint8_t)t->a, (uint8_t)t->b, 0, 0);
        return;
    case OP_MARK:
        if (t->b)
            c->ranges[t->a].end = (uint32_t)c->n_ev;
        else
            c->ranges[t->a].begin = (uint32_t)c->n_ev;
        return;
    case OP_PUSH: {
        uint32_t s = new_scope(c, (uint8_t)t->a, c->scope);
        c->scopes[s].saved_guard = c->guard;
        if (deferred_kind((uint8_t)t->a))
            c->guard = 0;
        emit(c, EV_PUSH, 0, s, 0);
        c->scope = s;
        return;
    }
    case OP_POP: {
        uint32_t s = c->scope;
        emit(c, EV_POP, 0, s, 0);
        c->guard = c->scopes[s].saved_guard;
        c->scope = c->scopes[s].parent;
        return;
    }
    case OP_GUARD:
        if (t->b)
            c->guard++;
        else if (c->guard > 0)
            c->guard--;
        return;
    case OP_UNBIND:
        emit(c, EV_UNBIND, 0, t->a, c->scope);
        return;
    default:
        break;
    }
    TSNode n = t->node;
    if (ts_node_is_null(n) || ts_node_is_missing(n) || !occurs(c, nstart(n), nend(n)))
        return;
    size_t base = c->n_tasks;
    switch (t->op) {
    case OP_STMT:
        do_stmt(c, t);
        break;
    case OP_BLOCK:
        do_block(c, n, false);
        break;
    case OP_EXPR:
        do_expr(c, n, t->ctx);
        break;
    case OP_TARGET:
        do_target(c, n);
        break;
    case OP_BINDNAME:
        if (nk_of(n) == NK_IDENTIFIER) {
            uint32_t name = name_of(c, n);
            if (name != NONE)
                bind(c, name, nstart(n), nend(n), (uint16_t)t->a, NONE);
        } else {
            do_target(c, n);
        }
        break;
    case OP_DEL:
        do_del(c, n);
        break;
    case OP_PATTERN:
        do_pattern(c, n);
        break;
    case OP_ERRLOADS:
        do_errloads(c, n);
        break;
    default:
        break;
    }
    /* Tasks were pushed in evaluation order; the stack pops the last first. */
    for (size_t i = base, j = c->n_tasks; i + 1 < j; i++, j--) {
        struct task tmp = c->tasks[i];
        c->tasks[i] = c->tasks[j - 1];
        c->tasks[j - 1] = tmp;
    }
}

static void walk(struct imp *c)
{
    new_scope(c, SK_MODULE, NONE);
    c->scope = 0;
    push_task(c, OP_STMT, c->root, 0, NONE, NONE, NONE);
    while (c->n_tasks > 0) {
        struct task t = c->tasks[--c->n_tasks];
        run_task(c, &t);
    }
}

/* ---- pass 0: candidate names, and where they occur ---- */

static bool is_keyword(const char *w, uint32_t n)
{
    static const char *const kw[] = {
        "False",    "None",  "True",   "and",  "assert", "async",  "await",    "break", "class",
        "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",   "from",
        "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",   "or",
        "pass",     "raise", "return", "try",  "while",  "with",   "yield",
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(kw); i++)
        if (strlen(kw[i]) == n && memcmp(kw[i], w, n) == 0)
            return true;
    return false;
}

/* The names import statements may bind: the words after an `import`
 * keyword to the end of its statement, when what follows looks like the
 * rest of an import statement (names, dots, commas, parentheses, `as`,
 * `*`); `import a.b as c` gives a, b and c, a superset. Pass 1 decides what
 * is an import; this only says which words matter, at the cost of a scan
 * rather than a walk. */
static void find_import_names(struct imp *c)
{
    const char *t = c->text;
    uint32_t n = c->len;
    struct word {
        uint32_t at, len;
        bool aliased;
    } *words = NULL;
    size_t cap = 0;
    for (const char *p = mg_memmem(t, n, "import", 6); p != NULL;
         p = (uint32_t)(p + 6 - t) < n ? mg_memmem(p + 6, n - (uint32_t)(p + 6 - t), "import", 6)
                                       : NULL) {
        uint32_t at = (uint32_t)(p - t);
        if ((at > 0 && is_ident_char((unsigned char)t[at - 1])) ||
            (at + 6 < n && is_ident_char((unsigned char)t[at + 6])))
            continue;
        /* `from m import x`: x is a name of m, not a package. */
        uint32_t ls = line_start_of(t, at);
        while (ls < at && is_hspace(t[ls]))
            ls++;
        bool from = at - ls >= 5 && memcmp(t + ls, "from", 4) == 0 &&
                    !is_ident_char((unsigned char)t[ls + 4]);
        int depth = 0;
        bool after_as = false, ok = true, dotted = false;
        size_t n_words = 0;
        uint32_t i = at + 6;
        while (i < n && ok) {
            unsigned char ch = (unsigned char)t[i];
            if ((ch == '\n' && depth == 0) || ch == ';')
                break;
            if (ch == '\\' && i + 1 < n && (t[i + 1] == '\n' || t[i + 1] == '\r')) {
                i += 2;
            } else if (ch == '#') {
                while (i < n && t[i] != '\n')
                    i++;
            } else if (is_hspace((char)ch) || ch == '\r' || ch == '\n' || ch == ',' || ch == '*') {
                i++;
            } else if (ch == '.') {
                dotted |= !from;
                i++;
            } else if (ch == '(') {
                depth++;
                i++;
            } else if (ch == ')') {
                if (--depth < 0)
                    break;
                i++;
            } else if (is_ident_start(ch)) {
                uint32_t w = i;
                while (i < n && is_ident_char((unsigned char)t[i]))
                    i++;
                if (i - w == 2 && memcmp(t + w, "as", 2) == 0) {
                    after_as = true;
                } else if (is_keyword(t + w, i - w) || i - w > MAX_NAME_BYTES) {
                    ok = false;
                } else {
                    MG_GROW(words, cap, n_words + 1);
                    words[n_words++] = (struct word){w, i - w, after_as && !from};
                    after_as = false;
                }
            } else {
                ok = false; /* not an import statement: prose, code */
            }
        }
        if (!ok)
            continue;
        c->has_dotted |= dotted;
        if (c->record_stmts) {
            MG_GROW(c->text_stmts, c->cap_text_stmts, c->n_text_stmts + 1);
            struct text_stmt *ts = &c->text_stmts[c->n_text_stmts++];
            uint32_t line = line_start_of(t, at);
            ts->start = line;
            ts->end = i;
            ts->indented = is_hspace(t[line]);
            ts->first_id = (uint32_t)c->n_text_ids;
            ts->n_ids = 0;
        }
        for (size_t k = 0; k < n_words; k++) {
            uint32_t id = name_intern(c, t + words[k].at, words[k].len);
            if (id == NONE)
                continue;
            c->names[id].flags |= NAME_TRACKED;
            if (words[k].aliased)
                c->names[id].flags |= NAME_ALIASED;
            if (c->record_stmts) {
                MG_GROW(c->text_ids, c->cap_text_ids, c->n_text_ids + 1);
                c->text_ids[c->n_text_ids++] = id;
                c->text_stmts[c->n_text_stmts - 1].n_ids++;
            }
        }
    }
    free(words);
}

/* The words of s[0, n) that are candidate names (or `__all__`), in one of
 * three ways: appended, as offsets from `base`, to rec->occ (the names
 * examined only); marked in hit[name] (every name); or, with neither,
 * only whether there is one. */
static bool words_scan(struct imp *rec, uint8_t *hit, const struct imp *c, const char *s, size_t n,
                       uint32_t base)
{
    const unsigned char *t = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char ch = t[i];
        if (!is_ident_char(ch)) {
            i++;
            continue;
        }
        size_t b = i++;
        while (i < n && is_ident_char(t[i]))
            i++;
        size_t len = i - b;
        if (ch >= '0' && ch <= '9')
            continue;
        if (!(c->lenmask[ch] & ((uint64_t)1 << (len < 63 ? len : 63))))
            continue;
        uint32_t id = name_find(c, s + b, len);
        if (id == NONE)
            continue;
        if (hit != NULL) {
            hit[id] = 1;
            continue;
        }
        if (rec == NULL)
            return true;
        /* Only the names examined (all but those only_names leaves out). */
        if (!(c->names[id].flags & NAME_TRACKED) && id != c->id_all)
            continue;
        MG_GROW(rec->occ, rec->cap_occ, rec->n_occ + 1);
        rec->occ[rec->n_occ++] = base + (uint32_t)b;
    }
    return false;
}

/* Every word of the text that is a candidate name (or `__all__`), in
 * order: the walk enters only subtrees holding one. Words in strings and
 * comments count too: they may be annotations or type comments. */
static void scan_words(struct imp *c)
{
    words_scan(c, NULL, c, c->text, c->len, 0);
}

/* ---- pass 2: what reaches each load ---- */

/* Sets of bindings: sorted arrays in one pool, by handle. */
static uint32_t set_make(struct imp *c, const uint32_t *ids, size_t n)
{
    if (n > SET_MAX)
        return SET_TOP;
    MG_GROW(c->pool, c->cap_pool, c->n_pool + n + 1);
    if (n > 0)
        memcpy(c->pool + c->n_pool, ids, n * sizeof(*ids));
    MG_GROW(c->sets, c->cap_sets, c->n_sets + 1);
    c->sets[c->n_sets] = (struct setref){(uint32_t)c->n_pool, (uint32_t)n};
    c->n_pool += n;
    return (uint32_t)c->n_sets++;
}

static void set_init(struct imp *c)
{
    uint32_t unbound = 0;
    set_make(c, NULL, 0);     /* SET_EMPTY */
    set_make(c, &unbound, 1); /* SET_UNBOUND */
    set_make(c, NULL, 0);     /* SET_TOP: its content is never read */
}

static void scratch_fit(struct imp *c, size_t n)
{
    MG_GROW(c->scratch, c->cap_scratch, n);
}

static uint32_t set_union(struct imp *c, uint32_t x, uint32_t y)
{
    if (x == y || y == SET_EMPTY)
        return x;
    if (x == SET_EMPTY)
        return y;
    if (x == SET_TOP || y == SET_TOP)
        return SET_TOP;
    struct setref a = c->sets[x], b = c->sets[y];
    scratch_fit(c, (size_t)a.n + b.n);
    size_t i = 0, j = 0, n = 0;
    while (i < a.n || j < b.n) {
        uint32_t u = i < a.n ? c->pool[a.off + i] : UINT32_MAX;
        uint32_t v = j < b.n ? c->pool[b.off + j] : UINT32_MAX;
        c->scratch[n++] = u < v ? u : v;
        i += u <= v;
        j += v <= u;
    }
    if (n == a.n)
        return x;
    if (n == b.n)
        return y;
    return set_make(c, c->scratch, n);
}

static uint32_t set_add(struct imp *c, uint32_t x, uint32_t id)
{
    uint32_t one = set_make(c, &id, 1);
    return set_union(c, x, one);
}

static void slot_set(struct imp *c, uint32_t slot, uint32_t set)
{
    if (c->slots[slot].set == set)
        return;
    if (c->n_frames > 0) {
        MG_GROW(c->journal, c->cap_journal, c->n_journal + 1);
        c->journal[c->n_journal++] = (struct jent){slot, c->slots[slot].set};
    }
    c->slots[slot].set = set;
}

static void mark(struct imp *c, uint32_t slot, bool deferred, uint32_t anchor, uint32_t ev)
{
    struct slot *s = &c->slots[slot];
    if (s->set == SET_TOP) {
        s->all_used = true;
    } else {
        struct setref r = c->sets[s->set];
        for (uint32_t i = 0; i < r.n; i++)
            if (c->pool[r.off + i] != 0)
                c->binds[c->pool[r.off + i]].used = true;
    }
    if (s->last_load == NONE || ev > s->last_load)
        s->last_load = ev;
    if (deferred && anchor < s->min_defer)
        s->min_defer = anchor;
}

static bool may_be_unbound(const struct imp *c, uint32_t set)
{
    return set == SET_TOP || (c->sets[set].n > 0 && c->pool[c->sets[set].off] == 0);
}

/* A load of `name` in scope `s` reaching the module's globals (a class
 * body's fallback, or `global`): deferred if a function lies between. */
static void resolve_global(struct imp *c, uint32_t s, uint32_t name, bool deferred, uint32_t anchor,
                           uint32_t ev)
{
    while (s != 0 && s != NONE) {
        if (deferred_kind(c->scopes[s].kind))
            deferred = true;
        anchor = c->scopes[s].push_ev;
        s = c->scopes[s].parent;
    }
    const struct local *l = local_find(c, 0, name);
    if (l != NULL && (l->flags & LF_LOCAL) && l->slot != NONE)
        mark(c, l->slot, deferred, anchor, ev);
}

/* Resolve a load by Python's scoping rules and mark what may reach it. A
 * scope's state is the state where the nested scope holding the load was
 * defined: its events do not interleave with the nested scope's. */
static void resolve(struct imp *c, uint32_t name, uint32_t s, bool deferred, uint32_t ev)
{
    uint32_t anchor = ev;
    for (bool first = true; s != NONE; first = false) {
        uint8_t kind = c->scopes[s].kind;
        if (first || kind != SK_CLASS) { /* class bodies are invisible from inside */
            const struct local *l = local_find(c, s, name);
            if (l != NULL && (l->flags & LF_GLOBAL)) {
                resolve_global(c, s, name, deferred, anchor, ev);
                return;
            }
            if (l != NULL && (l->flags & LF_LOCAL) && l->slot != NONE) {
                uint32_t set = c->slots[l->slot].set;
                mark(c, l->slot, deferred, anchor, ev);
                /* A class body looks a name up in the class, then in the
                 * globals (skipping enclosing functions). */
                if (kind == SK_CLASS && s != 0 && (deferred || may_be_unbound(c, set)))
                    resolve_global(c, s, name, deferred, anchor, ev);
                return;
            }
            if (kind == SK_MODULE)
                return; /* a builtin */
        }
        if (deferred_kind(kind))
            deferred = true;
        anchor = c->scopes[s].push_ev;
        s = c->scopes[s].parent;
    }
}

static void kill(struct imp *c, uint32_t victim, uint32_t by)
{
    struct binding *v = &c->binds[victim];
    if (victim != 0 && (v->flags & BF_IMPORT) && !v->used && v->killed_by == 0)
        v->killed_by = by;
}

static bool same_qual(const struct imp *c, uint32_t x, uint32_t y)
{
    const struct item *a = &c->items[c->binds[x].item], *b = &c->items[c->binds[y].item];
    return a->qual_len == b->qual_len &&
           memcmp(c->quals.data + a->qual_off, c->quals.data + b->qual_off, a->qual_len) == 0;
}

static uint32_t peer_find(struct imp *c, uint32_t b)
{
    while (c->peer[b] != b) {
        c->peer[b] = c->peer[c->peer[b]];
        b = c->peer[b];
    }
    return b;
}

static void peer_union(struct imp *c, uint32_t a, uint32_t b)
{
    a = peer_find(c, a);
    b = peer_find(c, b);
    if (a != b)
        c->peer[a < b ? b : a] = a < b ? a : b;
}

/* Bindings that reach one point by different paths are alternative
 * definitions of one name (`try: import x / except: x = None`). */
static void peers_of_set(struct imp *c, uint32_t set)
{
    if (set == SET_TOP)
        return;
    struct setref r = c->sets[set];
    uint32_t first = 0;
    for (uint32_t i = 0; i < r.n; i++) {
        uint32_t x = c->pool[r.off + i];
        if (x == 0)
            continue;
        if (first == 0)
            first = x;
        else
            peer_union(c, first, x);
    }
}

static void flow_bind(struct imp *c, uint32_t id)
{
    const struct binding *b = &c->binds[id];
    uint32_t slot = b->slot, cur = c->slots[slot].set;
    if (b->flags & BF_NONKILL) {
        slot_set(c, slot, set_add(c, cur, id));
        return;
    }
    if (cur == SET_TOP) {
        slot_set(c, slot, (b->flags & BF_PACKAGE) ? SET_TOP : set_make(c, &id, 1));
        return;
    }
    /* `import a.b` after `import a` binds the same package: both stay. */
    struct setref r = c->sets[cur];
    scratch_fit(c, (size_t)r.n + 1);
    size_t n = 0;
    uint8_t kind = c->scopes[b->scope].kind;
    for (uint32_t i = 0; i < r.n; i++) {
        uint32_t x = c->pool[r.off + i];
        if ((b->flags & BF_PACKAGE) && x != 0 && (c->binds[x].flags & BF_PACKAGE) &&
            !same_qual(c, x, id)) {
            c->scratch[n++] = x;
            continue;
        }
        kill(c, x, id);
        /* An import that replaces a name already in use at module or class
         * level is an override others may read (pyflakes and Ruff carry
         * the use over too). */
        if (x != 0 && c->binds[x].used && (b->flags & BF_IMPORT) &&
            (kind == SK_MODULE || kind == SK_CLASS))
            c->binds[id].used = true;
    }
    c->scratch[n++] = id;              /* ids grow with events: still sorted */
    for (size_t i = 0; i + 1 < n; i++) /* packages imported together */
        peer_union(c, c->scratch[i], id);
    slot_set(c, slot, set_make(c, c->scratch, n));
}

/* Whatever scope `s` binds in events [r.begin, r.end) may reach here. */
static void add_range(struct imp *c, uint32_t s, struct range r)
{
    const struct scope *sc = &c->scopes[s];
    const uint32_t *ids = c->order + sc->bind_off;
    size_t lo = 0, hi = sc->bind_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->binds[ids[mid]].ev < r.begin)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < sc->bind_n && c->binds[ids[i]].ev < r.end; i++) {
        uint32_t slot = c->binds[ids[i]].slot;
        slot_set(c, slot, set_add(c, c->slots[slot].set, ids[i]));
    }
}

static void frame_push(struct imp *c)
{
    MG_GROW(c->frames, c->cap_frames, c->n_frames + 1);
    c->frames[c->n_frames++] = (struct frame){(uint32_t)c->n_journal, (uint32_t)c->n_res, 0};
}

/* End one alternative: keep what it changed, restore the state before. */
static void close_arm(struct imp *c)
{
    struct frame *f = &c->frames[c->n_frames - 1];
    uint32_t serial = ++c->serial;
    for (size_t j = f->mark; j < c->n_journal; j++) {
        struct slot *s = &c->slots[c->journal[j].slot];
        if (s->stamp == serial)
            continue;
        s->stamp = serial;
        MG_GROW(c->res, c->cap_res, c->n_res + 1);
        c->res[c->n_res++] = (struct armres){c->journal[j].slot, s->set};
    }
    for (size_t j = c->n_journal; j-- > f->mark;)
        c->slots[c->journal[j].slot].set = c->journal[j].old;
    c->n_journal = f->mark;
    f->n_arms++;
}

/* After the last alternative: each name may hold what any alternative
 * left, or what it held before when some path changes nothing. */
static void merge(struct imp *c, bool exhaustive, bool alternatives)
{
    close_arm(c);
    struct frame f = c->frames[--c->n_frames];
    uint32_t serial = ++c->serial;
    size_t n_touched = 0;
    for (size_t i = f.res_start; i < c->n_res; i++) {
        struct slot *s = &c->slots[c->res[i].slot];
        if (s->stamp != serial) {
            s->stamp = serial;
            s->acc = c->res[i].set;
            s->acc_count = 1;
            MG_GROW(c->touched, c->cap_touched, n_touched + 1);
            c->touched[n_touched++] = c->res[i].slot;
        } else {
            s->acc = set_union(c, s->acc, c->res[i].set);
            s->acc_count++;
        }
    }
    c->n_res = f.res_start;
    for (size_t i = 0; i < n_touched; i++) {
        struct slot *s = &c->slots[c->touched[i]];
        uint32_t v = s->acc;
        if (s->acc_count < f.n_arms || !exhaustive)
            v = set_union(c, v, s->set);
        if (alternatives) /* not after a loop: skipping it is no alternative */
            peers_of_set(c, v);
        slot_set(c, c->touched[i], v);
    }
}

/* Leaving a scope: loads from nested functions may see bindings made after
 * those functions were defined. */
static void finalize(struct imp *c, uint32_t s)
{
    for (uint32_t sl = c->scopes[s].first_slot; sl != NONE; sl = c->slots[sl].next_in_scope) {
        const struct slot *slot = &c->slots[sl];
        if (!slot->all_used && slot->min_defer == NONE)
            continue;
        for (uint32_t b = slot->first_bind; b != NONE; b = c->binds[b].next)
            if (slot->all_used || c->binds[b].ev > slot->min_defer)
                c->binds[b].used = true;
    }
}

static bool qual_is(const struct imp *c, const struct item *it, const char *p, size_t n)
{
    return it->qual_len == n && memcmp(c->quals.data + it->qual_off, p, n) == 0;
}

/* `import a as x` then `x.b.c`: `import a.b` and `import a.b.c` are used. */
static void attr_uses(struct imp *c)
{
    struct mg_buf want = {0};
    for (size_t i = 0; i < c->n_attrs; i++) {
        const struct attr_use *u = &c->attrs[i];
        for (size_t a = 0; a < c->n_items; a++) {
            const struct item *al = &c->items[a];
            if (al->name != u->name || al->binding == 0 ||
                (c->binds[al->binding].flags & BF_PACKAGE))
                continue;
            for (size_t d = 0; d < c->n_items; d++) {
                const struct item *it = &c->items[d];
                if (it->binding == 0 || !(c->binds[it->binding].flags & BF_PACKAGE))
                    continue;
                /* each prefix of the path, by segments */
                for (uint32_t k = 0; k <= u->len; k++) {
                    if (k < u->len && c->paths.data[u->off + k] != '.')
                        continue;
                    want.len = 0;
                    mg_buf_add(&want, c->quals.data + al->qual_off, al->qual_len);
                    mg_buf_add(&want, ".", 1);
                    mg_buf_add(&want, c->paths.data + u->off, k);
                    if (qual_is(c, it, want.data, want.len))
                        c->binds[it->binding].used = true;
                }
            }
        }
    }
    mg_buf_release(&want);
}

static void flow(struct imp *c)
{
    attr_uses(c);
    set_init(c);
    c->peer = xmalloc((c->n_binds + 1) * sizeof(*c->peer));
    for (size_t i = 0; i <= c->n_binds; i++)
        c->peer[i] = (uint32_t)i;
    /* Each scope's own bindings in event order, for add_range. */
    for (size_t i = 1; i < c->n_binds; i++)
        if (!(c->binds[i].flags & BF_FOREIGN))
            c->scopes[c->binds[i].scope].bind_n++;
    uint32_t off = 0;
    for (size_t s = 0; s < c->n_scopes; s++) {
        c->scopes[s].bind_off = off;
        off += c->scopes[s].bind_n;
        c->scopes[s].bind_n = 0;
    }
    MG_GROW(c->order, c->cap_order, (size_t)off + 1);
    for (size_t i = 1; i < c->n_binds; i++) {
        struct binding *b = &c->binds[i];
        if (!(b->flags & BF_FOREIGN)) {
            struct scope *sc = &c->scopes[b->scope];
            c->order[sc->bind_off + sc->bind_n++] = (uint32_t)i;
        }
    }
    for (size_t i = 0; i < c->n_ev; i++) {
        const struct event *e = &c->ev[i];
        uint32_t ev = (uint32_t)i;
        switch (e->kind) {
        case EV_LOAD:
            resolve(c, e->a, e->b, e->flags != 0, ev);
            break;
        case EV_DEL:
        case EV_UNBIND: {
            if (e->kind == EV_DEL)
                resolve(c, e->a, e->b, false, ev);
            const struct local *l = local_find(c, e->b, e->a);
            if (l != NULL && (l->flags & LF_LOCAL) && l->slot != NONE)
                slot_set(c, l->slot, SET_UNBOUND);
            break;
        }
        case EV_BIND:
            flow_bind(c, e->a);
            break;
        case EV_PUSH:
            break;
        case EV_POP:
            finalize(c, e->a);
            break;
        case EV_BR_BEGIN:
            frame_push(c);
            break;
        case EV_BR_ARM:
            if (c->n_frames > 0)
                close_arm(c);
            break;
        case EV_BR_END:
        case EV_LOOP_END:
            if (c->n_frames > 0)
                merge(c, e->kind == EV_BR_END && e->flags, e->kind == EV_BR_END);
            break;
        case EV_LOOP_BEGIN:
            frame_push(c);
            add_range(c, e->b, c->ranges[e->a]);
            break;
        case EV_ADD_RANGE:
            add_range(c, e->b, c->ranges[e->a]);
            break;
        default:
            break;
        }
    }
    while (c->n_frames > 0)
        merge(c, false, false);
    finalize(c, 0);
}

/* ---- fixes ---- */

struct edits {
    struct an_edit *v;
    size_t n, cap;
    bool bad; /* overlapping edits: a bug; the fix is dropped */
};

static void ed_add(struct edits *E, uint32_t s, uint32_t e, const char *text)
{
    MG_GROW(E->v, E->cap, E->n + 1);
    E->v[E->n++] = (struct an_edit){s, e, xstrdup(text)};
}

static void ed_release(struct edits *E)
{
    for (size_t i = 0; i < E->n; i++)
        free(E->v[i].new_text);
    free(E->v);
    memset(E, 0, sizeof(*E));
}

static int cmp_edit(const void *x, const void *y)
{
    const struct an_edit *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end < b->end ? -1 : a->end > b->end;
}

/* Sort; merge deletions that touch; refuse overlaps. */
static void ed_finish(struct edits *E)
{
    if (E->n > 1)
        qsort(E->v, E->n, sizeof(*E->v), cmp_edit);
    size_t w = 0;
    for (size_t r = 0; r < E->n; r++) {
        struct an_edit *cur = &E->v[r];
        if (w > 0) {
            struct an_edit *last = &E->v[w - 1];
            if (cur->start < last->end) {
                E->bad = true;
            } else if (cur->start == last->end && last->new_text[0] == '\0' &&
                       cur->new_text[0] == '\0' && cur->start != cur->end) {
                last->end = cur->end;
                free(cur->new_text);
                continue;
            }
        }
        E->v[w++] = *cur;
    }
    E->n = w;
}

static uint32_t line_start(const struct imp *c, uint32_t p)
{
    return line_start_of(c->text, p);
}

/* Just after the newline ending the line that holds `p` (or the end). */
static uint32_t line_next(const struct imp *c, uint32_t p)
{
    const char *nl = p < c->len ? memchr(c->text + p, '\n', c->len - p) : NULL;
    return nl ? (uint32_t)(nl - c->text) + 1 : c->len;
}

static bool first_on_line(const struct imp *c, uint32_t p)
{
    while (p > 0 && is_hspace(c->text[p - 1]))
        p--;
    return p == 0 || c->text[p - 1] == '\n';
}

static bool has_char(const struct imp *c, uint32_t a, uint32_t b, char ch)
{
    return a < b && b <= c->len && memchr(c->text + a, ch, b - a) != NULL;
}

static bool blank_line(const struct imp *c, uint32_t ls, uint32_t le)
{
    for (uint32_t i = ls; i < le; i++)
        if (!is_hspace(c->text[i]) && c->text[i] != '\r' && c->text[i] != '\n')
            return false;
    return true;
}

/* Delete the whole lines of [s, e), and the blank lines that would
 * otherwise pile up: at the start or the end of the file all of them,
 * elsewhere as many as leave the larger of the two gaps. */
static void del_lines(const struct imp *c, uint32_t s, uint32_t e, struct edits *E)
{
    uint32_t ls = line_start(c, s), le = line_next(c, e);
    uint32_t p = ls, b1 = 0;
    while (p > 0) {
        uint32_t prev = line_start(c, p - 1);
        if (!blank_line(c, prev, p))
            break;
        p = prev;
        b1++;
    }
    uint32_t q = le, b2 = 0;
    uint32_t after_one[2] = {le, le}; /* after min(b1, b2) blank lines */
    while (q < c->len) {
        uint32_t next = line_next(c, q);
        if (!blank_line(c, q, next))
            break;
        q = next;
        b2++;
        if (b2 <= b1)
            after_one[0] = q;
    }
    if (q >= c->len) { /* nothing but blank lines after: trim them all */
        ls = p;
        le = c->len;
    } else if (p == 0) { /* nothing but blank lines before */
        ls = 0;
        le = q;
    } else {
        le = after_one[0];
    }
    ed_add(E, ls, le, "");
}

/* After the item ending at `p`: spaces, a comma, spaces, a comment, then
 * the end of the line? Sets *le just after that line. */
static bool rest_of_line_empty(const struct imp *c, uint32_t p, uint32_t *le)
{
    while (p < c->len && is_hspace(c->text[p]))
        p++;
    if (p < c->len && c->text[p] == ',')
        p++;
    while (p < c->len && is_hspace(c->text[p]))
        p++;
    if (p < c->len && c->text[p] == '#')
        while (p < c->len && c->text[p] != '\n')
            p++;
    if (p < c->len && c->text[p] == '\r')
        p++;
    if (p >= c->len || c->text[p] != '\n')
        return false;
    *le = p + 1;
    return true;
}

/* After the item ending at `p`, past a comma (if any) and spaces. */
static uint32_t past_comma(const struct imp *c, uint32_t p, bool spaces_after)
{
    uint32_t q = p;
    while (q < c->len && is_hspace(c->text[q]))
        q++;
    if (q < c->len && c->text[q] == ',') {
        q++;
        while (spaces_after && q < c->len && is_hspace(c->text[q]))
            q++;
        return q;
    }
    return p;
}

/* Remove the run of items I..J (P before it and N after it stay). */
static void run_edit(const struct imp *c, const struct stmt *st, const struct item *P,
                     const struct item *I, const struct item *J, const struct item *N,
                     struct edits *E)
{
    uint32_t le;
    if (P != NULL && !first_on_line(c, I->start) && !has_char(c, P->end, J->end, '#')) {
        ed_add(E, P->end, J->end, ""); /* "a, b" -> "a" */
    } else if (!st->paren) {
        if (N != NULL)
            ed_add(E, I->start, N->start, "");
        else if (P != NULL)
            ed_add(E, P->end, J->end, "");
    } else if (first_on_line(c, I->start) && rest_of_line_empty(c, J->end, &le)) {
        ed_add(E, line_start(c, I->start), le, ""); /* its own lines */
    } else if (N != NULL) {
        if (!has_char(c, I->start, N->start, '#'))
            ed_add(E, I->start, N->start, "");
        else /* keep the comment: it may be another name's */
            ed_add(E, I->start, past_comma(c, J->end, true), "");
    } else {
        uint32_t s = first_on_line(c, I->start) ? line_start(c, I->start) : I->start;
        ed_add(E, s, past_comma(c, J->end, false), "");
    }
}

/* Remove items list[0..n) (sorted) of statement `sid`, not all of them. */
static void items_edits(const struct imp *c, uint32_t sid, const uint32_t *list, size_t n,
                        struct edits *E)
{
    const struct stmt *st = &c->stmts[sid];
    const struct item *it = c->items;
    uint32_t first = st->first_item, end = st->first_item + st->n_items;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && list[j] == list[j - 1] + 1)
            j++;
        uint32_t s = list[i], e = list[j - 1];
        run_edit(c, st, s > first ? &it[s - 1] : NULL, &it[s], &it[e],
                 e + 1 < end ? &it[e + 1] : NULL, E);
        i = j;
    }
}

static bool same_line(const struct imp *c, uint32_t a, uint32_t b)
{
    return a != NONE && b != NONE && a <= b && !has_char(c, a, b, '\n');
}

/* Edits removing items list[0..n) (sorted; all in statements of one
 * block): names from their statements, statements that lose every name
 * (chained when they share a line), `pass` for a block left empty. */
static void removal(const struct imp *c, const uint32_t *list, size_t n, struct edits *E)
{
    uint32_t block = c->stmts[c->items[list[0]].stmt].block;
    /* Per statement: [i, j) of list. Full statements are those whose every
     * item is listed. */
    uint32_t n_full = 0;
    for (size_t i = 0; i < n;) {
        uint32_t sid = c->items[list[i]].stmt;
        size_t j = i;
        while (j < n && c->items[list[j]].stmt == sid)
            j++;
        if (j - i < c->stmts[sid].n_items)
            items_edits(c, sid, list + i, j - i, E);
        else
            n_full++;
        i = j;
    }
    bool emptied = !c->blocks[block].module && n_full == c->blocks[block].count;
    bool first_chain = true;
    uint32_t chain_first = NONE, chain_last = NONE;
    for (size_t i = 0; i <= n;) {
        uint32_t sid = NONE;
        size_t j = i;
        if (i < n) {
            sid = c->items[list[i]].stmt;
            while (j < n && c->items[list[j]].stmt == sid)
                j++;
            if (j - i < c->stmts[sid].n_items) {
                i = j; /* a statement that stays: it ends no chain by itself */
                if (i < n)
                    continue;
                sid = NONE;
            }
        }
        /* Statements that go entirely, chained when they share a line. */
        if (sid != NONE && chain_last != NONE &&
            c->stmts[sid].prev_end == c->stmts[chain_last].end &&
            same_line(c, c->stmts[chain_last].end, c->stmts[sid].start)) {
            chain_last = sid;
            i = j;
            continue;
        }
        if (chain_first != NONE) {
            const struct stmt *a = &c->stmts[chain_first], *b = &c->stmts[chain_last];
            if (emptied && first_chain)
                ed_add(E, a->start, b->end, "pass");
            else if (same_line(c, b->end, b->next_start))
                ed_add(E, a->start, b->next_start, "");
            else if (same_line(c, a->prev_end, a->start))
                ed_add(E, a->prev_end, b->end, "");
            else
                del_lines(c, a->start, b->end, E);
            first_chain = false;
        }
        chain_first = chain_last = sid;
        if (i >= n)
            break;
        i = j;
    }
    ed_finish(E);
}

/* ---- findings ---- */

enum finding_kind { FK_PLAIN, FK_AVAIL, FK_INIT, FK_CLASS };

struct finding {
    uint32_t item, parent;
    uint8_t kind;
    bool safe; /* its removal may join fix-all */
};

/* Whether registry.c will drop the finding for a "# noqa" on the line of
 * `off`: a joint fix must not remove what the user kept. */
static bool noqa_at(struct imp *c, uint32_t off)
{
    uint32_t ls = line_start(c, off);
    if (c->noqa_line == ls + 1) /* many names on one long line */
        return c->noqa_result;
    uint32_t le = line_next(c, off);
    bool found = false;
    for (const char *h = memchr(c->text + ls, '#', le - ls); h != NULL && !found;
         h = memchr(h + 1, '#', le - (uint32_t)(h + 1 - c->text))) {
        uint32_t at = (uint32_t)(h - c->text);
        TSNode n = ts_node_descendant_for_byte_range(c->root, at, at + 1);
        if (nk_of(n) == NK_COMMENT && nstart(n) == at) {
            uint32_t end = nend(n) < le ? nend(n) : le;
            found = an_noqa_matches(c->text + at, end - at, IMP_CODE);
            break;
        }
    }
    c->noqa_line = ls + 1;
    c->noqa_result = found;
    return found;
}

static uint32_t uf_find(struct finding *f, uint32_t i)
{
    while (f[i].parent != i) {
        f[i].parent = f[f[i].parent].parent;
        i = f[i].parent;
    }
    return i;
}

static void uf_union(struct finding *f, uint32_t a, uint32_t b)
{
    a = uf_find(f, a);
    b = uf_find(f, b);
    if (a != b)
        f[a < b ? b : a].parent = a < b ? a : b;
}

static bool is_init_file(const struct pdoc *doc)
{
    const char *p = doc->path != NULL ? doc->path : doc->uri;
    if (p == NULL)
        return false;
    const char *slash = strrchr(p, '/');
    const char *base = slash ? slash + 1 : p;
    return strcmp(base, "__init__.py") == 0 || strcmp(base, "__init__.pyi") == 0;
}

/* `x` of an item: its bound name as written. */
static void bound_text(const struct imp *c, const struct item *it, const char **p, uint32_t *len)
{
    const struct name *nm = &c->names[it->name];
    *p = c->chars.data + nm->off;
    *len = nm->len;
}

/* Add `"x"` to the single `__all__` list or tuple. */
static bool all_insert(struct imp *c, const char *x, uint32_t xlen, struct edits *E)
{
    TSNode v = c->all_value;
    uint8_t kind = nk_of(v);
    uint32_t count, base = collect(c, v, &count);
    TSNode open = {0}, close = {0}, last = {0};
    for (uint32_t i = 0; i < count; i++) {
        const struct kid *k = &c->kids[base + i];
        char ch = c->text[nstart(k->node)];
        if (!k->named && (ch == '[' || ch == '(') && ts_node_is_null(open))
            open = k->node;
        else if (!k->named && (ch == ']' || ch == ')'))
            close = k->node;
        else if (k->named && k->nk != NK_COMMENT)
            last = k->node;
    }
    c->n_kids = base;
    char quote = '"';
    if (!ts_node_is_null(last) && nk_of(last) == NK_STRING) {
        TSNode ss = ts_node_child(last, 0);
        if (!ts_node_is_null(ss) && nend(ss) > nstart(ss))
            quote = c->text[nend(ss) - 1];
    }
    if (quote != '"' && quote != '\'')
        quote = '"';
    char *ins;
    if (ts_node_is_null(last)) {
        if (ts_node_is_null(open))
            return false;
        ins = xasprintf("%c%.*s%c%s", quote, (int)xlen, x, quote, kind == NK_TUPLE ? "," : "");
        ed_add(E, nend(open), nend(open), ins);
        free(ins);
        return true;
    }
    uint32_t comma = past_comma(c, nend(last), false);
    bool trailing = comma != nend(last);
    bool multiline = !ts_node_is_null(close) && has_char(c, nend(last), nstart(close), '\n');
    if (trailing && multiline) {
        uint32_t ls = line_start(c, nstart(last)), ie = ls;
        while (ie < c->len && is_hspace(c->text[ie]))
            ie++;
        uint32_t at = line_next(c, comma) - 1;
        if (at > 0 && c->text[at - 1] == '\r')
            at--;
        ins =
            xasprintf("\n%.*s%c%.*s%c,", (int)(ie - ls), c->text + ls, quote, (int)xlen, x, quote);
        ed_add(E, at, at, ins);
    } else if (trailing) {
        ins = xasprintf(" %c%.*s%c,", quote, (int)xlen, x, quote);
        ed_add(E, comma, comma, ins);
    } else {
        ins = xasprintf(", %c%.*s%c", quote, (int)xlen, x, quote);
        ed_add(E, nend(last), nend(last), ins);
    }
    free(ins);
    return true;
}

static void fix_set(struct an_fix *f, char *title, const struct edits *E, bool safe)
{
    f->title = title;
    f->edits = E->v;
    f->n_edits = E->n;
    f->safe = safe;
}

static char *joint_title(const struct imp *c, const struct finding *f, const uint32_t *members,
                         size_t n)
{
    if (n > TITLE_NAMES)
        return xasprintf("Remove %zu unused imports", n);
    struct mg_buf b = {0};
    mg_buf_adds(&b, "Remove unused imports ");
    for (size_t i = 0; i < n; i++) {
        const struct item *it = &c->items[f[members[i]].item];
        mg_buf_addf(&b, "%s`%.*s`", i ? ", " : "", (int)it->qual_len, c->quals.data + it->qual_off);
    }
    return mg_buf_detach(&b, NULL);
}

static void emit_finding(struct imp *c, const struct finding *f, size_t fi,
                         const struct edits *joint, const char *joint_title_s,
                         struct diag_list *out)
{
    const struct finding *F = &f[fi];
    const struct item *it = &c->items[F->item];
    const struct stmt *st = &c->stmts[it->stmt];
    const struct binding *b = &c->binds[it->binding];
    const char *q = c->quals.data + it->qual_off;
    int ql = (int)it->qual_len;
    struct an_diag d = {.severity = AN_WARNING, .tags = AN_TAG_UNNECESSARY};
    snprintf(d.code, sizeof(d.code), "%s", IMP_CODE);
    d.start = it->start;
    d.end = it->end;
    d.has_noqa_also = true;
    d.noqa_also = st->start;
    switch (F->kind) {
    case FK_AVAIL:
        d.message = xasprintf("`%.*s` imported but unused; consider using "
                              "`importlib.util.find_spec` to test for availability",
                              ql, q);
        break;
    case FK_INIT:
        d.message = xasprintf("`%.*s` imported but unused; consider removing, adding to "
                              "`__all__`, or using a redundant alias",
                              ql, q);
        break;
    default:
        d.message = xasprintf("`%.*s` imported but unused", ql, q);
        break;
    }
    struct an_related rel = {0};
    if (b->killed_by != 0 && c->slots[b->slot].last_load != NONE &&
        c->slots[b->slot].last_load > c->binds[b->killed_by].ev) {
        const struct binding *k = &c->binds[b->killed_by];
        const struct name *nm = &c->names[b->name];
        rel.start = k->start;
        rel.end = k->end;
        rel.message = xasprintf("`%.*s` is redefined here before the import is used", (int)nm->len,
                                c->chars.data + nm->off);
        d.related = &rel;
        d.n_related = 1;
    }
    struct an_fix fixes[2];
    struct edits E[2] = {{0}, {0}};
    bool fixable = st->block != NONE;
    if (fixable && (F->kind == FK_PLAIN || F->kind == FK_CLASS)) {
        removal(c, &F->item, 1, &E[0]);
        if (!E[0].bad) {
            fix_set(&fixes[d.n_fixes++], xasprintf("Remove unused import `%.*s`", ql, q), &E[0],
                    F->safe && joint == NULL);
        }
        if (joint != NULL && !joint->bad)
            fix_set(&fixes[d.n_fixes++], xstrdup(joint_title_s), joint, true);
    } else if (F->kind == FK_INIT) {
        const char *x;
        uint32_t xl;
        bound_text(c, it, &x, &xl);
        bool dotted_plain = (b->flags & BF_PACKAGE) && memchr(q, '.', (size_t)ql) != NULL;
        if (c->all_fixable && c->n_all_defs == 1 && !dotted_plain && all_insert(c, x, xl, &E[0])) {
            ed_finish(&E[0]);
            fix_set(&fixes[d.n_fixes++],
                    xasprintf("Add unused import `%.*s` to __all__", (int)xl, x), &E[0], false);
        }
        if (it->flags & IF_SIMPLE) {
            char *ins = xasprintf(" as %.*s", (int)xl, x);
            ed_add(&E[1], it->end, it->end, ins);
            free(ins);
            fix_set(&fixes[d.n_fixes++],
                    xasprintf("Use an explicit re-export: `%.*s as %.*s`", (int)xl, x, (int)xl, x),
                    &E[1], false);
        }
    }
    d.fixes = d.n_fixes ? fixes : NULL;
    diag_list_add(out, &d);
    for (size_t i = 0; i < d.n_fixes; i++)
        free(fixes[i].title);
    ed_release(&E[0]);
    ed_release(&E[1]);
    free(d.message);
    if (d.n_related)
        free(rel.message);
}

/* An unused import whose name has other definitions on other paths is
 * spared when one of them is not an import at module or class level (a
 * fallback others may read: `except ImportError: x = None`), or is an
 * import the user keeps (noqa, allow-list, re-export): linters that
 * report only a name's last binding taught users to put the noqa there. */
static bool spared_by_alternative(struct imp *c, uint32_t binding)
{
    uint32_t root = peer_find(c, binding);
    const struct slot *slot = &c->slots[c->binds[binding].slot];
    for (uint32_t b = slot->first_bind; b != NONE; b = c->binds[b].next) {
        if (b == binding || peer_find(c, b) != root)
            continue;
        const struct binding *x = &c->binds[b];
        uint8_t kind = c->scopes[x->scope].kind;
        if (!(x->flags & BF_IMPORT)) {
            if (kind == SK_MODULE || kind == SK_CLASS)
                return true;
            continue;
        }
        const struct item *it = &c->items[x->item];
        if (!(it->flags & IF_CANDIDATE) || noqa_at(c, it->start) ||
            noqa_at(c, c->stmts[it->stmt].start))
            return true;
    }
    return false;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static int cmp_u32_pair(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

static void report(struct imp *c, struct diag_list *out)
{
    struct finding *f = NULL;
    size_t nf = 0, cap = 0;
    uint32_t *of_item = xmalloc((c->n_items + 1) * sizeof(*of_item));
    for (size_t i = 0; i < c->n_items; i++) {
        const struct item *it = &c->items[i];
        of_item[i] = NONE;
        if (!(it->flags & IF_CANDIDATE) || c->binds[it->binding].used)
            continue;
        uint8_t kind = FK_PLAIN;
        if (it->flags & IF_AVAIL)
            kind = FK_AVAIL;
        else if (c->is_init && (it->flags & IF_MODULE))
            kind = FK_INIT;
        else if (it->flags & IF_CLASS)
            kind = FK_CLASS;
        /* A class attribute read as `obj.name` somewhere: maybe this one. */
        if (kind == FK_CLASS && (c->names[it->name].flags & NAME_ATTR))
            continue;
        if (spared_by_alternative(c, it->binding))
            continue;
        const struct stmt *st = &c->stmts[it->stmt];
        bool safe = kind == FK_PLAIN && st->block != NONE && !noqa_at(c, it->start) &&
                    !noqa_at(c, st->start);
        MG_GROW(f, cap, nf + 1);
        f[nf] = (struct finding){(uint32_t)i, (uint32_t)nf, kind, safe};
        of_item[i] = (uint32_t)nf++;
    }
    if (nf == 0)
        goto out;

    /* Group the safe findings whose single fixes would not compose. */
    uint32_t *stmt_any = xmalloc((c->n_stmts + 1) * sizeof(*stmt_any));
    uint8_t *stmt_full = xcalloc(c->n_stmts + 1, 1);
    uint32_t *block_full = xcalloc(c->n_blocks + 1, sizeof(*block_full));
    for (size_t s = 0; s < c->n_stmts; s++) {
        const struct stmt *st = &c->stmts[s];
        stmt_any[s] = NONE;
        bool full = st->n_items > 0 && st->block != NONE;
        for (uint32_t k = 0; k < st->n_items; k++) {
            uint32_t fi = of_item[st->first_item + k];
            if (fi == NONE || !f[fi].safe) {
                full = false;
                continue;
            }
            if (stmt_any[s] != NONE)
                uf_union(f, stmt_any[s], fi); /* names of one statement */
            stmt_any[s] = fi;
        }
        stmt_full[s] = full;
        if (full)
            block_full[st->block]++;
        if (s > 0 && stmt_any[s] != NONE && stmt_any[s - 1] != NONE &&
            c->stmts[s - 1].block == st->block && st->prev_end == c->stmts[s - 1].end &&
            same_line(c, c->stmts[s - 1].end, st->start))
            uf_union(f, stmt_any[s - 1], stmt_any[s]); /* statements of one line */
    }
    uint32_t *block_rep = xmalloc((c->n_blocks + 1) * sizeof(*block_rep));
    for (size_t b = 0; b < c->n_blocks; b++)
        block_rep[b] = NONE;
    for (size_t s = 0; s < c->n_stmts; s++) { /* every statement of a block */
        uint32_t b = c->stmts[s].block;
        if (!stmt_full[s] || c->blocks[b].module || block_full[b] != c->blocks[b].count)
            continue;
        if (block_rep[b] != NONE)
            uf_union(f, block_rep[b], stmt_any[s]);
        block_rep[b] = stmt_any[s];
    }

    /* Members of each group, contiguous. */
    uint32_t(*pairs)[2] = xmalloc(nf * sizeof(*pairs));
    for (size_t i = 0; i < nf; i++) {
        pairs[i][0] = f[i].safe ? uf_find(f, (uint32_t)i) : (uint32_t)i;
        pairs[i][1] = (uint32_t)i;
    }
    qsort(pairs, nf, sizeof(*pairs), cmp_u32_pair);
    uint32_t *members = xmalloc(nf * sizeof(*members)), *list = xmalloc(nf * sizeof(*list));
    for (size_t i = 0; i < nf;) {
        size_t j = i;
        while (j < nf && pairs[j][0] == pairs[i][0])
            j++;
        size_t n = j - i;
        for (size_t k = 0; k < n; k++) {
            members[k] = pairs[i + k][1];
            list[k] = f[members[k]].item;
        }
        struct edits joint = {0};
        char *title = NULL;
        if (n > 1) {
            qsort(list, n, sizeof(*list), cmp_u32);
            removal(c, list, n, &joint);
            title = joint_title(c, f, members, n);
        }
        for (size_t k = 0; k < n; k++)
            emit_finding(c, f, members[k], n > 1 ? &joint : NULL, title, out);
        free(title);
        ed_release(&joint);
        i = j;
    }
    free(members);
    free(list);
    free(pairs);
    free(block_rep);
    free(block_full);
    free(stmt_full);
    free(stmt_any);
out:
    free(of_item);
    free(f);
}

/* ---- the analyzer ---- */

static void imp_release(struct imp *c)
{
    free(c->text_stmts);
    free(c->text_ids);
    ts_tree_cursor_delete(&c->cur);
    if (c->sub != NULL)
        ts_parser_delete(c->sub);
    mg_buf_release(&c->chars);
    mg_buf_release(&c->quals);
    mg_buf_release(&c->paths);
    free(c->attrs);
    free(c->names);
    free(c->ntab);
    free(c->occ);
    free(c->tasks);
    free(c->kids);
    free(c->ev);
    free(c->scopes);
    free(c->binds);
    free(c->slots);
    free(c->locals);
    free(c->ltab);
    free(c->ranges);
    free(c->items);
    free(c->stmts);
    free(c->blocks);
    free(c->pool);
    free(c->sets);
    free(c->journal);
    free(c->frames);
    free(c->res);
    free(c->scratch);
    free(c->order);
    free(c->touched);
    free(c->peer);
    free(c->subs);
    free(c->subtab);
    mg_buf_release(&c->sub_text);
    free(c->sub_names);
}

static int run(const struct pdoc *doc, const struct an_opts *opts, struct diag_list *out)
{
    if (sym_nk == NULL || doc == NULL || doc->tree == NULL || doc->text == NULL)
        return -MG_EINVAL;
    if (!an_rule_enabled(opts, IMP_CODE) || doc->len >= UINT32_MAX / 2)
        return 0;
    struct imp *c = xcalloc(1, sizeof(*c));
    c->doc = doc;
    c->text = doc->text;
    c->len = (uint32_t)doc->len;
    c->opts = opts;
    c->root = ts_tree_root_node(doc->tree);
    c->is_init = is_init_file(doc);
    c->cur = ts_tree_cursor_new(c->root);
    find_import_names(c);
    if (doc->only_names != NULL) {
        /* Only these names are examined (incremental analysis). */
        for (size_t id = 0; id < c->n_names; id++) {
            bool wanted = false;
            for (const char *p = doc->only_names; *p && !wanted; p += strlen(p) + 1)
                wanted = strlen(p) == c->names[id].len &&
                         memcmp(p, c->chars.data + c->names[id].off, c->names[id].len) == 0;
            if (!wanted)
                c->names[id].flags &= ~(unsigned)NAME_TRACKED;
        }
    }
    if (c->n_names > 0) {
        c->id_all = name_intern(c, "__all__", 7);
        scan_words(c);
        walk(c);
        flow(c);
        report(c, out);
    }
    imp_release(c);
    free(c);
    return 0;
}

/* ---- for the language server: which edits may change F401's findings ---- */

struct imp_words {
    struct imp c; /* pass 0's candidate names only */
};

struct imp_words *imp_words_new(const struct pdoc *doc)
{
    struct imp_words *w = xcalloc(1, sizeof(*w));
    if (doc->len >= UINT32_MAX / 2)
        return w;
    w->c.doc = doc;
    w->c.text = doc->text;
    w->c.len = (uint32_t)doc->len;
    w->c.record_stmts = true;
    find_import_names(&w->c);
    w->c.id_all = name_intern(&w->c, "__all__", 7);
    /* The text is not kept: the names hold copies of what they are. */
    w->c.doc = NULL;
    w->c.text = NULL;
    w->c.len = 0;
    return w;
}

bool imp_words_in(const struct imp_words *w, const char *s, size_t n)
{
    return words_scan(NULL, NULL, &w->c, s, n, 0);
}

/* Whether the import statement at line `start` lies in a block of import
 * statements only (then its fix may be the block's: `pass`); -1 when it
 * cannot be told. The block's byte range goes to *bs, *be. */
static int in_import_block(const struct pdoc *doc, uint32_t start, uint32_t *bs, uint32_t *be)
{
    uint32_t at = start;
    while (at < doc->len && is_hspace(doc->text[at]))
        at++;
    TSNode n = ts_node_descendant_for_byte_range(ts_tree_root_node(doc->tree), at, at);
    while (!ts_node_is_null(n) && nk_of(n) != NK_IMPORT_STATEMENT &&
           nk_of(n) != NK_IMPORT_FROM_STATEMENT && nk_of(n) != NK_FUTURE_IMPORT_STATEMENT)
        n = ts_node_parent(n);
    if (ts_node_is_null(n))
        return -1;
    TSNode blk = ts_node_parent(n);
    if (ts_node_is_null(blk) || nk_of(blk) != NK_BLOCK)
        return -1;
    *bs = ts_node_start_byte(blk);
    *be = ts_node_end_byte(blk);
    uint32_t count = ts_node_named_child_count(blk);
    for (uint32_t i = 0; i < count; i++) {
        enum nk k = nk_of(ts_node_named_child(blk, i));
        if (k != NK_IMPORT_STATEMENT && k != NK_IMPORT_FROM_STATEMENT &&
            k != NK_FUTURE_IMPORT_STATEMENT && k != NK_COMMENT)
            return 0;
    }
    return 1;
}

bool imp_words_closure(const struct imp_words *w, const struct pdoc *doc, const char *const *texts,
                       const size_t *lens, size_t n_texts, struct mg_buf *only,
                       uint32_t (**ranges)[2], size_t *n_ranges)
{
    const struct imp *c = &w->c;
    *ranges = NULL;
    *n_ranges = 0;
    /* The names the texts hold. */
    uint8_t *hit = xcalloc(c->n_names + 1, 1);
    for (size_t k = 0; k < n_texts; k++)
        words_scan(NULL, hit, c, texts[k], lens[k], 0);
    bool ok = !(c->id_all != NONE && c->id_all < c->n_names && hit[c->id_all]);
    /* The statements binding them, those sharing their lines, and those
     * of a block of imports only: their findings' fixes are made together. */
    uint8_t *take = xcalloc(c->n_text_stmts + 1, 1);
    uint8_t *blocked = xcalloc(c->n_text_stmts + 1, 1); /* its block is looked at */
    for (size_t s = 0; s < c->n_text_stmts; s++) {
        const struct text_stmt *st = &c->text_stmts[s];
        for (uint32_t k = 0; k < st->n_ids && !take[s]; k++)
            take[s] = hit[c->text_ids[st->first_id + k]];
    }
    for (bool grew = true; grew && ok;) {
        grew = false;
        for (size_t s = 0; s + 1 < c->n_text_stmts; s++) {
            const struct text_stmt *a = &c->text_stmts[s], *b = &c->text_stmts[s + 1];
            bool one_line = b->start <= a->end;
            if (one_line && take[s] != take[s + 1]) {
                take[s] = take[s + 1] = 1;
                grew = true;
            }
        }
        for (size_t s = 0; s < c->n_text_stmts && ok; s++) {
            if (!take[s] || blocked[s] || !c->text_stmts[s].indented)
                continue;
            blocked[s] = 1;
            uint32_t bs = 0, be = 0;
            int imports_only = in_import_block(doc, c->text_stmts[s].start, &bs, &be);
            if (imports_only < 0) {
                ok = false; /* not a statement after all: cannot tell */
            } else if (imports_only) {
                uint32_t ls = line_start_of(doc->text, bs);
                for (size_t o = 0; o < c->n_text_stmts; o++)
                    if (!take[o] && c->text_stmts[o].start >= ls && c->text_stmts[o].start < be) {
                        take[o] = 1;
                        grew = true;
                    }
            }
        }
    }
    free(blocked);
    if (ok) {
        for (size_t s = 0; s < c->n_text_stmts; s++) {
            if (!take[s])
                continue;
            const struct text_stmt *st = &c->text_stmts[s];
            for (uint32_t k = 0; k < st->n_ids; k++)
                hit[c->text_ids[st->first_id + k]] = 1;
            *ranges = xrealloc(*ranges, (*n_ranges + 1) * sizeof(**ranges));
            (*ranges)[*n_ranges][0] = st->start;
            (*ranges)[(*n_ranges)++][1] = st->end;
        }
        for (size_t id = 0; id < c->n_names; id++)
            if (hit[id] && (c->names[id].flags & NAME_TRACKED)) {
                mg_buf_add(only, c->chars.data + c->names[id].off, c->names[id].len);
                mg_buf_add(only, "", 1);
            }
        mg_buf_add(only, "", 1);
    }
    free(take);
    free(hit);
    return ok;
}

void imp_words_free(struct imp_words *w)
{
    if (w == NULL)
        return;
    imp_release(&w->c);
    free(w);
}

static const struct an_rule rules[] = {
    {IMP_CODE, "unused-import", AN_WARNING, "an imported name is never used", 0},
};

const struct analyzer an_imports = {
    .name = "imports",
    .rules = rules,
    .n_rules = MG_ARRAY_LEN(rules),
    .init = init,
    .fini = fini,
    .run = run,
};
