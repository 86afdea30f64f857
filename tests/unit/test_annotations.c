/* Unit tests of the annotations analyzer (ANN001-ANN003, ANN201-ANN206)
 * through analyzer.h: what the golden fixtures cannot show (the ann_*
 * options, the target version, CRLF files), that fixes parse and fix what
 * they say, and hostile input. */
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

TestSuite(annotations, .init = setup, .fini = teardown);

static char *ann_codes[] = {"ANN", "E999"};

/* Analyse `text` as the file `path` with the ANN rules (and E999) selected
 * and the options of `base` (its select list is replaced). */
static void analyse(const char *path, const char *text, size_t len, const struct an_opts *base,
                    struct diag_list *out)
{
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    cr_assert_not_null(tree);
    struct an_opts opts = {0};
    if (base != NULL)
        opts = *base;
    if (opts.n_select == 0) {
        opts.select = ann_codes;
        opts.n_select = MG_ARRAY_LEN(ann_codes);
    }
    struct pdoc doc = {.path = path, .text = text, .len = len, .tree = tree};
    diag_list_init(out);
    cr_assert_eq(an_run_all(&doc, &opts, out), 0);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

/* The findings as "CODE@line" words, e.g. "ANN001@1 ANN201@3". */
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

static void expect_opts(const struct an_opts *o, const char *text, const char *want)
{
    struct diag_list l;
    analyse("m.py", text, strlen(text), o, &l);
    char *got = summary(text, &l);
    cr_assert_str_eq(got, want, "%s", text);
    free(got);
    diag_list_release(&l);
}

/* The text after applying fix `f` of the first finding with `code`. Caller
 * frees; NULL when there is no such fix. */
static char *apply_fix(const struct an_opts *o, const char *text, const char *code, size_t f)
{
    struct diag_list l;
    size_t len = strlen(text);
    analyse("m.py", text, len, o, &l);
    char *fixed = NULL;
    for (size_t i = 0; i < l.n; i++) {
        const struct an_diag *d = &l.items[i];
        if (strcmp(d->code, code) != 0)
            continue;
        if (f < d->n_fixes) {
            const struct an_fix *fix = &d->fixes[f];
            cr_assert(!fix->safe, "annotation fixes are never safe");
            const struct an_edit **edits = xcalloc(fix->n_edits + 1, sizeof(*edits));
            for (size_t e = 0; e < fix->n_edits; e++)
                edits[e] = &fix->edits[e];
            fixed = an_apply_edits(text, len, edits, fix->n_edits, NULL);
            free(edits);
        }
        break;
    }
    diag_list_release(&l);
    return fixed;
}

static void expect_fix(const struct an_opts *o, const char *text, const char *code, size_t f,
                       const char *want)
{
    char *got = apply_fix(o, text, code, f);
    if (want == NULL) {
        cr_assert_null(got, "unexpected fix for %s in:\n%s", code, text);
        return;
    }
    cr_assert_not_null(got, "no fix for %s in:\n%s", code, text);
    cr_assert_str_eq(got, want);
    free(got);
}

/* ---- options ---------------------------------------------------------------- */

Test(annotations, defaults)
{
    expect_opts(NULL, "def f(a, *b, **c): pass\n", "ANN201@1 ANN001@1 ANN002@1 ANN003@1");
    expect_opts(NULL, "class C:\n    def __init__(self, x: int): pass\n", "ANN204@2");
    expect_opts(NULL, "def f(_, *_a, **__):\n    return\n", "ANN201@1 ANN001@1 ANN002@1 ANN003@1");
    expect_opts(NULL, "f = lambda a, b: a\n", "");
}

/* Ruff's suppress_none_returning.py. */
Test(annotations, suppress_none_returning)
{
    struct an_opts o = {.ann_suppress_none_returning = true};
    expect_opts(&o, "def foo():\n    a = 2 + 2\n", "");
    expect_opts(&o, "def foo():\n    return\n", "");
    expect_opts(&o, "def foo():\n    return None\n", "");
    expect_opts(&o, "def foo():\n    return (None)\n", "");
    expect_opts(&o, "def foo():\n    if a:\n        return\n    else:\n        return None\n", "");
    expect_opts(&o, "def foo():\n    def bar() -> bool:\n        return True\n    bar()\n", "");
    expect_opts(&o, "def foo():\n    return True\n", "ANN201@1");
    expect_opts(&o, "def foo():\n    if a:\n        return True\n    else:\n        return\n",
                "ANN201@1");
    expect_opts(&o, "def foo(a):\n    a = 2 + 2\n", "ANN001@1");
    /* Ruff does not look at yields either. */
    expect_opts(&o, "def gen():\n    yield 1\n", "");
    /* Special methods too. */
    expect_opts(&o, "class C:\n    def __init__(self): pass\n", "");
}

/* Ruff's mypy_init_return.py. */
Test(annotations, mypy_init_return)
{
    struct an_opts o = {.ann_mypy_init_return = true};
    char *only_returns[] = {"ANN2"};
    o.select = only_returns;
    o.n_select = 1;
    expect_opts(&o, "class Foo:\n    def __init__(self):\n        ...\n", "ANN204@2");
    expect_opts(&o, "class Foo:\n    def __init__(self, foo):\n        ...\n", "ANN204@2");
    expect_opts(&o, "class Foo:\n    def __init__(self, foo) -> None:\n        ...\n", "");
    expect_opts(&o, "class Foo:\n    def __init__(self, foo: int):\n        ...\n", "");
    expect_opts(&o, "class Foo:\n    def __init__(self, *a: int):\n        ...\n", "");
    expect_opts(&o, "def __init__(self, foo: int):\n    ...\n", "ANN202@1");
    expect_opts(&o, "class Foo:\n    def __init__(self, *arg):\n        ...\n", "ANN204@2");
    /* A typed receiver is not a typed argument. */
    expect_opts(&o, "class Foo:\n    def __init__(self: 'Foo'):\n        ...\n", "ANN204@2");
}

/* Ruff's ignore_fully_untyped.py. */
Test(annotations, ignore_fully_untyped)
{
    struct an_opts o = {.ann_ignore_fully_untyped = true};
    expect_opts(&o, "def ok_fully_untyped_1(a, b):\n    pass\n", "");
    expect_opts(&o, "def ok_fully_untyped_2():\n    pass\n", "");
    expect_opts(&o, "def ok(a: int, *args: str, **kwargs: str) -> int:\n    pass\n", "");
    expect_opts(&o, "def e1(a: int, b):\n    pass\n", "ANN201@1 ANN001@1");
    expect_opts(&o, "def e2(a: int, b) -> int:\n    pass\n", "ANN001@1");
    expect_opts(&o, "def e3(a: int, b: int):\n    pass\n", "ANN201@1");
    expect_opts(
        &o,
        "class X:\n    def ok1(self, a):\n        pass\n\n    def ok2(self):\n        pass\n"
        "\n    def error_typed_self(self: X):\n        pass\n",
        "ANN201@8");
    expect_opts(&o, "def e4(*args: int, **kw):\n    pass\n", "ANN201@1 ANN003@1");
}

/* Ruff's suppress_dummy_args.py, and its dummy-variable-rgx. */
Test(annotations, suppress_dummy_args)
{
    struct an_opts o = {.ann_suppress_dummy_args = true};
    expect_opts(&o, "def foo(_) -> None:\n    ...\n", "");
    expect_opts(&o, "def foo(*_) -> None:\n    ...\n", "");
    expect_opts(&o, "def foo(**_) -> None:\n    ...\n", "");
    expect_opts(&o, "def foo(a: int, _) -> None:\n    ...\n", "");
    expect_opts(&o, "def foo() -> None:\n    def bar(_) -> None:\n        ...\n", "");
    expect_opts(&o, "def foo(__, _unused, _x1) -> None:\n    ...\n", "");
    /* Not dummies: a trailing underscore after a letter, plain names. */
    expect_opts(&o, "def foo(_x_, x, __dunder__) -> None:\n    ...\n",
                "ANN001@1 ANN001@1 ANN001@1");
}

/* ---- what counts ------------------------------------------------------------- */

Test(annotations, receivers_and_kinds)
{
    /* The receiver is skipped whatever its name, unless staticmethod. */
    expect_opts(NULL,
                "class C:\n"
                "    def m(this) -> None: ...\n"
                "    @classmethod\n    def c(klass) -> None: ...\n"
                "    @staticmethod\n    def s(x) -> None: ...\n"
                "    def p(self, /, a) -> None: ...\n",
                "ANN001@6 ANN001@7");
    /* Classes nested in functions have methods too. */
    expect_opts(NULL, "def f() -> None:\n    class L:\n        def m(self) -> None: ...\n", "");
    /* Codes by kind: classmethod beats dunder, staticmethod too. */
    expect_opts(NULL,
                "class C:\n"
                "    @classmethod\n    def __init_subclass__(cls): ...\n"
                "    @staticmethod\n    def __new__(cls): ...\n"
                "    def __call__(self): ...\n"
                "    def _p(self): ...\n"
                "    def p(self): ...\n",
                "ANN206@3 ANN205@5 ANN001@5 ANN204@6 ANN202@7 ANN201@8");
    /* __all__ makes unlisted module functions private. */
    expect_opts(NULL, "__all__ = ['a']\ndef a(): ...\ndef b(): ...\n", "ANN201@2 ANN202@3");
    /* Private modules make everything private. */
    struct diag_list l;
    const char *t = "def a(): ...\n";
    analyse("pkg/_private.py", t, strlen(t), NULL, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.items[0].code, "ANN202");
    diag_list_release(&l);
}

Test(annotations, overloads)
{
    const char *t = "from typing import overload\n"
                    "@overload\ndef f(x: int) -> int: ...\n"
                    "@overload\ndef f(x: str) -> str: ...\n"
                    "def f(x):\n    return x\n"
                    "def f(y):\n    return y\n";
    /* The implementation is skipped, a later redefinition is not. */
    expect_opts(NULL, t, "ANN201@8 ANN001@8");
    /* typing_extensions and aliases count; an unrelated @overload does not. */
    expect_opts(NULL,
                "import typing_extensions as te\n@te.overload\ndef g(x: int) -> int: ...\n"
                "def g(x):\n    return x\n",
                "");
    expect_opts(NULL, "@overload\ndef h(x: int) -> int: ...\ndef h(x):\n    return x\n",
                "ANN201@3 ANN001@3");
    /* Overload stubs themselves are checked; they get no fix. */
    expect_opts(NULL, "from typing import overload\n@overload\ndef k(x: int): ...\n", "ANN201@3");
    expect_fix(NULL, "from typing import overload\n@overload\ndef k(x: int): pass\n", "ANN201", 0,
               NULL);
}

/* ---- fixes ---------------------------------------------------------------------- */

Test(annotations, target_version)
{
    const char *opt = "def f(x: int):\n    if x:\n        return 1\n";
    const char *uni = "def f(x: int):\n    if x:\n        return 1\n    return 'a'\n";
    const char *three = "def f(x: int):\n    if x:\n        return 1\n    if x > 1:\n"
                        "        return 'a'\n";
    const char *never = "import os\n\ndef f():\n    raise SystemExit\n";
    expect_fix(NULL, opt, "ANN201", 0,
               "from typing import Optional\n\n\ndef f(x: int) -> Optional[int]:\n"
               "    if x:\n        return 1\n");
    struct an_opts o10 = {.ann_target_minor = 10}, o11 = {.ann_target_minor = 11};
    expect_fix(&o10, opt, "ANN201", 0,
               "def f(x: int) -> int | None:\n    if x:\n        return 1\n");
    expect_fix(&o10, uni, "ANN201", 0,
               "def f(x: int) -> int | str:\n    if x:\n        return 1\n    return 'a'\n");
    expect_fix(&o10, three, "ANN201", 0,
               "def f(x: int) -> int | str | None:\n    if x:\n        return 1\n    if x > 1:\n"
               "        return 'a'\n");
    expect_fix(NULL, three, "ANN201", 0,
               "from typing import Union\n\n\ndef f(x: int) -> Union[int, str, None]:\n    if x:\n"
               "        return 1\n    if x > 1:\n        return 'a'\n");
    expect_fix(NULL, never, "ANN201", 0,
               "import os\nfrom typing import NoReturn\n\ndef f() -> NoReturn:\n"
               "    raise SystemExit\n");
    expect_fix(&o10, never, "ANN201", 0,
               "import os\nfrom typing import NoReturn\n\ndef f() -> NoReturn:\n"
               "    raise SystemExit\n");
    /* Before 3.9 the builtins take no parameters: no container fixes. */
    struct an_opts o8 = {.ann_target_minor = 8};
    expect_fix(&o8, "def f():\n    return [1]\n", "ANN201", 0, NULL);
    expect_fix(&o8, "def f(x: int):\n    if x:\n        return ()\n", "ANN201", 0, NULL);
    expect_fix(&o8, "def f():\n    return []\n", "ANN201", 0, "def f() -> list:\n    return []\n");
    expect_fix(&o11, never, "ANN201", 0,
               "import os\nfrom typing import Never\n\ndef f() -> Never:\n    raise SystemExit\n");
}

Test(annotations, typing_import_placement)
{
    const char *body = "def f(x: int):\n    if x:\n        return 'a'\n";
    char *t;
    /* Already imported, aliased, or through the module. */
    t = xasprintf("from typing import Optional\n%s", body);
    expect_fix(NULL, t, "ANN201", 0,
               "from typing import Optional\ndef f(x: int) -> Optional[str]:\n    if x:\n"
               "        return 'a'\n");
    free(t);
    t = xasprintf("from typing import Optional as Opt\n%s", body);
    expect_fix(NULL, t, "ANN201", 0,
               "from typing import Optional as Opt\ndef f(x: int) -> Opt[str]:\n    if x:\n"
               "        return 'a'\n");
    free(t);
    t = xasprintf("import typing\n%s", body);
    expect_fix(NULL, t, "ANN201", 0,
               "import typing\ndef f(x: int) -> typing.Optional[str]:\n    if x:\n"
               "        return 'a'\n");
    free(t);
    /* A parenthesised import with a trailing comma grows before the comma. */
    t = xasprintf("from typing import (\n    Any,\n)\n%s", body);
    expect_fix(NULL, t, "ANN201", 0,
               "from typing import (\n    Any, Optional,\n)\ndef f(x: int) -> Optional[str]:\n"
               "    if x:\n        return 'a'\n");
    free(t);
    /* After the last import before the function, past its comment. */
    t = xasprintf("import os  # why\n\nx = 1\nimport sys\n%s", body);
    expect_fix(NULL, t, "ANN201", 0,
               "import os  # why\n\nx = 1\nimport sys\nfrom typing import Optional\n"
               "def f(x: int) -> Optional[str]:\n    if x:\n        return 'a'\n");
    free(t);
    /* An import on a line with another statement. */
    t = xasprintf("import os; y = 2\n%s", body);
    expect_fix(NULL, t, "ANN201", 0,
               "import os\nfrom typing import Optional; y = 2\ndef f(x: int) -> Optional[str]:\n"
               "    if x:\n        return 'a'\n");
    free(t);
    /* Imports after the function do not count; imports under `if` neither. */
    t = xasprintf("\"\"\"Doc.\"\"\"\nif TYPE_CHECKING:\n    from typing import Optional\n%s"
                  "import os\n",
                  body);
    expect_fix(NULL, t, "ANN201", 0,
               "\"\"\"Doc.\"\"\"\nfrom typing import Optional\nif TYPE_CHECKING:\n"
               "    from typing import Optional\ndef f(x: int) -> Optional[str]:\n    if x:\n"
               "        return 'a'\nimport os\n");
    free(t);
    /* Optional bound to something else: no bare Optional, typing.Optional is fine. */
    t = xasprintf("Optional = None\n%s", body);
    expect_fix(NULL, t, "ANN201", 0, NULL);
    free(t);
    t = xasprintf("import typing\nfrom x import Optional\n%s", body);
    expect_fix(NULL, t, "ANN201", 0,
               "import typing\nfrom x import Optional\ndef f(x: int) -> typing.Optional[str]:\n"
               "    if x:\n        return 'a'\n");
    free(t);
    /* A wildcard import is not a list to grow. */
    t = xasprintf("from typing import *\n%s", body);
    expect_fix(NULL, t, "ANN201", 0,
               "from typing import *\nfrom typing import Optional\ndef f(x: int) -> "
               "Optional[str]:\n    if x:\n        return 'a'\n");
    free(t);
    /* CRLF files get CRLF lines. */
    expect_fix(NULL, "import os\r\ndef f(x: int):\r\n    if x:\r\n        return 1\r\n", "ANN201",
               0,
               "import os\r\nfrom typing import Optional\r\ndef f(x: int) -> Optional[int]:\r\n"
               "    if x:\r\n        return 1\r\n");
    /* A file that is only the function. */
    expect_fix(NULL, "def f():\n    raise ValueError", "ANN201", 0,
               "from typing import NoReturn\n\n\ndef f() -> NoReturn:\n    raise ValueError");
}

Test(annotations, shadowed_builtins)
{
    /* A method named `str` is what `str` means in the class body. */
    expect_fix(NULL, "class C:\n    def str(self): ...\n    def f(self):\n        return ''\n",
               "ANN201", 1, NULL);
    expect_fix(NULL, "def f(x=''):\n    pass\nstr = 1\n", "ANN001", 0, NULL);
    expect_fix(NULL, "def outer(int):\n    def f(x=1) -> None:\n        pass\n", "ANN001", 1, NULL);
    expect_fix(NULL, "for bool in x:\n    pass\ndef f():\n    return True\n", "ANN201", 0, NULL);
    /* Bound in another class: fine. */
    expect_fix(NULL,
               "class A:\n    def str(self) -> None: ...\nclass B:\n    def f(self):\n"
               "        return ''\n",
               "ANN201", 0,
               "class A:\n    def str(self) -> None: ...\nclass B:\n    def f(self) -> str:\n"
               "        return ''\n");
}

Test(annotations, parameter_fixes)
{
    expect_fix(NULL, "def f(a=1) -> None: ...\n", "ANN001", 0, "def f(a: int = 1) -> None: ...\n");
    expect_fix(NULL, "def f(a = -1.5) -> None: ...\n", "ANN001", 0,
               "def f(a: float = -1.5) -> None: ...\n");
    expect_fix(NULL, "def f(*, a='x') -> None: ...\n", "ANN001", 0,
               "def f(*, a: str = 'x') -> None: ...\n");
    expect_fix(NULL, "def f(a=True, /) -> None: ...\n", "ANN001", 0,
               "def f(a: bool = True, /) -> None: ...\n");
    expect_fix(NULL, "def f(a='a' 'b') -> None: ...\n", "ANN001", 0,
               "def f(a: str = 'a' 'b') -> None: ...\n");
    /* No fix: None, containers, names, calls, expressions. */
    expect_fix(NULL, "def f(a=None) -> None: ...\n", "ANN001", 0, NULL);
    expect_fix(NULL, "def f(a=[]) -> None: ...\n", "ANN001", 0, NULL);
    expect_fix(NULL, "def f(a=(1,)) -> None: ...\n", "ANN001", 0, NULL);
    expect_fix(NULL, "def f(a=X) -> None: ...\n", "ANN001", 0, NULL);
    expect_fix(NULL, "def f(a=1 + 1) -> None: ...\n", "ANN001", 0, NULL);
    expect_fix(NULL, "def f(a=not b) -> None: ...\n", "ANN001", 0, NULL);
    expect_fix(NULL, "def f(a) -> None: ...\n", "ANN001", 0, NULL);
}

Test(annotations, function_fix)
{
    const char *t = "def f(a, b=1, *c, d='x'):\n    return\n";
    /* The return finding: its own fix, then the whole function. */
    expect_fix(NULL, t, "ANN201", 0, "def f(a, b=1, *c, d='x') -> None:\n    return\n");
    expect_fix(NULL, t, "ANN201", 1,
               "def f(a, b: int = 1, *c, d: str = 'x') -> None:\n    return\n");
    /* `a` cannot be fixed: no fix at all, not even the whole function's. */
    expect_fix(NULL, t, "ANN001", 0, NULL);
    expect_fix(NULL, t, "ANN002", 0, NULL);
    /* Only the selected codes' annotations go into it. */
    char *only[] = {"ANN2", "ANN001"};
    struct an_opts o = {.select = only, .n_select = 2};
    expect_fix(&o, "def f(b=1):\n    return\n", "ANN201", 1,
               "def f(b: int = 1) -> None:\n    return\n");
    char *no_params[] = {"ANN2"};
    o.select = no_params;
    o.n_select = 1;
    expect_fix(&o, "def f(b=1):\n    return\n", "ANN201", 1, NULL);
    /* With an import: once. */
    expect_fix(NULL, "def f(x=0):\n    if x:\n        return 1\n", "ANN001", 1,
               "from typing import Optional\n\n\ndef f(x: int = 0) -> Optional[int]:\n"
               "    if x:\n        return 1\n");
}

Test(annotations, return_inference)
{
    struct an_opts o10 = {.ann_target_minor = 10};
    struct {
        const char *body, *want; /* want NULL: no fix */
    } cases[] = {
        {"    return 1\n", "int"},
        {"    return -1\n", "int"},
        {"    return ~True\n", "int"},
        {"    return 1 if x else 2.0\n", "float"},
        {"    return 1 or 2j\n", "complex"},
        {"    return 1 % 2.0\n", "float"},
        {"    return 'a' * 3\n", "str"},
        {"    return 3 * b'a'\n", "bytes"},
        {"    return 'a' + b'a'\n", NULL},
        {"    return True & False\n", "bool"},
        {"    return 1 << 2\n", "int"},
        {"    return 1 @ 2\n", NULL},
        {"    return x is None\n", "bool"},
        {"    return x not in y\n", "bool"},
        {"    return x < y\n", NULL},
        {"    return 1 < 2 <= 3\n", "bool"},
        {"    return not x\n", "bool"},
        {"    return x and 1\n", NULL},
        {"    return (1)\n", "int"},
        {"    return {}\n", "dict"},
        {"    return {1: 'a', **x}\n", NULL},
        {"    return [*x]\n", NULL},
        {"    return [None]\n", "list[None]"},
        {"    return [1, None]\n", NULL},
        {"    return (1, (2, 'a'))\n", "tuple[int, tuple[int, str]]"},
        {"    return {1.5, 2}\n", "set[float]"},
        {"    return x\n", NULL},
        {"    return f(x)\n", NULL},
        {"    if x:\n        return []\n    return ['a']\n", "list[str]"},
        {"    if x:\n        return [1]\n    return ['a']\n", "list[int] | list[str]"},
        {"    return\n", "None"},
        {"    pass\n", "None"},
        {"    '''Docstring only.'''\n", "None"},
        {"    ...\n", NULL},
        {"    x = 1\n    ...\n", "None"},
        {"    raise E\n", "NoReturn"},
        {"    raise NotImplementedError\n", NULL},
        {"    raise NotImplementedError()\n", NULL},
        {"    try:\n        return 1\n    finally:\n        pass\n", "int"},
        {"    try:\n        x()\n    except E:\n        raise\n    else:\n        raise F\n",
         "NoReturn"},
        {"    try:\n        x()\n    except E:\n        pass\n    else:\n        raise F\n",
         "None"},
        {"    for a in b:\n        return 1\n    else:\n        raise E\n", "int"},
        {"    while x:\n        continue\n    raise E\n", "NoReturn"},
        {"    while True:\n        break\n    raise E\n", "NoReturn"},
        {"    while True:\n        if x:\n            break\n    return 1\n", "int"},
        {"    while True:\n        pass\n", "None"},
        {"    with x:\n        return 1\n", "int"},
        {"    with suppress(E):\n        return 1\n", "int | None"},
        {"    match x:\n        case 1:\n            return 1\n        case y:\n"
         "            return 2\n",
         "int"},
        {"    match x:\n        case 1:\n            return 1\n        case y if y:\n"
         "            return 2\n",
         "int | None"},
        {"    yield\n", NULL},
        {"    x = yield\n    return 1\n", NULL},
        {"    return [(yield)]\n", NULL},
        {"    f = lambda: (yield)\n    return 1\n", "int"},
        {"    async def g():\n        yield\n    return 1\n", "int"},
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++) {
        char *text = xasprintf("def f(x: int, y: int):\n%s", cases[i].body);
        char *want = cases[i].want == NULL ? NULL
                                           : xasprintf("def f(x: int, y: int) -> %s:\n%s",
                                                       cases[i].want, cases[i].body);
        if (want != NULL && strcmp(cases[i].want, "NoReturn") == 0) {
            free(want);
            want = xasprintf("from typing import NoReturn\n\n\ndef f(x: int, y: int) -> "
                             "NoReturn:\n%s",
                             cases[i].body);
        }
        expect_fix(&o10, text, "ANN201", 0, want);
        free(text);
        free(want);
    }
}

Test(annotations, no_fix_when_broken_or_odd)
{
    /* A syntax error inside the function: findings, no fixes. */
    expect_fix(NULL, "def f(a=1):\n    return (1 +\n", "ANN001", 0, NULL);
    /* Methods that always raise are meant to be overridden. */
    expect_fix(NULL, "class C:\n    def m(self):\n        raise ValueError\n", "ANN201", 0, NULL);
    /* Protocol members and stub files. */
    expect_fix(NULL, "class P(typing.Protocol):\n    def m(self):\n        pass\n", "ANN201", 0,
               NULL);
    struct diag_list l;
    const char *t = "def f(a=1):\n    pass\n";
    analyse("m.pyi", t, strlen(t), NULL, &l);
    cr_assert_eq(l.n, 2);
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.items[i].code, "ANN201") == 0)
            cr_assert_eq(l.items[i].n_fixes, 0);
    diag_list_release(&l);
}

