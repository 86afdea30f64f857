/* Unit tests of the module summaries (analyzers/summary.c): raises with
 * their try contexts, re-raising handlers, calls by kind, imports
 * (relative ones resolved), classes with bases; robustness on deep and
 * broken trees. */
#include "exc_common.h"
#include "mg.h"
#include "summary.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void setup(void)
{
    exc_init(tree_sitter_python());
}

static void teardown(void)
{
    exc_fini();
}

TestSuite(summary, .init = setup, .fini = teardown);

static struct sum_module *build(const char *text, const char *name, bool pkg)
{
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(p, NULL, text, (uint32_t)strlen(text));
    struct pdoc doc = {.path = "x.py", .text = text, .len = strlen(text), .tree = tree};
    struct sum_module *m = sum_build(&doc, name, pkg);
    ts_tree_delete(tree);
    ts_parser_delete(p);
    return m;
}

static const struct sum_func *func(const struct sum_module *m, const char *q)
{
    for (size_t i = 0; i < m->n_funcs; i++)
        if (strcmp(m->funcs[i].qname, q) == 0)
            return &m->funcs[i];
    cr_assert_fail("no function %s", q);
    return NULL;
}

Test(summary, raises_and_contexts)
{
    struct sum_module *m = build("def f(x):\n"
                                 "    if x:\n"
                                 "        raise KeyError(x)\n"
                                 "    try:\n"
                                 "        raise errors.NotFound\n"
                                 "    except (LookupError, (OSError,)) as e:\n"
                                 "        raise ValueError('bad') from e\n"
                                 "    raise make_error()\n",
                                 "pkg.mod", false);
    const struct sum_func *f = func(m, "pkg.mod.f");
    cr_assert_eq(f->n_raises, 4);
    cr_assert_str_eq(f->raises[0].type, "KeyError");
    cr_assert_eq(f->raises[0].ctx, SUM_NONE);
    cr_assert_eq(f->raises[0].line, 2);
    cr_assert_eq(f->raises[0].col16, 8);
    cr_assert_str_eq(f->raises[1].type, "errors.NotFound");
    cr_assert_eq(f->raises[1].ctx, 0);
    cr_assert_str_eq(f->raises[2].type, "ValueError");
    cr_assert_eq(f->raises[2].ctx, SUM_NONE, "a handler's raise is outside its try");
    cr_assert_str_eq(f->raises[3].type, "make_error", "the index tells it is no class");
    cr_assert_eq(f->n_tries, 1);
    cr_assert_eq(f->tries[0].n_handlers, 1);
    cr_assert_eq(f->tries[0].handlers[0].n_types, 2);
    cr_assert_str_eq(f->tries[0].handlers[0].types[0], "LookupError");
    cr_assert_str_eq(f->tries[0].handlers[0].types[1], "OSError");
    cr_assert_not(f->tries[0].handlers[0].transparent);
    /* The raised class's construction is not a call; make_error() is. */
    cr_assert_eq(f->n_calls, 0);
    sum_free(m);
}

Test(summary, reraising_handlers_are_transparent)
{
    struct sum_module *m = build("def f():\n"
                                 "    try:\n"
                                 "        g()\n"
                                 "    except KeyError:\n"
                                 "        cleanup()\n"
                                 "        raise\n"
                                 "    except OSError as err:\n"
                                 "        raise err\n"
                                 "    except ValueError as err:\n"
                                 "        with excutils.save_and_reraise_exception():\n"
                                 "            pass\n"
                                 "    except TypeError:\n"
                                 "        pass\n"
                                 "    except:\n"
                                 "        pass\n",
                                 "m", false);
    const struct sum_func *f = func(m, "m.f");
    cr_assert_eq(f->n_raises, 0);
    cr_assert_eq(f->n_tries, 1);
    const struct sum_try *t = &f->tries[0];
    cr_assert_eq(t->n_handlers, 5);
    cr_assert(t->handlers[0].transparent);
    cr_assert(t->handlers[1].transparent);
    cr_assert(t->handlers[2].transparent);
    cr_assert_not(t->handlers[3].transparent);
    cr_assert(t->handlers[4].catch_all);
    cr_assert_eq(f->calls[0].ctx, 0);
    cr_assert_eq(f->calls[1].ctx, SUM_NONE);
    sum_free(m);
}

