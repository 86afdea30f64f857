/* Unit tests of server/config.c through config.h: TOML read with the
 * tree-sitter grammar, settings layers from JSON and pyproject.toml, the
 * merge per file, per-file-ignores, and the pyproject.toml store. */
#include "config.h"
#include "mg.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_t *toml(const char *text, struct cfg_problems *p)
{
    return cfg_toml_to_json(text, strlen(text), p);
}

static bool has(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* ---- TOML ---------------------------------------------------------------- */

Test(config, toml_values)
{
    struct cfg_problems p = {0};
    json_t *j = toml("a = 1\n"
                     "b = 0x1F\n"
                     "c = 1_000\n"
                     "d = 3.5\n"
                     "e = true\n"
                     "f = \"x\\ty\\u00e9\"\n"
                     "g = 'raw\\n'\n"
                     "h = \"\"\"\nline1\nline2\"\"\"\n"
                     "i = [1, [2, 3], {k = 'v'}]\n"
                     "j = 1979-05-27T07:32:00Z\n"
                     "k = 0o17\n"
                     "l = 0b101\n",
                     &p);
    cr_assert_not_null(j, "%s", p.n ? p.items[0].message : "");
    cr_assert_eq(json_integer_value(json_object_get(j, "a")), 1);
    cr_assert_eq(json_integer_value(json_object_get(j, "b")), 31);
    cr_assert_eq(json_integer_value(json_object_get(j, "c")), 1000);
    cr_assert_float_eq(json_real_value(json_object_get(j, "d")), 3.5, 1e-9);
    cr_assert(json_is_true(json_object_get(j, "e")));
    cr_assert_str_eq(json_string_value(json_object_get(j, "f")), "x\ty\xc3\xa9");
    cr_assert_str_eq(json_string_value(json_object_get(j, "g")), "raw\\n");
    cr_assert_str_eq(json_string_value(json_object_get(j, "h")), "line1\nline2");
    json_t *i = json_object_get(j, "i");
    cr_assert_eq(json_array_size(i), 3);
    cr_assert_eq(json_integer_value(json_array_get(json_array_get(i, 1), 1)), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(i, 2), "k")), "v");
    cr_assert_str_eq(json_string_value(json_object_get(j, "j")), "1979-05-27T07:32:00Z");
    cr_assert_eq(json_integer_value(json_object_get(j, "k")), 15);
    cr_assert_eq(json_integer_value(json_object_get(j, "l")), 5);
    json_decref(j);
    cr_assert_eq(p.n, 0);
    cfg_problems_release(&p);
}

Test(config, toml_tables_and_dotted_keys)
{
    struct cfg_problems p = {0};
    json_t *j = toml("[tool.margin]\n"
                     "select = ['E']\n"
                     "review.base = 'main'\n"
                     "\"quoted.key\" = 1\n"
                     "[tool.margin.exceptions]\n"
                     "logger-objects = ['log']\n"
                     "[[tool.x]]\n"
                     "n = 1\n"
                     "[[tool.x]]\n"
                     "n = 2\n",
                     &p);
    cr_assert_not_null(j);
    json_t *m = json_object_get(json_object_get(j, "tool"), "margin");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "review"), "base")),
                     "main");
    cr_assert_eq(json_integer_value(json_object_get(m, "quoted.key")), 1);
    cr_assert_not_null(json_object_get(json_object_get(m, "exceptions"), "logger-objects"));
    json_t *x = json_object_get(json_object_get(j, "tool"), "x");
    cr_assert_eq(json_array_size(x), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(x, 1), "n")), 2);
    json_decref(j);
    cfg_problems_release(&p);
}

