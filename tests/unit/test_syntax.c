/* Unit tests of the syntax analyzer (E999), through analyzer.h: parse a
 * snippet, run the analyzers with only E999 selected, check every finding.
 *
 * Expected ranges are marked inside the snippets with ⟦ and ⟧ (removed
 * before parsing), so "def f(x)⟦⟧\n" expects a zero-width finding right
 * after ')'. */
#include "analyzer.h"
#include "mg.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPEN_MARK  "\xe2\x9f\xa6" /* ⟦ */
#define CLOSE_MARK "\xe2\x9f\xa7" /* ⟧ */

static void setup(void)
{
    cr_assert_eq(an_init_all(tree_sitter_python()), 0);
}

static void teardown(void)
{
    an_fini_all();
}

TestSuite(syntax, .init = setup, .fini = teardown);

/* Parse `text` and collect the E999 findings into `out`. */
static void analyse(const char *text, size_t len, struct diag_list *out)
{
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    cr_assert_not_null(tree);
    char *select[] = {"E999"};
    struct an_opts opts = {.select = select, .n_select = 1};
    struct pdoc doc = {.uri = "file:///t.py", .text = text, .len = len, .tree = tree};
    diag_list_init(out);
    cr_assert_eq(an_run_all(&doc, &opts, out), 0);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
}

static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
        if (n == 0)
            return false;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

/* What every finding must be, whatever the input. */
static void check_sane(const struct diag_list *l, size_t len)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct an_diag *d = &l->items[i];
        cr_assert_str_eq(d->code, "E999");
        cr_assert_eq(d->severity, AN_ERROR);
        cr_assert_leq(d->start, d->end, "finding %zu: start %u > end %u", i, d->start, d->end);
        cr_assert_leq(d->end, len, "finding %zu: end %u outside the text (%zu bytes)", i, d->end,
                      len);
        cr_assert(d->message != NULL && d->message[0] != '\0');
        cr_assert(valid_utf8(d->message), "message %zu is not UTF-8", i);
        cr_assert_null(strchr(d->message, '\n'), "message %zu spans lines", i);
    }
}

/* A snippet with its expected findings marked: "⟦...⟧" is a range, and the
 * messages are given in range order. */
struct want {
    const char *src;
    const char *msgs[4];
};

static char *dump(const struct diag_list *l)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "");
    for (size_t i = 0; i < l->n; i++)
        mg_buf_addf(&b, "  [%u-%u] %s\n", l->items[i].start, l->items[i].end, l->items[i].message);
    return mg_buf_detach(&b, NULL);
}

static void check_want(const struct want *w)
{
    /* Strip the marks, remembering where they were. */
    struct mg_buf text = {0};
    uint32_t starts[4], ends[4];
    size_t n_starts = 0, n_ends = 0;
    mg_buf_add(&text, "", 0);
    for (const char *p = w->src; *p != '\0';) {
        if (strncmp(p, OPEN_MARK, 3) == 0) {
            cr_assert_lt(n_starts, 4);
            starts[n_starts++] = (uint32_t)text.len;
            p += 3;
        } else if (strncmp(p, CLOSE_MARK, 3) == 0) {
            cr_assert_lt(n_ends, 4);
            ends[n_ends++] = (uint32_t)text.len;
            p += 3;
        } else {
            mg_buf_add(&text, p++, 1);
        }
    }
    cr_assert_eq(n_starts, n_ends, "unbalanced marks in %s", w->src);
    size_t n_msgs = 0;
    while (n_msgs < 4 && w->msgs[n_msgs] != NULL)
        n_msgs++;
    cr_assert_eq(n_starts, n_msgs, "marks and messages differ in %s", w->src);

    struct diag_list l;
    analyse(text.data, text.len, &l);
    check_sane(&l, text.len);
    char *got = dump(&l);
    cr_expect_eq(l.n, n_msgs, "%s\n-> %zu findings, want %zu:\n%s", text.data, l.n, n_msgs, got);
    for (size_t i = 0; i < l.n && i < n_msgs; i++) {
        const struct an_diag *d = &l.items[i];
        cr_expect(d->start == starts[i] && d->end == ends[i] && strcmp(d->message, w->msgs[i]) == 0,
                  "%s\n-> want [%u-%u] %s, got:\n%s", text.data, starts[i], ends[i], w->msgs[i],
                  got);
    }
    free(got);
    diag_list_release(&l);
    mg_buf_release(&text);
}

