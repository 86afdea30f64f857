/* Unit tests of analyzers/registry.c (the rule table, rule selection,
 * an_run_all) and analyzers/diag.c (the diag_list), through analyzer.h.
 *
 * registry/rules_md_* read analyzers/RULES.md from $MG_SOURCE_ROOT (set by
 * tests/meson.build), else next to this file (__FILE__ is relative to the
 * build directory, where meson runs tests). */
#include "analyzer.h"
#include "mg.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- RULES.md ------------------------------------------------------------ */

struct md_rule {
    char code[16], name[64], severity[16], cwe[16];
};

static char *trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static FILE *open_rules_md(char **path_out)
{
    const char *roots[3] = {getenv("MG_SOURCE_ROOT"), NULL, NULL};
    char *here = xstrdup(__FILE__);
    char *slash = strrchr(here, '/');
    if (slash != NULL) {
        *slash = '\0';
        roots[2] = here; /* .../tests/unit */
    }
    for (size_t i = 0; i < 3; i++) {
        if (roots[i] == NULL || roots[i][0] == '\0')
            continue;
        char *path =
            xasprintf(i == 2 ? "%s/../../analyzers/RULES.md" : "%s/analyzers/RULES.md", roots[i]);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            *path_out = path;
            free(here);
            return f;
        }
        free(path);
    }
    free(here);
    return NULL;
}

/* The rows of the rules table: lines "| CODE | name | message | severity |
 * fix? | fix safe? | CWE |" whose first cell is a rule code. */
static size_t read_rules_md(struct md_rule **out)
{
    char *path = NULL;
    FILE *f = open_rules_md(&path);
    cr_assert_not_null(f, "cannot find analyzers/RULES.md: set MG_SOURCE_ROOT");
    size_t n = 0, cap = 0;
    struct md_rule *rules = NULL;
    char line[1024];
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] != '|')
            continue;
        char *cells[8];
        size_t n_cells = 0;
        char *save = NULL;
        for (char *c = strtok_r(line + 1, "|", &save); c != NULL && n_cells < 8;
             c = strtok_r(NULL, "|", &save))
            cells[n_cells++] = trim(c);
        if (n_cells < 7 || cells[0][0] < 'A' || cells[0][0] > 'Z' ||
            strcspn(cells[0], "0123456789") == strlen(cells[0]))
            continue; /* the header and its separator */
        MG_GROW(rules, cap, n + 1);
        struct md_rule *r = &rules[n++];
        snprintf(r->code, sizeof(r->code), "%s", cells[0]);
        snprintf(r->name, sizeof(r->name), "%s", cells[1]);
        snprintf(r->severity, sizeof(r->severity), "%s", cells[3]);
        snprintf(r->cwe, sizeof(r->cwe), "%s", cells[6]);
    }
    fclose(f);
    free(path);
    *out = rules;
    return n;
}

static const char *severity_word(enum an_severity s)
{
    switch (s) {
    case AN_ERROR:
        return "error";
    case AN_WARNING:
        return "warning";
    case AN_INFO:
        return "information";
    case AN_HINT:
        return "hint";
    }
    return "?";
}

Test(registry, rules_md_matches_table)
{
    struct md_rule *md;
    size_t n_md = read_rules_md(&md);
    size_t n;
    const struct an_rule *rules = an_rules(&n);
    cr_assert_gt(n_md, 0, "no rule rows in RULES.md");
    cr_expect_eq(n_md, n, "RULES.md lists %zu rules, registry.c %zu", n_md, n);
    for (size_t i = 0; i < n_md; i++) {
        const struct an_rule *r = an_rule_find(md[i].code);
        cr_expect_not_null(r, "%s is in RULES.md but not in registry.c", md[i].code);
        if (r == NULL)
            continue;
        cr_expect_str_eq(md[i].name, r->name, "%s: name", r->code);
        cr_expect_str_eq(md[i].severity, severity_word(r->severity), "%s: severity", r->code);
        char cwe[16] = "-";
        if (r->cwe != 0)
            snprintf(cwe, sizeof(cwe), "CWE-%d", r->cwe);
        cr_expect_str_eq(md[i].cwe, cwe, "%s: CWE", r->code);
    }
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n_md; j++)
            found = found || strcmp(md[j].code, rules[i].code) == 0;
        cr_expect(found, "%s is in registry.c but not in RULES.md", rules[i].code);
    }
    free(md);
}

