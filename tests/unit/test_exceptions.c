/* Unit tests of the exceptions analyzer (E722, BLE001, S110, S112, B904,
 * MG301), through analyzer.h: parse a snippet, run the analyzers with some
 * codes selected, compare the findings as "line:col CODE" lines (1-based,
 * columns in bytes). The golden fixtures (tests/fixtures/exceptions/) hold
 * the bigger cases; these pin down options, fixes, limits and robustness. */
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

TestSuite(exceptions, .init = setup, .fini = teardown);

static const char *const all_codes[] = {"E722", "BLE001", "S110", "S112", "B904", "MG301"};

/* Parse `text` and run the analyzers with `o` (select defaults to this
 * analyzer's codes). */
static void analyse_opts(const char *text, size_t len, const struct an_opts *o,
                         struct diag_list *out)
{
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    cr_assert_not_null(tree);
    struct an_opts opts = o != NULL ? *o : (struct an_opts){0};
    if (opts.n_select == 0) {
        opts.select = (char **)all_codes;
        opts.n_select = MG_ARRAY_LEN(all_codes);
    }
    struct pdoc doc = {.uri = "file:///t.py", .text = text, .len = len, .tree = tree};
    diag_list_init(out);
    cr_assert_eq(an_run_all(&doc, &opts, out), 0);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

static void analyse(const char *text, struct diag_list *out)
{
    analyse_opts(text, strlen(text), NULL, out);
}

/* What every finding must be, whatever the input. */
static void check_sane(const struct diag_list *l, size_t len)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        cr_assert_eq(d->severity, AN_WARNING);
        cr_assert_leq(d->start, d->end);
        cr_assert_leq(d->end, len);
        cr_assert(d->message != NULL && d->message[0] != '\0');
        cr_assert_null(strchr(d->message, '\n'));
        for (size_t f = 0; f < d->n_fixes; f++) {
            cr_assert(!d->fixes[f].safe, "%s: every fix is a quick-fix", d->code);
            for (size_t e = 0; e < d->fixes[f].n_edits; e++) {
                const struct an_edit *ed = &d->fixes[f].edits[e];
                cr_assert_leq(ed->start, ed->end);
                cr_assert_leq(ed->end, len);
                if (e > 0)
                    cr_assert_leq(d->fixes[f].edits[e - 1].end, ed->start);
            }
        }
    }
}

/* The findings as "line:col CODE" lines. Caller frees. */
static char *render(const char *text, const struct diag_list *l)
{
    struct mg_buf b = {0};
    for (size_t i = 0; i < l->n; i++) {
        unsigned line = 1, col = 1;
        for (uint32_t k = 0; k < l->items[i].start; k++) {
            if (text[k] == '\n')
                line++, col = 1;
            else
                col++;
        }
        mg_buf_addf(&b, "%u:%u %s\n", line, col, l->items[i].code);
    }
    if (b.data == NULL)
        mg_buf_add(&b, "", 0);
    return mg_buf_detach(&b, NULL);
}

static void expect_findings(const char *text, const struct an_opts *o, const char *want)
{
    struct diag_list l;
    analyse_opts(text, strlen(text), o, &l);
    check_sane(&l, strlen(text));
    char *got = render(text, &l);
    cr_expect_str_eq(got, want, "for:\n%s\ngot:\n%s\nwant:\n%s", text, got, want);
    free(got);
    diag_list_release(&l);
}

/* The first finding with `code`, or NULL. */
static const struct an_diag *find(const struct diag_list *l, const char *code)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].code, code) == 0)
            return &l->items[i];
    return NULL;
}

/* `text` with the edits of fix `f` applied. Caller frees. */
static char *apply(const char *text, const struct an_fix *f)
{
    const struct an_edit **edits = xcalloc(f->n_edits + 1, sizeof(*edits));
    for (size_t i = 0; i < f->n_edits; i++)
        edits[i] = &f->edits[i];
    size_t n;
    char *out = an_apply_edits(text, strlen(text), edits, f->n_edits, &n);
    free(edits);
    return out;
}

/* ---- the rules table ------------------------------------------------------ */