static void check_all(const struct want *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_want(&w[i]);
}

#define M1(m)                                                                                      \
    {                                                                                              \
        m, NULL                                                                                    \
    }
#define M2(a, b)                                                                                   \
    {                                                                                              \
        a, b, NULL                                                                                 \
    }

Test(syntax, missing_colon)
{
    static const struct want w[] = {
        {"def f(x)⟦⟧\n    return x\n", M1("expected ':'")},
        {"class A⟦⟧\n    pass\n", M1("expected ':'")},
        {"for x in y⟦⟧\n    pass\n", M1("expected ':'")},
        {"while True⟦⟧\n    pass\n", M1("expected ':'")},
        {"with open(f) as g⟦⟧\n    pass\n", M1("expected ':'")},
        {"async def f()⟦⟧\n    pass\n", M1("expected ':'")},
        {"if x:\n    pass\nelse⟦⟧\n    pass\n", M1("expected ':'")},
        {"try:\n    pass\nexcept⟦⟧\n    pass\n", M1("expected ':'")},
        {"try:\n    pass\nfinally⟦⟧\n    pass\n", M1("expected ':'")},
        /* the header swallowed the next line: caught on the if_statement */
        {"if x⟦⟧\n    pass\nelse:\n    pass\n", M1("expected ':'")},
        {"x = 5\nif x == 1⟦⟧\n    print(1)\nelse:\n    print(2)\n", M1("expected ':'")},
        {"def f(a):\n    if a⟦⟧\n        return 1\n    return 2\n", M1("expected ':'")},
        {"class A:\n    def f(self)⟦⟧\n        pass\n    def g(self):\n        pass\n",
         M1("expected ':'")},
        /* a backslash continues the header */
        {"if x \\\n  == 3⟦⟧\n    pass\n", M1("expected ':'")},
    };
    check_all(w, MG_ARRAY_LEN(w));
}

Test(syntax, brackets)
{
    static const struct want w[] = {
        {"x = foo⟦(⟧1, 2\ny = 3\n", M1("'(' was never closed")},
        {"x = ⟦[⟧1, 2\n", M1("'[' was never closed")},
        {"x = ⟦{⟧\n", M1("'{' was never closed")},
        {"def f(x, y⟦(⟧\n", M1("'(' was never closed")},
        {"def f():\n    x = foo⟦(⟧\n    y = 2\n    return y\n\ndef g():\n    pass\n",
         M1("'(' was never closed")},
        {"def f():\n    if x:\n        y = ⟦[⟧1, 2\n    return 3\n", M1("'[' was never closed")},
        {"x = ⟦[⟧1, 2, 3\nfor i in x:\n    print(i)\n", M1("'[' was never closed")},
        {"d = ⟦{⟧'a': 1, 'b'\nprint(d)\n", M1("'{' was never closed")},
        {"if ⟦(⟧a and\n    b:\n    pass\n", M1("'(' was never closed")},
        {"print⟦(⟧(1)\n", M1("'(' was never closed")}, /* (1) is closed */
        {"x = ⟦(⟧1,\r\ny = 2\r\n", M1("'(' was never closed")},
        {"x = 1⟦)⟧\n", M1("unmatched ')'")},
        {"x = ⟦]⟧\n", M1("unmatched ']'")},
        {"x = 1\n⟦)⟧\ny = 2\n", M1("unmatched ')'")},
        {"print(1)⟦)⟧\nprint(2)\n", M1("unmatched ')'")},
        {"def f(x):\n    return x⟦)⟧\n", M1("unmatched ')'")},
        {"x = (1, 2⟦]⟧\n", M1("closing parenthesis ']' does not match opening parenthesis '('")},
        {"x = (1,\n     2⟦]⟧\n",
         M1("closing parenthesis ']' does not match opening parenthesis '(' on line 1")},
        {"def f(⟦⟧:\n    pass\n", M1("expected ')'")},
        {"class A(B, C⟦⟧:\n    pass\n", M1("expected ')'")},
    };
    check_all(w, MG_ARRAY_LEN(w));
}

