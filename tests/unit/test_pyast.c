/* Unit tests of the Python AST helpers (pyast.h): definitions with their
 * kind, decorators and visibility, docstrings, parameters, node text. */
#include "pyast.h"
#include "mg.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parsed {
    TSParser *parser;
    TSTree *tree;
    struct pdoc doc;
    struct py_module m;
};

static void parse(struct parsed *p, const char *path, const char *text)
{
    memset(p, 0, sizeof(*p));
    p->parser = ts_parser_new();
    ts_parser_set_language(p->parser, tree_sitter_python());
    p->tree = ts_parser_parse_string(p->parser, NULL, text, (uint32_t)strlen(text));
    cr_assert_not_null(p->tree);
    p->doc = (struct pdoc){.path = path, .text = text, .len = strlen(text), .tree = p->tree};
    cr_assert_eq(py_module_scan(&p->doc, &p->m), 0);
}

static void release(struct parsed *p)
{
    py_module_release(&p->m);
    ts_tree_delete(p->tree);
    ts_parser_delete(p->parser);
}

/* The definition called `name` (the first one). */
static const struct py_def *def_named(const struct parsed *p, const char *name)
{
    for (size_t i = 0; i < p->m.n_defs; i++)
        if (py_text_eq(&p->doc, p->m.defs[i].name, name))
            return &p->m.defs[i];
    cr_assert_fail("no definition '%s'", name);
    return NULL;
}

Test(pyast, text_helpers)
{
    struct parsed p;
    parse(&p, NULL, "def f(): pass\n");
    const struct py_def *d = def_named(&p, "f");
    uint32_t len;
    const char *s = py_text(&p.doc, d->name, &len);
    cr_assert_eq(len, 1);
    cr_assert_eq(s[0], 'f');
    cr_assert(py_is(d->node, "function_definition"));
    cr_assert_not(py_text_eq(&p.doc, d->name, "ff"));
    cr_assert_not(py_text_eq(&p.doc, (TSNode){0}, ""));
    cr_assert_str_eq(py_text(&p.doc, (TSNode){0}, &len), "");
    cr_assert_eq(len, 0);
    cr_assert(py_name_is_magic("__init__", 8));
    cr_assert(py_name_is_magic("__", 2));
    cr_assert_not(py_name_is_magic("_init_", 6));
    cr_assert_not(py_name_is_magic("__init", 6));
    release(&p);
}

Test(pyast, kinds_parents_and_order)
{
    struct parsed p;
    parse(&p, "pkg/mod.py",
          "def f():\n"
          "    def inner():\n"
          "        class InFunc: pass\n"
          "class C:\n"
          "    def m(self): pass\n"
          "    class N:\n"
          "        def nm(self): pass\n"
          "if True:\n"
          "    def g(): pass\n"
          "    try:\n"
          "        class D: pass\n"
          "    except E:\n"
          "        pass\n");
    const char *names[] = {"f", "inner", "InFunc", "C", "m", "N", "nm", "g", "D"};
    enum py_def_kind kinds[] = {PY_FUNCTION, PY_NESTED_FUNCTION, PY_NESTED_CLASS,
                                PY_CLASS,    PY_METHOD,          PY_NESTED_CLASS,
                                PY_METHOD,   PY_FUNCTION,        PY_CLASS};
    int parents[] = {-1, 0, 1, -1, 3, 3, 5, -1, -1};
    bool pub[] = {true, false, false, true, true, true, true, true, true};
    cr_assert_eq(p.m.n_defs, 9);
    for (size_t i = 0; i < 9; i++) {
        const struct py_def *d = &p.m.defs[i];
        cr_assert(py_text_eq(&p.doc, d->name, names[i]), "def %zu is not %s", i, names[i]);
        cr_assert_eq(d->kind, kinds[i], "%s: kind %d", names[i], d->kind);
        cr_assert_eq(d->parent, parents[i], "%s: parent %d", names[i], d->parent);
        cr_assert_eq(d->is_public, pub[i], "%s: public %d", names[i], d->is_public);
        cr_assert(py_is(d->body, "block"));
    }
    cr_assert(p.m.is_public);
    cr_assert_not(p.m.is_package);
    release(&p);
}