Test(exceptions, rules_table)
{
    static const struct {
        const char *code, *name;
        int cwe;
    } want[] = {
        {"E722", "bare-except", 396},
        {"BLE001", "blind-except", 396},
        {"S110", "try-except-pass", 390},
        {"S112", "try-except-continue", 390},
        {"B904", "raise-without-from-inside-except", 755},
        {"MG301", "swallowed-exception", 390},
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(want); i++) {
        const struct an_rule *r = an_rule_find(want[i].code);
        cr_assert_not_null(r, "%s", want[i].code);
        cr_expect_str_eq(r->name, want[i].name);
        cr_expect_eq(r->severity, AN_WARNING, "%s", want[i].code);
        cr_expect_eq(r->cwe, want[i].cwe, "%s", want[i].code);
    }
}

/* ---- E722 ------------------------------------------------------------------- */

Test(exceptions, e722)
{
    char *sel[] = {"E722"};
    struct an_opts o = {.select = sel, .n_select = 1};
    expect_findings("try:\n    x()\nexcept:\n    pass\n", &o, "3:1 E722\n");
    expect_findings("try:\n    x()\nexcept:\n    raise\n", &o, "");
    expect_findings("try:\n    x()\nexcept:\n    y(); raise\n", &o, "");
    /* Only the handler's own statements count, as in Ruff. */
    expect_findings("try:\n    x()\nexcept:\n    if y:\n        raise\n", &o, "3:1 E722\n");
    expect_findings("try:\n    x()\nexcept Exception:\n    pass\n", &o, "");
    /* oslo.utils' idiom re-raises too. */
    expect_findings("try:\n    x()\nexcept:\n    with excutils.save_and_reraise_exception():\n"
                    "        y()\n",
                    &o, "");
    /* Nested handlers each count. */
    expect_findings("try:\n    x()\nexcept:\n    try:\n        y()\n    except:\n        raise\n",
                    &o, "3:1 E722\n");
}

Test(exceptions, e722_fix_only_when_nothing_is_left)
{
    struct diag_list l;
    const char *logged = "import logging\ntry:\n    x()\nexcept:\n    logging.exception('x')\n";
    analyse(logged, &l);
    const struct an_diag *d = find(&l, "E722");
    cr_assert_not_null(d);
    cr_assert_eq(d->n_fixes, 1);
    char *fixed = apply(logged, &d->fixes[0]);
    cr_expect_str_eq(fixed, "import logging\ntry:\n    x()\nexcept Exception:\n"
                            "    logging.exception('x')\n");
    free(fixed);
    diag_list_release(&l);

    /* `except Exception: pass` would be BLE001: no fix. */
    analyse("try:\n    x()\nexcept:\n    pass\n", &l);
    d = find(&l, "E722");
    cr_assert_not_null(d);
    cr_expect_eq(d->n_fixes, 0);
    diag_list_release(&l);
}

/* ---- BLE001 ----------------------------------------------------------------- */

