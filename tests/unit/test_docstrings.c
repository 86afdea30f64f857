/* Unit tests of the docstrings analyzer (D100-D107, D419, DOC101/102/104)
 * through analyzer.h: what the golden fixtures cannot show (package and
 * private paths, stub files, the style option), that every fix leaves a
 * text with nothing left to report, and hostile input. */
#include "analyzer.h"
#include "mg.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void setup(void)
{
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
}

static void teardown(void)
{
    an_fini_all();
}

TestSuite(docstrings, .init = setup, .fini = teardown);

static char *codes[] = {"D1", "D419", "DOC1", "E999"};

/* Analyse `text` as the file `path` with the docstring rules selected. */
static void analyse(const char *path, const char *text, size_t len, enum an_doc_style style,
                    struct diag_list *out)
{
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    cr_assert_not_null(tree);
    struct an_opts opts = {.select = codes, .n_select = 4, .docstring_style = style};
    struct pdoc doc = {.path = path, .text = text, .len = len, .tree = tree};
    diag_list_init(out);
    cr_assert_eq(an_run_all(&doc, &opts, out), 0);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

/* The findings as "CODE@line" words, e.g. "D100@1 D103@3". */
static char *summary(const char *text, const struct diag_list *l)
{
    struct mg_buf b = {0};
    for (size_t i = 0; i < l->n; i++) {
        unsigned line = 1;
        for (uint32_t k = 0; k < l->items[i].start; k++)
            line += text[k] == '\n';
        mg_buf_addf(&b, "%s%s@%u", i ? " " : "", l->items[i].code, line);
    }
    if (b.data == NULL)
        mg_buf_add(&b, "", 0);
    return mg_buf_detach(&b, NULL);
}

static void expect(const char *path, const char *text, const char *want)
{
    struct diag_list l;
    analyse(path, text, strlen(text), AN_DOC_STYLE_AUTO, &l);
    char *got = summary(text, &l);
    cr_assert_str_eq(got, want, "%s:\n%s", path ? path : "(no path)", text);
    free(got);
    diag_list_release(&l);
}

Test(docstrings, packages_and_private_modules)
{
    expect("pkg/__init__.py", "", "D104@1");
    expect("pkg/__init__.py", "# only a comment\n", "D104@1");
    expect("pkg/__init__.py", "\"\"\"Package.\"\"\"\n", "");
    expect("pkg/mod.py", "x = 1\n", "D100@1");
    expect("pkg/_mod.py", "x = 1\ndef f(): pass\n", "");
    expect("_pkg/mod.py", "class C:\n    def m(self): pass\n", "");
    expect("_pkg/__init__.py", "", "");
    expect("pkg/__main__.py", "x = 1\n", "D100@1");
    expect(NULL, "x = 1\n", "D100@1");
}

Test(docstrings, stub_files_report_only_empty_docstrings)
{
    expect("pkg/mod.pyi", "def f(x: int) -> int: ...\nclass C: ...\n", "");
    expect("pkg/mod.pyi", "def f():\n    \"\"\"\"\"\"\n", "D419@2");
}

Test(docstrings, noqa)
{
    expect("m.py", "\"\"\"M.\"\"\"\ndef f():  # noqa: D103\n    pass\n", "");
    expect("m.py", "\"\"\"M.\"\"\"\ndef f():  # noqa: D102\n    pass\n", "D103@2");
    expect("m.py", "# noqa: D100\nx = 1\n", "");
    expect("m.py",
           "\"\"\"M.\"\"\"\ndef f(a):  # noqa: DOC101\n    \"\"\"F.\n\n    Args:\n        b: B.\n  "
           "  \"\"\"\n",
           "DOC102@2");
}

/* The text after applying the first fix of the finding with `code`. */
static char *apply_first(const char *path, const char *text, enum an_doc_style style,
                         const char *code, char **title)
{
    struct diag_list l;
    analyse(path, text, strlen(text), style, &l);
    char *fixed = NULL;
    for (size_t i = 0; i < l.n && fixed == NULL; i++) {
        const struct an_diag *d = &l.items[i];
        if (strcmp(d->code, code) != 0 || d->n_fixes == 0)
            continue;
        cr_assert_not(d->fixes[0].safe, "a docstring fix is never safe");
        const struct an_edit **e = xcalloc(d->fixes[0].n_edits + 1, sizeof(*e));
        for (size_t k = 0; k < d->fixes[0].n_edits; k++)
            e[k] = &d->fixes[0].edits[k];
        fixed = an_apply_edits(text, strlen(text), e, d->fixes[0].n_edits, NULL);
        if (title)
            *title = xstrdup(d->fixes[0].title);
        free(e);
    }
    diag_list_release(&l);
    cr_assert_not_null(fixed, "no fix for %s in:\n%s", code, text);
    return fixed;
}

/* Fix `code` in `text` in `style`; the result must be `want` and report
 * nothing. */
static void expect_fix(enum an_doc_style style, const char *text, const char *code,
                       const char *want)
{
    char *fixed = apply_first("m.py", text, style, code, NULL);
    cr_assert_str_eq(fixed, want, "fixing %s in:\n%s", code, text);
    struct diag_list l;
    analyse("m.py", fixed, strlen(fixed), style, &l);
    char *left = summary(fixed, &l);
    cr_assert_str_eq(left, "", "after the fix:\n%s\nstill: %s", fixed, left);
    free(left);
    diag_list_release(&l);
    free(fixed);
}

Test(docstrings, style_option_wins_over_the_file)
{
    /* The file's docstrings are Google style; the option says NumPy. */
    const char *text = "\"\"\"M.\n\nArgs:\n    none: Nothing.\n\"\"\"\n"
                       "def f(a: int) -> str:\n    return str(a)\n";
    expect_fix(AN_DOC_STYLE_NUMPY, text, "D103",
               "\"\"\"M.\n\nArgs:\n    none: Nothing.\n\"\"\"\n"
               "def f(a: int) -> str:\n"
               "    \"\"\"F.\n\n    Parameters\n    ----------\n    a : int\n\n"
               "    Returns\n    -------\n    str\n    \"\"\"\n"
               "    return str(a)\n");
    expect_fix(AN_DOC_STYLE_SPHINX, text, "D103",
               "\"\"\"M.\n\nArgs:\n    none: Nothing.\n\"\"\"\n"
               "def f(a: int) -> str:\n"
               "    \"\"\"F.\n\n    :param a:\n    :type a: int\n    :returns:\n"
               "    :rtype: str\n    \"\"\"\n"
               "    return str(a)\n");
    char *title = NULL;
    char *fixed = apply_first("m.py", text, AN_DOC_STYLE_AUTO, "D103", &title);
    cr_assert_str_eq(title, "Insert a docstring stub (Google style)");
    free(title);
    free(fixed);
}

Test(docstrings, stubs_leave_nothing_to_report)
{
    static const char *const defs[] = {
        "def f(a, b: int = 1, *args: str, c, **kw) -> int:\n    if a:\n        raise "
        "ValueError(a)\n    return b\n",
        "def g(x):\n    yield x\n",
        "async def h(self_, /, y: 'dict[str, int]'):\n    return await y\n",
        "class C:\n    def __init__(self, a):\n        \"\"\"Init.\"\"\"\n    def m(self, *, k): "
        "return "
        "k\n",
        "def one(a): return a\n",
        "def weird(a: Callable[\n    [int],\n    str,\n]) -> None: pass\n",
        "def quotes(a: 'Literal[\"x\"]') -> 'Literal[\"\"\"]': pass\n",
        "def slash(a: 'Literal[\"\\\\\"]'): pass\n",
    };
    static const enum an_doc_style styles[] = {AN_DOC_STYLE_GOOGLE, AN_DOC_STYLE_NUMPY,
                                               AN_DOC_STYLE_SPHINX};
    for (size_t s = 0; s < MG_ARRAY_LEN(styles); s++)
        for (size_t i = 0; i < MG_ARRAY_LEN(defs); i++) {
            char *text = xasprintf("\"\"\"M.\"\"\"\n%s", defs[i]);
            /* fix every finding, one at a time, until none is left */
            for (int round = 0; round < 8; round++) {
                struct diag_list l;
                analyse("m.py", text, strlen(text), styles[s], &l);
                size_t n = l.n;
                const char *code = n ? l.items[0].code : NULL;
                char *c = code ? xstrdup(code) : NULL;
                diag_list_release(&l);
                if (n == 0)
                    break;
                cr_assert(round < 7, "style %zu, def %zu: findings remain:\n%s", s, i, text);
                char *fixed = apply_first("m.py", text, styles[s], c, NULL);
                free(c);
                free(text);
                text = fixed;
            }
            /* the result parses */
            TSParser *p = ts_parser_new();
            ts_parser_set_language(p, tree_sitter_python());
            TSTree *t = ts_parser_parse_string(p, NULL, text, (uint32_t)strlen(text));
            cr_assert_not(ts_node_has_error(ts_tree_root_node(t)), "does not parse:\n%s", text);
            ts_tree_delete(t);
            ts_parser_delete(p);
            free(text);
        }
}

Test(docstrings, stale_fix_keeps_the_authors_words)
{
    expect_fix(AN_DOC_STYLE_AUTO,
               "\"\"\"M.\"\"\"\ndef f(a, c, b):\n    \"\"\"F.\n\n    Args:\n        b: Bee, with\n"
               "            two lines.\n        gone: Gone.\n        a: Ay.\n    \"\"\"\n",
               "DOC101",
               "\"\"\"M.\"\"\"\ndef f(a, c, b):\n    \"\"\"F.\n\n    Args:\n        a: Ay.\n"
               "        c:\n        b: Bee, with\n            two lines.\n    \"\"\"\n");
}

Test(docstrings, stub_of_module_without_path)
{
    /* Neither path nor URI: the finding stays, no stub is guessed. */
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    const char *text = "x = 1\n";
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)strlen(text));
    struct pdoc doc = {.text = text, .len = strlen(text), .tree = tree};
    struct diag_list l;
    diag_list_init(&l);
    an_run_all(&doc, NULL, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.items[0].code, "D100");
    cr_assert_eq(l.items[0].n_fixes, 0);
    diag_list_release(&l);
    /* With a URI, its file name gives the summary. */
    doc.uri = "file:///x/user_utils.py";
    diag_list_init(&l);
    an_run_all(&doc, NULL, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.items[0].n_fixes, 1);
    cr_assert_str_eq(l.items[0].fixes[0].edits[0].new_text, "\"\"\"User utils.\"\"\"\n\n");
    diag_list_release(&l);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