Test(pyast, nested_definitions_in_function_bodies)
{
    struct parsed p;
    parse(&p, NULL,
          "def f(default=1):\n"
          "    x = 'class'  # no definition here\n"
          "    @wrap\n"
          "    def deco(): pass\n"
          "    async def co(): pass\n"
          "    if x:\n"
          "        class K: pass\n"
          "def g():\n"
          "    return 'def'\n");
    cr_assert_eq(p.m.n_defs, 5);
    cr_assert_eq(def_named(&p, "deco")->kind, PY_NESTED_FUNCTION);
    cr_assert_eq(def_named(&p, "co")->flags, PY_ASYNC);
    cr_assert_eq(def_named(&p, "K")->kind, PY_NESTED_CLASS);
    cr_assert_eq(def_named(&p, "K")->parent, 0);
    cr_assert_eq(def_named(&p, "g")->parent, -1);
    release(&p);
}

Test(pyast, decorators)
{
    struct parsed p;
    parse(&p, NULL,
          "import typing as t\n"
          "from typing_extensions import override as ovr\n"
          "import functools\n"
          "class C:\n"
          "    @staticmethod\n"
          "    def s(x): pass\n"
          "    @classmethod\n"
          "    def c(cls): pass\n"
          "    @property\n"
          "    def p(self): pass\n"
          "    @p.setter\n"
          "    def p2(self, v): pass\n"
          "    @p.setter\n"
          "    def p(self, v): pass\n"
          "    @p.deleter\n"
          "    def p(self): pass\n"
          "    @t.overload\n"
          "    def o(self): pass\n"
          "    @ovr\n"
          "    def r(self): pass\n"
          "    @functools.cached_property\n"
          "    def cp(self): pass\n"
          "    @overload\n" /* not imported: not typing's */
          "    def notov(self): pass\n"
          "    @foo.bar(1)\n"
          "    async def a(self): pass\n"
          "    def __eq__(self, o): pass\n");
    cr_assert_eq(def_named(&p, "s")->flags, PY_DECORATED | PY_STATICMETHOD);
    cr_assert_eq(def_named(&p, "c")->flags, PY_DECORATED | PY_CLASSMETHOD);
    cr_assert_eq(p.m.defs[3].flags, PY_DECORATED | PY_PROPERTY); /* p */
    cr_assert_eq(def_named(&p, "p2")->flags, PY_DECORATED);      /* another name's setter */
    cr_assert_eq(p.m.defs[5].flags, PY_DECORATED | PY_SETTER);
    cr_assert_not(p.m.defs[5].is_public);
    cr_assert_eq(p.m.defs[6].flags, PY_DECORATED | PY_DELETER);
    cr_assert_not(p.m.defs[6].is_public);
    cr_assert_eq(def_named(&p, "o")->flags, PY_DECORATED | PY_OVERLOAD);
    cr_assert_eq(def_named(&p, "r")->flags, PY_DECORATED | PY_OVERRIDE);
    cr_assert_eq(def_named(&p, "cp")->flags, PY_DECORATED | PY_PROPERTY);
    cr_assert_eq(def_named(&p, "notov")->flags, PY_DECORATED);
    cr_assert_eq(def_named(&p, "a")->flags, PY_DECORATED | PY_ASYNC);
    cr_assert(ts_node_eq(def_named(&p, "a")->outer, ts_node_parent(def_named(&p, "a")->node)));
    cr_assert(py_is(def_named(&p, "a")->outer, "decorated_definition"));
    cr_assert(ts_node_eq(def_named(&p, "__eq__")->outer, def_named(&p, "__eq__")->node));
    cr_assert_eq(def_named(&p, "__eq__")->flags, PY_MAGIC);
    cr_assert(def_named(&p, "__eq__")->is_public);
    release(&p);
}

Test(pyast, qualified_names)
{
    struct parsed p;
    parse(&p, NULL,
          "import os.path\n"
          "import a.b as ab\n"
          "from typing import overload as ov\n"
          "from . import sib\n"
          "from ..up import thing\n"
          "@os.path.join\n"
          "@ab.c(1)\n"
          "@ov\n"
          "@sib.x\n"
          "@thing\n"
          "@plain\n"
          "@(lambda f: f)\n"
          "def f(): pass\n");
    const char *want[] = {"os.path.join", "a.b.c",      "typing.overload",
                          ".sib.x",       "..up.thing", "plain"};
    TSNode outer = p.m.defs[0].outer;
    size_t k = 0;
    for (uint32_t i = 0; i < ts_node_named_child_count(outer); i++) {
        TSNode deco = ts_node_named_child(outer, i);
        if (!py_is(deco, "decorator"))
            continue;
        char buf[64];
        bool ok = py_qualified_name(&p.doc, &p.m, deco, buf, sizeof(buf));
        if (k < 6) {
            cr_assert(ok, "decorator %zu", k);
            cr_assert_str_eq(buf, want[k]);
        } else {
            cr_assert_not(ok);
            cr_assert_str_eq(buf, "");
        }
        k++;
    }
    cr_assert_eq(k, 7);
    char tiny[4];
    cr_assert_not(py_qualified_name(&p.doc, &p.m, ts_node_named_child(outer, 0), tiny, 4));
    release(&p);
}