Test(exceptions, ble001)
{
    char *sel[] = {"BLE001"};
    struct an_opts o = {.select = sel, .n_select = 1};
    expect_findings("try:\n    x()\nexcept Exception:\n    y()\n", &o, "3:8 BLE001\n");
    expect_findings("try:\n    x()\nexcept (ValueError, BaseException):\n    y()\n", &o,
                    "3:21 BLE001\n");
    expect_findings("try:\n    x()\nexcept (A, (B, (Exception,))):\n    y()\n", &o,
                    "3:17 BLE001\n");
    expect_findings("try:\n    x()\nexcept builtins.Exception as e:\n    y()\n", &o,
                    "3:8 BLE001\n");
    expect_findings("try:\n    x()\nexcept* Exception:\n    y()\n", &o, "3:9 BLE001\n");
    expect_findings("try:\n    x()\nexcept MyException:\n    y()\n", &o, "");
    expect_findings("try:\n    x()\nexcept other.Exception:\n    y()\n", &o, "");
    /* Re-raises, anywhere but in nested try/def/class. */
    expect_findings("try:\n    x()\nexcept Exception:\n    if y:\n        raise\n", &o, "");
    expect_findings("try:\n    x()\nexcept Exception as e:\n    for a in b:\n        raise e\n", &o,
                    "");
    expect_findings("try:\n    x()\nexcept Exception as e:\n    raise X() from e\n", &o, "");
    expect_findings("try:\n    x()\nexcept Exception as e:\n    raise X() from f\n", &o,
                    "3:8 BLE001\n");
    expect_findings("try:\n    x()\nexcept Exception:\n    try:\n        raise\n    finally:\n"
                    "        pass\n",
                    &o, "3:8 BLE001\n");
    /* Logging the traceback. */
    expect_findings("try:\n    x()\nexcept Exception:\n    LOG.exception('x')\n", &o, "");
    expect_findings("try:\n    x()\nexcept Exception:\n    self.log.info('x', exc_info=1)\n", &o,
                    "");
    expect_findings("try:\n    x()\nexcept Exception:\n    logger.info('x', exc_info=0)\n", &o,
                    "3:8 BLE001\n");
    expect_findings("try:\n    x()\nexcept Exception:\n    logger.info('x', exc_info='')\n", &o,
                    "3:8 BLE001\n");
    expect_findings("try:\n    x()\nexcept Exception:\n    logger.setLevel(1, exc_info=True)\n", &o,
                    "3:8 BLE001\n");
    expect_findings("from logging import exception as log_exc\ntry:\n    x()\n"
                    "except Exception:\n    log_exc('x')\n",
                    &o, "");
    expect_findings("import logging as lg\ntry:\n    x()\nexcept Exception:\n"
                    "    lg.error('x', exc_info=True)\n",
                    &o, "");
    expect_findings("import logging\ntry:\n    x()\nexcept Exception:\n"
                    "    logging.getLogger(__name__).exception('x')\n",
                    &o, "");
    /* An imported name is a logger only if it is the logging module (Ruff). */
    expect_findings("from helpers import LOG\ntry:\n    x()\nexcept Exception:\n"
                    "    LOG.exception('x')\n",
                    &o, "4:8 BLE001\n");
    /* ...but a relative import is judged by its name, as Ruff does. */
    expect_findings("from .log import logger\ntry:\n    x()\nexcept Exception:\n"
                    "    logger.exception('x')\n",
                    &o, "");
    /* A logger by how it was made. */
    expect_findings("import logging\naudit = logging.getLogger('audit')\ntry:\n    x()\n"
                    "except Exception:\n    audit.exception('x')\n",
                    &o, "");
    expect_findings("from oslo_log import log as logging\nAUD = logging.getLogger('audit')\n"
                    "def f():\n    try:\n        x()\n    except Exception:\n"
                    "        AUD.exception('x')\n",
                    &o, "");
}

Test(exceptions, ble001_options)
{
    char *sel[] = {"BLE001"};
    const char *text = "import sentry_sdk\nfrom pkg.log import AUDIT\ntry:\n    x()\n"
                       "except Exception:\n    sentry_sdk.capture_exception()\n"
                       "try:\n    x()\nexcept Exception:\n    AUDIT.exception('x')\n"
                       "try:\n    x()\nexcept Exception:\n    self.trail.exception('x')\n";
    struct an_opts o = {.select = sel, .n_select = 1};
    expect_findings(text, &o, "5:8 BLE001\n9:8 BLE001\n13:8 BLE001\n");
    char *callables[] = {"sentry_sdk.capture_exception"};
    char *objects[] = {"pkg.log.AUDIT", "*trail"};
    o.exc_logger_callables = callables;
    o.n_exc_logger_callables = 1;
    o.exc_logger_objects = objects;
    o.n_exc_logger_objects = 2;
    expect_findings(text, &o, "");
}

/* ---- S110 / S112 ------------------------------------------------------------ */

