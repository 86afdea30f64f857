/* Unit tests of the workspace index (analyzers/index.c): resolution across
 * modules (absolute, relative, re-exported), methods through self/super and
 * workspace bases, catching by base classes, re-raises, cycles,
 * unresolvable calls, witness paths, and an edit seen through a view. */
#include "exc_common.h"
#include "index.h"
#include "mg.h"

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

TestSuite(index, .init = setup, .fini = teardown);

static struct sum_module *build(const char *path, const char *name, const char *text)
{
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(p, NULL, text, (uint32_t)strlen(text));
    struct pdoc doc = {.path = path, .text = text, .len = strlen(text), .tree = tree};
    bool pkg = strstr(path, "__init__") != NULL;
    struct sum_module *m = sum_build(&doc, name, pkg);
    ts_tree_delete(tree);
    ts_parser_delete(p);
    return m;
}

static size_t func_index(const struct sum_module *m, const char *q)
{
    for (size_t i = 0; i < m->n_funcs; i++)
        if (strcmp(m->funcs[i].qname, q) == 0)
            return i;
    cr_assert_fail("no function %s", q);
    return 0;
}

/* The escape set of `q` in view v, sorted, joined with spaces. */
static char *escapes(const struct idx_view *v, const struct sum_module *m, const char *q)
{
    size_t f = func_index(m, q);
    size_t n = idx_view_n_escapes(v, f);
    const char **names = xcalloc(n + 1, sizeof(*names));
    for (size_t i = 0; i < n; i++)
        names[i] = idx_view_escape(v, f, i);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    struct mg_buf b = {0};
    mg_buf_adds(&b, "");
    for (size_t i = 0; i < n; i++)
        mg_buf_addf(&b, "%s%s", i ? " " : "", names[i]);
    free(names);
    return mg_buf_detach(&b, NULL);
}

#define EXPECT_ESC(v, m, q, want)                                                                  \
    do {                                                                                           \
        char *got_ = escapes(v, m, q);                                                             \
        cr_expect_str_eq(got_, want, "%s", q);                                                     \
        free(got_);                                                                                \
    } while (0)

static const char errors_py[] = "class Error(Exception):\n    pass\n"
                                "class TrunkNotFound(Error, KeyError):\n    pass\n";

static const char plugin_py[] = "from pkg.errors import TrunkNotFound\n"
                                "from . import util\n"
                                "\n"
                                "def _get(name):\n"
                                "    if not name:\n"
                                "        raise TrunkNotFound(name)\n"
                                "    return util.helper(name)\n"
                                "\n"
                                "def load_trunk(name):\n"
                                "    \"\"\"Load.\"\"\"\n"
                                "    return _get(name)\n"
                                "\n"
                                "def guarded(name):\n"
                                "    try:\n"
                                "        return _get(name)\n"
                                "    except LookupError:\n"
                                "        return None\n"
                                "\n"
                                "def reraised(name):\n"
                                "    try:\n"
                                "        return _get(name)\n"
                                "    except LookupError:\n"
                                "        log()\n"
                                "        raise\n";

static const char util_py[] = "def helper(x):\n"
                              "    if x == 1:\n"
                              "        raise ValueError(x)\n"
                              "    return ping(x)\n"
                              "def ping(x):\n"
                              "    return pong(x)\n"
                              "def pong(x):\n"
                              "    if x:\n"
                              "        return ping(x - 1)\n"
                              "    raise OSError\n";

static struct idx_index *workspace(void)
{
    struct idx_index *ix = idx_new();
    idx_put(ix, build("pkg/__init__.py", "pkg", "from .errors import Error\n"));
    idx_put(ix, build("pkg/errors.py", "pkg.errors", errors_py));
    idx_put(ix, build("pkg/plugin.py", "pkg.plugin", plugin_py));
    idx_put(ix, build("pkg/util.py", "pkg.util", util_py));
    idx_finish(ix);
    return ix;
}

