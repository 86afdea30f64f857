/* Unit tests of the imports analyzer (F401), through analyzer.h: what the
 * golden fixtures cannot show (relatedInformation, noqa_also, tags, options,
 * `__init__.py` fixes) and hostile input (deep nesting, huge lines, broken
 * code, two threads at once). */
#include "analyzer.h"
#include "mg.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct analyzer an_imports;

static void setup(void)
{
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
}

static void teardown(void)
{
    an_fini_all();
}

TestSuite(imports, .init = setup, .fini = teardown);

static char *select_f401[] = {"F401"};

/* Parse `text` and collect the F401 findings of a file at `path`. */
static void analyse_opts(const char *text, size_t len, const char *path, struct an_opts *opts,
                         struct diag_list *out)
{
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    cr_assert_not_null(tree);
    opts->select = select_f401;
    opts->n_select = 1;
    struct pdoc doc = {.path = path, .text = text, .len = len, .tree = tree, .version = 1};
    diag_list_init(out);
    cr_assert_eq(an_run_all(&doc, opts, out), 0);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

static void analyse(const char *text, const char *path, struct diag_list *out)
{
    struct an_opts opts = {0};
    analyse_opts(text, strlen(text), path, &opts, out);
}

static bool parses(const char *text, size_t len)
{
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    bool ok = tree != NULL && !ts_node_has_error(ts_tree_root_node(tree));
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    return ok;
}

/* The text after applying fix `f`; caller frees. */
static char *apply(const char *text, const struct an_fix *f)
{
    const struct an_edit **e = xcalloc(f->n_edits + 1, sizeof(*e));
    for (size_t i = 0; i < f->n_edits; i++)
        e[i] = &f->edits[i];
    char *out = an_apply_edits(text, strlen(text), e, f->n_edits, NULL);
    free(e);
    return out;
}

/* Every finding: F401, a warning, greyed out, in bounds, one line of
 * message; every fix sorted, non-overlapping, in bounds. */
static void check_sane(const struct diag_list *l, size_t len)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        cr_assert_str_eq(d->code, "F401");
        cr_assert_eq(d->severity, AN_WARNING);
        cr_assert(d->tags & AN_TAG_UNNECESSARY);
        cr_assert_leq(d->start, d->end);
        cr_assert_leq(d->end, len);
        cr_assert_null(strchr(d->message, '\n'));
        for (size_t k = 0; k < d->n_related; k++)
            cr_assert_leq(d->related[k].end, len);
        for (size_t j = 0; j < d->n_fixes; j++) {
            const struct an_fix *f = &d->fixes[j];
            cr_assert_gt(f->n_edits, 0);
            for (size_t k = 0; k < f->n_edits; k++) {
                cr_assert_leq(f->edits[k].start, f->edits[k].end);
                cr_assert_leq(f->edits[k].end, len);
                if (k > 0)
                    cr_assert_leq(f->edits[k - 1].end, f->edits[k].start);
            }
        }
    }
}

static const struct an_diag *find(const struct diag_list *l, const char *needle)
{
    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->items[i].message, needle) != NULL)
            return &l->items[i];
    return NULL;
}

Test(imports, finding_shape)
{
    const char *src = "import os\nfrom collections import (\n    OrderedDict,\n)\n";
    struct diag_list l;
    analyse(src, "m.py", &l);
    check_sane(&l, strlen(src));
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].message, "`os` imported but unused");
    cr_assert_eq(l.items[0].start, 7);
    cr_assert_eq(l.items[0].end, 9);
    /* On the name's line, and the statement's first line for noqa. */
    const struct an_diag *d = &l.items[1];
    cr_assert_str_eq(d->message, "`collections.OrderedDict` imported but unused");
    cr_assert_eq(d->start, (uint32_t)(strstr(src, "OrderedDict") - src));
    cr_assert(d->has_noqa_also);
    cr_assert_eq(d->noqa_also, 10);
    cr_assert_eq(d->n_fixes, 1);
    cr_assert(d->fixes[0].safe);
    diag_list_release(&l);
}

Test(imports, dotted_range)
{
    const char *src = "import os.path\nimport a.b as c\n";
    struct diag_list l;
    analyse(src, "m.py", &l);
    cr_assert_eq(l.n, 2);
    cr_assert_eq(l.items[0].end - l.items[0].start, strlen("os.path"));
    cr_assert_str_eq(l.items[1].message, "`a.b` imported but unused");
    cr_assert_eq(l.items[1].end - l.items[1].start, strlen("a.b as c"));
    diag_list_release(&l);
}

