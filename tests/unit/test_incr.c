/* Unit tests of server/incr.c: after every edit, incremental analysis must
 * give exactly the findings of a whole analysis, and carry over (same
 * serial) the findings of the definitions the edit did not touch. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "doc.h"
#include "incr.h"
#include "mg.h"

static TSParser *parser;

static void setup(void)
{
    parser = ts_parser_new();
    cr_assert(ts_parser_set_language(parser, tree_sitter_python()));
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
}

static void teardown(void)
{
    an_fini_all();
    ts_parser_delete(parser);
}

TestSuite(incr, .init = setup, .fini = teardown);

/* Analyse `d` as the server does after a change, and check the result
 * against a whole analysis of the same text. */
static void analyse(struct doc *d)
{
    doc_reparse(d, parser);
    struct pdoc pd;
    doc_pdoc(d, &pd);
    struct cfg_resolved cfg;
    memset(&cfg, 0, sizeof(cfg));
    struct diag_list got;
    incr_analyze(d, &pd, &cfg, &got);
    doc_changes_reset(&d->changes);
    d->diags = got;

    struct an_opts opts = {.lazy_fixes = true};
    struct diag_list want;
    diag_list_init(&want);
    an_run_all(&pd, &opts, &want);
    if (got.n != want.n) {
        for (size_t i = 0; i < got.n; i++)
            cr_log_error("incremental: %s %u-%u %s", got.items[i].code, got.items[i].start,
                         got.items[i].end, got.items[i].message);
        for (size_t i = 0; i < want.n; i++)
            cr_log_error("whole: %s %u-%u %s", want.items[i].code, want.items[i].start,
                         want.items[i].end, want.items[i].message);
    }
    cr_assert_eq(got.n, want.n, "v%lld: %zu findings incrementally, %zu whole; text:\n%s",
                 (long long)d->version, got.n, want.n, d->text);
    for (size_t i = 0; i < got.n; i++) {
        const struct an_diag *x = &got.items[i], *y = &want.items[i];
        cr_assert(x->start == y->start && x->end == y->end && strcmp(x->code, y->code) == 0 &&
                      strcmp(x->message, y->message) == 0,
                  "v%lld finding %zu: %s %u-%u '%s', whole: %s %u-%u '%s'; text:\n%s",
                  (long long)d->version, i, x->code, x->start, x->end, x->message, y->code,
                  y->start, y->end, y->message, d->text);
    }
    diag_list_release(&want);
}

static void edit(struct doc *d, uint32_t start, uint32_t end, const char *text)
{
    d->version++;
    cr_assert_eq(doc_splice(d, start, end, text, strlen(text)), 0);
    analyse(d);
}

/* Type `text` at byte `at`, a character at a time, checking each step. */
static void type_at(struct doc *d, uint32_t at, const char *text)
{
    for (size_t i = 0; text[i]; i++) {
        char one[2] = {text[i], 0};
        edit(d, at + (uint32_t)i, at + (uint32_t)i, one);
    }
}

static uint32_t offset_of(const struct doc *d, const char *needle)
{
    const char *p = strstr(d->text, needle);
    cr_assert_not_null(p, "'%s' not in the text", needle);
    return (uint32_t)(p - d->text);
}

/* The serial of the finding `code` starting at byte `at`. */
static uint64_t serial_at(const struct doc *d, const char *code, uint32_t at)
{
    for (size_t i = 0; i < d->diags.n; i++)
        if (d->diags.items[i].start == at && strcmp(d->diags.items[i].code, code) == 0)
            return d->diags.items[i].serial;
    cr_assert_fail("no %s at %u", code, at);
    return 0;
}

static struct doc *open_doc(const char *text)
{
    struct doc *d = doc_new("file:///t/mod.py", 1, text, strlen(text));
    analyse(d);
    return d;
}