Test(config, toml_errors_have_positions)
{
    struct cfg_problems p = {0};
    const char *text = "[tool.margin]\nselect = [\nignore = 3\n";
    cr_assert_null(toml(text, &p));
    cr_assert_geq(p.n, 1);
    cr_assert_eq(p.items[0].severity, 1);
    cr_assert_geq(p.items[0].start, strlen("[tool.margin]\n"));
    cfg_problems_release(&p);

    cr_assert_null(toml("a = 1\na = 2\n", &p));
    cr_assert(strstr(p.items[0].message, "defined twice") != NULL, "%s", p.items[0].message);
    cr_assert_eq(p.items[0].start, 6);
    cfg_problems_release(&p);

    cr_assert_null(toml("[t]\n[t]\n", &p));
    cr_assert(strstr(p.items[0].message, "[t]") != NULL, "%s", p.items[0].message);
    cfg_problems_release(&p);

    cr_assert_null(toml("s = \"bad \\q escape\"\n", &p));
    cr_assert_geq(p.n, 1);
    cfg_problems_release(&p);

    cr_assert_null(toml("n = 99999999999999999999\n", &p));
    cfg_problems_release(&p);
}

/* ---- layers -------------------------------------------------------------- */

Test(config, layer_from_toml_reads_margin_table)
{
    const char *text = "[project]\nname = 'x'\n"
                       "[tool.margin]\n"
                       "select = ['E', 'F401']\n"
                       "extend-ignore = 'D1'\n"
                       "docstring-style = 'numpy'\n"
                       "target-version = 'py39'\n"
                       "[tool.margin.review]\nbase = 'origin/main'\nshow = 'all'\n"
                       "[tool.margin.exceptions]\ncheck-typed-exception = true\n"
                       "logger-objects = ['audit']\n"
                       "[tool.margin.per-file-ignores]\n\"tests/*\" = ['D']\n";
    struct cfg_problems p = {0};
    bool hm;
    struct cfg_layer *l = cfg_layer_from_toml(text, strlen(text), &hm, &p);
    cr_assert_not_null(l, "%s", p.n ? p.items[0].message : "");
    cr_assert(hm);
    cr_assert_eq(p.n, 0, "%s", p.n ? p.items[0].message : "");
    struct cfg_resolved r;
    cfg_resolve(l, "/proj", NULL, NULL, "/proj/tests/a/t.py", &r);
    cr_assert_eq(r.opts.n_select, 2);
    cr_assert(has(r.opts.select, r.opts.n_select, "F401"));
    cr_assert(has(r.opts.ignore, r.opts.n_ignore, "D1"));
    cr_assert_eq(r.opts.docstring_style, AN_DOC_STYLE_NUMPY);
    cr_assert(r.opts.exc_check_typed_exception);
    cr_assert_eq(r.opts.n_exc_logger_objects, 1);
    cr_assert_str_eq(r.review_base, "origin/main");
    cr_assert_eq(r.review_show, CFG_SHOW_ALL);
    cr_assert_str_eq(r.target_version, "py39");
    cr_assert_eq(r.n_pfi, 1); /* the pattern covers tests/a/t.py: its folder matches */
    cfg_resolved_release(&r);
    cfg_resolve(l, "/proj", NULL, NULL, "/proj/src/t.py", &r);
    cr_assert_eq(r.n_pfi, 0);
    cfg_resolved_release(&r);
    cfg_layer_free(l);
}

Test(config, layer_without_margin_table)
{
    struct cfg_problems p = {0};
    bool hm = true;
    struct cfg_layer *l = cfg_layer_from_toml("[tool.ruff]\nx = 1\n", 18, &hm, &p);
    cr_assert_not_null(l);
    cr_assert(!hm);
    cfg_layer_free(l);
    /* Broken, but it mentions the table: it still governs (and its errors show). */
    l = cfg_layer_from_toml("[tool.margin\n", 13, &hm, &p);
    cr_assert_null(l);
    cr_assert(hm);
    cfg_problems_release(&p);
}