Test(syntax, strings)
{
    static const struct want w[] = {
        {"x = ⟦\"⟧abc\n", M1("unterminated string literal")},
        {"x = ⟦\"⟧abc\ny = 1\nz = \"def\"\n", M1("unterminated string literal")},
        {"x = ⟦\"\"\"⟧abc\n\ny = 1\n", M1("unterminated triple-quoted string literal")},
        {"x = ⟦'''⟧abc\n", M1("unterminated triple-quoted string literal")},
        {"foo(⟦\"⟧abc\nx = 1\n", M1("unterminated string literal")},
        {"foo(⟦\"⟧hello world, x)\n", M1("unterminated string literal")},
        {"x = \"a\" ⟦\"⟧b\n", M1("unterminated string literal")},
        {"x = ⟦\"⟧abc $ def\n", M1("unterminated string literal")},
        {"x = f\"abc ⟦{⟧y\"\n", M1("f-string: expecting '}'")},
        {"x = f\"⟦{⟧a\"\n", M1("f-string: expecting '}'")},
        {"x = rf\"abc ⟦{⟧y\"\n", M1("f-string: expecting '}'")},
        {"x = ⟦Rb\"⟧abc\n", M1("unterminated string literal")},
    };
    check_all(w, MG_ARRAY_LEN(w));
}

Test(syntax, expected_expression_or_name)
{
    static const struct want w[] = {
        {"x = 1 +⟦⟧\n", M1("expected expression")},
        {"x = 1 +⟦⟧\ny = 2\n", M1("expected expression")},
        {"def f(x):\n    return x +⟦⟧\n\ny = 1\n", M1("expected expression")},
        {"x =⟦⟧ \n", M1("expected expression")},
        {"x = 5 +⟦⟧\\\n", M1("expected expression")},
        {"x = not⟦⟧\n", M1("expected expression")},
        {"del⟦⟧\n", M1("expected expression")},
        {"assert⟦⟧\n", M1("expected expression")},
        {"lambda x:⟦⟧\n", M1("expected expression")},
        {"x = 1 if y else⟦⟧\n", M1("expected expression")},
        {"x = 1 if⟦⟧ else 2\n", M1("expected expression")},
        {"for⟦⟧ in x:\n    pass\n", M1("expected expression")},
        {"if x:\n    pass\nelif⟦⟧:\n    pass\n", M1("expected expression")},
        {"x = (1 +⟦⟧)\n", M1("expected expression")},
        {"f(a=⟦⟧)\n", M1("expected expression")},
        {"f(**⟦⟧)\n", M1("expected expression")},
        {"def f(a, b=⟦⟧, c):\n    pass\n", M1("expected expression")},
        {"def f(x) ->⟦⟧ :\n    pass\n", M1("expected expression")},
        {"print(x for x in y if⟦⟧)\n", M1("expected expression")},
        {"x = [i for i in⟦⟧]\n", M1("expected expression")},
        {"f(lambda:⟦⟧ )\n", M1("expected expression")},
        {"import⟦⟧\n", M1("expected name")},
        {"from x import⟦⟧\n", M1("expected name")},
        {"from . import⟦⟧\n", M1("expected name")},
        {"global⟦⟧\n", M1("expected name")},
        {"x = a.⟦⟧\n", M1("expected name")},
        {"def⟦⟧ (x):\n    pass\n", M1("expected name")},
        {"with a as b, c as⟦⟧:\n    pass\n", M1("expected name")},
        {"def f(a):\n    x = a.⟦⟧\n    return x\n", M1("expected name")},
        /* the next line's keyword was read as the missing name */
        {"from collections import⟦⟧\n\n\ndef join(parts):\n    return parts\n",
         M1("expected name")},
        {"import os\nfrom m import⟦⟧\n\ndef f(x):\n    return x\n", M1("expected name")},
        {"x = a.⟦⟧\nclass C:\n    pass\n", M1("expected name")},
        {"x =⟦⟧\nif y:\n    pass\n", M1("expected expression")},
        {"a = 1 if b⟦⟧\n", M1("expected 'else' after 'if' expression")},
        {"x = 1 if y else 2 if z⟦⟧\n", M1("expected 'else' after 'if' expression")},
    };
    check_all(w, MG_ARRAY_LEN(w));
}