Test(imports, related_points_at_rebinding)
{
    const char *src = "import json\njson = {}\nprint(json)\n";
    struct diag_list l;
    analyse(src, "m.py", &l);
    cr_assert_eq(l.n, 1);
    const struct an_diag *d = &l.items[0];
    cr_assert_eq(d->n_related, 1);
    cr_assert_eq(d->related[0].start, 12);
    cr_assert_eq(d->related[0].end, 16);
    cr_assert_str_eq(d->related[0].message, "`json` is redefined here before the import is used");
    diag_list_release(&l);

    /* No later use: the rebinding is not why the import is unused. */
    analyse("import json\njson = {}\n", "m.py", &l);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.items[0].n_related, 0);
    diag_list_release(&l);

    /* A use in a function defined before the rebinding may see the import. */
    analyse("import json\ndef f():\n    return json\njson = {}\n", "m.py", &l);
    cr_assert_eq(l.n, 0);
    diag_list_release(&l);
}

Test(imports, allow_list)
{
    const char *src = "import hvplot.pandas\nfrom hvplot import scatter\nimport hvplotx\n"
                      "import readline\n";
    char *allow[] = {"hvplot", "readline"};
    struct an_opts opts = {.allowed_unused_imports = allow, .n_allowed_unused_imports = 2};
    struct diag_list l;
    analyse_opts(src, strlen(src), "m.py", &opts, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.items[0].message, "`hvplotx` imported but unused");
    diag_list_release(&l);
}

Test(imports, not_selected)
{
    const char *src = "import os\n";
    char *sel[] = {"E999"};
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(parser, NULL, src, (uint32_t)strlen(src));
    struct an_opts opts = {.select = sel, .n_select = 1};
    struct pdoc doc = {.text = src, .len = strlen(src), .tree = tree};
    struct diag_list l;
    diag_list_init(&l);
    an_run_all(&doc, &opts, &l);
    cr_assert_eq(l.n, 0);
    diag_list_release(&l);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

/* __init__.py: re-export fixes, never removal, never in fix-all. */
struct init_case {
    const char *src, *needle;
    const char *want[2]; /* the text after each fix, in order */
};

static void check_init(const struct init_case *c)
{
    struct diag_list l;
    analyse(c->src, "pkg/__init__.py", &l);
    check_sane(&l, strlen(c->src));
    const struct an_diag *d = find(&l, c->needle);
    cr_assert_not_null(d, "%s: no finding for %s", c->src, c->needle);
    cr_assert(strstr(d->message, "consider removing, adding to `__all__`, or using a redundant "
                                 "alias") != NULL,
              "%s", d->message);
    size_t want_n = c->want[1] ? 2 : c->want[0] ? 1 : 0;
    cr_assert_eq(d->n_fixes, want_n, "%s: %zu fixes", c->src, d->n_fixes);
    for (size_t i = 0; i < d->n_fixes; i++) {
        cr_assert_not(d->fixes[i].safe);
        char *fixed = apply(c->src, &d->fixes[i]);
        cr_assert_str_eq(fixed, c->want[i], "fix '%s' of\n%s", d->fixes[i].title, c->src);
        cr_assert(parses(fixed, strlen(fixed)));
        struct diag_list after;
        analyse(fixed, "pkg/__init__.py", &after);
        cr_assert_null(find(&after, c->needle), "still reported after '%s'", d->fixes[i].title);
        cr_assert_eq(after.n + 1, l.n);
        diag_list_release(&after);
        free(fixed);
    }
    const struct an_edit **all;
    cr_assert_eq(diag_list_fix_all(&l, &all), 0);
    free(all);
    diag_list_release(&l);
}

Test(imports, init_reexport_fixes)
{
    static const struct init_case cases[] = {
        {"from .a import x\n__all__ = [\"y\"]\n",
         "`.a.x`",
         {"from .a import x\n__all__ = [\"y\", \"x\"]\n",
          "from .a import x as x\n__all__ = [\"y\"]\n"}},
        {"from .a import x\n__all__ = ('y',)\n",
         "`.a.x`",
         {"from .a import x\n__all__ = ('y', 'x',)\n",
          "from .a import x as x\n__all__ = ('y',)\n"}},
        {"from .a import x\n__all__ = [\n    \"y\",  # why\n]\n",
         "`.a.x`",
         {"from .a import x\n__all__ = [\n    \"y\",  # why\n    \"x\",\n]\n",
          "from .a import x as x\n__all__ = [\n    \"y\",  # why\n]\n"}},
        {"from .a import x\n__all__ = []\n",
         "`.a.x`",
         {"from .a import x\n__all__ = [\"x\"]\n", "from .a import x as x\n__all__ = []\n"}},
        {"from .a import x\n__all__ = ()\n",
         "`.a.x`",
         {"from .a import x\n__all__ = (\"x\",)\n", "from .a import x as x\n__all__ = ()\n"}},
        {"from .a import x\n__all__ = \"y\", \"z\"\n",
         "`.a.x`",
         {"from .a import x\n__all__ = \"y\", \"z\", \"x\"\n",
          "from .a import x as x\n__all__ = \"y\", \"z\"\n"}},
        /* No __all__, or more than one: only the redundant alias. */
        {"import json\n", "`json`", {"import json as json\n", NULL}},
        {"from . import sub\n__all__ = []\n__all__ += []\n",
         "`.sub`",
         {"from . import sub as sub\n__all__ = []\n__all__ += []\n", NULL}},
        /* An alias cannot be made redundant: only __all__. */
        {"from .a import x as y\n__all__ = []\n",
         "`.a.x`",
         {"from .a import x as y\n__all__ = [\"y\"]\n", NULL}},
        /* `import a.b` binds `a`: neither fix fits. */
        {"import a.b\n", "`a.b`", {NULL, NULL}},
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++)
        check_init(&cases[i]);
}

Test(imports, init_only_at_module_level)
{
    const char *src = "def f():\n    import json\n";
    struct diag_list l;
    analyse(src, "pkg/__init__.py", &l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.items[0].message, "`json` imported but unused");
    cr_assert_eq(l.items[0].n_fixes, 1);
    cr_assert(l.items[0].fixes[0].safe);
    diag_list_release(&l);
}

Test(imports, availability_has_no_fix)
{
    const char *src = "try:\n    import ujson\nexcept ImportError:\n    pass\n";
    struct diag_list l;
    analyse(src, "m.py", &l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.items[0].message, "`ujson` imported but unused; consider using "
                                         "`importlib.util.find_spec` to test for availability");
    cr_assert_eq(l.items[0].n_fixes, 0);
    diag_list_release(&l);
}

/* fix-all removes every safe finding in one round, and the result parses
 * and reports only what had no safe fix. */
Test(imports, fix_all_one_round)
{
    const char *src = "import a, b\nimport c; import d\nif a:\n    import e\n    import f\n"
                      "from g import (\n    h,  # h\n    i,\n)\ntry:\n    import j\n"
                      "except ImportError:\n    pass\n";
    struct diag_list l;
    analyse(src, "m.py", &l);
    check_sane(&l, strlen(src));
    size_t safe = 0;
    for (size_t i = 0; i < l.n; i++)
        for (size_t j = 0; j < l.items[i].n_fixes; j++)
            if (l.items[i].fixes[j].safe) {
                safe++;
                break;
            }
    const struct an_edit **all;
    size_t n = diag_list_fix_all(&l, &all);
    size_t len;
    char *fixed = an_apply_edits(src, strlen(src), all, n, &len);
    free(all);
    cr_assert(parses(fixed, len), "%s", fixed);
    cr_assert_str_eq(fixed, "import a\nif a:\n    pass\ntry:\n    import j\n"
                            "except ImportError:\n    pass\n");
    struct diag_list after;
    analyse(fixed, "m.py", &after);
    cr_assert_eq(after.n, l.n - safe);
    diag_list_release(&after);
    free(fixed);
    diag_list_release(&l);
}

/* ---- hostile input ---- */

static void run_sane(const char *text, size_t len)
{
    struct an_opts opts = {0};
    struct diag_list l;
    analyse_opts(text, len, "m.py", &opts, &l);
    check_sane(&l, len);
    diag_list_release(&l);
}

Test(imports, deep_parentheses)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "import os\nx = ");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "os");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, "\n");
    run_sane(b.data, b.len);
    mg_buf_release(&b);
}

