/* Unit tests of server/doc.c: splicing text, mirroring edits into the tree,
 * the document store and URI <-> path conversion. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "mg.h"

static TSParser *parser;

static void setup(void)
{
    parser = ts_parser_new();
    cr_assert(ts_parser_set_language(parser, tree_sitter_python()));
}

static void teardown(void)
{
    ts_parser_delete(parser);
}

TestSuite(doc, .init = setup, .fini = teardown);

static char *sexp_fresh(const char *text, size_t len)
{
    TSTree *t = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    char *s = ts_node_string(ts_tree_root_node(t));
    ts_tree_delete(t);
    return s;
}

Test(doc, splice_replaces_text)
{
    struct doc *d = doc_new("file:///a.py", 1, "x = 1\n", 6);
    cr_assert_eq(doc_splice(d, 4, 5, "42", 2), 0);
    cr_assert_str_eq(d->text, "x = 42\n");
    cr_assert_eq(doc_splice(d, 0, 0, "# c\n", 4), 0);
    cr_assert_str_eq(d->text, "# c\nx = 42\n");
    cr_assert_eq(doc_splice(d, 4, 11, "", 0), 0);
    cr_assert_str_eq(d->text, "# c\n");
    cr_assert_eq(d->len, 4);
    cr_assert_eq(d->lines.n, 2);
    doc_free(d);
}

Test(doc, splice_out_of_range_leaves_document)
{
    struct doc *d = doc_new("file:///a.py", 1, "abc", 3);
    cr_assert_eq(doc_splice(d, 2, 9, "z", 1), -MG_ERANGE);
    cr_assert_eq(doc_splice(d, 3, 2, "z", 1), -MG_ERANGE);
    cr_assert_str_eq(d->text, "abc");
    doc_free(d);
}

Test(doc, reparse_is_incremental_and_right)
{
    const char *src = "def f(x):\n    return x\n";
    struct doc *d = doc_new("file:///a.py", 1, src, strlen(src));
    cr_assert_eq(doc_reparse(d, parser), 0);
    cr_assert_not_null(d->tree);
    cr_assert(!d->needs_parse);
    cr_assert_eq(doc_splice(d, 8, 9, "", 0), 0); /* drop the ':' */
    cr_assert(d->needs_parse);
    cr_assert_eq(doc_reparse(d, parser), 0);
    cr_assert(ts_node_has_error(ts_tree_root_node(d->tree)));
    char *inc = ts_node_string(ts_tree_root_node(d->tree));
    char *fresh = sexp_fresh(d->text, d->len);
    cr_assert_str_eq(inc, fresh);
    free(inc);
    free(fresh);
    doc_free(d);
}

/* Random edits, mirrored with ts_tree_edit and reparsed incrementally, must
 * give the tree a fresh parse gives (the unit-level differential test; the
 * end-to-end one goes through didChange). */
Test(doc, random_edits_match_fresh_parse)
{
    static const char *const snippets[] = {
        "",         "x",     "(",  ")",      ":",
        "\n",       "\r\n",  "\r", "    ",   "def g():\n    pass\n",
        "é",        "😀",     "'",  "\"\"\"", "if x:\n",
        "return 1", "[1, 2", "]",  "#",      "lambda: 0",
        "\\\n",     "\t",
    };
    const char *src = "import os\n\nclass A:\n    def m(self, x):\n        return [x, 'é']\n";
    struct doc *d = doc_new("file:///r.py", 1, src, strlen(src));
    doc_reparse(d, parser);
    srand(12345);
    for (int i = 0; i < 1500; i++) {
        uint32_t a = (uint32_t)rand() % (uint32_t)(d->len + 1);
        uint32_t b = a + (uint32_t)rand() % 6;
        if (b > d->len)
            b = (uint32_t)d->len;
        const char *s = snippets[rand() % (int)MG_ARRAY_LEN(snippets)];
        cr_assert_eq(doc_splice(d, a, b, s, strlen(s)), 0);
        if (rand() % 3 == 0) {
            cr_assert_eq(doc_reparse(d, parser), 0);
            char *inc = ts_node_string(ts_tree_root_node(d->tree));
            char *fresh = sexp_fresh(d->text, d->len);
            cr_assert_str_eq(inc, fresh, "edit %d: trees differ for text:\n%s", i, d->text);
            free(inc);
            free(fresh);
        }
    }
    doc_free(d);
}