Test(syntax, unexpected_tokens)
{
    static const struct want w[] = {
        {"x = ⟦=⟧ 1\n", M1("unexpected token '='")},
        {"a, b = ⟦=⟧ c\n", M1("unexpected token '='")},
        {"x = 10 ⟦20⟧\n", M1("unexpected token '20'")},
        {"x = 1 ⟦2⟧ 3 4 5\n", M1("unexpected token '2'")},
        {"return x ⟦y⟧\n", M1("unexpected token 'y'")},
        {"async ⟦x⟧ = 1\n", M1("unexpected token 'x'")},
        {"⟦elif⟧ x:\n    pass\n", M1("unexpected token 'elif'")},
        {"x = [⟦,⟧]\n", M1("unexpected token ','")},
        {"f(a⟦,⟧ , b)\n", M1("unexpected token ','")},
        {"if x ⟦=⟧ 1:\n    pass\n",
         M1("invalid syntax: maybe you meant '==' or ':=' instead of '='")},
        {"while x ⟦=⟧ 1:\n    pass\n",
         M1("invalid syntax: maybe you meant '==' or ':=' instead of '='")},
        {"foo(a ⟦b⟧)\n", M1("invalid syntax: perhaps you forgot a comma")},
        {"x = (1 ⟦2⟧)\n", M1("invalid syntax: perhaps you forgot a comma")},
        {"print(1 2 ⟦3⟧)\n", M1("invalid syntax: perhaps you forgot a comma")},
        {"foo(\n    a,\n    b ⟦c⟧,\n)\n", M1("invalid syntax: perhaps you forgot a comma")},
        {"d = {a: b ⟦c⟧: d}\n", M1("invalid syntax: perhaps you forgot a comma")},
        {"x = {1, 2\n⟦y⟧ = 3}\n", M1("invalid syntax: perhaps you forgot a comma")},
        {"⟦try⟧:\n    pass\n", M1("expected 'except' or 'finally' block")},
        {"⟦@decorator⟧\n\nx = 1\n", M1("expected 'def' or 'class' after decorator")},
        {"⟦@functools.cache⟧\n", M1("expected 'def' or 'class' after decorator")},
        /* a line of garbage is one finding, not one per token */
        {"x = 1 ⟦aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa⟧\n",
         M1("unexpected token 'aaaaaaaaaaaaaaaaaaaaaaaa...'")},
    };
    check_all(w, MG_ARRAY_LEN(w));
}

Test(syntax, lexical)
{
    static const struct want w[] = {
        {"x = ⟦$⟧y\n", M1("invalid character '$' (U+0024)")},
        {"x = ⟦?⟧\n", M1("invalid character '?' (U+003F)")},
        {"x ⟦→⟧ y\n", M1("invalid character '→' (U+2192)")},
        {"x = 1\nnbsp =⟦\xc2\xa0⟧3\n", M1("invalid non-printable character U+00A0")},
        {"x = ⟦\x01⟧\n", M1("invalid non-printable character U+0001")},
        {"x = ⟦\xff⟧\n", M1("invalid UTF-8 byte 0xff")},
    };
    check_all(w, MG_ARRAY_LEN(w));

    /* NUL bytes cannot go through a C string: build the text by hand. */
    const char nul[] = "x = 1\ny = \0\0\nz = 2\n";
    struct diag_list l;
    analyse(nul, sizeof(nul) - 1, &l);
    check_sane(&l, sizeof(nul) - 1);
    cr_assert_geq(l.n, 1);
    cr_expect_str_eq(l.items[0].message, "source code cannot contain null bytes");
    cr_expect_eq(l.items[0].start, 10);
    cr_expect_eq(l.items[0].end, 11);
    diag_list_release(&l);
}