/* Every fix of every finding applied: the text still parses as well as
 * before, and the finding is gone. */
Test(annotations, every_fix_fixes_its_finding)
{
    const char *t = "\"\"\"M.\"\"\"\nimport os\n\n\n"
                    "def a(x=1, y='s', *args, z=b'', **kw):\n    return [1, 2]\n\n\n"
                    "class C:\n    def __init__(self, v=0.5):\n        self.v = v\n\n"
                    "    def __repr__(self):\n        return 'C'\n\n"
                    "    @classmethod\n    def make(cls, n=3):\n        if n:\n"
                    "            return None\n        return 'x'\n\n"
                    "    @staticmethod\n    def boom():\n        raise ValueError\n\n\n"
                    "async def b(\n    p=True,  # c\n):\n    return p or False\n";
    struct diag_list l;
    size_t len = strlen(t);
    analyse("m.py", t, len, NULL, &l);
    size_t n_fixes = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct an_diag *d = &l.items[i];
        for (size_t f = 0; f < d->n_fixes; f++) {
            n_fixes++;
            const struct an_fix *fix = &d->fixes[f];
            const struct an_edit **edits = xcalloc(fix->n_edits + 1, sizeof(*edits));
            for (size_t e = 0; e < fix->n_edits; e++)
                edits[e] = &fix->edits[e];
            size_t flen;
            char *fixed = an_apply_edits(t, len, edits, fix->n_edits, &flen);
            struct diag_list after;
            analyse("m.py", fixed, flen, NULL, &after);
            size_t before_n = 0, after_n = 0;
            for (size_t k = 0; k < after.n; k++) {
                cr_assert_str_neq(after.items[k].code, "E999", "%s", fixed);
                after_n += strcmp(after.items[k].message, d->message) == 0;
            }
            for (size_t k = 0; k < l.n; k++)
                before_n += strcmp(l.items[k].message, d->message) == 0;
            cr_assert_lt(after_n, before_n, "'%s' left '%s' in:\n%s", fix->title, d->message,
                         fixed);
            diag_list_release(&after);
            free(fixed);
            free(edits);
        }
    }
    cr_assert_geq(n_fixes, 12);
    diag_list_release(&l);
}