Test(pyast, visibility_private_names_and_parents)
{
    struct parsed p;
    parse(&p, NULL,
          "class _Priv:\n"
          "    def pub(self): pass\n"
          "    class Inner: pass\n"
          "class Pub:\n"
          "    def _p(self): pass\n"
          "    def __init__(self): pass\n"
          "    def __p(self): pass\n"
          "    class _N:\n"
          "        def m(self): pass\n"
          "def _f(): pass\n");
    cr_assert_not(def_named(&p, "_Priv")->is_public);
    cr_assert_not(def_named(&p, "pub")->is_public);
    cr_assert_not(def_named(&p, "Inner")->is_public);
    cr_assert(def_named(&p, "Pub")->is_public);
    cr_assert_not(def_named(&p, "_p")->is_public);
    cr_assert(def_named(&p, "__init__")->is_public);
    cr_assert_not(def_named(&p, "__p")->is_public);
    cr_assert_not(def_named(&p, "_N")->is_public);
    cr_assert_not(def_named(&p, "m")->is_public);
    cr_assert_not(def_named(&p, "_f")->is_public);
    release(&p);
}

Test(pyast, dunder_all)
{
    struct parsed p;
    parse(&p, NULL,
          "__all__ = ['A', \"f\"] + list(('g',))\n"
          "if x:\n"
          "    __all__ += ('B',)\n"
          "__all__.extend(['h'])\n"
          "__all__.append(f'k')\n"
          "class A:\n"
          "    def m(self): pass\n"
          "class B: pass\n"
          "class C: pass\n"
          "def f(): pass\n"
          "def g(): pass\n"
          "def h(): pass\n"
          "def k(): pass\n");
    cr_assert(p.m.has_all);
    cr_assert(def_named(&p, "A")->is_public);
    cr_assert(def_named(&p, "m")->is_public); /* methods are not filtered by __all__ */
    cr_assert(def_named(&p, "B")->is_public);
    cr_assert_not(def_named(&p, "C")->is_public);
    cr_assert(def_named(&p, "f")->is_public);
    cr_assert(def_named(&p, "g")->is_public);
    cr_assert_not(def_named(&p, "h")->is_public); /* .extend() is not read (Ruff) */
    cr_assert_not(def_named(&p, "k")->is_public);
    cr_assert(py_module_exports(&p.doc, &p.m, "A", 1));
    cr_assert_not(py_module_exports(&p.doc, &p.m, "C", 1));
    release(&p);

    /* An __all__ whose value cannot be read still restricts (Ruff too). */
    parse(&p, NULL, "__all__ = compute()\ndef f(): pass\n");
    cr_assert(p.m.has_all);
    cr_assert_not(def_named(&p, "f")->is_public);
    release(&p);

    /* A tuple without parentheses (asyncio does this). */
    parse(&p, NULL, "__all__ = 'f', 'C'\ndef f(): pass\ndef g(): pass\nclass C: pass\n");
    cr_assert(def_named(&p, "f")->is_public);
    cr_assert(def_named(&p, "C")->is_public);
    cr_assert_not(def_named(&p, "g")->is_public);
    release(&p);

    /* An annotation alone declares __all__ too (Ruff's Export binding). */
    parse(&p, NULL, "__all__: list[str]\ndef f(): pass\n");
    cr_assert(p.m.has_all);
    cr_assert_not(def_named(&p, "f")->is_public);
    release(&p);

    /* Inside a function, __all__ is a local. */
    parse(&p, NULL, "def g():\n    __all__ = []\ndef f(): pass\n");
    cr_assert_not(p.m.has_all);
    cr_assert(def_named(&p, "f")->is_public);
    release(&p);
}