Test(syntax, several_problems_each_once)
{
    static const struct want w[] = {
        {"class Account:\n"
         "    def deposit(self, amount)⟦⟧\n"
         "        self.balance += amount\n"
         "\n"
         "    def withdraw(self, amount):\n"
         "        if amount ⟦=⟧ 0:\n"
         "            return\n"
         "\n"
         "def report(a, b):\n"
         "    print(a ⟦b⟧)\n",
         {"expected ':'", "invalid syntax: maybe you meant '==' or ':=' instead of '='",
          "invalid syntax: perhaps you forgot a comma", NULL}},
        {"def f():\n    return os.⟦⟧\n\ndef g():\n    return a +⟦⟧\n",
         M2("expected name", "expected expression")},
    };
    check_all(w, MG_ARRAY_LEN(w));
}

static const char valid_source[] =
    "import asyncio\n"
    "from dataclasses import dataclass, field\n"
    "from typing import Callable\n"
    "\n"
    "\n"
    "@dataclass(frozen=True)\n"
    "class Point[T]:\n"
    "    x: T\n"
    "    y: T = field(default=None)\n"
    "\n"
    "\n"
    "type Pair[T] = tuple[T, T]\n"
    "\n"
    "\n"
    "def first[T](items: list[T], /, default: T | None = None, *, strict: bool = False) -> T:\n"
    "    if (n := len(items)) > 0:\n"
    "        return items[0]\n"
    "    return default\n"
    "\n"
    "\n"
    "async def gather(urls: list[str]) -> list[bytes]:\n"
    "    return [body async for body in fetch_all(urls) if body]\n"
    "\n"
    "\n"
    "def describe(cmd: object) -> str:\n"
    "    match cmd:\n"
    "        case {\"action\": \"go\", \"to\": str(dest)}:\n"
    "            return f\"going to {dest!r:>10}\"\n"
    "        case [Point(x=0, y=0), *rest] if rest:\n"
    "            return f\"origin then {len(rest)} more\"\n"
    "        case int() | float() as num:\n"
    "            return f\"{num=}\"\n"
    "        case _:\n"
    "            return \"unknown\"\n"
    "\n"
    "\n"
    "def quoting(d: dict[str, str]) -> str:\n"
    "    return f\"{d['name']}: {d[\"name\"]!s} {'nested' if d else \"other\"}\"\n"
    "\n"
    "\n"
    "handlers: dict[str, Callable[[int], int]] = {\"double\": lambda x, k=2: x * k}\n"
    "head, *middle, tail = [1, 2, 3, 4]\n"
    "print(*middle, sep=\", \", end=\"\\n\")\n"
    "print(head, tail, **{\"flush\": True})\n"
    "value = 1 if head else 2\n"
    "try:\n"
    "    pass\n"
    "except* ValueError as eg:\n"
    "    raise RuntimeError(\"x\") from eg\n"
    "with (open(\"a\") as fa, open(\"b\") as fb):\n"
    "    pass\n"
    "text = \"implicit\" \"concatenation\" f\"{value}\" \"\"\"triple\n"
    "quoted\"\"\"\n"
    "numbers = 0x_ff + 0o17 + 0b1 + 1_000.5e-3j\n"
    "if value is not None and value not in (1, 2):\n"
    "    print(f\"{'a' + \"b\"}\", f\"{value:{'>'}{10}}\")\n"
    "total = not -value ** 2 // 3 % 4 << 1 >> 1 & 1 | 1 ^ 1\n"
    "nums = {k: v for k, v in zip(\"ab\", range(2))}\n"
    "sl = nums.get(\"a\", [0, 1, 2])[::2]\n"
    "del handlers[\"double\"]\n"
    "assert isinstance(value, int), \"value must be int\"\n"
    "from . import sibling\n"
    "from .. import parent as p\n"
    "from __future__ import annotations\n"
    "\n"
    "\n"
    "async def agen():\n"
    "    async with asyncio.timeout(1):\n"
    "        async for item in agen():\n"
    "            await asyncio.sleep(0)\n"
    "            yield item\n"
    "    x = yield\n"
    "    y = yield from agen()\n"
    "\n"
    "\n"
    "class Meta(type): ...\n"
    "\n"
    "\n"
    "while False:\n"
    "    break\n"
    "else:\n"
    "    pass\n"
    "for i in range(2):  # comment with ( [ { and \" quotes\n"
    "    continue\n"
    "ok = (1 +\n"
    "      2) \\\n"
    "    + 3\n"
    "café = \"naïve → $ ?\"\n";