Test(registry, rules_md_codes_unique_and_named)
{
    struct md_rule *md;
    size_t n_md = read_rules_md(&md);
    for (size_t i = 0; i < n_md; i++) {
        for (size_t j = i + 1; j < n_md; j++)
            cr_expect_str_neq(md[i].code, md[j].code, "%s listed twice", md[i].code);
        cr_expect_lt(strlen(md[i].code), sizeof(((struct an_diag *)0)->code), "%s too long",
                     md[i].code);
        for (const char *p = md[i].name; *p != '\0'; p++)
            cr_expect((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-',
                      "%s: name '%s' is not kebab-case", md[i].code, md[i].name);
    }
    free(md);
}

/* ---- the rule table ----------------------------------------------------------- */

Test(registry, rule_find)
{
    const struct an_rule *r = an_rule_find("E999");
    cr_assert_not_null(r);
    cr_expect_str_eq(r->code, "E999");
    cr_expect_eq(r->severity, AN_ERROR);
    cr_expect_null(an_rule_find("E99"));
    cr_expect_null(an_rule_find("E9999"));
    cr_expect_null(an_rule_find(""));
    cr_expect_null(an_rule_find("NOPE1"));
}

Test(registry, rules_unique)
{
    size_t n;
    const struct an_rule *rules = an_rules(&n);
    for (size_t i = 0; i < n; i++) {
        cr_expect_not_null(rules[i].summary);
        cr_expect_eq(an_rule_find(rules[i].code), &rules[i], "%s twice", rules[i].code);
    }
}

/* ---- selecting rules ------------------------------------------------------------ */

static bool enabled(char **sel, size_t n_sel, char **ign, size_t n_ign, const char *code)
{
    struct an_opts o = {.select = sel, .n_select = n_sel, .ignore = ign, .n_ignore = n_ign};
    return an_rule_enabled(&o, code);
}

Test(registry, enabled_defaults)
{
    cr_expect(an_rule_enabled(NULL, "E999"));
    struct an_opts none = {0};
    cr_expect(an_rule_enabled(&none, "E999"));
    cr_expect(an_rule_enabled(&none, "MG101"));
}

Test(registry, enabled_select_prefixes)
{
    char *e[] = {"E"}, *e999[] = {"E999"}, *f[] = {"F"}, *all[] = {"ALL"}, *two[] = {"F", "E9"};
    cr_expect(enabled(e, 1, NULL, 0, "E999"));
    cr_expect(enabled(e999, 1, NULL, 0, "E999"));
    cr_expect_not(enabled(f, 1, NULL, 0, "E999"));
    cr_expect(enabled(all, 1, NULL, 0, "E999"));
    cr_expect(enabled(two, 2, NULL, 0, "E999"));
    cr_expect(enabled(two, 2, NULL, 0, "F401"));
    cr_expect_not(enabled(two, 2, NULL, 0, "D100"));
    /* a prefix is a prefix of the code, not the other way round */
    char *long_sel[] = {"E9999"};
    cr_expect_not(enabled(long_sel, 1, NULL, 0, "E999"));
}

Test(registry, enabled_most_specific_wins)
{
    char *e[] = {"E"}, *e9[] = {"E9"}, *e999[] = {"E999"}, *all[] = {"ALL"};
    /* ignore more specific than select */
    cr_expect_not(enabled(e, 1, e999, 1, "E999"));
    cr_expect_not(enabled(all, 1, e, 1, "E999"));
    cr_expect_not(enabled(NULL, 0, e9, 1, "E999"));
    /* select more specific than ignore */
    cr_expect(enabled(e999, 1, e, 1, "E999"));
    cr_expect(enabled(e9, 1, all, 1, "E999"));
    cr_expect(enabled(e, 1, all, 1, "E999"));
    /* an ignore that does not match changes nothing */
    char *f[] = {"F401"};
    cr_expect(enabled(e, 1, f, 1, "E999"));
    cr_expect(enabled(NULL, 0, f, 1, "E999"));
}

Test(registry, enabled_tie_ignores)
{
    char *e999[] = {"E999"}, *all[] = {"ALL"}, *e[] = {"E"};
    cr_expect_not(enabled(e999, 1, e999, 1, "E999"));
    cr_expect_not(enabled(all, 1, all, 1, "E999"));
    cr_expect_not(enabled(e, 1, e, 1, "E999"));
    /* no select means every rule at the weakest strength: ALL ignores it */
    cr_expect_not(enabled(NULL, 0, all, 1, "E999"));
}

/* ---- diag_list ------------------------------------------------------------------- */

Test(diag_list, add_deep_copies)
{
    struct an_edit edits[2] = {{.start = 1, .end = 2, .new_text = xstrdup("a")},
                               {.start = 5, .end = 7, .new_text = xstrdup("")}};
    struct an_fix fix = {.title = xstrdup("fix it"), .edits = edits, .n_edits = 2, .safe = true};
    struct an_related rel = {.start = 0, .end = 3, .message = xstrdup("see here")};
    struct an_diag d = {.code = "F401",
                        .severity = AN_WARNING,
                        .tags = AN_TAG_UNNECESSARY,
                        .start = 3,
                        .end = 9,
                        .message = xstrdup("unused import 'os'"),
                        .fixes = &fix,
                        .n_fixes = 1,
                        .related = &rel,
                        .n_related = 1};
    struct diag_list l;
    diag_list_init(&l);
    cr_assert_eq(diag_list_add(&l, &d), 0);

    /* The caller's strings are its own: change and free them. */
    d.message[0] = 'X';
    free(d.message);
    free(fix.title);
    free(edits[0].new_text);
    free(edits[1].new_text);
    free(rel.message);

    cr_assert_eq(l.n, 1);
    const struct an_diag *c = &l.items[0];
    cr_expect_str_eq(c->code, "F401");
    cr_expect_eq(c->severity, AN_WARNING);
    cr_expect_eq(c->tags, AN_TAG_UNNECESSARY);
    cr_expect_eq(c->start, 3);
    cr_expect_eq(c->end, 9);
    cr_expect_str_eq(c->message, "unused import 'os'");
    cr_assert_eq(c->n_fixes, 1);
    cr_expect_neq(c->fixes, &fix);
    cr_expect_str_eq(c->fixes[0].title, "fix it");
    cr_expect(c->fixes[0].safe);
    cr_assert_eq(c->fixes[0].n_edits, 2);
    cr_expect_neq(c->fixes[0].edits, edits);
    cr_expect_str_eq(c->fixes[0].edits[0].new_text, "a");
    cr_expect_eq(c->fixes[0].edits[1].start, 5);
    cr_expect_eq(c->fixes[0].edits[1].end, 7);
    cr_expect_str_eq(c->fixes[0].edits[1].new_text, "");
    cr_assert_eq(c->n_related, 1);
    cr_expect_str_eq(c->related[0].message, "see here");
    diag_list_release(&l);
    cr_expect_eq(l.n, 0);
    cr_expect_null(l.items);
}

Test(diag_list, add_null_strings_and_long_code)
{
    struct an_edit edit = {.start = 0, .end = 0, .new_text = NULL};
    struct an_fix fix = {.title = NULL, .edits = &edit, .n_edits = 1};
    struct an_diag d = {.severity = AN_HINT, .message = NULL, .fixes = &fix, .n_fixes = 1};
    memcpy(d.code, "ABCDEFGH", 8); /* not terminated */
    struct diag_list l;
    diag_list_init(&l);
    diag_list_add(&l, &d);
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.items[0].code, "ABCDEFG");
    cr_expect_str_eq(l.items[0].message, "");
    cr_expect_str_eq(l.items[0].fixes[0].title, "");
    cr_expect_str_eq(l.items[0].fixes[0].edits[0].new_text, "");
    cr_expect_null(l.items[0].related);
    diag_list_release(&l);
}