Test(pyast, module_path_facts)
{
    struct {
        const char *path;
        bool is_public, is_package, is_stub;
    } cases[] = {
        {NULL, true, false, false},
        {"a/b/mod.py", true, false, false},
        {"a/_b/mod.py", false, false, false},
        {"a/b/_mod.py", false, false, false},
        {"a/__b__/mod.py", true, false, false},
        {"pkg/__init__.py", true, true, false},
        {"_pkg/__init__.py", false, true, false},
        {"pkg/__init__.pyi", true, true, true},
        {"pkg/mod.pyi", true, false, true},
        {"C:\\x\\_y\\m.py", false, false, false},
        {"./rel/m.py", true, false, false},
        {"__main__.py", true, false, false},
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++) {
        struct parsed p;
        parse(&p, cases[i].path, "x = 1\n");
        const char *path = cases[i].path ? cases[i].path : "(null)";
        cr_assert_eq(p.m.is_public, cases[i].is_public, "%s", path);
        cr_assert_eq(p.m.is_package, cases[i].is_package, "%s", path);
        cr_assert_eq(p.m.is_stub, cases[i].is_stub, "%s", path);
        release(&p);
    }
    struct parsed p;
    parse(&p, "_private.py", "class C:\n    def m(self): pass\n");
    cr_assert_not(def_named(&p, "C")->is_public);
    cr_assert_not(def_named(&p, "m")->is_public);
    release(&p);
}

/* The docstring of the module (body NULL) or of definition `name`, as text,
 * or "-" when there is none. */
static void expect_doc(const char *src, const char *name, const char *want)
{
    struct parsed p;
    parse(&p, NULL, src);
    TSNode body = name ? def_named(&p, name)->body : ts_tree_root_node(p.tree);
    TSNode ds = py_docstring(&p.doc, body);
    if (strcmp(want, "-") == 0) {
        cr_assert(ts_node_is_null(ds), "%s: unexpected docstring", src);
    } else {
        cr_assert_not(ts_node_is_null(ds), "%s: no docstring", src);
        uint32_t len;
        const char *t = py_text(&p.doc, ds, &len);
        cr_assert(strlen(want) == len && memcmp(t, want, len) == 0, "%s: got %.*s", src, (int)len,
                  t);
    }
    release(&p);
}

Test(pyast, docstrings)
{
    expect_doc("\"\"\"Mod.\"\"\"\nx = 1\n", NULL, "\"\"\"Mod.\"\"\"");
    expect_doc("#!/usr/bin/env python\n# c\n'''Mod.'''\n", NULL, "'''Mod.'''");
    expect_doc("from __future__ import annotations\n\"\"\"Late.\"\"\"\n", NULL, "-");
    expect_doc("x = 1\n", NULL, "-");
    expect_doc("", NULL, "-");
    expect_doc("def f():\n    r'''Raw.'''\n", "f", "r'''Raw.'''");
    expect_doc("def f():\n    U'Uni.'\n", "f", "U'Uni.'");
    expect_doc("def f():\n    Ru'x'\n", "f", "-"); /* not Python, whatever it parses as */
    expect_doc("def f():\n    f'F {x}.'\n", "f", "-");
    expect_doc("def f():\n    b'Bytes.'\n", "f", "-");
    expect_doc("def f():\n    rb'Bytes.'\n", "f", "-");
    expect_doc("def f():\n    'a' 'b'\n", "f", "'a' 'b'");
    expect_doc("def f():\n    'a' f'b'\n", "f", "-");
    expect_doc("def f():\n    'a', 1\n", "f", "-");
    expect_doc("def f():\n    x = 1\n    'late'\n", "f", "-");
    expect_doc("def f():  # comment\n    # another\n    'doc'\n", "f", "'doc'");
    expect_doc("def f(): 'one line'\n", "f", "'one line'");
    expect_doc("def f(): pass; 'x'\n", "f", "-");
    expect_doc("class C: \"\"\"\"\"\"\n", "C", "\"\"\"\"\"\"");
}

Test(pyast, docstring_paren_is_the_string)
{
    /* The parenthesised case: the string node itself is returned. */
    expect_doc("def f():\n    ('Paren.')\n", "f", "'Paren.'");
}

Test(pyast, string_contents)
{
    struct parsed p;
    parse(&p, NULL, "def f():\n    r\"\"\"ab\"\"\"\n");
    TSNode ds = py_docstring(&p.doc, def_named(&p, "f")->body);
    uint32_t s, e, ol;
    cr_assert(py_string_contents(&p.doc, ds, &s, &e, &ol));
    cr_assert_eq(e - s, 2);
    cr_assert_eq(memcmp(p.doc.text + s, "ab", 2), 0);
    cr_assert_eq(ol, 4);
    cr_assert_not(py_string_contents(&p.doc, def_named(&p, "f")->name, &s, &e, &ol));
    release(&p);
}