Test(syntax, valid_code_gives_nothing)
{
    struct diag_list l;
    analyse(valid_source, sizeof(valid_source) - 1, &l);
    char *got = dump(&l);
    cr_expect_eq(l.n, 0, "findings on valid code:\n%s", got);
    free(got);
    diag_list_release(&l);

    analyse("", 0, &l);
    cr_expect_eq(l.n, 0);
    diag_list_release(&l);
    analyse("\n\n# only a comment\n", 18, &l);
    cr_expect_eq(l.n, 0);
    diag_list_release(&l);
}

Test(syntax, error_cap)
{
    struct mg_buf b = {0};
    for (int i = 0; i < 5000; i++)
        mg_buf_adds(&b, "x = = 1\n");
    struct diag_list l;
    analyse(b.data, b.len, &l);
    check_sane(&l, b.len);
    cr_assert_eq(l.n, 101, "%zu findings", l.n);
    cr_expect_str_eq(l.items[0].message, "unexpected token '='");
    cr_expect_str_eq(l.items[100].message,
                     "too many syntax errors; only the first 100 are reported");
    diag_list_release(&l);
    mg_buf_release(&b);
}

Test(syntax, binary_garbage)
{
    /* A deterministic blob (xorshift), as if a binary file were opened. */
    size_t len = 64 * 1024;
    char *blob = xmalloc(len + 1);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        blob[i] = (char)(x & 0xff);
    }
    blob[len] = '\0';
    struct diag_list l;
    analyse(blob, len, &l);
    check_sane(&l, len);
    cr_expect_geq(l.n, 1);
    cr_expect_leq(l.n, 101);
    diag_list_release(&l);
    free(blob);
}

Test(syntax, one_megabyte_line)
{
    struct mg_buf b = {0};
    mg_buf_adds(&b, "x = [");
    while (b.len < 1000 * 1000)
        mg_buf_adds(&b, "1, ");
    mg_buf_adds(&b, "]\n");
    struct diag_list l;
    analyse(b.data, b.len, &l);
    cr_expect_eq(l.n, 0);
    diag_list_release(&l);

    b.data[b.len - 2] = ' '; /* drop the ']' */
    analyse(b.data, b.len, &l);
    check_sane(&l, b.len);
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.items[0].message, "'[' was never closed");
    cr_expect_eq(l.items[0].start, 4);
    diag_list_release(&l);
    mg_buf_release(&b);
}

/* Deep inputs run on a thread with a small stack (256 KiB): neither
 * tree-sitter 0.20.7 nor the analyzer recurses, and this keeps it so. */
struct deep {
    char *text;
    size_t len;
    struct diag_list l;
};