Test(config, bad_values_refuse_the_layer_unknown_keys_warn)
{
    const char *text = "[tool.margin]\nselect = 3\nbogus = 1\n";
    struct cfg_problems p = {0};
    bool hm;
    cr_assert_null(cfg_layer_from_toml(text, strlen(text), &hm, &p));
    cr_assert(cfg_problems_have_error(&p));
    bool saw_warning = false, saw_error = false;
    for (size_t i = 0; i < p.n; i++) {
        if (p.items[i].severity == 1) {
            saw_error = true;
            /* At the value: "3". */
            cr_assert_eq(p.items[i].start, (uint32_t)(strstr(text, "3") - text));
        } else {
            saw_warning = strstr(p.items[i].message, "bogus") != NULL;
            cr_assert_eq(p.items[i].start, (uint32_t)(strstr(text, "bogus") - text));
        }
    }
    cr_assert(saw_error && saw_warning);
    cfg_problems_release(&p);

    const char *bad_enum = "[tool.margin]\ndocstring-style = 'shakespeare'\n";
    cr_assert_null(cfg_layer_from_toml(bad_enum, strlen(bad_enum), &hm, &p));
    cr_assert(strstr(p.items[0].message, "'google'") != NULL, "%s", p.items[0].message);
    cfg_problems_release(&p);

    const char *bad_base = "[tool.margin]\nreview.base = '--output=/tmp/x'\n";
    cr_assert_null(cfg_layer_from_toml(bad_base, strlen(bad_base), &hm, &p));
    cfg_problems_release(&p);
}

Test(config, json_keys_in_any_case)
{
    json_t *v = json_pack("{s:{s:[s], s:s, s:{s:s}, s:{s:b}}}", "margin", "extendSelect", "D107",
                          "docstring_style", "sphinx", "review", "base", "HEAD", "exceptions",
                          "checkTypedException", 1);
    struct cfg_problems p = {0};
    struct cfg_layer *l = cfg_layer_from_json(v, &p);
    cr_assert_not_null(l);
    struct cfg_resolved r;
    cfg_resolve(NULL, NULL, l, NULL, "/a.py", &r);
    /* extend-select with no select rides on ALL. */
    cr_assert(has(r.opts.select, r.opts.n_select, "ALL"));
    cr_assert(has(r.opts.select, r.opts.n_select, "D107"));
    cr_assert_eq(r.opts.docstring_style, AN_DOC_STYLE_SPHINX);
    cr_assert_str_eq(r.review_base, "HEAD");
    cr_assert(r.opts.exc_check_typed_exception);
    cfg_resolved_release(&r);
    cfg_layer_free(l);
    json_decref(v);

    v = json_pack("{s:s}", "select", "E9, F401");
    l = cfg_layer_from_json(v, &p);
    cfg_resolve(NULL, NULL, l, NULL, "/a.py", &r);
    cr_assert_eq(r.opts.n_select, 2);
    cfg_resolved_release(&r);
    cfg_layer_free(l);
    json_decref(v);

    v = json_pack("{s:[i]}", "ignore", 3);
    cr_assert_null(cfg_layer_from_json(v, &p));
    cr_assert_str_eq(p.items[0].message, "'ignore' must be a list of rule codes");
    json_decref(v);
    cfg_problems_release(&p);
}

Test(config, editor_overrides_file)
{
    const char *text = "[tool.margin]\nselect = ['E']\nignore = ['E7']\nextend-select = ['F']\n";
    struct cfg_problems p = {0};
    bool hm;
    struct cfg_layer *file = cfg_layer_from_toml(text, strlen(text), &hm, &p);
    json_t *v = json_pack("{s:[s]}", "select", "D");
    struct cfg_layer *ed = cfg_layer_from_json(v, &p);
    struct cfg_resolved r;
    cfg_resolve(file, "/p", ed, NULL, "/p/a.py", &r);
    cr_assert(has(r.opts.select, r.opts.n_select, "D"));
    cr_assert(!has(r.opts.select, r.opts.n_select, "E"));
    cr_assert(has(r.opts.select, r.opts.n_select, "F"));  /* the file's extend-select stays */
    cr_assert(has(r.opts.ignore, r.opts.n_ignore, "E7")); /* not overridden */
    cfg_resolved_release(&r);
    cfg_layer_free(file);
    cfg_layer_free(ed);
    json_decref(v);
    cfg_problems_release(&p);
}