Test(exceptions, s110_s112)
{
    char *sel[] = {"S110", "S112"};
    struct an_opts o = {.select = sel, .n_select = 2};
    expect_findings("try:\n    x()\nexcept Exception:\n    pass\n", &o, "3:1 S110\n");
    expect_findings("try:\n    x()\nexcept:\n    # why\n    pass  # why\n", &o, "3:1 S110\n");
    expect_findings("for a in b:\n    try:\n        x()\n    except:\n        continue\n", &o,
                    "4:5 S112\n");
    expect_findings("try:\n    x()\nexcept ValueError:\n    pass\n", &o, "");
    expect_findings("try:\n    x()\nexcept Exception:\n    pass\n    pass\n", &o, "");
    expect_findings("try:\n    x()\nexcept Exception:\n    ...\n", &o, "");
    o.exc_check_typed_exception = true;
    expect_findings("try:\n    x()\nexcept ValueError:\n    pass\n", &o, "3:1 S110\n");
    expect_findings("for a in b:\n    try:\n        x()\n    except (A, B):\n        continue\n",
                    &o, "4:5 S112\n");
}

Test(exceptions, s110_fix)
{
    const char *text = "import logging\nLOG = logging.getLogger(__name__)\n"
                       "try:\n    x()\nexcept Exception:\n    pass\n";
    struct diag_list l;
    analyse(text, &l);
    const struct an_diag *d = find(&l, "S110");
    cr_assert_not_null(d);
    cr_assert_eq(d->n_fixes, 1);
    cr_expect_str_eq(d->fixes[0].title, "Log the exception with `LOG.exception()`");
    char *fixed = apply(text, &d->fixes[0]);
    cr_expect_str_eq(fixed, "import logging\nLOG = logging.getLogger(__name__)\n"
                            "try:\n    x()\nexcept Exception:\n"
                            "    LOG.exception(\"Ignored exception\")\n");
    free(fixed);
    diag_list_release(&l);

    /* The logger comes after the handler: the call would run first. */
    analyse("import logging\ntry:\n    x()\nexcept Exception:\n    pass\n"
            "LOG = logging.getLogger(__name__)\n",
            &l);
    d = find(&l, "S110");
    cr_assert_not_null(d);
    cr_expect_eq(d->n_fixes, 0);
    diag_list_release(&l);

    /* A logger made in a function is not the module's. */
    analyse("import logging\ndef f():\n    log = logging.getLogger()\n"
            "try:\n    x()\nexcept Exception:\n    pass\n",
            &l);
    d = find(&l, "S110");
    cr_assert_not_null(d);
    cr_expect_eq(d->n_fixes, 0);
    diag_list_release(&l);
}

/* ---- B904 ------------------------------------------------------------------- */

Test(exceptions, b904)
{
    char *sel[] = {"B904"};
    struct an_opts o = {.select = sel, .n_select = 1};
    expect_findings("try:\n    x()\nexcept ValueError:\n    raise TypeError()\n", &o, "4:5 B904\n");
    expect_findings("try:\n    x()\nexcept ValueError as e:\n    raise e\n", &o, "");
    expect_findings("try:\n    x()\nexcept ValueError:\n    raise\n", &o, "");
    expect_findings("try:\n    x()\nexcept ValueError:\n    raise TypeError() from None\n", &o, "");
    /* Not in nested functions, classes or try statements; not in a loop's
     * else clause (Ruff's RaiseStatementVisitor). */
    expect_findings("try:\n    x()\nexcept ValueError:\n    def f():\n        raise TypeError\n",
                    &o, "");
    expect_findings("try:\n    x()\nexcept ValueError:\n    try:\n        raise TypeError\n"
                    "    finally:\n        pass\n",
                    &o, "");
    expect_findings("try:\n    x()\nexcept ValueError:\n    for a in b:\n        raise T\n"
                    "    else:\n        raise U\n",
                    &o, "5:9 B904\n");
    expect_findings("try:\n    x()\nexcept ValueError:\n    with a:\n        while b:\n"
                    "            raise T\n",
                    &o, "6:13 B904\n");
    /* A nested handler is judged with its own name. */
    expect_findings("try:\n    x()\nexcept ValueError as e:\n    try:\n        y()\n"
                    "    except KeyError:\n        raise e\n",
                    &o, "7:9 B904\n");
}

/* The fix of the first B904 of `text`, applied. Caller frees; NULL when
 * there is no fix. */
static char *b904_fixed(const char *text)
{
    struct diag_list l;
    analyse(text, &l);
    const struct an_diag *d = find(&l, "B904");
    cr_assert_not_null(d, "%s", text);
    char *out = d->n_fixes > 0 ? apply(text, &d->fixes[0]) : NULL;
    diag_list_release(&l);
    return out;
}