static const char CLASS_TEXT[] = "\"\"\"Module.\"\"\"\n"
                                 "import os\n"
                                 "import re\n"
                                 "\n"
                                 "\n"
                                 "class Store:\n"
                                 "    \"\"\"A store.\"\"\"\n"
                                 "\n"
                                 "    def get(self, key):\n"
                                 "        try:\n"
                                 "            return self.items[key]\n"
                                 "        except:\n"
                                 "            pass\n"
                                 "\n"
                                 "    def put(self, key, value):\n"
                                 "        self.items[key] = value\n"
                                 "\n"
                                 "\n"
                                 "def helper(x):\n"
                                 "    return x\n";

Test(incr, typing_in_a_method_keeps_the_other_findings)
{
    struct doc *d = open_doc(CLASS_TEXT);
    uint32_t get_name = offset_of(d, "get(");
    uint64_t d102 = serial_at(d, "D102", get_name);
    uint64_t d103 = serial_at(d, "D103", offset_of(d, "helper("));
    /* At the end of a statement of put(): the syntax stays whole. */
    uint32_t at = offset_of(d, "= value\n") + 7;
    type_at(d, at, " + compute * key  # re");
    /* get() is above the edit and in another method: carried over. */
    cr_assert_eq(serial_at(d, "D102", get_name), d102);
    /* helper() is below it: carried over too, shifted. */
    uint32_t helper = offset_of(d, "helper(");
    cr_assert_eq(serial_at(d, "D103", helper), d103);
    doc_free(d);
}

Test(incr, imports_used_and_unused_as_you_type)
{
    struct doc *d = open_doc(CLASS_TEXT);
    /* Using `os` in a function body makes its import used... */
    uint32_t at = offset_of(d, "    return x\n");
    type_at(d, at, "    print(os.getcwd())\n");
    for (size_t i = 0; i < d->diags.n; i++)
        cr_assert(strcmp(d->diags.items[i].code, "F401") != 0 ||
                      strstr(d->diags.items[i].message, "`os`") == NULL,
                  "os is used now");
    /* ... and deleting the use makes it unused again. */
    at = offset_of(d, "    print(os.getcwd())\n");
    edit(d, at, at + (uint32_t)strlen("    print(os.getcwd())\n"), "");
    /* An import added at module level, then removed: the whole file is
     * analysed again, and the findings that come back the same keep their
     * serials (the client's data still names them). */
    uint64_t d102 = serial_at(d, "D102", offset_of(d, "get("));
    at = offset_of(d, "import re\n");
    type_at(d, at, "import sys\n");
    cr_assert_eq(serial_at(d, "D102", offset_of(d, "get(")), d102);
    at = offset_of(d, "import sys\n");
    edit(d, at, at + 11, "");
    doc_free(d);
}

Test(incr, comments_naming_imports_change_nothing)
{
    struct doc *d = open_doc(CLASS_TEXT);
    uint32_t at = offset_of(d, "            pass\n");
    type_at(d, at, "            # os and re are named here, noqa aside\n");
    type_at(d, offset_of(d, "            pass\n"), "            # type: ignore\n");
    doc_free(d);
}

Test(incr, overload_stub_renamed)
{
    struct doc *d = open_doc("from typing import overload\n"
                             "\n"
                             "\n"
                             "class C:\n"
                             "    @overload\n"
                             "    def f(self, x: int) -> int: ...\n"
                             "\n"
                             "    def f(self, x):\n"
                             "        return x\n");
    uint32_t at = offset_of(d, "f(self, x: int)");
    edit(d, at, at + 1, "g");
    edit(d, at, at + 1, "f");
    doc_free(d);
}

Test(incr, methods_deleted_split_and_moved)
{
    struct doc *d = open_doc(CLASS_TEXT);
    /* Delete put() whole. */
    uint32_t a = offset_of(d, "    def put("), b = offset_of(d, "\n\ndef helper(");
    edit(d, a, b, "");
    /* Dedent a line of get() to module level, then indent it back. */
    a = offset_of(d, "        try:");
    edit(d, a, a + 8, "");
    edit(d, a, a, "        ");
    /* Break the class header and mend it. */
    a = offset_of(d, "class Store:");
    edit(d, a + 11, a + 12, "");
    edit(d, a + 11, a + 11, ":");
    /* Join two lines. */
    a = offset_of(d, "\n        except:");
    edit(d, a, a + 1, " ");
    doc_free(d);
}