Test(imports, deep_ifs_and_defs)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "import os\nimport sys\n");
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, i % 3 == 0 ? "if os:\n" : i % 3 == 1 ? "def f(a=sys):\n" : "for x in y:\n");
    }
    for (int k = 0; k < 2000; k++)
        mg_buf_adds(&b, " ");
    mg_buf_adds(&b, "import os\n");
    run_sane(b.data, b.len);
    mg_buf_release(&b);
}

Test(imports, deep_expressions)
{
    static const char *const shapes[] = {
        "lambda: ", "[x for x in ", "{", "f(", "a[", "not ", "-", "await ", "(yield ",
    };
    static const char *const closers[] = {"", "]", "}", ")", "]", "", "", "", ")"};
    for (size_t s = 0; s < MG_ARRAY_LEN(shapes); s++) {
        struct mg_buf b = {0};
        mg_buf_adds(&b, "import os\nv = ");
        for (int i = 0; i < 3000; i++)
            mg_buf_adds(&b, shapes[s]);
        mg_buf_adds(&b, "os");
        for (int i = 0; i < 3000; i++)
            mg_buf_adds(&b, closers[s]);
        mg_buf_adds(&b, "\n");
        run_sane(b.data, b.len);
        mg_buf_release(&b);
    }
}

Test(imports, huge_line)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "import os, sys\nx = [");
    while (b.len < (1u << 20))
        mg_buf_adds(&b, "os, 'sys', ");
    mg_buf_adds(&b, "]\n");
    run_sane(b.data, b.len);
    mg_buf_release(&b);
}