Test(exceptions, b904_fixes)
{
    char *s = b904_fixed("try:\n    x()\nexcept ValueError as e:\n    raise TypeError()  # c\n");
    cr_expect_str_eq(s,
                     "try:\n    x()\nexcept ValueError as e:\n    raise TypeError() from e  # c\n");
    free(s);
    s = b904_fixed("def f(a):\n    try:\n        x()\n    except (A, B):\n        raise T(a)\n");
    cr_expect_str_eq(s, "def f(a):\n    try:\n        x()\n    except (A, B) as err:\n"
                        "        raise T(a) from err\n");
    free(s);
    /* `err` and `exc` are taken in the function (a parameter, a local):
     * the handler would delete them when it ends. */
    s = b904_fixed("def f(err):\n    exc = 1\n    try:\n        x()\n    except A:\n"
                   "        raise T(err, exc)\n");
    cr_expect_str_eq(s, "def f(err):\n    exc = 1\n    try:\n        x()\n    except A as error:\n"
                        "        raise T(err, exc) from error\n");
    free(s);
    /* A comment or a string naming `err` does not count. */
    s = b904_fixed("def f():\n    # err\n    try:\n        x()\n    except A:\n"
                   "        raise T('err')\n");
    cr_expect_str_eq(s, "def f():\n    # err\n    try:\n        x()\n    except A as err:\n"
                        "        raise T('err') from err\n");
    free(s);
    /* Another function's `err` does not matter. */
    s = b904_fixed("def g(err):\n    pass\ndef f():\n    try:\n        x()\n    except A:\n"
                   "        raise T\n");
    cr_expect_str_eq(s, "def g(err):\n    pass\ndef f():\n    try:\n        x()\n"
                        "    except A as err:\n        raise T from err\n");
    free(s);
    /* Module level: the whole file is the scope. */
    s = b904_fixed("err = 1\ntry:\n    x()\nexcept A:\n    raise T\n");
    cr_expect_str_eq(s, "err = 1\ntry:\n    x()\nexcept A as exc:\n    raise T from exc\n");
    free(s);
    /* Python 2's `except A, e` binds e. */
    s = b904_fixed("try:\n    x()\nexcept A, e:\n    raise T\n");
    cr_expect_str_eq(s, "try:\n    x()\nexcept A, e:\n    raise T from e\n");
    free(s);
    /* No fix: a bare except (binding needs a type). */
    cr_expect_null(b904_fixed("try:\n    x()\nexcept:\n    raise T\n"));
}

/* ---- MG301 ------------------------------------------------------------------ */

Test(exceptions, mg301)
{
    char *sel[] = {"MG301"};
    struct an_opts o = {.select = sel, .n_select = 1};
    const char *two = "try:\n    a()\n    b()\n";
    char buf[512];
#define MG(handler, want)                                                                          \
    do {                                                                                           \
        snprintf(buf, sizeof(buf), "%sexcept KeyError:\n%s", two, handler);                        \
        expect_findings(buf, &o, want);                                                            \
    } while (0)
    MG("    pass\n", "4:1 MG301\n");
    MG("    ...\n", "4:1 MG301\n");
    MG("    if x:\n        pass\n", "4:1 MG301\n");
    MG("    log.debug('a %s', str(x))\n", ""); /* the message says why */
    MG("    # b() may have done it\n    pass\n", "");
    MG("    pass  # b() may have done it\n", "");
    MG("    'b() may have done it'\n", "");
    MG("    c()\n", "");
    MG("    x = None\n", "");
    MG("    return None\n", "");
    MG("    raise\n", "");
    MG("    log.warning('a')\n", "");
    MG("    log.log(logging.DEBUG, 'a')\n", "");
    MG("    log.log(logging.WARNING, 'a')\n", "");
    MG("    (y := 1)\n", "");
    MG("    del cache[k]\n", "");
    MG("    import fallback\n", "");
    MG("    def f():\n        pass\n", "");
#undef MG
    /* Broad handlers are BLE001's and S110's. */
    expect_findings("try:\n    a()\n    b()\nexcept Exception:\n    pass\n", &o, "");
    expect_findings("try:\n    a()\n    b()\nexcept:\n    pass\n", &o, "");
    /* One operation: EAFP. */
    expect_findings("try:\n    a()\nexcept KeyError:\n    pass\n", &o, "");
    expect_findings("try:\n    x = d[k]\n    y = 1\nexcept KeyError:\n    pass\n", &o, "");
    expect_findings(
        "try:\n    with open(p) as f:\n        d.update(f)\nexcept OSError:\n    pass\n", &o, "");
    expect_findings("try:\n    a()\n    log.info('a done')\nexcept KeyError:\n    pass\n", &o, "");
    /* Shapes of deliberate ignoring. */
    expect_findings("try:\n    a()\n    b()\nexcept KeyError:\n    pass\nelse:\n    c()\n", &o, "");
    expect_findings("def f():\n    try:\n        a()\n        return b()\n    except KeyError:\n"
                    "        pass\n",
                    &o, "");
    expect_findings("try:\n    import a\n    a.b()\nexcept ImportError:\n    pass\n", &o, "");
    expect_findings("try:\n    a()\n    b()\nexcept (StopIteration, KeyboardInterrupt):\n"
                    "    pass\n",
                    &o, "");
    expect_findings("try:\n    a()\n    self.fail('no error')\nexcept KeyError:\n    pass\n", &o,
                    "");
}