/* Every finding within the text; every fix's edits sorted, disjoint,
 * within the text. */
static void check_sane(const char *text, size_t len, const struct diag_list *l)
{
    (void)text;
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        cr_assert_leq(d->start, d->end);
        cr_assert_leq(d->end, len);
        for (size_t f = 0; f < d->n_fixes; f++) {
            uint32_t prev = 0;
            for (size_t e = 0; e < d->fixes[f].n_edits; e++) {
                const struct an_edit *ed = &d->fixes[f].edits[e];
                cr_assert_leq(prev, ed->start);
                cr_assert_leq(ed->start, ed->end);
                cr_assert_leq(ed->end, len);
                prev = ed->end;
            }
        }
    }
}

static void hostile(const char *text, size_t len)
{
    struct diag_list l;
    analyse("m.py", text, len, AN_DOC_STYLE_AUTO, &l);
    check_sane(text, len, &l);
    diag_list_release(&l);
}

Test(docstrings, hostile_input)
{
    struct mg_buf b = {0};
    /* 2,000 nested ifs, each with a def inside. */
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "if x:\n");
        for (int k = 0; k <= i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "def f(a): pass\n");
    }
    hostile(b.data, b.len);
    mg_buf_release(&b);

    /* 1,000 nested classes. */
    for (int i = 0; i < 1000; i++) {
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, "\t");
        mg_buf_addf(&b, "class C%d:\n", i);
    }
    for (int k = 0; k < 1000; k++)
        mg_buf_adds(&b, "\t");
    mg_buf_adds(&b, "pass\n");
    hostile(b.data, b.len);
    mg_buf_release(&b);

    /* 10,000 nested parentheses in a default value and a docstring. */
    mg_buf_adds(&b, "def f(a=");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "1");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, "):\n    \"\"\"F.\n\n    Args:\n        b: B.\n    \"\"\"\n");
    hostile(b.data, b.len);
    mg_buf_release(&b);

    /* A 1 MB line: a docstring with one huge line, and a huge signature. */
    mg_buf_adds(&b, "def f(a):\n    \"\"\"");
    for (int i = 0; i < 1 << 20; i++)
        mg_buf_adds(&b, "x");
    mg_buf_adds(&b, "\n\n    Args:\n        a: A.\n        b: B.\n    \"\"\"\ndef g(");
    for (int i = 0; i < 50000; i++)
        mg_buf_addf(&b, "a%d, ", i);
    mg_buf_adds(&b, "): pass\n");
    hostile(b.data, b.len);
    mg_buf_release(&b);

    /* Broken code in many shapes. */
    static const char *const broken[] = {
        "def",
        "def f(",
        "def f(a,:\n    \"\"\"\n",
        "class C(:\n  def m(self):\n",
        "def f():\n    \"\"\"Doc.\n\n    Args:\n",
        "def f(a):\n    \"\"\"Doc.\n\n    Args:\n        a",
        "def f(a):\n    '''\n    Parameters\n    ----------\n    '''",
        "def f(a):\n    ''':param'''",
        "def f(a):\n    ''':param :'''",
        "@\ndef f(): pass",
        "\"\"\"",
        "def f(): \\\n  pass\n",
        "def f(a): \"\"\"A.\n\nArgs:\n  b: B.\"\"\"; return a",
        "\377\376def f(): pass",
        "lambda: (yield)\n",
        "def f():\n    try:\n        pass\n    except:\n        raise\n",
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(broken); i++)
        hostile(broken[i], strlen(broken[i]));
}

/* Two threads analysing at once (margin check runs two). */
static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        const char *text = "def f(a, b):\n    \"\"\"F.\n\n    Args:\n        c: C.\n    \"\"\"\n"
                           "class C:\n    def m(self): pass\n";
        struct diag_list l;
        analyse("m.py", text, strlen(text), AN_DOC_STYLE_AUTO, &l);
        diag_list_release(&l);
    }
    return NULL;
}

Test(docstrings, two_threads)
{
    pthread_t a, b;
    pthread_create(&a, NULL, worker, NULL);
    pthread_create(&b, NULL, worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
}