/* 20,000 names in one statement, all but one unused: linear, not
 * quadratic. The analyzer alone (the registry's noqa lookup is per
 * finding and per line). */
Test(imports, many_names_one_statement)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "from m import (");
    for (int i = 0; i < 20000; i++)
        mg_buf_addf(&b, "n%d, ", i);
    mg_buf_adds(&b, ")\nprint(n5)\n");
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(parser, NULL, b.data, (uint32_t)b.len);
    struct pdoc doc = {.text = b.data, .len = b.len, .tree = tree};
    struct diag_list l;
    diag_list_init(&l);
    cr_assert_eq(an_imports.run(&doc, NULL, &l), 0);
    cr_assert_eq(l.n, 19999);
    check_sane(&l, b.len);
    /* One joint fix for the statement, the same in every finding. */
    cr_assert_eq(l.items[0].n_fixes, 2);
    cr_assert_not(l.items[0].fixes[0].safe);
    cr_assert(l.items[0].fixes[1].safe);
    cr_assert_eq(l.items[0].fixes[1].n_edits, 2);
    diag_list_release(&l);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    mg_buf_release(&b);
}

Test(imports, deep_string_annotations)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "import os\nx: \"");
    for (int i = 0; i < 200; i++)
        mg_buf_adds(&b, "List['");
    mg_buf_adds(&b, "os");
    mg_buf_adds(&b, "\"\n");
    run_sane(b.data, b.len);
    mg_buf_release(&b);
}

Test(imports, broken_code)
{
    static const char *const snippets[] = {
        "import\n",
        "from import x\n",
        "from . import (\n",
        "import os as\n",
        "from a import (b,\n  c\nimport d\n",
        "import os\ndef f(:\n    os\n",
        "import os\nclass A(os.B:\n",
        "import os\nx = [os for\n",
        "import os\nmatch x:\n  case os.",
        "import os\ntry:\nexcept ImportError:\n",
        "import os\n@\ndef f(): pass\n",
        "import os\nwith os as:\n",
        "\x01\x02import\xff\xfe os\n",
        "import os\n\"\"\"\n",
        "import os\nf'{os'\n",
        "import os\nx: 'os[' = 1\n",
        "import os\n# type: (os\n",
        "import os\ntype X = \n",
        "import os\ndef f[T: os(]: pass\n",
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(snippets); i++)
        run_sane(snippets[i], strlen(snippets[i]));
    /* Every prefix of a file using every construct. */
    const char *full =
        "from __future__ import annotations\nimport os, sys as system\nfrom . import (a,\n  b)\n"
        "try:\n    import ujson\nexcept ImportError:\n    ujson = None\n"
        "@dec(os)\nclass C[T](Base, meta=system):\n    x: 'List[a]' = [i async for i in b]\n"
        "    def m(self, p: os.PathLike = os.sep, *args, **kw) -> None:\n"
        "        global g\n        nonlocal_ = lambda q=1: q\n        del self.x\n"
        "        match p:\n            case os.sep | [1, *rest] | {'k': v, **kw2}: pass\n"
        "            case Point(x=0) as pt if pt: pass\n"
        "        with open(p) as f, g() as (h, i):\n            pass\n"
        "        for j in range(3):\n            (k := j)\n        else:\n            pass\n"
        "        while False:\n            break\n        return f'{system!r:>{os.sep}}'\n"
        "__all__ = ['a'] + ['b']\n__all__ += ('c',)\n__all__.extend(['d'])\n"
        "type Alias[K] = dict[K, 'os.PathLike']\nx = []  # type: List[sys]\n";
    size_t n = strlen(full);
    for (size_t cut = 0; cut <= n; cut++) {
        char *prefix = xstrndup(full, cut);
        run_sane(prefix, cut);
        free(prefix);
    }
}

struct thread_arg {
    const char *src;
    size_t n_found;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 20; i++) {
        struct an_opts opts = {0};
        struct diag_list l;
        analyse_opts(a->src, strlen(a->src), "m.py", &opts, &l);
        a->n_found = l.n;
        diag_list_release(&l);
    }
    return NULL;
}

Test(imports, two_threads)
{
    const char *src = "import os, sys\nfrom typing import List\nx: 'List[int]' = []\n"
                      "def f():\n    import json\n    return sys\n";
    struct thread_arg a = {src, 0}, b = {src, 0};
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, thread_main, &a), 0);
    cr_assert_eq(pthread_create(&tb, NULL, thread_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert_eq(a.n_found, 2);
    cr_assert_eq(b.n_found, 2);
}