Test(diag_list, addf_formats)
{
    struct diag_list l;
    diag_list_init(&l);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(diag_list_addf(&l, "E999", AN_ERROR, 0, (uint32_t)i, (uint32_t)i + 1,
                                    "problem %d of %s", i, "many"),
                     0);
    cr_assert_eq(l.n, 100);
    cr_expect_str_eq(l.items[42].message, "problem 42 of many");
    cr_expect_eq(l.items[42].start, 42);
    cr_expect_eq(l.items[42].n_fixes, 0);
    diag_list_release(&l);
}

Test(diag_list, sort_orders_and_dedupes)
{
    struct diag_list l;
    diag_list_init(&l);
    diag_list_addf(&l, "F401", AN_WARNING, 0, 10, 12, "b");
    diag_list_addf(&l, "E999", AN_ERROR, 0, 10, 12, "b");
    diag_list_addf(&l, "E999", AN_ERROR, 0, 10, 11, "z");
    diag_list_addf(&l, "E999", AN_ERROR, 0, 2, 40, "a");
    diag_list_addf(&l, "E999", AN_ERROR, 0, 10, 12, "a");
    diag_list_addf(&l, "E999", AN_ERROR, 0, 10, 12, "b");   /* duplicate */
    diag_list_addf(&l, "F401", AN_WARNING, 0, 10, 12, "b"); /* duplicate */
    diag_list_addf(&l, "E999", AN_ERROR, 0, 10, 12, "a");   /* duplicate */
    diag_list_sort(&l);
    static const struct {
        uint32_t start, end;
        const char *code, *msg;
    } want[] = {
        {2, 40, "E999", "a"},  {10, 11, "E999", "z"}, {10, 12, "E999", "a"},
        {10, 12, "E999", "b"}, {10, 12, "F401", "b"},
    };
    cr_assert_eq(l.n, MG_ARRAY_LEN(want), "%zu left after sort", l.n);
    for (size_t i = 0; i < l.n; i++) {
        cr_expect_eq(l.items[i].start, want[i].start, "item %zu", i);
        cr_expect_eq(l.items[i].end, want[i].end, "item %zu", i);
        cr_expect_str_eq(l.items[i].code, want[i].code, "item %zu", i);
        cr_expect_str_eq(l.items[i].message, want[i].msg, "item %zu", i);
    }
    diag_list_release(&l);

    diag_list_init(&l);
    diag_list_sort(&l); /* empty */
    cr_expect_eq(l.n, 0);
    diag_list_addf(&l, "E999", AN_ERROR, 0, 1, 1, "x");
    diag_list_sort(&l);
    cr_expect_eq(l.n, 1);
    diag_list_release(&l);
}