Test(exceptions, mg301_loops)
{
    char *sel[] = {"MG301"};
    struct an_opts o = {.select = sel, .n_select = 1};
    /* A search over candidates: the next one is the handling. */
    expect_findings("for c in cs:\n    try:\n        c.a()\n        break\n    except E:\n"
                    "        pass\n",
                    &o, "");
    /* A retry loop must give up loudly. */
    expect_findings("for i in range(3):\n    try:\n        c.a()\n        break\n    except E:\n"
                    "        pass\n",
                    &o, "5:5 MG301\n");
    expect_findings("for i in range(3):\n    try:\n        c.a()\n        break\n    except E:\n"
                    "        pass\nelse:\n    raise Failed\n",
                    &o, "");
    expect_findings("for i in range(3):\n    try:\n        return c.a()\n    except E:\n"
                    "        pass\nlog.error('gave up')\n",
                    &o, "");
    expect_findings("for i in range(3):\n    try:\n        return c.a()\n    except E:\n"
                    "        pass\nlog.debug('gave up')\n",
                    &o, "4:5 MG301\n");
    expect_findings(
        "for h in hosts:\n    for i in range(3):\n        try:\n            return h.a()\n"
        "        except E:\n            pass\nraise Failed\n",
        &o, "");
    expect_findings("while retries > 0:\n    retries -= 1\n    try:\n        return c.a()\n"
                    "    except E:\n        pass\n",
                    &o, "5:5 MG301\n");
    /* A retry loop's else clause is not retried. */
    expect_findings("for i in range(3):\n    pass\nelse:\n    try:\n        a()\n        b()\n"
                    "    except E:\n        pass\n",
                    &o, "7:5 MG301\n");
    /* `while cond:` searches and polls are not retries. */
    expect_findings("while h:\n    try:\n        return d[h]\n    except KeyError:\n        pass\n"
                    "    h = h.parent\n",
                    &o, "");
}

Test(exceptions, mg301_defers_to_s110)
{
    const char *text = "try:\n    a()\n    b()\nexcept KeyError:\n    pass\n";
    char *both[] = {"S110", "MG301"};
    char *mg[] = {"MG301"};
    struct an_opts o = {.select = both, .n_select = 2};
    expect_findings(text, &o, "4:1 MG301\n");
    o.exc_check_typed_exception = true;
    expect_findings(text, &o, "4:1 S110\n"); /* S110 speaks for it */
    o.select = mg;
    o.n_select = 1;
    expect_findings(text, &o, "4:1 MG301\n"); /* unless S110 is not selected */
}