/* ---- hostile input ------------------------------------------------------------- */

/* Every finding within the text; every fix's edits sorted, disjoint,
 * within the text. */
static void check_sane(size_t len, const struct diag_list *l)
{
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
    analyse("m.py", text, len, NULL, &l);
    check_sane(len, &l);
    diag_list_release(&l);
}

Test(annotations, hostile_input)
{
    struct mg_buf b = {0};
    /* 2,000 nested ifs inside a function, with returns at the bottom. */
    mg_buf_adds(&b, "def f():\n");
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k <= i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "if x:\n");
    }
    for (int k = 0; k <= 2000; k++)
        mg_buf_adds(&b, " ");
    mg_buf_adds(&b, "return 1\n");
    hostile(b.data, b.len);
    mg_buf_release(&b);

    /* 2,000 nested defs. */
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_addf(&b, "def f%d(a=1):\n", i);
    }
    for (int k = 0; k < 2000; k++)
        mg_buf_adds(&b, " ");
    mg_buf_adds(&b, "return 'x'\n");
    hostile(b.data, b.len);
    mg_buf_release(&b);

    /* 10,000 nested parentheses and lists in a return and a default. */
    mg_buf_adds(&b, "def f(a=");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "1");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, "):\n    return ");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "[");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "]");
    mg_buf_adds(&b, "\n");
    hostile(b.data, b.len);
    mg_buf_release(&b);

    /* A long `or` chain, and a 1 MB signature line: a thousand defaults
     * (more than the function fix takes) and a 1 MB string. (Not more
     * findings on the line: the registry's noqa lookup scans the line once
     * per finding.) */
    mg_buf_adds(&b, "def f():\n    return 1");
    for (int i = 0; i < 20000; i++)
        mg_buf_adds(&b, " or 1");
    mg_buf_adds(&b, "\ndef g(");
    for (int i = 0; i < 1000; i++)
        mg_buf_addf(&b, "a%d=%d, ", i, i);
    mg_buf_adds(&b, "s='");
    for (int i = 0; i < 1 << 20; i++)
        mg_buf_adds(&b, "x");
    mg_buf_adds(&b, "'): pass\n");
    hostile(b.data, b.len);
    mg_buf_release(&b);

    static const char *const broken[] = {
        "def",
        "def f(",
        "def f(a,:\n    return 1\n",
        "def f(a=):\n    pass\n",
        "def f(*, **):\n    pass\n",
        "class C(:\n  def m(self):\n",
        "@\ndef f(): pass",
        "def f() -> :\n    pass\n",
        "def f(): \\\n  return 1\n",
        "\xff\xfe def f(): pass",
        "lambda: (yield)\n",
        "def f():\n    match x:\n        case\n",
        "def f():\n    try:\n        pass\n",
        "def f():\n    with:\n        return 1\n",
        "from typing import (\ndef f(x=1):\n    if x:\n        return 1\n",
        "def f(x=1):\n    if x:\n        return 1\nfrom typing import",
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(broken); i++)
        hostile(broken[i], strlen(broken[i]));
}

/* Two threads analysing at once (margin check runs two). */
static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        const char *text = "def f(a, b=1):\n    if a:\n        return 1\n"
                           "class C:\n    def __str__(self): return 's'\n";
        struct diag_list l;
        analyse("m.py", text, strlen(text), NULL, &l);
        diag_list_release(&l);
    }
    return NULL;
}

Test(annotations, two_threads)
{
    pthread_t a, b;
    pthread_create(&a, NULL, worker, NULL);
    pthread_create(&b, NULL, worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
}