Test(index, cross_module_catch_reraise_cycle)
{
    struct idx_index *ix = workspace();
    cr_assert_eq(idx_n_modules(ix), 4);
    struct sum_module *m = build("pkg/plugin.py", "pkg.plugin", plugin_py);
    struct idx_view *v = idx_view_new(ix, m);
    EXPECT_ESC(v, m, "pkg.plugin._get", "OSError ValueError pkg.errors.TrunkNotFound");
    EXPECT_ESC(v, m, "pkg.plugin.load_trunk", "OSError ValueError pkg.errors.TrunkNotFound");
    /* LookupError catches TrunkNotFound through KeyError; OSError and
     * ValueError go through. */
    EXPECT_ESC(v, m, "pkg.plugin.guarded", "OSError ValueError");
    EXPECT_ESC(v, m, "pkg.plugin.reraised", "OSError ValueError pkg.errors.TrunkNotFound");
    /* Witness: load_trunk -> _get -> raise TrunkNotFound. */
    size_t f = func_index(m, "pkg.plugin.load_trunk");
    size_t k = 0;
    while (strcmp(idx_view_escape(v, f, k), "pkg.errors.TrunkNotFound") != 0)
        k++;
    struct idx_step steps[IDX_MAX_PATH];
    size_t n = idx_view_path(v, f, k, steps, IDX_MAX_PATH);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(steps[0].qname, "pkg.plugin.load_trunk");
    cr_assert_not(steps[0].is_raise);
    cr_assert_str_eq(steps[1].qname, "pkg.plugin._get");
    cr_assert(steps[1].is_raise);
    cr_assert_eq(steps[1].line, 5);
    cr_assert(steps[1].local);
    /* ValueError comes from the other file. */
    k = 0;
    while (strcmp(idx_view_escape(v, f, k), "ValueError") != 0)
        k++;
    n = idx_view_path(v, f, k, steps, IDX_MAX_PATH);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(steps[2].path, "pkg/util.py");
    cr_assert_not(steps[2].local);
    cr_assert_eq(steps[2].line, 2);
    /* Completeness: log() does not resolve. */
    cr_assert(idx_view_complete(v, func_index(m, "pkg.plugin.load_trunk")));
    cr_assert_not(idx_view_complete(v, func_index(m, "pkg.plugin.reraised")));
    /* Subclasses through workspace bases and re-exports. */
    cr_assert(idx_view_is_subclass(v, "pkg.errors.TrunkNotFound", "LookupError"));
    cr_assert(idx_view_is_subclass(v, "pkg.errors.TrunkNotFound", "pkg.errors.Error"));
    cr_assert_not(idx_view_is_subclass(v, "pkg.errors.TrunkNotFound", "OSError"));
    cr_assert(idx_view_is_subclass(v, "ext.Unknown", "Exception"));
    cr_assert_not(idx_view_is_subclass(v, "KeyboardInterrupt", "Exception"));
    char *q = idx_view_resolve(v, "TrunkNotFound");
    cr_assert_str_eq(q, "pkg.errors.TrunkNotFound");
    free(q);
    idx_view_free(v);
    sum_free(m);
    idx_free(ix);
}

Test(index, methods_self_super_bases)
{
    struct idx_index *ix = idx_new();
    idx_put(ix, build("a/base.py", "a.base",
                      "class Base:\n"
                      "    def fetch(self):\n"
                      "        raise TimeoutError\n"
                      "    def close(self):\n"
                      "        raise RuntimeError\n"));
    idx_put(ix, build("a/impl.py", "a.impl",
                      "from .base import Base\n"
                      "class Impl(Base):\n"
                      "    def close(self):\n"
                      "        super().close()\n"
                      "        raise OSError\n"
                      "    def run(self):\n"
                      "        self.fetch()\n"
                      "    @classmethod\n"
                      "    def make(cls):\n"
                      "        return cls.fetch(None)\n"
                      "def use():\n"
                      "    Impl().close()\n"
                      "    obj = Impl()\n"
                      "    obj.close()\n"));
    idx_finish(ix);
    const struct sum_module *m = NULL;
    struct sum_module *mm = build("a/impl.py", "a.impl",
                                  "from .base import Base\n"
                                  "class Impl(Base):\n"
                                  "    def close(self):\n"
                                  "        super().close()\n"
                                  "        raise OSError\n"
                                  "    def run(self):\n"
                                  "        self.fetch()\n"
                                  "    @classmethod\n"
                                  "    def make(cls):\n"
                                  "        return cls.fetch(None)\n");
    m = mm;
    struct idx_view *v = idx_view_new(ix, m);
    EXPECT_ESC(v, m, "a.impl.Impl.close", "OSError RuntimeError");
    EXPECT_ESC(v, m, "a.impl.Impl.run", "TimeoutError");
    EXPECT_ESC(v, m, "a.impl.Impl.make", "TimeoutError");
    idx_view_free(v);
    sum_free(mm);
    idx_free(ix);
}

