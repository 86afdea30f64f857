/* Unit tests of server/walk.h (gitignore globs and files, path order) and
 * server/depth.h (the parse-depth guard). */
#include <criterion/criterion.h>
#include <string.h>

#include "depth.h"
#include "walk.h"

static bool m(const char *pattern, const char *path)
{
    return walk_glob_match(pattern, path);
}

Test(walk, glob_star_stops_at_slash)
{
    cr_assert(m("*.py", "a.py"));
    cr_assert(m("*.py", ".py"));
    cr_assert_not(m("*.py", "a/b.py"));
    cr_assert(m("a/*.py", "a/b.py"));
    cr_assert_not(m("a/*.py", "a/b/c.py"));
    cr_assert(m("a*", "abc"));
    cr_assert_not(m("a*", "ab/c"));
    cr_assert(m("*", "anything"));
}

Test(walk, glob_question_and_classes)
{
    cr_assert(m("x?.py", "x1.py"));
    cr_assert_not(m("x?.py", "x.py"));
    cr_assert_not(m("a?b", "a/b"));
    cr_assert(m("[ab]c", "ac"));
    cr_assert(m("[ab]c", "bc"));
    cr_assert_not(m("[ab]c", "cc"));
    cr_assert(m("[!ab]c", "cc"));
    cr_assert(m("[^ab]c", "cc"));
    cr_assert_not(m("[!ab]c", "ac"));
    cr_assert(m("[a-c]x", "bx"));
    cr_assert_not(m("[a-c]x", "dx"));
    cr_assert(m("[]]", "]"));
    cr_assert(m("[[:digit:]]*", "7up"));
    cr_assert_not(m("[[:digit:]]*", "up"));
    cr_assert_not(m("[a-z]", "/"));
    cr_assert_not(m("[abc", "a")); /* unterminated: matches nothing */
}

Test(walk, glob_escapes)
{
    cr_assert(m("\\*.py", "*.py"));
    cr_assert_not(m("\\*.py", "a.py"));
    cr_assert(m("a\\?", "a?"));
    cr_assert_not(m("a\\", "a"));
}

Test(walk, glob_double_star)
{
    cr_assert(m("**/foo", "foo"));
    cr_assert(m("**/foo", "a/b/foo"));
    cr_assert_not(m("**/foo", "a/bfoo"));
    cr_assert(m("abc/**", "abc/x"));
    cr_assert(m("abc/**", "abc/x/y"));
    cr_assert_not(m("abc/**", "abc"));
    cr_assert(m("a/**/b", "a/b"));
    cr_assert(m("a/**/b", "a/x/b"));
    cr_assert(m("a/**/b", "a/x/y/b"));
    cr_assert_not(m("a/**/b", "a/x/y/c"));
    cr_assert(m("**/deep/*.py", "x/deep/m.py"));
    cr_assert_not(m("**/deep/*.py", "x/deep/n/m.py"));
    /* "**" not a whole component is an ordinary '*'. */
    cr_assert(m("a**b", "axxb"));
    cr_assert_not(m("a**b", "ax/xb"));
}