Test(incr, exceptions_follow_loggers_across_functions)
{
    struct doc *d = open_doc("def a():\n"
                             "    try:\n"
                             "        run()\n"
                             "    except Exception:\n"
                             "        log.info('failed')\n"
                             "\n"
                             "\n"
                             "def b():\n"
                             "    pass\n");
    uint32_t at = offset_of(d, "    pass\n");
    type_at(d, at, "    log = logging.getLogger(__name__)\n");
    type_at(d, 0, "import logging\n");
    doc_free(d);
}

/* Random edits of a real module: snippets that break and mend syntax,
 * definitions, imports, comments, noqa. */
Test(incr, random_edits_match_whole_analysis)
{
    static const char *const snippets[] = {
        "x",
        "os",
        "re",
        " ",
        "\n",
        "    ",
        "def ",
        "class ",
        "import os\n",
        "(",
        ")",
        ":",
        "# c",
        "# noqa",
        "'''",
        "\"",
        "raise ValueError\n",
        "except:\n",
        "try:\n",
        "@overload\n",
        "return None\n",
        "self.",
        "__all__ = ['f']\n",
        "log.exception(e)\n",
        "\"\"\"Doc.\n\nRaises:\n    KeyError: x\n\"\"\"\n",
        "pass\n",
        "    def m(self, a):\n",
    };
    char *base = NULL;
    size_t len = 0;
    cr_assert_eq(mg_read_file("/usr/lib/python3.11/bisect.py", 1 << 20, &base, &len), 0);
    struct doc *d = doc_new("file:///t/bisect.py", 1, base, len);
    free(base);
    analyse(d);
    srand(7);
    for (int i = 0; i < 300; i++) {
        uint32_t at = (uint32_t)((size_t)rand() % (d->len + 1));
        while (at > 0 && at < d->len && ((unsigned char)d->text[at] & 0xc0) == 0x80)
            at--;
        if (rand() % 3 == 0 && d->len > 0) {
            uint32_t end = at + (uint32_t)(rand() % 12);
            if (end > d->len)
                end = (uint32_t)d->len;
            while (end < d->len && ((unsigned char)d->text[end] & 0xc0) == 0x80)
                end++;
            edit(d, at, end, "");
        } else {
            edit(d, at, at, snippets[(size_t)rand() % (sizeof(snippets) / sizeof(*snippets))]);
        }
    }
    doc_free(d);
}

/* F401 by name: typing a name an import binds re-examines that import,
 * the statements on its line, and a block made of imports only. */
Test(incr, imports_by_name)
{
    struct doc *d = open_doc("\"\"\"Module.\"\"\"\n"
                             "import os, re\n"
                             "import sys; import json\n"
                             "from typing import TYPE_CHECKING\n"
                             "\n"
                             "if TYPE_CHECKING:\n"
                             "    import abc\n"
                             "    import ast\n"
                             "\n"
                             "\n"
                             "def f(x):\n"
                             "    \"\"\"F.\"\"\"\n"
                             "    return x\n");
    uint32_t at = offset_of(d, "    return x\n");
    type_at(d, at, "    print(os, sys, abc)\n");
    at = offset_of(d, "print(os");
    edit(d, at + 6, at + 8, "re");
    edit(d, at + 6, at + 8, "js");
    edit(d, at + 8, at + 8, "on");
    at = offset_of(d, "abc)");
    edit(d, at, at + 3, "ast");
    edit(d, at, at + 3, "x");
    doc_free(d);
}

/* __all__ makes an import used: renaming it changes F401's findings for
 * every name it lists, so F401 runs whole. */
Test(incr, all_renamed)
{
    struct doc *d = open_doc("\"\"\"Module.\"\"\"\n"
                             "import os\n"
                             "\n"
                             "__all__ = ['os']\n");
    uint32_t at = offset_of(d, "__all__");
    edit(d, at + 5, at + 6, "");
    edit(d, at + 5, at + 5, "_");
    doc_free(d);
}