Test(index, edit_changes_caller_in_other_file)
{
    struct idx_index *ix = workspace();
    struct sum_module *m = build("pkg/plugin.py", "pkg.plugin", plugin_py);
    struct idx_view *v = idx_view_new(ix, m);
    EXPECT_ESC(v, m, "pkg.plugin.guarded", "OSError ValueError");
    idx_view_free(v);
    /* util.helper stops raising ValueError and stops calling ping. */
    idx_put(ix, build("pkg/util.py", "pkg.util", "def helper(x):\n    return x\n"));
    idx_finish(ix);
    cr_assert_eq(idx_generation(ix), 2);
    v = idx_view_new(ix, m);
    EXPECT_ESC(v, m, "pkg.plugin.guarded", "");
    EXPECT_ESC(v, m, "pkg.plugin.load_trunk", "pkg.errors.TrunkNotFound");
    idx_view_free(v);
    /* A view of the edited document stands for the index's copy. */
    struct sum_module *edited = build(
        "pkg/plugin.py", "pkg.plugin",
        "def _get(name):\n    raise IndexError\ndef load_trunk(name):\n    return _get(name)\n");
    v = idx_view_new(ix, edited);
    EXPECT_ESC(v, edited, "pkg.plugin.load_trunk", "IndexError");
    idx_view_free(v);
    sum_free(edited);
    sum_free(m);
    idx_free(ix);
}

Test(index, alone_and_unresolvable)
{
    struct sum_module *m =
        build("t.py", "t",
              "import requests\n"
              "class NotFound(KeyError):\n    pass\n"
              "def a():\n    requests.get()\n    b()\n"
              "def b():\n    raise NotFound\n"
              "def c():\n    raise requests.HTTPError()\n"
              "def d(err):\n    raise err\n"
              "def e():\n    try:\n        b()\n    except KeyError:\n        pass\n");
    struct idx_view *v = idx_view_new(NULL, m);
    EXPECT_ESC(v, m, "t.a", "t.NotFound");
    EXPECT_ESC(v, m, "t.c", "requests.HTTPError");
    EXPECT_ESC(v, m, "t.d", "");
    EXPECT_ESC(v, m, "t.e", "");
    cr_assert_not(idx_view_complete(v, func_index(m, "t.a")));
    cr_assert(idx_view_complete(v, func_index(m, "t.b")));
    cr_assert_not(idx_view_complete(v, func_index(m, "t.d")));
    idx_view_free(v);
    sum_free(m);
}

Test(index, long_chain_and_big_cycle)
{
    struct mg_buf b = {0};
    for (int i = 0; i < 3000; i++)
        mg_buf_addf(&b, "def f%d():\n    f%d()\n", i, (i + 1) % 3000);
    mg_buf_adds(&b, "def f2999b():\n    raise KeyError\n");
    for (int i = 0; i < 200; i++)
        mg_buf_addf(&b, "def g%d():\n    f%d()\n    raise E%d\n", i, i * 7, i);
    char *text = mg_buf_detach(&b, NULL);
    struct sum_module *m = build("t.py", "t", text);
    struct idx_view *v = idx_view_new(NULL, m);
    EXPECT_ESC(v, m, "t.f0", "");
    EXPECT_ESC(v, m, "t.g3", "E3");
    idx_view_free(v);
    sum_free(m);
    free(text);
}

Test(index, module_names)
{
    bool pkg;
    char *n = idx_module_name("/nonexistent/dir/mod.py", &pkg);
    cr_assert_str_eq(n, "mod");
    cr_assert_not(pkg);
    free(n);
    cr_assert_null(idx_module_name("README", &pkg));
}