Test(walk, glob_no_blowup)
{
    /* Backtracking stays polynomial (git's abort codes). */
    char path[200];
    memset(path, 'a', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    cr_assert_not(m("*a*a*a*a*a*a*a*a*a*a*a*a*b", path));
    cr_assert_not(m("**/*a*a*a*a*a*a*a*a*a*a*b", path));
}

static int ig(const char *text, const char *path, bool is_dir)
{
    struct walk_ignore *w = walk_ignore_new(text, strlen(text));
    int r = walk_ignore_match(w, path, is_dir);
    walk_ignore_free(w);
    return r;
}

Test(walk, ignore_basics)
{
    const char *g = "# a comment\n"
                    "\n"
                    "*.gen.py\n"
                    "!keep.gen.py\n"
                    "logs/\n"
                    "/top.py\n"
                    "sub/anchored.py\n"
                    "trailing.py   \n"
                    "esc.py\\ \n"
                    "\\#hash.py\n"
                    "\\!bang.py\n"
                    "crlf.py\r\n";
    cr_assert_eq(ig(g, "a.gen.py", false), 1);
    cr_assert_eq(ig(g, "x/y/a.gen.py", false), 1); /* no slash: any level */
    cr_assert_eq(ig(g, "keep.gen.py", false), -1);
    cr_assert_eq(ig(g, "x/keep.gen.py", false), -1);
    cr_assert_eq(ig(g, "logs", true), 1);
    cr_assert_eq(ig(g, "a/logs", true), 1);
    cr_assert_eq(ig(g, "logs", false), 0); /* trailing '/': directories only */
    cr_assert_eq(ig(g, "top.py", false), 1);
    cr_assert_eq(ig(g, "x/top.py", false), 0); /* leading '/': anchored */
    cr_assert_eq(ig(g, "sub/anchored.py", false), 1);
    cr_assert_eq(ig(g, "x/sub/anchored.py", false), 0); /* middle '/': anchored */
    cr_assert_eq(ig(g, "trailing.py", false), 1);
    cr_assert_eq(ig(g, "esc.py ", false), 1);
    cr_assert_eq(ig(g, "#hash.py", false), 1);
    cr_assert_eq(ig(g, "!bang.py", false), 1);
    cr_assert_eq(ig(g, "crlf.py", false), 1);
    cr_assert_eq(ig(g, "a comment", false), 0);
    cr_assert_eq(ig(g, "other.py", false), 0);
}

Test(walk, ignore_last_match_wins)
{
    cr_assert_eq(ig("*.py\n!a.py\n", "a.py", false), -1);
    cr_assert_eq(ig("!a.py\n*.py\n", "a.py", false), 1);
    cr_assert_eq(ig("", "a.py", false), 0);
    cr_assert_eq(ig("/\n!\n#\n", "a.py", false), 0);
}

Test(walk, path_order_by_component)
{
    cr_assert_lt(walk_path_cmp("a/b.py", "a-b.py"), 0);
    cr_assert_lt(walk_path_cmp("a-b.py", "a.py"), 0);
    cr_assert_lt(walk_path_cmp("a.py", "a0.py"), 0);
    cr_assert_lt(walk_path_cmp("a/z.py", "a.py"), 0);
    cr_assert_lt(walk_path_cmp("B.py", "a.py"), 0);
    cr_assert_lt(walk_path_cmp("a", "a/b"), 0);
    cr_assert_eq(walk_path_cmp("x/y", "x/y"), 0);
    cr_assert_gt(walk_path_cmp("é.py", "z.py"), 0);
}

Test(walk, list_sort_drops_duplicates)
{
    struct walk_list l;
    walk_list_init(&l);
    walk_add(&l, "/nonexistent-margin-path/b.py");
    walk_add(&l, "/nonexistent-margin-path/a.py");
    walk_add(&l, "/nonexistent-margin-path/b.py");
    walk_list_sort(&l);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].path, "/nonexistent-margin-path/a.py");
    cr_assert_not_null(l.items[0].error);
    cr_assert(strstr(l.items[0].error, "no such file or directory") != NULL);
    walk_list_release(&l);
}

static uint32_t est(const char *s)
{
    return depth_estimate(s, strlen(s));
}

static char *repeat(const char *head, const char *unit, size_t n)
{
    size_t hl = strlen(head), ul = strlen(unit);
    char *s = malloc(hl + ul * n + 2);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + hl + i * ul, unit, ul);
    strcpy(s + hl + ul * n, "\n");
    return s;
}

Test(depth, ordinary_code_is_shallow)
{
    cr_assert_lt(est("def f(a, b):\n    return [x + 1 for x in a if x]\n"), 100);
    cr_assert_lt(est("x = {'a': (1, 2), 'b': [3, 4]}\nprint(x['a'])\n"), 100);
    cr_assert_lt(est("s = f'{a + (b * c)}' \"(((\" # (((\n"), 100);
}

Test(depth, long_flat_constructs_are_shallow)
{
    char *s = repeat("x = [", "1, ", 100000);
    cr_assert_lt(est(s), 100);
    free(s);
    s = repeat("x = 1", " + 1", 100000);
    cr_assert_lt(est(s), 100);
    free(s);
    s = repeat("x = a", ".b", 100000);
    cr_assert_lt(est(s), 100);
    free(s);
    s = repeat("", "x = 1\n", 100000);
    cr_assert_lt(est(s), 100);
    free(s);
}

Test(depth, what_crashes_tree_sitter_is_refused)
{
    static const char *const units[] = {"(",        "[",     "{",      "-",       "not ",
                                        "lambda: ", "a if ", "**",     "a = ",    "f(",
                                        "#c\n",     "\\\n",  "a if\n", "a := ; ", "{ )"};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        char *s = repeat("x = ", units[i], 70000);
        cr_assert_gt(est(s), DEPTH_LIMIT, "unit '%s'", units[i]);
        free(s);
    }
}