/* ---- an_run_all ----------------------------------------------------------------------- */

static void init_all(void)
{
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
}

static void fini_all(void)
{
    an_fini_all();
}

static size_t run_on(const char *text, const struct an_opts *opts, struct diag_list *out)
{
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_python());
    TSTree *t = ts_parser_parse_string(p, NULL, text, (uint32_t)strlen(text));
    struct pdoc doc = {.text = text, .len = strlen(text), .tree = t, .version = 3};
    cr_assert_eq(an_run_all(&doc, opts, out), 0);
    ts_tree_delete(t);
    ts_parser_delete(p);
    return out->n;
}

/* Two E999 findings; the module docstring keeps D100 quiet. */
static const char broken[] = "\"\"\"Broken.\"\"\"\nx = (1 2)\ny = = 1\n";

Test(registry, run_all_filters, .init = init_all, .fini = fini_all)
{
    struct diag_list l;
    diag_list_init(&l);
    cr_expect_eq(run_on(broken, NULL, &l), 2);
    for (size_t i = 0; i < l.n; i++)
        cr_expect_str_eq(l.items[i].code, "E999");
    diag_list_release(&l);

    char *e999[] = {"E999"}, *e[] = {"E"}, *f[] = {"F"};
    struct an_opts ignored = {.ignore = e999, .n_ignore = 1};
    cr_expect_eq(run_on(broken, &ignored, &l), 0);
    diag_list_release(&l);
    struct an_opts other = {.select = f, .n_select = 1};
    cr_expect_eq(run_on(broken, &other, &l), 0);
    diag_list_release(&l);
    struct an_opts chosen = {.select = e, .n_select = 1, .ignore = f, .n_ignore = 1};
    cr_expect_eq(run_on(broken, &chosen, &l), 2);
    diag_list_release(&l);

    cr_expect_eq(run_on("\"\"\"Clean.\"\"\"\nx = 1\n", NULL, &l), 0);
    diag_list_release(&l);
}

Test(registry, run_all_sorts_and_keeps_existing, .init = init_all, .fini = fini_all)
{
    struct diag_list l;
    diag_list_init(&l);
    diag_list_addf(&l, "MG999", AN_HINT, 0, 1000, 1000, "already there");
    run_on(broken, NULL, &l);
    cr_assert_eq(l.n, 3);
    for (size_t i = 1; i < l.n; i++)
        cr_expect_leq(l.items[i - 1].start, l.items[i].start);
    cr_expect_str_eq(l.items[2].message, "already there");
    diag_list_release(&l);
}