Test(config, per_file_ignores_are_absolute)
{
    json_t *v = json_pack("{s:[s], s:{s:[s]}}", "select", "E722", "per-file-ignores", "*.py", "E7");
    struct cfg_problems p = {0};
    struct cfg_layer *l = cfg_layer_from_json(v, &p);
    struct cfg_resolved r;
    cfg_resolve(NULL, NULL, l, "/w", "/w/pkg/m.py", &r);
    struct diag_list dl;
    diag_list_init(&dl);
    diag_list_addf(&dl, "E722", AN_WARNING, 0, 0, 1, "x");
    diag_list_addf(&dl, "F401", AN_WARNING, 0, 0, 1, "y");
    cfg_resolved_filter(&r, &dl);
    cr_assert_eq(dl.n, 1);
    cr_assert_str_eq(dl.items[0].code, "F401");
    diag_list_release(&dl);
    cfg_resolved_release(&r);
    cfg_layer_free(l);
    json_decref(v);
}

/* ---- the store ----------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(config, store_finds_nearest_with_margin_and_keeps_last_good)
{
    char tmpl[] = "/tmp/margin-cfg-XXXXXX";
    char *root = mkdtemp(tmpl);
    cr_assert_not_null(root);
    char *sub = xasprintf("%s/pkg", root);
    mkdir(sub, 0755);
    char *top = xasprintf("%s/pyproject.toml", root);
    char *inner = xasprintf("%s/pyproject.toml", sub);
    write_file(top, "[tool.margin]\nselect = ['E']\n");
    write_file(inner, "[project]\nname = 'inner'\n"); /* no [tool.margin]: skipped */
    char *py = xasprintf("%s/m.py", sub);

    struct cfg_store s;
    cfg_store_init(&s);
    struct cfg_file *f = cfg_store_find(&s, py, NULL);
    cr_assert_not_null(f);
    cr_assert_str_eq(f->path, top);
    cr_assert_not_null(f->good);

    /* Broken: the old layer stays, the problems are new. */
    write_file(top, "[tool.margin]\nselect = [\n");
    f = cfg_store_reload(&s, top);
    cr_assert_not_null(f);
    cr_assert_not_null(f->good);
    cr_assert(cfg_problems_have_error(&f->problems));

    /* The inner file gains a table: it governs now. */
    write_file(inner, "[tool.margin]\nignore = ['E']\n");
    cfg_store_reload(&s, inner);
    f = cfg_store_find(&s, py, NULL);
    cr_assert_str_eq(f->path, inner);

    /* A stop folder below the file's: nothing above it is read. */
    unlink(inner);
    cfg_store_reload(&s, inner);
    f = cfg_store_find(&s, py, sub);
    cr_assert_null(f);
    cfg_store_release(&s);

    unlink(top);
    rmdir(sub);
    rmdir(root);
    free(py);
    free(top);
    free(inner);
    free(sub);
}

Test(config, per_file_ignore_patterns)
{
    json_t *v =
        json_pack("{s:{s:[s], s:[s], s:[s], s:[s], s:[s]}}", "per-file-ignores", "docs/", "D",
                  "__init__.py", "F401", "src/**/gen_*.py", "E", "", "S", "a?.py", "B");
    struct cfg_problems p = {0};
    struct cfg_layer *l = cfg_layer_from_json(v, &p);
    cr_assert_not_null(l);
    static const struct {
        const char *path;
        size_t n;
    } cases[] = {
        {"/w/docs/x/y.py", 1},      /* a folder pattern covers what is inside */
        {"/w/pkg/__init__.py", 1},  /* no '/': the file's name */
        {"/w/src/a/b/gen_x.py", 1}, /* ** spans folders */
        {"/w/src/gen_x.py", 1},     {"/w/ab.py", 1},
        {"/w/abc.py", 0},           {"/elsewhere/docs/y.py", 0}, /* not below the folder */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cfg_resolved r;
        cfg_resolve(NULL, NULL, l, "/w", cases[i].path, &r);
        cr_assert_eq(r.n_pfi, cases[i].n, "%s: %zu", cases[i].path, r.n_pfi);
        cfg_resolved_release(&r);
    }
    cfg_layer_free(l);
    json_decref(v);
    cfg_problems_release(&p);
}