static void *deep_run(void *arg)
{
    struct deep *d = arg;
    analyse(d->text, d->len, &d->l);
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

Test(syntax, deep_nesting)
{
    struct mg_buf b = {0};
    struct deep d;

    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "1");
    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, ")");
    mg_buf_adds(&b, "\n");
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    cr_expect_eq(d.l.n, 0, "balanced parentheses: %zu findings", d.l.n);
    diag_list_release(&d.l);
    free(d.text);

    for (int i = 0; i < 10000; i++)
        mg_buf_adds(&b, "(");
    mg_buf_adds(&b, "\n");
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    cr_assert_eq(d.l.n, 1);
    cr_expect_str_eq(d.l.items[0].message, "'(' was never closed");
    cr_expect_eq(d.l.items[0].start, 9999); /* the innermost, as CPython */
    diag_list_release(&d.l);
    free(d.text);

    /* 2,000 nested ifs: CPython refuses more than 100 levels and the
     * grammar's scanner loses count too; all that matters is a bounded,
     * sane answer. */
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "if x:\n");
    }
    for (int k = 0; k < 2000; k++)
        mg_buf_adds(&b, " ");
    mg_buf_adds(&b, "pass\n");
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    cr_expect_leq(d.l.n, 2);
    diag_list_release(&d.l);
    free(d.text);

    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i; k++)
            mg_buf_adds(&b, " ");
        mg_buf_adds(&b, "if x\n");
    }
    d.text = mg_buf_detach(&b, &d.len);
    analyse_on_small_stack(&d);
    cr_expect_geq(d.l.n, 1);
    cr_expect_str_eq(d.l.items[0].message, "expected ':'");
    cr_expect_eq(d.l.items[0].start, 4);
    diag_list_release(&d.l);
    free(d.text);
}

/* Every one-byte deletion and a few insertions into valid code: never a
 * crash, never a range outside the text, never a message that is not one
 * line of UTF-8. */
Test(syntax, mutations_stay_sane)
{
    size_t len = sizeof(valid_source) - 1;
    char *buf = xmalloc(len + 2);
    static const char inserts[] = "([{)]}:'\"=\\\n\x80";
    for (size_t at = 0; at < len; at++) {
        memcpy(buf, valid_source, at);
        memcpy(buf + at, valid_source + at + 1, len - at - 1);
        buf[len - 1] = '\0';
        struct diag_list l;
        analyse(buf, len - 1, &l);
        check_sane(&l, len - 1);
        diag_list_release(&l);
        if (at % 7 == 0) {
            memcpy(buf, valid_source, at);
            buf[at] = inserts[(at / 7) % (sizeof(inserts) - 1)];
            memcpy(buf + at + 1, valid_source + at, len - at);
            buf[len + 1] = '\0';
            analyse(buf, len + 1, &l);
            check_sane(&l, len + 1);
            diag_list_release(&l);
        }
    }
    free(buf);
}

/* A missing ':' or closing bracket gets an "Insert" quick-fix that is never
 * safe; other syntax errors get none. */
Test(syntax, insert_fixes)
{
    static const struct {
        const char *text;
        const char *insert; /* NULL: no fix */
        uint32_t at;
    } cases[] = {
        {"def f()\n    pass\n", ":", 7},
        {"class C(Base)\n    pass\n", ":", 13},
        {"x = [1, 2\n", NULL, 0},
        {"x = 1 +\n", NULL, 0},
    };
    for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++) {
        struct diag_list l;
        analyse(cases[i].text, strlen(cases[i].text), &l);
        cr_assert_geq(l.n, 1, "%s", cases[i].text);
        const struct an_diag *d = &l.items[0];
        if (cases[i].insert == NULL) {
            cr_assert_eq(d->n_fixes, 0, "%s: %s", cases[i].text, d->message);
        } else {
            cr_assert_eq(d->n_fixes, 1, "%s: %s", cases[i].text, d->message);
            cr_assert(!d->fixes[0].safe);
            cr_assert_eq(d->fixes[0].n_edits, 1);
            cr_assert_eq(d->fixes[0].edits[0].start, cases[i].at, "%s", cases[i].text);
            cr_assert_eq(d->fixes[0].edits[0].end, cases[i].at);
            cr_assert_str_eq(d->fixes[0].edits[0].new_text, cases[i].insert);
        }
        diag_list_release(&l);
    }
}