Test(registry, init_twice_and_fini, .init = init_all, .fini = fini_all)
{
    /* Re-initialising (e.g. a server restart in tests) must not leak or
     * break runs; ASan checks the leak part. */
    an_fini_all();
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
    struct diag_list l;
    diag_list_init(&l);
    cr_expect_eq(run_on(broken, NULL, &l), 2);
    diag_list_release(&l);
}

static bool noqa(const char *comment, const char *code)
{
    return an_noqa_matches(comment, strlen(comment), code);
}

/* The forms Ruff accepts (crates/ruff_linter/src/noqa.rs) and flake8's prefixes. */
Test(registry, noqa_forms)
{
    cr_expect(noqa("# noqa", "F401"));
    cr_expect(noqa("#noqa", "F401"));
    cr_expect(noqa("# NOQA", "F401"));
    cr_expect(noqa("# noqa: F401", "F401"));
    cr_expect(noqa("# noqa:F401", "F401"));
    cr_expect(noqa("# noqa : F401", "F401"));
    cr_expect(noqa("# noqa: E501, F401", "F401"));
    cr_expect(noqa("# noqa: E501,F401", "F401"));
    cr_expect(noqa("# noqa: E501 F401", "F401"));
    cr_expect(noqa("# noqa: f401", "F401"));
    cr_expect(noqa("# type: ignore # noqa: F401", "F401"));
    cr_expect(noqa("# noqa: F4", "F401"), "a prefix suppresses, as in flake8");
    cr_expect(noqa("# noqa: F401 -- kept for re-export", "F401"));
    cr_expect(noqa("# noqa:", "F401"), "no valid code: blanket, as Ruff treats it");
    cr_expect_not(noqa("# noqa: E501", "F401"));
    cr_expect_not(noqa("# noqa: F4011", "F401"));
    cr_expect_not(noqa("# noqanswer", "F401"));
    cr_expect_not(noqa("# no qa", "F401"));
    cr_expect_not(noqa("# nothing here", "F401"));
}

Test(registry, noqa_suppresses_findings_in_comments_only)
{
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
    const char *text = "def f(:  # noqa: E999\n"
                       "    pass\n"
                       "s = '# noqa'; def g(:\n";
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(p, NULL, text, (uint32_t)strlen(text));
    struct pdoc doc = {.text = text, .len = strlen(text), .tree = tree};
    struct diag_list l;
    diag_list_init(&l);
    char *e999[] = {"E999"};
    struct an_opts only_e999 = {.select = e999, .n_select = 1};
    an_run_all(&doc, &only_e999, &l);
    /* The first line's error is suppressed; the '# noqa' in a string is not a comment. */
    cr_assert_gt(l.n, 0);
    for (size_t i = 0; i < l.n; i++)
        cr_expect_geq(l.items[i].start, strlen("def f(:  # noqa: E999\n    pass\n"));
    diag_list_release(&l);
    ts_tree_delete(tree);
    ts_parser_delete(p);
    an_fini_all();
}

static size_t count_findings(const char *text)
{
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(p, NULL, text, (uint32_t)strlen(text));
    struct pdoc doc = {.text = text, .len = strlen(text), .tree = tree};
    char *sel[] = {"E999"};
    struct an_opts opts = {.select = sel, .n_select = 1};
    struct diag_list l;
    diag_list_init(&l);
    an_run_all(&doc, &opts, &l);
    size_t n = l.n;
    diag_list_release(&l);
    ts_tree_delete(tree);
    ts_parser_delete(p);
    return n;
}

/* Ruff honours flake8's bare file-level "# flake8: noqa"; flake8 itself
 * ignores the form with codes, and so do we. */
Test(registry, flake8_file_noqa)
{
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
    cr_expect_eq(count_findings("# flake8: noqa\ndef f(:\n    pass\n"), 0);
    cr_expect_eq(count_findings("# FLAKE8: NOQA \ndef f(:\n    pass\n"), 0);
    cr_expect_gt(count_findings("# flake8: noqa: E999\ndef f(:\n    pass\n"), 0);
    cr_expect_gt(count_findings("x = '# flake8: noqa'\ndef f(:\n    pass\n"), 0);
    an_fini_all();
}

/* Many findings on one line share one look for its "# noqa" comment. */
Test(registry, many_findings_on_one_line)
{
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
    struct mg_buf b = {0};
    for (int i = 0; i < 2000; i++)
        mg_buf_adds(&b, "(:");
    mg_buf_adds(&b, "  # noqa: E999\n");
    cr_expect_eq(count_findings(b.data), 0);
    mg_buf_release(&b);
    an_fini_all();
}