Test(summary, calls_by_kind)
{
    struct sum_module *m = build("class C(Base, mod.Other, metaclass=M):\n"
                                 "    def m(self):\n"
                                 "        self.n()\n"
                                 "        cls.k()\n"
                                 "        super().m()\n"
                                 "        os.path.join(a)\n"
                                 "        f()\n"
                                 "        x[0]()\n"
                                 "        def inner():\n"
                                 "            self.z()\n"
                                 "        lambda: boom()\n",
                                 "pkg.mod", false);
    cr_assert_eq(m->n_classes, 1);
    cr_assert_str_eq(m->classes[0].qname, "pkg.mod.C");
    cr_assert_eq(m->classes[0].n_bases, 2);
    cr_assert_str_eq(m->classes[0].bases[1], "mod.Other");
    const struct sum_func *f = func(m, "pkg.mod.C.m");
    cr_assert(f->is_method);
    cr_assert_eq(f->n_calls, 7);
    cr_assert_eq(f->calls[0].kind, SUM_CALL_SELF);
    cr_assert_str_eq(f->calls[0].name, "n");
    cr_assert_eq(f->calls[1].kind, SUM_CALL_CLS);
    cr_assert_eq(f->calls[2].kind, SUM_CALL_SUPER);
    cr_assert_str_eq(f->calls[3].name, "super", "super() itself: a harmless builtin");
    cr_assert_eq(f->calls[4].kind, SUM_CALL_DOTTED);
    cr_assert_str_eq(f->calls[4].name, "os.path.join");
    cr_assert_eq(f->calls[5].kind, SUM_CALL_NAME);
    cr_assert_eq(f->calls[6].kind, SUM_CALL_OTHER);
    const struct sum_func *in = func(m, "pkg.mod.C.m.inner");
    cr_assert_not(in->is_method);
    cr_assert_eq(in->cls, 0, "self in a nested function is the method's");
    sum_free(m);
}

Test(summary, imports)
{
    struct sum_module *m = build("import os.path\n"
                                 "import a.b as ab\n"
                                 "from . import sib\n"
                                 "from .. import up\n"
                                 "from ..x.y import z as w\n"
                                 "from pkg.q import (r,\n    s)\n"
                                 "try:\n    from .opt import o\nexcept ImportError:\n    o = None\n"
                                 "def f():\n    import inner\n",
                                 "pkg.sub.mod", false);
    cr_assert_str_eq(sum_import_find(m, "os", 2), "os");
    cr_assert_str_eq(sum_import_find(m, "ab", 2), "a.b");
    cr_assert_str_eq(sum_import_find(m, "sib", 3), "pkg.sub.sib");
    cr_assert_str_eq(sum_import_find(m, "up", 2), "pkg.up");
    cr_assert_str_eq(sum_import_find(m, "w", 1), "pkg.x.y.z");
    cr_assert_str_eq(sum_import_find(m, "s", 1), "pkg.q.s");
    cr_assert_str_eq(sum_import_find(m, "o", 1), "pkg.sub.opt.o");
    cr_assert_null(sum_import_find(m, "inner", 5));
    sum_free(m);
    m = build("from . import a\nfrom .b import c\n", "pkg.sub", true);
    cr_assert_str_eq(sum_import_find(m, "a", 1), "pkg.sub.a");
    cr_assert_str_eq(sum_import_find(m, "c", 1), "pkg.sub.b.c");
    sum_free(m);
    m = build("from ... import a\n", "top", false);
    cr_assert_null(sum_import_find(m, "a", 1), "above the top");
    sum_free(m);
}

Test(summary, deep_and_broken)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "def f():\n    x = ");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "g()");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, "\n");
    for (int i = 0; i < 2000; i++) {
        for (int j = 0; j < i + 1; j++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, i == 0 ? "def h():\n" : "if x:\n");
    }
    for (int j = 0; j < 2002; j++)
        mg_buf_adds(&b, " ");
    mg_buf_adds(&b, "raise E\n");
    mg_buf_adds(&b, "def broken(:\n    raise KeyError\n    try:\n");
    char *text = mg_buf_detach(&b, NULL);
    struct sum_module *m = build(text, "m", false);
    cr_assert_geq(m->n_funcs, 1);
    cr_assert_eq(func(m, "m.f")->n_calls, 1);
    sum_free(m);
    free(text);
}

Test(summary, lazy_reads_only_what_is_called)
{
    const char *text = "def a():\n    b()\n"
                       "def b():\n    raise KeyError\n"
                       "def c():\n    raise OSError\n"
                       "class K(Base):\n    def m(self):\n        K()\n"
                       "class Base:\n    def __init__(self):\n        raise ValueError\n";
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(p, NULL, text, (uint32_t)strlen(text));
    struct pdoc doc = {.text = text, .len = strlen(text), .tree = tree};
    uint32_t wanted[] = {0, (uint32_t)(strstr(text, "def m") - text)};
    struct sum_module *m = sum_build_for(&doc, "t", false, wanted, 2);
    cr_assert_eq(m->n_funcs, 5);
    cr_assert(func(m, "t.a")->walked);
    cr_assert(func(m, "t.b")->walked, "called by a wanted function");
    cr_assert_eq(func(m, "t.b")->n_raises, 1);
    cr_assert_not(func(m, "t.c")->walked);
    cr_assert_eq(func(m, "t.c")->n_raises, 0);
    cr_assert(func(m, "t.Base.__init__")->walked, "K() may run a base class's __init__");
    sum_free(m);
    ts_tree_delete(tree);
    ts_parser_delete(p);
}