Test(exceptions, mg301_fix_and_message)
{
    const char *text =
        "import logging\nlog = logging.getLogger()\n"
        "try:\n    a()\n    b()\nexcept (KeyError,\n        IndexError):\n    pass\n";
    struct diag_list l;
    analyse(text, &l);
    const struct an_diag *d = find(&l, "MG301");
    cr_assert_not_null(d);
    cr_expect_str_eq(d->message, "`except (KeyError, IndexError):` swallows the exception: it is "
                                 "neither re-raised, handled nor logged");
    cr_assert_eq(d->n_fixes, 1);
    char *fixed = apply(text, &d->fixes[0]);
    cr_expect_str_eq(fixed, "import logging\nlog = logging.getLogger()\n"
                            "try:\n    a()\n    b()\nexcept (KeyError,\n        IndexError):\n"
                            "    log.exception(\"Ignored exception\")\n");
    free(fixed);
    diag_list_release(&l);
}

/* ---- robustness ------------------------------------------------------------- */

/* Deep inputs run on a thread with a small stack (256 KiB): neither
 * tree-sitter 0.20.7 nor the analyzer may recurse with the input. */
struct deep {
    char *text;
    size_t len;
    struct diag_list l;
};

static void *deep_run(void *arg)
{
    struct deep *d = arg;
    analyse_opts(d->text, d->len, NULL, &d->l);
    return NULL;
}

static void analyse_on_small_stack(struct deep *d)
{
    pthread_attr_t attr;
    pthread_t th;
    cr_assert_eq(pthread_attr_init(&attr), 0);
    cr_assert_eq(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
    cr_assert_eq(pthread_create(&th, &attr, deep_run, d), 0);
    cr_assert_eq(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    check_sane(&d->l, d->len);
}

static size_t count(const struct diag_list *l, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strcmp(l->items[i].code, code) == 0;
    return n;
}

Test(exceptions, deep_nesting)
{
    struct mg_buf b = {0};
    struct deep d;

    /* 10,000 nested parentheses in a handler's type and in its body. */
    mg_buf_adds(&b, "try:\n    a()\n    b()\nexcept ");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "Exception");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, ":\n    x = ");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "1");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, "\n");
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    cr_expect_eq(count(&d.l, "BLE001"), 1);
    diag_list_release(&d.l);
    free(d.text);

    /* Nested tuples in the caught type. */
    mg_buf_adds(&b, "try:\n    a()\nexcept ");
    for (int i = 0; i < 5000; i++)
        mg_buf_adds(&b, "(A, ");
    mg_buf_adds(&b, "BaseException");
    for (int i = 0; i < 5000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, ":\n    pass\n");
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    diag_list_release(&d.l);
    free(d.text);

    /* 2,000 nested ifs inside a handler, a raise at the bottom. */
    mg_buf_adds(&b, "try:\n    a()\nexcept:\n");
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k <= i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "if x:\n");
    }
    for (int k = 0; k <= 2000; k++)
        mg_buf_adds(&b, " ");
    mg_buf_adds(&b, "raise Y\n");
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    diag_list_release(&d.l);
    free(d.text);

    /* 1,000 handlers nested in handlers (try inside except). */
    for (int i = 0; i < 1000; i++) {
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "try:\n");
        for (int k = 0; k <= i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "a()\n");
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "except ValueError:\n");
    }
    for (int k = 0; k <= 1000; k++)
        mg_buf_adds(&b, " ");
    mg_buf_adds(&b, "raise TypeError\n");
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    diag_list_release(&d.l);
    free(d.text);

    /* An attribute chain of 10,000 parts as the caught type. */
    mg_buf_adds(&b, "try:\n    a()\nexcept a");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ".b");
    mg_buf_adds(&b, ":\n    raise X\n");
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    cr_expect_eq(count(&d.l, "B904"), 1);
    diag_list_release(&d.l);
    free(d.text);
}

Test(exceptions, huge_line)
{
    /* A 1 MB line inside a handler. */
    struct mg_buf b = {0};
    mg_buf_adds(&b, "try:\n    a()\n    b()\nexcept KeyError:\n    x = '");
    for (int i = 0; i < 1 << 20; i++)
        mg_buf_add(&b, "e", 1);
    mg_buf_adds(&b, "'\n    raise ValueError\n");
    size_t len;
    char *text = mg_buf_detach(&b, &len);
    struct diag_list l;
    analyse_opts(text, len, NULL, &l);
    check_sane(&l, len);
    cr_expect_eq(count(&l, "B904"), 1);
    diag_list_release(&l);
    free(text);
}