Test(pyast, parameters)
{
    struct parsed p;
    parse(&p, NULL,
          "class C:\n"
          "    def m(self, a, /, b: int, c=1, d: str = 'x', *args: int, e, **kw): pass\n"
          "    @staticmethod\n"
          "    def s(a, b): pass\n"
          "    def v(*args): pass\n"
          "    def k(self, *, x, y=2): pass\n"
          "def f(a, b): pass\n");
    struct py_param *v;
    size_t n = py_params(&p.doc, def_named(&p, "m"), &v);
    const char *names[] = {"self", "a", "b", "c", "d", "args", "e", "kw"};
    enum py_param_kind kinds[] = {PY_PARAM_POSONLY, PY_PARAM_POSONLY, PY_PARAM_PLAIN,
                                  PY_PARAM_PLAIN,   PY_PARAM_PLAIN,   PY_PARAM_VARARGS,
                                  PY_PARAM_KWONLY,  PY_PARAM_KWARGS};
    cr_assert_eq(n, 8);
    for (size_t i = 0; i < n; i++) {
        cr_assert(py_text_eq(&p.doc, v[i].name, names[i]), "param %zu", i);
        cr_assert_eq(v[i].kind, kinds[i], "param %s kind %d", names[i], v[i].kind);
        cr_assert_eq(v[i].implicit, i == 0, "param %s implicit", names[i]);
    }
    cr_assert(ts_node_is_null(v[1].annotation));
    cr_assert(py_text_eq(&p.doc, v[2].annotation, "int"));
    cr_assert(ts_node_is_null(v[2].default_value));
    cr_assert(py_text_eq(&p.doc, v[3].default_value, "1"));
    cr_assert(py_text_eq(&p.doc, v[4].annotation, "str"));
    cr_assert(py_text_eq(&p.doc, v[4].default_value, "'x'"));
    cr_assert(py_text_eq(&p.doc, v[5].annotation, "int"));
    cr_assert(py_text_eq(&p.doc, v[5].node, "*args: int"));
    free(v);

    n = py_params(&p.doc, def_named(&p, "s"), &v);
    cr_assert_eq(n, 2);
    cr_assert_not(v[0].implicit);
    free(v);
    n = py_params(&p.doc, def_named(&p, "v"), &v);
    cr_assert_eq(n, 1);
    cr_assert_not(v[0].implicit);
    free(v);
    n = py_params(&p.doc, def_named(&p, "k"), &v);
    cr_assert_eq(n, 3);
    cr_assert_eq(v[1].kind, PY_PARAM_KWONLY);
    cr_assert_eq(v[2].kind, PY_PARAM_KWONLY);
    free(v);
    n = py_params(&p.doc, def_named(&p, "f"), &v);
    cr_assert_eq(n, 2);
    cr_assert_not(v[0].implicit);
    free(v);
    n = py_params(&p.doc, def_named(&p, "C"), &v);
    cr_assert_eq(n, 0);
    cr_assert_null(v);
    release(&p);
}

Test(pyast, broken_and_deep_input)
{
    /* 2,000 nested ifs, each with a def: no recursion, every def found. */
    struct mg_buf b = {0};
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "if x:\n");
    }
    for (int k = 0; k < 2000; k++)
        mg_buf_adds(&b, " ");
    mg_buf_adds(&b, "def deep(): pass\n");
    char *text = mg_buf_detach(&b, NULL);
    struct parsed p;
    parse(&p, NULL, text);
    cr_assert_eq(p.m.n_defs, 1);
    cr_assert_eq(p.m.defs[0].kind, PY_FUNCTION);
    release(&p);
    free(text);

    /* A def inside an ERROR is skipped; the rest is still found. */
    parse(&p, NULL, "def ok(): pass\nclass (:\n    def lost(self): pass\ndef after(): pass\n");
    cr_assert(p.m.has_errors);
    bool ok = false;
    for (size_t i = 0; i < p.m.n_defs; i++)
        ok |= py_text_eq(&p.doc, p.m.defs[i].name, "ok");
    cr_assert(ok);
    release(&p);

    /* 10,000 nested parentheses around a docstring. */
    b = (struct mg_buf){0};
    mg_buf_adds(&b, "def f():\n    ");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "'x'");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, "\n");
    text = mg_buf_detach(&b, NULL);
    parse(&p, NULL, text);
    cr_assert(ts_node_is_null(py_docstring(&p.doc, def_named(&p, "f")->body)));
    release(&p);
    free(text);
}