Test(doc, set_text_parses_afresh)
{
    struct doc *d = doc_new("file:///a.py", 1, "x = (", 5);
    doc_reparse(d, parser);
    doc_set_text(d, "y = 2\n", 6);
    cr_assert_null(d->tree);
    cr_assert_eq(doc_reparse(d, parser), 0);
    cr_assert(!ts_node_has_error(ts_tree_root_node(d->tree)));
    doc_free(d);
}

Test(doc, text_with_nul_bytes)
{
    struct doc *d = doc_new("file:///a.py", 1, "a\0b\n", 4);
    cr_assert_eq(d->len, 4);
    cr_assert_eq(doc_reparse(d, parser), 0);
    cr_assert_eq(ts_node_end_byte(ts_tree_root_node(d->tree)) <= 4, true);
    doc_free(d);
}

Test(doc, store)
{
    struct docs ds;
    docs_init(&ds);
    docs_put(&ds, doc_new("file:///a.py", 1, "a", 1));
    docs_put(&ds, doc_new("file:///b.py", 1, "b", 1));
    cr_assert_str_eq(docs_find(&ds, "file:///b.py")->text, "b");
    docs_put(&ds, doc_new("file:///a.py", 2, "A", 1)); /* replaces */
    cr_assert_eq(ds.n, 2);
    cr_assert_str_eq(docs_find(&ds, "file:///a.py")->text, "A");
    cr_assert(docs_remove(&ds, "file:///a.py"));
    cr_assert(!docs_remove(&ds, "file:///a.py"));
    cr_assert_null(docs_find(&ds, "file:///a.py"));
    cr_assert_not_null(docs_find(&ds, "file:///b.py"));
    docs_release(&ds);
}

Test(doc, uri_to_path)
{
    char *p = doc_uri_to_path("file:///home/u/my%20app/x.py");
    cr_assert_str_eq(p, "/home/u/my app/x.py");
    free(p);
    p = doc_uri_to_path("file://localhost/etc/a.py");
    cr_assert_str_eq(p, "/etc/a.py");
    free(p);
    cr_assert_null(doc_uri_to_path("untitled:Untitled-1"));
    cr_assert_null(doc_uri_to_path("file:///a%2"));
    cr_assert_null(doc_uri_to_path("file:///a%00b"));
    cr_assert_null(doc_uri_to_path("file://host/a"));
}

Test(doc, path_to_uri_round_trip)
{
    const char *paths[] = {"/a/b.py", "/my app/ü.py", "/x/100%/#1.py"};
    for (size_t i = 0; i < MG_ARRAY_LEN(paths); i++) {
        char *u = doc_path_to_uri(paths[i]);
        char *p = doc_uri_to_path(u);
        cr_assert_str_eq(p, paths[i], "via %s", u);
        free(u);
        free(p);
    }
}

/* Texts deep enough to trip tree-sitter 0.20.7's 65536-entry stack bug are
 * never parsed; the guard costs O(edit) for ordinary edits. */
Test(doc, depth_guard)
{
    size_t n = 30000;
    char *deep = xmalloc(2 * n + 8);
    memcpy(deep, "x = ", 4);
    memset(deep + 4, '(', n);
    memset(deep + 4 + n, ')', n);
    memcpy(deep + 4 + 2 * n, "\n", 2);
    struct doc *d = doc_new("file:///deep.py", 1, deep, strlen(deep));
    cr_assert_eq(doc_reparse(d, parser), -MG_EDEPTH);
    cr_assert_null(d->tree);
    cr_assert(d->too_deep);
    doc_set_text(d, "x = (1)\n", 8);
    cr_assert_eq(doc_reparse(d, parser), 0);
    cr_assert_not_null(d->tree);
    cr_assert(!d->too_deep);
    /* An ordinary edit spends slack instead of rescanning... */
    cr_assert_eq(doc_splice(d, 5, 6, "2 + 3", 5), 0);
    cr_assert(!d->depth_unknown);
    /* ...but a quote can turn a string's contents into code: rescan. */
    cr_assert_eq(doc_splice(d, 0, 0, "'", 1), 0);
    cr_assert(d->depth_unknown);
    cr_assert_eq(doc_reparse(d, parser), 0);
    cr_assert(!d->depth_unknown);
    doc_free(d);
    free(deep);
}