/* Long blocks, tuples and argument lists stay linear: 20,000 statements in
 * a try body and in its handler, 10,000 caught types, a logger call with
 * 10,000 keyword arguments. */
Test(exceptions, long_blocks)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "import logging\nLOG = logging.getLogger()\ntry:\n");
    for (int i = 0; i < 20000; i++)
        mg_buf_addf(&b, "    a%d()\n", i);
    mg_buf_adds(&b, "except (");
    for (int i = 0; i < 10000; i++)
        mg_buf_addf(&b, "E%d, ", i);
    mg_buf_adds(&b, "Exception):\n");
    for (int i = 0; i < 20000; i++)
        mg_buf_adds(&b, "    pass\n");
    mg_buf_adds(&b, "    LOG.error('x', ");
    for (int i = 0; i < 10000; i++)
        mg_buf_addf(&b, "k%d=1, ", i);
    mg_buf_adds(&b, "exc_info=True)\n");
    size_t len;
    char *text = mg_buf_detach(&b, &len);
    struct diag_list l;
    analyse_opts(text, len, NULL, &l);
    check_sane(&l, len);
    cr_expect_eq(count(&l, "BLE001"), 0, "exc_info after 10,000 arguments still counts");
    diag_list_release(&l);
    free(text);
}

static const char valid_source[] = "import logging\n"
                                   "LOG = logging.getLogger(__name__)\n"
                                   "\n"
                                   "def f(conn, items):\n"
                                   "    for _ in range(3):\n"
                                   "        try:\n"
                                   "            conn.open()\n"
                                   "            break\n"
                                   "        except (OSError, Exception) as e:\n"
                                   "            raise RuntimeError('x') from e\n"
                                   "    try:\n"
                                   "        a()\n"
                                   "        b()\n"
                                   "    except KeyError:\n"
                                   "        pass\n"
                                   "    except:\n"
                                   "        LOG.exception('y')\n"
                                   "    for i in items:\n"
                                   "        try:\n"
                                   "            i.run()\n"
                                   "        except* ValueError:\n"
                                   "            continue\n"
                                   "    with excutils.save_and_reraise_exception():\n"
                                   "        pass\n";

/* Every one-byte deletion (broken code, ERROR and MISSING nodes): never a
 * crash, never a range or an edit outside the text. */
Test(exceptions, mutations_stay_sane)
{
    size_t len = sizeof(valid_source) - 1;
    char *buf = xmalloc(len + 1);
    for (size_t at = 0; at < len; at++) {
        memcpy(buf, valid_source, at);
        memcpy(buf + at, valid_source + at + 1, len - at - 1);
        buf[len - 1] = '\0';
        struct diag_list l;
        analyse_opts(buf, len - 1, NULL, &l);
        check_sane(&l, len - 1);
        diag_list_release(&l);
    }
    free(buf);
}

/* Runs on two threads at once (margin check does) find the same. */
struct par {
    struct diag_list l;
};

static void *par_run(void *arg)
{
    struct par *p = arg;
    for (int i = 0; i < 20; i++) {
        if (i > 0)
            diag_list_release(&p->l);
        analyse_opts(valid_source, sizeof(valid_source) - 1, NULL, &p->l);
    }
    return NULL;
}

Test(exceptions, two_threads)
{
    struct par a, b;
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, par_run, &a), 0);
    cr_assert_eq(pthread_create(&tb, NULL, par_run, &b), 0);
    cr_assert_eq(pthread_join(ta, NULL), 0);
    cr_assert_eq(pthread_join(tb, NULL), 0);
    char *ra = render(valid_source, &a.l), *rb = render(valid_source, &b.l);
    cr_expect_str_eq(ra, rb);
    cr_expect_str_eq(ra, "14:5 MG301\n16:5 E722\n");
    free(ra);
    free(rb);
    diag_list_release(&a.l);
    diag_list_release(&b.l);
}
